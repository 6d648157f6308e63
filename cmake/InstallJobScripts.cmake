# Run by `cmake --install` after the job scripts are copied: their defaults become the installed
# programs and configs. The scripts cannot find these from their own path: sbatch runs a copy of the
# batch script from Slurm's spool directory. In the source tree the same lines keep the in-tree
# defaults (build/ and jobs/configs/ below the submit directory).
set(bin "${CMAKE_INSTALL_PREFIX}/bin")
set(configs "${CMAKE_INSTALL_PREFIX}/share/repdrift/jobs/configs")
if(bin MATCHES "'")
  message(FATAL_ERROR "repdrift: the job scripts cannot quote an install prefix with a single quote: ${CMAKE_INSTALL_PREFIX}")
endif()
foreach(script sweep.sbatch array.sbatch merge.sbatch local.sh)
  set(path "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}/share/repdrift/jobs/${script}")
  file(READ "${path}" text)
  string(REGEX REPLACE "\ndefault_build=[^ \n]*" "\ndefault_build='${bin}'" installed "${text}")
  string(REGEX REPLACE "\ndefault_configs=[^ \n]*" "\ndefault_configs='${configs}'" installed "${installed}")
  if(installed STREQUAL text)
    message(FATAL_ERROR "repdrift: ${path} has no default_build= line to point at ${bin}")
  endif()
  file(WRITE "${path}" "${installed}")
endforeach()
