/* IDX files (include/repdrift/idx.h) through zlib's gzread, which reads gzip and plain files alike. */
#include <repdrift/idx.h>
#include <errno.h>
#include <string.h>
#include <zlib.h>

/* Reads exactly `size` bytes unless the stream ends first; *got receives how many were read, and
 * a zlib error (a corrupt stream) is reported with its message. */
static PetscErrorCode ReadBytes(gzFile file, const char *path, void *buffer, size_t size, size_t *got)
{
  unsigned char *out = (unsigned char *)buffer;

  PetscFunctionBeginUser;
  *got = 0;
  while (*got < size) {
    const unsigned chunk = (unsigned)PetscMin(size - *got, (size_t)1 << 30);
    const int      n     = gzread(file, out + *got, chunk);
    if (n < 0) {
      int         code;
      const char *message = gzerror(file, &code);
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: cannot be decompressed (%s): the gzip file is corrupt; download or reinstall it", path, message);
    }
    if (n == 0) break; /* end of data */
    *got += (size_t)n;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The body of RdIdxRead with the file open; allocations are the caller's to free on error. */
static PetscErrorCode ReadOpen(gzFile file, const char *path, PetscInt expected_ndims, RdIdxArray *array)
{
  unsigned char header[4], size_bytes[4 * RD_IDX_MAX_DIMS], extra;
  size_t        got;

  PetscFunctionBeginUser;
  PetscCheck(expected_ndims >= 1 && expected_ndims <= RD_IDX_MAX_DIMS, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "RdIdxRead: expected_ndims must be in [1, %d]", RD_IDX_MAX_DIMS);
  PetscCall(ReadBytes(file, path, header, 4, &got));
  PetscCheck(got == 4, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: truncated: %zu bytes, shorter than the 4-byte IDX header", path, got);
  PetscCheck(header[0] == 0 && header[1] == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: not an IDX file (magic starts with bytes 0x%02x 0x%02x, expected 0x00 0x00)", path, header[0], header[1]);
  PetscCheck(header[2] == RD_IDX_TYPE_UBYTE, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: IDX element type 0x%02x; only unsigned bytes (0x08, as in MNIST and Fashion-MNIST) are read", path, header[2]);
  PetscCheck(header[3] == expected_ndims, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %d dimensions in the IDX header, expected %" PetscInt_FMT " (%s)", path, header[3], expected_ndims, expected_ndims == 1 ? "a labels file" : "an images file [N, rows, columns]");
  PetscCall(ReadBytes(file, path, size_bytes, 4 * (size_t)expected_ndims, &got));
  PetscCheck(got == 4 * (size_t)expected_ndims, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: truncated inside the IDX header (the sizes of %" PetscInt_FMT " dimensions)", path, expected_ndims);
  array->ndims = expected_ndims;
  array->count = 1;
  for (PetscInt d = 0; d < expected_ndims; d++) {
    const uint32_t size = ((uint32_t)size_bytes[4 * d] << 24) | ((uint32_t)size_bytes[4 * d + 1] << 16) | ((uint32_t)size_bytes[4 * d + 2] << 8) | (uint32_t)size_bytes[4 * d + 3];
    PetscCheck(size >= 1, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dimension %" PetscInt_FMT " of the IDX header is 0", path, d);
    PetscCheck(size <= RD_IDX_MAX_ELEMENTS / array->count, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the IDX header's sizes multiply to more than %zu elements (dimension %" PetscInt_FMT " is %u): not a data set this program reads", path, (size_t)RD_IDX_MAX_ELEMENTS, d, size);
    array->dims[d] = (PetscInt)size;
    array->count *= size;
  }
  PetscCall(PetscMalloc1(array->count, &array->data));
  PetscCall(ReadBytes(file, path, array->data, array->count, &got));
  PetscCheck(got == array->count, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: truncated: %zu of the %zu data bytes its IDX header promises", path, got, array->count);
  PetscCall(ReadBytes(file, path, &extra, 1, &got));
  PetscCheck(got == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: data continues after the %zu bytes its IDX header promises (wrong sizes in the header?)", path, array->count);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdIdxRead(const char *path, PetscInt expected_ndims, RdIdxArray *array)
{
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(array, sizeof(*array)));
  errno       = 0;
  gzFile file = gzopen(path, "rb");
  PetscCheck(file, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot open the IDX file %s: %s", path, errno ? strerror(errno) : "out of memory");
  ierr = ReadOpen(file, path, expected_ndims, array);
  (void)gzclose(file);
  if (ierr) PetscCall(RdIdxFree(array)); /* nothing stays allocated; the message was set where the problem was found */
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdIdxFree(RdIdxArray *array)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(array->data));
  PetscCall(PetscMemzero(array, sizeof(*array)));
  PetscFunctionReturn(PETSC_SUCCESS);
}
