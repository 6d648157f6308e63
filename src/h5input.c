/* Reading users' data files: the input module (see h5input.h). Apart from archive.c, the only
 * file that calls HDF5. */
#include <repdrift/h5input.h>
#include <hdf5.h>
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "hdf5_call.h"

PetscErrorCode RdInputReadArray(const char *path, const char *dataset_path, PetscInt expected_rank, const char *layout, PetscInt shape[], double **values)
{
  hid_t   file, dataset, space, type;
  hsize_t dims[H5S_MAX_RANK];
  int     rank;
  size_t  count = 1;

  PetscFunctionBeginUser;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by us, in words */
  PetscCheck(access(path, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot read %s: %s", path, strerror(errno));
  PetscCheck(H5Fis_hdf5(path) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s is not an HDF5 file: give an HDF5 file with a dataset %s %s", path, dataset_path, layout);
  RdH5Call(file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT));
  if (H5Lexists(file, dataset_path, H5P_DEFAULT) <= 0) {
    H5Fclose(file);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset %s: it must hold %s %s", path, dataset_path, dataset_path, layout);
  }
  RdH5Call(dataset = H5Dopen2(file, dataset_path, H5P_DEFAULT));
  RdH5Call(space = H5Dget_space(dataset));
  RdH5Call(type = H5Dget_type(dataset));
  RdH5Call(rank = H5Sget_simple_extent_ndims(space));
  PetscCheck(rank == expected_rank, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %d dimensions; it must be %s", path, dataset_path, rank, layout);
  PetscCheck(H5Tget_class(type) == H5T_FLOAT || H5Tget_class(type) == H5T_INTEGER, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold numbers (%s)", path, dataset_path, layout);
  RdH5Call(H5Sget_simple_extent_dims(space, dims, NULL));
  for (int i = 0; i < rank; i++) {
    shape[i] = (PetscInt)dims[i];
    count *= (size_t)dims[i];
  }
  PetscCall(PetscMalloc1(PetscMax(count, 1), values));
  if (count) RdH5Call(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *values));
  RdH5Call(H5Tclose(type));
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Dclose(dataset));
  RdH5Call(H5Fclose(file));
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
