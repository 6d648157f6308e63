#!/bin/sh
# slurm_jobs.sh SOURCE_DIR BUILD_DIR PYTHON WORKDIR REFERENCE.h5 CONFIG [REQUEUE_CONFIG REQUEUE_OPTIONS]
# Starts a real single-node Slurm, runs jobs/sweep.sbatch with `sbatch --wait` and jobs/array.sbatch
# as a 2-task array + repdrift-merge; both archives must equal REFERENCE (the mpirun archive of the
# same sweep), dataset by dataset. The requeue part runs REQUEUE_CONFIG with REQUEUE_OPTIONS (a sweep
# slow enough to interrupt; default: CONFIG with -burnin_steps 150000).
set -u
source_dir=$1; build=$2; python=$3; work=$4; reference=$5; config=$6
requeue_config=${7:-$config}; slow=${8:-"-burnin_steps 150000"}; slow="$slow -write_interval 0" # every point written as it finishes: the requeue must find one
. "$source_dir/tests/slurm/cluster.sh"
if ! command -v slurmctld > /dev/null || ! command -v munged > /dev/null; then
  echo "slurm_jobs: slurm-wlm and munge are not installed (jobs/install-deps.sh installs them)"; exit 1
fi
rm -rf "$work"; mkdir -p "$work"
trap cluster_stop EXIT
cluster_start "$work/cluster" || exit 1
failed=0
# same_as REFERENCE ARCHIVE: dataset-by-dataset equality (the comparison's own exit status decides)
same_as() {
  "$python" "$source_dir/tests/python/compare_archives.py" "$1" "$2" > "$2.compare.txt" 2>&1
  code=$?
  tail -n 1 "$2.compare.txt"
  [ $code -eq 0 ] || { echo "FAIL $2 differs from $1:"; grep FAIL "$2.compare.txt" | head -5; failed=1; }
}
export REPDRIFT_CONFIG=$config REPDRIFT_BUILD=$build

REPDRIFT_OUTPUT=$work/sbatch.h5 timeout 300 sbatch --wait --chdir="$source_dir" -n 2 --output="$work/sweep.out" "$source_dir/jobs/sweep.sbatch"
code=$?
tail -n 5 "$work/sweep.out"
[ $code -eq 0 ] || { echo "FAIL sweep.sbatch exit $code"; failed=1; }
same_as "$reference" "$work/sbatch.h5"
"$python" -c "import h5py, sys; a = h5py.File('$work/sbatch.h5', 'r').attrs; sys.exit(0 if 'slurm_job_id' in a and a['mpi_ranks'] == 2 else 1)" \
  || { echo "FAIL the archive does not record the Slurm job and 2 ranks"; failed=1; }

REPDRIFT_PREFIX=$work/array timeout 300 sbatch --wait --chdir="$source_dir" --array=0-1 -n 1 --output="$work/array-%a.out" "$source_dir/jobs/array.sbatch"
code=$?
[ $code -eq 0 ] || { echo "FAIL array.sbatch exit $code"; tail -n 5 "$work"/array-*.out; failed=1; }
"$build/repdrift-merge" "$work/array.h5" "$work/array-slice0.h5" "$work/array-slice1.h5" || failed=1
same_as "$reference" "$work/array.h5"

# Requeue: USR1 to the batch script part-way (as --signal=B:USR1@300 would send it): repdrift stops
# after its current point, the script requeues the job, the second attempt resumes; the final
# archive equals an uninterrupted run.
"$build/repdrift" -options_file "$requeue_config" $slow -output "$work/requeue_reference.h5" > /dev/null 2>&1 || failed=1
jobid=$(REPDRIFT_CONFIG=$requeue_config REPDRIFT_OUTPUT=$work/requeue.h5 sbatch --parsable --chdir="$source_dir" -n 2 --open-mode=append --output="$work/requeue.out" "$source_dir/jobs/sweep.sbatch" $slow)
deadline=$(( $(date +%s) + 120 ))
progress_lines() { n=$(grep -c '^\[' "$work/requeue.out" 2> /dev/null); echo "${n:-0}"; }
until [ "$(progress_lines)" -ge 1 ] || [ "$(date +%s)" -gt $deadline ]; do sleep 0.2; done # the first write round (later ones may come in one burst near the end: rounds.h)
scancel --signal=USR1 --batch "$jobid"
# Slurm holds a requeued batch job back (its begin time moves past the launch credential's lifetime,
# 20 min) and the test does not wait that long: once the job is pending again, it makes it eligible
# now. A launch in the same second as the revocation of the first attempt's credential is refused
# by slurmd, and Slurm then holds the job ("launch failed requeued held"): the test releases it.
deadline=$(( $(date +%s) + 60 ))
until grep -q "requeued" "$work/requeue.out" 2> /dev/null || [ "$(date +%s)" -gt $deadline ]; do sleep 0.2; done
until [ "$(timeout 5 squeue -h -j "$jobid" -o %T 2> /dev/null)" = PENDING ] || [ "$(date +%s)" -gt $deadline ]; do sleep 0.2; done
sleep 2 # a later second than the revocation
make_eligible() {
  case "$(timeout 5 squeue -h -j "$jobid" -o '%T %r' 2> /dev/null)" in
    *[Hh]eld*) timeout 5 scontrol release "$jobid" > /dev/null 2>&1 ;;
  esac
  timeout 5 scontrol update JobId="$jobid" StartTime=now > /dev/null 2>&1
}
make_eligible
# finished: squeue answered (a timed-out or failing squeue under load proves nothing) and the job
# is no longer pending or running
job_finished() {
  state=$(timeout 5 squeue -h -j "$jobid" -o %T 2>&1); code=$?
  [ $code -eq 124 ] && return 1
  case "$state" in ""|COMPLETED|FAILED|CANCELLED|TIMEOUT|*"Invalid job id"*) return 0 ;; esac
  return 1
}
# done: the second attempt has started (it says what it resumes) and the job has left the queue;
# until it starts, keep making the held-back job eligible (a requeue can pass through states in
# which the first StartTime update does not stick)
resumed() { grep -q "This run computes" "$work/requeue.out" 2> /dev/null; }
deadline=$(( $(date +%s) + 240 ))
until { resumed && job_finished; } || [ "$(date +%s)" -gt $deadline ]; do
  resumed || make_eligible
  sleep 1
done
grep -q "requeued" "$work/requeue.out" || { echo "FAIL the interrupted job was not requeued"; tail -n 20 "$work/requeue.out"; failed=1; }
grep -q "This run computes" "$work/requeue.out" || {
  echo "FAIL the requeued job did not resume; its output, queue state and controller log:"
  tail -n 8 "$work/requeue.out"
  timeout 5 scontrol show job "$jobid" 2>&1 | grep -E "JobState|Restarts|EligibleTime"
  grep -E "JobId=$jobid|job $jobid|revoked" "$work/cluster/log/slurmctld.log" "$work/cluster/log/slurmd.log" | tail -n 12
  failed=1
}
same_as "$work/requeue_reference.h5" "$work/requeue.h5"
# the interrupted attempt released its claim and the requeued one took its own (no -break_lock)
[ ! -e "$work/requeue.h5.lock" ] || { echo "FAIL the requeued job left its claim $work/requeue.h5.lock"; failed=1; }
grep -q "stale claim" "$work/requeue.out" && { echo "FAIL the requeued job met a stale claim"; failed=1; }

if [ $failed -eq 0 ]; then echo "slurm_jobs: 3 passed, 0 failed"; else echo "slurm_jobs: 0 passed, 1 failed"; fi
exit $failed
