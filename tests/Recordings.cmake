# Recordings (issue 11): the repdrift-recording reader, its hostile files, planted geometry through
# the geometry API, the jobs/convert-*.py converters, and -model recording: its sweep on 1, 2 and 3
# ranks, the archive against the closed forms and numpy, -resume, the Slurm scripts, the
# refusals, and repdrift-report -compare with its figure (label recording).
# Needs REPDRIFT_PYTHON and REPDRIFT_TEST_DIR (Integration.cmake).
set_tests_properties(test_recording PROPERTIES LABELS "unit;recording")
set(RECORDINGS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/recordings)

add_test(NAME recording_check_help COMMAND $<TARGET_FILE:repdrift-recording-check> -help)
set_tests_properties(recording_check_help PROPERTIES LABELS recording
  PASS_REGULAR_EXPRESSION "repdrift-recording-check FILE.h5.*-min_trials.*-zscore")
add_test(NAME recording_hostile_files
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_hostile.py $<TARGET_FILE:repdrift-recording-check> ${REPDRIFT_TEST_DIR}/recordings_hostile
          $<TARGET_FILE:repdrift> ${MPIEXEC_EXECUTABLE})
set_tests_properties(recording_hostile_files PROPERTIES ENVIRONMENT "${REPDRIFT_MPI_ENV}")
add_test(NAME recording_planted_geometry
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_planted.py $<TARGET_FILE:test_recording> ${REPDRIFT_TEST_DIR}/recordings_planted)
add_test(NAME recording_converters
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_converters.py ${CMAKE_SOURCE_DIR}/jobs $<TARGET_FILE:repdrift-recording-check> ${REPDRIFT_TEST_DIR}/recordings_converters good)
add_test(NAME recording_converter_refusals
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_converters.py ${CMAKE_SOURCE_DIR}/jobs $<TARGET_FILE:repdrift-recording-check> ${REPDRIFT_TEST_DIR}/recordings_refusals bad)
set_tests_properties(recording_hostile_files recording_planted_geometry recording_converters recording_converter_refusals
  PROPERTIES LABELS "recording;python" TIMEOUT 300)

# -model recording: three recordings (planted.h5, uneven.h5, dense.h5: different sessions, stimuli,
# trials and neurons) as a sweep on 1, 2 and 3 ranks, bit-identical.
set(RECORDING_FILES ${REPDRIFT_TEST_DIR}/recording_files)
add_test(NAME recording_sweep_files COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_planted.py files ${RECORDING_FILES})
set_tests_properties(recording_sweep_files PROPERTIES LABELS "recording;python" FIXTURES_SETUP recording_files)
foreach(ranks 1 2 3)
  add_test(NAME recording_sweep_${ranks}_ranks
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:repdrift> ${MPIEXEC_POSTFLAGS}
            -options_file ${RECORDING_FILES}/sweep.yaml -overwrite -output ${RECORDING_FILES}/sweep_${ranks}ranks.h5)
  set_tests_properties(recording_sweep_${ranks}_ranks PROPERTIES LABELS "recording;mpi" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
    FIXTURES_SETUP recording_${ranks}ranks FIXTURES_REQUIRED recording_files PROCESSORS ${ranks})
endforeach()
foreach(ranks 2 3)
  add_test(NAME recording_bit_identical_1_vs_${ranks}_ranks
    COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/compare_archives.py
            ${RECORDING_FILES}/sweep_1ranks.h5 ${RECORDING_FILES}/sweep_${ranks}ranks.h5)
  set_tests_properties(recording_bit_identical_1_vs_${ranks}_ranks PROPERTIES LABELS "recording;mpi"
    FIXTURES_REQUIRED "recording_1ranks;recording_${ranks}ranks")
endforeach()
add_test(NAME recording_archive_schema_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_archive.py ${RECORDING_FILES}/sweep_3ranks.h5
          --schema ${REPDRIFT_TEST_DIR}/schema.txt)
set_tests_properties(recording_archive_schema_check PROPERTIES LABELS "recording;python" FIXTURES_REQUIRED "recording_3ranks;schema")
# the archive's values: planted.h5 against the closed forms, every point against numpy
add_test(NAME recording_planted_archive
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_planted.py archive ${RECORDING_FILES}/sweep_2ranks.h5 ${RECORDING_FILES})
set_tests_properties(recording_planted_archive PROPERTIES LABELS "recording;python" FIXTURES_REQUIRED recording_2ranks)
add_test(NAME recording_report COMMAND $<TARGET_FILE:repdrift-report> ${RECORDING_FILES}/sweep_3ranks.h5)
set_tests_properties(recording_report PROPERTIES LABELS recording FIXTURES_REQUIRED recording_3ranks
  PASS_REGULAR_EXPRESSION "Recordings \\(point = position in -recordings\\).*paper-v1.*day_discrimination_accuracy +0.68 \\+- 0.08")
# an interrupted recording sweep (SIGTERM, SIGKILL) continued with -resume
add_test(NAME recording_resume
  COMMAND sh ${RECORDINGS_DIR}/recording_resume.sh $<TARGET_FILE:repdrift> ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}
          ${RECORDING_FILES} ${REPDRIFT_TEST_DIR}/recording_resume)
set_tests_properties(recording_resume PROPERTIES LABELS "recording;integration" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
  FIXTURES_REQUIRED recording_files TIMEOUT 300)
# repdrift-report -compare against the classifier test sweep and paper-v1, recomputed; its figure
add_test(NAME recording_compare
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_compare.py $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-report>
          ${PROJECT_BINARY_DIR}/repdrift-plot ${RECORDING_FILES} ${RECORDING_FILES}/sweep_2ranks.h5 ${REPDRIFT_TEST_DIR}/classifier_3ranks.h5
          ${CMAKE_CURRENT_SOURCE_DIR}/configs/classifier-small.yaml ${REPDRIFT_TEST_DIR}/recording_compare)
set_tests_properties(recording_compare PROPERTIES LABELS "recording;python" TIMEOUT 300
  ENVIRONMENT "${REPDRIFT_MPI_ENV};PYTHONPATH=${PROJECT_BINARY_DIR}/python;MPLBACKEND=Agg"
  FIXTURES_REQUIRED "recording_2ranks;classifier_3ranks;recording_files")
# the Slurm job scripts, unchanged, on a recording sweep (label slurm: a real single-node Slurm)
add_test(NAME recording_slurm
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_jobs.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}
          ${REPDRIFT_PYTHON} ${REPDRIFT_TEST_DIR}/recording_slurm ${RECORDING_FILES}/sweep_2ranks.h5 ${RECORDING_FILES}/sweep.yaml
          ${RECORDING_FILES}/requeue.yaml -terse)
set_tests_properties(recording_slurm PROPERTIES LABELS "recording;slurm" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
  FIXTURES_REQUIRED "recording_2ranks;recording_files" RUN_SERIAL TRUE TIMEOUT 600)
