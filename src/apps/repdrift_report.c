/* repdrift-report FILE [-terse]: one row of headline numbers per sweep point of an archive.
 * repdrift-report -schema: the archive schema this version writes. */
#include <repdrift/compare.h>
#include <repdrift/errors.h>
#include <repdrift/model.h>
#include <repdrift/report.h>

static const char help[] = "repdrift-report FILE [-terse] | -schema | RECORDING -compare NETWORK [-bootstrap N] [-seed S]\n"
                           "Prints, per sweep point of a repdrift archive, the final loss, the mean fraction of drift in\n"
                           "the variational space against its chance level, the mean angle between drift and PC1, and\n"
                           "the cross-day classifier accuracy (day 0 -> last day). Exits non-zero on a file that is not a\n"
                           "repdrift archive or has an unknown schema version (one line, exit status 2).\n"
                           "-compare: ranks every setting (noise type, level, ...) of a network archive with /signature by the\n"
                           "distance D of its drift signature to a recording's (a -model recording archive, or the built-in\n"
                           "paper-v1: Aitken et al. 2022, section 2.1), either order: z = (mu - r) / sqrt(s^2 + t^2 + eps^2) per\n"
                           "metric, D = RMS of z; 95 % bootstrap interval of D and P(ranked first) over -bootstrap resamples\n"
                           "(default 1000) of seeds and animals (-seed, default 1). The README defines every term.\n";

static PetscErrorCode Run(const char *path)
{
  PetscBool        terse = PETSC_FALSE, schema = PETSC_FALSE, help_requested, compare;
  char             other[PETSC_MAX_PATH_LEN];
  RdCompareOptions compare_options = {.bootstrap = 1000, .seed = 1};

  PetscFunctionBeginUser;
  PetscCall(PetscOptionsGetString(NULL, NULL, "-compare", other, sizeof other, &compare));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-bootstrap", &compare_options.bootstrap, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-seed", &compare_options.seed, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-terse", &terse, NULL));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-schema", &schema));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  if (schema) PetscCall(RdReportPrintSchema());
  else if (compare && !help_requested) {
    PetscCheck(path && other[0], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-report RECORDING -compare NETWORK (RECORDING: a -model recording archive or paper-v1)");
    PetscCall(RdComparePrint(path, other, &compare_options));
  }
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
