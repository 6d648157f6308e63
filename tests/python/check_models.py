#!/usr/bin/env python3
"""Checks the model-specific groups of a repdrift archive.

Usage:
    check_models.py signature ARCHIVE.h5 [--acceptance]
    check_models.py modularity ARCHIVE.h5 [--acceptance]
    check_models.py report REPDRIFT_REPORT ARCHIVE.h5

signature (-model classifier): every point done; /sweep/noise_level is each type's paper level when
the run used the per-type default; every /signature scalar of a point finite; the per-snapshot
accuracy above chance and stable (max - min < 0.15: the readout keeps the task while the code drifts);
readout_rotation at snapshot 0 is 0; the delta t = 0 null of the day-discrimination classifier is
near 0.5. With --acceptance (the long test):
the issue's dropout signature: node dropout has a positive angle-vs-variance slope with r above its
null and obtuse angles to PC 1; additive node noise and none show a weaker trend (smaller r).

modularity (-model autoencoder): kappa recomputed independently (numpy: presentation-weighted
moments on the presented support, a dense angle scan of g(w), a lower bound that must agree with
the archive's exact 2-D value within 1e-6 of max e^2); per-day metrics finite for done points.
With --acceptance: the uniform (full grid) points end modular (mixing_max < 0.1) in every seed and
the cut-corner points (frequency 0, width >= 3) end mixed (mixing_max > 0.1) in most seeds.

report (-model classifier): the signature table of repdrift-report against the archive: the share of
the variance in the variational space (var_in_k) per noise type next to the paper's 0.82, the
end-to-end readout rotation at 5 epochs (rot_5ep) next to the paper's 2.6 and 18.6 deg, or
"n/a (< 5 epochs)" for a shorter run.

Prints `ok` / `FAIL` lines and a closing count; exit status 1 on any failure.
"""
import math
import re
import sys

import h5py
import numpy as np

NOISE = ["none", "node_dropout", "weight_dropout", "additive", "multiplicative", "gradient"]
PAPER_LEVEL = {"none": 0.0, "node_dropout": 0.5, "weight_dropout": 0.6, "additive": 0.1, "multiplicative": 1.0, "gradient": 3.0}
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
        print(f"ok   {what}")
    else:
        failed += 1
        print(f"FAIL {what}")


def options(f):
    text = f["/config/options"][()]
    text = text.decode() if isinstance(text, bytes) else str(text)
    out = {}
    for line in text.splitlines():
        parts = line.split(None, 1)
        if parts and parts[0].startswith("-"):
            out[parts[0][1:]] = parts[1] if len(parts) > 1 else ""
    return out


def signature(path, acceptance):
    f = h5py.File(path, "r")
    opts = options(f)
    status = f["/sweep/status"][:]
    types = f["/sweep/noise_type"][:]
    levels = f["/sweep/noise_level"][:]
    check(np.all(status == 1), f"every point done ({int((status == 1).sum())}/{status.size})")
    C = int(opts.get("num_classes", "0") or 0)
    if "sweep_noise_level" not in opts:
        check(all(abs(levels[p] - PAPER_LEVEL[NOISE[types[p]]]) < 1e-15 for p in range(len(types))), "each noise type at its paper level")
    scalars = [k for k in f["/signature"] if f["/signature"][k].ndim == 1]
    for p in np.flatnonzero(status == 1):
        bad = [k for k in scalars if not np.isfinite(f["/signature"][k][p])]
        check(not bad, f"point {p} ({NOISE[types[p]]}): every /signature scalar finite {bad if bad else ''}")
        acc = f["/signature/accuracy"][p]
        chance = 1.0 / C if C else 0.5
        check(acc.min() > chance + 0.2 and acc.max() - acc.min() < 0.15,
              f"point {p} ({NOISE[types[p]]}): accuracy above chance {chance:.2f} and stable over snapshots: min {acc.min():.3f} max {acc.max():.3f}")
        rotation0 = f["/signature/readout_rotation"][p, 0]
        check(abs(rotation0) < 1e-4, f"point {p}: readout rotation at snapshot 0 is 0 (acos of a rounded 1: {rotation0:.2g} deg)")
        null_day = f["/signature/null_day_discrimination_accuracy"][p]
        if acc.max() > chance + 0.2:  # a collapsed network has constant features: no discrimination to speak of
            check(0.3 < null_day < 0.7, f"point {p}: split-half day discrimination {null_day:.3f} near 0.5")
    # summary table
    rows = {}
    for p in np.flatnonzero(status == 1):
        rows.setdefault(NOISE[types[p]], []).append(p)
    keys = ["angle_slope", "angle_r", "null_angle_r", "angle_to_pc1", "null_angle_to_pc1", "variance_flow_loglog_slope", "fraction_in_variational_space", "fraction_chance", "relative_cross_accuracy", "day_discrimination_accuracy", "null_day_discrimination_accuracy", "unit_turnover_slope", "readout_rotation_per_epoch"]
    print("note " + " ".join(f"{k:>12.12s}" for k in ["noise"] + keys))
    mean = {}
    for name, ps in rows.items():
        mean[name] = {k: float(np.mean(f["/signature"][k][ps])) for k in keys}
        print("note " + f"{name:>12.12s} " + " ".join(f"{mean[name][k]:12.4g}" for k in keys))
    if acceptance:
        node = mean.get("node_dropout")
        check(node is not None, "node dropout measured")
        if node:
            check(node["angle_slope"] > 0, f"node dropout: angle-vs-variance slope {node['angle_slope']:.1f} > 0")
            check(node["angle_r"] > node["null_angle_r"] + 0.02, f"node dropout: r {node['angle_r']:.3f} above its delta t = 0 null {node['null_angle_r']:.3f} (margin 0.02)")
            check(node["day_discrimination_accuracy"] > node.get("null_day_discrimination_accuracy", 0.5) + 0.05, f"node dropout: the drift is real: snapshot discrimination {node['day_discrimination_accuracy']:.3f} above split half")
            check(node["angle_to_pc1"] > 90, f"node dropout: obtuse angle to PC 1 ({node['angle_to_pc1']:.1f} deg)")
            for weaker in ("additive", "none"):
                if weaker in mean:
                    check(mean[weaker]["angle_r"] < node["angle_r"], f"{weaker}: weaker trend than node dropout (r {mean[weaker]['angle_r']:.3f} < {node['angle_r']:.3f})")


def kappa_scan(samples, weights, n_angles=20000):
    """Lower bound of kappa by a dense scan (modularity.md): weighted moments, support of the samples."""
    mean = weights @ samples
    c = samples - mean
    e = np.minimum(-c.min(axis=0), c.max(axis=0))
    sigma = (c * weights[:, None]).T @ c
    S = -sigma.copy()
    np.fill_diagonal(S, e ** 2)
    theta = np.linspace(0, 2 * np.pi, n_angles, endpoint=False)
    W = np.stack([np.cos(theta), np.sin(theta)], axis=1)
    g = np.einsum("ai,ij,aj->a", W, S, W) - (W @ c.T).min(axis=1) ** 2
    return max(g.max(), 0.0), (e ** 2).max()


def grid(k):
    u = (2 * np.arange(k) - (k - 1)) / (k - 1)
    return np.array([(a, b) for a in u for b in u])


def modularity(path, acceptance):
    f = h5py.File(path, "r")
    opts = options(f)
    status = f["/sweep/status"][:]
    check(np.all(status == 1), f"every point done ({int((status == 1).sum())}/{status.size})")
    kappa = f["/modularity/kappa"][:]
    freq = f["/sweep/frequency"][:]
    width = f["/sweep/width"][:]
    if opts.get("sources") == "grid":
        k, cut = int(opts["grid_size"]), float(opts["corner_cut"])
        samples = grid(k)
        ii, jj = np.divmod(np.arange(k * k), k)
        corner = ii + jj < cut * (k - 1) / 2
        for p in range(len(kappa)):
            if "sweep_frequency" in opts:
                w = np.where(corner, freq[p] / corner.sum(), (1 - freq[p]) / (~corner).sum())
            else:
                w = np.full(k * k, 1.0 / (k * k))
            keep = w > 0
            scan, e2 = kappa_scan(samples[keep], w[keep] / w[keep].sum())
            check(kappa[p] >= scan - 1e-9 * e2 and kappa[p] - scan <= 1e-6 * e2 + 1e-3 * abs(scan),
                  f"point {p} (corner presented {freq[p]:.3g}): kappa {kappa[p]:.6g} vs dense scan {scan:.6g}")
    for name in ["mixing_max", "mixing_mean", "infom", "cinfom_conditional", "reconstruction_error"]:
        values = f["/modularity/" + name][:]
        done = status == 1
        check(np.all(np.isfinite(values[done])), f"/modularity/{name} finite on every day of done points")
    mixing = f["/modularity/mixing_max"][:, -1]
    for p in range(len(kappa)):
        print(f"note point {p}: corner presented {freq[p]:.3g} width {width[p]} kappa {kappa[p]:.4g} final mixing_max {mixing[p]:.3f} relative gap {f['/modularity/relative_gap'][p, -1]:.4f}")
    if acceptance:
        full = [p for p in range(len(kappa)) if kappa[p] <= 1e-10]
        cut_points = [p for p in range(len(kappa)) if freq[p] == 0 and width[p] >= 3]
        check(full and all(mixing[p] < 0.1 for p in full), f"kappa = 0 points end modular in every seed: {[round(float(mixing[p]), 3) for p in full]}")
        mixed = sum(mixing[p] > 0.1 for p in cut_points)
        check(cut_points and mixed > len(cut_points) / 2, f"cut corner, width >= 3: {mixed} of {len(cut_points)} seeds end mixed: {[round(float(mixing[p]), 3) for p in cut_points]}")


# A row of the classifier's signature table: the noise type first; gamma/chance is the one token
# with a '/', var_in_k the next; the table ends with svc_ang and rot_5ep (a number or the n/a note).
SIGNATURE_ROW = re.compile(r"^(?P<noise>\S+(?: \(\S+\))?)\s.*?\s(?P<gamma>[-\d.nai]+/[-\d.nai]+|> chance)\s+(?P<var_in_k>\S+)\s.*?"
                           r"(?P<rot>n/a \(< 5 epochs\)|\S+)$")


def report(report_program, path):
    """The classifier's signature table of `repdrift-report ARCHIVE` against the archive: var_in_k is the
    mean /signature/variance_in_variational_space over each noise type's done points, next to the
    paper's 0.82 (a share of variance, not gamma); rot_5ep the mean end-to-end readout rotation at 5
    epochs, /signature/readout_rotation[p, 5 x snapshots_per_epoch], next to the paper's 2.6 (node
    dropout) and 18.6 (gradient noise), or 'n/a (< 5 epochs)' for a shorter run."""
    import subprocess
    f = h5py.File(path, "r")
    opts = options(f)
    status = f["/sweep/status"][:]
    types = f["/sweep/noise_type"][:]
    share = f["/signature/variance_in_variational_space"][:]
    rotation = f["/signature/readout_rotation"][:]
    five = 5 * int(opts["snapshots_per_epoch"])
    run = subprocess.run([report_program, path], capture_output=True, text=True)
    check(run.returncode == 0, f"repdrift-report {path} runs")
    lines = run.stdout.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("noise ") and "var_in_k" in line and line.rstrip().endswith("rot_5ep")), None)
    check(start is not None, "the signature table has the columns var_in_k and rot_5ep")
    if start is None:
        return
    rows, gradient_paper = {}, None
    for line in lines[start + 1:]:
        if line.startswith("paper (gradient)"):  # only level, accuracy, gamma and the rotation filled in
            gradient_paper = line.split()
            continue
        m = SIGNATURE_ROW.match(line)
        if not m:
            break
        rows[m["noise"]] = m
    for t, name in enumerate(NOISE):
        ps = np.flatnonzero((types == t) & (status == 1))
        if not len(ps):
            check(name not in rows, f"{name}: no done point, no row")
            continue
        m = rows.get(name)
        check(m is not None, f"{name}: a row")
        if m is None:
            continue
        want = float(np.mean(share[ps]))
        check(abs(float(m["var_in_k"]) - want) <= 5e-4, f"{name}: var_in_k {m['var_in_k']} = mean share of the variance in the variational space {want:.4f}")
        if five < rotation.shape[1]:
            want = float(np.mean(rotation[ps, five]))
            check(m["rot"] != "n/a (< 5 epochs)" and abs(float(m["rot"]) - want) <= 5e-3,
                  f"{name}: rot_5ep {m['rot']} = mean readout rotation after 5 epochs (snapshot {five}) {want:.3f}")
        else:
            check(m["rot"] == "n/a (< 5 epochs)", f"{name}: rot_5ep is 'n/a (< 5 epochs)' in a run of {(rotation.shape[1] - 1) / (five / 5):g} epochs (got {m['rot']!r})")
    node = rows.get("paper (node)")
    check(node is not None and node["var_in_k"] == "0.82" and node["gamma"] == "> chance" and node["rot"] == "2.6",
          "paper (node): 0.82 under var_in_k (not gamma, which is '> chance'), 2.6 deg under rot_5ep")
    check(gradient_paper is not None and gradient_paper[-1] == "18.6" and "18.6" not in gradient_paper[:-1],
          "paper (gradient): 18.6 deg under rot_5ep (the last column)")


if __name__ == "__main__":
    if len(sys.argv) >= 4 and sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3])
        print(f"check_models: {passed} passed, {failed} failed")
        sys.exit(1 if failed else 0)
    if len(sys.argv) < 3 or sys.argv[1] not in ("signature", "modularity"):
        print(__doc__)
        sys.exit(2)
    (signature if sys.argv[1] == "signature" else modularity)(sys.argv[2], "--acceptance" in sys.argv)
    print(f"check_models: {passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)
