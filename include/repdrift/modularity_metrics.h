/* How modular a learned code is: the measures of a trained encoder compared with the kappa
 * verdict of its data (modularity_kappa.h) and with the gap of its reduced loss to L_mod
 * (modularity_optimize.h).
 * - InfoM and CInfoM: the information-based modularity scores Dorrell et al. 2025 use for trained
 *   networks (InfoM after Hsu et al. 2023; CInfoM conditions on the other sources, for correlated
 *   sources), here in their linear form: mutual information replaced by the R^2 of an OLS fit on
 *   standardised variables.
 * - Weight mixing and the folded angle: direct descriptions of the encoder rows (0 = modular).
 * No I/O, no MPI, deterministic. */
#ifndef REPDRIFT_MODULARITY_METRICS_H
#define REPDRIFT_MODULARITY_METRICS_H

#include <repdrift/modularity_sources.h>

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
 *                       ratio form)
 *   cinfom_conditional: m_ij = [R^2(s_i ~ z_j, s_-i) - R^2(s_i ~ s_-i)] / (1 - R^2(s_i ~ s_-i)),
 *                       clipped to [0, 1]: the partial R^2, the linear analogue of
 *                       I(s_i; z_j | s_-i) / H(s_i | s_-i). Unlike cinfom it scores a modular
 *                       code of correlated sources as modular (1); see test_modularity.c. */
typedef struct {
  PetscInt n_active, n_scored_infom, n_scored_cinfom, n_scored_conditional;
  double   infom, cinfom, cinfom_conditional;
} RdInfoModularity;
PetscErrorCode RdInfoModularityCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt n_units, const double *latents, RdInfoModularity *result);

#endif /* REPDRIFT_MODULARITY_METRICS_H */
