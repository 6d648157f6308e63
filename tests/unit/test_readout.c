/* Readout: logistic fits on separable clouds (both the primal and the sample-space path), the
 * stationarity of the objective checked independently, the two paths on one problem, a 1-D case
 * solved by hand, label flips, chance level on noise, and argument checks. */
#include <stdlib.h>
#include <repdrift/readout.h>
#include "testing.h"

/* plain reference dot product: the tests do not reuse the kernels' own */
static double Dot(const double *a, const double *b, PetscInt n)
{
  double s = 0.0;
  for (PetscInt i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

static double Sigmoid(double z)
{
  return z >= 0.0 ? 1.0 / (1.0 + exp(-z)) : exp(z) / (1.0 + exp(z));
}

/* n rows of unit Gaussian noise around centre_sign * separation * e_0. */
static void Cloud(PetscInt n, PetscInt p, double centre, double *rows)
{
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < p; j++) rows[i * p + j] = RdTestNormal() + (j == 0 ? centre : 0.0);
}

/* max |gradient| of sum_i log(1 + exp(-t_i (w.x_i + b))) + (l2/2)|w|^2, written out from the
 * definition, relative to sum_i |x_i|_inf + 1 (the scale one misclassified sample contributes). */
static double StationarityError(const double *class0, PetscInt n0, const double *class1, PetscInt n1, PetscInt p, double l2, const double *w, double b)
{
  double grad_b = 0.0, error, scale = 1.0, *grad_w = malloc(sizeof(double) * p);
  for (PetscInt j = 0; j < p; j++) grad_w[j] = l2 * w[j];
  for (PetscInt i = 0; i < n0 + n1; i++) {
    const double *x = i < n0 ? class0 + i * p : class1 + (i - n0) * p;
    const double  t = i < n0 ? -1.0 : 1.0, r = -t * Sigmoid(-t * (Dot(w, x, p) + b));
    double        x_max = 0.0;
    for (PetscInt j = 0; j < p; j++) {
      grad_w[j] += r * x[j];
      x_max = fmax(x_max, fabs(x[j]));
    }
    grad_b += r;
    scale += x_max;
  }
  error = fabs(grad_b);
  for (PetscInt j = 0; j < p; j++) error = fmax(error, fabs(grad_w[j]));
  free(grad_w);
  return error / scale;
}

/* Separable clouds at -5 e_0 and +5 e_0: held-out accuracy 1, stationary fit, and the same fit with
 * the labels swapped scores 0 on the original labels. */
static PetscErrorCode TestSeparable(PetscInt p, PetscInt n_train, const char *what)
{
  const PetscInt n_test = 500;
  const double   l2     = 1e-2;
  double        *train0, *train1, *test0, *test1, *w, b, *w_flip, b_flip;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(n_train * p, &train0, n_train * p, &train1, n_test * p, &test0, n_test * p, &test1, p, &w, p, &w_flip));
  Cloud(n_train, p, -5.0, train0);
  Cloud(n_train, p, 5.0, train1);
  Cloud(n_test, p, -5.0, test0);
  Cloud(n_test, p, 5.0, test1);
  PetscCall(RdLogisticFit(train0, n_train, train1, n_train, p, l2, w, &b));
  RD_CHECK_CLOSE(RdClassifierAccuracy(w, b, test0, n_test, test1, n_test, p), 1.0, 0.0, what);
  RD_CHECK_CLOSE(RdClassifierAccuracy(w, b, train0, n_train, train1, n_train, p), 1.0, 0.0, what);
  const double stationarity = StationarityError(train0, n_train, train1, n_train, p, l2, w, b);
  RD_CHECK(stationarity < 1e-12, "%s: gradient of the objective at the fit %g (relative)", what, stationarity);
  RD_CHECK(w[0] > 0.0, "%s: weight on the separating unit points from class 0 to class 1", what);
  PetscCall(RdLogisticFit(train1, n_train, train0, n_train, p, l2, w_flip, &b_flip));
  RD_CHECK_CLOSE(RdClassifierAccuracy(w_flip, b_flip, test0, n_test, test1, n_test, p), 0.0, 0.0, what);
  double mirror = fabs(b_flip + b); /* swapping labels mirrors the problem: (w, b) -> (-w, -b) */
  for (PetscInt j = 0; j < p; j++) mirror = fmax(mirror, fabs(w_flip[j] + w[j]));
  RD_CHECK(mirror < 1e-9, "%s: label swap gives (-w, -b) (diff %g)", what, mirror);
  PetscCall(PetscFree6(train0, train1, test0, test1, w, w_flip));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One problem through both paths: X (n >= p, primal) and X Q with Q [p][wide] orthonormal rows
 * (n < wide, sample space). The objective depends on w only through X w and |w|, so the optimum of
 * the embedded problem is Q^T w with the same bias. */
static PetscErrorCode TestPathsAgree(void)
{
  const PetscInt p = 12, wide = 90, n0 = 25, n1 = 35;
  const double   l2 = 0.3;
  double        *x0, *x1, *y0, *y1, *Q, *w, *w_wide, b, b_wide, error;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc7(n0 * p, &x0, n1 * p, &x1, n0 * wide, &y0, n1 * wide, &y1, p * wide, &Q, p, &w, wide, &w_wide));
  Cloud(n0, p, -0.5, x0); /* overlapping clouds: a genuinely regularised, non-separable fit */
  Cloud(n1, p, 0.7, x1);
  for (PetscInt r = 0; r < p; r++) { /* Gram-Schmidt on Gaussian rows, twice for orthogonality */
    double *q = Q + r * wide;
    for (PetscInt j = 0; j < wide; j++) q[j] = RdTestNormal();
    for (int pass = 0; pass < 2; pass++)
      for (PetscInt s = 0; s < r; s++) {
        const double c = Dot(Q + s * wide, q, wide);
        for (PetscInt j = 0; j < wide; j++) q[j] -= c * Q[s * wide + j];
      }
    const double norm = sqrt(Dot(q, q, wide));
    for (PetscInt j = 0; j < wide; j++) q[j] /= norm;
  }
  for (PetscInt i = 0; i < n0 + n1; i++) {
    const double *x = i < n0 ? x0 + i * p : x1 + (i - n0) * p;
    double       *y = i < n0 ? y0 + i * wide : y1 + (i - n0) * wide;
    for (PetscInt j = 0; j < wide; j++) {
      y[j] = 0.0;
      for (PetscInt r = 0; r < p; r++) y[j] += x[r] * Q[r * wide + j];
    }
  }
  PetscCall(RdLogisticFit(x0, n0, x1, n1, p, l2, w, &b));
  PetscCall(RdLogisticFit(y0, n0, y1, n1, wide, l2, w_wide, &b_wide));
  RD_CHECK(StationarityError(x0, n0, x1, n1, p, l2, w, b) < 1e-12, "primal path: stationary (%g)", StationarityError(x0, n0, x1, n1, p, l2, w, b));
  RD_CHECK(StationarityError(y0, n0, y1, n1, wide, l2, w_wide, b_wide) < 1e-12, "sample-space path: stationary (%g)", StationarityError(y0, n0, y1, n1, wide, l2, w_wide, b_wide));
  error = fabs(b - b_wide);
  for (PetscInt j = 0; j < wide; j++) {
    double expected = 0.0;
    for (PetscInt r = 0; r < p; r++) expected += Q[r * wide + j] * w[r];
    error = fmax(error, fabs(w_wide[j] - expected));
  }
  RD_CHECK(error < 1e-9, "sample-space fit = Q^T (primal fit), same bias (max diff %g)", error);
  RD_CHECK(sqrt(Dot(w, w, p)) > 0.1, "the regularised fit is not trivially zero (|w| = %g)", sqrt(Dot(w, w, p)));
  PetscCall(PetscFree7(x0, x1, y0, y1, Q, w, w_wide));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* class0 = {-1}, class1 = {+1}, one unit, l2 = 1: b = 0 by symmetry and w solves w = 2 sigma(-w)
 * (bisection here). */
static PetscErrorCode TestOneDimensional(void)
{
  const double minus = -1.0, plus = 1.0;
  double       w, b, lo = 0.0, hi = 2.0;

  PetscFunctionBeginUser;
  for (int it = 0; it < 200; it++) {
    const double mid = 0.5 * (lo + hi);
    if (mid - 2.0 * Sigmoid(-mid) > 0.0) hi = mid;
    else lo = mid;
  }
  PetscCall(RdLogisticFit(&minus, 1, &plus, 1, 1, 1.0, &w, &b));
  RD_CHECK_CLOSE(w, 0.5 * (lo + hi), 1e-12, "1-D fit: w = 2 sigma(-w)");
  RD_CHECK_CLOSE(b, 0.0, 1e-12, "1-D fit: symmetric bias");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Labels independent of the data: held-out accuracy at chance. */
static PetscErrorCode TestChance(PetscInt p, PetscInt n_train, const char *what)
{
  const PetscInt n_test = 2000;
  double        *train0, *train1, *test0, *test1, *w, b;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(n_train * p, &train0, n_train * p, &train1, n_test * p, &test0, n_test * p, &test1, p, &w));
  Cloud(n_train, p, 0.0, train0);
  Cloud(n_train, p, 0.0, train1);
  Cloud(n_test, p, 0.0, test0);
  Cloud(n_test, p, 0.0, test1);
  PetscCall(RdLogisticFit(train0, n_train, train1, n_train, p, 1.0, w, &b));
  const double accuracy = RdClassifierAccuracy(w, b, test0, n_test, test1, n_test, p);
  RD_CHECK(fabs(accuracy - 0.5) < 0.04, "%s: held-out accuracy on noise %g (chance 0.5, 4000 tests: sd 0.008)", what, accuracy);
  PetscCall(PetscFree5(train0, train1, test0, test1, w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestAccuracyCountingAndChecks(void)
{
  const double   one = 1.0, zero = 0.0, c0[2] = {-1.0, 2.0}, c1[3] = {3.0, -4.0, 0.0};
  double         w, b;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  /* -1 right, 2 wrong, 3 right, -4 wrong, 0 a tie (wrong) */
  RD_CHECK_CLOSE(RdClassifierAccuracy(&one, 0.0, c0, 2, c1, 3, 1), 0.4, 1e-15, "accuracy counting with a tie");
  RD_CHECK_CLOSE(RdClassifierAccuracy(&zero, 0.0, c0, 2, c1, 3, 1), 0.0, 0.0, "all ties count wrong");
  RD_CHECK(isnan(RdClassifierAccuracy(&one, 0.0, c0, 0, c1, 0, 1)), "accuracy of no rows is NaN");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdLogisticFit(c0, 2, c1, 3, 1, 0.0, &w, &b);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "l2 = 0 rejected (error %d)", (int)ierr);
  ierr = RdLogisticFit(c0, 0, c1, 3, 1, 1.0, &w, &b);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "an empty class rejected (error %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  RdTestSeed(0x2545f4914f6cdd1dULL);
  PetscCall(TestSeparable(10, 40, "separable, primal (80 samples, 10 units)"));
  PetscCall(TestSeparable(300, 20, "separable, sample space (40 samples, 300 units)"));
  PetscCall(TestPathsAgree());
  PetscCall(TestOneDimensional());
  PetscCall(TestChance(50, 100, "noise, primal (200 samples, 50 units)"));
  PetscCall(TestChance(400, 60, "noise, sample space (120 samples, 400 units)"));
  PetscCall(TestAccuracyCountingAndChecks());
  PetscCall(SlepcFinalize());
  return RdTestSummary("test_readout");
}
