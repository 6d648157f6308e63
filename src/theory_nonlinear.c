/* The second-order force of the SGD noise on the mean, for the nonlinearity criterion of the drift
 * theory (theory.h, RD_THEORY_NONLINEARITY_LIMIT).
 *
 * The linearised theory puts the mean of the fluctuating weights at theta*. At the next order the
 * fluctuations delta ~ N(0, Sigma) push the mean: E grad L(theta* + delta) = grad L(theta*) +
 * T[Sigma] / 2 with T the third derivative of L, and the mean settles at
 * mu = -H^-1 T[Sigma] / 2 (by the time t: -sum_i v_i (v_i . f) / h_i (1 - (1 - eta h_i)^t), the
 * discrete dynamics' response to a constant force f). On an orbit of minima this force along the
 * orbit is the systematic rotation of Pashakhanloo & Koulakov; at an isolated minimum of the dropout
 * objective it pushes along the soft modes (the broken rotations), against a restoring force that
 * is only as strong as the dropout penalty. Where mu moves a hidden representation by a sizable
 * fraction of its predicted fluctuation the expansion around theta* is not self-consistent (E1
 * under dropout at eta = 0.025: the replica mean keeps rotating and the variance keeps growing).
 *
 * L is a quartic polynomial of theta, so grad L is cubic and
 *   grad L(theta + f) + grad L(theta - f) - 2 grad L(theta) = T(f, f)
 * exactly: sum_c T(f_c, f_c) / 2 over the columns of any square root of Sigma is the force, with
 * two gradient evaluations per column (no cubature error). */
#include "theory_impl.h"

PetscErrorCode RdTheoryNoiseInducedForce(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *theta, PetscInt num, const double *columns, const double *weights, double *force)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, P = m * (n + d), off = m * n;
  double        *center, *plus, *minus, *shifted, loss;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc4(P, &center, P, &plus, P, &minus, P, &shifted));
  PetscCall(RdTheoryPopulationGradient(task, m, hyper, theta, theta + off, center, center + off, &loss));
  for (PetscInt a = 0; a < P; a++) force[a] = 0.0;
  for (PetscInt c = 0; c < num; c++) {
    const double *f = columns + RD_IDX2(c, 0, P), w = weights ? weights[c] : 1.0;
    for (PetscInt a = 0; a < P; a++) shifted[a] = theta[a] + f[a];
    PetscCall(RdTheoryPopulationGradient(task, m, hyper, shifted, shifted + off, plus, plus + off, &loss));
    for (PetscInt a = 0; a < P; a++) shifted[a] = theta[a] - f[a];
    PetscCall(RdTheoryPopulationGradient(task, m, hyper, shifted, shifted + off, minus, minus + off, &loss));
    for (PetscInt a = 0; a < P; a++) force[a] += 0.5 * w * ((plus[a] - center[a]) + (minus[a] - center[a]));
  }
  PetscCall(PetscFree4(center, plus, minus, shifted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

const char *RdTheoryFailureName(RdTheoryFailure failure)
{
  switch (failure) {
  case RD_THEORY_HOLDS: return "the theory holds";
  case RD_THEORY_NOT_A_MINIMUM: return "theta* is not a minimum";
  case RD_THEORY_FLAT_MINIMUM: return "the minimum is flat in directions no symmetry explains";
  case RD_THEORY_NONLINEAR: return "the fluctuations leave the harmonic basin (noise-induced mean shift too large)";
  case RD_THEORY_MEAN_PATH_DIVERGES: return "the mean path diverges";
  case RD_THEORY_OUT_OF_DOMAIN: return "outside the theory's domain (weight decay 0, eta h_max >= 2, or no minimum reached)";
  case RD_THEORY_TOO_COSTLY: return "no exact method within the cost limit";
  }
  return "unknown";
}
