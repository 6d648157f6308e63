"""The figures of a repdrift archive, as data: one table of specs, one compute function each.

Each figure is a `Figure(name, needs, compute, draw, caption, panels)`:
  needs    dataset paths the figure reads; if one is absent from the archive the figure is skipped
           with a note (e.g. the classifier figures on a linear-model archive);
  compute  Data -> Table: the plotted numbers, one row per plotted mark, or raises Skip(reason)
           when the archive holds no usable values (e.g. /drift of a replica-protocol run is NaN);
  draw     (Table, Figure spec) -> matplotlib figure, drawing only the rows of the table (so the
           CSV written from the same table holds exactly the plotted numbers);
  caption  what is plotted, from which datasets, how to read it and which paper figure it
           corresponds to.

A Table row is (panel, series, kind, x, x_label, y, y_low, y_high, n):
  panel    the subplot's title; series: the legend entry (one line or marker family);
  kind     mean (mean over the pooled values, y_low/y_high its 95 % t interval), measured,
           predicted, point (one sweep point), fit (end points of a least-squares line),
           null (a null control), chance, reference (a line of equality or a chance level),
           paper (a published value with its reported +-), recording (a recording's value, its
           spread over animals as y_low/y_high);
  x_label  the category of a categorical x axis (x is then its position), or the PC of a mean.

Series are the combinations of the sweep axes a figure separates (only axes with more than one
value appear in the label): "noise_type" by name, "dropout L" (linear, autoencoder) or "level L"
(classifier) for noise_level, "f=F" for frequency, "width W", "lr E"; "all points" when none
varies. Points not done (status != 1) never enter a figure. Means, CIs and fits use only finite
values; n counts them.
"""
import math
from dataclasses import dataclass, field
from typing import Callable, Optional, Sequence

import numpy as np

from .archive import SWEEP_DIMS, STATUS_DONE, open_archive, open_file, provenance, SweepAxes
from .stats import linear_fit, mean_ci95, mean_se

ROW_COLUMNS = ("panel", "series", "kind", "x", "x_label", "y", "y_low", "y_high", "n")
MAX_PC_MARKERS = 20      # PCs drawn as markers in the per-PC figures (the fits use every PC)
MIN_EXPLAINED = 1e-5     # PCs with v_i <= this are left out of the per-PC figures and fits (as the archive's fits)
MAX_PANELS = 16          # replica-protocol variance curves: at most this many sweep combinations
NOISE_SERIES = ("noise_type", "noise_level")
SETTING_SERIES = ("noise_type", "noise_level", "width", "lr")
ALL_BUT_SEED = SWEEP_DIMS[:-1]


class Skip(Exception):
    """The archive has no data for this figure; str() says why (shown in the index and on stderr)."""


class Table:
    """The plotted numbers of one figure (rows of ROW_COLUMNS)."""

    def __init__(self):
        self.rows = []
        self.notes = []

    def add(self, panel, series, kind, x, y, y_low=math.nan, y_high=math.nan, n="", x_label=""):
        self.rows.append((panel, series, kind, float(x), x_label, float(y), float(y_low), float(y_high), n))

    def add_mean(self, panel, series, x, values, kind="mean", x_label=""):
        """Mean of the finite VALUES with its 95 % t interval at X; nothing if none is finite."""
        mean, low, high, n = mean_ci95(values)
        if n:
            self.add(panel, series, kind, x, mean, low, high, n, x_label)

    def panels(self):
        seen = []
        for row in self.rows:
            if row[0] not in seen:
                seen.append(row[0])
        return seen


@dataclass(frozen=True)
class Panel:
    title: str
    xlabel: str
    ylabel: str
    xscale: str = "linear"
    yscale: str = "linear"
    categorical: bool = False
    connect: bool = True  # draw the means of a series as a line (False: markers with error bars only)


@dataclass(frozen=True)
class Figure:
    name: str
    title: str
    needs: Sequence[str]
    compute: Callable
    caption: str
    panels: Sequence[Panel]
    protocol: Optional[str] = "days"  # the -protocol whose archive holds the data (None: any)
    columns: int = 2
    default_panel: Optional[Panel] = None  # for panels named by the table only (one per sweep combination)
    draw: Optional[Callable] = None  # None: the generic drawer (draw.draw_table)


class Data:
    """An archive opened for the figures: sweep axes, provenance, and per-variable reads in the
    flattened point order ([point, ...], NaN where a point is not done) through open_archive."""

    def __init__(self, path):
        self.path = path
        with open_file(path) as f:
            self.axes = SweepAxes(f, path)
            self.provenance = provenance(f, path)
            self.datasets = set()
            f.visititems(lambda name, obj: self.datasets.add("/" + name) if hasattr(obj, "shape") else None)
        self.done = self.axes.status == STATUS_DONE
        self.options = self.axes.options
        self._cache = {}

    def has(self, dataset):
        return dataset in self.datasets

    def var(self, dataset):
        """/group/name as a numpy array [point, ...] (float64; NaN where not done)."""
        if dataset not in self._cache:
            group, name = dataset.strip("/").split("/")
            ds = open_archive(self.path, group, [name])
            values = ds[name].transpose(*SWEEP_DIMS, ...).values
            self._cache[dataset] = values.reshape((self.axes.n_points,) + values.shape[len(SWEEP_DIMS):])
        return self._cache[dataset]

    def level_name(self):
        return "level" if self.axes.model == "classifier" else "dropout"

    def axis_size(self, axis):
        values = self.axes.values[axis]
        return 1 if values is None else len(values)

    def varying(self):
        return [a for a in SWEEP_DIMS if self.axis_size(a) > 1]

    def series(self, axes):
        """(label of every point, labels in sweep order) for the combinations of AXES (only the
        axes with more than one value name a series; a per-type noise level follows its type)."""
        varying = [a for a in axes if self.axis_size(a) > 1]
        level_with_type = self.axes.level_of_type is not None and "noise_level" in axes
        parts = []
        for axis in varying:
            values = self.axes.point_value(axis)
            if axis == "frequency":
                parts.append([f"f={_g(v)}" for v in values])
            elif axis == "noise_type":
                if level_with_type:
                    levels = self.axes.point_value("noise_level")
                    parts.append([f"{t} {_g(l)}" if t != "none" else "none" for t, l in zip(values, levels)])
                else:
                    parts.append([str(t) for t in values])
            elif axis == "noise_level":
                parts.append([f"{self.level_name()} {_g(v)}" for v in values])
            elif axis == "width":
                parts.append([f"width {int(v)}" for v in values])
            elif axis == "lr":
                parts.append([f"lr {_g(v)}" for v in values])
            elif axis == "seed":
                parts.append([f"seed {int(v)}" for v in values])
        labels = [", ".join(p[i] for p in parts) if parts else "all points" for i in range(self.axes.n_points)]
        order = []
        for label in labels:
            if label not in order:
                order.append(label)
        return np.array(labels, dtype=object), order

    def pooled_note(self, series_axes):
        """Which axes a figure separates and which it pools (for the caption)."""
        separated = [a for a in self.varying() if a in series_axes]
        pooled = [a for a in self.varying() if a not in series_axes]
        text = "Series: " + (" x ".join(separated) if separated else "one (no separated axis varies)")
        if pooled:
            text += "; pooled over " + ", ".join(pooled)
        return text + "."


def _g(value):
    return "%g" % value


def _require_finite(values, what):
    if not np.isfinite(values).any():
        raise Skip(f"no finite values of {what} at a done point")


def _done(data, values):
    """VALUES with the rows of points not done set to NaN (they already are, through open_archive)."""
    out = np.array(values, dtype=np.float64)
    out[~data.done] = np.nan
    return out


# ----------------------------------------------------------------------------------------------
# Days protocol: drift geometry (Aitken et al. 2022)

def _per_pc_relation(data, table, panel, y_dataset, log):
    """Per series, the mean of Y (angle or variance flow of the pair day-1 -> day) for each PC i of
    day-1 against that PC's mean explained variance v_i, and the least-squares fit over every PC."""
    v = _done(data, data.var("/geometry/explained_variance_ratio"))[:, :-1]
    y = _done(data, data.var(y_dataset))[:, 1:]
    valid = np.isfinite(v) & np.isfinite(y) & (v > MIN_EXPLAINED)
    if log:
        valid &= y > 0
    if not valid.any():
        raise Skip(f"no finite {y_dataset} with v_i > {MIN_EXPLAINED:g} at a done point (replica protocol, or a single day)")
    labels, order = data.series(NOISE_SERIES)
    for series in order:
        sel = labels == series
        vs, ys, ok = v[sel], y[sel], valid[sel]
        if not ok.any():
            continue
        for i in range(min(v.shape[-1], MAX_PC_MARKERS)):
            vi, yi = vs[..., i][ok[..., i]], ys[..., i][ok[..., i]]
            if not len(vi):
                continue
            if log:
                mean, low, high, n = mean_ci95(np.log10(yi))
                table.add(panel, series, "mean", 10 ** np.log10(vi).mean(), 10 ** mean, 10 ** low, 10 ** high, n, f"PC {i + 1}")
            else:
                mean, low, high, n = mean_ci95(yi)
                table.add(panel, series, "mean", vi.mean(), mean, low, high, n, f"PC {i + 1}")
        x_all, y_all = vs[ok], ys[ok]
        if log:
            a, b, r, n = linear_fit(np.log10(x_all), np.log10(y_all))
            ends = [(x, 10 ** (a + b * math.log10(x))) for x in (x_all.min(), x_all.max())]
        else:
            a, b, r, n = linear_fit(x_all, y_all)
            ends = [(x, a + b * x) for x in (x_all.min(), x_all.max())]
        if math.isfinite(b):
            for x, fitted in ends:
                table.add(panel, series, "fit", x, fitted, n=n)
    return v[valid].min(), v[valid].max()


def _slopes_panel(data, table, panel, measured, null, drift_fallback=None):
    """Per noise series: the archive's fitted slope (mean and 95 % t CI over the fits) and its
    delta t = 0 null where the archive has one (the classifier's /signature)."""
    labels, order = data.series(NOISE_SERIES)
    if data.has(measured):
        m, nl = _done(data, data.var(measured)), _done(data, data.var(null))
        for i, series in enumerate(order):
            sel = labels == series
            table.add_mean(panel, "measured (/signature, pooled per point)", i - 0.15, m[sel], x_label=series)
            table.add_mean(panel, "delta t = 0 null", i + 0.15, nl[sel], kind="null", x_label=series)
    elif drift_fallback is not None:
        m = _done(data, data.var(drift_fallback))
        for i, series in enumerate(order):
            table.add_mean(panel, "measured (/drift, per day pair and stimulus)", i, m[labels == series], x_label=series)


def compute_angle_to_pc(data):
    table = Table()
    panel = "angle of drift to PC i vs its explained variance"
    low, high = _per_pc_relation(data, table, panel, "/drift/angle_to_pc", log=False)
    table.add(panel, "random direction: 90 deg", "reference", low, 90.0)
    table.add(panel, "random direction: 90 deg", "reference", high, 90.0)
    _slopes_panel(data, table, "fitted slope of angle vs v_i", "/signature/angle_slope", "/signature/null_angle_slope",
                  drift_fallback="/drift/angle_slope")
    table.notes.append(data.pooled_note(NOISE_SERIES))
    return table


def compute_variance_flow(data):
    table = Table()
    panel = "variance along PC i on the next day vs v_i"
    low, high = _per_pc_relation(data, table, panel, "/drift/variance_flow", log=True)
    table.add(panel, "equality (no flow)", "reference", low, low)
    table.add(panel, "equality (no flow)", "reference", high, high)
    if data.has("/signature/variance_flow_loglog_slope"):
        _slopes_panel(data, table, "log-log slope of the flow", "/signature/variance_flow_loglog_slope",
                      "/signature/null_variance_flow_loglog_slope")
    table.notes.append(data.pooled_note(NOISE_SERIES))
    return table


def consecutive_gamma(data):
    """Per point: mean gamma and mean chance over the consecutive day pairs and stimuli where both
    are finite (the report's columns), and the mean split-half null over all days and stimuli."""
    gamma = _done(data, data.var("/drift/fraction_in_variational_space"))
    chance = _done(data, data.var("/drift/fraction_chance"))
    days = gamma.shape[1]
    g = np.stack([gamma[:, d, d + 1, :] for d in range(days - 1)], axis=1)
    c = np.stack([chance[:, d, d + 1, :] for d in range(days - 1)], axis=1)
    both = np.isfinite(g) & np.isfinite(c)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_g = np.where(both, g, 0).sum(axis=(1, 2)) / both.sum(axis=(1, 2))
        mean_c = np.where(both, c, 0).sum(axis=(1, 2)) / both.sum(axis=(1, 2))
    null = _done(data, data.var("/drift/null_fraction_in_variational_space"))
    finite = np.isfinite(null)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_null = np.where(finite, null, 0).sum(axis=(1, 2)) / finite.sum(axis=(1, 2))
    return mean_g, mean_c, mean_null


def _add_points(table, panel, labels, order, x, y, suffix="", kind="point"):
    """One marker per point whose x and y are finite, series by series in ORDER (LABELS: each point's)."""
    for series in order:
        for p in np.flatnonzero(labels == series):
            if np.isfinite(x[p]) and np.isfinite(y[p]):
                table.add(panel, series + suffix, kind, x[p], y[p], n=1)


def compute_gamma_vs_chance(data):
    table = Table()
    panel = "drift in the variational space vs chance"
    gamma, chance, null = consecutive_gamma(data)
    _require_finite(gamma, "/drift/fraction_in_variational_space (consecutive days)")
    labels, order = data.series(SETTING_SERIES)
    _add_points(table, panel, labels, order, chance, gamma)
    _add_points(table, panel, labels, order, chance, null, suffix=" (split-half null)", kind="null")
    table.add(panel, "gamma = chance (random direction)", "reference", 0.0, 0.0)
    table.add(panel, "gamma = chance (random direction)", "reference", 1.0, 1.0)
    if data.has("/drift/variational_overlap_chance"):
        panel = OVERLAP_PANEL
        overlap, overlap_chance = consecutive_overlap(data)
        _add_points(table, panel, labels, order, overlap_chance, overlap)
        table.add(panel, "Gamma = chance (random subspaces)", "reference", 0.0, 0.0)
        table.add(panel, "Gamma = chance (random subspaces)", "reference", 1.0, 1.0)
    else:
        table.notes.append("The archive has no /drift/variational_overlap_chance (written before it was stored): "
                           "the overlap panel is not drawn.")
    table.notes.append(data.pooled_note(SETTING_SERIES) + " One marker per done point.")
    return table


OVERLAP_PANEL = "overlap of the variational spaces vs chance"


def consecutive_overlap(data):
    """Per point: mean overlap Gamma of consecutive days' variational spaces over the day pairs and
    stimuli where it is finite, and the mean of its stored chance level max(k, k')/n over the same
    pairs (the report's overlap and ov_chance columns)."""
    overlap = _done(data, data.var("/drift/variational_overlap"))
    chance = _done(data, data.var("/drift/variational_overlap_chance"))
    days = overlap.shape[1]
    o = np.stack([overlap[:, d, d + 1, :] for d in range(days - 1)], axis=1)
    c = np.stack([chance[:, d, d + 1, :] for d in range(days - 1)], axis=1)
    finite = np.isfinite(o)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_o = np.where(finite, o, 0).sum(axis=(1, 2)) / finite.sum(axis=(1, 2))
        mean_c = np.where(finite, c, 0).sum(axis=(1, 2)) / finite.sum(axis=(1, 2))
    return mean_o, mean_c


def compute_drift_vs_frequency(data):
    table = Table()
    frequencies = data.axes.values["frequency"]
    if len(frequencies) < 2:
        raise Skip("needs a frequency axis with at least 2 values (-sweep_frequency)")
    probability = data.var("/sweep/stimulus_probability")[:, 0]
    point_frequency = data.axes.point_value("frequency")
    if not np.allclose(probability, point_frequency, rtol=1e-12, atol=0):
        raise Skip("the frequency axis is not stimulus 0's presentation probability in this model")
    angle = _done(data, data.var("/drift/angle_between_means"))
    days = angle.shape[1]
    per_day = np.stack([angle[:, d, d + 1, 0] for d in range(days - 1)], axis=1)
    finite = np.isfinite(per_day)
    with np.errstate(invalid="ignore", divide="ignore"):
        drift = np.where(finite, per_day, 0).sum(axis=1) / finite.sum(axis=1)
    _require_finite(drift, "/drift/angle_between_means of stimulus 0 (consecutive days)")
    panel = "drift of stimulus 0 per day vs its frequency"
    labels, order = data.series(SETTING_SERIES)
    for series in order:
        for f in frequencies:
            table.add_mean(panel, series, f, drift[(labels == series) & (point_frequency == f)])
    table.notes.append(data.pooled_note(SETTING_SERIES + ("frequency",)) + " Mean and 95 % t interval over seeds.")
    return table


def _mean_over_pairs(values, lag):
    """[point, day, later_day, stimulus] -> per point, the mean of the finite values[p, d, d + lag, s]."""
    days = values.shape[1]
    pairs = np.concatenate([values[:, d, d + lag, :] for d in range(days - lag)], axis=1)
    finite = np.isfinite(pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, pairs, 0).sum(axis=1) / finite.sum(axis=1)


def compute_drift_predicted(data):
    table = Table()
    measured = _done(data, data.var("/drift/angle_between_means"))
    predicted = _done(data, data.var("/theory/drift_angle_predicted"))
    if not np.isfinite(predicted).any():
        raise Skip("the drift theory holds at no done point (/theory/drift_angle_predicted is NaN; see /theory/prediction_failure)")
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(np.isfinite(measured) & np.isfinite(predicted) & (predicted > 0), measured / predicted, np.nan)
    days = measured.shape[1]
    panels = ("angle between the day means vs lag", "measured / predicted angle vs lag")
    labels, order = data.series(SETTING_SERIES)
    per_lag = {lag: (_mean_over_pairs(measured, lag), _mean_over_pairs(predicted, lag), _mean_over_pairs(ratio, lag))
               for lag in range(1, days)}
    for series in order:
        sel = labels == series
        for lag in range(1, days):
            table.add_mean(panels[0], series, lag, per_lag[lag][0][sel], kind="measured")
            table.add_mean(panels[0], series, lag, per_lag[lag][1][sel], kind="predicted")
            table.add_mean(panels[1], series, lag, per_lag[lag][2][sel])
    table.add(panels[1], "measured = predicted", "reference", 1, 1.0)
    table.add(panels[1], "measured = predicted", "reference", days - 1, 1.0)
    table.notes.append(data.pooled_note(SETTING_SERIES) + " Mean and 95 % t interval over the pooled points of the per-point "
                       "means over day pairs and stimuli; the ratio only where the theory holds.")
    return table


def _mean_over_lag(values, lag):
    """[point, day, later_day] -> per point, the mean of the finite values[p, d, d + lag]."""
    days = values.shape[1]
    pairs = np.stack([values[:, d, d + lag] for d in range(days - lag)], axis=1)
    finite = np.isfinite(pairs)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(finite, pairs, 0).sum(axis=1) / finite.sum(axis=1)


def compute_cross_day_accuracy(data):
    table = Table()
    accuracy = _done(data, data.var("/readout/classifier_accuracy"))
    angle = _done(data, data.var("/readout/classifier_angle"))
    _require_finite(accuracy, "/readout/classifier_accuracy (needs at least 2 stimulus groups)")
    days = accuracy.shape[1]
    labels, order = data.series(SETTING_SERIES)
    panels = (("accuracy of day d's classifier on day d + lag", accuracy), ("angle between the classifiers of d and d + lag", angle))
    for panel, values in panels:
        per_lag = [_mean_over_lag(values, lag) for lag in range(days)]
        for series in order:
            sel = labels == series
            for lag in range(days):
                table.add_mean(panel, series, lag, per_lag[lag][sel])
    table.add(panels[0][0], "chance 0.5", "chance", 0, 0.5)
    table.add(panels[0][0], "chance 0.5", "chance", days - 1, 0.5)
    table.notes.append(data.pooled_note(SETTING_SERIES) + " Mean and 95 % t interval over the pooled points.")
    return table


def compute_task_loss(data):
    table = Table()
    loss = _done(data, data.var("/task/loss"))
    _require_finite(loss, "/task/loss")
    panel = "task loss at the end of each day"
    labels, order = data.series(SETTING_SERIES)
    for series in order:
        sel = labels == series
        for d in range(loss.shape[1]):
            table.add_mean(panel, series, d, loss[sel, d])
    table.notes.append(data.pooled_note(SETTING_SERIES) + " Mean and 95 % t interval over the pooled points.")
    return table


# ----------------------------------------------------------------------------------------------
# Replica protocol: the drift theory (Pashakhanloo & Koulakov 2023)

def compute_variance_curve(data):
    table = Table()
    measured = _done(data, data.var("/theory/variance_curve"))
    predicted = _done(data, data.var("/theory/variance_curve_predicted"))
    time = _done(data, data.var("/theory/time"))
    _require_finite(measured, "/theory/variance_curve")
    labels, order = data.series(ALL_BUT_SEED)
    drawn = 0
    for combination in order:
        sel = (labels == combination) & data.done
        if not np.isfinite(measured[sel]).any():
            continue
        if drawn == MAX_PANELS:
            table.notes.append(f"Only the first {MAX_PANELS} of {len(order)} sweep combinations are drawn.")
            break
        drawn += 1
        panel = combination
        t = np.nanmean(time[sel], axis=0)
        for k in range(measured.shape[1]):
            series = f"stimulus {k}"
            for r in range(measured.shape[2]):
                mean, se, n = mean_se(measured[sel, k, r])
                if n and np.isfinite(t[r]):
                    low, high = (mean - se, mean + se) if n >= 2 else (math.nan, math.nan)
                    table.add(panel, series, "measured", t[r], mean, low, high, n)
            for r in range(measured.shape[2]):
                mean, _, n = mean_se(predicted[sel, k, r])
                if n and np.isfinite(t[r]):
                    table.add(panel, series, "predicted", t[r], mean, n=n)
    table.notes.append("One panel per combination of the swept axes (mean over seeds; band: +- 1 standard error over "
                       "seeds where there are 2 or more).")
    return table


def compute_theory_ratio(data):
    table = Table()
    probability = data.var("/sweep/stimulus_probability")
    labels, order = data.series(SETTING_SERIES)
    quantities = (("F_s", "fluctuation"), ("sigma_s", "diffusion_slope"))
    any_finite = False
    for symbol, name in quantities:
        measured = _done(data, data.var(f"/theory/{name}_measured"))
        stderr = _done(data, data.var(f"/theory/{name}_stderr"))
        predicted = _done(data, data.var(f"/theory/{name}_predicted"))
        any_finite |= bool(np.isfinite(measured).any())
        ratio_panel, value_panel = f"{symbol}: measured / predicted", f"{symbol} vs presentation probability"
        for series in order:
            for p in np.flatnonzero((labels == series) & data.done):
                for k in range(measured.shape[1]):
                    m, s, pred, x = measured[p, k], stderr[p, k], predicted[p, k], probability[p, k]
                    if np.isfinite(m) and np.isfinite(pred) and pred != 0:
                        ends = sorted(((m - s) / pred, (m + s) / pred)) if np.isfinite(s) else (math.nan, math.nan)
                        table.add(ratio_panel, series, "point", x, m / pred, ends[0], ends[1], 1)
        for series in order:
            for p in np.flatnonzero((labels == series) & data.done):
                for k in range(measured.shape[1]):
                    m, s, x = measured[p, k], stderr[p, k], probability[p, k]
                    if np.isfinite(m):
                        table.add(value_panel, series, "measured", x, m, m - s, m + s, 1)
        for series in order:
            for p in np.flatnonzero((labels == series) & data.done):
                for k in range(measured.shape[1]):
                    if np.isfinite(predicted[p, k]):
                        table.add(value_panel, series, "predicted", probability[p, k], predicted[p, k], n=1)
    if not any_finite:
        raise Skip("no finite /theory/fluctuation_measured at a done point")
    xs = [row[3] for row in table.rows]
    for symbol, _ in quantities:
        if any(row[0] == f"{symbol}: measured / predicted" for row in table.rows):
            table.add(f"{symbol}: measured / predicted", "measured = predicted", "reference", min(xs), 1.0)
            table.add(f"{symbol}: measured / predicted", "measured = predicted", "reference", max(xs), 1.0)
    if not any(row[0].endswith("measured / predicted") for row in table.rows):
        table.notes.append("No point has a prediction: the theory holds at none of them (/theory/prediction_failure).")
    table.notes.append(data.pooled_note(SETTING_SERIES) + " One marker per done point and stimulus; error bars: "
                       "the jackknife standard error of the measured value.")
    return table


# ----------------------------------------------------------------------------------------------
# The classifier under six noise sources: the drift signature (Aitken et al. 2022)

# (panel, dataset, null dataset, chance dataset, reference level, paper values {noise type: (value, +-)})
# Paper values: Aitken et al. 2022, node dropout p = 0.5 (the text's numbers, CIFAR-10 CNN, n = 84).
SIGNATURE_METRICS = (
    ("slope of angle vs v_i (deg)", "angle_slope", "null_angle_slope", None, None, {}),
    ("Pearson r of angle vs v_i", "angle_r", "null_angle_r", None, None, {}),
    ("angle of drift to PC 1 (deg)", "angle_to_pc1", "null_angle_to_pc1", None, 90.0, {}),
    ("log-log slope of the variance flow", "variance_flow_loglog_slope", "null_variance_flow_loglog_slope", None, 1.0, {}),
    ("gamma: drift in the variational space", "fraction_in_variational_space", "null_fraction_in_variational_space",
     "fraction_chance", None, {}),
    ("share of variance in the variational space", "variance_in_variational_space", None, None, None,
     {"node_dropout": (0.82, math.nan)}),
    ("D / n", "participation_ratio_per_unit", None, None, None, {"node_dropout": (0.070, 0.003)}),
    ("relative cross accuracy a_rel", "relative_cross_accuracy", "null_relative_cross_accuracy", None, None,
     {"node_dropout": (0.86, 0.03)}),
    ("angle between consecutive classifiers (deg)", "classifier_angle", "null_classifier_angle", None, None,
     {"node_dropout": (71.0, 3.0)}),
    ("snapshot discrimination accuracy", "day_discrimination_accuracy", "null_day_discrimination_accuracy", None, 0.5, {}),
)
READOUT_PANEL = "readout rotation, end to end (deg)"
PAPER_READOUT_ROTATION_5_EPOCHS = {"node_dropout": 2.6, "gradient": 18.6}  # degrees, end to end over 5 epochs


def _noise_categories(data):
    codes = data.axes.point_value("noise_type")
    names = [n for n in data.axes.values["noise_type"] if (data.done & (codes == n)).any()]
    return codes, names


def compute_signature(data):
    table = Table()
    codes, names = _noise_categories(data)
    if not names:
        raise Skip("no done point")
    for panel, metric, null, chance, reference, paper in SIGNATURE_METRICS:
        values = _done(data, data.var(f"/signature/{metric}"))
        for i, name in enumerate(names):
            sel = codes == name
            table.add_mean(panel, "measured", i - 0.2, values[sel], x_label=name)
            if null:
                table.add_mean(panel, "delta t = 0 null", i, _done(data, data.var(f"/signature/{null}"))[sel], kind="null", x_label=name)
            if chance:
                table.add_mean(panel, "chance k/n", i + 0.1, _done(data, data.var(f"/signature/{chance}"))[sel], kind="chance", x_label=name)
            if name in paper:
                value, spread = paper[name]
                table.add(panel, "paper (Aitken et al. 2022)", "paper", i + 0.2, value, value - spread, value + spread,
                          x_label=name)
        if reference is not None:
            table.add(panel, f"reference {reference:g}", "reference", -0.5, reference)
            table.add(panel, f"reference {reference:g}", "reference", len(names) - 0.5, reference)
    rotation = _done(data, data.var("/signature/readout_rotation"))
    per_epoch = int(data.options.get("snapshots_per_epoch", "1"))
    at = 5 * per_epoch
    panel = READOUT_PANEL
    if at < rotation.shape[1]:
        measured = "measured after 5 epochs"
        values = rotation[:, at]
    else:
        measured = f"measured over the whole run ({(rotation.shape[1] - 1) / per_epoch:g} epochs)"
        values = _done(data, data.var("/signature/readout_rotation_total"))
        table.notes.append("The run is shorter than 5 epochs: the readout rotation is its end-to-end value, so the "
                           "paper's 5-epoch values are not drawn.")
    for i, name in enumerate(names):
        table.add_mean(panel, measured, i - 0.2, values[codes == name], x_label=name)
        if at < rotation.shape[1] and name in PAPER_READOUT_ROTATION_5_EPOCHS:
            table.add(panel, "paper (Aitken et al. 2022)", "paper", i + 0.2, PAPER_READOUT_ROTATION_5_EPOCHS[name], x_label=name)
    pooled = [a for a in data.varying() if a != "noise_type"]
    table.notes.append("Per noise type: mean and 95 % t interval over its done points"
                       + (" (pooled over " + ", ".join(pooled) + ")." if pooled else "."))
    return table


def compute_classifier_snapshots(data):
    table = Table()
    accuracy = _done(data, data.var("/signature/accuracy"))
    rotation = _done(data, data.var("/signature/readout_rotation"))
    _require_finite(accuracy, "/signature/accuracy")
    per_epoch = int(data.options.get("snapshots_per_epoch", "1"))
    labels, order = data.series(SETTING_SERIES)
    for panel, values in (("held-out accuracy", accuracy), ("readout rotation since snapshot 0 (deg)", rotation)):
        for series in order:
            sel = labels == series
            for s in range(values.shape[1]):
                table.add_mean(panel, series, s / per_epoch, values[sel, s])
    if "num_classes" in data.options:
        chance = 1.0 / int(data.options["num_classes"])
        table.add("held-out accuracy", f"chance 1/{data.options['num_classes']}", "chance", 0, chance)
        table.add("held-out accuracy", f"chance 1/{data.options['num_classes']}", "chance", (accuracy.shape[1] - 1) / per_epoch, chance)
    table.notes.append(data.pooled_note(SETTING_SERIES) + " Mean and 95 % t interval over the pooled points.")
    return table


# ----------------------------------------------------------------------------------------------
# Recordings against a network (repdrift-plot RECORDING --compare NETWORK): the signature metrics
# repdrift-report -compare ranks by (include/repdrift/compare.h), in its order.

COMPARE_METRICS = (
    ("slope of angle vs v_i (deg)", "angle_slope"), ("Pearson r of angle vs v_i", "angle_r"),
    ("slope of |w_i.d|/|d| vs v_i", "along_slope"), ("angle of drift to PC 1 (deg)", "angle_to_pc1"),
    ("log-log slope of the variance flow", "variance_flow_loglog_slope"), ("vtilde_1 / v_1", "variance_flow_ratio_pc1"),
    ("gamma: drift in the variational space", "fraction_in_variational_space"), ("D / n", "participation_ratio_per_unit"),
    ("share of variance in the variational space", "variance_in_variational_space"),
    ("relative cross accuracy a_rel", "relative_cross_accuracy"), ("angle between consecutive classifiers (deg)", "classifier_angle"),
    ("session / snapshot discrimination accuracy", "day_discrimination_accuracy"), ("unit turnover slope", "unit_turnover_slope"),
)
NETWORK_SERIES = "network: mean and 95 % CI over seeds"
RECORDING_SERIES = "recording: mean +- SD over animals"


def compute_recording_vs_network(data):
    other = getattr(data, "compare", None)
    if other is None:
        raise Skip("needs a second archive: repdrift-plot RECORDING.h5 --compare NETWORK.h5 (either order)")
    recording, network = (data, other) if data.axes.model == "recording" else (other, data)
    if recording.axes.model != "recording":
        raise Skip("neither archive is a -model recording archive")
    if network.axes.model == "recording" or not network.has("/signature/angle_slope"):
        raise Skip(f"{network.path} has no network drift signature (/signature of -model classifier)")
    table = Table()
    labels, order = network.series(ALL_BUT_SEED)
    order = [setting for setting in order if network.done[labels == setting].any()]
    if not order or not recording.done.any():
        raise Skip("no done point in one of the archives")
    for panel, metric in COMPARE_METRICS:
        values = _done(network, network.var(f"/signature/{metric}"))
        animals = _done(recording, recording.var(f"/signature/{metric}"))
        animals = animals[np.isfinite(animals)]
        for i, setting in enumerate(order):
            table.add_mean(panel, NETWORK_SERIES, i - 0.1, values[labels == setting], x_label=setting)
            if len(animals):
                r = float(np.mean(animals))
                t = float(np.std(animals, ddof=1)) if len(animals) > 1 else math.nan
                table.add(panel, RECORDING_SERIES, "recording", i + 0.25, r, r - t, r + t, len(animals), x_label=setting)
    table.notes.append(f"Network: {network.path} ({network.pooled_note(ALL_BUT_SEED)}) Recording: {recording.path}, "
                       f"{int(recording.done.sum())} animal(s).")
    return table


# ----------------------------------------------------------------------------------------------
# The autoencoder: modular or mixed (Dorrell et al. 2025)

def compute_mixing_vs_kappa(data):
    table = Table()
    kappa = _done(data, data.var("/modularity/kappa"))
    mixing = _done(data, data.var("/modularity/mixing_max"))[:, -1]
    _require_finite(kappa + mixing, "/modularity/kappa and /modularity/mixing_max")
    panel = "learned mixing on the last day vs kappa"
    labels, order = data.series(SETTING_SERIES)
    _add_points(table, panel, labels, order, kappa, mixing)
    table.add(panel, "kappa = 0 (modular iff kappa <= 0)", "reference", 0.0, 0.0)
    table.add(panel, "kappa = 0 (modular iff kappa <= 0)", "reference", 0.0, 1.0)
    table.notes.append(data.pooled_note(SETTING_SERIES) + " One marker per done point.")
    return table


def compute_modularity_days(data):
    table = Table()
    mixing = _done(data, data.var("/modularity/mixing_max"))
    infom = _done(data, data.var("/modularity/infom"))
    _require_finite(mixing, "/modularity/mixing_max")
    labels, order = data.series(ALL_BUT_SEED)
    for panel, values in (("mixing of the most mixed unit", mixing), ("InfoM (1 = modular)", infom)):
        for series in order:
            sel = labels == series
            for d in range(values.shape[1]):
                table.add_mean(panel, series, d, values[sel, d])
    table.notes.append(data.pooled_note(ALL_BUT_SEED) + " Mean and 95 % t interval over seeds.")
    return table


# ----------------------------------------------------------------------------------------------
# The table of figures

DAY = "day (0 = end of burn-in)"
FIGURES = (
    Figure(
        name="angle_to_pc",
        title="Angle of the drift to each PC against the PC's explained variance",
        needs=("/drift/angle_to_pc", "/geometry/explained_variance_ratio", "/drift/angle_slope"),
        compute=compute_angle_to_pc,
        panels=(Panel("angle of drift to PC i vs its explained variance", "explained variance ratio v_i of day d-1",
                      "angle between drift d and PC w_i (deg)", connect=False),
                Panel("fitted slope of angle vs v_i", "", "slope (deg per unit v_i)", categorical=True)),
        caption="Left: for each principal component i of a stimulus group's responses on day d-1, the angle between "
                "the drift vector d (day d-1 -> d, Eq 5) and the PC w_i (/drift/angle_to_pc, Eq 13b), against that PC's "
                "explained-variance ratio v_i (/geometry/explained_variance_ratio of day d-1). Markers: the mean over "
                "the pooled points, day pairs and stimulus groups for each of the first 20 PCs (x: mean v_i; bars: 95 % "
                "t interval); lines: the least-squares fit over every PC with v_i > 1e-5; dotted: 90 deg, the angle of a "
                "random direction. An angle that rises with v_i above 90 deg means the drift removes activity from the "
                "most variable directions (the turnover signature). Right: the archive's own fitted slopes: for the "
                "linear and autoencoder models the slope per day pair and stimulus (/drift/angle_slope), for the "
                "classifier the slope pooled per point (/signature/angle_slope) next to its delta t = 0 null "
                "(/signature/null_angle_slope: two probe sets of the same weights). Aitken et al. 2022, Figs 3b, 4d "
                "and 5e,h."),
    Figure(
        name="variance_flow",
        title="Flow of variance between consecutive days (log-log)",
        needs=("/drift/variance_flow", "/geometry/explained_variance_ratio"),
        compute=compute_variance_flow,
        panels=(Panel("variance along PC i on the next day vs v_i", "explained variance ratio v_i of day d-1",
                      "share of day d's variance along w_i", xscale="log", yscale="log", connect=False),
                Panel("log-log slope of the flow", "", "slope of log vtilde_i vs log v_i", categorical=True)),
        caption="For each PC i of day d-1, the share vtilde_i of day d's in-class variance that lies along it "
                "(/drift/variance_flow, Eq 13c) against its share v_i on day d-1 (/geometry/explained_variance_ratio), "
                "log-log. Markers: geometric means over the pooled points, day pairs and stimulus groups for each of "
                "the first 20 PCs (bars: 95 % t interval of the mean log); lines: least-squares fit of log vtilde_i on "
                "log v_i over every PC with v_i > 1e-5; dotted: equality (no flow). Markers below the equality line at "
                "large v_i (a slope below 1) mean variance flows out of the top PCs into the others. For the classifier "
                "the right panel shows the archive's pooled log-log slope (/signature/variance_flow_loglog_slope) and "
                "its delta t = 0 null. Aitken et al. 2022, Figs 3c, 4e and 5f,i."),
    Figure(
        name="gamma_vs_chance",
        title="Drift in the variational space and the overlap of consecutive days' spaces against their chance levels",
        needs=("/drift/fraction_in_variational_space", "/drift/fraction_chance", "/drift/null_fraction_in_variational_space",
               "/drift/variational_overlap"),
        compute=compute_gamma_vs_chance,
        columns=2,
        panels=(Panel("drift in the variational space vs chance", "chance level k/n",
                      "gamma = |P d|^2 / |d|^2"),
                Panel(OVERLAP_PANEL, "chance level max(k, k')/n", "overlap Gamma (Eq 10)")),
        caption="One filled marker per done sweep point: gamma, the fraction of the squared drift between consecutive "
                "days that lies in the earlier day's variational space (the first k = ceil(D) PCs; "
                "/drift/fraction_in_variational_space, Eq 9), against its chance level k/n for a random direction "
                "(/drift/fraction_chance), both averaged over consecutive day pairs and stimulus groups (the "
                "report's gamma and chance columns). Hollow markers: the split-half null of gamma within one day "
                "(/drift/null_fraction_in_variational_space, averaged over days and groups) at the same chance level. "
                "Points above the dotted diagonal drift preferentially inside the variational space. Right (archives "
                "that store its chance level): the overlap Gamma of the variational spaces of consecutive days "
                "(/drift/variational_overlap, Eq 10: the mean squared cosine between their principal directions, 1 = "
                "the same space) against its chance level max(k, k')/n, the overlap of two random subspaces of those "
                "dimensions (/drift/variational_overlap_chance), both averaged over consecutive day pairs and stimulus "
                "groups (the report's overlap and ov_chance columns). Points above the diagonal keep more of their "
                "variational space from one day to the next than chance. Aitken et al. 2022, Figs 2h and 5c (gamma) "
                "and the overlap of Eq 10."),
    Figure(
        name="drift_vs_frequency",
        title="Drift per day against stimulus frequency",
        needs=("/drift/angle_between_means", "/sweep/stimulus_probability"),
        compute=compute_drift_vs_frequency,
        columns=1,
        panels=(Panel("drift of stimulus 0 per day vs its frequency", "presentation probability of stimulus 0 (-sweep_frequency)",
                      "angle between consecutive day means (deg)"),),
        caption="Drift per day of stimulus 0, the angle between its mean hidden responses on consecutive days "
                "(/drift/angle_between_means[d, d+1], Eq 11 of Aitken et al. 2022) averaged over the day pairs of a "
                "point, against stimulus 0's presentation probability (the frequency axis; the other stimuli share "
                "the rest). One line per setting of the other swept axes (dropout x width, ...), mean over seeds with "
                "its 95 % t interval (n - 1 degrees of freedom). A falling line is the stimulus-frequency effect of "
                "SGD-driven drift: a more frequently presented stimulus drifts more slowly (Pashakhanloo & Koulakov "
                "2023, the frequency dependence of the diffusion coefficient). The drift theory's prediction of the "
                "same angles is figure drift_predicted."),
    Figure(
        name="drift_predicted",
        title="Drift between day means: measured and predicted by the drift theory",
        needs=("/drift/angle_between_means", "/theory/drift_angle_predicted"),
        compute=compute_drift_predicted,
        panels=(Panel("angle between the day means vs lag", "lag (days)", "angle between the day means (deg)"),
                Panel("measured / predicted angle vs lag", "lag (days)", "measured / predicted")),
        caption="Left: the angle between a stimulus' mean hidden responses on day d and day d + lag "
                "(/drift/angle_between_means, Eq 11 of Aitken et al. 2022; solid) and the drift theory's expectation "
                "of it for the same point, initial weights and probes (/theory/drift_angle_predicted; dashed): the "
                "mean path of the expected SGD step, the Ornstein-Uhlenbeck fluctuation around the minimum theta* it "
                "leads to (built up from the start, lagged between the days), diffusion and rotation along the orbit "
                "of minima without dropout, and the probes' sampling noise (Pashakhanloo & Koulakov 2023, extended to "
                "input noise and dropout). Each point's values are averaged over the day pairs of that lag and the "
                "stimuli; mean and 95 % t interval over the pooled points of each setting. Right: measured / predicted "
                "per point where the theory holds (/theory/prediction_holds; points where it does not hold have NaN "
                "predictions and are left out); dotted: agreement."),
    Figure(
        name="cross_day_accuracy",
        title="Cross-day classifier accuracy and angle against the lag",
        needs=("/readout/classifier_accuracy", "/readout/classifier_angle"),
        compute=compute_cross_day_accuracy,
        panels=(Panel("accuracy of day d's classifier on day d + lag", "lag (days)", "accuracy (stimulus 0 vs 1)"),
                Panel("angle between the classifiers of d and d + lag", "lag (days)", "angle (deg)")),
        caption="Left: accuracy of the logistic classifier of stimulus 0 vs 1 trained on the first half of day d's "
                "probes and tested on the second half of day d + lag's (/readout/classifier_accuracy[d, d + lag]), "
                "averaged over the days d of a point; right: the angle between the two days' classifier weight "
                "vectors (/readout/classifier_angle). Lag 0 is the within-day accuracy. Mean and 95 % t interval over "
                "the pooled points of each setting; dotted: chance 0.5. An accuracy that stays high while the angle "
                "grows means the code drifts within the subspace a fixed readout tolerates. Aitken et al. 2022, "
                "Figs 3e-f and 6a-b."),
    Figure(
        name="task_loss",
        title="Task loss over days",
        needs=("/task/loss",),
        compute=compute_task_loss,
        columns=1,
        panels=(Panel("task loss at the end of each day", DAY, "loss (/task/loss)", yscale="log"),),
        caption="The task loss at the end of every day (/task/loss; linear model: the exact population loss incl. "
                "weight decay; classifier and autoencoder: their training objective), mean and 95 % t interval over "
                "the pooled points of each setting, log scale. A flat line is the premise of representational drift: "
                "performance is stable while the representation changes (Aitken et al. 2022; Pashakhanloo & "
                "Koulakov 2023)."),
    Figure(
        name="variance_curve",
        title="Across-replica variance against time: measured and predicted",
        needs=("/theory/variance_curve", "/theory/variance_curve_predicted", "/theory/time"),
        compute=compute_variance_curve,
        protocol="replicas",
        columns=4,
        panels=(),  # one panel per sweep combination, named by the table
        default_panel=Panel("", "SGD steps since theta*", "tr Cov h_s (activation^2)"),
        caption="Replica protocol: R independent SGD runs start at the minimum theta*; for each stimulus s the trace "
                "of the across-replica covariance of its hidden representation h_s(t) (/theory/variance_curve, solid "
                "with markers) against the SGD step (/theory/time), and the theory's prediction "
                "(/theory/variance_curve_predicted, dashed): F_s + sigma_s t, bending with the systematic rotation "
                "where the network rotates. One panel per combination of the swept axes; with several seeds the band "
                "is +- 1 standard error over seeds (the archive stores no per-record error of one run). The intercept "
                "is the fluctuation F_s, the slope the diffusion sigma_s; at an isolated (dropout) minimum the "
                "prediction rises from 0 to the plateau F_s. Predictions exist where the theory holds "
                "(/theory/prediction_holds). Pashakhanloo & Koulakov 2023."),
    Figure(
        name="theory_ratio",
        title="Fluctuation F and diffusion sigma per stimulus: measured against predicted",
        needs=("/theory/fluctuation_measured", "/theory/fluctuation_predicted", "/theory/fluctuation_stderr",
               "/theory/diffusion_slope_measured", "/theory/diffusion_slope_predicted", "/theory/diffusion_slope_stderr",
               "/sweep/stimulus_probability"),
        compute=compute_theory_ratio,
        protocol="replicas",
        panels=(Panel("F_s: measured / predicted", "presentation probability p_s", "measured / predicted"),
                Panel("sigma_s: measured / predicted", "presentation probability p_s", "measured / predicted"),
                Panel("F_s vs presentation probability", "presentation probability p_s", "F_s (activation^2)", yscale="log",
                      connect=False),
                Panel("sigma_s vs presentation probability", "presentation probability p_s", "sigma_s (activation^2 / step)",
                      yscale="log", connect=False)),
        caption="Top: measured / predicted fluctuation F_s (/theory/fluctuation_measured / _predicted) and diffusion "
                "slope sigma_s (/theory/diffusion_slope_*) of every stimulus of every done point, against the "
                "stimulus' presentation probability p_s (/sweep/stimulus_probability); bars: the jackknife standard "
                "error (/theory/*_stderr) divided by the prediction; dotted: agreement (1). Bottom: the same "
                "coefficients on their own scale, measured (dots, +- standard error) and predicted (crosses). Both "
                "fall as p_s rises: a frequently presented stimulus fluctuates and diffuses less. Points where the "
                "theory does not hold (/theory/prediction_holds 0) appear only as measured values. "
                "Pashakhanloo & Koulakov 2023."),
    Figure(
        name="signature",
        title="The drift signature per noise type, with its delta t = 0 null and the paper's values",
        needs=tuple(f"/signature/{m[1]}" for m in SIGNATURE_METRICS) + ("/signature/readout_rotation",
                                                                          "/signature/readout_rotation_total"),
        compute=compute_signature,
        columns=4,
        panels=tuple(Panel(m[0], "", "", categorical=True) for m in SIGNATURE_METRICS) + (
            Panel(READOUT_PANEL, "", "", categorical=True),),
        caption="The classifier under each noise source at its feature layer (x: noise type, at the level it ran). "
                "Filled markers: the signature metric stored in /signature (pooled over the analysed classes and "
                "consecutive snapshots of a point), mean and 95 % t interval over the points of that type; hollow: "
                "the same metric of the delta t = 0 null (two probe sets of the same weights, /signature/null_*); "
                "x: chance level k/n of gamma; stars: the values the paper gives in its text for node dropout "
                "(share of variance in the variational space 0.82, D/n = 0.070 +- 0.003, a_rel = 0.86 +- 0.03, "
                "angle between consecutive classifiers 71 +- 3 deg) and the end-to-end readout rotation over 5 epochs "
                "(2.6 deg under node dropout, 18.6 deg under gradient noise), compared with /signature/readout_rotation "
                "5 epochs after snapshot 0. Dotted: reference levels (90 deg, slope 1, accuracy 0.5). The paper's "
                "network is a CIFAR-10 CNN with 84 feature units, so the comparison is qualitative. Aitken et al. "
                "2022, Fig 5, S5 Fig and Fig 6."),
    Figure(
        name="classifier_snapshots",
        title="Held-out accuracy and readout rotation over the snapshots",
        needs=("/signature/accuracy", "/signature/readout_rotation"),
        compute=compute_classifier_snapshots,
        panels=(Panel("held-out accuracy", "epochs after burn-in", "accuracy on held-out examples"),
                Panel("readout rotation since snapshot 0 (deg)", "epochs after burn-in", "angle (deg)")),
        caption="Left: the classifier's accuracy on fresh held-out examples with its noise on "
                "(/signature/accuracy) at every snapshot, against epochs since the end of burn-in; dotted: chance "
                "1/classes. Right: the angle between the readout rows at each snapshot and at snapshot 0, mean over "
                "classes (/signature/readout_rotation). Mean and 95 % t interval over the pooled points of each noise "
                "type. Stable accuracy with a rotating readout is continual learning keeping the task while the "
                "features drift. Aitken et al. 2022, Fig 6c (readout rotation)."),
    Figure(
        name="recording_vs_network",
        title="A recording's drift signature over a network's, per noise setting",
        needs=(),  # two archives (--compare): checked by the compute function
        compute=compute_recording_vs_network,
        protocol=None,
        columns=4,
        panels=tuple(Panel(m[0], "", "", categorical=True) for m in COMPARE_METRICS),
        caption="The 13 signature metrics by which repdrift-report RECORDING -compare NETWORK ranks a network's noise "
                "settings (x: each setting of the network archive, by noise type and level). Circles: the network's "
                "/signature/<metric>, mean and 95 % t interval over the seeds of the setting; stars: the recording's "
                "(a -model recording archive: each animal's drift between consecutive sessions), mean and standard "
                "deviation over its animals (no bar with one animal), the same at every setting so a setting that "
                "matches the recording has its circle at the stars' height. The network's time step is a snapshot, the "
                "recording's a session: metrics of the shape of the drift (angles, shares, slopes) compare directly, "
                "the discrimination accuracy and a_rel depend on how far apart the two are. repdrift-report -compare "
                "gives the standardised distances and their ranking. Aitken et al. 2022, sections 2.1 and 2.4, Fig 5."),
    Figure(
        name="mixing_vs_kappa",
        title="Modular or mixed: the learned code against the range condition kappa",
        needs=("/modularity/kappa", "/modularity/mixing_max"),
        compute=compute_mixing_vs_kappa,
        columns=1,
        panels=(Panel("learned mixing on the last day vs kappa", "kappa of the presented sources (/modularity/kappa)",
                      "mixing of the most mixed unit"),),
        caption="One marker per done point of the non-negative autoencoder: the weight mixing of its most mixed "
                "active unit on the last day (/modularity/mixing_max: 1 - max_j |W_nj| / sum_j |W_nj|, 0 = modular) "
                "against kappa of the source distribution it was trained on (/modularity/kappa: the range condition; "
                "the optimal code is modular iff kappa <= 0). Dotted: kappa = 0. Points at kappa > 0 should be mixed "
                "(given a spare unit), points at kappa <= 0 modular. Dorrell et al. 2025 (range, not independence, "
                "drives modularity)."),
    Figure(
        name="modularity_days",
        title="Mixing and InfoM of the autoencoder's code over days",
        needs=("/modularity/mixing_max", "/modularity/infom"),
        compute=compute_modularity_days,
        panels=(Panel("mixing of the most mixed unit", DAY, "mixing (0 = modular)"),
                Panel("InfoM (1 = modular)", DAY, "InfoM")),
        caption="The autoencoder's code at the end of burn-in (day 0) and every day after: the mixing of its most "
                "mixed unit (/modularity/mixing_max) and linear InfoM (/modularity/infom, 1 = each unit informative "
                "about one source), mean and 95 % t interval over seeds for each setting of the swept axes (the "
                "frequency axis is the presentation probability of the corner region). Whether the code stays modular "
                "or mixed while it drifts. Dorrell et al. 2025."),
)

FIGURE_NAMES = tuple(f.name for f in FIGURES)


def figure(name):
    for spec in FIGURES:
        if spec.name == name:
            return spec
    raise KeyError(name)


def unmet_needs(data, spec):
    """Why the archive cannot have this figure's data (None if it may): the protocol, or the first
    dataset it lacks."""
    missing = [path for path in spec.needs if not data.has(path)]
    if missing:
        return f"the archive has no {missing[0]}" + (f" (written by {DATASET_SOURCE[missing[0].split('/')[1]]})"
                                                     if missing[0].split("/")[1] in DATASET_SOURCE else "")
    if spec.protocol is not None and data.axes.protocol != spec.protocol:
        return f"needs a -protocol {spec.protocol} archive (this one is -protocol {data.axes.protocol})"
    return None


DATASET_SOURCE = {"signature": "-model classifier", "modularity": "-model autoencoder", "theory": "-model linear"}
