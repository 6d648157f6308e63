# Where the dependencies come from. Nothing is vendored; every one can come from Debian's packages
# (README, "Two commands") or from a cluster's modules / Spack tree (README, "On a cluster"):
#   PETSc  PETSC_DIR (+ PETSC_ARCH for a PETSc source-tree build) when set, as a CMake variable
#          (-DPETSC_DIR=) or in the environment: the PETSc.pc in PETSC_DIR[/PETSC_ARCH]/lib/pkgconfig
#          (Debian layout: PETSC_DIR=/usr/lib/petscdir/petsc3.18/x86_64-linux-gnu-real, or
#          PETSC_DIR=/usr/lib/petscdir/petsc3.18 PETSC_ARCH=x86_64-linux-gnu-real); otherwise the
#          PETSc.pc on pkg-config's search path.
#   SLEPc  SLEPC_DIR likewise: SLEPC_DIR[/PETSC_ARCH]/lib/pkgconfig, otherwise pkg-config.
#   MPI    CMake's FindMPI: the mpicc on PATH, or MPI_HOME (variable or environment), or -DMPI_C_COMPILER=.
#   HDF5   CMake's FindHDF5, parallel preferred: the h5pcc on PATH, or HDF5_ROOT (variable or environment).
# PETSC_DIR, PETSC_ARCH and SLEPC_DIR, once found in the environment, are kept in the cache, so a
# later rebuild from a shell without the modules loaded still uses them.
#
# Minimum versions: those of Debian bookworm, the oldest tested (PETSc 3.18, SLEPc 3.18, HDF5 1.10);
# MPI: the 3.0 standard (MPI_Comm_split_type, MPI_Get_library_version).
set(REPDRIFT_MIN_PETSC 3.18)
set(REPDRIFT_MIN_SLEPC 3.18)
set(REPDRIFT_MIN_HDF5 1.10)
set(REPDRIFT_MIN_MPI 3.0)

find_package(PkgConfig REQUIRED)

# A location hint: -DNAME= or the value a successful configure cached, else the environment's NAME.
function(repdrift_location_hint name)
  if(DEFINED CACHE{${name}})
    if(NOT "$ENV{${name}}" STREQUAL "" AND NOT "$ENV{${name}}" STREQUAL "${${name}}")
      message(WARNING "repdrift: the environment's ${name}=$ENV{${name}} is ignored: this build directory "
        "was configured with ${name}=\"${${name}}\". Use a fresh build directory, or -D${name}=$ENV{${name}}.")
    endif()
  else()
    set(${name} "$ENV{${name}}" PARENT_SCOPE)
  endif()
endfunction()
repdrift_location_hint(PETSC_DIR)
repdrift_location_hint(PETSC_ARCH)
repdrift_location_hint(SLEPC_DIR)

# repdrift_petsc_style_package(NAME DIR_VAR PREFIX): finds NAME (PETSc or SLEPc) in the directory
# DIR_VAR names, else on pkg-config's search path, with pkg_check_modules(PREFIX ...) and the imported
# target PkgConfig::PREFIX; prints where it came from. A DIR_VAR without NAME is a configure error.
function(repdrift_petsc_style_package name dir_var prefix min_version)
  set(dir "${${dir_var}}")
  set(module ${name})
  if(NOT dir STREQUAL "")
    set(candidates)
    if(NOT PETSC_ARCH STREQUAL "")
      list(APPEND candidates "${dir}/${PETSC_ARCH}/lib/pkgconfig")
    endif()
    list(APPEND candidates "${dir}/lib/pkgconfig")
    string(TOLOWER ${name} lower)
    set(pc_dir "")
    foreach(candidate IN LISTS candidates)
      foreach(file ${name} ${lower}) # PETSc ships PETSc.pc and petsc.pc (older releases only one)
        if(pc_dir STREQUAL "" AND EXISTS "${candidate}/${file}.pc")
          set(pc_dir "${candidate}")
          set(module ${file})
        endif()
      endforeach()
    endforeach()
    if(pc_dir STREQUAL "")
      list(JOIN candidates " nor in " tried)
      message(FATAL_ERROR "${dir_var}=${dir} does not contain ${name}: no ${name}.pc in ${tried}. "
        "Set ${dir_var} to ${name}'s installation prefix (or its source tree, with PETSC_ARCH; loading "
        "its module usually does), or unset ${dir_var} to use pkg-config's search path.")
    endif()
    # pkg-config searches PKG_CONFIG_PATH (here: this configure run's environment only) before its
    # default path; SLEPc.pc requires PETSc.pc, so the PETSc directory, added first, stays on it.
    if("$ENV{PKG_CONFIG_PATH}" STREQUAL "")
      set(ENV{PKG_CONFIG_PATH} "${pc_dir}")
    else()
      set(ENV{PKG_CONFIG_PATH} "${pc_dir}:$ENV{PKG_CONFIG_PATH}")
    endif()
    set(source "${dir_var}=${dir}")
    if(NOT PETSC_ARCH STREQUAL "" AND pc_dir STREQUAL "${dir}/${PETSC_ARCH}/lib/pkgconfig")
      set(source "${source} PETSC_ARCH=${PETSC_ARCH}")
    endif()
  else()
    set(source "pkg-config's search path")
  endif()
  # A build directory first configured against another location: forget the cached pkg-config
  # results (FindPkgConfig keeps the check and the library paths in the cache).
  if(DEFINED CACHE{REPDRIFT_${prefix}_SOURCE} AND NOT "${REPDRIFT_${prefix}_SOURCE}" STREQUAL "${source}")
    message(STATUS "repdrift: ${name} location changed (was ${REPDRIFT_${prefix}_SOURCE}): looking again")
    get_property(cached DIRECTORY PROPERTY CACHE_VARIABLES)
    foreach(variable IN LISTS cached)
      if(variable MATCHES "^(__pkg_config_checked_${prefix}|pkgcfg_lib_${prefix}_.*|REPDRIFT_${prefix}_PC)$")
        unset(${variable} CACHE)
      endif()
    endforeach()
  endif()
  set(REPDRIFT_${prefix}_SOURCE "${source}" CACHE INTERNAL "where ${name} was found")
  pkg_check_modules(${prefix} QUIET IMPORTED_TARGET GLOBAL "${module}>=${min_version}")
  if(NOT ${prefix}_FOUND)
    execute_process(COMMAND ${PKG_CONFIG_EXECUTABLE} --modversion ${module} OUTPUT_VARIABLE found_version
                    OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET)
    if(found_version)
      message(FATAL_ERROR "repdrift needs ${name} >= ${min_version}; ${source} has ${name} ${found_version}.")
    endif()
    message(FATAL_ERROR "${name} not found on pkg-config's search path (PKG_CONFIG_PATH=$ENV{PKG_CONFIG_PATH}). "
      "Set ${dir_var} to ${name}'s installation prefix (loading its module usually does), or install "
      "it (Debian: jobs/install-deps.sh).")
  endif()
  pkg_get_variable(pc_file_dir ${module} pcfiledir) # empty when pkg_check_modules answered from the cache
  if(pc_file_dir)
    set(REPDRIFT_${prefix}_PC "${pc_file_dir}/${module}.pc" CACHE INTERNAL "the .pc file ${name} was found by")
  endif()
  message(STATUS "repdrift: ${name} ${${prefix}_VERSION} from ${source} (${REPDRIFT_${prefix}_PC}, prefix ${${prefix}_PREFIX})")
endfunction()

# PETSc and SLEPc first: a wrong PETSC_DIR fails at once, before the slower MPI and HDF5 checks.
# PETSc.pc carries no MPI flags: MPI::MPI_C is linked explicitly by the targets.
repdrift_petsc_style_package(PETSc PETSC_DIR PETSC ${REPDRIFT_MIN_PETSC})
# repdrift passes double arrays to PETSc and SLEPc as PetscScalar/PetscReal: real double only.
foreach(include_dir IN LISTS PETSC_INCLUDE_DIRS PETSC_INCLUDEDIR)
  if(EXISTS "${include_dir}/petscconf.h")
    file(STRINGS "${include_dir}/petscconf.h" petsc_precision REGEX "^#define PETSC_USE_(COMPLEX|REAL_DOUBLE) ")
    if(NOT petsc_precision MATCHES "PETSC_USE_REAL_DOUBLE" OR petsc_precision MATCHES "PETSC_USE_COMPLEX")
      message(FATAL_ERROR "repdrift needs a PETSc with real double scalars (--with-scalar-type=real "
        "--with-precision=double); ${include_dir}/petscconf.h is not (${petsc_precision}). Load a "
        "real double PETSc (Debian: the -real packages).")
    endif()
    break()
  endif()
endforeach()
repdrift_petsc_style_package(SLEPc SLEPC_DIR SLEPC ${REPDRIFT_MIN_SLEPC})
# Found: remember the locations taken from the environment (a failed configure remembers nothing,
# so that the next one reads the corrected environment).
foreach(name PETSC_DIR PETSC_ARCH SLEPC_DIR)
  if(NOT DEFINED CACHE{${name}} AND NOT "${${name}}" STREQUAL "")
    set(${name} "${${name}}" CACHE STRING "${name} this build directory was configured with (empty: pkg-config's search path)")
  endif()
endforeach()

find_package(MPI ${REPDRIFT_MIN_MPI} REQUIRED COMPONENTS C)
list(GET MPI_C_LIBRARIES 0 mpi_library)
if(MPI_C_COMPILER)
  set(mpi_via "wrapper ${MPI_C_COMPILER}, ")
endif()
message(STATUS "repdrift: MPI ${MPI_C_VERSION} (${mpi_via}${mpi_library}); launcher ${MPIEXEC_EXECUTABLE}")

# Without HDF5_PREFER_PARALLEL a machine that also has serial libhdf5-dev silently gets the
# serial library while PETSc links the MPI one: two HDF5s in one process.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 ${REPDRIFT_MIN_HDF5} REQUIRED COMPONENTS C HL)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "repdrift needs parallel HDF5 (Debian: libhdf5-openmpi-dev; elsewhere the h5pcc "
    "on PATH or HDF5_ROOT); found a serial HDF5 at ${HDF5_INCLUDE_DIRS}")
endif()
message(STATUS "repdrift: parallel HDF5 ${HDF5_VERSION} (${HDF5_INCLUDE_DIRS})")
# One interface target with the C and high-level (dimension scales) libraries.
add_library(repdrift_hdf5 INTERFACE)
target_include_directories(repdrift_hdf5 INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(repdrift_hdf5 INTERFACE ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES})
target_compile_definitions(repdrift_hdf5 INTERFACE ${HDF5_DEFINITIONS})

# LAPACK for the slow reference implementations and the small dense solves.
find_package(LAPACK REQUIRED)

# zlib for the gzip-compressed IDX files of Fashion-MNIST (src/idx.c).
find_package(ZLIB REQUIRED)
