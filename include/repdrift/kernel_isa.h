/* Which instruction set the hot kernels (linear-network SGD, the block random draws) run in.
 *
 * The kernels are compiled several times -- for the baseline x86-64 ISA (SSE2), for AVX2 and for
 * AVX-512 -- and pick one at run time (src/kernel_dispatch.h). Every copy computes bit-identical
 * results: sums have an order fixed in the source and strict C11 keeps FMA contraction off, so the
 * choice changes the speed only. It can be capped, to test or time every path on one machine:
 *   environment REPDRIFT_KERNEL_ISA=baseline|avx2|avx512 (read once, at program start), or
 *   RdKernelIsaLimit() (tests, benchmarks).
 * A build with REPDRIFT_PORTABLE_KERNEL, or for another architecture, has the baseline copy only. */
#ifndef REPDRIFT_KERNEL_ISA_H
#define REPDRIFT_KERNEL_ISA_H

typedef enum {
  RD_KERNEL_ISA_BASELINE = 0, /* what the build's flags allow (SSE2 on x86-64) */
  RD_KERNEL_ISA_AVX2     = 1,
  RD_KERNEL_ISA_AVX512   = 2, /* AVX-512 F, DQ, BW, VL */
  RD_KERNEL_ISA_COUNT    = 3
} RdKernelIsa;

/* The best copy this build has and this CPU runs. */
RdKernelIsa RdKernelIsaSupported(void);
/* The copy the kernels use now: RdKernelIsaSupported() capped by the limit. */
RdKernelIsa RdKernelIsaActive(void);
/* Caps the copy the kernels use (RD_KERNEL_ISA_AVX512 = no cap); returns the previous cap. */
RdKernelIsa RdKernelIsaLimit(RdKernelIsa limit);
/* "baseline", "AVX2", "AVX-512". */
const char *RdKernelIsaName(RdKernelIsa isa);

#endif
