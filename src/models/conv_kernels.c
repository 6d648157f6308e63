/* Fast kernels of include/repdrift/conv.h: one body (conv_kernels_body.h) compiled for AVX-512,
 * for AVX2 with FMA, and for the baseline instruction set, and chosen at run time. The copies
 * differ only in vector width and register tiles; every sum has the order documented in conv.h
 * and every product-sum is a fused multiply-add (an FMA instruction, or the C library's exact fma()
 * in the baseline copy), so all three return the same bits.
 *
 * Dispatch is local to this file (one table of function pointers chosen on first use) until the
 * project's shared kernel dispatch exists. */
#include <repdrift/conv.h>
#include <math.h>
#include <stddef.h>
#include <string.h>

#if defined(__GNUC__) && defined(__x86_64__) && !defined(REPDRIFT_PORTABLE_KERNEL)
  #define RD_CONV_X86_DISPATCH 1
  #include <immintrin.h>
#else
  #define RD_CONV_X86_DISPATCH 0
#endif

/* ------------------------------------------------------------------------------------------ */
/* Baseline copy: GCC vector extensions of two doubles, fma() lane by lane.                    */
typedef double RdVecBase __attribute__((vector_size(16)));
typedef __typeof__((RdVecBase){0} > (RdVecBase){0}) RdMaskBase;
static inline __attribute__((always_inline)) RdVecBase FmaBase(RdVecBase a, RdVecBase b, RdVecBase c)
{
  RdVecBase r;
  for (int l = 0; l < 2; l++) r[l] = fma(a[l], b[l], c[l]);
  return r;
}
#define RdVec            RdVecBase
#define RdMask           RdMaskBase
#define RD_VEC_LANES     2
#define RD_ISA(name)     name##_base
#define RD_FMA(a, b, c)  FmaBase(a, b, c)
#define RD_SPLAT(x)      ((RdVecBase){(x), (x)})
#define RD_FWD_CO        2
#define RD_FWD_V         4
#define RD_WG_R          1
#define RD_WG_T          3
#include "conv_kernels_body.h"
#undef RdVec
#undef RdMask
#undef RD_VEC_LANES
#undef RD_ISA
#undef RD_FMA
#undef RD_SPLAT
#undef RD_FWD_CO
#undef RD_FWD_V
#undef RD_WG_R
#undef RD_WG_T

#if RD_CONV_X86_DISPATCH
/* ------------------------------------------------------------------------------------------ */
/* AVX2 + FMA copy: 4 doubles per vector, 16 registers.                                        */
  #pragma GCC push_options
  #pragma GCC target("avx2,fma")
typedef __typeof__((__m256d){0} > (__m256d){0}) RdMaskAVX2;
  #define RdVec           __m256d
  #define RdMask          RdMaskAVX2
  #define RD_VEC_LANES    4
  #define RD_ISA(name)    name##_avx2
  #define RD_FMA(a, b, c) _mm256_fmadd_pd(a, b, c)
  #define RD_SPLAT(x)     _mm256_set1_pd(x)
  #define RD_FWD_CO       3
  #define RD_FWD_V        4
  #define RD_WG_R         2
  #define RD_WG_T         3
  #include "conv_kernels_body.h"
  #undef RdVec
  #undef RdMask
  #undef RD_VEC_LANES
  #undef RD_ISA
  #undef RD_FMA
  #undef RD_SPLAT
  #undef RD_FWD_CO
  #undef RD_FWD_V
  #undef RD_WG_R
  #undef RD_WG_T
  #pragma GCC pop_options

/* ------------------------------------------------------------------------------------------ */
/* AVX-512 copy: 8 doubles per vector, 32 registers.                                           */
  #pragma GCC push_options
  #pragma GCC target("avx512f,avx512dq,avx512vl,avx2,fma")
typedef __typeof__((__m512d){0} > (__m512d){0}) RdMaskAVX512;
  #define RdVec           __m512d
  #define RdMask          RdMaskAVX512
  #define RD_VEC_LANES    8
  #define RD_ISA(name)    name##_avx512
  #define RD_FMA(a, b, c) _mm512_fmadd_pd(a, b, c)
  #define RD_SPLAT(x)     _mm512_set1_pd(x)
  #define RD_FWD_CO       8
  #define RD_FWD_V        3
  #define RD_WG_R         4
  #define RD_WG_T         5
  #include "conv_kernels_body.h"
  #undef RdVec
  #undef RdMask
  #undef RD_VEC_LANES
  #undef RD_ISA
  #undef RD_FMA
  #undef RD_SPLAT
  #undef RD_FWD_CO
  #undef RD_FWD_V
  #undef RD_WG_R
  #undef RD_WG_T
  #pragma GCC pop_options
#endif

/* ------------------------------------------------------------------------------------------ */
/* Run-time choice.                                                                             */

typedef struct {
  const char *name;
  void (*forward)(RdTensorShape, PetscInt, PetscInt, PetscInt, const double *, const double *, PetscInt, const double *, double *);
  void (*weight_gradient)(RdTensorShape, PetscInt, PetscInt, PetscInt, const double *, const double *, double *, double *);
  void (*pool_forward)(RdTensorShape, PetscInt, const double *, double *);
  void (*pool_backward)(RdTensorShape, PetscInt, const double *, const double *, double *);
} ConvKernels;

static const ConvKernels kernels_base = {"baseline", ConvForward_base, ConvWeightGradient_base, PoolReluForward_base, PoolReluBackward_base};
#if RD_CONV_X86_DISPATCH
static const ConvKernels kernels_avx2   = {"avx2", ConvForward_avx2, ConvWeightGradient_avx2, PoolReluForward_avx2, PoolReluBackward_avx2};
static const ConvKernels kernels_avx512 = {"avx512", ConvForward_avx512, ConvWeightGradient_avx512, PoolReluForward_avx512, PoolReluBackward_avx512};
#endif

static const ConvKernels *chosen = NULL;

static int SupportsISA(const char *isa)
{
  if (!strcmp(isa, "baseline")) return 1;
#if RD_CONV_X86_DISPATCH
  __builtin_cpu_init();
  if (!strcmp(isa, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!strcmp(isa, "avx512")) return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#endif
  return 0;
}

static const ConvKernels *KernelsOf(const char *isa)
{
#if RD_CONV_X86_DISPATCH
  if (!strcmp(isa, "avx512")) return &kernels_avx512;
  if (!strcmp(isa, "avx2")) return &kernels_avx2;
#endif
  (void)isa;
  return &kernels_base;
}

static const ConvKernels *Kernels(void)
{
  if (!chosen) {
    const char *order[] = {"avx512", "avx2", "baseline"};
    for (int i = 0; i < 3 && !chosen; i++)
      if (SupportsISA(order[i])) chosen = KernelsOf(order[i]);
  }
  return chosen;
}

const char *RdConvKernelISA(void) { return Kernels()->name; }

PetscBool RdConvKernelForceISA(const char *isa)
{
  if (!isa) {
    chosen = NULL;
    return PETSC_TRUE;
  }
  if (strcmp(isa, "avx512") && strcmp(isa, "avx2") && strcmp(isa, "baseline")) return PETSC_FALSE;
  if (!SupportsISA(isa)) return PETSC_FALSE;
  chosen = KernelsOf(isa);
  return PETSC_TRUE;
}

/* ------------------------------------------------------------------------------------------ */
/* Public kernels.                                                                              */

void RdConvForward(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, const double *bias, PetscInt lanes, const double *input, double *output)
{
  Kernels()->forward(in, out_channels, K, pad, weight, bias, lanes, input, output);
}

void RdConvWeightGradient(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt lanes, const double *input, const double *output_grad, double *weight_grad, double *bias_grad)
{
  Kernels()->weight_gradient(in, out_channels, K, lanes, input, output_grad, weight_grad, bias_grad);
}

void RdPoolReluForward(RdTensorShape in, PetscInt lanes, const double *input, double *output) { Kernels()->pool_forward(in, lanes, input, output); }

void RdPoolReluBackward(RdTensorShape in, PetscInt lanes, const double *input, const double *output_grad, double *input_grad) { Kernels()->pool_backward(in, lanes, input, output_grad, input_grad); }

void RdConvFlipWeights(PetscInt out_channels, PetscInt in_channels, PetscInt K, const double *weight, double *flipped)
{
  for (PetscInt o = 0; o < out_channels; o++)
    for (PetscInt i = 0; i < in_channels; i++)
      for (PetscInt ky = 0; ky < K; ky++)
        for (PetscInt kx = 0; kx < K; kx++) flipped[(((size_t)i * (size_t)out_channels + (size_t)o) * (size_t)K + (size_t)(K - 1 - ky)) * (size_t)K + (size_t)(K - 1 - kx)] = weight[(((size_t)o * (size_t)in_channels + (size_t)i) * (size_t)K + (size_t)ky) * (size_t)K + (size_t)kx];
}

void RdConvInputGradient(RdTensorShape in, PetscInt out_channels, PetscInt K, PetscInt pad, const double *weight, PetscInt lanes, const double *output_grad, double *input_grad, double *flipped_scratch)
{
  const RdTensorShape out = RdConvOutputShape(in, out_channels, K, pad);
  RdConvFlipWeights(out_channels, in.channels, K, weight, flipped_scratch);
  /* out + 2 (K-1-pad) - K + 1 = in: the shapes match */
  RdConvForward(out, in.channels, K, K - 1 - pad, flipped_scratch, NULL, lanes, output_grad, input_grad);
}

void RdDenseForward(PetscInt rows, PetscInt cols, const double *W, const double *bias, PetscInt lanes, const double *input, double *output)
{
  const RdTensorShape in = {cols, 1, 1};
  RdConvForward(in, rows, 1, 0, W, bias, lanes, input, output);
}

void RdDenseInputGradient(PetscInt rows, PetscInt cols, const double *W, PetscInt lanes, const double *output_grad, double *input_grad, double *transposed_scratch)
{
  const RdTensorShape in = {rows, 1, 1};
  for (PetscInt r = 0; r < rows; r++)
    for (PetscInt k = 0; k < cols; k++) transposed_scratch[RD_IDX2(k, r, rows)] = W[RD_IDX2(r, k, cols)];
  RdConvForward(in, cols, 1, 0, transposed_scratch, NULL, lanes, output_grad, input_grad);
}

void RdDenseWeightGradient(PetscInt rows, PetscInt cols, PetscInt lanes, const double *input, const double *output_grad, double *W_grad, double *bias_grad)
{
  const RdTensorShape in = {cols, 1, 1};
  RdConvWeightGradient(in, rows, 1, lanes, input, output_grad, W_grad, bias_grad);
}
