/* The model registry (include/repdrift/model.h): the one place that lists the program's models,
 * and the collective call of a model's setup. */
#include <repdrift/model.h>
#include <repdrift/errors.h>
#include <repdrift/parallel.h>
#include <string.h>

static const RdModelOps *registered[RD_MAX_MODELS];
static PetscInt          n_registered;
static PetscBool         all_registered;

PetscErrorCode RdModelRegister(const RdModelOps *ops)
{
  PetscFunctionBeginUser;
  PetscCheck(ops && ops->name && ops->create && ops->train && ops->observe && ops->destroy && ops->cost, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "A model needs a name and the days protocol's create, train, observe, destroy and cost");
  PetscCheck(!RdModelFind(ops->name), PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "A model called %s is already registered", ops->name);
  PetscCheck(n_registered < RD_MAX_MODELS, PETSC_COMM_SELF, PETSC_ERR_SUP, "More than %d models (RD_MAX_MODELS)", RD_MAX_MODELS);
  registered[n_registered++] = ops;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdModelRegisterAll(void)
{
  PetscFunctionBeginUser;
  if (all_registered) PetscFunctionReturn(PETSC_SUCCESS);
  all_registered = PETSC_TRUE;
  /* one line per model; the first is the default of -model */
  RD_MODEL_REGISTER(linear);
  RD_MODEL_REGISTER(classifier);
  RD_MODEL_REGISTER(autoencoder);
  RD_MODEL_REGISTER(recording);
  PetscFunctionReturn(PETSC_SUCCESS);
}

const RdModelOps *RdModelFind(const char *name)
{
  for (PetscInt i = 0; i < n_registered; i++)
    if (name && !strcmp(registered[i]->name, name)) return registered[i];
  return NULL;
}

PetscInt RdModelCount(void) { return n_registered; }

const RdModelOps *RdModelAt(PetscInt i) { return i >= 0 && i < n_registered ? registered[i] : NULL; }

PetscErrorCode RdModelSetUp(MPI_Comm comm, RdConfig *cfg)
{
  PetscErrorCode failed;
  PetscBool      any_failed;
  char           message[2 * PETSC_MAX_PATH_LEN + 512] = "";

  PetscFunctionBeginUser;
  if (!cfg->model->setup) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  failed = cfg->model->setup(cfg);
  PetscCall(PetscPopErrorHandler());
  if (failed) {
    char *specific = NULL;
    PetscCall(PetscErrorMessage(failed, NULL, &specific));
    PetscCall(PetscStrncpy(message, specific ? specific : "", sizeof message));
    PetscCheck(RdIsUserError(failed), PETSC_COMM_SELF, failed, "%s", message); /* a bug: its traceback */
  }
  PetscCall(RdAnyRank(comm, failed != PETSC_SUCCESS, &any_failed));
  if (!any_failed) PetscFunctionReturn(PETSC_SUCCESS);
  if (!failed) PetscCall(PetscSNPrintf(message, sizeof message, "-model %s: another rank could not read or check its input (rank 0 could): every rank must see the same files", cfg->model->name));
  PetscCall(RdBroadcastText(comm, message, sizeof message));
  SETERRQ(comm, PETSC_ERR_USER_INPUT, "%s", message);
}
