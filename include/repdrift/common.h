/* Shared macros and small helpers for every repdrift module. */
#ifndef REPDRIFT_COMMON_H
#define REPDRIFT_COMMON_H

#include <petscsys.h>
#include <stdint.h>

/* PETSc >= 3.19 names the success code; 3.18 (Debian bookworm) does not. */
#ifndef PETSC_SUCCESS
#define PETSC_SUCCESS 0
#endif

/* NaN used for padding and not-yet-computed values everywhere (archive-v1 semantics). */
#define RD_NAN ((double)NAN)

/* Degrees from radians; every angle repdrift reports is in degrees. */
#define RD_DEGREES(rad) ((rad) * 180.0 / PETSC_PI)

/* Row-major indexing helpers: names say which axis is which. */
#define RD_IDX2(i, j, nj) ((size_t)(i) * (size_t)(nj) + (size_t)(j))
#define RD_IDX3(i, j, k, nj, nk) (((size_t)(i) * (size_t)(nj) + (size_t)(j)) * (size_t)(nk) + (size_t)(k))

/* Fortran LAPACK/BLAS used by the slow reference implementations and small dense solves. */
void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work, const int *lwork, int *info);
void dposv_(const char *uplo, const int *n, const int *nrhs, double *a, const int *lda, double *b, const int *ldb, int *info);

/* Baked in at build time (cmake/Provenance.cmake). */
const char *RdProgramVersion(void);
const char *RdGitRevision(void);

#endif /* REPDRIFT_COMMON_H */
