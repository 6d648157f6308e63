# Acceptance simulation of the drift theory, label "long" (about 1.5 minutes on one core):
# E3 at eta = 0.025 and 0.0125 with 2000 replicas against the analytic predictions. The same
# source as the unit test test_theory_replicas, built with RD_THEORY_LONG.
# Run: ctest -L long   (skip it: ctest -LE long)
add_executable(test_theory_replicas_long ${CMAKE_CURRENT_SOURCE_DIR}/unit/test_theory_replicas.c)
target_compile_definitions(test_theory_replicas_long PRIVATE RD_THEORY_LONG)
target_link_libraries(test_theory_replicas_long PRIVATE repdrift_core)
add_test(NAME test_theory_replicas_long COMMAND test_theory_replicas_long)
set_tests_properties(test_theory_replicas_long PROPERTIES LABELS long TIMEOUT 1200)

# Acceptance of the theory under input noise and dropout (tests/unit/theory_acceptance_long.c):
# one CTest per case, each well under a minute on one core.
add_executable(theory_acceptance_long ${CMAKE_CURRENT_SOURCE_DIR}/unit/theory_acceptance_long.c)
target_link_libraries(theory_acceptance_long PRIVATE repdrift_core)
foreach(case noise_e3_s0.05 noise_e3_s0.1 noise_e1_s0.05 noise_e1_s0.1 dropout_e3 days)
  add_test(NAME theory_acceptance_${case} COMMAND theory_acceptance_long ${case})
  set_tests_properties(theory_acceptance_${case} PROPERTIES LABELS long TIMEOUT 600)
endforeach()
