#!/bin/sh
# update.sh BUILD_DIR: regenerates the golden -terse output after an intended change of results.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=$(mktemp -d)/golden.h5
"$1/repdrift" -options_file "$here/../configs/small.yaml" -terse -overwrite -output "$out" 2>&1 | sed "s|$out|OUTPUT.h5|g" > "$here/small_terse.txt"
echo "wrote $here/small_terse.txt"
