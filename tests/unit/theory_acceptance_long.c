/* Acceptance of the drift theory under input noise and dropout against the replica protocol
 * (label long, tests/TheoryLong.cmake; one case per CTest, each well under a minute on one core):
 *   noise_e3, noise_e1: input noise 0.05 and 0.1 - measured/predicted F and sigma within 10 %
 *     (E1 rotates: its slope is compared with the co-rotating prediction over the same window);
 *   dropout_e3, dropout_e1: dropout 0.1 and 0.3 at the width of the task's rank (isolated minima)
 *     - F within 10 %, and the measured variance plateaus over a window of >= 10 relaxation
 *     times as predicted (its growth over the window is within 3 standard errors of 0 and below
 *     5 % of F), while the rise from theta* follows the predicted curve.
 *   days: RdTheoryPredictDays against the days protocol simulated directly (replicas of one
 *     point: same initial weights, independent SGD and probe streams, day means of
 *     RdLinearProbe responses): the mean angle between day means and the mean squared
 *     displacement per (day, later day, stimulus), without and with dropout.
 * Every ratio is printed with its standard error, as measured. */
#include <repdrift/theory.h>
#include <repdrift/geometry.h>
#include <string.h>
#include "testing.h"

typedef struct {
  const char *name;
  PetscBool   e1;          /* E1 (rank 3, rotating) or E3 */
  double      frequency;
  double      dropout, input_noise;
  double      lr;
  PetscInt    replicas, steps;
  double      relax_times; /* estimates start after this many relaxation times */
  PetscBool   flagged;     /* the nonlinearity criterion is expected to say the theory fails here:
                              the case is then measured against the prediction computed without
                              the criterion, to report by how much it fails */
} Case;

/* Least-squares slope of curve[first, last) against time. */
static double Slope(const double *time, const double *curve, PetscInt first, PetscInt last)
{
  double mean_t = 0.0, mean_v = 0.0, stt = 0.0, stv = 0.0;
  for (PetscInt a = first; a < last; a++) {
    mean_t += time[a] / (last - first);
    mean_v += curve[a] / (last - first);
  }
  for (PetscInt a = first; a < last; a++) {
    stt += (time[a] - mean_t) * (time[a] - mean_t);
    stv += (time[a] - mean_t) * (curve[a] - mean_v);
  }
  return stv / stt;
}

/* Intercept and slope of the least-squares line through curve[first, last). */
static void Line(const double *time, const double *curve, PetscInt first, PetscInt last, double *intercept, double *slope)
{
  double mean_t = 0.0, mean_v = 0.0;
  for (PetscInt a = first; a < last; a++) {
    mean_t += time[a] / (last - first);
    mean_v += curve[a] / (last - first);
  }
  *slope     = Slope(time, curve, first, last);
  *intercept = mean_v - *slope * mean_t;
}

static RdReplicaConfig Config(const Case *c, const RdTask *task, PetscInt width, double relaxation_steps, PetscInt steps)
{
  const PetscInt  record_every = steps / 200;
  RdReplicaConfig config       = {
          .task         = task,
          .width        = width,
          .hyper        = {.lr = c->lr, .weight_decay = 0.01, .dropout = c->dropout, .input_noise = c->input_noise, .batch = 1},
          .num_replicas = c->replicas,
          .num_steps    = steps,
          .record_every = record_every,
          .relax_steps  = ((PetscInt)(c->relax_times * relaxation_steps) / record_every + 1) * record_every,
          .num_groups   = 20,
          .msd_max_lag  = 1,
          .seed         = 7,
          .stream_id    = 0,
  };
  return config;
}

/* The orbit survives (input noise, no dropout): F from a short run (window 20 relaxation times,
 * where the diffusion has not yet buried the intercept), sigma from the long one; both against
 * the predicted curve fitted over the same window (with rotation the curve bends, and its
 * intercept and slope over a window are not F_s and sigma_s). */
static PetscErrorCode OrbitCase(const Case *c, const RdTask *task, PetscInt width, const RdTheoryResult *th)
{
  const PetscInt K = task->num_stimuli, runs = 2;
  const PetscInt steps[2] = {(PetscInt)((c->relax_times + 20) * th->relaxation_steps / 200 + 1) * 200, c->steps};

  PetscFunctionBeginUser;
  for (PetscInt run = 0; run < runs; run++) {
    RdReplicaConfig      config = Config(c, task, width, th->relaxation_steps, steps[run]);
    RdReplicaMeasurement me;
    double              *curve;
    PetscCall(RdReplicaRun(&config, &me));
    RD_CHECK(!me.diverged && me.steps_completed == steps[run], "%s: ran to the end", c->name);
    RD_CHECK_CLOSE(me.L_star, th->L_star, 1e-12, "replica start theta* is the theory's: same L*");
    const PetscInt first = config.relax_steps / config.record_every, last = me.num_records;
    PetscCall(PetscMalloc1(me.num_records, &curve));
    printf("  %s (%s): %d replicas x %d steps, relaxation time %.0f steps, window %.0f-%.0f; excess loss %.5g +- %.2g, theory %.5g (ratio %.3f +- %.3f)\n", c->name, run ? "sigma" : "F", (int)c->replicas, (int)steps[run], th->relaxation_steps, me.time[first], me.time[last - 1], me.excess_loss, me.excess_loss_se, th->excess_loss, me.excess_loss / th->excess_loss, me.excess_loss_se / th->excess_loss);
    for (PetscInt s = 0; s < K; s++) {
      double intercept, slope;
      PetscCall(RdTheoryVarianceCurve(th, s, me.num_records, me.time, curve));
      Line(me.time, curve, first, last, &intercept, &slope);
      if (run == 0) {
        const double ratio = me.fluctuation[s] / intercept, se = me.fluctuation_se[s] / intercept;
        printf("    s = %d: F %.5g +- %.2g, predicted over the window %.5g (F_s %.5g): ratio %.3f +- %.3f\n", (int)s, me.fluctuation[s], me.fluctuation_se[s], intercept, th->fluctuation[s], ratio, se);
        RD_CHECK(fabs(ratio - 1) < 0.10, "%s stimulus %d: measured/predicted F = %.3f +- %.3f within 10%%", c->name, (int)s, ratio, se);
      } else {
        const double ratio = me.diffusion[s] / slope, se = me.diffusion_se[s] / slope;
        printf("    s = %d: sigma %.5g +- %.2g, predicted over the window %.5g (sigma_s %.5g): ratio %.3f +- %.3f\n", (int)s, me.diffusion[s], me.diffusion_se[s], slope, th->diffusion[s], ratio, se);
        RD_CHECK(fabs(ratio - 1) < 0.10, "%s stimulus %d: measured/predicted sigma = %.3f +- %.3f within 10%%", c->name, (int)s, ratio, se);
      }
    }
    PetscCall(PetscFree(curve));
    PetscCall(RdReplicaMeasurementDestroy(&me));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Dropout, an isolated minimum: F within 10 %, the variance plateaus over the window (its growth
 * within 3 standard errors of 0 or below 5 % of F), and the rise from theta* is printed. */
static PetscErrorCode IsolatedCase(const Case *c, const RdTask *task, PetscInt width, const RdTheoryResult *th)
{
  const PetscInt       K = task->num_stimuli;
  RdReplicaConfig      config = Config(c, task, width, th->relaxation_steps, c->steps);
  RdReplicaMeasurement me;

  PetscFunctionBeginUser;
  PetscCall(RdReplicaRun(&config, &me));
  RD_CHECK(!me.diverged && me.steps_completed == c->steps, "%s: ran to the end", c->name);
  RD_CHECK_CLOSE(me.L_star, th->L_star, 1e-12, "replica start theta* is the theory's: same L*");
  const PetscInt first = config.relax_steps / config.record_every, last = me.num_records;
  const double   window = me.time[last - 1] - me.time[first];
  printf("  %s: %d replicas x %d steps, relaxation time %.0f steps, window %.1f relaxation times after %.0f; excess loss %.5g +- %.2g, theory %.5g (ratio %.3f +- %.3f)\n", c->name, (int)c->replicas, (int)c->steps, th->relaxation_steps, window / th->relaxation_steps, c->relax_times, me.excess_loss, me.excess_loss_se, th->excess_loss, me.excess_loss / th->excess_loss, me.excess_loss_se / th->excess_loss);
  for (PetscInt s = 0; s < K; s++) {
    const double F_ratio = me.fluctuation[s] / th->fluctuation[s], F_se = me.fluctuation_se[s] / th->fluctuation[s];
    const double growth = me.diffusion[s] * window, growth_se = me.diffusion_se[s] * window;
    double       rise_time[2], rise[2];
    printf("    s = %d: F %.5g +- %.2g, theory %.5g: ratio %.3f +- %.3f; growth over the window %.4g +- %.2g (%.2f%% of F; predicted 0: plateau)\n", (int)s, me.fluctuation[s], me.fluctuation_se[s], th->fluctuation[s], F_ratio, F_se, growth, growth_se, 100 * growth / th->fluctuation[s]);
    RD_CHECK(fabs(F_ratio - 1) < 0.10, "%s stimulus %d: measured/predicted F = %.3f +- %.3f within 10%%", c->name, (int)s, F_ratio, F_se);
    RD_CHECK(fabs(growth) < 3 * growth_se || fabs(growth) < 0.05 * th->fluctuation[s], "%s stimulus %d: the variance plateaus as predicted (growth %.3g +- %.2g over %.1f relaxation times, F %.4g)", c->name, (int)s, growth, growth_se, window / th->relaxation_steps, th->fluctuation[s]);
    for (int r = 0; r < 2; r++) rise_time[r] = me.time[(PetscInt)((r + 1) * th->relaxation_steps / config.record_every + 0.5)];
    PetscCall(RdTheoryVarianceCurveFromStart(th, s, 2, rise_time, rise));
    for (int r = 0; r < 2; r++) {
      const double measured = me.variance[s * me.num_records + (PetscInt)(rise_time[r] / config.record_every)];
      printf("           rise at t = %.0f: measured %.5g, predicted %.5g (ratio %.3f)\n", rise_time[r], measured, rise[r], measured / rise[r]);
    }
  }
  PetscCall(RdReplicaMeasurementDestroy(&me));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunCase(const Case *c)
{
  RdTask         task;
  RdTheoryResult th;
  const PetscInt width = c->e1 ? 3 : 2;

  PetscFunctionBeginUser;
  if (c->e1) PetscCall(RdTaskCreateE1(c->frequency, &task));
  else PetscCall(RdTaskCreateE3(c->frequency, &task));
  RdTheoryInput in = {.task = &task, .width = width, .weight_decay = 0.01, .lr = c->lr, .seed = 7, .replicate = 0, .input_noise = c->input_noise, .dropout = c->dropout};
  PetscCall(RdTheoryCompute(&in, &th));
  if (c->flagged) {
    RD_CHECK(!th.holds && th.failure == RD_THEORY_NONLINEAR && isnan(th.fluctuation[0]), "%s: the nonlinearity criterion flags it (nonlinearity %.3f > %g: %s)", c->name, th.nonlinearity, RD_THEORY_NONLINEARITY_LIMIT, th.why);
    printf("  %s: flagged (nonlinearity %.3f); measured against the prediction without the criterion:\n", c->name, th.nonlinearity);
    PetscCall(RdTheoryResultDestroy(&th));
    in.nonlinearity_limit = INFINITY;
    PetscCall(RdTheoryCompute(&in, &th));
  }
  RD_CHECK(th.holds && th.isolated == (c->dropout > 0.0), "%s: the theory holds (%s)", c->name, th.holds ? (th.isolated ? "isolated minimum" : "orbit of minima") : th.why);
  if (th.isolated) PetscCall(IsolatedCase(c, &task, width, &th));
  else PetscCall(OrbitCase(c, &task, width, &th));
  PetscCall(RdTheoryResultDestroy(&th));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The days protocol                                                                            */

typedef struct {
  const char *name;
  PetscInt    K, n, d, width;
  double      lr, weight_decay, dropout, input_noise;
  PetscInt    burnin, steps_per_day, days, probe_samples, replicas;
} DaysCase;

/* R replicas of one days-protocol point (initial weights as linear_point.c draws them for
 * replicate 0, SGD streams per replica), probed every day; the measured mean angle and squared
 * displacement of every (day, later, stimulus) against the prediction. Returns the worst
 * |measured/predicted - 1| of the angle over pairs. */
static PetscErrorCode RunDays(const DaysCase *c, double *worst_angle, double *worst_displacement)
{
  const PetscInt      m = c->width, n = c->n, d = c->d, K = c->K, D = c->days + 1, R = c->replicas, S = c->probe_samples;
  const RdLinearHyper hyper = {.lr = c->lr, .weight_decay = c->weight_decay, .dropout = c->dropout, .input_noise = c->input_noise, .batch = 1};
  RdTask              task;
  RdLinearNet         net;
  RdReplicaSet        set;
  RdStream            init;
  RdDaysPrediction    pred;
  double             *means, *responses, *angle_sum, *angle_sum2, *disp_sum, *disp_sum2, *W1_0, *W2_0;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(K, n, d, 0.4, 3, 0, &task));
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  RdStreamInit(&init, 3, 0, RD_PURPOSE_INIT);
  RdLinearNetInit(&net, 0.5, &init);
  PetscCall(PetscMalloc2(m * n, &W1_0, d * m, &W2_0));
  PetscCall(PetscArraycpy(W1_0, net.W1, m * n));
  PetscCall(PetscArraycpy(W2_0, net.W2, d * m));
  RdDaysInput in = {.task = &task, .width = m, .lr = c->lr, .weight_decay = c->weight_decay, .input_noise = c->input_noise, .dropout = c->dropout, .batch = 1, .burnin_steps = c->burnin, .steps_per_day = c->steps_per_day, .days = c->days, .probe_samples = S, .probe_dropout = PETSC_TRUE, .W1_init = W1_0, .W2_init = W2_0};
  PetscCall(RdTheoryPredictDays(&in, &pred));
  RD_CHECK(pred.holds, "%s: the theory holds at theta* (%s)", c->name, pred.holds ? "yes" : pred.why);
  PetscCall(PetscMalloc3((size_t)R * D * K * m, &means, (size_t)S * m, &responses, (size_t)D * D * K, &angle_sum));
  PetscCall(PetscCalloc3((size_t)D * D * K, &angle_sum2, (size_t)D * D * K, &disp_sum, (size_t)D * D * K, &disp_sum2));
  for (PetscInt a = 0; a < D * D * K; a++) angle_sum[a] = 0.0;
  PetscCall(RdReplicaSetCreate(R, n, m, d, 3, 0, 0, &set));
  RdReplicaSetStart(&set, W1_0, W2_0);
  for (PetscInt day = 0; day < D; day++) {
    PetscCall(RdReplicaSetAdvance(&set, &hyper, &task, day == 0 ? c->burnin : c->steps_per_day));
    for (PetscInt r = 0; r < R; r++) {
      RdStream probe;
      RdReplicaSetGet(&set, r, net.W1, net.W2);
      RdStreamInit(&probe, 3, (uint32_t)r, RD_PURPOSE(RD_PURPOSE_PROBE, day));
      for (PetscInt s = 0; s < K; s++) {
        double *mean = means + RD_IDX3(r, day, s, D, K) * m;
        RdLinearProbe(&net, &hyper, &task, s, S, PETSC_TRUE, &probe, responses);
        for (PetscInt i = 0; i < m; i++) {
          mean[i] = 0.0;
          for (PetscInt a = 0; a < S; a++) mean[i] += responses[a * m + i] / S;
        }
      }
    }
  }
  for (PetscInt r = 0; r < R; r++)
    for (PetscInt day = 0; day < D; day++)
      for (PetscInt later = day + 1; later < D; later++)
        for (PetscInt s = 0; s < K; s++) {
          const double *a = means + RD_IDX3(r, day, s, D, K) * m, *b = means + RD_IDX3(r, later, s, D, K) * m;
          const size_t  pair = RD_IDX3(day, later, s, D, K);
          double        disp = 0.0, angle = RdAngleDegrees(a, b, m);
          for (PetscInt i = 0; i < m; i++) disp += (b[i] - a[i]) * (b[i] - a[i]);
          angle_sum[pair] += angle, angle_sum2[pair] += angle * angle;
          disp_sum[pair] += disp, disp_sum2[pair] += disp * disp;
        }
  *worst_angle = *worst_displacement = 0.0;
  printf("  %s: m %d, lr %g, g %g, dropout %g, noise %g, burn-in %d, %d days x %d steps, %d probes, %d replicas; relaxation %.0f steps\n", c->name, (int)m, c->lr, c->weight_decay, c->dropout, c->input_noise, (int)c->burnin, (int)c->days, (int)c->steps_per_day, (int)S, (int)R, pred.relaxation_steps);
  for (PetscInt s = 0; s < K; s++)
    for (PetscInt lag = 1; lag < D; lag++) {
      /* pairs (0, lag) and (D - 1 - lag, D - 1): the first and the last of each lag */
      const PetscInt firsts[2] = {0, D - 1 - lag};
      for (int which = 0; which < (lag < D - 1 ? 2 : 1); which++) {
        const PetscInt day = firsts[which];
        const size_t   pair = RD_IDX3(day, day + lag, s, D, K);
        const double   am = angle_sum[pair] / R, ase = sqrt((angle_sum2[pair] / R - am * am) / (R - 1));
        const double   dm = disp_sum[pair] / R, dse = sqrt((disp_sum2[pair] / R - dm * dm) / (R - 1));
        printf("    s %d days %d-%d: angle %.4f +- %.2g deg, predicted %.4f (ratio %.3f +- %.3f); |dm|^2 %.4g +- %.2g, predicted %.4g (ratio %.3f +- %.3f) = path %.3g + fluct %.3g + diff %.3g + probe %.3g\n", (int)s, (int)day, (int)(day + lag), am, ase, pred.angle[pair], am / pred.angle[pair], ase / pred.angle[pair], dm, dse, pred.displacement[pair], dm / pred.displacement[pair], dse / pred.displacement[pair], pred.displacement_path[pair], pred.displacement_fluctuation[pair], pred.displacement_diffusion[pair], pred.displacement_probe[pair]);
        *worst_angle        = fmax(*worst_angle, fabs(am / pred.angle[pair] - 1) - 3 * ase / pred.angle[pair]);
        *worst_displacement = fmax(*worst_displacement, fabs(dm / pred.displacement[pair] - 1) - 3 * dse / pred.displacement[pair]);
      }
    }
  PetscCall(RdReplicaSetDestroy(&set));
  PetscCall(PetscFree3(means, responses, angle_sum));
  PetscCall(PetscFree3(angle_sum2, disp_sum, disp_sum2));
  PetscCall(PetscFree2(W1_0, W2_0));
  PetscCall(RdDaysPredictionDestroy(&pred));
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode RunDaysCases(void)
{
  const DaysCase cases[] = {
    {"days no dropout", 4, 6, 4, 8, 0.05, 0.01, 0.0, 0.1, 20000, 5000, 6, 40, 200},
    {"days dropout 0.2", 4, 6, 4, 4, 0.05, 0.01, 0.2, 0.1, 200000, 5000, 6, 40, 200},
    {"days default-like dropout 0.2", 4, 16, 8, 16, 0.02, 0.001, 0.2, 0.1, 100000, 10000, 10, 200, 40},
    {"days default-like no dropout", 4, 16, 8, 16, 0.02, 0.001, 0.0, 0.1, 100000, 10000, 10, 200, 40},
  };

  PetscFunctionBeginUser;
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    double worst_angle = 0.0, worst_displacement = 0.0;
    PetscCall(RunDays(&cases[c], &worst_angle, &worst_displacement));
    printf("  %s: worst |ratio - 1| beyond 3 standard errors: angle %.3f, squared displacement %.3f\n", cases[c].name, worst_angle, worst_displacement);
    RD_CHECK(worst_displacement < 0.15, "%s: mean squared displacement of the day means within 15%% (+ 3 SE) of the prediction (worst excess %.3f)", cases[c].name, worst_displacement);
    RD_CHECK(worst_angle < 0.15, "%s: mean angle between day means within 15%% (+ 3 SE) of the prediction (worst excess %.3f)", cases[c].name, worst_angle);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  /* E3: relaxation 2000 steps without dropout, 5340 at dropout 0.1; E1: 2000 without, 6.3e4 at
   * dropout 0.1. Diffusion needs sigma t to outgrow F (eta 0.025: a few 1e5 steps). */
  const Case cases[] = {
    {"noise_e3_s0.05", PETSC_FALSE, 1.0 / 3, 0.0, 0.05, 0.025, 1000, 300000, 10, PETSC_FALSE},
    {"noise_e3_s0.1", PETSC_FALSE, 1.0 / 3, 0.0, 0.1, 0.025, 1000, 300000, 10, PETSC_FALSE},
    {"noise_e1_s0.05", PETSC_TRUE, 0.5, 0.0, 0.05, 0.025, 600, 300000, 10, PETSC_FALSE},
    {"noise_e1_s0.1", PETSC_TRUE, 0.5, 0.0, 0.1, 0.025, 600, 300000, 10, PETSC_FALSE},
    {"dropout_e3_q0.1", PETSC_FALSE, 1.0 / 3, 0.1, 0.0, 0.025, 1500, 120000, 10, PETSC_FALSE},
    {"dropout_e3_q0.3", PETSC_FALSE, 1.0 / 3, 0.3, 0.0, 0.025, 1500, 120000, 10, PETSC_FALSE},
    /* not registered with CTest (minutes each; run by hand, numbers in the README): E1 under
     * dropout does not stay in the harmonic basin at eta = 0.025, which the nonlinearity
     * criterion flags; at eta / 4 it holds */
    {"dropout_e1_q0.1", PETSC_TRUE, 0.5, 0.1, 0.0, 0.025, 200, 1400000, 10, PETSC_TRUE},
    {"dropout_e1_q0.3", PETSC_TRUE, 0.5, 0.3, 0.0, 0.025, 200, 1400000, 10, PETSC_TRUE},
    {"dropout_e1_small_lr_q0.1", PETSC_TRUE, 0.5, 0.1, 0.0, 0.00625, 100, 3000000, 5, PETSC_FALSE},
  };
  const char *which = argc > 1 ? argv[1] : "";
  PetscInt    ran   = 0;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  if (!strcmp(which, "days")) {
    PetscCall(RunDaysCases());
    ran++;
  }
  for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++)
    if (strlen(which) && !strncmp(cases[c].name, which, strlen(which))) {
      PetscCall(RunCase(&cases[c]));
      ran++;
    }
  RD_CHECK(ran > 0, "case \"%s\" exists", which);
  int code = RdTestSummary("theory_acceptance_long");
  PetscCall(SlepcFinalize());
  return code;
}
