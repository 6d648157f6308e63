/* repdrift-report FILE [-terse]: one row of headline numbers per sweep point of an archive.
 * repdrift-report -schema: the archive schema this version writes. */
#include <repdrift/report.h>

static const char help[] = "repdrift-report FILE [-terse] | -schema\n"
                           "Prints, per sweep point of a repdrift archive, the final loss, the mean fraction of drift in\n"
                           "the variational space against its chance level, the mean angle between drift and PC1, and\n"
                           "the cross-day classifier accuracy (day 0 -> last day). Exits non-zero on a file that is not a\n"
                           "repdrift archive or has an unknown schema version.\n";

int main(int argc, char **argv)
{
  const char *path = (argc > 1 && argv[1][0] != '-') ? argv[1] : NULL;
  PetscBool   terse = PETSC_FALSE, schema = PETSC_FALSE, help_requested;

  PetscCall(PetscInitialize(&argc, &argv, NULL, help));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-terse", &terse, NULL));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-schema", &schema));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  if (schema) PetscCall(RdReportPrintSchema());
  else if (!help_requested) {
    PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-report FILE [-terse] (or -schema)");
    PetscCall(RdReportPrint(path, terse));
  }
  PetscCall(PetscFinalize());
  return 0;
}
