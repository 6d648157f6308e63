#!/bin/sh
# claim.sh REPDRIFT REPDRIFT_MERGE REPDRIFT_REPORT PYTHON TESTS_DIR WORKDIR
# One writer per archive (include/repdrift/claim.h):
#  - while a run writes an archive (1 and 2 ranks), a second run with -resume, -overwrite,
#    -resume -break_lock, and repdrift-merge onto it are refused (one line naming the holder's PID,
#    exit 2); repdrift-report still reads it and says it is being written; the first run's archive
#    is then identical to an uninterrupted run's and its claim is gone;
#  - a stale claim (a PID that no longer exists) is reported and left alone, then taken over with
#    -break_lock, which the archive's provenance records (-resume and merge alike);
#  - after kill -9 of mpirun, no rank of that run outlives its current point, and -resume (with
#    -break_lock if the claim was left stale) gives the archive of an uninterrupted run.
set -u
exe=$1; merge=$2; report=$3; python=$4; tests=$5; work=$6
rm -rf "$work"; mkdir -p "$work"
. "$tests/user_error.sh"
options="-sweep_frequency 0.3,0.6 -sweep_dropout 0,0.2 -sweep_width 8,12 -sweep_seeds 2 -burnin_steps 200000 -days 3 -steps_per_day 1000 -probe_samples 40"
passed=0; failed=0
ok() { echo "ok   $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }
same_as_reference() { # NAME ARCHIVE
  if "$python" "$tests/python/compare_archives.py" "$work/reference.h5" "$2" > "$2.compare.txt" 2>&1; then ok "$1: identical to the uninterrupted run"
  else fail "$1: differs from the uninterrupted run"; grep FAIL "$2.compare.txt" | head -3; fi
}
# wait_for_progress LOG N PID: until the log has N progress lines (or the run ended, or 60 s)
wait_for_progress() {
  deadline=$(( $(date +%s) + 60 ))
  while [ "$(grep -c '^\[' "$1" 2>/dev/null || true)" -lt "$2" ] && kill -0 "$3" 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do sleep 0.05; done
}
holder_pid() { sed -n 's/^pid=//p' "$1.lock" 2>/dev/null; }

mpirun -q -n 2 "$exe" $options -output "$work/reference.h5" > "$work/reference.log" 2>&1 || { echo "reference run failed"; cat "$work/reference.log"; exit 1; }

# ---- a second writer while the first writes ----
for ranks in 1 2; do
  archive=$work/busy$ranks.h5
  : > "$work/busy$ranks.log"
  mpirun -q -n $ranks "$exe" $options -output "$archive" >> "$work/busy$ranks.log" 2>&1 &
  first=$!
  wait_for_progress "$work/busy$ranks.log" 1 $first
  # hold the first run (its ranks and mpirun) where it is, mid-sweep, while the others try: stopped
  # processes are alive and keep their claim, and the checks do not race the end of the sweep
  pkill -STOP -f -- "-output $archive"
  pid=$(holder_pid "$archive")
  if [ -z "$pid" ] || ! kill -0 $first 2>/dev/null; then fail "$ranks rank(s): the first run holds no claim while it writes (or ended too soon)"; pkill -CONT -f -- "-output $archive"; wait $first; continue; fi
  for second in 1 2; do
    expect_user_error "$ranks-rank writer, a $second-rank -resume" repdrift "is in use by another repdrift run (host $(hostname), PID $pid," \
      mpirun -q -n $second "$exe" $options -output "$archive" -resume && passed=$((passed + 1)) || failed=$((failed + 1))
  done
  expect_user_error "$ranks-rank writer, -overwrite" repdrift "PID $pid" "$exe" $options -output "$archive" -overwrite && passed=$((passed + 1)) || failed=$((failed + 1))
  expect_user_error "$ranks-rank writer, -resume -break_lock (a live claim is never broken)" repdrift "PID $pid" "$exe" $options -output "$archive" -resume -break_lock && passed=$((passed + 1)) || failed=$((failed + 1))
  expect_user_error "$ranks-rank writer, repdrift-merge onto it" repdrift-merge "PID $pid" "$merge" "$archive" "$work/reference.h5" && passed=$((passed + 1)) || failed=$((failed + 1))
  if "$report" "$archive" > "$work/busy$ranks.report" 2>&1 && grep -q "is being written (status running; writer: host $(hostname), PID $pid" "$work/busy$ranks.report"; then ok "$ranks-rank writer: repdrift-report reads it and says it is being written"
  else fail "$ranks-rank writer: repdrift-report on the archive in use"; head -5 "$work/busy$ranks.report"; fi
  if PYTHONPATH="$tests/../python" "$python" -W always -c "import repdrift; repdrift.open_archive('$archive', 'task')" 2> "$work/busy$ranks.python" \
     && grep -q "is being written (status running; writer: host $(hostname), PID $pid" "$work/busy$ranks.python"; then ok "$ranks-rank writer: the Python loader reads it and says it is being written"
  else fail "$ranks-rank writer: the Python loader on the archive in use"; head -5 "$work/busy$ranks.python"; fi
  pkill -CONT -f -- "-output $archive"
  wait $first; code=$?
  [ $code -eq 0 ] && ok "$ranks-rank writer finished (exit 0) despite the refused writers" || fail "$ranks-rank writer exit $code"
  [ ! -e "$archive.lock" ] && ok "$ranks-rank writer released its claim" || fail "$ranks-rank writer left $archive.lock"
  same_as_reference "$ranks-rank writer" "$archive"
done

# ---- a stale claim: reported, untouched, broken only with -break_lock ----
dead=$(sh -c 'echo $$') # a process that has exited
write_stale_claim() { printf 'repdrift-claim 1\nhost=%s\npid=%s\nslurm_job_id=\nslurm_restart_count=0\nstarted=2026-01-01T00:00:00+0000\n' "$(hostname)" "$dead" > "$1.lock"; }
"$exe" $options -sweep_slice 0,2 -output "$work/stale.h5" > /dev/null 2>&1 || fail "slice run for the stale test"
write_stale_claim "$work/stale.h5"
before=$(md5sum < "$work/stale.h5")
expect_user_error "stale claim, -resume" repdrift "has a stale claim (host $(hostname), PID $dead" "$exe" $options -output "$work/stale.h5" -resume && passed=$((passed + 1)) || failed=$((failed + 1))
[ "$(md5sum < "$work/stale.h5")" = "$before" ] && [ "$(holder_pid "$work/stale.h5")" = "$dead" ] && ok "stale claim: archive and claim untouched by the refusal" || fail "stale claim: the refusal changed the archive or the claim"
if mpirun -q -n 2 "$exe" $options -output "$work/stale.h5" -resume -break_lock > "$work/stale.log" 2>&1; then
  grep -q "took over the stale claim of host $(hostname), PID $dead" "$work/stale.log" && ok "stale claim: -break_lock says what it took over" || fail "stale claim: -break_lock did not say so"
  [ ! -e "$work/stale.h5.lock" ] && ok "stale claim: released after the resumed run" || fail "stale claim: left behind"
  "$python" -c "import h5py, sys; n = h5py.File('$work/stale.h5', 'r').attrs.get('claim_broken', ''); sys.exit(0 if 'PID $dead' in n else 1)" \
    && ok "stale claim: the archive's provenance (claim_broken) names the broken claim" || fail "stale claim: no claim_broken provenance"
  same_as_reference "stale claim broken, resumed" "$work/stale.h5"
else fail "stale claim: -resume -break_lock failed"; tail -3 "$work/stale.log"; fi
write_stale_claim "$work/merged.h5"
expect_user_error "stale claim, repdrift-merge" repdrift-merge "stale claim" "$merge" "$work/merged.h5" "$work/reference.h5" && passed=$((passed + 1)) || failed=$((failed + 1))
"$merge" -break_lock "$work/merged.h5" "$work/reference.h5" > /dev/null 2>&1 && [ ! -e "$work/merged.h5.lock" ] && ok "stale claim: repdrift-merge -break_lock" || fail "stale claim: repdrift-merge -break_lock"

# ---- kill -9 of mpirun: no rank outlives its current point ----
# Open MPI ends the ranks itself when it notices its launcher is gone (PMIx lost connection: they
# exit at once, leaving a stale claim); ranks that notice first (their parent changed, or their
# output pipe broke) finish their point, mark the archive interrupted and release the claim. Either
# way no rank is left writing, and -resume (with -break_lock where the claim was left stale) gives
# the uninterrupted run's archive.
: > "$work/killed.log"
mpirun -n 2 "$exe" $options -output "$work/killed.h5" >> "$work/killed.log" 2>&1 &
launcher=$!
wait_for_progress "$work/killed.log" 2 $launcher
ranks_alive() { pgrep -f -- "-output $work/killed.h5" | grep -vx "$launcher" | wc -l; }
[ "$(ranks_alive)" -eq 2 ] || fail "kill -9: expected 2 ranks running before the kill"
kill -9 $launcher
start=$(date +%s); deadline=$(( start + 20 )) # a point takes about a second here: 20 s is many points under CI load
while [ "$(ranks_alive)" -gt 0 ] && [ "$(date +%s)" -lt $deadline ]; do sleep 0.1; done
[ "$(ranks_alive)" -eq 0 ] && ok "kill -9 of mpirun: no rank alive after $(( $(date +%s) - start )) s" || { fail "kill -9 of mpirun: ranks still alive 20 s later"; pkill -9 -f -- "-output $work/killed.h5"; }
resume_options=""
if [ -e "$work/killed.h5.lock" ]; then
  expect_user_error "kill -9 of mpirun: the claim the ended ranks left is stale" repdrift "has a stale claim" "$exe" $options -output "$work/killed.h5" -resume && passed=$((passed + 1)) || failed=$((failed + 1))
  resume_options=-break_lock
else
  status=$("$python" -c "import h5py; print(h5py.File('$work/killed.h5', 'r').attrs['status'])")
  [ "$status" = interrupted ] && ok "kill -9 of mpirun: the orphaned ranks stopped after their point (archive interrupted, claim released)" || fail "kill -9 of mpirun: claim released but status '$status'"
fi
if mpirun -q -n 2 "$exe" $options -output "$work/killed.h5" -resume $resume_options > "$work/killed.resume.log" 2>&1; then same_as_reference "kill -9 of mpirun, then -resume $resume_options" "$work/killed.h5"
else fail "kill -9 of mpirun: -resume failed"; tail -3 "$work/killed.resume.log"; fi

echo "claim: $passed passed, $failed failed"
[ $failed -eq 0 ]
