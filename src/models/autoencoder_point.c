/* The non-negative energy-efficient autoencoder (Dorrell et al. 2025) at one sweep point in the
 * days protocol (autoencoder_model.h): its source samples and their presentation probabilities
 * (the frequency axis sets how often the corner region {s1 + s2 < -2 + corner_cut} is seen), kappa
 * of that distribution, training by Adam/SGD, and per day the learned code's modularity and the
 * probes of its hidden code. */
#include "autoencoder_model.h"
#include <repdrift/h5input.h>
#include <repdrift/models/autoencoder.h>
#include <repdrift/modularity.h>
#include <repdrift/phases.h>

typedef struct {
  const RdConfig             *cfg;
  const RdAutoencoderOptions *ao;
  RdPoint                     point;
  PetscInt            n_samples, n_sources;
  double             *sources;     /* [n_samples][n_sources] */
  double             *probability; /* [n_samples] presentation probability */
  double             *cumulative;  /* [n_samples] */
  double             *latents;     /* [n_samples][width] scratch */
  double             *probe_inputs; /* [probe_samples][n_sources] */
  RdAutoencoder       ae;
  RdAutoencoderHyper  hyper;
  RdStream            sampling, noise;
} AutoencoderPoint;

PetscErrorCode RdAutoencoderBuildSources(const RdConfig *cfg, PetscInt *n_samples, PetscInt *n_sources, double **sources)
{
  const RdAutoencoderOptions *ao = RdAutoencoderOptionsOf(cfg);

  PetscFunctionBeginUser;
  *n_sources = 2;
  switch ((RdAutoencoderSources)ao->sources) {
  case RD_AE_SOURCES_GRID: PetscCall(RdSourcesGrid(ao->grid_size, n_samples, sources)); break;
  case RD_AE_SOURCES_DIAGONAL: PetscCall(RdSourcesGridDiagonal(ao->grid_size, ao->diagonal_repeats, n_samples, sources)); break;
  case RD_AE_SOURCES_HOLE: PetscCall(RdSourcesGridHole(ao->grid_size, ao->hole_radius, n_samples, sources)); break;
  case RD_AE_SOURCES_UNIFORM:
    *n_samples = ao->uniform_samples;
    *n_sources = ao->num_sources;
    PetscCall(RdSourcesUniform(ao->uniform_samples, ao->num_sources, (uint64_t)cfg->seed, sources));
    break;
  case RD_AE_SOURCES_CUBE: *n_sources = 3; PetscCall(RdSourcesCube(n_samples, sources)); break;
  case RD_AE_SOURCES_TETRAHEDRON: *n_sources = 3; PetscCall(RdSourcesParityTetrahedron(n_samples, sources)); break;
  case RD_AE_SOURCES_FILE: PetscCall(RdInputReadMatrix(ao->sources_file, "/sources", n_samples, n_sources, sources)); break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool InCorner(const RdAutoencoderOptions *ao, PetscInt n_sources, const double *sample)
{
  return n_sources == 2 && sample[0] + sample[1] < -2 + ao->corner_cut - 1e-12;
}

PetscErrorCode RdAutoencoderCornerCount(const RdConfig *cfg, PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt *in_corner)
{
  PetscFunctionBeginUser;
  *in_corner = 0;
  for (PetscInt i = 0; i < n_samples; i++) *in_corner += InCorner(RdAutoencoderOptionsOf(cfg), n_sources, sources + (size_t)i * n_sources);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Presentation probabilities: with -sweep_frequency the corner region's samples share the
 * point's frequency and the others the rest; otherwise every sample is equally likely. */
static PetscErrorCode Presentation(AutoencoderPoint *ap)
{
  const PetscInt n = ap->n_samples, d = ap->n_sources;
  PetscInt       in_corner;

  PetscFunctionBeginUser;
  PetscCall(RdAutoencoderCornerCount(ap->cfg, n, d, ap->sources, &in_corner));
  if (ap->cfg->frequency_given) {
    PetscCheck(in_corner > 0 && in_corner < n, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-corner_cut %g leaves %" PetscInt_FMT " of %" PetscInt_FMT " samples in the corner region {s1 + s2 < -2 + corner_cut}: -sweep_frequency needs samples inside and outside it", (double)ap->ao->corner_cut, in_corner, n);
  }
  for (PetscInt i = 0; i < n; i++) {
    if (!ap->cfg->frequency_given) ap->probability[i] = 1.0 / (double)n;
    else ap->probability[i] = InCorner(ap->ao, d, ap->sources + (size_t)i * d) ? ap->point.frequency / (double)in_corner : (1 - ap->point.frequency) / (double)(n - in_corner);
    ap->cumulative[i] = (i ? ap->cumulative[i - 1] : 0) + ap->probability[i];
  }
  ap->cumulative[n - 1] = 1;
  /* samples never presented (frequency 0: the corner is cut) are not part of the data at all:
   * they leave the support that decides kappa, the bias (min over samples) and the metrics */
  PetscInt kept = 0;
  for (PetscInt i = 0; i < n; i++) {
    if (ap->probability[i] <= 0) continue;
    PetscCall(PetscArraymove(ap->sources + (size_t)kept * d, ap->sources + (size_t)i * d, d));
    ap->probability[kept] = ap->probability[i];
    ap->cumulative[kept]  = ap->cumulative[i];
    kept++;
  }
  ap->n_samples            = kept;
  ap->cumulative[kept - 1] = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* kappa and L_mod of the presented distribution: the support is the presented samples' (how often
 * a sample is seen does not change the range), the mean and covariance are presentation-weighted. */
static PetscErrorCode StoreKappa(AutoencoderPoint *ap, RdPointResult *result)
{
  const double  lambda = ap->cfg->weight_decay / ap->ao->activity_l2;
  RdKappaResult kappa;
  double        loss_modular;

  PetscFunctionBeginUser;
  PetscCall(RdKappaComputeWeighted(ap->n_samples, ap->n_sources, ap->sources, ap->probability, &kappa));
  PetscCall(RdModularLoss(&kappa.stats, lambda, lambda, &loss_modular));
  result->values[RD_FIELD_MODULARITY_KAPPA][0]            = kappa.kappa;
  result->values[RD_FIELD_MODULARITY_KAPPA_NORMALIZED][0] = kappa.kappa_normalized;
  result->values[RD_FIELD_MODULARITY_KAPPA_EXACT][0]      = kappa.kappa_exact ? 1 : 0;
  result->values[RD_FIELD_MODULARITY_LOSS_MODULAR][0]     = loss_modular;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAutoencoderPointCreate(const RdConfig *cfg, const RdPoint *point, void **model)
{
  AutoencoderPoint *ap;
  RdStream          init;
  uint64_t          seed      = (uint64_t)cfg->seed;
  uint32_t          stream_id = (uint32_t)point->replicate;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&ap));
  ap->cfg   = cfg;
  ap->ao    = RdAutoencoderOptionsOf(cfg);
  ap->point = *point;
  PetscCall(RdAutoencoderBuildSources(cfg, &ap->n_samples, &ap->n_sources, &ap->sources));
  PetscCall(PetscMalloc4(ap->n_samples, &ap->probability, ap->n_samples, &ap->cumulative, (size_t)ap->n_samples * point->width, &ap->latents, (size_t)cfg->probe_samples * ap->n_sources, &ap->probe_inputs));
  PetscCall(Presentation(ap));
  RdAutoencoderHyperDefaults(&ap->hyper);
  ap->hyper.lr          = point->lr;
  ap->hyper.activity_l2 = ap->ao->activity_l2;
  ap->hyper.nonneg      = ap->ao->nonneg_penalty;
  ap->hyper.weight_l2   = cfg->weight_decay;
  ap->hyper.dropout     = point->noise_level;
  ap->hyper.batch       = cfg->batch;
  ap->hyper.optimizer   = ap->ao->optimizer == 1 ? RD_AE_OPTIMIZER_SGD : RD_AE_OPTIMIZER_ADAM;
  PetscCall(RdAutoencoderCreate(ap->n_sources, point->width, cfg->batch, &ap->ae)); /* encoding is not batched */
  PetscCall(RdAutoencoderHyperCheck(&ap->hyper, &ap->ae));
  RdStreamInit(&init, seed, stream_id, RD_PURPOSE_INIT);
  RdStreamInit(&ap->sampling, seed, stream_id, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&ap->noise, seed, stream_id, RD_PURPOSE_TRAIN_NOISE);
  RdAutoencoderInit(&ap->ae, &init);
  *model = ap;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAutoencoderPointTrain(void *model, PetscInt day, PetscBool *diverged)
{
  AutoencoderPoint *ap    = (AutoencoderPoint *)model;
  PetscInt          steps = day == 0 ? ap->cfg->burnin_steps : ap->cfg->steps_per_day;

  PetscFunctionBeginUser;
  *diverged = RdAutoencoderTrain(&ap->ae, &ap->hyper, ap->sources, ap->n_samples, ap->cumulative, steps, &ap->sampling, &ap->noise) < steps;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Presentation-weighted mean squared reconstruction error per source (dropout off). */
static double ReconstructionError(const AutoencoderPoint *ap)
{
  const PetscInt d = ap->n_sources, width = ap->point.width;
  double         error = 0;
  for (PetscInt i = 0; i < ap->n_samples; i++) {
    const double *z = ap->latents + (size_t)i * width, *s = ap->sources + (size_t)i * d;
    for (PetscInt j = 0; j < d; j++) {
      double reconstructed = ap->ae.c[j];
      for (PetscInt u = 0; u < width; u++) reconstructed += ap->ae.R[j * width + u] * z[u];
      error += ap->probability[i] * (s[j] - reconstructed) * (s[j] - reconstructed);
    }
  }
  return error / (double)d;
}

PetscErrorCode RdAutoencoderPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged)
{
  AutoencoderPoint *ap = (AutoencoderPoint *)model;
  const PetscInt    d = ap->n_sources, width = ap->point.width;
  RdWeightMixing    mixing;
  RdStream          probe;
  double            loss = RdAutoencoderLoss(&ap->ae, &ap->hyper, ap->sources, ap->n_samples, ap->probability, NULL), gap = RD_NAN, relative_gap = RD_NAN;

  PetscFunctionBeginUser;
  *diverged = !isfinite(loss);
  if (*diverged) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdPhaseBegin(RD_PHASE_MODULARITY));
  if (day == 0) PetscCall(StoreKappa(ap, result));
  result->values[RD_FIELD_TASK_LOSS][day] = loss;
  RdAutoencoderEncode(&ap->ae, &ap->hyper, ap->sources, ap->n_samples, PETSC_FALSE, NULL, ap->latents);
  result->values[RD_FIELD_MODULARITY_RECONSTRUCTION_ERROR][day] = ReconstructionError(ap);
  PetscCall(RdWeightMixingCompute(width, d, ap->ae.W, &mixing));
  result->values[RD_FIELD_MODULARITY_MIXING_MAX][day]       = mixing.mixing_max;
  result->values[RD_FIELD_MODULARITY_MIXING_MEAN][day]      = mixing.mixing_mean;
  result->values[RD_FIELD_MODULARITY_MIXING_ANGLE_MAX][day] = mixing.angle_max;
  result->values[RD_FIELD_MODULARITY_ACTIVE_UNITS][day]     = (double)mixing.n_active;
  if (d >= 2) {
    RdInfoModularity info;
    PetscCall(RdInfoModularityCompute(ap->n_samples, d, ap->sources, width, ap->latents, &info));
    result->values[RD_FIELD_MODULARITY_INFOM][day]              = info.infom;
    result->values[RD_FIELD_MODULARITY_CINFOM][day]             = info.cinfom;
    result->values[RD_FIELD_MODULARITY_CINFOM_CONDITIONAL][day] = info.cinfom_conditional;
  }
  /* the reduced loss needs W^T W invertible (width >= d, no collapsed code): otherwise the gap is NaN */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscErrorCode gap_failed = RdAutoencoderModularGap(&ap->ae, &ap->hyper, ap->sources, ap->n_samples, ap->probability, &gap, &relative_gap);
  PetscCall(PetscPopErrorHandler());
  result->values[RD_FIELD_MODULARITY_GAP][day]          = gap_failed ? RD_NAN : gap;
  result->values[RD_FIELD_MODULARITY_RELATIVE_GAP][day] = gap_failed ? RD_NAN : relative_gap;
  PetscCall(RdPhaseEnd(RD_PHASE_MODULARITY));
  /* probes: fresh presentations from the presentation distribution, dropout on and redrawn */
  RdStreamInit(&probe, (uint64_t)ap->cfg->seed, (uint32_t)ap->point.replicate, RD_PURPOSE(RD_PURPOSE_PROBE, day));
  for (PetscInt a = 0; a < responses->samples; a++) {
    PetscInt i = RdStreamCategorical(&probe, ap->cumulative, (int)ap->n_samples);
    PetscCall(PetscArraycpy(ap->probe_inputs + (size_t)a * d, ap->sources + (size_t)i * d, d));
  }
  RdAutoencoderEncode(&ap->ae, &ap->hyper, ap->probe_inputs, responses->samples, PETSC_TRUE, &probe, RdResponsesOf(responses, responses->values, day, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAutoencoderPointDestroy(void **model)
{
  AutoencoderPoint *ap = (AutoencoderPoint *)*model;

  PetscFunctionBeginUser;
  if (!ap) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdAutoencoderDestroy(&ap->ae));
  PetscCall(PetscFree4(ap->probability, ap->cumulative, ap->latents, ap->probe_inputs));
  PetscCall(PetscFree(ap->sources));
  PetscCall(PetscFree(ap));
  *model = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
