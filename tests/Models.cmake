# The classifier (issue: six noise sources, the dropout signature) and the autoencoder (modularity):
# small sweeps in the default run (rank invariance, archive checks, report), the acceptance
# simulations under label long (.ci/run runs them too).
set(CLASSIFIER_SMALL -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/classifier-small.yaml -overwrite)
set(AUTOENCODER_SMALL -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/autoencoder-small.yaml -overwrite)

foreach(model classifier autoencoder)
  string(TOUPPER ${model} upper)
  foreach(ranks 1 3)
    add_test(NAME ${model}_sweep_${ranks}_ranks
      COMMAND ${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} ${ranks} ${MPIEXEC_PREFLAGS} $<TARGET_FILE:repdrift> ${MPIEXEC_POSTFLAGS}
              ${${upper}_SMALL} -output ${REPDRIFT_TEST_DIR}/${model}_${ranks}ranks.h5)
    set_tests_properties(${model}_sweep_${ranks}_ranks PROPERTIES LABELS "integration;mpi;${model}" ENVIRONMENT "${REPDRIFT_MPI_ENV}"
      FIXTURES_SETUP ${model}_${ranks}ranks PROCESSORS ${ranks})
  endforeach()
  add_test(NAME ${model}_bit_identical_1_vs_3_ranks
    COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/compare_archives.py
            ${REPDRIFT_TEST_DIR}/${model}_1ranks.h5 ${REPDRIFT_TEST_DIR}/${model}_3ranks.h5)
  set_tests_properties(${model}_bit_identical_1_vs_3_ranks PROPERTIES LABELS "integration;mpi;${model}"
    FIXTURES_REQUIRED "${model}_1ranks;${model}_3ranks")
  add_test(NAME ${model}_archive_schema_check
    COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_archive.py
            ${REPDRIFT_TEST_DIR}/${model}_3ranks.h5 --schema ${REPDRIFT_TEST_DIR}/schema.txt)
  set_tests_properties(${model}_archive_schema_check PROPERTIES LABELS "integration;python;${model}" FIXTURES_REQUIRED "${model}_3ranks;schema")
endforeach()

add_test(NAME classifier_signature_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_models.py signature ${REPDRIFT_TEST_DIR}/classifier_3ranks.h5)
set_tests_properties(classifier_signature_check PROPERTIES LABELS "integration;python;classifier" FIXTURES_REQUIRED classifier_3ranks)
add_test(NAME classifier_report COMMAND $<TARGET_FILE:repdrift-report> ${REPDRIFT_TEST_DIR}/classifier_3ranks.h5)
set_tests_properties(classifier_report PROPERTIES LABELS "integration;classifier" FIXTURES_REQUIRED classifier_3ranks
  PASS_REGULAR_EXPRESSION "Drift signature per noise type.*node_dropout.*weight_dropout.*additive.*multiplicative.*gradient.*paper \\(node\\)")

# The signature table against the archive: the share of variance in the variational space next to
# the paper's 0.82, the readout rotation end to end at 5 epochs next to 2.6 / 18.6 deg ("n/a (< 5
# epochs)" in the 2-epoch sweep; a 6-epoch run of node dropout and gradient noise for the number).
add_test(NAME classifier_report_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_models.py report $<TARGET_FILE:repdrift-report> ${REPDRIFT_TEST_DIR}/classifier_3ranks.h5)
set_tests_properties(classifier_report_check PROPERTIES LABELS "integration;python;classifier" FIXTURES_REQUIRED classifier_3ranks)
add_test(NAME classifier_report_5_epochs
  COMMAND sh -c "$<TARGET_FILE:repdrift> -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/classifier-small.yaml -overwrite -epochs 6 -snapshots_per_epoch 1 -sweep_noise_type node_dropout,gradient -terse -output ${REPDRIFT_TEST_DIR}/classifier_6_epochs.h5 > /dev/null && ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_models.py report $<TARGET_FILE:repdrift-report> ${REPDRIFT_TEST_DIR}/classifier_6_epochs.h5")
set_tests_properties(classifier_report_5_epochs PROPERTIES LABELS "integration;python;classifier" ENVIRONMENT "${REPDRIFT_MPI_ENV}")

add_test(NAME autoencoder_modularity_check
  COMMAND ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_models.py modularity ${REPDRIFT_TEST_DIR}/autoencoder_3ranks.h5)
set_tests_properties(autoencoder_modularity_check PROPERTIES LABELS "integration;python;autoencoder" FIXTURES_REQUIRED autoencoder_3ranks)
add_test(NAME autoencoder_report COMMAND $<TARGET_FILE:repdrift-report> ${REPDRIFT_TEST_DIR}/autoencoder_3ranks.h5)
set_tests_properties(autoencoder_report PROPERTIES LABELS "integration;autoencoder" FIXTURES_REQUIRED autoencoder_3ranks
  PASS_REGULAR_EXPRESSION "Modularity: kappa.*mix_max")

# Acceptance simulations (label long).
add_test(NAME classifier_signature_long
  COMMAND sh -c "${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 $<TARGET_FILE:repdrift> -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/classifier-signature.yaml -overwrite -output ${REPDRIFT_TEST_DIR}/classifier_signature.h5 && ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_models.py signature ${REPDRIFT_TEST_DIR}/classifier_signature.h5 --acceptance")
set_tests_properties(classifier_signature_long PROPERTIES LABELS "long;classifier" ENVIRONMENT "${REPDRIFT_MPI_ENV}" PROCESSORS 2 TIMEOUT 1200)
add_test(NAME autoencoder_modularity_long
  COMMAND sh -c "${MPIEXEC_EXECUTABLE} ${MPIEXEC_NUMPROC_FLAG} 2 $<TARGET_FILE:repdrift> -options_file ${CMAKE_CURRENT_SOURCE_DIR}/configs/autoencoder-modularity.yaml -overwrite -output ${REPDRIFT_TEST_DIR}/autoencoder_modularity.h5 && ${REPDRIFT_PYTHON} ${CMAKE_CURRENT_SOURCE_DIR}/python/check_models.py modularity ${REPDRIFT_TEST_DIR}/autoencoder_modularity.h5 --acceptance")
set_tests_properties(autoencoder_modularity_long PROPERTIES LABELS "long;autoencoder" ENVIRONMENT "${REPDRIFT_MPI_ENV}" PROCESSORS 2 TIMEOUT 1200)

# Classification data files: good and bad HDF5 files, the handwritten-digits recipe.
if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/dataset_file.sh)
  add_test(NAME dataset_file COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/dataset_file.sh ${REPDRIFT_PYTHON} ${REPDRIFT_TEST_DIR}/dataset_file $<TARGET_FILE:test_dataset>)
  set_tests_properties(dataset_file PROPERTIES LABELS "integration;classifier" TIMEOUT 300)
endif()

add_test(NAME classifier_file_data COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/classifier_file.sh $<TARGET_FILE:repdrift> ${REPDRIFT_PYTHON} ${REPDRIFT_TEST_DIR}/classifier_file)
set_tests_properties(classifier_file_data PROPERTIES LABELS "integration;classifier" ENVIRONMENT "${REPDRIFT_MPI_ENV}")
