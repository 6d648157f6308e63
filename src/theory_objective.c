/* The expected training objective of the linear network and its minimum: the population loss
 * L(theta) = E l over stimulus, input noise and dropout mask (closed form), its gradient and its
 * analytic Hessian, and theta* by full-batch descent.
 *
 * Layout: theta = (W1 [m][n], W2 [d][m]) row-major in one vector of length P = m n + d m. */
#include "kernel_dispatch.h" /* first: no FMA contraction in anything below */
#include "theory_impl.h"

#define THEORY_GRAD_TOL          1e-13   /* |grad L| at theta* (the recipe of the drift theory) */
#define THEORY_MAX_DESCENT_STEPS 5000000 /* a minimum this slow to reach is nearly degenerate */

/* ------------------------------------------------------------------------------------------ */
/* Population objective and its gradient                                                        */

/* The data enter the population objective only through these moments (input noise s included):
 * M = sum_k p_k x_k x_k^T + s^2 1, B = sum_k p_k y_k x_k^T, yy = sum_k p_k |y_k|^2. */
typedef struct {
  PetscInt n, d;
  double  *M, *B, yy, trace_M;
  double  *A, *GA, *W1M, *col2, *row1M, *W1T; /* scratch: [d][n], [d][n], [m][n], [m], [m], [n][m] */
} Moments;

static PetscErrorCode MomentsCreate(const RdTask *task, PetscInt width, double input_noise, Moments *mo)
{
  const PetscInt n = task->input_dim, d = task->output_dim;

  PetscFunctionBeginUser;
  mo->n = n;
  mo->d = d;
  PetscCall(PetscCalloc5(n * n, &mo->M, d * n, &mo->B, d * n, &mo->A, d * n, &mo->GA, width * n, &mo->W1M));
  PetscCall(PetscCalloc3(width, &mo->col2, width, &mo->row1M, n * width, &mo->W1T));
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
  PetscCall(PetscFree3(mo->col2, mo->row1M, mo->W1T));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* With A = W2 W1, G_A = A M - B, c = q/(1-q), a_j = |W2[:,j]|^2, b_j = W1[j,:] M W1[j,:]^T:
 *   L       = yy/2 - <A, B> + <A M, A>/2 + c/2 sum_j a_j b_j + g/2 (|W1|^2 + |W2|^2)
 *   dL/dW1  = W2^T G_A + c diag(a) W1 M + g W1,   dL/dW2 = G_A W1^T + c W2 diag(b) + g W2.
 * Also returns (in *lipschitz, if not NULL) a bound on the largest Hessian eigenvalue at this
 * point, tr M (2 + 4c)(|W1|^2 + |W2|^2) + |G_A| + g, that sets a safe descent step.
 * The reference: plain loops, each sum in its defining order. */
static double PopulationGradientReference(Moments *mo, PetscInt m, double weight_decay, double dropout_factor, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz)
{
  const PetscInt n = mo->n, d = mo->d;
  double         data = 0.5 * mo->yy, dropout = 0.0, norm2 = RdDot(W1, W1, (size_t)(m * n)) + RdDot(W2, W2, d * m);

  RdTheoryMatMul(d, m, n, W2, W1, mo->A);
  RdTheoryMatMul(d, n, n, mo->A, mo->M, mo->GA); /* A M, symmetric M */
  data += 0.5 * RdDot(mo->GA, mo->A, (size_t)(d * n)) - RdDot(mo->A, mo->B, d * n);
  for (PetscInt i = 0; i < d * n; i++) mo->GA[i] -= mo->B[i];
  RdTheoryMatMul(m, n, n, W1, mo->M, mo->W1M);
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

#define GRADIENT_BLOCK 8 /* outputs summed side by side in registers: one AVX-512 vector of doubles */

/* C [rows][cols] = A B with A's element (i, l) at A[i * row_stride + l * col_stride]: each C(i, j)
 * summed from 0.0 over l in order, exactly as RdTheoryMatMul, but a block of a row of C stays in
 * registers for the whole sum instead of being loaded and stored once per l. */
RD_KERNEL_INLINE void MatMulBlocked(PetscInt rows, PetscInt inner, PetscInt cols, const double *A, PetscInt row_stride, PetscInt col_stride, const double *B, double *C)
{
  for (PetscInt i = 0; i < rows; i++) {
    const double *a = A + i * row_stride;
    double       *c = C + RD_IDX2(i, 0, cols);
    PetscInt      j = 0;
    for (; j + GRADIENT_BLOCK <= cols; j += GRADIENT_BLOCK) {
      double acc[GRADIENT_BLOCK] = {0.0};
      for (PetscInt l = 0; l < inner; l++) {
        const double  al = a[l * col_stride];
        const double *b  = B + RD_IDX2(l, j, cols);
        for (int t = 0; t < GRADIENT_BLOCK; t++) acc[t] += al * b[t];
      }
      for (int t = 0; t < GRADIENT_BLOCK; t++) c[j + t] = acc[t];
    }
    for (; j < cols; j++) {
      double sum = 0.0;
      for (PetscInt l = 0; l < inner; l++) sum += a[l * col_stride] * B[RD_IDX2(l, j, cols)];
      c[j] = sum;
    }
  }
}

/* out[j] = RdDot(a, B[j, :], n) for j < m, B [m][n], with BT [n][m] its transpose: RdDot's four
 * partial sums and their final pairing for a block of j at a time (BT's rows give the block unit
 * stride); the j left over after the last full block by RdDot itself. */
RD_KERNEL_INLINE void DotsBlocked(PetscInt n, PetscInt m, const double *a, const double *B, const double *BT, double *out)
{
  PetscInt j = 0;
  for (; j + GRADIENT_BLOCK <= m; j += GRADIENT_BLOCK) {
    double   s0[GRADIENT_BLOCK] = {0.0}, s1[GRADIENT_BLOCK] = {0.0}, s2[GRADIENT_BLOCK] = {0.0}, s3[GRADIENT_BLOCK] = {0.0};
    PetscInt i = 0;
    for (; i + 4 <= n; i += 4) {
      const double *b0 = BT + RD_IDX2(i, j, m), *b1 = b0 + m, *b2 = b1 + m, *b3 = b2 + m;
      for (int t = 0; t < GRADIENT_BLOCK; t++) {
        s0[t] += a[i] * b0[t];
        s1[t] += a[i + 1] * b1[t];
        s2[t] += a[i + 2] * b2[t];
        s3[t] += a[i + 3] * b3[t];
      }
    }
    for (; i < n; i++)
      for (int t = 0; t < GRADIENT_BLOCK; t++) s0[t] += a[i] * BT[RD_IDX2(i, j + t, m)];
    for (int t = 0; t < GRADIENT_BLOCK; t++) out[j + t] = (s0[t] + s1[t]) + (s2[t] + s3[t]);
  }
  for (; j < m; j++) out[j] = RdDot(a, B + RD_IDX2(j, 0, n), n);
}

/* The same numbers as PopulationGradientReference, bit for bit: every sum keeps the reference's
 * order (RdTheoryMatMul's and RdDot's), but independent outputs are summed side by side in
 * registers (MatMulBlocked, DotsBlocked), so each copy vectorises across units or inputs instead
 * of carrying one scalar chain at a time. The descent to theta* calls it up to millions of times;
 * it dominates a days-protocol point with dropout. */
RD_KERNEL_INLINE double PopulationGradientBody(Moments *mo, PetscInt m, double weight_decay, double dropout_factor, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz)
{
  const PetscInt n = mo->n, d = mo->d;
  double         data = 0.5 * mo->yy, dropout = 0.0, norm2 = RdDot(W1, W1, (size_t)(m * n)) + RdDot(W2, W2, d * m);
  double        *col2 = mo->col2, *row1M = mo->row1M, *GA = mo->GA, *W1M = mo->W1M, *W1T = mo->W1T;

  MatMulBlocked(d, m, n, W2, m, 1, W1, mo->A);    /* A = W2 W1 */
  MatMulBlocked(d, n, n, mo->A, n, 1, mo->M, GA); /* A M, symmetric M */
  data += 0.5 * RdDot(GA, mo->A, (size_t)(d * n)) - RdDot(mo->A, mo->B, d * n);
  for (PetscInt i = 0; i < d * n; i++) GA[i] -= mo->B[i];
  MatMulBlocked(m, n, n, W1, n, 1, mo->M, W1M); /* W1 M */
  for (PetscInt j = 0; j < m; j++) col2[j] = 0.0;
  for (PetscInt r = 0; r < d; r++) {
    const double *w2 = W2 + RD_IDX2(r, 0, m);
    for (PetscInt j = 0; j < m; j++) col2[j] += w2[j] * w2[j];
  }
  for (PetscInt j = 0; j < m; j++) {
    row1M[j] = RdDot(W1M + RD_IDX2(j, 0, n), W1 + RD_IDX2(j, 0, n), (size_t)n);
    dropout += col2[j] * row1M[j];
  }
  MatMulBlocked(m, d, n, W2, 1, m, GA, grad_W1); /* W2^T G_A */
  for (PetscInt j = 0; j < m; j++)
    for (PetscInt c = 0; c < n; c++) grad_W1[RD_IDX2(j, c, n)] = grad_W1[RD_IDX2(j, c, n)] + dropout_factor * col2[j] * W1M[RD_IDX2(j, c, n)] + weight_decay * W1[RD_IDX2(j, c, n)];
  for (PetscInt j = 0; j < m; j++)
    for (PetscInt c = 0; c < n; c++) W1T[RD_IDX2(c, j, m)] = W1[RD_IDX2(j, c, n)];
  for (PetscInt r = 0; r < d; r++) {
    double *g = grad_W2 + RD_IDX2(r, 0, m);
    DotsBlocked(n, m, GA + RD_IDX2(r, 0, n), W1, W1T, g); /* G_A W1^T */
    for (PetscInt j = 0; j < m; j++) g[j] = g[j] + dropout_factor * W2[RD_IDX2(r, j, m)] * row1M[j] + weight_decay * W2[RD_IDX2(r, j, m)];
  }
  if (lipschitz) *lipschitz = mo->trace_M * (2.0 + 4.0 * dropout_factor) * norm2 + sqrt(RdDot(GA, GA, d * n)) + weight_decay;
  return data + 0.5 * dropout_factor * dropout + 0.5 * weight_decay * norm2;
}

static double PopulationGradientBaseline(Moments *mo, PetscInt m, double g, double c, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz) { return PopulationGradientBody(mo, m, g, c, W1, W2, grad_W1, grad_W2, lipschitz); }
#if RD_KERNEL_DISPATCH
RD_KERNEL_TARGET_AVX2 static double PopulationGradientAVX2(Moments *mo, PetscInt m, double g, double c, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz) { return PopulationGradientBody(mo, m, g, c, W1, W2, grad_W1, grad_W2, lipschitz); }
RD_KERNEL_TARGET_AVX512 static double PopulationGradientAVX512(Moments *mo, PetscInt m, double g, double c, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz) { return PopulationGradientBody(mo, m, g, c, W1, W2, grad_W1, grad_W2, lipschitz); }
#endif

/* The population objective and its gradient (see PopulationGradientReference) in the copy of the
 * active instruction set (kernel_isa.h). */
static double PopulationGradientKernel(Moments *mo, PetscInt m, double weight_decay, double dropout_factor, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *lipschitz)
{
  switch (RdKernelIsaActive()) {
#if RD_KERNEL_DISPATCH
  case RD_KERNEL_ISA_AVX512: return PopulationGradientAVX512(mo, m, weight_decay, dropout_factor, W1, W2, grad_W1, grad_W2, lipschitz);
  case RD_KERNEL_ISA_AVX2: return PopulationGradientAVX2(mo, m, weight_decay, dropout_factor, W1, W2, grad_W1, grad_W2, lipschitz);
#endif
  default: return PopulationGradientBaseline(mo, m, weight_decay, dropout_factor, W1, W2, grad_W1, grad_W2, lipschitz);
  }
}

struct _n_RdTheoryObjective {
  Moments  mo;
  PetscInt width;
  double   weight_decay, dropout_factor;
};

PetscErrorCode RdTheoryObjectiveCreate(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, RdTheoryObjective *objective)
{
  PetscFunctionBeginUser;
  PetscCall(PetscNew(objective));
  PetscCall(MomentsCreate(task, width, hyper->input_noise, &(*objective)->mo));
  (*objective)->width          = width;
  (*objective)->weight_decay   = hyper->weight_decay;
  (*objective)->dropout_factor = RdTheoryDropoutFactor(hyper->dropout);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryObjectiveGradient(RdTheoryObjective objective, PetscBool reference, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *loss, double *lipschitz)
{
  PetscFunctionBeginUser;
  if (reference) *loss = PopulationGradientReference(&objective->mo, objective->width, objective->weight_decay, objective->dropout_factor, W1, W2, grad_W1, grad_W2, lipschitz);
  else *loss = PopulationGradientKernel(&objective->mo, objective->width, objective->weight_decay, objective->dropout_factor, W1, W2, grad_W1, grad_W2, lipschitz);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryObjectiveDestroy(RdTheoryObjective *objective)
{
  PetscFunctionBeginUser;
  if (!*objective) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(MomentsDestroy(&(*objective)->mo));
  PetscCall(PetscFree(*objective));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryPopulationGradient(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *loss)
{
  RdTheoryObjective objective;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryObjectiveCreate(task, width, hyper, &objective));
  PetscCall(RdTheoryObjectiveGradient(objective, PETSC_FALSE, W1, W2, grad_W1, grad_W2, loss, NULL));
  PetscCall(RdTheoryObjectiveDestroy(&objective));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Mean path                                                                                    */

PetscErrorCode RdTheoryMeanPath(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, PetscInt nsteps, double *W1, double *W2, PetscBool *finite)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, off = m * n, P = m * n + d * m;
  const double   dropout_factor = RdTheoryDropoutFactor(hyper->dropout);
  Moments        mo;
  double        *grad;

  PetscFunctionBeginUser;
  PetscCall(MomentsCreate(task, m, hyper->input_noise, &mo));
  PetscCall(PetscMalloc1(P, &grad));
  *finite = PETSC_TRUE;
  for (PetscInt step = 0; step < nsteps && *finite; step++) {
    const double loss = PopulationGradientKernel(&mo, m, hyper->weight_decay, dropout_factor, W1, W2, grad, grad + off, NULL);
    if (!isfinite(loss)) *finite = PETSC_FALSE;
    for (PetscInt i = 0; i < off; i++) W1[i] -= hyper->lr * grad[i];
    for (PetscInt i = 0; i < d * m; i++) W2[i] -= hyper->lr * grad[off + i];
  }
  PetscCall(PetscFree(grad));
  PetscCall(MomentsDestroy(&mo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* theta*                                                                                       */

PetscInt RdTheoryDescentWidth(const RdTask *task, PetscInt width, double dropout)
{
  /* Without dropout the objective is O(m) invariant and every minimum has rank <= min(n, d, K)
   * (rows of W2 W1 outside span{x_k} or columns outside span{y_k} only add to the penalty; the
   * isotropic input noise adds s^2 |A|_F^2, which does not change that), so the minimum at that
   * width, padded with zeros, is a minimum at any larger width. */
  if (dropout > 0.0) return width;
  return PetscMin(width, PetscMin(task->num_stimuli, PetscMin(task->input_dim, task->output_dim)));
}

/* Nesterov's accelerated gradient with gradient-based adaptive restart (O'Donoghue and Candes
 * 2015): x+ = y - grad(y) / Lambda(y), y+ = x+ + beta (x+ - x), the momentum dropped whenever
 * grad(y).(x+ - x) > 0. The restart test uses no function values, so it works down to
 * |grad| ~ 1e-13; plain descent needs hours on the nearly flat valleys of the dropout objective.
 * theta [P] at width m is the start and the result; stops at |grad L(y)| < 1e-13 (*converged)
 * or after THEORY_MAX_DESCENT_STEPS. */
static PetscErrorCode Descend(const RdTask *task, const RdLinearHyper *hyper, PetscInt m, double fixed_lipschitz, double *theta, double *grad_norm, PetscInt *steps, PetscBool *converged)
{
  const PetscInt n = task->input_dim, d = task->output_dim, off = m * n, P = m * n + d * m;
  const double   dropout_factor = RdTheoryDropoutFactor(hyper->dropout);
  Moments        mo;
  double        *x, *y, *x_prev, *grad, momentum = 1.0;

  PetscFunctionBeginUser;
  PetscCall(MomentsCreate(task, m, hyper->input_noise, &mo));
  PetscCall(PetscMalloc4(P, &x, P, &y, P, &x_prev, P, &grad));
  PetscCall(PetscArraycpy(x, theta, P));
  PetscCall(PetscArraycpy(y, x, P));
  *converged = PETSC_FALSE;
  for (*steps = 0; *steps <= THEORY_MAX_DESCENT_STEPS; ++*steps) {
    double lipschitz, uphill = 0.0;
    (void)PopulationGradientKernel(&mo, m, hyper->weight_decay, dropout_factor, y, y + off, grad, grad + off, &lipschitz);
    if (fixed_lipschitz > 0.0) lipschitz = fixed_lipschitz;
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
  PetscCall(PetscArraycpy(theta, y, P));
  PetscCall(PetscFree4(x, y, x_prev, grad));
  PetscCall(MomentsDestroy(&mo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckMinimumInput(PetscInt width, const RdLinearHyper *hyper)
{
  PetscFunctionBeginUser;
  PetscCheck(width >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value must be at least 1 (got %" PetscInt_FMT ")", width);
  PetscCheck(hyper->weight_decay >= 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-weight_decay must be >= 0 (got %g)", hyper->weight_decay);
  PetscCheck(hyper->dropout >= 0.0 && hyper->dropout < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_dropout values must lie in [0, 1) (got %g)", hyper->dropout);
  PetscCheck(hyper->input_noise >= 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_noise must be >= 0 (got %g)", hyper->input_noise);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The loss at theta* and the convergence verdict shared by both entry points. */
static PetscErrorCode FinishMinimum(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *loss, double grad_norm, PetscInt steps, PetscBool converged)
{
  RdLinearNet net;

  PetscFunctionBeginUser;
  PetscCall(RdLinearNetCreate(task->input_dim, width, task->output_dim, &net));
  PetscCall(PetscArraycpy(net.W1, W1, width * task->input_dim));
  PetscCall(PetscArraycpy(net.W2, W2, task->output_dim * width));
  *loss = RdLinearPopulationLoss(&net, hyper, task);
  PetscCall(RdLinearNetDestroy(&net));
  PetscCheck(converged, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Full-batch descent to theta* stopped at |grad L| = %g after %" PetscInt_FMT " steps (needs < %g): the minimum is (nearly) degenerate; is -weight_decay = %g too small?", grad_norm, steps, THEORY_GRAD_TOL, hyper->weight_decay);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryMinimum(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, uint64_t seed, PetscInt replicate, double *W1, double *W2, double *loss, double *grad_norm)
{
  const PetscInt n = task->input_dim, d = task->output_dim;
  RdLinearNet    net;
  RdStream       init;
  PetscInt       steps, mc;
  PetscBool      converged;
  double        *theta;

  PetscFunctionBeginUser;
  PetscCall(CheckMinimumInput(width, hyper));
  mc = RdTheoryDescentWidth(task, width, hyper->dropout);
  PetscCall(RdLinearNetCreate(n, mc, d, &net));
  RdStreamInit(&init, seed, (uint32_t)replicate, RD_PURPOSE(RD_PURPOSE_INIT, 1));
  RdLinearNetInit(&net, 1.0, &init);
  PetscCall(PetscMalloc1(mc * (n + d), &theta));
  PetscCall(PetscArraycpy(theta, net.W1, mc * n));
  PetscCall(PetscArraycpy(theta + mc * n, net.W2, d * mc));
  PetscCall(Descend(task, hyper, mc, 0.0, theta, grad_norm, &steps, &converged));
  /* rows of W1 and columns of W2 of the narrow net into the first ones of the wide arrays */
  for (PetscInt i = 0; i < width; i++)
    for (PetscInt j = 0; j < n; j++) W1[RD_IDX2(i, j, n)] = i < mc ? theta[RD_IDX2(i, j, n)] : 0.0;
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt i = 0; i < width; i++) W2[RD_IDX2(r, i, width)] = i < mc ? theta[mc * n + RD_IDX2(r, i, mc)] : 0.0;
  PetscCall(PetscFree(theta));
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(FinishMinimum(task, width, hyper, W1, W2, loss, *grad_norm, steps, converged));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The largest curvature of L at theta [P]: 30 power iterations on forward differences of the gradient. */
static PetscErrorCode EstimateCurvature(const RdTask *task, const RdLinearHyper *hyper, PetscInt m, const double *theta, double *h_max)
{
  const PetscInt n = task->input_dim, d = task->output_dim, P = m * (n + d), off = m * n;
  double        *v, *g0, *g1, *shifted, loss;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(P, &v, P, &g0, P, &g1, P, &shifted));
  PetscCall(RdTheoryPopulationGradient(task, m, hyper, theta, theta + off, g0, g0 + off, &loss));
  for (PetscInt a = 0; a < P; a++) v[a] = sin(1.0 + (double)a); /* deterministic start */
  *h_max = 0.0;
  for (int it = 0; it < 30; it++) {
    const double norm = RdNorm(v, P), epsilon = 1e-6 * (1.0 + RdNorm(theta, P)) / norm;
    for (PetscInt a = 0; a < P; a++) shifted[a] = theta[a] + epsilon * v[a];
    PetscCall(RdTheoryPopulationGradient(task, m, hyper, shifted, shifted + off, g1, g1 + off, &loss));
    for (PetscInt a = 0; a < P; a++) v[a] = (g1[a] - g0[a]) / (epsilon * norm);
    *h_max = RdNorm(v, P);
  }
  PetscCall(PetscFree4(v, g0, g1, shifted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryMinimumFrom(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1_start, const double *W2_start, double *W1, double *W2, double *loss, double *grad_norm)
{
  const PetscInt n = task->input_dim, d = task->output_dim;
  PetscInt       steps;
  PetscBool      converged;
  double        *theta, h_max = 0.0;

  PetscFunctionBeginUser;
  PetscCall(CheckMinimumInput(width, hyper));
  PetscCall(PetscMalloc1(width * (n + d), &theta));
  PetscCall(PetscArraycpy(theta, W1_start, width * n));
  PetscCall(PetscArraycpy(theta + width * n, W2_start, d * width));
  PetscCall(EstimateCurvature(task, hyper, width, theta, &h_max));
  for (int attempt = 0;; attempt++) { /* step 1 / (1.5 h_max); a diverging descent restarts with twice the bound */
    PetscCall(PetscArraycpy(theta, W1_start, width * n));
    PetscCall(PetscArraycpy(theta + width * n, W2_start, d * width));
    PetscCall(Descend(task, hyper, width, 1.5 * h_max * (double)(1 << attempt), theta, grad_norm, &steps, &converged));
    if (converged || isfinite(*grad_norm) || attempt == 10) break;
  }
  PetscCall(PetscArraycpy(W1, theta, width * n));
  PetscCall(PetscArraycpy(W2, theta + width * n, d * width));
  PetscCall(PetscFree(theta));
  PetscCall(FinishMinimum(task, width, hyper, W1, W2, loss, *grad_norm, steps, converged));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Hessian                                                                                      */

/* Second derivatives of L (see PopulationGradientKernel), with a_j = |W2[:,j]|^2,
 * W1M = W1 M, b_j = (W1 M W1^T)_jj and c = q/(1-q):
 *   [W1_ia, W1_jb] = (W2^T W2)_ij M_ab + c delta_ij a_i M_ab + g delta
 *   [W2_ri, W2_sj] = delta_rs ((W1 M W1^T)_ij + c delta_ij b_i) + g delta
 *   [W1_ia, W2_rj] = W2_ri (W1M)_ja + delta_ij ((A M - B)_ra + 2 c W2_ri (W1M)_ia).
 * The first terms are E[J^T J] of the data term (J: derivative of W2 W1 x), the delta_ij (A M - B)
 * term its curvature, the c terms the dropout penalty's. */
PetscErrorCode RdTheoryHessian(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *hessian)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, P = m * n + d * m, off = m * n;
  const double   c = RdTheoryDropoutFactor(hyper->dropout), g = hyper->weight_decay;
  Moments        mo;
  double        *W2tW2, *W1MW1t, *grad, loss;

  PetscFunctionBeginUser;
  PetscCall(MomentsCreate(task, m, hyper->input_noise, &mo));
  PetscCall(PetscMalloc3(m * m, &W2tW2, m * m, &W1MW1t, P, &grad));
  /* fills mo.GA = A M - B, mo.W1M, mo.col2 = a, mo.row1M = b */
  loss = PopulationGradientKernel(&mo, m, g, c, W1, W2, grad, grad + off, NULL);
  (void)loss;
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) {
      double sum = 0.0;
      for (PetscInt r = 0; r < d; r++) sum += W2[RD_IDX2(r, i, m)] * W2[RD_IDX2(r, j, m)];
      W2tW2[RD_IDX2(i, j, m)]  = sum;
      W1MW1t[RD_IDX2(i, j, m)] = RdDot(mo.W1M + RD_IDX2(i, 0, n), W1 + RD_IDX2(j, 0, n), (size_t)n);
    }
  for (PetscInt a = 0; a < P * P; a++) hessian[a] = 0.0;
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt a = 0; a < n; a++) {
      const PetscInt row = i * n + a;
      for (PetscInt j = 0; j < m; j++)
        for (PetscInt b = 0; b < n; b++) hessian[RD_IDX2(row, j * n + b, P)] = (W2tW2[RD_IDX2(i, j, m)] + (i == j ? c * mo.col2[i] : 0.0)) * mo.M[RD_IDX2(a, b, n)];
      for (PetscInt r = 0; r < d; r++)
        for (PetscInt j = 0; j < m; j++) {
          double value = W2[RD_IDX2(r, i, m)] * mo.W1M[RD_IDX2(j, a, n)];
          if (i == j) value += mo.GA[RD_IDX2(r, a, n)] + 2.0 * c * W2[RD_IDX2(r, i, m)] * mo.W1M[RD_IDX2(i, a, n)];
          hessian[RD_IDX2(row, off + r * m + j, P)] = value;
          hessian[RD_IDX2(off + r * m + j, row, P)] = value;
        }
    }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt j = 0; j < m; j++) hessian[RD_IDX2(off + r * m + i, off + r * m + j, P)] = W1MW1t[RD_IDX2(i, j, m)] + (i == j ? c * mo.row1M[i] : 0.0);
  for (PetscInt a = 0; a < P; a++) hessian[RD_IDX2(a, a, P)] += g;
  PetscCall(PetscFree3(W2tW2, W1MW1t, grad));
  PetscCall(MomentsDestroy(&mo));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Second differences of the closed-form expected loss of linear.c (an independent formula):
 * H_ab = [L(+a+b) - L(+a-b) - L(-a+b) + L(-a-b)] / (4 h^2), h = 1e-4 (also for a = b). */
PetscErrorCode RdTheoryHessianReference(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *hessian)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, P = m * n + d * m, off = m * n;
  const double   step = 1e-4;
  RdLinearNet    net;
  double        *theta[2];

  PetscFunctionBeginUser;
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  theta[0] = net.W1;
  theta[1] = net.W2;
  PetscCall(PetscArraycpy(net.W1, W1, off));
  PetscCall(PetscArraycpy(net.W2, W2, d * m));
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b <= a; b++) {
      double *pa = a < off ? theta[0] + a : theta[1] + (a - off), *pb = b < off ? theta[0] + b : theta[1] + (b - off), sum = 0.0;
      for (int sa = -1; sa <= 1; sa += 2)
        for (int sb = -1; sb <= 1; sb += 2) {
          const double saved_a = *pa, saved_b = *pb;
          *pa = saved_a + sa * step;
          *pb += sb * step; /* a = b: the same entry moves by (sa + sb) h */
          sum += sa * sb * RdLinearPopulationLoss(&net, hyper, task);
          *pb = saved_b;
          *pa = saved_a;
        }
      hessian[RD_IDX2(a, b, P)] = hessian[RD_IDX2(b, a, P)] = sum / (4.0 * step * step);
    }
  PetscCall(RdLinearNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The entries of RdTheoryHessian between the parameters of the listed units (same formula; the
 * data enter through A M - B, W1 M, a_j, b_j of the whole network, computed once). */
PetscErrorCode RdTheoryHessianUnits(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, PetscInt num_units, const PetscInt *units, double *hessian)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, k = n + d, Pu = num_units * k;
  const double   c = RdTheoryDropoutFactor(hyper->dropout), g = hyper->weight_decay;
  Moments        mo;
  double        *grad;

  PetscFunctionBeginUser;
  for (PetscInt u = 0; u < num_units; u++) PetscCheck(units[u] >= 0 && units[u] < m, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unit %" PetscInt_FMT " out of [0, %" PetscInt_FMT ")", units[u], m);
  PetscCall(MomentsCreate(task, m, hyper->input_noise, &mo));
  PetscCall(PetscMalloc1(m * (n + d), &grad));
  (void)PopulationGradientKernel(&mo, m, g, c, W1, W2, grad, grad + m * n, NULL); /* GA, W1M, a, b */
  for (PetscInt a = 0; a < Pu * Pu; a++) hessian[a] = 0.0;
  for (PetscInt u = 0; u < num_units; u++)
    for (PetscInt v = 0; v < num_units; v++) {
      const PetscInt i = units[u], j = units[v];
      double         Gij = 0.0, Nij = RdDot(mo.W1M + RD_IDX2(i, 0, n), W1 + RD_IDX2(j, 0, n), (size_t)n);
      for (PetscInt r = 0; r < d; r++) Gij += W2[RD_IDX2(r, i, m)] * W2[RD_IDX2(r, j, m)];
      for (PetscInt a = 0; a < n; a++) {
        double *row = hessian + RD_IDX2(u * k + a, v * k, Pu);
        for (PetscInt b = 0; b < n; b++) row[b] = (Gij + (i == j ? c * mo.col2[i] : 0.0)) * mo.M[RD_IDX2(a, b, n)] + (i == j && a == b ? g : 0.0);
        for (PetscInt r = 0; r < d; r++) {
          double value = W2[RD_IDX2(r, i, m)] * mo.W1M[RD_IDX2(j, a, n)];
          if (i == j) value += mo.GA[RD_IDX2(r, a, n)] + 2.0 * c * W2[RD_IDX2(r, i, m)] * mo.W1M[RD_IDX2(i, a, n)];
          row[n + r]                                        = value;
          hessian[RD_IDX2(v * k + n + r, u * k + a, Pu)] = value;
        }
      }
      for (PetscInt r = 0; r < d; r++) hessian[RD_IDX2(u * k + n + r, v * k + n + r, Pu)] = Nij + (i == j ? c * mo.row1M[i] + g : 0.0);
    }
  PetscCall(PetscFree(grad));
  PetscCall(MomentsDestroy(&mo));
  PetscFunctionReturn(PETSC_SUCCESS);
}
