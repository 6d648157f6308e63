/* Classifier network: loss against an independent forward pass, gradient against central finite
 * differences for every parameter, fast kernel against the reference for all six noise types,
 * level 0 of every noise type against no noise, learning an easy problem, class-weighted sampling,
 * divergence detection, determinism, the probe's draws and values, and the input checks. */
#include <repdrift/models/classifier.h>
#include "testing.h"
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* Helpers independent of the module.                                                           */

/* Forward pass of one example without noise, written out here (not the library's code):
 * pre-activations z1 [n1], z2 [n2], features h2 [n2], logits [C]. Returns the cross-entropy. */
static double LocalForward(const RdClassifierNet *net, const double *x, PetscInt label, double *z1, double *z2, double *h2, double *logits)
{
  const PetscInt n0 = net->input_dim, n1 = net->hidden_dim, n2 = net->feature_dim, C = net->num_classes;
  double         h1[256], top = -INFINITY, sum = 0.0;
  for (PetscInt i = 0; i < n1; i++) {
    z1[i] = net->b1[i];
    for (PetscInt k = 0; k < n0; k++) z1[i] += net->W1[i * n0 + k] * x[k];
    h1[i] = fmax(z1[i], 0.0);
  }
  for (PetscInt o = 0; o < n2; o++) {
    z2[o] = net->b2[o];
    for (PetscInt i = 0; i < n1; i++) z2[o] += net->W2[o * n1 + i] * h1[i];
    h2[o] = fmax(z2[o], 0.0);
  }
  for (PetscInt c = 0; c < C; c++) {
    logits[c] = net->b3[c];
    for (PetscInt j = 0; j < n2; j++) logits[c] += net->W3[c * n2 + j] * h2[j];
    top = fmax(top, logits[c]);
  }
  for (PetscInt c = 0; c < C; c++) sum += exp(logits[c] - top);
  return top + log(sum) - logits[label];
}

/* Gaussian clusters: class c of `per_class` examples around a random mean of norm ~ separation
 * sqrt(dim), isotropic spread sd. Labels cycle 0, 1, ..., C-1, 0, ... */
static void MakeClusters(PetscInt C, PetscInt per_class, PetscInt dim, double separation, double sd, uint64_t seed, double *inputs, PetscInt *labels)
{
  double means[16 * 64];
  RdTestSeed(seed);
  for (PetscInt i = 0; i < C * dim; i++) means[i] = separation * RdTestNormal();
  for (PetscInt e = 0; e < C * per_class; e++) {
    labels[e] = e % C;
    for (PetscInt k = 0; k < dim; k++) inputs[e * dim + k] = means[labels[e] * dim + k] + sd * RdTestNormal();
  }
}

static PetscErrorCode CreateNet(PetscInt n0, PetscInt n1, PetscInt n2, PetscInt C, PetscInt max_batch, uint64_t seed, RdClassifierNet *net)
{
  RdStream init;

  PetscFunctionBeginUser;
  PetscCall(RdClassifierNetCreate(n0, n1, n2, C, max_batch, net));
  RdStreamInit(&init, seed, 0, RD_PURPOSE_INIT);
  RdClassifierNetInit(net, &init);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Same next draws from both streams (and same pending normal): they were consumed identically. */
static int SameStreamState(RdStream a, RdStream b)
{
  int same = a.has_spare_normal == b.has_spare_normal;
  for (int t = 0; t < 6; t++) same &= RdStreamUInt32(&a) == RdStreamUInt32(&b);
  return same;
}

/* ------------------------------------------------------------------------------------------ */

/* Layout, init statistics and the parameter count. */
static PetscErrorCode TestCreateInit(void)
{
  const PetscInt  n0 = 40, n1 = 60, n2 = 50, C = 10;
  RdClassifierNet net;
  double          sum_sq[3] = {0, 0, 0};

  PetscFunctionBeginUser;
  PetscCall(CreateNet(n0, n1, n2, C, 4, 3, &net));
  const PetscInt P = RdClassifierNumParameters(&net);
  RD_CHECK(P == n1 * (n0 + 1) + n2 * (n1 + 1) + C * (n2 + 1), "parameter count %d", (int)P);
  RD_CHECK(net.b1 == net.W1 + n1 * n0 && net.W2 == net.b1 + n1 && net.b2 == net.W2 + n2 * n1 && net.W3 == net.b2 + n2 && net.b3 == net.W3 + C * n2, "one parameter block W1 b1 W2 b2 W3 b3");
  RD_CHECK(RdClassifierFeatureLayerOffset(&net) == n1 * (n0 + 1), "feature-layer offset");
  RD_CHECK(MaxAbs(net.b1, n1) == 0 && MaxAbs(net.b2, n2) == 0 && MaxAbs(net.b3, C) == 0 && MaxAbs(net.velocity, P) == 0, "zero biases and velocity");
  for (PetscInt i = 0; i < n1 * n0; i++) sum_sq[0] += net.W1[i] * net.W1[i];
  for (PetscInt i = 0; i < n2 * n1; i++) sum_sq[1] += net.W2[i] * net.W2[i];
  for (PetscInt i = 0; i < C * n2; i++) sum_sq[2] += net.W3[i] * net.W3[i];
  /* variance 2/fan_in; the sample variance of N normals has relative SE sqrt(2/N) */
  const PetscInt count[3] = {n1 * n0, n2 * n1, C * n2}, fan_in[3] = {n0, n1, n2};
  for (int l = 0; l < 3; l++) {
    const double var = sum_sq[l] / count[l], expected = 2.0 / fan_in[l];
    RD_CHECK(fabs(var / expected - 1.0) < 5 * sqrt(2.0 / count[l]), "He init layer %d: variance %.4g vs 2/fan_in %.4g", l + 1, var, expected);
  }
  /* documented draw order: W1, W2, W3 row-major, one normal each */
  RdStream init;
  RdStreamInit(&init, 3, 0, RD_PURPOSE_INIT);
  int order_ok = 1;
  for (PetscInt i = 0; i < n1 * n0; i++) order_ok &= net.W1[i] == sqrt(2.0 / n0) * RdStreamNormal(&init);
  for (PetscInt i = 0; i < n2 * n1; i++) order_ok &= net.W2[i] == sqrt(2.0 / n1) * RdStreamNormal(&init);
  for (PetscInt i = 0; i < C * n2; i++) order_ok &= net.W3[i] == sqrt(2.0 / n2) * RdStreamNormal(&init);
  RD_CHECK(order_ok, "init draw order W1, W2, W3 row-major");
  PetscCall(RdClassifierNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Loss against LocalForward, and the gradient against central differences of the loss in every
 * parameter, on a net whose pre-activations are all at least 1e-4 away from the ReLU kink. */
static PetscErrorCode TestGradient(void)
{
  enum { n0 = 5, n1 = 7, n2 = 6, C = 4, N = 9 };
  const RdClassifierHyper hyper = {.lr = 0.1, .momentum = 0.9, .l2 = 0.03, .batch = N, .noise = {RD_NOISE_NONE, 0.0}};
  const double            step  = 1e-5;
  RdClassifierNet         net;
  RdStream                noise;
  double                  x[N * n0], z1[n1], z2[n2], h2[n2], logits[C];
  PetscInt                labels[N];
  double                 *grad, *scratch;
  uint64_t                seed;
  double                  min_margin = 0.0;

  PetscFunctionBeginUser;
  /* the first seed whose pre-activations all keep clear of the kink */
  for (seed = 1; seed < 200; seed++) {
    PetscCall(CreateNet(n0, n1, n2, C, N, seed, &net));
    RdTestSeed(1000 + seed);
    for (PetscInt i = 0; i < n1; i++) net.b1[i] = 0.3 * RdTestNormal();
    for (PetscInt i = 0; i < n2; i++) net.b2[i] = 0.3 * RdTestNormal();
    for (PetscInt i = 0; i < C; i++) net.b3[i] = 0.3 * RdTestNormal();
    for (PetscInt i = 0; i < N * n0; i++) x[i] = RdTestNormal();
    for (PetscInt e = 0; e < N; e++) labels[e] = e % C;
    min_margin = INFINITY;
    for (PetscInt e = 0; e < N; e++) {
      (void)LocalForward(&net, x + e * n0, labels[e], z1, z2, h2, logits);
      for (PetscInt i = 0; i < n1; i++) min_margin = fmin(min_margin, fabs(z1[i]));
      for (PetscInt i = 0; i < n2; i++) min_margin = fmin(min_margin, fabs(z2[i]));
    }
    if (min_margin > 1e-4) break;
    PetscCall(RdClassifierNetDestroy(&net));
  }
  RD_CHECK(min_margin > 1e-4, "found a net with every pre-activation > 1e-4 from 0 (seed %d, margin %.3g)", (int)seed, min_margin);
  const PetscInt P = RdClassifierNumParameters(&net);
  PetscCall(PetscMalloc2(P, &grad, P, &scratch));
  RdStreamInit(&noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  const double loss = RdClassifierLossGradient(&net, &hyper, x, labels, N, &noise, grad);

  double local = 0.0, weights2 = 0.0;
  for (PetscInt e = 0; e < N; e++) local += LocalForward(&net, x + e * n0, labels[e], z1, z2, h2, logits) / N;
  for (PetscInt i = 0; i < n1 * n0; i++) weights2 += net.W1[i] * net.W1[i];
  for (PetscInt i = 0; i < n2 * n1; i++) weights2 += net.W2[i] * net.W2[i];
  for (PetscInt i = 0; i < C * n2; i++) weights2 += net.W3[i] * net.W3[i];
  local += 0.5 * hyper.l2 * weights2;
  RD_CHECK_CLOSE(loss, local, 1e-13 * local, "loss = mean CE + l2/2 |W|^2 (independent forward pass)");

  double max_error = 0.0, worst_entry = 0.0;
  for (PetscInt i = 0; i < P; i++) {
    const double saved = net.W1[i];
    net.W1[i]          = saved + step;
    const double plus  = RdClassifierLossGradient(&net, &hyper, x, labels, N, &noise, scratch);
    net.W1[i]          = saved - step;
    const double minus = RdClassifierLossGradient(&net, &hyper, x, labels, N, &noise, scratch);
    net.W1[i]          = saved;
    const double fd = (plus - minus) / (2 * step), error = fabs(fd - grad[i]);
    max_error   = fmax(max_error, error);
    worst_entry = fmax(worst_entry, error / (fabs(grad[i]) + 1e-6));
  }
  const double scale = MaxAbs(grad, P);
  RD_CHECK(max_error / scale < 1e-6, "gradient vs central differences over all %d parameters: max error / max |g| = %.3g", (int)P, max_error / scale);
  RD_CHECK(worst_entry < 1e-4, "worst entry |fd - g| / (|g| + 1e-6) = %.3g", worst_entry);
  RD_CHECK(scale > 1e-2, "gradient is not trivially small (%g)", scale);
  /* every block has a nonzero gradient (the test reaches W1 through two ReLU layers) */
  const PetscInt block_start[6] = {0, n1 * n0, n1 * (n0 + 1), n1 * (n0 + 1) + n2 * n1, n1 * (n0 + 1) + n2 * (n1 + 1), n1 * (n0 + 1) + n2 * (n1 + 1) + C * n2};
  for (int b = 0; b < 6; b++) {
    const PetscInt end = b < 5 ? block_start[b + 1] : P;
    RD_CHECK(MaxAbs(grad + block_start[b], end - block_start[b]) > 1e-4, "parameter block %d has a gradient", b);
  }
  PetscCall(PetscFree2(grad, scratch));
  PetscCall(RdClassifierNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscInt              n0, n1, n2, C, per_class, batch;
  PetscBool             class_weighted;
  RdNoiseType           type;
  double                level;
  RdWeightMaskScope     scope;
  RdGradientNoiseTarget target;
} KernelCase;

/* Fast vs reference over 200 steps: same trajectory to rounding, same stream consumption; a run
 * split over two calls equals one call bit for bit; a repeated run is bit-identical. */
static PetscErrorCode TestFastMatchesReference(KernelCase c)
{
  const PetscInt          nsteps = 200, n_examples = c.C * c.per_class;
  const RdClassifierHyper hyper  = {.lr = 0.05, .momentum = 0.9, .l2 = 1e-3, .batch = c.batch, .noise = {c.type, c.level}, .weight_mask = c.scope, .gradient_on = c.target};
  RdClassifierNet         net[4];
  RdStream                sampling[4], noise[4];
  double                 *inputs, *start;
  PetscInt               *labels, *offsets, *members;
  double                  cumulative[16];
  char                    what[160];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "%s %g %s %s (n0=%d n1=%d n2=%d C=%d batch=%d%s)", rd_noise_type_names[c.type], c.level, rd_weight_mask_scope_names[c.scope], rd_gradient_noise_target_names[c.target], (int)c.n0, (int)c.n1, (int)c.n2, (int)c.C, (int)c.batch, c.class_weighted ? ", class-weighted" : ""));
  PetscCall(PetscMalloc4((size_t)n_examples * c.n0, &inputs, n_examples, &labels, c.C + 1, &offsets, n_examples, &members));
  MakeClusters(c.C, c.per_class, c.n0, 1.0, 0.7, 77, inputs, labels);
  PetscCall(RdClassifierClassIndex(labels, n_examples, c.C, offsets, members));
  for (PetscInt k = 0; k < c.C; k++) cumulative[k] = (k + 1.0) * (k + 2.0) / (c.C * (c.C + 1.0)); /* p_k ~ k + 1 */
  cumulative[c.C - 1] = 1.0;
  const double *cum = c.class_weighted ? cumulative : NULL;
  for (int t = 0; t < 4; t++) {
    PetscCall(CreateNet(c.n0, c.n1, c.n2, c.C, c.batch, 5, &net[t]));
    RdStreamInit(&sampling[t], 9, 2, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise[t], 9, 2, RD_PURPOSE_TRAIN_NOISE);
  }
  PetscCall(RdClassifierHyperCheck(&net[0], &hyper));
  PetscCall(RdClassifierTrainingSetCheck(&net[0], labels, n_examples, cum, offsets, members));
  const PetscInt P = RdClassifierNumParameters(&net[0]);
  PetscCall(PetscMalloc1(P, &start));
  PetscCall(PetscArraycpy(start, net[0].W1, P));

  const PetscInt done_fast = RdClassifierTrain(&net[0], &hyper, inputs, labels, n_examples, cum, offsets, members, nsteps, &sampling[0], &noise[0]);
  const PetscInt done_ref  = RdClassifierTrainReference(&net[1], &hyper, inputs, labels, n_examples, cum, offsets, members, nsteps, &sampling[1], &noise[1]);
  const PetscInt done_a    = RdClassifierTrain(&net[2], &hyper, inputs, labels, n_examples, cum, offsets, members, 80, &sampling[2], &noise[2]);
  const PetscInt done_b    = RdClassifierTrain(&net[2], &hyper, inputs, labels, n_examples, cum, offsets, members, nsteps - 80, &sampling[2], &noise[2]);
  const PetscInt done_rep  = RdClassifierTrain(&net[3], &hyper, inputs, labels, n_examples, cum, offsets, members, nsteps, &sampling[3], &noise[3]);
  RD_CHECK(done_fast == nsteps && done_ref == nsteps && done_a + done_b == nsteps && done_rep == nsteps, "%s: all steps completed (%d, %d, %d, %d)", what, (int)done_fast, (int)done_ref, (int)(done_a + done_b), (int)done_rep);

  const double rel = MaxAbsDiff(net[0].W1, net[1].W1, P) / MaxAbs(net[1].W1, P);
  const double vel = MaxAbsDiff(net[0].velocity, net[1].velocity, P) / MaxAbs(net[1].velocity, P);
  RD_CHECK(rel < 1e-12 && vel < 1e-12, "%s: fast vs reference, max |dparam| / max |param| = %.3g, velocity %.3g", what, rel, vel);
  RD_CHECK(MaxAbsDiff(net[0].W1, start, P) > 1e-2, "%s: the parameters moved (max change %.3g)", what, MaxAbsDiff(net[0].W1, start, P));
  RD_CHECK(memcmp(net[0].W1, net[2].W1, (size_t)P * sizeof(double)) == 0 && memcmp(net[0].velocity, net[2].velocity, (size_t)P * sizeof(double)) == 0, "%s: 80 + 120 steps bit-identical to 200", what);
  RD_CHECK(memcmp(net[0].W1, net[3].W1, (size_t)P * sizeof(double)) == 0, "%s: same streams, bit-identical weights", what);
  int same = 1;
  for (int t = 1; t < 4; t++) same &= SameStreamState(sampling[0], sampling[t]) && SameStreamState(noise[0], noise[t]);
  RD_CHECK(same, "%s: streams left in the same state", what);
  for (int t = 0; t < 4; t++) PetscCall(RdClassifierNetDestroy(&net[t]));
  PetscCall(PetscFree(start));
  PetscCall(PetscFree4(inputs, labels, offsets, members));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every noise type at level 0 follows the noiseless trajectory bit for bit (the draws are
 * consumed but change nothing); a nonzero level changes it. */
static PetscErrorCode TestLevelZero(void)
{
  const PetscInt  n0 = 6, n1 = 12, n2 = 10, C = 3, per_class = 10, n_examples = C * per_class, nsteps = 60;
  double          inputs[30 * 6];
  PetscInt        labels[30];
  RdClassifierNet clean, noisy;

  PetscFunctionBeginUser;
  MakeClusters(C, per_class, n0, 1.0, 0.5, 5, inputs, labels);
  for (int type = RD_NOISE_NODE_DROPOUT; type < RD_NUM_NOISE_TYPES; type++) {
    for (int nonzero = 0; nonzero < 2; nonzero++) {
      RdClassifierHyper hyper = {.lr = 0.05, .momentum = 0.9, .l2 = 1e-3, .batch = 8, .noise = {RD_NOISE_NONE, 0.0}};
      RdStream          s0, z0, s1, z1;
      PetscCall(CreateNet(n0, n1, n2, C, 8, 2, &clean));
      PetscCall(CreateNet(n0, n1, n2, C, 8, 2, &noisy));
      RdStreamInit(&s0, 4, 0, RD_PURPOSE_SGD_SAMPLING);
      RdStreamInit(&z0, 4, 0, RD_PURPOSE_TRAIN_NOISE);
      s1 = s0;
      z1 = z0;
      (void)RdClassifierTrain(&clean, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s0, &z0);
      hyper.noise.type  = (RdNoiseType)type;
      hyper.noise.level = nonzero ? 0.2 : 0.0;
      (void)RdClassifierTrain(&noisy, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s1, &z1);
      const PetscInt P   = RdClassifierNumParameters(&clean);
      const int      bit = memcmp(clean.W1, noisy.W1, (size_t)P * sizeof(double)) == 0;
      if (nonzero) RD_CHECK(!bit && MaxAbsDiff(clean.W1, noisy.W1, P) > 1e-6, "%s 0.2 changes the trajectory (max diff %.3g)", rd_noise_type_names[type], MaxAbsDiff(clean.W1, noisy.W1, P));
      else RD_CHECK(bit, "%s at level 0 is bit-identical to none (max diff %.3g)", rd_noise_type_names[type], MaxAbsDiff(clean.W1, noisy.W1, P));
      PetscCall(RdClassifierNetDestroy(&clean));
      PetscCall(RdClassifierNetDestroy(&noisy));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Three well-separated Gaussian classes are learned to > 95% held-out accuracy (noiseless and with
 * node dropout); presenting only class 1 makes the net answer 1 for everything. */
static PetscErrorCode TestLearnsSeparable(void)
{
  enum { n0 = 8, C = 3, per_class = 200, n_examples = C * per_class };
  double           *train, *test;
  PetscInt          train_labels[n_examples], test_labels[n_examples], offsets[C + 1], members[n_examples];
  const RdNoiseType types[2] = {RD_NOISE_NONE, RD_NOISE_NODE_DROPOUT};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n_examples * n0, &train, n_examples * n0, &test));
  /* same means (seed), separate samples: the means are drawn first, so reseeding the sampler
   * after them would repeat samples; instead draw one big set and split it */
  {
    double   *both;
    PetscInt *both_labels;
    PetscCall(PetscMalloc2(2 * n_examples * n0, &both, 2 * n_examples, &both_labels));
    MakeClusters(C, 2 * per_class, n0, 0.7, 0.5, 21, both, both_labels);
    PetscCall(PetscArraycpy(train, both, n_examples * n0));
    PetscCall(PetscArraycpy(test, both + n_examples * n0, n_examples * n0));
    for (PetscInt e = 0; e < n_examples; e++) {
      train_labels[e] = both_labels[e];
      test_labels[e]  = both_labels[n_examples + e];
    }
    PetscCall(PetscFree2(both, both_labels));
  }
  for (int t = 0; t < 2; t++) {
    const RdClassifierHyper hyper = {.lr = 0.02, .momentum = 0.9, .l2 = 1e-3, .batch = 32, .noise = {types[t], 0.2}};
    RdClassifierNet         net;
    RdStream                sampling, noise, probe;
    double                  loss_before, loss_after;

    PetscCall(CreateNet(n0, 32, 16, C, 32, 8, &net));
    RdStreamInit(&sampling, 8, 0, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise, 8, 0, RD_PURPOSE_TRAIN_NOISE);
    RdStreamInit(&probe, 8, 0, RD_PURPOSE_PROBE);
    const double   acc_before = RdClassifierNetAccuracy(&net, &hyper, test, test_labels, n_examples, &probe, &loss_before);
    const PetscInt done       = RdClassifierTrain(&net, &hyper, train, train_labels, n_examples, NULL, NULL, NULL, 1500, &sampling, &noise);
    const double   acc_after  = RdClassifierNetAccuracy(&net, &hyper, test, test_labels, n_examples, &probe, &loss_after);
    RD_CHECK(done == 1500, "%s: trained 1500 steps (%d)", rd_noise_type_names[types[t]], (int)done);
    RD_CHECK(acc_after > 0.95, "%s: held-out accuracy %.4f > 0.95 (before training %.4f)", rd_noise_type_names[types[t]], acc_after, acc_before);
    RD_CHECK(loss_after < 0.5 * loss_before, "%s: held-out loss fell from %.4g to %.4g", rd_noise_type_names[types[t]], loss_before, loss_after);
    PetscCall(RdClassifierNetDestroy(&net));
  }

  /* class-weighted sampling: class 1 only */
  {
    const double            cumulative[C] = {0.0, 1.0, 1.0};
    const RdClassifierHyper hyper         = {.lr = 0.02, .momentum = 0.9, .l2 = 1e-3, .batch = 16, .noise = {RD_NOISE_NONE, 0.0}};
    RdClassifierNet         net;
    RdStream                sampling, noise;
    PetscInt                ones[n_examples];
    PetscCall(CreateNet(n0, 32, 16, C, 16, 8, &net));
    PetscCall(RdClassifierClassIndex(train_labels, n_examples, C, offsets, members));
    PetscCall(RdClassifierTrainingSetCheck(&net, train_labels, n_examples, cumulative, offsets, members));
    RdStreamInit(&sampling, 3, 0, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise, 3, 0, RD_PURPOSE_TRAIN_NOISE);
    (void)RdClassifierTrain(&net, &hyper, train, train_labels, n_examples, cumulative, offsets, members, 300, &sampling, &noise);
    for (PetscInt e = 0; e < n_examples; e++) ones[e] = 1;
    RD_CHECK_CLOSE(RdClassifierNetAccuracy(&net, &hyper, test, ones, n_examples, NULL, NULL), 1.0, 0.0, "trained on class 1 only: every test example classified as 1");
    PetscCall(RdClassifierNetDestroy(&net));
  }
  PetscCall(PetscFree2(train, test));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A huge learning rate overflows the weights: fewer steps than asked, the same count from the
 * reference, and a net that still held finite weights before the failing step. */
static PetscErrorCode TestDivergence(RdNoiseType type)
{
  const PetscInt    n0 = 5, C = 3, per_class = 10, n_examples = C * per_class, nsteps = 1000;
  RdClassifierHyper hyper = {.lr = 1e6, .momentum = 0.9, .l2 = 1e-3, .batch = 4, .noise = {type, 0.1}};
  double            inputs[30 * 5];
  PetscInt          labels[30];
  RdClassifierNet   fast, ref;
  RdStream          s0, z0, s1, z1;

  PetscFunctionBeginUser;
  MakeClusters(C, per_class, n0, 1.0, 0.5, 6, inputs, labels);
  PetscCall(CreateNet(n0, 9, 7, C, 4, 1, &fast));
  PetscCall(CreateNet(n0, 9, 7, C, 4, 1, &ref));
  RdStreamInit(&s0, 2, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&z0, 2, 0, RD_PURPOSE_TRAIN_NOISE);
  s1                     = s0;
  z1                     = z0;
  const PetscInt done    = RdClassifierTrain(&fast, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s0, &z0);
  const PetscInt done_rf = RdClassifierTrainReference(&ref, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s1, &z1);
  RD_CHECK(done < nsteps && done > 0, "%s: lr 1e6 diverges after %d of %d steps", rd_noise_type_names[type], (int)done, (int)nsteps);
  RD_CHECK(done == done_rf, "%s: reference stops at the same step (%d vs %d)", rd_noise_type_names[type], (int)done_rf, (int)done);
  /* the failing step changed nothing: training more from here stops at once */
  const PetscInt again = RdClassifierTrain(&fast, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, 5, &s0, &z0);
  RD_CHECK(again == 0, "%s: a diverged net fails its first step (%d)", rd_noise_type_names[type], (int)again);
  /* a sane learning rate completes */
  hyper.lr = 0.01;
  PetscCall(RdClassifierNetDestroy(&fast));
  PetscCall(CreateNet(n0, 9, 7, C, 4, 1, &fast));
  RD_CHECK(RdClassifierTrain(&fast, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s0, &z0) == nsteps, "%s: lr 0.01 completes", rd_noise_type_names[type]);
  PetscCall(RdClassifierNetDestroy(&fast));
  PetscCall(RdClassifierNetDestroy(&ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Probe: noiseless features equal an independent forward pass; gradient noise leaves the probe
 * clean and draws nothing; node dropout gives 0 or clean/(1-p) and draws one word per feature;
 * weight dropout draws one word per W2 entry; the accuracy matches the independent argmax. */
static PetscErrorCode TestProbe(void)
{
  enum { n0 = 6, n1 = 11, n2 = 9, C = 4, N = 40 };
  RdClassifierHyper hyper = {.lr = 0.1, .momentum = 0.0, .l2 = 0.0, .batch = 1, .noise = {RD_NOISE_NONE, 0.0}};
  RdClassifierNet   net;
  RdStream          stream, copy;
  double            inputs[N * n0], clean[N * n2], features[N * n2], z1[n1], z2[n2], h2[n2], logits[C];
  PetscInt          labels[N];

  PetscFunctionBeginUser;
  PetscCall(CreateNet(n0, n1, n2, C, 1, 12, &net));
  RdTestSeed(12);
  for (PetscInt i = 0; i < n2; i++) net.b2[i] = 0.2 * RdTestNormal();
  for (PetscInt i = 0; i < N * n0; i++) inputs[i] = RdTestNormal();
  for (PetscInt e = 0; e < N; e++) labels[e] = (PetscInt)(RdTestUniform() * C);
  RdStreamInit(&stream, 1, 0, RD_PURPOSE_PROBE);
  copy = stream;
  RdClassifierProbe(&net, &hyper, inputs, N, &stream, clean);
  double   diff = 0.0, ce = 0.0;
  PetscInt correct = 0, active = 0;
  for (PetscInt e = 0; e < N; e++) {
    ce += LocalForward(&net, inputs + e * n0, labels[e], z1, z2, h2, logits) / N;
    PetscInt best = 0;
    for (PetscInt c = 1; c < C; c++)
      if (logits[c] > logits[best]) best = c;
    correct += best == labels[e];
    diff = fmax(diff, MaxAbsDiff(h2, clean + e * n2, n2));
    for (PetscInt j = 0; j < n2; j++) active += clean[e * n2 + j] > 0;
  }
  RD_CHECK(diff <= 1e-14, "noiseless probe = independent forward pass (max diff %.3g)", diff);
  RD_CHECK(active > N * n2 / 4, "probe features are not all dead (%d of %d active)", (int)active, N * n2);
  RD_CHECK(SameStreamState(stream, copy), "noiseless probe draws nothing");
  double loss;
  RD_CHECK_CLOSE(RdClassifierNetAccuracy(&net, &hyper, inputs, labels, N, &stream, &loss), (double)correct / N, 0.0, "accuracy = independent argmax");
  RD_CHECK_CLOSE(loss, ce, 1e-13 * ce, "mean loss = independent cross-entropy");

  hyper.noise = (RdNoise){RD_NOISE_GRADIENT, 0.5};
  RdClassifierProbe(&net, &hyper, inputs, N, &stream, features);
  RD_CHECK(memcmp(features, clean, sizeof(clean)) == 0 && SameStreamState(stream, copy), "gradient noise: probe clean, nothing drawn");

  hyper.noise = (RdNoise){RD_NOISE_NODE_DROPOUT, 0.25};
  RdClassifierProbe(&net, &hyper, inputs, N, &stream, features);
  int      values_ok = 1;
  PetscInt dropped   = 0;
  for (PetscInt i = 0; i < N * n2; i++) {
    values_ok &= features[i] == 0.0 || features[i] == (1.0 / 0.75) * clean[i];
    dropped += clean[i] > 0 && features[i] == 0.0;
  }
  RD_CHECK(values_ok, "node dropout: each feature is 0 or clean / (1-p)");
  RD_CHECK(dropped > 0 && dropped < active, "node dropout drops some active features (%d of %d)", (int)dropped, (int)active);
  for (PetscInt i = 0; i < N * n2; i++) (void)RdStreamUInt32(&copy);
  RD_CHECK(SameStreamState(stream, copy), "node dropout: one word per feature per input");

  hyper.noise = (RdNoise){RD_NOISE_WEIGHT_DROPOUT, 0.25};
  RdClassifierProbe(&net, &hyper, inputs, N, &stream, features);
  {
    double mask[n2 * n1];
    for (PetscInt e = 0; e < N; e++) RdNoiseDrawWeightMask(&hyper.noise, n2 * n1, &copy, mask);
  }
  RD_CHECK(SameStreamState(stream, copy), "weight dropout: one W2 mask per input");
  RD_CHECK(MaxAbsDiff(features, clean, N * n2) > 1e-3, "weight dropout changes the probe");

  hyper.noise = (RdNoise){RD_NOISE_ADDITIVE, 0.3};
  RdClassifierProbe(&net, &hyper, inputs, N, &stream, features);
  for (PetscInt i = 0; i < N * n2; i++) (void)RdStreamNormal(&copy);
  RD_CHECK(SameStreamState(stream, copy), "additive: one normal per feature per input");
  PetscCall(RdClassifierNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Input checks name what to fix. */
static PetscErrorCode TestChecks(void)
{
  enum { C = 3, N = 6 };
  const PetscInt  labels[N] = {0, 1, 2, 2, 1, 0}, bad_labels[N] = {0, 1, 3, 2, 1, 0};
  const double    cumulative[C] = {0.2, 0.5, 1.0}, not_one[C] = {0.2, 0.5, 0.9};
  PetscInt        offsets[C + 1], members[N];
  RdClassifierNet net;
  PetscErrorCode  ierr;

  PetscFunctionBeginUser;
  PetscCall(RdClassifierClassIndex(labels, N, C, offsets, members));
  RD_CHECK(offsets[0] == 0 && offsets[1] == 2 && offsets[2] == 4 && offsets[3] == 6, "class offsets 0 2 4 6");
  RD_CHECK(members[0] == 0 && members[1] == 5 && members[2] == 1 && members[3] == 4 && members[4] == 2 && members[5] == 3, "class members ascending per class");
  PetscCall(RdClassifierNetCreate(2, 3, 4, C, 8, &net));
  PetscCall(RdClassifierTrainingSetCheck(&net, labels, N, cumulative, offsets, members));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  RD_CHECK(RdClassifierTrainingSetCheck(&net, bad_labels, N, NULL, NULL, NULL) != 0, "label 3 of 3 classes rejected");
  RD_CHECK(RdClassifierTrainingSetCheck(&net, labels, N, not_one, offsets, members) != 0, "cumulative not ending at 1 rejected");
  {
    const PetscInt empty_offsets[C + 1] = {0, 2, 2, 4}; /* class 1 empty but drawn with p 0.3 */
    RD_CHECK(RdClassifierTrainingSetCheck(&net, labels, N, cumulative, empty_offsets, members) != 0, "a drawn class without examples rejected");
  }
  const RdClassifierHyper good = {.lr = 1e-3, .momentum = 0.9, .l2 = 1e-3, .batch = 8, .noise = {RD_NOISE_NODE_DROPOUT, 0.5}};
  RdClassifierHyper       bad;
  ierr = RdClassifierHyperCheck(&net, &good);
  RD_CHECK(ierr == 0, "paper hyper-parameters accepted");
  bad       = good;
  bad.batch = 9;
  RD_CHECK(RdClassifierHyperCheck(&net, &bad) != 0, "batch above max_batch rejected");
  bad    = good;
  bad.lr = 0.0;
  RD_CHECK(RdClassifierHyperCheck(&net, &bad) != 0, "lr 0 rejected");
  bad          = good;
  bad.momentum = 1.0;
  RD_CHECK(RdClassifierHyperCheck(&net, &bad) != 0, "momentum 1 rejected");
  bad             = good;
  bad.noise.level = 1.0;
  RD_CHECK(RdClassifierHyperCheck(&net, &bad) != 0, "dropout 1 rejected");
  bad             = good;
  bad.weight_mask = (RdWeightMaskScope)RD_NUM_WEIGHT_MASK_SCOPES;
  RD_CHECK(RdClassifierHyperCheck(&net, &bad) == PETSC_ERR_USER_INPUT, "unknown weight-mask scope rejected");
  bad             = good;
  bad.gradient_on = (RdGradientNoiseTarget)-1;
  RD_CHECK(RdClassifierHyperCheck(&net, &bad) == PETSC_ERR_USER_INPUT, "unknown gradient-noise target rejected");
  {
    RdClassifierArchitecture a;
    RD_CHECK(RdClassifierArchitectureFromName("lenet", "-architecture", &a) == 0 && a == RD_CLASSIFIER_LENET, "-architecture lenet");
    RD_CHECK(RdClassifierArchitectureFromName("mlp", "-architecture", &a) == 0 && a == RD_CLASSIFIER_MLP, "-architecture mlp");
    RD_CHECK(RdClassifierArchitectureFromName("cnn", "-architecture", &a) == PETSC_ERR_USER_INPUT, "-architecture cnn rejected");
    RdClassifierHyper h = good;
    RdClassifierNoiseDetailsDefault(RD_CLASSIFIER_MLP, &h);
    RD_CHECK(h.weight_mask == RD_WEIGHT_MASK_PER_EXAMPLE && h.gradient_on == RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, "mlp defaults: a mask per example, gradient noise on weights and bias (the zero values)");
  }
  {
    RdClassifierNet unused;
    RD_CHECK(RdClassifierNetCreate(2, 3, 0, C, 8, &unused) != 0, "feature width 0 rejected");
  }
  PetscCall(PetscPopErrorHandler());
  /* a batch the net was not sized for is refused without touching anything */
  bad       = good;
  bad.batch = 9;
  {
    double   inputs[N * 2] = {0};
    RdStream s, z;
    RdStreamInit(&s, 1, 0, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&z, 1, 0, RD_PURPOSE_TRAIN_NOISE);
    RD_CHECK(RdClassifierTrain(&net, &bad, inputs, labels, N, NULL, NULL, NULL, 10, &s, &z) == 0, "batch above max_batch: no step taken");
  }
  PetscCall(RdClassifierNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  /* sizes off the kernel's tiles (4 rows x 8 columns) exercise every remainder path */
  const KernelCase shapes[2] = {
    {11, 19, 13, 5, 12, 12, PETSC_FALSE, RD_NOISE_NONE, 0.0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {8, 16, 24, 3, 20, 16, PETSC_TRUE, RD_NOISE_NONE, 0.0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
  };
  const struct {
    RdNoiseType           type;
    double                level;
    RdWeightMaskScope     scope;
    RdGradientNoiseTarget target;
  } noises[] = {
    {RD_NOISE_NONE, 0.0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_NODE_DROPOUT, 0.3, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_WEIGHT_DROPOUT, 0.3, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_WEIGHT_DROPOUT, 0.3, RD_WEIGHT_MASK_PER_BATCH, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_ADDITIVE, 0.5, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_MULTIPLICATIVE, 0.5, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_GRADIENT, 0.1, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS},
    {RD_NOISE_GRADIENT, 0.1, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS},
  };

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestCreateInit());
  PetscCall(TestGradient());
  for (int s = 0; s < 2; s++)
    for (size_t t = 0; t < sizeof(noises) / sizeof(noises[0]); t++) {
      KernelCase c = shapes[s];
      c.type       = noises[t].type;
      c.level      = noises[t].level;
      c.scope      = noises[t].scope;
      c.target     = noises[t].target;
      PetscCall(TestFastMatchesReference(c));
    }
  PetscCall(TestLevelZero());
  PetscCall(TestLearnsSeparable());
  PetscCall(TestDivergence(RD_NOISE_NONE));
  PetscCall(TestDivergence(RD_NOISE_WEIGHT_DROPOUT));
  PetscCall(TestProbe());
  PetscCall(TestChecks());
  int code = RdTestSummary("test_classifier");
  PetscCall(SlepcFinalize());
  return code;
}
