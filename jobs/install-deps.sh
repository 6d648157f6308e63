#!/bin/sh
# Installs repdrift's build and test dependencies from Debian's packages (bookworm), only if missing.
# Needs root (or sudo). Used by jobs/local.sh and .ci/run.
set -eu
packages="build-essential cmake pkg-config libpetsc-real-dev libslepc-real-dev libhdf5-openmpi-dev
openmpi-bin libopenmpi-dev hdf5-tools liblapack-dev python3-numpy python3-h5py python3-scipy
python3-xarray python3-h5netcdf python3-sklearn python3-matplotlib slurm-wlm munge lmod zlib1g-dev dataset-fashion-mnist"
missing=""
for p in $packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then echo "install-deps: all packages present"; exit 0; fi
echo "install-deps: installing$missing"
sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends $missing
