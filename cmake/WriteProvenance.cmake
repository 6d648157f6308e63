# Script mode: writes OUT from IN with the git revision of SRC (or "unknown" outside git).
execute_process(COMMAND git -C ${SRC} describe --always --dirty --abbrev=12
                OUTPUT_VARIABLE GIT_REVISION OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE rc ERROR_QUIET)
if(NOT rc EQUAL 0 OR GIT_REVISION STREQUAL "")
  set(GIT_REVISION "unknown")
endif()
configure_file(${IN} ${OUT}.tmp @ONLY)
# Only touch the output when it changed, so an unchanged tree does not relink everything.
execute_process(COMMAND ${CMAKE_COMMAND} -E copy_if_different ${OUT}.tmp ${OUT})
