/* Two-layer linear network h = W1 x, yhat = W2 dropout(h), trained by online SGD on
 * l = 1/2 |y - yhat|^2 + (g/2)(|W1|_F^2 + |W2|_F^2).  Plain buffers, no I/O, no MPI.
 *
 * Random-draw order of one SGD step (the fast kernel and the reference consume the streams
 * identically, so they follow the same trajectory up to rounding):
 *   for each of the `batch` presentations:
 *     k      = RdStreamCategorical(sampling, task->cumulative, K)
 *     xi_i   = input_noise * RdStreamNormal(noise), i = 0..n-1     (only if input_noise > 0)
 *     keep_j = RdStreamUniform(noise) >= dropout, j = 0..m-1       (only if dropout > 0)
 *   the presented input is x_k + xi; the hidden vector after inverted dropout is
 *   hd_j = keep_j * h_j / (1 - dropout). Gradients are averaged over the batch; weight decay
 *   is applied once per step.  W1 is [width][input_dim], W2 is [output_dim][width], row-major.
 * RdLinearTrain and RdLinearProbe draw by block (RdStreamFillNormal / RdStreamFillKeep: the same
 * values) and run the instruction-set copy include/repdrift/kernel_isa.h selects; every copy gives
 * the same bits. */
#ifndef REPDRIFT_MODELS_LINEAR_H
#define REPDRIFT_MODELS_LINEAR_H

#include <repdrift/data.h>
#include <repdrift/rng.h>

typedef struct {
  PetscInt input_dim, width, output_dim;
  double  *W1; /* [width][input_dim] */
  double  *W2; /* [output_dim][width] */
  double  *work; /* scratch owned by the net, sized in RdLinearNetCreate */
} RdLinearNet;

typedef struct {
  double   lr, weight_decay, dropout, input_noise;
  PetscInt batch;
} RdLinearHyper;

PetscErrorCode RdLinearNetCreate(PetscInt input_dim, PetscInt width, PetscInt output_dim, RdLinearNet *net);
PetscErrorCode RdLinearNetDestroy(RdLinearNet *net);
/* W1 ~ N(0, scale^2 / input_dim), W2 ~ N(0, scale^2 / width), W1 first, row-major order. */
void RdLinearNetInit(RdLinearNet *net, double scale, RdStream *init);

/* Fast kernel: up to nsteps online SGD steps. Returns the number of steps completed before the
 * first step whose presented loss was non-finite (nsteps when all were finite). */
PetscInt RdLinearTrain(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise);
/* Slow, obviously-correct reference of RdLinearTrain (same draws, same return convention). */
PetscInt RdLinearTrainReference(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise);

/* Gradient of the per-presentation loss at input x (already noisy), target y, and the dropout
 * scale vector keep_scale[j] = keep_j / (1 - dropout) (NULL = no dropout). Returns the loss. */
double RdLinearSampleGradient(const RdLinearNet *net, double weight_decay, const double *x, const double *y, const double *keep_scale, double *grad_W1, double *grad_W2);

/* Population loss: the expectation of the training objective over stimulus, input noise and
 * dropout mask, in closed form (see the implementation for the formula). */
double RdLinearPopulationLoss(const RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task);

/* Frozen-weight probe: nsamples fresh presentations of one stimulus (input noise on; dropout on
 * and redrawn when dropout_on), hidden responses after inverted dropout into
 * responses[nsamples][width]. Draw order per sample as in training. */
void RdLinearProbe(const RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt stimulus, PetscInt nsamples, PetscBool dropout_on, RdStream *probe, double *responses);

#endif
