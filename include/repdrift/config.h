/* Every option of a run, read once from the PETSc options database and validated. */
#ifndef REPDRIFT_CONFIG_H
#define REPDRIFT_CONFIG_H

#include <repdrift/schema.h>
#include <repdrift/sweep.h>

typedef enum { RD_MODEL_LINEAR = 0, RD_MODEL_CLASSIFIER, RD_MODEL_AUTOENCODER } RdModelType;
/* -data: the linear model's tasks (random, e1, e3), the classifier's Gaussian mixture, or an HDF5
 * file with /inputs and /labels (classifier). */
typedef enum { RD_DATA_RANDOM = 0, RD_DATA_E1, RD_DATA_E3, RD_DATA_MIXTURE, RD_DATA_FILE } RdDataSet;
/* -sources: the autoencoder's source sets (modularity.md); all but file are k x k grids on [-1,1]^2
 * or built-in 3-D sets. */
typedef enum { RD_SOURCES_GRID = 0, RD_SOURCES_DIAGONAL, RD_SOURCES_HOLE, RD_SOURCES_UNIFORM, RD_SOURCES_CUBE, RD_SOURCES_TETRAHEDRON, RD_SOURCES_FILE } RdSourceSet;
typedef enum { RD_OPTIMIZER_ADAM = 0, RD_OPTIMIZER_SGD } RdOptimizerType;
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
  PetscBool   frequency_given; /* -sweep_frequency given; else the model's natural presentation (uniform) */

  /* task and linear model (the learning rate is the sweep axis axes.lr) */
  RdDataSet data;
  char      data_file[PETSC_MAX_PATH_LEN]; /* -data FILE.h5 (classifier) */
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

  /* classifier (-model classifier): num_stimuli = analysed classes, days = epochs x snapshots */
  PetscInt  hidden_dim, num_classes, train_per_class, probe_every;
  PetscReal momentum;
  PetscInt  mixture_rank;
  PetscReal mixture_separation, mixture_scale, mixture_anisotropy;
  PetscInt  burnin_epochs, burnin_max_epochs, epochs, snapshots_per_epoch;
  PetscBool burnin_until_plateau;

  /* autoencoder (-model autoencoder): num_stimuli = 1 group (the source distribution) */
  RdSourceSet     sources;
  char            sources_file[PETSC_MAX_PATH_LEN];
  PetscInt        grid_size, uniform_samples, diagonal_repeats, num_sources;
  PetscReal       corner_cut, hole_radius;
  PetscReal       activity_l2, nonneg_penalty;
  RdOptimizerType optimizer;
} RdConfig;

/* Reads and validates every option; on -help prints the help text and sets cfg->help.
 * Errors are PETSC_ERR_USER_INPUT with a message that names the option to change. */
PetscErrorCode RdConfigFromOptions(MPI_Comm comm, RdConfig *cfg);
/* Fails naming every option that was given but never read (typos, options of other programs). */
PetscErrorCode RdConfigCheckUnusedOptions(MPI_Comm comm);
const char    *RdModelName(RdModelType model);
const char    *RdDataSetName(RdDataSet data);
const char    *RdSourceSetName(RdSourceSet sources);
const char    *RdProtocolName(RdProtocol protocol);
/* The optional archive groups of this run. */
RdSchemaSelection RdConfigSchemaSelection(const RdConfig *cfg);
/* Effective value of every option that decides the results, one "-name value" per line (an
 * -options_file). How a run executes (-output, -overwrite, -resume, -terse, -sweep_slice, the
 * number of ranks) is left out, so slices, resumed and single runs of one sweep share this text. */
PetscErrorCode RdConfigOptionsText(const RdConfig *cfg, char **text);
/* The options database as given, one option per line; PetscFree it. */
PetscErrorCode RdConfigGivenOptionsText(char **text);

#endif
