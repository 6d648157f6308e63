#!/bin/sh
# lenet.sh REPDRIFT PYTHON DATADIR ARCHIVE_1RANK WORKDIR
# -architecture lenet beyond rank invariance (tests/Lenet.cmake runs the 1/2/3-rank sweeps): the
# same examples as /inputs [N, C*H*W] with -input_shape give the archive of /inputs [N, C, H, W]
# bit for bit; the noiseless point of that archive learns its 3-class task; -data fashion_mnist on
# a small IDX directory learns above chance; every bad option and hostile data file is refused with
# exit 2, one line naming what to fix, and no archive written; -help lists the lenet options.
set -u
exe=$1; python=$2; data=$3; ref=$4; work=$5
here=$(cd "$(dirname "$0")" && pwd)
small="-options_file $here/configs/lenet-small.yaml"
rm -rf "$work"; mkdir -p "$work"
failed=0
fail() { echo "FAIL $*"; failed=1; }

# /inputs [N, 392] with -input_shape 2,14,14 == /inputs [N, 2, 14, 14]
if "$exe" $small -data "$data/images_flat.h5" -input_shape 2,14,14 -output "$work/flat.h5" > "$work/flat.log" 2>&1; then
  # the checksums cover /config/options, which differ here (-data, -input_shape) by design
  "$python" "$here/python/compare_archives.py" "$ref" "$work/flat.h5" --ignore /sweep/wall_seconds /sweep/phase_seconds /sweep/checksum > "$work/flat-compare.log" || fail "flat /inputs with -input_shape differs from 4-D /inputs: $(tail -1 "$work/flat-compare.log")"
else
  fail "flat run: $(tail -1 "$work/flat.log")"
fi

# learning: the noiseless point of the small sweep (chance 1/3), a small Fashion-MNIST (chance 1/10)
"$exe" -model classifier -architecture lenet -data fashion_mnist -fashion_mnist_dir "$data/fmnist" -sweep_noise_type none -sweep_width 16 -burnin_epochs 8 -epochs 1 -snapshots_per_epoch 2 -probe_samples 8 -output "$work/fmnist.h5" > "$work/fmnist.log" 2>&1 || fail "fashion_mnist run: $(tail -1 "$work/fmnist.log")"
"$python" - "$ref" 0.9 "$work/fmnist.h5" 0.4 <<'PY' || failed=1
import sys, h5py, numpy as np
ok = True
for path, floor in zip(sys.argv[1::2], sys.argv[2::2]):
    with h5py.File(path, "r") as f:
        none = f["/sweep/noise_type"][:] == 0  # code 0: no noise (the dataset's description)
        done = bool(np.all(f["/sweep/status"][:] == 1))
        accuracy = float(f["/signature/accuracy"][:][none][:, -1].min())
    good = done and accuracy > float(floor)
    print("ok  " if good else "FAIL", path, "all points done" if done else "points not done", "noiseless held-out accuracy %.3f (floor %s)" % (accuracy, floor))
    ok = ok and good
sys.exit(0 if ok else 1)
PY

# refused: exit 2, one line on stderr matching PATTERN, no archive
refuse() { # NAME PATTERN OPTIONS...
  name=$1; pattern=$2; shift 2
  "$exe" $small -data "$data/images.h5" "$@" -output "$work/$name.h5" > "$work/$name.out" 2> "$work/$name.err"
  code=$?
  lines=$(wc -l < "$work/$name.err")
  if [ $code -ne 2 ] || [ "$lines" -ne 1 ] || ! grep -q -- "$pattern" "$work/$name.err" || [ -e "$work/$name.h5" ]; then
    fail "$name: exit $code, $lines line(s): $(head -3 "$work/$name.err")"
  else
    echo "ok   $name: $(cat "$work/$name.err")"
  fi
}
refuse architecture "'cnn' is not one of mlp, lenet" -architecture cnn
refuse shape_size "needs 588" -data "$data/images_flat.h5" -input_shape 3,14,14
refuse shape_syntax "three integers" -data "$data/images_flat.h5" -input_shape 2,14
refuse shape_missing "give -input_shape C,H,W" -data "$data/images_flat.h5"
refuse rank3 "3 dimension(s)" -data "$data/rank3.h5"
refuse too_small "at least 12 x 12" -data "$data/small.h5"
refuse nan "example 7 (0-based) has a value that is not a finite number" -data "$data/nan.h5"
refuse mixture "lenet needs images" -data mixture
refuse mask "not one of per_example, per_batch" -weight_dropout_mask sometimes
refuse gradient_target "not one of weights_and_bias, weights" -gradient_noise_on bias
refuse idx_magic "idx_magic/train-images-idx3-ubyte.gz: IDX element type 0x0d" -data fashion_mnist -fashion_mnist_dir "$data/idx_magic"
refuse idx_truncated "idx_truncated/train-images-idx3-ubyte.gz: truncated" -data fashion_mnist -fashion_mnist_dir "$data/idx_truncated"
refuse idx_counts "holds 1200 images but .*holds 1000 labels" -data fashion_mnist -fashion_mnist_dir "$data/idx_counts"
refuse idx_gzip "idx_gzip/train-images-idx3-ubyte.gz: cannot be decompressed" -data fashion_mnist -fashion_mnist_dir "$data/idx_gzip"
refuse idx_missing "nonexistent/train-images-idx3-ubyte.gz" -data fashion_mnist -fashion_mnist_dir "$data/nonexistent"

# -help lists the lenet options
"$exe" -help > "$work/help.txt" 2>&1
for option in -architecture -input_shape -fashion_mnist_dir -weight_dropout_mask -gradient_noise_on -burnin_until_plateau; do
  grep -q -- "^  $option[ :]" "$work/help.txt" || fail "-help does not list $option"
done
exit $failed
