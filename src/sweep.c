/* Sweep axes and point flattening, and the cost-balanced owner plan (longest processing time
 * first). Pure planning: no MPI (the collectives are in parallel.c), so every rank computes the
 * same plan from the same costs and the planner is tested without a communicator. */
#include <repdrift/sweep.h>

PetscInt RdSweepNumPoints(const RdSweepAxes *axes)
{
  return axes->n_frequency * axes->n_noise_type * axes->n_noise_level * axes->n_width * axes->n_lr * axes->n_seeds;
}

PetscInt RdSweepMaxWidth(const RdSweepAxes *axes)
{
  PetscInt max_width = 0;
  for (PetscInt i = 0; i < axes->n_width; i++) max_width = PetscMax(max_width, axes->width[i]);
  return max_width;
}

PetscErrorCode RdSweepGetPoint(const RdSweepAxes *axes, PetscInt index, RdPoint *point)
{
  PetscInt rest = index;

  PetscFunctionBeginUser;
  PetscCheck(index >= 0 && index < RdSweepNumPoints(axes), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Point %" PetscInt_FMT " outside the sweep of %" PetscInt_FMT " points", index, RdSweepNumPoints(axes));
  point->index     = index;
  point->replicate = rest % axes->n_seeds; /* replicate varies fastest */
  rest /= axes->n_seeds;
  point->i_lr = rest % axes->n_lr;
  rest /= axes->n_lr;
  point->i_width = rest % axes->n_width;
  rest /= axes->n_width;
  point->i_noise_level = rest % axes->n_noise_level;
  rest /= axes->n_noise_level;
  point->i_noise_type  = rest % axes->n_noise_type;
  point->i_frequency   = rest / axes->n_noise_type;
  point->frequency     = axes->frequency[point->i_frequency];
  point->noise_type    = axes->noise_type[point->i_noise_type];
  point->noise_level   = axes->noise_level_per_type ? axes->noise_level_of_type[point->noise_type] : axes->noise_level[point->i_noise_level];
  point->width         = axes->width[point->i_width];
  point->lr            = axes->lr[point->i_lr];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPlanCreate(PetscInt n_points, const PetscReal *cost, PetscInt n_ranks, RdPlan *plan)
{
  PetscInt *order, *count;

  PetscFunctionBeginUser;
  PetscCheck(n_ranks >= 1, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "A plan needs at least one rank");
  plan->n_points = n_points;
  plan->n_ranks  = n_ranks;
  PetscCall(PetscMalloc5(n_points, &plan->owner, n_ranks + 1, &plan->rank_offset, n_points, &plan->rank_points, n_ranks, &plan->rank_load, n_points, &plan->queue));
  PetscCall(PetscMalloc2(n_points, &order, n_ranks, &count));
  for (PetscInt p = 0; p < n_points; p++) order[p] = p;
  /* Longest processing time first: sort by cost descending, ties by index (insertion sort keeps
   * it simple and stable; sweeps have at most a few thousand points). */
  for (PetscInt i = 1; i < n_points; i++) {
    PetscInt p = order[i], j = i;
    while (j > 0 && cost[order[j - 1]] < cost[p]) {
      order[j] = order[j - 1];
      j--;
    }
    order[j] = p;
  }
  for (PetscInt i = 0; i < n_points; i++) plan->queue[i] = order[i];
  for (PetscInt r = 0; r < n_ranks; r++) {
    plan->rank_load[r] = 0;
    count[r]           = 0;
  }
  for (PetscInt i = 0; i < n_points; i++) {
    PetscInt p = order[i], best = 0;
    for (PetscInt r = 1; r < n_ranks; r++)
      if (plan->rank_load[r] < plan->rank_load[best]) best = r; /* lowest rank wins ties */
    plan->owner[p] = best;
    plan->rank_load[best] += cost[p];
    count[best]++;
  }
  plan->rank_offset[0] = 0;
  plan->n_rounds       = 0;
  for (PetscInt r = 0; r < n_ranks; r++) {
    plan->rank_offset[r + 1] = plan->rank_offset[r] + count[r];
    plan->n_rounds           = PetscMax(plan->n_rounds, count[r]);
    count[r]                 = 0;
  }
  /* each rank runs its points in ascending index order */
  for (PetscInt p = 0; p < n_points; p++) {
    PetscInt r = plan->owner[p];
    plan->rank_points[plan->rank_offset[r] + count[r]++] = p;
  }
  {
    PetscReal total = 0, max_load = 0;
    for (PetscInt r = 0; r < n_ranks; r++) {
      total += plan->rank_load[r];
      max_load = PetscMax(max_load, plan->rank_load[r]);
    }
    plan->imbalance = total > 0 ? max_load / (total / n_ranks) : 1.0;
  }
  PetscCall(PetscFree2(order, count));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPlanDestroy(RdPlan *plan)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree5(plan->owner, plan->rank_offset, plan->rank_points, plan->rank_load, plan->queue));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPlanRenamePoints(RdPlan *plan, const PetscInt *global_index)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < plan->n_points; i++) {
    plan->rank_points[i] = global_index[plan->rank_points[i]];
    plan->queue[i]       = global_index[plan->queue[i]];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt RdPlanPointOf(const RdPlan *plan, PetscInt rank, PetscInt round)
{
  if (rank < 0 || rank >= plan->n_ranks) return -1;
  PetscInt owned = plan->rank_offset[rank + 1] - plan->rank_offset[rank];
  return round < owned ? plan->rank_points[plan->rank_offset[rank] + round] : -1;
}
