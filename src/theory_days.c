/* What the drift theory expects the days protocol (-protocol days, linear model) to measure:
 * the displacement and the angle between the day means of each stimulus' probed hidden layer.
 * The model and its derivation are in theory.h (RdTheoryPredictDays).
 *
 * Two implementations of the same model: the reference (input->reference) steps the mean path,
 * computes the theory densely and every angle by a full eigensolve at width m; the default
 * integrates the mean path's modified equation (theory_flow.c), computes isolated minima by
 * unit-type sectors (theory_symmetric.c), runs a prediction without dropout in the span of the
 * initial weights (at most n + d hidden dimensions: the objective is rotation invariant, so the
 * mean path, theta*, the fluctuations and the probes never leave it and the complement adds
 * nothing to the day means), and takes E|z| from the covariance's tridiagonal form. Tested
 * against each other (tests/unit/test_theory_days.c). */
#include "theory_impl.h"

#define NORM_QUADRATURE_STEP  0.05 /* trapezoid step in log s of the E|z| integral (eigenvalue form) */
#define NORM_QUADRATURE_RANGE 64.0 /* log s within +-64 of -log E|z|^2 (truncation ~ e^-32) */
/* the tridiagonal form's step: the integrand is analytic in the strip |Im log s| < pi, so the
 * trapezoid error is ~exp(-2 pi^2 / step) = e^-79 */
#define NORM_TRIDIAGONAL_STEP 0.25

/* ------------------------------------------------------------------------------------------ */
/* E|z| of a Gaussian vector                                                                    */

/* For X >= 0, E sqrt X = (1 / (2 sqrt pi)) int_0^inf (1 - E e^{-sX}) s^{-3/2} ds, and for
 * independent z_i ~ N(mu_i, v_i), E e^{-s |z|^2} = prod_i (1 + 2 s v_i)^{-1/2} e^{-s mu_i^2 / (1 + 2 s v_i)}.
 * With s = e^u the integrand (1 - E e^{-sX}) e^{-u/2} is smooth and decays like e^{-|u|/2} on
 * both sides; the trapezoid rule on a uniform grid converges geometrically. */
double RdGaussianExpectedNorm(PetscInt n, const double *variances, const double *means)
{
  double second = 0.0, center, integral = 0.0;

  for (PetscInt i = 0; i < n; i++) second += variances[i] + means[i] * means[i];
  if (second <= 0.0) return 0.0;
  center = -log(second);
  for (double u = center - NORM_QUADRATURE_RANGE; u <= center + NORM_QUADRATURE_RANGE; u += NORM_QUADRATURE_STEP) {
    const double s = exp(u);
    double       log_phi = 0.0;
    for (PetscInt i = 0; i < n; i++) {
      const double v = PetscMax(variances[i], 0.0), a = 1.0 + 2.0 * s * v;
      log_phi -= 0.5 * log1p(2.0 * s * v) + s * means[i] * means[i] / a;
    }
    integral += -expm1(log_phi) * exp(-0.5 * u) * NORM_QUADRATURE_STEP;
  }
  return integral / (2.0 * sqrt(PETSC_PI));
}


/* E|z| from the tridiagonal form of the covariance: per node the LDL^T pivots of 1 + 2sT (all >= 1
 * for a covariance; clamped there against rounding) give the determinant and the quadratic form. */
PetscErrorCode RdGaussianExpectedNormCovariance(PetscInt n, double *covariance, const double *mean, double *expected)
{
  double *diag, *off, *rotated, second = 0.0, center, integral = 0.0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(n, &diag, PetscMax(n - 1, 1), &off, n, &rotated));
  PetscCall(PetscArraycpy(rotated, mean, n));
  for (PetscInt i = 0; i < n; i++) second += covariance[RD_IDX2(i, i, n)] + mean[i] * mean[i];
  PetscCall(RdTheoryTridiagonalize(n, covariance, diag, off, rotated));
  *expected = 0.0;
  if (second <= 0.0) {
    PetscCall(PetscFree3(diag, off, rotated));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  center = -log(second);
  for (double u = center - NORM_QUADRATURE_RANGE; u <= center + NORM_QUADRATURE_RANGE; u += NORM_TRIDIAGONAL_STEP) {
    const double s = exp(u);
    double       log_det, quadratic = 0.0, pivot = 1.0, carried = 0.0, mantissa = 1.0, largest = 0.0, sums[3] = {0.0, 0.0, 0.0};
    int          exponent = 0, e;
    for (PetscInt i = 0; i < n; i++) {
      const double b = i ? 2.0 * s * off[i - 1] : 0.0, l = i ? b / pivot : 0.0;
      const double excess = PetscMax(2.0 * s * diag[i] - l * b, 0.0); /* pivot - 1, kept apart for small s */
      pivot   = 1.0 + excess;
      carried = rotated[i] - l * carried;
      quadratic += carried * carried / pivot;
      largest = PetscMax(largest, excess);
      sums[0] += excess, sums[1] += excess * excess, sums[2] += excess * excess * excess;
      mantissa = frexp(mantissa * pivot, &e), exponent += e; /* log det without a log per pivot */
    }
    /* sum log(1 + x_i): by its series while every x_i < 1e-4 (error ~x^4), else from the product */
    log_det = largest < 1e-4 ? sums[0] - 0.5 * sums[1] + sums[2] / 3.0 : log(mantissa) + exponent * log(2.0);
    integral += -expm1(-0.5 * log_det - s * quadratic) * exp(-0.5 * u) * NORM_TRIDIAGONAL_STEP;
  }
  *expected = integral / (2.0 * sqrt(PETSC_PI));
  PetscCall(PetscFree3(diag, off, rotated));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The prediction                                                                               */

typedef struct {
  PetscInt m, mc, n, K, D, t;  /* width, computed width, input dim, stimuli, observations, tangent dim */
  double  *W1_day;             /* [D][m][n] mean-path W1 at each observation */
  double  *time;               /* [D] steps since the start of burn-in */
  double  *C_day;              /* [D][m][m] Cov(h_s(t_d)) of the fluctuation from the start, one stimulus */
  double  *C_lag;              /* [m][m] Cov(h_s(t_later), h_s(t_day)) */
  double  *shift;              /* [D][m] J_s mu(t_d): the noise-induced mean shift (isolated minima) */
  double  *reduced_fluct;      /* [mc][mc] diffusion along the orbit in the computed basis */
  double  *full, *vec, *eig;   /* [m][m] covariance of the displacement; eigenvectors; [m] */
  double  *mu, *z_mean, *hbar; /* [m] */
  double  *reduced, *rotated;  /* [mc] */
  double  *rk;                 /* [5][mc] Runge-Kutta stages */
  double  *Omh, *Ufluct;       /* [t][mc] Om_c h_s*; [m][mc] */
} DaysWork;

static PetscErrorCode CheckInput(const RdDaysInput *in)
{
  PetscFunctionBeginUser;
  PetscCheck(in->task && in->W1_init && in->W2_init, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Days prediction needs the task and the initial weights");
  PetscCheck(in->burnin_steps >= 0 && in->steps_per_day >= 1 && in->days >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-burnin_steps must be >= 0, -steps_per_day >= 1 and -days >= 0 (got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", in->burnin_steps, in->steps_per_day, in->days);
  PetscCheck(in->probe_samples >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-probe_samples must be at least 1 (got %" PetscInt_FMT ")", in->probe_samples);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PredictionAllocate(PetscInt D, PetscInt K, PetscInt m, RdDaysPrediction *out)
{
  const size_t pairs = (size_t)D * (size_t)D * (size_t)K;
  double      *all[6];

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(out, sizeof(*out)));
  out->num_stimuli  = K;
  out->num_days     = D;
  out->width        = m;
  out->holds        = PETSC_TRUE;
  out->failure      = RD_THEORY_HOLDS;
  out->nonlinearity = RD_NAN;
  out->relaxation_steps = RD_NAN;
  PetscCall(PetscMalloc1((size_t)D * K * m, &out->mean_response));
  PetscCall(PetscMalloc6(pairs, &all[0], pairs, &all[1], pairs, &all[2], pairs, &all[3], pairs, &all[4], pairs, &all[5]));
  out->displacement = all[0], out->displacement_path = all[1], out->displacement_fluctuation = all[2];
  out->displacement_diffusion = all[3], out->displacement_probe = all[4], out->angle = all[5];
  for (int f = 0; f < 6; f++)
    for (size_t a = 0; a < pairs; a++) all[f][a] = RD_NAN;
  for (size_t a = 0; a < (size_t)D * K * m; a++) out->mean_response[a] = RD_NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdDaysPredictionDestroy(RdDaysPrediction *out)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(out->mean_response));
  PetscCall(PetscFree6(out->displacement, out->displacement_path, out->displacement_fluctuation, out->displacement_diffusion, out->displacement_probe, out->angle));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every prediction NaN (the mean path stays). */
static void PredictionsNaN(RdDaysPrediction *out)
{
  const size_t pairs = (size_t)out->num_days * (size_t)out->num_days * (size_t)out->num_stimuli;
  double      *all[6] = {out->displacement, out->displacement_path, out->displacement_fluctuation, out->displacement_diffusion, out->displacement_probe, out->angle};
  out->holds          = PETSC_FALSE;
  for (int f = 0; f < 6; f++)
    for (size_t a = 0; a < pairs; a++) all[f][a] = RD_NAN;
}

/* The mean path: gradient descent on L from the initial weights (reference: step by step; else
 * the modified equation's flow), W1 kept at every observation; its end (W1, W2) is returned for
 * the descent to theta*. */
static PetscErrorCode MeanPath(const RdDaysInput *in, PetscInt m, const double *W1_init, const double *W2_init, const RdLinearHyper *hyper, DaysWork *w, double *W1, double *W2, PetscBool *finite)
{
  const PetscInt n = w->n, d = in->task->output_dim;

  PetscFunctionBeginUser;
  PetscCall(PetscArraycpy(W1, W1_init, m * n));
  PetscCall(PetscArraycpy(W2, W2_init, d * m));
  for (PetscInt day = 0; day < w->D; day++) w->time[day] = (double)in->burnin_steps + (double)day * (double)in->steps_per_day;
  *finite = PETSC_TRUE;
  if (!in->reference) {
    PetscCall(RdTheoryMeanFlow(in->task, m, hyper, w->D, w->time, W1, W2, w->W1_day, finite));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt day = 0; day < w->D && *finite; day++) {
    PetscCall(RdTheoryMeanPath(in->task, m, hyper, day == 0 ? in->burnin_steps : in->steps_per_day, W1, W2, finite));
    PetscCall(PetscArraycpy(w->W1_day + (size_t)day * m * n, W1, m * n));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* v <- exp(V tau) v by classical Runge-Kutta steps of at most 0.01 / omega (computed basis);
 * rk: [5][mc] scratch. */
static void Rotate(PetscInt mc, const double *V, double rate, double tau, double *v, double *rk)
{
  double      *k1 = rk, *k2 = rk + mc, *k3 = rk + 2 * mc, *k4 = rk + 3 * mc, *tmp = rk + 4 * mc;
  const double max_step = rate > 0.0 ? 0.01 / rate : tau;
  if (!(rate > 0.0) || tau <= 0.0) return;
  for (double done = 0.0; done < tau;) {
    const double du = PetscMin(max_step, tau - done);
    RdTheoryMatMul(mc, mc, 1, V, v, k1);
    for (PetscInt i = 0; i < mc; i++) tmp[i] = v[i] + 0.5 * du * k1[i];
    RdTheoryMatMul(mc, mc, 1, V, tmp, k2);
    for (PetscInt i = 0; i < mc; i++) tmp[i] = v[i] + 0.5 * du * k2[i];
    RdTheoryMatMul(mc, mc, 1, V, tmp, k3);
    for (PetscInt i = 0; i < mc; i++) tmp[i] = v[i] + du * k3[i];
    RdTheoryMatMul(mc, mc, 1, V, tmp, k4);
    for (PetscInt i = 0; i < mc; i++) v[i] += du / 6.0 * (k1[i] + 2.0 * k2[i] + 2.0 * k3[i] + k4[i]);
    done += du;
  }
}

/* Probe sampling covariance of one day mean, added into full [m][m]:
 * (s^2 W1 W1^T + c diag(W1 (x x^T + s^2 1) W1^T)) / samples, c = q/(1-q) with probe dropout. */
static void AddProbe(const RdDaysInput *in, const double *W1, const double *x, DaysWork *w, double *full)
{
  const PetscInt m = w->m, n = w->n;
  const double   s2 = in->input_noise * in->input_noise, c = in->probe_dropout ? RdTheoryDropoutFactor(in->dropout) : 0.0, inv = 1.0 / (double)in->probe_samples;
  for (PetscInt i = 0; i < m; i++) {
    const double hi = RdDot(W1 + RD_IDX2(i, 0, n), x, n), row2 = RdDot(W1 + RD_IDX2(i, 0, n), W1 + RD_IDX2(i, 0, n), n);
    for (PetscInt j = 0; j < m; j++) full[RD_IDX2(i, j, m)] += inv * s2 * RdDot(W1 + RD_IDX2(i, 0, n), W1 + RD_IDX2(j, 0, n), n);
    full[RD_IDX2(i, i, m)] += inv * c * (hi * hi + s2 * row2);
  }
}

static double Trace(PetscInt m, const double *A)
{
  double sum = 0.0;
  for (PetscInt i = 0; i < m; i++) sum += A[RD_IDX2(i, i, m)];
  return sum;
}

/* The diffusion along the orbit between two days in the computed basis (small-angle shape
 * sum_cc' 2D_cc' (Om_c h*)(Om_c' h*)^T tau, scaled to the co-rotating trace), into w->reduced_fluct. */
static PetscErrorCode OrbitDiffusion(const RdTheoryResult *th, PetscInt s, double tau, DaysWork *w, double *trace)
{
  const PetscInt mc = w->mc;
  double        *Omh = w->Omh, grow[2], times[2] = {0.0, tau}, shape = 0.0;

  PetscFunctionBeginUser;
  for (PetscInt a = 0; a < mc * mc; a++) w->reduced_fluct[a] = 0.0;
  *trace = 0.0;
  if (th->isolated || w->t == 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdTheoryVarianceCurve(th, s, 2, times, grow));
  *trace = grow[1] - grow[0];
  for (PetscInt c = 0; c < w->t; c++) RdTheoryMatMul(mc, mc, 1, th->generators + (size_t)c * mc * mc, th->h_star + RD_IDX2(s, 0, mc), Omh + c * mc);
  for (PetscInt c = 0; c < w->t; c++)
    for (PetscInt c2 = 0; c2 < w->t; c2++) shape += th->diffusion_matrix[RD_IDX2(c, c2, w->t)] * RdDot(Omh + c * mc, Omh + c2 * mc, mc);
  for (PetscInt c = 0; c < w->t && shape > 0.0; c++)
    for (PetscInt c2 = 0; c2 < w->t; c2++) {
      const double weight = *trace / shape * th->diffusion_matrix[RD_IDX2(c, c2, w->t)];
      for (PetscInt a = 0; a < mc; a++)
        for (PetscInt b = 0; b < mc; b++) w->reduced_fluct[RD_IDX2(a, b, mc)] += weight * Omh[c * mc + a] * Omh[c2 * mc + b];
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One pair of observation days for stimulus s: mean mu, covariance `full` at width m, and from
 * them the expected squared displacement, its parts and the expected angle. */
static PetscErrorCode PredictPair(const RdDaysInput *in, const RdTheoryResult *th, PetscInt s, PetscInt day, PetscInt later, DaysWork *w, RdDaysPrediction *out)
{
  const PetscInt m = w->m, mc = w->mc, n = w->n, K = w->K, D = w->D;
  const double  *U = th->hidden_basis, *x = in->task->stimuli + RD_IDX2(s, 0, n), tau = w->time[later] - w->time[day];
  const size_t   pair = RD_IDX3(day, later, s, D, K);
  const double  *Cd = w->C_day + (size_t)day * m * m, *Cl = w->C_day + (size_t)later * m * m;
  double        *reduced = w->reduced, *rotated = w->rotated, diffusion_trace, sum, projection, denominator, norm_h;
  double        *h_day = out->mean_response + RD_IDX3(day, s, 0, K, m), *h_later = out->mean_response + RD_IDX3(later, s, 0, K, m);

  PetscFunctionBeginUser;
  /* mean: exp(V tau) hbar(t') - hbar(t), the rotation acting inside the computed subspace */
  for (PetscInt c = 0; c < mc; c++) {
    reduced[c] = 0.0;
    for (PetscInt i = 0; i < m; i++) reduced[c] += U[RD_IDX2(i, c, mc)] * h_later[i];
    rotated[c] = reduced[c];
  }
  Rotate(mc, th->rotation_generator, th->rotation_rate, tau, rotated, w->rk);
  for (PetscInt i = 0; i < m; i++) {
    w->mu[i] = h_later[i] - h_day[i];
    for (PetscInt c = 0; c < mc; c++) w->mu[i] += U[RD_IDX2(i, c, mc)] * (rotated[c] - reduced[c]);
  }
  /* fluctuation: Cov(h(t')) + Cov(h(t)) - Cov(h(t'), h(t)) - its transpose */
  PetscCall(RdTheoryHiddenCovariance(th, s, w->time[later], w->time[day], w->C_lag));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) w->full[RD_IDX2(i, j, m)] = Cl[RD_IDX2(i, j, m)] + Cd[RD_IDX2(i, j, m)] - w->C_lag[RD_IDX2(i, j, m)] - w->C_lag[RD_IDX2(j, i, m)];
  out->displacement_fluctuation[pair] = Trace(m, w->full);
  /* diffusion along the orbit, mapped to width m */
  PetscCall(OrbitDiffusion(th, s, tau, w, &diffusion_trace));
  out->displacement_diffusion[pair] = diffusion_trace;
  if (diffusion_trace != 0.0) {
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, m, mc, mc, 1.0, U, w->reduced_fluct, 0.0, w->Ufluct));
    PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, m, m, mc, 1.0, w->Ufluct, U, 1.0, w->full));
  }
  /* the two days' probe sampling noise */
  sum = Trace(m, w->full);
  AddProbe(in, w->W1_day + (size_t)day * m * n, x, w, w->full);
  AddProbe(in, w->W1_day + (size_t)later * m * n, x, w, w->full);
  out->displacement_probe[pair] = Trace(m, w->full) - sum;
  out->displacement_path[pair]  = RdDot(w->mu, w->mu, m);
  out->displacement[pair]       = out->displacement_path[pair] + Trace(m, w->full);
  /* angle: z = the part of the displacement across the earlier day's mean direction u */
  norm_h = RdNorm(h_day, m);
  if (!(norm_h > 0.0)) PetscFunctionReturn(PETSC_SUCCESS);
  projection = RdDot(h_day, w->mu, m) / norm_h;
  for (PetscInt i = 0; i < m; i++) w->mu[i] -= projection * h_day[i] / norm_h;
  for (PetscInt i = 0; i < m; i++) w->hbar[i] = 0.0; /* (full u) */
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) w->hbar[i] += w->full[RD_IDX2(i, j, m)] * h_day[j] / norm_h;
  {
    const double uCu = RdDot(w->hbar, h_day, m) / norm_h;
    for (PetscInt i = 0; i < m; i++)
      for (PetscInt j = 0; j < m; j++) w->full[RD_IDX2(i, j, m)] += -w->hbar[i] * h_day[j] / norm_h - h_day[i] / norm_h * w->hbar[j] + uCu * h_day[i] * h_day[j] / (norm_h * norm_h);
  }
  denominator = norm_h + projection;
  if (in->reference) {
    PetscCall(RdTheorySymmetricEigen(m, w->full, w->eig, w->vec));
    for (PetscInt i = 0; i < m; i++) w->z_mean[i] = RdDot(w->vec + RD_IDX2(i, 0, m), w->mu, m);
    out->angle[pair] = RD_DEGREES(atan2(RdGaussianExpectedNorm(m, w->eig, w->z_mean), denominator));
  } else {
    double expected;
    PetscCall(RdGaussianExpectedNormCovariance(m, w->full, w->mu, &expected));
    out->angle[pair] = RD_DEGREES(atan2(expected, denominator));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WorkCreate(DaysWork *w)
{
  const PetscInt m = w->m, mc = w->mc, D = w->D;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6((size_t)D * m * m, &w->C_day, (size_t)m * m, &w->C_lag, (size_t)D * m, &w->shift, (size_t)mc * mc, &w->reduced_fluct, (size_t)m * m, &w->full, (size_t)m * m, &w->vec));
  PetscCall(PetscMalloc6(m, &w->eig, m, &w->mu, m, &w->z_mean, m, &w->hbar, mc, &w->reduced, mc, &w->rotated));
  PetscCall(PetscMalloc3(5 * mc, &w->rk, (size_t)PetscMax(w->t, 1) * mc, &w->Omh, (size_t)m * mc, &w->Ufluct));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WorkDestroy(DaysWork *w)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree6(w->C_day, w->C_lag, w->shift, w->reduced_fluct, w->full, w->vec));
  PetscCall(PetscFree6(w->eig, w->mu, w->z_mean, w->hbar, w->reduced, w->rotated));
  PetscCall(PetscFree3(w->rk, w->Omh, w->Ufluct));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every pair of every stimulus, once the theory holds at theta*; at isolated minima also the
 * days' nonlinearity: the drift the noise adds between two days at second order,
 * |J_s (mu(t_later) - mu(t_day))|^2, against the predicted displacement. */
static PetscErrorCode PredictAllPairs(const RdDaysInput *in, const RdTheoryResult *th, DaysWork *w, RdDaysPrediction *out)
{
  const PetscInt m = w->m, D = w->D, K = w->K;

  PetscFunctionBeginUser;
  PetscCall(WorkCreate(w));
  out->nonlinearity = th->isolated ? 0.0 : RD_NAN;
  for (PetscInt s = 0; s < K; s++) {
    for (PetscInt day = 0; day < D; day++) {
      PetscCall(RdTheoryHiddenCovariance(th, s, w->time[day], w->time[day], w->C_day + (size_t)day * m * m));
      if (th->isolated) PetscCall(RdTheoryNoiseShift(th, s, w->time[day], w->shift + (size_t)day * m));
    }
    for (PetscInt day = 0; day < D; day++)
      for (PetscInt later = day + 1; later < D; later++) {
        PetscCall(PredictPair(in, th, s, day, later, w, out));
        if (th->isolated) {
          double missed = 0.0;
          for (PetscInt i = 0; i < m; i++) missed += (w->shift[later * m + i] - w->shift[day * m + i]) * (w->shift[later * m + i] - w->shift[day * m + i]);
          out->nonlinearity = PetscMax(out->nonlinearity, missed / out->displacement[RD_IDX3(day, later, s, D, K)]);
        }
      }
  }
  PetscCall(WorkDestroy(w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The prediction at width in->width (or `width` with the given initial weights). */
static PetscErrorCode PredictAt(const RdDaysInput *in, PetscInt m, const double *W1_init, const double *W2_init, RdDaysPrediction *out)
{
  const PetscInt      n = in->task->input_dim, d = in->task->output_dim;
  const RdLinearHyper hyper = {.lr = in->lr, .weight_decay = in->weight_decay, .dropout = in->dropout, .input_noise = in->input_noise, .batch = 1};
  DaysWork            w     = {.m = m, .n = n, .K = in->task->num_stimuli, .D = in->days + 1};
  RdTheoryResult      th;
  double             *W1, *W2;
  PetscBool           finite;
  PetscErrorCode      theory_error;

  PetscFunctionBeginUser;
  PetscCall(PredictionAllocate(w.D, w.K, m, out));
  PetscCall(PetscMalloc4((size_t)w.D * m * n, &w.W1_day, w.D, &w.time, m * n, &W1, d * m, &W2));
  PetscCall(MeanPath(in, m, W1_init, W2_init, &hyper, &w, W1, W2, &finite));
  if (!finite) {
    PredictionsNaN(out);
    out->failure = RD_THEORY_MEAN_PATH_DIVERGES;
    PetscCall(PetscSNPrintf(out->why, sizeof out->why, "the mean path (gradient descent on the expected loss at -lr %g) diverges", in->lr));
    PetscCall(PetscFree4(w.W1_day, w.time, W1, W2));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt day = 0; day < w.D; day++)
    for (PetscInt s = 0; s < w.K; s++) RdTheoryMatMul(m, n, 1, w.W1_day + (size_t)day * m * n, in->task->stimuli + RD_IDX2(s, 0, n), out->mean_response + RD_IDX3(day, s, 0, w.K, m));
  RdTheoryInput theory_in = {.task = in->task, .width = m, .weight_decay = in->weight_decay, .lr = in->lr, .input_noise = in->input_noise, .dropout = in->dropout, .batch = in->batch, .W1_start = W1, .W2_start = W2, .dense = in->reference, .window_steps = w.time[w.D - 1], .nonlinearity_limit = INFINITY};
  /* outside the theory's domain (no weight decay, eta too large at theta*, no minimum reached):
   * no prediction, and the reason */
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  theory_error = RdTheoryCompute(&theory_in, &th);
  PetscCall(PetscPopErrorHandler());
  if (theory_error) {
    char *message = NULL;
    PetscCheck(theory_error == PETSC_ERR_USER_INPUT || theory_error == PETSC_ERR_NOT_CONVERGED, PETSC_COMM_SELF, theory_error, "Drift theory failed at theta* (error %d)", (int)theory_error);
    PredictionsNaN(out);
    out->failure = RD_THEORY_OUT_OF_DOMAIN;
    PetscCall(PetscErrorMessage(theory_error, NULL, &message));
    PetscCall(PetscSNPrintf(out->why, sizeof out->why, "outside the theory's domain at theta*: %s", message ? message : "error"));
    PetscCall(PetscFree4(w.W1_day, w.time, W1, W2));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  out->holds            = th.holds;
  out->failure          = th.failure;
  out->relaxation_steps = th.relaxation_steps;
  if (th.holds) {
    w.mc = th.computed_width, w.t = th.tangent_dim;
    PetscCall(PredictAllPairs(in, &th, &w, out));
    if (th.isolated && !(out->nonlinearity <= RD_THEORY_NONLINEARITY_LIMIT)) {
      PredictionsNaN(out);
      out->failure = RD_THEORY_NONLINEAR;
      PetscCall(PetscSNPrintf(out->why, sizeof out->why, "the fluctuations leave the harmonic basin: the drift the SGD noise adds at second order reaches %.3g of the predicted displacement between day means (limit %g)", out->nonlinearity, RD_THEORY_NONLINEARITY_LIMIT));
    }
  } else {
    PredictionsNaN(out);
    PetscCall(PetscStrncpy(out->why, th.why, sizeof out->why));
  }
  PetscCall(RdTheoryResultDestroy(&th));
  PetscCall(PetscFree4(w.W1_day, w.time, W1, W2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Orthonormal basis [m][r] of span{columns of W1 [m][n], rows of W2 [d][m]} (modified Gram-Schmidt
 * twice; directions below 1e-12 of the largest column dropped). */
static PetscErrorCode SpanBasis(PetscInt m, PetscInt n, PetscInt d, const double *W1, const double *W2, double *basis, PetscInt *rank)
{
  double *column, largest = 0.0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(m, &column));
  for (PetscInt c = 0; c < n + d; c++) {
    double norm = 0.0;
    for (PetscInt i = 0; i < m; i++) norm += (c < n ? W1[RD_IDX2(i, c, n)] : W2[RD_IDX2(c - n, i, m)]) * (c < n ? W1[RD_IDX2(i, c, n)] : W2[RD_IDX2(c - n, i, m)]);
    largest = PetscMax(largest, sqrt(norm));
  }
  *rank = 0;
  for (PetscInt c = 0; c < n + d; c++) {
    for (PetscInt i = 0; i < m; i++) column[i] = c < n ? W1[RD_IDX2(i, c, n)] : W2[RD_IDX2(c - n, i, m)];
    for (int pass = 0; pass < 2; pass++)
      for (PetscInt b = 0; b < *rank; b++) {
        double dot = 0.0;
        for (PetscInt i = 0; i < m; i++) dot += basis[RD_IDX2(i, b, n + d)] * column[i];
        for (PetscInt i = 0; i < m; i++) column[i] -= dot * basis[RD_IDX2(i, b, n + d)];
      }
    const double norm = RdNorm(column, m);
    if (!(norm > 1e-12 * largest)) continue;
    for (PetscInt i = 0; i < m; i++) basis[RD_IDX2(i, *rank, n + d)] = column[i] / norm;
    ++*rank;
  }
  PetscCall(PetscFree(column));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Without dropout, in the span of the initial weights: the prediction at width r <= n + d, its
 * mean responses mapped back to width m (every other output is invariant). */
static PetscErrorCode PredictInSpan(const RdDaysInput *in, RdDaysPrediction *out)
{
  const PetscInt   m = in->width, n = in->task->input_dim, d = in->task->output_dim, k = n + d, K = in->task->num_stimuli, D = in->days + 1;
  const size_t     pairs = (size_t)D * D * K;
  double          *basis, *W1r, *W2r;
  PetscInt         r = 0;
  RdDaysPrediction reduced;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3((size_t)m * k, &basis, k * n, &W1r, d * k, &W2r));
  PetscCall(SpanBasis(m, n, d, in->W1_init, in->W2_init, basis, &r));
  for (PetscInt b = 0; b < r; b++) {
    for (PetscInt a = 0; a < n; a++) {
      double sum = 0.0;
      for (PetscInt i = 0; i < m; i++) sum += basis[RD_IDX2(i, b, k)] * in->W1_init[RD_IDX2(i, a, n)];
      W1r[RD_IDX2(b, a, n)] = sum;
    }
    for (PetscInt o = 0; o < d; o++) {
      double sum = 0.0;
      for (PetscInt i = 0; i < m; i++) sum += in->W2_init[RD_IDX2(o, i, m)] * basis[RD_IDX2(i, b, k)];
      W2r[RD_IDX2(o, b, r)] = sum;
    }
  }
  PetscCall(PredictAt(in, r, W1r, W2r, &reduced));
  PetscCall(PredictionAllocate(D, K, m, out));
  out->holds = reduced.holds, out->failure = reduced.failure, out->relaxation_steps = reduced.relaxation_steps, out->nonlinearity = reduced.nonlinearity;
  PetscCall(PetscStrncpy(out->why, reduced.why, sizeof out->why));
  PetscCall(PetscArraycpy(out->displacement, reduced.displacement, pairs));
  PetscCall(PetscArraycpy(out->displacement_path, reduced.displacement_path, pairs));
  PetscCall(PetscArraycpy(out->displacement_fluctuation, reduced.displacement_fluctuation, pairs));
  PetscCall(PetscArraycpy(out->displacement_diffusion, reduced.displacement_diffusion, pairs));
  PetscCall(PetscArraycpy(out->displacement_probe, reduced.displacement_probe, pairs));
  PetscCall(PetscArraycpy(out->angle, reduced.angle, pairs));
  for (PetscInt day = 0; day < D; day++)
    for (PetscInt s = 0; s < K; s++) {
      const double *h = reduced.mean_response + RD_IDX3(day, s, 0, K, r);
      for (PetscInt i = 0; i < m; i++) {
        double sum = 0.0;
        for (PetscInt b = 0; b < r; b++) sum += basis[RD_IDX2(i, b, k)] * h[b];
        out->mean_response[RD_IDX3(day, s, i, K, m)] = sum;
      }
    }
  PetscCall(RdDaysPredictionDestroy(&reduced));
  PetscCall(PetscFree3(basis, W1r, W2r));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryPredictDays(const RdDaysInput *in, RdDaysPrediction *out)
{
  PetscFunctionBeginUser;
  PetscCall(CheckInput(in));
  if (!in->reference && in->dropout == 0.0 && in->width > in->task->input_dim + in->task->output_dim) PetscCall(PredictInSpan(in, out));
  else PetscCall(PredictAt(in, in->width, in->W1_init, in->W2_init, out));
  PetscFunctionReturn(PETSC_SUCCESS);
}
