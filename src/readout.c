/* Cross-day linear readouts: L2-regularised logistic regression between two stimulus groups,
 * minimised by damped Newton. Contract: include/repdrift/readout.h.
 *
 * Both paths run one Newton solver on a "design" Z [n][dim] with parameters (beta, bias):
 *   f(beta, b) = sum_i log(1 + exp(-t_i (Z_i . beta + b))) + (l2/2) |beta|^2.
 * - primal (n >= n_units): Z = X, beta = w.
 * - sample space (n < n_units): the optimal w lies in the span of the rows of X (representer
 *   theorem: the loss sees w only through X w, and any component orthogonal to the rows only adds
 *   to |w|^2). With K = X X^T = U diag(lambda) U^T, the rows q_c = X^T u_c / sqrt(lambda_c) are an
 *   orthonormal basis of that span; writing w = sum_c beta_c q_c gives X w = Z beta with
 *   Z = U diag(sqrt(lambda)) and |w| = |beta|, so f is exactly the primal objective with design Z
 *   of width r = rank(K) <= n. Newton's system is (r + 1)-dimensional, its iterates are the primal
 *   Newton iterates restricted to the span (started from w = 0 they never leave it), and
 *   w = X^T alpha with alpha = U diag(1/sqrt(lambda)) beta. Working in this orthonormal basis rather
 *   than in alpha directly keeps the Hessian as well-conditioned as the primal one (the alpha
 *   Hessian K S K + l2 K squares K's condition number). */
#include <float.h>
#include <math.h>
#include <repdrift/readout.h>
#include <repdrift/dense.h>
#include <repdrift/eigen.h>

#define RD_LOGISTIC_STEP_TOL      1e-10 /* converged when the applied step |(d beta, d b)| < this */
#define RD_LOGISTIC_MAX_IT        100
#define RD_LOGISTIC_MAX_HALVINGS  60
#define RD_LOGISTIC_ARMIJO        1e-4
/* Gram eigenvalues below this fraction of the largest carry no direction (round-off). */
#define RD_LOGISTIC_GRAM_RTOL     1e-12

typedef struct {
  const double *design; /* [n][dim] */
  const double *target; /* [n] -1 (class0) or +1 (class1) */
  PetscInt      n, dim;
  double        l2;
} LogisticProblem;

/* log(1 + exp(-margin)) without overflow for either sign. */
static double LogisticLoss(double margin)
{
  return margin >= 0.0 ? log1p(exp(-margin)) : -margin + log1p(exp(margin));
}

/* 1 / (1 + exp(-z)) without overflow for either sign. */
static double Sigmoid(double z)
{
  if (z >= 0.0) return 1.0 / (1.0 + exp(-z));
  const double e = exp(z);
  return e / (1.0 + e);
}

/* f(theta) with theta = (beta[dim], bias); writes the scores z_i = Z_i . beta + b. */
static double Objective(const LogisticProblem *prob, const double *theta, double *scores)
{
  double f = 0.5 * prob->l2 * RdDot(theta, theta, prob->dim);
  for (PetscInt i = 0; i < prob->n; i++) {
    scores[i] = RdDot(prob->design + RD_IDX2(i, 0, prob->dim), theta, prob->dim) + theta[prob->dim];
    f += LogisticLoss(prob->target[i] * scores[i]);
  }
  return f;
}

/* Gradient and Hessian at the given scores. The Hessian (dim+1)^2 is filled in its row-major upper
 * triangle, which LAPACK (column-major) reads as the lower one.
 *   g_beta = Z^T r + l2 beta, g_b = sum r,  r_i = -t_i sigma(-t_i z_i)
 *   H = [Z^T S Z + l2 I, Z^T s; s^T Z, sum s],  s_i = sigma(z_i) sigma(-z_i) */
static void GradientHessian(const LogisticProblem *prob, const double *theta, const double *scores, double *gradient, double *hessian)
{
  const PetscInt dim = prob->dim, m = dim + 1;
  for (PetscInt c = 0; c < m; c++) gradient[c] = c < dim ? prob->l2 * theta[c] : 0.0;
  for (size_t e = 0; e < (size_t)m * (size_t)m; e++) hessian[e] = 0.0;
  for (PetscInt c = 0; c < dim; c++) hessian[RD_IDX2(c, c, m)] = prob->l2;
  for (PetscInt i = 0; i < prob->n; i++) {
    const double *z_row    = prob->design + RD_IDX2(i, 0, dim);
    const double  t        = prob->target[i];
    const double  residual = -t * Sigmoid(-t * scores[i]);
    const double  weight   = Sigmoid(scores[i]) * Sigmoid(-scores[i]);
    for (PetscInt c = 0; c < dim; c++) {
      const double scaled = weight * z_row[c];
      double      *h_row  = hessian + RD_IDX2(c, 0, m);
      gradient[c] += residual * z_row[c];
      for (PetscInt e = c; e < dim; e++) h_row[e] += scaled * z_row[e];
      h_row[dim] += scaled;
    }
    gradient[dim] += residual;
    hessian[RD_IDX2(dim, dim, m)] += weight;
  }
}

/* step = -H^{-1} gradient by Cholesky (H is positive definite: l2 > 0 on beta, and sum s > 0
 * with the Schur complement positive as long as the scores are finite). */
static PetscErrorCode NewtonStep(PetscInt m, double *hessian, const double *gradient, double *step)
{
  const int n = (int)m, one = 1;
  int       info;

  PetscFunctionBeginUser;
  for (PetscInt c = 0; c < m; c++) step[c] = -gradient[c];
  dposv_("L", &n, &one, hessian, &n, step, &n, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "RdLogisticFit: Newton Hessian not positive definite (dposv info %d); scores saturated?", info);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Backtracking (Armijo) along step from theta; on success theta, scores and f move to the accepted
 * point and *applied is the step length |t step|. A tiny slack lets Newton's last steps, whose
 * decrease is below round-off in f, through; no acceptable t leaves everything unchanged and
 * *applied = 0 (nothing left to gain at working precision). */
static void LineSearch(const LogisticProblem *prob, const double *gradient, const double *step, double *theta, double *scores, double *f, double *trial_theta, double *trial_scores, double *applied)
{
  const PetscInt m = prob->dim + 1;
  const double   slope = RdDot(gradient, step, m), slack = 64.0 * DBL_EPSILON * fabs(*f);
  double         t = 1.0;
  *applied = 0.0;
  for (int halving = 0; halving < RD_LOGISTIC_MAX_HALVINGS; halving++, t *= 0.5) {
    for (PetscInt c = 0; c < m; c++) trial_theta[c] = theta[c] + t * step[c];
    const double f_trial = Objective(prob, trial_theta, trial_scores);
    if (f_trial <= *f + RD_LOGISTIC_ARMIJO * t * slope + slack) {
      for (PetscInt c = 0; c < m; c++) theta[c] = trial_theta[c];
      for (PetscInt i = 0; i < prob->n; i++) scores[i] = trial_scores[i];
      *f       = f_trial;
      *applied = t * sqrt(RdDot(step, step, m));
      return;
    }
  }
}

/* Damped Newton from theta = 0 until the applied step is below RD_LOGISTIC_STEP_TOL or
 * RD_LOGISTIC_MAX_IT iterations. theta: [dim + 1]. */
static PetscErrorCode NewtonSolve(const LogisticProblem *prob, double *theta)
{
  const PetscInt m = prob->dim + 1;
  double        *scores, *trial_scores, *hessian, *gradient, *step, *trial_theta, f, applied = 0.0;
  PetscInt       it;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(prob->n, &scores, prob->n, &trial_scores, (size_t)m * (size_t)m, &hessian, m, &gradient, m, &step, m, &trial_theta));
  for (PetscInt c = 0; c < m; c++) theta[c] = 0.0;
  f = Objective(prob, theta, scores);
  for (it = 0; it < RD_LOGISTIC_MAX_IT; it++) {
    GradientHessian(prob, theta, scores, gradient, hessian);
    PetscCall(NewtonStep(m, hessian, gradient, step));
    LineSearch(prob, gradient, step, theta, scores, &f, trial_theta, trial_scores, &applied);
    if (applied < RD_LOGISTIC_STEP_TOL) break;
  }
  if (it == RD_LOGISTIC_MAX_IT) PetscCall(PetscInfo(NULL, "RdLogisticFit: no convergence in %d Newton steps (last step %g)\n", RD_LOGISTIC_MAX_IT, applied));
  PetscCall(PetscFree6(scores, trial_scores, hessian, gradient, step, trial_theta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* n < n_units: Newton in the orthonormal basis of span(rows of X) (see the top of the file). */
static PetscErrorCode FitInSampleSpace(const double *X, const double *target, PetscInt n, PetscInt n_units, double l2, double *weights, double *bias)
{
  double         *gram, *eigenvalues, *design, *theta, *alpha;
  PetscInt        rank = 0;
  LogisticProblem prob;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5((size_t)n * (size_t)n, &gram, n, &eigenvalues, (size_t)n * (size_t)n, &design, n + 1, &theta, n, &alpha));
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = i; j < n; j++) gram[RD_IDX2(i, j, n)] = gram[RD_IDX2(j, i, n)] = RdDot(X + RD_IDX2(i, 0, n_units), X + RD_IDX2(j, 0, n_units), n_units);
  PetscCall(RdSymmetricEigenLAPACK(gram, n, PETSC_TRUE, eigenvalues)); /* ascending; gram now holds U^T (row c = u_c) */
  /* Basis directions, largest first: design[i][c] = u_c[i] sqrt(lambda_c). */
  for (PetscInt c = n - 1; c >= 0 && eigenvalues[c] > RD_LOGISTIC_GRAM_RTOL * eigenvalues[n - 1]; c--, rank++)
    for (PetscInt i = 0; i < n; i++) design[RD_IDX2(i, rank, n)] = gram[RD_IDX2(c, i, n)] * sqrt(eigenvalues[c]);
  prob = (LogisticProblem){.design = design, .target = target, .n = n, .dim = rank, .l2 = l2};
  if (rank < n) /* compact the rows to stride rank */
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt c = 0; c < rank; c++) design[RD_IDX2(i, c, rank)] = design[RD_IDX2(i, c, n)];
  PetscCall(NewtonSolve(&prob, theta));
  /* alpha = sum_c u_c beta_c / sqrt(lambda_c); w = X^T alpha */
  for (PetscInt i = 0; i < n; i++) alpha[i] = 0.0;
  for (PetscInt c = 0; c < rank; c++) {
    const PetscInt source = n - 1 - c;
    for (PetscInt i = 0; i < n; i++) alpha[i] += gram[RD_IDX2(source, i, n)] * theta[c] / sqrt(eigenvalues[source]);
  }
  for (PetscInt j = 0; j < n_units; j++) weights[j] = 0.0;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n_units; j++) weights[j] += alpha[i] * X[RD_IDX2(i, j, n_units)];
  *bias = theta[rank];
  PetscCall(PetscFree5(gram, eigenvalues, design, theta, alpha));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode FitPrimal(const double *X, const double *target, PetscInt n, PetscInt n_units, double l2, double *weights, double *bias)
{
  double         *theta;
  LogisticProblem prob = {.design = X, .target = target, .n = n, .dim = n_units, .l2 = l2};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n_units + 1, &theta));
  PetscCall(NewtonSolve(&prob, theta));
  for (PetscInt j = 0; j < n_units; j++) weights[j] = theta[j];
  *bias = theta[n_units];
  PetscCall(PetscFree(theta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLogisticFit(const double *class0, PetscInt n0, const double *class1, PetscInt n1, PetscInt n_units, double l2, double *weights, double *bias)
{
  const PetscInt n = n0 + n1;
  double        *X, *target;

  PetscFunctionBeginUser;
  PetscCheck(l2 > 0.0 && isfinite(l2), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdLogisticFit: the L2 penalty (option -readout_l2) must be finite and > 0, got %g", l2);
  PetscCheck(n0 >= 1 && n1 >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdLogisticFit: both classes need samples (n0 = %" PetscInt_FMT ", n1 = %" PetscInt_FMT "): with one class the bias runs to infinity", n0, n1);
  PetscCheck(n_units >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdLogisticFit: n_units = %" PetscInt_FMT " must be >= 1", n_units);
  PetscCheck(class0 && class1 && weights && bias, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdLogisticFit: class0, class1, weights and bias must not be NULL");
  PetscCheck(PetscMin(n, n_units) + 1 <= 46340, PETSC_COMM_SELF, PETSC_ERR_SUP, "RdLogisticFit: a %" PetscInt_FMT "-dimensional Newton system overflows LAPACK's int indexing", PetscMin(n, n_units) + 1);
  PetscCall(PetscMalloc2((size_t)n * (size_t)n_units, &X, n, &target));
  for (size_t e = 0; e < (size_t)n0 * (size_t)n_units; e++) X[e] = class0[e];
  for (size_t e = 0; e < (size_t)n1 * (size_t)n_units; e++) X[(size_t)n0 * (size_t)n_units + e] = class1[e];
  for (PetscInt i = 0; i < n; i++) target[i] = i < n0 ? -1.0 : 1.0;
  if (n < n_units) PetscCall(FitInSampleSpace(X, target, n, n_units, l2, weights, bias));
  else PetscCall(FitPrimal(X, target, n, n_units, l2, weights, bias));
  PetscCall(PetscFree2(X, target));
  PetscFunctionReturn(PETSC_SUCCESS);
}

double RdClassifierAccuracy(const double *weights, double bias, const double *class0, PetscInt n0, const double *class1, PetscInt n1, PetscInt n_units)
{
  PetscInt correct = 0;
  if (n0 + n1 <= 0 || !weights) return RD_NAN;
  for (PetscInt i = 0; i < n0; i++)
    if (RdDot(weights, class0 + RD_IDX2(i, 0, n_units), n_units) + bias < 0.0) correct++;
  for (PetscInt i = 0; i < n1; i++)
    if (RdDot(weights, class1 + RD_IDX2(i, 0, n_units), n_units) + bias > 0.0) correct++;
  return (double)correct / (double)(n0 + n1);
}
