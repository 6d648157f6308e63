# Recordings (issue 11, data side): the repdrift-recording reader, its hostile files, planted
# geometry through the geometry API, and the jobs/convert-*.py converters (label recording).
# Needs REPDRIFT_PYTHON and REPDRIFT_TEST_DIR (Integration.cmake).
set_tests_properties(test_recording PROPERTIES LABELS "unit;recording")
set(RECORDINGS_DIR ${CMAKE_CURRENT_SOURCE_DIR}/recordings)

add_test(NAME recording_check_help COMMAND $<TARGET_FILE:repdrift-recording-check> -help)
set_tests_properties(recording_check_help PROPERTIES LABELS recording
  PASS_REGULAR_EXPRESSION "repdrift-recording-check FILE.h5.*-min_trials.*-zscore")
add_test(NAME recording_hostile_files
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_hostile.py $<TARGET_FILE:repdrift-recording-check> ${REPDRIFT_TEST_DIR}/recordings_hostile)
add_test(NAME recording_planted_geometry
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_planted.py $<TARGET_FILE:test_recording> ${REPDRIFT_TEST_DIR}/recordings_planted)
add_test(NAME recording_converters
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_converters.py ${CMAKE_SOURCE_DIR}/jobs $<TARGET_FILE:repdrift-recording-check> ${REPDRIFT_TEST_DIR}/recordings_converters good)
add_test(NAME recording_converter_refusals
  COMMAND ${REPDRIFT_PYTHON} ${RECORDINGS_DIR}/check_converters.py ${CMAKE_SOURCE_DIR}/jobs $<TARGET_FILE:repdrift-recording-check> ${REPDRIFT_TEST_DIR}/recordings_refusals bad)
set_tests_properties(recording_hostile_files recording_planted_geometry recording_converters recording_converter_refusals
  PROPERTIES LABELS "recording;python" TIMEOUT 300)
