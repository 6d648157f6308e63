/* SipHash-2-4 and the archive's per-point checksum (include/repdrift/checksum.h). No I/O: the
 * writer hashes a point's values, the readers (archive_validate.c) the bytes they read. */
#include <repdrift/checksum.h>
#include <string.h>

const uint8_t RD_CHECKSUM_KEY[16] = {'r', 'e', 'p', 'd', 'r', 'i', 'f', 't', ' ', 'a', 'r', 'c', 'h', 'i', 'v', 'e'};

static inline uint64_t RotateLeft(uint64_t x, int bits) { return (x << bits) | (x >> (64 - bits)); }

static inline uint64_t LoadLittleEndian(const uint8_t *bytes)
{
  uint64_t word = 0;
  for (int i = 7; i >= 0; i--) word = (word << 8) | bytes[i];
  return word;
}

/* One SipRound (the paper's Fig. 2.1). */
static inline void SipRound(RdSipHash *h)
{
  h->v0 += h->v1; h->v1 = RotateLeft(h->v1, 13); h->v1 ^= h->v0; h->v0 = RotateLeft(h->v0, 32);
  h->v2 += h->v3; h->v3 = RotateLeft(h->v3, 16); h->v3 ^= h->v2;
  h->v0 += h->v3; h->v3 = RotateLeft(h->v3, 21); h->v3 ^= h->v0;
  h->v2 += h->v1; h->v1 = RotateLeft(h->v1, 17); h->v1 ^= h->v2; h->v2 = RotateLeft(h->v2, 32);
}

/* Compression of one message word: c = 2 rounds. */
static inline void Compress(RdSipHash *h, uint64_t word)
{
  h->v3 ^= word;
  SipRound(h);
  SipRound(h);
  h->v0 ^= word;
}

void RdSipHashInit(RdSipHash *h, const uint8_t key[16])
{
  const uint64_t k0 = LoadLittleEndian(key), k1 = LoadLittleEndian(key + 8);
  h->v0     = k0 ^ 0x736f6d6570736575ULL; /* "somepseudorandomlygeneratedbytes" */
  h->v1     = k1 ^ 0x646f72616e646f6dULL;
  h->v2     = k0 ^ 0x6c7967656e657261ULL;
  h->v3     = k1 ^ 0x7465646279746573ULL;
  h->tail   = 0;
  h->length = 0;
}

void RdSipHashUpdate(RdSipHash *h, const void *data, size_t n)
{
  const uint8_t *bytes = (const uint8_t *)data;
  unsigned       filled = (unsigned)(h->length % 8);

  h->length += n;
  /* complete a pending word first */
  while (filled && n) {
    h->tail |= (uint64_t)*bytes++ << (8 * filled);
    n--;
    if (++filled == 8) {
      Compress(h, h->tail);
      h->tail = 0;
      filled  = 0;
    }
  }
  for (; n >= 8; n -= 8, bytes += 8) Compress(h, LoadLittleEndian(bytes));
  for (unsigned i = 0; i < n; i++) h->tail |= (uint64_t)bytes[i] << (8 * i);
}

uint64_t RdSipHashFinal(const RdSipHash *state)
{
  RdSipHash h = *state;

  /* the last word: the remaining bytes and the message length mod 256 in the top byte */
  Compress(&h, h.tail | (h.length << 56));
  h.v2 ^= 0xff;
  for (int i = 0; i < 4; i++) SipRound(&h); /* finalization: d = 4 rounds */
  return h.v0 ^ h.v1 ^ h.v2 ^ h.v3;
}

uint64_t RdSipHash24(const uint8_t key[16], const void *bytes, size_t n)
{
  RdSipHash h;
  RdSipHashInit(&h, key);
  RdSipHashUpdate(&h, bytes, n);
  return RdSipHashFinal(&h);
}

static void AddWord(RdSipHash *h, uint64_t value)
{
  uint8_t bytes[8];
  for (int i = 0; i < 8; i++) bytes[i] = (uint8_t)(value >> (8 * i));
  RdSipHashUpdate(h, bytes, 8);
}

void RdPointChecksumStart(RdSipHash *h, const char *options_text)
{
  size_t length = strlen(options_text);
  RdSipHashInit(h, RD_CHECKSUM_KEY);
  AddWord(h, (uint64_t)length);
  RdSipHashUpdate(h, options_text, length);
}

void RdPointChecksumAddPoint(RdSipHash *h, PetscInt point) { AddWord(h, (uint64_t)point); }

void RdPointChecksumAddStored(RdSipHash *h, const void *bytes, size_t n) { RdSipHashUpdate(h, bytes, n); }

static PetscBool HostIsLittleEndian(void)
{
  const uint16_t one = 1;
  return *(const uint8_t *)&one == 1;
}

/* Values as the archive stores them, a block of words at a time. */
void RdPointChecksumAddValues(RdSipHash *h, RdValueType type, const double *values, size_t n)
{
  enum { BLOCK = 512 };
  uint64_t words[BLOCK];
  int8_t   small[BLOCK];

  if (type == RD_TYPE_FLOAT64 && HostIsLittleEndian()) {
    RdSipHashUpdate(h, values, n * sizeof(double)); /* the stored bytes themselves */
    return;
  }
  for (size_t start = 0; start < n; start += BLOCK) {
    size_t count = n - start < BLOCK ? n - start : BLOCK;
    for (size_t i = 0; i < count; i++) {
      const double value = values[start + i];
      switch (type) {
      case RD_TYPE_FLOAT64: memcpy(&words[i], &value, sizeof words[i]); break;
      case RD_TYPE_INT8: {
        int64_t integer = RdFieldStoredInteger(value); /* HDF5 saturates out-of-range integers */
        small[i]        = (int8_t)(integer > INT8_MAX ? INT8_MAX : integer < INT8_MIN ? INT8_MIN : integer);
      } break;
      case RD_TYPE_INT64: words[i] = (uint64_t)RdFieldStoredInteger(value); break;
      case RD_TYPE_UINT64: words[i] = (uint64_t)value; break;
      }
    }
    if (type == RD_TYPE_INT8) RdSipHashUpdate(h, small, count);
    else
      for (size_t i = 0; i < count; i++) AddWord(h, words[i]);
  }
}

uint64_t RdPointChecksumFinish(const RdSipHash *h)
{
  uint64_t value = RdSipHashFinal(h);
  return value ? value : 1;
}

uint64_t RdPointChecksumOfResult(const RdSipHash *started, const RdPointResult *result, const RdDims *dims, const RdSchemaSelection *selection)
{
  RdSipHash h = *started;

  RdPointChecksumAddPoint(&h, result->point);
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (RdFieldInChecksum((RdField)f) && RdFieldPresent((RdField)f, selection)) RdPointChecksumAddValues(&h, rd_field_specs[f].type, result->values[f], RdFieldPointElements((RdField)f, dims));
  return RdPointChecksumFinish(&h);
}
