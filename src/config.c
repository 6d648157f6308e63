/* Every repdrift option: declared here once (so -help documents it), read, and validated.
 * Messages of PETSC_ERR_USER_INPUT name the option to change. */
#include <repdrift/config.h>
#include <repdrift/archive.h>
#include <repdrift/dataset.h>
#include <repdrift/noise.h>
#include <math.h>

static const char *const model_names[]     = {"linear", "classifier", "autoencoder"};
static const char *const data_names[]      = {"random", "e1", "e3", "mixture", "file"};
static const char *const source_names[]    = {"grid", "diagonal", "hole", "uniform", "cube", "tetrahedron", "file"};
static const char *const optimizer_names[] = {"adam", "sgd"};
static const char *const protocol_names[]  = {"days", "replicas"};
/* The level each noise type runs at when no -sweep_noise_level is given: the paper's best fit
 * (Aitken et al. 2022, Table in drift-geometry.md), indexed by RdNoiseType. */
static const PetscReal paper_noise_level[RD_NUM_NOISE_TYPES] = {
  [RD_NOISE_NONE] = 0, [RD_NOISE_NODE_DROPOUT] = 0.5, [RD_NOISE_WEIGHT_DROPOUT] = 0.6, [RD_NOISE_ADDITIVE] = 0.1, [RD_NOISE_MULTIPLICATIVE] = 1.0, [RD_NOISE_GRADIENT] = 3.0};

const char *RdModelName(RdModelType model) { return model_names[model]; }
const char *RdProtocolName(RdProtocol protocol) { return protocol_names[protocol]; }
const char *RdDataSetName(RdDataSet data) { return data_names[data]; }
const char *RdSourceSetName(RdSourceSet sources) { return source_names[sources]; }

RdSchemaSelection RdConfigSchemaSelection(const RdConfig *cfg)
{
  RdSchemaSelection selection = {cfg->save_responses, cfg->protocol == RD_PROTOCOL_REPLICAS, cfg->model == RD_MODEL_CLASSIFIER, cfg->model == RD_MODEL_AUTOENCODER};
  return selection;
}

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

  cfg->axes.n_noise_type = 1;
  cfg->axes.noise_type[0] = RD_NOISE_NODE_DROPOUT; /* the linear network's hidden dropout */

  cfg->hidden_dim           = 64;
  cfg->num_classes          = 10;
  cfg->train_per_class      = 200;
  cfg->probe_every          = 5;
  cfg->momentum             = 0.9;
  cfg->mixture_rank         = 4;
  cfg->mixture_separation   = 3.0;
  cfg->mixture_scale        = 1.0;
  cfg->mixture_anisotropy   = 4.0;
  cfg->burnin_epochs        = 30;
  cfg->burnin_max_epochs    = 300;
  cfg->epochs               = 5;
  cfg->snapshots_per_epoch  = 10;
  cfg->burnin_until_plateau = PETSC_FALSE;

  cfg->sources          = RD_SOURCES_GRID;
  cfg->grid_size        = 21;
  cfg->uniform_samples  = 400;
  cfg->diagonal_repeats = 50;
  cfg->num_sources      = 2;
  cfg->corner_cut       = 1.0;
  cfg->hole_radius      = 0.5;
  cfg->activity_l2      = 1e-3;
  cfg->nonneg_penalty   = 1.0;
  cfg->optimizer        = RD_OPTIMIZER_ADAM;

  cfg->protocol       = RD_PROTOCOL_DAYS;
  cfg->replicas       = 400;
  cfg->replica_steps  = 100000;
  cfg->record_every   = 1000;
  cfg->relax_steps    = 0;
  cfg->replica_groups = 20;
  cfg->msd_max_lag    = 50;
}

/* Defaults that differ by model, applied before the other options are read (so an option given
 * on the command line always wins and -help shows the model's defaults). */
static void SetModelDefaults(RdConfig *cfg)
{
  RdSweepAxes *axes = &cfg->axes;

  if (cfg->model == RD_MODEL_CLASSIFIER) {
    /* the paper's optimiser; one run compares every noise source, each at its best-fit level */
    cfg->data               = RD_DATA_MIXTURE;
    cfg->input_dim          = 32;
    axes->lr[0]             = 1e-3;
    cfg->weight_decay       = 1e-3;
    cfg->batch              = 64;
    cfg->probe_samples      = 100;
    axes->n_frequency       = 1;
    axes->frequency[0]      = 0; /* resolved to 1/num_classes unless -sweep_frequency is given */
    axes->n_noise_type      = RD_NUM_NOISE_TYPES;
    for (PetscInt t = 0; t < RD_NUM_NOISE_TYPES; t++) axes->noise_type[t] = (RD_NOISE_NODE_DROPOUT + t) % RD_NUM_NOISE_TYPES;
    axes->n_noise_level     = 1;
    axes->noise_level[0]    = 0;
    axes->noise_level_per_type = PETSC_TRUE;
    axes->n_width           = 1;
    axes->width[0]          = 64;
    axes->n_seeds           = 1;
  } else if (cfg->model == RD_MODEL_AUTOENCODER) {
    /* the paper's penalised autoencoder trained by Adam; full grid vs a rarely seen corner */
    axes->lr[0]          = 1e-3;
    cfg->weight_decay    = 1e-4;
    cfg->batch           = 16;
    cfg->num_stimuli     = 1;
    cfg->burnin_steps    = 20000;
    cfg->days            = 5;
    cfg->steps_per_day   = 2000;
    cfg->probe_samples   = 200;
    axes->n_frequency    = 1;
    axes->frequency[0]   = 0; /* resolved to the corner region's share of the samples (uniform presentation) */
    axes->n_noise_level  = 1;
    axes->noise_level[0] = 0;
    axes->n_width        = 2;
    axes->width[0]       = 2;
    axes->width[1]       = 3;
    axes->n_seeds        = 2;
  }
  for (PetscInt t = 0; t < RD_NUM_NOISE_TYPES; t++) axes->noise_level_of_type[t] = paper_noise_level[t];
}

static PetscErrorCode Validate(const RdConfig *cfg)
{
  const RdSweepAxes *axes = &cfg->axes;

  PetscFunctionBeginUser;
  PetscCheck(!(cfg->resume && cfg->overwrite), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-resume and -overwrite contradict each other: -resume continues the existing -output, -overwrite replaces it");
  PetscCheck(cfg->slice_count >= 1 && cfg->slice_index >= 0 && cfg->slice_index < cfg->slice_count, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_slice %" PetscInt_FMT ",%" PetscInt_FMT ": need 0 <= INDEX < COUNT", cfg->slice_index, cfg->slice_count);
  PetscCheck(cfg->seed >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-seed must be >= 0 (got %" PetscInt_FMT ")", cfg->seed);
  PetscCheck(axes->n_frequency > 0 && axes->n_noise_level > 0 && axes->n_width > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Empty sweep: -sweep_frequency, -sweep_dropout and -sweep_width each need at least one value");
  PetscCheck(axes->n_seeds >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "Empty sweep: -sweep_seeds must be >= 1 (got %" PetscInt_FMT ")", axes->n_seeds);
  PetscCheck(axes->n_seeds <= 1000000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_seeds %" PetscInt_FMT " is too large (at most 1000000)", axes->n_seeds);
  for (PetscInt i = 0; i < axes->n_frequency; i++)
    PetscCheck((axes->frequency[i] > 0 || (cfg->model == RD_MODEL_AUTOENCODER && axes->frequency[i] == 0)) && axes->frequency[i] < 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_frequency: value %g is outside %s; it is the presentation probability of %s", (double)axes->frequency[i], cfg->model == RD_MODEL_AUTOENCODER ? "[0,1)" : "(0,1)", cfg->model == RD_MODEL_LINEAR ? "stimulus 0" : cfg->model == RD_MODEL_CLASSIFIER ? "class 0" : "the corner region's samples (0: the corner is cut)");
  for (PetscInt t = 0; t < axes->n_noise_type; t++) {
    RdNoise noise = {(RdNoiseType)axes->noise_type[t], 0};
    for (PetscInt i = 0; i < axes->n_noise_level; i++) {
      noise.level = axes->noise_level_per_type ? axes->noise_level_of_type[noise.type] : axes->noise_level[i];
      PetscCall(RdNoiseCheck(&noise, cfg->model == RD_MODEL_CLASSIFIER ? "-sweep_noise_level" : "-sweep_dropout"));
    }
  }
  for (PetscInt i = 0; i < axes->n_width; i++)
    PetscCheck(axes->width[i] >= 1 && axes->width[i] <= 65536, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-sweep_width: width %" PetscInt_FMT " is outside [1, 65536]", axes->width[i]);

  PetscCheck(cfg->model != RD_MODEL_LINEAR || (cfg->num_stimuli >= 2 && cfg->num_stimuli <= 4096), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-num_stimuli must be in [2, 4096] (the readout compares stimuli 0 and 1); got %" PetscInt_FMT, cfg->num_stimuli);
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
  if (cfg->model == RD_MODEL_CLASSIFIER) {
    PetscCheck(cfg->hidden_dim >= 1 && cfg->hidden_dim <= 65536, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-hidden_dim must be in [1, 65536]; got %" PetscInt_FMT, cfg->hidden_dim);
    PetscCheck(cfg->num_classes >= 2 && cfg->num_classes <= 1000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-num_classes must be in [2, 1000]; got %" PetscInt_FMT, cfg->num_classes);
    PetscCheck(cfg->num_stimuli >= 2 && cfg->num_stimuli <= cfg->num_classes, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-probe_classes must be in [2, number of classes = %" PetscInt_FMT "]; got %" PetscInt_FMT, cfg->num_classes, cfg->num_stimuli);
    PetscCheck(cfg->train_per_class >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-train_per_class must be >= 1; got %" PetscInt_FMT, cfg->train_per_class);
    PetscCheck(cfg->probe_every >= 2, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-probe_every must be >= 2 (every probe_every-th example of a class is held out for probing); got %" PetscInt_FMT, cfg->probe_every);
    PetscCheck(isfinite(cfg->momentum) && cfg->momentum >= 0 && cfg->momentum < 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-momentum must be in [0,1); got %g", (double)cfg->momentum);
    PetscCheck(cfg->mixture_rank >= 0 && cfg->mixture_rank <= cfg->input_dim, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-mixture_rank must be in [0, -input_dim]; got %" PetscInt_FMT, cfg->mixture_rank);
    PetscCheck(isfinite(cfg->mixture_separation) && cfg->mixture_separation >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-mixture_separation must be a finite number >= 0");
    PetscCheck(isfinite(cfg->mixture_scale) && cfg->mixture_scale > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-mixture_scale must be a finite number > 0");
    PetscCheck(isfinite(cfg->mixture_anisotropy) && cfg->mixture_anisotropy >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-mixture_anisotropy must be a finite number >= 0");
    PetscCheck(cfg->burnin_epochs >= 0 && cfg->burnin_epochs <= 100000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-burnin_epochs must be in [0, 100000]; got %" PetscInt_FMT, cfg->burnin_epochs);
    PetscCheck(cfg->burnin_max_epochs >= cfg->burnin_epochs, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-burnin_max_epochs (%" PetscInt_FMT ") must be >= -burnin_epochs (%" PetscInt_FMT ")", cfg->burnin_max_epochs, cfg->burnin_epochs);
    PetscCheck(cfg->epochs >= 1 && cfg->snapshots_per_epoch >= 1 && cfg->epochs * cfg->snapshots_per_epoch <= 10000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-epochs and -snapshots_per_epoch must be >= 1 with at most 10000 snapshots in all; got %" PetscInt_FMT " x %" PetscInt_FMT, cfg->epochs, cfg->snapshots_per_epoch);
  }
  if (cfg->model == RD_MODEL_AUTOENCODER) {
    PetscCheck(cfg->grid_size >= 2 && cfg->grid_size <= 2000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-grid_size must be in [2, 2000]; got %" PetscInt_FMT, cfg->grid_size);
    PetscCheck(isfinite(cfg->corner_cut) && cfg->corner_cut > 0 && cfg->corner_cut < 4, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-corner_cut must be in (0, 4): the corner region is {s1 + s2 < -2 + corner_cut} of [-1,1]^2; got %g", (double)cfg->corner_cut);
    PetscCheck(isfinite(cfg->hole_radius) && cfg->hole_radius > 0 && cfg->hole_radius < 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-hole_radius must be in (0, 1); got %g", (double)cfg->hole_radius);
    PetscCheck(cfg->uniform_samples >= 2 && cfg->uniform_samples <= 10000000, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-uniform_samples must be in [2, 1e7]; got %" PetscInt_FMT, cfg->uniform_samples);
    PetscCheck(cfg->diagonal_repeats >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-diagonal_repeats must be >= 1");
    PetscCheck(cfg->num_sources >= 1 && cfg->num_sources <= 16, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-num_sources must be in [1, 16]; got %" PetscInt_FMT, cfg->num_sources);
    PetscCheck(isfinite(cfg->activity_l2) && cfg->activity_l2 > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-activity_l2 must be a finite number > 0 (the energy cost; the modular loss divides by it)");
    PetscCheck(isfinite(cfg->nonneg_penalty) && cfg->nonneg_penalty >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-nonneg_penalty must be a finite number >= 0");
    PetscCheck(cfg->weight_decay > 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-weight_decay must be > 0 for -model autoencoder (the weight cost of the modularity theory)");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Options of one model given to another are refused rather than silently ignored. */
static PetscErrorCode RefuseOptions(MPI_Comm comm, const RdConfig *cfg, const char *const names[], const char *what)
{
  PetscFunctionBeginUser;
  for (int i = 0; names[i]; i++) {
    PetscBool given;
    PetscCall(PetscOptionsHasName(NULL, NULL, names[i], &given));
    PetscCheck(!given, comm, PETSC_ERR_USER_INPUT, "%s does not apply to -model %s: %s", names[i], RdModelName(cfg->model), what);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckModelOptions(MPI_Comm comm, const RdConfig *cfg)
{
  static const char *const classifier_only[]  = {"-hidden_dim", "-num_classes", "-probe_classes", "-train_per_class", "-probe_every", "-momentum", "-mixture_rank", "-mixture_separation", "-mixture_scale", "-mixture_anisotropy", "-burnin_epochs", "-burnin_max_epochs", "-burnin_until_plateau", "-epochs", "-snapshots_per_epoch", "-noise", "-sweep_noise_type", NULL};
  static const char *const autoencoder_only[] = {"-sources", "-grid_size", "-corner_cut", "-hole_radius", "-uniform_samples", "-diagonal_repeats", "-num_sources", "-activity_l2", "-nonneg_penalty", "-optimizer", NULL};
  static const char *const linear_only[]      = {"-num_stimuli", "-output_dim", "-input_noise", "-init_scale", "-protocol", "-probe_dropout", NULL};
  static const char *const days_options[]     = {"-burnin_steps", "-days", "-steps_per_day", NULL};

  PetscFunctionBeginUser;
  if (cfg->model != RD_MODEL_CLASSIFIER) PetscCall(RefuseOptions(comm, cfg, classifier_only, "it is an option of -model classifier"));
  if (cfg->model != RD_MODEL_AUTOENCODER) PetscCall(RefuseOptions(comm, cfg, autoencoder_only, "it is an option of -model autoencoder"));
  if (cfg->model != RD_MODEL_LINEAR) PetscCall(RefuseOptions(comm, cfg, linear_only, "it is an option of -model linear"));
  if (cfg->model == RD_MODEL_CLASSIFIER) PetscCall(RefuseOptions(comm, cfg, days_options, "the classifier counts time in epochs: use -burnin_epochs, -epochs and -snapshots_per_epoch"));
  if (cfg->model == RD_MODEL_AUTOENCODER) {
    static const char *const not_autoencoder[] = {"-data", "-input_dim", NULL};
    PetscCall(RefuseOptions(comm, cfg, not_autoencoder, "its data are the -sources samples"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The classifier's data: the mixture's sizes come from options, a file's from the file, which is
 * read and checked here so that a bad file is refused before anything runs. */
static PetscErrorCode ApplyClassifierData(MPI_Comm comm, RdConfig *cfg)
{
  PetscFunctionBeginUser;
  PetscCheck(cfg->data == RD_DATA_MIXTURE || cfg->data == RD_DATA_FILE, comm, PETSC_ERR_USER_INPUT, "-data %s is a task of -model linear: -model classifier takes -data mixture or -data FILE.h5", data_names[cfg->data]);
  if (cfg->data == RD_DATA_FILE) {
    RdDataset all, train, probe;
    PetscBool given;
    PetscCall(PetscOptionsHasName(NULL, NULL, "-num_classes", &given));
    PetscCheck(!given, comm, PETSC_ERR_USER_INPUT, "-num_classes does not apply to -data %s: the classes are the file's labels", cfg->data_file);
    PetscCall(PetscOptionsHasName(NULL, NULL, "-input_dim", &given));
    PetscCheck(!given, comm, PETSC_ERR_USER_INPUT, "-input_dim does not apply to -data %s: it is the file's /inputs width", cfg->data_file);
    PetscCall(RdDatasetLoad(cfg->data_file, &all));
    PetscCall(RdDatasetSplit(&all, cfg->probe_every, &train, &probe));
    cfg->num_classes = all.num_classes;
    cfg->input_dim   = all.input_dim;
    PetscCall(RdDatasetDestroy(&probe));
    PetscCall(RdDatasetDestroy(&train));
    PetscCall(RdDatasetDestroy(&all));
  }
  if (cfg->num_stimuli < 0) cfg->num_stimuli = PetscMin(cfg->num_classes, 10);
  if (!cfg->frequency_given) cfg->axes.frequency[0] = 1.0 / (double)cfg->num_classes;
  cfg->days = cfg->epochs * cfg->snapshots_per_epoch;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The linear model's reference configurations fix K, n and d: asking for others is a contradiction. */
static PetscErrorCode ApplyDataSet(MPI_Comm comm, RdConfig *cfg)
{
  const char *sizes[3] = {"-num_stimuli", "-input_dim", "-output_dim"};

  PetscFunctionBeginUser;
  if (cfg->model == RD_MODEL_CLASSIFIER) PetscCall(ApplyClassifierData(comm, cfg));
  if (cfg->model == RD_MODEL_AUTOENCODER) {
    PetscBool named;
    PetscCall(PetscOptionsHasName(NULL, NULL, "-sources_file", &named));
    PetscCheck((cfg->sources == RD_SOURCES_FILE) == named, comm, PETSC_ERR_USER_INPUT, "-sources file and -sources_file FILE.h5 go together (give both, or neither)");
    if (cfg->sources == RD_SOURCES_FILE) {
      PetscInt rows, cols;
      double  *values;
      PetscCall(RdInputReadMatrix(cfg->sources_file, "/sources", &rows, &cols, &values));
      PetscCall(PetscFree(values));
      PetscCheck(rows >= 2 && cols >= 1 && cols <= 16, comm, PETSC_ERR_USER_INPUT, "-sources_file %s: /sources is [%" PetscInt_FMT ", %" PetscInt_FMT "]; it needs at least 2 samples of 1 to 16 sources", cfg->sources_file, rows, cols);
    }
    PetscCheck(!cfg->frequency_given || cfg->sources == RD_SOURCES_GRID || cfg->sources == RD_SOURCES_DIAGONAL || cfg->sources == RD_SOURCES_HOLE, comm, PETSC_ERR_USER_INPUT, "-sweep_frequency sets how often the corner region of a 2-D grid is presented: it needs -sources grid, diagonal or hole");
  }
  if (cfg->model != RD_MODEL_LINEAR) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(cfg->data <= RD_DATA_E3, comm, PETSC_ERR_USER_INPUT, "-data %s is for -model classifier: -model linear takes -data random, e1 or e3", cfg->data == RD_DATA_FILE ? cfg->data_file : data_names[cfg->data]);
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
    PetscCall(PetscOptionsEList("-model", "Model trained continually: linear (two-layer linear network, online SGD), classifier (ReLU network under six noise sources), autoencoder (non-negative energy-efficient linear autoencoder)", NULL, model_names, 3, model_names[cfg->model], &model, NULL));
    cfg->model = (RdModelType)model;
    SetModelDefaults(cfg);
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

    PetscCall(ReadRealList(PetscOptionsObject, "-sweep_frequency", "Sweep axis: presentation probability, in (0,1), of stimulus 0 (linear; the others share the rest equally), of class 0 in training (classifier; default 1/classes), of the samples in the corner region {s1 + s2 < -2 + corner_cut} (autoencoder, in [0,1): 0 cuts the corner; default: their share, i.e. uniform)", cfg->axes.frequency, &cfg->axes.n_frequency));
    PetscCall(PetscOptionsHasName(NULL, NULL, "-sweep_frequency", &cfg->frequency_given));
    {
      PetscBool dropout_given, level_given;
      PetscCall(PetscOptionsHasName(NULL, NULL, "-sweep_dropout", &dropout_given));
      PetscCall(PetscOptionsHasName(NULL, NULL, "-sweep_noise_level", &level_given));
      PetscCheck(!(dropout_given && level_given), comm, PETSC_ERR_USER_INPUT, "-sweep_dropout and -sweep_noise_level name the same axis: give one of them");
      PetscCall(ReadRealList(PetscOptionsObject, "-sweep_dropout", "Sweep axis: hidden-unit (inverted) dropout probability, in [0,1) (linear, autoencoder; alias of -sweep_noise_level)", cfg->axes.noise_level, &cfg->axes.n_noise_level));
      PetscCall(ReadRealList(PetscOptionsObject, "-sweep_noise_level", "Sweep axis: noise level: dropout probability in [0,1) or Gaussian std s >= 0 (classifier default: each -sweep_noise_type at the paper's best fit: node_dropout 0.5, weight_dropout 0.6, additive 0.1, multiplicative 1, gradient 3)", cfg->axes.noise_level, &cfg->axes.n_noise_level));
      if (dropout_given || level_given) cfg->axes.noise_level_per_type = PETSC_FALSE;
    }
    {
      PetscInt  types[RD_MAX_AXIS_VALUES + 1], n_types = RD_MAX_AXIS_VALUES + 1, single = RD_NOISE_NODE_DROPOUT;
      PetscBool list_set, single_set;
      char     *names[RD_MAX_AXIS_VALUES + 1];
      PetscCall(PetscOptionsEList("-noise", "Noise source at the classifier's feature layer (one value; -sweep_noise_type for an axis): none, node_dropout, weight_dropout (per example), additive, multiplicative, gradient", NULL, rd_noise_type_names, RD_NUM_NOISE_TYPES, rd_noise_type_names[single], &single, &single_set));
      PetscCall(PetscOptionsStringArray("-sweep_noise_type", "Sweep axis: noise sources (comma list of -noise values; default all six)", NULL, names, &n_types, &list_set));
      PetscCheck(!(single_set && list_set), comm, PETSC_ERR_USER_INPUT, "Give either -noise or -sweep_noise_type, not both");
      PetscCall(CheckListRead("-sweep_noise_type", list_set, n_types));
      if (single_set) {
        cfg->axes.n_noise_type  = 1;
        cfg->axes.noise_type[0] = single;
      }
      if (list_set) {
        for (PetscInt i = 0; i < n_types; i++) {
          PetscBool known = PETSC_FALSE;
          for (PetscInt t = 0; t < RD_NUM_NOISE_TYPES && !known; t++) {
            PetscCall(PetscStrcmp(names[i], rd_noise_type_names[t], &known));
            if (known) types[i] = t;
          }
          PetscCheck(known, comm, PETSC_ERR_USER_INPUT, "-sweep_noise_type: unknown noise source '%s'; use none, node_dropout, weight_dropout, additive, multiplicative or gradient", names[i]);
          PetscCall(PetscFree(names[i]));
        }
        cfg->axes.n_noise_type = n_types;
        for (PetscInt i = 0; i < n_types; i++) cfg->axes.noise_type[i] = types[i];
      }
    }
    PetscCall(ReadIntList(PetscOptionsObject, "-sweep_width", "Sweep axis: hidden width m (linear), feature-layer width (classifier), hidden units (autoencoder)", cfg->axes.width, &cfg->axes.n_width));
    PetscCall(PetscOptionsInt("-sweep_seeds", "Sweep axis: replicates 0..N-1 (each has its own stimuli, targets, init and noise)", NULL, cfg->axes.n_seeds, &cfg->axes.n_seeds, NULL));

    {
      char      data[PETSC_MAX_PATH_LEN];
      PetscBool data_set, known = PETSC_FALSE;
      PetscCall(PetscStrncpy(data, data_names[cfg->data], sizeof data));
      PetscCall(PetscOptionsString("-data", "Task: random, e1 or e3 (linear: random unit stimuli, or the theory's reference configurations with fixed sizes); mixture or FILE.h5 with /inputs [N, n] and /labels [N] (classifier)", NULL, data, data, sizeof data, &data_set));
      for (int d = 0; d < 4 && !known; d++) {
        PetscCall(PetscStrcmp(data, data_names[d], &known));
        if (known) cfg->data = (RdDataSet)d;
      }
      if (!known) {
        cfg->data = RD_DATA_FILE;
        PetscCall(PetscStrncpy(cfg->data_file, data, sizeof cfg->data_file));
      }
    }
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
    PetscCall(PetscOptionsReal("-weight_decay", "Weight decay: g on both layers (linear), the L2 of the weights (classifier, autoencoder)", NULL, cfg->weight_decay, &cfg->weight_decay, NULL));
    PetscCall(PetscOptionsReal("-init_scale", "Initial weights ~ N(0, init_scale^2 / fan_in)", NULL, cfg->init_scale, &cfg->init_scale, NULL));
    PetscCall(PetscOptionsInt("-batch", "Presentations (examples) averaged per SGD step", NULL, cfg->batch, &cfg->batch, NULL));

    PetscCall(PetscOptionsInt("-burnin_steps", "SGD steps before day 0", NULL, cfg->burnin_steps, &cfg->burnin_steps, NULL));
    PetscCall(PetscOptionsInt("-days", "Days after burn-in (day 0 = end of burn-in)", NULL, cfg->days, &cfg->days, NULL));
    PetscCall(PetscOptionsInt("-steps_per_day", "SGD steps per day", NULL, cfg->steps_per_day, &cfg->steps_per_day, NULL));
    PetscCall(PetscOptionsInt("-probe_samples", "Fresh probe presentations per stimulus and day (weights frozen)", NULL, cfg->probe_samples, &cfg->probe_samples, NULL));
    PetscCall(PetscOptionsBool("-probe_dropout", "Keep dropout on, redrawn, while probing (the paper's protocol)", NULL, cfg->probe_dropout, &cfg->probe_dropout, NULL));
    PetscCall(PetscOptionsReal("-readout_l2", "L2 penalty of the cross-day logistic classifier (stimulus 0 vs 1)", NULL, cfg->readout_l2, &cfg->readout_l2, NULL));

    /* classifier */
    PetscCall(PetscOptionsInt("-hidden_dim", "Classifier: width of the hidden ReLU layer between input and feature layer", NULL, cfg->hidden_dim, &cfg->hidden_dim, NULL));
    PetscCall(PetscOptionsInt("-num_classes", "Classifier, -data mixture: number of Gaussian classes C", NULL, cfg->num_classes, &cfg->num_classes, NULL));
    {
      PetscBool set;
      PetscInt  probe_classes = cfg->num_stimuli;
      PetscCall(PetscOptionsInt("-probe_classes", "Classifier: analysed classes 0..N-1 (the stimulus groups of the geometry; default all, at most 10)", NULL, probe_classes, &probe_classes, &set));
      if (cfg->model == RD_MODEL_CLASSIFIER) cfg->num_stimuli = set ? probe_classes : -1; /* -1: resolved once C is known */
    }
    PetscCall(PetscOptionsInt("-train_per_class", "Classifier, -data mixture: training examples per class (an epoch is one pass over them)", NULL, cfg->train_per_class, &cfg->train_per_class, NULL));
    PetscCall(PetscOptionsInt("-probe_every", "Classifier, -data FILE: within each class, every probe_every-th example (file order) is held out for probing, the rest trains", NULL, cfg->probe_every, &cfg->probe_every, NULL));
    PetscCall(PetscOptionsReal("-momentum", "Classifier: SGD momentum mu (v = mu v - lr grad; w += v)", NULL, cfg->momentum, &cfg->momentum, NULL));
    PetscCall(PetscOptionsInt("-mixture_rank", "Classifier, -data mixture: rank r of each class's extra in-class covariance", NULL, cfg->mixture_rank, &cfg->mixture_rank, NULL));
    PetscCall(PetscOptionsReal("-mixture_separation", "Classifier, -data mixture: distance scale of the class means", NULL, cfg->mixture_separation, &cfg->mixture_separation, NULL));
    PetscCall(PetscOptionsReal("-mixture_scale", "Classifier, -data mixture: in-class standard deviation s (isotropic part)", NULL, cfg->mixture_scale, &cfg->mixture_scale, NULL));
    PetscCall(PetscOptionsReal("-mixture_anisotropy", "Classifier, -data mixture: extra variance a along each class's r random directions (covariance s^2 (I + a U U^T))", NULL, cfg->mixture_anisotropy, &cfg->mixture_anisotropy, NULL));
    PetscCall(PetscOptionsInt("-burnin_epochs", "Classifier: epochs of training before snapshot 0", NULL, cfg->burnin_epochs, &cfg->burnin_epochs, NULL));
    PetscCall(PetscOptionsBool("-burnin_until_plateau", "Classifier: after -burnin_epochs keep training until held-out accuracy has not improved by 0.5% for 5 epochs (at most -burnin_max_epochs)", NULL, cfg->burnin_until_plateau, &cfg->burnin_until_plateau, NULL));
    PetscCall(PetscOptionsInt("-burnin_max_epochs", "Classifier: cap of -burnin_until_plateau", NULL, cfg->burnin_max_epochs, &cfg->burnin_max_epochs, NULL));
    PetscCall(PetscOptionsInt("-epochs", "Classifier: epochs of continual training after burn-in", NULL, cfg->epochs, &cfg->epochs, NULL));
    PetscCall(PetscOptionsInt("-snapshots_per_epoch", "Classifier: snapshots (probes) per epoch; snapshot 0 = end of burn-in", NULL, cfg->snapshots_per_epoch, &cfg->snapshots_per_epoch, NULL));

    /* autoencoder */
    choice = cfg->sources;
    PetscCall(PetscOptionsEList("-sources", "Autoencoder: source samples: grid (k x k on [-1,1]^2), diagonal (grid with its diagonal repeated: correlated), hole (grid without a central disc), uniform (random in [-1,1]^d), cube, tetrahedron (3-D), file (-sources_file)", NULL, source_names, 7, source_names[cfg->sources], &choice, NULL));
    cfg->sources = (RdSourceSet)choice;
    PetscCall(PetscOptionsString("-sources_file", "Autoencoder, -sources file: HDF5 file with /sources [N, d]", NULL, cfg->sources_file, cfg->sources_file, sizeof cfg->sources_file, NULL));
    PetscCall(PetscOptionsInt("-grid_size", "Autoencoder: k of the k x k grids", NULL, cfg->grid_size, &cfg->grid_size, NULL));
    PetscCall(PetscOptionsReal("-corner_cut", "Autoencoder: the corner region {s1 + s2 < -2 + corner_cut} whose presentation probability is the frequency axis", NULL, cfg->corner_cut, &cfg->corner_cut, NULL));
    PetscCall(PetscOptionsReal("-hole_radius", "Autoencoder, -sources hole: radius of the removed central disc", NULL, cfg->hole_radius, &cfg->hole_radius, NULL));
    PetscCall(PetscOptionsInt("-uniform_samples", "Autoencoder, -sources uniform: number of samples", NULL, cfg->uniform_samples, &cfg->uniform_samples, NULL));
    PetscCall(PetscOptionsInt("-diagonal_repeats", "Autoencoder, -sources diagonal: multiplicity of the diagonal points", NULL, cfg->diagonal_repeats, &cfg->diagonal_repeats, NULL));
    PetscCall(PetscOptionsInt("-num_sources", "Autoencoder, -sources uniform: number of sources d", NULL, cfg->num_sources, &cfg->num_sources, NULL));
    PetscCall(PetscOptionsReal("-activity_l2", "Autoencoder: energy cost of the activity, activity_l2 * 0.5 |z|^2", NULL, cfg->activity_l2, &cfg->activity_l2, NULL));
    PetscCall(PetscOptionsReal("-nonneg_penalty", "Autoencoder: weight of the non-negativity hinge 0.5 sum relu(-z)", NULL, cfg->nonneg_penalty, &cfg->nonneg_penalty, NULL));
    choice = cfg->optimizer;
    PetscCall(PetscOptionsEList("-optimizer", "Autoencoder: adam or sgd", NULL, optimizer_names, 2, optimizer_names[cfg->optimizer], &choice, NULL));
    cfg->optimizer = (RdOptimizerType)choice;
  }
  PetscOptionsEnd();
  PetscCall(PetscOptionsHasHelp(NULL, &cfg->help));
  if (!cfg->help) PetscCall(CheckModelOptions(comm, cfg));
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
  if (cfg->model != RD_MODEL_AUTOENCODER || cfg->frequency_given) LINE("-sweep_frequency %s", list); /* else: uniform presentation */
  if (cfg->model == RD_MODEL_CLASSIFIER) {
    list[0] = '\0';
    for (PetscInt i = 0; i < cfg->axes.n_noise_type; i++) {
      PetscCall(PetscStrlcat(list, i ? "," : "", sizeof list));
      PetscCall(PetscStrlcat(list, rd_noise_type_names[cfg->axes.noise_type[i]], sizeof list));
    }
    LINE("-sweep_noise_type %s", list);
    if (!cfg->axes.noise_level_per_type) {
      FormatRealList(cfg->axes.noise_level, cfg->axes.n_noise_level, list, sizeof list);
      LINE("-sweep_noise_level %s", list);
    }
  } else {
    FormatRealList(cfg->axes.noise_level, cfg->axes.n_noise_level, list, sizeof list);
    LINE("-sweep_dropout %s", list);
  }
  list[0] = '\0';
  for (PetscInt i = 0; i < cfg->axes.n_width; i++) {
    char item[32];
    PetscCall(PetscSNPrintf(item, sizeof item, i ? ",%" PetscInt_FMT : "%" PetscInt_FMT, cfg->axes.width[i]));
    PetscCall(PetscStrlcat(list, item, sizeof list));
  }
  LINE("-sweep_width %s", list);
  LINE("-sweep_seeds %" PetscInt_FMT, cfg->axes.n_seeds);
  if (cfg->model == RD_MODEL_CLASSIFIER) {
    LINE("-data %s", cfg->data == RD_DATA_FILE ? cfg->data_file : data_names[cfg->data]);
    LINE("-probe_classes %" PetscInt_FMT, cfg->num_stimuli);
    LINE("-hidden_dim %" PetscInt_FMT, cfg->hidden_dim);
    LINE("-momentum %.17g", (double)cfg->momentum);
    if (cfg->data == RD_DATA_MIXTURE) {
      LINE("-input_dim %" PetscInt_FMT, cfg->input_dim);
      LINE("-num_classes %" PetscInt_FMT, cfg->num_classes);
      LINE("-train_per_class %" PetscInt_FMT, cfg->train_per_class);
      LINE("-mixture_rank %" PetscInt_FMT, cfg->mixture_rank);
      LINE("-mixture_separation %.17g", (double)cfg->mixture_separation);
      LINE("-mixture_scale %.17g", (double)cfg->mixture_scale);
      LINE("-mixture_anisotropy %.17g", (double)cfg->mixture_anisotropy);
    } else LINE("-probe_every %" PetscInt_FMT, cfg->probe_every);
    LINE("-burnin_epochs %" PetscInt_FMT, cfg->burnin_epochs);
    LINE("-burnin_until_plateau %s", cfg->burnin_until_plateau ? "true" : "false");
    if (cfg->burnin_until_plateau) LINE("-burnin_max_epochs %" PetscInt_FMT, cfg->burnin_max_epochs);
    LINE("-epochs %" PetscInt_FMT, cfg->epochs);
    LINE("-snapshots_per_epoch %" PetscInt_FMT, cfg->snapshots_per_epoch);
  }
  if (cfg->model == RD_MODEL_AUTOENCODER) {
    LINE("-sources %s", source_names[cfg->sources]);
    if (cfg->sources == RD_SOURCES_FILE) LINE("-sources_file %s", cfg->sources_file);
    if (cfg->sources <= RD_SOURCES_HOLE) LINE("-grid_size %" PetscInt_FMT, cfg->grid_size);
    if (cfg->sources == RD_SOURCES_DIAGONAL) LINE("-diagonal_repeats %" PetscInt_FMT, cfg->diagonal_repeats);
    if (cfg->sources == RD_SOURCES_HOLE) LINE("-hole_radius %.17g", (double)cfg->hole_radius);
    if (cfg->sources == RD_SOURCES_UNIFORM) {
      LINE("-uniform_samples %" PetscInt_FMT, cfg->uniform_samples);
      LINE("-num_sources %" PetscInt_FMT, cfg->num_sources);
    }
    LINE("-corner_cut %.17g", (double)cfg->corner_cut);
    LINE("-activity_l2 %.17g", (double)cfg->activity_l2);
    LINE("-nonneg_penalty %.17g", (double)cfg->nonneg_penalty);
    LINE("-optimizer %s", optimizer_names[cfg->optimizer]);
  }
  if (cfg->model == RD_MODEL_LINEAR) LINE("-data %s", data_names[cfg->data]);
  if (cfg->model == RD_MODEL_LINEAR && cfg->data == RD_DATA_RANDOM) {
    LINE("-num_stimuli %" PetscInt_FMT, cfg->num_stimuli);
    LINE("-input_dim %" PetscInt_FMT, cfg->input_dim);
    LINE("-output_dim %" PetscInt_FMT, cfg->output_dim);
  }
  if (cfg->model == RD_MODEL_LINEAR) LINE("-protocol %s", protocol_names[cfg->protocol]);
  if (cfg->protocol == RD_PROTOCOL_REPLICAS) {
    LINE("-replicas %" PetscInt_FMT, cfg->replicas);
    LINE("-replica_steps %" PetscInt_FMT, cfg->replica_steps);
    LINE("-record_every %" PetscInt_FMT, cfg->record_every);
    LINE("-relax_steps %" PetscInt_FMT, cfg->relax_steps);
    LINE("-replica_groups %" PetscInt_FMT, cfg->replica_groups);
    LINE("-msd_max_lag %" PetscInt_FMT, cfg->msd_max_lag);
  }
  if (cfg->model == RD_MODEL_LINEAR) LINE("-input_noise %.17g", (double)cfg->input_noise);
  FormatRealList(cfg->axes.lr, cfg->axes.n_lr, list, sizeof list);
  LINE("-sweep_lr %s", list);
  LINE("-weight_decay %.17g", (double)cfg->weight_decay);
  if (cfg->model == RD_MODEL_LINEAR) LINE("-init_scale %.17g", (double)cfg->init_scale);
  LINE("-batch %" PetscInt_FMT, cfg->batch);
  if (cfg->model != RD_MODEL_CLASSIFIER) {
    LINE("-burnin_steps %" PetscInt_FMT, cfg->burnin_steps);
    LINE("-days %" PetscInt_FMT, cfg->days);
    LINE("-steps_per_day %" PetscInt_FMT, cfg->steps_per_day);
  }
  LINE("-probe_samples %" PetscInt_FMT, cfg->probe_samples);
  if (cfg->model == RD_MODEL_LINEAR) LINE("-probe_dropout %s", cfg->probe_dropout ? "true" : "false");
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
