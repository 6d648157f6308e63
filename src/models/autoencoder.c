/* Non-negative, energy-efficient linear autoencoder: the training kernel (RdAutoencoderTrain), its
 * slow reference, the per-presentation and mean losses with gradients, the encoder, and the gap of
 * a learned encoder to the modular optimum of the reduced problem. Contract and conventions:
 * include/repdrift/models/autoencoder.h; science: shared/science/modularity.md.
 *
 * Determinism: every reduction has an order fixed in the source (strict C11, so no FMA
 * contraction), so a run is bit-reproducible. The fast kernel and the reference sum and apply Adam
 * in different orders, so they agree to rounding only. */
#include <repdrift/dense.h>
#include <repdrift/models/autoencoder.h>
#include <repdrift/modularity.h>
#include <math.h>

/* Views into ae->work. The fast kernel, the reference, the per-presentation loss and the mean
 * loss each use their own region, so the reference and RdAutoencoderLoss may call
 * RdAutoencoderSampleLoss while their own data still live in the work array. */
typedef struct {
  double *fast_source; /* [max_batch][d] the batch's presented sources */
  double *fast_z;      /* [max_batch][n] latents before dropout */
  double *fast_keep;   /* [max_batch][n] dropout scales keep_j / (1 - q) */
  double *fast_error;  /* [max_batch][d] (2/d) (shat - s): dl/dshat */
  double *fast_grad;   /* [P] batch sum of the per-presentation gradients */
  double *fast_back;   /* [n] dl/dz of one presentation */
  double *ref_keep;    /* [n] */
  double *ref_grad;    /* [P] one presentation's gradient */
  double *ref_sum;     /* [P] batch sum */
  double *sample_z, *sample_zd, *sample_error, *sample_back; /* RdAutoencoderSampleLoss: [n], [n], [d], [n] */
  double *loss_grad;   /* [P] RdAutoencoderLoss: one sample's gradient */
} AutoencoderWork;

/* Lays the regions out one after another from base and returns the total length in doubles; with
 * base NULL it only counts (RdAutoencoderCreate sizes ae->work with it). */
static size_t AutoencoderWorkCarve(PetscInt n_sources, PetscInt width, PetscInt max_batch, double *base, AutoencoderWork *w)
{
  const size_t d = (size_t)n_sources, n = (size_t)width, B = (size_t)max_batch, P = 2 * n * d + n + d;
  double     **region[] = {&w->fast_source, &w->fast_z, &w->fast_keep, &w->fast_error, &w->fast_grad, &w->fast_back, &w->ref_keep, &w->ref_grad, &w->ref_sum, &w->sample_z, &w->sample_zd, &w->sample_error, &w->sample_back, &w->loss_grad};
  const size_t length[] = {B * d, B * n, B * n, B * d, P, n, n, P, P, n, n, d, n, P};
  return RdCarve(base, region, length, sizeof(length) / sizeof(length[0]));
}

static AutoencoderWork AutoencoderWorkViews(const RdAutoencoder *ae)
{
  AutoencoderWork w;
  (void)AutoencoderWorkCarve(ae->n_sources, ae->width, ae->max_batch, ae->work, &w);
  return w;
}

void RdAutoencoderHyperDefaults(RdAutoencoderHyper *hyper)
{
  hyper->lr           = 1e-3;
  hyper->activity_l2  = 1e-3;
  hyper->nonneg       = 1.0;
  hyper->weight_l2    = 1e-4;
  hyper->dropout      = 0.0;
  hyper->adam_beta1   = 0.9;
  hyper->adam_beta2   = 0.999;
  hyper->adam_epsilon = 1e-8;
  hyper->batch        = 1;
  hyper->optimizer    = RD_AE_OPTIMIZER_ADAM;
}

PetscErrorCode RdAutoencoderHyperCheck(const RdAutoencoderHyper *hyper, const RdAutoencoder *ae)
{
  PetscFunctionBeginUser;
  PetscCheck(hyper, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdAutoencoderHyperCheck: hyper must not be NULL");
  PetscCheck(isfinite(hyper->lr) && hyper->lr > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder learning rate lr must be finite and > 0, got %g", hyper->lr);
  PetscCheck(isfinite(hyper->activity_l2) && hyper->activity_l2 >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder activity_l2 must be finite and >= 0, got %g", hyper->activity_l2);
  PetscCheck(isfinite(hyper->nonneg) && hyper->nonneg >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder nonneg (non-negativity penalty) must be finite and >= 0, got %g", hyper->nonneg);
  PetscCheck(isfinite(hyper->weight_l2) && hyper->weight_l2 >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder weight_l2 must be finite and >= 0, got %g", hyper->weight_l2);
  PetscCheck(hyper->dropout >= 0 && hyper->dropout < 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Autoencoder node dropout must be in [0, 1), got %g", hyper->dropout);
  PetscCheck(hyper->adam_beta1 >= 0 && hyper->adam_beta1 < 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Autoencoder adam_beta1 must be in [0, 1), got %g", hyper->adam_beta1);
  PetscCheck(hyper->adam_beta2 >= 0 && hyper->adam_beta2 < 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Autoencoder adam_beta2 must be in [0, 1), got %g", hyper->adam_beta2);
  PetscCheck(isfinite(hyper->adam_epsilon) && hyper->adam_epsilon > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder adam_epsilon must be finite and > 0, got %g", hyper->adam_epsilon);
  PetscCheck(hyper->batch >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Autoencoder batch must be at least 1, got %" PetscInt_FMT, hyper->batch);
  PetscCheck(!ae || hyper->batch <= ae->max_batch, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Autoencoder batch %" PetscInt_FMT " exceeds the model's max_batch %" PetscInt_FMT ": create the model with a larger max_batch", hyper->batch, ae ? ae->max_batch : 0);
  PetscCheck(hyper->optimizer == RD_AE_OPTIMIZER_ADAM || hyper->optimizer == RD_AE_OPTIMIZER_SGD, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder optimizer must be RD_AE_OPTIMIZER_ADAM or RD_AE_OPTIMIZER_SGD, got %d", (int)hyper->optimizer);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAutoencoderCreate(PetscInt n_sources, PetscInt width, PetscInt max_batch, RdAutoencoder *ae)
{
  AutoencoderWork count_only;

  PetscFunctionBeginUser;
  PetscCheck(n_sources >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder needs at least 1 source, got %" PetscInt_FMT, n_sources);
  PetscCheck(width >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder width must be at least 1, got %" PetscInt_FMT, width);
  PetscCheck(max_batch >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Autoencoder max_batch must be at least 1, got %" PetscInt_FMT, max_batch);
  ae->n_sources    = n_sources;
  ae->width        = width;
  ae->max_batch    = max_batch;
  ae->n_parameters = 2 * width * n_sources + width + n_sources;
  ae->adam_steps   = 0;
  PetscCall(PetscCalloc1(ae->n_parameters, &ae->parameters));
  PetscCall(PetscCalloc1(ae->n_parameters, &ae->adam_m));
  PetscCall(PetscCalloc1(ae->n_parameters, &ae->adam_v));
  PetscCall(PetscCalloc1(AutoencoderWorkCarve(n_sources, width, max_batch, NULL, &count_only), &ae->work));
  ae->W = ae->parameters;
  ae->b = ae->W + (size_t)width * (size_t)n_sources;
  ae->R = ae->b + width;
  ae->c = ae->R + (size_t)n_sources * (size_t)width;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAutoencoderDestroy(RdAutoencoder *ae)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(ae->parameters));
  PetscCall(PetscFree(ae->adam_m));
  PetscCall(PetscFree(ae->adam_v));
  PetscCall(PetscFree(ae->work));
  ae->W = ae->b = ae->R = ae->c = NULL;
  ae->n_sources = ae->width = ae->max_batch = ae->n_parameters = ae->adam_steps = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdAutoencoderInit(RdAutoencoder *ae, RdStream *init)
{
  const size_t weights = (size_t)ae->width * (size_t)ae->n_sources;
  for (size_t i = 0; i < weights; i++) ae->W[i] = RD_AE_INIT_SCALE * RdStreamNormal(init);
  for (size_t i = 0; i < weights; i++) ae->R[i] = RD_AE_INIT_SCALE * RdStreamNormal(init);
  for (PetscInt j = 0; j < ae->width; j++) ae->b[j] = 0.0;
  for (PetscInt r = 0; r < ae->n_sources; r++) ae->c[r] = 0.0;
  for (PetscInt i = 0; i < ae->n_parameters; i++) ae->adam_m[i] = ae->adam_v[i] = 0.0;
  ae->adam_steps = 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Draws shared by the fast kernel and the reference, in the order documented in the header.  */

/* Index of the presented sample. With cumulative, the first k < n - 1 with u < cumulative[k]
 * (else n - 1), i.e. RdStreamCategorical's answer for the same uniform; found by bisection,
 * which is exact because cumulative is non-decreasing. */
static inline PetscInt DrawSampleIndexFast(RdStream *sampling, const double *cumulative, PetscInt n_samples)
{
  if (!cumulative) return (PetscInt)RdStreamBelow(sampling, (uint32_t)n_samples);
  const double u = RdStreamUniform(sampling);
  PetscInt     lo = 0, hi = n_samples - 1; /* the answer lies in [lo, hi] */
  while (lo < hi) {
    const PetscInt mid = lo + (hi - lo) / 2;
    if (u < cumulative[mid]) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

static inline PetscInt DrawSampleIndexReference(RdStream *sampling, const double *cumulative, PetscInt n_samples)
{
  return cumulative ? (PetscInt)RdStreamCategorical(sampling, cumulative, (int)n_samples) : (PetscInt)RdStreamBelow(sampling, (uint32_t)n_samples);
}

/* keep_scale[j] = keep_j / (1 - q), keep_j = RdStreamUniform(noise) >= q: inverted dropout keeps
 * E[zd] = z. */
static inline void DrawDropoutScales(PetscInt width, double dropout, RdStream *noise, double *keep_scale)
{
  const double kept_scale = 1.0 / (1.0 - dropout);
  for (PetscInt j = 0; j < width; j++) keep_scale[j] = RdStreamUniform(noise) >= dropout ? kept_scale : 0.0;
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernel.                                                                                 */

/* Forward pass of one presentation: z = W s + b, e = (2/d)(R zd + c - s). Returns l(s). The
 * stored error is already dl/dshat so the backward pass needs no further scaling. */
static inline double ForwardPresentation(PetscInt d, PetscInt n, const double *restrict W, const double *restrict b, const double *restrict R, const double *restrict c, double activity_l2, double half_nonneg, const double *restrict s, const double *restrict keep, double *restrict z, double *restrict error)
{
  double activity = 0.0, violation = 0.0, squared_error = 0.0;
  for (PetscInt j = 0; j < n; j++) {
    const double *restrict row = W + RD_IDX2(j, 0, d);
    double zj = b[j];
    for (PetscInt k = 0; k < d; k++) zj += row[k] * s[k];
    z[j] = zj;
    activity += zj * zj;
    if (zj < 0.0) violation -= zj;
  }
  for (PetscInt r = 0; r < d; r++) {
    const double *restrict row = R + RD_IDX2(r, 0, n);
    double shat = c[r];
    if (keep)
      for (PetscInt j = 0; j < n; j++) shat += row[j] * (keep[j] * z[j]);
    else
      for (PetscInt j = 0; j < n; j++) shat += row[j] * z[j];
    const double er = shat - s[r];
    squared_error += er * er;
    error[r] = (2.0 / (double)d) * er;
  }
  return squared_error / (double)d + 0.5 * activity_l2 * activity + half_nonneg * violation;
}

/* Adds one presentation's gradient to the batch sums gW, gb, gR, gc (views of one [P] array):
 *   dR += e zd^T, dc += e, back = keep . (R^T e) + activity_l2 z - (nonneg/2) [z < 0],
 *   dW += back s^T, db += back. */
static inline void BackwardPresentation(PetscInt d, PetscInt n, const double *restrict R, double activity_l2, double half_nonneg, const double *restrict s, const double *restrict keep, const double *restrict z, const double *restrict error, double *restrict back, double *restrict gW, double *restrict gb, double *restrict gR, double *restrict gc)
{
  for (PetscInt j = 0; j < n; j++) back[j] = 0.0;
  for (PetscInt r = 0; r < d; r++) {
    const double *restrict row  = R + RD_IDX2(r, 0, n);
    double *restrict       grow = gR + RD_IDX2(r, 0, n);
    const double           er   = error[r];
    if (keep)
      for (PetscInt j = 0; j < n; j++) {
        grow[j] += er * (keep[j] * z[j]);
        back[j] += row[j] * er;
      }
    else
      for (PetscInt j = 0; j < n; j++) {
        grow[j] += er * z[j];
        back[j] += row[j] * er;
      }
    gc[r] += er;
  }
  for (PetscInt j = 0; j < n; j++) {
    const double zj = z[j];
    double       bj = (keep ? keep[j] * back[j] : back[j]) + activity_l2 * zj;
    if (zj < 0.0) bj -= half_nonneg;
    double *restrict grow = gW + RD_IDX2(j, 0, d);
    for (PetscInt k = 0; k < d; k++) grow[k] += bj * s[k];
    gb[j] += bj;
  }
}

/* One optimiser update of `count` parameters from the batch sums: g = sum / B + decay p (decay =
 * weight_l2 for W and R, 0 for the biases). Adam in PyTorch's arrangement,
 * p -= (lr / bc1) m / (sqrt(v) / sqrt(bc2) + eps), which equals the textbook form up to rounding. */
static inline void AdamSegment(size_t count, double inverse_batch, double decay, double beta1, double beta2, double epsilon, double step_size, double inverse_sqrt_bc2, const double *restrict sum, double *restrict p, double *restrict m, double *restrict v)
{
  const double one_minus_beta1 = 1.0 - beta1, one_minus_beta2 = 1.0 - beta2;
  for (size_t i = 0; i < count; i++) {
    const double g = sum[i] * inverse_batch + decay * p[i];
    m[i]           = beta1 * m[i] + one_minus_beta1 * g;
    v[i]           = beta2 * v[i] + one_minus_beta2 * (g * g);
    p[i] -= step_size * m[i] / (sqrt(v[i]) * inverse_sqrt_bc2 + epsilon);
  }
}

static inline void SGDSegment(size_t count, double inverse_batch, double decay, double lr, const double *restrict sum, double *restrict p)
{
  for (size_t i = 0; i < count; i++) p[i] -= lr * (sum[i] * inverse_batch + decay * p[i]);
}

/* Cost per step (batch 1, no dropout), d sources, n units, P = 2nd + n + d parameters: forward
 * 4nd flops, backward 5nd, the optimiser ~10 flops, a sqrt and a division per parameter; for the
 * paper's d = 2, n = 16 the Adam update dominates. */
PetscInt RdAutoencoderTrain(RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n_samples, const double *cumulative, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt        d = ae->n_sources, n = ae->width, batch = hyper->batch;
  const size_t          weights = (size_t)n * (size_t)d, P = (size_t)ae->n_parameters;
  const PetscBool       use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const double          half_nonneg = 0.5 * hyper->nonneg, inverse_batch = 1.0 / (double)batch;
  const AutoencoderWork w           = AutoencoderWorkViews(ae);
  double *restrict      grad        = w.fast_grad;
  double *restrict      gW = grad, *restrict gb = gW + weights, *restrict gR = gb + n, *restrict gc = gR + weights;

  if (nsteps <= 0 || batch < 1 || batch > ae->max_batch) return 0; /* and draw nothing */
  for (PetscInt step = 0; step < nsteps; step++) {
    double batch_loss = 0.0;
    for (PetscInt p = 0; p < batch; p++) {
      const PetscInt   index = DrawSampleIndexFast(sampling, cumulative, n_samples);
      double *restrict s     = w.fast_source + RD_IDX2(p, 0, d);
      double *restrict keep  = use_dropout ? w.fast_keep + RD_IDX2(p, 0, n) : NULL;
      for (PetscInt k = 0; k < d; k++) s[k] = sources[RD_IDX2(index, k, d)];
      if (keep) DrawDropoutScales(n, hyper->dropout, noise, keep);
      batch_loss += ForwardPresentation(d, n, ae->W, ae->b, ae->R, ae->c, hyper->activity_l2, half_nonneg, s, keep, w.fast_z + RD_IDX2(p, 0, n), w.fast_error + RD_IDX2(p, 0, d));
    }
    /* A non-finite parameter always reaches z or shat (NaN and inf propagate through the sums,
     * 0 * inf is NaN), so the batch loss alone detects divergence. */
    if (!isfinite(batch_loss)) return step;
    for (size_t i = 0; i < P; i++) grad[i] = 0.0;
    for (PetscInt p = 0; p < batch; p++) {
      const double *keep = use_dropout ? w.fast_keep + RD_IDX2(p, 0, n) : NULL;
      BackwardPresentation(d, n, ae->R, hyper->activity_l2, half_nonneg, w.fast_source + RD_IDX2(p, 0, d), keep, w.fast_z + RD_IDX2(p, 0, n), w.fast_error + RD_IDX2(p, 0, d), w.fast_back, gW, gb, gR, gc);
    }
    if (hyper->optimizer == RD_AE_OPTIMIZER_ADAM) {
      const double t = (double)(++ae->adam_steps), beta1 = hyper->adam_beta1, beta2 = hyper->adam_beta2, epsilon = hyper->adam_epsilon;
      const double step_size = hyper->lr / (1.0 - pow(beta1, t)), inverse_sqrt_bc2 = 1.0 / sqrt(1.0 - pow(beta2, t));
      AdamSegment(weights, inverse_batch, hyper->weight_l2, beta1, beta2, epsilon, step_size, inverse_sqrt_bc2, gW, ae->W, ae->adam_m, ae->adam_v);
      AdamSegment((size_t)n, inverse_batch, 0.0, beta1, beta2, epsilon, step_size, inverse_sqrt_bc2, gb, ae->b, ae->adam_m + weights, ae->adam_v + weights);
      AdamSegment(weights, inverse_batch, hyper->weight_l2, beta1, beta2, epsilon, step_size, inverse_sqrt_bc2, gR, ae->R, ae->adam_m + weights + n, ae->adam_v + weights + n);
      AdamSegment((size_t)d, inverse_batch, 0.0, beta1, beta2, epsilon, step_size, inverse_sqrt_bc2, gc, ae->c, ae->adam_m + 2 * weights + n, ae->adam_v + 2 * weights + n);
    } else {
      SGDSegment(weights, inverse_batch, hyper->weight_l2, hyper->lr, gW, ae->W);
      SGDSegment((size_t)n, inverse_batch, 0.0, hyper->lr, gb, ae->b);
      SGDSegment(weights, inverse_batch, hyper->weight_l2, hyper->lr, gR, ae->R);
      SGDSegment((size_t)d, inverse_batch, 0.0, hyper->lr, gc, ae->c);
    }
  }
  return nsteps;
}

/* ------------------------------------------------------------------------------------------ */
/* Reference and analysis: plain loops straight from the formulas.                              */

double RdAutoencoderSampleLoss(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *source, const double *keep_scale, double *gradient)
{
  const PetscInt        d = ae->n_sources, n = ae->width;
  const size_t          weights = (size_t)n * (size_t)d;
  const AutoencoderWork w       = AutoencoderWorkViews(ae);
  double                mse = 0.0, activity = 0.0, violation = 0.0;

  for (PetscInt j = 0; j < n; j++) {
    w.sample_z[j] = ae->b[j];
    for (PetscInt k = 0; k < d; k++) w.sample_z[j] += ae->W[RD_IDX2(j, k, d)] * source[k];
    w.sample_zd[j] = keep_scale ? keep_scale[j] * w.sample_z[j] : w.sample_z[j];
    activity += w.sample_z[j] * w.sample_z[j];
    violation += fmax(-w.sample_z[j], 0.0);
  }
  for (PetscInt r = 0; r < d; r++) {
    double shat = ae->c[r];
    for (PetscInt j = 0; j < n; j++) shat += ae->R[RD_IDX2(r, j, n)] * w.sample_zd[j];
    w.sample_error[r] = shat - source[r];
    mse += w.sample_error[r] * w.sample_error[r] / (double)d;
  }
  const double loss = mse + 0.5 * hyper->activity_l2 * activity + 0.5 * hyper->nonneg * violation;
  if (!gradient) return loss;

  double *gW = gradient, *gb = gW + weights, *gR = gb + n, *gc = gR + weights;
  /* dl/dshat_r = (2/d) e_r; dl/dzd_j = sum_r R_rj dl/dshat_r; dl/dz_j = keep_j dl/dzd_j + a z_j
   * - (nonneg/2) [z_j < 0] */
  for (PetscInt r = 0; r < d; r++) {
    const double dshat = 2.0 * w.sample_error[r] / (double)d;
    gc[r]              = dshat;
    for (PetscInt j = 0; j < n; j++) gR[RD_IDX2(r, j, n)] = dshat * w.sample_zd[j];
  }
  for (PetscInt j = 0; j < n; j++) {
    double dzd = 0.0;
    for (PetscInt r = 0; r < d; r++) dzd += ae->R[RD_IDX2(r, j, n)] * 2.0 * w.sample_error[r] / (double)d;
    w.sample_back[j] = (keep_scale ? keep_scale[j] : 1.0) * dzd + hyper->activity_l2 * w.sample_z[j] - (w.sample_z[j] < 0.0 ? 0.5 * hyper->nonneg : 0.0);
    gb[j]            = w.sample_back[j];
    for (PetscInt k = 0; k < d; k++) gW[RD_IDX2(j, k, d)] = w.sample_back[j] * source[k];
  }
  return loss;
}

/* 1 for the entries of W and R (decayed), 0 for the biases b and c. */
static double DecayMask(const RdAutoencoder *ae, size_t i)
{
  const size_t weights = (size_t)ae->width * (size_t)ae->n_sources;
  if (i < weights) return 1.0;                             /* W */
  if (i < weights + (size_t)ae->width) return 0.0;         /* b */
  if (i < 2 * weights + (size_t)ae->width) return 1.0;     /* R */
  return 0.0;                                              /* c */
}

PetscInt RdAutoencoderTrainReference(RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n_samples, const double *cumulative, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt        d = ae->n_sources, n = ae->width, batch = hyper->batch;
  const size_t          P = (size_t)ae->n_parameters;
  const PetscBool       use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const AutoencoderWork w           = AutoencoderWorkViews(ae);

  if (nsteps <= 0 || batch < 1 || batch > ae->max_batch) return 0;
  for (PetscInt step = 0; step < nsteps; step++) {
    double loss = 0.0;
    for (size_t i = 0; i < P; i++) w.ref_sum[i] = 0.0;
    for (PetscInt p = 0; p < batch; p++) {
      const PetscInt index = DrawSampleIndexReference(sampling, cumulative, n_samples);
      if (use_dropout) DrawDropoutScales(n, hyper->dropout, noise, w.ref_keep);
      loss += RdAutoencoderSampleLoss(ae, hyper, sources + RD_IDX2(index, 0, d), use_dropout ? w.ref_keep : NULL, w.ref_grad);
      for (size_t i = 0; i < P; i++) w.ref_sum[i] += w.ref_grad[i];
    }
    if (!isfinite(loss)) return step;
    if (hyper->optimizer == RD_AE_OPTIMIZER_ADAM) ae->adam_steps++;
    for (size_t i = 0; i < P; i++) {
      const double g = w.ref_sum[i] / (double)batch + hyper->weight_l2 * DecayMask(ae, i) * ae->parameters[i];
      if (hyper->optimizer == RD_AE_OPTIMIZER_ADAM) {
        const double t   = (double)ae->adam_steps;
        ae->adam_m[i]    = hyper->adam_beta1 * ae->adam_m[i] + (1.0 - hyper->adam_beta1) * g;
        ae->adam_v[i]    = hyper->adam_beta2 * ae->adam_v[i] + (1.0 - hyper->adam_beta2) * g * g;
        const double m_hat = ae->adam_m[i] / (1.0 - pow(hyper->adam_beta1, t));
        const double v_hat = ae->adam_v[i] / (1.0 - pow(hyper->adam_beta2, t));
        ae->parameters[i] -= hyper->lr * m_hat / (sqrt(v_hat) + hyper->adam_epsilon);
      } else ae->parameters[i] -= hyper->lr * g;
    }
  }
  return nsteps;
}

double RdAutoencoderLoss(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n, const double *weights, double *gradient)
{
  const PetscInt        d = ae->n_sources;
  const size_t          P = (size_t)ae->n_parameters;
  const AutoencoderWork w = AutoencoderWorkViews(ae);
  double                loss = 0.0, norm2 = 0.0;

  if (gradient)
    for (size_t i = 0; i < P; i++) gradient[i] = 0.0;
  for (PetscInt s = 0; s < n; s++) {
    const double weight = weights ? weights[s] : 1.0 / (double)n;
    loss += weight * RdAutoencoderSampleLoss(ae, hyper, sources + RD_IDX2(s, 0, d), NULL, gradient ? w.loss_grad : NULL);
    if (gradient)
      for (size_t i = 0; i < P; i++) gradient[i] += weight * w.loss_grad[i];
  }
  for (size_t i = 0; i < P; i++) {
    const double decayed = DecayMask(ae, i) * ae->parameters[i];
    norm2 += decayed * decayed;
    if (gradient) gradient[i] += hyper->weight_l2 * decayed;
  }
  return loss + 0.5 * hyper->weight_l2 * norm2;
}

void RdAutoencoderEncode(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n, PetscBool dropout_on, RdStream *noise, double *latents)
{
  const PetscInt  d = ae->n_sources, width = ae->width;
  const PetscBool use_dropout = dropout_on && hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const double    kept_scale  = use_dropout ? 1.0 / (1.0 - hyper->dropout) : 1.0;

  for (PetscInt s = 0; s < n; s++) {
    double *row = latents + RD_IDX2(s, 0, width);
    for (PetscInt j = 0; j < width; j++) {
      double zj = ae->b[j];
      for (PetscInt k = 0; k < d; k++) zj += ae->W[RD_IDX2(j, k, d)] * sources[RD_IDX2(s, k, d)];
      row[j] = zj;
    }
    if (use_dropout)
      for (PetscInt j = 0; j < width; j++) row[j] *= RdStreamUniform(noise) >= hyper->dropout ? kept_scale : 0.0;
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Gap to the modular optimum.                                                                   */

PetscErrorCode RdAutoencoderModularGap(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n_samples, const double *weights, double *gap, double *relative_gap)
{
  const PetscInt d = ae ? ae->n_sources : 0, n = ae ? ae->width : 0;
  RdSourceStats  stats;
  double         lambda, loss_modular, loss;

  PetscFunctionBeginUser;
  PetscCheck(ae && hyper && sources && gap && relative_gap, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdAutoencoderModularGap: ae, hyper, sources, gap and relative_gap must not be NULL");
  PetscCheck(d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The modular gap handles at most %d sources, got %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, d);
  PetscCheck(isfinite(hyper->activity_l2) && hyper->activity_l2 > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The modular gap maps the trained loss to the reduced problem through activity_l2, which must be finite and > 0 (got %g)", hyper->activity_l2);
  PetscCheck(isfinite(hyper->weight_l2) && hyper->weight_l2 > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The modular gap needs weight_l2 > 0 (lambda_out = weight_l2 / activity_l2 keeps the decoder bounded), got %g", hyper->weight_l2);
  lambda = hyper->weight_l2 / hyper->activity_l2;
  PetscCall(RdSourceStatsComputeWeighted(n_samples, d, sources, weights, &stats));
  PetscCall(RdModularLoss(&stats, lambda, lambda, &loss_modular));

  *gap = *relative_gap = RD_NAN;
  if (n < d) PetscFunctionReturn(PETSC_SUCCESS); /* rank-deficient by construction */
  for (size_t i = 0; i < (size_t)n * (size_t)d; i++)
    if (!isfinite(ae->W[i])) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdReducedLossWeighted(n_samples, d, sources, weights, n, ae->W, lambda, lambda, &loss, NULL)); /* NaN when rank-deficient */
  if (!isfinite(loss)) PetscFunctionReturn(PETSC_SUCCESS);
  *gap          = loss - loss_modular;
  *relative_gap = *gap / loss_modular;
  PetscFunctionReturn(PETSC_SUCCESS);
}
