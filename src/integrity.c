/* What an archive must hold, from its options, and every reader's check (include/repdrift/
 * integrity.h). No HDF5 here: the archive modules read the file; this file turns options into the
 * expectation they compare it with. */
#include <repdrift/integrity.h>
#include <repdrift/errors.h>
#include <repdrift/model.h>
#include <repdrift/run.h>
#include <string.h>

PetscErrorCode RdIntegrityExpectation(const RdConfig *cfg, RdArchiveExpectation *expect)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(expect, sizeof *expect));
  PetscCall(RdRunArchiveSettings(cfg, &expect->settings));
  PetscCall(RdRunDims(cfg, &expect->dims));
  expect->dims_known = PETSC_TRUE;
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (rd_field_specs[f].when == RD_WRITTEN_AT_CREATION) PetscCall(PetscMalloc1(RdFieldPointElements((RdField)f, &expect->dims) * (size_t)expect->dims.size[RD_DIM_POINT] + 1, &expect->description[f]));
  PetscCall(RdRunSweepDescription(cfg, &expect->dims, expect->description));
  PetscCall(RdConfigOptionsText(cfg, &expect->options_text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdIntegrityExpectationDestroy(RdArchiveExpectation *expect)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++) PetscCall(PetscFree(expect->description[f]));
  PetscCall(PetscFree(expect->options_text));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The text of a failed call, for a message. */
static void FailureText(PetscErrorCode failed, char *text, size_t size)
{
  const char *generic  = NULL;
  char       *specific = NULL;
  PetscErrorMessage(failed, &generic, &specific);
  snprintf(text, size, "%s", specific && specific[0] ? specific : generic ? generic : "unknown error");
}

/* The archive's options read back as the run read them, in an options database of their own (the
 * reader's own options stay untouched). message: why they are not a valid options text; note: why
 * the model's setup failed (its input files), when only the setup did. */
static PetscErrorCode ExpectationFromOptions(const char *options_text, RdArchiveExpectation *expect, char *message, char *note, size_t size)
{
  PetscOptions   options;
  RdConfig       cfg;
  PetscErrorCode failed;
  char           why[1024], *line_by_line;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(expect, sizeof *expect));
  PetscCall(RdModelRegisterAll());
  PetscCall(PetscOptionsCreate(&options));
  PetscCall(PetscStrallocpy(options_text, &line_by_line)); /* "-name value" lines -> one command line */
  for (char *c = line_by_line; *c; c++)
    if (*c == '\n' || *c == '\r' || *c == '\t') *c = ' ';
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = PetscOptionsInsertString(options, line_by_line);
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscFree(line_by_line));
  if (failed) {
    FailureText(failed, why, sizeof why);
    snprintf(message, size, "/config/options cannot be read as options (%s)", why);
    PetscCall(PetscOptionsDestroy(&options));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscOptionsPush(options));
  PetscCall(PetscMemzero(&cfg, sizeof cfg));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = RdConfigFromOptions(PETSC_COMM_SELF, &cfg);
  if (!failed) failed = RdConfigCheckUnusedOptions(PETSC_COMM_SELF);
  PetscCall(PetscPopErrorHandler());
  PetscCheck(!failed || RdIsUserError(failed), PETSC_COMM_SELF, failed, "Reading /config/options failed");
  if (failed) {
    FailureText(failed, why, sizeof why);
    snprintf(message, size, "/config/options is not a valid options text of this repdrift (%s)", why);
  } else {
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    failed = RdModelSetUp(PETSC_COMM_SELF, &cfg);
    PetscCall(PetscPopErrorHandler());
    PetscCheck(!failed || RdIsUserError(failed), PETSC_COMM_SELF, failed, "The setup of the model of /config/options failed");
    if (!failed) PetscCall(RdIntegrityExpectation(&cfg, expect));
    else { /* the model's input files: what the options alone decide is still checked */
      FailureText(failed, why, sizeof why);
      snprintf(note, size, "the sweep description and dimensions were checked for range and consistency only: the model's setup needs what cannot be read here (%s)", why);
      PetscCall(RdRunArchiveSettings(&cfg, &expect->settings));
      PetscCall(RdConfigOptionsText(&cfg, &expect->options_text));
    }
  }
  PetscCall(RdConfigDestroy(&cfg));
  PetscCall(PetscOptionsPop());
  PetscCall(PetscOptionsDestroy(&options));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void AppendNote(char *notes, size_t size, const char *note)
{
  size_t used = strlen(notes);
  if (note[0]) snprintf(notes + used, size - used, "%s%s", used ? "\n" : "", note);
}

PetscErrorCode RdIntegrityCheck(const char *path, PetscBool verify, RdArchiveIntegrity *integrity, char *notes, size_t size)
{
  RdArchiveReader      reader;
  RdArchiveExpectation expect;
  char                *options_text = NULL, message[2048] = "", note[2048] = "";

  PetscFunctionBeginUser;
  notes[0] = '\0';
  PetscCall(PetscMemzero(integrity, sizeof *integrity));
  PetscCall(RdArchiveOpenRead(path, &reader));
  PetscCall(RdArchiveReadOptionsText(reader, &options_text, message, sizeof message));
  if (!message[0]) {
    PetscCall(ExpectationFromOptions(options_text, &expect, message, note, sizeof message));
    if (!message[0]) {
      PetscCall(RdArchiveValidate(reader, &expect, integrity, message, sizeof message));
      if (!message[0] && verify) PetscCall(RdArchiveVerifyChecksums(reader, integrity, message, sizeof message));
    }
    PetscCall(RdIntegrityExpectationDestroy(&expect));
  }
  PetscCall(PetscFree(options_text));
  PetscCall(RdArchiveCloseRead(&reader));
  if (message[0]) PetscCall(RdArchiveIntegrityDestroy(integrity));
  PetscCheck(!message[0], PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %s", path, message);
  AppendNote(notes, size, note);
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!integrity->absent[f] || f == RD_FIELD_SWEEP_CHECKSUM) continue;
    PetscCall(PetscSNPrintf(note, sizeof note, "%s was written before %s existed: readers that need it leave it out", path, rd_field_specs[f].path));
    AppendNote(notes, size, note);
  }
  if (!integrity->has_checksums) {
    PetscCall(PetscSNPrintf(note, sizeof note, "%s has no /sweep/checksum (written before checksums): its %lld finished point(s) cannot be verified", path, (long long)(integrity->n_points - integrity->n_status[0])));
    AppendNote(notes, size, note);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdIntegrityRefuseFailing(const char *path, const RdArchiveIntegrity *integrity, const char *advice)
{
  char points[128];

  PetscFunctionBeginUser;
  if (!integrity->n_failing) PetscFunctionReturn(PETSC_SUCCESS);
  RdArchivePointList(integrity->failing, integrity->n_failing, points, sizeof points);
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %lld finished point(s) fail their checksum (point %s): their data or /config/options changed after they were written; %s", path, (long long)integrity->n_failing, points, advice);
}
