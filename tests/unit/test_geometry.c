/* Drift geometry: PCA and drift metrics on hand-made data with analytic answers (both PCA paths,
 * covariance and Gram), degenerate inputs, and the SLEPc path against the LAPACK reference on
 * random data. */
#include <repdrift/geometry.h>
#include "testing.h"

/* The contract's angle is acos(clip(cos)): a cosine one ulp from +-1 is already
 * sqrt(2 * 2.2e-16) rad = 1.2e-6 degrees away from 0 or 180, so exact answers there hold to ~1e-5. */
#define ACOS_RESOLUTION 1e-5

typedef PetscErrorCode (*PCAFunction)(const double *, PetscInt, RdPCA *);
static double Dot(const double *a, const double *b, PetscInt n)
{
  double s = 0.0;
  for (PetscInt i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* max |W W^T - I| over the first rows of pcs. */
static double OrthonormalityError(const double *pcs, PetscInt rows, PetscInt p)
{
  double error = 0.0;
  for (PetscInt i = 0; i < rows; i++)
    for (PetscInt j = 0; j < rows; j++) error = fmax(error, fabs(Dot(pcs + i * p, pcs + j * p, p) - (i == j ? 1.0 : 0.0)));
  return error;
}

/* max |A^T A - B^T B| for the projectors onto the spans of the first rows of a and b. */
static double ProjectorDifference(const double *a, const double *b, PetscInt rows, PetscInt p)
{
  double diff = 0.0;
  for (PetscInt i = 0; i < p; i++)
    for (PetscInt j = 0; j < p; j++) {
      double pa = 0.0, pb = 0.0;
      for (PetscInt r = 0; r < rows; r++) {
        pa += a[r * p + i] * a[r * p + j];
        pb += b[r * p + i] * b[r * p + j];
      }
      diff = fmax(diff, fabs(pa - pb));
    }
  return diff;
}

/* 2 n_axes samples mean +- spread_k axis_k: mean exactly `mean`, covariance
 * sum_k 2 spread_k^2 axis_k axis_k^T / (2 n_axes - 1). shift (may be NULL) is added to every sample. */
static void AxisSamples(PetscInt p, const double *mean, const double *axes, const double *spreads, PetscInt n_axes, const double *shift, double *samples)
{
  for (PetscInt k = 0; k < n_axes; k++)
    for (PetscInt sign = 0; sign < 2; sign++)
      for (PetscInt j = 0; j < p; j++)
        samples[(2 * k + sign) * p + j] = mean[j] + (sign ? -1.0 : 1.0) * spreads[k] * axes[k * p + j] + (shift ? shift[j] : 0.0);
}

/* Rotated axes (Hadamard rows / 2 in the first four units) with spreads 3, 2, 1: eigenvalues
 * 2 s^2 / 5 = 3.6, 1.6, 0.4, explained 9/14, 4/14, 1/14, sum v^2 = 1/2 so D = 2 and k = 2.
 * Signs: mean . a = 0.375, -0.875, 1.125 so w = a_1, -a_2, a_3. */
static PetscErrorCode TestAxisPCA(PCAFunction compute, PetscInt p, const char *what)
{
  const double hadamard[3][4] = {{0.5, 0.5, 0.5, 0.5}, {0.5, -0.5, 0.5, -0.5}, {0.5, 0.5, -0.5, -0.5}};
  const double spreads[3] = {3.0, 2.0, 1.0}, signs[3] = {1.0, -1.0, 1.0}, lambda[3] = {3.6, 1.6, 0.4};
  double       axes[3 * 8] = {0}, mean[8] = {0.5, 1.0, -1.0, 0.25, 0.3, -0.2, 0.7, 0.1}, samples[6 * 8];
  RdPCA        pca;
  char         label[128];

  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < 3; k++)
    for (PetscInt j = 0; j < 4; j++) axes[k * p + j] = hadamard[k][j];
  AxisSamples(p, mean, axes, spreads, 3, NULL, samples);
  PetscCall(RdPCACreate(p, 6, &pca));
  PetscCall(compute(samples, 6, &pca));
  RD_CHECK(pca.n_pcs == 5 && pca.n_samples == 6, "%s: n_pcs %" PetscInt_FMT " expected 5", what, pca.n_pcs);
  for (PetscInt i = 0; i < 3; i++) {
    PetscSNPrintf(label, sizeof label, "%s eigenvalue %" PetscInt_FMT, what, i);
    RD_CHECK_CLOSE(pca.eigenvalues[i], lambda[i], 1e-12, label);
    PetscSNPrintf(label, sizeof label, "%s explained %" PetscInt_FMT, what, i);
    RD_CHECK_CLOSE(pca.explained[i], lambda[i] / 5.6, 1e-12, label);
    double error = 0.0;
    for (PetscInt j = 0; j < p; j++) error = fmax(error, fabs(pca.pcs[i * p + j] - signs[i] * axes[i * p + j]));
    RD_CHECK(error < 1e-12, "%s: PC %" PetscInt_FMT " off the expected signed axis by %g", what, i, error);
  }
  RD_CHECK(pca.eigenvalues[3] == 0.0 && pca.eigenvalues[4] == 0.0, "%s: round-off eigenvalues clipped to 0 (got %g, %g)", what, pca.eigenvalues[3], pca.eigenvalues[4]);
  RD_CHECK(pca.explained[3] == 0.0 && pca.explained[4] == 0.0, "%s: zero eigenvalues explain 0", what);
  PetscSNPrintf(label, sizeof label, "%s total variance", what);
  RD_CHECK_CLOSE(pca.total_variance, 5.6, 1e-12, label);
  PetscSNPrintf(label, sizeof label, "%s participation ratio", what);
  RD_CHECK_CLOSE(pca.participation_ratio, 2.0, 1e-12, label);
  RD_CHECK(pca.k_variational == 2, "%s: k = %" PetscInt_FMT " expected 2", what, pca.k_variational);
  RD_CHECK(OrthonormalityError(pca.pcs, 5, p) < 1e-12, "%s: all 5 PC rows orthonormal (error %g)", what, OrthonormalityError(pca.pcs, 5, p));
  for (PetscInt j = 0; j < p; j++) RD_CHECK(pca.mean[j] == mean[j], "%s: mean[%" PetscInt_FMT "] = %g expected %g", what, j, pca.mean[j], mean[j]);
  PetscCall(RdPCADestroy(&pca));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Equal spreads on three axes: D = 3 exactly, k = 3, and the PCs span those axes. */
static PetscErrorCode TestEqualVariances(PCAFunction compute, PetscInt p, const char *what)
{
  const double spreads[3] = {2.0, 2.0, 2.0};
  double       axes[3 * 9] = {0}, mean[9], samples[6 * 9];
  RdPCA        pca;
  char         label[128];

  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < p; j++) mean[j] = 1.0 + j;
  axes[0 * p + 0] = axes[1 * p + 1] = axes[2 * p + 2] = 1.0;
  AxisSamples(p, mean, axes, spreads, 3, NULL, samples);
  PetscCall(RdPCACreate(p, 6, &pca));
  PetscCall(compute(samples, 6, &pca));
  PetscSNPrintf(label, sizeof label, "%s equal variances: D", what);
  RD_CHECK_CLOSE(pca.participation_ratio, 3.0, 1e-12, label);
  RD_CHECK(pca.k_variational == 3, "%s equal variances: k = %" PetscInt_FMT " expected 3", what, pca.k_variational);
  for (PetscInt i = 0; i < 3; i++) {
    PetscSNPrintf(label, sizeof label, "%s equal variances: explained %" PetscInt_FMT, what, i);
    RD_CHECK_CLOSE(pca.explained[i], 1.0 / 3.0, 1e-12, label);
  }
  RD_CHECK(ProjectorDifference(pca.pcs, axes, 3, p) < 1e-12, "%s equal variances: span of the 3 PCs = span of the axes (diff %g)", what, ProjectorDifference(pca.pcs, axes, 3, p));
  PetscCall(RdPCADestroy(&pca));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Zero mean: no projection to go by, so the largest-magnitude component is made positive. */
static PetscErrorCode TestZeroMeanSign(PCAFunction compute, const char *what)
{
  const double axes[2 * 3] = {0.6, -0.8, 0.0, 0.8, 0.6, 0.0}, spreads[2] = {2.0, 1.0}, mean[3] = {0};
  const double expected[2 * 3] = {-0.6, 0.8, 0.0, 0.8, 0.6, 0.0};
  double       samples[4 * 3], error = 0.0;
  RdPCA        pca;

  PetscFunctionBeginUser;
  AxisSamples(3, mean, axes, spreads, 2, NULL, samples);
  PetscCall(RdPCACreate(3, 4, &pca));
  PetscCall(compute(samples, 4, &pca));
  for (PetscInt e = 0; e < 6; e++) error = fmax(error, fabs(pca.pcs[e] - expected[e]));
  RD_CHECK(error < 1e-12, "%s zero mean: PCs (%g %g %g), (%g %g %g) should have their largest component positive (error %g)", what, pca.pcs[0], pca.pcs[1], pca.pcs[2], pca.pcs[3], pca.pcs[4], pca.pcs[5], error);
  PetscCall(RdPCADestroy(&pca));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Earlier day: 6 units, spreads 3, 2, 1 on e_0, e_1, e_2, mean (1, 1, 1, 2, 0, 0) (Gram path,
 * 5 PCs, D = 2, k = 2, PCs +e_0, +e_1, +e_2). */
static const double earlier_mean[6] = {1.0, 1.0, 1.0, 2.0, 0.0, 0.0};
static const double unit_axes[6 * 6] = {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1};

typedef struct {
  RdPCA       earlier, later;
  double      along[5], angle[5], flow[5], earlier_samples[36], later_samples[36];
  RdDriftPair pair;
} DriftCase;

/* Later day: spreads on axes (rows of unit_axes from first_axis), mean = earlier mean + shift. */
static PetscErrorCode DriftCaseRun(DriftCase *c, const double *later_spreads, PetscInt first_axis, const double *shift)
{
  const double spreads[3] = {3.0, 2.0, 1.0};

  PetscFunctionBeginUser;
  AxisSamples(6, earlier_mean, unit_axes, spreads, 3, NULL, c->earlier_samples);
  AxisSamples(6, earlier_mean, unit_axes + first_axis * 6, later_spreads, 3, shift, c->later_samples);
  PetscCall(RdPCACreate(6, 6, &c->earlier));
  PetscCall(RdPCACreate(6, 6, &c->later));
  PetscCall(RdPCACompute(c->earlier_samples, 6, &c->earlier));
  PetscCall(RdPCACompute(c->later_samples, 6, &c->later));
  c->pair.along_pc      = c->along;
  c->pair.angle_to_pc   = c->angle;
  c->pair.variance_flow = c->flow;
  PetscCall(RdDriftCompute(&c->earlier, &c->later, c->later_samples, 6, &c->pair));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode DriftCaseDestroy(DriftCase *c)
{
  PetscFunctionBeginUser;
  PetscCall(RdPCADestroy(&c->earlier));
  PetscCall(RdPCADestroy(&c->later));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Drift 2 e_0 exactly along PC 1, later spread unchanged. */
static PetscErrorCode TestDriftAlongPC1(void)
{
  const double spreads[3] = {3.0, 2.0, 1.0}, shift[6] = {2.0, 0, 0, 0, 0, 0};
  const double flow[5] = {9.0 / 14.0, 4.0 / 14.0, 1.0 / 14.0, RD_NAN, RD_NAN}; /* PCs 3, 4: zero variance, undefined */
  DriftCase    c;

  PetscFunctionBeginUser;
  PetscCall(DriftCaseRun(&c, spreads, 0, shift));
  RD_CHECK(c.earlier.k_variational == 2, "drift: earlier k = %" PetscInt_FMT " expected 2", c.earlier.k_variational);
  RD_CHECK_CLOSE(c.pair.fraction_in_variational_space, 1.0, 1e-12, "drift along PC1: gamma");
  RD_CHECK_CLOSE(c.pair.fraction_chance, 2.0 / 6.0, 1e-15, "drift: chance k/n");
  RD_CHECK_CLOSE(c.along[0], 1.0, 1e-12, "drift along PC1: along_pc[0]");
  RD_CHECK_CLOSE(c.along[1], 0.0, 1e-12, "drift along PC1: along_pc[1]");
  RD_CHECK_CLOSE(c.along[2], 0.0, 1e-12, "drift along PC1: along_pc[2]");
  RD_CHECK_CLOSE(c.angle[0], 0.0, ACOS_RESOLUTION, "drift along PC1: angle_to_pc[0]");
  RD_CHECK_CLOSE(c.angle[1], 90.0, 1e-9, "drift along PC1: angle_to_pc[1]");
  RD_CHECK_CLOSE(c.angle[2], 90.0, 1e-9, "drift along PC1: angle_to_pc[2]");
  RD_CHECK_CLOSE(c.pair.relative_magnitude, 2.0 / sqrt(7.0), 1e-14, "drift: |d| / |mean|");
  RD_CHECK_CLOSE(c.pair.angle_between_means, RD_DEGREES(acos(9.0 / sqrt(105.0))), 1e-9, "drift: angle between (1,1,1,2,0,0) and (3,1,1,2,0,0)");
  RD_CHECK_CLOSE(c.pair.variational_overlap, 1.0, 1e-12, "drift: overlap of identical variational spaces");
  RD_CHECK(c.pair.variational_overlap_chance == 2.0 / 6.0, "drift: overlap chance max(k, k')/n = 2/6 (got %.17g)", c.pair.variational_overlap_chance);
  for (PetscInt i = 0; i < 5; i++) RD_CHECK_CLOSE(c.flow[i], flow[i], 1e-12, "drift: variance flow with unchanged spread");
  /* angle (0, 90, 90) vs explained (9, 4, 1)/14, the two zero-variance PCs left out of the fit */
  RD_CHECK_CLOSE(c.pair.angle_slope, -1170.0 / 7.0, 1e-4, "drift: slope of angle vs explained");
  RD_CHECK_CLOSE(c.pair.angle_r, -13.0 / 14.0, 1e-7, "drift: r of angle vs explained");
  PetscCall(DriftCaseDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Drift against PC 1 (-2 e_0): angle 180, still all in the variational space. */
static PetscErrorCode TestDriftAgainstPC1(void)
{
  const double spreads[3] = {3.0, 2.0, 1.0}, shift[6] = {-2.0, 0, 0, 0, 0, 0};
  DriftCase    c;

  PetscFunctionBeginUser;
  PetscCall(DriftCaseRun(&c, spreads, 0, shift));
  RD_CHECK_CLOSE(c.angle[0], 180.0, ACOS_RESOLUTION, "drift against PC1: angle_to_pc[0]");
  RD_CHECK_CLOSE(c.along[0], 1.0, 1e-12, "drift against PC1: along_pc[0] (absolute value)");
  RD_CHECK_CLOSE(c.pair.fraction_in_variational_space, 1.0, 1e-12, "drift against PC1: gamma");
  PetscCall(DriftCaseDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Drift outside the variational space: along PC 3 (k = 2 excludes it) and along e_4 (no variance). */
static PetscErrorCode TestDriftOutsideVariationalSpace(void)
{
  const double spreads[3] = {3.0, 2.0, 1.0}, along_pc3[6] = {0, 0, 1.5, 0, 0, 0}, along_e4[6] = {0, 0, 0, 0, 1.0, 0};
  DriftCase    c;

  PetscFunctionBeginUser;
  PetscCall(DriftCaseRun(&c, spreads, 0, along_pc3));
  RD_CHECK_CLOSE(c.pair.fraction_in_variational_space, 0.0, 1e-12, "drift along PC3: gamma (PC3 outside k = 2)");
  RD_CHECK_CLOSE(c.along[2], 1.0, 1e-12, "drift along PC3: along_pc[2]");
  PetscCall(DriftCaseDestroy(&c));
  PetscCall(DriftCaseRun(&c, spreads, 0, along_e4));
  RD_CHECK_CLOSE(c.pair.fraction_in_variational_space, 0.0, 1e-12, "drift along e_4: gamma");
  for (PetscInt i = 0; i < 3; i++) RD_CHECK_CLOSE(c.along[i], 0.0, 1e-12, "drift along e_4: along_pc of the variance PCs");
  RD_CHECK(isnan(c.along[3]) && isnan(c.along[4]) && isnan(c.angle[3]) && isnan(c.angle[4]), "drift along e_4: PCs of zero variance have no direction: NaN");
  PetscCall(DriftCaseDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* No drift, reversed spread: NaN where |d| = 0 divides; variance flows to the old low PCs. */
static PetscErrorCode TestZeroDriftReversedSpread(void)
{
  const double spreads[3] = {1.0, 2.0, 3.0}, flow[5] = {1.0 / 14.0, 4.0 / 14.0, 9.0 / 14.0, RD_NAN, RD_NAN};
  DriftCase    c;

  PetscFunctionBeginUser;
  PetscCall(DriftCaseRun(&c, spreads, 0, NULL));
  RD_CHECK(isnan(c.pair.fraction_in_variational_space), "zero drift: gamma NaN (got %g)", c.pair.fraction_in_variational_space);
  for (PetscInt i = 0; i < 5; i++) RD_CHECK(isnan(c.along[i]) && isnan(c.angle[i]), "zero drift: along/angle %" PetscInt_FMT " NaN", i);
  RD_CHECK(isnan(c.pair.angle_slope) && isnan(c.pair.angle_r), "zero drift: angle fit NaN");
  RD_CHECK_CLOSE(c.pair.relative_magnitude, 0.0, 0.0, "zero drift: relative magnitude");
  RD_CHECK_CLOSE(c.pair.angle_between_means, 0.0, ACOS_RESOLUTION, "zero drift: angle between means");
  for (PetscInt i = 0; i < 5; i++) RD_CHECK_CLOSE(c.flow[i], flow[i], 1e-12, "reversed spread: variance flow");
  /* later PCs e_2, e_1 (k' = 2): overlap (1/2) [(e0.e2)^2 + (e0.e1)^2 + (e1.e2)^2 + (e1.e1)^2] */
  RD_CHECK_CLOSE(c.pair.variational_overlap, 0.5, 1e-12, "reversed spread: overlap");
  PetscCall(DriftCaseDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Later variance on e_3, e_4, e_5: variational spaces orthogonal. */
static PetscErrorCode TestOrthogonalSpaces(void)
{
  const double spreads[3] = {3.0, 2.0, 1.0};
  DriftCase    c;

  PetscFunctionBeginUser;
  PetscCall(DriftCaseRun(&c, spreads, 3, NULL));
  RD_CHECK_CLOSE(c.pair.variational_overlap, 0.0, 1e-12, "orthogonal spaces: overlap");
  RD_CHECK(c.pair.variational_overlap_chance == 2.0 / 6.0, "orthogonal spaces: overlap chance 2/6 (got %.17g)", c.pair.variational_overlap_chance);
  for (PetscInt i = 0; i < 3; i++) RD_CHECK_CLOSE(c.flow[i], 0.0, 1e-12, "orthogonal spaces: all later variance flowed out of the earlier space");
  PetscCall(DriftCaseDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Later day with equal spreads on e_0, e_1, e_2 (D = 3, k' = 3) against the earlier k = 2: the
 * earlier space lies inside the later one, Gamma = (1/2) (1 + 1) = 1, chance max(2, 3)/6 = 1/2. */
static PetscErrorCode TestOverlapOfUnequalDimensions(void)
{
  const double spreads[3] = {1.0, 1.0, 1.0};
  DriftCase    c;

  PetscFunctionBeginUser;
  PetscCall(DriftCaseRun(&c, spreads, 0, NULL));
  RD_CHECK(c.earlier.k_variational == 2 && c.later.k_variational == 3, "unequal dimensions: k = %" PetscInt_FMT ", k' = %" PetscInt_FMT " expected 2, 3", c.earlier.k_variational, c.later.k_variational);
  RD_CHECK_CLOSE(c.pair.variational_overlap, 1.0, 1e-12, "unequal dimensions: the smaller space inside the larger, Gamma = 1");
  RD_CHECK(c.pair.variational_overlap_chance == 0.5, "unequal dimensions: overlap chance max(2, 3)/6 = 0.5 (got %.17g)", c.pair.variational_overlap_chance);
  PetscCall(DriftCaseDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fills the first k rows of pca->pcs with an orthonormal basis of a uniformly random k-dimensional
 * subspace (Gram-Schmidt on Gaussian vectors) and sets k_variational = k. */
static void RandomSubspace(RdPCA *pca, PetscInt k)
{
  const PetscInt n = pca->n_units;
  for (PetscInt i = 0; i < k; i++) {
    double *row = pca->pcs + i * n;
    for (PetscInt j = 0; j < n; j++) row[j] = RdTestNormal();
    for (PetscInt pass = 0; pass < 2; pass++) /* twice: orthogonal to rounding */
      for (PetscInt previous = 0; previous < i; previous++) {
        const double projection = Dot(row, pca->pcs + previous * n, n);
        for (PetscInt j = 0; j < n; j++) row[j] -= projection * pca->pcs[previous * n + j];
      }
    const double norm = sqrt(Dot(row, row, n));
    for (PetscInt j = 0; j < n; j++) row[j] /= norm;
  }
  pca->k_variational = k;
}

/* The chance level is what it claims: the mean Gamma of random subspaces of dimensions k and k' of
 * R^n is max(k, k')/n (within 4 standard errors of a Monte Carlo mean over 4000 pairs). */
static PetscErrorCode TestOverlapChanceIsRandomSubspaceMean(void)
{
  const PetscInt n = 12, cases[3][2] = {{2, 5}, {4, 4}, {7, 1}}, trials = 4000;
  RdPCA          earlier, later;

  PetscFunctionBeginUser;
  PetscCall(RdPCACreate(n, n + 1, &earlier));
  PetscCall(RdPCACreate(n, n + 1, &later));
  for (PetscInt j = 0; j < n; j++) earlier.mean[j] = later.mean[j] = 1.0;
  for (PetscInt c = 0; c < 3; c++) {
    double sum = 0, squares = 0, chance = RD_NAN;
    for (PetscInt t = 0; t < trials; t++) {
      RdDriftPair pair = {0};
      RandomSubspace(&earlier, cases[c][0]);
      RandomSubspace(&later, cases[c][1]);
      PetscCall(RdDriftCompute(&earlier, &later, NULL, 0, &pair));
      sum += pair.variational_overlap;
      squares += pair.variational_overlap * pair.variational_overlap;
      chance = pair.variational_overlap_chance;
    }
    const double mean = sum / trials, se = sqrt((squares / trials - mean * mean) / (trials - 1));
    RD_CHECK(chance == (double)PetscMax(cases[c][0], cases[c][1]) / n, "k = %" PetscInt_FMT ", k' = %" PetscInt_FMT ": chance %.17g = max(k, k')/n", cases[c][0], cases[c][1], chance);
    RD_CHECK(fabs(mean - chance) < 4 * se, "k = %" PetscInt_FMT ", k' = %" PetscInt_FMT ": mean Gamma of random subspaces %.4f +- %.4f vs chance %.4f", cases[c][0], cases[c][1], mean, se, chance);
  }
  earlier.k_variational = 0; /* an empty space: no overlap, no chance */
  RdDriftPair pair = {0};
  PetscCall(RdDriftCompute(&earlier, &later, NULL, 0, &pair));
  RD_CHECK(isnan(pair.variational_overlap) && isnan(pair.variational_overlap_chance), "empty variational space: overlap and its chance NaN");
  PetscCall(RdPCADestroy(&earlier));
  PetscCall(RdPCADestroy(&later));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Split-half null: first half the earlier axis data, second half the same shifted by d. */
static PetscErrorCode TestSplitHalf(void)
{
  const double spreads[3] = {3.0, 2.0, 1.0};
  const double shifts[3][6] = {{2.0, 0, 0, 0, 0, 0}, {0, 0, 1.0, 0, 0, 0}, {1.0, 0, 1.0, 0, 0, 0}}, expected[3] = {1.0, 0.0, 0.5};
  double       samples[13 * 6], gamma;

  PetscFunctionBeginUser;
  for (PetscInt s = 0; s < 3; s++) {
    AxisSamples(6, earlier_mean, unit_axes, spreads, 3, NULL, samples);
    AxisSamples(6, earlier_mean, unit_axes, spreads, 3, shifts[s], samples + 36);
    PetscCall(RdSplitHalfNullFraction(samples, 12, 6, &gamma));
    RD_CHECK_CLOSE(gamma, expected[s], 1e-12, "split-half gamma (shift e_0, e_2, e_0 + e_2)");
  }
  /* odd n: the second half has the 7 samples from index 6; the 13th, shifted by a further 7 e_1,
   * moves its mean by e_1, so d = e_0 + e_1 + e_2 and gamma = 2/3 (k = 2 spans e_0, e_1) */
  for (PetscInt j = 0; j < 6; j++) samples[72 + j] = earlier_mean[j] + shifts[2][j] + (j == 1 ? 7.0 : 0.0);
  PetscCall(RdSplitHalfNullFraction(samples, 13, 6, &gamma));
  RD_CHECK_CLOSE(gamma, 2.0 / 3.0, 1e-12, "split-half with 13 samples (7 in the second half)");
  PetscCall(RdSplitHalfNullFraction(samples, 3, 6, &gamma));
  RD_CHECK(isnan(gamma), "split-half with 3 samples (1 in the first half): NaN (got %g)", gamma);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void TestLinearFitAndAngle(void)
{
  const double    x[5] = {0.0, 1.0, 2.0, 3.0, 4.0}, up[5] = {1.0, 3.0, 5.0, 7.0, 9.0}, down[5] = {3.0, 2.5, 2.0, 1.5, 1.0};
  const double    outlier[5] = {1.0, 3.0, 100.0, 7.0, 9.0}, constant[5] = {2.0, 2.0, 2.0, 2.0, 2.0};
  const PetscBool skip2[5] = {PETSC_TRUE, PETSC_TRUE, PETSC_FALSE, PETSC_TRUE, PETSC_TRUE}, one[5] = {PETSC_TRUE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE, PETSC_FALSE};
  const double    e0[3] = {1, 0, 0}, diag[3] = {1, 1, 0}, minus_e0[3] = {-2, 0, 0}, zero[3] = {0, 0, 0};
  double          slope, r;

  RdLinearFit(x, up, NULL, 5, &slope, &r);
  RD_CHECK_CLOSE(slope, 2.0, 1e-14, "fit y = 2x + 1: slope");
  RD_CHECK_CLOSE(r, 1.0, 1e-14, "fit y = 2x + 1: r");
  RdLinearFit(x, down, NULL, 5, &slope, &r);
  RD_CHECK_CLOSE(slope, -0.5, 1e-14, "fit y = -x/2 + 3: slope");
  RD_CHECK_CLOSE(r, -1.0, 1e-14, "fit y = -x/2 + 3: r");
  RdLinearFit(x, outlier, skip2, 5, &slope, &r);
  RD_CHECK_CLOSE(slope, 2.0, 1e-14, "fit with the outlier masked: slope");
  RD_CHECK_CLOSE(r, 1.0, 1e-14, "fit with the outlier masked: r");
  RdLinearFit(x, up, one, 5, &slope, &r);
  RD_CHECK(isnan(slope) && isnan(r), "fit of one point: NaN");
  RdLinearFit(constant, up, NULL, 5, &slope, &r);
  RD_CHECK(isnan(slope) && isnan(r), "fit on constant x: NaN");
  RdLinearFit(x, constant, NULL, 5, &slope, &r);
  RD_CHECK(slope == 0.0 && isnan(r), "fit of constant y: slope 0, r NaN (got %g, %g)", slope, r);

  RD_CHECK_CLOSE(RdAngleDegrees(e0, diag, 3), 45.0, 1e-12, "angle e_0, e_0 + e_1");
  RD_CHECK_CLOSE(RdAngleDegrees(e0, minus_e0, 3), 180.0, 0.0, "angle e_0, -2 e_0");
  RD_CHECK_CLOSE(RdAngleDegrees(diag, diag, 3), 0.0, ACOS_RESOLUTION, "angle of a vector with itself");
  RD_CHECK(isnan(RdAngleDegrees(e0, zero, 3)), "angle with a zero vector: NaN");
}

/* Constant samples: zero spectrum, NaN summaries, orthonormal (arbitrary) PCs, exact mean. */
static PetscErrorCode TestConstantSamples(PCAFunction compute, PetscInt n, PetscInt p, const char *what)
{
  double *samples;
  RdPCA   pca;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n * p, &samples));
  for (PetscInt a = 0; a < n; a++)
    for (PetscInt j = 0; j < p; j++) samples[a * p + j] = 0.1 * (j + 1);
  PetscCall(RdPCACreate(p, n, &pca));
  PetscCall(compute(samples, n, &pca));
  RD_CHECK(pca.n_pcs == PetscMin(n - 1, p), "%s: n_pcs %" PetscInt_FMT, what, pca.n_pcs);
  for (PetscInt i = 0; i < pca.n_pcs; i++) RD_CHECK(pca.eigenvalues[i] == 0.0 && isnan(pca.explained[i]), "%s: eigenvalue %" PetscInt_FMT " = %g (0), explained NaN", what, i, pca.eigenvalues[i]);
  RD_CHECK(pca.total_variance == 0.0 && isnan(pca.participation_ratio) && pca.k_variational == 0, "%s: total 0, D NaN, k 0 (got %g, %g, %" PetscInt_FMT ")", what, pca.total_variance, pca.participation_ratio, pca.k_variational);
  RD_CHECK(OrthonormalityError(pca.pcs, pca.n_pcs, p) < 1e-14, "%s: PCs orthonormal (error %g)", what, OrthonormalityError(pca.pcs, pca.n_pcs, p));
  for (PetscInt j = 0; j < p; j++) RD_CHECK(pca.mean[j] == samples[j], "%s: mean[%" PetscInt_FMT "] exactly the constant", what, j);
  PetscCall(RdPCADestroy(&pca));
  PetscCall(PetscFree(samples));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestTooFewSamples(void)
{
  const double   sample[3] = {1.0, -2.0, 3.0};
  RdPCA          pca;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(RdPCACreate(3, 4, &pca));
  PetscCall(RdPCACompute(sample, 1, &pca));
  RD_CHECK(pca.n_pcs == 0 && pca.k_variational == 0 && isnan(pca.participation_ratio), "one sample: no PCs, k 0, D NaN");
  RD_CHECK(pca.mean[0] == 1.0 && pca.mean[1] == -2.0 && pca.mean[2] == 3.0, "one sample: mean is the sample");
  PetscCall(RdPCAComputeReference(NULL, 0, &pca));
  RD_CHECK(pca.n_pcs == 0 && isnan(pca.mean[0]), "no samples (reference): no PCs, mean NaN");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdPCACompute(sample, 5, &pca);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "n_samples above n_samples_max rejected (error %d)", (int)ierr);
  PetscCall(RdPCADestroy(&pca));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Random samples: rank-limited (rank >= 1: samples in a random `rank`-dim subspace plus a mean,
 * else full) with unit scales spread over two decades so the spectrum is not flat. */
static void RandomSamples(PetscInt n, PetscInt p, PetscInt rank, double *samples)
{
  double basis[8 * 100], offset[100];
  for (PetscInt j = 0; j < p; j++) offset[j] = 2.0 * RdTestNormal();
  if (rank > 0) {
    for (PetscInt r = 0; r < rank; r++)
      for (PetscInt j = 0; j < p; j++) basis[r * p + j] = RdTestNormal();
    for (PetscInt a = 0; a < n; a++) {
      for (PetscInt j = 0; j < p; j++) samples[a * p + j] = offset[j];
      for (PetscInt r = 0; r < rank; r++) {
        const double c = RdTestNormal() * (r + 1);
        for (PetscInt j = 0; j < p; j++) samples[a * p + j] += c * basis[r * p + j];
      }
    }
    return;
  }
  for (PetscInt a = 0; a < n; a++)
    for (PetscInt j = 0; j < p; j++) samples[a * p + j] = offset[j] + RdTestNormal() * pow(10.0, -2.0 * j / (double)p);
}

/* SLEPc path against the LAPACK reference: spectrum, summaries, signed eigenvectors of
 * well-separated eigenvalues, projector onto the nonzero-eigenvalue subspace, orthonormality. */
static PetscErrorCode CompareWithReference(PetscInt n, PetscInt p, PetscInt rank, const char *what)
{
  double  *samples, vector_error = 0.0;
  RdPCA    fast, ref;
  PetscInt nonzero = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n * p, &samples));
  RandomSamples(n, p, rank, samples);
  PetscCall(RdPCACreate(p, n, &fast));
  PetscCall(RdPCACreate(p, n, &ref));
  PetscCall(RdPCACompute(samples, n, &fast));
  PetscCall(RdPCAComputeReference(samples, n, &ref));
  RD_CHECK(fast.n_pcs == ref.n_pcs && fast.n_pcs == PetscMin(n - 1, p), "%s: n_pcs %" PetscInt_FMT " vs %" PetscInt_FMT, what, fast.n_pcs, ref.n_pcs);
  const double largest = ref.eigenvalues[0];
  for (PetscInt i = 0; i < ref.n_pcs; i++) {
    RD_CHECK(fabs(fast.eigenvalues[i] - ref.eigenvalues[i]) <= 1e-10 * largest, "%s: eigenvalue %" PetscInt_FMT ": %.17g vs reference %.17g", what, i, fast.eigenvalues[i], ref.eigenvalues[i]);
    RD_CHECK(fabs(fast.explained[i] - ref.explained[i]) <= 1e-10, "%s: explained %" PetscInt_FMT, what, i);
    RD_CHECK((fast.eigenvalues[i] == 0.0) == (ref.eigenvalues[i] == 0.0), "%s: same clipping at %" PetscInt_FMT, what, i);
    if (ref.eigenvalues[i] > 0.0) nonzero++;
    const double gap_above = i > 0 ? ref.eigenvalues[i - 1] - ref.eigenvalues[i] : largest;
    const double gap_below = i + 1 < ref.n_pcs ? ref.eigenvalues[i] - ref.eigenvalues[i + 1] : largest;
    if (ref.eigenvalues[i] > 0.0 && fmin(gap_above, gap_below) > 1e-3 * largest)
      for (PetscInt j = 0; j < p; j++) vector_error = fmax(vector_error, fabs(fast.pcs[i * p + j] - ref.pcs[i * p + j]));
  }
  RD_CHECK(rank <= 0 || nonzero == rank, "%s: %" PetscInt_FMT " nonzero eigenvalues, expected %" PetscInt_FMT, what, nonzero, rank);
  RD_CHECK(vector_error < 1e-9, "%s: signed eigenvectors of separated eigenvalues agree (max diff %g)", what, vector_error);
  RD_CHECK(ProjectorDifference(fast.pcs, ref.pcs, nonzero, p) < 1e-10, "%s: projectors onto the nonzero subspace (diff %g)", what, ProjectorDifference(fast.pcs, ref.pcs, nonzero, p));
  RD_CHECK(OrthonormalityError(fast.pcs, fast.n_pcs, p) < 1e-12, "%s: fast PCs orthonormal (error %g)", what, OrthonormalityError(fast.pcs, fast.n_pcs, p));
  RD_CHECK(OrthonormalityError(ref.pcs, ref.n_pcs, p) < 1e-12, "%s: reference PCs orthonormal", what);
  RD_CHECK(fabs(fast.participation_ratio - ref.participation_ratio) <= 1e-10 * ref.participation_ratio && fast.k_variational == ref.k_variational, "%s: D %.17g vs %.17g, k %" PetscInt_FMT " vs %" PetscInt_FMT, what, fast.participation_ratio, ref.participation_ratio, fast.k_variational, ref.k_variational);
  for (PetscInt i = 0; i < fast.n_pcs; i++) RD_CHECK(Dot(fast.mean, fast.pcs + i * p, p) >= -1e-12 * sqrt(Dot(fast.mean, fast.mean, p)), "%s: sign convention on PC %" PetscInt_FMT, what, i);
  PetscCall(RdPCADestroy(&fast));
  PetscCall(RdPCADestroy(&ref));
  PetscCall(PetscFree(samples));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One RdPCA reused for fewer samples than it was sized for, and for both paths. */
static PetscErrorCode TestReuse(void)
{
  double samples[40 * 10];
  RdPCA  pca, ref;

  PetscFunctionBeginUser;
  RandomSamples(40, 10, 0, samples);
  PetscCall(RdPCACreate(10, 40, &pca));
  PetscCall(RdPCACreate(10, 40, &ref));
  const PetscInt counts[3] = {40, 7, 25};
  for (PetscInt c = 0; c < 3; c++) {
    PetscCall(RdPCACompute(samples, counts[c], &pca));
    PetscCall(RdPCAComputeReference(samples, counts[c], &ref));
    RD_CHECK(pca.n_pcs == ref.n_pcs && ProjectorDifference(pca.pcs, ref.pcs, pca.n_pcs, 10) < 1e-10, "reuse with %" PetscInt_FMT " samples matches the reference", counts[c]);
  }
  PetscCall(RdPCADestroy(&pca));
  PetscCall(RdPCADestroy(&ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Scalars-only pairs (per-PC arrays NULL) give exactly the scalars of the full call, and no fit. */
static PetscErrorCode TestScalarsOnlyPair(void)
{
  enum { units = 12, samples = 30 };
  double      earlier_samples[samples * units], later_samples[samples * units], along[units], angle[units], flow[units];
  RdPCA       earlier, later;
  RdDriftPair full = {.along_pc = along, .angle_to_pc = angle, .variance_flow = flow}, scalars = {0};

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < samples * units; i++) {
    earlier_samples[i] = RdTestNormal() * (1 + i % units) + 1.0;
    later_samples[i]   = RdTestNormal() * (1 + (i + 3) % units) + 1.2;
  }
  PetscCall(RdPCACreate(units, samples, &earlier));
  PetscCall(RdPCACreate(units, samples, &later));
  PetscCall(RdPCACompute(earlier_samples, samples, &earlier));
  PetscCall(RdPCACompute(later_samples, samples, &later));
  PetscCall(RdDriftCompute(&earlier, &later, later_samples, samples, &full));
  PetscCall(RdDriftCompute(&earlier, &later, later_samples, samples, &scalars));
  RD_CHECK(scalars.angle_between_means == full.angle_between_means && scalars.relative_magnitude == full.relative_magnitude && scalars.fraction_in_variational_space == full.fraction_in_variational_space && scalars.fraction_chance == full.fraction_chance && scalars.variational_overlap == full.variational_overlap && scalars.variational_overlap_chance == full.variational_overlap_chance, "scalars-only pair: the same scalars as the full call");
  RD_CHECK(isfinite(full.angle_slope) && isnan(scalars.angle_slope) && isnan(scalars.angle_r), "scalars-only pair: no angle fit (full call: slope %g)", full.angle_slope);
  PetscCall(RdPCADestroy(&earlier));
  PetscCall(RdPCADestroy(&later));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const PCAFunction paths[2] = {RdPCACompute, RdPCAComputeReference};
  const char       *names[2] = {"fast", "reference"};

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  for (int k = 0; k < 2; k++) {
    char what[64];
    PetscSNPrintf(what, sizeof what, "%s, covariance (6 x 5)", names[k]);
    PetscCall(TestAxisPCA(paths[k], 5, what));
    PetscSNPrintf(what, sizeof what, "%s, Gram (6 x 8)", names[k]);
    PetscCall(TestAxisPCA(paths[k], 8, what));
    PetscCall(TestEqualVariances(paths[k], 5, names[k]));
    PetscCall(TestEqualVariances(paths[k], 9, names[k]));
    PetscCall(TestZeroMeanSign(paths[k], names[k]));
    PetscSNPrintf(what, sizeof what, "%s constant 7 x 4", names[k]);
    PetscCall(TestConstantSamples(paths[k], 7, 4, what));
    PetscSNPrintf(what, sizeof what, "%s constant 4 x 9", names[k]);
    PetscCall(TestConstantSamples(paths[k], 4, 9, what));
  }
  PetscCall(TestTooFewSamples());
  PetscCall(TestDriftAlongPC1());
  PetscCall(TestDriftAgainstPC1());
  PetscCall(TestDriftOutsideVariationalSpace());
  PetscCall(TestZeroDriftReversedSpread());
  PetscCall(TestOrthogonalSpaces());
  PetscCall(TestOverlapOfUnequalDimensions());
  PetscCall(TestOverlapChanceIsRandomSubspaceMean());
  PetscCall(TestSplitHalf());
  PetscCall(TestScalarsOnlyPair());
  TestLinearFitAndAngle();
  PetscCall(CompareWithReference(60, 20, 0, "random 60 x 20 (covariance)"));
  PetscCall(CompareWithReference(21, 20, 0, "random 21 x 20 (covariance, n = p + 1)"));
  PetscCall(CompareWithReference(20, 20, 0, "random 20 x 20 (Gram, n = p)"));
  PetscCall(CompareWithReference(30, 80, 0, "random 30 x 80 (Gram)"));
  PetscCall(CompareWithReference(50, 10, 3, "rank 3, 50 x 10 (covariance)"));
  PetscCall(CompareWithReference(8, 20, 3, "rank 3, 8 x 20 (Gram)"));
  PetscCall(CompareWithReference(40, 100, 5, "rank 5, 40 x 100 (Gram)"));
  PetscCall(TestReuse());
  PetscCall(SlepcFinalize());
  return RdTestSummary("test_geometry");
}
