/* What the drift theory expects the days protocol (-protocol days, linear model) to measure:
 * the displacement and the angle between the day means of each stimulus' probed hidden layer.
 * The model and its derivation are in theory.h (RdTheoryPredictDays). */
#include "theory_impl.h"

#define NORM_QUADRATURE_STEP  0.05 /* trapezoid step in log s of the E|z| integral */
#define NORM_QUADRATURE_RANGE 64.0 /* log s within +-64 of -log E|z|^2 (truncation ~ e^-32) */

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

/* ------------------------------------------------------------------------------------------ */
/* The prediction                                                                               */

typedef struct {
  PetscInt m, mc, n, K, N, D, t; /* width, computed width, input dim, stimuli, normal modes, observations, tangent dim */
  double  *W1_day;               /* [D][m][n] mean-path W1 at each observation */
  double  *time;                 /* [D] steps since the start of burn-in */
  double  *power;                /* [D][N] (1 - k_i)^{t_d}; [D + lags] below */
  double  *lag_power;            /* [D][N] (1 - k_i)^{tau}, tau = lag * steps_per_day */
  double  *Z_one, *Z_day;        /* [N][mc] S Y^T and [D][N][mc] S Lambda^{t_d} Y^T of one stimulus */
  double  *YL, *work;            /* [mc][N] scaled loadings; [mc][mc] */
  double  *fluct;                /* [mc][mc] OU displacement covariance of one pair */
  double  *full, *vec, *eig;     /* [m][m] covariance at width m; its eigenvectors; [m] */
  double  *mu, *z_mean, *hbar;   /* [m] */
  double  *reduced, *rotated;    /* [mc] */
  double  *rk;                   /* [5][mc] Runge-Kutta stages */
  double  *Omh, *Ufluct;         /* [t][mc] Om_c h_s*; [m][mc] */
} DaysWork;

static PetscErrorCode CheckInput(const RdDaysInput *in)
{
  PetscFunctionBeginUser;
  PetscCheck(in->task && in->W1_init && in->W2_init, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Days prediction needs the task and the initial weights");
  PetscCheck(in->burnin_steps >= 0 && in->steps_per_day >= 1 && in->days >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-burnin_steps must be >= 0, -steps_per_day >= 1 and -days >= 0 (got %" PetscInt_FMT ", %" PetscInt_FMT ", %" PetscInt_FMT ")", in->burnin_steps, in->steps_per_day, in->days);
  PetscCheck(in->probe_samples >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-probe_samples must be at least 1 (got %" PetscInt_FMT ")", in->probe_samples);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PredictionAllocate(const RdDaysInput *in, RdDaysPrediction *out)
{
  const PetscInt D = in->days + 1, K = in->task->num_stimuli, m = in->width;
  const size_t   pairs = (size_t)D * (size_t)D * (size_t)K;
  double        *all[6];

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(out, sizeof(*out)));
  out->num_stimuli = K;
  out->num_days    = D;
  out->width       = m;
  out->holds       = PETSC_TRUE;
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

/* The mean path: gradient descent on L from the initial weights, W1 kept at every observation;
 * its end (W1, W2) is returned for the descent to theta*. */
static PetscErrorCode MeanPath(const RdDaysInput *in, const RdLinearHyper *hyper, DaysWork *w, double *W1, double *W2, PetscBool *finite)
{
  const PetscInt m = w->m, n = w->n, d = in->task->output_dim;

  PetscFunctionBeginUser;
  PetscCall(PetscArraycpy(W1, in->W1_init, m * n));
  PetscCall(PetscArraycpy(W2, in->W2_init, d * m));
  *finite = PETSC_TRUE;
  for (PetscInt day = 0; day < w->D && *finite; day++) {
    PetscCall(RdTheoryMeanPath(in->task, m, hyper, day == 0 ? in->burnin_steps : in->steps_per_day, W1, W2, finite));
    PetscCall(PetscArraycpy(w->W1_day + (size_t)day * m * n, W1, m * n));
    w->time[day] = (double)in->burnin_steps + (double)day * (double)in->steps_per_day;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Lambda^{t} of every mode at every observation time and every lag. */
static void Powers(const RdTheoryResult *th, const RdDaysInput *in, DaysWork *w)
{
  for (PetscInt day = 0; day < w->D; day++)
    for (PetscInt i = 0; i < w->N; i++) {
      w->power[RD_IDX2(day, i, w->N)]     = pow(1.0 - th->relaxation_rate[i], w->time[day]);
      w->lag_power[RD_IDX2(day, i, w->N)] = pow(1.0 - th->relaxation_rate[i], (double)day * (double)in->steps_per_day);
    }
}

/* Z(a) = S diag(a) Y^T [N][mc] (a = NULL: ones). */
static PetscErrorCode ScaledProduct(const RdTheoryResult *th, const double *Y, const double *a, DaysWork *w, double *Z)
{
  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < w->mc; r++)
    for (PetscInt i = 0; i < w->N; i++) w->YL[RD_IDX2(r, i, w->N)] = Y[RD_IDX2(r, i, w->N)] * (a ? a[i] : 1.0);
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, w->N, w->mc, w->N, 1.0, th->mode_covariance, w->YL, 0.0, Z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* out (+)= sign * (Y diag(a)) Z, [mc][mc]; symmetric adds the transpose too. */
static PetscErrorCode AddProduct(const double *Y, const double *a, const double *Z, double sign, PetscBool symmetric, DaysWork *w, double *out)
{
  const PetscInt mc = w->mc;

  PetscFunctionBeginUser;
  for (PetscInt r = 0; r < mc; r++)
    for (PetscInt i = 0; i < w->N; i++) w->YL[RD_IDX2(r, i, w->N)] = Y[RD_IDX2(r, i, w->N)] * (a ? a[i] : 1.0);
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, mc, mc, w->N, 1.0, w->YL, Z, 0.0, w->work));
  for (PetscInt r = 0; r < mc; r++)
    for (PetscInt c = 0; c < mc; c++) out[RD_IDX2(r, c, mc)] += sign * (w->work[RD_IDX2(r, c, mc)] + (symmetric ? w->work[RD_IDX2(c, r, mc)] : 0.0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cov(J (delta_{t'} - delta_t)) for days (day, later) of stimulus Y (mc x mc, computed basis):
 * 2 Y S Y^T - Y L^{t'} S L^{t'} Y^T - Y L^t S L^t Y^T - sym(Y L^tau S Y^T) + sym(Y L^{tau+t} S L^t Y^T). */
static PetscErrorCode FluctuationPair(const double *Y, PetscInt day, PetscInt later, DaysWork *w)
{
  const PetscInt N = w->N, lag = later - day;
  double        *combined;

  PetscFunctionBeginUser;
  for (PetscInt a = 0; a < w->mc * w->mc; a++) w->fluct[a] = 0.0;
  PetscCall(AddProduct(Y, NULL, w->Z_one, 2.0, PETSC_FALSE, w, w->fluct));
  PetscCall(AddProduct(Y, w->power + RD_IDX2(later, 0, N), w->Z_day + (size_t)later * N * w->mc, -1.0, PETSC_FALSE, w, w->fluct));
  PetscCall(AddProduct(Y, w->power + RD_IDX2(day, 0, N), w->Z_day + (size_t)day * N * w->mc, -1.0, PETSC_FALSE, w, w->fluct));
  PetscCall(AddProduct(Y, w->lag_power + RD_IDX2(lag, 0, N), w->Z_one, -1.0, PETSC_TRUE, w, w->fluct));
  PetscCall(PetscMalloc1(N, &combined));
  for (PetscInt i = 0; i < N; i++) combined[i] = w->lag_power[RD_IDX2(lag, i, N)] * w->power[RD_IDX2(day, i, N)];
  PetscCall(AddProduct(Y, combined, w->Z_day + (size_t)day * N * w->mc, 1.0, PETSC_TRUE, w, w->fluct));
  PetscCall(PetscFree(combined));
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

/* One pair of observation days for stimulus s: mean mu, covariance `full` at width m, and from
 * them the expected squared displacement, its parts and the expected angle. */
static PetscErrorCode PredictPair(const RdDaysInput *in, const RdTheoryResult *th, PetscInt s, PetscInt day, PetscInt later, DaysWork *w, RdDaysPrediction *out)
{
  const PetscInt m = w->m, mc = w->mc, n = w->n, K = w->K, D = w->D;
  const double  *U = th->hidden_basis, *x = in->task->stimuli + RD_IDX2(s, 0, n), tau = (double)(later - day) * (double)in->steps_per_day;
  const size_t   pair = RD_IDX3(day, later, s, D, K);
  double        *reduced = w->reduced, *rotated = w->rotated, *Omh = w->Omh, diffusion_trace, sum, projection, denominator, norm_h;
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
  /* covariance in the computed basis: fluctuation, plus diffusion along the orbit (small-angle
   * shape sum_cc' 2D_cc' (Om_c h*)(Om_c' h*)^T tau, scaled to the co-rotating trace) */
  PetscCall(FluctuationPair(th->mode_loading + (size_t)s * mc * w->N, day, later, w));
  out->displacement_fluctuation[pair] = Trace(mc, w->fluct);
  diffusion_trace                     = 0.0;
  if (!th->isolated && w->t > 0) {
    double grow[2], times[2] = {0.0, tau}, shape = 0.0;
    PetscCall(RdTheoryVarianceCurve(th, s, 2, times, grow));
    diffusion_trace = grow[1] - grow[0];
    for (PetscInt c = 0; c < w->t; c++) RdTheoryMatMul(mc, mc, 1, th->generators + (size_t)c * mc * mc, th->h_star + RD_IDX2(s, 0, mc), Omh + c * mc);
    for (PetscInt c = 0; c < w->t; c++)
      for (PetscInt c2 = 0; c2 < w->t; c2++) shape += th->diffusion_matrix[RD_IDX2(c, c2, w->t)] * RdDot(Omh + c * mc, Omh + c2 * mc, mc);
    for (PetscInt c = 0; c < w->t && shape > 0.0; c++)
      for (PetscInt c2 = 0; c2 < w->t; c2++) {
        const double weight = diffusion_trace / shape * th->diffusion_matrix[RD_IDX2(c, c2, w->t)];
        for (PetscInt a = 0; a < mc; a++)
          for (PetscInt b = 0; b < mc; b++) w->fluct[RD_IDX2(a, b, mc)] += weight * Omh[c * mc + a] * Omh[c2 * mc + b];
      }
  }
  out->displacement_diffusion[pair] = diffusion_trace;
  /* to width m: U (.) U^T, plus the two days' probe sampling noise */
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, m, mc, mc, 1.0, U, w->fluct, 0.0, w->Ufluct));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, m, m, mc, 1.0, w->Ufluct, U, 0.0, w->full));
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
  PetscCall(RdTheorySymmetricEigen(m, w->full, w->eig, w->vec));
  for (PetscInt i = 0; i < m; i++) w->z_mean[i] = RdDot(w->vec + RD_IDX2(i, 0, m), w->mu, m);
  denominator     = norm_h + projection;
  out->angle[pair] = RD_DEGREES(atan2(RdGaussianExpectedNorm(m, w->eig, w->z_mean), denominator));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WorkCreate(const RdDaysInput *in, const RdTheoryResult *th, DaysWork *w)
{
  const PetscInt m = w->m, mc = w->mc, N = w->N, D = w->D;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6((size_t)D * N, &w->power, (size_t)D * N, &w->lag_power, (size_t)N * mc, &w->Z_one, (size_t)D * N * mc, &w->Z_day, (size_t)mc * N, &w->YL, (size_t)mc * mc, &w->work));
  PetscCall(PetscMalloc6((size_t)mc * mc, &w->fluct, (size_t)m * m, &w->full, (size_t)m * m, &w->vec, m, &w->eig, m, &w->mu, m, &w->z_mean));
  PetscCall(PetscMalloc6(m, &w->hbar, mc, &w->reduced, mc, &w->rotated, 5 * mc, &w->rk, (size_t)PetscMax(w->t, 1) * mc, &w->Omh, (size_t)m * mc, &w->Ufluct));
  (void)in;
  (void)th;
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WorkDestroy(DaysWork *w)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree6(w->power, w->lag_power, w->Z_one, w->Z_day, w->YL, w->work));
  PetscCall(PetscFree6(w->fluct, w->full, w->vec, w->eig, w->mu, w->z_mean));
  PetscCall(PetscFree6(w->hbar, w->reduced, w->rotated, w->rk, w->Omh, w->Ufluct));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every pair of every stimulus, once the theory holds at theta*. */
static PetscErrorCode PredictAllPairs(const RdDaysInput *in, const RdTheoryResult *th, DaysWork *w, RdDaysPrediction *out)
{
  PetscFunctionBeginUser;
  PetscCall(WorkCreate(in, th, w));
  Powers(th, in, w);
  for (PetscInt s = 0; s < w->K; s++) {
    const double *Y = th->mode_loading + (size_t)s * w->mc * w->N;
    PetscCall(ScaledProduct(th, Y, NULL, w, w->Z_one));
    for (PetscInt day = 0; day < w->D; day++) PetscCall(ScaledProduct(th, Y, w->power + RD_IDX2(day, 0, w->N), w, w->Z_day + (size_t)day * w->N * w->mc));
    for (PetscInt day = 0; day < w->D; day++)
      for (PetscInt later = day + 1; later < w->D; later++) PetscCall(PredictPair(in, th, s, day, later, w, out));
  }
  PetscCall(WorkDestroy(w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheoryPredictDays(const RdDaysInput *in, RdDaysPrediction *out)
{
  const PetscInt      m = in->width, n = in->task->input_dim, d = in->task->output_dim;
  const RdLinearHyper hyper = {.lr = in->lr, .weight_decay = in->weight_decay, .dropout = in->dropout, .input_noise = in->input_noise, .batch = 1};
  DaysWork            w     = {.m = m, .n = n, .K = in->task->num_stimuli, .D = in->days + 1};
  RdTheoryResult      th;
  double             *W1, *W2;
  PetscBool           finite;

  PetscFunctionBeginUser;
  PetscCall(CheckInput(in));
  PetscCall(PredictionAllocate(in, out));
  PetscCall(PetscMalloc4((size_t)w.D * m * n, &w.W1_day, w.D, &w.time, m * n, &W1, d * m, &W2));
  PetscCall(MeanPath(in, &hyper, &w, W1, W2, &finite));
  if (!finite) {
    out->holds = PETSC_FALSE;
    PetscCall(PetscSNPrintf(out->why, sizeof out->why, "the mean path (gradient descent on the expected loss at -lr %g) diverges", in->lr));
    PetscCall(PetscFree4(w.W1_day, w.time, W1, W2));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  for (PetscInt day = 0; day < w.D; day++)
    for (PetscInt s = 0; s < w.K; s++) RdTheoryMatMul(m, n, 1, w.W1_day + (size_t)day * m * n, in->task->stimuli + RD_IDX2(s, 0, n), out->mean_response + RD_IDX3(day, s, 0, w.K, m));
  RdTheoryInput theory_in = {.task = in->task, .width = m, .weight_decay = in->weight_decay, .lr = in->lr, .input_noise = in->input_noise, .dropout = in->dropout, .batch = in->batch, .W1_start = W1, .W2_start = W2};
  PetscCall(RdTheoryCompute(&theory_in, &th));
  out->holds            = th.holds;
  out->relaxation_steps = th.relaxation_steps;
  if (th.holds) {
    w.mc = th.computed_width, w.N = th.normal_dim, w.t = th.tangent_dim;
    PetscCall(PredictAllPairs(in, &th, &w, out));
  } else PetscCall(PetscStrncpy(out->why, th.why, sizeof out->why));
  PetscCall(RdTheoryResultDestroy(&th));
  PetscCall(PetscFree4(w.W1_day, w.time, W1, W2));
  PetscFunctionReturn(PETSC_SUCCESS);
}
