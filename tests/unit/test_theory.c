/* Drift theory: the population gradient against the per-sample gradients and against central
 * differences of the closed-form population loss, its fast kernel against its reference, the analytic Hessian against its reference,
 * the fast diffusion kernel against the literal trace formula, the E3 reference table, width
 * invariance (E3, E1), independence of the descent's init, the frequency effect and the eta
 * scaling (E1), and the errors for inputs outside the theory. */
#include <repdrift/kernel_isa.h>
#include <repdrift/theory.h>
#include <string.h>
#include "testing.h"

/* ------------------------------------------------------------------------------------------ */
/* Configurations                                                                               */

static RdTheoryInput Input(const RdTask *task, PetscInt width, double lr, PetscBool full_width)
{
  RdTheoryInput in = {.task = task, .width = width, .weight_decay = 0.01, .lr = lr, .seed = 1, .replicate = 0, .full_width = full_width};
  return in;
}

static double RelativeDifference(double a, double b)
{
  return a == b ? 0.0 : fabs(a - b) / fmax(fabs(a), fabs(b));
}

/* ------------------------------------------------------------------------------------------ */
/* Kernels against references                                                                   */

static void RandomArray(RdStream *s, double scale, size_t count, double *a)
{
  for (size_t i = 0; i < count; i++) a[i] = scale * RdStreamNormal(s);
}

/* The fast population-gradient kernel (every instruction-set copy this machine runs) returns the
 * plain-loop reference's gradient, objective and curvature bound bit for bit, at sizes whose
 * loops have remainders (m, n, d not multiples of the vector widths) and at the default sizes. */
static PetscErrorCode TestPopulationGradientKernel(PetscInt m, PetscInt n, PetscInt d, double dropout, double input_noise)
{
  const PetscInt      P     = m * (n + d);
  const RdLinearHyper hyper = {.lr = 0.1, .weight_decay = 1e-3, .dropout = dropout, .input_noise = input_noise, .batch = 1};
  RdTask              task;
  RdStream            s;
  RdTheoryObjective   objective;
  double             *W1, *W2, *reference, *fast, loss_reference, loss_fast, bound_reference, bound_fast;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(4, n, d, 0.25, 7, 1, &task));
  PetscCall(PetscMalloc4(m * n, &W1, d * m, &W2, P, &reference, P, &fast));
  RdStreamInit(&s, 11, 0, RD_PURPOSE_INIT);
  RandomArray(&s, 0.5, (size_t)(m * n), W1);
  RandomArray(&s, 0.5, (size_t)(d * m), W2);
  PetscCall(RdTheoryObjectiveCreate(&task, m, &hyper, &objective));
  PetscCall(RdTheoryObjectiveGradient(objective, PETSC_TRUE, W1, W2, reference, reference + m * n, &loss_reference, &bound_reference));
  for (int isa = RD_KERNEL_ISA_BASELINE; isa <= (int)RdKernelIsaSupported(); isa++) {
    const RdKernelIsa previous = RdKernelIsaLimit((RdKernelIsa)isa);
    PetscCall(RdTheoryObjectiveGradient(objective, PETSC_FALSE, W1, W2, fast, fast + m * n, &loss_fast, &bound_fast));
    (void)RdKernelIsaLimit(previous);
    RD_CHECK(memcmp(fast, reference, (size_t)P * sizeof(double)) == 0 && loss_fast == loss_reference && bound_fast == bound_reference,
             "population gradient (%s copy, m %d n %d d %d, dropout %g, noise %g) bit-identical to the reference", RdKernelIsaName((RdKernelIsa)isa), (int)m, (int)n, (int)d, dropout, input_noise);
  }
  PetscCall(RdTheoryObjectiveDestroy(&objective));
  PetscCall(PetscFree4(W1, W2, reference, fast));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Without dropout and noise the population gradient is sum_k p_k grad l_k exactly, and the
 * objective agrees with RdLinearPopulationLoss (dropout and noise included). */
static PetscErrorCode TestPopulationGradient(double dropout, double input_noise)
{
  const PetscInt      n = 4, m = 6, d = 3, K = 5, P = m * n + d * m;
  const RdLinearHyper hyper = {.lr = 0.1, .weight_decay = 0.03, .dropout = dropout, .input_noise = input_noise, .batch = 1};
  const double        step  = 1e-5;
  RdTask              task;
  RdLinearNet         net;
  RdStream            s;
  double              grad[54], plus[54], sample[54], loss, max_error = 0.0;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(K, n, d, 0.3, 5, 0, &task));
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  RdStreamInit(&s, 3, 0, RD_PURPOSE_INIT);
  RandomArray(&s, 0.7, (size_t)(m * n), net.W1);
  RandomArray(&s, 0.7, (size_t)(d * m), net.W2);
  PetscCall(RdTheoryPopulationGradient(&task, m, &hyper, net.W1, net.W2, grad, grad + m * n, &loss));
  RD_CHECK_CLOSE(loss, RdLinearPopulationLoss(&net, &hyper, &task), 1e-13, "population objective vs RdLinearPopulationLoss");
  if (dropout == 0.0 && input_noise == 0.0) {
    for (PetscInt a = 0; a < P; a++) plus[a] = 0.0;
    for (PetscInt k = 0; k < K; k++) {
      (void)RdLinearSampleGradient(&net, hyper.weight_decay, task.stimuli + k * n, task.targets + k * d, NULL, sample, sample + m * n);
      for (PetscInt a = 0; a < P; a++) plus[a] += task.probability[k] * sample[a];
    }
    for (PetscInt a = 0; a < P; a++) max_error = fmax(max_error, fabs(plus[a] - grad[a]));
    RD_CHECK(max_error < 1e-13, "population gradient = sum_k p_k grad l_k (max error %.3g)", max_error);
  } else {
    double *weights[2] = {net.W1, net.W2};
    size_t  counts[2]  = {(size_t)(m * n), (size_t)(d * m)}, offset = 0;
    for (int layer = 0; layer < 2; offset += counts[layer], layer++)
      for (size_t i = 0; i < counts[layer]; i++) {
        const double saved = weights[layer][i];
        weights[layer][i]  = saved + step;
        const double lp    = RdLinearPopulationLoss(&net, &hyper, &task);
        weights[layer][i]  = saved - step;
        const double lm    = RdLinearPopulationLoss(&net, &hyper, &task);
        weights[layer][i]  = saved;
        max_error          = fmax(max_error, fabs((lp - lm) / (2 * step) - grad[offset + i]));
      }
    RD_CHECK(max_error / MaxAbs(grad, (size_t)P) < 1e-8, "dropout %g, noise %g: population gradient vs central differences of RdLinearPopulationLoss (relative %.3g)", dropout, input_noise, max_error / MaxAbs(grad, (size_t)P));
  }
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Analytic Hessian against second differences of the closed-form expected loss (linear.c). */
static PetscErrorCode CompareHessians(const RdTask *task, PetscInt m, const RdLinearHyper *hyper, const double *W1, const double *W2, const char *what)
{
  const PetscInt P = m * task->input_dim + task->output_dim * m;
  double        *analytic, *reference, error = 0.0, asymmetry = 0.0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(P * P, &analytic, P * P, &reference));
  PetscCall(RdTheoryHessian(task, m, hyper, W1, W2, analytic));
  PetscCall(RdTheoryHessianReference(task, m, hyper, W1, W2, reference));
  for (PetscInt a = 0; a < P * P; a++) error = fmax(error, fabs(analytic[a] - reference[a]));
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < P; b++) asymmetry = fmax(asymmetry, fabs(analytic[a * P + b] - analytic[b * P + a]));
  RD_CHECK(error / MaxAbs(analytic, (size_t)(P * P)) < 1e-6, "%s: analytic Hessian vs second differences of the expected loss, relative %.3g", what, error / MaxAbs(analytic, (size_t)(P * P)));
  RD_CHECK(asymmetry <= 1e-14 * MaxAbs(analytic, (size_t)(P * P)), "%s: analytic Hessian symmetric to rounding (%.3g)", what, asymmetry);
  PetscCall(PetscFree2(analytic, reference));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* At a random point (the error term -e dW2 dW1 x matters there) and at theta* of E1, without and
 * with input noise and dropout (their terms in H: M gains s^2 1, the dropout penalty's blocks). */
static PetscErrorCode TestHessian(double dropout, double input_noise)
{
  const RdLinearHyper hyper = {.lr = 0.025, .weight_decay = 0.01, .dropout = dropout, .input_noise = input_noise, .batch = 1};
  RdTask              task;
  RdStream            s;
  double              W1[15], W2[15], loss, grad_norm;
  char                what[96];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE1(0.4, &task));
  RdStreamInit(&s, 9, 0, RD_PURPOSE_INIT);
  RandomArray(&s, 0.8, 15, W1);
  RandomArray(&s, 0.8, 15, W2);
  PetscCall(PetscSNPrintf(what, sizeof what, "E1 random point, m = 5, dropout %g, noise %g", dropout, input_noise));
  PetscCall(CompareHessians(&task, 5, &hyper, W1, W2, what));
  PetscCall(RdTheoryMinimum(&task, 5, &hyper, 1, 0, W1, W2, &loss, &grad_norm));
  RD_CHECK(grad_norm < 1e-13, "descent reached |grad L| < 1e-13 (%.3g)", grad_norm);
  PetscCall(PetscSNPrintf(what, sizeof what, "E1 theta*, m = 5, dropout %g, noise %g", dropout, input_noise));
  PetscCall(CompareHessians(&task, 5, &hyper, W1, W2, what));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Fast Frobenius-product kernel vs the literal five traces, on random inputs of the right
 * symmetry (A antisymmetric, Q and S symmetric positive). */
static PetscErrorCode TestDiffusionKernel(void)
{
  enum { N = 7, T = 3 };
  RdStream s;
  double   k[N], Q[N * N], S[N * N], A[T * N * N], B[N * N], fast[T * T], reference[T * T], error = 0.0;

  PetscFunctionBeginUser;
  RdStreamInit(&s, 17, 0, RD_PURPOSE_READOUT);
  for (int i = 0; i < N; i++) k[i] = 0.01 + 0.1 * RdStreamUniform(&s);
  RandomArray(&s, 1.0, N * N, B);
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      Q[i * N + j] = 0.0;
      for (int l = 0; l < N; l++) Q[i * N + j] += B[i * N + l] * B[j * N + l];
      S[i * N + j] = Q[i * N + j] / (k[i] + k[j] - k[i] * k[j]);
    }
  for (int c = 0; c < T; c++) {
    RandomArray(&s, 1.0, N * N, B);
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) A[c * N * N + i * N + j] = B[i * N + j] - B[j * N + i];
  }
  PetscCall(RdTheoryDiffusionMatrix(N, T, k, Q, S, A, fast));
  PetscCall(RdTheoryDiffusionMatrixReference(N, T, k, Q, S, A, reference));
  for (int a = 0; a < T * T; a++) error = fmax(error, fabs(fast[a] - reference[a]));
  RD_CHECK(error / MaxAbs(reference, T * T) < 1e-12, "diffusion kernel vs literal traces, relative %.3g", error / MaxAbs(reference, T * T));
  for (int c = 0; c < T; c++)
    for (int c2 = 0; c2 < T; c2++) RD_CHECK(RelativeDifference(fast[c * T + c2], fast[c2 * T + c]) < 1e-12, "2D symmetric (%d,%d)", c, c2);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The E3 reference table                                                                       */

typedef struct {
  double p0, L_star, excess, trace_2D, sigma_normalized, F0, h0_norm2;
} E3Row;

static void CheckRelative(double got, double expected, double tol, const char *what, double p0)
{
  const double rel = fabs(got - expected) / fabs(expected);
  RD_CHECK(rel <= tol, "E3 p0 = %.4f %s: got %.10g expected %.10g (relative %.2e, tol %.0e)", p0, what, got, expected, rel, tol);
  printf("  E3 p0 = %.4f %-18s theory %.10g  table %.10g  relative %.2e\n", p0, what, got, expected, rel);
}

static PetscErrorCode TestE3Table(void)
{
  const E3Row rows[] = {
    {1.0 / 3, 0.0735692276, 1.0702e-3, 1.285e-8, 3.606e-9, 7.43e-4, 0.6467},
    {0.5, 0.0693336721, 1.1182e-3, 1.095e-8, 2.863e-9, 4.30e-4, 0.7840},
    {0.7, 0.0541634928, 8.280e-4, 5.25e-9, 1.311e-9, 1.91e-4, 0.8903},
  };

  PetscFunctionBeginUser;
  for (size_t row = 0; row < sizeof(rows) / sizeof(rows[0]); row++) {
    const E3Row    e = rows[row];
    RdTask         task;
    RdTheoryResult res;
    PetscCall(RdTaskCreateE3(e.p0, &task));
    RdTheoryInput in = Input(&task, 2, 0.025, PETSC_FALSE);
    PetscCall(RdTheoryCompute(&in, &res));
    CheckRelative(res.L_star, e.L_star, 1e-8, "L*", e.p0);
    CheckRelative(res.excess_loss, e.excess, 1e-3, "excess loss", e.p0);
    CheckRelative(res.trace_diffusion, e.trace_2D, 1e-3, "sum_c 2D_cc", e.p0);
    for (PetscInt s = 0; s < 3; s++) {
      char what[64];
      PetscCall(PetscSNPrintf(what, sizeof what, "sigma_%d/|h_%d*|^2", (int)s, (int)s));
      CheckRelative(res.diffusion_normalized[s], e.sigma_normalized, 1e-3, what, e.p0);
    }
    CheckRelative(res.fluctuation[0], e.F0, 1e-3, "F_0", e.p0);
    CheckRelative(res.h_star_norm2[0], e.h0_norm2, 1e-3, "|h_0*|^2", e.p0);
    RD_CHECK(res.grad_norm < 1e-13, "|grad L| at theta* = %.3g < 1e-13", res.grad_norm);
    RD_CHECK(res.tangent_dim == 1 && res.normal_dim == 7 && res.num_params == 8 && res.hidden_rank == 2, "E3 m = 2: dim T = 1, normal dim = P - 1 = 7, rank 2 (got %d, %d, %d, %d)", (int)res.tangent_dim, (int)res.normal_dim, (int)res.num_params, (int)res.hidden_rank);
    RD_CHECK(res.hessian_tangent_residual < 1e-10, "|H tau| / h_max = %.3g ~ 0", res.hessian_tangent_residual);
    RD_CHECK(res.gradient_tangent_residual < 1e-12, "|<g_k, tau>| / |g_k| = %.3g ~ 0", res.gradient_tangent_residual);
    RD_CHECK(res.rotation_rate == 0.0 && isinf(res.rotation_period), "E3 (reflection symmetric): omega = 0 (%g), period inf (%g)", res.rotation_rate, res.rotation_period);
    RD_CHECK(RelativeDifference(res.excess_loss, res.excess_loss_small_lr) < 0.02, "excess loss near its small-eta limit (eta/4) tr C (%.5g vs %.5g)", res.excess_loss, res.excess_loss_small_lr);
    PetscCall(RdTheoryResultDestroy(&res));
    PetscCall(RdTaskDestroy(&task));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Invariances                                                                                  */

/* Every prediction of a and b agrees to tol (relative). */
static void CheckSamePredictions(const RdTheoryResult *a, const RdTheoryResult *b, double tol, const char *what)
{
  double worst = 0.0;
  worst        = fmax(worst, RelativeDifference(a->L_star, b->L_star));
  worst        = fmax(worst, RelativeDifference(a->excess_loss, b->excess_loss));
  worst        = fmax(worst, RelativeDifference(a->trace_diffusion, b->trace_diffusion));
  worst        = fmax(worst, RelativeDifference(a->hessian_min, b->hessian_min));
  worst        = fmax(worst, RelativeDifference(a->hessian_max, b->hessian_max));
  worst        = fmax(worst, RelativeDifference(a->rotation_rate, b->rotation_rate));
  for (PetscInt s = 0; s < a->num_stimuli; s++) {
    worst = fmax(worst, RelativeDifference(a->fluctuation[s], b->fluctuation[s]));
    worst = fmax(worst, RelativeDifference(a->diffusion[s], b->diffusion[s]));
    worst = fmax(worst, RelativeDifference(a->diffusion_normalized[s], b->diffusion_normalized[s]));
    worst = fmax(worst, RelativeDifference(a->h_star_norm2[s], b->h_star_norm2[s]));
    worst = fmax(worst, RelativeDifference(a->stimulus_rotation[s], b->stimulus_rotation[s]));
  }
  RD_CHECK(worst <= tol, "%s: every prediction agrees, worst relative difference %.3g (tol %.0e)", what, worst, tol);
  printf("  %s: worst relative difference %.3g\n", what, worst);
}

/* The tangent dimension of the orbit of a rank-r theta* in width m. */
static PetscInt OrbitDimension(PetscInt m, PetscInt r)
{
  return m * (m - 1) / 2 - (m - r) * (m - r - 1) / 2;
}

static PetscErrorCode CheckWidthInvariance(const RdTask *task, PetscInt narrow, PetscInt wide, const char *what)
{
  RdTheoryResult a, b, c;
  char           label[128];

  PetscFunctionBeginUser;
  RdTheoryInput in_a = Input(task, narrow, 0.025, PETSC_TRUE), in_b = Input(task, wide, 0.025, PETSC_TRUE), in_c = Input(task, wide, 0.025, PETSC_FALSE);
  PetscCall(RdTheoryCompute(&in_a, &a));
  PetscCall(RdTheoryCompute(&in_b, &b));
  PetscCall(RdTheoryCompute(&in_c, &c));
  PetscCall(PetscSNPrintf(label, sizeof label, "%s m = %d vs m = %d (both computed at full width)", what, (int)narrow, (int)wide));
  CheckSamePredictions(&a, &b, 1e-9, label);
  PetscCall(PetscSNPrintf(label, sizeof label, "%s m = %d full width vs reduced to m = %d", what, (int)wide, (int)c.computed_width));
  CheckSamePredictions(&b, &c, 1e-9, label);
  RD_CHECK(b.tangent_dim == OrbitDimension(wide, b.hidden_rank) && b.normal_dim == b.num_params - b.tangent_dim, "%s m = %d: dim T = %d = m(m-1)/2 - (m-r)(m-r-1)/2, normal dim %d = P - dim T", what, (int)wide, (int)b.tangent_dim, (int)b.normal_dim);
  RD_CHECK(b.hessian_tangent_residual < 1e-10 && b.gradient_tangent_residual < 1e-12, "%s m = %d: structural residuals %.3g, %.3g", what, (int)wide, b.hessian_tangent_residual, b.gradient_tangent_residual);
  PetscCall(RdTheoryResultDestroy(&a));
  PetscCall(RdTheoryResultDestroy(&b));
  PetscCall(RdTheoryResultDestroy(&c));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestWidthInvariance(void)
{
  RdTask e3, e1;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE3(1.0 / 3, &e3));
  PetscCall(CheckWidthInvariance(&e3, 2, 16, "E3"));
  PetscCall(RdTaskDestroy(&e3));
  PetscCall(RdTaskCreateE1(0.5, &e1));
  PetscCall(CheckWidthInvariance(&e1, 3, 9, "E1"));
  PetscCall(RdTaskDestroy(&e1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* L* and every prediction are the same from other random inits of the descent. */
static PetscErrorCode TestInitIndependence(void)
{
  RdTask         task;
  RdTheoryResult base, other;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE1(0.3, &task));
  RdTheoryInput in = Input(&task, 5, 0.025, PETSC_TRUE);
  PetscCall(RdTheoryCompute(&in, &base));
  for (uint64_t seed = 2; seed <= 4; seed++) {
    char label[64];
    in.seed = seed;
    PetscCall(RdTheoryCompute(&in, &other));
    RD_CHECK_CLOSE(other.L_star, base.L_star, 1e-13, "L* from another init");
    PetscCall(PetscSNPrintf(label, sizeof label, "E1 m = 5, init seed %d vs 1", (int)seed));
    CheckSamePredictions(&base, &other, 1e-8, label);
    PetscCall(RdTheoryResultDestroy(&other));
  }
  PetscCall(RdTheoryResultDestroy(&base));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Frequency effect and scaling (E1: hidden rank 3)                                             */

static PetscErrorCode TestFrequency(void)
{
  const double   p0s[] = {0.1, 0.25, 0.5, 0.7};
  double         F0_prev = INFINITY, sigma0_prev = INFINITY;
  RdTask         task;
  RdTheoryResult res;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE1(0.5, &task));
  RdTheoryInput in = Input(&task, 3, 0.025, PETSC_FALSE);
  PetscCall(RdTheoryCompute(&in, &res));
  RD_CHECK(res.hidden_rank == 3, "E1 hidden rank 3 (got %d)", (int)res.hidden_rank);
  for (PetscInt s = 1; s < 4; s++) {
    RD_CHECK(res.fluctuation[0] < res.fluctuation[s], "E1 p0 = 0.5: F_0 = %.4g < F_%d = %.4g", res.fluctuation[0], (int)s, res.fluctuation[s]);
    RD_CHECK(res.diffusion[0] < res.diffusion[s], "E1 p0 = 0.5: sigma_0 = %.4g < sigma_%d = %.4g", res.diffusion[0], (int)s, res.diffusion[s]);
    RD_CHECK(res.diffusion_normalized[0] < res.diffusion_normalized[s], "E1 p0 = 0.5: sigma_0/|h_0|^2 = %.4g < sigma_%d/|h_%d|^2 = %.4g", res.diffusion_normalized[0], (int)s, (int)s, res.diffusion_normalized[s]);
  }
  RD_CHECK(res.rotation_rate > 0.0 && isfinite(res.rotation_period), "E1 (no reflection symmetry) rotates: omega = %.4g, period %.4g steps", res.rotation_rate, res.rotation_period);
  PetscCall(RdTheoryResultDestroy(&res));
  PetscCall(RdTaskDestroy(&task));
  for (size_t f = 0; f < sizeof(p0s) / sizeof(p0s[0]); f++) {
    PetscCall(RdTaskCreateE1(p0s[f], &task));
    in = Input(&task, 3, 0.025, PETSC_FALSE);
    PetscCall(RdTheoryCompute(&in, &res));
    printf("  E1 p0 = %.2f: F_0 = %.4g sigma_0 = %.4g sigma_0/|h_0*|^2 = %.4g omega = %.4g\n", p0s[f], res.fluctuation[0], res.diffusion[0], res.diffusion_normalized[0], res.rotation_rate);
    RD_CHECK(res.fluctuation[0] < F0_prev && res.diffusion[0] < sigma0_prev, "E1: F_0 and sigma_0 fall as p0 rises to %.2f", p0s[f]);
    F0_prev     = res.fluctuation[0];
    sigma0_prev = res.diffusion[0];
    PetscCall(RdTheoryResultDestroy(&res));
    PetscCall(RdTaskDestroy(&task));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* F ~ eta, v ~ eta^2, D ~ eta^3 as eta -> 0 (ratios between eta and eta/2 at small eta). */
static PetscErrorCode TestScaling(void)
{
  RdTask         task;
  RdTheoryResult a, b;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE1(0.4, &task));
  RdTheoryInput in_a = Input(&task, 3, 0.002, PETSC_FALSE), in_b = Input(&task, 3, 0.001, PETSC_FALSE);
  PetscCall(RdTheoryCompute(&in_a, &a));
  PetscCall(RdTheoryCompute(&in_b, &b));
  printf("  E1 eta 0.002 / 0.001: F_0 ratio %.4f, omega ratio %.4f, sum 2D ratio %.4f\n", a.fluctuation[0] / b.fluctuation[0], a.rotation_rate / b.rotation_rate, a.trace_diffusion / b.trace_diffusion);
  RD_CHECK(fabs(a.fluctuation[0] / b.fluctuation[0] / 2 - 1) < 0.01, "F ~ eta (ratio %.4f)", a.fluctuation[0] / b.fluctuation[0]);
  RD_CHECK(fabs(a.rotation_rate / b.rotation_rate / 4 - 1) < 0.01, "v ~ eta^2 (ratio %.4f)", a.rotation_rate / b.rotation_rate);
  RD_CHECK(fabs(a.trace_diffusion / b.trace_diffusion / 8 - 1) < 0.01, "D ~ eta^3 (ratio %.4f)", a.trace_diffusion / b.trace_diffusion);
  PetscCall(RdTheoryResultDestroy(&a));
  PetscCall(RdTheoryResultDestroy(&b));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Predicted variance curve                                                                     */

/* exp(A) v by its Taylor series (|A| <= ~10 here: 80 terms reach rounding). */
static void ExpTimesVector(PetscInt m, const double *A, const double *v, double *out)
{
  double term[16], next[16];
  for (PetscInt i = 0; i < m; i++) out[i] = term[i] = v[i];
  for (int k = 1; k <= 80; k++) {
    for (PetscInt i = 0; i < m; i++) {
      next[i] = 0.0;
      for (PetscInt j = 0; j < m; j++) next[i] += A[i * m + j] * term[j] / k;
    }
    for (PetscInt i = 0; i < m; i++) out[i] += term[i] = next[i];
  }
}

/* F_s + int_0^t hbar^T M hbar by the midpoint rule on 20000 points, hbar = exp(V u) h* by its
 * Taylor series at every point. */
static double VarianceCurveReference(const RdTheoryResult *res, PetscInt s, double t)
{
  const PetscInt m = res->computed_width, points = 20000;
  double         Vu[16 * 16], hbar[16], integral = 0.0;
  for (PetscInt p = 0; p < points; p++) {
    const double u = (p + 0.5) * t / points;
    for (PetscInt a = 0; a < m * m; a++) Vu[a] = res->rotation_generator[a] * u;
    ExpTimesVector(m, Vu, res->h_star + s * m, hbar);
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt j = 0; j < m; j++) integral += hbar[i] * res->diffusion_metric[i * m + j] * hbar[j] * t / points;
  }
  return res->fluctuation[s] + integral;
}

/* Without rotation (E3) the curve is F + sigma t; with rotation (E1) it starts with slope sigma_s
 * and follows the slow reference over several periods. */
static PetscErrorCode TestVarianceCurve(void)
{
  RdTask         e3, e1;
  RdTheoryResult a, b;
  double         times[4], curve[4];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE3(0.5, &e3));
  RdTheoryInput in_a = Input(&e3, 2, 0.025, PETSC_FALSE);
  PetscCall(RdTheoryCompute(&in_a, &a));
  times[0] = 0, times[1] = 1e5, times[2] = 4e5, times[3] = 4e7;
  PetscCall(RdTheoryVarianceCurve(&a, 1, 4, times, curve));
  for (int i = 0; i < 4; i++) RD_CHECK(RelativeDifference(curve[i], a.fluctuation[1] + a.diffusion[1] * times[i]) < 1e-13, "E3 (omega = 0): curve at t = %g is F + sigma t", times[i]);
  PetscCall(RdTaskCreateE1(0.5, &e1));
  RdTheoryInput in_b = Input(&e1, 3, 0.025, PETSC_FALSE);
  PetscCall(RdTheoryCompute(&in_b, &b));
  for (PetscInt s = 0; s < 4; s++) {
    RD_CHECK(b.diffusion[s] > 0.0, "E1 sigma_%d > 0", (int)s);
    times[0] = 1000.0, times[1] = b.rotation_period / 3, times[2] = b.rotation_period, times[3] = 2.5 * b.rotation_period;
    PetscCall(RdTheoryVarianceCurve(&b, s, 4, times, curve));
    RD_CHECK(RelativeDifference((curve[0] - b.fluctuation[s]) / times[0], b.diffusion[s]) < 1e-2, "E1 s = %d: initial slope %.5g = sigma_s %.5g", (int)s, (curve[0] - b.fluctuation[s]) / times[0], b.diffusion[s]);
    for (int i = 1; i < 4; i++) {
      const double reference = VarianceCurveReference(&b, s, times[i]);
      RD_CHECK(RelativeDifference(curve[i], reference) < 1e-7, "E1 s = %d: curve at %.2f periods %.10g vs slow reference %.10g", (int)s, times[i] / b.rotation_period, curve[i], reference);
    }
  }
  PetscCall(RdTheoryResultDestroy(&a));
  PetscCall(RdTheoryResultDestroy(&b));
  PetscCall(RdTaskDestroy(&e3));
  PetscCall(RdTaskDestroy(&e1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Inputs outside the theory                                                                    */

static void CheckRejected(PetscErrorCode ierr, const char *option, const char *what)
{
  const char *text;
  char       *specific = NULL;
  (void)PetscErrorMessage(ierr, &text, &specific);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "%s rejected with PETSC_ERR_USER_INPUT (code %d)", what, (int)ierr);
  RD_CHECK(specific && strstr(specific, option), "%s: the message names %s (\"%s\")", what, option, specific ? specific : "(none)");
}

static PetscErrorCode TestBadInput(void)
{
  RdTask         task;
  RdTheoryResult res;
  RdTheoryInput  in;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE3(0.5, &task));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  in              = Input(&task, 2, 0.025, PETSC_FALSE);
  in.weight_decay = 0.0;
  CheckRejected(RdTheoryCompute(&in, &res), "-weight_decay", "g = 0");
  in.weight_decay = -0.01;
  CheckRejected(RdTheoryCompute(&in, &res), "-weight_decay", "g < 0");
  in    = Input(&task, 2, 0.0, PETSC_FALSE);
  CheckRejected(RdTheoryCompute(&in, &res), "-lr", "eta = 0");
  in    = Input(&task, 2, 5.0, PETSC_FALSE); /* eta h_max ~ 6 */
  CheckRejected(RdTheoryCompute(&in, &res), "-lr", "eta h_max > 2");
  PetscCall(PetscPopErrorHandler());
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestPopulationGradient(0.0, 0.0));
  PetscCall(TestPopulationGradient(0.3, 0.0));
  PetscCall(TestPopulationGradient(0.3, 0.2));
  PetscCall(TestPopulationGradientKernel(7, 5, 3, 0.3, 0.2));
  PetscCall(TestPopulationGradientKernel(37, 16, 8, 0.2, 0.1));
  PetscCall(TestPopulationGradientKernel(256, 16, 8, 0.2, 0.0));
  PetscCall(TestHessian(0.0, 0.0));
  PetscCall(TestHessian(0.3, 0.0));
  PetscCall(TestHessian(0.2, 0.15));
  PetscCall(TestDiffusionKernel());
  PetscCall(TestE3Table());
  PetscCall(TestWidthInvariance());
  PetscCall(TestInitIndependence());
  PetscCall(TestFrequency());
  PetscCall(TestScaling());
  PetscCall(TestVarianceCurve());
  PetscCall(TestBadInput());
  int code = RdTestSummary("test_theory");
  PetscCall(SlepcFinalize());
  return code;
}
