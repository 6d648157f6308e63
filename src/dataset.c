/* Classification datasets: the class index, the built-in Gaussian mixture, HDF5 file datasets
 * (through the input module's RdInputReadArray: this file never calls HDF5) and their
 * deterministic train/probe split. The draw orders are documented in dataset.h. */
#include <repdrift/dataset.h>
#include <repdrift/h5input.h>
#include <math.h>
#include <stdio.h>

PetscErrorCode RdDatasetCreate(PetscInt n_examples, PetscInt input_dim, PetscInt num_classes, RdDataset *set)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(set, sizeof(*set)));
  PetscCheck(n_examples >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "A dataset needs at least 1 example (got %" PetscInt_FMT ")", n_examples);
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "A dataset needs an input dimension of at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCheck(num_classes >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "A dataset needs at least 1 class (got %" PetscInt_FMT ")", num_classes);
  set->n_examples  = n_examples;
  set->input_dim   = input_dim;
  set->num_classes = num_classes;
  PetscCall(PetscMalloc1((size_t)n_examples * (size_t)input_dim, &set->inputs));
  PetscCall(PetscMalloc1(n_examples, &set->labels));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDatasetDestroy(RdDataset *set)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(set->inputs));
  PetscCall(PetscFree(set->labels));
  PetscCall(PetscFree(set->class_offsets));
  PetscCall(PetscFree(set->class_members));
  PetscCall(PetscMemzero(set, sizeof(*set)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDatasetIndexClasses(RdDataset *set)
{
  const PetscInt num_classes = set->num_classes;
  PetscInt      *cursor;

  PetscFunctionBeginUser;
  for (PetscInt e = 0; e < set->n_examples; e++)
    PetscCheck(set->labels[e] >= 0 && set->labels[e] < num_classes, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Example %" PetscInt_FMT " has label %" PetscInt_FMT ", outside the classes 0..%" PetscInt_FMT, e, set->labels[e], num_classes - 1);
  PetscCall(PetscFree(set->class_offsets));
  PetscCall(PetscFree(set->class_members));
  PetscCall(PetscCalloc1(num_classes + 1, &set->class_offsets));
  PetscCall(PetscMalloc1(PetscMax(set->n_examples, 1), &set->class_members));
  PetscCall(PetscMalloc1(num_classes, &cursor));
  /* counting sort: counts, their running sum, then one pass in example order (ascending in a class) */
  for (PetscInt e = 0; e < set->n_examples; e++) set->class_offsets[set->labels[e] + 1]++;
  for (PetscInt c = 0; c < num_classes; c++) set->class_offsets[c + 1] += set->class_offsets[c];
  for (PetscInt c = 0; c < num_classes; c++) cursor[c] = set->class_offsets[c];
  for (PetscInt e = 0; e < set->n_examples; e++) set->class_members[cursor[set->labels[e]]++] = e;
  PetscCall(PetscFree(cursor));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Gaussian mixture.                                                                            */

/* Columns of G [n][r] (row-major) made orthonormal in place by Gram-Schmidt in column order. Each
 * column's projections are removed twice ("twice is enough", Giraud et al. 2005): one pass leaves
 * an error proportional to the conditioning of G, two leave rounding only. */
static PetscErrorCode OrthonormaliseColumns(PetscInt n, PetscInt r, double *G)
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < r; k++) {
    double norm_before = 0.0, norm = 0.0;
    for (PetscInt i = 0; i < n; i++) norm_before += G[RD_IDX2(i, k, r)] * G[RD_IDX2(i, k, r)];
    for (int pass = 0; pass < 2; pass++) {
      for (PetscInt j = 0; j < k; j++) {
        double projection = 0.0;
        for (PetscInt i = 0; i < n; i++) projection += G[RD_IDX2(i, j, r)] * G[RD_IDX2(i, k, r)];
        for (PetscInt i = 0; i < n; i++) G[RD_IDX2(i, k, r)] -= projection * G[RD_IDX2(i, j, r)];
      }
    }
    for (PetscInt i = 0; i < n; i++) norm += G[RD_IDX2(i, k, r)] * G[RD_IDX2(i, k, r)];
    /* Gaussian columns are linearly dependent with probability zero; refuse rather than divide */
    PetscCheck(norm > 1e-24 * norm_before && norm > 0.0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Gaussian draw of a covariance factor was rank deficient");
    norm = sqrt(norm);
    for (PetscInt i = 0; i < n; i++) G[RD_IDX2(i, k, r)] /= norm;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdMixtureCreate(PetscInt input_dim, PetscInt num_classes, PetscInt covariance_rank, double separation, double within_scale, double anisotropy, uint64_t seed, uint32_t stream_id, RdMixture *mixture)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(mixture, sizeof(*mixture)));
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture's input dimension must be at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCheck(num_classes >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture needs at least 2 classes (got %" PetscInt_FMT ")", num_classes);
  PetscCheck(num_classes <= (PetscInt)(UINT32_MAX >> 8), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The mixture's class count %" PetscInt_FMT " does not fit the 24-bit purpose sub-index of its streams", num_classes);
  PetscCheck(covariance_rank >= 0 && covariance_rank <= input_dim, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture's covariance rank must lie in [0, input dimension %" PetscInt_FMT "] (got %" PetscInt_FMT ")", input_dim, covariance_rank);
  PetscCheck(isfinite(separation) && separation >= 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture's class separation must be finite and >= 0 (got %g)", separation);
  PetscCheck(isfinite(within_scale) && within_scale > 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture's within-class scale must be finite and > 0 (got %g)", within_scale);
  PetscCheck(isfinite(anisotropy) && anisotropy >= 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture's anisotropy must be finite and >= 0 (got %g)", anisotropy);

  const PetscInt n = input_dim, r = covariance_rank;
  mixture->input_dim       = n;
  mixture->num_classes     = num_classes;
  mixture->covariance_rank = r;
  mixture->separation      = separation;
  mixture->within_scale    = within_scale;
  mixture->anisotropy      = anisotropy;
  PetscCall(PetscMalloc1((size_t)num_classes * (size_t)n, &mixture->means));
  if (r > 0) PetscCall(PetscMalloc1((size_t)num_classes * (size_t)n * (size_t)r, &mixture->factors));
  for (PetscInt c = 0; c < num_classes; c++) {
    RdStream stream;
    double  *mean = mixture->means + RD_IDX2(c, 0, n), norm = 0.0;
    RdStreamInit(&stream, seed, stream_id, RD_PURPOSE(RD_PURPOSE_STIMULI, c));
    for (PetscInt i = 0; i < n; i++) {
      mean[i] = RdStreamNormal(&stream);
      norm += mean[i] * mean[i];
    }
    PetscCheck(norm > 0.0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Gaussian draw of a class direction had zero length");
    norm = sqrt(norm);
    for (PetscInt i = 0; i < n; i++) mean[i] = separation * (mean[i] / norm);
    if (r > 0) {
      double *factor = mixture->factors + RD_IDX3(c, 0, 0, n, r);
      for (size_t i = 0; i < (size_t)n * (size_t)r; i++) factor[i] = RdStreamNormal(&stream);
      PetscCall(OrthonormaliseColumns(n, r, factor));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdMixtureDestroy(RdMixture *mixture)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(mixture->means));
  PetscCall(PetscFree(mixture->factors));
  PetscCall(PetscMemzero(mixture, sizeof(*mixture)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdMixtureSample(const RdMixture *mixture, PetscInt c, PetscInt n, RdStream *stream, double *out)
{
  const PetscInt  dim = mixture->input_dim, r = mixture->covariance_rank;
  const double    scale = mixture->within_scale, root_anisotropy = sqrt(mixture->anisotropy);
  const PetscBool use_factor = r > 0 && mixture->anisotropy > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const double   *mean       = mixture->means + RD_IDX2(c, 0, dim);
  const double   *factor     = use_factor ? mixture->factors + RD_IDX3(c, 0, 0, dim, r) : NULL;

  for (PetscInt e = 0; e < n; e++) {
    double *x = out + RD_IDX2(e, 0, dim);
    for (PetscInt i = 0; i < dim; i++) x[i] = RdStreamNormal(stream); /* xi */
    if (use_factor) {
      /* U eta accumulated one column at a time, as each eta_k is drawn: no scratch vector needed */
      for (PetscInt k = 0; k < r; k++) {
        const double weight = root_anisotropy * RdStreamNormal(stream);
        for (PetscInt i = 0; i < dim; i++) x[i] += weight * factor[RD_IDX2(i, k, r)];
      }
    }
    for (PetscInt i = 0; i < dim; i++) x[i] = mean[i] + scale * x[i];
  }
}

PetscErrorCode RdMixtureSampleReference(const RdMixture *mixture, PetscInt c, PetscInt n, RdStream *stream, double *out)
{
  const PetscInt dim = mixture->input_dim, r = mixture->covariance_rank;
  const double   s = mixture->within_scale, a = mixture->anisotropy;
  double        *xi, *eta;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(dim, &xi));
  PetscCall(PetscMalloc1(PetscMax(r, 1), &eta));
  for (PetscInt e = 0; e < n; e++) {
    for (PetscInt i = 0; i < dim; i++) xi[i] = RdStreamNormal(stream);
    for (PetscInt k = 0; k < r; k++) eta[k] = (a > 0.0) ? RdStreamNormal(stream) : 0.0;
    for (PetscInt i = 0; i < dim; i++) {
      double low_rank = 0.0; /* (U_c eta)_i */
      for (PetscInt k = 0; k < r; k++) low_rank += mixture->factors[RD_IDX3(c, i, k, dim, r)] * eta[k];
      out[RD_IDX2(e, i, dim)] = mixture->means[RD_IDX2(c, i, dim)] + s * xi[i] + s * sqrt(a) * low_rank;
    }
  }
  PetscCall(PetscFree(xi));
  PetscCall(PetscFree(eta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdMixtureCovariance(const RdMixture *mixture, PetscInt c, double *covariance)
{
  const PetscInt n = mixture->input_dim, r = mixture->covariance_rank;
  const double   s2 = mixture->within_scale * mixture->within_scale, a = mixture->anisotropy;

  for (PetscInt i = 0; i < n; i++) {
    for (PetscInt j = 0; j < n; j++) {
      double low_rank = 0.0; /* (U_c U_c^T)_ij */
      for (PetscInt k = 0; k < r; k++) low_rank += mixture->factors[RD_IDX3(c, i, k, n, r)] * mixture->factors[RD_IDX3(c, j, k, n, r)];
      covariance[RD_IDX2(i, j, n)] = s2 * ((i == j ? 1.0 : 0.0) + a * low_rank);
    }
  }
}

PetscErrorCode RdMixtureTrainingSet(const RdMixture *mixture, PetscInt per_class, RdStream *stream, RdDataset *set)
{
  const PetscInt num_classes = mixture->num_classes, dim = mixture->input_dim;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(set, sizeof(*set)));
  PetscCheck(per_class >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The mixture training set needs at least 1 example per class (got %" PetscInt_FMT ")", per_class);
  PetscCall(RdDatasetCreate(per_class * num_classes, dim, num_classes, set));
  for (PetscInt c = 0; c < num_classes; c++) {
    RdMixtureSample(mixture, c, per_class, stream, set->inputs + RD_IDX2(c * per_class, 0, dim));
    for (PetscInt e = 0; e < per_class; e++) set->labels[c * per_class + e] = c;
  }
  PetscCall(RdDatasetIndexClasses(set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* File datasets.                                                                               */

/* Why a stored label is not a class number (checked in this order), or LABEL_OK. */
typedef enum { LABEL_OK = 0, LABEL_NOT_INTEGER, LABEL_NEGATIVE, LABEL_TOO_LARGE } LabelProblem;

static LabelProblem ClassifyLabel(double value, PetscInt n_labels)
{
  if (!isfinite(value) || value != floor(value)) return LABEL_NOT_INTEGER;
  if (value < 0.0) return LABEL_NEGATIVE;
  /* C <= N/2 since each class needs 2 examples; bounding by N keeps the cast and allocation sane */
  if (value >= (double)n_labels) return LABEL_TOO_LARGE;
  return LABEL_OK;
}

PetscErrorCode RdDatasetLoad(const char *path, RdDataset *set)
{
  PetscInt     input_shape[2], label_shape[1], n_labels, bad_row = -1;
  double      *label_values, bad_value = 0.0;
  LabelProblem bad_kind = LABEL_OK;
  char         bad_text[32];

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(set, sizeof(*set)));
  PetscCall(RdInputReadArray(path, "/inputs", 2, "a matrix [examples, inputs] of finite numbers", input_shape, &set->inputs));
  PetscCall(RdInputReadArray(path, "/labels", 1, "a vector [examples] of class labels 0..C-1 (integers, or integral floats)", label_shape, &label_values));
  set->n_examples = input_shape[0];
  set->input_dim  = input_shape[1];
  n_labels        = label_shape[0];
  /* labels converted (and the first bad one remembered) before any check, so that the float
   * copy is freed on every path */
  PetscCall(PetscMalloc1(PetscMax(n_labels, 1), &set->labels));
  for (PetscInt e = 0; e < n_labels; e++) {
    const LabelProblem problem = ClassifyLabel(label_values[e], n_labels);
    if (problem != LABEL_OK) {
      bad_kind  = problem;
      bad_row   = e;
      bad_value = label_values[e];
      break;
    }
    set->labels[e] = (PetscInt)label_values[e];
  }
  PetscCall(PetscFree(label_values));

  PetscCheck(n_labels == set->n_examples, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs has %" PetscInt_FMT " rows (examples) but /labels has %" PetscInt_FMT " entries: give exactly one label per example", path, set->n_examples, n_labels);
  PetscCheck(set->n_examples >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: only %" PetscInt_FMT " example(s) in /inputs and /labels; a classification dataset needs at least 2 examples of each of at least 2 classes", path, set->n_examples);
  PetscCheck(set->input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs has no columns; it must be a matrix [examples, inputs] with at least 1 input", path);
  for (PetscInt e = 0; e < set->n_examples; e++) {
    const double *row = set->inputs + RD_IDX2(e, 0, set->input_dim);
    for (PetscInt i = 0; i < set->input_dim; i++)
      PetscCheck(isfinite(row[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /inputs row %" PetscInt_FMT ", column %" PetscInt_FMT " (0-based) is %s: every input must be a finite number", path, e, i, isnan(row[i]) ? "NaN" : (row[i] > 0 ? "+Inf" : "-Inf"));
  }
  /* the C library's %g (PETSc's printf writes "-1." and "nan.") */
  snprintf(bad_text, sizeof(bad_text), "%.15g", bad_value);
  PetscCheck(bad_kind != LABEL_NOT_INTEGER, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /labels row %" PetscInt_FMT " (0-based) is %s, not an integer: labels must be class numbers 0..C-1", path, bad_row, bad_text);
  PetscCheck(bad_kind != LABEL_NEGATIVE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /labels row %" PetscInt_FMT " (0-based) is %s, a negative label: labels must be class numbers 0..C-1", path, bad_row, bad_text);
  PetscCheck(bad_kind != LABEL_TOO_LARGE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: /labels row %" PetscInt_FMT " (0-based) is %s, out of range: with %" PetscInt_FMT " examples and at least 2 per class, labels must be class numbers 0..C-1 numbered without gaps", path, bad_row, bad_text, set->n_examples);

  PetscInt max_label = 0;
  for (PetscInt e = 0; e < set->n_examples; e++) max_label = PetscMax(max_label, set->labels[e]);
  set->num_classes = max_label + 1; /* classes are 0..max label; gaps are caught by the counts */
  PetscCheck(set->num_classes >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: every label in /labels is 0: a classification dataset needs at least 2 classes (labels 0..C-1, C >= 2)", path);
  PetscCall(RdDatasetIndexClasses(set));
  for (PetscInt c = 0; c < set->num_classes; c++)
    PetscCheck(RdDatasetClassCount(set, c) >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: class %" PetscInt_FMT " has %" PetscInt_FMT " example(s) in /labels; every class 0..C-1 (C = max label + 1 = %" PetscInt_FMT ") needs at least 2", path, c, RdDatasetClassCount(set, c), set->num_classes);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDatasetSplit(const RdDataset *all, PetscInt probe_every, RdDataset *train, RdDataset *probe)
{
  const PetscInt num_classes = all->num_classes, dim = all->input_dim;
  PetscInt       n_probe     = 0, n_train, *position, next_train = 0, next_probe = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(train, sizeof(*train)));
  PetscCall(PetscMemzero(probe, sizeof(*probe)));
  PetscCheck(all->class_offsets, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "RdDatasetSplit needs the class index: call RdDatasetIndexClasses first");
  PetscCheck(probe_every >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-probe_every must be at least 2 (got %" PetscInt_FMT "): every probe_every-th example of each class is held out for probing, the rest is trained on", probe_every);
  PetscInt smallest_class = 0;
  for (PetscInt c = 1; c < num_classes; c++)
    if (RdDatasetClassCount(all, c) < RdDatasetClassCount(all, smallest_class)) smallest_class = c;
  const PetscInt smallest_count = RdDatasetClassCount(all, smallest_class);
  PetscCheck(smallest_count >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Class %" PetscInt_FMT " has %" PetscInt_FMT " example(s): a train/probe split needs at least 2 examples of every class", smallest_class, smallest_count);
  PetscCheck(smallest_count >= probe_every, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Class %" PetscInt_FMT " has %" PetscInt_FMT " examples, fewer than -probe_every %" PetscInt_FMT ", so it would get no probe example: set -probe_every to at most %" PetscInt_FMT " (the smallest class size)", smallest_class, smallest_count, probe_every, smallest_count);
  for (PetscInt c = 0; c < num_classes; c++) n_probe += RdDatasetClassCount(all, c) / probe_every;
  n_train = all->n_examples - n_probe;
  PetscCall(RdDatasetCreate(n_train, dim, num_classes, train));
  PetscCall(RdDatasetCreate(n_probe, dim, num_classes, probe));
  /* one pass in file order: position[c] = how many examples of class c came before this one */
  PetscCall(PetscCalloc1(num_classes, &position));
  for (PetscInt e = 0; e < all->n_examples; e++) {
    const PetscInt  c        = all->labels[e];
    const PetscBool to_probe = (position[c] + 1) % probe_every == 0 ? PETSC_TRUE : PETSC_FALSE;
    RdDataset      *target   = to_probe ? probe : train;
    PetscInt       *next     = to_probe ? &next_probe : &next_train;
    PetscCall(PetscArraycpy(target->inputs + RD_IDX2(*next, 0, dim), all->inputs + RD_IDX2(e, 0, dim), dim));
    target->labels[*next] = c;
    (*next)++;
    position[c]++;
  }
  PetscCall(PetscFree(position));
  PetscCall(RdDatasetIndexClasses(train));
  PetscCall(RdDatasetIndexClasses(probe));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdDatasetSampleClass(const RdDataset *pool, PetscInt c, PetscInt n, RdStream *stream, double *out)
{
  const PetscInt  dim     = pool->input_dim, count = RdDatasetClassCount(pool, c);
  const PetscInt *members = pool->class_members + pool->class_offsets[c];

  for (PetscInt e = 0; e < n; e++) {
    const PetscInt row = members[RdStreamBelow(stream, (uint32_t)count)];
    const double  *src = pool->inputs + RD_IDX2(row, 0, dim);
    double        *dst = out + RD_IDX2(e, 0, dim);
    for (PetscInt i = 0; i < dim; i++) dst[i] = src[i];
  }
}
