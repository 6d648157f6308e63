/* -model linear in repdrift-report: an archive of the replica protocol gets the drift theory's
 * table (Pashakhanloo & Koulakov 2023: measured / predicted fluctuation F_s, diffusion slope
 * sigma_s, its normalised form and the rotation rate, stimulus 0 against the others); an archive
 * of the days protocol the summary table. */
#include "linear_model.h"
#include <repdrift/archive.h>
#include <repdrift/report.h>

/* measured / predicted, or NaN */
static double Ratio(double measured, double predicted) { return predicted != 0 ? measured / predicted : RD_NAN; }

/* Mean over stimuli 1..K-1 of row[k] (the stimuli that share 1 - p_0). */
static double MeanOfRest(const double *row, PetscInt K)
{
  double sum = 0;
  for (PetscInt k = 1; k < K; k++) sum += row[k];
  return K > 1 ? sum / (double)(K - 1) : RD_NAN;
}

/* The linear network's drift theory: predicted vs measured coefficients, point by point. */
static PetscErrorCode PrintTheory(const char *path, PetscBool terse)
{
  enum { N_READ = 15 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_LR, RD_FIELD_SWEEP_STATUS, RD_FIELD_THEORY_EXCESS_LOSS_PREDICTED, RD_FIELD_THEORY_EXCESS_LOSS_MEASURED, RD_FIELD_THEORY_FLUCTUATION_PREDICTED, RD_FIELD_THEORY_FLUCTUATION_MEASURED, RD_FIELD_THEORY_DIFFUSION_SLOPE_PREDICTED, RD_FIELD_THEORY_DIFFUSION_SLOPE_MEASURED, RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_PREDICTED, RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_MEASURED, RD_FIELD_THEORY_ROTATION_RATE_PREDICTED, RD_FIELD_THEORY_ROTATION_RATE_MEASURED};
  double  *v[N_READ];
  PetscInt shape[N_READ][RD_MAX_FIELD_RANK];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shape));
  const PetscInt points = shape[0][0], K = shape[7][1];
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nDrift theory, measured / predicted per point (F: fluctuation, sigma: diffusion slope, sigma/|h|^2: normalised, rot: rotation rate; stimulus 0 and the mean of the others)\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %9s %7s %5s %8s %8s %7s %7s %7s %7s %7s %9s %9s %17s %17s\n", "point", "frequency", "dropout", "width", "lr", "status", "excess", "F_0", "sigma_0", "signm_0", "rot_0", "F_0/rest", "sig_0/rest", "pred F_0, F_rest", "meas F_0, F_rest"));
  for (PetscInt p = 0; p < points; p++) {
    const double *Fp = v[7] + p * K, *Fm = v[8] + p * K, *Sp = v[9] + p * K, *Sm = v[10] + p * K, *Np = v[11] + p * K, *Nm = v[12] + p * K, *Rp = v[13] + p * K, *Rm = v[14] + p * K;
    const char   *status = RdStatusName((PetscInt)v[4][p]);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.3g %7.3g %5d %8.3g %8s ", p, v[0][p], v[1][p], (int)v[2][p], v[3][p], status));
    if (v[4][p] != 1) {
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "no results (the run printed why)\n"));
      continue;
    }
    if (isnan(v[5][p])) {
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "no prediction: the theory holds at dropout 0 and input noise 0 (measured F_0 %.3g, sigma_0 %.3g)\n", Fm[0], Sm[0]));
      continue;
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, terse ? "%7.2f %7.2f %7.2f %7.2f %7.2f %9.3f %9.3f %8.3g,%8.3g %8.3g,%8.3g\n" : "%7.3f %7.3f %7.3f %7.3f %7.3f %9.4f %9.4f %8.3g,%8.3g %8.3g,%8.3g\n", Ratio(v[6][p], v[5][p]), Ratio(Fm[0], Fp[0]), Ratio(Sm[0], Sp[0]), Ratio(Nm[0], Np[0]), Ratio(Rm[0], Rp[0]), Fp[0] / MeanOfRest(Fp, K), Sp[0] / MeanOfRest(Sp, K), Fp[0], MeanOfRest(Fp, K), Fm[0], MeanOfRest(Fm, K)));
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
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(RdReportReadRun(path, status, model, sizeof status));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nArchive status %s, model %s, protocol replicas\n", status, model));
  PetscCall(PrintTheory(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}
