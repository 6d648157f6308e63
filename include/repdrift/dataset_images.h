/* Image data sets for the classifier (its lenet architecture reads images C x H x W): an IDX pair
 * such as Debian's dataset-fashion-mnist, and HDF5 files of images. The result is an RdDataset
 * (include/repdrift/dataset.h) whose rows are the images flattened in [C][H][W] order, with the
 * class index built, plus the image shape. Every reader refuses bad input with one line naming the
 * file and what to fix (PETSC_ERR_USER_INPUT or PETSC_ERR_FILE_*), and leaves nothing allocated in
 * the set on error beyond what RdDatasetDestroy frees. Serial; the result does not depend on the
 * rank. */
#ifndef REPDRIFT_DATASET_IMAGES_H
#define REPDRIFT_DATASET_IMAGES_H

#include <repdrift/dataset.h>

typedef struct {
  PetscInt channels, height, width;
} RdImageShape;

/* Where Debian's dataset-fashion-mnist puts the data (Xiao, Rasul and Vollgraf 2017). */
#define RD_FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist"

/* An IDX pair (include/repdrift/idx.h): images [N][rows][columns] and labels [N], unsigned bytes.
 * Pixels are scaled to [0, 1] (value / 255); the shape is 1 x rows x columns. Refused: a bad IDX
 * file, image and label files of different N, fewer than 2 classes (C = largest label + 1) or a
 * class 0..C-1 with fewer than 2 examples. */
PetscErrorCode RdDatasetLoadIdx(const char *images_path, const char *labels_path, RdDataset *set, RdImageShape *shape);

/* Fashion-MNIST from dir (NULL: RD_FASHION_MNIST_DIR): train-images-idx3-ubyte.gz and
 * train-labels-idx1-ubyte.gz into train (60000 images), t10k-images-idx3-ubyte.gz and
 * t10k-labels-idx1-ubyte.gz into test (10000): 10 classes of 1 x 28 x 28 images in [0, 1]. The test
 * set must have the training set's image shape and classes (refused otherwise). The test set is the
 * held-out set: probes and accuracy come from it. */
PetscErrorCode RdDatasetLoadFashionMnist(const char *dir, RdDataset *train, RdDataset *test, RdImageShape *shape);

/* An HDF5 file of images, read through the input module's RdInputReadArray (h5input.h):
 *   /inputs [N, C, H, W] (the shape is the file's; `given`, if not NULL, must equal it), or
 *   /inputs [N, n]       with `given` = C x H x W and C H W = n (given NULL: the shape is n x 1 x 1,
 *                        a vector per example, as for the mlp);
 *   /labels [N]          class labels 0..C-1 as integers or integral floats.
 * Every input finite, N equal in both, at least 2 classes, every class 0..C-1 with at least 2
 * examples. */
PetscErrorCode RdDatasetLoadImages(const char *path, const RdImageShape *given, RdDataset *set, RdImageShape *shape);

#endif
