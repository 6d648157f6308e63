/* Dense symmetric eigenproblems through SLEPc (EPS_HEP, EPSLAPACK). */
#ifndef REPDRIFT_EIGEN_H
#define REPDRIFT_EIGEN_H

#include <repdrift/common.h>

/* The n_wanted largest eigenpairs of the symmetric dim x dim matrix (row- and column-major agree),
 * eigenvalues descending; eigenvector i goes to vectors[i * vector_stride + j * component_stride]. */
PetscErrorCode RdSymmetricEigenpairs(double *matrix, PetscInt dim, PetscInt n_wanted, double *eigenvalues, double *vectors, PetscInt vector_stride, PetscInt component_stride);

#endif
