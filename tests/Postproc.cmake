# Post-processing (issue 10): the Python package python/repdrift (open_archive, summary) and
# repdrift-plot, checked against the archives themselves by tests/python/check_postproc.py: every
# figure's CSV recomputed independently, images of the stated size, skipped figures noted,
# open_archive on every group (also of a sliced and a merged run), summary() and repdrift-report
# -summary/-csv against numpy with diverged, failed and pending points (and -summary/-csv of every
# model's archive), and bad input. Label python (and postproc).
set(REPDRIFT_PLOT ${PROJECT_BINARY_DIR}/repdrift-plot)
set(REPDRIFT_POSTPROC_ENV ${REPDRIFT_MPI_ENV} PYTHONPATH=${PROJECT_BINARY_DIR}/python MPLBACKEND=Agg)
set(CHECK_POSTPROC ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_postproc.py)
set(DAYS_FIGURES angle_to_pc,variance_flow,gamma_vs_chance,cross_day_accuracy,task_loss)

# The figures of each model and protocol: (test name, fixture, archive, the figures it has data for).
set(postproc_cases
  "linear|small_2ranks|small_2ranks.h5|${DAYS_FIGURES},drift_vs_frequency,drift_predicted"
  "theory|theory_3ranks|theory_3ranks.h5|variance_curve,theory_ratio"
  "classifier|classifier_3ranks|classifier_3ranks.h5|${DAYS_FIGURES},signature,classifier_snapshots"
  "autoencoder|autoencoder_3ranks|autoencoder_3ranks.h5|angle_to_pc,variance_flow,gamma_vs_chance,task_loss,mixing_vs_kappa,modularity_days")
foreach(case ${postproc_cases})
  string(REPLACE "|" ";" fields "${case}")
  list(GET fields 0 name)
  list(GET fields 1 fixture)
  list(GET fields 2 archive)
  list(GET fields 3 expected)
  add_test(NAME postproc_figures_${name}
    COMMAND ${CHECK_POSTPROC} figures ${REPDRIFT_PLOT} ${REPDRIFT_TEST_DIR}/${archive} ${REPDRIFT_TEST_DIR}/figures_${name} --expect ${expected}
            --format $<IF:$<STREQUAL:${name},linear>,png$<COMMA>svg$<COMMA>pdf,png> --report $<TARGET_FILE:repdrift-report>)
  set_tests_properties(postproc_figures_${name} PROPERTIES LABELS "python;postproc" ENVIRONMENT "${REPDRIFT_POSTPROC_ENV}"
    FIXTURES_REQUIRED ${fixture})
endforeach()

# A 3-seed sweep with diverging points, run as 3 slices and merged: open_archive, summary(), figures.
add_test(NAME postproc_sweep_slices_summary
  COMMAND ${CHECK_POSTPROC} sweep $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-merge> $<TARGET_FILE:repdrift-report>
          ${REPDRIFT_PLOT} ${REPDRIFT_TEST_DIR}/postproc_sweep)
set_tests_properties(postproc_sweep_slices_summary PROPERTIES LABELS "python;postproc" ENVIRONMENT "${REPDRIFT_POSTPROC_ENV}")

add_test(NAME postproc_bad_input
  COMMAND ${CHECK_POSTPROC} errors ${REPDRIFT_PLOT} ${REPDRIFT_TEST_DIR}/small_1ranks.h5 ${REPDRIFT_TEST_DIR}/postproc_errors)
set_tests_properties(postproc_bad_input PROPERTIES LABELS "python;postproc" ENVIRONMENT "${REPDRIFT_POSTPROC_ENV}"
  FIXTURES_REQUIRED small_1ranks)

add_test(NAME postproc_stats COMMAND ${CHECK_POSTPROC} stats)
set_tests_properties(postproc_stats PROPERTIES LABELS "python;postproc" ENVIRONMENT "${REPDRIFT_POSTPROC_ENV}")
