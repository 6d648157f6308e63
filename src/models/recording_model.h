/* The recording "model"'s parts (private to src/models/recording_*.c): its options, what its setup
 * learns of every file, and the functions its ops table (recording_model.c) gathers.
 *
 * -model recording trains nothing: each file of -recordings (one animal or field of view, format
 * repdrift-recording v1, include/repdrift/recording.h) is one sweep point, its sessions are the
 * days, its stimuli the stimulus groups, its trials the probe samples, its neurons the units. The
 * days protocol then runs unchanged: observe hands over one session at a time, the shared
 * geometry and readout analyse them, finish adds the drift signature over consecutive sessions
 * with the within-session split-half and even/odd nulls (Aitken et al. 2022, section 2.1). */
#ifndef REPDRIFT_MODELS_RECORDING_MODEL_H
#define REPDRIFT_MODELS_RECORDING_MODEL_H

#include <repdrift/model.h>
#include <repdrift/recording.h>

/* At most this many files per run (each is a sweep point). */
#define RD_RECORDING_MAX_FILES 256

/* What setup found in each file after the selection: the point's responses and the file's size. */
typedef enum {
  RD_SHAPE_SESSIONS, RD_SHAPE_STIMULI, RD_SHAPE_TRIALS, RD_SHAPE_NEURONS,   /* analysed: days, groups, m, units */
  RD_SHAPE_FILE_SESSIONS, RD_SHAPE_FILE_STIMULI, RD_SHAPE_FILE_TRIALS,     /* /responses in the file */
  RD_NUM_SHAPE
} RdRecordingShapeEntry;

/* The options of -model recording (rows of recording_options in recording_model.c), then what
 * setup derives from them and from the files (identical on every rank). */
typedef struct {
  char      recordings[RD_OPTION_STRING_SIZE]; /* -recordings a.h5,b.h5 */
  char      sessions_text[RD_OPTION_STRING_SIZE], stimuli_text[RD_OPTION_STRING_SIZE]; /* "all" or a list */
  PetscInt  min_trials;
  PetscBool zscore;
  /* setup */
  PetscInt    n_files;
  char        path_text[RD_OPTION_STRING_SIZE];    /* -recordings split in place */
  const char *path[RD_RECORDING_MAX_FILES];        /* into path_text */
  PetscInt    n_sessions, sessions[RD_OPTION_MAX_VALUES]; /* 0: every session */
  PetscInt    n_stimuli, stimuli[RD_OPTION_MAX_VALUES];   /* 0: every stimulus */
  PetscInt    shape[RD_RECORDING_MAX_FILES][RD_NUM_SHAPE];
} RdRecordingModelOptions;

static inline const RdRecordingModelOptions *RdRecordingModelOptionsOf(const RdConfig *cfg) { return (const RdRecordingModelOptions *)cfg->model_options; }

/* The reader's options of this run (the selection, -min_trials, -zscore). */
void RdRecordingModelReaderOptions(const RdRecordingModelOptions *ro, RdRecordingOptions *reader);

/* The days protocol's ops (recording_point.c): create reads the point's file, train does nothing,
 * observe hands over one session, finish writes /recording and the signature with its nulls. */
PetscErrorCode RdRecordingPointCreate(const RdConfig *cfg, const RdPoint *point, void **model);
PetscErrorCode RdRecordingPointTrain(void *model, PetscInt day, PetscBool *diverged);
PetscErrorCode RdRecordingPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged);
PetscErrorCode RdRecordingPointFinish(void *model, const RdResponses *responses, PetscInt valid_days, RdPointResult *result);
PetscErrorCode RdRecordingPointDestroy(void **model);

/* repdrift-report's section (recording_report.c): the summary, then per recording its signature
 * next to its two within-session nulls and the paper's values. */
PetscErrorCode RdRecordingReport(const char *path, PetscBool terse);

#endif
