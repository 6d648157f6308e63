/* The classifier's lenet architecture: layout, init and shape checks; the loss against a forward
 * pass written out here; the gradient of every layer (both convolutions, their biases, the dense
 * layers) against central finite differences, also through each forward noise (the noise held
 * fixed); the fast training kernel against the reference for all six noise sources and both
 * weight-mask scopes and gradient-noise targets, odd batches and class-weighted sampling; level 0
 * of every source against none bit for bit; runs split over calls, repeated, and on every
 * instruction set bit-identical; the probe against the written-out forward pass; learning an easy
 * image task; divergence detection. */
#include <repdrift/conv.h>
#include <repdrift/models/classifier.h>
#include "testing.h"
#include <string.h>

/* ------------------------------------------------------------------------------------------ */
/* The network written out (not the library's code), for one example without noise.            */

typedef struct {
  double margin; /* smallest |pre-activation| and smallest gap between a pool maximum and the runner-up */
  double features[64], logits[16];
} LocalPass;

/* relu then 2x2 max pool of one channel (h x w) into (h/2 x w/2); tracks the tie margin. */
static void LocalPool(const double *in, PetscInt h, PetscInt w, double *out, double *margin)
{
  for (PetscInt py = 0; py < h / 2; py++)
    for (PetscInt px = 0; px < w / 2; px++) {
      double v[4] = {in[(2 * py) * w + 2 * px], in[(2 * py) * w + 2 * px + 1], in[(2 * py + 1) * w + 2 * px], in[(2 * py + 1) * w + 2 * px + 1]};
      double top = -INFINITY, second = -INFINITY;
      for (int k = 0; k < 4; k++) {
        *margin = fmin(*margin, fabs(v[k]));
        if (v[k] > top) {
          second = top;
          top    = v[k];
        } else second = fmax(second, v[k]);
      }
      if (top > 0) *margin = fmin(*margin, top - second);
      out[py * (w / 2) + px] = fmax(top, 0.0);
    }
}

/* conv K x K with zero padding of a (C x h x w) image by net filters W [O][C][K][K] + b */
static void LocalConv(const double *in, PetscInt C, PetscInt h, PetscInt w, const double *W, const double *b, PetscInt O, PetscInt K, PetscInt pad, double *out)
{
  const PetscInt oh = h + 2 * pad - K + 1, ow = w + 2 * pad - K + 1;
  for (PetscInt o = 0; o < O; o++)
    for (PetscInt y = 0; y < oh; y++)
      for (PetscInt x = 0; x < ow; x++) {
        double s = b[o];
        for (PetscInt c = 0; c < C; c++)
          for (PetscInt ky = 0; ky < K; ky++)
            for (PetscInt kx = 0; kx < K; kx++) {
              const PetscInt iy = y + ky - pad, ix = x + kx - pad;
              if (iy >= 0 && iy < h && ix >= 0 && ix < w) s += W[((o * C + c) * K + ky) * K + kx] * in[(c * h + iy) * w + ix];
            }
        out[(o * oh + y) * ow + x] = s;
      }
}

/* Returns the cross-entropy of one image; fills the pass (features, logits, margin). */
static double LocalForward(const RdClassifierNet *net, const double *image, PetscInt label, LocalPass *pass)
{
  const RdLeNetShape *s = &net->image;
  const PetscInt      H = s->height, W = s->width, c1 = s->conv1_channels, c2 = s->conv2_channels;
  const PetscInt      h1 = H / 2, w1 = W / 2, h2 = h1 - 4, w2 = w1 - 4;
  double              a1[4 * 32 * 32], p1[4 * 16 * 16], a2[4 * 12 * 12], flat[4 * 6 * 6], z[128], hid[128], top = -INFINITY, sum = 0;

  pass->margin = INFINITY;
  LocalConv(image, s->channels, H, W, net->Wc1, net->bc1, c1, 5, 2, a1);
  for (PetscInt c = 0; c < c1; c++) LocalPool(a1 + c * H * W, H, W, p1 + c * h1 * w1, &pass->margin);
  LocalConv(p1, c1, h1, w1, net->Wc2, net->bc2, c2, 5, 0, a2);
  for (PetscInt c = 0; c < c2; c++) LocalPool(a2 + c * h2 * w2, h2, w2, flat + c * (h2 / 2) * (w2 / 2), &pass->margin);
  for (PetscInt i = 0; i < net->hidden_dim; i++) {
    z[i] = net->b1[i];
    for (PetscInt k = 0; k < net->flat_dim; k++) z[i] += net->W1[i * net->flat_dim + k] * flat[k];
    pass->margin = fmin(pass->margin, fabs(z[i]));
    hid[i]       = fmax(z[i], 0.0);
  }
  for (PetscInt o = 0; o < net->feature_dim; o++) {
    double v = net->b2[o];
    for (PetscInt i = 0; i < net->hidden_dim; i++) v += net->W2[o * net->hidden_dim + i] * hid[i];
    pass->margin       = fmin(pass->margin, fabs(v));
    pass->features[o] = fmax(v, 0.0);
  }
  for (PetscInt c = 0; c < net->num_classes; c++) {
    pass->logits[c] = net->b3[c];
    for (PetscInt j = 0; j < net->feature_dim; j++) pass->logits[c] += net->W3[c * net->feature_dim + j] * pass->features[j];
    top = fmax(top, pass->logits[c]);
  }
  for (PetscInt c = 0; c < net->num_classes; c++) sum += exp(pass->logits[c] - top);
  return top + log(sum) - pass->logits[label];
}

/* ------------------------------------------------------------------------------------------ */

static PetscErrorCode CreateLeNet(RdLeNetShape shape, PetscInt hidden, PetscInt feature, PetscInt C, PetscInt max_batch, uint64_t seed, RdClassifierNet *net)
{
  RdStream init;

  PetscFunctionBeginUser;
  PetscCall(RdClassifierNetCreateLeNet(&shape, hidden, feature, C, max_batch, net));
  RdStreamInit(&init, seed, 0, RD_PURPOSE_INIT);
  RdClassifierNetInit(net, &init);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Class c's images: a class-specific random pattern plus noise sd (labels cycle 0..C-1). */
static void MakeImages(PetscInt C, PetscInt n, PetscInt dim, double sd, uint64_t seed, double *inputs, PetscInt *labels)
{
  double pattern[8 * 2 * 16 * 16]; /* C dim <= 2048 */
  RdTestSeed(seed);
  for (PetscInt i = 0; i < C * dim; i++) pattern[i] = RdTestNormal();
  for (PetscInt e = 0; e < n; e++) {
    labels[e] = e % C;
    for (PetscInt k = 0; k < dim; k++) inputs[e * dim + k] = pattern[labels[e] * dim + k] + sd * RdTestNormal();
  }
}

/* Same next draws from both streams (and same pending normal). */
static int SameStreamState(RdStream a, RdStream b)
{
  int same = a.has_spare_normal == b.has_spare_normal;
  for (int t = 0; t < 6; t++) same &= RdStreamUInt32(&a) == RdStreamUInt32(&b);
  return same;
}

/* Layout, parameter count, init statistics and draw order, the paper's shape, bad shapes. */
static PetscErrorCode TestCreateInit(void)
{
  const RdLeNetShape shape = RdLeNetShapeDefault(1, 28, 28);
  RdClassifierNet    net;
  RdStream           init;

  PetscFunctionBeginUser;
  RD_CHECK(shape.conv1_channels == 6 && shape.conv2_channels == 16, "paper's conv widths 6 and 16");
  PetscCall(CreateLeNet(shape, RD_LENET_HIDDEN_DIM, 84, 10, 64, 5, &net));
  RD_CHECK(net.architecture == RD_CLASSIFIER_LENET && net.input_dim == 784 && net.flat_dim == 16 * 5 * 5, "28x28 -> 16 x 5 x 5 = 400 flat features (%d)", (int)net.flat_dim);
  const PetscInt P = RdClassifierNumParameters(&net), expected = 6 * 26 + 16 * 151 + 120 * 401 + 84 * 121 + 10 * 85;
  RD_CHECK(P == expected, "parameter count %d (expected %d, PyTorch's LeNet-5 with padding 2)", (int)P, (int)expected);
  RD_CHECK(net.Wc1 == net.params && net.bc1 == net.Wc1 + 150 && net.Wc2 == net.bc1 + 6 && net.bc2 == net.Wc2 + 2400 && net.W1 == net.bc2 + 16 && net.b1 == net.W1 + 48000 && net.W2 == net.b1 + 120 && net.W3 == net.b2 + 84, "one block Wc1 bc1 Wc2 bc2 W1 b1 W2 b2 W3 b3");
  RD_CHECK(RdClassifierFeatureLayerOffset(&net) == (PetscInt)(net.W2 - net.params), "feature-layer offset");
  RD_CHECK(MaxAbs(net.bc1, 6) == 0 && MaxAbs(net.bc2, 16) == 0 && MaxAbs(net.b1, 120) == 0 && MaxAbs(net.velocity, P) == 0, "zero biases and velocity");
  RdStreamInit(&init, 5, 0, RD_PURPOSE_INIT);
  const double *block[5]  = {net.Wc1, net.Wc2, net.W1, net.W2, net.W3};
  const size_t  count[5]  = {150, 2400, 48000, 84 * 120, 840};
  const double  fan_in[5] = {25, 150, 400, 120, 84};
  int           order     = 1;
  for (int l = 0; l < 5; l++) {
    double sum_sq = 0;
    for (size_t i = 0; i < count[l]; i++) {
      order &= block[l][i] == sqrt(2.0 / fan_in[l]) * RdStreamNormal(&init);
      sum_sq += block[l][i] * block[l][i];
    }
    const double var = sum_sq / count[l];
    RD_CHECK(fabs(var * fan_in[l] / 2 - 1) < 5 * sqrt(2.0 / count[l]), "He init of layer %d: variance %.4g vs 2/fan_in", l, var);
  }
  RD_CHECK(order, "init draws Wc1, Wc2, W1, W2, W3 row-major, one normal each");
  PetscCall(RdClassifierNetDestroy(&net));

  RdLeNetShape   small = RdLeNetShapeDefault(3, 11, 30);
  PetscErrorCode ierr;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdClassifierNetCreateLeNet(&small, 120, 84, 10, 8, &net);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "an 11-pixel-high image is refused (code %d)", (int)ierr);
  if (ierr) {
    const char *generic;
    char       *specific = NULL;
    PetscCall(PetscErrorMessage(ierr, &generic, &specific));
    RD_CHECK(specific && strstr(specific, "12") && strstr(specific, "-input_shape"), "the message gives the minimum and the option (\"%s\")", specific ? specific : "");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Loss against LocalForward and the gradient against central differences for every parameter,
 * without noise and through each forward noise (the noise stream restarted for every evaluation, so
 * the noise is a fixed function of the parameters' neighbourhood). */
static PetscErrorCode TestGradient(RdNoiseType type, double level, RdWeightMaskScope scope)
{
  enum { N = 4, C = 3 };
  const RdLeNetShape shape = {2, 13, 14, 2, 3}; /* 13 x 14 -> 6 x 7 -> 2 x 3 -> 1 x 1: odd sizes everywhere */
  RdClassifierHyper  hyper = {.lr = 0.1, .momentum = 0.9, .l2 = 0.03, .batch = N, .noise = {type, level}, .weight_mask = scope};
  const double       step  = 1e-5;
  RdClassifierNet    net;
  RdStream           noise;
  double             x[N * 2 * 13 * 14], *grad, *scratch, margin = 0;
  PetscInt           labels[N], seed;
  LocalPass          pass;
  char               what[96];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof what, "%s %g%s", rd_noise_type_names[type], level, type == RD_NOISE_WEIGHT_DROPOUT ? (scope ? " per_batch" : " per_example") : ""));
  for (seed = 1; seed < 300; seed++) {
    PetscCall(CreateLeNet(shape, 7, 5, C, N, (uint64_t)seed, &net));
    RdTestSeed(500 + (uint64_t)seed);
    const PetscInt P = RdClassifierNumParameters(&net);
    for (PetscInt i = 0; i < P; i++)
      if (net.params[i] == 0) net.params[i] = 0.3 * RdTestNormal(); /* nonzero biases */
    for (PetscInt i = 0; i < N * net.input_dim; i++) x[i] = RdTestNormal();
    for (PetscInt e = 0; e < N; e++) labels[e] = e % C;
    margin = INFINITY;
    for (PetscInt e = 0; e < N; e++) {
      (void)LocalForward(&net, x + e * net.input_dim, labels[e], &pass);
      margin = fmin(margin, pass.margin);
    }
    if (margin > 1e-3) break;
    PetscCall(RdClassifierNetDestroy(&net));
  }
  RD_CHECK(margin > 1e-3, "%s: a net with every kink > 1e-3 away (seed %d)", what, (int)seed);
  const PetscInt P = RdClassifierNumParameters(&net);
  PetscCall(PetscMalloc2(P, &grad, P, &scratch));
  RdStreamInit(&noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  RdStream     fresh = noise;
  const double loss  = RdClassifierLossGradient(&net, &hyper, x, labels, N, &noise, grad);
  if (type == RD_NOISE_NONE) {
    double local = 0, weights2 = 0;
    for (PetscInt e = 0; e < N; e++) local += LocalForward(&net, x + e * net.input_dim, labels[e], &pass) / N;
    const double *block[5] = {net.Wc1, net.Wc2, net.W1, net.W2, net.W3};
    const size_t  count[5] = {2 * 2 * 25, 3 * 2 * 25, (size_t)7 * net.flat_dim, 5 * 7, C * 5};
    for (int l = 0; l < 5; l++)
      for (size_t i = 0; i < count[l]; i++) weights2 += block[l][i] * block[l][i];
    local += 0.5 * hyper.l2 * weights2;
    RD_CHECK_CLOSE(loss, local, 1e-12 * local, "lenet loss = mean CE + l2/2 |W|^2, conv filters included (independent forward pass)");
  }
  double max_error = 0, worst = 0;
  for (PetscInt i = 0; i < P; i++) {
    const double saved = net.params[i];
    net.params[i]      = saved + step;
    noise              = fresh;
    const double plus  = RdClassifierLossGradient(&net, &hyper, x, labels, N, &noise, scratch);
    net.params[i]      = saved - step;
    noise              = fresh;
    const double minus = RdClassifierLossGradient(&net, &hyper, x, labels, N, &noise, scratch);
    net.params[i]      = saved;
    const double fd = (plus - minus) / (2 * step), error = fabs(fd - grad[i]);
    max_error = fmax(max_error, error);
    worst     = fmax(worst, error / (fabs(grad[i]) + 1e-6));
  }
  const double scale = MaxAbs(grad, P);
  RD_CHECK(max_error / scale < 1e-6 && worst < 1e-3, "%s: gradient vs central differences over all %d parameters: max error / max |g| = %.3g, worst entry %.3g", what, (int)P, max_error / scale, worst);
  /* every layer's block carries gradient: conv1 is reached through everything above it */
  const double *block[10] = {net.Wc1, net.bc1, net.Wc2, net.bc2, net.W1, net.b1, net.W2, net.b2, net.W3, net.b3};
  for (int b = 0; b < 10; b++) {
    const PetscInt begin = (PetscInt)(block[b] - net.params), end = b < 9 ? (PetscInt)(block[b + 1] - net.params) : P;
    RD_CHECK(MaxAbs(grad + begin, end - begin) > 1e-5, "%s: parameter block %d has a gradient (%.3g)", what, b, MaxAbs(grad + begin, end - begin));
  }
  PetscCall(PetscFree2(grad, scratch));
  PetscCall(RdClassifierNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  RdNoiseType           type;
  double                level;
  RdWeightMaskScope     scope;
  RdGradientNoiseTarget target;
  PetscInt              batch;
  PetscBool             class_weighted;
} KernelCase;

/* Fast vs reference over 30 steps: same trajectory to rounding, same stream consumption; a run
 * split over two calls equals one call bit for bit; a repeated run is bit-identical. */
static PetscErrorCode TestFastMatchesReference(KernelCase c)
{
  enum { C = 4, n_examples = 40, nsteps = 30 };
  const RdLeNetShape      shape = {1, 12, 13, 3, 4};
  const RdClassifierHyper hyper = {.lr = 0.02, .momentum = 0.9, .l2 = 1e-3, .batch = c.batch, .noise = {c.type, c.level}, .weight_mask = c.scope, .gradient_on = c.target};
  RdClassifierNet         net[4];
  RdStream                sampling[4], noise[4];
  double                  inputs[n_examples * 12 * 13], cumulative[C] = {0.4, 0.6, 0.8, 1.0};
  PetscInt                labels[n_examples], offsets[C + 1], members[n_examples];
  char                    what[128];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof what, "%s %g (%s, %s) batch %d%s", rd_noise_type_names[c.type], c.level, rd_weight_mask_scope_names[c.scope], rd_gradient_noise_target_names[c.target], (int)c.batch, c.class_weighted ? ", class-weighted" : ""));
  MakeImages(C, n_examples, 12 * 13, 0.5, 3, inputs, labels);
  PetscCall(RdClassifierClassIndex(labels, n_examples, C, offsets, members));
  for (int k = 0; k < 4; k++) {
    PetscCall(CreateLeNet(shape, 9, 6, C, 16, 7, &net[k]));
    RdStreamInit(&sampling[k], 11, 0, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise[k], 11, 0, RD_PURPOSE_TRAIN_NOISE);
  }
  PetscCall(RdClassifierHyperCheck(&net[0], &hyper));
  const double *cw = c.class_weighted ? cumulative : NULL;
  const PetscInt P = RdClassifierNumParameters(&net[0]);
  PetscInt       done[4];
  done[0] = RdClassifierTrain(&net[0], &hyper, inputs, labels, n_examples, cw, offsets, members, nsteps, &sampling[0], &noise[0]);
  done[1] = RdClassifierTrainReference(&net[1], &hyper, inputs, labels, n_examples, cw, offsets, members, nsteps, &sampling[1], &noise[1]);
  done[2] = RdClassifierTrain(&net[2], &hyper, inputs, labels, n_examples, cw, offsets, members, 13, &sampling[2], &noise[2]);
  done[2] += RdClassifierTrain(&net[2], &hyper, inputs, labels, n_examples, cw, offsets, members, nsteps - 13, &sampling[2], &noise[2]);
  done[3] = RdClassifierTrain(&net[3], &hyper, inputs, labels, n_examples, cw, offsets, members, nsteps, &sampling[3], &noise[3]);
  RD_CHECK(done[0] == nsteps && done[1] == nsteps && done[2] == nsteps && done[3] == nsteps, "%s: all steps done", what);
  const double diff = MaxAbsDiff(net[0].params, net[1].params, P), size = MaxAbs(net[1].params, P);
  RD_CHECK(diff <= 1e-9 * size, "%s: fast vs reference after %d steps: max diff %.3g (max |param| %.3g)", what, (int)nsteps, diff, size);
  RD_CHECK(MaxAbsDiff(net[0].velocity, net[1].velocity, P) <= 1e-9 * size, "%s: velocities agree", what);
  RD_CHECK(SameStreamState(sampling[0], sampling[1]) && SameStreamState(noise[0], noise[1]), "%s: fast and reference consume the streams identically", what);
  RD_CHECK(memcmp(net[0].params, net[2].params, P * sizeof(double)) == 0 && memcmp(net[0].velocity, net[2].velocity, P * sizeof(double)) == 0, "%s: 13 + 17 steps = 30 steps bit for bit", what);
  RD_CHECK(memcmp(net[0].params, net[3].params, P * sizeof(double)) == 0, "%s: repeated run bit-identical", what);
  for (int k = 0; k < 4; k++) PetscCall(RdClassifierNetDestroy(&net[k]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Level 0 of every source reproduces none bit for bit, a level of 0.2 changes the trajectory; the
 * instruction sets give identical trajectories; gradient noise on the weights leaves b2 alone. */
static PetscErrorCode TestLevelZeroAndISAs(void)
{
  enum { C = 3, n_examples = 30, nsteps = 8 };
  const RdLeNetShape shape = {2, 12, 12, 3, 4};
  double             inputs[n_examples * 2 * 144];
  PetscInt           labels[n_examples];
  RdClassifierNet    clean, noisy;
  RdStream           s1, n1, s2, n2;

  PetscFunctionBeginUser;
  MakeImages(C, n_examples, 2 * 144, 0.3, 9, inputs, labels);
  PetscCall(CreateLeNet(shape, 10, 8, C, 12, 2, &clean));
  PetscCall(CreateLeNet(shape, 10, 8, C, 12, 2, &noisy));
  const PetscInt P = RdClassifierNumParameters(&clean);
  double        *start;
  PetscCall(PetscMalloc1(P, &start));
  PetscCall(PetscArraycpy(start, clean.params, P));
  RdClassifierHyper hyper = {.lr = 0.05, .momentum = 0.9, .l2 = 1e-3, .batch = 11};
  RdClassifierNoiseDetailsDefault(RD_CLASSIFIER_LENET, &hyper);
  RD_CHECK(hyper.weight_mask == RD_WEIGHT_MASK_PER_BATCH && hyper.gradient_on == RD_GRADIENT_NOISE_WEIGHTS, "lenet defaults: a mask per forward pass, gradient noise on the weights (the paper's)");
  RdStreamInit(&s1, 3, 1, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&n1, 3, 1, RD_PURPOSE_TRAIN_NOISE);
  hyper.noise = (RdNoise){RD_NOISE_NONE, 0.0};
  (void)RdClassifierTrain(&clean, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s1, &n1);
  for (int type = 1; type < RD_NUM_NOISE_TYPES; type++)
    for (int nonzero = 0; nonzero < 2; nonzero++) {
      PetscCall(PetscArraycpy(noisy.params, start, P));
      PetscCall(PetscArrayzero(noisy.velocity, P));
      RdStreamInit(&s2, 3, 1, RD_PURPOSE_SGD_SAMPLING);
      RdStreamInit(&n2, 3, 1, RD_PURPOSE_TRAIN_NOISE);
      hyper.noise = (RdNoise){(RdNoiseType)type, nonzero ? 0.2 : 0.0};
      (void)RdClassifierTrain(&noisy, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s2, &n2);
      const int bit = memcmp(clean.params, noisy.params, P * sizeof(double)) == 0;
      if (nonzero) RD_CHECK(!bit && MaxAbsDiff(clean.params, noisy.params, P) > 1e-6, "lenet %s 0.2 changes the trajectory", rd_noise_type_names[type]);
      else RD_CHECK(bit, "lenet %s at level 0 is bit-identical to none (max diff %.3g)", rd_noise_type_names[type], MaxAbsDiff(clean.params, noisy.params, P));
      if (type == RD_NOISE_GRADIENT && nonzero) {
        /* b2 sees no gradient noise: its step equals the clean run's only if the rest did too, so
         * compare a one-step run from the same start instead */
        RdClassifierNet a, b;
        PetscCall(CreateLeNet(shape, 10, 8, C, 12, 2, &a));
        PetscCall(CreateLeNet(shape, 10, 8, C, 12, 2, &b));
        RdClassifierHyper h0 = hyper;
        h0.momentum = 0;
        h0.noise    = (RdNoise){RD_NOISE_NONE, 0};
        RdStreamInit(&s1, 4, 0, RD_PURPOSE_SGD_SAMPLING);
        RdStreamInit(&n1, 4, 0, RD_PURPOSE_TRAIN_NOISE);
        (void)RdClassifierTrain(&a, &h0, inputs, labels, n_examples, NULL, NULL, NULL, 1, &s1, &n1);
        h0.noise = hyper.noise;
        RdStreamInit(&s2, 4, 0, RD_PURPOSE_SGD_SAMPLING);
        RdStreamInit(&n2, 4, 0, RD_PURPOSE_TRAIN_NOISE);
        (void)RdClassifierTrain(&b, &h0, inputs, labels, n_examples, NULL, NULL, NULL, 1, &s2, &n2);
        const PetscInt w2 = RdClassifierFeatureLayerOffset(&a), b2 = w2 + 8 * 10;
        int            others = 1, w2_moved = 0;
        for (PetscInt i = 0; i < P; i++) {
          if (i >= w2 && i < b2) w2_moved |= a.params[i] != b.params[i];
          else others &= a.params[i] == b.params[i];
        }
        RD_CHECK(w2_moved && others, "gradient noise on the weights: W2 moves, every other parameter (b2 included) takes the clean step");
        PetscCall(RdClassifierNetDestroy(&a));
        PetscCall(RdClassifierNetDestroy(&b));
      }
    }

  /* every instruction set, node dropout (per-example draws) and weight dropout (masked W2) */
  const char *const isas[] = {"baseline", "avx2", "avx512"};
  for (int type = 0; type < 2; type++) {
    double *first = NULL;
    hyper.noise   = (RdNoise){type ? RD_NOISE_WEIGHT_DROPOUT : RD_NOISE_NODE_DROPOUT, 0.5};
    for (int k = 0; k < 3; k++) {
      if (!RdConvKernelForceISA(isas[k])) continue;
      PetscCall(PetscArraycpy(noisy.params, start, P));
      PetscCall(PetscArrayzero(noisy.velocity, P));
      RdStreamInit(&s2, 3, 1, RD_PURPOSE_SGD_SAMPLING);
      RdStreamInit(&n2, 3, 1, RD_PURPOSE_TRAIN_NOISE);
      (void)RdClassifierTrain(&noisy, &hyper, inputs, labels, n_examples, NULL, NULL, NULL, nsteps, &s2, &n2);
      if (!first) {
        PetscCall(PetscMalloc1(P, &first));
        PetscCall(PetscArraycpy(first, noisy.params, P));
      } else RD_CHECK(memcmp(first, noisy.params, P * sizeof(double)) == 0, "%s: training on %s gives the bits of the baseline", rd_noise_type_names[hyper.noise.type], isas[k]);
    }
    PetscCall(PetscFree(first));
  }
  (void)RdConvKernelForceISA(NULL);
  PetscCall(PetscFree(start));
  PetscCall(RdClassifierNetDestroy(&clean));
  PetscCall(RdClassifierNetDestroy(&noisy));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The probe (fast, in forward passes of `batch`) against LocalForward without noise; with weight
 * dropout per batch, the examples of one forward pass share a mask: two copies of one image in one
 * pass get identical features, in different passes different ones. Accuracy against LocalForward. */
static PetscErrorCode TestProbeAndAccuracy(void)
{
  enum { C = 3, n = 21 };
  const RdLeNetShape shape = {1, 14, 12, 4, 5};
  RdClassifierNet    net;
  RdClassifierHyper  hyper = {.lr = 0.1, .momentum = 0.9, .l2 = 0, .batch = 10, .noise = {RD_NOISE_NONE, 0}};
  RdStream           probe;
  double             inputs[n * 168], features[n * 16];
  PetscInt           labels[n];
  LocalPass          pass;

  PetscFunctionBeginUser;
  MakeImages(C, n, 168, 1.0, 4, inputs, labels);
  PetscCall(CreateLeNet(shape, 12, 16, C, 10, 6, &net));
  for (PetscInt i = 0; i < 16; i++) net.b2[i] = 0.2; /* most features active */
  RdStreamInit(&probe, 1, 0, RD_PURPOSE_PROBE);
  RdClassifierProbe(&net, &hyper, inputs, n, &probe, features);
  double   err = 0;
  PetscInt correct = 0;
  double   ce = 0;
  for (PetscInt e = 0; e < n; e++) {
    ce += LocalForward(&net, inputs + e * 168, labels[e], &pass) / n;
    PetscInt best = 0;
    for (PetscInt c = 1; c < C; c++)
      if (pass.logits[c] > pass.logits[best]) best = c;
    correct += best == labels[e];
    for (PetscInt o = 0; o < 16; o++) err = fmax(err, fabs(features[e * 16 + o] - pass.features[o]));
  }
  RD_CHECK(err < 1e-12, "probe features = the written-out forward pass (max diff %.3g)", err);
  double       loss;
  const double acc = RdClassifierNetAccuracy(&net, &hyper, inputs, labels, n, &probe, &loss);
  RD_CHECK(acc == (double)correct / n, "accuracy %g = the written-out forward pass's %g", acc, (double)correct / n);
  RD_CHECK_CLOSE(loss, ce, 1e-12, "mean cross-entropy");

  /* shared masks within a forward pass of 10: images 0 and 1 are the same */
  memcpy(inputs + 168, inputs, 168 * sizeof(double));
  memcpy(inputs + 10 * 168, inputs, 168 * sizeof(double));
  hyper.noise       = (RdNoise){RD_NOISE_WEIGHT_DROPOUT, 0.5};
  hyper.weight_mask = RD_WEIGHT_MASK_PER_BATCH;
  RdClassifierProbe(&net, &hyper, inputs, n, &probe, features);
  RD_CHECK(memcmp(features, features + 16, 16 * sizeof(double)) == 0, "per_batch: one mask for the examples of a forward pass");
  RD_CHECK(MaxAbsDiff(features, features + 10 * 16, 16) > 1e-6, "per_batch: a fresh mask for the next forward pass");
  hyper.weight_mask = RD_WEIGHT_MASK_PER_EXAMPLE;
  RdClassifierProbe(&net, &hyper, inputs, n, &probe, features);
  RD_CHECK(MaxAbsDiff(features, features + 16, 16) > 1e-6, "per_example: a fresh mask for every example");
  PetscCall(RdClassifierNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An easy image task is learnt (held-out accuracy > 0.95), and a huge learning rate diverges at
 * the same step in the fast kernel and the reference. */
static PetscErrorCode TestLearnsAndDiverges(void)
{
  enum { C = 4, n = 200, dim = 16 * 16 };
  const RdLeNetShape shape = RdLeNetShapeDefault(1, 16, 16);
  RdClassifierHyper  hyper = {.lr = 0.01, .momentum = 0.9, .l2 = 1e-3, .batch = 32, .noise = {RD_NOISE_NODE_DROPOUT, 0.2}};
  RdClassifierNet    net, ref;
  RdStream           sampling, noise, eval, s2, n2;
  double            *train, *test;
  PetscInt           train_labels[n], test_labels[n];

  PetscFunctionBeginUser;
  PetscInt labels[2 * n];
  PetscCall(PetscMalloc1(2 * n * dim, &train));
  MakeImages(C, 2 * n, dim, 1.0, 21, train, labels); /* the first n train, the other n are held out */
  test = train + n * dim;
  for (PetscInt e = 0; e < n; e++) {
    train_labels[e] = labels[e];
    test_labels[e]  = labels[n + e];
  }
  PetscCall(CreateLeNet(shape, 32, 16, C, 32, 3, &net));
  RdStreamInit(&sampling, 1, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  RdStreamInit(&eval, 1, 0, RD_PURPOSE_EVALUATION);
  double       loss_before, loss_after;
  const double acc_before = RdClassifierNetAccuracy(&net, &hyper, test, test_labels, n, &eval, &loss_before);
  const PetscInt done = RdClassifierTrain(&net, &hyper, train, train_labels, n, NULL, NULL, NULL, 150, &sampling, &noise);
  const double acc_after = RdClassifierNetAccuracy(&net, &hyper, test, test_labels, n, &eval, &loss_after);
  RD_CHECK(done == 150 && acc_after > 0.95 && loss_after < 0.5 * loss_before, "lenet learns: accuracy %.3f -> %.3f, loss %.3g -> %.3g", acc_before, acc_after, loss_before, loss_after);
  PetscCall(RdClassifierNetDestroy(&net));

  hyper.lr    = 1e6;
  hyper.batch = 4;
  PetscCall(CreateLeNet(shape, 32, 16, C, 32, 3, &net));
  PetscCall(CreateLeNet(shape, 32, 16, C, 32, 3, &ref));
  RdStreamInit(&sampling, 2, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 2, 0, RD_PURPOSE_TRAIN_NOISE);
  s2 = sampling;
  n2 = noise;
  const PetscInt fast = RdClassifierTrain(&net, &hyper, train, train_labels, n, NULL, NULL, NULL, 50, &sampling, &noise);
  const PetscInt slow = RdClassifierTrainReference(&ref, &hyper, train, train_labels, n, NULL, NULL, NULL, 50, &s2, &n2);
  RD_CHECK(fast < 50 && fast == slow, "lr 1e6 diverges after %d steps (reference %d)", (int)fast, (int)slow);
  PetscCall(RdClassifierNetDestroy(&net));
  PetscCall(RdClassifierNetDestroy(&ref));
  PetscCall(PetscFree(train));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestCreateInit());
  PetscCall(TestGradient(RD_NOISE_NONE, 0.0, RD_WEIGHT_MASK_PER_EXAMPLE));
  PetscCall(TestGradient(RD_NOISE_NODE_DROPOUT, 0.3, RD_WEIGHT_MASK_PER_EXAMPLE));
  PetscCall(TestGradient(RD_NOISE_WEIGHT_DROPOUT, 0.3, RD_WEIGHT_MASK_PER_EXAMPLE));
  PetscCall(TestGradient(RD_NOISE_WEIGHT_DROPOUT, 0.3, RD_WEIGHT_MASK_PER_BATCH));
  PetscCall(TestGradient(RD_NOISE_ADDITIVE, 0.2, RD_WEIGHT_MASK_PER_EXAMPLE));
  PetscCall(TestGradient(RD_NOISE_MULTIPLICATIVE, 0.5, RD_WEIGHT_MASK_PER_EXAMPLE));
  const KernelCase cases[] = {
    {RD_NOISE_NONE, 0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 8, PETSC_FALSE},
    {RD_NOISE_NONE, 0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 13, PETSC_TRUE},
    {RD_NOISE_NODE_DROPOUT, 0.5, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 5, PETSC_FALSE},
    {RD_NOISE_WEIGHT_DROPOUT, 0.6, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 7, PETSC_FALSE},
    {RD_NOISE_WEIGHT_DROPOUT, 0.6, RD_WEIGHT_MASK_PER_BATCH, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 16, PETSC_TRUE},
    {RD_NOISE_ADDITIVE, 0.1, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 9, PETSC_FALSE},
    {RD_NOISE_MULTIPLICATIVE, 1.0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 3, PETSC_FALSE},
    {RD_NOISE_GRADIENT, 3.0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 8, PETSC_FALSE},
    {RD_NOISE_GRADIENT, 3.0, RD_WEIGHT_MASK_PER_EXAMPLE, RD_GRADIENT_NOISE_WEIGHTS, 12, PETSC_FALSE},
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) PetscCall(TestFastMatchesReference(cases[c]));
  PetscCall(TestLevelZeroAndISAs());
  PetscCall(TestProbeAndAccuracy());
  PetscCall(TestLearnsAndDiverges());
  int code = RdTestSummary("test_lenet");
  PetscCall(SlepcFinalize());
  return code;
}
