#!/usr/bin/env bash
# Strong scaling of a fixed sweep: the same POINTS-point sweep on 1, 2, 4, ... N ranks (and N),
# each run REPEATS times (the fastest counts: other load only ever slows a run down). Prints, ready
# for the README, one row per rank count: wall seconds of the whole run (mpirun to exit), speed-up
# T1/Tn, parallel efficiency T1/(n Tn), and the seconds the ranks spent in the collective rounds
# (from the run's load table, i.e. the phases of include/repdrift/phases.h): waiting for the other
# ranks at the write rounds (mean and max over ranks) and writing; then the write wait of every
# rank; and checks that every run's archive equals the 1-rank one (compare_archives.py).
#
# Usage: bench/scaling.sh [N [POINTS]]     N: largest rank count (default: nproc);
#        POINTS: sweep size, a multiple of 8 (default 32: at 16 the 2-rank run lasts 12 s and the fixed
#        costs weigh; use >= 64 for 16 ranks)
# Environment (optional): REPDRIFT (the binary, default <repo>/build/repdrift), REPEATS (2),
#   SCALING_DIR (scratch directory, default /tmp/repdrift-scaling), MPIEXEC (mpirun),
#   SCALING_OPTIONS (point size, default "-burnin_steps 50000 -days 5 -steps_per_day 10000": half
#   the default steps, default probes). The sweep: frequency 0.25,0.5 x dropout 0,0.2 x width
#   64,256 x POINTS/8 seeds (widths of the default sweep: points of unequal cost, as in real sweeps).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
cores=$(env -u OMP_NUM_THREADS -u OMP_THREAD_LIMIT nproc) # before OMP_NUM_THREADS=1 below, which nproc obeys
max_ranks=${1:-$cores}
points=${2:-32}
repdrift=${REPDRIFT:-$repo/build/repdrift}
repeats=${REPEATS:-2}
work=${SCALING_DIR:-/tmp/repdrift-scaling}
mpiexec=${MPIEXEC:-mpirun}
python=/usr/bin/python3
size_options=${SCALING_OPTIONS:--burnin_steps 50000 -days 5 -steps_per_day 10000}
export OMPI_ALLOW_RUN_AS_ROOT=${OMPI_ALLOW_RUN_AS_ROOT:-1} OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=${OMPI_ALLOW_RUN_AS_ROOT_CONFIRM:-1}
export OMPI_MCA_btl_vader_single_copy_mechanism=${OMPI_MCA_btl_vader_single_copy_mechanism:-none}
export OMPI_MCA_rmaps_base_oversubscribe=${OMPI_MCA_rmaps_base_oversubscribe:-1} HDF5_USE_FILE_LOCKING=${HDF5_USE_FILE_LOCKING:-FALSE}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1

if ! [[ $max_ranks =~ ^[1-9][0-9]*$ ]]; then echo "scaling.sh: N must be a positive integer (got '$max_ranks')" >&2; exit 2; fi
if ! [[ $points =~ ^[1-9][0-9]*$ ]] || (( points % 8 )); then echo "scaling.sh: POINTS must be a positive multiple of 8 (got '$points')" >&2; exit 2; fi
[ -x "$repdrift" ] || { echo "scaling.sh: no repdrift at $repdrift: build it (cmake --build build) or set REPDRIFT" >&2; exit 2; }
mkdir -p "$work"
seeds=$((points / 8))
sweep="-sweep_frequency 0.25,0.5 -sweep_dropout 0,0.2 -sweep_width 64,256 -sweep_seeds $seeds $size_options"

rank_counts=()
for ((n = 1; n < max_ranks; n *= 2)); do rank_counts+=("$n"); done
rank_counts+=("$max_ranks")

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "== repdrift strong scaling: $(date -u +%Y-%m-%d), $(uname -n), $cpu, $cores cores"
echo "   git $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo unknown)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (modified)'); sweep of $points points: $sweep"
echo "   best of $repeats runs per rank count; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

declare -A wall waits
for n in "${rank_counts[@]}"; do
  best=""
  for ((r = 1; r <= repeats; r++)); do
    log="$work/ranks$n.run$r.log"
    start=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$mpiexec" -n "$n" "$repdrift" $sweep -output "$work/ranks$n.h5" -overwrite > "$log" 2>&1 || { echo "scaling.sh: the $n-rank run failed (log: $log)" >&2; tail -5 "$log" >&2; exit 1; }
    seconds=$(echo "$(date +%s.%N) - $start" | bc -l)
    if [ -z "$best" ] || (( $(echo "$seconds < $best" | bc -l) )); then best=$seconds; cp "$log" "$work/ranks$n.best.log"; fi
  done
  wall[$n]=$best
  # the load table: "  rank  points  busy_s  write_wait  archive_write  progress_wait"
  waits[$n]=$(awk '/^Load per rank/ {on = 1; next} on && /^ *rank/ {for (i = 1; i <= NF; i++) col[$i] = i; next}
                   on && /^ *[0-9]+ / {printf "%s:%s:%s:%s ", $1, $(col["busy_s"]), $(col["write_wait"]), $(col["archive_write"])} on && /imbalance/ {exit}' "$work/ranks$n.best.log")
done

echo
echo "| ranks | wall s | speed-up | efficiency | write wait s (mean / max over ranks) | archive write s (mean) | busy s (mean) |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for n in "${rank_counts[@]}"; do
  # shellcheck disable=SC2086
  echo "$n ${wall[$n]} ${wall[1]} ${waits[$n]}" | awk '{
    n = $1; t = $2; t1 = $3; sum_wait = 0; max_wait = 0; sum_write = 0; sum_busy = 0; k = 0
    for (i = 4; i <= NF; i++) { split($i, f, ":"); k++; sum_busy += f[2]; sum_wait += f[3]; sum_write += f[4]; if (f[3] > max_wait) max_wait = f[3] }
    printf "| %d | %.1f | %.2f | %.2f | %.2f / %.2f | %.2f | %.1f |\n", n, t, t1 / t, t1 / (n * t), sum_wait / k, max_wait, sum_write / k, sum_busy / k }'
done

echo
echo "Write wait per rank (s), the best run of each rank count:"
for n in "${rank_counts[@]}"; do
  printf "  %3d ranks:" "$n"
  for entry in ${waits[$n]}; do IFS=: read -r rank busy wait write <<< "$entry"; printf " %s" "$wait"; done
  echo
done

echo
status=0
for n in "${rank_counts[@]}"; do
  [ "$n" = 1 ] && continue
  if "$python" "$repo/tests/python/compare_archives.py" "$work/ranks1.h5" "$work/ranks$n.h5" > "$work/compare$n.txt" 2>&1; then
    echo "ok   $n-rank archive bit-identical to the 1-rank one ($(tail -1 "$work/compare$n.txt" | sed 's/compare_archives: //'))"
  else
    echo "FAIL $n-rank archive differs from the 1-rank one: $work/compare$n.txt"; status=1
  fi
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
exit $status
