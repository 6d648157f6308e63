/* Reading users' data files: the input module (see h5input.h). Apart from archive.c, the only
 * file that calls HDF5.
 *
 * Handles never leak on a refusal: each query copies what it needs out of HDF5 and closes every
 * handle before it checks anything. */
#include <repdrift/h5input.h>
#include <hdf5.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
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

/* File checks, dataset shapes, attributes and strings (the recording reader, recording.h)    */

/* One HDF5 call; a failure is reported with the file and what was being done. */
#define InputH5Call(expr, path, what) \
  do { \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: %s failed (damaged file?)", path, what); \
  } while (0)

PetscErrorCode RdInputCheckFile(const char *path)
{
  hid_t  file;
  htri_t is_hdf5;

  PetscFunctionBeginUser;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by us, in words */
  PetscCheck(access(path, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot read %s: %s", path, strerror(errno));
  is_hdf5 = H5Fis_hdf5(path);
  PetscCheck(is_hdf5 > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s is not an HDF5 file", path);
  file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: HDF5 cannot open it: the file is truncated or damaged (its size is shorter than its superblock says, or its metadata are unreadable)", path);
  H5Fclose(file);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode OpenFile(const char *path, hid_t *file)
{
  PetscFunctionBeginUser;
  PetscCall(RdInputCheckFile(path));
  *file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  PetscCheck(*file >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: HDF5 cannot open it (truncated or damaged)", path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether every component of an absolute path exists (H5Lexists needs the parents to exist). */
static PetscBool LinkExists(hid_t file, const char *object)
{
  char   prefix[PETSC_MAX_PATH_LEN];
  size_t length = strlen(object);

  if (length == 0 || length >= sizeof prefix) return PETSC_FALSE;
  for (size_t i = 1; i <= length; i++) {
    if (object[i] != '/' && object[i] != '\0') continue;
    memcpy(prefix, object, i);
    prefix[i] = '\0';
    if (H5Lexists(file, prefix, H5P_DEFAULT) <= 0) return PETSC_FALSE;
  }
  return PETSC_TRUE;
}

PetscErrorCode RdInputHasDataset(const char *path, const char *dataset, PetscBool *exists)
{
  hid_t     file, object;
  H5I_type_t kind = H5I_BADID;

  PetscFunctionBeginUser;
  PetscCall(OpenFile(path, &file));
  *exists = LinkExists(file, dataset);
  if (*exists) {
    object = H5Oopen(file, dataset, H5P_DEFAULT);
    if (object >= 0) {
      kind = H5Iget_type(object);
      H5Oclose(object);
    }
  }
  H5Fclose(file);
  PetscCheck(!*exists || kind == H5I_DATASET, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is %s, not a dataset", path, dataset, kind == H5I_GROUP ? "a group" : (kind == H5I_BADID ? "a broken link" : "a named type"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static RdInputTypeClass ClassOf(H5T_class_t type_class, const char **name)
{
  switch (type_class) {
  case H5T_INTEGER: *name = "integer"; return RD_INPUT_INTEGER;
  case H5T_FLOAT: *name = "float"; return RD_INPUT_FLOAT;
  case H5T_STRING: *name = "string"; return RD_INPUT_STRING;
  case H5T_COMPOUND: *name = "compound"; break;
  case H5T_ENUM: *name = "enum"; break;
  case H5T_OPAQUE: *name = "opaque"; break;
  case H5T_BITFIELD: *name = "bitfield"; break;
  case H5T_REFERENCE: *name = "reference"; break;
  case H5T_VLEN: *name = "variable-length sequence"; break;
  case H5T_ARRAY: *name = "array"; break;
  case H5T_TIME: *name = "time"; break;
  default: *name = "unknown"; break;
  }
  return RD_INPUT_OTHER;
}

PetscErrorCode RdInputDescribeDataset(const char *path, const char *dataset_path, RdInputDatasetInfo *info)
{
  hid_t                  file, dataset, space, type;
  hsize_t                dims[H5S_MAX_RANK];
  int                    rank;
  H5T_class_t            type_class;
  H5D_space_status_t     status = H5D_SPACE_STATUS_ERROR;
  PetscBool              exists;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(info, sizeof(*info)));
  PetscCall(RdInputHasDataset(path, dataset_path, &exists));
  PetscCheck(exists, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset %s", path, dataset_path);
  PetscCall(OpenFile(path, &file));
  dataset = H5Dopen2(file, dataset_path, H5P_DEFAULT);
  if (dataset < 0) {
    H5Fclose(file);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s cannot be opened (damaged file?)", path, dataset_path);
  }
  space      = H5Dget_space(dataset);
  type       = H5Dget_type(dataset);
  rank       = space >= 0 ? H5Sget_simple_extent_ndims(space) : -1;
  type_class = type >= 0 ? H5Tget_class(type) : H5T_NO_CLASS;
  info->type_size = type >= 0 ? H5Tget_size(type) : 0;
  if (rank >= 0 && rank <= H5S_MAX_RANK) rank = H5Sget_simple_extent_dims(space, dims, NULL);
  (void)H5Dget_space_status(dataset, &status);
  if (type >= 0) H5Tclose(type);
  if (space >= 0) H5Sclose(space);
  H5Dclose(dataset);
  H5Fclose(file);
  PetscCheck(rank >= 0 && type_class != H5T_NO_CLASS, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has an unreadable shape or type (damaged file?)", path, dataset_path);
  info->rank       = rank;
  info->type_class = ClassOf(type_class, &info->type_name);
  size_t elements  = 1;
  for (int i = 0; i < rank; i++) {
    info->dims[i] = (uint64_t)dims[i];
    elements      = dims[i] == 0 ? 0 : elements;
  }
  info->storage_complete = (PetscBool)(status == H5D_SPACE_STATUS_ALLOCATED || elements == 0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads a string-typed attribute or one element of a string dataset into text. */
static PetscErrorCode ReadStringValue(hid_t object, hid_t type, PetscBool is_attribute, const char *path, const char *what, char *text, size_t size)
{
  PetscFunctionBeginUser;
  if (H5Tis_variable_str(type) > 0) {
    char  *value = NULL;
    hid_t  memory;
    herr_t status;
    InputH5Call(memory = H5Tcopy(H5T_C_S1), path, what);
    H5Tset_size(memory, H5T_VARIABLE);
    H5Tset_cset(memory, H5Tget_cset(type));
    status = is_attribute ? H5Aread(object, memory, &value) : H5Dread(object, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value);
    H5Tclose(memory);
    PetscCheck(status >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading %s failed (damaged file?)", path, what);
    size_t length = value ? strlen(value) : 0;
    if (length < size) memcpy(text, value ? value : "", length + 1);
    if (value) H5free_memory(value);
    PetscCheck(length < size, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is %zu characters long, more than the %zu accepted", path, what, length, size - 1);
  } else {
    size_t length = H5Tget_size(type);
    char  *buffer;
    hid_t  memory;
    herr_t status;
    PetscCheck(length < size, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is %zu characters long, more than the %zu accepted", path, what, length, size - 1);
    PetscCall(PetscCalloc1(length + 1, &buffer));
    InputH5Call(memory = H5Tcopy(type), path, what);
    status = is_attribute ? H5Aread(object, memory, buffer) : H5Dread(object, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
    H5Tclose(memory);
    if (status >= 0) memcpy(text, buffer, length + 1); /* NUL- or space-padded; the calloc'ed tail ends it */
    PetscCall(PetscFree(buffer));
    PetscCheck(status >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading %s failed (damaged file?)", path, what);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadAttribute(hid_t file, const char *path, const char *name, RdInputAttribute *attribute)
{
  hid_t          handle, type, space;
  hssize_t       points;
  char           what[256];
  const char    *class_name;
  PetscBool      read_failed = PETSC_FALSE;
  PetscErrorCode ierr        = PETSC_SUCCESS;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof what, "root attribute %s", name));
  InputH5Call(handle = H5Aopen(file, name, H5P_DEFAULT), path, what);
  type   = H5Aget_type(handle);
  space  = H5Aget_space(handle);
  points = space >= 0 ? H5Sget_simple_extent_npoints(space) : -1;
  attribute->type_class = type >= 0 ? ClassOf(H5Tget_class(type), &class_name) : RD_INPUT_OTHER;
  if (type < 0 || points != 1) {
    /* refused below, after the handles are closed */
  } else if (attribute->type_class == RD_INPUT_STRING) {
    ierr = ReadStringValue(handle, type, PETSC_TRUE, path, what, attribute->text, sizeof attribute->text);
  } else if (attribute->type_class == RD_INPUT_INTEGER) {
    long long integer = 0;
    read_failed       = (PetscBool)(H5Aread(handle, H5T_NATIVE_LLONG, &integer) < 0);
    attribute->number   = (double)integer;
    attribute->integral = (PetscBool)((long long)attribute->number == integer);
    (void)snprintf(attribute->text, sizeof attribute->text, "%lld", integer);
  } else if (attribute->type_class == RD_INPUT_FLOAT) {
    read_failed         = (PetscBool)(H5Aread(handle, H5T_NATIVE_DOUBLE, &attribute->number) < 0);
    attribute->integral = (PetscBool)(attribute->number == floor(attribute->number) && fabs(attribute->number) < 9007199254740992.0);
    (void)snprintf(attribute->text, sizeof attribute->text, "%.17g", attribute->number);
  }
  if (space >= 0) H5Sclose(space);
  if (type >= 0) H5Tclose(type);
  H5Aclose(handle);
  PetscCall(ierr);
  PetscCheck(type >= 0 && !read_failed, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading %s failed (damaged file?)", path, what);
  PetscCheck(points == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s must hold one value, it holds %lld", path, what, (long long)points);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdInputReadRootAttribute(const char *path, const char *name, RdInputAttribute *attribute)
{
  hid_t          file;
  PetscErrorCode ierr = PETSC_SUCCESS;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(attribute, sizeof(*attribute)));
  PetscCall(OpenFile(path, &file));
  attribute->exists = (PetscBool)(H5Aexists(file, name) > 0);
  if (attribute->exists) ierr = ReadAttribute(file, path, name, attribute);
  H5Fclose(file);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads the n strings of an open 1-D string dataset. */
static PetscErrorCode ReadStringsOpen(hid_t dataset, hid_t type, const char *path, const char *dataset_path, PetscInt n, char **strings)
{
  hid_t  memory;
  herr_t status;

  PetscFunctionBeginUser;
  InputH5Call(memory = H5Tcopy(H5T_C_S1), path, "copying a string type");
  H5Tset_cset(memory, H5Tget_cset(type));
  if (H5Tis_variable_str(type) > 0) {
    char **values;
    H5Tset_size(memory, H5T_VARIABLE);
    PetscCall(PetscCalloc1(PetscMax(n, 1), &values));
    status = H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, values);
    for (PetscInt i = 0; i < n && status >= 0; i++) PetscCall(PetscStrallocpy(values[i] ? values[i] : "", &strings[i]));
    for (PetscInt i = 0; i < n && status >= 0; i++)
      if (values[i]) H5free_memory(values[i]);
    PetscCall(PetscFree(values));
  } else {
    const size_t width = H5Tget_size(type);
    char        *block;
    H5Tset_size(memory, width);
    H5Tset_strpad(memory, H5T_STR_NULLPAD);
    PetscCall(PetscCalloc1((size_t)PetscMax(n, 1) * width + 1, &block));
    status = H5Dread(dataset, memory, H5S_ALL, H5S_ALL, H5P_DEFAULT, block);
    for (PetscInt i = 0; i < n && status >= 0; i++) {
      PetscCall(PetscCalloc1(width + 1, &strings[i]));
      memcpy(strings[i], block + (size_t)i * width, width);
    }
    PetscCall(PetscFree(block));
  }
  H5Tclose(memory);
  PetscCheck(status >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading the strings of %s failed (damaged file?)", path, dataset_path);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdInputReadStrings(const char *path, const char *dataset_path, PetscInt *count, char ***strings)
{
  RdInputDatasetInfo info;
  hid_t              file, dataset, type;
  PetscErrorCode     ierr;

  PetscFunctionBeginUser;
  PetscCall(RdInputDescribeDataset(path, dataset_path, &info));
  PetscCheck(info.rank == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %d dimensions; it must be a 1-D array of strings", path, dataset_path, info.rank);
  PetscCheck(info.type_class == RD_INPUT_STRING, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s holds %s values; it must hold strings", path, dataset_path, info.type_name);
  PetscCheck(info.dims[0] <= (uint64_t)PETSC_MAX_INT / 2, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s declares %llu strings, more than this build can index", path, dataset_path, (unsigned long long)info.dims[0]);
  PetscCheck(info.storage_complete, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is declared but its data were never (fully) written", path, dataset_path);
  *count = (PetscInt)info.dims[0];
  PetscCall(PetscCalloc1(PetscMax(*count, 1), strings));
  PetscCall(OpenFile(path, &file));
  dataset = H5Dopen2(file, dataset_path, H5P_DEFAULT);
  type    = dataset >= 0 ? H5Dget_type(dataset) : -1;
  ierr    = type >= 0 ? ReadStringsOpen(dataset, type, path, dataset_path, *count, *strings) : PETSC_ERR_FILE_READ;
  if (type >= 0) H5Tclose(type);
  if (dataset >= 0) H5Dclose(dataset);
  H5Fclose(file);
  if (ierr) PetscCall(RdInputFreeStrings(*count, strings));
  PetscCheck(ierr != PETSC_ERR_FILE_READ || type >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: %s cannot be opened (damaged file?)", path, dataset_path);
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdInputFreeStrings(PetscInt count, char ***strings)
{
  PetscFunctionBeginUser;
  if (!*strings) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt i = 0; i < count; i++) PetscCall(PetscFree((*strings)[i]));
  PetscCall(PetscFree(*strings));
  PetscFunctionReturn(PETSC_SUCCESS);
}
