/* Kernels of the convolutional classifier (the lenet of include/repdrift/models/classifier.h) on
 * batch-minor tensors, each with a slow, obviously-correct reference (direct loops) next to the
 * fast one. Plain buffers, no allocation, no I/O, no MPI.
 *
 * Batch-minor layout: a batch of images [C][H][W] is stored as T[c][y][x][b] with the example
 * index b innermost, b < lanes, lanes = the batch rounded up to a multiple of RD_CONV_LANES
 * (RdConvLanes): entry (c, y, x, b) at ((c H + y) W + x) lanes + b. Every output entry of a
 * forward kernel is then one fixed scalar sequence per example, so the fast kernels vectorise
 * across examples without changing a single rounding. A vector of units (a dense layer) is the
 * 1 x 1 image [n][1][1].
 *
 * Arithmetic: every product-sum is a chain of fused multiply-adds acc = fma(w, x, acc) in a fixed
 * order, in the fast kernels and the references alike.
 *   RdConvForward:        out = bias, then over input channel i, ky, kx ascending (taps whose input
 *                         lies in the zero padding are skipped). The fast kernel and the reference
 *                         return the same bits.
 *   RdConvInputGradient:  RdConvForward of the output gradient with the flipped, transposed filters
 *                         (RdConvFlipWeights) and padding K-1-pad: for each input entry the sum runs
 *                         over output channel o ascending, ky and kx descending.
 *   RdConvWeightGradient: a sum over the examples and output pixels, done in RD_CONV_LANES partial
 *                         sums s_l (s_l collects the examples b = l mod RD_CONV_LANES: pixels (y, x)
 *                         row-major, within a pixel the examples' blocks ascending), then
 *                         ((s0 + s1) + (s2 + s3)) + ((s4 + s5) + (s6 + s7)).
 * These orders do not depend on the vector width, so the AVX-512, AVX2+FMA and baseline copies of
 * the fast kernels (chosen at run time, RdConvKernelISA) give identical bits, and so does any rank
 * on any x86-64 machine. The references of the two gradients sum in their natural order (a scatter
 * over the output, the examples ascending) and agree with the fast kernels to rounding. */
#ifndef REPDRIFT_CONV_H
#define REPDRIFT_CONV_H

#include <repdrift/common.h>

#define RD_CONV_LANES 8

typedef struct {
  PetscInt channels, height, width;
} RdTensorShape;

/* The batch rounded up to a multiple of RD_CONV_LANES (batch >= 1). */
static inline PetscInt RdConvLanes(PetscInt batch) { return (batch + RD_CONV_LANES - 1) / RD_CONV_LANES * RD_CONV_LANES; }
/* Entries of one example (C H W) and of a batch-minor tensor (C H W lanes). */
static inline size_t RdTensorCount(RdTensorShape s) { return (size_t)s.channels * (size_t)s.height * (size_t)s.width; }
static inline size_t RdTensorSize(RdTensorShape s, PetscInt lanes) { return RdTensorCount(s) * (size_t)lanes; }
/* Output of a K x K correlation with zero padding pad and out_channels filters. */
static inline RdTensorShape RdConvOutputShape(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad)
{
  RdTensorShape out = {out_channels, in.height + 2 * pad - K + 1, in.width + 2 * pad - K + 1};
  return out;
}
/* Output of a 2 x 2, stride-2 max pool (a trailing odd row or column is dropped). */
static inline RdTensorShape RdPoolOutputShape(RdTensorShape in)
{
  RdTensorShape out = {in.channels, in.height / 2, in.width / 2};
  return out;
}

/* Correlation: out[o][y][x][b] = bias[o] + sum_{i,ky,kx} weight[o][i][ky][kx] in[i][y+ky-pad][x+kx-pad][b]
 * (bias NULL: 0), weight [out_channels][in.channels][K][K], output RdConvOutputShape (>= 1 x 1).
 * Every lane b < lanes is computed. */
void RdConvForward(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, const double *bias, PetscInt lanes, const double *input, double *output);
void RdConvForwardReference(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, const double *bias, PetscInt lanes, const double *input, double *output);

/* flipped[i][o][K-1-ky][K-1-kx] = weight[o][i][ky][kx]: the filters of the input gradient. */
void RdConvFlipWeights(PetscInt out_channels, PetscInt in_channels, PetscInt K, const double *weight, double *flipped);
/* Gradient of a correlation with respect to its input: input_grad[i][y][x][b] = sum over the taps
 * that read in[i][y][x] of weight * output_grad (shape `in`). flipped_scratch [K K in.channels
 * out_channels]. Fast: RdConvForward as documented above. Reference: a direct scatter. */
void RdConvInputGradient(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, PetscInt lanes, const double *output_grad, double *input_grad, double *flipped_scratch);
void RdConvInputGradientReference(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, PetscInt lanes, const double *output_grad, double *input_grad);

/* Gradient of an UNPADDED correlation (pad the input with zeros first for a padded one) with
 * respect to its filters and bias, summed over the pixels and every lane:
 *   weight_grad[o][i][ky][kx] = sum_{y,x,b} output_grad[o][y][x][b] in[i][y+ky][x+kx][b],
 *   bias_grad[o] = sum_{y,x,b} output_grad[o][y][x][b]   (bias_grad NULL: not computed).
 * Lanes that belong to no example must hold output_grad = 0 (and finite inputs). Overwrites. */
void RdConvWeightGradient(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt lanes, const double *input, const double *output_grad, double *weight_grad, double *bias_grad);
void RdConvWeightGradientReference(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt lanes, const double *input, const double *output_grad, double *weight_grad, double *bias_grad);

/* Dense layers as 1 x 1 images: out[r][b] = bias[r] + sum_k W[r][k] in[k][b] (W [rows][cols]),
 * in_grad[k][b] = sum_r W[r][k] out_grad[r][b] (r ascending; transposed_scratch [cols][rows]),
 * W_grad[r][k] = sum_b out_grad[r][b] in[k][b], bias_grad[r] = sum_b out_grad[r][b] (lane order as
 * RdConvWeightGradient). */
void RdDenseForward(PetscInt rows, PetscInt cols, const double *W, const double *bias, PetscInt lanes, const double *input, double *output);
void RdDenseInputGradient(PetscInt rows, PetscInt cols, const double *W, PetscInt lanes, const double *output_grad, double *input_grad, double *transposed_scratch);
void RdDenseWeightGradient(PetscInt rows, PetscInt cols, PetscInt lanes, const double *input, const double *output_grad, double *W_grad, double *bias_grad);

/* relu then 2 x 2 max pool: out[c][py][px][b] = max(0, max_{dy,dx} in[c][2py+dy][2px+dx][b]), the
 * maximum taken as m = in(0,0), then m = v if v > m for (0,1), (1,0), (1,1) (so a NaN at (0,0)
 * stays; relu(NaN) = 0). Output RdPoolOutputShape(in). */
void RdPoolReluForward(RdTensorShape in, PetscInt lanes, const double *input, double *output);
void RdPoolReluForwardReference(RdTensorShape in, PetscInt lanes, const double *input, double *output);
/* Its gradient: input_grad (shape in, overwritten) = output_grad at the first maximal entry of
 * each block (the m above) where that maximum is > 0, 0 everywhere else (the other entries, the
 * dropped trailing row/column). Needs the forward pass's input. */
void RdPoolReluBackward(RdTensorShape in, PetscInt lanes, const double *input, const double *output_grad, double *input_grad);
void RdPoolReluBackwardReference(RdTensorShape in, PetscInt lanes, const double *input, const double *output_grad, double *input_grad);

/* The instruction set the fast kernels run on here: "avx512", "avx2" (with FMA) or "baseline". */
const char *RdConvKernelISA(void);
/* For tests and benchmarks: force "avx512", "avx2" or "baseline" (one this CPU supports), or NULL
 * for the automatic choice. Returns PETSC_FALSE if the ISA is unknown or unsupported. */
PetscBool RdConvKernelForceISA(const char *isa);

#endif
