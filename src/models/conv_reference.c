/* Slow, obviously-correct references of the kernels in include/repdrift/conv.h: direct loops over
 * the definitions, one example (lane) at a time. The forward ones use the fast kernels' order and
 * fused multiply-adds (so tests can ask for the same bits); the gradients are written as the plain
 * scatter / sum over the examples that they are. */
#include <repdrift/conv.h>
#include <math.h>
#include <string.h>

/* Entry (c, y, x) of lane b of a batch-minor tensor of shape s. */
static inline size_t At(RdTensorShape s, PetscInt lanes, PetscInt c, PetscInt y, PetscInt x, PetscInt b) { return (((size_t)c * (size_t)s.height + (size_t)y) * (size_t)s.width + (size_t)x) * (size_t)lanes + (size_t)b; }

static inline size_t Filter(PetscInt in_channels, PetscInt K, PetscInt o, PetscInt i, PetscInt ky, PetscInt kx) { return (((size_t)o * (size_t)in_channels + (size_t)i) * (size_t)K + (size_t)ky) * (size_t)K + (size_t)kx; }

void RdConvForwardReference(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, const double *bias, PetscInt lanes, const double *input, double *output)
{
  const RdTensorShape out = RdConvOutputShape(in, out_channels, K, pad);
  for (PetscInt b = 0; b < lanes; b++)
    for (PetscInt o = 0; o < out_channels; o++)
      for (PetscInt y = 0; y < out.height; y++)
        for (PetscInt x = 0; x < out.width; x++) {
          double sum = bias ? bias[o] : 0.0;
          for (PetscInt i = 0; i < in.channels; i++)
            for (PetscInt ky = 0; ky < K; ky++)
              for (PetscInt kx = 0; kx < K; kx++) {
                const PetscInt iy = y + ky - pad, ix = x + kx - pad;
                if (iy < 0 || iy >= in.height || ix < 0 || ix >= in.width) continue; /* zero padding */
                sum = fma(weight[Filter(in.channels, K, o, i, ky, kx)], input[At(in, lanes, i, iy, ix, b)], sum);
              }
          output[At(out, lanes, o, y, x, b)] = sum;
        }
}

void RdConvInputGradientReference(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, PetscInt lanes, const double *output_grad, double *input_grad)
{
  const RdTensorShape out = RdConvOutputShape(in, out_channels, K, pad);
  memset(input_grad, 0, RdTensorSize(in, lanes) * sizeof(double));
  /* every tap that read in[i][iy][ix] passes its weight times the output's gradient back */
  for (PetscInt b = 0; b < lanes; b++)
    for (PetscInt o = 0; o < out_channels; o++)
      for (PetscInt y = 0; y < out.height; y++)
        for (PetscInt x = 0; x < out.width; x++)
          for (PetscInt i = 0; i < in.channels; i++)
            for (PetscInt ky = 0; ky < K; ky++)
              for (PetscInt kx = 0; kx < K; kx++) {
                const PetscInt iy = y + ky - pad, ix = x + kx - pad;
                if (iy < 0 || iy >= in.height || ix < 0 || ix >= in.width) continue;
                input_grad[At(in, lanes, i, iy, ix, b)] += weight[Filter(in.channels, K, o, i, ky, kx)] * output_grad[At(out, lanes, o, y, x, b)];
              }
}

void RdConvWeightGradientReference(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt lanes, const double *input, const double *output_grad, double *weight_grad, double *bias_grad)
{
  const RdTensorShape out = RdConvOutputShape(in, out_channels, K, 0);
  for (PetscInt o = 0; o < out_channels; o++) {
    for (PetscInt i = 0; i < in.channels; i++)
      for (PetscInt ky = 0; ky < K; ky++)
        for (PetscInt kx = 0; kx < K; kx++) {
          double sum = 0.0;
          for (PetscInt b = 0; b < lanes; b++)
            for (PetscInt y = 0; y < out.height; y++)
              for (PetscInt x = 0; x < out.width; x++) sum += output_grad[At(out, lanes, o, y, x, b)] * input[At(in, lanes, i, y + ky, x + kx, b)];
          weight_grad[Filter(in.channels, K, o, i, ky, kx)] = sum;
        }
    if (bias_grad) {
      double sum = 0.0;
      for (PetscInt b = 0; b < lanes; b++)
        for (PetscInt y = 0; y < out.height; y++)
          for (PetscInt x = 0; x < out.width; x++) sum += output_grad[At(out, lanes, o, y, x, b)];
      bias_grad[o] = sum;
    }
  }
}

/* The block's first maximal entry (dy, dx) and the maximum, by the documented comparisons. */
static double BlockMax(RdTensorShape in, PetscInt lanes, const double *input, PetscInt c, PetscInt py, PetscInt px, PetscInt b, PetscInt *win_dy, PetscInt *win_dx)
{
  double m = input[At(in, lanes, c, 2 * py, 2 * px, b)];
  *win_dy = *win_dx = 0;
  for (PetscInt k = 1; k < 4; k++) {
    const PetscInt dy = k / 2, dx = k % 2;
    const double   v  = input[At(in, lanes, c, 2 * py + dy, 2 * px + dx, b)];
    if (v > m) {
      m       = v;
      *win_dy = dy;
      *win_dx = dx;
    }
  }
  return m;
}

void RdPoolReluForwardReference(RdTensorShape in, PetscInt lanes, const double *input, double *output)
{
  const RdTensorShape out = RdPoolOutputShape(in);
  PetscInt            dy, dx;
  for (PetscInt c = 0; c < in.channels; c++)
    for (PetscInt py = 0; py < out.height; py++)
      for (PetscInt px = 0; px < out.width; px++)
        for (PetscInt b = 0; b < lanes; b++) {
          const double m                      = BlockMax(in, lanes, input, c, py, px, b, &dy, &dx);
          output[At(out, lanes, c, py, px, b)] = m > 0.0 ? m : 0.0;
        }
}

void RdPoolReluBackwardReference(RdTensorShape in, PetscInt lanes, const double *input, const double *output_grad, double *input_grad)
{
  const RdTensorShape out = RdPoolOutputShape(in);
  PetscInt            dy, dx;
  memset(input_grad, 0, RdTensorSize(in, lanes) * sizeof(double));
  for (PetscInt c = 0; c < in.channels; c++)
    for (PetscInt py = 0; py < out.height; py++)
      for (PetscInt px = 0; px < out.width; px++)
        for (PetscInt b = 0; b < lanes; b++) {
          const double m = BlockMax(in, lanes, input, c, py, px, b, &dy, &dx);
          if (m > 0.0) input_grad[At(in, lanes, c, 2 * py + dy, 2 * px + dx, b)] = output_grad[At(out, lanes, c, py, px, b)];
        }
}
