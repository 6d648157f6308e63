/* "Dropout signature" of a classifier network (Aitken et al., "The geometry of representational
 * drift in natural and artificial neural networks", PLoS Comput Biol 18(11): e1010716, 2022: the
 * artificial-network experiment; equation numbers are theirs): one summary per sweep point of how
 * the feature-layer representation drifts between consecutive snapshots, the same summary for the
 * Delta t = 0 null, and the rotation of the network's own readout. The per-pair metrics are those
 * of geometry.h; the relative cross accuracy is a_rel = a^{s,s'} / a^{s',s'} (Eq 14). Plain
 * buffers, no I/O, no MPI; the PCAs go through RdPCACompute (SLEPc must be initialised).
 * Deterministic.
 *
 * Conventions shared by every function below:
 * - Angles are in degrees (acos clipped to [-1, 1]); v_i is the explained-variance ratio of PC i of
 *   the EARLIER snapshot of a pair, w_i its unit PC (sign convention of geometry.h, Eq 3), d the
 *   drift vector (later group mean minus earlier group mean).
 * - "Mean" = arithmetic mean over the items named, skipping items whose value is undefined
 *   (NaN or infinite: e.g. d = 0, zero-variance responses); NaN when no item is defined.
 * - Pooling rule of every slope: the (v_i, metric_i) points of every group and every pair are
 *   collected first, then ONE least-squares fit (RdLinearFit) runs over the pooled points. Points
 *   enter when v_i > 1e-5 and the metric is defined; the log-log variance-flow fit also drops
 *   vtilde_i <= 0. A slope over fewer than 2 points, or over points with no spread, is NaN.
 * - Classifiers are L2-regularised logistic regressions (RdLogisticFit, penalty readout_l2) trained
 *   on the first floor(m/2) samples of each set and tested on the remaining ones, so train and
 *   test never share a presentation. Ties count wrong (RdClassifierAccuracy). */
#ifndef REPDRIFT_SIGNATURE_H
#define REPDRIFT_SIGNATURE_H

#include <repdrift/common.h>

/* Responses of one sweep point, all row-major:
 *   probe_a, probe_b [snapshots][groups][samples][units]: the feature-layer responses of group
 *     (analysed class) g at snapshot s; probe set B is probed with the same weights as A and fresh
 *     noise (the Delta t = 0 null). probe_b may be NULL (RdSignatureCompute ignores it).
 *   readout [snapshots][num_classes][units]: the network's readout rows (W3) at each snapshot; NULL
 *     = no readout (the readout fields are then NaN).
 *   group_class [groups]: the readout class of each group (index into the rows of readout); NULL =
 *     group g is class g. Only read when readout is given.
 *   cross_accuracy, cross_angle [snapshots][snapshots]: the foundation's cross-day readout of
 *     groups 0 vs 1 (/readout/classifier_accuracy and _angle: trained on the first half of the row
 *     snapshot's probes, tested on the second half of the column snapshot's), the same protocol
 *     this module uses; when given, RdSignatureCompute takes a_rel and the classifier angle from
 *     them instead of fitting the classifiers again. NULL = fit them here.
 * Requirements (checked; PETSC_ERR_USER_INPUT unless said): snapshots, groups, units >= 1;
 * samples >= 4 (the null splits a probe set in halves and trains on half of each half); readout_l2
 * finite and > 0; with a readout: num_classes >= 1, snapshots_per_epoch finite and > 0 and every
 * group's class in [0, num_classes) (PETSC_ERR_ARG_OUTOFRANGE). */
typedef struct {
  PetscInt        snapshots, groups, samples, units;
  const double   *probe_a, *probe_b;
  const double   *readout;           /* [snapshot][num_classes][units] network readout rows (W3), may be NULL */
  PetscInt        num_classes;
  double          snapshots_per_epoch; /* for per-epoch rates */
  double          readout_l2;          /* L2 penalty of the logistic classifiers (> 0) */
  const PetscInt *group_class;         /* [groups] readout class of each group; NULL = identity */
  const double   *cross_accuracy, *cross_angle; /* [snapshots][snapshots] already computed, or NULL */
} RdSignatureInput;

/* The pairs of RdSignatureCompute are the consecutive snapshots (s, s+1) of probe set A,
 * s = 0..snapshots-2, for every group; those of RdSignatureComputeNull are (A of s, B of s),
 * s = 0..snapshots-1. Every field is NaN where undefined (e.g. snapshots = 1 in RdSignatureCompute,
 * fewer than 2 groups for the two-class readout fields). */
typedef struct {
  /* pooled over groups and pairs (rule in the file comment), PCs of the earlier snapshot */
  double angle_slope, angle_r;            /* theta(d, w_i) vs v_i (linear v): slope (degrees per unit v) and Pearson r;
                                             positive slope = the angle grows with v, obtuse on the top PCs (the
                                             dropout/turnover signature: the most active directions lose activity) */
  double along_slope, along_r;            /* |w_i.d|/|d| vs v_i */
  double angle_to_pc1;                    /* mean theta(d, w_1) over groups and pairs, degrees */
  double variance_flow_loglog_slope;      /* slope of log vtilde_i vs log v_i (vtilde_i: Eq 13c, RdDriftPair.variance_flow) */
  double variance_flow_ratio_pc1;         /* mean vtilde_1 / v_1 (< 1: variance flows out of the top PC) */
  double fraction_in_variational_space;   /* mean gamma (Eq 9) over groups and pairs */
  double fraction_chance;                 /* mean k/n of the earlier snapshots of the pairs */
  double participation_ratio_per_unit;    /* mean D / n over every (probe set, snapshot, group) PCA of the
                                             pairs: A at every snapshot; for the null A and B at every snapshot */
  double variance_in_variational_space;   /* mean sum_{i<=k} v_i over the same PCAs */
  double relative_cross_accuracy;         /* mean over pairs of a_rel = a^{e,l} / a^{l,l} (Eq 14): the groups-0-vs-1
                                             classifier of the earlier set e and that of the later set l, both tested
                                             on the later set's held-out halves */
  double classifier_angle;                /* mean angle between the weight vectors of those two classifiers */
  double day_discrimination_accuracy;     /* mean over groups and pairs of RdDiscriminationAccuracy(earlier, later)
                                             (~0.5 when the two sets are indistinguishable); the null's is split-half */
  double unit_turnover_slope, unit_turnover_r; /* RdUnitTurnover's fit over the pooled (unit, group, pair) points:
                                             later mean - earlier mean of each unit on its earlier mean */
  double readout_rotation_per_epoch;      /* mean over classes and consecutive snapshots of the angle between
                                             readout rows at s and s+1, times snapshots_per_epoch: degrees/epoch */
  double readout_rotation_total;          /* mean over classes of the angle between the readout rows at the first
                                             and the last snapshot, degrees */
  double drift_readout_angle;             /* mean over groups and pairs of the angle between d and the readout row
                                             of the group's class at the EARLIER snapshot of the pair, degrees */
} RdSignatureSummary;

/* The summary of the drift between consecutive snapshots of probe set A.
 * Caveat for interpretation: every metric here has a finite-sample floor (PCA overfits m samples;
 * the turnover regression has "regression to the mean": the noise of the earlier mean enters x and,
 * negated, y, biasing the slope by about -var(noise of a unit mean) / var(unit means)). A drift
 * signature counts only where it exceeds RdSignatureComputeNull's value.
 * Cost: one PCA per (snapshot, group), one logistic fit per snapshot (groups 0 vs 1) and one per
 * (group, pair) for the day discrimination. */
/* Points input->cross_accuracy and cross_angle at the valid [valid][valid] block of the foundation's
 * cross-day readout (accuracy, angle: [days][days], /readout/classifier_accuracy and _angle of a
 * point), copied into *block (PetscMalloc'ed; the caller frees it), so that nothing is refitted. */
PetscErrorCode RdSignatureUseCrossReadout(RdSignatureInput *input, const double *accuracy, const double *angle, PetscInt days, PetscInt valid, double **block);
PetscErrorCode RdSignatureCompute(const RdSignatureInput *input, RdSignatureSummary *summary);

/* The same metrics for the Delta t = 0 null: the "earlier" set of pair s is probe A of snapshot s,
 * the "later" set probe B of the SAME snapshot s (same weights, fresh noise), s = 0..snapshots-1.
 * Exceptions: day_discrimination_accuracy is the split-half discrimination within probe set A
 * (the first floor(m/2) samples of (s, g) against the next floor(m/2)), ~0.5 by construction;
 * the readout fields (readout_rotation_*, drift_readout_angle) are NaN. Requires probe_b. */
PetscErrorCode RdSignatureComputeNull(const RdSignatureInput *input, RdSignatureSummary *null_summary);

/* Per-snapshot series: angle_from_first[s] = mean over classes of the angle between the readout row
 * at snapshot s and at snapshot 0, degrees, [snapshots] (all NaN without a readout). */
PetscErrorCode RdSignatureReadoutRotation(const RdSignatureInput *input, double *angle_from_first);

/* Kernel: least-squares slope and Pearson r of y_j = later_mean[j] - earlier_mean[j] on
 * x_j = earlier_mean[j] over the n_units units. Negative slope = the most active units lose
 * activity (later = a * earlier + c gives slope a - 1 exactly). NaN (for whichever of slope and r
 * is non-NULL) when a mean is NULL, n_units < 2, or the x (slope, r) or y (r) values have no spread. */
void RdUnitTurnover(const double *earlier_mean, const double *later_mean, PetscInt n_units, double *slope, double *r);

/* Kernel: held-out accuracy of a logistic classifier (penalty l2 > 0) telling set_a from set_b,
 * both [n_samples][n_units]: trained on the first floor(n_samples/2) rows of each set, tested on
 * the remaining ceil(n_samples/2) rows of each. In [0, 1]; 0.5 in expectation when the two sets
 * come from one distribution. n_samples >= 2. */
PetscErrorCode RdDiscriminationAccuracy(const double *set_a, const double *set_b, PetscInt n_samples, PetscInt n_units, double l2, double *accuracy);

#endif
