#!/usr/bin/env python3
"""Bit-identical comparison of two repdrift archives (archive-v1).

Usage:
    compare_archives.py A.h5 B.h5 [--groups sweep task ...] [--ignore /sweep/wall_seconds ...]

archive-v1 promises that the same options give bit-identical result datasets whatever the number
of MPI ranks. This script checks that promise: for every dataset under the compared groups, both
archives must hold it, with the same shape, the same dtype, the same `units` and `description`
attributes and identical bytes (so NaN patterns, padding and the sign of zero are compared too).

  --groups   top-level groups to compare. Default: every top-level group of either archive except
             /config (which records the command line, so it legitimately differs), i.e. /sweep,
             /task, /responses, /geometry, /drift, /readout and any model group (/theory, ...).
  --ignore   dataset paths left out of the comparison. Default: /sweep/wall_seconds and
             /sweep/phase_seconds (timings: measurements of the run, not results).
             Giving --ignore replaces the default list; `--ignore` with no path ignores nothing.

Each identical dataset gets an `ok   PATH SHAPE DTYPE` line; each differing one `FAIL PATH: ...`
with the number of differing elements, the first differing index and both values there (or the
shape, dtype or attribute that differs). The closing line is
`compare_archives: N passed, M failed`, one count per dataset; the exit status is 0 only when
nothing differs (2 for unusable arguments or files).
Large datasets are read in blocks along the first axis, so archives larger than memory are fine.
"""
import argparse
import sys

import h5py
import numpy as np

DEFAULT_IGNORED = ["/sweep/wall_seconds", "/sweep/phase_seconds"]
EXCLUDED_GROUPS = {"config"}
BLOCK_BYTES = 64 * 1024 * 1024
COMPARED_ATTRIBUTES = ("units", "description")


def datasets_under(group):
    """{absolute path: dataset} for every dataset below `group` (recursively)."""
    found = {}

    def visit(name, item):
        if isinstance(item, h5py.Dataset):
            found[item.name] = item

    group.visititems(visit)
    return found


def attribute_text(dataset, name):
    value = dataset.attrs.get(name)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return None if value is None else str(value)


def format_index(index):
    return "[" + ", ".join(str(int(i)) for i in index) + "]"


def element_blocks(dataset):
    """Slices along the first axis of about BLOCK_BYTES each (the whole dataset if scalar)."""
    if dataset.ndim == 0:
        yield ()
        return
    row_bytes = max(1, dataset.dtype.itemsize * int(np.prod(dataset.shape[1:], dtype=np.int64)))
    rows = max(1, BLOCK_BYTES // row_bytes)
    for start in range(0, dataset.shape[0], rows):
        yield slice(start, min(start + rows, dataset.shape[0]))


def compare_bytes(dataset_a, dataset_b):
    """None when identical, else (differing element count, first index, value in A, value in B)."""
    if dataset_a.dtype.kind in "OSU" or h5py.check_string_dtype(dataset_a.dtype) is not None:
        value_a, value_b = dataset_a[()], dataset_b[()]
        if np.array_equal(np.asarray(value_a, dtype=object), np.asarray(value_b, dtype=object)):
            return None
        return (1, (), value_a, value_b)
    differing, first = 0, None
    for block in element_blocks(dataset_a):
        values_a = np.ascontiguousarray(dataset_a[block])
        values_b = np.ascontiguousarray(dataset_b[block])
        if values_a.tobytes() == values_b.tobytes():
            continue
        itemsize = values_a.dtype.itemsize
        bytes_a = values_a.reshape(-1).view(np.uint8).reshape(-1, itemsize)
        bytes_b = values_b.reshape(-1).view(np.uint8).reshape(-1, itemsize)
        element_differs = np.any(bytes_a != bytes_b, axis=1).reshape(values_a.shape)
        differing += int(np.count_nonzero(element_differs))
        if first is None:
            local = np.argwhere(element_differs)[0] if values_a.ndim else ()
            offset = block.start if isinstance(block, slice) else 0
            index = tuple(local)
            if index:
                index = (index[0] + offset,) + index[1:]
            first = (index, values_a[tuple(local)], values_b[tuple(local)])
    if differing == 0:
        return None
    return (differing,) + first


def compare_dataset(path, dataset_a, dataset_b):
    """List of difference descriptions (empty when identical)."""
    if dataset_a.shape != dataset_b.shape:
        return [f"shape {dataset_a.shape} != {dataset_b.shape}"]
    if dataset_a.dtype != dataset_b.dtype:
        return [f"dtype {dataset_a.dtype} != {dataset_b.dtype}"]
    problems = []
    for name in COMPARED_ATTRIBUTES:
        text_a, text_b = attribute_text(dataset_a, name), attribute_text(dataset_b, name)
        if text_a != text_b:
            problems.append(f"attribute {name}: {text_a!r} != {text_b!r}")
    difference = compare_bytes(dataset_a, dataset_b)
    if difference is not None:
        count, index, value_a, value_b = difference
        shown_a, shown_b = repr(value_a), repr(value_b)
        if shown_a == shown_b and isinstance(value_a, np.generic):  # e.g. NaNs of different payload or sign
            shown_a, shown_b = f"{shown_a} (bytes {value_a.tobytes().hex()})", f"{shown_b} (bytes {value_b.tobytes().hex()})"
        total = max(1, dataset_a.size)
        problems.append(f"{count} of {total} elements differ; first at {format_index(index)}: A = {shown_a}, B = {shown_b}")
    return problems


def open_archive(path):
    try:
        return h5py.File(path, "r")
    except OSError as error:
        print(f"compare_archives: cannot open {path} as HDF5: {error}", file=sys.stderr)
        sys.exit(2)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("archive_a")
    parser.add_argument("archive_b")
    parser.add_argument("--groups", nargs="+", metavar="GROUP",
                        help="top-level groups to compare (default: all but /config)")
    parser.add_argument("--ignore", nargs="*", metavar="PATH", default=DEFAULT_IGNORED,
                        help="dataset paths to skip (default: the timings /sweep/wall_seconds, /sweep/phase_seconds)")
    args = parser.parse_args()

    with open_archive(args.archive_a) as file_a, open_archive(args.archive_b) as file_b:
        if args.groups:
            groups = [name.strip("/") for name in args.groups]
        else:
            top_level = {name for f in (file_a, file_b) for name, item in f.items() if isinstance(item, h5py.Group)}
            groups = sorted(top_level - EXCLUDED_GROUPS)
        ignored = {"/" + path.strip("/") for path in args.ignore}
        print(f"compare_archives: {args.archive_a} vs {args.archive_b}; groups {', '.join(groups)}; "
              f"ignoring {', '.join(sorted(ignored)) or 'nothing'}")

        passed, failed = 0, 0
        for group in groups:
            in_a, in_b = isinstance(file_a.get(group), h5py.Group), isinstance(file_b.get(group), h5py.Group)
            if not in_a and not in_b:
                if args.groups:  # asked for explicitly: its absence is a failure
                    print(f"FAIL /{group}: group missing in both archives")
                    failed += 1
                continue
            if in_a != in_b:
                print(f"FAIL /{group}: group only in {'A' if in_a else 'B'}")
                failed += 1
                continue
            datasets_a, datasets_b = datasets_under(file_a[group]), datasets_under(file_b[group])
            for path in sorted(set(datasets_a) | set(datasets_b)):
                if path in ignored:
                    continue
                if path not in datasets_b or path not in datasets_a:
                    print(f"FAIL {path}: only in {'A' if path in datasets_a else 'B'}")
                    failed += 1
                    continue
                problems = compare_dataset(path, datasets_a[path], datasets_b[path])
                if problems:
                    for problem in problems:
                        print(f"FAIL {path}: {problem}")
                    failed += 1
                else:
                    dataset = datasets_a[path]
                    print(f"ok   {path} {dataset.shape} {dataset.dtype}")
                    passed += 1
    if passed + failed == 0:
        print("FAIL: no dataset was compared (wrong --groups, or empty archives?)")
        failed = 1
    print(f"compare_archives: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
