/* Analytic SGD drift theory of the two-layer linear network, and the replica protocol that
 * measures the same quantities by simulation (/work/shared/science/sgd-drift-theory.md).
 * Plain structs and functions: no I/O, no MPI. Time unit: one SGD step (batch 1).
 *
 * Parameter vector theta = (W1 [m][n] row-major, W2 [d][m] row-major), P = m n + d m.
 * The theory holds for dropout = 0 and input noise = 0 only; the replica protocol runs with
 * any dropout / input noise (then it measures, and nothing is predicted). */
#ifndef REPDRIFT_THEORY_H
#define REPDRIFT_THEORY_H

#include <repdrift/data.h>
#include <repdrift/models/linear.h>

/* ------------------------------------------------------------------------------------------ */
/* The minimum theta*                                                                          */

/* Gradient of the population objective RdLinearPopulationLoss (dropout and input noise in
 * closed form, batch ignored) at (W1, W2) of `width`, and the objective itself. */
PetscErrorCode RdTheoryPopulationGradient(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *loss);

/* theta* of the population objective at `width`: full-batch accelerated gradient descent from a
 * random init (stream (seed, replicate, RD_PURPOSE(RD_PURPOSE_INIT, 1)), scale 1) until
 * |grad L| < 1e-13 (PETSC_ERR_NOT_CONVERGED after 5e6 steps).
 * Without dropout the descent runs at width min(width, n, d, K), which holds every minimum
 * (rank W2 W1 <= min(n, d, K)), and the result is embedded in the first rows of W1 / columns of
 * W2 (the rest exactly 0). W1 [width][n], W2 [d][width]; *loss = RdLinearPopulationLoss there. */
PetscErrorCode RdTheoryMinimum(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, uint64_t seed, PetscInt replicate, double *W1, double *W2, double *loss, double *grad_norm);

/* Analytic Hessian of L = sum_k p_k l_k (no dropout, no noise) at (W1, W2): hessian [P][P]. */
PetscErrorCode RdTheoryHessian(const RdTask *task, PetscInt width, double weight_decay, const double *W1, const double *W2, double *hessian);
/* Slow reference: central differences (step 1e-5) of the analytic population gradient,
 * symmetrised. Same layout. */
PetscErrorCode RdTheoryHessianReference(const RdTask *task, PetscInt width, double weight_decay, const double *W1, const double *W2, double *hessian);

/* ------------------------------------------------------------------------------------------ */
/* The theory                                                                                   */

typedef struct {
  const RdTask *task;
  PetscInt      width;        /* m */
  double        weight_decay; /* g, must be > 0 */
  double        lr;           /* eta, must be > 0 and below 2 / h_max */
  uint64_t      seed;         /* random init of the descent to theta* */
  PetscInt      replicate;    /* stream id of that init */
  PetscBool     full_width;   /* do the linear algebra at width m itself, not min(m, n, d, K);
                                 same numbers (the theory is width invariant), much slower: tests */
} RdTheoryInput;

typedef struct {
  PetscInt num_stimuli, input_dim, output_dim, width;
  PetscInt computed_width; /* width the linear algebra ran at */
  PetscInt num_params;     /* P at computed_width */
  PetscInt tangent_dim;    /* dim T: rotations that move theta* */
  PetscInt normal_dim;     /* P - dim T (asserted) */
  PetscInt hidden_rank;    /* rank of W1* */

  double  L_star, grad_norm; /* population loss and |grad L| at theta* */
  double *W1_star, *W2_star; /* theta* at width m: [m][n], [d][m] */

  double hessian_min, hessian_max; /* extreme eigenvalues h_i of H on the normal space */
  double hessian_tangent_residual; /* max_c |H tau_c| / h_max (asserted ~ 0) */
  double gradient_tangent_residual; /* max_{k,c} |<g_k, tau_c>| / |g_k| (asserted ~ 0) */
  double relaxation_steps;         /* 1 / (eta h_min): slowest normal relaxation time */

  double excess_loss;           /* 1/2 tr(H S) */
  double excess_loss_small_lr;  /* (eta/4) tr C, its eta -> 0 limit */
  double trace_diffusion;       /* sum_c 2 D_cc, per step */
  double rotation_rate;         /* omega = |V|_F / sqrt 2, rad / step */
  double rotation_period;       /* 2 pi / omega in steps, INFINITY when omega = 0 */

  double *h_star_norm2;         /* [K] |h_s*|^2 */
  double *fluctuation;          /* [K] F_s = stationary tr Cov(h_s) */
  double *diffusion;            /* [K] sigma_s: d/dt of the across-replica tr Cov(h_s), per step */
  double *diffusion_normalized; /* [K] sigma_s / |h_s*|^2 (NaN when h_s* = 0) */
  double *stimulus_rotation;    /* [K] |V h_s*| / |h_s*|: initial angular speed, rad / step */

  double *velocity;         /* [tangent_dim] v_c, systematic velocity along Om_c */
  double *diffusion_matrix; /* [tangent_dim][tangent_dim] 2 D_cc' */

  /* Hidden-space form of the drift, at computed_width mc (basis of the computed theta*): */
  double *h_star;             /* [K][mc] h_s* */
  double *rotation_generator; /* [mc][mc] V = sum_c v_c Om_c: mean motion h(t) = exp(V t) h* */
  double *diffusion_metric;   /* [mc][mc] M = sum_cc' 2D_cc' Om_c^T Om_c': sigma_s = h_s*^T M h_s* */
} RdTheoryResult;

/* theta*, H, C, tangent and normal bases, S, excess loss, F_s, v, omega, D and sigma_s.
 * Errors (PETSC_ERR_USER_INPUT, naming the option): -weight_decay <= 0, -lr <= 0 or too large
 * for SGD to be stable at theta*, and any violated structural fact (|H tau| ~ 0,
 * <g_k, tau> ~ 0, normal dimension = P - dim T). */
PetscErrorCode RdTheoryCompute(const RdTheoryInput *input, RdTheoryResult *result);
PetscErrorCode RdTheoryResultDestroy(RdTheoryResult *result);

/* The tangent-space kernel of RdTheoryCompute on the normal eigenbasis: N normal modes with
 * k_i = eta h_i, noise Q [N][N], stationary S [N][N], t antisymmetric A_c [t][N][N];
 * out [t][t] = 2 D_cc' (all five terms, via Frobenius products of precomputed matrices). */
PetscErrorCode RdTheoryDiffusionMatrix(PetscInt N, PetscInt t, const double *k, const double *Q, const double *S, const double *A, double *out);
/* Slow reference: every trace of the five-term formula evaluated literally per (c, c'). */
PetscErrorCode RdTheoryDiffusionMatrixReference(PetscInt N, PetscInt t, const double *k, const double *Q, const double *S, const double *A, double *out);

/* Predicted across-replica tr Cov h_s(t) of replicas started at theta* (after relaxation):
 * F_s + int_0^t hbar(u)^T M hbar(u) du with hbar(u) = exp(V u) h_s*. The diffusion acts in the
 * co-rotating frame, so when omega != 0 the rate follows h_s's rotation through the anisotropic
 * M: the slope is sigma_s only for omega t << 1. With omega = 0 this is F_s + sigma_s t.
 * times [n_times] ascending, >= 0; variance [n_times]. */
PetscErrorCode RdTheoryVarianceCurve(const RdTheoryResult *result, PetscInt stimulus, PetscInt n_times, const double *times, double *variance);

/* ------------------------------------------------------------------------------------------ */
/* Replica protocol                                                                             */

/* R independent SGD streams of one network, advanced together. Weights are stored with the
 * replica index innermost, W1[i][j][r] and W2[a][i][r], so every inner loop runs over r with
 * unit stride. Replica r draws from its own streams (seed, stream_id,
 * RD_PURPOSE(RD_PURPOSE_SGD_SAMPLING, r)) and (seed, stream_id, RD_PURPOSE(RD_PURPOSE_TRAIN_NOISE, r))
 * in the order of linear.h, so its trajectory is that of RdLinearTrain with those streams
 * (to rounding) and never depends on R or on which process runs it. */
typedef struct {
  PetscInt  num_replicas, input_dim, width, output_dim;
  double   *W1, *W2;            /* [m][n][R], [d][m][R] */
  RdStream *sampling, *noise;   /* [R] */
  double   *x, *y, *h, *e, *back, *keep; /* per-step scratch, [n][R], [d][R], [m][R], [d][R], [m][R], [m][R] */
  int      *stimulus;           /* [R] */
} RdReplicaSet;

/* Replica r of the set is replica first_replica + r of the point (its streams' sub-index). */
PetscErrorCode RdReplicaSetCreate(PetscInt num_replicas, PetscInt input_dim, PetscInt width, PetscInt output_dim, uint64_t seed, PetscInt stream_id, PetscInt first_replica, RdReplicaSet *set);
PetscErrorCode RdReplicaSetDestroy(RdReplicaSet *set);
/* Every replica starts at (W1 [m][n], W2 [d][m]). */
void RdReplicaSetStart(RdReplicaSet *set, const double *W1, const double *W2);
/* Copies replica r out to plain row-major W1 [m][n], W2 [d][m]. */
void RdReplicaSetGet(const RdReplicaSet *set, PetscInt r, double *W1, double *W2);
/* Fast kernel: nsteps batch-1 SGD steps of every replica (hyper->batch must be 1). */
PetscErrorCode RdReplicaSetAdvance(RdReplicaSet *set, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps);
/* Slow reference: each replica in turn through RdLinearTrainReference with its own streams. */
PetscErrorCode RdReplicaSetAdvanceReference(RdReplicaSet *set, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps);

typedef struct {
  const RdTask *task;
  PetscInt      width;
  RdLinearHyper hyper;        /* lr, weight_decay, dropout, input_noise; batch must be 1 */
  PetscInt      num_replicas; /* R >= 2 */
  PetscInt      num_steps;    /* a multiple of record_every */
  PetscInt      record_every; /* steps between records; records at t = 0, record_every, ... */
  PetscInt      relax_steps;  /* records with t >= relax_steps enter the estimates */
  PetscInt      num_groups;   /* jackknife groups of replicas for the standard errors (>= 2) */
  PetscInt      msd_max_lag;  /* longest single-run MSD lag, in records */
  uint64_t      seed;
  PetscInt      stream_id;    /* e.g. the point's replicate */
} RdReplicaConfig;

typedef struct {
  PetscInt  num_stimuli, num_records, num_msd_lags, steps_completed;
  PetscBool diverged;        /* a replica's loss became non-finite: the curves stop there */
  double    L_star;          /* population objective at the start theta* (its minimum) */
  double   *time;            /* [num_records] steps since the start */
  double   *variance;        /* [K][num_records] across-replica tr Cov h_s(t) */
  double   *rotation_angle;  /* [K][num_records] degrees between replica-mean h_s(t) and h_s(0) */
  double   *excess_loss_curve; /* [num_records] replica mean of L(theta_t) - L* */
  double   *msd_lag;         /* [num_msd_lags] lag in steps */
  double   *msd;             /* [K][num_msd_lags] replica 0: mean over t >= relax_steps of
                                |h_s(t+lag) - h_s(t)|^2 (records only) */
  double    excess_loss, excess_loss_se; /* time average over t >= relax_steps */
  double   *h_start_norm2;   /* [K] |h_s(0)|^2 */
  double   *fluctuation, *fluctuation_se; /* [K] intercept F_s of tr Cov h_s = F_s + sigma_s t */
  double   *diffusion, *diffusion_se;     /* [K] its slope sigma_s, per step */
  double   *diffusion_normalized, *diffusion_normalized_se; /* [K] sigma_s / |h_s(0)|^2 */
  double   *rotation_rate;   /* [K] rad / step: slope through 0 of the mean angle while < 45 deg */
} RdReplicaMeasurement;

/* The replica protocol: theta* by RdTheoryMinimum of the trained objective (dropout and input
 * noise included; init stream (seed, stream_id)), R replicas started there, recorded every
 * record_every steps. Standard errors: delete-one-group jackknife over num_groups contiguous
 * groups of replicas. No MPI, no I/O; deterministic. */
PetscErrorCode RdReplicaRun(const RdReplicaConfig *config, RdReplicaMeasurement *measurement);
PetscErrorCode RdReplicaMeasurementDestroy(RdReplicaMeasurement *measurement);

#endif
