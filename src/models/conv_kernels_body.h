/* Fast kernels of include/repdrift/conv.h, one copy per instruction set: included by conv_kernels.c
 * once per ISA with
 *   RD_ISA(name)     the name with the ISA's suffix
 *   RdVec, RdMask    the ISA's native vector of RD_VEC_LANES doubles and its comparison result
 *   RD_VEC_LANES     doubles per native vector (8 AVX-512, 4 AVX2, 2 baseline)
 *   RD_FMA(a, b, c)  a * b + c rounded once, lane by lane
 *   RD_SPLAT(x)      x in every lane
 *   RD_FWD_CO, RD_FWD_V   forward tile: output channels x native vectors of examples
 *   RD_WG_R, RD_WG_T      weight-gradient tile: output channels x taps
 * Tiles only decide which accumulators live in registers together: every output is the same scalar
 * sequence of fused multiply-adds in every copy (conv.h), so the copies agree bit for bit.
 * Each kernel's loops over tile sizes have compile-time bounds after inlining, so the compiler keeps
 * the accumulators in registers. */

#define RD_VECS_PER_BLOCK (RD_CONV_LANES / RD_VEC_LANES) /* native vectors per RD_CONV_LANES examples */
/* the tile switches below have cases up to 8 */
_Static_assert(RD_FWD_CO >= 1 && RD_FWD_CO <= 8 && RD_FWD_V >= 1 && RD_FWD_V <= 8 && RD_WG_R >= 1 && RD_WG_R <= 8 && RD_WG_T >= 1 && RD_WG_T <= 8, "tile sizes must be in [1, 8]");
_Static_assert(RD_CONV_LANES % RD_VEC_LANES == 0, "a lane block is a whole number of vectors");

static inline __attribute__((always_inline)) RdVec RD_ISA(Load)(const double *p)
{
  RdVec v;
  memcpy(&v, p, sizeof v);
  return v;
}

static inline __attribute__((always_inline)) void RD_ISA(Store)(double *p, RdVec v) { memcpy(p, &v, sizeof v); }

/* mask ? a : b, lane by lane (mask lanes all ones or all zeros) */
static inline __attribute__((always_inline)) RdVec RD_ISA(Select)(RdMask mask, RdVec a, RdVec b) { return (RdVec)(((RdMask)a & mask) | ((RdMask)b & ~mask)); }

/* ------------------------------------------------------------------------------------------ */
/* Forward correlation.                                                                         */

/* One output pixel of `co` output channels x `nv` native vectors of examples: acc = bias, then
 * the taps (i, ky in [ky0, ky1), kx in [kx0, kx1)) in order. origin is the offset in `input` of
 * lane b0 of input pixel (y - pad, x - pad) of channel 0, which may lie outside the image: only
 * valid taps are read (and only in-range pointers formed); weight at filter o0, out at (o0, y, x)
 * lane b0. */
static inline __attribute__((always_inline)) void RD_ISA(ForwardTile)(const int co, const int nv, PetscInt in_channels, PetscInt row_stride, size_t channel_stride, PetscInt lanes, PetscInt K, PetscInt ky0, PetscInt ky1, PetscInt kx0, PetscInt kx1, const double *restrict weight, size_t filter_stride, const double *restrict bias, const double *restrict input, ptrdiff_t origin, double *restrict out, size_t out_channel_stride)
{
  RdVec acc[RD_FWD_CO][RD_FWD_V];
#pragma GCC unroll 8
  for (int j = 0; j < co; j++) {
    const RdVec b = RD_SPLAT(bias ? bias[j] : 0.0);
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) acc[j][v] = b;
  }
  for (PetscInt i = 0; i < in_channels; i++) {
    for (PetscInt ky = ky0; ky < ky1; ky++) {
      const ptrdiff_t        row  = origin + (ptrdiff_t)(i * channel_stride) + (ptrdiff_t)(ky * row_stride) * (ptrdiff_t)lanes;
      const double *restrict taps = weight + ((size_t)i * (size_t)K + (size_t)ky) * (size_t)K;
      for (PetscInt kx = kx0; kx < kx1; kx++) {
        const double *restrict src = input + (row + (ptrdiff_t)kx * (ptrdiff_t)lanes);
        RdVec                  x[RD_FWD_V];
#pragma GCC unroll 8
        for (int v = 0; v < nv; v++) x[v] = RD_ISA(Load)(src + v * RD_VEC_LANES);
#pragma GCC unroll 8
        for (int j = 0; j < co; j++) {
          const RdVec w = RD_SPLAT(taps[j * filter_stride + (size_t)kx]);
#pragma GCC unroll 8
          for (int v = 0; v < nv; v++) acc[j][v] = RD_FMA(w, x[v], acc[j][v]);
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int j = 0; j < co; j++)
#pragma GCC unroll 8
    for (int v = 0; v < nv; v++) RD_ISA(Store)(out + j * out_channel_stride + v * RD_VEC_LANES, acc[j][v]);
}

#define RD_FWD_ARGS in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, weight, filter_stride, bias, input, origin, out, out_channel_stride

static inline __attribute__((always_inline)) void RD_ISA(ForwardTileV)(const int co, int nv, PetscInt in_channels, PetscInt row_stride, size_t channel_stride, PetscInt lanes, PetscInt K, PetscInt ky0, PetscInt ky1, PetscInt kx0, PetscInt kx1, const double *restrict weight, size_t filter_stride, const double *restrict bias, const double *restrict input, ptrdiff_t origin, double *restrict out, size_t out_channel_stride)
{
  switch (nv) {
#if RD_FWD_V >= 8
  case 8:
    RD_ISA(ForwardTile)(co, 8, RD_FWD_ARGS);
    break;
#endif
#if RD_FWD_V >= 7
  case 7:
    RD_ISA(ForwardTile)(co, 7, RD_FWD_ARGS);
    break;
#endif
#if RD_FWD_V >= 6
  case 6:
    RD_ISA(ForwardTile)(co, 6, RD_FWD_ARGS);
    break;
#endif
#if RD_FWD_V >= 5
  case 5:
    RD_ISA(ForwardTile)(co, 5, RD_FWD_ARGS);
    break;
#endif
#if RD_FWD_V >= 4
  case 4:
    RD_ISA(ForwardTile)(co, 4, RD_FWD_ARGS);
    break;
#endif
#if RD_FWD_V >= 3
  case 3:
    RD_ISA(ForwardTile)(co, 3, RD_FWD_ARGS);
    break;
#endif
#if RD_FWD_V >= 2
  case 2:
    RD_ISA(ForwardTile)(co, 2, RD_FWD_ARGS);
    break;
#endif
  default:
    RD_ISA(ForwardTile)(co, 1, RD_FWD_ARGS);
    break;
  }
}

static void RD_ISA(ConvForward)(RdTensorShape in_shape, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, const double *bias_all, PetscInt lanes, const double *input, double *output)
{
  const RdTensorShape out_shape = RdConvOutputShape(in_shape, out_channels, K, pad);
  const PetscInt      H = in_shape.height, W = in_shape.width, in_channels = in_shape.channels, row_stride = W;
  const size_t        channel_stride = (size_t)H * (size_t)W * (size_t)lanes, out_channel_stride = (size_t)out_shape.height * (size_t)out_shape.width * (size_t)lanes;
  const size_t        filter_stride = (size_t)in_channels * (size_t)K * (size_t)K;
  const PetscInt      vectors = lanes / RD_VEC_LANES;

  for (PetscInt o0 = 0; o0 < out_channels; o0 += RD_FWD_CO) {
    const int           co   = (int)PetscMin((PetscInt)RD_FWD_CO, out_channels - o0);
    const double       *bias = bias_all ? bias_all + o0 : NULL;
    const double *const wo   = weight + (size_t)o0 * filter_stride;
    for (PetscInt y = 0; y < out_shape.height; y++) {
      const PetscInt ky0 = PetscMax(0, pad - y), ky1 = PetscMin(K, H + pad - y);
      for (PetscInt x = 0; x < out_shape.width; x++) {
        const PetscInt kx0 = PetscMax(0, pad - x), kx1 = PetscMin(K, W + pad - x);
        /* input pixel (y - pad, x - pad) may lie outside; only the valid taps are read, so the
         * pointer is formed from an in-range one */
        const ptrdiff_t origin = ((ptrdiff_t)(y - pad) * (ptrdiff_t)W + (ptrdiff_t)(x - pad)) * (ptrdiff_t)lanes;
        for (PetscInt v0 = 0; v0 < vectors; v0 += RD_FWD_V) {
          const int           nv  = (int)PetscMin((PetscInt)RD_FWD_V, vectors - v0);
          const ptrdiff_t     at  = origin + (ptrdiff_t)v0 * RD_VEC_LANES;
          double *const       out = output + (size_t)o0 * out_channel_stride + ((size_t)y * (size_t)out_shape.width + (size_t)x) * (size_t)lanes + (size_t)v0 * RD_VEC_LANES;
          const double       *w   = wo;
          switch (co) {
#if RD_FWD_CO >= 8
          case 8:
            RD_ISA(ForwardTileV)(8, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
#if RD_FWD_CO >= 7
          case 7:
            RD_ISA(ForwardTileV)(7, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
#if RD_FWD_CO >= 6
          case 6:
            RD_ISA(ForwardTileV)(6, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
#if RD_FWD_CO >= 5
          case 5:
            RD_ISA(ForwardTileV)(5, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
#if RD_FWD_CO >= 4
          case 4:
            RD_ISA(ForwardTileV)(4, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
#if RD_FWD_CO >= 3
          case 3:
            RD_ISA(ForwardTileV)(3, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
#if RD_FWD_CO >= 2
          case 2:
            RD_ISA(ForwardTileV)(2, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
#endif
          default:
            RD_ISA(ForwardTileV)(1, nv, in_channels, row_stride, channel_stride, lanes, K, ky0, ky1, kx0, kx1, w, filter_stride, bias, input, at, out, out_channel_stride);
            break;
          }
        }
      }
    }
  }
}
#undef RD_FWD_ARGS

/* ------------------------------------------------------------------------------------------ */
/* Weight gradient (unpadded correlation).                                                      */

/* Sum of the RD_CONV_LANES lane partials of one accumulator, in the documented tree. */
static inline __attribute__((always_inline)) double RD_ISA(ReduceBlock)(const RdVec *block)
{
  double s[RD_CONV_LANES];
  for (int h = 0; h < RD_VECS_PER_BLOCK; h++) RD_ISA(Store)(s + h * RD_VEC_LANES, block[h]);
  return ((s[0] + s[1]) + (s[2] + s[3])) + ((s[4] + s[5]) + (s[6] + s[7]));
}

/* Filters o0..o0+nr-1 x taps t0..t0+nt-1 (tap t = (i, ky, kx) flattened; tap_offset[t] its input
 * offset from the pixel's): lane partials over pixels row-major, then example blocks ascending. */
static inline __attribute__((always_inline)) void RD_ISA(GradTile)(const int nr, const int nt, PetscInt out_height, PetscInt out_width, PetscInt in_width, PetscInt lanes, const double *restrict input, const size_t *restrict tap_offset, const double *restrict output_grad, size_t grad_channel_stride, double *restrict weight_grad, size_t filter_stride)
{
  RdVec acc[RD_WG_R][RD_WG_T][RD_VECS_PER_BLOCK];
#pragma GCC unroll 8
  for (int r = 0; r < nr; r++)
#pragma GCC unroll 8
    for (int t = 0; t < nt; t++)
#pragma GCC unroll 8
      for (int h = 0; h < RD_VECS_PER_BLOCK; h++) acc[r][t][h] = RD_SPLAT(0.0);
  for (PetscInt y = 0; y < out_height; y++) {
    for (PetscInt x = 0; x < out_width; x++) {
      const double *restrict pin = input + ((size_t)y * (size_t)in_width + (size_t)x) * (size_t)lanes;
      const double *restrict pdz = output_grad + ((size_t)y * (size_t)out_width + (size_t)x) * (size_t)lanes;
      for (PetscInt b = 0; b < lanes; b += RD_CONV_LANES) {
#pragma GCC unroll 8
        for (int h = 0; h < RD_VECS_PER_BLOCK; h++) {
          RdVec d[RD_WG_R];
#pragma GCC unroll 8
          for (int r = 0; r < nr; r++) d[r] = RD_ISA(Load)(pdz + r * grad_channel_stride + (size_t)b + (size_t)(h * RD_VEC_LANES));
#pragma GCC unroll 8
          for (int t = 0; t < nt; t++) {
            const RdVec xi = RD_ISA(Load)(pin + tap_offset[t] + (size_t)b + (size_t)(h * RD_VEC_LANES));
#pragma GCC unroll 8
            for (int r = 0; r < nr; r++) acc[r][t][h] = RD_FMA(d[r], xi, acc[r][t][h]);
          }
        }
      }
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < nr; r++)
#pragma GCC unroll 8
    for (int t = 0; t < nt; t++) weight_grad[r * filter_stride + (size_t)t] = RD_ISA(ReduceBlock)(acc[r][t]);
}

#define RD_WG_ARGS out_height, out_width, in_width, lanes, input, offsets, grad, grad_channel_stride, wg, filter_stride

static inline __attribute__((always_inline)) void RD_ISA(GradTileT)(const int nr, int nt, PetscInt out_height, PetscInt out_width, PetscInt in_width, PetscInt lanes, const double *restrict input, const size_t *restrict offsets, const double *restrict grad, size_t grad_channel_stride, double *restrict wg, size_t filter_stride)
{
  switch (nt) {
#if RD_WG_T >= 8
  case 8:
    RD_ISA(GradTile)(nr, 8, RD_WG_ARGS);
    break;
#endif
#if RD_WG_T >= 7
  case 7:
    RD_ISA(GradTile)(nr, 7, RD_WG_ARGS);
    break;
#endif
#if RD_WG_T >= 6
  case 6:
    RD_ISA(GradTile)(nr, 6, RD_WG_ARGS);
    break;
#endif
#if RD_WG_T >= 5
  case 5:
    RD_ISA(GradTile)(nr, 5, RD_WG_ARGS);
    break;
#endif
#if RD_WG_T >= 4
  case 4:
    RD_ISA(GradTile)(nr, 4, RD_WG_ARGS);
    break;
#endif
#if RD_WG_T >= 3
  case 3:
    RD_ISA(GradTile)(nr, 3, RD_WG_ARGS);
    break;
#endif
#if RD_WG_T >= 2
  case 2:
    RD_ISA(GradTile)(nr, 2, RD_WG_ARGS);
    break;
#endif
  default:
    RD_ISA(GradTile)(nr, 1, RD_WG_ARGS);
    break;
  }
}

static void RD_ISA(ConvWeightGradient)(RdTensorShape in_shape, PetscInt out_channels, PetscInt K, PetscInt lanes, const double *input, const double *output_grad, double *weight_grad, double *bias_grad)
{
  const RdTensorShape out_shape = RdConvOutputShape(in_shape, out_channels, K, 0);
  const PetscInt      out_height = out_shape.height, out_width = out_shape.width, in_width = in_shape.width;
  const PetscInt      taps = in_shape.channels * K * K;
  const size_t        filter_stride = (size_t)taps, grad_channel_stride = (size_t)out_height * (size_t)out_width * (size_t)lanes;
  size_t              offsets[RD_WG_T];

  for (PetscInt t0 = 0; t0 < taps; t0 += RD_WG_T) {
    const int nt = (int)PetscMin((PetscInt)RD_WG_T, taps - t0);
    for (int t = 0; t < nt; t++) {
      const PetscInt tap = t0 + t, i = tap / (K * K), ky = (tap / K) % K, kx = tap % K;
      offsets[t]         = (((size_t)i * (size_t)in_shape.height + (size_t)ky) * (size_t)in_width + (size_t)kx) * (size_t)lanes;
    }
    for (PetscInt o0 = 0; o0 < out_channels; o0 += RD_WG_R) {
      const int           nr   = (int)PetscMin((PetscInt)RD_WG_R, out_channels - o0);
      const double *const grad = output_grad + (size_t)o0 * grad_channel_stride;
      double *const       wg   = weight_grad + (size_t)o0 * filter_stride + (size_t)t0;
      switch (nr) {
#if RD_WG_R >= 8
      case 8:
        RD_ISA(GradTileT)(8, nt, RD_WG_ARGS);
        break;
#endif
#if RD_WG_R >= 7
      case 7:
        RD_ISA(GradTileT)(7, nt, RD_WG_ARGS);
        break;
#endif
#if RD_WG_R >= 6
      case 6:
        RD_ISA(GradTileT)(6, nt, RD_WG_ARGS);
        break;
#endif
#if RD_WG_R >= 5
      case 5:
        RD_ISA(GradTileT)(5, nt, RD_WG_ARGS);
        break;
#endif
#if RD_WG_R >= 4
      case 4:
        RD_ISA(GradTileT)(4, nt, RD_WG_ARGS);
        break;
#endif
#if RD_WG_R >= 3
      case 3:
        RD_ISA(GradTileT)(3, nt, RD_WG_ARGS);
        break;
#endif
#if RD_WG_R >= 2
      case 2:
        RD_ISA(GradTileT)(2, nt, RD_WG_ARGS);
        break;
#endif
      default:
        RD_ISA(GradTileT)(1, nt, RD_WG_ARGS);
        break;
      }
    }
  }
  if (!bias_grad) return;
  for (PetscInt o = 0; o < out_channels; o++) {
    const double *restrict grad = output_grad + (size_t)o * grad_channel_stride;
    RdVec                  acc[RD_VECS_PER_BLOCK];
    for (int h = 0; h < RD_VECS_PER_BLOCK; h++) acc[h] = RD_SPLAT(0.0);
    for (size_t p = 0; p < (size_t)out_height * (size_t)out_width; p++)
      for (PetscInt b = 0; b < lanes; b += RD_CONV_LANES)
        for (int h = 0; h < RD_VECS_PER_BLOCK; h++) acc[h] = acc[h] + RD_ISA(Load)(grad + p * (size_t)lanes + (size_t)b + (size_t)(h * RD_VEC_LANES));
    bias_grad[o] = RD_ISA(ReduceBlock)(acc);
  }
}
#undef RD_WG_ARGS

/* ------------------------------------------------------------------------------------------ */
/* relu + 2 x 2 max pool.                                                                       */

static void RD_ISA(PoolReluForward)(RdTensorShape in_shape, PetscInt lanes, const double *input, double *output)
{
  const RdTensorShape out_shape = RdPoolOutputShape(in_shape);
  const size_t        L = (size_t)lanes, row = (size_t)in_shape.width * L;
  const RdVec         zero = RD_SPLAT(0.0);

  for (PetscInt c = 0; c < in_shape.channels; c++)
    for (PetscInt py = 0; py < out_shape.height; py++)
      for (PetscInt px = 0; px < out_shape.width; px++) {
        const double *a   = input + (((size_t)c * (size_t)in_shape.height + 2 * (size_t)py) * (size_t)in_shape.width + 2 * (size_t)px) * L;
        double       *out = output + (((size_t)c * (size_t)out_shape.height + (size_t)py) * (size_t)out_shape.width + (size_t)px) * L;
        for (size_t b = 0; b < L; b += RD_VEC_LANES) {
          RdVec       m  = RD_ISA(Load)(a + b);
          const RdVec v1 = RD_ISA(Load)(a + L + b), v2 = RD_ISA(Load)(a + row + b), v3 = RD_ISA(Load)(a + row + L + b);
          m = RD_ISA(Select)(v1 > m, v1, m);
          m = RD_ISA(Select)(v2 > m, v2, m);
          m = RD_ISA(Select)(v3 > m, v3, m);
          RD_ISA(Store)(out + b, RD_ISA(Select)(m > zero, m, zero));
        }
      }
}

static void RD_ISA(PoolReluBackward)(RdTensorShape in_shape, PetscInt lanes, const double *input, const double *output_grad, double *input_grad)
{
  const RdTensorShape out_shape = RdPoolOutputShape(in_shape);
  const size_t        L = (size_t)lanes, row = (size_t)in_shape.width * L;
  const RdVec         zero = RD_SPLAT(0.0);

  for (PetscInt c = 0; c < in_shape.channels; c++) {
    double *plane = input_grad + (size_t)c * (size_t)in_shape.height * row;
    /* the dropped trailing column and row */
    if (in_shape.width % 2)
      for (PetscInt y = 0; y < in_shape.height; y++) memset(plane + (size_t)y * row + (size_t)(in_shape.width - 1) * L, 0, L * sizeof(double));
    if (in_shape.height % 2) memset(plane + (size_t)(in_shape.height - 1) * row, 0, row * sizeof(double));
    for (PetscInt py = 0; py < out_shape.height; py++)
      for (PetscInt px = 0; px < out_shape.width; px++) {
        const size_t  at = ((size_t)c * (size_t)in_shape.height + 2 * (size_t)py) * row + 2 * (size_t)px * L;
        const double *a  = input + at;
        double       *g  = input_grad + at;
        const double *go = output_grad + (((size_t)c * (size_t)out_shape.height + (size_t)py) * (size_t)out_shape.width + (size_t)px) * L;
        for (size_t b = 0; b < L; b += RD_VEC_LANES) {
          RdVec        m  = RD_ISA(Load)(a + b);
          const RdVec  v1 = RD_ISA(Load)(a + L + b), v2 = RD_ISA(Load)(a + row + b), v3 = RD_ISA(Load)(a + row + L + b);
          const RdMask s1 = v1 > m;
          m               = RD_ISA(Select)(s1, v1, m);
          const RdMask s2 = v2 > m;
          m               = RD_ISA(Select)(s2, v2, m);
          const RdMask s3 = v3 > m;
          m               = RD_ISA(Select)(s3, v3, m);
          /* the winner is the last position whose comparison succeeded; only a positive maximum
           * passes the gradient */
          const RdVec gv = RD_ISA(Select)(m > zero, RD_ISA(Load)(go + b), zero);
          const RdMask w3 = s3, w2 = s2 & ~s3, w1 = s1 & ~s2 & ~s3, w0 = ~(s1 | s2 | s3);
          RD_ISA(Store)(g + b, RD_ISA(Select)(w0, gv, zero));
          RD_ISA(Store)(g + L + b, RD_ISA(Select)(w1, gv, zero));
          RD_ISA(Store)(g + row + b, RD_ISA(Select)(w2, gv, zero));
          RD_ISA(Store)(g + row + L + b, RD_ISA(Select)(w3, gv, zero));
        }
      }
  }
}

#undef RD_VECS_PER_BLOCK
