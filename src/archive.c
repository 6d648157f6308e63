/* The archive: every HDF5 call of repdrift lives in this file (see archive.h for the design). */
#include <repdrift/archive.h>
#include <repdrift/sweep.h>
#include <slepcsys.h>
#include <hdf5.h>
#include <hdf5_hl.h>
#include <errno.h>
#include <libgen.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef H5_HAVE_PARALLEL
#error "repdrift needs parallel HDF5 (Debian: libhdf5-openmpi-dev)"
#endif

/* The one macro mapping HDF5 failures (negative herr_t / hid_t) to PETSc errors. */
#define RdH5Call(expr) \
  do { \
    if ((expr) < 0) SETERRQ(PETSC_COMM_SELF, PETSC_ERR_LIB, "HDF5 call failed: %s", #expr); \
  } while (0)

#define RD_MESSAGE_SIZE (2 * PETSC_MAX_PATH_LEN + 512) /* room for a path and its directory */

struct _n_RdArchive {
  MPI_Comm    comm;
  PetscMPIInt rank;
  char        path[PETSC_MAX_PATH_LEN];
  hid_t       file, collective_transfer;
  hid_t       dataset[RD_NUM_FIELDS];
  RdDims      dims;
  PetscBool   save_responses;
  int64_t    *integer_buffer; /* float64 -> integer conversion of one point's integer fields */
};

struct _n_RdArchiveReader {
  hid_t file;
  char  path[PETSC_MAX_PATH_LEN];
};

static PetscBool IsWrittenPerPoint(RdField field, PetscBool save_responses)
{
  RdWhen when = rd_field_specs[field].when;
  return when == RD_WRITTEN_PER_POINT || (when == RD_WRITTEN_PER_POINT_OPTIONAL_RESPONSES && save_responses);
}

static PetscBool IsInFile(RdField field, PetscBool save_responses)
{
  return rd_field_specs[field].when != RD_WRITTEN_PER_POINT_OPTIONAL_RESPONSES || save_responses;
}

static hid_t FileType(RdValueType type)
{
  switch (type) {
  case RD_TYPE_INT64: return H5T_STD_I64LE;
  case RD_TYPE_INT8: return H5T_STD_I8LE;
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

static PetscErrorCode WriteProvenanceAttributes(hid_t file, const RdConfig *cfg, const RdArchiveProvenance *provenance)
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
  PetscCall(WriteStringAttribute(file, "model", RdModelName(cfg->model)));
  PetscCall(WriteStringAttribute(file, "noise_type", "node_dropout"));
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
  for (size_t i = 0; i < n; i++) integers[i] = isnan(values[i]) ? -1 : (int64_t)llround(values[i]);
}

static PetscErrorCode CreateField(hid_t file, RdField field, const RdDims *dims, const hid_t scale[RD_NUM_DIMS], const double *plan_values)
{
  const RdFieldSpec *spec = &rd_field_specs[field];
  hsize_t            shape[RD_MAX_FIELD_RANK], chunk[RD_MAX_FIELD_RANK];
  hid_t              space, properties, link_properties, dataset;
  double             nan_fill = RD_NAN;
  int64_t            integer_fill = field == RD_FIELD_SWEEP_STATUS ? 0 : -1; /* status 0 = pending */

  PetscFunctionBeginUser;
  for (int i = 0; i < spec->rank; i++) {
    shape[i] = (hsize_t)dims->size[spec->dims[i]];
    /* one chunk per point and day for the (large) probe responses, as the spec asks */
    chunk[i] = (i <= 1) ? 1 : shape[i];
  }
  RdH5Call(space = H5Screate_simple(spec->rank, shape, NULL));
  RdH5Call(properties = H5Pcreate(H5P_DATASET_CREATE));
  if (field == RD_FIELD_RESPONSES_PROBE) RdH5Call(H5Pset_chunk(properties, spec->rank, chunk));
  /* storage allocated and filled now, so the parallel phase never allocates (no metadata change) */
  RdH5Call(H5Pset_alloc_time(properties, H5D_ALLOC_TIME_EARLY));
  RdH5Call(H5Pset_fill_time(properties, H5D_FILL_TIME_ALLOC));
  if (spec->type == RD_TYPE_FLOAT64) RdH5Call(H5Pset_fill_value(properties, H5T_NATIVE_DOUBLE, &nan_fill));
  else RdH5Call(H5Pset_fill_value(properties, H5T_NATIVE_INT64, &integer_fill));
  RdH5Call(link_properties = H5Pcreate(H5P_LINK_CREATE));
  RdH5Call(H5Pset_create_intermediate_group(link_properties, 1));
  RdH5Call(dataset = H5Dcreate2(file, spec->path, FileType(spec->type), space, link_properties, properties, H5P_DEFAULT));
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

static PetscErrorCode CreateSchema(const char *path, const RdConfig *cfg, const RdDims *dims, const double *const plan_values[RD_NUM_FIELDS], const RdArchiveProvenance *provenance)
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
    if (!IsInFile((RdField)f, cfg->save_responses)) continue;
    PetscCall(CreateField(file, (RdField)f, dims, scale, rd_field_specs[f].when == RD_WRITTEN_AT_CREATION ? plan_values[f] : NULL));
  }
  for (int d = 0; d < RD_NUM_DIMS; d++) RdH5Call(H5Dclose(scale[d]));
  RdH5Call(H5Fclose(file));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Checks (rank 0) that -output may be created, without touching an existing file. */
static void CheckOutputPath(const RdConfig *cfg, char *message, size_t size)
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

/* ---------- the collective writer ---------- */

PetscErrorCode RdArchiveCreate(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims, const double *const plan_values[RD_NUM_FIELDS], const RdArchiveProvenance *provenance, RdArchive *archive_out)
{
  RdArchive archive;
  char      message[RD_MESSAGE_SIZE] = "";
  hid_t     access_properties;
  size_t    largest_integer_field = 1;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&archive));
  archive->comm           = comm;
  archive->dims           = *dims;
  archive->save_responses = cfg->save_responses;
  PetscCall(PetscStrncpy(archive->path, cfg->output, sizeof archive->path));
  PetscCallMPI(MPI_Comm_rank(comm, &archive->rank));

  if (archive->rank == 0) {
    CheckOutputPath(cfg, message, sizeof message);
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

  RdH5Call(access_properties = H5Pcreate(H5P_FILE_ACCESS));
  RdH5Call(H5Pset_fapl_mpio(access_properties, comm, MPI_INFO_NULL));
  RdH5Call(archive->file = H5Fopen(cfg->output, H5F_ACC_RDWR, access_properties));
  RdH5Call(H5Pclose(access_properties));
  RdH5Call(archive->collective_transfer = H5Pcreate(H5P_DATASET_XFER));
  RdH5Call(H5Pset_dxpl_mpio(archive->collective_transfer, H5FD_MPIO_COLLECTIVE));
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    archive->dataset[f] = -1;
    if (!IsWrittenPerPoint((RdField)f, cfg->save_responses)) continue;
    RdH5Call(archive->dataset[f] = H5Dopen2(archive->file, rd_field_specs[f].path, H5P_DEFAULT));
    if (rd_field_specs[f].type != RD_TYPE_FLOAT64) largest_integer_field = PetscMax(largest_integer_field, RdFieldPointElements((RdField)f, dims));
  }
  PetscCall(PetscMalloc1(largest_integer_field, &archive->integer_buffer));
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

PetscErrorCode RdArchiveWriteRound(RdArchive archive, const RdPointResult *result)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (archive->dataset[f] >= 0 && f != RD_FIELD_SWEEP_STATUS) PetscCall(WriteFieldSlice(archive, (RdField)f, result));
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
    hid_t memory_type;
    RdH5Call(memory_type = H5Tcopy(H5T_C_S1));
    RdH5Call(H5Tset_cset(memory_type, H5Tget_cset(type))); /* HDF5 converts no character sets */
    if (H5Tis_variable_str(type) > 0) {
      char *text = NULL;
      RdH5Call(H5Tset_size(memory_type, H5T_VARIABLE));
      RdH5Call(H5Aread(attribute, memory_type, &text));
      PetscCall(PetscStrncpy(value, text ? text : "", size));
      H5free_memory(text);
    } else {
      size_t length = H5Tget_size(type);
      char  *text;
      PetscCall(PetscCalloc1(length + 1, &text));
      RdH5Call(H5Tset_size(memory_type, length + 1));
      RdH5Call(H5Aread(attribute, memory_type, text));
      PetscCall(PetscStrncpy(value, text, size));
      PetscCall(PetscFree(text));
    }
    RdH5Call(H5Tclose(memory_type));
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

PetscErrorCode RdArchiveReadField(RdArchiveReader reader, RdField field, PetscInt *n_dims, PetscInt dims[RD_MAX_FIELD_RANK], double **values)
{
  hid_t   dataset, space;
  hsize_t shape[RD_MAX_FIELD_RANK];
  size_t  total = 1;
  int     rank;

  PetscFunctionBeginUser;
  PetscCheck(H5Lexists(reader->file, rd_field_specs[field].path, H5P_DEFAULT) > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no dataset %s (damaged archive, or written without -save_responses)", reader->path, rd_field_specs[field].path);
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
