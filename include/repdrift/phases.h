/* Where a sweep's time goes: the phases of a point (training, probes, PCA, drift, readout, the
 * models' own analyses) and of the collective rounds (waiting for the other ranks, writing the
 * archive, the progress report), declared once as data (rd_phase_specs). Every phase is
 *   - a PETSc log event "rd:<name>" (-log_view lists them; a stage per protocol groups a point's
 *     events: "Protocol days", "Protocol replicas", ...), and
 *   - a per-rank clock: RdPhasesTake returns the seconds of every phase since the previous take,
 *     which the run stores per point in /sweep/phase_seconds [point, phase] and sums per rank for
 *     the progress line and the load table.
 * The clock is exclusive: a phase begun inside another pauses the outer one until it ends, so the
 * phases of an interval sum to its length; time inside no phase is `other`. Events nest as PETSc
 * events do (inclusive). Not collective; nothing here communicates. */
#ifndef REPDRIFT_PHASES_H
#define REPDRIFT_PHASES_H

#include <repdrift/common.h>

typedef enum {
  RD_PHASE_SETUP,
  RD_PHASE_TRAIN,
  RD_PHASE_PROBE,
  RD_PHASE_PCA,
  RD_PHASE_DRIFT,
  RD_PHASE_READOUT,
  RD_PHASE_SIGNATURE,
  RD_PHASE_MODULARITY,
  RD_PHASE_THEORY,
  RD_PHASE_WRITE_WAIT,
  RD_PHASE_ARCHIVE_WRITE,
  RD_PHASE_PROGRESS_WAIT,
  RD_PHASE_OTHER,
  RD_NUM_PHASES
} RdPhase;

/* Compute phases are a point's own work; round phases are spent in the collective rounds that
 * every rank joins (their sum per rank is what parallel efficiency loses to synchronisation). */
typedef enum { RD_PHASE_COMPUTE, RD_PHASE_ROUND } RdPhaseKind;

typedef struct {
  const char *name;        /* archive label (dimension `phase`) and PETSc event "rd:<name>" */
  RdPhaseKind kind;
  const char *description; /* README and the /phase scale's description */
} RdPhaseSpec;

extern const RdPhaseSpec rd_phase_specs[RD_NUM_PHASES];

/* The name of phase index (NULL outside 0..RD_NUM_PHASES-1): the labels of dimension `phase`. */
const char *RdPhaseName(PetscInt phase);

/* Starts charging time to phase (pausing the enclosing one) and begins its PETSc event. The
 * events are registered on first use. */
PetscErrorCode RdPhaseBegin(RdPhase phase);
/* Ends phase, which must be the innermost open one (PETSC_ERR_ARG_WRONGSTATE otherwise). */
PetscErrorCode RdPhaseEnd(RdPhase phase);
/* Seconds of every phase since the previous take (or the first use), then restarts the
 * accounting there; open phases stay open and keep charging from now on. seconds may be NULL. */
PetscErrorCode RdPhasesTake(double seconds[RD_NUM_PHASES]);
/* After an error left phases (and the protocol stage) open: ends every one of them, innermost
 * first, charging them up to now. */
PetscErrorCode RdPhasesUnwind(void);
/* Pushes the PETSc log stage "Protocol <protocol>" (registered on first use), pops it. */
PetscErrorCode RdPhaseStagePush(const char *protocol);
PetscErrorCode RdPhaseStagePop(void);
/* Test seam: the clock in seconds (NULL: MPI_Wtime, the default). */
void RdPhasesUseClock(double (*clock)(void));

#endif
