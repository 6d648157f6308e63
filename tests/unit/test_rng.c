/* Philox known-answer vectors, stream statistics, and the property the sweep relies on: a point's
 * numbers do not depend on how points are distributed over ranks or in which order they run. */
#include <repdrift/rng.h>
#include "testing.h"

static void TestKnownAnswers(void)
{
  /* Known-answer vectors of Random123 (kat_vectors, philox4x32 10 rounds). */
  const uint32_t counters[3][4] = {{0, 0, 0, 0}, {0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu}, {0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u}};
  const uint32_t keys[3][2]     = {{0, 0}, {0xffffffffu, 0xffffffffu}, {0xa4093822u, 0x299f31d0u}};
  const uint32_t expected[3][4] = {{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u}, {0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu}, {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u}};
  for (int t = 0; t < 3; t++) {
    uint32_t out[4];
    RdPhilox4x32_10(counters[t], keys[t], out);
    for (int i = 0; i < 4; i++) RD_CHECK(out[i] == expected[t][i], "KAT %d word %d: got %08x expected %08x", t, i, out[i], expected[t][i]);
  }
}

static void TestMoments(void)
{
  RdStream     s;
  const int    n = 400000;
  double       sum_u = 0, sum_u2 = 0, sum_z = 0, sum_z2 = 0, sum_z4 = 0, min_u = 1, max_u = 0;
  RdStreamInit(&s, 12345, 7, RD_PURPOSE(RD_PURPOSE_PROBE, 3));
  for (int i = 0; i < n; i++) {
    double u = RdStreamUniform(&s);
    sum_u += u;
    sum_u2 += u * u;
    min_u = u < min_u ? u : min_u;
    max_u = u > max_u ? u : max_u;
  }
  for (int i = 0; i < n; i++) {
    double z = RdStreamNormal(&s);
    sum_z += z;
    sum_z2 += z * z;
    sum_z4 += z * z * z * z;
  }
  /* tolerances: ~5 standard errors of each estimator at n = 4e5 */
  RD_CHECK_CLOSE(sum_u / n, 0.5, 5 * sqrt(1.0 / 12 / n), "uniform mean");
  RD_CHECK_CLOSE(sum_u2 / n, 1.0 / 3, 5 * sqrt(4.0 / 45 / n), "uniform second moment");
  RD_CHECK(min_u > 0 && max_u < 1, "uniform stays in the open interval (%g, %g)", min_u, max_u);
  RD_CHECK_CLOSE(sum_z / n, 0.0, 5 * sqrt(1.0 / n), "normal mean");
  RD_CHECK_CLOSE(sum_z2 / n, 1.0, 5 * sqrt(2.0 / n), "normal variance");
  RD_CHECK_CLOSE(sum_z4 / n, 3.0, 5 * sqrt(96.0 / n), "normal fourth moment");

  /* categorical: frequencies of p = (0.5, 0.3, 0.2) */
  const double cumulative[3] = {0.5, 0.8, 1.0};
  int          counts[3]     = {0, 0, 0};
  for (int i = 0; i < n; i++) counts[RdStreamCategorical(&s, cumulative, 3)]++;
  const double p[3] = {0.5, 0.3, 0.2};
  for (int k = 0; k < 3; k++) RD_CHECK_CLOSE((double)counts[k] / n, p[k], 5 * sqrt(p[k] * (1 - p[k]) / n), "categorical frequency");

  int below[5] = {0};
  for (int i = 0; i < 100000; i++) below[RdStreamBelow(&s, 5)]++;
  for (int k = 0; k < 5; k++) RD_CHECK_CLOSE(below[k] / 100000.0, 0.2, 5 * sqrt(0.16 / 100000), "uniform integer below 5");
}

/* Different (seed, id, purpose) give unrelated streams: sample correlation ~ N(0, 1/n). */
static void TestStreamsAreDistinct(void)
{
  const int n = 100000;
  RdStream  a, b, c, d;
  RdStreamInit(&a, 1, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&b, 1, 1, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&c, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  RdStreamInit(&d, 2, 0, RD_PURPOSE_SGD_SAMPLING);
  double ab = 0, ac = 0, ad = 0;
  for (int i = 0; i < n; i++) {
    double za = RdStreamNormal(&a);
    ab += za * RdStreamNormal(&b);
    ac += za * RdStreamNormal(&c);
    ad += za * RdStreamNormal(&d);
  }
  RD_CHECK(fabs(ab / n) < 5 / sqrt(n), "stream id decorrelates: r = %g", ab / n);
  RD_CHECK(fabs(ac / n) < 5 / sqrt(n), "purpose decorrelates: r = %g", ac / n);
  RD_CHECK(fabs(ad / n) < 5 / sqrt(n), "seed decorrelates: r = %g", ad / n);
}

/* Points dealt round-robin to R "ranks" and run in rank order give, point by point, exactly the
 * numbers a single rank produces: nothing in a stream depends on who evaluates it or when. */
static void TestIndependentOfRankCount(void)
{
  enum { n_points = 7, n_draws = 1000 };
  static double reference[n_points][n_draws], dealt[n_points][n_draws];
  for (int p = 0; p < n_points; p++) {
    RdStream s;
    RdStreamInit(&s, 99, (uint32_t)p, RD_PURPOSE_TRAIN_NOISE);
    for (int i = 0; i < n_draws; i++) reference[p][i] = RdStreamNormal(&s);
  }
  for (int ranks = 2; ranks <= 3; ranks++) {
    /* each rank interleaves draws of all its points, one draw at a time */
    for (int rank = ranks - 1; rank >= 0; rank--) {
      RdStream streams[n_points];
      for (int p = rank; p < n_points; p += ranks) RdStreamInit(&streams[p], 99, (uint32_t)p, RD_PURPOSE_TRAIN_NOISE);
      for (int i = 0; i < n_draws; i++)
        for (int p = rank; p < n_points; p += ranks) dealt[p][i] = RdStreamNormal(&streams[p]);
    }
    int identical = 1;
    for (int p = 0; p < n_points; p++)
      for (int i = 0; i < n_draws; i++) identical &= dealt[p][i] == reference[p][i];
    RD_CHECK(identical, "streams on %d ranks bit-identical to 1 rank", ranks);
  }
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  TestKnownAnswers();
  TestMoments();
  TestStreamsAreDistinct();
  TestIndependentOfRankCount();
  int code = RdTestSummary("test_rng");
  PetscCall(SlepcFinalize());
  return code;
}
