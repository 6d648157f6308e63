/* Every repdrift option: declared here once (so -help documents it), read, and validated.
 * Messages of PETSC_ERR_USER_INPUT name the option to change. */
#include <repdrift/config.h>
#include <math.h>

static const char *const model_names[]    = {"linear", "classifier", "autoencoder"};
static const char *const data_names[]     = {"random", "e1", "e3"};
static const char *const protocol_names[] = {"days", "replicas"};

const char *RdModelName(RdModelType model) { return model_names[model]; }
const char *RdProtocolName(RdProtocol protocol) { return protocol_names[protocol]; }

/* Comma-list options: PETSc truncates over-long lists silently and reports a valueless option as
 * unset; both become errors here so a sweep is never quietly different. n was read with room for
 * one value more than allowed. */
static PetscErrorCode CheckListRead(const char *name, PetscBool set, PetscInt n)
{
  PetscBool named;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasName(NULL, NULL, name, &named));
  PetscCheck(!named || set, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Option %s was given no values: give a comma-separated list (the sweep would be empty)", name);
  PetscCheck(n <= RD_MAX_AXIS_VALUES, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Option %s has more than %d values", name, RD_MAX_AXIS_VALUES);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadRealList(PetscOptionItems *PetscOptionsObject, const char *name, const char *text, PetscReal *values, PetscInt *count)
{
  PetscReal buffer[RD_MAX_AXIS_VALUES + 1];
  PetscInt  n = RD_MAX_AXIS_VALUES + 1;
  PetscBool set;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < *count; i++) buffer[i] = values[i];
  PetscCall(PetscOptionsRealArray(name, text, NULL, buffer, &n, &set));
  PetscCall(CheckListRead(name, set, n));
  if (set) {
    *count = n;
    for (PetscInt i = 0; i < n; i++) values[i] = buffer[i];
  }
  for (PetscInt i = 0; i < *count; i++) PetscCheck(isfinite(values[i]), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Option %s: value %" PetscInt_FMT " is not a finite number", name, i + 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadIntList(PetscOptionItems *PetscOptionsObject, const char *name, const char *text, PetscInt *values, PetscInt *count)
{
  PetscInt  buffer[RD_MAX_AXIS_VALUES + 1];
  PetscInt  n = RD_MAX_AXIS_VALUES + 1;
  PetscBool set;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < *count; i++) buffer[i] = values[i];
  PetscCall(PetscOptionsIntArray(name, text, NULL, buffer, &n, &set));
  PetscCall(CheckListRead(name, set, n));
  if (set) {
    *count = n;
    for (PetscInt i = 0; i < n; i++) values[i] = buffer[i];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void SetDefaults(RdConfig *cfg)
{
  PetscCallAbort(PETSC_COMM_SELF, PetscMemzero(cfg, sizeof(*cfg)));
  cfg->model = RD_MODEL_LINEAR;
  PetscCallAbort(PETSC_COMM_SELF, PetscStrncpy(cfg->output, "repdrift.h5", sizeof cfg->output));
  cfg->seed        = 1;
  cfg->slice_index = 0;
  cfg->slice_count = 1;

  /* the embedded default sweep: 3 x 2 x 3 x 2 = 36 points, about a minute on 2 cores */
  cfg->axes.n_frequency    = 3;
  cfg->axes.frequency[0]   = 0.1;
  cfg->axes.frequency[1]   = 0.25;
  cfg->axes.frequency[2]   = 0.5;
  cfg->axes.n_noise_level  = 2;
  cfg->axes.noise_level[0] = 0.0;
  cfg->axes.noise_level[1] = 0.2;
  cfg->axes.n_width        = 3;
  cfg->axes.width[0]       = 16;
  cfg->axes.width[1]       = 64;
  cfg->axes.width[2]       = 256;
  cfg->axes.n_lr           = 1;
  cfg->axes.lr[0]          = 0.02;
  cfg->axes.n_seeds        = 2;

  cfg->num_stimuli  = 4;
  cfg->input_dim    = 16;
  cfg->output_dim   = 8;
  cfg->input_noise  = 0.1;
  cfg->weight_decay = 1e-3;
  cfg->init_scale   = 0.5;
  cfg->batch        = 1;

  cfg->burnin_steps  = 100000;
  cfg->days          = 10;
  cfg->steps_per_day = 10000;
  cfg->probe_samples = 200;
  cfg->probe_dropout = PETSC_TRUE;
  cfg->readout_l2    = 1e-2;

  cfg->protocol       = RD_PROTOCOL_DAYS;
  cfg->replicas       = 400;
  cfg->replica_steps  = 100000;
  cfg->record_every   = 1000;
  cfg->relax_steps    = 0;
  cfg->replica_groups = 20;
  cfg->msd_max_lag    = 50;
}

static PetscErrorCode Validate(const RdConfig *cfg)
{
  const RdSweepAxes *axes = &cfg->axes;

  PetscFunctionBeginUser;
  PetscCheck(cfg->model == RD_MODEL_LINEAR, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-model %s is not available in this version: use -model linear", RdModelName(cfg->model));
  PetscCheck(!(cfg->resume && cfg->overwrite), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-resume and -overwrite contradict each other: -resume continues the existing -output, -overwrite replaces it");
  PetscCheck(cfg->slice_count >= 1 && cfg->slice_index >= 0 && cfg->slice_index < cfg->slice_count, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_slice %" PetscInt_FMT ",%" PetscInt_FMT ": need 0 <= INDEX < COUNT", cfg->slice_index, cfg->slice_count);
  PetscCheck(cfg->seed >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-seed must be >= 0 (got %" PetscInt_FMT ")", cfg->seed);
  PetscCheck(axes->n_frequency > 0 && axes->n_noise_level > 0 && axes->n_width > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Empty sweep: -sweep_frequency, -sweep_dropout and -sweep_width each need at least one value");
  PetscCheck(axes->n_seeds >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Empty sweep: -sweep_seeds must be >= 1 (got %" PetscInt_FMT ")", axes->n_seeds);
  PetscCheck(axes->n_seeds <= 1000000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_seeds %" PetscInt_FMT " is too large (at most 1000000)", axes->n_seeds);
  for (PetscInt i = 0; i < axes->n_frequency; i++)
    PetscCheck(axes->frequency[i] > 0 && axes->frequency[i] < 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_frequency: value %g is outside (0,1); it is the presentation probability of stimulus 0", (double)axes->frequency[i]);
  for (PetscInt i = 0; i < axes->n_noise_level; i++)
    PetscCheck(axes->noise_level[i] >= 0 && axes->noise_level[i] < 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_dropout: value %g is outside [0,1); it is the hidden-unit dropout probability", (double)axes->noise_level[i]);
  for (PetscInt i = 0; i < axes->n_width; i++)
    PetscCheck(axes->width[i] >= 1 && axes->width[i] <= 65536, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_width: width %" PetscInt_FMT " is outside [1, 65536]", axes->width[i]);

  PetscCheck(cfg->num_stimuli >= 2 && cfg->num_stimuli <= 4096, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-num_stimuli must be in [2, 4096] (the readout compares stimuli 0 and 1); got %" PetscInt_FMT, cfg->num_stimuli);
  PetscCheck(cfg->input_dim >= 1 && cfg->input_dim <= 65536, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-input_dim must be in [1, 65536]; got %" PetscInt_FMT, cfg->input_dim);
  PetscCheck(cfg->output_dim >= 1 && cfg->output_dim <= 65536, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-output_dim must be in [1, 65536]; got %" PetscInt_FMT, cfg->output_dim);
  PetscCheck(isfinite(cfg->input_noise) && cfg->input_noise >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-input_noise must be a finite number >= 0; got %g", (double)cfg->input_noise);
  for (PetscInt i = 0; i < axes->n_lr; i++) PetscCheck(isfinite(axes->lr[i]) && axes->lr[i] > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-lr / -sweep_lr: the learning rate must be a finite number > 0; got %g", (double)axes->lr[i]);
  if (cfg->protocol == RD_PROTOCOL_REPLICAS) {
    PetscCheck(cfg->replicas >= 2 && cfg->replicas <= 1000000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-replicas must be in [2, 1000000]; got %" PetscInt_FMT, cfg->replicas);
    PetscCheck(cfg->record_every >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-record_every must be >= 1; got %" PetscInt_FMT, cfg->record_every);
    PetscCheck(cfg->replica_steps >= cfg->record_every && cfg->replica_steps % cfg->record_every == 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-replica_steps (%" PetscInt_FMT ") must be a positive multiple of -record_every (%" PetscInt_FMT ")", cfg->replica_steps, cfg->record_every);
    PetscCheck(cfg->replica_steps / cfg->record_every <= 100000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-replica_steps / -record_every = %" PetscInt_FMT " records is too many (at most 100000)", cfg->replica_steps / cfg->record_every);
    PetscCheck(cfg->relax_steps >= 0 && cfg->relax_steps < cfg->replica_steps, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-relax_steps must be in [0, -replica_steps); 0 chooses it from the theory");
    PetscCheck(cfg->replica_groups >= 2 && cfg->replica_groups <= cfg->replicas, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-replica_groups must be in [2, -replicas]; got %" PetscInt_FMT, cfg->replica_groups);
    PetscCheck(cfg->msd_max_lag >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-msd_max_lag must be >= 1");
    PetscCheck(cfg->batch == 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-protocol replicas needs -batch 1 (the theory is for online SGD)");
  }
  PetscCheck(isfinite(cfg->weight_decay) && cfg->weight_decay >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-weight_decay must be a finite number >= 0; got %g", (double)cfg->weight_decay);
  PetscCheck(isfinite(cfg->init_scale) && cfg->init_scale >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-init_scale must be a finite number >= 0; got %g", (double)cfg->init_scale);
  PetscCheck(cfg->batch >= 1 && cfg->batch <= 1000000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-batch must be in [1, 1000000]; got %" PetscInt_FMT, cfg->batch);
  PetscCheck(cfg->burnin_steps >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-burnin_steps must be >= 0; got %" PetscInt_FMT, cfg->burnin_steps);
  PetscCheck(cfg->days >= 1 && cfg->days <= 10000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-days must be in [1, 10000]; got %" PetscInt_FMT, cfg->days);
  PetscCheck(cfg->steps_per_day >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-steps_per_day must be >= 1; got %" PetscInt_FMT, cfg->steps_per_day);
  PetscCheck(cfg->probe_samples >= 4 && cfg->probe_samples <= 1000000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-probe_samples must be in [4, 1000000] (split halves need two samples each); got %" PetscInt_FMT, cfg->probe_samples);
  PetscCheck(isfinite(cfg->readout_l2) && cfg->readout_l2 > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-readout_l2 must be a finite number > 0; got %g", (double)cfg->readout_l2);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The reference configurations fix K, n and d: asking for others is a contradiction. */
static PetscErrorCode ApplyDataSet(MPI_Comm comm, RdConfig *cfg)
{
  const char *sizes[3] = {"-num_stimuli", "-input_dim", "-output_dim"};

  PetscFunctionBeginUser;
  if (cfg->data == RD_DATA_RANDOM) PetscFunctionReturn(PETSC_SUCCESS);
  for (int i = 0; i < 3; i++) {
    PetscBool given;
    PetscCall(PetscOptionsHasName(NULL, NULL, sizes[i], &given));
    PetscCheck(!given, comm, PETSC_ERR_USER_INPUT, "%s does not apply to -data %s, whose sizes are fixed: remove it", sizes[i], data_names[cfg->data]);
  }
  cfg->num_stimuli = cfg->data == RD_DATA_E3 ? 3 : 4;
  cfg->input_dim = cfg->output_dim = cfg->data == RD_DATA_E3 ? 2 : 3;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdConfigFromOptions(MPI_Comm comm, RdConfig *cfg)
{
  PetscInt model = RD_MODEL_LINEAR, choice;

  PetscFunctionBeginUser;
  SetDefaults(cfg);
  PetscOptionsBegin(comm, NULL, "repdrift: representational drift under continual online learning", NULL);
  {
    PetscCall(PetscOptionsEList("-model", "Model trained continually (only linear in this version)", NULL, model_names, 3, model_names[cfg->model], &model, NULL));
    cfg->model = (RdModelType)model;
    PetscCall(PetscOptionsString("-output", "Archive to write (refused if it exists, see -overwrite)", NULL, cfg->output, cfg->output, sizeof cfg->output, NULL));
    PetscCall(PetscOptionsBool("-overwrite", "Replace an existing -output file", NULL, cfg->overwrite, &cfg->overwrite, NULL));
    PetscCall(PetscOptionsBool("-terse", "Stable rounded output without timings (golden tests)", NULL, cfg->terse, &cfg->terse, NULL));
    PetscCall(PetscOptionsBool("-save_responses", "Store every probe response in /responses/probe", NULL, cfg->save_responses, &cfg->save_responses, NULL));
    PetscCall(PetscOptionsBool("-resume", "Reopen an existing -output (same options and schema) and compute only the points not yet done", NULL, cfg->resume, &cfg->resume, NULL));
    {
      PetscInt  slice[2] = {cfg->slice_index, cfg->slice_count}, n_slice = 2;
      PetscBool slice_set;
      PetscCall(PetscOptionsIntArray("-sweep_slice", "INDEX,COUNT: compute only slice INDEX of COUNT contiguous slices of the points (job arrays; merge with repdrift-merge)", NULL, slice, &n_slice, &slice_set));
      PetscCheck(!slice_set || n_slice == 2, comm, PETSC_ERR_USER_INPUT, "-sweep_slice takes two integers INDEX,COUNT (e.g. -sweep_slice 0,4)");
      cfg->slice_index = slice[0];
      cfg->slice_count = slice[1];
    }
    PetscCall(PetscOptionsInt("-seed", "Global seed: every random stream derives from (seed, replicate, purpose)", NULL, cfg->seed, &cfg->seed, NULL));

    PetscCall(ReadRealList(PetscOptionsObject, "-sweep_frequency", "Sweep axis: presentation probability of stimulus 0, in (0,1); the other stimuli share the rest equally", cfg->axes.frequency, &cfg->axes.n_frequency));
    PetscCall(ReadRealList(PetscOptionsObject, "-sweep_dropout", "Sweep axis: hidden-unit (inverted) dropout probability, in [0,1)", cfg->axes.noise_level, &cfg->axes.n_noise_level));
    PetscCall(ReadIntList(PetscOptionsObject, "-sweep_width", "Sweep axis: hidden width m", cfg->axes.width, &cfg->axes.n_width));
    PetscCall(PetscOptionsInt("-sweep_seeds", "Sweep axis: replicates 0..N-1 (each has its own stimuli, targets, init and noise)", NULL, cfg->axes.n_seeds, &cfg->axes.n_seeds, NULL));

    choice = cfg->data; /* EList leaves its output untouched when the option is absent */
    PetscCall(PetscOptionsEList("-data", "Task: random (K random unit stimuli and targets), e1 or e3 (the theory's reference configurations, sizes fixed)", NULL, data_names, 3, data_names[cfg->data], &choice, NULL));
    cfg->data = (RdDataSet)choice;
    choice = cfg->protocol;
    PetscCall(PetscOptionsEList("-protocol", "days: burn-in, days, probes and drift geometry; replicas: the linear network's drift theory against R replicas started at theta*", NULL, protocol_names, 2, protocol_names[cfg->protocol], &choice, NULL));
    cfg->protocol = (RdProtocol)choice;
    PetscCall(PetscOptionsInt("-replicas", "Replica protocol: independent SGD streams started at theta*", NULL, cfg->replicas, &cfg->replicas, NULL));
    PetscCall(PetscOptionsInt("-replica_steps", "Replica protocol: SGD steps of every replica", NULL, cfg->replica_steps, &cfg->replica_steps, NULL));
    PetscCall(PetscOptionsInt("-record_every", "Replica protocol: steps between records of h_s", NULL, cfg->record_every, &cfg->record_every, NULL));
    PetscCall(PetscOptionsInt("-relax_steps", "Replica protocol: records before this step are left out of the estimates (0: 10 relaxation times of the theory, else a tenth of the run)", NULL, cfg->relax_steps, &cfg->relax_steps, NULL));
    PetscCall(PetscOptionsInt("-replica_groups", "Replica protocol: jackknife groups for the standard errors", NULL, cfg->replica_groups, &cfg->replica_groups, NULL));
    PetscCall(PetscOptionsInt("-msd_max_lag", "Replica protocol: longest lag (in records) of the single-run MSD", NULL, cfg->msd_max_lag, &cfg->msd_max_lag, NULL));
    PetscCall(PetscOptionsInt("-num_stimuli", "Number of stimuli K", NULL, cfg->num_stimuli, &cfg->num_stimuli, NULL));
    PetscCall(PetscOptionsInt("-input_dim", "Input dimension n (stimuli are random unit vectors)", NULL, cfg->input_dim, &cfg->input_dim, NULL));
    PetscCall(PetscOptionsInt("-output_dim", "Output dimension d (targets are random unit vectors)", NULL, cfg->output_dim, &cfg->output_dim, NULL));
    PetscCall(PetscOptionsReal("-input_noise", "Std s of the Gaussian noise added to every presentation (in-class variance)", NULL, cfg->input_noise, &cfg->input_noise, NULL));
    {
      PetscReal lr = cfg->axes.lr[0];
      PetscBool lr_set, list_set;
      PetscCall(PetscOptionsReal("-lr", "SGD learning rate eta (one value; -sweep_lr for an axis)", NULL, lr, &lr, &lr_set));
      PetscCall(ReadRealList(PetscOptionsObject, "-sweep_lr", "Sweep axis: SGD learning rate eta (default: the single value of -lr)", cfg->axes.lr, &cfg->axes.n_lr));
      PetscCall(PetscOptionsHasName(NULL, NULL, "-sweep_lr", &list_set));
      PetscCheck(!(lr_set && list_set), comm, PETSC_ERR_USER_INPUT, "Give either -lr or -sweep_lr, not both");
      if (lr_set) {
        cfg->axes.n_lr  = 1;
        cfg->axes.lr[0] = lr;
      }
    }
    PetscCall(PetscOptionsReal("-weight_decay", "Weight decay g on both layers", NULL, cfg->weight_decay, &cfg->weight_decay, NULL));
    PetscCall(PetscOptionsReal("-init_scale", "Initial weights ~ N(0, init_scale^2 / fan_in)", NULL, cfg->init_scale, &cfg->init_scale, NULL));
    PetscCall(PetscOptionsInt("-batch", "Presentations averaged per SGD step", NULL, cfg->batch, &cfg->batch, NULL));

    PetscCall(PetscOptionsInt("-burnin_steps", "SGD steps before day 0", NULL, cfg->burnin_steps, &cfg->burnin_steps, NULL));
    PetscCall(PetscOptionsInt("-days", "Days after burn-in (day 0 = end of burn-in)", NULL, cfg->days, &cfg->days, NULL));
    PetscCall(PetscOptionsInt("-steps_per_day", "SGD steps per day", NULL, cfg->steps_per_day, &cfg->steps_per_day, NULL));
    PetscCall(PetscOptionsInt("-probe_samples", "Fresh probe presentations per stimulus and day (weights frozen)", NULL, cfg->probe_samples, &cfg->probe_samples, NULL));
    PetscCall(PetscOptionsBool("-probe_dropout", "Keep dropout on, redrawn, while probing (the paper's protocol)", NULL, cfg->probe_dropout, &cfg->probe_dropout, NULL));
    PetscCall(PetscOptionsReal("-readout_l2", "L2 penalty of the cross-day logistic classifier (stimulus 0 vs 1)", NULL, cfg->readout_l2, &cfg->readout_l2, NULL));
  }
  PetscOptionsEnd();
  PetscCall(PetscOptionsHasHelp(NULL, &cfg->help));
  if (!cfg->help) PetscCall(ApplyDataSet(comm, cfg));
  if (!cfg->help) PetscCall(Validate(cfg));
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

/* Appends one formatted line to a growing PetscMalloc'ed text. */
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

static void FormatRealList(const PetscReal *values, PetscInt n, char *out, size_t size)
{
  out[0] = '\0';
  for (PetscInt i = 0; i < n; i++) {
    char item[64];
    PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(item, sizeof item, i ? ",%.17g" : "%.17g", (double)values[i]));
    PetscCallAbort(PETSC_COMM_SELF, PetscStrlcat(out, item, size));
  }
}

PetscErrorCode RdConfigOptionsText(const RdConfig *cfg, char **text)
{
  char   line[RD_MAX_AXIS_VALUES * 26 + 64], list[RD_MAX_AXIS_VALUES * 26];
  size_t length = 0, capacity = 0;

  PetscFunctionBeginUser;
  *text = NULL;
#define LINE(...) \
  do { \
    PetscCall(PetscSNPrintf(line, sizeof line, __VA_ARGS__)); \
    PetscCall(AppendLine(text, &length, &capacity, line)); \
  } while (0)
  LINE("-model %s", RdModelName(cfg->model));
  LINE("-seed %" PetscInt_FMT, cfg->seed);
  LINE("-save_responses %s", cfg->save_responses ? "true" : "false");
  FormatRealList(cfg->axes.frequency, cfg->axes.n_frequency, list, sizeof list);
  LINE("-sweep_frequency %s", list);
  FormatRealList(cfg->axes.noise_level, cfg->axes.n_noise_level, list, sizeof list);
  LINE("-sweep_dropout %s", list);
  list[0] = '\0';
  for (PetscInt i = 0; i < cfg->axes.n_width; i++) {
    char item[32];
    PetscCall(PetscSNPrintf(item, sizeof item, i ? ",%" PetscInt_FMT : "%" PetscInt_FMT, cfg->axes.width[i]));
    PetscCall(PetscStrlcat(list, item, sizeof list));
  }
  LINE("-sweep_width %s", list);
  LINE("-sweep_seeds %" PetscInt_FMT, cfg->axes.n_seeds);
  LINE("-data %s", data_names[cfg->data]);
  if (cfg->data == RD_DATA_RANDOM) {
    LINE("-num_stimuli %" PetscInt_FMT, cfg->num_stimuli);
    LINE("-input_dim %" PetscInt_FMT, cfg->input_dim);
    LINE("-output_dim %" PetscInt_FMT, cfg->output_dim);
  }
  LINE("-protocol %s", protocol_names[cfg->protocol]);
  if (cfg->protocol == RD_PROTOCOL_REPLICAS) {
    LINE("-replicas %" PetscInt_FMT, cfg->replicas);
    LINE("-replica_steps %" PetscInt_FMT, cfg->replica_steps);
    LINE("-record_every %" PetscInt_FMT, cfg->record_every);
    LINE("-relax_steps %" PetscInt_FMT, cfg->relax_steps);
    LINE("-replica_groups %" PetscInt_FMT, cfg->replica_groups);
    LINE("-msd_max_lag %" PetscInt_FMT, cfg->msd_max_lag);
  }
  LINE("-input_noise %.17g", (double)cfg->input_noise);
  FormatRealList(cfg->axes.lr, cfg->axes.n_lr, list, sizeof list);
  LINE("-sweep_lr %s", list);
  LINE("-weight_decay %.17g", (double)cfg->weight_decay);
  LINE("-init_scale %.17g", (double)cfg->init_scale);
  LINE("-batch %" PetscInt_FMT, cfg->batch);
  LINE("-burnin_steps %" PetscInt_FMT, cfg->burnin_steps);
  LINE("-days %" PetscInt_FMT, cfg->days);
  LINE("-steps_per_day %" PetscInt_FMT, cfg->steps_per_day);
  LINE("-probe_samples %" PetscInt_FMT, cfg->probe_samples);
  LINE("-probe_dropout %s", cfg->probe_dropout ? "true" : "false");
  LINE("-readout_l2 %.17g", (double)cfg->readout_l2);
#undef LINE
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
