/* Non-negative linear autoencoder: the loss at a hand-computed point, its gradient against central
 * differences, one optimiser step against the analytic update, the fast kernel against the
 * reference (Adam and SGD, dropout, batches, non-uniform sampling), determinism and chunking,
 * divergence detection, the encoder, the modular gap against RdReducedLoss / RdModularLoss and the
 * note's reference value, and trained networks: modular on the full grid, mixed on a corner cut. */
#include <repdrift/models/autoencoder.h>
#include <repdrift/modularity.h>
#include "testing.h"

/* Every parameter ~ N(0, scale^2) from the local generator (biases included, unlike Init). */
static void RandomParameters(RdAutoencoder *ae, double scale)
{
  for (PetscInt i = 0; i < ae->n_parameters; i++) ae->parameters[i] = scale * RdTestNormal();
}

/* d = 2, width 2, one sample s = (1, 0.5), W = I, b = (0, -1), R = diag(1, 2), c = 0:
 *   z = (1, -0.5), shat = (1, -1), e = (0, -1.5)
 *   MSE = (0 + 2.25) / 2 = 1.125; activity 0.1: 0.05 (1 + 0.25) = 0.0625;
 *   nonneg 1: 0.5 * 0.5 = 0.25; weight_l2 0.01: 0.005 (|W|^2 + |R|^2) = 0.005 * 7 = 0.035. */
static PetscErrorCode TestLossByHand(void)
{
  const double       source[2] = {1.0, 0.5};
  RdAutoencoder      ae;
  RdAutoencoderHyper hyper;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper);
  hyper.activity_l2 = 0.1;
  hyper.nonneg      = 1.0;
  hyper.weight_l2   = 0.01;
  PetscCall(RdAutoencoderCreate(2, 2, 1, &ae));
  RD_CHECK(ae.n_parameters == 12 && ae.b == ae.W + 4 && ae.R == ae.b + 2 && ae.c == ae.R + 4, "parameter layout W b R c in one array");
  ae.W[0] = 1, ae.W[3] = 1;
  ae.b[1] = -1;
  ae.R[0] = 1, ae.R[3] = 2;
  RD_CHECK_CLOSE(RdAutoencoderLoss(&ae, &hyper, source, 1, NULL, NULL), 1.125 + 0.0625 + 0.25 + 0.035, 1e-15, "penalised loss at a hand-computed point");
  RD_CHECK_CLOSE(RdAutoencoderSampleLoss(&ae, &hyper, source, NULL, NULL), 1.125 + 0.0625 + 0.25, 1e-15, "per-presentation loss (no weight decay)");
  /* dropout scales (2, 0): zd = (2, 0), shat = (2, 0), e = (1, -0.5), MSE = 1.25 / 2; z itself and
   * therefore the activity and non-negativity terms are unchanged */
  const double keep[2] = {2.0, 0.0};
  RD_CHECK_CLOSE(RdAutoencoderSampleLoss(&ae, &hyper, source, keep, NULL), 0.625 + 0.0625 + 0.25, 1e-15, "per-presentation loss with dropout scales acts on the decoder only");

  RdAutoencoderHyper paper;
  RdAutoencoderHyperDefaults(&paper);
  RD_CHECK(paper.lr == 1e-3 && paper.activity_l2 == 1e-3 && paper.nonneg == 1.0 && paper.weight_l2 == 1e-4 && paper.dropout == 0.0, "defaults are the paper's penalties and learning rate");
  RD_CHECK(paper.adam_beta1 == 0.9 && paper.adam_beta2 == 0.999 && paper.adam_epsilon == 1e-8 && paper.batch == 1 && paper.optimizer == RD_AE_OPTIMIZER_ADAM, "defaults: Adam 0.9/0.999/1e-8, batch 1");
  PetscCall(RdAutoencoderHyperCheck(&paper, &ae));
  PetscCall(RdAutoencoderDestroy(&ae));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Central differences of RdAutoencoderLoss (7 weighted samples) and of RdAutoencoderSampleLoss
 * with dropout scales, in every parameter, at a random point away from the relu kinks. */
static PetscErrorCode TestGradient(double activity_l2, double nonneg, double weight_l2)
{
  const PetscInt     d = 2, width = 5, n = 7;
  const double       step = 1e-6;
  RdAutoencoder      ae;
  RdAutoencoderHyper hyper;
  double             sources[7 * 2], weights[7], keep[5], latents[7 * 5], weight_sum = 0.0;
  double            *gradient, *sample_gradient, *scratch;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper);
  hyper.activity_l2 = activity_l2;
  hyper.nonneg      = nonneg;
  hyper.weight_l2   = weight_l2;
  PetscCall(RdAutoencoderCreate(d, width, 1, &ae));
  PetscCall(PetscMalloc3(ae.n_parameters, &gradient, ae.n_parameters, &sample_gradient, ae.n_parameters, &scratch));
  RdTestSeed(101);
  /* redraw until every latent is at least 1e-3 from the kink (a step of 1e-6 then never crosses
   * it) and both signs occur, so the non-negativity term contributes */
  for (int attempt = 0;; attempt++) {
    double closest = PETSC_INFINITY;
    int    negative = 0;
    RandomParameters(&ae, 0.7);
    for (PetscInt i = 0; i < n * d; i++) sources[i] = RdTestNormal();
    RdAutoencoderEncode(&ae, &hyper, sources, n, PETSC_FALSE, NULL, latents);
    for (PetscInt i = 0; i < n * width; i++) {
      closest = fmin(closest, fabs(latents[i]));
      negative += latents[i] < 0.0;
    }
    if (closest > 1e-3 && negative > 0) break;
    PetscCheck(attempt < 1000, PETSC_COMM_SELF, PETSC_ERR_PLIB, "no random point away from the kinks");
  }
  for (PetscInt i = 0; i < n; i++) weight_sum += (weights[i] = 0.5 + RdTestUniform());
  for (PetscInt i = 0; i < n; i++) weights[i] /= weight_sum;
  for (PetscInt j = 0; j < width; j++) keep[j] = j % 2 ? 1.0 / 0.7 : 0.0;

  (void)RdAutoencoderLoss(&ae, &hyper, sources, n, weights, gradient);
  (void)RdAutoencoderSampleLoss(&ae, &hyper, sources + 2 * d, keep, sample_gradient);
  double max_error = 0.0, max_sample_error = 0.0;
  for (PetscInt i = 0; i < ae.n_parameters; i++) {
    const double saved = ae.parameters[i];
    ae.parameters[i]   = saved + step;
    const double plus = RdAutoencoderLoss(&ae, &hyper, sources, n, weights, NULL), sample_plus = RdAutoencoderSampleLoss(&ae, &hyper, sources + 2 * d, keep, NULL);
    ae.parameters[i]   = saved - step;
    const double minus = RdAutoencoderLoss(&ae, &hyper, sources, n, weights, NULL), sample_minus = RdAutoencoderSampleLoss(&ae, &hyper, sources + 2 * d, keep, NULL);
    ae.parameters[i]   = saved;
    max_error          = fmax(max_error, fabs((plus - minus) / (2 * step) - gradient[i]));
    max_sample_error   = fmax(max_sample_error, fabs((sample_plus - sample_minus) / (2 * step) - sample_gradient[i]));
  }
  const double scale = MaxAbs(gradient, (size_t)ae.n_parameters), sample_scale = MaxAbs(sample_gradient, (size_t)ae.n_parameters);
  printf("gradient vs central differences (activity %g, nonneg %g, weight %g): relative error %.3g (loss), %.3g (dropout sample)\n", activity_l2, nonneg, weight_l2, max_error / scale, max_sample_error / sample_scale);
  RD_CHECK(max_error / scale < 1e-6, "loss gradient vs central differences (activity %g, nonneg %g, weight %g): relative error %.3g", activity_l2, nonneg, weight_l2, max_error / scale);
  RD_CHECK(max_sample_error / sample_scale < 1e-6, "dropout sample gradient vs central differences: relative error %.3g", max_sample_error / sample_scale);
  RD_CHECK(scale > 1e-2 && sample_scale > 1e-2, "gradients are not trivially small (%g, %g)", scale, sample_scale);
  /* the loss gradient is the weighted sum of the sample gradients plus the decay */
  double max_sum_error = 0.0;
  for (PetscInt i = 0; i < ae.n_parameters; i++) scratch[i] = 0.0;
  for (PetscInt s = 0; s < n; s++) {
    (void)RdAutoencoderSampleLoss(&ae, &hyper, sources + s * d, NULL, sample_gradient);
    for (PetscInt i = 0; i < ae.n_parameters; i++) scratch[i] += weights[s] * sample_gradient[i];
  }
  for (PetscInt i = 0; i < ae.n_parameters; i++) {
    const PetscBool decayed = i < width * d || (i >= width * d + width && i < 2 * width * d + width);
    max_sum_error           = fmax(max_sum_error, fabs(scratch[i] + (decayed ? weight_l2 * ae.parameters[i] : 0.0) - gradient[i]));
  }
  RD_CHECK(max_sum_error < 1e-14 * scale, "loss gradient = weighted sample gradients + decay of W and R only (error %.3g)", max_sum_error);
  PetscCall(PetscFree3(gradient, sample_gradient, scratch));
  PetscCall(RdAutoencoderDestroy(&ae));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One step on a single-sample data set: the step gradient is exactly the gradient of
 * RdAutoencoderLoss (checked above), so SGD gives p - lr g and Adam's first step
 * p - lr g / (|g| + epsilon) (m_hat = g, v_hat = g^2). Also the no-op conventions. */
static PetscErrorCode TestOneStep(void)
{
  const PetscInt     d = 3, width = 4;
  const double       source[3] = {0.3, -0.8, 1.1};
  RdAutoencoder      ae;
  RdAutoencoderHyper hyper;
  RdStream           sampling, noise, untouched;
  double            *start, *gradient;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper);
  hyper.lr        = 0.05;
  hyper.weight_l2 = 0.02;
  PetscCall(RdAutoencoderCreate(d, width, 2, &ae));
  PetscCall(PetscMalloc2(ae.n_parameters, &start, ae.n_parameters, &gradient));
  RdTestSeed(7);
  RandomParameters(&ae, 0.5);
  PetscCall(PetscArraycpy(start, ae.parameters, ae.n_parameters));
  (void)RdAutoencoderLoss(&ae, &hyper, source, 1, NULL, gradient);
  RdStreamInit(&sampling, 3, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 3, 0, RD_PURPOSE_TRAIN_NOISE);

  for (int optimizer = 0; optimizer < 2; optimizer++) {
    for (int reference = 0; reference < 2; reference++) {
      double max_error = 0.0;
      hyper.optimizer  = optimizer ? RD_AE_OPTIMIZER_SGD : RD_AE_OPTIMIZER_ADAM;
      PetscCall(PetscArraycpy(ae.parameters, start, ae.n_parameters));
      for (PetscInt i = 0; i < ae.n_parameters; i++) ae.adam_m[i] = ae.adam_v[i] = 0.0;
      ae.adam_steps = 0;
      const PetscInt done = reference ? RdAutoencoderTrainReference(&ae, &hyper, source, 1, NULL, 1, &sampling, &noise) : RdAutoencoderTrain(&ae, &hyper, source, 1, NULL, 1, &sampling, &noise);
      for (PetscInt i = 0; i < ae.n_parameters; i++) {
        const double g        = gradient[i];
        const double expected = optimizer ? start[i] - hyper.lr * g : start[i] - hyper.lr * g / (fabs(g) + hyper.adam_epsilon);
        max_error             = fmax(max_error, fabs(ae.parameters[i] - expected));
      }
      RD_CHECK(done == 1 && max_error < 1e-15, "%s %s: one step equals the analytic update (max error %.3g)", reference ? "reference" : "fast", optimizer ? "SGD" : "Adam", max_error);
      RD_CHECK(ae.adam_steps == (optimizer ? 0 : 1), "adam_steps counts Adam steps only (%d)", (int)ae.adam_steps);
    }
  }

  /* nothing happens and nothing is drawn for nsteps <= 0 or a batch above max_batch */
  untouched = sampling;
  PetscCall(PetscArraycpy(start, ae.parameters, ae.n_parameters));
  hyper.batch = 3;
  RD_CHECK(RdAutoencoderTrain(&ae, &hyper, source, 1, NULL, 5, &sampling, &noise) == 0 && RdAutoencoderTrainReference(&ae, &hyper, source, 1, NULL, 5, &sampling, &noise) == 0, "batch above max_batch: 0 steps");
  hyper.batch = 1;
  RD_CHECK(RdAutoencoderTrain(&ae, &hyper, source, 1, NULL, 0, &sampling, &noise) == 0 && RdAutoencoderTrainReference(&ae, &hyper, source, 1, NULL, -1, &sampling, &noise) == 0, "nsteps <= 0: 0 steps");
  RD_CHECK(MaxAbsDiff(start, ae.parameters, (size_t)ae.n_parameters) == 0.0 && RdStreamUInt32(&untouched) == RdStreamUInt32(&sampling), "no-op calls change nothing and draw nothing");

  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  hyper.batch          = 3;
  PetscErrorCode ierr  = RdAutoencoderHyperCheck(&hyper, &ae);
  RD_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "HyperCheck rejects batch > max_batch (code %d)", (int)ierr);
  hyper.batch   = 1;
  hyper.dropout = 1.0;
  ierr          = RdAutoencoderHyperCheck(&hyper, &ae);
  RD_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "HyperCheck rejects dropout 1 (code %d)", (int)ierr);
  hyper.dropout = 0.0;
  hyper.lr      = 0.0;
  ierr          = RdAutoencoderHyperCheck(&hyper, &ae);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "HyperCheck rejects lr 0 (code %d)", (int)ierr);
  ierr = RdAutoencoderCreate(2, 0, 1, &ae);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "Create rejects width 0 (code %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFree2(start, gradient));
  PetscCall(RdAutoencoderDestroy(&ae));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscInt               d, width, batch;
  double                 dropout;
  RdAutoencoderOptimizer optimizer;
  PetscBool              weighted_sampling;
} KernelCase;

/* The fast kernel follows the reference's trajectory up to rounding and consumes the streams
 * identically; two calls equal one call bit for bit; a rerun is bit-identical. */
static PetscErrorCode TestFastMatchesReference(KernelCase kc)
{
  const PetscInt     nsteps = 300, n_samples = 40, split = 110;
  RdAutoencoder      ae[4];
  RdAutoencoderHyper hyper;
  RdStream           init, sampling[4], noise[4];
  double            *sources, cumulative[40], *start;
  char               what[160];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s d=%d width=%d batch=%d q=%g %s", kc.optimizer == RD_AE_OPTIMIZER_ADAM ? "Adam" : "SGD", (int)kc.d, (int)kc.width, (int)kc.batch, kc.dropout, kc.weighted_sampling ? "weighted" : "uniform"));
  RdAutoencoderHyperDefaults(&hyper);
  hyper.lr          = kc.optimizer == RD_AE_OPTIMIZER_ADAM ? 1e-2 : 5e-2;
  hyper.activity_l2 = 0.05;
  hyper.weight_l2   = 0.01;
  hyper.dropout     = kc.dropout;
  hyper.batch       = kc.batch;
  hyper.optimizer   = kc.optimizer;
  PetscCall(PetscMalloc1(n_samples * kc.d, &sources));
  RdTestSeed(55);
  for (PetscInt i = 0; i < n_samples * kc.d; i++) sources[i] = RdTestUniform() * 2.0 - 1.0;
  /* presentation probabilities proportional to 1 + (i mod 3), sample 5 never presented */
  double total = 0.0;
  for (PetscInt i = 0; i < n_samples; i++) total += i == 5 ? 0.0 : 1.0 + (double)(i % 3);
  for (PetscInt i = 0, running = 0; i < n_samples; i++) {
    running += i == 5 ? 0 : 1 + (int)(i % 3);
    cumulative[i] = (double)running / total;
  }
  cumulative[n_samples - 1] = 1.0;
  const double *cum = kc.weighted_sampling ? cumulative : NULL;
  for (int t = 0; t < 4; t++) {
    PetscCall(RdAutoencoderCreate(kc.d, kc.width, 4, &ae[t]));
    RdStreamInit(&init, 9, 2, RD_PURPOSE_INIT);
    RdAutoencoderInit(&ae[t], &init);
    RdStreamInit(&sampling[t], 23, 5, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise[t], 23, 5, RD_PURPOSE_TRAIN_NOISE);
  }
  PetscCall(PetscMalloc1(ae[0].n_parameters, &start));
  PetscCall(PetscArraycpy(start, ae[0].parameters, ae[0].n_parameters));
  const size_t   P         = (size_t)ae[0].n_parameters;
  const PetscInt done_fast = RdAutoencoderTrain(&ae[0], &hyper, sources, n_samples, cum, nsteps, &sampling[0], &noise[0]);
  const PetscInt done_ref  = RdAutoencoderTrainReference(&ae[1], &hyper, sources, n_samples, cum, nsteps, &sampling[1], &noise[1]);
  const PetscInt done_a    = RdAutoencoderTrain(&ae[2], &hyper, sources, n_samples, cum, split, &sampling[2], &noise[2]);
  const PetscInt done_b    = RdAutoencoderTrain(&ae[2], &hyper, sources, n_samples, cum, nsteps - split, &sampling[2], &noise[2]);
  const PetscInt done_again = RdAutoencoderTrain(&ae[3], &hyper, sources, n_samples, cum, nsteps, &sampling[3], &noise[3]);
  RD_CHECK(done_fast == nsteps && done_ref == nsteps && done_a + done_b == nsteps && done_again == nsteps, "%s: all steps completed", what);

  const double scale = MaxAbs(ae[1].parameters, P);
  const double diff  = MaxAbsDiff(ae[0].parameters, ae[1].parameters, P);
  printf("%s: fast vs reference after %d steps, max |dp| / max |p| = %.3g\n", what, (int)nsteps, diff / scale);
  RD_CHECK(diff <= 1e-12 * scale, "%s: fast vs reference max |dp| / max |p| = %.3g", what, diff / scale);
  if (kc.optimizer == RD_AE_OPTIMIZER_ADAM) {
    const double m_diff = MaxAbsDiff(ae[0].adam_m, ae[1].adam_m, P) / MaxAbs(ae[1].adam_m, P);
    const double v_diff = MaxAbsDiff(ae[0].adam_v, ae[1].adam_v, P) / MaxAbs(ae[1].adam_v, P);
    RD_CHECK(m_diff < 1e-10 && v_diff < 1e-10 && ae[0].adam_steps == nsteps && ae[1].adam_steps == nsteps, "%s: Adam moments agree (%.3g, %.3g), %d steps counted", what, m_diff, v_diff, (int)ae[0].adam_steps);
  }
  const double moved = MaxAbsDiff(ae[0].parameters, start, P);
  RD_CHECK(moved > 1e-2, "%s: the parameters moved (max change %.3g)", what, moved);
  RD_CHECK(MaxAbsDiff(ae[0].parameters, ae[2].parameters, P) == 0.0, "%s: %d + %d steps bit-identical to %d steps", what, (int)split, (int)(nsteps - split), (int)nsteps);
  RD_CHECK(MaxAbsDiff(ae[0].parameters, ae[3].parameters, P) == 0.0 && MaxAbsDiff(ae[0].adam_v, ae[3].adam_v, P) == 0.0, "%s: rerun bit-identical", what);
  int same_streams = 1;
  for (int t = 1; t < 4; t++) {
    RdStream a = sampling[0], b = sampling[t], u = noise[0], v = noise[t];
    same_streams &= RdStreamUInt32(&a) == RdStreamUInt32(&b) && RdStreamUInt32(&u) == RdStreamUInt32(&v);
  }
  RD_CHECK(same_streams, "%s: streams left in the same state", what);
  PetscCall(PetscFree(start));
  PetscCall(PetscFree(sources));
  for (int t = 0; t < 4; t++) PetscCall(RdAutoencoderDestroy(&ae[t]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A non-finite parameter stops training before the first step and changes nothing; an unstable
 * learning rate stops both kernels at the same step with finite parameters left. */
static PetscErrorCode TestDivergence(void)
{
  const double       sources[6] = {1, 0, 0, 1, -1, -1};
  RdAutoencoder      fast, ref;
  RdAutoencoderHyper hyper;
  RdStream           init, sampling[2], noise[2];
  double            *saved;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper);
  PetscCall(RdAutoencoderCreate(2, 3, 1, &fast));
  PetscCall(RdAutoencoderCreate(2, 3, 1, &ref));
  PetscCall(PetscMalloc1(fast.n_parameters, &saved));
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdAutoencoderInit(&fast, &init);
  fast.R[4] = (double)NAN;
  PetscCall(PetscArraycpy(saved, fast.parameters, fast.n_parameters));
  for (int t = 0; t < 2; t++) {
    RdStreamInit(&sampling[t], 1, 0, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise[t], 1, 0, RD_PURPOSE_TRAIN_NOISE);
  }
  PetscInt done = RdAutoencoderTrain(&fast, &hyper, sources, 3, NULL, 10, &sampling[0], &noise[0]);
  int      unchanged = 1;
  for (PetscInt i = 0; i < fast.n_parameters; i++) unchanged &= i == 2 * 3 + 3 + 4 ? isnan(fast.parameters[i]) : fast.parameters[i] == saved[i];
  RD_CHECK(done == 0 && unchanged && fast.adam_steps == 0, "NaN decoder weight: 0 steps, nothing updated (done %d)", (int)done);

  hyper.optimizer = RD_AE_OPTIMIZER_SGD;
  hyper.lr        = 50.0;
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdAutoencoderInit(&fast, &init);
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdAutoencoderInit(&ref, &init);
  const PetscInt done_fast = RdAutoencoderTrain(&fast, &hyper, sources, 3, NULL, 1000, &sampling[0], &noise[0]);
  const PetscInt done_ref  = RdAutoencoderTrainReference(&ref, &hyper, sources, 3, NULL, 1000, &sampling[1], &noise[1]);
  printf("SGD lr 50 diverged after %d (fast) and %d (reference) steps\n", (int)done_fast, (int)done_ref);
  RD_CHECK(done_fast > 0 && done_fast < 1000 && done_fast == done_ref, "SGD with lr 50 diverges at the same step in both kernels (%d, %d)", (int)done_fast, (int)done_ref);
  PetscCall(PetscFree(saved));
  PetscCall(RdAutoencoderDestroy(&fast));
  PetscCall(RdAutoencoderDestroy(&ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Latents by hand, node dropout's draw order (a copy of the stream reproduces the mask) and its
 * keep rate (binomial, 5 standard errors). */
static PetscErrorCode TestEncode(void)
{
  const PetscInt     n = 4000, width = 3;
  const double       source[2] = {2.0, -1.0};
  RdAutoencoder      ae;
  RdAutoencoderHyper hyper;
  RdStream           noise, copy;
  double             z[3], *sources, *latents;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper);
  hyper.dropout = 0.3;
  PetscCall(RdAutoencoderCreate(2, width, 1, &ae));
  const double W[6] = {1, 0, 0.5, 0.5, -1, 2}, b[3] = {0.1, 0.2, 0.3};
  PetscCall(PetscArraycpy(ae.W, W, 6));
  PetscCall(PetscArraycpy(ae.b, b, 3));
  RdAutoencoderEncode(&ae, &hyper, source, 1, PETSC_FALSE, NULL, z);
  RD_CHECK(fabs(z[0] - 2.1) < 1e-15 && fabs(z[1] - 0.7) < 1e-15 && fabs(z[2] + 3.7) < 1e-15, "latents W s + b by hand (%g %g %g)", z[0], z[1], z[2]);

  PetscCall(PetscMalloc2(n * 2, &sources, n * width, &latents));
  for (PetscInt i = 0; i < n; i++) sources[2 * i] = 2.0, sources[2 * i + 1] = -1.0;
  RdStreamInit(&noise, 4, 0, RD_PURPOSE_PROBE);
  copy = noise;
  RdAutoencoderEncode(&ae, &hyper, sources, n, PETSC_TRUE, &noise, latents);
  PetscInt kept = 0, order_ok = 1, values_ok = 1;
  for (PetscInt i = 0; i < n; i++)
    for (PetscInt j = 0; j < width; j++) {
      const PetscBool keep = RdStreamUniform(&copy) >= 0.3 ? PETSC_TRUE : PETSC_FALSE;
      const double    v    = latents[i * width + j];
      order_ok &= keep ? v != 0.0 : v == 0.0;
      values_ok &= keep ? fabs(v - z[j] / 0.7) < 1e-15 : 1;
      kept += keep;
    }
  const double rate = (double)kept / (double)(n * width), std_error = sqrt(0.7 * 0.3 / (double)(n * width));
  RD_CHECK(order_ok && values_ok, "dropout masks drawn per sample, per unit in order; kept units scaled by 1/(1-q)");
  RD_CHECK(fabs(rate - 0.7) < 5 * std_error, "keep rate %.4f vs 0.7 +- %.4f", rate, std_error);
  PetscCall(PetscFree2(sources, latents));
  PetscCall(RdAutoencoderDestroy(&ae));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The gap against RdReducedLoss / RdModularLoss (lambda = weight_l2 / activity_l2), the note's
 * L_mod(0.1, 0.1) = 1.531884 on the 21 x 21 grid, gap 0 at the modular optimum, integer weights
 * equal to repeated samples, NaN for a rank-deficient encoder, and the input errors. */
static PetscErrorCode TestModularGap(void)
{
  RdAutoencoder      ae, narrow;
  RdAutoencoderHyper hyper;
  RdSourceStats      stats;
  PetscInt           n_grid, n_cut;
  double            *grid, *cut, gap, relative, loss_modular, reduced;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper); /* activity 1e-3, weight 1e-4: lambda 0.1 */
  PetscCall(RdSourcesGrid(21, &n_grid, &grid));
  PetscCall(RdSourcesGridCornerCut(11, 1.5, &n_cut, &cut));
  PetscCall(RdAutoencoderCreate(2, 3, 1, &ae));

  /* modular optimum: unit j codes source j with |w_j| = (lambda / (Sigma_jj + e_j^2 + lambda))^(1/4) */
  PetscCall(RdSourceStatsCompute(n_grid, 2, grid, &stats));
  for (PetscInt j = 0; j < 2; j++) ae.W[j * 2 + j] = (j ? -1.0 : 1.0) * pow(0.1 / (stats.covariance[j * 3] + 1.0 + 0.1), 0.25);
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, grid, n_grid, NULL, &gap, &relative));
  RD_CHECK(fabs(gap) < 1e-12 && fabs(relative) < 1e-12, "modular optimum (third unit silent): gap %.3g, relative %.3g", gap, relative);
  ae.W[1] = 0.3; /* mixed: L_mod = gap / relative_gap, with and without (uniform) weights */
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, grid, n_grid, NULL, &gap, &relative));
  RD_CHECK_CLOSE(gap / relative, 1.531884, 1e-6, "grid: L_mod(0.1, 0.1) = 1.531884 (note's value)");
  {
    double *uniform;
    PetscCall(PetscMalloc1(n_grid, &uniform));
    for (PetscInt i = 0; i < n_grid; i++) uniform[i] = 1.0 / n_grid;
    PetscCall(RdAutoencoderModularGap(&ae, &hyper, grid, n_grid, uniform, &gap, &relative));
    RD_CHECK_CLOSE(gap / relative, 1.531884, 1e-6, "grid, weighted path: L_mod(0.1, 0.1) = 1.531884");
    PetscCall(PetscFree(uniform));
  }

  /* a random mixed encoder: loss = RdReducedLoss, L_mod = RdModularLoss */
  RdTestSeed(17);
  for (PetscInt i = 0; i < 6; i++) ae.W[i] = RdTestNormal();
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, cut, n_cut, NULL, &gap, &relative));
  PetscCall(RdSourceStatsCompute(n_cut, 2, cut, &stats));
  PetscCall(RdModularLoss(&stats, 0.1, 0.1, &loss_modular));
  PetscCall(RdReducedLoss(n_cut, 2, cut, 3, ae.W, 0.1, 0.1, &reduced, NULL));
  RD_CHECK_CLOSE(gap, reduced - loss_modular, 1e-12 * reduced, "corner cut, random W: gap = RdReducedLoss - RdModularLoss");
  RD_CHECK_CLOSE(relative, gap / loss_modular, 1e-15, "relative gap = gap / L_mod");
  RD_CHECK(gap > 0.1, "a random encoder is far from optimal (gap %g)", gap);
  /* lambda follows weight_l2 / activity_l2 */
  RdAutoencoderHyper other = hyper;
  other.activity_l2        = 2e-3;
  other.weight_l2          = 1e-3;
  double gap_other, relative_other;
  PetscCall(RdAutoencoderModularGap(&ae, &other, cut, n_cut, NULL, &gap_other, &relative_other));
  PetscCall(RdModularLoss(&stats, 0.5, 0.5, &loss_modular));
  PetscCall(RdReducedLoss(n_cut, 2, cut, 3, ae.W, 0.5, 0.5, &reduced, NULL));
  RD_CHECK_CLOSE(gap_other, reduced - loss_modular, 1e-12 * reduced, "lambda = weight_l2 / activity_l2 = 0.5");

  /* weights: uniform weights = NULL; integer weights = repeated samples; zero weight = removed */
  double *weights, *repeated, *support;
  PetscInt n_repeated = 0, n_support = 0;
  PetscCall(PetscMalloc3(n_cut, &weights, 3 * n_cut * 2, &repeated, n_cut * 2, &support));
  for (PetscInt i = 0; i < n_cut; i++) weights[i] = 1.0;
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, cut, n_cut, weights, &gap_other, &relative_other));
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, cut, n_cut, NULL, &gap, &relative));
  RD_CHECK_CLOSE(gap_other, gap, 1e-12 * fabs(gap), "uniform weights (normalised by their sum) = no weights");
  for (PetscInt i = 0; i < n_cut; i++) {
    weights[i] = (double)(i % 4); /* 0..3 copies */
    for (PetscInt copy = 0; copy < i % 4; copy++, n_repeated++) PetscCall(PetscArraycpy(repeated + 2 * n_repeated, cut + 2 * i, 2));
    if (i % 4) PetscCall(PetscArraycpy(support + 2 * n_support++, cut + 2 * i, 2));
  }
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, cut, n_cut, weights, &gap_other, &relative_other));
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, repeated, n_repeated, NULL, &gap, &relative));
  RD_CHECK_CLOSE(gap_other, gap, 1e-12 * fabs(gap), "integer weights = repeated samples (zero weight drops the sample)");
  RD_CHECK_CLOSE(relative_other, relative, 1e-12, "integer weights = repeated samples, relative gap");
  PetscCall(PetscFree3(weights, repeated, support));

  /* rank-deficient encoders: NaN, not an error */
  for (PetscInt i = 0; i < 3; i++) ae.W[2 * i + 1] = 0.0;
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, grid, n_grid, NULL, &gap, &relative));
  RD_CHECK(isnan(gap) && isnan(relative), "encoder ignoring source 2: NaN gap");
  ae.W[1] = (double)NAN;
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, grid, n_grid, NULL, &gap, &relative));
  RD_CHECK(isnan(gap) && isnan(relative), "non-finite encoder: NaN gap");
  PetscCall(RdAutoencoderCreate(2, 1, 1, &narrow));
  narrow.W[0] = 1, narrow.W[1] = 1;
  PetscCall(RdAutoencoderModularGap(&narrow, &hyper, grid, n_grid, NULL, &gap, &relative));
  RD_CHECK(isnan(gap) && isnan(relative), "width 1 < d = 2: NaN gap");

  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  other             = hyper;
  other.activity_l2 = 0.0;
  PetscErrorCode ierr = RdAutoencoderModularGap(&narrow, &other, grid, n_grid, NULL, &gap, &relative);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "activity_l2 = 0 rejected (code %d)", (int)ierr);
  double bad_weights[3] = {1.0, -1.0, 1.0}, zero_weights[3] = {0.0, 0.0, 1.0};
  ierr = RdAutoencoderModularGap(&narrow, &hyper, grid, 3, bad_weights, &gap, &relative);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "negative weight rejected (code %d)", (int)ierr);
  ierr = RdAutoencoderModularGap(&narrow, &hyper, grid, 3, zero_weights, &gap, &relative);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "a single weighted sample rejected (code %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscCall(RdAutoencoderDestroy(&narrow));
  PetscCall(RdAutoencoderDestroy(&ae));
  PetscCall(PetscFree(grid));
  PetscCall(PetscFree(cut));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  double mse, min_latent, loss, gap, relative_gap;
  RdWeightMixing mixing;
} TrainedSummary;

/* The paper's hyper-parameters, batch 1, Adam, with the learning rate decayed geometrically from
 * 1e-3 to 1e-5 over four equal chunks (the constant-lr noise of Adam at batch 1 otherwise keeps
 * weak units visibly mixed); then the reconstruction, the latents and the metrics on the data. */
static PetscErrorCode TrainAndSummarise(PetscInt n_samples, const double *sources, PetscInt width, PetscInt nsteps, uint64_t seed, TrainedSummary *summary)
{
  RdAutoencoder      ae;
  RdAutoencoderHyper hyper;
  RdStream           init, sampling, noise;
  double            *latents;

  PetscFunctionBeginUser;
  RdAutoencoderHyperDefaults(&hyper);
  PetscCall(RdAutoencoderCreate(2, width, 1, &ae));
  RdStreamInit(&init, seed, 0, RD_PURPOSE_INIT);
  RdStreamInit(&sampling, seed, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, seed, 0, RD_PURPOSE_TRAIN_NOISE);
  RdAutoencoderInit(&ae, &init);
  for (int chunk = 0; chunk < 4; chunk++) {
    hyper.lr = 1e-3 * pow(1e-2, chunk / 3.0);
    PetscCall(RdAutoencoderHyperCheck(&hyper, &ae));
    PetscCheck(RdAutoencoderTrain(&ae, &hyper, sources, n_samples, NULL, nsteps / 4, &sampling, &noise) == nsteps / 4, PETSC_COMM_SELF, PETSC_ERR_PLIB, "training diverged");
  }
  PetscCall(PetscMalloc1(n_samples * width, &latents));
  RdAutoencoderEncode(&ae, &hyper, sources, n_samples, PETSC_FALSE, NULL, latents);
  summary->mse        = 0.0;
  summary->min_latent = PETSC_INFINITY;
  for (PetscInt i = 0; i < n_samples; i++) {
    for (PetscInt r = 0; r < 2; r++) {
      double shat = ae.c[r];
      for (PetscInt j = 0; j < width; j++) shat += ae.R[r * width + j] * latents[i * width + j];
      summary->mse += (shat - sources[2 * i + r]) * (shat - sources[2 * i + r]) / (2.0 * n_samples);
    }
    for (PetscInt j = 0; j < width; j++) summary->min_latent = fmin(summary->min_latent, latents[i * width + j]);
  }
  summary->loss = RdAutoencoderLoss(&ae, &hyper, sources, n_samples, NULL, NULL);
  PetscCall(RdWeightMixingCompute(width, 2, ae.W, &summary->mixing));
  PetscCall(RdAutoencoderModularGap(&ae, &hyper, sources, n_samples, NULL, &summary->gap, &summary->relative_gap));
  PetscCall(PetscFree(latents));
  PetscCall(RdAutoencoderDestroy(&ae));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Full 21 x 21 grid (kappa = 0), width 6, 2e5 steps (~0.1 s): reconstructs, non-negative,
 * modular, at the modular optimum; its trained loss is activity_l2 / 2 times L_mod (the mapping
 * RdAutoencoderModularGap uses, checked independently of it). */
static PetscErrorCode TestTrainedGrid(void)
{
  PetscInt       n_samples;
  double        *sources;
  TrainedSummary s;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGrid(21, &n_samples, &sources));
  PetscCall(TrainAndSummarise(n_samples, sources, 6, 200000, 1, &s));
  printf("trained grid (width 6, 2e5 steps): mse %.3g, min z %.3g, mixing max %.4f (%d active), loss %.8g, gap %.3g (relative %.3g)\n", s.mse, s.min_latent, s.mixing.mixing_max, (int)s.mixing.n_active, s.loss, s.gap, s.relative_gap);
  RD_CHECK(s.mse < 1e-4, "trained grid reconstructs: MSE %.3g < 1e-4", s.mse);
  RD_CHECK(s.min_latent > -5e-3, "trained grid latents non-negative: min z %.3g > -5e-3 (z ~ 0.5)", s.min_latent);
  RD_CHECK(s.mixing.mixing_max < 0.05, "trained grid is modular: mixing max %.4f < 0.05", s.mixing.mixing_max);
  RD_CHECK(s.relative_gap >= -1e-9 && s.relative_gap < 0.01, "trained grid at the modular optimum: relative gap %.3g in [0, 0.01)", s.relative_gap);
  RD_CHECK(fabs(s.loss / (0.5e-3 * 1.531884) - 1.0) < 5e-3, "trained loss %.8g = activity_l2 / 2 * L_mod = %.8g within 0.5%%", s.loss, 0.5e-3 * 1.531884);
  PetscCall(PetscFree(sources));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Corner cut 1.5 on the 21 x 21 grid (kappa / e^2 = 0.56), width 3: three seeds end mixed; the
 * same seeds on the full grid end modular. Over seeds 1..20 at 3e5 steps 19/20 end mixed on the cut
 * and 0/20 on the full grid, so requiring 2 of 3 leaves a margin. */
static PetscErrorCode TestTrainedCornerCut(void)
{
  PetscInt       n_cut, n_grid, mixed = 0, modular = 0;
  double        *cut, *grid;
  RdKappaResult  kappa;
  TrainedSummary s;

  PetscFunctionBeginUser;
  PetscCall(RdSourcesGridCornerCut(21, 1.5, &n_cut, &cut));
  PetscCall(RdSourcesGrid(21, &n_grid, &grid));
  PetscCall(RdKappaCompute(n_cut, 2, cut, &kappa));
  RD_CHECK(kappa.kappa_normalized > 0.1 && !kappa.modular, "corner cut 1.5 has a clear margin: kappa / e^2 = %.3f", kappa.kappa_normalized);
  for (uint64_t seed = 1; seed <= 3; seed++) {
    PetscCall(TrainAndSummarise(n_cut, cut, 3, 300000, seed, &s));
    printf("corner cut 1.5, width 3, seed %d: mixing max %.3f, relative gap %.4f, mse %.2g\n", (int)seed, s.mixing.mixing_max, s.relative_gap, s.mse);
    mixed += s.mixing.mixing_max > 0.3;
    PetscCall(TrainAndSummarise(n_grid, grid, 3, 300000, seed, &s));
    printf("full grid, width 3, seed %d: mixing max %.3f, relative gap %.4f\n", (int)seed, s.mixing.mixing_max, s.relative_gap);
    modular += s.mixing.mixing_max < 0.1;
  }
  RD_CHECK(mixed >= 2, "corner cut: %d of 3 seeds end mixed (mixing max > 0.3)", (int)mixed);
  RD_CHECK(modular >= 2, "full grid: %d of 3 seeds end modular (mixing max < 0.1)", (int)modular);
  PetscCall(PetscFree(cut));
  PetscCall(PetscFree(grid));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestLossByHand());
  PetscCall(TestGradient(1e-3, 1.0, 1e-4));
  PetscCall(TestGradient(0.3, 0.7, 0.05));
  PetscCall(TestOneStep());
  const KernelCase cases[] = {
    {2, 5, 1, 0.0, RD_AE_OPTIMIZER_ADAM, PETSC_FALSE},
    {2, 5, 1, 0.3, RD_AE_OPTIMIZER_ADAM, PETSC_TRUE},
    {2, 5, 4, 0.0, RD_AE_OPTIMIZER_ADAM, PETSC_TRUE},
    {3, 7, 4, 0.3, RD_AE_OPTIMIZER_ADAM, PETSC_FALSE},
    {2, 5, 1, 0.0, RD_AE_OPTIMIZER_SGD, PETSC_TRUE},
    {2, 5, 1, 0.3, RD_AE_OPTIMIZER_SGD, PETSC_FALSE},
    {3, 7, 4, 0.0, RD_AE_OPTIMIZER_SGD, PETSC_FALSE},
    {2, 16, 3, 0.5, RD_AE_OPTIMIZER_SGD, PETSC_TRUE},
  };
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) PetscCall(TestFastMatchesReference(cases[c]));
  PetscCall(TestDivergence());
  PetscCall(TestEncode());
  PetscCall(TestModularGap());
  PetscCall(TestTrainedGrid());
  PetscCall(TestTrainedCornerCut());
  PetscCall(SlepcFinalize());
  return RdTestSummary("test_autoencoder");
}
