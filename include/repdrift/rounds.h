/* How finished points reach the archive without holding up the computation (the write scheme).
 *
 * Every rank computes its points one after another. A finished point waits in memory (a few of
 * them at most) for the next collective write round, and the rank goes on with its next point.
 * Rounds are agreed without blocking: at every safe point (between points, between the days of a
 * point, between the stimuli of its analysis) a rank
 *   - joins the next vote once the write interval has passed since the last round (at once when
 *     it was signalled, has no work left or no room for another point): a non-blocking
 *     MPI_Iallreduce of how many points it has to write, whether it was signalled, whether it has
 *     work left;
 *   - checks whether the vote it joined is complete. A complete vote in which no rank has points
 *     costs nothing more; otherwise every rank joins the collective write round there and then:
 *     it waits for the others to reach their next safe point (write_wait), writes the points' data
 *     collectively (parallel HDF5, one transfer per dataset for all of a rank's points), flushes,
 *     writes their timings and then their status, flushes (data durable before the status that
 *     vouches for it, as archive.h promises), and reports progress.
 * A rank therefore waits for the others' next safe point, never for the rest of their point; a
 * rank with nothing left to compute waits for the rounds (write_wait) until every rank is done.
 * After a kill -9 the points written are complete; points finished but not yet written (at most
 * one write interval's worth) are recomputed by -resume. A signal on any rank (or a rank whose
 * launcher is gone, claim.h) stops every rank after its current point; everything finished is
 * written first.
 *
 * The write interval adapts so that the rounds cost little: at least min_interval seconds
 * (-write_interval, default 1) and RD_ROUNDS_COST_FACTOR times the last round with points;
 * min_interval 0 writes every finished point at the next safe point (a vote at each). */
#ifndef REPDRIFT_ROUNDS_H
#define REPDRIFT_ROUNDS_H

#include <repdrift/archive.h>
#include <repdrift/parallel.h>
#include <repdrift/schema.h>

#define RD_ROUNDS_COST_FACTOR  20.0

typedef struct _n_RdRounds *RdRounds;

/* Local: the scheme for this rank's points (result buffers as selection, sized by dims; at most
 * max_pending finished points held, at least 1; rounds at least min_interval seconds apart).
 * Becomes the active scheme of RdRoundsSafePoint. */
PetscErrorCode RdRoundsCreate(MPI_Comm comm, const RdDims *dims, const RdSchemaSelection *selection, PetscInt max_pending, double min_interval, RdArchive archive, RdProgress *progress, PetscBool terse, RdRounds *rounds);
/* Collective (rounds): a free result buffer for the next point; when all are taken, waits for
 * rounds until one is written. */
PetscErrorCode RdRoundsNextResult(RdRounds rounds, RdPointResult **result);
/* Local: the buffer of the last RdRoundsNextResult holds a finished point (its timings filled);
 * then a safe point. */
PetscErrorCode RdRoundsFinished(RdRounds rounds);
/* Collective (rounds): a safe point of the active scheme (nothing when there is none, e.g. a
 * point run outside a sweep, or inside a round). */
PetscErrorCode RdRoundsSafePoint(void);
/* Local: whether a vote has agreed to stop (a rank was signalled): start no more points. */
PetscBool      RdRoundsStopping(RdRounds rounds);
/* Whether the last error came from inside a write round (then the collective state is lost and
 * the run must stop, rather than mark the point failed and go on). */
PetscBool      RdRoundsBroken(RdRounds rounds);
/* Collective: this rank has no more points; rounds until every rank's points are written. */
PetscErrorCode RdRoundsDrain(RdRounds rounds);
PetscErrorCode RdRoundsDestroy(RdRounds *rounds);

#endif
