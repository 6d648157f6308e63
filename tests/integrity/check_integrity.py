#!/usr/bin/env python3
"""The archive integrity suite (README, "Integrity"): the damaged archives of damage.py against
every reader, and the checksums against an independent reference.

Usage:
    check_integrity.py report REPORT GOOD WORKDIR                 repdrift-report (table) and -verify
    check_integrity.py resume REPDRIFT REPORT OPTIONS GOOD WORKDIR   repdrift -options_file OPTIONS -resume
    check_integrity.py merge MERGE REPORT GOOD WORKDIR            repdrift-merge OUT CASE
    check_integrity.py python PLOT GOOD WORKDIR                   repdrift.open_archive, repdrift-plot
    check_integrity.py inputs REPDRIFT REPORT WORKDIR                a model's input file moved away
    check_integrity.py checksums SCHEMA A1.h5,A2.h5,... [B1.h5,...]

GOOD is an archive of tests/configs/small.yaml (OPTIONS). Every case of damage.py is made afresh in
WORKDIR, then each path must do exactly what damage.py's verdict says: refuse with one line naming
the dataset and what is wrong (exit 2; -resume leaves the file untouched), list or recompute the
points that fail their checksum, read with a note, or read as usual. Whatever the case, nothing may
crash: no signal, no Python traceback, no PETSc traceback. After -resume repairs an archive it must
equal GOOD (every dataset outside /config but wall_seconds, byte for byte) and verify.

inputs: a small classifier sweep on an HDF5 data file (-data FILE.h5): its archive verifies; with
the file moved away it still reads, with a note that the sweep description was checked for range
only (and an out-of-range value is still refused); with the file back, a presentation probability
edited within range is refused again (it differs from what the options and the file give).

checksums: for each comma-separated group of archives of the same options written on different
numbers of ranks, /sweep/checksum of the first is recomputed by reference_checksum.py (SipHash-2-4
in plain Python from the stored bytes, itself checked against the paper's test vectors), and every
archive of the group holds identical checksums.

Prints `ok`/`FAIL` lines and `check_integrity: N passed, M failed`; exit 1 when anything failed.
"""
import contextlib
import io
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, here)
sys.path.insert(0, os.path.join(os.path.dirname(here), "python"))
import damage  # noqa: E402
import reference_checksum  # noqa: E402
from check_archive import Results  # noqa: E402


def run(command):
    return subprocess.run(command, capture_output=True, text=True, errors="replace")


def no_crash(results, case, what, process):
    """No signal, no traceback of Python or PETSc."""
    text = process.stdout + process.stderr
    crashed = process.returncode < 0 or "Traceback" in text or "PETSC ERROR" in text
    results.check(not crashed, f"{case.name}: {what} does not crash",
                  f"exit {process.returncode}" + (f", output {text.strip()[-400:]!r}" if crashed else ""))


def one_line_refusal(results, case, what, process, message):
    lines = [line for line in process.stderr.splitlines() if line.strip()]
    ok = process.returncode == 2 and len(lines) == 1 and message in lines[0]
    results.check(ok, f"{case.name}: {what} refuses it in one line naming it (exit 2)",
                  f"exit {process.returncode}, stderr {process.stderr.strip()!r}, expected {message!r}")


def failing_points_message(points):
    listed = ", ".join(str(p) for p in list(points)[:10]) + (", ..." if len(points) > 10 else "")
    return f"fail their checksum (point {listed})"


def same_as(good, path):
    """Differences between two archives outside /config and the timings (and /phase, the timings' scale), byte for byte."""
    problems = []
    with h5py.File(good, "r") as a, h5py.File(path, "r") as b:
        def visit(name, item):
            if not isinstance(item, h5py.Dataset) or name.startswith("config/") or name in ("sweep/wall_seconds", "sweep/phase_seconds", "phase"):
                return
            if name not in b:
                problems.append(f"/{name} missing")
            elif np.ascontiguousarray(item[()]).tobytes() != np.ascontiguousarray(b[name][()]).tobytes():
                problems.append(f"/{name} differs")
        a.visititems(visit)
    return problems


# ---------------------------------------------------------------------------------------------

def check_report(results, report, good, workdir):
    for case in damage.make(good, workdir):
        table = run([report, case.path])
        verify = run([report, case.path, "-verify"])
        no_crash(results, case, "the report", table)
        no_crash(results, case, "-verify", verify)
        if case.verdict == damage.INVALID:
            one_line_refusal(results, case, "the report", table, case.message_for("report"))
            one_line_refusal(results, case, "-verify", verify, case.message_for("report"))
        elif case.verdict in (damage.CORRUPT, damage.OPTIONS):
            one_line_refusal(results, case, "the report", table, failing_points_message(case.points))
            listed = sorted(int(line.split()[2].rstrip(":")) for line in verify.stdout.splitlines() if line.startswith("FAIL point "))
            results.check(verify.returncode == 1 and listed == sorted(case.points), f"{case.name}: -verify lists exactly the failing points (exit 1)",
                          f"exit {verify.returncode}, listed {listed}, expected {sorted(case.points)}")
        else:
            done = damage.N_POINTS - len(case.pending)
            # the per-point table (the linear model's days section after it lists the points again)
            point_table = table.stdout.split("\nDrift between day means")[0]
            rows = [line for line in point_table.splitlines() if line.split()[:1] and line.split()[0].isdigit()]
            pending_rows = [r for r in rows if " pending " in r]
            results.check(table.returncode == 0 and len(rows) == damage.N_POINTS and len(pending_rows) == len(case.pending),
                          f"{case.name}: the report prints every point ({len(case.pending)} pending)",
                          f"exit {table.returncode}, {len(rows)} rows, stderr {table.stderr.strip()!r}")
            if case.verdict == damage.UNVERIFIABLE:
                results.check("Note: " in table.stdout and "cannot be verified" in table.stdout, f"{case.name}: the report notes that it cannot be verified")
                results.check(verify.returncode == 3 and "cannot be verified" in verify.stdout, f"{case.name}: -verify says it cannot verify (exit 3)",
                              f"exit {verify.returncode}, {verify.stdout.strip()!r}")
            else:
                if case.note:
                    results.check("Note:" in table.stdout and case.note in table.stdout, f"{case.name}: the report notes that it was {case.note}")
                else:
                    results.check("Note:" not in table.stdout, f"{case.name}: no note")
                results.check(verify.returncode == 0 and f"all {done} finished point(s) match their checksums" in verify.stdout,
                              f"{case.name}: -verify verifies its {done} finished points (exit 0)", f"exit {verify.returncode}, {verify.stdout.strip()!r}")


def check_resume(results, repdrift, report, options, good, workdir):
    for case in damage.make(good, workdir):
        with open(case.path, "rb") as f:
            before = f.read()
        resume = run([repdrift, "-options_file", options, "-output", case.path, "-resume", "-terse"])
        no_crash(results, case, "-resume", resume)
        if case.resume_refusal:
            one_line_refusal(results, case, "-resume", resume, case.resume_refusal)
            with open(case.path, "rb") as f:
                results.check(f.read() == before, f"{case.name}: -resume leaves the refused file untouched")
            continue
        recomputed = sorted(case.points) + sorted(case.pending)
        ran = sorted(int(line.split()[2]) for line in resume.stdout.splitlines() if line.startswith("[") and "] point " in line)
        results.check(resume.returncode == 0 and ran == sorted(recomputed), f"{case.name}: -resume computes exactly points {sorted(recomputed)}",
                      f"exit {resume.returncode}, computed {ran}, stderr {resume.stderr.strip()[-300:]!r}")
        if case.verdict == damage.CORRUPT:
            results.check(failing_points_message(case.points) in resume.stdout and "recomputed" in resume.stdout,
                          f"{case.name}: -resume says which points fail their checksum and are recomputed")
        if case.verdict == damage.UNVERIFIABLE:
            results.check("cannot be verified" in resume.stdout, f"{case.name}: -resume notes that the points cannot be verified")
            continue
        results.check_all(f"{case.name}: after -resume the archive equals the good one", same_as(good, case.path))
        verify = run([report, case.path, "-verify"])
        results.check(verify.returncode == 0, f"{case.name}: after -resume every point verifies", verify.stdout.strip().splitlines()[-1])


def check_merge(results, merge, report, good, workdir):
    for case in damage.make(good, workdir):
        output = os.path.join(workdir, f"{case.name}-merged.h5")
        merged = run([merge, output, case.path])
        no_crash(results, case, "repdrift-merge", merged)
        if case.verdict in (damage.INVALID, damage.CORRUPT, damage.OPTIONS):
            message = case.message_for("merge") if case.verdict == damage.INVALID else failing_points_message(case.points)
            one_line_refusal(results, case, "repdrift-merge", merged, message)
            results.check(not os.path.exists(output), f"{case.name}: repdrift-merge writes nothing")
            continue
        results.check(merged.returncode == 0 and os.path.exists(output), f"{case.name}: repdrift-merge merges it",
                      f"exit {merged.returncode}, stderr {merged.stderr.strip()!r}")
        if case.verdict == damage.UNVERIFIABLE:
            results.check("cannot be verified" in merged.stdout, f"{case.name}: repdrift-merge notes that it cannot be verified")
        verify = run([report, output, "-verify"])
        expected = 3 if case.verdict == damage.UNVERIFIABLE else 0
        results.check(verify.returncode == expected, f"{case.name}: the merged archive verifies as its input (-verify exit {expected})",
                      f"exit {verify.returncode}")


def check_python(results, plot, good, workdir):
    import repdrift
    plotted = {"untouched", "width_negative", "data_byte_flipped", "no_checksum", "truncated"}
    for case in damage.make(good, workdir):
        stderr = io.StringIO()
        error, crash = None, None
        with contextlib.redirect_stderr(stderr):
            try:
                task = repdrift.open_archive(case.path, "task")
                summary = repdrift.summary(case.path)
            except repdrift.ArchiveError as refused:
                error = str(refused)
            except Exception as other:  # noqa: BLE001 - any other exception is a crash of the loader
                crash = f"{type(other).__name__}: {other}"
        results.check(crash is None, f"{case.name}: the Python loader does not crash", crash or "")
        if crash:
            continue
        if case.verdict == damage.VALID:
            done = damage.N_POINTS - len(case.pending)
            results.check(error is None and int(np.isfinite(task.loss.values).all(axis=-1).sum()) == done
                          and int(summary.n_not_done.sum()) == len(case.pending),
                          f"{case.name}: open_archive and summary read it ({done} points done)", error or "")
        elif case.verdict == damage.UNVERIFIABLE:
            results.check(error is None and "cannot be verified" in stderr.getvalue(), f"{case.name}: the loader reads it with a note",
                          error or stderr.getvalue().strip())
        else:
            message = case.message_for("python") if case.verdict == damage.INVALID else failing_points_message(case.points)
            results.check(error is not None and "\n" not in error and message in error,
                          f"{case.name}: open_archive refuses it in one line naming it (ArchiveError)", f"{error!r}, expected {message!r}")
        if case.name in plotted:
            out = os.path.join(workdir, f"{case.name}-figures")
            drawn = run([plot, case.path, "-o", out, "--only", "task_loss"])
            no_crash(results, case, "repdrift-plot", drawn)
            if case.verdict in (damage.VALID, damage.UNVERIFIABLE):
                results.check(drawn.returncode == 0 and os.path.exists(os.path.join(out, "task_loss.csv")), f"{case.name}: repdrift-plot draws it",
                              drawn.stderr.strip())
            else:
                one_line_refusal(results, case, "repdrift-plot", drawn, case.message_for("python") if case.verdict == damage.INVALID else "fail their checksum")
                results.check(not os.path.exists(out), f"{case.name}: repdrift-plot writes nothing")


def check_inputs(results, repdrift, report, workdir):
    shutil.rmtree(workdir, ignore_errors=True)
    os.makedirs(workdir)
    data, archive = os.path.join(workdir, "blobs.h5"), os.path.join(workdir, "classifier-file.h5")
    rng = np.random.default_rng(7)
    labels = np.repeat(np.arange(3), 60)
    with h5py.File(data, "w") as f:
        f["inputs"] = rng.normal(size=(3, 6))[labels] * 3 + rng.normal(size=(180, 6))
        f["labels"] = labels
    ran = run([repdrift, "-model", "classifier", "-data", data, "-sweep_noise_type", "node_dropout,none", "-sweep_width", "8",
               "-hidden_dim", "8", "-burnin_epochs", "2", "-epochs", "1", "-snapshots_per_epoch", "2", "-probe_samples", "12",
               "-output", archive, "-overwrite", "-terse"])
    results.check(ran.returncode == 0, "a classifier sweep on a data file runs", ran.stderr.strip()[-300:])
    verify = run([report, archive, "-verify"])
    results.check(verify.returncode == 0 and "Note:" not in verify.stdout, "with its data file it verifies, no note", verify.stdout.strip())
    moved = data + ".moved"
    os.rename(data, moved)
    try:
        verify = run([report, archive, "-verify"])
        table = run([report, archive])
        results.check(verify.returncode == 0 and "checked for range and consistency only" in verify.stdout and data in verify.stdout,
                      "without its data file it verifies with a note naming the file", verify.stdout.strip())
        results.check(table.returncode == 0 and "Note: " in table.stdout, "without its data file the report prints the note and the table",
                      table.stderr.strip())
        out_of_range = os.path.join(workdir, "out-of-range.h5")
        with open(archive, "rb") as source, open(out_of_range, "wb") as copy:
            copy.write(source.read())
        with h5py.File(out_of_range, "r+") as f:
            f["/sweep/stimulus_probability"][0, 1] = 2.0
        refused = run([report, out_of_range])
        results.check(refused.returncode == 2 and "/sweep/stimulus_probability of point 0, stimulus 1 is 2: out of range" in refused.stderr,
                      "without its data file an out-of-range probability is still refused", refused.stderr.strip())
    finally:
        os.rename(moved, data)
    edited = os.path.join(workdir, "edited.h5")
    with open(archive, "rb") as source, open(edited, "wb") as copy:
        copy.write(source.read())
    with h5py.File(edited, "r+") as f:
        probability = f["/sweep/stimulus_probability"]
        probability[0, 1] = probability[0, 1] / 2
    refused = run([report, edited])
    results.check(refused.returncode == 2 and "/sweep/stimulus_probability of point 0, stimulus 1" in refused.stderr
                  and "where /config/options gives" in refused.stderr,
                  "with its data file a probability edited within range is refused (not what the options and the file give)",
                  refused.stderr.strip())


def check_checksums(results, schema, groups):
    key, message = bytes(range(16)), bytes(range(64))
    vectors = {0: 0x726fdb47dd0e0e31, 15: 0xa129ca6149be45e5, 63: 0x958a324ceb064572}
    results.check(all(reference_checksum.siphash24(key, message[:n]) == v for n, v in vectors.items()),
                  "the Python reference SipHash-2-4 gives the paper's test vectors (0, 15, 63 bytes)")
    with open(schema) as f:
        schema_text = f.read()
    for group in groups:
        paths = group.split(",")
        with h5py.File(paths[0], "r") as archive:
            stored = archive["/sweep/checksum"][()]
            status = archive["/sweep/status"][()]
            expected = reference_checksum.point_checksums(archive, schema_text)
        wrong = [p for p, value in expected.items() if int(stored[p]) != value]
        results.check(len(expected) == int((status != 0).sum()) > 0 and not wrong and not stored[status == 0].any(),
                      f"{os.path.basename(paths[0])}: /sweep/checksum of its {len(expected)} finished points = the reference's from the"
                      " stored bytes (0 for pending ones)", f"wrong at {wrong[:5]}" if wrong else "")
        for path in paths[1:]:
            with h5py.File(path, "r") as other:
                results.check(np.array_equal(stored, other["/sweep/checksum"][()]),
                              f"{os.path.basename(path)}: the same checksums as {os.path.basename(paths[0])} (another number of ranks)")


def main():
    mode, args = sys.argv[1], sys.argv[2:]
    results = Results()
    if mode == "report":
        check_report(results, *args)
    elif mode == "resume":
        check_resume(results, *args)
    elif mode == "merge":
        check_merge(results, *args)
    elif mode == "python":
        check_python(results, *args)
    elif mode == "inputs":
        check_inputs(results, *args)
    elif mode == "checksums":
        check_checksums(results, args[0], args[1:])
    else:
        print(__doc__)
        return 2
    print(f"check_integrity: {results.passed} passed, {results.failed} failed")
    return 1 if results.failed else 0


if __name__ == "__main__":
    sys.exit(main())
