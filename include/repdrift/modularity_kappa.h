/* kappa: the modularity condition of Dorrell et al. 2025 (Sec. 2, Theorem 2.1), decided for a
 * sample by exact and certified methods.
 *
 * Dorrell, Hsu, Hollingsworth, Lee, Wu, Finn, Latham, Behrens & Whittington, "Range, not
 * independence, drives modularity in biologically inspired representations", ICLR 2025
 * (arXiv:2410.06232).
 *
 * With the demeaned samples c_i and the gain matrix S of modularity_sources.h,
 *   g(w) = w^T S w - (min_i w . c_i)^2   (the mixing gain of direction w),
 *   kappa = max_{|w| = 1} g(w)  (>= 0: g = 0 on the cheap side of every axis).
 * The optimal non-negative, energy-efficient linear code with a spare unit (n >= d + 1) is modular
 * iff kappa <= 0 (here: <= RD_KAPPA_RELATIVE_TOLERANCE max_j e_j^2), whatever lambda_in and
 * lambda_out. When S is positive semi-definite this is Theorem 2.2 (Fig. 1b): the convex hull of
 * the c_i contains the ellipse x^T S^-1 x <= 1, and the facet test below decides it exactly.
 * Every exact method is checked against a slow reference (angle scan, brute-force facets, random
 * search) in tests/unit/test_modularity.c. No I/O, no MPI; random searches take an explicit seed. */
#ifndef REPDRIFT_MODULARITY_KAPPA_H
#define REPDRIFT_MODULARITY_KAPPA_H

#include <repdrift/modularity_sources.h>
#include <repdrift/modularity_hull.h>

/* kappa <= this * max_j e_j^2 counts as modular. */
#define RD_KAPPA_RELATIVE_TOLERANCE 1e-10
/* The random part of the lower-bound search uses at least this many unit directions. */
#define RD_KAPPA_MIN_DIRECTIONS 10000

/* g(w) by its definition, O(N d): the slow reference every kappa method is checked against.
 * w need not be unit (g is 2-homogeneous). */
double RdMixingGain(PetscInt n_samples, PetscInt n_sources, const double *centered, const double *gain_matrix, const double *w);

/* d = 2, exact, O(N log N): hull; on the arc of directions where hull vertex v minimises w . c,
 * g = w^T (S - v v^T) w, maximal at an arc end or at an eigen-direction inside the arc; every
 * candidate (and the four axis directions) is evaluated. Works for any symmetric S. */
PetscErrorCode RdKappa2DExact(PetscInt n_samples, const double *centered, const double *gain_matrix, double *kappa, double direction[2]);
/* d = 2 reference: g at n_angles equally spaced angles 2 pi k / n_angles, O(n_angles N). A lower
 * bound of kappa that misses violations confined between two grid angles. */
PetscErrorCode RdKappa2DScan(PetscInt n_samples, const double *centered, const double *gain_matrix, PetscInt n_angles, double *kappa, double direction[2]);

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

#endif /* REPDRIFT_MODULARITY_KAPPA_H */
