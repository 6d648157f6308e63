/* The cost of the per-point checksums (include/repdrift/checksum.h) against the sweep they protect:
 * for every point of an archive (the default sweep's, bench/checksum_cost.sh), the writer's hash
 * of its result (RdPointChecksumOfResult, what RdArchiveWriteRound adds per point) timed over
 * -repeat passes, against the point's own wall time (/sweep/wall_seconds); and the reader's full
 * verification (read and hash every finished point, RdArchiveVerifyChecksums) once. Prints the
 * ratios; the budget is 2 % of the sweep's wall time. One core, no MPI communication.
 *   bench_checksum -archive default.h5 [-repeat 20] */
#include <repdrift/archive.h>
#include <repdrift/checksum.h>
#include <repdrift/integrity.h>
#include <repdrift/model.h>

int main(int argc, char **argv)
{
  char               path[PETSC_MAX_PATH_LEN] = "default.h5", notes[4096];
  PetscInt           repeat = 20, n_dims, shape[RD_MAX_FIELD_RANK];
  RdArchiveReader    reader;
  RdArchiveIntegrity integrity;
  RdDims             dims = {{0}};
  RdSchemaSelection  selection = {{PETSC_FALSE}};
  double            *values[RD_NUM_FIELDS] = {NULL}, wall = 0, slowest_share = 0;
  char              *options_text, message[1024];
  volatile uint64_t  sink = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-archive", path, sizeof path, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-repeat", &repeat, NULL));
  PetscCall(RdModelRegisterAll());

  /* every per-point field the archive has, as the writer holds it (float64) */
  PetscCall(RdArchiveOpenRead(path, &reader));
  PetscCall(RdArchiveReadOptionsText(reader, &options_text, message, sizeof message));
  PetscCheck(!message[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s", path, message);
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (rd_field_specs[f].when == RD_WRITTEN_AT_CREATION || f == RD_FIELD_SWEEP_CHECKSUM || !RdArchiveHasField(reader, (RdField)f)) continue;
    PetscCall(RdArchiveReadField(reader, (RdField)f, &n_dims, shape, &values[f]));
    selection.with[rd_field_specs[f].presence] = PETSC_TRUE;
    for (int i = 0; i < n_dims; i++) dims.size[rd_field_specs[f].dims[i]] = shape[i];
  }
  PetscCall(RdArchiveCloseRead(&reader));
  const PetscInt n_points = dims.size[RD_DIM_POINT];
  size_t         point_bytes = 0;
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (values[f] && RdFieldInChecksum((RdField)f)) point_bytes += RdFieldPointElements((RdField)f, &dims) * (rd_field_specs[f].type == RD_TYPE_INT8 ? 1 : 8);

  /* the writer's hash of each point, repeated */
  RdSipHash     started;
  RdPointResult result;
  double        hash_seconds = 0;
  RdPointChecksumStart(&started, options_text);
  for (PetscInt p = 0; p < n_points; p++) {
    result.point = p;
    for (int f = 0; f < RD_NUM_FIELDS; f++) result.values[f] = values[f] ? values[f] + (size_t)p * RdFieldPointElements((RdField)f, &dims) : NULL;
    PetscLogDouble start, end;
    PetscCall(PetscTime(&start));
    for (PetscInt r = 0; r < repeat; r++) sink += RdPointChecksumOfResult(&started, &result, &dims, &selection);
    PetscCall(PetscTime(&end));
    const double seconds = (end - start) / (double)repeat, point_wall = values[RD_FIELD_SWEEP_WALL_SECONDS][p];
    hash_seconds += seconds;
    wall += point_wall;
    if (point_wall > 0) slowest_share = PetscMax(slowest_share, seconds / point_wall);
  }

  /* the reader's verification: read and hash every finished point */
  PetscLogDouble start, end;
  PetscCall(PetscTime(&start));
  PetscCall(RdIntegrityCheck(path, PETSC_TRUE, &integrity, notes, sizeof notes));
  PetscCall(PetscTime(&end));
  PetscCheck(integrity.has_checksums && !integrity.n_failing, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: the checksums must be there and verify (%lld fail)", path, (long long)integrity.n_failing);

  PetscCall(PetscPrintf(PETSC_COMM_SELF, "archive %s: %lld points, %.3g MB of checksummed data per point on average, %.4g s of point wall time in all\n", path, (long long)n_points, (double)point_bytes / 1e6, wall));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "writer: hashing every point's result takes %.4g ms in all (%.3g GB/s) = %.4f %% of the points' wall time (budget 2 %%); largest share of one point %.4f %%\n", 1e3 * hash_seconds, (double)point_bytes * (double)n_points / hash_seconds / 1e9, 100 * hash_seconds / wall, 100 * slowest_share));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "reader: repdrift-report -verify's check (validate, read and hash every finished point) takes %.4g ms = %.4f %% of the points' wall time\n", 1e3 * (end - start), 100 * (end - start) / wall));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "(sum of the checksums %016llx, so the hashing is not optimized away)\n", (unsigned long long)sink));
  PetscCall(RdArchiveIntegrityDestroy(&integrity));
  for (int f = 0; f < RD_NUM_FIELDS; f++) PetscCall(PetscFree(values[f]));
  PetscCall(PetscFree(options_text));
  PetscCall(PetscFinalize());
  return 0;
}
