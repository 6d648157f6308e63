#!/usr/bin/env bash
# Training throughput of the classifier per core (issues 12 and 13): repdrift's training step
# (bench/bench_classifier, double precision, the fast kernels' ISA chosen at run time) beside
# PyTorch on one thread (bench/torch_classifier.py speed, float32 and float64), on the same
# network, batch and data shapes, in one run; images/s and the ratio to PyTorch float32 (the
# target: >= 1). Cases: the default mlp (32 -> 64 -> 64 -> 10, batch 64) and the lenet on 1 x 28 x 28
# images (batch 64), without noise and with node dropout 0.5; the lenet also on AVX2 (when not
# the chosen ISA) for reference.
# Usage: bench/classifier.sh   (environment: BENCH_SECONDS per measurement (2),
#   REPDRIFT_BENCH_BUILD build directory (default <repo>/build-bench))
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${REPDRIFT_BENCH_BUILD:-$repo/build-bench}
seconds=${BENCH_SECONDS:-2}
python=/usr/bin/python3
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if ! grep -qs '^REPDRIFT_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREPDRIFT_BENCH=ON >/dev/null
fi
cmake --build "$build" -j 2 --target bench_classifier >/dev/null

echo "== classifier training throughput: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -n), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), one core"
echo "   git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (modified)'), torch $($python -c 'import torch; print(torch.__version__)')"
printf '%-28s %12s %12s %12s %8s %8s\n' "case (batch 64)" "repdrift f64" "torch f32" "torch f64" "/ f32" "/ f64"
status=0
run() { # $1 label, $2 repdrift options, $3 torch options
  local ours f32 f64
  ours=$("$build/bench/bench_classifier" $2 -seconds "$seconds" | awk '{print $2}')
  f32=$($python "$here/torch_classifier.py" speed $3 --dtype float32 --seconds "$seconds" | awk '{print $2}')
  f64=$($python "$here/torch_classifier.py" speed $3 --dtype float64 --seconds "$seconds" | awk '{print $2}')
  awk -v l="$1" -v o="$ours" -v a="$f32" -v b="$f64" 'BEGIN { printf "%-28s %12.0f %12.0f %12.0f %8.2f %8.2f\n", l, o, a, b, o / a, o / b; exit !(o >= a) }' || status=1
}
isa=$("$build/bench/bench_classifier" -architecture lenet -seconds 0.1 | awk '{print $6}')
run "mlp" "-architecture mlp" "--arch mlp"
run "mlp, node dropout 0.5" "-architecture mlp -noise node_dropout -noise_level 0.5" "--arch mlp --noise node_dropout --level 0.5"
run "lenet ($isa)" "-architecture lenet" "--arch lenet"
run "lenet, node dropout 0.5" "-architecture lenet -noise node_dropout -noise_level 0.5" "--arch lenet --noise node_dropout --level 0.5"
if [ "$isa" != avx2 ] && "$build/bench/bench_classifier" -architecture lenet -isa avx2 -fixed_steps 1 -examples 64 >/dev/null 2>&1; then
  run "lenet (avx2)" "-architecture lenet -isa avx2" "--arch lenet"
fi
echo "(images/s per core; / f32 >= 1 is the target; every case is the same network, batch and input shapes in both)"
exit $status
