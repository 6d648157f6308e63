/* The mean path of the days prediction (theory.h, RdTheoryMeanFlow): full-batch gradient descent on
 * the expected loss L, theta_{t+1} = theta_t - eta grad L(theta_t), computed as the flow of its
 * modified equation instead of step by step.
 *
 * Backward error analysis (Hairer, Lubich and Wanner, Geometric Numerical Integration, ch. IX):
 * the descent's steps are the time-1 map of the flow
 *     d theta / dt = -eta g - (eta^2 / 2) H g + O(eta^3),   g = grad L, H its Jacobian,
 * so the flow tracks the steps to O(eta^3 h^3) per step (h the curvature; the descent's factor
 * 1 - eta h per step against the flow's exp(-eta h - eta^2 h^2 / 2)). H g is the directional
 * derivative of g along g, a forward difference (step 1e-4 (1 + |theta|) / |g|; its error is below
 * the O(eta^3) term). The flow is integrated by the Dormand-Prince 5(4) pair with step-size control
 * (relative tolerance 1e-8 per component, floor 1e-3) and lands exactly on every requested time.
 * Its steps are bounded by stability (about 3.3 / (eta h_max), ~150 descent steps here) rather than
 * by accuracy, so 2e5 descent steps cost ~1500 integrator steps, ~2e4 gradients: ~10x fewer than
 * the descent itself. Tested against the descent (RdTheoryMeanPath) to 1e-5 relative. */
#include "theory_impl.h"

#define FLOW_RTOL       1e-8 /* per-component relative tolerance of one integrator step */
#define FLOW_FLOOR      1e-3 /* components below this count as this in the tolerance */
#define DIRECTION_STEP  1e-4 /* forward-difference step of H g, relative to 1 + |theta| */

typedef struct {
  const RdTask        *task;
  const RdLinearHyper *hyper;
  PetscInt             m, n, d, P;
  double              *g, *shifted, *g_shifted;
  PetscInt             evaluations;
} Flow;

/* F(theta) = -eta g - (eta^2 / 2) H g; *finite = false when g is not finite. */
static PetscErrorCode Field(Flow *f, const double *theta, double *F, PetscBool *finite)
{
  const PetscInt P = f->P, off = f->m * f->n;
  const double   eta = f->hyper->lr;
  double         loss, norm_g, epsilon;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryPopulationGradient(f->task, f->m, f->hyper, theta, theta + off, f->g, f->g + off, &loss));
  f->evaluations++;
  norm_g  = RdNorm(f->g, P);
  *finite = isfinite(norm_g) && isfinite(loss) ? PETSC_TRUE : PETSC_FALSE;
  if (!*finite || norm_g == 0.0) {
    for (PetscInt a = 0; a < P; a++) F[a] = 0.0;
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  epsilon = DIRECTION_STEP * (1.0 + RdNorm(theta, P)) / norm_g;
  for (PetscInt a = 0; a < P; a++) f->shifted[a] = theta[a] + epsilon * f->g[a];
  PetscCall(RdTheoryPopulationGradient(f->task, f->m, f->hyper, f->shifted, f->shifted + off, f->g_shifted, f->g_shifted + off, &loss));
  f->evaluations++;
  for (PetscInt a = 0; a < P; a++) F[a] = -eta * f->g[a] - 0.5 * eta * eta * (f->g_shifted[a] - f->g[a]) / epsilon;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Dormand-Prince 5(4): y from t to t_end; *step is the next trial step (in and out). k0 holds
 * F(y) on entry and on return (first same as last). */
static PetscErrorCode Integrate(Flow *f, double *y, double t, double t_end, double *step, double **k, double *trial, double *next, PetscBool *finite)
{
  static const double c[7][6] = {
    {0},
    {1.0 / 5},
    {3.0 / 40, 9.0 / 40},
    {44.0 / 45, -56.0 / 15, 32.0 / 9},
    {19372.0 / 6561, -25360.0 / 2187, 64448.0 / 6561, -212.0 / 729},
    {9017.0 / 3168, -355.0 / 33, 46732.0 / 5247, 49.0 / 176, -5103.0 / 18656},
    {35.0 / 384, 0.0, 500.0 / 1113, 125.0 / 192, -2187.0 / 6784, 11.0 / 84},
  };
  static const double e[7] = {71.0 / 57600, 0.0, -71.0 / 16695, 71.0 / 1920, -17253.0 / 339200, 22.0 / 525, -1.0 / 40};
  const PetscInt      P = f->P;

  PetscFunctionBeginUser;
  while (t < t_end && *finite) {
    const double h = PetscMin(*step, t_end - t);
    double       error = 0.0;
    for (int s = 1; s < 7 && *finite; s++) {
      double *target = s == 6 ? next : trial;
      for (PetscInt a = 0; a < P; a++) {
        double sum = 0.0;
        for (int r = 0; r < s; r++) sum += c[s][r] * k[r][a];
        target[a] = y[a] + h * sum;
      }
      PetscCall(Field(f, target, k[s], finite));
    }
    if (!*finite) break;
    for (PetscInt a = 0; a < P; a++) {
      double err = 0.0;
      for (int r = 0; r < 7; r++) err += e[r] * k[r][a];
      err *= h / (FLOW_RTOL * PetscMax(FLOW_FLOOR, PetscMax(fabs(y[a]), fabs(next[a]))));
      error += err * err;
    }
    error = sqrt(error / (double)P);
    if (error <= 1.0) { /* accept: the last stage is F at the new point */
      double *swap = k[0];
      t += h;
      PetscCall(PetscArraycpy(y, next, P));
      k[0] = k[6], k[6] = swap;
    }
    *step = h * PetscMin(5.0, PetscMax(0.2, 0.9 * pow(PetscMax(error, 1e-10), -0.2)));
    if (!(*step > 1e-6)) *finite = PETSC_FALSE; /* the step collapsed: treat as divergence */
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryMeanFlow(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, PetscInt n_times, const double *times, double *W1, double *W2, double *W1_at, PetscBool *finite)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, P = m * (n + d), off = m * n;
  Flow           f = {.task = task, .hyper = hyper, .m = m, .n = n, .d = d, .P = P};
  double        *y, *k[7], *stages, *trial, *next, t = 0.0, step = 1.0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < n_times; i++) PetscCheck(times[i] >= (i ? times[i - 1] : 0.0), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "RdTheoryMeanFlow: times must be ascending and >= 0");
  PetscCall(PetscMalloc6(P, &y, P, &trial, P, &next, P, &f.g, P, &f.shifted, P, &f.g_shifted));
  PetscCall(PetscMalloc1(7 * P, &stages)); /* k[] is permuted by the integrator: free the block */
  for (int s = 0; s < 7; s++) k[s] = stages + s * P;
  PetscCall(PetscArraycpy(y, W1, off));
  PetscCall(PetscArraycpy(y + off, W2, d * m));
  PetscCall(Field(&f, y, k[0], finite));
  for (PetscInt i = 0; i < n_times && *finite; i++) {
    PetscCall(Integrate(&f, y, t, times[i], &step, k, trial, next, finite));
    t = times[i];
    if (W1_at) PetscCall(PetscArraycpy(W1_at + (size_t)i * off, y, off));
  }
  PetscCall(PetscArraycpy(W1, y, off));
  PetscCall(PetscArraycpy(W2, y + off, d * m));
  PetscCall(PetscFree6(y, trial, next, f.g, f.shifted, f.g_shifted));
  PetscCall(PetscFree(stages));
  PetscFunctionReturn(PETSC_SUCCESS);
}
