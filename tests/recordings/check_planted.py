#!/usr/bin/env python3
"""check_planted.py TEST_RECORDING WORKDIR
   check_planted.py files WORKDIR
   check_planted.py archive ARCHIVE WORKDIR

Recordings with planted geometry through the C reader and the geometry API (the driver mode of
tests/unit/test_recording.c: RdRecordingRead, then RdPCACompute / RdDriftCompute /
RdSplitHalfNullFraction / RdRecordingSignatureNull exactly as the days protocol calls them):

1. planted.h5: 3 sessions x 2 stimuli, 16 exact-moment trials per group among 19 (3 all-NaN
   trials each), 12 neurons, in-class covariance U diag(lambda) U^T + sigma^2 I of rank 3 plus
   noise, known drift vectors, PC 1 turning by 25 degrees. The C numbers must equal the closed
   forms of generate.planted_predictions (D, k, eigenvalues, angle between means, |d|/|mean|,
   gamma, chance, overlap, and per PC 1-3 of consecutive sessions |w.d|/|d|, theta(d, w) and the
   flow of variance) — and an independent numpy computation from the file.
2. uneven.h5: random responses whose groups have 14 to 18 valid trials and some partially NaN
   trials: the trials the reader keeps (every group the minimum count, subsampled evenly) and all
   the geometry equal numpy's implementation of the documented policy, and the within-session nulls
   (split-half, even/odd: gamma, D/n, the variance share, the A-vs-B classifier accuracy, the angle
   to PC 1) equal numpy's.
3. The same file with -zscore: equal to numpy's z-scoring (each neuron over all used responses).

`files` writes the recordings of the -model recording sweep tests into WORKDIR: planted.h5 and
uneven.h5 (as above), dense.h5 (3 sessions x 3 stimuli x 24 trials x 30 neurons, a low-dimensional
code drifting), sweep.yaml (-model recording over the three, -save_responses), resume0..5.h5 with resume.yaml
(six larger recordings: points slow enough to interrupt a run between them) and requeue0..7.h5
with requeue.yaml (eight yet larger ones, ~1 s a point: for Slurm's requeue).

`archive` checks the archive of `repdrift -options_file WORKDIR/sweep.yaml` (the days protocol run
on the recordings, every point read by the rank that owns it) against the same expectations, read
back from the archive instead of the driver: point 0 (planted.h5) equals the closed forms and numpy,
points 1 and 2 equal numpy; and beyond the driver's quantities: /recording (what each file
contributed, the trials used), the padding (NaN beyond a file's sessions, stimuli, trials, neurons
and PCs), /sweep (seed = recording index, width = the largest neuron count, noise type none),
/responses/probe (the trials analysed), the cross-session readout (numpy logistic regression), the drift signature over consecutive
sessions (every metric recomputed here: pooled fits, means, session discrimination, turnover),
its two within-session nulls, the variational overlap and the angle between means per day.
Tolerances: 1e-9 relative (plus 1e-10 absolute for quantities in [0, 1], 1e-6 degree for angles).
"""
import math
import os
import shutil
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "python"))
import generate  # noqa: E402
from check_archive import reference_pca, fraction_in_subspace, angle_degrees, fit_logistic, linear_fit  # noqa: E402

RTOL, UNIT_ATOL, DEGREE_ATOL = 1e-9, 1e-10, 1e-6
passed = failed = 0


def check(ok, what):
    global passed, failed
    if ok:
        passed += 1
    else:
        failed += 1
        print(f"FAIL {what}")


def close(got, want, atol, what):
    ok = (math.isnan(got) and math.isnan(want)) or abs(got - want) <= atol + RTOL * abs(want)
    check(ok, f"{what}: C {got!r}, expected {want!r}")
    return ok


def run_driver(exe, path, *options):
    result = subprocess.run([exe, path, *options], capture_output=True, text=True)
    if result.returncode != 0:
        print(f"FAIL driver on {path}: exit {result.returncode}: {result.stdout}{result.stderr}")
        sys.exit(1)
    out = {"trial": {}, "pca": {}, "eig": {}, "splitnull": {}, "pair": {}, "perpc": {}, "null": {}}
    for line in result.stdout.splitlines():
        word, *rest = line.split()
        if word == "dims":
            out["dims"] = tuple(int(v) for v in rest)
        elif word == "trial":
            out["trial"][tuple(int(v) for v in rest[:3])] = int(rest[3])
        elif word == "pca":
            out["pca"][(int(rest[0]), int(rest[1]))] = (int(rest[2]), int(rest[3]), float(rest[4]), float(rest[5]))
        elif word == "eig":
            out["eig"][(int(rest[0]), int(rest[1]))] = np.array([float(v) for v in rest[2:]])
        elif word == "splitnull":
            out["splitnull"][(int(rest[0]), int(rest[1]))] = float(rest[2])
        elif word == "pair":
            out["pair"][tuple(int(v) for v in rest[:3])] = dict(zip(("angle", "relmag", "gamma", "chance", "overlap"), (float(v) for v in rest[3:])))
        elif word == "perpc":
            out["perpc"][tuple(int(v) for v in rest[:3])] = dict(zip(("along", "angle", "flow"), (float(v) for v in rest[3:])))
        elif word == "null":
            out["null"][rest[0]] = dict(zip(("gamma", "dn", "variance", "discrimination", "angle_pc1"), (float(v) for v in rest[1:])))
    return out


# ------------------------------------------------------------------------------------------------
# numpy: the documented reader policy and the geometry, from the file

def prepare(responses, zscore=False):
    """Valid trial = every neuron finite; m = the smallest valid count; group's valid trials
    t_0 < .. < t_{c-1} subsampled as t_floor(a c / m); optional z-score over all used responses."""
    sessions, stimuli, _, neurons = responses.shape
    valid = np.isfinite(responses).all(axis=3)
    m = int(valid.sum(axis=2).min())
    kept = np.zeros((sessions, stimuli, m), dtype=int)
    out = np.empty((sessions, stimuli, m, neurons))
    for s in range(sessions):
        for k in range(stimuli):
            trials = np.flatnonzero(valid[s, k])
            kept[s, k] = trials[(np.arange(m) * len(trials)) // m]
            out[s, k] = responses[s, k, kept[s, k]]
    if zscore:
        flat = out.reshape(-1, neurons)
        mean, deviation = flat.mean(axis=0), flat.std(axis=0, ddof=1)
        out = (out - mean) / np.where(deviation > 0, deviation, 1.0)
    return out, kept


def compare_geometry(c_out, responses, label):
    """Every C number against numpy's recomputation from the prepared responses."""
    sessions, stimuli, m, n = responses.shape
    pca = {(s, k): reference_pca(responses[s, k]) for s in range(sessions) for k in range(stimuli)}
    largest = max(p.eigenvalues[0] for p in pca.values())
    for (s, k), ref in pca.items():
        n_pcs, kv, D, total = c_out["pca"][(s, k)]
        check(n_pcs == ref.n_pcs and kv == ref.k, f"{label}: session {s} stimulus {k}: n_pcs, k = {n_pcs}, {kv}; numpy {ref.n_pcs}, {ref.k}")
        close(D, ref.participation, 0.0, f"{label}: D of session {s} stimulus {k}")
        close(total, ref.eigenvalues.sum(), 1e-12 * largest, f"{label}: total variance of session {s} stimulus {k}")
        diff = np.abs(c_out["eig"][(s, k)] - ref.eigenvalues).max()
        check(diff <= 1e-12 * largest + RTOL * ref.eigenvalues[0], f"{label}: eigenvalues of session {s} stimulus {k} differ by {diff:g}")
        half = m // 2
        first = reference_pca(responses[s, k, :half])
        if first.subspace_determined(first.k):
            close(c_out["splitnull"][(s, k)], fraction_in_subspace(first.pcs, first.k, responses[s, k, half:].mean(axis=0) - first.mean), UNIT_ATOL, f"{label}: split-half null gamma of session {s} stimulus {k}")
    for k in range(stimuli):
        for s in range(sessions):
            for l in range(s + 1, sessions):
                e, a = pca[(s, k)], pca[(l, k)]
                d = a.mean - e.mean
                got = c_out["pair"][(s, l, k)]
                close(got["angle"], angle_degrees(e.mean, a.mean), DEGREE_ATOL, f"{label}: angle between means {s}->{l} stimulus {k}")
                close(got["relmag"], np.linalg.norm(d) / np.linalg.norm(e.mean), UNIT_ATOL, f"{label}: |d|/|mean| {s}->{l} stimulus {k}")
                close(got["chance"], e.k / n, 0.0, f"{label}: chance {s}->{l} stimulus {k}")
                if e.subspace_determined(e.k):
                    close(got["gamma"], fraction_in_subspace(e.pcs, e.k, d), UNIT_ATOL, f"{label}: gamma {s}->{l} stimulus {k}")
                if e.subspace_determined(e.k) and a.subspace_determined(a.k):
                    close(got["overlap"], np.sum((e.pcs[:e.k] @ a.pcs[:a.k].T) ** 2) / min(e.k, a.k), UNIT_ATOL, f"{label}: overlap {s}->{l} stimulus {k}")
                if l != s + 1:
                    continue
                later_centred = a.centred
                total_later = np.sum(later_centred ** 2)
                for i in range(e.n_pcs):
                    if not (e.pc_determined[i] and e.sign_determined[i]) or e.eigenvalues[i] <= 1e-12 * largest:
                        continue
                    projection = e.pcs[i] @ d / np.linalg.norm(d)
                    got_pc = c_out["perpc"][(s, k, i)]
                    close(got_pc["along"], abs(projection), UNIT_ATOL, f"{label}: along PC {i} {s}->{l} stimulus {k}")
                    close(got_pc["angle"], math.degrees(math.acos(min(1, max(-1, projection)))), DEGREE_ATOL, f"{label}: angle to PC {i} {s}->{l} stimulus {k}")
                    close(got_pc["flow"], np.sum((later_centred @ e.pcs[i]) ** 2) / total_later, UNIT_ATOL, f"{label}: flow of variance PC {i} {s}->{l} stimulus {k}")
    return pca


def discrimination(set_a, set_b, l2):
    """RdDiscriminationAccuracy: trained on the first floor(h/2) of each set, tested on the rest."""
    train = len(set_a) // 2
    w, b = fit_logistic(set_a[:train], set_b[:train], l2)
    correct = np.sum(set_a[train:] @ w + b < 0) + np.sum(set_b[train:] @ w + b > 0)
    return correct / (2 * (len(set_a) - train))


def compare_nulls(c_out, responses, label, l2=1e-2):
    sessions, stimuli, m, n = responses.shape
    h = m // 2
    for kind, (index_a, index_b) in {"split_half": (np.arange(h), np.arange(m - h, m)),
                                      "even_odd": (2 * np.arange(h), 2 * np.arange(h) + 1)}.items():
        gammas, dns, shares, accuracies, angles = [], [], [], [], []
        for s in range(sessions):
            for k in range(stimuli):
                a, b = responses[s, k, index_a], responses[s, k, index_b]
                pa, pb = reference_pca(a), reference_pca(b)
                for p in (pa, pb):
                    dns.append(p.participation / n)
                    shares.append(p.explained[:p.k].sum())
                d = pb.mean - pa.mean
                gammas.append(fraction_in_subspace(pa.pcs, pa.k, d) if pa.subspace_determined(pa.k) else math.nan)
                angles.append(math.degrees(math.acos(np.clip(pa.pcs[0] @ d / np.linalg.norm(d), -1, 1))) if pa.pc_determined[0] and pa.sign_determined[0] else math.nan)
                accuracies.append(discrimination(a, b, l2))
        got = c_out["null"][kind]
        if not any(math.isnan(g) for g in gammas):
            close(got["gamma"], np.mean(gammas), UNIT_ATOL, f"{label}: {kind} null gamma")
        close(got["dn"], np.mean(dns), UNIT_ATOL, f"{label}: {kind} null D/n")
        close(got["variance"], np.mean(shares), UNIT_ATOL, f"{label}: {kind} null variance share")
        close(got["discrimination"], np.mean(accuracies), 0.0, f"{label}: {kind} null A-vs-B accuracy")
        if not any(math.isnan(v) for v in angles):
            close(got["angle_pc1"], np.mean(angles), DEGREE_ATOL, f"{label}: {kind} null angle to PC 1")


def check_planted_values(c_out, path, label="planted"):
    """The planted closed forms and numpy, against C output (driver or archive) of planted.h5."""
    params = generate.planted_parameters()
    check(c_out["dims"] == (3, 2, 16, 12), f"{label}: dims {c_out['dims']}, expected (3, 2, 16, 12)")
    predicted = generate.planted_predictions(params)
    for (s, k), D in predicted["D"].items():
        n_pcs, kv, d_c, _ = c_out["pca"][(s, k)]
        close(d_c, D, 0.0, f"{label}: D of session {s} stimulus {k} = (sum e)^2 / sum e^2")
        check(kv == predicted["k"][(s, k)] == 3, f"{label}: k of session {s} stimulus {k} = {kv}, predicted {predicted['k'][(s, k)]}")
        p = params[k][s]
        spectrum = np.concatenate([p["lambda"] + p["sigma2"], np.full(12 - 3, p["sigma2"])])
        check(np.abs(c_out["eig"][(s, k)] - spectrum).max() <= 1e-12, f"{label}: eigenvalues of session {s} stimulus {k} = lambda + sigma^2, sigma^2")
    for key, want in predicted["pair"].items():
        got = c_out["pair"][key]
        for name in ("relmag", "gamma", "chance", "overlap"):
            close(got[name], want[name], UNIT_ATOL, f"{label}: {name} {key[0]}->{key[1]} stimulus {key[2]}")
        close(got["angle"], want["angle"], DEGREE_ATOL, f"{label}: angle between means {key[0]}->{key[1]} stimulus {key[2]}")
    for key, want in predicted["perpc"].items():
        got = c_out["perpc"][key]
        close(got["along"], want["along"], UNIT_ATOL, f"{label}: |w_{key[2]}.d|/|d| {key[0]}->{key[0] + 1} stimulus {key[1]}")
        close(got["angle"], want["angle"], DEGREE_ATOL, f"{label}: theta(d, w_{key[2]}) {key[0]}->{key[0] + 1} stimulus {key[1]}")
        close(got["flow"], want["flow"], UNIT_ATOL, f"{label}: flow of variance vtilde_{key[2]} {key[0]}->{key[0] + 1} stimulus {key[1]}")
    with generate.h5py.File(path, "r") as f:
        prepared, kept = prepare(f["responses"][()])
    check(all(c_out["trial"][(s, k, a)] == kept[s, k, a] for (s, k, a) in c_out["trial"]), f"{label}: the 16 valid trials of every group are the ones used")
    compare_geometry(c_out, prepared, f"{label} vs numpy")
    compare_nulls(c_out, prepared, f"{label} vs numpy")


def write_planted(path):
    generate.write_recording(path, generate.planted_recording(generate.planted_parameters()), session_day=np.array([0.0, 1.0, 8.0]))


def check_planted(exe, work):
    path = os.path.join(work, "planted.h5")
    write_planted(path)
    check_planted_values(run_driver(exe, path), path)


def uneven_responses():
    """Random responses, 14 to 18 valid trials per group, partial trials, a silent neuron."""
    rng = np.random.default_rng(3)
    sessions, stimuli, trials, neurons = 3, 3, 20, 9
    responses = rng.gamma(2.0, 1.0, size=(sessions, stimuli, trials, neurons)) + np.arange(neurons) * 0.3
    responses[1] += 0.4 * rng.normal(size=neurons)  # a drift of the means
    for s in range(sessions):
        for k in range(stimuli):
            missing = rng.choice(trials, size=int(rng.integers(2, 7)), replace=False)
            responses[s, k, missing] = np.nan
            responses[s, k, rng.integers(trials), rng.integers(neurons)] = np.nan  # a partial trial
    responses[2, :, :, 4] = 0.0  # a neuron silent in session 2: kept
    return responses


def write_uneven(path):
    generate.write_recording(path, uneven_responses(), neuron_id=np.arange(100, 100 + 9))


def check_uneven(exe, work):
    responses = uneven_responses()
    path = os.path.join(work, "uneven.h5")
    write_uneven(path)
    sessions, stimuli = responses.shape[:2]
    prepared, kept = prepare(responses)
    c_out = run_driver(exe, path)
    check(c_out["dims"] == prepared.shape, f"uneven: dims {c_out['dims']}, numpy {prepared.shape}")
    check(all(c_out["trial"][(s, k, a)] == kept[s, k, a] for s in range(sessions) for k in range(stimuli) for a in range(prepared.shape[2])),
          "uneven: the reader keeps the trials of the documented policy (minimum count, evenly subsampled)")
    compare_geometry(c_out, prepared, "uneven")
    compare_nulls(c_out, prepared, "uneven")
    z_out = run_driver(exe, path, "-zscore")
    z_prepared, _ = prepare(responses, zscore=True)
    compare_geometry(z_out, z_prepared, "uneven -zscore")


# ------------------------------------------------------------------------------------------------
# The sweep of -model recording: its files, and its archive checked against numpy

SWEEP_FILES = ("planted.h5", "uneven.h5", "dense.h5")
RESUME_FILES = tuple(f"resume{i}.h5" for i in range(6))
REQUEUE_FILES = tuple(f"requeue{i}.h5" for i in range(8))
READOUT_RTOL, FIT_MIN_EXPLAINED = 1e-8, 1e-5
READOUT_DEGREE_ATOL = 1e-5  # acos near 0: a 1-ulp cosine is ~1.2e-6 degree (check_archive.py)


def dense_responses(seed=5, sessions=3, stimuli=3, trials=24, neurons=30, rank=4):
    """A low-dimensional code per stimulus whose mean and loadings drift between sessions."""
    rng = np.random.default_rng(seed)
    out = np.empty((sessions, stimuli, trials, neurons))
    for k in range(stimuli):
        mean = rng.gamma(2.0, 1.0, size=neurons)
        loadings = rng.normal(size=(neurons, rank)) * np.array([3.0, 2.0, 1.2, 0.8])
        for s in range(sessions):
            latent = rng.normal(size=(trials, rank))
            out[s, k] = mean + latent @ loadings.T + 0.3 * rng.normal(size=(trials, neurons))
            mean = mean + 0.25 * loadings @ rng.normal(size=rank) + 0.2 * rng.normal(size=neurons)
            loadings = loadings + 0.2 * rng.normal(size=loadings.shape)
    return out


def write_files(work):
    os.makedirs(work, exist_ok=True)
    write_planted(os.path.join(work, "planted.h5"))
    write_uneven(os.path.join(work, "uneven.h5"))
    generate.write_recording(os.path.join(work, "dense.h5"), dense_responses(), session_day=np.array([0.0, 2.0, 9.0]),
                             stimulus_name=["a", "b", "c"])
    for i, name in enumerate(RESUME_FILES):  # ~0.3 s per point: a run can be interrupted between points
        rng = np.random.default_rng(20 + i)
        base = rng.gamma(2.0, 1.0, size=(1, 8, 1, 120))
        responses = base + 0.5 * rng.normal(size=(4, 8, 40, 120)) + 0.2 * rng.normal(size=(4, 1, 1, 120)).cumsum(axis=0)
        generate.write_recording(os.path.join(work, name), responses)
    for i, name in enumerate(REQUEUE_FILES):  # ~1 s per point: time for Slurm to deliver a signal between points
        rng = np.random.default_rng(40 + i)
        base = rng.gamma(2.0, 1.0, size=(1, 8, 1, 250))
        responses = base + 0.5 * rng.normal(size=(4, 8, 60, 250)) + 0.2 * rng.normal(size=(4, 1, 1, 250)).cumsum(axis=0)
        generate.write_recording(os.path.join(work, name), responses.astype(np.float32))
    for config, files in (("sweep.yaml", SWEEP_FILES), ("resume.yaml", RESUME_FILES), ("requeue.yaml", REQUEUE_FILES)):
        with open(os.path.join(work, config), "w") as out:
            out.write("# written by tests/recordings/check_planted.py files\nmodel: recording\n")
            if config == "sweep.yaml":
                out.write("save_responses: true\n")  # /responses/probe: the trials analysed, padded
            out.write("recordings: " + ",".join(os.path.join(os.path.abspath(work), name) for name in files) + "\n")
    print(f"check_planted: wrote {len(SWEEP_FILES) + len(RESUME_FILES) + len(REQUEUE_FILES)} recordings, sweep.yaml, resume.yaml "
          f"and requeue.yaml in {work}")
    return 0


def close_r(got, want, atol, rtol, what):
    ok = (math.isnan(got) and math.isnan(want)) or abs(got - want) <= atol + rtol * abs(want)
    check(ok, f"{what}: C {got!r}, expected {want!r}")


def archive_c_out(f, p, S, K, m, n):
    """The driver's output (run_driver) read back from point p of the archive."""
    n_pcs = min(m - 1, n)
    out = {"dims": (S, K, m, n), "trial": {}, "pca": {}, "eig": {}, "splitnull": {}, "pair": {}, "perpc": {}, "null": {}}
    trial_index = f["recording/trial_index"][p]
    eig, D, kv = f["geometry/eigenvalues"][p], f["geometry/participation_ratio"][p], f["geometry/variational_dimension"][p]
    drift = {name: f[f"drift/{name}"][p] for name in ("angle_between_means", "relative_magnitude", "fraction_in_variational_space",
                                                       "fraction_chance", "variational_overlap", "along_pc", "angle_to_pc",
                                                       "variance_flow", "null_fraction_in_variational_space")}
    for s in range(S):
        for k in range(K):
            out["pca"][(s, k)] = (n_pcs, int(kv[s, k]), float(D[s, k]), float(eig[s, k, :n_pcs].sum()))
            out["eig"][(s, k)] = eig[s, k, :n_pcs]
            out["splitnull"][(s, k)] = float(drift["null_fraction_in_variational_space"][s, k])
            for a in range(m):
                out["trial"][(s, k, a)] = int(trial_index[s, k, a])
            for l in range(s + 1, S):
                out["pair"][(s, l, k)] = dict(angle=drift["angle_between_means"][s, l, k], relmag=drift["relative_magnitude"][s, l, k],
                                              gamma=drift["fraction_in_variational_space"][s, l, k], chance=drift["fraction_chance"][s, l, k],
                                              overlap=drift["variational_overlap"][s, l, k])
            if s + 1 < S:
                for i in range(n_pcs):
                    out["perpc"][(s, k, i)] = dict(along=drift["along_pc"][s + 1, k, i], angle=drift["angle_to_pc"][s + 1, k, i],
                                                   flow=drift["variance_flow"][s + 1, k, i])
    sig = {name: float(f[f"signature/{name}"][p]) for name in f["signature"] if f[f"signature/{name}"].ndim == 1}
    for kind, prefix in (("split_half", "null_"), ("even_odd", "even_odd_")):
        out["null"][kind] = dict(gamma=sig[prefix + "fraction_in_variational_space"], dn=sig[prefix + "participation_ratio_per_unit"],
                                 variance=sig[prefix + "variance_in_variational_space"],
                                 discrimination=sig[prefix + "day_discrimination_accuracy"], angle_pc1=sig[prefix + "angle_to_pc1"])
    return out, sig


def padding_problems(values, valid, what):
    problems = []
    if not np.all(np.isfinite(values[valid])):
        problems.append(f"{what}: non-finite valid entries")
    if not np.all(np.isnan(values[~valid])):
        problems.append(f"{what}: padding not NaN")
    return problems


def check_recording_fields(f, p, raw, prepared, kept, label, session_day=None, neuron_id=None):
    """/recording and /sweep of point p, and the padding of every per-point dataset."""
    S, K, m, n = prepared.shape
    days, stimuli, samples, units = (f[name].shape[0] for name in ("day", "stimulus", "sample", "unit"))
    r = {name: f[f"recording/{name}"][p] for name in f["recording"]}
    check((r["sessions"], r["stimuli"], r["trials"], r["neurons"]) == (S, K, m, n), f"{label}: /recording extents {S}, {K}, {m}, {n}")
    finite = np.isfinite(raw).sum(axis=3)
    check(r["dropped_partial_trials"] == int(np.sum((finite > 0) & (finite < n))), f"{label}: dropped_partial_trials = the trials with some, not all, neurons NaN")
    expect_day = np.full(days, np.nan)
    expect_day[:S] = session_day if session_day is not None else np.arange(S)
    check(np.array_equal(r["session_day"], expect_day, equal_nan=True), f"{label}: /recording/session_day {r['session_day']}")
    check(np.array_equal(r["session_index"], np.where(np.arange(days) < S, np.arange(days), -1)), f"{label}: /recording/session_index")
    check(np.array_equal(r["stimulus_index"], np.where(np.arange(stimuli) < K, np.arange(stimuli), -1)), f"{label}: /recording/stimulus_index")
    valid = np.full((days, stimuli), -1)
    valid[:S, :K] = np.isfinite(raw).all(axis=3).sum(axis=2)
    check(np.array_equal(r["valid_trials"], valid), f"{label}: /recording/valid_trials")
    trial = np.full((days, stimuli, samples), -1)
    trial[:S, :K, :m] = kept
    check(np.array_equal(r["trial_index"], trial), f"{label}: /recording/trial_index = the trials the documented policy keeps")
    ids = np.full(units, np.nan)
    if neuron_id is not None:
        ids[:n] = neuron_id
    check(np.array_equal(r["neuron_id"], ids, equal_nan=True), f"{label}: /recording/neuron_id")
    sweep = {name: f[f"sweep/{name}"][p] for name in ("seed", "width", "noise_type", "noise_level", "lr", "frequency", "status")}
    check(sweep["seed"] == p and sweep["width"] == units and sweep["noise_type"] == 0 and sweep["noise_level"] == 0 and sweep["lr"] == 0
          and math.isnan(sweep["frequency"]) and sweep["status"] == 1,
          f"{label}: /sweep: seed {sweep['seed']} = point, width {sweep['width']} = unit axis {units}, noise none 0, lr 0, frequency NaN, done")
    probability = f["sweep/stimulus_probability"][p]
    check(np.array_equal(probability, np.where(np.arange(stimuli) < K, 1.0 / K, np.nan), equal_nan=True), f"{label}: /sweep/stimulus_probability = 1/{K} per stimulus")
    n_pcs = min(m - 1, n)
    day, stim, pc, unit = np.arange(days) < S, np.arange(stimuli) < K, np.arange(f["pc"].shape[0]) < n_pcs, np.arange(units) < n
    problems = []
    problems += padding_problems(f["responses/mean"][p], day[:, None, None] & stim[None, :, None] & unit[None, None, :], "/responses/mean")
    for name in ("geometry/eigenvalues", "geometry/explained_variance_ratio"):
        problems += padding_problems(f[name][p], day[:, None, None] & stim[None, :, None] & pc[None, None, :], name)
    for name in ("geometry/participation_ratio", "drift/null_fraction_in_variational_space"):
        problems += padding_problems(f[name][p], day[:, None] & stim[None, :], name)
    pairs = np.less.outer(np.arange(days), np.arange(days)) & day[:, None] & day[None, :]
    for name in ("drift/angle_between_means", "drift/relative_magnitude", "drift/fraction_chance"):
        problems += padding_problems(f[name][p], pairs[:, :, None] & stim[None, None, :], name)
    problems += padding_problems(f["readout/classifier_accuracy"][p], day[:, None] & day[None, :] & (K >= 2), "/readout/classifier_accuracy")
    check(not problems, f"{label}: padding NaN beyond the recording's sessions, stimuli, neurons and PCs" + (f": {problems}" if problems else ""))


def numpy_readout(prepared, l2):
    """Cross-session classifiers of stimulus 0 vs 1: trained on the first half of session s, tested
    on the second half of session l (the foundation's readout)."""
    S, K, m, n = prepared.shape
    half = m // 2
    fits = [fit_logistic(prepared[s, 0, :half], prepared[s, 1, :half], l2) for s in range(S)]
    accuracy, angle = np.full((S, S), np.nan), np.full((S, S), np.nan)
    for s, (w, b) in enumerate(fits):
        for l in range(S):
            correct = np.count_nonzero(prepared[l, 0, half:] @ w + b < 0) + np.count_nonzero(prepared[l, 1, half:] @ w + b > 0)
            accuracy[s, l] = correct / (2 * (m - half))
            angle[s, l] = angle_degrees(w, fits[l][0])
    return accuracy, angle


def numpy_signature(prepared, l2, accuracy, angle, session_day):
    """The signature over consecutive sessions (include/repdrift/signature.h) from its definitions;
    pooled fits whose PCs are not all unique (and signed) are left out (None)."""
    S, K, m, n = prepared.shape
    pca = {(s, k): reference_pca(prepared[s, k]) for s in range(S) for k in range(K)}
    out = {"participation_ratio_per_unit": np.mean([p.participation / n for p in pca.values()]),
           "variance_in_variational_space": np.mean([p.explained[:p.k].sum() for p in pca.values() if p.k >= 1])}
    gamma, chance, angle_pc1, ratio_pc1, discrimination_ = [], [], [], [], []
    fits = {"angle": ([], []), "along": ([], []), "flow": ([], []), "turnover": ([], [])}
    unique = True
    for k in range(K):
        for s in range(1, S):
            e, l = pca[(s - 1, k)], pca[(s, k)]
            d = l.mean - e.mean
            unique &= e.subspace_determined(e.k)
            gamma.append(fraction_in_subspace(e.pcs, e.k, d))
            chance.append(e.k / n)
            total_later = np.sum(l.centred ** 2)
            for i in range(e.n_pcs):
                v = e.explained[i]
                if i > 0 and not v > FIT_MIN_EXPLAINED:
                    continue
                unique &= bool(e.pc_determined[i] and e.sign_determined[i])
                cosine = e.pcs[i] @ d / np.linalg.norm(d)
                theta, flow = math.degrees(math.acos(min(1, max(-1, cosine)))), np.sum((l.centred @ e.pcs[i]) ** 2) / total_later
                if i == 0:
                    angle_pc1.append(theta)
                    ratio_pc1.append(flow / v)
                if v > FIT_MIN_EXPLAINED:
                    fits["angle"][0].append(v), fits["angle"][1].append(theta)
                    fits["along"][0].append(v), fits["along"][1].append(abs(cosine))
                    if flow > 0:
                        fits["flow"][0].append(math.log(v)), fits["flow"][1].append(math.log(flow))
            fits["turnover"][0].extend(e.mean), fits["turnover"][1].extend(d)
            discrimination_.append(discrimination(prepared[s - 1, k], prepared[s, k], l2))
    out.update(fraction_in_variational_space=np.mean(gamma), fraction_chance=np.mean(chance), angle_to_pc1=np.mean(angle_pc1),
               variance_flow_ratio_pc1=np.mean(ratio_pc1), day_discrimination_accuracy=np.mean(discrimination_))
    for name, (x, y) in fits.items():
        slope, r = linear_fit(np.array(x), np.array(y))
        if name == "turnover":
            out["unit_turnover_slope"], out["unit_turnover_r"] = slope, r
        elif unique:
            prefix = {"angle": "angle", "along": "along", "flow": "variance_flow_loglog"}[name]
            out[prefix + "_slope"] = slope
            if name != "flow":
                out[prefix + "_r"] = r
    if K >= 2:
        out["relative_cross_accuracy"] = np.mean([accuracy[s, s + 1] / accuracy[s + 1, s + 1] for s in range(S - 1)])
        out["classifier_angle"] = np.mean([angle[s, s + 1] for s in range(S - 1)])
    overlap, x, y = [], [], []
    for k in range(K):
        for s in range(S):
            for l in range(s + 1, S):
                e, a = pca[(s, k)], pca[(l, k)]
                if l == s + 1:
                    overlap.append(np.sum((e.pcs[:e.k] @ a.pcs[:a.k].T) ** 2) / min(e.k, a.k))
                x.append(session_day[l] - session_day[s])
                y.append(angle_degrees(e.mean, a.mean))
    out["variational_overlap"] = np.mean(overlap)
    out["angle_between_means_per_day"] = linear_fit(np.array(x), np.array(y))[0] if np.ptp(x) > 0 else math.nan
    return out


SIGNATURE_TOLERANCE = {"angle": DEGREE_ATOL, "classifier_angle": DEGREE_ATOL, "angle_between_means_per_day": DEGREE_ATOL}


def check_archive(archive, work):
    l2 = 1e-2
    with generate.h5py.File(archive, "r") as f:
        check(generate.h5py.File(archive, "r").attrs["model"] == "recording", f"{archive} is a -model recording archive")
        for p, name in enumerate(SWEEP_FILES):
            with generate.h5py.File(os.path.join(work, name), "r") as g:
                raw = g["responses"][()]
                session_day = g["session_day"][()] if "session_day" in g else None
                neuron_id = g["neuron_id"][()] if "neuron_id" in g else None
            prepared, kept = prepare(raw)
            S, K, m, n = prepared.shape
            label = f"archive point {p} ({name})"
            check_recording_fields(f, p, raw, prepared, kept, label, session_day, neuron_id)
            c_out, sig = archive_c_out(f, p, S, K, m, n)
            if name == "planted.h5":
                check_planted_values(c_out, os.path.join(work, name), label)
            else:
                compare_geometry(c_out, prepared, label)
                compare_nulls(c_out, prepared, label, l2)
            probe = f["responses/probe"][p]  # sweep.yaml saves the responses: the trials used, NaN padding
            inside = np.zeros(probe.shape, bool)
            inside[:S, :K, :m, :n] = True
            check(np.array_equal(probe[:S, :K, :m, :n], prepared) and np.all(np.isnan(probe[~inside])),
                  f"{label}: /responses/probe = the prepared trials, NaN beyond the recording")
            means = f["responses/mean"][p]
            check(np.allclose(means[:S, :K, :n], prepared.mean(axis=2), rtol=1e-12, atol=1e-12), f"{label}: /responses/mean = the trial means")
            if K >= 2:
                accuracy, angle = numpy_readout(prepared, l2)
                for s in range(S):
                    for l in range(S):
                        close_r(f["readout/classifier_accuracy"][p, s, l], accuracy[s, l], 0.0, 0.0, f"{label}: classifier accuracy {s} -> {l}")
                        close_r(f["readout/classifier_angle"][p, s, l], angle[s, l], READOUT_DEGREE_ATOL, READOUT_RTOL, f"{label}: classifier angle {s} -> {l}")
            else:
                accuracy = angle = None
            days = session_day if session_day is not None else np.arange(S, dtype=float)
            expected = numpy_signature(prepared, l2, accuracy, angle, days)
            for metric, want in sorted(expected.items()):
                atol = SIGNATURE_TOLERANCE.get(metric, UNIT_ATOL if "angle" not in metric else DEGREE_ATOL)
                close_r(sig[metric], want, atol, READOUT_RTOL, f"{label}: /signature/{metric}")
            skipped = sorted(set(("angle_slope", "angle_r", "along_slope", "along_r", "variance_flow_loglog_slope")) - set(expected))
            if skipped:
                print(f"note {label}: {', '.join(skipped)} not recomputed (a pooled PC is not unique)")
    return 0


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "files":
        return write_files(sys.argv[2])
    if len(sys.argv) == 4 and sys.argv[1] == "archive":
        check_archive(sys.argv[2], sys.argv[3])
        print(f"check_planted archive: {passed} passed, {failed} failed")
        return 1 if failed else 0
    exe, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)  # a rerun starts from nothing
    os.makedirs(work)
    check_planted(exe, work)
    check_uneven(exe, work)
    print(f"check_planted: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
