/* A sweep point's model behind one small ops table. run.c drives the days protocol the same way
 * for every model (burn-in = day 0, then train a day and observe it, day after day; the shared
 * drift geometry and readout analyses; the model's own analyses last); each model says how.
 * Adapters live in src/models/<model>_point.c and call the model's kernels. */
#ifndef REPDRIFT_MODEL_H
#define REPDRIFT_MODEL_H

#include <repdrift/config.h>
#include <repdrift/data.h>
#include <repdrift/schema.h>
#include <repdrift/sweep.h>

/* Probe responses of one point, [day][group][sample][width]: groups are the stimuli (linear), the
 * analysed classes (classifier) or the source distribution (autoencoder). */
typedef struct {
  PetscInt days, groups, samples, width;
  double  *values;      /* the analysed probe set */
  double  *values_null; /* a second probe of the same frozen weights with fresh noise (the
                           delta t = 0 null), NULL for models without one */
} RdResponses;

static inline double *RdResponsesOf(const RdResponses *responses, const double *values, PetscInt day, PetscInt group)
{
  return (double *)values + RD_IDX3(day, group, 0, responses->groups, (size_t)responses->samples * (size_t)responses->width);
}

typedef struct {
  const char *name;
  PetscBool   has_null_probe; /* fills RdResponses.values_null */
  /* Builds the point's data and network (every random stream from (seed, replicate, purpose)). */
  PetscErrorCode (*create)(const RdConfig *cfg, const RdPoint *point, void **model);
  /* day 0: burn-in; day > 0: one day of continual training. *diverged on a non-finite loss. */
  PetscErrorCode (*train)(void *model, PetscInt day, PetscBool *diverged);
  /* With the weights of `day` frozen: its per-day results (loss, accuracy, modularity, ...) and
   * its probes into responses (day `day`). *diverged if what it measures is not finite. */
  PetscErrorCode (*observe)(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged);
  /* After the last valid day: the model's own analyses (may be NULL). */
  PetscErrorCode (*finish)(void *model, const RdResponses *responses, PetscInt valid_days, RdPointResult *result);
  PetscErrorCode (*destroy)(void **model);
} RdModelOps;

extern const RdModelOps rd_linear_ops, rd_classifier_ops, rd_autoencoder_ops;

/* The linear model's task of a point (random stimuli of its replicate, or a reference
 * configuration of the theory); the replica protocol uses it too. */
PetscErrorCode RdLinearPointTask(const RdConfig *cfg, const RdPoint *point, RdTask *task);

/* Autoencoder: the share of the source samples in the corner region {s1 + s2 < -2 + corner_cut}
 * (its presentation probability when the samples are presented uniformly). */
PetscErrorCode RdAutoencoderCornerShare(const RdConfig *cfg, double *share);

/* The ops of cfg->model. */
const RdModelOps *RdModelOpsOf(const RdConfig *cfg);

#endif
