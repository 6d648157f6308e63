/* Human-readable tables from an archive. Serial, no MPI: works on any archive, from any run.
 * The summary table (every model): per point the final loss, the fraction of drift in the
 * variational space gamma against its chance level k/n, the angle between the drift and PC 1, and
 * the cross-day readout accuracy, after Aitken et al. (2022). A model adds its own section
 * (RdModelOps.report) with the helpers below. */
#ifndef REPDRIFT_REPORT_H
#define REPDRIFT_REPORT_H

#include <repdrift/common.h>
#include <repdrift/schema.h>

/* Headline numbers of one point, derived from the archive alone. */
typedef struct {
  PetscInt status;
  double   frequency, noise_level;
  PetscInt width, seed;
  double   final_loss;         /* loss on the last day */
  double   mean_drift_fraction, mean_drift_fraction_chance; /* consecutive days, all stimuli */
  double   mean_angle_to_pc1;  /* degrees, days 1.., all stimuli */
  double   cross_accuracy_first_last; /* classifier trained on day 0, tested on the last day */
} RdPointSummary;

/* Reads the archive and fills summaries[n_points] (PetscFree it). */
PetscErrorCode RdReportSummaries(const char *path, PetscInt *n_points, RdPointSummary **summaries);
/* The archive's tables: its model's section (the summary table for a model this build does not
 * know); -terse rounds to 3 significant digits and omits times. */
PetscErrorCode RdReportPrint(const char *path, PetscBool terse);
/* The summary table, one row per point. */
PetscErrorCode RdReportPrintSummary(const char *path, PetscBool terse);
/* The root attributes "status" and "model" (size bytes each). */
PetscErrorCode RdReportReadRun(const char *path, char *status, char *model, size_t size);
/* Reads n fields of an archive as float64 (values[i] PetscMalloc'ed; shapes[i] its dimensions). */
PetscErrorCode RdReportReadFields(const char *path, int n, const RdField fields[], double *values[], PetscInt shapes[][RD_MAX_FIELD_RANK]);
/* Consistency check after a run: each of the n points it computed has a final status; counts
 * diverged/failed among them. */
PetscErrorCode RdReportVerify(const char *path, PetscInt n, const PetscInt *points, PetscInt *n_diverged, PetscInt *n_failed);
/* The archive schema (dimensions and datasets) as text, one line each, for users and tests. */
PetscErrorCode RdReportPrintSchema(void);

#endif
