/* Drift geometry (Aitken et al. 2022, PLoS Comput Biol 18(11): e1010716; equation numbers are
 * theirs): the in-class PCA through SLEPc and every metric between an earlier and a later day.
 * Contract and definitions: include/repdrift/geometry.h. The steps the LAPACK reference
 * (geometry_ref.c) shares with this fast path are the *_Internal functions at the top (declared in
 * geometry_impl.h). */
#include <math.h>
#include <slepceps.h>
#include <repdrift/geometry.h>
#include <repdrift/dense.h>
#include <repdrift/eigen.h>
#include "geometry_impl.h"

/* Sign convention (Eq 3): |mean . w| at or below this fraction of |mean| counts as "no projection". */
#define RD_SIGN_PROJECTION_RTOL 1e-12
/* k = ceil(D - this), so D = 3 computed as 3 + 1e-15 still gives k = 3. */
#define RD_K_CEIL_SLACK 1e-9
/* PCs with explained ratio above this enter the angle-vs-explained fit (Eq 13b against v_i): a PC
 * without variance has no meaningful direction. */
#define RD_FIT_MIN_EXPLAINED 1e-5
/* Gram-mapped PCs lose orthogonality like eps * sqrt(lambda_max / lambda): those below this
 * fraction of lambda_max are re-orthogonalised against the earlier rows. */
#define RD_GRAM_REORTHO_RTOL 1e-4

/* Small dense kernels                                                                          */

static void Scale(double *a, double factor, PetscInt n)
{
  for (PetscInt i = 0; i < n; i++) a[i] *= factor;
}

/* Removes from v its components along rows[0..n_rows) (orthonormal), twice: one classical pass
 * leaves O(eps * condition) behind, the second makes it orthogonal to working precision. */
static void OrthogonaliseAgainstRows(const double *rows, PetscInt n_rows, PetscInt n, double *v)
{
  for (int pass = 0; pass < 2; pass++) {
    for (PetscInt r = 0; r < n_rows; r++) {
      const double *row = rows + RD_IDX2(r, 0, n);
      const double  c   = RdDot(row, v, n);
      for (PetscInt j = 0; j < n; j++) v[j] -= c * row[j];
    }
  }
}

/* Cross-product tiles: C[i][j] = sum_k A[k][i] * B[k][j]. A 4 x 4 tile keeps 16 accumulators in
 * registers while one pass over k streams a row segment of A and of B (contiguous, vectorisable). */
#define TILE 4

static void CrossTileFull(const double *A, PetscInt lda, const double *B, PetscInt ldb, PetscInt len, double acc[TILE][TILE])
{
  double t[TILE][TILE] = {{0.0}};
  for (PetscInt k = 0; k < len; k++) {
    const double *a = A + (size_t)k * (size_t)lda, *b = B + (size_t)k * (size_t)ldb;
    for (int r = 0; r < TILE; r++)
      for (int c = 0; c < TILE; c++) t[r][c] += a[r] * b[c];
  }
  for (int r = 0; r < TILE; r++)
    for (int c = 0; c < TILE; c++) acc[r][c] = t[r][c];
}

/* Same sums (same order) for a partial tile at the matrix edge. */
static void CrossTileEdge(const double *A, PetscInt lda, const double *B, PetscInt ldb, PetscInt len, PetscInt rows, PetscInt cols, double acc[TILE][TILE])
{
  for (PetscInt r = 0; r < rows; r++)
    for (PetscInt c = 0; c < cols; c++) acc[r][c] = 0.0;
  for (PetscInt k = 0; k < len; k++) {
    const double *a = A + (size_t)k * (size_t)lda, *b = B + (size_t)k * (size_t)ldb;
    for (PetscInt r = 0; r < rows; r++)
      for (PetscInt c = 0; c < cols; c++) acc[r][c] += a[r] * b[c];
  }
}

/* C[i][j] = scale * sum_{k<len} A[k][i] * B[k][j] for i < m, j < n_cols (C row-major, ldc).
 * upper_only: only j >= i is written (for a symmetric result the caller mirrors it). */
static void CrossProduct(const double *A, PetscInt lda, const double *B, PetscInt ldb, PetscInt len, PetscInt m, PetscInt n_cols, double scale, PetscBool upper_only, double *C, PetscInt ldc)
{
  double acc[TILE][TILE];
  for (PetscInt i0 = 0; i0 < m; i0 += TILE) {
    const PetscInt rows = PetscMin(TILE, m - i0);
    for (PetscInt j0 = upper_only ? i0 : 0; j0 < n_cols; j0 += TILE) {
      const PetscInt cols = PetscMin(TILE, n_cols - j0);
      if (rows == TILE && cols == TILE) CrossTileFull(A + i0, lda, B + j0, ldb, len, acc);
      else CrossTileEdge(A + i0, lda, B + j0, ldb, len, rows, cols, acc);
      for (PetscInt r = 0; r < rows; r++)
        for (PetscInt c = 0; c < cols; c++)
          if (!upper_only || j0 + c >= i0 + r) C[RD_IDX2(i0 + r, j0 + c, ldc)] = scale * acc[r][c];
    }
  }
}

/* G = scale * Y^T Y for Y [len][dim] row-major, both triangles filled. */
static void SymmetricCrossProduct(const double *Y, PetscInt len, PetscInt dim, double scale, double *G)
{
  CrossProduct(Y, dim, Y, dim, len, dim, dim, scale, PETSC_TRUE, G, dim);
  for (PetscInt i = 0; i < dim; i++)
    for (PetscInt j = i + 1; j < dim; j++) G[RD_IDX2(j, i, dim)] = G[RD_IDX2(i, j, dim)];
}

/* Shared by both PCA paths (geometry_impl.h)                                                   */

PetscInt RdPCANumPCs_Internal(PetscInt n_samples, PetscInt n_units)
{
  return n_samples < 2 ? 0 : PetscMin(n_samples - 1, n_units);
}

PetscErrorCode RdPCACheckInput_Internal(const double *samples, PetscInt n_samples, const RdPCA *pca)
{
  PetscFunctionBeginUser;
  PetscCheck(pca && pca->mean, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "PCA: pca must come from RdPCACreate()");
  PetscCheck(n_samples >= 0 && n_samples <= pca->n_samples_max, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "PCA: n_samples = %" PetscInt_FMT " outside [0, n_samples_max = %" PetscInt_FMT "] given to RdPCACreate()", n_samples, pca->n_samples_max);
  PetscCheck(samples || n_samples == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "PCA: samples is NULL for n_samples = %" PetscInt_FMT, n_samples);
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdPCAComputeMean_Internal(const double *samples, PetscInt n_samples, PetscInt n_units, double *mean, double *unit_scratch)
{
  for (PetscInt j = 0; j < n_units; j++) mean[j] = 0.0;
  for (PetscInt a = 0; a < n_samples; a++)
    for (PetscInt j = 0; j < n_units; j++) mean[j] += samples[RD_IDX2(a, j, n_units)];
  for (PetscInt j = 0; j < n_units; j++) mean[j] /= (double)n_samples;
  /* Correction pass: for a constant unit x - mean is one exactly representable offset, so the
   * corrected mean is exactly the constant and the centred unit exactly 0 (zero variance stays 0). */
  for (PetscInt j = 0; j < n_units; j++) unit_scratch[j] = 0.0;
  for (PetscInt a = 0; a < n_samples; a++)
    for (PetscInt j = 0; j < n_units; j++) unit_scratch[j] += samples[RD_IDX2(a, j, n_units)] - mean[j];
  for (PetscInt j = 0; j < n_units; j++) mean[j] += unit_scratch[j] / (double)n_samples;
}

void RdPCASetTooFewSamples_Internal(const double *samples, PetscInt n_samples, RdPCA *pca)
{
  for (PetscInt j = 0; j < pca->n_units; j++) pca->mean[j] = n_samples == 1 ? samples[j] : RD_NAN;
  pca->n_samples           = n_samples;
  pca->n_pcs               = 0;
  pca->total_variance      = RD_NAN; /* 1/(n-1) normalisation undefined */
  pca->participation_ratio = RD_NAN;
  pca->k_variational       = 0;
}

PetscInt RdPCAClipEigenvalues_Internal(double *eigenvalues, PetscInt n)
{
  const double largest = n > 0 ? eigenvalues[0] : 0.0;
  PetscInt     rank    = 0;
  for (PetscInt i = 0; i < n; i++) {
    if (!(largest > 0.0) || !(eigenvalues[i] >= RD_PCA_EIGENVALUE_RTOL * largest)) eigenvalues[i] = 0.0;
    else rank++;
  }
  return rank;
}

/* Eq 3: the uncentred mean projects >= 0 on every PC; without a usable projection the
 * largest-magnitude component (first one on ties) is made positive. */
static void ApplySignConvention(const double *mean, PetscInt n_units, double *pc)
{
  const double projection = RdDot(mean, pc, n_units);
  PetscBool    flip;
  if (fabs(projection) <= RD_SIGN_PROJECTION_RTOL * RdNorm(mean, n_units)) {
    PetscInt largest = 0;
    for (PetscInt j = 1; j < n_units; j++)
      if (fabs(pc[j]) > fabs(pc[largest])) largest = j;
    flip = pc[largest] < 0.0 ? PETSC_TRUE : PETSC_FALSE;
  } else flip = projection < 0.0 ? PETSC_TRUE : PETSC_FALSE;
  if (flip) Scale(pc, -1.0, n_units);
}

void RdPCAFinish_Internal(RdPCA *pca)
{
  const PetscInt n = pca->n_pcs, p = pca->n_units;
  double         total = 0.0, sum_sq = 0.0;
  for (PetscInt i = 0; i < n; i++) ApplySignConvention(pca->mean, p, pca->pcs + RD_IDX2(i, 0, p));
  for (PetscInt i = 0; i < n; i++) total += pca->eigenvalues[i];
  pca->total_variance = total;
  if (!(total > 0.0)) { /* constant responses: nothing to normalise by */
    for (PetscInt i = 0; i < n; i++) pca->explained[i] = RD_NAN;
    pca->participation_ratio = RD_NAN;
    pca->k_variational       = 0;
    return;
  }
  for (PetscInt i = 0; i < n; i++) {
    pca->explained[i] = pca->eigenvalues[i] / total;
    sum_sq += pca->explained[i] * pca->explained[i];
  }
  pca->participation_ratio = 1.0 / sum_sq;
  pca->k_variational       = PetscMin((PetscInt)ceil(pca->participation_ratio - RD_K_CEIL_SLACK), n);
}

/* RdPCA storage                                                                                */

/* The public struct has no workspace field, so RdPCACreate makes one block: the public arrays
 * first, then this private workspace, located from the sizes fixed at create. */
typedef struct {
  double *unit_scratch; /* [n_units] */
  double *centred;      /* [n_samples][n_units] samples minus mean */
  double *centred_t;    /* [n_units][n_samples] its transpose (Gram path) */
  double *matrix;       /* [dim][dim] covariance or Gram matrix, dim <= min(n_samples_max, n_units) */
  double *gram_vectors; /* [n_samples][n_pcs] Gram eigenvectors as columns */
} PCAWorkspace;

static PetscInt MaxMatrixDim(PetscInt n_units, PetscInt n_samples_max)
{
  return PetscMin(n_units, n_samples_max);
}

static size_t PublicLength(PetscInt n_units, PetscInt n_pcs_max)
{
  return (size_t)n_units + 2 * (size_t)n_pcs_max + (size_t)n_pcs_max * (size_t)n_units;
}

static size_t WorkspaceLength(PetscInt n_units, PetscInt n_samples_max)
{
  const size_t dim = (size_t)MaxMatrixDim(n_units, n_samples_max);
  return (size_t)n_units + 2 * (size_t)n_samples_max * (size_t)n_units + 2 * dim * dim;
}

static void GetWorkspace(const RdPCA *pca, PCAWorkspace *ws)
{
  const PetscInt n_pcs_max = RdPCANumPCs_Internal(pca->n_samples_max, pca->n_units);
  const size_t   dim = (size_t)MaxMatrixDim(pca->n_units, pca->n_samples_max), samples_units = (size_t)pca->n_samples_max * (size_t)pca->n_units;
  ws->unit_scratch = pca->mean + PublicLength(pca->n_units, n_pcs_max);
  ws->centred      = ws->unit_scratch + pca->n_units;
  ws->centred_t    = ws->centred + samples_units;
  ws->matrix       = ws->centred_t + samples_units;
  ws->gram_vectors = ws->matrix + dim * dim;
}

PetscErrorCode RdPCACreate(PetscInt n_units, PetscInt n_samples_max, RdPCA *pca)
{
  PetscInt n_pcs_max;
  double  *block;

  PetscFunctionBeginUser;
  PetscCheck(pca, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdPCACreate: pca is NULL");
  PetscCheck(n_units >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdPCACreate: n_units = %" PetscInt_FMT " must be >= 1", n_units);
  PetscCheck(n_samples_max >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdPCACreate: n_samples_max = %" PetscInt_FMT " must be >= 1", n_samples_max);
  n_pcs_max = RdPCANumPCs_Internal(n_samples_max, n_units);
  PetscCall(PetscMalloc1(PublicLength(n_units, n_pcs_max) + WorkspaceLength(n_units, n_samples_max), &block));
  pca->n_units       = n_units;
  pca->n_samples_max = n_samples_max;
  pca->mean          = block;
  pca->eigenvalues   = pca->mean + n_units;
  pca->explained     = pca->eigenvalues + n_pcs_max;
  pca->pcs           = pca->explained + n_pcs_max;
  RdPCASetTooFewSamples_Internal(NULL, 0, pca);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPCADestroy(RdPCA *pca)
{
  PetscFunctionBeginUser;
  if (!pca) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree(pca->mean)); /* the one block: every array and the workspace */
  pca->eigenvalues = pca->explained = pca->pcs = NULL;
  pca->n_pcs = pca->n_samples = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fast PCA                                                                                     */

static void CentreSamples(const double *samples, PetscInt n_samples, PetscInt n_units, const double *mean, double *centred)
{
  for (PetscInt a = 0; a < n_samples; a++)
    for (PetscInt j = 0; j < n_units; j++) centred[RD_IDX2(a, j, n_units)] = samples[RD_IDX2(a, j, n_units)] - mean[j];
}

static void Transpose(const double *in, PetscInt rows, PetscInt cols, double *out)
{
  for (PetscInt r = 0; r < rows; r++)
    for (PetscInt c = 0; c < cols; c++) out[RD_IDX2(c, r, rows)] = in[RD_IDX2(r, c, cols)];
}

/* Appends unit vectors e_0, e_1, ... orthogonalised against rows [0, n_have) until n_want
 * orthonormal rows exist. A candidate is kept when its residual norm exceeds 0.5/sqrt(n): the
 * rejected residuals sum (squared) to less than 1/4 of the missing dimension, so the scan always
 * finds enough, and every kept one is far from the span (well-conditioned normalisation). */
static void CompleteOrthonormalRows(double *rows, PetscInt n_have, PetscInt n_want, PetscInt n)
{
  const double min_residual = 0.5 / sqrt((double)n);
  for (PetscInt candidate = 0; n_have < n_want && candidate < n; candidate++) {
    double *v = rows + RD_IDX2(n_have, 0, n);
    double  residual;
    for (PetscInt j = 0; j < n; j++) v[j] = j == candidate ? 1.0 : 0.0;
    OrthogonaliseAgainstRows(rows, n_have, n, v);
    residual = RdNorm(v, n);
    if (residual > min_residual) {
      Scale(v, 1.0 / residual, n);
      n_have++;
    }
  }
}

/* n_samples > n_units: eigenpairs of the n_units x n_units covariance; the solver's vectors are
 * orthonormal for every eigenvalue, clipped ones included. */
static PetscErrorCode PCAFromCovariance(RdPCA *pca, const PCAWorkspace *ws)
{
  const PetscInt p = pca->n_units;

  PetscFunctionBeginUser;
  SymmetricCrossProduct(ws->centred, pca->n_samples, p, 1.0 / (double)(pca->n_samples - 1), ws->matrix);
  PetscCall(RdSymmetricEigenpairs(ws->matrix, p, pca->n_pcs, pca->eigenvalues, pca->pcs, p, 1));
  (void)RdPCAClipEigenvalues_Internal(pca->eigenvalues, pca->n_pcs);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* n_samples <= n_units: G = Xc Xc^T / (n-1) has the covariance's nonzero eigenvalues; for G u =
 * lambda u, w = Xc^T u / |Xc^T u| is the unit covariance eigenvector. Rows of clipped eigenvalues
 * carry no direction from the map, so they complete the basis instead. */
static PetscErrorCode PCAFromGram(RdPCA *pca, const PCAWorkspace *ws)
{
  const PetscInt n = pca->n_samples, p = pca->n_units, n_pcs = pca->n_pcs;
  PetscInt       rank;

  PetscFunctionBeginUser;
  Transpose(ws->centred, n, p, ws->centred_t);
  SymmetricCrossProduct(ws->centred_t, p, n, 1.0 / (double)(n - 1), ws->matrix);
  PetscCall(RdSymmetricEigenpairs(ws->matrix, n, n_pcs, pca->eigenvalues, ws->gram_vectors, 1, n_pcs));
  rank = RdPCAClipEigenvalues_Internal(pca->eigenvalues, n_pcs);
  /* pcs[i][k] = sum_a U[a][i] Xc[a][k] for the nonzero eigenvalues */
  CrossProduct(ws->gram_vectors, n_pcs, ws->centred, p, n, rank, p, 1.0, PETSC_FALSE, pca->pcs, p);
  for (PetscInt i = 0; i < rank; i++) {
    double *w = pca->pcs + RD_IDX2(i, 0, p);
    if (pca->eigenvalues[i] < RD_GRAM_REORTHO_RTOL * pca->eigenvalues[0]) OrthogonaliseAgainstRows(pca->pcs, i, p, w);
    Scale(w, 1.0 / RdNorm(w, p), p);
  }
  CompleteOrthonormalRows(pca->pcs, rank, n_pcs, p);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPCACompute(const double *samples, PetscInt n_samples, RdPCA *pca)
{
  PCAWorkspace ws;

  PetscFunctionBeginUser;
  PetscCall(RdPCACheckInput_Internal(samples, n_samples, pca));
  if (n_samples < 2) {
    RdPCASetTooFewSamples_Internal(samples, n_samples, pca);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  GetWorkspace(pca, &ws);
  pca->n_samples = n_samples;
  pca->n_pcs     = RdPCANumPCs_Internal(n_samples, pca->n_units);
  RdPCAComputeMean_Internal(samples, n_samples, pca->n_units, pca->mean, ws.unit_scratch);
  CentreSamples(samples, n_samples, pca->n_units, pca->mean, ws.centred);
  if (n_samples > pca->n_units) PetscCall(PCAFromCovariance(pca, &ws));
  else PetscCall(PCAFromGram(pca, &ws));
  RdPCAFinish_Internal(pca);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Drift metrics                                                                                */

/* theta(x, y) in degrees from x.y and the two norms: acos clipped to [-1, 1], NaN for a zero (or
 * NaN) norm. The clip is written with comparisons so a NaN cosine stays NaN. */
static double AngleFromDot(double dot, double norm_a, double norm_b)
{
  double cosine;
  if (!(norm_a > 0.0) || !(norm_b > 0.0)) return RD_NAN;
  cosine = dot / (norm_a * norm_b);
  if (cosine > 1.0) cosine = 1.0;
  else if (cosine < -1.0) cosine = -1.0;
  return RD_DEGREES(acos(cosine));
}

double RdAngleDegrees(const double *a, const double *b, PetscInt n)
{
  return AngleFromDot(RdDot(a, b, n), RdNorm(a, n), RdNorm(b, n));
}

void RdLinearFit(const double *x, const double *y, const PetscBool *mask, PetscInt n, double *slope, double *r)
{
  PetscInt count = 0;
  double   mean_x = 0.0, mean_y = 0.0, sxx = 0.0, syy = 0.0, sxy = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    if (mask && !mask[i]) continue;
    mean_x += x[i];
    mean_y += y[i];
    count++;
  }
  *slope = *r = RD_NAN;
  if (count < 2) return;
  mean_x /= (double)count;
  mean_y /= (double)count;
  for (PetscInt i = 0; i < n; i++) { /* second pass on centred values: no cancellation */
    if (mask && !mask[i]) continue;
    sxx += (x[i] - mean_x) * (x[i] - mean_x);
    syy += (y[i] - mean_y) * (y[i] - mean_y);
    sxy += (x[i] - mean_x) * (y[i] - mean_y);
  }
  if (sxx > 0.0) *slope = sxy / sxx;
  if (sxx > 0.0 && syy > 0.0) *r = PetscMax(-1.0, PetscMin(1.0, sxy / sqrt(sxx * syy)));
}

/* gamma (Eq 9) = sum_{i<k} (w_i . d)^2 / |d|^2 with the PCA's variational space; NaN for d = 0. */
static double FractionInVariationalSpace(const RdPCA *pca, const double *drift)
{
  const double drift_sq = RdDot(drift, drift, pca->n_units);
  double       in_space = 0.0;
  if (!(drift_sq > 0.0)) return RD_NAN;
  for (PetscInt i = 0; i < pca->k_variational; i++) {
    const double projection = RdDot(pca->pcs + RD_IDX2(i, 0, pca->n_units), drift, pca->n_units);
    in_space += projection * projection;
  }
  return in_space / drift_sq;
}

/* Gamma (Eq 10) = (1/min(k,k')) sum_{I<k, J<k'} (w_I . w'_J)^2; NaN when either space is empty. */
static double VariationalOverlap(const RdPCA *earlier, const RdPCA *later)
{
  const PetscInt k = earlier->k_variational, k_later = later->k_variational, p = earlier->n_units;
  double         sum = 0.0;
  if (PetscMin(k, k_later) < 1) return RD_NAN;
  for (PetscInt i_pc = 0; i_pc < k; i_pc++)
    for (PetscInt j_pc = 0; j_pc < k_later; j_pc++) {
      const double c = RdDot(earlier->pcs + RD_IDX2(i_pc, 0, p), later->pcs + RD_IDX2(j_pc, 0, p), p);
      sum += c * c;
    }
  return sum / (double)PetscMin(k, k_later);
}

/* Chance level of Gamma: for uniformly random subspaces of dimensions k and k' of R^n,
 * E (w_I . w'_J)^2 = 1/n for each of the k k' pairs, so E Gamma = k k' / (n min(k, k')) =
 * max(k, k') / n: the level an overlap of Eq 10 must exceed to say the two days' variational
 * spaces are related. NaN where Gamma is. */
static double VariationalOverlapChance(const RdPCA *earlier, const RdPCA *later)
{
  const PetscInt k = earlier->k_variational, k_later = later->k_variational;
  if (PetscMin(k, k_later) < 1) return RD_NAN;
  return (double)PetscMax(k, k_later) / (double)earlier->n_units;
}

/* PCs with a positive eigenvalue (a prefix: eigenvalues are sorted and clipped at 0). The others
 * span the null space of the covariance in a basis the solver chose: per-PC metrics along them
 * would depend on that arbitrary choice, so they are NaN. */
static PetscInt DefinedPCs(const RdPCA *pca)
{
  PetscInt n = 0;
  while (n < pca->n_pcs && pca->eigenvalues[n] > 0.0) n++;
  return n;
}

/* Eq 13a/13b for every earlier PC: |w_i.d|/|d| and theta(d, w_i). */
static void DriftAlongPCs(const RdPCA *earlier, const double *drift, double *along_pc, double *angle_to_pc)
{
  const PetscInt p          = earlier->n_units, n_defined = DefinedPCs(earlier);
  const double   drift_norm = RdNorm(drift, p);
  for (PetscInt i = n_defined; i < earlier->n_pcs; i++) along_pc[i] = angle_to_pc[i] = RD_NAN;
  for (PetscInt i = 0; i < n_defined; i++) {
    const double *w          = earlier->pcs + RD_IDX2(i, 0, p);
    const double  projection = RdDot(w, drift, p);
    along_pc[i]              = drift_norm > 0.0 ? fabs(projection) / drift_norm : RD_NAN;
    angle_to_pc[i]           = AngleFromDot(projection, drift_norm, RdNorm(w, p));
  }
}

/* Eq 13c: variance of the later members (centred on their own mean) along each earlier PC of
 * positive eigenvalue, as a share of the later day's total variance (choice: the paper sums over
 * the earlier day's N PCs, which is the same number when they span the space; when the responses
 * are rank-deficient the rest of that sum would depend on an arbitrary basis of the null space).
 * Shares below 1 in total mean variance flowed out of the earlier day's space. unit_buffers: [3][n_units]. */
static void VarianceFlow(const RdPCA *earlier, const double *later_samples, PetscInt n_later, double *unit_buffers, double *variance_flow)
{
  const PetscInt p          = earlier->n_units, n_pcs = DefinedPCs(earlier);
  double        *later_mean = unit_buffers, *centred = unit_buffers + p, *scratch = unit_buffers + 2 * p;
  double         total      = 0.0;
  for (PetscInt i = n_pcs; i < earlier->n_pcs; i++) variance_flow[i] = RD_NAN;
  if (n_pcs == 0) return;
  if (n_later < 2) {
    for (PetscInt i = 0; i < n_pcs; i++) variance_flow[i] = RD_NAN;
    return;
  }
  RdPCAComputeMean_Internal(later_samples, n_later, p, later_mean, scratch);
  for (PetscInt i = 0; i < n_pcs; i++) variance_flow[i] = 0.0;
  for (PetscInt a = 0; a < n_later; a++) {
    for (PetscInt j = 0; j < p; j++) centred[j] = later_samples[RD_IDX2(a, j, p)] - later_mean[j];
    total += RdDot(centred, centred, p);
    for (PetscInt i = 0; i < n_pcs; i++) {
      const double projection = RdDot(earlier->pcs + RD_IDX2(i, 0, p), centred, p);
      variance_flow[i] += projection * projection;
    }
  }
  for (PetscInt i = 0; i < n_pcs; i++) variance_flow[i] = total > 0.0 ? variance_flow[i] / total : RD_NAN;
}

static PetscErrorCode CheckDriftInput(const RdPCA *earlier, const RdPCA *later, const double *later_samples, PetscInt n_samples_later, const RdDriftPair *pair)
{
  PetscFunctionBeginUser;
  PetscCheck(earlier && later && pair, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDriftCompute: earlier, later and pair must not be NULL");
  PetscCheck(earlier->mean && later->mean, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDriftCompute: earlier and later must come from RdPCACreate()");
  PetscCheck(earlier->n_units == later->n_units, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDriftCompute: earlier has %" PetscInt_FMT " units, later %" PetscInt_FMT, earlier->n_units, later->n_units);
  PetscCheck(n_samples_later >= 0 && (later_samples || n_samples_later == 0), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDriftCompute: later_samples missing for n_samples_later = %" PetscInt_FMT, n_samples_later);
  PetscCheck((pair->along_pc && pair->angle_to_pc && pair->variance_flow) || (!pair->along_pc && !pair->angle_to_pc && !pair->variance_flow), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdDriftCompute: pair->along_pc, angle_to_pc and variance_flow must all hold earlier->n_pcs = %" PetscInt_FMT " values, or all be NULL", earlier->n_pcs);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDriftCompute(const RdPCA *earlier, const RdPCA *later, const double *later_samples, PetscInt n_samples_later, RdDriftPair *pair)
{
  PetscInt   p, n_pcs;
  double    *drift, *unit_buffers, mean_norm;
  PetscBool *fit_mask;

  PetscFunctionBeginUser;
  PetscCall(CheckDriftInput(earlier, later, later_samples, n_samples_later, pair));
  p     = earlier->n_units;
  n_pcs = earlier->n_pcs;
  PetscCall(PetscMalloc3(p, &drift, 3 * p, &unit_buffers, PetscMax(n_pcs, 1), &fit_mask));
  for (PetscInt j = 0; j < p; j++) drift[j] = later->mean[j] - earlier->mean[j];
  mean_norm                           = RdNorm(earlier->mean, p);
  pair->angle_between_means           = RdAngleDegrees(earlier->mean, later->mean, p);
  pair->relative_magnitude            = mean_norm > 0.0 ? RdNorm(drift, p) / mean_norm : RD_NAN;
  pair->fraction_in_variational_space = FractionInVariationalSpace(earlier, drift);
  pair->fraction_chance               = (double)earlier->k_variational / (double)p;
  pair->variational_overlap           = VariationalOverlap(earlier, later);
  pair->variational_overlap_chance    = VariationalOverlapChance(earlier, later);
  pair->angle_slope = pair->angle_r = RD_NAN;
  if (pair->along_pc) { /* the per-PC metrics: the costly part (the flow projects every later sample) */
    DriftAlongPCs(earlier, drift, pair->along_pc, pair->angle_to_pc);
    VarianceFlow(earlier, later_samples, n_samples_later, unit_buffers, pair->variance_flow);
    for (PetscInt i = 0; i < n_pcs; i++) fit_mask[i] = earlier->explained[i] > RD_FIT_MIN_EXPLAINED ? PETSC_TRUE : PETSC_FALSE;
    RdLinearFit(earlier->explained, pair->angle_to_pc, fit_mask, n_pcs, &pair->angle_slope, &pair->angle_r);
  }
  PetscCall(PetscFree3(drift, unit_buffers, fit_mask));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSplitHalfNullFraction(const double *samples, PetscInt n_samples, PetscInt n_units, double *gamma_null)
{
  const PetscInt n_first = n_samples / 2;
  RdPCA          first_half;
  double        *drift, *scratch;

  PetscFunctionBeginUser;
  PetscCheck(gamma_null, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSplitHalfNullFraction: gamma_null is NULL");
  PetscCheck(n_units >= 1 && n_samples >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSplitHalfNullFraction: need n_units >= 1 and n_samples >= 0 (got %" PetscInt_FMT ", %" PetscInt_FMT ")", n_units, n_samples);
  PetscCheck(samples || n_samples == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSplitHalfNullFraction: samples is NULL");
  *gamma_null = RD_NAN;
  if (n_first < 2) PetscFunctionReturn(PETSC_SUCCESS); /* the first half has no PCA, so no variational space */
  PetscCall(RdPCACreate(n_units, n_first, &first_half));
  PetscCall(RdPCACompute(samples, n_first, &first_half));
  PetscCall(PetscMalloc2(n_units, &drift, n_units, &scratch));
  RdPCAComputeMean_Internal(samples + RD_IDX2(n_first, 0, n_units), n_samples - n_first, n_units, drift, scratch);
  for (PetscInt j = 0; j < n_units; j++) drift[j] -= first_half.mean[j];
  *gamma_null = FractionInVariationalSpace(&first_half, drift);
  PetscCall(PetscFree2(drift, scratch));
  PetscCall(RdPCADestroy(&first_half));
  PetscFunctionReturn(PETSC_SUCCESS);
}
