/* Dense BLAS/LAPACK helpers of the theory modules (theory_impl.h). Row-major data are handed to
 * the column-major Fortran routines as their transposes: C^T = op(B)^T op(A)^T. */
#include "theory_impl.h"
#include <repdrift/eigen.h>
#include <petscblaslapack.h>

PetscErrorCode RdTheoryGemm(PetscBool transpose_A, PetscBool transpose_B, PetscInt rows, PetscInt cols, PetscInt inner, double alpha, const double *A, const double *B, double beta, double *C)
{
  PetscBLASInt m, n, k, lda, ldb, ldc;

  PetscFunctionBeginUser;
  if (rows == 0 || cols == 0) PetscFunctionReturn(PETSC_SUCCESS);
  /* column-major view: C^T [cols][rows] = op(B)^T [cols][inner] op(A)^T [inner][rows] */
  PetscCall(PetscBLASIntCast(cols, &m));
  PetscCall(PetscBLASIntCast(rows, &n));
  PetscCall(PetscBLASIntCast(inner, &k));
  PetscCall(PetscBLASIntCast(transpose_B ? inner : cols, &ldb));
  PetscCall(PetscBLASIntCast(transpose_A ? rows : inner, &lda));
  ldc = m;
  if (k == 0) {
    for (PetscInt a = 0; a < rows * cols; a++) C[a] = beta == 0.0 ? 0.0 : beta * C[a];
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCallBLAS("BLASgemm", BLASgemm_(transpose_B ? "T" : "N", transpose_A ? "T" : "N", &m, &n, &k, &alpha, B, &ldb, A, &lda, &beta, C, &ldc));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheorySymmetricEigen(PetscInt dim, double *matrix, double *eigenvalues, double *vectors)
{
  double *ascending;

  PetscFunctionBeginUser;
  if (dim == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(dim, &ascending));
  PetscCall(RdSymmetricEigenLAPACK(matrix, dim, PETSC_TRUE, ascending));
  /* row j of the row-major result is the eigenvector of ascending[j]: reverse to descending */
  for (PetscInt i = 0; i < dim; i++) {
    eigenvalues[i] = ascending[dim - 1 - i];
    PetscCall(PetscArraycpy(vectors + RD_IDX2(i, 0, dim), matrix + RD_IDX2(dim - 1 - i, 0, dim), dim));
  }
  PetscCall(PetscFree(ascending));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void dsytrd_(const char *uplo, const int *n, double *a, const int *lda, double *d, double *e, double *tau, double *work, const int *lwork, int *info);
void dormtr_(const char *side, const char *uplo, const char *trans, const int *m, const int *n, const double *a, const int *lda, const double *tau, double *c, const int *ldc, double *work, const int *lwork, int *info);

/* LAPACK's symmetric A = Q T Q^T (Householder, dsytrd; a symmetric row-major matrix is its own
 * column-major transpose) and Q^T v by the stored reflectors (dormtr). */
PetscErrorCode RdTheoryTridiagonalize(PetscInt dim, double *matrix, double *diagonal, double *off_diagonal, double *vector)
{
  int     n = (int)dim, lwork = -1, info, one = 1;
  double *tau, *work, size_trd, size_mtr;

  PetscFunctionBeginUser;
  if (dim == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc1(PetscMax(dim - 1, 1), &tau));
  dsytrd_("U", &n, matrix, &n, diagonal, off_diagonal, tau, &size_trd, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsytrd workspace query failed (info %d)", info);
  dormtr_("L", "U", "T", &n, &one, matrix, &n, tau, vector, &n, &size_mtr, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dormtr workspace query failed (info %d)", info);
  lwork = (int)PetscMax(size_trd, size_mtr);
  PetscCall(PetscMalloc1(lwork, &work));
  dsytrd_("U", &n, matrix, &n, diagonal, off_diagonal, tau, work, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsytrd failed (info %d)", info);
  dormtr_("L", "U", "T", &n, &one, matrix, &n, tau, vector, &n, work, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dormtr failed (info %d)", info);
  PetscCall(PetscFree(work));
  PetscCall(PetscFree(tau));
  PetscFunctionReturn(PETSC_SUCCESS);
}
