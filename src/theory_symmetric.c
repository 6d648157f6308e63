/* The drift theory at an isolated minimum of the dropout objective, by the minimum's unit types.
 *
 * Dropout leaves the expected loss L a discrete symmetry: permutations of the hidden units and the
 * sign flip (w_j, v_j) -> (-w_j, -v_j) of one unit (w_j = W1[j, :], v_j = W2[:, j]). The minima
 * the descent finds are made of a few unit types: unit j of type t carries sigma_j theta_t
 * (sigma_j = +-1), c_t units per type (the default task: 4-6 types at widths 16-256, e.g. 54, 97,
 * 73 and 32 units at width 256). The permutations among a type's units fix theta* and leave the
 * distribution of one presentation's gradient unchanged (the mask is iid over units), so they
 * commute with H and with C. Let B_jl be the k x k block (k = n + d) of H between units j and l,
 * sign-flipped to sigma_j sigma_l B_jl: it depends only on the types, B_jj = D_t and B_jl = A_tt'
 * (j != l). The parameter space splits into invariant subspaces:
 *   - the type-mean sector, T k dimensions: unit j moves by sigma_j u_t / sqrt(c_t), and
 *       H_mean[t, t'] = delta_tt' D_t + (sqrt(c_t c_t') - delta_tt') A_tt';
 *   - per type with c_t >= 2, c_t - 1 copies of a zero-sum sector: unit j moves by sigma_j z_j phi
 *     with sum_j z_j = 0, and H acts on phi as D_t - A_tt, the same in every copy.
 * C splits alike. The linearised SGD is then one T k-dimensional OU process and c_t - 1 identical
 * k-dimensional ones per type; the stationary covariance, its build-up and the lagged covariances
 * are those of the small sectors, and the hidden-layer covariance at width m follows as
 *   Cov(h_j, h_l) = sigma_j sigma_l [delta_jl alpha_t - delta_tt' alpha_t / c_t + beta_tt' / sqrt(c_t c_t')]
 * (j of type t, l of type t'; alpha_t from the zero-sum sector, beta from the mean sector). Exact:
 * the dense theory's numbers up to rounding (tests/unit/test_theory_symmetric.c), at a cost of
 * O(m) gradient-sized operations plus (T k)^3 instead of (m k)^3.
 *
 * The types are read off theta* (units within 1e-5 of the largest unit norm of each other, up to
 * sign, well separated from the other types); theta* is then made exactly symmetric (each type the
 * mean of its units) and polished by Newton steps in the type-mean sector, where the gradient of a
 * symmetric point lies. A minimum without such structure (too many types) gets no prediction. */
#include "theory_impl.h"

#define TYPE_TOLERANCE  1e-5 /* units within this fraction of the largest unit norm: one type */
#define TYPE_SEPARATION 100  /* types lie this many times farther apart than their units' spread */
#define POLISH_STEPS    30   /* Newton steps in the type-mean sector */
#define NORMAL_KEEP     1e-7 /* as theory.c: eigenvalues of H above 1e-7 h_max are normal modes */
#define MAX_MEAN_SECTOR 2400 /* T k above this: the mean sector is no cheaper than the dense theory */

struct RdTheorySectors {
  PetscInt  m, n, d, k, T, Nm; /* width, input and output dims, k = n + d, types, Nm = T k */
  PetscInt  K;                 /* stimuli */
  double    eta;
  double   *stimuli;           /* [K][n] the task's x_s */
  PetscInt *type, *count;      /* [m] type of each unit, [T] units per type */
  PetscInt *first, *second;    /* [T] two units of each type (second = -1 when c_t = 1) */
  double   *sign;              /* [m] sigma_j */
  double   *mean_k, *mean_vec, *mean_S; /* [Nm] eta h_i, [Nm][Nm] eigenvectors (rows), stationary S */
  double   *zs_k, *zs_vec, *zs_S;       /* [T][k], [T][k][k], [T][k][k] (types with c_t = 1 unused) */
  double   *mean_force;                  /* [Nm] v_i . f of the mean sector (the criterion's force) */
};
typedef struct RdTheorySectors Sectors;

/* ------------------------------------------------------------------------------------------ */
/* Units and types                                                                              */

/* Unit j's parameters (W1[j, :], W2[:, j]) into u [k]. */
static void GetUnit(const double *W1, const double *W2, PetscInt m, PetscInt n, PetscInt d, PetscInt j, double *u)
{
  for (PetscInt a = 0; a < n; a++) u[a] = W1[RD_IDX2(j, a, n)];
  for (PetscInt r = 0; r < d; r++) u[n + r] = W2[RD_IDX2(r, j, m)];
}

static void SetUnit(double *W1, double *W2, PetscInt m, PetscInt n, PetscInt d, PetscInt j, double scale, const double *u)
{
  for (PetscInt a = 0; a < n; a++) W1[RD_IDX2(j, a, n)] = scale * u[a];
  for (PetscInt r = 0; r < d; r++) W2[RD_IDX2(r, j, m)] = scale * u[n + r];
}

/* |a - sign b| over k entries */
static double UnitDistance(PetscInt k, const double *a, const double *b, double sign)
{
  double sum = 0.0;
  for (PetscInt i = 0; i < k; i++) sum += (a[i] - sign * b[i]) * (a[i] - sign * b[i]);
  return sqrt(sum);
}

static PetscErrorCode SectorsCreate(const RdTask *task, PetscInt m, double eta, Sectors **out)
{
  const PetscInt n = task->input_dim, d = task->output_dim;
  Sectors       *sec;

  PetscFunctionBeginUser;
  PetscCall(PetscNew(&sec));
  sec->m = m, sec->n = n, sec->d = d, sec->k = n + d, sec->eta = eta, sec->K = task->num_stimuli;
  PetscCall(PetscMalloc5(m, &sec->type, m, &sec->count, m, &sec->first, m, &sec->second, m, &sec->sign));
  PetscCall(PetscMalloc1(sec->K * n, &sec->stimuli));
  PetscCall(PetscArraycpy(sec->stimuli, task->stimuli, sec->K * n));
  *out = sec;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheorySectorsDestroy(struct RdTheorySectors **sectors)
{
  Sectors *sec = *sectors;

  PetscFunctionBeginUser;
  if (!sec) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscFree5(sec->type, sec->count, sec->first, sec->second, sec->sign));
  PetscCall(PetscFree3(sec->mean_k, sec->mean_vec, sec->mean_S));
  PetscCall(PetscFree3(sec->zs_k, sec->zs_vec, sec->zs_S));
  PetscCall(PetscFree(sec->stimuli));
  PetscCall(PetscFree(sec->mean_force));
  PetscCall(PetscFree(sec));
  *sectors = NULL;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Assigns every unit to the first type whose first unit it matches up to sign within the
 * tolerance; *separated: the types' first units lie TYPE_SEPARATION times farther apart than any
 * unit from its type's first unit. */
static PetscErrorCode DetectTypes(const double *W1, const double *W2, Sectors *sec, PetscBool *separated)
{
  const PetscInt m = sec->m, n = sec->n, d = sec->d, k = sec->k;
  double        *units, largest = 0.0, spread = 0.0, apart = INFINITY;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(m * k, &units));
  for (PetscInt j = 0; j < m; j++) {
    GetUnit(W1, W2, m, n, d, j, units + j * k);
    largest = PetscMax(largest, RdNorm(units + j * k, k));
  }
  sec->T = 0;
  for (PetscInt j = 0; j < m; j++) {
    double   best = INFINITY, best_sign = 1.0;
    PetscInt best_type = -1;
    for (PetscInt t = 0; t < sec->T; t++)
      for (int s = 1; s >= -1; s -= 2) {
        const double distance = UnitDistance(k, units + j * k, units + sec->first[t] * k, (double)s);
        if (distance < best) best = distance, best_type = t, best_sign = s;
      }
    if (best_type >= 0 && best <= TYPE_TOLERANCE * largest) {
      sec->type[j] = best_type, sec->sign[j] = best_sign;
      if (sec->count[best_type]++ == 1) sec->second[best_type] = j;
      spread = PetscMax(spread, best);
    } else {
      sec->type[j] = sec->T, sec->sign[j] = 1.0;
      sec->first[sec->T] = j, sec->second[sec->T] = -1, sec->count[sec->T] = 1;
      sec->T++;
    }
  }
  for (PetscInt t = 0; t < sec->T; t++)
    for (PetscInt u = 0; u < t; u++) apart = PetscMin(apart, PetscMin(UnitDistance(k, units + sec->first[t] * k, units + sec->first[u] * k, 1.0), UnitDistance(k, units + sec->first[t] * k, units + sec->first[u] * k, -1.0)));
  *separated = sec->T == 1 || apart > TYPE_SEPARATION * spread ? PETSC_TRUE : PETSC_FALSE;
  sec->Nm    = sec->T * k;
  PetscCall(PetscFree(units));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Each type's parameters: the mean of sigma_j theta_j over its units; the network rebuilt from them. */
static PetscErrorCode Symmetrize(const Sectors *sec, double *W1, double *W2, double *types)
{
  const PetscInt m = sec->m, n = sec->n, d = sec->d, k = sec->k;
  double        *u;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(k, &u));
  for (PetscInt a = 0; a < sec->T * k; a++) types[a] = 0.0;
  for (PetscInt j = 0; j < m; j++) {
    GetUnit(W1, W2, m, n, d, j, u);
    for (PetscInt a = 0; a < k; a++) types[sec->type[j] * k + a] += sec->sign[j] * u[a] / (double)sec->count[sec->type[j]];
  }
  for (PetscInt j = 0; j < m; j++) SetUnit(W1, W2, m, n, d, j, sec->sign[j], types + sec->type[j] * k);
  PetscCall(PetscFree(u));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Sector matrices                                                                              */

/* The representative units: first and second of each type. */
static PetscInt Representatives(const Sectors *sec, PetscInt *units, PetscInt *slot_first, PetscInt *slot_second)
{
  PetscInt count = 0;
  for (PetscInt t = 0; t < sec->T; t++) {
    slot_first[t] = count, units[count++] = sec->first[t];
    slot_second[t] = sec->second[t] >= 0 ? count : -1;
    if (sec->second[t] >= 0) units[count++] = sec->second[t];
  }
  return count;
}

/* From the blocks of a unit-restricted matrix X [nu k][nu k] (H or C) between the representatives:
 * the type-mean sector matrix [Nm][Nm] and the zero-sum sector matrices [T][k][k]. */
static void SectorMatrices(const Sectors *sec, PetscInt nu, const PetscInt *units, const PetscInt *slot_first, const PetscInt *slot_second, const double *X, double *mean, double *zero_sum)
{
  const PetscInt k = sec->k, Nm = sec->Nm, Pu = nu * k;
#define BLOCK(su, sv, a, b) (sec->sign[units[su]] * sec->sign[units[sv]] * X[RD_IDX2((su) * k + (a), (sv) * k + (b), Pu)])
  for (PetscInt t = 0; t < sec->T; t++)
    for (PetscInt u = 0; u < sec->T; u++) {
      const double   ct = (double)sec->count[t], cu = (double)sec->count[u];
      const double   coupling = t == u ? ct - 1.0 : sqrt(ct * cu);
      const PetscInt other = t == u ? slot_second[u] : slot_first[u];
      for (PetscInt a = 0; a < k; a++)
        for (PetscInt b = 0; b < k; b++) {
          double value = t == u ? BLOCK(slot_first[t], slot_first[t], a, b) : 0.0;
          if (other >= 0 && coupling != 0.0) value += coupling * BLOCK(slot_first[t], other, a, b);
          mean[RD_IDX2(t * k + a, u * k + b, Nm)] = value;
        }
    }
  for (PetscInt t = 0; t < sec->T; t++)
    for (PetscInt a = 0; a < k; a++)
      for (PetscInt b = 0; b < k; b++) zero_sum[RD_IDX3(t, a, b, k, k)] = slot_second[t] >= 0 ? BLOCK(slot_first[t], slot_first[t], a, b) - BLOCK(slot_first[t], slot_second[t], a, b) : 0.0;
#undef BLOCK
  /* exact symmetry up to rounding */
  for (PetscInt i = 0; i < Nm; i++)
    for (PetscInt j = 0; j < i; j++) mean[RD_IDX2(i, j, Nm)] = mean[RD_IDX2(j, i, Nm)] = 0.5 * (mean[RD_IDX2(i, j, Nm)] + mean[RD_IDX2(j, i, Nm)]);
  for (PetscInt t = 0; t < sec->T; t++)
    for (PetscInt a = 0; a < k; a++)
      for (PetscInt b = 0; b < a; b++) zero_sum[RD_IDX3(t, a, b, k, k)] = zero_sum[RD_IDX3(t, b, a, k, k)] = 0.5 * (zero_sum[RD_IDX3(t, a, b, k, k)] + zero_sum[RD_IDX3(t, b, a, k, k)]);
}

/* The type-mean sector Hessian at the symmetric point (W1, W2). */
static PetscErrorCode MeanHessian(const RdTask *task, const RdLinearHyper *hyper, const Sectors *sec, const double *W1, const double *W2, double *mean, double *zero_sum)
{
  const PetscInt k = sec->k, T = sec->T;
  PetscInt      *units, *slot_first, *slot_second, nu;
  double        *H;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(2 * T, &units, T, &slot_first, T, &slot_second));
  nu = Representatives(sec, units, slot_first, slot_second);
  PetscCall(PetscMalloc1((size_t)nu * k * nu * k, &H));
  PetscCall(RdTheoryHessianUnits(task, sec->m, hyper, W1, W2, nu, units, H));
  SectorMatrices(sec, nu, units, slot_first, slot_second, H, mean, zero_sum);
  PetscCall(PetscFree(H));
  PetscCall(PetscFree3(units, slot_first, slot_second));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* g in type-mean coordinates: g_mean[t] = sum_{j of type t} sigma_j g_j / sqrt(c_t). */
static void MeanProjection(const Sectors *sec, const double *g_W1, const double *g_W2, double *g_mean)
{
  const PetscInt m = sec->m, n = sec->n, d = sec->d, k = sec->k;
  for (PetscInt a = 0; a < sec->Nm; a++) g_mean[a] = 0.0;
  for (PetscInt j = 0; j < m; j++) {
    const PetscInt t = sec->type[j];
    const double   w = sec->sign[j] / sqrt((double)sec->count[t]);
    for (PetscInt a = 0; a < n; a++) g_mean[t * k + a] += w * g_W1[RD_IDX2(j, a, n)];
    for (PetscInt r = 0; r < d; r++) g_mean[t * k + n + r] += w * g_W2[RD_IDX2(r, j, m)];
  }
}

/* Newton steps in the type-mean sector (the gradient of a symmetric point lies there) until the
 * gradient stops shrinking; *gradient_norm: |grad L| of the whole network at the end. */
static PetscErrorCode Polish(const RdTask *task, const RdLinearHyper *hyper, const Sectors *sec, double *W1, double *W2, double *types, double *gradient_norm)
{
  const PetscInt m = sec->m, n = sec->n, d = sec->d, k = sec->k, Nm = sec->Nm, off = m * n;
  double        *grad, *g_mean, *Hm, *zs, *eig, *vec, *step, loss, previous = INFINITY;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(m * (n + d), &grad, Nm, &g_mean, Nm * Nm, &Hm, sec->T * k * k, &zs, Nm, &eig, Nm * Nm, &vec));
  PetscCall(PetscMalloc1(Nm, &step));
  for (PetscInt it = 0;; it++) {
    PetscCall(RdTheoryPopulationGradient(task, m, hyper, W1, W2, grad, grad + off, &loss));
    *gradient_norm = RdNorm(grad, m * (n + d));
    if (it == POLISH_STEPS || !(*gradient_norm < 0.5 * previous) || *gradient_norm == 0.0) break;
    previous = *gradient_norm;
    MeanProjection(sec, grad, grad + off, g_mean);
    PetscCall(MeanHessian(task, hyper, sec, W1, W2, Hm, zs));
    PetscCall(RdTheorySymmetricEigen(Nm, Hm, eig, vec));
    if (!(eig[Nm - 1] > 0.0)) break; /* not a minimum: the sector check below says so */
    for (PetscInt a = 0; a < Nm; a++) step[a] = 0.0;
    for (PetscInt i = 0; i < Nm; i++) {
      const double coefficient = -RdDot(vec + RD_IDX2(i, 0, Nm), g_mean, Nm) / eig[i];
      for (PetscInt a = 0; a < Nm; a++) step[a] += coefficient * vec[RD_IDX2(i, a, Nm)];
    }
    for (PetscInt t = 0; t < sec->T; t++)
      for (PetscInt a = 0; a < k; a++) types[t * k + a] += step[t * k + a] / sqrt((double)sec->count[t]);
    for (PetscInt j = 0; j < m; j++) SetUnit(W1, W2, m, n, d, j, sec->sign[j], types + sec->type[j] * k);
  }
  PetscCall(PetscFree6(grad, g_mean, Hm, zs, eig, vec));
  PetscCall(PetscFree(step));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Sector OU processes                                                                          */

/* Eigenpairs of the sector Hessian Hs [N][N] (overwritten), k_i = eta h_i, and the stationary
 * covariance S_ij = Q_ij / (k_i + k_j - k_i k_j), Q = eta^2 V C V^T, in its eigenbasis. */
static PetscErrorCode SectorProcess(PetscInt N, double eta, double *Hs, const double *Cs, double *h, double *kk, double *vec, double *S)
{
  double *VC, *Q;

  PetscFunctionBeginUser;
  PetscCall(RdTheorySymmetricEigen(N, Hs, h, vec));
  PetscCall(PetscMalloc2(N * N, &VC, N * N, &Q));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, N, N, N, 1.0, vec, Cs, 0.0, VC));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_TRUE, N, N, N, eta * eta, VC, vec, 0.0, Q));
  for (PetscInt i = 0; i < N; i++) kk[i] = eta * h[i];
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt j = 0; j < N; j++) S[RD_IDX2(i, j, N)] = 0.5 * (Q[RD_IDX2(i, j, N)] + Q[RD_IDX2(j, i, N)]) / (kk[i] + kk[j] - kk[i] * kk[j]);
  PetscCall(PetscFree2(VC, Q));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* y^T G z with y_i = vec_i . (x on the W1 entries of block `block`), over the sector's eigenbasis. */
static double Loaded(PetscInt N, PetscInt n, const double *vec, const double *G, const double *x, PetscInt block_y, PetscInt block_z, PetscInt k, double *y, double *z)
{
  double sum = 0.0;
  for (PetscInt i = 0; i < N; i++) {
    y[i] = RdDot(vec + RD_IDX2(i, block_y * k, N), x, n);
    z[i] = RdDot(vec + RD_IDX2(i, block_z * k, N), x, n);
  }
  for (PetscInt i = 0; i < N; i++) sum += y[i] * RdDot(G + RD_IDX2(i, 0, N), z, N);
  return sum;
}

/* alpha_t (zero-sum) and beta_tt' (mean) of stimulus x for the lag pair. */
static PetscErrorCode SectorLoadings(const Sectors *sec, const double *x, double t_later, double t_earlier, double *alpha, double *beta)
{
  const PetscInt k = sec->k, Nm = sec->Nm, T = sec->T, n = sec->n;
  double        *G, *y, *z;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(Nm * Nm, &G, Nm, &y, Nm, &z));
  RdTheoryLagged(Nm, sec->mean_k, sec->mean_S, t_later, t_earlier, G);
  for (PetscInt t = 0; t < T; t++)
    for (PetscInt u = 0; u < T; u++) beta[RD_IDX2(t, u, T)] = Loaded(Nm, n, sec->mean_vec, G, x, t, u, k, y, z);
  for (PetscInt t = 0; t < T; t++) {
    alpha[t] = 0.0;
    if (sec->count[t] < 2) continue;
    RdTheoryLagged(k, sec->zs_k + t * k, sec->zs_S + t * k * k, t_later, t_earlier, G);
    alpha[t] = Loaded(k, n, sec->zs_vec + t * k * k, G, x, 0, 0, k, y, z);
  }
  PetscCall(PetscFree3(G, y, z));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* tr Cov(h_s(t_later), h_s(t_earlier)) = sum_t (c_t - 1) alpha_t + beta_tt. */
static PetscErrorCode SectorTrace(const Sectors *sec, const double *x, double t_later, double t_earlier, double *trace)
{
  double *alpha, *beta;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(sec->T, &alpha, sec->T * sec->T, &beta));
  PetscCall(SectorLoadings(sec, x, t_later, t_earlier, alpha, beta));
  *trace = 0.0;
  for (PetscInt t = 0; t < sec->T; t++) *trace += (double)(sec->count[t] - 1) * alpha[t] + beta[RD_IDX2(t, t, sec->T)];
  PetscCall(PetscFree2(alpha, beta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheorySectorsTrace(const RdTheoryResult *res, PetscInt stimulus, double t_later, double t_earlier, double *trace)
{
  const Sectors *sec = res->sectors;

  PetscFunctionBeginUser;
  PetscCall(SectorTrace(sec, sec->stimuli + RD_IDX2(stimulus, 0, sec->n), t_later, t_earlier, trace));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheorySectorsHiddenCovariance(const RdTheoryResult *res, PetscInt stimulus, double t_later, double t_earlier, double *covariance)
{
  const Sectors *sec = res->sectors;
  const PetscInt m = sec->m, T = sec->T;
  double        *alpha, *beta;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(T, &alpha, T * T, &beta));
  PetscCall(SectorLoadings(sec, sec->stimuli + RD_IDX2(stimulus, 0, sec->n), t_later, t_earlier, alpha, beta));
  for (PetscInt j = 0; j < m; j++)
    for (PetscInt l = 0; l < m; l++) {
      const PetscInt t = sec->type[j], u = sec->type[l];
      double         value = beta[RD_IDX2(t, u, T)] / sqrt((double)sec->count[t] * (double)sec->count[u]);
      if (t == u) value += ((j == l ? 1.0 : 0.0) - 1.0 / (double)sec->count[t]) * alpha[t];
      covariance[RD_IDX2(j, l, m)] = sec->sign[j] * sec->sign[l] * value;
    }
  PetscCall(PetscFree2(alpha, beta));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* mu(t) in type-mean coordinates: -sum_i v_i (v_i . f) / h_i (1 - (1 - k_i)^t). */
static PetscErrorCode MeanShift(const Sectors *sec, double t, double *mu)
{
  const PetscInt Nm = sec->Nm;

  PetscFunctionBeginUser;
  for (PetscInt a = 0; a < Nm; a++) mu[a] = 0.0;
  for (PetscInt i = 0; i < Nm; i++) {
    const double *v           = sec->mean_vec + RD_IDX2(i, 0, Nm);
    const double  coefficient = -sec->mean_force[i] * sec->eta / sec->mean_k[i] * (1.0 - RdTheoryDecay(sec->mean_k[i], t));
    for (PetscInt a = 0; a < Nm; a++) mu[a] += coefficient * v[a];
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheorySectorsNoiseShift(const RdTheoryResult *res, PetscInt stimulus, double t, double *shift)
{
  const Sectors *sec = res->sectors;
  const double  *x   = sec->stimuli + RD_IDX2(stimulus, 0, sec->n);
  double        *mu;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(sec->Nm, &mu));
  PetscCall(MeanShift(sec, t, mu));
  for (PetscInt j = 0; j < sec->m; j++) {
    const PetscInt type = sec->type[j];
    shift[j]            = sec->sign[j] * RdDot(mu + type * sec->k, x, sec->n) / sqrt((double)sec->count[type]);
  }
  PetscCall(PetscFree(mu));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The nonlinearity criterion                                                                   */

/* Columns [N][N] of sqrt(X) for a symmetric positive semi-definite X (overwritten). */
static PetscErrorCode SquareRootColumns(PetscInt N, double *X, double *columns)
{
  double *eig, *vec;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc2(N, &eig, N * N, &vec));
  PetscCall(RdTheorySymmetricEigen(N, X, eig, vec));
  for (PetscInt c = 0; c < N; c++)
    for (PetscInt a = 0; a < N; a++) columns[RD_IDX2(c, a, N)] = sqrt(PetscMax(eig[c], 0.0)) * vec[RD_IDX2(c, a, N)];
  PetscCall(PetscFree2(eig, vec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Unit-coordinate covariance V^T G V of a sector with eigenvectors vec (rows) [N][N]. */
static PetscErrorCode UnitCovariance(PetscInt N, const double *vec, const double *G, double *out)
{
  double *GV;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(N * N, &GV));
  PetscCall(RdTheoryGemm(PETSC_FALSE, PETSC_FALSE, N, N, N, 1.0, G, vec, 0.0, GV));
  PetscCall(RdTheoryGemm(PETSC_TRUE, PETSC_FALSE, N, N, N, 1.0, vec, GV, 0.0, out));
  for (PetscInt i = 0; i < N; i++)
    for (PetscInt j = 0; j < i; j++) out[RD_IDX2(i, j, N)] = out[RD_IDX2(j, i, N)] = 0.5 * (out[RD_IDX2(i, j, N)] + out[RD_IDX2(j, i, N)]);
  PetscCall(PetscFree(GV));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* max_s |J_s mu|^2 / F_s(window) (theory_nonlinear.c). The force is projected on the type-mean
 * sector, where it lies by symmetry; the zero-sum sectors enter through one unit of each type:
 * summed over an orthonormal basis of a type's zero-sum copies, T(z phi, z phi) = sum over its
 * units of T(one unit phi) - T(mean phi), and the units' terms project alike. */
static PetscErrorCode Nonlinearity(const RdTask *task, const RdLinearHyper *hyper, Sectors *sec, const double *W1, const double *W2, double window, double *value)
{
  const PetscInt m = sec->m, n = sec->n, d = sec->d, k = sec->k, Nm = sec->Nm, T = sec->T, P = m * k, off = m * n;
  const double   t_w = window > 0.0 ? window : INFINITY;
  double        *theta, *G, *X, *roots, *columns, *weights, *force, *f_mean, *mu;
  PetscInt       num = 0;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc6(P, &theta, Nm * Nm, &G, Nm * Nm, &X, Nm * Nm, &roots, (size_t)(Nm + 2 * T * k) * P, &columns, Nm + 2 * T * k, &weights));
  PetscCall(PetscMalloc3(P, &force, Nm, &f_mean, Nm, &mu));
  PetscCall(PetscArraycpy(theta, W1, off));
  PetscCall(PetscArraycpy(theta + off, W2, d * m));
  for (size_t a = 0; a < (size_t)(Nm + 2 * T * k) * P; a++) columns[a] = 0.0;
  /* type-mean sector: columns of sqrt(Sigma_mean(t_w)) spread over the units */
  RdTheoryLagged(Nm, sec->mean_k, sec->mean_S, t_w, t_w, G);
  PetscCall(UnitCovariance(Nm, sec->mean_vec, G, X));
  PetscCall(SquareRootColumns(Nm, X, roots));
  for (PetscInt c = 0; c < Nm; c++, num++) {
    double *f = columns + (size_t)num * P;
    weights[num] = 1.0;
    for (PetscInt j = 0; j < m; j++) {
      const PetscInt t = sec->type[j];
      const double   w = sec->sign[j] / sqrt((double)sec->count[t]);
      for (PetscInt a = 0; a < n; a++) f[RD_IDX2(j, a, n)] = w * roots[RD_IDX2(c, t * k + a, Nm)];
      for (PetscInt r = 0; r < d; r++) f[off + RD_IDX2(r, j, m)] = w * roots[RD_IDX2(c, t * k + n + r, Nm)];
    }
  }
  /* zero-sum sectors */
  for (PetscInt t = 0; t < T; t++) {
    if (sec->count[t] < 2) continue;
    RdTheoryLagged(k, sec->zs_k + t * k, sec->zs_S + t * k * k, t_w, t_w, G);
    PetscCall(UnitCovariance(k, sec->zs_vec + t * k * k, G, X));
    PetscCall(SquareRootColumns(k, X, roots));
    for (PetscInt c = 0; c < k; c++) {
      double *one = columns + (size_t)num * P, *spread = columns + (size_t)(num + 1) * P;
      const PetscInt j0 = sec->first[t];
      weights[num] = (double)sec->count[t], weights[num + 1] = -1.0;
      for (PetscInt a = 0; a < n; a++) one[RD_IDX2(j0, a, n)] = sec->sign[j0] * roots[RD_IDX2(c, a, k)];
      for (PetscInt r = 0; r < d; r++) one[off + RD_IDX2(r, j0, m)] = sec->sign[j0] * roots[RD_IDX2(c, n + r, k)];
      for (PetscInt j = 0; j < m; j++) {
        if (sec->type[j] != t) continue;
        const double w = sec->sign[j] / sqrt((double)sec->count[t]);
        for (PetscInt a = 0; a < n; a++) spread[RD_IDX2(j, a, n)] = w * roots[RD_IDX2(c, a, k)];
        for (PetscInt r = 0; r < d; r++) spread[off + RD_IDX2(r, j, m)] = w * roots[RD_IDX2(c, n + r, k)];
      }
      num += 2;
    }
  }
  PetscCall(RdTheoryNoiseInducedForce(task, m, hyper, theta, num, columns, weights, force));
  MeanProjection(sec, force, force + off, f_mean);
  PetscCall(PetscMalloc1(Nm, &sec->mean_force));
  for (PetscInt i = 0; i < Nm; i++) sec->mean_force[i] = RdDot(sec->mean_vec + RD_IDX2(i, 0, Nm), f_mean, Nm);
  *value = 0.0;
  for (PetscInt s = 0; s < task->num_stimuli; s++) {
    const double *x = task->stimuli + RD_IDX2(s, 0, n);
    double        shift = 0.0, F;
    PetscCall(MeanShift(sec, t_w, mu));
    for (PetscInt t = 0; t < T; t++) shift += RdDot(mu + t * k, x, n) * RdDot(mu + t * k, x, n);
    PetscCall(SectorTrace(sec, x, t_w, t_w, &F));
    *value = PetscMax(*value, shift / F);
  }
  PetscCall(PetscFree6(theta, G, X, roots, columns, weights));
  PetscCall(PetscFree3(force, f_mean, mu));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The theory                                                                                   */

/* rank of W1 [m][n] from the n x n Gram matrix (squared singular values above 1e-12 of the top) */
static PetscErrorCode Rank(PetscInt m, PetscInt n, const double *W1, PetscInt *rank)
{
  double *gram, *eig, *vec;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(n * n, &gram, n, &eig, n * n, &vec));
  for (PetscInt a = 0; a < n; a++)
    for (PetscInt b = 0; b < n; b++) {
      double sum = 0.0;
      for (PetscInt j = 0; j < m; j++) sum += W1[RD_IDX2(j, a, n)] * W1[RD_IDX2(j, b, n)];
      gram[RD_IDX2(a, b, n)] = sum;
    }
  PetscCall(RdTheorySymmetricEigen(n, gram, eig, vec));
  *rank = 0;
  for (PetscInt i = 0; i < n; i++) *rank += eig[i] > 1e-12 * eig[0] && eig[i] > 0.0;
  PetscCall(PetscFree3(gram, eig, vec));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The sectors' eigenproblems, the minimum check and every prediction. */
static PetscErrorCode SectorTheory(const RdTheoryInput *in, const RdLinearHyper *hyper, Sectors *sec, RdTheoryResult *res)
{
  const RdTask  *task = in->task;
  const PetscInt m = sec->m, n = sec->n, k = sec->k, Nm = sec->Nm, T = sec->T, nunits = 2 * T;
  const double   batch = in->batch > 0 ? (double)in->batch : 1.0;
  PetscInt      *units, *slot_first, *slot_second, nu, below = 0, negative = 0, modes = 0;
  double        *H, *C, *mean_grad, *Hm, *Cm, *Hz, *Cz, *h, h_max = 0.0, h_min = INFINITY, h_lowest = INFINITY;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc3(nunits, &units, T, &slot_first, T, &slot_second));
  nu = Representatives(sec, units, slot_first, slot_second);
  PetscCall(PetscMalloc3((size_t)nu * k * nu * k, &H, (size_t)nu * k * nu * k, &C, nu * k, &mean_grad));
  PetscCall(PetscMalloc5(Nm * Nm, &Hm, Nm * Nm, &Cm, T * k * k, &Hz, T * k * k, &Cz, Nm + T * k, &h));
  PetscCall(RdTheoryHessianUnits(task, m, hyper, res->W1_star, res->W2_star, nu, units, H));
  PetscCall(RdTheoryNoiseCovarianceUnits(task, m, hyper, res->W1_star, res->W2_star, nu, units, C, mean_grad));
  for (PetscInt a = 0; a < nu * k * nu * k; a++) C[a] /= batch;
  SectorMatrices(sec, nu, units, slot_first, slot_second, H, Hm, Hz);
  SectorMatrices(sec, nu, units, slot_first, slot_second, C, Cm, Cz);
  PetscCall(PetscMalloc3(Nm, &sec->mean_k, Nm * Nm, &sec->mean_vec, Nm * Nm, &sec->mean_S));
  PetscCall(PetscCalloc3(T * k, &sec->zs_k, T * k * k, &sec->zs_vec, T * k * k, &sec->zs_S));
  PetscCall(SectorProcess(Nm, sec->eta, Hm, Cm, h, sec->mean_k, sec->mean_vec, sec->mean_S));
  res->noise_trace = 0.0;
  for (PetscInt a = 0; a < Nm; a++) res->noise_trace += Cm[RD_IDX2(a, a, Nm)];
  for (PetscInt t = 0; t < T; t++) {
    if (sec->count[t] < 2) continue;
    PetscCall(SectorProcess(k, sec->eta, Hz + t * k * k, Cz + t * k * k, h + Nm + t * k, sec->zs_k + t * k, sec->zs_vec + t * k * k, sec->zs_S + t * k * k));
    for (PetscInt a = 0; a < k; a++) res->noise_trace += (double)(sec->count[t] - 1) * Cz[RD_IDX3(t, a, a, k, k)];
  }
  /* the spectrum of H: the mean sector's and every zero-sum sector's, with multiplicity c_t - 1 */
  for (PetscInt t = -1; t < T; t++) {
    const PetscInt N = t < 0 ? Nm : k, mult = t < 0 ? 1 : sec->count[t] - 1;
    const double  *ht = t < 0 ? h : h + Nm + t * k;
    for (PetscInt i = 0; i < N && mult > 0; i++) h_max = PetscMax(h_max, ht[i]), h_lowest = PetscMin(h_lowest, ht[i]);
  }
  for (PetscInt t = -1; t < T; t++) {
    const PetscInt N = t < 0 ? Nm : k, mult = t < 0 ? 1 : sec->count[t] - 1;
    const double  *ht = t < 0 ? h : h + Nm + t * k;
    for (PetscInt i = 0; i < N && mult > 0; i++) {
      if (ht[i] > NORMAL_KEEP * h_max) modes += mult, h_min = PetscMin(h_min, ht[i]);
      else below += mult, negative += ht[i] <= -NORMAL_KEEP * h_max ? mult : 0;
    }
  }
  res->hessian_max = h_max;
  res->normal_dim  = modes;
  if (below > 0) {
    res->failure = negative ? RD_THEORY_NOT_A_MINIMUM : RD_THEORY_FLAT_MINIMUM;
    if (negative) PetscCall(PetscSNPrintf(res->why, sizeof res->why, "theta* is not a minimum: H has eigenvalue %.3g (h_max %.3g)", h_lowest, h_max));
    else PetscCall(PetscSNPrintf(res->why, sizeof res->why, "the minimum is not isolated: H has %" PetscInt_FMT " eigenvalues below 1e-7 h_max (a flat family of minima that no symmetry explains)", below));
    RdTheoryPredictionsNaN(0, res);
    res->hessian_max = h_max;
  } else {
    PetscCheck(sec->eta * h_max < 2.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-lr = %g is too large for the drift theory: eta h_max = %g must be < 2 for SGD to be stable at theta*", sec->eta, sec->eta * h_max);
    res->hessian_min          = h_min;
    res->relaxation_steps     = 1.0 / (sec->eta * h_min);
    res->excess_loss          = 0.0;
    res->excess_loss_small_lr = 0.25 * sec->eta * res->noise_trace;
    for (PetscInt i = 0; i < Nm; i++) res->excess_loss += 0.5 * h[i] * sec->mean_S[RD_IDX2(i, i, Nm)];
    for (PetscInt t = 0; t < T; t++)
      for (PetscInt i = 0; i < k && sec->count[t] > 1; i++) res->excess_loss += 0.5 * (double)(sec->count[t] - 1) * h[Nm + t * k + i] * sec->zs_S[RD_IDX3(t, i, i, k, k)];
    res->trace_diffusion = 0.0, res->rotation_rate = 0.0, res->rotation_period = INFINITY;
    for (PetscInt s = 0; s < res->num_stimuli; s++) {
      const double *x = task->stimuli + RD_IDX2(s, 0, n);
      double       *hstar = res->h_star + RD_IDX2(s, 0, m);
      RdTheoryMatMul(m, n, 1, res->W1_star, x, hstar);
      res->h_star_norm2[s] = RdDot(hstar, hstar, m);
      PetscCall(SectorTrace(sec, x, INFINITY, INFINITY, &res->fluctuation[s]));
      res->diffusion[s] = res->diffusion_normalized[s] = res->stimulus_rotation[s] = 0.0;
    }
  }
  PetscCall(PetscFree3(H, C, mean_grad));
  PetscCall(PetscFree5(Hm, Cm, Hz, Cz, h));
  PetscCall(PetscFree3(units, slot_first, slot_second));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* theta* at width m (from the given start or the random init), its types, the exact symmetric
 * minimum; holds = false with failure set where no sector method applies. */
static PetscErrorCode SymmetricMinimum(const RdTheoryInput *in, const RdLinearHyper *hyper, Sectors *sec, RdTheoryResult *res, PetscBool *usable)
{
  const PetscInt m = in->width, n = in->task->input_dim, d = in->task->output_dim;
  double        *types, moved = 0.0, polished, *W1, *W2;
  PetscBool      separated;

  PetscFunctionBeginUser;
  if (in->W1_start) PetscCall(RdTheoryMinimumFrom(in->task, m, hyper, in->W1_start, in->W2_start, res->W1_star, res->W2_star, &res->L_star, &res->grad_norm));
  else PetscCall(RdTheoryMinimum(in->task, m, hyper, in->seed, in->replicate, res->W1_star, res->W2_star, &res->L_star, &res->grad_norm));
  PetscCall(DetectTypes(res->W1_star, res->W2_star, sec, &separated));
  *usable = separated && sec->Nm <= MAX_MEAN_SECTOR ? PETSC_TRUE : PETSC_FALSE;
  if (!*usable) {
    res->failure = RD_THEORY_TOO_COSTLY;
    PetscCall(PetscSNPrintf(res->why, sizeof res->why, "no exact method within the cost limit: theta* has %" PetscInt_FMT " unit types%s (the sector method needs at most %d x k parameters in the type-mean sector)", sec->T, separated ? "" : " that are not well separated", MAX_MEAN_SECTOR));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(PetscMalloc3(sec->T * sec->k, &types, m * n, &W1, d * m, &W2));
  PetscCall(PetscArraycpy(W1, res->W1_star, m * n));
  PetscCall(PetscArraycpy(W2, res->W2_star, d * m));
  PetscCall(Symmetrize(sec, W1, W2, types));
  PetscCall(Polish(in->task, hyper, sec, W1, W2, types, &polished));
  for (PetscInt a = 0; a < m * n; a++) moved = PetscMax(moved, fabs(W1[a] - res->W1_star[a]));
  for (PetscInt a = 0; a < d * m; a++) moved = PetscMax(moved, fabs(W2[a] - res->W2_star[a]));
  PetscCheck(moved < 1e-3, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Drift theory: the symmetric minimum lies %g from the descent's theta*", moved);
  if (!(polished <= PetscMax(res->grad_norm, 1e-13))) { /* no symmetric minimum here (a flat family): the sectors of the symmetrized point give the verdict, theta* stays the descent's */
    PetscCall(PetscFree3(types, W1, W2));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  res->grad_norm = polished;
  PetscCall(PetscArraycpy(res->W1_star, W1, m * n));
  PetscCall(PetscArraycpy(res->W2_star, W2, d * m));
  {
    RdLinearNet net;
    PetscCall(RdLinearNetCreate(n, m, d, &net));
    PetscCall(PetscArraycpy(net.W1, W1, m * n));
    PetscCall(PetscArraycpy(net.W2, W2, d * m));
    res->L_star = RdLinearPopulationLoss(&net, hyper, in->task);
    PetscCall(RdLinearNetDestroy(&net));
  }
  PetscCall(PetscFree3(types, W1, W2));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTheorySymmetricCompute(const RdTheoryInput *in, RdTheoryResult *res)
{
  const RdTask       *task = in->task;
  const PetscInt      m = in->width, n = task->input_dim, d = task->output_dim;
  const RdLinearHyper hyper = {.lr = in->lr, .weight_decay = in->weight_decay, .dropout = in->dropout, .input_noise = in->input_noise, .batch = 1};
  Sectors            *sec = NULL;
  PetscBool           usable;
  PetscErrorCode      step_error;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryResultAllocate(task->num_stimuli, n, d, m, m, 0, PETSC_TRUE, res));
  PetscCall(RdTheoryModesAllocate(1, 0, res));
  for (PetscInt j = 0; j < m; j++) res->hidden_basis[RD_IDX2(j, j, m)] = 1.0;
  res->num_params = m * (n + d);
  res->lr         = in->lr;
  PetscCall(SectorsCreate(task, m, in->lr, &sec));
  res->sectors   = sec;
  res->symmetric = PETSC_TRUE;
  step_error     = SymmetricMinimum(in, &hyper, sec, res, &usable);
  if (!step_error) step_error = Rank(m, n, res->W1_star, &res->hidden_rank);
  if (!step_error && !usable) RdTheoryPredictionsNaN(0, res);
  if (!step_error && usable) step_error = SectorTheory(in, &hyper, sec, res);
  if (!step_error && usable && res->holds) {
    step_error = Nonlinearity(task, &hyper, sec, res->W1_star, res->W2_star, in->window_steps, &res->nonlinearity);
    if (!step_error && !(res->nonlinearity <= RdTheoryNonlinearityLimit(in))) {
      const double relaxation = res->relaxation_steps, h_min = res->hessian_min;
      res->failure = RD_THEORY_NONLINEAR;
      PetscCall(PetscSNPrintf(res->why, sizeof res->why, "the fluctuations leave the harmonic basin: the SGD noise shifts the mean by |J mu|^2 / F = %.3g of the predicted variance (limit %g; slowest relaxation %.3g steps)", res->nonlinearity, RdTheoryNonlinearityLimit(in), relaxation));
      RdTheoryPredictionsNaN(0, res);
      res->relaxation_steps = relaxation, res->hessian_min = h_min;
    }
  }
  if (step_error) PetscCall(RdTheoryResultDestroy(res));
  PetscCall(step_error);
  PetscFunctionReturn(PETSC_SUCCESS);
}
