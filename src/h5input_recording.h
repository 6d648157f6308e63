/* FOR THE LEAD TO MERGE INTO h5input (include/repdrift/h5input.h): what the recording reader needs
 * from an input HDF5 file besides RdInputReadArray — a file check that tells truncated and damaged
 * files apart, a dataset's shape and type without reading it, root attributes and string arrays.
 * Serial; every error is one line naming the file, the path inside it and what is wrong. */
#ifndef REPDRIFT_H5INPUT_RECORDING_H
#define REPDRIFT_H5INPUT_RECORDING_H

#include <repdrift/common.h>

#define RD_INPUT_MAX_RANK 32    /* H5S_MAX_RANK */
#define RD_INPUT_TEXT_MAX 1024  /* longest attribute text kept (longer text is refused) */

typedef enum { RD_INPUT_INTEGER, RD_INPUT_FLOAT, RD_INPUT_STRING, RD_INPUT_OTHER } RdInputTypeClass;

/* The declared shape and type of a dataset (nothing is read). */
typedef struct {
  int              rank;
  uint64_t         dims[RD_INPUT_MAX_RANK];
  RdInputTypeClass type_class;
  size_t           type_size;        /* bytes per element in the file */
  const char      *type_name;        /* "integer", "float", "string", "compound", ... for messages */
  PetscBool        storage_complete; /* the file holds storage for every element (H5D_SPACE_STATUS_ALLOCATED,
                                        or an empty dataset): false for a dataset declared but never
                                        (or only partly) written */
} RdInputDatasetInfo;

/* The file exists, is readable, is HDF5 and opens (a truncated or damaged file is refused here). */
PetscErrorCode RdInputCheckFile(const char *path);
/* Whether `dataset` (an absolute path, e.g. "/responses") names a dataset. Something else at that
 * path (a group, a named type) is refused. */
PetscErrorCode RdInputHasDataset(const char *path, const char *dataset, PetscBool *exists);
/* Shape and type of an existing dataset (refused when missing). */
PetscErrorCode RdInputDescribeDataset(const char *path, const char *dataset, RdInputDatasetInfo *info);

/* A root attribute: absent, text (fixed or variable length, scalar or one element), or a number
 * (integer or float, scalar or one element; integral = an exact integer value). */
typedef struct {
  PetscBool        exists;
  RdInputTypeClass type_class;
  char             text[RD_INPUT_TEXT_MAX];
  double           number;
  PetscBool        integral;
} RdInputAttribute;
PetscErrorCode RdInputReadRootAttribute(const char *path, const char *name, RdInputAttribute *attribute);

/* A 1-D string dataset (fixed or variable length) as count PetscMalloc'ed C strings;
 * free with RdInputFreeStrings. */
PetscErrorCode RdInputReadStrings(const char *path, const char *dataset, PetscInt *count, char ***strings);
PetscErrorCode RdInputFreeStrings(PetscInt count, char ***strings);

#endif
