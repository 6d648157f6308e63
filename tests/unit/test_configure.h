/* The unit tests' way to configure a run from an option string (test_config, test_theory_options). */
#ifndef REPDRIFT_TEST_CONFIGURE_H
#define REPDRIFT_TEST_CONFIGURE_H

#include <repdrift/config.h>
#include <repdrift/model.h>

/* Reads options (as on a command line) into cfg, refuses options no table declares, then runs the
 * model's setup. Returns the error code with its message (0 and "" on success); errors are caught,
 * not printed. */
static inline PetscErrorCode RdTestConfigure(const char *options, RdConfig *cfg, char *message, size_t size)
{
  PetscErrorCode failed;

  message[0] = '\0';
  PetscCallAbort(PETSC_COMM_SELF, PetscOptionsClear(NULL));
  PetscCallAbort(PETSC_COMM_SELF, PetscOptionsInsertString(NULL, options));
  PetscCallAbort(PETSC_COMM_SELF, PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = RdConfigFromOptions(PETSC_COMM_WORLD, cfg);
  if (!failed) failed = RdConfigCheckUnusedOptions(PETSC_COMM_WORLD);
  if (!failed) failed = RdModelSetUp(PETSC_COMM_WORLD, cfg);
  PetscCallAbort(PETSC_COMM_SELF, PetscPopErrorHandler());
  if (failed) {
    char *specific = NULL;
    PetscCallAbort(PETSC_COMM_SELF, PetscErrorMessage(failed, NULL, &specific));
    PetscCallAbort(PETSC_COMM_SELF, PetscStrncpy(message, specific ? specific : "", size));
  }
  return failed;
}

#endif
