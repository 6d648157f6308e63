/* User errors in one line (include/repdrift/errors.h): the error handler, and the start and end of
 * every program around it. */
#include <repdrift/errors.h>
#include <slepcsys.h>
#include <stdio.h>
#include <string.h>

static char      program_name[64]  = "repdrift";
static PetscBool slepc_initialized = PETSC_FALSE;

PetscBool RdIsUserError(PetscErrorCode code)
{
  return code == PETSC_ERR_USER_INPUT || code == PETSC_ERR_FILE_OPEN || code == PETSC_ERR_FILE_READ || code == PETSC_ERR_FILE_WRITE || code == PETSC_ERR_FILE_UNEXPECTED;
}

/* "PROGRAM: message" on stderr, one line whatever the message holds. */
static void PrintUserError(const char *message)
{
  fprintf(stderr, "%s: ", program_name);
  for (const char *c = message; *c; c++) fputc(*c == '\n' ? ' ' : *c, stderr);
  fputc('\n', stderr);
  fflush(stderr);
}

static PetscMPIInt WorldRank(void)
{
  int         initialized = 0, finalized = 0;
  PetscMPIInt rank = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  return rank;
}

/* A user error prints its message where it is raised (PETSC_ERROR_INITIAL), on rank 0 only; the
 * calls it passes on its way up to main (PETSC_ERROR_REPEAT) print nothing. Everything else is
 * PETSc's traceback. */
static PetscErrorCode UserErrorHandler(MPI_Comm comm, int line, const char *function, const char *file, PetscErrorCode code, PetscErrorType type, const char *message, void *context)
{
  if (!RdIsUserError(code)) return PetscTraceBackErrorHandler(comm, line, function, file, code, type, message, context);
  if (type == PETSC_ERROR_INITIAL && WorldRank() == 0) PrintUserError(message ? message : "");
  return code;
}

/* The initialization failed (an options file it reads): say which file, in one line. */
static void ReportFailedInitialization(PetscErrorCode failed, int argc, char **argv)
{
  const char *generic  = NULL;
  char       *specific = NULL;
  char        line[2 * PETSC_MAX_PATH_LEN + 256] = "";

  PetscErrorMessage(failed, &generic, &specific);
  for (int i = 1; i + 1 < argc && !line[0]; i++)
    if (!strcmp(argv[i], "-options_file") || !strcmp(argv[i], "-options_file_yaml")) snprintf(line, sizeof line, "could not read the options: check %s %s (%s); nothing was run or written", argv[i], argv[i + 1], specific && specific[0] ? specific : generic ? generic : "unreadable");
  if (!line[0]) snprintf(line, sizeof line, "could not read the options (%s); nothing was run or written", specific && specific[0] ? specific : generic ? generic : "PETSc failed to start");
  if (WorldRank() == 0) PrintUserError(line);
}

PetscErrorCode RdInitialize(int *argc, char ***argv, const char *program, const char *help, PetscBool slepc)
{
  PetscErrorCode failed;
  int            initialized = 0, finalized = 0;

  snprintf(program_name, sizeof program_name, "%s", program);
  /* the initialization reads -options_file: keep its error quiet and report it ourselves */
  PetscPushErrorHandler(PetscReturnErrorHandler, NULL);
  failed = slepc ? SlepcInitialize(argc, argv, NULL, help) : PetscInitialize(argc, argv, NULL, help);
  if (failed) {
    ReportFailedInitialization(failed, argc ? *argc : 0, argv ? *argv : NULL);
    MPI_Initialized(&initialized);
    MPI_Finalized(&finalized);
    if (initialized && !finalized) MPI_Finalize();
    return PETSC_ERR_USER_INPUT;
  }
  slepc_initialized = slepc;
  PetscCall(PetscPopErrorHandler());
  PetscCall(PetscPushErrorHandler(UserErrorHandler, NULL));
  return PETSC_SUCCESS;
}

int RdFinalize(void)
{
  PetscBool petsc_initialized = PETSC_FALSE, petsc_finalized = PETSC_FALSE;

  if (PetscInitialized(&petsc_initialized) == PETSC_SUCCESS && petsc_initialized && PetscFinalized(&petsc_finalized) == PETSC_SUCCESS && !petsc_finalized) {
    if (slepc_initialized) SlepcFinalize();
    else PetscFinalize();
  }
  return 0;
}

int RdExitUserError(void)
{
  int initialized = 0, finalized = 0;

  RdFinalize();
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (initialized && !finalized) MPI_Finalize();
  return RD_EXIT_USER_ERROR;
}
