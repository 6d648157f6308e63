/* Drift geometry of Aitken, Garrett, Olsen & Mihalas, "The geometry of representational drift in
 * natural and artificial neural networks", PLoS Comput Biol 18(11): e1010716 (2022); equation
 * numbers are theirs. In-class PCA of one stimulus group on one day (participation ratio Eq 1/4,
 * sign convention Eq 3), and the metrics between an earlier and a later day: drift d = mean' -
 * mean (Eq 5), angle between means (Eq 11), relative magnitude (Eq 12a), drift in the variational
 * space (Eq 9), its overlap (Eq 10), drift along and angle to each PC (Eq 13a/b), flow of variance
 * (Eq 13c). Plain buffers; SLEPc for the eigenproblems.
 * Samples are row-major [n_samples][n_units]. */
#ifndef REPDRIFT_GEOMETRY_H
#define REPDRIFT_GEOMETRY_H

#include <repdrift/common.h>

/* In-class PCA of one group and day.
 * - covariance normalised by 1/(n_samples - 1); n_pcs = min(n_samples - 1, n_units) (0 if < 2 samples)
 * - when n_samples <= n_units the (n_samples x n_samples) Gram matrix is decomposed and mapped back
 * - eigenvalues descending, tiny negative round-off clipped to 0
 * - sign convention (Eq 3): w_i -> -w_i when mean . w_i < 0; when |mean . w_i| <= 1e-12 |mean|
 *   (e.g. zero mean) the largest-magnitude component of w_i is made positive instead
 * - explained[i] = v_i = lambda_i / sum lambda; participation ratio D = 1 / sum v_i^2;
 *   k_variational = ceil(D - 1e-9), at most n_pcs
 * - zero total variance (constant responses): eigenvalues 0, explained NaN, D NaN, k = 0, pcs
 *   rows still orthonormal (arbitrary) so downstream code never divides by zero silently. */
typedef struct {
  PetscInt n_units, n_samples_max, n_samples, n_pcs;
  double  *mean;        /* [n_units] */
  double  *eigenvalues; /* [n_pcs] */
  double  *explained;   /* [n_pcs] */
  double  *pcs;         /* [n_pcs][n_units] orthonormal rows */
  double   total_variance, participation_ratio;
  PetscInt k_variational;
} RdPCA;

/* Allocates for up to n_samples_max samples of n_units units. */
PetscErrorCode RdPCACreate(PetscInt n_units, PetscInt n_samples_max, RdPCA *pca);
PetscErrorCode RdPCADestroy(RdPCA *pca);
/* Fast path: SLEPc EPS (EPS_HEP) on the covariance or the Gram matrix. */
PetscErrorCode RdPCACompute(const double *samples, PetscInt n_samples, RdPCA *pca);
/* Slow, obviously-correct reference: LAPACK dsyev on the full n_units x n_units covariance. */
PetscErrorCode RdPCAComputeReference(const double *samples, PetscInt n_samples, RdPCA *pca);

/* Metrics between an earlier and a later day of one group. */
typedef struct {
  double angle_between_means;           /* degrees, Eq 11 */
  double relative_magnitude;            /* |d| / |mean_earlier|, Eq 12a */
  double fraction_in_variational_space; /* gamma = |P d|^2/|d|^2 with the earlier day's P, Eq 9 */
  double fraction_chance;               /* k_earlier / n_units */
  double variational_overlap;           /* Gamma, Eq 10 */
  double variational_overlap_chance;    /* max(k, k') / n_units: the expectation of Gamma for two
                                           uniformly random subspaces of dimensions k and k'
                                           (E sum (w_I.w'_J)^2 = k k' / n); NaN with Gamma */
  double *along_pc;                     /* [earlier->n_pcs] |w_i.d|/|d| (caller-provided) */
  double *angle_to_pc;                  /* [earlier->n_pcs] theta(d, w_i) degrees (caller-provided) */
  double *variance_flow;                /* [earlier->n_pcs] vtilde_i, Eq 13c: later variance along w_i
                                           over the later day's total variance (caller-provided) */
  double angle_slope, angle_r;          /* least-squares slope and Pearson r of angle_to_pc vs
                                           explained (earlier day, PCs with v_i > 1e-5) */
} RdDriftPair;

/* later_samples: the later day's members [n_samples_later][n_units] (for the flow of variance).
 * along_pc, angle_to_pc and variance_flow may all be NULL: the per-PC metrics, the flow and the
 * angle fit are then skipped (slope and r NaN) — they are the costly part of a pair.
 * Quantities that divide by |d| = 0 or by a zero norm are NaN. PCs of the earlier day whose
 * eigenvalue is 0 (rank-deficient responses) have no defined direction: their along_pc,
 * angle_to_pc and variance_flow are NaN. */
PetscErrorCode RdDriftCompute(const RdPCA *earlier, const RdPCA *later, const double *later_samples, PetscInt n_samples_later, RdDriftPair *pair);

/* Split-half null of gamma (choice): PCA of the first floor(n/2) samples, d = mean of the rest
 * minus mean of the first half, gamma with the first half's variational space. */
PetscErrorCode RdSplitHalfNullFraction(const double *samples, PetscInt n_samples, PetscInt n_units, double *gamma_null);

/* Least-squares slope and Pearson r of y on x over the n points with mask[i] true (mask NULL =
 * all). NaN when fewer than 2 points or zero variance. */
void RdLinearFit(const double *x, const double *y, const PetscBool *mask, PetscInt n, double *slope, double *r);
/* Angle between two vectors in degrees, acos clipped; NaN if either has zero norm. */
double RdAngleDegrees(const double *a, const double *b, PetscInt n);

#endif
