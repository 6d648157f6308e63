/* What an archive must hold, and the one check every reader runs (README, "Integrity").
 *
 * An archive's /config/options is a complete -options_file: read back as the run read it (text ->
 * options -> configuration, the model's setup included) it gives the archive's dimensions, its
 * optional groups, its root attributes and its sweep description. RdArchiveValidate
 * (archive_validate.c) compares the file with that expectation; RdArchiveVerifyChecksums
 * recomputes the per-point checksums (checksum.h). Every reader goes through here:
 * repdrift-report (its table, -verify), repdrift-merge (each input), the Python loader and
 * repdrift-plot (`repdrift-report ARCHIVE -verify`); -resume checks against the run's own options
 * (RdIntegrityExpectation, RdArchiveResumeCheck). */
#ifndef REPDRIFT_INTEGRITY_H
#define REPDRIFT_INTEGRITY_H

#include <repdrift/archive.h>
#include <repdrift/config.h>

/* What the archive of a configured run (after RdModelSetUp) holds. Free with
 * RdIntegrityExpectationDestroy. */
PetscErrorCode RdIntegrityExpectation(const RdConfig *cfg, RdArchiveExpectation *expect);
PetscErrorCode RdIntegrityExpectationDestroy(RdArchiveExpectation *expect);

/* The check of an archive file: it is a repdrift archive, its /config/options a valid options
 * text of this program, and it holds what they imply (RdArchiveValidate); with verify, the
 * checksums of its finished points are recomputed (integrity->failing). A mismatch is a user error
 * (one line: the archive, the dataset, what is wrong). notes (newline-separated, "" for none)
 * says what could not be checked: no checksums (an archive written before them), a sweep
 * description checked for range only (the model's input files cannot be read here). Destroy
 * integrity with RdArchiveIntegrityDestroy. */
PetscErrorCode RdIntegrityCheck(const char *path, PetscBool verify, RdArchiveIntegrity *integrity, char *notes, size_t size);
/* A user error naming the points that fail their checksum (none: nothing happens); advice says
 * what to do, e.g. "recompute them with -resume". */
PetscErrorCode RdIntegrityRefuseFailing(const char *path, const RdArchiveIntegrity *integrity, const char *advice);

#endif
