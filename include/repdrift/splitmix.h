/* SplitMix64 (Steele, Lea & Flood, "Fast splittable pseudorandom number generators", OOPSLA 2014;
 * the constants of Vigna's public-domain splitmix64.c) and the two draws built on it. A tiny
 * sequential generator for self-contained searches whose randomness is a pure function of one
 * explicit seed (the kappa lower bound, the reduced-problem optimiser, RdSourcesUniform). It is
 * not a sweep stream: anything that depends on (seed, point, purpose) uses rng.h (Philox). */
#ifndef REPDRIFT_SPLITMIX_H
#define REPDRIFT_SPLITMIX_H

#include <repdrift/common.h>
#include <math.h>

/* Advances *state by the golden-ratio increment and returns the mixed 64-bit output. */
static inline uint64_t RdSplitMix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform on the open interval (0,1): the top 53 bits, offset by half a step. */
static inline double RdSplitMixUniform(uint64_t *state)
{
  return ((double)(RdSplitMix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal by Box-Muller, sqrt(-2 ln u1) cos(2 pi u2) with u1 drawn before u2; one value
 * per call (the sine partner is not kept). */
static inline double RdSplitMixNormal(uint64_t *state)
{
  const double u1 = RdSplitMixUniform(state), u2 = RdSplitMixUniform(state);
  return sqrt(-2.0 * log(u1)) * cos(2 * PETSC_PI * u2);
}

#endif
