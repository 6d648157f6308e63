#!/usr/bin/env python3
"""check_hostile.py REPDRIFT_RECORDING_CHECK WORKDIR [REPDRIFT MPIEXEC]

Hostile recording files, each refused by the C reader (through repdrift-recording-check, which
reads exactly as -model recording will): exit status 2, ONE line on stderr that names the file and
says what is wrong (the expected words are listed with each case), nothing on stdout, the file
untouched and nothing new in its directory. A good file and its variants (integer responses,
fixed-length strings, no optional datasets) are accepted, so the refusals are not a reader that
refuses everything.

With REPDRIFT (and MPIEXEC): `repdrift -model recording -recordings GOOD,HOSTILE` refuses a sample
of the hostile files (one per layer of the reader: file, attributes, declared shape, values, ids)
before anything is written: exit 2, one line naming the file (once, also on 2 ranks), no archive
created, and an existing -output given with -overwrite left byte for byte as it was.
"""
import hashlib
import os
import shutil
import subprocess
import sys

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from generate import RECORDING_ATTRIBUTES, write_recording  # noqa: E402

passed = failed = 0


def report(ok, what):
    global passed, failed
    print(("ok   " if ok else "FAIL ") + what)
    if ok:
        passed += 1
    else:
        failed += 1


def good_responses(sessions=3, stimuli=2, trials=6, neurons=4, seed=0):
    return np.random.default_rng(seed).normal(size=(sessions, stimuli, trials, neurons))


def write_good(path, **changes):
    data = {"responses": good_responses(), "session_day": np.array([0.0, 1.0, 3.0]), "stimulus_name": ["a", "b"],
            "neuron_id": np.array([11, 12, 13, 14])}
    data.update(changes)
    attributes = data.pop("attributes", RECORDING_ATTRIBUTES)
    responses = data.pop("responses")
    write_recording(path, responses, attributes, **data)


def attributes_without(name, **replace):
    attributes = {k: v for k, v in RECORDING_ATTRIBUTES.items() if k != name}
    attributes.update(replace)
    return attributes


def with_responses(builder):
    """A file whose /responses is made by builder(f) (raw h5py calls) and good otherwise."""
    def write(path):
        with h5py.File(path, "w") as f:
            for name, value in RECORDING_ATTRIBUTES.items():
                f.attrs[name] = value
            builder(f)
    return write


def truncated(fraction):
    def write(path):
        write_good(path, responses=good_responses(trials=400, neurons=50))
        with open(path, "rb") as f:
            content = f.read()
        with open(path, "wb") as f:
            f.write(content[: int(len(content) * fraction)])
    return write


def text_file(content):
    def write(path):
        with open(path, "wb") as f:
            f.write(content)
    return write


def nan_only_neuron(path):
    x = good_responses()
    x[1, :, :, 2] = np.nan
    write_good(path, responses=x)


def one_valid_trial(path):
    x = good_responses()
    x[2, 1, 1:, :] = np.nan
    write_good(path, responses=x)


def infinite_value(path):
    x = good_responses()
    x[0, 1, 3, 0] = -np.inf
    write_good(path, responses=x)


def compound(f):
    dtype = np.dtype([("a", "f8"), ("b", "f8")])
    f.create_dataset("responses", data=np.zeros((3, 2, 6, 4), dtype=dtype))


def enum(f):
    f.create_dataset("responses", data=np.zeros((3, 2, 6, 4), dtype="i1"), dtype=h5py.enum_dtype({"off": 0, "on": 1}, basetype="i1"))


def declared_only(shape, chunks=None):
    return lambda f: f.create_dataset("responses", shape=shape, dtype="f4", chunks=chunks)


CASES = [
    # name, writer, words the message must contain
    ("not_hdf5", text_file(b"session,stimulus,trial,neuron\n0,0,0,1.5\n"), "is not an HDF5 file"),
    ("empty_file", text_file(b""), "is not an HDF5 file"),
    ("truncated_half", truncated(0.5), "truncated or damaged"),
    ("truncated_tail", truncated(0.97), "truncated or damaged"),
    ("no_format", lambda p: write_good(p, attributes=attributes_without("format")), "no root attribute format"),
    ("wrong_format", lambda p: write_good(p, attributes=attributes_without("format", format="repdrift")), 'format is "repdrift", not "repdrift-recording"'),
    ("format_number", lambda p: write_good(p, attributes=attributes_without("format", format=np.int64(7))), "not a repdrift recording"),
    ("format_too_long", lambda p: write_good(p, attributes=attributes_without("format", format="x" * 5000)), "characters long"),
    ("no_version", lambda p: write_good(p, attributes=attributes_without("version")), "no root attribute version"),
    ("version_2", lambda p: write_good(p, attributes=attributes_without("version", version=np.int64(2))), "version is 2: this reader reads version 1 only"),
    ("version_text", lambda p: write_good(p, attributes=attributes_without("version", version="1")), 'version is "1": it must be the integer 1'),
    ("version_fraction", lambda p: write_good(p, attributes=attributes_without("version", version=1.5)), "it must be the integer 1"),
    ("version_array", lambda p: write_good(p, attributes=attributes_without("version", version=np.array([1, 1]))), "must hold one value, it holds 2"),
    ("no_units", lambda p: write_good(p, attributes=attributes_without("response_units")), "no root attribute response_units"),
    ("source_number", lambda p: write_good(p, attributes=attributes_without("source", source=np.int64(3))), "root attribute source must be a string"),
    ("no_responses", with_responses(lambda f: f.create_dataset("activity", data=good_responses())), "has no dataset /responses"),
    ("responses_group", with_responses(lambda f: f.create_group("responses")), "/responses is a group, not a dataset"),
    ("responses_3d", with_responses(lambda f: f.create_dataset("responses", data=np.zeros((3, 6, 4)))), "/responses has 3 dimensions; it must have 4"),
    ("responses_5d", with_responses(lambda f: f.create_dataset("responses", data=np.zeros((1, 3, 2, 6, 4)))), "/responses has 5 dimensions"),
    ("responses_text", with_responses(lambda f: f.create_dataset("responses", data=np.full((3, 2, 6, 4), b"x"))), "holds string values; it must hold numbers"),
    ("responses_compound", with_responses(compound), "holds compound values"),
    ("responses_enum", with_responses(enum), "holds enum values"),
    ("no_neurons", with_responses(lambda f: f.create_dataset("responses", data=np.zeros((3, 2, 6, 0)))), "/responses has 0 neuron(s) (axis 3); at least 1 needed"),
    ("one_trial", with_responses(lambda f: f.create_dataset("responses", data=np.zeros((3, 2, 1, 4)))), "/responses has 1 trial(s) (axis 2); at least 2 needed"),
    ("one_session", lambda p: write_good(p, responses=good_responses(sessions=1), session_day=None), "drift needs at least 2 sessions"),
    ("absurd_size", with_responses(declared_only((10**6, 10**6, 10**6, 10**6), (1, 1, 1, 16))), "overflows"),
    ("absurd_memory", with_responses(declared_only((1000, 1000, 1000, 1000), (1, 1, 10, 100))), "GB to read, more than the"),
    ("dims_overflow", with_responses(declared_only((2 ** 62, 2 ** 62, 1, 1), (1, 1, 1, 1))), "more than the 2147483647 this build can index"),
    ("dim_beyond_index", with_responses(declared_only((2 ** 31, 2, 2, 2), (1, 1, 1, 1))), "declares 2147483648 sessions"),
    ("never_written", with_responses(declared_only((3, 2, 6, 4))), "its data were never (or only partly) written"),
    ("infinite_value", infinite_value, "/responses[0, 1, 3, 0] (session, stimulus, trial, neuron) is -inf"),
    ("nan_only_neuron", nan_only_neuron, "neuron 2 (id 13) is NaN in every trial of session 1"),
    ("one_valid_trial", one_valid_trial, "session 2, stimulus 1 (b) has 1 valid trial(s)"),
    ("repeated_ids", lambda p: write_good(p, neuron_id=np.array([11, 12, 11, 14])), "/neuron_id repeats the id 11 (neurons 0 and 2)"),
    ("ids_wrong_length", lambda p: write_good(p, neuron_id=np.array([11, 12, 13])), "/neuron_id has 3 entries; /responses has 4 neurons"),
    ("ids_fractional", lambda p: write_good(p, neuron_id=np.array([11, 12.5, 13, 14])), "/neuron_id[1] is 12.5, not an integer"),
    ("ids_text", lambda p: write_good(p, neuron_id=np.array([b"a", b"b", b"c", b"d"])), "/neuron_id holds string values; it must hold numbers"),
    ("ids_huge", lambda p: write_good(p, neuron_id=np.array([11, 2 ** 60, 13, 14], dtype=np.int64)), "ids must be below 2^53"),
    ("days_decreasing", lambda p: write_good(p, session_day=np.array([0.0, 5.0, 2.0])), "/session_day is not strictly increasing"),
    ("days_wrong_length", lambda p: write_good(p, session_day=np.array([0.0, 1.0])), "/session_day has 2 entries; /responses has 3 sessions"),
    ("days_2d", lambda p: write_good(p, session_day=np.zeros((3, 1))), "/session_day has 2 dimensions; it must be 1-D"),
    ("days_negative", lambda p: write_good(p, session_day=np.array([-1.0, 1.0, 2.0])), "/session_day[0] is -1"),
    ("names_numbers", lambda p: write_good(p, stimulus_name=np.array([1.0, 2.0])), "/stimulus_name holds float values; it must hold strings"),
    ("names_wrong_count", lambda p: write_good(p, stimulus_name=["a", "b", "c"]), "/stimulus_name has 3 entries; /responses has 2 stimuli"),
]


def digest(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def refusal_lines(stderr, path):
    prefix = f"repdrift-recording-check: {path}"
    return [line for line in stderr.splitlines() if line.startswith(prefix) and line[len(prefix):len(prefix) + 1] in (":", " ")]


MODEL_CASES = ("truncated_half", "version_2", "absurd_size", "nan_only_neuron", "repeated_ids")


def check_model_refusals(repdrift, mpiexec, work, good):
    """-model recording refuses hostile files in its setup: nothing written, nothing replaced."""
    words = {name: expected for name, _, expected in CASES}
    existing = os.path.join(work, "existing.h5")
    with open(existing, "wb") as out:
        out.write(b"an archive the refused run must not touch")
    before = digest(existing)
    for i, name in enumerate(MODEL_CASES):
        path = os.path.join(work, f"{name}.h5")
        output = os.path.join(work, f"model_{name}.h5") if i % 2 == 0 else existing
        command = [repdrift, "-model", "recording", "-recordings", f"{good},{path}", "-output", output, "-overwrite"]
        if i == 0:  # on 2 ranks: rank 0 reads the files, the refusal is printed once
            command = [mpiexec, "-n", "2", "-q", *command]
        result = subprocess.run(command, capture_output=True, text=True, cwd=work)
        lines = result.stderr.strip().splitlines()
        ok = result.returncode == 2 and len(lines) == 1 and lines[0].startswith("repdrift: ") and path in lines[0] and words[name] in lines[0]
        untouched = not os.path.exists(output) if output != existing else digest(existing) == before
        report(ok and untouched, f"repdrift -model recording refuses {name}{' on 2 ranks' if i == 0 else ''}: '{lines[0] if lines else ''}'"
               + ("" if untouched else " (the -output was written)") + ("" if ok else f" (exit {result.returncode}, {len(lines)} lines)"))


def main():
    exe, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    shutil.rmtree(work, ignore_errors=True)  # a rerun starts from nothing
    os.makedirs(work)
    paths = []
    for name, writer, _ in CASES:
        paths.append(os.path.join(work, f"{name}.h5"))
        writer(paths[-1])
    before, listing = {p: digest(p) for p in paths}, sorted(os.listdir(work))
    # one process checks them all (PETSc and MPI start once); each refusal is its own line
    result = subprocess.run([exe, *paths], capture_output=True, text=True, cwd=work)
    report(result.returncode == 2, f"all hostile files: exit status {result.returncode} (2 expected)")
    report(len(result.stderr.strip().splitlines()) == len(CASES), f"one stderr line per hostile file ({len(result.stderr.strip().splitlines())} lines for {len(CASES)} files)")
    report(not result.stdout.strip(), f"nothing accepted: stdout {result.stdout[:300]!r}")
    report(sorted(os.listdir(work)) == listing, "nothing written next to the files")
    for (name, _, words), path in zip(CASES, paths):
        lines = refusal_lines(result.stderr, path)
        ok = len(lines) == 1 and words in lines[0] and digest(path) == before[path]
        report(ok, f"{name}: '{lines[0] if lines else ''}'" + ("" if ok else f" (expected one line naming the file and '{words}', file untouched)"))
    # accepted variants: the refusals above are specific
    good = [("good", lambda p: write_good(p)),
            ("good_integer_responses", lambda p: write_good(p, responses=np.arange(3 * 2 * 6 * 4, dtype=np.int32).reshape(3, 2, 6, 4) % 7 + np.arange(4))),
            ("good_fixed_strings", lambda p: write_good(p, stimulus_name=np.array([b"a", b"b"], dtype="S8"), attributes={**RECORDING_ATTRIBUTES, "format": np.bytes_("repdrift-recording")})),
            ("good_minimal", lambda p: write_good(p, session_day=None, stimulus_name=None, neuron_id=None)),
            ("good_float_version", lambda p: write_good(p, attributes=attributes_without("version", version=1.0)))]
    good_paths = []
    for name, writer in good:
        good_paths.append(os.path.join(work, f"{name}.h5"))
        writer(good_paths[-1])
    result = subprocess.run([exe, *good_paths], capture_output=True, text=True)
    report(result.returncode == 0 and result.stdout.count("\nok\n") + result.stdout.startswith("ok\n") == len(good) and not result.stderr.strip(),
           f"{len(good)} good variants accepted (exit {result.returncode}) {result.stderr.strip()}")
    for path in good_paths:
        report(f"recording: {path}\n" in result.stdout, f"{os.path.basename(path)}: described")
    if len(sys.argv) > 4:
        check_model_refusals(os.path.abspath(sys.argv[3]), sys.argv[4], work, good_paths[0])
    print(f"check_hostile: {passed} passed, {failed} failed ({len(CASES)} hostile files)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
