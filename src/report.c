/* Tables from an archive (include/repdrift/report.h): the same code serves the end of a run and
 * repdrift-report. The per-point table of the headline columns (report_summary.c) is every
 * model's; a model adds its own section (its RdModelOps.report, found by the archive's "model"
 * attribute). This file names no model. */
#include <repdrift/report.h>
#include <repdrift/claim.h>
#include <repdrift/archive.h>
#include <repdrift/model.h>
#include <repdrift/schema.h>
#include <stdio.h>
#include <string.h>

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

PetscErrorCode RdReportReadOption(const char *path, const char *name, char *value, size_t size, PetscBool *found)
{
  RdArchiveReader reader;
  char           *text;
  const size_t    name_length = strlen(name);

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  PetscCall(RdArchiveReadOptions(reader, &text));
  PetscCall(RdArchiveCloseRead(&reader));
  value[0] = '\0';
  *found   = PETSC_FALSE;
  for (const char *line = text; *line;) {
    const size_t length = strcspn(line, "\n");
    if (length > name_length && !strncmp(line, name, name_length) && line[name_length] == ' ') {
      snprintf(value, size, "%.*s", (int)(length - name_length - 1), line + name_length + 1);
      *found = PETSC_TRUE;
      break;
    }
    line += length + (line[length] ? 1 : 0);
  }
  PetscCall(PetscFree(text));
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
  RdHeadlines headlines;

  PetscFunctionBeginUser;
  PetscCall(RdHeadlinesRead(path, &headlines));
  *n_diverged = *n_failed = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscInt p = points[i];
    PetscCheck(p >= 0 && p < headlines.n_points, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Archive %s has no point %" PetscInt_FMT, path, p);
    PetscCheck(headlines.status[p] >= 1 && headlines.status[p] <= 3, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Archive %s: point %" PetscInt_FMT " has status %" PetscInt_FMT " after the run (expected done, diverged or failed)", path, p, headlines.status[p]);
    if (headlines.status[p] == 2) (*n_diverged)++;
    if (headlines.status[p] == 3) (*n_failed)++;
  }
  PetscCall(RdHeadlinesDestroy(&headlines));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportPrintSchema(void)
{
  static const char *type_names[] = {"float64", "int64", "int8", "uint64"};

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
