/* -model linear: the two-layer linear network trained by online SGD on K stimuli presented at
 * unequal frequencies (Pashakhanloo & Koulakov 2023), its options, what it derives from them, the
 * cost of a point, and its ops table. The days protocol is in linear_point.c, the replica protocol
 * of the drift theory in linear_replicas.c, its report section in linear_report.c. */
#include "linear_model.h"
#include <repdrift/data.h>
#include <string.h>

static const char *const protocol_names[] = {"days", "replicas", NULL};

static PetscBool RandomTask(const RdConfig *cfg) { return RdLinearOptionsOf(cfg)->task == RD_LINEAR_TASK_RANDOM; }
static PetscBool ReplicaProtocol(const RdConfig *cfg) { return RdLinearOptionsOf(cfg)->protocol == RD_LINEAR_PROTOCOL_REPLICAS; }

#define AT(field) .offset = offsetof(RdLinearOptions, field)

static const RdOption linear_options[] = {
  {.name = "-data", .type = RD_OPTION_STRING, AT(data), .default_value = "random", .help = "Task: random (K random unit stimuli x_k in R^n and targets y_k in R^d), e1 or e3 (the drift theory's reference configurations: sizes fixed, and every other parameter of the configuration - weight decay, lr, input noise 0, dropout 0, batch 1, width - unless given)"},
  {.name = "-num_stimuli", .type = RD_OPTION_INT, AT(num_stimuli), .default_value = "4", .range = "[2, 4096]", .why = "the readout compares stimuli 0 and 1", .help = "Number of stimuli K", .written = RandomTask},
  {.name = "-input_dim", .type = RD_OPTION_INT, AT(input_dim), .default_value = "16", .range = "[1, 65536]", .help = "Input dimension n (stimuli are random unit vectors)", .written = RandomTask},
  {.name = "-output_dim", .type = RD_OPTION_INT, AT(output_dim), .default_value = "8", .range = "[1, 65536]", .help = "Output dimension d (targets are random unit vectors)", .written = RandomTask},
  {.name = "-protocol", .type = RD_OPTION_CHOICE, AT(protocol), .choices = protocol_names, .default_value = "days", .help = "days: burn-in, days, probes and drift geometry; replicas: the drift theory against R replicas started at theta*"},
  {.name = "-replicas", .type = RD_OPTION_INT, AT(replicas), .default_value = "400", .range = "[2, 1000000]", .help = "Replica protocol: independent SGD streams started at theta*", .written = ReplicaProtocol},
  {.name = "-replica_steps", .type = RD_OPTION_INT, AT(replica_steps), .default_value = "100000", .range = ">= 1", .help = "Replica protocol: SGD steps of every replica (a multiple of -record_every)", .written = ReplicaProtocol},
  {.name = "-record_every", .type = RD_OPTION_INT, AT(record_every), .default_value = "1000", .range = ">= 1", .help = "Replica protocol: steps between records of h_s", .written = ReplicaProtocol},
  {.name = "-relax_steps", .type = RD_OPTION_INT, AT(relax_steps), .default_value = "0", .range = ">= 0", .help = "Replica protocol: records before this step are left out of the estimates (0: 10 relaxation times of the theory, else a tenth of the run)", .written = ReplicaProtocol},
  {.name = "-replica_groups", .type = RD_OPTION_INT, AT(replica_groups), .default_value = "20", .range = ">= 2", .help = "Replica protocol: jackknife groups for the standard errors (at most -replicas)", .written = ReplicaProtocol},
  {.name = "-msd_max_lag", .type = RD_OPTION_INT, AT(msd_max_lag), .default_value = "50", .range = ">= 1", .help = "Replica protocol: longest lag (in records) of the single-run MSD", .written = ReplicaProtocol},
  {.name = "-input_noise", .type = RD_OPTION_REAL, AT(input_noise), .default_value = "0.1", .range = ">= 0", .help = "Std s of the Gaussian noise added to every presentation (in-class variance)"},
  {.name = "-init_scale", .type = RD_OPTION_REAL, AT(init_scale), .default_value = "0.5", .range = ">= 0", .help = "Initial weights ~ N(0, init_scale^2 / fan_in)", .written_after = "-weight_decay"},
  {.name = "-probe_dropout", .type = RD_OPTION_BOOL, AT(probe_dropout), .default_value = "true", .help = "Keep dropout on, redrawn, while probing (the paper's protocol)", .written_after = "-probe_samples"},
  {NULL},
};

/* The noise is hidden-unit dropout: the noise-source axis is another model's. */
static const RdOptionRefusal linear_refused[] = {{"-noise", NULL}, {"-sweep_noise_type", NULL}, {NULL, NULL}};

/* The table holding the option called name (the run's, training's or this model's) and the base its
 * offsets refer to. */
static const RdOption *FindOption(RdConfig *cfg, const char *name, void **base)
{
  const RdOption *tables[3] = {RdConfigRunOptions(), RdConfigTrainingOptions(), cfg->model->options};
  void           *bases[3]  = {cfg, cfg, cfg->model_options};
  for (int t = 0; t < 3; t++) {
    const RdOption *row = RdOptionsFind(tables[t], name);
    if (row) {
      *base = bases[t];
      return tables[t];
    }
  }
  return NULL;
}

/* Whether the user gave the option under any of its names (an alias or the option it aliases). */
static PetscErrorCode GivenUnderAnyName(const RdOption *table, const char *name, PetscBool *given)
{
  const RdOption *row = RdOptionsFind(table, name);

  PetscFunctionBeginUser;
  PetscCall(RdOptionGiven(name, given));
  if (!*given && row->alias_of) PetscCall(RdOptionGiven(row->alias_of, given));
  for (const RdOption *other = table; other->name && !*given; other++)
    if (other->alias_of && !strcmp(other->alias_of, row->alias_of ? row->alias_of : name)) PetscCall(RdOptionGiven(other->name, given));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -data e1|e3: every parameter of the reference configuration (RdReferenceConfiguration, data.c)
 * that the user did not give takes its reference value; a fixed one (the sizes) given with another
 * value is an error. An alias sets its target, so a single -lr is the one-value -sweep_lr. */
static PetscErrorCode ApplyReference(RdConfig *cfg, const char *name)
{
  const RdOptionValue *reference;
  PetscInt             count;

  PetscFunctionBeginUser;
  PetscCall(RdReferenceConfiguration(name, &reference, &count));
  for (PetscInt e = 0; e < count; e++) {
    void           *base;
    const RdOption *table = FindOption(cfg, reference[e].option, &base), *row;
    const char     *target;
    PetscBool       given;
    PetscCheck(table, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Reference configuration %s sets %s, which no option table has", name, reference[e].option);
    row    = RdOptionsFind(table, reference[e].option);
    target = row->alias_of ? row->alias_of : row->name;
    PetscCall(GivenUnderAnyName(table, reference[e].option, &given));
    if (!given) {
      PetscCall(RdOptionsSetDefault(table, base, target, reference[e].value));
      continue;
    }
    if (reference[e].fixed) { /* the value given must be the configuration's own */
      const RdOption *destination = RdOptionsFind(table, target);
      const size_t    size        = base == (void *)cfg ? sizeof(RdConfig) : (size_t)cfg->model->options_size;
      char            given_text[512], fixed_text[512];
      void           *scratch;
      PetscCall(PetscMalloc(size, &scratch));
      PetscCall(PetscMemcpy(scratch, base, size));
      PetscCall(RdOptionsSetDefault(table, scratch, target, reference[e].value));
      PetscCall(RdOptionFormat(destination, base, given_text, sizeof given_text));
      PetscCall(RdOptionFormat(destination, scratch, fixed_text, sizeof fixed_text));
      PetscCall(PetscFree(scratch));
      PetscCheck(!strcmp(given_text, fixed_text), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s does not apply to -data %s, whose sizes are fixed (%s %s; got %s): remove it", reference[e].option, name, reference[e].option, reference[e].value, given_text + strlen(destination->name) + 1);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -data: the task, and the reference configuration's parameters; the replica protocol's
 * combinations. */
static PetscErrorCode LinearSetUp(RdConfig *cfg)
{
  static const char *const task_names[] = {"random", "e1", "e3"};
  RdLinearOptions         *lo           = (RdLinearOptions *)cfg->model_options;
  PetscBool                known        = PETSC_FALSE;

  PetscFunctionBeginUser;
  for (PetscInt t = 0; t < 3 && !known; t++) {
    PetscCall(PetscStrcmp(lo->data, task_names[t], &known));
    if (known) lo->task = t;
  }
  PetscCheck(known, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-data %s is for -model classifier: -model linear takes -data random, e1 or e3", lo->data);
  if (lo->task != RD_LINEAR_TASK_RANDOM) PetscCall(ApplyReference(cfg, lo->data));
  cfg->num_stimuli = lo->num_stimuli;
  if (lo->protocol == RD_LINEAR_PROTOCOL_REPLICAS) {
    PetscCheck(lo->replica_steps >= lo->record_every && lo->replica_steps % lo->record_every == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replica_steps (%" PetscInt_FMT ") must be a positive multiple of -record_every (%" PetscInt_FMT ")", lo->replica_steps, lo->record_every);
    PetscCheck(lo->replica_steps / lo->record_every <= 100000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replica_steps / -record_every = %" PetscInt_FMT " records is too many (at most 100000)", lo->replica_steps / lo->record_every);
    PetscCheck(lo->relax_steps < lo->replica_steps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-relax_steps must be in [0, -replica_steps) (got %" PetscInt_FMT "); 0 chooses it from the theory", lo->relax_steps);
    PetscCheck(lo->replica_groups <= lo->replicas, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replica_groups must be in [2, -replicas] (got %" PetscInt_FMT ")", lo->replica_groups);
    PetscCheck(cfg->batch == 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-protocol replicas needs -batch 1 (the theory is for online SGD)");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Flops of the days prediction (linear_prediction.c, measured shape): the mean flow (~0.1 gradients
 * per step) and the descent to theta* (~4e4 gradients with dropout, ~3e3 without, at width
 * min(m, n + d) without dropout), each gradient ~2 m n (2 d + K) flops, and the angles (4/3 w^3 per
 * pair of days and stimulus). */
static PetscReal PredictionCost(const RdConfig *cfg, const RdPoint *point)
{
  const RdLinearOptions *lo       = RdLinearOptionsOf(cfg);
  const PetscReal        n = (PetscReal)lo->input_dim, d = (PetscReal)lo->output_dim, K = (PetscReal)cfg->num_stimuli;
  const PetscReal        w        = point->noise_level > 0 ? (PetscReal)point->width : PetscMin((PetscReal)point->width, n + d);
  const PetscReal        gradient = 2 * w * n * (2 * d + K), steps = (PetscReal)(cfg->burnin_steps + cfg->days * cfg->steps_per_day);
  const PetscReal        pairs    = 0.5 * (PetscReal)(cfg->days + 1) * (PetscReal)cfg->days * K;
  return gradient * (0.1 * steps + (point->noise_level > 0 ? 4e4 : 3e3)) + pairs * 4.0 / 3.0 * w * w * w;
}

/* Flops of SGD (~6 per weight per presentation) plus the per-day probe and geometry work (Gram
 * or covariance build and the eigensolve of the smaller side); replicas: their SGD. */
static PetscReal LinearCost(const RdConfig *cfg, const RdPoint *point)
{
  const RdLinearOptions *lo      = RdLinearOptionsOf(cfg);
  PetscReal              width   = (PetscReal)point->width;
  PetscReal              weights = width * (PetscReal)(lo->input_dim + lo->output_dim);
  PetscReal              steps   = (PetscReal)(cfg->burnin_steps + cfg->days * cfg->steps_per_day) * (PetscReal)cfg->batch;
  PetscReal              samples = (PetscReal)cfg->probe_samples, small = PetscMin(samples, width);
  PetscReal              per_day = (PetscReal)cfg->num_stimuli * (samples * width * (PetscReal)lo->input_dim + samples * width * small + small * small * small);
  if (lo->protocol == RD_LINEAR_PROTOCOL_REPLICAS) return 6 * weights * (PetscReal)lo->replicas * (PetscReal)lo->replica_steps;
  return 6 * weights * steps + (PetscReal)(cfg->days + 1) * per_day + PredictionCost(cfg, point);
}

static double LinearMemory(const RdConfig *cfg, PetscInt width)
{
  const RdLinearOptions *lo = RdLinearOptionsOf(cfg);
  return 8 * (double)width * (double)(lo->input_dim + lo->output_dim);
}

static void LinearSchema(const RdConfig *cfg, RdSchemaSelection *selection)
{
  const PetscBool replicas = RdLinearOptionsOf(cfg)->protocol == RD_LINEAR_PROTOCOL_REPLICAS;
  selection->with[RD_WITH_PREDICTION]      = PETSC_TRUE;
  selection->with[RD_WITH_THEORY]          = replicas;
  selection->with[RD_WITH_DAYS_PREDICTION] = !replicas;
}

static void LinearDims(const RdConfig *cfg, RdDims *dims)
{
  const RdLinearOptions *lo = RdLinearOptionsOf(cfg);
  if (lo->protocol != RD_LINEAR_PROTOCOL_REPLICAS) return;
  dims->size[RD_DIM_RECORD] = lo->replica_steps / lo->record_every + 1;
  dims->size[RD_DIM_LAG]    = lo->msd_max_lag;
}

static const char *LinearProtocol(const RdConfig *cfg) { return protocol_names[RdLinearOptionsOf(cfg)->protocol]; }

static PetscErrorCode LinearRunPoint(const RdConfig *cfg, const RdDims *dims, const RdPoint *point, RdPointResult *result, PetscBool *done)
{
  PetscFunctionBeginUser;
  *done = RdLinearOptionsOf(cfg)->protocol == RD_LINEAR_PROTOCOL_REPLICAS;
  if (*done) PetscCall(RdLinearReplicaPoint(cfg, dims, point, result));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const RdModelOps rd_model_linear = {
  .name    = "linear",
  .summary = "two-layer linear network, online SGD, stimuli at unequal frequencies",
  .help    = "-protocol replicas runs the drift theory of Pashakhanloo & Koulakov (2023) against R replicas\n"
             "started at theta*; predictions only where the theory holds (dropout 0, -input_noise 0). With a\n"
             "systematic rotation (omega > 0) sigma_s is the initial slope of the variance: keep omega T small.",
  .options           = linear_options,
  .options_size      = sizeof(RdLinearOptions),
  .refused           = linear_refused,
  .frequency_meaning = "stimulus 0",
  .setup             = LinearSetUp,
  .cost              = LinearCost,
  .memory            = LinearMemory,
  .schema            = LinearSchema,
  .dims              = LinearDims,
  .protocol          = LinearProtocol,
  .run_point         = LinearRunPoint,
  .create            = RdLinearPointCreate,
  .train             = RdLinearPointTrain,
  .observe           = RdLinearPointObserve,
  .destroy           = RdLinearPointDestroy,
  .report            = RdLinearReport,
};
