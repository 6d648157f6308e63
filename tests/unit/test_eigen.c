/* The dense symmetric eigensolvers against known analytic answers: the second-difference matrix
 * tridiag(-1, 2, -1) (lambda_k = 2 - 2 cos(k pi / (n + 1)), v_k(j) = sqrt(2 / (n + 1))
 * sin(j k pi / (n + 1))), a 2 x 2 closed form, and a matrix built from chosen eigenpairs with a
 * non-symmetric eigenvector matrix (so rows and columns of the output cannot be confused). Also:
 * only the documented triangle is read, eigenvalues alone agree with the pairs, the heap workspace
 * path, the empty matrix and the size limit. */
#include <repdrift/eigen.h>
#include "testing.h"

/* tridiag(-1, 2, -1) of order n, row-major. */
static void SecondDifference(PetscInt n, double *A)
{
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) A[RD_IDX2(i, j, n)] = i == j ? 2.0 : (i - j == 1 || j - i == 1 ? -1.0 : 0.0);
}

static double SecondDifferenceValue(PetscInt n, PetscInt k) { return 2.0 - 2.0 * cos((double)k * PETSC_PI / (double)(n + 1)); } /* k = 1..n, ascending */
static double SecondDifferenceVector(PetscInt n, PetscInt k, PetscInt j) { return sqrt(2.0 / (double)(n + 1)) * sin((double)(j + 1) * (double)k * PETSC_PI / (double)(n + 1)); }

/* |<row, v_k>| for a computed unit row against the analytic unit vector: 1 when parallel. */
static double Alignment(PetscInt n, PetscInt k, const double *row, PetscInt stride)
{
  double s = 0.0;
  for (PetscInt j = 0; j < n; j++) s += row[j * stride] * SecondDifferenceVector(n, k, j);
  return fabs(s);
}

static PetscErrorCode TestSecondDifferenceLAPACK(PetscInt n)
{
  double *A, *values, *values_only;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(n * n, &A, n, &values, n, &values_only));
  SecondDifference(n, A);
  PetscCall(RdSymmetricEigenLAPACK(A, n, PETSC_TRUE, values));
  double worst_value = 0.0, worst_vector = 0.0;
  for (PetscInt m = 0; m < n; m++) {
    worst_value  = fmax(worst_value, fabs(values[m] - SecondDifferenceValue(n, m + 1)));
    worst_vector = fmax(worst_vector, fabs(Alignment(n, m + 1, A + RD_IDX2(m, 0, n), 1) - 1.0));
  }
  RD_CHECK(worst_value < 1e-13, "n = %d second difference: eigenvalues ascending, analytic to %.2g", (int)n, worst_value);
  RD_CHECK(worst_vector < 1e-12, "n = %d second difference: row m is the analytic unit eigenvector m (|cos| - 1 = %.2g)", (int)n, worst_vector);
  SecondDifference(n, A);
  PetscCall(RdSymmetricEigenLAPACK(A, n, PETSC_FALSE, values_only));
  double worst_only = 0.0;
  for (PetscInt m = 0; m < n; m++) worst_only = fmax(worst_only, fabs(values_only[m] - SecondDifferenceValue(n, m + 1)));
  RD_CHECK(worst_only < 1e-13, "n = %d eigenvalues only: analytic to %.2g", (int)n, worst_only);
  PetscCall(PetscFree3(A, values, values_only));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* [[a, b], [b, c]]: lambda = (a + c)/2 -+ sqrt(((a - c)/2)^2 + b^2). */
static PetscErrorCode TestTwoByTwo(void)
{
  const double a = 3.0, b = -1.5, c = -0.25;
  double       A[4] = {a, b, b, c}, values[2];
  const double mid = 0.5 * (a + c), radius = sqrt(0.25 * (a - c) * (a - c) + b * b);

  PetscFunctionBeginUser;
  PetscCall(RdSymmetricEigenLAPACK(A, 2, PETSC_TRUE, values));
  RD_CHECK_CLOSE(values[0], mid - radius, 1e-14, "2 x 2 smaller eigenvalue");
  RD_CHECK_CLOSE(values[1], mid + radius, 1e-14, "2 x 2 larger eigenvalue");
  /* (A - lambda) v = 0 for row 1: first component of the residual */
  RD_CHECK_CLOSE((a - values[1]) * A[2] + b * A[3], 0.0, 1e-14, "2 x 2 row 1 is the eigenvector of the larger eigenvalue");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A = sum_m lambda_m q_m q_m^T with Q = G01(0.3) G12(-1.1) G23(0.7) (Givens rotations: Q is not
 * symmetric, so returning columns for rows would fail). The upper triangle of the row-major buffer
 * is then overwritten with garbage: the wrapper reads only the lower one. */
static PetscErrorCode TestChosenEigenpairs(void)
{
  enum { n = 4 };
  const double lambda[n] = {-1.0, 0.5, 2.0, 7.0}, angle[3] = {0.3, -1.1, 0.7};
  double       Q[n * n], A[n * n], values[n];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n * n; i++) Q[i] = i % (n + 1) == 0 ? 1.0 : 0.0;
  for (PetscInt g = 0; g < 3; g++) { /* Q <- Q G(g, g+1, angle): rotate columns g and g+1 */
    const double c = cos(angle[g]), s = sin(angle[g]);
    for (PetscInt i = 0; i < n; i++) {
      const double x = Q[RD_IDX2(i, g, n)], y = Q[RD_IDX2(i, g + 1, n)];
      Q[RD_IDX2(i, g, n)]     = c * x - s * y;
      Q[RD_IDX2(i, g + 1, n)] = s * x + c * y;
    }
  }
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      double s = 0.0;
      for (PetscInt m = 0; m < n; m++) s += lambda[m] * Q[RD_IDX2(i, m, n)] * Q[RD_IDX2(j, m, n)];
      A[RD_IDX2(i, j, n)] = j > i ? 1e6 : s; /* garbage above the diagonal */
    }
  PetscCall(RdSymmetricEigenLAPACK(A, n, PETSC_TRUE, values));
  for (PetscInt m = 0; m < n; m++) {
    double dot = 0.0;
    for (PetscInt j = 0; j < n; j++) dot += A[RD_IDX2(m, j, n)] * Q[RD_IDX2(j, m, n)];
    RD_CHECK_CLOSE(values[m], lambda[m], 1e-13, "chosen eigenvalue (ascending, upper triangle ignored)");
    RD_CHECK_CLOSE(fabs(dot), 1.0, 1e-13, "row m of the output is column m of Q");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* SLEPc path on the same analytic answer: the n_wanted largest, descending, with strides. */
static PetscErrorCode TestSecondDifferenceSLEPc(void)
{
  enum { n = 20, wanted = 3 };
  double A[n * n], values[wanted], vectors[n * wanted];

  PetscFunctionBeginUser;
  SecondDifference(n, A);
  PetscCall(RdSymmetricEigenpairs(A, n, wanted, values, vectors, 1, wanted)); /* vector i in column i of [n][wanted] */
  for (PetscInt i = 0; i < wanted; i++) {
    RD_CHECK_CLOSE(values[i], SecondDifferenceValue(n, n - i), 1e-12, "SLEPc: i-th largest eigenvalue");
    RD_CHECK_CLOSE(Alignment(n, n - i, vectors + i, wanted), 1.0, 1e-12, "SLEPc: eigenvector i at vectors[i + j * stride]");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestEdges(void)
{
  double         nothing = 0.0;
  PetscErrorCode code;

  PetscFunctionBeginUser;
  PetscCall(RdSymmetricEigenLAPACK(&nothing, 0, PETSC_TRUE, &nothing));
  RD_CHECK(nothing == 0.0, "dimension 0: nothing computed, nothing written");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  code = RdSymmetricEigenLAPACK(NULL, 46341, PETSC_FALSE, NULL);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(code == PETSC_ERR_SUP, "dimension 46341 (beyond LAPACK's int indexing) is refused before any access, got error %d", (int)code);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestSecondDifferenceLAPACK(1));
  PetscCall(TestSecondDifferenceLAPACK(12));
  PetscCall(TestSecondDifferenceLAPACK(100)); /* workspace beyond the stack buffer */
  PetscCall(TestTwoByTwo());
  PetscCall(TestChosenEigenpairs());
  PetscCall(TestSecondDifferenceSLEPc());
  PetscCall(TestEdges());
  int code = RdTestSummary("test_eigen");
  PetscCall(SlepcFinalize());
  return code;
}
