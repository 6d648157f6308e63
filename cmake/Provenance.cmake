# Bakes the program version and the git revision of the source tree into provenance.c.
# The revision is refreshed at every build (not only at configure time).
set(REPDRIFT_PROVENANCE_IN ${CMAKE_CURRENT_LIST_DIR}/provenance.c.in)
add_custom_target(repdrift_provenance
  COMMAND ${CMAKE_COMMAND} -DSRC=${CMAKE_SOURCE_DIR} -DIN=${REPDRIFT_PROVENANCE_IN}
          -DOUT=${CMAKE_CURRENT_BINARY_DIR}/provenance.c -DVERSION=${PROJECT_VERSION}
          -P ${CMAKE_CURRENT_LIST_DIR}/WriteProvenance.cmake
  BYPRODUCTS ${CMAKE_CURRENT_BINARY_DIR}/provenance.c
  COMMENT "Recording git revision")
