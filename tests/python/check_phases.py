#!/usr/bin/env python3
"""check_phases.py ARCHIVE --ran PHASE,... [--log LOG [--also-logged PHASE,...] [--stage PROTOCOL]]

Where a run's time went, as the archive and -log_view report it (include/repdrift/phases.h):
  - /sweep/phase_seconds is [point, phase]; axis 1 is labelled `phase` and has the root scale /phase
    attached, whose attribute `labels` names every phase once;
  - for every done point: every phase's seconds finite and >= 0; they sum to /sweep/wall_seconds
    within 5 % (the wall time is read from the clock separately, at the same cut); every phase in
    --ran took time (> 0: the point went through it); every model phase not in --ran (signature,
    modularity, theory) is exactly 0;
  - repdrift.open_archive(ARCHIVE, "sweep") has the names as the coordinate `phase`, and
    .sel(phase=NAME) gives the archive's values;
  - with --log: the -log_view output lists the event rd:NAME of every phase in --ran and
    --also-logged (phases of the run that a point need not contain: the collective rounds, charged
    to the point during which its rank joined them) with a count >= 1, and the stage "Protocol PROTOCOL".
Closing line `check_phases: N passed, M failed`; exit status 0 only when nothing failed.
"""
import argparse
import os
import re
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python"))
import repdrift  # noqa: E402

MODEL_PHASES = ("signature", "modularity", "theory")  # phases only some models' points enter
TOLERANCE = 0.05


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        print(f"{'ok  ' if ok else 'FAIL'} {what}{': ' + detail if detail and not ok else ''}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1


def text(value):
    return value.decode() if isinstance(value, bytes) else str(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("--ran", required=True, help="comma list of the phases every done point went through")
    parser.add_argument("--log", help="the run's -log_view output")
    parser.add_argument("--also-logged", default="", help="comma list of more phases -log_view must list")
    parser.add_argument("--stage", help="the protocol whose stage -log_view must list")
    args = parser.parse_args()
    ran = [name for name in args.ran.split(",") if name]
    results = Results()

    with h5py.File(args.archive, "r") as f:
        seconds = f["/sweep/phase_seconds"]
        labels = [text(x) for x in f["/phase"].attrs["labels"]]
        results.check(seconds.ndim == 2 and seconds.shape[1] == len(labels) == f["/phase"].shape[0],
                      "phase_seconds is [point, phase], one label per phase", f"shape {seconds.shape}, {len(labels)} labels")
        results.check(seconds.dims[1].label == "phase" and "/phase" in [s.name for s in seconds.dims[1].values()],
                      "axis 1 labelled phase with the scale /phase attached")
        results.check(len(set(labels)) == len(labels) and all(labels), "phase labels unique and non-empty", str(labels))
        unknown = [name for name in ran + list(MODEL_PHASES) if name not in labels]
        results.check(not unknown, "the phases named here are labels of /phase", f"unknown {unknown}")
        if unknown:
            print(f"check_phases: {results.passed} passed, {results.failed} failed")
            return 1
        values = seconds[()]
        wall = f["/sweep/wall_seconds"][()]
        done = np.flatnonzero(f["/sweep/status"][()] == 1)
        results.check(len(done) > 0, "the archive has done points")
        column = {name: labels.index(name) for name in labels}
        for p in done:
            row = values[p]
            results.check(np.all(np.isfinite(row)) and np.all(row >= 0), f"point {p}: every phase finite and >= 0", str(row))
            total = row.sum()
            results.check(abs(total - wall[p]) <= TOLERANCE * wall[p],
                          f"point {p}: phases sum to wall_seconds within 5 % ({total:.6g} s vs {wall[p]:.6g} s)")
            idle = [name for name in ran if not row[column[name]] > 0]
            results.check(not idle, f"point {p}: time in every phase it went through ({', '.join(ran)})", f"zero: {idle}")
            stray = [name for name in MODEL_PHASES if name not in ran and row[column[name]] != 0]
            results.check(not stray, f"point {p}: no time in the phases it never enters", f"non-zero: {stray}")
        share = values[done].sum(axis=0) / max(values[done].sum(), 1e-300)
        print("share of the done points' time: " + ", ".join(f"{name} {100 * s:.1f} %" for name, s in zip(labels, share) if s > 0))

    sweep = repdrift.open_archive(args.archive, "sweep")
    coordinate = [text(x) for x in sweep["phase"].values]
    results.check(coordinate == labels, "open_archive: coordinate phase = the labels", str(coordinate))
    train = sweep.phase_seconds.sel(phase=ran[0]).values.reshape(-1)
    results.check(np.array_equal(train, values[:, column[ran[0]]], equal_nan=True), f"open_archive: .sel(phase='{ran[0]}') = the archive's column")

    if args.log:
        with open(args.log) as log_file:
            log = log_file.read()
        for name in ran + [name for name in args.also_logged.split(",") if name]:
            counts = [int(c) for c in re.findall(rf"^rd:{re.escape(name)}\s+(\d+)\s", log, re.MULTILINE)]
            results.check(counts and max(counts) >= 1, f"-log_view lists event rd:{name}", f"counts {counts}")
        if args.stage:
            results.check(re.search(rf"^\s*\d+:\s+Protocol {re.escape(args.stage)}:", log, re.MULTILINE) is not None,
                          f"-log_view lists the stage 'Protocol {args.stage}'")
    print(f"check_phases: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
