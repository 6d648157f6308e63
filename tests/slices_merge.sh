#!/bin/sh
# slices_merge.sh REPDRIFT MERGE PYTHON TESTS_DIR WORKDIR REFERENCE.h5 [OPTIONS...]
# The sweep run as 3 slices (as a job array would), merged, equals the single run REFERENCE.
set -u
exe=$1; merge=$2; python=$3; tests=$4; work=$5; reference=$6; shift 6
rm -rf "$work"; mkdir -p "$work"
failed=0
for slice in 0 1 2; do
  "$exe" "$@" -sweep_slice $slice,3 -output "$work/slice$slice.h5" > "$work/slice$slice.log" 2>&1 || { echo "FAIL slice $slice"; tail -5 "$work/slice$slice.log"; failed=1; }
done
"$merge" "$work/merged.h5" "$work/slice0.h5" "$work/slice1.h5" "$work/slice2.h5" || failed=1
"$python" "$tests/python/compare_archives.py" "$reference" "$work/merged.h5" || failed=1
status=$("$python" -c "import h5py; print(h5py.File('$work/merged.h5', 'r').attrs['status'])")
[ "$status" = complete ] || { echo "FAIL merged status '$status'"; failed=1; }
# refusals: existing output, slices of different sweeps
. "$tests/user_error.sh"
expect_user_error "merge over an existing output" repdrift-merge "$work/merged.h5" "$merge" "$work/merged.h5" "$work/slice0.h5" || failed=1
"$exe" "$@" -lr 0.03 -sweep_slice 1,3 -output "$work/other.h5" > /dev/null 2>&1
expect_user_error "merge of different sweeps" repdrift-merge "different sweeps" "$merge" "$work/mixed.h5" "$work/slice0.h5" "$work/other.h5" || failed=1
[ -e "$work/mixed.h5" ] && { echo "FAIL a refused merge left $work/mixed.h5"; failed=1; }
if [ $failed -eq 0 ]; then echo "slices_merge: 1 passed, 0 failed"; else echo "slices_merge: 0 passed, 1 failed"; fi
exit $failed
