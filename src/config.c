/* The options of a run (include/repdrift/config.h): the run's own option tables, the choice of the
 * model, the refusal of other models' options, the checks that involve several options, and the
 * text of the run's options. Every option is a row of a table (include/repdrift/options.h); this
 * file names no model: what differs between models comes from their RdModelOps. */
#include <repdrift/config.h>
#include <repdrift/model.h>
#include <repdrift/noise.h>
#include <math.h>
#include <string.h>

_Static_assert(RD_OPTION_MAX_VALUES == RD_MAX_AXIS_VALUES, "a sweep axis is a list option");

/* the values of -noise and -sweep_noise_type (rd_noise_type_names), of -model (the registry's
 * names): NULL-ended, filled when options are read */
static const char *noise_type_choices[RD_NUM_NOISE_TYPES + 1];
static const char *model_choices[RD_MAX_MODELS + 1];
/* -schedule, in the order of RdSchedule */
static const char *schedule_choices[] = {"dynamic", "static", NULL};

static PetscBool WrittenFrequency(const RdConfig *cfg) { return cfg->frequency_given || !cfg->model->frequency_optional; }
static PetscBool WrittenNoiseTypes(const RdConfig *cfg) { return cfg->model->sweeps_noise_type; }
static PetscBool WrittenNoiseLevels(const RdConfig *cfg) { return cfg->model->sweeps_noise_type && !cfg->axes.noise_level_per_type; }
static PetscBool WrittenDropouts(const RdConfig *cfg) { return !cfg->model->sweeps_noise_type; }

#define AT(field) .offset = offsetof(RdConfig, field)
#define AXIS(values, count) .offset = offsetof(RdConfig, axes.values), .count_offset = offsetof(RdConfig, axes.count), .flags = RD_OPTION_AXIS
#define NEVER .written = RdOptionNotWritten

/* The run and its sweep: in /config/options before the model's options. */
static const RdOption run_options[] = {
  {.name = "-model", .type = RD_OPTION_STRING, AT(model_name), .choices = model_choices, .help = "Model trained continually (each has its section below)"},
  {.name = "-output", .type = RD_OPTION_STRING, AT(output), .default_value = "repdrift.h5", .help = "Archive to write (refused if it exists, see -overwrite)", NEVER},
  {.name = "-overwrite", .type = RD_OPTION_BOOL, AT(overwrite), .default_value = "false", .help = "Replace an existing -output file", NEVER},
  {.name = "-terse", .type = RD_OPTION_BOOL, AT(terse), .default_value = "false", .help = "Stable rounded output without timings (golden tests)", NEVER},
  {.name = "-resume", .type = RD_OPTION_BOOL, AT(resume), .default_value = "false", .help = "Reopen an existing -output (same options and schema) and compute only the points not yet done", NEVER},
  {.name = "-break_lock", .type = RD_OPTION_BOOL, AT(break_lock), .default_value = "false", .help = "Take over the claim on -output of a writer that is provably gone (a killed run); a live writer's claim is never broken", NEVER},
  {.name = "-write_interval", .type = RD_OPTION_REAL, AT(write_interval), .default_value = "1", .range = ">= 0", .help = "Least seconds between the collective rounds that write finished points (at least 20 times the last round's cost too); 0: every finished point at the next safe point. After kill -9, points finished but not yet written are recomputed by -resume", NEVER},
  {.name = "-schedule", .type = RD_OPTION_CHOICE, AT(schedule), .choices = schedule_choices, .default_value = "dynamic", .help = "Which rank computes which point: dynamic, a free rank takes the next point, largest estimated cost first (evens out costs the estimate cannot foresee); static, a fixed plan balanced on the estimated costs before the run. Results do not depend on it", NEVER},
  {.name = "-sweep_slice", .type = RD_OPTION_INT_LIST, AT(slice), .count_offset = offsetof(RdConfig, n_slice), .max_count = 2, .default_value = "0,1", .help = "INDEX,COUNT: compute only slice INDEX of COUNT contiguous slices of the points (job arrays; merge with repdrift-merge)", NEVER},
  {.name = "-seed", .type = RD_OPTION_INT, AT(seed), .default_value = "1", .range = ">= 0", .help = "Global seed: every random stream derives from (seed, replicate, purpose)"},
  {.name = "-save_responses", .type = RD_OPTION_BOOL, AT(save_responses), .default_value = "false", .help = "Store every probe response in /responses/probe"},
  {.name = "-sweep_frequency", .type = RD_OPTION_REAL_LIST, AXIS(frequency, n_frequency), .default_value = "0.1,0.25,0.5", .help = "Sweep axis: presentation probability of stimulus 0 (of what, and its range: the model's section)", .written = WrittenFrequency},
  {.name = "-noise", .type = RD_OPTION_CHOICE, AXIS(noise_type, n_noise_type), .choices = noise_type_choices, .alias_of = "-sweep_noise_type", .help = "Noise source (one value; -sweep_noise_type for an axis), models with noise sources", NEVER},
  {.name = "-sweep_noise_type", .type = RD_OPTION_CHOICE_LIST, AXIS(noise_type, n_noise_type), .choices = noise_type_choices, .default_value = "node_dropout", .help = "Sweep axis: noise sources (comma list of -noise values), models with noise sources", .written = WrittenNoiseTypes},
  {.name = "-sweep_dropout", .type = RD_OPTION_REAL_LIST, AXIS(noise_level, n_noise_level), .default_value = "0,0.2", .help = "Sweep axis: hidden-unit (inverted) dropout probability, in [0,1) (models without noise sources; the same axis as -sweep_noise_level)", .written = WrittenDropouts},
  {.name = "-sweep_noise_level", .type = RD_OPTION_REAL_LIST, AXIS(noise_level, n_noise_level), .alias_of = "-sweep_dropout", .help = "Sweep axis: noise level: dropout probability in [0,1) or Gaussian std s >= 0 (models with noise sources: default, each source at its model's level)", .written = WrittenNoiseLevels},
  {.name = "-sweep_width", .type = RD_OPTION_INT_LIST, AXIS(width, n_width), .default_value = "16,64,256", .range = "[1, 65536]", .help = "Sweep axis: hidden width (the width of the layer whose drift is measured)"},
  {.name = "-sweep_seeds", .type = RD_OPTION_INT, AT(axes.n_seeds), .default_value = "2", .range = "[1, 1000000]", .help = "Sweep axis: replicates 0..N-1 (each has its own data, init and noise)"},
  {NULL},
};

/* Training and probing, shared by every model: in /config/options after the model's options. */
static const RdOption training_options[] = {
  {.name = "-lr", .type = RD_OPTION_REAL, AXIS(lr, n_lr), .alias_of = "-sweep_lr", .range = "> 0", .help = "SGD learning rate eta (one value; -sweep_lr for an axis)", NEVER},
  {.name = "-sweep_lr", .type = RD_OPTION_REAL_LIST, AXIS(lr, n_lr), .default_value = "0.02", .range = "> 0", .help = "Sweep axis: SGD learning rate eta (default: the single value of -lr)"},
  {.name = "-weight_decay", .type = RD_OPTION_REAL, AT(weight_decay), .default_value = "1e-3", .range = ">= 0", .help = "Weight decay: the L2 penalty of the weights (its exact form: the model's section)"},
  {.name = "-batch", .type = RD_OPTION_INT, AT(batch), .default_value = "1", .range = "[1, 1000000]", .help = "Presentations (examples) averaged per SGD step"},
  {.name = "-burnin_steps", .type = RD_OPTION_INT, AT(burnin_steps), .default_value = "100000", .range = ">= 0", .help = "SGD steps before day 0"},
  {.name = "-days", .type = RD_OPTION_INT, AT(days), .default_value = "10", .range = "[1, 10000]", .help = "Days after burn-in (day 0 = end of burn-in)"},
  {.name = "-steps_per_day", .type = RD_OPTION_INT, AT(steps_per_day), .default_value = "10000", .range = ">= 1", .help = "SGD steps per day"},
  {.name = "-probe_samples", .type = RD_OPTION_INT, AT(probe_samples), .default_value = "200", .range = "[4, 1000000]", .why = "split halves need two samples each", .help = "Fresh probe presentations per stimulus and day (weights frozen)"},
  {.name = "-readout_l2", .type = RD_OPTION_REAL, AT(readout_l2), .default_value = "1e-2", .range = "> 0", .help = "L2 penalty of the cross-day logistic classifier (stimulus 0 vs 1)"},
  {NULL},
};

const RdOption *RdConfigRunOptions(void) { return run_options; }
const RdOption *RdConfigTrainingOptions(void) { return training_options; }

static PetscErrorCode FillChoices(void)
{
  PetscFunctionBeginUser;
  for (int t = 0; t < RD_NUM_NOISE_TYPES; t++) noise_type_choices[t] = rd_noise_type_names[t];
  noise_type_choices[RD_NUM_NOISE_TYPES] = NULL;
  for (PetscInt i = 0; i < RdModelCount(); i++) model_choices[i] = RdModelAt(i)->name;
  model_choices[RdModelCount()] = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The reason a model gives for refusing an option of the run, or NULL when it does not refuse it. */
static PetscBool Refuses(const RdModelOps *model, const char *name, const char **reason)
{
  for (const RdOptionRefusal *r = model->refused; r && r->name; r++)
    if (!strcmp(r->name, name)) {
      if (reason) *reason = r->reason;
      return PETSC_TRUE;
    }
  return PETSC_FALSE;
}

/* "it is an option of -model A or B": the models whose table has it, or that accept the run's. */
static PetscErrorCode OwnersText(const char *name, char *text, size_t size)
{
  PetscInt  n_owners = 0;
  PetscBool run_option = RdOptionsFind(run_options, name) || RdOptionsFind(training_options, name);

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(text, "it is an option of -model ", size));
  for (PetscInt i = 0; i < RdModelCount(); i++) {
    const RdModelOps *model = RdModelAt(i);
    if (run_option ? Refuses(model, name, NULL) : !RdOptionsFind(model->options, name)) continue;
    PetscCall(PetscStrlcat(text, n_owners++ ? " or " : "", size));
    PetscCall(PetscStrlcat(text, model->name, size));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of one model given to another are refused rather than silently ignored: first the
 * run's options the model refuses (with its reason), then the options of the other models. */
static PetscErrorCode RefuseOtherOptions(const RdConfig *cfg)
{
  const RdModelOps *model = cfg->model;
  char              owners[512];
  PetscBool         given;

  PetscFunctionBeginUser;
  for (const RdOptionRefusal *r = model->refused; r && r->name; r++) {
    PetscCall(RdOptionGiven(r->name, &given));
    if (!given) continue;
    if (!r->reason) PetscCall(OwnersText(r->name, owners, sizeof owners));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s does not apply to -model %s: %s", r->name, model->name, r->reason ? r->reason : owners);
  }
  for (PetscInt i = 0; i < RdModelCount(); i++) {
    const RdModelOps *other = RdModelAt(i);
    if (other == model) continue;
    for (const RdOption *option = other->options; option && option->name; option++) {
      if (RdOptionsFind(model->options, option->name)) continue;
      PetscCall(RdOptionGiven(option->name, &given));
      if (!given) continue;
      PetscCall(OwnersText(option->name, owners, sizeof owners));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s does not apply to -model %s: %s", option->name, model->name, owners);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A model's section of the options: its title and table, then (-help) its notes. */
static PetscErrorCode ReadModelOptions(MPI_Comm comm, const RdModelOps *model, void *options, PetscBool help)
{
  char title[256];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(title, sizeof title, "-model %s: %s", model->name, model->summary ? model->summary : ""));
  PetscOptionsBegin(comm, NULL, title, NULL);
  if (model->options) PetscCall(RdOptionsRead(PetscOptionsObject, model->options, options, !help));
  PetscOptionsEnd();
  if (help && model->help) {
    char notes[4096], *line = notes;
    PetscCall(PetscStrncpy(notes, model->help, sizeof notes));
    PetscCall(PetscPrintf(comm, "  Notes on -model %s:\n", model->name));
    while (line && *line) {
      char *end = strchr(line, '\n');
      if (end) *end = '\0';
      PetscCall(PetscPrintf(comm, "    %s\n", line));
      line = end ? end + 1 : NULL;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checks that involve the model or several options of the run (each option's own range was
 * checked as it was read). */
static PetscErrorCode CheckRun(const RdConfig *cfg)
{
  const RdSweepAxes *axes = &cfg->axes;

  PetscFunctionBeginUser;
  PetscCheck(!(cfg->resume && cfg->overwrite), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-resume and -overwrite contradict each other: -resume continues the existing -output, -overwrite replaces it");
  PetscCheck(cfg->n_slice == 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_slice takes two integers INDEX,COUNT (e.g. -sweep_slice 0,4)");
  PetscCheck(cfg->slice_count >= 1 && cfg->slice_index >= 0 && cfg->slice_index < cfg->slice_count, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_slice %" PetscInt_FMT ",%" PetscInt_FMT ": need 0 <= INDEX < COUNT", cfg->slice_index, cfg->slice_count);
  if (cfg->frequency_given) { /* the model's range and meaning; defaults are the model's own */
    RdOption frequency[2] = {*RdOptionsFind(run_options, "-sweep_frequency"), {NULL}};
    char     why[256];
    PetscCall(PetscSNPrintf(why, sizeof why, "it is the presentation probability of %s", cfg->model->frequency_meaning ? cfg->model->frequency_meaning : "stimulus 0"));
    frequency[0].range = cfg->model->frequency_range ? cfg->model->frequency_range : "(0, 1)";
    frequency[0].why   = why;
    PetscCall(RdOptionsCheckAll(frequency, cfg));
  }
  if (!axes->noise_level_per_type)
    for (PetscInt t = 0; t < axes->n_noise_type; t++)
      for (PetscInt i = 0; i < axes->n_noise_level; i++) {
        RdNoise noise = {(RdNoiseType)axes->noise_type[t], axes->noise_level[i]};
        PetscCall(RdNoiseCheck(&noise, cfg->model->sweeps_noise_type ? "-sweep_noise_level" : "-sweep_dropout"));
      }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadAndCheck(MPI_Comm comm, RdConfig *cfg)
{
  PetscBool dropout_given, level_given;

  PetscFunctionBeginUser;
  PetscCall(RdModelRegisterAll());
  PetscCall(FillChoices());
  PetscCall(PetscMemzero(cfg, sizeof *cfg));
  PetscCall(RdOptionsSetDefaults(run_options, cfg));
  PetscCall(RdOptionsSetDefaults(training_options, cfg));
  PetscCheck(RdModelCount() > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "No model is registered");

  /* the model first: its defaults of the run's options are shown by -help and used */
  PetscCall(PetscStrncpy(cfg->model_name, RdModelAt(0)->name, sizeof cfg->model_name));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-model", cfg->model_name, sizeof cfg->model_name, NULL));
  cfg->model = RdModelFind(cfg->model_name);
  if (!cfg->model) {
    char names[512] = "";
    for (PetscInt i = 0; i < RdModelCount(); i++) {
      PetscCall(PetscStrlcat(names, i ? ", " : "", sizeof names));
      PetscCall(PetscStrlcat(names, RdModelAt(i)->name, sizeof names));
    }
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-model: '%s' is not one of %s", cfg->model_name, names);
  }
  for (const RdOptionDefault *d = cfg->model->defaults; d && d->name; d++) PetscCall(RdOptionsSetDefault(RdOptionsFind(run_options, d->name) ? run_options : training_options, cfg, d->name, d->value));
  PetscCall(PetscCalloc(PetscMax(cfg->model->options_size, 1), &cfg->model_options));
  if (cfg->model->options) PetscCall(RdOptionsSetDefaults(cfg->model->options, cfg->model_options));
  PetscCall(PetscOptionsHasHelp(NULL, &cfg->help));
  if (!cfg->help) PetscCall(RefuseOtherOptions(cfg));

  PetscOptionsBegin(comm, NULL, "repdrift: the run and its sweep", NULL);
  PetscCall(RdOptionsRead(PetscOptionsObject, run_options, cfg, !cfg->help));
  PetscOptionsEnd();
  PetscOptionsBegin(comm, NULL, "repdrift: training and probing (every model)", NULL);
  PetscCall(RdOptionsRead(PetscOptionsObject, training_options, cfg, !cfg->help));
  PetscOptionsEnd();
  PetscCall(ReadModelOptions(comm, cfg->model, cfg->model_options, cfg->help));
  if (cfg->help) /* every other model's section, with its defaults */
    for (PetscInt i = 0; i < RdModelCount(); i++) {
      const RdModelOps *other = RdModelAt(i);
      void             *options;
      if (other == cfg->model) continue;
      PetscCall(PetscCalloc(PetscMax(other->options_size, 1), &options));
      if (other->options) PetscCall(RdOptionsSetDefaults(other->options, options));
      PetscCall(ReadModelOptions(comm, other, options, PETSC_TRUE));
      PetscCall(PetscFree(options));
    }

  cfg->slice_index = cfg->slice[0];
  cfg->slice_count = cfg->slice[1];
  PetscCall(RdOptionGiven("-sweep_frequency", &cfg->frequency_given));
  PetscCall(RdOptionGiven("-sweep_dropout", &dropout_given));
  PetscCall(RdOptionGiven("-sweep_noise_level", &level_given));
  cfg->axes.noise_level_per_type = cfg->model->sweeps_noise_type && !dropout_given && !level_given;
  if (!cfg->help) PetscCall(CheckRun(cfg));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdConfigFromOptions(MPI_Comm comm, RdConfig *cfg)
{
  PetscErrorCode failed;
  char          *specific = NULL, message[2048];

  PetscFunctionBeginUser;
  /* every rank reads the same options and so fails the same way: one collective error */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = ReadAndCheck(comm, cfg);
  PetscCall(PetscPopErrorHandler());
  if (!failed) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscErrorMessage(failed, NULL, &specific));
  PetscCall(PetscStrncpy(message, specific ? specific : "", sizeof message));
  /* what the options caused is the user's to fix (a value a check refused with its own code,
   * e.g. RdNoiseCheck's); a bug of the tables or no memory is not */
  SETERRQ(comm, failed == PETSC_ERR_PLIB || failed == PETSC_ERR_MEM ? failed : PETSC_ERR_USER_INPUT, "%s", message);
}

PetscErrorCode RdConfigDestroy(RdConfig *cfg)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(cfg->model_options));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdConfigCheckUnusedOptions(MPI_Comm comm)
{
  PetscInt n_unused;
  char   **names, **values;
  char     list[1024] = "";

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(NULL, &n_unused, &names, &values));
  for (PetscInt i = 0; i < n_unused; i++) {
    PetscCall(PetscStrlcat(list, i ? ", -" : "-", sizeof list));
    PetscCall(PetscStrlcat(list, names[i], sizeof list));
  }
  PetscInt n_reported = n_unused; /* LeftRestore zeroes its count argument */
  PetscCall(PetscOptionsLeftRestore(NULL, &n_unused, &names, &values));
  n_unused = n_reported;
  PetscCheck(n_unused == 0, comm, PETSC_ERR_USER_INPUT, "Unknown option%s %s: not a repdrift option (misspelt?). Run with -help for the list", n_unused > 1 ? "s" : "", list);
  PetscFunctionReturn(PETSC_SUCCESS);
}

RdSchemaSelection RdConfigSchemaSelection(const RdConfig *cfg)
{
  RdSchemaSelection selection = {{PETSC_FALSE}};

  selection.with[RD_WITH_SAVE_RESPONSES] = cfg->save_responses;
  if (cfg->model->schema) cfg->model->schema(cfg, &selection);
  return selection;
}

/* Appends one line to a growing PetscMalloc'ed text. */
static PetscErrorCode AppendLine(char **text, size_t *length, size_t *capacity, const char *line)
{
  size_t add;

  PetscFunctionBeginUser;
  PetscCall(PetscStrlen(line, &add));
  if (*length + add + 2 > *capacity) {
    char *bigger;
    *capacity = 2 * (*capacity + add + 2);
    PetscCall(PetscMalloc1(*capacity, &bigger));
    if (*text) PetscCall(PetscMemcpy(bigger, *text, *length + 1));
    else bigger[0] = '\0';
    PetscCall(PetscFree(*text));
    *text = bigger;
  }
  PetscCall(PetscMemcpy(*text + *length, line, add));
  *length += add;
  (*text)[(*length)++] = '\n';
  (*text)[*length]     = '\0';
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  char  *text;
  size_t length, capacity;
} Text;

/* Appends the row's line if it decides this run's results: written, and not refused by the model. */
static PetscErrorCode AppendOption(const RdConfig *cfg, const RdOption *option, const void *base, Text *text)
{
  char line[RD_OPTION_MAX_VALUES * 26 + 64];

  PetscFunctionBeginUser;
  if (option->written && !option->written(cfg)) PetscFunctionReturn(PETSC_SUCCESS);
  if (Refuses(cfg->model, option->name, NULL)) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdOptionFormat(option, base, line, sizeof line));
  PetscCall(AppendLine(&text->text, &text->length, &text->capacity, line));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdConfigOptionsText(const RdConfig *cfg, char **text_out)
{
  const RdOption *model_options = cfg->model->options;
  Text            text          = {NULL, 0, 0};

  PetscFunctionBeginUser;
  for (const RdOption *option = run_options; option->name; option++) PetscCall(AppendOption(cfg, option, cfg, &text));
  for (const RdOption *option = model_options; option && option->name; option++)
    if (!option->written_after) PetscCall(AppendOption(cfg, option, cfg->model_options, &text));
  for (const RdOption *option = training_options; option->name; option++) {
    PetscCall(AppendOption(cfg, option, cfg, &text));
    for (const RdOption *placed = model_options; placed && placed->name; placed++)
      if (placed->written_after && !strcmp(placed->written_after, option->name)) PetscCall(AppendOption(cfg, placed, cfg->model_options, &text));
  }
  *text_out = text.text;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdConfigGivenOptionsText(char **text)
{
  char  *all;
  size_t length;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetAll(NULL, &all));
  /* "-a 1 -b x" -> one option per line: a new line starts at " -" followed by a letter (so
   * negative numbers stay with their option) */
  PetscCall(PetscStrlen(all, &length));
  PetscCall(PetscMalloc1(length + 2, text));
  size_t out = 0;
  for (size_t i = 0; i < length; i++) {
    if (all[i] == ' ' && i + 2 < length && all[i + 1] == '-' && ((all[i + 2] >= 'a' && all[i + 2] <= 'z') || (all[i + 2] >= 'A' && all[i + 2] <= 'Z'))) (*text)[out++] = '\n';
    else (*text)[out++] = all[i];
  }
  while (out > 0 && (*text)[out - 1] == ' ') out--;
  (*text)[out] = '\0';
  PetscCall(PetscFree(all));
  PetscFunctionReturn(PETSC_SUCCESS);
}
