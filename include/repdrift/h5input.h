/* Reading users' data files (HDF5): the input side of repdrift, apart from the archive it writes.
 * Serial, read-only, no MPI: any rank may call it; a bad file is refused with one message naming
 * the file, the dataset and what was expected, and is never modified.
 *
 * Used for the classifier's dataset files (/inputs, /labels: dataset.h) and the sources of the
 * autoencoder and of repdrift-kappa (/sources [samples, sources]: modularity_sources.h).
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
/* The same for a dataset of any rank from 1 to RD_INPUT_MAX_RANK (a file that may hold one of
 * several layouts, e.g. images [N, C, H, W] or vectors [N, n]): *rank receives its rank. */
#define RD_INPUT_MAX_RANK 32 /* H5S_MAX_RANK (as h5input_recording.h) */
PetscErrorCode RdInputReadArrayAnyRank(const char *path, const char *dataset, const char *layout, PetscInt *rank, PetscInt shape[RD_INPUT_MAX_RANK], double **values);

#endif
