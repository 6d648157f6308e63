/* Models as plug-ins. A model is a network trained continually at every sweep point (the linear
 * network of Pashakhanloo & Koulakov 2023, the noisy classifier of Aitken et al. 2022, the
 * non-negative autoencoder of Dorrell et al. 2025, ...). It lives in its own files under
 * src/models/ and answers, through one RdModelOps table, everything the rest of the program asks
 * of it: its options, its inputs, the cost of a point, what the sweep presents, which archive
 * groups it fills, how a point runs, and its section of repdrift-report. The run, the archive and
 * the report never name a model: they look it up by name in the registry below, like PETSc's
 * KSPRegister/KSPSetType.
 *
 * Adding a model: new files src/models/<name>_*.c that define `const RdModelOps rd_model_<name>`,
 * and one line RD_MODEL_REGISTER(<name>) in RdModelRegisterAll (src/model.c). New archive
 * datasets, if any, are rows of the schema (src/schema.c) in an optional group (RdPresence).
 *
 * The days protocol (run.c, the same for every model): day 0 is the end of burn-in, then each day
 * the model trains and is observed with its weights frozen; after the last valid day the shared
 * drift geometry and readout analyses run on the probes, then the model's own (finish). */
#ifndef REPDRIFT_MODEL_H
#define REPDRIFT_MODEL_H

#include <repdrift/config.h>
#include <repdrift/data.h>
#include <repdrift/options.h>
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

/* A model's default for an option of the run ({"-lr", "1e-3"}), as on the command line. */
typedef struct {
  const char *name, *value;
} RdOptionDefault;

/* An option of the run that does not apply to a model, and why ("%s does not apply to -model
 * %s: REASON"); a NULL reason says which models it belongs to. */
typedef struct {
  const char *name, *reason;
} RdOptionRefusal;

struct RdModelOps {
  /* ---- identity ---- */
  const char *name;    /* -model NAME; the archive's root attribute "model" */
  const char *summary; /* one line: the title of its -help section */
  const char *help;    /* printed by -help before its options: the choices it makes (or NULL) */

  /* ---- options ---- */
  const RdOption        *options;      /* its table (options.h), NULL-name ended; destinations are
                                          offsets into a struct of options_size bytes, allocated
                                          and zeroed as cfg->model_options */
  size_t                 options_size;
  const RdOptionDefault *defaults;     /* its defaults of run options, NULL-name ended (or NULL) */
  const RdOptionRefusal *refused;      /* run options that do not apply (or NULL) */

  /* ---- the sweep ---- */
  PetscBool   sweeps_noise_type;  /* -noise / -sweep_noise_type choose its noise sources, and
                                     -sweep_noise_level their levels (default: each at the level
                                     setup puts in axes.noise_level_of_type); otherwise the noise
                                     is hidden-unit dropout at -sweep_dropout */
  const char *frequency_range;    /* valid -sweep_frequency values (NULL: "(0, 1)") */
  const char *frequency_meaning;  /* what it is the presentation probability of ("stimulus 0") */
  PetscBool   frequency_optional; /* without -sweep_frequency the stimuli are presented at their
                                     natural frequencies, and /config/options leaves it out */

  /* Once per run, on every rank, after the options and before the archive exists: derives what
   * follows from them (cfg->num_stimuli, sizes, days), reads and checks its input files, and
   * checks combinations of options. Errors are user errors (RdModelSetUp makes them collective). */
  PetscErrorCode (*setup)(RdConfig *cfg);
  /* Estimated relative cost of a point, for the plan (flops; any consistent unit). */
  PetscReal (*cost)(const RdConfig *cfg, const RdPoint *point);
  /* Bytes of the model's own state for one point at this width (the memory check; NULL: 0). */
  double (*memory)(const RdConfig *cfg, PetscInt width);
  /* The sweep description of a point: *frequency (in: the axis value; out: what /sweep/frequency
   * records) and probability[cfg->num_stimuli], the presentation probability of each stimulus
   * group (/sweep/stimulus_probability). NULL: stimulus 0 at the frequency, the others share the
   * rest equally. */
  PetscErrorCode (*stimulus_probability)(const RdConfig *cfg, const RdPoint *point, double *frequency, double *probability);

  /* ---- the archive ---- */
  /* Its optional groups (selection->with[RD_WITH_...] = PETSC_TRUE) and the sizes of dimensions
   * only it uses (RD_DIM_RECORD, RD_DIM_LAG; 1 otherwise). Either may be NULL. */
  void (*schema)(const RdConfig *cfg, RdSchemaSelection *selection);
  void (*dims)(const RdConfig *cfg, RdDims *dims);

  /* ---- protocols ---- */
  /* Its protocol's name for the plan line (NULL: "days"). */
  const char *(*protocol)(const RdConfig *cfg);
  /* Runs one point by another protocol than the days protocol when it returns with *done true
   * (NULL: always the days protocol). No MPI, no I/O; fills result and its status. */
  PetscErrorCode (*run_point)(const RdConfig *cfg, const RdDims *dims, const RdPoint *point, RdPointResult *result, PetscBool *done);

  /* The days protocol. */
  PetscBool has_null_probe; /* observe fills RdResponses.values_null */
  /* The shape of a point's responses where points differ (NULL: every point has days x stimuli x
   * -probe_samples x its width, the archive's dimensions): may lower responses->days, groups,
   * samples and width (a recording's sessions, stimuli, trials and neurons). Before create. */
  PetscErrorCode (*responses_shape)(const RdConfig *cfg, const RdPoint *point, RdResponses *responses);
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

  /* ---- repdrift-report ---- */
  /* Its tables of an archive it wrote (serial); NULL: the summary table (RdReportPrintSummary). */
  PetscErrorCode (*report)(const char *path, PetscBool terse);
};

/* ---- the registry ---- */
#define RD_MAX_MODELS 32
/* Adds a model (its name must be new). */
PetscErrorCode RdModelRegister(const RdModelOps *ops);
/* Registers every model of the program, once (later calls do nothing). */
PetscErrorCode RdModelRegisterAll(void);
/* The model called name, or NULL. */
const RdModelOps *RdModelFind(const char *name);
/* The registered models, in registration order (i < RdModelCount()). */
PetscInt          RdModelCount(void);
const RdModelOps *RdModelAt(PetscInt i);
/* Registers rd_model_<name> (defined in src/models/): one line per model in RdModelRegisterAll. */
#define RD_MODEL_REGISTER(name) \
  do { \
    extern const RdModelOps rd_model_##name; \
    PetscCall(RdModelRegister(&rd_model_##name)); \
  } while (0)

/* Collective, once per run after RdConfigFromOptions: the model's setup on every rank. A user
 * error on any rank becomes the same error on every rank (rank 0's message, or one saying that
 * another rank could not read its input), so it is reported once and every rank stops. */
PetscErrorCode RdModelSetUp(MPI_Comm comm, RdConfig *cfg);

#endif
