/* -model recording: recorded neurons through the same analyses as the networks (recording_model.h).
 * Its options, what setup learns of the files (rank 0 reads and checks every file before the
 * archive exists, so a bad file is refused with nothing written, and the archive is sized by the
 * largest recording), the sweep description, the cost of a point, and its ops table. The days
 * protocol is in recording_point.c, its report section in recording_report.c.
 *
 * The sweep of a recording run (what /sweep holds, so that the archive reads like any other):
 * point p = the p-th file of -recordings, owned by one rank, which reads it itself;
 * /sweep/seed = p (the replicate axis is the recording index); /sweep/width = the largest neuron
 * count (the unit dimension; a file's own is /recording/neurons); /sweep/noise_type = 0 (none),
 * /sweep/noise_level = 0, /sweep/lr = 0 (nothing is trained); /sweep/frequency = NaN (no
 * presentation schedule); /sweep/stimulus_probability = 1/K for each of a file's K analysed
 * stimuli (every group contributes the same number of trials), NaN beyond. */
#include "recording_model.h"
#include <repdrift/noise.h>
#include <repdrift/parallel.h>
#include <stdlib.h>
#include <string.h>

#define AT(field) .offset = offsetof(RdRecordingModelOptions, field)

static const RdOption recording_options[] = {
  {.name = "-recordings", .type = RD_OPTION_STRING, AT(recordings), .default_value = "", .help = "Comma list of repdrift-recording files (README, Recordings), one animal or field of view each: one sweep point per file"},
  {.name = "-sessions", .type = RD_OPTION_STRING, AT(sessions_text), .default_value = "all", .help = "Sessions analysed, the same in every file: all, or a comma list of file session indices, increasing (at least 2)"},
  {.name = "-stimuli", .type = RD_OPTION_STRING, AT(stimuli_text), .default_value = "all", .help = "Stimuli analysed (the stimulus groups), the same in every file: all, or a comma list of file stimulus indices"},
  {.name = "-min_trials", .type = RD_OPTION_INT, AT(min_trials), .default_value = "2", .range = "[2, 1000000]", .why = "a PCA needs 2 samples", .help = "Valid trials (every neuron finite) each selected (session, stimulus) group must have; every group then uses the smallest count"},
  {.name = "-zscore", .type = RD_OPTION_BOOL, AT(zscore), .default_value = "false", .help = "z-score each neuron over all used responses of all selected sessions and stimuli (off, as in the paper)"},
  {NULL},
};

#define NOT_TRAINED "a recording is not trained"
static const RdOptionRefusal recording_refused[] = {
  {"-sweep_frequency", "a recording has no presentation schedule: every stimulus group contributes the same number of trials"},
  {"-noise", NOT_TRAINED ": it has no noise source to sweep"},
  {"-sweep_noise_type", NOT_TRAINED ": it has no noise source to sweep"},
  {"-sweep_dropout", NOT_TRAINED ": it has no noise level to sweep"},
  {"-sweep_noise_level", NOT_TRAINED ": it has no noise level to sweep"},
  {"-sweep_width", "the units are the recording's neurons"},
  {"-sweep_seeds", "the points are the files of -recordings (the replicate axis is the recording index)"},
  {"-lr", NOT_TRAINED},
  {"-sweep_lr", NOT_TRAINED},
  {"-weight_decay", NOT_TRAINED},
  {"-batch", NOT_TRAINED},
  {"-burnin_steps", NOT_TRAINED},
  {"-steps_per_day", NOT_TRAINED},
  {"-days", "the days are the recording's sessions (choose them with -sessions)"},
  {"-probe_samples", "the samples are the recording's trials (see -min_trials)"},
  {NULL, NULL},
};

void RdRecordingModelReaderOptions(const RdRecordingModelOptions *ro, RdRecordingOptions *reader)
{
  RdRecordingOptionsDefaults(reader);
  reader->n_sessions = ro->n_sessions;
  reader->sessions   = ro->n_sessions ? ro->sessions : NULL;
  reader->n_stimuli  = ro->n_stimuli;
  reader->stimuli    = ro->n_stimuli ? ro->stimuli : NULL;
  reader->min_trials = ro->min_trials;
  reader->zscore     = ro->zscore;
}

/* "all" (n = 0) or a comma list of non-negative integers. */
static PetscErrorCode ParseIndices(const char *name, const char *text, PetscInt values[], PetscInt *n)
{
  char buffer[RD_OPTION_STRING_SIZE], *save = NULL;

  PetscFunctionBeginUser;
  *n = 0;
  if (!strcmp(text, "all")) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscStrncpy(buffer, text, sizeof buffer));
  PetscCheck(text[0] && text[strlen(text) - 1] != ',' && !strstr(text, ",,") && text[0] != ',', PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s: give all, or a comma list of indices without empty entries", name, text);
  for (char *entry = strtok_r(buffer, ",", &save); entry; entry = strtok_r(NULL, ",", &save)) {
    char *end;
    long  value = strtol(entry, &end, 10);
    while (*end == ' ') end++;
    PetscCheck(end != entry && *end == '\0' && value >= 0 && value < PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s: '%s' is not an index (all, or comma-separated integers >= 0)", name, text, entry);
    PetscCheck(*n < RD_OPTION_MAX_VALUES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: at most %d indices", name, RD_OPTION_MAX_VALUES);
    values[(*n)++] = (PetscInt)value;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -recordings split into its files (each named once). */
static PetscErrorCode ParsePaths(RdRecordingModelOptions *ro)
{
  char *start;

  PetscFunctionBeginUser;
  PetscCheck(ro->recordings[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-model recording needs -recordings FILE.h5[,FILE.h5...]: the repdrift-recording files to analyse (README, Recordings), one sweep point each");
  PetscCall(PetscStrncpy(ro->path_text, ro->recordings, sizeof ro->path_text));
  ro->n_files = 0;
  start       = ro->path_text;
  for (;;) {
    char  *comma = strchr(start, ',');
    size_t length;
    if (comma) *comma = '\0';
    while (*start == ' ') start++;
    length = strlen(start);
    while (length > 0 && start[length - 1] == ' ') start[--length] = '\0';
    PetscCheck(length > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-recordings %s has an empty entry: give a comma list of files", ro->recordings);
    PetscCheck(ro->n_files < RD_RECORDING_MAX_FILES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-recordings: at most %d files per run", RD_RECORDING_MAX_FILES);
    for (PetscInt f = 0; f < ro->n_files; f++) PetscCheck(strcmp(ro->path[f], start), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-recordings names %s twice: each file is one animal, analysed once", start);
    ro->path[ro->n_files++] = start;
    if (!comma) break;
    start = comma + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0: every file read and checked as the points will read it; what each contributes. */
static PetscErrorCode ReadShapes(RdRecordingModelOptions *ro)
{
  RdRecordingOptions reader;

  PetscFunctionBeginUser;
  RdRecordingModelReaderOptions(ro, &reader);
  for (PetscInt f = 0; f < ro->n_files; f++) {
    RdRecording rec;
    PetscCall(RdRecordingRead(ro->path[f], &reader, &rec));
    ro->shape[f][RD_SHAPE_SESSIONS]      = rec.responses.days;
    ro->shape[f][RD_SHAPE_STIMULI]       = rec.responses.groups;
    ro->shape[f][RD_SHAPE_TRIALS]        = rec.responses.samples;
    ro->shape[f][RD_SHAPE_NEURONS]       = rec.responses.width;
    ro->shape[f][RD_SHAPE_FILE_SESSIONS] = rec.file_sessions;
    ro->shape[f][RD_SHAPE_FILE_STIMULI]  = rec.file_stimuli;
    ro->shape[f][RD_SHAPE_FILE_TRIALS]   = rec.file_trials;
    PetscCall(RdRecordingDestroy(&rec));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 reads the files; every rank gets their shapes (or rank 0's refusal, which RdModelSetUp
 * reports once: the other ranks only say that rank 0 refused). */
static PetscErrorCode ShapesFromRankZero(RdRecordingModelOptions *ro)
{
  PetscMPIInt    rank;
  PetscErrorCode failed = PETSC_SUCCESS;
  PetscInt      *message;
  const PetscInt n      = 1 + ro->n_files * RD_NUM_SHAPE;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) {
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    failed = ReadShapes(ro);
    PetscCall(PetscPopErrorHandler());
  }
  PetscCall(PetscMalloc1(n, &message));
  message[0] = failed ? 1 : 0;
  for (PetscInt f = 0; f < ro->n_files; f++)
    for (int e = 0; e < RD_NUM_SHAPE; e++) message[1 + f * RD_NUM_SHAPE + e] = ro->shape[f][e];
  PetscCall(RdBroadcastInts(PETSC_COMM_WORLD, message, n));
  for (PetscInt f = 0; f < ro->n_files; f++)
    for (int e = 0; e < RD_NUM_SHAPE; e++) ro->shape[f][e] = message[1 + f * RD_NUM_SHAPE + e];
  const PetscBool refused = (PetscBool)(message[0] != 0);
  PetscCall(PetscFree(message));
  if (failed) {
    char *specific = NULL, text[2048];
    PetscCall(PetscErrorMessage(failed, NULL, &specific));
    PetscCall(PetscStrncpy(text, specific ? specific : "", sizeof text));
    SETERRQ(PETSC_COMM_SELF, failed, "%s", text);
  }
  PetscCheck(!refused, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-recordings: rank 0 refused a recording");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The files, then the sweep they make (the file comment). */
static PetscErrorCode RecordingSetUp(RdConfig *cfg)
{
  RdRecordingModelOptions *ro = (RdRecordingModelOptions *)cfg->model_options;
  RdSweepAxes             *axes = &cfg->axes;
  PetscInt                 sessions = 0, stimuli = 0, trials = 0, neurons = 0;

  PetscFunctionBeginUser;
  PetscCall(ParsePaths(ro));
  PetscCall(ParseIndices("-sessions", ro->sessions_text, ro->sessions, &ro->n_sessions));
  PetscCall(ParseIndices("-stimuli", ro->stimuli_text, ro->stimuli, &ro->n_stimuli));
  PetscCall(ShapesFromRankZero(ro));
  for (PetscInt f = 0; f < ro->n_files; f++) {
    sessions = PetscMax(sessions, ro->shape[f][RD_SHAPE_SESSIONS]);
    stimuli  = PetscMax(stimuli, ro->shape[f][RD_SHAPE_STIMULI]);
    trials   = PetscMax(trials, ro->shape[f][RD_SHAPE_TRIALS]);
    neurons  = PetscMax(neurons, ro->shape[f][RD_SHAPE_NEURONS]);
  }
  cfg->num_stimuli    = stimuli;
  cfg->days           = sessions - 1; /* day 0 is the first session */
  cfg->probe_samples  = trials;
  axes->n_frequency   = 1;
  axes->frequency[0]  = 0; /* unused: /sweep/frequency records NaN */
  axes->n_noise_type  = 1;
  axes->noise_type[0] = RD_NOISE_NONE;
  axes->n_noise_level = 1;
  axes->noise_level[0]       = 0;
  axes->noise_level_per_type = PETSC_FALSE;
  axes->n_width       = 1;
  axes->width[0]      = neurons;
  axes->n_lr          = 1;
  axes->lr[0]         = 0;
  axes->n_seeds       = ro->n_files;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One PCA per (session, stimulus) (Gram or covariance, whichever is smaller), the drift pairs,
 * the readout, and the signature with its two nulls (about three times the PCAs again). */
static PetscReal RecordingCost(const RdConfig *cfg, const RdPoint *point)
{
  const PetscInt *shape = RdRecordingModelOptionsOf(cfg)->shape[point->replicate];
  const PetscReal S = (PetscReal)shape[RD_SHAPE_SESSIONS], K = (PetscReal)shape[RD_SHAPE_STIMULI], m = (PetscReal)shape[RD_SHAPE_TRIALS], n = (PetscReal)shape[RD_SHAPE_NEURONS];
  const PetscReal small = PetscMin(m, n);
  return 4 * S * K * (m * n * small + small * small * small) + S * S * K * n * small;
}

/* The file as read (float64) and its prepared copy, for the largest file. */
static double RecordingMemory(const RdConfig *cfg, PetscInt width)
{
  const RdRecordingModelOptions *ro    = RdRecordingModelOptionsOf(cfg);
  double                         bytes = 0;

  (void)width;
  for (PetscInt f = 0; f < ro->n_files; f++) {
    const PetscInt *shape = ro->shape[f];
    bytes = PetscMax(bytes, 16.0 * (double)shape[RD_SHAPE_FILE_SESSIONS] * (double)shape[RD_SHAPE_FILE_STIMULI] * (double)shape[RD_SHAPE_FILE_TRIALS] * (double)shape[RD_SHAPE_NEURONS]);
  }
  return bytes;
}

static PetscErrorCode RecordingStimulusProbability(const RdConfig *cfg, const RdPoint *point, double *frequency, double *probability)
{
  const PetscInt stimuli = RdRecordingModelOptionsOf(cfg)->shape[point->replicate][RD_SHAPE_STIMULI];

  PetscFunctionBeginUser;
  *frequency = RD_NAN;
  for (PetscInt k = 0; k < cfg->num_stimuli; k++) probability[k] = k < stimuli ? 1.0 / (double)stimuli : RD_NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RecordingResponsesShape(const RdConfig *cfg, const RdPoint *point, RdResponses *responses)
{
  const PetscInt *shape = RdRecordingModelOptionsOf(cfg)->shape[point->replicate];

  PetscFunctionBeginUser;
  responses->days    = shape[RD_SHAPE_SESSIONS];
  responses->groups  = shape[RD_SHAPE_STIMULI];
  responses->samples = shape[RD_SHAPE_TRIALS];
  responses->width   = shape[RD_SHAPE_NEURONS];
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void RecordingSchema(const RdConfig *cfg, RdSchemaSelection *selection)
{
  (void)cfg;
  selection->with[RD_WITH_SIGNATURE] = PETSC_TRUE;
  selection->with[RD_WITH_RECORDING] = PETSC_TRUE;
}

static const char *RecordingProtocol(const RdConfig *cfg)
{
  (void)cfg;
  return "recordings (no training)";
}

const RdModelOps rd_model_recording = {
  .name    = "recording",
  .summary = "recorded neurons (repdrift-recording files): the networks' geometry and signature, nothing trained",
  .help    = "Each file of -recordings (one animal or field of view) is one sweep point, read by the rank that\n"
             "owns it (rank 0 checks every file first: a bad file is refused before anything is written).\n"
             "Sessions are days (day 0 = the first selected session), stimuli the stimulus groups, trials the\n"
             "probe samples (every group the smallest valid count m, picked evenly through the session), neurons\n"
             "the units (padded to the largest file). /sweep/seed is the recording index, /sweep/width the largest\n"
             "neuron count (a file's own: /recording/neurons), noise type none, level 0, lr 0, frequency NaN.\n"
             "The geometry, readout and signature run as for a network over consecutive sessions; the signature's\n"
             "nulls are within a session: /signature/null_* the first against the second half of the m trials,\n"
             "/signature/even_odd_* the even against the odd trials (Aitken et al. 2022, section 2.1); the\n"
             "signature needs m >= 4, its nulls m >= 8 (NaN otherwise). -zscore is off by default, as in the paper.",
  .options              = recording_options,
  .options_size         = sizeof(RdRecordingModelOptions),
  .refused              = recording_refused,
  .frequency_optional   = PETSC_TRUE,
  .setup                = RecordingSetUp,
  .cost                 = RecordingCost,
  .memory               = RecordingMemory,
  .stimulus_probability = RecordingStimulusProbability,
  .schema               = RecordingSchema,
  .protocol             = RecordingProtocol,
  .responses_shape      = RecordingResponsesShape,
  .create               = RdRecordingPointCreate,
  .train                = RdRecordingPointTrain,
  .observe              = RdRecordingPointObserve,
  .finish               = RdRecordingPointFinish,
  .destroy              = RdRecordingPointDestroy,
  .report               = RdRecordingReport,
};
