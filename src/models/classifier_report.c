/* -model classifier in repdrift-report: the summary table, then the drift signature of each noise
 * source (means over its finished points, the delta t = 0 null in brackets) next to the values
 * Aitken et al. (2022) report for node dropout. */
#include "classifier_model.h"
#include <repdrift/noise.h>
#include <repdrift/report.h>

/* The classifier's drift signature: one row per noise type (mean over its finished points), the
 * delta t = 0 null in brackets, and the paper's node-dropout values (Aitken et al. 2022, n = 84). */
static PetscErrorCode PrintSignature(const char *path, PetscBool terse)
{
  enum { N_READ = 20 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_NOISE_TYPE, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SIGNATURE_ACCURACY, RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE, RD_FIELD_SIGNATURE_ANGLE_R, RD_FIELD_SIGNATURE_NULL_ANGLE_R, RD_FIELD_SIGNATURE_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_FRACTION_CHANCE, RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_READOUT_ROTATION_PER_EPOCH, RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE};
  enum { COLUMNS = N_READ - 2 }; /* accuracy at the first and last snapshot, then fields 4..19 */
  double  *v[N_READ];
  PetscInt shape[N_READ][RD_MAX_FIELD_RANK];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shape));
  const PetscInt points = shape[0][0], days = shape[3][1];
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nDrift signature per noise type (mean over finished points; [delta t = 0 null]). angle: theta(d, w_i) vs v_i; flow: log-log slope of vtilde vs v;\n"
                                         "gamma/chance: drift in the variational space; a_rel: relative cross accuracy; day-acc: classifier telling snapshot s from s+1 [split half]; turnover: slope of a unit's change on its mean\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-15s %6s %3s %6s %6s %14s %13s %7s %6s %7s %11s %6s %6s %13s %8s %9s %7s\n", "noise", "level", "n", "acc_0", "acc_T", "angle_slope", "angle_r", "ang_pc1", "flow", "vt1/v1", "gamma/chnc", "D/n", "a_rel", "day-acc", "turnover", "rot/epoch", "svc_ang"));
  for (PetscInt t = 0; t < RD_NUM_NOISE_TYPES; t++) {
    double   sum[COLUMNS] = {0}, level = RD_NAN;
    PetscInt n = 0;
    for (PetscInt p = 0; p < points; p++) {
      if ((PetscInt)v[1][p] != t || v[0][p] != 1) continue;
      double row[COLUMNS] = {v[3][p * days], v[3][p * days + days - 1]};
      for (int f = 4; f < N_READ; f++) row[f - 2] = v[f][p];
      for (int c = 0; c < COLUMNS; c++) sum[c] += row[c];
      level = v[2][p];
      n++;
    }
    if (!n) continue;
    double m[COLUMNS];
    for (int c = 0; c < COLUMNS; c++) m[c] = sum[c] / (double)n;
    /* m: 0 acc_0, 1 acc_T, 2 slope, 3 null slope, 4 r, 5 null r, 6 angle pc1, 7 flow, 8 ratio, 9 gamma, 10 chance, 11 D/n, 12 a_rel, 13 day acc, 14 null day acc, 15 turnover, 16 rot/epoch, 17 classifier angle */
    PetscCall(PetscPrintf(PETSC_COMM_SELF, terse ? "%-15s %6.2g %3d %6.2f %6.2f %6.0f [%5.0f] %5.2f [%5.2f] %7.0f %6.2f %7.2f %5.2f/%4.2f %6.3f %6.2f %5.2f [%5.2f] %8.2f %9.1f %7.0f\n" : "%-15s %6.3g %3d %6.3f %6.3f %6.1f [%5.1f] %5.2f [%5.2f] %7.1f %6.3f %7.3f %5.3f/%4.2f %6.3f %6.3f %5.3f [%5.3f] %8.3f %9.2f %7.1f\n", rd_noise_type_names[t], level, (int)n, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15], m[16], m[17]));
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-15s %6s %3s %6s %6s %14s %13s %7s %6s %7s %11s %6s %6s %13s %8s %9s %7s\n", "paper (node)", "0.5", "", "stable", "", "rising", "", ">90", "<1", "<1", "0.82 var", "0.070", "0.86", "", "", "0.52", "71"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "(paper: readout rotation 2.6 deg over 5 epochs under node dropout, 18.6 under gradient noise; obtuse top-PC angles only for node and weight dropout)\n"));
  for (int i = 0; i < N_READ; i++) PetscCall(PetscFree(v[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdClassifierReport(const char *path, PetscBool terse)
{
  PetscFunctionBeginUser;
  PetscCall(RdReportPrintSummary(path, terse));
  PetscCall(PrintSignature(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}
