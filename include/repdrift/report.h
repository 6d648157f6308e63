/* Human-readable tables from an archive. Serial, no MPI: works on any archive, from any run.
 * The per-point table (every model) holds each point's headline columns (below), after Aitken et
 * al. (2022); -summary averages them over seeds; -csv prints either table as CSV. A model adds its
 * own section (RdModelOps.report) with the helpers below. */
#ifndef REPDRIFT_REPORT_H
#define REPDRIFT_REPORT_H

#include <repdrift/common.h>
#include <repdrift/schema.h>

/* ---------- the headline columns (src/report_summary.c) ----------
 * One number per point, derived from the archive alone. Python's repdrift.point_summaries and
 * repdrift.summary (python/repdrift/summary.py, HEADLINE_COLUMNS) implement the same definitions,
 * in the same order; D is the length of the day dimension (days + 1), pairs are the consecutive
 * day pairs (d, d+1), d = 0..D-2, of every stimulus group k:
 *   final_loss                 /task/loss[p, D-1]
 *   mean_drift_fraction        mean of gamma, /drift/fraction_in_variational_space[p, d, d+1, k] (Eq 9),
 *                              over the pairs at which it and /drift/fraction_chance are finite
 *   mean_drift_fraction_chance mean of /drift/fraction_chance (k/n) over the same pairs
 *   mean_angle_to_pc1          mean of the finite /drift/angle_to_pc[p, d, k, 0], d = 1..D-1 (Eq 13b)
 *   cross_accuracy_first_last  /readout/classifier_accuracy[p, 0, D-1]
 *   mean_overlap               mean of Gamma, /drift/variational_overlap[p, d, d+1, k] (Eq 10), over the
 *                              pairs at which it is finite
 *   mean_overlap_chance        mean of /drift/variational_overlap_chance (max(k, k')/n) over the same
 *                              pairs (NaN for an archive written before it was stored)
 * Every column is NaN where no value enters it, and at points not done (/sweep/status != 1). */
typedef struct RdHeadlineArchive RdHeadlineArchive; /* the datasets the columns read */

typedef struct {
  const char *name;   /* CSV and summary column (python HEADLINE_COLUMNS) */
  const char *header; /* per-point text table */
  int         width, precision, precision_terse;
  char        conversion; /* 'f' or 'g' */
  double (*value)(const RdHeadlineArchive *archive, PetscInt point);
} RdHeadlineColumn;

/* The headline columns of every point of an archive, with the sweep coordinates of each point. */
typedef struct {
  PetscInt                n_points, n_columns;
  const RdHeadlineColumn *columns;
  PetscInt               *status, *noise_type, *width, *seed;
  double                 *frequency, *noise_level, *lr;
  double                 *values; /* [point][column], NaN at points not done */
} RdHeadlines;

PetscErrorCode RdHeadlinesRead(const char *path, RdHeadlines *headlines);
PetscErrorCode RdHeadlinesDestroy(RdHeadlines *headlines);

/* Mean, standard error and count of the finite values among values[0..n-1]: mean = sum / count
 * (NaN if count = 0), se = the sample standard deviation (ddof = 1) / sqrt(count) (NaN if
 * count < 2), summed in index order. */
typedef struct {
  double   mean, se;
  PetscInt n;
} RdMeanSE;
void RdMeanStandardError(const double *values, PetscInt n, RdMeanSE *result);

/* x as the shortest decimal text that reads back (strtod) as the same double, written the way
 * Python's repr(float) writes it: "0.1", "100.0", "1e-05", "1.5e+16", "-0.0", "nan", "inf". */
void RdFormatShortest(double x, char *text, size_t size);

/* The tables of the headline columns:
 * - per point, as text (RdReportPrintSummary, every model's first table) or CSV: point,
 *   frequency, noise_type, noise_level, width, lr, seed, status, then the columns;
 * - -summary: per combination of the axes other than the seed (in the sweep's order), n_points,
 *   n_not_done (points whose status is not done: left out of every column), and each column's
 *   RdMeanStandardError over the done points, as text or as CSV with the header
 *   frequency,noise_type,noise_level,width,lr,n_points,n_not_done,<column>_mean,<column>_se,<column>_n,...
 * CSV: '#' comment lines (the archive, its model and status) before the header; floats by
 * RdFormatShortest; -terse rounds the text tables only. */
PetscErrorCode RdReportPrintSummary(const char *path, PetscBool terse);
PetscErrorCode RdReportPrintPointsCsv(const char *path);
PetscErrorCode RdReportPrintSeedSummary(const char *path, PetscBool terse, PetscBool csv);

/* ---------- the archive's tables (src/report.c) ---------- */
/* The archive's tables: its model's section (the per-point table for a model this build does not
 * know); -terse rounds to 3 significant digits and omits times. */
PetscErrorCode RdReportPrint(const char *path, PetscBool terse);
/* The root attributes "status" and "model" (size bytes each). */
PetscErrorCode RdReportReadRun(const char *path, char *status, char *model, size_t size);
/* Reads n fields of an archive as float64 (values[i] PetscMalloc'ed; shapes[i] its dimensions). */
PetscErrorCode RdReportReadFields(const char *path, int n, const RdField fields[], double *values[], PetscInt shapes[][RD_MAX_FIELD_RANK]);
/* The value of option name ("-snapshots_per_epoch") in the archive's /config/options (size bytes;
 * *found false and value "" when the run did not write it). */
PetscErrorCode RdReportReadOption(const char *path, const char *name, char *value, size_t size, PetscBool *found);
/* Consistency check after a run: each of the n points it computed has a final status; counts
 * diverged/failed among them. */
PetscErrorCode RdReportVerify(const char *path, PetscInt n, const PetscInt *points, PetscInt *n_diverged, PetscInt *n_failed);
/* The archive schema (dimensions and datasets) as text, one line each, for users and tests. */
PetscErrorCode RdReportPrintSchema(void);

#endif
