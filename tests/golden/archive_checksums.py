#!/usr/bin/env python3
"""Per-dataset SHA-256 checksums of a repdrift archive, and their check against a stored list.

Usage:
    archive_checksums.py ARCHIVE.h5                 prints one line per dataset
    archive_checksums.py ARCHIVE.h5 --check LIST    compares with a list printed earlier
    archive_checksums.py ARCHIVE.h5 --options TEXT  /config/options must equal TEXT byte for byte
    archive_checksums.py ARCHIVE.h5 --check LIST --allow-new PATH...   datasets added since LIST

A line is `SHA256  PATH SHAPE DTYPE` for every dataset outside /config (which records the command
line) except /sweep/wall_seconds (timings); the digest is taken over the dataset's raw bytes in C
order, so NaN payloads, padding and the sign of zero count. A stored list made from the archives of
one revision (tests/golden/make_checksums.sh) lets a later revision prove that its archives are
bit-identical without keeping the archives themselves. --check prints `ok`/`FAIL` per dataset and
exits 0 only when the archive has exactly the listed datasets with the listed digests, except the
datasets named by --allow-new, which a later revision added (e.g. /sweep/checksum: a list made
before it cannot have it; every dataset the list has must still be there, unchanged). --options
checks the one part of /config that must not change either: the effective options, which -resume
compares and which serve as an -options_file (tests/golden/<name>.options, written by main).
"""
import argparse
import hashlib
import sys

import h5py
import numpy as np

IGNORED = {"/sweep/wall_seconds"}
EXCLUDED_GROUPS = {"config"}


def checksums(path):
    """{dataset path: 'SHA256  PATH SHAPE DTYPE'} of the archive."""
    lines = {}
    with h5py.File(path, "r") as archive:
        def visit(name, item):
            if not isinstance(item, h5py.Dataset) or item.name in IGNORED:
                return
            if name.split("/")[0] in EXCLUDED_GROUPS:
                return
            values = item[()]
            if isinstance(values, bytes):
                data = values
            else:
                data = np.ascontiguousarray(values).tobytes()
            shape = "x".join(str(n) for n in item.shape) or "scalar"
            lines[item.name] = f"{hashlib.sha256(data).hexdigest()}  {item.name} {shape} {item.dtype}"
        archive.visititems(visit)
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("--check", metavar="LIST", help="stored checksum list to compare with")
    parser.add_argument("--options", metavar="TEXT", help="file holding the expected /config/options")
    parser.add_argument("--allow-new", nargs="+", default=[], metavar="PATH",
                        help="datasets the archive may have beyond the list (added after it was made)")
    args = parser.parse_args()
    if args.options:
        with h5py.File(args.archive, "r") as archive:
            stored = archive["/config/options"][()]
        stored = stored.decode() if isinstance(stored, bytes) else str(stored)
        with open(args.options) as expected_file:
            expected = expected_file.read()
        same = stored == expected
        print(f"{'ok  ' if same else 'FAIL'} /config/options of {args.archive} {'equals' if same else 'differs from'} {args.options}")
        if not same:
            print("archive:\n" + stored + "expected:\n" + expected)
        if not args.check:
            return 0 if same else 1
        if not same:
            return 1
    actual = checksums(args.archive)
    if not args.check:
        for path in sorted(actual):
            print(actual[path])
        return 0
    with open(args.check) as stored_file:
        stored = {line.split()[1]: line.strip() for line in stored_file if line.strip() and not line.startswith("#")}
    passed, failed = 0, 0
    for path in sorted(set(stored) | set(actual)):
        if path in actual and path not in stored and path in args.allow_new:
            print(f"new  {path}: added after the list was made (--allow-new)")
            continue
        if path not in actual or path not in stored:
            print(f"FAIL {path}: only in {'the archive' if path in actual else 'the stored list'}")
            failed += 1
        elif actual[path] != stored[path]:
            print(f"FAIL {path}: {actual[path]} != stored {stored[path]}")
            failed += 1
        else:
            print(f"ok   {path}")
            passed += 1
    print(f"archive_checksums: {passed} passed, {failed} failed ({args.archive} vs {args.check})")
    return 1 if failed or not stored else 0


if __name__ == "__main__":
    sys.exit(main())
