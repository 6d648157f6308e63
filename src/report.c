/* Tables from an archive: the same code serves the end of a run and repdrift-report. */
#include <repdrift/report.h>
#include <repdrift/archive.h>
#include <repdrift/noise.h>
#include <repdrift/schema.h>

PetscErrorCode RdReportSummaries(const char *path, PetscInt *n_points, RdPointSummary **summaries_out)
{
  RdArchiveReader reader;
  enum { N_READ = 10 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_SEED, RD_FIELD_TASK_LOSS, RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_DRIFT_FRACTION_CHANCE, RD_FIELD_DRIFT_ANGLE_TO_PC, RD_FIELD_READOUT_CLASSIFIER_ACCURACY};
  double       *value[N_READ];
  PetscInt      n_dims, shape[N_READ][RD_MAX_FIELD_RANK];
  RdPointSummary *summaries;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  for (int i = 0; i < N_READ; i++) PetscCall(RdArchiveReadField(reader, fields[i], &n_dims, shape[i], &value[i]));
  PetscCall(RdArchiveCloseRead(&reader));

  const PetscInt points = shape[0][0], days = shape[5][1], stimuli = shape[6][3], pcs = shape[8][3];
  PetscCall(PetscMalloc1(points, &summaries));
  for (PetscInt p = 0; p < points; p++) {
    RdPointSummary *s = &summaries[p];
    s->status         = (PetscInt)value[0][p];
    s->frequency      = value[1][p];
    s->noise_level    = value[2][p];
    s->width          = (PetscInt)value[3][p];
    s->seed           = (PetscInt)value[4][p];
    s->final_loss     = value[5][(size_t)p * days + days - 1];
    /* gamma over consecutive pairs: entries [p][d][d+1][k] */
    double gamma_sum = 0, chance_sum = 0, angle_sum = 0;
    int    pairs = 0, angles = 0;
    for (PetscInt d = 0; d + 1 < days; d++)
      for (PetscInt k = 0; k < stimuli; k++) {
        size_t at = (((size_t)p * days + d) * days + d + 1) * stimuli + k;
        if (isfinite(value[6][at]) && isfinite(value[7][at])) {
          gamma_sum += value[6][at];
          chance_sum += value[7][at];
          pairs++;
        }
        double angle = value[8][(((size_t)p * days + d + 1) * stimuli + k) * pcs];
        if (isfinite(angle)) {
          angle_sum += angle;
          angles++;
        }
      }
    s->mean_drift_fraction        = pairs ? gamma_sum / pairs : RD_NAN;
    s->mean_drift_fraction_chance = pairs ? chance_sum / pairs : RD_NAN;
    s->mean_angle_to_pc1          = angles ? angle_sum / angles : RD_NAN;
    s->cross_accuracy_first_last  = value[9][((size_t)p * days + 0) * days + days - 1];
  }
  for (int i = 0; i < N_READ; i++) PetscCall(PetscFree(value[i]));
  *n_points      = points;
  *summaries_out = summaries;
  PetscFunctionReturn(PETSC_SUCCESS);
}

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
  double         *v[N_READ];
  PetscInt        n_dims, shape[N_READ][RD_MAX_FIELD_RANK];
  RdArchiveReader reader;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  for (int i = 0; i < N_READ; i++) PetscCall(RdArchiveReadField(reader, fields[i], &n_dims, shape[i], &v[i]));
  PetscCall(RdArchiveCloseRead(&reader));
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

/* Reads the fields (float64, PetscMalloc'ed) of an archive; shapes[i] as in RdArchiveReadField. */
static PetscErrorCode ReadFields(const char *path, int n, const RdField fields[], double *values[], PetscInt shapes[][RD_MAX_FIELD_RANK])
{
  RdArchiveReader reader;
  PetscInt        n_dims;

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  for (int i = 0; i < n; i++) PetscCall(RdArchiveReadField(reader, fields[i], &n_dims, shapes[i], &values[i]));
  PetscCall(RdArchiveCloseRead(&reader));
  PetscFunctionReturn(PETSC_SUCCESS);
}

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
  PetscCall(ReadFields(path, N_READ, fields, v, shape));
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

/* The autoencoder: kappa of each point's source distribution next to the learned code's mixing. */
static PetscErrorCode PrintModularity(const char *path, PetscBool terse)
{
  enum { N_READ = 12 };
  const RdField fields[N_READ] = {RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_SEED, RD_FIELD_MODULARITY_KAPPA, RD_FIELD_MODULARITY_KAPPA_NORMALIZED, RD_FIELD_MODULARITY_MIXING_MAX, RD_FIELD_MODULARITY_MIXING_MEAN, RD_FIELD_MODULARITY_CINFOM, RD_FIELD_MODULARITY_RELATIVE_GAP, RD_FIELD_MODULARITY_ACTIVE_UNITS};
  double  *v[N_READ];
  PetscInt shape[N_READ][RD_MAX_FIELD_RANK];

  PetscFunctionBeginUser;
  PetscCall(ReadFields(path, N_READ, fields, v, shape));
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

PetscErrorCode RdReportPrint(const char *path, PetscBool terse)
{
  PetscInt        n_points;
  RdPointSummary *summaries;
  RdArchiveReader reader;
  char            status[64], model[64];

  PetscFunctionBeginUser;
  PetscCall(RdArchiveOpenRead(path, &reader));
  PetscCall(RdArchiveReadAttribute(reader, "status", status, sizeof status));
  PetscCall(RdArchiveReadAttribute(reader, "model", model, sizeof model));
  PetscBool has_theory     = RdArchiveHasField(reader, RD_FIELD_THEORY_L_STAR);
  PetscBool has_signature  = RdArchiveHasField(reader, RD_FIELD_SIGNATURE_ANGLE_SLOPE);
  PetscBool has_modularity = RdArchiveHasField(reader, RD_FIELD_MODULARITY_KAPPA);
  PetscCall(RdArchiveCloseRead(&reader));
  if (has_theory) {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nArchive status %s, model %s, protocol replicas\n", status, model));
    PetscCall(PrintTheory(path, terse));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(RdReportSummaries(path, &n_points, &summaries));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nResults (%s model, archive status %s): gamma = fraction of drift in the variational space (day d -> d+1), chance = k/n\n", model, status));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5s %9s %8s %6s %4s %-8s %10s %7s %7s %9s %9s\n", "point", "frequency", "dropout", "width", "seed", "status", "final_loss", "gamma", "chance", "angle_pc1", "acc_0->D"));
  for (PetscInt p = 0; p < n_points; p++) {
    const RdPointSummary *s = &summaries[p];
    if (terse)
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.3g %8.3g %6" PetscInt_FMT " %4" PetscInt_FMT " %-8s %10.3g %7.3f %7.3f %9.1f %9.2f\n", p, s->frequency, s->noise_level, s->width, s->seed, RdStatusName(s->status), s->final_loss, s->mean_drift_fraction, s->mean_drift_fraction_chance, s->mean_angle_to_pc1, s->cross_accuracy_first_last));
    else
      PetscCall(PetscPrintf(PETSC_COMM_SELF, "%5" PetscInt_FMT " %9.4g %8.4g %6" PetscInt_FMT " %4" PetscInt_FMT " %-8s %10.5g %7.4f %7.4f %9.2f %9.3f\n", p, s->frequency, s->noise_level, s->width, s->seed, RdStatusName(s->status), s->final_loss, s->mean_drift_fraction, s->mean_drift_fraction_chance, s->mean_angle_to_pc1, s->cross_accuracy_first_last));
  }
  PetscCall(PetscFree(summaries));
  if (has_signature) PetscCall(PrintSignature(path, terse));
  if (has_modularity) PetscCall(PrintModularity(path, terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportVerify(const char *path, PetscInt n, const PetscInt *points, PetscInt *n_diverged, PetscInt *n_failed)
{
  PetscInt        n_points;
  RdPointSummary *summaries;

  PetscFunctionBeginUser;
  PetscCall(RdReportSummaries(path, &n_points, &summaries));
  *n_diverged = *n_failed = 0;
  for (PetscInt i = 0; i < n; i++) {
    PetscInt p = points[i];
    PetscCheck(p >= 0 && p < n_points, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Archive %s has no point %" PetscInt_FMT, path, p);
    PetscCheck(summaries[p].status >= 1 && summaries[p].status <= 3, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Archive %s: point %" PetscInt_FMT " has status %" PetscInt_FMT " after the run (expected done, diverged or failed)", path, p, summaries[p].status);
    if (summaries[p].status == 2) (*n_diverged)++;
    if (summaries[p].status == 3) (*n_failed)++;
  }
  PetscCall(PetscFree(summaries));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdReportPrintSchema(void)
{
  static const char *type_names[] = {"float64", "int64", "int8"};

  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "schema_version %d\n", RD_SCHEMA_VERSION));
  for (int d = 0; d < RD_NUM_DIMS; d++) PetscCall(PetscPrintf(PETSC_COMM_SELF, "dimension %s label=%s\n", rd_dim_specs[d].name, rd_dim_specs[d].label));
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    const RdFieldSpec *spec = &rd_field_specs[f];
    char               dims[256] = "";
    for (int i = 0; i < spec->rank; i++) {
      PetscCall(PetscStrlcat(dims, i ? "," : "", sizeof dims));
      PetscCall(PetscStrlcat(dims, rd_dim_specs[spec->dims[i]].name, sizeof dims));
    }
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "dataset %s dims=%s type=%s units=%s optional=%d\n", spec->path, dims, type_names[spec->type], spec->units, spec->presence != RD_ALWAYS));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
