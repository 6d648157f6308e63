/* Private to the theory_*.c files: dense helpers they share. Not part of the public API.
 * Every matrix is row-major. */
#ifndef REPDRIFT_THEORY_IMPL_H
#define REPDRIFT_THEORY_IMPL_H

#include <repdrift/theory.h>
#include <repdrift/dense.h>
#include <math.h>

/* C [rows][cols] = A [rows][inner] B [inner][cols] by plain loops (small matrices, fixed order). */
static inline void RdTheoryMatMul(PetscInt rows, PetscInt inner, PetscInt cols, const double *A, const double *B, double *C)
{
  for (PetscInt i = 0; i < rows; i++) {
    double *c = C + RD_IDX2(i, 0, cols);
    for (PetscInt j = 0; j < cols; j++) c[j] = 0.0;
    for (PetscInt l = 0; l < inner; l++) {
      const double  a = A[RD_IDX2(i, l, inner)];
      const double *b = B + RD_IDX2(l, 0, cols);
      for (PetscInt j = 0; j < cols; j++) c[j] += a * b[j];
    }
  }
}

/* C [rows][cols] = alpha op(A) op(B) + beta C through BLAS dgemm, op(X) = X or X^T as the flags
 * say; op(A) is rows x inner, op(B) inner x cols, all row-major (the large products of the
 * theory: V^T C V, the hidden-space loadings, the lagged covariances). */
PetscErrorCode RdTheoryGemm(PetscBool transpose_A, PetscBool transpose_B, PetscInt rows, PetscInt cols, PetscInt inner, double alpha, const double *A, const double *B, double beta, double *C);

/* All eigenpairs of the symmetric dim x dim matrix (overwritten) by LAPACK dsyev, eigenvalues
 * descending, eigenvector i in vectors[i][.] (vectors must not alias matrix). */
PetscErrorCode RdTheorySymmetricEigen(PetscInt dim, double *matrix, double *eigenvalues, double *vectors);

/* q / (1 - q): the variance of an inverted-dropout scale keep / (1 - q); 0 without dropout. */
static inline double RdTheoryDropoutFactor(double dropout)
{
  return dropout > 0.0 ? dropout / (1.0 - dropout) : 0.0;
}

#endif
