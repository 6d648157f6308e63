#!/bin/sh
# jobs/local.sh [repdrift options...]: on a fresh Debian machine, installs what is missing, builds,
# and runs the sweep with mpirun on every core. With no options: the embedded default sweep,
# written to repdrift.h5 (pass -overwrite to replace an existing one).
# An installed copy (cmake --install) runs the installed programs and builds nothing.
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
exec mpirun -n "$(nproc)" "$default_build/repdrift" "$@"
