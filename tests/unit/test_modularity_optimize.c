/* The reduced problem, solved directly, as an independent check of the kappa verdict: the loss at
 * the modular optimum is L_mod, the gradient matches finite differences, adding a small unit along
 * w changes the loss by -eps^2 g(w) (the link between the loss and kappa), the optimiser never beats
 * L_mod on kappa = 0 sets and beats it on kappa > 0 sets with a mixed unit along the predicted
 * direction, for three (lambda_in, lambda_out), with width d + 1 but not width d on the corner cut;
 * the parity tetrahedron's optimum is the closed-form tetrahedral code, 17.4% below L_mod. */
#include <string.h>
#include <time.h>
#include <repdrift/modularity.h>
#include "testing.h"

static double WallSeconds(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static const double lambda_pairs[3][2] = {{0.1, 0.1}, {0.01, 1.0}, {1.0, 0.01}};

typedef enum { SET_GRID, SET_CORRELATED, SET_HOLE, SET_SKEWED, SET_CORNER_CUT_1, SET_CORNER_CUT_2, SET_CUBE, SET_TETRAHEDRON, N_SETS } SetKind;
static const char *set_names[N_SETS] = {"grid", "correlated grid", "grid with hole", "skewed product", "corner cut 1", "corner cut 2", "cube", "parity tetrahedron"};

static PetscErrorCode MakeSet(SetKind kind, PetscInt *n, PetscInt *d, double **s)
{
  PetscFunctionBeginUser;
  *d = 2;
  switch (kind) {
  case SET_GRID:
    PetscCall(RdSourcesGrid(21, n, s));
    break;
  case SET_CORRELATED:
    PetscCall(RdSourcesGridDiagonal(21, 50, n, s));
    break;
  case SET_HOLE:
    PetscCall(RdSourcesGridHole(21, 0.55, n, s));
    break;
  case SET_SKEWED: { /* a_1 = -2, b_1 = 1: the set of the e_j = |a_j| bug (test_modularity.c) */
    const double x[6] = {-2, -1, 0, 1, 1, 1};
    *n                = 6 * 21;
    PetscCall(PetscMalloc1(2 * *n, s));
    for (PetscInt a = 0; a < 6; a++)
      for (PetscInt b = 0; b < 21; b++) {
        (*s)[RD_IDX2(a * 21 + b, 0, 2)] = x[a];
        (*s)[RD_IDX2(a * 21 + b, 1, 2)] = (double)(2 * b - 20) / 20.0;
      }
  } break;
  case SET_CORNER_CUT_1:
    PetscCall(RdSourcesGridCornerCut(21, 1.0, n, s));
    break;
  case SET_CORNER_CUT_2:
    PetscCall(RdSourcesGridCornerCut(21, 2.0, n, s));
    break;
  case SET_CUBE:
    *d = 3;
    PetscCall(RdSourcesCube(n, s));
    break;
  case SET_TETRAHEDRON:
    *d = 3;
    PetscCall(RdSourcesParityTetrahedron(n, s));
    break;
  default:
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Modular optimum: unit j = sign_j a_j e_j, a_j = (lambda_out / (Sigma_jj + e_j^2 + lambda_in))^(1/4),
 * sign_j = -1 when the cheap side of the range is the maximum (b_j < |a_j|). */
static void ModularEncoder(const RdSourceStats *stats, double lambda_in, double lambda_out, PetscInt n_units, double *W)
{
  const PetscInt d = stats->n_sources;
  memset(W, 0, sizeof(double) * (size_t)n_units * (size_t)d);
  for (PetscInt j = 0; j < d; j++) {
    const double e = stats->range_margin[j], a = pow(lambda_out / (stats->covariance[RD_IDX2(j, j, d)] + e * e + lambda_in), 0.25);
    W[RD_IDX2(j, j, d)] = stats->upper[j] < fabs(stats->lower[j]) ? -a : a;
  }
}

static PetscErrorCode TestLossAtModularOptimum(void)
{
  PetscFunctionBeginUser;
  for (SetKind kind = 0; kind < N_SETS; kind++) {
    PetscInt      n, d;
    double       *s, W[5 * 3], loss, loss_split, loss_modular;
    RdSourceStats stats;
    PetscCall(MakeSet(kind, &n, &d, &s));
    PetscCall(RdSourceStatsCompute(n, d, s, &stats));
    PetscCall(RdModularLoss(&stats, 0.1, 0.1, &loss_modular));
    ModularEncoder(&stats, 0.1, 0.1, d + 1, W); /* the spare unit is zero */
    PetscCall(RdReducedLoss(n, d, s, d + 1, W, 0.1, 0.1, &loss, NULL));
    RD_CHECK_CLOSE(loss, loss_modular, 1e-13 * loss_modular, "reduced loss at the modular encoder = L_mod");
    /* the zero-cost manifold: source 0 split over two same-sign units (a cos t, a sin t) */
    W[RD_IDX2(d, 0, d)] = W[0] * sin(0.3);
    W[0] *= cos(0.3);
    PetscCall(RdReducedLoss(n, d, s, d + 1, W, 0.1, 0.1, &loss_split, NULL));
    RD_CHECK_CLOSE(loss_split, loss_modular, 1e-13 * loss_modular, "splitting a source over same-sign units costs nothing");
    PetscCall(PetscFree(s));
    (void)set_names;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestGradient(void)
{
  PetscInt n, d;
  double  *s, W[3 * 2], gradient[3 * 2], scratch[3 * 2], loss, max_error = 0.0, scale = 0.0;
  uint64_t state = 3;

  PetscFunctionBeginUser;
  PetscCall(MakeSet(SET_CORNER_CUT_2, &n, &d, &s));
  for (int i = 0; i < 6; i++) {
    state = state * 6364136223846793005ULL + 1442695040888963407ULL;
    W[i]  = (double)(state >> 11) / 9007199254740992.0 - 0.5;
  }
  PetscCall(RdReducedLoss(n, d, s, 3, W, 0.1, 0.1, &loss, gradient));
  for (int i = 0; i < 6; i++) scale = fmax(scale, fabs(gradient[i]));
  for (int i = 0; i < 6; i++) {
    const double saved = W[i], step = 1e-6;
    double       plus, minus;
    W[i] = saved + step;
    PetscCall(RdReducedLoss(n, d, s, 3, W, 0.1, 0.1, &plus, scratch));
    W[i] = saved - step;
    PetscCall(RdReducedLoss(n, d, s, 3, W, 0.1, 0.1, &minus, scratch));
    W[i]      = saved;
    max_error = fmax(max_error, fabs((plus - minus) / (2 * step) - gradient[i]));
  }
  RD_CHECK(max_error <= 1e-6 * scale, "reduced loss gradient vs central differences: max error %.3g (scale %.3g)", max_error, scale);
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* L(W_mod + spare unit eps w) - L_mod = -eps^2 g(w) + O(eps^4): the mixing gain is the loss's own
 * first-order change, so kappa > 0 (some g(w) > 0) means the modular code is not optimal. */
static PetscErrorCode TestFirstOrderGain(void)
{
  PetscFunctionBeginUser;
  for (SetKind kind = 0; kind < N_SETS; kind++) {
    PetscInt      n, d;
    double       *s, *centered, W[4 * 3], loss, loss_modular, max_error = 0.0;
    RdSourceStats stats;
    RdKappaResult r;
    PetscCall(MakeSet(kind, &n, &d, &s));
    PetscCall(RdKappaCompute(n, d, s, &r));
    stats = r.stats;
    PetscCall(PetscMalloc1((size_t)n * d, &centered));
    PetscCall(RdSourcesCenter(n, d, s, stats.mean, centered));
    PetscCall(RdModularLoss(&stats, 0.1, 0.1, &loss_modular));
    for (int trial = 0; trial < 4; trial++) {
      const double eps = 1e-3;
      double       w[3];
      for (PetscInt j = 0; j < d; j++) w[j] = trial == 0 ? r.direction[j] : cos(1.3 * trial + 0.7 * j); /* kappa direction, then others */
      ModularEncoder(&stats, 0.1, 0.1, d + 1, W);
      for (PetscInt j = 0; j < d; j++) W[RD_IDX2(d, j, d)] = eps * w[j];
      PetscCall(RdReducedLoss(n, d, s, d + 1, W, 0.1, 0.1, &loss, NULL));
      const double predicted = -RdMixingGain(n, d, centered, stats.gain_matrix, w);
      max_error              = fmax(max_error, fabs((loss - loss_modular) / (eps * eps) - predicted));
    }
    RD_CHECK(max_error < 1e-4, "%s: (L - L_mod) / eps^2 = -g(w) to %.2g", set_names[kind], max_error);
    PetscCall(PetscFree(centered));
    PetscCall(PetscFree(s));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Optimises one set at one width and lambda pair; reports the gap and the best alignment of an
 * active mixed unit with the kappa direction. */
static PetscErrorCode Optimise(SetKind kind, PetscInt width, double lambda_in, double lambda_out, PetscInt restarts, RdKappaResult *kappa, RdReducedResult *result, RdWeightMixing *mixing, double *alignment)
{
  PetscInt         n, d;
  double          *s, W[8 * 3];
  RdReducedOptions options;

  PetscFunctionBeginUser;
  PetscCall(MakeSet(kind, &n, &d, &s));
  PetscCall(RdKappaCompute(n, d, s, kappa));
  PetscCall(RdReducedOptionsDefaults(&options));
  options.n_units    = width;
  options.lambda_in  = lambda_in;
  options.lambda_out = lambda_out;
  if (restarts) options.n_restarts = restarts;
  PetscCall(RdReducedOptimize(n, d, s, &options, W, result));
  PetscCall(RdWeightMixingCompute(width, d, W, mixing));
  /* Alignment of mixed active units with the kappa direction; for the tetrahedron any of its four
   * symmetric copies (the vertex directions) counts. */
  *alignment = 0.0;
  double max_l1 = 0.0;
  for (PetscInt u = 0; u < width; u++) {
    double l1 = 0.0;
    for (PetscInt j = 0; j < d; j++) l1 += fabs(W[RD_IDX2(u, j, d)]);
    max_l1 = fmax(max_l1, l1);
  }
  for (PetscInt u = 0; u < width; u++) {
    double l1 = 0.0, largest = 0.0, norm = 0.0;
    for (PetscInt j = 0; j < d; j++) {
      l1 += fabs(W[RD_IDX2(u, j, d)]);
      largest = fmax(largest, fabs(W[RD_IDX2(u, j, d)]));
      norm += W[RD_IDX2(u, j, d)] * W[RD_IDX2(u, j, d)];
    }
    if (!(l1 > max_l1 / 10) || 1 - largest / l1 < 0.2) continue; /* active and mixed */
    norm = sqrt(norm);
    if (kind == SET_TETRAHEDRON)
      for (PetscInt v = 0; v < n; v++) {
        double c = 0.0;
        for (PetscInt j = 0; j < d; j++) c += W[RD_IDX2(u, j, d)] * s[RD_IDX2(v, j, d)];
        *alignment = fmax(*alignment, c / (norm * sqrt(3.0)));
      }
    else {
      double c = 0.0;
      for (PetscInt j = 0; j < d; j++) c += W[RD_IDX2(u, j, d)] * kappa->direction[j];
      *alignment = fmax(*alignment, c / norm);
    }
  }
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The verdict of the optimiser equals the kappa verdict for every lambda pair. */
static PetscErrorCode TestVerdicts(void)
{
  PetscFunctionBeginUser;
  for (int l = 0; l < 3; l++)
    for (SetKind kind = 0; kind < N_SETS; kind++) {
      const double    lambda_in = lambda_pairs[l][0], lambda_out = lambda_pairs[l][1];
      const PetscInt  d = kind >= SET_CUBE ? 3 : 2;
      RdKappaResult   kappa;
      RdReducedResult result;
      RdWeightMixing  mixing;
      double          alignment;
      PetscCall(Optimise(kind, d + 1, lambda_in, lambda_out, 0, &kappa, &result, &mixing, &alignment));
      printf("%-18s lambda (%-4g, %-4g) width %d: kappa %.4f  L_mod %.8f  optimum %.8f  gap %+.3e (%+.3e relative)  mixing %.3f  alignment %.4f\n", set_names[kind], lambda_in, lambda_out, (int)(d + 1), kappa.kappa, result.loss_modular, result.loss, result.gap, result.relative_gap, mixing.mixing_max, alignment);
      if (kappa.modular) {
        RD_CHECK(result.gap >= -1e-6, "%s (%g, %g): kappa = 0 and nothing beats L_mod (gap %.3g)", set_names[kind], lambda_in, lambda_out, result.gap);
        RD_CHECK(result.relative_gap <= 1e-5, "%s (%g, %g): the optimiser reaches L_mod (relative gap %.3g)", set_names[kind], lambda_in, lambda_out, result.relative_gap);
        RD_CHECK(mixing.mixing_max < 1e-3, "%s (%g, %g): the optimum is modular (mixing %.3g)", set_names[kind], lambda_in, lambda_out, mixing.mixing_max);
      } else {
        RD_CHECK(result.relative_gap < -1e-4, "%s (%g, %g): kappa %.3g > 0 and a mixed code beats L_mod (relative gap %.3g)", set_names[kind], lambda_in, lambda_out, kappa.kappa, result.relative_gap);
        RD_CHECK(alignment > 0.99, "%s (%g, %g): a mixed unit along the kappa direction (cosine %.4f)", set_names[kind], lambda_in, lambda_out, alignment);
      }
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Width d: the corner-cut optimum stays modular although kappa > 0; width d + 1 and more mix. */
static PetscErrorCode TestWidth(void)
{
  PetscFunctionBeginUser;
  for (SetKind kind = SET_CORNER_CUT_1; kind <= SET_CORNER_CUT_2; kind++)
    for (int l = 0; l < 3; l++)
      for (PetscInt width = 2; width <= 4; width++) {
        RdKappaResult   kappa;
        RdReducedResult result;
        RdWeightMixing  mixing;
        double          alignment;
        PetscCall(Optimise(kind, width, lambda_pairs[l][0], lambda_pairs[l][1], 0, &kappa, &result, &mixing, &alignment));
        if (width == 2) {
          RD_CHECK(result.gap >= -1e-6 && result.relative_gap <= 1e-5 && mixing.mixing_max < 1e-3, "%s (%g, %g) width 2 = d: stays modular (gap %.3g, mixing %.3g)", set_names[kind], lambda_pairs[l][0], lambda_pairs[l][1], result.gap, mixing.mixing_max);
        } else {
          RD_CHECK(result.relative_gap < -1e-4 && mixing.mixing_max > 0.2, "%s (%g, %g) width %d >= d + 1: mixes (relative gap %.3g, mixing %.3g)", set_names[kind], lambda_pairs[l][0], lambda_pairs[l][1], (int)width, result.relative_gap, mixing.mixing_max);
        }
        if (l == 0) printf("%s width %d: relative gap %+.3e, mixing %.3f\n", set_names[kind], (int)width, result.relative_gap, mixing.mixing_max);
      }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Parity tetrahedron, width 4: four units along the vertex directions u_k = v_k / sqrt 3 with equal
 * weight a give M = (4/3) a^2 I and beta^2 = a^2 / 3, so L = 2 sqrt(lambda_out (12 + 9 lambda_in)),
 * vs L_mod = 6 sqrt(lambda_out (2 + lambda_in)): 17.38% below at (0.1, 0.1). */
static PetscErrorCode TestTetrahedronOptimum(void)
{
  PetscFunctionBeginUser;
  for (int l = 0; l < 3; l++) {
    const double    lambda_in = lambda_pairs[l][0], lambda_out = lambda_pairs[l][1];
    const double    tetrahedral = 2.0 * sqrt(lambda_out * (12.0 + 9.0 * lambda_in)), modular = 6.0 * sqrt(lambda_out * (2.0 + lambda_in));
    RdKappaResult   kappa;
    RdReducedResult result;
    RdWeightMixing  mixing;
    double          alignment;
    PetscCall(Optimise(SET_TETRAHEDRON, 4, lambda_in, lambda_out, 16, &kappa, &result, &mixing, &alignment));
    RD_CHECK_CLOSE(result.loss_modular, modular, 1e-12 * modular, "tetrahedron L_mod = 6 sqrt(lambda_out (2 + lambda_in))");
    RD_CHECK_CLOSE(result.loss, tetrahedral, 2e-6 * tetrahedral, "tetrahedron optimum = tetrahedral code 2 sqrt(lambda_out (12 + 9 lambda_in))");
    if (l == 0) RD_CHECK_CLOSE(-result.relative_gap, 0.174, 5e-4, "tetrahedron (0.1, 0.1): optimum 17.4% below L_mod");
    printf("tetrahedron (%g, %g): optimum %.8f (tetrahedral code %.8f), L_mod %.8f: %.2f%% below\n", lambda_in, lambda_out, result.loss, tetrahedral, modular, -100 * result.relative_gap);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestDeterminism(void)
{
  PetscInt         n, d;
  double          *s, W1[3 * 2], W2[3 * 2], W3[3 * 2];
  RdReducedOptions options;
  RdReducedResult  r1, r2, r3;

  PetscFunctionBeginUser;
  PetscCall(MakeSet(SET_CORNER_CUT_2, &n, &d, &s));
  PetscCall(RdReducedOptionsDefaults(&options));
  options.n_restarts = 2;
  options.n_steps    = 500;
  PetscCall(RdReducedOptimize(n, d, s, &options, W1, &r1));
  PetscCall(RdReducedOptimize(n, d, s, &options, W2, &r2));
  options.seed = 2;
  PetscCall(RdReducedOptimize(n, d, s, &options, W3, &r3));
  RD_CHECK(memcmp(W1, W2, sizeof(W1)) == 0 && r1.loss == r2.loss, "optimiser is a pure function of its seed");
  RD_CHECK(memcmp(W1, W3, sizeof(W1)) != 0, "another seed, another trajectory");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscInt failures = 0;
  options.n_units   = 1;
  failures += RdReducedOptimize(n, d, s, &options, W1, &r1) != PETSC_SUCCESS; /* width < d */
  options.n_units    = 3;
  options.lambda_out = 0;
  failures += RdReducedOptimize(n, d, s, &options, W1, &r1) != PETSC_SUCCESS; /* lambda_out = 0 */
  memset(W1, 0, sizeof(W1));
  failures += RdReducedLoss(n, d, s, 3, W1, 0.1, 0.1, &r1.loss, NULL) != PETSC_SUCCESS; /* rank-deficient */
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(failures == 3, "bad widths, lambdas and rank-deficient encoders are rejected (%d of 3)", (int)failures);
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  const double start = WallSeconds();
  PetscCall(TestLossAtModularOptimum());
  PetscCall(TestGradient());
  PetscCall(TestFirstOrderGain());
  PetscCall(TestVerdicts());
  PetscCall(TestWidth());
  PetscCall(TestTetrahedronOptimum());
  PetscCall(TestDeterminism());
  printf("test_modularity_optimize: %.2f s\n", WallSeconds() - start);
  int code = RdTestSummary("test_modularity_optimize");
  PetscCall(SlepcFinalize());
  return code;
}
