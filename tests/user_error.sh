# user_error.sh: sourced by the hostile-input scripts (bad_input.sh, kappa_cli.sh, kill_resume.sh,
# slices_merge.sh). A user error must print exactly one line on stderr, "PROGRAM: message" with the
# message naming what to fix, print it once however many MPI ranks run (mpirun -q: Open MPI's own
# notices off), and exit with status 2 (include/repdrift/errors.h).
#
# expect_user_error NAME PROGRAM EXPECTED_TEXT COMMAND...: runs COMMAND; returns 0 when it exits
# with 2 and its stderr is one line starting "PROGRAM: " that contains EXPECTED_TEXT; otherwise
# prints why (and the output) and returns 1. The caller counts passes and failures.
user_error_out=$(mktemp); user_error_err=$(mktemp)
trap 'rm -f "$user_error_out" "$user_error_err"' EXIT
expect_user_error() {
  ue_name=$1; ue_program=$2; ue_expected=$3; shift 3
  "$@" > "$user_error_out" 2> "$user_error_err"; ue_code=$?
  ue_lines=$(grep -c '' "$user_error_err")
  ue_why=""
  if [ $ue_code -ne 2 ]; then ue_why="exit code $ue_code (expected 2)"
  elif [ "$ue_lines" -ne 1 ]; then ue_why="$ue_lines lines on stderr (expected one)"
  elif ! grep -q "^$ue_program: " "$user_error_err"; then ue_why="stderr does not start with '$ue_program: '"
  elif ! grep -qF -- "$ue_expected" "$user_error_err"; then ue_why="message does not mention '$ue_expected'"
  fi
  if [ -n "$ue_why" ]; then
    echo "FAIL $ue_name: $ue_why"; echo "  stderr:"; head -20 "$user_error_err" | sed 's/^/    /'
    echo "  stdout (tail):"; tail -5 "$user_error_out" | sed 's/^/    /'
    return 1
  fi
  echo "ok   $ue_name (exit 2: $(cat "$user_error_err"))"
  return 0
}
