/* The validation every reader of an archive runs, and the verification of its per-point checksums
 * (include/repdrift/archive.h, "integrity"). An archive module: it reads HDF5 through the reader's
 * handle (archive_impl.h). It never trusts what it reads: every type, rank and extent is checked
 * before a value is read, so a damaged file gets a sentence, not a crash. */
#include <repdrift/checksum.h>
#include <repdrift/noise.h>
#include <hdf5.h>
#include <string.h>
#include "archive_impl.h"
#include "hdf5_call.h"

/* The sweep description's ranges, as data: what a value must be whatever the options. */
typedef struct {
  RdField     field;
  double      low, high;
  PetscBool   low_open; /* low itself excluded */
  const char *what;
} DescriptionRange;

static const DescriptionRange description_ranges[] = {
  {RD_FIELD_SWEEP_FREQUENCY, 0, 1, PETSC_FALSE, "a presentation probability, in [0, 1]"},
  {RD_FIELD_SWEEP_NOISE_LEVEL, 0, INFINITY, PETSC_FALSE, "a noise level, finite and >= 0"},
  {RD_FIELD_SWEEP_WIDTH, 1, 65536, PETSC_FALSE, "a width, in [1, 65536]"},
  {RD_FIELD_SWEEP_SEED, 0, 999999, PETSC_FALSE, "a replicate index, in [0, 999999]"},
  {RD_FIELD_SWEEP_STIMULUS_PROBABILITY, 0, 1, PETSC_FALSE, "a presentation probability, in [0, 1]"},
  {RD_FIELD_SWEEP_LR, 0, 1e300, PETSC_TRUE, "a learning rate, finite and > 0"},
  {RD_FIELD_SWEEP_NOISE_TYPE, 0, RD_NUM_NOISE_TYPES - 1, PETSC_FALSE, "a noise type code, 0 to 5"},
};

static const char *const root_status_values[] = {"running", "complete", "interrupted"};

static const char *TypeName(RdValueType type)
{
  static const char *names[] = {"float64", "int64", "int8", "uint64"};
  return names[type];
}

/* "float32", "int16", "uint64 big-endian", "a string", ... */
static void DescribeType(hid_t type, char *text, size_t size)
{
  const H5T_class_t type_class = H5Tget_class(type);
  const size_t      bits       = 8 * H5Tget_size(type);
  const char       *order      = H5Tget_order(type) == H5T_ORDER_BE ? " big-endian" : "";
  if (type_class == H5T_INTEGER) snprintf(text, size, "%s%zu%s", H5Tget_sign(type) == H5T_SGN_NONE ? "uint" : "int", bits, order);
  else if (type_class == H5T_FLOAT) snprintf(text, size, "float%zu%s", bits, order);
  else if (type_class == H5T_STRING) snprintf(text, size, "a string");
  else snprintf(text, size, "an HDF5 type of class %d", (int)type_class);
}

PetscErrorCode RdArchiveReadText(hid_t object, PetscBool is_attribute, char **text)
{
  hid_t type, memory_type;

  PetscFunctionBeginUser;
  RdH5Call(type = is_attribute ? H5Aget_type(object) : H5Dget_type(object));
  RdH5Call(memory_type = H5Tcopy(H5T_C_S1));
  RdH5Call(H5Tset_cset(memory_type, H5Tget_cset(type))); /* HDF5 converts no character sets */
  if (H5Tis_variable_str(type) > 0) {
    char *value = NULL;
    RdH5Call(H5Tset_size(memory_type, H5T_VARIABLE));
    if (is_attribute) RdH5Call(H5Aread(object, memory_type, &value));
    else RdH5Call(H5Dread(object, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, &value));
    PetscCall(PetscStrallocpy(value ? value : "", text));
    H5free_memory(value);
  } else {
    const size_t length = H5Tget_size(type);
    PetscCall(PetscCalloc1(length + 1, text));
    RdH5Call(H5Tset_size(memory_type, length + 1));
    if (is_attribute) RdH5Call(H5Aread(object, memory_type, *text));
    else RdH5Call(H5Dread(object, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *text));
  }
  RdH5Call(H5Tclose(memory_type));
  RdH5Call(H5Tclose(type));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool Exists(hid_t file, const char *path) { return H5Lexists(file, path, H5P_DEFAULT) > 0 ? PETSC_TRUE : PETSC_FALSE; }

/* Opens a dataset for checking: *dataset < 0 and a message when it is missing or not a dataset. */
static void OpenDataset(hid_t file, const char *path, const char *missing_why, hid_t *dataset, char *message, size_t size)
{
  *dataset = -1;
  if (!Exists(file, path)) snprintf(message, size, "%s is missing%s", path, missing_why);
  else if ((*dataset = H5Dopen2(file, path, H5P_DEFAULT)) < 0) snprintf(message, size, "%s is not a dataset", path);
}

/* A scalar root attribute: its text (strings) or integer; *found false when it is absent. The
 * message says what is wrong when it exists but is not one value of the wanted kind. */
static PetscErrorCode ReadRootAttribute(hid_t file, const char *name, PetscBool want_integer, char *text, size_t text_size, int64_t *integer, PetscBool *found, char *message, size_t size)
{
  hid_t       attribute, type, space;
  H5T_class_t type_class;

  PetscFunctionBeginUser;
  text[0] = '\0';
  *found  = H5Aexists(file, name) > 0 ? PETSC_TRUE : PETSC_FALSE;
  if (!*found) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(attribute = H5Aopen(file, name, H5P_DEFAULT));
  RdH5Call(type = H5Aget_type(attribute));
  RdH5Call(space = H5Aget_space(attribute));
  type_class = H5Tget_class(type);
  if (H5Sget_simple_extent_npoints(space) != 1) snprintf(message, size, "root attribute %s holds %lld values, not one", name, (long long)H5Sget_simple_extent_npoints(space));
  else if (want_integer && type_class != H5T_INTEGER) snprintf(message, size, "root attribute %s is not an integer", name);
  else if (!want_integer && type_class != H5T_STRING) snprintf(message, size, "root attribute %s is not a string", name);
  else if (want_integer) RdH5Call(H5Aread(attribute, H5T_NATIVE_INT64, integer));
  else {
    char *value;
    PetscCall(RdArchiveReadText(attribute, PETSC_TRUE, &value));
    snprintf(text, text_size, "%s", value);
    PetscCall(PetscFree(value));
  }
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Tclose(type));
  RdH5Call(H5Aclose(attribute));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckRootAttributes(hid_t file, const RdArchiveExpectation *expect, char *message, size_t size)
{
  char      text[512];
  int64_t   seed = 0;
  PetscBool found, known = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(ReadRootAttribute(file, "model", PETSC_FALSE, text, sizeof text, NULL, &found, message, size));
  if (message[0]) PetscFunctionReturn(PETSC_SUCCESS);
  if (!found || strcmp(text, expect->settings.model)) {
    snprintf(message, size, "root attribute model is %s%s%s but /config/options says -model %s", found ? "\"" : "", found ? text : "missing", found ? "\"" : "", expect->settings.model);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(ReadRootAttribute(file, "global_seed", PETSC_TRUE, text, sizeof text, &seed, &found, message, size));
  if (message[0]) PetscFunctionReturn(PETSC_SUCCESS);
  if (!found || seed != (int64_t)expect->settings.seed) {
    if (found) snprintf(message, size, "root attribute global_seed is %lld but /config/options says -seed %lld", (long long)seed, (long long)expect->settings.seed);
    else snprintf(message, size, "root attribute global_seed is missing");
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(ReadRootAttribute(file, "noise_type", PETSC_FALSE, text, sizeof text, NULL, &found, message, size));
  if (message[0]) PetscFunctionReturn(PETSC_SUCCESS);
  if (!found || strcmp(text, expect->settings.noise_types)) {
    snprintf(message, size, "root attribute noise_type is %s%s%s but /config/options gives \"%s\"", found ? "\"" : "", found ? text : "missing", found ? "\"" : "", expect->settings.noise_types);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(ReadRootAttribute(file, "status", PETSC_FALSE, text, sizeof text, NULL, &found, message, size));
  if (message[0]) PetscFunctionReturn(PETSC_SUCCESS);
  for (size_t i = 0; i < sizeof root_status_values / sizeof root_status_values[0]; i++) known = known || (found && !strcmp(text, root_status_values[i]));
  if (!known) snprintf(message, size, "root attribute status is %s%s%s: not running, complete or interrupted", found ? "\"" : "", found ? text : "missing", found ? "\"" : "");
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Each dimension scale: a 1-D integer dataset 0..n-1 at the root, of the expected length. Fills
 * sizes[] from the file. */
static PetscErrorCode CheckDimensionScales(hid_t file, const RdArchiveExpectation *expect, PetscInt sizes[RD_NUM_DIMS], char *message, size_t size)
{
  PetscFunctionBeginUser;
  for (int d = 0; d < RD_NUM_DIMS && !message[0]; d++) {
    char    path[128];
    hid_t   dataset, space, type;
    hsize_t length = 0;
    snprintf(path, sizeof path, "/%s", rd_dim_specs[d].name);
    OpenDataset(file, path, " (the dimension scale of every dataset along it)", &dataset, message, size);
    if (dataset < 0) break;
    RdH5Call(space = H5Dget_space(dataset));
    RdH5Call(type = H5Dget_type(dataset));
    if (H5Sget_simple_extent_ndims(space) != 1 || H5Tget_class(type) != H5T_INTEGER) snprintf(message, size, "dimension scale %s is not a one-dimensional integer dataset", path);
    else {
      RdH5Call(H5Sget_simple_extent_dims(space, &length, NULL));
      sizes[d] = (PetscInt)length;
      if (expect->dims_known && sizes[d] != expect->dims.size[d]) snprintf(message, size, "dimension scale %s has %lld entries where /config/options gives %lld", path, (long long)length, (long long)expect->dims.size[d]);
      else {
        int64_t *index;
        PetscCall(PetscMalloc1(length ? length : 1, &index));
        RdH5Call(H5Dread(dataset, H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, index));
        for (hsize_t i = 0; i < length && !message[0]; i++)
          if (index[i] != (int64_t)i) snprintf(message, size, "dimension scale %s holds %lld at index %lld (it must be 0, 1, 2, ...)", path, (long long)index[i], (long long)i);
        PetscCall(PetscFree(index));
      }
    }
    RdH5Call(H5Tclose(type));
    RdH5Call(H5Sclose(space));
    RdH5Call(H5Dclose(dataset));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One dataset of the schema: type, rank, extents along the file's dimensions, attributes. */
static PetscErrorCode CheckField(hid_t file, RdField field, const PetscInt sizes[RD_NUM_DIMS], char *message, size_t size)
{
  const RdFieldSpec *spec = &rd_field_specs[field];
  hid_t              dataset, space, type;
  hsize_t            shape[H5S_MAX_RANK];
  int                rank;
  char               have[64];

  PetscFunctionBeginUser;
  OpenDataset(file, spec->path, " (deleted or renamed? or written by a repdrift from before it existed)", &dataset, message, size);
  if (dataset < 0) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(space = H5Dget_space(dataset));
  RdH5Call(type = H5Dget_type(dataset));
  rank = H5Sget_simple_extent_ndims(space);
  if (H5Tequal(type, RdArchiveFileType(spec->type)) <= 0) {
    DescribeType(type, have, sizeof have);
    snprintf(message, size, "%s is %s; the schema says %s", spec->path, have, TypeName(spec->type));
  } else if (rank != spec->rank) snprintf(message, size, "%s has %d dimensions; the schema says %d", spec->path, rank, spec->rank);
  else {
    RdH5Call(H5Sget_simple_extent_dims(space, shape, NULL));
    for (int i = 0; i < rank && !message[0]; i++)
      if ((PetscInt)shape[i] != sizes[spec->dims[i]]) snprintf(message, size, "%s has %lld entries along %s where the archive has %lld", spec->path, (long long)shape[i], rd_dim_specs[spec->dims[i]].name, (long long)sizes[spec->dims[i]]);
    if (!message[0] && H5Aexists(dataset, "units") <= 0) snprintf(message, size, "%s has no units attribute", spec->path);
    if (!message[0] && H5Aexists(dataset, "description") <= 0) snprintf(message, size, "%s has no description attribute", spec->path);
  }
  RdH5Call(H5Tclose(type));
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Dclose(dataset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every field the options select is there and right; none of another group is. */
static PetscErrorCode CheckFields(hid_t file, const RdArchiveExpectation *expect, const PetscInt sizes[RD_NUM_DIMS], RdArchiveIntegrity *integrity, char *message, size_t size)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS && !message[0]; f++) {
    const PetscBool wanted = RdFieldPresent((RdField)f, &expect->settings.selection), there = Exists(file, rd_field_specs[f].path);
    if (wanted && !there && RdFieldAddedLater((RdField)f)) { /* an archive written before it */
      integrity->absent[f] = PETSC_TRUE;
      continue;
    }
    if (!wanted) {
      if (there) snprintf(message, size, "%s is present but /config/options does not select its group", rd_field_specs[f].path);
      continue;
    }
    PetscCall(CheckField(file, (RdField)f, sizes, message, size));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads a whole (checked) field as float64. */
static PetscErrorCode ReadValues(hid_t file, RdField field, size_t n, double **values)
{
  hid_t dataset;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(n ? n : 1, values));
  RdH5Call(dataset = H5Dopen2(file, rd_field_specs[field].path, H5P_DEFAULT));
  RdH5Call(H5Dread(dataset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, *values));
  RdH5Call(H5Dclose(dataset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode CheckStatus(hid_t file, RdArchiveIntegrity *integrity, char *message, size_t size)
{
  double *status;

  PetscFunctionBeginUser;
  PetscCall(ReadValues(file, RD_FIELD_SWEEP_STATUS, (size_t)integrity->n_points, &status));
  PetscCall(PetscMalloc1(integrity->n_points ? integrity->n_points : 1, &integrity->status));
  for (PetscInt p = 0; p < integrity->n_points; p++) {
    integrity->status[p] = (PetscInt)status[p];
    if (status[p] >= 0 && status[p] <= 3) integrity->n_status[integrity->status[p]]++;
    else if (!message[0]) snprintf(message, size, "/sweep/status of point %lld is %g: not a status (0 pending, 1 done, 2 diverged, 3 failed)", (long long)p, status[p]);
  }
  PetscCall(PetscFree(status));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool SameValue(RdValueType type, double stored, double expected)
{
  if (type == RD_TYPE_FLOAT64) return (stored == expected && signbit(stored) == signbit(expected)) || (isnan(stored) && isnan(expected));
  return stored == (double)RdFieldStoredInteger(expected);
}

/* The sweep description: every value in its range, and equal to what the options give. */
static PetscErrorCode CheckDescription(hid_t file, const RdArchiveExpectation *expect, const PetscInt sizes[RD_NUM_DIMS], char *message, size_t size)
{
  PetscFunctionBeginUser;
  for (size_t r = 0; r < sizeof description_ranges / sizeof description_ranges[0] && !message[0]; r++) {
    const DescriptionRange *range = &description_ranges[r];
    const RdFieldSpec      *spec  = &rd_field_specs[range->field];
    const size_t            per_point = spec->rank > 1 ? (size_t)sizes[spec->dims[1]] : 1, n = per_point * (size_t)sizes[RD_DIM_POINT];
    double                 *values;
    PetscCall(ReadValues(file, range->field, n, &values));
    for (size_t i = 0; i < n && !message[0]; i++) {
      const double value = values[i];
      char         where[96];
      if (per_point > 1) snprintf(where, sizeof where, "of point %zu, %s %zu", i / per_point, rd_dim_specs[spec->dims[1]].name, i % per_point);
      else snprintf(where, sizeof where, "of point %zu", i);
      if (!((range->low_open ? value > range->low : value >= range->low) && value <= range->high)) snprintf(message, size, "%s %s is %g: out of range (%s)", spec->path, where, value, range->what);
      else if (expect->description[range->field] && !SameValue(spec->type, value, expect->description[range->field][i])) snprintf(message, size, "%s %s is %.17g where /config/options gives %.17g (the points must be the Cartesian product of the axes in /config/options, in the sweep's order)", spec->path, where, value, expect->description[range->field][i]);
      else if (range->field == RD_FIELD_SWEEP_WIDTH && value > (double)sizes[RD_DIM_UNIT]) snprintf(message, size, "%s %s is %g: wider than the unit dimension (%lld)", spec->path, where, value, (long long)sizes[RD_DIM_UNIT]);
    }
    PetscCall(PetscFree(values));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Validate(hid_t file, const RdArchiveExpectation *expect, RdArchiveIntegrity *integrity, char *message, size_t size)
{
  PetscInt sizes[RD_NUM_DIMS] = {0};

  PetscFunctionBeginUser;
  PetscCall(CheckRootAttributes(file, expect, message, size));
  if (!message[0]) PetscCall(CheckDimensionScales(file, expect, sizes, message, size));
  integrity->n_points = sizes[RD_DIM_POINT];
  if (!message[0]) PetscCall(CheckFields(file, expect, sizes, integrity, message, size));
  integrity->has_checksums = !integrity->absent[RD_FIELD_SWEEP_CHECKSUM];
  if (!message[0]) PetscCall(CheckStatus(file, integrity, message, size));
  if (!message[0]) PetscCall(CheckDescription(file, expect, sizes, message, size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Runs a check; an HDF5 failure inside it (a damaged file the checks did not foresee) becomes the
 * message rather than a traceback. */
#define RD_GUARDED(call, message, size) \
  do { \
    PetscErrorCode rd_failed_; \
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL)); \
    rd_failed_ = (call); \
    PetscCall(PetscPopErrorHandler()); \
    if (rd_failed_ == PETSC_ERR_LIB) snprintf(message, size, "HDF5 cannot read part of it (a damaged or truncated file)"); \
    else PetscCall(rd_failed_); \
  } while (0)

PetscErrorCode RdArchiveValidate(RdArchiveReader reader, const RdArchiveExpectation *expect, RdArchiveIntegrity *integrity, char *message, size_t size)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(integrity, sizeof *integrity));
  message[0] = '\0';
  RD_GUARDED(Validate(reader->file, expect, integrity, message, size), message, size);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveReadOptionsText(RdArchiveReader reader, char **text, char *message, size_t size)
{
  const char *path = "/config/options";
  hid_t       dataset, type, space;

  PetscFunctionBeginUser;
  *text      = NULL;
  message[0] = '\0';
  OpenDataset(reader->file, path, " (the options of the run)", &dataset, message, size);
  if (dataset < 0) PetscFunctionReturn(PETSC_SUCCESS);
  RdH5Call(type = H5Dget_type(dataset));
  RdH5Call(space = H5Dget_space(dataset));
  if (H5Tget_class(type) != H5T_STRING || H5Sget_simple_extent_npoints(space) != 1) snprintf(message, size, "%s is not one text", path);
  else PetscCall(RdArchiveReadText(dataset, PETSC_FALSE, text));
  RdH5Call(H5Sclose(space));
  RdH5Call(H5Tclose(type));
  RdH5Call(H5Dclose(dataset));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Hashes every finished point's stored bytes field by field (schema order), a block of points at
 * a time, and compares with /sweep/checksum. */
static PetscErrorCode VerifyChecksums(RdArchiveReader reader, RdArchiveIntegrity *integrity, const char *options_text)
{
  const PetscInt n_points = integrity->n_points;
  const size_t   block_bytes = 32u << 20;
  RdSipHash     *hash;
  uint64_t      *stored;
  hid_t          dataset;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(n_points ? n_points : 1, &hash, n_points ? n_points : 1, &stored));
  for (PetscInt p = 0; p < n_points; p++) {
    RdPointChecksumStart(&hash[p], options_text);
    RdPointChecksumAddPoint(&hash[p], p);
  }
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    hid_t    space, memory_space, type = RdArchiveFileType(rd_field_specs[f].type);
    hsize_t  shape[RD_MAX_FIELD_RANK], start[RD_MAX_FIELD_RANK] = {0}, count[RD_MAX_FIELD_RANK];
    size_t   slice_bytes = H5Tget_size(type), rows;
    uint8_t *buffer;
    if (!RdFieldInChecksum((RdField)f) || !Exists(reader->file, rd_field_specs[f].path)) continue;
    RdH5Call(dataset = H5Dopen2(reader->file, rd_field_specs[f].path, H5P_DEFAULT));
    RdH5Call(space = H5Dget_space(dataset));
    RdH5Call(H5Sget_simple_extent_dims(space, shape, NULL));
    for (int i = 1; i < rd_field_specs[f].rank; i++) slice_bytes *= shape[i];
    rows = PetscMax(1, block_bytes / PetscMax(slice_bytes, 1));
    PetscCall(PetscMalloc1(rows * slice_bytes + 1, &buffer));
    for (PetscInt first = 0; first < n_points; first += (PetscInt)rows) {
      PetscInt n_rows = PetscMin((PetscInt)rows, n_points - first);
      start[0]        = (hsize_t)first;
      count[0]        = (hsize_t)n_rows;
      for (int i = 1; i < rd_field_specs[f].rank; i++) count[i] = shape[i];
      RdH5Call(H5Sselect_hyperslab(space, H5S_SELECT_SET, start, NULL, count, NULL));
      RdH5Call(memory_space = H5Screate_simple(rd_field_specs[f].rank, count, NULL));
      RdH5Call(H5Dread(dataset, type, memory_space, space, H5P_DEFAULT, buffer)); /* the stored bytes */
      RdH5Call(H5Sclose(memory_space));
      for (PetscInt p = first; p < first + n_rows; p++)
        if (integrity->status[p] != 0) RdPointChecksumAddStored(&hash[p], buffer + (size_t)(p - first) * slice_bytes, slice_bytes);
    }
    PetscCall(PetscFree(buffer));
    RdH5Call(H5Sclose(space));
    RdH5Call(H5Dclose(dataset));
  }
  RdH5Call(dataset = H5Dopen2(reader->file, rd_field_specs[RD_FIELD_SWEEP_CHECKSUM].path, H5P_DEFAULT));
  RdH5Call(H5Dread(dataset, H5T_NATIVE_UINT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, stored));
  RdH5Call(H5Dclose(dataset));
  PetscCall(PetscMalloc1(n_points ? n_points : 1, &integrity->failing));
  for (PetscInt p = 0; p < n_points; p++)
    if (integrity->status[p] != 0 && (stored[p] == 0 || stored[p] != RdPointChecksumFinish(&hash[p]))) integrity->failing[integrity->n_failing++] = p;
  integrity->verified = PETSC_TRUE;
  PetscCall(PetscFree2(hash, stored));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveVerifyChecksums(RdArchiveReader reader, RdArchiveIntegrity *integrity, char *message, size_t size)
{
  char *options_text;

  PetscFunctionBeginUser;
  message[0] = '\0';
  if (!integrity->has_checksums) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdArchiveReadOptionsText(reader, &options_text, message, size));
  if (!message[0]) RD_GUARDED(VerifyChecksums(reader, integrity, options_text), message, size);
  PetscCall(PetscFree(options_text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdArchiveIntegrityDestroy(RdArchiveIntegrity *integrity)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(integrity->status));
  PetscCall(PetscFree(integrity->failing));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdArchivePointList(const PetscInt *points, PetscInt n, char *text, size_t size)
{
  size_t used = 0;
  text[0]     = '\0';
  for (PetscInt i = 0; i < n && i < 10 && used < size; i++) used += (size_t)snprintf(text + used, size - used, "%s%lld", i ? ", " : "", (long long)points[i]);
  if (n > 10 && used < size) snprintf(text + used, size - used, ", ...");
}
