/* Cost of the drift geometry per (day, stimulus): one in-class PCA of the probe responses.
 *
 *   bench_geometry [-units 1024] [-samples 200] [-rank 8] [-seconds 1]
 *
 * RdPCACompute (SLEPc, Gram matrix when samples <= units) against RdPCAComputeReference (LAPACK
 * dsyev on the full units x units covariance), on synthetic responses shaped like probe data:
 * a mean, a few strong directions, and isotropic noise. Also reports how far the two agree. */
#include <repdrift/geometry.h>
#include <slepcsys.h>
#include <repdrift/rng.h>
#include <math.h>

typedef PetscErrorCode (*PCAFunction)(const double *, PetscInt, RdPCA *);

/* Mean seconds per call: repeats until `seconds` have passed (at least twice). */
static PetscErrorCode TimePCA(PCAFunction compute, const double *samples, PetscInt n_samples, double seconds, RdPCA *pca, double *per_call, PetscInt *calls)
{
  PetscLogDouble start, now;

  PetscFunctionBeginUser;
  PetscCall(compute(samples, n_samples, pca)); /* warm-up: first-touch and SLEPc setup paths */
  PetscCall(PetscTime(&start));
  *calls = 0;
  do {
    PetscCall(compute(samples, n_samples, pca));
    (*calls)++;
    PetscCall(PetscTime(&now));
  } while (now - start < seconds || *calls < 2);
  *per_call = (now - start) / (double)*calls;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscInt  n_units = 1024, n_samples = 200, rank = 8, calls_fast, calls_ref;
  PetscReal seconds = 1.0;
  RdPCA     fast, ref;
  RdStream  stream;
  double   *samples, *basis, *mean, t_fast, t_ref;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-units", &n_units, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-samples", &n_samples, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-rank", &rank, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-seconds", &seconds, NULL));
  PetscCheck(n_units >= 1 && n_samples >= 2 && rank >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-units >= 1, -samples >= 2 and -rank >= 0 needed");

  /* responses = mean + sum_c (strength 1/(c+1)) z_c basis_c + 0.05 noise */
  PetscCall(PetscMalloc3((size_t)n_samples * n_units, &samples, (size_t)rank * n_units, &basis, n_units, &mean));
  RdStreamInit(&stream, 1, 0, RD_PURPOSE_READOUT);
  for (PetscInt u = 0; u < n_units; u++) mean[u] = RdStreamNormal(&stream);
  for (PetscInt i = 0; i < rank * n_units; i++) basis[i] = RdStreamNormal(&stream) / sqrt((double)n_units);
  for (PetscInt t = 0; t < n_samples; t++) {
    double *row = samples + RD_IDX2(t, 0, n_units);
    for (PetscInt u = 0; u < n_units; u++) row[u] = mean[u] + 0.05 * RdStreamNormal(&stream);
    for (PetscInt c = 0; c < rank; c++) {
      const double z = RdStreamNormal(&stream) / (double)(c + 1);
      for (PetscInt u = 0; u < n_units; u++) row[u] += z * basis[RD_IDX2(c, u, n_units)];
    }
  }

  PetscCall(RdPCACreate(n_units, n_samples, &fast));
  PetscCall(RdPCACreate(n_units, n_samples, &ref));
  PetscCall(TimePCA(RdPCACompute, samples, n_samples, seconds, &fast, &t_fast, &calls_fast));
  PetscCall(TimePCA(RdPCAComputeReference, samples, n_samples, seconds, &ref, &t_ref, &calls_ref));

  double eig_error = 0.0, pc_error = 0.0;
  for (PetscInt i = 0; i < PetscMin(fast.n_pcs, rank); i++) {
    double dot = 0.0;
    eig_error = PetscMax(eig_error, fabs(fast.eigenvalues[i] - ref.eigenvalues[i]) / ref.eigenvalues[0]);
    for (PetscInt u = 0; u < n_units; u++) dot += fast.pcs[RD_IDX2(i, u, n_units)] * ref.pcs[RD_IDX2(i, u, n_units)];
    pc_error = PetscMax(pc_error, 1.0 - fabs(dot));
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "PCA per (day, stimulus): %" PetscInt_FMT " units, %" PetscInt_FMT " samples, %" PetscInt_FMT " strong directions\n", n_units, n_samples, rank));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-32s %12s %8s\n", "implementation", "ms/call", "calls"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-32s %12.3f %8" PetscInt_FMT "\n", "RdPCACompute (SLEPc)", 1e3 * t_fast, calls_fast));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-32s %12.3f %8" PetscInt_FMT "\n", "RdPCAComputeReference (LAPACK)", 1e3 * t_ref, calls_ref));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "speed-up %.1fx; n_pcs %" PetscInt_FMT " vs %" PetscInt_FMT "; top-%" PetscInt_FMT " eigenvalues agree to %.2g (relative to the largest), PCs to 1 - |cos| = %.2g; participation ratio %.6g vs %.6g\n", t_ref / t_fast, fast.n_pcs, ref.n_pcs, rank, eig_error, pc_error, fast.participation_ratio, ref.participation_ratio));

  PetscCall(RdPCADestroy(&fast));
  PetscCall(RdPCADestroy(&ref));
  PetscCall(PetscFree3(samples, basis, mean));
  PetscCall(SlepcFinalize());
  return 0;
}
