/* The autoencoder's parts (private to src/models/autoencoder_*.c): its options and the functions
 * its ops table (autoencoder_model.c) gathers from the other files.
 *
 * The model (Dorrell et al. 2025): the non-negative, energy-efficient linear autoencoder
 * z = W s + b, shat = R z + c, trained on samples of a source distribution (a grid, a grid with a
 * corner presented rarely or never, ...); whether its optimal code is modular or mixed follows the
 * range of the sources (kappa). */
#ifndef REPDRIFT_MODELS_AUTOENCODER_MODEL_H
#define REPDRIFT_MODELS_AUTOENCODER_MODEL_H

#include <repdrift/model.h>

typedef enum {
  RD_AE_SOURCES_GRID = 0,
  RD_AE_SOURCES_DIAGONAL,
  RD_AE_SOURCES_HOLE,
  RD_AE_SOURCES_UNIFORM,
  RD_AE_SOURCES_CUBE,
  RD_AE_SOURCES_TETRAHEDRON,
  RD_AE_SOURCES_FILE
} RdAutoencoderSources;

/* The options of -model autoencoder (rows of autoencoder_options in autoencoder_model.c). */
typedef struct {
  PetscInt  sources; /* RdAutoencoderSources */
  char      sources_file[RD_OPTION_STRING_SIZE];
  PetscInt  grid_size, uniform_samples, diagonal_repeats, num_sources;
  PetscReal corner_cut, hole_radius;
  PetscReal activity_l2, nonneg_penalty;
  PetscInt  optimizer; /* 0 adam, 1 sgd */
  /* set up once per run */
  PetscInt n_samples, n_sources; /* of the -sources sample */
  double   corner_share;         /* the corner region's share of the samples */
} RdAutoencoderOptions;

static inline const RdAutoencoderOptions *RdAutoencoderOptionsOf(const RdConfig *cfg) { return (const RdAutoencoderOptions *)cfg->model_options; }

/* The -sources sample (the same for every point: it depends on -seed only): n_samples x n_sources
 * (PetscMalloc'ed); -sources file reads /sources [N, d] of -sources_file. */
PetscErrorCode RdAutoencoderBuildSources(const RdConfig *cfg, PetscInt *n_samples, PetscInt *n_sources, double **sources);
/* Samples in the corner region {s1 + s2 < -2 + corner_cut} (2-D sources only). */
PetscErrorCode RdAutoencoderCornerCount(const RdConfig *cfg, PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt *in_corner);

/* The days protocol's ops (autoencoder_point.c). */
PetscErrorCode RdAutoencoderPointCreate(const RdConfig *cfg, const RdPoint *point, void **model);
PetscErrorCode RdAutoencoderPointTrain(void *model, PetscInt day, PetscBool *diverged);
PetscErrorCode RdAutoencoderPointObserve(void *model, PetscInt day, RdResponses *responses, RdPointResult *result, PetscBool *diverged);
PetscErrorCode RdAutoencoderPointDestroy(void **model);

/* repdrift-report's section (autoencoder_report.c): kappa next to the learned mixing. */
PetscErrorCode RdAutoencoderReport(const char *path, PetscBool terse);

#endif
