# End-to-end tests: the program, its archive, MPI rank invariance, bad input, the report.
set(REPDRIFT_PYTHON /usr/bin/python3 CACHE FILEPATH "Python with numpy and h5py (Debian's)")
set(REPDRIFT_TEST_DIR ${CMAKE_CURRENT_BINARY_DIR}/work)
file(MAKE_DIRECTORY ${REPDRIFT_TEST_DIR})
# Open MPI as root in a container, more ranks than cores, no cross-memory attach.
set(REPDRIFT_MPI_ENV
  OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
  OMPI_MCA_btl_vader_single_copy_mechanism=none HDF5_USE_FILE_LOCKING=FALSE)
set(SMALL -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/small.yaml -overwrite)

add_test(NAME repdrift_help COMMAND $<TARGET_FILE:repdrift> -help)
set_tests_properties(repdrift_help PROPERTIES LABELS integration
  PASS_REGULAR_EXPRESSION "-sweep_frequency.*-sweep_dropout.*-sweep_width.*-sweep_seeds.*-probe_samples.*-readout_l2")

# The same sweep on 1, 2 and 3 ranks; 3 ranks under the static schedule, 1 and 2 under the default
# dynamic one (both must give the 1-rank archive).
foreach(ranks 1 2 3)
  set(schedule "")
  if(ranks EQUAL 3)
    set(schedule -schedule static)
  endif()
  add_test(NAME mpi_sweep_${ranks}_ranks
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:repdrift> ${MPIEXEC_POSTFLAGS}
            ${SMALL} ${schedule} -output ${REPDRIFT_TEST_DIR}/small_${ranks}ranks.h5)
  set_tests_properties(mpi_sweep_${ranks}_ranks PROPERTIES LABELS "integration;mpi" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
    FIXTURES_SETUP small_${ranks}ranks PROCESSORS ${ranks})
endforeach()
foreach(ranks 2 3)
  add_test(NAME mpi_bit_identical_1_vs_${ranks}_ranks
    COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/compare_archives.py
            ${REPDRIFT_TEST_DIR}/small_1ranks.h5 ${REPDRIFT_TEST_DIR}/small_${ranks}ranks.h5)
  set_tests_properties(mpi_bit_identical_1_vs_${ranks}_ranks PROPERTIES LABELS "integration;mpi"
    FIXTURES_REQUIRED "small_1ranks;small_${ranks}ranks")
endforeach()

add_test(NAME schema_dump COMMAND ${CMAKE_COMMAND} -E env sh -c "$<TARGET_FILE:repdrift-report> -schema > ${REPDRIFT_TEST_DIR}/schema.txt")
set_tests_properties(schema_dump PROPERTIES LABELS integration FIXTURES_SETUP schema)
add_test(NAME archive_python_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_archive.py
          ${REPDRIFT_TEST_DIR}/small_2ranks.h5 --schema ${REPDRIFT_TEST_DIR}/schema.txt)
set_tests_properties(archive_python_check PROPERTIES LABELS "integration;python" FIXTURES_REQUIRED "small_2ranks;schema")

add_test(NAME report_of_archive COMMAND $<TARGET_FILE:repdrift-report> ${REPDRIFT_TEST_DIR}/small_2ranks.h5)
set_tests_properties(report_of_archive PROPERTIES LABELS integration FIXTURES_REQUIRED small_2ranks
  PASS_REGULAR_EXPRESSION "final_loss.*\n +15 ")

add_test(NAME bad_input
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/bad_input.sh $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-report>
          ${REPDRIFT_TEST_DIR}/bad_input ${REPDRIFT_PYTHON} ${REPDRIFT_TEST_DIR}/small_1ranks.h5 ${MPIEXEC_EXECUTABLE})
set_tests_properties(bad_input PROPERTIES LABELS integration ENVIRONMENT "${REPDRIFT_MPI_ENV}" FIXTURES_REQUIRED small_1ranks)

# Golden -terse output: stable rounded numbers, no timings (regenerate with tests/golden/update.sh).
add_test(NAME golden_terse
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/golden/compare.sh $<TARGET_FILE:repdrift>
          ${CMAKE_CURRENT_SOURCE_DIR}/golden/small_terse.txt ${REPDRIFT_TEST_DIR}/golden.h5
          -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/small.yaml)
set_tests_properties(golden_terse PROPERTIES LABELS integration ENVIRONMENT "${REPDRIFT_MPI_ENV}")

# Restart: killed (SIGKILL, SIGTERM) at several moments, then -resume == uninterrupted run.
add_test(NAME kill_and_resume
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/kill_resume.sh $<TARGET_FILE:repdrift> ${REPDRIFT_PYTHON}
          ${CMAKE_CURRENT_SOURCE_DIR} ${REPDRIFT_TEST_DIR}/kill_resume)
set_tests_properties(kill_and_resume PROPERTIES LABELS integration ENVIRONMENT "${REPDRIFT_MPI_ENV}")

# One writer per archive: a second writer refused (1 and 2 ranks), stale claims, kill -9 of mpirun.
add_test(NAME claim_one_writer
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/claim.sh $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-merge> $<TARGET_FILE:repdrift-report>
          ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR} ${REPDRIFT_TEST_DIR}/claim)
set_tests_properties(claim_one_writer PROPERTIES LABELS "integration;mpi" ENVIRONMENT "${REPDRIFT_MPI_ENV}" PROCESSORS 2)

# Job-array slices merged == the single run.
add_test(NAME slices_and_merge
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/slices_merge.sh $<TARGET_FILE:repdrift> $<TARGET_FILE:repdrift-merge>
          ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR} ${REPDRIFT_TEST_DIR}/slices ${REPDRIFT_TEST_DIR}/small_1ranks.h5
          ${SMALL})
set_tests_properties(slices_and_merge PROPERTIES LABELS integration ENVIRONMENT "${REPDRIFT_MPI_ENV}" FIXTURES_REQUIRED small_1ranks)

# A real single-node Slurm runs the job scripts (label slurm; needs root, slurm-wlm and munge).
add_test(NAME slurm_sbatch_and_array
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/slurm/slurm_jobs.sh ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR}
          ${REPDRIFT_PYTHON} ${REPDRIFT_TEST_DIR}/slurm ${REPDRIFT_TEST_DIR}/small_2ranks.h5
          ${CMAKE_CURRENT_SOURCE_DIR}/configs/small.yaml)
set_tests_properties(slurm_sbatch_and_array PROPERTIES LABELS "integration;slurm" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
  FIXTURES_REQUIRED small_2ranks RUN_SERIAL TRUE TIMEOUT 600)

# The linear network's drift theory (-protocol replicas): a frequency x width x eta x dropout sweep
# on 1 and 3 ranks fills /theory identically; predictions where the theory holds, width invariance,
# excess loss; and the frequency effect on E1.
foreach(ranks 1 3)
  add_test(NAME theory_sweep_${ranks}_ranks
    COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:repdrift> ${MPIEXEC_POSTFLAGS}
            -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/theory-e3.yaml -overwrite -output ${REPDRIFT_TEST_DIR}/theory_${ranks}ranks.h5)
  set_tests_properties(theory_sweep_${ranks}_ranks PROPERTIES LABELS "integration;mpi;theory" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
    FIXTURES_SETUP theory_${ranks}ranks PROCESSORS ${ranks})
endforeach()
# the report says where the theory gives no prediction (the archive's values are checked below)
add_test(NAME theory_report COMMAND $<TARGET_FILE:repdrift-report> ${REPDRIFT_TEST_DIR}/theory_3ranks.h5)
set_tests_properties(theory_report PROPERTIES LABELS "integration;theory" FIXTURES_REQUIRED theory_3ranks
  PASS_REGULAR_EXPRESSION "theory does not hold: the minimum is flat in directions no symmetry explains")
add_test(NAME theory_bit_identical_1_vs_3_ranks
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/compare_archives.py
          ${REPDRIFT_TEST_DIR}/theory_1ranks.h5 ${REPDRIFT_TEST_DIR}/theory_3ranks.h5 --groups sweep theory)
set_tests_properties(theory_bit_identical_1_vs_3_ranks PROPERTIES LABELS "integration;mpi;theory" FIXTURES_REQUIRED "theory_1ranks;theory_3ranks")
add_test(NAME theory_archive_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_theory.py ${REPDRIFT_TEST_DIR}/theory_3ranks.h5)
set_tests_properties(theory_archive_check PROPERTIES LABELS "integration;theory" FIXTURES_REQUIRED theory_3ranks)
add_test(NAME theory_frequency_effect_e1
  COMMAND sh -c "$<TARGET_FILE:repdrift> -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/theory-e1-frequency.yaml -overwrite -terse -output ${REPDRIFT_TEST_DIR}/theory_e1.h5 && ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_theory.py ${REPDRIFT_TEST_DIR}/theory_e1.h5 --frequency-effect")
set_tests_properties(theory_frequency_effect_e1 PROPERTIES LABELS "integration;theory")
add_test(NAME theory_archive_schema_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_archive.py ${REPDRIFT_TEST_DIR}/theory_3ranks.h5
          --schema ${REPDRIFT_TEST_DIR}/schema.txt)
set_tests_properties(theory_archive_schema_check PROPERTIES LABELS "integration;python;theory" FIXTURES_REQUIRED "theory_3ranks;schema")

# repdrift-kappa: the range condition of source samples (files and built-in sets), bad source files.
add_test(NAME kappa_cli
  COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/kappa_cli.sh $<TARGET_FILE:repdrift-kappa> ${REPDRIFT_PYTHON} ${REPDRIFT_TEST_DIR}/kappa)
set_tests_properties(kappa_cli PROPERTIES LABELS "integration;modularity")

# Bit-identity across revisions: per-dataset SHA-256 of the four small sweeps (linear days, replica
# theory, classifier, autoencoder), made from the archives of an earlier revision by
# tests/golden/make_checksums.sh, recomputed from this build's runs above; and their
# /config/options byte for byte (archives of earlier revisions stay resumable).
foreach(pair "small;small_1ranks" "theory-e3;theory_3ranks" "classifier-small;classifier_3ranks" "autoencoder-small;autoencoder_3ranks")
  list(GET pair 0 name)
  list(GET pair 1 fixture)
  add_test(NAME archive_checksums_${name}
    COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/golden/archive_checksums.py
            ${REPDRIFT_TEST_DIR}/${fixture}.h5 --check ${CMAKE_CURRENT_SOURCE_DIR}/golden/${name}.sha256
            --options ${CMAKE_CURRENT_SOURCE_DIR}/golden/${name}.options --allow-new /sweep/checksum)
  set_tests_properties(archive_checksums_${name} PROPERTIES LABELS integration FIXTURES_REQUIRED ${fixture})
endforeach()
