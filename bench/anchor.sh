#!/usr/bin/env bash
# Accuracy anchor of the lenet (issue 12): held-out accuracy per epoch on Fashion-MNIST at the
# paper's optimiser (SGD lr 1e-3, momentum 0.9, L2 1e-3, batch 64), repdrift (bench/anchor_lenet)
# beside PyTorch (bench/torch_classifier.py anchor: same network, init scheme, data, epochs) for
# several seeds, and the table of the means with the difference. Long (minutes): not a CTest.
# Usage: bench/anchor.sh   (environment: EPOCHS (5), SEEDS (1 2 3), NOISE (none), LEVEL (0),
#   REPDRIFT_BENCH_BUILD build directory (default <repo>/build-bench))
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
build=${REPDRIFT_BENCH_BUILD:-$repo/build-bench}
epochs=${EPOCHS:-5}; seeds=${SEEDS:-1 2 3}; noise=${NOISE:-none}; level=${LEVEL:-0}
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1
if ! grep -qs '^REPDRIFT_BENCH:BOOL=ON' "$build/CMakeCache.txt"; then
  cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DREPDRIFT_BENCH=ON >/dev/null
fi
cmake --build "$build" -j 2 --target anchor_lenet >/dev/null
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
echo "== lenet accuracy anchor on Fashion-MNIST: $(date -u +%Y-%m-%dT%H:%M:%SZ), noise $noise $level, seeds $seeds, $epochs epochs"
for seed in $seeds; do
  "$build/bench/anchor_lenet" -epochs "$epochs" -seed "$seed" -noise "$noise" -noise_level "$level" > "$out/repdrift.$seed"
  /usr/bin/python3 "$here/torch_classifier.py" anchor --epochs "$epochs" --seed "$seed" --noise "$noise" --level "$level" > "$out/torch.$seed"
done
/usr/bin/python3 - "$out" "$seeds" <<'PY'
import sys, statistics as st
out, seeds = sys.argv[1], sys.argv[2].split()
def table(kind):
    runs = []
    for s in seeds:
        rows = {}
        for line in open(f"{out}/{kind}.{s}"):
            w = line.split()
            if w and w[0] == "epoch":
                rows[int(w[1])] = (float(w[3]), float(w[7]))
        runs.append(rows)
    return runs
ours, torch = table("repdrift"), table("torch")
print(f"{'epoch':>5} {'repdrift %':>11} {'(sd)':>6} {'PyTorch %':>10} {'(sd)':>6} {'diff':>6}   s/epoch repdrift, PyTorch")
worst = 0.0
for e in sorted(ours[0]):
    a = [100 * r[e][0] for r in ours]; b = [100 * r[e][0] for r in torch]
    sd = lambda v: st.stdev(v) if len(v) > 1 else 0.0
    d = st.mean(a) - st.mean(b)
    if e > 0: worst = max(worst, abs(d))
    print(f"{e:>5} {st.mean(a):>11.2f} {sd(a):>6.2f} {st.mean(b):>10.2f} {sd(b):>6.2f} {d:>+6.2f}   {st.mean(r[e][1] for r in ours):.1f}, {st.mean(r[e][1] for r in torch):.1f}")
print(f"largest |difference of the means| after epoch 1..: {worst:.2f} points (target <= 2)")
PY
