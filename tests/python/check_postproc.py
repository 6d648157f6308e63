#!/usr/bin/env python3
"""Checks the Python package (python/repdrift) and repdrift-plot against the archive itself.

Usage:
    check_postproc.py figures PLOT ARCHIVE WORKDIR --expect NAME,... [--format png,svg,pdf] [--report REPORT]
    check_postproc.py sweep REPDRIFT MERGE REPORT PLOT WORKDIR
    check_postproc.py errors PLOT ARCHIVE WORKDIR
    check_postproc.py stats

figures: runs `PLOT ARCHIVE -o WORKDIR --format FORMATS` (default png), then
  - the index lists exactly the figures of --expect as drawn and every other one as skipped with a
    reason (also on stderr);
  - for each drawn figure, its CSV equals the plotted numbers recomputed here independently,
    straight from the archive with h5py and numpy/scipy (means and 95 % t intervals with
    scipy.stats.t, least-squares fits with scipy.stats.linregress, the series labels and layout
    rules of python/repdrift/figures.py re-implemented), rows compared as sorted multisets,
    floats within 1e-9 relative (interval ends 1e-7 of the row's scale);
  - each PNG is a non-blank image (pixels not all one colour, >= 1 % not white) of the size the
    index and the CSV state; the other formats exist; the CSV and the index carry the provenance (archive
    path, program version, git revision, created);
  - repdrift.open_archive of every group: dimensions in the sweep's order, coordinate values from
    /config/options (parsed here), every value equal to the archive's at the point the README's
    flattening formula gives, NaN where the point is not done, `status` the archive's;
  - summary.csv (days protocol) equals the independent per-point headline columns averaged here;
  - /drift/variational_overlap_chance equals max(k, k')/width recomputed from the stored k, NaN
    exactly where the overlap is (the overlap panel plots the stored value; its CSV is compared
    with this recomputation);
  - with --report: repdrift-report -summary -csv, -csv and -summary of the archive, as in `sweep`.
sweep: a linear sweep with 3 seeds and two learning rates, the larger of which diverges at some
  points (status 2), run as 3 slices (-sweep_slice) merged with repdrift-merge:
  - open_archive on a slice (other points pending) and on the merged archive, every group;
  - repdrift.summary() and repdrift-report -summary -csv agree with an independent numpy
    aggregation (points not done left out and counted) and with each other (floats to 1e-12),
    their floats in python's shortest repr; a missing or different header fails; the same on a copy
    in which one done point is marked failed (3) and one pending (0) with their data left in place;
  - repdrift-report -csv: every point's headline columns recomputed, NaN where not done; the text
    -summary counts the points left out;
  - the figures of the merged archive, as in `figures`.
errors: a text file, an HDF5 file that is not a repdrift archive, a directory, a missing path, an
  archive whose /sweep is not the Cartesian product of its options, an unknown --only / --format,
  an output path that is a file: exit 2 with one line on stderr, nothing written, the file intact.
stats: repdrift.stats (numpy only) against scipy: Student's t quantile, the 95 % interval of a
  mean, the least-squares fit.

Prints `ok`/`FAIL` lines (check_archive.Results) and `check_postproc: N passed, M failed`.
"""
import argparse
import csv
import math
import os
import re
import shutil
import subprocess
import sys

import h5py
import numpy as np
from scipy import stats

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from check_archive import Results, as_text, parse_options  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "integrity"))
import reference_checksum  # noqa: E402

SWEEP = ("frequency", "noise_type", "noise_level", "width", "lr", "seed")
NOISE = ("none", "node_dropout", "weight_dropout", "additive", "multiplicative", "gradient")
ALL_FIGURES = ("angle_to_pc", "variance_flow", "gamma_vs_chance", "drift_vs_frequency", "drift_predicted", "cross_day_accuracy", "task_loss",
               "variance_curve", "theory_ratio", "signature", "classifier_snapshots", "recording_vs_network", "mixing_vs_kappa",
               "modularity_days")
RTOL = 1e-9
NAN = math.nan
# The report's headline columns (include/repdrift/report.h), recomputed by point_headlines.
HEADLINES = ("final_loss", "mean_drift_fraction", "mean_drift_fraction_chance", "mean_angle_to_pc1",
             "cross_accuracy_first_last", "mean_overlap", "mean_overlap_chance")


# ----------------------------------------------------------------------------------------------
# The archive, read plainly

class Archive:
    """The archive in flattened point order, straight from h5py; values of points not done -> NaN."""

    def __init__(self, path):
        self.path = path
        self.f = h5py.File(path, "r")
        self.options = parse_options(as_text(self.f["config/options"][()]))
        self.status = self.f["sweep/status"][()]
        self.done = self.status == 1
        self.n = len(self.status)
        self.sweep = {name: self.f["sweep"][name][()] for name in SWEEP}
        self.model = self.options.get("model", "linear")
        self.protocol = self.options.get("protocol", "days")
        self.per_type = self.model == "classifier" and "sweep_noise_level" not in self.options \
            and "sweep_dropout" not in self.options
        self.axis_values = self._axis_values()

    def _axis_values(self):
        """The sweep's axes from /config/options (the test's own parse), in sweep order."""
        o = self.options

        def first_seen(values):
            out = []
            for v in values.tolist():
                if v not in out:
                    out.append(v)
            return out

        values = {
            "frequency": [float(x) for x in o["sweep_frequency"].split(",")] if "sweep_frequency" in o
            else first_seen(self.sweep["frequency"]),
            "noise_type": o["sweep_noise_type"].split(",") if "sweep_noise_type" in o
            else [NOISE[c] for c in first_seen(self.sweep["noise_type"])],
            "width": [int(x) for x in o["sweep_width"].split(",")],
            "lr": [float(x) for x in o["sweep_lr"].split(",")],
            "seed": list(range(int(o["sweep_seeds"]))),
        }
        level = o.get("sweep_noise_level", o.get("sweep_dropout"))
        values["noise_level"] = None if self.per_type else [float(x) for x in level.split(",")]
        return values

    def sizes(self):
        return [1 if self.axis_values[a] is None else len(self.axis_values[a]) for a in SWEEP]

    def decode(self, p):
        """The README's flattening, inverted by repeated division: axis indices of point p."""
        index = []
        for size in reversed(self.sizes()):
            index.append(p % size)
            p //= size
        return tuple(reversed(index))

    def get(self, path):
        values = self.f[path][()].astype(np.float64)
        values[~self.done] = NAN
        return values

    def has(self, path):
        return path in self.f

    def varying(self, axes):
        return [a for a in axes if (1 if self.axis_values[a] is None else len(self.axis_values[a])) > 1]

    def labels(self, axes):
        """Series label of every point and the labels in order of first appearance."""
        level_name = "level" if self.model == "classifier" else "dropout"
        labels = []
        for p in range(self.n):
            parts = []
            for axis in self.varying(axes):
                value = self.sweep[axis][p]
                if axis == "frequency":
                    parts.append("f=%g" % value)
                elif axis == "noise_type":
                    name = NOISE[value]
                    if self.per_type and "noise_level" in axes and name != "none":
                        name += " %g" % self.sweep["noise_level"][p]
                    parts.append(name)
                elif axis == "noise_level":
                    parts.append(f"{level_name} %g" % value)
                elif axis == "width":
                    parts.append(f"width {int(value)}")
                elif axis == "lr":
                    parts.append("lr %g" % value)
            labels.append(", ".join(parts) if parts else "all points")
        order = list(dict.fromkeys(labels))
        return np.array(labels, dtype=object), order


def mean_ci(values):
    v = np.asarray(values, dtype=np.float64).ravel()
    v = v[np.isfinite(v)]
    n = len(v)
    if n == 0:
        return None
    m = v.mean()
    if n < 2:
        return m, NAN, NAN, n
    half = stats.t.ppf(0.975, n - 1) * v.std(ddof=1) / math.sqrt(n)
    return m, m - half, m + half, n


def row(panel, series, kind, x, y, low=NAN, high=NAN, n="", label=""):
    return (panel, series, kind, float(x), label, float(y), float(low), float(high), str(n))


def add_mean(rows, panel, series, x, values, kind="mean", label=""):
    r = mean_ci(values)
    if r:
        rows.append(row(panel, series, kind, x, r[0], r[1], r[2], r[3], label))


# ----------------------------------------------------------------------------------------------
# Every figure, recomputed

def expected_per_pc(a, rows, panel, dataset, log):
    evr = a.get("/geometry/explained_variance_ratio")
    y_all = a.get(dataset)
    labels, order = a.labels(("noise_type", "noise_level"))
    lows, highs = [], []
    for series in order:
        xs, ys = [], []
        by_pc = {}
        for p in np.flatnonzero(labels == series):
            for d in range(1, evr.shape[1]):
                for k in range(evr.shape[2]):
                    for i in range(evr.shape[3]):
                        v, y = evr[p, d - 1, k, i], y_all[p, d, k, i]
                        if np.isfinite(v) and np.isfinite(y) and v > 1e-5 and (y > 0 or not log):
                            xs.append(v)
                            ys.append(y)
                            by_pc.setdefault(i, []).append((v, y))
        if not xs:
            continue
        for i in sorted(by_pc):
            if i >= 20:
                continue
            v, y = np.array(by_pc[i]).T
            if log:
                m, lo, hi, n = mean_ci(np.log10(y))
                rows.append(row(panel, series, "mean", 10 ** np.mean(np.log10(v)), 10 ** m, 10 ** lo if n > 1 else NAN,
                                10 ** hi if n > 1 else NAN, n, f"PC {i + 1}"))
            else:
                m, lo, hi, n = mean_ci(y)
                rows.append(row(panel, series, "mean", np.mean(v), m, lo, hi, n, f"PC {i + 1}"))
        xs, ys = np.array(xs), np.array(ys)
        fit = stats.linregress(np.log10(xs), np.log10(ys)) if log else stats.linregress(xs, ys)
        for x in (xs.min(), xs.max()):
            y = 10 ** (fit.intercept + fit.slope * math.log10(x)) if log else fit.intercept + fit.slope * x
            rows.append(row(panel, series, "fit", x, y, n=len(xs)))
        lows.append(xs.min())
        highs.append(xs.max())
    return min(lows), max(highs)


def expected_slopes(a, rows, panel, measured, null, fallback):
    labels, order = a.labels(("noise_type", "noise_level"))
    if a.has(measured):
        m, nl = a.get(measured), a.get(null)
        for i, series in enumerate(order):
            add_mean(rows, panel, "measured (/signature, pooled per point)", i - 0.15, m[labels == series], label=series)
            add_mean(rows, panel, "delta t = 0 null", i + 0.15, nl[labels == series], kind="null", label=series)
    elif fallback:
        m = a.get(fallback)
        for i, series in enumerate(order):
            add_mean(rows, panel, "measured (/drift, per day pair and stimulus)", i, m[labels == series], label=series)


def expect_angle_to_pc(a):
    rows = []
    panel = "angle of drift to PC i vs its explained variance"
    low, high = expected_per_pc(a, rows, panel, "/drift/angle_to_pc", log=False)
    rows += [row(panel, "random direction: 90 deg", "reference", low, 90), row(panel, "random direction: 90 deg", "reference", high, 90)]
    expected_slopes(a, rows, "fitted slope of angle vs v_i", "/signature/angle_slope", "/signature/null_angle_slope", "/drift/angle_slope")
    return rows


def expect_variance_flow(a):
    rows = []
    panel = "variance along PC i on the next day vs v_i"
    low, high = expected_per_pc(a, rows, panel, "/drift/variance_flow", log=True)
    rows += [row(panel, "equality (no flow)", "reference", low, low), row(panel, "equality (no flow)", "reference", high, high)]
    if a.has("/signature/variance_flow_loglog_slope"):
        expected_slopes(a, rows, "log-log slope of the flow", "/signature/variance_flow_loglog_slope",
                        "/signature/null_variance_flow_loglog_slope", None)
    return rows


def point_headlines(a):
    """The per-point headline columns (the report's), by explicit loops."""
    loss = a.get("/task/loss")
    gamma, chance = a.get("/drift/fraction_in_variational_space"), a.get("/drift/fraction_chance")
    angle = a.get("/drift/angle_to_pc")
    accuracy = a.get("/readout/classifier_accuracy")
    null = a.get("/drift/null_fraction_in_variational_space")
    overlap = a.get("/drift/variational_overlap")
    overlap_chance = overlap_chance_recomputed(a)
    days = loss.shape[1]
    out = {k: np.full(a.n, NAN) for k in HEADLINES + ("null",)}
    for p in range(a.n):
        if not a.done[p]:
            continue
        g, c = [], []
        for d in range(days - 1):
            for k in range(gamma.shape[3]):
                if np.isfinite(gamma[p, d, d + 1, k]) and np.isfinite(chance[p, d, d + 1, k]):
                    g.append(gamma[p, d, d + 1, k])
                    c.append(chance[p, d, d + 1, k])
        angles = [angle[p, d, k, 0] for d in range(1, days) for k in range(angle.shape[2]) if np.isfinite(angle[p, d, k, 0])]
        nulls = [x for x in null[p].ravel() if np.isfinite(x)]
        o = [(overlap[p, d, d + 1, k], overlap_chance[p, d, d + 1, k]) for d in range(days - 1)
             for k in range(overlap.shape[3]) if np.isfinite(overlap[p, d, d + 1, k])]
        out["final_loss"][p] = loss[p, days - 1]
        out["mean_drift_fraction"][p] = np.mean(g) if g else NAN
        out["mean_drift_fraction_chance"][p] = np.mean(c) if c else NAN
        out["mean_angle_to_pc1"][p] = np.mean(angles) if angles else NAN
        out["cross_accuracy_first_last"][p] = accuracy[p, 0, days - 1]
        out["null"][p] = np.mean(nulls) if nulls else NAN
        out["mean_overlap"][p] = np.mean([x for x, _ in o]) if o else NAN
        out["mean_overlap_chance"][p] = np.mean([c for _, c in o]) if o else NAN
    return out


def overlap_chance_recomputed(a):
    """The chance level of the overlap Gamma of days (d, later), recomputed from the variational
    dimensions k (/geometry/variational_dimension) and the width: max(k_d, k_later) / width for
    d < later when both spaces are non-empty, NaN elsewhere; NaN at points not done."""
    k = a.get("/geometry/variational_dimension")
    days, stimuli = k.shape[1], k.shape[2]
    out = np.full((a.n, days, days, stimuli), NAN)
    for p in np.flatnonzero(a.done):
        width = int(a.sweep["width"][p])
        for d in range(days):
            for later in range(d + 1, days):
                for s in range(stimuli):
                    if min(k[p, d, s], k[p, later, s]) >= 1:
                        out[p, d, later, s] = max(int(k[p, d, s]), int(k[p, later, s])) / width
    return out


def check_overlap_chance(results, a):
    """/drift/variational_overlap_chance equals max(k, k')/n recomputed, and is NaN exactly where the overlap is."""
    stored = a.get("/drift/variational_overlap_chance")
    want = overlap_chance_recomputed(a)
    overlap = a.get("/drift/variational_overlap")
    same = np.array_equal(stored, want, equal_nan=True)
    paired = np.array_equal(np.isnan(stored), np.isnan(overlap))
    results.check(same and paired, "/drift/variational_overlap_chance = max(k, k')/width recomputed from "
                  "/geometry/variational_dimension, NaN exactly where the overlap is",
                  f"{int(np.isfinite(want).sum())} pairs" if same and paired else
                  f"equal {same}, NaN pattern of the overlap {paired}")


def expect_gamma_vs_chance(a):
    rows = []
    panel = "drift in the variational space vs chance"
    h = point_headlines(a)
    labels, order = a.labels(("noise_type", "noise_level", "width", "lr"))
    for p in range(a.n):
        g, c, nl = h["mean_drift_fraction"][p], h["mean_drift_fraction_chance"][p], h["null"][p]
        if np.isfinite(g) and np.isfinite(c):
            rows.append(row(panel, labels[p], "point", c, g, n=1))
        if np.isfinite(nl) and np.isfinite(c):
            rows.append(row(panel, labels[p] + " (split-half null)", "null", c, nl, n=1))
    rows += [row(panel, "gamma = chance (random direction)", "reference", 0, 0),
             row(panel, "gamma = chance (random direction)", "reference", 1, 1)]
    if a.has("/drift/variational_overlap_chance"):
        panel = "overlap of the variational spaces vs chance"
        for p in range(a.n):
            o, c = h["mean_overlap"][p], h["mean_overlap_chance"][p]
            if np.isfinite(o) and np.isfinite(c):
                rows.append(row(panel, labels[p], "point", c, o, n=1))
        rows += [row(panel, "Gamma = chance (random subspaces)", "reference", 0, 0),
                 row(panel, "Gamma = chance (random subspaces)", "reference", 1, 1)]
    return rows


def expect_drift_vs_frequency(a):
    angle = a.get("/drift/angle_between_means")
    drift = np.full(a.n, NAN)
    for p in range(a.n):
        per_day = [angle[p, d, d + 1, 0] for d in range(angle.shape[1] - 1) if np.isfinite(angle[p, d, d + 1, 0])]
        if per_day:
            drift[p] = np.mean(per_day)
    labels, order = a.labels(("noise_type", "noise_level", "width", "lr"))
    rows = []
    for series in order:
        for freq in a.axis_values["frequency"]:
            add_mean(rows, "drift of stimulus 0 per day vs its frequency", series, freq,
                     drift[(labels == series) & (a.sweep["frequency"] == freq)])
    return rows


def expect_drift_predicted(a):
    """Per point the mean over day pairs of one lag and stimuli of the measured angle, of the predicted
    one, and of their ratio where both are finite; mean and t interval over each setting's points."""
    measured, predicted = a.get("/drift/angle_between_means"), a.get("/theory/drift_angle_predicted")
    days = measured.shape[1]
    labels, order = a.labels(("noise_type", "noise_level", "width", "lr"))
    rows = []

    def per_point(values, lag):
        out = np.full(a.n, NAN)
        for p in range(a.n):
            v = [values[p, d, d + lag, s] for d in range(days - lag) for s in range(values.shape[3])]
            v = [x for x in v if np.isfinite(x)]
            if v:
                out[p] = np.mean(v)
        return out

    ratio = np.full(measured.shape, NAN)
    for index in np.ndindex(measured.shape):
        if np.isfinite(measured[index]) and np.isfinite(predicted[index]) and predicted[index] > 0:
            ratio[index] = measured[index] / predicted[index]
    for series in order:
        sel = labels == series
        for lag in range(1, days):
            add_mean(rows, "angle between the day means vs lag", series, lag, per_point(measured, lag)[sel], kind="measured")
            add_mean(rows, "angle between the day means vs lag", series, lag, per_point(predicted, lag)[sel], kind="predicted")
            add_mean(rows, "measured / predicted angle vs lag", series, lag, per_point(ratio, lag)[sel])
    rows += [row("measured / predicted angle vs lag", "measured = predicted", "reference", 1, 1),
             row("measured / predicted angle vs lag", "measured = predicted", "reference", days - 1, 1)]
    return rows


def expect_cross_day_accuracy(a):
    rows = []
    labels, order = a.labels(("noise_type", "noise_level", "width", "lr"))
    accuracy = a.get("/readout/classifier_accuracy")
    days = accuracy.shape[1]
    for panel, dataset in (("accuracy of day d's classifier on day d + lag", "/readout/classifier_accuracy"),
                           ("angle between the classifiers of d and d + lag", "/readout/classifier_angle")):
        values = a.get(dataset)
        for series in order:
            for lag in range(days):
                per_point = []
                for p in np.flatnonzero(labels == series):
                    pairs = [values[p, d, d + lag] for d in range(days - lag) if np.isfinite(values[p, d, d + lag])]
                    per_point.append(np.mean(pairs) if pairs else NAN)
                add_mean(rows, panel, series, lag, per_point)
    panel = "accuracy of day d's classifier on day d + lag"
    rows += [row(panel, "chance 0.5", "chance", 0, 0.5), row(panel, "chance 0.5", "chance", days - 1, 0.5)]
    return rows


def expect_task_loss(a):
    rows = []
    loss = a.get("/task/loss")
    labels, order = a.labels(("noise_type", "noise_level", "width", "lr"))
    for series in order:
        for d in range(loss.shape[1]):
            add_mean(rows, "task loss at the end of each day", series, d, loss[labels == series, d])
    return rows


def expect_variance_curve(a):
    rows = []
    measured, predicted = a.get("/theory/variance_curve"), a.get("/theory/variance_curve_predicted")
    time = a.get("/theory/time")
    labels, order = a.labels(SWEEP[:-1])
    panels = 0
    for combination in order:
        sel = (labels == combination) & a.done
        if not np.isfinite(measured[sel]).any():
            continue
        if panels == 16:
            break
        panels += 1
        t = np.nanmean(time[sel], axis=0)
        for k in range(measured.shape[1]):
            for r in range(measured.shape[2]):
                v = measured[sel, k, r]
                v = v[np.isfinite(v)]
                if len(v) and np.isfinite(t[r]):
                    se = v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else NAN
                    rows.append(row(combination, f"stimulus {k}", "measured", t[r], v.mean(), v.mean() - se, v.mean() + se, len(v)))
                w = predicted[sel, k, r]
                w = w[np.isfinite(w)]
                if len(w) and np.isfinite(t[r]):
                    rows.append(row(combination, f"stimulus {k}", "predicted", t[r], w.mean(), n=len(w)))
    return rows


def expect_theory_ratio(a):
    rows = []
    probability = a.get("/sweep/stimulus_probability")
    labels, _ = a.labels(("noise_type", "noise_level", "width", "lr"))
    for symbol, name in (("F_s", "fluctuation"), ("sigma_s", "diffusion_slope")):
        m_all, s_all, p_all = (a.get(f"/theory/{name}_{kind}") for kind in ("measured", "stderr", "predicted"))
        for p in np.flatnonzero(a.done):
            for k in range(m_all.shape[1]):
                m, s, pred, x = m_all[p, k], s_all[p, k], p_all[p, k], probability[p, k]
                if np.isfinite(m) and np.isfinite(pred) and pred != 0:
                    ends = sorted([(m - s) / pred, (m + s) / pred])
                    rows.append(row(f"{symbol}: measured / predicted", labels[p], "point", x, m / pred, ends[0], ends[1], 1))
                if np.isfinite(m):
                    rows.append(row(f"{symbol} vs presentation probability", labels[p], "measured", x, m, m - s, m + s, 1))
                if np.isfinite(pred):
                    rows.append(row(f"{symbol} vs presentation probability", labels[p], "predicted", x, pred, n=1))
    xs = [r[3] for r in rows]
    for symbol in ("F_s", "sigma_s"):
        if any(r[0] == f"{symbol}: measured / predicted" for r in rows):
            rows += [row(f"{symbol}: measured / predicted", "measured = predicted", "reference", min(xs), 1),
                     row(f"{symbol}: measured / predicted", "measured = predicted", "reference", max(xs), 1)]
    return rows


# The signature panels: (panel, metric, null, chance, reference, paper values). The paper's numbers
# are those of Aitken et al. 2022 for node dropout (text) and the readout rotation over 5 epochs.
SIGNATURE = (
    ("slope of angle vs v_i (deg)", "angle_slope", "null_angle_slope", None, None, {}),
    ("Pearson r of angle vs v_i", "angle_r", "null_angle_r", None, None, {}),
    ("angle of drift to PC 1 (deg)", "angle_to_pc1", "null_angle_to_pc1", None, 90.0, {}),
    ("log-log slope of the variance flow", "variance_flow_loglog_slope", "null_variance_flow_loglog_slope", None, 1.0, {}),
    ("gamma: drift in the variational space", "fraction_in_variational_space", "null_fraction_in_variational_space",
     "fraction_chance", None, {}),
    ("share of variance in the variational space", "variance_in_variational_space", None, None, None, {"node_dropout": (0.82, NAN)}),
    ("D / n", "participation_ratio_per_unit", None, None, None, {"node_dropout": (0.070, 0.003)}),
    ("relative cross accuracy a_rel", "relative_cross_accuracy", "null_relative_cross_accuracy", None, None,
     {"node_dropout": (0.86, 0.03)}),
    ("angle between consecutive classifiers (deg)", "classifier_angle", "null_classifier_angle", None, None,
     {"node_dropout": (71.0, 3.0)}),
    ("snapshot discrimination accuracy", "day_discrimination_accuracy", "null_day_discrimination_accuracy", None, 0.5, {}),
)


def expect_signature(a):
    rows = []
    codes = np.array([NOISE[c] for c in a.sweep["noise_type"]])
    names = [t for t in a.axis_values["noise_type"] if (a.done & (codes == t)).any()]
    for panel, metric, null, chance, reference, paper in SIGNATURE:
        for i, name in enumerate(names):
            sel = codes == name
            add_mean(rows, panel, "measured", i - 0.2, a.get(f"/signature/{metric}")[sel], label=name)
            if null:
                add_mean(rows, panel, "delta t = 0 null", i, a.get(f"/signature/{null}")[sel], kind="null", label=name)
            if chance:
                add_mean(rows, panel, "chance k/n", i + 0.1, a.get(f"/signature/{chance}")[sel], kind="chance", label=name)
            if name in paper:
                v, pm = paper[name]
                rows.append(row(panel, "paper (Aitken et al. 2022)", "paper", i + 0.2, v, v - pm, v + pm, "", name))
        if reference is not None:
            rows += [row(panel, f"reference {reference:g}", "reference", -0.5, reference),
                     row(panel, f"reference {reference:g}", "reference", len(names) - 0.5, reference)]
    rotation = a.get("/signature/readout_rotation")
    per_epoch = int(a.options["snapshots_per_epoch"])
    panel = "readout rotation, end to end (deg)"
    five = 5 * per_epoch < rotation.shape[1]
    values = rotation[:, 5 * per_epoch] if five else a.get("/signature/readout_rotation_total")
    series = "measured after 5 epochs" if five else "measured over the whole run (%g epochs)" % ((rotation.shape[1] - 1) / per_epoch)
    for i, name in enumerate(names):
        add_mean(rows, panel, series, i - 0.2, values[codes == name], label=name)
        if five and name in ("node_dropout", "gradient"):
            rows.append(row(panel, "paper (Aitken et al. 2022)", "paper", i + 0.2, {"node_dropout": 2.6, "gradient": 18.6}[name],
                            label=name))
    return rows


def expect_classifier_snapshots(a):
    rows = []
    per_epoch = int(a.options["snapshots_per_epoch"])
    labels, order = a.labels(("noise_type", "noise_level", "width", "lr"))
    accuracy = a.get("/signature/accuracy")
    for panel, dataset in (("held-out accuracy", "/signature/accuracy"),
                           ("readout rotation since snapshot 0 (deg)", "/signature/readout_rotation")):
        values = a.get(dataset)
        for series in order:
            for s in range(values.shape[1]):
                add_mean(rows, panel, series, s / per_epoch, values[labels == series, s])
    if "num_classes" in a.options:
        c = int(a.options["num_classes"])
        rows += [row("held-out accuracy", f"chance 1/{c}", "chance", 0, 1 / c),
                 row("held-out accuracy", f"chance 1/{c}", "chance", (accuracy.shape[1] - 1) / per_epoch, 1 / c)]
    return rows


def expect_mixing_vs_kappa(a):
    panel = "learned mixing on the last day vs kappa"
    kappa, mixing = a.get("/modularity/kappa"), a.get("/modularity/mixing_max")[:, -1]
    labels, _ = a.labels(("noise_type", "noise_level", "width", "lr"))
    rows = [row(panel, labels[p], "point", kappa[p], mixing[p], n=1) for p in range(a.n)
            if np.isfinite(kappa[p]) and np.isfinite(mixing[p])]
    return rows + [row(panel, "kappa = 0 (modular iff kappa <= 0)", "reference", 0, 0),
                   row(panel, "kappa = 0 (modular iff kappa <= 0)", "reference", 0, 1)]


def expect_modularity_days(a):
    rows = []
    labels, order = a.labels(SWEEP[:-1])
    for panel, dataset in (("mixing of the most mixed unit", "/modularity/mixing_max"), ("InfoM (1 = modular)", "/modularity/infom")):
        values = a.get(dataset)
        for series in order:
            for d in range(values.shape[1]):
                add_mean(rows, panel, series, d, values[labels == series, d])
    return rows


EXPECTED = {
    "angle_to_pc": expect_angle_to_pc, "variance_flow": expect_variance_flow, "gamma_vs_chance": expect_gamma_vs_chance,
    "drift_vs_frequency": expect_drift_vs_frequency, "drift_predicted": expect_drift_predicted,
    "cross_day_accuracy": expect_cross_day_accuracy,
    "task_loss": expect_task_loss, "variance_curve": expect_variance_curve, "theory_ratio": expect_theory_ratio,
    "signature": expect_signature, "classifier_snapshots": expect_classifier_snapshots,
    "mixing_vs_kappa": expect_mixing_vs_kappa, "modularity_days": expect_modularity_days,
}


# ----------------------------------------------------------------------------------------------
# Comparisons

def read_csv(path):
    comments, rows = [], []
    with open(path, newline="", encoding="utf-8") as f:
        lines = f.read().splitlines()
    body = []
    for line in lines:
        (comments if line.startswith("#") else body).append(line)
    reader = csv.reader(body)
    header = next(reader)
    for r in reader:
        rows.append((r[0], r[1], r[2], float(r[3]), r[4], float(r[5]) if r[5] else NAN, float(r[6]) if r[6] else NAN,
                     float(r[7]) if r[7] else NAN, r[8]))
    return header, comments, rows


def close(a, b):
    if isinstance(a, str) or isinstance(b, str):
        return str(a) == str(b)
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return abs(a - b) <= RTOL * max(abs(a), abs(b)) + 1e-300


def sort_key(r):
    return (r[0], r[1], r[2], r[4], round(r[3], 9), round(r[5], 9) if math.isfinite(r[5]) else 0.0)


def compare_rows(results, name, got, want):
    problems = []
    if len(got) != len(want):
        problems.append(f"{len(got)} rows, expected {len(want)}")
    missing = {(r[0], r[1], r[2]) for r in want} - {(r[0], r[1], r[2]) for r in got}
    extra = {(r[0], r[1], r[2]) for r in got} - {(r[0], r[1], r[2]) for r in want}
    if missing:
        problems.append(f"missing (panel, series, kind) {sorted(missing)[:3]}")
    if extra:
        problems.append(f"unexpected (panel, series, kind) {sorted(extra)[:3]}")
    if not problems:
        for g, w in zip(sorted(got, key=sort_key), sorted(want, key=sort_key)):
            scale = max(abs(v) for v in (w[5], w[6], w[7]) + (g[5], g[6], g[7]) if math.isfinite(v)) if any(
                math.isfinite(v) for v in (w[5], g[5])) else 0.0
            # y to RTOL of the row's scale; the interval ends to 1e-7 of it (an end is a difference of two
            # numbers, and scipy's t quantile is itself accurate to ~1e-9 only)
            same_y = all(close(x, y) or (math.isfinite(x) and math.isfinite(y) and abs(x - y) <= tolerance * scale)
                         for x, y, tolerance in zip(g[5:8], w[5:8], (RTOL, 1e-7, 1e-7)))
            if not (same_y and all(close(x, y) for x, y in zip(g[:5] + g[8:], w[:5] + w[8:]))):
                problems.append(f"row {g} != expected {w}")
                if len(problems) > 3:
                    break
    results.check_all(f"{name}: CSV equals the archive's values recomputed ({len(want)} rows)", problems)


def check_png(results, name, path, width, height):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    image = mpimg.imread(path)
    rgb = image[..., :3]
    not_white = float((rgb.min(axis=-1) < 0.95).mean())
    results.check(image.shape[1] == width and image.shape[0] == height, f"{name}.png is {width} x {height} pixels as stated",
                  f"{image.shape[1]} x {image.shape[0]}")
    results.check(rgb.std() > 0.01 and not_white > 0.01, f"{name}.png is not blank", f"{100 * not_white:.1f} % not white")


def check_provenance_text(results, where, text, a):
    wanted = [os.path.abspath(a.path), as_text(a.f.attrs["program_version"]), as_text(a.f.attrs["git_revision"]),
              as_text(a.f.attrs["created"])]
    missing = [w for w in wanted if w not in text]
    results.check(not missing, f"{where} carries the provenance (archive, version, git revision, created)", f"missing {missing}")


def check_open_archive(results, a, tag):
    """open_archive of every group against the archive read plainly."""
    import repdrift
    groups = [g for g in a.f if isinstance(a.f[g], h5py.Group) and g != "config"]
    sizes = a.sizes()
    index = [a.decode(p) for p in range(a.n)]
    # the Cartesian product itself, checked here from /sweep and the options
    problems = []
    for p, at in enumerate(index):
        for axis, i in zip(SWEEP, at):
            if axis == "noise_level" and a.per_type:
                continue
            want = a.axis_values[axis][i]
            have = NOISE[a.sweep[axis][p]] if axis == "noise_type" else a.sweep[axis][p]
            if have != want:
                problems.append(f"point {p} {axis} {have} != {want}")
    results.check_all(f"{tag}: /sweep is the Cartesian product of the options in the README's order", problems)
    for group in groups:
        ds = repdrift.open_archive(a.path, group)
        problems = []
        coordinate_values = {axis: list(ds[axis].values.tolist()) for axis in SWEEP if axis in ds.coords}
        for axis in SWEEP:
            want = a.axis_values[axis]
            if want is None:
                if axis in ds.coords:
                    problems.append("noise_level has a coordinate although the levels are per type")
                level = [a.sweep["noise_level"][a.sweep["noise_type"] == NOISE.index(t)][0] for t in a.axis_values["noise_type"]]
                if ds["noise_level_of_type"].values.tolist() != level:
                    problems.append(f"noise_level_of_type {ds['noise_level_of_type'].values} != {level}")
            elif coordinate_values.get(axis) != want:
                problems.append(f"coordinate {axis} {coordinate_values.get(axis)} != {want}")
        if list(ds.status.dims) != list(SWEEP) or \
                any(ds.status.values[at] != a.status[p] for p, at in enumerate(index)):
            problems.append("status coordinate differs")
        names = [n for n in a.f[group] if not (group == "sweep" and (n in SWEEP or n == "status"))]
        if sorted(names) != sorted(ds.data_vars):
            problems.append(f"variables {sorted(ds.data_vars)} != datasets {sorted(names)}")
        for name in names:
            dataset = a.f[group][name]
            dims = [dim[0].name.rsplit("/", 1)[-1] for dim in dataset.dims]
            var = ds[name]
            if list(var.dims) != list(SWEEP) + dims[1:]:
                problems.append(f"{name} dims {var.dims}")
                continue
            if list(var.shape) != sizes + list(dataset.shape[1:]):
                problems.append(f"{name} shape {var.shape}")
                continue
            for dim in dims[1:]:
                labels = a.f[dim].attrs.get("labels")  # a scale of named indices (phase): the names
                want = [x.decode() if isinstance(x, bytes) else str(x) for x in labels] if labels is not None else a.f[dim][()]
                if dim not in ds.coords or not np.array_equal(ds[dim].values, want):
                    problems.append(f"{name}: coordinate {dim} is not the archive's scale /{dim} (its labels where it has them)")
            raw = dataset[()]
            values = var.values
            for p, at in enumerate(index):
                keep = group == "sweep" or a.done[p]
                want = raw[p].astype(np.float64) if keep else np.full(raw.shape[1:], NAN)
                if not np.array_equal(np.asarray(values[at], dtype=np.float64), want, equal_nan=True):
                    problems.append(f"/{group}/{name} at point {p} (indices {at}) differs")
                    break
        results.check_all(f"{tag}: open_archive('{group}'): sweep dimensions in order, coordinates, values, NaN where not done",
                          problems, f"{len(names)} variables")


def independent_summary(a):
    """{(frequency, noise type, level, width, lr): (n_points, n_not_done, {column: (mean, se, n)})}."""
    h = point_headlines(a)
    groups = {}
    for p in range(a.n):
        key = (a.sweep["frequency"][p], NOISE[a.sweep["noise_type"][p]], a.sweep["noise_level"][p], a.sweep["width"][p], a.sweep["lr"][p])
        groups.setdefault(key, []).append(p)
    out = {}
    for key, points in groups.items():
        columns = {}
        for name in HEADLINES:
            v = np.array([h[name][p] for p in points if a.done[p] and np.isfinite(h[name][p])])
            columns[name] = (v.mean() if len(v) else NAN, v.std(ddof=1) / math.sqrt(len(v)) if len(v) > 1 else NAN, len(v))
        out[key] = (len(points), sum(1 for p in points if not a.done[p]), columns)
    return out


SUMMARY_HEADER = ["frequency", "noise_type", "noise_level", "width", "lr", "n_points", "n_not_done"] + \
    [f"{name}_{what}" for name in HEADLINES for what in ("mean", "se", "n")]


def compare_summary_csv(results, tag, text, a):
    """A summary table (CSV text, comment lines '#') against the independent aggregation."""
    want = independent_summary(a)
    lines = [line for line in text.splitlines() if line and not line.startswith("#")]
    header_ok = bool(lines) and lines[0] == ",".join(SUMMARY_HEADER)
    results.check(header_ok, f"{tag}: the header names the axes and mean, se, n of every headline column",
                  "" if header_ok else (lines[0] if lines else "no lines"))
    reader = csv.DictReader(lines)
    problems, seen = [], 0
    for r in reader:
        key = (float(r["frequency"]), r["noise_type"], float(r["noise_level"]), int(r["width"]), float(r["lr"]))
        match = [k for k in want if k[1] == key[1] and k[3] == key[3] and all(close(float(x), float(y)) for x, y in
                                                                         ((k[0], key[0]), (k[2], key[2]), (k[4], key[4])))]
        if len(match) != 1:
            problems.append(f"row {key} matches {len(match)} combinations")
            continue
        seen += 1
        n_points, n_not_done, columns = want[match[0]]
        if int(r["n_points"]) != n_points or int(r["n_not_done"]) != n_not_done:
            problems.append(f"{key}: n_points/n_not_done {r['n_points']}/{r['n_not_done']} != {n_points}/{n_not_done}")
        for name, (m, se, n) in columns.items():
            got = (float(r[name + "_mean"]), float(r[name + "_se"]), int(r[name + "_n"]))
            if not (close(got[0], m) and close(got[1], se) and got[2] == n):
                problems.append(f"{key} {name}: {got} != {(m, se, n)}")
    if seen != len(want):
        problems.append(f"{seen} rows for {len(want)} combinations")
    results.check_all(f"{tag}: agrees with the independent aggregation over seeds ({len(want)} combinations)", problems)


# ----------------------------------------------------------------------------------------------
# The commands

def run_figures(results, plot, archive, workdir, expect, formats="png", report=None):
    a = Archive(archive)
    shutil.rmtree(workdir, ignore_errors=True)
    run = subprocess.run([plot, archive, "-o", workdir, "--format", formats], capture_output=True, text=True)
    results.check(run.returncode == 0, f"repdrift-plot {os.path.basename(archive)} exits 0",
                  run.stderr.strip()[-500:] if run.returncode else "")
    index_path = os.path.join(workdir, "index.html")
    results.check(run.stdout.strip().endswith(index_path), "repdrift-plot prints the path of index.html", run.stdout.strip())
    with open(index_path, encoding="utf-8") as f:
        index = f.read()
    check_provenance_text(results, "index.html", index, a)
    drawn = re.findall(r'<figure id="([^"]+)">', index)
    skipped = dict(re.findall(r"<li><b>([^<]+)</b>: ([^<]+)</li>", index))
    results.check(sorted(drawn) == sorted(expect), "the index shows the figures this archive has data for",
                  f"drawn {sorted(drawn)}, expected {sorted(expect)}")
    for name in ALL_FIGURES:
        if name in expect:
            continue
        results.check(name in skipped and len(skipped[name].strip()) > 10 and f"skipped {name}: " in run.stderr,
                      f"{name}: skipped with a note in the index and on stderr ({skipped.get(name, 'no note')})")
        results.check(not os.path.exists(os.path.join(workdir, name + ".png")), f"{name}: no image written")
    for name in drawn:
        header, comments, got = read_csv(os.path.join(workdir, name + ".csv"))
        results.check(header == ["panel", "series", "kind", "x", "x_label", "y", "y_low", "y_high", "n"], f"{name}.csv header")
        check_provenance_text(results, f"{name}.csv", "\n".join(comments), a)
        compare_rows(results, name, got, EXPECTED[name](a))
        size = re.search(rf'<img src="{name}\.png" width="(\d+)" height="(\d+)"', index)
        stated = re.search(r"image: (\d+) x (\d+) pixels", "\n".join(comments))
        results.check(bool(size) and bool(stated) and size.groups() == stated.groups(), f"{name}: index and CSV state one size")
        if size:
            check_png(results, name, os.path.join(workdir, name + ".png"), int(size.group(1)), int(size.group(2)))
        for fmt in formats.split(","):
            path = os.path.join(workdir, f"{name}.{fmt}")
            results.check(os.path.exists(path) and os.path.getsize(path) > 1000, f"{name}.{fmt} written")
        caption = re.search(rf'<figure id="{name}">.*?<figcaption>(.*?)</figcaption>', index, re.S)
        results.check(bool(caption) and len(caption.group(1)) > 300 and "Aitken" in caption.group(1) or
                      bool(caption) and ("Pashakhanloo" in caption.group(1) or "Dorrell" in caption.group(1)),
                      f"{name}: a caption of a paragraph naming its paper")
    check_open_archive(results, a, os.path.basename(archive))
    if a.has("/drift/variational_overlap_chance"):
        check_overlap_chance(results, a)
    if a.protocol == "days":
        with open(os.path.join(workdir, "summary.csv"), encoding="utf-8") as f:
            compare_summary_csv(results, "summary.csv", f.read(), a)
    if report:
        import repdrift
        ds = repdrift.summary(archive)
        text = "\n".join(",".join(r) for r in [repdrift.summary_csv_header()] + repdrift.summary_csv_rows(ds))
        run_report_summary(results, report, archive, a, text)


def run_sweep(results, repdrift, merge, report, plot, workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    options = ["-sweep_frequency", "0.3,0.6", "-sweep_dropout", "0,0.2", "-sweep_width", "8", "-sweep_lr", "0.02,0.6",
               "-sweep_seeds", "3", "-burnin_steps", "4000", "-days", "3", "-steps_per_day", "1000", "-probe_samples", "40",
               "-terse"]
    slices = []
    for i in range(3):
        out = os.path.join(workdir, f"slice{i}.h5")
        run = subprocess.run([repdrift] + options + ["-sweep_slice", f"{i},3", "-output", out], capture_output=True, text=True)
        results.check(run.returncode == 0, f"slice {i} of the diverging 3-seed sweep runs",
                      run.stdout[-300:] + run.stderr[-300:] if run.returncode else "")
        slices.append(out)
    merged = os.path.join(workdir, "merged.h5")
    run = subprocess.run([merge, merged] + slices, capture_output=True, text=True)
    results.check(run.returncode == 0, "repdrift-merge of the 3 slices", run.stderr[-300:] if run.returncode else "")
    slice0 = Archive(slices[0])
    results.check((slice0.status == 0).any() and slice0.done.any(), "slice 0 has done and pending points")
    check_open_archive(results, slice0, "slice 0 of 3")
    a = Archive(merged)
    diverged = int((a.status == 2).sum())
    results.check(diverged >= 1 and a.done.sum() >= a.n // 2, "the merged sweep has diverged points among done ones",
                  f"status {a.status.tolist()}")
    check_open_archive(results, a, "merged")

    import repdrift
    ds = repdrift.summary(merged)
    text = "\n".join(",".join(r) for r in [repdrift.summary_csv_header()] + repdrift.summary_csv_rows(ds))
    compare_summary_csv(results, "repdrift.summary()", text, a)
    partial = int(((ds.n_not_done.values > 0) & (ds.final_loss_n.values > 0)).sum())
    results.check(partial >= 1, "a combination with points left out still has a mean over the rest",
                  f"n_not_done {ds.n_not_done.values.ravel().tolist()}")
    for name in ("final_loss", "mean_drift_fraction", "mean_angle_to_pc1"):
        want = independent_summary(a)
        problems = []
        for key, (_, _, columns) in want.items():
            m = float(ds[name + "_mean"].sel(frequency=key[0], noise_type=key[1], noise_level=key[2], width=key[3], lr=key[4]))
            if not close(m, columns[name][0]):
                problems.append(f"{key}: {m} != {columns[name][0]}")
        results.check_all(f"summary().{name}_mean.sel(...) by coordinates", problems)
    run_report_summary(results, report, merged, a, text)
    # the same sweep with one done point marked failed (status 3) and one pending (status 0), their
    # data left in place: both must be left out of every column and counted as not done
    doctored = os.path.join(workdir, "merged_failed.h5")
    shutil.copy(merged, doctored)
    with h5py.File(doctored, "r+") as f:
        status = f["sweep/status"]
        done = np.flatnonzero(status[()] == 1)
        status[done[0]] = 3
        status[done[-1]] = 0
        # the status is checksummed: re-stamp the edited point by the independent reference (SipHash-2-4
        # over the stored bytes) so that the loader's verification accepts this deliberate edit
        schema = subprocess.run([report, "-schema"], capture_output=True, text=True, check=True).stdout
        checksum = f["sweep/checksum"]
        for point, value in reference_checksum.point_checksums(f, schema).items():
            checksum[point] = value
    b = Archive(doctored)
    results.check((b.status == 3).sum() == 1 and (b.status == 0).sum() == 1 and (b.status == 2).any(),
                  "a copy with a failed, a pending and diverged points", f"status {b.status.tolist()}")
    ds_b = repdrift.summary(doctored)
    text_b = "\n".join(",".join(r) for r in [repdrift.summary_csv_header()] + repdrift.summary_csv_rows(ds_b))
    compare_summary_csv(results, "repdrift.summary() with a failed and a pending point", text_b, b)
    run_report_summary(results, report, doctored, b, text_b)
    expect = ["angle_to_pc", "variance_flow", "gamma_vs_chance", "drift_vs_frequency", "drift_predicted", "cross_day_accuracy",
              "task_loss"]
    run_figures(results, plot, merged, os.path.join(workdir, "figures"), expect)


def check_shortest(results, tag, text):
    """Every float cell of a CSV is the shortest text that reads back as its double (python's repr)."""
    bad = []
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        for cell in line.split(","):
            try:
                value = float(cell)
            except ValueError:
                continue  # a name, a header
            if re.fullmatch(r"-?\d+", cell):
                continue  # an integer column
            if repr(value) != cell:
                bad.append(f"{cell} (repr {value!r})")
    results.check_all(f"{tag}: floats in the shortest form that reads back (python's repr)", bad)


def run_report_summary(results, report, path, a, python_csv):
    """repdrift-report PATH -summary -csv / -csv / -summary against the independent aggregation and
    against repdrift.summary() (PYTHON_CSV: its rows as CSV text)."""
    tag = f"repdrift-report {os.path.basename(path)}"
    run = subprocess.run([report, path, "-summary", "-csv"], capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line and not line.startswith("#")]
    import repdrift
    header_ok = run.returncode == 0 and bool(lines) and lines[0] == ",".join(repdrift.summary_csv_header())
    results.check(header_ok, f"{tag} -summary -csv prints the summary table headed by repdrift.summary_csv_header()",
                  "" if header_ok else
                  f"exit {run.returncode}, first line {lines[0] if lines else None!r}, stderr {run.stderr.strip()[-300:]!r}")
    compare_summary_csv(results, f"{tag} -summary -csv", run.stdout, a)
    check_shortest(results, f"{tag} -summary -csv", run.stdout)
    # C and python, row by row: the same axes and counts, floats to 1e-12 (both sum in their own order)
    python_rows = [r.split(",") for r in python_csv.splitlines()]
    problems = []
    if len(python_rows) != len(lines):
        problems.append(f"{len(lines)} lines, python {len(python_rows)}")
    for c_row, p_row in zip([r.split(",") for r in lines], python_rows):
        for x, y in zip(c_row, p_row):
            try:
                same = x == y or abs(float(x) - float(y)) <= 1e-12 * max(abs(float(x)), abs(float(y)))
            except ValueError:
                same = False
            if not same:
                problems.append(f"{x} != python {y} in row {c_row[:7]}")
    results.check_all(f"{tag} -summary -csv equals repdrift.summary() (floats to 1e-12)", problems)
    # the per-point table
    run = subprocess.run([report, path, "-csv"], capture_output=True, text=True)
    lines = [line for line in run.stdout.splitlines() if line and not line.startswith("#")]
    header = ["point", "frequency", "noise_type", "noise_level", "width", "lr", "seed", "status"] + list(HEADLINES)
    header_ok = run.returncode == 0 and bool(lines) and lines[0] == ",".join(header)
    results.check(header_ok, f"{tag} -csv: the per-point header",
                  "" if header_ok else (lines[0] if lines else run.stderr.strip()))
    check_shortest(results, f"{tag} -csv", run.stdout)
    h = point_headlines(a)
    problems = []
    for r in csv.DictReader(lines):
        p = int(r["point"])
        if r["status"] != ("pending", "done", "diverged", "failed")[a.status[p]] or int(r["seed"]) != a.sweep["seed"][p] or \
                int(r["width"]) != a.sweep["width"][p] or r["noise_type"] != NOISE[a.sweep["noise_type"][p]] or \
                float(r["frequency"]) != a.sweep["frequency"][p] or float(r["lr"]) != a.sweep["lr"][p]:
            problems.append(f"point {p}: sweep coordinates or status {dict(list(r.items())[:8])}")
        for name in HEADLINES:
            if not close(float(r[name]), h[name][p]):
                problems.append(f"point {p} {name}: {r[name]} != {h[name][p]!r}")
    if len(lines) != a.n + 1:
        problems.append(f"{len(lines) - 1} rows for {a.n} points")
    results.check_all(f"{tag} -csv: every point's headline columns equal the independent recomputation (NaN where not done)", problems)
    # the text table counts the points left out
    run = subprocess.run([report, path, "-summary"], capture_output=True, text=True)
    counts = [int((a.status == s).sum()) for s in range(4)]
    want = f"{a.n - counts[1]} of {a.n} points not done, left out (pending {counts[0]}, diverged {counts[2]}, failed {counts[3]})"
    results.check(run.returncode == 0 and want in run.stdout, f"{tag} -summary counts the points left out: {want}",
                  "" if want in run.stdout else run.stdout[-400:])


def run_errors(results, plot, archive, workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    text = os.path.join(workdir, "notes.txt")
    with open(text, "w") as f:
        f.write("not an archive\n")
    plain = os.path.join(workdir, "plain.h5")
    with h5py.File(plain, "w") as f:
        f["x"] = np.arange(3)
    broken = os.path.join(workdir, "not_cartesian.h5")
    shutil.copy(archive, broken)
    with h5py.File(broken, "r+") as f:
        width = f["sweep/width"]
        width[1] = width[0] + 1000
    output_file = os.path.join(workdir, "taken")
    with open(output_file, "w") as f:
        f.write("keep me\n")
    cases = [
        ("a text file", [text], "not an HDF5 file"),
        ("an HDF5 file without format = repdrift", [plain], "not a repdrift archive"),
        ("a directory", [workdir], "directory"),
        ("a missing path", [os.path.join(workdir, "missing.h5")], "no such file"),
        ("an archive whose points are not the Cartesian product", [broken], "/sweep/width of point 1"),
        ("an unknown --only name", [archive, "--only", "nonsense"], "--only"),
        ("an unknown --format", [archive, "--format", "gif"], "--format"),
        ("an output path that is a file", [archive, "-o", output_file], "not a directory"),
    ]
    for what, arguments, message in cases:
        out = os.path.join(workdir, "out")
        arguments = arguments + ([] if "-o" in arguments else ["-o", out])
        run = subprocess.run([plot] + arguments, capture_output=True, text=True)
        lines = run.stderr.strip().splitlines()
        results.check(run.returncode == 2 and len(lines) == 1 and message in lines[0] and not os.path.exists(out),
                      f"{what}: exit 2, one line naming it, nothing written",
                      f"exit {run.returncode}, stderr {run.stderr.strip()!r}")
    with open(output_file) as f:
        results.check(f.read() == "keep me\n", "an output path that is a file is left intact")
    sys.path_importer_cache.clear()
    import repdrift
    try:
        repdrift.open_archive(broken, "task")
        results.check(False, "open_archive refuses a non-Cartesian archive")
    except repdrift.ArchiveError as error:
        results.check("\n" not in str(error) and "Cartesian" in str(error), "open_archive refuses a non-Cartesian archive in one line",
                      str(error))
    try:
        repdrift.open_archive(archive, "nonsense")
        results.check(False, "open_archive refuses an unknown group")
    except repdrift.ArchiveError as error:
        results.check("/nonsense" in str(error), "open_archive names an unknown group", str(error))


def run_stats(results):
    """repdrift.stats against scipy: the t quantile, the interval, the least-squares fit."""
    from repdrift import stats as rs
    worst = max(abs(rs.student_t_quantile(q, dof) / stats.t.ppf(q, dof) - 1)
                for dof in list(range(1, 201)) + [500, 1000, 10000] for q in (0.6, 0.9, 0.975, 0.995))
    results.check(worst < 1e-8, "student_t_quantile equals scipy.stats.t.ppf for 1..200, 500, 1000, 10000 dof", f"worst {worst:.1e}")
    rng = np.random.default_rng(7)
    for n in (2, 3, 10, 57):
        v = rng.normal(size=n)
        v_nan = np.concatenate([v, [np.nan, np.inf]])
        m, lo, hi, count = rs.mean_ci95(v_nan)
        want = stats.t.interval(0.95, n - 1, loc=v.mean(), scale=stats.sem(v))
        results.check(count == n and close(m, v.mean()) and abs(lo - want[0]) < 1e-9 and abs(hi - want[1]) < 1e-9,
                      f"mean_ci95 of {n} values (non-finite ones left out) equals scipy's t interval")
        x = rng.normal(size=n)
        fit = stats.linregress(x, 2 * x + v)
        a, b, r, count = rs.linear_fit(np.append(x, np.nan), np.append(2 * x + v, 1.0))
        results.check(count == n and abs(a - fit.intercept) < 1e-12 and abs(b - fit.slope) < 1e-12 and abs(r - fit.rvalue) < 1e-12,
                      f"linear_fit of {n} pairs equals scipy.stats.linregress")
    m, se, count = rs.mean_se([1.0])
    results.check(count == 1 and m == 1.0 and math.isnan(se), "mean_se of one value: mean, NaN standard error")


def main():
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("figures")
    p.add_argument("plot")
    p.add_argument("archive")
    p.add_argument("workdir")
    p.add_argument("--expect", required=True)
    p.add_argument("--format", default="png")
    p.add_argument("--report", help="repdrift-report: also check its -summary/-csv tables of the archive")
    p = sub.add_parser("sweep")
    for name in ("repdrift", "merge", "report", "plot", "workdir"):
        p.add_argument(name)
    p = sub.add_parser("errors")
    for name in ("plot", "archive", "workdir"):
        p.add_argument(name)
    sub.add_parser("stats")
    args = parser.parse_args()
    results = Results()
    if args.command == "figures":
        run_figures(results, args.plot, args.archive, args.workdir, [n for n in args.expect.split(",") if n], args.format,
                    args.report)
    elif args.command == "sweep":
        run_sweep(results, args.repdrift, args.merge, args.report, args.plot, args.workdir)
    elif args.command == "errors":
        run_errors(results, args.plot, args.archive, args.workdir)
    else:
        run_stats(results)
    print(f"check_postproc: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
