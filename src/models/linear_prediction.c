/* -model linear, the days protocol: what the drift theory expects it to measure (theory.h,
 * RdTheoryPredictDays) for the point's own initial weights, stored beside the measurement:
 * /theory/drift_angle_predicted [point, day, later_day, stimulus] next to
 * /drift/angle_between_means, /theory/drift_displacement_predicted, and whether the theory holds
 * there (/theory/prediction_holds, prediction_failure, relaxation_steps, nonlinearity). */
#include "linear_model.h"
#include <repdrift/theory.h>

PetscErrorCode RdLinearDaysPrediction(const RdConfig *cfg, const RdPoint *point, const RdTask *task, const double *W1_init, const double *W2_init, PetscInt days, RdPointResult *result)
{
  const RdLinearOptions *lo = RdLinearOptionsOf(cfg);
  const PetscInt         D = days + 1, K = task->num_stimuli;
  RdDaysInput            in = {.task = task, .width = point->width, .lr = point->lr, .weight_decay = cfg->weight_decay, .input_noise = lo->input_noise, .dropout = point->noise_level, .batch = cfg->batch, .burnin_steps = cfg->burnin_steps, .steps_per_day = cfg->steps_per_day, .days = days, .probe_samples = cfg->probe_samples, .probe_dropout = lo->probe_dropout, .W1_init = W1_init, .W2_init = W2_init};
  RdDaysPrediction       prediction;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryPredictDays(&in, &prediction));
  result->values[RD_FIELD_THEORY_PREDICTION_HOLDS][0]   = prediction.holds ? 1 : 0;
  result->values[RD_FIELD_THEORY_PREDICTION_FAILURE][0] = prediction.failure;
  result->values[RD_FIELD_THEORY_RELAXATION_STEPS][0]   = prediction.relaxation_steps;
  result->values[RD_FIELD_THEORY_NONLINEARITY][0]       = prediction.nonlinearity;
  for (PetscInt day = 0; day < D; day++)
    for (PetscInt later = 0; later < D; later++)
      for (PetscInt s = 0; s < K; s++) {
        const size_t pair = RD_IDX3(day, later, s, D, K);
        result->values[RD_FIELD_THEORY_DRIFT_ANGLE_PREDICTED][pair]        = prediction.angle[pair];
        result->values[RD_FIELD_THEORY_DRIFT_DISPLACEMENT_PREDICTED][pair] = prediction.displacement[pair];
      }
  PetscCall(RdDaysPredictionDestroy(&prediction));
  PetscFunctionReturn(PETSC_SUCCESS);
}
