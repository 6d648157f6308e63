"""The report's headline numbers per point, and their mean over seeds for every other combination.

`repdrift-report -summary` (C) implements the same definitions; both must agree.
"""
import math

import numpy as np
import xarray as xr

from .archive import SWEEP_DIMS, STATUS_DONE, open_archive, open_file, sweep_axes
from .stats import mean_se

# The headline columns of the per-point report (include/repdrift/report.h, src/report_summary.c), in print order.
HEADLINE_COLUMNS = ("final_loss", "mean_drift_fraction", "mean_drift_fraction_chance", "mean_angle_to_pc1",
                    "cross_accuracy_first_last", "mean_overlap", "mean_overlap_chance")
# The axes a summary row is keyed by: every sweep axis but the seed.
SUMMARY_DIMS = SWEEP_DIMS[:-1]


def point_summaries(path):
    """The headline columns of every point (RdHeadlinesRead), as an xarray.Dataset over the six
    sweep dimensions. With D the length of the `day` dimension (days + 1):

      final_loss                 /task/loss[p, D-1]
      mean_drift_fraction        mean of /drift/fraction_in_variational_space[p, d, d+1, k] over the
                                 (d, k), d = 0..D-2 and every stimulus k, at which both it and
                                 /drift/fraction_chance[p, d, d+1, k] are finite (NaN if none)
      mean_drift_fraction_chance mean of /drift/fraction_chance[p, d, d+1, k] over the same (d, k)
      mean_angle_to_pc1          mean of the finite /drift/angle_to_pc[p, d, k, 0], d = 1..D-1, all k
      cross_accuracy_first_last  /readout/classifier_accuracy[p, 0, D-1]
      mean_overlap               mean of /drift/variational_overlap[p, d, d+1, k] (Gamma) over the (d, k),
                                 d = 0..D-2 and every stimulus k, at which it is finite (NaN if none)
      mean_overlap_chance        mean of /drift/variational_overlap_chance[p, d, d+1, k] (max(k, k')/n) over
                                 the same (d, k) (NaN for an archive written before it was stored)

    Points not done (status != 1) are NaN; the coordinate `status` has every point's status.
    """
    task = open_archive(path, "task", ["loss"])
    loss = task.loss
    with open_file(path) as f:
        has_overlap_chance = "drift/variational_overlap_chance" in f
    drift = open_archive(path, "drift", ["fraction_in_variational_space", "fraction_chance", "angle_to_pc",
                                         "variational_overlap"] + (["variational_overlap_chance"] if has_overlap_chance else []))
    accuracy = open_archive(path, "readout", ["classifier_accuracy"]).classifier_accuracy
    days = loss.sizes["day"]
    gamma = drift.fraction_in_variational_space.values
    chance = drift.fraction_chance.values
    consecutive_gamma = np.stack([gamma[..., d, d + 1, :] for d in range(days - 1)], axis=-2) if days > 1 else \
        np.full(gamma.shape[:6] + (0, gamma.shape[-1]), np.nan)
    consecutive_chance = np.stack([chance[..., d, d + 1, :] for d in range(days - 1)], axis=-2) if days > 1 else \
        np.full(consecutive_gamma.shape, np.nan)
    both = np.isfinite(consecutive_gamma) & np.isfinite(consecutive_chance)
    pairs = both.sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_gamma = np.where(both, consecutive_gamma, 0).sum(axis=(-2, -1)) / pairs
        mean_chance = np.where(both, consecutive_chance, 0).sum(axis=(-2, -1)) / pairs
    consecutive_overlap = _consecutive(drift.variational_overlap.values, days)
    overlap_chance = drift.variational_overlap_chance.values if has_overlap_chance else \
        np.full(drift.variational_overlap.shape, np.nan)
    consecutive_overlap_chance = _consecutive(overlap_chance, days)
    finite_overlap = np.isfinite(consecutive_overlap)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_overlap = np.where(finite_overlap, consecutive_overlap, 0).sum(axis=(-2, -1)) / finite_overlap.sum(axis=(-2, -1))
        mean_overlap_chance = np.where(finite_overlap, consecutive_overlap_chance, 0).sum(axis=(-2, -1)) / \
            finite_overlap.sum(axis=(-2, -1))
    angle = drift.angle_to_pc.values[..., 1:, :, 0]  # [sweep..., day 1.., stimulus]
    finite_angle = np.isfinite(angle)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean_angle = np.where(finite_angle, angle, 0).sum(axis=(-2, -1)) / finite_angle.sum(axis=(-2, -1))
    columns = {
        "final_loss": loss.values[..., days - 1],
        "mean_drift_fraction": mean_gamma,
        "mean_drift_fraction_chance": mean_chance,
        "mean_angle_to_pc1": mean_angle,
        "cross_accuracy_first_last": accuracy.values[..., 0, days - 1],
        "mean_overlap": mean_overlap,
        "mean_overlap_chance": mean_overlap_chance,
    }
    ds = xr.Dataset({name: (SWEEP_DIMS, values) for name, values in columns.items()},
                    coords={k: v for k, v in loss.coords.items() if set(v.dims) <= set(SWEEP_DIMS)}, attrs=dict(task.attrs))
    done = ds.status.values == STATUS_DONE
    for name in HEADLINE_COLUMNS:
        ds[name].values[~done] = np.nan
    ds.attrs.pop("group", None)
    return ds


def _consecutive(values, days):
    """[sweep..., day, later_day, stimulus] -> [sweep..., pair d = 0..days-2, stimulus]: entries (d, d+1)."""
    if days > 1:
        return np.stack([values[..., d, d + 1, :] for d in range(days - 1)], axis=-2)
    return np.full(values.shape[:-3] + (0, values.shape[-1]), np.nan)


def summary(path):
    """The headline columns averaged over seeds, for every combination of the other axes.

    Definition (`repdrift-report ARCHIVE -summary` implements the same):
    - per point, the columns of `point_summaries` (the per-point report: final_loss,
      mean_drift_fraction (gamma), mean_drift_fraction_chance, mean_angle_to_pc1,
      cross_accuracy_first_last, mean_overlap (Gamma), mean_overlap_chance);
    - one row per combination c of (frequency, noise_type, noise_level, width, lr), in the sweep's
      order (C order of those five axes: lr fastest). Its points are the n_seeds replicates of c.
      n_points = n_seeds; n_not_done = the number of them with /sweep/status != 1 (pending,
      diverged, failed): they are left out of every column;
    - for each column X, V = the values X[p] of the points p of c that are done and whose X is
      finite; X_n = |V|; X_mean = sum(V) / X_n (NaN if X_n = 0); X_se = the sample standard
      deviation of V with ddof = 1, divided by sqrt(X_n) (NaN if X_n < 2).

    Returns an xarray.Dataset over those five dimensions with the variables n_points, n_not_done,
    and X_mean, X_se, X_n for every X in HEADLINE_COLUMNS. Its rows in order, as CSV, are
    `summary_csv_rows(summary(path))`.
    """
    points = point_summaries(path)
    axes = sweep_axes(path)
    status = points.status.values
    n_seeds = status.shape[-1]
    data = {
        "n_points": (SUMMARY_DIMS, np.full(status.shape[:-1], n_seeds, dtype=np.int64)),
        "n_not_done": (SUMMARY_DIMS, (status != STATUS_DONE).sum(axis=-1).astype(np.int64)),
    }
    for name in HEADLINE_COLUMNS:
        values = points[name].values
        mean = np.full(status.shape[:-1], np.nan)
        se = np.full(status.shape[:-1], np.nan)
        n = np.zeros(status.shape[:-1], dtype=np.int64)
        for index in np.ndindex(*status.shape[:-1]):
            m, s, count = mean_se(values[index][status[index] == STATUS_DONE])
            mean[index], se[index], n[index] = m, s, count
        data[name + "_mean"] = (SUMMARY_DIMS, mean)
        data[name + "_se"] = (SUMMARY_DIMS, se)
        data[name + "_n"] = (SUMMARY_DIMS, n)
    coords = {k: v for k, v in axes.coords().items() if k != "seed"}
    attrs = dict(points.attrs)
    attrs["definition"] = "mean, standard error (ddof=1 std / sqrt(n)) and n over the done seeds of each combination"
    return xr.Dataset(data, coords=coords, attrs=attrs)


def summary_csv_header():
    """Column names of the summary CSV (the order `repdrift-report -summary -csv` prints too)."""
    header = ["frequency", "noise_type", "noise_level", "width", "lr", "n_points", "n_not_done"]
    for name in HEADLINE_COLUMNS:
        header += [name + "_mean", name + "_se", name + "_n"]
    return header


def summary_csv_rows(ds):
    """The rows of a `summary()` Dataset in the sweep's order, as lists of strings (floats in the
    shortest form that reads back as the same double, NaN as 'nan'; noise_type by name;
    noise_level the level the points ran at)."""
    rows = []
    per_type = "noise_level_of_type" in ds.coords
    shape = [ds.sizes[d] for d in SUMMARY_DIMS]
    for index in np.ndindex(*shape):
        at = dict(zip(SUMMARY_DIMS, index))
        level = ds.noise_level_of_type.values[at["noise_type"]] if per_type else ds.noise_level.values[at["noise_level"]]
        row = [_number(ds.frequency.values[at["frequency"]]), str(ds.noise_type.values[at["noise_type"]]), _number(level),
               str(int(ds.width.values[at["width"]])), _number(ds.lr.values[at["lr"]]),
               str(int(ds.n_points.values[index])), str(int(ds.n_not_done.values[index]))]
        for name in HEADLINE_COLUMNS:
            row += [_number(ds[name + "_mean"].values[index]), _number(ds[name + "_se"].values[index]),
                    str(int(ds[name + "_n"].values[index]))]
        rows.append(row)
    return rows


def _number(x):
    x = float(x)
    return "nan" if math.isnan(x) else repr(x)
