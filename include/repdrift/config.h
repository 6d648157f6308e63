/* Every option of a run, read once from the PETSc options database and validated. */
#ifndef REPDRIFT_CONFIG_H
#define REPDRIFT_CONFIG_H

#include <repdrift/sweep.h>

typedef enum { RD_MODEL_LINEAR = 0 } RdModelType;
typedef enum { RD_DATA_RANDOM = 0, RD_DATA_E1, RD_DATA_E3 } RdDataSet;
typedef enum { RD_PROTOCOL_DAYS = 0, RD_PROTOCOL_REPLICAS } RdProtocol;

typedef struct {
  /* run */
  RdModelType model;
  char        output[PETSC_MAX_PATH_LEN];
  PetscBool   overwrite, terse, save_responses, help;
  PetscBool   resume;                   /* reopen -output and compute only unfinished points */
  PetscInt    slice_index, slice_count; /* run only slice slice_index of slice_count (array jobs) */
  PetscInt    seed;

  /* sweep */
  RdSweepAxes axes;

  /* task and linear model (the learning rate is the sweep axis axes.lr) */
  RdDataSet data;
  PetscInt  num_stimuli, input_dim, output_dim;
  PetscReal input_noise, weight_decay, init_scale;
  PetscInt  batch;

  /* protocol */
  PetscInt  burnin_steps, days, steps_per_day, probe_samples;
  PetscBool probe_dropout;

  /* replica protocol (linear-network theory) */
  RdProtocol protocol;
  PetscInt   replicas, replica_steps, record_every, relax_steps, replica_groups, msd_max_lag;

  /* analysis */
  PetscReal readout_l2;
} RdConfig;

/* Reads and validates every option; on -help prints the help text and sets cfg->help.
 * Errors are PETSC_ERR_USER_INPUT with a message that names the option to change. */
PetscErrorCode RdConfigFromOptions(MPI_Comm comm, RdConfig *cfg);
/* Fails naming every option that was given but never read (typos, options of other programs). */
PetscErrorCode RdConfigCheckUnusedOptions(MPI_Comm comm);
const char    *RdModelName(RdModelType model);
const char    *RdProtocolName(RdProtocol protocol);
/* Effective value of every option that decides the results, one "-name value" per line (an
 * -options_file). How a run executes (-output, -overwrite, -resume, -terse, -sweep_slice, the
 * number of ranks) is left out, so slices, resumed and single runs of one sweep share this text. */
PetscErrorCode RdConfigOptionsText(const RdConfig *cfg, char **text);
/* The options database as given, one option per line; PetscFree it. */
PetscErrorCode RdConfigGivenOptionsText(char **text);

#endif
