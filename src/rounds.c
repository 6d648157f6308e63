/* The write scheme: finished points written in collective rounds agreed by non-blocking votes at
 * safe points (include/repdrift/rounds.h). The MPI calls are parallel.c's, the HDF5 calls
 * archive.c's. */
#include <repdrift/rounds.h>
#include <repdrift/claim.h>
#include <repdrift/phases.h>
#include <repdrift/signals.h>

struct _n_RdRounds {
  MPI_Comm       comm;
  const RdDims  *dims;
  RdArchive      archive;
  RdProgress    *progress;
  PetscBool      terse;
  PetscInt       capacity;  /* result buffers */
  RdPointResult *buffers;   /* [capacity] */
  RdPointResult **slot;     /* [capacity]: finished ones first (in finishing order), then free ones */
  PetscInt       n_pending; /* finished, not yet written */
  PetscInt       n_voted;   /* of them, the first n_voted are in the vote under way */
  PetscBool      computing; /* slot[n_pending] is the buffer of a point being computed */
  RdVote         vote;
  PetscBool      stopping, finished, in_round;
  double         last_round, interval, min_interval;
};

static RdRounds active; /* the scheme RdRoundsSafePoint polls */

/* Busy (compute) seconds of a finished point: its phases that are not collective rounds. */
static double BusySeconds(const RdPointResult *result)
{
  double busy = 0;
  if (!result->values[RD_FIELD_SWEEP_PHASE_SECONDS]) return result->values[RD_FIELD_SWEEP_WALL_SECONDS][0];
  for (int p = 0; p < RD_NUM_PHASES; p++)
    if (rd_phase_specs[p].kind == RD_PHASE_COMPUTE) busy += result->values[RD_FIELD_SWEEP_PHASE_SECONDS][p];
  return busy;
}

PetscErrorCode RdRoundsCreate(MPI_Comm comm, const RdDims *dims, const RdSchemaSelection *selection, PetscInt max_pending, double min_interval, RdArchive archive, RdProgress *progress, PetscBool terse, RdRounds *rounds_out)
{
  RdRounds rounds;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&rounds));
  rounds->comm     = comm;
  rounds->dims     = dims;
  rounds->archive  = archive;
  rounds->progress = progress;
  rounds->terse    = terse;
  rounds->capacity = PetscMax(max_pending, 1) + 1; /* + the point being computed */
  PetscCall(PetscCalloc2(rounds->capacity, &rounds->buffers, rounds->capacity, &rounds->slot));
  for (PetscInt i = 0; i < rounds->capacity; i++) {
    PetscCall(RdPointResultCreate(dims, selection, &rounds->buffers[i]));
    rounds->slot[i] = &rounds->buffers[i];
  }
  rounds->min_interval = min_interval;
  rounds->interval   = min_interval;
  rounds->last_round = MPI_Wtime();
  active             = rounds;
  *rounds_out        = rounds;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Whether this rank should stop after its current point: a signal, or its launcher is gone (an
 * orphan must not write on, claim.h). */
static int Stop(void) { return RdSignalReceived() != 0 || RdLauncherGone(); }

static PetscErrorCode Vote(RdRounds rounds, PetscBool out_of_work)
{
  int local[RD_VOTE_SIZE];

  PetscFunctionBeginUser;
  rounds->n_voted = rounds->n_pending;
  local[0]        = (int)rounds->n_voted;    /* points to write */
  local[1]        = Stop();                  /* stop */
  local[2]        = out_of_work ? 0 : 1;     /* work left */
  PetscCall(RdVoteStart(rounds->comm, local, &rounds->vote));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every rank, once the vote is complete: the write round when some rank has points. */
static PetscErrorCode Round(RdRounds rounds)
{
  const int      most_points = rounds->vote.result[0], stop = rounds->vote.result[1], work_left = rounds->vote.result[2];
  const PetscInt n           = rounds->n_voted;

  PetscFunctionBeginUser;
  rounds->in_round = PETSC_TRUE;
  if (most_points > 0) {
    const RdPointResult *const *written = (const RdPointResult *const *)rounds->slot;
    PetscInt                   *point_list, *status_list;
    double                      start, busy = 0;

    PetscCall(RdPhaseBegin(RD_PHASE_WRITE_WAIT));
    PetscCall(RdWaitForAllRanks(rounds->comm));
    PetscCall(RdPhaseEnd(RD_PHASE_WRITE_WAIT));
    start = MPI_Wtime(); /* the round's own cost, without the wait: it sets the write interval */
    PetscCall(RdArchiveWriteData(rounds->archive, n, written));
    PetscCall(RdArchiveWriteStatus(rounds->archive, n, written));
    PetscCall(RdPhaseBegin(RD_PHASE_PROGRESS_WAIT));
    PetscCall(PetscMalloc2(PetscMax(n, 1), &point_list, PetscMax(n, 1), &status_list));
    for (PetscInt j = 0; j < n; j++) {
      point_list[j]  = written[j]->point;
      status_list[j] = (PetscInt)written[j]->values[RD_FIELD_SWEEP_STATUS][0];
      busy += BusySeconds(written[j]);
    }
    PetscCall(RdProgressReport(rounds->progress, n, point_list, status_list, busy, rounds->terse));
    PetscCall(PetscFree2(point_list, status_list));
    PetscCall(RdPhaseEnd(RD_PHASE_PROGRESS_WAIT));
    /* the written buffers become free: move them behind the ones still pending or in use */
    for (PetscInt j = 0; j < n; j++) {
      RdPointResult *free_buffer = rounds->slot[0];
      for (PetscInt i = 0; i + 1 < rounds->capacity; i++) rounds->slot[i] = rounds->slot[i + 1];
      rounds->slot[rounds->capacity - 1] = free_buffer;
    }
    rounds->n_pending -= n;
    rounds->interval = rounds->min_interval > 0 ? PetscMax(rounds->min_interval, RD_ROUNDS_COST_FACTOR * (MPI_Wtime() - start)) : 0;
  }
  rounds->n_voted = 0;
  if (stop) rounds->stopping = PETSC_TRUE;
  if (!most_points && !work_left) rounds->finished = PETSC_TRUE;
  rounds->last_round = MPI_Wtime();
  rounds->in_round   = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Joins a vote when due, and holds the round once the vote is complete. */
static PetscErrorCode Poll(RdRounds rounds, PetscBool out_of_work)
{
  PetscBool complete;

  PetscFunctionBeginUser;
  if (rounds->in_round || rounds->finished) PetscFunctionReturn(PETSC_SUCCESS);
  if (!rounds->vote.active) {
    PetscBool due = MPI_Wtime() - rounds->last_round >= rounds->interval;
    if (due || out_of_work || Stop() || rounds->n_pending + 1 >= rounds->capacity) PetscCall(Vote(rounds, out_of_work));
    else PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(RdVoteTest(&rounds->vote, &complete));
  if (complete) PetscCall(Round(rounds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Waits (write_wait) for the vote under way, or a new one, and holds its round. */
static PetscErrorCode WaitForRound(RdRounds rounds, PetscBool out_of_work)
{
  PetscFunctionBeginUser;
  if (!rounds->vote.active) PetscCall(Vote(rounds, out_of_work));
  PetscCall(RdPhaseBegin(RD_PHASE_WRITE_WAIT));
  PetscCall(RdVoteWait(&rounds->vote));
  PetscCall(RdPhaseEnd(RD_PHASE_WRITE_WAIT));
  PetscCall(Round(rounds));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRoundsNextResult(RdRounds rounds, RdPointResult **result)
{
  PetscFunctionBeginUser;
  while (rounds->n_pending >= rounds->capacity) PetscCall(WaitForRound(rounds, PETSC_FALSE));
  PetscCall(RdPointResultReset(rounds->dims, rounds->slot[rounds->n_pending]));
  rounds->computing = PETSC_TRUE;
  *result           = rounds->slot[rounds->n_pending];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRoundsFinished(RdRounds rounds)
{
  PetscFunctionBeginUser;
  PetscCheck(rounds->computing, rounds->comm, PETSC_ERR_ARG_WRONGSTATE, "No point is being computed");
  rounds->computing = PETSC_FALSE;
  rounds->n_pending++;
  PetscCall(Poll(rounds, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRoundsSafePoint(void)
{
  PetscFunctionBeginUser;
  if (active) PetscCall(Poll(active, PETSC_FALSE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool RdRoundsStopping(RdRounds rounds) { return rounds->stopping; }

PetscBool RdRoundsBroken(RdRounds rounds) { return rounds->in_round; }

PetscErrorCode RdRoundsDrain(RdRounds rounds)
{
  PetscFunctionBeginUser;
  /* a vote joined while there was work left completes first; the next ones say there is none */
  while (!rounds->finished) PetscCall(WaitForRound(rounds, PETSC_TRUE));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRoundsDestroy(RdRounds *rounds)
{
  PetscFunctionBeginUser;
  if (!*rounds) PetscFunctionReturn(PETSC_SUCCESS);
  if (active == *rounds) active = NULL;
  for (PetscInt i = 0; i < (*rounds)->capacity; i++) PetscCall(RdPointResultDestroy(&(*rounds)->buffers[i]));
  PetscCall(PetscFree2((*rounds)->buffers, (*rounds)->slot));
  PetscCall(PetscFree(*rounds));
  PetscFunctionReturn(PETSC_SUCCESS);
}
