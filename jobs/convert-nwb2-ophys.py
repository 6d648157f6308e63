#!/usr/bin/env python3
"""usage: convert-nwb2-ophys.py SESSION.nwb [SESSION.nwb ...] -o RECORDING.h5 --series PATH --stimulus-column NAME [options]

Converts NWB 2 optical-physiology sessions (pynwb layout, read with h5py; one file per session,
given in time order) into a repdrift-recording (version 1):

  responses        a RoiResponseSeries given by --series: data [frames, rois] with timestamps
                   [frames], or starting_time (attribute rate, in Hz): t_i = starting_time + i / rate
  trials           the rows of an intervals table (--intervals, default /intervals/trials) with
                   columns start_time, stop_time and the stimulus column --stimulus-column; the
                   response of a trial is the mean of each ROI over the frames with
                   start_time <= t < stop_time (NaN, a missing trial, when no frame falls inside);
                   the n-th trial of a stimulus is its n-th row in start_time order
  stimulus groups  the distinct values of the stimulus column over all sessions (sorted; --stimuli
                   selects some, in the order given); /stimulus_name holds them as text
  neurons          --match-by order: ROI j is the same cell in every session (all sessions need
                   the same number of ROIs); --match-by id: by the ids of --id-column (a dataset of
                   one id per table row, e.g. .../PlaneSegmentation/id; when the series has a rois
                   region its entries pick the rows), the ids common to all sessions, ascending
  session days     --days, else /session_start_time differences when all parse, else none

A bad file (a missing path, a wrong shape, no common cells, a stimulus with fewer than 2 valid
trials in a session, a NaN-only ROI, a repeated id, a ragged column) is refused with one line
naming the file and the path, exit status 2, and nothing is written.
"""
import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import convert_common as common  # noqa: E402


def arguments(argv):
    parser = argparse.ArgumentParser(prog="convert-nwb2-ophys.py", description=__doc__.split("\n\n")[1],
                                     formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 2)[2])
    parser.add_argument("sessions", nargs="+", metavar="SESSION.nwb", help="NWB 2 session files, in time order")
    parser.add_argument("-o", "--output", required=True, help="recording to write")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output")
    parser.add_argument("--series", required=True, help="path of the RoiResponseSeries, e.g. /processing/ophys/DfOverF/RoiResponseSeries")
    parser.add_argument("--intervals", default="/intervals/trials", help="intervals table of the trials (default /intervals/trials)")
    parser.add_argument("--stimulus-column", required=True, help="column of the intervals table naming each trial's stimulus")
    parser.add_argument("--stimuli", help="comma-separated stimulus values to keep, in this order (default: all, sorted)")
    parser.add_argument("--match-by", choices=("order", "id"), default="order", help="match ROIs across sessions by position or by --id-column (default order)")
    parser.add_argument("--id-column", help="with --match-by id: dataset of ROI ids, e.g. /processing/ophys/ImageSegmentation/PlaneSegmentation/id")
    parser.add_argument("--days", help="days since the first session, one per file")
    parser.add_argument("--units", help="response units (default: the series' unit attribute)")
    options = parser.parse_args(argv)
    if options.match_by == "id" and not options.id_column:
        raise common.ConversionError("--match-by id needs --id-column PATH")
    return options


def column_values(f, table, name, path):
    """A table column as a list (numbers or text); a ragged column (NAME_index) is refused."""
    import numpy as np
    inner = f"{table}/{name}"
    if f"{table}/{name}_index" in f:
        raise common.ConversionError(f"{path}: {inner}: a ragged column ({name}_index exists); the stimulus column needs one value per trial")
    node = common.dataset(f, inner, "a column of the intervals table")
    if node.ndim != 1:
        raise common.ConversionError(f"{path}: {inner}: shape {node.shape}; a column has one value per row")
    if node.dtype.kind in "SOU":
        return [v.decode("utf-8") if isinstance(v, bytes) else str(v) for v in node[()]]
    if node.dtype.kind in "iuf":
        return np.asarray(node[()], dtype=np.float64).tolist()
    raise common.ConversionError(f"{path}: {inner}: holds {node.dtype} values, neither numbers nor text")


def frame_times(f, series, frames, path):
    import numpy as np
    if f"{series}/timestamps" in f:
        times = common.read_numbers(f, f"{series}/timestamps", "frame times [frames]", ndim=1)
        if times.shape[0] != frames:
            raise common.ConversionError(f"{path}: {series}/timestamps: {times.shape[0]} times for {frames} frames of {series}/data")
    elif f"{series}/starting_time" in f:
        node = common.dataset(f, f"{series}/starting_time", "the first frame's time")
        rate = node.attrs.get("rate")
        if rate is None or not np.isfinite(float(rate)) or float(rate) <= 0:
            raise common.ConversionError(f"{path}: {series}/starting_time: needs a positive attribute rate (frames per second)")
        times = float(node[()]) + np.arange(frames) / float(rate)
    else:
        raise common.ConversionError(f"{path}: {series}: neither timestamps nor starting_time (with rate) exists")
    if not np.isfinite(times).all() or (np.diff(times) < 0).any():
        raise common.ConversionError(f"{path}: {series}: frame times must be finite and non-decreasing")
    return times


def stimulus_key(value):
    """Sort key: numbers before text, numbers by value."""
    return (0, value, "") if isinstance(value, float) else (1, 0.0, value)


def stimulus_text(value):
    return f"{value:g}" if isinstance(value, float) else value


def read_session(path, options):
    """ROI ids (or None), the trial table and the responses of one session file."""
    import numpy as np
    with common.open_hdf5(path) as f:
        data = common.read_numbers(f, f"{options.series}/data", "RoiResponseSeries data [frames, rois]", ndim=2)
        frames, rois = data.shape
        times = frame_times(f, options.series, frames, path)
        table = options.intervals
        start = common.read_numbers(f, f"{table}/start_time", "trial start times", ndim=1)
        stop = common.read_numbers(f, f"{table}/stop_time", "trial stop times", ndim=1)
        stimulus = column_values(f, table, options.stimulus_column, path)
        if not (len(start) == len(stop) == len(stimulus)):
            raise common.ConversionError(f"{path}: {table}: start_time, stop_time and {options.stimulus_column} have {len(start)}, {len(stop)}, {len(stimulus)} rows")
        if not np.isfinite(start).all() or not np.isfinite(stop).all() or (stop <= start).any():
            raise common.ConversionError(f"{path}: {table}: every trial needs finite start_time < stop_time")
        ids = None
        if options.match_by == "id":
            ids = common.read_numbers(f, options.id_column, "ROI ids", ndim=1)
            if f"{options.series}/rois" in f:
                region = common.read_numbers(f, f"{options.series}/rois", "rows of the ROI table", ndim=1)
                if region.shape[0] != rois or (region < 0).any() or (region >= ids.shape[0]).any() or (region != np.round(region)).any():
                    raise common.ConversionError(f"{path}: {options.series}/rois: needs {rois} row indices into {options.id_column} ({ids.shape[0]} rows)")
                ids = ids[region.astype(np.int64)]
            if ids.shape[0] != rois:
                raise common.ConversionError(f"{path}: {options.id_column}: {ids.shape[0]} ids for {rois} ROIs (columns) of {options.series}/data")
            ids = common.unique_integer_ids(ids, path, options.id_column)
    responses = np.full((len(start), rois), np.nan)
    for trial in range(len(start)):
        inside = (times >= start[trial]) & (times < stop[trial])
        if inside.any():
            responses[trial] = data[inside].mean(axis=0)
    return ids, start, stimulus, responses, rois


def convert(argv):
    import numpy as np
    options = arguments(argv)
    sessions = [read_session(path, options) for path in options.sessions]
    if options.match_by == "order":
        counts = {s[4] for s in sessions}
        if len(counts) != 1:
            raise common.ConversionError(f"{', '.join(options.sessions)}: {options.series}/data: --match-by order needs the same number of ROIs in every session, got {[s[4] for s in sessions]}")
        neuron_id, columns = None, [np.arange(sessions[0][4]) for _ in sessions]
    else:
        neuron_id, columns = common.match_cells([s[0] for s in sessions], options.sessions, options.id_column)
    values = sorted({v for s in sessions for v in s[2]}, key=stimulus_key)
    if options.stimuli:
        wanted = options.stimuli.split(",")
        by_text = {stimulus_text(v): v for v in values}
        missing = [w for w in wanted if w not in by_text]
        if missing:
            raise common.ConversionError(f"{options.sessions[0]}: {options.intervals}/{options.stimulus_column}: no trial has the stimulus {missing[0]!r} (values: {', '.join(by_text)})")
        values = [by_text[w] for w in wanted]
    per_session = []
    for ids, start, stimulus, responses, rois in sessions:
        order = np.argsort(start, kind="stable")
        per_session.append([[row for row in order if stimulus[row] == v] for v in values])
    trials = max(max(len(rows) for rows in groups) for groups in per_session)
    recording = np.full((len(sessions), len(values), trials, len(columns[0])), np.nan)
    for s, ((_, _, _, responses, _), groups) in enumerate(zip(sessions, per_session)):
        for k, rows in enumerate(groups):
            recording[s, k, :len(rows)] = responses[np.asarray(rows, dtype=np.int64)][:, columns[s]] if rows else np.nan
    if options.days:
        days = common.parse_days(options.days, len(sessions))
    else:
        texts = []
        for path in options.sessions:
            with common.open_hdf5(path) as f:
                texts.append(common.read_text(f, "/session_start_time"))
        days = common.days_from_start_times(texts)
    units = options.units
    if units is None:
        with common.open_hdf5(options.sessions[0]) as f:
            unit = f[f"{options.series}/data"].attrs.get("unit")
            units = unit.decode() if isinstance(unit, bytes) else (str(unit) if unit is not None else "unknown")
    common.write_recording(
        options.output, recording, neuron_id=neuron_id, session_day=days, stimulus_name=[stimulus_text(v) for v in values],
        response_units=f"{units} (mean over the trial window)",
        source=f"NWB 2 {options.series} per {options.intervals}/{options.stimulus_column} via convert-nwb2-ophys.py: " + ", ".join(os.path.basename(p) for p in options.sessions),
        overwrite=options.overwrite, files=options.sessions, neuron_path=f"{options.series}/data", trial_path=f"{options.intervals}/{options.stimulus_column}")


if __name__ == "__main__":
    sys.exit(common.run("convert-nwb2-ophys", convert, sys.argv[1:]))
