/* The archive writer and reader (see archive.h for the design). With h5input.c (users' data
 * files) the only file that calls HDF5. */
#include <repdrift/archive.h>
#include <repdrift/checksum.h>
#include <repdrift/noise.h>
#include <repdrift/parallel.h>
#include <slepcsys.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/statvfs.h>

#ifndef H5_HAVE_PARALLEL
#error "repdrift needs parallel HDF5 (Debian: libhdf5-openmpi-dev)"
#endif

#include "hdf5_call.h"
#include "archive_impl.h"

#define RD_MESSAGE_SIZE (2 * PETSC_MAX_PATH_LEN + 512) /* room for a path and its directory */

struct _n_RdArchive {
  MPI_Comm    comm;
  PetscMPIInt rank;
  char        path[PETSC_MAX_PATH_LEN];
  hid_t       file, collective_transfer;
  hid_t       dataset[RD_NUM_FIELDS];
  RdDims      dims;
  RdSchemaSelection selection; /* which optional fields the file has */
  int64_t    *integer_buffer; /* float64 -> integer conversion of one point's integer fields */
  hid_t       checksum;       /* /sweep/checksum, -1 in an archive written before checksums */
  RdSipHash   checksum_start; /* the point checksum after /config/options (checksum.h) */
};

static PetscBool IsInFile(RdField field, const RdArchiveSettings *cfg)
{
  return RdFieldPresent(field, &cfg->selection);
}

/* Bytes the archive will occupy: all storage is allocated when the schema is created. */
static double ArchiveBytes(const RdDims *dims, const RdArchiveSettings *cfg)
{
  double bytes = 0;
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!IsInFile((RdField)f, cfg)) continue;
    double element = rd_field_specs[f].type == RD_TYPE_INT8 ? 1 : 8;
    bytes += element * (double)RdFieldPointElements((RdField)f, dims) * (double)dims->size[RD_DIM_POINT];
  }
  return bytes;
}


hid_t RdArchiveFileType(RdValueType type)
{
  switch (type) {
  case RD_TYPE_INT64: return H5T_STD_I64LE;
  case RD_TYPE_INT8: return H5T_STD_I8LE;
  case RD_TYPE_UINT64: return H5T_STD_U64LE;
  default: return H5T_IEEE_F64LE;
  }
}

static void IsoTimeNow(char *text, size_t size)
{
  time_t    now = time(NULL);
  struct tm utc;
  gmtime_r(&now, &utc);
  strftime(text, size, "%Y-%m-%dT%H:%M:%SZ", &utc);
}

/* ---------- attributes and strings ---------- */

static PetscErrorCode WriteStringAttribute(hid_t location, const char *name, const char *value)
{
  hid_t type, space, attribute;

  PetscFunctionBeginUser;
  RdH5Call(type = H5Tcopy(H5T_C_S1));
  RdH5Call(H5Tset_size(type, H5T_VARIABLE));
  RdH5Call(H5Tset_cset(type, H5T_CSET_UTF8));
  RdH5Call(space = H5Screate(H5S_SCALAR));
  if (H5Aexists(location, name) > 0) RdH5Call(H5Adelete(location, name));
  RdH5Call(attribute = H5Acreate2(location, name, type, space, H5P_DEFAULT, H5P_DEFAULT));
  RdH5Call(H5Awrite(attribute, type, &value));
  RdH5Call(H5Aclose(attribute));
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Tclose(type));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Root attribute "claim_broken": one line per stale writer's claim this archive's runs took over
 * with -break_lock (when, and whose), appended to by -resume. */
static PetscErrorCode NoteBrokenClaim(hid_t file, const char *note)
{
  char   history[4096] = "", now[64];
  size_t length;

  PetscFunctionBeginUser;
  if (H5Aexists(file, "claim_broken") > 0) {
    hid_t attribute = H5Aopen(file, "claim_broken", H5P_DEFAULT), type = H5Tcopy(H5T_C_S1);
    char *previous  = NULL;
    RdH5Call(attribute);
    RdH5Call(H5Tset_size(type, H5T_VARIABLE));
    RdH5Call(H5Aread(attribute, type, &previous));
    PetscCall(PetscStrncpy(history, previous ? previous : "", sizeof history - 600)); /* room for this note */
    H5free_memory(previous);
    RdH5Call(H5Tclose(type));
    RdH5Call(H5Aclose(attribute));
  }
  IsoTimeNow(now, sizeof now);
  length = strlen(history);
  PetscCall(PetscSNPrintf(history + length, sizeof history - length, "%s%s: %s", length ? "\n" : "", now, note));
  PetscCall(WriteStringAttribute(file, "claim_broken", history));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode WriteIntegerAttribute(hid_t location, const char *name, int64_t value)
{
  hid_t space, attribute;

  PetscFunctionBeginUser;
  RdH5Call(space = H5Screate(H5S_SCALAR));
  RdH5Call(attribute = H5Acreate2(location, name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT));
  RdH5Call(H5Awrite(attribute, H5T_NATIVE_INT64, &value));
  RdH5Call(H5Aclose(attribute));
  RdH5Call(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Long text (the options dump) goes into a scalar string dataset: attributes should stay small. */
static PetscErrorCode WriteStringDataset(hid_t file, const char *path, const char *value, const char *description)
{
  hid_t type, space, dataset, link_properties;

  PetscFunctionBeginUser;
  RdH5Call(type = H5Tcopy(H5T_C_S1));
  RdH5Call(H5Tset_size(type, H5T_VARIABLE));
  RdH5Call(H5Tset_cset(type, H5T_CSET_UTF8));
  RdH5Call(space = H5Screate(H5S_SCALAR));
  RdH5Call(link_properties = H5Pcreate(H5P_LINK_CREATE));
  RdH5Call(H5Pset_create_intermediate_group(link_properties, 1));
  RdH5Call(dataset = H5Dcreate2(file, path, type, space, link_properties, H5P_DEFAULT, H5P_DEFAULT));
  RdH5Call(H5Dwrite(dataset, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value));
  PetscCall(WriteStringAttribute(dataset, "units", "text"));
  PetscCall(WriteStringAttribute(dataset, "description", description));
  RdH5Call(H5Dclose(dataset));
  RdH5Call(H5Pclose(link_properties));
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Tclose(type));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- schema creation (rank 0, serial) ---------- */

static PetscErrorCode WriteProvenanceAttributes(hid_t file, const RdArchiveSettings *cfg, const RdArchiveProvenance *provenance)
{
  char     text[1024], now[64];
  unsigned major, minor, release;
  int      length;
  char     mpi_version[MPI_MAX_LIBRARY_VERSION_STRING];

  PetscFunctionBeginUser;
  PetscCall(WriteStringAttribute(file, "format", "repdrift"));
  PetscCall(WriteIntegerAttribute(file, "schema_version", RD_SCHEMA_VERSION));
  PetscCall(WriteStringAttribute(file, "program_version", RdProgramVersion()));
  PetscCall(WriteStringAttribute(file, "git_revision", RdGitRevision()));
  IsoTimeNow(now, sizeof now);
  PetscCall(WriteStringAttribute(file, "created", now));
  PetscCall(WriteStringAttribute(file, "finished", ""));
  PetscCall(WriteStringAttribute(file, "status", "running"));
  PetscCall(WriteStringAttribute(file, "model", cfg->model));
  PetscCall(WriteStringAttribute(file, "noise_type", cfg->noise_types)); /* per point: /sweep/noise_type */
  PetscCall(WriteIntegerAttribute(file, "global_seed", cfg->seed));
  PetscCall(WriteIntegerAttribute(file, "mpi_ranks", provenance->mpi_ranks));
  PetscCall(PetscGetVersion(text, sizeof text));
  PetscCall(WriteStringAttribute(file, "petsc_version", text));
  PetscCall(SlepcGetVersion(text, sizeof text));
  PetscCall(WriteStringAttribute(file, "slepc_version", text));
  RdH5Call(H5get_libversion(&major, &minor, &release));
  PetscCall(PetscSNPrintf(text, sizeof text, "%u.%u.%u", major, minor, release));
  PetscCall(WriteStringAttribute(file, "hdf5_version", text));
  PetscCallMPI(MPI_Get_library_version(mpi_version, &length));
  mpi_version[strcspn(mpi_version, "\n,")] = '\0'; /* first clause: name and version */
  PetscCall(WriteStringAttribute(file, "mpi_version", mpi_version));
  if (getenv("SLURM_JOB_ID")) PetscCall(WriteStringAttribute(file, "slurm_job_id", getenv("SLURM_JOB_ID")));
  if (cfg->claim_note[0]) PetscCall(NoteBrokenClaim(file, cfg->claim_note));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CreateDimensionScales(hid_t file, const RdDims *dims, hid_t scale[RD_NUM_DIMS])
{
  PetscFunctionBeginUser;
  for (int d = 0; d < RD_NUM_DIMS; d++) {
    hsize_t  size = (hsize_t)dims->size[d];
    int64_t *index;
    hid_t    space;
    PetscCall(PetscMalloc1(size, &index));
    for (hsize_t i = 0; i < size; i++) index[i] = (int64_t)i;
    RdH5Call(space = H5Screate_simple(1, &size, NULL));
    RdH5Call(scale[d] = H5Dcreate2(file, rd_dim_specs[d].name, H5T_STD_I64LE, space, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT));
    RdH5Call(H5Dwrite(scale[d], H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, index));
    RdH5Call(H5DSset_scale(scale[d], rd_dim_specs[d].name));
    PetscCall(WriteStringAttribute(scale[d], "units", "index"));
    PetscCall(WriteStringAttribute(scale[d], "description", rd_dim_specs[d].description));
    RdH5Call(H5Sclose(space));
    PetscCall(PetscFree(index));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Converts float64 values to an integer file type: NaN (not computed) becomes -1 (archive-v1). */
static void ToIntegers(const double *values, size_t n, int64_t *integers)
{
  for (size_t i = 0; i < n; i++) integers[i] = RdFieldStoredInteger(values[i]);
}

static PetscErrorCode CreateField(hid_t file, RdField field, const RdDims *dims, const hid_t scale[RD_NUM_DIMS], const double *plan_values)
{
  const RdFieldSpec *spec = &rd_field_specs[field];
  hsize_t            shape[RD_MAX_FIELD_RANK], chunk[RD_MAX_FIELD_RANK];
  hid_t              space, properties, link_properties, dataset;
  double             nan_fill = RD_NAN;
  int64_t            integer_fill = field == RD_FIELD_SWEEP_STATUS ? 0 : -1; /* status 0 = pending */
  uint64_t           checksum_fill = 0;                                     /* no checksum yet */

  PetscFunctionBeginUser;
  for (int i = 0; i < spec->rank; i++) {
    shape[i] = (hsize_t)dims->size[spec->dims[i]];
    /* one chunk per point and day for the (large) probe responses: reading one day of one point
     * touches one chunk */
    chunk[i] = (i <= 1) ? 1 : shape[i];
  }
  RdH5Call(space = H5Screate_simple(spec->rank, shape, NULL));
  RdH5Call(properties = H5Pcreate(H5P_DATASET_CREATE));
  if (field == RD_FIELD_RESPONSES_PROBE) RdH5Call(H5Pset_chunk(properties, spec->rank, chunk));
  /* storage allocated and filled now, so the parallel phase never allocates (no metadata change) */
  RdH5Call(H5Pset_alloc_time(properties, H5D_ALLOC_TIME_EARLY));
  RdH5Call(H5Pset_fill_time(properties, H5D_FILL_TIME_ALLOC));
  if (spec->type == RD_TYPE_FLOAT64) RdH5Call(H5Pset_fill_value(properties, H5T_NATIVE_DOUBLE, &nan_fill));
  else if (spec->type == RD_TYPE_UINT64) RdH5Call(H5Pset_fill_value(properties, H5T_NATIVE_UINT64, &checksum_fill));
  else RdH5Call(H5Pset_fill_value(properties, H5T_NATIVE_INT64, &integer_fill));
  RdH5Call(link_properties = H5Pcreate(H5P_LINK_CREATE));
  RdH5Call(H5Pset_create_intermediate_group(link_properties, 1));
  RdH5Call(dataset = H5Dcreate2(file, spec->path, RdArchiveFileType(spec->type), space, link_properties, properties, H5P_DEFAULT));
  PetscCall(WriteStringAttribute(dataset, "units", spec->units));
  PetscCall(WriteStringAttribute(dataset, "description", spec->description));
  for (int i = 0; i < spec->rank; i++) {
    RdH5Call(H5DSattach_scale(dataset, scale[spec->dims[i]], (unsigned)i));
    RdH5Call(H5DSset_label(dataset, (unsigned)i, rd_dim_specs[spec->dims[i]].label));
  }
  if (plan_values) {
    size_t n = RdFieldPointElements(field, dims) * (size_t)dims->size[RD_DIM_POINT];
    if (spec->type == RD_TYPE_FLOAT64) RdH5Call(H5Dwrite(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, plan_values));
    else {
      int64_t *integers;
      PetscCall(PetscMalloc1(n, &integers));
      ToIntegers(plan_values, n, integers);
      RdH5Call(H5Dwrite(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, integers));
      PetscCall(PetscFree(integers));
    }
  }
  RdH5Call(H5Dclose(dataset));
  RdH5Call(H5Pclose(link_properties));
  RdH5Call(H5Pclose(properties));
  RdH5Call(H5Sclose(space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CreateSchema(const char *path, const RdArchiveSettings *cfg, const RdDims *dims, const double *const plan_values[RD_NUM_FIELDS], const RdArchiveProvenance *provenance)
{
  hid_t file, scale[RD_NUM_DIMS];

  PetscFunctionBeginUser;
  RdH5Call(file = H5Fcreate(path, cfg->overwrite ? H5F_ACC_TRUNC : H5F_ACC_EXCL, H5P_DEFAULT, H5P_DEFAULT));
  PetscCall(WriteProvenanceAttributes(file, cfg, provenance));
  PetscCall(WriteStringDataset(file, "/config/options", provenance->options_text, "effective value of every repdrift option, one per line (usable as an -options_file)"));
  PetscCall(WriteStringDataset(file, "/config/options_given", provenance->options_given, "the PETSc options database as given (command line, options files, environment)"));
  PetscCall(WriteStringDataset(file, "/config/command_line", provenance->command_line, "command line of rank 0"));
  PetscCall(CreateDimensionScales(file, dims, scale));
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!IsInFile((RdField)f, cfg)) continue;
    PetscCall(CreateField(file, (RdField)f, dims, scale, rd_field_specs[f].when == RD_WRITTEN_AT_CREATION ? plan_values[f] : NULL));
  }
  for (int d = 0; d < RD_NUM_DIMS; d++) RdH5Call(H5Dclose(scale[d]));
  RdH5Call(H5Fclose(file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checks (rank 0) that -output may be created, without touching an existing file. */
static void CheckOutputPath(const RdArchiveSettings *cfg, char *message, size_t size)
{
  char directory_buffer[PETSC_MAX_PATH_LEN];
  message[0] = '\0';
  if (access(cfg->output, F_OK) == 0) {
    if (!cfg->overwrite) {
      snprintf(message, size, "Output file %s already exists: pass -overwrite to replace it, or choose another -output (the existing file was not touched)", cfg->output);
      return;
    }
    if (access(cfg->output, W_OK) != 0) {
      snprintf(message, size, "Output file %s exists and is not writable (%s): choose another -output", cfg->output, strerror(errno));
      return;
    }
  }
  snprintf(directory_buffer, sizeof directory_buffer, "%s", cfg->output);
  const char *directory = dirname(directory_buffer);
  if (access(directory, W_OK) != 0) snprintf(message, size, "Cannot write -output %s: directory %s %s", cfg->output, directory, errno == ENOENT ? "does not exist" : "is not writable");
}

/* Checks (rank 0) that the file system holds the whole archive, allocated up front. */
static void CheckFreeSpace(const RdArchiveSettings *cfg, const RdDims *dims, char *message, size_t size)
{
  char           directory_buffer[PETSC_MAX_PATH_LEN];
  struct statvfs file_system;
  double         needed = ArchiveBytes(dims, cfg);

  snprintf(directory_buffer, sizeof directory_buffer, "%s", cfg->output);
  if (statvfs(dirname(directory_buffer), &file_system) != 0) return;
  double available = (double)file_system.f_bavail * (double)file_system.f_frsize;
  if (needed > available) snprintf(message, size, "The archive -output %s needs %.3g GB but only %.3g GB are free there: write elsewhere, or shrink the sweep (-sweep_*), -days, -probe_samples or drop -save_responses", cfg->output, needed / 1e9, available / 1e9);
}

/* ---------- the collective writer ---------- */

/* Every rank opens the (already complete) schema with MPI-IO for the per-point writes. */
static PetscErrorCode OpenParallel(RdArchive archive, const char *path, const RdDims *dims)
{
  hid_t  access_properties;
  size_t largest_integer_field = 1;

  PetscFunctionBeginUser;
  RdH5Call(access_properties = H5Pcreate(H5P_FILE_ACCESS));
  RdH5Call(H5Pset_fapl_mpio(access_properties, archive->comm, MPI_INFO_NULL));
  RdH5Call(archive->file = H5Fopen(path, H5F_ACC_RDWR, access_properties));
  RdH5Call(H5Pclose(access_properties));
  RdH5Call(archive->collective_transfer = H5Pcreate(H5P_DATASET_XFER));
  RdH5Call(H5Pset_dxpl_mpio(archive->collective_transfer, H5FD_MPIO_COLLECTIVE));
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    archive->dataset[f] = -1;
    if (rd_field_specs[f].when != RD_WRITTEN_PER_POINT || !RdFieldPresent((RdField)f, &archive->selection)) continue;
    RdH5Call(archive->dataset[f] = H5Dopen2(archive->file, rd_field_specs[f].path, H5P_DEFAULT));
    if (rd_field_specs[f].type != RD_TYPE_FLOAT64) largest_integer_field = PetscMax(largest_integer_field, RdFieldPointElements((RdField)f, dims));
  }
  PetscCall(PetscMalloc1(largest_integer_field, &archive->integer_buffer));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The point checksums (checksum.h): every rank starts the hash with /config/options once. An
 * archive written before checksums has no /sweep/checksum: its points get none (-resume). */
static PetscErrorCode OpenChecksum(RdArchive archive, const char *options_text)
{
  PetscFunctionBeginUser;
  archive->checksum = -1;
  if (H5Lexists(archive->file, rd_field_specs[RD_FIELD_SWEEP_CHECKSUM].path, H5P_DEFAULT) <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(archive->checksum = H5Dopen2(archive->file, rd_field_specs[RD_FIELD_SWEEP_CHECKSUM].path, H5P_DEFAULT));
  RdPointChecksumStart(&archive->checksum_start, options_text);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode NewArchive(MPI_Comm comm, const RdArchiveSettings *cfg, const RdDims *dims, RdArchive *archive)
{
  PetscFunctionBeginUser;
  PetscCall(PetscNew(archive));
  (*archive)->comm           = comm;
  (*archive)->dims           = *dims;
  (*archive)->selection = cfg->selection;
  PetscCall(PetscStrncpy((*archive)->path, cfg->output, sizeof (*archive)->path));
  PetscCallMPI(MPI_Comm_rank(comm, &(*archive)->rank));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveCreate(MPI_Comm comm, const RdArchiveSettings *cfg, const RdDims *dims, const double *const plan_values[RD_NUM_FIELDS], const RdArchiveProvenance *provenance, RdArchive *archive_out)
{
  RdArchive archive;
  char      message[RD_MESSAGE_SIZE] = "";

  PetscFunctionBeginUser;
  PetscCall(NewArchive(comm, cfg, dims, &archive));
  if (archive->rank == 0) {
    CheckOutputPath(cfg, message, sizeof message);
    if (!message[0]) CheckFreeSpace(cfg, dims, message, sizeof message);
    if (!message[0]) {
      PetscErrorCode created;
      PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
      H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
      created = CreateSchema(cfg->output, cfg, dims, plan_values, provenance);
      PetscCall(PetscPopErrorHandler());
      if (created) snprintf(message, sizeof message, "Could not create the archive -output %s (HDF5 error %d): check the path, permissions and free space", cfg->output, (int)created);
    }
  }
  PetscCall(RdBroadcastText(comm, message, sizeof message));
  PetscCheck(!message[0], comm, PETSC_ERR_USER_INPUT, "%s", message);

  PetscCall(OpenParallel(archive, cfg->output, dims));
  PetscCall(OpenChecksum(archive, provenance->options_text));
  *archive_out = archive;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective write of one field: this rank's point slice, or an empty selection. */
static PetscErrorCode WriteFieldSlice(RdArchive archive, RdField field, const RdPointResult *result)
{
  const RdFieldSpec *spec = &rd_field_specs[field];
  hsize_t            start[RD_MAX_FIELD_RANK] = {0}, count[RD_MAX_FIELD_RANK];
  hid_t              file_space, memory_space;
  const void        *buffer = NULL;
  hid_t              memory_type = H5T_NATIVE_DOUBLE;
  double             nothing = 0;

  PetscFunctionBeginUser;
  RdH5Call(file_space = H5Dget_space(archive->dataset[field]));
  if (result) {
    size_t n = RdFieldPointElements(field, &archive->dims);
    count[0] = 1;
    start[0] = (hsize_t)result->point;
    for (int i = 1; i < spec->rank; i++) count[i] = (hsize_t)archive->dims.size[spec->dims[i]];
    RdH5Call(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, start, NULL, count, NULL));
    RdH5Call(memory_space = H5Screate_simple(spec->rank, count, NULL));
    buffer = result->values[field];
    if (spec->type != RD_TYPE_FLOAT64) {
      ToIntegers(result->values[field], n, archive->integer_buffer);
      buffer      = archive->integer_buffer;
      memory_type = H5T_NATIVE_INT64;
    }
  } else {
    hsize_t one = 1;
    RdH5Call(H5Sselect_none(file_space));
    RdH5Call(memory_space = H5Screate_simple(1, &one, NULL));
    RdH5Call(H5Sselect_none(memory_space));
    buffer      = &nothing;
    memory_type = spec->type == RD_TYPE_FLOAT64 ? H5T_NATIVE_DOUBLE : H5T_NATIVE_INT64;
  }
  RdH5Call(H5Dwrite(archive->dataset[field], memory_type, memory_space, file_space, archive->collective_transfer, buffer));
  RdH5Call(H5Sclose(memory_space));
  RdH5Call(H5Sclose(file_space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective write of this rank's point checksum (checksum.h), hashed from the values as they are
 * stored, or an empty selection. */
static PetscErrorCode WriteChecksumSlice(RdArchive archive, const RdPointResult *result)
{
  hsize_t  start, one = 1;
  hid_t    file_space, memory_space;
  uint64_t checksum = 0;

  PetscFunctionBeginUser;
  if (archive->checksum < 0) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(file_space = H5Dget_space(archive->checksum));
  RdH5Call(memory_space = H5Screate_simple(1, &one, NULL));
  if (result) {
    checksum = RdPointChecksumOfResult(&archive->checksum_start, result, &archive->dims, &archive->selection);
    start    = (hsize_t)result->point;
    RdH5Call(H5Sselect_hyperslab(file_space, H5S_SELECT_SET, &start, NULL, &one, NULL));
  } else {
    RdH5Call(H5Sselect_none(file_space));
    RdH5Call(H5Sselect_none(memory_space));
  }
  RdH5Call(H5Dwrite(archive->checksum, H5T_NATIVE_UINT64, memory_space, file_space, archive->collective_transfer, &checksum));
  RdH5Call(H5Sclose(memory_space));
  RdH5Call(H5Sclose(file_space));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveWriteRound(RdArchive archive, const RdPointResult *result)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (archive->dataset[f] >= 0 && f != RD_FIELD_SWEEP_STATUS) PetscCall(WriteFieldSlice(archive, (RdField)f, result));
  PetscCall(WriteChecksumSlice(archive, result));
  /* data durable before the status that vouches for it */
  RdH5Call(H5Fflush(archive->file, H5F_SCOPE_GLOBAL));
  PetscCall(WriteFieldSlice(archive, RD_FIELD_SWEEP_STATUS, result));
  RdH5Call(H5Fflush(archive->file, H5F_SCOPE_GLOBAL));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveFinish(RdArchive *archive_in, const char *status)
{
  RdArchive archive = *archive_in;
  char      message[RD_MESSAGE_SIZE] = "";

  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (archive->dataset[f] >= 0) RdH5Call(H5Dclose(archive->dataset[f]));
  if (archive->checksum >= 0) RdH5Call(H5Dclose(archive->checksum));
  RdH5Call(H5Pclose(archive->collective_transfer));
  RdH5Call(H5Fclose(archive->file));
  /* root attributes change only here, by one writer, after the parallel file is closed */
  if (archive->rank == 0) {
    hid_t file = H5Fopen(archive->path, H5F_ACC_RDWR, H5P_DEFAULT);
    char  now[64];
    IsoTimeNow(now, sizeof now);
    if (file < 0 || WriteStringAttribute(file, "status", status) || WriteStringAttribute(file, "finished", now) || H5Fclose(file) < 0) snprintf(message, sizeof message, "Could not record status %s in %s", status, archive->path);
  }
  PetscCall(RdBroadcastText(archive->comm, message, sizeof message));
  PetscCheck(!message[0], archive->comm, PETSC_ERR_FILE_WRITE, "%s", message);
  PetscCall(PetscFree(archive->integer_buffer));
  PetscCall(PetscFree(archive));
  *archive_in = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- serial reading ---------- */

static PetscErrorCode ReadAttributeText(hid_t location, const char *name, char *value, size_t size, PetscBool *found)
{
  hid_t attribute, type;

  PetscFunctionBeginUser;
  value[0] = '\0';
  *found   = H5Aexists(location, name) > 0 ? PETSC_TRUE : PETSC_FALSE;
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(attribute = H5Aopen(location, name, H5P_DEFAULT));
  RdH5Call(type = H5Aget_type(attribute));
  if (H5Tget_class(type) == H5T_STRING) {
    char *text;
    PetscCall(RdArchiveReadText(attribute, PETSC_TRUE, &text));
    PetscCall(PetscStrncpy(value, text, size));
    PetscCall(PetscFree(text));
  } else if (H5Tget_class(type) == H5T_INTEGER) {
    int64_t number;
    RdH5Call(H5Aread(attribute, H5T_NATIVE_INT64, &number));
    PetscCall(PetscSNPrintf(value, size, "%lld", (long long)number));
  } else if (H5Tget_class(type) == H5T_FLOAT) {
    double number;
    RdH5Call(H5Aread(attribute, H5T_NATIVE_DOUBLE, &number));
    PetscCall(PetscSNPrintf(value, size, "%.17g", number));
  }
  RdH5Call(H5Tclose(type));
  RdH5Call(H5Aclose(attribute));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveOpenRead(const char *path, RdArchiveReader *reader_out)
{
  RdArchiveReader reader;
  char            text[256];
  PetscBool       found;
  htri_t          is_hdf5;

  PetscFunctionBeginUser;
  H5Eset_auto2(H5E_DEFAULT, NULL, NULL); /* errors are reported by us, in words */
  PetscCheck(access(path, R_OK) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot read %s: %s", path, strerror(errno));
  is_hdf5 = H5Fis_hdf5(path);
  PetscCheck(is_hdf5 > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s is not a repdrift archive: it is not an HDF5 file (or it is truncated)", path);
  PetscCall(PetscNew(&reader));
  PetscCall(PetscStrncpy(reader->path, path, sizeof reader->path));
  reader->file = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
  if (reader->file < 0) {
    PetscCall(PetscFree(reader));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s is not a readable repdrift archive: HDF5 cannot open it (truncated or damaged?)", path);
  }
  PetscCall(ReadAttributeText(reader->file, "format", text, sizeof text, &found));
  if (!found || strcmp(text, "repdrift") != 0) {
    H5Fclose(reader->file);
    PetscCall(PetscFree(reader));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s is not a repdrift archive (no root attribute format = \"repdrift\")", path);
  }
  PetscCall(ReadAttributeText(reader->file, "schema_version", text, sizeof text, &found));
  if (!found || strcmp(text, "1") != 0) {
    H5Fclose(reader->file);
    PetscCall(PetscFree(reader));
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has schema_version %s; this repdrift (%s) reads schema version %d only", path, found ? text : "(missing)", RdProgramVersion(), RD_SCHEMA_VERSION);
  }
  *reader_out = reader;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveCloseRead(RdArchiveReader *reader)
{
  PetscFunctionBeginUser;
  if (!*reader) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(H5Fclose((*reader)->file));
  PetscCall(PetscFree(*reader));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool RdArchiveHasField(RdArchiveReader reader, RdField field)
{
  return H5Lexists(reader->file, rd_field_specs[field].path, H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE;
}

PetscErrorCode RdArchiveReadField(RdArchiveReader reader, RdField field, PetscInt *n_dims, PetscInt dims[RD_MAX_FIELD_RANK], double **values)
{
  hid_t   dataset, space;
  hsize_t shape[RD_MAX_FIELD_RANK];
  size_t  total = 1;
  int     rank;

  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(reader->file, rd_field_specs[field].path, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset %s (damaged archive, or a run without -save_responses / -protocol replicas / that -model)", reader->path, rd_field_specs[field].path);
  RdH5Call(dataset = H5Dopen2(reader->file, rd_field_specs[field].path, H5P_DEFAULT));
  RdH5Call(space = H5Dget_space(dataset));
  RdH5Call(rank = H5Sget_simple_extent_ndims(space));
  PetscCheck(rank == rd_field_specs[field].rank, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: dataset %s has %d dimensions, schema says %d", reader->path, rd_field_specs[field].path, rank, rd_field_specs[field].rank);
  RdH5Call(H5Sget_simple_extent_dims(space, shape, NULL));
  *n_dims = rank;
  for (int i = 0; i < rank; i++) {
    dims[i] = (PetscInt)shape[i];
    total *= shape[i];
  }
  PetscCall(PetscMalloc1(total, values));
  RdH5Call(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *values));
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Dclose(dataset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveReadAttribute(RdArchiveReader reader, const char *name, char *value, size_t size)
{
  PetscBool found;

  PetscFunctionBeginUser;
  PetscCall(ReadAttributeText(reader->file, name, value, size, &found));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- resume ---------- */

static PetscErrorCode ReadStringDataset(hid_t file, const char *path, char **text)
{
  hid_t dataset;

  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(file, path, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "no dataset %s", path);
  RdH5Call(dataset = H5Dopen2(file, path, H5P_DEFAULT));
  PetscCall(RdArchiveReadText(dataset, PETSC_FALSE, text));
  RdH5Call(H5Dclose(dataset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveReadOptions(RdArchiveReader reader, char **text)
{
  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(reader->file, "/config/options", H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no /config/options (damaged archive)", reader->path);
  PetscCall(ReadStringDataset(reader->file, "/config/options", text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* First line where two option texts differ, for a message that says what to change. */
static void FirstDifference(const char *a, const char *b, char *line_a, char *line_b, size_t size)
{
  while (*a || *b) {
    size_t length_a = strcspn(a, "\n"), length_b = strcspn(b, "\n");
    if (length_a != length_b || strncmp(a, b, length_a) != 0) {
      snprintf(line_a, size, "%.*s", (int)length_a, a);
      snprintf(line_b, size, "%.*s", (int)length_b, b);
      return;
    }
    a += length_a + (a[length_a] ? 1 : 0);
    b += length_b + (b[length_b] ? 1 : 0);
  }
  line_a[0] = line_b[0] = '\0';
}

/* Rank 0: everything -resume needs to trust an existing archive. Message empty when it matches. */
static PetscErrorCode CheckResumable(const RdArchiveExpectation *expect, PetscInt *status, char *message, size_t size)
{
  const char        *path = expect->settings.output;
  RdArchiveReader    reader;
  RdArchiveIntegrity integrity;
  char              *stored_options = NULL, problem[RD_MESSAGE_SIZE] = "";
  PetscErrorCode     opened;

  PetscFunctionBeginUser;
  message[0] = '\0';
  if (access(path, F_OK) != 0) {
    snprintf(message, size, "-resume: there is no archive %s to resume; drop -resume to start it", path);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  opened = RdArchiveOpenRead(path, &reader);
  PetscCall(PetscPopErrorHandler());
  if (opened) {
    const char *text;
    PetscCall(PetscErrorMessage(opened, &text, NULL));
    snprintf(message, size, "-resume: %s cannot be resumed: it is not a repdrift archive of schema version %d, or it is damaged (%s)", path, RD_SCHEMA_VERSION, text ? text : "");
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(RdArchiveReadOptionsText(reader, &stored_options, problem, sizeof problem));
  if (problem[0]) snprintf(message, size, "-resume: %s cannot be resumed: %s (the file was not touched)", path, problem);
  else if (strcmp(stored_options, expect->options_text) != 0) {
    char stored_line[256], given_line[256];
    FirstDifference(stored_options, expect->options_text, stored_line, given_line, sizeof stored_line);
    snprintf(message, size, "-resume: %s was written with different options (archive: \"%s\", this run: \"%s\"); resume with the archive's options (its /config/options is an -options_file)", path, stored_line, given_line);
  }
  PetscCall(PetscFree(stored_options));
  if (!message[0]) {
    PetscCall(RdArchiveValidate(reader, expect, &integrity, problem, sizeof problem));
    for (int f = 0; f < RD_NUM_FIELDS && !problem[0]; f++) /* the points to come would have nowhere to go */
      if (integrity.absent[f] && f != RD_FIELD_SWEEP_CHECKSUM) snprintf(problem, sizeof problem, "it was written before %s existed, which this repdrift writes for every point (finish it with the repdrift that wrote it, or run the sweep anew)", rd_field_specs[f].path);
    if (!problem[0]) PetscCall(RdArchiveVerifyChecksums(reader, &integrity, problem, sizeof problem));
    if (problem[0]) snprintf(message, size, "-resume: %s cannot be resumed: %s (the file was not touched; the archive does not hold what its options imply)", path, problem);
    else {
      char points[128];
      for (PetscInt p = 0; p < integrity.n_points; p++) status[p] = integrity.status[p];
      for (PetscInt i = 0; i < integrity.n_failing; i++) status[integrity.failing[i]] = 0; /* recomputed */
      RdArchivePointList(integrity.failing, integrity.n_failing, points, sizeof points);
      if (integrity.n_failing) PetscCall(PetscPrintf(PETSC_COMM_SELF, "-resume: %lld finished point(s) of %s fail their checksum (point %s): their data or /config/options changed after they were written; they count as not done and are recomputed\n", (long long)integrity.n_failing, path, points));
      if (!integrity.has_checksums) PetscCall(PetscPrintf(PETSC_COMM_SELF, "-resume: note: %s has no /sweep/checksum (written before checksums): its %lld finished point(s) cannot be verified and are kept as they are\n", path, (long long)(integrity.n_points - integrity.n_status[0])));
    }
    PetscCall(RdArchiveIntegrityDestroy(&integrity));
  }
  PetscCall(RdArchiveCloseRead(&reader));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveResumeCheck(MPI_Comm comm, const RdArchiveExpectation *expect, PetscInt *status)
{
  char        message[RD_MESSAGE_SIZE] = "";
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) PetscCall(CheckResumable(expect, status, message, sizeof message));
  PetscCall(RdBroadcastText(comm, message, sizeof message));
  PetscCheck(!message[0], comm, PETSC_ERR_USER_INPUT, "%s", message);
  PetscCall(RdBroadcastInts(comm, status, expect->dims.size[RD_DIM_POINT]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveReopen(MPI_Comm comm, const RdArchiveSettings *cfg, const RdDims *dims, RdArchive *archive_out)
{
  RdArchive archive;
  char      message[RD_MESSAGE_SIZE] = "";
  char     *options_text = NULL; /* the archive's: the checksums of the points to come start from it */
  PetscInt  length       = 0;

  PetscFunctionBeginUser;
  PetscCall(NewArchive(comm, cfg, dims, &archive));
  if (archive->rank == 0) {
    hid_t file = H5Fopen(cfg->output, H5F_ACC_RDWR, H5P_DEFAULT);
    if (file < 0 || WriteStringAttribute(file, "status", "running") || WriteStringAttribute(file, "finished", "") || (cfg->claim_note[0] && NoteBrokenClaim(file, cfg->claim_note)) || ReadStringDataset(file, "/config/options", &options_text) || H5Fclose(file) < 0) snprintf(message, sizeof message, "-resume: cannot open %s for writing", cfg->output);
    else length = (PetscInt)strlen(options_text);
  }
  PetscCall(RdBroadcastText(comm, message, sizeof message));
  PetscCheck(!message[0], comm, PETSC_ERR_FILE_WRITE, "%s", message);
  PetscCall(RdBroadcastInts(comm, &length, 1));
  if (archive->rank != 0) PetscCall(PetscCalloc1(length + 1, &options_text));
  PetscCall(RdBroadcastText(comm, options_text, (size_t)length + 1));
  PetscCall(OpenParallel(archive, cfg->output, dims));
  PetscCall(OpenChecksum(archive, options_text));
  PetscCall(PetscFree(options_text));
  *archive_out = archive;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- merge ---------- */

/* Copies one point's slice of a dataset from one open file to another. */
static PetscErrorCode CopyPointSlice(hid_t from, hid_t to, const char *path, PetscInt point)
{
  hid_t   source, target, source_space, target_space, memory_space, type;
  hsize_t shape[RD_MAX_FIELD_RANK], start[RD_MAX_FIELD_RANK] = {0}, count[RD_MAX_FIELD_RANK];
  size_t  elements = 1;
  int     rank;
  void   *buffer;

  PetscFunctionBeginUser;
  RdH5Call(source = H5Dopen2(from, path, H5P_DEFAULT));
  RdH5Call(target = H5Dopen2(to, path, H5P_DEFAULT));
  RdH5Call(source_space = H5Dget_space(source));
  RdH5Call(rank = H5Sget_simple_extent_ndims(source_space));
  RdH5Call(H5Sget_simple_extent_dims(source_space, shape, NULL));
  for (int i = 0; i < rank; i++) {
    count[i] = i == 0 ? 1 : shape[i];
    elements *= count[i];
  }
  start[0] = (hsize_t)point;
  RdH5Call(type = H5Dget_type(source));
  PetscCall(PetscMalloc(elements * H5Tget_size(type), &buffer));
  RdH5Call(H5Sselect_hyperslab(source_space, H5S_SELECT_SET, start, NULL, count, NULL));
  RdH5Call(target_space = H5Dget_space(target));
  RdH5Call(H5Sselect_hyperslab(target_space, H5S_SELECT_SET, start, NULL, count, NULL));
  RdH5Call(memory_space = H5Screate_simple(rank, count, NULL));
  RdH5Call(H5Dread(source, type, memory_space, source_space, H5P_DEFAULT, buffer));
  RdH5Call(H5Dwrite(target, type, memory_space, target_space, H5P_DEFAULT, buffer));
  PetscCall(PetscFree(buffer));
  RdH5Call(H5Sclose(memory_space));
  RdH5Call(H5Sclose(target_space));
  RdH5Call(H5Sclose(source_space));
  RdH5Call(H5Tclose(type));
  RdH5Call(H5Dclose(target));
  RdH5Call(H5Dclose(source));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CopyFile(const char *from, const char *to)
{
  FILE  *in, *out;
  char   buffer[1 << 16];
  size_t n;

  PetscFunctionBeginUser;
  in = fopen(from, "rb");
  PetscCheck(in, PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot read %s: %s", from, strerror(errno));
  out = fopen(to, "wbx"); /* x: never replace an existing file */
  if (!out) {
    fclose(in);
    SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_OPEN, "Cannot create %s: %s (the merge output must not exist)", to, strerror(errno));
  }
  while ((n = fread(buffer, 1, sizeof buffer, in)) > 0) PetscCheck(fwrite(buffer, 1, n, out) == n, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Writing %s failed: %s", to, strerror(errno));
  fclose(in);
  PetscCheck(fclose(out) == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_WRITE, "Writing %s failed: %s", to, strerror(errno));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveMerge(const char *output, PetscInt n_inputs, const char *const inputs[])
{
  char    *first_options, now[64];
  double  *merged_status;
  PetscInt n_dims, shape[RD_MAX_FIELD_RANK], n_points, pending = 0;
  hid_t    out;
  PetscBool first_has[RD_NUM_FIELDS];

  PetscFunctionBeginUser;
  PetscCheck(n_inputs >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "repdrift-merge needs at least one input archive");
  PetscCheck(access(output, F_OK) != 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Merge output %s already exists: choose a new name (nothing was written)", output);
  /* validate every input before writing anything */
  {
    RdArchiveReader reader;
    PetscCall(RdArchiveOpenRead(inputs[0], &reader));
    PetscCall(ReadStringDataset(reader->file, "/config/options", &first_options));
    PetscCall(RdArchiveReadField(reader, RD_FIELD_SWEEP_STATUS, &n_dims, shape, &merged_status));
    for (int f = 0; f < RD_NUM_FIELDS; f++) first_has[f] = RdArchiveHasField(reader, (RdField)f);
    PetscCall(RdArchiveCloseRead(&reader));
    n_points = shape[0];
  }
  for (PetscInt i = 1; i < n_inputs; i++) {
    RdArchiveReader reader;
    char           *options;
    double         *status;
    PetscCall(RdArchiveOpenRead(inputs[i], &reader));
    PetscCall(ReadStringDataset(reader->file, "/config/options", &options));
    PetscCheck(strcmp(options, first_options) == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s and %s come from different sweeps (their /config/options differ): only slices of one sweep can be merged", inputs[0], inputs[i]);
    PetscCall(PetscFree(options));
    for (int f = 0; f < RD_NUM_FIELDS; f++) /* datasets added to the schema later: all inputs have them, or none */
      PetscCheck(!RdFieldAddedLater((RdField)f) || RdArchiveHasField(reader, (RdField)f) == first_has[f], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s %s but %s %s: slices written by repdrifts before and after it was added cannot be merged (rerun the older ones)", inputs[i], first_has[f] ? "lacks" : "has", rd_field_specs[f].path, inputs[0], first_has[f] ? "has it" : "does not");
    PetscCall(RdArchiveReadField(reader, RD_FIELD_SWEEP_STATUS, &n_dims, shape, &status));
    PetscCall(RdArchiveCloseRead(&reader));
    PetscCheck(shape[0] == n_points, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s has %d points, %s %d", inputs[i], (int)shape[0], inputs[0], (int)n_points);
    for (PetscInt p = 0; p < n_points; p++)
      if (merged_status[p] == 0 && status[p] != 0) merged_status[p] = status[p];
    PetscCall(PetscFree(status));
  }
  PetscCall(PetscFree(first_options));

  /* the first input is the template (schema, attributes, sweep description); the others fill in */
  PetscCall(CopyFile(inputs[0], output));
  RdH5Call(out = H5Fopen(output, H5F_ACC_RDWR, H5P_DEFAULT));
  for (PetscInt i = 1; i < n_inputs; i++) {
    RdArchiveReader reader;
    double         *status;
    PetscCall(RdArchiveOpenRead(inputs[i], &reader));
    PetscCall(RdArchiveReadField(reader, RD_FIELD_SWEEP_STATUS, &n_dims, shape, &status));
    for (PetscInt p = 0; p < n_points; p++) {
      if (status[p] == 0) continue;
      /* every per-point field, status last (as in a run) */
      for (int f = 0; f < RD_NUM_FIELDS; f++) {
        RdWhen when = rd_field_specs[f].when;
        if (when == RD_WRITTEN_AT_CREATION || f == RD_FIELD_SWEEP_STATUS || H5Lexists(reader->file, rd_field_specs[f].path, H5P_DEFAULT) <= 0) continue;
        PetscCall(CopyPointSlice(reader->file, out, rd_field_specs[f].path, p));
      }
      PetscCall(CopyPointSlice(reader->file, out, rd_field_specs[RD_FIELD_SWEEP_STATUS].path, p));
    }
    PetscCall(PetscFree(status));
    PetscCall(RdArchiveCloseRead(&reader));
  }
  for (PetscInt p = 0; p < n_points; p++) pending += merged_status[p] == 0;
  PetscCall(PetscFree(merged_status));
  IsoTimeNow(now, sizeof now);
  PetscCall(WriteStringAttribute(out, "status", pending ? "interrupted" : "complete"));
  PetscCall(WriteStringAttribute(out, "finished", now));
  RdH5Call(H5Fclose(out));
  PetscFunctionReturn(PETSC_SUCCESS);
}
