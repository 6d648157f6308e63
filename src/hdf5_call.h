/* Private to the two modules that call HDF5 (archive.c, h5input.c): the one macro mapping HDF5
 * failures (negative herr_t / hid_t) to PETSc errors. */
#ifndef REPDRIFT_HDF5_CALL_H
#define REPDRIFT_HDF5_CALL_H

#include <petscsys.h>

#define RdH5Call(expr) \
  do { \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 call failed: %s", #expr); \
  } while (0)

#endif
