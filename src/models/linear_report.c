/* -model linear in repdrift-report: an archive of the replica protocol gets the drift theory's
 * table (Pashakhanloo & Koulakov 2023: measured / predicted fluctuation F_s, diffusion slope
 * sigma_s and the rotation rate with standard errors, stimulus 0 against the others; why not where
 * the theory does not hold); an archive of the days protocol the summary table and the predicted
 * beside the measured drift between day means. */
#include "linear_model.h"
#include <repdrift/archive.h>
#include <repdrift/report.h>
#include <repdrift/theory.h>
#include <stdio.h>

/* measured / predicted, or NaN */
static double Ratio(double measured, double predicted) { return predicted != 0 ? measured / predicted : RD_NAN; }

/* "r+-e" of measured / predicted with the standard error scaled alike, into text. */
static void RatioText(char *text, size_t size, PetscBool terse, double measured, double stderr_measured, double predicted)
{
  const double ratio = Ratio(measured, predicted), error = Ratio(stderr_measured, predicted);
  if (isnan(stderr_measured)) snprintf(text, size, terse ? "%.2f" : "%.3f", ratio);
  else snprintf(text, size, terse ? "%.2f+-%.2f" : "%.3f+-%.3f", ratio, fabs(error));
}

/* The linear network's drift theory: measured / predicted coefficients with their standard errors,
 * point by point; where the theory does not hold, why. */
static PetscErrorCode PrintTheory(const char *path, PetscBool terse)
{
  enum {
    FREQUENCY, DROPOUT, WIDTH, LR, STATUS, EXCESS_P, EXCESS_M, EXCESS_SE, F_P, F_M, F_SE, SIG_P, SIG_M, SIG_SE, ROT_P, ROT_M, TIME, CURVE_M, CURVE_P, HOLDS, FAILURE, RELAX, NONLINEAR, N_READ
  };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_LR, RD_FIELD_SWEEP_STATUS, RD_FIELD_THEORY_EXCESS_LOSS_PREDICTED, RD_FIELD_THEORY_EXCESS_LOSS_MEASURED, RD_FIELD_THEORY_EXCESS_LOSS_STDERR, RD_FIELD_THEORY_FLUCTUATION_PREDICTED, RD_FIELD_THEORY_FLUCTUATION_MEASURED, RD_FIELD_THEORY_FLUCTUATION_STDERR, RD_FIELD_THEORY_DIFFUSION_SLOPE_PREDICTED, RD_FIELD_THEORY_DIFFUSION_SLOPE_MEASURED, RD_FIELD_THEORY_DIFFUSION_SLOPE_STDERR, RD_FIELD_THEORY_ROTATION_RATE_PREDICTED, RD_FIELD_THEORY_ROTATION_RATE_MEASURED, RD_FIELD_THEORY_TIME, RD_FIELD_THEORY_VARIANCE_CURVE, RD_FIELD_THEORY_VARIANCE_CURVE_PREDICTED, RD_FIELD_THEORY_PREDICTION_HOLDS, RD_FIELD_THEORY_PREDICTION_FAILURE, RD_FIELD_THEORY_RELAXATION_STEPS, RD_FIELD_THEORY_NONLINEARITY};
  double          *v[N_READ];
  PetscInt         shape[N_READ][RD_MAX_FIELD_RANK];
  RdArchiveReader  reader;
  PetscBool        has_holds;
  int              n_read;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  has_holds = RdArchiveHasField(reader, RD_FIELD_THEORY_PREDICTION_HOLDS);
  PetscCall(RdArchiveCloseRead(&reader));
  n_read = has_holds ? N_READ : HOLDS; /* archives of earlier revisions: predictions only where they are finite */
  PetscCall(RdReportReadFields(path, n_read, fields, v, shape));
  const PetscInt points = shape[0][0], K = shape[F_P][1], R = shape[TIME][1];
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nDrift theory, measured / predicted +- standard error per point: excess loss; F: fluctuation (stimulus 0, the mean of the others); sigma: diffusion slope (on an orbit), or at an isolated (dropout) minimum the measured growth over the run in units of F (predicted 0: a plateau); rot: rotation rate; relax: slowest relaxation time. A run shorter than 10 relaxation times compares the variance at its end with the predicted rise from theta* (F(T), no standard error).\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %9s %7s %5s %8s %8s %9s %15s %15s %15s %15s %15s %7s\n", "point", "frequency", "dropout", "width", "lr", "status", "relax", "excess", "F_0", "F_rest", "sigma_0", "sigma_rest", "rot_0"));
  for (PetscInt p = 0; p < points; p++) {
    const double *Fp = v[F_P] + p * K, *Fm = v[F_M] + p * K, *Fse = v[F_SE] + p * K, *Sp = v[SIG_P] + p * K, *Sm = v[SIG_M] + p * K, *Sse = v[SIG_SE] + p * K;
    const char   *status = RdStatusName((PetscInt)v[STATUS][p]);
    const double  relax  = has_holds ? v[RELAX][p] : RD_NAN, T = v[TIME][p * R + R - 1];
    const PetscBool holds = has_holds ? v[HOLDS][p] == 1 : !isnan(v[EXCESS_P][p]);
    char          excess[32], F0[32], Frest[32], S0[32], Srest[32];
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.3g %7.3g %5d %8.3g %8s %9.3g ", p, v[FREQUENCY][p], v[DROPOUT][p], (int)v[WIDTH][p], v[LR][p], status, relax));
    if (v[STATUS][p] != 1) {
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "no results (the run printed why)\n"));
      continue;
    }
    if (!holds) {
      if (has_holds) {
        const RdTheoryFailure failure = (RdTheoryFailure)(int)v[FAILURE][p];
        if (failure == RD_THEORY_NONLINEAR) PetscCall(PetscPrintf(PETSC_COMM_SELF, "theory does not hold: %s, nonlinearity %.3g > %g (measured F_0 %.3g, sigma_0 %.3g)\n", RdTheoryFailureName(failure), v[NONLINEAR][p], RD_THEORY_NONLINEARITY_LIMIT, Fm[0], Sm[0]));
        else PetscCall(PetscPrintf(PETSC_COMM_SELF, "theory does not hold: %s (measured F_0 %.3g, sigma_0 %.3g)\n", RdTheoryFailureName(failure), Fm[0], Sm[0]));
      } else PetscCall(PetscPrintf(PETSC_COMM_SELF, "no prediction: this archive's theory holds at dropout 0 and input noise 0 (measured F_0 %.3g, sigma_0 %.3g)\n", Fm[0], Sm[0]));
      continue;
    }
    RatioText(excess, sizeof excess, terse, v[EXCESS_M][p], v[EXCESS_SE][p], v[EXCESS_P][p]);
    {
      double mp = 0.0, mm = 0.0, mse = 0.0;
      for (PetscInt k = 1; k < K; k++) mp += Fp[k], mm += Fm[k], mse += Fse[k] * Fse[k];
      if (v[DROPOUT][p] > 0 && has_holds && 10 * relax > T) { /* not yet at the plateau: the variance at the end against the rise */
        double end_m = 0.0, end_p = 0.0;
        for (PetscInt k = 1; k < K; k++) end_m += v[CURVE_M][(p * K + k) * R + R - 1], end_p += v[CURVE_P][(p * K + k) * R + R - 1];
        snprintf(F0, sizeof F0, terse ? "F(T) %.2f" : "F(T) %.3f", Ratio(v[CURVE_M][(p * K) * R + R - 1], v[CURVE_P][(p * K) * R + R - 1]));
        snprintf(Frest, sizeof Frest, terse ? "F(T) %.2f" : "F(T) %.3f", Ratio(end_m, end_p));
      } else {
        RatioText(F0, sizeof F0, terse, Fm[0], Fse[0], Fp[0]);
        RatioText(Frest, sizeof Frest, terse, mm, sqrt(mse), mp);
      }
    }
    if (v[DROPOUT][p] > 0 && has_holds) { /* plateau predicted: growth over the run in units of F */
      double mp = 0.0, mm = 0.0, mse = 0.0;
      for (PetscInt k = 1; k < K; k++) mp += Fp[k], mm += Sm[k] * T, mse += Sse[k] * T * Sse[k] * T;
      snprintf(S0, sizeof S0, terse ? "%+.2f+-%.2f" : "%+.3f+-%.3f", Sm[0] * T / Fp[0], Sse[0] * T / Fp[0]);
      snprintf(Srest, sizeof Srest, terse ? "%+.2f+-%.2f" : "%+.3f+-%.3f", mm / mp, sqrt(mse) / mp);
    } else {
      double mp = 0.0, mm = 0.0, mse = 0.0;
      for (PetscInt k = 1; k < K; k++) mp += Sp[k], mm += Sm[k], mse += Sse[k] * Sse[k];
      RatioText(S0, sizeof S0, terse, Sm[0], Sse[0], Sp[0]);
      RatioText(Srest, sizeof Srest, terse, mm, sqrt(mse), mp);
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, terse ? "%15s %15s %15s %15s %15s %7.2f\n" : "%15s %15s %15s %15s %15s %7.3f\n", excess, F0, Frest, S0, Srest, Ratio(v[ROT_M][p * K], v[ROT_P][p * K])));
  }
  for (int i = 0; i < n_read; i++) PetscCall(PetscFree(v[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The days protocol: the drift between day means measured beside the theory's expectation, per
 * point (stimulus 0's angle at lag 1 and at the longest lag, mean over the day pairs; the ratio
 * measured / predicted over every pair and stimulus). Archives of earlier revisions have none. */
static PetscErrorCode PrintDaysPrediction(const char *path, PetscBool terse)
{
  enum { FREQUENCY, DROPOUT, WIDTH, SEED, STATUS, MEASURED, PREDICTED, HOLDS, FAILURE, RELAX, N_READ };
  const RdField   fields[N_READ] = {RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_SEED, RD_FIELD_SWEEP_STATUS, RD_FIELD_DRIFT_ANGLE_BETWEEN_MEANS, RD_FIELD_THEORY_DRIFT_ANGLE_PREDICTED, RD_FIELD_THEORY_PREDICTION_HOLDS, RD_FIELD_THEORY_PREDICTION_FAILURE, RD_FIELD_THEORY_RELAXATION_STEPS};
  double         *v[N_READ];
  PetscInt        shape[N_READ][RD_MAX_FIELD_RANK];
  RdArchiveReader reader;
  PetscBool       has;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  has = RdArchiveHasField(reader, RD_FIELD_THEORY_DRIFT_ANGLE_PREDICTED);
  PetscCall(RdArchiveCloseRead(&reader));
  if (!has) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shape));
  const PetscInt points = shape[0][0], D = shape[MEASURED][1], K = shape[MEASURED][3], last = D - 1;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nDrift between day means, measured and predicted by the drift theory (angle between the day means of stimulus 0 in degrees, mean over the day pairs of a lag; ratio: measured / predicted, mean and range over every pair and stimulus; relax: slowest relaxation time of the fluctuations around theta*)\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %9s %7s %5s %4s %8s %9s %17s %17s %24s\n", "point", "frequency", "dropout", "width", "seed", "status", "relax", "lag 1 meas, pred", "lag D meas, pred", "ratio mean [min, max]"));
  for (PetscInt p = 0; p < points; p++) {
    const double *m = v[MEASURED] + (size_t)p * D * D * K, *q = v[PREDICTED] + (size_t)p * D * D * K;
    double        lag[2][2] = {{0, 0}, {0, 0}}, sum = 0.0, low = INFINITY, high = -INFINITY;
    PetscInt      count[2] = {0, 0}, n = 0;
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.3g %7.3g %5d %4d %8s %9.3g ", p, v[FREQUENCY][p], v[DROPOUT][p], (int)v[WIDTH][p], (int)v[SEED][p], RdStatusName((PetscInt)v[STATUS][p]), v[RELAX][p]));
    if (v[STATUS][p] != 1) {
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "no results (the run printed why)\n"));
      continue;
    }
    if (v[HOLDS][p] != 1) {
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "theory does not hold: %s\n", RdTheoryFailureName((RdTheoryFailure)(int)v[FAILURE][p])));
      continue;
    }
    for (PetscInt d = 0; d < D; d++)
      for (PetscInt l = d + 1; l < D; l++)
        for (PetscInt s = 0; s < K; s++) {
          const size_t pair = RD_IDX3(d, l, s, D, K);
          if (s == 0 && (l - d == 1 || l - d == last)) {
            const int which = l - d == 1 ? 0 : 1;
            lag[which][0] += m[pair], lag[which][1] += q[pair], count[which]++;
          }
          if (isfinite(m[pair]) && isfinite(q[pair]) && q[pair] > 0) {
            const double ratio = m[pair] / q[pair];
            sum += ratio, n++, low = PetscMin(low, ratio), high = PetscMax(high, ratio);
          }
        }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, terse ? "%8.2f,%8.2f %8.2f,%8.2f %8.2f [%6.2f,%6.2f]\n" : "%8.3f,%8.3f %8.3f,%8.3f %8.3f [%6.3f,%6.3f]\n", lag[0][0] / count[0], lag[0][1] / count[0], lag[1][0] / count[1], lag[1][1] / count[1], sum / n, low, high));
  }
  for (int i = 0; i < N_READ; i++) PetscCall(PetscFree(v[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearReport(const char *path, PetscBool terse)
{
  RdArchiveReader reader;
  PetscBool       has_theory;
  char            status[64], model[64];

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  has_theory = RdArchiveHasField(reader, RD_FIELD_THEORY_L_STAR);
  PetscCall(RdArchiveCloseRead(&reader));
  if (!has_theory) {
    PetscCall(RdReportPrintSummary(path, terse));
    PetscCall(PrintDaysPrediction(path, terse));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(RdReportReadRun(path, status, model, sizeof status));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nArchive status %s, model %s, protocol replicas\n", status, model));
  PetscCall(PrintTheory(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}
