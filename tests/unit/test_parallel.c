/* The collectives of parallel.h on any number of ranks (ctest runs it on one; `mpirun -n 3
 * tests/test_parallel` runs the same assertions across ranks): broadcasts carry rank 0's values,
 * the any-rank vote, the node census, the Slurm task check (refused when the step's task count is
 * not the MPI size), the progress count that every rank sees (one point per rank, or any number),
 * the non-blocking vote of the write rounds and the dynamic schedule's ticket counter. */
#include <repdrift/parallel.h>
#include <stdlib.h>
#include <string.h>
#include "testing.h"

static PetscErrorCode TestBroadcasts(MPI_Comm comm, PetscMPIInt rank, PetscMPIInt size)
{
  PetscInt values[3] = {-1, -1, -1};
  char     text[8];

  PetscFunctionBeginUser;
  if (rank == 0) {
    values[0] = 7, values[1] = -3, values[2] = size;
    PetscCall(PetscStrncpy(text, "message", sizeof text));
  } else PetscCall(PetscStrncpy(text, "other", sizeof text));
  PetscCall(RdBroadcastInts(comm, values, 3));
  RD_CHECK(values[0] == 7 && values[1] == -3 && values[2] == size, "rank %d: rank 0's integers (7, -3, %d), got (%d, %d, %d)", rank, size, (int)values[0], (int)values[1], (int)values[2]);
  PetscCall(RdBroadcastText(comm, text, sizeof text));
  RD_CHECK(strcmp(text, "message") == 0, "rank %d: rank 0's text, got '%s'", rank, text);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestVotes(MPI_Comm comm, PetscMPIInt rank, PetscMPIInt size)
{
  PetscBool any;
  PetscInt  on_node;

  PetscFunctionBeginUser;
  PetscCall(RdAnyRank(comm, rank == size - 1 ? PETSC_TRUE : PETSC_FALSE, &any));
  RD_CHECK(any, "rank %d: the last rank's true reaches every rank", rank);
  PetscCall(RdAnyRank(comm, PETSC_FALSE, &any));
  RD_CHECK(!any, "rank %d: false everywhere stays false", rank);
  PetscCall(RdRanksOnNode(comm, &on_node));
  RD_CHECK(on_node >= 1 && on_node <= size, "rank %d: %d ranks on this node, between 1 and %d", rank, (int)on_node, size);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A direct srun launch (SLURM_PROCID set, no OMPI_COMM_WORLD_SIZE) must have one task per rank. */
static PetscErrorCode TestSlurmTasks(MPI_Comm comm, PetscMPIInt size)
{
  char           tasks[32];
  PetscErrorCode code;
  const char    *ompi_size = getenv("OMPI_COMM_WORLD_SIZE");
  char           saved_ompi_size[32] = "";

  PetscFunctionBeginUser;
  if (ompi_size) PetscCall(PetscStrncpy(saved_ompi_size, ompi_size, sizeof saved_ompi_size));
  unsetenv("OMPI_COMM_WORLD_SIZE");
  setenv("SLURM_PROCID", "0", 1);
  PetscCall(PetscSNPrintf(tasks, sizeof tasks, "%d", size));
  setenv("SLURM_STEP_NUM_TASKS", tasks, 1);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  code = RdCheckSlurmTasks(comm);
  RD_CHECK(code == PETSC_SUCCESS, "Slurm step of %d tasks on %d ranks accepted, got error %d", size, size, (int)code);
  PetscCall(PetscSNPrintf(tasks, sizeof tasks, "%d", size + 1));
  setenv("SLURM_STEP_NUM_TASKS", tasks, 1);
  code = RdCheckSlurmTasks(comm);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(code == PETSC_ERR_USER_INPUT, "Slurm step of %d tasks on %d ranks refused as a user error, got %d", size + 1, size, (int)code);
  unsetenv("SLURM_STEP_NUM_TASKS");
  unsetenv("SLURM_PROCID");
  if (ompi_size) setenv("OMPI_COMM_WORLD_SIZE", saved_ompi_size, 1);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Round 1: every rank finishes a point; round 2: only rank 0. Every rank sees the same count. */
static PetscErrorCode TestProgress(MPI_Comm comm, PetscMPIInt rank, PetscMPIInt size)
{
  RdProgress progress;

  PetscFunctionBeginUser;
  PetscCall(RdProgressStart(comm, size + 1, &progress));
  PetscCall(RdProgressRound(&progress, rank, 1, 0.25, PETSC_TRUE));
  RD_CHECK(progress.done == size, "rank %d: %d points done after round 1, got %d", rank, size, (int)progress.done);
  PetscCall(RdProgressRound(&progress, rank == 0 ? size : -1, 1, rank == 0 ? 0.5 : 0.0, PETSC_TRUE));
  RD_CHECK(progress.done == size + 1, "rank %d: %d points done after round 2, got %d", rank, size + 1, (int)progress.done);
  RD_CHECK(progress.my_points == (rank == 0 ? 2 : 1), "rank %d: own points counted", rank);
  RD_CHECK_CLOSE(progress.busy_seconds, rank == 0 ? 0.75 : 0.25, 0, "own busy seconds summed");
  PetscCall(RdProgressLoadTable(&progress, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A round with a different number of points per rank (rank r: r points): every rank sees the
 * total; the phase totals are summed per rank. Then the non-blocking vote: maxima of every
 * rank's three integers, seen by every rank, by test or wait. */
static PetscErrorCode TestProgressReportAndVote(MPI_Comm comm, PetscMPIInt rank, PetscMPIInt size)
{
  RdProgress progress;
  PetscInt   points[64], status[64];
  double     seconds[RD_NUM_PHASES] = {0};
  RdVote     vote = {0};
  PetscBool  complete = PETSC_FALSE;
  int        local[RD_VOTE_SIZE];

  PetscFunctionBeginUser;
  PetscCall(RdProgressStart(comm, size * (size - 1) / 2, &progress));
  for (PetscInt j = 0; j < rank && j < 64; j++) points[j] = 100 * rank + j, status[j] = 1;
  seconds[RD_PHASE_TRAIN] = 2, seconds[RD_PHASE_WRITE_WAIT] = 0.5;
  PetscCall(RdProgressAddPhases(&progress, seconds));
  PetscCall(RdProgressAddPhases(&progress, seconds));
  PetscCall(RdProgressReport(&progress, PetscMin(rank, 64), points, status, 0.5 * rank, PETSC_TRUE));
  RD_CHECK(progress.done == size * (size - 1) / 2, "rank %d: %d points done in one round of 0..%d per rank, got %d", rank, size * (size - 1) / 2, size - 1, (int)progress.done);
  RD_CHECK(progress.my_points == rank, "rank %d: its own %d points counted, got %d", rank, rank, (int)progress.my_points);
  RD_CHECK_CLOSE(progress.phase_seconds[RD_PHASE_TRAIN], 4.0, 0, "train seconds summed over two additions");
  RD_CHECK_CLOSE(progress.phase_seconds[RD_PHASE_WRITE_WAIT], 1.0, 0, "write_wait seconds summed over two additions");

  local[0] = rank, local[1] = rank == 0, local[2] = size - rank;
  PetscCall(RdVoteStart(comm, local, &vote));
  for (int tries = 0; tries < 1000000 && !complete; tries++) PetscCall(RdVoteTest(&vote, &complete));
  if (!complete) PetscCall(RdVoteWait(&vote));
  RD_CHECK(vote.result[0] == size - 1 && vote.result[1] == 1 && vote.result[2] == size, "rank %d: vote maxima (%d, 1, %d), got (%d, %d, %d)", rank, size - 1, size, vote.result[0], vote.result[1], vote.result[2]);
  local[0] = -rank, local[1] = 0, local[2] = 0;
  PetscCall(RdVoteStart(comm, local, &vote));
  PetscCall(RdVoteWait(&vote));
  RD_CHECK(vote.result[0] == 0 && vote.result[1] == 0 && vote.result[2] == 0, "rank %d: second vote (waited for) maxima (0, 0, 0), got (%d, %d, %d)", rank, vote.result[0], vote.result[1], vote.result[2]);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The dynamic schedule's counter: the ranks take tickets (rank 0 slowly, as if computing)
 * until they run out; every ticket 0..T-1 is taken exactly once over all ranks, and the count
 * peeked afterwards is T plus one failed take per rank. */
static PetscErrorCode TestTicketCounter(MPI_Comm comm, PetscMPIInt rank, PetscMPIInt size)
{
  enum { T = 40 };
  RdTicketCounter counter;
  int             taken[T] = {0}, total[T];
  PetscInt        ticket, peeked;

  PetscFunctionBeginUser;
  PetscCall(RdTicketCounterCreate(comm, &counter));
  for (;;) {
    PetscCall(RdTicketCounterNext(&counter, &ticket));
    if (ticket >= T) break;
    RD_CHECK(ticket >= 0 && !taken[ticket], "rank %d: ticket %d handed out twice", rank, (int)ticket);
    if (ticket >= 0) taken[ticket]++;
    if (rank == 0) {
      volatile double busy = 0; /* no MPI call meanwhile: the others must not need rank 0 */
      for (int i = 0; i < 200000; i++) busy += i;
    }
  }
  PetscCallMPI(MPI_Allreduce(taken, total, T, MPI_INT, MPI_SUM, comm));
  for (int t = 0; t < T; t++) RD_CHECK(total[t] == 1, "rank %d: ticket %d taken %d times over all ranks, expected once", rank, t, total[t]);
  PetscCallMPI(MPI_Barrier(comm));
  PetscCall(RdTicketCounterPeek(&counter, &peeked));
  RD_CHECK(peeked == T + size, "rank %d: %d tickets handed out, expected %d (T plus one past the end per rank)", rank, (int)peeked, T + size);
  PetscCall(RdTicketCounterDestroy(&counter));
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscMPIInt rank, size;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  PetscCall(TestBroadcasts(PETSC_COMM_WORLD, rank, size));
  PetscCall(TestVotes(PETSC_COMM_WORLD, rank, size));
  PetscCall(TestSlurmTasks(PETSC_COMM_WORLD, size));
  PetscCall(TestProgress(PETSC_COMM_WORLD, rank, size));
  PetscCall(TestProgressReportAndVote(PETSC_COMM_WORLD, rank, size));
  PetscCall(TestTicketCounter(PETSC_COMM_WORLD, rank, size));
  int code = RdTestSummary("test_parallel"), worst;
  PetscCallMPI(MPI_Allreduce(&code, &worst, 1, MPI_INT, MPI_MAX, PETSC_COMM_WORLD));
  PetscCall(PetscFinalize());
  return worst;
}
