/* The claim of a run on its archive, taken and given back collectively (contract: claim.h). */
#include <repdrift/claim.h>
#include <repdrift/parallel.h>

PetscErrorCode RdClaimTake(MPI_Comm comm, const char *archive, const char *what, PetscBool break_lock, RdClaim *claim, char *note, size_t size)
{
  char          message[1024] = "";
  PetscInt      outcome       = RD_CLAIM_TAKEN;
  PetscMPIInt   rank;
  RdClaimHolder previous;
  int           broken = 0;

  PetscFunctionBeginUser;
  claim->fd = -1;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  if (rank == 0) {
    outcome = (PetscInt)RdClaimAcquire(archive, what, break_lock ? 1 : 0, claim, &broken, &previous, message, sizeof message);
    if (outcome == RD_CLAIM_TAKEN && !broken) message[0] = '\0';
  }
  PetscCall(RdBroadcastInts(comm, &outcome, 1));
  PetscCall(RdBroadcastText(comm, message, sizeof message));
  PetscCheck(outcome == RD_CLAIM_TAKEN, comm, outcome == RD_CLAIM_FAILED ? PETSC_ERR_FILE_WRITE : PETSC_ERR_FILE_OPEN, "%s", message);
  if (message[0]) PetscCall(PetscPrintf(comm, "Note: %s\n", message));
  if (note) PetscCall(PetscStrncpy(note, message, size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClaimGive(MPI_Comm comm, RdClaim *claim)
{
  PetscBool any;

  PetscFunctionBeginUser;
  PetscCall(RdAnyRank(comm, PETSC_FALSE, &any)); /* every rank is done with the archive */
  RdClaimRelease(claim);
  PetscFunctionReturn(PETSC_SUCCESS);
}
