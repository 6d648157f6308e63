/* The reduced problem of the non-negative, energy-efficient linear autoencoder (Dorrell et al.
 * 2025, Sec. 2), solved directly: exact biases beta(w) = -min_i w . c_i, decoder eliminated through
 * M = W^T W (pseudo-inverse), Adam with restarts on the encoder W. It checks the kappa verdict
 * independently of the condition: on kappa = 0 data nothing beats L_mod, on kappa > 0 data (with a
 * spare unit) a mixed code does. Contract and definitions: include/repdrift/modularity_optimize.h. */
#include <math.h>
#include <repdrift/modularity_optimize.h>
#include <repdrift/modularity_hull.h>
#include <repdrift/dense.h>
#include <repdrift/splitmix.h>

/* Adam's moment decays (Kingma & Ba defaults) and the floor of the cosine learning-rate decay. */
#define RD_ADAM_BETA1 0.9
#define RD_ADAM_BETA2 0.99
#define RD_ADAM_EPSILON 1e-12
#define RD_LR_FLOOR 1e-4

typedef struct {
  PetscInt      n_points, d;
  const double *points;                                                      /* demeaned */
  double        input_cost[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES]; /* Sigma + lambda_in I */
  double        lambda_out;
} ReducedProblem;

/* L(W) and its (sub-)gradient; *ok is false (nothing else set) when M = W^T W is not positive
 * definite, where tr(M^-1) is infinite. */
static PetscErrorCode ReducedEvaluate(const ReducedProblem *problem, PetscInt n_units, const double *W, double *loss, double *gradient, PetscBool *ok)
{
  const PetscInt d = problem->d;
  const int      n = (int)d;
  int            info = 0;
  double         M[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES], M_inverse[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
  double         M_inverse2[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
  double         value = 0.0;

  PetscFunctionBegin;
  *ok = PETSC_FALSE;
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < d; k++) {
      double s = 0.0;
      for (PetscInt u = 0; u < n_units; u++) s += W[RD_IDX2(u, j, d)] * W[RD_IDX2(u, k, d)];
      M[RD_IDX2(j, k, d)]         = s;
      M_inverse[RD_IDX2(j, k, d)] = j == k ? 1.0 : 0.0;
    }
  {
    double factor[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
    PetscCall(PetscArraycpy(factor, M, d * d));
    dposv_("U", &n, &n, factor, &n, M_inverse, &n, &info); /* symmetric: row/column major alike */
  }
  if (info != 0) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt j = 0; j < d; j++) {
    value += problem->lambda_out * M_inverse[RD_IDX2(j, j, d)];
    for (PetscInt k = 0; k < d; k++) {
      value += problem->input_cost[RD_IDX2(j, k, d)] * M[RD_IDX2(j, k, d)];
      double s = 0.0;
      for (PetscInt r = 0; r < d; r++) s += M_inverse[RD_IDX2(j, r, d)] * M_inverse[RD_IDX2(r, k, d)];
      M_inverse2[RD_IDX2(j, k, d)] = s;
    }
  }
  if (!isfinite(value)) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt u = 0; u < n_units; u++) {
    const double *w      = W + RD_IDX2(u, 0, d);
    double        lowest = PETSC_INFINITY;
    PetscInt      argmin = 0;
    for (PetscInt i = 0; i < problem->n_points; i++) {
      const double p = RdDotSequential(problem->points + RD_IDX2(i, 0, d), w, d);
      if (p < lowest) {
        lowest = p;
        argmin = i;
      }
    }
    const double bias = -lowest; /* the smallest bias that keeps the unit non-negative */
    value += bias * bias;
    if (gradient) {
      /* d/dw [tr(C M)] = 2 W C, d/dw [tr(M^-1)] = -2 W M^-2, d/dw [beta^2] = -2 beta c_argmin */
      for (PetscInt j = 0; j < d; j++) {
        double g = 0.0;
        for (PetscInt k = 0; k < d; k++) g += 2.0 * w[k] * (problem->input_cost[RD_IDX2(k, j, d)] - problem->lambda_out * M_inverse2[RD_IDX2(k, j, d)]);
        gradient[RD_IDX2(u, j, d)] = g - 2.0 * bias * problem->points[RD_IDX2(argmin, j, d)];
      }
    }
  }
  *loss = value;
  *ok   = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode ReducedProblemSetUp(const RdSourceStats *stats, double lambda_in, double lambda_out, PetscInt n_points, const double *points, ReducedProblem *problem)
{
  const PetscInt d = stats->n_sources;

  PetscFunctionBegin;
  PetscCheck(lambda_in >= 0 && isfinite(lambda_in), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "lambda_in must be finite and >= 0, got %g", lambda_in);
  PetscCheck(lambda_out > 0 && isfinite(lambda_out), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "lambda_out must be finite and > 0 (it keeps the decoder bounded), got %g", lambda_out);
  problem->n_points   = n_points;
  problem->d          = d;
  problem->points     = points;
  problem->lambda_out = lambda_out;
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < d; k++) problem->input_cost[RD_IDX2(j, k, d)] = stats->covariance[RD_IDX2(j, k, d)] + (j == k ? lambda_in : 0.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReducedLossWeighted(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, PetscInt n_units, const double *W, double lambda_in, double lambda_out, double *loss, double *gradient)
{
  RdSourceStats  stats;
  ReducedProblem problem;
  double        *centered;
  PetscInt       n_support;
  PetscBool      ok;

  PetscFunctionBegin;
  PetscCheck(W && loss, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdReducedLoss: W and loss must not be NULL");
  PetscCall(RdSourceStatsComputeWeighted(n_samples, n_sources, sources, weights, &stats));
  PetscCheck(n_units >= n_sources, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The encoder needs at least as many units as sources (perfect reconstruction), got %" PetscInt_FMT " units for %" PetscInt_FMT " sources", n_units, n_sources);
  for (size_t i = 0; i < (size_t)n_units * (size_t)n_sources; i++) PetscCheck(isfinite(W[i]), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdReducedLoss: encoder entry %zu is not finite", i);
  PetscCall(PetscMalloc1((size_t)n_samples * n_sources, &centered));
  PetscCall(RdSourcesCenterSupport(n_samples, n_sources, sources, weights, stats.mean, &n_support, centered));
  PetscCall(ReducedProblemSetUp(&stats, lambda_in, lambda_out, n_support, centered, &problem));
  PetscCall(ReducedEvaluate(&problem, n_units, W, loss, gradient, &ok));
  PetscCall(PetscFree(centered));
  if (!ok) *loss = RD_NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReducedLoss(PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt n_units, const double *W, double lambda_in, double lambda_out, double *loss, double *gradient)
{
  PetscFunctionBegin;
  PetscCall(RdReducedLossWeighted(n_samples, n_sources, sources, NULL, n_units, W, lambda_in, lambda_out, loss, gradient));
  PetscCheck(!isnan(*loss), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The encoder W (%" PetscInt_FMT " x %" PetscInt_FMT ") is rank-deficient: W^T W is not positive definite, so no decoder reconstructs the sources", n_units, n_sources);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReducedOptionsDefaults(RdReducedOptions *options)
{
  PetscFunctionBegin;
  PetscCheck(options, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdReducedOptionsDefaults: options must not be NULL");
  *options = (RdReducedOptions){0, 0.1, 0.1, 8, 3000, 0.05, 1};
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The samples that can attain min_i w . c_i for some w: the hull vertices for d = 2 and d = 3
 * (a linear function's minimum over a polytope is at a vertex), all samples otherwise. */
static PetscErrorCode ExtremePoints(PetscInt n_samples, PetscInt d, const double *centered, PetscInt *n_extreme, double **extreme)
{
  PetscInt *index = NULL, count = n_samples;
  RdHull3D  hull;

  PetscFunctionBegin;
  if (d == 2) {
    PetscCall(PetscMalloc1(n_samples, &index));
    PetscCall(RdConvexHull2D(n_samples, centered, &count, index));
  } else if (d == 3) {
    PetscCall(RdHull3DCompute(n_samples, centered, &hull));
    if (hull.full_dimensional) {
      count = hull.n_vertices;
      PetscCall(PetscMalloc1(count, &index));
      PetscCall(PetscArraycpy(index, hull.vertices, count));
    }
    PetscCall(RdHull3DDestroy(&hull));
  }
  PetscCall(PetscMalloc1((size_t)count * d, extreme));
  for (PetscInt i = 0; i < count; i++) PetscCall(PetscArraycpy(*extreme + RD_IDX2(i, 0, d), centered + RD_IDX2(index ? index[i] : i, 0, d), d));
  *n_extreme = count;
  PetscCall(PetscFree(index));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReducedOptimize(PetscInt n_samples, PetscInt n_sources, const double *sources, const RdReducedOptions *options, double *W, RdReducedResult *result)
{
  const PetscInt d = n_sources;
  RdSourceStats  stats;
  ReducedProblem problem;
  double        *centered, *extreme, *current, *previous, *gradient, *moment1, *moment2, *restart_best;
  double         typical_weight = 0.0, best_loss = PETSC_INFINITY;
  PetscInt       n_extreme = 0, n_units, best_restart = -1;
  uint64_t       state;

  PetscFunctionBegin;
  PetscCheck(options && W && result, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdReducedOptimize: options, W and result must not be NULL");
  PetscCall(RdSourceStatsCompute(n_samples, d, sources, &stats));
  n_units = options->n_units ? options->n_units : d + 1;
  PetscCheck(n_units >= d, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Reduced problem: width %" PetscInt_FMT " is below the number of sources %" PetscInt_FMT "; perfect reconstruction needs width >= d", n_units, d);
  PetscCheck(options->n_restarts >= 1 && options->n_steps >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Reduced problem: need n_restarts >= 1 and n_steps >= 1, got %" PetscInt_FMT " and %" PetscInt_FMT, options->n_restarts, options->n_steps);
  PetscCheck(options->learning_rate > 0 && isfinite(options->learning_rate), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Reduced problem: learning_rate must be finite and > 0, got %g", options->learning_rate);
  PetscCall(RdModularLoss(&stats, options->lambda_in, options->lambda_out, &result->loss_modular));
  PetscCall(PetscMalloc1((size_t)n_samples * d, &centered));
  PetscCall(RdSourcesCenter(n_samples, d, sources, stats.mean, centered));
  PetscCall(ExtremePoints(n_samples, d, centered, &n_extreme, &extreme));
  PetscCall(ReducedProblemSetUp(&stats, options->lambda_in, options->lambda_out, n_extreme, extreme, &problem));
  /* Weight scale of the modular optimum, |w_j| = (lambda_out / (Sigma_jj + e_j^2 + lambda_in))^(1/4):
   * initial weights and Adam steps are measured in it, so one learning rate fits every lambda. */
  for (PetscInt j = 0; j < d; j++) typical_weight += pow(options->lambda_out / (stats.covariance[RD_IDX2(j, j, d)] + stats.range_margin[j] * stats.range_margin[j] + options->lambda_in), 0.25) / d;
  const size_t size = (size_t)n_units * (size_t)d;
  PetscCall(PetscMalloc6(size, &current, size, &previous, size, &gradient, size, &moment1, size, &moment2, size, &restart_best));
  state = options->seed;
  for (PetscInt restart = 0; restart < options->n_restarts; restart++) {
    double    restart_loss = PETSC_INFINITY, shrink = 1.0, beta1_power = 1.0, beta2_power = 1.0;
    PetscBool ok;
    for (size_t i = 0; i < size; i++) {
      current[i] = typical_weight * RdSplitMixNormal(&state); /* the optimiser's only randomness */
      moment1[i] = moment2[i] = 0.0;
    }
    for (PetscInt step = 0; step < options->n_steps; step++) {
      double loss;
      PetscCall(ReducedEvaluate(&problem, n_units, current, &loss, gradient, &ok));
      if (!ok) {
        if (step == 0) break; /* a singular random start (probability 0): skip this restart */
        /* stepped onto a rank-deficient W: go back and take smaller steps from now on */
        PetscCall(PetscArraycpy(current, previous, size));
        shrink *= 0.5;
        continue;
      }
      if (loss < restart_loss) {
        restart_loss = loss;
        PetscCall(PetscArraycpy(restart_best, current, size));
      }
      PetscCall(PetscArraycpy(previous, current, size));
      const double progress = (double)step / (double)options->n_steps;
      const double rate     = shrink * options->learning_rate * typical_weight * (RD_LR_FLOOR + (1.0 - RD_LR_FLOOR) * 0.5 * (1.0 + cos(PETSC_PI * progress)));
      beta1_power *= RD_ADAM_BETA1;
      beta2_power *= RD_ADAM_BETA2;
      for (size_t i = 0; i < size; i++) {
        moment1[i] = RD_ADAM_BETA1 * moment1[i] + (1.0 - RD_ADAM_BETA1) * gradient[i];
        moment2[i] = RD_ADAM_BETA2 * moment2[i] + (1.0 - RD_ADAM_BETA2) * gradient[i] * gradient[i];
        current[i] -= rate * (moment1[i] / (1.0 - beta1_power)) / (sqrt(moment2[i] / (1.0 - beta2_power)) + RD_ADAM_EPSILON);
      }
    }
    if (restart_loss < best_loss) {
      best_loss    = restart_loss;
      best_restart = restart;
      PetscCall(PetscArraycpy(W, restart_best, size));
    }
  }
  PetscCheck(best_restart >= 0, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Reduced problem: every restart started from a singular encoder; change the seed");
  /* Report the loss over all samples (the optimiser saw only the extreme ones). */
  PetscCall(RdReducedLoss(n_samples, d, sources, n_units, W, options->lambda_in, options->lambda_out, &result->loss, NULL));
  result->gap          = result->loss - result->loss_modular;
  result->relative_gap = result->gap / result->loss_modular;
  result->best_restart = best_restart;
  PetscCall(PetscFree6(current, previous, gradient, moment1, moment2, restart_best));
  PetscCall(PetscFree(extreme));
  PetscCall(PetscFree(centered));
  PetscFunctionReturn(PETSC_SUCCESS);
}
