# `cmake --install build --prefix DIR` (README, "On a cluster") installs:
#   DIR/bin/                       repdrift, repdrift-report, repdrift-merge, repdrift-kappa, repdrift-recording-check
#                                  (and repdrift-plot, a link into the Python directory, when python/ exists)
#   DIR/share/repdrift/jobs/       sweep.sbatch, array.sbatch, merge.sbatch, local.sh,
#                                  make-digits-dataset.py, configs/*.yaml
#   DIR/lib/repdrift/python/       the Python package repdrift/ and the repdrift-plot script
# The installed job scripts default to DIR/bin and DIR/share/repdrift/jobs/configs
# (cmake/InstallJobScripts.cmake); the programs keep the link paths of PETSc, SLEPc, MPI and HDF5
# as their run path (CMAKE_INSTALL_RPATH_USE_LINK_PATH, set before the targets), so they run
# without the modules they were built with.
install(TARGETS repdrift repdrift-report repdrift-merge repdrift-kappa repdrift-recording-check RUNTIME DESTINATION bin)

install(PROGRAMS jobs/sweep.sbatch jobs/array.sbatch jobs/merge.sbatch jobs/local.sh jobs/make-digits-dataset.py
        DESTINATION share/repdrift/jobs)
install(DIRECTORY jobs/configs DESTINATION share/repdrift/jobs)
install(SCRIPT cmake/InstallJobScripts.cmake)

# Python (post-processing). The plot tool and the package sit side by side in lib/repdrift/python,
# so the tool imports the package without PYTHONPATH (Python puts the directory of the script,
# symbolic links resolved, first on sys.path); bin/repdrift-plot is a relative link to it.
# Other scripts import the package with PYTHONPATH=DIR/lib/repdrift/python.
if(EXISTS ${PROJECT_SOURCE_DIR}/python/repdrift)
  install(DIRECTORY python/repdrift DESTINATION lib/repdrift/python
          PATTERN __pycache__ EXCLUDE PATTERN "*.pyc" EXCLUDE)
endif()
if(EXISTS ${PROJECT_SOURCE_DIR}/python/repdrift-plot)
  install(PROGRAMS python/repdrift-plot DESTINATION lib/repdrift/python)
  install(CODE [[
    file(MAKE_DIRECTORY "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin")
    file(CREATE_LINK ../lib/repdrift/python/repdrift-plot "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin/repdrift-plot" SYMBOLIC)
    message(STATUS "Installing: $ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/bin/repdrift-plot -> ../lib/repdrift/python/repdrift-plot")
  ]])
endif()
