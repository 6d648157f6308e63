/* The phase clock (include/repdrift/phases.h) on a scripted clock: exclusive accounting (a nested
 * phase pauses its parent), time outside every phase goes to `other`, the seconds of an interval
 * sum to its length, a take restarts the count while open phases stay open, nesting errors are
 * refused, and an unwind after an error closes every open phase. The table: unique names, every
 * phase named, the round phases are the three collective ones. */
#include <repdrift/phases.h>
#include <string.h>
#include "testing.h"

static double scripted_now = 0;
static double ScriptedClock(void) { return scripted_now; }

static PetscErrorCode TestExclusiveAccounting(void)
{
  double seconds[RD_NUM_PHASES];

  PetscFunctionBeginUser;
  scripted_now = 100;
  RdPhasesUseClock(ScriptedClock);
  PetscCall(RdPhasesTake(NULL)); /* start of the interval: t = 100 */
  scripted_now = 101;            /* 1 s in no phase */
  PetscCall(RdPhaseBegin(RD_PHASE_TRAIN));
  scripted_now = 104; /* 3 s train */
  PetscCall(RdPhaseBegin(RD_PHASE_PROBE));
  scripted_now = 106; /* 2 s probe inside train: not train's */
  PetscCall(RdPhaseEnd(RD_PHASE_PROBE));
  scripted_now = 106.5; /* 0.5 s train again */
  PetscCall(RdPhaseEnd(RD_PHASE_TRAIN));
  PetscCall(RdPhaseBegin(RD_PHASE_WRITE_WAIT));
  scripted_now = 110; /* 3.5 s waiting, still open at the take */
  PetscCall(RdPhasesTake(seconds));
  RD_CHECK_CLOSE(seconds[RD_PHASE_OTHER], 1.0, 1e-12, "time in no phase is other");
  RD_CHECK_CLOSE(seconds[RD_PHASE_TRAIN], 3.5, 1e-12, "train without its nested probe");
  RD_CHECK_CLOSE(seconds[RD_PHASE_PROBE], 2.0, 1e-12, "nested probe");
  RD_CHECK_CLOSE(seconds[RD_PHASE_WRITE_WAIT], 3.5, 1e-12, "open phase charged up to the take");
  double total = 0;
  for (int p = 0; p < RD_NUM_PHASES; p++) total += seconds[p];
  RD_CHECK_CLOSE(total, 10.0, 1e-12, "phases sum to the interval 100 -> 110");
  /* the open phase keeps charging after the take; the count restarted there */
  scripted_now = 112;
  PetscCall(RdPhaseEnd(RD_PHASE_WRITE_WAIT));
  scripted_now = 112.25;
  PetscCall(RdPhasesTake(seconds));
  RD_CHECK_CLOSE(seconds[RD_PHASE_WRITE_WAIT], 2.0, 1e-12, "second interval: the open phase from the take on");
  RD_CHECK_CLOSE(seconds[RD_PHASE_TRAIN], 0.0, 0, "second interval: nothing left of the first");
  RD_CHECK_CLOSE(seconds[RD_PHASE_OTHER], 0.25, 1e-12, "second interval: other after the end");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestNestingErrorsAndUnwind(void)
{
  double         seconds[RD_NUM_PHASES];
  PetscErrorCode code;

  PetscFunctionBeginUser;
  scripted_now = 0;
  PetscCall(RdPhasesTake(NULL));
  PetscCall(RdPhaseBegin(RD_PHASE_TRAIN));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  code = RdPhaseEnd(RD_PHASE_PROBE);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(code == PETSC_ERR_ARG_WRONGSTATE, "ending a phase that is not the innermost open one is refused (got %d)", (int)code);
  /* an error inside a point left pca and the protocol stage open (train was open before the
   * stage: PETSc wants each event ended in the stage it began in) */
  PetscCall(RdPhaseStagePush("test"));
  PetscCall(RdPhaseBegin(RD_PHASE_PCA));
  scripted_now = 4;
  PetscCall(RdPhasesUnwind());
  scripted_now = 5;
  PetscCall(RdPhasesTake(seconds));
  RD_CHECK_CLOSE(seconds[RD_PHASE_PCA], 4.0, 1e-12, "unwind charges the innermost phase up to now");
  RD_CHECK_CLOSE(seconds[RD_PHASE_OTHER], 1.0, 1e-12, "after the unwind no phase is open");
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  code = RdPhaseStagePop();
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(code == PETSC_ERR_ARG_WRONGSTATE, "the unwind popped the stage too (got %d)", (int)code);
  /* the stage can be pushed again, by the same name */
  PetscCall(RdPhaseStagePush("test"));
  PetscCall(RdPhaseStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestTable(void)
{
  int rounds = 0;

  PetscFunctionBeginUser;
  for (int p = 0; p < RD_NUM_PHASES; p++) {
    RD_CHECK(rd_phase_specs[p].name && rd_phase_specs[p].name[0] && rd_phase_specs[p].description && rd_phase_specs[p].description[0], "phase %d has a name and a description", p);
    RD_CHECK(RdPhaseName(p) == rd_phase_specs[p].name, "RdPhaseName(%d) is the table's name", p);
    for (int q = 0; q < p; q++) RD_CHECK(strcmp(rd_phase_specs[p].name, rd_phase_specs[q].name) != 0, "phase names %d and %d differ", p, q);
    rounds += rd_phase_specs[p].kind == RD_PHASE_ROUND;
  }
  RD_CHECK(rounds == 3 && rd_phase_specs[RD_PHASE_WRITE_WAIT].kind == RD_PHASE_ROUND && rd_phase_specs[RD_PHASE_ARCHIVE_WRITE].kind == RD_PHASE_ROUND && rd_phase_specs[RD_PHASE_PROGRESS_WAIT].kind == RD_PHASE_ROUND, "the round phases are write_wait, archive_write, progress_wait");
  RD_CHECK(RdPhaseName(-1) == NULL && RdPhaseName(RD_NUM_PHASES) == NULL, "no name outside the table");
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestExclusiveAccounting());
  PetscCall(TestNestingErrorsAndUnwind());
  PetscCall(TestTable());
  RdPhasesUseClock(NULL);
  int code = RdTestSummary("test_phases");
  PetscCall(PetscFinalize());
  return code;
}
