/* Classifier network (input -> hidden ReLU -> feature ReLU -> softmax readout) trained by minibatch
 * SGD with momentum: the mlp's batched training kernel (RdClassifierTrain), its one-example-at-a-
 * time reference, the loss gradient, the probe and the accuracy, and the pieces both architectures
 * share (classifier_impl.h); the lenet's convolutional trunk is in lenet.c. Contract:
 * include/repdrift/models/classifier.h.
 *
 * Determinism: every sum below has an order fixed in the source (no -ffast-math, strict C11 so no
 * FMA contraction), so a run is bit-reproducible whatever vector width the compiler picks. The
 * batched kernel keeps every sum in the reference's order (over the inner index ascending for the
 * forward pass and for back-propagation, over the examples of the batch ascending for the
 * gradients), so the two usually agree bit for bit; the tests allow rounding differences. */
#include <repdrift/dense.h>
#include "classifier_impl.h"
#include <string.h>

/* Instruction-set dispatch as in src/models/linear.c: the kernel's C fixes every summation order
 * and strict C11 keeps FMA contraction off, so the SSE2 and AVX2 copies give bit-identical results
 * and only the speed differs. Define REPDRIFT_PORTABLE_KERNEL to compile the baseline path only. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(REPDRIFT_PORTABLE_KERNEL)
  #define RD_KERNEL_AVX2_DISPATCH 1
  #define RD_KERNEL_INLINE static inline __attribute__((always_inline))
#else
  #define RD_KERNEL_AVX2_DISPATCH 0
  #define RD_KERNEL_INLINE static inline
#endif

const char *const rd_classifier_architecture_names[RD_NUM_CLASSIFIER_ARCHITECTURES] = {"mlp", "lenet"};

PetscErrorCode RdClassifierArchitectureFromName(const char *name, const char *option_name, RdClassifierArchitecture *architecture)
{
  PetscBool match = PETSC_FALSE;

  PetscFunctionBeginUser;
  for (int a = 0; a < RD_NUM_CLASSIFIER_ARCHITECTURES && name && !match; a++) {
    PetscCall(PetscStrcmp(name, rd_classifier_architecture_names[a], &match));
    if (match) *architecture = (RdClassifierArchitecture)a;
  }
  PetscCheck(match, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s must be mlp or lenet (got \"%s\")", option_name, name ? name : "(null)");
  PetscFunctionReturn(PETSC_SUCCESS);
}

RdLeNetShape RdLeNetShapeDefault(PetscInt channels, PetscInt height, PetscInt width)
{
  RdLeNetShape shape = {channels, height, width, RD_LENET_CONV1_CHANNELS, RD_LENET_CONV2_CHANNELS};
  return shape;
}

void RdClassifierNoiseDetailsDefault(RdClassifierArchitecture architecture, RdClassifierHyper *hyper)
{
  const PetscBool paper = architecture == RD_CLASSIFIER_LENET ? PETSC_TRUE : PETSC_FALSE;
  hyper->weight_mask    = paper ? RD_WEIGHT_MASK_PER_BATCH : RD_WEIGHT_MASK_PER_EXAMPLE;
  hyper->gradient_on    = paper ? RD_GRADIENT_NOISE_WEIGHTS : RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS;
}

RdClassifierLayout RdClassifierLayoutOf(const RdClassifierNet *net)
{
  const size_t       n0 = (size_t)net->flat_dim, n1 = (size_t)net->hidden_dim, n2 = (size_t)net->feature_dim, nc = (size_t)net->num_classes;
  const size_t       K2 = RD_LENET_KERNEL * RD_LENET_KERNEL;
  const PetscBool    lenet = net->architecture == RD_CLASSIFIER_LENET ? PETSC_TRUE : PETSC_FALSE;
  const size_t       c0 = (size_t)net->image.channels, c1 = (size_t)net->image.conv1_channels, c2 = (size_t)net->image.conv2_channels;
  RdClassifierLayout p;
  p.Wc1   = 0;
  p.bc1   = p.Wc1 + (lenet ? c1 * c0 * K2 : 0);
  p.Wc2   = p.bc1 + (lenet ? c1 : 0);
  p.bc2   = p.Wc2 + (lenet ? c2 * c1 * K2 : 0);
  p.W1    = p.bc2 + (lenet ? c2 : 0);
  p.b1    = p.W1 + n1 * n0;
  p.W2    = p.b1 + n1;
  p.b2    = p.W2 + n2 * n1;
  p.W3    = p.b2 + n2;
  p.b3    = p.W3 + nc * n2;
  p.total = p.b3 + nc;
  return p;
}

/* Views into net->work (mlp). Batched arrays are [examples][units] ("row per example") or, with a
 * T, [units][examples] with leading dimension = the batch in use: the transposed layout makes
 * every matrix product an axpy over contiguous rows (see MatMulAccumulate). The e_ vectors belong
 * to the one-example path (reference, loss gradient, probe, accuracy, and the weight-dropout
 * layers of the fast kernel). */
typedef struct {
  double *x, *xT;       /* [B][n0], [n0][B] gathered inputs */
  double *label;        /* [B] labels of the batch (as doubles: the work array is double) */
  double *h1T, *h1;     /* [n1][B], [B][n1] hidden activities */
  double *h2T, *h2;     /* [n2][B], [B][n2] feature activities */
  double *gateT;        /* [n2][B] relu'(z2') times the node-noise factor */
  double *factor;       /* [B][n2] node-noise factors in draw order */
  double *offset;       /* [B][n2] node-noise offsets in draw order */
  double *logitT;       /* [C][B] logits, then dCE/dlogits / B */
  double *dh2T, *dh1T;  /* [n2][B], [n1][B] back-propagated, then times relu' (and noise factor) */
  double *grad;         /* [P] the fast kernel's gradient */
  double *ref_grad;     /* [P] the reference's gradient */
  double *masked_W2;    /* [n2][n1] W2 . mask of a per-batch weight mask */
  RdClassifierExampleScratch e;
} ClassifierWork;

/* Lays the regions out one after another from base; returns the length in doubles (base NULL:
 * count only). */
static size_t ClassifierWorkCarve(PetscInt input_dim, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, size_t P, double *base, ClassifierWork *w)
{
  const size_t n0 = (size_t)input_dim, n1 = (size_t)hidden_dim, n2 = (size_t)feature_dim, nc = (size_t)num_classes, B = (size_t)max_batch;
  double     **region[] = {&w->x, &w->xT, &w->label, &w->h1T, &w->h1, &w->h2T, &w->h2, &w->gateT, &w->factor, &w->offset, &w->logitT, &w->dh2T, &w->dh1T, &w->grad, &w->ref_grad, &w->masked_W2, &w->e.mask, &w->e.z1, &w->e.h1, &w->e.z2, &w->e.h2, &w->e.factor, &w->e.offset, &w->e.logit, &w->e.delta3, &w->e.dh2, &w->e.dh1};
  const size_t length[] = {B * n0, n0 * B, B, n1 * B, B * n1, n2 * B, B * n2, n2 * B, B * n2, B * n2, nc * B, n2 * B, n1 * B, P, P, n2 * n1, n2 * n1, n1, n1, n2, n2, n2, n2, nc, nc, n2, n1};
  return RdCarve(base, region, length, sizeof(length) / sizeof(length[0]));
}

static ClassifierWork ClassifierWorkViews(const RdClassifierNet *net)
{
  ClassifierWork w;
  (void)ClassifierWorkCarve(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes, net->max_batch, RdClassifierLayoutOf(net).total, net->work, &w);
  return w;
}

/* Checks of the sizes both architectures share. */
static PetscErrorCode CheckSizes(PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch)
{
  PetscFunctionBeginUser;
  PetscCheck(hidden_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's hidden width must be at least 1 (got %" PetscInt_FMT ")", hidden_dim);
  PetscCheck(feature_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value (the classifier's feature width) must be at least 1 (got %" PetscInt_FMT ")", feature_dim);
  PetscCheck(num_classes >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier needs at least 2 classes (got %" PetscInt_FMT ")", num_classes);
  PetscCheck(max_batch >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's batch size must be at least 1 (got %" PetscInt_FMT ")", max_batch);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Allocates the parameter block, velocity and work of a net whose sizes are set, and points the
 * layer pointers into the block. */
static PetscErrorCode AllocateNet(RdClassifierNet *net, size_t work_length)
{
  const RdClassifierLayout p = RdClassifierLayoutOf(net);

  PetscFunctionBeginUser;
  PetscCall(PetscCalloc1(p.total, &net->params));
  if (net->architecture == RD_CLASSIFIER_LENET) {
    net->Wc1 = net->params + p.Wc1;
    net->bc1 = net->params + p.bc1;
    net->Wc2 = net->params + p.Wc2;
    net->bc2 = net->params + p.bc2;
  }
  net->W1 = net->params + p.W1;
  net->b1 = net->params + p.b1;
  net->W2 = net->params + p.W2;
  net->b2 = net->params + p.b2;
  net->W3 = net->params + p.W3;
  net->b3 = net->params + p.b3;
  PetscCall(PetscCalloc1(p.total, &net->velocity));
  PetscCall(PetscCalloc1(work_length, &net->work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierNetCreate(PetscInt input_dim, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, RdClassifierNet *net)
{
  ClassifierWork count_only;

  PetscFunctionBeginUser;
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's input dimension must be at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCall(CheckSizes(hidden_dim, feature_dim, num_classes, max_batch));
  PetscCall(PetscMemzero(net, sizeof(*net)));
  net->architecture = RD_CLASSIFIER_MLP;
  net->input_dim    = input_dim;
  net->flat_dim     = input_dim;
  net->hidden_dim   = hidden_dim;
  net->feature_dim  = feature_dim;
  net->num_classes  = num_classes;
  net->max_batch    = max_batch;
  PetscCall(AllocateNet(net, ClassifierWorkCarve(input_dim, hidden_dim, feature_dim, num_classes, max_batch, RdClassifierLayoutOf(net).total, NULL, &count_only)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierNetCreateLeNet(const RdLeNetShape *shape, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, RdClassifierNet *net)
{
  const PetscInt K = RD_LENET_KERNEL;

  PetscFunctionBeginUser;
  PetscCheck(shape->channels >= 1 && shape->conv1_channels >= 1 && shape->conv2_channels >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The lenet's channel counts must be at least 1 (input %" PetscInt_FMT ", conv1 %" PetscInt_FMT ", conv2 %" PetscInt_FMT ")", shape->channels, shape->conv1_channels, shape->conv2_channels);
  PetscCheck(shape->height >= RD_LENET_MIN_SIDE && shape->width >= RD_LENET_MIN_SIDE, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The lenet needs images of at least %d x %d pixels (two 5x5 convolutions and two 2x2 pools); got %" PetscInt_FMT " x %" PetscInt_FMT " (-input_shape C,H,W)", RD_LENET_MIN_SIDE, RD_LENET_MIN_SIDE, shape->height, shape->width);
  PetscCheck(shape->height <= 4096 && shape->width <= 4096 && shape->channels <= 4096 && shape->conv1_channels <= 4096 && shape->conv2_channels <= 4096, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The lenet's sizes must be at most 4096 (got input %" PetscInt_FMT " x %" PetscInt_FMT " x %" PetscInt_FMT ", conv %" PetscInt_FMT " and %" PetscInt_FMT ")", shape->channels, shape->height, shape->width, shape->conv1_channels, shape->conv2_channels);
  PetscCall(CheckSizes(hidden_dim, feature_dim, num_classes, max_batch));
  PetscCall(PetscMemzero(net, sizeof(*net)));
  net->architecture = RD_CLASSIFIER_LENET;
  net->image        = *shape;
  net->input_dim    = shape->channels * shape->height * shape->width;
  /* conv1 keeps H x W (padding 2), pool halves, conv2 takes 4 off, pool halves */
  net->flat_dim    = shape->conv2_channels * ((shape->height / 2 - (K - 1)) / 2) * ((shape->width / 2 - (K - 1)) / 2);
  net->hidden_dim  = hidden_dim;
  net->feature_dim = feature_dim;
  net->num_classes = num_classes;
  net->max_batch   = max_batch;
  PetscCall(AllocateNet(net, RdLeNetWorkSize_Internal(net)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierNetDestroy(RdClassifierNet *net)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(net->params)); /* the one parameter block */
  PetscCall(PetscFree(net->velocity));
  PetscCall(PetscFree(net->work));
  PetscCall(PetscMemzero(net, sizeof(*net)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt RdClassifierNumParameters(const RdClassifierNet *net) { return (PetscInt)RdClassifierLayoutOf(net).total; }

PetscInt RdClassifierFeatureLayerOffset(const RdClassifierNet *net) { return (PetscInt)RdClassifierLayoutOf(net).W2; }

void RdClassifierNetInit(RdClassifierNet *net, RdStream *init)
{
  const RdClassifierLayout p = RdClassifierLayoutOf(net);
  for (size_t i = 0; i < p.total; i++) net->params[i] = 0.0;
  if (net->architecture == RD_CLASSIFIER_LENET) RdLeNetInit_Internal(net, init); /* the conv filters come first */
  const size_t n0 = (size_t)net->flat_dim, n1 = (size_t)net->hidden_dim, n2 = (size_t)net->feature_dim, nc = (size_t)net->num_classes;
  const double sd1 = sqrt(2.0 / (double)n0), sd2 = sqrt(2.0 / (double)n1), sd3 = sqrt(2.0 / (double)n2);
  for (size_t i = 0; i < n1 * n0; i++) net->W1[i] = sd1 * RdStreamNormal(init);
  for (size_t i = 0; i < n2 * n1; i++) net->W2[i] = sd2 * RdStreamNormal(init);
  for (size_t i = 0; i < nc * n2; i++) net->W3[i] = sd3 * RdStreamNormal(init);
  for (size_t i = 0; i < p.total; i++) net->velocity[i] = 0.0;
}

PetscErrorCode RdClassifierHyperCheck(const RdClassifierNet *net, const RdClassifierHyper *hyper)
{
  PetscFunctionBeginUser;
  PetscCheck(hyper->lr > 0.0 && isfinite(hyper->lr), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The classifier's learning rate (-lr) must be finite and > 0 (got %g)", hyper->lr);
  PetscCheck(hyper->momentum >= 0.0 && hyper->momentum < 1.0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The classifier's momentum (-momentum) must be in [0, 1) (got %g)", hyper->momentum);
  PetscCheck(hyper->l2 >= 0.0 && isfinite(hyper->l2), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The classifier's weight decay (-l2) must be finite and >= 0 (got %g)", hyper->l2);
  PetscCheck(hyper->batch >= 1 && hyper->batch <= net->max_batch, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The classifier's batch size (-batch) must be in [1, %" PetscInt_FMT "], the size the network was created for (got %" PetscInt_FMT ")", net->max_batch, hyper->batch);
  PetscCall(RdNoiseCheck(&hyper->noise, "-noise_level"));
  PetscCheck((int)hyper->weight_mask >= 0 && hyper->weight_mask < RD_NUM_WEIGHT_MASK_SCOPES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Unknown weight-dropout mask scope %d (-weight_dropout_mask is per_example or per_batch)", (int)hyper->weight_mask);
  PetscCheck((int)hyper->gradient_on >= 0 && hyper->gradient_on < RD_NUM_GRADIENT_NOISE_TARGETS, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Unknown gradient-noise target %d (-gradient_noise_on is weights or weights_and_bias)", (int)hyper->gradient_on);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierTrainingSetCheck(const RdClassifierNet *net, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members)
{
  const PetscInt C = net->num_classes;

  PetscFunctionBeginUser;
  PetscCheck(n_examples >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's training set is empty");
  for (PetscInt k = 0; k < n_examples; k++) PetscCheck(labels[k] >= 0 && labels[k] < C, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Training label %" PetscInt_FMT " of example %" PetscInt_FMT " is outside [0, %" PetscInt_FMT ") (the number of classes)", labels[k], k, C);
  if (!class_cumulative) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCheck(class_offsets && class_members, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Class-weighted sampling needs the class index (class_offsets and class_members; RdClassifierClassIndex)");
  PetscCheck(class_offsets[0] == 0 && class_offsets[C] <= n_examples, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "class_offsets must start at 0 and end at most at the number of examples %" PetscInt_FMT " (got %" PetscInt_FMT ", %" PetscInt_FMT ")", n_examples, class_offsets[0], class_offsets[C]);
  PetscCheck(fabs(class_cumulative[C - 1] - 1.0) <= 1e-12, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The cumulative class presentation probabilities must end at 1 (got %.17g)", class_cumulative[C - 1]);
  for (PetscInt c = 0; c < C; c++) {
    const double previous = c > 0 ? class_cumulative[c - 1] : 0.0;
    PetscCheck(class_cumulative[c] >= previous && class_cumulative[c] <= 1.0 + 1e-12, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The cumulative class presentation probabilities must be nondecreasing in [0, 1] (entry %" PetscInt_FMT " is %g after %g)", c, class_cumulative[c], previous);
    PetscCheck(class_offsets[c + 1] >= class_offsets[c], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "class_offsets must be nondecreasing (class %" PetscInt_FMT ")", c);
    PetscCheck(class_cumulative[c] == previous || class_offsets[c + 1] > class_offsets[c], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Class %" PetscInt_FMT " is presented with probability %g but has no training example", c, class_cumulative[c] - previous);
    for (PetscInt k = class_offsets[c]; k < class_offsets[c + 1]; k++) PetscCheck(class_members[k] >= 0 && class_members[k] < n_examples, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "class_members[%" PetscInt_FMT "] = %" PetscInt_FMT " is not an example index", k, class_members[k]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierClassIndex(const PetscInt *labels, PetscInt n_examples, PetscInt num_classes, PetscInt *class_offsets, PetscInt *class_members)
{
  PetscFunctionBeginUser;
  for (PetscInt c = 0; c <= num_classes; c++) class_offsets[c] = 0;
  for (PetscInt k = 0; k < n_examples; k++) {
    PetscCheck(labels[k] >= 0 && labels[k] < num_classes, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Label %" PetscInt_FMT " of example %" PetscInt_FMT " is outside [0, %" PetscInt_FMT ")", labels[k], k, num_classes);
    class_offsets[labels[k] + 1]++;
  }
  for (PetscInt c = 0; c < num_classes; c++) class_offsets[c + 1] += class_offsets[c];
  /* fill with a running cursor per class kept in class_members' own slots would be cryptic: two
   * passes over the labels instead (the set is small and this runs once) */
  for (PetscInt c = 0; c < num_classes; c++) {
    PetscInt next = class_offsets[c];
    for (PetscInt k = 0; k < n_examples; k++)
      if (labels[k] == c) class_members[next++] = k;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}


/* ------------------------------------------------------------------------------------------ */
/* Pieces shared by every path.                                                                 */

double RdClassifierWeightNorm2_Internal(const double *params, RdClassifierLayout p)
{
  double sum = 0.0;
  for (size_t i = p.Wc1; i < p.bc1; i++) sum += params[i] * params[i];
  for (size_t i = p.Wc2; i < p.bc2; i++) sum += params[i] * params[i];
  for (size_t i = p.W1; i < p.b1; i++) sum += params[i] * params[i];
  for (size_t i = p.W2; i < p.b2; i++) sum += params[i] * params[i];
  for (size_t i = p.W3; i < p.b3; i++) sum += params[i] * params[i];
  return sum;
}

void RdClassifierFinishGradient_Internal(const double *params, RdClassifierLayout p, const RdClassifierHyper *hyper, RdStream *noise, double *grad)
{
  const double l2 = hyper->l2;
  for (size_t i = p.Wc1; i < p.bc1; i++) grad[i] += l2 * params[i];
  for (size_t i = p.Wc2; i < p.bc2; i++) grad[i] += l2 * params[i];
  for (size_t i = p.W1; i < p.b1; i++) grad[i] += l2 * params[i];
  for (size_t i = p.W2; i < p.b2; i++) grad[i] += l2 * params[i];
  for (size_t i = p.W3; i < p.b3; i++) grad[i] += l2 * params[i];
  if (hyper->noise.type == RD_NOISE_GRADIENT) RdNoiseAddGradient(&hyper->noise, RdNoiseGradientCount(hyper->gradient_on, p.b2 - p.W2, p.W3 - p.b2), noise, grad + p.W2);
}

/* ------------------------------------------------------------------------------------------ */
/* One example at a time, naive loops: the reference, the loss gradient, the probe, the accuracy. */

void RdClassifierHeadForward_Internal(const RdClassifierNet *net, const RdNoise *noise, const double *mask, const double *x, RdStream *stream, const RdClassifierExampleScratch *s)
{
  const PetscInt n0 = net->flat_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;

  for (PetscInt i = 0; i < n1; i++) {
    double z = net->b1[i];
    for (PetscInt k = 0; k < n0; k++) z += net->W1[RD_IDX2(i, k, n0)] * x[k];
    s->z1[i] = z;
    s->h1[i] = z > 0.0 ? z : 0.0;
  }
  for (PetscInt o = 0; o < n2; o++) {
    double z = net->b2[o];
    for (PetscInt i = 0; i < n1; i++) {
      const double weight = mask ? net->W2[RD_IDX2(o, i, n1)] * mask[RD_IDX2(o, i, n1)] : net->W2[RD_IDX2(o, i, n1)];
      z += weight * s->h1[i];
    }
    s->z2[o] = z;
  }
  RdNoiseDrawNode(noise, n2, stream, s->factor, s->offset); /* draws nothing for other types */
  for (PetscInt o = 0; o < n2; o++) {
    s->z2[o] = s->factor[o] * s->z2[o] + s->offset[o];
    s->h2[o] = s->z2[o] > 0.0 ? s->z2[o] : 0.0;
  }
  for (PetscInt c = 0; c < nc; c++) {
    double logit = net->b3[c];
    for (PetscInt j = 0; j < n2; j++) logit += net->W3[RD_IDX2(c, j, n2)] * s->h2[j];
    s->logit[c] = logit;
  }
}

double RdClassifierHeadGradient_Internal(const RdClassifierNet *net, const RdNoise *noise, const double *mask, const double *x, PetscInt label, double weight, RdStream *stream, const RdClassifierExampleScratch *s, double *grad, double *dx)
{
  const PetscInt           n0 = net->flat_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;
  const RdClassifierLayout p  = RdClassifierLayoutOf(net);
  double                  *gW1 = grad + p.W1, *gb1 = grad + p.b1, *gW2 = grad + p.W2, *gb2 = grad + p.b2, *gW3 = grad + p.W3, *gb3 = grad + p.b3;

  RdClassifierHeadForward_Internal(net, noise, mask, x, stream, s);
  const double ce = RdClassifierSoftmaxCrossEntropy_Internal(s->logit, 1, nc, label, s->delta3, 1);
  /* dCE/dlogit = p - onehot(label) */
  s->delta3[label] -= 1.0;
  for (PetscInt c = 0; c < nc; c++) s->delta3[c] *= weight;
  for (PetscInt c = 0; c < nc; c++) {
    for (PetscInt j = 0; j < n2; j++) gW3[RD_IDX2(c, j, n2)] += s->delta3[c] * s->h2[j];
    gb3[c] += s->delta3[c];
  }
  /* delta2 = W3^T delta3 . relu'(z2') . factor, in dh2 */
  for (PetscInt j = 0; j < n2; j++) {
    double back = 0.0;
    for (PetscInt c = 0; c < nc; c++) back += net->W3[RD_IDX2(c, j, n2)] * s->delta3[c];
    s->dh2[j] = back * (s->z2[j] > 0.0 ? s->factor[j] : 0.0);
  }
  for (PetscInt o = 0; o < n2; o++) {
    for (PetscInt i = 0; i < n1; i++) {
      if (mask) gW2[RD_IDX2(o, i, n1)] += (s->dh2[o] * s->h1[i]) * mask[RD_IDX2(o, i, n1)];
      else gW2[RD_IDX2(o, i, n1)] += s->dh2[o] * s->h1[i];
    }
    gb2[o] += s->dh2[o];
  }
  /* delta1 = (W2 . M)^T delta2 . relu'(z1), in dh1 */
  for (PetscInt i = 0; i < n1; i++) {
    double back = 0.0;
    for (PetscInt o = 0; o < n2; o++) {
      const double weight2 = mask ? net->W2[RD_IDX2(o, i, n1)] * mask[RD_IDX2(o, i, n1)] : net->W2[RD_IDX2(o, i, n1)];
      back += weight2 * s->dh2[o];
    }
    s->dh1[i] = s->z1[i] > 0.0 ? back : 0.0;
  }
  for (PetscInt i = 0; i < n1; i++) {
    for (PetscInt k = 0; k < n0; k++) gW1[RD_IDX2(i, k, n0)] += s->dh1[i] * x[k];
    gb1[i] += s->dh1[i];
  }
  if (dx) /* dCE/dx = W1^T delta1, the sum over i ascending */
    for (PetscInt k = 0; k < n0; k++) {
      double back = 0.0;
      for (PetscInt i = 0; i < n1; i++) back += net->W1[RD_IDX2(i, k, n0)] * s->dh1[i];
      dx[k] = back;
    }
  return ce;
}

double RdClassifierMaskedHeadGradient_Internal(const RdClassifierNet *net, const double *mask, const double *h1, PetscInt label, double weight, const RdClassifierExampleScratch *s, double *grad)
{
  const PetscInt           n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;
  const RdClassifierLayout p  = RdClassifierLayoutOf(net);
  const double *restrict   W2 = net->W2, *restrict W3 = net->W3;
  double *restrict         z2 = s->z2, *restrict h2 = s->h2, *restrict logit = s->logit, *restrict d3 = s->delta3, *restrict d2 = s->dh2;

  /* z2 = b2 + (W2 . M) h1, each sum over i ascending; four rows at a time so that four
   * independent dependency chains hide the adder latency */
  PetscInt o = 0;
  for (; o + 4 <= n2; o += 4) {
    const double *restrict r0 = W2 + RD_IDX2(o, 0, n1), *restrict r1 = r0 + n1, *restrict r2 = r1 + n1, *restrict r3 = r2 + n1;
    const double *restrict m0 = mask + RD_IDX2(o, 0, n1), *restrict m1 = m0 + n1, *restrict m2 = m1 + n1, *restrict m3 = m2 + n1;
    double s0 = net->b2[o], s1 = net->b2[o + 1], s2 = net->b2[o + 2], s3 = net->b2[o + 3];
    for (PetscInt i = 0; i < n1; i++) {
      const double hi = h1[i];
      s0 += (r0[i] * m0[i]) * hi;
      s1 += (r1[i] * m1[i]) * hi;
      s2 += (r2[i] * m2[i]) * hi;
      s3 += (r3[i] * m3[i]) * hi;
    }
    z2[o]     = s0;
    z2[o + 1] = s1;
    z2[o + 2] = s2;
    z2[o + 3] = s3;
  }
  for (; o < n2; o++) {
    const double *restrict row = W2 + RD_IDX2(o, 0, n1), *restrict mrow = mask + RD_IDX2(o, 0, n1);
    double z = net->b2[o];
    for (PetscInt i = 0; i < n1; i++) z += (row[i] * mrow[i]) * h1[i];
    z2[o] = z;
  }
  for (o = 0; o < n2; o++) h2[o] = z2[o] > 0.0 ? z2[o] : 0.0;
  for (PetscInt c = 0; c < nc; c++) {
    const double *restrict row = W3 + RD_IDX2(c, 0, n2);
    double logit_c = net->b3[c];
    for (PetscInt j = 0; j < n2; j++) logit_c += row[j] * h2[j];
    logit[c] = logit_c;
  }
  if (label < 0) return 0.0;
  double *restrict gW2 = grad + p.W2, *restrict gb2 = grad + p.b2, *restrict gW3 = grad + p.W3, *restrict gb3 = grad + p.b3;
  const double ce = RdClassifierSoftmaxCrossEntropy_Internal(logit, 1, nc, label, d3, 1);
  d3[label] -= 1.0;
  for (PetscInt c = 0; c < nc; c++) d3[c] *= weight;
  for (PetscInt c = 0; c < nc; c++) {
    double *restrict grow = gW3 + RD_IDX2(c, 0, n2);
    for (PetscInt j = 0; j < n2; j++) grow[j] += d3[c] * h2[j];
    gb3[c] += d3[c];
  }
  for (PetscInt j = 0; j < n2; j++) d2[j] = 0.0;
  for (PetscInt c = 0; c < nc; c++) {
    const double *restrict row = W3 + RD_IDX2(c, 0, n2);
    for (PetscInt j = 0; j < n2; j++) d2[j] += row[j] * d3[c];
  }
  for (PetscInt j = 0; j < n2; j++) d2[j] = d2[j] * (z2[j] > 0.0 ? 1.0 : 0.0);
  double *restrict dh1 = s->dh1;
  for (PetscInt i = 0; i < n1; i++) dh1[i] = 0.0;
  for (o = 0; o < n2; o++) {
    const double *restrict row = W2 + RD_IDX2(o, 0, n1), *restrict mrow = mask + RD_IDX2(o, 0, n1);
    double *restrict grow = gW2 + RD_IDX2(o, 0, n1);
    const double d2o = d2[o];
    for (PetscInt i = 0; i < n1; i++) {
      grow[i] += (d2o * h1[i]) * mrow[i];
      dh1[i] += (row[i] * mrow[i]) * d2o;
    }
    gb2[o] += d2o;
  }
  return ce;
}

/* The weight mask of the next example, or of the forward pass starting at example b of a pass of
 * `pass` examples (per_batch: at b % pass == 0): NULL without weight dropout. */
static const double *NextMask(const RdClassifierHyper *hyper, PetscInt b, PetscInt pass, size_t count, RdStream *stream, double *mask)
{
  if (RdClassifierMaskPerExample_Internal(hyper) || (RdClassifierMaskPerBatch_Internal(hyper) && b % pass == 0)) RdNoiseDrawWeightMask(&hyper->noise, count, stream, mask);
  return hyper->noise.type == RD_NOISE_WEIGHT_DROPOUT ? mask : NULL;
}

double RdClassifierLossGradient(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *gradient)
{
  if (net->architecture == RD_CLASSIFIER_LENET) return RdLeNetLossGradient_Internal(net, hyper, inputs, labels, n, noise, gradient);
  const RdClassifierLayout p     = RdClassifierLayoutOf(net);
  const ClassifierWork     w     = ClassifierWorkViews(net);
  const size_t             count = (size_t)net->feature_dim * (size_t)net->hidden_dim;
  double                   ce_sum = 0.0;

  for (size_t i = 0; i < p.total; i++) gradient[i] = 0.0;
  for (PetscInt b = 0; b < n; b++) {
    const double *mask = NextMask(hyper, b, n, count, noise, w.e.mask); /* the n examples are one forward pass */
    ce_sum += RdClassifierHeadGradient_Internal(net, &hyper->noise, mask, inputs + RD_IDX2(b, 0, net->input_dim), labels[b], 1.0 / (double)n, noise, &w.e, gradient, NULL);
  }
  const double loss = ce_sum / (double)n + 0.5 * hyper->l2 * RdClassifierWeightNorm2_Internal(net->params, p);
  RdClassifierFinishGradient_Internal(net->params, p, hyper, noise, gradient);
  return loss;
}

PetscInt RdClassifierTrainReference(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  if (nsteps <= 0 || hyper->batch < 1 || hyper->batch > net->max_batch || n_examples < 1) return 0;
  if (net->architecture == RD_CLASSIFIER_LENET) return RdLeNetTrainReference_Internal(net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
  const RdClassifierLayout p     = RdClassifierLayoutOf(net);
  const ClassifierWork     w     = ClassifierWorkViews(net);
  const PetscInt           batch = hyper->batch;
  const size_t             count = (size_t)net->feature_dim * (size_t)net->hidden_dim;

  for (PetscInt step = 0; step < nsteps; step++) {
    double ce_sum = 0.0;
    for (size_t i = 0; i < p.total; i++) w.ref_grad[i] = 0.0;
    for (PetscInt b = 0; b < batch; b++) {
      const PetscInt k = RdClassifierDrawExample_Internal(n_examples, net->num_classes, class_cumulative, class_offsets, class_members, sampling);
      if (k < 0) return step;
      const double *mask = NextMask(hyper, b, batch, count, noise, w.e.mask);
      ce_sum += RdClassifierHeadGradient_Internal(net, &hyper->noise, mask, inputs + RD_IDX2(k, 0, net->input_dim), labels[k], 1.0 / (double)batch, noise, &w.e, w.ref_grad, NULL);
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

/* A forward pass is at most hyper->batch examples (at least 1). */
static PetscInt ForwardPassLength(const RdClassifierHyper *hyper) { return PetscMax(hyper->batch, 1); }

void RdClassifierProbe(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, PetscInt n, RdStream *noise, double *features)
{
  if (net->architecture == RD_CLASSIFIER_LENET) {
    RdLeNetForward_Internal(net, hyper, inputs, n, noise, features, NULL);
    return;
  }
  const ClassifierWork w     = ClassifierWorkViews(net);
  const size_t         count = (size_t)net->feature_dim * (size_t)net->hidden_dim;
  for (PetscInt b = 0; b < n; b++) {
    const double *mask = NextMask(hyper, b, ForwardPassLength(hyper), count, noise, w.e.mask);
    RdClassifierHeadForward_Internal(net, &hyper->noise, mask, inputs + RD_IDX2(b, 0, net->input_dim), noise, &w.e);
    memcpy(features + RD_IDX2(b, 0, net->feature_dim), w.e.h2, (size_t)net->feature_dim * sizeof(double));
  }
}

/* Whether the first maximal of C logits is the label (an example with a NaN logit counts as
 * wrong) and, with ce, its cross-entropy (prob: [C] scratch). */
static PetscBool ScoreExample(const double *logit, PetscInt nc, PetscInt label, double *prob, double *ce)
{
  PetscBool has_nan = PETSC_FALSE;
  PetscInt  best    = 0;
  for (PetscInt c = 0; c < nc; c++) {
    if (isnan(logit[c])) has_nan = PETSC_TRUE;
    if (logit[c] > logit[best]) best = c; /* strict: the first maximal logit wins */
  }
  if (ce) *ce = RdClassifierSoftmaxCrossEntropy_Internal(logit, 1, nc, label, prob, 1);
  return !has_nan && best == label ? PETSC_TRUE : PETSC_FALSE;
}

/* Accuracy and mean cross-entropy of the lenet: one forward pass at a time (the same draws as one
 * pass over all n), scored in order. */
static double LeNetAccuracy(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *mean_loss)
{
  const PetscInt nc = net->num_classes, pass = PetscMin(ForwardPassLength(hyper), net->max_batch);
  double        *logits = RdLeNetScoreScratch_Internal(net), *prob = logits + (size_t)net->max_batch * (size_t)nc;
  PetscInt       correct = 0;
  double         ce_sum = 0.0, ce;

  for (PetscInt b0 = 0; b0 < n; b0 += pass) {
    const PetscInt m = PetscMin(pass, n - b0);
    RdLeNetForward_Internal(net, hyper, inputs + RD_IDX2(b0, 0, net->input_dim), m, noise, NULL, logits);
    for (PetscInt b = 0; b < m; b++) {
      if (ScoreExample(logits + RD_IDX2(b, 0, nc), nc, labels[b0 + b], prob, mean_loss ? &ce : NULL)) correct++;
      if (mean_loss) ce_sum += ce;
    }
  }
  if (mean_loss) *mean_loss = n > 0 ? ce_sum / (double)n : RD_NAN;
  return n > 0 ? (double)correct / (double)n : RD_NAN;
}

double RdClassifierNetAccuracy(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *mean_loss)
{
  if (net->architecture == RD_CLASSIFIER_LENET) return LeNetAccuracy(net, hyper, inputs, labels, n, noise, mean_loss);
  const ClassifierWork w       = ClassifierWorkViews(net);
  const PetscInt       nc      = net->num_classes;
  const size_t         count   = (size_t)net->feature_dim * (size_t)net->hidden_dim;
  PetscInt             correct = 0;
  double               ce_sum = 0.0, ce;

  for (PetscInt b = 0; b < n; b++) {
    const double *mask = NextMask(hyper, b, ForwardPassLength(hyper), count, noise, w.e.mask);
    RdClassifierHeadForward_Internal(net, &hyper->noise, mask, inputs + RD_IDX2(b, 0, net->input_dim), noise, &w.e);
    if (ScoreExample(w.e.logit, nc, labels[b], w.e.delta3, mean_loss ? &ce : NULL)) correct++;
    if (mean_loss) ce_sum += ce;
  }
  if (mean_loss) *mean_loss = n > 0 ? ce_sum / (double)n : RD_NAN;
  return n > 0 ? (double)correct / (double)n : RD_NAN;
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernel (mlp).                                                                           */

/* C[r][j] += sum_k A(r, k) Bm[k][j] for r < rows, j < cols, the sum over k ascending (the order of
 * the naive loops), with A(r, k) = A[r a_row + k a_inner] so a transposed A costs nothing. Every
 * product of the kernel has this axpy form over contiguous rows of Bm and C, which vectorises
 * across j without reassociating any sum, so both variants below give bit-identical results.
 *
 * Portable variant: four rows of C at a time share each row of Bm; C streams through L1. */
RD_KERNEL_INLINE void MatMulRows(PetscInt rows, PetscInt cols, PetscInt inner, const double *restrict A, size_t a_row, size_t a_inner, const double *restrict Bm, size_t ldb, double *restrict C, size_t ldc)
{
  PetscInt r = 0;
  for (; r + 4 <= rows; r += 4) {
    const double *a0 = A + (size_t)r * a_row, *a1 = a0 + a_row, *a2 = a1 + a_row, *a3 = a2 + a_row;
    double *restrict c0 = C + (size_t)r * ldc, *restrict c1 = c0 + ldc, *restrict c2 = c1 + ldc, *restrict c3 = c2 + ldc;
    for (PetscInt k = 0; k < inner; k++) {
      const double *restrict bk = Bm + (size_t)k * ldb;
      const double x0 = a0[(size_t)k * a_inner], x1 = a1[(size_t)k * a_inner], x2 = a2[(size_t)k * a_inner], x3 = a3[(size_t)k * a_inner];
      for (PetscInt j = 0; j < cols; j++) {
        const double b = bk[j];
        c0[j] += x0 * b;
        c1[j] += x1 * b;
        c2[j] += x2 * b;
        c3[j] += x3 * b;
      }
    }
  }
  for (; r < rows; r++) {
    const double *a0 = A + (size_t)r * a_row;
    double *restrict c0 = C + (size_t)r * ldc;
    for (PetscInt k = 0; k < inner; k++) {
      const double x0 = a0[(size_t)k * a_inner];
      const double *restrict bk = Bm + (size_t)k * ldb;
      for (PetscInt j = 0; j < cols; j++) c0[j] += x0 * bk[j];
    }
  }
}

#if RD_KERNEL_AVX2_DISPATCH
/* AVX2 variant (GCC/Clang vector extension, used only in the AVX2 copy of the kernel): tiles of
 * 4 rows x 8 columns of C stay in eight 4-wide registers for the whole k loop, so C is loaded and
 * stored once per tile instead of once per k. About 1.5x faster than MatMulRows in AVX2 and 3x
 * faster than it in SSE2 at the usual sizes; remainders fall back to MatMulRows' loops. No
 * function takes or returns a vector, so the baseline copy's ABI is untouched. */
typedef double RdVec4 __attribute__((vector_size(32)));

RD_KERNEL_INLINE void MatMulTiles(PetscInt rows, PetscInt cols, PetscInt inner, const double *restrict A, size_t a_row, size_t a_inner, const double *restrict Bm, size_t ldb, double *restrict C, size_t ldc)
{
  const PetscInt tiled_rows = rows - rows % 4, tiled_cols = cols - cols % 8;
  for (PetscInt r = 0; r < tiled_rows; r += 4) {
    const double *a0 = A + (size_t)r * a_row, *a1 = a0 + a_row, *a2 = a1 + a_row, *a3 = a2 + a_row;
    double *c[4] = {C + (size_t)r * ldc, C + (size_t)(r + 1) * ldc, C + (size_t)(r + 2) * ldc, C + (size_t)(r + 3) * ldc};
    for (PetscInt j = 0; j < tiled_cols; j += 8) {
      RdVec4 s[4][2], b0, b1;
      for (int q = 0; q < 4; q++) {
        memcpy(&s[q][0], c[q] + j, sizeof(RdVec4));
        memcpy(&s[q][1], c[q] + j + 4, sizeof(RdVec4));
      }
      for (PetscInt k = 0; k < inner; k++) {
        const double *bk = Bm + (size_t)k * ldb + j;
        const double  x0 = a0[(size_t)k * a_inner], x1 = a1[(size_t)k * a_inner], x2 = a2[(size_t)k * a_inner], x3 = a3[(size_t)k * a_inner];
        memcpy(&b0, bk, sizeof(RdVec4));
        memcpy(&b1, bk + 4, sizeof(RdVec4));
        s[0][0] += x0 * b0;
        s[0][1] += x0 * b1;
        s[1][0] += x1 * b0;
        s[1][1] += x1 * b1;
        s[2][0] += x2 * b0;
        s[2][1] += x2 * b1;
        s[3][0] += x3 * b0;
        s[3][1] += x3 * b1;
      }
      for (int q = 0; q < 4; q++) {
        memcpy(c[q] + j, &s[q][0], sizeof(RdVec4));
        memcpy(c[q] + j + 4, &s[q][1], sizeof(RdVec4));
      }
    }
    if (tiled_cols < cols) MatMulRows(4, cols - tiled_cols, inner, a0, a_row, a_inner, Bm + tiled_cols, ldb, C + (size_t)r * ldc + tiled_cols, ldc);
  }
  if (tiled_rows < rows) MatMulRows(rows - tiled_rows, cols, inner, A + (size_t)tiled_rows * a_row, a_row, a_inner, Bm, ldb, C + (size_t)tiled_rows * ldc, ldc);
}
#endif

/* wide is a compile-time constant in each copy of the kernel. */
RD_KERNEL_INLINE void MatMulAccumulate(int wide, PetscInt rows, PetscInt cols, PetscInt inner, const double *restrict A, size_t a_row, size_t a_inner, const double *restrict Bm, size_t ldb, double *restrict C, size_t ldc)
{
#if RD_KERNEL_AVX2_DISPATCH
  if (wide) {
    MatMulTiles(rows, cols, inner, A, a_row, a_inner, Bm, ldb, C, ldc);
    return;
  }
#else
  (void)wide;
#endif
  MatMulRows(rows, cols, inner, A, a_row, a_inner, Bm, ldb, C, ldc);
}

/* C[r][j] = value[r] (a bias broadcast over the batch, or 0 with value NULL). */
RD_KERNEL_INLINE void FillRows(PetscInt rows, PetscInt cols, const double *restrict value, double *restrict C)
{
  for (PetscInt r = 0; r < rows; r++) {
    const double v = value ? value[r] : 0.0;
    for (PetscInt j = 0; j < cols; j++) C[RD_IDX2(r, j, cols)] = v;
  }
}

/* T[j][b] = M[b][j], M [rows][cols]. */
RD_KERNEL_INLINE void Transpose(PetscInt rows, PetscInt cols, const double *restrict M, double *restrict T)
{
  for (PetscInt b = 0; b < rows; b++)
    for (PetscInt j = 0; j < cols; j++) T[RD_IDX2(j, b, rows)] = M[RD_IDX2(b, j, cols)];
}

/* sums[r] = sum_b M[r][b], b ascending (bias gradients). */
RD_KERNEL_INLINE void RowSums(PetscInt rows, PetscInt cols, const double *restrict M, double *restrict sums)
{
  for (PetscInt r = 0; r < rows; r++) {
    double s = 0.0;
    for (PetscInt b = 0; b < cols; b++) s += M[RD_IDX2(r, b, cols)];
    sums[r] = s;
  }
}

RD_KERNEL_INLINE PetscInt TrainSteps(int wide, RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt           n0 = net->input_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes, B = hyper->batch;
  const RdClassifierLayout p = RdClassifierLayoutOf(net);
  const ClassifierWork     w = ClassifierWorkViews(net);
  const RdNoise           *nz = &hyper->noise;
  const PetscBool          weight_dropout = RdClassifierMaskPerExample_Internal(hyper); /* per example: layers 2 and 3 one example at a time */
  const PetscBool          batch_mask     = RdClassifierMaskPerBatch_Internal(hyper);   /* one mask: W2 . M shared by the batch */
  const PetscBool          node_noise = nz->type == RD_NOISE_NODE_DROPOUT || nz->type == RD_NOISE_ADDITIVE || nz->type == RD_NOISE_MULTIPLICATIVE ? PETSC_TRUE : PETSC_FALSE;
  const double             weight = 1.0 / (double)B;
  const size_t             count2 = (size_t)n2 * (size_t)n1;
  double *restrict         params = net->params, *restrict grad = w.grad;
  const double            *W2 = batch_mask ? w.masked_W2 : net->W2;

  for (PetscInt step = 0; step < nsteps; step++) {
    double ce_sum = 0.0;
    if (batch_mask) {
      RdNoiseDrawWeightMask(nz, count2, noise, w.e.mask);
      for (size_t i = 0; i < count2; i++) w.masked_W2[i] = net->W2[i] * w.e.mask[i];
    }
    /* gather the batch; the sampling stream is consumed example by example */
    for (PetscInt b = 0; b < B; b++) {
      const PetscInt k = RdClassifierDrawExample_Internal(n_examples, nc, class_cumulative, class_offsets, class_members, sampling);
      if (k < 0) return step;
      memcpy(w.x + RD_IDX2(b, 0, n0), inputs + RD_IDX2(k, 0, n0), (size_t)n0 * sizeof(double));
      w.label[b] = (double)labels[k];
    }
    Transpose(B, n0, w.x, w.xT);
    /* layer 1: h1T = relu(b1 + W1 xT) */
    FillRows(n1, B, net->b1, w.h1T);
    MatMulAccumulate(wide, n1, B, n0, net->W1, (size_t)n0, 1, w.xT, (size_t)B, w.h1T, (size_t)B);
    for (size_t i = 0; i < (size_t)n1 * (size_t)B; i++) w.h1T[i] = w.h1T[i] > 0.0 ? w.h1T[i] : 0.0;
    Transpose(n1, B, w.h1T, w.h1);

    if (weight_dropout) {
      for (size_t i = p.W2; i < p.total; i++) grad[i] = 0.0; /* W2 b2 W3 b3 accumulate per example */
      for (PetscInt b = 0; b < B; b++) {
        RdNoiseDrawWeightMask(nz, count2, noise, w.e.mask);
        ce_sum += RdClassifierMaskedHeadGradient_Internal(net, w.e.mask, w.h1 + RD_IDX2(b, 0, n1), (PetscInt)w.label[b], weight, &w.e, grad);
        for (PetscInt i = 0; i < n1; i++) w.dh1T[RD_IDX2(i, b, B)] = w.e.dh1[i];
      }
    } else {
      /* layer 2 with the node noise of each example: z2' = factor z2 + offset, h2 = relu(z2') */
      FillRows(n2, B, net->b2, w.h2T);
      MatMulAccumulate(wide, n2, B, n1, W2, (size_t)n1, 1, w.h1T, (size_t)B, w.h2T, (size_t)B);
      if (node_noise) {
        for (PetscInt b = 0; b < B; b++) RdNoiseDrawNode(nz, n2, noise, w.factor + RD_IDX2(b, 0, n2), w.offset + RD_IDX2(b, 0, n2));
        for (PetscInt o = 0; o < n2; o++)
          for (PetscInt b = 0; b < B; b++) {
            const double f = w.factor[RD_IDX2(b, o, n2)], z = f * w.h2T[RD_IDX2(o, b, B)] + w.offset[RD_IDX2(b, o, n2)];
            w.gateT[RD_IDX2(o, b, B)] = z > 0.0 ? f : 0.0;
            w.h2T[RD_IDX2(o, b, B)]   = z > 0.0 ? z : 0.0;
          }
      } else {
        for (size_t i = 0; i < (size_t)n2 * (size_t)B; i++) {
          const double z = w.h2T[i];
          w.gateT[i]     = z > 0.0 ? 1.0 : 0.0;
          w.h2T[i]       = z > 0.0 ? z : 0.0;
        }
      }
      Transpose(n2, B, w.h2T, w.h2);
      /* layer 3 and the softmax: logitT becomes (p - onehot) / B */
      FillRows(nc, B, net->b3, w.logitT);
      MatMulAccumulate(wide, nc, B, n2, net->W3, (size_t)n2, 1, w.h2T, (size_t)B, w.logitT, (size_t)B);
      for (PetscInt b = 0; b < B; b++) {
        const PetscInt label = (PetscInt)w.label[b];
        double        *column = w.logitT + b;
        ce_sum += RdClassifierSoftmaxCrossEntropy_Internal(column, (size_t)B, nc, label, column, (size_t)B);
        column[(size_t)label * (size_t)B] -= 1.0;
        for (PetscInt c = 0; c < nc; c++) column[(size_t)c * (size_t)B] *= weight;
      }
    }
    const double loss = ce_sum / (double)B + 0.5 * hyper->l2 * RdClassifierWeightNorm2_Internal(params, p);
    if (!isfinite(loss)) return step;

    if (!weight_dropout) {
      /* gW3 = delta3 h2, gb3; delta2 = (W3^T delta3) . gate; gW2 = delta2 h1, gb2; dh1 = W2^T delta2 */
      FillRows(nc, n2, NULL, grad + p.W3);
      MatMulAccumulate(wide, nc, n2, B, w.logitT, (size_t)B, 1, w.h2, (size_t)n2, grad + p.W3, (size_t)n2);
      RowSums(nc, B, w.logitT, grad + p.b3);
      FillRows(n2, B, NULL, w.dh2T);
      MatMulAccumulate(wide, n2, B, nc, net->W3, 1, (size_t)n2, w.logitT, (size_t)B, w.dh2T, (size_t)B);
      for (size_t i = 0; i < (size_t)n2 * (size_t)B; i++) w.dh2T[i] *= w.gateT[i];
      FillRows(n2, n1, NULL, grad + p.W2);
      MatMulAccumulate(wide, n2, n1, B, w.dh2T, (size_t)B, 1, w.h1, (size_t)n1, grad + p.W2, (size_t)n1);
      if (batch_mask) /* d(loss)/dW2 = d(loss)/d(W2 . M) . M */
        for (size_t i = 0; i < count2; i++) grad[p.W2 + i] *= w.e.mask[i];
      RowSums(n2, B, w.dh2T, grad + p.b2);
      FillRows(n1, B, NULL, w.dh1T);
      MatMulAccumulate(wide, n1, B, n2, W2, 1, (size_t)n1, w.dh2T, (size_t)B, w.dh1T, (size_t)B);
    }
    /* delta1 = dh1 . relu'(z1) (h1 > 0 iff z1 > 0); gW1 = delta1 x, gb1 */
    for (size_t i = 0; i < (size_t)n1 * (size_t)B; i++) w.dh1T[i] = w.h1T[i] > 0.0 ? w.dh1T[i] : 0.0;
    FillRows(n1, n0, NULL, grad + p.W1);
    MatMulAccumulate(wide, n1, n0, B, w.dh1T, (size_t)B, 1, w.x, (size_t)n0, grad + p.W1, (size_t)n0);
    RowSums(n1, B, w.dh1T, grad + p.b1);

    RdClassifierFinishGradient_Internal(params, p, hyper, noise, grad);
    RdClassifierMomentumUpdate_Internal(p.total, hyper->lr, hyper->momentum, grad, net->velocity, params);
  }
  return nsteps;
}

static PetscInt TrainBaseline(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return TrainSteps(0, net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
}

#if RD_KERNEL_AVX2_DISPATCH
__attribute__((target("avx2"))) static PetscInt TrainAVX2(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return TrainSteps(1, net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
}
#endif

PetscInt RdClassifierTrain(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  if (nsteps <= 0 || hyper->batch < 1 || hyper->batch > net->max_batch || n_examples < 1) return 0; /* and draw nothing */
  if (net->architecture == RD_CLASSIFIER_LENET) return RdLeNetTrain_Internal(net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
#if RD_KERNEL_AVX2_DISPATCH
  if (__builtin_cpu_supports("avx2")) return TrainAVX2(net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
#endif
  return TrainBaseline(net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
}
