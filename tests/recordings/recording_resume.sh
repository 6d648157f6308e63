#!/bin/sh
# recording_resume.sh REPDRIFT PYTHON TESTS_DIR FILES_DIR WORKDIR
# A recording sweep (six files of FILES_DIR/resume.yaml, ~0.3 s a point) interrupted part-way, by
# SIGTERM (stops after the current point: exit 75, archive "interrupted") and by SIGKILL (no chance
# to clean up: archive "running", its claim left stale), then continued with the same command plus
# -resume (and -break_lock after the kill), must give an
# archive identical to an uninterrupted run; every point marked done in the interrupted archive is
# already identical. A -resume that changes the recordings is refused and leaves the file untouched.
set -u
exe=$1; python=$2; tests=$3; files=$4; work=$5
rm -rf "$work"; mkdir -p "$work"
options="-options_file $files/resume.yaml -write_interval 0"
passed=0; failed=0
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

"$exe" $options -output "$work/reference.h5" > "$work/reference.log" 2>&1 || { echo "reference run failed"; cat "$work/reference.log"; exit 1; }

for signal in TERM KILL; do
  name="interrupted_$signal"
  : > "$work/$name.log"
  "$exe" $options -output "$work/$name.h5" >> "$work/$name.log" 2>&1 &
  pid=$!
  deadline=$(( $(date +%s) + 60 ))
  while [ "$(grep -c '^\[' "$work/$name.log" 2>/dev/null || true)" -lt 1 ] && kill -0 $pid 2>/dev/null && [ "$(date +%s)" -lt $deadline ]; do sleep 0.02; done
  kill -s $signal $pid 2>/dev/null
  wait $pid; code=$?
  done_points=$("$python" -c "import h5py; print(int((h5py.File('$work/$name.h5', 'r')['/sweep/status'][:] == 1).sum()))" 2>&1)
  status=$("$python" -c "import h5py; print(h5py.File('$work/$name.h5', 'r').attrs['status'])" 2>&1)
  if [ "$signal" = TERM ]; then
    [ $code -eq 75 ] && [ "$status" = interrupted ] || fail "$name: exit $code, status '$status' (expected 75, interrupted)"
  else
    [ "$status" = running ] || fail "$name: status '$status' (expected running: killed)"
  fi
  [ "$done_points" -ge 1 ] && [ "$done_points" -lt 6 ] || fail "$name: $done_points of 6 points done when interrupted (expected 1 to 5)"
  "$python" "$tests/python/compare_done_points.py" "$work/reference.h5" "$work/$name.h5" > "$work/$name.partial.txt" 2>&1 || fail "$name: a point marked done differs from the uninterrupted run"
  resume_options=""
  [ "$signal" = KILL ] && resume_options=-break_lock  # a killed writer leaves its claim on the archive
  "$exe" $options -output "$work/$name.h5" -resume $resume_options > "$work/$name.resume.log" 2>&1 || { fail "$name: -resume failed"; tail -3 "$work/$name.resume.log"; continue; }
  grep -q "This run computes $((6 - done_points)) of them" "$work/$name.resume.log" || fail "$name: -resume did not compute exactly the $((6 - done_points)) unfinished points"
  if "$python" "$tests/python/compare_archives.py" "$work/reference.h5" "$work/$name.h5" > "$work/$name.compare.txt" 2>&1; then
    echo "ok   $name ($done_points of 6 points done when interrupted; resumed: identical to the uninterrupted run)"; passed=$((passed + 1))
  else
    fail "$name: resumed archive differs"; tail -3 "$work/$name.compare.txt"
  fi
done

# other recordings than the archive's: refused in one line, the archive untouched
. "$tests/user_error.sh"
before=$(md5sum < "$work/reference.h5")
first=$(sed -n 's/^recordings: \([^,]*\),.*/\1/p' "$files/resume.yaml")
expect_user_error "resume with other recordings" repdrift "different options" "$exe" -model recording -recordings "$first" -output "$work/reference.h5" -resume || fail "resume with other recordings"
[ "$(md5sum < "$work/reference.h5")" = "$before" ] || fail "the refused -resume modified the archive"

echo "recording_resume: $passed passed, $failed failed"
[ $failed -eq 0 ]
