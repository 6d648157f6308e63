/* The shared small kernels: the two dot products and their documented summation orders, the
 * quadratic form, and SplitMix64 against the published test vectors (Rosetta Code's seed 1234567;
 * the first output for seed 0 in Vigna's splitmix64.c), with its uniform and normal draws. */
#include <repdrift/dense.h>
#include <repdrift/splitmix.h>
#include "testing.h"

static void TestDots(void)
{
  const double a[7] = {1, -2, 3, 4, -5, 6, 7}, b[7] = {2, 1, -1, 3, 0.5, -2, 1};
  /* integers and halves: every partial sum is exact, so both orders give the exact 2-2-3+12-2.5-12+7 */
  RD_CHECK(RdDot(a, b, 7) == 1.5 && RdDotSequential(a, b, 7) == 1.5, "exact dot 1.5: RdDot %g, RdDotSequential %g", RdDot(a, b, 7), RdDotSequential(a, b, 7));
  /* where the order shows: 1e16 + 1 rounds back to 1e16 (spacing 2), -1e16 + 1 to -1e16 */
  const double big[4] = {1e16, 1, -1e16, 1}, ones[4] = {1, 1, 1, 1};
  RD_CHECK(RdDotSequential(big, ones, 4) == 1.0, "left to right ((1e16 + 1) - 1e16) + 1 = 1, got %g", RdDotSequential(big, ones, 4));
  RD_CHECK(RdDot(big, ones, 4) == 0.0, "four partial sums (1e16 + 1) + (-1e16 + 1) = 0, got %g", RdDot(big, ones, 4));
  RD_CHECK(RdDot(a, b, 0) == 0.0 && RdDotSequential(a, b, 0) == 0.0, "empty dot is 0");
  RD_CHECK_CLOSE(RdNorm(b, 2), sqrt(5.0), 1e-15, "norm of (2, 1)");
  const double A[4] = {2, 1, 1, 3}, w[2] = {1, 2};
  RD_CHECK(RdQuadraticForm(A, w, 2) == 18.0, "w^T A w = 2 + 2*2 + 3*4 = 18, got %g", RdQuadraticForm(A, w, 2));
}

static void TestSplitMix(void)
{
  const uint64_t expected[3] = {6457827717110365317ULL, 3203168211198807973ULL, 9817491932198370423ULL};
  uint64_t       state       = 1234567;
  for (int i = 0; i < 3; i++) {
    const uint64_t got = RdSplitMix64(&state);
    RD_CHECK(got == expected[i], "SplitMix64(1234567) output %d: got %llu expected %llu", i, (unsigned long long)got, (unsigned long long)expected[i]);
  }
  state = 0;
  RD_CHECK(RdSplitMix64(&state) == 0xe220a8397b1dcdafULL, "SplitMix64(0) first output 0xe220a8397b1dcdaf");
  /* the uniform is the top 53 bits plus half a step */
  state = 0;
  RD_CHECK(RdSplitMixUniform(&state) == ((double)(0xe220a8397b1dcdafULL >> 11) + 0.5) / 9007199254740992.0, "uniform = (top 53 bits + 1/2) / 2^53");
  /* moments of 2e5 draws: uniform mean 1/2 and variance 1/12, normal mean 0 and variance 1 (5 sigma) */
  enum { draws = 200000 };
  double   su = 0, suu = 0, sn = 0, snn = 0, lowest = 1, highest = 0;
  uint64_t u_state = 42, n_state = 43;
  for (int i = 0; i < draws; i++) {
    const double u = RdSplitMixUniform(&u_state), z = RdSplitMixNormal(&n_state);
    su += u, suu += u * u, sn += z, snn += z * z;
    lowest = fmin(lowest, u), highest = fmax(highest, u);
  }
  RD_CHECK(lowest > 0.0 && highest < 1.0, "uniform draws in the open interval (0, 1): [%g, %g]", lowest, highest);
  RD_CHECK_CLOSE(su / draws, 0.5, 5 * sqrt(1.0 / 12 / draws), "uniform mean");
  RD_CHECK_CLOSE(suu / draws - (su / draws) * (su / draws), 1.0 / 12, 5 * sqrt(1.0 / 180 / draws), "uniform variance");
  RD_CHECK_CLOSE(sn / draws, 0.0, 5 * sqrt(1.0 / draws), "normal mean");
  RD_CHECK_CLOSE(snn / draws, 1.0, 5 * sqrt(2.0 / draws), "normal second moment");
  /* one normal consumes exactly two uniforms, first u1 (radius) then u2 (angle) */
  uint64_t a = 7, b = 7;
  const double z = RdSplitMixNormal(&a), u1 = RdSplitMixUniform(&b), u2 = RdSplitMixUniform(&b);
  RD_CHECK(z == sqrt(-2.0 * log(u1)) * cos(2 * PETSC_PI * u2) && a == b, "normal = sqrt(-2 ln u1) cos(2 pi u2), two draws");
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  TestDots();
  TestSplitMix();
  int code = RdTestSummary("test_dense");
  PetscCall(PetscFinalize());
  return code;
}
