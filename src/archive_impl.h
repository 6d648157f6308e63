/* Private to the archive modules (archive.c: writer, reader, merge; archive_validate.c: the
 * validation and the checksum verification): the serial reader's handle. */
#ifndef REPDRIFT_ARCHIVE_IMPL_H
#define REPDRIFT_ARCHIVE_IMPL_H

#include <repdrift/archive.h>
#include <hdf5.h>

struct _n_RdArchiveReader {
  hid_t file;
  char  path[PETSC_MAX_PATH_LEN];
};

/* The HDF5 file type of a schema value type (archive-v1: little-endian). */
hid_t RdArchiveFileType(RdValueType type);
/* The text of a string attribute or scalar string dataset (variable or fixed length, its own
 * character set), PetscMalloc'ed. */
PetscErrorCode RdArchiveReadText(hid_t object, PetscBool is_attribute, char **text);

#endif
