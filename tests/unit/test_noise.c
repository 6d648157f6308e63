/* Feature-layer noise: option checks and names, the documented draw order of every primitive, and
 * the statistics of each noise type (>= 1e5 draws, fixed seeds, tolerances of 5 standard errors)
 * both on the primitives and through the classifier (probe, one training step). */
#include <repdrift/models/classifier.h>
#include "testing.h"
#include <string.h>

/* Running mean and variance of a sample. */
typedef struct {
  double   sum, sum_sq;
  PetscInt count;
} Moments;

static void MomentsAdd(Moments *m, double v)
{
  m->sum += v;
  m->sum_sq += v * v;
  m->count++;
}
static double MomentsMean(const Moments *m) { return m->sum / m->count; }
static double MomentsVariance(const Moments *m)
{
  const double mean = MomentsMean(m);
  return (m->sum_sq - m->count * mean * mean) / (m->count - 1);
}
/* mean within 5 standard errors of `mean` (SE from the sample variance) */
#define CHECK_MEAN(m, expected, what) \
  do { \
    const double se_ = sqrt(MomentsVariance(&(m)) / (m).count); \
    RD_CHECK(fabs(MomentsMean(&(m)) - (expected)) <= 5 * se_, "%s: mean %.6g vs %.6g (5 SE = %.3g, %d draws)", what, MomentsMean(&(m)), (double)(expected), 5 * se_, (int)(m).count); \
  } while (0)
/* variance of normal draws within 5 SE = 5 sigma^2 sqrt(2/(N-1)) of sigma^2 */
#define CHECK_NORMAL_VARIANCE(m, sigma2, what) \
  do { \
    const double se_ = (sigma2) * sqrt(2.0 / ((m).count - 1)); \
    RD_CHECK(fabs(MomentsVariance(&(m)) - (sigma2)) <= 5 * se_, "%s: variance %.6g vs %.6g (5 SE = %.3g)", what, MomentsVariance(&(m)), (double)(sigma2), 5 * se_); \
  } while (0)
/* fraction of Bernoulli(p) successes within 5 SE of p */
#define CHECK_FRACTION(hits, n, p, what) \
  do { \
    const double f_ = (double)(hits) / (double)(n), se_ = sqrt((p) * (1 - (p)) / (double)(n)); \
    RD_CHECK(fabs(f_ - (p)) <= 5 * se_, "%s: fraction %.6g vs %.6g (5 SE = %.3g, %d draws)", what, f_, (double)(p), 5 * se_, (int)(n)); \
  } while (0)

/* ------------------------------------------------------------------------------------------ */

static PetscErrorCode ExpectRejected(RdNoiseType type, double level, const char *what)
{
  const RdNoise  noise = {type, level};
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdNoiseCheck(&noise, "-my_noise_level");
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(ierr == PETSC_ERR_ARG_OUTOFRANGE, "%s rejected (code %d)", what, (int)ierr);
  if (ierr) {
    const char *generic;
    char       *specific = NULL;
    PetscCall(PetscErrorMessage(ierr, &generic, &specific));
    RD_CHECK(specific && strstr(specific, "-my_noise_level") && strstr(specific, rd_noise_type_names[type]), "%s: message names the option and the type (\"%s\")", what, specific ? specific : "");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestCheckAndNames(void)
{
  const RdNoise good[] = {
    {RD_NOISE_NONE, 0.0}, {RD_NOISE_NONE, NAN}, {RD_NOISE_NODE_DROPOUT, 0.0}, {RD_NOISE_NODE_DROPOUT, 0.999}, {RD_NOISE_WEIGHT_DROPOUT, 0.5}, {RD_NOISE_ADDITIVE, 0.0}, {RD_NOISE_MULTIPLICATIVE, 3.0}, {RD_NOISE_GRADIENT, 1e-3},
  };
  RdNoiseType type;

  PetscFunctionBeginUser;
  for (size_t t = 0; t < sizeof(good) / sizeof(good[0]); t++) {
    PetscErrorCode ierr;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = RdNoiseCheck(&good[t], "-noise_level");
    PetscCall(PetscPopErrorHandler());
    RD_CHECK(ierr == 0, "%s %g accepted", rd_noise_type_names[good[t].type], good[t].level);
  }
  PetscCall(ExpectRejected(RD_NOISE_NODE_DROPOUT, 1.0, "node_dropout p = 1"));
  PetscCall(ExpectRejected(RD_NOISE_WEIGHT_DROPOUT, 1.0, "weight_dropout p = 1"));
  PetscCall(ExpectRejected(RD_NOISE_NODE_DROPOUT, -0.1, "node_dropout p < 0"));
  PetscCall(ExpectRejected(RD_NOISE_WEIGHT_DROPOUT, NAN, "weight_dropout p NaN"));
  PetscCall(ExpectRejected(RD_NOISE_ADDITIVE, -1.0, "additive s < 0"));
  PetscCall(ExpectRejected(RD_NOISE_MULTIPLICATIVE, NAN, "multiplicative s NaN"));
  PetscCall(ExpectRejected(RD_NOISE_GRADIENT, INFINITY, "gradient s infinite"));
  PetscCall(ExpectRejected(RD_NOISE_GRADIENT, -1e-9, "gradient s < 0"));

  for (int t = 0; t < RD_NUM_NOISE_TYPES; t++) {
    PetscCall(RdNoiseTypeFromName(rd_noise_type_names[t], "-noise_type", &type));
    RD_CHECK(type == (RdNoiseType)t, "name %s round-trips", rd_noise_type_names[t]);
  }
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscErrorCode ierr = RdNoiseTypeFromName("dropout", "-noise_type", &type);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "unknown name rejected");
  for (int k = 0; k < RD_NUM_WEIGHT_MASK_SCOPES; k++) {
    RdWeightMaskScope scope;
    PetscCall(RdWeightMaskScopeFromName(rd_weight_mask_scope_names[k], "-weight_dropout_mask", &scope));
    RD_CHECK(scope == (RdWeightMaskScope)k, "name %s round-trips", rd_weight_mask_scope_names[k]);
  }
  for (int k = 0; k < RD_NUM_GRADIENT_NOISE_TARGETS; k++) {
    RdGradientNoiseTarget target;
    PetscCall(RdGradientNoiseTargetFromName(rd_gradient_noise_target_names[k], "-gradient_noise_on", &target));
    RD_CHECK(target == (RdGradientNoiseTarget)k, "name %s round-trips", rd_gradient_noise_target_names[k]);
  }
  RD_CHECK(!strcmp(rd_weight_mask_scope_names[RD_WEIGHT_MASK_PER_EXAMPLE], "per_example") && !strcmp(rd_weight_mask_scope_names[RD_WEIGHT_MASK_PER_BATCH], "per_batch") && !strcmp(rd_gradient_noise_target_names[RD_GRADIENT_NOISE_WEIGHTS], "weights") && !strcmp(rd_gradient_noise_target_names[RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS], "weights_and_bias"), "option values per_example, per_batch, weights, weights_and_bias");
  {
    RdWeightMaskScope     scope;
    RdGradientNoiseTarget target;
    char                 *specific = NULL;
    const char           *generic;
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    PetscErrorCode e1 = RdWeightMaskScopeFromName("per_step", "-weight_dropout_mask", &scope);
    PetscErrorCode e2 = RdGradientNoiseTargetFromName("bias", "-gradient_noise_on", &target);
    PetscCall(PetscPopErrorHandler());
    PetscCall(PetscErrorMessage(e2, &generic, &specific));
    RD_CHECK(e1 == PETSC_ERR_USER_INPUT && e2 == PETSC_ERR_USER_INPUT && specific && strstr(specific, "-gradient_noise_on") && strstr(specific, "weights_and_bias"), "unknown detail names rejected, naming the option and the choices");
  }
  RD_CHECK(RdNoiseGradientCount(RD_GRADIENT_NOISE_WEIGHTS, 12, 3) == 12 && RdNoiseGradientCount(RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS, 12, 3) == 15, "gradient-noise counts: weights 12, weights and bias 15");
  RD_CHECK(RdNoiseInForwardPass(RD_NOISE_NODE_DROPOUT) && RdNoiseInForwardPass(RD_NOISE_WEIGHT_DROPOUT) && RdNoiseInForwardPass(RD_NOISE_ADDITIVE) && RdNoiseInForwardPass(RD_NOISE_MULTIPLICATIVE) && !RdNoiseInForwardPass(RD_NOISE_NONE) && !RdNoiseInForwardPass(RD_NOISE_GRADIENT), "forward-pass types");
  RD_CHECK(RdNoiseDropThreshold(0.0) == 0 && RdNoiseDropThreshold(0.5) == 2147483648u && RdNoiseDropThreshold(0.25) == 1073741824u && RdNoiseDropThreshold(1.0 - 1e-12) == UINT32_MAX, "drop thresholds round(p 2^32)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The weight-mask rule of noise.h, written out: bytes of successive words, most significant first,
 * a word drawn only when its bytes are needed; the top byte decides unless it ties with the
 * threshold's, then the full 32-bit number made of it and the next three bytes is compared. */
static void ReplayWeightMask(double p, size_t count, RdStream *stream, double *mask)
{
  const uint32_t threshold = RdNoiseDropThreshold(p);
  unsigned char  bytes[4];
  int            next = 4; /* bytes[next..3] unread */
  for (size_t k = 0; k < count; k++) {
    uint32_t u[4];
    int      drop;
    for (int b = 0; b < 4; b++) {
      if (b > 0 && u[0] != threshold >> 24) break; /* decided by the top byte */
      if (next == 4) {
        const uint32_t word = RdStreamUInt32(stream);
        for (int q = 0; q < 4; q++) bytes[q] = (unsigned char)(word >> (24 - 8 * q));
        next = 0;
      }
      u[b] = bytes[next++];
    }
    if (u[0] != threshold >> 24) drop = u[0] < threshold >> 24;
    else drop = ((u[0] << 24) | (u[1] << 16) | (u[2] << 8) | u[3]) < threshold;
    mask[k] = drop ? 0.0 : 1.0 / (1.0 - p);
  }
}

/* Every primitive draws exactly what its header says, in that order. */
static PetscErrorCode TestDrawOrder(void)
{
  enum { n = 37 };
  double   factor[n], offset[n], z[n], z0[n], grad[n];
  RdStream stream, replay;
  int      ok;

  PetscFunctionBeginUser;
  RdTestSeed(3);
  for (PetscInt j = 0; j < n; j++) z0[j] = RdTestNormal();
  RdStreamInit(&stream, 5, 1, RD_PURPOSE_TRAIN_NOISE);

  const RdNoise dropout = {RD_NOISE_NODE_DROPOUT, 0.3};
  replay                = stream;
  RdNoiseDrawNode(&dropout, n, &stream, factor, offset);
  ok = 1;
  for (PetscInt j = 0; j < n; j++) ok &= factor[j] == (RdStreamUInt32(&replay) >= RdNoiseDropThreshold(0.3) ? 1.0 / 0.7 : 0.0) && offset[j] == 0.0;
  RD_CHECK(ok && memcmp(&stream, &replay, sizeof(stream)) == 0, "node_dropout: one word per unit, keep iff word >= threshold");

  const RdNoise additive = {RD_NOISE_ADDITIVE, 0.7};
  replay                 = stream;
  memcpy(z, z0, sizeof(z));
  RdNoiseApplyNode(&additive, n, &stream, z, factor);
  ok = 1;
  for (PetscInt j = 0; j < n; j++) ok &= z[j] == z0[j] + 0.7 * RdStreamNormal(&replay) && factor[j] == 1.0;
  RD_CHECK(ok && memcmp(&stream, &replay, sizeof(stream)) == 0, "additive: one normal per unit, z += s e");

  const RdNoise multiplicative = {RD_NOISE_MULTIPLICATIVE, 0.4};
  replay                       = stream;
  memcpy(z, z0, sizeof(z));
  RdNoiseApplyNode(&multiplicative, n, &stream, z, factor);
  ok = 1;
  for (PetscInt j = 0; j < n; j++) {
    const double f = 1.0 + 0.4 * RdStreamNormal(&replay);
    ok &= factor[j] == f && z[j] == f * z0[j];
  }
  RD_CHECK(ok && memcmp(&stream, &replay, sizeof(stream)) == 0, "multiplicative: one normal per unit, z *= 1 + s e");

  /* DrawNode + affine map = ApplyNode, same draws */
  RdStream a = stream, b = stream;
  memcpy(z, z0, sizeof(z));
  RdNoiseApplyNode(&multiplicative, n, &a, z, factor);
  RdNoiseDrawNode(&multiplicative, n, &b, factor, offset);
  ok = 1;
  for (PetscInt j = 0; j < n; j++) ok &= z[j] == factor[j] * z0[j] + offset[j];
  RD_CHECK(ok && memcmp(&a, &b, sizeof(a)) == 0, "DrawNode then factor z + offset equals ApplyNode");

  const RdNoise none = {RD_NOISE_NONE, 0.0}, gradient = {RD_NOISE_GRADIENT, 0.5}, weight = {RD_NOISE_WEIGHT_DROPOUT, 0.5};
  replay             = stream;
  memcpy(z, z0, sizeof(z));
  RdNoiseApplyNode(&none, n, &stream, z, factor);
  RdNoiseApplyNode(&gradient, n, &stream, z, factor);
  RdNoiseDrawNode(&weight, n, &stream, factor, offset);
  ok = memcmp(z, z0, sizeof(z)) == 0;
  for (PetscInt j = 0; j < n; j++) ok &= factor[j] == 1.0 && offset[j] == 0.0;
  RD_CHECK(ok && memcmp(&stream, &replay, sizeof(stream)) == 0, "none, gradient, weight_dropout: node noise draws nothing and is the identity");

  {
    /* 4099 weights: about 16 ties of the top byte per call, and a tail of 3 */
    const double levels[4] = {0.3, 0.5, 0.0, 0.97};
    const size_t count     = 4099;
    double      *drawn, *expected;
    PetscCall(PetscMalloc2(count, &drawn, count, &expected));
    for (int l = 0; l < 4; l++) {
      const RdNoise weight_p = {RD_NOISE_WEIGHT_DROPOUT, levels[l]};
      RdNoiseDrawWeightMask(&weight_p, count, &stream, drawn);
      ReplayWeightMask(levels[l], count, &replay, expected);
      RD_CHECK(memcmp(drawn, expected, count * sizeof(double)) == 0 && memcmp(&stream, &replay, sizeof(stream)) == 0, "weight mask p = %g: the documented byte-wise comparison, same words consumed", levels[l]);
      for (size_t c = 1; c < 7; c++) { /* short calls: the sequential path alone */
        RdNoiseDrawWeightMask(&weight_p, c, &stream, drawn);
        ReplayWeightMask(levels[l], c, &replay, expected);
        RD_CHECK(memcmp(drawn, expected, c * sizeof(double)) == 0 && memcmp(&stream, &replay, sizeof(stream)) == 0, "weight mask p = %g, %d weights: byte-wise rule", levels[l], (int)c);
      }
    }
    PetscCall(PetscFree2(drawn, expected));
  }

  for (PetscInt j = 0; j < n; j++) grad[j] = z0[j];
  RdNoiseAddGradient(&gradient, n, &stream, grad);
  ok = 1;
  for (PetscInt j = 0; j < n; j++) ok &= grad[j] == z0[j] + 0.5 * RdStreamNormal(&replay);
  RD_CHECK(ok && memcmp(&stream, &replay, sizeof(stream)) == 0, "gradient noise: one normal per entry");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Primitive statistics: dropout keeps the expectation and drops a fraction p; additive noise has
 * mean 0 and variance s^2; multiplicative noise scales the pre-activation (negative ones too) by a
 * factor of mean 1 and variance s^2. */
static PetscErrorCode TestPrimitiveStatistics(void)
{
  enum { n = 250, examples = 800 }; /* 2e5 draws */
  const double p = 0.3, s_add = 0.7, s_mul = 0.5;
  double       z[n], z0[n], factor[n], *mask;
  Moments      ratio = {0}, diff = {0}, scale = {0}, weight_ratio = {0};
  PetscInt     zeros = 0, weight_zeros = 0;
  int          scaled_exactly = 1, negative_seen = 0;
  RdStream     stream;
  const RdNoise dropout = {RD_NOISE_NODE_DROPOUT, p}, additive = {RD_NOISE_ADDITIVE, s_add}, multiplicative = {RD_NOISE_MULTIPLICATIVE, s_mul}, weight = {RD_NOISE_WEIGHT_DROPOUT, p};

  PetscFunctionBeginUser;
  RdTestSeed(11);
  for (PetscInt j = 0; j < n; j++) z0[j] = 2.0 * RdTestNormal();
  RdStreamInit(&stream, 17, 0, RD_PURPOSE_TRAIN_NOISE);
  for (PetscInt e = 0; e < examples; e++) {
    memcpy(z, z0, sizeof(z));
    RdNoiseApplyNode(&dropout, n, &stream, z, factor);
    for (PetscInt j = 0; j < n; j++) {
      MomentsAdd(&ratio, z[j] / z0[j]);
      zeros += z[j] == 0.0;
    }
    memcpy(z, z0, sizeof(z));
    RdNoiseApplyNode(&additive, n, &stream, z, factor);
    for (PetscInt j = 0; j < n; j++) MomentsAdd(&diff, z[j] - z0[j]);
    memcpy(z, z0, sizeof(z));
    RdNoiseApplyNode(&multiplicative, n, &stream, z, factor);
    for (PetscInt j = 0; j < n; j++) {
      MomentsAdd(&scale, z[j] / z0[j]);
      scaled_exactly &= z[j] == factor[j] * z0[j];
      negative_seen |= z0[j] < 0 && z[j] < 0;
    }
  }
  CHECK_MEAN(ratio, 1.0, "node dropout: masked / clean");
  RD_CHECK(fabs(MomentsVariance(&ratio) - p / (1 - p)) < 0.05 * p / (1 - p), "node dropout: variance of masked / clean %.4g vs p/(1-p) = %.4g", MomentsVariance(&ratio), p / (1 - p));
  CHECK_FRACTION(zeros, n * examples, p, "node dropout: fraction zeroed");
  CHECK_MEAN(diff, 0.0, "additive: noisy - clean");
  CHECK_NORMAL_VARIANCE(diff, s_add * s_add, "additive: noisy - clean");
  CHECK_MEAN(scale, 1.0, "multiplicative: noisy / clean pre-activation");
  CHECK_NORMAL_VARIANCE(scale, s_mul * s_mul, "multiplicative: noisy / clean pre-activation");
  RD_CHECK(scaled_exactly && negative_seen, "multiplicative noise scales the pre-activation, negative ones included");

  PetscCall(PetscMalloc1(n * 40, &mask));
  for (PetscInt e = 0; e < 20; e++) { /* 2e5 weights */
    RdNoiseDrawWeightMask(&weight, n * 40, &stream, mask);
    for (PetscInt k = 0; k < n * 40; k++) {
      MomentsAdd(&weight_ratio, mask[k]);
      weight_zeros += mask[k] == 0.0;
    }
  }
  CHECK_MEAN(weight_ratio, 1.0, "weight dropout mask: effective / clean weight");
  CHECK_FRACTION(weight_zeros, 20 * n * 40, p, "weight dropout mask: fraction zeroed");
  /* the lazy comparison at other levels, and independence of neighbouring weights (the bits one
   * decision leaves unread start the next): P(both of a pair dropped) = p^2 */
  {
    const double levels[4] = {0.01, 0.1, 0.6, 0.9};
    for (int l = 0; l < 4; l++) {
      const RdNoise weight_p = {RD_NOISE_WEIGHT_DROPOUT, levels[l]};
      PetscInt      zeros_p = 0, pairs = 0;
      char          what[96];
      for (PetscInt e = 0; e < 20; e++) {
        RdNoiseDrawWeightMask(&weight_p, n * 40, &stream, mask);
        for (PetscInt k = 0; k < n * 40; k++) zeros_p += mask[k] == 0.0;
        for (PetscInt k = 0; k + 1 < n * 40; k += 2) pairs += mask[k] == 0.0 && mask[k + 1] == 0.0;
      }
      PetscCall(PetscSNPrintf(what, sizeof(what), "weight dropout mask p = %g: fraction zeroed", levels[l]));
      CHECK_FRACTION(zeros_p, 20 * n * 40, levels[l], what);
      PetscCall(PetscSNPrintf(what, sizeof(what), "weight dropout mask p = %g: pairs both zeroed", levels[l]));
      CHECK_FRACTION(pairs, 20 * n * 20, levels[l] * levels[l], what);
    }
  }
  PetscCall(PetscFree(mask));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Classifier with hidden activity forced positive (W1 = 0, b1 = 1, so h1 = 1) and positive W2,
 * b2 = offset: every feature pre-activation is positive and the ReLU is the identity, so the probe
 * shows the noise itself. */
static PetscErrorCode CreatePositiveNet(PetscInt n1, PetscInt n2, double b2, RdClassifierNet *net)
{
  RdStream init;

  PetscFunctionBeginUser;
  PetscCall(RdClassifierNetCreate(4, n1, n2, 3, 1, net));
  RdStreamInit(&init, 99, 0, RD_PURPOSE_INIT);
  RdClassifierNetInit(net, &init);
  for (PetscInt i = 0; i < n1 * 4; i++) net->W1[i] = 0.0;
  for (PetscInt i = 0; i < n1; i++) net->b1[i] = 1.0;
  for (PetscInt i = 0; i < n2 * n1; i++) net->W2[i] = 0.1 + fabs(net->W2[i]);
  for (PetscInt i = 0; i < n2; i++) net->b2[i] = b2;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The same statistics through the network's probe. */
static PetscErrorCode TestProbeStatistics(void)
{
  enum { n_inputs = 400 };
  double            inputs[n_inputs * 4];
  double           *clean, *noisy;
  RdClassifierNet   net;
  RdClassifierHyper hyper = {.lr = 0.1, .momentum = 0.0, .l2 = 0.0, .batch = 1, .noise = {RD_NOISE_NONE, 0.0}};
  RdStream          probe;

  PetscFunctionBeginUser;
  RdTestSeed(5);
  for (PetscInt i = 0; i < n_inputs * 4; i++) inputs[i] = RdTestNormal();
  PetscCall(PetscMalloc2(n_inputs * 500, &clean, n_inputs * 500, &noisy));
  RdStreamInit(&probe, 23, 0, RD_PURPOSE_PROBE);

  /* weight dropout with one hidden unit: feature o = W2[o][0] m_o0, so each feature shows one
   * effective weight; 500 features x 400 inputs = 2e5 weights */
  {
    const double p = 0.4;
    Moments      ratio = {0};
    PetscInt     zeros = 0;
    PetscCall(CreatePositiveNet(1, 500, 0.0, &net));
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, clean);
    hyper.noise = (RdNoise){RD_NOISE_WEIGHT_DROPOUT, p};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, noisy);
    for (PetscInt i = 0; i < n_inputs * 500; i++) {
      MomentsAdd(&ratio, noisy[i] / clean[i]);
      zeros += noisy[i] == 0.0;
    }
    CHECK_MEAN(ratio, 1.0, "probe, weight dropout: effective / clean weight");
    CHECK_FRACTION(zeros, n_inputs * 500, p, "probe, weight dropout: fraction of weights zeroed");
    PetscCall(RdClassifierNetDestroy(&net));
  }
  /* weight dropout with 20 hidden units: the feature keeps its expectation */
  {
    Moments ratio = {0};
    PetscCall(CreatePositiveNet(20, 250, 0.0, &net));
    hyper.noise = (RdNoise){RD_NOISE_NONE, 0.0};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, clean);
    hyper.noise = (RdNoise){RD_NOISE_WEIGHT_DROPOUT, 0.4};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, noisy);
    for (PetscInt i = 0; i < n_inputs * 250; i++) MomentsAdd(&ratio, noisy[i] / clean[i]);
    CHECK_MEAN(ratio, 1.0, "probe, weight dropout over 20 hidden units: noisy / clean feature");
    PetscCall(RdClassifierNetDestroy(&net));
  }
  /* node dropout, additive (b2 = 50 keeps z + s e > 0) and multiplicative (s = 0.2: 1 + s e < 0
   * has probability 3e-7) on 500 features x 400 inputs */
  {
    const double p = 0.2, s_add = 0.8, s_mul = 0.2;
    Moments      ratio = {0}, diff = {0}, scale = {0};
    PetscInt     zeros = 0;
    PetscCall(CreatePositiveNet(8, 500, 50.0, &net));
    hyper.noise = (RdNoise){RD_NOISE_NONE, 0.0};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, clean);
    hyper.noise = (RdNoise){RD_NOISE_NODE_DROPOUT, p};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, noisy);
    for (PetscInt i = 0; i < n_inputs * 500; i++) {
      MomentsAdd(&ratio, noisy[i] / clean[i]);
      zeros += noisy[i] == 0.0;
    }
    CHECK_MEAN(ratio, 1.0, "probe, node dropout: masked / clean feature");
    CHECK_FRACTION(zeros, n_inputs * 500, p, "probe, node dropout: fraction of features zeroed");
    hyper.noise = (RdNoise){RD_NOISE_ADDITIVE, s_add};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, noisy);
    for (PetscInt i = 0; i < n_inputs * 500; i++) MomentsAdd(&diff, noisy[i] - clean[i]);
    CHECK_MEAN(diff, 0.0, "probe, additive: noisy - clean feature");
    CHECK_NORMAL_VARIANCE(diff, s_add * s_add, "probe, additive: noisy - clean feature");
    hyper.noise = (RdNoise){RD_NOISE_MULTIPLICATIVE, s_mul};
    RdClassifierProbe(&net, &hyper, inputs, n_inputs, &probe, noisy);
    for (PetscInt i = 0; i < n_inputs * 500; i++) MomentsAdd(&scale, noisy[i] / clean[i]);
    CHECK_MEAN(scale, 1.0, "probe, multiplicative: noisy / clean feature");
    CHECK_NORMAL_VARIANCE(scale, s_mul * s_mul, "probe, multiplicative: noisy / clean feature");
    PetscCall(RdClassifierNetDestroy(&net));
  }
  PetscCall(PetscFree2(clean, noisy));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Gradient noise through one training step (momentum 0, l2 0, the same batch): the noisy step minus
 * the clean step is -lr s e on W2 and b2 (W2 only for target weights), and exactly 0 on every other
 * parameter. */
static PetscErrorCode TestGradientNoiseStep(RdGradientNoiseTarget target)
{
  enum { n0 = 6, n1 = 64, n2 = 48, C = 3, N = 30, repeats = 40 };
  const double      lr = 0.1, s = 0.5;
  RdClassifierHyper hyper = {.lr = lr, .momentum = 0.0, .l2 = 0.0, .batch = 8, .noise = {RD_NOISE_NONE, 0.0}, .gradient_on = target};
  const char       *on    = rd_gradient_noise_target_names[target];
  RdClassifierNet   clean, noisy;
  RdStream          init, sampling, sampling_copy, noise;
  double            inputs[N * n0];
  PetscInt          labels[N];
  Moments           diff = {0};
  int               others_equal = 1;

  PetscFunctionBeginUser;
  RdTestSeed(8);
  for (PetscInt i = 0; i < N * n0; i++) inputs[i] = RdTestNormal();
  for (PetscInt e = 0; e < N; e++) labels[e] = e % C;
  PetscCall(RdClassifierNetCreate(n0, n1, n2, C, 8, &clean));
  PetscCall(RdClassifierNetCreate(n0, n1, n2, C, 8, &noisy));
  const PetscInt P = RdClassifierNumParameters(&clean), begin = RdClassifierFeatureLayerOffset(&clean), end = begin + n2 * n1 + (target == RD_GRADIENT_NOISE_WEIGHTS ? 0 : n2);
  for (PetscInt r = 0; r < repeats; r++) {
    RdStreamInit(&init, 4, 0, RD_PURPOSE_INIT);
    RdClassifierNetInit(&clean, &init);
    RdStreamInit(&init, 4, 0, RD_PURPOSE_INIT);
    RdClassifierNetInit(&noisy, &init);
    RdStreamInit(&sampling, 6, (uint32_t)r, RD_PURPOSE_SGD_SAMPLING);
    sampling_copy = sampling;
    RdStreamInit(&noise, 6, (uint32_t)r, RD_PURPOSE_TRAIN_NOISE);
    hyper.noise = (RdNoise){RD_NOISE_NONE, 0.0};
    (void)RdClassifierTrain(&clean, &hyper, inputs, labels, N, NULL, NULL, NULL, 1, &sampling, &noise);
    hyper.noise = (RdNoise){RD_NOISE_GRADIENT, s};
    (void)RdClassifierTrain(&noisy, &hyper, inputs, labels, N, NULL, NULL, NULL, 1, &sampling_copy, &noise);
    for (PetscInt i = 0; i < P; i++) {
      if (i >= begin && i < end) MomentsAdd(&diff, noisy.W1[i] - clean.W1[i]);
      else others_equal &= noisy.W1[i] == clean.W1[i];
    }
  }
  RD_CHECK(diff.count >= 100000, "gradient noise on %s: %d draws", on, (int)diff.count);
  CHECK_MEAN(diff, 0.0, on);
  CHECK_NORMAL_VARIANCE(diff, (lr * s) * (lr * s), on);
  RD_CHECK(others_equal, "gradient noise on %s: every other parameter's step identical to the clean step", on);
  PetscCall(RdClassifierNetDestroy(&clean));
  PetscCall(RdClassifierNetDestroy(&noisy));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestCheckAndNames());
  PetscCall(TestDrawOrder());
  PetscCall(TestPrimitiveStatistics());
  PetscCall(TestProbeStatistics());
  PetscCall(TestGradientNoiseStep(RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS));
  PetscCall(TestGradientNoiseStep(RD_GRADIENT_NOISE_WEIGHTS));
  int code = RdTestSummary("test_noise");
  PetscCall(SlepcFinalize());
  return code;
}
