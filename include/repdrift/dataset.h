/* Classification datasets for the classifier model: inputs [N][n] with integer labels [N] in
 * [0, C), indexed by class. Two sources:
 *  - a built-in Gaussian mixture (RdMixture), which draws fresh examples of any class on demand;
 *  - an HDF5 file (/inputs, /labels) read through the input module h5input.h (RdDatasetLoad), split once
 *    into a training set and a held-out probe pool (RdDatasetSplit); "fresh" probe examples of a
 *    file dataset are draws with replacement from that pool (RdDatasetSampleClass).
 * Every random draw comes from a caller's RdStream, in the order documented per function, so a
 * dataset is a pure function of (seed, stream id, sizes) and does not depend on the MPI rank. */
#ifndef REPDRIFT_DATASET_H
#define REPDRIFT_DATASET_H

#include <repdrift/common.h>
#include <repdrift/rng.h>

typedef struct {
  PetscInt  n_examples, input_dim, num_classes;
  double   *inputs;        /* [n_examples][input_dim] row-major */
  PetscInt *labels;        /* [n_examples] in [0, num_classes) */
  PetscInt *class_offsets; /* [num_classes + 1] CSR: the examples of class c are
                              class_members[class_offsets[c] .. class_offsets[c+1]-1] */
  PetscInt *class_members; /* [n_examples] example indices grouped by class, ascending within a class */
} RdDataset;

/* Allocates inputs and labels of a dataset of the given sizes (contents uninitialised; class index
 * NULL until RdDatasetIndexClasses). n_examples >= 1, input_dim >= 1, num_classes >= 1. */
PetscErrorCode RdDatasetCreate(PetscInt n_examples, PetscInt input_dim, PetscInt num_classes, RdDataset *set);
/* Frees every array that is not NULL and zeroes the struct: safe on a zeroed struct and on the
 * partially filled set an RdDatasetLoad / RdDatasetSplit that failed leaves behind. */
PetscErrorCode RdDatasetDestroy(RdDataset *set);
/* Builds class_offsets / class_members from labels (call after filling inputs and labels; an
 * existing index is replaced). Counting sort, so members are ascending within each class. Every
 * label must lie in [0, num_classes) (PETSC_ERR_ARG_OUTOFRANGE naming the example otherwise);
 * classes without examples are allowed here (offsets equal). */
PetscErrorCode RdDatasetIndexClasses(RdDataset *set);
/* Number of examples of class c (0 <= c < num_classes, index built). */
static inline PetscInt RdDatasetClassCount(const RdDataset *set, PetscInt c) { return set->class_offsets[c + 1] - set->class_offsets[c]; }

/* ------------------------------------------------------------------------------------------ */
/* Built-in Gaussian mixture.
 *
 * C classes in R^n. Class c is the Gaussian N(mu_c, Sigma_c) with
 *   mu_c    = separation * u_c,                  u_c a uniformly random unit vector,
 *   Sigma_c = within_scale^2 (I_n + anisotropy U_c U_c^T),
 * U_c [n][r] with orthonormal columns spanning a uniformly random r-dimensional subspace (r =
 * covariance_rank; r = 0 or anisotropy = 0 gives the isotropic s^2 I_n). The in-class variance is
 * s^2 (1 + a) along span(U_c) and s^2 in its orthogonal complement; trace Sigma_c = s^2 (n + a r).
 * Separation: |mu_c| = separation exactly; two classes' means are random directions, so
 * |mu_c - mu_d|^2 = 2 separation^2 (1 - u_c.u_d) with u_c.u_d of order 1/sqrt(n).
 *
 * Stream and draw order of the class parameters: class c uses its own stream
 * RdStreamInit(&s, seed, stream_id, RD_PURPOSE(RD_PURPOSE_STIMULI, c)) and draws
 *   n normals -> u_c (normalised), then n*r normals -> G [n][r] row-major,
 * and U_c = the columns of G orthonormalised by Gram-Schmidt (in column order, each projection
 * done twice for orthogonality to rounding), which makes span(U_c) uniformly distributed.
 * Class c's parameters therefore do not depend on C, and adding classes keeps the existing ones.
 * (RD_PURPOSE(RD_PURPOSE_STIMULI, 0) is the stream RdTaskCreateRandom uses for the stimuli of a
 * linear task with replicate = stream_id: do not build both from the same (seed, stream id).)
 *
 * Sampling (RdMixtureSample): one example x = mu_c + s (xi + sqrt(a) U_c eta) takes, in order,
 *   xi_0 .. xi_{n-1} ~ N(0,1), then eta_0 .. eta_{r-1} ~ N(0,1)   (eta only when r > 0 and a > 0)
 * from the caller's stream, examples one after another. */
typedef struct {
  PetscInt input_dim, num_classes, covariance_rank;
  double   separation, within_scale, anisotropy;
  double  *means;   /* [C][n] mu_c */
  double  *factors; /* [C][n][r] U_c, orthonormal columns (NULL when r = 0) */
} RdMixture;

/* input_dim n >= 1, num_classes C >= 2, 0 <= covariance_rank r <= n, separation >= 0,
 * within_scale s > 0, anisotropy a >= 0, all finite (PETSC_ERR_USER_INPUT naming the parameter
 * otherwise). */
PetscErrorCode RdMixtureCreate(PetscInt input_dim, PetscInt num_classes, PetscInt covariance_rank, double separation, double within_scale, double anisotropy, uint64_t seed, uint32_t stream_id, RdMixture *mixture);
PetscErrorCode RdMixtureDestroy(RdMixture *mixture);
/* n fresh examples of class c (0 <= c < C) into out [n][input_dim], drawn from `stream` in the
 * order documented above. No allocation, no I/O. */
void RdMixtureSample(const RdMixture *mixture, PetscInt c, PetscInt n, RdStream *stream, double *out);
/* Slow, obviously-correct reference of RdMixtureSample (same draws: xi and eta into explicit
 * vectors, then x = mu + s xi + s sqrt(a) U eta entry by entry); agrees with it to rounding. */
PetscErrorCode RdMixtureSampleReference(const RdMixture *mixture, PetscInt c, PetscInt n, RdStream *stream, double *out);
/* The exact class covariance Sigma_c = s^2 (I + a U_c U_c^T) into covariance [n][n]. */
void RdMixtureCovariance(const RdMixture *mixture, PetscInt c, double *covariance);
/* A training set of per_class >= 1 examples of every class, class-major (the per_class examples of
 * class 0, then of class 1, ...), drawn by RdMixtureSample(c = 0, 1, ...) from `stream`; labels set
 * and the class index built. */
PetscErrorCode RdMixtureTrainingSet(const RdMixture *mixture, PetscInt per_class, RdStream *stream, RdDataset *set);

/* ------------------------------------------------------------------------------------------ */
/* File datasets. */

/* Loads an HDF5 file with
 *   /inputs [N, n]  numbers (any float or integer type), every entry finite;
 *   /labels [N]     class labels 0..C-1, stored as integers or as integral floats,
 * and builds the class index. C = max label + 1: classes are numbered from 0 without gaps, since
 * every class 0..C-1 must have at least 2 examples. Refused, with a message naming the file and
 * what to fix (PETSC_ERR_USER_INPUT, or the input module's file errors): a missing file or
 * dataset, a wrong rank or non-numeric type, N differing between /inputs and /labels, N < 2, no
 * input columns, a non-finite input (first offending row and column, 0-based), a label that is not
 * an integer or lies outside [0, N) (first offending row, 0-based), C < 2, a class with fewer than
 * 2 examples. Serial (call on every rank that needs the data; the result does not depend on the
 * rank). On error *set holds what was allocated so far: free it with RdDatasetDestroy. */
PetscErrorCode RdDatasetLoad(const char *path, RdDataset *set);

/* The documented train/probe split of a (file) dataset: within each class, in file order, the
 * examples at positions probe_every-1, 2 probe_every-1, ... (0-based; every probe_every-th
 * example) go to the probe pool, the rest to training. Both sets keep all C classes, and the
 * examples keep their file order (train and probe are subsequences of `all`). Deterministic and
 * rank-independent: no randomness at all. Requires probe_every >= 2 and every class to have at
 * least probe_every examples (then it has >= 1 probe and >= 1 training example); otherwise
 * PETSC_ERR_USER_INPUT naming -probe_every and the smallest class. On error train and
 * probe may hold allocations: free them with RdDatasetDestroy. */
PetscErrorCode RdDatasetSplit(const RdDataset *all, PetscInt probe_every, RdDataset *train, RdDataset *probe);
/* n examples of class c (0 <= c < C, class non-empty) into out [n][input_dim], drawn uniformly with
 * replacement from `pool`: example j is pool row class_members[class_offsets[c] + RdStreamBelow(
 * stream, count_c)], one draw per example, in order. For file datasets this is what "fresh probe
 * examples" means: draws from the held-out probe pool. */
void RdDatasetSampleClass(const RdDataset *pool, PetscInt c, PetscInt n, RdStream *stream, double *out);

#endif
