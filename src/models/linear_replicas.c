/* -model linear, the replica protocol: the SGD drift theory of Pashakhanloo & Koulakov (2023),
 * extended to input noise and dropout (include/repdrift/theory.h), against R replicas started at
 * the minimum theta*. Per point: whether the theory holds (/theory/prediction_holds, and why not:
 * prediction_failure), the predictions where it holds (fluctuation F_s, diffusion slope sigma_s,
 * its normalised form, rotation rate, excess loss 1/2 tr(H S)), the slowest relaxation time and
 * the nonlinearity criterion, and the same coefficients measured from the replicas with jackknife
 * standard errors, into /theory. The kernels are src/theory*.c (include/repdrift/theory.h). */
#include "linear_model.h"
#include <repdrift/phases.h>
#include <repdrift/run.h>
#include <repdrift/theory.h>

/* Copies n values into a padded row of the result (the rest stays NaN). */
static void Store(double *destination, const double *source, PetscInt n)
{
  for (PetscInt i = 0; i < n; i++) destination[i] = source[i];
}

/* Stores the analytic predictions (where the theory holds). */
static PetscErrorCode StoreTheory(const RdTheoryResult *theory, const RdReplicaMeasurement *measured, PetscInt K, PetscInt records, RdPointResult *result)
{
  PetscFunctionBeginUser;
  result->values[RD_FIELD_THEORY_EXCESS_LOSS_PREDICTED][0] = theory->excess_loss;
  for (PetscInt k = 0; k < K; k++) {
    result->values[RD_FIELD_THEORY_FLUCTUATION_PREDICTED][k]                = theory->fluctuation[k];
    result->values[RD_FIELD_THEORY_DIFFUSION_SLOPE_PREDICTED][k]            = theory->diffusion[k];
    result->values[RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_PREDICTED][k] = theory->diffusion_normalized[k];
    result->values[RD_FIELD_THEORY_ROTATION_RATE_PREDICTED][k]              = theory->stimulus_rotation[k];
    result->values[RD_FIELD_THEORY_ROTATION_PERIOD_PREDICTED][k]            = theory->stimulus_rotation[k] > 0 ? 2 * PETSC_PI / theory->stimulus_rotation[k] : (double)INFINITY;
    /* the replicas start at theta*: at an isolated minimum the variance rises from 0 to F_s
     * (from the start); on an orbit the curve after relaxation follows the rotation */
    if (theory->isolated) PetscCall(RdTheoryVarianceCurveFromStart(theory, k, measured->num_records, measured->time, &result->values[RD_FIELD_THEORY_VARIANCE_CURVE_PREDICTED][(size_t)k * records]));
    else PetscCall(RdTheoryVarianceCurve(theory, k, measured->num_records, measured->time, &result->values[RD_FIELD_THEORY_VARIANCE_CURVE_PREDICTED][(size_t)k * records]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void StoreMeasurement(const RdReplicaMeasurement *measured, PetscInt K, PetscInt records, PetscInt lags, RdPointResult *result)
{
  Store(result->values[RD_FIELD_THEORY_MSD_LAG], measured->msd_lag, PetscMin(measured->num_msd_lags, lags));
  result->values[RD_FIELD_THEORY_L_STAR][0]                = measured->L_star;
  result->values[RD_FIELD_THEORY_EXCESS_LOSS_MEASURED][0] = measured->excess_loss;
  result->values[RD_FIELD_THEORY_EXCESS_LOSS_STDERR][0]   = measured->excess_loss_se;
  Store(result->values[RD_FIELD_THEORY_TIME], measured->time, measured->num_records);
  for (PetscInt k = 0; k < K; k++) {
    result->values[RD_FIELD_THEORY_FLUCTUATION_MEASURED][k]                = measured->fluctuation[k];
    result->values[RD_FIELD_THEORY_FLUCTUATION_STDERR][k]                  = measured->fluctuation_se[k];
    result->values[RD_FIELD_THEORY_DIFFUSION_SLOPE_MEASURED][k]            = measured->diffusion[k];
    result->values[RD_FIELD_THEORY_DIFFUSION_SLOPE_STDERR][k]              = measured->diffusion_se[k];
    result->values[RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_MEASURED][k] = measured->diffusion_normalized[k];
    result->values[RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_STDERR][k]   = measured->diffusion_normalized_se[k];
    result->values[RD_FIELD_THEORY_ROTATION_RATE_MEASURED][k]              = measured->rotation_rate[k];
    result->values[RD_FIELD_THEORY_ROTATION_PERIOD_MEASURED][k]            = measured->rotation_rate[k] > 0 ? 2 * PETSC_PI / measured->rotation_rate[k] : (double)INFINITY;
    Store(&result->values[RD_FIELD_THEORY_VARIANCE_CURVE][(size_t)k * records], measured->variance + (size_t)k * measured->num_records, measured->num_records);
    Store(&result->values[RD_FIELD_THEORY_ROTATION_ANGLE][(size_t)k * records], measured->rotation_angle + (size_t)k * measured->num_records, measured->num_records);
    Store(&result->values[RD_FIELD_THEORY_MSD][(size_t)k * lags], measured->msd + (size_t)k * measured->num_msd_lags, PetscMin(measured->num_msd_lags, lags));
  }
}

/* The theory at the point: the trained objective (input noise, dropout, batch) and the replicas'
 * window. Outside its domain (-weight_decay 0, eta too large at theta*, no minimum reached) the
 * point gets no prediction and failure RD_THEORY_OUT_OF_DOMAIN instead of an error: the replicas
 * still run and are measured. */
static PetscErrorCode PointTheory(const RdConfig *cfg, const RdLinearOptions *lo, const RdPoint *point, const RdTask *task, RdTheoryResult *theory, PetscBool *computed)
{
  RdTheoryInput  input = {.task = task, .width = point->width, .weight_decay = cfg->weight_decay, .lr = point->lr, .seed = (uint64_t)cfg->seed, .replicate = point->replicate, .input_noise = lo->input_noise, .dropout = point->noise_level, .batch = cfg->batch, .window_steps = (double)lo->replica_steps};
  PetscErrorCode error;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  error = RdTheoryCompute(&input, theory);
  PetscCall(PetscPopErrorHandler());
  *computed = error ? PETSC_FALSE : PETSC_TRUE;
  PetscCheck(!error || error == PETSC_ERR_USER_INPUT || error == PETSC_ERR_NOT_CONVERGED, PETSC_COMM_SELF, error, "Drift theory failed at point %" PetscInt_FMT, point->index);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearReplicaPoint(const RdConfig *cfg, const RdDims *dims, const RdPoint *point, RdPointResult *result)
{
  const RdLinearOptions *lo = RdLinearOptionsOf(cfg);
  const PetscInt       K = cfg->num_stimuli, records = dims->size[RD_DIM_RECORD];
  RdTask               task;
  RdTheoryResult       theory;
  RdReplicaMeasurement measured;
  RdReplicaConfig      replicas;
  PetscBool            computed = PETSC_FALSE, holds;

  PetscFunctionBeginUser;
  PetscCall(RdLinearPointTask(cfg, point, &task));
  PetscCall(RdPhaseBegin(RD_PHASE_THEORY));
  PetscCall(PointTheory(cfg, lo, point, &task, &theory, &computed));
  PetscCall(RdPhaseEnd(RD_PHASE_THEORY));
  holds = computed && theory.holds;
  replicas.task         = &task;
  replicas.width        = point->width;
  replicas.hyper        = (RdLinearHyper){point->lr, cfg->weight_decay, point->noise_level, lo->input_noise, 1};
  replicas.num_replicas = lo->replicas;
  replicas.num_steps    = lo->replica_steps;
  replicas.record_every = lo->record_every;
  /* estimates start after 10 relaxation times of the normal space (a tenth of the run without theory) */
  replicas.relax_steps  = lo->relax_steps > 0 ? lo->relax_steps : (computed && theory.relaxation_steps > 0 ? (PetscInt)PetscMin(10 * theory.relaxation_steps, 0.5 * lo->replica_steps) : lo->replica_steps / 10);
  replicas.num_groups   = lo->replica_groups;
  replicas.msd_max_lag  = lo->msd_max_lag;
  replicas.seed         = (uint64_t)cfg->seed;
  replicas.stream_id    = point->replicate;
  PetscCall(RdPhaseBegin(RD_PHASE_TRAIN));
  PetscCall(RdReplicaRun(&replicas, &measured));
  PetscCall(RdPhaseEnd(RD_PHASE_TRAIN));
  StoreMeasurement(&measured, K, records, dims->size[RD_DIM_LAG], result);
  result->values[RD_FIELD_THEORY_PREDICTION_HOLDS][0]   = holds ? 1 : 0;
  result->values[RD_FIELD_THEORY_PREDICTION_FAILURE][0] = computed ? theory.failure : RD_THEORY_OUT_OF_DOMAIN;
  result->values[RD_FIELD_THEORY_RELAXATION_STEPS][0]   = computed ? theory.relaxation_steps : RD_NAN;
  result->values[RD_FIELD_THEORY_NONLINEARITY][0]       = computed ? theory.nonlinearity : RD_NAN;
  if (holds) PetscCall(StoreTheory(&theory, &measured, K, records, result));
  result->values[RD_FIELD_SWEEP_STATUS][0] = measured.diverged ? RD_STATUS_DIVERGED : RD_STATUS_DONE;
  PetscCall(RdReplicaMeasurementDestroy(&measured));
  if (computed) PetscCall(RdTheoryResultDestroy(&theory));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}
