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

/* Built-in configurations of the drift theory (Pashakhanloo & Koulakov 2023), frequency = p_0:
 * E3: n = d = 2, K = 3, x_k at 120 degrees, y = e1, e2, -e2, p = (p0, (1-p0)/2, (1-p0)/2);
 * E1: n = d = 3, K = 4, x = e1, e2, e3, (1,1,1)/sqrt 3, y = e1, e2, e3, (1,-1,0)/sqrt 2,
 *     p = (p0, (1-p0)/3 x 3): hidden rank 3 and a systematic rotation. */
PetscErrorCode RdTaskCreateE3(PetscReal frequency, RdTask *task);
PetscErrorCode RdTaskCreateE1(PetscReal frequency, RdTask *task);

/* One parameter of a reference configuration, as the command-line option that sets it. */
typedef struct {
  const char *option; /* e.g. "-input_noise" */
  const char *value;  /* e.g. "0" (PETSc option syntax) */
  PetscBool   fixed;  /* true: the task itself fixes it (a size), a different user value is an
                         error; false: the reference value, which a value given explicitly overrides */
} RdOptionValue;

/* Every parameter of reference configuration `name` ("e1" or "e3") that decides the theory's
 * numbers, except the presentation probability of stimulus 0 (the swept -sweep_frequency):
 * the sizes (fixed), weight decay 0.01 and learning rate 0.025 (Pashakhanloo & Koulakov's
 * setting of the drift theory), no input noise, no dropout, batch 1, and the width that holds the
 * minimum (2 for E3, 3 for E1; any larger width gives the same numbers without dropout).
 * *table points to static storage of *count entries. PETSC_ERR_USER_INPUT for another name. */
PetscErrorCode RdReferenceConfiguration(const char *name, const RdOptionValue **table, PetscInt *count);

#endif
