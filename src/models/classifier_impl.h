/* Private to the classifier's two architectures (classifier.c: the mlp and the shared layers;
 * lenet.c: the convolutional trunk): the parameter layout, the per-example pieces both draw and
 * compute the same way, and the one-example-at-a-time layers above the trunk. Not public API. */
#ifndef REPDRIFT_CLASSIFIER_IMPL_H
#define REPDRIFT_CLASSIFIER_IMPL_H

#include <repdrift/models/classifier.h>
#include <math.h>

#if defined(__GNUC__)
  #define RD_CLASSIFIER_INLINE static inline __attribute__((always_inline))
#else
  #define RD_CLASSIFIER_INLINE static inline
#endif

/* Offsets in the parameter block (classifier.h): the lenet's conv blocks first (all 0 for the mlp,
 * whose block therefore starts with W1 as it always has). */
typedef struct {
  size_t Wc1, bc1, Wc2, bc2, W1, b1, W2, b2, W3, b3, total;
} RdClassifierLayout;

RdClassifierLayout RdClassifierLayoutOf(const RdClassifierNet *net);

/* Per-example vectors of the one-example layers (the reference and the per-example weight mask). */
typedef struct {
  double *mask;                                /* [n2][n1] weight-dropout mask */
  double *z1, *h1, *z2, *h2, *factor, *offset; /* [n1] [n1] [n2] [n2] [n2] [n2] */
  double *logit, *delta3, *dh2, *dh1;          /* [C] [C] [n2] [n1] */
} RdClassifierExampleScratch;

/* Example index of one draw (order in classifier.h); -1 when the drawn class has no member. */
RD_CLASSIFIER_INLINE PetscInt RdClassifierDrawExample_Internal(PetscInt n_examples, PetscInt num_classes, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, RdStream *sampling)
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
RD_CLASSIFIER_INLINE double RdClassifierSoftmaxCrossEntropy_Internal(const double *logit, size_t stride, PetscInt C, PetscInt label, double *prob, size_t pstride)
{
  double top = logit[0], sum = 0.0;
  for (PetscInt c = 1; c < C; c++) top = logit[c * stride] > top ? logit[c * stride] : top;
  for (PetscInt c = 0; c < C; c++) sum += exp(logit[c * stride] - top);
  const double ce = (top + log(sum)) - logit[label * stride];
  for (PetscInt c = 0; c < C; c++) prob[c * pstride] = exp(logit[c * stride] - top) / sum;
  return ce;
}

/* velocity = momentum velocity - lr g; param += velocity. */
RD_CLASSIFIER_INLINE void RdClassifierMomentumUpdate_Internal(size_t count, double lr, double momentum, const double *restrict grad, double *restrict velocity, double *restrict params)
{
  for (size_t i = 0; i < count; i++) {
    velocity[i] = momentum * velocity[i] - lr * grad[i];
    params[i] += velocity[i];
  }
}

/* Sum of squared weights (Wc1, Wc2, W1, W2, W3; biases are not decayed), in parameter order. */
double RdClassifierWeightNorm2_Internal(const double *params, RdClassifierLayout p);
/* The data gradient is in grad: add l2 W to every weight entry, then the gradient noise on W2
 * [and b2] (drawn here, after the examples' draws). */
void RdClassifierFinishGradient_Internal(const double *params, RdClassifierLayout p, const RdClassifierHyper *hyper, RdStream *noise, double *grad);

/* Whether this step draws a weight mask per example / one per forward pass. */
static inline PetscBool RdClassifierMaskPerExample_Internal(const RdClassifierHyper *hyper) { return hyper->noise.type == RD_NOISE_WEIGHT_DROPOUT && hyper->weight_mask == RD_WEIGHT_MASK_PER_EXAMPLE ? PETSC_TRUE : PETSC_FALSE; }
static inline PetscBool RdClassifierMaskPerBatch_Internal(const RdClassifierHyper *hyper) { return hyper->noise.type == RD_NOISE_WEIGHT_DROPOUT && hyper->weight_mask == RD_WEIGHT_MASK_PER_BATCH ? PETSC_TRUE : PETSC_FALSE; }

/* Forward pass of the layers above the trunk for one example x [flat_dim] (the mlp's input, the
 * lenet's flattened conv output), naive loops: z1 h1, then z2 with W2 . mask (mask NULL: no weight
 * dropout), the node noise drawn from stream (RdNoiseDrawNode), h2 and the logits, all in s. */
void RdClassifierHeadForward_Internal(const RdClassifierNet *net, const RdNoise *noise, const double *mask, const double *x, RdStream *stream, const RdClassifierExampleScratch *s);
/* RdClassifierHeadForward_Internal, then the backward pass: adds weight * dCE/dparams of W1 b1 W2
 * b2 W3 b3 to grad (layout p) and, if dx is not NULL, writes weight * dCE/dx [flat_dim]. Returns
 * the cross-entropy. */
double RdClassifierHeadGradient_Internal(const RdClassifierNet *net, const RdNoise *noise, const double *mask, const double *x, PetscInt label, double weight, RdStream *stream, const RdClassifierExampleScratch *s, double *grad, double *dx);
/* Layers 2 and 3 of one example from its hidden activity h1 [n1] (the fast kernels' per-example
 * weight-mask path): z2 = b2 + (W2 . mask) h1, h2 = relu(z2) (in s->h2), logits (s->logit),
 * softmax; adds weight * dCE/d(W2 b2 W3 b3) to grad and writes weight * dCE/dh1 (before relu') to
 * s->dh1. Same sums and order as RdClassifierHeadGradient_Internal. Returns the cross-entropy.
 * label < 0: the forward pass only (grad untouched, returns 0). */
double RdClassifierMaskedHeadGradient_Internal(const RdClassifierNet *net, const double *mask, const double *h1, PetscInt label, double weight, const RdClassifierExampleScratch *s, double *grad);

/* The lenet (lenet.c), called by the public functions of classifier.c for architecture lenet. */
size_t   RdLeNetWorkSize_Internal(const RdClassifierNet *net);
void     RdLeNetInit_Internal(RdClassifierNet *net, RdStream *init);
PetscInt RdLeNetTrain_Internal(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise);
PetscInt RdLeNetTrainReference_Internal(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise);
double   RdLeNetLossGradient_Internal(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *gradient);
/* Feature activities [n][feature_dim] and/or logits [n][num_classes] (either may be NULL) of n
 * inputs in forward passes of hyper->batch examples, noise as in the probe. */
void     RdLeNetForward_Internal(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, PetscInt n, RdStream *noise, double *features, double *logits);
/* Scratch of max_batch num_classes + num_classes doubles that RdLeNetForward_Internal leaves alone
 * (the accuracy's logits and softmax). */
double  *RdLeNetScoreScratch_Internal(const RdClassifierNet *net);

#endif
