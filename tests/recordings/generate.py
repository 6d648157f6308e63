"""Test inputs for the recordings tests, each with the answer known by construction:

- Allen Brain Observatory NWB 1 session files (the paths of jobs/convert-allen-nwb1.py) from known
  dF/F traces and a known presentation schedule; the expected responses are computed here from the
  traces and the schedule's own bookkeeping (which imaging frames each block of each repeat covers),
  never by parsing the file;
- NWB 2 ophys files (RoiResponseSeries, an intervals table) whose trial windows are chosen as frame
  index ranges, so the expected response is the mean of those rows;
- MATLAB v5 (scipy.io.savemat) and v7.3 (HDF5 with a 512-byte user block, MATLAB_class attributes,
  axes reversed as MATLAB writes them) files;
- planted-geometry recordings: per session and stimulus, m trials whose sample mean and sample
  covariance are EXACTLY the planted mean and C = U diag(lambda) U^T + sigma^2 I (an orthonormal
  design orthogonal to the ones vector), so PCA, D, gamma, angles, the flow of variance and the
  overlap have closed forms (see planted_predictions).
"""
import math

import h5py
import numpy as np

RECORDING_ATTRIBUTES = {"format": "repdrift-recording", "version": np.int64(1), "response_units": "a.u.", "source": "tests/recordings/generate.py"}


def write_recording(path, responses, attributes=RECORDING_ATTRIBUTES, **datasets):
    with h5py.File(path, "w") as f:
        for name, value in attributes.items():
            f.attrs[name] = value
        f.create_dataset("responses", data=responses)
        for name, value in datasets.items():
            if value is not None:
                f.create_dataset(name, data=value)


# ------------------------------------------------------------------------------------------------
# Allen Brain Observatory, NWB 1

PIPELINE = "/processing/brain_observatory_pipeline"
MOVIE = "/stimulus/presentation/natural_movie_one_stimulus"


def allen_session(rng, ids, repeats=10, movie_frames=900, block=30, truncate_last_at=None, skip_frame=None):
    """One session: traces [cells, frames], the presentation table, and the expected responses
    [blocks, repeats, cells] computed from the schedule (NaN where a block was not shown whole).
    truncate_last_at: the last repeat stops at that movie frame; skip_frame: (repeat, movie frame)
    never shown. Each movie frame covers 1 or 2 imaging frames; repeats are separated by gaps."""
    shown, spans, cover = [], [], {}
    frame = 5
    for r in range(repeats):
        last = movie_frames if (truncate_last_at is None or r < repeats - 1) else truncate_last_at
        for f in range(last):
            if skip_frame == (r, f):
                continue
            length = int(rng.integers(1, 3))
            shown.append(f)
            spans.append((frame, frame + length))
            cover[(r, f)] = (frame, frame + length)
            frame += length
        frame += 37  # grey screen between repeats
    traces = rng.normal(0.1, 0.3, size=(len(ids), frame + 11))
    blocks = movie_frames // block
    expected = np.full((blocks, repeats, len(ids)), np.nan)
    for r in range(repeats):
        for b in range(blocks):
            frames = [(r, f) for f in range(b * block, (b + 1) * block)]
            if all(key in cover for key in frames):
                begin, end = cover[frames[0]][0], cover[frames[-1]][1]
                expected[b, r] = traces[:, begin:end].mean(axis=1)
    return traces, np.array(shown), np.array(spans), expected


def write_allen_nwb1(path, traces, ids, shown, spans, start_time=None, shown_2d=False):
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = "NWB-1.0.5"
        plane = f.create_group(f"{PIPELINE}/DfOverF/imaging_plane_1")
        plane.create_dataset("data", data=traces.astype(np.float64))
        plane.create_dataset("timestamps", data=np.arange(traces.shape[1]) / 30.0)
        f.create_dataset(f"{PIPELINE}/ImageSegmentation/cell_specimen_ids", data=np.asarray(ids, dtype=np.int64))
        movie = f.create_group(MOVIE)
        movie.create_dataset("data", data=(shown[:, None] if shown_2d else shown).astype(np.float32))
        movie.create_dataset("frame_duration", data=spans.astype(np.float64))
        if start_time is not None:
            f.create_dataset("session_start_time", data=start_time)


# ------------------------------------------------------------------------------------------------
# NWB 2 ophys

def nwb2_session(rng, rois, stimuli, trials_per_stimulus, frames=900, regular=True, empty_trial=None):
    """data [frames, rois], frame times, a shuffled trial table (start, stop, stimulus) whose windows
    are frame ranges [i0, i1), and expected responses {stimulus: [trials, rois]} in start order.
    empty_trial: (stimulus, n): that trial's window falls between two frames (no frame: NaN)."""
    data = rng.normal(0.0, 1.0, size=(frames, rois))
    if regular:
        times = 2.5 + np.arange(frames) / 10.0
    else:
        times = 1.0 + np.cumsum(rng.uniform(0.05, 0.15, size=frames))
    order = [(s, n) for n in range(trials_per_stimulus) for s in stimuli]
    rng.shuffle(order)  # presentation order in time
    cursor, rows, expected = 3, [], {s: [None] * trials_per_stimulus for s in stimuli}
    for s, _ in order:
        n = sum(1 for e in expected[s] if e is not None)
        length = int(rng.integers(4, 9))
        i0, i1 = cursor, cursor + length
        if empty_trial == (s, n):
            start, stop = times[i0] + 0.2 * (times[i0 + 1] - times[i0]), times[i0] + 0.7 * (times[i0 + 1] - times[i0])
            expected[s][n] = np.full(rois, np.nan)
        else:
            start, stop = times[i0] - 1e-6, times[i1] - 1e-6  # frames i0 .. i1-1 fall inside [start, stop)
            expected[s][n] = data[i0:i1].mean(axis=0)
        rows.append((start, stop, s))
        cursor = i1 + int(rng.integers(1, 4))
    if cursor >= frames:
        raise ValueError("nwb2_session: frames too few for the trials")
    shuffled = rng.permutation(len(rows))  # the table's row order is not the time order
    table = [rows[i] for i in shuffled]
    return data, times, table, {s: np.array(v) for s, v in expected.items()}


def write_nwb2(path, data, times, table, series="/processing/ophys/DfOverF/RoiResponseSeries", column="stimulus",
               regular=False, ids=None, rois_region=None, start_time=None):
    with h5py.File(path, "w") as f:
        f.attrs["nwb_version"] = "2.5.0"
        node = f.create_group(series)
        d = node.create_dataset("data", data=data)
        d.attrs["unit"] = "dF/F"
        if regular:
            st = node.create_dataset("starting_time", data=times[0])
            st.attrs["rate"] = 1.0 / (times[1] - times[0])
        else:
            node.create_dataset("timestamps", data=times)
        if rois_region is not None:
            node.create_dataset("rois", data=np.asarray(rois_region, dtype=np.int64))
        if ids is not None:
            f.create_dataset("/processing/ophys/ImageSegmentation/PlaneSegmentation/id", data=np.asarray(ids, dtype=np.int64))
        trials = f.create_group("/intervals/trials")
        trials.create_dataset("start_time", data=np.array([row[0] for row in table]))
        trials.create_dataset("stop_time", data=np.array([row[1] for row in table]))
        values = [row[2] for row in table]
        if isinstance(values[0], str):
            trials.create_dataset(column, data=values, dtype=h5py.string_dtype())
        else:
            trials.create_dataset(column, data=np.array(values))
        trials.create_dataset("id", data=np.arange(len(table)))
        if start_time is not None:
            f.create_dataset("session_start_time", data=start_time)


# ------------------------------------------------------------------------------------------------
# MATLAB

def write_mat_v73(path, variables, classes=None):
    """variables {name: array in MATLAB order}: stored with the axes reversed (MATLAB is column-major),
    a 512-byte user block holding the MAT header text, MATLAB_class per variable."""
    with h5py.File(path, "w", userblock_size=512) as f:
        for name, value in variables.items():
            value = np.asarray(value)
            d = f.create_dataset(name, data=value.T)
            d.attrs["MATLAB_class"] = np.bytes_((classes or {}).get(name, "double"))
    header = b"MATLAB 7.3 MAT-file, Platform: GLNXA64, Created on: Mon Jan  1 00:00:00 2024 HDF5 schema 1.00 ."
    with open(path, "r+b") as f:
        f.write(header.ljust(116, b" ") + b"\x00" * 8 + b"\x00\x02IM")


# ------------------------------------------------------------------------------------------------
# Planted geometry

def exact_design(rng, m, n):
    """E [m, n]: orthonormal columns orthogonal to the ones vector (m - 1 >= n)."""
    raw = rng.normal(size=(m, n + 1))
    raw[:, 0] = 1.0
    q, _ = np.linalg.qr(raw)
    return q[:, 1:]


def sqrtm_symmetric(c):
    values, vectors = np.linalg.eigh(c)
    return (vectors * np.sqrt(np.maximum(values, 0.0))) @ vectors.T


def planted_parameters(n=12, sessions=3, sigma2=0.02, seed=7):
    """Per (stimulus, session): mean mu, orthonormal U [n, 3] and variances lambda [3]. Two stimuli
    in disjoint subspaces of a random orthonormal basis b_0..b_11: stimulus 0 in b_0..b_2, stimulus
    1 in b_4..b_6; from session 1 on, PC 1 turns by 25 degrees towards b_3 (b_7); variance moves
    out of PC 1 over the sessions; the drift has parts inside (PCs 1-3) and outside (b_9, b_10) the
    variational space. Means project > 0 on every PC (the sign convention is decided)."""
    rng = np.random.default_rng(seed)
    basis, _ = np.linalg.qr(rng.normal(size=(n, n)))
    lambdas = [np.array([6.0, 3.0, 1.5]), np.array([4.5, 3.2, 1.4]), np.array([4.0, 2.6, 1.3])]
    phi = [0.0, math.radians(25.0), math.radians(25.0)]
    layout = [((0, 1, 2), 3), ((4, 5, 6), 7)]
    params = []
    for columns, outside_column in layout:
        u0, outside = basis[:, list(columns)], basis[:, outside_column]
        base = 3.0 * u0 @ np.array([1.0, 0.8, 0.6]) + 2.0 * basis[:, 8]
        drift = [np.zeros(n), 0.6 * u0[:, 0] - 0.3 * u0[:, 1] + 0.5 * basis[:, 9],
                 0.9 * u0[:, 0] - 0.2 * u0[:, 2] + 0.4 * basis[:, 10]]
        row = []
        for s in range(sessions):
            u = u0.copy()
            u[:, 0] = math.cos(phi[s]) * u0[:, 0] + math.sin(phi[s]) * outside
            row.append({"mean": base + drift[s], "U": u, "lambda": lambdas[s], "sigma2": sigma2})
        params.append(row)
    return params


def planted_recording(params, m=16, extra_nan=3, seed=11):
    """responses [session, stimulus, m + extra_nan, n]: m exact-moment trials per group with
    extra_nan all-NaN trials inserted at random positions (so every group has exactly m valid)."""
    rng = np.random.default_rng(seed)
    stimuli, sessions = len(params), len(params[0])
    n = params[0][0]["mean"].shape[0]
    out = np.full((sessions, stimuli, m + extra_nan, n), np.nan)
    for k in range(stimuli):
        for s in range(sessions):
            p = params[k][s]
            c = p["U"] @ np.diag(p["lambda"]) @ p["U"].T + p["sigma2"] * np.eye(n)
            x = p["mean"] + math.sqrt(m - 1) * exact_design(rng, m, n) @ sqrtm_symmetric(c)
            rows = np.sort(rng.choice(m + extra_nan, size=m, replace=False))
            out[s, k, rows] = x
    return out


def planted_predictions(params):
    """Closed forms (drift-geometry definitions) from the parameters alone."""
    stimuli, sessions = len(params), len(params[0])
    n = params[0][0]["mean"].shape[0]
    predictions = {"D": {}, "k": {}, "pair": {}, "perpc": {}}
    for k in range(stimuli):
        for s in range(sessions):
            p = params[k][s]
            spectrum = np.concatenate([p["lambda"] + p["sigma2"], np.full(n - len(p["lambda"]), p["sigma2"])])
            predictions["D"][(s, k)] = spectrum.sum() ** 2 / np.sum(spectrum ** 2)
            predictions["k"][(s, k)] = math.ceil(predictions["D"][(s, k)] - 1e-9)
        for s in range(sessions):
            pe = params[k][s]
            signs = np.sign(pe["U"].T @ pe["mean"])  # Eq 3: the mean projects >= 0 on every PC
            w = pe["U"] * signs
            for l in range(s + 1, sessions):
                pl = params[k][l]
                d = pl["mean"] - pe["mean"]
                cos_means = pe["mean"] @ pl["mean"] / (np.linalg.norm(pe["mean"]) * np.linalg.norm(pl["mean"]))
                kk = predictions["k"][(s, k)]
                gamma = np.sum((w[:, :kk].T @ d) ** 2) / (d @ d) if kk <= w.shape[1] else math.nan
                overlap = np.sum((pe["U"].T @ pl["U"]) ** 2) / min(kk, predictions["k"][(l, k)])
                predictions["pair"][(s, l, k)] = dict(angle=math.degrees(math.acos(min(1, max(-1, cos_means)))),
                                                      relmag=np.linalg.norm(d) / np.linalg.norm(pe["mean"]),
                                                      gamma=gamma, chance=kk / n, overlap=overlap)
                if l == s + 1:
                    c_later = pl["U"] @ np.diag(pl["lambda"]) @ pl["U"].T + pl["sigma2"] * np.eye(n)
                    for i in range(w.shape[1]):
                        projection = w[:, i] @ d / np.linalg.norm(d)
                        predictions["perpc"][(s, k, i)] = dict(
                            along=abs(projection), angle=math.degrees(math.acos(projection)),
                            flow=w[:, i] @ c_later @ w[:, i] / np.trace(c_later))
    return predictions
