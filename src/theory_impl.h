/* Private to the theory_*.c files: dense helpers they share. Not part of the public API.
 * Every matrix is row-major. */
#ifndef REPDRIFT_THEORY_IMPL_H
#define REPDRIFT_THEORY_IMPL_H

#include <repdrift/theory.h>
#include <repdrift/dense.h>
#include <math.h>

/* C [rows][cols] = A [rows][inner] B [inner][cols] by plain loops (small matrices, fixed order). */
static inline void RdTheoryMatMul(PetscInt rows, PetscInt inner, PetscInt cols, const double *A, const double *B, double *C)
{
  for (PetscInt i = 0; i < rows; i++) {
    double *c = C + RD_IDX2(i, 0, cols);
    for (PetscInt j = 0; j < cols; j++) c[j] = 0.0;
    for (PetscInt l = 0; l < inner; l++) {
      const double  a = A[RD_IDX2(i, l, inner)];
      const double *b = B + RD_IDX2(l, 0, cols);
      for (PetscInt j = 0; j < cols; j++) c[j] += a * b[j];
    }
  }
}

/* C [rows][cols] = alpha op(A) op(B) + beta C through BLAS dgemm, op(X) = X or X^T as the flags
 * say; op(A) is rows x inner, op(B) inner x cols, all row-major (the large products of the
 * theory: V^T C V, the hidden-space loadings, the lagged covariances). */
PetscErrorCode RdTheoryGemm(PetscBool transpose_A, PetscBool transpose_B, PetscInt rows, PetscInt cols, PetscInt inner, double alpha, const double *A, const double *B, double beta, double *C);

/* All eigenpairs of the symmetric dim x dim matrix (overwritten) by LAPACK dsyev, eigenvalues
 * descending, eigenvector i in vectors[i][.] (vectors must not alias matrix). */
PetscErrorCode RdTheorySymmetricEigen(PetscInt dim, double *matrix, double *eigenvalues, double *vectors);

/* The symmetric matrix [dim][dim] (overwritten) as Q T Q^T: T's diagonal [dim] and off-diagonal
 * [dim - 1]; vector [dim] becomes Q^T vector (LAPACK dsytrd, dormtr). */
PetscErrorCode RdTheoryTridiagonalize(PetscInt dim, double *matrix, double *diagonal, double *off_diagonal, double *vector);

/* q / (1 - q): the variance of an inverted-dropout scale keep / (1 - q); 0 without dropout. */
static inline double RdTheoryDropoutFactor(double dropout)
{
  return dropout > 0.0 ? dropout / (1.0 - dropout) : 0.0;
}

/* ------------------------------------------------------------------------------------------ */
/* Shared by theory.c and theory_symmetric.c                                                    */

/* The result's arrays (grouped as RdTheoryResultDestroy frees them); mode arrays separately. */
PetscErrorCode RdTheoryResultAllocate(PetscInt K, PetscInt n, PetscInt d, PetscInt width, PetscInt computed_width, PetscInt num_generators, PetscBool isolated, RdTheoryResult *res);
PetscErrorCode RdTheoryModesAllocate(PetscInt N, PetscInt tangent_dim, RdTheoryResult *res);
/* Every prediction NaN, holds false (failure and why are the caller's). */
void RdTheoryPredictionsNaN(PetscInt num_generators, RdTheoryResult *res);

/* The isolated-minimum theory by unit-type sectors (theory_symmetric.c): the whole of
 * RdTheoryCompute for dropout > 0 unless input->dense. */
PetscErrorCode RdTheorySymmetricCompute(const RdTheoryInput *in, RdTheoryResult *res);
PetscErrorCode RdTheorySectorsDestroy(struct RdTheorySectors **sectors);
PetscErrorCode RdTheorySectorsHiddenCovariance(const RdTheoryResult *res, PetscInt stimulus, double t_later, double t_earlier, double *covariance);

PetscErrorCode RdTheorySectorsNoiseShift(const RdTheoryResult *res, PetscInt stimulus, double t, double *shift);
PetscErrorCode RdTheorySectorsTrace(const RdTheoryResult *res, PetscInt stimulus, double t_later, double t_earlier, double *trace);

/* The nonlinearity limit an input asks for. */
static inline double RdTheoryNonlinearityLimit(const RdTheoryInput *in)
{
  return in->nonlinearity_limit > 0.0 ? in->nonlinearity_limit : RD_THEORY_NONLINEARITY_LIMIT;
}

/* (1 - k)^t with t = INFINITY giving 0 (k in (0, 2)). */
static inline double RdTheoryDecay(double k, double t)
{
  return isinf(t) ? 0.0 : pow(1.0 - k, t);
}

/* G = Lambda^{t_later - t_earlier} S(t_earlier) in a normal eigenbasis (N modes, k_i = eta h_i,
 * stationary S): G_ij = (1 - k_i)^tau S_ij (1 - ((1 - k_i)(1 - k_j))^t), the covariance of the
 * modes at t_later with those at t_earlier of the process started at 0; both times INFINITY: S. */
static inline void RdTheoryLagged(PetscInt N, const double *kk, const double *S, double t_later, double t_earlier, double *G)
{
  const double tau = isinf(t_later) ? 0.0 : t_later - t_earlier;
  for (PetscInt i = 0; i < N; i++) {
    const double lag = RdTheoryDecay(kk[i], tau), ai = RdTheoryDecay(kk[i], t_earlier);
    for (PetscInt j = 0; j < N; j++) G[RD_IDX2(i, j, N)] = lag * S[RD_IDX2(i, j, N)] * (isinf(t_earlier) ? 1.0 : 1.0 - ai * RdTheoryDecay(kk[j], t_earlier));
  }
}

/* The nonlinearity criterion (theory_nonlinear.c). Columns f_c [num][P] of a square root of the
 * parameter covariance Sigma = sum_c f_c f_c^T at theta [P] (width m): returns
 * sum_c w_c T(f_c, f_c) / 2 (weights NULL: all 1) = E grad L(theta + delta) - grad L(theta),
 * delta ~ N(0, Sigma), exactly
 * (grad L is cubic: T(f, f) = grad L(theta + f) + grad L(theta - f) - 2 grad L(theta)). */
PetscErrorCode RdTheoryNoiseInducedForce(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *theta, PetscInt num, const double *columns, const double *weights, double *force);

#endif
