/* Non-negative, energy-efficient linear autoencoder (Dorrell et al., ICLR 2025; the science is in
 * shared/science/modularity.md): z = W s + b (width units, d = n_sources sources), shat = R zd + c,
 * with zd = z or, under node dropout, the inverted-dropout latents zd_j = keep_j z_j / (1 - q).
 * Plain row-major buffers, no I/O, no MPI, deterministic.
 *
 * Per-presentation loss (the paper's, "MSE(s, shat) + 1e-3 * 0.5 mean sum z^2 + 0.5 mean sum
 * relu(-z) + 1e-4 * 0.5 (|W|^2 + |R|^2)"):
 *   l(s) = (1/d) |s - shat|^2 + activity_l2 * 0.5 |z|^2 + nonneg * 0.5 sum_j relu(-z_j)
 * and, once per step (not per presentation), weight_l2 * 0.5 (|W|_F^2 + |R|_F^2); biases are not
 * decayed. A step's objective is the batch mean of l plus that decay term.
 *  - The non-negativity term is the linear hinge relu(-z), as the note writes it, not relu(-z)^2:
 *    the hinge is an exact penalty (a coefficient above the constraint's Lagrange multiplier, here
 *    ~activity_l2 * |z| << 0.5, makes the penalised optimum satisfy z >= 0 exactly), whereas a
 *    squared hinge only bounds the violation. Its derivative at z_j = 0 is taken as 0 (relu'(0) = 0).
 *  - Under node dropout the activity and non-negativity terms act on z before the mask (they are
 *    the unit's cost of firing); the mask only changes what the decoder sees.
 *
 * Random-draw order of one optimiser step (the fast kernel and the reference consume the streams
 * identically, so they follow the same trajectory up to rounding; sampling and noise may even be
 * the same stream):
 *   for each of the `batch` presentations p:
 *     i_p    = RdStreamCategorical(sampling, cumulative, n_samples), or
 *              RdStreamBelow(sampling, n_samples) when cumulative is NULL (uniform)
 *     keep_j = RdStreamUniform(noise) >= dropout, j = 0..width-1           (only if dropout > 0)
 * The presented source is sources[i_p]. The gradient of the step objective is applied by Adam or
 * SGD; nothing is drawn past the last step, so a run split over several calls equals one call.
 *
 * Adam (Kingma & Ba; PyTorch's convention, L2 through the gradient): with g the step gradient and
 * t = adam_steps after the increment,
 *   m <- beta1 m + (1 - beta1) g,  v <- beta2 v + (1 - beta2) g^2,
 *   p <- p - lr (m / (1 - beta1^t)) / (sqrt(v / (1 - beta2^t)) + epsilon).
 * SGD: p <- p - lr g. */
#ifndef REPDRIFT_MODELS_AUTOENCODER_H
#define REPDRIFT_MODELS_AUTOENCODER_H

#include <repdrift/rng.h>

typedef enum {
  RD_AE_OPTIMIZER_ADAM = 0,
  RD_AE_OPTIMIZER_SGD
} RdAutoencoderOptimizer;

typedef struct {
  double                 lr;          /* step size */
  double                 activity_l2; /* coefficient of 0.5 |z|^2 per presentation */
  double                 nonneg;      /* coefficient of 0.5 sum_j relu(-z_j) per presentation */
  double                 weight_l2;   /* coefficient of 0.5 (|W|_F^2 + |R|_F^2) per step */
  double                 dropout;     /* node-dropout probability q on z, in [0, 1); 0 = off */
  double                 adam_beta1, adam_beta2, adam_epsilon;
  PetscInt               batch;       /* presentations per step, 1..max_batch */
  RdAutoencoderOptimizer optimizer;
} RdAutoencoderHyper;

/* The paper's values: lr 1e-3, activity_l2 1e-3, nonneg 1, weight_l2 1e-4, dropout 0 (the paper
 * has no node dropout; its "dropout" removes stimulus combinations from the data), Adam with
 * beta1 0.9, beta2 0.999, epsilon 1e-8, and batch 1 (online presentations, as in the rest of
 * repdrift; the paper does not fix a batch size). */
void RdAutoencoderHyperDefaults(RdAutoencoderHyper *hyper);

typedef struct {
  PetscInt n_sources, width, max_batch;
  PetscInt n_parameters; /* width d + width + d width + d */
  double  *parameters;   /* [n_parameters]: W, b, R, c one after another (the gradient's order) */
  double  *W, *b;        /* views into parameters: [width][n_sources], [width] */
  double  *R, *c;        /* views into parameters: [n_sources][width], [n_sources] */
  double  *adam_m, *adam_v; /* [n_parameters] Adam moments, parameter order */
  PetscInt adam_steps;      /* Adam steps taken (the t of the bias corrections) */
  double  *work;            /* scratch owned by the model, sized in RdAutoencoderCreate */
} RdAutoencoder;

/* Allocates a zero model for n_sources >= 1, width >= 1 and batches of up to max_batch >= 1
 * presentations (the fast kernel keeps a whole batch's latents, masks and errors). */
PetscErrorCode RdAutoencoderCreate(PetscInt n_sources, PetscInt width, PetscInt max_batch, RdAutoencoder *ae);
PetscErrorCode RdAutoencoderDestroy(RdAutoencoder *ae);
/* Errors, naming the field to fix, unless: lr > 0, activity_l2, nonneg, weight_l2 >= 0 (all
 * finite), dropout in [0, 1), beta1 and beta2 in [0, 1), epsilon > 0, 1 <= batch <= max_batch
 * (ae may be NULL: batch is then only checked >= 1), optimizer one of the enum's values. The
 * training kernels do not check (they return PetscInt): call this once before training. */
PetscErrorCode RdAutoencoderHyperCheck(const RdAutoencoderHyper *hyper, const RdAutoencoder *ae);

/* Scale of the initial weights: W and R entries ~ N(0, RD_AE_INIT_SCALE^2). */
#define RD_AE_INIT_SCALE 0.1
/* W ~ N(0, 0.1^2) row-major, then R ~ N(0, 0.1^2) row-major, from `init` in that order; b = c = 0.
 * Also resets the optimiser state (moments 0, adam_steps 0). */
void RdAutoencoderInit(RdAutoencoder *ae, RdStream *init);

/* Fast kernel: up to nsteps optimiser steps on sources [n_samples][n_sources]. cumulative
 * ([n_samples], non-decreasing, last entry 1) is the running sum of per-sample presentation
 * probabilities, NULL = uniform. Returns the number of steps completed before the first step
 * whose batch loss (the mean of l over the batch; every non-finite parameter reaches it) is not
 * finite; that step changes nothing. Returns 0 and draws nothing when nsteps <= 0 or hyper->batch
 * is outside [1, max_batch]. */
PetscInt RdAutoencoderTrain(RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n_samples, const double *cumulative, PetscInt nsteps, RdStream *sampling, RdStream *noise);
/* Slow, obviously-correct reference of RdAutoencoderTrain: same draws, same return convention,
 * the per-presentation gradient of RdAutoencoderSampleLoss, textbook Adam. */
PetscInt RdAutoencoderTrainReference(RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n_samples, const double *cumulative, PetscInt nsteps, RdStream *sampling, RdStream *noise);

/* l(s) of one presentation (without the weight-decay term), with the dropout scales
 * keep_scale[j] = keep_j / (1 - q) (NULL = no dropout). gradient [n_parameters] (order W b R c;
 * may be NULL) receives dl/dparameters, again without weight decay. Plain loops. */
double RdAutoencoderSampleLoss(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *source, const double *keep_scale, double *gradient);

/* Mean penalised loss over the n given samples [n][n_sources], dropout off:
 *   sum_i weights_i l(s_i) + weight_l2 * 0.5 (|W|_F^2 + |R|_F^2)
 * with weights [n] used as given (they should sum to 1; NULL = 1/n each). gradient
 * [n_parameters] (order W b R c; may be NULL) receives its gradient, at relu kinks the one with
 * relu'(0) = 0. */
double RdAutoencoderLoss(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n, const double *weights, double *gradient);

/* Latents of n samples into latents [n][width]: z = W s + b, or with node dropout (when
 * dropout_on and hyper->dropout > 0) keep_j z_j / (1 - q), keep_j = RdStreamUniform(noise) >=
 * dropout drawn for j = 0..width-1 per sample, in sample order (as in training). noise may be
 * NULL when no dropout is applied. */
void RdAutoencoderEncode(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n, PetscBool dropout_on, RdStream *noise, double *latents);

/* Gap of the learned encoder W to the modular optimum of the reduced problem (modularity.md).
 * Mapping: with perfect reconstruction and z >= 0 (which the MSE and the exact hinge enforce up to
 * O(activity_l2) shrinkage) the trained objective is
 *   (activity_l2 / 2) [ E|z|^2 + (weight_l2 / activity_l2) (|W|_F^2 + |R|_F^2) ],
 * i.e. activity_l2 / 2 times the reduced objective with lambda_in = lambda_out = weight_l2 /
 * activity_l2 (the paper's 1e-4 / 1e-3 = 0.1). So
 *   loss = L(W) = tr((Sigma + lambda I) M) + lambda tr(M^-1) + sum_n beta(w_n)^2,  M = W^T W
 * (the learned encoder with its best biases and decoder, as RdReducedLoss), L_mod as RdModularLoss,
 *   *gap = loss - L_mod (reduced units: multiply by activity_l2 / 2 for trained-loss units),
 *   *relative_gap = gap / L_mod.
 * The data distribution is the samples [n_samples][n_sources] weighted by weights ([n_samples],
 * >= 0, normalised here by their sum; NULL = equal: then loss and L_mod equal RdReducedLoss and
 * RdModularLoss to rounding):
 * Sigma and the mean are weighted, the min of beta and the range margins e_j run over the support
 * (weight > 0). Node dropout is not part of the reduced problem and is ignored.
 * Returns NaN in both when W is not finite or W^T W is not positive definite (a collapsed or
 * diverged encoder, or width < d: a state of the model, not a caller error). Errors, naming what to
 * fix, when activity_l2 or weight_l2 is not > 0, when weights are negative, non-finite or sum to
 * 0, when fewer than 2 samples carry weight, when a source is constant on the support, or when
 * n_sources exceeds RD_MODULARITY_MAX_SOURCES. */
PetscErrorCode RdAutoencoderModularGap(const RdAutoencoder *ae, const RdAutoencoderHyper *hyper, const double *sources, PetscInt n_samples, const double *weights, double *gap, double *relative_gap);

#endif /* REPDRIFT_MODELS_AUTOENCODER_H */
