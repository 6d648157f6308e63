/* Sweep flattening order and the owner plan, against hand-computed answers. The planning module is
 * pure (its collectives are in parallel.c): this test never initialises PETSc or MPI, so the
 * planner runs here with no communicator at all. Errors come back as codes. */
#include <repdrift/sweep.h>
#include "testing.h"

/* A planning call that must succeed: a failure is a failed check, not an abort. */
#define MUST(call) RD_CHECK((call) == PETSC_SUCCESS, "%s failed", #call)

static void TestFlattening(void)
{
  RdSweepAxes axes = {0};
  axes.n_frequency = 2, axes.frequency[0] = 0.1, axes.frequency[1] = 0.5;
  axes.n_noise_type = 1, axes.noise_type[0] = 1;
  axes.n_noise_level = 3, axes.noise_level[0] = 0, axes.noise_level[1] = 0.2, axes.noise_level[2] = 0.4;
  axes.n_width = 2, axes.width[0] = 16, axes.width[1] = 64;
  axes.n_lr = 1, axes.lr[0] = 0.02;
  axes.n_seeds = 5;
  RD_CHECK(RdSweepNumPoints(&axes) == 60, "2 x 3 x 2 x 5 = 60 points, got %d", (int)RdSweepNumPoints(&axes));
  RD_CHECK(RdSweepMaxWidth(&axes) == 64, "max width 64");

  /* documented order: (((f * n_noise + q) * n_width + w) * n_lr + l) * n_seeds + replicate */
  RdPoint point;
  MUST(RdSweepGetPoint(&axes, ((1 * 3 + 2) * 2 + 0) * 5 + 3, &point));
  RD_CHECK(point.frequency == 0.5 && point.noise_level == 0.4 && point.width == 16 && point.replicate == 3, "point 53 = (f 0.5, q 0.4, m 16, seed 3), got (%g, %g, %d, %d)", point.frequency, point.noise_level, (int)point.width, (int)point.replicate);
  int visited[60] = {0}, in_order = 1;
  for (PetscInt p = 0; p < 60; p++) {
    MUST(RdSweepGetPoint(&axes, p, &point));
    PetscInt back = ((point.i_frequency * 3 + point.i_noise_level) * 2 + point.i_width) * 5 + point.replicate;
    in_order &= back == p;
    visited[back]++;
  }
  int all_once = 1;
  for (int p = 0; p < 60; p++) all_once &= visited[p] == 1;
  RD_CHECK(in_order && all_once, "flattening is a bijection in the documented order");
}

/* The noise-type axis sits between frequency and level; without a level axis every type runs at
 * its own level. */
static void TestNoiseTypeAxis(void)
{
  RdSweepAxes axes = {0};
  RdPoint     point;
  axes.n_frequency = 2, axes.frequency[0] = 0.1, axes.frequency[1] = 0.5;
  axes.n_noise_type = 3, axes.noise_type[0] = 1, axes.noise_type[1] = 3, axes.noise_type[2] = 5;
  axes.n_noise_level = 2, axes.noise_level[0] = 0.25, axes.noise_level[1] = 0.75;
  axes.n_width = 1, axes.width[0] = 8;
  axes.n_lr = 1, axes.lr[0] = 0.01;
  axes.n_seeds = 2;
  RD_CHECK(RdSweepNumPoints(&axes) == 24, "2 x 3 x 2 x 2 = 24 points, got %d", (int)RdSweepNumPoints(&axes));
  /* ((f 1 * 3 + type 2) * 2 + level 1) * 2 + seed 0 = 22 */
  MUST(RdSweepGetPoint(&axes, 22, &point));
  RD_CHECK(point.frequency == 0.5 && point.noise_type == 5 && point.noise_level == 0.75 && point.replicate == 0, "point 22 = (f 0.5, type 5, level 0.75, seed 0), got (%g, %d, %g, %d)", point.frequency, (int)point.noise_type, point.noise_level, (int)point.replicate);
  axes.n_noise_level = 1, axes.noise_level_per_type = PETSC_TRUE;
  axes.noise_level_of_type[1] = 0.5, axes.noise_level_of_type[3] = 0.1, axes.noise_level_of_type[5] = 3.0;
  MUST(RdSweepGetPoint(&axes, (0 * 3 + 1) * 2 + 1, &point));
  RD_CHECK(point.noise_type == 3 && point.noise_level == 0.1 && point.replicate == 1, "per-type level: type 3 runs at 0.1, got type %d level %g", (int)point.noise_type, point.noise_level);
}

static void TestPlanKnownAnswer(void)
{
  /* LPT on costs (3, 5, 3, 4, 3) over 2 ranks: 5 -> r0, 4 -> r1, 3 (point 0) -> r1 (4 < 5),
   * 3 (point 2) -> r0 (5 < 7), 3 (point 4) -> r1 (7 < 8). Loads 8 and 10, imbalance 10/9. */
  const PetscReal cost[5] = {3, 5, 3, 4, 3};
  RdPlan          plan;
  MUST(RdPlanCreate(5, cost, 2, &plan));
  const PetscInt expected_owner[5] = {1, 0, 0, 1, 1};
  for (int p = 0; p < 5; p++) RD_CHECK(plan.owner[p] == expected_owner[p], "owner of point %d: got %d expected %d", p, (int)plan.owner[p], (int)expected_owner[p]);
  RD_CHECK_CLOSE(plan.rank_load[0], 8, 0, "rank 0 load");
  RD_CHECK_CLOSE(plan.rank_load[1], 10, 0, "rank 1 load");
  RD_CHECK_CLOSE(plan.imbalance, 10.0 / 9.0, 1e-15, "imbalance max/mean");
  RD_CHECK(plan.n_rounds == 3, "rounds = most points on a rank = 3, got %d", (int)plan.n_rounds);
  RD_CHECK(RdPlanPointOf(&plan, 1, 0) == 0 && RdPlanPointOf(&plan, 1, 1) == 3 && RdPlanPointOf(&plan, 1, 2) == 4, "rank 1 runs points 0, 3, 4 in index order");
  RD_CHECK(RdPlanPointOf(&plan, 0, 2) == -1, "rank 0 has no third point");
  /* the dynamic schedule's queue: largest cost first, equal costs by index */
  const PetscInt expected_queue[5] = {1, 3, 0, 2, 4};
  for (int i = 0; i < 5; i++) RD_CHECK(plan.queue[i] == expected_queue[i], "queue position %d: got point %d expected %d", i, (int)plan.queue[i], (int)expected_queue[i]);
  const PetscInt global[5] = {10, 11, 12, 13, 14};
  MUST(RdPlanRenamePoints(&plan, global));
  RD_CHECK(plan.queue[0] == 11 && plan.queue[4] == 14 && RdPlanPointOf(&plan, 1, 1) == 13, "renaming maps the queue and the ranks' points to global indices");
  MUST(RdPlanDestroy(&plan));
}

static void TestPlanMoreRanksThanPoints(void)
{
  const PetscReal cost[2] = {1, 1};
  RdPlan          plan;
  MUST(RdPlanCreate(2, cost, 3, &plan));
  RD_CHECK(plan.owner[0] == 0 && plan.owner[1] == 1, "two equal points go to ranks 0 and 1");
  RD_CHECK(RdPlanPointOf(&plan, 2, 0) == -1, "rank 2 owns no point");
  RD_CHECK(plan.n_rounds == 1, "one round");
  MUST(RdPlanDestroy(&plan));
}

/* Every point owned exactly once, and LPT's guarantee: max load <= 4/3 OPT <= 4/3 max(mean, max cost)
 * ... checked in its weaker computable form max load <= mean + max cost. */
static void TestPlanInvariants(void)
{
  enum { n = 97 };
  PetscReal cost[n];
  for (int p = 0; p < n; p++) cost[p] = 1 + (p * 37 % 11) * (p % 3 == 0 ? 10 : 1);
  for (PetscInt ranks = 1; ranks <= 7; ranks++) {
    RdPlan plan;
    MUST(RdPlanCreate(n, cost, ranks, &plan));
    int       owned[n] = {0};
    PetscReal total = 0, max_cost = 0, max_load = 0;
    for (PetscInt r = 0; r < ranks; r++)
      for (PetscInt round = 0; round < plan.n_rounds; round++) {
        PetscInt p = RdPlanPointOf(&plan, r, round);
        if (p >= 0) owned[p]++;
      }
    int once = 1;
    for (int p = 0; p < n; p++) {
      once &= owned[p] == 1;
      total += cost[p];
      max_cost = PetscMax(max_cost, cost[p]);
    }
    for (PetscInt r = 0; r < ranks; r++) max_load = PetscMax(max_load, plan.rank_load[r]);
    RD_CHECK(once, "%d ranks: every point owned exactly once", (int)ranks);
    RD_CHECK(max_load <= total / ranks + max_cost + 1e-9, "%d ranks: greedy bound max load %g <= mean %g + max cost %g", (int)ranks, max_load, total / ranks, max_cost);
    MUST(RdPlanDestroy(&plan));
  }
}

/* Equal costs: LPT ties go to the lowest point index, then the least-loaded lowest rank, so four
 * equal points on two ranks alternate 0, 1, 0, 1. Renaming maps plan points to global indices
 * (e.g. the unfinished points of a -resume) without moving them between ranks. */
static void TestPlanTiesAndRenaming(void)
{
  const PetscReal cost[4]   = {2, 2, 2, 2};
  const PetscInt  global[4] = {3, 8, 10, 41};
  RdPlan          plan;
  MUST(RdPlanCreate(4, cost, 2, &plan));
  RD_CHECK(plan.owner[0] == 0 && plan.owner[1] == 1 && plan.owner[2] == 0 && plan.owner[3] == 1, "equal costs alternate ranks 0 1 0 1, got %d %d %d %d", (int)plan.owner[0], (int)plan.owner[1], (int)plan.owner[2], (int)plan.owner[3]);
  RD_CHECK(plan.imbalance == 1.0 && plan.n_rounds == 2, "equal costs: imbalance 1, two rounds");
  MUST(RdPlanRenamePoints(&plan, global));
  RD_CHECK(RdPlanPointOf(&plan, 0, 0) == 3 && RdPlanPointOf(&plan, 0, 1) == 10 && RdPlanPointOf(&plan, 1, 0) == 8 && RdPlanPointOf(&plan, 1, 1) == 41, "renamed: rank 0 runs 3, 10; rank 1 runs 8, 41");
  RD_CHECK(RdPlanPointOf(&plan, 2, 0) == -1 && RdPlanPointOf(&plan, -1, 0) == -1, "ranks outside the plan own nothing");
  MUST(RdPlanDestroy(&plan));
}

/* Refusals come back as error codes: a plan needs a rank, a point index must be in the sweep. */
static void TestRefusals(void)
{
  const PetscReal cost[1] = {1};
  RdPlan          plan;
  RdSweepAxes     axes = {0};
  RdPoint         point;
  axes.n_frequency = axes.n_noise_type = axes.n_noise_level = axes.n_width = axes.n_lr = axes.n_seeds = 1;
  RD_CHECK(RdPlanCreate(1, cost, 0, &plan) == PETSC_ERR_ARG_OUTOFRANGE, "a plan over 0 ranks is refused");
  RD_CHECK(RdSweepGetPoint(&axes, 1, &point) == PETSC_ERR_ARG_OUTOFRANGE, "point 1 of a 1-point sweep is refused");
  RD_CHECK(RdSweepGetPoint(&axes, -1, &point) == PETSC_ERR_ARG_OUTOFRANGE, "point -1 is refused");
}

int main(void)
{
  TestFlattening();
  TestNoiseTypeAxis();
  TestPlanKnownAnswer();
  TestPlanMoreRanksThanPoints();
  TestPlanInvariants();
  TestPlanTiesAndRenaming();
  TestRefusals();
  return RdTestSummary("test_sweep");
}
