/* -model recording in repdrift-report: the summary table, then per recording its drift signature
 * over consecutive sessions next to its two within-session nulls, and the paper's mouse V1 values
 * (the built-in reference paper-v1, include/repdrift/reference.h). */
#include "recording_model.h"
#include <repdrift/reference.h>
#include <repdrift/report.h>
#include <stdio.h>

/* The paper's values, one per line, as reference.h holds them. */
static PetscErrorCode PrintReference(const RdReferenceRecording *reference)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s (%s):\n", reference->name, reference->citation));
  for (PetscInt i = 0; i < reference->n_values; i++) {
    const RdReferenceValue *v = &reference->values[i];
    char                    text[64]; /* C's %g (PETSc's appends '.' to whole numbers) */
    if (v->kind == RD_REFERENCE_MEAN_SD) snprintf(text, sizeof text, "%g +- %g", v->value, v->spread);
    else snprintf(text, sizeof text, "%s %g", v->kind == RD_REFERENCE_APPROXIMATE ? "about" : "below", v->value);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "  %-38s %s %s\n", v->metric, text, v->units));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode PrintRecordings(const char *path, PetscBool terse)
{
  enum { N_READ = 22 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_RECORDING_SESSIONS, RD_FIELD_RECORDING_STIMULI, RD_FIELD_RECORDING_TRIALS, RD_FIELD_RECORDING_NEURONS,
                                  RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_NULL_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_EVEN_ODD_PARTICIPATION_RATIO_PER_UNIT,
                                  RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_FRACTION_IN_VARIATIONAL_SPACE,
                                  RD_FIELD_SIGNATURE_EVEN_ODD_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_FRACTION_CHANCE, RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY,
                                  RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_EVEN_ODD_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE,
                                  RD_FIELD_SIGNATURE_VARIATIONAL_OVERLAP, RD_FIELD_SIGNATURE_ANGLE_BETWEEN_MEANS_PER_DAY, RD_FIELD_SIGNATURE_ANGLE_TO_PC1,
                                  RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE};
  double  *v[N_READ];
  PetscInt shape[N_READ][RD_MAX_FIELD_RANK];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shape));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nRecordings (point = position in -recordings): drift signature over consecutive sessions, [within-session split-half | even/odd null] (Aitken et al. 2022, section 2.1)\n"
                                         "D/n: participation ratio per neuron; var: variance share in the variational space; gamma: drift in it (chance k/n); sess-acc: a classifier telling\n"
                                         "consecutive sessions apart; clf: angle between consecutive sessions' stimulus 0/1 classifiers; overlap: of the variational spaces; ang/day: angle between means per day\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %-7s %5s %5s %6s %7s %21s %5s %24s %22s %6s %7s %7s %7s %7s %6s\n", "point", "status", "sess", "stim", "trials", "neurons", "D/n [split|e/o]", "var", "gamma [split|e/o] chance", "sess-acc [split|e/o]", "clf", "overlap", "ang/day", "ang_pc1", "slope", "flow"));
  for (PetscInt p = 0; p < shape[0][0]; p++) {
    double m[N_READ];
    for (int f = 0; f < N_READ; f++) m[f] = v[f][p];
    PetscCall(PetscPrintf(PETSC_COMM_SELF,
                          terse ? "%5d %-7s %5.0f %5.0f %6.0f %7.0f %5.3f [%5.3f|%5.3f] %5.2f %5.2f [%5.2f|%5.2f] %5.2f %5.2f [%5.2f|%5.2f] %6.1f %7.2f %7.2f %7.1f %7.1f %6.2f\n"
                                : "%5d %-7s %5.0f %5.0f %6.0f %7.0f %5.4f [%5.4f|%5.4f] %5.3f %5.3f [%5.3f|%5.3f] %5.3f %5.3f [%5.3f|%5.3f] %6.2f %7.3f %7.3f %7.2f %7.2f %6.3f\n",
                          (int)p, RdStatusName((PetscInt)m[0]), m[1], m[2], m[3], m[4], m[5], m[6], m[7], m[8], m[9], m[10], m[11], m[12], m[13], m[14], m[15], m[16], m[17], m[18], m[19], m[20], m[21]));
  }
  for (int f = 0; f < N_READ; f++) PetscCall(PetscFree(v[f]));
  PetscCall(PrintReference(RdReferenceFind("paper-v1")));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "(repdrift-report %s -compare NETWORK.h5 ranks a network's noise sources by their distance to these recordings)\n", path));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingReport(const char *path, PetscBool terse)
{
  PetscFunctionBeginUser;
  PetscCall(RdReportPrintSummary(path, terse));
  PetscCall(PrintRecordings(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}
