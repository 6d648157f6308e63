/* Philox known-answer vectors, stream statistics, the property the sweep relies on (a point's
 * numbers do not depend on how points are distributed over ranks or in which order they run), and
 * the block draws: every instruction-set path returns exactly the scalar draws. */
#include <repdrift/rng.h>
#include <repdrift/kernel_isa.h>
#include "testing.h"
#include <string.h>

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

/* ------------------------------------------------------------------------------------------ */
/* Block draws vs scalar draws.                                                                 */

/* Counts around every vector and chunk boundary: 4 words per block, 8 / 16 blocks per vector
 * iteration (AVX2 / AVX-512), 512 words per chunk. */
static const size_t fill_counts[] = {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 1024, 1031, 4099};
#define N_FILL_COUNTS (sizeof(fill_counts) / sizeof(fill_counts[0]))
#define MAX_FILL 4099

/* Streams of every purpose, with sub-indices and seeds that use the high key word. */
static void FillStreamCase(int c, RdStream *s)
{
  const uint64_t seeds[4]    = {1, 12345, 0xfedcba9876543210ULL, 0xffffffffffffffffULL};
  const uint32_t sub         = (uint32_t)(c % 3 == 0 ? 0 : 7 * c + 1);
  const uint32_t purpose     = RD_PURPOSE(1 + c % RD_PURPOSE_EVALUATION, sub);
  RdStreamInit(s, seeds[c % 4], (uint32_t)(3 * c), purpose);
}
#define N_STREAM_CASES 20

/* The stream advanced by `offset` words (and, for odd cases, one normal, leaving a spare). */
static void Advance(RdStream *s, int offset, int with_spare)
{
  for (int i = 0; i < offset; i++) (void)RdStreamUInt32(s);
  if (with_spare) (void)RdStreamNormal(s);
}

/* The stream states agree: same next words, same spare. */
static int SameState(const RdStream *a, const RdStream *b)
{
  RdStream x = *a, y = *b;
  int      same = x.has_spare_normal == y.has_spare_normal && (!x.has_spare_normal || x.spare_normal == y.spare_normal);
  for (int i = 0; i < 9; i++) same &= RdStreamUInt32(&x) == RdStreamUInt32(&y);
  return same;
}

typedef enum { FILL_UINT32, FILL_UNIFORM, FILL_NORMAL, FILL_KEEP, N_FILL_KINDS } FillKind;
static const char *const fill_names[N_FILL_KINDS] = {"RdStreamFillUInt32", "RdStreamFillUniform", "RdStreamFillNormal", "RdStreamFillKeep"};

/* One comparison: `count` draws of `kind` by the block call and by the scalar calls, from copies of
 * one stream; returns 1 when values (bit for bit) and the stream states after agree. */
static int FillMatchesScalar(FillKind kind, const RdStream *start, size_t count, double p, double *block, double *scalar)
{
  static uint32_t block_words[MAX_FILL], scalar_words[MAX_FILL];
  RdStream        a = *start, b = *start;
  int             same = 1;
  switch (kind) {
  case FILL_UINT32:
    RdStreamFillUInt32(&a, block_words, count);
    for (size_t i = 0; i < count; i++) scalar_words[i] = RdStreamUInt32(&b);
    for (size_t i = 0; i < count; i++) same &= block_words[i] == scalar_words[i];
    break;
  case FILL_UNIFORM:
    RdStreamFillUniform(&a, block, count);
    for (size_t i = 0; i < count; i++) scalar[i] = RdStreamUniform(&b);
    break;
  case FILL_NORMAL:
    RdStreamFillNormal(&a, block, count);
    for (size_t i = 0; i < count; i++) scalar[i] = RdStreamNormal(&b);
    break;
  case FILL_KEEP:
    RdStreamFillKeep(&a, RdUniformThreshold(p), 2.5, block, count);
    for (size_t i = 0; i < count; i++) scalar[i] = RdStreamUniform(&b) >= p ? 2.5 : 0.0;
    break;
  default:
    break;
  }
  if (kind != FILL_UINT32)
    for (size_t i = 0; i < count; i++) same &= memcmp(&block[i], &scalar[i], sizeof(double)) == 0;
  return same && SameState(&a, &b);
}

/* Every kind, stream, starting offset (0-5 words, spare or not) and count, on one ISA path. */
static PetscErrorCode TestFillsOnPath(RdKernelIsa isa)
{
  const double dropouts[] = {0.0, 0.1, 0.2, 0.3, 0.5, 0.9, 1.0};
  double      *block, *scalar;
  RdStream     base;
  int          failures[N_FILL_KINDS] = {0}, compared[N_FILL_KINDS] = {0};

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(MAX_FILL, &block, MAX_FILL, &scalar));
  for (int c = 0; c < N_STREAM_CASES; c++)
    for (int offset = 0; offset < 6; offset++)
      for (size_t k = 0; k < N_FILL_COUNTS; k++) {
        FillStreamCase(c, &base);
        Advance(&base, offset, (c + offset) % 2);
        for (int kind = 0; kind < N_FILL_KINDS; kind++) {
          const double p = dropouts[(c + offset + k) % (sizeof(dropouts) / sizeof(dropouts[0]))];
          compared[kind]++;
          if (!FillMatchesScalar((FillKind)kind, &base, fill_counts[k], p, block, scalar)) {
            if (failures[kind]++ < 3) printf("  %s path: %s differs (stream case %d, offset %d, count %zu, p %g)\n", RdKernelIsaName(isa), fill_names[kind], c, offset, fill_counts[k], p);
          }
        }
      }
  for (int kind = 0; kind < N_FILL_KINDS; kind++) RD_CHECK(failures[kind] == 0, "%s path: %s = the scalar draws bit for bit, stream state included (%d of %d cases differ)", RdKernelIsaName(isa), fill_names[kind], failures[kind], compared[kind]);

  /* the 64-bit block counter carries from word 0 into word 1 inside a vector of counters */
  FillStreamCase(5, &base);
  base.counter[0] = 0xfffffff3u;
  base.counter[1] = 0x00000007u;
  RD_CHECK(FillMatchesScalar(FILL_UINT32, &base, 4099, 0.0, block, scalar), "%s path: counter carry across 2^32 blocks", RdKernelIsaName(isa));
  base.counter[0] = base.counter[1] = 0xfffffffdu;
  RD_CHECK(FillMatchesScalar(FILL_UINT32, &base, 1031, 0.0, block, scalar), "%s path: counter wrap across 2^64 blocks", RdKernelIsaName(isa));
  PetscCall(PetscFree2(block, scalar));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Random123's known answer computed inside a vector: the KAT counter at several lanes of a batch. */
static void TestKnownAnswerInBlocks(RdKernelIsa isa)
{
  static uint32_t words[4 * 40];
  const uint32_t  expected[4] = {0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u};
  const uint64_t  kat_block   = (uint64_t)0x85a308d3u << 32 | 0x243f6a88u;
  for (uint64_t lane = 0; lane < 20; lane += 3) {
    RdStream s;
    RdStreamInit(&s, (uint64_t)0x299f31d0u << 32 | 0xa4093822u, 0x13198a2eu, 0x03707344u);
    s.counter[0] = (uint32_t)(kat_block - lane);
    s.counter[1] = (uint32_t)((kat_block - lane) >> 32);
    RdStreamFillUInt32(&s, words, 4 * 40);
    int ok = 1;
    for (int w = 0; w < 4; w++) ok &= words[4 * lane + w] == expected[w];
    RD_CHECK(ok, "%s path: known-answer block at position %d of a 40-block fill", RdKernelIsaName(isa), (int)lane);
  }
}

/* uniform >= p  <=>  cell >= RdUniformThreshold(p), at the threshold itself, for probabilities
 * that fall between two cells' uniforms, on one, at the ends and outside [0, 1]. */
static void TestUniformThreshold(void)
{
  const double cells = 9007199254740992.0; /* 2^53 */
  double       probabilities[64];
  int          count = 0, ok = 1;
  const double fixed[] = {0.0, -1.0, 0.1, 0.2, 0.3, 0.5, 0.9, 1.0, 2.0, 1e-300, 0.5 / cells, 1.0 - 0.5 / cells, 1.0 - 1.5 / cells, (3.0 + 0.5) / cells, 0.25 + 0.5 / cells, 0.75 - 0.5 / cells};
  for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) probabilities[count++] = fixed[i];
  RdTestSeed(77);
  while (count < 64) probabilities[count++] = RdTestUniform();
  for (int i = 0; i < count; i++) {
    const double   p = probabilities[i];
    const uint64_t t = RdUniformThreshold(p);
    /* the uniform of cell k, as the generator computes it: (k + 0.5) / 2^53 with k exact */
    const int at    = t == (UINT64_C(1) << 53) || ((double)t + 0.5) / cells >= p;
    const int below = t == 0 || ((double)(t - 1) + 0.5) / cells < p;
    if (!(at && below)) printf("  p = %.17g: threshold %llu\n", p, (unsigned long long)t);
    ok &= at && below;
  }
  RD_CHECK(ok, "uniform >= p exactly for the cells >= RdUniformThreshold(p) (%d probabilities)", count);
  RD_CHECK(RdUniformThreshold(0.5) == (UINT64_C(1) << 52), "threshold of 1/2 is cell 2^52");
  RD_CHECK(RdUniformThreshold(0.0) == 0 && RdUniformThreshold(2.0) == (UINT64_C(1) << 53) && RdUniformThreshold(NAN) == (UINT64_C(1) << 53), "thresholds of 0 (always), 2 and NaN (never)");
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  TestKnownAnswers();
  TestMoments();
  TestStreamsAreDistinct();
  TestIndependentOfRankCount();
  TestUniformThreshold();
  /* every path this machine runs, the best first; a path the CPU lacks is reported, not tested */
  const RdKernelIsa supported = RdKernelIsaSupported();
  for (int isa = RD_KERNEL_ISA_AVX512; isa >= RD_KERNEL_ISA_BASELINE; isa--) {
    if (isa > (int)supported) {
      printf("  %s path: not supported by this CPU or build, not tested\n", RdKernelIsaName((RdKernelIsa)isa));
      continue;
    }
    const RdKernelIsa previous = RdKernelIsaLimit((RdKernelIsa)isa);
    RD_CHECK(RdKernelIsaActive() == (RdKernelIsa)isa, "%s path selected", RdKernelIsaName((RdKernelIsa)isa));
    TestKnownAnswerInBlocks((RdKernelIsa)isa);
    PetscCall(TestFillsOnPath((RdKernelIsa)isa));
    (void)RdKernelIsaLimit(previous);
  }
  int code = RdTestSummary("test_rng");
  PetscCall(SlepcFinalize());
  return code;
}
