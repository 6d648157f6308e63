/* The six noise sources of the classifier network (Aitken et al. 2022), all acting at the feature
 * layer, and the per-example primitives that draw them. Plain buffers, no I/O, no MPI; every draw
 * comes from the caller's RdStream in the order documented at each function, so a test can check
 * their statistics directly and the fast and reference kernels consume streams identically.
 *
 *   none            only SGD sampling noise
 *   node_dropout    each feature unit zeroed with probability p, survivors scaled by 1/(1-p)
 *   weight_dropout  each weight into the feature layer (W2) zeroed with probability p, survivors
 *                   scaled by 1/(1-p) (the bias b2 is never dropped); a fresh mask per example or
 *                   one per forward pass (minibatch): RdWeightMaskScope
 *   additive        feature pre-activation z_j += s e_j, e_j ~ N(0,1), per unit per example
 *   multiplicative  feature pre-activation z_j *= 1 + s e_j, per unit per example
 *   gradient        s e added to every entry of the gradient of W2 (and of b2: RdGradientNoiseTarget),
 *                   once per SGD step
 *
 * level = p in [0,1) for the dropouts, s >= 0 otherwise.
 *
 * Node noise draws do not depend on the level: node_dropout, additive and multiplicative consume
 * the same number of draws at every level, so runs that differ only in the level share their
 * underlying random numbers (common random numbers across a sweep). Every type at level 0
 * reproduces the noiseless forward pass and trajectory exactly (the draws are still consumed).
 *
 * Dropout decisions compare a uniform random 32-bit number U with RdNoiseDropThreshold(p) =
 * round(p 2^32): dropped iff U < threshold, so the drop probability is p to within 2^-33. Node
 * dropout uses one whole word per unit. Weight dropout, which needs hidden_dim x feature_dim
 * decisions per example, compares U with the threshold a byte at a time (RdNoiseDrawWeightMask):
 * the same probability for about one byte per weight instead of four. The stream's generator
 * dominates the cost of a weight-dropout step, so this makes that step about twice as fast. */
#ifndef REPDRIFT_NOISE_H
#define REPDRIFT_NOISE_H

#include <repdrift/rng.h>

typedef enum {
  RD_NOISE_NONE = 0,
  RD_NOISE_NODE_DROPOUT,
  RD_NOISE_WEIGHT_DROPOUT,
  RD_NOISE_ADDITIVE,
  RD_NOISE_MULTIPLICATIVE,
  RD_NOISE_GRADIENT,
  RD_NUM_NOISE_TYPES
} RdNoiseType;

/* "none", "node_dropout", "weight_dropout", "additive", "multiplicative", "gradient" (option values) */
extern const char *const rd_noise_type_names[RD_NUM_NOISE_TYPES];

/* The two details of Aitken et al.'s noise that this program makes choices (fields of the
 * classifier's RdClassifierHyper; their zero values are the MLP's historical behaviour, so a
 * zeroed struct keeps old archives bit-identical).
 *
 * How often the weight-dropout mask is redrawn. Aitken et al. (2022, Methods) redraw it at every
 * forward pass, i.e. one mask shared by the examples of a minibatch (per_batch); per_example gives
 * every example its own mask (DropConnect's per-example form; this program's MLP since its start).
 * A forward pass is one SGD step in training and one chunk of up to `batch` examples in the probes
 * and the accuracy (see the classifier's header). */
typedef enum { RD_WEIGHT_MASK_PER_EXAMPLE = 0, RD_WEIGHT_MASK_PER_BATCH, RD_NUM_WEIGHT_MASK_SCOPES } RdWeightMaskScope;
/* "per_example", "per_batch" (option -weight_dropout_mask) */
extern const char *const rd_weight_mask_scope_names[RD_NUM_WEIGHT_MASK_SCOPES];

/* Which gradient entries gradient noise perturbs. Aitken et al. (2022, Methods) perturb the weights
 * into the feature layer only (weights); weights_and_bias also perturbs its bias (this program's
 * MLP since its start). */
typedef enum { RD_GRADIENT_NOISE_WEIGHTS_AND_BIAS = 0, RD_GRADIENT_NOISE_WEIGHTS, RD_NUM_GRADIENT_NOISE_TARGETS } RdGradientNoiseTarget;
/* "weights_and_bias", "weights" (option -gradient_noise_on) */
extern const char *const rd_gradient_noise_target_names[RD_NUM_GRADIENT_NOISE_TARGETS];

typedef struct {
  RdNoiseType type;
  double      level; /* p for the dropouts, s for additive, multiplicative and gradient; unused for none */
} RdNoise;

/* Checks the type is one of the six and the level fits it: dropouts in [0,1), s >= 0 and finite
 * (NaN rejected); the level of type none is ignored. Errors name option_name (e.g. "-noise_level")
 * and the type. */
PetscErrorCode RdNoiseCheck(const RdNoise *noise, const char *option_name);

/* Parses an option value ("node_dropout", ...) into the type; the error lists the valid names and
 * names option_name. */
PetscErrorCode RdNoiseTypeFromName(const char *name, const char *option_name, RdNoiseType *type);

/* Option values of the two details ("per_batch", "weights", ...); errors list the valid names and
 * name option_name. */
PetscErrorCode RdWeightMaskScopeFromName(const char *name, const char *option_name, RdWeightMaskScope *scope);
PetscErrorCode RdGradientNoiseTargetFromName(const char *name, const char *option_name, RdGradientNoiseTarget *target);

/* Whether the type acts in the forward pass of every example (node_dropout, weight_dropout,
 * additive, multiplicative): the types a frozen-weight probe sees. */
PetscBool RdNoiseInForwardPass(RdNoiseType type);

/* A unit or weight is dropped iff its uniform 32-bit number is < this: round(p 2^32), capped at
 * 2^32 - 1 (0 for p <= 0). p must be in [0,1). */
uint32_t RdNoiseDropThreshold(double p);

/* Node noise of one example on n feature pre-activations, as an affine map per unit: the noisy
 * pre-activation is z'_j = factor_j z_j + offset_j, and factor_j = dz'_j/dz_j is what backprop
 * needs. Draws, for j = 0..n-1 in order (s or p = noise->level):
 *   node_dropout:   w_j = RdStreamUInt32(stream); factor_j = w_j >= threshold ? 1/(1-p) : 0;
 *                   offset_j = 0   (relu(factor z) = factor relu(z) as factor >= 0, so this is
 *                   exactly inverted dropout of the activity)
 *   additive:       e_j = RdStreamNormal(stream); factor_j = 1, offset_j = s e_j
 *   multiplicative: e_j = RdStreamNormal(stream); factor_j = 1 + s e_j, offset_j = 0
 *   other types:    nothing drawn; factor_j = 1, offset_j = 0.
 * factor and offset are [n]. */
void RdNoiseDrawNode(const RdNoise *noise, PetscInt n, RdStream *stream, double *factor, double *offset);

/* RdNoiseDrawNode followed by preactivation_j <- factor_j preactivation_j + offset_j in place
 * (same draws). factor [n] receives the backprop factor. */
void RdNoiseApplyNode(const RdNoise *noise, PetscInt n, RdStream *stream, double *preactivation, double *factor);

/* Weight-dropout mask of one example over `count` weights (W2 row-major, [feature_dim][hidden_dim]),
 * p = noise->level (whatever noise->type is), threshold T = RdNoiseDropThreshold(p):
 *   bytes are read from successive RdStreamUInt32(stream) words, most significant byte first, a
 *   word being drawn only when a byte is needed and the previous word is used up (the call starts
 *   with none; unread bytes of its last word are discarded). For k = 0..count-1 in order: byte u0;
 *   weight k is dropped iff u0 < T >> 24, kept iff u0 > T >> 24, and on a tie (probability 1/256)
 *   three more bytes u1 u2 u3 are read and it is dropped iff (u1 u2 u3) < (T & 0xFFFFFF), i.e.
 *   iff the 32-bit number (u0 u1 u2 u3) < T. mask_k = dropped ? 0 : 1/(1-p). About count/4 words
 *   per call.
 * P(dropped) = T/2^32 exactly. The effective weight is W2_k mask_k; the gradient of W2_k picks
 * up the same factor. */
void RdNoiseDrawWeightMask(const RdNoise *noise, size_t count, RdStream *stream, double *mask);

/* Gradient noise of one SGD step: for k = 0..count-1 in order, gradient_k += s RdStreamNormal(stream)
 * with s = noise->level (whatever noise->type is). The classifier passes W2 and, for
 * gradient_on = weights_and_bias, b2, which follows W2 in its parameter layout (W2 row-major, then
 * b2); RdNoiseGradientCount gives the count. */
void RdNoiseAddGradient(const RdNoise *noise, size_t count, RdStream *stream, double *gradient);
/* Entries gradient noise perturbs for a feature layer of `weights` weights and `biases` biases:
 * weights, or weights + biases for weights_and_bias. */
size_t RdNoiseGradientCount(RdGradientNoiseTarget target, size_t weights, size_t biases);

#endif
