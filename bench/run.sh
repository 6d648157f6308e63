#!/usr/bin/env bash
# Builds the benchmarks if needed, runs them and prints the report:
#   1. SGD steps/s of the linear network's fast kernel vs the same loop in numpy (bench/numpy_sgd.py),
#      at each width, for the theory setting (no dropout, no input noise) and a noisy setting, with
#      the roofline at width 1024 (this core's peak and bandwidth, measured in the same run);
#   2. the same with the kernel built for the baseline ISA only (REPDRIFT_PORTABLE_KERNEL), and a
#      check that both builds train to bit-identical weights;
#   3. the in-class PCA per (day, stimulus): SLEPc (RdPCACompute) vs LAPACK (RdPCAComputeReference).
# Everything runs on one core. Usage: bench/run.sh   (environment, all optional:
#   REPDRIFT_BENCH_BUILD build directory (default <repo>/build-bench), WIDTHS (16,64,256,1024),
#   INPUT_DIM (16), OUTPUT_DIM (16), NUM_STIMULI (8), BENCH_SECONDS per measurement (2),
#   PCA_UNITS (1024), PCA_SAMPLES (200))
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${REPDRIFT_BENCH_BUILD:-$repo/build-bench}
widths=${WIDTHS:-16,64,256,1024}
input_dim=${INPUT_DIM:-16}
output_dim=${OUTPUT_DIM:-16}
num_stimuli=${NUM_STIMULI:-8}
seconds=${BENCH_SECONDS:-2}
python=/usr/bin/python3
status=0
# numpy's BLAS on one thread: the comparison is per core
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

if ! grep -qs '^REPDRIFT_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREPDRIFT_BENCH=ON >/dev/null
fi
targets=(bench_sgd bench_sgd_portable)
[ -f "$repo/src/geometry.c" ] && targets+=(bench_geometry)
for target in "${targets[@]}"; do
  cmake --build "$build" -j 2 --target "$target" >/dev/null
done

echo "== repdrift benchmarks: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -n), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(getconf _NPROCESSORS_ONLN) cores"
echo "   git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (modified)'), numpy $($python -c 'import numpy; print(numpy.__version__)')"

numpy_rates() { # $1 = dropout, $2 = input noise: numpy steps/s per width, comma-separated
  $python "$here/numpy_sgd.py" --widths "$widths" --input-dim "$input_dim" --output-dim "$output_dim" \
    --num-stimuli "$num_stimuli" --dropout "$1" --input-noise "$2" --seconds "$seconds" | awk '{print $2}' | paste -sd, -
}
run_sgd() { # $1 = binary, $2 = dropout, $3 = input noise, $4 = numpy rates, rest = more options
  "$build/bench/$1" -widths "$widths" -input_dim "$input_dim" -output_dim "$output_dim" -num_stimuli "$num_stimuli" \
    -dropout "$2" -input_noise "$3" -seconds "$seconds" -numpy_steps_per_second "$4" "${@:5}"
}

echo
echo "== SGD, theory setting (no dropout, no input noise)"
rates=$(numpy_rates 0 0)
run_sgd bench_sgd 0 0 "$rates" -roofline_width 1024
echo
echo "== SGD, theory setting, kernel built for the baseline ISA only (same numpy rates)"
run_sgd bench_sgd_portable 0 0 "$rates" -roofline_width 1024
echo
echo "== SGD, dropout 0.5 and input noise 0.1 (per step: 16 normal + width uniform draws)"
run_sgd bench_sgd 0.5 0.1 "$(numpy_rates 0.5 0.1)" -roofline_width 0
echo
echo "== Same bits from both builds (2000 steps, dropout 0.3, input noise 0.1, batch 1 and 3)"
"$build/bench/bench_sgd" -widths "$widths" -input_dim "$input_dim" -output_dim "$output_dim" -checksum_steps 2000 >"$build/bench/checksums.dispatch"
"$build/bench/bench_sgd_portable" -widths "$widths" -input_dim "$input_dim" -output_dim "$output_dim" -checksum_steps 2000 >"$build/bench/checksums.portable"
if cmp -s "$build/bench/checksums.dispatch" "$build/bench/checksums.portable"; then
  echo "identical weights at every width ($(wc -l <"$build/bench/checksums.dispatch") runs)"
else
  echo "DIFFERENT weights between the dispatching and the portable build:"
  diff "$build/bench/checksums.dispatch" "$build/bench/checksums.portable" || true
  status=1
fi

echo
if [ -x "$build/bench/bench_geometry" ]; then
  echo "== Geometry"
  "$build/bench/bench_geometry" -units "${PCA_UNITS:-1024}" -samples "${PCA_SAMPLES:-200}"
else
  echo "== Geometry: skipped (src/geometry.c not present when the build was configured)"
fi
exit $status
