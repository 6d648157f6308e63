#!/bin/sh
# compare.sh REPDRIFT GOLDEN OUTPUT_H5 [OPTIONS...]: runs repdrift -terse and diffs stdout with GOLDEN.
# The output path is normalised so the golden file does not depend on the build directory.
set -u
exe=$1; golden=$2; output=$3; shift 3
actual=$("$exe" "$@" -terse -overwrite -output "$output" 2>&1 | sed "s|$output|OUTPUT.h5|g")
if [ "$actual" = "$(cat "$golden")" ]; then echo "golden: 1 passed, 0 failed"; exit 0; fi
echo "golden: 0 passed, 1 failed; diff golden actual:"
printf '%s\n' "$actual" | diff "$golden" - || true
exit 1
