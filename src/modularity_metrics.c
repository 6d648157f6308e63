/* How modular a learned code is: weight mixing and the linear InfoM / CInfoM scores (Dorrell et
 * al. 2025 score trained networks with InfoM and CInfoM). Contract and definitions:
 * include/repdrift/modularity_metrics.h. */
#include <math.h>
#include <repdrift/modularity_metrics.h>
#include <repdrift/dense.h>
#include <repdrift/eigen.h>

PetscErrorCode RdWeightMixingCompute(PetscInt n_units, PetscInt n_sources, const double *W, RdWeightMixing *mixing)
{
  const PetscInt d      = n_sources;
  double         max_l1 = 0.0;

  PetscFunctionBegin;
  PetscCheck(W && mixing, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdWeightMixingCompute: W and mixing must not be NULL");
  PetscCheck(n_units >= 1 && d >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdWeightMixingCompute: need n_units >= 1 and n_sources >= 1, got %" PetscInt_FMT " and %" PetscInt_FMT, n_units, d);
  *mixing = (RdWeightMixing){0, RD_NAN, RD_NAN, RD_NAN, RD_NAN};
  for (PetscInt n = 0; n < n_units; n++) {
    double l1 = 0.0;
    for (PetscInt j = 0; j < d; j++) l1 += fabs(W[RD_IDX2(n, j, d)]);
    PetscCheck(isfinite(l1), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdWeightMixingCompute: row %" PetscInt_FMT " of W is not finite", n);
    max_l1 = fmax(max_l1, l1);
  }
  if (!(max_l1 > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  double mix_sum = 0.0, mix_max = 0.0, angle_sum = 0.0, angle_max = 0.0;
  for (PetscInt n = 0; n < n_units; n++) {
    double l1 = 0.0, largest = 0.0;
    for (PetscInt j = 0; j < d; j++) {
      l1 += fabs(W[RD_IDX2(n, j, d)]);
      largest = fmax(largest, fabs(W[RD_IDX2(n, j, d)]));
    }
    if (!(l1 > max_l1 / 10)) continue;
    const double mix = 1.0 - largest / l1;
    mixing->n_active++;
    mix_sum += mix;
    mix_max = fmax(mix_max, mix);
    if (d == 2) {
      const double t = atan2(fabs(W[RD_IDX2(n, 0, 2)]), fabs(W[RD_IDX2(n, 1, 2)])), folded = RD_DEGREES(fmin(t, 0.5 * PETSC_PI - t));
      angle_sum += folded;
      angle_max = fmax(angle_max, folded);
    }
  }
  mixing->mixing_max  = mix_max;
  mixing->mixing_mean = mix_sum / mixing->n_active;
  if (d == 2) {
    mixing->angle_max  = angle_max;
    mixing->angle_mean = angle_sum / mixing->n_active;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Column means and population standard deviations of an [n][p] array. */
static void ColumnMoments(PetscInt n, PetscInt p, const double *x, double *mean, double *std)
{
  for (PetscInt j = 0; j < p; j++) {
    double s = 0.0, ss = 0.0;
    for (PetscInt i = 0; i < n; i++) s += x[RD_IDX2(i, j, p)];
    mean[j] = s / n;
    for (PetscInt i = 0; i < n; i++) ss += (x[RD_IDX2(i, j, p)] - mean[j]) * (x[RD_IDX2(i, j, p)] - mean[j]);
    std[j] = sqrt(ss / n);
  }
}

/* R^2 of the OLS of a standardised target on m standardised regressors with correlation matrix C
 * [m][m] and correlations c [m] with the target: c^T C^+ c (pseudo-inverse, so collinear regressors
 * are handled), clipped to [0, 1]. */
static PetscErrorCode RegressionR2(PetscInt m, const double *C, const double *c, double *r2)
{
  double eigenvalues[RD_MODULARITY_MAX_SOURCES + 1], vectors[(RD_MODULARITY_MAX_SOURCES + 1) * (RD_MODULARITY_MAX_SOURCES + 1)], sum = 0.0;

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(vectors, C, m * m));
  PetscCall(RdSymmetricEigenLAPACK(vectors, m, PETSC_TRUE, eigenvalues)); /* ascending; row e = eigenvector e */
  for (PetscInt e = 0; e < m; e++)
    if (eigenvalues[e] > 1e-12 * eigenvalues[m - 1]) {
      const double proj = RdDotSequential(vectors + RD_IDX2(e, 0, m), c, m);
      sum += proj * proj / eigenvalues[e];
    }
  *r2 = fmin(fmax(sum, 0.0), 1.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Adds one unit's scores m_i (i < d) to a modularity sum: max_i m_i / sum_i m_i, if sum > 0. */
static void AccumulateUnitScore(const double *scores, PetscInt d, double *sum, PetscInt *n_scored)
{
  double total = 0.0, top = 0.0;
  for (PetscInt i = 0; i < d; i++) {
    total += scores[i];
    top = fmax(top, scores[i]);
  }
  if (total > 0) {
    *sum += top / total;
    (*n_scored)++;
  }
}

PetscErrorCode RdInfoModularityCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt n_units, const double *latents, RdInfoModularity *result)
{
  const PetscInt d = n_sources;
  double         s_mean[RD_MODULARITY_MAX_SOURCES], s_std[RD_MODULARITY_MAX_SOURCES], r2_others[RD_MODULARITY_MAX_SOURCES];
  double         corr_sources[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
  double        *z_mean, *z_std, *z_range, max_range = 0.0;
  double         infom_sum = 0.0, cinfom_sum = 0.0, conditional_sum = 0.0;

  PetscFunctionBegin;
  PetscCheck(sources && latents && result, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdInfoModularityCompute: sources, latents and result must not be NULL");
  PetscCheck(d >= 2 && d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM needs between 2 and %d sources, got %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, d);
  PetscCheck(n_units >= 1 && n_samples >= 3, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM needs n_units >= 1 and n_samples >= 3, got %" PetscInt_FMT " and %" PetscInt_FMT, n_units, n_samples);
  *result = (RdInfoModularity){0, 0, 0, 0, RD_NAN, RD_NAN, RD_NAN};
  ColumnMoments(n_samples, d, sources, s_mean, s_std);
  for (PetscInt j = 0; j < d; j++) PetscCheck(s_std[j] > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM: source %" PetscInt_FMT " is constant; drop it", j);
  PetscCall(PetscMalloc3(n_units, &z_mean, n_units, &z_std, n_units, &z_range));
  ColumnMoments(n_samples, n_units, latents, z_mean, z_std);
  for (PetscInt u = 0; u < n_units; u++) {
    double lo = PETSC_INFINITY, hi = -PETSC_INFINITY;
    for (PetscInt i = 0; i < n_samples; i++) {
      lo = fmin(lo, latents[RD_IDX2(i, u, n_units)]);
      hi = fmax(hi, latents[RD_IDX2(i, u, n_units)]);
    }
    PetscCheck(isfinite(lo) && isfinite(hi), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM: latent unit %" PetscInt_FMT " has non-finite values", u);
    z_range[u] = hi - lo;
    max_range  = fmax(max_range, z_range[u]);
  }
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < d; k++) {
      double s = 0.0;
      for (PetscInt i = 0; i < n_samples; i++) s += (sources[RD_IDX2(i, j, d)] - s_mean[j]) * (sources[RD_IDX2(i, k, d)] - s_mean[k]);
      corr_sources[RD_IDX2(j, k, d)] = s / n_samples / (s_std[j] * s_std[k]);
    }
  /* R^2(s_i ~ s_-i) */
  for (PetscInt target = 0; target < d; target++) {
    const PetscInt m = d - 1;
    double         C[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES], c[RD_MODULARITY_MAX_SOURCES];
    for (PetscInt a = 0, ra = 0; a < d; a++) {
      if (a == target) continue;
      c[ra] = corr_sources[RD_IDX2(a, target, d)];
      for (PetscInt b = 0, rb = 0; b < d; b++) {
        if (b == target) continue;
        C[RD_IDX2(ra, rb++, m)] = corr_sources[RD_IDX2(a, b, d)];
      }
      ra++;
    }
    PetscCall(RegressionR2(m, C, c, &r2_others[target]));
  }
  for (PetscInt u = 0; u < n_units; u++) {
    double corr_z[RD_MODULARITY_MAX_SOURCES], infom[RD_MODULARITY_MAX_SOURCES], cinfom[RD_MODULARITY_MAX_SOURCES], conditional[RD_MODULARITY_MAX_SOURCES];
    if (!(z_range[u] > 0.1 * max_range) || !(z_std[u] > 0)) continue;
    result->n_active++;
    for (PetscInt j = 0; j < d; j++) {
      double s = 0.0;
      for (PetscInt i = 0; i < n_samples; i++) s += (sources[RD_IDX2(i, j, d)] - s_mean[j]) * (latents[RD_IDX2(i, u, n_units)] - z_mean[u]);
      corr_z[j] = s / n_samples / (s_std[j] * z_std[u]);
    }
    for (PetscInt target = 0; target < d; target++) {
      const double unexplained = 1.0 - r2_others[target];
      infom[target]            = fmin(corr_z[target] * corr_z[target], 1.0); /* univariate OLS with intercept */
      cinfom[target]           = fmin(fmax(infom[target] / fmax(unexplained, 1e-12), 0.0), 1.0);
      /* R^2(s_i ~ z_j, s_-i): regressors z_j first, then the other sources. */
      const PetscInt m = d;
      double         C[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES], c[RD_MODULARITY_MAX_SOURCES], r2_full;
      PetscInt       others[RD_MODULARITY_MAX_SOURCES], n_others = 0;
      for (PetscInt a = 0; a < d; a++)
        if (a != target) others[n_others++] = a;
      C[0] = 1.0;
      c[0] = corr_z[target];
      for (PetscInt a = 0; a < n_others; a++) {
        C[RD_IDX2(0, a + 1, m)] = C[RD_IDX2(a + 1, 0, m)] = corr_z[others[a]];
        c[a + 1]                                         = corr_sources[RD_IDX2(others[a], target, d)];
        for (PetscInt b = 0; b < n_others; b++) C[RD_IDX2(a + 1, b + 1, m)] = corr_sources[RD_IDX2(others[a], others[b], d)];
      }
      PetscCall(RegressionR2(m, C, c, &r2_full));
      conditional[target] = unexplained > 1e-12 ? fmin(fmax((r2_full - r2_others[target]) / unexplained, 0.0), 1.0) : 0.0;
    }
    AccumulateUnitScore(infom, d, &infom_sum, &result->n_scored_infom);
    AccumulateUnitScore(cinfom, d, &cinfom_sum, &result->n_scored_cinfom);
    AccumulateUnitScore(conditional, d, &conditional_sum, &result->n_scored_conditional);
  }
  const double chance = 1.0 / d;
  if (result->n_scored_infom) result->infom = (infom_sum / result->n_scored_infom - chance) / (1.0 - chance);
  if (result->n_scored_cinfom) result->cinfom = (cinfom_sum / result->n_scored_cinfom - chance) / (1.0 - chance);
  if (result->n_scored_conditional) result->cinfom_conditional = (conditional_sum / result->n_scored_conditional - chance) / (1.0 - chance);
  PetscCall(PetscFree3(z_mean, z_std, z_range));
  PetscFunctionReturn(PETSC_SUCCESS);
}
