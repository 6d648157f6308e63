/* One recording at one sweep point in the days protocol (recording_model.h): the rank that owns
 * the point reads its file, hands over one session per day (nothing is trained), and after the
 * shared geometry and readout adds what the file contributed (/recording) and the drift
 * signature over consecutive sessions with the two within-session nulls of Aitken et al. (2022,
 * section 2.1): the split-half null in /signature/null_*, the even/odd null in
 * /signature/even_odd_* (include/repdrift/recording.h defines both). */
#include "recording_model.h"
#include <stddef.h>
#include <repdrift/geometry.h>
#include <repdrift/signature.h>

typedef struct {
  const RdConfig                *cfg;
  const RdRecordingModelOptions *ro;
  RdPoint                        point;
  RdRecording                    rec;
} RecordingPoint;

PetscErrorCode RdRecordingPointCreate(const RdConfig *cfg, const RdPoint *point, void **model)
{
  RecordingPoint    *rp;
  RdRecordingOptions reader;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&rp));
  rp->cfg   = cfg;
  rp->ro    = RdRecordingModelOptionsOf(cfg);
  rp->point = *point;
  RdRecordingModelReaderOptions(rp->ro, &reader);
  PetscCall(RdRecordingRead(rp->ro->path[point->replicate], &reader, &rp->rec));
  const PetscInt *shape = rp->ro->shape[point->replicate];
  const RdResponses *r  = &rp->rec.responses;
  PetscCheck(r->days == shape[RD_SHAPE_SESSIONS] && r->groups == shape[RD_SHAPE_STIMULI] && r->samples == shape[RD_SHAPE_TRIALS] && r->width == shape[RD_SHAPE_NEURONS], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED,
             "%s changed since the run started: it now gives %" PetscInt_FMT " sessions x %" PetscInt_FMT " stimuli x %" PetscInt_FMT " trials x %" PetscInt_FMT " neurons, rank 0 read %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT,
             rp->rec.path, r->days, r->groups, r->samples, r->width, shape[RD_SHAPE_SESSIONS], shape[RD_SHAPE_STIMULI], shape[RD_SHAPE_TRIALS], shape[RD_SHAPE_NEURONS]);
  *model = rp;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingPointTrain(void *model, PetscInt day, PetscBool *diverged)
{
  (void)model;
  (void)day;
  *diverged = PETSC_FALSE; /* a recording is not trained */
  return PETSC_SUCCESS;
}

/* Session `day`: every stimulus group's m trials. */
PetscErrorCode RdRecordingPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged)
{
  RecordingPoint    *rp  = (RecordingPoint *)model;
  const RdResponses *rec = &rp->rec.responses;

  PetscFunctionBeginUser;
  (void)result;
  for (PetscInt k = 0; k < responses->groups; k++) PetscCall(PetscArraycpy(RdResponsesOf(responses, responses->values, day, k), RdResponsesOf(rec, rec->values, day, k), (size_t)rec->samples * rec->width));
  *diverged = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* /recording: what the file contributed, in the archive's padded layout. */
static void StoreRecording(const RecordingPoint *rp, RdPointResult *result)
{
  const RdRecording *rec = &rp->rec;
  const RdResponses *r   = &rec->responses;
  const PetscInt     K   = rp->cfg->num_stimuli, M = rp->cfg->probe_samples;

  result->values[RD_FIELD_RECORDING_SESSIONS][0]               = (double)r->days;
  result->values[RD_FIELD_RECORDING_STIMULI][0]                = (double)r->groups;
  result->values[RD_FIELD_RECORDING_TRIALS][0]                 = (double)r->samples;
  result->values[RD_FIELD_RECORDING_NEURONS][0]                = (double)r->width;
  result->values[RD_FIELD_RECORDING_DROPPED_PARTIAL_TRIALS][0] = (double)rec->dropped_partial_trials;
  for (PetscInt s = 0; s < r->days; s++) {
    result->values[RD_FIELD_RECORDING_SESSION_DAY][s]   = rec->session_day[s];
    result->values[RD_FIELD_RECORDING_SESSION_INDEX][s] = (double)rec->session_index[s];
    for (PetscInt k = 0; k < r->groups; k++) {
      result->values[RD_FIELD_RECORDING_VALID_TRIALS][RD_IDX2(s, k, K)] = (double)rec->valid_trials[RD_IDX2(s, k, r->groups)];
      for (PetscInt a = 0; a < r->samples; a++) result->values[RD_FIELD_RECORDING_TRIAL_INDEX][RD_IDX3(s, k, a, K, M)] = (double)rec->trial_index[RD_IDX3(s, k, a, r->groups, r->samples)];
    }
  }
  for (PetscInt k = 0; k < r->groups; k++) result->values[RD_FIELD_RECORDING_STIMULUS_INDEX][k] = (double)rec->stimulus_index[k];
  if (rec->neuron_id)
    for (PetscInt i = 0; i < r->width; i++) result->values[RD_FIELD_RECORDING_NEURON_ID][i] = (double)rec->neuron_id[i];
}

/* Where each summary number goes: the drift between consecutive sessions, its split-half null and
 * its even/odd null (-1: that summary has no such field). The network readout's numbers are NaN. */
static const struct {
  size_t  offset;
  RdField field, split_half, even_odd;
} signature_fields[] = {
  {offsetof(RdSignatureSummary, angle_slope), RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_SLOPE},
  {offsetof(RdSignatureSummary, angle_r), RD_FIELD_SIGNATURE_ANGLE_R, RD_FIELD_SIGNATURE_NULL_ANGLE_R, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_R},
  {offsetof(RdSignatureSummary, along_slope), RD_FIELD_SIGNATURE_ALONG_SLOPE, RD_FIELD_SIGNATURE_NULL_ALONG_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_SLOPE},
  {offsetof(RdSignatureSummary, along_r), RD_FIELD_SIGNATURE_ALONG_R, RD_FIELD_SIGNATURE_NULL_ALONG_R, RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_R},
  {offsetof(RdSignatureSummary, angle_to_pc1), RD_FIELD_SIGNATURE_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_NULL_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_TO_PC1},
  {offsetof(RdSignatureSummary, variance_flow_loglog_slope), RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_LOGLOG_SLOPE},
  {offsetof(RdSignatureSummary, variance_flow_ratio_pc1), RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_RATIO_PC1},
  {offsetof(RdSignatureSummary, fraction_in_variational_space), RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_EVEN_ODD_FRACTION_IN_VARIATIONAL_SPACE},
  {offsetof(RdSignatureSummary, fraction_chance), RD_FIELD_SIGNATURE_FRACTION_CHANCE, (RdField)-1, (RdField)-1},
  {offsetof(RdSignatureSummary, participation_ratio_per_unit), RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_NULL_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_EVEN_ODD_PARTICIPATION_RATIO_PER_UNIT},
  {offsetof(RdSignatureSummary, variance_in_variational_space), RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_IN_VARIATIONAL_SPACE},
  {offsetof(RdSignatureSummary, relative_cross_accuracy), RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_NULL_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_EVEN_ODD_RELATIVE_CROSS_ACCURACY},
  {offsetof(RdSignatureSummary, classifier_angle), RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE, RD_FIELD_SIGNATURE_NULL_CLASSIFIER_ANGLE, RD_FIELD_SIGNATURE_EVEN_ODD_CLASSIFIER_ANGLE},
  {offsetof(RdSignatureSummary, day_discrimination_accuracy), RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_EVEN_ODD_DAY_DISCRIMINATION_ACCURACY},
  {offsetof(RdSignatureSummary, unit_turnover_slope), RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_SLOPE},
  {offsetof(RdSignatureSummary, unit_turnover_r), RD_FIELD_SIGNATURE_UNIT_TURNOVER_R, RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_R, RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_R},
};

static double SummaryValue(const RdSignatureSummary *summary, size_t offset) { return *(const double *)((const char *)summary + offset); }

/* The column `which` (0 the drift, 1 split-half, 2 even/odd) of the table from one summary. */
static void StoreSummary(const RdSignatureSummary *summary, int which, RdPointResult *result)
{
  for (size_t i = 0; i < sizeof signature_fields / sizeof signature_fields[0]; i++) {
    const RdField field = which == 0 ? signature_fields[i].field : which == 1 ? signature_fields[i].split_half : signature_fields[i].even_odd;
    if ((int)field >= 0) result->values[field][0] = SummaryValue(summary, signature_fields[i].offset);
  }
}

/* The two numbers the paper states for recordings beyond the signature (section 2.1): the overlap
 * of consecutive sessions' variational spaces, mean over stimuli and pairs, and how fast the angle
 * between session means grows with the days between them (one least-squares fit over every
 * session pair and stimulus, Eq 11 against the day difference, with an intercept: the angle between
 * two samples of one session is not 0). */
static PetscErrorCode StoreSessionTrends(const RecordingPoint *rp, PetscInt valid_days, RdPointResult *result)
{
  const PetscInt     days = rp->cfg->days + 1, K = rp->cfg->num_stimuli, groups = rp->rec.responses.groups;
  const double      *day = rp->rec.session_day;
  double             overlap = 0, *x, *y, r;
  PetscInt           n_overlap = 0, n = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2((size_t)valid_days * valid_days * groups, &x, (size_t)valid_days * valid_days * groups, &y));
  for (PetscInt s = 0; s < valid_days; s++)
    for (PetscInt later = s + 1; later < valid_days; later++)
      for (PetscInt k = 0; k < groups; k++) {
        const size_t pair  = RD_IDX3(s, later, k, days, K);
        const double angle = result->values[RD_FIELD_DRIFT_ANGLE_BETWEEN_MEANS][pair];
        if (later == s + 1 && isfinite(result->values[RD_FIELD_DRIFT_VARIATIONAL_OVERLAP][pair])) {
          overlap += result->values[RD_FIELD_DRIFT_VARIATIONAL_OVERLAP][pair];
          n_overlap++;
        }
        if (!isfinite(angle)) continue;
        x[n]   = day[later] - day[s];
        y[n++] = angle;
      }
  result->values[RD_FIELD_SIGNATURE_VARIATIONAL_OVERLAP][0] = n_overlap ? overlap / (double)n_overlap : RD_NAN;
  RdLinearFit(x, y, NULL, n, &result->values[RD_FIELD_SIGNATURE_ANGLE_BETWEEN_MEANS_PER_DAY][0], &r); /* NaN with one day difference only */
  PetscCall(PetscFree2(x, y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingPointFinish(void *model, const RdResponses *responses, PetscInt valid_days, RdPointResult *result)
{
  RecordingPoint    *rp = (RecordingPoint *)model;
  RdSignatureInput   input = {0};
  RdSignatureSummary summary;
  double            *cross = NULL;
  const PetscInt     days = rp->cfg->days + 1;

  PetscFunctionBeginUser;
  StoreRecording(rp, result);
  PetscCall(StoreSessionTrends(rp, valid_days, result));
  if (valid_days < 2 || responses->samples < 4) PetscFunctionReturn(PETSC_SUCCESS); /* the signature needs 4 trials per group */
  input.snapshots  = valid_days;
  input.groups     = responses->groups;
  input.samples    = responses->samples;
  input.units      = responses->width;
  input.probe_a    = responses->values;
  input.readout_l2 = rp->cfg->readout_l2;
  if (responses->groups >= 2) { /* the foundation's cross-session readout (same protocol): nothing is refitted */
    PetscCall(RdSignatureUseCrossReadout(&input, result->values[RD_FIELD_READOUT_CLASSIFIER_ACCURACY], result->values[RD_FIELD_READOUT_CLASSIFIER_ANGLE], days, valid_days, &cross));
  }
  PetscCall(RdSignatureCompute(&input, &summary));
  StoreSummary(&summary, 0, result);
  PetscCall(PetscFree(cross));
  if (responses->samples < 8) PetscFunctionReturn(PETSC_SUCCESS); /* each null set needs 4 trials */
  PetscCall(RdRecordingSignatureNull(responses, RD_RECORDING_NULL_SPLIT_HALF, rp->cfg->readout_l2, &summary));
  StoreSummary(&summary, 1, result);
  PetscCall(RdRecordingSignatureNull(responses, RD_RECORDING_NULL_EVEN_ODD, rp->cfg->readout_l2, &summary));
  StoreSummary(&summary, 2, result);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingPointDestroy(void **model)
{
  RecordingPoint *rp = (RecordingPoint *)*model;

  PetscFunctionBeginUser;
  if (!rp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdRecordingDestroy(&rp->rec));
  PetscCall(PetscFree(rp));
  *model = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
