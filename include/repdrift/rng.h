/* Counter-based random streams (Philox4x32-10, Salmon et al. SC'11).
 *
 * A stream is keyed by (global seed, stream id, purpose); the 128-bit counter is
 * (draw index lo, draw index hi, stream id, purpose) and the 64-bit key is the global seed.
 * Every draw is therefore a pure function of (seed, stream id, purpose, draw index):
 * no global state, nothing depends on the MPI rank that happens to evaluate it. */
#ifndef REPDRIFT_RNG_H
#define REPDRIFT_RNG_H

#include <repdrift/common.h>

/* What a stream is used for. A sub-index (day, stimulus, ...) may be folded in with RD_PURPOSE(). */
typedef enum {
  RD_PURPOSE_STIMULI        = 1, /* stimulus vectors x_k */
  RD_PURPOSE_TARGETS        = 2, /* targets y_k */
  RD_PURPOSE_INIT           = 3, /* initial weights */
  RD_PURPOSE_SGD_SAMPLING   = 4, /* which stimulus each SGD step presents */
  RD_PURPOSE_TRAIN_NOISE    = 5, /* input noise and dropout masks during training */
  RD_PURPOSE_PROBE          = 6, /* probe presentations (input noise, dropout), per day */
  RD_PURPOSE_READOUT        = 7, /* anything random in the readout analysis */
  RD_PURPOSE_DATASET        = 8, /* classifier: the training (sub 0) and held-out test (sub 1) sets */
  RD_PURPOSE_PROBE_NULL     = 9, /* the second probe of a day (delta t = 0 null), per day */
  RD_PURPOSE_EVALUATION     = 10 /* noise of the per-day accuracy / loss evaluation, per day */
} RdPurposeKind;

/* Purpose word = kind in the low 8 bits, sub-index above (e.g. the day for probes). */
#define RD_PURPOSE(kind, sub) ((uint32_t)(kind) | ((uint32_t)(sub) << 8))

typedef struct {
  uint32_t key[2];     /* global seed */
  uint32_t counter[4]; /* draw block lo, hi, stream id, purpose */
  uint32_t block[4];   /* current output block */
  int      used;       /* words of block already consumed (4 = empty) */
  int      has_spare_normal;
  double   spare_normal;
} RdStream;

/* One Philox4x32-10 block: out = philox(counter, key). Exposed for known-answer tests. */
void RdPhilox4x32_10(const uint32_t counter[4], const uint32_t key[2], uint32_t out[4]);

void     RdStreamInit(RdStream *stream, uint64_t seed, uint32_t stream_id, uint32_t purpose);
uint32_t RdStreamUInt32(RdStream *stream);
/* Uniform on the open interval (0,1), 53 random bits. */
double   RdStreamUniform(RdStream *stream);
/* Standard normal (Box-Muller on two uniforms; the second value is kept for the next call). */
double   RdStreamNormal(RdStream *stream);
/* Uniform integer in [0, n) without modulo bias. */
uint32_t RdStreamBelow(RdStream *stream, uint32_t n);
/* Index k with probability cumulative[k] - cumulative[k-1]; cumulative[n-1] must be 1. */
int      RdStreamCategorical(RdStream *stream, const double *cumulative, int n);

/* Block draws: each returns exactly what `count` successive calls of the scalar function above
 * return, and leaves the stream in the same state (words, spare normal), however the calls would
 * have been interleaved with other draws before; only faster (many Philox blocks per SIMD register,
 * include/repdrift/kernel_isa.h). count = 0 draws nothing. */
void     RdStreamFillUInt32(RdStream *stream, uint32_t *out, size_t count);  /* RdStreamUInt32 */
void     RdStreamFillUniform(RdStream *stream, double *out, size_t count);   /* RdStreamUniform */
void     RdStreamFillNormal(RdStream *stream, double *out, size_t count);    /* RdStreamNormal */
/* Dropout masks: out[j] = (RdStreamUniform(stream) >= p) ? kept_value : 0.0, decided on the
 * uniform's 53 raw bits against threshold = RdUniformThreshold(p) (computed once per p). */
void     RdStreamFillKeep(RdStream *stream, uint64_t threshold, double kept_value, double *out, size_t count);
/* The smallest 53-bit cell k = (first word >> 5) * 2^26 + (second word >> 6) whose uniform
 * (k + 0.5) / 2^53 is >= p, so that uniform >= p  <=>  k >= threshold, exactly; 2^53 = never. */
uint64_t RdUniformThreshold(double p);

#endif
