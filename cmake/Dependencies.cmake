# Every dependency comes from Debian's packages (see README); nothing is vendored.
find_package(MPI REQUIRED COMPONENTS C)
find_package(PkgConfig REQUIRED)
# PETSc.pc carries no MPI flags: MPI::MPI_C is linked explicitly by the targets.
pkg_check_modules(PETSC REQUIRED IMPORTED_TARGET PETSc)
pkg_check_modules(SLEPC REQUIRED IMPORTED_TARGET SLEPc)

# Without HDF5_PREFER_PARALLEL a machine that also has serial libhdf5-dev silently gets the
# serial library while PETSc links the MPI one: two HDF5s in one process.
set(HDF5_PREFER_PARALLEL TRUE)
find_package(HDF5 REQUIRED COMPONENTS C HL)
if(NOT HDF5_IS_PARALLEL)
  message(FATAL_ERROR "repdrift needs parallel HDF5 (Debian: libhdf5-openmpi-dev); found a serial HDF5 at ${HDF5_INCLUDE_DIRS}")
endif()
# One interface target with the C and high-level (dimension scales) libraries.
add_library(repdrift_hdf5 INTERFACE)
target_include_directories(repdrift_hdf5 INTERFACE ${HDF5_INCLUDE_DIRS})
target_link_libraries(repdrift_hdf5 INTERFACE ${HDF5_HL_LIBRARIES} ${HDF5_C_LIBRARIES})
target_compile_definitions(repdrift_hdf5 INTERFACE ${HDF5_DEFINITIONS})

# LAPACK for the slow reference implementations and the small dense solves.
find_package(LAPACK REQUIRED)

# zlib for the gzip-compressed IDX files of Fashion-MNIST (src/idx.c).
find_package(ZLIB REQUIRED)
