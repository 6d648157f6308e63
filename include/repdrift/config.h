/* The options of a run, read once from the PETSc options database (command line, -options_file,
 * PETSC_OPTIONS) and validated; written back as text into the archive's /config/options.
 *
 * The run's own options (the archive, the sweep axes, the training and probing every model shares)
 * are rows of the tables in config.c; the chosen model's are its own table (RdModelOps.options,
 * include/repdrift/model.h), read into cfg->model_options. Options of another model are refused,
 * not ignored. Reading options does no other I/O: the model's input files are read by
 * RdModelSetUp. */
#ifndef REPDRIFT_CONFIG_H
#define REPDRIFT_CONFIG_H

#include <repdrift/options.h>
#include <repdrift/schema.h>
#include <repdrift/sweep.h>

typedef struct RdModelOps RdModelOps;

/* -schedule (run.c): a free rank takes the next point of the plan's queue, or each rank runs the
 * points the static plan gave it */
typedef enum { RD_SCHEDULE_DYNAMIC = 0, RD_SCHEDULE_STATIC = 1 } RdSchedule;

typedef struct RdConfig {
  /* the run */
  const RdModelOps *model;                            /* -model */
  void             *model_options;                    /* the model's options (its table's struct) */
  char              model_name[RD_OPTION_STRING_SIZE]; /* -model as given */
  char              output[RD_OPTION_STRING_SIZE];
  PetscBool         overwrite, terse, save_responses, help;
  PetscBool         resume;                /* reopen -output and compute only unfinished points */
  PetscBool         break_lock;            /* take over a stale claim on -output (claim.h) */
  PetscReal         write_interval;        /* least seconds between collective write rounds (rounds.h) */
  PetscInt          schedule;              /* RD_SCHEDULE_*: which rank computes which point (sweep.h) */
  PetscInt          slice[2], n_slice;     /* -sweep_slice INDEX,COUNT (array jobs) */
  PetscInt          slice_index, slice_count;
  PetscInt          seed;

  /* the sweep */
  RdSweepAxes axes;
  PetscBool   frequency_given; /* -sweep_frequency given; else the model's natural presentation */

  /* training and probing, shared by every model (the learning rate is the axis axes.lr) */
  PetscReal weight_decay;
  PetscInt  batch;
  PetscInt  burnin_steps, days, steps_per_day; /* the days protocol: day 0 = end of burn-in */
  PetscInt  probe_samples;
  PetscReal readout_l2;

  /* set by the model (RdModelSetUp): the stimulus groups probed every day */
  PetscInt num_stimuli;
} RdConfig;

/* Reads and validates every option of the run and of its -model; with -help prints every option
 * (of every model) with its default and sets cfg->help. A wrong option is a PETSC_ERR_USER_INPUT
 * error on comm whose message names the option to change. Free with RdConfigDestroy. */
PetscErrorCode RdConfigFromOptions(MPI_Comm comm, RdConfig *cfg);
PetscErrorCode RdConfigDestroy(RdConfig *cfg);
/* Fails naming every option that was given but never read (typos, options of other programs). */
PetscErrorCode RdConfigCheckUnusedOptions(MPI_Comm comm);
/* The optional archive groups of this run. */
RdSchemaSelection RdConfigSchemaSelection(const RdConfig *cfg);
/* Effective value of every option that decides the results, one "-name value" per line (an
 * -options_file). How a run executes (-output, -overwrite, -resume, -terse, -sweep_slice, the
 * number of ranks) is left out, so slices, resumed and single runs of one sweep share this text.
 * After RdModelSetUp (values the model derives are written as resolved). PetscFree it. */
PetscErrorCode RdConfigOptionsText(const RdConfig *cfg, char **text);
/* The options database as given, one option per line; PetscFree it. */
PetscErrorCode RdConfigGivenOptionsText(char **text);
/* The tables of the run's own options (for tests and -help): before and after the model's. */
const RdOption *RdConfigRunOptions(void);
const RdOption *RdConfigTrainingOptions(void);

#endif
