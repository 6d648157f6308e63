/* Per-point checksums of the archive (/sweep/checksum): SipHash-2-4, the 64-bit keyed hash of
 * J.-P. Aumasson and D. J. Bernstein, "SipHash: a fast short-input PRF" (INDOCRYPT 2012), with
 * c = 2 compression and d = 4 finalization rounds, checked against the paper's published test
 * vectors (tests/unit/test_checksum.c).
 *
 * The checksum of point p is SipHash-2-4 under the fixed key RD_CHECKSUM_KEY of the bytes
 *   n (8 bytes, little-endian) | /config/options (its n bytes, UTF-8) | p (8 bytes, little-endian) |
 *   the point's slice of every field with RdFieldInChecksum, present in the file, in schema order
 * where a slice is its values as the archive stores them: float64 and int64 little-endian, int8 one
 * byte (integers from float64 by RdFieldStoredInteger, int8 saturated as HDF5 converts). A hash
 * of 0 is recorded as 1: 0 means "no checksum" (a point not written). The options bind the data to
 * the run that produced them; the point index binds a slice to its place. It covers status but not
 * wall_seconds (a timing, different in every run): checksums, like the results, are the same for
 * any number of ranks. */
#ifndef REPDRIFT_CHECKSUM_H
#define REPDRIFT_CHECKSUM_H

#include <repdrift/schema.h>

/* The key: the 16 ASCII bytes "repdrift archive". */
extern const uint8_t RD_CHECKSUM_KEY[16];

/* A SipHash-2-4 computation in progress (messages given piece by piece). */
typedef struct {
  uint64_t v0, v1, v2, v3;
  uint64_t tail;        /* the bytes of the incomplete last word, little-endian */
  uint64_t length;      /* bytes absorbed so far */
} RdSipHash;

void     RdSipHashInit(RdSipHash *hash, const uint8_t key[16]);
void     RdSipHashUpdate(RdSipHash *hash, const void *bytes, size_t n);
uint64_t RdSipHashFinal(const RdSipHash *hash);
/* One message at once. */
uint64_t RdSipHash24(const uint8_t key[16], const void *bytes, size_t n);

/* The point checksum, in the order defined above: start it with the options text, add the point
 * index, then each slice, either from stored bytes (a reader) or from the float64 values a point's
 * result holds (the writer: encoded here as the archive stores them); finish gives the value
 * recorded (never 0). */
void     RdPointChecksumStart(RdSipHash *hash, const char *options_text);
void     RdPointChecksumAddPoint(RdSipHash *hash, PetscInt point);
void     RdPointChecksumAddStored(RdSipHash *hash, const void *bytes, size_t n);
void     RdPointChecksumAddValues(RdSipHash *hash, RdValueType type, const double *values, size_t n);
uint64_t RdPointChecksumFinish(const RdSipHash *hash);
/* The whole checksum of a point's result (the writer's), from the hash started with the options:
 * the point index, then every field with RdFieldInChecksum that the run has (selection). */
uint64_t RdPointChecksumOfResult(const RdSipHash *started, const RdPointResult *result, const RdDims *dims, const RdSchemaSelection *selection);

#endif
