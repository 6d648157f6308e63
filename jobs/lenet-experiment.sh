#!/bin/sh
# jobs/lenet-experiment.sh DIR [CONFIG] [RANKS]: the LeNet/Fashion-MNIST noise-source experiment
# (Aitken et al. 2022) on one machine, in the background-friendly form: copies the programs and
# the config into DIR (so a rebuild of the tree cannot change a running experiment), runs the sweep
# at low priority with RANKS MPI ranks (default 1) logging one line per finished point to
# DIR/run.log, then writes DIR/report.txt (repdrift-report) and DIR/lenet-figures/ (repdrift-plot).
# CONFIG defaults to jobs/configs/lenet-fashion-mnist-reduced.yaml (about an hour of one core);
# jobs/configs/lenet-fashion-mnist.yaml is the full experiment (on a cluster: jobs/sweep.sbatch).
# An interrupted run is resumed by running the same command again.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:?usage: jobs/lenet-experiment.sh DIR [CONFIG] [RANKS]}
config=${2:-$root/jobs/configs/lenet-fashion-mnist-reduced.yaml}
ranks=${3:-1}
mkdir -p "$dir/bin"
if [ ! -e "$dir/lenet.h5" ]; then
  cp "$root/build/repdrift" "$root/build/repdrift-report" "$root/build/repdrift-plot" "$dir/bin/"
  [ -d "$root/build/python" ] && cp -r "$root/build/python" "$dir/bin/"
  cp "$config" "$dir/config.yaml"
  echo "git $(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown); config $config; $ranks rank(s); started $(date -u +%FT%TZ)" > "$dir/RUN.txt"
  resume=""
else
  resume="-resume"
fi
if [ "$(id -u)" -eq 0 ]; then export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1; fi
export OMPI_MCA_btl_vader_single_copy_mechanism=none HDF5_USE_FILE_LOCKING=FALSE
cd "$dir"
nice -n 10 mpirun -n "$ranks" bin/repdrift -options_file config.yaml -output lenet.h5 $resume >> run.log 2>&1
echo "finished $(date -u +%FT%TZ)" >> RUN.txt
bin/repdrift-report lenet.h5 > report.txt
bin/repdrift-plot lenet.h5 -o lenet-figures > plot.log 2>&1
