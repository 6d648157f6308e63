/* Private to geometry.c and geometry_ref.c: the steps both PCA paths share, so the fast path and
 * the reference can differ only in how they obtain the eigenpairs. Not part of the public API. */
#ifndef REPDRIFT_GEOMETRY_IMPL_H
#define REPDRIFT_GEOMETRY_IMPL_H

#include <repdrift/geometry.h>

/* Eigenvalues below this fraction of the largest one (or negative) are round-off: set to 0. */
#define RD_PCA_EIGENVALUE_RTOL 1e-12

/* min(n_samples - 1, n_units), 0 below 2 samples. */
PetscInt RdPCANumPCs_Internal(PetscInt n_samples, PetscInt n_units);

/* Argument checks shared by both paths (n_samples within [0, n_samples_max], buffers present). */
PetscErrorCode RdPCACheckInput_Internal(const double *samples, PetscInt n_samples, const RdPCA *pca);

/* Column means of samples [n_samples][n_units] into mean, with one correction pass
 * (mean += sum(x - mean)/n) so a constant unit gets its value back exactly and centres to 0.
 * unit_scratch: [n_units]. n_samples >= 1. */
void RdPCAComputeMean_Internal(const double *samples, PetscInt n_samples, PetscInt n_units, double *mean, double *unit_scratch);

/* Fills pca for n_samples < 2: no PCs, NaN spectrum summaries; mean is the sample (n = 1) or NaN. */
void RdPCASetTooFewSamples_Internal(const double *samples, PetscInt n_samples, RdPCA *pca);

/* Clips eigenvalues[n] (descending) below RD_PCA_EIGENVALUE_RTOL * largest, or negative, to 0;
 * returns how many stay positive (leading, since the input is descending). */
PetscInt RdPCAClipEigenvalues_Internal(double *eigenvalues, PetscInt n);

/* After pca->mean, pca->n_samples, pca->n_pcs, clipped pca->eigenvalues and orthonormal pca->pcs
 * are set: applies the sign convention (Eq 3) and fills explained, total_variance,
 * participation_ratio and k_variational. */
void RdPCAFinish_Internal(RdPCA *pca);

#endif
