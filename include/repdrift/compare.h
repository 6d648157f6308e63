/* Which noise source of a network reproduces a recording's drift? `repdrift-report RECORDING
 * -compare NETWORK` (either order; RECORDING may also be a built-in reference such as paper-v1,
 * include/repdrift/reference.h) ranks every setting of the network archive by the distance of its
 * drift signature (/signature, Aitken et al. 2022) to the recording's.
 *
 * Definition (README, "Comparing a recording with a network"):
 *   metrics j: the 13 signature metrics of compare.c's table (angle_slope, angle_r, along_slope,
 *     angle_to_pc1, variance_flow_loglog_slope, variance_flow_ratio_pc1,
 *     fraction_in_variational_space, participation_ratio_per_unit, variance_in_variational_space,
 *     relative_cross_accuracy, classifier_angle, day_discrimination_accuracy, unit_turnover_slope),
 *     each with a floor eps_j (the resolution below which a difference is not read as one);
 *   settings g: the distinct (frequency, noise_type, noise_level, width, lr) of the network's done
 *     points, in point order; its seeds are its done points;
 *   mu_gj, s_gj: mean and standard deviation (n - 1; 0 for one seed) of metric j over the seeds of
 *     g with a finite value;
 *   r_j, t_j: the recording's value and spread. A recording archive: the mean and standard
 *     deviation over its done points (animals) with a finite value; with one such animal,
 *     t_j = |split-half null - even/odd null| / sqrt 2 of that animal (/signature/null_<j>,
 *     /signature/even_odd_<j>: two within-session estimates, their difference a measure of the
 *     metric's sampling noise; 0 when one is missing). A reference: its mean +- SD; an "about"
 *     value has t_j = 0; a bound counts only when exceeded;
 *   z_gj = (mu_gj - r_j) / sqrt(s_gj^2 + t_j^2 + eps_j^2) (a bound: max(0, mu_gj - r_j) / ...);
 *   D_g = sqrt(mean of z_gj^2 over the metrics defined on both sides); settings ranked by D_g,
 *     ascending (undefined last; ties keep point order). Spreads are standard deviations, not
 *     standard errors: D asks whether the network looks like one more animal, so it does not grow
 *     with the number of seeds.
 *   Bootstrap: B resamples (-bootstrap, default 1000) from the Philox stream (seed, stream 0,
 *     RD_PURPOSE_COMPARE); each draws, in this order, A animal indices RdStreamBelow(A) (archives
 *     only), then for every setting in point order n_g seed indices RdStreamBelow(n_g), and
 *     recomputes every D_g with the centers mu_gj, r_j (and which metrics are defined) of the
 *     resampled seeds and animals and the spreads s_gj, t_j of the full sample (a resample that
 *     repeats one seed or animal has no spread of its own: its z would be unbounded, its D not a
 *     resample of the same statistic). The 95 % interval of D_g is the
 *     ceil(0.025 L)-th and ceil(0.975 L)-th smallest of its L finite resampled values; P(first) is
 *     the share of the B resamples in which g has the smallest finite D (ties: the first setting).
 * Serial; reads the archives through the report's readers. */
#ifndef REPDRIFT_COMPARE_H
#define REPDRIFT_COMPARE_H

#include <repdrift/common.h>

typedef struct {
  PetscInt bootstrap; /* resamples, 0: none */
  PetscInt seed;      /* of the bootstrap stream */
} RdCompareOptions;

/* Prints the comparison of the two (one a recording archive or a reference name, the other a
 * network archive with /signature). Anything else is a user error naming what to give. */
PetscErrorCode RdComparePrint(const char *first, const char *second, const RdCompareOptions *options);

#endif
