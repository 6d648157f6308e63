/* The theory under input noise and dropout: the cubature rule, the closed-form gradient
 * covariance against the mask-enumerating reference and against Monte Carlo, the expected loss
 * against Monte Carlo, and what the theory says with noise (the orbit survives) and with dropout
 * (an isolated minimum with bounded drift, or a degenerate one with no prediction). */
#include <repdrift/theory.h>
#include <string.h>
#include "testing.h"

static double RelativeDifference(double a, double b)
{
  return a == b ? 0.0 : fabs(a - b) / fmax(fabs(a), fabs(b));
}

static void RandomArray(RdStream *s, double scale, size_t count, double *a)
{
  for (size_t i = 0; i < count; i++) a[i] = scale * RdStreamNormal(s);
}

/* ------------------------------------------------------------------------------------------ */
/* Cubature                                                                                     */

/* E over the rule of xi^e (a multi-index of total degree <= 6) against the Gaussian moments:
 * prod_i s^{e_i} (e_i - 1)!! for even e_i, 0 if any e_i is odd. Exact to degree 5, not at 6. */
static double GaussianMoment(PetscInt dim, const int *e, double s)
{
  double value = 1.0;
  for (PetscInt i = 0; i < dim; i++) {
    if (e[i] % 2) return 0.0;
    for (int k = e[i] - 1; k > 0; k -= 2) value *= k;
    value *= pow(s, e[i]);
  }
  return value;
}

static PetscErrorCode TestCubature(void)
{
  const double s = 0.7;

  PetscFunctionBeginUser;
  for (PetscInt dim = 1; dim <= 6; dim++) {
    const PetscInt count = RdGaussianCubatureSize(dim, s);
    double        *nodes, *weights, worst = 0.0;
    int            e[6];
    PetscCall(PetscMalloc2(count * dim, &nodes, count, &weights));
    PetscCall(RdGaussianCubature(dim, s, nodes, weights));
    RD_CHECK(count == 2 * dim * dim + 1, "dim %d: 2 n^2 + 1 nodes (%d)", (int)dim, (int)count);
    /* every multi-index over the first min(dim, 3) coordinates with degree <= 5 */
    const PetscInt used = PetscMin(dim, 3);
    for (int a = 0; a <= 5; a++)
      for (int b = 0; b <= (used > 1 ? 5 - a : 0); b++)
        for (int c = 0; c <= (used > 2 ? 5 - a - b : 0); c++) {
          double rule = 0.0;
          memset(e, 0, sizeof e);
          e[0] = a, e[1 % dim] += used > 1 ? b : 0, e[2 % dim] += used > 2 ? c : 0;
          for (PetscInt node = 0; node < count; node++) {
            double term = weights[node];
            for (PetscInt i = 0; i < dim; i++) term *= pow(nodes[node * dim + i], e[i]);
            rule += term;
          }
          worst = fmax(worst, fabs(rule - GaussianMoment(dim, e, s)));
        }
    RD_CHECK(worst < 1e-13, "dim %d: every moment of degree <= 5 exact (worst error %.3g)", (int)dim, worst);
    {
      double sixth = 0.0;
      for (PetscInt node = 0; node < count; node++) sixth += weights[node] * pow(nodes[node * dim], 6);
      RD_CHECK(fabs(sixth - 15 * pow(s, 6)) > 1e-3, "dim %d: degree 6 is not exact (E xi^6 = %.4g vs 15 s^6 = %.4g): the rule is degree 5", (int)dim, sixth, 15 * pow(s, 6));
    }
    PetscCall(PetscFree2(nodes, weights));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Noise covariance                                                                             */

/* A random task and a random point (not a minimum: every term of the covariance is exercised). */
static PetscErrorCode RandomPoint(PetscInt K, PetscInt n, PetscInt m, PetscInt d, RdTask *task, double *W1, double *W2)
{
  RdStream s;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(K, n, d, 0.4, 21, 0, task));
  RdStreamInit(&s, 8, 0, RD_PURPOSE_INIT);
  RandomArray(&s, 0.6, (size_t)(m * n), W1);
  RandomArray(&s, 0.6, (size_t)(d * m), W2);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Closed form (mask cumulants) against every mask enumerated, both with the same cubature; the
 * mean against grad L. */
static PetscErrorCode TestCovarianceReference(double dropout, double input_noise)
{
  const PetscInt      K = 3, n = 3, m = 4, d = 2, P = m * n + d * m;
  const RdLinearHyper hyper = {.lr = 0.05, .weight_decay = 0.02, .dropout = dropout, .input_noise = input_noise, .batch = 1};
  RdTask              task;
  double              W1[12], W2[8], fast[400], reference[400], mean[20], mean_ref[20], grad[20], loss;

  PetscFunctionBeginUser;
  PetscCall(RandomPoint(K, n, m, d, &task, W1, W2));
  PetscCall(RdTheoryNoiseCovariance(&task, m, &hyper, W1, W2, fast, mean));
  PetscCall(RdTheoryNoiseCovarianceReference(&task, m, &hyper, W1, W2, reference, mean_ref));
  PetscCall(RdTheoryPopulationGradient(&task, m, &hyper, W1, W2, grad, grad + m * n, &loss));
  RD_CHECK(MaxAbsDiff(fast, reference, (size_t)(P * P)) < 1e-12 * MaxAbs(reference, (size_t)(P * P)), "dropout %g, noise %g: covariance closed form vs every mask enumerated, max difference %.3g (scale %.3g)", dropout, input_noise, MaxAbsDiff(fast, reference, (size_t)(P * P)), MaxAbs(reference, (size_t)(P * P)));
  RD_CHECK(MaxAbsDiff(mean, mean_ref, (size_t)P) < 1e-13 && MaxAbsDiff(mean, grad, (size_t)P) < 1e-13, "dropout %g, noise %g: mean gradient = reference (%.3g) = grad L (%.3g)", dropout, input_noise, MaxAbsDiff(mean, mean_ref, (size_t)P), MaxAbsDiff(mean, grad, (size_t)P));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Monte Carlo over presentations drawn as in training (stimulus, then input noise, then mask):
 * the mean presented loss against the closed-form expected loss, the mean gradient against
 * grad L, and every entry of the empirical covariance (around the exact mean) against the
 * closed form, each within 5 of its own standard errors (fixed seed). */
static PetscErrorCode TestMonteCarlo(double dropout, double input_noise)
{
  const PetscInt      K = 3, n = 3, m = 4, d = 2, P = m * n + d * m, samples = 400000;
  const RdLinearHyper hyper = {.lr = 0.05, .weight_decay = 0.02, .dropout = dropout, .input_noise = input_noise, .batch = 1};
  RdTask              task;
  RdLinearNet         net;
  RdStream            sampling, noise;
  double              W1[12], W2[8], exact[400], mean[20], g[20], x[3], keep[4], loss_exact;
  double             *sum, *sum2, loss_sum = 0.0, loss_sum2 = 0.0, grad_sum[20] = {0}, grad_sum2[20] = {0}, worst_z = 0.0, worst_grad_z = 0.0;

  PetscFunctionBeginUser;
  PetscCall(RandomPoint(K, n, m, d, &task, W1, W2));
  PetscCall(RdTheoryNoiseCovariance(&task, m, &hyper, W1, W2, exact, mean));
  PetscCall(RdTheoryPopulationGradient(&task, m, &hyper, W1, W2, g, g + m * n, &loss_exact));
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  PetscCall(PetscArraycpy(net.W1, W1, m * n));
  PetscCall(PetscArraycpy(net.W2, W2, d * m));
  PetscCall(PetscCalloc2(P * P, &sum, P * P, &sum2));
  RdStreamInit(&sampling, 5, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 5, 0, RD_PURPOSE_TRAIN_NOISE);
  for (PetscInt t = 0; t < samples; t++) {
    const int k = RdStreamCategorical(&sampling, task.cumulative, (int)K);
    for (PetscInt a = 0; a < n; a++) x[a] = task.stimuli[k * n + a] + input_noise * RdStreamNormal(&noise);
    for (PetscInt j = 0; j < m; j++) keep[j] = RdStreamUniform(&noise) >= dropout ? 1.0 / (1.0 - dropout) : 0.0;
    const double loss = RdLinearSampleGradient(&net, hyper.weight_decay, x, task.targets + k * d, keep, g, g + m * n);
    loss_sum += loss;
    loss_sum2 += loss * loss;
    for (PetscInt a = 0; a < P; a++) {
      grad_sum[a] += g[a];
      grad_sum2[a] += g[a] * g[a];
      g[a] -= mean[a];
    }
    for (PetscInt a = 0; a < P; a++)
      for (PetscInt b = 0; b < P; b++) {
        const double product = g[a] * g[b];
        sum[a * P + b] += product;
        sum2[a * P + b] += product * product;
      }
  }
  {
    const double loss_mean = loss_sum / samples, loss_se = sqrt((loss_sum2 / samples - loss_mean * loss_mean) / samples);
    RD_CHECK(fabs(loss_mean - loss_exact) < 5 * loss_se, "dropout %g, noise %g: Monte Carlo loss %.6g +- %.2g vs expected loss %.6g (%.2f standard errors)", dropout, input_noise, loss_mean, loss_se, loss_exact, fabs(loss_mean - loss_exact) / loss_se);
  }
  for (PetscInt a = 0; a < P; a++) {
    const double average = grad_sum[a] / samples, se = sqrt((grad_sum2[a] / samples - average * average) / samples);
    worst_grad_z         = fmax(worst_grad_z, fabs(average - mean[a]) / se);
    for (PetscInt b = 0; b < P; b++) {
      const double estimate = sum[a * P + b] / samples, se2 = sqrt((sum2[a * P + b] / samples - estimate * estimate) / samples);
      worst_z               = fmax(worst_z, fabs(estimate - exact[a * P + b]) / se2);
    }
  }
  RD_CHECK(worst_grad_z < 5, "dropout %g, noise %g: Monte Carlo mean gradient vs grad L, worst of %d entries %.2f standard errors", dropout, input_noise, (int)P, worst_grad_z);
  RD_CHECK(worst_z < 5, "dropout %g, noise %g: Monte Carlo gradient covariance vs closed form, worst of %d entries %.2f standard errors", dropout, input_noise, (int)(P * P), worst_z);
  printf("  Monte Carlo (dropout %g, noise %g, %d presentations): worst covariance entry %.2f SE, worst mean entry %.2f SE\n", dropout, input_noise, (int)samples, worst_z, worst_grad_z);
  PetscCall(PetscFree2(sum, sum2));
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The theory with input noise                                                                  */

/* The algebra of the theory, without the nonlinearity criterion (test_theory_symmetric tests its verdicts). */
static RdTheoryInput Input(const RdTask *task, PetscInt width, double dropout, double input_noise)
{
  RdTheoryInput in = {.task = task, .width = width, .weight_decay = 0.01, .lr = 0.025, .seed = 1, .replicate = 0, .input_noise = input_noise, .dropout = dropout, .nonlinearity_limit = INFINITY};
  return in;
}

/* Input noise keeps the rotation orbit: the structural facts hold, the numbers do not depend on
 * the width, F and sigma grow with the noise, and s -> 0 joins the noiseless theory. */
static PetscErrorCode TestInputNoise(void)
{
  const double   levels[] = {0.0, 1e-4, 0.05, 0.1};
  RdTask         e3, e1;
  RdTheoryResult res[4], wide;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE3(1.0 / 3, &e3));
  for (int l = 0; l < 4; l++) {
    RdTheoryInput in = Input(&e3, 2, 0.0, levels[l]);
    PetscCall(RdTheoryCompute(&in, &res[l]));
    RD_CHECK(res[l].holds && !res[l].isolated && res[l].tangent_dim == 1 && res[l].normal_dim == 7, "E3 noise %g: the orbit survives (holds, dim T = 1, N = 7)", levels[l]);
    RD_CHECK(res[l].hessian_tangent_residual < 1e-10 && res[l].gradient_tangent_residual < 1e-12, "E3 noise %g: |H tau| %.2g and |C tau| %.2g ~ 0", levels[l], res[l].hessian_tangent_residual, res[l].gradient_tangent_residual);
    printf("  E3 noise %-6g: L* %.8f F_0 %.5g sigma_0 %.5g sigma_0/|h|^2 %.5g excess %.5g\n", levels[l], res[l].L_star, res[l].fluctuation[0], res[l].diffusion[0], res[l].diffusion_normalized[0], res[l].excess_loss);
  }
  RD_CHECK(RelativeDifference(res[1].fluctuation[0], res[0].fluctuation[0]) < 1e-6 && RelativeDifference(res[1].diffusion[0], res[0].diffusion[0]) < 1e-6, "noise 1e-4 joins the noiseless theory (F %.3g, sigma %.3g relative)", RelativeDifference(res[1].fluctuation[0], res[0].fluctuation[0]), RelativeDifference(res[1].diffusion[0], res[0].diffusion[0]));
  RD_CHECK(res[3].noise_trace > res[2].noise_trace && res[2].noise_trace > res[0].noise_trace, "tr C grows with the input noise (%.4g, %.4g, %.4g)", res[0].noise_trace, res[2].noise_trace, res[3].noise_trace);
  {
    RdTheoryInput in = Input(&e3, 5, 0.0, 0.1);
    in.full_width    = PETSC_TRUE;
    PetscCall(RdTheoryCompute(&in, &wide));
    double worst = RelativeDifference(wide.L_star, res[3].L_star);
    for (PetscInt s = 0; s < 3; s++) worst = fmax(worst, fmax(RelativeDifference(wide.fluctuation[s], res[3].fluctuation[s]), RelativeDifference(wide.diffusion[s], res[3].diffusion[s])));
    RD_CHECK(worst < 1e-8, "E3 noise 0.1: width 5 (full) = width 2, worst relative difference %.3g", worst);
    PetscCall(RdTheoryResultDestroy(&wide));
  }
  for (int l = 0; l < 4; l++) PetscCall(RdTheoryResultDestroy(&res[l]));
  PetscCall(RdTaskCreateE1(0.5, &e1));
  {
    RdTheoryInput in = Input(&e1, 3, 0.0, 0.1);
    PetscCall(RdTheoryCompute(&in, &res[0]));
    RD_CHECK(res[0].holds && res[0].tangent_dim == 3 && res[0].rotation_rate > 0.0, "E1 noise 0.1: holds, dim T = 3, rotates (omega %.3g)", res[0].rotation_rate);
    PetscCall(RdTheoryResultDestroy(&res[0]));
  }
  PetscCall(RdTaskDestroy(&e3));
  PetscCall(RdTaskDestroy(&e1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The theory with dropout                                                                      */

/* E3 at width 2 and E1 at width 3: isolated minima (no tangent space, H > 0), bounded drift
 * (sigma = 0, F finite, the from-start curve rises to F); E3 at width 3: a flat family of
 * dropout minima, no prediction (NaN, the reason given). */
static PetscErrorCode TestDropout(void)
{
  RdTask         e3, e1;
  RdTheoryResult res;
  double         times[3], curve[3];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE3(1.0 / 3, &e3));
  PetscCall(RdTaskCreateE1(0.5, &e1));
  const struct {
    const RdTask *task;
    PetscInt      width;
    double        dropout, noise;
    const char   *name;
  } isolated[] = {
    {&e3, 2, 0.1, 0.0, "E3 m 2"},
    {&e3, 2, 0.3, 0.0, "E3 m 2"},
    {&e3, 2, 0.1, 0.1, "E3 m 2"},
    {&e1, 3, 0.1, 0.0, "E1 m 3"},
    {&e1, 4, 0.3, 0.0, "E1 m 4"},
  };
  for (size_t c = 0; c < sizeof isolated / sizeof isolated[0]; c++) {
    RdTheoryInput in = Input(isolated[c].task, isolated[c].width, isolated[c].dropout, isolated[c].noise);
    PetscCall(RdTheoryCompute(&in, &res));
    RD_CHECK(res.holds && res.isolated && res.tangent_dim == 0 && res.normal_dim == res.num_params && res.computed_width == isolated[c].width, "%s dropout %g noise %g: isolated minimum (tangent 0, N = P = %d, computed at full width)", isolated[c].name, isolated[c].dropout, isolated[c].noise, (int)res.num_params);
    RD_CHECK(res.hessian_min > 0.0 && res.trace_diffusion == 0.0 && res.rotation_rate == 0.0, "%s dropout %g: H > 0 (h_min %.3g), no diffusion, no rotation", isolated[c].name, isolated[c].dropout, res.hessian_min);
    for (PetscInt s = 0; s < res.num_stimuli; s++) RD_CHECK(res.diffusion[s] == 0.0 && res.fluctuation[s] > 0.0 && isfinite(res.fluctuation[s]), "%s dropout %g stimulus %d: sigma = 0, F = %.4g", isolated[c].name, isolated[c].dropout, (int)s, res.fluctuation[s]);
    times[0] = 0.0, times[1] = res.relaxation_steps, times[2] = 60 * res.relaxation_steps;
    PetscCall(RdTheoryVarianceCurveFromStart(&res, 0, 3, times, curve));
    RD_CHECK(fabs(curve[0]) < 1e-15 && curve[1] > 0.0 && curve[1] < res.fluctuation[0] && RelativeDifference(curve[2], res.fluctuation[0]) < 1e-12, "%s dropout %g: curve from theta* rises 0 -> %.4g (one relaxation time) -> plateau %.6g = F %.6g", isolated[c].name, isolated[c].dropout, curve[1], curve[2], res.fluctuation[0]);
    printf("  %s dropout %g noise %g: h_min %.4g, relaxation %.4g steps, excess %.5g, F_0 %.5g\n", isolated[c].name, isolated[c].dropout, isolated[c].noise, res.hessian_min, res.relaxation_steps, res.excess_loss, res.fluctuation[0]);
    PetscCall(RdTheoryResultDestroy(&res));
  }
  {
    RdTheoryInput in = Input(&e3, 3, 0.1, 0.0);
    PetscCall(RdTheoryCompute(&in, &res));
    RD_CHECK(!res.holds && strstr(res.why, "not isolated") && isnan(res.fluctuation[0]) && isnan(res.diffusion[0]) && isnan(res.excess_loss), "E3 m 3 dropout 0.1: a flat family of minima, no prediction (\"%s\")", res.why);
    RD_CHECK(isfinite(res.L_star) && res.grad_norm < 1e-13, "E3 m 3 dropout 0.1: theta* still found (L* %.8f)", res.L_star);
    PetscCall(RdTheoryResultDestroy(&res));
  }
  PetscCall(RdTaskDestroy(&e3));
  PetscCall(RdTaskDestroy(&e1));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Without dropout the from-start curve starts at 0 and joins the after-relaxation curve. */
static PetscErrorCode TestCurveFromStart(void)
{
  RdTask         task;
  RdTheoryResult res;
  double         times[3] = {0.0, 0.0, 0.0}, from_start[3], relaxed[3];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE1(0.5, &task));
  RdTheoryInput in = Input(&task, 3, 0.0, 0.05);
  PetscCall(RdTheoryCompute(&in, &res));
  times[1] = res.relaxation_steps, times[2] = 50 * res.relaxation_steps;
  for (PetscInt s = 0; s < 4; s++) {
    PetscCall(RdTheoryVarianceCurveFromStart(&res, s, 3, times, from_start));
    PetscCall(RdTheoryVarianceCurve(&res, s, 3, times, relaxed));
    RD_CHECK(fabs(from_start[0]) < 1e-15 && from_start[1] < relaxed[1] && RelativeDifference(from_start[2], relaxed[2]) < 1e-12, "E1 noise 0.05 s = %d: from-start curve 0 at t = 0, below the relaxed one at one relaxation time, equal after 50", (int)s);
  }
  PetscCall(RdTheoryResultDestroy(&res));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestCubature());
  PetscCall(TestCovarianceReference(0.0, 0.0));
  PetscCall(TestCovarianceReference(0.0, 0.3));
  PetscCall(TestCovarianceReference(0.25, 0.0));
  PetscCall(TestCovarianceReference(0.6, 0.2));
  PetscCall(TestMonteCarlo(0.0, 0.2));
  PetscCall(TestMonteCarlo(0.3, 0.0));
  PetscCall(TestMonteCarlo(0.3, 0.2));
  PetscCall(TestInputNoise());
  PetscCall(TestDropout());
  PetscCall(TestCurveFromStart());
  int code = RdTestSummary("test_theory_noise");
  PetscCall(SlepcFinalize());
  return code;
}
