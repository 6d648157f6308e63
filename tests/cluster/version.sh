#!/bin/sh
# version.sh REPDRIFT PROGRAM_VERSION PETSC_VERSION SLEPC_VERSION HDF5_VERSION MPI_VERSION
# `repdrift -version` and `--version`: exit 0 before PETSc starts (an unknown option beside it is not
# refused), print only the version report, and name the versions CMake found at configure time
# (PETSc and SLEPc from their .pc files, HDF5 and MPI from CMake's FindHDF5 and FindMPI), which are
# read independently of the header macros the program prints.
set -u
repdrift=$1; program=$2; petsc=$3; slepc=$4; hdf5=$5; mpi=$6
failed=0
fail() { echo "FAIL $*"; failed=1; }
out1=$("$repdrift" -version -no_such_option 2>&1) || fail "repdrift -version -no_such_option: exit status $?"
out2=$("$repdrift" --version 2>&1) || fail "repdrift --version: exit status $?"
echo "$out1"
[ "$out1" = "$out2" ] || fail "-version and --version print different reports"
expect() { echo "$out1" | grep -qx "$1" || fail "no line '$1'"; }
expect "repdrift $program"
expect "git revision: *[0-9a-z.-]*"
expect "built with PETSc: $petsc"
expect "built with SLEPc: $slepc"
expect "built with HDF5:  $hdf5 (parallel)"
expect "built with MPI:   $mpi (.*)"
expect "running with MPI: ..*"
stray=$(echo "$out1" | grep -v -e "^repdrift " -e "^git revision: " -e "^built with " -e "^running with MPI: ")
[ -z "$stray" ] && [ -z "$(echo "$out1" | grep -i "error\|petsc option")" ] || fail "other output: $stray"
[ $failed -eq 0 ] && echo "version: 1 passed, 0 failed" || echo "version: 0 passed, 1 failed"
exit $failed
