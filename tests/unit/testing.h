/* Minimal assertion helpers for the C unit tests: every check prints what it compared, a
 * failing check makes the test exit non-zero, and the summary line counts passes/failures. */
#ifndef REPDRIFT_TESTING_H
#define REPDRIFT_TESTING_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <slepcsys.h>

static int rd_test_passed = 0, rd_test_failed = 0;

#define RD_CHECK(cond, ...) \
  do { \
    if (cond) rd_test_passed++; \
    else { rd_test_failed++; printf("FAIL %s:%d: ", __FILE__, __LINE__); printf(__VA_ARGS__); printf("\n"); } \
  } while (0)

/* |a - b| <= tol (absolute); NaN == NaN counts as equal so padding checks can use it too. */
#define RD_CHECK_CLOSE(a, b, tol, what) \
  do { \
    double rd_a_ = (double)(a), rd_b_ = (double)(b); \
    int rd_ok_ = (isnan(rd_a_) && isnan(rd_b_)) || fabs(rd_a_ - rd_b_) <= (tol); \
    RD_CHECK(rd_ok_, "%s: got %.17g expected %.17g (tol %g)", what, rd_a_, rd_b_, (double)(tol)); \
  } while (0)

/* A local deterministic generator (splitmix64 + Box-Muller) so kernel tests do not depend on the
 * rng module they may be testing alongside. Each test file seeds it with RdTestSeed(). */
static uint64_t rd_test_state = 0x9e3779b97f4a7c15ULL;

static inline void RdTestSeed(uint64_t seed) { rd_test_state = seed; }

static inline double RdTestUniform(void)
{
  uint64_t z = (rd_test_state += 0x9e3779b97f4a7c15ULL);
  z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  z ^= z >> 31;
  return ((double)(z >> 11) + 0.5) / 9007199254740992.0; /* (0, 1) */
}

static inline double RdTestNormal(void) { return sqrt(-2.0 * log(RdTestUniform())) * cos(2.0 * PETSC_PI * RdTestUniform()); }

/* Largest |a_i - b_i| and largest |a_i| of count values (trajectory comparisons). */
static inline double MaxAbsDiff(const double *a, const double *b, size_t count)
{
  double diff = 0.0;
  for (size_t i = 0; i < count; i++) diff = fmax(diff, fabs(a[i] - b[i]));
  return diff;
}

static inline double MaxAbs(const double *a, size_t count)
{
  double v = 0.0;
  for (size_t i = 0; i < count; i++) v = fmax(v, fabs(a[i]));
  return v;
}

/* Prints the closing line and returns the process exit code. */
static inline int RdTestSummary(const char *name)
{
  printf("%s: %d passed, %d failed\n", name, rd_test_passed, rd_test_failed);
  return rd_test_failed ? 1 : 0;
}

#endif
