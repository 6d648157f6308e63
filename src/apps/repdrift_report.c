/* repdrift-report FILE [-terse]: one row of headline numbers per sweep point of an archive.
 * repdrift-report FILE -verify: the archive's integrity, point by point.
 * repdrift-report -schema: the archive schema this version writes. */
#include <repdrift/errors.h>
#include <repdrift/integrity.h>
#include <repdrift/model.h>
#include <repdrift/report.h>
#include <string.h>

/* Exit status of -verify (README, "Integrity"). */
enum { VERIFIED = 0, CHECKSUMS_FAIL = 1, NOT_VERIFIABLE = 3 };

static const char help[] = "repdrift-report FILE [-terse] | FILE -verify | -schema\n"
                           "Prints, per sweep point of a repdrift archive, the final loss, the mean fraction of drift in\n"
                           "the variational space against its chance level, the mean angle between drift and PC1, and\n"
                           "the cross-day classifier accuracy (day 0 -> last day). First the archive is checked against\n"
                           "its own /config/options (every dataset of the schema with its type and extents, the root\n"
                           "attributes, the sweep description) and every finished point against its checksum: a file\n"
                           "that is not a valid repdrift archive, or whose data changed after they were written, gets\n"
                           "one line naming what is wrong and exit status 2.\n"
                           "-verify: checks the archive and recomputes the checksum of every finished point, listing\n"
                           "those that fail. Exit status 0: every finished point verified; 1: some fail (listed);\n"
                           "2: not a valid archive (one line on stderr); 3: no checksums to verify (an archive written\n"
                           "before them).\n";

static PetscErrorCode PrintNotes(const char *notes)
{
  PetscFunctionBeginUser;
  for (const char *line = notes; line && *line;) {
    const char *end = strchr(line, '\n');
    int         length = end ? (int)(end - line) : (int)strlen(line);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "Note: %.*s\n", length, line));
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
  PetscCall(PrintNotes(notes));
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

/* The tables, after the same check: an archive whose points fail their checksum is refused. */
static PetscErrorCode Report(const char *path, PetscBool terse)
{
  RdArchiveIntegrity integrity;
  char               notes[4096];

  PetscFunctionBeginUser;
  PetscCall(RdIntegrityCheck(path, PETSC_TRUE, &integrity, notes, sizeof notes));
  PetscCall(RdIntegrityRefuseFailing(path, &integrity, "`repdrift-report FILE -verify` lists them, `repdrift -options_file OPTIONS -output FILE -resume` (OPTIONS: its /config/options) recomputes them"));
  PetscCall(RdArchiveIntegrityDestroy(&integrity));
  PetscCall(PrintNotes(notes));
  PetscCall(RdReportPrint(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(const char *path, int *exit_status)
{
  PetscBool terse = PETSC_FALSE, schema = PETSC_FALSE, verify = PETSC_FALSE, help_requested;

  PetscFunctionBeginUser;
  *exit_status = 0;
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-terse", &terse, NULL));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-verify", &verify, NULL));
  PetscCall(PetscOptionsHasName(NULL, NULL, "-schema", &schema));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  if (schema) PetscCall(RdReportPrintSchema());
  else if (!help_requested) {
    PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-report FILE [-terse | -verify] (or -schema)");
    if (verify) PetscCall(Verify(path, exit_status));
    else PetscCall(Report(path, terse));
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
