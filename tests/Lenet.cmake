# -architecture lenet (issue 12): the six noise sources on a tiny two-channel image file
# (tests/python/make_lenet_data.py) on 1, 2 and 3 ranks, bit-identical; the flat-file, learning,
# bad-input and -help checks of tests/lenet.sh. A few seconds in all.
set(LENET_DATA ${REPDRIFT_TEST_DIR}/lenet_data)
add_test(NAME lenet_data COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/make_lenet_data.py ${LENET_DATA})
set_tests_properties(lenet_data PROPERTIES LABELS "integration;python;lenet" FIXTURES_SETUP lenet_data)
foreach(ranks 1 2 3)
  add_test(NAME lenet_sweep_${ranks}_ranks
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:repdrift> ${MPIEXEC_POSTFLAGS}
            -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/lenet-small.yaml -data ${LENET_DATA}/images.h5 -overwrite
            -output ${REPDRIFT_TEST_DIR}/lenet_${ranks}ranks.h5)
  set_tests_properties(lenet_sweep_${ranks}_ranks PROPERTIES LABELS "integration;mpi;lenet" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
    FIXTURES_REQUIRED lenet_data FIXTURES_SETUP lenet_${ranks}ranks PROCESSORS ${ranks})
endforeach()
foreach(ranks 2 3)
  add_test(NAME lenet_bit_identical_1_vs_${ranks}_ranks
    COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/compare_archives.py
            ${REPDRIFT_TEST_DIR}/lenet_1ranks.h5 ${REPDRIFT_TEST_DIR}/lenet_${ranks}ranks.h5)
  set_tests_properties(lenet_bit_identical_1_vs_${ranks}_ranks PROPERTIES LABELS "integration;mpi;lenet"
    FIXTURES_REQUIRED "lenet_1ranks;lenet_${ranks}ranks")
endforeach()
add_test(NAME lenet_archive_schema_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_archive.py
          ${REPDRIFT_TEST_DIR}/lenet_3ranks.h5 --schema ${REPDRIFT_TEST_DIR}/schema.txt)
set_tests_properties(lenet_archive_schema_check PROPERTIES LABELS "integration;python;lenet" FIXTURES_REQUIRED "lenet_3ranks;schema")
add_test(NAME lenet_inputs_errors_help
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/lenet.sh $<TARGET_FILE:repdrift> ${REPDRIFT_PYTHON} ${LENET_DATA}
          ${REPDRIFT_TEST_DIR}/lenet_1ranks.h5 ${REPDRIFT_TEST_DIR}/lenet_checks)
set_tests_properties(lenet_inputs_errors_help PROPERTIES LABELS "integration;lenet" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
  FIXTURES_REQUIRED "lenet_data;lenet_1ranks")
