# Archive integrity (issue 15; README, "Integrity"): the damaged archives of
# tests/integrity/damage.py (made with h5py from the small sweep's archive) against every reader:
# repdrift-report and -verify, -resume, repdrift-merge, the Python loader and repdrift-plot; and
# /sweep/checksum against an independent Python SipHash-2-4 and across 1, 2 and 3 ranks. The hash
# itself: tests/unit/test_checksum.c (the published test vectors). Label integrity.
set(CHECK_INTEGRITY ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/integrity/check_integrity.py)
set(INTEGRITY_GOOD ${REPDRIFT_TEST_DIR}/small_1ranks.h5)
set(INTEGRITY_WORK ${REPDRIFT_TEST_DIR}/integrity)

add_test(NAME integrity_report
  COMMAND ${CHECK_INTEGRITY} report $<TARGET_FILE:repdrift-report> ${INTEGRITY_GOOD} ${INTEGRITY_WORK}/report)
add_test(NAME integrity_resume
  COMMAND ${CHECK_INTEGRITY} resume $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-report> ${CMAKE_CURRENT_SOURCE_DIR}/configs/small.yaml
          ${INTEGRITY_GOOD} ${INTEGRITY_WORK}/resume)
add_test(NAME integrity_merge
  COMMAND ${CHECK_INTEGRITY} merge $<TARGET_FILE:repdrift-merge> $<TARGET_FILE:repdrift-report> ${INTEGRITY_GOOD} ${INTEGRITY_WORK}/merge)
add_test(NAME integrity_python
  COMMAND ${CHECK_INTEGRITY} python ${PROJECT_BINARY_DIR}/repdrift-plot ${INTEGRITY_GOOD} ${INTEGRITY_WORK}/python)
set_tests_properties(integrity_report integrity_resume integrity_merge integrity_python PROPERTIES
  LABELS "integration;integrity" FIXTURES_REQUIRED small_1ranks
  ENVIRONMENT "${REPDRIFT_MPI_ENV};PYTHONPATH=${PROJECT_BINARY_DIR}/python;MPLBACKEND=Agg")

add_test(NAME integrity_inputs
  COMMAND ${CHECK_INTEGRITY} inputs $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-report> ${INTEGRITY_WORK}/inputs)
set_tests_properties(integrity_inputs PROPERTIES LABELS "integration;integrity" ENVIRONMENT "${REPDRIFT_MPI_ENV}")

add_test(NAME integrity_checksums
  COMMAND ${CHECK_INTEGRITY} checksums ${REPDRIFT_TEST_DIR}/schema.txt
          ${REPDRIFT_TEST_DIR}/small_1ranks.h5,${REPDRIFT_TEST_DIR}/small_2ranks.h5,${REPDRIFT_TEST_DIR}/small_3ranks.h5
          ${REPDRIFT_TEST_DIR}/theory_1ranks.h5,${REPDRIFT_TEST_DIR}/theory_3ranks.h5
          ${REPDRIFT_TEST_DIR}/classifier_1ranks.h5,${REPDRIFT_TEST_DIR}/classifier_3ranks.h5
          ${REPDRIFT_TEST_DIR}/autoencoder_1ranks.h5,${REPDRIFT_TEST_DIR}/autoencoder_3ranks.h5)
set_tests_properties(integrity_checksums PROPERTIES LABELS "integration;integrity;mpi"
  FIXTURES_REQUIRED "schema;small_1ranks;small_2ranks;small_3ranks;theory_1ranks;theory_3ranks;classifier_1ranks;classifier_3ranks;autoencoder_1ranks;autoencoder_3ranks")
