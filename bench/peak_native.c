/* Hardware peak of one core: fused multiply-adds in the widest vectors this machine has, compiled
 * with -march=native (bench/CMakeLists.txt): 8 doubles per AVX-512 instruction, 4 per AVX2+FMA
 * one, else the scalar fma(). The kernel itself never uses FMA (strict C11, no contraction, so
 * that every instruction set gives the same bits); this is the machine's roof that bench_sgd
 * measures the kernel against. */
#include "bench_clock.h"
#include <math.h>
#include <stddef.h>
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
  #include <immintrin.h>
#endif

/* Independent accumulators: FMA latency (4-5 cycles) x 2 FMA pipes, with room to spare. */
#define NATIVE_CHAINS 16
/* Timed runs of at least 0.05 s after calibration; the best counts (as in bench_sgd.c). */
#define NATIVE_RUNS 10

double PeakFmaNative(int cpu_time, const char **isa);

double PeakFmaNative(int cpu_time, const char **isa)
{
  long   iterations = 1L << 16;
  double start, end, sink = 0.0, best = 0.0;
  int    lanes;

  for (int run = 0; run < NATIVE_RUNS;) {
#if defined(__AVX512F__)
    __m512d       chain[NATIVE_CHAINS];
    const __m512d a = _mm512_set1_pd(0.9999999), b = _mm512_set1_pd(1e-7);
    lanes           = 8;
    *isa            = "AVX-512 FMA, 8 doubles";
    for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = _mm512_set1_pd(1.0 + 1e-3 * l);
    start = BenchSeconds(cpu_time);
    for (long it = 0; it < iterations; it++)
      for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = _mm512_fmadd_pd(chain[l], a, b);
    end = BenchSeconds(cpu_time);
    for (int l = 0; l < NATIVE_CHAINS; l++) sink += _mm512_reduce_add_pd(chain[l]);
#elif defined(__AVX2__) && defined(__FMA__)
    __m256d       chain[NATIVE_CHAINS];
    const __m256d a = _mm256_set1_pd(0.9999999), b = _mm256_set1_pd(1e-7);
    double        parts[4];
    lanes           = 4;
    *isa            = "AVX2 FMA, 4 doubles";
    for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = _mm256_set1_pd(1.0 + 1e-3 * l);
    start = BenchSeconds(cpu_time);
    for (long it = 0; it < iterations; it++)
      for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = _mm256_fmadd_pd(chain[l], a, b);
    end = BenchSeconds(cpu_time);
    for (int l = 0; l < NATIVE_CHAINS; l++) {
      _mm256_storeu_pd(parts, chain[l]);
      sink += parts[0] + parts[1] + parts[2] + parts[3];
    }
#else
    double chain[NATIVE_CHAINS];
    lanes = 1;
    *isa  = "scalar fma()";
    for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = 1.0 + 1e-3 * l;
    start = BenchSeconds(cpu_time);
    for (long it = 0; it < iterations; it++)
      for (int l = 0; l < NATIVE_CHAINS; l++) chain[l] = fma(chain[l], 0.9999999, 1e-7);
    end = BenchSeconds(cpu_time);
    for (int l = 0; l < NATIVE_CHAINS; l++) sink += chain[l];
#endif
    if (end - start < 0.05) iterations *= 2; /* calibrating */
    else {
      const double rate = 2.0 * lanes * NATIVE_CHAINS * (double)iterations / (end - start);
      best              = rate > best ? rate : best;
      run++;
    }
  }
  /* the chains converge to b / (1 - a): finite, and the sum keeps the loop alive */
  return isfinite(sink) ? best : 0.0;
}
