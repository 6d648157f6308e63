/* The benchmarks' clock: the calling thread's CPU time by default, so that other processes sharing
 * the core (a busy development machine) do not count against either side of a comparison; the
 * wall clock on request (-clock wall; an idle machine gives the same numbers either way). numpy's
 * side (bench/numpy_sgd.py --clock) uses the same two clocks. */
#ifndef REPDRIFT_BENCH_CLOCK_H
#define REPDRIFT_BENCH_CLOCK_H

#include <time.h>

static inline double BenchSeconds(int cpu_time)
{
  struct timespec t;
  (void)clock_gettime(cpu_time ? CLOCK_THREAD_CPUTIME_ID : CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

#endif
