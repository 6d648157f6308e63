#!/usr/bin/env python3
"""check_theory.py ARCHIVE [--frequency-effect] [--excess-tolerance T]

Checks the /theory group of a `-protocol replicas` archive:
- every point is done; predictions are finite exactly where the theory holds and NaN elsewhere;
  where the archive has /theory/prediction_holds [point] (1: the minimum is an isolated orbit or
  point, 0: degenerate, no prediction) that flag says where, and every point without dropout must
  hold (input noise keeps the rotation orbit); older archives predict only at dropout 0 and input
  noise 0; measurements are finite everywhere;
- width invariance at dropout 0: points that differ only in width have the same predictions
  (1e-9 relative) and statistically equal measurements (within 4 combined standard errors);
- the measured excess loss agrees with the prediction within the tolerance (default 10%);
- with --frequency-effect (a configuration of hidden rank >= 3 where stimulus 0 is the most frequent):
  stimulus 0 has the smallest predicted and measured fluctuation F and diffusion slope sigma.
Closing line: 'check_theory: N passed, M failed'; exit code non-zero on a failure.
"""
import argparse
import sys

import h5py
import numpy as np


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        if ok:
            self.passed += 1
        else:
            self.failed += 1
            print(f"FAIL {what}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("archive")
    parser.add_argument("--frequency-effect", action="store_true")
    parser.add_argument("--excess-tolerance", type=float, default=0.10)
    args = parser.parse_args()
    results = Results()
    with h5py.File(args.archive, "r") as f:
        theory = {name: f["theory"][name][()] for name in f["theory"]}
        status = f["sweep/status"][()]
        dropout, width, lr = f["sweep/noise_level"][()], f["sweep/width"][()], f["sweep/lr"][()]
        frequency, seed = f["sweep/frequency"][()], f["sweep/seed"][()]
        input_noise = float([line.split()[1] for line in f["config/options"][()].decode().splitlines()
                             if line.startswith("-input_noise ")][0])
    results.check(np.all(status == 1), f"every point done (status {status})")
    if "prediction_holds" in theory:
        holds = theory["prediction_holds"].reshape(-1) == 1
        results.check(np.all(holds[dropout == 0]), "the theory holds at every point without dropout")
    else:
        holds = (dropout == 0) & (input_noise == 0)
    predicted = ["excess_loss_predicted", "fluctuation_predicted", "diffusion_slope_predicted",
                 "normalized_diffusion_slope_predicted"]
    measured = ["excess_loss_measured", "fluctuation_measured", "diffusion_slope_measured", "L_star"]
    for name in predicted:
        values = theory[name].reshape(len(status), -1)
        results.check(np.all(np.isfinite(values[holds])), f"{name} finite where the theory holds")
        results.check(np.all(np.isnan(values[~holds])), f"{name} NaN where it does not hold")
    for name in measured:
        results.check(np.all(np.isfinite(theory[name])), f"{name} finite at every point")

    # width invariance: same (frequency, dropout, lr, seed), different width
    keys = {}
    for p in range(len(status)):
        keys.setdefault((frequency[p], dropout[p], lr[p], seed[p]), []).append(p)
    compared = 0
    for points in keys.values():
        for a, b in zip(points, points[1:]):
            if width[a] == width[b] or dropout[a] != 0:
                continue
            compared += 1
            for name in predicted:
                x, y = theory[name][a], theory[name][b]
                results.check(np.allclose(x, y, rtol=1e-9, atol=0), f"width invariance of {name}: width {width[a]} {x} vs {width[b]} {y}")
            for name, se in (("fluctuation_measured", "fluctuation_stderr"), ("diffusion_slope_measured", "diffusion_slope_stderr"),
                             ("excess_loss_measured", "excess_loss_stderr")):
                difference = np.abs(theory[name][a] - theory[name][b])
                bound = 4 * np.hypot(theory[se][a], theory[se][b]) + 1e-12 * np.abs(theory[name][a])
                results.check(np.all(difference <= bound), f"width {width[a]} vs {width[b]}: {name} statistically equal")
    results.check(compared > 0 or len(set(width)) == 1, "width invariance was checked on some pair of points")

    ratio = theory["excess_loss_measured"][holds] / theory["excess_loss_predicted"][holds]
    results.check(np.all(np.abs(ratio - 1) <= args.excess_tolerance), f"excess loss measured/predicted {ratio} within {args.excess_tolerance}")

    if args.frequency_effect:
        for p in np.flatnonzero(holds):
            for name in ("fluctuation_predicted", "fluctuation_measured", "diffusion_slope_predicted", "diffusion_slope_measured"):
                row = theory[name][p]
                results.check(row[0] < np.min(row[1:]), f"point {p}: the frequent stimulus 0 has the smallest {name}: {row}")

    print(f"check_theory: {results.passed} passed, {results.failed} failed")
    sys.exit(1 if results.failed else 0)


if __name__ == "__main__":
    main()
