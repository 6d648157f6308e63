/* "Dropout signature" summary of a classifier network's drift and its Delta t = 0 null.
 * Contract and definitions: include/repdrift/signature.h (Aitken et al. 2022).
 *
 * Everything per pair is delegated to the geometry and readout modules (RdPCACompute,
 * RdDriftCompute, RdLogisticFit, RdClassifierAccuracy, RdLinearFit, RdAngleDegrees); this file only
 * walks the snapshots, reuses each PCA and classifier for the two pairs it belongs to, and pools.
 * All buffers are allocated once per call, sized for the largest pooling. */
#include <math.h>
#include <repdrift/signature.h>
#include <repdrift/geometry.h>
#include <repdrift/readout.h>
#include <repdrift/dense.h>

/* PCs with explained ratio at or below this stay out of the pooled fits (as in geometry.c: a PC
 * without variance has no meaningful direction). */
#define RD_SIGNATURE_FIT_MIN_EXPLAINED 1e-5

/* Pooling helpers                                                                              */

/* Running mean of the defined (finite) values offered to it. */
typedef struct {
  double   sum;
  PetscInt count;
} MeanOfDefined;

static void MeanAdd(MeanOfDefined *mean, double value)
{
  if (!isfinite(value)) return;
  mean->sum += value;
  mean->count++;
}

static double MeanValue(const MeanOfDefined *mean)
{
  return mean->count > 0 ? mean->sum / (double)mean->count : RD_NAN;
}

/* Points of one pooled fit; x and y hold `capacity` values, sized at creation for every point
 * the call can offer, so FitAdd never reallocates (the capacity test is a guard against memory
 * corruption, never reached). Undefined points (NaN, infinite) are left out. */
typedef struct {
  double  *x, *y;
  PetscInt count, capacity;
} FitPoints;

static void FitAdd(FitPoints *points, double x, double y)
{
  if (!isfinite(x) || !isfinite(y) || points->count >= points->capacity) return;
  points->x[points->count] = x;
  points->y[points->count] = y;
  points->count++;
}

static void FitResult(const FitPoints *points, double *slope, double *r)
{
  RdLinearFit(points->x, points->y, NULL, points->count, slope, r);
}

/* Everything one summary accumulates, plus the scratch of one call. */
typedef struct {
  MeanOfDefined angle_to_pc1, flow_ratio_pc1, gamma, chance, participation_per_unit, variance_in_space;
  MeanOfDefined relative_cross, classifier_angle, day_discrimination, drift_readout;
  FitPoints     angle, along, flow, turnover;
  RdPCA         pca[2];                     /* the two PCAs of the current pair */
  double       *along_pc, *angle_to_pc;     /* [n_pcs_max] per-PC metrics of the current pair */
  double       *variance_flow;              /* [n_pcs_max] */
  double       *drift;                      /* [units] */
  double       *weights[2], bias[2];        /* [units] each: classifiers of the two sets of a pair */
  double       *discrimination_weights;     /* [units] */
  double       *pool;                       /* the one block behind the FitPoints */
} SignatureWork;

/* Sizes every buffer for n_pairs pairs of every group. */
static PetscErrorCode SignatureWorkCreate(const RdSignatureInput *input, PetscInt n_pairs, SignatureWork *work)
{
  const PetscInt units = input->units, n_pcs_max = PetscMin(input->samples - 1, units);
  const size_t   pair_groups = (size_t)PetscMax(n_pairs, 1) * (size_t)input->groups;
  const size_t   pc_points = pair_groups * (size_t)n_pcs_max, unit_points = pair_groups * (size_t)units;
  FitPoints     *fits[4]   = {&work->angle, &work->along, &work->flow, &work->turnover};
  const size_t   sizes[4]  = {pc_points, pc_points, pc_points, unit_points};
  double        *cursor;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(work, sizeof(*work)));
  PetscCall(PetscMalloc1(2 * (3 * pc_points + unit_points), &work->pool));
  cursor = work->pool;
  for (int f = 0; f < 4; f++) {
    fits[f]->x        = cursor;
    fits[f]->y        = cursor + sizes[f];
    fits[f]->capacity = (PetscInt)sizes[f];
    cursor += 2 * sizes[f];
  }
  for (int p = 0; p < 2; p++) PetscCall(RdPCACreate(units, input->samples, &work->pca[p]));
  PetscCall(PetscMalloc4(3 * n_pcs_max, &work->along_pc, units, &work->drift, 2 * units, &work->weights[0], units, &work->discrimination_weights));
  work->angle_to_pc   = work->along_pc + n_pcs_max;
  work->variance_flow = work->along_pc + 2 * n_pcs_max;
  work->weights[1]    = work->weights[0] + units;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode SignatureWorkDestroy(SignatureWork *work)
{
  PetscFunctionBeginUser;
  for (int p = 0; p < 2; p++) PetscCall(RdPCADestroy(&work->pca[p]));
  PetscCall(PetscFree4(work->along_pc, work->drift, work->weights[0], work->discrimination_weights));
  PetscCall(PetscFree(work->pool));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Input                                                                                        */

static const double *GroupSamples(const RdSignatureInput *input, const double *probe, PetscInt snapshot, PetscInt group)
{
  return probe + RD_IDX3(snapshot, group, 0, input->groups, (size_t)input->samples * (size_t)input->units);
}

static const double *SnapshotBlock(const RdSignatureInput *input, const double *probe, PetscInt snapshot)
{
  return GroupSamples(input, probe, snapshot, 0);
}

static const double *ReadoutRow(const RdSignatureInput *input, PetscInt snapshot, PetscInt class_index)
{
  return input->readout + RD_IDX3(snapshot, class_index, 0, input->num_classes, input->units);
}

static PetscInt GroupClass(const RdSignatureInput *input, PetscInt group)
{
  return input->group_class ? input->group_class[group] : group;
}

static PetscErrorCode CheckShape(const RdSignatureInput *input, const char *caller)
{
  PetscFunctionBeginUser;
  PetscCheck(input, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: input is NULL", caller);
  PetscCheck(input->snapshots >= 1 && input->groups >= 1 && input->units >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: need at least one snapshot, group and unit (got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", caller, input->snapshots, input->groups, input->units);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckReadout(const RdSignatureInput *input, const char *caller)
{
  PetscFunctionBeginUser;
  if (!input->readout) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(input->num_classes >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: readout given with num_classes = %" PetscInt_FMT "; set num_classes to the number of readout rows per snapshot", caller, input->num_classes);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckInput(const RdSignatureInput *input, PetscBool need_probe_b, const char *caller)
{
  PetscFunctionBeginUser;
  PetscCall(CheckShape(input, caller));
  PetscCheck(input->samples >= 4, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: need at least 4 samples per group and snapshot (the null trains on half of each half of a probe set), got %" PetscInt_FMT, caller, input->samples);
  PetscCheck(input->probe_a, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: probe_a is NULL", caller);
  PetscCheck(!need_probe_b || input->probe_b, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the Delta t = 0 null needs probe set B (probe_b is NULL)", caller);
  PetscCheck(input->readout_l2 > 0.0 && isfinite(input->readout_l2), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: readout_l2 (the L2 penalty of the logistic classifiers) must be finite and > 0, got %g", caller, input->readout_l2);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The drift fields' use of the readout: every group maps to an existing row, and the per-epoch
 * rate has a time unit. */
static PetscErrorCode CheckReadoutForDrift(const RdSignatureInput *input, const char *caller)
{
  PetscFunctionBeginUser;
  PetscCall(CheckReadout(input, caller));
  if (!input->readout) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(input->snapshots_per_epoch > 0.0 && isfinite(input->snapshots_per_epoch), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: snapshots_per_epoch must be finite and > 0 for the readout rotation rate, got %g", caller, input->snapshots_per_epoch);
  for (PetscInt g = 0; g < input->groups; g++) {
    const PetscInt c = GroupClass(input, g);
    PetscCheck(c >= 0 && c < input->num_classes, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s: group %" PetscInt_FMT " maps to readout class %" PetscInt_FMT ", outside [0, num_classes = %" PetscInt_FMT "); set group_class", caller, g, c, input->num_classes);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Kernels                                                                                      */

void RdUnitTurnover(const double *earlier_mean, const double *later_mean, PetscInt n_units, double *slope, double *r)
{
  double mean_x = 0.0, mean_y = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
  if (slope) *slope = RD_NAN;
  if (r) *r = RD_NAN;
  if (!earlier_mean || !later_mean || n_units < 2) return;
  for (PetscInt j = 0; j < n_units; j++) {
    mean_x += earlier_mean[j];
    mean_y += later_mean[j] - earlier_mean[j];
  }
  mean_x /= (double)n_units;
  mean_y /= (double)n_units;
  for (PetscInt j = 0; j < n_units; j++) { /* second pass on centred values: no cancellation */
    const double dx = earlier_mean[j] - mean_x, dy = (later_mean[j] - earlier_mean[j]) - mean_y;
    sxx += dx * dx;
    syy += dy * dy;
    sxy += dx * dy;
  }
  if (slope && sxx > 0.0) *slope = sxy / sxx;
  if (r && sxx > 0.0 && syy > 0.0) *r = PetscMax(-1.0, PetscMin(1.0, sxy / sqrt(sxx * syy)));
}

/* RdDiscriminationAccuracy with the caller's weight buffer [n_units]. */
static PetscErrorCode DiscriminationAccuracy(const double *set_a, const double *set_b, PetscInt n_samples, PetscInt n_units, double l2, double *weights, double *accuracy)
{
  const PetscInt n_train = n_samples / 2, n_test = n_samples - n_train;
  const size_t   test_offset = (size_t)n_train * (size_t)n_units;
  double         bias;

  PetscFunctionBeginUser;
  PetscCall(RdLogisticFit(set_a, n_train, set_b, n_train, n_units, l2, weights, &bias));
  *accuracy = RdClassifierAccuracy(weights, bias, set_a + test_offset, n_test, set_b + test_offset, n_test, n_units);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDiscriminationAccuracy(const double *set_a, const double *set_b, PetscInt n_samples, PetscInt n_units, double l2, double *accuracy)
{
  double *weights;

  PetscFunctionBeginUser;
  PetscCheck(set_a && set_b && accuracy, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDiscriminationAccuracy: set_a, set_b and accuracy must not be NULL");
  PetscCheck(n_samples >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDiscriminationAccuracy: need at least 2 samples per set (one to train, one to test), got %" PetscInt_FMT, n_samples);
  PetscCheck(n_units >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDiscriminationAccuracy: n_units = %" PetscInt_FMT " must be >= 1", n_units);
  PetscCall(PetscMalloc1(n_units, &weights));
  PetscCall(DiscriminationAccuracy(set_a, set_b, n_samples, n_units, l2, weights, accuracy));
  PetscCall(PetscFree(weights));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Accumulation                                                                                 */

/* D / n and the variance share of the variational space of one PCA. */
static void AccumulateSpectrum(const RdPCA *pca, SignatureWork *work)
{
  double in_space = 0.0;
  MeanAdd(&work->participation_per_unit, pca->participation_ratio / (double)pca->n_units);
  if (pca->k_variational < 1) return; /* constant responses: no variational space */
  for (PetscInt i = 0; i < pca->k_variational; i++) in_space += pca->explained[i];
  MeanAdd(&work->variance_in_space, in_space);
}

/* The drift metrics of one pair of one group. readout_row: the group's class row at the earlier
 * snapshot, NULL without a readout. */
static PetscErrorCode AccumulatePair(const RdPCA *earlier, const RdPCA *later, const double *later_samples, PetscInt n_samples, const double *readout_row, SignatureWork *work)
{
  const PetscInt units = earlier->n_units;
  RdDriftPair    pair  = {.along_pc = work->along_pc, .angle_to_pc = work->angle_to_pc, .variance_flow = work->variance_flow};

  PetscFunctionBeginUser;
  PetscCall(RdDriftCompute(earlier, later, later_samples, n_samples, &pair));
  MeanAdd(&work->gamma, pair.fraction_in_variational_space);
  MeanAdd(&work->chance, pair.fraction_chance);
  if (earlier->n_pcs > 0) {
    MeanAdd(&work->angle_to_pc1, pair.angle_to_pc[0]);
    MeanAdd(&work->flow_ratio_pc1, pair.variance_flow[0] / earlier->explained[0]);
  }
  for (PetscInt i = 0; i < earlier->n_pcs; i++) {
    const double v = earlier->explained[i];
    if (!(v > RD_SIGNATURE_FIT_MIN_EXPLAINED)) continue;
    FitAdd(&work->angle, v, pair.angle_to_pc[i]);
    FitAdd(&work->along, v, pair.along_pc[i]);
    if (pair.variance_flow[i] > 0.0) FitAdd(&work->flow, log(v), log(pair.variance_flow[i]));
  }
  for (PetscInt j = 0; j < units; j++) {
    work->drift[j] = later->mean[j] - earlier->mean[j];
    FitAdd(&work->turnover, earlier->mean[j], work->drift[j]);
  }
  if (readout_row) MeanAdd(&work->drift_readout, RdAngleDegrees(work->drift, readout_row, units));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Trains the groups-0-vs-1 classifier on the first halves of one snapshot block [groups][m][n]. */
static PetscErrorCode FitTwoClassClassifier(const RdSignatureInput *input, const double *block, double *weights, double *bias)
{
  const size_t group_stride = (size_t)input->samples * (size_t)input->units;

  PetscFunctionBeginUser;
  PetscCall(RdLogisticFit(block, input->samples / 2, block + group_stride, input->samples / 2, input->units, input->readout_l2, weights, bias));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Eq 14 and the classifier angle for one pair: both classifiers tested on the later block's
 * held-out halves of groups 0 and 1. */
static void AccumulateCrossReadout(const RdSignatureInput *input, const double *w_earlier, double b_earlier, const double *w_later, double b_later, const double *later_block, SignatureWork *work)
{
  const PetscInt n_train = input->samples / 2, n_test = input->samples - n_train, units = input->units;
  const double  *test0 = later_block + (size_t)n_train * (size_t)units;
  const double  *test1 = test0 + (size_t)input->samples * (size_t)units;
  const double   cross = RdClassifierAccuracy(w_earlier, b_earlier, test0, n_test, test1, n_test, units);
  const double   same  = RdClassifierAccuracy(w_later, b_later, test0, n_test, test1, n_test, units);
  MeanAdd(&work->relative_cross, same > 0.0 ? cross / same : RD_NAN);
  MeanAdd(&work->classifier_angle, RdAngleDegrees(w_earlier, w_later, units));
}

/* Fills every non-readout field from the accumulators; the readout fields are set NaN. */
static void FinishSummary(const SignatureWork *work, RdSignatureSummary *summary)
{
  double unused_r;
  FitResult(&work->angle, &summary->angle_slope, &summary->angle_r);
  FitResult(&work->along, &summary->along_slope, &summary->along_r);
  FitResult(&work->flow, &summary->variance_flow_loglog_slope, &unused_r);
  FitResult(&work->turnover, &summary->unit_turnover_slope, &summary->unit_turnover_r);
  summary->angle_to_pc1                  = MeanValue(&work->angle_to_pc1);
  summary->variance_flow_ratio_pc1       = MeanValue(&work->flow_ratio_pc1);
  summary->fraction_in_variational_space = MeanValue(&work->gamma);
  summary->fraction_chance               = MeanValue(&work->chance);
  summary->participation_ratio_per_unit  = MeanValue(&work->participation_per_unit);
  summary->variance_in_variational_space = MeanValue(&work->variance_in_space);
  summary->relative_cross_accuracy       = MeanValue(&work->relative_cross);
  summary->classifier_angle              = MeanValue(&work->classifier_angle);
  summary->day_discrimination_accuracy   = MeanValue(&work->day_discrimination);
  summary->drift_readout_angle           = MeanValue(&work->drift_readout);
  summary->readout_rotation_per_epoch    = RD_NAN;
  summary->readout_rotation_total        = RD_NAN;
}

/* Readout rotation                                                                             */

/* Mean over classes of the angle between the readout rows of two snapshots. */
static double MeanReadoutAngle(const RdSignatureInput *input, PetscInt first, PetscInt second)
{
  MeanOfDefined angle = {0};
  for (PetscInt c = 0; c < input->num_classes; c++) MeanAdd(&angle, RdAngleDegrees(ReadoutRow(input, first, c), ReadoutRow(input, second, c), input->units));
  return MeanValue(&angle);
}

PetscErrorCode RdSignatureReadoutRotation(const RdSignatureInput *input, double *angle_from_first)
{
  PetscFunctionBeginUser;
  PetscCall(CheckShape(input, "RdSignatureReadoutRotation"));
  PetscCall(CheckReadout(input, "RdSignatureReadoutRotation"));
  PetscCheck(angle_from_first, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSignatureReadoutRotation: angle_from_first is NULL");
  for (PetscInt s = 0; s < input->snapshots; s++) angle_from_first[s] = input->readout ? MeanReadoutAngle(input, 0, s) : RD_NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Drivers                                                                                      */

PetscErrorCode RdSignatureCompute(const RdSignatureInput *input, RdSignatureSummary *summary)
{
  const char   *caller = "RdSignatureCompute";
  SignatureWork work;
  PetscInt      S, m, units;

  PetscFunctionBeginUser;
  PetscCall(CheckInput(input, PETSC_FALSE, caller));
  PetscCall(CheckReadoutForDrift(input, caller));
  PetscCheck(summary, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: summary is NULL", caller);
  S     = input->snapshots;
  m     = input->samples;
  units = input->units;
  PetscCall(SignatureWorkCreate(input, S - 1, &work));
  for (PetscInt g = 0; g < input->groups; g++) {
    const PetscInt readout_class = input->readout ? GroupClass(input, g) : 0;
    for (PetscInt s = 0; s < S; s++) { /* the PCA of snapshot s serves as "later" of pair s-1 and "earlier" of pair s */
      const RdPCA  *earlier = &work.pca[(s + 1) % 2];
      RdPCA        *later   = &work.pca[s % 2];
      const double *samples = GroupSamples(input, input->probe_a, s, g);
      double        accuracy = RD_NAN;
      PetscCall(RdPCACompute(samples, m, later));
      AccumulateSpectrum(later, &work);
      if (s == 0) continue;
      PetscCall(AccumulatePair(earlier, later, samples, m, input->readout ? ReadoutRow(input, s - 1, readout_class) : NULL, &work));
      PetscCall(DiscriminationAccuracy(GroupSamples(input, input->probe_a, s - 1, g), samples, m, units, input->readout_l2, work.discrimination_weights, &accuracy));
      MeanAdd(&work.day_discrimination, accuracy);
    }
  }
  if (input->groups >= 2 && input->cross_accuracy && input->cross_angle)
    for (PetscInt s = 0; s + 1 < S; s++) { /* the foundation fitted these classifiers already */
      const double same = input->cross_accuracy[RD_IDX2(s + 1, s + 1, S)];
      MeanAdd(&work.relative_cross, same > 0.0 ? input->cross_accuracy[RD_IDX2(s, s + 1, S)] / same : RD_NAN);
      MeanAdd(&work.classifier_angle, input->cross_angle[RD_IDX2(s, s + 1, S)]);
    }
  else if (input->groups >= 2)
    for (PetscInt s = 0; s < S; s++) { /* each snapshot's classifier serves two pairs too */
      const PetscInt earlier = (s + 1) % 2, later = s % 2;
      const double  *block   = SnapshotBlock(input, input->probe_a, s);
      PetscCall(FitTwoClassClassifier(input, block, work.weights[later], &work.bias[later]));
      if (s > 0) AccumulateCrossReadout(input, work.weights[earlier], work.bias[earlier], work.weights[later], work.bias[later], block, &work);
    }
  FinishSummary(&work, summary);
  if (input->readout) {
    MeanOfDefined step = {0};
    for (PetscInt s = 0; s + 1 < S; s++) MeanAdd(&step, MeanReadoutAngle(input, s, s + 1));
    summary->readout_rotation_per_epoch = MeanValue(&step) * input->snapshots_per_epoch;
    summary->readout_rotation_total     = MeanReadoutAngle(input, 0, S - 1);
  }
  PetscCall(SignatureWorkDestroy(&work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSignatureComputeNull(const RdSignatureInput *input, RdSignatureSummary *null_summary)
{
  const char   *caller = "RdSignatureComputeNull";
  SignatureWork work;
  PetscInt      m, units, half;

  PetscFunctionBeginUser;
  PetscCall(CheckInput(input, PETSC_TRUE, caller));
  PetscCheck(null_summary, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: null_summary is NULL", caller);
  m     = input->samples;
  units = input->units;
  half  = m / 2;
  PetscCall(SignatureWorkCreate(input, input->snapshots, &work));
  for (PetscInt g = 0; g < input->groups; g++)
    for (PetscInt s = 0; s < input->snapshots; s++) {
      const double *samples_a = GroupSamples(input, input->probe_a, s, g), *samples_b = GroupSamples(input, input->probe_b, s, g);
      double        accuracy = RD_NAN;
      PetscCall(RdPCACompute(samples_a, m, &work.pca[0]));
      PetscCall(RdPCACompute(samples_b, m, &work.pca[1]));
      AccumulateSpectrum(&work.pca[0], &work);
      AccumulateSpectrum(&work.pca[1], &work);
      PetscCall(AccumulatePair(&work.pca[0], &work.pca[1], samples_b, m, NULL, &work));
      /* split-half within probe set A: samples [0, half) against [half, 2 half) */
      PetscCall(DiscriminationAccuracy(samples_a, samples_a + (size_t)half * (size_t)units, half, units, input->readout_l2, work.discrimination_weights, &accuracy));
      MeanAdd(&work.day_discrimination, accuracy);
    }
  if (input->groups >= 2)
    for (PetscInt s = 0; s < input->snapshots; s++) {
      const double *block_b = SnapshotBlock(input, input->probe_b, s);
      PetscCall(FitTwoClassClassifier(input, SnapshotBlock(input, input->probe_a, s), work.weights[0], &work.bias[0]));
      PetscCall(FitTwoClassClassifier(input, block_b, work.weights[1], &work.bias[1]));
      AccumulateCrossReadout(input, work.weights[0], work.bias[0], work.weights[1], work.bias[1], block_b, &work);
    }
  FinishSummary(&work, null_summary); /* the readout fields stay NaN: the weights did not change */
  PetscCall(SignatureWorkDestroy(&work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSignatureUseCrossReadout(RdSignatureInput *input, const double *accuracy, const double *angle, PetscInt days, PetscInt valid, double **block)
{
  const size_t n = (size_t)valid * (size_t)valid;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(2 * n, block));
  for (PetscInt s = 0; s < valid; s++)
    for (PetscInt later = 0; later < valid; later++) {
      (*block)[RD_IDX2(s, later, valid)]     = accuracy[RD_IDX2(s, later, days)];
      (*block)[n + RD_IDX2(s, later, valid)] = angle[RD_IDX2(s, later, days)];
    }
  input->cross_accuracy = *block;
  input->cross_angle    = *block + n;
  PetscFunctionReturn(PETSC_SUCCESS);
}
