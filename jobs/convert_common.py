"""Shared by the jobs/convert-*.py converters: reading HDF5 inputs with one-line errors, matching
cells across sessions, the checks of a repdrift-recording (the same rules as the C reader,
include/repdrift/recording.h) and writing the file without ever leaving a partial one.

The format (version 1): /responses float64 [session, stimulus, trial, neuron] (NaN = missing
trial), optional /session_day [session], /stimulus_name [stimulus], /neuron_id [neuron]; root
attributes format = "repdrift-recording", version = 1, response_units, source.
"""
import datetime
import os
import sys

FORMAT = "repdrift-recording"
VERSION = 1


class ConversionError(Exception):
    """A refusal: one line naming the file, the path inside it and what is wrong."""


def where(path, inner=None):
    return f"{path}: {inner}" if inner else f"{path}"


def run(program, main, argv):
    """Runs main(argv); a ConversionError becomes `program: message` on stderr and exit status 2."""
    try:
        import numpy  # noqa: F401
        import h5py  # noqa: F401
    except ImportError as error:
        print(f"{program}: {error}; install numpy and h5py (apt-get install python3-h5py)", file=sys.stderr)
        return 2
    try:
        main(argv)
    except ConversionError as error:
        print(f"{program}: {error}", file=sys.stderr)
        return 2
    return 0


def open_hdf5(path):
    import h5py
    if not os.path.exists(path):
        raise ConversionError(f"{path}: no such file")
    if not os.access(path, os.R_OK):
        raise ConversionError(f"{path}: not readable")
    try:
        is_hdf5 = h5py.is_hdf5(path)
    except OSError as error:
        raise ConversionError(f"{path}: cannot be read ({error})") from None
    if not is_hdf5:
        raise ConversionError(f"{path}: not an HDF5 file")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise ConversionError(f"{path}: HDF5 cannot open it, truncated or damaged ({error})") from None


def dataset(handle, inner, what):
    """handle[inner] as a dataset, or a refusal saying what was expected there."""
    import h5py
    if inner not in handle:
        raise ConversionError(f"{handle.file.filename}: {inner}: missing ({what})")
    node = handle[inner]
    if not isinstance(node, h5py.Dataset):
        raise ConversionError(f"{handle.file.filename}: {inner}: is a group, not a dataset ({what})")
    return node


def read_numbers(handle, inner, what, ndim=None, shape=None):
    """A numeric dataset as float64 (integers converted exactly below 2^53)."""
    import numpy as np
    node = dataset(handle, inner, what)
    if node.dtype.kind not in "iuf":
        raise ConversionError(f"{handle.file.filename}: {inner}: holds {node.dtype} values, not numbers ({what})")
    if ndim is not None and node.ndim != ndim:
        raise ConversionError(f"{handle.file.filename}: {inner}: has shape {node.shape}, {node.ndim} dimensions; expected {ndim} ({what})")
    if shape is not None and tuple(node.shape) != tuple(shape):
        raise ConversionError(f"{handle.file.filename}: {inner}: has shape {node.shape}, expected {tuple(shape)} ({what})")
    try:
        values = node[()]
    except (OSError, ValueError) as error:
        raise ConversionError(f"{handle.file.filename}: {inner}: cannot be read, damaged file ({error})") from None
    return np.asarray(values, dtype=np.float64)


def read_strings(handle, inner, what):
    node = dataset(handle, inner, what)
    if node.dtype.kind not in "SOU":
        raise ConversionError(f"{handle.file.filename}: {inner}: holds {node.dtype} values, not strings ({what})")
    return [value.decode("utf-8") if isinstance(value, bytes) else str(value) for value in node[()].ravel()]


def read_text(handle, inner):
    """A scalar string dataset or attribute value as text, or None when absent or not text."""
    if inner not in handle:
        return None
    value = handle[inner][()]
    if hasattr(value, "shape") and value.shape:
        value = value.ravel()[0] if value.size else None
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value if isinstance(value, str) else None


def unique_integer_ids(ids, file, inner):
    """Cell ids: integers, each once."""
    import numpy as np
    ids = np.asarray(ids, dtype=np.float64)
    if ids.ndim != 1:
        raise ConversionError(f"{file}: {inner}: ids must be a 1-D array, got shape {ids.shape}")
    bad = ~np.isfinite(ids) | (ids != np.round(ids)) | (np.abs(ids) >= 2.0 ** 53)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise ConversionError(f"{file}: {inner}: entry {i} is {ids[i]!r}, not an integer id")
    values, counts = np.unique(ids, return_counts=True)
    if (counts > 1).any():
        repeated = values[counts > 1][0]
        positions = np.flatnonzero(ids == repeated).tolist()
        raise ConversionError(f"{file}: {inner}: the id {int(repeated)} repeats (entries {positions}): every cell must appear once")
    return ids.astype(np.int64)


def match_cells(ids_per_file, files, inner):
    """The ids common to every file (ascending) and, per file, the column of each."""
    import numpy as np
    common = ids_per_file[0]
    for ids in ids_per_file[1:]:
        common = np.intersect1d(common, ids)
    common = np.sort(common)
    if common.size == 0:
        raise ConversionError(f"{', '.join(files)}: {inner}: no cell id is common to all {len(files)} sessions")
    columns = []
    for ids in ids_per_file:
        order = np.argsort(ids, kind="stable")
        columns.append(order[np.searchsorted(ids[order], common)])
    return common, columns


def parse_days(text, count):
    """--days 0,1,7: one number per session."""
    try:
        days = [float(value) for value in text.split(",")]
    except ValueError:
        raise ConversionError(f"--days {text}: not a list of numbers") from None
    if len(days) != count:
        raise ConversionError(f"--days {text}: {len(days)} values for {count} sessions")
    return days


def days_from_start_times(texts):
    """Days since the first session from session start-time strings, or None if any does not parse."""
    formats = ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S",
               "%a %b %d %H:%M:%S %Y", "%Y-%m-%d %H:%M:%S")
    times = []
    for text in texts:
        if text is None:
            return None
        for fmt in formats:
            try:
                times.append(datetime.datetime.strptime(text.strip(), fmt))
                break
            except ValueError:
                continue
        else:
            return None
    if any(t.tzinfo is not None for t in times) and any(t.tzinfo is None for t in times):
        return None
    return [(t - times[0]).total_seconds() / 86400.0 for t in times]


def check_recording(responses, neuron_id, session_day, stimulus_name, files, neuron_path, trial_path):
    """The C reader's rules, so that a converter never writes a file repdrift would refuse.
    files[s] is the input of session s; neuron_path and trial_path the paths inside it that the
    neurons' traces and the trials came from (named in the messages)."""
    import numpy as np
    if responses.ndim != 4 or min(responses.shape) < 1:
        raise ConversionError(f"{files[0]}: {trial_path}: responses of shape {responses.shape}: need [session, stimulus, trial, neuron], each >= 1")
    sessions, stimuli, trials, neurons = responses.shape
    if sessions < 2:
        raise ConversionError(f"{files[0]}: {trial_path}: only {sessions} session: drift needs at least 2 sessions")
    if trials < 2:
        raise ConversionError(f"{files[0]}: {trial_path}: {trials} trial per stimulus: at least 2 needed")
    if np.isinf(responses).any():
        s, k, t, i = (int(v[0]) for v in np.nonzero(np.isinf(responses)))
        raise ConversionError(f"{files[s]}: {neuron_path}: the response of neuron {i} to stimulus {k}, trial {t} is infinite")
    finite = np.isfinite(responses)
    for s in range(sessions):
        silent = ~finite[s].any(axis=(0, 1))
        if silent.any():
            i = int(np.flatnonzero(silent)[0])
            name = f"id {int(neuron_id[i])}" if neuron_id is not None else f"{i}"
            raise ConversionError(f"{files[s]}: {neuron_path}: cell {name} has no finite response in any trial (a NaN-only neuron): leave it out")
        valid = finite[s].all(axis=2).sum(axis=1)
        if (valid < 2).any():
            k = int(np.flatnonzero(valid < 2)[0])
            name = f" ({stimulus_name[k]})" if stimulus_name is not None else ""
            raise ConversionError(f"{files[s]}: {trial_path}: stimulus {k}{name} has {int(valid[k])} valid trial(s) (every cell finite); at least 2 needed")
    if session_day is not None:
        days = np.asarray(session_day, dtype=np.float64)
        if days.shape != (sessions,) or not np.isfinite(days).all() or (days < 0).any() or (np.diff(days) <= 0).any():
            raise ConversionError(f"{files[0]}: session days {days.tolist()}: need one finite day >= 0 per session, strictly increasing (give the sessions in time order)")


def write_recording(output, responses, *, neuron_id=None, session_day=None, stimulus_name=None,
                    response_units, source, overwrite=False, files, neuron_path, trial_path):
    """Checks, then writes output through a temporary file in its directory and a rename: an
    existing file is replaced only by a complete one, and never without overwrite."""
    import h5py
    import numpy as np
    responses = np.asarray(responses, dtype=np.float64)
    check_recording(responses, neuron_id, session_day, stimulus_name, files, neuron_path, trial_path)
    absolute = os.path.realpath(output)
    if any(os.path.realpath(path) == absolute for path in files):
        raise ConversionError(f"{output}: the output is one of the inputs")
    if os.path.exists(output) and not overwrite:
        raise ConversionError(f"{output}: exists; give --overwrite to replace it")
    directory = os.path.dirname(absolute)
    if not os.path.isdir(directory):
        raise ConversionError(f"{output}: the directory {directory} does not exist")
    temporary = os.path.join(directory, f".{os.path.basename(absolute)}.tmp{os.getpid()}")
    try:
        with h5py.File(temporary, "w") as f:
            f.attrs["format"] = FORMAT
            f.attrs["version"] = np.int64(VERSION)
            f.attrs["response_units"] = response_units
            f.attrs["source"] = source
            f.create_dataset("responses", data=responses)
            if session_day is not None:
                f.create_dataset("session_day", data=np.asarray(session_day, dtype=np.float64))
            if stimulus_name is not None:
                f.create_dataset("stimulus_name", data=list(stimulus_name), dtype=h5py.string_dtype())
            if neuron_id is not None:
                f.create_dataset("neuron_id", data=np.asarray(neuron_id, dtype=np.int64))
        os.replace(temporary, output)
    except OSError as error:
        if os.path.exists(temporary):
            os.remove(temporary)
        raise ConversionError(f"{output}: cannot be written ({error})") from None
