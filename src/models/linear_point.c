/* The linear network at one sweep point in the days protocol (linear_model.h): burn-in and days
 * of online SGD, the population loss (the exact expectation of the training objective over
 * stimulus, input noise and dropout mask), the hidden-layer probes of each day, and with day 0
 * the drift theory's prediction for the point's initial weights (linear_prediction.c). */
#include "linear_model.h"
#include <repdrift/phases.h>
#include <repdrift/models/linear.h>

typedef struct {
  const RdConfig        *cfg;
  const RdLinearOptions *lo;
  RdPoint                point;
  RdTask          task;
  RdLinearNet     net;
  RdLinearHyper   hyper;
  RdStream        sampling, noise;
  double         *W1_init, *W2_init; /* the initial weights, for the prediction */
} LinearPoint;

PetscErrorCode RdLinearPointTask(const RdConfig *cfg, const RdPoint *point, RdTask *task)
{
  const RdLinearOptions *lo = RdLinearOptionsOf(cfg);

  PetscFunctionBeginUser;
  switch (lo->task) {
  case RD_LINEAR_TASK_E1: PetscCall(RdTaskCreateE1(point->frequency, task)); break;
  case RD_LINEAR_TASK_E3: PetscCall(RdTaskCreateE3(point->frequency, task)); break;
  default: PetscCall(RdTaskCreateRandom(lo->num_stimuli, lo->input_dim, lo->output_dim, point->frequency, (uint64_t)cfg->seed, point->replicate, task));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearPointCreate(const RdConfig *cfg, const RdPoint *point, void **model)
{
  LinearPoint *lp;
  RdStream     init;
  uint64_t     seed      = (uint64_t)cfg->seed;
  uint32_t     stream_id = (uint32_t)point->replicate; /* a point's numbers depend on its replicate, never on the rank */

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&lp));
  lp->cfg   = cfg;
  lp->lo    = RdLinearOptionsOf(cfg);
  lp->point = *point;
  lp->hyper = (RdLinearHyper){point->lr, cfg->weight_decay, point->noise_level, lp->lo->input_noise, cfg->batch};
  PetscCall(RdLinearPointTask(cfg, point, &lp->task));
  PetscCall(RdLinearNetCreate(lp->lo->input_dim, point->width, lp->lo->output_dim, &lp->net));
  RdStreamInit(&init, seed, stream_id, RD_PURPOSE_INIT);
  RdStreamInit(&lp->sampling, seed, stream_id, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&lp->noise, seed, stream_id, RD_PURPOSE_TRAIN_NOISE);
  RdLinearNetInit(&lp->net, lp->lo->init_scale, &init);
  PetscCall(PetscMalloc2(point->width * lp->lo->input_dim, &lp->W1_init, lp->lo->output_dim * point->width, &lp->W2_init));
  PetscCall(PetscArraycpy(lp->W1_init, lp->net.W1, point->width * lp->lo->input_dim));
  PetscCall(PetscArraycpy(lp->W2_init, lp->net.W2, lp->lo->output_dim * point->width));
  *model = lp;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearPointTrain(void *model, PetscInt day, PetscBool *diverged)
{
  LinearPoint *lp    = (LinearPoint *)model;
  PetscInt     steps = day == 0 ? lp->cfg->burnin_steps : lp->cfg->steps_per_day;

  PetscFunctionBeginUser;
  *diverged = RdLinearTrain(&lp->net, &lp->hyper, &lp->task, steps, &lp->sampling, &lp->noise) < steps;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged)
{
  LinearPoint *lp   = (LinearPoint *)model;
  double       loss = RdLinearPopulationLoss(&lp->net, &lp->hyper, &lp->task);
  RdStream     probe;

  PetscFunctionBeginUser;
  *diverged = !isfinite(loss);
  if (*diverged) PetscFunctionReturn(PETSC_SUCCESS);
  result->values[RD_FIELD_TASK_LOSS][day] = loss;
  if (day == 0) {
    PetscCall(RdPhaseBegin(RD_PHASE_THEORY));
    PetscCall(RdLinearDaysPrediction(lp->cfg, &lp->point, &lp->task, lp->W1_init, lp->W2_init, lp->cfg->days, result));
    PetscCall(RdPhaseEnd(RD_PHASE_THEORY));
  }
  RdStreamInit(&probe, (uint64_t)lp->cfg->seed, (uint32_t)lp->point.replicate, RD_PURPOSE(RD_PURPOSE_PROBE, day));
  for (PetscInt k = 0; k < responses->groups; k++) RdLinearProbe(&lp->net, &lp->hyper, &lp->task, k, responses->samples, lp->lo->probe_dropout, &probe, RdResponsesOf(responses, responses->values, day, k));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearPointDestroy(void **model)
{
  LinearPoint *lp = (LinearPoint *)*model;

  PetscFunctionBeginUser;
  if (!lp) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdLinearNetDestroy(&lp->net));
  PetscCall(RdTaskDestroy(&lp->task));
  PetscCall(PetscFree2(lp->W1_init, lp->W2_init));
  PetscCall(PetscFree(lp));
  *model = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}
