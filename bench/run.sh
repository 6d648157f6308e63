#!/usr/bin/env bash
# Builds the benchmarks if needed, runs them and prints the report:
#   1. SGD steps/s of the linear network's fast kernel vs the same loop in numpy (bench/numpy_sgd.py),
#      at each width, noiseless (the theory setting) and noisy (dropout 0.5, input noise 0.1), with
#      this core's FMA peak, mul+add peak and bandwidth measured in the same run, the roofline at
#      width 1024 and issue 13's targets (noisy >= 30x numpy at width 64 and >= 10x at 1024; noisy
#      step <= 1.5x the noiseless one at 1024; noiseless >= 0.5 of the FMA peak at 1024);
#   2. the same on the AVX2 path (REPDRIFT_KERNEL_ISA's cap) and with the kernel built for the
#      baseline ISA only (REPDRIFT_PORTABLE_KERNEL), and a check that every path and both builds
#      train to bit-identical weights;
#   3. the block draws of the random streams vs the scalar draws, per path (bench_rng);
#   4. the drift theory's population gradient (the descent to theta*): fast kernel per path vs its
#      plain-loop reference, and that every path returns the reference's gradient bit for bit;
#   5. the in-class PCA per (day, stimulus): SLEPc (RdPCACompute) vs LAPACK (RdPCAComputeReference).
# Everything runs on one core and is timed by the thread's CPU time (both C and numpy), so that a
# busy machine does not skew the ratios; BENCH_CLOCK=wall uses the wall clock instead.
# Usage: bench/run.sh   (environment, all optional: REPDRIFT_BENCH_BUILD build directory (default
#   <repo>/build-bench), WIDTHS (16,64,256,1024), INPUT_DIM (16), OUTPUT_DIM (16), NUM_STIMULI (8),
#   BENCH_SECONDS per measurement (2), BENCH_CLOCK (cpu), PCA_UNITS (1024), PCA_SAMPLES (200))
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${REPDRIFT_BENCH_BUILD:-$repo/build-bench}
widths=${WIDTHS:-16,64,256,1024}
input_dim=${INPUT_DIM:-16}
output_dim=${OUTPUT_DIM:-16}
num_stimuli=${NUM_STIMULI:-8}
seconds=${BENCH_SECONDS:-2}
clock=${BENCH_CLOCK:-cpu}
python=/usr/bin/python3
status=0
# numpy's BLAS on one thread: the comparison is per core
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
unset REPDRIFT_KERNEL_ISA

if ! grep -qs '^REPDRIFT_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREPDRIFT_BENCH=ON >/dev/null
fi
targets=(bench_sgd bench_sgd_portable bench_rng bench_theory)
[ -f "$repo/src/geometry.c" ] && targets+=(bench_geometry)
for target in "${targets[@]}"; do
  cmake --build "$build" -j 2 --target "$target" >/dev/null
done

echo "== repdrift benchmarks: $(date -u +%Y-%m-%dT%H:%M:%SZ), $(uname -n), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//'), $(getconf _NPROCESSORS_ONLN) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $clock clock"
echo "   git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (modified)'), numpy $($python -c 'import numpy; print(numpy.__version__)')"

numpy_rates() { # $1 = dropout, $2 = input noise: numpy steps/s per width, comma-separated
  $python "$here/numpy_sgd.py" --widths "$widths" --input-dim "$input_dim" --output-dim "$output_dim" \
    --num-stimuli "$num_stimuli" --dropout "$1" --input-noise "$2" --seconds "$seconds" --clock "$clock" | awk '{print $2}' | paste -sd, -
}
run_sgd() { # $1 = binary, rest = more options
  "$build/bench/$1" -widths "$widths" -input_dim "$input_dim" -output_dim "$output_dim" -num_stimuli "$num_stimuli" \
    -dropout 0.5 -input_noise 0.1 -seconds "$seconds" -clock "$clock" -target_width 1024 \
    -numpy_noiseless "$clean_rates" -numpy_noisy "$noisy_rates" "${@:2}"
}

clean_rates=$(numpy_rates 0 0)
noisy_rates=$(numpy_rates 0.5 0.1)
echo
echo "== SGD, best instruction-set path of this machine"
run_sgd bench_sgd
echo
echo "== SGD, AVX2 path (as on a machine without AVX-512; same numpy rates)"
run_sgd bench_sgd -isa avx2 -report_targets 0
echo
echo "== SGD, kernel built for the baseline ISA only (REPDRIFT_PORTABLE_KERNEL; same numpy rates)"
run_sgd bench_sgd_portable -report_targets 0

echo
echo "== Same bits from every path and both builds (2000 steps, dropout 0.3, input noise 0.1, batch 1 and 3)"
checksums() { # $1 = binary, rest = options
  "$build/bench/$1" -widths "$widths" -input_dim "$input_dim" -output_dim "$output_dim" -checksum_steps 2000 "${@:2}"
}
checksums bench_sgd_portable >"$build/bench/checksums.portable"
for isa in avx512 avx2 baseline; do
  checksums bench_sgd -isa "$isa" >"$build/bench/checksums.$isa"
  if cmp -s "$build/bench/checksums.$isa" "$build/bench/checksums.portable"; then
    echo "$isa path (capped at the CPU's best): identical weights to the portable build at every width ($(wc -l <"$build/bench/checksums.portable") runs)"
  else
    echo "DIFFERENT weights between the $isa path and the portable build:"
    diff "$build/bench/checksums.$isa" "$build/bench/checksums.portable" || true
    status=1
  fi
done

echo
echo "== Random draws"
"$build/bench/bench_rng" -width 1024 -input_dim "$input_dim" -clock "$clock"

echo
echo "== Drift theory: the population gradient of the descent to theta* (fast kernel per path vs reference)"
"$build/bench/bench_theory" -width 256 -input_dim "$input_dim" -output_dim 8 -clock "$clock"

echo
if [ -x "$build/bench/bench_geometry" ]; then
  echo "== Geometry"
  "$build/bench/bench_geometry" -units "${PCA_UNITS:-1024}" -samples "${PCA_SAMPLES:-200}"
else
  echo "== Geometry: skipped (src/geometry.c not present when the build was configured)"
fi
exit $status
