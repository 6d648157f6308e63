#!/usr/bin/env python3
"""compare_done_points.py REFERENCE PARTIAL

Durability check after a killed run: every point that PARTIAL marks done (/sweep/status == 1) must
be bit-identical to REFERENCE in every per-point dataset (except the timings /sweep/wall_seconds and
/sweep/phase_seconds).
Prints a closing line 'compare_done_points: N passed, M failed'; exits non-zero on a difference.
"""
import sys

import h5py
import numpy as np

GROUPS = ("sweep", "task", "responses", "geometry", "drift", "readout")
IGNORED = {"sweep/wall_seconds", "sweep/phase_seconds"}


def per_point_datasets(archive):
    names = []
    def visit(name, obj):
        if isinstance(obj, h5py.Dataset) and name.split("/")[0] in GROUPS and name not in IGNORED:
            names.append(name)
    archive.visititems(visit)
    return names


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    passed = failed = 0
    with h5py.File(sys.argv[1], "r") as reference, h5py.File(sys.argv[2], "r") as partial:
        done = np.flatnonzero(partial["sweep/status"][:] == 1)
        for name in per_point_datasets(reference):
            for point in done:
                if reference[name][point].tobytes() == partial[name][point].tobytes():
                    passed += 1
                else:
                    failed += 1
                    print(f"differs: {name} at point {point}")
    print(f"compare_done_points: {passed} passed, {failed} failed ({len(done)} points done)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
