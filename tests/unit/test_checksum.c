/* SipHash-2-4 against the 64 published test vectors of Aumasson & Bernstein (2012), Appendix A
 * and the reference implementation's vectors.h: key 00 01 .. 0f, messages 00 01 .. (n-1) for
 * n = 0..63; the streaming interface against the one-shot hash for every split of a message; and
 * the archive's point checksum (checksum.h) against its definition written out byte by byte. */
#include <repdrift/checksum.h>
#include <string.h>
#include "testing.h"

static const uint64_t published[64] = {
  0x726fdb47dd0e0e31ULL, 0x74f839c593dc67fdULL, 0x0d6c8009d9a94f5aULL, 0x85676696d7fb7e2dULL, 0xcf2794e0277187b7ULL, 0x18765564cd99a68dULL, 0xcbc9466e58fee3ceULL, 0xab0200f58b01d137ULL,
  0x93f5f5799a932462ULL, 0x9e0082df0ba9e4b0ULL, 0x7a5dbbc594ddb9f3ULL, 0xf4b32f46226bada7ULL, 0x751e8fbc860ee5fbULL, 0x14ea5627c0843d90ULL, 0xf723ca908e7af2eeULL, 0xa129ca6149be45e5ULL,
  0x3f2acc7f57c29bdbULL, 0x699ae9f52cbe4794ULL, 0x4bc1b3f0968dd39cULL, 0xbb6dc91da77961bdULL, 0xbed65cf21aa2ee98ULL, 0xd0f2cbb02e3b67c7ULL, 0x93536795e3a33e88ULL, 0xa80c038ccd5ccec8ULL,
  0xb8ad50c6f649af94ULL, 0xbce192de8a85b8eaULL, 0x17d835b85bbb15f3ULL, 0x2f2e6163076bcfadULL, 0xde4daaaca71dc9a5ULL, 0xa6a2506687956571ULL, 0xad87a3535c49ef28ULL, 0x32d892fad841c342ULL,
  0x7127512f72f27cceULL, 0xa7f32346f95978e3ULL, 0x12e0b01abb051238ULL, 0x15e034d40fa197aeULL, 0x314dffbe0815a3b4ULL, 0x027990f029623981ULL, 0xcadcd4e59ef40c4dULL, 0x9abfd8766a33735cULL,
  0x0e3ea96b5304a7d0ULL, 0xad0c42d6fc585992ULL, 0x187306c89bc215a9ULL, 0xd4a60abcf3792b95ULL, 0xf935451de4f21df2ULL, 0xa9538f0419755787ULL, 0xdb9acddff56ca510ULL, 0xd06c98cd5c0975ebULL,
  0xe612a3cb9ecba951ULL, 0xc766e62cfcadaf96ULL, 0xee64435a9752fe72ULL, 0xa192d576b245165aULL, 0x0a8787bf8ecb74b2ULL, 0x81b3e73d20b49b6fULL, 0x7fa8220ba3b2eceaULL, 0x245731c13ca42499ULL,
  0xb78dbfaf3a8d83bdULL, 0xea1ad565322a1a0bULL, 0x60e61c23a3795013ULL, 0x6606d7e446282b93ULL, 0x6ca4ecb15c5f91e1ULL, 0x9f626da15c9625f3ULL, 0xe51b38608ef25f57ULL, 0x958a324ceb064572ULL,
};

static void TestPublishedVectors(void)
{
  uint8_t key[16], message[64];
  for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
  for (int i = 0; i < 64; i++) message[i] = (uint8_t)i;
  for (int n = 0; n < 64; n++) {
    uint64_t got = RdSipHash24(key, message, (size_t)n);
    RD_CHECK(got == published[n], "SipHash-2-4 of %d bytes: got %016llx expected %016llx", n, (unsigned long long)got, (unsigned long long)published[n]);
  }
  /* the paper's worked example (Appendix A): 15 bytes 00..0e -> a129ca6149be45e5 */
  RD_CHECK(RdSipHash24(key, message, 15) == 0xa129ca6149be45e5ULL, "the paper's example: a129ca6149be45e5");
}

/* Any split of a message into three pieces hashes as the whole message. */
static void TestStreaming(void)
{
  uint8_t key[16], message[64];
  int     mismatches = 0, splits = 0;
  for (int i = 0; i < 16; i++) key[i] = (uint8_t)i;
  for (int i = 0; i < 64; i++) message[i] = (uint8_t)i;
  for (int n = 0; n < 64; n++)
    for (int a = 0; a <= n; a++)
      for (int b = a; b <= n; b++) {
        RdSipHash h;
        RdSipHashInit(&h, key);
        RdSipHashUpdate(&h, message, (size_t)a);
        RdSipHashUpdate(&h, message + a, (size_t)(b - a));
        RdSipHashUpdate(&h, message + b, (size_t)(n - b));
        mismatches += RdSipHashFinal(&h) != published[n];
        splits++;
      }
  RD_CHECK(mismatches == 0, "streaming: %d of %d three-piece splits differ from the published vector", mismatches, splits);
}

static void PutLittleEndian(uint8_t *out, uint64_t value, int bytes)
{
  for (int i = 0; i < bytes; i++) out[i] = (uint8_t)(value >> (8 * i));
}

/* The point checksum of a small result equals SipHash-2-4 of the byte string checksum.h defines,
 * assembled here by hand; and it changes with one bit of a value, the point or the options. */
static void TestPointChecksum(void)
{
  const char        *options = "-model linear\n-seed 1\n";
  RdDims             dims    = {{0}};
  RdSchemaSelection  selection = {{PETSC_FALSE}};
  RdPointResult      result;
  uint8_t           *bytes;
  size_t             n = 0, capacity = 1 << 20;

  for (int d = 0; d < RD_NUM_DIMS; d++) dims.size[d] = 2;
  dims.size[RD_DIM_POINT] = 5;
  dims.size[RD_DIM_STIMULUS] = 3;
  PetscCallAbort(PETSC_COMM_SELF, RdPointResultCreate(&dims, &selection, &result));
  result.point = 3;
  RdTestSeed(11);
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!result.values[f]) continue;
    size_t count = RdFieldPointElements((RdField)f, &dims);
    for (size_t i = 0; i < count; i++) result.values[f][i] = rd_field_specs[f].type == RD_TYPE_FLOAT64 ? RdTestNormal() : (double)((int)(RdTestUniform() * 7) - 1);
  }
  result.values[RD_FIELD_SWEEP_STATUS][0] = 1;
  result.values[RD_FIELD_GEOMETRY_VARIATIONAL_DIMENSION][0] = RD_NAN; /* stored as -1 */
  result.values[RD_FIELD_GEOMETRY_EIGENVALUES][1] = -0.0;            /* the sign of zero counts */

  RdSipHash started, other_options;
  RdPointChecksumStart(&started, options);
  RdPointChecksumStart(&other_options, "-model linear\n-seed 2\n");
  PetscCallAbort(PETSC_COMM_SELF, PetscMalloc1(capacity, &bytes));
  PutLittleEndian(bytes, strlen(options), 8);
  memcpy(bytes + 8, options, strlen(options));
  n = 8 + strlen(options);
  PutLittleEndian(bytes + n, 3, 8);
  n += 8;
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!RdFieldInChecksum((RdField)f) || !RdFieldPresent((RdField)f, &selection)) continue;
    size_t count = RdFieldPointElements((RdField)f, &dims);
    for (size_t i = 0; i < count; i++) {
      double   value = result.values[f][i];
      uint64_t bits;
      switch (rd_field_specs[f].type) {
      case RD_TYPE_FLOAT64: memcpy(&bits, &value, 8); PutLittleEndian(bytes + n, bits, 8); n += 8; break;
      case RD_TYPE_INT64: PutLittleEndian(bytes + n, (uint64_t)(isnan(value) ? -1 : (int64_t)llround(value)), 8); n += 8; break;
      case RD_TYPE_INT8: bytes[n++] = (uint8_t)(int8_t)(isnan(value) ? -1 : (int64_t)llround(value)); break;
      default: RD_CHECK(0, "%s: no per-point field of this type", rd_field_specs[f].path);
      }
    }
  }
  RD_CHECK(!RdFieldInChecksum(RD_FIELD_SWEEP_WALL_SECONDS) && RdFieldInChecksum(RD_FIELD_SWEEP_STATUS) && !RdFieldInChecksum(RD_FIELD_SWEEP_CHECKSUM) && !RdFieldInChecksum(RD_FIELD_SWEEP_WIDTH), "the checksum covers status, not wall_seconds, itself or the sweep description");
  const uint64_t by_hand = RdSipHash24(RD_CHECKSUM_KEY, bytes, n), checksum = RdPointChecksumOfResult(&started, &result, &dims, &selection);
  RD_CHECK(checksum == (by_hand ? by_hand : 1), "point checksum %016llx = SipHash-2-4 of its %zu defined bytes %016llx", (unsigned long long)checksum, n, (unsigned long long)by_hand);
  RD_CHECK(memcmp(RD_CHECKSUM_KEY, "repdrift archive", 16) == 0, "the key is \"repdrift archive\"");

  /* what it detects */
  result.values[RD_FIELD_SWEEP_WALL_SECONDS][0] += 1;
  RD_CHECK(RdPointChecksumOfResult(&started, &result, &dims, &selection) == checksum, "a different wall time keeps the checksum (timings differ between runs)");
  uint64_t bits;
  memcpy(&bits, &result.values[RD_FIELD_DRIFT_ANGLE_R][2], 8);
  bits ^= 1ULL << 17;
  memcpy(&result.values[RD_FIELD_DRIFT_ANGLE_R][2], &bits, 8);
  RD_CHECK(RdPointChecksumOfResult(&started, &result, &dims, &selection) != checksum, "one flipped bit of a value changes it");
  bits ^= 1ULL << 17;
  memcpy(&result.values[RD_FIELD_DRIFT_ANGLE_R][2], &bits, 8);
  result.values[RD_FIELD_SWEEP_STATUS][0] = 2;
  RD_CHECK(RdPointChecksumOfResult(&started, &result, &dims, &selection) != checksum, "another status changes it");
  result.values[RD_FIELD_SWEEP_STATUS][0] = 1;
  result.point = 4;
  RD_CHECK(RdPointChecksumOfResult(&started, &result, &dims, &selection) != checksum, "the same values at another point change it");
  result.point = 3;
  RD_CHECK(RdPointChecksumOfResult(&other_options, &result, &dims, &selection) != checksum, "other options change it");
  RD_CHECK(RdPointChecksumOfResult(&started, &result, &dims, &selection) == checksum, "restored: the same checksum again");
  PetscCallAbort(PETSC_COMM_SELF, PetscFree(bytes));
  PetscCallAbort(PETSC_COMM_SELF, RdPointResultDestroy(&result));
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  TestPublishedVectors();
  TestStreaming();
  TestPointChecksum();
  int code = RdTestSummary("test_checksum");
  PetscCall(PetscFinalize());
  return code;
}
