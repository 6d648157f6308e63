/* repdrift-report -compare: the distance of every network setting's drift signature to a
 * recording's, ranked, with bootstrap intervals. Definition: include/repdrift/compare.h. */
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <repdrift/compare.h>
#include <repdrift/archive.h>
#include <repdrift/noise.h>
#include <repdrift/reference.h>
#include <repdrift/report.h>
#include <repdrift/rng.h>
#include <repdrift/run.h> /* RD_STATUS_DONE */

/* The metrics compared: the field, the recording's two within-session nulls of it, and its floor
 * eps (1 degree for angles and the angle slope; 0.01 for shares, accuracies, correlations, ratios
 * and the other slopes; 0.001 for D/n, whose values are ~0.05). */
static const struct {
  RdField field, split_half, even_odd;
  double  floor;
} compare_metrics[] = {
  {RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_SLOPE, 1.0},
  {RD_FIELD_SIGNATURE_ANGLE_R, RD_FIELD_SIGNATURE_NULL_ANGLE_R, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_R, 0.01},
  {RD_FIELD_SIGNATURE_ALONG_SLOPE, RD_FIELD_SIGNATURE_NULL_ALONG_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_SLOPE, 0.01},
  {RD_FIELD_SIGNATURE_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_NULL_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_TO_PC1, 1.0},
  {RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_LOGLOG_SLOPE, 0.01},
  {RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_RATIO_PC1, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_RATIO_PC1, 0.01},
  {RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_EVEN_ODD_FRACTION_IN_VARIATIONAL_SPACE, 0.01},
  {RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_NULL_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_EVEN_ODD_PARTICIPATION_RATIO_PER_UNIT, 0.001},
  {RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_IN_VARIATIONAL_SPACE, 0.01},
  {RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_NULL_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_EVEN_ODD_RELATIVE_CROSS_ACCURACY, 0.01},
  {RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE, RD_FIELD_SIGNATURE_NULL_CLASSIFIER_ANGLE, RD_FIELD_SIGNATURE_EVEN_ODD_CLASSIFIER_ANGLE, 1.0},
  {RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_EVEN_ODD_DAY_DISCRIMINATION_ACCURACY, 0.01},
  {RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_SLOPE, 0.01},
};
#define J ((PetscInt)(sizeof compare_metrics / sizeof compare_metrics[0]))
#define MAX_METRICS 16 /* the reference's arrays below */
_Static_assert(sizeof compare_metrics / sizeof compare_metrics[0] <= MAX_METRICS, "compare: more metrics than RecordingSide holds");

/* The sweep axes that make a setting (all but the seed), as /sweep datasets. */
#define N_SETTING_AXES 5
static const RdField setting_fields[N_SETTING_AXES] = {RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_TYPE, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_LR};

static const char *MetricName(PetscInt j) { return rd_field_specs[compare_metrics[j].field].path + strlen("/signature/"); }

/* The recording side: an archive's animals or a reference. */
typedef struct {
  const char                 *name;
  const RdReferenceRecording *reference;             /* or NULL */
  PetscInt                    animals;               /* archive: its done points */
  double                     *value, *split, *even;  /* archive: [animals][J] */
  RdReferenceKind             kind[MAX_METRICS];     /* reference: per metric */
  double                      ref_value[MAX_METRICS], ref_spread[MAX_METRICS];
  PetscBool                   ref_defined[MAX_METRICS];
} RecordingSide;

/* The network side: its settings and their seeds (done points, grouped). */
typedef struct {
  const char *name;
  char        model[64];
  PetscInt    settings, seeds;  /* seeds: all done points */
  PetscInt   *offset;           /* [settings + 1] into value (setting-major) */
  double     *value;            /* [seeds][J] */
  double     *axes;             /* [settings][N_SETTING_AXES] */
} NetworkSide;

/* A metric's statistics on one side: defined, center and spread. */
typedef struct {
  PetscBool       defined;
  double          center, spread;
  RdReferenceKind kind;
} Statistic;

/* Mean and standard deviation (n - 1; 0 for n = 1) of the finite values[rows[i] * stride + j],
 * summed in order (the Python check sums the same way). */
static PetscInt MeanSd(const double *values, const PetscInt *rows, PetscInt n, PetscInt stride, PetscInt j, double *mean, double *sd)
{
  PetscInt count = 0;
  double   sum = 0, squares = 0;

  for (PetscInt i = 0; i < n; i++) {
    const double v = values[rows[i] * stride + j];
    if (!isfinite(v)) continue;
    sum += v;
    count++;
  }
  *mean = count ? sum / (double)count : RD_NAN;
  for (PetscInt i = 0; i < n && count > 1; i++) {
    const double v = values[rows[i] * stride + j];
    if (isfinite(v)) squares += (v - *mean) * (v - *mean);
  }
  *sd = count > 1 ? sqrt(squares / (double)(count - 1)) : 0;
  return count;
}

/* Metric j's mean and SD over the rows of one side's values (an archive's animals or seeds). */
static void ArchiveStatistics(const double *values, const PetscInt *rows, PetscInt n, Statistic stat[])
{
  for (PetscInt j = 0; j < J; j++) {
    double mean, sd;
    stat[j] = (Statistic){(PetscBool)(MeanSd(values, rows, n, J, j, &mean, &sd) > 0), mean, sd, RD_REFERENCE_MEAN_SD};
  }
}

/* The recording's r_j, t_j over the animals rows[0..n) (a reference: its table). */
static void RecordingStatistics(const RecordingSide *rec, const PetscInt *rows, PetscInt n, Statistic stat[])
{
  for (PetscInt j = 0; j < J; j++) {
    if (rec->reference) {
      stat[j] = (Statistic){rec->ref_defined[j], rec->ref_value[j], rec->kind[j] == RD_REFERENCE_MEAN_SD ? rec->ref_spread[j] : 0, rec->kind[j]};
      continue;
    }
    double         mean, sd;
    const PetscInt count = MeanSd(rec->value, rows, n, J, j, &mean, &sd);
    stat[j]              = (Statistic){(PetscBool)(count > 0), mean, sd, RD_REFERENCE_MEAN_SD};
    if (count == 1) /* one animal: the within-session estimate of its sampling noise */
      for (PetscInt i = 0; i < n; i++)
        if (isfinite(rec->value[rows[i] * J + j])) {
          const double spread = fabs(rec->split[rows[i] * J + j] - rec->even[rows[i] * J + j]) / sqrt(2.0);
          stat[j].spread      = isfinite(spread) ? spread : 0;
          break;
        }
  }
}

/* D of a setting's statistics against the recording's; z[J] and the number of metrics used. */
static double Distance(const Statistic net[], const Statistic rec[], double z[], PetscInt *used)
{
  double sum = 0;

  *used = 0;
  for (PetscInt j = 0; j < J; j++) {
    z[j] = RD_NAN;
    if (!net[j].defined || !rec[j].defined) continue;
    const double scale      = sqrt(net[j].spread * net[j].spread + rec[j].spread * rec[j].spread + compare_metrics[j].floor * compare_metrics[j].floor);
    const double difference = rec[j].kind == RD_REFERENCE_UPPER_BOUND ? PetscMax(0.0, net[j].center - rec[j].center) : net[j].center - rec[j].center;
    z[j]                    = difference / scale;
    sum += z[j] * z[j];
    (*used)++;
  }
  return *used ? sqrt(sum / (double)*used) : RD_NAN;
}

/* A resample's statistics keep the full sample's spreads (the file comment of compare.h). */
static void KeepSpreads(Statistic resampled[], const Statistic full[])
{
  for (PetscInt j = 0; j < J; j++) resampled[j].spread = full[j].spread;
}

/* ---------- loading ---------- */

static PetscErrorCode ReadModel(const char *path, char *model, size_t size)
{
  char status[64];

  PetscFunctionBeginUser;
  PetscCall(RdReportReadRun(path, status, model, size));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode HasSignature(const char *path, PetscBool *has)
{
  RdArchiveReader reader;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  *has = RdArchiveHasField(reader, RD_FIELD_SIGNATURE_ANGLE_SLOPE);
  PetscCall(RdArchiveCloseRead(&reader));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LoadReference(const RdReferenceRecording *reference, RecordingSide *rec)
{
  PetscFunctionBeginUser;
  rec->reference = reference;
  rec->name      = reference->name;
  for (PetscInt j = 0; j < J; j++) {
    rec->ref_defined[j] = PETSC_FALSE;
    for (PetscInt i = 0; i < reference->n_values; i++)
      if (!strcmp(reference->values[i].metric, MetricName(j))) {
        rec->ref_defined[j] = PETSC_TRUE;
        rec->kind[j]        = reference->values[i].kind;
        rec->ref_value[j]   = reference->values[i].value;
        rec->ref_spread[j]  = reference->values[i].spread;
      }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Every metric (and its two nulls) of the done points of a recording archive. */
static PetscErrorCode LoadRecording(const char *path, RecordingSide *rec)
{
  double  *status, *v[3];
  PetscInt shape[RD_MAX_FIELD_RANK], points;
  RdField  status_field = RD_FIELD_SWEEP_STATUS;

  PetscFunctionBeginUser;
  rec->name = path;
  PetscCall(RdReportReadFields(path, 1, &status_field, &status, &shape));
  points = shape[0];
  for (PetscInt p = 0; p < points; p++) rec->animals += status[p] == RD_STATUS_DONE;
  PetscCheck(rec->animals > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no finished recording (no point of /sweep/status is done): finish the run (-resume) first", path);
  PetscCall(PetscMalloc3((size_t)rec->animals * J, &rec->value, (size_t)rec->animals * J, &rec->split, (size_t)rec->animals * J, &rec->even));
  double *out[3] = {rec->value, rec->split, rec->even};
  for (PetscInt j = 0; j < J; j++) {
    const RdField fields[3] = {compare_metrics[j].field, compare_metrics[j].split_half, compare_metrics[j].even_odd};
    PetscInt      shapes[3][RD_MAX_FIELD_RANK];
    PetscCall(RdReportReadFields(path, 3, fields, v, shapes));
    for (int c = 0; c < 3; c++) {
      PetscInt a = 0;
      for (PetscInt p = 0; p < points; p++)
        if (status[p] == RD_STATUS_DONE) out[c][(a++) * J + j] = v[c][p];
      PetscCall(PetscFree(v[c]));
    }
  }
  PetscCall(PetscFree(status));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The done points of a network archive grouped into settings, in point order. */
static PetscErrorCode LoadNetwork(const char *path, NetworkSide *net)
{
  enum { N_READ = 1 + N_SETTING_AXES };
  RdField   fields[N_READ] = {RD_FIELD_SWEEP_STATUS};
  double   *v[N_READ], *metric;
  PetscInt  shapes[N_READ][RD_MAX_FIELD_RANK], *setting_of, *count;

  PetscFunctionBeginUser;
  net->name = path;
  for (int a = 0; a < N_SETTING_AXES; a++) fields[1 + a] = setting_fields[a];
  PetscCall(RdReportReadFields(path, N_READ, fields, v, shapes));
  const PetscInt points = shapes[0][0];
  PetscCall(PetscMalloc2(points, &setting_of, points + 1, &count));
  PetscCall(PetscMalloc1((size_t)points * N_SETTING_AXES + 1, &net->axes));
  net->settings = 0;
  net->seeds    = 0;
  for (PetscInt p = 0; p < points; p++) {
    setting_of[p] = -1;
    if (v[0][p] != RD_STATUS_DONE) continue;
    PetscInt g = 0;
    for (; g < net->settings; g++) {
      PetscBool same = PETSC_TRUE;
      for (int a = 0; a < N_SETTING_AXES; a++) {
        const double x = net->axes[g * N_SETTING_AXES + a], y = v[1 + a][p];
        same = (PetscBool)(same && (x == y || (isnan(x) && isnan(y))));
      }
      if (same) break;
    }
    if (g == net->settings) {
      for (int a = 0; a < N_SETTING_AXES; a++) net->axes[g * N_SETTING_AXES + a] = v[1 + a][p];
      count[net->settings++] = 0;
    }
    setting_of[p] = g;
    count[g]++;
    net->seeds++;
  }
  PetscCheck(net->seeds > 0, PETSC_COMM_SELF, PETSC_ERR_FILE_UNEXPECTED, "%s has no finished point (no /sweep/status is done): nothing to compare", path);
  PetscCall(PetscMalloc2(net->settings + 1, &net->offset, (size_t)net->seeds * J, &net->value));
  net->offset[0] = 0;
  for (PetscInt g = 0; g < net->settings; g++) net->offset[g + 1] = net->offset[g] + count[g];
  for (PetscInt j = 0; j < J; j++) {
    PetscInt shape[RD_MAX_FIELD_RANK];
    RdField  field = compare_metrics[j].field;
    PetscCall(RdReportReadFields(path, 1, &field, &metric, &shape));
    for (PetscInt g = 0; g < net->settings; g++) count[g] = 0;
    for (PetscInt p = 0; p < points; p++)
      if (setting_of[p] >= 0) net->value[(net->offset[setting_of[p]] + count[setting_of[p]]++) * J + j] = metric[p];
    PetscCall(PetscFree(metric));
  }
  for (int i = 0; i < N_READ; i++) PetscCall(PetscFree(v[i]));
  PetscCall(PetscFree2(setting_of, count));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Which of the two is the recording (an archive of -model recording, or a reference name). */
static PetscErrorCode Load(const char *first, const char *second, RecordingSide *rec, NetworkSide *net)
{
  const RdReferenceRecording *reference = RdReferenceFind(first) ? RdReferenceFind(first) : RdReferenceFind(second);
  const char                 *network   = RdReferenceFind(first) ? second : first;
  char                        model_first[64] = "", model_second[64] = "";
  PetscBool                   has_signature;

  PetscFunctionBeginUser;
  PetscCheck(!(RdReferenceFind(first) && RdReferenceFind(second)), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-compare: %s and %s are both references: compare a reference with a network archive", first, second);
  if (reference) PetscCall(LoadReference(reference, rec));
  else {
    PetscCall(ReadModel(first, model_first, sizeof model_first));
    PetscCall(ReadModel(second, model_second, sizeof model_second));
    const PetscBool first_is = (PetscBool)!strcmp(model_first, "recording"), second_is = (PetscBool)!strcmp(model_second, "recording");
    PetscCheck(first_is != second_is, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-compare needs one recording (a -model recording archive, or %s) and one network archive: %s is -model %s, %s is -model %s", rd_reference_recordings[0]->name, first, model_first, second, model_second);
    network = first_is ? second : first;
    PetscCall(LoadRecording(first_is ? first : second, rec));
  }
  PetscCall(ReadModel(network, net->model, sizeof net->model));
  PetscCall(HasSignature(network, &has_signature));
  PetscCheck(has_signature && strcmp(net->model, "recording"), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-compare: %s (-model %s) has no network drift signature (/signature): compare with an archive of -model classifier", network, net->model);
  PetscCall(LoadNetwork(network, net));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- the ranking and its bootstrap ---------- */

typedef struct {
  Statistic *recording, *network; /* the full sample's: [J], [settings][J] */
  double    *D, *z;               /* [settings], [settings][J] */
  PetscInt  *used, *rank;         /* metrics per setting; settings in rank order */
  double    *low, *high, *first;  /* bootstrap: interval, P(first) */
} Ranking;

static PetscErrorCode Rank(const RecordingSide *rec, const NetworkSide *net, Ranking *out)
{
  PetscInt *identity;

  PetscFunctionBeginUser;
  PetscCall(PetscMalloc1(PetscMax(net->seeds, rec->animals), &identity));
  for (PetscInt i = 0; i < PetscMax(net->seeds, rec->animals); i++) identity[i] = i;
  RecordingStatistics(rec, identity, rec->animals, out->recording);
  for (PetscInt g = 0; g < net->settings; g++) {
    ArchiveStatistics(net->value, identity + net->offset[g], net->offset[g + 1] - net->offset[g], out->network + g * J);
    out->D[g] = Distance(out->network + g * J, out->recording, out->z + g * J, &out->used[g]);
  }
  for (PetscInt g = 0; g < net->settings; g++) out->rank[g] = g;
  for (PetscInt i = 1; i < net->settings; i++) { /* insertion sort, stable: ascending D, undefined last */
    const PetscInt g = out->rank[i];
    PetscInt       k = i;
    while (k > 0 && (isnan(out->D[out->rank[k - 1]]) ? !isnan(out->D[g]) : out->D[g] < out->D[out->rank[k - 1]])) {
      out->rank[k] = out->rank[k - 1];
      k--;
    }
    out->rank[k] = g;
  }
  PetscCall(PetscFree(identity));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static int CompareDoubles(const void *a, const void *b)
{
  const double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

static PetscErrorCode Bootstrap(const RecordingSide *rec, const NetworkSide *net, const RdCompareOptions *options, Ranking *out)
{
  const PetscInt B = options->bootstrap, G = net->settings;
  PetscInt      *animals, *seeds, used;
  double        *D, z[J];
  Statistic      recording[J], network[J];
  RdStream       stream;

  PetscFunctionBeginUser;
  for (PetscInt g = 0; g < G; g++) out->low[g] = out->high[g] = out->first[g] = RD_NAN;
  if (B <= 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(PetscMalloc3(PetscMax(rec->animals, 1), &animals, net->seeds, &seeds, (size_t)B * G, &D));
  RdStreamInit(&stream, (uint64_t)options->seed, 0, RD_PURPOSE_COMPARE);
  for (PetscInt g = 0; g < G; g++) out->first[g] = 0;
  for (PetscInt b = 0; b < B; b++) {
    for (PetscInt i = 0; i < rec->animals; i++) animals[i] = (PetscInt)RdStreamBelow(&stream, (uint32_t)rec->animals);
    for (PetscInt g = 0; g < G; g++) {
      const PetscInt n = net->offset[g + 1] - net->offset[g];
      for (PetscInt i = 0; i < n; i++) seeds[net->offset[g] + i] = net->offset[g] + (PetscInt)RdStreamBelow(&stream, (uint32_t)n);
    }
    RecordingStatistics(rec, animals, rec->animals, recording);
    KeepSpreads(recording, out->recording);
    PetscInt best = -1;
    for (PetscInt g = 0; g < G; g++) {
      ArchiveStatistics(net->value, seeds + net->offset[g], net->offset[g + 1] - net->offset[g], network);
      KeepSpreads(network, out->network + g * J);
      D[b * G + g] = Distance(network, recording, z, &used);
      if (isfinite(D[b * G + g]) && (best < 0 || D[b * G + g] < D[b * G + best])) best = g;
    }
    if (best >= 0) out->first[best] += 1;
  }
  double *column;
  PetscCall(PetscMalloc1(B, &column));
  for (PetscInt g = 0; g < G; g++) {
    PetscInt L = 0;
    out->first[g] /= (double)B;
    for (PetscInt b = 0; b < B; b++)
      if (isfinite(D[b * G + g])) column[L++] = D[b * G + g];
    if (!L) continue;
    qsort(column, (size_t)L, sizeof(double), CompareDoubles);
    out->low[g]  = column[(L * 25 + 999) / 1000 - 1]; /* ceil(0.025 L)-th smallest */
    out->high[g] = column[(L * 975 + 999) / 1000 - 1];
  }
  PetscCall(PetscFree(column));
  PetscCall(PetscFree3(animals, seeds, D));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- printing ---------- */

/* C's %.6g (PETSc's formatting appends '.' to whole numbers); NaN as "nan". */
typedef struct {
  char text[32];
} Number;

static Number Format(double value)
{
  Number number;
  (void)snprintf(number.text, sizeof number.text, "%.6g", value);
  return number;
}

static const char *KindName(const RecordingSide *rec, PetscInt j)
{
  if (!rec->reference) return "animals";
  if (!rec->ref_defined[j]) return "-";
  return rec->kind[j] == RD_REFERENCE_MEAN_SD ? "mean_sd" : rec->kind[j] == RD_REFERENCE_APPROXIMATE ? "about" : "below";
}

static PetscErrorCode PrintRecording(const RecordingSide *rec, const Statistic stat[])
{
  PetscInt *rows, count;
  double    mean, sd;

  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nThe recording's signature (r: %s, t: its spread; kind: animals = mean and SD over animals, with one animal t = |split-half - even/odd| / sqrt 2)\n", rec->reference ? "the reference's value" : "mean over animals"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-30s %12s %12s %8s %8s %8s\n", "metric", "r", "t", "eps", "kind", "n"));
  PetscCall(PetscMalloc1(PetscMax(rec->animals, 1), &rows));
  for (PetscInt a = 0; a < rec->animals; a++) rows[a] = a;
  for (PetscInt j = 0; j < J; j++) {
    count = rec->reference ? (rec->ref_defined[j] ? 1 : 0) : MeanSd(rec->value, rows, rec->animals, J, j, &mean, &sd);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-30s %12s %12s %8s %8s %8d\n", MetricName(j), Format(stat[j].defined ? stat[j].center : RD_NAN).text, Format(stat[j].defined ? stat[j].spread : RD_NAN).text, Format(compare_metrics[j].floor).text, KindName(rec, j), (int)count));
  }
  PetscCall(PetscFree(rows));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *NoiseName(double code)
{
  const int c = (int)code;
  return c >= 0 && c < RD_NUM_NOISE_TYPES ? rd_noise_type_names[c] : "?";
}

static PetscErrorCode PrintRanking(const NetworkSide *net, const Ranking *ranking, const RdCompareOptions *options)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nSettings of the network ranked by D (z = (mu - r) / sqrt(s^2 + t^2 + eps^2) per metric, mu and s: mean and SD over the setting's seeds;\n"
                                         "D = RMS of z over the metrics defined on both sides); D_low, D_high: 95 %% bootstrap interval, P_first: share of resamples ranking it first\n"
                                         "(%d resamples of animals and seeds, -seed %d)\n",
                        (int)options->bootstrap, (int)options->seed));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%4s %-15s %10s %6s %10s %10s %5s %7s %10s %10s %10s %7s\n", "rank", "noise_type", "level", "width", "frequency", "lr", "seeds", "metrics", "D", "D_low", "D_high", "P_first"));
  for (PetscInt i = 0; i < net->settings; i++) {
    const PetscInt g = ranking->rank[i];
    const double  *a = net->axes + g * N_SETTING_AXES;
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%4d %-15s %10s %6d %10s %10s %5d %7d %10s %10s %10s %7s\n", (int)(i + 1), NoiseName(a[1]), Format(a[2]).text, (int)a[3], Format(a[0]).text, Format(a[4]).text, (int)(net->offset[g + 1] - net->offset[g]), (int)ranking->used[g], Format(ranking->D[g]).text,
                          Format(ranking->low[g]).text, Format(ranking->high[g]).text, Format(ranking->first[g]).text));
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nz per metric (columns: the settings by rank)\n%-30s", "metric"));
  for (PetscInt i = 0; i < net->settings; i++) PetscCall(PetscPrintf(PETSC_COMM_SELF, " %9d", (int)(i + 1)));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\n"));
  for (PetscInt j = 0; j < J; j++) {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%-30s", MetricName(j)));
    for (PetscInt i = 0; i < net->settings; i++) PetscCall(PetscPrintf(PETSC_COMM_SELF, " %9s", Format(ranking->z[ranking->rank[i] * J + j]).text));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "\n"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdComparePrint(const char *first, const char *second, const RdCompareOptions *options)
{
  RecordingSide rec = {0};
  NetworkSide   net = {0};
  Ranking       ranking;

  PetscFunctionBeginUser;
  PetscCheck(options->bootstrap >= 0 && options->bootstrap <= 1000000, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-bootstrap must be in [0, 1000000] (got %d)", (int)options->bootstrap);
  PetscCheck(options->seed >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-seed must be >= 0 (got %d)", (int)options->seed);
  PetscCall(Load(first, second, &rec, &net));
  const PetscInt G = net.settings;
  PetscCall(PetscMalloc7(G, &ranking.D, (size_t)G * J, &ranking.z, G, &ranking.used, G, &ranking.rank, G, &ranking.low, G, &ranking.high, G, &ranking.first));
  PetscCall(PetscMalloc2(J, &ranking.recording, (size_t)G * J, &ranking.network));
  PetscCall(Rank(&rec, &net, &ranking));
  PetscCall(Bootstrap(&rec, &net, options, &ranking));
  if (rec.reference) PetscCall(PetscPrintf(PETSC_COMM_SELF, "Compare: the reference %s (%s) against the network %s (-model %s, %d settings, %d seeds)\n", rec.name, rec.reference->protocol, net.name, net.model, (int)G, (int)net.seeds));
  else PetscCall(PetscPrintf(PETSC_COMM_SELF, "Compare: the recordings %s (%d animals) against the network %s (-model %s, %d settings, %d seeds)\n", rec.name, (int)rec.animals, net.name, net.model, (int)G, (int)net.seeds));
  PetscCall(PrintRecording(&rec, ranking.recording));
  PetscCall(PrintRanking(&net, &ranking, options));
  PetscCall(PetscFree7(ranking.D, ranking.z, ranking.used, ranking.rank, ranking.low, ranking.high, ranking.first));
  PetscCall(PetscFree2(ranking.recording, ranking.network));
  PetscCall(PetscFree2(net.offset, net.value));
  PetscCall(PetscFree(net.axes));
  if (!rec.reference) PetscCall(PetscFree3(rec.value, rec.split, rec.even));
  PetscFunctionReturn(PETSC_SUCCESS);
}
