/* Analytic SGD drift theory of the two-layer linear network (Pashakhanloo & Koulakov 2023),
 * with input noise and dropout: theta* (theory_objective.c), the Hessian H, the noise covariance
 * C of one presentation (theory_noise.c), the tangent basis of the O(m) orbit (none with
 * dropout), the normal eigenbasis of H, the stationary OU covariance S, the excess loss and
 * fluctuations F_s, and the tangent drift (velocity v, diffusion D, sigma_s).
 *
 * Layout: theta = (W1 [m][n], W2 [d][m]) row-major in one vector of length P = m n + d m;
 * every matrix below is row-major. The two symmetric eigenproblems (the Gram matrix of the
 * rotation generators and H on the normal space) go through SLEPc. */
#include "theory_impl.h"
#include <repdrift/eigen.h>
#include <slepceps.h>

#define TANGENT_KEEP          1e-9  /* Gram eigenvalues kept: lam > 1e-9 lam_max */
#define NORMAL_KEEP           1e-7  /* normal eigenvalues kept: h > 1e-7 h_max */
#define HESSIAN_TANGENT_TOL   1e-8  /* asserted: |H tau| / h_max */
#define GRADIENT_TANGENT_TOL  1e-9  /* asserted: |C tau| / tr C (tau unit) */
#define ORTHONORMAL_TOL       1e-10 /* asserted: |V V^T - 1| of the normal eigenbasis */
#define VELOCITY_ROUNDING     1e-9  /* |v_c| below this fraction of its bound is rounding */
#define HIDDEN_SUBSPACE_TOL   1e-8  /* asserted: theta* from a start lies in its top-mc hidden subspace */

/* ------------------------------------------------------------------------------------------ */
/* Diffusion matrix kernel                                                                      */

/* 2D_cc' = tr(A_c Q A_c'^T S) + 2tr(F_c S Y_c' S) + 2tr(F_c' S Y_c S) + 2tr(Y_c Q A_c'^T S)
 *        + 2tr(Y_c' Q A_c^T S), F_c = -(A_c K + (A_c K)^T)/2, Y_c = F_c / (k_i + k_j).
 * With tr(X Z) = <X, Z^T> and S, Y, F symmetric every term is a Frobenius product of
 * per-generator matrices: AQ_c = A_c Q, SA_c = S A_c, FS_c = F_c S, SY_c = S Y_c, YQ_c = Y_c Q:
 *   2D_cc' = <AQ_c, SA_c'> + 2<FS_c, SY_c'> + 2<FS_c', SY_c> + 2<YQ_c, SA_c'> + 2<YQ_c', SA_c>. */
static void DriftFY(PetscInt N, const double *k, const double *A, double *F, double *Y)
{
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt j = 0; j < N; j++) {
      F[RD_IDX2(i, j, N)] = -0.5 * (A[RD_IDX2(i, j, N)] * k[j] + A[RD_IDX2(j, i, N)] * k[i]);
      Y[RD_IDX2(i, j, N)] = F[RD_IDX2(i, j, N)] / (k[i] + k[j]);
    }
}

PetscErrorCode RdTheoryDiffusionMatrix(PetscInt N, PetscInt t, const double *k, const double *Q, const double *S, const double *A, double *out)
{
  const size_t NN = (size_t)N * (size_t)N;
  double      *AQ, *SA, *FS, *SY, *YQ, *F, *Y;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc7(t * NN, &AQ, t * NN, &SA, t * NN, &FS, t * NN, &SY, t * NN, &YQ, NN, &F, NN, &Y));
  for (PetscInt c = 0; c < t; c++) {
    const double *Ac = A + c * NN;
    DriftFY(N, k, Ac, F, Y);
    RdTheoryMatMul(N, N, N, Ac, Q, AQ + c * NN);
    RdTheoryMatMul(N, N, N, S, Ac, SA + c * NN);
    RdTheoryMatMul(N, N, N, F, S, FS + c * NN);
    RdTheoryMatMul(N, N, N, S, Y, SY + c * NN);
    RdTheoryMatMul(N, N, N, Y, Q, YQ + c * NN);
  }
  for (PetscInt c = 0; c < t; c++)
    for (PetscInt c2 = 0; c2 < t; c2++)
      out[RD_IDX2(c, c2, t)] = RdDot(AQ + c * NN, SA + c2 * NN, NN) + 2.0 * RdDot(FS + c * NN, SY + c2 * NN, NN) + 2.0 * RdDot(FS + c2 * NN, SY + c * NN, NN) + 2.0 * RdDot(YQ + c * NN, SA + c2 * NN, NN) + 2.0 * RdDot(YQ + c2 * NN, SA + c * NN, NN);
  PetscCall(PetscFree7(AQ, SA, FS, SY, YQ, F, Y));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* tr(X1 X2 X3 X4) by explicit products */
static double TraceOfProduct4(PetscInt N, const double *X1, const double *X2, const double *X3, const double *X4, double *work1, double *work2)
{
  double trace = 0.0;
  RdTheoryMatMul(N, N, N, X1, X2, work1);
  RdTheoryMatMul(N, N, N, work1, X3, work2);
  RdTheoryMatMul(N, N, N, work2, X4, work1);
  for (PetscInt i = 0; i < N; i++) trace += work1[RD_IDX2(i, i, N)];
  return trace;
}

PetscErrorCode RdTheoryDiffusionMatrixReference(PetscInt N, PetscInt t, const double *k, const double *Q, const double *S, const double *A, double *out)
{
  const size_t NN = (size_t)N * (size_t)N;
  double      *block, *F1, *Y1, *F2, *Y2, *A1t, *A2t, *work1, *work2;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(8 * NN, &block));
  F1 = block, Y1 = F1 + NN, F2 = Y1 + NN, Y2 = F2 + NN, A1t = Y2 + NN, A2t = A1t + NN, work1 = A2t + NN, work2 = work1 + NN;
  for (PetscInt c = 0; c < t; c++)
    for (PetscInt c2 = 0; c2 < t; c2++) {
      const double *A1 = A + c * NN, *A2 = A + c2 * NN;
      DriftFY(N, k, A1, F1, Y1);
      DriftFY(N, k, A2, F2, Y2);
      for (PetscInt i = 0; i < N; i++)
        for (PetscInt j = 0; j < N; j++) {
          A1t[RD_IDX2(i, j, N)] = A1[RD_IDX2(j, i, N)];
          A2t[RD_IDX2(i, j, N)] = A2[RD_IDX2(j, i, N)];
        }
      out[RD_IDX2(c, c2, t)] = TraceOfProduct4(N, A1, Q, A2t, S, work1, work2) + 2.0 * TraceOfProduct4(N, F1, S, Y2, S, work1, work2) + 2.0 * TraceOfProduct4(N, F2, S, Y1, S, work1, work2) + 2.0 * TraceOfProduct4(N, Y1, Q, A2t, S, work1, work2) + 2.0 * TraceOfProduct4(N, Y2, Q, A1t, S, work1, work2);
    }
  PetscCall(PetscFree(block));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The theory, step by step                                                                     */

typedef struct {
  PetscInt      n, m, d, K, P, num_generators, t, N, width;
  const RdTask *task;
  RdLinearHyper hyper;   /* lr, weight decay, dropout, input noise of the trained objective */
  double        g, eta;
  PetscInt      batch;
  double       *theta;   /* [P] theta* at computed width: W1 then W2 */
  double       *hessian; /* [P][P] */
  double       *noise;   /* [P][P] C / b: covariance of one step's gradient at theta* */
  double       *Om;      /* [t][m][m] orthonormal-tangent generators Om_c */
  double       *tangent; /* [t][P] tau_c = (Om_c W1*, -W2* Om_c), orthonormal */
  double       *h, *k;   /* [N] normal eigenvalues of H and k_i = eta h_i */
  double       *normal;  /* [N][P] normal eigenvectors v_i */
  double       *Q, *S;   /* [N][N] */
  double       *A;       /* [t][N][N] A_c = V^T Omhat_c V */
} Theory;

/* Omhat(Om) (dW1, dW2) = (Om dW1, -dW2 Om); applied to theta* it gives the tangent vector. */
static void ApplyGenerator(const Theory *th, const double *Om, const double *in, double *out)
{
  const PetscInt m = th->m, n = th->n, d = th->d, off = m * n;
  RdTheoryMatMul(m, m, n, Om, in, out);
  RdTheoryMatMul(d, m, m, in + off, Om, out + off);
  for (PetscInt a = off; a < th->P; a++) out[a] = -out[a];
}

/* Elementary generator a (pairs i < j in row order): E = e_i e_j^T - e_j e_i^T. */
static void ElementaryGenerator(PetscInt m, PetscInt a, double *E)
{
  PetscInt i = 0, j, count = a;
  while (count >= m - 1 - i) count -= m - 1 - i++;
  j = i + 1 + count;
  for (PetscInt b = 0; b < m * m; b++) E[b] = 0.0;
  E[RD_IDX2(i, j, m)] = 1.0;
  E[RD_IDX2(j, i, m)] = -1.0;
}

static PetscErrorCode ValidateInput(const RdTheoryInput *in)
{
  PetscFunctionBeginUser;
  PetscCheck(in->task, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Drift theory needs a task");
  PetscCheck(in->weight_decay > 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-weight_decay must be > 0 for the drift theory (got %g): without it the minimum is not an isolated orbit and SGD stops at a zero-error solution", in->weight_decay);
  PetscCheck(in->lr > 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-lr must be > 0 for the drift theory (got %g)", in->lr);
  PetscCheck(in->width >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value must be at least 1 (got %" PetscInt_FMT ")", in->width);
  PetscCheck(in->input_noise >= 0.0 && isfinite(in->input_noise), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_noise must be finite and >= 0 (got %g)", in->input_noise);
  PetscCheck(in->dropout >= 0.0 && in->dropout < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_dropout values must lie in [0, 1) (got %g)", in->dropout);
  PetscCheck(in->batch >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-batch must be at least 1 (got %" PetscInt_FMT ")", in->batch);
  PetscCheck(!in->W1_start == !in->W2_start, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Drift theory: give both W1_start and W2_start, or neither");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Orthonormal basis U [width][mc] of the hidden directions theta* uses: the top mc eigenvectors
 * of W1* W1*^T + W2*^T W2* (width x width). Without dropout theta* has rank <= mc, so
 * (U^T W1*, W2* U) at width mc is the same network (asserted). */
static PetscErrorCode HiddenSubspace(const Theory *th, const double *W1, const double *W2, double *U)
{
  const PetscInt w = th->width, n = th->n, d = th->d, mc = th->m;
  double        *gram, *eig, *vec;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(w * w, &gram, w, &eig, w * w, &vec));
  for (PetscInt i = 0; i < w; i++)
    for (PetscInt j = 0; j < w; j++) {
      double sum = RdDot(W1 + RD_IDX2(i, 0, n), W1 + RD_IDX2(j, 0, n), n);
      for (PetscInt r = 0; r < d; r++) sum += W2[RD_IDX2(r, i, w)] * W2[RD_IDX2(r, j, w)];
      gram[RD_IDX2(i, j, w)] = sum;
    }
  PetscCall(RdTheorySymmetricEigen(w, gram, eig, vec));
  for (PetscInt i = 0; i < w; i++)
    for (PetscInt c = 0; c < mc; c++) U[RD_IDX2(i, c, mc)] = vec[RD_IDX2(c, i, w)];
  PetscCheck(mc == w || eig[mc] <= HIDDEN_SUBSPACE_TOL * eig[0], PETSC_COMM_SELF, PETSC_ERR_PLIB, "Drift theory: theta* uses more than %" PetscInt_FMT " hidden directions (eigenvalue %g of %g)", mc, eig[mc], eig[0]);
  PetscCall(PetscFree3(gram, eig, vec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* theta* at width m (from the random init or from the given start), its hidden basis, and at
 * computed width H and the noise covariance of one step. */
static PetscErrorCode TheoryMinimum(const RdTheoryInput *in, Theory *th, RdTheoryResult *res)
{
  const PetscInt w = th->width, mc = th->m, n = th->n, d = th->d, off = mc * n;
  double        *mean;

  PetscFunctionBeginUser;
  if (in->W1_start) {
    PetscCall(RdTheoryMinimumFrom(th->task, w, &th->hyper, in->W1_start, in->W2_start, res->W1_star, res->W2_star, &res->L_star, &res->grad_norm));
    if (mc < w) PetscCall(HiddenSubspace(th, res->W1_star, res->W2_star, res->hidden_basis));
    else /* at full width the units themselves (dropout is not rotation invariant) */
      for (PetscInt i = 0; i < w; i++)
        for (PetscInt c = 0; c < mc; c++) res->hidden_basis[RD_IDX2(i, c, mc)] = i == c ? 1.0 : 0.0;
  } else {
    PetscCall(RdTheoryMinimum(th->task, w, &th->hyper, in->seed, in->replicate, res->W1_star, res->W2_star, &res->L_star, &res->grad_norm));
    for (PetscInt i = 0; i < w; i++)
      for (PetscInt c = 0; c < mc; c++) res->hidden_basis[RD_IDX2(i, c, mc)] = i == c ? 1.0 : 0.0;
  }
  /* theta at computed width: (U^T W1*, W2* U) */
  for (PetscInt c = 0; c < mc; c++)
    for (PetscInt j = 0; j < n; j++) {
      double sum = 0.0;
      for (PetscInt i = 0; i < w; i++) sum += res->hidden_basis[RD_IDX2(i, c, mc)] * res->W1_star[RD_IDX2(i, j, n)];
      th->theta[RD_IDX2(c, j, n)] = sum;
    }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt c = 0; c < mc; c++) {
      double sum = 0.0;
      for (PetscInt i = 0; i < w; i++) sum += res->W2_star[RD_IDX2(r, i, w)] * res->hidden_basis[RD_IDX2(i, c, mc)];
      th->theta[off + RD_IDX2(r, c, mc)] = sum;
    }
  PetscCall(RdTheoryHessian(th->task, mc, &th->hyper, th->theta, th->theta + off, th->hessian));
  PetscCall(PetscMalloc1(th->P, &mean));
  PetscCall(RdTheoryNoiseCovariance(th->task, mc, &th->hyper, th->theta, th->theta + off, th->noise, mean));
  PetscCall(PetscFree(mean));
  res->noise_trace = 0.0;
  for (PetscInt a = 0; a < th->P * th->P; a++) th->noise[a] /= (double)th->batch;
  for (PetscInt a = 0; a < th->P; a++) res->noise_trace += th->noise[RD_IDX2(a, a, th->P)];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Orthonormal tangent basis: Gram matrix of the elementary generators' tangent vectors,
 * G = U Lam U^T, keep lam_c > 1e-9 lam_max, Om_c = sum_a U_ac E_a / sqrt(lam_c). */
static PetscErrorCode TangentBasis(Theory *th)
{
  const PetscInt na = th->num_generators, P = th->P, mm = th->m * th->m;
  double        *E, *taus, *gram, *lam, *U;

  PetscFunctionBeginUser;
  th->t = 0;
  /* dropout breaks the O(m) symmetry: no orbit, no tangent space */
  if (na == 0 || th->hyper.dropout > 0.0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc5(mm, &E, na * P, &taus, na * na, &gram, na, &lam, na * na, &U));
  for (PetscInt a = 0; a < na; a++) {
    ElementaryGenerator(th->m, a, E);
    ApplyGenerator(th, E, th->theta, taus + RD_IDX2(a, 0, P));
  }
  for (PetscInt a = 0; a < na; a++)
    for (PetscInt b = 0; b < na; b++) gram[RD_IDX2(a, b, na)] = RdDot(taus + RD_IDX2(a, 0, P), taus + RD_IDX2(b, 0, P), (size_t)P);
  PetscCall(RdSymmetricEigenpairs(gram, na, na, lam, U, na, 1)); /* all pairs: EPSLAPACK keeps the exact zeros of tangent directions */
  for (PetscInt c = 0; c < na && lam[0] > 0.0 && lam[c] > TANGENT_KEEP * lam[0]; c++) {
    double *Om = th->Om + (size_t)c * mm, *tau = th->tangent + RD_IDX2(c, 0, P);
    for (PetscInt b = 0; b < mm; b++) Om[b] = 0.0;
    for (PetscInt b = 0; b < P; b++) tau[b] = 0.0;
    for (PetscInt a = 0; a < na; a++) {
      const double w = U[RD_IDX2(c, a, na)] / sqrt(lam[c]);
      ElementaryGenerator(th->m, a, E);
      for (PetscInt b = 0; b < mm; b++) Om[b] += w * E[b];
      for (PetscInt b = 0; b < P; b++) tau[b] += w * taus[RD_IDX2(a, b, P)];
    }
    th->t = c + 1;
  }
  PetscCall(PetscFree5(E, taus, gram, lam, U));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The structural facts without dropout: H tau_c = 0 (theta* is a minimum of an O(m)-invariant L)
 * and C tau_c = 0 (every presentation's loss, input noise included, is invariant on its own, so
 * no gradient has a tangent component; |C tau| / tr C is linear in that component, so rounding
 * leaves ~1e-16 where the quadratic form tau^T C tau would leave its square root). */
static PetscErrorCode CheckTangent(const Theory *th, double h_max, RdTheoryResult *res)
{
  const PetscInt P = th->P;
  double        *Htau, *Ctau, trace_C = 0.0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(P, &Htau, P, &Ctau));
  for (PetscInt a = 0; a < P; a++) trace_C += th->noise[RD_IDX2(a, a, P)];
  res->hessian_tangent_residual = res->gradient_tangent_residual = 0.0;
  for (PetscInt c = 0; c < th->t; c++) {
    const double *tau = th->tangent + RD_IDX2(c, 0, P);
    RdTheoryMatMul(P, P, 1, th->hessian, tau, Htau);
    RdTheoryMatMul(P, P, 1, th->noise, tau, Ctau);
    res->hessian_tangent_residual = PetscMax(res->hessian_tangent_residual, sqrt(RdDot(Htau, Htau, (size_t)P)) / h_max);
    if (trace_C > 0.0) res->gradient_tangent_residual = PetscMax(res->gradient_tangent_residual, sqrt(RdDot(Ctau, Ctau, (size_t)P)) / trace_C);
  }
  PetscCall(PetscFree2(Htau, Ctau));
  PetscCheck(res->hessian_tangent_residual < HESSIAN_TANGENT_TOL, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Drift theory: |H tau| / h_max = %g at theta* (must be ~0): theta* is not a minimum of the rotation-invariant loss; check -weight_decay (%g)", res->hessian_tangent_residual, th->g);
  PetscCheck(res->gradient_tangent_residual < GRADIENT_TANGENT_TOL, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Drift theory: |C tau| / tr C = %g at theta* (must be ~0): the per-presentation losses are not rotation invariant", res->gradient_tangent_residual);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* H restricted to N = T^perp: eigenpairs of Pi H Pi, Pi = 1 - sum_c tau_c tau_c^T (H itself when
 * there is no tangent space); keep h_i > 1e-7 h_max. Their count must be P - dim T and none may
 * be negative: otherwise theta* is not an isolated orbit of minima (a flat family that no
 * symmetry explains, or a saddle) and the theory does not hold (*holds = false, res->why). */
static PetscErrorCode NormalBasis(Theory *th, RdTheoryResult *res, PetscBool *holds)
{
  const PetscInt P = th->P;
  double        *proj = NULL, *work = NULL, *projected, *eig, *vec;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(P * P, &projected, P, &eig, P * P, &vec));
  if (th->t > 0) {
    PetscCall(PetscMalloc2(P * P, &proj, P * P, &work));
    for (PetscInt a = 0; a < P; a++)
      for (PetscInt b = 0; b < P; b++) {
        double value = a == b ? 1.0 : 0.0;
        for (PetscInt c = 0; c < th->t; c++) value -= th->tangent[RD_IDX2(c, a, P)] * th->tangent[RD_IDX2(c, b, P)];
        proj[RD_IDX2(a, b, P)] = value;
      }
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, P, P, P, 1.0, proj, th->hessian, 0.0, work));
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, P, P, P, 1.0, work, proj, 0.0, projected));
    PetscCall(PetscFree2(proj, work));
  } else PetscCall(PetscArraycpy(projected, th->hessian, P * P));
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < a; b++) projected[RD_IDX2(a, b, P)] = projected[RD_IDX2(b, a, P)] = 0.5 * (projected[RD_IDX2(a, b, P)] + projected[RD_IDX2(b, a, P)]);
  PetscCall(RdSymmetricEigenpairs(projected, P, P, eig, vec, P, 1));
  th->N = 0;
  while (th->N < P && eig[th->N] > NORMAL_KEEP * eig[0]) th->N++;
  res->hessian_max = eig[0];
  *holds           = th->N == P - th->t && eig[P - 1] > -NORMAL_KEEP * eig[0] ? PETSC_TRUE : PETSC_FALSE;
  if (!*holds) {
    res->failure = eig[P - 1] <= -NORMAL_KEEP * eig[0] ? RD_THEORY_NOT_A_MINIMUM : RD_THEORY_FLAT_MINIMUM;
    if (eig[P - 1] <= -NORMAL_KEEP * eig[0]) PetscCall(PetscSNPrintf(res->why, sizeof res->why, "theta* is not a minimum: H has eigenvalue %.3g (h_max %.3g)", eig[P - 1], eig[0]));
    else PetscCall(PetscSNPrintf(res->why, sizeof res->why, "the minimum is not isolated: H has %" PetscInt_FMT " eigenvalues below 1e-7 h_max beyond the %" PetscInt_FMT " symmetry directions (a flat family of minima that no symmetry explains)", P - th->t - th->N, th->t));
    th->N = 0;
  }
  PetscCall(PetscMalloc3(th->N, &th->h, th->N, &th->k, th->N * P, &th->normal));
  for (PetscInt i = 0; i < th->N; i++) {
    th->h[i] = eig[i];
    th->k[i] = th->eta * eig[i];
    PetscCall(PetscArraycpy(th->normal + RD_IDX2(i, 0, P), vec + RD_IDX2(i, 0, P), P));
  }
  res->hessian_min = th->N ? th->h[th->N - 1] : RD_NAN;
  PetscCall(PetscFree3(projected, eig, vec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The OU algebra below assumes an orthonormal V and a stable linearised SGD (0 < k_i < 2). */
static PetscErrorCode CheckNormalBasis(const Theory *th, const RdTheoryInput *in)
{
  const PetscInt P = th->P;
  double        *gram, worst = 0.0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(th->N * th->N, &gram));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, th->N, th->N, P, 1.0, th->normal, th->normal, 0.0, gram));
  for (PetscInt i = 0; i < th->N; i++)
    for (PetscInt j = 0; j <= i; j++) worst = PetscMax(worst, fabs(gram[RD_IDX2(i, j, th->N)] - (i == j ? 1.0 : 0.0)));
  PetscCall(PetscFree(gram));
  PetscCheck(worst < ORTHONORMAL_TOL, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Drift theory: normal eigenbasis from SLEPc is not orthonormal (error %g)", worst);
  PetscCheck(th->N == 0 || th->k[0] < 2.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-lr = %g is too large for the drift theory: eta h_max = %g must be < 2 for SGD to be stable at theta*", in->lr, th->N ? th->k[0] : 0.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Q = eta^2 V C V^T (C per step, batch included); S_ij = Q_ij / (k_i + k_j - k_i k_j) solves
 * S = (1 - K) S (1 - K) + Q. Excess loss 1/2 tr(H S), and its small-eta limit (eta/4) tr C. */
static PetscErrorCode Fluctuation(Theory *th, RdTheoryResult *res)
{
  const PetscInt N = th->N, P = th->P;
  double        *VC;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc2(N * N, &th->Q, N * N, &th->S));
  PetscCall(PetscMalloc1(N * P, &VC));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, N, P, P, 1.0, th->normal, th->noise, 0.0, VC));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, N, N, P, th->eta * th->eta, VC, th->normal, 0.0, th->Q));
  PetscCall(PetscFree(VC));
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt j = 0; j < i; j++) th->Q[RD_IDX2(i, j, N)] = th->Q[RD_IDX2(j, i, N)] = 0.5 * (th->Q[RD_IDX2(i, j, N)] + th->Q[RD_IDX2(j, i, N)]);
  res->excess_loss = 0.0;
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt j = 0; j < N; j++) th->S[RD_IDX2(i, j, N)] = th->Q[RD_IDX2(i, j, N)] / (th->k[i] + th->k[j] - th->k[i] * th->k[j]);
  for (PetscInt i = 0; i < N; i++) res->excess_loss += 0.5 * th->h[i] * th->S[RD_IDX2(i, i, N)];
  res->excess_loss_small_lr = 0.25 * th->eta * res->noise_trace;
  res->relaxation_steps     = N ? 1.0 / th->k[N - 1] : 0.0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Y_s [mc][N]: (Y_s)_{:,i} = (W1 block of v_i) x_s; F_s = tr(Y_s S Y_s^T); and |h_s*|^2. */
static PetscErrorCode StimulusFluctuations(const Theory *th, RdTheoryResult *res)
{
  const PetscInt m = th->m, n = th->n, N = th->N, P = th->P;
  double        *YS, *hstar;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(m * N, &YS, m, &hstar));
  for (PetscInt s = 0; s < th->K; s++) {
    const double *x = th->task->stimuli + RD_IDX2(s, 0, n);
    double       *Y = res->mode_loading + (size_t)s * m * N, F = 0.0;
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt mode = 0; mode < N; mode++) Y[RD_IDX2(i, mode, N)] = RdDot(th->normal + RD_IDX2(mode, i * n, P), x, n);
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, m, N, N, 1.0, Y, th->S, 0.0, YS));
    for (PetscInt a = 0; a < m * N; a++) F += YS[a] * Y[a];
    RdTheoryMatMul(m, n, 1, th->theta, x, hstar);
    res->fluctuation[s]  = F;
    res->h_star_norm2[s] = RdDot(hstar, hstar, (size_t)m);
  }
  PetscCall(PetscFree2(YS, hstar));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A_c = V^T Omhat_c V and the systematic velocity v_c = -tr(A_c K S). Its natural scale is
 * |Om_c|_F k_max |S|_F (|A_c| is bounded by |Om_c|, V orthonormal); a v_c below 1e-9 of that
 * scale is rounding (a reflection symmetry of the data makes v vanish: E3 gives ~1e-12 of it)
 * and is set to exactly 0, so the rotation period is reported as infinite, not as 1e17 steps. */
static PetscErrorCode TangentDrift(Theory *th, RdTheoryResult *res)
{
  const PetscInt N = th->N, P = th->P, t = th->t, mm = th->m * th->m;
  const size_t   NN = (size_t)N * (size_t)N;
  double        *moved;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(t * NN, &th->A));
  PetscCall(PetscMalloc1(N * P, &moved));
  for (PetscInt c = 0; c < t; c++) {
    const double *Om = th->Om + (size_t)c * mm;
    const double  bound = sqrt(RdDot(Om, Om, (size_t)mm)) * (N ? th->k[0] : 0.0) * sqrt(RdDot(th->S, th->S, NN));
    double       *Ac = th->A + c * NN, velocity = 0.0;
    for (PetscInt j = 0; j < N; j++) ApplyGenerator(th, Om, th->normal + RD_IDX2(j, 0, P), moved + RD_IDX2(j, 0, P));
    for (PetscInt i = 0; i < N; i++)
      for (PetscInt j = 0; j < N; j++) Ac[RD_IDX2(i, j, N)] = RdDot(th->normal + RD_IDX2(i, 0, P), moved + RD_IDX2(j, 0, P), (size_t)P);
    for (PetscInt i = 0; i < N; i++)
      for (PetscInt j = 0; j < N; j++) velocity -= Ac[RD_IDX2(i, j, N)] * th->k[j] * th->S[RD_IDX2(j, i, N)];
    res->velocity[c] = fabs(velocity) > VELOCITY_ROUNDING * bound ? velocity : 0.0;
  }
  PetscCall(PetscFree(moved));
  PetscCall(RdTheoryDiffusionMatrix(N, t, th->k, th->Q, th->S, th->A, res->diffusion_matrix));
  res->trace_diffusion = 0.0;
  for (PetscInt c = 0; c < t; c++) res->trace_diffusion += res->diffusion_matrix[RD_IDX2(c, c, t)];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* V = sum_c v_c Om_c, omega = |V|_F / sqrt 2; M = sum_cc' 2D_cc' Om_c^T Om_c', so that
 * sigma_s = sum_cc' 2D_cc' (Om_c h_s*).(Om_c' h_s*) = h_s*^T M h_s*; and the initial angular
 * speed |V h_s*| / |h_s*| of each stimulus. */
static PetscErrorCode StimulusDrift(const Theory *th, RdTheoryResult *res)
{
  const PetscInt m = th->m, n = th->n, t = th->t, mm = m * m;
  double        *V = res->rotation_generator, *M = res->diffusion_metric, *Mh, *Vh;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(m, &Mh, m, &Vh));
  for (PetscInt b = 0; b < mm; b++) V[b] = M[b] = 0.0;
  for (PetscInt c = 0; c < t; c++) {
    const double *Om = th->Om + (size_t)c * mm;
    for (PetscInt b = 0; b < mm; b++) V[b] += res->velocity[c] * Om[b];
    for (PetscInt c2 = 0; c2 < t; c2++) {
      const double *Om2 = th->Om + (size_t)c2 * mm, weight = res->diffusion_matrix[RD_IDX2(c, c2, t)];
      for (PetscInt i = 0; i < m; i++)
        for (PetscInt j = 0; j < m; j++)
          for (PetscInt l = 0; l < m; l++) M[RD_IDX2(i, j, m)] += weight * Om[RD_IDX2(l, i, m)] * Om2[RD_IDX2(l, j, m)];
    }
  }
  res->rotation_rate   = sqrt(RdDot(V, V, (size_t)mm) / 2.0);
  res->rotation_period = res->rotation_rate > 0.0 ? 2.0 * PETSC_PI / res->rotation_rate : INFINITY;
  for (PetscInt s = 0; s < th->K; s++) {
    double *hstar = res->h_star + RD_IDX2(s, 0, m);
    RdTheoryMatMul(m, n, 1, th->theta, th->task->stimuli + RD_IDX2(s, 0, n), hstar);
    RdTheoryMatMul(m, m, 1, M, hstar, Mh);
    RdTheoryMatMul(m, m, 1, V, hstar, Vh);
    res->diffusion[s]            = RdDot(hstar, Mh, (size_t)m);
    res->diffusion_normalized[s] = res->h_star_norm2[s] > 0.0 ? res->diffusion[s] / res->h_star_norm2[s] : RD_NAN;
    res->stimulus_rotation[s]    = res->h_star_norm2[s] > 0.0 ? sqrt(RdDot(Vh, Vh, (size_t)m) / res->h_star_norm2[s]) : RD_NAN;
  }
  PetscCall(PetscFree2(Mh, Vh));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* hbar <- exp(V du) hbar by one classical Runge-Kutta step (error ~ (omega du)^5 / 120). */
static void RotateStep(PetscInt m, const double *V, double du, double *hbar, double *k1, double *k2, double *k3, double *k4, double *tmp)
{
  RdTheoryMatMul(m, m, 1, V, hbar, k1);
  for (PetscInt i = 0; i < m; i++) tmp[i] = hbar[i] + 0.5 * du * k1[i];
  RdTheoryMatMul(m, m, 1, V, tmp, k2);
  for (PetscInt i = 0; i < m; i++) tmp[i] = hbar[i] + 0.5 * du * k2[i];
  RdTheoryMatMul(m, m, 1, V, tmp, k3);
  for (PetscInt i = 0; i < m; i++) tmp[i] = hbar[i] + du * k3[i];
  RdTheoryMatMul(m, m, 1, V, tmp, k4);
  for (PetscInt i = 0; i < m; i++) hbar[i] += du / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
}

/* Simpson's rule on steps of at most 0.01 / omega (one step per interval when omega = 0, where
 * the integrand is constant), hbar advanced by RK4 on the half steps. */
PetscErrorCode RdTheoryVarianceCurve(const RdTheoryResult *res, PetscInt stimulus, PetscInt n_times, const double *times, double *variance)
{
  const PetscInt m = res->computed_width;
  const double   max_step = res->rotation_rate > 0.0 ? 0.01 / res->rotation_rate : INFINITY;
  double        *hbar, *Mh, *work, now = 0.0, integral = 0.0;

  PetscFunctionBeginUser;
  PetscCheck(stimulus >= 0 && stimulus < res->num_stimuli, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Stimulus %" PetscInt_FMT " out of range", stimulus);
  PetscCall(PetscMalloc3(m, &hbar, m, &Mh, 5 * m, &work));
  PetscCall(PetscArraycpy(hbar, res->h_star + RD_IDX2(stimulus, 0, m), m));
  for (PetscInt a = 0; a < n_times; a++) {
    PetscCheck(times[a] >= now, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "RdTheoryVarianceCurve: times must be ascending and >= 0");
    while (now < times[a]) {
      const double du = PetscMin(times[a] - now, max_step);
      double       rate[3];
      for (int half = 0; half < 3; half++) {
        if (half) RotateStep(m, res->rotation_generator, 0.5 * du, hbar, work, work + m, work + 2 * m, work + 3 * m, work + 4 * m);
        RdTheoryMatMul(m, m, 1, res->diffusion_metric, hbar, Mh);
        rate[half] = RdDot(hbar, Mh, (size_t)m);
      }
      integral += du / 6.0 * (rate[0] + 4.0 * rate[1] + rate[2]);
      now += du;
    }
    variance[a] = res->fluctuation[stimulus] + integral;
  }
  PetscCall(PetscFree3(hbar, Mh, work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* rank W1* from the eigenvalues of W1* W1*^T (squared singular values above 1e-12 of the top). */
static PetscErrorCode HiddenRank(const Theory *th, PetscInt *rank)
{
  double *gram, *eig;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(th->m * th->m, &gram, th->m, &eig));
  for (PetscInt i = 0; i < th->m; i++)
    for (PetscInt j = 0; j < th->m; j++) gram[RD_IDX2(i, j, th->m)] = RdDot(th->theta + RD_IDX2(i, 0, th->n), th->theta + RD_IDX2(j, 0, th->n), (size_t)th->n);
  PetscCall(RdSymmetricEigenLAPACK(gram, th->m, PETSC_FALSE, eig)); /* ascending */
  *rank = 0;
  for (PetscInt i = 0; i < th->m; i++) *rank += eig[i] > 1e-12 * eig[th->m - 1] && eig[i] > 0.0;
  PetscCall(PetscFree2(gram, eig));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryHiddenCovariance(const RdTheoryResult *res, PetscInt stimulus, double t_later, double t_earlier, double *covariance)
{
  const PetscInt m = res->width, mc = res->computed_width, N = res->normal_dim;
  double        *G, *YG, *reduced, *UR;

  PetscFunctionBeginUser;
  PetscCheck(stimulus >= 0 && stimulus < res->num_stimuli, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Stimulus %" PetscInt_FMT " out of range", stimulus);
  PetscCheck(t_later >= t_earlier && t_earlier >= 0.0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "RdTheoryHiddenCovariance needs t_later >= t_earlier >= 0");
  if (!res->holds) {
    for (PetscInt a = 0; a < m * m; a++) covariance[a] = RD_NAN;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (res->symmetric) {
    PetscCall(RdTheorySectorsHiddenCovariance(res, stimulus, t_later, t_earlier, covariance));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscMalloc4(N * N, &G, mc * N, &YG, mc * mc, &reduced, m * mc, &UR));
  RdTheoryLagged(N, res->relaxation_rate, res->mode_covariance, t_later, t_earlier, G);
  {
    const double *Y = res->mode_loading + (size_t)stimulus * mc * N;
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, mc, N, N, 1.0, Y, G, 0.0, YG));
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, mc, mc, N, 1.0, YG, Y, 0.0, reduced));
  }
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, m, mc, mc, 1.0, res->hidden_basis, reduced, 0.0, UR));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, m, m, mc, 1.0, UR, res->hidden_basis, 0.0, covariance));
  PetscCall(PetscFree4(G, YG, reduced, UR));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryNoiseShift(const RdTheoryResult *res, PetscInt stimulus, double t, double *shift)
{
  const PetscInt m = res->width, mc = res->computed_width, N = res->normal_dim;
  double        *reduced;

  PetscFunctionBeginUser;
  PetscCheck(stimulus >= 0 && stimulus < res->num_stimuli, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Stimulus %" PetscInt_FMT " out of range", stimulus);
  if (!res->holds || !res->isolated || (!res->symmetric && !res->noise_force)) {
    for (PetscInt i = 0; i < m; i++) shift[i] = RD_NAN;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  if (res->symmetric) {
    PetscCall(RdTheorySectorsNoiseShift(res, stimulus, t, shift));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscMalloc1(mc, &reduced));
  for (PetscInt r = 0; r < mc; r++) {
    const double *Y = res->mode_loading + (size_t)stimulus * mc * N + (size_t)r * N;
    reduced[r]      = 0.0;
    for (PetscInt i = 0; i < N; i++) reduced[r] -= Y[i] * res->noise_force[i] * res->lr / res->relaxation_rate[i] * (1.0 - RdTheoryDecay(res->relaxation_rate[i], t));
  }
  RdTheoryMatMul(m, mc, 1, res->hidden_basis, reduced, shift);
  PetscCall(PetscFree(reduced));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* tr(Y S(t) Y^T) = F_s - sum_r (Y_r . a)^T S (Y_r . a), a_i = (1 - k_i)^t, on top of the curve
 * after relaxation. */
PetscErrorCode RdTheoryVarianceCurveFromStart(const RdTheoryResult *res, PetscInt stimulus, PetscInt n_times, const double *times, double *variance)
{
  const PetscInt m = res->computed_width, N = res->normal_dim;
  double        *a, *ya, *Sya;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryVarianceCurve(res, stimulus, n_times, times, variance));
  if (!res->holds) PetscFunctionReturn(PETSC_SUCCESS);
  if (res->symmetric) { /* F_s + 0 diffusion, minus F_s - tr Cov(h_s(t)) */
    for (PetscInt t = 0; t < n_times; t++) {
      double trace;
      PetscCall(RdTheorySectorsTrace(res, stimulus, times[t], times[t], &trace));
      variance[t] += trace - res->fluctuation[stimulus];
    }
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscMalloc3(N, &a, N, &ya, N, &Sya));
  for (PetscInt t = 0; t < n_times; t++) {
    double unrelaxed = 0.0;
    for (PetscInt i = 0; i < N; i++) a[i] = pow(1.0 - res->relaxation_rate[i], times[t]);
    for (PetscInt r = 0; r < m; r++) {
      const double *Y = res->mode_loading + (size_t)stimulus * m * N + (size_t)r * N;
      for (PetscInt i = 0; i < N; i++) ya[i] = Y[i] * a[i];
      RdTheoryMatMul(N, N, 1, res->mode_covariance, ya, Sya);
      unrelaxed += RdDot(ya, Sya, N);
    }
    variance[t] -= unrelaxed;
  }
  PetscCall(PetscFree3(a, ya, Sya));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryResultAllocate(PetscInt K, PetscInt n, PetscInt d, PetscInt width, PetscInt computed_width, PetscInt num_generators, PetscBool isolated, RdTheoryResult *res)
{
  const PetscInt na = PetscMax(num_generators, 1), mc = computed_width;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(res, sizeof(*res)));
  res->num_stimuli    = K;
  res->input_dim      = n;
  res->output_dim     = d;
  res->width          = width;
  res->computed_width = mc;
  res->num_params     = mc * (n + d);
  res->holds          = PETSC_TRUE;
  res->failure        = RD_THEORY_HOLDS;
  res->nonlinearity   = RD_NAN;
  res->isolated       = isolated;
  PetscCall(PetscCalloc3(width * n, &res->W1_star, d * width, &res->W2_star, width * mc, &res->hidden_basis));
  PetscCall(PetscCalloc5(K, &res->h_star_norm2, K, &res->fluctuation, K, &res->diffusion, K, &res->diffusion_normalized, K, &res->stimulus_rotation));
  PetscCall(PetscCalloc2(na, &res->velocity, na * na, &res->diffusion_matrix));
  PetscCall(PetscCalloc3(K * mc, &res->h_star, mc * mc, &res->rotation_generator, mc * mc, &res->diffusion_metric));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ResultAllocate(const RdTheoryInput *in, const Theory *th, RdTheoryResult *res)
{
  PetscFunctionBeginUser;
  PetscCall(RdTheoryResultAllocate(th->K, th->n, th->d, in->width, th->m, th->num_generators, th->hyper.dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE, res));
  res->lr = in->lr;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryModesAllocate(PetscInt N_modes, PetscInt tangent_dim, RdTheoryResult *res)
{
  const size_t N = (size_t)PetscMax(N_modes, 1), mc = (size_t)res->computed_width;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc3(N, &res->relaxation_rate, N * N, &res->mode_covariance, (size_t)res->num_stimuli * mc * N, &res->mode_loading));
  PetscCall(PetscCalloc1((size_t)PetscMax(tangent_dim, 1) * mc * mc, &res->generators));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The normal-mode arrays of the result once N is known (at least one entry each). */
static PetscErrorCode ModesAllocate(const Theory *th, RdTheoryResult *res)
{
  PetscFunctionBeginUser;
  PetscCall(RdTheoryModesAllocate(th->N, th->t, res));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Where the theory does not hold every prediction is NaN (theta*, L* and H's extremes stay). */
void RdTheoryPredictionsNaN(PetscInt num_generators, RdTheoryResult *res)
{
  const PetscInt K = res->num_stimuli, mm = res->computed_width * res->computed_width, na = PetscMax(num_generators, 1);
  res->holds                = PETSC_FALSE;
  res->normal_dim           = 0;
  res->excess_loss          = res->excess_loss_small_lr = res->trace_diffusion = RD_NAN;
  res->rotation_rate        = res->rotation_period = res->relaxation_steps = RD_NAN;
  res->hessian_min          = RD_NAN;
  for (PetscInt s = 0; s < K; s++) res->fluctuation[s] = res->diffusion[s] = res->diffusion_normalized[s] = res->stimulus_rotation[s] = RD_NAN;
  for (PetscInt a = 0; a < na; a++) res->velocity[a] = RD_NAN;
  for (PetscInt a = 0; a < na * na; a++) res->diffusion_matrix[a] = RD_NAN;
  for (PetscInt a = 0; a < mm; a++) res->rotation_generator[a] = res->diffusion_metric[a] = RD_NAN;
  for (PetscInt a = 0; a < K * res->computed_width; a++) res->h_star[a] = RD_NAN;
  if (res->relaxation_rate) res->relaxation_rate[0] = res->mode_covariance[0] = res->mode_loading[0] = RD_NAN;
}

static void PredictionsNaN(const Theory *th, RdTheoryResult *res) { RdTheoryPredictionsNaN(th->num_generators, res); }

static PetscErrorCode TheoryCreate(const RdTheoryInput *in, Theory *th)
{
  const RdTask *task = in->task;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(th, sizeof(*th)));
  th->task           = task;
  th->n              = task->input_dim;
  th->d              = task->output_dim;
  th->K              = task->num_stimuli;
  th->width          = in->width;
  th->hyper          = (RdLinearHyper){.lr = in->lr, .weight_decay = in->weight_decay, .dropout = in->dropout, .input_noise = in->input_noise, .batch = 1};
  th->m              = in->full_width ? in->width : RdTheoryDescentWidth(task, in->width, in->dropout);
  th->P              = th->m * th->n + th->d * th->m;
  th->num_generators = th->m * (th->m - 1) / 2;
  th->g              = in->weight_decay;
  th->eta            = in->lr;
  th->batch          = in->batch > 0 ? in->batch : 1;
  PetscCall(PetscMalloc4(th->P, &th->theta, th->P * th->P, &th->hessian, th->P * th->P, &th->noise, PetscMax(th->num_generators, 1) * th->m * th->m, &th->Om));
  PetscCall(PetscMalloc1(PetscMax(th->num_generators, 1) * th->P, &th->tangent));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TheoryDestroy(Theory *th)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree4(th->theta, th->hessian, th->noise, th->Om));
  PetscCall(PetscFree(th->tangent));
  PetscCall(PetscFree3(th->h, th->k, th->normal));
  PetscCall(PetscFree2(th->Q, th->S));
  PetscCall(PetscFree(th->A));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The nonlinearity criterion on the dense modes of an isolated minimum (theory_nonlinear.c): the
 * force from every column of sqrt(Sigma(window)), Sigma = V^T G V, mu = -sum_i v_i (v_i . f) / h_i
 * (1 - (1 - k_i)^window), and max_s |J_s mu|^2 / tr(Y_s G Y_s^T). */
static PetscErrorCode DenseNonlinearity(const Theory *th, double window, RdTheoryResult *res)
{
  const PetscInt N = th->N, P = th->P, m = th->m, n = th->n;
  const double   t_w = window > 0.0 ? window : INFINITY;
  double        *G, *GV, *Sigma, *eig, *vec, *force, *mu, *YG;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(N * N, &G, N * P, &GV, P * P, &Sigma, P, &eig, P * P, &vec, P, &force));
  PetscCall(PetscMalloc2(P, &mu, m * N, &YG));
  RdTheoryLagged(N, th->k, th->S, t_w, t_w, G);
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, N, P, N, 1.0, G, th->normal, 0.0, GV));
  PetscCall(RdTheoryGemm(PETSC_TRUE, PETSC_FALSE, P, P, N, 1.0, th->normal, GV, 0.0, Sigma));
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < a; b++) Sigma[RD_IDX2(a, b, P)] = Sigma[RD_IDX2(b, a, P)] = 0.5 * (Sigma[RD_IDX2(a, b, P)] + Sigma[RD_IDX2(b, a, P)]);
  PetscCall(RdTheorySymmetricEigen(P, Sigma, eig, vec));
  for (PetscInt c = 0; c < P; c++)
    for (PetscInt a = 0; a < P; a++) vec[RD_IDX2(c, a, P)] *= sqrt(PetscMax(eig[c], 0.0));
  PetscCall(RdTheoryNoiseInducedForce(th->task, m, &th->hyper, th->theta, P, vec, NULL, force));
  PetscCall(PetscMalloc1(N, &res->noise_force));
  for (PetscInt a = 0; a < P; a++) mu[a] = 0.0;
  for (PetscInt i = 0; i < N; i++) {
    const double *v = th->normal + RD_IDX2(i, 0, P), coefficient = -RdDot(v, force, P) / th->h[i] * (1.0 - RdTheoryDecay(th->k[i], t_w));
    res->noise_force[i] = RdDot(v, force, P);
    for (PetscInt a = 0; a < P; a++) mu[a] += coefficient * v[a];
  }
  res->nonlinearity = 0.0;
  for (PetscInt s = 0; s < th->K; s++) {
    const double *x = th->task->stimuli + RD_IDX2(s, 0, n);
    double        shift = 0.0, F = 0.0;
    double       *Y = NULL;
    for (PetscInt j = 0; j < m; j++) shift += RdDot(mu + j * n, x, n) * RdDot(mu + j * n, x, n);
    PetscCall(PetscMalloc1(m * N, &Y));
    for (PetscInt j = 0; j < m; j++)
      for (PetscInt i = 0; i < N; i++) Y[RD_IDX2(j, i, N)] = RdDot(th->normal + RD_IDX2(i, j * n, P), x, n);
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, m, N, N, 1.0, Y, G, 0.0, YG));
    for (PetscInt a = 0; a < m * N; a++) F += YG[a] * Y[a];
    PetscCall(PetscFree(Y));
    res->nonlinearity = PetscMax(res->nonlinearity, shift / F);
  }
  PetscCall(PetscFree6(G, GV, Sigma, eig, vec, force));
  PetscCall(PetscFree2(mu, YG));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Steps 1-9 of the recipe. Any failure leaves th and res for the caller to free. */
static PetscErrorCode TheorySteps(const RdTheoryInput *in, Theory *th, RdTheoryResult *res)
{
  PetscBool holds = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(TheoryMinimum(in, th, res));
  PetscCall(HiddenRank(th, &res->hidden_rank));
  PetscCall(TangentBasis(th));
  PetscCall(NormalBasis(th, res, &holds));
  PetscCall(CheckTangent(th, res->hessian_max, res));
  res->tangent_dim = th->t;
  res->normal_dim  = th->N;
  PetscCall(ModesAllocate(th, res));
  if (!holds) {
    PredictionsNaN(th, res);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(CheckNormalBasis(th, in));
  PetscCall(Fluctuation(th, res));
  PetscCall(StimulusFluctuations(th, res));
  PetscCall(TangentDrift(th, res));
  PetscCall(StimulusDrift(th, res));
  for (PetscInt i = 0; i < th->N; i++) res->relaxation_rate[i] = th->k[i];
  PetscCall(PetscArraycpy(res->mode_covariance, th->S, th->N * th->N));
  PetscCall(PetscArraycpy(res->generators, th->Om, th->t * th->m * th->m));
  if (th->hyper.dropout > 0.0) {
    PetscCall(DenseNonlinearity(th, in->window_steps, res));
    if (!(res->nonlinearity <= RdTheoryNonlinearityLimit(in))) {
      const double relaxation = res->relaxation_steps, h_min = res->hessian_min;
      res->failure = RD_THEORY_NONLINEAR;
      PetscCall(PetscSNPrintf(res->why, sizeof res->why, "the fluctuations leave the harmonic basin: the SGD noise shifts the mean by |J mu|^2 / F = %.3g of the predicted variance (limit %g; slowest relaxation %.3g steps)", res->nonlinearity, RdTheoryNonlinearityLimit(in), relaxation));
      PredictionsNaN(th, res);
      res->relaxation_steps = relaxation, res->hessian_min = h_min;
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A point whose theory fails (the caller may mark it failed and go on) leaks nothing. */
PetscErrorCode RdTheoryCompute(const RdTheoryInput *in, RdTheoryResult *res)
{
  Theory         th;
  PetscErrorCode step_error;

  PetscFunctionBeginUser;
  PetscCall(ValidateInput(in));
  if (in->dropout > 0.0 && !in->dense && !in->full_width) {
    PetscCall(RdTheorySymmetricCompute(in, res));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(TheoryCreate(in, &th));
  PetscCall(ResultAllocate(in, &th, res));
  step_error = TheorySteps(in, &th, res);
  PetscCall(TheoryDestroy(&th));
  if (step_error) PetscCall(RdTheoryResultDestroy(res));
  PetscCall(step_error);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryResultDestroy(RdTheoryResult *res)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree3(res->W1_star, res->W2_star, res->hidden_basis));
  PetscCall(PetscFree5(res->h_star_norm2, res->fluctuation, res->diffusion, res->diffusion_normalized, res->stimulus_rotation));
  PetscCall(PetscFree2(res->velocity, res->diffusion_matrix));
  PetscCall(PetscFree3(res->h_star, res->rotation_generator, res->diffusion_metric));
  PetscCall(PetscFree3(res->relaxation_rate, res->mode_covariance, res->mode_loading));
  PetscCall(PetscFree(res->generators));
  PetscCall(RdTheorySectorsDestroy(&res->sectors));
  PetscCall(PetscFree(res->noise_force));
  PetscFunctionReturn(PETSC_SUCCESS);
}
