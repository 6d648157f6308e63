#!/usr/bin/env python3
"""check_converters.py JOBS_DIR REPDRIFT_RECORDING_CHECK WORKDIR [good|bad|all]

The converters of jobs/ against inputs whose answer is known by construction (generate.py):

- convert-allen-nwb1.py on three Allen-layout NWB 1 sessions (cells matched by id over different
  cell sets and orders, 10 / 9 repeats, a movie frame never shown in one repeat, a last repeat cut
  short, the [presentations, 1] form of the movie frames): /responses equals the block means of the
  generator's traces over the windows of its own schedule, NaN exactly where a block was not shown
  whole; /neuron_id the common ids ascending; /session_day from the start times, or --days;
- convert-nwb2-ophys.py on three NWB 2 sessions (text and numeric stimulus columns, a shuffled
  trial table, a window without frames, starting_time + rate and timestamps, ROIs matched by the
  ids of a rois region or by order, --stimuli): /responses equals the means of the generator's frame
  ranges, in each stimulus's time order;
- convert-matlab.py on v5 (scipy.io) and v7.3 (HDF5) files, axes in any order, trailing singleton
  dimensions dropped as MATLAB does, the stimulus axis left out;
- every converted file is read by the C reader (repdrift-recording-check -print_responses) and its
  prepared responses equal numpy's implementation of the documented missing-trial policy;
- bad inputs (missing paths, wrong shapes, no common cells, fewer than 2 valid trials, NaN-only
  neurons, repeated ids, non-numeric or cell/struct variables, truncated and non-HDF5 files, an
  existing output) are refused: exit 2, one line naming the file and the path, no output written,
  an existing output left byte-for-byte as it was.
"""
import hashlib
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np
import scipy.io

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import generate  # noqa: E402
from generate import PIPELINE, MOVIE  # noqa: E402

passed = failed = 0
PYTHON = sys.executable
DFF = f"{PIPELINE}/DfOverF/imaging_plane_1/data"
IDS = f"{PIPELINE}/ImageSegmentation/cell_specimen_ids"
SERIES = "/processing/ophys/DfOverF/RoiResponseSeries"
PLANE_IDS = "/processing/ophys/ImageSegmentation/PlaneSegmentation/id"


def report(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    passed, failed = passed + bool(ok), failed + (not ok)


def same(got, want):
    """Equal shapes, NaN at the same places, values within 1e-12 relative."""
    got, want = np.asarray(got, dtype=float), np.asarray(want, dtype=float)
    if got.shape != want.shape or not np.array_equal(np.isnan(got), np.isnan(want)):
        return False
    finite = ~np.isnan(want)
    return np.allclose(got[finite], want[finite], rtol=1e-12, atol=1e-14)


def convert(jobs, script, *args):
    return subprocess.run([PYTHON, os.path.join(jobs, script), *args], capture_output=True, text=True)


def reader_policy(responses):
    """The C reader's documented policy (include/repdrift/recording.h, step 4)."""
    valid = np.isfinite(responses).all(axis=3)
    m = int(valid.sum(axis=2).min())
    out = np.empty(responses.shape[:2] + (m, responses.shape[3]))
    for s in range(responses.shape[0]):
        for k in range(responses.shape[1]):
            trials = np.flatnonzero(valid[s, k])
            out[s, k] = responses[s, k, trials[(np.arange(m) * len(trials)) // m]]
    return out


def check_with_reader(check_exe, path, expected, label):
    result = subprocess.run([check_exe, path, "-print_responses"], capture_output=True, text=True)
    if result.returncode != 0:
        report(False, f"{label}: the C reader refused the converted file: {result.stderr.strip()}")
        return
    rows = [line.split()[1:] for line in result.stdout.splitlines() if line.startswith("response ")]
    prepared = reader_policy(expected)
    got = np.full(prepared.shape, np.nan)
    for row in rows:
        s, k, a = int(row[0]), int(row[1]), int(row[2])
        got[s, k, a] = [float(v) for v in row[4:]]
    report(len(rows) == np.prod(prepared.shape[:3]) and np.array_equal(got, prepared),
           f"{label}: the C reader's prepared responses {prepared.shape} equal the policy applied to the expected responses")


def read_output(path):
    with h5py.File(path, "r") as f:
        return {name: f[name][()] for name in f}, dict(f.attrs)


def check_attributes(attributes, label, units_word):
    report(attributes.get("format") == "repdrift-recording" and int(attributes.get("version")) == 1 and units_word in attributes.get("response_units", "")
           and attributes.get("source"), f"{label}: format, version 1, response_units, source")


# ------------------------------------------------------------------------------------------------

def allen_inputs(work, rng):
    ids = [[5, 3, 9, 1, 7, 2], [9, 1, 4, 3, 5, 7], [7, 5, 3, 1, 9, 8, 6]]
    kinds = [dict(), dict(repeats=9, skip_frame=(2, 160)), dict(truncate_last_at=500)]
    times = ["Thu Mar 16 09:12:33 2017", "Fri Mar 17 21:12:33 2017", "Fri Mar 24 09:12:33 2017"]
    paths, expected_parts = [], []
    for s in range(3):
        traces, shown, spans, expected = generate.allen_session(rng, ids[s], **kinds[s])
        paths.append(os.path.join(work, f"allen_session{s}.nwb"))
        generate.write_allen_nwb1(paths[-1], traces, ids[s], shown, spans, start_time=times[s], shown_2d=(s == 2))
        expected_parts.append((ids[s], expected))
    common = sorted(set(ids[0]) & set(ids[1]) & set(ids[2]))
    out = np.full((3, 30, 10, len(common)), np.nan)
    for s, (cell_ids, expected) in enumerate(expected_parts):
        columns = [cell_ids.index(c) for c in common]
        out[s, :, :expected.shape[1]] = expected[:, :, columns]
    return paths, out, np.array(common), [0.0, 1.5, 8.0]


def check_allen(jobs, check_exe, work):
    rng = np.random.default_rng(1)
    paths, expected, common, days = allen_inputs(work, rng)
    output = os.path.join(work, "allen.h5")
    result = convert(jobs, "convert-allen-nwb1.py", *paths, "-o", output)
    report(result.returncode == 0, f"allen: converted (exit {result.returncode}) {result.stderr.strip()}")
    if result.returncode:
        return paths
    data, attributes = read_output(output)
    report(same(data["responses"], expected), "allen: /responses = block means of the known traces over the schedule's windows, NaN where a block was not shown whole")
    gaps = np.isnan(expected).all(axis=3)
    planted = np.zeros_like(gaps)
    planted[1, 5, 2] = True       # session 1, repeat 2 never showed movie frame 160 (block 5)
    planted[1, :, 9] = True       # session 1 has 9 repeats
    planted[2, 16:, 9] = True     # session 2's last repeat stops at movie frame 500 (block 16 = 480..509)
    report(np.array_equal(gaps, planted) and np.array_equal(np.isnan(data["responses"]).all(axis=3), planted),
           "allen: missing trials exactly at the planted gaps (a skipped frame, 9 repeats, a short last repeat)")
    report(np.array_equal(data["neuron_id"], common), f"allen: /neuron_id = the common ids ascending {data['neuron_id'].tolist()}")
    report(same(data["session_day"], days), f"allen: /session_day from the start times {data['session_day'].tolist()}")
    report(len(data["stimulus_name"]) == 30 and b"frames 150..179" in data["stimulus_name"][5], "allen: 30 block names")
    check_attributes(attributes, "allen", "dF/F")
    check_with_reader(check_exe, output, expected, "allen")
    result = convert(jobs, "convert-allen-nwb1.py", *paths, "-o", output, "--days", "0,2,9", "--overwrite")
    data, _ = read_output(output)
    report(result.returncode == 0 and same(data["session_day"], [0, 2, 9]), "allen: --days and --overwrite")
    return paths


def check_nwb2(jobs, check_exe, work):
    rng = np.random.default_rng(2)
    stimuli = ["grating_0", "grating_90", "movie"]
    table_ids = [np.arange(10, 16), np.array([40, 10, 11, 12, 13, 14, 15, 41]), np.array([15, 14, 13, 12, 11, 10])]
    regions = [None, np.array([7, 0, 2, 5, 1, 3]), None]   # session 1: ROI j is table row region[j]
    empty = [None, ("movie", 2), None]
    paths, per_session = [], []
    for s in range(3):
        data, times, table, expected = generate.nwb2_session(rng, 6, stimuli, 5, regular=(s == 0), empty_trial=empty[s])
        paths.append(os.path.join(work, f"nwb2_session{s}.nwb"))
        generate.write_nwb2(paths[-1], data, times, table, regular=(s == 0), ids=table_ids[s], rois_region=regions[s],
                            start_time=["2021-05-01T10:00:00", "2021-05-02T10:00:00", "2021-05-05T22:00:00"][s])
        roi_ids = table_ids[s] if regions[s] is None else table_ids[s][regions[s]]
        per_session.append((roi_ids, expected))
    common = sorted(set.intersection(*(set(r.tolist()) for r, _ in per_session)))
    want = np.full((3, 3, 5, len(common)), np.nan)
    for s, (roi_ids, expected) in enumerate(per_session):
        columns = [roi_ids.tolist().index(c) for c in common]
        for k, name in enumerate(stimuli):
            want[s, k] = expected[name][:, columns]
    output = os.path.join(work, "nwb2.h5")
    result = convert(jobs, "convert-nwb2-ophys.py", *paths, "-o", output, "--series", SERIES, "--stimulus-column", "stimulus",
                     "--match-by", "id", "--id-column", PLANE_IDS)
    report(result.returncode == 0, f"nwb2: converted by id (exit {result.returncode}) {result.stderr.strip()}")
    if result.returncode == 0:
        data, attributes = read_output(output)
        report(same(data["responses"], want), "nwb2: /responses = means of the known frame ranges per trial, stimulus time order, ROIs matched through the rois region")
        report(np.array_equal(data["neuron_id"], common), f"nwb2: /neuron_id = common ids {data['neuron_id'].tolist()}")
        report([v.decode() for v in data["stimulus_name"]] == stimuli, "nwb2: stimuli sorted")
        report(same(data["session_day"], [0.0, 1.0, 4.5]), f"nwb2: /session_day from ISO start times {data['session_day'].tolist()}")
        check_attributes(attributes, "nwb2", "dF/F")
        check_with_reader(check_exe, output, want, "nwb2")
    # numeric stimulus column, matched by order, a subset of stimuli in a given order
    numeric_paths, numeric_expected = [], []
    for s in range(2):
        data, times, table, expected = generate.nwb2_session(rng, 4, [0.0, 90.0, 180.0], 4, regular=False)
        numeric_paths.append(os.path.join(work, f"nwb2_numeric{s}.nwb"))
        generate.write_nwb2(numeric_paths[-1], data, times, table, column="orientation")
        numeric_expected.append(expected)
    want = np.stack([np.stack([e[90.0], e[0.0]]) for e in numeric_expected])
    output = os.path.join(work, "nwb2_numeric.h5")
    result = convert(jobs, "convert-nwb2-ophys.py", *numeric_paths, "-o", output, "--series", SERIES, "--stimulus-column", "orientation", "--stimuli", "90,0", "--days", "0,3")
    report(result.returncode == 0, f"nwb2 numeric: converted by order (exit {result.returncode}) {result.stderr.strip()}")
    if result.returncode == 0:
        data, _ = read_output(output)
        report(same(data["responses"], want) and "neuron_id" not in data and [v.decode() for v in data["stimulus_name"]] == ["90", "0"],
               "nwb2 numeric: --stimuli 90,0 in that order, ROIs by order, no ids")
    return paths


def check_matlab(jobs, check_exe, work):
    rng = np.random.default_rng(4)
    matlab = rng.normal(size=(7, 6, 3, 3))           # neuron, trial, stimulus, session (MATLAB order)
    matlab[:, 2, 1, 0] = np.nan
    matlab[:, 5, 0, 2] = np.nan
    want = matlab.transpose(3, 2, 1, 0)
    ids = np.array([[21], [22], [23], [24], [25], [26], [27]], dtype=float)
    outputs = []
    for version in ("v5", "v73"):
        path = os.path.join(work, f"data_{version}.mat")
        if version == "v5":
            scipy.io.savemat(path, {"resp": matlab, "cellid": ids, "day": np.array([[0.0, 2.0, 5.0]])})
        else:
            generate.write_mat_v73(path, {"resp": matlab, "cellid": ids, "day": np.array([[0.0, 2.0, 5.0]])})
        output = os.path.join(work, f"matlab_{version}.h5")
        result = convert(jobs, "convert-matlab.py", path, "-o", output, "--variable", "resp", "--axes", "neuron,trial,stimulus,session",
                         "--ids", "cellid", "--days", "day", "--units", "dF/F")
        report(result.returncode == 0, f"matlab {version}: converted (exit {result.returncode}) {result.stderr.strip()}")
        if result.returncode:
            continue
        data, attributes = read_output(output)
        report(same(data["responses"], want) and np.array_equal(data["neuron_id"], np.arange(21, 28)) and same(data["session_day"], [0, 2, 5]),
               f"matlab {version}: /responses = the variable with axes moved to [session, stimulus, trial, neuron], ids and days")
        check_attributes(attributes, f"matlab {version}", "dF/F")
        check_with_reader(check_exe, output, want, f"matlab {version}")
        outputs.append(path)
    # MATLAB drops trailing singleton dimensions; the stimulus axis may be left out
    three = rng.normal(size=(5, 4, 2))                # neuron, trial, session
    path = os.path.join(work, "three_axes.mat")
    scipy.io.savemat(path, {"x": three})
    for axes in ("neuron,trial,session,stimulus", "neuron,trial,session"):
        output = os.path.join(work, "matlab_three.h5")
        result = convert(jobs, "convert-matlab.py", path, "-o", output, "--variable", "x", "--axes", axes, "--overwrite")
        data, _ = read_output(output) if result.returncode == 0 else ({}, {})
        report(result.returncode == 0 and same(data["responses"], three.transpose(2, 1, 0)[:, np.newaxis]), f"matlab --axes {axes}: one stimulus group")
    path73 = os.path.join(work, "three_axes_v73.mat")
    generate.write_mat_v73(path73, {"x": three})
    result = convert(jobs, "convert-matlab.py", path73, "-o", os.path.join(work, "matlab_three73.h5"), "--variable", "x", "--axes", "neuron,trial,session")
    data, _ = read_output(os.path.join(work, "matlab_three73.h5")) if result.returncode == 0 else ({}, {})
    report(result.returncode == 0 and same(data["responses"], three.transpose(2, 1, 0)[:, np.newaxis]), "matlab v7.3 3-D: same as v5")
    return outputs


# ------------------------------------------------------------------------------------------------
# Bad inputs

def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def expect_refusal(jobs, work, name, script, args, file, inner):
    """Exit 2, one stderr line naming file and inner path, no output; an existing output unchanged."""
    output = os.path.join(work, f"refused_{name}.h5")
    result = convert(jobs, script, *args, "-o", output)
    lines = result.stderr.strip().splitlines()
    ok = result.returncode == 2 and len(lines) == 1 and file in lines[0] and inner in lines[0] and not os.path.exists(output)
    leftovers = [f for f in os.listdir(work) if f.startswith(".refused_")]
    report(ok and not leftovers, f"{name}: '{lines[-1] if lines else ''}'" + ("" if ok else f" (exit {result.returncode}; expected exit 2, one line naming {file} and {inner}, no output)"))


def bad_allen(jobs, work):
    rng = np.random.default_rng(9)

    def session(name, ids=(1, 2, 3), repeats=3, mutate=None, **kinds):
        traces, shown, spans, _ = generate.allen_session(rng, list(ids), repeats=repeats, **kinds)
        path = os.path.join(work, f"bad_allen_{name}.nwb")
        generate.write_allen_nwb1(path, traces, list(ids), shown, spans)
        if mutate:
            with h5py.File(path, "r+") as f:
                mutate(f)
        return path

    ok = session("ok")
    cases = [
        ("allen_missing_dff", session("missing_dff", mutate=lambda f: f.__delitem__(DFF)), DFF),
        ("allen_missing_ids", session("missing_ids", mutate=lambda f: f.__delitem__(IDS)), IDS),
        ("allen_ids_repeat", session("ids_repeat", ids=(1, 2, 1)), IDS),
        ("allen_ids_count", session("ids_count", mutate=lambda f: (f.__delitem__(IDS), f.create_dataset(IDS, data=np.arange(5)))), IDS),
        ("allen_dff_text", session("dff_text", mutate=lambda f: (f.__delitem__(DFF), f.create_dataset(DFF, data=np.full((3, 10), b"x")))), DFF),
        ("allen_dff_1d", session("dff_1d", mutate=lambda f: (f.__delitem__(DFF), f.create_dataset(DFF, data=np.zeros(10)))), DFF),
        ("allen_duration_shape", session("duration_shape", mutate=lambda f: (f.__delitem__(f"{MOVIE}/frame_duration"), f.create_dataset(f"{MOVIE}/frame_duration", data=np.zeros((4, 3))))), f"{MOVIE}/frame_duration"),
        ("allen_missing_movie", session("missing_movie", mutate=lambda f: f.__delitem__(f"{MOVIE}/data")), f"{MOVIE}/data"),
        ("allen_nan_cell", session("nan_cell", mutate=lambda f: f[DFF].__setitem__((1, slice(None)), np.nan)), DFF),
        ("allen_one_repeat", session("one_repeat", repeats=1), MOVIE),
    ]
    for name, path, inner in cases:
        expect_refusal(jobs, work, name, "convert-allen-nwb1.py", [ok, path], path, inner)
    disjoint = session("disjoint", ids=(7, 8, 9))
    expect_refusal(jobs, work, "allen_no_common_cells", "convert-allen-nwb1.py", [ok, disjoint], disjoint, IDS)
    not_hdf5 = os.path.join(work, "bad_allen_text.nwb")
    with open(not_hdf5, "w") as f:
        f.write("not an NWB file\n")
    expect_refusal(jobs, work, "allen_not_hdf5", "convert-allen-nwb1.py", [ok, not_hdf5], not_hdf5, "not an HDF5 file")
    truncated = os.path.join(work, "bad_allen_truncated.nwb")
    with open(ok, "rb") as f:
        content = f.read()
    with open(truncated, "wb") as f:
        f.write(content[: len(content) // 3])
    expect_refusal(jobs, work, "allen_truncated", "convert-allen-nwb1.py", [ok, truncated], truncated, "truncated or damaged")
    # an existing output: refused without --overwrite, untouched by a failed conversion with it
    existing = os.path.join(work, "existing.h5")
    with open(existing, "wb") as f:
        f.write(b"precious")
    before = digest(existing)
    result = convert(jobs, "convert-allen-nwb1.py", ok, ok, "-o", existing)
    report(result.returncode == 2 and "--overwrite" in result.stderr and digest(existing) == before, "allen: an existing output is refused without --overwrite, untouched")
    result = convert(jobs, "convert-allen-nwb1.py", ok, disjoint, "-o", existing, "--overwrite")
    report(result.returncode == 2 and digest(existing) == before, "allen: a failed conversion with --overwrite leaves the existing output untouched")


def bad_nwb2(jobs, work):
    rng = np.random.default_rng(10)

    def session(name, rois=3, mutate=None, ids=None, region=None, column="stimulus"):
        data, times, table, _ = generate.nwb2_session(rng, rois, ["a", "b"], 3, frames=200)
        path = os.path.join(work, f"bad_nwb2_{name}.nwb")
        generate.write_nwb2(path, data, times, table, column=column, ids=ids, rois_region=region)
        if mutate:
            with h5py.File(path, "r+") as f:
                mutate(f)
        return path

    base = ["--series", SERIES, "--stimulus-column", "stimulus"]
    ok = session("ok")
    for name, path, inner in [
        ("nwb2_missing_series", session("missing_series", mutate=lambda f: f.__delitem__(f"{SERIES}/data")), f"{SERIES}/data"),
        ("nwb2_missing_column", session("missing_column", column="condition"), "/intervals/trials/stimulus"),
        ("nwb2_ragged_column", session("ragged", mutate=lambda f: f.create_dataset("/intervals/trials/stimulus_index", data=np.arange(6))), "/intervals/trials/stimulus"),
        ("nwb2_no_times", session("no_times", mutate=lambda f: f.__delitem__(f"{SERIES}/timestamps")), SERIES),
        ("nwb2_nan_roi", session("nan_roi", mutate=lambda f: f[f"{SERIES}/data"].__setitem__((slice(None), 2), np.nan)), f"{SERIES}/data"),
        ("nwb2_rois_differ", session("rois_differ", rois=4), f"{SERIES}/data"),
    ]:
        expect_refusal(jobs, work, name, "convert-nwb2-ophys.py", [ok, path, *base], path if name != "nwb2_rois_differ" else ok, inner)
    with_ids = session("ids_ok", ids=[1, 2, 3])
    for name, path, inner in [
        ("nwb2_region_mismatch", session("region", ids=[1, 2, 3, 4], region=[0, 1]), f"{SERIES}/rois"),
        ("nwb2_ids_repeat", session("ids_repeat", ids=[1, 2, 2]), PLANE_IDS),
        ("nwb2_no_common_ids", session("ids_disjoint", ids=[7, 8, 9]), PLANE_IDS),
    ]:
        expect_refusal(jobs, work, name, "convert-nwb2-ophys.py", [with_ids, path, *base, "--match-by", "id", "--id-column", PLANE_IDS], path, inner)
    lonely = session("one_trial", mutate=lambda f: f["/intervals/trials/stimulus"].__setitem__(slice(None), ["a"] * 5 + ["b"]))
    expect_refusal(jobs, work, "nwb2_one_valid_trial", "convert-nwb2-ophys.py", [ok, lonely, *base], lonely, "/intervals/trials/stimulus")


def bad_matlab(jobs, work):
    rng = np.random.default_rng(11)
    good = rng.normal(size=(4, 5, 2, 3))
    base = ["--axes", "neuron,trial,stimulus,session"]
    v5 = os.path.join(work, "bad_v5.mat")
    nan_neuron = good.copy()
    nan_neuron[2, :, :, 1] = np.nan
    cells = np.empty((2,), dtype=object)
    cells[0], cells[1] = good, good
    scipy.io.savemat(v5, {"resp": good, "nan_neuron": nan_neuron, "cells": cells, "record": {"a": good}, "text": "hello",
                          "ids_repeat": np.array([1.0, 2.0, 1.0, 3.0]), "flat": good.reshape(4, 30)})
    v73 = os.path.join(work, "bad_v73.mat")
    generate.write_mat_v73(v73, {"resp": good, "cells": np.zeros((2, 2))}, classes={"cells": "cell"})
    for name, path, args, inner in [
        ("matlab_missing_variable", v5, ["--variable", "responses"], "responses"),
        ("matlab_cell", v5, ["--variable", "cells"], "cells"),
        ("matlab_struct", v5, ["--variable", "record"], "record"),
        ("matlab_text", v5, ["--variable", "text"], "text"),
        ("matlab_nan_neuron", v5, ["--variable", "nan_neuron"], "nan_neuron"),
        ("matlab_ids_repeat", v5, ["--variable", "resp", "--ids", "ids_repeat"], "ids_repeat"),
        ("matlab_wrong_shape", v5, ["--variable", "flat", "--axes", "neuron,trial,stimulus,session"], "flat"),
        ("matlab_v73_cell", v73, ["--variable", "cells"], "cells"),
        ("matlab_v73_missing", v73, ["--variable", "nothing"], "nothing"),
    ]:
        expect_refusal(jobs, work, name, "convert-matlab.py", [path, *base, *args], path, inner)
    # a shape that does not fit the axes: 2 sessions x ... with one trial only
    one_trial = os.path.join(work, "bad_one_trial.mat")
    scipy.io.savemat(one_trial, {"resp": rng.normal(size=(4, 1, 2, 3))})
    expect_refusal(jobs, work, "matlab_one_trial", "convert-matlab.py", [one_trial, "--variable", "resp", *base], one_trial, "resp")


def main():
    jobs, check_exe, work = (os.path.abspath(a) for a in sys.argv[1:4])
    shutil.rmtree(work, ignore_errors=True)  # a rerun starts from nothing
    os.makedirs(work)
    for script in ("convert-allen-nwb1.py", "convert-nwb2-ophys.py", "convert-matlab.py")[: 3 if len(sys.argv) <= 4 or sys.argv[4] != "bad" else 0]:
        result = convert(jobs, script, "-h")
        report(result.returncode == 0 and "usage" in result.stdout and "repdrift-recording" in result.stdout, f"{script} -h explains itself")
    part = sys.argv[4] if len(sys.argv) > 4 else "all"
    if part in ("all", "good"):
        check_allen(jobs, check_exe, work)
        check_nwb2(jobs, check_exe, work)
        check_matlab(jobs, check_exe, work)
    if part in ("all", "bad"):
        bad_allen(jobs, work)
        bad_nwb2(jobs, work)
        bad_matlab(jobs, work)
    print(f"check_converters: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
