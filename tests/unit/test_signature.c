/* Dropout-signature summary: the two kernels on constructed answers, synthetic drift along a
 * high- and a low-variance direction, the Delta t = 0 null against true drift, exact readout
 * rotations, unit turnover, every pooled field against a direct recomputation (LAPACK PCA and
 * plain loops), the null as a two-snapshot input, and argument checks. */
#include <stdlib.h>
#include <repdrift/signature.h>
#include <repdrift/geometry.h>
#include <repdrift/readout.h>
#include "testing.h"

/* plain reference dot product: the tests do not reuse the kernels' own */
static double Dot(const double *a, const double *b, PetscInt n)
{
  double s = 0.0;
  for (PetscInt i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static double AngleDeg(const double *a, const double *b, PetscInt n)
{
  const double c = Dot(a, b, n) / sqrt(Dot(a, a, n) * Dot(b, b, n));
  return acos(fmax(-1.0, fmin(1.0, c))) * 180.0 / PETSC_PI;
}

/* Least-squares slope and Pearson r from the textbook sums (two passes). */
static void PlainFit(const double *x, const double *y, PetscInt n, double *slope, double *r)
{
  double mx = 0.0, my = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    mx += x[i] / n;
    my += y[i] / n;
  }
  for (PetscInt i = 0; i < n; i++) {
    sxx += (x[i] - mx) * (x[i] - mx);
    syy += (y[i] - my) * (y[i] - my);
    sxy += (x[i] - mx) * (y[i] - my);
  }
  *slope = sxy / sxx;
  *r     = sxy / sqrt(sxx * syy);
}

/* |a - b| <= rtol * max(1, |b|), NaN == NaN */
#define CHECK_REL(a, b, rtol, ...) \
  do { \
    const double a_ = (a), b_ = (b); \
    RD_CHECK((isnan(a_) && isnan(b_)) || fabs(a_ - b_) <= (rtol) * fmax(1.0, fabs(b_)), __VA_ARGS__); \
  } while (0)

/* probe [S][G][m][n] = means [S][G][n] + sd[j] * N(0, 1) */
static void FillProbe(const double *means, const double *sd, PetscInt S, PetscInt G, PetscInt m, PetscInt n, double *probe)
{
  for (PetscInt s = 0; s < S; s++)
    for (PetscInt g = 0; g < G; g++)
      for (PetscInt a = 0; a < m; a++)
        for (PetscInt j = 0; j < n; j++) probe[((s * G + g) * m + a) * n + j] = means[(s * G + g) * n + j] + sd[j] * RdTestNormal();
}

/* ------------------------------------------------------------------------------------------ */

static PetscErrorCode TestUnitTurnoverKernel(void)
{
  const PetscInt n = 50;
  double         earlier[50], later[50], diff[50], slope, r, ref_slope, ref_r;

  PetscFunctionBeginUser;
  for (PetscInt j = 0; j < n; j++) {
    earlier[j] = 10.0 * RdTestUniform();
    later[j]   = 0.5 * earlier[j] + 3.0;
  }
  RdUnitTurnover(earlier, later, n, &slope, &r);
  RD_CHECK_CLOSE(slope, -0.5, 1e-12, "turnover: later = 0.5 earlier + 3 gives slope -0.5");
  RD_CHECK_CLOSE(r, -1.0, 1e-12, "turnover: ... and r = -1");
  for (PetscInt j = 0; j < n; j++) later[j] = earlier[j] + RdTestNormal();
  RdUnitTurnover(earlier, later, n, &slope, &r);
  for (PetscInt j = 0; j < n; j++) diff[j] = later[j] - earlier[j];
  PlainFit(earlier, diff, n, &ref_slope, &ref_r);
  RD_CHECK_CLOSE(slope, ref_slope, 1e-12, "turnover: random means, slope against the plain fit");
  RD_CHECK_CLOSE(r, ref_r, 1e-12, "turnover: random means, r against the plain fit");
  RdUnitTurnover(NULL, later, n, &slope, &r);
  RD_CHECK(isnan(slope) && isnan(r), "turnover: NULL earlier mean gives NaN");
  RdUnitTurnover(earlier, later, 1, &slope, NULL);
  RD_CHECK(isnan(slope), "turnover: one unit gives NaN");
  for (PetscInt j = 0; j < n; j++) earlier[j] = later[j] = 2.0;
  RdUnitTurnover(earlier, later, n, &slope, &r);
  RD_CHECK(isnan(slope) && isnan(r), "turnover: constant means give NaN");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Far-apart clouds are told apart perfectly; two sets from one distribution at chance: the
 * held-out accuracy has expectation 0.5 exactly (equal test counts) and standard error
 * <= sqrt(0.25 / (2 n_test)) given the classifier; tolerance 5 SE. */
static PetscErrorCode TestDiscriminationKernel(void)
{
  const PetscInt n_far = 100, n_same = 2000, p = 8;
  double        *set_a, *set_b, accuracy;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n_same * p, &set_a, n_same * p, &set_b));
  for (PetscInt a = 0; a < n_far; a++)
    for (PetscInt j = 0; j < p; j++) {
      set_a[a * p + j] = RdTestNormal() + (j == 0 ? -10.0 : 0.0);
      set_b[a * p + j] = RdTestNormal() + (j == 0 ? 10.0 : 0.0);
    }
  PetscCall(RdDiscriminationAccuracy(set_a, set_b, n_far, p, 1e-2, &accuracy));
  RD_CHECK_CLOSE(accuracy, 1.0, 0.0, "discrimination: clouds 20 sd apart");
  for (PetscInt e = 0; e < n_same * p; e++) {
    set_a[e] = 3.0 + RdTestNormal();
    set_b[e] = 3.0 + RdTestNormal();
  }
  PetscCall(RdDiscriminationAccuracy(set_a, set_b, n_same, p, 1e-2, &accuracy));
  RD_CHECK_CLOSE(accuracy, 0.5, 5.0 * sqrt(0.25 / (double)n_same), "discrimination: one distribution, chance within 5 SE");
  PetscCall(PetscFree2(set_a, set_b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Synthetic drift: unit 0 has noise sd 3 (PC 1), units 1..n-2 sd 0.3, unit n-1 sd 0.05 (the last
 * PC). The group mean starts at 200 on unit 0 (so the sign convention orients w_1 along +e_0 at
 * every snapshot) and moves by `step` along e_drift per snapshot. D ~ 1.7, k = 2.
 * The mean of m = 200 samples is off by ~0.3 along e_0 and ~0.03 per other unit, so |noise of d|
 * ~ 0.35 against |step| >= 3: every tolerance below leaves room for several times that. */
typedef struct {
  PetscInt S, G, m, n;
  double  *probe_a, *probe_b, *means, *sd;
} Synthetic;

static PetscErrorCode SyntheticCreate(PetscInt S, PetscInt G, PetscInt m, PetscInt n, Synthetic *syn)
{
  PetscFunctionBeginUser;
  syn->S = S;
  syn->G = G;
  syn->m = m;
  syn->n = n;
  PetscCall(PetscMalloc4(S * G * m * n, &syn->probe_a, S * G * m * n, &syn->probe_b, S * G * n, &syn->means, n, &syn->sd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SyntheticDestroy(Synthetic *syn)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree4(syn->probe_a, syn->probe_b, syn->means, syn->sd));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* means[s][g] = base_g + s * step * e_drift with base_g[0] = 200 and U(0, 5) elsewhere; both
 * probe sets drawn around the same means. */
static void SyntheticDrift(Synthetic *syn, PetscInt drift_unit, double step)
{
  const PetscInt n = syn->n;
  for (PetscInt g = 0; g < syn->G; g++)
    for (PetscInt j = 0; j < n; j++) {
      const double base = j == 0 ? 200.0 : 5.0 * RdTestUniform();
      for (PetscInt s = 0; s < syn->S; s++) syn->means[(s * syn->G + g) * n + j] = base + (j == drift_unit ? s * step : 0.0);
    }
  FillProbe(syn->means, syn->sd, syn->S, syn->G, syn->m, n, syn->probe_a);
  FillProbe(syn->means, syn->sd, syn->S, syn->G, syn->m, n, syn->probe_b);
}

static RdSignatureInput SyntheticInput(const Synthetic *syn)
{
  return (RdSignatureInput){.snapshots = syn->S, .groups = syn->G, .samples = syn->m, .units = syn->n, .probe_a = syn->probe_a, .probe_b = syn->probe_b, .snapshots_per_epoch = 10.0, .readout_l2 = 1e-2};
}

static PetscErrorCode TestDriftDirection(void)
{
  const PetscInt   n = 32;
  Synthetic        syn;
  RdSignatureInput input;
  RdSignatureSummary up, down, low;

  PetscFunctionBeginUser;
  PetscCall(SyntheticCreate(10, 2, 200, n, &syn));
  for (PetscInt j = 0; j < n; j++) syn.sd[j] = j == 0 ? 3.0 : (j == n - 1 ? 0.05 : 0.3);
  input = SyntheticInput(&syn);

  SyntheticDrift(&syn, 0, 5.0); /* along +w_1 */
  PetscCall(RdSignatureCompute(&input, &up));
  RD_CHECK(up.angle_to_pc1 < 5.0, "drift along +PC1: theta(d, w_1) = %g, expected ~0", up.angle_to_pc1);
  RD_CHECK(up.angle_slope < 0.0 && up.angle_r < -0.95, "drift along +PC1: angle falls with v (slope %g, r %g)", up.angle_slope, up.angle_r);
  RD_CHECK(up.along_slope > 0.0 && up.along_r > 0.95, "drift along +PC1: |w.d|/|d| rises with v (slope %g, r %g)", up.along_slope, up.along_r);
  RD_CHECK(up.fraction_in_variational_space > 0.98, "drift along +PC1: gamma %g, expected ~1", up.fraction_in_variational_space);
  RD_CHECK_CLOSE(up.fraction_chance, 2.0 / n, 1e-15, "drift along +PC1: chance k/n with k = 2");
  RD_CHECK(up.day_discrimination_accuracy > 0.7, "drift along +PC1 (5 noise sd per 3): snapshots told apart (%g)", up.day_discrimination_accuracy);
  /* the spectrum: v_1 = 9 / (9 + 30 * 0.09 + 0.0025) ~ 0.77, D ~ 1.7, sum v_{1,2} ~ 0.78 */
  RD_CHECK(fabs(up.participation_ratio_per_unit * n - 1.7) < 0.2, "drift along +PC1: D = %g, expected ~1.7", up.participation_ratio_per_unit * n);
  RD_CHECK(fabs(up.variance_in_variational_space - 0.78) < 0.05, "drift along +PC1: variance in the variational space %g, expected ~0.78", up.variance_in_variational_space);
  RD_CHECK(isnan(up.readout_rotation_per_epoch) && isnan(up.readout_rotation_total) && isnan(up.drift_readout_angle), "no readout: readout fields NaN");

  SyntheticDrift(&syn, 0, -5.0); /* along -w_1: obtuse on the top PC (the dropout signature) */
  PetscCall(RdSignatureCompute(&input, &down));
  RD_CHECK(down.angle_to_pc1 > 175.0, "drift along -PC1: theta(d, w_1) = %g, expected ~180", down.angle_to_pc1);
  RD_CHECK(down.angle_slope > 0.0 && down.angle_r > 0.95, "drift along -PC1: angle rises with v (slope %g, r %g)", down.angle_slope, down.angle_r);
  RD_CHECK(down.fraction_in_variational_space > 0.98, "drift along -PC1: gamma %g", down.fraction_in_variational_space);

  SyntheticDrift(&syn, n - 1, 3.0); /* along the last PC: outside the variational space */
  PetscCall(RdSignatureCompute(&input, &low));
  RD_CHECK(low.fraction_in_variational_space < 0.03, "drift along the last PC: gamma %g, expected ~0.01", low.fraction_in_variational_space);
  RD_CHECK(low.fraction_in_variational_space < 0.5 * low.fraction_chance, "drift along the last PC: gamma %g below chance %g", low.fraction_in_variational_space, low.fraction_chance);
  RD_CHECK(fabs(low.angle_to_pc1 - 90.0) < 10.0, "drift along the last PC: theta(d, w_1) = %g, expected ~90", low.angle_to_pc1);
  RD_CHECK(low.day_discrimination_accuracy > 0.99, "drift of 60 noise sd: snapshots told apart (%g)", low.day_discrimination_accuracy);
  PetscCall(SyntheticDestroy(&syn));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Null against true drift on a graded spectrum (sd_j = 2 * 0.85^j) where no single PC carries all
 * the leverage of the angle fit. Under the null d is symmetric (d -> -d), so E[theta(d, w_i)] = 90
 * for every i and the true slope is 0; NULL_ANGLE_R_TOL is 5 standard deviations of the null
 * angle_r measured over 200 seeds of this very construction (sd 0.041, mean 0.004 +- 0.003). The null's split-half
 * discrimination has expectation 0.5 and SE <= sqrt(0.25 / (2 * 25)) / sqrt(S G) over S G
 * independent fits of 25 + 25 held-out samples. */
#define NULL_ANGLE_R_TOL 0.21
static PetscErrorCode TestNullAgainstDrift(void)
{
  const PetscInt     S = 20, G = 4, m = 100, n = 24;
  Synthetic          syn;
  RdSignatureInput   input;
  RdSignatureSummary drift, null;

  PetscFunctionBeginUser;
  PetscCall(SyntheticCreate(S, G, m, n, &syn));
  for (PetscInt j = 0; j < n; j++) syn.sd[j] = 2.0 * pow(0.85, (double)j);
  input = SyntheticInput(&syn);
  SyntheticDrift(&syn, 0, -5.0); /* over 200 seeds: discrimination >= 0.83, theta(d, w_1) >= 154, r >= 0.80 */
  PetscCall(RdSignatureCompute(&input, &drift));
  PetscCall(RdSignatureComputeNull(&input, &null));
  RD_CHECK(drift.angle_r > 0.5, "graded spectrum, drift along -PC1: angle r %g clearly positive", drift.angle_r);
  RD_CHECK(fabs(null.angle_r) < NULL_ANGLE_R_TOL, "graded spectrum, null: angle r %g, expected 0 within %g", null.angle_r, NULL_ANGLE_R_TOL);
  RD_CHECK(drift.day_discrimination_accuracy > 0.75, "drift of 2.5 noise sd: snapshots told apart (%g)", drift.day_discrimination_accuracy);
  RD_CHECK_CLOSE(null.day_discrimination_accuracy, 0.5, 5.0 * sqrt(0.25 / 50.0) / sqrt((double)(S * G)), "null: split-half discrimination at chance");
  RD_CHECK(null.angle_to_pc1 > 60.0 && null.angle_to_pc1 < 120.0, "null: theta(d, w_1) = %g averages to ~90 (sign of d random)", null.angle_to_pc1);
  RD_CHECK(drift.angle_to_pc1 > 140.0, "drift: theta(d, w_1) = %g obtuse", drift.angle_to_pc1);
  RD_CHECK(isnan(null.readout_rotation_per_epoch) && isnan(null.readout_rotation_total) && isnan(null.drift_readout_angle), "null: readout fields NaN");
  /* the same responses with no drift at all: both are nulls, so the day discrimination is at chance too */
  SyntheticDrift(&syn, 0, 0.0);
  PetscCall(RdSignatureCompute(&input, &drift));
  RD_CHECK_CLOSE(drift.day_discrimination_accuracy, 0.5, 5.0 * sqrt(0.25 / 100.0) / sqrt((double)((S - 1) * G)), "no drift: consecutive snapshots at chance");
  PetscCall(SyntheticDestroy(&syn));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */

/* Readout rows of class c rotate by rate[c] degrees per snapshot in the plane (e_2c, e_2c+1), with
 * different lengths: every angle is known exactly (all stay below 180). */
static PetscErrorCode TestReadoutRotation(void)
{
  const PetscInt     S = 12, C = 3, n = 6, G = 2, m = 8;
  const double       rate[3] = {1.5, 2.0, 3.5}, length[3] = {1.0, 0.3, 7.0}, phase[3] = {0.0, 40.0, -100.0};
  const double       mean_rate = (1.5 + 2.0 + 3.5) / 3.0;
  double            *readout, *probe, series[12];
  RdSignatureInput   input;
  RdSignatureSummary summary;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(S * C * n, &readout, S * G * m * n, &probe));
  for (PetscInt s = 0; s < S; s++)
    for (PetscInt c = 0; c < C; c++) {
      const double angle = (phase[c] + rate[c] * s) * PETSC_PI / 180.0;
      double      *row   = readout + (s * C + c) * n;
      for (PetscInt j = 0; j < n; j++) row[j] = 0.0;
      row[2 * c]     = length[c] * cos(angle);
      row[2 * c + 1] = length[c] * sin(angle);
    }
  for (PetscInt e = 0; e < S * G * m * n; e++) probe[e] = RdTestNormal();
  input = (RdSignatureInput){.snapshots = S, .groups = G, .samples = m, .units = n, .probe_a = probe, .readout = readout, .num_classes = C, .snapshots_per_epoch = 10.0, .readout_l2 = 1e-2};
  PetscCall(RdSignatureReadoutRotation(&input, series));
  /* acos near 1 keeps half the digits: the angle of a row with itself comes out ~1e-6 degrees */
  for (PetscInt s = 0; s < S; s++) RD_CHECK_CLOSE(series[s], mean_rate * s, 1e-6, "readout rotation from snapshot 0");
  PetscCall(RdSignatureCompute(&input, &summary));
  RD_CHECK_CLOSE(summary.readout_rotation_per_epoch, mean_rate * 10.0, 1e-9, "readout rotation per epoch (10 snapshots per epoch)");
  RD_CHECK_CLOSE(summary.readout_rotation_total, mean_rate * (S - 1), 1e-9, "readout rotation first to last snapshot");
  input.readout = NULL;
  PetscCall(RdSignatureReadoutRotation(&input, series));
  RD_CHECK(isnan(series[0]) && isnan(series[S - 1]), "readout rotation without readout: NaN");
  PetscCall(PetscFree2(readout, probe));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "The most active units lose activity": unit means relax towards 5, mu_{s+1} = 0.8 mu_s + 1, so
 * the change regresses on the earlier mean with slope -0.2 exactly; the sampling noise of a unit
 * mean (var 1/200) against the pooled spread of the means (var ~4) biases it by ~-0.001. Under
 * the null the slope is that bias alone. */
static PetscErrorCode TestTurnoverSignature(void)
{
  const PetscInt     S = 5, G = 2, m = 200, n = 40;
  Synthetic          syn;
  RdSignatureInput   input;
  RdSignatureSummary drift, null;

  PetscFunctionBeginUser;
  PetscCall(SyntheticCreate(S, G, m, n, &syn));
  for (PetscInt j = 0; j < n; j++) syn.sd[j] = 1.0;
  for (PetscInt g = 0; g < G; g++)
    for (PetscInt j = 0; j < n; j++) {
      syn.means[g * n + j] = 10.0 * RdTestUniform();
      for (PetscInt s = 1; s < S; s++) syn.means[(s * G + g) * n + j] = 0.8 * syn.means[((s - 1) * G + g) * n + j] + 1.0;
    }
  FillProbe(syn.means, syn.sd, S, G, m, n, syn.probe_a);
  FillProbe(syn.means, syn.sd, S, G, m, n, syn.probe_b);
  input = SyntheticInput(&syn);
  PetscCall(RdSignatureCompute(&input, &drift));
  PetscCall(RdSignatureComputeNull(&input, &null));
  RD_CHECK_CLOSE(drift.unit_turnover_slope, -0.2, 0.02, "turnover: relaxing unit means, pooled slope");
  RD_CHECK(drift.unit_turnover_r < -0.9, "turnover: relaxing unit means, r = %g", drift.unit_turnover_r);
  RD_CHECK_CLOSE(null.unit_turnover_slope, 0.0, 0.02, "turnover: null slope");
  PetscCall(SyntheticDestroy(&syn));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Direct recomputation: LAPACK PCA (RdPCAComputeReference), plain loops for every metric, the
 * readout module called directly for the classifiers. A pair list describes either summary. */

typedef struct {
  PetscInt        n_pairs, n_spectra, n;
  const double  **earlier, **later; /* [n_pairs] member sets (m rows) */
  const double  **readout_row;      /* [n_pairs] or NULL */
  const double  **spectra;          /* [n_spectra] sets whose D/n and variance share are averaged */
} PairList;

typedef struct {
  double angle_slope, angle_r, along_slope, along_r, angle_to_pc1, flow_slope, flow_ratio, gamma, chance, pr, in_space, turnover_slope, turnover_r, drift_readout;
} PlainSummary;

static void PlainMean(const double *samples, PetscInt m, PetscInt n, double *mean)
{
  for (PetscInt j = 0; j < n; j++) {
    mean[j] = 0.0;
    for (PetscInt a = 0; a < m; a++) mean[j] += samples[a * n + j];
    mean[j] /= m;
  }
}

static PetscErrorCode PlainSignature(const PairList *list, PetscInt m, PlainSummary *out)
{
  const PetscInt n = list->n, cap = list->n_pairs * n;
  RdPCA          pca;
  double        *v, *angle, *along, *lv, *lflow, *tx, *ty, *mean_e, *mean_l, *d, *centred;
  PetscInt       n_fit = 0, n_flow = 0, n_turn = 0;

  PetscFunctionBeginUser;
  PetscCall(RdPCACreate(n, m, &pca));
  PetscCall(PetscMalloc7(cap, &v, cap, &angle, cap, &along, cap, &lv, cap, &lflow, 2 * cap, &tx, 4 * n, &mean_e));
  ty      = tx + cap;
  mean_l  = mean_e + n;
  d       = mean_e + 2 * n;
  centred = mean_e + 3 * n;
  *out    = (PlainSummary){0};
  for (PetscInt t = 0; t < list->n_pairs; t++) {
    double d2 = 0.0, in_space = 0.0, total_later = 0.0;
    PetscCall(RdPCAComputeReference(list->earlier[t], m, &pca));
    PlainMean(list->earlier[t], m, n, mean_e);
    PlainMean(list->later[t], m, n, mean_l);
    for (PetscInt j = 0; j < n; j++) {
      d[j] = mean_l[j] - mean_e[j];
      d2 += d[j] * d[j];
      tx[n_turn]   = mean_e[j];
      ty[n_turn++] = d[j];
    }
    for (PetscInt a = 0; a < m; a++)
      for (PetscInt j = 0; j < n; j++) total_later += (list->later[t][a * n + j] - mean_l[j]) * (list->later[t][a * n + j] - mean_l[j]);
    for (PetscInt i = 0; i < pca.n_pcs; i++) {
      const double *w = pca.pcs + i * n, proj = Dot(w, d, n), theta = acos(fmax(-1.0, fmin(1.0, proj / sqrt(d2)))) * 180.0 / PETSC_PI;
      double        flow = 0.0;
      for (PetscInt a = 0; a < m; a++) {
        for (PetscInt j = 0; j < n; j++) centred[j] = list->later[t][a * n + j] - mean_l[j];
        flow += Dot(w, centred, n) * Dot(w, centred, n);
      }
      flow /= total_later;
      if (i < pca.k_variational) in_space += proj * proj;
      if (i == 0) {
        out->angle_to_pc1 += theta / list->n_pairs;
        out->flow_ratio += flow / pca.explained[0] / list->n_pairs;
      }
      if (pca.explained[i] > 1e-5) {
        v[n_fit]       = pca.explained[i];
        angle[n_fit]   = theta;
        along[n_fit++] = fabs(proj) / sqrt(d2);
        lv[n_flow]       = log(pca.explained[i]);
        lflow[n_flow++] = log(flow);
      }
    }
    out->gamma += in_space / d2 / list->n_pairs;
    out->chance += (double)pca.k_variational / n / list->n_pairs;
    if (list->readout_row) out->drift_readout += AngleDeg(d, list->readout_row[t], n) / list->n_pairs;
  }
  for (PetscInt t = 0; t < list->n_spectra; t++) {
    double sum_sq = 0.0, in_space = 0.0;
    PetscCall(RdPCAComputeReference(list->spectra[t], m, &pca));
    for (PetscInt i = 0; i < pca.n_pcs; i++) sum_sq += pca.explained[i] * pca.explained[i];
    for (PetscInt i = 0; i < pca.k_variational; i++) in_space += pca.explained[i];
    out->pr += 1.0 / sum_sq / n / list->n_spectra;
    out->in_space += in_space / list->n_spectra;
  }
  if (!list->readout_row) out->drift_readout = RD_NAN;
  PlainFit(v, angle, n_fit, &out->angle_slope, &out->angle_r);
  PlainFit(v, along, n_fit, &out->along_slope, &out->along_r);
  double unused;
  PlainFit(lv, lflow, n_flow, &out->flow_slope, &unused);
  PlainFit(tx, ty, n_turn, &out->turnover_slope, &out->turnover_r);
  PetscCall(PetscFree7(v, angle, along, lv, lflow, tx, mean_e));
  PetscCall(RdPCADestroy(&pca));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Classifier fields for a list of (earlier block, later block) snapshot pairs, groups 0 and 1,
 * with the readout module directly: a_rel, the weight angle; and the discrimination of the
 * sets (disc_a[t], disc_b[t]) of n_disc rows each. */
static PetscErrorCode PlainClassifiers(PetscInt n_blocks, const double **earlier_block, const double **later_block, PetscInt n_sets, const double **disc_a, const double **disc_b, PetscInt n_disc, PetscInt m, PetscInt n, double l2, double *rel, double *angle, double *disc)
{
  const PetscInt half = m / 2, rest = m - half;
  double        *w_e, *w_l, b_e, b_l;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n, &w_e, n, &w_l));
  *rel = *angle = *disc = 0.0;
  for (PetscInt t = 0; t < n_blocks; t++) {
    const double *test0 = later_block[t] + half * n, *test1 = later_block[t] + (m + half) * n;
    PetscCall(RdLogisticFit(earlier_block[t], half, earlier_block[t] + m * n, half, n, l2, w_e, &b_e));
    PetscCall(RdLogisticFit(later_block[t], half, later_block[t] + m * n, half, n, l2, w_l, &b_l));
    *rel += RdClassifierAccuracy(w_e, b_e, test0, rest, test1, rest, n) / RdClassifierAccuracy(w_l, b_l, test0, rest, test1, rest, n) / n_blocks;
    *angle += AngleDeg(w_e, w_l, n) / n_blocks;
  }
  for (PetscInt t = 0; t < n_sets; t++) {
    const PetscInt train = n_disc / 2, test = n_disc - train;
    PetscCall(RdLogisticFit(disc_a[t], train, disc_b[t], train, n, l2, w_e, &b_e));
    *disc += RdClassifierAccuracy(w_e, b_e, disc_a[t] + train * n, test, disc_b[t] + train * n, test, n) / n_sets;
  }
  PetscCall(PetscFree2(w_e, w_l));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void CompareWithPlain(const RdSignatureSummary *got, const PlainSummary *ref, double rel, double angle, double disc, const char *what)
{
  const double tol = 1e-10; /* SLEPc and LAPACK PCs of separated eigenvalues agree to ~1e-10; measured here ~1e-14 */
  CHECK_REL(got->angle_slope, ref->angle_slope, tol, "%s: angle slope %.15g vs %.15g", what, got->angle_slope, ref->angle_slope);
  CHECK_REL(got->angle_r, ref->angle_r, tol, "%s: angle r %.15g vs %.15g", what, got->angle_r, ref->angle_r);
  CHECK_REL(got->along_slope, ref->along_slope, tol, "%s: along slope %.15g vs %.15g", what, got->along_slope, ref->along_slope);
  CHECK_REL(got->along_r, ref->along_r, tol, "%s: along r %.15g vs %.15g", what, got->along_r, ref->along_r);
  CHECK_REL(got->angle_to_pc1, ref->angle_to_pc1, tol, "%s: angle to PC1 %.15g vs %.15g", what, got->angle_to_pc1, ref->angle_to_pc1);
  CHECK_REL(got->variance_flow_loglog_slope, ref->flow_slope, tol, "%s: flow log-log slope %.15g vs %.15g", what, got->variance_flow_loglog_slope, ref->flow_slope);
  CHECK_REL(got->variance_flow_ratio_pc1, ref->flow_ratio, tol, "%s: flow ratio PC1 %.15g vs %.15g", what, got->variance_flow_ratio_pc1, ref->flow_ratio);
  CHECK_REL(got->fraction_in_variational_space, ref->gamma, tol, "%s: gamma %.15g vs %.15g", what, got->fraction_in_variational_space, ref->gamma);
  CHECK_REL(got->fraction_chance, ref->chance, 1e-14, "%s: chance %.15g vs %.15g", what, got->fraction_chance, ref->chance);
  CHECK_REL(got->participation_ratio_per_unit, ref->pr, tol, "%s: D/n %.15g vs %.15g", what, got->participation_ratio_per_unit, ref->pr);
  CHECK_REL(got->variance_in_variational_space, ref->in_space, tol, "%s: variance in variational space %.15g vs %.15g", what, got->variance_in_variational_space, ref->in_space);
  CHECK_REL(got->unit_turnover_slope, ref->turnover_slope, 1e-10, "%s: turnover slope %.15g vs %.15g", what, got->unit_turnover_slope, ref->turnover_slope);
  CHECK_REL(got->unit_turnover_r, ref->turnover_r, 1e-10, "%s: turnover r %.15g vs %.15g", what, got->unit_turnover_r, ref->turnover_r);
  CHECK_REL(got->drift_readout_angle, ref->drift_readout, 1e-10, "%s: drift-readout angle %.15g vs %.15g", what, got->drift_readout_angle, ref->drift_readout);
  CHECK_REL(got->relative_cross_accuracy, rel, 1e-12, "%s: relative cross accuracy %.15g vs %.15g", what, got->relative_cross_accuracy, rel);
  CHECK_REL(got->classifier_angle, angle, 1e-10, "%s: classifier angle %.15g vs %.15g", what, got->classifier_angle, angle);
  CHECK_REL(got->day_discrimination_accuracy, disc, 1e-12, "%s: day discrimination %.15g vs %.15g", what, got->day_discrimination_accuracy, disc);
}

/* Random responses: per (snapshot, group) a random mean (drifting as a random walk) and a graded
 * noise spectrum (well separated eigenvalues), random readout rows, group g read out by class
 * (g + 1) mod C. Both summaries against the plain recomputation. */
static PetscErrorCode TestAgainstPlain(PetscInt m, PetscInt n, const char *what)
{
  const PetscInt     S = 6, G = 3, C = 4;
  const PetscInt     group_class[3] = {1, 2, 3};
  const double       l2 = 0.05;
  Synthetic          syn;
  RdSignatureInput   input;
  RdSignatureSummary got, got_null;
  PlainSummary       ref;
  PairList           list;
  double            *readout, rel, angle, disc, rotation_step = 0.0, rotation_total = 0.0;
  const double     **sets;
  char               label[128];

  PetscFunctionBeginUser;
  PetscCall(SyntheticCreate(S, G, m, n, &syn));
  PetscCall(PetscMalloc2(S * C * n, &readout, 9 * S * G, &sets));
  for (PetscInt j = 0; j < n; j++) syn.sd[j] = 0.2 + 1.5 * pow(0.8, (double)j) * (1.0 + 0.1 * RdTestUniform());
  for (PetscInt g = 0; g < G; g++)
    for (PetscInt j = 0; j < n; j++) {
      syn.means[g * n + j] = 3.0 * RdTestUniform();
      for (PetscInt s = 1; s < S; s++) syn.means[(s * G + g) * n + j] = syn.means[((s - 1) * G + g) * n + j] + 0.3 * RdTestNormal();
    }
  FillProbe(syn.means, syn.sd, S, G, m, n, syn.probe_a);
  FillProbe(syn.means, syn.sd, S, G, m, n, syn.probe_b);
  for (PetscInt e = 0; e < S * C * n; e++) readout[e] = RdTestNormal();
  input             = SyntheticInput(&syn);
  input.readout     = readout;
  input.num_classes = C;
  input.group_class = group_class;
  input.readout_l2  = l2;
  PetscCall(RdSignatureCompute(&input, &got));
  PetscCall(RdSignatureComputeNull(&input, &got_null));

  /* the drift summary: pairs (s, s+1) of A, spectra of every A */
  const double **earlier = sets, **later = sets + S * G, **rows = sets + 2 * S * G, **block_e = sets + 3 * S * G;
  const double **block_l = sets + 4 * S * G, **disc_a = sets + 5 * S * G, **disc_b = sets + 6 * S * G, **spectra = sets + 7 * S * G; /* spectra: 2 S G */
  PetscInt       t = 0;
  for (PetscInt g = 0; g < G; g++)
    for (PetscInt s = 0; s + 1 < S; s++, t++) {
      earlier[t] = syn.probe_a + ((s * G + g) * m) * n;
      later[t]   = syn.probe_a + (((s + 1) * G + g) * m) * n;
      rows[t]    = readout + (s * C + group_class[g]) * n;
    }
  for (PetscInt e = 0; e < S * G; e++) spectra[e] = syn.probe_a + e * m * n;
  list = (PairList){.n_pairs = t, .n_spectra = S * G, .n = n, .earlier = earlier, .later = later, .readout_row = rows, .spectra = spectra};
  PetscCall(PlainSignature(&list, m, &ref));
  for (PetscInt s = 0; s + 1 < S; s++) {
    block_e[s] = syn.probe_a + s * G * m * n;
    block_l[s] = syn.probe_a + (s + 1) * G * m * n;
  }
  PetscCall(PlainClassifiers(S - 1, block_e, block_l, t, earlier, later, m, m, n, l2, &rel, &angle, &disc));
  PetscCall(PetscSNPrintf(label, sizeof(label), "%s, drift", what));
  CompareWithPlain(&got, &ref, rel, angle, disc, label);
  for (PetscInt c = 0; c < C; c++) {
    for (PetscInt s = 0; s + 1 < S; s++) rotation_step += AngleDeg(readout + (s * C + c) * n, readout + ((s + 1) * C + c) * n, n) / ((S - 1) * C);
    rotation_total += AngleDeg(readout + c * n, readout + ((S - 1) * C + c) * n, n) / C;
  }
  CHECK_REL(got.readout_rotation_per_epoch, rotation_step * input.snapshots_per_epoch, 1e-12, "%s: readout rotation per epoch", what);
  CHECK_REL(got.readout_rotation_total, rotation_total, 1e-12, "%s: readout rotation total", what);
  {
    /* the foundation's cross-day readout matrices (run.c: trained on the first half of row s, tested
     * on the second half of column s'), given instead of refitting: the same a_rel and angle */
    double            *accuracy, *cross_angle, *weights, *bias;
    RdSignatureSummary from_matrices;
    const PetscInt     half = m / 2;
    PetscCall(PetscMalloc4(S * S, &accuracy, S * S, &cross_angle, S * n, &weights, S, &bias));
    for (PetscInt s = 0; s < S; s++) PetscCall(RdLogisticFit(syn.probe_a + s * G * m * n, half, syn.probe_a + (s * G + 1) * m * n, half, n, l2, weights + s * n, &bias[s]));
    for (PetscInt s = 0; s < S; s++)
      for (PetscInt later_s = 0; later_s < S; later_s++) {
        const double *test0 = syn.probe_a + (later_s * G * m + half) * n, *test1 = syn.probe_a + ((later_s * G + 1) * m + half) * n;
        accuracy[s * S + later_s]    = RdClassifierAccuracy(weights + s * n, bias[s], test0, m - half, test1, m - half, n);
        cross_angle[s * S + later_s] = AngleDeg(weights + s * n, weights + later_s * n, n);
      }
    input.cross_accuracy = accuracy;
    input.cross_angle    = cross_angle;
    PetscCall(RdSignatureCompute(&input, &from_matrices));
    CHECK_REL(from_matrices.relative_cross_accuracy, got.relative_cross_accuracy, 1e-12, "%s: a_rel from the given readout matrices %.15g vs refitted %.15g", what, from_matrices.relative_cross_accuracy, got.relative_cross_accuracy);
    CHECK_REL(from_matrices.classifier_angle, got.classifier_angle, 1e-10, "%s: classifier angle from the given matrices %.15g vs refitted %.15g", what, from_matrices.classifier_angle, got.classifier_angle);
    input.cross_accuracy = input.cross_angle = NULL;
    PetscCall(PetscFree4(accuracy, cross_angle, weights, bias));
  }

  /* the null: pairs (A of s, B of s), spectra of every A and B, split-half discrimination of A */
  t = 0;
  for (PetscInt g = 0; g < G; g++)
    for (PetscInt s = 0; s < S; s++, t++) {
      earlier[t] = syn.probe_a + ((s * G + g) * m) * n;
      later[t]   = syn.probe_b + ((s * G + g) * m) * n;
      disc_a[t]  = earlier[t];
      disc_b[t]  = earlier[t] + (m / 2) * n;
    }
  for (PetscInt e = 0; e < S * G; e++) spectra[S * G + e] = syn.probe_b + e * m * n; /* after the A ones */
  for (PetscInt s = 0; s < S; s++) {
    block_e[s] = syn.probe_a + s * G * m * n;
    block_l[s] = syn.probe_b + s * G * m * n;
  }
  list = (PairList){.n_pairs = t, .n_spectra = 2 * S * G, .n = n, .earlier = earlier, .later = later, .readout_row = NULL, .spectra = spectra};
  PetscCall(PlainSignature(&list, m, &ref));
  PetscCall(PlainClassifiers(S, block_e, block_l, t, disc_a, disc_b, m / 2, m, n, l2, &rel, &angle, &disc));
  PetscCall(PetscSNPrintf(label, sizeof(label), "%s, null", what));
  CompareWithPlain(&got_null, &ref, rel, angle, disc, label);
  RD_CHECK(isnan(got_null.readout_rotation_per_epoch) && isnan(got_null.readout_rotation_total), "%s, null: readout rotation NaN", what);
  PetscCall(PetscFree2(readout, sets));
  PetscCall(SyntheticDestroy(&syn));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The null of one snapshot is the drift summary of the two-snapshot input [A_0, B_0], field by
 * field (same computations in the same order), except the day discrimination (split-half). */
static PetscErrorCode TestNullIsTwoSnapshots(void)
{
  const PetscInt     G = 3, m = 30, n = 10;
  Synthetic          one, two;
  RdSignatureInput   input_one, input_two;
  RdSignatureSummary null, drift;

  PetscFunctionBeginUser;
  PetscCall(SyntheticCreate(1, G, m, n, &one));
  PetscCall(SyntheticCreate(2, G, m, n, &two));
  for (PetscInt j = 0; j < n; j++) one.sd[j] = 1.0 + 0.2 * j;
  SyntheticDrift(&one, 3, 0.0);
  for (PetscInt e = 0; e < G * m * n; e++) {
    two.probe_a[e]             = one.probe_a[e];
    two.probe_a[G * m * n + e] = one.probe_b[e];
  }
  input_one = SyntheticInput(&one);
  input_two = SyntheticInput(&two);
  PetscCall(RdSignatureComputeNull(&input_one, &null));
  PetscCall(RdSignatureCompute(&input_two, &drift));
  const double got[] = {null.angle_slope, null.angle_r, null.along_slope, null.along_r, null.angle_to_pc1, null.variance_flow_loglog_slope, null.variance_flow_ratio_pc1, null.fraction_in_variational_space, null.fraction_chance, null.participation_ratio_per_unit, null.variance_in_variational_space, null.relative_cross_accuracy, null.classifier_angle, null.unit_turnover_slope, null.unit_turnover_r};
  const double want[] = {drift.angle_slope, drift.angle_r, drift.along_slope, drift.along_r, drift.angle_to_pc1, drift.variance_flow_loglog_slope, drift.variance_flow_ratio_pc1, drift.fraction_in_variational_space, drift.fraction_chance, drift.participation_ratio_per_unit, drift.variance_in_variational_space, drift.relative_cross_accuracy, drift.classifier_angle, drift.unit_turnover_slope, drift.unit_turnover_r};
  for (size_t f = 0; f < sizeof(got) / sizeof(got[0]); f++) {
    RD_CHECK(!isnan(want[f]), "null as two snapshots: field %d defined", (int)f);
    RD_CHECK_CLOSE(got[f], want[f], 0.0, "null of one snapshot = drift summary of [A_0, B_0]");
  }
  PetscCall(SyntheticDestroy(&one));
  PetscCall(SyntheticDestroy(&two));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Degenerate shapes give NaN, bad arguments are rejected with the documented codes. */
static PetscErrorCode TestEdgesAndChecks(void)
{
  const PetscInt     G = 2, m = 6, n = 3;
  double             probe[2 * 2 * 6 * 3], readout[2 * 2 * 3], accuracy, series[2];
  const PetscInt     bad_class[2] = {0, 2};
  RdSignatureInput   input = {.snapshots = 1, .groups = 1, .samples = m, .units = n, .probe_a = probe, .snapshots_per_epoch = 10.0, .readout_l2 = 1e-2};
  RdSignatureSummary summary;
  PetscErrorCode     ierr;

  PetscFunctionBeginUser;
  for (size_t e = 0; e < sizeof(probe) / sizeof(probe[0]); e++) probe[e] = RdTestNormal();
  for (size_t e = 0; e < sizeof(readout) / sizeof(readout[0]); e++) readout[e] = RdTestNormal();
  PetscCall(RdSignatureCompute(&input, &summary)); /* one snapshot, one group: no pair */
  RD_CHECK(isnan(summary.angle_slope) && isnan(summary.fraction_in_variational_space) && isnan(summary.day_discrimination_accuracy) && isnan(summary.unit_turnover_slope), "one snapshot: pair fields NaN");
  RD_CHECK(isnan(summary.relative_cross_accuracy) && isnan(summary.classifier_angle), "one group: two-class readout fields NaN");
  RD_CHECK(summary.participation_ratio_per_unit > 0.0 && summary.participation_ratio_per_unit <= 1.0, "one snapshot: D/n still defined (%g)", summary.participation_ratio_per_unit);

  input.snapshots = 2;
  input.groups    = G;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdSignatureComputeNull(&input, &summary);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "null without probe_b rejected (error %d)", (int)ierr);
  input.samples = 3;
  ierr          = RdSignatureCompute(&input, &summary);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "3 samples rejected (error %d)", (int)ierr);
  input.samples    = m;
  input.readout_l2 = 0.0;
  ierr             = RdSignatureCompute(&input, &summary);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "readout_l2 = 0 rejected (error %d)", (int)ierr);
  input.readout_l2  = 1e-2;
  input.readout     = readout;
  input.num_classes = 2;
  input.group_class = bad_class;
  ierr              = RdSignatureCompute(&input, &summary);
  RD_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "group mapped to a missing readout class rejected (error %d)", (int)ierr);
  input.group_class         = NULL;
  input.snapshots_per_epoch = 0.0;
  ierr                      = RdSignatureCompute(&input, &summary);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "snapshots_per_epoch = 0 with a readout rejected (error %d)", (int)ierr);
  input.num_classes = 0;
  ierr              = RdSignatureReadoutRotation(&input, series);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "readout with no classes rejected (error %d)", (int)ierr);
  ierr = RdDiscriminationAccuracy(probe, probe, 1, n, 1e-2, &accuracy);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "discrimination of one sample rejected (error %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  RdTestSeed(0x5ca1ab1e0ddba11ULL);
  PetscCall(TestUnitTurnoverKernel());
  PetscCall(TestDiscriminationKernel());
  PetscCall(TestDriftDirection());
  PetscCall(TestNullAgainstDrift());
  PetscCall(TestReadoutRotation());
  PetscCall(TestTurnoverSignature());
  PetscCall(TestAgainstPlain(40, 12, "covariance path (40 samples, 12 units)"));
  PetscCall(TestAgainstPlain(10, 25, "Gram path (10 samples, 25 units)"));
  PetscCall(TestNullIsTwoSnapshots());
  PetscCall(TestEdgesAndChecks());
  PetscCall(SlepcFinalize());
  return RdTestSummary("test_signature");
}
