/* Recorded neurons in: the `repdrift-recording` file format (version 1) and its reader, which turns
 * one file (one animal or field of view) into the probe responses the days protocol analyses
 * (RdResponses [day][group][sample][unit] = [session][stimulus][trial][neuron]), plus the two
 * within-session nulls of Aitken et al. (2022, PLoS Comput Biol 18:e1010716, section 2.1): the
 * first against the second half of a session's trials, and the even against the odd trials.
 *
 * The format (an HDF5 file; the README's "Recordings" section is the user-facing copy):
 *   /responses      float [session, stimulus, trial, neuron]; neuron i is the same cell in every
 *                   session; NaN marks a missing trial (trial counts may differ between groups).
 *                   Integer data (e.g. spike counts) are accepted and converted exactly.
 *   /session_day    optional, numbers [session]: days since the first session, strictly increasing.
 *   /stimulus_name  optional, strings [stimulus].
 *   /neuron_id      optional, integers [neuron], all different (e.g. Allen cell_specimen_id).
 *   root attributes format = "repdrift-recording", version = 1 (an integer), response_units and
 *                   source (strings: what a response is, e.g. "dF/F", and where it came from).
 *
 * What the reader does, in order (every refusal is one line "FILE: PATH: what is wrong"):
 *  1. The file: readable, HDF5, not truncated; the attributes above with those exact values.
 *  2. /responses: 4 dimensions, numeric, every extent >= 1 (trials >= 2), each extent within the
 *     PetscInt range, the element count without size_t overflow, the bytes it needs within
 *     options->max_bytes, storage actually written; then read through RdInputReadArray. Values are
 *     finite or NaN (an infinity is refused with its index). The optional datasets have one entry
 *     per session / stimulus / neuron; ids are integers below 2^53 and never repeat.
 *  3. Selection: the sessions (strictly increasing file indices, at least 2) and stimuli (distinct
 *     file indices, any order) of the options; default all.
 *  4. Missing trials, per (session, stimulus) group of the selection:
 *     - a trial is VALID when every neuron has a finite response in it; a trial with only some
 *       neurons NaN is dropped whole (counted in dropped_partial_trials) — the analyses need
 *       complete response vectors, and imputing would invent covariance;
 *     - a neuron with no finite response at all in a session (over the selected stimuli) is
 *       refused: it was not matched in that session (a converter must leave it out);
 *     - every group needs max(2, options->min_trials) valid trials, else refused naming the group;
 *     - every group then contributes the same number m = the smallest valid count over the selected
 *       groups (the PCA, the split-half nulls and the classifiers all take m samples per group), its
 *       valid trials t_0 < ... < t_{c-1} subsampled deterministically and evenly over the session,
 *       sample a = t_{floor(a c / m)}, a = 0..m-1 (all of them when c = m). Evenly rather than the
 *       first m: the within-session split-half null compares the session's first and second half,
 *       and should span the whole session. Trial order is kept (sample order = time order).
 *  5. z-scoring (options->zscore, off by default as in the paper): each neuron is centred and
 *     divided by its standard deviation (1/(N-1)) pooled over every used trial of every selected
 *     session and stimulus (pooled, so a change of a neuron's mean between sessions — drift — is
 *     kept); a neuron with zero pooled deviation is only centred (it stays 0). Without z-scoring a
 *     neuron silent in a session (zero variance) is kept as it is; the geometry handles it.
 * Serial; the reader never writes anything. */
#ifndef REPDRIFT_RECORDING_H
#define REPDRIFT_RECORDING_H

#include <repdrift/common.h>
#include <repdrift/model.h>
#include <repdrift/signature.h>

#define RD_RECORDING_FORMAT  "repdrift-recording"
#define RD_RECORDING_VERSION 1
#define RD_RECORDING_TEXT_MAX 1024

typedef struct {
  PetscInt        n_sessions;  /* 0 = every session of the file */
  const PetscInt *sessions;    /* [n_sessions] file session indices, strictly increasing */
  PetscInt        n_stimuli;   /* 0 = every stimulus */
  const PetscInt *stimuli;     /* [n_stimuli] file stimulus indices, distinct */
  PetscInt        min_trials;  /* valid trials every selected group must have (>= 2; default 2) */
  PetscBool       zscore;      /* default false (the paper analyses dF/F as it is) */
  double          max_bytes;   /* memory the reader may use; 0 = 80% of the machine's physical memory */
} RdRecordingOptions;

void RdRecordingOptionsDefaults(RdRecordingOptions *options);

/* What a file holds, as read (the input of RdRecordingPrepare; also built by tests). */
typedef struct {
  const char   *path;          /* named in every message */
  PetscInt      sessions, stimuli, trials, neurons;
  const double *responses;     /* [sessions][stimuli][trials][neurons], NaN = missing */
  const double *session_day;   /* [sessions] or NULL */
  const double *neuron_id;     /* [neurons] or NULL (integers, as float64) */
  char *const  *stimulus_name; /* [stimuli] or NULL */
  const char   *response_units, *source;
} RdRecordingRaw;

typedef struct {
  char        path[PETSC_MAX_PATH_LEN];
  char        response_units[RD_RECORDING_TEXT_MAX], source[RD_RECORDING_TEXT_MAX];
  PetscInt    file_sessions, file_stimuli, file_trials, file_neurons; /* extents of /responses */
  /* The analysed responses: days = selected sessions, groups = selected stimuli, samples = m
   * trials per group, width = neurons; values [session][stimulus][trial][neuron] (all finite);
   * values_null NULL (the nulls come from RdRecordingNullSets). */
  RdResponses responses;
  PetscInt   *session_index;          /* [days] file index of each selected session */
  PetscInt   *stimulus_index;         /* [groups] file index of each selected stimulus */
  double     *session_day;            /* [days] /session_day of the selection, or the file index when absent */
  PetscBool   has_session_day;
  PetscInt   *valid_trials;           /* [days][groups] valid trials in the file (before equalising) */
  PetscInt   *trial_index;            /* [days][groups][samples] file trial index of each sample */
  PetscInt    dropped_partial_trials; /* selected trials with some, not all, neurons NaN */
  int64_t    *neuron_id;              /* [width] or NULL */
  char      **stimulus_name;          /* [groups] or NULL */
  double     *zscore_mean, *zscore_std; /* [width] when z-scored, else NULL */
} RdRecording;

/* Reads, validates and prepares one recording file (steps 1-5 above). */
PetscErrorCode RdRecordingRead(const char *path, const RdRecordingOptions *options, RdRecording *recording);
/* Steps 2 (values, ids, days) to 5 on data already in memory. */
PetscErrorCode RdRecordingPrepare(const RdRecordingRaw *raw, const RdRecordingOptions *options, RdRecording *recording);
PetscErrorCode RdRecordingDestroy(RdRecording *recording);

/* The within-session nulls (Aitken et al. 2022, section 2.1: a linear classifier tells the sessions
 * apart, but not the two halves of one session, nor its even and odd trials). From the m samples of
 * each (session, stimulus) group, h = floor(m/2) per set:
 *   RD_RECORDING_NULL_SPLIT_HALF: set A = samples 0..h-1, set B = samples m-h..m-1 (with m odd the
 *                                 middle sample is left out, so the halves are symmetric in time);
 *   RD_RECORDING_NULL_EVEN_ODD:   set A = samples 0, 2, .., 2h-2, set B = samples 1, 3, .., 2h-1.
 * Samples are the recording's used trials in time order (RdRecording.trial_index). */
typedef enum { RD_RECORDING_NULL_SPLIT_HALF = 0, RD_RECORDING_NULL_EVEN_ODD = 1 } RdRecordingNull;
extern const char *const rd_recording_null_names[]; /* "split_half", "even_odd" */

/* The two sets as responses the signature code consumes: values = set A, values_null = set B,
 * [days][groups][h][width], h = floor(responses->samples / 2) >= 1. Free with
 * RdRecordingNullSetsDestroy. */
PetscErrorCode RdRecordingNullSets(const RdResponses *responses, RdRecordingNull kind, RdResponses *sets);
PetscErrorCode RdRecordingNullSetsDestroy(RdResponses *sets);

/* The /signature metrics of a within-session null: RdSignatureComputeNull with probe_a = set A and
 * probe_b = set B (every metric between A and B of the same session: gamma, angles, flow, a_rel,
 * the classifier angle, D/n and the variance share of the 2 x sessions x stimuli PCAs of h samples),
 * except day_discrimination_accuracy, which is the null's defining number: the mean over sessions
 * and stimuli of RdDiscriminationAccuracy(A, B) (a classifier telling set A from set B, trained on
 * the first floor(h/2) samples of each, tested on the rest; ~0.5 when the halves do not differ).
 * Needs h >= 4 (m >= 8 trials per group); readout_l2 > 0. */
PetscErrorCode RdRecordingSignatureNull(const RdResponses *responses, RdRecordingNull kind, double readout_l2, RdSignatureSummary *summary);

#endif
