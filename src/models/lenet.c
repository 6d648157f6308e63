/* The classifier's lenet architecture (include/repdrift/models/classifier.h): the convolutional
 * trunk (conv 5x5 pad 2 -> relu -> 2x2 max pool -> conv 5x5 -> relu -> 2x2 max pool) under the
 * layers the mlp has (classifier.c), trained by the same SGD with momentum.
 *
 * Fast path: a minibatch runs as batch-minor tensors (include/repdrift/conv.h) through the fast
 * kernels, the dense layers included, with fixed summation orders, so a run is bit-reproducible on
 * every instruction set and rank. Reference: one example at a time through the reference kernels
 * and the mlp's one-example layers (classifier_impl.h), the same draws in the same order; the two
 * agree to rounding. Neither allocates: every buffer is carved from net->work.
 *
 * Precision: double, as the rest of the program (probes, PCA, signatures and the archive are
 * float64, and drift is measured as small differences between snapshots of long runs). In double
 * the fast path still trains several times faster per core than PyTorch in float32
 * (bench/classifier.sh), so single precision would buy speed nobody needs at the price of a second
 * rounding regime. */
#include <repdrift/conv.h>
#include <repdrift/dense.h>
#include "classifier_impl.h"
#include <string.h>

/* Tensor shapes of one net. */
typedef struct {
  RdTensorShape image, padded, s1, q1, s2, q2; /* input, input with the 2-pixel zero border, conv1, pool1, conv2, pool2 */
  PetscInt      K;
} LeNetShapes;

static LeNetShapes ShapesOf(const RdClassifierNet *net)
{
  LeNetShapes   g;
  const PetscInt K = RD_LENET_KERNEL, pad = RD_LENET_CONV1_PADDING;
  g.K      = K;
  g.image  = (RdTensorShape){net->image.channels, net->image.height, net->image.width};
  g.padded = (RdTensorShape){net->image.channels, net->image.height + 2 * pad, net->image.width + 2 * pad};
  g.s1     = RdConvOutputShape(g.padded, net->image.conv1_channels, K, 0);
  g.q1     = RdPoolOutputShape(g.s1);
  g.s2     = RdConvOutputShape(g.q1, net->image.conv2_channels, K, 0);
  g.q2     = RdPoolOutputShape(g.s2);
  return g;
}

/* Views into net->work: batched tensors for max_batch examples (lanes L), the reference's
 * one-example tensors (lanes 1), and scratch. */
typedef struct {
  PetscInt L;                        /* lanes of max_batch */
  double  *xpad, *s1, *q1, *s2, *q2; /* forward, [shape][L] */
  double  *h1, *h2, *gate, *logit;   /* [n1][L], [n2][L], [n2][L], [C][L] (logit becomes dCE/dlogit) */
  double  *dh2, *dh1, *dq2, *ds2, *dq1, *ds1;
  double  *factor, *offset; /* [max_batch][n2] node noise in draw order */
  double  *label;           /* [max_batch] */
  double  *transposed;      /* [max(n1 F, n2 n1, C n2)] a dense layer's W^T */
  double  *flipped;         /* [c1 c2 K K] conv2's flipped filters */
  double  *masked_W2;       /* [n2][n1] W2 . M of a per-batch mask */
  double  *column;          /* [n1] one example's hidden activity (per-example mask) */
  double  *grad, *ref_grad; /* [P] */
  double  *scores;          /* [max_batch][C] + [C]: the accuracy's (RdLeNetScoreScratch_Internal) */
  /* the reference, one example */
  double                    *rx, *rxpad, *rs1, *rq1, *rs2, *rq2, *rdq2, *rds2, *rdq1, *rds1, *rgw, *rgb;
  RdClassifierExampleScratch e;
} LeNetWork;

/* Regions are multiples of 8 doubles from a 64-byte aligned base, so every batch-minor row starts
 * on a cache line. Returns the doubles needed, alignment slack included (base NULL: count only). */
static size_t LeNetWorkCarve(const RdClassifierNet *net, double *work, LeNetWork *w)
{
  const LeNetShapes g  = ShapesOf(net);
  const size_t      L  = (size_t)RdConvLanes(net->max_batch), B = (size_t)net->max_batch;
  const size_t      n1 = (size_t)net->hidden_dim, n2 = (size_t)net->feature_dim, nc = (size_t)net->num_classes, F = (size_t)net->flat_dim;
  const size_t      K2 = (size_t)(g.K * g.K), c0 = (size_t)g.image.channels, c1 = (size_t)g.s1.channels, c2 = (size_t)g.s2.channels;
  const size_t      P  = RdClassifierLayoutOf(net).total;
  const size_t      T  = PetscMax(PetscMax(n1 * F, n2 * n1), nc * n2);
  double          **region[] = {&w->xpad, &w->s1, &w->q1, &w->s2, &w->q2, &w->h1, &w->h2, &w->gate, &w->logit, &w->dh2, &w->dh1, &w->dq2, &w->ds2, &w->dq1, &w->ds1, &w->factor, &w->offset, &w->label, &w->transposed, &w->flipped, &w->masked_W2, &w->column, &w->grad, &w->ref_grad, &w->scores, &w->rx, &w->rxpad, &w->rs1, &w->rq1, &w->rs2, &w->rq2, &w->rdq2, &w->rds2, &w->rdq1, &w->rds1, &w->rgw, &w->rgb, &w->e.mask, &w->e.z1, &w->e.h1, &w->e.z2, &w->e.h2, &w->e.factor, &w->e.offset, &w->e.logit, &w->e.delta3, &w->e.dh2, &w->e.dh1};
  size_t            length[] = {RdTensorSize(g.padded, (PetscInt)L), RdTensorSize(g.s1, (PetscInt)L), RdTensorSize(g.q1, (PetscInt)L), RdTensorSize(g.s2, (PetscInt)L), RdTensorSize(g.q2, (PetscInt)L), n1 * L, n2 * L, n2 * L, nc * L, n2 * L, n1 * L, F * L, RdTensorSize(g.s2, (PetscInt)L), RdTensorSize(g.q1, (PetscInt)L), RdTensorSize(g.s1, (PetscInt)L), B * n2, B * n2, B, T, c1 * c2 * K2, n2 * n1, n1, P, P, B * nc + nc, RdTensorCount(g.image), RdTensorCount(g.padded), RdTensorCount(g.s1), RdTensorCount(g.q1), RdTensorCount(g.s2), RdTensorCount(g.q2), F, RdTensorCount(g.s2), RdTensorCount(g.q1), RdTensorCount(g.s1), PetscMax(c1 * c0, c2 * c1) * K2, PetscMax(c1, c2), n2 * n1, n1, n1, n2, n2, n2, n2, nc, nc, n2, n1};
  const size_t      count = sizeof(length) / sizeof(length[0]);
  double           *base  = work ? (double *)(((uintptr_t)work + 63) & ~(uintptr_t)63) : NULL;
  for (size_t r = 0; r < count; r++) length[r] = (length[r] + 7) / 8 * 8;
  w->L = (PetscInt)L;
  return RdCarve(base, region, length, count) + 8;
}

static LeNetWork Views(const RdClassifierNet *net)
{
  LeNetWork w;
  (void)LeNetWorkCarve(net, net->work, &w);
  return w;
}

size_t RdLeNetWorkSize_Internal(const RdClassifierNet *net)
{
  LeNetWork w;
  return LeNetWorkCarve(net, NULL, &w);
}

double *RdLeNetScoreScratch_Internal(const RdClassifierNet *net) { return Views(net).scores; }

void RdLeNetInit_Internal(RdClassifierNet *net, RdStream *init)
{
  const size_t K2 = RD_LENET_KERNEL * RD_LENET_KERNEL, c0 = (size_t)net->image.channels, c1 = (size_t)net->image.conv1_channels, c2 = (size_t)net->image.conv2_channels;
  const double sd1 = sqrt(2.0 / (double)(c0 * K2)), sd2 = sqrt(2.0 / (double)(c1 * K2));
  for (size_t i = 0; i < c1 * c0 * K2; i++) net->Wc1[i] = sd1 * RdStreamNormal(init);
  for (size_t i = 0; i < c2 * c1 * K2; i++) net->Wc2[i] = sd2 * RdStreamNormal(init);
}

/* ------------------------------------------------------------------------------------------ */
/* Fast path.                                                                                   */

/* Copies example k of inputs (an image [C][H][W]) into lane b of the padded input tensor. */
static void GatherImage(const LeNetShapes *g, PetscInt L, const double *image, PetscInt b, double *xpad)
{
  const PetscInt pad = RD_LENET_CONV1_PADDING;
  for (PetscInt c = 0; c < g->image.channels; c++)
    for (PetscInt y = 0; y < g->image.height; y++) {
      const double *row = image + RD_IDX3(c, y, 0, g->image.height, g->image.width);
      double       *out = xpad + (((size_t)c * (size_t)g->padded.height + (size_t)(y + pad)) * (size_t)g->padded.width + (size_t)pad) * (size_t)L + (size_t)b;
      for (PetscInt x = 0; x < g->image.width; x++) out[(size_t)x * (size_t)L] = row[x];
    }
}

/* The trunk and the first dense layer for the m <= max_batch examples in xpad (lanes L):
 * s1 q1 s2 q2, h1 = relu(W1 q2 + b1). */
static void TrunkForward(const RdClassifierNet *net, const LeNetShapes *g, PetscInt L, const LeNetWork *w)
{
  RdConvForward(g->padded, g->s1.channels, g->K, 0, net->Wc1, net->bc1, L, w->xpad, w->s1);
  RdPoolReluForward(g->s1, L, w->s1, w->q1);
  RdConvForward(g->q1, g->s2.channels, g->K, 0, net->Wc2, net->bc2, L, w->q1, w->s2);
  RdPoolReluForward(g->s2, L, w->s2, w->q2);
  RdDenseForward(net->hidden_dim, net->flat_dim, net->W1, net->b1, L, w->q2, w->h1);
  for (size_t i = 0; i < (size_t)net->hidden_dim * (size_t)L; i++) w->h1[i] = w->h1[i] > 0.0 ? w->h1[i] : 0.0;
}

/* Feature layer of m examples without a per-example mask: h2 = relu(factor (W2 h1 + b2) + offset)
 * with the node noise of each example drawn in order (lanes >= m: factor 1, offset 0), gate =
 * relu'(z2') factor. W2 is net->W2 or W2 . M. */
static void FeatureForward(const RdClassifierNet *net, const RdNoise *nz, const double *W2, PetscInt m, PetscInt L, RdStream *noise, const LeNetWork *w)
{
  const PetscInt  n2 = net->feature_dim;
  const PetscBool node_noise = nz->type == RD_NOISE_NODE_DROPOUT || nz->type == RD_NOISE_ADDITIVE || nz->type == RD_NOISE_MULTIPLICATIVE ? PETSC_TRUE : PETSC_FALSE;
  RdDenseForward(n2, net->hidden_dim, W2, net->b2, L, w->h1, w->h2);
  if (node_noise)
    for (PetscInt b = 0; b < m; b++) RdNoiseDrawNode(nz, n2, noise, w->factor + RD_IDX2(b, 0, n2), w->offset + RD_IDX2(b, 0, n2));
  for (PetscInt o = 0; o < n2; o++)
    for (PetscInt b = 0; b < L; b++) {
      const PetscBool noisy = node_noise && b < m ? PETSC_TRUE : PETSC_FALSE;
      const double    f = noisy ? w->factor[RD_IDX2(b, o, n2)] : 1.0, z = noisy ? f * w->h2[RD_IDX2(o, b, L)] + w->offset[RD_IDX2(b, o, n2)] : w->h2[RD_IDX2(o, b, L)];
      w->gate[RD_IDX2(o, b, L)] = z > 0.0 ? f : 0.0;
      w->h2[RD_IDX2(o, b, L)]   = z > 0.0 ? z : 0.0;
    }
}

/* Layers 2 and 3 of example b under its own weight mask (drawn here), from column b of h1: its
 * features into h2[:, b], its logits into logit[:, b]; with label >= 0 also the backward pass
 * (gradients of W2 b2 W3 b3 added to grad, dCE/dh1 into dh1[:, b]). Returns the cross-entropy. */
static double MaskedExample(const RdClassifierNet *net, const RdNoise *nz, PetscInt b, PetscInt L, PetscInt label, double weight, RdStream *noise, const LeNetWork *w, double *grad)
{
  const PetscInt n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;
  RdNoiseDrawWeightMask(nz, (size_t)n2 * (size_t)n1, noise, w->e.mask);
  for (PetscInt i = 0; i < n1; i++) w->column[i] = w->h1[RD_IDX2(i, b, L)];
  const double ce = RdClassifierMaskedHeadGradient_Internal(net, w->e.mask, w->column, label, weight, &w->e, grad);
  for (PetscInt o = 0; o < n2; o++) w->h2[RD_IDX2(o, b, L)] = w->e.h2[o];
  for (PetscInt c = 0; c < nc; c++) w->logit[RD_IDX2(c, b, L)] = w->e.logit[c];
  if (label >= 0)
    for (PetscInt i = 0; i < n1; i++) w->dh1[RD_IDX2(i, b, L)] = w->e.dh1[i];
  return ce;
}

PetscInt RdLeNetTrain_Internal(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const LeNetShapes        g = ShapesOf(net);
  const LeNetWork          w = Views(net);
  const RdClassifierLayout p = RdClassifierLayoutOf(net);
  const RdNoise           *nz = &hyper->noise;
  const PetscInt           B = hyper->batch, L = RdConvLanes(B), n0 = net->input_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes, F = net->flat_dim;
  const PetscBool          example_mask = RdClassifierMaskPerExample_Internal(hyper), batch_mask = RdClassifierMaskPerBatch_Internal(hyper);
  const size_t             count2 = (size_t)n2 * (size_t)n1;
  const double            *W2 = batch_mask ? w.masked_W2 : net->W2;
  const double             weight = 1.0 / (double)B;
  double                  *grad = w.grad;

  for (PetscInt step = 0; step < nsteps; step++) {
    double ce_sum = 0.0;
    if (batch_mask) {
      RdNoiseDrawWeightMask(nz, count2, noise, w.e.mask);
      for (size_t i = 0; i < count2; i++) w.masked_W2[i] = net->W2[i] * w.e.mask[i];
    }
    /* gather the batch (the sampling stream example by example) into the zero-bordered input */
    memset(w.xpad, 0, RdTensorSize(g.padded, L) * sizeof(double));
    for (PetscInt b = 0; b < B; b++) {
      const PetscInt k = RdClassifierDrawExample_Internal(n_examples, nc, class_cumulative, class_offsets, class_members, sampling);
      if (k < 0) return step;
      GatherImage(&g, L, inputs + RD_IDX2(k, 0, n0), b, w.xpad);
      w.label[b] = (double)labels[k];
    }
    TrunkForward(net, &g, L, &w);
    if (example_mask) {
      for (size_t i = p.W2; i < p.total; i++) grad[i] = 0.0; /* W2 b2 W3 b3 accumulate per example */
      memset(w.dh1, 0, (size_t)n1 * (size_t)L * sizeof(double));
      for (PetscInt b = 0; b < B; b++) ce_sum += MaskedExample(net, nz, b, L, (PetscInt)w.label[b], weight, noise, &w, grad);
    } else {
      FeatureForward(net, nz, W2, B, L, noise, &w);
      RdDenseForward(nc, n2, net->W3, net->b3, L, w.h2, w.logit);
      /* softmax: logit becomes (p - onehot) / B; lanes of no example get 0 */
      for (PetscInt b = 0; b < L; b++) {
        double *column = w.logit + b;
        if (b >= B) {
          for (PetscInt c = 0; c < nc; c++) column[(size_t)c * (size_t)L] = 0.0;
          continue;
        }
        const PetscInt label = (PetscInt)w.label[b];
        ce_sum += RdClassifierSoftmaxCrossEntropy_Internal(column, (size_t)L, nc, label, column, (size_t)L);
        column[(size_t)label * (size_t)L] -= 1.0;
        for (PetscInt c = 0; c < nc; c++) column[(size_t)c * (size_t)L] *= weight;
      }
    }
    const double loss = ce_sum / (double)B + 0.5 * hyper->l2 * RdClassifierWeightNorm2_Internal(net->params, p);
    if (!isfinite(loss)) return step;

    if (!example_mask) {
      RdDenseWeightGradient(nc, n2, L, w.h2, w.logit, grad + p.W3, grad + p.b3);
      RdDenseInputGradient(nc, n2, net->W3, L, w.logit, w.dh2, w.transposed);
      for (size_t i = 0; i < (size_t)n2 * (size_t)L; i++) w.dh2[i] *= w.gate[i];
      RdDenseWeightGradient(n2, n1, L, w.h1, w.dh2, grad + p.W2, grad + p.b2);
      if (batch_mask) /* d(loss)/dW2 = d(loss)/d(W2 . M) . M */
        for (size_t i = 0; i < count2; i++) grad[p.W2 + i] *= w.e.mask[i];
      RdDenseInputGradient(n2, n1, W2, L, w.dh2, w.dh1, w.transposed);
    }
    /* relu' of the hidden layer (h1 > 0 iff z1 > 0), then down through the trunk */
    for (size_t i = 0; i < (size_t)n1 * (size_t)L; i++) w.dh1[i] = w.h1[i] > 0.0 ? w.dh1[i] : 0.0;
    RdDenseWeightGradient(n1, F, L, w.q2, w.dh1, grad + p.W1, grad + p.b1);
    RdDenseInputGradient(n1, F, net->W1, L, w.dh1, w.dq2, w.transposed);
    RdPoolReluBackward(g.s2, L, w.s2, w.dq2, w.ds2);
    RdConvWeightGradient(g.q1, g.s2.channels, g.K, L, w.q1, w.ds2, grad + p.Wc2, grad + p.bc2);
    RdConvInputGradient(g.q1, g.s2.channels, g.K, 0, net->Wc2, L, w.ds2, w.dq1, w.flipped);
    RdPoolReluBackward(g.s1, L, w.s1, w.dq1, w.ds1);
    RdConvWeightGradient(g.padded, g.s1.channels, g.K, L, w.xpad, w.ds1, grad + p.Wc1, grad + p.bc1);

    RdClassifierFinishGradient_Internal(net->params, p, hyper, noise, grad);
    RdClassifierMomentumUpdate_Internal(p.total, hyper->lr, hyper->momentum, grad, net->velocity, net->params);
  }
  return nsteps;
}

void RdLeNetForward_Internal(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, PetscInt n, RdStream *noise, double *features, double *logits)
{
  const LeNetShapes g = ShapesOf(net);
  const LeNetWork   w = Views(net);
  const RdNoise    *nz = &hyper->noise;
  const PetscInt    pass = PetscMin(PetscMax(hyper->batch, 1), net->max_batch), n2 = net->feature_dim, nc = net->num_classes;
  const PetscBool   example_mask = RdClassifierMaskPerExample_Internal(hyper), batch_mask = RdClassifierMaskPerBatch_Internal(hyper);
  const size_t      count2 = (size_t)n2 * (size_t)net->hidden_dim;

  for (PetscInt b0 = 0; b0 < n; b0 += pass) {
    const PetscInt m = PetscMin(pass, n - b0), L = RdConvLanes(m);
    if (batch_mask) {
      RdNoiseDrawWeightMask(nz, count2, noise, w.e.mask);
      for (size_t i = 0; i < count2; i++) w.masked_W2[i] = net->W2[i] * w.e.mask[i];
    }
    memset(w.xpad, 0, RdTensorSize(g.padded, L) * sizeof(double));
    for (PetscInt b = 0; b < m; b++) GatherImage(&g, L, inputs + RD_IDX2(b0 + b, 0, net->input_dim), b, w.xpad);
    TrunkForward(net, &g, L, &w);
    if (example_mask)
      for (PetscInt b = 0; b < m; b++) (void)MaskedExample(net, nz, b, L, -1, 0.0, noise, &w, NULL);
    else {
      FeatureForward(net, nz, batch_mask ? w.masked_W2 : net->W2, m, L, noise, &w);
      if (logits) RdDenseForward(nc, n2, net->W3, net->b3, L, w.h2, w.logit);
    }
    for (PetscInt b = 0; b < m; b++) {
      if (features)
        for (PetscInt o = 0; o < n2; o++) features[RD_IDX2(b0 + b, o, n2)] = w.h2[RD_IDX2(o, b, L)];
      if (logits)
        for (PetscInt c = 0; c < nc; c++) logits[RD_IDX2(b0 + b, c, nc)] = w.logit[RD_IDX2(c, b, L)];
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Reference: one example at a time.                                                            */

/* Forward and backward pass of one image through the reference kernels and the mlp's layers:
 * adds weight * dCE/dparams to grad and returns the cross-entropy. */
static double ExampleGradient(const RdClassifierNet *net, const RdNoise *nz, const double *mask, const double *image, PetscInt label, double weight, RdStream *noise, const LeNetWork *w, double *grad)
{
  const LeNetShapes        g   = ShapesOf(net);
  const RdClassifierLayout p   = RdClassifierLayoutOf(net);
  const PetscInt           pad = RD_LENET_CONV1_PADDING, c1 = g.s1.channels, c2 = g.s2.channels, K2 = g.K * g.K;

  RdConvForwardReference(g.image, c1, g.K, pad, net->Wc1, net->bc1, 1, image, w->rs1);
  RdPoolReluForwardReference(g.s1, 1, w->rs1, w->rq1);
  RdConvForwardReference(g.q1, c2, g.K, 0, net->Wc2, net->bc2, 1, w->rq1, w->rs2);
  RdPoolReluForwardReference(g.s2, 1, w->rs2, w->rq2);
  const double ce = RdClassifierHeadGradient_Internal(net, nz, mask, w->rq2, label, weight, noise, &w->e, grad, w->rdq2);
  /* conv2 */
  RdPoolReluBackwardReference(g.s2, 1, w->rs2, w->rdq2, w->rds2);
  RdConvWeightGradientReference(g.q1, c2, g.K, 1, w->rq1, w->rds2, w->rgw, w->rgb);
  for (PetscInt i = 0; i < c2 * c1 * K2; i++) grad[p.Wc2 + (size_t)i] += w->rgw[i];
  for (PetscInt o = 0; o < c2; o++) grad[p.bc2 + (size_t)o] += w->rgb[o];
  RdConvInputGradientReference(g.q1, c2, g.K, 0, net->Wc2, 1, w->rds2, w->rdq1);
  /* conv1, its filter gradient on the zero-bordered image */
  RdPoolReluBackwardReference(g.s1, 1, w->rs1, w->rdq1, w->rds1);
  memset(w->rxpad, 0, RdTensorCount(g.padded) * sizeof(double));
  for (PetscInt c = 0; c < g.image.channels; c++)
    for (PetscInt y = 0; y < g.image.height; y++)
      for (PetscInt x = 0; x < g.image.width; x++) w->rxpad[RD_IDX3(c, y + pad, x + pad, g.padded.height, g.padded.width)] = image[RD_IDX3(c, y, x, g.image.height, g.image.width)];
  RdConvWeightGradientReference(g.padded, c1, g.K, 1, w->rxpad, w->rds1, w->rgw, w->rgb);
  for (PetscInt i = 0; i < c1 * g.image.channels * K2; i++) grad[p.Wc1 + (size_t)i] += w->rgw[i];
  for (PetscInt o = 0; o < c1; o++) grad[p.bc1 + (size_t)o] += w->rgb[o];
  return ce;
}

/* The weight mask of example b of a forward pass of `pass` examples (per_batch: drawn at b % pass
 * == 0), NULL without weight dropout. */
static const double *NextMask(const RdClassifierNet *net, const RdClassifierHyper *hyper, PetscInt b, PetscInt pass, RdStream *noise, double *mask)
{
  if (RdClassifierMaskPerExample_Internal(hyper) || (RdClassifierMaskPerBatch_Internal(hyper) && b % pass == 0)) RdNoiseDrawWeightMask(&hyper->noise, (size_t)net->feature_dim * (size_t)net->hidden_dim, noise, mask);
  return hyper->noise.type == RD_NOISE_WEIGHT_DROPOUT ? mask : NULL;
}

double RdLeNetLossGradient_Internal(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *gradient)
{
  const RdClassifierLayout p = RdClassifierLayoutOf(net);
  const LeNetWork          w = Views(net);
  double                   ce_sum = 0.0;

  for (size_t i = 0; i < p.total; i++) gradient[i] = 0.0;
  for (PetscInt b = 0; b < n; b++) {
    const double *mask = NextMask(net, hyper, b, n, noise, w.e.mask); /* the n examples are one forward pass */
    ce_sum += ExampleGradient(net, &hyper->noise, mask, inputs + RD_IDX2(b, 0, net->input_dim), labels[b], 1.0 / (double)n, noise, &w, gradient);
  }
  const double loss = ce_sum / (double)n + 0.5 * hyper->l2 * RdClassifierWeightNorm2_Internal(net->params, p);
  RdClassifierFinishGradient_Internal(net->params, p, hyper, noise, gradient);
  return loss;
}

PetscInt RdLeNetTrainReference_Internal(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const RdClassifierLayout p     = RdClassifierLayoutOf(net);
  const LeNetWork          w     = Views(net);
  const PetscInt           batch = hyper->batch;

  for (PetscInt step = 0; step < nsteps; step++) {
    double ce_sum = 0.0;
    for (size_t i = 0; i < p.total; i++) w.ref_grad[i] = 0.0;
    for (PetscInt b = 0; b < batch; b++) {
      const PetscInt k = RdClassifierDrawExample_Internal(n_examples, net->num_classes, class_cumulative, class_offsets, class_members, sampling);
      if (k < 0) return step;
      const double *mask = NextMask(net, hyper, b, batch, noise, w.e.mask);
      ce_sum += ExampleGradient(net, &hyper->noise, mask, inputs + RD_IDX2(k, 0, net->input_dim), labels[k], 1.0 / (double)batch, noise, &w, w.ref_grad);
    }
    const double loss = ce_sum / (double)batch + 0.5 * hyper->l2 * RdClassifierWeightNorm2_Internal(net->params, p);
    if (!isfinite(loss)) return step;
    RdClassifierFinishGradient_Internal(net->params, p, hyper, noise, w.ref_grad);
    for (size_t i = 0; i < p.total; i++) {
      net->velocity[i] = hyper->momentum * net->velocity[i] - hyper->lr * w.ref_grad[i];
      net->params[i] += net->velocity[i];
    }
  }
  return nsteps;
}
