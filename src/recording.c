/* The repdrift-recording reader: one file in, the days protocol's responses out.
 * Contract and the policies (missing trials, selection, z-scoring): include/repdrift/recording.h.
 * HDF5 is read only through the input module (h5input.h); this
 * file checks what they return. Every refusal names the file and the dataset. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <repdrift/recording.h>
#include <repdrift/h5input.h>

#define RD_RECORDING_MAX_EXACT_ID 9007199254740992.0 /* 2^53: ids beyond are not exact in float64 */

void RdRecordingOptionsDefaults(RdRecordingOptions *options)
{
  *options = (RdRecordingOptions){.n_sessions = 0, .sessions = NULL, .n_stimuli = 0, .stimuli = NULL, .min_trials = 2, .zscore = PETSC_FALSE, .max_bytes = 0.0};
}

/* File level                                                                                   */

static PetscErrorCode CheckFormat(const char *path, char *units, char *source)
{
  RdInputAttribute format, version, attribute;
  const char      *text_names[2] = {"response_units", "source"};
  char            *texts[2]      = {units, source};

  PetscFunctionBeginUser;
  PetscCall(RdInputReadRootAttribute(path, "format", &format));
  PetscCheck(format.exists, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no root attribute format: a recording has format = \"%s\" (see the README, Recordings)", path, RD_RECORDING_FORMAT);
  PetscCheck(format.type_class == RD_INPUT_STRING && !strcmp(format.text, RD_RECORDING_FORMAT), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: root attribute format is \"%s\", not \"%s\": not a repdrift recording", path, format.text, RD_RECORDING_FORMAT);
  PetscCall(RdInputReadRootAttribute(path, "version", &version));
  PetscCheck(version.exists, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no root attribute version: this reader reads version %d", path, RD_RECORDING_VERSION);
  PetscCheck(version.type_class != RD_INPUT_STRING && version.type_class != RD_INPUT_OTHER && version.integral, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: root attribute version is \"%s\": it must be the integer %d", path, version.text, RD_RECORDING_VERSION);
  PetscCheck(version.number == RD_RECORDING_VERSION, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: root attribute version is %s: this reader reads version %d only", path, version.text, RD_RECORDING_VERSION);
  for (int a = 0; a < 2; a++) {
    PetscCall(RdInputReadRootAttribute(path, text_names[a], &attribute));
    PetscCheck(attribute.exists, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: no root attribute %s (a string: %s)", path, text_names[a], a == 0 ? "what one response is, e.g. \"dF/F\"" : "where the data came from");
    PetscCheck(attribute.type_class == RD_INPUT_STRING, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: root attribute %s must be a string", path, text_names[a]);
    PetscCall(PetscStrncpy(texts[a], attribute.text, RD_RECORDING_TEXT_MAX));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* /responses' declared shape and type, refused before anything is allocated. */
static PetscErrorCode CheckResponsesDeclaration(const char *path, const RdRecordingOptions *options, PetscInt extent[4])
{
  static const char *const axis[4] = {"session", "stimulus", "trial", "neuron"};
  RdInputDatasetInfo       info;
  PetscBool                exists;
  size_t                   count = 1;
  double                   max_bytes = options->max_bytes;

  PetscFunctionBeginUser;
  PetscCall(RdInputHasDataset(path, "/responses", &exists));
  PetscCheck(exists, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset /responses [session, stimulus, trial, neuron]", path);
  PetscCall(RdInputDescribeDataset(path, "/responses", &info));
  PetscCheck(info.rank == 4, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses has %d dimensions; it must have 4: [session, stimulus, trial, neuron]", path, info.rank);
  PetscCheck(info.type_class == RD_INPUT_FLOAT || info.type_class == RD_INPUT_INTEGER, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses holds %s values; it must hold numbers (float, NaN for a missing trial)", path, info.type_name);
  for (int d = 0; d < 4; d++) {
    PetscCheck(info.dims[d] >= (d == 2 ? 2u : 1u), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses has %llu %s(s) (axis %d); at least %d needed", path, (unsigned long long)info.dims[d], axis[d], d, d == 2 ? 2 : 1);
    PetscCheck(info.dims[d] <= (uint64_t)PETSC_MAX_INT, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses declares %llu %ss (axis %d), more than the %d this build can index", path, (unsigned long long)info.dims[d], axis[d], d, (int)PETSC_MAX_INT);
    PetscCheck(count <= SIZE_MAX / 16 / info.dims[d], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses declares %llu x %llu x %llu x %llu values: the count overflows this machine's sizes", path, (unsigned long long)info.dims[0], (unsigned long long)info.dims[1], (unsigned long long)info.dims[2], (unsigned long long)info.dims[3]);
    count *= (size_t)info.dims[d];
    extent[d] = (PetscInt)info.dims[d];
  }
  if (!(max_bytes > 0)) max_bytes = 0.8 * (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  /* the file's values as float64 and the prepared copy (at most as large) */
  PetscCheck(16.0 * (double)count <= max_bytes, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses declares %llu x %llu x %llu x %llu values, %.3g GB to read, more than the %.3g GB available", path, (unsigned long long)info.dims[0], (unsigned long long)info.dims[1], (unsigned long long)info.dims[2], (unsigned long long)info.dims[3], 16.0 * (double)count / 1e9, max_bytes / 1e9);
  PetscCheck(info.storage_complete, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses is declared [%llu, %llu, %llu, %llu] but its data were never (or only partly) written", path, (unsigned long long)info.dims[0], (unsigned long long)info.dims[1], (unsigned long long)info.dims[2], (unsigned long long)info.dims[3]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* RdInputReadArray with its failure restated as this file's one-line refusal. */
static PetscErrorCode ReadNumbers(const char *path, const char *dataset, PetscInt rank, const char *layout, PetscInt shape[], double **values)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdInputReadArray(path, dataset, rank, layout, shape, values);
  PetscCall(PetscPopErrorHandler());
  if (ierr) {
    const char *generic;
    char       *specific = NULL, message[1024];
    PetscCall(PetscErrorMessage(ierr, &generic, &specific));
    PetscCall(PetscStrncpy(message, specific && specific[0] ? specific : generic, sizeof message));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_READ, "%s: reading %s failed: %s", path, dataset, message);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An optional 1-D dataset of numbers with `expected` entries, or NULL when absent. */
static PetscErrorCode ReadOptionalVector(const char *path, const char *dataset, PetscInt expected, const char *axis, double **values)
{
  RdInputDatasetInfo info;
  PetscBool          exists;
  PetscInt           shape[1];

  PetscFunctionBeginUser;
  *values = NULL;
  PetscCall(RdInputHasDataset(path, dataset, &exists));
  if (!exists) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdInputDescribeDataset(path, dataset, &info));
  PetscCheck(info.rank == 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %d dimensions; it must be 1-D, one entry per %s", path, dataset, info.rank, axis);
  PetscCheck(info.type_class == RD_INPUT_FLOAT || info.type_class == RD_INPUT_INTEGER, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s holds %s values; it must hold numbers", path, dataset, info.type_name);
  PetscCheck(info.dims[0] == (uint64_t)expected, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s has %llu entries; /responses has %" PetscInt_FMT " %ss", path, dataset, (unsigned long long)info.dims[0], expected, axis);
  PetscCheck(info.storage_complete, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s is declared but its data were never (fully) written", path, dataset);
  PetscCall(ReadNumbers(path, dataset, 1, axis, shape, values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReadStimulusNames(const char *path, PetscInt expected, char ***names)
{
  PetscBool exists;
  PetscInt  count;

  PetscFunctionBeginUser;
  *names = NULL;
  PetscCall(RdInputHasDataset(path, "/stimulus_name", &exists));
  if (!exists) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdInputReadStrings(path, "/stimulus_name", &count, names));
  if (count != expected) {
    PetscCall(RdInputFreeStrings(count, names));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /stimulus_name has %" PetscInt_FMT " entries; /responses has %" PetscInt_FMT " stimuli", path, count, expected);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingRead(const char *path, const RdRecordingOptions *options, RdRecording *recording)
{
  RdRecordingOptions defaults;
  RdRecordingRaw     raw = {0};
  PetscInt           extent[4], shape[4];
  double            *responses = NULL, *session_day = NULL, *neuron_id = NULL;
  char             **names = NULL, units[RD_RECORDING_TEXT_MAX], source[RD_RECORDING_TEXT_MAX];
  PetscErrorCode     ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(recording, sizeof(*recording)));
  if (!options) {
    RdRecordingOptionsDefaults(&defaults);
    options = &defaults;
  }
  PetscCall(RdInputCheckFile(path));
  PetscCall(CheckFormat(path, units, source));
  PetscCall(CheckResponsesDeclaration(path, options, extent));
  PetscCall(ReadOptionalVector(path, "/session_day", extent[0], "session", &session_day));
  PetscCall(ReadOptionalVector(path, "/neuron_id", extent[3], "neuron", &neuron_id));
  PetscCall(ReadStimulusNames(path, extent[1], &names));
  PetscCall(ReadNumbers(path, "/responses", 4, "[session, stimulus, trial, neuron]", shape, &responses));
  raw = (RdRecordingRaw){.path = path, .sessions = extent[0], .stimuli = extent[1], .trials = extent[2], .neurons = extent[3], .responses = responses, .session_day = session_day, .neuron_id = neuron_id, .stimulus_name = names, .response_units = units, .source = source};
  ierr = RdRecordingPrepare(&raw, options, recording);
  PetscCall(PetscFree(responses));
  PetscCall(PetscFree(session_day));
  PetscCall(PetscFree(neuron_id));
  PetscCall(RdInputFreeStrings(extent[1], &names));
  PetscCall(ierr);
  recording->file_sessions = extent[0];
  recording->file_stimuli  = extent[1];
  recording->file_trials   = extent[2];
  recording->file_neurons  = extent[3];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* In memory                                                                                    */

static double RawValue(const RdRecordingRaw *raw, PetscInt s, PetscInt k, PetscInt t, PetscInt i)
{
  return raw->responses[RD_IDX3(RD_IDX2(s, k, raw->stimuli), t, i, raw->trials, raw->neurons)];
}

static PetscErrorCode CheckRawShape(const RdRecordingRaw *raw)
{
  PetscFunctionBeginUser;
  PetscCheck(raw && raw->path && raw->responses, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdRecordingPrepare: raw, raw->path and raw->responses must be given");
  PetscCheck(raw->sessions >= 1 && raw->stimuli >= 1 && raw->trials >= 2 && raw->neurons >= 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses is [%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT "]: at least 1 session, 1 stimulus, 2 trials and 1 neuron needed", raw->path, raw->sessions, raw->stimuli, raw->trials, raw->neurons);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Finite or NaN everywhere; an infinity is a damaged value, not a missing trial. */
static PetscErrorCode CheckValues(const RdRecordingRaw *raw)
{
  const size_t count = (size_t)raw->sessions * raw->stimuli * raw->trials * raw->neurons;

  PetscFunctionBeginUser;
  for (size_t e = 0; e < count; e++) {
    if (!isinf(raw->responses[e])) continue;
    size_t rest = e;
    const PetscInt i = (PetscInt)(rest % (size_t)raw->neurons);
    rest /= (size_t)raw->neurons;
    const PetscInt t = (PetscInt)(rest % (size_t)raw->trials);
    rest /= (size_t)raw->trials;
    const PetscInt k = (PetscInt)(rest % (size_t)raw->stimuli);
    const PetscInt s = (PetscInt)(rest / (size_t)raw->stimuli);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses[%" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT "] (session, stimulus, trial, neuron) is %s: values must be finite, or NaN for a missing trial", raw->path, s, k, t, i, raw->responses[e] > 0 ? "inf" : "-inf");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A number for a message, as C prints it (PETSc's formatting appends "." to whole numbers). */
typedef struct {
  char text[32];
} Number;

static Number Format(double value)
{
  Number number;
  (void)snprintf(number.text, sizeof number.text, "%.10g", value);
  return number;
}

static PetscErrorCode CheckSessionDays(const RdRecordingRaw *raw)
{
  PetscFunctionBeginUser;
  if (!raw->session_day) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt s = 0; s < raw->sessions; s++) {
    PetscCheck(isfinite(raw->session_day[s]) && raw->session_day[s] >= 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /session_day[%" PetscInt_FMT "] is %s: days since the first session are finite and >= 0", raw->path, s, Format(raw->session_day[s]).text);
    PetscCheck(s == 0 || raw->session_day[s] > raw->session_day[s - 1], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /session_day is not strictly increasing (session %" PetscInt_FMT ": %s after %s): sessions are stored in time order", raw->path, s, Format(raw->session_day[s]).text, Format(raw->session_day[s - 1]).text);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  double   id;
  PetscInt neuron;
} IdEntry;

static int CompareIds(const void *a, const void *b)
{
  const IdEntry *x = (const IdEntry *)a, *y = (const IdEntry *)b;
  if (x->id != y->id) return x->id < y->id ? -1 : 1;
  return x->neuron < y->neuron ? -1 : (x->neuron > y->neuron);
}

/* Integers, exact in float64, never repeated (a repeated id = one cell counted twice). */
static PetscErrorCode CheckNeuronIds(const RdRecordingRaw *raw)
{
  IdEntry *entries;

  PetscFunctionBeginUser;
  if (!raw->neuron_id) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt i = 0; i < raw->neurons; i++) {
    const double id = raw->neuron_id[i];
    PetscCheck(isfinite(id) && id == floor(id), PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /neuron_id[%" PetscInt_FMT "] is %s, not an integer", raw->path, i, Format(id).text);
    PetscCheck(fabs(id) < RD_RECORDING_MAX_EXACT_ID, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /neuron_id[%" PetscInt_FMT "] is %s: ids must be below 2^53 in magnitude", raw->path, i, Format(id).text);
  }
  PetscCall(PetscMalloc1(raw->neurons, &entries));
  for (PetscInt i = 0; i < raw->neurons; i++) entries[i] = (IdEntry){raw->neuron_id[i], i};
  qsort(entries, (size_t)raw->neurons, sizeof(IdEntry), CompareIds);
  for (PetscInt i = 1; i < raw->neurons; i++) {
    if (entries[i].id != entries[i - 1].id) continue;
    const IdEntry first = entries[i - 1], second = entries[i];
    PetscCall(PetscFree(entries));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /neuron_id repeats the id %.0f (neurons %" PetscInt_FMT " and %" PetscInt_FMT "): every neuron must be a different cell", raw->path, first.id, first.neuron, second.neuron);
  }
  PetscCall(PetscFree(entries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The selection of the options, or everything. */
static PetscErrorCode Select(const RdRecordingRaw *raw, const RdRecordingOptions *options, RdRecording *recording)
{
  PetscInt  n_sessions = options->n_sessions > 0 ? options->n_sessions : raw->sessions;
  PetscInt  n_stimuli  = options->n_stimuli > 0 ? options->n_stimuli : raw->stimuli;
  PetscBool *taken;

  PetscFunctionBeginUser;
  PetscCheck(options->n_sessions >= 0 && options->n_stimuli >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: negative selection counts", raw->path);
  PetscCheck(options->min_trials >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the minimum number of valid trials per group must be >= 2 (PCA needs 2), got %" PetscInt_FMT, raw->path, options->min_trials);
  PetscCall(PetscMalloc2(n_sessions, &recording->session_index, n_stimuli, &recording->stimulus_index));
  for (PetscInt s = 0; s < n_sessions; s++) {
    const PetscInt index = options->n_sessions > 0 ? options->sessions[s] : s;
    PetscCheck(index >= 0 && index < raw->sessions, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: session %" PetscInt_FMT " was selected but /responses has sessions 0..%" PetscInt_FMT, raw->path, index, raw->sessions - 1);
    PetscCheck(s == 0 || index > recording->session_index[s - 1], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the selected sessions must be strictly increasing (time order): %" PetscInt_FMT " follows %" PetscInt_FMT, raw->path, index, recording->session_index[s - 1]);
    recording->session_index[s] = index;
  }
  PetscCheck(n_sessions >= 2, PETSC_COMM_SELF, n_sessions == raw->sessions ? PETSC_ERR_FILE_UNEXPECTED : PETSC_ERR_USER_INPUT, "%s: /responses: %" PetscInt_FMT " session%s selected; drift needs at least 2 sessions", raw->path, n_sessions, n_sessions == 1 ? "" : "s");
  PetscCall(PetscCalloc1(raw->stimuli, &taken));
  for (PetscInt k = 0; k < n_stimuli; k++) {
    const PetscInt index = options->n_stimuli > 0 ? options->stimuli[k] : k;
    PetscBool      bad   = (PetscBool)(index < 0 || index >= raw->stimuli), twice = (PetscBool)(!bad && taken[index]);
    if (!bad) taken[index] = PETSC_TRUE;
    recording->stimulus_index[k] = index;
    if (bad || twice) PetscCall(PetscFree(taken));
    PetscCheck(!bad, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: stimulus %" PetscInt_FMT " was selected but /responses has stimuli 0..%" PetscInt_FMT, raw->path, index, raw->stimuli - 1);
    PetscCheck(!twice, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: stimulus %" PetscInt_FMT " was selected twice", raw->path, index);
  }
  PetscCall(PetscFree(taken));
  recording->responses.days   = n_sessions;
  recording->responses.groups = n_stimuli;
  recording->responses.width  = raw->neurons;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "stimulus 3" or "stimulus 3 (name)" for messages. */
static void StimulusLabel(const RdRecordingRaw *raw, PetscInt file_stimulus, char *label, size_t size)
{
  if (raw->stimulus_name) (void)PetscSNPrintf(label, size, "stimulus %" PetscInt_FMT " (%s)", file_stimulus, raw->stimulus_name[file_stimulus]);
  else (void)PetscSNPrintf(label, size, "stimulus %" PetscInt_FMT, file_stimulus);
}

/* A neuron with no finite response in a session (over the selected stimuli) was not recorded
 * there: the file does not match its cells across sessions. */
static PetscErrorCode CheckNeuronsPresent(const RdRecordingRaw *raw, const RdRecording *recording)
{
  PetscBool *seen;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(raw->neurons, &seen));
  for (PetscInt s = 0; s < recording->responses.days; s++) {
    const PetscInt fs = recording->session_index[s];
    for (PetscInt i = 0; i < raw->neurons; i++) seen[i] = PETSC_FALSE;
    for (PetscInt k = 0; k < recording->responses.groups; k++)
      for (PetscInt t = 0; t < raw->trials; t++)
        for (PetscInt i = 0; i < raw->neurons; i++)
          if (isfinite(RawValue(raw, fs, recording->stimulus_index[k], t, i))) seen[i] = PETSC_TRUE;
    for (PetscInt i = 0; i < raw->neurons; i++) {
      if (seen[i]) continue;
      const double id = raw->neuron_id ? raw->neuron_id[i] : (double)i;
      PetscCall(PetscFree(seen));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses: neuron %" PetscInt_FMT " (id %.0f) is NaN in every trial of session %" PetscInt_FMT ": a neuron must be recorded in every session (leave unmatched cells out)", raw->path, i, id, fs);
    }
  }
  PetscCall(PetscFree(seen));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* valid[t] for one group: every neuron finite. Returns the count; adds partial trials. */
static PetscInt MarkValidTrials(const RdRecordingRaw *raw, PetscInt fs, PetscInt fk, PetscBool *valid, PetscInt *partial)
{
  PetscInt count = 0;
  for (PetscInt t = 0; t < raw->trials; t++) {
    PetscInt finite = 0;
    for (PetscInt i = 0; i < raw->neurons; i++) finite += isfinite(RawValue(raw, fs, fk, t, i)) ? 1 : 0;
    valid[t] = (PetscBool)(finite == raw->neurons);
    count += valid[t] ? 1 : 0;
    if (finite > 0 && finite < raw->neurons) (*partial)++;
  }
  return count;
}

/* Counts every group's valid trials, refuses the groups below the minimum, and returns m. */
static PetscErrorCode CountValidTrials(const RdRecordingRaw *raw, const RdRecordingOptions *options, RdRecording *recording, PetscInt *m)
{
  const PetscInt S = recording->responses.days, K = recording->responses.groups;
  PetscBool     *valid;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(raw->trials, &valid));
  PetscCall(PetscMalloc1((size_t)S * K, &recording->valid_trials));
  *m = PETSC_MAX_INT;
  for (PetscInt s = 0; s < S; s++)
    for (PetscInt k = 0; k < K; k++) {
      const PetscInt fs = recording->session_index[s], fk = recording->stimulus_index[k];
      const PetscInt count = MarkValidTrials(raw, fs, fk, valid, &recording->dropped_partial_trials);
      recording->valid_trials[RD_IDX2(s, k, K)] = count;
      if (count < options->min_trials) {
        char label[256];
        PetscCall(PetscFree(valid));
        StimulusLabel(raw, fk, label, sizeof label);
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: /responses: session %" PetscInt_FMT ", %s has %" PetscInt_FMT " valid trial(s) (trials where every neuron is finite); at least %" PetscInt_FMT " needed: leave the stimulus or the session out, or lower the minimum", raw->path, fs, label, count, options->min_trials);
      }
      *m = PetscMin(*m, count);
    }
  PetscCall(PetscFree(valid));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every group's m samples: its valid trials subsampled evenly (recording.h, step 4), copied. */
static PetscErrorCode CopyEqualisedTrials(const RdRecordingRaw *raw, RdRecording *recording)
{
  RdResponses   *r = &recording->responses;
  PetscBool     *valid;
  PetscInt      *valid_list, unused = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(raw->trials, &valid, raw->trials, &valid_list));
  PetscCall(PetscMalloc1((size_t)r->days * r->groups * r->samples * r->width, &r->values));
  PetscCall(PetscMalloc1((size_t)r->days * r->groups * r->samples, &recording->trial_index));
  for (PetscInt s = 0; s < r->days; s++)
    for (PetscInt k = 0; k < r->groups; k++) {
      const PetscInt fs = recording->session_index[s], fk = recording->stimulus_index[k];
      const PetscInt c  = MarkValidTrials(raw, fs, fk, valid, &unused);
      PetscInt       n  = 0;
      for (PetscInt t = 0; t < raw->trials; t++)
        if (valid[t]) valid_list[n++] = t;
      double *members = RdResponsesOf(r, r->values, s, k);
      for (PetscInt a = 0; a < r->samples; a++) {
        const PetscInt t = valid_list[(PetscInt)(((int64_t)a * c) / r->samples)];
        recording->trial_index[RD_IDX3(s, k, a, r->groups, r->samples)] = t;
        for (PetscInt i = 0; i < r->width; i++) members[RD_IDX2(a, i, r->width)] = RawValue(raw, fs, fk, t, i);
      }
    }
  PetscCall(PetscFree2(valid, valid_list));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Each neuron centred and scaled by its mean and deviation over every used response. */
static PetscErrorCode ZScore(RdRecording *recording)
{
  RdResponses   *r     = &recording->responses;
  const size_t   total = (size_t)r->days * r->groups * r->samples;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(r->width, &recording->zscore_mean, r->width, &recording->zscore_std));
  for (PetscInt i = 0; i < r->width; i++) {
    double mean = 0.0, sum_squares = 0.0;
    for (size_t row = 0; row < total; row++) mean += r->values[RD_IDX2(row, i, r->width)];
    mean /= (double)total;
    for (size_t row = 0; row < total; row++) {
      const double centred = r->values[RD_IDX2(row, i, r->width)] - mean;
      sum_squares += centred * centred;
    }
    const double deviation = sqrt(sum_squares / (double)(total - 1));
    recording->zscore_mean[i] = mean;
    recording->zscore_std[i]  = deviation;
    for (size_t row = 0; row < total; row++) {
      double *value = &r->values[RD_IDX2(row, i, r->width)];
      *value        = deviation > 0 ? (*value - mean) / deviation : *value - mean;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CopyLabels(const RdRecordingRaw *raw, RdRecording *recording)
{
  const RdResponses *r = &recording->responses;

  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(recording->path, raw->path, sizeof recording->path));
  PetscCall(PetscStrncpy(recording->response_units, raw->response_units ? raw->response_units : "", sizeof recording->response_units));
  PetscCall(PetscStrncpy(recording->source, raw->source ? raw->source : "", sizeof recording->source));
  recording->file_sessions   = raw->sessions;
  recording->file_stimuli    = raw->stimuli;
  recording->file_trials     = raw->trials;
  recording->file_neurons    = raw->neurons;
  recording->has_session_day = (PetscBool)(raw->session_day != NULL);
  PetscCall(PetscMalloc1(r->days, &recording->session_day));
  for (PetscInt s = 0; s < r->days; s++) recording->session_day[s] = raw->session_day ? raw->session_day[recording->session_index[s]] : (double)recording->session_index[s];
  if (raw->neuron_id) {
    PetscCall(PetscMalloc1(r->width, &recording->neuron_id));
    for (PetscInt i = 0; i < r->width; i++) recording->neuron_id[i] = (int64_t)raw->neuron_id[i];
  }
  if (raw->stimulus_name) {
    PetscCall(PetscCalloc1(r->groups, &recording->stimulus_name));
    for (PetscInt k = 0; k < r->groups; k++) PetscCall(PetscStrallocpy(raw->stimulus_name[recording->stimulus_index[k]], &recording->stimulus_name[k]));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingPrepare(const RdRecordingRaw *raw, const RdRecordingOptions *options, RdRecording *recording)
{
  RdRecordingOptions defaults;
  PetscInt           m = 0;
  PetscErrorCode     ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(recording, sizeof(*recording)));
  if (!options) {
    RdRecordingOptionsDefaults(&defaults);
    options = &defaults;
  }
  PetscCall(CheckRawShape(raw));
  PetscCall(CheckValues(raw));
  PetscCall(CheckSessionDays(raw));
  PetscCall(CheckNeuronIds(raw));
  /* from here on the recording owns allocations: free them on a refusal */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = Select(raw, options, recording);
  if (!ierr) ierr = CheckNeuronsPresent(raw, recording);
  if (!ierr) ierr = CountValidTrials(raw, options, recording, &m);
  PetscCall(PetscPopErrorHandler());
  if (ierr) {
    const char *generic;
    char       *specific = NULL, message[2048];
    PetscCall(PetscErrorMessage(ierr, &generic, &specific));
    PetscCall(PetscStrncpy(message, specific && specific[0] ? specific : generic, sizeof message));
    PetscCall(RdRecordingDestroy(recording));
    SETERRQ(PETSC_COMM_SELF, ierr, "%s", message);
  }
  recording->responses.samples     = m;
  recording->responses.values_null = NULL;
  PetscCall(CopyEqualisedTrials(raw, recording));
  PetscCall(CopyLabels(raw, recording));
  if (options->zscore) PetscCall(ZScore(recording));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingDestroy(RdRecording *recording)
{
  PetscFunctionBeginUser;
  if (!recording) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree(recording->responses.values));
  PetscCall(PetscFree(recording->responses.values_null));
  PetscCall(PetscFree2(recording->session_index, recording->stimulus_index));
  PetscCall(PetscFree(recording->session_day));
  PetscCall(PetscFree(recording->valid_trials));
  PetscCall(PetscFree(recording->trial_index));
  PetscCall(PetscFree(recording->neuron_id));
  PetscCall(RdInputFreeStrings(recording->responses.groups, &recording->stimulus_name));
  PetscCall(PetscFree2(recording->zscore_mean, recording->zscore_std));
  PetscCall(PetscMemzero(recording, sizeof(*recording)));
  PetscFunctionReturn(PETSC_SUCCESS);
}
