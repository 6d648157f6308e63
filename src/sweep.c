/* Sweep axes and point flattening, the cost-balanced owner plan, and the MPI reductions of
 * progress and load. The only module besides the archive's MPI-IO that talks across ranks. */
#include <repdrift/sweep.h>
#include <repdrift/schema.h>

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
  PetscCall(PetscMalloc4(n_points, &plan->owner, n_ranks + 1, &plan->rank_offset, n_points, &plan->rank_points, n_ranks, &plan->rank_load));
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
  PetscCall(PetscFree4(plan->owner, plan->rank_offset, plan->rank_points, plan->rank_load));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscInt RdPlanPointOf(const RdPlan *plan, PetscInt rank, PetscInt round)
{
  if (rank < 0 || rank >= plan->n_ranks) return -1;
  PetscInt owned = plan->rank_offset[rank + 1] - plan->rank_offset[rank];
  return round < owned ? plan->rank_points[plan->rank_offset[rank] + round] : -1;
}

PetscErrorCode RdProgressStart(MPI_Comm comm, PetscInt total, RdProgress *progress)
{
  PetscFunctionBeginUser;
  progress->comm         = comm;
  progress->total        = total;
  progress->done         = 0;
  progress->busy_seconds = 0;
  progress->my_points    = 0;
  progress->start_time   = MPI_Wtime();
  PetscFunctionReturn(PETSC_SUCCESS);
}

static void FormatSeconds(double seconds, char *text, size_t size)
{
  if (seconds < 120) PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(text, size, "%.1f s", seconds));
  else if (seconds < 7200) PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(text, size, "%.1f min", seconds / 60));
  else PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(text, size, "%.1f h", seconds / 3600));
}

PetscErrorCode RdProgressRound(RdProgress *progress, PetscInt point_here, PetscInt status_here, double seconds_here, PetscBool terse)
{
  PetscMPIInt        size, rank;
  PetscInt           mine[2] = {point_here, status_here}, *all = NULL;
  struct {
    double value;
    int    rank;
  } busy, slowest;

  PetscFunctionBeginUser;
  if (point_here >= 0) progress->my_points++;
  progress->busy_seconds += seconds_here;
  PetscCallMPI(MPI_Comm_size(progress->comm, &size));
  PetscCallMPI(MPI_Comm_rank(progress->comm, &rank));
  if (rank == 0) PetscCall(PetscMalloc1(2 * size, &all));
  PetscCallMPI(MPI_Gather(mine, 2, MPIU_INT, all, 2, MPIU_INT, 0, progress->comm));
  busy.value = progress->busy_seconds;
  busy.rank  = rank;
  PetscCallMPI(MPI_Allreduce(&busy, &slowest, 1, MPI_DOUBLE_INT, MPI_MAXLOC, progress->comm));
  if (rank == 0) {
    for (PetscMPIInt r = 0; r < size; r++) {
      PetscInt    point = all[2 * r], status = all[2 * r + 1];
      const char *status_name = RdStatusName(status);
      if (point < 0) continue;
      progress->done++;
      if (terse) {
        PetscCall(PetscPrintf(PETSC_COMM_SELF, "[%" PetscInt_FMT "/%" PetscInt_FMT "] point %" PetscInt_FMT " %s\n", progress->done, progress->total, point, status_name));
      } else {
        double elapsed = MPI_Wtime() - progress->start_time;
        double rate    = progress->done / elapsed;
        double eta     = (progress->total - progress->done) / rate;
        char   elapsed_text[32], eta_text[32];
        FormatSeconds(elapsed, elapsed_text, sizeof elapsed_text);
        FormatSeconds(eta, eta_text, sizeof eta_text);
        PetscCall(PetscPrintf(PETSC_COMM_SELF, "[%4" PetscInt_FMT "/%" PetscInt_FMT "] point %" PetscInt_FMT " %s on rank %d; elapsed %s, %.2f points/s, ETA %s; slowest rank %d (busy %.1f s)\n", progress->done, progress->total, point, status_name, r, elapsed_text, rate, eta_text, slowest.rank, slowest.value));
      }
    }
    PetscCall(PetscFree(all));
  }
  PetscCallMPI(MPI_Bcast(&progress->done, 1, MPIU_INT, 0, progress->comm));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdProgressLoadTable(RdProgress *progress, PetscBool terse)
{
  PetscMPIInt size, rank;
  double     *busy   = NULL;
  PetscInt   *points = NULL;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(progress->comm, &size));
  PetscCallMPI(MPI_Comm_rank(progress->comm, &rank));
  if (rank == 0) PetscCall(PetscMalloc2(size, &busy, size, &points));
  PetscCallMPI(MPI_Gather(&progress->busy_seconds, 1, MPI_DOUBLE, busy, 1, MPI_DOUBLE, 0, progress->comm));
  PetscCallMPI(MPI_Gather(&progress->my_points, 1, MPIU_INT, points, 1, MPIU_INT, 0, progress->comm));
  if (rank == 0 && !terse) {
    double max_busy = 0, total_busy = 0;
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nLoad per rank:\n  rank  points  busy_s\n"));
    for (PetscMPIInt r = 0; r < size; r++) {
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %4d  %6" PetscInt_FMT "  %7.2f\n", r, points[r], busy[r]));
      max_busy = PetscMax(max_busy, busy[r]);
      total_busy += busy[r];
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "  measured imbalance (max/mean busy): %.2f\n", total_busy > 0 ? max_busy / (total_busy / size) : 1.0));
  }
  if (rank == 0) PetscCall(PetscFree2(busy, points));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdBroadcastText(MPI_Comm comm, char *text, size_t size)
{
  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Bcast(text, (PetscMPIInt)size, MPI_CHAR, 0, comm));
  text[size - 1] = '\0';
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPlanRenamePoints(RdPlan *plan, const PetscInt *global_index)
{
  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < plan->n_points; i++) plan->rank_points[i] = global_index[plan->rank_points[i]];
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
