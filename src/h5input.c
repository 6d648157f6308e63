/* Reading users' data files: the input module (see h5input.h). Apart from archive.c, the only
 * file that calls HDF5. */
#include <repdrift/h5input.h>
#include <hdf5.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include "hdf5_call.h"

/* Reads dataset_path of path as float64. expected_rank > 0: it must have that rank; 0: any rank in
 * 1..RD_INPUT_MAX_RANK, returned in *rank. Every handle is closed on every path, errors included. */
static PetscErrorCode ReadArray(const char *path, const char *dataset_path, PetscInt expected_rank, const char *layout, PetscInt *rank_out, PetscInt shape[], double **values)
{
  hid_t   file = -1, dataset = -1, space = -1, type = -1;
  hsize_t dims[H5S_MAX_RANK];
  int     rank = -1;
  size_t  count = 1;
  enum { OK, NO_DATASET, OPEN, RANK, TYPE, TOO_BIG, READ } problem = OK;

  PetscFunctionBeginUser;
  *values = NULL;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by us, in words */
  PetscCheck(access(path, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot read %s: %s", path, strerror(errno));
  PetscCheck(H5Fis_hdf5(path) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s is not an HDF5 file: give an HDF5 file with a dataset %s %s", path, dataset_path, layout);
  RdH5Call(file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
  if (H5Lexists(file, dataset_path, H5P_DEFAULT) <= 0) problem = NO_DATASET;
  else if ((dataset = H5Dopen2(file, dataset_path, H5P_DEFAULT)) < 0 || (space = H5Dget_space(dataset)) < 0 || (type = H5Dget_type(dataset)) < 0 || (rank = H5Sget_simple_extent_ndims(space)) < 0) problem = OPEN;
  else if (expected_rank > 0 ? rank != expected_rank : (rank < 1 || rank > RD_INPUT_MAX_RANK)) problem = RANK;
  else if (H5Tget_class(type) != H5T_FLOAT && H5Tget_class(type) != H5T_INTEGER) problem = TYPE;
  else {
    if (H5Sget_simple_extent_dims(space, dims, NULL) < 0) problem = OPEN;
    for (int i = 0; problem == OK && i < rank; i++) {
      if (dims[i] && count > SIZE_MAX / sizeof(double) / dims[i]) problem = TOO_BIG;
      shape[i] = (PetscInt)dims[i];
      count *= (size_t)dims[i];
    }
    if (problem == OK) {
      PetscErrorCode no_memory;
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); /* an absurd declared size is the file's fault, said below in one line */
      no_memory = PetscMalloc1(PetscMax(count, 1), values);
      PetscCall(PetscPopErrorHandler());
      if (no_memory) problem = TOO_BIG;
      else if (count && H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *values) < 0) problem = READ;
    }
  }
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  if (dataset >= 0) H5Dclose(dataset);
  H5Fclose(file);
  if (problem != OK) PetscCall(PetscFree(*values));
  PetscCheck(problem != NO_DATASET, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset %s: it must hold %s %s", path, dataset_path, dataset_path, layout);
  PetscCheck(problem != OPEN, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s cannot be opened as a dataset; it must be %s", path, dataset_path, layout);
  PetscCheck(problem != RANK, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %d dimensions; it must be %s", path, dataset_path, rank, layout);
  PetscCheck(problem != TYPE, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold numbers (%s)", path, dataset_path, layout);
  PetscCheck(problem != TOO_BIG, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s declares more values than this machine can hold: it must be %s", path, dataset_path, layout);
  PetscCheck(problem != READ, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: %s could not be read (%zu values; truncated or corrupt file?): it must be %s", path, dataset_path, count, layout);
  if (rank_out) *rank_out = rank;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdInputReadArray(const char *path, const char *dataset_path, PetscInt expected_rank, const char *layout, PetscInt shape[], double **values)
{
  PetscFunctionBeginUser;
  PetscCall(ReadArray(path, dataset_path, expected_rank, layout, NULL, shape, values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdInputReadArrayAnyRank(const char *path, const char *dataset_path, const char *layout, PetscInt *rank, PetscInt shape[RD_INPUT_MAX_RANK], double **values)
{
  PetscFunctionBeginUser;
  PetscCall(ReadArray(path, dataset_path, 0, layout, rank, shape, values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdInputReadMatrix(const char *path, const char *dataset_path, PetscInt *rows, PetscInt *cols, double **values)
{
  PetscInt shape[2];

  PetscFunctionBeginUser;
  PetscCall(RdInputReadArray(path, dataset_path, 2, "a matrix [samples, sources]", shape, values));
  *rows = shape[0];
  *cols = shape[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}
