/* Every MPI communication of repdrift outside HDF5's own MPI-IO lives behind this header (one
 * file, src/parallel.c, as in CoMD's parallel.c): the per-round progress reduction and the final
 * load table, broadcasts from rank 0, the any-rank vote (signals), the number of ranks per node
 * (memory check), the Slurm task-count check and the dynamic schedule's ticket counter. Every
 * function but RdProgressStart and the counter's one-sided calls is collective over comm. Nothing
 * here touches a random stream or a computed value: results do not depend on the number of
 * ranks. */
#ifndef REPDRIFT_PARALLEL_H
#define REPDRIFT_PARALLEL_H

#include <repdrift/common.h>
#include <repdrift/phases.h>

/* Progress bookkeeping of a sweep (one entry per rank, updated collectively once per round). */
typedef struct {
  MPI_Comm  comm;
  PetscInt  total, done;
  double    start_time;
  double    busy_seconds; /* this rank's seconds spent computing points */
  PetscInt  my_points;
  double    phase_seconds[RD_NUM_PHASES]; /* this rank's seconds per phase (RdProgressAddPhases) */
} RdProgress;

/* Local: starts the clock (MPI_Wtime) and zeroes the counts. */
PetscErrorCode RdProgressStart(MPI_Comm comm, PetscInt total, RdProgress *progress);
/* Collective: every rank reports the point it finished this round (-1 for none), its status
 * and its seconds; rank 0 prints one line per finished point. */
PetscErrorCode RdProgressRound(RdProgress *progress, PetscInt point_here, PetscInt status_here, double seconds_here, PetscBool terse);
/* Collective: the same for n_here points of this rank (any number, 0 included; ranks differ) and
 * the busy seconds they took; rank 0 prints one line per point, rank by rank. */
PetscErrorCode RdProgressReport(RdProgress *progress, PetscInt n_here, const PetscInt points_here[], const PetscInt status_here[], double seconds_here, PetscBool terse);
/* Local: adds seconds per phase (RdPhasesTake) to this rank's totals: the progress line names the
 * phase that dominates the slowest rank's time, the load table shows the round phases. */
PetscErrorCode RdProgressAddPhases(RdProgress *progress, const double seconds[RD_NUM_PHASES]);
/* Collective: per-rank load table (points, busy seconds, and the seconds of the round phases:
 * waiting for the write round, writing, progress), printed by rank 0. */
PetscErrorCode RdProgressLoadTable(RdProgress *progress, PetscBool terse);
/* A non-blocking vote: every rank contributes RD_VOTE_SIZE integers, every rank learns their
 * maxima (MPI_Iallreduce), without waiting for the others to contribute. */
#define RD_VOTE_SIZE 3
typedef struct {
  MPI_Request request;
  int         local[RD_VOTE_SIZE], result[RD_VOTE_SIZE];
  PetscBool   active; /* started, its result not yet seen */
} RdVote;
/* Collective (non-blocking): starts a vote on comm; every rank must start the same votes in the
 * same order, between the same other collectives. */
PetscErrorCode RdVoteStart(MPI_Comm comm, const int local[RD_VOTE_SIZE], RdVote *vote);
/* Local: whether every rank has voted (then vote->result holds the maxima). */
PetscErrorCode RdVoteTest(RdVote *vote, PetscBool *complete);
/* Local: waits until every rank has voted. */
PetscErrorCode RdVoteWait(RdVote *vote);
/* Collective: returns when every rank has called it (the wait before a collective write round,
 * timed as its own phase so that the write itself is timed without it). */
PetscErrorCode RdWaitForAllRanks(MPI_Comm comm);
/* Collective: rank 0's text (an error message, "" for none) to every rank. */
PetscErrorCode RdBroadcastText(MPI_Comm comm, char *text, size_t size);
/* Collective: rank 0's integers to every rank. */
PetscErrorCode RdBroadcastInts(MPI_Comm comm, PetscInt *values, PetscInt n);
/* The dynamic schedule's ticket counter: one integer in an MPI-3 window on rank 0 that every rank
 * increments with an atomic fetch-and-add (passive target: rank 0 need not be in an MPI call, which
 * matters while it computes a point for minutes). Ticket k is handed out exactly once, so the
 * ranks between them take every ticket 0, 1, 2, ... once, whatever their number and speed. */
typedef struct {
  MPI_Win win; /* one long on rank 0, none elsewhere */
} RdTicketCounter;
/* Collective: the counter, at 0. */
PetscErrorCode RdTicketCounterCreate(MPI_Comm comm, RdTicketCounter *counter);
/* Local (one-sided): the next ticket. */
PetscErrorCode RdTicketCounterNext(RdTicketCounter *counter, PetscInt *ticket);
/* Local (one-sided): how many tickets have been handed out so far, without taking one. */
PetscErrorCode RdTicketCounterPeek(RdTicketCounter *counter, PetscInt *taken);
/* Collective. */
PetscErrorCode RdTicketCounterDestroy(RdTicketCounter *counter);
/* Collective: true on every rank when it is true on any rank (e.g. a signal arrived). */
PetscErrorCode RdAnyRank(MPI_Comm comm, PetscBool local, PetscBool *any);
/* Collective: number of ranks sharing this rank's node (memory per rank). */
PetscErrorCode RdRanksOnNode(MPI_Comm comm, PetscInt *ranks_on_node);
/* Collective: under a direct srun launch, the MPI size must equal the step's task count; a wrong PMI
 * starts N singletons instead of one N-rank job (each would write the archive alone). */
PetscErrorCode RdCheckSlurmTasks(MPI_Comm comm);

#endif
