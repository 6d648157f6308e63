#!/bin/sh
# make_checksums.sh REF_DIR: writes tests/golden/<name>.sha256 (and <name>.options, the archive's
# /config/options) from the archives REF_DIR/<name>.h5
# of one revision (the four small sweeps of tests/configs, written with
#   mpirun -n 2 repdrift -options_file tests/configs/<name>.yaml -output <name>.h5).
# The integration test archive_checksums_* recomputes the digests from fresh runs of the same
# configurations and requires them to be equal: results may not change under a refactor.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
for name in small theory-e3 classifier-small autoencoder-small; do
  {
    echo "# per-dataset SHA-256 of $name.h5 (tests/configs/$name.yaml), repdrift $(cat "$1/main_rev.txt" 2>/dev/null || echo '?')"
    "${PYTHON:-/usr/bin/python3}" "$here/archive_checksums.py" "$1/$name.h5"
  } > "$here/$name.sha256"
  "${PYTHON:-/usr/bin/python3}" -c "import h5py, sys; v = h5py.File(sys.argv[1], 'r')['/config/options'][()]; sys.stdout.write(v.decode() if isinstance(v, bytes) else v)" "$1/$name.h5" > "$here/$name.options"
  echo "wrote $here/$name.sha256 and $here/$name.options"
done
