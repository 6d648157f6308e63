/* Errors a user caused end the program with one line, not a traceback.
 *
 * A user error is one the user can fix: an option or a combination of options, an input data
 * file, an archive (one that exists, is damaged, or was written with other options). It is raised
 * with the code PETSC_ERR_USER_INPUT (options, data) or PETSC_ERR_FILE_OPEN, _READ, _WRITE,
 * _UNEXPECTED (files and archives) and a message that names what to fix. Every program of the
 * project then prints
 *     PROGRAM: MESSAGE
 * as one line on stderr, once (by rank 0 of PETSC_COMM_WORLD), finalizes, and exits with status
 * RD_EXIT_USER_ERROR (2). Any other error (a bug, a failed library call, no memory) keeps PETSc's
 * traceback and exit status.
 *
 * Printing on rank 0 only is right because user errors are collective: options are read and
 * checked on every rank, so every rank raises the same error; a check that one rank makes (an
 * archive on disk) broadcasts its message before raising it (RdArchiveResumeCheck); a check that
 * every rank makes on its own (an input file) agrees on the outcome first (RdModelSetUp). Errors of
 * one sweep point are not user errors of the run: the point is marked failed and its traceback is
 * printed by the rank that ran it (RdRunOwnedPoints). */
#ifndef REPDRIFT_ERRORS_H
#define REPDRIFT_ERRORS_H

#include <repdrift/common.h>

/* Exit status of a run refused for a user error (nothing was run, no file was changed). */
#define RD_EXIT_USER_ERROR 2

/* Whether code is one of the user-error codes above. */
PetscBool RdIsUserError(PetscErrorCode code);

/* PetscInitialize, or SlepcInitialize when slepc (which initializes PETSc too), for `program`
 * (the name the error lines start with) with its -help text; then installs the user-error
 * handler. Options files are read here: one that cannot be read or parsed is a user error
 * ("PROGRAM: could not read the options: check -options_file FILE (...)"), reported by rank 0
 * after MPI is finalized; the return value is then PETSC_ERR_USER_INPUT. */
PetscErrorCode RdInitialize(int *argc, char ***argv, const char *program, const char *help, PetscBool slepc);
/* Finalizes whatever RdInitialize initialized; returns exit status 0. */
int RdFinalize(void);
/* After a user error (its line already printed): finalizes every rank, returns RD_EXIT_USER_ERROR. */
int RdExitUserError(void);

/* In main(), in place of PetscCall: a user error finalizes and returns RD_EXIT_USER_ERROR from
 * main; any other error is PetscCall's (traceback, non-zero exit). */
#define RdMainCall(...) \
  do { \
    PetscErrorCode rd_main_error_ = (__VA_ARGS__); \
    if (rd_main_error_ != PETSC_SUCCESS && RdIsUserError(rd_main_error_)) return RdExitUserError(); \
    PetscCall(rd_main_error_); \
  } while (0)

#endif
