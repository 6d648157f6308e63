/* -model classifier: the ReLU classifier of Aitken et al. (2022) trained continually under one of
 * six noise sources at its feature layer; its options, what it derives from them and from its data
 * file, the cost of a point, and its ops table. The days protocol (a snapshot is a day) is in
 * classifier_point.c, its report section (the drift signature) in classifier_report.c. */
#include "classifier_model.h"
#include <repdrift/dataset.h>
#include <repdrift/noise.h>
#include <string.h>

/* The level each noise source runs at when no -sweep_noise_level is given: the best fit of Aitken
 * et al. (2022) to the drift of mouse visual cortex, indexed by RdNoiseType. */
static const PetscReal paper_noise_level[RD_NUM_NOISE_TYPES] = {
  [RD_NOISE_NONE] = 0, [RD_NOISE_NODE_DROPOUT] = 0.5, [RD_NOISE_WEIGHT_DROPOUT] = 0.6, [RD_NOISE_ADDITIVE] = 0.1, [RD_NOISE_MULTIPLICATIVE] = 1.0, [RD_NOISE_GRADIENT] = 3.0};

static PetscBool MixtureData(const RdConfig *cfg) { return !RdClassifierOptionsOf(cfg)->is_file; }
static PetscBool FileData(const RdConfig *cfg) { return RdClassifierOptionsOf(cfg)->is_file; }
static PetscBool UntilPlateau(const RdConfig *cfg) { return RdClassifierOptionsOf(cfg)->burnin_until_plateau; }

#define AT(field) .offset = offsetof(RdClassifierOptions, field)

static const RdOption classifier_options[] = {
  {.name = "-data", .type = RD_OPTION_STRING, AT(data), .default_value = "mixture", .help = "Data: mixture (Gaussian classes, the -mixture_* options) or FILE.h5 with /inputs [N, n] and integer /labels [N] (0..C-1)"},
  {.name = "-probe_classes", .type = RD_OPTION_INT, AT(probe_classes), .default_value = "0", .help = "Analysed classes 0..N-1: the stimulus groups of the geometry (0: all, at most 10)"},
  {.name = "-hidden_dim", .type = RD_OPTION_INT, AT(hidden_dim), .default_value = "64", .range = "[1, 65536]", .help = "Width of the hidden ReLU layer between input and feature layer"},
  {.name = "-momentum", .type = RD_OPTION_REAL, AT(momentum), .default_value = "0.9", .range = "[0, 1)", .help = "SGD momentum mu (v = mu v - lr grad; w += v)"},
  {.name = "-input_dim", .type = RD_OPTION_INT, AT(input_dim), .default_value = "32", .range = "[1, 65536]", .help = "-data mixture: input dimension n", .written = MixtureData},
  {.name = "-num_classes", .type = RD_OPTION_INT, AT(num_classes), .default_value = "10", .range = "[2, 1000]", .help = "-data mixture: number of Gaussian classes C", .written = MixtureData},
  {.name = "-train_per_class", .type = RD_OPTION_INT, AT(train_per_class), .default_value = "200", .range = ">= 1", .help = "-data mixture: training examples per class (an epoch is one pass over them)", .written = MixtureData},
  {.name = "-mixture_rank", .type = RD_OPTION_INT, AT(mixture_rank), .default_value = "4", .range = ">= 0", .help = "-data mixture: rank r of each class's extra in-class covariance (at most -input_dim)", .written = MixtureData},
  {.name = "-mixture_separation", .type = RD_OPTION_REAL, AT(mixture_separation), .default_value = "3", .range = ">= 0", .help = "-data mixture: distance scale of the class means", .written = MixtureData},
  {.name = "-mixture_scale", .type = RD_OPTION_REAL, AT(mixture_scale), .default_value = "1", .range = "> 0", .help = "-data mixture: in-class standard deviation s (isotropic part)", .written = MixtureData},
  {.name = "-mixture_anisotropy", .type = RD_OPTION_REAL, AT(mixture_anisotropy), .default_value = "4", .range = ">= 0", .help = "-data mixture: extra variance a along each class's r random directions (covariance s^2 (I + a U U^T))", .written = MixtureData},
  {.name = "-probe_every", .type = RD_OPTION_INT, AT(probe_every), .default_value = "5", .range = ">= 2", .why = "every probe_every-th example of a class is held out for probing", .help = "-data FILE: within each class, every probe_every-th example (file order) is held out for probing, the rest trains", .written = FileData},
  {.name = "-burnin_epochs", .type = RD_OPTION_INT, AT(burnin_epochs), .default_value = "30", .range = "[0, 100000]", .help = "Epochs of training before snapshot 0"},
  {.name = "-burnin_until_plateau", .type = RD_OPTION_BOOL, AT(burnin_until_plateau), .default_value = "false", .help = "After -burnin_epochs keep training until held-out accuracy has not improved by 0.5% for 5 epochs (at most -burnin_max_epochs)"},
  {.name = "-burnin_max_epochs", .type = RD_OPTION_INT, AT(burnin_max_epochs), .default_value = "300", .help = "Cap of -burnin_until_plateau (at least -burnin_epochs)", .written = UntilPlateau},
  {.name = "-epochs", .type = RD_OPTION_INT, AT(epochs), .default_value = "5", .range = ">= 1", .help = "Epochs of continual training after burn-in"},
  {.name = "-snapshots_per_epoch", .type = RD_OPTION_INT, AT(snapshots_per_epoch), .default_value = "10", .range = ">= 1", .help = "Snapshots (probes) per epoch; snapshot 0 = end of burn-in"},
  {NULL},
};

/* The paper's optimiser; one run compares every noise source, each at its best-fit level. */
static const RdOptionDefault classifier_defaults[] = {
  {"-sweep_lr", "1e-3"},
  {"-weight_decay", "1e-3"},
  {"-batch", "64"},
  {"-probe_samples", "100"},
  {"-sweep_frequency", "0"}, /* resolved to 1/classes unless -sweep_frequency is given */
  {"-sweep_noise_type", "node_dropout,weight_dropout,additive,multiplicative,gradient,none"},
  {"-sweep_noise_level", "0"}, /* unused unless given: each source at paper_noise_level */
  {"-sweep_width", "64"},
  {"-sweep_seeds", "1"},
  {NULL, NULL},
};

static const RdOptionRefusal classifier_refused[] = {
  {"-burnin_steps", "the classifier counts time in epochs: use -burnin_epochs, -epochs and -snapshots_per_epoch"},
  {"-days", "the classifier counts time in epochs: use -burnin_epochs, -epochs and -snapshots_per_epoch"},
  {"-steps_per_day", "the classifier counts time in epochs: use -burnin_epochs, -epochs and -snapshots_per_epoch"},
  {NULL, NULL},
};

/* The data: the mixture's sizes come from options, a file's from the file, which is read and
 * checked here so that a bad file is refused before anything runs. Then what follows: the analysed
 * classes, the default frequency 1/C, days = epochs x snapshots, the noise levels. */
static PetscErrorCode ClassifierSetUp(RdConfig *cfg)
{
  static const char *const linear_tasks[] = {"random", "e1", "e3"};
  RdClassifierOptions     *co             = (RdClassifierOptions *)cfg->model_options;
  PetscBool                given;

  PetscFunctionBeginUser;
  for (int t = 0; t < 3; t++) {
    PetscBool same;
    PetscCall(PetscStrcmp(co->data, linear_tasks[t], &same));
    PetscCheck(!same, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-data %s is a task of -model linear: -model classifier takes -data mixture or -data FILE.h5", co->data);
  }
  co->is_file = strcmp(co->data, "mixture") != 0;
  if (co->is_file) {
    RdDataset all, train, probe;
    PetscCall(RdOptionGiven("-num_classes", &given));
    PetscCheck(!given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-num_classes does not apply to -data %s: the classes are the file's labels", co->data);
    PetscCall(RdOptionGiven("-input_dim", &given));
    PetscCheck(!given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_dim does not apply to -data %s: it is the file's /inputs width", co->data);
    PetscCall(RdDatasetLoad(co->data, &all));
    PetscCall(RdDatasetSplit(&all, co->probe_every, &train, &probe));
    co->num_classes = all.num_classes;
    co->input_dim   = all.input_dim;
    PetscCall(RdDatasetDestroy(&probe));
    PetscCall(RdDatasetDestroy(&train));
    PetscCall(RdDatasetDestroy(&all));
    PetscCheck(co->num_classes <= 1000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-data %s has %" PetscInt_FMT " classes: at most 1000", co->data, co->num_classes);
  } else PetscCheck(co->mixture_rank <= co->input_dim, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-mixture_rank must be in [0, -input_dim] (got %" PetscInt_FMT ")", co->mixture_rank);
  PetscCall(RdOptionGiven("-probe_classes", &given));
  if (!given) co->probe_classes = PetscMin(co->num_classes, 10);
  PetscCheck(co->probe_classes >= 2 && co->probe_classes <= co->num_classes, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-probe_classes must be in [2, number of classes = %" PetscInt_FMT "] (got %" PetscInt_FMT ")", co->num_classes, co->probe_classes);
  PetscCheck(co->burnin_max_epochs >= co->burnin_epochs, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-burnin_max_epochs (%" PetscInt_FMT ") must be >= -burnin_epochs (%" PetscInt_FMT ")", co->burnin_max_epochs, co->burnin_epochs);
  PetscCheck(co->epochs * co->snapshots_per_epoch <= 10000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-epochs x -snapshots_per_epoch must be at most 10000 snapshots in all (got %" PetscInt_FMT " x %" PetscInt_FMT ")", co->epochs, co->snapshots_per_epoch);
  cfg->num_stimuli = co->probe_classes;
  cfg->days        = co->epochs * co->snapshots_per_epoch;
  if (!cfg->frequency_given) cfg->axes.frequency[0] = 1.0 / (double)co->num_classes;
  for (PetscInt t = 0; t < RD_NUM_NOISE_TYPES; t++) cfg->axes.noise_level_of_type[t] = paper_noise_level[t];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An epoch is one pass over the training set (~6 flops per weight per example); every snapshot
 * probes twice (the delta t = 0 null) and runs the geometry. */
static PetscReal ClassifierCost(const RdConfig *cfg, const RdPoint *point)
{
  const RdClassifierOptions *co          = RdClassifierOptionsOf(cfg);
  PetscReal                  width       = (PetscReal)point->width;
  PetscReal                  samples     = (PetscReal)cfg->probe_samples, small = PetscMin(samples, width);
  PetscReal                  per_day     = (PetscReal)cfg->num_stimuli * (samples * width * (PetscReal)co->input_dim + samples * width * small + small * small * small);
  PetscReal                  net_weights = (PetscReal)co->input_dim * (PetscReal)co->hidden_dim + (PetscReal)co->hidden_dim * width + width * (PetscReal)co->num_classes;
  PetscReal                  examples    = (PetscReal)(co->burnin_epochs + co->epochs) * (PetscReal)co->num_classes * (PetscReal)co->train_per_class;
  return 6 * net_weights * examples + (PetscReal)(cfg->days + 1) * 2 * (per_day + (PetscReal)cfg->num_stimuli * samples * net_weights);
}

/* Weights, momentum and gradient of the network, the training set and the readout rows. */
static double ClassifierMemory(const RdConfig *cfg, PetscInt width)
{
  const RdClassifierOptions *co          = RdClassifierOptionsOf(cfg);
  double                     net_weights = (double)co->input_dim * (double)co->hidden_dim + (double)co->hidden_dim * (double)width + (double)width * (double)co->num_classes;
  return 8 * (3 * net_weights + (double)co->num_classes * (double)co->train_per_class * (double)co->input_dim + (double)(cfg->days + 1) * (double)co->num_classes * (double)width);
}

/* Class 0 at the swept frequency in training, the other C - 1 classes share the rest. */
static PetscErrorCode ClassifierStimulusProbability(const RdConfig *cfg, const RdPoint *point, double *frequency, double *probability)
{
  const PetscInt others = RdClassifierOptionsOf(cfg)->num_classes - 1;

  PetscFunctionBeginUser;
  (void)frequency;
  for (PetscInt k = 0; k < cfg->num_stimuli; k++) probability[k] = k == 0 ? point->frequency : (1 - point->frequency) / (double)others;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void ClassifierSchema(const RdConfig *cfg, RdSchemaSelection *selection)
{
  (void)cfg;
  selection->with[RD_WITH_SIGNATURE] = PETSC_TRUE;
}

const RdModelOps rd_model_classifier = {
  .name    = "classifier",
  .summary = "ReLU network under six noise sources at its feature layer (Aitken et al. 2022)",
  .help    = "Choices: weight dropout draws a fresh mask per example; gradient noise is added once per step\n"
             "to the weights and bias into the feature layer; momentum is v = mu v - lr g, w += v; an epoch is\n"
             "one pass over the training set (minibatches drawn with replacement); probes and the per-snapshot\n"
             "accuracy keep the noise on; the delta t = 0 null is a second probe of the same weights. Without\n"
             "-sweep_noise_level each source runs at the paper's best fit: node_dropout 0.5, weight_dropout 0.6,\n"
             "additive 0.1, multiplicative 1, gradient 3. -sweep_frequency is class 0's share of training.",
  .options           = classifier_options,
  .options_size      = sizeof(RdClassifierOptions),
  .defaults          = classifier_defaults,
  .refused           = classifier_refused,
  .sweeps_noise_type = PETSC_TRUE,
  .frequency_meaning = "class 0",
  .setup                = ClassifierSetUp,
  .cost                 = ClassifierCost,
  .memory               = ClassifierMemory,
  .stimulus_probability = ClassifierStimulusProbability,
  .schema               = ClassifierSchema,
  .has_null_probe       = PETSC_TRUE,
  .create               = RdClassifierPointCreate,
  .train                = RdClassifierPointTrain,
  .observe              = RdClassifierPointObserve,
  .finish               = RdClassifierPointFinish,
  .destroy              = RdClassifierPointDestroy,
  .report               = RdClassifierReport,
};
