/* archive-v1 declared as data. Names and dimensions here are the public interface: changing one
 * is a schema-version bump (RD_SCHEMA_VERSION). */
#include <repdrift/schema.h>

#define P RD_DIM_POINT
#define D RD_DIM_DAY
#define L RD_DIM_LATER_DAY
#define S RD_DIM_STIMULUS
#define M RD_DIM_SAMPLE
#define U RD_DIM_UNIT
#define C RD_DIM_PC
#define F64 RD_TYPE_FLOAT64
#define I64 RD_TYPE_INT64
#define I8 RD_TYPE_INT8
#define CREATE RD_WRITTEN_AT_CREATION
#define POINT RD_WRITTEN_PER_POINT

const RdDimSpec rd_dim_specs[RD_NUM_DIMS] = {
  {"point", "point", "sweep point, flattened: ((frequency * n_noise + noise) * n_width + width) * n_seeds + replicate"},
  {"day", "day", "day of continual learning; 0 = end of burn-in (the earlier day of a pair)"},
  {"later_day", "day", "the later day of a day pair (same values as day; a separate scale so xarray sees two axes)"},
  {"stimulus", "stimulus", "stimulus index k"},
  {"sample", "sample", "probe presentation of one stimulus on one day"},
  {"unit", "unit", "hidden unit, padded with NaN beyond the point's width"},
  {"pc", "pc", "principal component of the in-class covariance, descending variance, padded with NaN"},
};

const RdFieldSpec rd_field_specs[RD_NUM_FIELDS] = {
  [RD_FIELD_SWEEP_FREQUENCY] = {"/sweep/frequency", 1, {P}, F64, CREATE, "1", "presentation probability of stimulus 0 at this point"},
  [RD_FIELD_SWEEP_NOISE_LEVEL] = {"/sweep/noise_level", 1, {P}, F64, CREATE, "1", "dropout probability of the hidden units at this point"},
  [RD_FIELD_SWEEP_WIDTH] = {"/sweep/width", 1, {P}, I64, CREATE, "units", "hidden width at this point (valid length along unit)"},
  [RD_FIELD_SWEEP_SEED] = {"/sweep/seed", 1, {P}, I64, CREATE, "1", "replicate index; every random stream of the point derives from (global_seed, replicate, purpose)"},
  [RD_FIELD_SWEEP_STIMULUS_PROBABILITY] = {"/sweep/stimulus_probability", 2, {P, S}, F64, CREATE, "1", "presentation probability of each stimulus"},
  [RD_FIELD_SWEEP_STATUS] = {"/sweep/status", 1, {P}, I8, POINT, "1", "0 pending, 1 done, 2 diverged (non-finite loss), 3 failed"},
  [RD_FIELD_SWEEP_WALL_SECONDS] = {"/sweep/wall_seconds", 1, {P}, F64, POINT, "s", "wall-clock seconds spent on the point"},
  [RD_FIELD_TASK_LOSS] = {"/task/loss", 2, {P, D}, F64, POINT, "1", "population loss (expectation over stimuli, input noise and dropout, incl. weight decay) at the end of each day"},
  [RD_FIELD_RESPONSES_MEAN] = {"/responses/mean", 4, {P, D, S, U}, F64, POINT, "activation", "mean hidden response per stimulus and day"},
  [RD_FIELD_RESPONSES_PROBE] = {"/responses/probe", 5, {P, D, S, M, U}, F64, RD_WRITTEN_PER_POINT_OPTIONAL_RESPONSES, "activation", "every probe response (hidden layer after dropout) the geometry was computed from"},
  [RD_FIELD_GEOMETRY_EIGENVALUES] = {"/geometry/eigenvalues", 4, {P, D, S, C}, F64, POINT, "activation^2", "in-class covariance eigenvalues (1/(samples-1) normalisation), descending"},
  [RD_FIELD_GEOMETRY_EXPLAINED_VARIANCE_RATIO] = {"/geometry/explained_variance_ratio", 4, {P, D, S, C}, F64, POINT, "1", "v_i = eigenvalue / sum of eigenvalues"},
  [RD_FIELD_GEOMETRY_PARTICIPATION_RATIO] = {"/geometry/participation_ratio", 3, {P, D, S}, F64, POINT, "units", "D = 1 / sum v_i^2 (Eq 1/4)"},
  [RD_FIELD_GEOMETRY_VARIATIONAL_DIMENSION] = {"/geometry/variational_dimension", 3, {P, D, S}, I64, POINT, "1", "k = ceil(D): number of PCs spanning the variational space"},
  [RD_FIELD_DRIFT_ANGLE_BETWEEN_MEANS] = {"/drift/angle_between_means", 4, {P, D, L, S}, F64, POINT, "degree", "angle between the mean responses of the earlier (day) and later (later_day) day (Eq 11); NaN unless day < later_day"},
  [RD_FIELD_DRIFT_RELATIVE_MAGNITUDE] = {"/drift/relative_magnitude", 4, {P, D, L, S}, F64, POINT, "1", "|d| / |mean of the earlier day| (Eq 12a)"},
  [RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE] = {"/drift/fraction_in_variational_space", 4, {P, D, L, S}, F64, POINT, "1", "gamma = |P d|^2/|d|^2 with the earlier day's variational space (Eq 9)"},
  [RD_FIELD_DRIFT_FRACTION_CHANCE] = {"/drift/fraction_chance", 4, {P, D, L, S}, F64, POINT, "1", "chance level of gamma for a random direction: k / width"},
  [RD_FIELD_DRIFT_VARIATIONAL_OVERLAP] = {"/drift/variational_overlap", 4, {P, D, L, S}, F64, POINT, "1", "Gamma: overlap of the two days' variational spaces (Eq 10)"},
  [RD_FIELD_DRIFT_ALONG_PC] = {"/drift/along_pc", 4, {P, D, S, C}, F64, POINT, "1", "|w_i.d|/|d| for the pair (day-1 -> day), PCs of day-1 (Eq 13a, normalised); NaN for PCs of zero variance and on day 0"},
  [RD_FIELD_DRIFT_ANGLE_TO_PC] = {"/drift/angle_to_pc", 4, {P, D, S, C}, F64, POINT, "degree", "angle between d and w_i for the pair (day-1 -> day) (Eq 13b); day 0 is NaN"},
  [RD_FIELD_DRIFT_VARIANCE_FLOW] = {"/drift/variance_flow", 4, {P, D, S, C}, F64, POINT, "1", "vtilde_i: share of day's total in-class variance along day-1's PC i (Eq 13c); NaN for PCs of zero variance and on day 0"},
  [RD_FIELD_DRIFT_ANGLE_SLOPE] = {"/drift/angle_slope", 3, {P, D, S}, F64, POINT, "degree", "least-squares slope of angle_to_pc against v_i (PCs with v_i > 1e-5), pair (day-1 -> day)"},
  [RD_FIELD_DRIFT_ANGLE_R] = {"/drift/angle_r", 3, {P, D, S}, F64, POINT, "1", "Pearson r of angle_to_pc against v_i (PCs with v_i > 1e-5), pair (day-1 -> day)"},
  [RD_FIELD_DRIFT_NULL_FRACTION_IN_VARIATIONAL_SPACE] = {"/drift/null_fraction_in_variational_space", 3, {P, D, S}, F64, POINT, "1", "split-half null of gamma within one day: PCA of the first half, d = mean(second half) - mean(first half)"},
  [RD_FIELD_READOUT_CLASSIFIER_ACCURACY] = {"/readout/classifier_accuracy", 3, {P, D, L}, F64, POINT, "1", "logistic classifier stimulus 0 vs 1 trained on the first half of day's probes, tested on the second half of later_day's probes"},
  [RD_FIELD_READOUT_CLASSIFIER_ANGLE] = {"/readout/classifier_angle", 3, {P, D, L}, F64, POINT, "degree", "angle between the classifier weight vectors of day and later_day"},
};

size_t RdFieldPointElements(RdField field, const RdDims *dims)
{
  size_t count = 1;
  for (int i = 1; i < rd_field_specs[field].rank; i++) count *= (size_t)dims->size[rd_field_specs[field].dims[i]];
  return count;
}

static PetscBool IsResultField(RdField field, PetscBool with_probe_responses)
{
  RdWhen when = rd_field_specs[field].when;
  return when == RD_WRITTEN_PER_POINT || (when == RD_WRITTEN_PER_POINT_OPTIONAL_RESPONSES && with_probe_responses);
}

PetscErrorCode RdPointResultCreate(const RdDims *dims, PetscBool with_probe_responses, RdPointResult *result)
{
  PetscFunctionBeginUser;
  result->point = -1;
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    result->values[f] = NULL;
    if (IsResultField((RdField)f, with_probe_responses)) PetscCall(PetscMalloc1(RdFieldPointElements((RdField)f, dims), &result->values[f]));
  }
  PetscCall(RdPointResultReset(dims, result));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPointResultReset(const RdDims *dims, RdPointResult *result)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++) {
    if (!result->values[f]) continue;
    size_t n = RdFieldPointElements((RdField)f, dims);
    for (size_t i = 0; i < n; i++) result->values[f][i] = RD_NAN;
  }
  if (result->values[RD_FIELD_SWEEP_STATUS]) result->values[RD_FIELD_SWEEP_STATUS][0] = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdPointResultDestroy(RdPointResult *result)
{
  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++) PetscCall(PetscFree(result->values[f]));
  PetscFunctionReturn(PETSC_SUCCESS);
}
