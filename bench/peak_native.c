/* Hardware peak of one core, for context only: fused multiply-adds with this machine's full
 * instruction set (compiled with -march=native, fma() maps to the FMA instruction). The kernel is
 * compiled with the project's portable flags and strict C11 (no contraction), so its own roof is
 * the mul+add peak bench_sgd.c measures with those flags. */
#include <math.h>
#include <petscsys.h>

/* Enough independent chains for 2 FMA pipes x 4-5 cycles latency x 8-double vectors. */
#define NATIVE_CHAINS 96

double PeakFmaNative(long iterations, int *chains_out);

double PeakFmaNative(long iterations, int *chains_out)
{
  double         chain[NATIVE_CHAINS], a = 0.9999999, b = 1e-7, sink = 0.0;
  PetscLogDouble start, end;

  for (;;) {
    for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = 1.0 + 1e-3 * l;
    (void)PetscTime(&start);
    for (long it = 0; it < iterations; it++)
      for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = fma(chain[l], a, b);
    (void)PetscTime(&end);
    for (int l = 0; l < NATIVE_CHAINS; l++) sink += chain[l];
    if (end - start > 0.3) break;
    iterations *= 2;
  }
  *chains_out = NATIVE_CHAINS;
  /* keeps the loop alive; the chains converge to b / (1 - a), finite */
  return isfinite(sink) ? 2.0 * NATIVE_CHAINS * (double)iterations / (end - start) : 0.0;
}
