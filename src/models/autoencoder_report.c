/* -model autoencoder in repdrift-report: the summary table, then per point kappa of the presented
 * sources (the range condition of Dorrell et al. 2025: kappa > 0 predicts a mixed optimal code)
 * next to the mixing of the code learned by the last day. */
#include "autoencoder_model.h"
#include <repdrift/report.h>

/* The autoencoder: kappa of each point's source distribution next to the learned code's mixing. */
static PetscErrorCode PrintModularity(const char *path, PetscBool terse)
{
  enum { N_READ = 12 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_SEED, RD_FIELD_MODULARITY_KAPPA, RD_FIELD_MODULARITY_KAPPA_NORMALIZED, RD_FIELD_MODULARITY_MIXING_MAX, RD_FIELD_MODULARITY_MIXING_MEAN, RD_FIELD_MODULARITY_CINFOM, RD_FIELD_MODULARITY_RELATIVE_GAP, RD_FIELD_MODULARITY_ACTIVE_UNITS};
  double  *v[N_READ];
  PetscInt shape[N_READ][RD_MAX_FIELD_RANK];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shape));
  const PetscInt points = shape[0][0], days = shape[7][1];
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nModularity: kappa of the presented sources (> 0 predicts a mixed optimum given a spare unit) vs the learned code on the last day\n"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %9s %7s %5s %4s %-8s %10s %8s %-9s %8s %8s %8s %9s %6s\n", "point", "corner_p", "dropout", "width", "seed", "status", "kappa", "kappa/e2", "predicts", "mix_max", "mix_mean", "cinfom", "rel_gap", "active"));
  for (PetscInt p = 0; p < points; p++) {
    const size_t last = (size_t)p * days + days - 1;
    const char  *predicts = isnan(v[5][p]) ? "-" : v[6][p] > 1e-10 ? (v[3][p] > 2 ? "mixed" : "mixed*") : "modular";
    PetscCall(PetscPrintf(PETSC_COMM_SELF, terse ? "%5" PetscInt_FMT " %9.3g %7.2g %5d %4d %-8s %10.3g %8.3f %-9s %8.2f %8.2f %8.2f %9.3f %6d\n" : "%5" PetscInt_FMT " %9.4g %7.3g %5d %4d %-8s %10.4g %8.4f %-9s %8.4f %8.4f %8.4f %9.4f %6d\n", p, v[1][p], v[2][p], (int)v[3][p], (int)v[4][p], RdStatusName((PetscInt)v[0][p]), v[5][p], v[6][p], predicts, v[7][last], v[8][last], v[9][last], v[10][last], (int)(isnan(v[11][last]) ? -1 : v[11][last])));
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "(mixed*: kappa > 0 but the width leaves no spare unit for 2 sources, where the optimum may stay modular)\n"));
  for (int i = 0; i < N_READ; i++) PetscCall(PetscFree(v[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdAutoencoderReport(const char *path, PetscBool terse)
{
  PetscFunctionBeginUser;
  PetscCall(RdReportPrintSummary(path, terse));
  PetscCall(PrintModularity(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}
