/* -model classifier: the ReLU classifier of Aitken et al. (2022) trained continually under one of
 * six noise sources at its feature layer; its options, what it derives from them and from its data
 * file, the cost of a point, and its ops table. The days protocol (a snapshot is a day) is in
 * classifier_point.c, its report section (the drift signature) in classifier_report.c. */
#include "classifier_model.h"
#include <repdrift/dataset.h>
#include <repdrift/models/classifier.h>
#include <repdrift/noise.h>
#include <string.h>

/* The level each noise source runs at when no -sweep_noise_level is given: the best fit of Aitken
 * et al. (2022) to the drift of mouse visual cortex, indexed by RdNoiseType. */
static const PetscReal paper_noise_level[RD_NUM_NOISE_TYPES] = {
  [RD_NOISE_NONE] = 0, [RD_NOISE_NODE_DROPOUT] = 0.5, [RD_NOISE_WEIGHT_DROPOUT] = 0.6, [RD_NOISE_ADDITIVE] = 0.1, [RD_NOISE_MULTIPLICATIVE] = 1.0, [RD_NOISE_GRADIENT] = 3.0};

static PetscBool MixtureData(const RdConfig *cfg) { return !RdClassifierOptionsOf(cfg)->is_file; }
static PetscBool FileData(const RdConfig *cfg) { return RdClassifierOptionsOf(cfg)->source == RD_CLASSIFIER_DATA_FILE; }
static PetscBool UntilPlateau(const RdConfig *cfg) { return RdClassifierOptionsOf(cfg)->burnin_until_plateau; }
static PetscBool LeNet(const RdConfig *cfg) { return RdClassifierOptionsOf(cfg)->architecture == RD_CLASSIFIER_LENET; }
/* The noise details are written where they are not the mlp's historical choice, so that the options
 * text of earlier mlp archives stays as it was. */
static PetscBool MaskWritten(const RdConfig *cfg) { return LeNet(cfg) || RdClassifierOptionsOf(cfg)->weight_dropout_mask != RD_WEIGHT_MASK_PER_EXAMPLE; }
static PetscBool GradientTargetWritten(const RdConfig *cfg) { return LeNet(cfg) || RdClassifierOptionsOf(cfg)->gradient_noise_on != RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS; }

/* Option values, indexed by their enums (NULL-terminated for the option table). */
static const char *const architecture_choices[]  = {[RD_CLASSIFIER_MLP] = "mlp", [RD_CLASSIFIER_LENET] = "lenet", [RD_NUM_CLASSIFIER_ARCHITECTURES] = NULL};
static const char *const weight_mask_choices[]   = {[RD_WEIGHT_MASK_PER_EXAMPLE] = "per_example", [RD_WEIGHT_MASK_PER_BATCH] = "per_batch", [RD_NUM_WEIGHT_MASK_SCOPES] = NULL};
static const char *const gradient_target_choices[] = {[RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS] = "weights_and_bias", [RD_GRADIENT_NOISE_WEIGHTS] = "weights", [RD_NUM_GRADIENT_NOISE_TARGETS] = NULL};

#define AT(field) .offset = offsetof(RdClassifierOptions, field)

static const RdOption classifier_options[] = {
  {.name = "-architecture", .type = RD_OPTION_CHOICE, AT(architecture), .default_value = "mlp", .choices = architecture_choices, .help = "Network: mlp (input -> hidden -> feature layer -> readout) or lenet (the paper's CNN: conv 6@5x5 pad 2, pool, conv 16@5x5, pool, hidden, feature layer, readout)", .written = LeNet},
  {.name = "-data", .type = RD_OPTION_STRING, AT(data), .default_value = "mixture", .help = "Data: mixture (Gaussian classes, the -mixture_* options; mlp only), fashion_mnist (60000 training and 10000 test images, -fashion_mnist_dir) or FILE.h5 with /inputs [N, n] (lenet: or [N, C, H, W]) and integer /labels [N] (0..C-1)"},
  {.name = "-fashion_mnist_dir", .type = RD_OPTION_STRING, AT(fashion_mnist_dir), .default_value = RD_FASHION_MNIST_DIR, .help = "-data fashion_mnist: directory of train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz (Debian: dataset-fashion-mnist)", .written = RdOptionNotWritten},
  {.name = "-input_shape", .type = RD_OPTION_STRING, AT(input_shape), .default_value = "", .help = "lenet: C,H,W of each example of an [N, n] file (C H W = n; H, W >= 12); a 4-D file and Fashion-MNIST give their own", .written = LeNet},
  {.name = "-probe_classes", .type = RD_OPTION_INT, AT(probe_classes), .default_value = "0", .help = "Analysed classes 0..N-1: the stimulus groups of the geometry (0: all, at most 10)"},
  {.name = "-hidden_dim", .type = RD_OPTION_INT, AT(hidden_dim), .default_value = "64", .range = "[1, 65536]", .help = "Width of the hidden ReLU layer below the feature layer (lenet: default 120, the paper's)"},
  {.name = "-weight_dropout_mask", .type = RD_OPTION_CHOICE, AT(weight_dropout_mask), .default_value = "per_example", .choices = weight_mask_choices, .help = "weight_dropout: a fresh mask per_example or one per forward pass (per_batch; the paper's, the default for lenet)", .written = MaskWritten},
  {.name = "-gradient_noise_on", .type = RD_OPTION_CHOICE, AT(gradient_noise_on), .default_value = "weights_and_bias", .choices = gradient_target_choices, .help = "gradient noise: on the weights into the feature layer (weights; the paper's, the default for lenet) or on them and its bias (weights_and_bias)", .written = GradientTargetWritten},
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

/* -input_shape C,H,W: three integers in [1, 65536] (the empty default: none given). */
static PetscErrorCode ParseInputShape(const char *text, RdImageShape *shape)
{
  long long value[3];
  int       used = -1;

  PetscFunctionBeginUser;
  *shape = (RdImageShape){0, 0, 0};
  if (!text[0]) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(sscanf(text, "%lld,%lld,%lld%n", &value[0], &value[1], &value[2], &used) == 3 && used == (int)strlen(text), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_shape must be C,H,W: three integers, e.g. 1,28,28 (got \"%s\")", text);
  for (int i = 0; i < 3; i++) PetscCheck(value[i] >= 1 && value[i] <= 65536, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_shape %s: each of C, H, W must be in [1, 65536]", text);
  *shape = (RdImageShape){(PetscInt)value[0], (PetscInt)value[1], (PetscInt)value[2]};
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Which data -data names, and the combinations of options that cannot work with it. */
static PetscErrorCode ChooseData(RdClassifierOptions *co)
{
  static const char *const linear_tasks[] = {"random", "e1", "e3"};
  const PetscBool          lenet          = co->architecture == RD_CLASSIFIER_LENET;
  PetscBool                given;

  PetscFunctionBeginUser;
  for (int t = 0; t < 3; t++) PetscCheck(strcmp(co->data, linear_tasks[t]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-data %s is a task of -model linear: -model classifier takes -data mixture, fashion_mnist or FILE.h5", co->data);
  co->source  = !strcmp(co->data, "mixture") ? RD_CLASSIFIER_DATA_MIXTURE : !strcmp(co->data, "fashion_mnist") ? RD_CLASSIFIER_DATA_FASHION_MNIST : RD_CLASSIFIER_DATA_FILE;
  co->is_file = co->source != RD_CLASSIFIER_DATA_MIXTURE;
  PetscCheck(!(lenet && co->source == RD_CLASSIFIER_DATA_MIXTURE), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-architecture lenet needs images: give -data fashion_mnist or -data FILE.h5 (the mixture draws vectors)");
  PetscCall(ParseInputShape(co->input_shape, &co->given_shape));
  PetscCheck(lenet || !co->input_shape[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_shape applies to -architecture lenet only (the mlp takes each example as a vector)");
  if (co->is_file) {
    PetscCall(RdOptionGiven("-num_classes", &given));
    PetscCheck(!given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-num_classes does not apply to -data %s: the classes are the data's labels", co->data);
    PetscCall(RdOptionGiven("-input_dim", &given));
    PetscCheck(!given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_dim does not apply to -data %s: it is the data's size of an example", co->data);
  }
  if (co->source == RD_CLASSIFIER_DATA_FASHION_MNIST) {
    PetscCall(RdOptionGiven("-probe_every", &given));
    PetscCheck(!given, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-probe_every does not apply to -data fashion_mnist: probes and accuracy come from its 10000 test images");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The data: the mixture's sizes come from options; a file's or Fashion-MNIST's from the data, which
 * is read and checked here (once per process, classifier_data.c) so that a bad file is refused
 * before anything runs. Then what follows: the architecture's defaults, the analysed classes, the
 * default frequency 1/C, days = epochs x snapshots, the noise levels. */
static PetscErrorCode ClassifierSetUp(RdConfig *cfg)
{
  RdClassifierOptions *co    = (RdClassifierOptions *)cfg->model_options;
  const PetscBool      lenet = co->architecture == RD_CLASSIFIER_LENET;
  PetscBool            given;

  PetscFunctionBeginUser;
  PetscCall(ChooseData(co));
  if (co->is_file) {
    const RdClassifierData *data;
    PetscCall(RdClassifierDataGet(co, &data));
    co->num_classes = data->train.num_classes;
    co->input_dim   = data->train.input_dim;
    co->n_train     = data->train.n_examples;
    co->n_heldout   = data->heldout.n_examples;
    co->image       = data->shape;
    PetscCheck(co->num_classes <= 1000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-data %s has %" PetscInt_FMT " classes: at most 1000", co->data, co->num_classes);
  } else {
    PetscCheck(co->mixture_rank <= co->input_dim, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-mixture_rank must be in [0, -input_dim] (got %" PetscInt_FMT ")", co->mixture_rank);
    co->n_train = co->num_classes * co->train_per_class;
    co->image   = (RdImageShape){co->input_dim, 1, 1};
  }
  if (lenet) {
    PetscCheck(co->image.height >= RD_LENET_MIN_SIDE && co->image.width >= RD_LENET_MIN_SIDE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-architecture lenet needs images of at least %d x %d pixels, but -data %s gives %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT " (C x H x W)%s", RD_LENET_MIN_SIDE, RD_LENET_MIN_SIDE, co->data, co->image.channels, co->image.height, co->image.width,
               co->given_shape.channels ? "" : ": for /inputs [N, n] give -input_shape C,H,W");
    PetscCall(PetscSNPrintf(co->input_shape, sizeof co->input_shape, "%" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT, co->image.channels, co->image.height, co->image.width));
    /* the paper's network (Aitken et al. 2022): hidden 120, feature layer 84, a weight-dropout mask per
     * forward pass, gradient noise on the weights only -- unless given */
    PetscCall(RdOptionGiven("-hidden_dim", &given));
    if (!given) co->hidden_dim = RD_LENET_HIDDEN_DIM;
    PetscCall(RdOptionGiven("-sweep_width", &given));
    if (!given) {
      cfg->axes.n_width  = 1;
      cfg->axes.width[0] = RD_LENET_FEATURE_DIM;
    }
    RdClassifierHyper details;
    RdClassifierNoiseDetailsDefault(RD_CLASSIFIER_LENET, &details);
    PetscCall(RdOptionGiven("-weight_dropout_mask", &given));
    if (!given) co->weight_dropout_mask = details.weight_mask;
    PetscCall(RdOptionGiven("-gradient_noise_on", &given));
    if (!given) co->gradient_noise_on = details.gradient_on;
  }
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

/* Multiply-adds of one example's forward pass (the mlp: its weights; the lenet: its convolutions
 * too, c1 C 25 H W + c2 c1 25 h2 w2 with h2 = H/2 - 4). */
static PetscReal ForwardMacs(const RdClassifierOptions *co, PetscReal width)
{
  PetscReal flat = (PetscReal)co->input_dim, conv = 0;
  if (co->architecture == RD_CLASSIFIER_LENET) {
    const PetscReal K2 = RD_LENET_KERNEL * RD_LENET_KERNEL, c1 = RD_LENET_CONV1_CHANNELS, c2 = RD_LENET_CONV2_CHANNELS;
    const PetscInt  h2 = co->image.height / 2 - (RD_LENET_KERNEL - 1), w2 = co->image.width / 2 - (RD_LENET_KERNEL - 1);
    conv = c1 * (PetscReal)co->image.channels * K2 * (PetscReal)co->image.height * (PetscReal)co->image.width + c2 * c1 * K2 * (PetscReal)h2 * (PetscReal)w2;
    flat = c2 * (PetscReal)(h2 / 2) * (PetscReal)(w2 / 2);
  }
  return conv + flat * (PetscReal)co->hidden_dim + (PetscReal)co->hidden_dim * width + width * (PetscReal)co->num_classes;
}

/* An epoch is one pass over the training set (~6 flops per multiply-add per example); every
 * snapshot probes twice (the delta t = 0 null) and runs the geometry. */
static PetscReal ClassifierCost(const RdConfig *cfg, const RdPoint *point)
{
  const RdClassifierOptions *co      = RdClassifierOptionsOf(cfg);
  PetscReal                  width   = (PetscReal)point->width;
  PetscReal                  samples = (PetscReal)cfg->probe_samples, small = PetscMin(samples, width);
  PetscReal                  per_day = (PetscReal)cfg->num_stimuli * (samples * width * (PetscReal)co->input_dim + samples * width * small + small * small * small);
  PetscReal                  macs    = ForwardMacs(co, width);
  PetscReal                  examples = (PetscReal)(co->burnin_epochs + co->epochs) * (PetscReal)co->n_train;
  return 6 * macs * examples + (PetscReal)(cfg->days + 1) * 2 * (per_day + (PetscReal)cfg->num_stimuli * samples * macs);
}

/* Weights, momentum and gradient of the network, its minibatch buffers, the training set and the
 * readout rows. A file's or Fashion-MNIST's examples are held once per rank (classifier_data.c),
 * counted here with the point. */
static double ClassifierMemory(const RdConfig *cfg, PetscInt width)
{
  const RdClassifierOptions *co          = RdClassifierOptionsOf(cfg);
  double                     net_weights = (double)co->input_dim * (double)co->hidden_dim + (double)co->hidden_dim * (double)width + (double)width * (double)co->num_classes;
  double                     examples    = co->is_file ? (double)co->n_train + (double)co->n_heldout : (double)co->num_classes * (double)co->train_per_class;
  double                     batch_maps  = 0;
  if (co->architecture == RD_CLASSIFIER_LENET) /* forward and backward maps of a minibatch, about 4 copies of conv1's output */
    batch_maps = 4 * (double)cfg->batch * RD_LENET_CONV1_CHANNELS * (double)(co->image.height + 4) * (double)(co->image.width + 4);
  return 8 * (3 * net_weights + examples * (double)co->input_dim + batch_maps + (double)(cfg->days + 1) * (double)co->num_classes * (double)width);
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
  .help    = "Choices: -architecture mlp (default) or lenet, the paper's CNN (conv 6@5x5 pad 2, ReLU, 2x2 max pool; conv\n"
             "16@5x5, ReLU, pool; -hidden_dim 120; the feature layer, -sweep_width 84; readout) on images (-data\n"
             "fashion_mnist or an image file); lenet's defaults are the paper's: hidden 120, width 84, one weight-dropout\n"
             "mask per forward pass, gradient noise on the weights only. The mlp's: a fresh weight-dropout mask per\n"
             "example, gradient noise on the weights and bias into the feature layer, added once per step. Momentum is\n"
             "v = mu v - lr g, w += v; an epoch is one pass over the training set (minibatches drawn with replacement);\n"
             "probes and the per-snapshot accuracy keep the noise on and run in forward passes of -batch examples; the\n"
             "delta t = 0 null is a second probe of the same weights. Without -sweep_noise_level each source runs at the\n"
             "paper's best fit: node_dropout 0.5, weight_dropout 0.6, additive 0.1, multiplicative 1, gradient 3.\n"
             "-sweep_frequency is class 0's share of training.",
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
