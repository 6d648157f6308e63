/* Classifier network of Aitken et al. (2022): input -> hidden ReLU layer -> feature ReLU layer (the
 * representation whose drift is measured; noise acts here) -> linear readout to C classes, softmax
 * cross-entropy, minibatch SGD with momentum and L2 on the weights. Plain buffers, no I/O, no MPI.
 *
 * Two architectures (RdClassifierArchitecture) share everything from the hidden layer up:
 *   mlp    x = the input vector (input_dim)
 *   lenet  the paper's convolutional network (Aitken et al. 2022, Methods: a LeNet-style CNN with
 *          two conv-pool stages and fully connected layers of 120 and 84 units, noise at the
 *          84-unit layer), on images C x H x W stored row-major per example ([C][H][W]):
 *            s1 = conv1(image) (c1 filters 5x5, zero padding 2, bias), q1 = maxpool2(relu(s1))
 *            s2 = conv2(q1)    (c2 filters 5x5, no padding, bias),    q2 = maxpool2(relu(s2))
 *            x  = q2 flattened in [c2][h][w] order (PyTorch's flatten of NCHW)
 *          conv(in)[o][y][x] = b[o] + sum_{i,ky,kx} W[o][i][ky][kx] in[i][y+ky-pad][x+kx-pad]
 *          (a correlation, as PyTorch's Conv2d; outside the image the input is 0); maxpool2 takes
 *          the maximum of each 2x2 block (stride 2, a trailing odd row or column is dropped) and
 *          passes the gradient to the first maximal entry in row-major order. H, W >= 12.
 *          c1 = 6, c2 = 16 and hidden_dim = 120 in the paper; feature_dim (84) is the sweep width.
 * Then, for both (row-major weights, [out][in]):
 *   z1 = W1 x + b1,  h1 = relu(z1)
 *   z2 = (W2 . M) h1 + b2          M = weight-dropout mask of this example (all ones otherwise)
 *   z2' = F . z2 + O,  h2 = relu(z2')  F, O = node-noise factor and offset of this example
 *                                   (RdNoiseDrawNode: node_dropout, additive, multiplicative)
 *   logits = W3 h2 + b3,  p = softmax(logits),  CE = -log p[label]
 * relu(z) = z for z > 0, else 0; its derivative at 0 is taken as 0.
 * The gradient of W2 carries the mask (dCE/dW2 = (delta2 h1^T) . M) and the gradient through the
 * node noise is F . relu'(z2') (see include/repdrift/noise.h for the noise types and draws).
 *
 * Parameters: one allocation `params` holding, for lenet, Wc1 bc1 Wc2 bc2, then for both W1 b1 W2 b2
 * W3 b3 in this order (for mlp params = W1); `velocity` and every gradient use the same layout, so
 * a parameter vector is net->params[0 .. RdClassifierNumParameters(net)). L2 acts on every weight
 * (conv filters included), never on a bias.
 *
 * Random-draw order of one SGD step (the fast kernel and the reference consume the streams
 * identically, so they follow the same trajectory up to rounding):
 *   sampling, for each of the `batch` examples b = 0..batch-1:
 *     uniform:         k = RdStreamBelow(sampling, n_examples)
 *     class_cumulative given:  c = RdStreamCategorical(sampling, class_cumulative, num_classes),
 *                      k = class_members[class_offsets[c] + RdStreamBelow(sampling, size of c)]
 *   noise (independent of the sampling stream, so the order between the two does not matter):
 *     weight_dropout per_batch: one RdNoiseDrawWeightMask over the feature_dim x hidden_dim
 *                      entries of W2 for the whole step, first;
 *   then for each example b = 0..batch-1:
 *     weight_dropout per_example: one RdNoiseDrawWeightMask over the entries of W2
 *     node_dropout, additive, multiplicative: feature_dim draws, RdNoiseDrawNode
 *   then, only if the batch loss is finite and the type is gradient:
 *     RdNoiseGradientCount normals (feature_dim x hidden_dim, + feature_dim with weights_and_bias),
 *     RdNoiseAddGradient over W2 (then b2).
 * The probe and the accuracy draw the noise of their inputs in the same way, examples in order, in
 * forward passes of hyper->batch examples (the last one shorter): a per_batch weight mask is drawn
 * at the start of each forward pass. */
#ifndef REPDRIFT_MODELS_CLASSIFIER_H
#define REPDRIFT_MODELS_CLASSIFIER_H

#include <repdrift/noise.h>

typedef enum { RD_CLASSIFIER_MLP = 0, RD_CLASSIFIER_LENET, RD_NUM_CLASSIFIER_ARCHITECTURES } RdClassifierArchitecture;
/* "mlp", "lenet" (option -architecture) */
extern const char *const rd_classifier_architecture_names[RD_NUM_CLASSIFIER_ARCHITECTURES];
/* The error lists the valid names and names option_name. */
PetscErrorCode RdClassifierArchitectureFromName(const char *name, const char *option_name, RdClassifierArchitecture *architecture);

/* The paper's conv widths. */
#define RD_LENET_CONV1_CHANNELS 6
#define RD_LENET_CONV2_CHANNELS 16
#define RD_LENET_HIDDEN_DIM     120
#define RD_LENET_KERNEL         5 /* both convolutions: 5 x 5 filters */
#define RD_LENET_CONV1_PADDING  2
#define RD_LENET_MIN_SIDE       12 /* smallest H, W that leaves a 1 x 1 map after the second pool */

/* Input image and conv widths of a lenet. */
typedef struct {
  PetscInt channels, height, width;        /* input C x H x W; H, W >= RD_LENET_MIN_SIDE */
  PetscInt conv1_channels, conv2_channels; /* c1, c2: RD_LENET_CONV1_CHANNELS, RD_LENET_CONV2_CHANNELS */
} RdLeNetShape;

/* The paper's widths for an input C x H x W. */
RdLeNetShape RdLeNetShapeDefault(PetscInt channels, PetscInt height, PetscInt width);

typedef struct {
  RdClassifierArchitecture architecture;
  PetscInt                 input_dim;   /* values per example: mlp n, lenet C H W */
  PetscInt                 hidden_dim, feature_dim, num_classes;
  RdLeNetShape             image;     /* lenet only (zero for mlp) */
  PetscInt                 flat_dim;  /* columns of W1: input_dim (mlp), c2 h2 w2 after the second pool (lenet) */
  double                  *params;    /* the parameter block (layout above) */
  double                  *Wc1, *bc1; /* lenet: [c1][C][5][5], [c1]; NULL for mlp */
  double                  *Wc2, *bc2; /* lenet: [c2][c1][5][5], [c2]; NULL for mlp */
  double                  *W1, *b1;   /* [hidden_dim][flat_dim], [hidden_dim]   -> hidden (ReLU) */
  double                  *W2, *b2;   /* [feature_dim][hidden_dim], [feature_dim] hidden -> feature (ReLU), noise here */
  double                  *W3, *b3;   /* [num_classes][feature_dim], [num_classes] linear readout */
  double                  *velocity;  /* momentum buffers, same layout as params */
  double                  *work;      /* scratch owned by the net (sized for one minibatch of `max_batch`) */
  PetscInt                 max_batch;
} RdClassifierNet;

/* lr > 0, momentum in [0,1), l2 >= 0, 1 <= batch <= net->max_batch (RdClassifierHyperCheck).
 * Paper values: lr 1e-3, momentum 0.9, l2 1e-3, batch 64. */
typedef struct {
  double                lr, momentum, l2;
  PetscInt              batch;
  RdNoise               noise;
  RdWeightMaskScope     weight_mask; /* weight_dropout: a mask per example or per forward pass (noise.h) */
  RdGradientNoiseTarget gradient_on; /* gradient: on W2, or on W2 and b2 (noise.h) */
} RdClassifierHyper;

/* Sets hyper->weight_mask and hyper->gradient_on to the architecture's default: for lenet the
 * paper's choice (Aitken et al. 2022, Methods: a weight-dropout mask per forward pass, i.e. per
 * minibatch; gradient noise on the weights only), for mlp this program's historical choice (a mask
 * per example; gradient noise on weights and bias, the zero values), which keeps its archives
 * bit-identical. */
void RdClassifierNoiseDetailsDefault(RdClassifierArchitecture architecture, RdClassifierHyper *hyper);

/* An mlp: allocates parameters (zero), velocity (zero) and work for minibatches of up to max_batch. */
PetscErrorCode RdClassifierNetCreate(PetscInt input_dim, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, RdClassifierNet *net);
/* A lenet on images of `shape` (checked: sizes >= 1, H and W >= RD_LENET_MIN_SIDE), the same way. */
PetscErrorCode RdClassifierNetCreateLeNet(const RdLeNetShape *shape, PetscInt hidden_dim, PetscInt feature_dim, PetscInt num_classes, PetscInt max_batch, RdClassifierNet *net);
PetscErrorCode RdClassifierNetDestroy(RdClassifierNet *net);
/* He-normal weights N(0, 2/fan_in) (fan_in = C 25, c1 25 for the lenet's Wc1, Wc2; flat_dim,
 * hidden_dim, feature_dim for W1, W2, W3), drawn Wc1, Wc2 (lenet), then W1, W2, W3, each
 * row-major, one RdStreamNormal per weight; zero biases, zero velocity. */
void RdClassifierNetInit(RdClassifierNet *net, RdStream *init);
/* [lenet: c1 (25 C + 1) + c2 (25 c1 + 1)] + hidden (flat + 1) + feature (hidden + 1) + classes (feature + 1). */
PetscInt RdClassifierNumParameters(const RdClassifierNet *net);
/* Offset of W2 (= of the gradient-noised block W2 [, b2]) in the parameter layout. */
PetscInt RdClassifierFeatureLayerOffset(const RdClassifierNet *net);

/* Checks lr > 0 finite, momentum in [0,1), l2 >= 0 finite, 1 <= batch <= net->max_batch, the
 * noise (RdNoiseCheck with "-noise_level") and that weight_mask and gradient_on are known values. Call once before training: the kernels return PetscInt
 * and cannot raise errors (a batch outside [1, max_batch] or an empty training set makes
 * RdClassifierTrain return 0 without drawing anything). */
PetscErrorCode RdClassifierHyperCheck(const RdClassifierNet *net, const RdClassifierHyper *hyper);
/* Checks a training set for RdClassifierTrain: n_examples >= 1, labels in [0, num_classes), and if
 * class_cumulative is given: nondecreasing in [0,1] with last entry 1, class_offsets[0] = 0,
 * nondecreasing, class_offsets[num_classes] <= n_examples, members in [0, n_examples), and every
 * class drawn with positive probability has at least one member. */
PetscErrorCode RdClassifierTrainingSetCheck(const RdClassifierNet *net, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members);
/* Builds the CSR class index of a labelled set: class_offsets [num_classes + 1], class_members
 * [n_examples] (the example indices of class c, ascending, are class_members[class_offsets[c] ..
 * class_offsets[c+1])). Labels must be in [0, num_classes). */
PetscErrorCode RdClassifierClassIndex(const PetscInt *labels, PetscInt n_examples, PetscInt num_classes, PetscInt *class_offsets, PetscInt *class_members);

/* Up to nsteps SGD+momentum steps on minibatches of hyper->batch examples drawn uniformly WITH
 * replacement from the training set (inputs [n_examples][input_dim] (lenet: each row an image
 * [C][H][W]), labels [n_examples] in
 * [0, num_classes)); example index k = RdStreamBelow(sampling, n_examples). If class_cumulative is
 * not NULL ([num_classes], last entry 1), each example is drawn by first drawing its class from it
 * and then a uniform example of that class (class_members/class_offsets: CSR list of the example
 * indices of each class, RdClassifierClassIndex) -- this lets a sweep present one class more or
 * less often. Noise drawn from `noise` (order in the header comment).
 * Batch loss = mean cross-entropy over the batch + (l2/2) * sum of squared WEIGHTS (biases not
 * decayed); g = its gradient (+ gradient noise on W2 [, b2]); then for every parameter
 *   velocity = momentum * velocity - lr * g;  param += velocity
 * (so velocity is the step itself; PyTorch's v = mu v + g, p -= lr v is the same trajectory with
 * v_pytorch = -v / lr at constant lr). Returns the number of steps completed before the first step
 * whose batch loss is non-finite (nsteps if all were finite); that step changes no parameter and
 * draws no gradient noise, but has consumed its sampling and per-example noise draws. Nothing is
 * drawn for nsteps <= 0. Training in several calls equals one call bit for bit. */
PetscInt RdClassifierTrain(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise);
/* Slow, obviously-correct reference (one example at a time, naive loops, same draws in the same
 * order, same return convention): tests compare trajectories of the two.
 * The fast lenet kernels run in double precision with fused multiply-adds and fixed summation
 * orders (include/repdrift/conv.h), so a run is bit-reproducible on any x86-64 instruction set and
 * any number of ranks; the reference agrees with them to rounding. */
PetscInt RdClassifierTrainReference(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n_examples, const double *class_cumulative, const PetscInt *class_offsets, const PetscInt *class_members, PetscInt nsteps, RdStream *sampling, RdStream *noise);

/* Loss and gradient (every parameter, layout as `velocity`, [RdClassifierNumParameters]) of the
 * mean cross-entropy over the n given examples (inputs [n][input_dim]) + (l2/2)|weights|^2, with
 * the noise given (hyper->noise; pass type none for the finite-difference test): per-example noise
 * drawn for the examples in order as in training; for type gradient the returned gradient includes
 * the step's gradient noise (drawn after the examples, as in training) while the returned loss is
 * the clean one. hyper->lr, momentum and batch are not used; n >= 1, not limited by max_batch.
 * Returns the loss (non-finite values are returned as they are). */
double RdClassifierLossGradient(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *gradient);

/* Frozen-weight probe: feature-layer activities (after ReLU and after the node noise / weight
 * dropout, exactly as the readout sees them) of n inputs ([n][input_dim]), noise ON and drawn from
 * `noise` unless hyper->noise.type is none or gradient (gradient noise does not touch the forward
 * pass; nothing is drawn then). features [n][feature_dim]. */
void RdClassifierProbe(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, PetscInt n, RdStream *noise, double *features);

/* Accuracy (fraction of examples whose first maximal logit is the label; an example with a NaN
 * logit counts as wrong) and, if mean_loss is not NULL, the mean cross-entropy (NaN or inf when a
 * logit is not finite) of n examples, noise on as in the probe. 0 examples: accuracy and loss NaN.
 * Named RdClassifierNetAccuracy because RdClassifierAccuracy is the logistic readout's
 * (include/repdrift/readout.h) in the same library. */
double RdClassifierNetAccuracy(const RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, RdStream *noise, double *mean_loss);

#endif
