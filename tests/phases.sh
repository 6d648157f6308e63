#!/bin/sh
# phases.sh REPDRIFT PYTHON TESTS_DIR WORKDIR MPIEXEC RANKS RAN STAGE [OPTIONS...]
# Runs repdrift with -log_view on RANKS ranks and checks where the time went
# (tests/python/check_phases.py): the archive's /sweep/phase_seconds sums to the wall time of
# every done point, the points spent time in every phase of RAN (a comma list), and -log_view
# lists those phases' events, the collective rounds' (write_wait, archive_write, progress_wait:
# a point's time holds the rounds its rank joined while it ran, which may be none), and the
# stage "Protocol STAGE".
set -u
exe=$1; python=$2; tests=$3; work=$4; mpiexec=$5; ranks=$6; ran=$7; stage=$8; shift 8
mkdir -p "$work"
"$mpiexec" -n "$ranks" "$exe" "$@" -overwrite -output "$work/run.h5" -log_view > "$work/run.log" 2>&1 || { echo "FAIL: repdrift exited with $?"; tail -20 "$work/run.log"; exit 1; }
"$python" "$tests/python/check_phases.py" "$work/run.h5" --ran "$ran" --log "$work/run.log" --also-logged write_wait,archive_write,progress_wait --stage "$stage"
