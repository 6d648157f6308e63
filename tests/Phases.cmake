# Where a sweep's time goes (include/repdrift/phases.h): one point of each model and protocol with
# -log_view. Its events list every phase the point went through, and /sweep/phase_seconds sums to
# the point's wall time within 5 %. The linear point has the default sizes (days, steps, probes;
# width 64 of the default sweep), two of them on two ranks; it enters the theory phase too (the
# drift the theory predicts for the days protocol).
function(repdrift_phases_test name ranks ran stage)
  add_test(NAME phases_${name}
    COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/phases.sh $<TARGET_FILE:repdrift> ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}
            ${REPDRIFT_TEST_DIR}/phases_${name} ${MPIEXEC_EXECUTABLE} ${ranks} ${ran} ${stage} ${ARGN})
  set_tests_properties(phases_${name} PROPERTIES LABELS "integration;phases" ENVIRONMENT "${REPDRIFT_MPI_ENV}" PROCESSORS ${ranks})
endfunction()
set(configs ${CMAKE_CURRENT_SOURCE_DIR}/configs)
repdrift_phases_test(linear 2 setup,train,probe,pca,drift,readout,theory days
  -sweep_frequency 0.25 -sweep_dropout 0.2 -sweep_width 64 -sweep_seeds 2)
repdrift_phases_test(classifier 1 setup,train,probe,pca,drift,readout,signature days
  -options_file ${configs}/classifier-small.yaml -sweep_slice 0,6)
repdrift_phases_test(autoencoder 1 setup,train,probe,pca,drift,modularity days
  -options_file ${configs}/autoencoder-small.yaml -sweep_slice 0,12)
repdrift_phases_test(theory 1 train,theory replicas
  -options_file ${configs}/theory-e3.yaml -sweep_slice 0,16)

# The collectives of the write rounds (progress of any number of points per rank, the non-blocking
# vote) across ranks.
add_test(NAME test_parallel_3_ranks
  COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 3 ${MPIEXEC_PREFLAGS} $<TARGET_FILE:test_parallel> ${MPIEXEC_POSTFLAGS})
set_tests_properties(test_parallel_3_ranks PROPERTIES LABELS "unit;mpi" ENVIRONMENT "${REPDRIFT_MPI_ENV}" PROCESSORS 3
  PASS_REGULAR_EXPRESSION "test_parallel: [0-9]+ passed, 0 failed" FAIL_REGULAR_EXPRESSION "FAIL")
