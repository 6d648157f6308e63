/* The phase table, its PETSc log events and stages, and the exclusive per-rank phase clock
 * (include/repdrift/phases.h). */
#include <repdrift/phases.h>
#include <string.h>

const RdPhaseSpec rd_phase_specs[RD_NUM_PHASES] = {
  [RD_PHASE_SETUP]         = {"setup", RD_PHASE_COMPUTE, "building and freeing the point's task, data, network and buffers"},
  [RD_PHASE_TRAIN]         = {"train", RD_PHASE_COMPUTE, "training steps: burn-in and days (the replicas' SGD in the replica protocol)"},
  [RD_PHASE_PROBE]         = {"probe", RD_PHASE_COMPUTE, "observing the frozen weights: probe presentations, per-day loss and held-out accuracy"},
  [RD_PHASE_PCA]           = {"pca", RD_PHASE_COMPUTE, "in-class PCA of each day's probes (SLEPc)"},
  [RD_PHASE_DRIFT]         = {"drift", RD_PHASE_COMPUTE, "drift metrics between days and the split-half null"},
  [RD_PHASE_READOUT]       = {"readout", RD_PHASE_COMPUTE, "cross-day logistic readout"},
  [RD_PHASE_SIGNATURE]     = {"signature", RD_PHASE_COMPUTE, "the classifier's drift signature and its delta t = 0 null"},
  [RD_PHASE_MODULARITY]    = {"modularity", RD_PHASE_COMPUTE, "the autoencoder's kappa and the modularity measures of its code"},
  [RD_PHASE_THEORY]        = {"theory", RD_PHASE_COMPUTE, "drift theory predictions (replica protocol)"},
  [RD_PHASE_WRITE_WAIT]    = {"write_wait", RD_PHASE_ROUND, "waiting for the other ranks to reach the collective write round"},
  [RD_PHASE_ARCHIVE_WRITE] = {"archive_write", RD_PHASE_ROUND, "collective archive writes and flushes (data, timings, status)"},
  [RD_PHASE_PROGRESS_WAIT] = {"progress_wait", RD_PHASE_ROUND, "the collective progress report and interrupt vote after a write round"},
  [RD_PHASE_OTHER]         = {"other", RD_PHASE_COMPUTE, "time in no phase above (bookkeeping between phases)"},
};

#define RD_PHASE_MAX_DEPTH  16
#define RD_PHASE_MAX_STAGES 8

static struct {
  PetscBool     registered;
  PetscLogEvent event[RD_NUM_PHASES];
  double (*clock)(void);
  double   mark;                          /* when the time since was last charged */
  double   seconds[RD_NUM_PHASES];        /* charged since the last take */
  RdPhase  open[RD_PHASE_MAX_DEPTH];      /* open phases, innermost last */
  int      depth;
  PetscBool stage_open;
  int       stage_depth; /* phases open when the stage was pushed: they end after its pop */
  struct {
    char          name[64];
    PetscLogStage stage;
  } stages[RD_PHASE_MAX_STAGES];
  int n_stages;
} phases;

static double WallClock(void) { return MPI_Wtime(); }

void RdPhasesUseClock(double (*clock)(void))
{
  phases.clock = clock;
  phases.mark  = (clock ? clock : WallClock)();
}

const char *RdPhaseName(PetscInt phase)
{
  return phase >= 0 && phase < RD_NUM_PHASES ? rd_phase_specs[phase].name : NULL;
}

static PetscErrorCode Register(void)
{
  PetscClassId classid;

  PetscFunctionBeginUser;
  if (phases.registered) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscClassIdRegister("repdrift", &classid));
  for (int p = 0; p < RD_NUM_PHASES; p++) {
    char name[64];
    PetscCall(PetscSNPrintf(name, sizeof name, "rd:%s", rd_phase_specs[p].name));
    PetscCall(PetscLogEventRegister(name, classid, &phases.event[p]));
  }
  if (!phases.clock) phases.clock = WallClock;
  phases.mark       = phases.clock();
  phases.registered = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Charges the time since the mark to the innermost open phase (other when none). */
static void Charge(void)
{
  double now = phases.clock();
  phases.seconds[phases.depth ? phases.open[phases.depth - 1] : RD_PHASE_OTHER] += now - phases.mark;
  phases.mark = now;
}

PetscErrorCode RdPhaseBegin(RdPhase phase)
{
  PetscFunctionBeginUser;
  PetscCall(Register());
  PetscCheck(phase >= 0 && phase < RD_NUM_PHASES, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "No phase %d", (int)phase);
  PetscCheck(phases.depth < RD_PHASE_MAX_DEPTH, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Phases nested deeper than %d (a missing RdPhaseEnd?)", RD_PHASE_MAX_DEPTH);
  Charge();
  phases.open[phases.depth++] = phase;
  PetscCall(PetscLogEventBegin(phases.event[phase], 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPhaseEnd(RdPhase phase)
{
  PetscFunctionBeginUser;
  PetscCall(Register());
  PetscCheck(phases.depth > 0 && phases.open[phases.depth - 1] == phase, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Phase %s ended while %s is the innermost open one", RdPhaseName(phase) ? RdPhaseName(phase) : "?", phases.depth ? rd_phase_specs[phases.open[phases.depth - 1]].name : "none");
  Charge();
  phases.depth--;
  PetscCall(PetscLogEventEnd(phases.event[phase], 0, 0, 0, 0));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPhasesTake(double seconds[RD_NUM_PHASES])
{
  PetscFunctionBeginUser;
  PetscCall(Register());
  Charge();
  for (int p = 0; p < RD_NUM_PHASES; p++) {
    if (seconds) seconds[p] = phases.seconds[p];
    phases.seconds[p] = 0;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPhasesUnwind(void)
{
  PetscFunctionBeginUser;
  /* PETSc wants an event ended in the stage it began in */
  while (phases.stage_open && phases.depth > phases.stage_depth) PetscCall(RdPhaseEnd(phases.open[phases.depth - 1]));
  if (phases.stage_open) PetscCall(RdPhaseStagePop());
  while (phases.depth > 0) PetscCall(RdPhaseEnd(phases.open[phases.depth - 1]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPhaseStagePush(const char *protocol)
{
  char name[64];
  int  s;

  PetscFunctionBeginUser;
  PetscCheck(!phases.stage_open, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "A protocol stage is already open");
  PetscCall(PetscSNPrintf(name, sizeof name, "Protocol %s", protocol));
  for (s = 0; s < phases.n_stages; s++)
    if (!strcmp(phases.stages[s].name, name)) break;
  if (s == phases.n_stages) {
    PetscCheck(s < RD_PHASE_MAX_STAGES, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "More than %d protocols", RD_PHASE_MAX_STAGES);
    PetscCall(PetscStrncpy(phases.stages[s].name, name, sizeof phases.stages[s].name));
    PetscCall(PetscLogStageRegister(name, &phases.stages[s].stage));
    phases.n_stages++;
  }
  PetscCall(PetscLogStagePush(phases.stages[s].stage));
  phases.stage_open  = PETSC_TRUE;
  phases.stage_depth = phases.depth;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPhaseStagePop(void)
{
  PetscFunctionBeginUser;
  PetscCheck(phases.stage_open, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "No protocol stage is open");
  PetscCheck(phases.depth == phases.stage_depth, PETSC_COMM_SELF, PETSC_ERR_ARG_WRONGSTATE, "Protocol stage popped with phase %s still open", rd_phase_specs[phases.open[phases.depth - 1]].name);
  PetscCall(PetscLogStagePop());
  phases.stage_open = PETSC_FALSE;
  PetscFunctionReturn(PETSC_SUCCESS);
}
