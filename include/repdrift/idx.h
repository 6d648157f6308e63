/* Reader of IDX files, the format of the MNIST and Fashion-MNIST data sets (LeCun et al.,
 * http://yann.lecun.com/exdb/mnist/), plain or gzip-compressed (read through zlib, which takes
 * both):
 *   bytes 0, 1   zero
 *   byte 2       element type: 0x08 unsigned byte (the only type these data sets use and the only
 *                one read here)
 *   byte 3       number of dimensions d (1..RD_IDX_MAX_DIMS)
 *   4 d bytes    the sizes, 32-bit big-endian
 *   then the product of the sizes in elements, row-major, and nothing after them.
 * Anything else is refused with one line naming the file and what is wrong: a missing or unreadable
 * file, a corrupt gzip stream, a wrong magic (non-zero first bytes, another element type), a
 * number of dimensions other than the caller's, a size of 0 or an absurd total (more than
 * RD_IDX_MAX_ELEMENTS elements), fewer data bytes than the sizes promise (truncated), or bytes
 * after them. Serial, no MPI. */
#ifndef REPDRIFT_IDX_H
#define REPDRIFT_IDX_H

#include <repdrift/common.h>

#define RD_IDX_MAX_DIMS     8
#define RD_IDX_MAX_ELEMENTS ((size_t)1 << 31) /* 2 GiB of bytes: far above any data set this reads */
#define RD_IDX_TYPE_UBYTE   0x08

typedef struct {
  PetscInt       ndims;
  PetscInt       dims[RD_IDX_MAX_DIMS];
  size_t         count; /* product of dims */
  unsigned char *data;  /* [count] row-major (PetscMalloc'ed) */
} RdIdxArray;

/* Reads an IDX file of unsigned bytes with exactly expected_ndims dimensions (PETSC_ERR_FILE_OPEN
 * for a missing file, PETSC_ERR_FILE_UNEXPECTED for every problem of its contents). On error nothing
 * stays allocated. */
PetscErrorCode RdIdxRead(const char *path, PetscInt expected_ndims, RdIdxArray *array);
PetscErrorCode RdIdxFree(RdIdxArray *array);

#endif
