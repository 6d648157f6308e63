/* Modularity of non-negative, energy-efficient linear codes (Dorrell et al., ICLR 2025, "Range, not
 * independence, drives modularity"). Definitions: shared/science/modularity.md.
 *
 * Samples s_1..s_N of d sources are row-major [n_samples][n_sources]; every kernel demeans them
 * itself unless its argument is called `centered`. Kernels take plain buffers, do no I/O and no MPI,
 * and are deterministic (random searches take an explicit seed).
 *
 * The condition: with a_j = min_i (s_ij - mean_j), b_j = max_i (...), e_j = min(|a_j|, b_j),
 * Sigma = (1/N) sum_i c_i c_i^T (c_i the demeaned samples), S_jj = e_j^2, S_jk = -Sigma_jk,
 *   g(w) = w^T S w - (min_i w . c_i)^2,    kappa = max_{|w| = 1} g(w)  (>= 0),
 * the optimal code with a spare unit is modular iff kappa <= 0 (tolerance 1e-10 max_j e_j^2). */
#ifndef REPDRIFT_MODULARITY_H
#define REPDRIFT_MODULARITY_H

#include <repdrift/common.h>

/* Fixed upper bound on d so that per-source statistics fit in a plain struct. */
#define RD_MODULARITY_MAX_SOURCES 16
/* kappa <= this * max_j e_j^2 counts as modular (the spec's tolerance). */
#define RD_KAPPA_RELATIVE_TOLERANCE 1e-10
/* The random part of the lower-bound search uses at least this many unit directions. */
#define RD_KAPPA_MIN_DIRECTIONS 10000

/* Per-source statistics of a sample (all of the demeaned data). Matrices are d x d row-major in
 * the first d * d entries. */
typedef struct {
  PetscInt n_samples, n_sources;
  double   mean[RD_MODULARITY_MAX_SOURCES];
  double   lower[RD_MODULARITY_MAX_SOURCES];        /* a_j = min_i c_ij (<= 0) */
  double   upper[RD_MODULARITY_MAX_SOURCES];        /* b_j = max_i c_ij (>= 0) */
  double   range_margin[RD_MODULARITY_MAX_SOURCES]; /* e_j = min(|a_j|, b_j) */
  double   covariance[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES]; /* Sigma, 1/N */
  double   gain_matrix[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES]; /* S */
} RdSourceStats;

/* Statistics above. Errors (naming what to fix) for fewer than 2 samples, d outside
 * [1, RD_MODULARITY_MAX_SOURCES], non-finite values, or a constant source. */
PetscErrorCode RdSourceStatsCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, RdSourceStats *stats);
/* The same for a weighted sample (a presentation distribution): weights [n_samples] finite, >= 0,
 * normalised here (NULL = equal, RdSourceStatsCompute). Mean and Sigma are weighted; the support
 * is the samples of positive weight, so a, b and e_j (the range) are over those only, and
 * stats->n_samples counts them. */
PetscErrorCode RdSourceStatsComputeWeighted(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, RdSourceStats *stats);
/* The support's samples (weight > 0; weights NULL = all), demeaned by mean, packed into centered
 * [n_support][n_sources] (room for n_samples rows). */
PetscErrorCode RdSourcesCenterSupport(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, const double *mean, PetscInt *n_support, double *centered);
/* centered = sources - mean (same layout; may not alias). */
PetscErrorCode RdSourcesCenter(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *mean, double *centered);
/* Modular optimum of the reduced problem: L_mod = sum_j 2 sqrt(lambda_out (Sigma_jj + e_j^2 + lambda_in)). */
PetscErrorCode RdModularLoss(const RdSourceStats *stats, double lambda_in, double lambda_out, double *loss_modular);

/* g(w) by its definition, O(N d): the slow reference every kappa method is checked against.
 * w need not be unit (g is 2-homogeneous). */
double RdMixingGain(PetscInt n_samples, PetscInt n_sources, const double *centered, const double *gain_matrix, const double *w);

/* Convex hull of n points in the plane (Andrew's monotone chain, O(n log n)): indices of the strict
 * vertices, counter-clockwise, starting at the lexicographically smallest point. hull must hold n
 * entries. Collinear points (cross product <= 1e-14 scale^2) are dropped; n_hull is 1 when all
 * points coincide and 2 when they are collinear. */
PetscErrorCode RdConvexHull2D(PetscInt n, const double *points, PetscInt *n_hull, PetscInt *hull);

/* d = 2, exact, O(N log N): hull; on the arc of directions where hull vertex v minimises w . c,
 * g = w^T (S - v v^T) w, maximal at an arc end or at an eigen-direction inside the arc; every
 * candidate (and the four axis directions) is evaluated. Works for any symmetric S. */
PetscErrorCode RdKappa2DExact(PetscInt n_samples, const double *centered, const double *gain_matrix, double *kappa, double direction[2]);
/* d = 2 reference: g at n_angles equally spaced angles 2 pi k / n_angles, O(n_angles N). A lower
 * bound of kappa that misses violations confined between two grid angles. */
PetscErrorCode RdKappa2DScan(PetscInt n_samples, const double *centered, const double *gain_matrix, PetscInt n_angles, double *kappa, double direction[2]);

/* Convex hull in 3-D: incremental beneath-beyond insertion, each point tested against every current
 * face (points taken in order of decreasing distance from the first tetrahedron's centroid, so most
 * fall inside an already nearly complete hull). O(N F) time (F = hull faces; 1e5 points in a box
 * ~0.1 s, 1e4 points all on a sphere ~1 s), O(N + F) memory. Faces are triangles (coplanar hull
 * facets come out triangulated); a point within 1e-12 scale of the current hull is not inserted. When the points
 * are (nearly) coplanar, or the construction fails its own consistency checks (horizon not a
 * simple cycle, a point left outside the final hull by more than 1e-9 scale), full_dimensional is
 * PETSC_FALSE and nothing else is set. */
typedef struct {
  PetscBool full_dimensional;
  PetscInt  n_faces;
  PetscInt *faces;      /* [n_faces][3] point indices, counter-clockwise seen from outside */
  PetscInt *neighbours; /* [n_faces][3] face across edge (faces[f][k], faces[f][(k+1) % 3]) */
  double   *normals;    /* [n_faces][3] unit outward normals */
  double   *offsets;    /* [n_faces] normal . x <= offset for every point */
  PetscInt  n_vertices;
  PetscInt *vertices; /* [n_vertices] point indices of the hull vertices, ascending */
} RdHull3D;

PetscErrorCode RdHull3DCompute(PetscInt n_points, const double *points, RdHull3D *hull);
PetscErrorCode RdHull3DDestroy(RdHull3D *hull);

/* Reference facet enumeration in any dimension d >= 2: every d-subset of affinely independent
 * points spans a hyperplane; those with all points on one side (within 1e-9 scale) are supporting
 * hyperplanes; duplicates are merged. O(C(N, d) (N d + d^3) + F^2). Allocates normals [F][d] and
 * offsets [F] (PetscFree them). For full-dimensional data these are exactly the hull's facets. */
PetscErrorCode RdFacetsBruteForce(PetscInt n_points, PetscInt n_sources, const double *points, PetscInt *n_facets, double **normals, double **offsets);
/* Facet test: max over facets of g(-n_f) = n_f^T S n_f - c_f^2 (facets of the demeaned data), and
 * the direction -n_f attaining it. With S PSD and a full-dimensional hull, max <= 0 iff kappa <= 0
 * (the hull contains the ellipse x^T S^-1 x <= 1); always a lower bound of kappa. */
PetscErrorCode RdFacetGainMax(PetscInt n_facets, PetscInt n_sources, const double *normals, const double *offsets, const double *gain_matrix, double *max_gain, double *direction);

/* d = 3, exact for any symmetric S when the hull is full-dimensional: the 2-D method one dimension
 * up. The sphere of directions splits into the cells where one hull vertex v minimises w . c; on a
 * cell g = w^T (S - v v^T) w, whose maximum lies at a cell corner (a facet direction -n_f), on a
 * cell edge (a great-circle arc between two adjacent facet directions: 2-D eigen-directions), or
 * inside (eigenvectors of S - v v^T inside the cell, tested against v's hull neighbours). All
 * candidates are evaluated. Cost: hull + O(F + E + V) (a 1e5-point box: ~0.1 s).
 * full_dimensional is PETSC_FALSE (and kappa untouched) when the hull is not. */
PetscErrorCode RdKappa3DExact(PetscInt n_samples, const double *centered, const double *gain_matrix, double *kappa, double direction[3], PetscBool *full_dimensional);

/* Certified lower bound in any d: g at max(n_directions, RD_KAPPA_MIN_DIRECTIONS) random unit
 * directions (seeded), the 2d axis directions, then projected sub-gradient ascent
 * (grad = 2 S w - 2 m(w) c_argmin) from the 16 best. kappa is g at the returned direction. */
PetscErrorCode RdKappaLowerBound(PetscInt n_samples, PetscInt n_sources, const double *centered, const double *gain_matrix, PetscInt n_directions, uint64_t seed, double *kappa, double *direction);

typedef enum {
  RD_KAPPA_METHOD_ONE_SOURCE,  /* d = 1: kappa = 0 (a single source is modular) */
  RD_KAPPA_METHOD_EXACT_2D,    /* RdKappa2DExact */
  RD_KAPPA_METHOD_EXACT_3D,    /* RdKappa3DExact */
  RD_KAPPA_METHOD_FACET_TEST,  /* d >= 4, small N: exact verdict by RdFacetsBruteForce; kappa exact
                                  when modular (0), else the larger of the facet and search bounds */
  RD_KAPPA_METHOD_LOWER_BOUND  /* RdKappaLowerBound only: a violation found is certain, none found is not */
} RdKappaMethod;

typedef struct {
  RdSourceStats stats;
  double        kappa;            /* exact (kappa_exact) or the best certified lower bound */
  double        kappa_normalized; /* kappa / max_j e_j^2, for plots across data sets */
  double        tolerance;        /* RD_KAPPA_RELATIVE_TOLERANCE * max_j e_j^2 */
  double        direction[RD_MODULARITY_MAX_SOURCES]; /* unit w with g(w) = kappa */
  PetscBool     modular;          /* kappa <= tolerance */
  PetscBool     kappa_exact;      /* kappa is the maximum, not only a lower bound */
  PetscBool     verdict_certified; /* modular is decided exactly (always true when !modular) */
  RdKappaMethod method;
} RdKappaResult;

/* kappa of a sample, choosing the best available method: d = 2 exact; d = 3 exact hull method
 * (lower bound when the data are coplanar); d >= 4 facet test when S is PSD, the data are
 * full-dimensional and C(N, d) N <= 2e7, otherwise the lower bound. Random parts use seed 1. */
PetscErrorCode RdKappaCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, RdKappaResult *result);
/* kappa of a weighted sample (weights as in RdSourceStatsComputeWeighted): the condition with the
 * weighted Sigma on the support of positive weight; same methods and result as RdKappaCompute. */
PetscErrorCode RdKappaComputeWeighted(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, RdKappaResult *result);
const char    *RdKappaMethodName(RdKappaMethod method);

/* Metrics of a learned code                                                                    */
/* (kappa of the data via RdKappaCompute; the gap of a learned encoder W to L_mod is
 * RdReducedLoss(W) - L_mod, see below.) */

/* Weight mixing of encoder rows W [n_units][n_sources]: unit n mixes 1 - max_j |W_nj| / sum_j |W_nj|
 * (0 = modular, 1 - 1/d = fully mixed), over active units (|w_n|_1 > max_n |w_n|_1 / 10). For d = 2
 * also the folded angle min(atan(a/b), 90 deg - atan(a/b)), a, b = |W_n1|, |W_n2|, in degrees
 * (0 = modular, 45 = fully mixed; NaN for d != 2). No active unit (W = 0): NaN, n_active 0. */
typedef struct {
  PetscInt n_active;
  double   mixing_max, mixing_mean;
  double   angle_max, angle_mean; /* degrees */
} RdWeightMixing;
PetscErrorCode RdWeightMixingCompute(PetscInt n_units, PetscInt n_sources, const double *W, RdWeightMixing *mixing);

/* Linear InfoM and CInfoM of latents [n_samples][n_units] against sources [n_samples][n_sources]
 * (d >= 2), OLS with intercept on standardised variables. Per active unit j (range(z_j) > 0.1 max
 * range) and source i a score m_ij, then modularity = (mean_j [max_i m_ij / sum_i m_ij] - 1/d) /
 * (1 - 1/d) over the active units with sum_i m_ij > 0 (an active unit linearly unrelated to every
 * source has no preferred source and is left out; n_scored_* count the units that entered). NaN
 * when none entered.
 *   infom:              m_ij = R^2(s_i ~ z_j) (= squared correlation)
 *   cinfom:             m_ij = R^2(s_i ~ z_j) / (1 - R^2(s_i ~ s_-i)), clipped to [0, 1] (the
 *                       note's formula)
 *   cinfom_conditional: m_ij = [R^2(s_i ~ z_j, s_-i) - R^2(s_i ~ s_-i)] / (1 - R^2(s_i ~ s_-i)),
 *                       clipped to [0, 1]: the partial R^2, the linear analogue of
 *                       I(s_i; z_j | s_-i) / H(s_i | s_-i). Unlike cinfom it scores a modular
 *                       code of correlated sources as modular (1); see test_modularity.c. */
typedef struct {
  PetscInt n_active, n_scored_infom, n_scored_cinfom, n_scored_conditional;
  double   infom, cinfom, cinfom_conditional;
} RdInfoModularity;
PetscErrorCode RdInfoModularityCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt n_units, const double *latents, RdInfoModularity *result);

/* Built-in source sets. Each allocates *sources [n_samples][n_sources] with PetscMalloc1 (PetscFree
 * it) and sets *n_samples. Grids are k x k on [-1,1]^2, u_i = (2 i - (k - 1)) / (k - 1) (exactly
 * antisymmetric, u_{k-1-i} = -u_i), sample i k + j = (u_i, u_j). */
PetscErrorCode RdSourcesGrid(PetscInt k, PetscInt *n_samples, double **sources);
/* Grid without the corner {u + v < -2 + cut} (points on the line u + v = -2 + cut are kept; the
 * test is done on grid indices, i + j < cut (k - 1) / 2, so it is exact). cut in (0, 4). */
PetscErrorCode RdSourcesGridCornerCut(PetscInt k, double cut, PetscInt *n_samples, double **sources);
/* Grid whose diagonal points (u_i, u_i) appear `multiplicity` times in all (correlated sources). */
PetscErrorCode RdSourcesGridDiagonal(PetscInt k, PetscInt multiplicity, PetscInt *n_samples, double **sources);
/* Grid without the points inside the disc u^2 + v^2 < radius^2 (dependent sources, full range). */
PetscErrorCode RdSourcesGridHole(PetscInt k, double radius, PetscInt *n_samples, double **sources);
/* n_samples independent uniform points in [-1,1]^n_sources (splitmix64, seeded). */
PetscErrorCode RdSourcesUniform(PetscInt n_samples, PetscInt n_sources, uint64_t seed, double **sources);
/* The cube {-1,1}^3 (8 points) and the parity tetrahedron {(1,1,1),(1,-1,-1),(-1,1,-1),(-1,-1,1)}. */
PetscErrorCode RdSourcesCube(PetscInt *n_samples, double **sources);
PetscErrorCode RdSourcesParityTetrahedron(PetscInt *n_samples, double **sources);

/* The reduced optimisation problem (modularity_optimize.c)                                    */

/* Reduced loss of an encoder W [n_units][n_sources] (n_units >= n_sources, full column rank) with
 * the best biases beta(w_n) = -min_i w_n . c_i and the best decoder (pseudo-inverse):
 *   L(W) = tr((Sigma + lambda_in I) M) + lambda_out tr(M^-1) + sum_n beta(w_n)^2,  M = W^T W.
 * gradient [n_units][n_sources] may be NULL; at ties of the min it is one sub-gradient. Errors when
 * M is not positive definite (W rank-deficient). O(N d n). */
PetscErrorCode RdReducedLoss(PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt n_units, const double *W, double lambda_in, double lambda_out, double *loss, double *gradient);
/* The same for a weighted sample (weights as in RdSourceStatsComputeWeighted: weighted Sigma, the
 * biases' min over the support), except that a rank-deficient W is not an error here: *loss is
 * NaN (gradient untouched), for callers that score whatever a training run produced. */
PetscErrorCode RdReducedLossWeighted(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, PetscInt n_units, const double *W, double lambda_in, double lambda_out, double *loss, double *gradient);

typedef struct {
  PetscInt n_units;           /* width n >= d */
  double   lambda_in, lambda_out;
  PetscInt n_restarts, n_steps;
  double   learning_rate;     /* Adam step in units of the modular weight scale, cosine-decayed */
  uint64_t seed;
} RdReducedOptions;

typedef struct {
  double   loss;          /* best reduced loss found (re-evaluated on all samples) */
  double   loss_modular;  /* L_mod */
  double   gap;           /* loss - loss_modular (< 0: a mixed code beats every modular one) */
  double   relative_gap;  /* gap / loss_modular */
  PetscInt best_restart;
} RdReducedResult;

/* Defaults: n_units = 0 (means d + 1), lambdas 0.1, 8 restarts x 3000 steps, learning rate 0.05, seed 1. */
PetscErrorCode RdReducedOptionsDefaults(RdReducedOptions *options);
/* Minimises L(W) by Adam with restarts from random W (deterministic given the seed); the min over
 * samples runs over the hull vertices when d <= 3 (same value, fewer points). W [n_units][n_sources]
 * receives the best encoder (the code is z = W s + beta(w), beta as in RdReducedLoss). */
PetscErrorCode RdReducedOptimize(PetscInt n_samples, PetscInt n_sources, const double *sources, const RdReducedOptions *options, double *W, RdReducedResult *result);

#endif /* REPDRIFT_MODULARITY_H */
