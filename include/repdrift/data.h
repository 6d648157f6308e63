/* Stimuli, targets and presentation probabilities of one sweep point's task. */
#ifndef REPDRIFT_DATA_H
#define REPDRIFT_DATA_H

#include <repdrift/common.h>
#include <repdrift/rng.h>

typedef struct {
  PetscInt num_stimuli, input_dim, output_dim;
  double  *stimuli;     /* [num_stimuli][input_dim]  x_k, unit vectors */
  double  *targets;     /* [num_stimuli][output_dim] y_k, unit vectors */
  double  *probability; /* [num_stimuli] p_k, sums to 1 */
  double  *cumulative;  /* [num_stimuli] running sum of p_k, last entry exactly 1 */
} RdTask;

/* K random unit stimuli in R^n and K random unit targets in R^d drawn from the streams
 * (seed, replicate, RD_PURPOSE_STIMULI / RD_PURPOSE_TARGETS); p_0 = frequency and the other
 * K-1 stimuli share 1 - frequency equally. Depends only on (seed, replicate, sizes, frequency). */
PetscErrorCode RdTaskCreateRandom(PetscInt num_stimuli, PetscInt input_dim, PetscInt output_dim, PetscReal frequency, uint64_t seed, PetscInt replicate, RdTask *task);
/* Task from explicit arrays (copied); probabilities must be positive and sum to 1 within 1e-12. */
PetscErrorCode RdTaskCreateFromArrays(PetscInt num_stimuli, PetscInt input_dim, PetscInt output_dim, const double *stimuli, const double *targets, const double *probability, RdTask *task);
PetscErrorCode RdTaskDestroy(RdTask *task);

#endif
