/* Analytic SGD drift theory of the two-layer linear network (Pashakhanloo & Koulakov, ICML 2023,
 * extended here to input noise and dropout), and the replica protocol that measures the same
 * quantities by simulation. Plain structs and functions: no I/O, no MPI. Time unit: one SGD step.
 *
 * Parameter vector theta = (W1 [m][n] row-major, W2 [d][m] row-major), P = m n + d m.
 * One presentation: stimulus k ~ p, input x = x_k + xi with xi ~ N(0, s^2 1) (input noise s),
 * h = W1 x, inverted dropout u = D h with D_jj = keep_j / (1 - q), keep_j ~ Bernoulli(1 - q),
 * output W2 u, loss l = 1/2 |y_k - W2 u|^2 + (g/2)(|W1|^2 + |W2|^2); SGD averages b presentations.
 *
 * The theory linearises SGD around a minimum theta* of the expected loss L = E l:
 *   delta_{t+1} = (1 - eta H) delta_t - eta eps_t,  Cov(eps) = C / b,
 * H the Hessian of L and C the covariance of one presentation's gradient at theta* (stimulus,
 * input noise and mask all random; closed form in theory_noise.c).
 * - Input noise adds (s^2/2)|W2 W1|_F^2 to L: the O(m) rotation symmetry theta -> (R W1, W2 R^T)
 *   of every presentation's loss survives, so does the orbit of minima: fluctuation in the normal
 *   space (Ornstein-Uhlenbeck), systematic rotation and diffusion along the orbit.
 * - Dropout adds (q/(1-q))/2 sum_j |W2[:,j]|^2 E[h_j^2] to L, which is not rotation invariant:
 *   with weight decay the minimum is isolated up to permutations and sign flips of hidden units
 *   when H is positive definite there. Then the whole parameter space is "normal": the drift is
 *   bounded (a stationary covariance, F_s, a variance curve that plateaus), no diffusion.
 *   When H keeps zero eigenvalues that no symmetry explains (e.g. E3 at width >= 3: a flat family
 *   of dropout minima), the theory does not hold: result.holds = false, predictions NaN. */
#ifndef REPDRIFT_THEORY_H
#define REPDRIFT_THEORY_H

#include <repdrift/data.h>
#include <repdrift/models/linear.h>

/* ------------------------------------------------------------------------------------------ */
/* The expected loss, its minimum and its Hessian (theory_objective.c)                          */

/* Gradient of the population objective RdLinearPopulationLoss (dropout and input noise in
 * closed form, batch ignored) at (W1, W2) of `width`, and the objective itself. */
PetscErrorCode RdTheoryPopulationGradient(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *loss);
/* The same objective set up once for many evaluations (its data moments and scratch): the gradient
 * from either kernel, the fast one (reference false; the copy of the active instruction set,
 * kernel_isa.h) or the plain-loop reference, which it must match bit for bit; also the curvature
 * bound the descent steps with (lipschitz, if not NULL). For tests and benchmarks. */
typedef struct _n_RdTheoryObjective *RdTheoryObjective;
PetscErrorCode RdTheoryObjectiveCreate(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, RdTheoryObjective *objective);
PetscErrorCode RdTheoryObjectiveGradient(RdTheoryObjective objective, PetscBool reference, const double *W1, const double *W2, double *grad_W1, double *grad_W2, double *loss, double *lipschitz);
PetscErrorCode RdTheoryObjectiveDestroy(RdTheoryObjective *objective);

/* nsteps of full-batch gradient descent theta <- theta - lr grad L(theta) (the expected SGD step)
 * from (W1, W2), in place. *finite = false if L became non-finite (the weights are then garbage). */
PetscErrorCode RdTheoryMeanPath(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, PetscInt nsteps, double *W1, double *W2, PetscBool *finite);

/* The mean path by the flow of the descent's modified equation (theory_flow.c): from (W1, W2) at
 * t = 0 through the ascending times [n_times] (in descent steps), W1 at each time into
 * W1_at [n_times][m][n] (or NULL), (W1, W2) in place at the last time. The same path as
 * RdTheoryMeanPath to ~1e-6 relative at ~1/10 of its cost. *finite = false if it diverged. */
PetscErrorCode RdTheoryMeanFlow(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, PetscInt n_times, const double *times, double *W1, double *W2, double *W1_at, PetscBool *finite);

/* Width at which the minimum is computed: min(width, n, d, K) without dropout (it holds every
 * minimum, rank W2 W1 <= min(n, d, K)), width itself with dropout. */
PetscInt RdTheoryDescentWidth(const RdTask *task, PetscInt width, double dropout);

/* theta* of the population objective at `width`: full-batch accelerated gradient descent from a
 * random init (stream (seed, replicate, RD_PURPOSE(RD_PURPOSE_INIT, 1)), scale 1) until
 * |grad L| < 1e-13 (PETSC_ERR_NOT_CONVERGED after 5e6 steps).
 * Without dropout the descent runs at RdTheoryDescentWidth and the result is embedded in the
 * first rows of W1 / columns of W2 (the rest exactly 0). W1 [width][n], W2 [d][width];
 * *loss = RdLinearPopulationLoss there. */
PetscErrorCode RdTheoryMinimum(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, uint64_t seed, PetscInt replicate, double *W1, double *W2, double *loss, double *grad_norm);
/* The same descent at full width from a given start (W1_start [width][n], W2_start [d][width]),
 * with the fixed step 1 / (1.5 h_max), h_max the largest curvature of L at the start (power
 * iteration; a diverging descent restarts with twice the bound): the soft modes of dropout minima
 * (h_min / h_max ~ 1e-7) make the step bound of RdTheoryMinimum ~25x too cautious there. */
PetscErrorCode RdTheoryMinimumFrom(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1_start, const double *W2_start, double *W1, double *W2, double *loss, double *grad_norm);

/* Analytic Hessian of L (input noise and dropout included, batch ignored) at (W1, W2): [P][P]. */
PetscErrorCode RdTheoryHessian(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *hessian);
/* Slow reference: second differences (step 1e-4) of the closed-form RdLinearPopulationLoss. */
PetscErrorCode RdTheoryHessianReference(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *hessian);

/* The same second derivatives restricted to the parameters of `num_units` hidden units (units[u]
 * in [0, width)): unit u's block of k = n + d parameters is (W1[units[u]][0..n), W2[0..d)[units[u]]),
 * hessian [num_units k][num_units k]. O(m n d + (num_units k)^2): the blocks the unit-type sectors
 * need without the P x P matrix. */
PetscErrorCode RdTheoryHessianUnits(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, PetscInt num_units, const PetscInt *units, double *hessian);

/* ------------------------------------------------------------------------------------------ */
/* The SGD noise (theory_noise.c)                                                                */

/* Degree-5 cubature of N(0, scale^2 1) in dim dimensions (exact for every polynomial of degree
 * <= 5): RdGaussianCubatureSize nodes [count][dim] with weights [count] (some negative for
 * dim > 4). scale = 0: the single node 0 with weight 1. */
PetscInt       RdGaussianCubatureSize(PetscInt dim, double scale);
PetscErrorCode RdGaussianCubature(PetscInt dim, double scale, double *nodes, double *weights);

/* Covariance [P][P] and mean [P] of the gradient of ONE presentation (batch 1) at (W1, W2):
 * stimulus, input noise and dropout mask random, in closed form (the mask by its cumulants,
 * the input noise by RdGaussianCubature). The mean is grad L. */
PetscErrorCode RdTheoryNoiseCovariance(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *covariance, double *mean);
/* The same covariance and mean restricted to the parameters of num_units units (layout of
 * RdTheoryHessianUnits): covariance [num_units k][num_units k], mean [num_units k]. Per stimulus
 * and cubature node O(m (num_units^2 + num_units d + d^2 + n)) instead of O(m^3 + P^2). */
PetscErrorCode RdTheoryNoiseCovarianceUnits(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, PetscInt num_units, const PetscInt *units, double *covariance, double *mean);
/* Slow reference: every stimulus, cubature node and one of the 2^width masks through
 * RdLinearSampleGradient (width <= 16 with dropout). */
PetscErrorCode RdTheoryNoiseCovarianceReference(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *covariance, double *mean);

/* ------------------------------------------------------------------------------------------ */
/* The theory (theory.c)                                                                        */

/* Why the theory gives no prediction at a point (RdTheoryResult.failure, /theory/prediction_failure). */
typedef enum {
  RD_THEORY_HOLDS = 0,
  RD_THEORY_NOT_A_MINIMUM,        /* H has a negative eigenvalue at theta* */
  RD_THEORY_FLAT_MINIMUM,         /* zero modes of H that no symmetry explains */
  RD_THEORY_NONLINEAR,            /* the fluctuations leave the harmonic basin (nonlinearity > RD_THEORY_NONLINEARITY_LIMIT) */
  RD_THEORY_MEAN_PATH_DIVERGES,   /* days protocol: gradient descent on L from the initial weights diverges */
  RD_THEORY_OUT_OF_DOMAIN,        /* weight decay 0, eta h_max >= 2, descent to theta* not converged */
  RD_THEORY_TOO_COSTLY            /* no exact method within the cost limit (an isolated minimum without unit types) */
} RdTheoryFailure;

/* One line naming the failure (for reports). */
const char *RdTheoryFailureName(RdTheoryFailure failure);

/* Isolated minima (dropout): the theory is declared not to hold where the mean displacement that
 * the SGD noise itself induces at second order, mu = -H^-1 (E grad L(theta* + delta) - grad L(theta*)),
 * moves some stimulus' hidden representation by more than sqrt(0.2) of its predicted standard
 * deviation: max_s |J_s mu|^2 / F_s > 0.2 (RdTheoryResult.nonlinearity; theory_nonlinear.c). */
#define RD_THEORY_NONLINEARITY_LIMIT 0.2

typedef struct {
  const RdTask *task;
  PetscInt      width;        /* m */
  double        weight_decay; /* g, must be > 0 */
  double        lr;           /* eta, must be > 0 and below 2 / h_max */
  uint64_t      seed;         /* random init of the descent to theta* */
  PetscInt      replicate;    /* stream id of that init */
  PetscBool     full_width;   /* without dropout: do the linear algebra at width m itself, not
                                 min(m, n, d, K); same numbers, much slower: tests */
  double        input_noise;  /* s >= 0 (0: none) */
  double        dropout;      /* q in [0, 1) (0: none) */
  PetscInt      batch;        /* presentations per step b (0 means 1) */
  const double *W1_start, *W2_start; /* optional [m][n], [d][m]: descend to theta* from here at
                                        width m instead of the random init (theta* then lies on
                                        the same orbit point as this start: the days prediction) */
  PetscBool     dense;        /* dropout: the dense reference (all P = m (n + d) normal modes,
                                 O(P^3)) instead of the unit-type sectors (theory_symmetric.c) */
  double        window_steps; /* steps the protocol watches the fluctuations grow from theta*
                                 (the nonlinearity criterion's covariance S(window)); 0: the
                                 stationary state */
  double        nonlinearity_limit; /* holds = false above it (0: RD_THEORY_NONLINEARITY_LIMIT,
                                       INFINITY: never; the days prediction applies its own) */
} RdTheoryInput;

typedef struct {
  PetscInt num_stimuli, input_dim, output_dim, width;
  PetscInt computed_width; /* mc: width the linear algebra ran at */
  PetscInt num_params;     /* P at computed_width */
  PetscInt tangent_dim;    /* dim T: rotations that move theta* (0 with dropout) */
  PetscInt normal_dim;     /* N = P - dim T when the theory holds */
  PetscInt hidden_rank;    /* rank of W1* */

  PetscBool holds;    /* the minimum is an isolated orbit (or point) with H > 0 on the normal
                         space; false: every prediction below is NaN and `why` says what failed */
  char      why[256];
  RdTheoryFailure failure;  /* RD_THEORY_HOLDS, or why not */
  double    nonlinearity;   /* isolated minima: max_s |J_s mu|^2 / F_s at window_steps (NaN on an orbit) */
  double    lr;             /* eta */
  double   *noise_force;    /* dense isolated minima: [N] v_i . f, the second-order force of the noise
                               on the normal modes (RdTheoryNoiseShift); NULL otherwise */
  PetscBool symmetric;      /* isolated minimum computed by unit-type sectors: the dense normal-mode
                               arrays below are empty; use RdTheoryHiddenCovariance */
  struct RdTheorySectors *sectors; /* the sectors (theory_symmetric.c), or NULL */
  PetscBool isolated; /* no continuous symmetry (dropout): bounded drift, no diffusion */

  double  L_star, grad_norm; /* population loss and |grad L| at theta* */
  double *W1_star, *W2_star; /* theta* at width m: [m][n], [d][m] */
  double *hidden_basis;      /* [m][mc]: hidden vector at width m = hidden_basis . (computed one) */

  double hessian_min, hessian_max; /* extreme eigenvalues h_i of H on the normal space */
  double hessian_tangent_residual; /* max_c |H tau_c| / h_max (asserted ~ 0) */
  double gradient_tangent_residual; /* max_c |C tau_c| / tr C (asserted ~ 0) */
  double relaxation_steps;         /* 1 / (eta h_min): slowest normal relaxation time */
  double noise_trace;              /* tr C / b: gradient noise per step */

  double excess_loss;           /* 1/2 tr(H S) */
  double excess_loss_small_lr;  /* (eta/4) tr C / b, its eta -> 0 limit */
  double trace_diffusion;       /* sum_c 2 D_cc, per step (0 when isolated) */
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
  double *generators;         /* [tangent_dim][mc][mc] Om_c, orthonormal tangent generators */

  /* The normal modes (for variance curves and the days prediction): */
  double *relaxation_rate;    /* [N] k_i = eta h_i, per step, descending */
  double *mode_covariance;    /* [N][N] S: stationary covariance of the normal coordinates */
  double *mode_loading;       /* [K][mc][N] Y_s: how normal coordinate i moves h_s (J_s v_i) */
} RdTheoryResult;

/* theta*, H, C, tangent and normal bases, S, excess loss, F_s, v, omega, D and sigma_s, for any
 * input noise and dropout. With dropout (an isolated minimum) the default method decomposes H and
 * C by the minimum's unit types (theory_symmetric.c: exact, O(m) beyond a few small dense
 * problems); input->dense selects the O(P^3) dense reference. Errors (PETSC_ERR_USER_INPUT, naming the option): -weight_decay <= 0,
 * -lr <= 0 or too large for SGD to be stable at theta* (eta h_max >= 2), -input_noise < 0,
 * dropout outside [0, 1), -batch < 0, and a violated structural fact without dropout
 * (|H tau| ~ 0, C tau ~ 0). Where the minimum is degenerate or not a minimum the call
 * succeeds with holds = false, `why` set and every prediction NaN. */
PetscErrorCode RdTheoryCompute(const RdTheoryInput *input, RdTheoryResult *result);
PetscErrorCode RdTheoryResultDestroy(RdTheoryResult *result);

/* The tangent-space kernel of RdTheoryCompute on the normal eigenbasis: N normal modes with
 * k_i = eta h_i, noise Q [N][N], stationary S [N][N], t antisymmetric A_c [t][N][N];
 * out [t][t] = 2 D_cc' (all five terms, via Frobenius products of precomputed matrices). */
PetscErrorCode RdTheoryDiffusionMatrix(PetscInt N, PetscInt t, const double *k, const double *Q, const double *S, const double *A, double *out);
/* Slow reference: every trace of the five-term formula evaluated literally per (c, c'). */
PetscErrorCode RdTheoryDiffusionMatrixReference(PetscInt N, PetscInt t, const double *k, const double *Q, const double *S, const double *A, double *out);

/* Cov(h_s(t_later), h_s(t_earlier)) [m][m] (width m) of the linearised fluctuation started at
 * theta* at t = 0 (J_s L^{t_later - t_earlier} S(t_earlier) J_s^T, S(t) = S - L^t S L^t), with
 * t_later >= t_earlier >= 0 in steps; INFINITY for both gives the stationary covariance. Orbits:
 * the normal-space part only (the diffusion along the orbit is RdTheoryVarianceCurve's). */
PetscErrorCode RdTheoryHiddenCovariance(const RdTheoryResult *result, PetscInt stimulus, double t_later, double t_earlier, double *covariance);

/* Isolated minima: J_s mu(t) [m], the shift of h_s's mean that the SGD noise induces at second
 * order by the time t (steps from theta*; INFINITY: stationary), mu(t) = -sum_i v_i (v_i . f) / h_i
 * (1 - (1 - eta h_i)^t) with f the force of the fluctuations at window_steps (theory_nonlinear.c).
 * NaN where the theory does not hold or on an orbit. */
PetscErrorCode RdTheoryNoiseShift(const RdTheoryResult *result, PetscInt stimulus, double t, double *shift);

/* Predicted across-replica tr Cov h_s(t) of replicas started at theta*, after relaxation:
 * F_s + int_0^t hbar(u)^T M hbar(u) du with hbar(u) = exp(V u) h_s*. The diffusion acts in the
 * co-rotating frame, so when omega != 0 the rate follows h_s's rotation through the anisotropic
 * M: the slope is sigma_s only for omega t << 1. With omega = 0 this is F_s + sigma_s t; when
 * isolated, F_s. times [n_times] ascending, >= 0; variance [n_times]. */
PetscErrorCode RdTheoryVarianceCurve(const RdTheoryResult *result, PetscInt stimulus, PetscInt n_times, const double *times, double *variance);
/* The same curve including the build-up of the fluctuation from the common start theta*:
 * tr(Y_s S(t) Y_s^T) + the diffusion integral, S(t)_ij = S_ij (1 - ((1-k_i)(1-k_j))^t); it is 0
 * at t = 0 and, when isolated, rises to the plateau F_s with the slowest rate k_min. */
PetscErrorCode RdTheoryVarianceCurveFromStart(const RdTheoryResult *result, PetscInt stimulus, PetscInt n_times, const double *times, double *variance);

/* ------------------------------------------------------------------------------------------ */
/* The days protocol (theory_days.c)                                                            */

/* What is compared to what. The days protocol (-protocol days, -model linear) trains one network
 * from its initial weights for burnin_steps (day 0), then steps_per_day per day; after each day it
 * freezes the weights and probes every stimulus with probe_samples fresh presentations: the
 * probe response is the hidden layer h = D W1 (x_s + xi) (input noise on; dropout on and redrawn
 * when probe_dropout, D = 1 otherwise), and /drift/angle_between_means [point, day, later_day, s]
 * is the angle (degrees) between the sample means of the two days' responses. The prediction
 * below is the expectation of that angle (and of the squared distance between the two day means)
 * over the SGD noise and the probe samples, for the same point and the same initial weights.
 *
 * Model (linear in the SGD noise, derivation in brief). The weights after t steps are
 * theta_t = R_t . (thetabar_t + delta_t): thetabar_t the mean path (full-batch descent on the
 * expected loss L from the initial weights: the expected SGD step), delta_t the Ornstein-Uhlenbeck
 * fluctuation around theta* (the descent's end point, same orbit point) built up from t = 0,
 * Cov(delta_t) = S(t) = S - L^t S L^t and Cov(delta_t', delta_t) = L^{t'-t} S(t) in the normal
 * eigenbasis (L = 1 - eta H), and R_t the rotation along the orbit (no dropout: mean exp(V t),
 * diffusion 2D; with dropout R = 1). A day mean is m_d = h_s(t_d) + eps_d with
 * Cov(eps_d) = [s^2 W1 W1^T + c diag(W1 (x_s x_s^T + s^2 1) W1^T)] / probe_samples,
 * c = q/(1-q) with probe dropout, W1 on the mean path; eps independent between days. So
 *   m_{d'} - m_d ~ R_{t_d} (mu + z),  mu = exp(V tau) hbar_s(t_{d'}) - hbar_s(t_d),  tau = t_{d'} - t_d,
 *   Cov z = Y_s [S(t') + S(t) - L^tau S(t) - S(t) L^tau] Y_s^T + tau sum_cc' 2D_cc' (Om_c h*)(Om_c' h*)^T
 *           + Cov eps_d + Cov eps_d'
 * (the diffusion term small-angle in shape, scaled to the co-rotating integral of
 * RdTheoryVarianceCurve). The expected squared displacement is |mu|^2 + tr Cov z (exact in this
 * model); the expected angle is atan2(E|P z'|, |hbar(t_d)| + u.mu), z' = mu + z, u the unit vector
 * along hbar_s(t_d), P = 1 - u u^T, E|P z'| of the Gaussian by RdGaussianExpectedNorm (first order
 * in the deviations: the angle between two noisy vectors ~ the spread across their direction over
 * their length). Assumptions: linear response around theta* (small eta), mean path = gradient
 * descent (noise-induced drift of the mean only through V), the fluctuation's clock started at the
 * initial weights. Where the theory does not hold at theta* (holds = false) every prediction is NaN. */
typedef struct {
  const RdTask *task;
  PetscInt      width;                  /* m */
  double        lr, weight_decay;       /* eta, g */
  double        input_noise, dropout;   /* s, q (training and probes) */
  PetscInt      batch;                  /* presentations per step (0 means 1) */
  PetscInt      burnin_steps, steps_per_day, days;
  PetscInt      probe_samples;          /* presentations averaged into a day mean */
  PetscBool     probe_dropout;          /* dropout on while probing */
  const double *W1_init, *W2_init;      /* the point's initial weights [m][n], [d][m] as the days
                                           protocol draws them (linear_point.c) */
  PetscBool     reference;              /* the slow reference: the mean path step by step, the dense
                                           theory (O(P^3)) and every angle by a full eigensolve at width
                                           m; default: the mean flow, the unit-type sectors, the span
                                           of the weights without dropout, tridiagonal angles */
} RdDaysInput;

typedef struct {
  PetscInt  num_stimuli, num_days, width; /* num_days = days + 1 observations, day 0 after burn-in */
  PetscBool holds;                        /* false: displacement and angle NaN, why says why */
  char      why[256];
  RdTheoryFailure failure;
  double    nonlinearity;                 /* isolated minima: max over pairs and stimuli of
                                             |J_s (mu(t_later) - mu(t_day))|^2 / displacement, the
                                             drift the noise adds at second order that the mean
                                             path lacks; holds = false above RD_THEORY_NONLINEARITY_LIMIT */
  double    relaxation_steps;             /* slowest normal relaxation time 1/(eta h_min) at theta* */
  double   *mean_response;                /* [num_days][K][m] hbar_s(t_d) = W1(t_d) x_s on the mean path */
  /* [num_days][num_days][K] (day, later_day, stimulus) like /drift/angle_between_means; NaN unless day < later_day: */
  double   *displacement;                 /* E|m_later - m_day|^2, hidden activation^2 */
  double   *displacement_path;            /*   its part |mu|^2 from the mean path (and the mean rotation) */
  double   *displacement_fluctuation;     /*   the normal-space (OU) part */
  double   *displacement_diffusion;       /*   the diffusion along the orbit (0 with dropout) */
  double   *displacement_probe;           /*   the probe sampling noise of the two day means */
  double   *angle;                        /* expected angle between the day means, degrees */
} RdDaysPrediction;

/* Errors as RdTheoryCompute's (invalid input, -lr too large at theta*); a diverging mean path or a
 * degenerate minimum give holds = false and NaN instead. Cost: the theory at width m under dropout
 * (P = m (n + d) normal modes: O(P^3)), O(m n) per step of the mean path, O(m^3) per pair of days. */
PetscErrorCode RdTheoryPredictDays(const RdDaysInput *input, RdDaysPrediction *prediction);
PetscErrorCode RdDaysPredictionDestroy(RdDaysPrediction *prediction);

/* E|z| for independent z_i ~ N(means_i, variances_i), i < n (deterministic quadrature, relative
 * error ~1e-9). */
double RdGaussianExpectedNorm(PetscInt n, const double *variances, const double *means);
/* E|z| for z ~ N(mean, covariance) [n][n] (overwritten) without its eigenvectors: the Householder
 * tridiagonal form T = Q^T C Q (LAPACK dsytrd, 4/3 n^3 flops against ~9 n^3 for the eigenpairs),
 * Q^T mean, and the same quadrature with E e^{-s|z|^2} = det(1 + 2sT)^{-1/2}
 * exp(-s mean^T (1 + 2sT)^{-1} mean) from an O(n) LDL^T recurrence per node. */
PetscErrorCode RdGaussianExpectedNormCovariance(PetscInt n, double *covariance, const double *mean, double *expected);

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
