/* Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, SC'11) and the streams
 * built on it. A draw is a pure function of (key, counter): streams never share state, so the
 * same (seed, stream id, purpose) gives the same numbers on any rank, in any order.
 *
 * Block draws (RdStreamFill*) compute many consecutive Philox blocks at once -- 4 counters per
 * AVX2 register, 8 per AVX-512 register, in 64-bit lanes so that one vpmuludq is Philox's 32x32
 * -> 64-bit multiply -- and then apply exactly the scalar transforms: the same integer words, the
 * same double arithmetic for uniforms, the same libm calls for normals, and dropout masks decided
 * on the raw bits by an integer threshold equivalent to the scalar comparison (RdUniformThreshold).
 * Every fill therefore returns bit for bit what the scalar calls return and leaves the stream in
 * the same state (tests/unit/test_rng.c checks every path). */
#include "kernel_dispatch.h" /* first: no FMA contraction in anything below */
#include <repdrift/rng.h>
#include <math.h>
#if RD_KERNEL_DISPATCH
  #include <immintrin.h>
#endif

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */
#define PHILOX_ROUNDS 10

/* 2^26 and 2^53: a uniform is built from 27 + 26 random bits */
#define UNIFORM_HIGH_SCALE 67108864.0
#define UNIFORM_DENOMINATOR 9007199254740992.0
#define UNIFORM_CELLS (UINT64_C(1) << 53)

/* Registers of counters in flight per iteration of the vector generators: Philox's rounds are a
 * chain of multiply, shift and xor, so independent registers keep the multipliers busy, as many as
 * the register file holds (4 x 4 words + constants: 16 ymm / 32 zmm registers). */
#define PHILOX_VECTORS_AVX2 3
#define PHILOX_VECTORS_AVX512 4

/* Words generated per chunk of a block draw (a multiple of 4; 2 KiB of stack). */
#define FILL_CHUNK_WORDS 512

static inline void MulHiLo32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
  uint64_t product = (uint64_t)a * (uint64_t)b;
  *hi              = (uint32_t)(product >> 32);
  *lo              = (uint32_t)product;
}

void RdPhilox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4])
{
  uint32_t x0 = counter[0], x1 = counter[1], x2 = counter[2], x3 = counter[3];
  uint32_t k0 = key[0], k1 = key[1];
  for (int round = 0; round < PHILOX_ROUNDS; round++) {
    uint32_t hi0, lo0, hi1, lo1;
    if (round > 0) { /* the key schedule bumps before every round but the first */
      k0 += PHILOX_W0;
      k1 += PHILOX_W1;
    }
    MulHiLo32(PHILOX_M0, x0, &hi0, &lo0);
    MulHiLo32(PHILOX_M1, x2, &hi1, &lo1);
    x0 = hi1 ^ x1 ^ k0;
    x1 = lo1;
    x2 = hi0 ^ x3 ^ k1;
    x3 = lo0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
}

void RdStreamInit(RdStream *stream, uint64_t seed, uint32_t stream_id, uint32_t purpose)
{
  stream->key[0]           = (uint32_t)seed;
  stream->key[1]           = (uint32_t)(seed >> 32);
  stream->counter[0]       = 0;
  stream->counter[1]       = 0;
  stream->counter[2]       = stream_id;
  stream->counter[3]       = purpose;
  stream->used             = 4;
  stream->has_spare_normal = 0;
  stream->spare_normal     = 0.0;
}

uint32_t RdStreamUInt32(RdStream *stream)
{
  if (stream->used == 4) {
    RdPhilox4x32_10(stream->counter, stream->key, stream->block);
    /* 64-bit block index in counter words 0 and 1 */
    if (++stream->counter[0] == 0) stream->counter[1]++;
    stream->used = 0;
  }
  return stream->block[stream->used++];
}

/* The uniform of two consecutive words: shared by the scalar and the block draws. */
static inline double UniformOfWords(uint32_t first, uint32_t second)
{
  uint32_t high = first >> 5;  /* 27 bits */
  uint32_t low  = second >> 6; /* 26 bits */
  double   k    = (double)high * UNIFORM_HIGH_SCALE + (double)low; /* integer in [0, 2^53) */
  return (k + 0.5) / UNIFORM_DENOMINATOR;                          /* centre of its cell: never 0 or 1 */
}

/* The 53-bit integer k of the same two words: UniformOfWords is (k + 0.5) / 2^53, rounded. */
static inline uint64_t CellOfWords(uint32_t first, uint32_t second)
{
  return ((uint64_t)(first >> 5) << 26) | (uint64_t)(second >> 6);
}

double RdStreamUniform(RdStream *stream)
{
  uint32_t first  = RdStreamUInt32(stream);
  uint32_t second = RdStreamUInt32(stream);
  return UniformOfWords(first, second);
}

/* Box-Muller on two uniforms: shared by the scalar and the block draws, so both compile to the
 * same libm calls (log, sqrt and, as GCC merges sin and cos of one angle, sincos). */
static inline void BoxMuller(double u_radius, double u_angle, double *first, double *second)
{
  double radius = sqrt(-2.0 * log(u_radius));
  double angle  = 2.0 * PETSC_PI * u_angle;
  *second       = radius * sin(angle);
  *first        = radius * cos(angle);
}

double RdStreamNormal(RdStream *stream)
{
  double first, u_radius, u_angle;
  if (stream->has_spare_normal) {
    stream->has_spare_normal = 0;
    return stream->spare_normal;
  }
  u_radius = RdStreamUniform(stream);
  u_angle  = RdStreamUniform(stream);
  BoxMuller(u_radius, u_angle, &first, &stream->spare_normal);
  stream->has_spare_normal = 1;
  return first;
}

uint32_t RdStreamBelow(RdStream *stream, uint32_t n)
{
  /* reject the few values that would make r % n favour small results */
  uint32_t threshold = (uint32_t)(-n) % n;
  for (;;) {
    uint32_t r = RdStreamUInt32(stream);
    if (r >= threshold) return r % n;
  }
}

int RdStreamCategorical(RdStream *stream, const double *cumulative, int n)
{
  double u = RdStreamUniform(stream);
  for (int k = 0; k < n - 1; k++)
    if (u < cumulative[k]) return k;
  return n - 1;
}

/* ------------------------------------------------------------------------------------------ */
/* Block draws.                                                                                 */

#if RD_KERNEL_DISPATCH
/* Round keys of Philox4x32-10 for one 64-bit key: round r uses (k0 + r W0, k1 + r W1). */
static void RoundKeys(const uint32_t key[2], uint32_t k0[PHILOX_ROUNDS], uint32_t k1[PHILOX_ROUNDS])
{
  for (int r = 0; r < PHILOX_ROUNDS; r++) {
    k0[r] = key[0] + (uint32_t)r * PHILOX_W0;
    k1[r] = key[1] + (uint32_t)r * PHILOX_W1;
  }
}
#endif

/* out[4 b + w] = word w of Philox(counter (first + b as 64 bits, id, purpose), key), b < nblocks. */
static void PhiloxBlocksScalar(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint32_t *out)
{
  for (size_t b = 0; b < nblocks; b++) {
    const uint64_t index      = first + b;
    const uint32_t counter[4] = {(uint32_t)index, (uint32_t)(index >> 32), id, purpose};
    RdPhilox4x32_10(counter, key, out + 4 * b);
  }
}

/* out[2 b + i] = kept_value if the cell of block b's uniform i (words 2i, 2i + 1) is >= threshold,
 * else 0, for b < nblocks; branch-free (the outcome is a coin flip). */
static void PhiloxKeepScalar(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint64_t threshold, double kept_value, double *out)
{
  const double choice[2] = {0.0, kept_value};
  for (size_t b = 0; b < nblocks; b++) {
    const uint64_t index      = first + b;
    const uint32_t counter[4] = {(uint32_t)index, (uint32_t)(index >> 32), id, purpose};
    uint32_t       words[4];
    RdPhilox4x32_10(counter, key, words);
    out[2 * b]     = choice[CellOfWords(words[0], words[1]) >= threshold];
    out[2 * b + 1] = choice[CellOfWords(words[2], words[3]) >= threshold];
  }
}

#if RD_KERNEL_DISPATCH
/* Four counters per register, one per 64-bit lane, each word in the low half of its lane:
 * _mm256_mul_epu32 multiplies the low halves into the full 64-bit product, so the product is both
 * (hi << 32 | lo) of Philox's multiply. The high halves of x1 and x3 (and of x0, x2 after the xor)
 * carry junk that the next multiply ignores and the outputs mask off. */
typedef struct {
  __m256i x0[PHILOX_VECTORS_AVX2], x1[PHILOX_VECTORS_AVX2], x2[PHILOX_VECTORS_AVX2], x3[PHILOX_VECTORS_AVX2];
} PhiloxAVX2;

RD_KERNEL_TARGET_AVX2 static inline __attribute__((always_inline)) void PhiloxRoundsAVX2(const uint32_t k0[PHILOX_ROUNDS], const uint32_t k1[PHILOX_ROUNDS], uint32_t id, uint32_t purpose, uint64_t first, int vectors, PhiloxAVX2 *x)
{
  const __m256i m0 = _mm256_set1_epi64x(PHILOX_M0), m1 = _mm256_set1_epi64x(PHILOX_M1);
  const __m256i lane = _mm256_set_epi64x(3, 2, 1, 0), low32 = _mm256_set1_epi64x(0xffffffff);
  for (int v = 0; v < vectors; v++) {
    const __m256i index = _mm256_add_epi64(_mm256_set1_epi64x((long long)(first + 4 * (uint64_t)v)), lane);
    x->x0[v]            = _mm256_and_si256(index, low32);
    x->x1[v]            = _mm256_srli_epi64(index, 32);
    x->x2[v]            = _mm256_set1_epi64x(id);
    x->x3[v]            = _mm256_set1_epi64x(purpose);
  }
  for (int r = 0; r < PHILOX_ROUNDS; r++) {
    const __m256i key0 = _mm256_set1_epi64x(k0[r]), key1 = _mm256_set1_epi64x(k1[r]);
    for (int v = 0; v < vectors; v++) {
      const __m256i p0 = _mm256_mul_epu32(x->x0[v], m0), p1 = _mm256_mul_epu32(x->x2[v], m1);
      x->x0[v]         = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p1, 32), x->x1[v]), key0);
      x->x2[v]         = _mm256_xor_si256(_mm256_xor_si256(_mm256_srli_epi64(p0, 32), x->x3[v]), key1);
      x->x1[v]         = p1;
      x->x3[v]         = p0;
    }
  }
}

/* The words of `vectors` registers of blocks, from block `b` on, in stream order. */
RD_KERNEL_TARGET_AVX2 static inline __attribute__((always_inline)) void WordsAVX2(const uint32_t k0[PHILOX_ROUNDS], const uint32_t k1[PHILOX_ROUNDS], uint32_t id, uint32_t purpose, uint64_t first, int vectors, uint32_t *out)
{
  PhiloxAVX2 x;
  PhiloxRoundsAVX2(k0, k1, id, purpose, first, vectors, &x);
  for (int v = 0; v < vectors; v++) {
    /* lanes (w0 | w1 << 32) and (w2 | w3 << 32) of each block, then the blocks in order */
    const __m256i w01 = _mm256_blend_epi32(x.x0[v], _mm256_slli_epi64(x.x1[v], 32), 0xAA);
    const __m256i w23 = _mm256_blend_epi32(x.x2[v], _mm256_slli_epi64(x.x3[v], 32), 0xAA);
    const __m256i lo = _mm256_unpacklo_epi64(w01, w23), hi = _mm256_unpackhi_epi64(w01, w23);
    _mm256_storeu_si256((__m256i *)(out + 16 * v), _mm256_permute2x128_si256(lo, hi, 0x20));
    _mm256_storeu_si256((__m256i *)(out + 16 * v + 8), _mm256_permute2x128_si256(lo, hi, 0x31));
  }
}

RD_KERNEL_TARGET_AVX2 static void PhiloxBlocksAVX2(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint32_t *out)
{
  uint32_t k0[PHILOX_ROUNDS], k1[PHILOX_ROUNDS];
  size_t   b = 0;

  RoundKeys(key, k0, k1);
  for (; b + 4 * PHILOX_VECTORS_AVX2 <= nblocks; b += 4 * PHILOX_VECTORS_AVX2) WordsAVX2(k0, k1, id, purpose, first + b, PHILOX_VECTORS_AVX2, out + 4 * b);
  for (; b + 4 <= nblocks; b += 4) WordsAVX2(k0, k1, id, purpose, first + b, 1, out + 4 * b);
  PhiloxBlocksScalar(key, id, purpose, first + b, nblocks - b, out + 4 * b);
}

/* The 53-bit cells of the uniforms (w0, w1) and (w2, w3) of each lane's block, as 64-bit lanes. */
#define CELLS_AVX2(a, b) _mm256_or_si256(_mm256_slli_epi64(_mm256_srli_epi64(_mm256_and_si256(a, low32), 5), 26), _mm256_srli_epi64(_mm256_and_si256(b, low32), 6))

/* Dropout scales of the 2 x 4 vectors uniforms of `vectors` registers of blocks: out[2b] from
 * block b's words (0, 1), out[2b + 1] from (2, 3). Cells and threshold are below 2^63, so the
 * signed compare is the unsigned one. */
RD_KERNEL_TARGET_AVX2 static inline __attribute__((always_inline)) void KeepAVX2(const uint32_t k0[PHILOX_ROUNDS], const uint32_t k1[PHILOX_ROUNDS], uint32_t id, uint32_t purpose, uint64_t first, int vectors, uint64_t threshold, double kept_value, double *out)
{
  const __m256i low32 = _mm256_set1_epi64x(0xffffffff), below = _mm256_set1_epi64x((long long)threshold - 1);
  const __m256d kept  = _mm256_set1_pd(kept_value);
  PhiloxAVX2    x;
  PhiloxRoundsAVX2(k0, k1, id, purpose, first, vectors, &x);
  for (int v = 0; v < vectors; v++) {
    const __m256d even = _mm256_and_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(CELLS_AVX2(x.x0[v], x.x1[v]), below)), kept);
    const __m256d odd  = _mm256_and_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(CELLS_AVX2(x.x2[v], x.x3[v]), below)), kept);
    const __m256d lo = _mm256_unpacklo_pd(even, odd), hi = _mm256_unpackhi_pd(even, odd);
    _mm256_storeu_pd(out + 8 * v, _mm256_permute2f128_pd(lo, hi, 0x20));
    _mm256_storeu_pd(out + 8 * v + 4, _mm256_permute2f128_pd(lo, hi, 0x31));
  }
}

RD_KERNEL_TARGET_AVX2 static void PhiloxKeepAVX2(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint64_t threshold, double kept_value, double *out)
{
  uint32_t k0[PHILOX_ROUNDS], k1[PHILOX_ROUNDS];
  size_t   b = 0;

  RoundKeys(key, k0, k1);
  for (; b + 4 * PHILOX_VECTORS_AVX2 <= nblocks; b += 4 * PHILOX_VECTORS_AVX2) KeepAVX2(k0, k1, id, purpose, first + b, PHILOX_VECTORS_AVX2, threshold, kept_value, out + 2 * b);
  for (; b + 4 <= nblocks; b += 4) KeepAVX2(k0, k1, id, purpose, first + b, 1, threshold, kept_value, out + 2 * b);
  PhiloxKeepScalar(key, id, purpose, first + b, nblocks - b, threshold, kept_value, out + 2 * b);
}

/* Eight counters per register, as in the AVX2 version; vpternlogq does each three-way xor. */
typedef struct {
  __m512i x0[PHILOX_VECTORS_AVX512], x1[PHILOX_VECTORS_AVX512], x2[PHILOX_VECTORS_AVX512], x3[PHILOX_VECTORS_AVX512];
} PhiloxAVX512;

RD_KERNEL_TARGET_AVX512 static inline __attribute__((always_inline)) void PhiloxRoundsAVX512(const uint32_t k0[PHILOX_ROUNDS], const uint32_t k1[PHILOX_ROUNDS], uint32_t id, uint32_t purpose, uint64_t first, int vectors, PhiloxAVX512 *x)
{
  const __m512i m0 = _mm512_set1_epi64(PHILOX_M0), m1 = _mm512_set1_epi64(PHILOX_M1);
  const __m512i lane = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), low32 = _mm512_set1_epi64(0xffffffff);
  for (int v = 0; v < vectors; v++) {
    const __m512i index = _mm512_add_epi64(_mm512_set1_epi64((long long)(first + 8 * (uint64_t)v)), lane);
    x->x0[v]            = _mm512_and_si512(index, low32);
    x->x1[v]            = _mm512_srli_epi64(index, 32);
    x->x2[v]            = _mm512_set1_epi64(id);
    x->x3[v]            = _mm512_set1_epi64(purpose);
  }
  for (int r = 0; r < PHILOX_ROUNDS; r++) {
    const __m512i key0 = _mm512_set1_epi64(k0[r]), key1 = _mm512_set1_epi64(k1[r]);
    for (int v = 0; v < vectors; v++) {
      const __m512i p0 = _mm512_mul_epu32(x->x0[v], m0), p1 = _mm512_mul_epu32(x->x2[v], m1);
      x->x0[v]         = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p1, 32), x->x1[v], key0, 0x96); /* a ^ b ^ c */
      x->x2[v]         = _mm512_ternarylogic_epi64(_mm512_srli_epi64(p0, 32), x->x3[v], key1, 0x96);
      x->x1[v]         = p1;
      x->x3[v]         = p0;
    }
  }
}

RD_KERNEL_TARGET_AVX512 static inline __attribute__((always_inline)) void WordsAVX512(const uint32_t k0[PHILOX_ROUNDS], const uint32_t k1[PHILOX_ROUNDS], uint32_t id, uint32_t purpose, uint64_t first, int vectors, uint32_t *out)
{
  const __m512i first_half = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), second_half = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
  PhiloxAVX512  x;
  PhiloxRoundsAVX512(k0, k1, id, purpose, first, vectors, &x);
  for (int v = 0; v < vectors; v++) {
    const __m512i w01 = _mm512_mask_blend_epi32(0xAAAA, x.x0[v], _mm512_slli_epi64(x.x1[v], 32));
    const __m512i w23 = _mm512_mask_blend_epi32(0xAAAA, x.x2[v], _mm512_slli_epi64(x.x3[v], 32));
    _mm512_storeu_si512((void *)(out + 32 * v), _mm512_permutex2var_epi64(w01, first_half, w23));
    _mm512_storeu_si512((void *)(out + 32 * v + 16), _mm512_permutex2var_epi64(w01, second_half, w23));
  }
}

RD_KERNEL_TARGET_AVX512 static void PhiloxBlocksAVX512(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint32_t *out)
{
  uint32_t k0[PHILOX_ROUNDS], k1[PHILOX_ROUNDS];
  size_t   b = 0;

  RoundKeys(key, k0, k1);
  for (; b + 8 * PHILOX_VECTORS_AVX512 <= nblocks; b += 8 * PHILOX_VECTORS_AVX512) WordsAVX512(k0, k1, id, purpose, first + b, PHILOX_VECTORS_AVX512, out + 4 * b);
  for (; b + 8 <= nblocks; b += 8) WordsAVX512(k0, k1, id, purpose, first + b, 1, out + 4 * b);
  PhiloxBlocksAVX2(key, id, purpose, first + b, nblocks - b, out + 4 * b);
}

#define CELLS_AVX512(a, b) _mm512_or_si512(_mm512_slli_epi64(_mm512_srli_epi64(_mm512_and_si512(a, low32), 5), 26), _mm512_srli_epi64(_mm512_and_si512(b, low32), 6))

RD_KERNEL_TARGET_AVX512 static inline __attribute__((always_inline)) void KeepAVX512(const uint32_t k0[PHILOX_ROUNDS], const uint32_t k1[PHILOX_ROUNDS], uint32_t id, uint32_t purpose, uint64_t first, int vectors, uint64_t threshold, double kept_value, double *out)
{
  const __m512i low32 = _mm512_set1_epi64(0xffffffff), limit = _mm512_set1_epi64((long long)threshold);
  const __m512i first_half = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0), second_half = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
  const __m512d kept = _mm512_set1_pd(kept_value);
  PhiloxAVX512  x;
  PhiloxRoundsAVX512(k0, k1, id, purpose, first, vectors, &x);
  for (int v = 0; v < vectors; v++) {
    const __m512d even = _mm512_maskz_mov_pd(_mm512_cmpge_epu64_mask(CELLS_AVX512(x.x0[v], x.x1[v]), limit), kept);
    const __m512d odd  = _mm512_maskz_mov_pd(_mm512_cmpge_epu64_mask(CELLS_AVX512(x.x2[v], x.x3[v]), limit), kept);
    _mm512_storeu_pd(out + 16 * v, _mm512_permutex2var_pd(even, first_half, odd));
    _mm512_storeu_pd(out + 16 * v + 8, _mm512_permutex2var_pd(even, second_half, odd));
  }
}

RD_KERNEL_TARGET_AVX512 static void PhiloxKeepAVX512(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint64_t threshold, double kept_value, double *out)
{
  uint32_t k0[PHILOX_ROUNDS], k1[PHILOX_ROUNDS];
  size_t   b = 0;

  RoundKeys(key, k0, k1);
  for (; b + 8 * PHILOX_VECTORS_AVX512 <= nblocks; b += 8 * PHILOX_VECTORS_AVX512) KeepAVX512(k0, k1, id, purpose, first + b, PHILOX_VECTORS_AVX512, threshold, kept_value, out + 2 * b);
  for (; b + 8 <= nblocks; b += 8) KeepAVX512(k0, k1, id, purpose, first + b, 1, threshold, kept_value, out + 2 * b);
  PhiloxKeepAVX2(key, id, purpose, first + b, nblocks - b, threshold, kept_value, out + 2 * b);
}
#endif

static void PhiloxBlocks(const uint32_t key[2], uint32_t id, uint32_t purpose, uint64_t first, size_t nblocks, uint32_t *out)
{
  switch (RdKernelIsaActive()) {
#if RD_KERNEL_DISPATCH
  case RD_KERNEL_ISA_AVX512:
    PhiloxBlocksAVX512(key, id, purpose, first, nblocks, out);
    return;
  case RD_KERNEL_ISA_AVX2:
    PhiloxBlocksAVX2(key, id, purpose, first, nblocks, out);
    return;
#endif
  default:
    PhiloxBlocksScalar(key, id, purpose, first, nblocks, out);
  }
}

void RdStreamFillUInt32(RdStream *stream, uint32_t *out, size_t count)
{
  size_t i = 0;
  /* the rest of the current block, whole blocks straight into out, then a new current block */
  while (i < count && stream->used < 4) out[i++] = stream->block[stream->used++];
  const size_t whole = (count - i) / 4;
  if (whole > 0) {
    const uint64_t first = (uint64_t)stream->counter[0] | (uint64_t)stream->counter[1] << 32;
    const uint64_t next  = first + whole;
    PhiloxBlocks(stream->key, stream->counter[2], stream->counter[3], first, whole, out + i);
    stream->counter[0] = (uint32_t)next;
    stream->counter[1] = (uint32_t)(next >> 32);
    i += 4 * whole;
  }
  while (i < count) out[i++] = RdStreamUInt32(stream);
}

void RdStreamFillUniform(RdStream *stream, double *out, size_t count)
{
  uint32_t words[FILL_CHUNK_WORDS];
  for (size_t done = 0; done < count;) {
    const size_t chunk = count - done < FILL_CHUNK_WORDS / 2 ? count - done : FILL_CHUNK_WORDS / 2;
    RdStreamFillUInt32(stream, words, 2 * chunk);
    for (size_t j = 0; j < chunk; j++) out[done + j] = UniformOfWords(words[2 * j], words[2 * j + 1]);
    done += chunk;
  }
}

void RdStreamFillNormal(RdStream *stream, double *out, size_t count)
{
  double uniforms[FILL_CHUNK_WORDS / 2];
  size_t done = 0;
  if (count > 0 && stream->has_spare_normal) {
    stream->has_spare_normal = 0;
    out[done++]              = stream->spare_normal;
  }
  while (done < count) {
    /* one pair of uniforms per two normals; an odd count keeps the last pair's second as the spare */
    const size_t normals = count - done < FILL_CHUNK_WORDS / 2 ? count - done : FILL_CHUNK_WORDS / 2;
    const size_t pairs   = normals / 2;
    double      *o       = out + done;
    RdStreamFillUniform(stream, uniforms, 2 * ((normals + 1) / 2));
    for (size_t q = 0; q < pairs; q++) BoxMuller(uniforms[2 * q], uniforms[2 * q + 1], &o[2 * q], &o[2 * q + 1]);
    if (normals % 2) {
      BoxMuller(uniforms[2 * pairs], uniforms[2 * pairs + 1], &o[2 * pairs], &stream->spare_normal);
      stream->has_spare_normal = 1;
    }
    done += normals;
  }
}

uint64_t RdUniformThreshold(double p)
{
  /* UniformOfWords is non-decreasing in the cell k (each operation rounds monotonically), so
   * "uniform >= p" holds exactly for k >= the first cell where it holds: bisect for it with the
   * very expression the scalar draw evaluates. UNIFORM_CELLS = no cell qualifies. */
  uint64_t lo = 0, hi = UNIFORM_CELLS;
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (UniformOfWords((uint32_t)(mid >> 26) << 5, (uint32_t)(mid & ((1u << 26) - 1)) << 6) >= p) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/* One scalar uniform of the stream, compared on its raw bits. */
static inline double KeepOfNextUniform(RdStream *stream, uint64_t threshold, const double choice[2])
{
  const uint32_t first  = RdStreamUInt32(stream);
  const uint32_t second = RdStreamUInt32(stream);
  return choice[CellOfWords(first, second) >= threshold];
}

void RdStreamFillKeep(RdStream *stream, uint64_t threshold, double kept_value, double *out, size_t count)
{
  const double choice[2] = {0.0, kept_value};
  size_t       done      = 0;

  /* the uniform that finishes the current block, if the stream stands at its middle */
  if (count > 0 && stream->used == 2) out[done++] = KeepOfNextUniform(stream, threshold, choice);
  if (stream->used == 4) {
    /* block-aligned: two uniforms per block, straight from the generator's registers */
    const size_t   whole = (count - done) / 2;
    const uint64_t first = (uint64_t)stream->counter[0] | (uint64_t)stream->counter[1] << 32, next = first + whole;
    switch (RdKernelIsaActive()) {
#if RD_KERNEL_DISPATCH
    case RD_KERNEL_ISA_AVX512:
      PhiloxKeepAVX512(stream->key, stream->counter[2], stream->counter[3], first, whole, threshold, kept_value, out + done);
      break;
    case RD_KERNEL_ISA_AVX2:
      PhiloxKeepAVX2(stream->key, stream->counter[2], stream->counter[3], first, whole, threshold, kept_value, out + done);
      break;
#endif
    default:
      PhiloxKeepScalar(stream->key, stream->counter[2], stream->counter[3], first, whole, threshold, kept_value, out + done);
    }
    stream->counter[0] = (uint32_t)next;
    stream->counter[1] = (uint32_t)(next >> 32);
    done += 2 * whole;
    if (done < count) out[done++] = KeepOfNextUniform(stream, threshold, choice);
  } else {
    /* an odd word offset (after RdStreamUInt32 or RdStreamBelow): words first, then pairs */
    uint32_t words[FILL_CHUNK_WORDS];
    while (done < count) {
      const size_t chunk = count - done < FILL_CHUNK_WORDS / 2 ? count - done : FILL_CHUNK_WORDS / 2;
      RdStreamFillUInt32(stream, words, 2 * chunk);
      for (size_t j = 0; j < chunk; j++) out[done + j] = choice[CellOfWords(words[2 * j], words[2 * j + 1]) >= threshold];
      done += chunk;
    }
  }
}
