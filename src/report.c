/* Tables from an archive (include/repdrift/report.h): the same code serves the end of a run and
 * repdrift-report. The summary table is every model's; a model adds its own section (its
 * RdModelOps.report, found by the archive's "model" attribute). This file names no model. */
#include <repdrift/report.h>
#include <repdrift/claim.h>
#include <repdrift/archive.h>
#include <repdrift/model.h>
#include <repdrift/schema.h>

PetscErrorCode RdReportSummaries(const char *path, PetscInt *n_points, RdPointSummary **summaries_out)
{
  RdArchiveReader reader;
  enum { N_READ = 10 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_SEED, RD_FIELD_TASK_LOSS, RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_DRIFT_FRACTION_CHANCE, RD_FIELD_DRIFT_ANGLE_TO_PC, RD_FIELD_READOUT_CLASSIFIER_ACCURACY};
  double       *value[N_READ];
  PetscInt      n_dims, shape[N_READ][RD_MAX_FIELD_RANK];
  RdPointSummary *summaries;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  for (int i = 0; i < N_READ; i++) PetscCall(RdArchiveReadField(reader, fields[i], &n_dims, shape[i], &value[i]));
  PetscCall(RdArchiveCloseRead(&reader));

  const PetscInt points = shape[0][0], days = shape[5][1], stimuli = shape[6][3], pcs = shape[8][3];
  PetscCall(PetscMalloc1(points, &summaries));
  for (PetscInt p = 0; p < points; p++) {
    RdPointSummary *s = &summaries[p];
    s->status         = (PetscInt)value[0][p];
    s->frequency      = value[1][p];
    s->noise_level    = value[2][p];
    s->width          = (PetscInt)value[3][p];
    s->seed           = (PetscInt)value[4][p];
    s->final_loss     = value[5][(size_t)p * days + days - 1];
    /* gamma over consecutive pairs: entries [p][d][d+1][k] */
    double gamma_sum = 0, chance_sum = 0, angle_sum = 0;
    int    pairs = 0, angles = 0;
    for (PetscInt d = 0; d + 1 < days; d++)
      for (PetscInt k = 0; k < stimuli; k++) {
        size_t at = (((size_t)p * days + d) * days + d + 1) * stimuli + k;
        if (isfinite(value[6][at]) && isfinite(value[7][at])) {
          gamma_sum += value[6][at];
          chance_sum += value[7][at];
          pairs++;
        }
        double angle = value[8][(((size_t)p * days + d + 1) * stimuli + k) * pcs];
        if (isfinite(angle)) {
          angle_sum += angle;
          angles++;
        }
      }
    s->mean_drift_fraction        = pairs ? gamma_sum / pairs : RD_NAN;
    s->mean_drift_fraction_chance = pairs ? chance_sum / pairs : RD_NAN;
    s->mean_angle_to_pc1          = angles ? angle_sum / angles : RD_NAN;
    s->cross_accuracy_first_last  = value[9][((size_t)p * days + 0) * days + days - 1];
  }
  for (int i = 0; i < N_READ; i++) PetscCall(PetscFree(value[i]));
  *n_points      = points;
  *summaries_out = summaries;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportReadFields(const char *path, int n, const RdField fields[], double *values[], PetscInt shapes[][RD_MAX_FIELD_RANK])
{
  RdArchiveReader reader;
  PetscInt        n_dims;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  for (int i = 0; i < n; i++) PetscCall(RdArchiveReadField(reader, fields[i], &n_dims, shapes[i], &values[i]));
  PetscCall(RdArchiveCloseRead(&reader));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportReadRun(const char *path, char *status, char *model, size_t size)
{
  RdArchiveReader reader;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  PetscCall(RdArchiveReadAttribute(reader, "status", status, size));
  PetscCall(RdArchiveReadAttribute(reader, "model", model, size));
  PetscCall(RdArchiveCloseRead(&reader));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportPrintSummary(const char *path, PetscBool terse)
{
  PetscInt        n_points;
  RdPointSummary *summaries;
  char            status[64], model[64];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadRun(path, status, model, sizeof status));
  PetscCall(RdReportSummaries(path, &n_points, &summaries));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nResults (%s model, archive status %s): gamma = fraction of drift in the variational space (day d -> d+1), chance = k/n\n", model, status));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %9s %8s %6s %4s %-8s %10s %7s %7s %9s %9s\n", "point", "frequency", "dropout", "width", "seed", "status", "final_loss", "gamma", "chance", "angle_pc1", "acc_0->D"));
  for (PetscInt p = 0; p < n_points; p++) {
    const RdPointSummary *s = &summaries[p];
    if (terse)
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.3g %8.3g %6" PetscInt_FMT " %4" PetscInt_FMT " %-8s %10.3g %7.3f %7.3f %9.1f %9.2f\n", p, s->frequency, s->noise_level, s->width, s->seed, RdStatusName(s->status), s->final_loss, s->mean_drift_fraction, s->mean_drift_fraction_chance, s->mean_angle_to_pc1, s->cross_accuracy_first_last));
    else
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.4g %8.4g %6" PetscInt_FMT " %4" PetscInt_FMT " %-8s %10.5g %7.4f %7.4f %9.2f %9.3f\n", p, s->frequency, s->noise_level, s->width, s->seed, RdStatusName(s->status), s->final_loss, s->mean_drift_fraction, s->mean_drift_fraction_chance, s->mean_angle_to_pc1, s->cross_accuracy_first_last));
  }
  PetscCall(PetscFree(summaries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An archive whose root status is still "running" is being written (its claim names the writer)
 * or was left by a run that died (no live claim): readers say which, then read the finished points. */
static PetscErrorCode NoteRunning(const char *path, const char *status)
{
  RdClaimHolder holder;
  char          text[512];

  PetscFunctionBeginUser;
  if (strcmp(status, "running")) PetscFunctionReturn(PETSC_SUCCESS);
  if (RdClaimRead(path, &holder) == 1) {
    RdClaimHolderText(&holder, text, sizeof text);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "Note: %s is being written (status running; writer: %s): only the points finished so far are shown\n", path, text));
  } else PetscCall(PetscPrintf(PETSC_COMM_SELF, "Note: %s has status running but no writer holds it: its run stopped early (killed?); only finished points are shown, and -resume completes it\n", path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportPrint(const char *path, PetscBool terse)
{
  char              status[64], model[64];
  const RdModelOps *ops;

  PetscFunctionBeginUser;
  PetscCall(RdReportReadRun(path, status, model, sizeof status));
  PetscCall(NoteRunning(path, status));
  PetscCall(RdModelRegisterAll());
  ops = RdModelFind(model);
  if (ops && ops->report) PetscCall(ops->report(path, terse));
  else PetscCall(RdReportPrintSummary(path, terse)); /* a model this build does not know: the common table */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportVerify(const char *path, PetscInt n, const PetscInt *points, PetscInt *n_diverged, PetscInt *n_failed)
{
  PetscInt        n_points;
  RdPointSummary *summaries;

  PetscFunctionBeginUser;
  PetscCall(RdReportSummaries(path, &n_points, &summaries));
  *n_diverged = *n_failed = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscInt p = points[i];
    PetscCheck(p >= 0 && p < n_points, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Archive %s has no point %" PetscInt_FMT, path, p);
    PetscCheck(summaries[p].status >= 1 && summaries[p].status <= 3, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Archive %s: point %" PetscInt_FMT " has status %" PetscInt_FMT " after the run (expected done, diverged or failed)", path, p, summaries[p].status);
    if (summaries[p].status == 2) (*n_diverged)++;
    if (summaries[p].status == 3) (*n_failed)++;
  }
  PetscCall(PetscFree(summaries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportPrintSchema(void)
{
  static const char *type_names[] = {"float64", "int64", "int8"};

  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "schema_version %d\n", RD_SCHEMA_VERSION));
  for (int d = 0; d < RD_NUM_DIMS; d++) PetscCall(PetscPrintf(PETSC_COMM_SELF, "dimension %s label=%s\n", rd_dim_specs[d].name, rd_dim_specs[d].label));
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    const RdFieldSpec *spec = &rd_field_specs[f];
    char               dims[256] = "";
    for (int i = 0; i < spec->rank; i++) {
      PetscCall(PetscStrlcat(dims, i ? "," : "", sizeof dims));
      PetscCall(PetscStrlcat(dims, rd_dim_specs[spec->dims[i]].name, sizeof dims));
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "dataset %s dims=%s type=%s units=%s optional=%d\n", spec->path, dims, type_names[spec->type], spec->units, spec->presence != RD_ALWAYS));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
