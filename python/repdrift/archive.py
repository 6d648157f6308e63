"""Reading a repdrift archive (HDF5, schema version 1) with the sweep as labelled axes.

The archive stores every result with a flattened leading `point` dimension. The points are the
Cartesian product of the sweep's axes, flattened in C order with the replicate fastest (README,
"The sweep"):

    point = ((((i_frequency * n_noise_type + i_noise_type) * n_noise_level + i_noise_level)
              * n_width + i_width) * n_lr + i_lr) * n_seeds + replicate

so `values.reshape(n_frequency, n_noise_type, n_noise_level, n_width, n_lr, n_seeds, *rest)` puts
every point back at its axis indices. The axis values come from /config/options (the effective
options, in the order the run swept them) and are checked against /sweep/* point by point: an
archive whose points are not that product in that order is refused with a one-line error.

Every archive is first checked by the program's own validation, the one every reader shares
(`repdrift-report ARCHIVE -verify`: the archive holds what its /config/options imply, and every
finished point matches its checksum; README, "Integrity"): a damaged archive is refused with that
check's one line. The program is found through $REPDRIFT_REPORT, else next to this package (the
build tree's build/repdrift-report, an installed <prefix>/bin/repdrift-report, a source tree's
build/repdrift-report), else on PATH; each file is checked once per process (per size and
modification time).

Only this module opens HDF5 files in the package.
"""
import os
import shutil
import subprocess
import warnings

import h5py
import numpy as np
import xarray as xr

# The sweep's axes, slowest first (the flattening order above).
SWEEP_DIMS = ("frequency", "noise_type", "noise_level", "width", "lr", "seed")
# /sweep/noise_type codes (archive schema: 0 none, 1 node_dropout, ...).
NOISE_TYPE_NAMES = ("none", "node_dropout", "weight_dropout", "additive", "multiplicative", "gradient")
STATUS_NAMES = {0: "pending", 1: "done", 2: "diverged", 3: "failed"}
STATUS_DONE = 1
# Root attributes copied as provenance into every dataset, figure, CSV and index.
PROVENANCE_ATTRIBUTES = ("program_version", "git_revision", "created", "finished", "status", "model",
                         "schema_version", "global_seed", "mpi_ranks")


class ArchiveError(Exception):
    """The file is not a usable repdrift archive; str() is one line naming what is wrong."""


REPORT_ENVIRONMENT = "REPDRIFT_REPORT"
_verified = {}  # (real path, size, mtime, inode) -> notes already printed


def find_report():
    """The repdrift-report that validates archives (see the module's docstring), or None."""
    if os.environ.get(REPORT_ENVIRONMENT):
        return os.environ[REPORT_ENVIRONMENT]
    directory = os.path.dirname(os.path.abspath(__file__))
    for _ in range(5):
        directory = os.path.dirname(directory)
        for candidate in (os.path.join(directory, "repdrift-report"), os.path.join(directory, "bin", "repdrift-report"),
                          os.path.join(directory, "build", "repdrift-report")):
            if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
                return candidate
    return shutil.which("repdrift-report")


def verify(path):
    """Runs the program's validation of PATH (`repdrift-report PATH -verify`) unless this version of
    the file passed it already: raises ArchiveError with its one line when the archive does not hold
    what its options imply or points fail their checksums; its notes (e.g. an archive written before
    checksums cannot be verified) become warnings."""
    status = os.stat(path)
    key = (os.path.realpath(path), status.st_size, status.st_mtime_ns, status.st_ino)
    if key in _verified:
        return
    report = find_report()
    if report is None:
        raise ArchiveError(f"{path}: cannot check it: repdrift-report not found (set {REPORT_ENVIRONMENT} to its path "
                           "or put it on PATH)")
    try:
        run = subprocess.run([report, path, "-verify"], capture_output=True, text=True, errors="replace")
    except OSError as error:
        raise ArchiveError(f"{path}: cannot check it: {REPORT_ENVIRONMENT}/repdrift-report {report} does not run "
                           f"({error.strerror})") from None
    out = [line for line in run.stdout.splitlines() if line.strip()]
    err = [line for line in run.stderr.splitlines() if line.strip()]
    if run.returncode == 2 and err:
        raise ArchiveError(err[-1].split("repdrift-report: ", 1)[-1])
    if run.returncode == 1 and out:
        raise ArchiveError(f"{out[-1]}; `repdrift-report {path} -verify` lists them, -resume recomputes them")
    if run.returncode not in (0, 3):
        raise ArchiveError(f"{path}: cannot check it: {report} -verify ended with status {run.returncode}"
                           f"{': ' + err[-1] if err else ''}")
    notes = [line[len("Note: "):] for line in out if line.startswith("Note: ")]
    for note in notes:
        warnings.warn(note, stacklevel=3)
    _verified[key] = notes


def _text(value):
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray) and value.shape == ():
        return _text(value[()])
    return str(value)


def open_file(path):
    """Opens PATH read-only as a repdrift archive (h5py.File) or raises ArchiveError."""
    if not os.path.exists(path):
        raise ArchiveError(f"{path}: no such file")
    if os.path.isdir(path):
        raise ArchiveError(f"{path}: is a directory, not a repdrift archive")
    try:
        f = h5py.File(path, "r")
    except OSError as error:
        raise ArchiveError(f"{path}: not an HDF5 file, so not a repdrift archive ({str(error).splitlines()[0]})") from None
    if _text(f.attrs.get("format", "")) != "repdrift":
        f.close()
        raise ArchiveError(f"{path}: not a repdrift archive (no root attribute format = \"repdrift\")")
    try:
        verify(path)
    except ArchiveError:
        f.close()
        raise
    missing = [name for name in ("config/options", "sweep/status", "point") if name not in f]
    if missing:
        f.close()
        raise ArchiveError(f"{path}: incomplete repdrift archive (missing /{missing[0]})")
    note = running_note(f, path)
    if note:
        warnings.warn(note, stacklevel=2)
    return f


def running_note(f, path):
    """None for a finished archive; for one whose root status is still "running", what that means:
    being written by the writer its claim (PATH.lock, see the README) names, or left by a run that
    stopped early. Readers are never blocked: they read the points finished so far."""
    if _text(f.attrs.get("status", "")) != "running":
        return None
    holder = {}
    try:
        with open(path + ".lock") as record:
            for line in record:
                key, _, value = line.strip().partition("=")
                holder[key] = value
    except OSError:
        pass
    if "pid" in holder:
        job = f", Slurm job {holder['slurm_job_id']}" if holder.get("slurm_job_id") else ""
        return (f"{path} is being written (status running; writer: host {holder.get('host')}, PID {holder['pid']}{job}, "
                f"since {holder.get('started')}): only the points finished so far are read")
    return f"{path} has status running but no writer holds it: its run stopped early; only finished points are read (-resume completes it)"


def read_options(f):
    """/config/options as {name without '-': value text}, in the file's order."""
    options = {}
    for line in _text(f["config/options"][()]).splitlines():
        parts = line.split(None, 1)
        if parts and parts[0].startswith("-"):
            options[parts[0][1:]] = parts[1].strip() if len(parts) > 1 else ""
    return options


def provenance(f, path):
    """The archive's identity: path and the root attributes that say what wrote it and when."""
    out = {"archive": os.path.abspath(path)}
    for name in PROVENANCE_ATTRIBUTES:
        if name in f.attrs:
            value = f.attrs[name]
            out[name] = _text(value) if not isinstance(value, (np.integer, int)) else int(value)
    return out


class SweepAxes:
    """The sweep's axes and their values, derived from /config/options and checked against /sweep.

    Attributes:
      values: {axis: numpy array of coordinate values} for SWEEP_DIMS (noise_type as names);
        `noise_level` is None when the levels are per noise type (classifier default: each type at
        the paper's best-fit level), then `level_of_type` holds the level of each noise_type entry.
      shape: axis lengths in SWEEP_DIMS order; n_points: their product.
      status: /sweep/status [point] (int8: 0 pending, 1 done, 2 diverged, 3 failed).
    """

    def __init__(self, f, path):
        options = read_options(f)
        sweep = f["sweep"]
        per_point = {name: sweep[name][:] for name in ("frequency", "noise_type", "noise_level", "width", "lr", "seed")
                     if name in sweep}
        missing = [name for name in ("frequency", "noise_type", "noise_level", "width", "lr", "seed") if name not in per_point]
        if missing:
            raise ArchiveError(f"{path}: /sweep/{missing[0]} is missing")
        self.status = sweep["status"][:]
        n_points = len(self.status)

        def floats(option, name):
            if option in options:
                try:
                    return np.array([float(x) for x in options[option].split(",")], dtype=np.float64)
                except ValueError:
                    raise ArchiveError(f"{path}: /config/options has an unreadable -{option} '{options[option]}'") from None
            return _first_seen(per_point[name])

        frequency = floats("sweep_frequency", "frequency")
        if "sweep_noise_type" in options:
            names = [x.strip() for x in options["sweep_noise_type"].split(",")]
            unknown = [x for x in names if x not in NOISE_TYPE_NAMES]
            if unknown:
                raise ArchiveError(f"{path}: /config/options names an unknown noise type '{unknown[0]}'")
            type_codes = np.array([NOISE_TYPE_NAMES.index(x) for x in names])
        else:
            type_codes = _first_seen(per_point["noise_type"]).astype(int)
            bad = [c for c in type_codes if not 0 <= c < len(NOISE_TYPE_NAMES)]
            if bad:
                raise ArchiveError(f"{path}: /sweep/noise_type holds an unknown code {bad[0]}")
        level_option = "sweep_noise_level" if "sweep_noise_level" in options else "sweep_dropout"
        per_type = level_option not in options and options.get("model") == "classifier"
        if per_type:
            noise_level = None
            level_of_type = np.full(len(type_codes), np.nan)
            for i, code in enumerate(type_codes):
                seen = per_point["noise_level"][per_point["noise_type"] == code]
                if len(seen):
                    level_of_type[i] = seen[0]
            n_level = 1
        else:
            noise_level = floats(level_option, "noise_level")
            level_of_type = None
            n_level = len(noise_level)
        if "sweep_width" in options:
            try:
                width = np.array([int(x) for x in options["sweep_width"].split(",")], dtype=np.int64)
            except ValueError:
                raise ArchiveError(f"{path}: /config/options has an unreadable -sweep_width '{options['sweep_width']}'") from None
        else:
            width = _first_seen(per_point["width"])
        lr = floats("sweep_lr", "lr")
        try:
            n_seeds = int(options["sweep_seeds"]) if "sweep_seeds" in options else int(per_point["seed"].max()) + 1
        except ValueError:
            raise ArchiveError(f"{path}: /config/options has an unreadable -sweep_seeds '{options['sweep_seeds']}'") from None

        self.shape = (len(frequency), len(type_codes), n_level, len(width), len(lr), n_seeds)
        self.n_points = int(np.prod(self.shape))
        if self.n_points != n_points:
            raise ArchiveError(f"{path}: /sweep has {n_points} points but the axes in /config/options give "
                               f"{' x '.join(str(n) for n in self.shape)} = {self.n_points} "
                               "(frequency x noise_type x noise_level x width x lr x seeds): not the Cartesian product")
        index = np.indices(self.shape).reshape(len(self.shape), -1)  # C order = the flattening order
        expected = {
            "frequency": frequency[index[0]],
            "noise_type": type_codes[index[1]],
            "noise_level": level_of_type[index[1]] if per_type else noise_level[index[2]],
            "width": width[index[3]],
            "lr": lr[index[4]],
            "seed": np.arange(n_seeds)[index[5]],
        }
        for name, want in expected.items():
            have = per_point[name]
            same = np.isclose(have.astype(np.float64), want.astype(np.float64), rtol=1e-12, atol=0) | \
                (np.isnan(have.astype(np.float64)) & np.isnan(want.astype(np.float64)))
            if not same.all():
                p = int(np.argmin(same))
                raise ArchiveError(f"{path}: /sweep/{name} of point {p} is {have[p]!r} where the Cartesian product of the "
                                   f"axes in /config/options gives {want[p]!r}: not the sweep's documented order")
        self.values = {
            "frequency": frequency,
            "noise_type": np.array([NOISE_TYPE_NAMES[c] for c in type_codes]),
            "noise_level": noise_level,
            "width": width,
            "lr": lr,
            "seed": np.arange(n_seeds, dtype=np.int64),
        }
        self.type_codes = type_codes
        self.level_of_type = level_of_type
        self.model = options.get("model", _text(f.attrs.get("model", "linear")))
        self.protocol = options.get("protocol", "days")
        self.options = options

    def coords(self):
        """xarray coordinates of the sweep dimensions (and the per-type level where there is one)."""
        coords = {name: (name, values) for name, values in self.values.items() if values is not None}
        if self.level_of_type is not None:
            coords["noise_level_of_type"] = ("noise_type", self.level_of_type)
        return coords

    def reshape(self, values):
        """[point, ...] -> [frequency, noise_type, noise_level, width, lr, seed, ...] (a view)."""
        return values.reshape(self.shape + values.shape[1:])

    def point_value(self, axis):
        """The value of one axis at every point, flattened order (noise_level: the level it ran at)."""
        index = np.indices(self.shape).reshape(len(self.shape), -1)
        if axis == "noise_level" and self.level_of_type is not None:
            return self.level_of_type[index[1]]
        return self.values[axis][index[SWEEP_DIMS.index(axis)]]


def _first_seen(values):
    """Distinct values in order of first appearance."""
    _, first = np.unique(values, return_index=True)
    return values[np.sort(first)]


def _dimension_names(dataset):
    """The names of the dimension scales attached to DATASET (e.g. later_day), else its labels."""
    names = []
    for i, dim in enumerate(dataset.dims):
        name = None
        try:
            if len(dim):
                name = dim[0].name.rsplit("/", 1)[-1]
        except (RuntimeError, KeyError, ValueError):
            name = None
        names.append(name or dim.label or f"dim_{i}")
    return names


def sweep_axes(path):
    """The SweepAxes of the archive at PATH."""
    with open_file(path) as f:
        return SweepAxes(f, path)


def open_archive(path, group, variables=None):
    """One group of a repdrift archive as an xarray.Dataset with the sweep as labelled axes.

    The flattened `point` dimension of every dataset in /GROUP is replaced by the sweep's axes, in
    the sweep's order: frequency, noise_type, noise_level, width, lr, seed. Their values are the
    coordinates (noise_type as names, e.g. "node_dropout"; seed is the replicate 0..n-1). The other
    labelled dimensions (day, later_day, stimulus, sample, unit, pc, record, lag) are kept, with the
    archive's scale values as coordinates. Where the classifier ran each noise type at its own level
    (no -sweep_noise_level), `noise_level` has length 1 and no coordinate; the level of each type is
    the coordinate `noise_level_of_type` (dimension noise_type).

    Points not done (/sweep/status != 1: pending, diverged, failed) are NaN in every variable
    (integer datasets become float64 for that); the coordinate `status` (int8, the six sweep
    dimensions) keeps every point's status. Group "sweep" is the exception: its datasets describe
    the sweep and are kept for all points; the per-point axis values are the coordinates, not
    variables. Works on archives of sliced (-sweep_slice) and merged (repdrift-merge) runs alike.

    Arguments:
      path: the archive (.h5).
      group: "sweep", "task", "responses", "geometry", "drift", "readout", "signature",
        "modularity" or "theory" (a leading '/' is allowed).
      variables: optional list of dataset names of the group to read (default: all).

    Raises ArchiveError (one line) for a file that is not a repdrift archive, a missing group or
    dataset, or points that are not the Cartesian product of the axes in /config/options.

    Example:
      drift = open_archive("repdrift.h5", "drift")
      drift.fraction_in_variational_space.sel(width=64).mean("seed")
    """
    group = group.strip("/")
    with open_file(path) as f:
        axes = SweepAxes(f, path)
        if group not in f or not isinstance(f[group], h5py.Group) or group == "config":
            present = sorted(k for k, v in f.items() if isinstance(v, h5py.Group) and k != "config")
            raise ArchiveError(f"{path}: no group /{group} (this archive has /{', /'.join(present)})")
        g = f[group]
        names = [k for k, v in g.items() if isinstance(v, h5py.Dataset)]
        if variables is not None:
            unknown = [v for v in variables if v not in names]
            if unknown:
                raise ArchiveError(f"{path}: no dataset /{group}/{unknown[0]}")
            names = [v for v in names if v in variables]
        if group == "sweep":
            names = [n for n in names if n not in SWEEP_DIMS and n != "status"]
        done = axes.reshape(axes.status == STATUS_DONE)
        data_vars, other_dims = {}, {}
        for name in names:
            dataset = g[name]
            dims = _dimension_names(dataset)
            if not dims or dims[0] != "point" or dataset.shape[0] != axes.n_points:
                continue  # not a per-point dataset (none in schema 1)
            values = axes.reshape(dataset[()])
            if group != "sweep":
                if not np.issubdtype(values.dtype, np.floating):
                    values = values.astype(np.float64)
                mask = done.reshape(done.shape + (1,) * (values.ndim - done.ndim))
                values = np.where(mask, values, np.nan)
            attrs = {k: _text(dataset.attrs[k]) for k in ("units", "description") if k in dataset.attrs}
            data_vars[name] = (SWEEP_DIMS + tuple(dims[1:]), values, attrs)
            for dim, size in zip(dims[1:], dataset.shape[1:]):
                other_dims[dim] = size
        coords = axes.coords()
        coords["status"] = (SWEEP_DIMS, axes.reshape(axes.status))
        for dim, size in other_dims.items():
            if dim in f and isinstance(f[dim], h5py.Dataset) and f[dim].shape == (size,):
                coords[dim] = (dim, f[dim][()])
        attrs = provenance(f, path)
        attrs.update(group=group, protocol=axes.protocol, model=axes.model,
                     noise_level_per_type=int(axes.level_of_type is not None))
    ds = xr.Dataset(data_vars=data_vars, coords=coords, attrs=attrs)
    ds["status"].attrs.update(description="0 pending, 1 done, 2 diverged, 3 failed; values of points not done are NaN")
    return ds
