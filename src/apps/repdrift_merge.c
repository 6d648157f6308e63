/* repdrift-merge OUTPUT INPUT... : combines the slice archives of one sweep (job arrays, -sweep_slice)
 * into one archive with the same schema and values as a single run's. */
#include <repdrift/archive.h>
#include <repdrift/claim.h>
#include <repdrift/errors.h>
#include <repdrift/integrity.h>
#include <repdrift/model.h>
#include <string.h>

static const char help[] = "repdrift-merge [-break_lock] OUTPUT INPUT...\n"
                           "Combines slice archives of one sweep (identical options; written with -sweep_slice) into\n"
                           "OUTPUT, which must not exist. Every point is taken from the input in which it is finished.\n"
                           "Like every writer, it holds the claim OUTPUT.lock while it writes: OUTPUT in use by another\n"
                           "writer is refused; -break_lock takes over the claim of a writer that is provably gone.\n"
                           "Every input is first checked as repdrift-report checks an archive (against its own options, and\n"
                           "the checksum of every finished point): a damaged input is refused, nothing is written.\n";

/* Each input holds what its options imply and its finished points match their checksums. */
static PetscErrorCode VerifyInputs(PetscInt n_inputs, char **inputs)
{
  PetscFunctionBeginUser;
  PetscCall(RdModelRegisterAll());
  for (PetscInt i = 0; i < n_inputs; i++) {
    RdArchiveIntegrity integrity;
    char               notes[4096];
    PetscCall(RdIntegrityCheck(inputs[i], PETSC_TRUE, &integrity, notes, sizeof notes));
    PetscCall(RdIntegrityRefuseFailing(inputs[i], &integrity, "recompute them with -resume on that slice, then merge (nothing was written)"));
    PetscCall(RdArchiveIntegrityDestroy(&integrity));
    if (notes[0]) PetscCall(PetscPrintf(PETSC_COMM_SELF, "Note: %s\n", notes));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(int argc, char **argv)
{
  PetscFunctionBeginUser;
  if (argc >= 2 && (!strcmp(argv[1], "-help") || !strcmp(argv[1], "--help"))) {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s", help));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscBool break_lock = argc >= 2 && !strcmp(argv[1], "-break_lock");
  RdClaim   claim;
  if (break_lock) {
    argc--;
    argv++;
  }
  PetscCheck(argc >= 3, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-merge [-break_lock] OUTPUT INPUT... (at least one input)");
  PetscCall(RdClaimTake(PETSC_COMM_SELF, argv[1], "the merge output", break_lock, &claim, NULL, 0));
  PetscCall(VerifyInputs(argc - 2, argv + 2)); /* a refused merge writes nothing (the claim goes at exit) */
  PetscCall(RdArchiveMerge(argv[1], argc - 2, (const char *const *)(argv + 2)));
  PetscCall(RdClaimGive(PETSC_COMM_SELF, &claim));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "Merged %d archive(s) into %s\n", argc - 2, argv[1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* File names are positional: no option parsing (PetscInitializeNoArguments). A user error (an
 * input that is not a slice of the same sweep, an existing output) prints one line, exit 2. */
int main(int argc, char **argv)
{
  RdMainCall(RdInitialize(NULL, NULL, "repdrift-merge", help, PETSC_FALSE));
  RdMainCall(Run(argc, argv));
  return RdFinalize();
}
