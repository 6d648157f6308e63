#!/bin/sh
# kill_resume.sh REPDRIFT PYTHON TESTS_DIR WORKDIR
# A run killed part-way (SIGKILL: no chance to clean up; SIGTERM: stops after the current point),
# then -resume, must give an archive identical to an uninterrupted run. Several kill times each.
set -u
exe=$1; python=$2; tests=$3; work=$4
rm -rf "$work"; mkdir -p "$work"
options="-sweep_frequency 0.3,0.6 -sweep_dropout 0,0.2 -sweep_width 8,12 -sweep_seeds 4 -burnin_steps 60000 -days 3 -steps_per_day 1000 -probe_samples 40"
passed=0; failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

"$exe" $options -output "$work/reference.h5" > "$work/reference.log" 2>&1 || { echo "reference run failed"; cat "$work/reference.log"; exit 1; }

# run_until_done_then_kill SIGNAL POINTS_DONE NAME: start a run, wait for that many progress lines,
# send the signal, wait for the process.
run_and_kill() {
  signal=$1; points=$2; name=$3
  # the log exists before the run starts: the backgrounded redirection may not have happened yet
  # when the loop below first reads it (a missing log used to read as "no count" and killed at once)
  : > "$work/$name.log"
  "$exe" $options -output "$work/$name.h5" >> "$work/$name.log" 2>&1 &
  pid=$!
  deadline=$(( $(date +%s) + 60 ))
  while [ "$(grep -c '^\[' "$work/$name.log" 2>/dev/null || true)" -lt "$points" ] && kill -0 $pid 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do sleep 0.05; done
  kill -s "$signal" $pid 2>/dev/null
  wait $pid; code=$?
}

for signal in KILL TERM USR1; do
  for points in 1 5 12; do  # of 32 points: the kill lands well before the end even on a loaded machine
    name="killed_${signal}_after_${points}"
    run_and_kill $signal $points $name
    status=$("$python" -c "import h5py; print(h5py.File('$work/$name.h5', 'r').attrs['status'])" 2>&1)
    done_points=$("$python" -c "import h5py; print(int((h5py.File('$work/$name.h5', 'r')['/sweep/status'][:] == 1).sum()))" 2>&1)
    if [ "$signal" != KILL ]; then
      [ $code -eq 75 ] || fail "$name: exit code $code, expected 75 (interrupted)"
      [ "$status" = interrupted ] || fail "$name: root status '$status', expected interrupted"
    else
      [ "$status" = running ] || fail "$name: root status '$status', expected running (killed, never finished)"
    fi
    # every point marked done in the killed archive is already identical to the reference
    "$python" "$tests/python/compare_done_points.py" "$work/reference.h5" "$work/$name.h5" > "$work/$name.partial.txt" 2>&1 || fail "$name: a point marked done differs from the reference"
    resume_options=""
    if [ "$signal" = KILL ]; then
      # a killed writer leaves its claim: -resume names it as stale, -break_lock takes it over
      [ -f "$work/$name.h5.lock" ] || fail "$name: the killed run left no claim record"
      "$exe" $options -output "$work/$name.h5" -resume > "$work/$name.stale.log" 2>&1
      [ $? -eq 2 ] && grep -q "stale claim" "$work/$name.stale.log" || fail "$name: -resume over a killed run's claim was not refused as stale"
      resume_options=-break_lock
    else
      [ ! -f "$work/$name.h5.lock" ] || fail "$name: an interrupted run left its claim behind"
    fi
    "$exe" $options -output "$work/$name.h5" -resume $resume_options > "$work/$name.resume.log" 2>&1 || { fail "$name: -resume failed"; tail -5 "$work/$name.resume.log"; continue; }
    [ ! -f "$work/$name.h5.lock" ] || fail "$name: the resumed run left its claim behind"
    if "$python" "$tests/python/compare_archives.py" "$work/reference.h5" "$work/$name.h5" > "$work/$name.compare.txt" 2>&1; then
      echo "ok   $name ($done_points points done when killed, resumed, identical to the uninterrupted run)"; passed=$((passed + 1))
    else
      fail "$name: resumed archive differs"; tail -5 "$work/$name.compare.txt"
    fi
  done
done

# -resume with different options, or on something that is not a repdrift archive, is refused (a
# user error: one line naming what differs, exit 2) and leaves the file untouched
. "$tests/user_error.sh"
cp "$work/reference.h5" "$work/other.h5"; before=$(md5sum < "$work/other.h5")
expect_user_error "resume with a different -lr" repdrift 'different options (archive: "-sweep_lr 0.02", this run: "-sweep_lr 0.01")' "$exe" $options -lr 0.01 -output "$work/other.h5" -resume || fail "resume with a different -lr"
[ "$(md5sum < "$work/other.h5")" = "$before" ] || fail "refused resume modified the archive"
echo "not an archive" > "$work/text.h5"
expect_user_error "resume of a text file" repdrift "cannot be resumed" "$exe" $options -output "$work/text.h5" -resume || fail "resume of a text file"
expect_user_error "resume of a missing file" repdrift "there is no archive" "$exe" $options -output "$work/missing.h5" -resume || fail "resume of a missing file"
[ $failed -eq 0 ] && passed=$((passed + 1))

echo "kill_resume: $passed passed, $failed failed"
[ $failed -eq 0 ]
