/* The classifier's examples from a file or from Fashion-MNIST (classifier_model.h), read once per
 * process. Fashion-MNIST in double precision takes 70 000 x 784 x 8 B = 440 MB: read anew for each
 * point it would cost a second of decompression per point and, if a rank held two copies, twice
 * the memory. So setup reads it (which also checks it before anything is written), and every point
 * of the rank then trains and probes on that one copy, read-only; it is freed at PetscFinalize. The
 * images stay float64 so that the kernels, the benchmarks and the PyTorch anchor see the same
 * pixel values (k / 255 in double). */
#include "classifier_model.h"
#include <repdrift/models/classifier.h>
#include <string.h>

typedef struct {
  PetscBool              loaded;
  RdClassifierDataSource source;
  PetscInt               architecture, probe_every;
  RdImageShape           given_shape;
  char                   data[RD_OPTION_STRING_SIZE], dir[RD_OPTION_STRING_SIZE];
  RdClassifierData       sets;
} DataCache;

static DataCache cache;
static PetscBool finalize_registered = PETSC_FALSE;

static PetscErrorCode CacheClear(void)
{
  PetscFunctionBeginUser;
  PetscCall(RdDatasetDestroy(&cache.sets.train));
  PetscCall(RdDatasetDestroy(&cache.sets.heldout));
  PetscCall(PetscMemzero(&cache, sizeof cache));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* PetscRegisterFinalize's callback: the cache is gone before PETSc checks for leaks. */
static PetscErrorCode CacheFinalize(void)
{
  PetscFunctionBeginUser;
  PetscCall(CacheClear());
  finalize_registered = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool SameKey(const RdClassifierOptions *co)
{
  return cache.loaded && cache.source == co->source && cache.architecture == co->architecture && cache.probe_every == co->probe_every && !strcmp(cache.data, co->data) && !strcmp(cache.dir, co->fashion_mnist_dir) && cache.given_shape.channels == co->given_shape.channels && cache.given_shape.height == co->given_shape.height &&
         cache.given_shape.width == co->given_shape.width;
}

/* A file: the mlp reads /inputs [N, n] (RdDatasetLoad, as it always has), the lenet images
 * [N, C, H, W] or [N, n] with -input_shape (RdDatasetLoadImages); then the documented split. */
static PetscErrorCode LoadFile(const RdClassifierOptions *co, RdClassifierData *sets)
{
  RdDataset      all;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  if (co->architecture == RD_CLASSIFIER_LENET) ierr = RdDatasetLoadImages(co->data, co->given_shape.channels ? &co->given_shape : NULL, &all, &sets->shape);
  else {
    ierr          = RdDatasetLoad(co->data, &all);
    sets->shape = (RdImageShape){all.input_dim, 1, 1};
  }
  if (!ierr) ierr = RdDatasetSplit(&all, co->probe_every, &sets->train, &sets->heldout);
  PetscCall(RdDatasetDestroy(&all));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierDataGet(const RdClassifierOptions *co, const RdClassifierData **data)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCheck(co->source != RD_CLASSIFIER_DATA_MIXTURE, PETSC_COMM_SELF, PETSC_ERR_PLIB, "The mixture draws its examples itself: no data to read");
  if (SameKey(co)) {
    *data = &cache.sets;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(CacheClear());
  if (!finalize_registered) {
    PetscCall(PetscRegisterFinalize(CacheFinalize));
    finalize_registered = PETSC_TRUE;
  }
  if (co->source == RD_CLASSIFIER_DATA_FASHION_MNIST) ierr = RdDatasetLoadFashionMnist(co->fashion_mnist_dir, &cache.sets.train, &cache.sets.heldout, &cache.sets.shape);
  else ierr = LoadFile(co, &cache.sets);
  if (ierr) PetscCall(CacheClear()); /* what a failed read left behind */
  PetscCall(ierr);
  cache.loaded       = PETSC_TRUE;
  cache.source       = co->source;
  cache.architecture = co->architecture;
  cache.probe_every  = co->probe_every;
  cache.given_shape  = co->given_shape;
  PetscCall(PetscStrncpy(cache.data, co->data, sizeof cache.data));
  PetscCall(PetscStrncpy(cache.dir, co->fashion_mnist_dir, sizeof cache.dir));
  *data = &cache.sets;
  PetscFunctionReturn(PETSC_SUCCESS);
}
