/* Slow, obviously-correct PCA for the tests: the full n_units x n_units covariance, LAPACK dsyev
 * (RdSymmetricEigenLAPACK), eigenpairs reversed to descending order. Mean, clipping, sign
 * convention and the derived quantities are the fast path's own (geometry_impl.h), so the two
 * paths differ only in how the eigenpairs are obtained. */
#include <repdrift/geometry.h>
#include <repdrift/eigen.h>
#include "geometry_impl.h"

/* cov = Xc^T Xc / (n - 1) with Xc = samples - mean, by the textbook triple loop. */
static void Covariance(const double *samples, PetscInt n_samples, PetscInt n_units, const double *mean, double *cov)
{
  for (PetscInt i = 0; i < n_units; i++)
    for (PetscInt j = 0; j < n_units; j++) {
      double sum = 0.0;
      for (PetscInt a = 0; a < n_samples; a++) sum += (samples[RD_IDX2(a, i, n_units)] - mean[i]) * (samples[RD_IDX2(a, j, n_units)] - mean[j]);
      cov[RD_IDX2(i, j, n_units)] = sum / (double)(n_samples - 1);
    }
}

PetscErrorCode RdPCAComputeReference(const double *samples, PetscInt n_samples, RdPCA *pca)
{
  PetscInt p;
  double  *cov, *ascending, *scratch;

  PetscFunctionBeginUser;
  PetscCall(RdPCACheckInput_Internal(samples, n_samples, pca));
  if (n_samples < 2) {
    RdPCASetTooFewSamples_Internal(samples, n_samples, pca);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  p              = pca->n_units;
  pca->n_samples = n_samples;
  pca->n_pcs     = RdPCANumPCs_Internal(n_samples, p);
  PetscCall(PetscMalloc3((size_t)p * (size_t)p, &cov, p, &ascending, p, &scratch));
  RdPCAComputeMean_Internal(samples, n_samples, p, pca->mean, scratch);
  Covariance(samples, n_samples, p, pca->mean, cov);
  PetscCall(RdSymmetricEigenLAPACK(cov, p, PETSC_TRUE, ascending)); /* row c of cov = eigenvector c */
  for (PetscInt i = 0; i < pca->n_pcs; i++) { /* i-th largest = ascending position p - 1 - i */
    const PetscInt source = p - 1 - i;
    pca->eigenvalues[i]   = ascending[source];
    for (PetscInt j = 0; j < p; j++) pca->pcs[RD_IDX2(i, j, p)] = cov[RD_IDX2(source, j, p)];
  }
  (void)RdPCAClipEigenvalues_Internal(pca->eigenvalues, pca->n_pcs);
  RdPCAFinish_Internal(pca);
  PetscCall(PetscFree3(cov, ascending, scratch));
  PetscFunctionReturn(PETSC_SUCCESS);
}
