/* Which copy of the hot kernels runs (include/repdrift/kernel_isa.h, src/kernel_dispatch.h): the
 * best one the CPU supports, capped by REPDRIFT_KERNEL_ISA or RdKernelIsaLimit(). */
#include "kernel_dispatch.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[RD_KERNEL_ISA_COUNT]     = {"baseline", "AVX2", "AVX-512"};
static const char *const isa_env_values[RD_KERNEL_ISA_COUNT] = {"baseline", "avx2", "avx512"};

static int         isa_known = 0;
static RdKernelIsa isa_supported, isa_limit;

static RdKernelIsa DetectSupported(void)
{
#if RD_KERNEL_DISPATCH
  __builtin_cpu_init(); /* may run before libgcc's own constructor */
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")) return RD_KERNEL_ISA_AVX512;
  if (__builtin_cpu_supports("avx2")) return RD_KERNEL_ISA_AVX2;
#endif
  return RD_KERNEL_ISA_BASELINE;
}

/* The environment's cap; an unknown value is a user error, reported before anything runs. */
static void Initialize(void)
{
  const char *env;

  if (isa_known) return;
  env = getenv("REPDRIFT_KERNEL_ISA");
  isa_supported = DetectSupported();
  isa_limit     = RD_KERNEL_ISA_AVX512;
  if (env && *env) {
    int found = 0;
    for (int i = 0; i < RD_KERNEL_ISA_COUNT; i++)
      if (!strcmp(env, isa_env_values[i])) {
        isa_limit = (RdKernelIsa)i;
        found     = 1;
      }
    if (!found) {
      fprintf(stderr, "repdrift: REPDRIFT_KERNEL_ISA must be baseline, avx2 or avx512 (got '%s')\n", env);
      exit(2);
    }
  }
  isa_known = 1;
}

#if defined(__GNUC__)
/* read the environment at program start, so that a bad value stops the program before it writes */
__attribute__((constructor)) static void InitializeAtStart(void)
{
  Initialize();
}
#endif

RdKernelIsa RdKernelIsaSupported(void)
{
  Initialize();
  return isa_supported;
}

RdKernelIsa RdKernelIsaActive(void)
{
  Initialize();
  return isa_supported < isa_limit ? isa_supported : isa_limit;
}

RdKernelIsa RdKernelIsaLimit(RdKernelIsa limit)
{
  RdKernelIsa previous;

  Initialize();
  previous  = isa_limit;
  isa_limit = limit < RD_KERNEL_ISA_BASELINE ? RD_KERNEL_ISA_BASELINE : limit > RD_KERNEL_ISA_AVX512 ? RD_KERNEL_ISA_AVX512 : limit;
  return previous;
}

const char *RdKernelIsaName(RdKernelIsa isa)
{
  return isa >= 0 && isa < RD_KERNEL_ISA_COUNT ? isa_names[isa] : "unknown";
}
