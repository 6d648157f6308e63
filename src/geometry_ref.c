/* Slow, obviously-correct PCA for the tests: the full n_units x n_units covariance, LAPACK dsyev,
 * eigenpairs reversed to descending order. Mean, clipping, sign convention and the derived
 * quantities are the fast path's own (geometry_impl.h), so the two paths differ only in how the
 * eigenpairs are obtained. */
#include <repdrift/geometry.h>
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

/* All eigenpairs of the symmetric matrix (overwritten by its eigenvectors, column c of the
 * column-major result = eigenvector c), eigenvalues ascending. */
static PetscErrorCode SymmetricEigenLAPACK(double *matrix, PetscInt dim, double *eigenvalues)
{
  const int n = (int)dim;
  int       lwork = -1, info = 0;
  double    work_size, *work;

  PetscFunctionBeginUser;
  PetscCheck(dim <= 46340, PETSC_COMM_SELF, PETSC_ERR_SUP, "PCA reference: %" PetscInt_FMT " units overflow LAPACK's int indexing", dim);
  dsyev_("V", "U", &n, matrix, &n, eigenvalues, &work_size, &lwork, &info); /* workspace query */
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "PCA reference: dsyev workspace query failed (info %d)", info);
  lwork = (int)work_size;
  PetscCall(PetscMalloc1(lwork, &work));
  dsyev_("V", "U", &n, matrix, &n, eigenvalues, work, &lwork, &info);
  PetscCall(PetscFree(work));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "PCA reference: dsyev failed (info %d)", info);
  PetscFunctionReturn(PETSC_SUCCESS);
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
  PetscCall(SymmetricEigenLAPACK(cov, p, ascending));
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
