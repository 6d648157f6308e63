/* Dense symmetric eigenproblems: A v = lambda v for a real symmetric dim x dim matrix A, stored
 * row-major (for a symmetric matrix row- and column-major storage agree). Two solvers:
 * - RdSymmetricEigenpairs: SLEPc EPS (EPS_HEP, EPSLAPACK), the n_wanted largest pairs, descending;
 *   the production path of the geometry (PCA) and the drift theory.
 * - RdSymmetricEigenLAPACK: LAPACK dsyev directly, every pair, ascending; for small matrices in
 *   inner loops (modularity: d <= 17) and the slow reference implementations the fast paths are
 *   tested against (PCA reference, the readout's Gram basis, the theory's rank). */
#ifndef REPDRIFT_EIGEN_H
#define REPDRIFT_EIGEN_H

#include <repdrift/common.h>

/* The n_wanted largest eigenpairs of the symmetric dim x dim matrix (row- and column-major agree),
 * eigenvalues descending; eigenvector i goes to vectors[i * vector_stride + j * component_stride]. */
PetscErrorCode RdSymmetricEigenpairs(double *matrix, PetscInt dim, PetscInt n_wanted, double *eigenvalues, double *vectors, PetscInt vector_stride, PetscInt component_stride);

/* All eigenvalues of the symmetric dim x dim matrix, ascending, by LAPACK dsyev (only the lower
 * triangle of the row-major buffer is read). matrix is overwritten: with want_vectors, row m of
 * the row-major buffer becomes the unit eigenvector of eigenvalues[m] (LAPACK's column m);
 * without, its contents are destroyed. Signs of eigenvectors are LAPACK's. dim <= 46340 (LAPACK's
 * int indexing). The workspace is LAPACK's optimal size (queried), on the stack when small. */
PetscErrorCode RdSymmetricEigenLAPACK(double *matrix, PetscInt dim, PetscBool want_vectors, double *eigenvalues);

#endif
