#!/bin/sh
# kappa_cli.sh REPDRIFT_KAPPA PYTHON WORKDIR: the range condition from files and built-in sets, and
# clear errors on bad source files.
set -u
exe=$1; python=$2; work=$3
rm -rf "$work"; mkdir -p "$work"
passed=0; failed=0
expect() { # NAME EXPECTED_TEXT COMMAND...: exit 0 and the text in the output
  name=$1; text=$2; shift 2
  out=$("$@" 2>&1); code=$?
  if [ $code -eq 0 ] && printf '%s' "$out" | grep -qF -- "$text"; then echo "ok   $name"; passed=$((passed + 1));
  else echo "FAIL $name (exit $code), expected '$text':"; printf '%s\n' "$out" | head -12; failed=$((failed + 1)); fi
}
. "$(dirname "$0")/user_error.sh"
refuse() { # NAME EXPECTED_TEXT COMMAND...: a user error (one line, exit 2) naming the text
  name=$1; text=$2; shift 2
  if expect_user_error "$name" repdrift-kappa "$text" "$@"; then passed=$((passed + 1)); else failed=$((failed + 1)); fi
}

"$python" - "$work" <<'PY'
import sys, h5py, numpy as np
work = sys.argv[1]
tetrahedron = np.array([[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]], float)
grid = np.array([(u, v) for u in np.linspace(-1, 1, 21) for v in np.linspace(-1, 1, 21)])
with h5py.File(f"{work}/tetrahedron.h5", "w") as f: f["sources"] = tetrahedron
with h5py.File(f"{work}/grid.h5", "w") as f: f["sources"] = grid
with h5py.File(f"{work}/pair.h5", "w") as f: f["sources"] = tetrahedron[:, :2]
with h5py.File(f"{work}/nosources.h5", "w") as f: f["other"] = grid
with h5py.File(f"{work}/vector.h5", "w") as f: f["sources"] = grid[:, 0]
bad = grid.copy(); bad[3, 1] = np.nan
with h5py.File(f"{work}/nan.h5", "w") as f: f["sources"] = bad
PY
expect "file: parity tetrahedron is mixed, kappa 2/3" "kappa: 0.6666666667" "$exe" "$work/tetrahedron.h5"
expect "file: tetrahedron verdict" "verdict: mixed" "$exe" "$work/tetrahedron.h5"
expect "file: 21 x 21 grid is modular" "verdict: modular" "$exe" "$work/grid.h5"
expect "file: L_mod of the grid" "L_mod(lambda_in 0.1, lambda_out 0.1): 1.53188337" "$exe" "$work/grid.h5"
expect "file: a pair of the tetrahedron's sources is modular" "verdict: modular" "$exe" "$work/pair.h5"
expect "built-in cube is modular" "verdict: modular" "$exe" -sources cube
expect "built-in corner cut mixes along the diagonal" "direction: 0.707107 0.707107" "$exe" -sources corner_cut -grid_size 41
expect "optimiser beats L_mod on the corner cut" "a mixed code beats every modular one" "$exe" -sources corner_cut -grid_size 41 -optimize
expect "optimiser cannot beat L_mod on the grid" "no code beats the modular one" "$exe" -sources grid -optimize
refuse "no /sources dataset" "has no dataset /sources" "$exe" "$work/nosources.h5"
refuse "/sources not a matrix" "must be a matrix" "$exe" "$work/vector.h5"
refuse "NaN in the sources" "Source sample 3, source 1 is not finite" "$exe" "$work/nan.h5"
echo "not hdf5" > "$work/text.h5"
refuse "not an HDF5 file" "not an HDF5 file" "$exe" "$work/text.h5"
refuse "no input at all" "-sources" "$exe"
echo "kappa_cli: $passed passed, $failed failed"
[ $failed -eq 0 ]
