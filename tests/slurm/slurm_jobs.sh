#!/bin/sh
# slurm_jobs.sh SOURCE_DIR BUILD_DIR PYTHON WORKDIR REFERENCE.h5 CONFIG
# Starts a real single-node Slurm, runs jobs/sweep.sbatch with `sbatch --wait` and jobs/array.sbatch
# as a 2-task array + repdrift-merge; both archives must equal REFERENCE (the mpirun archive of the
# same sweep), dataset by dataset.
set -u
source_dir=$1; build=$2; python=$3; work=$4; reference=$5; config=$6
. "$source_dir/tests/slurm/cluster.sh"
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  echo "slurm_jobs: slurm-wlm and munge are not installed (jobs/install-deps.sh installs them)"; exit 1
fi
rm -rf "$work"; mkdir -p "$work"
trap cluster_stop EXIT
cluster_start "$work/cluster" || exit 1
failed=0
export REPDRIFT_CONFIG=$config REPDRIFT_BUILD=$build

REPDRIFT_OUTPUT=$work/sbatch.h5 timeout 300 sbatch --wait --chdir="$source_dir" -n 2 --output="$work/sweep.out" "$source_dir/jobs/sweep.sbatch"
code=$?
cat "$work/sweep.out" | tail -5
[ $code -eq 0 ] || { echo "FAIL sweep.sbatch exit $code"; failed=1; }
"$python" "$source_dir/tests/python/compare_archives.py" "$reference" "$work/sbatch.h5" | tail -1 || failed=1
"$python" -c "import h5py, sys; a = h5py.File('$work/sbatch.h5', 'r').attrs; sys.exit(0 if 'slurm_job_id' in a and a['mpi_ranks'] == 2 else 1)" \
  || { echo "FAIL the archive does not record the Slurm job and 2 ranks"; failed=1; }

REPDRIFT_PREFIX=$work/array timeout 300 sbatch --wait --chdir="$source_dir" --array=0-1 -n 1 --output="$work/array-%a.out" "$source_dir/jobs/array.sbatch"
code=$?
[ $code -eq 0 ] || { echo "FAIL array.sbatch exit $code"; tail -n 5 "$work"/array-*.out; failed=1; }
"$build/repdrift-merge" "$work/array.h5" "$work/array-slice0.h5" "$work/array-slice1.h5" || failed=1
"$python" "$source_dir/tests/python/compare_archives.py" "$reference" "$work/array.h5" | tail -1 || failed=1

if [ $failed -eq 0 ]; then echo "slurm_jobs: 2 passed, 0 failed"; else echo "slurm_jobs: 0 passed, 1 failed"; fi
exit $failed
