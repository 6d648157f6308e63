/* Every MPI communication of repdrift that is not HDF5's own MPI-IO (CoMD's parallel.c rule):
 * progress and load reductions, broadcasts from rank 0, the any-rank vote, the node census and
 * the Slurm task check, the dynamic schedule's ticket counter. See parallel.h. */
#include <repdrift/parallel.h>
#include <repdrift/schema.h>
#include <stdlib.h>

PetscErrorCode RdProgressStart(MPI_Comm comm, PetscInt total, RdProgress *progress)
{
  PetscFunctionBeginUser;
  progress->comm         = comm;
  progress->total        = total;
  progress->done         = 0;
  progress->busy_seconds = 0;
  progress->my_points    = 0;
  progress->start_time   = MPI_Wtime();
  for (int p = 0; p < RD_NUM_PHASES; p++) progress->phase_seconds[p] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdProgressAddPhases(RdProgress *progress, const double seconds[RD_NUM_PHASES])
{
  PetscFunctionBeginUser;
  for (int p = 0; p < RD_NUM_PHASES; p++) progress->phase_seconds[p] += seconds[p];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The phase with the most of this rank's time so far and its share in permille (-1, 0 if none). */
static void DominantPhase(const RdProgress *progress, PetscInt *phase, PetscInt *permille)
{
  double total = 0, most = 0;
  *phase       = -1;
  for (int p = 0; p < RD_NUM_PHASES; p++) {
    total += progress->phase_seconds[p];
    if (progress->phase_seconds[p] > most) most = progress->phase_seconds[p], *phase = p;
  }
  *permille = total > 0 ? (PetscInt)(1000 * most / total + 0.5) : 0;
}

static void FormatSeconds(double seconds, char *text, size_t size)
{
  if (seconds < 120) PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(text, size, "%.1f s", seconds));
  else if (seconds < 7200) PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(text, size, "%.1f min", seconds / 60));
  else PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(text, size, "%.1f h", seconds / 3600));
}

PetscErrorCode RdProgressReport(RdProgress *progress, PetscInt n_here, const PetscInt points_here[], const PetscInt status_here[], double seconds_here, PetscBool terse)
{
  PetscMPIInt  size, rank, *counts = NULL, *offsets = NULL, pairs = 2 * (PetscMPIInt)n_here;
  PetscInt     mine[3] = {n_here, -1, 0}, *heads = NULL, *pairs_here, *all = NULL; /* heads: points, dominant phase, permille per rank */
  struct {
    double value;
    int    rank;
  } busy, slowest;

  PetscFunctionBeginUser;
  progress->my_points += n_here;
  progress->busy_seconds += seconds_here;
  PetscCallMPI(MPI_Comm_size(progress->comm, &size));
  PetscCallMPI(MPI_Comm_rank(progress->comm, &rank));
  DominantPhase(progress, &mine[1], &mine[2]);
  PetscCall(PetscMalloc1(PetscMax(pairs, 1), &pairs_here));
  for (PetscInt j = 0; j < n_here; j++) pairs_here[2 * j] = points_here[j], pairs_here[2 * j + 1] = status_here[j];
  if (rank == 0) PetscCall(PetscMalloc3(3 * size, &heads, size, &counts, size + 1, &offsets));
  PetscCallMPI(MPI_Gather(mine, 3, MPIU_INT, heads, 3, MPIU_INT, 0, progress->comm));
  if (rank == 0) {
    offsets[0] = 0;
    for (PetscMPIInt r = 0; r < size; r++) counts[r] = 2 * (PetscMPIInt)heads[3 * r], offsets[r + 1] = offsets[r] + counts[r];
    PetscCall(PetscMalloc1(PetscMax(offsets[size], 1), &all));
  }
  PetscCallMPI(MPI_Gatherv(pairs_here, pairs, MPIU_INT, all, counts, offsets, MPIU_INT, 0, progress->comm));
  busy.value = progress->busy_seconds;
  busy.rank  = rank;
  PetscCallMPI(MPI_Allreduce(&busy, &slowest, 1, MPI_DOUBLE_INT, MPI_MAXLOC, progress->comm));
  if (rank == 0) {
    PetscInt dominant = heads[3 * slowest.rank + 1], permille = heads[3 * slowest.rank + 2];
    for (PetscMPIInt r = 0; r < size; r++) {
      for (PetscMPIInt j = offsets[r]; j < offsets[r + 1]; j += 2) {
        PetscInt    point = all[j];
        const char *status_name = RdStatusName(all[j + 1]);
        progress->done++;
        if (terse) {
          PetscCall(PetscPrintf(PETSC_COMM_SELF, "[%" PetscInt_FMT "/%" PetscInt_FMT "] point %" PetscInt_FMT " %s\n", progress->done, progress->total, point, status_name));
        } else {
          double elapsed = MPI_Wtime() - progress->start_time;
          double rate    = progress->done / elapsed;
          double eta     = (progress->total - progress->done) / rate;
          char   elapsed_text[32], eta_text[32], dominant_text[64] = "";
          FormatSeconds(elapsed, elapsed_text, sizeof elapsed_text);
          FormatSeconds(eta, eta_text, sizeof eta_text);
          if (dominant >= 0) PetscCall(PetscSNPrintf(dominant_text, sizeof dominant_text, ", most in %s %.0f %%", RdPhaseName(dominant), (double)permille / 10));
          PetscCall(PetscPrintf(PETSC_COMM_SELF, "[%4" PetscInt_FMT "/%" PetscInt_FMT "] point %" PetscInt_FMT " %s on rank %d; elapsed %s, %.2f points/s, ETA %s; slowest rank %d (busy %.1f s%s)\n", progress->done, progress->total, point, status_name, r, elapsed_text, rate, eta_text, slowest.rank, slowest.value, dominant_text));
        }
      }
    }
    PetscCall(PetscFree(all));
    PetscCall(PetscFree3(heads, counts, offsets));
  }
  PetscCall(PetscFree(pairs_here));
  PetscCallMPI(MPI_Bcast(&progress->done, 1, MPIU_INT, 0, progress->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdProgressRound(RdProgress *progress, PetscInt point_here, PetscInt status_here, double seconds_here, PetscBool terse)
{
  PetscFunctionBeginUser;
  PetscCall(RdProgressReport(progress, point_here >= 0 ? 1 : 0, &point_here, &status_here, seconds_here, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdProgressLoadTable(RdProgress *progress, PetscBool terse)
{
  /* per rank: busy seconds, then the seconds of every phase */
  enum { BUSY, FIRST_PHASE, COLUMNS = FIRST_PHASE + RD_NUM_PHASES };
  PetscMPIInt size, rank;
  double      mine[COLUMNS], *all = NULL;
  PetscInt   *points = NULL;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(progress->comm, &size));
  PetscCallMPI(MPI_Comm_rank(progress->comm, &rank));
  mine[BUSY] = progress->busy_seconds;
  for (int p = 0; p < RD_NUM_PHASES; p++) mine[FIRST_PHASE + p] = progress->phase_seconds[p];
  if (rank == 0) PetscCall(PetscMalloc2(COLUMNS * size, &all, size, &points));
  PetscCallMPI(MPI_Gather(mine, COLUMNS, MPI_DOUBLE, all, COLUMNS, MPI_DOUBLE, 0, progress->comm));
  PetscCallMPI(MPI_Gather(&progress->my_points, 1, MPIU_INT, points, 1, MPIU_INT, 0, progress->comm));
  if (rank == 0 && !terse) {
    double max_busy = 0, total_busy = 0;
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nLoad per rank (seconds; the round phases are the time the collective rounds cost):\n  rank  points  busy_s"));
    for (int p = 0; p < RD_NUM_PHASES; p++)
      if (rd_phase_specs[p].kind == RD_PHASE_ROUND) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %13s", rd_phase_specs[p].name));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "\n"));
    for (PetscMPIInt r = 0; r < size; r++) {
      const double *row = all + (size_t)COLUMNS * r;
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %4d  %6" PetscInt_FMT "  %7.2f", r, points[r], row[BUSY]));
      for (int p = 0; p < RD_NUM_PHASES; p++)
        if (rd_phase_specs[p].kind == RD_PHASE_ROUND) PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %13.3f", row[FIRST_PHASE + p]));
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "\n"));
      max_busy = PetscMax(max_busy, row[BUSY]);
      total_busy += row[BUSY];
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "  measured imbalance (max/mean busy): %.2f\n", total_busy > 0 ? max_busy / (total_busy / size) : 1.0));
  }
  if (rank == 0) PetscCall(PetscFree2(all, points));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdVoteStart(MPI_Comm comm, const int local[RD_VOTE_SIZE], RdVote *vote)
{
  PetscFunctionBeginUser;
  PetscCheck(!vote->active, comm, PETSC_ERR_ARG_WRONGSTATE, "A vote is already under way");
  for (int i = 0; i < RD_VOTE_SIZE; i++) vote->local[i] = local[i];
  PetscCallMPI(MPI_Iallreduce(vote->local, vote->result, RD_VOTE_SIZE, MPI_INT, MPI_MAX, comm, &vote->request));
  vote->active = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdVoteTest(RdVote *vote, PetscBool *complete)
{
  int flag;

  PetscFunctionBeginUser;
  PetscCheck(vote->active, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "No vote is under way");
  PetscCallMPI(MPI_Test(&vote->request, &flag, MPI_STATUS_IGNORE));
  *complete = flag ? PETSC_TRUE : PETSC_FALSE;
  if (flag) vote->active = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdVoteWait(RdVote *vote)
{
  PetscFunctionBeginUser;
  PetscCheck(vote->active, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "No vote is under way");
  PetscCallMPI(MPI_Wait(&vote->request, MPI_STATUS_IGNORE));
  vote->active = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdWaitForAllRanks(MPI_Comm comm)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdBroadcastText(MPI_Comm comm, char *text, size_t size)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(text, (PetscMPIInt)size, MPI_CHAR, 0, comm));
  text[size - 1] = '\0';
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdBroadcastInts(MPI_Comm comm, PetscInt *values, PetscInt n)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(values, (PetscMPIInt)n, MPIU_INT, 0, comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAnyRank(MPI_Comm comm, PetscBool local, PetscBool *any)
{
  int mine = local ? 1 : 0, all;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MAX, comm));
  *any = all ? PETSC_TRUE : PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTicketCounterCreate(MPI_Comm comm, RdTicketCounter *counter)
{
  PetscMPIInt rank;
  long       *base;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(comm, &rank));
  PetscCallMPI(MPI_Win_allocate(rank == 0 ? (MPI_Aint)sizeof(long) : 0, (int)sizeof(long), MPI_INFO_NULL, comm, &base, &counter->win));
  if (rank == 0) *base = 0;
  /* every rank's epoch on the whole window for the counter's life; the barrier orders rank 0's
   * zero before anybody's first fetch */
  PetscCallMPI(MPI_Win_lock_all(0, counter->win));
  if (rank == 0) PetscCallMPI(MPI_Win_sync(counter->win));
  PetscCallMPI(MPI_Barrier(comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TicketFetch(RdTicketCounter *counter, long add, MPI_Op op, PetscInt *value)
{
  long old;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Fetch_and_op(&add, &old, MPI_LONG, 0, 0, op, counter->win));
  PetscCallMPI(MPI_Win_flush(0, counter->win));
  *value = (PetscInt)old;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTicketCounterNext(RdTicketCounter *counter, PetscInt *ticket)
{
  PetscFunctionBeginUser;
  PetscCall(TicketFetch(counter, 1, MPI_SUM, ticket));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTicketCounterPeek(RdTicketCounter *counter, PetscInt *taken)
{
  PetscFunctionBeginUser;
  PetscCall(TicketFetch(counter, 0, MPI_NO_OP, taken));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTicketCounterDestroy(RdTicketCounter *counter)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Win_unlock_all(counter->win));
  PetscCallMPI(MPI_Win_free(&counter->win));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRanksOnNode(MPI_Comm comm, PetscInt *ranks_on_node)
{
  MPI_Comm    node;
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_split_type(comm, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node));
  PetscCallMPI(MPI_Comm_size(node, &size));
  PetscCallMPI(MPI_Comm_free(&node));
  *ranks_on_node = size;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdCheckSlurmTasks(MPI_Comm comm)
{
  const char *step_tasks = getenv("SLURM_STEP_NUM_TASKS");
  PetscMPIInt size;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  /* only a direct srun launch: mpirun inside an allocation sets OMPI_COMM_WORLD_SIZE and runs its
   * own daemons as the Slurm step, whose task count is not the MPI size */
  if (step_tasks && getenv("SLURM_PROCID") && !getenv("OMPI_COMM_WORLD_SIZE")) {
    long expected = strtol(step_tasks, NULL, 10);
    PetscCheck(expected == size, comm, PETSC_ERR_USER_INPUT, "MPI started %d rank(s) but Slurm launched %ld tasks (SLURM_STEP_NUM_TASKS): every task is a singleton, so the PMI does not match. Launch with srun --mpi=pmix (Open MPI) or mpirun", size, expected);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
