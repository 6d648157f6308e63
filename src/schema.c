/* archive-v1 declared as data. Names and dimensions here are the public interface: changing one
 * is a schema-version bump (RD_SCHEMA_VERSION). */
#include <repdrift/schema.h>
#include <repdrift/phases.h>

#define P RD_DIM_POINT
#define D RD_DIM_DAY
#define L RD_DIM_LATER_DAY
#define S RD_DIM_STIMULUS
#define M RD_DIM_SAMPLE
#define U RD_DIM_UNIT
#define C RD_DIM_PC
#define F64 RD_TYPE_FLOAT64
#define I64 RD_TYPE_INT64
#define I8 RD_TYPE_INT8
#define CREATE RD_WRITTEN_AT_CREATION
#define POINT RD_WRITTEN_PER_POINT
#define R RD_DIM_RECORD
#define THEORY RD_WRITTEN_PER_POINT, RD_WITH_THEORY
#define G RD_DIM_LAG
#define SIGNATURE RD_WRITTEN_PER_POINT, RD_WITH_SIGNATURE
#define MODULARITY RD_WRITTEN_PER_POINT, RD_WITH_MODULARITY
#define RECORDING RD_WRITTEN_PER_POINT, RD_WITH_RECORDING
#define PREDICTION RD_WRITTEN_PER_POINT, RD_WITH_PREDICTION
#define DAYS_PREDICTION RD_WRITTEN_PER_POINT, RD_WITH_DAYS_PREDICTION

const RdDimSpec rd_dim_specs[RD_NUM_DIMS] = {
  {"point", "point", "sweep point, flattened: ((((frequency * n_noise_type + noise_type) * n_noise_level + noise_level) * n_width + width) * n_lr + lr) * n_seeds + replicate"},
  {"day", "day", "day of continual learning; 0 = end of burn-in (the earlier day of a pair)"},
  {"later_day", "day", "the later day of a day pair (same values as day; a separate scale so xarray sees two axes)"},
  {"stimulus", "stimulus", "stimulus group: stimulus k (linear), analysed class (classifier), the source distribution (autoencoder, one group)"},
  {"sample", "sample", "probe presentation of one stimulus on one day"},
  {"unit", "unit", "hidden unit, padded with NaN beyond the point's width"},
  {"pc", "pc", "principal component of the in-class covariance, descending variance, padded with NaN"},
  {"record", "record", "replica protocol: record of the replicas' hidden representations (see /theory/time)"},
  {"lag", "lag", "replica protocol: lag of the single-run mean squared displacement (see /theory/msd_lag)"},
  {"phase", "phase", "phase of a point's time (/sweep/phase_seconds): index i is the i-th name of this scale's attribute labels"},
};

const RdDimValueLabel rd_dim_value_labels[RD_NUM_DIMS] = {[RD_DIM_PHASE] = RdPhaseName};

const RdFieldSpec rd_field_specs[RD_NUM_FIELDS] = {
  [RD_FIELD_SWEEP_FREQUENCY] = {"/sweep/frequency", 1, {P}, F64, CREATE, RD_ALWAYS, "1", "presentation probability of stimulus 0 (linear), of class 0 in training (classifier), of the source samples in the corner region {s1 + s2 < -2 + corner_cut} (autoencoder)"},
  [RD_FIELD_SWEEP_NOISE_LEVEL] = {"/sweep/noise_level", 1, {P}, F64, CREATE, RD_ALWAYS, "1", "noise level at this point: the dropout probability (node/weight dropout, linear and autoencoder hidden dropout) or the noise std s (additive, multiplicative, gradient)"},
  [RD_FIELD_SWEEP_WIDTH] = {"/sweep/width", 1, {P}, I64, CREATE, RD_ALWAYS, "units", "hidden width at this point (valid length along unit)"},
  [RD_FIELD_SWEEP_SEED] = {"/sweep/seed", 1, {P}, I64, CREATE, RD_ALWAYS, "1", "replicate index; every random stream of the point derives from (global_seed, replicate, purpose)"},
  [RD_FIELD_SWEEP_STIMULUS_PROBABILITY] = {"/sweep/stimulus_probability", 2, {P, S}, F64, CREATE, RD_ALWAYS, "1", "presentation probability of each stimulus group (classifier: of each analysed class in training)"},
  [RD_FIELD_SWEEP_NOISE_TYPE] = {"/sweep/noise_type", 1, {P}, I8, CREATE, RD_ALWAYS, "code", "noise source at the feature layer: 0 none, 1 node_dropout, 2 weight_dropout, 3 additive, 4 multiplicative, 5 gradient (linear and autoencoder: 1, hidden-unit dropout)"},
  [RD_FIELD_SWEEP_LR] = {"/sweep/lr", 1, {P}, F64, CREATE, RD_ALWAYS, "1/step", "SGD learning rate eta at this point"},
  [RD_FIELD_SWEEP_STATUS] = {"/sweep/status", 1, {P}, I8, POINT, RD_ALWAYS, "1", "0 pending, 1 done, 2 diverged (non-finite loss), 3 failed"},
  [RD_FIELD_SWEEP_WALL_SECONDS] = {"/sweep/wall_seconds", 1, {P}, F64, POINT, RD_ALWAYS, "s", "wall-clock seconds the rank spent on the point: from the previous point's results being written (or the start) to this point's, so its compute, its wait for the collective write round and its data write (and the previous round's status write and progress report); sum of /sweep/phase_seconds"},
  [RD_FIELD_SWEEP_PHASE_SECONDS] = {"/sweep/phase_seconds", 2, {P, RD_DIM_PHASE}, F64, POINT, RD_ALWAYS, "s", "the point's wall_seconds by phase (dimension phase, named by the labels of /phase): training, probes, PCA, drift, readout, the models' analyses, waiting for the write round, archive writes, progress; exclusive, so they sum to wall_seconds"},
  [RD_FIELD_SWEEP_CHECKSUM] = {"/sweep/checksum", 1, {P}, RD_TYPE_UINT64, RD_WRITTEN_BY_ARCHIVE, RD_ALWAYS, "1", "SipHash-2-4 of the point as stored: /config/options, the point index and its slice of every per-point dataset but the timings wall_seconds and phase_seconds (status included), in schema order; written with the data, before the status; 0 = not written (README: Integrity)"},
  [RD_FIELD_TASK_LOSS] = {"/task/loss", 2, {P, D}, F64, POINT, RD_ALWAYS, "1", "population loss (expectation over stimuli, input noise and dropout, incl. weight decay) at the end of each day"},
  [RD_FIELD_RESPONSES_MEAN] = {"/responses/mean", 4, {P, D, S, U}, F64, POINT, RD_ALWAYS, "activation", "mean hidden response per stimulus and day"},
  [RD_FIELD_RESPONSES_PROBE] = {"/responses/probe", 5, {P, D, S, M, U}, F64, POINT, RD_WITH_SAVE_RESPONSES, "activation", "every probe response (hidden layer after dropout) the geometry was computed from"},
  [RD_FIELD_GEOMETRY_EIGENVALUES] = {"/geometry/eigenvalues", 4, {P, D, S, C}, F64, POINT, RD_ALWAYS, "activation^2", "in-class covariance eigenvalues (1/(samples-1) normalisation), descending"},
  [RD_FIELD_GEOMETRY_EXPLAINED_VARIANCE_RATIO] = {"/geometry/explained_variance_ratio", 4, {P, D, S, C}, F64, POINT, RD_ALWAYS, "1", "v_i = eigenvalue / sum of eigenvalues"},
  [RD_FIELD_GEOMETRY_PARTICIPATION_RATIO] = {"/geometry/participation_ratio", 3, {P, D, S}, F64, POINT, RD_ALWAYS, "units", "D = 1 / sum v_i^2 (Eq 1/4)"},
  [RD_FIELD_GEOMETRY_VARIATIONAL_DIMENSION] = {"/geometry/variational_dimension", 3, {P, D, S}, I64, POINT, RD_ALWAYS, "1", "k = ceil(D): number of PCs spanning the variational space"},
  [RD_FIELD_DRIFT_ANGLE_BETWEEN_MEANS] = {"/drift/angle_between_means", 4, {P, D, L, S}, F64, POINT, RD_ALWAYS, "degree", "angle between the mean responses of the earlier (day) and later (later_day) day (Eq 11); NaN unless day < later_day"},
  [RD_FIELD_DRIFT_RELATIVE_MAGNITUDE] = {"/drift/relative_magnitude", 4, {P, D, L, S}, F64, POINT, RD_ALWAYS, "1", "|d| / |mean of the earlier day| (Eq 12a)"},
  [RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE] = {"/drift/fraction_in_variational_space", 4, {P, D, L, S}, F64, POINT, RD_ALWAYS, "1", "gamma = |P d|^2/|d|^2 with the earlier day's variational space (Eq 9)"},
  [RD_FIELD_DRIFT_FRACTION_CHANCE] = {"/drift/fraction_chance", 4, {P, D, L, S}, F64, POINT, RD_ALWAYS, "1", "chance level of gamma for a random direction: k / width"},
  [RD_FIELD_DRIFT_VARIATIONAL_OVERLAP] = {"/drift/variational_overlap", 4, {P, D, L, S}, F64, POINT, RD_ALWAYS, "1", "Gamma: overlap of the two days' variational spaces (Eq 10)"},
  [RD_FIELD_DRIFT_VARIATIONAL_OVERLAP_CHANCE] = {"/drift/variational_overlap_chance", 4, {P, D, L, S}, F64, POINT, RD_ALWAYS, "1", "chance level of Gamma, max(k, k') / width: its expectation for two random subspaces of the two days' dimensions"},
  [RD_FIELD_DRIFT_ALONG_PC] = {"/drift/along_pc", 4, {P, D, S, C}, F64, POINT, RD_ALWAYS, "1", "|w_i.d|/|d| for the pair (day-1 -> day), PCs of day-1 (Eq 13a, normalised); NaN for PCs of zero variance and on day 0"},
  [RD_FIELD_DRIFT_ANGLE_TO_PC] = {"/drift/angle_to_pc", 4, {P, D, S, C}, F64, POINT, RD_ALWAYS, "degree", "angle between d and w_i for the pair (day-1 -> day) (Eq 13b); day 0 is NaN"},
  [RD_FIELD_DRIFT_VARIANCE_FLOW] = {"/drift/variance_flow", 4, {P, D, S, C}, F64, POINT, RD_ALWAYS, "1", "vtilde_i: share of day's total in-class variance along day-1's PC i (Eq 13c); NaN for PCs of zero variance and on day 0"},
  [RD_FIELD_DRIFT_ANGLE_SLOPE] = {"/drift/angle_slope", 3, {P, D, S}, F64, POINT, RD_ALWAYS, "degree", "least-squares slope of angle_to_pc against v_i (PCs with v_i > 1e-5), pair (day-1 -> day)"},
  [RD_FIELD_DRIFT_ANGLE_R] = {"/drift/angle_r", 3, {P, D, S}, F64, POINT, RD_ALWAYS, "1", "Pearson r of angle_to_pc against v_i (PCs with v_i > 1e-5), pair (day-1 -> day)"},
  [RD_FIELD_DRIFT_NULL_FRACTION_IN_VARIATIONAL_SPACE] = {"/drift/null_fraction_in_variational_space", 3, {P, D, S}, F64, POINT, RD_ALWAYS, "1", "split-half null of gamma within one day: PCA of the first half, d = mean(second half) - mean(first half)"},
  [RD_FIELD_READOUT_CLASSIFIER_ACCURACY] = {"/readout/classifier_accuracy", 3, {P, D, L}, F64, POINT, RD_ALWAYS, "1", "logistic classifier stimulus 0 vs 1 trained on the first half of day's probes, tested on the second half of later_day's probes"},
  [RD_FIELD_READOUT_CLASSIFIER_ANGLE] = {"/readout/classifier_angle", 3, {P, D, L}, F64, POINT, RD_ALWAYS, "degree", "angle between the classifier weight vectors of day and later_day"},
  [RD_FIELD_THEORY_L_STAR] = {"/theory/L_star", 1, {P}, F64, THEORY, "1", "population loss at the minimum theta* (of the trained objective)"},
  [RD_FIELD_THEORY_EXCESS_LOSS_PREDICTED] = {"/theory/excess_loss_predicted", 1, {P}, F64, THEORY, "1", "1/2 tr(H S): stationary E[L] - L*; NaN where the theory does not hold (dropout or input noise > 0)"},
  [RD_FIELD_THEORY_EXCESS_LOSS_MEASURED] = {"/theory/excess_loss_measured", 1, {P}, F64, THEORY, "1", "time- and replica-averaged L - L* after relaxation"},
  [RD_FIELD_THEORY_EXCESS_LOSS_STDERR] = {"/theory/excess_loss_stderr", 1, {P}, F64, THEORY, "1", "jackknife standard error of excess_loss_measured"},
  [RD_FIELD_THEORY_FLUCTUATION_PREDICTED] = {"/theory/fluctuation_predicted", 2, {P, S}, F64, THEORY, "activation^2", "F_s = tr(J_s S J_s^T): stationary variance of h_s in the normal space"},
  [RD_FIELD_THEORY_FLUCTUATION_MEASURED] = {"/theory/fluctuation_measured", 2, {P, S}, F64, THEORY, "activation^2", "intercept of the across-replica variance tr Cov h_s(t) = F_s + sigma_s t"},
  [RD_FIELD_THEORY_FLUCTUATION_STDERR] = {"/theory/fluctuation_stderr", 2, {P, S}, F64, THEORY, "activation^2", "jackknife standard error of fluctuation_measured"},
  [RD_FIELD_THEORY_DIFFUSION_SLOPE_PREDICTED] = {"/theory/diffusion_slope_predicted", 2, {P, S}, F64, THEORY, "activation^2/step", "sigma_s: growth rate of the across-replica variance of h_s (initial slope when the network rotates)"},
  [RD_FIELD_THEORY_DIFFUSION_SLOPE_MEASURED] = {"/theory/diffusion_slope_measured", 2, {P, S}, F64, THEORY, "activation^2/step", "slope of the across-replica variance tr Cov h_s(t)"},
  [RD_FIELD_THEORY_DIFFUSION_SLOPE_STDERR] = {"/theory/diffusion_slope_stderr", 2, {P, S}, F64, THEORY, "activation^2/step", "jackknife standard error of diffusion_slope_measured"},
  [RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_PREDICTED] = {"/theory/normalized_diffusion_slope_predicted", 2, {P, S}, F64, THEORY, "1/step", "sigma_s / |h_s*|^2"},
  [RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_MEASURED] = {"/theory/normalized_diffusion_slope_measured", 2, {P, S}, F64, THEORY, "1/step", "measured sigma_s / |h_s(0)|^2"},
  [RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_STDERR] = {"/theory/normalized_diffusion_slope_stderr", 2, {P, S}, F64, THEORY, "1/step", "jackknife standard error of normalized_diffusion_slope_measured"},
  [RD_FIELD_THEORY_ROTATION_RATE_PREDICTED] = {"/theory/rotation_rate_predicted", 2, {P, S}, F64, THEORY, "rad/step", "|V h_s*| / |h_s*|: angular speed of the systematic rotation of h_s"},
  [RD_FIELD_THEORY_ROTATION_RATE_MEASURED] = {"/theory/rotation_rate_measured", 2, {P, S}, F64, THEORY, "rad/step", "angular speed of the replica-mean h_s (slope through 0 while below 45 degrees)"},
  [RD_FIELD_THEORY_ROTATION_PERIOD_PREDICTED] = {"/theory/rotation_period_predicted", 2, {P, S}, F64, THEORY, "step", "2 pi / rotation_rate_predicted (inf without rotation)"},
  [RD_FIELD_THEORY_ROTATION_PERIOD_MEASURED] = {"/theory/rotation_period_measured", 2, {P, S}, F64, THEORY, "step", "2 pi / rotation_rate_measured"},
  [RD_FIELD_THEORY_TIME] = {"/theory/time", 2, {P, R}, F64, THEORY, "step", "SGD steps since the replicas started at theta*, per record"},
  [RD_FIELD_THEORY_VARIANCE_CURVE] = {"/theory/variance_curve", 3, {P, S, R}, F64, THEORY, "activation^2", "measured across-replica variance tr Cov h_s(t)"},
  [RD_FIELD_THEORY_ROTATION_ANGLE] = {"/theory/rotation_angle", 3, {P, S, R}, F64, THEORY, "degree", "angle between the replica-mean h_s(t) and h_s(0)"},
  [RD_FIELD_THEORY_MSD_LAG] = {"/theory/msd_lag", 2, {P, G}, F64, THEORY, "step", "lag of the single-run MSD"},
  [RD_FIELD_THEORY_MSD] = {"/theory/msd", 3, {P, S, G}, F64, THEORY, "activation^2", "single-run (replica 0) mean squared displacement of h_s over lags, after relaxation"},
  [RD_FIELD_SIGNATURE_ACCURACY] = {"/signature/accuracy", 2, {P, D}, F64, SIGNATURE, "1", "classifier accuracy on fresh held-out examples at each snapshot (noise on, as in training)"},
  [RD_FIELD_SIGNATURE_READOUT_ROTATION] = {"/signature/readout_rotation", 2, {P, D}, F64, SIGNATURE, "degree", "angle between the readout rows at this snapshot and at snapshot 0, mean over classes"},
  [RD_FIELD_SIGNATURE_ANGLE_SLOPE] = {"/signature/angle_slope", 1, {P}, F64, SIGNATURE, "degree", "slope of theta(d, w_i) against v_i, pooled over analysed classes and consecutive snapshots (PCs with v_i > 1e-5)"},
  [RD_FIELD_SIGNATURE_ANGLE_R] = {"/signature/angle_r", 1, {P}, F64, SIGNATURE, "1", "Pearson r of theta(d, w_i) against v_i, pooled"},
  [RD_FIELD_SIGNATURE_ALONG_SLOPE] = {"/signature/along_slope", 1, {P}, F64, SIGNATURE, "1", "slope of |w_i.d|/|d| against v_i, pooled"},
  [RD_FIELD_SIGNATURE_ALONG_R] = {"/signature/along_r", 1, {P}, F64, SIGNATURE, "1", "Pearson r of |w_i.d|/|d| against v_i, pooled"},
  [RD_FIELD_SIGNATURE_ANGLE_TO_PC1] = {"/signature/angle_to_pc1", 1, {P}, F64, SIGNATURE, "degree", "mean angle between the drift vector and PC 1 (obtuse: the most variable direction loses activity)"},
  [RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE] = {"/signature/variance_flow_loglog_slope", 1, {P}, F64, SIGNATURE, "1", "slope of log vtilde_i against log v_i, pooled (< 1: variance flows out of the top PCs)"},
  [RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1] = {"/signature/variance_flow_ratio_pc1", 1, {P}, F64, SIGNATURE, "1", "mean vtilde_1 / v_1"},
  [RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE] = {"/signature/fraction_in_variational_space", 1, {P}, F64, SIGNATURE, "1", "mean gamma (consecutive snapshots)"},
  [RD_FIELD_SIGNATURE_FRACTION_CHANCE] = {"/signature/fraction_chance", 1, {P}, F64, SIGNATURE, "1", "mean chance level k/n of gamma"},
  [RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT] = {"/signature/participation_ratio_per_unit", 1, {P}, F64, SIGNATURE, "1", "mean D/n over snapshots and analysed classes"},
  [RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE] = {"/signature/variance_in_variational_space", 1, {P}, F64, SIGNATURE, "1", "mean share of the in-class variance in the variational space (sum of v_i, i <= k)"},
  [RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY] = {"/signature/relative_cross_accuracy", 1, {P}, F64, SIGNATURE, "1", "a_rel = a(s, s+1) / a(s+1, s+1) of the class 0 vs 1 logistic classifier, mean over s (Eq 14)"},
  [RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE] = {"/signature/classifier_angle", 1, {P}, F64, SIGNATURE, "degree", "angle between the class 0 vs 1 classifiers of consecutive snapshots, mean"},
  [RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY] = {"/signature/day_discrimination_accuracy", 1, {P}, F64, SIGNATURE, "1", "is the drift real: accuracy of a classifier telling snapshot s from s+1 for one class (0.5 = indistinguishable)"},
  [RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE] = {"/signature/unit_turnover_slope", 1, {P}, F64, SIGNATURE, "1", "regression slope of each unit's change in mean activity on its earlier mean, pooled (negative: the most active units lose activity)"},
  [RD_FIELD_SIGNATURE_UNIT_TURNOVER_R] = {"/signature/unit_turnover_r", 1, {P}, F64, SIGNATURE, "1", "Pearson r of the unit turnover regression"},
  [RD_FIELD_SIGNATURE_READOUT_ROTATION_PER_EPOCH] = {"/signature/readout_rotation_per_epoch", 1, {P}, F64, SIGNATURE, "degree/epoch", "mean angle between the readout rows of consecutive snapshots, per epoch"},
  [RD_FIELD_SIGNATURE_READOUT_ROTATION_TOTAL] = {"/signature/readout_rotation_total", 1, {P}, F64, SIGNATURE, "degree", "angle between the readout rows of the first and the last snapshot, mean over classes"},
  [RD_FIELD_SIGNATURE_DRIFT_READOUT_ANGLE] = {"/signature/drift_readout_angle", 1, {P}, F64, SIGNATURE, "degree", "mean angle between a class's drift vector and the readout row of that class"},
  [RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE] = {"/signature/null_angle_slope", 1, {P}, F64, SIGNATURE, "degree", "angle_slope of the delta t = 0 null (same weights, fresh noise)"},
  [RD_FIELD_SIGNATURE_NULL_ANGLE_R] = {"/signature/null_angle_r", 1, {P}, F64, SIGNATURE, "1", "angle_r of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_ALONG_SLOPE] = {"/signature/null_along_slope", 1, {P}, F64, SIGNATURE, "1", "along_slope of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_ALONG_R] = {"/signature/null_along_r", 1, {P}, F64, SIGNATURE, "1", "along_r of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_ANGLE_TO_PC1] = {"/signature/null_angle_to_pc1", 1, {P}, F64, SIGNATURE, "degree", "angle_to_pc1 of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_LOGLOG_SLOPE] = {"/signature/null_variance_flow_loglog_slope", 1, {P}, F64, SIGNATURE, "1", "variance_flow_loglog_slope of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_RATIO_PC1] = {"/signature/null_variance_flow_ratio_pc1", 1, {P}, F64, SIGNATURE, "1", "variance_flow_ratio_pc1 of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_FRACTION_IN_VARIATIONAL_SPACE] = {"/signature/null_fraction_in_variational_space", 1, {P}, F64, SIGNATURE, "1", "gamma of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY] = {"/signature/null_day_discrimination_accuracy", 1, {P}, F64, SIGNATURE, "1", "day discrimination within one probe set (split halves; ~0.5)"},
  [RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_SLOPE] = {"/signature/null_unit_turnover_slope", 1, {P}, F64, SIGNATURE, "1", "unit_turnover_slope of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_R] = {"/signature/null_unit_turnover_r", 1, {P}, F64, SIGNATURE, "1", "unit_turnover_r of the delta t = 0 null"},
  [RD_FIELD_SIGNATURE_NULL_RELATIVE_CROSS_ACCURACY] = {"/signature/null_relative_cross_accuracy", 1, {P}, F64, SIGNATURE, "1", "a_rel of the delta t = 0 null: class 0 vs 1 classifier of probe set A tested on set B of the same snapshot"},
  [RD_FIELD_SIGNATURE_NULL_CLASSIFIER_ANGLE] = {"/signature/null_classifier_angle", 1, {P}, F64, SIGNATURE, "degree", "angle between the classifiers of probe sets A and B of the same snapshot"},
  [RD_FIELD_MODULARITY_KAPPA] = {"/modularity/kappa", 1, {P}, F64, MODULARITY, "source^2", "kappa of the point's source distribution (presentation-weighted covariance, support of the samples): > 0 predicts a mixed optimal code"},
  [RD_FIELD_MODULARITY_KAPPA_NORMALIZED] = {"/modularity/kappa_normalized", 1, {P}, F64, MODULARITY, "1", "kappa / max_j e_j^2"},
  [RD_FIELD_MODULARITY_KAPPA_EXACT] = {"/modularity/kappa_exact", 1, {P}, I8, MODULARITY, "1", "1: kappa is exact, 0: a certified lower bound"},
  [RD_FIELD_MODULARITY_LOSS_MODULAR] = {"/modularity/loss_modular", 1, {P}, F64, MODULARITY, "1", "L_mod: the best modular code's reduced loss (lambda_in = lambda_out = weight_decay / activity_l2)"},
  [RD_FIELD_MODULARITY_MIXING_MAX] = {"/modularity/mixing_max", 2, {P, D}, F64, MODULARITY, "1", "weight mixing 1 - max_j |W_nj| / sum_j |W_nj| of the most mixed active unit (0 modular)"},
  [RD_FIELD_MODULARITY_MIXING_MEAN] = {"/modularity/mixing_mean", 2, {P, D}, F64, MODULARITY, "1", "weight mixing, mean over active units"},
  [RD_FIELD_MODULARITY_MIXING_ANGLE_MAX] = {"/modularity/mixing_angle_max", 2, {P, D}, F64, MODULARITY, "degree", "2 sources: folded weight angle of the most mixed active unit (0 modular, 45 fully mixed)"},
  [RD_FIELD_MODULARITY_ACTIVE_UNITS] = {"/modularity/active_units", 2, {P, D}, I64, MODULARITY, "units", "units with |w_n|_1 > max / 10"},
  [RD_FIELD_MODULARITY_INFOM] = {"/modularity/infom", 2, {P, D}, F64, MODULARITY, "1", "linear InfoM of the code on the source samples (1 modular)"},
  [RD_FIELD_MODULARITY_CINFOM] = {"/modularity/cinfom", 2, {P, D}, F64, MODULARITY, "1", "linear CInfoM (the note's formula)"},
  [RD_FIELD_MODULARITY_CINFOM_CONDITIONAL] = {"/modularity/cinfom_conditional", 2, {P, D}, F64, MODULARITY, "1", "CInfoM with partial R^2 (modular codes of correlated sources score 1; a noise-free linear code with any nonzero mixing weight scores 0, since then every source is exactly recovered from a unit and the others: use cinfom for the autoencoder)"},
  [RD_FIELD_MODULARITY_GAP] = {"/modularity/gap", 2, {P, D}, F64, MODULARITY, "1", "reduced loss of the learned encoder minus L_mod (< 0: beats every modular code)"},
  [RD_FIELD_MODULARITY_RELATIVE_GAP] = {"/modularity/relative_gap", 2, {P, D}, F64, MODULARITY, "1", "gap / L_mod"},
  [RD_FIELD_MODULARITY_RECONSTRUCTION_ERROR] = {"/modularity/reconstruction_error", 2, {P, D}, F64, MODULARITY, "source^2", "mean squared reconstruction error per source over the presentation distribution"},
  [RD_FIELD_RECORDING_SESSIONS] = {"/recording/sessions", 1, {P}, I64, RECORDING, "1", "sessions of the recording analysed (valid length along day)"},
  [RD_FIELD_RECORDING_STIMULI] = {"/recording/stimuli", 1, {P}, I64, RECORDING, "1", "stimuli of the recording analysed (valid length along stimulus)"},
  [RD_FIELD_RECORDING_TRIALS] = {"/recording/trials", 1, {P}, I64, RECORDING, "1", "m: trials per (session, stimulus) group analysed, the smallest valid count (valid length along sample)"},
  [RD_FIELD_RECORDING_NEURONS] = {"/recording/neurons", 1, {P}, I64, RECORDING, "units", "neurons of the recording (valid length along unit; /sweep/width is the largest over the recordings)"},
  [RD_FIELD_RECORDING_DROPPED_PARTIAL_TRIALS] = {"/recording/dropped_partial_trials", 1, {P}, I64, RECORDING, "1", "trials of the selected groups left out because some, not all, neurons are NaN in them"},
  [RD_FIELD_RECORDING_SESSION_DAY] = {"/recording/session_day", 2, {P, D}, F64, RECORDING, "day", "days since the file's first session (its /session_day; the file's session index when it has none)"},
  [RD_FIELD_RECORDING_SESSION_INDEX] = {"/recording/session_index", 2, {P, D}, I64, RECORDING, "1", "the file's session index of each analysed session (day)"},
  [RD_FIELD_RECORDING_STIMULUS_INDEX] = {"/recording/stimulus_index", 2, {P, S}, I64, RECORDING, "1", "the file's stimulus index of each analysed stimulus group"},
  [RD_FIELD_RECORDING_VALID_TRIALS] = {"/recording/valid_trials", 3, {P, D, S}, I64, RECORDING, "1", "valid trials (every neuron finite) of each group in the file, before every group is cut to the smallest count"},
  [RD_FIELD_RECORDING_TRIAL_INDEX] = {"/recording/trial_index", 4, {P, D, S, M}, I64, RECORDING, "1", "the file's trial index of each analysed sample (valid trials picked evenly through the session, in time order)"},
  [RD_FIELD_RECORDING_NEURON_ID] = {"/recording/neuron_id", 2, {P, U}, F64, RECORDING, "1", "the file's /neuron_id of each unit (NaN when the file has none)"},
  [RD_FIELD_SIGNATURE_VARIATIONAL_OVERLAP] = {"/signature/variational_overlap", 1, {P}, F64, RECORDING, "1", "mean overlap Gamma of the variational spaces of consecutive sessions (Eq 10), over stimuli and pairs"},
  [RD_FIELD_SIGNATURE_ANGLE_BETWEEN_MEANS_PER_DAY] = {"/signature/angle_between_means_per_day", 1, {P}, F64, RECORDING, "degree/day", "least-squares slope of the angle between session means (Eq 11) on the days between the sessions, pooled over every session pair and stimulus"},
  [RD_FIELD_SIGNATURE_NULL_PARTICIPATION_RATIO_PER_UNIT] = {"/signature/null_participation_ratio_per_unit", 1, {P}, F64, RECORDING, "1", "participation_ratio_per_unit of the within-session split-half null (PCAs of half the trials)"},
  [RD_FIELD_SIGNATURE_NULL_VARIANCE_IN_VARIATIONAL_SPACE] = {"/signature/null_variance_in_variational_space", 1, {P}, F64, RECORDING, "1", "variance_in_variational_space of the within-session split-half null"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_SLOPE] = {"/signature/even_odd_angle_slope", 1, {P}, F64, RECORDING, "degree", "angle_slope of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_R] = {"/signature/even_odd_angle_r", 1, {P}, F64, RECORDING, "1", "angle_r of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_SLOPE] = {"/signature/even_odd_along_slope", 1, {P}, F64, RECORDING, "1", "along_slope of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_R] = {"/signature/even_odd_along_r", 1, {P}, F64, RECORDING, "1", "along_r of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_TO_PC1] = {"/signature/even_odd_angle_to_pc1", 1, {P}, F64, RECORDING, "degree", "angle_to_pc1 of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_LOGLOG_SLOPE] = {"/signature/even_odd_variance_flow_loglog_slope", 1, {P}, F64, RECORDING, "1", "variance_flow_loglog_slope of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_RATIO_PC1] = {"/signature/even_odd_variance_flow_ratio_pc1", 1, {P}, F64, RECORDING, "1", "variance_flow_ratio_pc1 of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_FRACTION_IN_VARIATIONAL_SPACE] = {"/signature/even_odd_fraction_in_variational_space", 1, {P}, F64, RECORDING, "1", "gamma of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_PARTICIPATION_RATIO_PER_UNIT] = {"/signature/even_odd_participation_ratio_per_unit", 1, {P}, F64, RECORDING, "1", "participation_ratio_per_unit of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_IN_VARIATIONAL_SPACE] = {"/signature/even_odd_variance_in_variational_space", 1, {P}, F64, RECORDING, "1", "variance_in_variational_space of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_RELATIVE_CROSS_ACCURACY] = {"/signature/even_odd_relative_cross_accuracy", 1, {P}, F64, RECORDING, "1", "a_rel of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_CLASSIFIER_ANGLE] = {"/signature/even_odd_classifier_angle", 1, {P}, F64, RECORDING, "degree", "classifier_angle of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_DAY_DISCRIMINATION_ACCURACY] = {"/signature/even_odd_day_discrimination_accuracy", 1, {P}, F64, RECORDING, "1", "accuracy of a classifier telling the even from the odd trials of one session, mean over sessions and stimuli (~0.5)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_SLOPE] = {"/signature/even_odd_unit_turnover_slope", 1, {P}, F64, RECORDING, "1", "unit_turnover_slope of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_R] = {"/signature/even_odd_unit_turnover_r", 1, {P}, F64, RECORDING, "1", "unit_turnover_r of the within-session even/odd null (even against odd trials of each session)"},
  [RD_FIELD_THEORY_VARIANCE_CURVE_PREDICTED] = {"/theory/variance_curve_predicted", 3, {P, S, R}, F64, THEORY, "activation^2", "predicted tr Cov h_s(t): on an orbit after relaxation, co-rotating with the systematic rotation; at an isolated (dropout) minimum from theta*, rising to F_s"},
  [RD_FIELD_THEORY_PREDICTION_HOLDS] = {"/theory/prediction_holds", 1, {P}, I8, PREDICTION, "1", "1: the drift theory holds at this point and its predictions are stored; 0: they are NaN (why: prediction_failure)"},
  [RD_FIELD_THEORY_PREDICTION_FAILURE] = {"/theory/prediction_failure", 1, {P}, I8, PREDICTION, "code", "why the theory does not hold: 0 it holds, 1 theta* is not a minimum, 2 flat minimum (zero modes no symmetry explains), 3 the fluctuations leave the harmonic basin (nonlinearity > 0.2), 4 the mean path diverges, 5 outside the theory's domain (weight decay 0, eta h_max >= 2, no minimum reached), 6 no exact method within the cost limit"},
  [RD_FIELD_THEORY_RELAXATION_STEPS] = {"/theory/relaxation_steps", 1, {P}, F64, PREDICTION, "step", "1 / (eta h_min): the slowest relaxation time of the fluctuations around theta*"},
  [RD_FIELD_THEORY_NONLINEARITY] = {"/theory/nonlinearity", 1, {P}, F64, PREDICTION, "1", "isolated minima (dropout): max over stimuli of |J_s mu|^2 / F_s, mu the mean shift the SGD noise induces at second order; above 0.2 the expansion around theta* is not self-consistent; NaN without dropout"},
  [RD_FIELD_THEORY_DRIFT_ANGLE_PREDICTED] = {"/theory/drift_angle_predicted", 4, {P, D, L, S}, F64, DAYS_PREDICTION, "degree", "the theory's expected angle between the day means of the probed hidden layer (beside /drift/angle_between_means); NaN unless day < later_day and the theory holds"},
  [RD_FIELD_THEORY_DRIFT_DISPLACEMENT_PREDICTED] = {"/theory/drift_displacement_predicted", 4, {P, D, L, S}, F64, DAYS_PREDICTION, "activation^2", "the theory's expected squared distance between the day means (mean path + fluctuation + diffusion + probe noise)"},
};

size_t RdFieldPointElements(RdField field, const RdDims *dims)
{
  size_t count = 1;
  for (int i = 1; i < rd_field_specs[field].rank; i++) count *= (size_t)dims->size[rd_field_specs[field].dims[i]];
  return count;
}

PetscBool RdFieldRunDependent(RdField field)
{
  return field == RD_FIELD_SWEEP_WALL_SECONDS || field == RD_FIELD_SWEEP_PHASE_SECONDS ? PETSC_TRUE : PETSC_FALSE;
}

PetscBool RdFieldInChecksum(RdField field)
{
  return rd_field_specs[field].when == RD_WRITTEN_PER_POINT && !RdFieldRunDependent(field);
}

PetscBool RdFieldAddedLater(RdField field)
{
  static const RdField added_later[] = {RD_FIELD_DRIFT_VARIATIONAL_OVERLAP_CHANCE, RD_FIELD_SWEEP_CHECKSUM, RD_FIELD_SWEEP_PHASE_SECONDS, RD_FIELD_THEORY_PREDICTION_HOLDS, RD_FIELD_THEORY_PREDICTION_FAILURE,
                                        RD_FIELD_THEORY_RELAXATION_STEPS, RD_FIELD_THEORY_NONLINEARITY, RD_FIELD_THEORY_DRIFT_ANGLE_PREDICTED, RD_FIELD_THEORY_DRIFT_DISPLACEMENT_PREDICTED};
  for (size_t i = 0; i < sizeof added_later / sizeof added_later[0]; i++)
    if (added_later[i] == field) return PETSC_TRUE;
  return PETSC_FALSE;
}

int64_t RdFieldStoredInteger(double value)
{
  return isnan(value) ? -1 : (int64_t)llround(value);
}

const char *RdStatusName(PetscInt status)
{
  static const char *names[] = {"pending", "done", "diverged", "failed"};
  return status >= 0 && status <= 3 ? names[status] : "unknown";
}

PetscBool RdFieldPresent(RdField field, const RdSchemaSelection *selection)
{
  const RdPresence presence = rd_field_specs[field].presence;
  return presence == RD_ALWAYS || selection->with[presence];
}

PetscErrorCode RdPointResultCreate(const RdDims *dims, const RdSchemaSelection *selection, RdPointResult *result)
{
  PetscFunctionBeginUser;
  result->point = -1;
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    result->values[f] = NULL;
    if (rd_field_specs[f].when == RD_WRITTEN_PER_POINT && RdFieldPresent((RdField)f, selection)) PetscCall(PetscMalloc1(RdFieldPointElements((RdField)f, dims), &result->values[f]));
  }
  PetscCall(RdPointResultReset(dims, result));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPointResultReset(const RdDims *dims, RdPointResult *result)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!result->values[f]) continue;
    size_t n = RdFieldPointElements((RdField)f, dims);
    for (size_t i = 0; i < n; i++) result->values[f][i] = RD_NAN;
  }
  if (result->values[RD_FIELD_SWEEP_STATUS]) result->values[RD_FIELD_SWEEP_STATUS][0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPointResultDestroy(RdPointResult *result)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++) PetscCall(PetscFree(result->values[f]));
  PetscFunctionReturn(PETSC_SUCCESS);
}
