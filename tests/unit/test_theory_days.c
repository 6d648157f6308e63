/* The days-protocol prediction: E|z| of a Gaussian against closed forms and Monte Carlo, and the
 * prediction's parts in limits with independent answers (a long burn-in: the fluctuation part of
 * a long lag is 2 F_s, the diffusion part sigma_s tau, the mean path's part the mean rotation
 * |exp(V tau) h* - h*|^2, the probe part s^2 (|W1*|^2 + |W1*|^2) / samples); a degenerate dropout
 * minimum gives NaN. The comparison with a direct simulation of the protocol is the long test
 * theory_acceptance_days. */
#include <repdrift/theory.h>
#include <string.h>
#include "testing.h"

static double RelativeDifference(double a, double b)
{
  return a == b ? 0.0 : fabs(a - b) / fmax(fabs(a), fabs(b));
}

static PetscErrorCode TestExpectedNorm(void)
{
  const double sigma = 0.7, mu = 1.3;
  double       v[5], mean[5];
  RdStream     s;

  PetscFunctionBeginUser;
  v[0] = sigma * sigma, mean[0] = 0.0;
  RD_CHECK(RelativeDifference(RdGaussianExpectedNorm(1, v, mean), sigma * sqrt(2 / PETSC_PI)) < 1e-9, "half-normal: E|z| = sigma sqrt(2/pi)");
  mean[0] = mu;
  {
    const double folded = sigma * sqrt(2 / PETSC_PI) * exp(-mu * mu / (2 * sigma * sigma)) + mu * erf(mu / (sigma * sqrt(2.0)));
    RD_CHECK(RelativeDifference(RdGaussianExpectedNorm(1, v, mean), folded) < 1e-9, "folded normal: %.12g vs %.12g", RdGaussianExpectedNorm(1, v, mean), folded);
  }
  for (int i = 0; i < 3; i++) v[i] = sigma * sigma, mean[i] = 0.0;
  RD_CHECK(RelativeDifference(RdGaussianExpectedNorm(3, v, mean), sigma * 2 * sqrt(2 / PETSC_PI)) < 1e-9, "chi with 3 degrees of freedom");
  for (int i = 0; i < 3; i++) v[i] = 0.0, mean[i] = i + 1.0;
  RD_CHECK(RelativeDifference(RdGaussianExpectedNorm(3, v, mean), sqrt(14.0)) < 1e-9, "no variance: E|z| = |mu|");
  {
    const double vv[5] = {0.3, 0.01, 2.0, 0.0, 0.5}, mm[5] = {0.2, -1.0, 0.0, 0.4, 0.1};
    const int    samples = 400000;
    double       sum = 0.0, sum2 = 0.0, exact = RdGaussianExpectedNorm(5, vv, mm);
    RdStreamInit(&s, 4, 0, RD_PURPOSE_READOUT);
    for (int t = 0; t < samples; t++) {
      double r2 = 0.0;
      for (int i = 0; i < 5; i++) {
        const double z = mm[i] + sqrt(vv[i]) * RdStreamNormal(&s);
        r2 += z * z;
      }
      sum += sqrt(r2), sum2 += r2;
    }
    const double average = sum / samples, se = sqrt((sum2 / samples - average * average) / samples);
    RD_CHECK(fabs(average - exact) < 5 * se, "anisotropic non-central 5-d: Monte Carlo %.6g +- %.2g vs %.6g", average, se, exact);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Initial weights as the days protocol draws them. */
static void InitialWeights(const RdTask *task, PetscInt m, double *W1, double *W2)
{
  RdLinearNet net;
  RdStream    init;
  (void)RdLinearNetCreate(task->input_dim, m, task->output_dim, &net);
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdLinearNetInit(&net, 0.5, &init);
  memcpy(W1, net.W1, sizeof(double) * (size_t)(m * task->input_dim));
  memcpy(W2, net.W2, sizeof(double) * (size_t)(m * task->output_dim));
  (void)RdLinearNetDestroy(&net);
}

/* exp(A) v by its Taylor series. */
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

/* After a burn-in of 500 relaxation times the mean path sits at theta* and every lag is long. */
static PetscErrorCode TestLongBurnin(PetscBool e1, double input_noise)
{
  const PetscInt   m = 5, K = e1 ? 4 : 3, D = 3, samples = 10;
  const double     tau = 1e5;
  RdTask           task;
  RdTheoryResult   th;
  RdDaysPrediction pred;
  double           W1[15], W2[15];

  PetscFunctionBeginUser;
  if (e1) PetscCall(RdTaskCreateE1(0.5, &task));
  else PetscCall(RdTaskCreateE3(0.5, &task));
  InitialWeights(&task, m, W1, W2);
  RdDaysInput in = {.task = &task, .width = m, .lr = 0.025, .weight_decay = 0.01, .input_noise = input_noise, .batch = 1, .burnin_steps = 1000000, .steps_per_day = (PetscInt)tau, .days = D - 1, .probe_samples = samples, .probe_dropout = PETSC_TRUE, .W1_init = W1, .W2_init = W2};
  RdTheoryInput th_in = {.task = &task, .width = m, .weight_decay = 0.01, .lr = 0.025, .seed = 3, .input_noise = input_noise};
  PetscCall(RdTheoryPredictDays(&in, &pred));
  PetscCall(RdTheoryCompute(&th_in, &th));
  RD_CHECK(pred.holds && pred.num_days == D && RelativeDifference(pred.relaxation_steps, th.relaxation_steps) < 1e-8, "%s noise %g: holds, %d observations, relaxation %.0f steps as the theory's", e1 ? "E1" : "E3", input_noise, (int)pred.num_days, pred.relaxation_steps);
  for (PetscInt s = 0; s < K; s++) {
    const size_t pair = ((size_t)0 * D + 1) * K + (size_t)s;
    double       Vt[9], rotated[3], path = 0.0, W1_norm2 = 0.0;
    RD_CHECK(isnan(pred.displacement[((size_t)1 * D + 0) * K + s]) && isnan(pred.angle[((size_t)1 * D + 1) * K + s]), "stimulus %d: NaN unless day < later day", (int)s);
    RD_CHECK(RelativeDifference(pred.displacement_fluctuation[pair], 2 * th.fluctuation[s]) < 1e-7, "%s stimulus %d: fluctuation part of a long lag %.8g = 2 F_s %.8g", e1 ? "E1" : "E3", (int)s, pred.displacement_fluctuation[pair], 2 * th.fluctuation[s]);
    if (!e1) RD_CHECK(RelativeDifference(pred.displacement_diffusion[pair], th.diffusion[s] * tau) < 1e-9, "E3 stimulus %d: diffusion part %.6g = sigma_s tau %.6g", (int)s, pred.displacement_diffusion[pair], th.diffusion[s] * tau);
    for (PetscInt a = 0; a < th.computed_width * th.computed_width; a++) Vt[a] = th.rotation_generator[a] * tau;
    ExpTimesVector(th.computed_width, Vt, th.h_star + s * th.computed_width, rotated);
    for (PetscInt i = 0; i < th.computed_width; i++) path += (rotated[i] - th.h_star[s * th.computed_width + i]) * (rotated[i] - th.h_star[s * th.computed_width + i]);
    RD_CHECK(fabs(pred.displacement_path[pair] - path) < 1e-7 * th.h_star_norm2[s], "%s stimulus %d: mean-path part %.8g = |exp(V tau) h* - h*|^2 %.8g", e1 ? "E1" : "E3", (int)s, pred.displacement_path[pair], path);
    for (PetscInt a = 0; a < m * task.input_dim; a++) W1_norm2 += th.W1_star[a] * th.W1_star[a];
    RD_CHECK(RelativeDifference(pred.displacement_probe[pair], 2 * input_noise * input_noise * W1_norm2 / samples) < 1e-7 || (input_noise == 0.0 && pred.displacement_probe[pair] == 0.0), "%s stimulus %d: probe part %.6g = 2 s^2 |W1*|^2 / samples", e1 ? "E1" : "E3", (int)s, pred.displacement_probe[pair]);
    RD_CHECK(pred.angle[pair] > 0.0 && pred.angle[pair] < 90.0, "stimulus %d: angle %.4f deg", (int)s, pred.angle[pair]);
  }
  PetscCall(RdTheoryResultDestroy(&th));
  PetscCall(RdDaysPredictionDestroy(&pred));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* E3 (p0 = 1/3: isotropic input moments) at width 3 with dropout: a flat family of minima, so
 * no prediction. */
static PetscErrorCode TestDegenerate(void)
{
  RdTask           task;
  RdDaysPrediction pred;
  double           W1[6], W2[6];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateE3(1.0 / 3, &task));
  InitialWeights(&task, 3, W1, W2);
  RdDaysInput in = {.task = &task, .width = 3, .lr = 0.025, .weight_decay = 0.01, .dropout = 0.1, .burnin_steps = 20000, .steps_per_day = 1000, .days = 2, .probe_samples = 10, .probe_dropout = PETSC_TRUE, .W1_init = W1, .W2_init = W2};
  PetscCall(RdTheoryPredictDays(&in, &pred));
  RD_CHECK(!pred.holds && strstr(pred.why, "not isolated") && isnan(pred.angle[RD_IDX3(0, 1, 0, 3, 3)]) && isnan(pred.displacement[RD_IDX3(0, 2, 2, 3, 3)]), "E3 m 3 dropout: no prediction (\"%s\")", pred.why);
  RD_CHECK(isfinite(pred.mean_response[0]), "the mean path is still reported");
  PetscCall(RdDaysPredictionDestroy(&pred));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The mean flow (the descent's modified equation) against the descent step by step. */
static PetscErrorCode TestMeanFlow(double dropout)
{
  const PetscInt      m = 12, n = 16, d = 8, P = m * (n + d);
  const RdLinearHyper hyper = {.lr = 0.02, .weight_decay = 1e-3, .dropout = dropout, .input_noise = 0.1, .batch = 1};
  const double        times[2] = {20000, 60000};
  RdTask              task;
  double             *W1, *W2, *F1, *F2, *at, scale;
  PetscBool           finite_path, finite_flow;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(4, n, d, 0.25, 1, 0, &task));
  PetscCall(PetscMalloc5(m * n, &W1, d * m, &W2, m * n, &F1, d * m, &F2, 2 * m * n, &at));
  InitialWeights(&task, m, W1, W2);
  PetscCall(PetscArraycpy(F1, W1, m * n));
  PetscCall(PetscArraycpy(F2, W2, d * m));
  PetscCall(RdTheoryMeanPath(&task, m, &hyper, 20000, W1, W2, &finite_path));
  PetscCall(RdTheoryMeanFlow(&task, m, &hyper, 2, times, F1, F2, at, &finite_flow));
  scale = MaxAbs(W1, m * n);
  RD_CHECK(finite_path && finite_flow && MaxAbsDiff(at, W1, m * n) < 1e-5 * scale, "dropout %g: mean flow = descent after 2e4 steps (W1 differs by %.3g of %.3g)", dropout, MaxAbsDiff(at, W1, m * n), scale);
  PetscCall(RdTheoryMeanPath(&task, m, &hyper, 40000, W1, W2, &finite_path));
  RD_CHECK(MaxAbsDiff(F1, W1, m * n) < 1e-5 * scale && MaxAbsDiff(F2, W2, d * m) < 1e-5 * scale, "dropout %g: and after 6e4 steps (W1 %.3g, W2 %.3g of %.3g)", dropout, MaxAbsDiff(F1, W1, m * n), MaxAbsDiff(F2, W2, d * m), scale);
  (void)P;
  PetscCall(PetscFree5(W1, W2, F1, F2, at));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* E|z| from the tridiagonal form against the eigenvalue form, for a projected covariance (one zero
 * eigenvalue) at width 40. */
static PetscErrorCode TestExpectedNormCovariance(void)
{
  const PetscInt n = 40;
  double        *C, *copy, *eig, *vec, mean[40], rotated[40], u[40], tridiagonal, eigen;
  RdStream       s;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(n * n, &C, n * n, &copy, n, &eig, n * n, &vec));
  RdStreamInit(&s, 8, 0, 0);
  for (PetscInt i = 0; i < n * n; i++) copy[i] = RdStreamNormal(&s) / n;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < n; j++) {
      C[i * n + j] = 0.0;
      for (PetscInt l = 0; l < n; l++) C[i * n + j] += copy[i * n + l] * copy[j * n + l];
    }
  for (PetscInt i = 0; i < n; i++) C[i * n + i] += 1e-3 * (i % 5), mean[i] = 0.05 * RdStreamNormal(&s), u[i] = RdStreamNormal(&s);
  {
    double norm = 0.0, Cu[40], uCu = 0.0, um = 0.0;
    for (PetscInt i = 0; i < n; i++) norm += u[i] * u[i];
    for (PetscInt i = 0; i < n; i++) u[i] /= sqrt(norm);
    for (PetscInt i = 0; i < n; i++) {
      Cu[i] = 0.0;
      for (PetscInt j = 0; j < n; j++) Cu[i] += C[i * n + j] * u[j];
      uCu += u[i] * Cu[i], um += u[i] * mean[i];
    }
    for (PetscInt i = 0; i < n; i++)
      for (PetscInt j = 0; j < n; j++) C[i * n + j] += -Cu[i] * u[j] - u[i] * Cu[j] + uCu * u[i] * u[j];
    for (PetscInt i = 0; i < n; i++) mean[i] -= um * u[i];
  }
  PetscCall(PetscArraycpy(copy, C, n * n));
  {
    int     nn = n, lwork = -1, info;
    double  size, *work, asc[40];
    dsyev_("V", "U", &nn, copy, &nn, asc, &size, &lwork, &info);
    lwork = (int)size;
    PetscCall(PetscMalloc1(lwork, &work));
    dsyev_("V", "U", &nn, copy, &nn, asc, work, &lwork, &info);
    PetscCall(PetscFree(work));
    for (PetscInt i = 0; i < n; i++) {
      eig[i]     = asc[i];
      rotated[i] = 0.0;
      for (PetscInt j = 0; j < n; j++) rotated[i] += copy[i * n + j] * mean[j];
    }
  }
  eigen = RdGaussianExpectedNorm(n, eig, rotated);
  PetscCall(RdGaussianExpectedNormCovariance(n, C, mean, &tridiagonal));
  RD_CHECK(RelativeDifference(tridiagonal, eigen) < 1e-9 && fabs(eig[0]) < 1e-12, "E|z| of a projected covariance: tridiagonal %.12g = eigenvalues %.12g", tridiagonal, eigen);
  (void)vec;
  PetscCall(PetscFree4(C, copy, eig, vec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The whole prediction (flow, sectors or span, tridiagonal angles) against the reference (descent,
 * dense theory, eigensolves) on the default sweep's task. */
static PetscErrorCode TestFastAgainstReference(PetscInt m, double dropout, double tolerance)
{
  const PetscInt   n = 16, d = 8, K = 4, D = 4;
  RdTask           task;
  RdDaysPrediction fast, reference;
  double          *W1, *W2, worst_angle = 0.0, worst_displacement = 0.0, worst_mean = 0.0;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(K, n, d, 0.25, 1, 0, &task));
  PetscCall(PetscMalloc2(m * n, &W1, d * m, &W2));
  InitialWeights(&task, m, W1, W2);
  RdDaysInput in = {.task = &task, .width = m, .lr = 0.02, .weight_decay = 1e-3, .input_noise = 0.1, .dropout = dropout, .batch = 1, .burnin_steps = 20000, .steps_per_day = 5000, .days = D - 1, .probe_samples = 50, .probe_dropout = PETSC_TRUE, .W1_init = W1, .W2_init = W2};
  PetscCall(RdTheoryPredictDays(&in, &fast));
  in.reference = PETSC_TRUE;
  PetscCall(RdTheoryPredictDays(&in, &reference));
  RD_CHECK(fast.holds && reference.holds, "m %d dropout %g: both hold (%s / %s)", (int)m, dropout, fast.why, reference.why);
  for (PetscInt day = 0; day < D; day++)
    for (PetscInt later = day + 1; later < D; later++)
      for (PetscInt s = 0; s < K; s++) {
        const size_t pair = RD_IDX3(day, later, s, D, K);
        worst_angle        = fmax(worst_angle, RelativeDifference(fast.angle[pair], reference.angle[pair]));
        worst_displacement = fmax(worst_displacement, RelativeDifference(fast.displacement[pair], reference.displacement[pair]));
      }
  worst_mean = MaxAbsDiff(fast.mean_response, reference.mean_response, (size_t)D * K * m) / MaxAbs(reference.mean_response, (size_t)D * K * m);
  printf("  m %d dropout %g: angle 0-1 s0 %.6f (reference %.6f), relaxation %.4g (%.4g), nonlinearity %.4g (%.4g)\n", (int)m, dropout, fast.angle[RD_IDX3(0, 1, 0, D, K)], reference.angle[RD_IDX3(0, 1, 0, D, K)], fast.relaxation_steps, reference.relaxation_steps, fast.nonlinearity, reference.nonlinearity);
  RD_CHECK(worst_angle < tolerance && worst_displacement < tolerance && worst_mean < 1e-5, "m %d dropout %g: fast = reference (angles %.3g, displacements %.3g, mean responses %.3g relative; tolerance %g)", (int)m, dropout, worst_angle, worst_displacement, worst_mean, tolerance);
  RD_CHECK(RelativeDifference(fast.relaxation_steps, reference.relaxation_steps) < tolerance, "m %d dropout %g: relaxation time %.6g = %.6g", (int)m, dropout, fast.relaxation_steps, reference.relaxation_steps);
  PetscCall(RdDaysPredictionDestroy(&fast));
  PetscCall(RdDaysPredictionDestroy(&reference));
  PetscCall(PetscFree2(W1, W2));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestExpectedNorm());
  PetscCall(TestLongBurnin(PETSC_FALSE, 0.0));
  PetscCall(TestLongBurnin(PETSC_TRUE, 0.0));
  PetscCall(TestLongBurnin(PETSC_TRUE, 0.1));
  PetscCall(TestDegenerate());
  PetscCall(TestMeanFlow(0.0));
  PetscCall(TestMeanFlow(0.2));
  PetscCall(TestExpectedNormCovariance());
  PetscCall(TestFastAgainstReference(30, 0.0, 1e-4));
  PetscCall(TestFastAgainstReference(12, 0.2, 1e-4));
  int code = RdTestSummary("test_theory_days");
  PetscCall(SlepcFinalize());
  return code;
}
