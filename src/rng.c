/* Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, SC'11) and the streams
 * built on it. A draw is a pure function of (key, counter): streams never share state, so the
 * same (seed, stream id, purpose) gives the same numbers on any rank, in any order. */
#include <repdrift/rng.h>
#include <math.h>

#define PHILOX_M0 0xD2511F53u
#define PHILOX_M1 0xCD9E8D57u
#define PHILOX_W0 0x9E3779B9u /* golden ratio */
#define PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

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
  for (int round = 0; round < 10; round++) {
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

double RdStreamUniform(RdStream *stream)
{
  uint32_t high = RdStreamUInt32(stream) >> 5; /* 27 bits */
  uint32_t low  = RdStreamUInt32(stream) >> 6; /* 26 bits */
  double   k    = (double)high * 67108864.0 + (double)low; /* integer in [0, 2^53) */
  return (k + 0.5) / 9007199254740992.0;                  /* centre of its cell: never 0 or 1 */
}

double RdStreamNormal(RdStream *stream)
{
  if (stream->has_spare_normal) {
    stream->has_spare_normal = 0;
    return stream->spare_normal;
  }
  double radius = sqrt(-2.0 * log(RdStreamUniform(stream)));
  double angle  = 2.0 * PETSC_PI * RdStreamUniform(stream);
  stream->spare_normal     = radius * sin(angle);
  stream->has_spare_normal = 1;
  return radius * cos(angle);
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
