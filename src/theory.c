/* Analytic SGD drift theory of the two-layer linear network (sgd-drift-theory.md): theta* by
 * full-batch descent, the Hessian H, the per-sample gradients g_k (noise covariance C), the
 * tangent basis of the O(m) orbit, the normal eigenbasis of H, the stationary OU covariance S,
 * the excess loss and fluctuations F_s, and the tangent drift (velocity v, diffusion D, sigma_s).
 *
 * Layout: theta = (W1 [m][n], W2 [d][m]) row-major in one vector of length P = m n + d m;
 * every matrix below is row-major. The two symmetric eigenproblems (the Gram matrix of the
 * rotation generators and H on the normal space) go through SLEPc. */
#include <repdrift/theory.h>
#include <repdrift/dense.h>
#include <repdrift/eigen.h>
#include <slepceps.h>
#include <math.h>

#define THEORY_GRAD_TOL          1e-13   /* |grad L| at theta* (the note's recipe) */
#define THEORY_MAX_DESCENT_STEPS 5000000 /* a minimum this slow to reach is nearly degenerate */
#define TANGENT_KEEP             1e-9    /* Gram eigenvalues kept: lam > 1e-9 lam_max */
#define NORMAL_KEEP              1e-7    /* normal eigenvalues kept: h > 1e-7 h_max */
#define HESSIAN_TANGENT_TOL      1e-8    /* asserted: |H tau| / h_max */
#define GRADIENT_TANGENT_TOL     1e-9    /* asserted: |<g_k, tau>| / |g_k| */
#define ORTHONORMAL_TOL          1e-10   /* asserted: |V V^T - 1| of the normal eigenbasis */
#define VELOCITY_ROUNDING        1e-9    /* |v_c| below this fraction of its bound is rounding */

/* ------------------------------------------------------------------------------------------ */
/* Small dense helpers                                                                          */

/* C [rows][cols] = A [rows][inner] B [inner][cols] */
static void MatMul(PetscInt rows, PetscInt inner, PetscInt cols, const double *A, const double *B, double *C)
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

/* ------------------------------------------------------------------------------------------ */
/* Population objective and its gradient                                                        */

/* The data enter the population objective only through these moments (input noise s included):
 * M = sum_k p_k x_k x_k^T + s^2 1, B = sum_k p_k y_k x_k^T, yy = sum_k p_k |y_k|^2. */
typedef struct {
  PetscInt n, d;
  double  *M, *B, yy, trace_M;
  double  *A, *GA, *W1M, *col2, *row1M; /* scratch: [d][n], [d][n], [m][n], [m], [m] */
} Moments;

static PetscErrorCode MomentsCreate(const RdTask *task, PetscInt width, double input_noise, Moments *mo)
{
  const PetscInt n = task->input_dim, d = task->output_dim;

  PetscFunctionBeginUser;
  mo->n = n;
  mo->d = d;
  PetscCall(PetscCalloc5(n * n, &mo->M, d * n, &mo->B, d * n, &mo->A, d * n, &mo->GA, width * n, &mo->W1M));
  PetscCall(PetscCalloc2(width, &mo->col2, width, &mo->row1M));
  mo->yy = 0.0;
  for (PetscInt k = 0; k < task->num_stimuli; k++) {
    const double  p = task->probability[k];
    const double *x = task->stimuli + RD_IDX2(k, 0, n), *y = task->targets + RD_IDX2(k, 0, d);
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt j = 0; j < n; j++) mo->M[RD_IDX2(i, j, n)] += p * x[i] * x[j];
    for (PetscInt r = 0; r < d; r++)
      for (PetscInt j = 0; j < n; j++) mo->B[RD_IDX2(r, j, n)] += p * y[r] * x[j];
    mo->yy += p * RdDot(y, y, d);
  }
  mo->trace_M = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    mo->M[RD_IDX2(i, i, n)] += input_noise * input_noise;
    mo->trace_M += mo->M[RD_IDX2(i, i, n)];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode MomentsDestroy(Moments *mo)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree5(mo->M, mo->B, mo->A, mo->GA, mo->W1M));
  PetscCall(PetscFree2(mo->col2, mo->row1M));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* With A = W2 W1, G_A = A M - B, c = q/(1-q), a_j = |W2[:,j]|^2, b_j = W1[j,:] M W1[j,:]^T:
 *   L       = yy/2 - <A, B> + <A M, A>/2 + c/2 sum_j a_j b_j + g/2 (|W1|^2 + |W2|^2)
 *   dL/dW1  = W2^T G_A + c diag(a) W1 M + g W1,   dL/dW2 = G_A W1^T + c W2 diag(b) + g W2.
 * Also returns (in *lipschitz, if not NULL) a bound on the largest Hessian eigenvalue at this
 * point, tr M (2 + 4c)(|W1|^2 + |W2|^2) + |G_A| + g, that sets a safe descent step. */
static double PopulationGradientKernel(Moments *mo, PetscInt m, double weight_decay, double dropout_factor, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz)
{
  const PetscInt n = mo->n, d = mo->d;
  double         data = 0.5 * mo->yy, dropout = 0.0, norm2 = RdDot(W1, W1, (size_t)(m * n)) + RdDot(W2, W2, d * m);

  MatMul(d, m, n, W2, W1, mo->A);
  MatMul(d, n, n, mo->A, mo->M, mo->GA); /* A M, symmetric M */
  data += 0.5 * RdDot(mo->GA, mo->A, (size_t)(d * n)) - RdDot(mo->A, mo->B, d * n);
  for (PetscInt i = 0; i < d * n; i++) mo->GA[i] -= mo->B[i];
  MatMul(m, n, n, W1, mo->M, mo->W1M);
  for (PetscInt j = 0; j < m; j++) {
    mo->col2[j] = 0.0;
    for (PetscInt r = 0; r < d; r++) mo->col2[j] += W2[RD_IDX2(r, j, m)] * W2[RD_IDX2(r, j, m)];
    mo->row1M[j] = RdDot(mo->W1M + RD_IDX2(j, 0, n), W1 + RD_IDX2(j, 0, n), (size_t)n);
    dropout += mo->col2[j] * mo->row1M[j];
  }
  for (PetscInt j = 0; j < m; j++)
    for (PetscInt c = 0; c < n; c++) {
      double sum = 0.0;
      for (PetscInt r = 0; r < d; r++) sum += W2[RD_IDX2(r, j, m)] * mo->GA[RD_IDX2(r, c, n)];
      grad_W1[RD_IDX2(j, c, n)] = sum + dropout_factor * mo->col2[j] * mo->W1M[RD_IDX2(j, c, n)] + weight_decay * W1[RD_IDX2(j, c, n)];
    }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt j = 0; j < m; j++) {
      const double sum = RdDot(mo->GA + RD_IDX2(r, 0, n), W1 + RD_IDX2(j, 0, n), (size_t)n);
      grad_W2[RD_IDX2(r, j, m)] = sum + dropout_factor * W2[RD_IDX2(r, j, m)] * mo->row1M[j] + weight_decay * W2[RD_IDX2(r, j, m)];
    }
  if (lipschitz) *lipschitz = mo->trace_M * (2.0 + 4.0 * dropout_factor) * norm2 + sqrt(RdDot(mo->GA, mo->GA, d * n)) + weight_decay;
  return data + 0.5 * dropout_factor * dropout + 0.5 * weight_decay * norm2;
}

static double DropoutFactor(double dropout)
{
  return dropout > 0.0 ? dropout / (1.0 - dropout) : 0.0;
}

PetscErrorCode RdTheoryPopulationGradient(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *loss)
{
  Moments mo;

  PetscFunctionBeginUser;
  PetscCall(MomentsCreate(task, width, hyper->input_noise, &mo));
  *loss = PopulationGradientKernel(&mo, width, hyper->weight_decay, DropoutFactor(hyper->dropout), W1, W2, grad_W1, grad_W2, NULL);
  PetscCall(MomentsDestroy(&mo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* theta*                                                                                       */

/* Without dropout the objective is O(m) invariant and every minimum has rank <= min(n, d, K)
 * (rows of W2 W1 outside span{x_k} or columns outside span{y_k} only add to the penalty), so
 * the minimum at that width, padded with zeros, is a minimum at any larger width. */
static PetscInt DescentWidth(const RdTask *task, PetscInt width, double dropout)
{
  if (dropout > 0.0) return width;
  return PetscMin(width, PetscMin(task->num_stimuli, PetscMin(task->input_dim, task->output_dim)));
}

/* Nesterov's accelerated gradient with gradient-based adaptive restart (O'Donoghue and Candes
 * 2015): x+ = y - grad(y) / Lambda(y), y+ = x+ + beta (x+ - x), the momentum dropped whenever
 * grad(y).(x+ - x) > 0. The restart test uses no function values, so it works down to
 * |grad| ~ 1e-13; plain descent needs hours on the nearly flat valleys of the dropout objective.
 * Stops at |grad L(y)| < 1e-13 (*converged, theta = y) or after THEORY_MAX_DESCENT_STEPS. */
static PetscErrorCode Descend(const RdTask *task, const RdLinearHyper *hyper, RdLinearNet *net, double *grad_norm, PetscInt *steps, PetscBool *converged)
{
  const PetscInt m = net->width, n = net->input_dim, d = net->output_dim, off = m * n, P = m * n + d * m;
  const double   dropout_factor = DropoutFactor(hyper->dropout);
  Moments        mo;
  double        *x, *y, *x_prev, *grad, momentum = 1.0;

  PetscFunctionBeginUser;
  PetscCall(MomentsCreate(task, m, hyper->input_noise, &mo));
  PetscCall(PetscMalloc4(P, &x, P, &y, P, &x_prev, P, &grad));
  PetscCall(PetscArraycpy(x, net->W1, off));
  PetscCall(PetscArraycpy(x + off, net->W2, d * m));
  PetscCall(PetscArraycpy(y, x, P));
  *converged = PETSC_FALSE;
  for (*steps = 0; *steps <= THEORY_MAX_DESCENT_STEPS; ++*steps) {
    double lipschitz, uphill = 0.0;
    (void)PopulationGradientKernel(&mo, m, hyper->weight_decay, dropout_factor, y, y + off, grad, grad + off, &lipschitz);
    *grad_norm = sqrt(RdDot(grad, grad, (size_t)P));
    *converged = *grad_norm < THEORY_GRAD_TOL ? PETSC_TRUE : PETSC_FALSE;
    if (*converged || !isfinite(*grad_norm)) break;
    for (PetscInt i = 0; i < P; i++) {
      x_prev[i] = x[i];
      x[i]      = y[i] - grad[i] / lipschitz;
      uphill += grad[i] * (x[i] - x_prev[i]);
    }
    if (uphill > 0.0) momentum = 1.0;
    const double next = 0.5 * (1.0 + sqrt(1.0 + 4.0 * momentum * momentum)), beta = uphill > 0.0 ? 0.0 : (momentum - 1.0) / next;
    for (PetscInt i = 0; i < P; i++) y[i] = x[i] + beta * (x[i] - x_prev[i]);
    momentum = uphill > 0.0 ? 1.0 : next;
  }
  PetscCall(PetscArraycpy(net->W1, y, off));
  PetscCall(PetscArraycpy(net->W2, y + off, d * m));
  PetscCall(PetscFree4(x, y, x_prev, grad));
  PetscCall(MomentsDestroy(&mo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rows of W1 and columns of W2 of the narrow net into the first ones of the wide arrays. */
static void EmbedWidth(const RdLinearNet *net, PetscInt width, double *W1, double *W2)
{
  const PetscInt mc = net->width, n = net->input_dim, d = net->output_dim;
  for (PetscInt i = 0; i < width; i++)
    for (PetscInt j = 0; j < n; j++) W1[RD_IDX2(i, j, n)] = i < mc ? net->W1[RD_IDX2(i, j, n)] : 0.0;
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt i = 0; i < width; i++) W2[RD_IDX2(r, i, width)] = i < mc ? net->W2[RD_IDX2(r, i, mc)] : 0.0;
}

PetscErrorCode RdTheoryMinimum(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, uint64_t seed, PetscInt replicate, double *W1, double *W2, double *loss, double *grad_norm)
{
  RdLinearNet net;
  RdStream    init;
  PetscInt    steps;
  PetscBool   converged;

  PetscFunctionBeginUser;
  PetscCheck(width >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value must be at least 1 (got %" PetscInt_FMT ")", width);
  PetscCheck(hyper->weight_decay >= 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-weight_decay must be >= 0 (got %g)", hyper->weight_decay);
  PetscCheck(hyper->dropout >= 0.0 && hyper->dropout < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_dropout values must lie in [0, 1) (got %g)", hyper->dropout);
  PetscCall(RdLinearNetCreate(task->input_dim, DescentWidth(task, width, hyper->dropout), task->output_dim, &net));
  RdStreamInit(&init, seed, (uint32_t)replicate, RD_PURPOSE(RD_PURPOSE_INIT, 1));
  RdLinearNetInit(&net, 1.0, &init);
  PetscCall(Descend(task, hyper, &net, grad_norm, &steps, &converged));
  EmbedWidth(&net, width, W1, W2);
  *loss = RdLinearPopulationLoss(&net, hyper, task);
  PetscCall(RdLinearNetDestroy(&net));
  PetscCheck(converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Full-batch descent to theta* stopped at |grad L| = %g after %" PetscInt_FMT " steps (needs < %g): the minimum is (nearly) degenerate; is -weight_decay = %g too small?", *grad_norm, steps, THEORY_GRAD_TOL, hyper->weight_decay);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Hessian                                                                                      */

/* Per stimulus, with h = W1 x, e = y - W2 h and J the derivative of W2 W1 x in theta,
 *   J^T J:  [W1_ij, W1_i'j'] = (W2^T W2)_ii' x_j x_j',  [W1_ij, W2_bi'] = W2_bi x_j h_i',
 *           [W2_bi, W2_b'i'] = delta_bb' h_i h_i';
 *   the curvature of W2 W1 x adds [W1_ij, W2_ai] = -e_a x_j.  H = sum_k p_k (...) + g 1. */
PetscErrorCode RdTheoryHessian(const RdTask *task, PetscInt width, double weight_decay, const double *W1, const double *W2, double *hessian)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, P = m * n + d * m, off = m * n;
  double        *h, *e, *W2tW2;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(m, &h, d, &e, m * m, &W2tW2));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) {
      W2tW2[RD_IDX2(i, j, m)] = 0.0;
      for (PetscInt r = 0; r < d; r++) W2tW2[RD_IDX2(i, j, m)] += W2[RD_IDX2(r, i, m)] * W2[RD_IDX2(r, j, m)];
    }
  for (PetscInt a = 0; a < P * P; a++) hessian[a] = 0.0;
  for (PetscInt k = 0; k < task->num_stimuli; k++) {
    const double  p = task->probability[k];
    const double *x = task->stimuli + RD_IDX2(k, 0, n), *y = task->targets + RD_IDX2(k, 0, d);
    MatMul(m, n, 1, W1, x, h);
    MatMul(d, m, 1, W2, h, e);
    for (PetscInt r = 0; r < d; r++) e[r] = y[r] - e[r];
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt j = 0; j < n; j++) {
        const PetscInt row = i * n + j;
        for (PetscInt i2 = 0; i2 < m; i2++)
          for (PetscInt j2 = 0; j2 < n; j2++) hessian[RD_IDX2(row, i2 * n + j2, P)] += p * W2tW2[RD_IDX2(i, i2, m)] * x[j] * x[j2];
        for (PetscInt b = 0; b < d; b++)
          for (PetscInt i2 = 0; i2 < m; i2++) {
            const double value = p * (W2[RD_IDX2(b, i, m)] * x[j] * h[i2] - (i2 == i ? e[b] * x[j] : 0.0));
            hessian[RD_IDX2(row, off + b * m + i2, P)] += value;
            hessian[RD_IDX2(off + b * m + i2, row, P)] += value;
          }
      }
    for (PetscInt b = 0; b < d; b++)
      for (PetscInt i = 0; i < m; i++)
        for (PetscInt i2 = 0; i2 < m; i2++) hessian[RD_IDX2(off + b * m + i, off + b * m + i2, P)] += p * h[i] * h[i2];
  }
  for (PetscInt a = 0; a < P; a++) hessian[RD_IDX2(a, a, P)] += weight_decay;
  PetscCall(PetscFree3(h, e, W2tW2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryHessianReference(const RdTask *task, PetscInt width, double weight_decay, const double *W1, const double *W2, double *hessian)
{
  const PetscInt      m = width, n = task->input_dim, d = task->output_dim, P = m * n + d * m, off = m * n;
  const double        step  = 1e-5;
  const RdLinearHyper hyper = {.lr = 0.0, .weight_decay = weight_decay, .dropout = 0.0, .input_noise = 0.0, .batch = 1};
  double             *theta, *plus, *minus, loss;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(P, &theta, P, &plus, P, &minus));
  PetscCall(PetscArraycpy(theta, W1, off));
  PetscCall(PetscArraycpy(theta + off, W2, d * m));
  for (PetscInt a = 0; a < P; a++) {
    const double saved = theta[a];
    theta[a]           = saved + step;
    PetscCall(RdTheoryPopulationGradient(task, m, &hyper, theta, theta + off, plus, plus + off, &loss));
    theta[a] = saved - step;
    PetscCall(RdTheoryPopulationGradient(task, m, &hyper, theta, theta + off, minus, minus + off, &loss));
    theta[a] = saved;
    for (PetscInt b = 0; b < P; b++) hessian[RD_IDX2(b, a, P)] = (plus[b] - minus[b]) / (2.0 * step);
  }
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < a; b++) {
      const double mean = 0.5 * (hessian[RD_IDX2(a, b, P)] + hessian[RD_IDX2(b, a, P)]);
      hessian[RD_IDX2(a, b, P)] = hessian[RD_IDX2(b, a, P)] = mean;
    }
  PetscCall(PetscFree3(theta, plus, minus));
  PetscFunctionReturn(PETSC_SUCCESS);
}

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
    MatMul(N, N, N, Ac, Q, AQ + c * NN);
    MatMul(N, N, N, S, Ac, SA + c * NN);
    MatMul(N, N, N, F, S, FS + c * NN);
    MatMul(N, N, N, S, Y, SY + c * NN);
    MatMul(N, N, N, Y, Q, YQ + c * NN);
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
  MatMul(N, N, N, X1, X2, work1);
  MatMul(N, N, N, work1, X3, work2);
  MatMul(N, N, N, work2, X4, work1);
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
  PetscInt      n, m, d, K, P, num_generators, t, N;
  const RdTask *task;
  double        g, eta;
  double       *theta;   /* [P] theta*: W1 then W2 */
  double       *hessian; /* [P][P] */
  double       *grads;   /* [K][P] g_k = grad l_k(theta*) */
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
  MatMul(m, m, n, Om, in, out);
  MatMul(d, m, m, in + off, Om, out + off);
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
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* theta* (embedded in the result at width m), H and the per-sample gradients at computed width. */
static PetscErrorCode TheoryMinimum(const RdTheoryInput *in, Theory *th, RdTheoryResult *res)
{
  const RdLinearHyper hyper = {.lr = in->lr, .weight_decay = in->weight_decay, .dropout = 0.0, .input_noise = 0.0, .batch = 1};
  const PetscInt      off   = th->m * th->n;
  RdLinearNet         net;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryMinimum(th->task, in->width, &hyper, in->seed, in->replicate, res->W1_star, res->W2_star, &res->L_star, &res->grad_norm));
  PetscCall(RdLinearNetCreate(th->n, th->m, th->d, &net));
  for (PetscInt i = 0; i < off; i++) net.W1[i] = res->W1_star[i]; /* the first m rows */
  for (PetscInt r = 0; r < th->d; r++)
    for (PetscInt i = 0; i < th->m; i++) net.W2[RD_IDX2(r, i, th->m)] = res->W2_star[RD_IDX2(r, i, in->width)];
  PetscCall(PetscArraycpy(th->theta, net.W1, off));
  PetscCall(PetscArraycpy(th->theta + off, net.W2, th->d * th->m));
  PetscCall(RdTheoryHessian(th->task, th->m, th->g, net.W1, net.W2, th->hessian));
  for (PetscInt k = 0; k < th->K; k++) {
    double *grad = th->grads + RD_IDX2(k, 0, th->P);
    (void)RdLinearSampleGradient(&net, th->g, th->task->stimuli + RD_IDX2(k, 0, th->n), th->task->targets + RD_IDX2(k, 0, th->d), NULL, grad, grad + off);
  }
  PetscCall(RdLinearNetDestroy(&net));
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
  if (na == 0) PetscFunctionReturn(PETSC_SUCCESS);
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

/* The structural facts: H tau_c = 0 (theta* is a minimum of an O(m)-invariant L) and
 * <g_k, tau_c> = 0 (every l_k is invariant on its own). */
static PetscErrorCode CheckTangent(const Theory *th, double h_max, RdTheoryResult *res)
{
  const PetscInt P = th->P;
  double        *Htau;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(P, &Htau));
  res->hessian_tangent_residual = res->gradient_tangent_residual = 0.0;
  for (PetscInt c = 0; c < th->t; c++) {
    const double *tau = th->tangent + RD_IDX2(c, 0, P);
    MatMul(P, P, 1, th->hessian, tau, Htau);
    res->hessian_tangent_residual = PetscMax(res->hessian_tangent_residual, sqrt(RdDot(Htau, Htau, (size_t)P)) / h_max);
    for (PetscInt k = 0; k < th->K; k++) {
      const double *grad = th->grads + RD_IDX2(k, 0, P), norm = sqrt(RdDot(grad, grad, (size_t)P));
      if (norm > 0.0) res->gradient_tangent_residual = PetscMax(res->gradient_tangent_residual, fabs(RdDot(grad, tau, (size_t)P)) / norm);
    }
  }
  PetscCall(PetscFree(Htau));
  PetscCheck(res->hessian_tangent_residual < HESSIAN_TANGENT_TOL, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Drift theory: |H tau| / h_max = %g at theta* (must be ~0): theta* is not a minimum of the rotation-invariant loss; check -weight_decay (%g)", res->hessian_tangent_residual, th->g);
  PetscCheck(res->gradient_tangent_residual < GRADIENT_TANGENT_TOL, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Drift theory: |<g_k, tau>| / |g_k| = %g at theta* (must be ~0): the per-sample losses are not rotation invariant (dropout and input noise are outside the theory)", res->gradient_tangent_residual);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* H restricted to N = T^perp: eigenpairs of Pi H Pi, Pi = 1 - sum_c tau_c tau_c^T; keep
 * h_i > 1e-7 h_max. Their count must be P - dim T: any other zero (or negative) direction means
 * theta* is not an isolated orbit of minima. */
static PetscErrorCode NormalBasis(Theory *th, RdTheoryResult *res)
{
  const PetscInt P = th->P;
  double        *proj, *work, *projected, *eig, *vec;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(P * P, &proj, P * P, &work, P * P, &projected, P, &eig, P * P, &vec));
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < P; b++) {
      double value = a == b ? 1.0 : 0.0;
      for (PetscInt c = 0; c < th->t; c++) value -= th->tangent[RD_IDX2(c, a, P)] * th->tangent[RD_IDX2(c, b, P)];
      proj[RD_IDX2(a, b, P)] = value;
    }
  MatMul(P, P, P, proj, th->hessian, work);
  MatMul(P, P, P, work, proj, projected);
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < a; b++) projected[RD_IDX2(a, b, P)] = projected[RD_IDX2(b, a, P)] = 0.5 * (projected[RD_IDX2(a, b, P)] + projected[RD_IDX2(b, a, P)]);
  PetscCall(RdSymmetricEigenpairs(projected, P, P, eig, vec, P, 1));
  th->N = 0;
  while (th->N < P && eig[th->N] > NORMAL_KEEP * eig[0]) th->N++;
  PetscCheck(th->N == P - th->t && eig[P - 1] > -NORMAL_KEEP * eig[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT,
             "Drift theory: H on the normal space has %" PetscInt_FMT " eigenvalues above 1e-7 h_max (smallest %g, h_max %g), expected P - dim T = %" PetscInt_FMT ": theta* is not an isolated orbit of minima; the theory needs -weight_decay > 0 (got %g) and a nondegenerate minimum",
             th->N, eig[P - 1], eig[0], P - th->t, th->g);
  PetscCall(PetscMalloc3(th->N, &th->h, th->N, &th->k, th->N * P, &th->normal));
  for (PetscInt i = 0; i < th->N; i++) {
    th->h[i] = eig[i];
    th->k[i] = th->eta * eig[i];
    PetscCall(PetscArraycpy(th->normal + RD_IDX2(i, 0, P), vec + RD_IDX2(i, 0, P), P));
  }
  res->hessian_max = th->N ? th->h[0] : 0.0;
  res->hessian_min = th->N ? th->h[th->N - 1] : 0.0;
  PetscCall(PetscFree5(proj, work, projected, eig, vec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The OU algebra below assumes an orthonormal V and a stable linearised SGD (0 < k_i < 2). */
static PetscErrorCode CheckNormalBasis(const Theory *th, const RdTheoryInput *in)
{
  const PetscInt P = th->P;
  double         worst = 0.0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < th->N; i++)
    for (PetscInt j = 0; j <= i; j++) worst = PetscMax(worst, fabs(RdDot(th->normal + RD_IDX2(i, 0, P), th->normal + RD_IDX2(j, 0, P), (size_t)P) - (i == j ? 1.0 : 0.0)));
  PetscCheck(worst < ORTHONORMAL_TOL, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Drift theory: normal eigenbasis from SLEPc is not orthonormal (error %g)", worst);
  PetscCheck(th->N == 0 || th->k[0] < 2.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-lr = %g is too large for the drift theory: eta h_max = %g must be < 2 for SGD to be stable at theta*", in->lr, th->N ? th->k[0] : 0.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Q = eta^2 V^T C V with C = sum_k p_k g_k g_k^T; S_ij = Q_ij / (k_i + k_j - k_i k_j) solves
 * S = (1 - K) S (1 - K) + Q. Excess loss 1/2 tr(H S), and its small-eta limit (eta/4) tr C. */
static PetscErrorCode Fluctuation(Theory *th, RdTheoryResult *res)
{
  const PetscInt N = th->N, P = th->P;
  double        *b, traceC = 0.0;

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc2(N * N, &th->Q, N * N, &th->S));
  PetscCall(PetscMalloc1(N, &b));
  for (PetscInt kk = 0; kk < th->K; kk++) {
    const double *grad = th->grads + RD_IDX2(kk, 0, P), p = th->task->probability[kk];
    traceC += p * RdDot(grad, grad, (size_t)P);
    for (PetscInt i = 0; i < N; i++) b[i] = RdDot(th->normal + RD_IDX2(i, 0, P), grad, (size_t)P);
    for (PetscInt i = 0; i < N; i++)
      for (PetscInt j = 0; j < N; j++) th->Q[RD_IDX2(i, j, N)] += th->eta * th->eta * p * b[i] * b[j];
  }
  res->excess_loss = 0.0;
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt j = 0; j < N; j++) th->S[RD_IDX2(i, j, N)] = th->Q[RD_IDX2(i, j, N)] / (th->k[i] + th->k[j] - th->k[i] * th->k[j]);
  for (PetscInt i = 0; i < N; i++) res->excess_loss += 0.5 * th->h[i] * th->S[RD_IDX2(i, i, N)];
  res->excess_loss_small_lr = 0.25 * th->eta * traceC;
  res->relaxation_steps     = N ? 1.0 / th->k[N - 1] : 0.0;
  PetscCall(PetscFree(b));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* F_s = tr(J_s S J_s^T), (J_s)_{:,i} = (W1 block of v_i) x_s; and |h_s*|^2. */
static PetscErrorCode StimulusFluctuations(const Theory *th, RdTheoryResult *res)
{
  const PetscInt m = th->m, n = th->n, N = th->N, P = th->P;
  double        *J, *hstar;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(N * m, &J, m, &hstar));
  for (PetscInt s = 0; s < th->K; s++) {
    const double *x = th->task->stimuli + RD_IDX2(s, 0, n);
    double        F = 0.0;
    for (PetscInt i = 0; i < N; i++) MatMul(m, n, 1, th->normal + RD_IDX2(i, 0, P), x, J + RD_IDX2(i, 0, m));
    for (PetscInt i = 0; i < N; i++)
      for (PetscInt j = 0; j < N; j++) F += th->S[RD_IDX2(i, j, N)] * RdDot(J + RD_IDX2(i, 0, m), J + RD_IDX2(j, 0, m), (size_t)m);
    MatMul(m, n, 1, th->theta, x, hstar);
    res->fluctuation[s]  = F;
    res->h_star_norm2[s] = RdDot(hstar, hstar, (size_t)m);
  }
  PetscCall(PetscFree2(J, hstar));
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
    MatMul(m, n, 1, th->theta, th->task->stimuli + RD_IDX2(s, 0, n), hstar);
    MatMul(m, m, 1, M, hstar, Mh);
    MatMul(m, m, 1, V, hstar, Vh);
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
  MatMul(m, m, 1, V, hbar, k1);
  for (PetscInt i = 0; i < m; i++) tmp[i] = hbar[i] + 0.5 * du * k1[i];
  MatMul(m, m, 1, V, tmp, k2);
  for (PetscInt i = 0; i < m; i++) tmp[i] = hbar[i] + 0.5 * du * k2[i];
  MatMul(m, m, 1, V, tmp, k3);
  for (PetscInt i = 0; i < m; i++) tmp[i] = hbar[i] + du * k3[i];
  MatMul(m, m, 1, V, tmp, k4);
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
        MatMul(m, m, 1, res->diffusion_metric, hbar, Mh);
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
  int     m = (int)th->m, lwork = -1, info;
  double *gram, *eig, work_size;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(th->m * th->m, &gram, th->m, &eig));
  for (PetscInt i = 0; i < th->m; i++)
    for (PetscInt j = 0; j < th->m; j++) gram[RD_IDX2(i, j, th->m)] = RdDot(th->theta + RD_IDX2(i, 0, th->n), th->theta + RD_IDX2(j, 0, th->n), (size_t)th->n);
  dsyev_("N", "U", &m, gram, &m, eig, &work_size, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "Drift theory: dsyev workspace query failed (info %d)", info);
  lwork = (int)work_size;
  {
    double *work;
    PetscCall(PetscMalloc1(lwork, &work));
    dsyev_("N", "U", &m, gram, &m, eig, work, &lwork, &info);
    PetscCall(PetscFree(work));
  }
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "Drift theory: dsyev failed (info %d)", info);
  *rank = 0;
  for (PetscInt i = 0; i < th->m; i++) *rank += eig[i] > 1e-12 * eig[th->m - 1] && eig[i] > 0.0;
  PetscCall(PetscFree2(gram, eig));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ResultAllocate(const RdTheoryInput *in, const Theory *th, RdTheoryResult *res)
{
  const PetscInt K = th->K, na = PetscMax(th->num_generators, 1);

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(res, sizeof(*res)));
  res->num_stimuli    = K;
  res->input_dim      = th->n;
  res->output_dim     = th->d;
  res->width          = in->width;
  res->computed_width = th->m;
  res->num_params     = th->P;
  PetscCall(PetscCalloc2(in->width * th->n, &res->W1_star, th->d * in->width, &res->W2_star));
  PetscCall(PetscCalloc5(K, &res->h_star_norm2, K, &res->fluctuation, K, &res->diffusion, K, &res->diffusion_normalized, K, &res->stimulus_rotation));
  PetscCall(PetscCalloc2(na, &res->velocity, na * na, &res->diffusion_matrix));
  PetscCall(PetscCalloc3(K * th->m, &res->h_star, th->m * th->m, &res->rotation_generator, th->m * th->m, &res->diffusion_metric));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TheoryCreate(const RdTheoryInput *in, Theory *th)
{
  const RdTask *task = in->task;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(th, sizeof(*th)));
  th->task           = task;
  th->n              = task->input_dim;
  th->d              = task->output_dim;
  th->K              = task->num_stimuli;
  th->m              = in->full_width ? in->width : DescentWidth(task, in->width, 0.0);
  th->P              = th->m * th->n + th->d * th->m;
  th->num_generators = th->m * (th->m - 1) / 2;
  th->g              = in->weight_decay;
  th->eta            = in->lr;
  PetscCall(PetscMalloc3(th->P, &th->theta, th->P * th->P, &th->hessian, th->K * th->P, &th->grads));
  PetscCall(PetscMalloc2(PetscMax(th->num_generators, 1) * th->m * th->m, &th->Om, PetscMax(th->num_generators, 1) * th->P, &th->tangent));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TheoryDestroy(Theory *th)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree3(th->theta, th->hessian, th->grads));
  PetscCall(PetscFree2(th->Om, th->tangent));
  PetscCall(PetscFree3(th->h, th->k, th->normal));
  PetscCall(PetscFree2(th->Q, th->S));
  PetscCall(PetscFree(th->A));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Steps 1-9 of the note's recipe. Any failure leaves th and res for the caller to free. */
static PetscErrorCode TheorySteps(const RdTheoryInput *in, Theory *th, RdTheoryResult *res)
{
  PetscFunctionBeginUser;
  PetscCall(TheoryMinimum(in, th, res));
  PetscCall(HiddenRank(th, &res->hidden_rank));
  PetscCall(TangentBasis(th));
  PetscCall(NormalBasis(th, res));
  PetscCall(CheckTangent(th, res->hessian_max, res));
  PetscCall(CheckNormalBasis(th, in));
  res->tangent_dim = th->t;
  res->normal_dim  = th->N;
  PetscCall(Fluctuation(th, res));
  PetscCall(StimulusFluctuations(th, res));
  PetscCall(TangentDrift(th, res));
  PetscCall(StimulusDrift(th, res));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A point whose theory fails (the caller may mark it failed and go on) leaks nothing. */
PetscErrorCode RdTheoryCompute(const RdTheoryInput *in, RdTheoryResult *res)
{
  Theory         th;
  PetscErrorCode step_error;

  PetscFunctionBeginUser;
  PetscCall(ValidateInput(in));
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
  PetscCall(PetscFree2(res->W1_star, res->W2_star));
  PetscCall(PetscFree5(res->h_star_norm2, res->fluctuation, res->diffusion, res->diffusion_normalized, res->stimulus_rotation));
  PetscCall(PetscFree2(res->velocity, res->diffusion_matrix));
  PetscCall(PetscFree3(res->h_star, res->rotation_generator, res->diffusion_metric));
  PetscFunctionReturn(PETSC_SUCCESS);
}
