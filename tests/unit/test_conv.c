/* Kernels of the convolutional classifier (include/repdrift/conv.h): analytic cases (a shifted
 * delta filter copies its input, a box filter counts the pixels it covers, a known pooling block),
 * every fast kernel against its reference on every instruction set this CPU has (the forward ones
 * and the pool bit for bit, the gradients to rounding), bit-identical results across the
 * instruction sets, the adjoint identities <conv(x), g> = <x, dx> = <W, dW>, and lanes that belong
 * to no example leaving the gradients' bits unchanged. */
#include <repdrift/conv.h>
#include "testing.h"
#include <string.h>

static const char *const isas[] = {"baseline", "avx2", "avx512"};

static void FillNormal(double *v, size_t n)
{
  for (size_t i = 0; i < n; i++) v[i] = RdTestNormal();
}

static int SameBits(const double *a, const double *b, size_t n) { return memcmp(a, b, n * sizeof(double)) == 0; }

/* a == b entry by entry (+0 == -0: a padded tap adds a signed zero) */
static int EqualValues(const double *a, const double *b, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!(a[i] == b[i])) return 0;
  return 1;
}

static double Dot(const double *a, const double *b, size_t n)
{
  double s = 0.0;
  for (size_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* ------------------------------------------------------------------------------------------ */

/* Analytic forward cases on the fast kernel: a delta filter at (ky, kx) = (pad, pad) from input
 * channel i to output o copies channel i (+ bias); a 5x5 box of ones with padding 2 on a constant
 * image c gives c times the number of covered pixels (9 in a corner, 25 inside). */
static PetscErrorCode TestForwardAnalytic(void)
{
  const RdTensorShape in = {2, 7, 9};
  const PetscInt      K = 5, pad = 2, L = 16, O = 2;
  double             *x, *y, *w, bias[2] = {0.5, -1.25};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(RdTensorSize(in, L), &x, RdTensorSize(in, L) * O, &y, (size_t)O * in.channels * K * K, &w));
  RdTestSeed(11);
  FillNormal(x, RdTensorSize(in, L));
  memset(w, 0, (size_t)O * in.channels * K * K * sizeof(double));
  w[((0 * in.channels + 1) * K + pad) * K + pad] = 1.0; /* output 0 <- input channel 1 */
  w[((1 * in.channels + 0) * K + pad) * K + pad] = 1.0; /* output 1 <- input channel 0 */
  RdConvForward(in, O, K, pad, w, bias, L, x, y);
  const size_t plane = (size_t)in.height * in.width * L;
  int          copy = 1;
  for (size_t i = 0; i < plane; i++) copy &= y[i] == x[plane + i] + bias[0] && y[plane + i] == x[i] + bias[1];
  RD_CHECK(copy, "delta filters copy the swapped channels plus the bias");

  const RdTensorShape one = {1, 7, 9};
  for (size_t i = 0; i < RdTensorSize(one, L); i++) x[i] = 0.75;
  for (PetscInt i = 0; i < K * K; i++) w[i] = 1.0;
  RdConvForward(one, 1, K, pad, w, NULL, L, x, y);
  int box = 1;
  for (PetscInt r = 0; r < one.height; r++)
    for (PetscInt c = 0; c < one.width; c++) {
      const PetscInt rows = PetscMin(r + pad, one.height - 1) - PetscMax(r - pad, 0) + 1, cols = PetscMin(c + pad, one.width - 1) - PetscMax(c - pad, 0) + 1;
      for (PetscInt b = 0; b < L; b++) box &= y[((size_t)r * one.width + c) * L + b] == 0.75 * rows * cols;
    }
  RD_CHECK(box && y[0] == 0.75 * 9 && y[((size_t)3 * one.width + 4) * L] == 0.75 * 25, "box filter counts the covered pixels (corner %g, inside %g)", y[0], y[((size_t)3 * one.width + 4) * L]);
  PetscCall(PetscFree3(x, y, w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Pooling of one known block per case: the maximum, relu, and where the gradient goes (the first
 * maximal entry, nowhere when the maximum is <= 0); the dropped odd row/column get 0. */
static PetscErrorCode TestPoolAnalytic(void)
{
  const RdTensorShape in = {1, 3, 3};
  const PetscInt      L  = 8;
  /* lane b holds a 3x3 image; the top-left 2x2 block is pooled */
  const double block[5][4] = {{1, 3, 2, 3}, {-1, -2, -3, -4}, {0, 0, 0, 0}, {2, 2, 2, 2}, {-5, 4, -1, 4}};
  const int    winner[5]   = {1, -1, -1, 0, 1}; /* -1: no gradient */
  double       x[9 * 8], out[8], go[8], gi[9 * 8];

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < 9 * L; i++) x[i] = 7.0; /* the dropped row/column: large, never pooled */
  for (PetscInt b = 0; b < 5; b++) {
    x[(0 * 3 + 0) * L + b] = block[b][0];
    x[(0 * 3 + 1) * L + b] = block[b][1];
    x[(1 * 3 + 0) * L + b] = block[b][2];
    x[(1 * 3 + 1) * L + b] = block[b][3];
  }
  for (PetscInt b = 0; b < L; b++) go[b] = 10.0 + b;
  RdPoolReluForward(in, L, x, out);
  RdPoolReluBackward(in, L, x, go, gi);
  for (PetscInt b = 0; b < 5; b++) {
    const double expected = fmax(0.0, fmax(fmax(block[b][0], block[b][1]), fmax(block[b][2], block[b][3])));
    RD_CHECK(out[b] == expected, "pool case %d: %g (expected %g)", (int)b, out[b], expected);
    const PetscInt at[4] = {0, 1, 3, 4};
    int            ok    = 1;
    for (int k = 0; k < 4; k++) ok &= gi[at[k] * L + b] == (k == winner[b] ? go[b] : 0.0);
    for (int k = 0; k < 9; k++)
      if (k == 2 || k >= 5) ok &= gi[k * L + b] == 0.0;
    RD_CHECK(ok, "pool case %d: gradient to entry %d only", (int)b, winner[b]);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One random configuration: every kernel on every ISA against the reference, and the ISAs
 * against each other. */
typedef struct {
  RdTensorShape in;
  PetscInt      out_channels, K, pad, lanes;
} ConvCase;

static PetscErrorCode TestAgainstReference(ConvCase cc)
{
  const RdTensorShape out = RdConvOutputShape(cc.in, cc.out_channels, cc.K, cc.pad);
  const RdTensorShape padded = {cc.in.channels, cc.in.height + 2 * cc.pad, cc.in.width + 2 * cc.pad};
  const size_t        nin = RdTensorSize(cc.in, cc.lanes), nout = RdTensorSize(out, cc.lanes), npad = RdTensorSize(padded, cc.lanes);
  const size_t        nw = (size_t)cc.out_channels * cc.in.channels * cc.K * cc.K;
  double             *x, *xpad, *w, *bias, *g, *y_ref, *y, *dx_ref, *dx, *gw_ref, *gw, *gb_ref, *gb, *flip, *first;
  char                what[160];

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc5(nin, &x, npad, &xpad, nw, &w, (size_t)cc.out_channels, &bias, nout, &g));
  PetscCall(PetscMalloc5(nout, &y_ref, nout, &y, nin, &dx_ref, nin, &dx, nw, &gw_ref));
  PetscCall(PetscMalloc5(nw, &gw, (size_t)cc.out_channels, &gb_ref, (size_t)cc.out_channels, &gb, nw, &flip, 3 * (nout + nin + nw + cc.out_channels), &first));
  FillNormal(x, nin);
  FillNormal(w, nw);
  FillNormal(bias, (size_t)cc.out_channels);
  FillNormal(g, nout);
  /* the zero-bordered copy of x, for the filter gradient of a padded correlation */
  memset(xpad, 0, npad * sizeof(double));
  for (PetscInt c = 0; c < cc.in.channels; c++)
    for (PetscInt r = 0; r < cc.in.height; r++) memcpy(xpad + (((size_t)c * padded.height + r + cc.pad) * padded.width + cc.pad) * cc.lanes, x + (((size_t)c * cc.in.height + r) * cc.in.width) * cc.lanes, (size_t)cc.in.width * cc.lanes * sizeof(double));
  PetscCall(PetscSNPrintf(what, sizeof what, "in %dx%dx%d -> %d, K %d pad %d, lanes %d", (int)cc.in.channels, (int)cc.in.height, (int)cc.in.width, (int)cc.out_channels, (int)cc.K, (int)cc.pad, (int)cc.lanes));

  RdConvForwardReference(cc.in, cc.out_channels, cc.K, cc.pad, w, bias, cc.lanes, x, y_ref);
  RdConvInputGradientReference(cc.in, cc.out_channels, cc.K, cc.pad, w, cc.lanes, g, dx_ref);
  RdConvWeightGradientReference(padded, cc.out_channels, cc.K, cc.lanes, xpad, g, gw_ref, gb_ref);
  /* adjoints: <conv(x) - bias, g> = <x, dx> = <W, dW>, and <1, g> per channel = db */
  double conv_g = 0.0;
  for (PetscInt o = 0; o < cc.out_channels; o++)
    for (size_t i = 0; i < (size_t)out.height * out.width * cc.lanes; i++) conv_g += (y_ref[o * (size_t)out.height * out.width * cc.lanes + i] - bias[o]) * g[o * (size_t)out.height * out.width * cc.lanes + i];
  const double scale = sqrt((double)nout * cc.in.channels * cc.K * cc.K);
  RD_CHECK(fabs(conv_g - Dot(x, dx_ref, nin)) <= 1e-11 * scale, "%s: <conv(x), g> = <x, dx> (%.15g vs %.15g)", what, conv_g, Dot(x, dx_ref, nin));
  RD_CHECK(fabs(conv_g - Dot(w, gw_ref, nw)) <= 1e-11 * scale, "%s: <conv(x), g> = <W, dW> (%.15g vs %.15g)", what, conv_g, Dot(w, gw_ref, nw));

  int n_isas = 0;
  for (int k = 0; k < 3; k++) {
    if (!RdConvKernelForceISA(isas[k])) continue;
    RdConvForward(cc.in, cc.out_channels, cc.K, cc.pad, w, bias, cc.lanes, x, y);
    RdConvInputGradient(cc.in, cc.out_channels, cc.K, cc.pad, w, cc.lanes, g, dx, flip);
    RdConvWeightGradient(padded, cc.out_channels, cc.K, cc.lanes, xpad, g, gw, gb);
    RD_CHECK(EqualValues(y, y_ref, nout), "%s, %s: forward equals the reference exactly", what, isas[k]);
    RD_CHECK(MaxAbsDiff(dx, dx_ref, nin) <= 1e-13 * (1 + MaxAbs(dx_ref, nin)) * cc.out_channels * cc.K * cc.K, "%s, %s: input gradient vs reference (max diff %.3g)", what, isas[k], MaxAbsDiff(dx, dx_ref, nin));
    RD_CHECK(MaxAbsDiff(gw, gw_ref, nw) <= 1e-13 * (1 + MaxAbs(gw_ref, nw)) * (double)(out.height * out.width * cc.lanes), "%s, %s: filter gradient vs reference (max diff %.3g)", what, isas[k], MaxAbsDiff(gw, gw_ref, nw));
    RD_CHECK(MaxAbsDiff(gb, gb_ref, (size_t)cc.out_channels) <= 1e-13 * (1 + MaxAbs(gb_ref, (size_t)cc.out_channels)) * (double)(out.height * out.width * cc.lanes), "%s, %s: bias gradient vs reference", what, isas[k]);
    /* identical bits on every ISA */
    double *mine[4] = {y, dx, gw, gb};
    size_t  len[4]  = {nout, nin, nw, (size_t)cc.out_channels};
    double *at      = first;
    int     same    = 1;
    for (int q = 0; q < 4; q++) {
      if (n_isas == 0) memcpy(at, mine[q], len[q] * sizeof(double));
      else same &= SameBits(at, mine[q], len[q]);
      at += len[q];
    }
    if (n_isas > 0) RD_CHECK(same, "%s: %s gives the bits of %s", what, isas[k], isas[0]);
    n_isas++;
  }
  RD_CHECK(n_isas >= 1, "at least the baseline ran");
  (void)RdConvKernelForceISA(NULL);
  PetscCall(PetscFree5(x, xpad, w, bias, g));
  PetscCall(PetscFree5(y_ref, y, dx_ref, dx, gw_ref));
  PetscCall(PetscFree5(gw, gb_ref, gb, flip, first));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Pool fast vs reference (bit for bit) on random data with ties (values rounded to a coarse grid)
 * and odd sizes, every ISA. */
static PetscErrorCode TestPoolAgainstReference(void)
{
  const RdTensorShape in = {3, 9, 8};
  const PetscInt      L  = 24;
  const RdTensorShape out = RdPoolOutputShape(in);
  const size_t        nin = RdTensorSize(in, L), nout = RdTensorSize(out, L);
  double             *x, *go, *y, *y_ref, *gi, *gi_ref;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(nin, &x, nout, &go, nout, &y, nout, &y_ref, nin, &gi, nin, &gi_ref));
  for (size_t i = 0; i < nin; i++) x[i] = round(2 * RdTestNormal()) / 2; /* many ties and zeros */
  FillNormal(go, nout);
  RdPoolReluForwardReference(in, L, x, y_ref);
  RdPoolReluBackwardReference(in, L, x, go, gi_ref);
  for (int k = 0; k < 3; k++) {
    if (!RdConvKernelForceISA(isas[k])) continue;
    for (size_t i = 0; i < nin; i++) gi[i] = NAN; /* every entry must be written */
    RdPoolReluForward(in, L, x, y);
    RdPoolReluBackward(in, L, x, go, gi);
    RD_CHECK(SameBits(y, y_ref, nout) && SameBits(gi, gi_ref, nin), "pool %s: forward and backward bit-identical to the reference", isas[k]);
  }
  (void)RdConvKernelForceISA(NULL);
  PetscCall(PetscFree6(x, go, y, y_ref, gi, gi_ref));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Lanes of no example (output gradient 0, finite input) leave the gradients' bits unchanged: the
 * same data in 8 lanes and in 24 lanes of which 16 are empty. Dense layers: the wrappers against
 * a written-out matrix product. */
static PetscErrorCode TestEmptyLanesAndDense(void)
{
  const RdTensorShape in = {2, 6, 7};
  const PetscInt      O = 3, K = 3, rows = 5, cols = 11;
  const RdTensorShape out = RdConvOutputShape(in, O, K, 0);
  double             *x8, *g8, *x24, *g24, *gw8, *gw24, gb8[3], gb24[3];
  double              W[5 * 11], bias[5], xin[11 * 8], yd[5 * 8], gd[5 * 8], dxd[11 * 8], T[55], gW[55], gbias[5];

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(RdTensorSize(in, 8), &x8, RdTensorSize(out, 8), &g8, RdTensorSize(in, 24), &x24, RdTensorSize(out, 24), &g24, (size_t)O * 2 * K * K, &gw8, (size_t)O * 2 * K * K, &gw24));
  FillNormal(x8, RdTensorSize(in, 8));
  FillNormal(g8, RdTensorSize(out, 8));
  for (size_t p = 0; p < RdTensorCount(in); p++)
    for (PetscInt b = 0; b < 24; b++) x24[p * 24 + b] = b < 8 ? x8[p * 8 + b] : RdTestNormal();
  for (size_t p = 0; p < RdTensorCount(out); p++)
    for (PetscInt b = 0; b < 24; b++) g24[p * 24 + b] = b < 8 ? g8[p * 8 + b] : 0.0;
  RdConvWeightGradient(in, O, K, 8, x8, g8, gw8, gb8);
  RdConvWeightGradient(in, O, K, 24, x24, g24, gw24, gb24);
  RD_CHECK(SameBits(gw8, gw24, (size_t)O * 2 * K * K) && SameBits(gb8, gb24, 3), "empty lanes leave the filter and bias gradients' bits unchanged");

  FillNormal(W, 55);
  FillNormal(bias, 5);
  FillNormal(xin, 88);
  FillNormal(gd, 40);
  RdDenseForward(rows, cols, W, bias, 8, xin, yd);
  RdDenseInputGradient(rows, cols, W, 8, gd, dxd, T);
  RdDenseWeightGradient(rows, cols, 8, xin, gd, gW, gbias);
  double err_y = 0, err_dx = 0, err_gw = 0;
  for (PetscInt b = 0; b < 8; b++) {
    for (PetscInt r = 0; r < rows; r++) {
      double s = bias[r];
      for (PetscInt k = 0; k < cols; k++) s = fma(W[r * cols + k], xin[k * 8 + b], s);
      err_y = fmax(err_y, fabs(s - yd[r * 8 + b]));
    }
    for (PetscInt k = 0; k < cols; k++) {
      double s = 0;
      for (PetscInt r = 0; r < rows; r++) s += W[r * cols + k] * gd[r * 8 + b];
      err_dx = fmax(err_dx, fabs(s - dxd[k * 8 + b]));
    }
  }
  for (PetscInt r = 0; r < rows; r++)
    for (PetscInt k = 0; k < cols; k++) {
      double s = 0;
      for (PetscInt b = 0; b < 8; b++) s += gd[r * 8 + b] * xin[k * 8 + b];
      err_gw = fmax(err_gw, fabs(s - gW[r * cols + k]));
    }
  RD_CHECK(err_y == 0.0, "dense forward = the fma chain over k ascending (max diff %.3g)", err_y);
  RD_CHECK(err_dx < 1e-13 && err_gw < 1e-13, "dense gradients vs the matrix products (%.3g, %.3g)", err_dx, err_gw);
  PetscCall(PetscFree6(x8, g8, x24, g24, gw8, gw24));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  RdTestSeed(2024);
  printf("conv kernels run on %s here\n", RdConvKernelISA());
  PetscCall(TestForwardAnalytic());
  PetscCall(TestPoolAnalytic());
  const ConvCase cases[] = {
    {{1, 28, 28}, 6, 5, 2, 16}, /* the lenet's conv1 */
    {{6, 14, 14}, 16, 5, 0, 8}, /* conv2 */
    {{16, 10, 10}, 6, 5, 4, 8}, /* conv2's input gradient as a forward pass */
    {{3, 13, 11}, 7, 5, 2, 24}, /* odd sizes, remainders of every tile */
    {{2, 5, 6}, 9, 3, 1, 40},
    {{5, 1, 1}, 13, 1, 0, 8}, /* a dense layer */
  };
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) PetscCall(TestAgainstReference(cases[c]));
  PetscCall(TestPoolAgainstReference());
  PetscCall(TestEmptyLanesAndDense());
  int code = RdTestSummary("test_conv");
  PetscCall(SlepcFinalize());
  return code;
}
