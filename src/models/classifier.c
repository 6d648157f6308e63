/* Classifier network (input -> hidden ReLU -> feature ReLU -> softmax readout) trained by minibatch
 * SGD with momentum: the batched training kernel (RdClassifierTrain), its one-example-at-a-time
 * reference, the loss gradient, the probe and the accuracy. Contract: include/repdrift/models/classifier.h.
 *
 * Determinism: every sum below has an order fixed in the source (no -ffast-math, strict C11 so no
 * FMA contraction), so a run is bit-reproducible whatever vector width the compiler picks. The
 * batched kernel keeps every sum in the reference's order (over the inner index ascending for the
 * forward pass and for back-propagation, over the examples of the batch ascending for the
 * gradients), so the two usually agree bit for bit; the tests allow rounding differences. */
#include <repdrift/dense.h>
#include <repdrift/models/classifier.h>
#include <math.h>
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

/* Parameter layout: W1 b1 W2 b2 W3 b3 in one block. */
typedef struct {
  size_t W1, b1, W2, b2, W3, b3, total;
} ParamLayout;

static ParamLayout Layout(PetscInt input_dim, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes)
{
  const size_t n0 = (size_t)input_dim, n1 = (size_t)hidden_dim, n2 = (size_t)feature_dim, nc = (size_t)num_classes;
  ParamLayout  p;
  p.W1    = 0;
  p.b1    = p.W1 + n1 * n0;
  p.W2    = p.b1 + n1;
  p.b2    = p.W2 + n2 * n1;
  p.W3    = p.b2 + n2;
  p.b3    = p.W3 + nc * n2;
  p.total = p.b3 + nc;
  return p;
}

/* Views into net->work. Batched arrays are [examples][units] ("row per example") or, with a T,
 * [units][examples] with leading dimension = the batch in use: the transposed layout makes every
 * matrix product an axpy over contiguous rows (see MatMulAccumulate). The e_ vectors belong to the
 * one-example path (reference, loss gradient, probe, accuracy, and the weight-dropout layers of
 * the fast kernel). */
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
  double *mask;         /* [n2][n1] weight-dropout mask of the current example */
  double *e_z1, *e_h1, *e_z2, *e_h2, *e_factor, *e_offset, *e_logit, *e_delta3, *e_dh2, *e_dh1;
} ClassifierWork;

/* Lays the regions out one after another from base; returns the length in doubles (base NULL:
 * count only). */
static size_t ClassifierWorkCarve(PetscInt input_dim, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, double *base, ClassifierWork *w)
{
  const size_t n0 = (size_t)input_dim, n1 = (size_t)hidden_dim, n2 = (size_t)feature_dim, nc = (size_t)num_classes, B = (size_t)max_batch;
  const size_t P        = Layout(input_dim, hidden_dim, feature_dim, num_classes).total;
  double     **region[] = {&w->x, &w->xT, &w->label, &w->h1T, &w->h1, &w->h2T, &w->h2, &w->gateT, &w->factor, &w->offset, &w->logitT, &w->dh2T, &w->dh1T, &w->grad, &w->ref_grad, &w->mask, &w->e_z1, &w->e_h1, &w->e_z2, &w->e_h2, &w->e_factor, &w->e_offset, &w->e_logit, &w->e_delta3, &w->e_dh2, &w->e_dh1};
  const size_t length[] = {B * n0, n0 * B, B, n1 * B, B * n1, n2 * B, B * n2, n2 * B, B * n2, B * n2, nc * B, n2 * B, n1 * B, P, P, n2 * n1, n1, n1, n2, n2, n2, n2, nc, nc, n2, n1};
  return RdCarve(base, region, length, sizeof(length) / sizeof(length[0]));
}

static ClassifierWork ClassifierWorkViews(const RdClassifierNet *net)
{
  ClassifierWork w;
  (void)ClassifierWorkCarve(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes, net->max_batch, net->work, &w);
  return w;
}

PetscErrorCode RdClassifierNetCreate(PetscInt input_dim, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, RdClassifierNet *net)
{
  ClassifierWork count_only;

  PetscFunctionBeginUser;
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's input dimension must be at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCheck(hidden_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's hidden width must be at least 1 (got %" PetscInt_FMT ")", hidden_dim);
  PetscCheck(feature_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value (the classifier's feature width) must be at least 1 (got %" PetscInt_FMT ")", feature_dim);
  PetscCheck(num_classes >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier needs at least 2 classes (got %" PetscInt_FMT ")", num_classes);
  PetscCheck(max_batch >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The classifier's batch size must be at least 1 (got %" PetscInt_FMT ")", max_batch);
  const ParamLayout p = Layout(input_dim, hidden_dim, feature_dim, num_classes);
  net->input_dim      = input_dim;
  net->hidden_dim     = hidden_dim;
  net->feature_dim    = feature_dim;
  net->num_classes    = num_classes;
  net->max_batch      = max_batch;
  PetscCall(PetscCalloc1(p.total, &net->W1));
  net->b1 = net->W1 + p.b1;
  net->W2 = net->W1 + p.W2;
  net->b2 = net->W1 + p.b2;
  net->W3 = net->W1 + p.W3;
  net->b3 = net->W1 + p.b3;
  PetscCall(PetscCalloc1(p.total, &net->velocity));
  PetscCall(PetscCalloc1(ClassifierWorkCarve(input_dim, hidden_dim, feature_dim, num_classes, max_batch, NULL, &count_only), &net->work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierNetDestroy(RdClassifierNet *net)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(net->W1)); /* the one parameter block */
  PetscCall(PetscFree(net->velocity));
  PetscCall(PetscFree(net->work));
  net->b1 = net->W2 = net->b2 = net->W3 = net->b3 = NULL;
  net->input_dim = net->hidden_dim = net->feature_dim = net->num_classes = net->max_batch = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt RdClassifierNumParameters(const RdClassifierNet *net)
{
  return (PetscInt)Layout(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes).total;
}

PetscInt RdClassifierFeatureLayerOffset(const RdClassifierNet *net)
{
  return (PetscInt)Layout(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes).W2;
}

void RdClassifierNetInit(RdClassifierNet *net, RdStream *init)
{
  const ParamLayout p  = Layout(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes);
  const size_t      n0 = (size_t)net->input_dim, n1 = (size_t)net->hidden_dim, n2 = (size_t)net->feature_dim, nc = (size_t)net->num_classes;
  const double      sd1 = sqrt(2.0 / (double)n0), sd2 = sqrt(2.0 / (double)n1), sd3 = sqrt(2.0 / (double)n2);
  for (size_t i = 0; i < p.total; i++) net->W1[i] = 0.0;
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

/* Example index of one draw (order in classifier.h); -1 when the drawn class has no member. */
RD_KERNEL_INLINE PetscInt DrawExample(PetscInt n_examples, PetscInt num_classes, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, RdStream *sampling)
{
  if (!class_cumulative) return (PetscInt)RdStreamBelow(sampling, (uint32_t)n_examples);
  const int      c    = RdStreamCategorical(sampling, class_cumulative, (int)num_classes);
  const PetscInt size = class_offsets[c + 1] - class_offsets[c];
  if (size <= 0) return -1; /* RdStreamBelow(0) would divide by zero */
  return class_members[class_offsets[c] + (PetscInt)RdStreamBelow(sampling, (uint32_t)size)];
}

/* Softmax of C logits (stride apart) into prob (pstride apart; may be the logits themselves) and
 * the cross-entropy -log p[label] = logsumexp - logit[label], with the maximum subtracted so that
 * large logits do not overflow. A non-finite logit makes the result non-finite. */
RD_KERNEL_INLINE double SoftmaxCrossEntropy(const double *logit, size_t stride, PetscInt C, PetscInt label, double *prob, size_t pstride)
{
  double top = logit[0], sum = 0.0;
  for (PetscInt c = 1; c < C; c++) top = logit[c * stride] > top ? logit[c * stride] : top;
  for (PetscInt c = 0; c < C; c++) sum += exp(logit[c * stride] - top);
  const double ce = (top + log(sum)) - logit[label * stride];
  for (PetscInt c = 0; c < C; c++) prob[c * pstride] = exp(logit[c * stride] - top) / sum;
  return ce;
}

/* Sum of squared weights W1, W2, W3 (biases are not decayed), in parameter order. */
RD_KERNEL_INLINE double WeightNorm2(const double *params, ParamLayout p)
{
  double sum = 0.0;
  for (size_t i = p.W1; i < p.b1; i++) sum += params[i] * params[i];
  for (size_t i = p.W2; i < p.b2; i++) sum += params[i] * params[i];
  for (size_t i = p.W3; i < p.b3; i++) sum += params[i] * params[i];
  return sum;
}

/* The data gradient is in grad: add l2 W to the weights' entries, then the gradient noise on
 * W2, b2 (drawn here, after the examples' draws). */
RD_KERNEL_INLINE void FinishGradient(const double *params, ParamLayout p, const RdClassifierHyper *hyper, RdStream *noise, double *grad)
{
  const double l2 = hyper->l2;
  for (size_t i = p.W1; i < p.b1; i++) grad[i] += l2 * params[i];
  for (size_t i = p.W2; i < p.b2; i++) grad[i] += l2 * params[i];
  for (size_t i = p.W3; i < p.b3; i++) grad[i] += l2 * params[i];
  if (hyper->noise.type == RD_NOISE_GRADIENT) RdNoiseAddGradient(&hyper->noise, p.W3 - p.W2, noise, grad + p.W2);
}

/* velocity = momentum velocity - lr g; param += velocity. */
RD_KERNEL_INLINE void MomentumUpdate(size_t count, double lr, double momentum, const double *restrict grad, double *restrict velocity, double *restrict params)
{
  for (size_t i = 0; i < count; i++) {
    velocity[i] = momentum * velocity[i] - lr * grad[i];
    params[i] += velocity[i];
  }
}

/* ------------------------------------------------------------------------------------------ */
/* One example at a time, naive loops: the reference, the loss gradient, the probe, the accuracy. */

/* Forward pass of one example x with its noise drawn from stream (weight mask, then node noise,
 * as documented). Leaves z1, h1 (and the mask) for back-propagation, the noisy pre-activation z2',
 * the node-noise factor, h2 and the logits in the e_ vectors. */
static void NaiveForward(const RdClassifierNet *net, const RdNoise *noise, const double *x, RdStream *stream, const ClassifierWork *w)
{
  const PetscInt  n0 = net->input_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;
  const PetscBool weight_dropout = noise->type == RD_NOISE_WEIGHT_DROPOUT ? PETSC_TRUE : PETSC_FALSE;

  for (PetscInt i = 0; i < n1; i++) {
    double z = net->b1[i];
    for (PetscInt k = 0; k < n0; k++) z += net->W1[RD_IDX2(i, k, n0)] * x[k];
    w->e_z1[i] = z;
    w->e_h1[i] = z > 0.0 ? z : 0.0;
  }
  if (weight_dropout) RdNoiseDrawWeightMask(noise, (size_t)n2 * (size_t)n1, stream, w->mask);
  for (PetscInt o = 0; o < n2; o++) {
    double z = net->b2[o];
    for (PetscInt i = 0; i < n1; i++) {
      const double weight = weight_dropout ? net->W2[RD_IDX2(o, i, n1)] * w->mask[RD_IDX2(o, i, n1)] : net->W2[RD_IDX2(o, i, n1)];
      z += weight * w->e_h1[i];
    }
    w->e_z2[o] = z;
  }
  RdNoiseDrawNode(noise, n2, stream, w->e_factor, w->e_offset); /* draws nothing for other types */
  for (PetscInt o = 0; o < n2; o++) {
    w->e_z2[o] = w->e_factor[o] * w->e_z2[o] + w->e_offset[o];
    w->e_h2[o] = w->e_z2[o] > 0.0 ? w->e_z2[o] : 0.0;
  }
  for (PetscInt c = 0; c < nc; c++) {
    double logit = net->b3[c];
    for (PetscInt j = 0; j < n2; j++) logit += net->W3[RD_IDX2(c, j, n2)] * w->e_h2[j];
    w->e_logit[c] = logit;
  }
}

/* Forward and backward pass of one example: adds weight * dCE/dparams to grad (layout as the
 * parameters) and returns its cross-entropy. */
static double NaiveExampleGradient(const RdClassifierNet *net, const RdNoise *noise, const double *x, PetscInt label, double weight, RdStream *stream, const ClassifierWork *w, double *grad)
{
  const PetscInt    n0 = net->input_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;
  const ParamLayout p  = Layout(n0, n1, n2, nc);
  const PetscBool   weight_dropout = noise->type == RD_NOISE_WEIGHT_DROPOUT ? PETSC_TRUE : PETSC_FALSE;
  double           *gW1 = grad + p.W1, *gb1 = grad + p.b1, *gW2 = grad + p.W2, *gb2 = grad + p.b2, *gW3 = grad + p.W3, *gb3 = grad + p.b3;

  NaiveForward(net, noise, x, stream, w);
  const double ce = SoftmaxCrossEntropy(w->e_logit, 1, nc, label, w->e_delta3, 1);
  /* dCE/dlogit = p - onehot(label) */
  w->e_delta3[label] -= 1.0;
  for (PetscInt c = 0; c < nc; c++) w->e_delta3[c] *= weight;
  for (PetscInt c = 0; c < nc; c++) {
    for (PetscInt j = 0; j < n2; j++) gW3[RD_IDX2(c, j, n2)] += w->e_delta3[c] * w->e_h2[j];
    gb3[c] += w->e_delta3[c];
  }
  /* delta2 = W3^T delta3 . relu'(z2') . factor, in e_dh2 */
  for (PetscInt j = 0; j < n2; j++) {
    double back = 0.0;
    for (PetscInt c = 0; c < nc; c++) back += net->W3[RD_IDX2(c, j, n2)] * w->e_delta3[c];
    w->e_dh2[j] = back * (w->e_z2[j] > 0.0 ? w->e_factor[j] : 0.0);
  }
  for (PetscInt o = 0; o < n2; o++) {
    for (PetscInt i = 0; i < n1; i++) {
      if (weight_dropout) gW2[RD_IDX2(o, i, n1)] += (w->e_dh2[o] * w->e_h1[i]) * w->mask[RD_IDX2(o, i, n1)];
      else gW2[RD_IDX2(o, i, n1)] += w->e_dh2[o] * w->e_h1[i];
    }
    gb2[o] += w->e_dh2[o];
  }
  /* delta1 = (W2 . M)^T delta2 . relu'(z1), in e_dh1 */
  for (PetscInt i = 0; i < n1; i++) {
    double back = 0.0;
    for (PetscInt o = 0; o < n2; o++) {
      const double weight2 = weight_dropout ? net->W2[RD_IDX2(o, i, n1)] * w->mask[RD_IDX2(o, i, n1)] : net->W2[RD_IDX2(o, i, n1)];
      back += weight2 * w->e_dh2[o];
    }
    w->e_dh1[i] = w->e_z1[i] > 0.0 ? back : 0.0;
  }
  for (PetscInt i = 0; i < n1; i++) {
    for (PetscInt k = 0; k < n0; k++) gW1[RD_IDX2(i, k, n0)] += w->e_dh1[i] * x[k];
    gb1[i] += w->e_dh1[i];
  }
  return ce;
}

double RdClassifierLossGradient(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *gradient)
{
  const ParamLayout    p = Layout(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes);
  const ClassifierWork w = ClassifierWorkViews(net);
  double               ce_sum = 0.0;

  for (size_t i = 0; i < p.total; i++) gradient[i] = 0.0;
  for (PetscInt b = 0; b < n; b++) ce_sum += NaiveExampleGradient(net, &hyper->noise, inputs + RD_IDX2(b, 0, net->input_dim), labels[b], 1.0 / (double)n, noise, &w, gradient);
  const double loss = ce_sum / (double)n + 0.5 * hyper->l2 * WeightNorm2(net->W1, p);
  FinishGradient(net->W1, p, hyper, noise, gradient);
  return loss;
}

PetscInt RdClassifierTrainReference(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const ParamLayout    p = Layout(net->input_dim, net->hidden_dim, net->feature_dim, net->num_classes);
  const ClassifierWork w = ClassifierWorkViews(net);
  const PetscInt       batch = hyper->batch;

  if (nsteps <= 0 || batch < 1 || batch > net->max_batch || n_examples < 1) return 0;
  for (PetscInt step = 0; step < nsteps; step++) {
    double ce_sum = 0.0;
    for (size_t i = 0; i < p.total; i++) w.ref_grad[i] = 0.0;
    for (PetscInt b = 0; b < batch; b++) {
      const PetscInt k = DrawExample(n_examples, net->num_classes, class_cumulative, class_offsets, class_members, sampling);
      if (k < 0) return step;
      ce_sum += NaiveExampleGradient(net, &hyper->noise, inputs + RD_IDX2(k, 0, net->input_dim), labels[k], 1.0 / (double)batch, noise, &w, w.ref_grad);
    }
    const double loss = ce_sum / (double)batch + 0.5 * hyper->l2 * WeightNorm2(net->W1, p);
    if (!isfinite(loss)) return step;
    FinishGradient(net->W1, p, hyper, noise, w.ref_grad);
    for (size_t i = 0; i < p.total; i++) {
      net->velocity[i] = hyper->momentum * net->velocity[i] - hyper->lr * w.ref_grad[i];
      net->W1[i] += net->velocity[i];
    }
  }
  return nsteps;
}

void RdClassifierProbe(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, PetscInt n, RdStream *noise, double *features)
{
  const ClassifierWork w = ClassifierWorkViews(net);
  for (PetscInt b = 0; b < n; b++) {
    NaiveForward(net, &hyper->noise, inputs + RD_IDX2(b, 0, net->input_dim), noise, &w);
    memcpy(features + RD_IDX2(b, 0, net->feature_dim), w.e_h2, (size_t)net->feature_dim * sizeof(double));
  }
}

double RdClassifierNetAccuracy(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *mean_loss)
{
  const ClassifierWork w       = ClassifierWorkViews(net);
  const PetscInt       nc      = net->num_classes;
  PetscInt             correct = 0;
  double               ce_sum  = 0.0;

  for (PetscInt b = 0; b < n; b++) {
    PetscBool has_nan = PETSC_FALSE;
    PetscInt  best    = 0;
    NaiveForward(net, &hyper->noise, inputs + RD_IDX2(b, 0, net->input_dim), noise, &w);
    for (PetscInt c = 0; c < nc; c++) {
      if (isnan(w.e_logit[c])) has_nan = PETSC_TRUE;
      if (w.e_logit[c] > w.e_logit[best]) best = c; /* strict: the first maximal logit wins */
    }
    if (!has_nan && best == labels[b]) correct++;
    if (mean_loss) ce_sum += SoftmaxCrossEntropy(w.e_logit, 1, nc, labels[b], w.e_delta3, 1);
  }
  if (mean_loss) *mean_loss = n > 0 ? ce_sum / (double)n : RD_NAN;
  return n > 0 ? (double)correct / (double)n : RD_NAN;
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernel.                                                                                 */

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

/* Layers 2 and 3 of one example under weight dropout (the mask differs per example, so these
 * layers cannot share a matrix product across the batch): draws the mask, runs forward and
 * backward as NaiveExampleGradient does, adds this example's share to gW3, gb3, gW2, gb2 and
 * writes its delta of the hidden layer before relu' into dh1T[:, b]. Returns its cross-entropy. */
RD_KERNEL_INLINE double WeightDropoutExample(const RdClassifierNet *net, const RdNoise *noise, PetscInt b, PetscInt batch, PetscInt label, double weight, RdStream *stream, const ClassifierWork *w, ParamLayout p)
{
  const PetscInt n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes;
  const double *restrict W2 = net->W2, *restrict W3 = net->W3, *restrict h1 = w->h1 + RD_IDX2(b, 0, n1);
  double *restrict mask = w->mask, *restrict z2 = w->e_z2, *restrict h2 = w->e_h2, *restrict logit = w->e_logit, *restrict d3 = w->e_delta3, *restrict d2 = w->e_dh2;
  double *restrict gW2 = w->grad + p.W2, *restrict gb2 = w->grad + p.b2, *restrict gW3 = w->grad + p.W3, *restrict gb3 = w->grad + p.b3;

  RdNoiseDrawWeightMask(noise, (size_t)n2 * (size_t)n1, stream, mask);
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
  const double ce = SoftmaxCrossEntropy(logit, 1, nc, label, d3, 1);
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
  double *restrict dh1 = w->e_dh1;
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
  for (PetscInt i = 0; i < n1; i++) w->dh1T[RD_IDX2(i, b, batch)] = dh1[i];
  return ce;
}

RD_KERNEL_INLINE PetscInt TrainSteps(int wide, RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt       n0 = net->input_dim, n1 = net->hidden_dim, n2 = net->feature_dim, nc = net->num_classes, B = hyper->batch;
  const ParamLayout    p = Layout(n0, n1, n2, nc);
  const ClassifierWork w = ClassifierWorkViews(net);
  const RdNoise       *nz = &hyper->noise;
  const PetscBool      weight_dropout = nz->type == RD_NOISE_WEIGHT_DROPOUT ? PETSC_TRUE : PETSC_FALSE;
  const PetscBool      node_noise = nz->type == RD_NOISE_NODE_DROPOUT || nz->type == RD_NOISE_ADDITIVE || nz->type == RD_NOISE_MULTIPLICATIVE ? PETSC_TRUE : PETSC_FALSE;
  const double         weight = 1.0 / (double)B;
  double *restrict     params = net->W1, *restrict grad = w.grad;

  for (PetscInt step = 0; step < nsteps; step++) {
    double ce_sum = 0.0;
    /* gather the batch; the sampling stream is consumed example by example */
    for (PetscInt b = 0; b < B; b++) {
      const PetscInt k = DrawExample(n_examples, nc, class_cumulative, class_offsets, class_members, sampling);
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
      for (PetscInt b = 0; b < B; b++) ce_sum += WeightDropoutExample(net, nz, b, B, (PetscInt)w.label[b], weight, noise, &w, p);
    } else {
      /* layer 2 with the node noise of each example: z2' = factor z2 + offset, h2 = relu(z2') */
      FillRows(n2, B, net->b2, w.h2T);
      MatMulAccumulate(wide, n2, B, n1, net->W2, (size_t)n1, 1, w.h1T, (size_t)B, w.h2T, (size_t)B);
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
        ce_sum += SoftmaxCrossEntropy(column, (size_t)B, nc, label, column, (size_t)B);
        column[(size_t)label * (size_t)B] -= 1.0;
        for (PetscInt c = 0; c < nc; c++) column[(size_t)c * (size_t)B] *= weight;
      }
    }
    const double loss = ce_sum / (double)B + 0.5 * hyper->l2 * WeightNorm2(params, p);
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
      RowSums(n2, B, w.dh2T, grad + p.b2);
      FillRows(n1, B, NULL, w.dh1T);
      MatMulAccumulate(wide, n1, B, n2, net->W2, 1, (size_t)n1, w.dh2T, (size_t)B, w.dh1T, (size_t)B);
    }
    /* delta1 = dh1 . relu'(z1) (h1 > 0 iff z1 > 0); gW1 = delta1 x, gb1 */
    for (size_t i = 0; i < (size_t)n1 * (size_t)B; i++) w.dh1T[i] = w.h1T[i] > 0.0 ? w.dh1T[i] : 0.0;
    FillRows(n1, n0, NULL, grad + p.W1);
    MatMulAccumulate(wide, n1, n0, B, w.dh1T, (size_t)B, 1, w.x, (size_t)n0, grad + p.W1, (size_t)n0);
    RowSums(n1, B, w.dh1T, grad + p.b1);

    FinishGradient(params, p, hyper, noise, grad);
    MomentumUpdate(p.total, hyper->lr, hyper->momentum, grad, net->velocity, params);
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
#if RD_KERNEL_AVX2_DISPATCH
  if (__builtin_cpu_supports("avx2")) return TrainAVX2(net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
#endif
  return TrainBaseline(net, hyper, inputs, labels, n_examples, class_cumulative, class_offsets, class_members, nsteps, sampling, noise);
}
