/* Reading users' data files (HDF5): the input side of repdrift, apart from the archive it writes.
 * Serial, read-only, no MPI: any rank may call it; a bad file is refused with one message naming
 * the file, the dataset and what was expected, and is never modified.
 *
 * Used for the classifier's dataset files (/inputs, /labels: dataset.h), the sources of the
 * autoencoder and of repdrift-kappa (/sources [samples, sources]: modularity_sources.h), and
 * recordings (recording.h: a file check that tells truncated and damaged files apart, a dataset's
 * shape and type without reading it, root attributes and string arrays).
 * Together with archive.c this is the only module that calls HDF5. */
#ifndef REPDRIFT_H5INPUT_H
#define REPDRIFT_H5INPUT_H

#include <repdrift/common.h>

/* A 2-D numeric dataset of an input file (e.g. /sources [N, d] for repdrift-kappa) as float64
 * rows x cols (PetscMalloc'ed). Clear errors for a missing file, dataset or wrong rank. */
PetscErrorCode RdInputReadMatrix(const char *path, const char *dataset, PetscInt *rows, PetscInt *cols, double **values);
/* Any numeric dataset of an input file as float64 (PetscMalloc'ed), which must have expected_rank
 * dimensions (shape[expected_rank] receives them). layout describes what is expected (e.g. "a
 * matrix [examples, inputs]") for the error messages: a missing file or dataset, a wrong rank or a
 * non-numeric type is refused naming the file, the dataset and the layout. Integer datasets are
 * converted exactly (|value| < 2^53). */
PetscErrorCode RdInputReadArray(const char *path, const char *dataset, PetscInt expected_rank, const char *layout, PetscInt shape[], double **values);

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
