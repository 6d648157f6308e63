/* repdrift-report FILE [-terse]: one row of headline numbers per sweep point of an archive.
 * repdrift-report -schema: the archive schema this version writes. */
#include <repdrift/errors.h>
#include <repdrift/model.h>
#include <repdrift/report.h>

static const char help[] = "repdrift-report FILE [-terse] | -schema\n"
                           "Prints, per sweep point of a repdrift archive, the final loss, the mean fraction of drift in\n"
                           "the variational space against its chance level, the mean angle between drift and PC1, and\n"
                           "the cross-day classifier accuracy (day 0 -> last day). Exits non-zero on a file that is not a\n"
                           "repdrift archive or has an unknown schema version (one line, exit status 2).\n";

static PetscErrorCode Run(const char *path)
{
  PetscBool terse = PETSC_FALSE, schema = PETSC_FALSE, help_requested;

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-terse", &terse, NULL));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-schema", &schema));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  if (schema) PetscCall(RdReportPrintSchema());
  else if (!help_requested) {
    PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-report FILE [-terse] (or -schema)");
    PetscCall(RdReportPrint(path, terse));
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
