# repdrift -version / --version, checked against the versions CMake found (cmake/Dependencies.cmake).
add_test(NAME repdrift_version
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cluster/version.sh $<TARGET_FILE:repdrift> ${PROJECT_VERSION}
          ${PETSC_VERSION} ${SLEPC_VERSION} ${HDF5_VERSION} ${MPI_C_VERSION})
set_tests_properties(repdrift_version PROPERTIES LABELS "integration;cluster")

# The cluster path (README "On a cluster"): as an unprivileged user, PETSc and SLEPc from Lmod modules
# (PETSC_DIR/PETSC_ARCH, SLEPC_DIR) with pkg-config's default path hidden; configure, build, install
# into a prefix, run the small sweep on 2 ranks through the installed jobs/sweep.sbatch: the archive
# equals the in-tree build's (small_2ranks). Needs root (creates and removes the user); skipped otherwise.
if(TEST mpi_sweep_2_ranks)
  add_test(NAME cluster_build_install
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/cluster/cluster_build.sh ${PROJECT_SOURCE_DIR} ${REPDRIFT_PYTHON}
            ${REPDRIFT_TEST_DIR}/small_2ranks.h5 ${CMAKE_CURRENT_SOURCE_DIR}/configs/small.yaml)
  set_tests_properties(cluster_build_install PROPERTIES LABELS cluster FIXTURES_REQUIRED small_2ranks
    PROCESSORS 2 SKIP_RETURN_CODE 77 TIMEOUT 300)
endif()
