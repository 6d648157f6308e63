/* The classifier of Aitken et al. (2022) at one sweep point in the days protocol (classifier_model.h):
 * its data (a Gaussian mixture drawn for the point, or the rank's copy of a file or of Fashion-MNIST),
 * its network (mlp or lenet), burn-in to a plateau, continual training in snapshots, the per-snapshot accuracy and
 * readout rows, the feature-layer probes (and a second, independent probe of the same weights for
 * the delta t = 0 null), and the drift signature at the end. */
#include "classifier_model.h"
#include <stddef.h>
#include <repdrift/dataset.h>
#include <repdrift/models/classifier.h>
#include <repdrift/phases.h>
#include <repdrift/signature.h>

/* Held-out examples per class for the per-snapshot accuracy (drawn once per point). */
#define EVALUATION_PER_CLASS 100

typedef struct {
  const RdConfig            *cfg;
  const RdClassifierOptions *co;
  RdPoint                    point;
  PetscBool         is_mixture;
  RdMixture         mixture;          /* -data mixture: fresh examples for probes */
  RdDataset         mixture_train;    /* -data mixture: the point's training set */
  const RdDataset  *train, *probe_pool; /* the training set; -data FILE or fashion_mnist: the held-out pool (shared, read-only) */
  RdDataset         evaluation;       /* fixed held-out examples for the accuracy */
  RdClassifierNet   net;
  RdClassifierHyper hyper;
  RdStream          sampling, noise;
  double           *class_cumulative; /* [C] class presentation in training */
  double           *probe_inputs;     /* [samples][input_dim] */
  double           *readout;          /* [days][C][width] readout rows W3 of every snapshot */
  PetscInt          steps_per_epoch, steps_per_snapshot, burnin_epochs_run;
} ClassifierPoint;

/* A held-out evaluation set: per_class examples of every class, class-major. */
static PetscErrorCode EvaluationSet(ClassifierPoint *cp, PetscInt per_class)
{
  const PetscInt C = cp->co->num_classes, n = cp->co->input_dim;
  RdStream       stream;

  PetscFunctionBeginUser;
  RdStreamInit(&stream, (uint64_t)cp->cfg->seed, (uint32_t)cp->point.replicate, RD_PURPOSE(RD_PURPOSE_DATASET, 1));
  PetscCall(RdDatasetCreate(C * per_class, n, C, &cp->evaluation));
  for (PetscInt c = 0; c < C; c++) {
    double *rows = cp->evaluation.inputs + (size_t)c * per_class * n;
    if (cp->is_mixture) RdMixtureSample(&cp->mixture, c, per_class, &stream, rows);
    else RdDatasetSampleClass(cp->probe_pool, c, per_class, &stream, rows);
    for (PetscInt i = 0; i < per_class; i++) cp->evaluation.labels[c * per_class + i] = c;
  }
  PetscCall(RdDatasetIndexClasses(&cp->evaluation));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierPointCreate(const RdConfig *cfg, const RdPoint *point, void **model)
{
  const RdClassifierOptions *co = RdClassifierOptionsOf(cfg);
  ClassifierPoint          *cp;
  RdStream                  init, data;
  const PetscInt            C = co->num_classes;
  uint64_t         seed      = (uint64_t)cfg->seed;
  uint32_t         stream_id = (uint32_t)point->replicate; /* data, init and noise of a replicate are shared by every noise type and width: paired comparisons */

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&cp));
  cp->cfg        = cfg;
  cp->co         = co;
  cp->point      = *point;
  cp->is_mixture = !co->is_file;
  if (cp->is_mixture) {
    PetscCall(RdMixtureCreate(co->input_dim, C, co->mixture_rank, co->mixture_separation, co->mixture_scale, co->mixture_anisotropy, seed, stream_id, &cp->mixture));
    RdStreamInit(&data, seed, stream_id, RD_PURPOSE(RD_PURPOSE_DATASET, 0));
    PetscCall(RdMixtureTrainingSet(&cp->mixture, co->train_per_class, &data, &cp->mixture_train));
    cp->train = &cp->mixture_train;
  } else {
    const RdClassifierData *sets;
    PetscCall(RdClassifierDataGet(co, &sets)); /* read by setup: this rank's copy */
    cp->train      = &sets->train;
    cp->probe_pool = &sets->heldout;
  }
  PetscCall(EvaluationSet(cp, EVALUATION_PER_CLASS));

  cp->hyper.lr          = point->lr;
  cp->hyper.momentum    = co->momentum;
  cp->hyper.l2          = cfg->weight_decay;
  cp->hyper.batch       = cfg->batch;
  cp->hyper.noise.type  = (RdNoiseType)point->noise_type;
  cp->hyper.noise.level = point->noise_level;
  cp->hyper.weight_mask = (RdWeightMaskScope)co->weight_dropout_mask;
  cp->hyper.gradient_on = (RdGradientNoiseTarget)co->gradient_noise_on;
  if (co->architecture == RD_CLASSIFIER_LENET) {
    const RdLeNetShape shape = RdLeNetShapeDefault(co->image.channels, co->image.height, co->image.width);
    PetscCall(RdClassifierNetCreateLeNet(&shape, co->hidden_dim, point->width, C, cfg->batch, &cp->net));
  } else PetscCall(RdClassifierNetCreate(co->input_dim, co->hidden_dim, point->width, C, cfg->batch, &cp->net));
  PetscCall(RdClassifierHyperCheck(&cp->net, &cp->hyper));
  RdStreamInit(&init, seed, stream_id, RD_PURPOSE_INIT);
  RdStreamInit(&cp->sampling, seed, stream_id, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&cp->noise, seed, stream_id, RD_PURPOSE_TRAIN_NOISE);
  RdClassifierNetInit(&cp->net, &init);

  /* class 0 at the swept frequency, the others share the rest (1/C each by default) */
  PetscCall(PetscMalloc1(C, &cp->class_cumulative));
  for (PetscInt c = 0; c < C; c++) cp->class_cumulative[c] = (c ? cp->class_cumulative[c - 1] : 0) + (c == 0 ? point->frequency : (1 - point->frequency) / (double)(C - 1));
  cp->class_cumulative[C - 1] = 1;
  /* an epoch is one pass over the training set in minibatches */
  cp->steps_per_epoch    = PetscMax(1, (cp->train->n_examples + cfg->batch - 1) / cfg->batch);
  cp->steps_per_snapshot = PetscMax(1, (cp->steps_per_epoch + co->snapshots_per_epoch / 2) / co->snapshots_per_epoch);
  PetscCall(PetscMalloc2((size_t)cfg->probe_samples * co->input_dim, &cp->probe_inputs, (size_t)(cfg->days + 1) * C * point->width, &cp->readout));
  *model = cp;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscInt Train(ClassifierPoint *cp, PetscInt steps)
{
  return RdClassifierTrain(&cp->net, &cp->hyper, cp->train->inputs, cp->train->labels, cp->train->n_examples, cp->class_cumulative, cp->train->class_offsets, cp->train->class_members, steps, &cp->sampling, &cp->noise);
}

static double EvaluationAccuracy(ClassifierPoint *cp, PetscInt tag, double *loss)
{
  RdStream noise;
  RdStreamInit(&noise, (uint64_t)cp->cfg->seed, (uint32_t)cp->point.replicate, RD_PURPOSE(RD_PURPOSE_EVALUATION, tag));
  return RdClassifierNetAccuracy(&cp->net, &cp->hyper, cp->evaluation.inputs, cp->evaluation.labels, cp->evaluation.n_examples, &noise, loss);
}

PetscErrorCode RdClassifierPointTrain(void *model, PetscInt day, PetscBool *diverged)
{
  ClassifierPoint *cp = (ClassifierPoint *)model;

  PetscFunctionBeginUser;
  if (day > 0) {
    *diverged = Train(cp, cp->steps_per_snapshot) < cp->steps_per_snapshot;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  /* burn-in: the fixed number of epochs, then (optionally) until the held-out accuracy has not
   * improved by 0.5% for 5 epochs. Evaluation noise of the plateau search uses tags past the
   * snapshots' so it never shares draws with them. */
  PetscInt steps = cp->co->burnin_epochs * cp->steps_per_epoch;
  *diverged      = Train(cp, steps) < steps;
  cp->burnin_epochs_run = cp->co->burnin_epochs;
  if (cp->co->burnin_until_plateau && !*diverged) {
    PetscCall(RdPhaseBegin(RD_PHASE_PROBE));
    double   best = EvaluationAccuracy(cp, cp->cfg->days + 1, NULL);
    PetscCall(RdPhaseEnd(RD_PHASE_PROBE));
    PetscInt since_best = 0;
    while (!*diverged && since_best < 5 && cp->burnin_epochs_run < cp->co->burnin_max_epochs) {
      *diverged = Train(cp, cp->steps_per_epoch) < cp->steps_per_epoch;
      cp->burnin_epochs_run++;
      PetscCall(RdPhaseBegin(RD_PHASE_PROBE));
      double accuracy = EvaluationAccuracy(cp, cp->cfg->days + 1 + cp->burnin_epochs_run, NULL);
      PetscCall(RdPhaseEnd(RD_PHASE_PROBE));
      if (accuracy > best + 0.005) {
        best       = accuracy;
        since_best = 0;
      } else since_best++;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Feature-layer responses of `samples` fresh examples of class c, noise on (drawn from stream). */
static void ProbeClass(ClassifierPoint *cp, PetscInt c, PetscInt samples, RdStream *stream, double *responses)
{
  if (cp->is_mixture) RdMixtureSample(&cp->mixture, c, samples, stream, cp->probe_inputs);
  else RdDatasetSampleClass(cp->probe_pool, c, samples, stream, cp->probe_inputs);
  RdClassifierProbe(&cp->net, &cp->hyper, cp->probe_inputs, samples, stream, responses);
}

PetscErrorCode RdClassifierPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged)
{
  ClassifierPoint *cp = (ClassifierPoint *)model;
  const PetscInt   C = cp->co->num_classes, width = cp->point.width;
  double           loss;
  RdStream         probe, probe_null;

  PetscFunctionBeginUser;
  double accuracy = EvaluationAccuracy(cp, day, &loss);
  *diverged       = !isfinite(loss);
  if (*diverged) PetscFunctionReturn(PETSC_SUCCESS);
  result->values[RD_FIELD_TASK_LOSS][day]           = loss;
  result->values[RD_FIELD_SIGNATURE_ACCURACY][day] = accuracy;
  PetscCall(PetscArraycpy(cp->readout + (size_t)day * C * width, cp->net.W3, (size_t)C * width));
  RdStreamInit(&probe, (uint64_t)cp->cfg->seed, (uint32_t)cp->point.replicate, RD_PURPOSE(RD_PURPOSE_PROBE, day));
  RdStreamInit(&probe_null, (uint64_t)cp->cfg->seed, (uint32_t)cp->point.replicate, RD_PURPOSE(RD_PURPOSE_PROBE_NULL, day));
  for (PetscInt c = 0; c < responses->groups; c++) {
    ProbeClass(cp, c, responses->samples, &probe, RdResponsesOf(responses, responses->values, day, c));
    ProbeClass(cp, c, responses->samples, &probe_null, RdResponsesOf(responses, responses->values_null, day, c));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Where each summary number goes: the field, and the field of its delta t = 0 null (-1 where the
 * null has none: the network readout's numbers, and chance, D/n and the variance share, which
 * describe one probe set rather than a change). */
static const struct {
  size_t  offset;
  RdField field, null_field;
} signature_fields[] = {
  {offsetof(RdSignatureSummary, angle_slope), RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE},
  {offsetof(RdSignatureSummary, angle_r), RD_FIELD_SIGNATURE_ANGLE_R, RD_FIELD_SIGNATURE_NULL_ANGLE_R},
  {offsetof(RdSignatureSummary, along_slope), RD_FIELD_SIGNATURE_ALONG_SLOPE, RD_FIELD_SIGNATURE_NULL_ALONG_SLOPE},
  {offsetof(RdSignatureSummary, along_r), RD_FIELD_SIGNATURE_ALONG_R, RD_FIELD_SIGNATURE_NULL_ALONG_R},
  {offsetof(RdSignatureSummary, angle_to_pc1), RD_FIELD_SIGNATURE_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_NULL_ANGLE_TO_PC1},
  {offsetof(RdSignatureSummary, variance_flow_loglog_slope), RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_LOGLOG_SLOPE},
  {offsetof(RdSignatureSummary, variance_flow_ratio_pc1), RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_RATIO_PC1},
  {offsetof(RdSignatureSummary, fraction_in_variational_space), RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_FRACTION_IN_VARIATIONAL_SPACE},
  {offsetof(RdSignatureSummary, fraction_chance), RD_FIELD_SIGNATURE_FRACTION_CHANCE, (RdField)-1},
  {offsetof(RdSignatureSummary, participation_ratio_per_unit), RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT, (RdField)-1},
  {offsetof(RdSignatureSummary, variance_in_variational_space), RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE, (RdField)-1},
  {offsetof(RdSignatureSummary, relative_cross_accuracy), RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_NULL_RELATIVE_CROSS_ACCURACY},
  {offsetof(RdSignatureSummary, classifier_angle), RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE, RD_FIELD_SIGNATURE_NULL_CLASSIFIER_ANGLE},
  {offsetof(RdSignatureSummary, day_discrimination_accuracy), RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY},
  {offsetof(RdSignatureSummary, unit_turnover_slope), RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_SLOPE},
  {offsetof(RdSignatureSummary, unit_turnover_r), RD_FIELD_SIGNATURE_UNIT_TURNOVER_R, RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_R},
  {offsetof(RdSignatureSummary, readout_rotation_per_epoch), RD_FIELD_SIGNATURE_READOUT_ROTATION_PER_EPOCH, (RdField)-1},
  {offsetof(RdSignatureSummary, readout_rotation_total), RD_FIELD_SIGNATURE_READOUT_ROTATION_TOTAL, (RdField)-1},
  {offsetof(RdSignatureSummary, drift_readout_angle), RD_FIELD_SIGNATURE_DRIFT_READOUT_ANGLE, (RdField)-1},
};

static double SummaryValue(const RdSignatureSummary *summary, size_t offset) { return *(const double *)((const char *)summary + offset); }

PetscErrorCode RdClassifierPointFinish(void *model, const RdResponses *responses, PetscInt valid_days, RdPointResult *result)
{
  ClassifierPoint   *cp = (ClassifierPoint *)model;
  RdSignatureInput   input = {0}; /* group_class NULL: analysed group g is class g */
  RdSignatureSummary summary, null_summary;

  PetscFunctionBeginUser;
  if (valid_days < 2) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdPhaseBegin(RD_PHASE_SIGNATURE));
  input.snapshots           = valid_days;
  input.groups              = responses->groups;
  input.samples             = responses->samples;
  input.units               = responses->width;
  input.probe_a             = responses->values;
  input.probe_b             = responses->values_null;
  input.readout             = cp->readout;
  input.num_classes         = cp->co->num_classes;
  input.snapshots_per_epoch = (double)cp->co->snapshots_per_epoch;
  input.readout_l2          = cp->cfg->readout_l2;
  /* the foundation's cross-day readout (same protocol): its valid block, so nothing is refitted */
  const PetscInt days = responses->days;
  double        *cross;
  PetscCall(RdSignatureUseCrossReadout(&input, result->values[RD_FIELD_READOUT_CLASSIFIER_ACCURACY], result->values[RD_FIELD_READOUT_CLASSIFIER_ANGLE], days, valid_days, &cross));
  PetscCall(RdSignatureCompute(&input, &summary));
  PetscCall(RdSignatureComputeNull(&input, &null_summary));
  for (size_t i = 0; i < sizeof signature_fields / sizeof signature_fields[0]; i++) {
    result->values[signature_fields[i].field][0] = SummaryValue(&summary, signature_fields[i].offset);
    if ((int)signature_fields[i].null_field >= 0) result->values[signature_fields[i].null_field][0] = SummaryValue(&null_summary, signature_fields[i].offset);
  }
  PetscCall(RdSignatureReadoutRotation(&input, result->values[RD_FIELD_SIGNATURE_READOUT_ROTATION]));
  PetscCall(PetscFree(cross));
  PetscCall(RdPhaseEnd(RD_PHASE_SIGNATURE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierPointDestroy(void **model)
{
  ClassifierPoint *cp = (ClassifierPoint *)*model;

  PetscFunctionBeginUser;
  if (!cp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdClassifierNetDestroy(&cp->net));
  if (cp->is_mixture) {
    PetscCall(RdMixtureDestroy(&cp->mixture));
    PetscCall(RdDatasetDestroy(&cp->mixture_train));
  }
  PetscCall(RdDatasetDestroy(&cp->evaluation));
  PetscCall(PetscFree(cp->class_cumulative));
  PetscCall(PetscFree2(cp->probe_inputs, cp->readout));
  PetscCall(PetscFree(cp));
  *model = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
