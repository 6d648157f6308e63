#!/bin/sh
# classifier_file.sh REPDRIFT PYTHON WORKDIR
# -model classifier on an HDF5 data file (/inputs, /labels): a small separable 3-class file made
# here, and the handwritten digits of the jobs/ recipe when python3-sklearn is installed. Each run
# must finish every point with an accuracy well above chance, the file's classes and sizes taken
# from the file.
set -u
exe=$1; python=$2; work=$3
here=$(cd "$(dirname "$0")" && pwd)
rm -rf "$work"; mkdir -p "$work"
failed=0
"$python" - "$work/blobs.h5" <<'PY' || exit 1
import sys, h5py, numpy as np
rng = np.random.default_rng(7)
centres = rng.normal(size=(3, 10)) * 3
labels = np.repeat(np.arange(3), 150)
inputs = centres[labels] + rng.normal(size=(450, 10))
with h5py.File(sys.argv[1], "w") as f:
    f["inputs"] = inputs
    f["labels"] = labels
PY
run() { # NAME FILE CLASSES EPOCHS
  "$exe" -model classifier -data "$2" -sweep_noise_type node_dropout,none -sweep_width 16 -hidden_dim 32 -burnin_epochs "$4" -epochs 1 -snapshots_per_epoch 2 -probe_samples 20 -lr 0.01 -output "$work/$1-run.h5" > "$work/$1.log" 2>&1 || { echo "FAIL $1: run failed"; tail -5 "$work/$1.log"; failed=1; return; }
  "$python" - "$work/$1-run.h5" "$3" <<'PY' || failed=1
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r"); classes = int(sys.argv[2])
status, accuracy = f["/sweep/status"][:], f["/signature/accuracy"][:]
ok = np.all(status == 1) and accuracy.min() > 1.0 / classes + 0.3 and f["/sweep/stimulus_probability"].shape[1] == min(classes, 10)
print(("ok  " if ok else "FAIL"), sys.argv[1], "status", status.tolist(), "accuracy min %.3f (chance %.3f)" % (accuracy.min(), 1.0 / classes))
sys.exit(0 if ok else 1)
PY
}
run blobs "$work/blobs.h5" 3 20
if "$python" -c "import sklearn" 2>/dev/null; then
  "$python" "$here/../jobs/make-digits-dataset.py" "$work/digits.h5" > /dev/null && run digits "$work/digits.h5" 10 10
else
  echo "digits: skipped (python3-sklearn not installed)"
fi
exit $failed
