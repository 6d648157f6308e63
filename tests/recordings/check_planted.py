#!/usr/bin/env python3
"""check_planted.py TEST_RECORDING WORKDIR

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
from check_archive import reference_pca, fraction_in_subspace, angle_degrees, fit_logistic  # noqa: E402

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


def check_planted(exe, work):
    params = generate.planted_parameters()
    path = os.path.join(work, "planted.h5")
    generate.write_recording(path, generate.planted_recording(params), session_day=np.array([0.0, 1.0, 8.0]))
    c_out = run_driver(exe, path)
    check(c_out["dims"] == (3, 2, 16, 12), f"planted: dims {c_out['dims']}, expected (3, 2, 16, 12)")
    predicted = generate.planted_predictions(params)
    for (s, k), D in predicted["D"].items():
        n_pcs, kv, d_c, _ = c_out["pca"][(s, k)]
        close(d_c, D, 0.0, f"planted: D of session {s} stimulus {k} = (sum e)^2 / sum e^2")
        check(kv == predicted["k"][(s, k)] == 3, f"planted: k of session {s} stimulus {k} = {kv}, predicted {predicted['k'][(s, k)]}")
        p = params[k][s]
        spectrum = np.concatenate([p["lambda"] + p["sigma2"], np.full(12 - 3, p["sigma2"])])
        check(np.abs(c_out["eig"][(s, k)] - spectrum).max() <= 1e-12, f"planted: eigenvalues of session {s} stimulus {k} = lambda + sigma^2, sigma^2")
    for key, want in predicted["pair"].items():
        got = c_out["pair"][key]
        for name in ("relmag", "gamma", "chance", "overlap"):
            close(got[name], want[name], UNIT_ATOL, f"planted: {name} {key[0]}->{key[1]} stimulus {key[2]}")
        close(got["angle"], want["angle"], DEGREE_ATOL, f"planted: angle between means {key[0]}->{key[1]} stimulus {key[2]}")
    for key, want in predicted["perpc"].items():
        got = c_out["perpc"][key]
        close(got["along"], want["along"], UNIT_ATOL, f"planted: |w_{key[2]}.d|/|d| {key[0]}->{key[0] + 1} stimulus {key[1]}")
        close(got["angle"], want["angle"], DEGREE_ATOL, f"planted: theta(d, w_{key[2]}) {key[0]}->{key[0] + 1} stimulus {key[1]}")
        close(got["flow"], want["flow"], UNIT_ATOL, f"planted: flow of variance vtilde_{key[2]} {key[0]}->{key[0] + 1} stimulus {key[1]}")
    with generate.h5py.File(path, "r") as f:
        prepared, kept = prepare(f["responses"][()])
    check(all(c_out["trial"][(s, k, a)] == kept[s, k, a] for (s, k, a) in c_out["trial"]), "planted: the 16 valid trials of every group are the ones used")
    compare_geometry(c_out, prepared, "planted vs numpy")
    compare_nulls(c_out, prepared, "planted vs numpy")


def check_uneven(exe, work):
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
    path = os.path.join(work, "uneven.h5")
    generate.write_recording(path, responses, neuron_id=np.arange(100, 100 + neurons))
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


def main():
    exe, work = sys.argv[1], sys.argv[2]
    shutil.rmtree(work, ignore_errors=True)  # a rerun starts from nothing
    os.makedirs(work)
    check_planted(exe, work)
    check_uneven(exe, work)
    print(f"check_planted: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
