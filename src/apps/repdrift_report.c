/* repdrift-report FILE [-terse] [-summary] [-csv]: the tables of an archive (one row of headline
 * numbers per sweep point, the model's section; -summary: the headline columns over seeds).
 * repdrift-report FILE -verify: the archive's integrity, point by point.
 * repdrift-report -schema: the archive schema this version writes. */
#include <repdrift/errors.h>
#include <repdrift/integrity.h>
#include <repdrift/model.h>
#include <repdrift/options.h>
#include <repdrift/report.h>
#include <string.h>

/* Exit status of -verify (README, "Integrity"). */
enum { VERIFIED = 0, CHECKSUMS_FAIL = 1, NOT_VERIFIABLE = 3 };

static const char help[] = "repdrift-report FILE [-terse] [-summary] [-csv] | FILE -verify | -schema\n"
                           "Prints, per sweep point of a repdrift archive, the final loss, the mean fraction of drift in\n"
                           "the variational space against its chance level, the mean angle between drift and PC1, the\n"
                           "cross-day classifier accuracy (day 0 -> last day) and the overlap of consecutive days'\n"
                           "variational spaces against its chance level, then the model's own section. -summary averages\n"
                           "these headline columns over seeds for every combination of the other axes (mean, standard\n"
                           "error, n; points not done left out and counted); -csv prints the per-point or the summary table\n"
                           "as CSV (exact values; python's repdrift.summary() gives the same numbers).\n"
                           "First the archive is checked against its own /config/options (every dataset of the schema with\n"
                           "its type and extents, the root attributes, the sweep description) and every finished point\n"
                           "against its checksum: a file that is not a valid repdrift archive, or whose data changed after\n"
                           "they were written, gets one line naming what is wrong and exit status 2.\n"
                           "-verify: checks the archive and recomputes the checksum of every finished point, listing those\n"
                           "that fail. Exit status 0: every finished point verified; 1: some fail (listed); 2: not a valid\n"
                           "archive (one line on stderr); 3: no checksums to verify (an archive written before them).\n";

typedef struct {
  PetscBool terse, schema, summary, csv, verify;
} ReportOptions;

#define AT(field) .offset = offsetof(ReportOptions, field)

/* The options of repdrift-report (include/repdrift/options.h). */
static const RdOption report_options[] = {
  {.name = "-terse", .type = RD_OPTION_BOOL, AT(terse), .default_value = "false", .help = "Text tables rounded to 3 significant digits, no times"},
  {.name = "-schema", .type = RD_OPTION_BOOL, AT(schema), .default_value = "false", .help = "Print the archive schema this version writes (no FILE)"},
  {.name = "-summary", .type = RD_OPTION_BOOL, AT(summary), .default_value = "false", .help = "The headline columns averaged over seeds for every combination of the other axes: mean, standard error (ddof 1), n; points not done left out and counted"},
  {.name = "-csv", .type = RD_OPTION_BOOL, AT(csv), .default_value = "false", .help = "CSV instead of text: the per-point headline columns, or with -summary the summary (floats in the shortest exact form, nan when empty; '#' comment lines first)"},
  {.name = "-verify", .type = RD_OPTION_BOOL, AT(verify), .default_value = "false", .help = "Check the archive and recompute every finished point's checksum; list those that fail (exit 0 verified, 1 some fail, 2 invalid, 3 no checksums)"},
  {NULL},
};

/* Each note on a line of its own ("# " first in CSV, whose comment lines come first). */
static PetscErrorCode PrintNotes(const char *notes, PetscBool csv)
{
  PetscFunctionBeginUser;
  for (const char *line = notes; line && *line;) {
    const char *end    = strchr(line, '\n');
    int         length = end ? (int)(end - line) : (int)strlen(line);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%sNote: %.*s\n", csv ? "# " : "", length, line));
    line = end ? end + 1 : NULL;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Verify(const char *path, int *exit_status)
{
  RdArchiveIntegrity integrity;
  char               notes[4096];

  PetscFunctionBeginUser;
  PetscCall(RdIntegrityCheck(path, PETSC_TRUE, &integrity, notes, sizeof notes));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: a valid repdrift archive of %lld points: %lld done, %lld diverged, %lld failed, %lld pending\n", path, (long long)integrity.n_points, (long long)integrity.n_status[1], (long long)integrity.n_status[2], (long long)integrity.n_status[3], (long long)integrity.n_status[0]));
  PetscCall(PrintNotes(notes, PETSC_FALSE));
  const long long n_finished = (long long)(integrity.n_points - integrity.n_status[0]);
  if (!integrity.has_checksums) *exit_status = NOT_VERIFIABLE;
  else if (integrity.n_failing) {
    char points[128];
    for (PetscInt i = 0; i < integrity.n_failing; i++) PetscCall(PetscPrintf(PETSC_COMM_SELF, "FAIL point %lld: its data do not match its checksum\n", (long long)integrity.failing[i]));
    RdArchivePointList(integrity.failing, integrity.n_failing, points, sizeof points);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: %lld of %lld finished point(s) fail their checksum (point %s): their data or /config/options changed after they were written\n", path, (long long)integrity.n_failing, n_finished, points));
    *exit_status = CHECKSUMS_FAIL;
  } else {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s: all %lld finished point(s) match their checksums\n", path, n_finished));
    *exit_status = VERIFIED;
  }
  PetscCall(RdArchiveIntegrityDestroy(&integrity));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every table comes after the same check: an archive whose points fail their checksum is refused. */
static PetscErrorCode CheckBeforeTables(const char *path, PetscBool csv)
{
  RdArchiveIntegrity integrity;
  char               notes[4096];

  PetscFunctionBeginUser;
  PetscCall(RdIntegrityCheck(path, PETSC_TRUE, &integrity, notes, sizeof notes));
  PetscCall(RdIntegrityRefuseFailing(path, &integrity, "`repdrift-report FILE -verify` lists them, `repdrift -options_file OPTIONS -output FILE -resume` (OPTIONS: its /config/options) recomputes them"));
  PetscCall(RdArchiveIntegrityDestroy(&integrity));
  PetscCall(PrintNotes(notes, csv));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(const char *path, int *exit_status)
{
  ReportOptions options = {0};
  PetscBool     help_requested;

  PetscFunctionBeginUser;
  *exit_status = 0;
  PetscCall(RdOptionsSetDefaults(report_options, &options));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  PetscOptionsBegin(PETSC_COMM_SELF, NULL, "repdrift-report options", NULL);
  PetscCall(RdOptionsRead(PetscOptionsObject, report_options, &options, !help_requested));
  PetscOptionsEnd();
  if (options.schema) PetscCall(RdReportPrintSchema());
  else if (!help_requested) {
    PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-report FILE [-terse] [-summary] [-csv] | FILE -verify (or -schema)");
    if (options.verify) PetscCall(Verify(path, exit_status));
    else {
      PetscCall(CheckBeforeTables(path, options.csv));
      if (options.summary) PetscCall(RdReportPrintSeedSummary(path, options.terse, options.csv));
      else if (options.csv) PetscCall(RdReportPrintPointsCsv(path));
      else PetscCall(RdReportPrint(path, options.terse));
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A user error (a file that is not a readable, valid repdrift archive) prints one line, exit
 * status 2; -verify's other answers are its exit status. */
int main(int argc, char **argv)
{
  const char *path = (argc > 1 && argv[1][0] != '-') ? argv[1] : NULL;
  int         exit_status;

  RdMainCall(RdInitialize(&argc, &argv, "repdrift-report", help, PETSC_FALSE));
  RdMainCall(RdModelRegisterAll());
  RdMainCall(Run(path, &exit_status));
  RdFinalize();
  return exit_status;
}
