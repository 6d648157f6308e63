#!/bin/sh
# cluster_build.sh SOURCE_DIR PYTHON REFERENCE.h5 CONFIG
# The README's "On a cluster" path on this machine. An unprivileged user (created here) has PETSc and
# SLEPc only through Lmod modules (generated here, pointing at Debian's /usr/lib/petscdir and
# /usr/lib/slepcdir) and pkg-config's default search path hidden. In a login shell it loads the
# modules, configures a copy of the sources, builds the programs (-j 2), installs them into a prefix
# in its home, deletes the sources and the build tree, and runs CONFIG on 2 ranks through the
# installed jobs/sweep.sbatch (an `srun` stand-in runs mpirun) from a directory without a build tree.
# Asserts:
#   - configure with PETSC_DIR (then SLEPC_DIR) at a directory without the package fails, naming it;
#   - configure says it took PETSc from PETSC_DIR+PETSC_ARCH and SLEPc from SLEPC_DIR;
#   - the installed programs keep the module's library directory as run path;
#   - the installed repdrift -version names the module's PETSc and SLEPc versions (their .pc files);
#   - the archive equals REFERENCE (the in-tree build's archive of the same options), dataset by dataset;
#   - nothing is left behind: the user's files, processes and account are removed on exit (trap), and
#     the account databases end byte-identical to before.
# Needs root (useradd); exits 77 (skipped) otherwise.
set -u
source_dir=$1; python=$2; reference=$3; config=$4
if [ "$(id -u)" -ne 0 ]; then echo "cluster_build: needs root to create a user; skipped"; exit 77; fi
for tool in useradd userdel setpriv readelf; do
  command -v $tool > /dev/null || { echo "FAIL cluster_build: $tool is missing"; exit 1; }
done
[ -f /etc/profile.d/lmod.sh ] || { echo "FAIL cluster_build: Lmod is not installed (jobs/install-deps.sh installs lmod)"; exit 1; }
petsc_arch_dir=$(ls -d /usr/lib/petscdir/petsc[0-9]*/*-real 2> /dev/null | head -n 1)
slepc_prefix=$(ls -d /usr/lib/slepcdir/slepc[0-9]*/*-real 2> /dev/null | head -n 1)
[ -n "$petsc_arch_dir" ] && [ -n "$slepc_prefix" ] || { echo "FAIL cluster_build: no PETSc/SLEPc under /usr/lib/petscdir, /usr/lib/slepcdir"; exit 1; }
petsc_dir=${petsc_arch_dir%/*}; petsc_arch=${petsc_arch_dir##*/}
petsc_version=$(sed -n 's/^Version: *//p' "$petsc_arch_dir/lib/pkgconfig/PETSc.pc")
slepc_version=$(sed -n 's/^Version: *//p' "$slepc_prefix/lib/pkgconfig/SLEPc.pc")

user=rdcluster$$
account_files="/etc/passwd /etc/group /etc/shadow /etc/gshadow /etc/subuid /etc/subgid"
tmp=$(mktemp -d /tmp/repdrift-cluster.XXXXXX) || exit 1
chmod 0755 "$tmp" # the user enters it to reach its home; root's own files stay in $tmp/root (0700)
mkdir -m 0700 "$tmp/root"
home=$tmp/home
# The account databases and shadow's backups (useradd and userdel rewrite /etc/passwd- etc.): saved
# here, the backups restored on exit, and everything compared.
for f in $account_files; do
  for g in "$f" "$f-"; do
    [ -e "$g" ] && cp -p "$g" "$tmp/root/$(basename "$g")"
  done
done

finish() {
  code=$?
  if [ -n "${uid:-}" ]; then
    pkill -KILL -U "$uid" 2> /dev/null # only this test's user: a failed mpirun may leave ranks
    sleep 0.5
    userdel "$user" 2> /dev/null
    getent group "$user" > /dev/null && groupdel "$user"
    for dir in /dev/shm /tmp /var/tmp; do find "$dir" -xdev -maxdepth 1 -uid "$uid" ! -path "$tmp" -exec rm -rf {} + 2> /dev/null; done
  fi
  for f in $account_files; do
    if [ -e "$tmp/root/$(basename "$f")-" ]; then cp -p "$tmp/root/$(basename "$f")-" "$f-"; else rm -f "$f-"; fi
    if [ -e "$f" ] && ! cmp -s "$f" "$tmp/root/$(basename "$f")"; then
      echo "FAIL cluster_build: $f differs from before the test"; code=1
    fi
  done
  if [ -n "${uid:-}" ] && [ -n "$(find /dev/shm /tmp /var/tmp -xdev -maxdepth 1 -uid "$uid" ! -path "$tmp" 2> /dev/null)" ]; then
    echo "FAIL cluster_build: files of the test user left outside its temp dir"; code=1
  fi
  rm -rf "$tmp"
  exit $code
}
trap finish EXIT
trap 'exit 1' INT TERM HUP

# -l: no lastlog/faillog entry; no subordinate ids (/etc/subuid); no home created by useradd
useradd -l -M -d "$home" -s /bin/bash -U -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 "$user" || { echo "FAIL cluster_build: useradd $user"; exit 1; }
uid=$(id -u "$user")
mkdir -m 0700 "$home" "$home/src"
# the sources as a user would have them: a copy in the home (no .git: the revision reads "unknown")
for item in CMakeLists.txt cmake include src tests jobs bench python; do
  [ -e "$source_dir/$item" ] && cp -R "$source_dir/$item" "$home/src/"
done
cp "$config" "$home/sweep.yaml"
chown -R "$user:$user" "$home"

# Lmod module files, as a site would write them: PETSc addressed as a PETSc build tree (PETSC_DIR +
# PETSC_ARCH), SLEPc by its installation prefix.
mkdir -p "$tmp/modulefiles/petsc" "$tmp/modulefiles/slepc" "$tmp/no-pkgconfig" "$tmp/bin"
cat > "$tmp/modulefiles/petsc/$petsc_version.lua" <<EOF
whatis("PETSc $petsc_version (Debian's, as PETSC_DIR + PETSC_ARCH)")
setenv("PETSC_DIR", "$petsc_dir")
setenv("PETSC_ARCH", "$petsc_arch")
prepend_path("LD_LIBRARY_PATH", pathJoin("$petsc_dir", "$petsc_arch", "lib"))
EOF
cat > "$tmp/modulefiles/slepc/$slepc_version.lua" <<EOF
whatis("SLEPc $slepc_version (Debian's, by its installation prefix)")
prereq("petsc")
setenv("SLEPC_DIR", "$slepc_prefix")
prepend_path("LD_LIBRARY_PATH", pathJoin("$slepc_prefix", "lib"))
EOF
# srun stand-in: the installed sweep.sbatch runs its step with `srun --mpi=pmix PROGRAM ...`
cat > "$tmp/bin/srun" <<'EOF'
#!/bin/sh
[ "${1:-}" = --mpi=pmix ] && shift
exec mpirun -n 2 "$@"
EOF
chmod 0755 "$tmp/bin/srun"
chmod -R a+rX "$tmp/modulefiles" "$tmp/bin" "$tmp/no-pkgconfig"

# What the user types, in a login shell (which defines `module`).
cat > "$tmp/user.sh" <<'EOF'
set -u
tmp=$1; petsc_version=$2; slepc_version=$3
prefix=$HOME/opt/repdrift
fail() { echo "FAIL $*"; exit 1; }
command -v module > /dev/null 2>&1 || fail "Lmod's module command is not defined in a login shell"
export PKG_CONFIG_LIBDIR=$tmp/no-pkgconfig # pkg-config's default search path hidden
pkg-config --exists PETSc && fail "pkg-config finds PETSc without the module"
module use "$tmp/modulefiles"
module load petsc slepc || fail "module load petsc slepc"
echo "cluster_build: module load petsc slepc: PETSC_DIR=$PETSC_DIR PETSC_ARCH=$PETSC_ARCH SLEPC_DIR=$SLEPC_DIR"
cd "$HOME"
mkdir empty
for variable in PETSC_DIR SLEPC_DIR; do
  env "$variable=$HOME/empty" cmake -S src -B build-empty > empty.log 2>&1 && fail "configure with $variable=$HOME/empty succeeded"
  tr -s ' \n' '  ' < empty.log | grep -q "$variable=$HOME/empty does not contain" || { cat empty.log; fail "configure with $variable=$HOME/empty: no message naming $variable"; }
  rm -rf build-empty
done
echo "cluster_build: configure with PETSC_DIR or SLEPC_DIR at an empty directory stops and names it"
cmake -S src -B build -DCMAKE_BUILD_TYPE=Release > configure.log 2>&1 || { cat configure.log; fail "configure"; }
grep "^-- repdrift:" configure.log
grep -q "^-- repdrift: PETSc $petsc_version from PETSC_DIR=$PETSC_DIR PETSC_ARCH=$PETSC_ARCH " configure.log || fail "configure did not take PETSc from PETSC_DIR + PETSC_ARCH"
grep -q "^-- repdrift: SLEPc $slepc_version from SLEPC_DIR=$SLEPC_DIR " configure.log || fail "configure did not take SLEPc from SLEPC_DIR"
cmake --build build -j 2 --target repdrift repdrift-report repdrift-merge repdrift-kappa repdrift-recording-check > build.log 2>&1 || { tail -n 30 build.log; fail "build"; }
cmake --install build --prefix "$prefix" > install.log 2>&1 || { cat install.log; fail "install"; }
rm -rf src build # the installed tree stands alone
for program in repdrift repdrift-report repdrift-merge repdrift-kappa; do
  [ -x "$prefix/bin/$program" ] || fail "$prefix/bin/$program not installed"
done
readelf -d "$prefix/bin/repdrift" | grep -E "RUNPATH|RPATH" | grep -q "$PETSC_DIR/$PETSC_ARCH/lib" || fail "the installed repdrift lost the run path to PETSc's libraries"
PYTHONPATH=$prefix/lib/repdrift/python python3 -c "import repdrift" || fail "the installed Python package does not import"
[ -x "$prefix/bin/repdrift-plot" ] || fail "$prefix/bin/repdrift-plot not installed"
"$prefix/bin/repdrift" -version > version.txt || fail "repdrift -version exit status"
cat version.txt
grep -q "^built with PETSc: $petsc_version$" version.txt || fail "-version does not name PETSc $petsc_version"
grep -q "^built with SLEPc: $slepc_version$" version.txt || fail "-version does not name SLEPc $slepc_version"
mkdir run && cd run
PATH=$tmp/bin:$PATH REPDRIFT_CONFIG=$HOME/sweep.yaml REPDRIFT_OUTPUT=$HOME/run/sweep.h5 \
  bash "$prefix/share/repdrift/jobs/sweep.sbatch" > sweep.out 2>&1 || { tail -n 30 sweep.out; fail "the installed jobs/sweep.sbatch"; }
grep -q "final_loss" sweep.out || { tail -n 30 sweep.out; fail "the installed sweep.sbatch did not run the installed repdrift-report"; }
"$prefix/bin/repdrift-plot" "$HOME/run/sweep.h5" -o figures > plot.out 2>&1 || { cat plot.out; fail "the installed repdrift-plot"; }
[ -s figures/index.html ] || fail "the installed repdrift-plot wrote no index.html"
echo "cluster_build: installed sweep.sbatch ran $(grep -c '^\[' sweep.out) progress lines, report printed"
EOF
chmod 0644 "$tmp/user.sh"

start=$(date +%s)
env -i HOME="$home" USER="$user" LOGNAME="$user" SHELL=/bin/bash PATH=/usr/bin:/bin TMPDIR="$home" \
  OMPI_MCA_btl_vader_single_copy_mechanism=none OMPI_MCA_rmaps_base_oversubscribe=1 HDF5_USE_FILE_LOCKING=FALSE \
  setpriv --reuid="$user" --regid="$user" --init-groups bash --login "$tmp/user.sh" "$tmp" "$petsc_version" "$slepc_version" &
wait $! # (in the background, so that INT/TERM run the cleanup at once)
code=$?
echo "cluster_build: as user $user, $(( $(date +%s) - start )) s"
[ $code -eq 0 ] || exit 1
"$python" "$source_dir/tests/python/compare_archives.py" "$reference" "$home/run/sweep.h5" > "$tmp/root/compare.txt" 2>&1
code=$?
tail -n 1 "$tmp/root/compare.txt"
[ $code -eq 0 ] || { grep FAIL "$tmp/root/compare.txt" | head -5; echo "FAIL the installed build's archive differs from the in-tree build's"; exit 1; }
echo "cluster_build: passed"
