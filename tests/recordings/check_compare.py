#!/usr/bin/env python3
"""check_compare.py REPDRIFT REPORT PLOT FILES_DIR RECORDINGS.h5 CLASSIFIER.h5 CLASSIFIER_CONFIG WORKDIR

`repdrift-report RECORDING -compare NETWORK` recomputed here from the archives alone (h5py, numpy,
a Python Philox4x32-10 for the bootstrap), following the definition of include/repdrift/compare.h
and the README, never the C code's intermediate output:

1. the recordings archive of the sweep tests (3 animals) against the classifier test sweep
   (CLASSIFIER.h5: 6 noise settings x 1 seed);
2. the same classifier archive against the built-in paper-v1, given in the other order, with
   -bootstrap 300 -seed 7 (the paper's numbers are typed in here from its section 2.1);
3. a one-animal recording archive (dense.h5 alone: its spread t from the two within-session nulls)
   against a classifier sweep with 3 seeds of 2 noise types (so seeds are resampled);
for each: the recording's r, t, n, every z of every setting, D, the number of metrics, the ranking,
the bootstrap's 95 % interval and P(ranked first) (to the 6 digits printed), and sum P(first) = 1.
Then `repdrift-plot RECORDING --compare NETWORK --only recording_vs_network`: its CSV equals the
plotted numbers recomputed here (check_postproc's rules: means and 95 % t intervals over seeds),
and the image exists. Finally -compare refusals: two networks, two recordings, a network without
/signature, a missing file: exit 2 with one line.
"""
import math
import os
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python"))
from check_archive import Results  # noqa: E402
from check_postproc import Archive, compare_rows, mean_ci, read_csv, row  # noqa: E402

NOISE = ("none", "node_dropout", "weight_dropout", "additive", "multiplicative", "gradient")
# (metric, floor eps) in the order of the printed table
METRICS = (("angle_slope", 1.0), ("angle_r", 0.01), ("along_slope", 0.01), ("angle_to_pc1", 1.0),
           ("variance_flow_loglog_slope", 0.01), ("variance_flow_ratio_pc1", 0.01), ("fraction_in_variational_space", 0.01),
           ("participation_ratio_per_unit", 0.001), ("variance_in_variational_space", 0.01), ("relative_cross_accuracy", 0.01),
           ("classifier_angle", 1.0), ("day_discrimination_accuracy", 0.01), ("unit_turnover_slope", 0.01))
# Aitken et al. 2022, section 2.1 (passive mouse V1): (kind, value, spread)
PAPER_V1 = {"participation_ratio_per_unit": ("mean_sd", 0.05, 0.04), "variance_in_variational_space": ("mean_sd", 0.91, 0.04),
            "day_discrimination_accuracy": ("mean_sd", 0.68, 0.08), "fraction_in_variational_space": ("about", 0.5, 0.0),
            "classifier_angle": ("about", 57.0, 0.0)}
PRINTED_RTOL = 1e-5  # the table prints 6 significant digits
results = Results()


# ------------------------------------------------------------------------------------------------
# Philox4x32-10 (Salmon et al. 2011) and the streams of include/repdrift/rng.h

MASK = 0xFFFFFFFF


def philox(counter, key):
    x0, x1, x2, x3 = counter
    k0, k1 = key
    for round_ in range(10):
        if round_:
            k0, k1 = (k0 + 0x9E3779B9) & MASK, (k1 + 0xBB67AE85) & MASK
        p0, p1 = 0xD2511F53 * x0, 0xCD9E8D57 * x2
        x0, x1, x2, x3 = (p1 >> 32) ^ x1 ^ k0, p1 & MASK, (p0 >> 32) ^ x3 ^ k1, p0 & MASK
    return [x0, x1, x2, x3]


class Stream:
    """(seed, stream id, purpose): counter (block lo, block hi, stream id, purpose), key = seed."""

    def __init__(self, seed, stream_id, purpose):
        self.key = [seed & MASK, (seed >> 32) & MASK]
        self.counter = [0, 0, stream_id, purpose]
        self.block, self.used = None, 4

    def uint32(self):
        if self.used == 4:
            self.block = philox(self.counter, self.key)
            self.counter[0] = (self.counter[0] + 1) & MASK
            if self.counter[0] == 0:
                self.counter[1] += 1
            self.used = 0
        self.used += 1
        return self.block[self.used - 1]

    def below(self, n):
        threshold = ((-n) & MASK) % n
        while True:
            r = self.uint32()
            if r >= threshold:
                return r % n


PURPOSE_COMPARE = 11


# ------------------------------------------------------------------------------------------------
# The comparison from its definition

def mean_sd(values):
    """Mean and SD (n - 1; 0 for one value) of the finite values, summed in order."""
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return None
    total = 0.0
    for v in finite:
        total += v
    mean = total / len(finite)
    squares = 0.0
    for v in finite:
        squares += (v - mean) * (v - mean)
    return mean, (math.sqrt(squares / (len(finite) - 1)) if len(finite) > 1 else 0.0), len(finite)


class RecordingSide:
    def __init__(self, path):
        self.reference = path == "paper-v1"
        if self.reference:
            self.animals = 0
            return
        with h5py.File(path, "r") as f:
            done = f["sweep/status"][()] == 1
            self.value = np.array([f[f"signature/{m}"][()][done] for m, _ in METRICS]).T  # [animal][metric]
            self.split = np.array([f[f"signature/null_{m}"][()][done] for m, _ in METRICS]).T
            self.even = np.array([f[f"signature/even_odd_{m}"][()][done] for m, _ in METRICS]).T
        self.animals = int(done.sum())

    def statistics(self, rows):
        """[(r, t, kind, n)] per metric (None where undefined), over the animal rows."""
        out = []
        for j, (metric, _) in enumerate(METRICS):
            if self.reference:
                out.append((PAPER_V1[metric][1], PAPER_V1[metric][2], PAPER_V1[metric][0], 1) if metric in PAPER_V1 else None)
                continue
            stat = mean_sd([self.value[a, j] for a in rows])
            if stat is None:
                out.append(None)
                continue
            r, t, n = stat
            if n == 1:
                a = next(a for a in rows if math.isfinite(self.value[a, j]))
                t = abs(self.split[a, j] - self.even[a, j]) / math.sqrt(2)
                t = t if math.isfinite(t) else 0.0
            out.append((r, t, "animals", n))
        return out


class NetworkSide:
    def __init__(self, path):
        with h5py.File(path, "r") as f:
            done = f["sweep/status"][()] == 1
            keys = list(zip(*(f[f"sweep/{a}"][()] for a in ("frequency", "noise_type", "noise_level", "width", "lr"))))
            values = np.array([f[f"signature/{m}"][()] for m, _ in METRICS]).T
        self.settings, self.seeds = [], []
        for p in np.flatnonzero(done):
            key = tuple(float(v) for v in keys[p])
            if key not in self.settings:
                self.settings.append(key)
                self.seeds.append([])
            self.seeds[self.settings.index(key)].append(values[p])
        self.seeds = [np.array(s) for s in self.seeds]

    def statistics(self, g, rows):
        return [mean_sd([self.seeds[g][i, j] for i in rows]) for j in range(len(METRICS))]


def distance(net, rec):
    z, total, used = [], 0.0, 0
    for j, (_, floor) in enumerate(METRICS):
        if net[j] is None or rec[j] is None:
            z.append(math.nan)
            continue
        mu, s = net[j][0], net[j][1]
        r, t, kind = rec[j][0], rec[j][1], rec[j][2]
        difference = max(0.0, mu - r) if kind == "below" else mu - r
        z.append(difference / math.sqrt(s * s + t * t + floor * floor))
        total += z[-1] * z[-1]
        used += 1
    return (math.sqrt(total / used) if used else math.nan), z, used


def expected_comparison(rec, net, bootstrap, seed):
    rec_full = rec.statistics(list(range(rec.animals)))
    net_full = [net.statistics(g, list(range(len(net.seeds[g])))) for g in range(len(net.settings))]
    D, Z, used = [], [], []
    for g in range(len(net.settings)):
        d, z, u = distance(net_full[g], rec_full)
        D.append(d), Z.append(z), used.append(u)
    rank = sorted(range(len(D)), key=lambda g: (math.isnan(D[g]), D[g] if not math.isnan(D[g]) else 0.0, g))
    stream = Stream(seed, 0, PURPOSE_COMPARE)
    resampled = [[] for _ in D]
    first = [0] * len(D)

    def keep_spreads(resampled_stats, full):
        return [None if x is None else (x[0], full[j][1]) + tuple(x[2:]) for j, x in enumerate(resampled_stats)]

    for _ in range(bootstrap):
        animals = [stream.below(rec.animals) for _ in range(rec.animals)]
        seeds = [[stream.below(len(s)) for _ in range(len(s))] for s in net.seeds]
        rec_b = keep_spreads(rec.statistics(animals), rec_full)
        best = None
        for g in range(len(D)):
            d, _, _ = distance(keep_spreads(net.statistics(g, seeds[g]), net_full[g]), rec_b)
            resampled[g].append(d)
            if math.isfinite(d) and (best is None or d < resampled[best][-1]):
                best = g
        if best is not None:
            first[best] += 1
    low, high = [], []
    for values in resampled:
        finite = sorted(v for v in values if math.isfinite(v))
        L = len(finite)
        low.append(finite[math.ceil(0.025 * L) - 1] if L else math.nan)
        high.append(finite[math.ceil(0.975 * L) - 1] if L else math.nan)
    p_first = [c / bootstrap if bootstrap else math.nan for c in first]
    return dict(recording=rec_full, D=D, z=Z, used=used, rank=rank, low=low, high=high, first=p_first, settings=net.settings,
                seeds=[len(s) for s in net.seeds])


# ------------------------------------------------------------------------------------------------
# The printed table

def parse(text):
    lines = text.splitlines()
    out = {"recording": {}, "ranking": [], "z": {}}
    section = None
    for line in lines:
        words = line.split()
        if not words:
            continue
        if words[:2] == ["metric", "r"]:
            section = "recording"
        elif words[0] == "rank" and "D" in words:
            section = "ranking"
        elif words[0] == "metric" and section == "ranking":
            section = "z"
        elif section == "recording" and len(words) == 6:
            out["recording"][words[0]] = (float(words[1]), float(words[2]), float(words[3]), words[4], int(words[5]))
        elif section == "ranking" and len(words) == 12 and words[0].isdigit():
            out["ranking"].append(dict(rank=int(words[0]), noise=words[1], level=float(words[2]), width=int(words[3]),
                                       frequency=float(words[4]), lr=float(words[5]), seeds=int(words[6]), metrics=int(words[7]),
                                       D=float(words[8]), low=float(words[9]), high=float(words[10]), first=float(words[11])))
        elif section == "z" and words[0] in dict(METRICS):
            out["z"][words[0]] = [float(w) for w in words[1:]]
    return out


def same(got, want, rtol=PRINTED_RTOL, atol=1e-9):
    if math.isnan(want) or math.isnan(got):
        return math.isnan(want) and math.isnan(got)
    return abs(got - want) <= atol + rtol * abs(want)


def check_case(name, report, first, second, rec_path, net_path, bootstrap=1000, seed=1, options=()):
    run = subprocess.run([report, first, "-compare", second, *options], capture_output=True, text=True)
    if not results.check(run.returncode == 0, f"{name}: repdrift-report {first} -compare {second} {' '.join(options)} exits 0",
                         run.stderr.strip()[:300]):
        return
    got = parse(run.stdout)
    want = expected_comparison(RecordingSide(rec_path), NetworkSide(net_path), bootstrap, seed)
    problems = []
    for j, (metric, floor) in enumerate(METRICS):
        printed, stat = got["recording"].get(metric), want["recording"][j]
        if printed is None:
            problems.append(f"no recording row for {metric}")
            continue
        r, t, n = (stat[0], stat[1], stat[3]) if stat else (math.nan, math.nan, 0)
        if not (same(printed[0], r) and same(printed[1], t) and printed[2] == floor and printed[4] == n):
            problems.append(f"{metric}: printed r, t, eps, n {printed}, expected {r!r}, {t!r}, {floor}, {n}")
    results.check_all(f"{name}: the recording's r, t, eps and n of the 13 metrics", problems)
    problems = []
    if len(got["ranking"]) != len(want["D"]):
        problems.append(f"{len(got['ranking'])} ranked settings, expected {len(want['D'])}")
    for position, (printed, g) in enumerate(zip(got["ranking"], want["rank"])):
        frequency, code, level, width, lr = want["settings"][g]
        setting_ok = printed["noise"] == NOISE[int(code)] and same(printed["level"], level) and printed["width"] == width \
            and same(printed["frequency"], frequency) and same(printed["lr"], lr) and printed["seeds"] == want["seeds"][g]
        values_ok = printed["metrics"] == want["used"][g] and same(printed["D"], want["D"][g]) and same(printed["low"], want["low"][g]) \
            and same(printed["high"], want["high"][g]) and same(printed["first"], want["first"][g], 0, 1e-12)
        z_ok = all(same(got["z"][metric][position], want["z"][g][j]) for j, (metric, _) in enumerate(METRICS))
        if not (printed["rank"] == position + 1 and setting_ok and values_ok and z_ok):
            problems.append(f"rank {position + 1}: printed {printed}, expected setting {want['settings'][g]} D {want['D'][g]!r} "
                            f"[{want['low'][g]!r}, {want['high'][g]!r}] P {want['first'][g]!r} metrics {want['used'][g]} z ok {z_ok}")
    results.check_all(f"{name}: ranking, D, z per metric, metrics used, bootstrap interval and P(first) of every setting", problems,
                      f"{len(want['D'])} settings, first {got['ranking'][0]['noise'] if got['ranking'] else '?'} D {want['D'][want['rank'][0]]:.4g}")
    if bootstrap:
        total = sum(p["first"] for p in got["ranking"])
        results.check(abs(total - 1.0) < 1e-9, f"{name}: P(first) sums to 1 over the settings", f"{total}")
        results.check(all(p["low"] <= p["high"] for p in got["ranking"]), f"{name}: D_low <= D_high")


def check_figure(plot, recording, network, work):
    out = os.path.join(work, "figure")
    run = subprocess.run([plot, recording, "--compare", network, "-o", out, "--only", "recording_vs_network"], capture_output=True, text=True)
    if not results.check(run.returncode == 0 and os.path.exists(os.path.join(out, "recording_vs_network.png")),
                         "repdrift-plot RECORDING --compare NETWORK draws recording_vs_network", run.stderr.strip()[:300]):
        return
    _, _, got = read_csv(os.path.join(out, "recording_vs_network.csv"))
    net, rows = Archive(network), []
    labels, order = net.labels(("frequency", "noise_type", "noise_level", "width", "lr"))
    order = [s for s in order if net.done[labels == s].any()]
    with h5py.File(recording, "r") as f:
        done = f["sweep/status"][()] == 1
        animals = {m: f[f"signature/{m}"][()][done] for m, _ in METRICS}
    panels = {m: title for title, m in (("slope of angle vs v_i (deg)", "angle_slope"), ("Pearson r of angle vs v_i", "angle_r"),
                                         ("slope of |w_i.d|/|d| vs v_i", "along_slope"), ("angle of drift to PC 1 (deg)", "angle_to_pc1"),
                                         ("log-log slope of the variance flow", "variance_flow_loglog_slope"),
                                         ("vtilde_1 / v_1", "variance_flow_ratio_pc1"),
                                         ("gamma: drift in the variational space", "fraction_in_variational_space"),
                                         ("D / n", "participation_ratio_per_unit"),
                                         ("share of variance in the variational space", "variance_in_variational_space"),
                                         ("relative cross accuracy a_rel", "relative_cross_accuracy"),
                                         ("angle between consecutive classifiers (deg)", "classifier_angle"),
                                         ("session / snapshot discrimination accuracy", "day_discrimination_accuracy"),
                                         ("unit turnover slope", "unit_turnover_slope"))}
    for metric, _ in METRICS:
        values = net.get(f"/signature/{metric}")
        a = animals[metric][np.isfinite(animals[metric])]
        for i, setting in enumerate(order):
            r = mean_ci(values[labels == setting])
            if r:
                rows.append(row(panels[metric], "network: mean and 95 % CI over seeds", "mean", i - 0.1, r[0], r[1], r[2], r[3], setting))
            if len(a):
                t = np.std(a, ddof=1) if len(a) > 1 else math.nan
                rows.append(row(panels[metric], "recording: mean +- SD over animals", "recording", i + 0.25, a.mean(), a.mean() - t,
                                a.mean() + t, len(a), setting))
    compare_rows(results, "recording_vs_network", got, rows)


def check_refusals(report, recording, network, linear_like, work):
    for name, args, words in (("two networks", [network, "-compare", network], "needs one recording"),
                              ("two recordings", [recording, "-compare", recording], "needs one recording"),
                              ("a recording and paper-v1", [recording, "-compare", "paper-v1"], "no network drift signature"),
                              ("a missing file", [recording, "-compare", os.path.join(work, "missing.h5")], "missing.h5"),
                              ("a negative -bootstrap", [recording, "-compare", network, "-bootstrap", "-5"], "-bootstrap must be")):
        run = subprocess.run([report, *args], capture_output=True, text=True)
        lines = run.stderr.strip().splitlines()
        results.check(run.returncode == 2 and len(lines) == 1 and words in lines[0], f"-compare refuses {name}: exit 2, one line naming it",
                      f"exit {run.returncode}: {run.stderr.strip()[:200]}")


def main():
    repdrift, report, plot, files, recordings, classifier, config, work = sys.argv[1:9]
    os.makedirs(work, exist_ok=True)
    check_case("recordings vs classifier", report, recordings, classifier, recordings, classifier)
    check_case("classifier vs paper-v1", report, classifier, "paper-v1", "paper-v1", classifier, 300, 7, ("-bootstrap", "300", "-seed", "7"))
    # one animal (t from its two nulls) against a network with 3 seeds per setting
    one = os.path.join(work, "one_animal.h5")
    seeds = os.path.join(work, "classifier_seeds.h5")
    runs = [[repdrift, "-model", "recording", "-recordings", os.path.join(files, "dense.h5"), "-output", one, "-overwrite", "-terse"],
            [repdrift, "-options_file", config, "-sweep_noise_type", "node_dropout,none", "-sweep_seeds", "3", "-output", seeds,
             "-overwrite", "-terse"]]
    for command in runs:
        run = subprocess.run(command, capture_output=True, text=True)
        if not results.check(run.returncode == 0, f"{' '.join(command[1:4])} ... runs", run.stderr.strip()[:300]):
            return 1
    check_case("one animal vs 3 seeds", report, one, seeds, one, seeds, 500, 3, ("-bootstrap", "500", "-seed", "3"))
    check_figure(plot, recordings, classifier, work)
    check_refusals(report, recordings, classifier, None, work)
    print(f"check_compare: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
