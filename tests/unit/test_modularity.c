/* Modularity condition: hand-computed reference values (grid, correlated grid, parity tetrahedron,
 * cube, corner-cut continuum limit), the e_j = min(|a_j|, b_j) range bug, every fast kernel against
 * its slow reference (exact 2-D vs dense angle scan, 3-D hull vs brute-force facets, exact 3-D vs
 * random search and a sphere scan, facet test in 4-D), a violation confined near an axis that a scan
 * misses, the metrics of learned codes, the built-in source sets and the input checks. */
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

/* Demeaned copy of a sample plus its statistics. */
static PetscErrorCode Centered(PetscInt n, PetscInt d, const double *sources, RdSourceStats *stats, double **centered)
{
  PetscFunctionBeginUser;
  PetscCall(RdSourceStatsCompute(n, d, sources, stats));
  PetscCall(PetscMalloc1((size_t)n * d, centered));
  PetscCall(RdSourcesCenter(n, d, sources, stats->mean, *centered));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Columns (j, k) of an [n][d] sample as an [n][2] sample. */
static PetscErrorCode PairOf(PetscInt n, PetscInt d, const double *sources, PetscInt j, PetscInt k, double **pair)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(2 * n, pair));
  for (PetscInt i = 0; i < n; i++) {
    (*pair)[2 * i]     = sources[RD_IDX2(i, j, d)];
    (*pair)[2 * i + 1] = sources[RD_IDX2(i, k, d)];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reference values                                                                              */

static PetscErrorCode TestGridReference(void)
{
  PetscInt      n;
  double       *s, loss;
  RdKappaResult r;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(21, &n, &s));
  PetscCall(RdKappaCompute(n, 2, s, &r));
  RD_CHECK(n == 441, "21 x 21 grid has %d samples", (int)n);
  RD_CHECK_CLOSE(r.stats.range_margin[0], 1.0, 1e-12, "grid e_1");
  RD_CHECK_CLOSE(r.stats.range_margin[1], 1.0, 1e-12, "grid e_2");
  RD_CHECK_CLOSE(r.stats.covariance[0], 0.366667, 5e-7, "grid Sigma_11 (hand value 0.366667)");
  RD_CHECK_CLOSE(r.stats.covariance[0], 11.0 / 30.0, 1e-14, "grid Sigma_11 = 11/30 exactly");
  RD_CHECK_CLOSE(r.stats.covariance[1], 0.0, 1e-15, "grid Sigma_12");
  PetscCall(RdModularLoss(&r.stats, 0.1, 0.1, &loss));
  /* The hand value 1.531884 is 4 sqrt(0.1 (0.366667 + 1.1)) with Sigma_11 rounded; exactly it is
   * 4 sqrt(0.1 (11/30 + 1.1)) = 1.5318833724..., which rounds to 1.531883. */
  RD_CHECK_CLOSE(loss, 1.531884, 1e-6, "grid L_mod(0.1, 0.1) (hand value 1.531884)");
  RD_CHECK_CLOSE(loss, 4.0 * sqrt(0.1 * (11.0 / 30.0 + 1.1)), 1e-14, "grid L_mod(0.1, 0.1) = 4 sqrt(0.1 (11/30 + 1.1))");
  RD_CHECK(fabs(r.kappa) <= 1e-14 && r.modular && r.kappa_exact && r.verdict_certified && r.method == RD_KAPPA_METHOD_EXACT_2D, "grid: kappa %g (exact 0), modular %d, method %s", r.kappa, (int)r.modular, RdKappaMethodName(r.method));
  printf("grid 21x21: e = (%.6f, %.6f), Sigma_11 = %.6f, L_mod(0.1,0.1) = %.10f, kappa = %.3g\n", r.stats.range_margin[0], r.stats.range_margin[1], r.stats.covariance[0], loss, r.kappa);
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestCorrelatedGridReference(void)
{
  PetscInt      n;
  double       *s, loss;
  RdKappaResult r;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGridDiagonal(21, 50, &n, &s));
  PetscCall(RdKappaCompute(n, 2, s, &r));
  RD_CHECK(n == 441 + 49 * 21, "grid with the diagonal 50x has %d samples", (int)n);
  RD_CHECK_CLOSE(r.stats.covariance[1], 0.2567, 5e-5, "correlated grid Sigma_12 (hand value +0.2567)");
  RD_CHECK_CLOSE(r.stats.covariance[1] / r.stats.covariance[0], 0.7, 1e-12, "correlated grid: correlation 0.7");
  RD_CHECK(fabs(r.kappa) <= 1e-14 && r.modular && r.kappa_exact, "correlated grid: kappa %g (still 0: the corners are samples)", r.kappa);
  PetscCall(RdModularLoss(&r.stats, 0.1, 0.1, &loss));
  RD_CHECK_CLOSE(loss, 4.0 * sqrt(0.1 * (11.0 / 30.0 + 1.1)), 1e-14, "correlated grid L_mod(0.1, 0.1): Sigma_jj and e_j as for the grid");
  printf("correlated grid: N = %d, Sigma_12 = %.6f, kappa = %.3g\n", (int)n, r.stats.covariance[1], r.kappa);
  PetscCall(PetscFree(s));
  /* a central hole: dependent sources with their full joint range, still modular */
  PetscCall(RdSourcesGridHole(21, 0.55, &n, &s));
  PetscCall(RdKappaCompute(n, 2, s, &r));
  RD_CHECK(n < 441 && fabs(r.kappa) <= 1e-14 && r.modular, "grid with a hole (N = %d): kappa %g", (int)n, r.kappa);
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestParityTetrahedron(void)
{
  PetscInt      n;
  double       *s, *pair, *centered, *normals, *offsets, facet_max, facet_w[3], best_alignment = 0.0;
  PetscInt      n_facets;
  RdKappaResult r, rp;
  RdSourceStats stats;
  RdHull3D      hull;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesParityTetrahedron(&n, &s));
  for (PetscInt j = 0; j < 3; j++)
    for (PetscInt k = j + 1; k < 3; k++) {
      PetscCall(PairOf(n, 3, s, j, k, &pair));
      PetscCall(RdKappaCompute(n, 2, pair, &rp));
      RD_CHECK(fabs(rp.kappa) <= 1e-14 && rp.modular, "tetrahedron pair (%d,%d): kappa %g (0: every pair fills its square's corners)", (int)j, (int)k, rp.kappa);
      PetscCall(PetscFree(pair));
    }
  PetscCall(RdKappaCompute(n, 3, s, &r));
  RD_CHECK_CLOSE(r.kappa, 2.0 / 3.0, 1e-13, "tetrahedron 3-D kappa = 2/3");
  RD_CHECK(!r.modular && r.kappa_exact && r.method == RD_KAPPA_METHOD_EXACT_3D, "tetrahedron: not modular, exact 3-D (%s)", RdKappaMethodName(r.method));
  /* (1,1,1)/sqrt 3 is one of four symmetric maximisers: the directions of the four vertices */
  for (PetscInt v = 0; v < 4; v++) best_alignment = fmax(best_alignment, (s[3 * v] * r.direction[0] + s[3 * v + 1] * r.direction[1] + s[3 * v + 2] * r.direction[2]) / sqrt(3.0));
  RD_CHECK_CLOSE(best_alignment, 1.0, 1e-12, "tetrahedron: kappa direction is a vertex direction like (1,1,1)/sqrt 3");
  {
    const double w[3] = {1 / sqrt(3.0), 1 / sqrt(3.0), 1 / sqrt(3.0)};
    PetscCall(Centered(n, 3, s, &stats, &centered));
    RD_CHECK_CLOSE(RdMixingGain(n, 3, centered, stats.gain_matrix, w), 2.0 / 3.0, 1e-14, "tetrahedron g((1,1,1)/sqrt 3)");
  }
  PetscCall(RdFacetsBruteForce(n, 3, centered, &n_facets, &normals, &offsets));
  PetscCall(RdFacetGainMax(n_facets, 3, normals, offsets, stats.gain_matrix, &facet_max, facet_w));
  RD_CHECK(n_facets == 4, "tetrahedron has 4 facets, brute force found %d", (int)n_facets);
  RD_CHECK_CLOSE(facet_max, 2.0 / 3.0, 1e-13, "tetrahedron facet test: facets violate by 2/3");
  PetscCall(RdHull3DCompute(n, centered, &hull));
  RD_CHECK(hull.full_dimensional && hull.n_faces == 4 && hull.n_vertices == 4, "tetrahedron hull: %d faces, %d vertices", (int)hull.n_faces, (int)hull.n_vertices);
  PetscCall(RdHull3DDestroy(&hull));
  printf("parity tetrahedron: pairs kappa = 0, 3-D kappa = %.15f along (%.4f, %.4f, %.4f)\n", r.kappa, r.direction[0], r.direction[1], r.direction[2]);
  PetscCall(PetscFree(normals));
  PetscCall(PetscFree(offsets));
  PetscCall(PetscFree(centered));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestCube(void)
{
  PetscInt      n, n_facets;
  double       *s, *centered, *normals, *offsets, facet_max, facet_w[3];
  RdKappaResult r;
  RdSourceStats stats;
  RdHull3D      hull;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesCube(&n, &s));
  PetscCall(RdKappaCompute(n, 3, s, &r));
  RD_CHECK(fabs(r.kappa) <= 1e-14 && r.modular && r.kappa_exact && r.verdict_certified, "cube: kappa %g (0)", r.kappa);
  PetscCall(Centered(n, 3, s, &stats, &centered));
  PetscCall(RdFacetsBruteForce(n, 3, centered, &n_facets, &normals, &offsets));
  PetscCall(RdFacetGainMax(n_facets, 3, normals, offsets, stats.gain_matrix, &facet_max, facet_w));
  RD_CHECK(n_facets == 6, "cube has 6 facets, brute force found %d", (int)n_facets);
  RD_CHECK_CLOSE(facet_max, 0.0, 1e-14, "cube facet test: every facet touches the ellipse");
  PetscCall(RdHull3DCompute(n, centered, &hull));
  RD_CHECK(hull.full_dimensional && hull.n_faces == 12 && hull.n_vertices == 8, "cube hull: %d triangles, %d vertices", (int)hull.n_faces, (int)hull.n_vertices);
  PetscCall(RdHull3DDestroy(&hull));
  PetscCall(PetscFree(normals));
  PetscCall(PetscFree(offsets));
  PetscCall(PetscFree(centered));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Uniform [0,1]^2 without {x + y < 1}: the triangle (1,0), (0,1), (1,1), kappa = 1/12 exactly. The
 * k x k grid version (corner cut 2 of [-1,1]^2 mapped to [0,1]^2) approaches it like 1/k. */
static PetscErrorCode TestCornerContinuumLimit(void)
{
  double previous_error = PETSC_INFINITY;

  PetscFunctionBeginUser;
  for (PetscInt k = 21; k <= 321; k = 2 * k - 1) {
    PetscInt      n;
    double       *s;
    RdKappaResult r;
    PetscCall(RdSourcesGridCornerCut(k, 2.0, &n, &s));
    for (PetscInt i = 0; i < 2 * n; i++) s[i] = 0.5 * (s[i] + 1.0);
    PetscCall(RdKappaCompute(n, 2, s, &r));
    const double error = r.kappa - 1.0 / 12.0;
    RD_CHECK(error > 0 && error < previous_error, "corner cut k = %d: kappa %.12f approaches 1/12 from above", (int)k, r.kappa);
    /* observed: kappa_k = (1/12) k / (k - 1) on these grids, i.e. error (k - 1) = 1/12 */
    RD_CHECK_CLOSE(error * (k - 1), 1.0 / 12.0, 1e-9, "corner cut: error (k - 1) = 1/12");
    RD_CHECK_CLOSE(r.direction[0], sqrt(0.5), 1e-12, "corner cut: kappa direction (1,1)/sqrt 2");
    printf("corner cut k = %3d (N = %5d): kappa = %.12f  (1/12 = %.12f)\n", (int)k, (int)n, r.kappa, 1.0 / 12.0);
    previous_error = error;
    PetscCall(PetscFree(s));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A skewed source (a_1 = -2, b_1 = 1) in a product set: every corner present, so modular. With the
 * classic bug e_j = |a_j| the verdict flips. (test_modularity_optimize.c confirms with the reduced
 * optimiser that nothing beats L_mod on this set.) */
static PetscErrorCode SkewedProductSet(PetscInt *n, double **s)
{
  const double x[6] = {-2, -1, 0, 1, 1, 1};

  PetscFunctionBeginUser;
  *n = 6 * 21;
  PetscCall(PetscMalloc1(2 * *n, s));
  for (PetscInt a = 0; a < 6; a++)
    for (PetscInt b = 0; b < 21; b++) {
      (*s)[RD_IDX2(a * 21 + b, 0, 2)] = x[a];
      (*s)[RD_IDX2(a * 21 + b, 1, 2)] = (double)(2 * b - 20) / 20.0;
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestRangeBug(void)
{
  PetscInt      n;
  double       *s, *centered, buggy_S[4], kappa_buggy, w_buggy[2];
  RdKappaResult r;
  RdSourceStats stats;

  PetscFunctionBeginUser;
  PetscCall(SkewedProductSet(&n, &s));
  PetscCall(RdKappaCompute(n, 2, s, &r));
  RD_CHECK_CLOSE(r.stats.lower[0], -2.0, 1e-15, "skewed source a_1");
  RD_CHECK_CLOSE(r.stats.upper[0], 1.0, 1e-15, "skewed source b_1");
  RD_CHECK_CLOSE(r.stats.range_margin[0], 1.0, 1e-15, "e_1 = min(|a_1|, b_1) = 1, not |a_1| = 2");
  RD_CHECK(fabs(r.kappa) <= 1e-14 && r.modular, "skewed product set: kappa %g, modular", r.kappa);
  PetscCall(Centered(n, 2, s, &stats, &centered));
  PetscCall(PetscArraycpy(buggy_S, stats.gain_matrix, 4));
  buggy_S[0] = stats.lower[0] * stats.lower[0]; /* the bug: S_11 = a_1^2 */
  PetscCall(RdKappa2DExact(n, centered, buggy_S, &kappa_buggy, w_buggy));
  RD_CHECK(kappa_buggy > 1.0, "with e_1 = |a_1| the verdict flips: kappa %g along (%g, %g)", kappa_buggy, w_buggy[0], w_buggy[1]);
  RD_CHECK_CLOSE(kappa_buggy, 3.0, 1e-12, "buggy kappa = a_1^2 - b_1^2 at w = -e_1");
  printf("range bug: kappa = %.3g with e_1 = min(|a|,b); %.6f with e_1 = |a|\n", r.kappa, kappa_buggy);
  PetscCall(PetscFree(centered));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exact 2-D method vs the slow references                                                        */

/* Checks exact kappa against a scan of n_angles: the scan is a lower bound, and misses the maximum
 * by at most (Lipschitz constant of g on the circle) x (half the spacing). Also g(direction) =
 * kappa by the O(N) definition. */
static PetscErrorCode CheckExactAgainstScan(const char *what, PetscInt n, const double *s, PetscInt n_angles)
{
  RdSourceStats stats;
  double       *centered, kappa_exact, w_exact[2], kappa_scan, w_scan[2];

  PetscFunctionBeginUser;
  PetscCall(Centered(n, 2, s, &stats, &centered));
  PetscCall(RdKappa2DExact(n, centered, stats.gain_matrix, &kappa_exact, w_exact));
  PetscCall(RdKappa2DScan(n, centered, stats.gain_matrix, n_angles, &kappa_scan, w_scan));
  double radius2 = 0.0;
  for (PetscInt i = 0; i < n; i++) radius2 = fmax(radius2, centered[2 * i] * centered[2 * i] + centered[2 * i + 1] * centered[2 * i + 1]);
  const double lipschitz = 2.0 * MaxAbs(stats.gain_matrix, 4) * 2.0 + 2.0 * radius2;
  const double slack     = lipschitz * PETSC_PI / n_angles + 1e-13;
  RD_CHECK(kappa_scan <= kappa_exact + 1e-13 && kappa_exact - kappa_scan <= slack, "%s: exact %.15g vs scan %.15g (slack %.3g)", what, kappa_exact, kappa_scan, slack);
  RD_CHECK_CLOSE(RdMixingGain(n, 2, centered, stats.gain_matrix, w_exact), kappa_exact, 1e-13 * fmax(1.0, radius2), "g(direction) = kappa by definition");
  RD_CHECK_CLOSE(w_exact[0] * w_exact[0] + w_exact[1] * w_exact[1], 1.0, 1e-14, "kappa direction is a unit vector");
  PetscCall(PetscFree(centered));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestExact2DAgainstScan(void)
{
  PetscInt n;
  double  *s;
  char     what[64];

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(21, &n, &s));
  PetscCall(CheckExactAgainstScan("grid", n, s, 20000));
  PetscCall(PetscFree(s));
  PetscCall(RdSourcesGridDiagonal(21, 50, &n, &s));
  PetscCall(CheckExactAgainstScan("correlated grid", n, s, 20000));
  PetscCall(PetscFree(s));
  for (double cut = 0.5; cut < 3.9; cut += 0.5) {
    PetscCall(RdSourcesGridCornerCut(21, cut, &n, &s));
    snprintf(what, sizeof(what), "corner cut %.1f", cut);
    PetscCall(CheckExactAgainstScan(what, n, s, 20000));
    PetscCall(PetscFree(s));
  }
  PetscCall(SkewedProductSet(&n, &s));
  PetscCall(CheckExactAgainstScan("skewed product", n, s, 20000));
  PetscCall(PetscFree(s));
  for (uint64_t seed = 1; seed <= 12; seed++) {
    const PetscInt sizes[4] = {3, 7, 60, 600};
    n                       = sizes[seed % 4];
    PetscCall(RdSourcesUniform(n, 2, seed, &s));
    /* some sets skewed and correlated: (u, v) -> (u^3 + 0.5 v, v) */
    if (seed % 3 == 0)
      for (PetscInt i = 0; i < n; i++) s[2 * i] = s[2 * i] * s[2 * i] * s[2 * i] + 0.5 * s[2 * i + 1];
    snprintf(what, sizeof(what), "uniform N = %d seed %d", (int)n, (int)seed);
    PetscCall(CheckExactAgainstScan(what, n, s, 20000));
    PetscCall(PetscFree(s));
  }
  {
    /* degenerate hulls: collinear samples (2 hull vertices), and two distinct points */
    double line[10] = {0, 0, 1, 2, 2, 4, -1, -2, 0.5, 1}, two[4] = {1, 0, -1, 3};
    PetscCall(CheckExactAgainstScan("collinear samples", 5, line, 20000));
    PetscCall(CheckExactAgainstScan("two samples", 2, two, 20000));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The 21 x 21 grid with its left edge {x = -1, y < 1/2} moved in to x = -1 + h and, mirrored, its
 * right edge {x = 1, y > -1/2} moved to x = 1 - h. Centrally symmetric, so mean 0 and e = (1, 1).
 * Just above the direction +e_1 the minimiser is (-1, 1/2) and g grows like t; past t ~ h it is
 * (-1 + h, -1) and g falls again: kappa > 0 only in a cone of width ~h next to the axes. */
static PetscErrorCode NarrowConeSet(double h, PetscInt *n, double **s)
{
  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(21, n, s));
  for (PetscInt i = 0; i < *n; i++) {
    double *p = *s + 2 * i;
    if (p[0] == -1.0 && p[1] < 0.5) p[0] = -1.0 + h;
    if (p[0] == 1.0 && p[1] > -0.5) p[0] = 1.0 - h;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestNarrowConeNearAxis(void)
{
  const double  h = 1e-3;
  PetscInt      n;
  double       *s, *centered, kappa_exact, w_exact[2], kappa_scan, w_scan[2], kappa_local = -PETSC_INFINITY;
  RdSourceStats stats;
  RdKappaResult r;

  PetscFunctionBeginUser;
  PetscCall(NarrowConeSet(h, &n, &s));
  PetscCall(Centered(n, 2, s, &stats, &centered));
  PetscCall(RdKappa2DExact(n, centered, stats.gain_matrix, &kappa_exact, w_exact));
  PetscCall(RdKappa2DScan(n, centered, stats.gain_matrix, 3600, &kappa_scan, w_scan));
  const double angle = atan2(w_exact[1], w_exact[0]), tolerance = RD_KAPPA_RELATIVE_TOLERANCE;
  RD_CHECK(kappa_exact > 1e-4, "narrow cone: exact kappa %.6g > 0", kappa_exact);
  RD_CHECK(fabs(sin(angle)) < 2 * h, "narrow cone: the violation is within %g rad of an axis (angle %.3g)", 2 * h, angle);
  RD_CHECK(kappa_scan <= tolerance, "narrow cone: a 0.1-degree scan misses it (scan kappa %.3g says modular)", kappa_scan);
  /* a scan fine enough near the axis agrees */
  for (PetscInt a = -20000; a <= 20000; a++) {
    const double theta = angle + 4 * h * a / 20000.0, w[2] = {cos(theta), sin(theta)};
    kappa_local        = fmax(kappa_local, RdMixingGain(n, 2, centered, stats.gain_matrix, w));
  }
  RD_CHECK(kappa_local <= kappa_exact + 1e-13 && kappa_exact - kappa_local < 1e-9, "narrow cone: local scan %.12g vs exact %.12g", kappa_local, kappa_exact);
  PetscCall(RdKappaCompute(n, 2, s, &r));
  RD_CHECK(!r.modular && r.verdict_certified, "narrow cone: RdKappaCompute says not modular (kappa %.3g)", r.kappa);
  printf("narrow cone (h = %g): exact kappa = %.6g at %.3g rad from the axis; 3600-angle scan %.3g; local scan %.6g\n", h, kappa_exact, fabs(sin(angle)), kappa_scan, kappa_local);
  PetscCall(PetscFree(centered));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Large-N timing of the O(N log N) method (reported, not asserted). */
static PetscErrorCode TestExact2DScaling(void)
{
  PetscFunctionBeginUser;
  for (PetscInt n = 10000; n <= 1000000; n *= 10) {
    double       *s, *centered, kappa, w[2];
    RdSourceStats stats;
    PetscCall(RdSourcesUniform(n, 2, 99, &s));
    PetscCall(Centered(n, 2, s, &stats, &centered));
    const double start = WallSeconds();
    PetscCall(RdKappa2DExact(n, centered, stats.gain_matrix, &kappa, w));
    printf("exact 2-D kappa, N = %7d uniform: %.3g s (kappa %.4g)\n", (int)n, WallSeconds() - start, kappa);
    RD_CHECK(kappa >= 0 && kappa < 0.01, "uniform N = %d: small kappa %g (corners nearly filled)", (int)n, kappa);
    PetscCall(PetscFree(centered));
    PetscCall(PetscFree(s));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* 3-D: hull vs brute force, exact vs search                                                      */

static PetscBool SamePlane(const double *n1, double c1, const double *n2, double c2)
{
  return fabs(n1[0] - n2[0]) < 1e-7 && fabs(n1[1] - n2[1]) < 1e-7 && fabs(n1[2] - n2[2]) < 1e-7 && fabs(c1 - c2) < 1e-7 ? PETSC_TRUE : PETSC_FALSE;
}

/* The planes of the hull's triangles are exactly the brute-force facets (both directions), the
 * triangulation is closed (F = 2V - 4) and the facet tests agree. */
static PetscErrorCode CheckHullAgainstBruteForce(const char *what, PetscInt n, const double *s)
{
  RdSourceStats stats;
  RdHull3D      hull;
  double       *centered, *normals, *offsets, max_brute, max_hull, w[3];
  PetscInt      n_facets;
  PetscBool     all_found = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(Centered(n, 3, s, &stats, &centered));
  PetscCall(RdHull3DCompute(n, centered, &hull));
  PetscCall(RdFacetsBruteForce(n, 3, centered, &n_facets, &normals, &offsets));
  RD_CHECK(hull.full_dimensional, "%s: hull is full-dimensional", what);
  if (hull.full_dimensional) {
    RD_CHECK(hull.n_faces == 2 * hull.n_vertices - 4, "%s: closed triangulation (F %d, V %d)", what, (int)hull.n_faces, (int)hull.n_vertices);
    for (PetscInt f = 0; f < hull.n_faces; f++) {
      PetscBool found = PETSC_FALSE;
      for (PetscInt g = 0; g < n_facets && !found; g++) found = SamePlane(hull.normals + 3 * f, hull.offsets[f], normals + 3 * g, offsets[g]);
      all_found = all_found && found;
    }
    for (PetscInt g = 0; g < n_facets; g++) {
      PetscBool found = PETSC_FALSE;
      for (PetscInt f = 0; f < hull.n_faces && !found; f++) found = SamePlane(hull.normals + 3 * f, hull.offsets[f], normals + 3 * g, offsets[g]);
      all_found = all_found && found;
    }
    RD_CHECK(all_found, "%s: hull planes = brute-force facets (%d triangles, %d facets)", what, (int)hull.n_faces, (int)n_facets);
    PetscCall(RdFacetGainMax(n_facets, 3, normals, offsets, stats.gain_matrix, &max_brute, w));
    PetscCall(RdFacetGainMax(hull.n_faces, 3, hull.normals, hull.offsets, stats.gain_matrix, &max_hull, w));
    RD_CHECK_CLOSE(max_hull, max_brute, 1e-10, "facet test: hull vs brute force");
  }
  PetscCall(RdHull3DDestroy(&hull));
  PetscCall(PetscFree(normals));
  PetscCall(PetscFree(offsets));
  PetscCall(PetscFree(centered));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* k x k x k grid on [-1,1]^3 (many coplanar points on the hull faces). */
static PetscErrorCode Grid3D(PetscInt k, PetscInt *n, double **s)
{
  PetscFunctionBeginUser;
  *n = k * k * k;
  PetscCall(PetscMalloc1(3 * *n, s));
  for (PetscInt i = 0; i < *n; i++) {
    (*s)[3 * i]     = (double)(2 * (i / (k * k)) - (k - 1)) / (k - 1);
    (*s)[3 * i + 1] = (double)(2 * ((i / k) % k) - (k - 1)) / (k - 1);
    (*s)[3 * i + 2] = (double)(2 * (i % k) - (k - 1)) / (k - 1);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Random sets of several kinds: 0 uniform cube, 1 on the unit sphere (all points are vertices),
 * 2 uniform cube with every point duplicated, 3 strongly correlated (S not PSD). */
static PetscErrorCode RandomSet3D(PetscInt kind, PetscInt n, uint64_t seed, double **s)
{
  PetscFunctionBeginUser;
  PetscCall(RdSourcesUniform(n, 3, seed, s));
  for (PetscInt i = 0; i < n; i++) {
    double *p = *s + 3 * i;
    if (kind == 1) {
      const double r = sqrt(p[0] * p[0] + p[1] * p[1] + p[2] * p[2]);
      for (int j = 0; j < 3; j++) p[j] /= r;
    } else if (kind == 2 && i % 2 == 1) {
      for (int j = 0; j < 3; j++) p[j] = p[j - 3];
    } else if (kind == 3) {
      const double t = p[0] > 0 ? 1.0 : -1.0; /* mass at the two ends of the diagonal */
      for (int j = 0; j < 3; j++) p[j] = t + 0.3 * p[j];
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestHull3DAgainstBruteForce(void)
{
  PetscInt n;
  double  *s;
  char     what[64];

  PetscFunctionBeginUser;
  PetscCall(RdSourcesCube(&n, &s));
  PetscCall(CheckHullAgainstBruteForce("cube", n, s));
  PetscCall(PetscFree(s));
  PetscCall(RdSourcesParityTetrahedron(&n, &s));
  PetscCall(CheckHullAgainstBruteForce("tetrahedron", n, s));
  PetscCall(PetscFree(s));
  PetscCall(Grid3D(4, &n, &s));
  PetscCall(CheckHullAgainstBruteForce("4x4x4 grid", n, s));
  PetscCall(PetscFree(s));
  for (PetscInt kind = 0; kind < 4; kind++)
    for (uint64_t seed = 1; seed <= 3; seed++) {
      n = 20 + 15 * (PetscInt)seed;
      PetscCall(RandomSet3D(kind, n, 100 * kind + seed, &s));
      snprintf(what, sizeof(what), "random kind %d N = %d", (int)kind, (int)n);
      PetscCall(CheckHullAgainstBruteForce(what, n, s));
      PetscCall(PetscFree(s));
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fibonacci-sphere scan of g (a lower bound of kappa). */
static double SphereScan(PetscInt n, const double *centered, const double *S, PetscInt n_directions)
{
  double best = -PETSC_INFINITY;
  for (PetscInt k = 0; k < n_directions; k++) {
    const double z = 1.0 - (2.0 * k + 1.0) / n_directions, r = sqrt(1.0 - z * z), phi = k * PETSC_PI * (3.0 - sqrt(5.0));
    const double w[3] = {r * cos(phi), r * sin(phi), z};
    best              = fmax(best, RdMixingGain(n, 3, centered, S, w));
  }
  return best;
}

static PetscErrorCode CheckExact3D(const char *what, PetscInt n, const double *s)
{
  RdSourceStats stats;
  double       *centered, kappa, w[3], bound, w_bound[3];
  PetscBool     full;

  PetscFunctionBeginUser;
  PetscCall(Centered(n, 3, s, &stats, &centered));
  PetscCall(RdKappa3DExact(n, centered, stats.gain_matrix, &kappa, w, &full));
  PetscCall(RdKappaLowerBound(n, 3, centered, stats.gain_matrix, 20000, 7, &bound, w_bound));
  const double scan = SphereScan(n, centered, stats.gain_matrix, 20000), scale = fmax(1.0, MaxAbs(stats.gain_matrix, 9));
  RD_CHECK(full, "%s: full-dimensional", what);
  RD_CHECK_CLOSE(RdMixingGain(n, 3, centered, stats.gain_matrix, w), kappa, 1e-12 * scale, "exact 3-D: g(direction) = kappa");
  RD_CHECK(bound <= kappa + 1e-12 * scale && scan <= kappa + 1e-12 * scale, "%s: search %.12g and sphere scan %.12g never exceed exact %.12g", what, bound, scan, kappa);
  /* sub-gradient ascent settles on a kink only to within its last steps: close, not exact */
  RD_CHECK(kappa - bound <= 1e-5 * scale, "%s: random search + ascent nearly reaches exact %.12g (got %.12g)", what, kappa, bound);
  PetscCall(PetscFree(centered));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestExact3DAgainstSearch(void)
{
  PetscInt n;
  double  *s;
  char     what[64];

  PetscFunctionBeginUser;
  PetscCall(RdSourcesCube(&n, &s));
  PetscCall(CheckExact3D("cube", n, s));
  PetscCall(PetscFree(s));
  PetscCall(RdSourcesParityTetrahedron(&n, &s));
  PetscCall(CheckExact3D("tetrahedron", n, s));
  PetscCall(PetscFree(s));
  PetscCall(Grid3D(6, &n, &s));
  PetscCall(CheckExact3D("6x6x6 grid", n, s));
  PetscCall(PetscFree(s));
  for (PetscInt kind = 0; kind < 4; kind++)
    for (uint64_t seed = 1; seed <= 2; seed++) {
      n = kind == 1 ? 60 : 400;
      PetscCall(RandomSet3D(kind, n, 1000 + 10 * kind + seed, &s));
      snprintf(what, sizeof(what), "random kind %d N = %d", (int)kind, (int)n);
      PetscCall(CheckExact3D(what, n, s));
      PetscCall(PetscFree(s));
    }
  {
    /* the correlated kind has an indefinite S: the exact method does not need PSD */
    RdSourceStats stats;
    double        eigen_min;
    PetscCall(RandomSet3D(3, 400, 1031, &s));
    PetscCall(RdSourceStatsCompute(400, 3, s, &stats));
    const double *S = stats.gain_matrix;
    /* S = e^2-ish diagonal minus a near-rank-one Sigma: its quadratic form along (1,1,1) */
    eigen_min = (S[0] + S[4] + S[8] + 2 * (S[1] + S[2] + S[5])) / 3.0;
    RD_CHECK(eigen_min < 0, "correlated set: S is indefinite ((1,1,1) form %.3g)", eigen_min);
    PetscCall(PetscFree(s));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Exact facet verdict agrees with the exact 3-D kappa whenever S is PSD. */
static PetscErrorCode TestFacetVerdict3D(void)
{
  PetscInt agree = 0, total = 0, positive = 0;

  PetscFunctionBeginUser;
  for (uint64_t seed = 1; seed <= 20; seed++) {
    const PetscInt n = 8 + (PetscInt)(seed % 5) * 4;
    double        *s, *centered, kappa, w[3], facet_max;
    RdSourceStats  stats;
    RdHull3D       hull;
    PetscBool      full;
    PetscCall(RdSourcesUniform(n, 3, 5000 + seed, &s));
    PetscCall(Centered(n, 3, s, &stats, &centered));
    PetscCall(RdKappa3DExact(n, centered, stats.gain_matrix, &kappa, w, &full));
    PetscCall(RdHull3DCompute(n, centered, &hull));
    PetscCall(RdFacetGainMax(hull.n_faces, 3, hull.normals, hull.offsets, stats.gain_matrix, &facet_max, w));
    const double tol = RD_KAPPA_RELATIVE_TOLERANCE * fmax(stats.gain_matrix[0], fmax(stats.gain_matrix[4], stats.gain_matrix[8]));
    total++;
    positive += kappa > tol;
    agree += (kappa > tol) == (facet_max > tol);
    RD_CHECK(facet_max <= kappa + 1e-12, "facet values are g at facet directions, so <= kappa (%g vs %g)", facet_max, kappa);
    PetscCall(RdHull3DDestroy(&hull));
    PetscCall(PetscFree(centered));
    PetscCall(PetscFree(s));
  }
  RD_CHECK(agree == total, "facet test verdict = exact verdict in %d of %d random sets (%d not modular)", (int)agree, (int)total, (int)positive);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestHigherDimensions(void)
{
  double       *s;
  RdKappaResult r, r_again;

  PetscFunctionBeginUser;
  /* 4-D hypercube {-1,1}^4: facet test, exact 0 */
  PetscCall(PetscMalloc1(64, &s));
  for (PetscInt c = 0; c < 16; c++)
    for (PetscInt j = 0; j < 4; j++) s[RD_IDX2(c, j, 4)] = (c >> j) & 1 ? 1.0 : -1.0;
  PetscCall(RdKappaCompute(16, 4, s, &r));
  RD_CHECK(r.method == RD_KAPPA_METHOD_FACET_TEST && r.modular && r.verdict_certified && r.kappa_exact && fabs(r.kappa) <= 1e-14, "4-D hypercube: %s, kappa %g", RdKappaMethodName(r.method), r.kappa);
  /* 4-D parity simplex analogue: the even-parity corners (a 16-cell) */
  PetscInt n_even = 0;
  for (PetscInt c = 0; c < 16; c++) {
    PetscInt parity = 0;
    for (PetscInt j = 0; j < 4; j++) parity += (c >> j) & 1;
    if (parity % 2 == 0) {
      for (PetscInt j = 0; j < 4; j++) s[RD_IDX2(n_even, j, 4)] = (c >> j) & 1 ? 1.0 : -1.0;
      n_even++;
    }
  }
  PetscCall(RdKappaCompute(n_even, 4, s, &r));
  printf("4-D even-parity corners: method %s, kappa %.6g, modular %d\n", RdKappaMethodName(r.method), r.kappa, (int)r.modular);
  RD_CHECK(r.method == RD_KAPPA_METHOD_FACET_TEST && r.verdict_certified, "4-D even-parity corners decided by the facet test");
  PetscCall(PetscFree(s));
  /* random 4-D sets, small enough for the facet test: its verdict vs the search alone */
  for (uint64_t seed = 1; seed <= 4; seed++) {
    double       *centered, bound, w[4];
    RdSourceStats stats;
    PetscCall(RdSourcesUniform(14, 4, 77 + seed, &s));
    PetscCall(RdKappaCompute(14, 4, s, &r));
    PetscCall(Centered(14, 4, s, &stats, &centered));
    PetscCall(RdKappaLowerBound(14, 4, centered, stats.gain_matrix, 10000, 3, &bound, w));
    RD_CHECK(r.method == RD_KAPPA_METHOD_FACET_TEST, "random 4-D N = 14 uses the facet test");
    RD_CHECK(r.modular == (bound <= r.tolerance), "random 4-D seed %d: facet verdict %d vs search kappa %g", (int)seed, (int)r.modular, bound);
    PetscCall(PetscFree(centered));
    PetscCall(PetscFree(s));
  }
  /* too many samples for the facet test: certified lower bound, deterministic */
  PetscCall(RdSourcesUniform(300, 4, 7, &s));
  PetscCall(RdKappaCompute(300, 4, s, &r));
  PetscCall(RdKappaCompute(300, 4, s, &r_again));
  RD_CHECK(r.method == RD_KAPPA_METHOD_LOWER_BOUND && !r.kappa_exact, "4-D N = 300: lower bound (%s)", RdKappaMethodName(r.method));
  RD_CHECK(r.kappa == r_again.kappa && r.direction[0] == r_again.direction[0], "lower bound is deterministic");
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Coplanar 3-D data (a redundant source z = x + y): no full-dimensional hull, so the lower bound;
 * the normal of the plane has min w . c = 0 and g = n^T S n > 0: not modular, certainly. */
static PetscErrorCode TestCoplanar3D(void)
{
  PetscInt      n;
  double       *grid, *s;
  RdKappaResult r;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(11, &n, &grid));
  PetscCall(PetscMalloc1(3 * n, &s));
  for (PetscInt i = 0; i < n; i++) {
    s[3 * i]     = grid[2 * i];
    s[3 * i + 1] = grid[2 * i + 1];
    s[3 * i + 2] = grid[2 * i] + grid[2 * i + 1];
  }
  PetscCall(RdKappaCompute(n, 3, s, &r));
  const double *S = r.stats.gain_matrix, plane_gain = (S[0] + S[4] + S[8] + 2 * S[1] - 2 * S[2] - 2 * S[5]) / 3.0;
  RD_CHECK(r.method == RD_KAPPA_METHOD_LOWER_BOUND && !r.modular && r.verdict_certified, "coplanar 3-D: %s, modular %d", RdKappaMethodName(r.method), (int)r.modular);
  RD_CHECK(r.kappa >= plane_gain - 1e-9, "coplanar 3-D: search %.6g finds at least the plane normal's %.6g", r.kappa, plane_gain);
  PetscCall(PetscFree(s));
  PetscCall(PetscFree(grid));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestOneSource(void)
{
  const double  x[5] = {0, 1, 1, 1, 5};
  RdKappaResult r;

  PetscFunctionBeginUser;
  PetscCall(RdKappaCompute(5, 1, x, &r));
  RD_CHECK(r.kappa == 0 && r.modular && r.method == RD_KAPPA_METHOD_ONE_SOURCE, "one source: kappa 0, modular");
  RD_CHECK(r.direction[0] == 1.0, "one source: cheap side is the minimum (|a| = 1.6 < b = 3.4)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Metrics                                                                                          */

static PetscErrorCode TestWeightMixing(void)
{
  const double   W[8] = {1, 0, 0, -2, 0.5, -0.5, 0.01, 0}, W3[6] = {1, 0, 0, 1, 1, 1}, zero[4] = {0, 0, 0, 0};
  RdWeightMixing m;

  PetscFunctionBeginUser;
  PetscCall(RdWeightMixingCompute(4, 2, W, &m));
  RD_CHECK(m.n_active == 3, "weight mixing: 3 active units (the 0.01 unit is below max/10), got %d", (int)m.n_active);
  RD_CHECK_CLOSE(m.mixing_max, 0.5, 1e-15, "weight mixing max");
  RD_CHECK_CLOSE(m.mixing_mean, 0.5 / 3, 1e-15, "weight mixing mean");
  RD_CHECK_CLOSE(m.angle_max, 45.0, 1e-12, "folded angle max (degrees)");
  RD_CHECK_CLOSE(m.angle_mean, 15.0, 1e-12, "folded angle mean (degrees)");
  PetscCall(RdWeightMixingCompute(2, 3, W3, &m));
  RD_CHECK_CLOSE(m.mixing_max, 2.0 / 3.0, 1e-15, "3 sources: fully mixed unit 1 - 1/3");
  RD_CHECK(isnan(m.angle_max), "folded angle is NaN for d != 2");
  PetscCall(RdWeightMixingCompute(2, 2, zero, &m));
  RD_CHECK(m.n_active == 0 && isnan(m.mixing_max), "W = 0: no active unit, NaN");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* latents[i][u] = bias_u + sum_j code[u][j] s_ij */
static PetscErrorCode Encode(PetscInt n, PetscInt d, const double *s, PetscInt n_units, const double *code, double **z)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1((size_t)n * n_units, z));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt u = 0; u < n_units; u++) {
      double v = 1.0;
      for (PetscInt j = 0; j < d; j++) v += code[RD_IDX2(u, j, d)] * s[RD_IDX2(i, j, d)];
      (*z)[RD_IDX2(i, u, n_units)] = v;
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestInfoModularity(void)
{
  const double     modular[6] = {1, 0, 0, 2, 1e-3, 0}, mixed[4] = {1, 1, 1, -1};
  PetscInt         n;
  double          *s, *z;
  RdInfoModularity m;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(21, &n, &s));
  PetscCall(Encode(n, 2, s, 3, modular, &z));
  PetscCall(RdInfoModularityCompute(n, 2, s, 3, z, &m));
  RD_CHECK(m.n_active == 2, "InfoM: the tiny third unit is inactive (got %d active)", (int)m.n_active);
  RD_CHECK(fabs(m.infom - 1) < 1e-12 && fabs(m.cinfom - 1) < 1e-12 && fabs(m.cinfom_conditional - 1) < 1e-12, "modular code, independent sources: InfoM %g CInfoM %g conditional %g (all 1)", m.infom, m.cinfom, m.cinfom_conditional);
  PetscCall(PetscFree(z));
  PetscCall(Encode(n, 2, s, 2, mixed, &z));
  PetscCall(RdInfoModularityCompute(n, 2, s, 2, z, &m));
  RD_CHECK(fabs(m.infom) < 1e-12 && fabs(m.cinfom) < 1e-12 && fabs(m.cinfom_conditional) < 1e-12, "45-degree mixed code: InfoM %g CInfoM %g conditional %g (all 0)", m.infom, m.cinfom, m.cinfom_conditional);
  PetscCall(PetscFree(z));
  PetscCall(PetscFree(s));
  /* correlated sources (correlation 0.7), modular code: the ratio form of CInfoM does not
   * condition its numerator on s_-i and calls this code mixed; the partial R^2 does not. */
  PetscCall(RdSourcesGridDiagonal(21, 50, &n, &s));
  PetscCall(Encode(n, 2, s, 2, modular, &z));
  PetscCall(RdInfoModularityCompute(n, 2, s, 2, z, &m));
  RD_CHECK_CLOSE(m.infom, 2.0 / 1.49 - 1.0, 1e-12, "correlated modular code InfoM = 2 / (1 + 0.49) - 1");
  RD_CHECK_CLOSE(m.cinfom, 2.0 / (1.0 + 0.49 / 0.51) - 1.0, 1e-12, "correlated modular code CInfoM (ratio form) = 0.02");
  RD_CHECK_CLOSE(m.cinfom_conditional, 1.0, 1e-12, "correlated modular code conditional CInfoM = 1");
  printf("correlated sources, modular code: InfoM %.4f, CInfoM (ratio) %.4f, CInfoM (partial R^2) %.4f\n", m.infom, m.cinfom, m.cinfom_conditional);
  PetscCall(PetscFree(z));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Source sets and input checks                                                                    */

static PetscErrorCode TestSourceSets(void)
{
  PetscInt n;
  double  *s, *t;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(3, &n, &s));
  RD_CHECK(n == 9 && s[0] == -1 && s[1] == -1 && s[2] == -1 && s[3] == 0 && s[16] == 1 && s[17] == 1, "3 x 3 grid layout");
  PetscCall(PetscFree(s));
  PetscCall(RdSourcesGridCornerCut(21, 2.0, &n, &s));
  RD_CHECK(n == 231, "corner cut 2 keeps the 231 points with u + v >= 0, got %d", (int)n);
  for (PetscInt i = 0; i < n; i++) RD_CHECK(s[2 * i] + s[2 * i + 1] >= -1e-15, "corner cut point %d on the kept side", (int)i);
  PetscCall(PetscFree(s));
  PetscCall(RdSourcesGridHole(21, 0.55, &n, &s));
  for (PetscInt i = 0; i < n; i++) RD_CHECK(s[2 * i] * s[2 * i] + s[2 * i + 1] * s[2 * i + 1] >= 0.55 * 0.55, "hole point %d outside the disc", (int)i);
  PetscCall(PetscFree(s));
  PetscCall(RdSourcesUniform(100, 3, 5, &s));
  PetscCall(RdSourcesUniform(100, 3, 5, &t));
  RD_CHECK(MaxAbs(s, 300) < 1 && memcmp(s, t, 300 * sizeof(double)) == 0, "uniform: in (-1,1) and a pure function of the seed");
  PetscCall(PetscFree(t));
  PetscCall(RdSourcesUniform(100, 3, 6, &t));
  RD_CHECK(memcmp(s, t, 300 * sizeof(double)) != 0, "uniform: another seed, other samples");
  PetscCall(PetscFree(t));
  PetscCall(PetscFree(s));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every bad input is an error (not a crash, not a silent NaN). */
static PetscErrorCode TestInputChecks(void)
{
  const double  good[6] = {0, 0, 1, 1, 2, 0}, constant[6] = {0, 1, 0, 2, 0, 3}, with_nan[4] = {0, 1, RD_NAN, 2};
  RdKappaResult    r;
  RdSourceStats    stats;
  RdInfoModularity info;
  PetscInt         n, failures = 0;
  double       *s, loss;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failures += RdKappaCompute(1, 2, good, &r) != PETSC_SUCCESS;                          /* one sample */
  failures += RdKappaCompute(3, 0, good, &r) != PETSC_SUCCESS;                          /* no source */
  failures += RdKappaCompute(3, RD_MODULARITY_MAX_SOURCES + 1, good, &r) != PETSC_SUCCESS; /* too many */
  failures += RdKappaCompute(2, 2, with_nan, &r) != PETSC_SUCCESS;                      /* NaN */
  failures += RdKappaCompute(3, 2, constant, &r) != PETSC_SUCCESS;                      /* constant source */
  failures += RdSourceStatsCompute(3, 2, good, &stats) != PETSC_SUCCESS ? 100 : 0;       /* must succeed */
  failures += RdModularLoss(&stats, 0.1, 0.0, &loss) != PETSC_SUCCESS;                  /* lambda_out = 0 */
  failures += RdModularLoss(&stats, -1, 0.1, &loss) != PETSC_SUCCESS;                   /* lambda_in < 0 */
  failures += RdSourcesGrid(1, &n, &s) != PETSC_SUCCESS;
  failures += RdSourcesGridCornerCut(21, 4.5, &n, &s) != PETSC_SUCCESS;
  failures += RdSourcesGridHole(21, 1.5, &n, &s) != PETSC_SUCCESS;
  failures += RdSourcesGridDiagonal(21, 0, &n, &s) != PETSC_SUCCESS;
  failures += RdInfoModularityCompute(3, 1, good, 1, good, &info) != PETSC_SUCCESS;    /* d = 1 */
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(failures == 12, "12 bad inputs rejected, 1 good accepted (score %d)", (int)failures);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Weighted samples (a presentation distribution): integer weights give exactly the kappa of the
 * repeated sample, a zero weight removes the sample from the support (the cut corner), and equal
 * weights give the unweighted answer; the 2-D exact method decides all three. */
static PetscErrorCode TestWeightedKappa(void)
{
  PetscInt      n, n_cut, n_repeated = 0;
  double       *grid, *cut, *weights, *repeated;
  RdKappaResult weighted, reference;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(11, &n, &grid));
  PetscCall(PetscMalloc2(n, &weights, 3 * 2 * n, &repeated));
  for (PetscInt i = 0; i < n; i++) {
    weights[i] = (double)(1 + i % 3);
    for (PetscInt copy = 0; copy < 1 + i % 3; copy++, n_repeated++) PetscCall(PetscArraycpy(repeated + 2 * n_repeated, grid + 2 * i, 2));
  }
  PetscCall(RdKappaComputeWeighted(n, 2, grid, weights, &weighted));
  PetscCall(RdKappaCompute(n_repeated, 2, repeated, &reference));
  RD_CHECK_CLOSE(weighted.kappa, reference.kappa, 1e-12, "integer weights: kappa of the repeated sample");
  RD_CHECK_CLOSE(weighted.stats.covariance[1], reference.stats.covariance[1], 1e-14, "integer weights: Sigma_12 of the repeated sample");
  /* zero weight on the corner {i + j < 4}: the corner-cut grid */
  PetscCall(RdSourcesGridCornerCut(11, 0.8, &n_cut, &cut));
  for (PetscInt i = 0; i < n; i++) weights[i] = (i / 11 + i % 11) < 4 ? 0.0 : 2.5;
  PetscCall(RdKappaComputeWeighted(n, 2, grid, weights, &weighted));
  PetscCall(RdKappaCompute(n_cut, 2, cut, &reference));
  RD_CHECK(weighted.stats.n_samples == n_cut, "zero weights leave the support: %d samples, the cut grid has %d", (int)weighted.stats.n_samples, (int)n_cut);
  RD_CHECK_CLOSE(weighted.kappa, reference.kappa, 1e-12, "zero weight on the corner: kappa of the corner-cut grid");
  RD_CHECK(weighted.kappa > 1e-3 && !weighted.modular, "the cut corner mixes (kappa %g)", weighted.kappa);
  for (PetscInt i = 0; i < n; i++) weights[i] = 0.25;
  PetscCall(RdKappaComputeWeighted(n, 2, grid, weights, &weighted));
  PetscCall(RdKappaCompute(n, 2, grid, &reference));
  RD_CHECK_CLOSE(weighted.kappa, reference.kappa, 1e-14, "equal weights: the unweighted kappa");
  PetscCall(PetscFree2(weights, repeated));
  PetscCall(PetscFree(grid));
  PetscCall(PetscFree(cut));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  const double start = WallSeconds();
  PetscCall(TestGridReference());
  PetscCall(TestCorrelatedGridReference());
  PetscCall(TestParityTetrahedron());
  PetscCall(TestCube());
  PetscCall(TestCornerContinuumLimit());
  PetscCall(TestRangeBug());
  PetscCall(TestExact2DAgainstScan());
  PetscCall(TestNarrowConeNearAxis());
  PetscCall(TestExact2DScaling());
  PetscCall(TestHull3DAgainstBruteForce());
  PetscCall(TestExact3DAgainstSearch());
  PetscCall(TestFacetVerdict3D());
  PetscCall(TestHigherDimensions());
  PetscCall(TestCoplanar3D());
  PetscCall(TestOneSource());
  PetscCall(TestWeightMixing());
  PetscCall(TestInfoModularity());
  PetscCall(TestSourceSets());
  PetscCall(TestInputChecks());
  PetscCall(TestWeightedKappa());
  printf("test_modularity: %.2f s\n", WallSeconds() - start);
  int code = RdTestSummary("test_modularity");
  PetscCall(SlepcFinalize());
  return code;
}
