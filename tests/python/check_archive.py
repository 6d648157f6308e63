#!/usr/bin/env python3
"""Checks one repdrift archive against archive-v1 and recomputes its geometry independently.

Usage:
    repdrift-report -schema > schema.txt
    check_archive.py ARCHIVE.h5 --schema schema.txt [--point P | --point all] [--skip-xarray]

What is checked (every failure is printed as `FAIL <check>: <why>`; passes as `ok   <check>`):
  1. Provenance: the root attributes of archive-v1 (format, schema_version, versions, times, status,
     seeds, ...) and the non-empty string datasets /config/options and /config/command_line.
  2. Structure, against the schema text printed by `repdrift-report -schema`: every dataset exists
     with the schema's rank, dtype and units, has a `description`, every axis carries the schema's
     dimension label and has the root dimension-scale dataset of that dimension attached, and each
     dimension has one size everywhere; /responses/probe is chunked one point and day per chunk.
  3. Semantics for every finished point: padding beyond a point's width (unit axis) and beyond its
     number of PCs (pc axis) is NaN and the valid part finite; drift pairs with from >= to are NaN;
     per-PC drift at day 0 is NaN; /sweep/* matches the sweep grid of /config/options; a complete
     archive has /sweep/status all 1; pending points hold only NaN / -1; internal consistency
     (explained = eigenvalues / sum, D, k, k/n, max(k, k')/n, /responses/mean = mean of /responses/probe).
  4. Independent recomputation (numpy, straight from shared/science/drift-geometry.md and the
     conventions of include/repdrift/geometry.h; a plain eigendecomposition of the covariance, no
     Gram trick) for the chosen point (default: the last one) from /responses/probe: means, spectra,
     D, k, every day-pair metric, the per-PC metrics of consecutive days, the angle fit, the
     split-half null, and the cross-day logistic readout (own Newton solver). PC-wise quantities are
     compared only where the eigenvalues are well separated (degenerate eigenvectors are not
     unique); what is skipped is counted and printed. Needs -save_responses (else skipped, noted).
  5. xarray: every group opens with xarray.open_dataset(engine="h5netcdf", group=...), shows the
     schema's dimension names (later_day included) and the same values as h5py.

Recomputed values must agree within 1e-8 relative (plus a small absolute floor per quantity:
1e-12 of the largest eigenvalue, 1e-9 for ratios, 1e-5 degrees for angles, whose acos amplifies a
1-ulp cosine near 0/180 to ~1e-6 degrees); integers (k) and accuracies must agree exactly.
`note` lines are informative (skipped comparisons, optional data absent, readout accuracies).
The closing line is `check_archive: N passed, M failed`; the exit status is 1 when anything failed
and 2 when the archive or the schema cannot be read at all.
"""
import argparse
import importlib.util
import math
import re
import sys
from datetime import datetime
from types import SimpleNamespace

import h5py
import numpy as np
from scipy.special import expit

# Conventions of include/repdrift/geometry.h (the definitions, not the implementation).
SIGN_PROJECTION_RTOL = 1e-12   # |mean.w| at or below this * |mean|: largest component made positive
K_CEIL_SLACK = 1e-9            # k = ceil(D - slack), at most n_pcs
FIT_MIN_EXPLAINED = 1e-5       # PCs entering the angle-vs-explained fit

# Tolerances of the recomputation.
RTOL = 1e-8                    # relative, for every recomputed quantity
EIGENVALUE_ATOL = 1e-12        # times the largest eigenvalue (round-off and the solver's clipping)
UNIT_ATOL = 1e-9               # quantities in [0, 1] (fractions, cosines, ratios)
DEGREE_ATOL = 1e-5             # angles in degrees: acos near 0/180 turns a 1-ulp cosine into ~1.2e-6 degrees
MIN_RELATIVE_GAP = 1e-6        # eigenvalue gap / largest eigenvalue for a PC (or a subspace) to count as unique
SIGN_DECIDABLE_RTOL = 1e-9     # |mean.w| above this * |mean|: the sign convention is unambiguous
K_AMBIGUOUS_RTOL = 1e-11       # D this close (relative) to a ceil threshold n + 1e-9: k depends on round-off

ROOT_STRING_ATTRIBUTES = ("format", "program_version", "git_revision", "created", "finished", "status",
                          "model", "noise_type", "petsc_version", "slepc_version", "hdf5_version", "mpi_version")
ROOT_INTEGER_ATTRIBUTES = ("schema_version", "global_seed", "mpi_ranks")
ISO_UTC_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
STATUS_DONE = 1


class Results:
    """Counts checks and prints one line per check."""

    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, ok, name, detail=""):
        if ok:
            self.passed += 1
            print(f"ok   {name}" + (f" ({detail})" if detail else ""))
        else:
            self.failed += 1
            print(f"FAIL {name}: {detail or 'failed'}")
        return ok

    def check_all(self, name, problems, detail_if_ok=""):
        """One check that fails with the first few of a list of problems."""
        shown = "; ".join(problems[:5]) + (f"; ... ({len(problems)} problems)" if len(problems) > 5 else "")
        return self.check(not problems, name, shown if problems else detail_if_ok)

    @staticmethod
    def note(text):
        print(f"note {text}")


# ----------------------------------------------------------------------------------------------
# Reading the schema text and the archive

def read_schema(path):
    """Parses `repdrift-report -schema`: {version, dimension labels, datasets}."""
    schema = SimpleNamespace(version=None, labels={}, datasets={})
    dataset_line = re.compile(r"^dataset (\S+) dims=(\S+) type=(\S+) units=(.*) optional=([01])$")
    with open(path, encoding="utf-8") as text:
        for number, line in enumerate(text, 1):
            line = line.rstrip("\n")
            if not line.strip():
                continue
            if line.startswith("schema_version "):
                schema.version = int(line.split()[1])
            elif line.startswith("dimension "):
                match = re.match(r"^dimension (\S+) label=(\S+)$", line)
                if not match:
                    raise ValueError(f"{path}:{number}: cannot parse {line!r}")
                schema.labels[match.group(1)] = match.group(2)
            elif line.startswith("dataset "):
                match = dataset_line.match(line)
                if not match:
                    raise ValueError(f"{path}:{number}: cannot parse {line!r}")
                dataset_path, dims, dtype, units, optional = match.groups()
                schema.datasets[dataset_path] = SimpleNamespace(dims=dims.split(","), dtype=np.dtype(dtype),
                                                                units=units, optional=optional == "1")
            else:
                raise ValueError(f"{path}:{number}: unknown line {line!r}")
    if not schema.datasets or not schema.labels:
        raise ValueError(f"{path}: no dimension or dataset lines (is it the output of repdrift-report -schema?)")
    for spec in schema.datasets.values():
        unknown = [name for name in spec.dims if name not in schema.labels]
        if unknown:
            raise ValueError(f"{path}: dataset dimension(s) {unknown} are not declared")
    return schema


def as_text(value):
    """h5py gives variable-length strings as str or bytes (and scalars as 0-d arrays)."""
    if isinstance(value, np.ndarray) and value.shape == ():
        value = value[()]
    if isinstance(value, bytes):
        return value.decode("utf-8")
    return value if isinstance(value, str) else None


def parse_options(options_text):
    """'-name value' lines of /config/options -> {name: value}."""
    options = {}
    for line in options_text.splitlines():
        parts = line.strip().split(None, 1)
        if parts and parts[0].startswith("-"):
            options[parts[0][1:]] = parts[1] if len(parts) > 1 else ""
    return options


# ----------------------------------------------------------------------------------------------
# 1. Provenance

def check_provenance(results, archive, schema):
    attributes = archive.attrs
    problems = []
    for name in ROOT_STRING_ATTRIBUTES:
        value = as_text(attributes.get(name))
        if value is None:
            problems.append(f"{name} missing or not a string")
        elif not value and name != "finished":
            problems.append(f"{name} is empty")
    for name in ROOT_INTEGER_ATTRIBUTES:
        value = attributes.get(name)
        if value is None or not np.issubdtype(np.asarray(value).dtype, np.integer):
            problems.append(f"{name} missing or not an integer ({value!r})")
    results.check_all("root attributes of archive-v1 present", problems)

    results.check(as_text(attributes.get("format")) == "repdrift", "format == 'repdrift'", repr(attributes.get("format")))
    version = attributes.get("schema_version")
    results.check(version is not None and int(version) == 1 and (schema.version in (None, 1)),
                  "schema_version == 1 (archive and schema text)", f"archive {version!r}, schema text {schema.version!r}")
    status = as_text(attributes.get("status"))
    results.check(status in ("running", "complete", "interrupted"), "status is running|complete|interrupted", repr(status))
    results.check(status == "complete", "status == 'complete'", repr(status))
    ranks = attributes.get("mpi_ranks")
    results.check(ranks is not None and int(ranks) >= 1, "mpi_ranks >= 1", repr(ranks))

    times = {}
    for name in ("created", "finished"):
        try:
            times[name] = datetime.strptime(as_text(attributes.get(name)) or "", ISO_UTC_FORMAT)
        except ValueError:
            times[name] = None
    results.check(times["created"] is not None, "created is ISO 8601 UTC", repr(attributes.get("created")))
    if status != "running":
        results.check(times["finished"] is not None and times["created"] is not None and times["finished"] >= times["created"],
                      "finished is ISO 8601 UTC, not before created",
                      f"created {attributes.get('created')!r}, finished {attributes.get('finished')!r}")

    for path in ("/config/options", "/config/command_line"):
        item = archive.get(path)
        text = as_text(item[()]) if isinstance(item, h5py.Dataset) else None
        results.check(bool(text and text.strip()), f"{path} is a non-empty string", "missing" if item is None else repr(text)[:80])


# ----------------------------------------------------------------------------------------------
# 2. Structure

def attached_scale_names(dataset, axis):
    names = []
    for scale in dataset.dims[axis].values():
        names.append(scale.name)
    return names


def check_structure(results, archive, schema):
    """Datasets, ranks, dtypes, units, labels and attached scales.

    Returns ({dimension: size}, usable): usable is False when a required dataset is missing, has the
    wrong rank or disagrees on a dimension size, i.e. when the later checks cannot index the data."""
    sizes = {}          # dimension name -> (size, first dataset that set it)
    usable = True
    for path, spec in schema.datasets.items():
        dataset = archive.get(path)
        if dataset is None and spec.optional:
            Results.note(f"optional dataset {path} absent (run without -save_responses)")
            continue
        problems = []
        if not isinstance(dataset, h5py.Dataset):
            results.check(False, f"{path} structure", "missing" if dataset is None else "not a dataset")
            usable = False
            continue
        if dataset.ndim != len(spec.dims):
            results.check(False, f"{path} structure", f"rank {dataset.ndim}, schema {len(spec.dims)} ({','.join(spec.dims)})")
            usable = False
            continue
        if dataset.dtype != spec.dtype:
            problems.append(f"dtype {dataset.dtype}, schema {spec.dtype}")
        units, description = as_text(dataset.attrs.get("units")), as_text(dataset.attrs.get("description"))
        if units is None:
            problems.append("no units attribute")
        elif units != spec.units:
            problems.append(f"units {units!r}, schema {spec.units!r}")
        if not description:
            problems.append("no (or empty) description attribute")
        for axis, name in enumerate(spec.dims):
            size = dataset.shape[axis]
            if name in sizes and sizes[name][0] != size:
                problems.append(f"axis {axis} ({name}) has size {size}, but {sizes[name][1]} has {sizes[name][0]}")
                usable = False
            sizes.setdefault(name, (size, path))
            label = dataset.dims[axis].label
            if label != schema.labels[name]:
                problems.append(f"axis {axis} label {label!r}, schema {schema.labels[name]!r}")
            scales = attached_scale_names(dataset, axis)
            if "/" + name not in scales:
                problems.append(f"axis {axis} has scales {scales}, not /{name}")
        results.check_all(f"{path} structure", problems, f"{','.join(spec.dims)} {dataset.shape} {dataset.dtype} [{units}]")

    problems = []
    for name in schema.labels:
        scale = archive.get(name)
        if not isinstance(scale, h5py.Dataset):
            problems.append(f"/{name} missing")
            continue
        if not h5py.h5ds.is_scale(scale.id):
            problems.append(f"/{name} is not a dimension scale")
        if name in sizes and scale.shape != (sizes[name][0],):
            problems.append(f"/{name} has shape {scale.shape}, the datasets use {sizes[name][0]}")
        elif scale.ndim == 1 and not np.array_equal(scale[()], np.arange(scale.shape[0])):
            problems.append(f"/{name} values are not 0..{scale.shape[0] - 1}")
        if name not in sizes:
            Results.note(f"dimension {name} is used by no dataset of this archive (size {scale.shape} from /{name})")
            if scale.ndim == 1:
                sizes[name] = (scale.shape[0], f"/{name}")
    results.check_all("dimension scales at the root (is_scale, size, 0..n-1)", problems, ", ".join(schema.labels))

    probe = archive.get("/responses/probe")
    if isinstance(probe, h5py.Dataset) and probe.ndim == 5:  # archive-v1: one point and day per chunk
        results.check(probe.chunks is not None and probe.chunks[:2] == (1, 1), "/responses/probe chunked one point/day per chunk",
                      f"chunks {probe.chunks}")
    return {name: size for name, (size, _) in sizes.items()}, usable


# ----------------------------------------------------------------------------------------------
# 3. Semantics of every finished point

def read(archive, path):
    return archive[path][()] if path in archive else None


def check_sweep_grid(results, archive, options):
    """/sweep/* against the flattened grid (((frequency * n_noise + noise) * n_width + width) * n_lr + lr) * n_seeds + replicate."""
    try:
        frequencies = [float(v) for v in options["sweep_frequency"].split(",")]
        noise_levels = [float(v) for v in options["sweep_dropout"].split(",")]
        widths = [int(v) for v in options["sweep_width"].split(",")]
        learning_rates = [float(v) for v in options["sweep_lr"].split(",")]
        n_seeds = int(options["sweep_seeds"])
    except (KeyError, ValueError) as error:
        Results.note(f"sweep grid not checked: /config/options lacks a sweep option ({error})")
        return
    grid = [(f, noise, w, lr, seed) for f in frequencies for noise in noise_levels for w in widths
            for lr in learning_rates for seed in range(n_seeds)]
    archived = list(zip(read(archive, "/sweep/frequency"), read(archive, "/sweep/noise_level"),
                        read(archive, "/sweep/width"), read(archive, "/sweep/lr"), read(archive, "/sweep/seed")))
    problems = [] if len(grid) == len(archived) else [f"{len(archived)} points, the options give {len(grid)}"]
    for point, (expected, got) in enumerate(zip(grid, archived)):
        if tuple(expected) != tuple(x.item() for x in got):
            problems.append(f"point {point}: archive {tuple(x.item() for x in got)}, options {expected}")
    probabilities = read(archive, "/sweep/stimulus_probability")
    if probabilities is not None:
        if not np.allclose(probabilities.sum(axis=1), 1.0, rtol=0, atol=1e-12):
            problems.append("stimulus_probability rows do not sum to 1")
        if probabilities.shape[1] == 1:  # the autoencoder's one group (the frequency is its corner's share)
            if not np.all(probabilities == 1.0):
                problems.append("one stimulus group, but its probability is not 1")
        elif not np.array_equal(probabilities[:, 0], read(archive, "/sweep/frequency")):
            problems.append("stimulus_probability[:, 0] != frequency")
    results.check_all("/sweep/* follow the sweep grid of /config/options", problems, f"{len(grid)} points")


def padded_problems(values, valid, what):
    """values finite where `valid`, NaN elsewhere (both boolean arrays of values' shape)."""
    problems = []
    if not np.all(np.isfinite(values[valid])):
        problems.append(f"{what}: {np.count_nonzero(~np.isfinite(values[valid]))} non-finite valid entries")
    if not np.all(np.isnan(values[~valid])):
        problems.append(f"{what}: {np.count_nonzero(~np.isnan(values[~valid]))} padding entries not NaN")
    return problems


def check_semantics(results, archive, sizes):
    status = read(archive, "/sweep/status")
    widths = read(archive, "/sweep/width")
    n_points, n_days, n_samples, n_units, n_pcs_max = (sizes.get(name) for name in ("point", "day", "sample", "unit", "pc"))
    complete = as_text(archive.attrs.get("status")) == "complete"
    results.check(not complete or np.all(status == STATUS_DONE), "/sweep/status all 1 (done) in a complete archive",
                  f"status counts {dict(zip(*np.unique(status, return_counts=True)))}")
    results.check(n_units == widths.max(), "unit axis = largest width", f"unit {n_units}, widths {sorted(set(widths.tolist()))}")
    results.check(n_pcs_max == min(n_samples - 1, n_units), "pc axis = min(samples - 1, largest width)",
                  f"pc {n_pcs_max}, samples {n_samples}, unit {n_units}")
    done = np.flatnonzero(status == STATUS_DONE)
    if len(done) < n_points:
        Results.note(f"{n_points - len(done)} points not done: their values are not checked")

    data = {path: read(archive, path) for path in (
        "/sweep/wall_seconds", "/task/loss", "/responses/mean", "/geometry/eigenvalues", "/geometry/explained_variance_ratio",
        "/geometry/participation_ratio", "/geometry/variational_dimension", "/drift/angle_between_means",
        "/drift/relative_magnitude", "/drift/fraction_in_variational_space", "/drift/fraction_chance",
        "/drift/variational_overlap", "/drift/variational_overlap_chance", "/drift/along_pc", "/drift/angle_to_pc",
        "/drift/variance_flow", "/drift/angle_slope", "/drift/angle_r", "/drift/null_fraction_in_variational_space",
        "/readout/classifier_accuracy", "/readout/classifier_angle")}
    probe = archive.get("/responses/probe")
    earlier_before_later = np.less.outer(np.arange(n_days), np.arange(n_days))  # [day, later_day]
    padding, consistency = [], []
    for p in done:
        width = int(widths[p])
        n_pcs = min(n_samples - 1, width)
        unit_valid = np.arange(n_units) < width
        pc_valid = np.arange(n_pcs_max) < n_pcs
        where = f"point {p}"
        mean = data["/responses/mean"][p]
        padding += padded_problems(mean, np.broadcast_to(unit_valid, mean.shape), f"{where} /responses/mean")
        if probe is not None:
            values = probe[p]
            padding += padded_problems(values, np.broadcast_to(unit_valid, values.shape), f"{where} /responses/probe")
        for path in ("/geometry/eigenvalues", "/geometry/explained_variance_ratio"):
            padding += padded_problems(data[path][p], np.broadcast_to(pc_valid, data[path][p].shape), f"{where} {path}")
        for path in ("/task/loss", "/geometry/participation_ratio", "/drift/null_fraction_in_variational_space"):
            padding += padded_problems(data[path][p], np.ones(data[path][p].shape, bool), f"{where} {path}")
        if not np.all(data["/geometry/variational_dimension"][p] >= 1):
            padding.append(f"{where} /geometry/variational_dimension has entries < 1")
        for path in ("/drift/angle_between_means", "/drift/relative_magnitude", "/drift/fraction_in_variational_space",
                     "/drift/fraction_chance", "/drift/variational_overlap", "/drift/variational_overlap_chance"):
            if data[path] is None:
                continue  # an archive written before the overlap's chance level was stored
            valid = np.broadcast_to(earlier_before_later[:, :, None], data[path][p].shape)
            padding += padded_problems(data[path][p], valid, f"{where} {path} (valid iff day < later_day)")
        # per-PC drift of the pair (day-1 -> day): defined for day-1's PCs of positive eigenvalue
        earlier_eigenvalues = np.concatenate([np.full_like(data["/geometry/eigenvalues"][p][:1], np.nan),
                                              data["/geometry/eigenvalues"][p][:-1]])
        per_pc_valid = np.nan_to_num(earlier_eigenvalues, nan=0.0) > 0
        for path in ("/drift/along_pc", "/drift/angle_to_pc", "/drift/variance_flow"):
            padding += padded_problems(data[path][p], per_pc_valid,
                                       f"{where} {path} (NaN at day 0, beyond n_pcs and for zero-variance PCs)")
        for path in ("/drift/angle_slope", "/drift/angle_r"):
            if not np.all(np.isnan(data[path][p][0])):
                padding.append(f"{where} {path} not NaN at day 0")
            # finite from day 1 wherever the earlier day has two or more PCs above the fit threshold
            fit_points = np.sum(data["/geometry/explained_variance_ratio"][p][:-1] > FIT_MIN_EXPLAINED, axis=-1)
            if not np.all(np.isfinite(data[path][p][1:][fit_points >= 2])):
                padding.append(f"{where} {path} not finite after day 0")
        accuracy, angle = data["/readout/classifier_accuracy"][p], data["/readout/classifier_angle"][p]
        if data["/geometry/participation_ratio"].shape[2] < 2:  # one stimulus group: no stimulus 0 vs 1 readout
            if not (np.all(np.isnan(accuracy)) and np.all(np.isnan(angle))):
                padding.append(f"{where} /readout/* not NaN with a single stimulus group")
        elif not (np.all(np.isfinite(accuracy)) and np.all((accuracy >= 0) & (accuracy <= 1))):
            padding.append(f"{where} /readout/classifier_accuracy not finite in [0, 1]")
        if data["/geometry/participation_ratio"].shape[2] >= 2 and not (np.all(np.isfinite(angle)) and np.all((angle >= 0) & (angle <= 180)) and np.all(np.diag(angle) < 1e-5)):
            padding.append(f"{where} /readout/classifier_angle not finite in [0, 180] with a ~0 diagonal")
        if not (np.isfinite(data["/sweep/wall_seconds"][p]) and data["/sweep/wall_seconds"][p] >= 0):
            padding.append(f"{where} /sweep/wall_seconds not finite >= 0")

        eigenvalues = data["/geometry/eigenvalues"][p][..., :n_pcs]
        explained = data["/geometry/explained_variance_ratio"][p][..., :n_pcs]
        participation = data["/geometry/participation_ratio"][p]
        dimension = data["/geometry/variational_dimension"][p]
        if np.any(np.diff(eigenvalues, axis=-1) > 0) or np.any(eigenvalues < 0):
            consistency.append(f"{where} eigenvalues not descending and >= 0")
        if not np.allclose(explained, eigenvalues / eigenvalues.sum(axis=-1, keepdims=True), rtol=1e-12, atol=1e-15):
            consistency.append(f"{where} explained != eigenvalues / sum")
        if not np.allclose(participation, 1 / np.sum(explained ** 2, axis=-1), rtol=1e-12, atol=0):
            consistency.append(f"{where} participation_ratio != 1 / sum v^2")
        expected_k = np.minimum(np.ceil(participation - K_CEIL_SLACK), n_pcs)
        if not np.array_equal(dimension, expected_k):
            consistency.append(f"{where} variational_dimension != min(ceil(D - 1e-9), n_pcs)")
        chance = data["/drift/fraction_chance"][p]  # [day, later_day, stimulus] = k(day) / width
        expected_chance = np.broadcast_to((dimension / width)[:, None, :], chance.shape)
        if not np.array_equal(chance[earlier_before_later], expected_chance[earlier_before_later]):
            consistency.append(f"{where} fraction_chance != k(earlier day) / width")
        overlap_chance = data["/drift/variational_overlap_chance"]
        if overlap_chance is not None:  # [day, later_day, stimulus] = max(k(day), k(later_day)) / width
            expected_overlap_chance = np.maximum(dimension[:, None, :], dimension[None, :, :]) / width
            if not np.array_equal(overlap_chance[p][earlier_before_later], expected_overlap_chance[earlier_before_later]):
                consistency.append(f"{where} variational_overlap_chance != max(k(day), k(later day)) / width")
        if probe is not None:
            probe_mean = probe[p][..., :width].mean(axis=2)
            if not np.allclose(data["/responses/mean"][p][..., :width], probe_mean, rtol=1e-12, atol=1e-12 * np.abs(probe_mean).max()):
                consistency.append(f"{where} /responses/mean != mean of /responses/probe")
    results.check_all("padding: NaN beyond width / n_pcs, at from >= to, at day 0; valid entries finite",
                      padding, f"{len(done)} points")
    results.check_all("internal consistency (spectrum, D, k, k/n, max(k, k')/n, mean of probes)", consistency, f"{len(done)} points")


def check_pending_points(results, archive, schema):
    """A point is written only when complete: a pending point holds nothing but NaN / -1."""
    status = read(archive, "/sweep/status")
    pending = np.flatnonzero(status == 0)
    if len(pending) == 0:
        return
    written_per_point = [path for path in schema.datasets if path in archive and
                         (not path.startswith("/sweep/") or path == "/sweep/wall_seconds")]
    problems = []
    for path in written_per_point:
        dataset = archive[path]
        for p in pending:
            values = dataset[p]
            empty = np.all(np.isnan(values)) if dataset.dtype.kind == "f" else np.all(values == -1)
            if not empty:
                problems.append(f"point {p} {path}")
    results.check_all("pending points (status 0) hold only NaN / -1", problems, f"{len(pending)} pending points")


# ----------------------------------------------------------------------------------------------
# 4. Independent recomputation

def angle_degrees(a, b):
    cosine = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    return math.degrees(math.acos(min(1.0, max(-1.0, cosine))))


def reference_pca(samples):
    """In-class PCA from the definitions: covariance (1/(n-1)), numpy eigh, descending, Eq 3 signs."""
    n_samples, width = samples.shape
    mean = samples.mean(axis=0)
    centred = samples - mean
    covariance = centred.T @ centred / (n_samples - 1)
    ascending_values, ascending_vectors = np.linalg.eigh(covariance)
    all_eigenvalues = np.maximum(ascending_values[::-1], 0.0)   # all `width` of them, descending
    all_pcs = ascending_vectors[:, ::-1].T.copy()                # rows
    n_pcs = min(n_samples - 1, width)
    mean_norm = np.linalg.norm(mean)
    projections = all_pcs @ mean
    for i in range(width):
        if abs(projections[i]) <= SIGN_PROJECTION_RTOL * mean_norm:
            flip = all_pcs[i][np.argmax(np.abs(all_pcs[i]))] < 0
        else:
            flip = projections[i] < 0
        if flip:
            all_pcs[i] *= -1
    eigenvalues = all_eigenvalues[:n_pcs]
    explained = eigenvalues / eigenvalues.sum()
    participation = 1.0 / np.sum(explained ** 2)
    k = min(math.ceil(participation - K_CEIL_SLACK), n_pcs)
    largest = all_eigenvalues[0]
    gaps = np.full(width, np.inf)
    differences = -np.diff(all_eigenvalues) / largest
    gaps[:-1] = np.minimum(gaps[:-1], differences)
    gaps[1:] = np.minimum(gaps[1:], differences)

    def subspace_determined(size):
        """Is the span of the first `size` PCs unique (a gap after it, or the whole space)?"""
        return size <= 0 or size >= width or differences[size - 1] > MIN_RELATIVE_GAP

    return SimpleNamespace(
        mean=mean, centred=centred, eigenvalues=eigenvalues, explained=explained, participation=participation, k=k,
        n_pcs=n_pcs, pcs=all_pcs[:n_pcs], rank=int(np.count_nonzero(eigenvalues > EIGENVALUE_ATOL * largest)),
        pc_determined=(gaps > MIN_RELATIVE_GAP)[:n_pcs],
        sign_determined=(np.abs(all_pcs @ mean) > SIGN_DECIDABLE_RTOL * mean_norm)[:n_pcs],
        k_ambiguous=abs(participation - (round(participation - K_CEIL_SLACK) + K_CEIL_SLACK)) < K_AMBIGUOUS_RTOL * participation,
        subspace_determined=subspace_determined)


def fraction_in_subspace(pcs, k, direction):
    projections = pcs[:k] @ direction
    return float(np.sum(projections ** 2) / np.dot(direction, direction))


def linear_fit(x, y):
    """Least-squares slope and Pearson r of y on x; NaN with fewer than 2 points or no spread."""
    if len(x) < 2 or np.ptp(x) == 0:
        return math.nan, math.nan
    slope = np.polyfit(x, y, 1)[0]
    r = np.corrcoef(x, y)[0, 1] if np.ptp(y) > 0 else math.nan
    return slope, r


def fit_logistic(class0, class1, l2):
    """argmin sum log(1 + exp(-t (w.x + b))) + (l2/2)|w|^2, t = -1 / +1: plain damped Newton."""
    features = np.vstack([class0, class1])
    targets = np.concatenate([-np.ones(len(class0)), np.ones(len(class1))])
    design = np.hstack([features, np.ones((len(features), 1))])
    penalty = np.full(design.shape[1], l2)
    penalty[-1] = 0.0  # bias not penalised

    def objective(theta):
        return np.sum(np.logaddexp(0.0, -targets * (design @ theta))) + 0.5 * np.sum(penalty * theta ** 2)

    theta = np.zeros(design.shape[1])
    value = objective(theta)
    for _ in range(100):
        scores = design @ theta
        gradient = design.T @ (-targets * expit(-targets * scores)) + penalty * theta
        curvature = expit(scores) * expit(-scores)
        hessian = design.T @ (design * curvature[:, None]) + np.diag(penalty)
        step = -np.linalg.solve(hessian, gradient)
        length = 1.0
        while length > 1e-10:  # backtracking (Armijo), with round-off slack for the last steps
            trial = theta + length * step
            trial_value = objective(trial)
            if trial_value <= value + 1e-4 * length * (gradient @ step) + 1e-15 * abs(value):
                break
            length /= 2
        else:
            break  # nothing left to gain at working precision
        theta, value = trial, trial_value
        if np.linalg.norm(length * step) <= 1e-13 * (1.0 + np.linalg.norm(theta)):
            break
    return theta[:-1], theta[-1]


class Comparison:
    """Collects archived vs recomputed values of one quantity and reports the worst deviation."""

    def __init__(self, name, rtol, atol):
        self.name, self.rtol, self.atol = name, rtol, atol
        self.archived, self.recomputed, self.where = [], [], []
        self.skipped = {}

    def add(self, where, archived, recomputed, axis="pc"):
        """One value, or a vector along `axis` (its elements are reported as `axis i`)."""
        vector = np.ndim(archived) > 0
        archived, recomputed = np.atleast_1d(np.asarray(archived, float)), np.atleast_1d(np.asarray(recomputed, float))
        for i, (a, r) in enumerate(zip(archived, recomputed)):
            self.archived.append(a)
            self.recomputed.append(r)
            self.where.append(f"{where} {axis} {i}" if vector else where)

    def skip(self, reason, count=1):
        self.skipped[reason] = self.skipped.get(reason, 0) + count

    def report(self, results):
        skipped = "; skipped " + ", ".join(f"{count} ({reason})" for reason, count in self.skipped.items()) if self.skipped else ""
        if not self.archived:  # every value legitimately skipped: neither a pass nor a failure
            Results.note(f"recompute {self.name}: not compared{skipped}")
            return
        archived, recomputed = np.array(self.archived), np.array(self.recomputed)
        deviation = np.abs(archived - recomputed)
        allowed = self.atol + self.rtol * np.abs(recomputed)
        bad = ~(deviation <= allowed) & ~(np.isnan(archived) & np.isnan(recomputed))
        with np.errstate(divide="ignore", invalid="ignore"):
            relative = deviation / np.abs(recomputed)
        finite = np.isfinite(deviation)
        relative_finite = finite & (np.abs(recomputed) > self.atol)  # relative error of ~0 values means nothing
        summary = (f"{len(archived)} values, max |diff| {deviation[finite].max() if finite.any() else 0:.2e}, "
                   f"max rel {relative[relative_finite].max() if relative_finite.any() else 0:.2e}{skipped}")
        if bad.any():
            worst = [f"{self.where[i]}: archive {archived[i]!r} vs {recomputed[i]!r}" for i in np.flatnonzero(bad)[:3]]
            results.check(False, f"recompute {self.name}", f"{np.count_nonzero(bad)} of {len(archived)} differ beyond "
                          f"rtol {self.rtol:g} + atol {self.atol:g}: " + "; ".join(worst) + f" ({summary})")
        else:
            results.check(True, f"recompute {self.name}", summary)


def recompute_point(results, archive, point, readout_l2):
    width = int(archive["/sweep/width"][point])
    n_days, n_stimuli = archive["/responses/probe"].shape[1:3]
    probe = archive["/responses/probe"][point][..., :width]         # [day, stimulus, sample, unit]
    n_samples = probe.shape[2]
    stored = {path: archive[path][point] for path in (
        "/responses/mean", "/geometry/eigenvalues", "/geometry/explained_variance_ratio", "/geometry/participation_ratio",
        "/geometry/variational_dimension", "/drift/angle_between_means", "/drift/relative_magnitude",
        "/drift/fraction_in_variational_space", "/drift/fraction_chance", "/drift/variational_overlap", "/drift/variational_overlap_chance",
        "/drift/along_pc", "/drift/angle_to_pc", "/drift/variance_flow", "/drift/angle_slope", "/drift/angle_r",
        "/drift/null_fraction_in_variational_space", "/readout/classifier_accuracy", "/readout/classifier_angle")}
    print(f"---- recomputing point {point}: width {width}, {n_days} days, {n_stimuli} stimuli, {n_samples} samples")

    pca = [[reference_pca(probe[s, k]) for k in range(n_stimuli)] for s in range(n_days)]
    largest = max(pca[s][k].eigenvalues[0] for s in range(n_days) for k in range(n_stimuli))
    scale = max(np.abs(probe).max(), 1e-300)
    c = {name: Comparison(name, RTOL, atol) for name, atol in (
        ("mean responses", 1e-12 * scale), ("eigenvalues", EIGENVALUE_ATOL * largest),
        ("explained variance ratio", UNIT_ATOL), ("participation ratio", 0.0), ("variational dimension k", 0.0),
        ("angle between means", DEGREE_ATOL), ("relative magnitude", UNIT_ATOL), ("gamma (fraction in variational space)", UNIT_ATOL),
        ("chance k/n", 0.0), ("overlap Gamma", UNIT_ATOL), ("overlap chance max(k, k')/n", 0.0), ("along_pc", UNIT_ATOL), ("angle_to_pc", DEGREE_ATOL),
        ("variance_flow", UNIT_ATOL), ("angle_slope", DEGREE_ATOL), ("angle_r", UNIT_ATOL), ("split-half null gamma", UNIT_ATOL),
        ("classifier accuracy", 0.0), ("classifier angle", DEGREE_ATOL))}

    for s in range(n_days):
        for k in range(n_stimuli):
            here, ref = f"day {s} stimulus {k}", pca[s][k]
            c["mean responses"].add(here, stored["/responses/mean"][s, k, :width], ref.mean, axis="unit")
            c["eigenvalues"].add(here, stored["/geometry/eigenvalues"][s, k, :ref.n_pcs], ref.eigenvalues)
            c["explained variance ratio"].add(here, stored["/geometry/explained_variance_ratio"][s, k, :ref.n_pcs], ref.explained)
            c["participation ratio"].add(here, stored["/geometry/participation_ratio"][s, k], ref.participation)
            if ref.k_ambiguous:
                c["variational dimension k"].skip("D at a ceil threshold within round-off")
            else:
                c["variational dimension k"].add(here, stored["/geometry/variational_dimension"][s, k], ref.k)

            # split-half null: PCA of the first floor(m/2) samples, d = mean(rest) - mean(first half)
            half = n_samples // 2
            if half >= 2:
                first = reference_pca(probe[s, k, :half])
                drift = probe[s, k, half:].mean(axis=0) - first.mean
                if first.k_ambiguous or not first.subspace_determined(first.k):
                    c["split-half null gamma"].skip("first half's variational space not unique")
                else:
                    c["split-half null gamma"].add(here, stored["/drift/null_fraction_in_variational_space"][s, k],
                                                   fraction_in_subspace(first.pcs, first.k, drift))

    for k in range(n_stimuli):
        for s in range(n_days):
            for later in range(s + 1, n_days):
                here, earlier, after = f"stimulus {k} days {s}->{later}", pca[s][k], pca[later][k]
                drift = after.mean - earlier.mean
                pair = (s, later, k)
                c["angle between means"].add(here, stored["/drift/angle_between_means"][pair], angle_degrees(earlier.mean, after.mean))
                c["relative magnitude"].add(here, stored["/drift/relative_magnitude"][pair],
                                            np.linalg.norm(drift) / np.linalg.norm(earlier.mean))
                if earlier.k_ambiguous or after.k_ambiguous:
                    for name in ("gamma (fraction in variational space)", "chance k/n", "overlap Gamma", "overlap chance max(k, k')/n"):
                        c[name].skip("k ambiguous")
                    continue
                c["chance k/n"].add(here, stored["/drift/fraction_chance"][pair], earlier.k / width)
                # the overlap of two random subspaces of dimensions k, k' of R^n: E Gamma = k k' / (n min(k, k'))
                c["overlap chance max(k, k')/n"].add(here, stored["/drift/variational_overlap_chance"][pair],
                                                     earlier.k * after.k / (width * min(earlier.k, after.k)))
                if earlier.subspace_determined(earlier.k):
                    c["gamma (fraction in variational space)"].add(here, stored["/drift/fraction_in_variational_space"][pair],
                                                                   fraction_in_subspace(earlier.pcs, earlier.k, drift))
                else:
                    c["gamma (fraction in variational space)"].skip("variational space not unique")
                if earlier.subspace_determined(earlier.k) and after.subspace_determined(after.k):
                    cross = earlier.pcs[:earlier.k] @ after.pcs[:after.k].T
                    c["overlap Gamma"].add(here, stored["/drift/variational_overlap"][pair],
                                           np.sum(cross ** 2) / min(earlier.k, after.k))
                else:
                    c["overlap Gamma"].skip("variational space not unique")

            if s + 1 < n_days:  # per-PC metrics of the consecutive pair (s -> s+1), stored at day s+1
                later = s + 1
                here, earlier, after = f"stimulus {k} days {s}->{later}", pca[s][k], pca[later][k]
                drift = after.mean - earlier.mean
                projections = earlier.pcs @ drift
                along = np.abs(projections) / np.linalg.norm(drift)
                angles = np.degrees(np.arccos(np.clip(projections / np.linalg.norm(drift), -1.0, 1.0)))
                later_variance = np.sum((after.centred @ earlier.pcs.T) ** 2, axis=0)  # along each earlier PC
                # share of the later day's total variance; defined only along PCs of positive variance
                flow = later_variance / np.sum(after.centred ** 2)
                unique = earlier.pc_determined & (np.arange(earlier.n_pcs) < earlier.rank)
                signed = unique & earlier.sign_determined
                for i in range(earlier.n_pcs):
                    at = f"{here} pc {i}"
                    if unique[i]:
                        c["along_pc"].add(at, stored["/drift/along_pc"][later, k, i], along[i])
                    else:
                        c["along_pc"].skip("degenerate or zero eigenvalue")
                    if unique[i]:
                        c["variance_flow"].add(at, stored["/drift/variance_flow"][later, k, i], flow[i])
                    else:
                        c["variance_flow"].skip("degenerate eigenvalue")
                    if signed[i]:
                        c["angle_to_pc"].add(at, stored["/drift/angle_to_pc"][later, k, i], angles[i])
                    else:
                        c["angle_to_pc"].skip("degenerate eigenvalue or undecidable sign")
                in_fit = earlier.explained > FIT_MIN_EXPLAINED
                at_threshold = np.any(np.abs(earlier.explained - FIT_MIN_EXPLAINED) < 1e-12)
                if np.all(signed[in_fit]) and not at_threshold:
                    slope, r = linear_fit(earlier.explained[in_fit], angles[in_fit])
                    c["angle_slope"].add(here, stored["/drift/angle_slope"][later, k], slope)
                    c["angle_r"].add(here, stored["/drift/angle_r"][later, k], r)
                else:
                    for name in ("angle_slope", "angle_r"):
                        c[name].skip("a fitted PC is not unique, or v_i at the 1e-5 threshold")

    # Cross-day readout: stimulus 0 vs 1, trained on the first half of day s, tested on the second half of day s'.
    if n_stimuli >= 2 and readout_l2 is not None:
        half = n_samples // 2
        classifiers = [fit_logistic(probe[s, 0, :half], probe[s, 1, :half], readout_l2) for s in range(n_days)]
        diagonal_above_chance = 0
        for s, (weights, bias) in enumerate(classifiers):
            for later in range(n_days):
                test0, test1 = probe[later, 0, half:], probe[later, 1, half:]
                scores0, scores1 = test0 @ weights + bias, test1 @ weights + bias
                accuracy = (np.count_nonzero(scores0 < 0) + np.count_nonzero(scores1 > 0)) / (len(test0) + len(test1))
                magnitude = np.linalg.norm(weights) * np.abs(np.vstack([test0, test1])).max() * math.sqrt(width) + abs(bias)
                near_ties = np.count_nonzero(np.abs(np.concatenate([scores0, scores1])) <= 1e-8 * magnitude)
                here = f"train day {s} test day {later}"
                archived = stored["/readout/classifier_accuracy"][s, later]
                if near_ties and abs(archived - accuracy) * (len(test0) + len(test1)) <= near_ties + 1e-9:
                    c["classifier accuracy"].skip("test score within round-off of the decision boundary")
                else:
                    c["classifier accuracy"].add(here, archived, accuracy)
                c["classifier angle"].add(here, stored["/readout/classifier_angle"][s, later],
                                          angle_degrees(weights, classifiers[later][0]))
                if s == later and archived >= 0.5:
                    diagonal_above_chance += 1
    elif readout_l2 is None:
        Results.note("readout not recomputed: /config/options has no -readout_l2")

    for comparison in c.values():
        if comparison.archived or comparison.skipped:
            comparison.report(results)
    if n_stimuli >= 2 and readout_l2 is not None:  # informative only: a low accuracy can be legitimate
        accuracy = stored["/readout/classifier_accuracy"]
        Results.note(f"point {point}: classifier accuracy >= 0.5 on {diagonal_above_chance} of {n_days} days "
                     f"(trained and tested on the same day); all entries {np.nanmin(accuracy):.3f}..{np.nanmax(accuracy):.3f}")


# ----------------------------------------------------------------------------------------------
# 5. xarray through h5netcdf

def check_xarray(results, path, archive, schema):
    try:
        import xarray
    except ImportError as error:
        xarray = None
        missing = str(error)
    if xarray is None or importlib.util.find_spec("h5netcdf") is None:
        results.check(False, "xarray and h5netcdf importable",
                      f"{missing if xarray is None else 'no h5netcdf'} (Debian: apt-get install python3-xarray python3-h5netcdf)")
        return
    with h5py.File(path, "r") as archive:  # optional groups (e.g. /theory) only where the run has them
        groups = sorted({dataset_path.split("/")[1] for dataset_path in schema.datasets} & set(archive.keys()))
    for group in groups:
        try:
            with xarray.open_dataset(path, engine="h5netcdf", group=group) as opened:
                problems, notes = [], []
                for dataset_path, spec in schema.datasets.items():
                    if dataset_path.split("/")[1] != group or dataset_path not in archive:
                        continue
                    name = dataset_path.split("/")[-1]
                    if name not in opened.variables:
                        problems.append(f"{name} missing")
                        continue
                    variable = opened[name]
                    if tuple(variable.dims) != tuple(spec.dims):
                        problems.append(f"{name} dims {variable.dims}, schema {tuple(spec.dims)}")
                        continue
                    values, expected = variable.values, archive[dataset_path][()]
                    if values.dtype.kind in "mM":
                        notes.append(f"{name} decoded as {values.dtype} (units {spec.units!r}; decode_timedelta=False keeps numbers)")
                        continue
                    if values.dtype != expected.dtype:
                        notes.append(f"{name} read as {values.dtype}, stored as {expected.dtype}")
                    same = np.array_equal(values, expected, equal_nan=values.dtype.kind == "f")
                    if not same:
                        problems.append(f"{name} values differ from h5py's")
                dims = dict(opened.sizes)
                for note in notes:
                    Results.note(f"xarray /{group}: {note}")
                results.check_all(f"xarray.open_dataset(engine='h5netcdf', group='{group}')", problems,
                                  "dims " + ", ".join(f"{name}={size}" for name, size in dims.items()))
        except Exception as error:  # any reason it cannot be opened is the finding
            results.check(False, f"xarray.open_dataset(engine='h5netcdf', group='{group}')", f"{type(error).__name__}: {error}")


# ----------------------------------------------------------------------------------------------

def point_choice(text):
    if text in ("last", "all"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a point index, 'last' or 'all'") from None


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    parser.add_argument("archive")
    parser.add_argument("--schema", required=True, help="output of `repdrift-report -schema`")
    parser.add_argument("--point", default="last", type=point_choice, help="point to recompute: an index, 'last' (default) or 'all'")
    parser.add_argument("--skip-xarray", action="store_true", help="leave out the xarray/h5netcdf check")
    args = parser.parse_args()

    try:
        schema = read_schema(args.schema)
    except (OSError, ValueError) as error:
        print(f"check_archive: cannot use the schema text: {error}", file=sys.stderr)
        return 2
    try:
        archive = h5py.File(args.archive, "r")
    except OSError as error:
        print(f"check_archive: cannot open {args.archive} as HDF5: {error}", file=sys.stderr)
        return 2

    results = Results()
    with archive:
        check_provenance(results, archive, schema)
        sizes, usable = check_structure(results, archive, schema)
        options_item = archive.get("/config/options")
        options = parse_options(as_text(options_item[()]) or "") if isinstance(options_item, h5py.Dataset) else {}
        if not usable:
            Results.note("datasets missing or misshapen: semantic checks and recomputation skipped")
        elif options.get("protocol") == "replicas":
            # no days, probes or geometry in this protocol: tests/python/check_theory.py checks /theory
            check_sweep_grid(results, archive, options)
            Results.note("-protocol replicas: day/geometry semantics not applicable (see check_theory.py)")
        else:
            check_sweep_grid(results, archive, options)
            check_semantics(results, archive, sizes)
            check_pending_points(results, archive, schema)
            status, n_points = archive["/sweep/status"][()], sizes["point"]
            if args.point == "all":
                points = list(range(n_points))
            else:
                point = n_points - 1 if args.point == "last" else args.point
                if not 0 <= point < n_points:
                    parser.error(f"--point {args.point}: the archive has points 0..{n_points - 1}")
                points = [point]
            readout_l2 = float(options["readout_l2"]) if "readout_l2" in options else None
            if "/responses/probe" not in archive:
                Results.note("no /responses/probe (run without -save_responses): recomputation skipped")
            else:
                for point in points:
                    if status[point] != STATUS_DONE:
                        Results.note(f"point {point} has status {status[point]}: not recomputed")
                        continue
                    recompute_point(results, archive, point, readout_l2)
        if not args.skip_xarray:
            check_xarray(results, args.archive, archive, schema)

    print(f"check_archive: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
