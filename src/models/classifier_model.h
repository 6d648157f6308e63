/* The classifier's parts (private to src/models/classifier_*.c): its options and the functions its
 * ops table (classifier_model.c) gathers from the other files.
 *
 * The model (Aitken et al. 2022): input -> hidden ReLU -> feature ReLU layer (whose drift is
 * measured, under one of six noise sources) -> linear readout; softmax cross-entropy, minibatch SGD
 * with momentum and L2, trained continually on a Gaussian mixture or the classes of a data file. */
#ifndef REPDRIFT_MODELS_CLASSIFIER_MODEL_H
#define REPDRIFT_MODELS_CLASSIFIER_MODEL_H

#include <repdrift/dataset_images.h>
#include <repdrift/model.h>

/* Where the examples come from (-data). */
typedef enum { RD_CLASSIFIER_DATA_MIXTURE = 0, RD_CLASSIFIER_DATA_FILE, RD_CLASSIFIER_DATA_FASHION_MNIST } RdClassifierDataSource;

/* The options of -model classifier (rows of classifier_options in classifier_model.c). */
typedef struct {
  PetscInt  architecture;                /* -architecture: RdClassifierArchitecture */
  char      data[RD_OPTION_STRING_SIZE]; /* -data: mixture, fashion_mnist or FILE.h5 */
  char      fashion_mnist_dir[RD_OPTION_STRING_SIZE];
  char      input_shape[RD_OPTION_STRING_SIZE]; /* -input_shape C,H,W ("": the file's); setup writes the shape used (lenet) */
  PetscInt  weight_dropout_mask;         /* -weight_dropout_mask: RdWeightMaskScope */
  PetscInt  gradient_noise_on;           /* -gradient_noise_on: RdGradientNoiseTarget */
  PetscBool is_file;                     /* -data is not the mixture: examples from a file or Fashion-MNIST (setup) */
  RdClassifierDataSource source;         /* (setup) */
  RdImageShape           given_shape;    /* -input_shape parsed (zeros when not given) (setup) */
  RdImageShape           image;          /* shape of an example (setup; the mlp's vectors are n x 1 x 1) */
  PetscInt               n_train, n_heldout; /* training and held-out examples (setup; the mixture: C x train_per_class, 0) */
  PetscInt  input_dim, hidden_dim, num_classes, train_per_class, probe_every;
  PetscInt  probe_classes; /* analysed classes; 0 until setup resolves the default */
  PetscReal momentum;
  PetscInt  mixture_rank;
  PetscReal mixture_separation, mixture_scale, mixture_anisotropy;
  PetscInt  burnin_epochs, burnin_max_epochs, epochs, snapshots_per_epoch;
  PetscBool burnin_until_plateau;
} RdClassifierOptions;

static inline const RdClassifierOptions *RdClassifierOptionsOf(const RdConfig *cfg) { return (const RdClassifierOptions *)cfg->model_options; }

/* The examples of a file or of Fashion-MNIST, read once per process and shared by every point of
 * the rank (classifier_data.c): train, and the held-out set the probes and the accuracy draw from
 * (a file: every -probe_every-th example of each class; Fashion-MNIST: its 10 000 test images). */
typedef struct {
  RdDataset    train, heldout;
  RdImageShape shape;
} RdClassifierData;

/* The data the options name (co->source not the mixture), read and checked on the first call and
 * kept until PetscFinalize; later calls with the same options return the same data. A bad file is
 * a user error naming it. */
PetscErrorCode RdClassifierDataGet(const RdClassifierOptions *co, const RdClassifierData **data);

/* The days protocol's ops (classifier_point.c): a snapshot is a day, epochs x snapshots of them. */
PetscErrorCode RdClassifierPointCreate(const RdConfig *cfg, const RdPoint *point, void **model);
PetscErrorCode RdClassifierPointTrain(void *model, PetscInt day, PetscBool *diverged);
PetscErrorCode RdClassifierPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged);
PetscErrorCode RdClassifierPointFinish(void *model, const RdResponses *responses, PetscInt valid_days, RdPointResult *result);
PetscErrorCode RdClassifierPointDestroy(void **model);

/* repdrift-report's section (classifier_report.c): the drift signature per noise source. */
PetscErrorCode RdClassifierReport(const char *path, PetscBool terse);

#endif
