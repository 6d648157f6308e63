/* -model autoencoder: the non-negative, energy-efficient linear autoencoder of Dorrell et al.
 * (2025) trained continually on samples of a source distribution; its options, what it derives
 * from them (its sources, read and checked here when they come from a file), the cost of a point,
 * the sweep description (the corner region's presentation probability), and its ops table. The
 * days protocol is in autoencoder_point.c, its report section in autoencoder_report.c. */
#include "autoencoder_model.h"

static const char *const source_names[]    = {"grid", "diagonal", "hole", "uniform", "cube", "tetrahedron", "file", NULL};
static const char *const optimizer_names[] = {"adam", "sgd", NULL};

static RdAutoencoderSources Sources(const RdConfig *cfg) { return (RdAutoencoderSources)RdAutoencoderOptionsOf(cfg)->sources; }
static PetscBool            SourcesFile(const RdConfig *cfg) { return Sources(cfg) == RD_AE_SOURCES_FILE; }
static PetscBool            SourcesGrid(const RdConfig *cfg) { return Sources(cfg) <= RD_AE_SOURCES_HOLE; }
static PetscBool            SourcesDiagonal(const RdConfig *cfg) { return Sources(cfg) == RD_AE_SOURCES_DIAGONAL; }
static PetscBool            SourcesHole(const RdConfig *cfg) { return Sources(cfg) == RD_AE_SOURCES_HOLE; }
static PetscBool            SourcesUniform(const RdConfig *cfg) { return Sources(cfg) == RD_AE_SOURCES_UNIFORM; }

#define AT(field) .offset = offsetof(RdAutoencoderOptions, field)

static const RdOption autoencoder_options[] = {
  {.name = "-sources", .type = RD_OPTION_CHOICE, AT(sources), .choices = source_names, .default_value = "grid", .help = "Source samples: grid (k x k on [-1,1]^2), diagonal (grid with its diagonal repeated: correlated), hole (grid without a central disc), uniform (random in [-1,1]^d), cube, tetrahedron (3-D), file (-sources_file)"},
  {.name = "-sources_file", .type = RD_OPTION_STRING, AT(sources_file), .default_value = "", .help = "-sources file: HDF5 file with /sources [N, d]", .written = SourcesFile},
  {.name = "-grid_size", .type = RD_OPTION_INT, AT(grid_size), .default_value = "21", .range = "[2, 2000]", .help = "k of the k x k grids", .written = SourcesGrid},
  {.name = "-diagonal_repeats", .type = RD_OPTION_INT, AT(diagonal_repeats), .default_value = "50", .range = ">= 1", .help = "-sources diagonal: multiplicity of the diagonal points", .written = SourcesDiagonal},
  {.name = "-hole_radius", .type = RD_OPTION_REAL, AT(hole_radius), .default_value = "0.5", .range = "(0, 1)", .help = "-sources hole: radius of the removed central disc", .written = SourcesHole},
  {.name = "-uniform_samples", .type = RD_OPTION_INT, AT(uniform_samples), .default_value = "400", .range = "[2, 10000000]", .help = "-sources uniform: number of samples", .written = SourcesUniform},
  {.name = "-num_sources", .type = RD_OPTION_INT, AT(num_sources), .default_value = "2", .range = "[1, 16]", .help = "-sources uniform: number of sources d", .written = SourcesUniform},
  {.name = "-corner_cut", .type = RD_OPTION_REAL, AT(corner_cut), .default_value = "1", .range = "(0, 4)", .why = "the corner region is {s1 + s2 < -2 + corner_cut} of [-1,1]^2", .help = "The corner region {s1 + s2 < -2 + corner_cut} whose presentation probability is the frequency axis"},
  {.name = "-activity_l2", .type = RD_OPTION_REAL, AT(activity_l2), .default_value = "1e-3", .range = "> 0", .why = "the energy cost; the modular loss divides by it", .help = "Energy cost of the activity, activity_l2 * 0.5 |z|^2"},
  {.name = "-nonneg_penalty", .type = RD_OPTION_REAL, AT(nonneg_penalty), .default_value = "1", .range = ">= 0", .help = "Weight of the non-negativity hinge 0.5 sum relu(-z)"},
  {.name = "-optimizer", .type = RD_OPTION_CHOICE, AT(optimizer), .choices = optimizer_names, .default_value = "adam", .help = "Optimiser of the training"},
  {NULL},
};

/* The paper's penalised autoencoder trained by Adam; the full grid against a rarely seen corner. */
static const RdOptionDefault autoencoder_defaults[] = {
  {"-sweep_lr", "1e-3"},
  {"-weight_decay", "1e-4"},
  {"-batch", "16"},
  {"-burnin_steps", "20000"},
  {"-days", "5"},
  {"-steps_per_day", "2000"},
  {"-probe_samples", "200"},
  {"-sweep_frequency", "0"}, /* unused unless given: the samples' natural (uniform) presentation */
  {"-sweep_dropout", "0"},
  {"-sweep_width", "2,3"},
  {"-sweep_seeds", "2"},
  {NULL, NULL},
};

static const RdOptionRefusal autoencoder_refused[] = {
  {"-noise", NULL},
  {"-sweep_noise_type", NULL},
  {"-data", "its data are the -sources samples"},
  {"-input_dim", "its data are the -sources samples"},
  {NULL, NULL},
};

/* The sources (a file is read and checked here, before anything runs), the corner region's share
 * of them, and the combinations of options the model needs. */
static PetscErrorCode AutoencoderSetUp(RdConfig *cfg)
{
  RdAutoencoderOptions *ao = (RdAutoencoderOptions *)cfg->model_options;
  PetscBool             named;
  PetscInt              in_corner;
  double               *sources;

  PetscFunctionBeginUser;
  PetscCall(RdOptionGiven("-sources_file", &named));
  PetscCheck((ao->sources == RD_AE_SOURCES_FILE) == named, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sources file and -sources_file FILE.h5 go together (give both, or neither)");
  PetscCheck(!cfg->frequency_given || ao->sources <= RD_AE_SOURCES_HOLE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_frequency sets how often the corner region of a 2-D grid is presented: it needs -sources grid, diagonal or hole");
  PetscCheck(cfg->weight_decay > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-weight_decay must be > 0 for -model autoencoder (the weight cost of the modularity theory)");
  PetscCall(RdAutoencoderBuildSources(cfg, &ao->n_samples, &ao->n_sources, &sources));
  if (ao->sources == RD_AE_SOURCES_FILE && !(ao->n_samples >= 2 && ao->n_sources >= 1 && ao->n_sources <= 16)) {
    PetscCall(PetscFree(sources));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sources_file %s: /sources is [%" PetscInt_FMT ", %" PetscInt_FMT "]; it needs at least 2 samples of 1 to 16 sources", ao->sources_file, ao->n_samples, ao->n_sources);
  }
  PetscCall(RdAutoencoderCornerCount(cfg, ao->n_samples, ao->n_sources, sources, &in_corner));
  PetscCall(PetscFree(sources));
  ao->corner_share = (double)in_corner / (double)ao->n_samples;
  PetscCheck(!cfg->frequency_given || (in_corner > 0 && in_corner < ao->n_samples), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-corner_cut %g leaves %" PetscInt_FMT " of %" PetscInt_FMT " samples in the corner region {s1 + s2 < -2 + corner_cut}: -sweep_frequency needs samples inside and outside it", (double)ao->corner_cut, in_corner, ao->n_samples);
  cfg->num_stimuli = 1; /* one stimulus group: probes are presentations from the distribution */
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ~12 flops per weight and presentation (encoder and decoder, forward and backward), plus the
 * per-day probes and geometry. */
static PetscReal AutoencoderCost(const RdConfig *cfg, const RdPoint *point)
{
  const RdAutoencoderOptions *ao      = RdAutoencoderOptionsOf(cfg);
  PetscReal                   width   = (PetscReal)point->width;
  PetscReal                   steps   = (PetscReal)(cfg->burnin_steps + cfg->days * cfg->steps_per_day) * (PetscReal)cfg->batch;
  PetscReal                   samples = (PetscReal)cfg->probe_samples, small = PetscMin(samples, width);
  PetscReal                   per_day = (PetscReal)cfg->num_stimuli * (samples * width * (PetscReal)ao->n_sources + samples * width * small + small * small * small);
  return 12 * width * steps + (PetscReal)(cfg->days + 1) * per_day;
}

/* The samples with their probabilities and latents, and the weights with Adam's moments. */
static double AutoencoderMemory(const RdConfig *cfg, PetscInt width)
{
  const RdAutoencoderOptions *ao = RdAutoencoderOptionsOf(cfg);
  return 8 * ((double)ao->n_samples * ((double)ao->n_sources + (double)width + 2) + 3 * (2 * (double)width * (double)ao->n_sources + (double)width + (double)ao->n_sources));
}

/* One group; without -sweep_frequency the samples are presented uniformly, so the corner region
 * is seen with its share of the samples. */
static PetscErrorCode AutoencoderStimulusProbability(const RdConfig *cfg, const RdPoint *point, double *frequency, double *probability)
{
  PetscFunctionBeginUser;
  *frequency     = cfg->frequency_given ? point->frequency : RdAutoencoderOptionsOf(cfg)->corner_share;
  probability[0] = 1;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void AutoencoderSchema(const RdConfig *cfg, RdSchemaSelection *selection)
{
  (void)cfg;
  selection->with[RD_WITH_MODULARITY] = PETSC_TRUE;
}

const RdModelOps rd_model_autoencoder = {
  .name    = "autoencoder",
  .summary = "non-negative energy-efficient linear autoencoder (Dorrell et al. 2025)",
  .help    = "Choices: the non-negativity term is the linear hinge 0.5 sum relu(-z); kappa uses the presented\n"
             "samples' support and presentation-weighted moments. -sweep_frequency, in [0,1), is the\n"
             "presentation probability of the samples in the corner region {s1 + s2 < -2 + corner_cut} (0 cuts\n"
             "the corner); without it every sample is presented equally.",
  .options              = autoencoder_options,
  .options_size         = sizeof(RdAutoencoderOptions),
  .defaults             = autoencoder_defaults,
  .refused              = autoencoder_refused,
  .frequency_range      = "[0, 1)",
  .frequency_meaning    = "the corner region's samples (0: the corner is cut)",
  .frequency_optional   = PETSC_TRUE,
  .setup                = AutoencoderSetUp,
  .cost                 = AutoencoderCost,
  .memory               = AutoencoderMemory,
  .stimulus_probability = AutoencoderStimulusProbability,
  .schema               = AutoencoderSchema,
  .create               = RdAutoencoderPointCreate,
  .train                = RdAutoencoderPointTrain,
  .observe              = RdAutoencoderPointObserve,
  .destroy              = RdAutoencoderPointDestroy,
  .report               = RdAutoencoderReport,
};
