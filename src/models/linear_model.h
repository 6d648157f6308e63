/* The linear model's parts (private to src/models/linear_*.c): its options, and the functions its
 * ops table (linear_model.c) gathers from the other files.
 *
 * The model: K stimuli x_k with fixed targets y_k, presented with probabilities p_k (stimulus 0 at
 * the swept frequency); each presentation is x_k + N(0, s^2 I); hidden layer h = W1 x with inverted
 * dropout, output W2 h; loss 1/2 |y - yhat|^2 + (g/2)(|W1|^2 + |W2|^2), online SGD (Pashakhanloo &
 * Koulakov 2023, whose drift theory the replica protocol measures). */
#ifndef REPDRIFT_MODELS_LINEAR_MODEL_H
#define REPDRIFT_MODELS_LINEAR_MODEL_H

#include <repdrift/model.h>

typedef enum { RD_LINEAR_TASK_RANDOM = 0, RD_LINEAR_TASK_E1, RD_LINEAR_TASK_E3 } RdLinearTaskKind;
typedef enum { RD_LINEAR_PROTOCOL_DAYS = 0, RD_LINEAR_PROTOCOL_REPLICAS } RdLinearProtocol;

/* The options of -model linear (rows of linear_options in linear_model.c). */
typedef struct {
  char      data[RD_OPTION_STRING_SIZE]; /* -data: random, e1 or e3 */
  PetscInt  task;                        /* RdLinearTaskKind of -data (setup) */
  PetscInt  num_stimuli, input_dim, output_dim;
  PetscReal input_noise, init_scale;
  PetscBool probe_dropout;
  PetscInt  protocol; /* RdLinearProtocol */
  PetscInt  replicas, replica_steps, record_every, relax_steps, replica_groups, msd_max_lag;
} RdLinearOptions;

static inline const RdLinearOptions *RdLinearOptionsOf(const RdConfig *cfg) { return (const RdLinearOptions *)cfg->model_options; }

/* The task of a point (random stimuli of its replicate, or a reference configuration of the
 * theory); both protocols use it. */
PetscErrorCode RdLinearPointTask(const RdConfig *cfg, const RdPoint *point, RdTask *task);

/* The days protocol's ops (linear_point.c). */
PetscErrorCode RdLinearPointCreate(const RdConfig *cfg, const RdPoint *point, void **model);
PetscErrorCode RdLinearPointTrain(void *model, PetscInt day, PetscBool *diverged);
PetscErrorCode RdLinearPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged);
PetscErrorCode RdLinearPointDestroy(void **model);

/* The days protocol's prediction (linear_prediction.c): the drift theory's expected angle and
 * squared distance between the day means for the point's initial weights, into /theory. */
PetscErrorCode RdLinearDaysPrediction(const RdConfig *cfg, const RdPoint *point, const RdTask *task, const double *W1_init, const double *W2_init, PetscInt days, RdPointResult *result);

/* The replica protocol (linear_replicas.c): the drift theory's predictions where it holds and R
 * replicas started at theta*, into /theory. */
PetscErrorCode RdLinearReplicaPoint(const RdConfig *cfg, const RdDims *dims, const RdPoint *point, RdPointResult *result);

/* repdrift-report's section (linear_report.c). */
PetscErrorCode RdLinearReport(const char *path, PetscBool terse);

#endif
