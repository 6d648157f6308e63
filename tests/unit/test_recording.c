/* Recordings (recording.h, reference.h): the missing-trial policy on hand-made data (exact trial
 * indices and values), the selection, every in-memory refusal and its message, z-scoring against
 * its definition, the within-session null sets (exact sample indices) and their signature against
 * independently built sets, and the paper-v1 reference table against the archive schema.
 *
 * With an argument, `test_recording FILE.h5 [-zscore] [-min_trials N]` is the driver of
 * tests/recordings/check_planted.py instead: it reads FILE.h5 with RdRecordingRead, runs the
 * geometry API (RdPCACompute, RdDriftCompute, RdSplitHalfNullFraction) on the responses exactly as
 * the days protocol does and prints every number (format in Driver below) for the Python side to
 * compare with the planted analytic values and an independent numpy computation; exit 1 with the
 * message when the file is refused. */
#include <repdrift/recording.h>
#include <repdrift/reference.h>
#include <repdrift/geometry.h>
#include <repdrift/schema.h>
#include <string.h>
#include <stdlib.h>
#include "testing.h"

/* The refusal message of the last failed call (PetscReturnErrorHandler keeps it). */
static PetscBool MessageContains(PetscErrorCode ierr, const char *text)
{
  const char *generic;
  char       *specific = NULL;
  if (!ierr || PetscErrorMessage(ierr, &generic, &specific)) return PETSC_FALSE;
  return (PetscBool)(specific && strstr(specific, text) != NULL);
}

static double *NewRaw(PetscInt S, PetscInt K, PetscInt T, PetscInt N)
{
  double *values = NULL;
  if (PetscMalloc1((size_t)S * K * T * N, &values)) return NULL;
  for (size_t e = 0; e < (size_t)S * K * T * N; e++) values[e] = RdTestNormal();
  return values;
}

static double *Cell(double *values, PetscInt K, PetscInt T, PetscInt N, PetscInt s, PetscInt k, PetscInt t, PetscInt i) { return values + RD_IDX3(RD_IDX2(s, k, K), t, i, T, N); }

static void SetTrial(double *values, PetscInt K, PetscInt T, PetscInt N, PetscInt s, PetscInt k, PetscInt t, double value)
{
  for (PetscInt i = 0; i < N; i++) *Cell(values, K, T, N, s, k, t, i) = value;
}

/* Missing trials: which trials are valid, the common count m, the even subsample, exact copies. */
static PetscErrorCode TestTrialSelection(void)
{
  const PetscInt S = 2, K = 2, T = 7, N = 3;
  const PetscInt expected_valid[4] = {7, 5, 5, 6};
  /* m = 5; group (0,0): c = 7 -> t_floor(7a/5) = 0,1,2,4,5; (0,1) valid {0,1,3,4,6}; (1,0) valid
   * {1..5}; (1,1) valid {0,1,2,4,5,6}, c = 6 -> positions 0,1,2,3,4 -> trials 0,1,2,4,5 */
  const PetscInt expected_trials[4][5] = {{0, 1, 2, 4, 5}, {0, 1, 3, 4, 6}, {1, 2, 3, 4, 5}, {0, 1, 2, 4, 5}};
  double        *values = NewRaw(S, K, T, N);
  RdRecording    rec;

  PetscFunctionBeginUser;
  SetTrial(values, K, T, N, 0, 1, 2, RD_NAN);
  *Cell(values, K, T, N, 0, 1, 5, 1) = RD_NAN; /* partial: dropped whole */
  SetTrial(values, K, T, N, 1, 0, 0, RD_NAN);
  SetTrial(values, K, T, N, 1, 0, 6, RD_NAN);
  SetTrial(values, K, T, N, 1, 1, 3, RD_NAN);
  RdRecordingRaw raw = {.path = "hand.h5", .sessions = S, .stimuli = K, .trials = T, .neurons = N, .responses = values, .response_units = "a.u.", .source = "test"};
  PetscCall(RdRecordingPrepare(&raw, NULL, &rec));
  RD_CHECK(rec.responses.days == S && rec.responses.groups == K && rec.responses.samples == 5 && rec.responses.width == N, "shape %" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT ", expected 2 2 5 3", rec.responses.days, rec.responses.groups, rec.responses.samples, rec.responses.width);
  RD_CHECK(rec.dropped_partial_trials == 1, "one partial trial dropped (got %" PetscInt_FMT ")", rec.dropped_partial_trials);
  for (PetscInt g = 0; g < 4; g++) {
    const PetscInt s = g / 2, k = g % 2;
    RD_CHECK(rec.valid_trials[g] == expected_valid[g], "group (%d,%d): %" PetscInt_FMT " valid trials, expected %" PetscInt_FMT, (int)s, (int)k, rec.valid_trials[g], expected_valid[g]);
    for (PetscInt a = 0; a < 5; a++) {
      const PetscInt t = rec.trial_index[RD_IDX3(s, k, a, K, 5)];
      RD_CHECK(t == expected_trials[g][a], "group (%d,%d) sample %d: trial %" PetscInt_FMT ", expected %" PetscInt_FMT, (int)s, (int)k, (int)a, t, expected_trials[g][a]);
      const double *row = RdResponsesOf(&rec.responses, rec.responses.values, s, k) + (size_t)a * N;
      for (PetscInt i = 0; i < N; i++) RD_CHECK(row[i] == *Cell(values, K, T, N, s, k, expected_trials[g][a], i), "group (%d,%d) sample %d neuron %d copied exactly", (int)s, (int)k, (int)a, (int)i);
    }
  }
  RD_CHECK(!rec.has_session_day && rec.session_day[1] == 1.0, "no /session_day: the session index stands for the day");
  RD_CHECK(!rec.neuron_id && !rec.stimulus_name && !rec.zscore_mean, "optional labels absent");
  PetscCall(RdRecordingDestroy(&rec));
  PetscCall(PetscFree(values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The selection: sessions 0 and 2, stimuli 2 then 0, with their labels. */
static PetscErrorCode TestSelection(void)
{
  const PetscInt     S = 3, K = 3, T = 4, N = 2, sessions[2] = {0, 2}, stimuli[2] = {2, 0};
  double            *values = NewRaw(S, K, T, N), days[3] = {0, 2.5, 9}, ids[2] = {101, 7};
  char              *names[3] = {"zero", "one", "two"};
  RdRecordingOptions options;
  RdRecording        rec;

  PetscFunctionBeginUser;
  RdRecordingOptionsDefaults(&options);
  RD_CHECK(options.min_trials == 2 && !options.zscore && options.n_sessions == 0 && options.n_stimuli == 0, "defaults: every session and stimulus, min 2 trials, no z-scoring");
  options.n_sessions = 2;
  options.sessions   = sessions;
  options.n_stimuli  = 2;
  options.stimuli    = stimuli;
  RdRecordingRaw raw = {.path = "sel.h5", .sessions = S, .stimuli = K, .trials = T, .neurons = N, .responses = values, .session_day = days, .neuron_id = ids, .stimulus_name = names, .response_units = "dF/F", .source = "test"};
  PetscCall(RdRecordingPrepare(&raw, &options, &rec));
  RD_CHECK(rec.responses.days == 2 && rec.responses.groups == 2 && rec.responses.samples == T, "selected shape");
  RD_CHECK(rec.session_day[0] == 0 && rec.session_day[1] == 9 && rec.has_session_day, "selected days 0, 9 (got %g, %g)", rec.session_day[0], rec.session_day[1]);
  RD_CHECK(!strcmp(rec.stimulus_name[0], "two") && !strcmp(rec.stimulus_name[1], "zero"), "selected names in the order asked");
  RD_CHECK(rec.neuron_id[0] == 101 && rec.neuron_id[1] == 7, "ids kept in file order");
  RD_CHECK(!strcmp(rec.response_units, "dF/F") && !strcmp(rec.source, "test"), "units and source kept");
  PetscBool same = PETSC_TRUE;
  for (PetscInt s = 0; s < 2; s++)
    for (PetscInt k = 0; k < 2; k++)
      for (PetscInt t = 0; t < T; t++)
        for (PetscInt i = 0; i < N; i++) same = (PetscBool)(same && RdResponsesOf(&rec.responses, rec.responses.values, s, k)[RD_IDX2(t, i, N)] == *Cell(values, K, T, N, sessions[s], stimuli[k], t, i));
  RD_CHECK(same, "selected groups are the file's (session 0, 2) x (stimulus 2, 0)");
  PetscCall(RdRecordingDestroy(&rec));
  PetscCall(PetscFree(values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every in-memory refusal: the error, and a message naming the file and the problem. */
static PetscErrorCode TestRefusals(void)
{
  const PetscInt     S = 2, K = 2, T = 4, N = 3;
  double            *values = NewRaw(S, K, T, N), *pristine;
  double             days[2] = {0, 1}, ids[3] = {5, 6, 7};
  RdRecordingOptions options;
  RdRecording        rec;
  PetscErrorCode     ierr;
  PetscInt           one_session[1] = {1}, backwards[2] = {1, 0}, twice[2] = {1, 1}, outside[1] = {2};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1((size_t)S * K * T * N, &pristine));
  PetscCall(PetscArraycpy(pristine, values, (size_t)S * K * T * N));
  RdRecordingRaw raw = {.path = "bad.h5", .sessions = S, .stimuli = K, .trials = T, .neurons = N, .responses = values};
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
#define EXPECT_REFUSAL(what, text) \
  do { \
    ierr = RdRecordingPrepare(&raw, &options, &rec); \
    RD_CHECK(ierr && MessageContains(ierr, "bad.h5") && MessageContains(ierr, text), "%s: refused naming the file and '%s' (error %d)", what, text, (int)ierr); \
    PetscCall(PetscArraycpy(values, pristine, (size_t)S * K * T * N)); \
    RdRecordingOptionsDefaults(&options); \
  } while (0)
  RdRecordingOptionsDefaults(&options);
  *Cell(values, K, T, N, 1, 0, 2, 1) = (double)INFINITY;
  EXPECT_REFUSAL("infinite value", "/responses[1, 0, 2, 1]");
  for (PetscInt k = 0; k < K; k++)
    for (PetscInt t = 0; t < T; t++) *Cell(values, K, T, N, 1, k, t, 2) = RD_NAN;
  EXPECT_REFUSAL("NaN-only neuron", "neuron 2 (id 2) is NaN in every trial of session 1");
  SetTrial(values, K, T, N, 0, 1, 0, RD_NAN);
  SetTrial(values, K, T, N, 0, 1, 3, RD_NAN);
  options.min_trials = 3;
  EXPECT_REFUSAL("too few valid trials", "session 0, stimulus 1 has 2 valid trial(s)");
  SetTrial(values, K, T, N, 1, 1, 0, RD_NAN);
  SetTrial(values, K, T, N, 1, 1, 1, RD_NAN);
  SetTrial(values, K, T, N, 1, 1, 2, RD_NAN);
  EXPECT_REFUSAL("one valid trial", "has 1 valid trial(s)");
  options.min_trials = 1;
  EXPECT_REFUSAL("min_trials 1", ">= 2");
  options.n_sessions = 1;
  options.sessions   = one_session;
  EXPECT_REFUSAL("one session selected", "drift needs at least 2 sessions");
  options.n_sessions = 2;
  options.sessions   = backwards;
  EXPECT_REFUSAL("sessions backwards", "strictly increasing");
  options.n_stimuli = 2;
  options.stimuli   = twice;
  EXPECT_REFUSAL("stimulus twice", "stimulus 1 was selected twice");
  options.n_stimuli = 1;
  options.stimuli   = outside;
  EXPECT_REFUSAL("stimulus outside", "stimulus 2 was selected");
  raw.neuron_id = ids;
  ids[2]        = 5;
  EXPECT_REFUSAL("repeated id", "/neuron_id repeats the id 5 (neurons 0 and 2)");
  ids[2] = 7.5;
  EXPECT_REFUSAL("fractional id", "/neuron_id[2] is 7.5, not an integer");
  ids[2]          = 7;
  raw.session_day = days;
  days[1]         = 0;
  EXPECT_REFUSAL("days not increasing", "/session_day is not strictly increasing");
  days[1] = RD_NAN;
  EXPECT_REFUSAL("NaN day", "/session_day[1] is nan");
  days[1]         = 1;
  raw.trials      = 1;
  EXPECT_REFUSAL("one trial", "at least 1 session, 1 stimulus, 2 trials");
  PetscCall(PetscPopErrorHandler());
#undef EXPECT_REFUSAL
  PetscCall(PetscFree(values));
  PetscCall(PetscFree(pristine));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* z-scoring: every neuron mean 0 and deviation 1 over the used responses (1/(N-1)); a constant
 * neuron only centred; the stored mean/deviation are those of the used raw responses. */
static PetscErrorCode TestZScore(void)
{
  const PetscInt     S = 2, K = 2, T = 5, N = 3;
  double            *values = NewRaw(S, K, T, N);
  RdRecordingOptions options;
  RdRecording        rec;

  PetscFunctionBeginUser;
  for (PetscInt s = 0; s < S; s++)
    for (PetscInt k = 0; k < K; k++)
      for (PetscInt t = 0; t < T; t++) {
        *Cell(values, K, T, N, s, k, t, 0) = 3.0 + 2.0 * s + *Cell(values, K, T, N, s, k, t, 0); /* a mean that drifts */
        *Cell(values, K, T, N, s, k, t, 2) = 4.25;                                            /* silent */
      }
  SetTrial(values, K, T, N, 1, 0, 4, RD_NAN); /* m = 4: group (s,k) uses trials floor(a*5/4) or the valid ones */
  RdRecordingOptionsDefaults(&options);
  options.zscore     = PETSC_TRUE;
  RdRecordingRaw raw = {.path = "z.h5", .sessions = S, .stimuli = K, .trials = T, .neurons = N, .responses = values};
  PetscCall(RdRecordingPrepare(&raw, &options, &rec));
  const PetscInt m = rec.responses.samples, rows = S * K * m;
  RD_CHECK(m == 4, "m = 4 (got %" PetscInt_FMT ")", m);
  for (PetscInt i = 0; i < N; i++) {
    double raw_mean = 0, raw_ss = 0, mean = 0, ss = 0;
    for (PetscInt s = 0; s < S; s++)
      for (PetscInt k = 0; k < K; k++)
        for (PetscInt a = 0; a < m; a++) raw_mean += *Cell(values, K, T, N, s, k, rec.trial_index[RD_IDX3(s, k, a, K, m)], i) / rows;
    for (PetscInt s = 0; s < S; s++)
      for (PetscInt k = 0; k < K; k++)
        for (PetscInt a = 0; a < m; a++) {
          const double x = *Cell(values, K, T, N, s, k, rec.trial_index[RD_IDX3(s, k, a, K, m)], i) - raw_mean;
          raw_ss += x * x;
          mean += RdResponsesOf(&rec.responses, rec.responses.values, s, k)[RD_IDX2(a, i, N)] / rows;
        }
    for (PetscInt r = 0; r < rows; r++) ss += rec.responses.values[RD_IDX2(r, i, N)] * rec.responses.values[RD_IDX2(r, i, N)];
    RD_CHECK_CLOSE(rec.zscore_mean[i], raw_mean, 1e-13 * fabs(raw_mean) + 1e-15, "z-score mean of the used raw responses");
    RD_CHECK_CLOSE(rec.zscore_std[i], sqrt(raw_ss / (rows - 1)), 1e-13, "z-score deviation (1/(N-1)) of the used raw responses");
    RD_CHECK_CLOSE(mean, 0.0, 1e-14, "z-scored neuron has mean 0");
    RD_CHECK_CLOSE(ss / (rows - 1), i == 2 ? 0.0 : 1.0, 1e-13, i == 2 ? "silent neuron stays 0 (centred only)" : "z-scored neuron has variance 1");
  }
  PetscCall(RdRecordingDestroy(&rec));
  PetscCall(PetscFree(values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The null sets hold the documented samples: values are planted as the sample index. */
static PetscErrorCode TestNullSets(void)
{
  const PetscInt S = 2, K = 2, N = 2;
  /* [m][kind][set][h]: split-half A = 0..h-1, B = m-h..m-1; even/odd A = 0,2,.., B = 1,3,.. */
  const PetscInt expect7[2][2][3] = {{{0, 1, 2}, {4, 5, 6}}, {{0, 2, 4}, {1, 3, 5}}};
  const PetscInt expect6[2][2][3] = {{{0, 1, 2}, {3, 4, 5}}, {{0, 2, 4}, {1, 3, 5}}};

  PetscFunctionBeginUser;
  for (PetscInt m = 6; m <= 7; m++) {
    RdResponses responses = {.days = S, .groups = K, .samples = m, .width = N};
    PetscCall(PetscMalloc1((size_t)S * K * m * N, &responses.values));
    for (PetscInt s = 0; s < S; s++)
      for (PetscInt k = 0; k < K; k++)
        for (PetscInt a = 0; a < m; a++)
          for (PetscInt i = 0; i < N; i++) RdResponsesOf(&responses, responses.values, s, k)[RD_IDX2(a, i, N)] = 1000.0 * s + 100.0 * k + a + 0.5 * i;
    for (int kind = 0; kind < 2; kind++) {
      RdResponses sets;
      PetscCall(RdRecordingNullSets(&responses, (RdRecordingNull)kind, &sets));
      RD_CHECK(sets.samples == 3 && sets.days == S && sets.groups == K && sets.width == N, "%s, m = %d: 3 samples per set", rd_recording_null_names[kind], (int)m);
      for (PetscInt s = 0; s < S; s++)
        for (PetscInt k = 0; k < K; k++)
          for (PetscInt a = 0; a < 3; a++)
            for (int set = 0; set < 2; set++) {
              const double  *rows = RdResponsesOf(&sets, set ? sets.values_null : sets.values, s, k);
              const PetscInt want = (m == 7 ? expect7 : expect6)[kind][set][a];
              RD_CHECK(rows[RD_IDX2(a, 1, N)] == 1000.0 * s + 100.0 * k + want + 0.5, "%s m=%d set %c sample %d is sample %d", rd_recording_null_names[kind], (int)m, set ? 'B' : 'A', (int)a, (int)want);
            }
      PetscCall(RdRecordingNullSetsDestroy(&sets));
    }
    PetscCall(PetscFree(responses.values));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The null signature: on responses whose even and odd trials are two well-separated patterns, the
 * even/odd discrimination is perfect (1) while the split-half halves each hold both patterns; the
 * reverse for a session whose second half differs from its first. Every other field equals
 * RdSignatureComputeNull on sets built here by index, independently of RdRecordingNullSets. */
static PetscErrorCode TestNullSignature(void)
{
  const PetscInt S = 2, K = 2, m = 16, N = 6, h = m / 2;
  const double   l2 = 1e-2;

  PetscFunctionBeginUser;
  for (int pattern = 0; pattern < 2; pattern++) { /* 0: alternating trials, 1: a change mid-session */
    RdResponses responses = {.days = S, .groups = K, .samples = m, .width = N};
    PetscCall(PetscMalloc1((size_t)S * K * m * N, &responses.values));
    for (PetscInt s = 0; s < S; s++)
      for (PetscInt k = 0; k < K; k++)
        for (PetscInt a = 0; a < m; a++) {
          const PetscBool second = pattern == 0 ? (PetscBool)(a % 2) : (PetscBool)(a >= h);
          for (PetscInt i = 0; i < N; i++) RdResponsesOf(&responses, responses.values, s, k)[RD_IDX2(a, i, N)] = 1.0 + k + 0.3 * s + (second && i == 0 ? 5.0 : 0.0) + 0.05 * RdTestNormal();
        }
    for (int kind = 0; kind < 2; kind++) {
      RdSignatureSummary summary, expected;
      double            *a_set, *b_set, sum = 0;
      PetscCall(RdRecordingSignatureNull(&responses, (RdRecordingNull)kind, l2, &summary));
      PetscCall(PetscMalloc2((size_t)S * K * h * N, &a_set, (size_t)S * K * h * N, &b_set));
      for (PetscInt s = 0; s < S; s++)
        for (PetscInt k = 0; k < K; k++) {
          for (PetscInt a = 0; a < h; a++) {
            const PetscInt ia = kind == 0 ? a : 2 * a, ib = kind == 0 ? m - h + a : 2 * a + 1;
            PetscCall(PetscArraycpy(a_set + RD_IDX3(RD_IDX2(s, k, K), a, 0, h, N), RdResponsesOf(&responses, responses.values, s, k) + (size_t)ia * N, N));
            PetscCall(PetscArraycpy(b_set + RD_IDX3(RD_IDX2(s, k, K), a, 0, h, N), RdResponsesOf(&responses, responses.values, s, k) + (size_t)ib * N, N));
          }
          double accuracy;
          PetscCall(RdDiscriminationAccuracy(a_set + RD_IDX3(RD_IDX2(s, k, K), 0, 0, h, N), b_set + RD_IDX3(RD_IDX2(s, k, K), 0, 0, h, N), h, N, l2, &accuracy));
          sum += accuracy;
        }
      RdSignatureInput input = {.snapshots = S, .groups = K, .samples = h, .units = N, .probe_a = a_set, .probe_b = b_set, .readout_l2 = l2};
      PetscCall(RdSignatureComputeNull(&input, &expected));
      RD_CHECK_CLOSE(summary.day_discrimination_accuracy, sum / (S * K), 1e-15, "null discrimination = mean RdDiscriminationAccuracy(A, B)");
      RD_CHECK_CLOSE(summary.fraction_in_variational_space, expected.fraction_in_variational_space, 1e-15, "null gamma = RdSignatureComputeNull's");
      RD_CHECK_CLOSE(summary.participation_ratio_per_unit, expected.participation_ratio_per_unit, 1e-15, "null D/n = RdSignatureComputeNull's");
      RD_CHECK_CLOSE(summary.angle_slope, expected.angle_slope, 1e-12, "null angle slope = RdSignatureComputeNull's");
      RD_CHECK_CLOSE(summary.classifier_angle, expected.classifier_angle, 1e-12, "null classifier angle = RdSignatureComputeNull's");
      if (pattern == kind) RD_CHECK(summary.day_discrimination_accuracy < 0.9, "%s null on %s: both sets hold both patterns alike, far from perfect (%g)", rd_recording_null_names[kind], pattern ? "a mid-session change" : "alternating trials", summary.day_discrimination_accuracy);
      else RD_CHECK(summary.day_discrimination_accuracy == 1.0, "%s null on %s: the two sets differ by 5 in unit 0, perfectly told apart (%g)", rd_recording_null_names[kind], pattern ? "a mid-session change" : "alternating trials", summary.day_discrimination_accuracy);
      PetscCall(PetscFree2(a_set, b_set));
    }
    PetscCall(PetscFree(responses.values));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* paper-v1: found by name; every in-schema metric is a /signature dataset of the schema; the
 * fractions are fractions; names unique. */
static PetscErrorCode TestReference(void)
{
  const RdReferenceRecording *paper = RdReferenceFind("paper-v1");

  PetscFunctionBeginUser;
  RD_CHECK(paper && paper->n_values >= 9, "paper-v1 is built in");
  RD_CHECK(RdReferenceFind("paper-v2") == NULL && RdReferenceFind(NULL) == NULL, "unknown references are NULL");
  if (!paper) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt v = 0; v < paper->n_values; v++) {
    const RdReferenceValue *value = &paper->values[v];
    char                    path[256];
    PetscBool               found = PETSC_FALSE;
    PetscCall(PetscSNPrintf(path, sizeof path, "/signature/%s", value->metric));
    for (int f = 0; f < RD_NUM_FIELDS; f++)
      if (rd_field_specs[f].path && !strcmp(rd_field_specs[f].path, path)) {
        found = PETSC_TRUE;
        RD_CHECK(!strcmp(rd_field_specs[f].units, value->units), "%s: units %s as the schema's %s", path, value->units, rd_field_specs[f].units);
      }
    RD_CHECK(found == value->in_schema, "%s: in the schema = %d as declared", path, (int)found);
    RD_CHECK((value->kind == RD_REFERENCE_MEAN_SD) == (PetscBool)isfinite(value->spread), "%s: a spread exactly when mean +- SD", path);
    if (!strcmp(value->units, "1")) RD_CHECK(value->value >= 0 && value->value <= 1, "%s: a fraction", path);
    for (PetscInt w = 0; w < v; w++) RD_CHECK(strcmp(paper->values[w].metric, value->metric), "%s listed once", path);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Driver: everything the days protocol's geometry computes, one line per number set:
 *   dims S K m n
 *   trial s k a t                         file trial index of sample a
 *   pca s k n_pcs k_variational D total   then "eig s k e_1 .. e_npcs"
 *   pair s l k angle relmag gamma chance overlap          for every s < l
 *   perpc s k i along angle flow                          pair (s, s+1), every PC i of s
 *   splitnull s k gamma_null
 *   null KIND gamma dn variance discrimination angle_pc1  RdRecordingSignatureNull */
static int Driver(const char *path)
{
  RdRecordingOptions options;
  RdRecording        rec;
  PetscErrorCode     ierr;

  RdRecordingOptionsDefaults(&options);
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-zscore", &options.zscore, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-min_trials", &options.min_trials, NULL));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdRecordingRead(path, &options, &rec);
  PetscCall(PetscPopErrorHandler());
  if (ierr) {
    const char *generic;
    char       *specific = NULL;
    PetscCall(PetscErrorMessage(ierr, &generic, &specific));
    printf("error: %s\n", specific && specific[0] ? specific : generic);
    return 1;
  }
  const RdResponses *r = &rec.responses;
  const PetscInt     S = r->days, K = r->groups, m = r->samples, n = r->width;
  RdPCA             *pca;
  double            *per_pc;
  printf("dims %d %d %d %d\n", (int)S, (int)K, (int)m, (int)n);
  for (PetscInt s = 0; s < S; s++)
    for (PetscInt k = 0; k < K; k++)
      for (PetscInt a = 0; a < m; a++) printf("trial %d %d %d %d\n", (int)s, (int)k, (int)a, (int)rec.trial_index[RD_IDX3(s, k, a, K, m)]);
  PetscCall(PetscMalloc1(S, &pca));
  PetscCall(PetscMalloc1(3 * (size_t)n, &per_pc));
  for (PetscInt s = 0; s < S; s++) PetscCall(RdPCACreate(n, m, &pca[s]));
  for (PetscInt k = 0; k < K; k++) {
    for (PetscInt s = 0; s < S; s++) {
      const double *members = RdResponsesOf(r, r->values, s, k);
      double        gamma_null;
      PetscCall(RdPCACompute(members, m, &pca[s]));
      printf("pca %d %d %d %d %.17g %.17g\neig %d %d", (int)s, (int)k, (int)pca[s].n_pcs, (int)pca[s].k_variational, pca[s].participation_ratio, pca[s].total_variance, (int)s, (int)k);
      for (PetscInt i = 0; i < pca[s].n_pcs; i++) printf(" %.17g", pca[s].eigenvalues[i]);
      printf("\n");
      PetscCall(RdSplitHalfNullFraction(members, m, n, &gamma_null));
      printf("splitnull %d %d %.17g\n", (int)s, (int)k, gamma_null);
    }
    for (PetscInt s = 0; s < S; s++)
      for (PetscInt l = s + 1; l < S; l++) {
        RdDriftPair pair = {0};
        if (l == s + 1) {
          pair.along_pc      = per_pc;
          pair.angle_to_pc   = per_pc + n;
          pair.variance_flow = per_pc + 2 * n;
        }
        PetscCall(RdDriftCompute(&pca[s], &pca[l], RdResponsesOf(r, r->values, l, k), m, &pair));
        printf("pair %d %d %d %.17g %.17g %.17g %.17g %.17g\n", (int)s, (int)l, (int)k, pair.angle_between_means, pair.relative_magnitude, pair.fraction_in_variational_space, pair.fraction_chance, pair.variational_overlap);
        if (l == s + 1)
          for (PetscInt i = 0; i < pca[s].n_pcs; i++) printf("perpc %d %d %d %.17g %.17g %.17g\n", (int)s, (int)k, (int)i, pair.along_pc[i], pair.angle_to_pc[i], pair.variance_flow[i]);
      }
  }
  if (m >= 8)
    for (int kind = 0; kind < 2; kind++) {
      RdSignatureSummary null;
      PetscCall(RdRecordingSignatureNull(r, (RdRecordingNull)kind, 1e-2, &null));
      printf("null %s %.17g %.17g %.17g %.17g %.17g\n", rd_recording_null_names[kind], null.fraction_in_variational_space, null.participation_ratio_per_unit, null.variance_in_variational_space, null.day_discrimination_accuracy, null.angle_to_pc1);
    }
  for (PetscInt s = 0; s < S; s++) PetscCall(RdPCADestroy(&pca[s]));
  PetscCall(PetscFree(pca));
  PetscCall(PetscFree(per_pc));
  PetscCall(RdRecordingDestroy(&rec));
  return 0;
}

int main(int argc, char **argv)
{
  int code;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  RdTestSeed(20221111);
  if (argc > 1 && argv[1][0] != '-') {
    code = Driver(argv[1]);
  } else {
    PetscCall(TestTrialSelection());
    PetscCall(TestSelection());
    PetscCall(TestRefusals());
    PetscCall(TestZScore());
    PetscCall(TestNullSets());
    PetscCall(TestNullSignature());
    PetscCall(TestReference());
    code = RdTestSummary("test_recording");
  }
  PetscCall(SlepcFinalize());
  return code;
}
