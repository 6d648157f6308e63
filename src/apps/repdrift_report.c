/* repdrift-report FILE [-terse] [-summary] [-csv]: the tables of an archive (one row of headline
 * numbers per sweep point, the model's section; -summary: the headline columns over seeds).
 * repdrift-report -schema: the archive schema this version writes. */
#include <repdrift/errors.h>
#include <repdrift/model.h>
#include <repdrift/options.h>
#include <repdrift/report.h>

static const char help[] = "repdrift-report FILE [-terse] [-summary] [-csv] | -schema\n"
                           "Prints, per sweep point of a repdrift archive, the final loss, the mean fraction of drift in\n"
                           "the variational space against its chance level, the mean angle between drift and PC1, the\n"
                           "cross-day classifier accuracy (day 0 -> last day) and the overlap of consecutive days'\n"
                           "variational spaces against its chance level, then the model's own section. -summary averages\n"
                           "these headline columns over seeds for every combination of the other axes (mean, standard\n"
                           "error, n; points not done left out and counted); -csv prints the per-point or the summary table\n"
                           "as CSV (exact values; python's repdrift.summary() gives the same numbers). Exits non-zero on a\n"
                           "file that is not a repdrift archive or has an unknown schema version (one line, exit status 2).\n";

typedef struct {
  PetscBool terse, schema, summary, csv;
} ReportOptions;

#define AT(field) .offset = offsetof(ReportOptions, field)

/* The options of repdrift-report (include/repdrift/options.h). */
static const RdOption report_options[] = {
  {.name = "-terse", .type = RD_OPTION_BOOL, AT(terse), .default_value = "false", .help = "Text tables rounded to 3 significant digits, no times"},
  {.name = "-schema", .type = RD_OPTION_BOOL, AT(schema), .default_value = "false", .help = "Print the archive schema this version writes (no FILE)"},
  {.name = "-summary", .type = RD_OPTION_BOOL, AT(summary), .default_value = "false", .help = "The headline columns averaged over seeds for every combination of the other axes: mean, standard error (ddof 1), n; points not done left out and counted"},
  {.name = "-csv", .type = RD_OPTION_BOOL, AT(csv), .default_value = "false", .help = "CSV instead of text: the per-point headline columns, or with -summary the summary (floats in the shortest exact form, nan when empty; '#' comment lines first)"},
  {NULL},
};

static PetscErrorCode Run(const char *path)
{
  ReportOptions options = {0};
  PetscBool     help_requested;

  PetscFunctionBeginUser;
  PetscCall(RdOptionsSetDefaults(report_options, &options));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  PetscOptionsBegin(PETSC_COMM_SELF, NULL, "repdrift-report options", NULL);
  PetscCall(RdOptionsRead(PetscOptionsObject, report_options, &options, !help_requested));
  PetscOptionsEnd();
  if (options.schema) PetscCall(RdReportPrintSchema());
  else if (!help_requested) {
    PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-report FILE [-terse] [-summary] [-csv] (or -schema)");
    if (options.summary) PetscCall(RdReportPrintSeedSummary(path, options.terse, options.csv));
    else if (options.csv) PetscCall(RdReportPrintPointsCsv(path));
    else PetscCall(RdReportPrint(path, options.terse));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A user error (a file that is not a readable repdrift archive) prints one line, exit status 2. */
int main(int argc, char **argv)
{
  const char *path = (argc > 1 && argv[1][0] != '-') ? argv[1] : NULL;

  RdMainCall(RdInitialize(&argc, &argv, "repdrift-report", help, PETSC_FALSE));
  RdMainCall(RdModelRegisterAll());
  RdMainCall(Run(path));
  return RdFinalize();
}
