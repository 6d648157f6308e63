/* Run-time instruction-set dispatch of the hot kernels (private to src/).
 *
 * A kernel is written once, as RD_KERNEL_INLINE functions, and instantiated in one small function
 * per instruction set: the baseline copy plain, the others with RD_KERNEL_TARGET_AVX2 /
 * RD_KERNEL_TARGET_AVX512, and the public entry point calls the copy RdKernelIsaActive() names
 * (include/repdrift/kernel_isa.h). Because sums have an order fixed in the source and strict C11
 * keeps FMA contraction off, every copy gives bit-identical results; only the speed differs.
 *
 *   #include "kernel_dispatch.h"
 *   RD_KERNEL_INLINE void Body(...) { ... }
 *   static void KernelBaseline(...) { Body(...); }
 *   #if RD_KERNEL_DISPATCH
 *   RD_KERNEL_TARGET_AVX2 static void KernelAVX2(...) { Body(...); }
 *   RD_KERNEL_TARGET_AVX512 static void KernelAVX512(...) { Body(...); }
 *   #endif
 *   void Kernel(...) {
 *     switch (RdKernelIsaActive()) {
 *   #if RD_KERNEL_DISPATCH
 *     case RD_KERNEL_ISA_AVX512: KernelAVX512(...); return;
 *     case RD_KERNEL_ISA_AVX2:   KernelAVX2(...); return;
 *   #endif
 *     default: KernelBaseline(...);
 *     }
 *   }
 *
 * Rules for the bodies: no function that is not inlined may take or return a vector type (the
 * baseline copy's ABI must not change), and no intrinsic of a wider ISA outside a function carrying
 * its target attribute. GCC and Clang on x86-64 only; elsewhere, or with REPDRIFT_PORTABLE_KERNEL
 * defined, RD_KERNEL_DISPATCH is 0 and only the baseline copy exists. */
#ifndef REPDRIFT_KERNEL_DISPATCH_H
#define REPDRIFT_KERNEL_DISPATCH_H

#include <repdrift/kernel_isa.h>

/* No FMA contraction anywhere in a kernel's file: every copy must round each product and each sum
 * on its own, or the copies would differ in the last bit. GCC in strict ISO C (the build's
 * -std=c11, CMAKE_C_EXTENSIONS OFF) means -ffp-contract=off; Clang contracts within an expression
 * by default unless told, so include this header before any code. */
#if defined(__clang__)
  #pragma STDC FP_CONTRACT OFF
#elif defined(__GNUC__) && !defined(__STRICT_ANSI__)
  #error "the kernels need strict ISO C (-std=c11, CMAKE_C_EXTENSIONS OFF): GNU C modes contract a*b+c into FMA"
#endif

/* every helper of a kernel is inlined into each ISA's copy (and into the baseline one alike) */
#if defined(__GNUC__)
  #define RD_KERNEL_INLINE static inline __attribute__((always_inline))
#else
  #define RD_KERNEL_INLINE static inline
#endif

#if defined(__GNUC__) && defined(__x86_64__) && !defined(REPDRIFT_PORTABLE_KERNEL)
  #define RD_KERNEL_DISPATCH 1
  #define RD_KERNEL_TARGET_AVX2 __attribute__((target("avx2")))
  /* x86-64-v4's AVX-512 subset; with GCC, 512-bit vectors preferred where it vectorises itself */
  #if defined(__clang__)
    #define RD_KERNEL_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512dq,avx512bw,avx512vl")))
  #else
    #define RD_KERNEL_TARGET_AVX512 __attribute__((target("avx2,avx512f,avx512dq,avx512bw,avx512vl,prefer-vector-width=512")))
  #endif
#else
  #define RD_KERNEL_DISPATCH 0
  #define RD_KERNEL_TARGET_AVX2
  #define RD_KERNEL_TARGET_AVX512
#endif
/* the name src/models/classifier.c used for RD_KERNEL_DISPATCH */
#define RD_KERNEL_AVX2_DISPATCH RD_KERNEL_DISPATCH

#endif
