/* repdrift-recording-check: does this file read as a repdrift recording, and what would the
 * analyses get from it? (The reader and its policies: include/repdrift/recording.h.) */
#include <stdio.h>
#include <repdrift/recording.h>

static const char help[] =
  "repdrift-recording-check FILE.h5 [FILE.h5 ...] [-sessions i,j,..] [-stimuli i,j,..] [-min_trials N] [-zscore] [-print_responses]\n"
  "Reads each FILE.h5 as a repdrift-recording (version 1: /responses [session, stimulus, trial, neuron],\n"
  "NaN = missing trial; optional /session_day, /stimulus_name, /neuron_id; root attributes format,\n"
  "version, response_units, source) exactly as -model recording will, and prints what the analyses\n"
  "get: the selection, the trials per group (every group uses the smallest valid count, its valid\n"
  "trials subsampled evenly), dropped partial trials. -print_responses also prints every prepared\n"
  "response, one line per (session, stimulus, trial): the file trial index, then the neurons.\n"
  "A refused file gets one line on stderr naming the file, the dataset and the problem; the other\n"
  "files are still checked. Exit status: 0 every file readable, 2 any refused (or a bad option).\n";

#define RD_MAX_SELECTION 4096

typedef struct {
  PetscInt  sessions[RD_MAX_SELECTION], stimuli[RD_MAX_SELECTION];
  PetscBool print_responses;
  RdRecordingOptions reader;
} CheckOptions;

static PetscErrorCode ReadOptions(CheckOptions *o)
{
  PetscInt  n_sessions = RD_MAX_SELECTION, n_stimuli = RD_MAX_SELECTION;
  PetscBool given;

  PetscFunctionBeginUser;
  RdRecordingOptionsDefaults(&o->reader);
  o->print_responses = PETSC_FALSE;
  PetscOptionsBegin(PETSC_COMM_SELF, NULL, "repdrift-recording-check options", NULL);
  PetscCall(PetscOptionsIntArray("-sessions", "File session indices to analyse, increasing (default all)", NULL, o->sessions, &n_sessions, &given));
  if (given) {
    PetscCheck(n_sessions > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sessions was given no values");
    o->reader.n_sessions = n_sessions;
    o->reader.sessions   = o->sessions;
  }
  PetscCall(PetscOptionsIntArray("-stimuli", "File stimulus indices to analyse (default all)", NULL, o->stimuli, &n_stimuli, &given));
  if (given) {
    PetscCheck(n_stimuli > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-stimuli was given no values");
    o->reader.n_stimuli = n_stimuli;
    o->reader.stimuli   = o->stimuli;
  }
  PetscCall(PetscOptionsInt("-min_trials", "Valid trials every (session, stimulus) group must have", NULL, o->reader.min_trials, &o->reader.min_trials, NULL));
  PetscCall(PetscOptionsBool("-zscore", "z-score every neuron over all used responses", NULL, o->reader.zscore, &o->reader.zscore, NULL));
  PetscCall(PetscOptionsBool("-print_responses", "Print every prepared response", NULL, o->print_responses, &o->print_responses, NULL));
  PetscOptionsEnd();
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A misspelt option would silently check something else: refuse it. */
static PetscErrorCode CheckUnusedOptions(void)
{
  PetscInt count;
  char   **names, **values;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsLeftGet(NULL, &count, &names, &values));
  PetscErrorCode unknown = count > 0 ? PETSC_ERR_USER_INPUT : PETSC_SUCCESS;
  char           first[256] = "";
  if (count > 0) PetscCall(PetscStrncpy(first, names[0], sizeof first));
  PetscCall(PetscOptionsLeftRestore(NULL, &count, &names, &values));
  PetscCheck(!unknown, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Unknown option -%s (see -help)", first);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Describe(const RdRecording *rec, PetscBool print_responses)
{
  const RdResponses *r = &rec->responses;
  PetscInt           low = PETSC_MAX_INT, high = 0;

  PetscFunctionBeginUser;
  for (PetscInt g = 0; g < r->days * r->groups; g++) {
    low  = PetscMin(low, rec->valid_trials[g]);
    high = PetscMax(high, rec->valid_trials[g]);
  }
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "recording: %s\nunits: %s\nsource: %s\n", rec->path, rec->response_units, rec->source));
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "file: %" PetscInt_FMT " sessions x %" PetscInt_FMT " stimuli x %" PetscInt_FMT " trials x %" PetscInt_FMT " neurons\n", rec->file_sessions, rec->file_stimuli, rec->file_trials, rec->file_neurons));
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "sessions:"));
  for (PetscInt s = 0; s < r->days; s++) {
    char day[64];
    snprintf(day, sizeof day, "%g", rec->session_day[s]); /* plain C formatting: PETSc's appends "." to whole numbers */
    PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, " %" PetscInt_FMT " (day %s)", rec->session_index[s], day));
  }
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "%s\nstimuli:", rec->has_session_day ? "" : " [no /session_day: the session index stands for the day]"));
  for (PetscInt k = 0; k < r->groups; k++) PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, " %" PetscInt_FMT "%s%s%s", rec->stimulus_index[k], rec->stimulus_name ? " (" : "", rec->stimulus_name ? rec->stimulus_name[k] : "", rec->stimulus_name ? ")" : ""));
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "\nneurons: %" PetscInt_FMT "%s\n", r->width, rec->neuron_id ? " (with ids)" : " (no /neuron_id)"));
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "valid trials per group: %" PetscInt_FMT " to %" PetscInt_FMT "; used per group: %" PetscInt_FMT "; partial trials dropped: %" PetscInt_FMT "\n", low, high, r->samples, rec->dropped_partial_trials));
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "zscore: %s\n", rec->zscore_mean ? "yes" : "no"));
  if (print_responses)
    for (PetscInt s = 0; s < r->days; s++)
      for (PetscInt k = 0; k < r->groups; k++)
        for (PetscInt a = 0; a < r->samples; a++) {
          const double *row = RdResponsesOf(r, r->values, s, k) + (size_t)a * r->width;
          PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "response %" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT, s, k, a, rec->trial_index[RD_IDX3(s, k, a, r->groups, r->samples)]));
          for (PetscInt i = 0; i < r->width; i++) PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, " %.17g", row[i]));
          PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "\n"));
        }
  PetscCall(PetscFPrintf(PETSC_COMM_SELF, stdout, "ok\n"));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One file: read, describe, free. */
static PetscErrorCode Check(const char *path, const CheckOptions *options)
{
  RdRecording recording;

  PetscFunctionBeginUser;
  PetscCall(RdRecordingRead(path, &options->reader, &recording));
  PetscCall(Describe(&recording, options->print_responses));
  PetscCall(RdRecordingDestroy(&recording));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A refusal as one line on stderr (instead of PETSc's traceback). */
static void PrintRefusal(PetscErrorCode failed)
{
  const char *generic = "unknown error";
  char       *specific = NULL;
  (void)PetscErrorMessage(failed, &generic, &specific);
  fprintf(stderr, "repdrift-recording-check: %s\n", specific && specific[0] ? specific : generic);
}

int main(int argc, char **argv)
{
  int            n_files = 0, refused = 0;
  char         **files;
  CheckOptions   options;
  PetscBool      help_requested;
  PetscErrorCode failed;

  /* the files come first: PETSc would read a name after an option as that option's value */
  while (n_files + 1 < argc && argv[n_files + 1][0] != '-') n_files++;
  files = argv + 1;
  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = ReadOptions(&options);
  if (!failed && !help_requested) failed = CheckUnusedOptions();
  if (!failed && !help_requested && n_files == 0) failed = PetscError(PETSC_COMM_SELF, __LINE__, PETSC_FUNCTION_NAME, __FILE__, PETSC_ERR_USER_INPUT, PETSC_ERROR_INITIAL, "Give the recording file(s): repdrift-recording-check FILE.h5 ... (see -help)");
  if (failed) {
    PrintRefusal(failed);
    refused = 1;
  }
  for (int f = 0; f < n_files && !failed && !help_requested; f++) {
    PetscErrorCode file_failed = Check(files[f], &options);
    if (file_failed) PrintRefusal(file_failed);
    refused += file_failed ? 1 : 0;
  }
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFinalize());
  return refused ? 2 : 0;
}
