/* Classification datasets: Gaussian-mixture statistics against the documented mu_c and Sigma_c,
 * the Bayes-style error of the nearest-mean rule against its closed form, fast vs reference
 * sampling, determinism, the class index (CSR) against a naive scan, the train/probe split rule on a
 * hand-made dataset (exact indices), sampling from a pool, and the user-input errors.
 *
 * With an argument, `test_dataset FILE.h5 [PROBE_EVERY]` is the driver of tests/dataset_file.sh
 * instead: it loads FILE.h5 with RdDatasetLoad and prints "ok N n C" (exit 0), or the error message
 * (exit 1); with PROBE_EVERY it also splits (see LoadDriver). */
#include <repdrift/dataset.h>
#include "testing.h"
#include <stdlib.h>

static PetscBool SameDoubles(const double *a, const double *b, size_t count)
{
  for (size_t i = 0; i < count; i++)
    if (a[i] != b[i]) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* Sample mean [n] and covariance [n][n] (1/(N-1)) of rows [N][n]. */
static void SampleMoments(const double *rows, PetscInt N, PetscInt n, double *mean, double *covariance)
{
  for (PetscInt i = 0; i < n; i++) {
    mean[i] = 0.0;
    for (PetscInt e = 0; e < N; e++) mean[i] += rows[RD_IDX2(e, i, n)];
    mean[i] /= (double)N;
  }
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      double s = 0.0;
      for (PetscInt e = 0; e < N; e++) s += (rows[RD_IDX2(e, i, n)] - mean[i]) * (rows[RD_IDX2(e, j, n)] - mean[j]);
      covariance[RD_IDX2(i, j, n)] = s / (double)(N - 1);
    }
}

/* Mean and covariance of 40000 fresh examples of one class against mu_c and Sigma_c; the top r
 * eigenvectors of the sample covariance lie in span(U_c); U_c orthonormal; |mu_c| = separation. */
static PetscErrorCode TestMixtureStatistics(void)
{
  const PetscInt n = 8, C = 3, r = 2, N = 40000, c = 1;
  const double   separation = 3.0, s = 0.5, a = 4.0;
  RdMixture      mixture;
  RdStream       stream;
  double        *samples, mean[8], sample_cov[64], sigma[64], eigenvalues[8], work[256];

  PetscFunctionBeginUser;
  PetscCall(RdMixtureCreate(n, C, r, separation, s, a, 11, 3, &mixture));
  for (PetscInt k = 0; k < C; k++) {
    double norm = 0.0;
    for (PetscInt i = 0; i < n; i++) norm += mixture.means[RD_IDX2(k, i, n)] * mixture.means[RD_IDX2(k, i, n)];
    RD_CHECK_CLOSE(sqrt(norm), separation, 1e-13, "|mu_c| = separation");
    for (PetscInt p = 0; p < r; p++)
      for (PetscInt q = 0; q < r; q++) {
        double dot = 0.0;
        for (PetscInt i = 0; i < n; i++) dot += mixture.factors[RD_IDX3(k, i, p, n, r)] * mixture.factors[RD_IDX3(k, i, q, n, r)];
        RD_CHECK_CLOSE(dot, p == q ? 1.0 : 0.0, 1e-14, "U_c^T U_c = I");
      }
  }
  RdMixtureCovariance(&mixture, c, sigma);
  double trace = 0.0;
  for (PetscInt i = 0; i < n; i++) trace += sigma[RD_IDX2(i, i, n)];
  RD_CHECK_CLOSE(trace, s * s * (n + a * r), 1e-13, "trace Sigma_c = s^2 (n + a r)");

  PetscCall(PetscMalloc1((size_t)N * n, &samples));
  RdStreamInit(&stream, 5, 0, RD_PURPOSE(RD_PURPOSE_PROBE, 0));
  RdMixtureSample(&mixture, c, N, &stream, samples);
  SampleMoments(samples, N, n, mean, sample_cov);
  for (PetscInt i = 0; i < n; i++) {
    const double se = sqrt(sigma[RD_IDX2(i, i, n)] / N);
    RD_CHECK(fabs(mean[i] - mixture.means[RD_IDX2(c, i, n)]) <= 5.0 * se, "sample mean %" PetscInt_FMT " = %g within 5 SE (%g) of mu_c = %g", i, mean[i], se, mixture.means[RD_IDX2(c, i, n)]);
  }
  /* each covariance entry: Var(S_ij) ~ (Sigma_ii Sigma_jj + Sigma_ij^2) / N for Gaussian data */
  double worst_z = 0.0, sample_trace = 0.0, sigma_sq = 0.0;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      const double sij = sigma[RD_IDX2(i, j, n)], se = sqrt((sigma[RD_IDX2(i, i, n)] * sigma[RD_IDX2(j, j, n)] + sij * sij) / N);
      worst_z = PetscMax(worst_z, fabs(sample_cov[RD_IDX2(i, j, n)] - sij) / se);
      sigma_sq += sij * sij;
    }
  RD_CHECK(worst_z <= 5.0, "every sample covariance entry within 5 SE of Sigma_c (worst %.2f SE)", worst_z);
  for (PetscInt i = 0; i < n; i++) sample_trace += sample_cov[RD_IDX2(i, i, n)];
  printf("mixture statistics: worst covariance entry %.2f SE from Sigma_c, sample trace %.4f vs %.4f\n", worst_z, sample_trace, trace);
  RD_CHECK(fabs(sample_trace - trace) <= 5.0 * sqrt(2.0 * sigma_sq / N), "sample trace %g within 5 SE of s^2 (n + a r) = %g", sample_trace, trace);

  /* eigenvalues of Sigma_c: s^2 (1 + a) twice, s^2 six times; top-2 sample eigenvectors in span(U_c) */
  int nn = (int)n, lwork = 256, info;
  dsyev_("V", "U", &nn, sample_cov, &nn, eigenvalues, work, &lwork, &info);
  RD_CHECK(info == 0, "dsyev succeeded (info %d)", info);
  for (PetscInt k = 0; k < n; k++) {
    const double expected = k >= n - r ? s * s * (1.0 + a) : s * s;
    RD_CHECK(fabs(eigenvalues[k] - expected) <= 0.04 * expected, "sample eigenvalue %" PetscInt_FMT " = %g within 4%% of %g", k, eigenvalues[k], expected);
  }
  for (PetscInt k = n - r; k < n; k++) {
    const double *v         = sample_cov + RD_IDX2(k, 0, n); /* column-major output: row k of the array is eigenvector k */
    double        in_span   = 0.0;
    for (PetscInt p = 0; p < r; p++) {
      double dot = 0.0;
      for (PetscInt i = 0; i < n; i++) dot += mixture.factors[RD_IDX3(c, i, p, n, r)] * v[i];
      in_span += dot * dot;
    }
    printf("mixture statistics: top eigenvector %" PetscInt_FMT " (eigenvalue %.4f vs %.4f): |U_c^T v|^2 = %.5f\n", k, eigenvalues[k], s * s * (1.0 + a), in_span);
    RD_CHECK(in_span >= 0.995, "top eigenvector %" PetscInt_FMT " of the sample covariance lies in span(U_c): |U^T v|^2 = %.5f", k, in_span);
  }

  /* fast kernel vs the reference on the same draws; a = 0 draws no eta (documented order) */
  double fast[5 * 8], reference[5 * 8];
  RdStream stream_fast, stream_reference;
  RdStreamInit(&stream_fast, 9, 1, 2);
  RdStreamInit(&stream_reference, 9, 1, 2);
  RdMixtureSample(&mixture, 2, 5, &stream_fast, fast);
  PetscCall(RdMixtureSampleReference(&mixture, 2, 5, &stream_reference, reference));
  double worst = 0.0;
  for (PetscInt i = 0; i < 5 * n; i++) worst = PetscMax(worst, fabs(fast[i] - reference[i]));
  RD_CHECK(worst <= 1e-14, "fast and reference samples agree (max diff %g)", worst);
  RD_CHECK(RdStreamUInt32(&stream_fast) == RdStreamUInt32(&stream_reference), "fast and reference consume the same draws");
  PetscCall(RdMixtureDestroy(&mixture));

  RdMixture isotropic;
  PetscCall(RdMixtureCreate(n, 2, r, 1.0, 2.0, 0.0, 11, 3, &isotropic));
  RdStreamInit(&stream_fast, 9, 1, 2);
  RdStreamInit(&stream, 9, 1, 2);
  RdMixtureSample(&isotropic, 0, 1, &stream_fast, fast);
  for (PetscInt i = 0; i < n; i++) {
    const double expected = isotropic.means[i] + 2.0 * RdStreamNormal(&stream);
    RD_CHECK(fast[i] == expected, "anisotropy 0: x = mu + s xi exactly, n normals per example (entry %" PetscInt_FMT ")", i);
  }
  RdMixtureCovariance(&isotropic, 0, sigma);
  RD_CHECK(sigma[0] == 4.0 && sigma[1] == 0.0, "anisotropy 0: Sigma = s^2 I");
  PetscCall(RdMixtureDestroy(&isotropic));
  PetscCall(PetscFree(samples));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Two classes: the rule "nearer to the true mean" errs on class c with probability
 * Phi(-|D| / (2 sigma_v)), D = mu_d - mu_c, sigma_v^2 = v^T Sigma_c v = s^2 (1 + a |U_c^T v|^2),
 * v = D / |D| (the rule thresholds the projection on v at the midpoint). Checked within 5 SE on
 * 20000 examples per class, for two separations. */
static PetscErrorCode TestMixtureSeparation(void)
{
  const PetscInt n = 10, r = 3, N = 20000;
  const double   s = 1.0, a = 3.0, separations[2] = {1.5, 3.0};
  double        *samples;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1((size_t)N * n, &samples));
  for (int t = 0; t < 2; t++) {
    RdMixture mixture;
    RdStream  stream;
    PetscCall(RdMixtureCreate(n, 2, r, separations[t], s, a, 21, 0, &mixture));
    RdStreamInit(&stream, 21, 0, RD_PURPOSE(RD_PURPOSE_PROBE, 1));
    for (PetscInt c = 0; c < 2; c++) {
      const double *mu_c = mixture.means + RD_IDX2(c, 0, n), *mu_d = mixture.means + RD_IDX2(1 - c, 0, n);
      double        v[10], distance = 0.0, in_span = 0.0;
      for (PetscInt i = 0; i < n; i++) {
        v[i] = mu_d[i] - mu_c[i];
        distance += v[i] * v[i];
      }
      distance = sqrt(distance);
      for (PetscInt i = 0; i < n; i++) v[i] /= distance;
      for (PetscInt p = 0; p < r; p++) {
        double dot = 0.0;
        for (PetscInt i = 0; i < n; i++) dot += mixture.factors[RD_IDX3(c, i, p, n, r)] * v[i];
        in_span += dot * dot;
      }
      const double sigma_v  = s * sqrt(1.0 + a * in_span);
      const double expected = 0.5 * erfc(distance / (2.0 * sigma_v) / sqrt(2.0));
      RdMixtureSample(&mixture, c, N, &stream, samples);
      PetscInt wrong = 0;
      for (PetscInt e = 0; e < N; e++) {
        double to_c = 0.0, to_d = 0.0;
        for (PetscInt i = 0; i < n; i++) {
          const double x = samples[RD_IDX2(e, i, n)];
          to_c += (x - mu_c[i]) * (x - mu_c[i]);
          to_d += (x - mu_d[i]) * (x - mu_d[i]);
        }
        if (to_d < to_c) wrong++;
      }
      const double rate = (double)wrong / N, se = sqrt(expected * (1.0 - expected) / N);
      printf("mixture separation %g, class %" PetscInt_FMT ": nearest-mean error %.4f, closed form %.4f (SE %.4f)\n", separations[t], c, rate, expected, se);
      RD_CHECK(fabs(rate - expected) <= 5.0 * se + 1e-12, "separation %g, class %" PetscInt_FMT ": nearest-mean error %.4f within 5 SE (%.4f) of Phi(-|D|/2 sigma_v) = %.4f", separations[t], c, rate, se, expected);
    }
    PetscCall(RdMixtureDestroy(&mixture));
  }
  PetscCall(PetscFree(samples));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestMixtureDeterminism(void)
{
  RdMixture a, b, other_stream, other_seed, more_classes;
  RdDataset set_a, set_b;
  RdStream  stream_a, stream_b;
  const PetscInt n = 6, r = 2;

  PetscFunctionBeginUser;
  PetscCall(RdMixtureCreate(n, 3, r, 2.0, 0.5, 1.0, 7, 4, &a));
  PetscCall(RdMixtureCreate(n, 3, r, 2.0, 0.5, 1.0, 7, 4, &b));
  PetscCall(RdMixtureCreate(n, 3, r, 2.0, 0.5, 1.0, 7, 5, &other_stream));
  PetscCall(RdMixtureCreate(n, 3, r, 2.0, 0.5, 1.0, 8, 4, &other_seed));
  PetscCall(RdMixtureCreate(n, 5, r, 2.0, 0.5, 1.0, 7, 4, &more_classes));
  RD_CHECK(SameDoubles(a.means, b.means, 3 * n) && SameDoubles(a.factors, b.factors, 3 * n * r), "same (seed, stream) -> bit-identical means and factors");
  RD_CHECK(!SameDoubles(a.means, other_stream.means, n) && !SameDoubles(a.factors, other_stream.factors, n * r), "another stream_id -> other means and factors");
  RD_CHECK(!SameDoubles(a.means, other_seed.means, n), "another seed -> other means");
  RD_CHECK(SameDoubles(a.means, more_classes.means, 3 * n) && SameDoubles(a.factors, more_classes.factors, 3 * n * r), "class c's parameters do not depend on the number of classes");
  RD_CHECK(!SameDoubles(a.means, a.means + n, n), "classes have different means");

  RdStreamInit(&stream_a, 7, 4, RD_PURPOSE(RD_PURPOSE_PROBE, 2));
  RdStreamInit(&stream_b, 7, 4, RD_PURPOSE(RD_PURPOSE_PROBE, 2));
  PetscCall(RdMixtureTrainingSet(&a, 4, &stream_a, &set_a));
  PetscCall(RdMixtureTrainingSet(&b, 4, &stream_b, &set_b));
  RD_CHECK(set_a.n_examples == 12 && set_a.input_dim == n && set_a.num_classes == 3, "training set sizes");
  RD_CHECK(SameDoubles(set_a.inputs, set_b.inputs, 12 * n), "same streams -> bit-identical training sets");
  /* class-major: the same draws as sampling class 0, then 1, then 2 from one stream */
  double   expected[12 * 6];
  RdStream replay;
  RdStreamInit(&replay, 7, 4, RD_PURPOSE(RD_PURPOSE_PROBE, 2));
  for (PetscInt c = 0; c < 3; c++) RdMixtureSample(&a, c, 4, &replay, expected + RD_IDX2(4 * c, 0, n));
  RD_CHECK(SameDoubles(set_a.inputs, expected, 12 * n), "training set = per_class samples of class 0, then 1, then 2");
  for (PetscInt e = 0; e < 12; e++) RD_CHECK(set_a.labels[e] == e / 4, "label of example %" PetscInt_FMT " is its class", e);
  for (PetscInt c = 0; c <= 3; c++) RD_CHECK(set_a.class_offsets[c] == 4 * c, "class offsets 0, 4, 8, 12");
  for (PetscInt e = 0; e < 12; e++) RD_CHECK(set_a.class_members[e] == e, "class-major set: members in order");
  PetscCall(RdDatasetDestroy(&set_a));
  PetscCall(RdDatasetDestroy(&set_b));
  PetscCall(RdMixtureDestroy(&a));
  PetscCall(RdMixtureDestroy(&b));
  PetscCall(RdMixtureDestroy(&other_stream));
  PetscCall(RdMixtureDestroy(&other_seed));
  PetscCall(RdMixtureDestroy(&more_classes));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The CSR index against a naive scan per class, on random labels with an empty class. */
static PetscErrorCode TestClassIndex(void)
{
  const PetscInt N = 500, C = 7;
  RdDataset      set;

  PetscFunctionBeginUser;
  PetscCall(RdDatasetCreate(N, 1, C, &set));
  RdTestSeed(3);
  for (PetscInt e = 0; e < N; e++) {
    set.inputs[e] = (double)e;
    set.labels[e] = (PetscInt)(RdTestUniform() * (C - 1)); /* class C-1 stays empty */
  }
  PetscCall(RdDatasetIndexClasses(&set));
  PetscInt position = 0;
  for (PetscInt c = 0; c < C; c++) {
    RD_CHECK(set.class_offsets[c] == position, "class %" PetscInt_FMT " starts where the previous ended", c);
    for (PetscInt e = 0; e < N; e++)
      if (set.labels[e] == c) {
        RD_CHECK(set.class_members[position] == e, "member %" PetscInt_FMT " of class %" PetscInt_FMT " is example %" PetscInt_FMT, position, c, e);
        position++;
      }
    RD_CHECK(set.class_offsets[c + 1] == position, "class %" PetscInt_FMT " ends after its %" PetscInt_FMT " members", c, RdDatasetClassCount(&set, c));
  }
  RD_CHECK(RdDatasetClassCount(&set, C - 1) == 0 && set.class_offsets[C] == N, "empty last class; offsets end at N");
  /* re-indexing replaces the index */
  PetscCall(RdDatasetIndexClasses(&set));
  RD_CHECK(set.class_offsets[C] == N, "re-indexing gives the same index");

  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  set.labels[17] = C;
  PetscErrorCode ierr = RdDatasetIndexClasses(&set);
  RD_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "label C rejected (code %d)", (int)ierr);
  set.labels[17] = -1;
  ierr = RdDatasetIndexClasses(&set);
  RD_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "label -1 rejected (code %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscCall(RdDatasetDestroy(&set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Hand-made dataset of 14 examples, 3 classes; row e holds (10 e, 10 e + 1). */
static PetscErrorCode HandMadeDataset(RdDataset *set)
{
  const PetscInt labels[14] = {0, 1, 0, 0, 1, 2, 1, 0, 2, 2, 0, 1, 2, 2};

  PetscFunctionBeginUser;
  PetscCall(RdDatasetCreate(14, 2, 3, set));
  for (PetscInt e = 0; e < 14; e++) {
    set->labels[e]            = labels[e];
    set->inputs[2 * e]        = 10.0 * e;
    set->inputs[2 * e + 1]    = 10.0 * e + 1.0;
  }
  PetscCall(RdDatasetIndexClasses(set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The rows of `part` must be exactly the listed rows of the hand-made dataset, in that order. */
static void CheckPart(const RdDataset *part, const RdDataset *all, const PetscInt *rows, PetscInt count, const char *what)
{
  RD_CHECK(part->n_examples == count && part->input_dim == 2 && part->num_classes == 3, "%s: %" PetscInt_FMT " examples (expected %" PetscInt_FMT "), 3 classes", what, part->n_examples, count);
  if (part->n_examples != count) return;
  for (PetscInt e = 0; e < count; e++) {
    RD_CHECK(part->inputs[2 * e] == 10.0 * rows[e] && part->inputs[2 * e + 1] == 10.0 * rows[e] + 1.0, "%s: example %" PetscInt_FMT " is file row %" PetscInt_FMT, what, e, rows[e]);
    RD_CHECK(part->labels[e] == all->labels[rows[e]], "%s: example %" PetscInt_FMT " keeps its label", what, e);
  }
  for (PetscInt c = 0; c < 3; c++)
    for (PetscInt k = part->class_offsets[c]; k < part->class_offsets[c + 1]; k++) RD_CHECK(part->labels[part->class_members[k]] == c, "%s: class index built", what);
}

static PetscErrorCode TestSplit(void)
{
  RdDataset all, train, probe;
  /* class 0: rows 0 2 3 7 10, class 1: rows 1 4 6 11, class 2: rows 5 8 9 12 13 */
  const PetscInt probe2[] = {2, 4, 7, 8, 11, 12}, train2[] = {0, 1, 3, 5, 6, 9, 10, 13};
  const PetscInt probe3[] = {3, 6, 9}, train3[] = {0, 1, 2, 4, 5, 7, 8, 10, 11, 12, 13};
  const PetscInt probe4[] = {7, 11, 12}, train4[] = {0, 1, 2, 3, 4, 5, 6, 8, 9, 10, 13};

  PetscFunctionBeginUser;
  PetscCall(HandMadeDataset(&all));
  PetscCall(RdDatasetSplit(&all, 2, &train, &probe));
  CheckPart(&probe, &all, probe2, 6, "probe_every 2, probe pool");
  CheckPart(&train, &all, train2, 8, "probe_every 2, training set");
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&probe));
  PetscCall(RdDatasetSplit(&all, 3, &train, &probe));
  CheckPart(&probe, &all, probe3, 3, "probe_every 3, probe pool");
  CheckPart(&train, &all, train3, 11, "probe_every 3, training set");
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&probe));
  PetscCall(RdDatasetSplit(&all, 4, &train, &probe)); /* class 1 has exactly 4: one probe example */
  CheckPart(&probe, &all, probe4, 3, "probe_every 4, probe pool");
  CheckPart(&train, &all, train4, 11, "probe_every 4, training set");
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&probe));

  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscErrorCode ierr = RdDatasetSplit(&all, 1, &train, &probe);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "probe_every 1 (no training examples) rejected (code %d)", (int)ierr);
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&probe));
  ierr = RdDatasetSplit(&all, 5, &train, &probe);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "probe_every 5 > size 4 of class 1 rejected (code %d)", (int)ierr);
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&probe));
  PetscCall(PetscPopErrorHandler());
  PetscCall(RdDatasetDestroy(&all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Draws from a class of a pool: only that class's rows, uniform (each of the 5 rows of class 2
 * within 5 SE of N/5), reproducible from the stream. */
static PetscErrorCode TestSampleClass(void)
{
  const PetscInt N = 50000, class_rows[5] = {5, 8, 9, 12, 13};
  RdDataset      all;
  RdStream       stream, again;
  double        *out, *out_again;
  PetscInt       counts[5] = {0, 0, 0, 0, 0}, foreign = 0;

  PetscFunctionBeginUser;
  PetscCall(HandMadeDataset(&all));
  PetscCall(PetscMalloc1(2 * N, &out));
  PetscCall(PetscMalloc1(2 * N, &out_again));
  RdStreamInit(&stream, 4, 2, RD_PURPOSE(RD_PURPOSE_PROBE, 3));
  RdStreamInit(&again, 4, 2, RD_PURPOSE(RD_PURPOSE_PROBE, 3));
  RdDatasetSampleClass(&all, 2, N, &stream, out);
  RdDatasetSampleClass(&all, 2, N, &again, out_again);
  RD_CHECK(SameDoubles(out, out_again, 2 * N), "same stream -> same draws");
  for (PetscInt e = 0; e < N; e++) {
    const PetscInt row = (PetscInt)(out[2 * e] / 10.0);
    PetscInt       k   = 0;
    while (k < 5 && class_rows[k] != row) k++;
    if (k == 5 || out[2 * e + 1] != out[2 * e] + 1.0) foreign++;
    else counts[k]++;
  }
  RD_CHECK(foreign == 0, "every draw is a whole row of class 2 (%" PetscInt_FMT " were not)", foreign);
  const double expected = N / 5.0, se = sqrt(N * 0.2 * 0.8);
  for (PetscInt k = 0; k < 5; k++) RD_CHECK(fabs(counts[k] - expected) <= 5.0 * se, "row %" PetscInt_FMT " drawn %" PetscInt_FMT " times, within 5 SE (%.0f) of %.0f", class_rows[k], counts[k], se, expected);
  PetscCall(PetscFree(out));
  PetscCall(PetscFree(out_again));
  PetscCall(RdDatasetDestroy(&all));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestBadMixture(void)
{
  struct {
    PetscInt    n, C, r;
    double      separation, scale, anisotropy;
    const char *what;
  } bad[] = {
    {0, 3, 0, 1.0, 1.0, 0.0, "input_dim 0"},
    {4, 1, 0, 1.0, 1.0, 0.0, "one class"},
    {4, 3, 5, 1.0, 1.0, 1.0, "rank above input_dim"},
    {4, 3, -1, 1.0, 1.0, 1.0, "negative rank"},
    {4, 3, 2, -1.0, 1.0, 1.0, "negative separation"},
    {4, 3, 2, (double)NAN, 1.0, 1.0, "NaN separation"},
    {4, 3, 2, 1.0, 0.0, 1.0, "zero within-class scale"},
    {4, 3, 2, 1.0, (double)INFINITY, 1.0, "infinite within-class scale"},
    {4, 3, 2, 1.0, 1.0, -0.5, "negative anisotropy"},
  };
  RdMixture mixture;
  RdDataset set;
  RdStream  stream;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  for (size_t t = 0; t < sizeof(bad) / sizeof(bad[0]); t++) {
    PetscErrorCode ierr = RdMixtureCreate(bad[t].n, bad[t].C, bad[t].r, bad[t].separation, bad[t].scale, bad[t].anisotropy, 1, 0, &mixture);
    RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "%s rejected with PETSC_ERR_USER_INPUT (code %d)", bad[t].what, (int)ierr);
    PetscCall(RdMixtureDestroy(&mixture));
  }
  PetscCall(PetscPopErrorHandler());
  PetscCall(RdMixtureCreate(4, 2, 4, 0.0, 1.0, 1.0, 1, 0, &mixture)); /* full rank and zero separation are fine */
  RdStreamInit(&stream, 1, 0, 0);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscErrorCode ierr = RdMixtureTrainingSet(&mixture, 0, &stream, &set);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "0 examples per class rejected (code %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscCall(RdDatasetDestroy(&set));
  PetscCall(RdMixtureDestroy(&mixture));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Driver for tests/dataset_file.sh: "ok N n C" or the error message; exit 1 on error. With
 * probe_every > 0 it then splits the set and prints "split T P SUM_T SUM_P": the sizes of the
 * training set and probe pool and the sums of all their inputs (a checksum of which rows went where). */
static int LoadDriver(const char *path, PetscInt probe_every)
{
  RdDataset      set, train, probe;
  PetscErrorCode ierr;

  PetscCall(PetscMemzero(&train, sizeof(train)));
  PetscCall(PetscMemzero(&probe, sizeof(probe)));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdDatasetLoad(path, &set);
  if (!ierr && probe_every > 0) ierr = RdDatasetSplit(&set, probe_every, &train, &probe);
  PetscCall(PetscPopErrorHandler());
  if (ierr) {
    const char *generic;
    char       *specific = NULL;
    PetscCall(PetscErrorMessage(ierr, &generic, &specific));
    printf("error: %s\n", specific && specific[0] ? specific : generic);
    PetscCall(RdDatasetDestroy(&set));
    PetscCall(RdDatasetDestroy(&train));
    PetscCall(RdDatasetDestroy(&probe));
    return 1;
  }
  printf("ok %" PetscInt_FMT " %" PetscInt_FMT " %" PetscInt_FMT "\n", set.n_examples, set.input_dim, set.num_classes);
  if (probe_every > 0) {
    double sum_train = 0.0, sum_probe = 0.0;
    for (size_t i = 0; i < (size_t)train.n_examples * (size_t)train.input_dim; i++) sum_train += train.inputs[i];
    for (size_t i = 0; i < (size_t)probe.n_examples * (size_t)probe.input_dim; i++) sum_probe += probe.inputs[i];
    printf("split %" PetscInt_FMT " %" PetscInt_FMT " %.17g %.17g\n", train.n_examples, probe.n_examples, sum_train, sum_probe);
    PetscCall(RdDatasetDestroy(&train));
    PetscCall(RdDatasetDestroy(&probe));
  }
  PetscCall(RdDatasetDestroy(&set));
  return 0;
}

int main(int argc, char **argv)
{
  int code;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  if (argc > 1) {
    code = LoadDriver(argv[1], argc > 2 ? (PetscInt)atol(argv[2]) : 0);
  } else {
    PetscCall(TestMixtureStatistics());
    PetscCall(TestMixtureSeparation());
    PetscCall(TestMixtureDeterminism());
    PetscCall(TestClassIndex());
    PetscCall(TestSplit());
    PetscCall(TestSampleClass());
    PetscCall(TestBadMixture());
    code = RdTestSummary("test_dataset");
  }
  PetscCall(SlepcFinalize());
  return code;
}
