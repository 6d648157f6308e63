/* -model classifier in repdrift-report: the per-point table, then the drift signature of each noise
 * source (means over its finished points, the delta t = 0 null in brackets) next to the values
 * Aitken et al. (2022) give in the text: for node dropout, the share of the variance inside the
 * variational space (82 %), D/n, a_rel, the angle between consecutive classifiers, and the readout
 * rotation over 5 epochs, also under gradient noise. */
#include "classifier_model.h"
#include <repdrift/noise.h>
#include <repdrift/report.h>
#include <stdio.h>
#include <stdlib.h>

/* The readout rotation the paper reports is end to end: the angle between the readout rows 5 epochs
 * apart (Aitken et al. 2022: 2.6 degrees over 5 epochs under node dropout, 18.6 under gradient
 * noise), so it is compared with /signature/readout_rotation at snapshot 5 x snapshots_per_epoch
 * (snapshot 0 = end of burn-in), not with a per-epoch path length. Sets *snapshot to -1 when the
 * run is shorter than 5 epochs. */
static PetscErrorCode FiveEpochSnapshot(const char *path, PetscInt snapshots, PetscInt *snapshot)
{
  char      value[64];
  PetscBool found;

  PetscFunctionBeginUser;
  *snapshot = -1;
  PetscCall(RdReportReadOption(path, "-snapshots_per_epoch", value, sizeof value, &found));
  if (found && atoi(value) >= 1 && 5 * atoi(value) < snapshots) *snapshot = 5 * atoi(value);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The classifier's drift signature: one row per noise type (mean over its finished points), the
 * delta t = 0 null in brackets, and the values Aitken et al. (2022) give in the text (node dropout,
 * n = 84 feature units; the readout rotation also under gradient noise). */
static PetscErrorCode PrintSignature(const char *path, PetscBool terse)
{
  enum { N_READ = 21 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_NOISE_TYPE, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SIGNATURE_ACCURACY, RD_FIELD_SIGNATURE_READOUT_ROTATION, RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE, RD_FIELD_SIGNATURE_ANGLE_R, RD_FIELD_SIGNATURE_NULL_ANGLE_R, RD_FIELD_SIGNATURE_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_FRACTION_CHANCE, RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE};
  enum { FIRST_SCALAR = 5, COLUMNS = N_READ - FIRST_SCALAR + 3 }; /* accuracy at the first and last snapshot, the scalars 5..20, the rotation at 5 epochs */
  double  *v[N_READ];
  PetscInt shape[N_READ][RD_MAX_FIELD_RANK], five_epochs;
  char     rotation[32];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shape));
  const PetscInt points = shape[0][0], days = shape[3][1];
  PetscCall(FiveEpochSnapshot(path, days, &five_epochs));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nDrift signature per noise type (mean over finished points; [delta t = 0 null]). angle: theta(d, w_i) vs v_i; flow: log-log slope of vtilde vs v;\n"
                                         "gamma/chance: drift in the variational space; var_in_k: share of the variance in the variational space; a_rel: relative cross accuracy;\n"
                                         "day-acc: classifier telling snapshot s from s+1 [split half]; turnover: slope of a unit's change on its mean; rot_5ep: readout rotation, end to end over 5 epochs\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-16s %6s %3s %6s %6s %14s %13s %7s %6s %7s %11s %8s %6s %6s %13s %8s %7s %s\n", "noise", "level", "n", "acc_0", "acc_T", "angle_slope", "angle_r", "ang_pc1", "flow", "vt1/v1", "gamma/chnc", "var_in_k", "D/n", "a_rel", "day-acc", "turnover", "svc_ang", "rot_5ep"));
  for (PetscInt t = 0; t < RD_NUM_NOISE_TYPES; t++) {
    double   sum[COLUMNS] = {0}, level = RD_NAN;
    PetscInt n = 0;
    for (PetscInt p = 0; p < points; p++) {
      if ((PetscInt)v[1][p] != t || v[0][p] != 1) continue;
      double row[COLUMNS] = {v[3][p * days], v[3][p * days + days - 1]};
      for (int f = FIRST_SCALAR; f < N_READ; f++) row[f - FIRST_SCALAR + 2] = v[f][p];
      row[COLUMNS - 1] = five_epochs >= 0 ? v[4][p * days + five_epochs] : RD_NAN;
      for (int c = 0; c < COLUMNS; c++) sum[c] += row[c];
      level = v[2][p];
      n++;
    }
    if (!n) continue;
    double m[COLUMNS];
    for (int c = 0; c < COLUMNS; c++) m[c] = sum[c] / (double)n;
    /* m: 0 acc_0, 1 acc_T, 2 slope, 3 null slope, 4 r, 5 null r, 6 angle pc1, 7 flow, 8 ratio, 9 gamma, 10 chance, 11 variance share, 12 D/n, 13 a_rel, 14 day acc, 15 null day acc, 16 turnover, 17 classifier angle, 18 rotation at 5 epochs */
    if (five_epochs >= 0) snprintf(rotation, sizeof rotation, terse ? "%.1f" : "%.2f", m[18]);
    else snprintf(rotation, sizeof rotation, "n/a (< 5 epochs)");
    PetscCall(PetscPrintf(PETSC_COMM_SELF, terse ? "%-16s %6.2g %3d %6.2f %6.2f %6.0f [%5.0f] %5.2f [%5.2f] %7.0f %6.2f %7.2f %5.2f/%4.2f %8.2f %6.3f %6.2f %5.2f [%5.2f] %8.2f %7.0f %s\n" : "%-16s %6.3g %3d %6.3f %6.3f %6.1f [%5.1f] %5.2f [%5.2f] %7.1f %6.3f %7.3f %5.3f/%4.2f %8.3f %6.3f %6.3f %5.3f [%5.3f] %8.3f %7.1f %s\n", rd_noise_type_names[t], level, (int)n, m[0], m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15], m[16], m[17], rotation));
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-16s %6s %3s %6s %6s %14s %13s %7s %6s %7s %11s %8s %6s %6s %13s %8s %7s %s\n", "paper (node)", "0.5", "", "stable", "", "rising", "", ">90", "<1", "<1", "> chance", "0.82", "0.070", "0.86", "", "", "71", "2.6"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-16s %6s %3s %6s %6s %14s %13s %7s %6s %7s %11s %8s %6s %6s %13s %8s %7s %s\n", "paper (gradient)", "3", "", "stable", "", "", "", "", "", "", "> chance", "", "", "", "", "", "", "18.6"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "(paper: Aitken et al. 2022, a CIFAR-10 CNN with 84 feature units; the readout rotation is the angle between the readout rows at the start and after 5 epochs%s; obtuse top-PC angles only for node and weight dropout)\n", five_epochs >= 0 ? "" : ": this run is shorter than 5 epochs, so rot_5ep is n/a"));
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
