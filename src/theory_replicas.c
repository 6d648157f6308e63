/* Replica protocol of the drift theory (Pashakhanloo & Koulakov 2023, measured by simulation):
 * R independent online-SGD streams of one network start together at theta*; every record_every
 * steps the hidden representations h_s = W1 x_s of every replica are reduced to across-replica
 * statistics. Measured: the time-averaged excess loss, F_s and sigma_s (intercept and slope of
 * the across-replica variance of h_s, which removes the common deterministic rotation), the
 * rotation angle of the replica mean, and replica 0's MSD. Standard errors by a delete-one-group
 * jackknife over contiguous groups of replicas.
 *
 * Layout: replica index innermost (W1[i][j][r], W2[a][i][r]) so that the SGD kernel's inner
 * loops run over replicas with unit stride and vectorise; only the random draws are per replica. */
#include <repdrift/theory.h>
#include <math.h>

#define MAX_REPLICA_INDEX (1u << 24) /* RD_PURPOSE keeps 24 bits for the sub-index */
#define ROTATION_FIT_LIMIT_DEG 45.0 /* the mean angle grows linearly while well below 90 deg */

/* ------------------------------------------------------------------------------------------ */
/* Replica set and its SGD kernel                                                               */

PetscErrorCode RdReplicaSetCreate(PetscInt num_replicas, PetscInt input_dim, PetscInt width, PetscInt output_dim, uint64_t seed, PetscInt stream_id, PetscInt first_replica, RdReplicaSet *set)
{
  const size_t R = (size_t)num_replicas, n = (size_t)input_dim, m = (size_t)width, d = (size_t)output_dim;

  PetscFunctionBeginUser;
  PetscCheck(num_replicas >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replicas must be at least 1 (got %" PetscInt_FMT ")", num_replicas);
  PetscCheck(first_replica >= 0 && (uint64_t)first_replica + R <= MAX_REPLICA_INDEX, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replicas must be below %u (replica index is a 24-bit stream sub-index)", MAX_REPLICA_INDEX);
  PetscCheck(stream_id >= 0 && (uint64_t)stream_id <= UINT32_MAX, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Replica stream id %" PetscInt_FMT " does not fit 32 bits", stream_id);
  set->num_replicas = num_replicas;
  set->input_dim    = input_dim;
  set->width        = width;
  set->output_dim   = output_dim;
  PetscCall(PetscCalloc2(m * n * R, &set->W1, d * m * R, &set->W2));
  PetscCall(PetscMalloc2(R, &set->sampling, R, &set->noise));
  PetscCall(PetscMalloc7(n * R, &set->x, d * R, &set->y, m * R, &set->h, d * R, &set->e, m * R, &set->back, m * R, &set->keep, R, &set->stimulus));
  for (size_t r = 0; r < R; r++) {
    const uint32_t index = (uint32_t)(first_replica + (PetscInt)r);
    RdStreamInit(&set->sampling[r], seed, (uint32_t)stream_id, RD_PURPOSE(RD_PURPOSE_SGD_SAMPLING, index));
    RdStreamInit(&set->noise[r], seed, (uint32_t)stream_id, RD_PURPOSE(RD_PURPOSE_TRAIN_NOISE, index));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReplicaSetDestroy(RdReplicaSet *set)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree2(set->W1, set->W2));
  PetscCall(PetscFree2(set->sampling, set->noise));
  PetscCall(PetscFree7(set->x, set->y, set->h, set->e, set->back, set->keep, set->stimulus));
  set->num_replicas = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdReplicaSetStart(RdReplicaSet *set, const double *W1, const double *W2)
{
  const size_t R = (size_t)set->num_replicas, size1 = (size_t)set->width * (size_t)set->input_dim, size2 = (size_t)set->output_dim * (size_t)set->width;
  for (size_t a = 0; a < size1; a++)
    for (size_t r = 0; r < R; r++) set->W1[a * R + r] = W1[a];
  for (size_t a = 0; a < size2; a++)
    for (size_t r = 0; r < R; r++) set->W2[a * R + r] = W2[a];
}

void RdReplicaSetGet(const RdReplicaSet *set, PetscInt r, double *W1, double *W2)
{
  const size_t R = (size_t)set->num_replicas, size1 = (size_t)set->width * (size_t)set->input_dim, size2 = (size_t)set->output_dim * (size_t)set->width;
  for (size_t a = 0; a < size1; a++) W1[a] = set->W1[a * R + (size_t)r];
  for (size_t a = 0; a < size2; a++) W2[a] = set->W2[a * R + (size_t)r];
}

/* Every replica's draws of one step, in linear.h's order (stimulus, input noise, dropout mask):
 * the presented input and target go to x[.][r], y[.][r], the dropout scale to keep[.][r]. */
static void DrawStep(RdReplicaSet *set, const RdLinearHyper *hyper, const RdTask *task)
{
  const PetscInt R = set->num_replicas, n = set->input_dim, m = set->width, d = set->output_dim;
  const double   kept_scale = hyper->dropout > 0.0 ? 1.0 / (1.0 - hyper->dropout) : 1.0;
  for (PetscInt r = 0; r < R; r++) {
    const int     k  = RdStreamCategorical(&set->sampling[r], task->cumulative, (int)task->num_stimuli);
    const double *xk = task->stimuli + RD_IDX2(k, 0, n), *yk = task->targets + RD_IDX2(k, 0, d);
    set->stimulus[r] = k;
    for (PetscInt i = 0; i < n; i++) set->x[RD_IDX2(i, r, R)] = hyper->input_noise > 0.0 ? xk[i] + hyper->input_noise * RdStreamNormal(&set->noise[r]) : xk[i];
    for (PetscInt a = 0; a < d; a++) set->y[RD_IDX2(a, r, R)] = yk[a];
    if (hyper->dropout > 0.0)
      for (PetscInt i = 0; i < m; i++) set->keep[RD_IDX2(i, r, R)] = RdStreamUniform(&set->noise[r]) >= hyper->dropout ? kept_scale : 0.0;
  }
}

/* One SGD step of every replica from the draws in set->x, y, keep; the same arithmetic as
 * RdLinearTrain per replica: h = keep . W1 x, e = y - W2 h, back = W2^T e (old W2),
 * W2 <- decay W2 + lr e h^T, W1 <- decay W1 + lr (keep . back) x^T. */
static void StepKernel(RdReplicaSet *set, double lr, double decay, PetscBool use_dropout)
{
  const PetscInt R = set->num_replicas, n = set->input_dim, m = set->width, d = set->output_dim;
  double *restrict W1 = set->W1, *restrict W2 = set->W2, *restrict h = set->h, *restrict e = set->e, *restrict back = set->back;
  const double *restrict x = set->x, *restrict y = set->y, *restrict keep = set->keep;

  for (PetscInt i = 0; i < m; i++) {
    double *restrict hi = h + RD_IDX2(i, 0, R);
    for (PetscInt r = 0; r < R; r++) hi[r] = 0.0;
    for (PetscInt j = 0; j < n; j++) {
      const double *restrict w = W1 + RD_IDX3(i, j, 0, n, R), *restrict xj = x + RD_IDX2(j, 0, R);
      for (PetscInt r = 0; r < R; r++) hi[r] += w[r] * xj[r];
    }
    if (use_dropout)
      for (PetscInt r = 0; r < R; r++) hi[r] *= keep[RD_IDX2(i, r, R)];
  }
  for (PetscInt a = 0; a < d; a++) {
    double *restrict ea = e + RD_IDX2(a, 0, R);
    for (PetscInt r = 0; r < R; r++) ea[r] = y[RD_IDX2(a, r, R)];
    for (PetscInt i = 0; i < m; i++) {
      const double *restrict w = W2 + RD_IDX3(a, i, 0, m, R), *restrict hi = h + RD_IDX2(i, 0, R);
      for (PetscInt r = 0; r < R; r++) ea[r] -= w[r] * hi[r];
    }
  }
  for (PetscInt i = 0; i < m * R; i++) back[i] = 0.0;
  for (PetscInt a = 0; a < d; a++)
    for (PetscInt i = 0; i < m; i++) {
      double *restrict w = W2 + RD_IDX3(a, i, 0, m, R), *restrict bi = back + RD_IDX2(i, 0, R);
      const double *restrict ea = e + RD_IDX2(a, 0, R), *restrict hi = h + RD_IDX2(i, 0, R);
      for (PetscInt r = 0; r < R; r++) {
        const double old = w[r];
        bi[r] += old * ea[r];
        w[r] = decay * old + (lr * ea[r]) * hi[r];
      }
    }
  for (PetscInt i = 0; i < m; i++) {
    double *restrict bi = back + RD_IDX2(i, 0, R);
    if (use_dropout)
      for (PetscInt r = 0; r < R; r++) bi[r] = lr * (keep[RD_IDX2(i, r, R)] * bi[r]);
    else
      for (PetscInt r = 0; r < R; r++) bi[r] = lr * bi[r];
    for (PetscInt j = 0; j < n; j++) {
      double *restrict w = W1 + RD_IDX3(i, j, 0, n, R);
      const double *restrict xj = x + RD_IDX2(j, 0, R);
      for (PetscInt r = 0; r < R; r++) w[r] = decay * w[r] + bi[r] * xj[r];
    }
  }
}

static PetscErrorCode CheckHyper(const RdLinearHyper *hyper)
{
  PetscFunctionBeginUser;
  PetscCheck(hyper->batch == 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-batch must be 1 for the replica protocol (got %" PetscInt_FMT ")", hyper->batch);
  PetscCheck(hyper->lr > 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-lr must be > 0 (got %g)", hyper->lr);
  PetscCheck(hyper->dropout >= 0.0 && hyper->dropout < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_dropout values must lie in [0, 1) (got %g)", hyper->dropout);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReplicaSetAdvance(RdReplicaSet *set, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps)
{
  const double    decay       = 1.0 - hyper->lr * hyper->weight_decay;
  const PetscBool use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;

  PetscFunctionBeginUser;
  PetscCall(CheckHyper(hyper));
  for (PetscInt step = 0; step < nsteps; step++) {
    DrawStep(set, hyper, task);
    StepKernel(set, hyper->lr, decay, use_dropout);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReplicaSetAdvanceReference(RdReplicaSet *set, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps)
{
  RdLinearNet net;

  PetscFunctionBeginUser;
  PetscCall(CheckHyper(hyper));
  PetscCall(RdLinearNetCreate(set->input_dim, set->width, set->output_dim, &net));
  for (PetscInt r = 0; r < set->num_replicas; r++) {
    const size_t R = (size_t)set->num_replicas, size1 = (size_t)set->width * (size_t)set->input_dim, size2 = (size_t)set->output_dim * (size_t)set->width;
    RdReplicaSetGet(set, r, net.W1, net.W2);
    (void)RdLinearTrainReference(&net, hyper, task, nsteps, &set->sampling[r], &set->noise[r]);
    for (size_t a = 0; a < size1; a++) set->W1[a * R + (size_t)r] = net.W1[a];
    for (size_t a = 0; a < size2; a++) set->W2[a * R + (size_t)r] = net.W2[a];
  }
  PetscCall(RdLinearNetDestroy(&net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Records                                                                                      */

/* What the protocol keeps between records: per stimulus the start h_s(0), replica 0's h_s at
 * every record, and per record the group sums that the curves and the jackknife need. */
typedef struct {
  PetscInt     K, m, n_records, G;
  PetscInt    *group_start;   /* [G + 1] replicas of group g: [group_start[g], group_start[g+1]) */
  double      *h_start;       /* [K][m] h_s(0) */
  double      *h_now;         /* [K][m][R] current h_s of every replica */
  double      *trajectory;    /* [K][n_records][m] replica 0 */
  double      *group_dev;     /* [K][G][m] sum over the group of h_s - h_s(0) */
  double      *group_dev2;    /* [K][G] sum over the group of |h_s - h_s(0)|^2 */
  double      *group_loss;    /* [G] sum over the group of L(theta) - L* */
  double      *variance_loo;  /* [K][G][n_records] variance without group g */
  double      *excess_loo;    /* [G][n_records] mean excess loss without group g */
  double      *mean_dev;      /* [m] scratch */
  RdLinearNet  net;           /* one replica's weights, for RdLinearPopulationLoss */
} Recorder;

static PetscErrorCode ValidateConfig(const RdReplicaConfig *c)
{
  PetscFunctionBeginUser;
  PetscCheck(c->task, PETSC_COMM_SELF, PETSC_ERR_ARG_NULL, "Replica protocol needs a task");
  PetscCall(CheckHyper(&c->hyper));
  PetscCheck(c->width >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value must be at least 1 (got %" PetscInt_FMT ")", c->width);
  PetscCheck(c->num_replicas >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replicas must be at least 2 (got %" PetscInt_FMT ")", c->num_replicas);
  PetscCheck(c->record_every >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-record_every must be at least 1 (got %" PetscInt_FMT ")", c->record_every);
  PetscCheck(c->num_steps >= c->record_every && c->num_steps % c->record_every == 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replica_steps (%" PetscInt_FMT ") must be a positive multiple of -record_every (%" PetscInt_FMT ")", c->num_steps, c->record_every);
  PetscCheck(c->relax_steps >= 0 && c->relax_steps + c->record_every <= c->num_steps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-relax_steps (%" PetscInt_FMT ") must leave at least two records before -replica_steps (%" PetscInt_FMT ")", c->relax_steps, c->num_steps);
  PetscCheck(c->num_groups >= 2 && c->num_groups <= c->num_replicas, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-replica_groups must lie in [2, -replicas] (got %" PetscInt_FMT ")", c->num_groups);
  PetscCheck(c->msd_max_lag >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-msd_max_lag must be >= 0 (got %" PetscInt_FMT ")", c->msd_max_lag);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RecorderCreate(const RdReplicaConfig *c, PetscInt n_records, Recorder *rec)
{
  const PetscInt K = c->task->num_stimuli, m = c->width, G = c->num_groups, R = c->num_replicas;

  PetscFunctionBeginUser;
  rec->K = K, rec->m = m, rec->n_records = n_records, rec->G = G;
  PetscCall(PetscMalloc1(G + 1, &rec->group_start));
  for (PetscInt g = 0; g <= G; g++) rec->group_start[g] = (g * R) / G;
  PetscCall(PetscCalloc5(K * m, &rec->h_start, K * m * R, &rec->h_now, K * n_records * m, &rec->trajectory, K * G * m, &rec->group_dev, K * G, &rec->group_dev2));
  PetscCall(PetscCalloc4(G, &rec->group_loss, K * G * n_records, &rec->variance_loo, G * n_records, &rec->excess_loo, m, &rec->mean_dev));
  PetscCall(RdLinearNetCreate(c->task->input_dim, m, c->task->output_dim, &rec->net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RecorderDestroy(Recorder *rec)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(rec->group_start));
  PetscCall(PetscFree5(rec->h_start, rec->h_now, rec->trajectory, rec->group_dev, rec->group_dev2));
  PetscCall(PetscFree4(rec->group_loss, rec->variance_loo, rec->excess_loo, rec->mean_dev));
  PetscCall(RdLinearNetDestroy(&rec->net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* h_now[s][i][r] = (W1 x_s)_i of every replica (vectorised over r). */
static void HiddenOfAll(const RdReplicaSet *set, const RdTask *task, double *h_now)
{
  const PetscInt R = set->num_replicas, n = set->input_dim, m = set->width;
  for (PetscInt s = 0; s < task->num_stimuli; s++)
    for (PetscInt i = 0; i < m; i++) {
      double *restrict out = h_now + RD_IDX3(s, i, 0, m, R);
      for (PetscInt r = 0; r < R; r++) out[r] = 0.0;
      for (PetscInt j = 0; j < n; j++) {
        const double  xj        = task->stimuli[RD_IDX2(s, j, n)];
        const double *restrict w = set->W1 + RD_IDX3(i, j, 0, n, R);
        for (PetscInt r = 0; r < R; r++) out[r] += w[r] * xj;
      }
    }
}

/* Variance (unbiased, summed over the m components) of the replicas outside group `skip`
 * (skip = -1: all), from the group sums of deviations from h_s(0). */
static double VarianceWithout(const Recorder *rec, PetscInt s, PetscInt skip, double *mean_dev)
{
  const PetscInt m = rec->m;
  double         count = 0.0, sum2 = 0.0, var;
  for (PetscInt i = 0; i < m; i++) mean_dev[i] = 0.0;
  for (PetscInt g = 0; g < rec->G; g++) {
    if (g == skip) continue;
    count += (double)(rec->group_start[g + 1] - rec->group_start[g]);
    sum2 += rec->group_dev2[RD_IDX2(s, g, rec->G)];
    for (PetscInt i = 0; i < m; i++) mean_dev[i] += rec->group_dev[RD_IDX3(s, g, i, rec->G, m)];
  }
  var = sum2;
  for (PetscInt i = 0; i < m; i++) {
    var -= mean_dev[i] * mean_dev[i] / count;
    mean_dev[i] /= count;
  }
  return var / (count - 1.0);
}

/* Angle in degrees between h(0) + mean deviation and h(0). */
static double AngleToStart(const double *h_start, const double *mean_dev, PetscInt m)
{
  double dot = 0.0, norm_start = 0.0, norm_mean = 0.0;
  for (PetscInt i = 0; i < m; i++) {
    const double now = h_start[i] + mean_dev[i];
    dot += now * h_start[i];
    norm_start += h_start[i] * h_start[i];
    norm_mean += now * now;
  }
  if (norm_start == 0.0 || norm_mean == 0.0) return RD_NAN;
  return RD_DEGREES(acos(PetscMin(1.0, PetscMax(-1.0, dot / sqrt(norm_start * norm_mean)))));
}

/* Group sums of one record: deviations of h_s from h_s(0) and their squares, and L - L*.
 * Returns false when some replica's loss is not finite (diverged). */
static PetscBool AccumulateGroups(const RdReplicaConfig *c, const RdReplicaSet *set, double L_star, Recorder *rec)
{
  const PetscInt K = rec->K, m = rec->m, R = set->num_replicas, G = rec->G;
  PetscBool      finite = PETSC_TRUE;

  for (PetscInt g = 0; g < G; g++) {
    rec->group_loss[g] = 0.0;
    for (PetscInt s = 0; s < K; s++) {
      double *dev = rec->group_dev + RD_IDX3(s, g, 0, G, m), *dev2 = rec->group_dev2 + RD_IDX2(s, g, G);
      *dev2 = 0.0;
      for (PetscInt i = 0; i < m; i++) {
        const double start = rec->h_start[RD_IDX2(s, i, m)];
        dev[i]             = 0.0;
        for (PetscInt r = rec->group_start[g]; r < rec->group_start[g + 1]; r++) {
          const double delta = rec->h_now[RD_IDX3(s, i, r, m, R)] - start;
          dev[i] += delta;
          *dev2 += delta * delta;
        }
      }
    }
    for (PetscInt r = rec->group_start[g]; r < rec->group_start[g + 1]; r++) {
      RdReplicaSetGet(set, r, rec->net.W1, rec->net.W2);
      rec->group_loss[g] += RdLinearPopulationLoss(&rec->net, &c->hyper, c->task) - L_star;
    }
    if (!isfinite(rec->group_loss[g])) finite = PETSC_FALSE;
  }
  return finite;
}

/* One record: h_s of every replica, replica 0's trajectory, the group sums, then the curves
 * (all replicas, and without each group for the jackknife). *finite as AccumulateGroups. */
static void Record(const RdReplicaConfig *c, const RdReplicaSet *set, PetscInt index, Recorder *rec, RdReplicaMeasurement *meas, PetscBool *finite)
{
  const PetscInt K = rec->K, m = rec->m, R = set->num_replicas, G = rec->G, NR = rec->n_records;
  double         total_loss = 0.0;

  HiddenOfAll(set, c->task, rec->h_now);
  if (index == 0)
    for (PetscInt s = 0; s < K; s++)
      for (PetscInt i = 0; i < m; i++) rec->h_start[RD_IDX2(s, i, m)] = rec->h_now[RD_IDX3(s, i, 0, m, R)];
  for (PetscInt s = 0; s < K; s++)
    for (PetscInt i = 0; i < m; i++) rec->trajectory[RD_IDX3(s, index, i, NR, m)] = rec->h_now[RD_IDX3(s, i, 0, m, R)];
  *finite = AccumulateGroups(c, set, meas->L_star, rec);
  for (PetscInt g = 0; g < G; g++) total_loss += rec->group_loss[g];
  meas->excess_loss_curve[index] = total_loss / (double)R;
  for (PetscInt g = 0; g < G; g++) rec->excess_loo[RD_IDX2(g, index, NR)] = (total_loss - rec->group_loss[g]) / (double)(R - (rec->group_start[g + 1] - rec->group_start[g]));
  for (PetscInt s = 0; s < K; s++) {
    meas->variance[RD_IDX2(s, index, NR)]       = VarianceWithout(rec, s, -1, rec->mean_dev);
    meas->rotation_angle[RD_IDX2(s, index, NR)] = AngleToStart(rec->h_start + RD_IDX2(s, 0, m), rec->mean_dev, m);
    for (PetscInt g = 0; g < G; g++) rec->variance_loo[RD_IDX3(s, g, index, G, NR)] = VarianceWithout(rec, s, g, rec->mean_dev);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Estimates                                                                                    */

/* Least-squares line value = intercept + slope t over records [first, last). */
static void FitLine(const double *time, const double *value, PetscInt first, PetscInt last, double *intercept, double *slope)
{
  double mean_t = 0.0, mean_v = 0.0, stt = 0.0, stv = 0.0;
  const double count = (double)(last - first);
  for (PetscInt a = first; a < last; a++) {
    mean_t += time[a] / count;
    mean_v += value[a] / count;
  }
  for (PetscInt a = first; a < last; a++) {
    stt += (time[a] - mean_t) * (time[a] - mean_t);
    stv += (time[a] - mean_t) * (value[a] - mean_v);
  }
  *slope     = stv / stt;
  *intercept = mean_v - *slope * mean_t;
}

static double MeanOver(const double *value, PetscInt first, PetscInt last)
{
  double sum = 0.0;
  for (PetscInt a = first; a < last; a++) sum += value[a];
  return sum / (double)(last - first);
}

/* Jackknife standard error from the G delete-one-group estimates. */
static double JackknifeError(const double *estimates, PetscInt G)
{
  double mean = 0.0, spread = 0.0;
  for (PetscInt g = 0; g < G; g++) mean += estimates[g] / (double)G;
  for (PetscInt g = 0; g < G; g++) spread += (estimates[g] - mean) * (estimates[g] - mean);
  return sqrt((double)(G - 1) / (double)G * spread);
}

/* Records in the estimation window: t >= relax_steps, up to the last completed record. */
static void EstimateWindow(const RdReplicaConfig *c, const RdReplicaMeasurement *meas, PetscInt *first, PetscInt *last)
{
  *first = (c->relax_steps + c->record_every - 1) / c->record_every;
  *last  = meas->steps_completed / c->record_every + 1;
}

static PetscErrorCode EstimateVariance(const RdReplicaConfig *c, const Recorder *rec, RdReplicaMeasurement *meas)
{
  const PetscInt G = rec->G, NR = rec->n_records;
  PetscInt       first, last;
  double        *intercepts, *slopes, *excess;

  PetscFunctionBeginUser;
  EstimateWindow(c, meas, &first, &last);
  PetscCall(PetscMalloc3(G, &intercepts, G, &slopes, G, &excess));
  for (PetscInt s = 0; s < rec->K; s++) {
    FitLine(meas->time, meas->variance + RD_IDX2(s, 0, NR), first, last, &meas->fluctuation[s], &meas->diffusion[s]);
    for (PetscInt g = 0; g < G; g++) FitLine(meas->time, rec->variance_loo + RD_IDX3(s, g, 0, G, NR), first, last, &intercepts[g], &slopes[g]);
    meas->fluctuation_se[s] = JackknifeError(intercepts, G);
    meas->diffusion_se[s]   = JackknifeError(slopes, G);
    meas->h_start_norm2[s]  = 0.0;
    for (PetscInt i = 0; i < rec->m; i++) meas->h_start_norm2[s] += rec->h_start[RD_IDX2(s, i, rec->m)] * rec->h_start[RD_IDX2(s, i, rec->m)];
    meas->diffusion_normalized[s]    = meas->h_start_norm2[s] > 0.0 ? meas->diffusion[s] / meas->h_start_norm2[s] : RD_NAN;
    meas->diffusion_normalized_se[s] = meas->h_start_norm2[s] > 0.0 ? meas->diffusion_se[s] / meas->h_start_norm2[s] : RD_NAN;
  }
  meas->excess_loss = MeanOver(meas->excess_loss_curve, first, last);
  for (PetscInt g = 0; g < G; g++) excess[g] = MeanOver(rec->excess_loo + RD_IDX2(g, 0, NR), first, last);
  meas->excess_loss_se = JackknifeError(excess, G);
  PetscCall(PetscFree3(intercepts, slopes, excess));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Slope through the origin of the mean angle (radians) against t, over the records before the
 * angle first exceeds 45 degrees (beyond that a rotation out of h_s(0)'s plane saturates). */
static void EstimateRotation(const RdReplicaConfig *c, const Recorder *rec, RdReplicaMeasurement *meas)
{
  PetscInt first, last;
  EstimateWindow(c, meas, &first, &last);
  for (PetscInt s = 0; s < rec->K; s++) {
    const double *angle = meas->rotation_angle + RD_IDX2(s, 0, rec->n_records);
    double        stt = 0.0, sta = 0.0;
    for (PetscInt a = 1; a < last && angle[a] <= ROTATION_FIT_LIMIT_DEG; a++) {
      stt += meas->time[a] * meas->time[a];
      sta += meas->time[a] * angle[a] * PETSC_PI / 180.0;
    }
    meas->rotation_rate[s] = stt > 0.0 ? sta / stt : RD_NAN;
  }
}

/* Replica 0's MSD over the window: mean over start records of |h_s(t + lag) - h_s(t)|^2. */
static void EstimateMSD(const RdReplicaConfig *c, const Recorder *rec, RdReplicaMeasurement *meas)
{
  const PetscInt m = rec->m, NR = rec->n_records;
  PetscInt       first, last;
  EstimateWindow(c, meas, &first, &last);
  for (PetscInt l = 0; l < meas->num_msd_lags; l++) {
    const PetscInt lag = l + 1;
    meas->msd_lag[l]   = (double)lag * (double)c->record_every;
    for (PetscInt s = 0; s < rec->K; s++) {
      const double *traj = rec->trajectory + RD_IDX3(s, 0, 0, NR, m);
      double        sum = 0.0, count = 0.0;
      for (PetscInt a = first; a + lag < last; a++) {
        for (PetscInt i = 0; i < m; i++) {
          const double delta = traj[RD_IDX2(a + lag, i, m)] - traj[RD_IDX2(a, i, m)];
          sum += delta * delta;
        }
        count += 1.0;
      }
      meas->msd[RD_IDX2(s, l, meas->num_msd_lags)] = count > 0.0 ? sum / count : RD_NAN;
    }
  }
}

/* ------------------------------------------------------------------------------------------ */
/* The protocol                                                                                 */

static PetscErrorCode MeasurementAllocate(const RdReplicaConfig *c, RdReplicaMeasurement *meas)
{
  const PetscInt K = c->task->num_stimuli, NR = c->num_steps / c->record_every + 1;
  const PetscInt first = (c->relax_steps + c->record_every - 1) / c->record_every;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(meas, sizeof(*meas)));
  meas->num_stimuli  = K;
  meas->num_records  = NR;
  meas->num_msd_lags = PetscMin(c->msd_max_lag, NR - 1 - first);
  PetscCall(PetscMalloc6(NR, &meas->time, K * NR, &meas->variance, K * NR, &meas->rotation_angle, NR, &meas->excess_loss_curve, PetscMax(meas->num_msd_lags, 1), &meas->msd_lag, K * PetscMax(meas->num_msd_lags, 1), &meas->msd));
  PetscCall(PetscMalloc6(K, &meas->h_start_norm2, K, &meas->fluctuation, K, &meas->fluctuation_se, K, &meas->diffusion, K, &meas->diffusion_se, K, &meas->diffusion_normalized));
  PetscCall(PetscMalloc2(K, &meas->diffusion_normalized_se, K, &meas->rotation_rate));
  for (PetscInt a = 0; a < NR; a++) meas->time[a] = (double)a * (double)c->record_every;
  for (PetscInt a = 0; a < K * NR; a++) meas->variance[a] = meas->rotation_angle[a] = RD_NAN;
  for (PetscInt a = 0; a < NR; a++) meas->excess_loss_curve[a] = RD_NAN;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every estimate NaN: a diverged run measures nothing. */
static void MeasurementNaN(RdReplicaMeasurement *meas)
{
  meas->excess_loss = meas->excess_loss_se = RD_NAN;
  for (PetscInt s = 0; s < meas->num_stimuli; s++) {
    meas->fluctuation[s] = meas->fluctuation_se[s] = meas->diffusion[s] = meas->diffusion_se[s] = RD_NAN;
    meas->diffusion_normalized[s] = meas->diffusion_normalized_se[s] = meas->rotation_rate[s] = RD_NAN;
  }
  for (PetscInt a = 0; a < meas->num_stimuli * PetscMax(meas->num_msd_lags, 1); a++) meas->msd[a] = RD_NAN;
  for (PetscInt l = 0; l < meas->num_msd_lags; l++) meas->msd_lag[l] = RD_NAN;
}

/* Records every record_every steps until the end or the first non-finite loss. */
static PetscErrorCode RunReplicas(const RdReplicaConfig *c, const double *W1, const double *W2, RdReplicaMeasurement *meas)
{
  const RdTask *task = c->task;
  RdReplicaSet  set;
  Recorder      rec;
  PetscBool     finite = PETSC_TRUE;

  PetscFunctionBeginUser;
  PetscCall(RdReplicaSetCreate(c->num_replicas, task->input_dim, c->width, task->output_dim, c->seed, c->stream_id, 0, &set));
  RdReplicaSetStart(&set, W1, W2);
  PetscCall(RecorderCreate(c, meas->num_records, &rec));
  Record(c, &set, 0, &rec, meas, &finite);
  for (PetscInt a = 1; a < meas->num_records && finite; a++) {
    PetscCall(RdReplicaSetAdvance(&set, &c->hyper, task, c->record_every));
    Record(c, &set, a, &rec, meas, &finite);
    if (finite) meas->steps_completed = a * c->record_every;
  }
  meas->diverged = finite ? PETSC_FALSE : PETSC_TRUE;
  if (meas->diverged) MeasurementNaN(meas);
  else {
    PetscCall(EstimateVariance(c, &rec, meas));
    EstimateRotation(c, &rec, meas);
    EstimateMSD(c, &rec, meas);
  }
  PetscCall(RecorderDestroy(&rec));
  PetscCall(RdReplicaSetDestroy(&set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReplicaRun(const RdReplicaConfig *c, RdReplicaMeasurement *meas)
{
  const PetscInt m = c->width, n = c->task ? c->task->input_dim : 0, d = c->task ? c->task->output_dim : 0;
  double        *W1, *W2, L_star, grad_norm;
  PetscErrorCode minimum_error;

  PetscFunctionBeginUser;
  PetscCall(ValidateConfig(c));
  PetscCall(PetscMalloc2(m * n, &W1, d * m, &W2));
  minimum_error = RdTheoryMinimum(c->task, m, &c->hyper, c->seed, c->stream_id, W1, W2, &L_star, &grad_norm);
  if (minimum_error) PetscCall(PetscFree2(W1, W2));
  PetscCall(minimum_error);
  PetscCall(MeasurementAllocate(c, meas));
  meas->L_star = L_star;
  PetscCall(RunReplicas(c, W1, W2, meas));
  PetscCall(PetscFree2(W1, W2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReplicaMeasurementDestroy(RdReplicaMeasurement *meas)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree6(meas->time, meas->variance, meas->rotation_angle, meas->excess_loss_curve, meas->msd_lag, meas->msd));
  PetscCall(PetscFree6(meas->h_start_norm2, meas->fluctuation, meas->fluctuation_se, meas->diffusion, meas->diffusion_se, meas->diffusion_normalized));
  PetscCall(PetscFree2(meas->diffusion_normalized_se, meas->rotation_rate));
  PetscFunctionReturn(PETSC_SUCCESS);
}
