/* Source statistics and source sets for the modularity condition of Dorrell et al. 2025 (Sec. 2),
 * the quantities every other modularity module starts from, and the loss of the best modular code.
 *
 * Dorrell, Hsu, Hollingsworth, Lee, Wu, Finn, Latham, Behrens & Whittington, "Range, not
 * independence, drives modularity in biologically inspired representations", ICLR 2025
 * (arXiv:2410.06232).
 *
 * Samples s_1..s_N of d sources are row-major [n_samples][n_sources]; c_i = s_i - mean are the
 * demeaned samples. Per source j:
 *   a_j = min_i c_ij (<= 0),  b_j = max_i c_ij (>= 0),  e_j = min(|a_j|, b_j)  (the range margin),
 * Sigma = (1/N) sum_i c_i c_i^T, and the gain matrix S with S_jj = e_j^2, S_jk = -Sigma_jk (j != k).
 * e_j is the cheaper side of the range on which a non-negative unit coding source j alone puts its
 * threshold; taking |a_j| alone overstates S_jj for skewed sources.
 *
 * The modular optimum (one unit per source) of the reduced problem (modularity_optimize.h): a unit
 * with weight x on source j only (x of the cheaper sign) has bias^2 = x^2 e_j^2 and costs
 * x^2 (Sigma_jj + e_j^2 + lambda_in) + lambda_out / x^2, whose minimum over x^2 is
 * 2 sqrt(lambda_out (Sigma_jj + e_j^2 + lambda_in)); hence
 *   L_mod = sum_j 2 sqrt(lambda_out (Sigma_jj + e_j^2 + lambda_in)).
 *
 * Kernels take plain buffers, do no I/O and no MPI, and are deterministic (random sets take an
 * explicit seed). Users' source files are read by h5input.h. */
#ifndef REPDRIFT_MODULARITY_SOURCES_H
#define REPDRIFT_MODULARITY_SOURCES_H

#include <repdrift/common.h>

/* Fixed upper bound on d so that per-source statistics fit in a plain struct. */
#define RD_MODULARITY_MAX_SOURCES 16

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

/* Built-in source sets. Each allocates *sources [n_samples][n_sources] with PetscMalloc1 (PetscFree
 * it) and sets *n_samples. Grids are k x k on [-1,1]^2, u_i = (2 i - (k - 1)) / (k - 1) (exactly
 * antisymmetric, u_{k-1-i} = -u_i), sample i k + j = (u_i, u_j). They are small instances of the
 * kinds of support Dorrell et al. 2025 contrast: a full square (range independent), a square with
 * a corner cut off, correlated and dependent sources that keep their full range. */
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

#endif /* REPDRIFT_MODULARITY_SOURCES_H */
