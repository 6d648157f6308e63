/* Image data sets (include/repdrift/dataset_images.h): IDX pairs (src/idx.c) and HDF5 image files
 * (through the input module's RdInputReadArray, include/repdrift/h5input.h: this file never calls
 * HDF5). */
#include <repdrift/dataset_images.h>
#include <repdrift/h5input.h>
#include <repdrift/idx.h>
#include <math.h>
#include <string.h>

/* C = largest label + 1 must be >= 2 and every class 0..C-1 must have >= 2 examples (as
 * RdDatasetLoad requires of its files). Labels are already integers >= 0. */
static PetscErrorCode CountClasses(const char *path, const PetscInt *labels, PetscInt n, PetscInt *num_classes)
{
  PetscInt  C = 0, *count;
  PetscBool ok = PETSC_TRUE;
  PetscInt  bad = -1, bad_count = 0;

  PetscFunctionBeginUser;
  for (PetscInt e = 0; e < n; e++) C = PetscMax(C, labels[e] + 1);
  PetscCheck(C >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: every label is 0: a classification data set needs at least 2 classes", path);
  PetscCall(PetscCalloc1(C, &count));
  for (PetscInt e = 0; e < n; e++) count[labels[e]]++;
  for (PetscInt c = 0; c < C && ok; c++)
    if (count[c] < 2) {
      ok        = PETSC_FALSE;
      bad       = c;
      bad_count = count[c];
    }
  PetscCall(PetscFree(count));
  PetscCheck(ok, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: class %" PetscInt_FMT " has %" PetscInt_FMT " example(s); the labels must number the classes 0..%" PetscInt_FMT " without gaps, each with at least 2 examples", path, bad, bad_count, C - 1);
  *num_classes = C;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDatasetLoadIdx(const char *images_path, const char *labels_path, RdDataset *set, RdImageShape *shape)
{
  RdIdxArray images, labels;
  PetscInt   C, *label_values;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(set, sizeof(*set)));
  PetscCall(RdIdxRead(images_path, 3, &images));
  PetscErrorCode ierr = RdIdxRead(labels_path, 1, &labels);
  if (ierr) PetscCall(RdIdxFree(&images));
  PetscCall(ierr);
  const PetscInt n = images.dims[0], pixels = images.dims[1] * images.dims[2];
  const PetscInt n_labels = labels.dims[0];
  if (n_labels != n) {
    PetscCall(RdIdxFree(&images));
    PetscCall(RdIdxFree(&labels));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s holds %" PetscInt_FMT " images but %s holds %" PetscInt_FMT " labels: give the labels file of these images", images_path, n, labels_path, n_labels);
  }
  PetscCall(PetscMalloc1(n, &label_values));
  for (PetscInt e = 0; e < n; e++) label_values[e] = labels.data[e];
  PetscCall(RdIdxFree(&labels));
  ierr = CountClasses(labels_path, label_values, n, &C);
  if (!ierr) ierr = RdDatasetCreate(n, pixels, C, set);
  if (ierr) {
    PetscCall(PetscFree(label_values));
    PetscCall(RdIdxFree(&images));
  }
  PetscCall(ierr);
  for (size_t i = 0; i < images.count; i++) set->inputs[i] = (double)images.data[i] / 255.0;
  for (PetscInt e = 0; e < n; e++) set->labels[e] = label_values[e];
  shape->channels = 1;
  shape->height   = images.dims[1];
  shape->width    = images.dims[2];
  PetscCall(PetscFree(label_values));
  PetscCall(RdIdxFree(&images));
  PetscCall(RdDatasetIndexClasses(set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDatasetLoadFashionMnist(const char *dir, RdDataset *train, RdDataset *test, RdImageShape *shape)
{
  char         images[PETSC_MAX_PATH_LEN], labels[PETSC_MAX_PATH_LEN];
  RdImageShape test_shape;
  const char  *root = dir ? dir : RD_FASHION_MNIST_DIR;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(test, sizeof(*test)));
  PetscCall(PetscSNPrintf(images, sizeof images, "%s/train-images-idx3-ubyte.gz", root));
  PetscCall(PetscSNPrintf(labels, sizeof labels, "%s/train-labels-idx1-ubyte.gz", root));
  PetscCall(RdDatasetLoadIdx(images, labels, train, shape));
  PetscCall(PetscSNPrintf(images, sizeof images, "%s/t10k-images-idx3-ubyte.gz", root));
  PetscCall(PetscSNPrintf(labels, sizeof labels, "%s/t10k-labels-idx1-ubyte.gz", root));
  PetscCall(RdDatasetLoadIdx(images, labels, test, &test_shape));
  PetscCheck(test_shape.height == shape->height && test_shape.width == shape->width, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s holds %" PetscInt_FMT " x %" PetscInt_FMT " images but the training images are %" PetscInt_FMT " x %" PetscInt_FMT, images, test_shape.height, test_shape.width, shape->height, shape->width);
  PetscCheck(test->num_classes == train->num_classes, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s has %" PetscInt_FMT " classes but the training labels have %" PetscInt_FMT, labels, test->num_classes, train->num_classes);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDatasetLoadImages(const char *path, const RdImageShape *given, RdDataset *set, RdImageShape *shape)
{
  PetscInt       input_shape[4], label_shape[1], C;
  double        *values = NULL, *label_values = NULL;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(set, sizeof(*set)));
  /* [N, C, H, W]? (quietly: a [N, n] file is the other valid layout) */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdInputReadArray(path, "/inputs", 4, "an array [examples, channels, height, width] or a matrix [examples, inputs]", input_shape, &values);
  PetscCall(PetscPopErrorHandler());
  if (ierr) { /* the [N, n] layout through the file dataset reader, with all its checks and messages */
    PetscCall(RdDatasetLoad(path, set));
    if (given) {
      PetscCheck(given->channels * given->height * given->width == set->input_dim, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs has %" PetscInt_FMT " values per example but -input_shape %" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT " needs %" PetscInt_FMT, path, set->input_dim, given->channels, given->height, given->width, given->channels * given->height * given->width);
      *shape = *given;
    } else *shape = (RdImageShape){set->input_dim, 1, 1};
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  const PetscInt n = input_shape[0], dim = input_shape[1] * input_shape[2] * input_shape[3];
  *shape           = (RdImageShape){input_shape[1], input_shape[2], input_shape[3]};
  ierr             = RdInputReadArray(path, "/labels", 1, "a vector [examples] of class labels 0..C-1 (integers, or integral floats)", label_shape, &label_values);
  if (ierr) PetscCall(PetscFree(values));
  PetscCall(ierr);
  /* every check before anything else is allocated, so that one free covers the error paths */
  const char *problem = NULL;
  PetscInt    bad     = -1;
  if (given && (given->channels != shape->channels || given->height != shape->height || given->width != shape->width)) problem = "shape";
  else if (label_shape[0] != n) problem = "count";
  else if (n < 2 || dim < 1) problem = "size";
  for (size_t i = 0; !problem && i < (size_t)n * (size_t)dim; i++)
    if (!isfinite(values[i])) {
      problem = "input";
      bad     = (PetscInt)(i / (size_t)dim);
    }
  for (PetscInt e = 0; !problem && e < n; e++)
    if (!(label_values[e] >= 0 && label_values[e] < n && label_values[e] == floor(label_values[e]))) {
      problem = "label";
      bad     = e;
    }
  if (problem) {
    const double bad_label = bad >= 0 && label_values && !strcmp(problem, "label") ? label_values[bad] : 0;
    PetscCall(PetscFree(values));
    PetscCall(PetscFree(label_values));
    PetscCheck(strcmp(problem, "shape"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs holds %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT " images but -input_shape asks for %" PetscInt_FMT ",%" PetscInt_FMT ",%" PetscInt_FMT ": leave -input_shape out for a 4-D /inputs", path, shape->channels, shape->height, shape->width, given->channels, given->height, given->width);
    PetscCheck(strcmp(problem, "count"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs has %" PetscInt_FMT " examples but /labels has %" PetscInt_FMT " entries: give exactly one label per example", path, n, label_shape[0]);
    PetscCheck(strcmp(problem, "size"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs holds %" PetscInt_FMT " example(s) of %" PetscInt_FMT " values; a classification data set needs at least 2 examples of each of at least 2 classes", path, n, dim);
    PetscCheck(strcmp(problem, "input"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs example %" PetscInt_FMT " (0-based) has a value that is not a finite number", path, bad);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /labels row %" PetscInt_FMT " (0-based) is %g: labels must be class numbers 0..C-1", path, bad, bad_label);
  }
  PetscInt *labels;
  PetscCall(PetscMalloc1(n, &labels));
  for (PetscInt e = 0; e < n; e++) labels[e] = (PetscInt)label_values[e];
  PetscCall(PetscFree(label_values));
  ierr = CountClasses(path, labels, n, &C);
  if (!ierr) ierr = RdDatasetCreate(n, dim, C, set);
  if (ierr) {
    PetscCall(PetscFree(labels));
    PetscCall(PetscFree(values));
  }
  PetscCall(ierr);
  PetscCall(PetscArraycpy(set->inputs, values, (size_t)n * (size_t)dim));
  PetscCall(PetscArraycpy(set->labels, labels, n));
  PetscCall(PetscFree(labels));
  PetscCall(PetscFree(values));
  PetscCall(RdDatasetIndexClasses(set));
  PetscFunctionReturn(PETSC_SUCCESS);
}
