/* The configuration module alone (config.c, options.c and the models' option tables; no file is
 * read): the documented defaults of every model, the ranges and list checks, the refusal of other
 * models' options, and the round trip text -> options database -> config -> text that lets an
 * archive's /config/options serve as an -options_file (and -resume compare runs). */
#include <repdrift/config.h>
#include <repdrift/model.h>
#include <repdrift/noise.h>
#include <repdrift/run.h>
#include <string.h>
#include "testing.h"
#include "test_configure.h"


/* Reads options into cfg without the model's setup (for models whose setup reads files named by
 * an option: this test reads no file). */
static void AcceptOptions(const char *options, RdConfig *cfg)
{
  PetscErrorCode failed;

  PetscCallAbort(PETSC_COMM_SELF, PetscOptionsClear(NULL));
  PetscCallAbort(PETSC_COMM_SELF, PetscOptionsInsertString(NULL, options));
  PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = RdConfigFromOptions(PETSC_COMM_WORLD, cfg);
  PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
  RD_CHECK(failed == 0, "\"%s\" read (error %d)", options, (int)failed);
}

/* The options must be accepted (and are left in cfg). */
static void Accept(const char *options, RdConfig *cfg)
{
  char message[2048];
  RD_CHECK(RdTestConfigure(options, cfg, message, sizeof message) == 0, "\"%s\" accepted (got: %s)", options, message);
}

/* The options must be refused as a user error whose message contains `expected`. */
static void Refuse(const char *options, const char *expected)
{
  RdConfig       cfg;
  char           message[2048];
  PetscErrorCode failed = RdTestConfigure(options, &cfg, message, sizeof message);
  RD_CHECK(failed == PETSC_ERR_USER_INPUT && strstr(message, expected), "\"%s\" refused naming \"%s\" (error %d: %s)", options, expected, (int)failed, message);
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
}

static PetscBool SameReals(const PetscReal *a, PetscInt n, const double *expected, PetscInt n_expected)
{
  if (n != n_expected) return PETSC_FALSE;
  for (PetscInt i = 0; i < n; i++)
    if (a[i] != expected[i]) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* The defaults the README's Options table documents, model by model. */
static void TestDefaults(void)
{
  RdConfig cfg;
  char     text[64];

  Accept("", &cfg);
  const RdSweepAxes *axes = &cfg.axes;
  RD_CHECK(!strcmp(cfg.model->name, "linear"), "default model linear, got %s", cfg.model->name);
  RD_CHECK(!strcmp(cfg.output, "repdrift.h5") && cfg.seed == 1 && !cfg.overwrite && !cfg.resume && !cfg.save_responses, "run defaults: -output repdrift.h5 -seed 1, flags off");
  RD_CHECK(cfg.slice_index == 0 && cfg.slice_count == 1, "-sweep_slice 0,1");
  RD_CHECK(SameReals(axes->frequency, axes->n_frequency, (double[]){0.1, 0.25, 0.5}, 3), "-sweep_frequency 0.1,0.25,0.5");
  RD_CHECK(SameReals(axes->noise_level, axes->n_noise_level, (double[]){0, 0.2}, 2), "-sweep_dropout 0,0.2");
  RD_CHECK(axes->n_width == 3 && axes->width[0] == 16 && axes->width[1] == 64 && axes->width[2] == 256, "-sweep_width 16,64,256");
  RD_CHECK(SameReals(axes->lr, axes->n_lr, (double[]){0.02}, 1) && axes->n_seeds == 2, "-lr 0.02, -sweep_seeds 2");
  RD_CHECK(axes->n_noise_type == 1 && axes->noise_type[0] == RD_NOISE_NODE_DROPOUT && !axes->noise_level_per_type, "one noise type: hidden-unit dropout at the dropout axis");
  RD_CHECK(cfg.weight_decay == 1e-3 && cfg.batch == 1 && cfg.burnin_steps == 100000 && cfg.days == 10 && cfg.steps_per_day == 10000 && cfg.probe_samples == 200 && cfg.readout_l2 == 1e-2, "training defaults: g 1e-3, batch 1, burn-in 100000, 10 days of 10000 steps, 200 probes, readout L2 1e-2");
  RD_CHECK(cfg.num_stimuli == 4, "linear: K = 4 stimuli, got %d", (int)cfg.num_stimuli);
  const RdOption *input_noise = RdOptionsFind(cfg.model->options, "-input_noise");
  PetscCallAbort(PETSC_COMM_SELF, RdOptionFormat(input_noise, cfg.model_options, text, sizeof text));
  RD_CHECK(!strcmp(text, "-input_noise 0.10000000000000001"), "linear -input_noise 0.1 (%s)", text);
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));

  Accept("-model classifier", &cfg);
  RD_CHECK(cfg.model->sweeps_noise_type && cfg.axes.n_noise_type == RD_NUM_NOISE_TYPES && cfg.axes.noise_type[0] == RD_NOISE_NODE_DROPOUT && cfg.axes.noise_type[5] == RD_NOISE_NONE, "classifier: all six noise sources, node_dropout first, none last");
  RD_CHECK(cfg.axes.noise_level_per_type && cfg.axes.noise_level_of_type[RD_NOISE_NODE_DROPOUT] == 0.5 && cfg.axes.noise_level_of_type[RD_NOISE_WEIGHT_DROPOUT] == 0.6 && cfg.axes.noise_level_of_type[RD_NOISE_GRADIENT] == 3, "classifier: each source at the paper's level (0.5, 0.6, ..., 3)");
  RD_CHECK(cfg.axes.lr[0] == 1e-3 && cfg.batch == 64 && cfg.probe_samples == 100 && cfg.axes.width[0] == 64 && cfg.axes.n_seeds == 1, "classifier: lr 1e-3, batch 64, 100 probes, width 64, 1 seed");
  RD_CHECK(cfg.num_stimuli == 10 && cfg.days == 50 && cfg.axes.n_frequency == 1 && cfg.axes.frequency[0] == 0.1, "classifier: 10 analysed classes of 10, 5 epochs x 10 snapshots, frequency 1/10 (got %d, %d, %g)", (int)cfg.num_stimuli, (int)cfg.days, cfg.axes.frequency[0]);
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));

  Accept("-model classifier -num_classes 4", &cfg);
  RD_CHECK(cfg.num_stimuli == 4 && cfg.axes.frequency[0] == 0.25, "classifier, 4 classes: all 4 analysed, frequency 1/4");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));

  Accept("-model autoencoder", &cfg);
  RD_CHECK(cfg.num_stimuli == 1 && cfg.days == 5 && cfg.steps_per_day == 2000 && cfg.burnin_steps == 20000 && cfg.batch == 16 && cfg.weight_decay == 1e-4 && cfg.axes.lr[0] == 1e-3, "autoencoder: one group, 20000 + 5 x 2000 steps, batch 16, g 1e-4, lr 1e-3");
  RD_CHECK(cfg.axes.n_width == 2 && cfg.axes.width[0] == 2 && cfg.axes.width[1] == 3 && !cfg.frequency_given, "autoencoder: widths 2,3, natural presentation");
  {
    /* 21 x 21 grid on [-1,1]^2, corner {s1 + s2 < -1}: (i + j) 0.1 - 2 < -1 for i + j <= 9, i.e.
     * 1 + 2 + ... + 10 = 55 of 441 samples; the sweep records that share as the frequency */
    RdDims  dims;
    double *description[RD_NUM_FIELDS] = {NULL};
    PetscCallAbort(PETSC_COMM_SELF, RdRunDims(&cfg, &dims));
    PetscCallAbort(PETSC_COMM_SELF, PetscMalloc2(dims.size[RD_DIM_POINT] * 16, &description[RD_FIELD_SWEEP_FREQUENCY], dims.size[RD_DIM_POINT] * 16, &description[RD_FIELD_SWEEP_STIMULUS_PROBABILITY]));
    for (int f = 0; f < RD_NUM_FIELDS; f++)
      if (f != RD_FIELD_SWEEP_FREQUENCY && f != RD_FIELD_SWEEP_STIMULUS_PROBABILITY && rd_field_specs[f].when == RD_WRITTEN_AT_CREATION) PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(dims.size[RD_DIM_POINT], &description[f]));
    PetscCallAbort(PETSC_COMM_SELF, RdRunSweepDescription(&cfg, &dims, description));
    RD_CHECK(description[RD_FIELD_SWEEP_FREQUENCY][0] == 55.0 / 441.0 && description[RD_FIELD_SWEEP_STIMULUS_PROBABILITY][0] == 1, "autoencoder: /sweep/frequency = corner share 55/441, got %.17g", description[RD_FIELD_SWEEP_FREQUENCY][0]);
    PetscCallAbort(PETSC_COMM_SELF, PetscFree2(description[RD_FIELD_SWEEP_FREQUENCY], description[RD_FIELD_SWEEP_STIMULUS_PROBABILITY]));
    for (int f = 0; f < RD_NUM_FIELDS; f++)
      if (f != RD_FIELD_SWEEP_FREQUENCY && f != RD_FIELD_SWEEP_STIMULUS_PROBABILITY) PetscCallAbort(PETSC_COMM_SELF, PetscFree(description[f]));
  }
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));

  Accept("-data e3", &cfg);
  RD_CHECK(cfg.num_stimuli == 3, "linear -data e3: K = 3 fixed by the configuration");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
}

/* Every table is well formed: defaults inside their ranges for every model (with its defaults of
 * the run's options), help on every row, no model row shadowing a run option, aliases sound. */
static void TestTables(void)
{
  PetscCallAbort(PETSC_COMM_SELF, RdModelRegisterAll());
  RD_CHECK(RdModelCount() >= 3, "at least the three models registered");
  for (PetscInt i = 0; i < RdModelCount(); i++) {
    const RdModelOps *model = RdModelAt(i);
    RdConfig          cfg;
    char              options[64];
    PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(options, sizeof options, "-model %s", model->name));
    if (!strcmp(model->name, "recording")) AcceptOptions(options, &cfg); /* its setup reads -recordings */
    else Accept(options, &cfg);
    PetscErrorCode failed;
    PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    failed = RdOptionsCheckAll(RdConfigRunOptions(), &cfg);
    if (!failed) failed = RdOptionsCheckAll(RdConfigTrainingOptions(), &cfg);
    if (!failed && model->options) failed = RdOptionsCheckAll(model->options, cfg.model_options);
    PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
    RD_CHECK(!failed, "-model %s: every default lies in its option's range", model->name);
    PetscInt no_help = 0, shadowing = 0;
    for (const RdOption *o = model->options; o && o->name; o++) {
      no_help += !o->help || !o->help[0];
      shadowing += RdOptionsFind(RdConfigRunOptions(), o->name) || RdOptionsFind(RdConfigTrainingOptions(), o->name);
    }
    RD_CHECK(no_help == 0 && shadowing == 0, "-model %s: every option has help, none shadows a run option", model->name);
    PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  }
}

static void TestRanges(void)
{
  RdConfig cfg;

  Refuse("-days 0", "-days must be in [1, 10000] (got 0)");
  Refuse("-days 10001", "-days must be in [1, 10000] (got 10001)");
  Accept("-days 10000", &cfg);
  RD_CHECK(cfg.days == 10000, "-days 10000 is the largest accepted");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  Refuse("-days 1.5", "-days 1.5");
  Refuse("-input_noise nan", "-input_noise must be a finite number >= 0 (got nan)");
  Refuse("-weight_decay inf", "-weight_decay must be a finite number >= 0 (got inf)");
  Refuse("-probe_samples 3", "split halves need two samples each");
  Refuse("-sweep_width 8,0", "-sweep_width values must be in [1, 65536] (got 0)");
  Refuse("-sweep_frequency 0", "-sweep_frequency values must be in (0, 1) (got 0): it is the presentation probability of stimulus 0");
  Accept("-model autoencoder -sweep_frequency 0,0.1", &cfg); /* the autoencoder may cut its corner */
  RD_CHECK(cfg.frequency_given && cfg.axes.frequency[0] == 0, "autoencoder: frequency 0 accepted");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  Refuse("-model classifier -momentum 1", "-momentum must be in [0, 1) (got 1)");
  Refuse("-model autoencoder -corner_cut 0", "-corner_cut must be in (0, 4) (got 0)");
  Refuse("-model autoencoder -optimizer adagrad", "-optimizer: 'adagrad' is not one of adam, sgd");
  Refuse("-sweep_dropout 1", "-sweep_dropout");
  Refuse("-model classifier -noise additive -sweep_noise_level -1", "-sweep_noise_level");
  Refuse("-sweep_slice 3,3", "-sweep_slice 3,3: need 0 <= INDEX < COUNT");
  Refuse("-sweep_slice 1", "-sweep_slice takes two integers");
  Refuse("-resume -overwrite", "contradict");
  Refuse("-protocol replicas -replica_steps 1500 -record_every 1000", "-replica_steps (1500) must be a positive multiple of -record_every (1000)");
  /* sweep axes: no empty or repeated entries */
  Refuse("-sweep_width 8,,16", "-sweep_width 8,,16 has an empty entry");
  Refuse("-sweep_width 8,16,8", "-sweep_width: the value 8 is repeated");
  Refuse("-sweep_frequency 0.5,0.5", "-sweep_frequency: the value 0.5 is repeated");
  Refuse("-model classifier -sweep_noise_type none,none", "-sweep_noise_type: the value none is repeated");
  Refuse("-sweep_width", "-sweep_width was given no values");
  /* aliases: one name or the other */
  Refuse("-lr 0.1 -sweep_lr 0.1,0.2", "Give either -lr or -sweep_lr, not both");
  Accept("-lr 0.05", &cfg);
  RD_CHECK(cfg.axes.n_lr == 1 && cfg.axes.lr[0] == 0.05, "-lr 0.05 is the one learning rate");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  Accept("-model classifier -noise additive -sweep_noise_level 0.1,0.2", &cfg);
  RD_CHECK(cfg.axes.n_noise_type == 1 && cfg.axes.noise_type[0] == RD_NOISE_ADDITIVE && cfg.axes.n_noise_level == 2 && !cfg.axes.noise_level_per_type, "-noise additive with a level axis");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  Refuse("-model perceptron", "-model: 'perceptron' is not one of");
  Refuse("-frobnicate 1", "Unknown option -frobnicate");
}

/* -model recording's own options are refused before any file is read (its files: tests/recordings). */
static void TestRecordingOptions(void)
{
  Refuse("-model recording", "-model recording needs -recordings FILE.h5");
  Refuse("-model recording -recordings a.h5,,b.h5", "-recordings a.h5,,b.h5 has an empty entry");
  Refuse("-model recording -recordings a.h5,b.h5,a.h5", "-recordings names a.h5 twice");
  Refuse("-model recording -recordings a.h5 -sessions 0,x", "-sessions 0,x: 'x' is not an index");
  Refuse("-model recording -recordings a.h5 -stimuli 1,,2", "-stimuli 1,,2: give all, or a comma list");
  Refuse("-model recording -recordings a.h5 -min_trials 1", "-min_trials must be in [2, 1000000] (got 1)");
  Refuse("-model recording -recordings /nonexistent/a.h5", "Cannot read /nonexistent/a.h5");
  Refuse("-model recording -recordings a.h5 -days 3", "-days does not apply to -model recording: the days are the recording's sessions");
  Refuse("-model recording -recordings a.h5 -sweep_seeds 3", "-sweep_seeds does not apply to -model recording");
  Refuse("-model recording -recordings a.h5 -lr 0.1", "-lr does not apply to -model recording: a recording is not trained");
  Refuse("-recordings a.h5", "-recordings does not apply to -model linear: it is an option of -model recording");
}

static void TestRefusals(void)
{
  Refuse("-epochs 3", "-epochs does not apply to -model linear: it is an option of -model classifier");
  Refuse("-corner_cut 2", "-corner_cut does not apply to -model linear: it is an option of -model autoencoder");
  Refuse("-noise additive", "-noise does not apply to -model linear: it is an option of -model classifier");
  Refuse("-model classifier -days 3", "-days does not apply to -model classifier: the classifier counts time in epochs");
  Refuse("-model classifier -num_stimuli 3", "-num_stimuli does not apply to -model classifier: it is an option of -model linear");
  Refuse("-model classifier -protocol replicas", "-protocol does not apply to -model classifier");
  Refuse("-model autoencoder -data e3", "-data does not apply to -model autoencoder: its data are the -sources samples");
  Refuse("-model autoencoder -input_dim 3", "-input_dim does not apply to -model autoencoder");
  Refuse("-model autoencoder -sweep_noise_type none", "-sweep_noise_type does not apply to -model autoencoder");
  Refuse("-data e3 -num_stimuli 5", "-num_stimuli does not apply to -data e3, whose sizes are fixed");
  Refuse("-data mixture", "-data mixture is for -model classifier");
  Refuse("-model classifier -data e1", "-data e1 is a task of -model linear");
  Refuse("-model autoencoder -sources cube -sweep_frequency 0.1", "needs -sources grid, diagonal or hole");
  Refuse("-model autoencoder -weight_decay 0", "-weight_decay must be > 0 for -model autoencoder");
}

/* Every option's stored value, as text, must be the same in a and b (run, training and model
 * tables; how a run executes is left out, as /config/options leaves it out). */
static void CheckSameValues(const RdConfig *a, const RdConfig *b, const char *what)
{
  const RdOption *tables[3] = {RdConfigRunOptions(), RdConfigTrainingOptions(), a->model->options};
  const void     *bases_a[3] = {a, a, a->model_options}, *bases_b[3] = {b, b, b->model_options};
  PetscInt        compared = 0, differing = 0;

  RD_CHECK(a->model == b->model, "%s: same model", what);
  for (int t = 0; t < 3; t++)
    for (const RdOption *o = tables[t]; o && o->name; o++) {
      char line_a[RD_OPTION_MAX_VALUES * 26 + 64], line_b[RD_OPTION_MAX_VALUES * 26 + 64];
      if (o->written == RdOptionNotWritten) continue;
      PetscCallAbort(PETSC_COMM_SELF, RdOptionFormat(o, bases_a[t], line_a, sizeof line_a));
      PetscCallAbort(PETSC_COMM_SELF, RdOptionFormat(o, bases_b[t], line_b, sizeof line_b));
      compared++;
      if (strcmp(line_a, line_b)) {
        differing++;
        printf("  %s: \"%s\" != \"%s\"\n", what, line_a, line_b);
      }
    }
  RD_CHECK(differing == 0 && compared > 10, "%s: all %d option values equal after the round trip", what, (int)compared);
  RD_CHECK(a->num_stimuli == b->num_stimuli && a->days == b->days && a->axes.noise_level_per_type == b->axes.noise_level_per_type, "%s: derived values equal (stimulus groups, days, per-type noise levels)", what);
}

/* text -> options database -> config -> text: the same text and the same configuration. */
static void TestRoundTrip(void)
{
  static const char *const cases[] = {
    "",
    "-sweep_frequency 0.3,0.6 -sweep_dropout 0,0.2 -sweep_width 8,12 -sweep_seeds 2 -burnin_steps 4000 -days 3 -steps_per_day 1000 -probe_samples 40 -save_responses",
    "-protocol replicas -data e3 -input_noise 0 -weight_decay 0.01 -sweep_frequency 0.3333333333333333,0.5 -sweep_lr 0.025,0.0125 -replicas 100 -replica_steps 40000",
    "-lr 0.1 -init_scale 0.3 -probe_dropout false -num_stimuli 6 -seed 7",
    "-model classifier -sweep_width 24 -input_dim 16 -hidden_dim 32 -num_classes 4 -train_per_class 100 -burnin_epochs 20 -epochs 2 -snapshots_per_epoch 4 -probe_samples 40",
    "-model classifier -noise weight_dropout -sweep_noise_level 0.3,0.7 -burnin_until_plateau -burnin_max_epochs 40 -sweep_frequency 0.2",
    "-model autoencoder -sources grid -grid_size 11 -corner_cut 1.5 -sweep_frequency 0,0.01,0.1 -sweep_width 2,3",
    "-model autoencoder -sources uniform -uniform_samples 50 -num_sources 3 -optimizer sgd -activity_l2 0.01",
    "-model autoencoder -sources hole -hole_radius 0.25",
  };

  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    RdConfig first, second;
    char    *text, *text_again, what[64];
    Accept(cases[c], &first);
    PetscCallAbort(PETSC_COMM_SELF, RdConfigOptionsText(&first, &text));
    /* the text is an options file: one "-name value" per line */
    char *as_options;
    PetscCallAbort(PETSC_COMM_SELF, PetscStrallocpy(text, &as_options));
    for (char *p = as_options; *p; p++)
      if (*p == '\n') *p = ' ';
    Accept(as_options, &second);
    PetscCallAbort(PETSC_COMM_SELF, RdConfigOptionsText(&second, &text_again));
    PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(what, sizeof what, "round trip %d (-model %s)", (int)c, first.model->name));
    RD_CHECK(!strcmp(text, text_again), "%s: the text reads back to the same text", what);
    CheckSameValues(&first, &second, what);
    PetscCallAbort(PETSC_COMM_SELF, PetscFree(as_options));
    PetscCallAbort(PETSC_COMM_SELF, PetscFree(text));
    PetscCallAbort(PETSC_COMM_SELF, PetscFree(text_again));
    PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&first));
    PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&second));
  }

  /* the exact text main wrote for the linear default sweep (tests/golden: earlier archives must
   * stay resumable), line by line */
  RdConfig cfg;
  char    *text;
  Accept("", &cfg);
  PetscCallAbort(PETSC_COMM_SELF, RdConfigOptionsText(&cfg, &text));
  RD_CHECK(!strcmp(text, "-model linear\n-seed 1\n-save_responses false\n-sweep_frequency 0.10000000000000001,0.25,0.5\n-sweep_dropout 0,0.20000000000000001\n-sweep_width 16,64,256\n-sweep_seeds 2\n-data random\n-num_stimuli 4\n-input_dim 16\n-output_dim 8\n-protocol days\n-input_noise 0.10000000000000001\n-sweep_lr 0.02\n-weight_decay 0.001\n-init_scale 0.5\n-batch 1\n-burnin_steps 100000\n-days 10\n-steps_per_day 10000\n-probe_samples 200\n-probe_dropout true\n-readout_l2 0.01\n"), "the default text is main's, got:\n%s", text);
  PetscCallAbort(PETSC_COMM_SELF, PetscFree(text));
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(RdModelRegisterAll());
  TestDefaults();
  TestTables();
  TestRanges();
  TestRefusals();
  TestRecordingOptions();
  TestRoundTrip();
  int code = RdTestSummary("test_config");
  PetscCall(PetscOptionsClear(NULL));
  PetscCall(SlepcFinalize());
  return code;
}
