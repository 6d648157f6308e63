#!/bin/sh
# dataset_file.sh PYTHON WORKDIR TEST_DATASET_EXE
# HDF5 classification datasets (RdDatasetLoad through the test_dataset driver): a good file loads
# with the right sizes; every bad file fails with exit 1 and a message naming the file and the
# problem. Then the digits recipe (jobs/make-digits-dataset.py): its missing-sklearn message, and,
# when python3-sklearn is installed, the converted file loads as N=1797, n=64, C=10.
set -u
python=$1; work=$2; exe=$3
recipe=$(cd "$(dirname "$0")/.." && pwd)/jobs/make-digits-dataset.py
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0

pass() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# write NAME PYTHON_CODE: runs the code with h5py as h5, numpy as np and f open on WORKDIR/NAME.h5
write() {
  if ! "$python" -c "import h5py as h5, numpy as np
f = h5.File('$work/$1.h5', 'w')
$2
f.close()"; then
    fail "writing $1.h5 with h5py"
  fi
}

# expect_ok NAME "N n C"
expect_ok() {
  output=$("$exe" "$work/$1.h5" 2>&1); code=$?
  if [ $code -ne 0 ]; then fail "$1: exit $code: $output"; return; fi
  if [ "$output" != "ok $2" ]; then fail "$1: printed '$output', expected 'ok $2'"; return; fi
  pass "$1 ($output)"
}

# expect_error NAME EXPECTED_TEXT: exit 1, and the message names the file and contains the text
expect_error() {
  file=$work/$1.h5
  output=$("$exe" "$file" 2>&1); code=$?
  if [ $code -ne 1 ]; then fail "$1: exit code $code (expected 1): $output"; return; fi
  if ! printf '%s' "$output" | grep -qF -- "$2"; then fail "$1: message does not mention '$2': $output"; return; fi
  if ! printf '%s' "$output" | grep -qF -- "$file"; then fail "$1: message does not name the file: $output"; return; fi
  pass "$1 (exit 1, mentions '$2')"
}

labels12="np.array([0, 1, 2, 0, 1, 2, 0, 1, 2, 0, 1, 2])"
write good "f['inputs'] = np.arange(36.0).reshape(12, 3); f['labels'] = $labels12"
expect_ok good "12 3 3"
write good_types "f['inputs'] = np.arange(36, dtype=np.uint8).reshape(12, 3); f['labels'] = $labels12.astype(np.float32)"
expect_ok good_types "12 3 3"

# expect_split NAME PROBE_EVERY: the split's sizes and input checksums equal an independent numpy
# implementation of the documented rule (within each class, in file order, every k-th example probes)
expect_split() {
  expected=$("$python" -c "import h5py, numpy as np
f = h5py.File('$work/$1.h5', 'r'); x = f['inputs'][:].astype(float); y = f['labels'][:].astype(int)
probe = np.zeros(len(y), bool)
for c in range(y.max() + 1):
    members = np.flatnonzero(y == c)
    probe[members[$2 - 1::$2]] = True
print(int(len(y) - probe.sum()), int(probe.sum()), repr(float(x[~probe].sum())), repr(float(x[probe].sum())))")
  output=$("$exe" "$work/$1.h5" "$2" 2>&1); code=$?
  if [ $code -ne 0 ]; then fail "$1 split every $2: exit $code: $output"; return; fi
  if ! printf '%s\n%s\n' "$output" "$expected" | "$python" -c "import sys
lines = sys.stdin.read().split('\\n')
got = lines[1].split(); want = lines[2].split()
assert got[0] == 'split' and got[1:3] == want[0:2], (got, want)
for g, w in zip(got[3:5], want[2:4]):
    assert abs(float(g) - float(w)) <= 1e-9 * max(1.0, abs(float(w))), (g, w)"; then
    fail "$1 split every $2: printed '$output', numpy says '$expected'"; return
  fi
  pass "$1 split every $2 ($(printf '%s' "$output" | tail -1 | cut -d' ' -f1-3) as numpy)"
}

expect_split good 2
expect_split good 3
output=$("$exe" "$work/good.h5" 5 2>&1); code=$?
if [ $code -eq 1 ] && printf '%s' "$output" | grep -qF -- "-probe_every 5"; then pass "split every 5 with classes of 4: exit 1, names -probe_every"; else fail "split every 5: exit $code: $output"; fi

write missing_labels "f['inputs'] = np.zeros((12, 3))"
expect_error missing_labels "has no dataset /labels"
write missing_inputs "f['labels'] = $labels12"
expect_error missing_inputs "has no dataset /inputs"
write inputs_1d "f['inputs'] = np.zeros(12); f['labels'] = $labels12"
expect_error inputs_1d "/inputs has 1 dimensions"
write labels_2d "f['inputs'] = np.zeros((12, 3)); f['labels'] = $labels12.reshape(12, 1)"
expect_error labels_2d "/labels has 2 dimensions"
write labels_text "f['inputs'] = np.zeros((12, 3)); f['labels'] = np.array([b'a'] * 12)"
expect_error labels_text "must hold numbers"
write n_mismatch "f['inputs'] = np.zeros((11, 3)); f['labels'] = $labels12"
expect_error n_mismatch "one label per example"
write one_example "f['inputs'] = np.zeros((1, 3)); f['labels'] = np.array([0])"
expect_error one_example "at least 2 examples"
write nan_input "x = np.zeros((12, 3)); x[5, 2] = np.nan; f['inputs'] = x; f['labels'] = $labels12"
expect_error nan_input "row 5, column 2"
write inf_input "x = np.zeros((12, 3)); x[7, 0] = np.inf; f['inputs'] = x; f['labels'] = $labels12"
expect_error inf_input "finite"
write negative_label "y = $labels12; y[3] = -1; f['inputs'] = np.zeros((12, 3)); f['labels'] = y"
expect_error negative_label "row 3 (0-based) is -1, a negative label"
write fractional_label "y = $labels12.astype(float); y[4] = 2.5; f['inputs'] = np.zeros((12, 3)); f['labels'] = y"
expect_error fractional_label "row 4 (0-based) is 2.5, not an integer"
write nan_label "y = $labels12.astype(float); y[0] = np.nan; f['inputs'] = np.zeros((12, 3)); f['labels'] = y"
expect_error nan_label "not an integer"
write huge_label "y = $labels12; y[6] = 10**12; f['inputs'] = np.zeros((12, 3)); f['labels'] = y"
expect_error huge_label "row 6 (0-based)"
write single_class "f['inputs'] = np.zeros((12, 3)); f['labels'] = np.zeros(12, dtype=np.int64)"
expect_error single_class "at least 2 classes"
write class_gap "f['inputs'] = np.zeros((12, 3)); f['labels'] = np.array([0, 2] * 6)"
expect_error class_gap "class 1 has 0 example(s)"
write lonely_class "y = np.array([0, 1] * 5 + [0, 2]); f['inputs'] = np.zeros((12, 3)); f['labels'] = y"
expect_error lonely_class "class 2 has 1 example(s)"
echo "this is not HDF5" > "$work/not_hdf5.h5"
expect_error not_hdf5 "not an HDF5 file"
expect_error no_such_file "Cannot read"

# The recipe without scikit-learn: a module that fails to import stands in for a missing package.
mkdir -p "$work/no_sklearn/sklearn"
echo 'raise ImportError("No module named sklearn")' > "$work/no_sklearn/sklearn/__init__.py"
output=$(PYTHONPATH="$work/no_sklearn" "$python" "$recipe" "$work/never.h5" 2>&1); code=$?
if [ $code -eq 2 ] && printf '%s' "$output" | grep -qF "apt-get install python3-sklearn" && [ ! -e "$work/never.h5" ]; then
  pass "recipe without sklearn: exit 2, says apt-get install python3-sklearn"
else
  fail "recipe without sklearn: exit $code: $output"
fi

if "$python" -c "import sklearn" 2>/dev/null; then
  if "$python" "$recipe" "$work/digits.h5"; then
    expect_ok digits "1797 64 10"
    expect_split digits 5
    if "$python" -c "import h5py, numpy as np
f = h5py.File('$work/digits.h5', 'r'); x = f['inputs'][:]; y = f['labels'][:]
assert x.dtype == np.float64 and x.min() == 0.0 and x.max() == 1.0, (x.dtype, x.min(), x.max())
assert y.dtype == np.int64 and sorted(set(y.tolist())) == list(range(10))
assert np.all(x * 16 == np.round(x * 16)), 'inputs are pixel values / 16'
assert 'load_digits' in f.attrs['source'] and '16' in f.attrs['scaling']"; then
      pass "digits: float64 in [0, 1] (pixels / 16), int64 labels 0..9, source and scaling attributes"
    else
      fail "digits: contents or attributes"
    fi
  else
    fail "digits recipe exited with an error"
  fi
else
  echo "digits recipe: skipped (python3-sklearn not installed)"
fi

echo "dataset_file: $passed passed, $failed failed"
[ $failed -eq 0 ]
