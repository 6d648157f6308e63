/* `repdrift -version`: the program version, the git revision of its source tree (both baked in at
 * build time by cmake/Provenance.cmake) and the versions of the libraries it was built with. */
#ifndef REPDRIFT_VERSION_H
#define REPDRIFT_VERSION_H

#include <stdio.h>

/* Nonzero when an argument is -version or --version. Checked before PETSc starts, so that nothing
 * else prints and no option is parsed or refused. */
int RdVersionRequested(int argc, char **argv);

/* Prints, one item per line: the program version and git revision; the versions of PETSc, SLEPc,
 * HDF5 and MPI (standard and implementation) in the headers the program was compiled with, and the C
 * compiler; the MPI library the process runs with (MPI_Get_library_version, which the MPI standard
 * allows before MPI_Init). Returns the exit status: 0, or 1 when the stream could not be written. */
int RdPrintVersion(FILE *stream);

#endif /* REPDRIFT_VERSION_H */
