#!/bin/sh
# jobs/local.sh [repdrift options...]: on a fresh Debian machine, installs what is missing, builds,
# and runs the sweep with mpirun on every core. With no options: the embedded default sweep,
# written to repdrift.h5 (pass -overwrite to replace an existing one), then its figures
# (repdrift-figures/index.html). An installed copy (cmake --install) runs the installed programs and
# builds nothing.
set -eu
# The programs: the source tree's build/, which this script builds; `cmake --install` rewrites this
# line to the installed bin/.
default_build=build
if [ "$default_build" = build ]; then
  root=$(cd "$(dirname "$0")/.." && pwd)
  sh "$root/jobs/install-deps.sh"
  cmake -S "$root" -B "$root/build" -DCMAKE_BUILD_TYPE=Release > /dev/null
  cmake --build "$root/build" -j "$(nproc)"
  default_build=$root/build
fi
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
# containers often forbid cross-memory attach; the shared-memory transport then needs this
export OMPI_MCA_btl_vader_single_copy_mechanism=none
mpirun -n "$(nproc)" "$default_build/repdrift" "$@"
# the figures of the run (repdrift-plot): ARCHIVE-figures/index.html next to the archive (-output
# given on the command line, else repdrift.h5)
archive=repdrift.h5; previous=""
for argument in "$@"; do
  case "$argument" in -help|--help|-version|--version) exit 0 ;; esac # nothing was run
  [ "$previous" = "-output" ] && archive=$argument; previous=$argument
done
if [ -f "$archive" ]; then
  "$default_build/repdrift-plot" "$archive" -o "${archive%.h5}-figures" > /dev/null
  echo "Figures: $(cd "$(dirname "$archive")" && pwd)/$(basename "${archive%.h5}")-figures/index.html"
fi
