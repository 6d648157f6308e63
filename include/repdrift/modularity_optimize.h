/* The reduced optimisation problem of the non-negative, energy-efficient linear autoencoder of
 * Dorrell et al. 2025 (Sec. 2), solved directly: an independent check of the kappa verdict
 * (modularity_kappa.h) that does not use the condition itself.
 *
 * The autoencoder: latents z_i = W s_i + b >= 0 (n units), perfect reconstruction R z_i + c = s_i,
 * loss (1/N) sum_i |z_i|^2 + lambda_in |W|_F^2 + lambda_out |R|_F^2. With the sources demeaned, the
 * best bias of unit n is beta(w_n) = -min_i w_n . c_i (the smallest that keeps it non-negative) and
 * the best decoder is the pseudo-inverse, which leaves a problem in W alone (below). On kappa = 0
 * data no W beats L_mod (modularity_sources.h); on kappa > 0 data with a spare unit a mixed one
 * does. No I/O, no MPI; deterministic given the seed. */
#ifndef REPDRIFT_MODULARITY_OPTIMIZE_H
#define REPDRIFT_MODULARITY_OPTIMIZE_H

#include <repdrift/modularity_sources.h>

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

#endif /* REPDRIFT_MODULARITY_OPTIMIZE_H */
