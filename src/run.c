/* One sweep point end to end, and the rounds in which every rank runs and writes its points
 * (include/repdrift/run.h). The model's part comes from its ops; this file names no model. */
#include <repdrift/run.h>
#include <repdrift/geometry.h>
#include <repdrift/model.h>
#include <repdrift/noise.h>
#include <repdrift/phases.h>
#include <repdrift/readout.h>
#include <repdrift/rounds.h>
#include <repdrift/signals.h>
#include <unistd.h>

PetscErrorCode RdRunDims(const RdConfig *cfg, RdDims *dims)
{
  PetscFunctionBeginUser;
  dims->size[RD_DIM_POINT]     = RdSweepNumPoints(&cfg->axes);
  dims->size[RD_DIM_DAY]       = cfg->days + 1;
  dims->size[RD_DIM_LATER_DAY] = cfg->days + 1;
  dims->size[RD_DIM_STIMULUS]  = cfg->num_stimuli;
  dims->size[RD_DIM_SAMPLE]    = cfg->probe_samples;
  dims->size[RD_DIM_UNIT]      = RdSweepMaxWidth(&cfg->axes);
  dims->size[RD_DIM_PC]        = PetscMin(cfg->probe_samples - 1, RdSweepMaxWidth(&cfg->axes));
  dims->size[RD_DIM_RECORD]    = 1; /* dimensions of a model's own protocol: the model sizes them */
  dims->size[RD_DIM_LAG]       = 1;
  dims->size[RD_DIM_PHASE]     = RD_NUM_PHASES;
  if (cfg->model->dims) cfg->model->dims(cfg, dims);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunArchiveSettings(const RdConfig *cfg, RdArchiveSettings *settings)
{
  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(settings, sizeof *settings));
  PetscCall(PetscStrncpy(settings->output, cfg->output, sizeof settings->output));
  PetscCall(PetscStrncpy(settings->model, cfg->model->name, sizeof settings->model));
  for (PetscInt t = 0; t < cfg->axes.n_noise_type; t++) {
    PetscCall(PetscStrlcat(settings->noise_types, t ? "," : "", sizeof settings->noise_types));
    PetscCall(PetscStrlcat(settings->noise_types, rd_noise_type_names[cfg->axes.noise_type[t]], sizeof settings->noise_types));
  }
  settings->overwrite = cfg->overwrite;
  settings->seed      = cfg->seed;
  settings->selection = RdConfigSchemaSelection(cfg);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunPointsToDo(const RdConfig *cfg, const PetscInt *status, PetscInt *n_todo, PetscInt **todo)
{
  PetscInt n_points = RdSweepNumPoints(&cfg->axes);
  /* contiguous slices: slice i holds points [i P / n, (i+1) P / n) */
  PetscInt first = (PetscInt)(((int64_t)n_points * cfg->slice_index) / cfg->slice_count);
  PetscInt last  = (PetscInt)(((int64_t)n_points * (cfg->slice_index + 1)) / cfg->slice_count);

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(PetscMax(last - first, 1), todo));
  *n_todo = 0;
  for (PetscInt p = first; p < last; p++)
    if (!status || status[p] == RD_STATUS_PENDING || status[p] == RD_STATUS_FAILED) (*todo)[(*n_todo)++] = p; /* failed points are retried */
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunPlan(MPI_Comm comm, const RdConfig *cfg, PetscInt n_todo, const PetscInt *todo, RdPlan *plan)
{
  PetscMPIInt size;
  PetscInt    n_points = RdSweepNumPoints(&cfg->axes);
  PetscReal  *cost;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_size(comm, &size));
  PetscCall(PetscMalloc1(PetscMax(n_todo, 1), &cost));
  for (PetscInt i = 0; i < n_todo; i++) {
    RdPoint point;
    PetscCall(RdSweepGetPoint(&cfg->axes, todo[i], &point));
    cost[i] = cfg->model->cost(cfg, &point);
  }
  PetscCall(RdPlanCreate(n_todo, cost, size, plan));
  PetscCall(RdPlanRenamePoints(plan, todo));
  PetscCall(PetscFree(cost));
  if (cfg->model->sweeps_noise_type) PetscCall(PetscPrintf(comm, "Sweep: %" PetscInt_FMT " points = %" PetscInt_FMT " frequencies x %" PetscInt_FMT " noise types x %" PetscInt_FMT " noise levels%s x %" PetscInt_FMT " widths x %" PetscInt_FMT " learning rates x %" PetscInt_FMT " seeds; model %s; output %s\n", n_points, cfg->axes.n_frequency, cfg->axes.n_noise_type, cfg->axes.n_noise_level, cfg->axes.noise_level_per_type ? " (each type at its paper level)" : "", cfg->axes.n_width, cfg->axes.n_lr, cfg->axes.n_seeds, cfg->model->name, cfg->output));
  else PetscCall(PetscPrintf(comm, "Sweep: %" PetscInt_FMT " points = %" PetscInt_FMT " frequencies x %" PetscInt_FMT " dropouts x %" PetscInt_FMT " widths x %" PetscInt_FMT " learning rates x %" PetscInt_FMT " seeds; model %s, protocol %s; output %s\n", n_points, cfg->axes.n_frequency, cfg->axes.n_noise_level, cfg->axes.n_width, cfg->axes.n_lr, cfg->axes.n_seeds, cfg->model->name, cfg->model->protocol ? cfg->model->protocol(cfg) : "days", cfg->output));
  if (n_todo != n_points) PetscCall(PetscPrintf(comm, "This run computes %" PetscInt_FMT " of them (%s)\n", n_todo, cfg->resume ? "-resume: the unfinished ones" : "-sweep_slice"));
  if (!cfg->terse && cfg->schedule == RD_SCHEDULE_DYNAMIC) PetscCall(PetscPrintf(comm, "Plan: %d ranks; a free rank takes the next point, largest estimated cost first (-schedule dynamic); written in collective rounds as they finish\n", size));
  else if (!cfg->terse) {
    PetscInt min_points = n_todo, max_points = 0;
    for (PetscMPIInt r = 0; r < size; r++) {
      PetscInt owned = plan->rank_offset[r + 1] - plan->rank_offset[r];
      min_points     = PetscMin(min_points, owned);
      max_points     = PetscMax(max_points, owned);
    }
    PetscCall(PetscPrintf(comm, "Plan: %d ranks, %" PetscInt_FMT "-%" PetscInt_FMT " points each, written in collective rounds as they finish, estimated imbalance (max/mean cost) %.3f\n", size, min_points, max_points, (double)plan->imbalance));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Finished points a rank may hold for the next write round (rounds.h): a few, within
 * RD_RUN_PENDING_BYTES of results. */
#define RD_RUN_PENDING_BYTES (64.0 * 1024 * 1024)
#define RD_RUN_MAX_PENDING   16
static PetscInt MaxPendingPoints(const RdDims *dims)
{
  double bytes = 0;
  for (int f = 0; f < RD_NUM_FIELDS; f++) bytes += 8 * (double)RdFieldPointElements((RdField)f, dims);
  return (PetscInt)PetscMax(1, PetscMin(RD_RUN_MAX_PENDING, RD_RUN_PENDING_BYTES / bytes));
}

PetscErrorCode RdRunCheckMemory(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims)
{
  /* one point in flight per rank: its probe responses, its result, one PCA per day (PCs and
   * buffers), the covariance or Gram matrix of the eigensolve, and the model's own state */
  const double width = (double)dims->size[RD_DIM_UNIT], samples = (double)cfg->probe_samples, days = (double)dims->size[RD_DIM_DAY];
  const double side = PetscMin(samples, width);
  double       result_values = 0;
  PetscInt     ranks_on_node;

  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++) result_values += (double)RdFieldPointElements((RdField)f, dims);
  result_values *= 2 * (double)MaxPendingPoints(dims) + 1; /* the finished points waiting for a round, one in work, the round's staging */
  double responses = (cfg->model->has_null_probe ? 2 : 1) * days * (double)cfg->num_stimuli * samples * width; /* with the delta t = 0 null's second probe */
  double pca       = days * ((double)dims->size[RD_DIM_PC] * width + 2 * samples * width);
  double bytes     = 8 * (responses + result_values + pca + 3 * side * side) + (cfg->model->memory ? cfg->model->memory(cfg, dims->size[RD_DIM_UNIT]) : 0);
  double physical  = (double)sysconf(_SC_PHYS_PAGES) * (double)sysconf(_SC_PAGESIZE);
  PetscCall(RdRanksOnNode(comm, &ranks_on_node));
  PetscCheck(bytes * (double)ranks_on_node <= 0.8 * physical, comm, PETSC_ERR_USER_INPUT, "This sweep needs about %.3g GB per rank for one point (probe responses: %" PetscInt_FMT " days x %" PetscInt_FMT " stimuli x %" PetscInt_FMT " samples x %" PetscInt_FMT " units) and %" PetscInt_FMT " ranks share a node with %.3g GB: reduce -probe_samples, -days, the largest -sweep_width or the ranks per node", bytes / 1e9, dims->size[RD_DIM_DAY], cfg->num_stimuli, cfg->probe_samples, dims->size[RD_DIM_UNIT], ranks_on_node, physical / 1e9);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunSweepDescription(const RdConfig *cfg, const RdDims *dims, double *values[RD_NUM_FIELDS])
{
  const PetscInt n_points = dims->size[RD_DIM_POINT], K = cfg->num_stimuli;

  PetscFunctionBeginUser;
  for (PetscInt p = 0; p < n_points; p++) {
    RdPoint point;
    double  frequency, *probability = &values[RD_FIELD_SWEEP_STIMULUS_PROBABILITY][p * K];
    PetscCall(RdSweepGetPoint(&cfg->axes, p, &point));
    frequency = point.frequency;
    if (cfg->model->stimulus_probability) PetscCall(cfg->model->stimulus_probability(cfg, &point, &frequency, probability));
    else /* stimulus 0 at the swept frequency, the others share the rest equally */
      for (PetscInt k = 0; k < K; k++) probability[k] = k == 0 ? point.frequency : (1 - point.frequency) / (double)(K - 1);
    values[RD_FIELD_SWEEP_FREQUENCY][p]   = frequency;
    values[RD_FIELD_SWEEP_NOISE_LEVEL][p] = point.noise_level;
    values[RD_FIELD_SWEEP_WIDTH][p]       = (double)point.width;
    values[RD_FIELD_SWEEP_SEED][p]        = (double)point.replicate;
    values[RD_FIELD_SWEEP_LR][p]          = point.lr;
    values[RD_FIELD_SWEEP_NOISE_TYPE][p]  = (double)point.noise_type;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The days protocol: burn-in (day 0), then day after day, train and observe with the weights
 * frozen. Returns the number of days (from day 0) observed before a divergence. */
static PetscErrorCode TrainAndObserve(const RdModelOps *ops, void *model, RdResponses *responses, RdPointResult *result, PetscInt *valid_days)
{
  PetscBool diverged = PETSC_FALSE;

  PetscFunctionBeginUser;
  *valid_days = 0;
  for (PetscInt day = 0; day < responses->days && !diverged; day++) {
    PetscCall(RdPhaseBegin(RD_PHASE_TRAIN));
    PetscCall(ops->train(model, day, &diverged));
    PetscCall(RdPhaseEnd(RD_PHASE_TRAIN));
    PetscCall(RdPhaseBegin(RD_PHASE_PROBE));
    if (!diverged) PetscCall(ops->observe(model, day, responses, result, &diverged));
    PetscCall(RdPhaseEnd(RD_PHASE_PROBE));
    PetscCall(RdRoundsSafePoint());
    if (!diverged) *valid_days = day + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Copies n values into a padded row of the result (the rest stays NaN). */
static void Store(double *destination, const double *source, PetscInt n)
{
  for (PetscInt i = 0; i < n; i++) destination[i] = source[i];
}

static PetscErrorCode AnalyseGeometry(const RdDims *dims, const RdResponses *responses, PetscInt valid_days, RdPointResult *result)
{
  const PetscInt days = dims->size[RD_DIM_DAY], K = dims->size[RD_DIM_STIMULUS], units = dims->size[RD_DIM_UNIT], pcs = dims->size[RD_DIM_PC];
  const PetscInt width = responses->width, samples = responses->samples;
  RdPCA         *pca;
  double        *per_pc; /* along_pc, angle_to_pc, variance_flow of a consecutive pair, [3][pcs] */

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(valid_days, &pca));
  PetscCall(RdPhaseBegin(RD_PHASE_PCA));
  for (PetscInt s = 0; s < valid_days; s++) PetscCall(RdPCACreate(width, samples, &pca[s]));
  PetscCall(RdPhaseEnd(RD_PHASE_PCA));
  PetscCall(PetscMalloc1(3 * pcs, &per_pc));
  for (PetscInt k = 0; k < responses->groups; k++) { /* K: the archive's stride */
    for (PetscInt s = 0; s < valid_days; s++) {
      const double *members = RdResponsesOf(responses, responses->values, s, k);
      size_t        day_stimulus = RD_IDX2(s, k, K);
      PetscCall(RdPhaseBegin(RD_PHASE_PCA));
      PetscCall(RdPCACompute(members, samples, &pca[s]));
      PetscCall(RdPhaseEnd(RD_PHASE_PCA));
      Store(&result->values[RD_FIELD_RESPONSES_MEAN][day_stimulus * units], pca[s].mean, width);
      Store(&result->values[RD_FIELD_GEOMETRY_EIGENVALUES][day_stimulus * pcs], pca[s].eigenvalues, pca[s].n_pcs);
      Store(&result->values[RD_FIELD_GEOMETRY_EXPLAINED_VARIANCE_RATIO][day_stimulus * pcs], pca[s].explained, pca[s].n_pcs);
      result->values[RD_FIELD_GEOMETRY_PARTICIPATION_RATIO][day_stimulus]   = pca[s].participation_ratio;
      result->values[RD_FIELD_GEOMETRY_VARIATIONAL_DIMENSION][day_stimulus] = (double)pca[s].k_variational;
      PetscCall(RdPhaseBegin(RD_PHASE_DRIFT));
      PetscCall(RdSplitHalfNullFraction(members, samples, width, &result->values[RD_FIELD_DRIFT_NULL_FRACTION_IN_VARIATIONAL_SPACE][day_stimulus]));
      PetscCall(RdPhaseEnd(RD_PHASE_DRIFT));
      if (result->values[RD_FIELD_RESPONSES_PROBE])
        for (PetscInt a = 0; a < samples; a++) Store(&result->values[RD_FIELD_RESPONSES_PROBE][(day_stimulus * (size_t)dims->size[RD_DIM_SAMPLE] + a) * units], members + (size_t)a * width, width);
    }
    for (PetscInt s = 0; s < valid_days; s++) {
      for (PetscInt later = s + 1; later < valid_days; later++) {
        size_t      pair_index = RD_IDX3(s, later, k, days, K);
        RdDriftPair pair       = {0};
        if (later == s + 1) { /* per-PC metrics only for consecutive days: the archive keeps no others */
          pair.along_pc      = per_pc;
          pair.angle_to_pc   = per_pc + pcs;
          pair.variance_flow = per_pc + 2 * pcs;
        }
        PetscCall(RdPhaseBegin(RD_PHASE_DRIFT));
        PetscCall(RdDriftCompute(&pca[s], &pca[later], RdResponsesOf(responses, responses->values, later, k), samples, &pair));
        PetscCall(RdPhaseEnd(RD_PHASE_DRIFT));
        result->values[RD_FIELD_DRIFT_ANGLE_BETWEEN_MEANS][pair_index]          = pair.angle_between_means;
        result->values[RD_FIELD_DRIFT_RELATIVE_MAGNITUDE][pair_index]           = pair.relative_magnitude;
        result->values[RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE][pair_index] = pair.fraction_in_variational_space;
        result->values[RD_FIELD_DRIFT_FRACTION_CHANCE][pair_index]              = pair.fraction_chance;
        result->values[RD_FIELD_DRIFT_VARIATIONAL_OVERLAP][pair_index]          = pair.variational_overlap;
        result->values[RD_FIELD_DRIFT_VARIATIONAL_OVERLAP_CHANCE][pair_index]   = pair.variational_overlap_chance;
        if (later == s + 1) { /* per-PC metrics for consecutive days, stored at the later day */
          size_t day_stimulus = RD_IDX2(later, k, K);
          Store(&result->values[RD_FIELD_DRIFT_ALONG_PC][day_stimulus * pcs], pair.along_pc, pca[s].n_pcs);
          Store(&result->values[RD_FIELD_DRIFT_ANGLE_TO_PC][day_stimulus * pcs], pair.angle_to_pc, pca[s].n_pcs);
          Store(&result->values[RD_FIELD_DRIFT_VARIANCE_FLOW][day_stimulus * pcs], pair.variance_flow, pca[s].n_pcs);
          result->values[RD_FIELD_DRIFT_ANGLE_SLOPE][day_stimulus] = pair.angle_slope;
          result->values[RD_FIELD_DRIFT_ANGLE_R][day_stimulus]     = pair.angle_r;
        }
      }
    }
    PetscCall(RdRoundsSafePoint());
  }
  PetscCall(PetscFree(per_pc));
  PetscCall(RdPhaseBegin(RD_PHASE_PCA));
  for (PetscInt s = 0; s < valid_days; s++) PetscCall(RdPCADestroy(&pca[s]));
  PetscCall(RdPhaseEnd(RD_PHASE_PCA));
  PetscCall(PetscFree(pca));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Cross-day classifiers of stimulus 0 vs 1: trained on the first half of a day's probes, tested
 * on the second half of every day's probes (so train and test sets never share a presentation). */
static PetscErrorCode AnalyseReadout(const RdConfig *cfg, const RdDims *dims, const RdResponses *responses, PetscInt valid_days, RdPointResult *result)
{
  const PetscInt days = dims->size[RD_DIM_DAY], width = responses->width, half = responses->samples / 2, rest = responses->samples - half;
  double        *weights, *bias;

  PetscFunctionBeginUser;
  PetscCall(RdPhaseBegin(RD_PHASE_READOUT));
  PetscCall(PetscMalloc2((size_t)valid_days * width, &weights, valid_days, &bias));
  for (PetscInt s = 0; s < valid_days; s++) PetscCall(RdLogisticFit(RdResponsesOf(responses, responses->values, s, 0), half, RdResponsesOf(responses, responses->values, s, 1), half, width, cfg->readout_l2, weights + (size_t)s * width, &bias[s]));
  for (PetscInt s = 0; s < valid_days; s++)
    for (PetscInt later = 0; later < valid_days; later++) {
      const double *test0 = RdResponsesOf(responses, responses->values, later, 0) + (size_t)half * width, *test1 = RdResponsesOf(responses, responses->values, later, 1) + (size_t)half * width;
      result->values[RD_FIELD_READOUT_CLASSIFIER_ACCURACY][RD_IDX2(s, later, days)] = RdClassifierAccuracy(weights + (size_t)s * width, bias[s], test0, rest, test1, rest, width);
      result->values[RD_FIELD_READOUT_CLASSIFIER_ANGLE][RD_IDX2(s, later, days)]    = RdAngleDegrees(weights + (size_t)s * width, weights + (size_t)later * width, width);
    }
  PetscCall(PetscFree2(weights, bias));
  PetscCall(RdPhaseEnd(RD_PHASE_READOUT));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunDaysProtocol(const RdConfig *cfg, const RdDims *dims, const RdPoint *point, RdPointResult *result)
{
  const RdModelOps *ops = cfg->model;
  RdResponses       responses;
  PetscInt          valid_days;
  void             *model = NULL;

  PetscFunctionBeginUser;
  responses.days    = dims->size[RD_DIM_DAY];
  responses.groups  = dims->size[RD_DIM_STIMULUS];
  responses.samples = cfg->probe_samples;
  responses.width   = point->width;
  if (ops->responses_shape) PetscCall(ops->responses_shape(cfg, point, &responses));
  size_t size       = (size_t)responses.days * responses.groups * responses.samples * responses.width;
  PetscCall(PetscMalloc1(size, &responses.values));
  responses.values_null = NULL;
  if (ops->has_null_probe) PetscCall(PetscMalloc1(size, &responses.values_null));
  PetscCall(RdPhaseBegin(RD_PHASE_SETUP));
  PetscCall(ops->create(cfg, point, &model));
  PetscCall(RdPhaseEnd(RD_PHASE_SETUP));
  PetscCall(TrainAndObserve(ops, model, &responses, result, &valid_days));
  PetscCall(AnalyseGeometry(dims, &responses, valid_days, result));
  if (responses.groups >= 2) PetscCall(AnalyseReadout(cfg, dims, &responses, valid_days, result));
  if (ops->finish) PetscCall(ops->finish(model, &responses, valid_days, result));
  PetscCall(RdPhaseBegin(RD_PHASE_SETUP));
  PetscCall(ops->destroy(&model));
  PetscCall(RdPhaseEnd(RD_PHASE_SETUP));
  result->values[RD_FIELD_SWEEP_STATUS][0] = valid_days == responses.days ? RD_STATUS_DONE : RD_STATUS_DIVERGED;
  PetscCall(PetscFree(responses.values));
  PetscCall(PetscFree(responses.values_null));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunPoint(const RdConfig *cfg, const RdDims *dims, PetscInt point_index, RdPointResult *result)
{
  RdPoint   point;
  PetscBool done = PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(RdSweepGetPoint(&cfg->axes, point_index, &point));
  PetscCall(RdPointResultReset(dims, result));
  result->point = point_index;
  PetscCall(RdPhaseStagePush(cfg->model->protocol ? cfg->model->protocol(cfg) : "days"));
  if (cfg->model->run_point) PetscCall(cfg->model->run_point(cfg, dims, &point, result, &done));
  if (!done) PetscCall(RdRunDaysProtocol(cfg, dims, &point, result));
  PetscCall(RdPhaseStagePop());
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The points this rank computes, one at a time (-schedule): its own points of the static plan in
 * order, or the next point of the plan's queue that no rank has taken yet. A point handed out is
 * always computed: the caller asks for one only when it will run it. */
typedef struct {
  const RdPlan   *plan;
  PetscMPIInt     rank;
  PetscBool       dynamic;
  RdTicketCounter tickets; /* dynamic: the next position in plan->queue */
  PetscInt        next;    /* static: the next of this rank's points */
} PointSource;

static PetscErrorCode PointSourceCreate(MPI_Comm comm, const RdConfig *cfg, const RdPlan *plan, PointSource *source)
{
  PetscFunctionBeginUser;
  source->plan    = plan;
  source->dynamic = cfg->schedule == RD_SCHEDULE_DYNAMIC ? PETSC_TRUE : PETSC_FALSE;
  source->next    = 0;
  PetscCallMPI(MPI_Comm_rank(comm, &source->rank));
  if (source->dynamic) PetscCall(RdTicketCounterCreate(comm, &source->tickets));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The next point to compute, -1 when there is none left for this rank. */
static PetscErrorCode PointSourceNext(PointSource *source, PetscInt *point)
{
  PetscFunctionBeginUser;
  if (source->dynamic) {
    PetscInt ticket;
    PetscCall(RdTicketCounterNext(&source->tickets, &ticket));
    *point = ticket < source->plan->n_points ? source->plan->queue[ticket] : -1;
  } else {
    *point = RdPlanPointOf(source->plan, source->rank, source->next);
    if (*point >= 0) source->next++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Collective: whether any point was left uncomputed (the run was stopped), on every rank. */
static PetscErrorCode PointSourceDestroy(MPI_Comm comm, PointSource *source, PetscBool *points_left)
{
  PetscBool left;

  PetscFunctionBeginUser;
  if (source->dynamic) {
    PetscInt taken;
    PetscCall(RdTicketCounterPeek(&source->tickets, &taken));
    left = taken < source->plan->n_points ? PETSC_TRUE : PETSC_FALSE;
    PetscCall(RdTicketCounterDestroy(&source->tickets));
  } else left = RdPlanPointOf(source->plan, source->rank, source->next) >= 0 ? PETSC_TRUE : PETSC_FALSE;
  PetscCall(RdAnyRank(comm, left, points_left));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRunOwnedPoints(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims, const RdPlan *plan, RdArchive archive, PetscBool *interrupted)
{
  RdProgress        progress;
  RdRounds          rounds;
  PointSource       source;
  RdSchemaSelection selection = RdConfigSchemaSelection(cfg);
  double            phase_seconds[RD_NUM_PHASES], last_cut;

  PetscFunctionBeginUser;
  PetscCall(RdProgressStart(comm, plan->n_points, &progress));
  PetscCall(RdRoundsCreate(comm, dims, &selection, MaxPendingPoints(dims), cfg->write_interval, archive, &progress, cfg->terse, &rounds));
  PetscCall(PointSourceCreate(comm, cfg, plan, &source));
  /* A point's time runs from the end of the previous one (or the start) to its own end: its
   * compute and the write rounds this rank joined meanwhile (rounds.h). */
  PetscCall(RdPhasesTake(NULL));
  last_cut = MPI_Wtime();
  while (!RdRoundsStopping(rounds)) {
    PetscInt       point = -1;
    RdPointResult *result;
    PetscErrorCode failed;
    double         cut;

    PetscCall(PointSourceNext(&source, &point));
    if (point < 0) break;
    PetscCall(RdRoundsNextResult(rounds, &result));
    /* a failed point must not stop the sweep; the rank that ran it prints why (a traceback,
     * whatever the error: it is not a user error of the run) */
    PetscCall(PetscPushErrorHandler(PetscTraceBackErrorHandler, NULL));
    failed = RdRunPoint(cfg, dims, point, result);
    PetscCall(PetscPopErrorHandler());
    if (failed) {
      if (RdRoundsBroken(rounds)) PetscCall(failed); /* a write round failed inside the point: the run cannot go on */
      PetscCall(RdPhasesUnwind());
      PetscCall(RdPointResultReset(dims, result));
      result->point                            = point;
      result->values[RD_FIELD_SWEEP_STATUS][0] = RD_STATUS_FAILED;
    }
    PetscCall(RdPhasesTake(phase_seconds));
    cut                                           = MPI_Wtime();
    result->values[RD_FIELD_SWEEP_WALL_SECONDS][0] = cut - last_cut;
    if (result->values[RD_FIELD_SWEEP_PHASE_SECONDS]) PetscCall(PetscArraycpy(result->values[RD_FIELD_SWEEP_PHASE_SECONDS], phase_seconds, RD_NUM_PHASES));
    last_cut = cut;
    PetscCall(RdProgressAddPhases(&progress, phase_seconds));
    PetscCall(RdRoundsFinished(rounds));
  }
  PetscCall(RdRoundsDrain(rounds));
  /* stopped by a signal: interrupted if points were left undone */
  PetscCall(PointSourceDestroy(comm, &source, interrupted));
  PetscCall(RdPhasesTake(phase_seconds)); /* the last rounds */
  PetscCall(RdProgressAddPhases(&progress, phase_seconds));
  PetscCall(RdProgressLoadTable(&progress, cfg->terse));
  PetscCall(RdRoundsDestroy(&rounds));
  PetscFunctionReturn(PETSC_SUCCESS);
}
