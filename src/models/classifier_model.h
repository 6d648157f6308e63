/* The classifier's parts (private to src/models/classifier_*.c): its options and the functions its
 * ops table (classifier_model.c) gathers from the other files.
 *
 * The model (Aitken et al. 2022): input -> hidden ReLU -> feature ReLU layer (whose drift is
 * measured, under one of six noise sources) -> linear readout; softmax cross-entropy, minibatch SGD
 * with momentum and L2, trained continually on a Gaussian mixture or the classes of a data file. */
#ifndef REPDRIFT_MODELS_CLASSIFIER_MODEL_H
#define REPDRIFT_MODELS_CLASSIFIER_MODEL_H

#include <repdrift/model.h>

/* The options of -model classifier (rows of classifier_options in classifier_model.c). */
typedef struct {
  char      data[RD_OPTION_STRING_SIZE]; /* -data: mixture or FILE.h5 */
  PetscBool is_file;                     /* -data names a file (setup) */
  PetscInt  input_dim, hidden_dim, num_classes, train_per_class, probe_every;
  PetscInt  probe_classes; /* analysed classes; 0 until setup resolves the default */
  PetscReal momentum;
  PetscInt  mixture_rank;
  PetscReal mixture_separation, mixture_scale, mixture_anisotropy;
  PetscInt  burnin_epochs, burnin_max_epochs, epochs, snapshots_per_epoch;
  PetscBool burnin_until_plateau;
} RdClassifierOptions;

static inline const RdClassifierOptions *RdClassifierOptionsOf(const RdConfig *cfg) { return (const RdClassifierOptions *)cfg->model_options; }

/* The days protocol's ops (classifier_point.c): a snapshot is a day, epochs x snapshots of them. */
PetscErrorCode RdClassifierPointCreate(const RdConfig *cfg, const RdPoint *point, void **model);
PetscErrorCode RdClassifierPointTrain(void *model, PetscInt day, PetscBool *diverged);
PetscErrorCode RdClassifierPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged);
PetscErrorCode RdClassifierPointFinish(void *model, const RdResponses *responses, PetscInt valid_days, RdPointResult *result);
PetscErrorCode RdClassifierPointDestroy(void **model);

/* repdrift-report's section (classifier_report.c): the drift signature per noise source. */
PetscErrorCode RdClassifierReport(const char *path, PetscBool terse);

#endif
