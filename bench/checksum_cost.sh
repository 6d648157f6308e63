#!/usr/bin/env bash
# The cost of the archive's per-point checksums (issue 15: under 2 % of a default sweep's wall
# time), as a ratio measured in one run: the default sweep (no options) is run once on RANKS ranks
# (or ARCHIVE names an archive of it), then bench_checksum times the writer's hash of every point
# against that point's wall time (/sweep/wall_seconds), and the reader's whole verification.
# Usage: bench/checksum_cost.sh   (environment, optional: REPDRIFT_BENCH_BUILD build directory
#   (default <repo>/build-bench), RANKS (2), ARCHIVE (an existing default-sweep archive), REPEAT (20))
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${REPDRIFT_BENCH_BUILD:-$repo/build-bench}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1 \
  OMPI_MCA_btl_vader_single_copy_mechanism=none HDF5_USE_FILE_LOCKING=FALSE
if ! grep -qs '^REPDRIFT_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREPDRIFT_BENCH=ON >/dev/null
fi
cmake --build "$build" -j 2 --target repdrift bench_checksum >/dev/null
archive=${ARCHIVE:-}
if [ -z "$archive" ]; then
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  archive=$work/default.h5
  echo "== the default sweep on ${RANKS:-2} ranks (about a minute on 2 cores)"
  start=$(date +%s.%N)
  mpirun -n "${RANKS:-2}" "$build/repdrift" -output "$archive" -terse >/dev/null
  echo "wall time $(echo "$(date +%s.%N) - $start" | bc) s"
fi
echo "== checksums (git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'))"
"$build/bench/bench_checksum" -archive "$archive" -repeat "${REPEAT:-20}"
