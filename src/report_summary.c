/* The headline columns of an archive's points and their mean over seeds (include/repdrift/report.h:
 * the definitions). The columns are a table of data; the per-point table, its CSV and -summary
 * all print from it. python/repdrift/summary.py implements the same definitions (the tests
 * compare the two). This file names no model. */
#include <repdrift/report.h>
#include <repdrift/archive.h>
#include <repdrift/noise.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The datasets the columns read, [point, ...] as float64; overlap_chance NULL when the archive
 * predates it. */
struct RdHeadlineArchive {
  PetscInt days, stimuli, pcs;
  double  *status, *loss, *gamma, *chance, *overlap, *overlap_chance, *angle_to_pc, *accuracy;
};

/* Entry [p][d][later][k] of a [point, day, later_day, stimulus] dataset. */
static size_t PairAt(const RdHeadlineArchive *a, PetscInt p, PetscInt d, PetscInt later, PetscInt k) { return (((size_t)p * a->days + d) * a->days + later) * a->stimuli + k; }

static double FinalLoss(const RdHeadlineArchive *a, PetscInt p) { return a->loss[(size_t)p * a->days + a->days - 1]; }

/* Mean of of_values over the consecutive pairs at which values and also (if given) also_finite are
 * finite (a NaN of of_values there makes the mean NaN); NaN when no pair qualifies or of_values is
 * NULL (a dataset the archive lacks). */
static double MeanOverPairsWhere(const RdHeadlineArchive *a, PetscInt p, const double *of_values, const double *values, const double *also_finite)
{
  double   sum = 0;
  PetscInt n   = 0;
  if (!of_values) return RD_NAN;
  for (PetscInt d = 0; d + 1 < a->days; d++)
    for (PetscInt k = 0; k < a->stimuli; k++) {
      const size_t at = PairAt(a, p, d, d + 1, k);
      if (isfinite(values[at]) && (!also_finite || isfinite(also_finite[at]))) {
        sum += of_values[at];
        n++;
      }
    }
  return n ? sum / (double)n : RD_NAN;
}

static double MeanGamma(const RdHeadlineArchive *a, PetscInt p) { return MeanOverPairsWhere(a, p, a->gamma, a->gamma, a->chance); }
static double MeanGammaChance(const RdHeadlineArchive *a, PetscInt p) { return MeanOverPairsWhere(a, p, a->chance, a->gamma, a->chance); }
static double MeanOverlap(const RdHeadlineArchive *a, PetscInt p) { return MeanOverPairsWhere(a, p, a->overlap, a->overlap, NULL); }
static double MeanOverlapChance(const RdHeadlineArchive *a, PetscInt p) { return MeanOverPairsWhere(a, p, a->overlap_chance, a->overlap, NULL); }

static double MeanAngleToPC1(const RdHeadlineArchive *a, PetscInt p)
{
  double   sum = 0;
  PetscInt n   = 0;
  for (PetscInt d = 1; d < a->days; d++)
    for (PetscInt k = 0; k < a->stimuli; k++) {
      const double angle = a->angle_to_pc[(((size_t)p * a->days + d) * a->stimuli + k) * a->pcs];
      if (isfinite(angle)) {
        sum += angle;
        n++;
      }
    }
  return n ? sum / (double)n : RD_NAN;
}

static double CrossAccuracyFirstLast(const RdHeadlineArchive *a, PetscInt p) { return a->accuracy[((size_t)p * a->days + 0) * a->days + a->days - 1]; }

/* The columns, in python's HEADLINE_COLUMNS order (the per-point text table keeps the widths and
 * precisions it has always had). */
static const RdHeadlineColumn headline_columns[] = {
  {"final_loss", "final_loss", 10, 5, 3, 'g', FinalLoss},
  {"mean_drift_fraction", "gamma", 7, 4, 3, 'f', MeanGamma},
  {"mean_drift_fraction_chance", "chance", 7, 4, 3, 'f', MeanGammaChance},
  {"mean_angle_to_pc1", "angle_pc1", 9, 2, 1, 'f', MeanAngleToPC1},
  {"cross_accuracy_first_last", "acc_0->D", 9, 3, 2, 'f', CrossAccuracyFirstLast},
  {"mean_overlap", "overlap", 8, 4, 3, 'f', MeanOverlap},
  {"mean_overlap_chance", "ov_chance", 9, 4, 3, 'f', MeanOverlapChance},
};
enum { N_COLUMNS = sizeof headline_columns / sizeof headline_columns[0] };

PetscErrorCode RdHeadlinesRead(const char *path, RdHeadlines *h)
{
  enum { N_SWEEP = 7, N_DATA = 7 };
  const RdField      sweep_fields[N_SWEEP] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_TYPE, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_LR, RD_FIELD_SWEEP_SEED};
  const RdField      data_fields[N_DATA]   = {RD_FIELD_TASK_LOSS, RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_DRIFT_FRACTION_CHANCE, RD_FIELD_DRIFT_VARIATIONAL_OVERLAP, RD_FIELD_DRIFT_ANGLE_TO_PC, RD_FIELD_READOUT_CLASSIFIER_ACCURACY, RD_FIELD_DRIFT_VARIATIONAL_OVERLAP_CHANCE};
  double            *sweep[N_SWEEP], *data[N_DATA] = {NULL};
  PetscInt           n_dims, sweep_shape[N_SWEEP][RD_MAX_FIELD_RANK], data_shape[N_DATA][RD_MAX_FIELD_RANK];
  RdArchiveReader    reader;
  RdHeadlineArchive  a;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(h, sizeof *h));
  PetscCall(RdArchiveOpenRead(path, &reader));
  for (int i = 0; i < N_SWEEP; i++) PetscCall(RdArchiveReadField(reader, sweep_fields[i], &n_dims, sweep_shape[i], &sweep[i]));
  for (int i = 0; i < N_DATA; i++) /* the last one is optional: archives written before it was stored */
    if (i < N_DATA - 1 || RdArchiveHasField(reader, data_fields[i])) PetscCall(RdArchiveReadField(reader, data_fields[i], &n_dims, data_shape[i], &data[i]));
  PetscCall(RdArchiveCloseRead(&reader));

  a = (RdHeadlineArchive){.days = data_shape[0][1], .stimuli = data_shape[1][3], .pcs = data_shape[4][3], .status = sweep[0], .loss = data[0], .gamma = data[1], .chance = data[2], .overlap = data[3], .angle_to_pc = data[4], .accuracy = data[5], .overlap_chance = data[6]};
  h->n_points  = sweep_shape[0][0];
  h->n_columns = N_COLUMNS;
  h->columns   = headline_columns;
  PetscCall(PetscMalloc4(h->n_points, &h->status, h->n_points, &h->noise_type, h->n_points, &h->width, h->n_points, &h->seed));
  PetscCall(PetscMalloc4(h->n_points, &h->frequency, h->n_points, &h->noise_level, h->n_points, &h->lr, (size_t)h->n_points * N_COLUMNS, &h->values));
  for (PetscInt p = 0; p < h->n_points; p++) {
    h->status[p]      = (PetscInt)sweep[0][p];
    h->frequency[p]   = sweep[1][p];
    h->noise_type[p]  = (PetscInt)sweep[2][p];
    h->noise_level[p] = sweep[3][p];
    h->width[p]       = (PetscInt)sweep[4][p];
    h->lr[p]          = sweep[5][p];
    h->seed[p]        = (PetscInt)sweep[6][p];
    for (PetscInt c = 0; c < N_COLUMNS; c++) h->values[RD_IDX2(p, c, N_COLUMNS)] = h->status[p] == 1 ? headline_columns[c].value(&a, p) : RD_NAN;
  }
  for (int i = 0; i < N_SWEEP; i++) PetscCall(PetscFree(sweep[i]));
  for (int i = 0; i < N_DATA; i++) PetscCall(PetscFree(data[i]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdHeadlinesDestroy(RdHeadlines *h)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree4(h->status, h->noise_type, h->width, h->seed));
  PetscCall(PetscFree4(h->frequency, h->noise_level, h->lr, h->values));
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdMeanStandardError(const double *values, PetscInt n, RdMeanSE *result)
{
  double sum = 0, squares = 0;

  result->n = 0;
  for (PetscInt i = 0; i < n; i++)
    if (isfinite(values[i])) {
      sum += values[i];
      result->n++;
    }
  result->mean = result->n ? sum / (double)result->n : RD_NAN;
  result->se   = RD_NAN;
  if (result->n < 2) return;
  for (PetscInt i = 0; i < n; i++) /* second pass on deviations: no cancellation */
    if (isfinite(values[i])) squares += (values[i] - result->mean) * (values[i] - result->mean);
  result->se = sqrt(squares / (double)(result->n - 1)) / sqrt((double)result->n);
}

void RdFormatShortest(double x, char *text, size_t size)
{
  char        scientific[40], digits[24], *out = text;
  const char *sign = signbit(x) ? "-" : "";
  int         exponent, n_digits = 0;

  if (isnan(x)) {
    snprintf(text, size, "nan");
    return;
  }
  if (isinf(x)) {
    snprintf(text, size, "%sinf", sign);
    return;
  }
  /* the fewest significant digits whose correctly rounded value reads back as x (also the
   * closest such string to x: Python's choice) */
  for (int precision = 1; precision <= 17; precision++) {
    snprintf(scientific, sizeof scientific, "%.*e", precision - 1, fabs(x));
    if (strtod(scientific, NULL) == fabs(x)) break;
  }
  for (const char *c = scientific; *c && *c != 'e'; c++)
    if (*c != '.') digits[n_digits++] = *c;
  while (n_digits > 1 && digits[n_digits - 1] == '0') n_digits--;
  digits[n_digits] = '\0';
  exponent = atoi(strchr(scientific, 'e') + 1);
  if (x == 0) exponent = 0;
  /* repr: positional for -4 <= exponent < 16, else d.ddde+XX */
  if (exponent >= -4 && exponent < 16) {
    char   positional[64];
    size_t at = 0;
    if (exponent < 0) {
      positional[at++] = '0';
      positional[at++] = '.';
      for (int i = 0; i < -exponent - 1; i++) positional[at++] = '0';
      for (int i = 0; i < n_digits; i++) positional[at++] = digits[i];
    } else {
      for (int i = 0; i <= exponent; i++) positional[at++] = i < n_digits ? digits[i] : '0';
      positional[at++] = '.';
      if (n_digits > exponent + 1)
        for (int i = exponent + 1; i < n_digits; i++) positional[at++] = digits[i];
      else positional[at++] = '0';
    }
    positional[at] = '\0';
    snprintf(out, size, "%s%s", sign, positional);
  } else if (n_digits == 1) snprintf(out, size, "%s%ce%c%02d", sign, digits[0], exponent < 0 ? '-' : '+', abs(exponent));
  else snprintf(out, size, "%s%c.%se%c%02d", sign, digits[0], digits + 1, exponent < 0 ? '-' : '+', abs(exponent));
}

/* One value of the text tables: the column's width and precision. */
static void FormatCell(const RdHeadlineColumn *column, double value, PetscBool terse, char *cell, size_t size)
{
  const int precision = terse ? column->precision_terse : column->precision;
  if (column->conversion == 'g') snprintf(cell, size, " %*.*g", column->width, precision, value);
  else snprintf(cell, size, " %*.*f", column->width, precision, value);
}

static const char *NoiseTypeName(PetscInt code) { return code >= 0 && code < RD_NUM_NOISE_TYPES ? rd_noise_type_names[code] : "unknown"; }

PetscErrorCode RdReportPrintSummary(const char *path, PetscBool terse)
{
  RdHeadlines h;
  char        status[64], model[64], line[1024], cell[64];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadRun(path, status, model, sizeof status));
  PetscCall(RdHeadlinesRead(path, &h));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nResults (%s model, archive status %s): gamma = fraction of drift in the variational space (day d -> d+1), chance = k/n; overlap = Gamma of the variational spaces of d and d+1, ov_chance = max(k, k')/n\n", model, status));
  snprintf(line, sizeof line, "%5s %9s %8s %6s %4s %-8s", "point", "frequency", "dropout", "width", "seed", "status");
  for (PetscInt c = 0; c < h.n_columns; c++) {
    snprintf(cell, sizeof cell, " %*s", h.columns[c].width, h.columns[c].header);
    PetscCall(PetscStrlcat(line, cell, sizeof line));
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s\n", line));
  for (PetscInt p = 0; p < h.n_points; p++) {
    if (terse) snprintf(line, sizeof line, "%5d %9.3g %8.3g %6d %4d %-8s", (int)p, h.frequency[p], h.noise_level[p], (int)h.width[p], (int)h.seed[p], RdStatusName(h.status[p]));
    else snprintf(line, sizeof line, "%5d %9.4g %8.4g %6d %4d %-8s", (int)p, h.frequency[p], h.noise_level[p], (int)h.width[p], (int)h.seed[p], RdStatusName(h.status[p]));
    for (PetscInt c = 0; c < h.n_columns; c++) {
      FormatCell(&h.columns[c], h.values[RD_IDX2(p, c, h.n_columns)], terse, cell, sizeof cell);
      PetscCall(PetscStrlcat(line, cell, sizeof line));
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s\n", line));
  }
  PetscCall(RdHeadlinesDestroy(&h));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* '#' lines naming the archive and what wrote it. */
static PetscErrorCode PrintCsvProvenance(const char *path, const char *what)
{
  RdArchiveReader reader;
  char            status[64], model[64], version[128], revision[128], created[128];

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  PetscCall(RdArchiveReadAttribute(reader, "status", status, sizeof status));
  PetscCall(RdArchiveReadAttribute(reader, "model", model, sizeof model));
  PetscCall(RdArchiveReadAttribute(reader, "program_version", version, sizeof version));
  PetscCall(RdArchiveReadAttribute(reader, "git_revision", revision, sizeof revision));
  PetscCall(RdArchiveReadAttribute(reader, "created", created, sizeof created));
  PetscCall(RdArchiveCloseRead(&reader));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "# %s\n# archive: %s\n# archive written by repdrift %s (git %s), created %s, status %s, model %s\n# listed by repdrift-report %s (git %s)\n", what, path, version, revision, created, status, model, RdProgramVersion(), RdGitRevision()));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One CSV cell (appended with its leading comma unless first). */
static PetscErrorCode AppendNumber(char *line, size_t size, double value, PetscBool first)
{
  char cell[64];

  PetscFunctionBeginUser;
  RdFormatShortest(value, cell, sizeof cell);
  if (!first) PetscCall(PetscStrlcat(line, ",", size));
  PetscCall(PetscStrlcat(line, cell, size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportPrintPointsCsv(const char *path)
{
  RdHeadlines h;
  char        line[2048];

  PetscFunctionBeginUser;
  PetscCall(RdHeadlinesRead(path, &h));
  PetscCall(PrintCsvProvenance(path, "headline columns of every point (include/repdrift/report.h defines them); nan where no value enters a column and at points not done"));
  PetscCall(PetscStrncpy(line, "point,frequency,noise_type,noise_level,width,lr,seed,status", sizeof line));
  for (PetscInt c = 0; c < h.n_columns; c++) {
    PetscCall(PetscStrlcat(line, ",", sizeof line));
    PetscCall(PetscStrlcat(line, h.columns[c].name, sizeof line));
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s\n", line));
  for (PetscInt p = 0; p < h.n_points; p++) {
    snprintf(line, sizeof line, "%d,", (int)p);
    PetscCall(AppendNumber(line, sizeof line, h.frequency[p], PETSC_TRUE));
    PetscCall(PetscStrlcat(line, ",", sizeof line));
    PetscCall(PetscStrlcat(line, NoiseTypeName(h.noise_type[p]), sizeof line));
    PetscCall(AppendNumber(line, sizeof line, h.noise_level[p], PETSC_FALSE));
    snprintf(line + strlen(line), sizeof line - strlen(line), ",%d,", (int)h.width[p]);
    PetscCall(AppendNumber(line, sizeof line, h.lr[p], PETSC_TRUE));
    snprintf(line + strlen(line), sizeof line - strlen(line), ",%d,%s", (int)h.seed[p], RdStatusName(h.status[p]));
    for (PetscInt c = 0; c < h.n_columns; c++) PetscCall(AppendNumber(line, sizeof line, h.values[RD_IDX2(p, c, h.n_columns)], PETSC_FALSE));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s\n", line));
  }
  PetscCall(RdHeadlinesDestroy(&h));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The combinations: the points are flattened with the seed fastest (README, "The sweep"), so
 * combination c holds points c * n_seeds .. c * n_seeds + n_seeds - 1, with n_seeds = 1 + the
 * largest /sweep/seed. Refuses an archive whose points are not in that order. */
static PetscErrorCode CountSeeds(const char *path, const RdHeadlines *h, PetscInt *n_seeds)
{
  PetscFunctionBeginUser;
  *n_seeds = 0;
  for (PetscInt p = 0; p < h->n_points; p++) *n_seeds = PetscMax(*n_seeds, h->seed[p] + 1);
  PetscCheck(*n_seeds >= 1 && h->n_points % *n_seeds == 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: %" PetscInt_FMT " points are not a whole number of %" PetscInt_FMT " seeds (damaged /sweep/seed)", path, h->n_points, *n_seeds);
  for (PetscInt p = 0; p < h->n_points; p++) {
    const PetscInt first = p - p % *n_seeds;
    const PetscBool same  = h->seed[p] == p % *n_seeds && h->frequency[p] == h->frequency[first] && h->noise_type[p] == h->noise_type[first] && h->noise_level[p] == h->noise_level[first] && h->width[p] == h->width[first] && h->lr[p] == h->lr[first];
    PetscCheck(same, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s: point %" PetscInt_FMT " (seed %" PetscInt_FMT ") does not belong with point %" PetscInt_FMT ": /sweep is not in the sweep's documented order (seed fastest)", path, p, h->seed[p], first);
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* "mean ± se" of a text summary cell, with [n] when fewer values entered it than points were done. */
static void FormatSummaryCell(const RdMeanSE *m, PetscInt n_done, PetscBool terse, char *cell, size_t size)
{
  char text[64];
  if (!m->n) snprintf(text, sizeof text, "-");
  else if (m->n < 2) snprintf(text, sizeof text, terse ? "%.3g" : "%.5g", m->mean);
  else snprintf(text, sizeof text, terse ? "%.3g +- %.2g" : "%.5g +- %.2g", m->mean, m->se);
  if (m->n && m->n != n_done) snprintf(text + strlen(text), sizeof text - strlen(text), " [%d]", (int)m->n);
  snprintf(cell, size, " %21s", text);
}

PetscErrorCode RdReportPrintSeedSummary(const char *path, PetscBool terse, PetscBool csv)
{
  RdHeadlines h;
  PetscInt    n_seeds, counts[4] = {0}, any_value = 0;
  char        line[4096], status[64], model[64];
  double     *column;

  PetscFunctionBeginUser;
  PetscCall(RdHeadlinesRead(path, &h));
  PetscCall(CountSeeds(path, &h, &n_seeds));
  PetscCall(RdReportReadRun(path, status, model, sizeof status));
  PetscCall(PetscMalloc1(n_seeds, &column));
  for (PetscInt p = 0; p < h.n_points; p++) counts[h.status[p] >= 0 && h.status[p] <= 3 ? h.status[p] : 3]++;
  if (csv) {
    PetscCall(PrintCsvProvenance(path, "headline columns averaged over seeds for every combination of the other axes: mean, standard error (ddof = 1) and n of the done seeds; n_not_done counts the points left out"));
    PetscCall(PetscStrncpy(line, "frequency,noise_type,noise_level,width,lr,n_points,n_not_done", sizeof line));
    for (PetscInt c = 0; c < h.n_columns; c++) snprintf(line + strlen(line), sizeof line - strlen(line), ",%s_mean,%s_se,%s_n", h.columns[c].name, h.columns[c].name, h.columns[c].name);
  } else {
    char cell[64];
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nSummary over seeds (%" PetscInt_FMT " per combination; %s model, archive status %s): mean +- standard error of each headline column over the done seeds of every combination of the other axes ([n]: fewer values than done points)\n", n_seeds, model, status));
    snprintf(line, sizeof line, "%9s %-14s %8s %6s %8s %6s %8s", "frequency", "noise_type", "level", "width", "lr", "points", "not_done");
    for (PetscInt c = 0; c < h.n_columns; c++) {
      snprintf(cell, sizeof cell, " %21s", h.columns[c].header);
      PetscCall(PetscStrlcat(line, cell, sizeof line));
    }
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s\n", line));
  for (PetscInt first = 0; first < h.n_points; first += n_seeds) {
    PetscInt not_done = 0;
    for (PetscInt p = first; p < first + n_seeds; p++) not_done += h.status[p] != 1;
    line[0] = '\0';
    if (csv) {
      PetscCall(AppendNumber(line, sizeof line, h.frequency[first], PETSC_TRUE));
      snprintf(line + strlen(line), sizeof line - strlen(line), ",%s", NoiseTypeName(h.noise_type[first]));
      PetscCall(AppendNumber(line, sizeof line, h.noise_level[first], PETSC_FALSE));
      snprintf(line + strlen(line), sizeof line - strlen(line), ",%d", (int)h.width[first]);
      PetscCall(AppendNumber(line, sizeof line, h.lr[first], PETSC_FALSE));
      snprintf(line + strlen(line), sizeof line - strlen(line), ",%d,%d", (int)n_seeds, (int)not_done);
    } else if (terse) snprintf(line, sizeof line, "%9.3g %-14s %8.3g %6d %8.3g %6d %8d", h.frequency[first], NoiseTypeName(h.noise_type[first]), h.noise_level[first], (int)h.width[first], h.lr[first], (int)n_seeds, (int)not_done);
    else snprintf(line, sizeof line, "%9.4g %-14s %8.4g %6d %8.4g %6d %8d", h.frequency[first], NoiseTypeName(h.noise_type[first]), h.noise_level[first], (int)h.width[first], h.lr[first], (int)n_seeds, (int)not_done);
    for (PetscInt c = 0; c < h.n_columns; c++) {
      RdMeanSE m;
      for (PetscInt s = 0; s < n_seeds; s++) column[s] = h.values[RD_IDX2(first + s, c, h.n_columns)]; /* NaN at points not done */
      RdMeanStandardError(column, n_seeds, &m);
      any_value += m.n;
      if (csv) {
        PetscCall(AppendNumber(line, sizeof line, m.mean, PETSC_FALSE));
        PetscCall(AppendNumber(line, sizeof line, m.se, PETSC_FALSE));
        snprintf(line + strlen(line), sizeof line - strlen(line), ",%d", (int)m.n);
      } else {
        char cell[64];
        FormatSummaryCell(&m, n_seeds - not_done, terse, cell, sizeof cell);
        PetscCall(PetscStrlcat(line, cell, sizeof line));
      }
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s\n", line));
  }
  if (!csv) {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%" PetscInt_FMT " of %" PetscInt_FMT " points not done, left out (pending %" PetscInt_FMT ", diverged %" PetscInt_FMT ", failed %" PetscInt_FMT ")\n", h.n_points - counts[1], h.n_points, counts[0], counts[2], counts[3]));
    if (!any_value) PetscCall(PetscPrintf(PETSC_COMM_SELF, "(no done point has a value in any headline column: they are results of the days protocol; see the per-point tables)\n"));
  }
  PetscCall(PetscFree(column));
  PetscCall(RdHeadlinesDestroy(&h));
  PetscFunctionReturn(PETSC_SUCCESS);
}
