/* Linear network: analytic gradient vs finite differences, fast kernel vs reference, the fast
 * kernel vs plain loops in its documented summation order (bit for bit) on every instruction-set
 * path, closed-form population loss vs a hand value and vs Monte Carlo, pure weight-decay
 * dynamics, divergence detection, and the probe's expectation and draw order. */
#include <repdrift/models/linear.h>
#include <repdrift/kernel_isa.h>
#include <repdrift/dense.h>
#include "testing.h"
#include <string.h>

static PetscErrorCode CreateRandomNet(PetscInt n, PetscInt m, PetscInt d, uint64_t seed, RdLinearNet *net)
{
  RdStream init;

  PetscFunctionBeginUser;
  PetscCall(RdLinearNetCreate(n, m, d, net));
  RdStreamInit(&init, seed, 0, RD_PURPOSE_INIT);
  RdLinearNetInit(net, 1.0, &init);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Central differences of the loss returned by RdLinearSampleGradient in every weight. */
static PetscErrorCode TestGradient(const double *keep_scale, const char *what)
{
  const PetscInt n = 5, m = 7, d = 4;
  const double   g = 0.03, step = 1e-5;
  RdLinearNet    net;
  RdStream       s;
  double         x[5], y[4], grad_W1[7 * 5], grad_W2[4 * 7], scratch1[7 * 5], scratch2[4 * 7];
  double         max_error = 0.0;

  PetscFunctionBeginUser;
  PetscCall(CreateRandomNet(n, m, d, 11, &net));
  RdStreamInit(&s, 5, 0, RD_PURPOSE_STIMULI);
  for (PetscInt i = 0; i < n; i++) x[i] = RdStreamNormal(&s);
  for (PetscInt r = 0; r < d; r++) y[r] = RdStreamNormal(&s);
  (void)RdLinearSampleGradient(&net, g, x, y, keep_scale, grad_W1, grad_W2);
  double *weights[2] = {net.W1, net.W2}, *grads[2] = {grad_W1, grad_W2};
  size_t  counts[2]  = {(size_t)m * n, (size_t)d * m};
  for (int layer = 0; layer < 2; layer++)
    for (size_t i = 0; i < counts[layer]; i++) {
      const double saved = weights[layer][i];
      weights[layer][i]  = saved + step;
      const double plus  = RdLinearSampleGradient(&net, g, x, y, keep_scale, scratch1, scratch2);
      weights[layer][i]  = saved - step;
      const double minus = RdLinearSampleGradient(&net, g, x, y, keep_scale, scratch1, scratch2);
      weights[layer][i]  = saved;
      max_error          = fmax(max_error, fabs((plus - minus) / (2 * step) - grads[layer][i]));
    }
  const double scale = fmax(MaxAbs(grad_W1, counts[0]), MaxAbs(grad_W2, counts[1]));
  RD_CHECK(max_error / scale < 1e-7, "%s: gradient vs central differences, relative error %.3g", what, max_error / scale);
  RD_CHECK(scale > 1e-3, "%s: gradient is not trivially small (%g)", what, scale);
  PetscCall(RdLinearNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

typedef struct {
  PetscInt n, m, d, batch;
  double   dropout, input_noise;
} KernelCase;

/* The fast kernel follows the reference's trajectory up to rounding and consumes the streams
 * identically; training in two calls equals training in one. */
static PetscErrorCode TestFastMatchesReference(KernelCase c)
{
  const PetscInt      nsteps = 2000;
  const RdLinearHyper hyper  = {.lr = 0.05, .weight_decay = 0.01, .dropout = c.dropout, .input_noise = c.input_noise, .batch = c.batch};
  RdLinearNet         fast, ref, chunked;
  RdTask              task;
  RdStream            sampling[3], noise[3];
  char                what[128];

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(what, sizeof(what), "n=%d m=%d d=%d q=%g s=%g batch=%d", (int)c.n, (int)c.m, (int)c.d, c.dropout, c.input_noise, (int)c.batch));
  PetscCall(RdTaskCreateRandom(4, c.n, c.d, 0.4, 3, 1, &task));
  PetscCall(CreateRandomNet(c.n, c.m, c.d, 17, &fast));
  PetscCall(CreateRandomNet(c.n, c.m, c.d, 17, &ref));
  PetscCall(CreateRandomNet(c.n, c.m, c.d, 17, &chunked));
  const size_t size1 = (size_t)c.m * c.n, size2 = (size_t)c.d * c.m;
  double      *W1_start, *W2_start;
  PetscCall(PetscMalloc2(size1, &W1_start, size2, &W2_start));
  PetscCall(PetscArraycpy(W1_start, fast.W1, size1));
  PetscCall(PetscArraycpy(W2_start, fast.W2, size2));
  for (int t = 0; t < 3; t++) {
    RdStreamInit(&sampling[t], 23, 5, RD_PURPOSE_SGD_SAMPLING);
    RdStreamInit(&noise[t], 23, 5, RD_PURPOSE_TRAIN_NOISE);
  }
  const PetscInt done_fast = RdLinearTrain(&fast, &hyper, &task, nsteps, &sampling[0], &noise[0]);
  const PetscInt done_ref  = RdLinearTrainReference(&ref, &hyper, &task, nsteps, &sampling[1], &noise[1]);
  const PetscInt done_a    = RdLinearTrain(&chunked, &hyper, &task, 700, &sampling[2], &noise[2]);
  const PetscInt done_b    = RdLinearTrain(&chunked, &hyper, &task, nsteps - 700, &sampling[2], &noise[2]);
  RD_CHECK(done_fast == nsteps && done_ref == nsteps && done_a + done_b == nsteps, "%s: all steps completed (%d, %d, %d)", what, (int)done_fast, (int)done_ref, (int)(done_a + done_b));

  const double diff = fmax(MaxAbsDiff(fast.W1, ref.W1, size1), MaxAbsDiff(fast.W2, ref.W2, size2));
  RD_CHECK(diff < 1e-10, "%s: fast vs reference max |dW| = %.3g", what, diff);
  const double moved = fmax(MaxAbsDiff(fast.W1, W1_start, size1), MaxAbsDiff(fast.W2, W2_start, size2));
  RD_CHECK(moved > 1e-2, "%s: the weights moved (max change %.3g)", what, moved);
  const double chunk_diff = fmax(MaxAbsDiff(fast.W1, chunked.W1, size1), MaxAbsDiff(fast.W2, chunked.W2, size2));
  RD_CHECK(chunk_diff == 0.0, "%s: 700 + 1300 steps bit-identical to 2000 steps (max diff %.3g)", what, chunk_diff);
  int same_streams = 1;
  for (int t = 1; t < 3; t++) {
    RdStream a = sampling[0], b = sampling[t], u = noise[0], v = noise[t];
    same_streams &= RdStreamUInt32(&a) == RdStreamUInt32(&b) && RdStreamUniform(&u) == RdStreamUniform(&v);
    same_streams &= noise[0].has_spare_normal == noise[t].has_spare_normal;
  }
  RD_CHECK(same_streams, "%s: streams left in the same state", what);
  PetscCall(PetscFree2(W1_start, W2_start));
  PetscCall(RdLinearNetDestroy(&fast));
  PetscCall(RdLinearNetDestroy(&ref));
  PetscCall(RdLinearNetDestroy(&chunked));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Online SGD written as plain loops in the summation orders linear.h and linear.c document, one
 * scalar draw at a time: h_i = RdDot(W1[i], x); e_r = y_r - (W2[r] . hd) with eight partial sums
 * over the columns j mod 8 (the tail into the first) combined ((s0 + s4) + (s2 + s6)) + ((s1 + s5)
 * + (s3 + s7)); back_j summed over r in increasing order from 0; then the updates. The fast kernel
 * (packed, vectorised, fused, block draws) must reproduce it bit for bit: the archives rely on it. */
static PetscInt PlainOrderTrain(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt n = net->input_dim, m = net->width, d = net->output_dim;
  const double   lr = hyper->lr, decay = 1.0 - hyper->lr * hyper->weight_decay, q = hyper->dropout;
  double         x[64], keep[300], h[300], hd[300], e[32], back[300];

  for (PetscInt step = 0; step < nsteps; step++) {
    const int     k  = RdStreamCategorical(sampling, task->cumulative, (int)task->num_stimuli);
    const double *xk = task->stimuli + k * n, *y = task->targets + k * d;
    double        half_sq = 0.0;
    for (PetscInt i = 0; i < n; i++) x[i] = hyper->input_noise > 0.0 ? xk[i] + hyper->input_noise * RdStreamNormal(noise) : xk[i];
    for (PetscInt j = 0; j < m; j++) keep[j] = q > 0.0 ? (RdStreamUniform(noise) >= q ? 1.0 / (1.0 - q) : 0.0) : 1.0;
    for (PetscInt i = 0; i < m; i++) {
      h[i]  = RdDot(net->W1 + i * n, x, n);
      hd[i] = q > 0.0 ? keep[i] * h[i] : h[i];
    }
    for (PetscInt r = 0; r < d; r++) {
      double   s[8] = {0, 0, 0, 0, 0, 0, 0, 0};
      PetscInt j    = 0;
      for (; j + 8 <= m; j += 8)
        for (int l = 0; l < 8; l++) s[l] += net->W2[r * m + j + l] * hd[j + l];
      for (; j < m; j++) s[0] += net->W2[r * m + j] * hd[j];
      e[r] = y[r] - (((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7])));
      half_sq += e[r] * e[r];
    }
    if (!isfinite(0.5 * half_sq)) return step;
    for (PetscInt j = 0; j < m; j++) back[j] = 0.0;
    for (PetscInt r = 0; r < d; r++)
      for (PetscInt j = 0; j < m; j++) {
        const double old = net->W2[r * m + j];
        back[j] += old * e[r];
        net->W2[r * m + j] = decay * old + (lr * e[r]) * hd[j];
      }
    for (PetscInt i = 0; i < m; i++) {
      const double coef = q > 0.0 ? lr * (keep[i] * back[i]) : lr * back[i];
      for (PetscInt j = 0; j < n; j++) net->W1[i * n + j] = decay * net->W1[i * n + j] + coef * x[j];
    }
  }
  return nsteps;
}

static int SameBits(const double *a, const double *b, size_t count)
{
  return memcmp(a, b, count * sizeof(double)) == 0;
}

/* Two streams in the same state: the same next words and the same spare normal. */
static int SameStream(const RdStream *a, const RdStream *b)
{
  RdStream x = *a, y = *b;
  int      same = x.has_spare_normal == y.has_spare_normal && (!x.has_spare_normal || x.spare_normal == y.spare_normal);
  for (int i = 0; i < 6; i++) same &= RdStreamUInt32(&x) == RdStreamUInt32(&y);
  return same;
}

/* Every instruction-set path this machine runs: RdLinearTrain gives the same weights, step count
 * and stream states bit for bit; for batch 1 they equal PlainOrderTrain's; the probe's responses
 * are identical too. Sizes around the 8-unit blocks, the groups of 4 blocks of the AVX-512 sweep
 * and the 4-input groups of the dot products; a diverging run. */
static PetscErrorCode TestPathsBitIdentical(void)
{
  const struct {
    PetscInt n, m, d, batch;
    double   dropout, input_noise, lr;
  } cases[] = {
    {16, 64, 16, 1, 0.0, 0.0, 0.05}, {16, 64, 16, 1, 0.5, 0.1, 0.05}, {5, 13, 3, 1, 0.3, 0.2, 0.05}, {9, 8, 17, 1, 0.0, 0.3, 0.05}, {3, 7, 2, 1, 0.2, 0.0, 0.05},
    {16, 40, 8, 1, 0.2, 0.1, 0.05}, {6, 56, 9, 1, 0.3, 0.1, 0.05}, {7, 259, 5, 1, 0.5, 0.1, 0.02}, {1, 1, 1, 1, 0.1, 0.1, 0.05}, {16, 33, 7, 4, 0.5, 0.1, 0.05}, {4, 8, 4, 1, 0.1, 0.1, 50.0},
  };
  const PetscInt    nsteps    = 300;
  const RdKernelIsa supported = RdKernelIsaSupported();

  PetscFunctionBeginUser;
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) {
    const RdLinearHyper hyper = {.lr = cases[c].lr, .weight_decay = 0.01, .dropout = cases[c].dropout, .input_noise = cases[c].input_noise, .batch = cases[c].batch};
    const PetscInt      n = cases[c].n, m = cases[c].m, d = cases[c].d;
    const size_t        size1 = (size_t)m * n, size2 = (size_t)d * m;
    RdTask              task;
    RdLinearNet         first, net;
    RdStream            s0, n0, s, z;
    PetscInt            done0 = -1;
    double             *probe0, *probe;
    char                what[160];

    PetscCall(PetscSNPrintf(what, sizeof(what), "n=%d m=%d d=%d batch=%d q=%g s=%g lr=%g", (int)n, (int)m, (int)d, (int)cases[c].batch, cases[c].dropout, cases[c].input_noise, cases[c].lr));
    PetscCall(RdTaskCreateRandom(4, n, d, 0.4, 3, 1, &task));
    PetscCall(PetscMalloc2(30 * m, &probe0, 30 * m, &probe));
    PetscCall(CreateRandomNet(n, m, d, 17, &first));
    for (int isa = (int)supported; isa >= RD_KERNEL_ISA_BASELINE; isa--) {
      const RdKernelIsa previous = RdKernelIsaLimit((RdKernelIsa)isa);
      RdStream          probe_stream;
      PetscCall(CreateRandomNet(n, m, d, 17, &net));
      RdStreamInit(&s, 23, 5, RD_PURPOSE_SGD_SAMPLING);
      RdStreamInit(&z, 23, 5, RD_PURPOSE_TRAIN_NOISE);
      const PetscInt done = RdLinearTrain(&net, &hyper, &task, nsteps, &s, &z);
      RdStreamInit(&probe_stream, 23, 5, RD_PURPOSE(RD_PURPOSE_PROBE, 1));
      RdLinearProbe(&net, &hyper, &task, 2, 30, PETSC_TRUE, &probe_stream, probe);
      if (isa == (int)supported) {
        PetscCall(PetscArraycpy(first.W1, net.W1, size1));
        PetscCall(PetscArraycpy(first.W2, net.W2, size2));
        PetscCall(PetscArraycpy(probe0, probe, 30 * m));
        done0 = done, s0 = s, n0 = z;
        if (cases[c].batch == 1) {
          RdLinearNet plain;
          RdStream    ps, pz;
          PetscCall(CreateRandomNet(n, m, d, 17, &plain));
          RdStreamInit(&ps, 23, 5, RD_PURPOSE_SGD_SAMPLING);
          RdStreamInit(&pz, 23, 5, RD_PURPOSE_TRAIN_NOISE);
          const PetscInt done_plain = PlainOrderTrain(&plain, &hyper, &task, nsteps, &ps, &pz);
          RD_CHECK(done == done_plain && SameBits(net.W1, plain.W1, size1) && SameBits(net.W2, plain.W2, size2), "%s: %s fast kernel = plain loops in the documented order, bit for bit (%d vs %d steps)", what, RdKernelIsaName((RdKernelIsa)isa), (int)done, (int)done_plain);
          RD_CHECK(SameStream(&ps, &s0) && SameStream(&pz, &n0), "%s: streams left where the plain loops leave them", what);
          PetscCall(RdLinearNetDestroy(&plain));
        }
        if (cases[c].lr > 1.0) RD_CHECK(done > 0 && done < nsteps, "%s: the diverging case stops early (%d of %d steps)", what, (int)done, (int)nsteps);
      } else {
        const int same = done == done0 && SameBits(net.W1, first.W1, size1) && SameBits(net.W2, first.W2, size2);
        RD_CHECK(same, "%s: %s path = %s path, weights and step count bit for bit", what, RdKernelIsaName((RdKernelIsa)isa), RdKernelIsaName(supported));
        RD_CHECK(SameStream(&s, &s0) && SameStream(&z, &n0), "%s: %s path leaves the streams in the same state", what, RdKernelIsaName((RdKernelIsa)isa));
        RD_CHECK(SameBits(probe, probe0, 30 * (size_t)m), "%s: %s path probe responses bit for bit", what, RdKernelIsaName((RdKernelIsa)isa));
      }
      PetscCall(RdLinearNetDestroy(&net));
      (void)RdKernelIsaLimit(previous);
    }
    PetscCall(PetscFree2(probe0, probe));
    PetscCall(RdLinearNetDestroy(&first));
    PetscCall(RdTaskDestroy(&task));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A point where every term is known by hand: W1 = I, W2 = diag(2, 1/2), so A = diag(2, 1/2);
 * x_k = y_k = e_k with p = (1/4, 3/4), q = 1/2, s = 0.1, g = 0.01.
 *   fit:      1/4 * 1/2 |(1-2, 0)|^2 + 3/4 * 1/2 |(0, 1-1/2)|^2        = 0.125 + 0.09375
 *   noise:    s^2/2 |A|_F^2 = 0.005 * 4.25                              = 0.02125
 *   dropout:  q/(2(1-q)) = 1/2; |W2[:,j]|^2 = (4, 1/4), |W1[j,:]|^2 = 1
 *             k=0: 4 (1 + s^2) + 1/4 s^2,  k=1: 4 s^2 + 1/4 (1 + s^2)
 *             1/2 (1/4 (4.0425) + 3/4 (0.2925))                        = 0.615
 *   decay:    g/2 (2 + 4.25)                                            = 0.03125 */
static PetscErrorCode TestPopulationLossByHand(void)
{
  const double        stimuli[4] = {1, 0, 0, 1}, targets[4] = {1, 0, 0, 1}, probability[2] = {0.25, 0.75};
  const RdLinearHyper hyper      = {.lr = 0.1, .weight_decay = 0.01, .dropout = 0.5, .input_noise = 0.1, .batch = 1};
  RdTask              task;
  RdLinearNet         net;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateFromArrays(2, 2, 2, stimuli, targets, probability, &task));
  PetscCall(RdLinearNetCreate(2, 2, 2, &net));
  net.W1[0] = 1, net.W1[1] = 0, net.W1[2] = 0, net.W1[3] = 1;
  net.W2[0] = 2, net.W2[1] = 0, net.W2[2] = 0, net.W2[3] = 0.5;
  RD_CHECK_CLOSE(RdLinearPopulationLoss(&net, &hyper, &task), 0.125 + 0.09375 + 0.02125 + 0.615 + 0.03125, 1e-15, "population loss at a hand-computed point");
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The closed form against the mean of the per-sample loss over (stimulus, noise, mask) drawn as
 * in training; at q = s = 0 it is exactly sum_k p_k l_k. */
static PetscErrorCode TestPopulationLossMonteCarlo(void)
{
  const PetscInt n = 5, m = 7, d = 4, K = 3, draws = 400000;
  RdLinearHyper  hyper = {.lr = 0.1, .weight_decay = 0.02, .dropout = 0.3, .input_noise = 0.25, .batch = 1};
  RdTask         task;
  RdLinearNet    net;
  RdStream       sampling, noise;
  double         x[5], keep[7], g1[7 * 5], g2[4 * 7], sum = 0.0, sum_sq = 0.0;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(K, n, d, 0.5, 9, 0, &task));
  PetscCall(CreateRandomNet(n, m, d, 4, &net));
  RdStreamInit(&sampling, 31, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 31, 0, RD_PURPOSE_TRAIN_NOISE);
  for (PetscInt t = 0; t < draws; t++) {
    const int k = RdStreamCategorical(&sampling, task.cumulative, (int)K);
    for (PetscInt i = 0; i < n; i++) x[i] = task.stimuli[k * n + i] + hyper.input_noise * RdStreamNormal(&noise);
    for (PetscInt j = 0; j < m; j++) keep[j] = RdStreamUniform(&noise) >= hyper.dropout ? 1.0 / (1.0 - hyper.dropout) : 0.0;
    const double loss = RdLinearSampleGradient(&net, hyper.weight_decay, x, task.targets + k * d, keep, g1, g2);
    sum += loss;
    sum_sq += loss * loss;
  }
  const double mean = sum / draws, std_error = sqrt((sum_sq / draws - mean * mean) / draws);
  const double closed = RdLinearPopulationLoss(&net, &hyper, &task);
  RD_CHECK(fabs(mean - closed) < 5 * std_error, "population loss %.8g vs Monte Carlo %.8g +- %.2g (q=0.3, s=0.25)", closed, mean, std_error);
  /* the comparison is sharp enough to see a wrong dropout or noise term */
  RdLinearHyper half_dropout = hyper, half_noise = hyper;
  half_dropout.dropout     = 0.15;
  half_noise.input_noise   = 0.125;
  RD_CHECK(fabs(mean - RdLinearPopulationLoss(&net, &half_dropout, &task)) > 5 * std_error, "Monte Carlo distinguishes q = 0.3 from 0.15");
  RD_CHECK(fabs(mean - RdLinearPopulationLoss(&net, &half_noise, &task)) > 5 * std_error, "Monte Carlo distinguishes s = 0.25 from 0.125");

  /* no dropout, no noise: the expectation is a finite sum */
  hyper.dropout = hyper.input_noise = 0.0;
  double exact = 0.0;
  for (PetscInt k = 0; k < K; k++) exact += task.probability[k] * RdLinearSampleGradient(&net, hyper.weight_decay, task.stimuli + k * n, task.targets + k * d, NULL, g1, g2);
  RD_CHECK_CLOSE(RdLinearPopulationLoss(&net, &hyper, &task), exact, 1e-13 * exact, "population loss = sum_k p_k l_k without noise");
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Zero targets, W1 nonzero only on hidden units 0..2 and W2 only on units 3..5: W2 W1 = 0 and the
 * error is exactly 0 whatever the noise and mask, and stays 0 because both layers only shrink.
 * Each step then multiplies every weight by 1 - lr g. */
static PetscErrorCode TestWeightDecayOnly(PetscInt batch, PetscBool reference)
{
  const PetscInt      n = 4, m = 6, d = 3, nsteps = 50;
  const double        stimuli[2 * 4] = {0.5, -0.5, 0.5, 0.5, 0.1, 0.2, 0.3, 0.4}, targets[2 * 3] = {0}, probability[2] = {0.5, 0.5};
  const RdLinearHyper hyper = {.lr = 0.1, .weight_decay = 0.5, .dropout = 0.2, .input_noise = 0.3, .batch = batch};
  RdTask              task;
  RdLinearNet         net;
  RdStream            sampling, noise;
  double              W1_start[6 * 4], W2_start[3 * 6];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateFromArrays(2, n, d, stimuli, targets, probability, &task));
  PetscCall(CreateRandomNet(n, m, d, 8, &net));
  for (PetscInt i = 3; i < m; i++)
    for (PetscInt j = 0; j < n; j++) net.W1[i * n + j] = 0.0;
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt j = 0; j < 3; j++) net.W2[r * m + j] = 0.0;
  PetscCall(PetscArraycpy(W1_start, net.W1, m * n));
  PetscCall(PetscArraycpy(W2_start, net.W2, d * m));
  RdStreamInit(&sampling, 1, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  const PetscInt done   = reference ? RdLinearTrainReference(&net, &hyper, &task, nsteps, &sampling, &noise) : RdLinearTrain(&net, &hyper, &task, nsteps, &sampling, &noise);
  const double   factor = pow(1.0 - hyper.lr * hyper.weight_decay, (double)nsteps);
  double         error = 0.0;
  for (PetscInt i = 0; i < m * n; i++) error = fmax(error, fabs(net.W1[i] - factor * W1_start[i]));
  for (PetscInt i = 0; i < d * m; i++) error = fmax(error, fabs(net.W2[i] - factor * W2_start[i]));
  RD_CHECK(done == nsteps, "weight decay only: all steps done");
  RD_CHECK(error < 1e-14, "%s, batch %d: weights contract by (1 - lr g)^t = %.6g (max error %.3g)", reference ? "reference" : "fast", (int)batch, factor, error);
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestDivergence(PetscInt batch)
{
  const PetscInt n = 4, m = 8, d = 4, nsteps = 1000;
  const RdLinearHyper hyper = {.lr = 50.0, .weight_decay = 0.01, .dropout = 0.1, .input_noise = 0.1, .batch = batch};
  RdTask         task;
  RdLinearNet    fast, ref;
  RdStream       s1, n1, s2, n2;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(3, n, d, 0.5, 2, 0, &task));
  PetscCall(CreateRandomNet(n, m, d, 3, &fast));
  PetscCall(CreateRandomNet(n, m, d, 3, &ref));
  RdStreamInit(&s1, 4, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&n1, 4, 0, RD_PURPOSE_TRAIN_NOISE);
  s2 = s1, n2 = n1;
  const PetscInt done_fast = RdLinearTrain(&fast, &hyper, &task, nsteps, &s1, &n1);
  const PetscInt done_ref  = RdLinearTrainReference(&ref, &hyper, &task, nsteps, &s2, &n2);
  RD_CHECK(done_fast > 0 && done_fast < nsteps, "batch %d: huge lr stops early (fast: %d of %d steps)", (int)batch, (int)done_fast, (int)nsteps);
  RD_CHECK(done_ref == done_fast, "batch %d: reference stops at the same step (%d vs %d)", (int)batch, (int)done_ref, (int)done_fast);
  /* the returned count is meaningful: training again from scratch for that many steps is fine */
  PetscCall(RdLinearNetDestroy(&fast));
  PetscCall(CreateRandomNet(n, m, d, 3, &fast));
  RdStreamInit(&s1, 4, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&n1, 4, 0, RD_PURPOSE_TRAIN_NOISE);
  RD_CHECK(RdLinearTrain(&fast, &hyper, &task, done_fast, &s1, &n1) == done_fast, "batch %d: the completed steps rerun without stopping", (int)batch);
  RdStream s_before = s1, n_before = n1;
  RD_CHECK(RdLinearTrain(&ref, &hyper, &task, 0, &s1, &n1) == 0, "zero steps asked, zero done");
  RD_CHECK(RdStreamUInt32(&s1) == RdStreamUInt32(&s_before) && RdStreamUInt32(&n1) == RdStreamUInt32(&n_before), "zero steps draw nothing");
  PetscCall(RdLinearNetDestroy(&fast));
  PetscCall(RdLinearNetDestroy(&ref));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Probe mean = W1 x_k (input noise has mean 0, inverted dropout keeps the expectation), and the
 * documented draw order: normals for the input, then one uniform per unit. */
static PetscErrorCode TestProbeStatistics(void)
{
  const PetscInt      n = 5, m = 7, d = 4, samples = 40000, stimulus = 1;
  const RdLinearHyper hyper = {.lr = 0.1, .weight_decay = 0.01, .dropout = 0.4, .input_noise = 0.3, .batch = 1};
  RdTask              task;
  RdLinearNet         net;
  RdStream            probe, replay;
  double             *responses, h[7], x[5];

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(3, n, d, 0.5, 6, 0, &task));
  PetscCall(CreateRandomNet(n, m, d, 12, &net));
  PetscCall(PetscMalloc1(samples * m, &responses));
  for (PetscInt i = 0; i < m; i++) {
    h[i] = 0.0;
    for (PetscInt j = 0; j < n; j++) h[i] += net.W1[i * n + j] * task.stimuli[stimulus * n + j];
  }
  for (int dropout_on = 0; dropout_on < 2; dropout_on++) {
    RdStreamInit(&probe, 8, 2, RD_PURPOSE(RD_PURPOSE_PROBE, 3));
    RdLinearProbe(&net, &hyper, &task, stimulus, samples, dropout_on ? PETSC_TRUE : PETSC_FALSE, &probe, responses);
    int within = 1;
    for (PetscInt i = 0; i < m; i++) {
      double sum = 0.0, sum_sq = 0.0;
      for (PetscInt t = 0; t < samples; t++) {
        sum += responses[t * m + i];
        sum_sq += responses[t * m + i] * responses[t * m + i];
      }
      const double mean = sum / samples, std_error = sqrt((sum_sq / samples - mean * mean) / samples);
      within &= fabs(mean - h[i]) < 5 * std_error;
      if (fabs(mean - h[i]) >= 5 * std_error) printf("  unit %d: mean %g vs W1 x_k %g (se %g)\n", (int)i, mean, h[i], std_error);
    }
    RD_CHECK(within, "probe mean = W1 x_k within 5 standard errors (dropout %s)", dropout_on ? "on" : "off");

    /* replay the documented draw order for the first samples */
    RdStreamInit(&replay, 8, 2, RD_PURPOSE(RD_PURPOSE_PROBE, 3));
    double max_error = 0.0;
    for (PetscInt t = 0; t < 50; t++) {
      for (PetscInt j = 0; j < n; j++) x[j] = task.stimuli[stimulus * n + j] + hyper.input_noise * RdStreamNormal(&replay);
      for (PetscInt i = 0; i < m; i++) {
        double keep = 1.0;
        if (dropout_on) keep = RdStreamUniform(&replay) >= hyper.dropout ? 1.0 / (1.0 - hyper.dropout) : 0.0;
        double hi = 0.0;
        for (PetscInt j = 0; j < n; j++) hi += net.W1[i * n + j] * x[j];
        max_error = fmax(max_error, fabs(responses[t * m + i] - keep * hi));
      }
    }
    RD_CHECK(max_error < 1e-14, "probe follows the documented draw order (dropout %s, max error %.3g)", dropout_on ? "on" : "off", max_error);
  }
  PetscCall(PetscFree(responses));
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Without noise: dropout off gives W1 x_k in every row exactly; dropout on (q = 1/2, scale 2)
 * gives 0 or exactly 2 (W1 x_k)_i. Dyadic weights and inputs make every sum exact. */
static PetscErrorCode TestProbeExact(void)
{
  const PetscInt n = 3, m = 4, d = 1, samples = 4000;
  const double   stimuli[3] = {0.5, -0.25, 1.0}, targets[1] = {1.0}, probability[1] = {1.0};
  const double   W1[4 * 3]  = {1, 2, 3, -4, 0.5, 0.25, 0, 0, -1, 8, -2, 0.125};
  const double   h[4]       = {0.5 - 0.5 + 3, -2 - 0.125 + 0.25, -1, 4 + 0.5 + 0.125};
  RdLinearHyper  hyper      = {.lr = 0.1, .weight_decay = 0.01, .dropout = 0.5, .input_noise = 0.0, .batch = 1};
  RdTask         task;
  RdLinearNet    net;
  RdStream       probe;
  double        *responses;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateFromArrays(1, n, d, stimuli, targets, probability, &task));
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  PetscCall(PetscArraycpy(net.W1, W1, m * n));
  PetscCall(PetscMalloc1(samples * m, &responses));
  RdStreamInit(&probe, 1, 0, RD_PURPOSE(RD_PURPOSE_PROBE, 0));
  RdLinearProbe(&net, &hyper, &task, 0, samples, PETSC_FALSE, &probe, responses);
  int exact = 1;
  for (PetscInt t = 0; t < samples; t++)
    for (PetscInt i = 0; i < m; i++) exact &= responses[t * m + i] == h[i];
  RD_CHECK(exact, "dropout off, no noise: every probe row equals W1 x_k exactly");
  RdLinearProbe(&net, &hyper, &task, 0, samples, PETSC_TRUE, &probe, responses);
  int    zero_or_scaled = 1;
  double dropped        = 0;
  for (PetscInt t = 0; t < samples; t++)
    for (PetscInt i = 0; i < m; i++) {
      zero_or_scaled &= responses[t * m + i] == 0.0 || responses[t * m + i] == 2.0 * h[i];
      dropped += responses[t * m + i] == 0.0 && h[i] != 0.0;
    }
  RD_CHECK(zero_or_scaled, "dropout on: every response is 0 or h / (1 - q)");
  /* no unit has h = 0, so the zeros count the dropped units */
  RD_CHECK_CLOSE(dropped / (samples * m), 0.5, 5 * sqrt(0.25 / (samples * m)), "dropout fraction");
  PetscCall(PetscFree(responses));
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  const double keep_scale[7] = {1 / 0.6, 0, 1 / 0.6, 1 / 0.6, 0, 1 / 0.6, 1 / 0.6};
  /* (n, m, d, batch, dropout, input noise); the kernel works in groups of 4 output rows, 4 input
   * and 8 hidden columns, so sizes off those multiples exercise every remainder path */
  const KernelCase cases[] = {
    {16, 64, 16, 1, 0.0, 0.0},   /* the repdrift default shape, theory setting */
    {5, 13, 3, 1, 0.3, 0.2},     /* every size below or off its group */
    {9, 8, 17, 1, 0.0, 0.3},     /* noise only, d > m, d = 4 groups + 1 */
    {16, 256, 16, 1, 0.2, 0.05}, /* wide */
    {16, 33, 7, 4, 0.5, 0.1},    /* batch */
    {5, 13, 3, 2, 0.3, 0.2},     /* batch, odd sizes */
  };

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestGradient(NULL, "no dropout"));
  PetscCall(TestGradient(keep_scale, "dropout scale vector"));
  for (size_t c = 0; c < sizeof(cases) / sizeof(cases[0]); c++) PetscCall(TestFastMatchesReference(cases[c]));
  PetscCall(TestPathsBitIdentical());
  PetscCall(TestPopulationLossByHand());
  PetscCall(TestPopulationLossMonteCarlo());
  PetscCall(TestWeightDecayOnly(1, PETSC_FALSE));
  PetscCall(TestWeightDecayOnly(3, PETSC_FALSE));
  PetscCall(TestWeightDecayOnly(1, PETSC_TRUE));
  PetscCall(TestDivergence(1));
  PetscCall(TestDivergence(2));
  PetscCall(TestProbeStatistics());
  PetscCall(TestProbeExact());
  int code = RdTestSummary("test_linear");
  PetscCall(SlepcFinalize());
  return code;
}
