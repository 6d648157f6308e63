/* The archive schema (archive-v1), declared once as data: the archive writer, the point runner
 * that fills results, `repdrift-report -schema` and the tests all read this table. The drift
 * geometry follows Aitken et al. (2022) (equation numbers in the field descriptions), /theory the
 * SGD drift theory of Pashakhanloo & Koulakov (2023), /modularity Dorrell et al. (2025). */
#ifndef REPDRIFT_SCHEMA_H
#define REPDRIFT_SCHEMA_H

#include <repdrift/common.h>

#define RD_SCHEMA_VERSION 1
#define RD_MAX_FIELD_RANK 5

typedef enum {
  RD_DIM_POINT, RD_DIM_DAY, RD_DIM_LATER_DAY, RD_DIM_STIMULUS, RD_DIM_SAMPLE, RD_DIM_UNIT, RD_DIM_PC, RD_DIM_RECORD, RD_DIM_LAG,
  RD_DIM_PHASE, /* where a point's time went (/sweep/phase_seconds); its scale is labelled with the names */
  RD_NUM_DIMS
} RdDim;

typedef enum { RD_TYPE_FLOAT64, RD_TYPE_INT64, RD_TYPE_INT8, RD_TYPE_UINT64 } RdValueType;

/* When a field is written. */
typedef enum {
  RD_WRITTEN_AT_CREATION, /* sweep description, known before any point runs */
  RD_WRITTEN_PER_POINT,   /* a point's results, written in the round its point finishes */
  RD_WRITTEN_BY_ARCHIVE   /* computed by the archive writer from a point's stored results (its
                             checksum, include/repdrift/checksum.h), written with them */
} RdWhen;

/* Which runs have a field: every run, or only those with an optional group. A model says which
 * groups it fills (RdModelOps.schema); a new model with datasets of its own adds a group here. */
typedef enum {
  RD_ALWAYS,
  RD_WITH_SAVE_RESPONSES, /* -save_responses: /responses/probe */
  RD_WITH_THEORY,         /* the drift theory of the replica protocol: /theory */
  RD_WITH_SIGNATURE,      /* the drift signature of a classifier: /signature */
  RD_WITH_MODULARITY,     /* the modularity of a learned code: /modularity */
  RD_WITH_RECORDING,      /* recorded neurons (-model recording): /recording, the within-session nulls */
  RD_WITH_PREDICTION,     /* whether the drift theory holds at each point (linear model, both protocols) */
  RD_WITH_DAYS_PREDICTION, /* the drift theory's expectation of the days protocol's drift */
  RD_NUM_PRESENCES
} RdPresence;

/* Which optional groups a run has (with[RD_ALWAYS] is ignored). */
typedef struct {
  PetscBool with[RD_NUM_PRESENCES];
} RdSchemaSelection;

typedef enum {
  RD_FIELD_SWEEP_FREQUENCY, RD_FIELD_SWEEP_NOISE_LEVEL, RD_FIELD_SWEEP_WIDTH, RD_FIELD_SWEEP_SEED,
  RD_FIELD_SWEEP_STIMULUS_PROBABILITY, RD_FIELD_SWEEP_LR, RD_FIELD_SWEEP_NOISE_TYPE,
  RD_FIELD_SWEEP_STATUS, RD_FIELD_SWEEP_WALL_SECONDS, RD_FIELD_SWEEP_PHASE_SECONDS,
  RD_FIELD_SWEEP_CHECKSUM,
  RD_FIELD_TASK_LOSS,
  RD_FIELD_RESPONSES_MEAN, RD_FIELD_RESPONSES_PROBE,
  RD_FIELD_GEOMETRY_EIGENVALUES, RD_FIELD_GEOMETRY_EXPLAINED_VARIANCE_RATIO, RD_FIELD_GEOMETRY_PARTICIPATION_RATIO,
  RD_FIELD_GEOMETRY_VARIATIONAL_DIMENSION,
  RD_FIELD_DRIFT_ANGLE_BETWEEN_MEANS, RD_FIELD_DRIFT_RELATIVE_MAGNITUDE, RD_FIELD_DRIFT_FRACTION_IN_VARIATIONAL_SPACE,
  RD_FIELD_DRIFT_FRACTION_CHANCE, RD_FIELD_DRIFT_VARIATIONAL_OVERLAP, RD_FIELD_DRIFT_VARIATIONAL_OVERLAP_CHANCE,
  RD_FIELD_DRIFT_ALONG_PC, RD_FIELD_DRIFT_ANGLE_TO_PC, RD_FIELD_DRIFT_VARIANCE_FLOW,
  RD_FIELD_DRIFT_ANGLE_SLOPE, RD_FIELD_DRIFT_ANGLE_R, RD_FIELD_DRIFT_NULL_FRACTION_IN_VARIATIONAL_SPACE,
  RD_FIELD_READOUT_CLASSIFIER_ACCURACY, RD_FIELD_READOUT_CLASSIFIER_ANGLE,
  RD_FIELD_THEORY_L_STAR,
  RD_FIELD_THEORY_EXCESS_LOSS_PREDICTED, RD_FIELD_THEORY_EXCESS_LOSS_MEASURED, RD_FIELD_THEORY_EXCESS_LOSS_STDERR,
  RD_FIELD_THEORY_FLUCTUATION_PREDICTED, RD_FIELD_THEORY_FLUCTUATION_MEASURED, RD_FIELD_THEORY_FLUCTUATION_STDERR,
  RD_FIELD_THEORY_DIFFUSION_SLOPE_PREDICTED, RD_FIELD_THEORY_DIFFUSION_SLOPE_MEASURED, RD_FIELD_THEORY_DIFFUSION_SLOPE_STDERR,
  RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_PREDICTED, RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_MEASURED, RD_FIELD_THEORY_NORMALIZED_DIFFUSION_SLOPE_STDERR,
  RD_FIELD_THEORY_ROTATION_RATE_PREDICTED, RD_FIELD_THEORY_ROTATION_RATE_MEASURED,
  RD_FIELD_THEORY_ROTATION_PERIOD_PREDICTED, RD_FIELD_THEORY_ROTATION_PERIOD_MEASURED,
  RD_FIELD_THEORY_TIME, RD_FIELD_THEORY_VARIANCE_CURVE, RD_FIELD_THEORY_VARIANCE_CURVE_PREDICTED,
  RD_FIELD_THEORY_ROTATION_ANGLE, RD_FIELD_THEORY_MSD_LAG, RD_FIELD_THEORY_MSD,
  /* classifier: per-snapshot task measures and the per-point drift signature with its nulls */
  RD_FIELD_SIGNATURE_ACCURACY, RD_FIELD_SIGNATURE_READOUT_ROTATION,
  RD_FIELD_SIGNATURE_ANGLE_SLOPE, RD_FIELD_SIGNATURE_ANGLE_R, RD_FIELD_SIGNATURE_ALONG_SLOPE, RD_FIELD_SIGNATURE_ALONG_R,
  RD_FIELD_SIGNATURE_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_VARIANCE_FLOW_RATIO_PC1,
  RD_FIELD_SIGNATURE_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_FRACTION_CHANCE, RD_FIELD_SIGNATURE_PARTICIPATION_RATIO_PER_UNIT,
  RD_FIELD_SIGNATURE_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_CLASSIFIER_ANGLE,
  RD_FIELD_SIGNATURE_DAY_DISCRIMINATION_ACCURACY, RD_FIELD_SIGNATURE_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_UNIT_TURNOVER_R,
  RD_FIELD_SIGNATURE_READOUT_ROTATION_PER_EPOCH, RD_FIELD_SIGNATURE_READOUT_ROTATION_TOTAL, RD_FIELD_SIGNATURE_DRIFT_READOUT_ANGLE,
  RD_FIELD_SIGNATURE_NULL_ANGLE_SLOPE, RD_FIELD_SIGNATURE_NULL_ANGLE_R, RD_FIELD_SIGNATURE_NULL_ALONG_SLOPE, RD_FIELD_SIGNATURE_NULL_ALONG_R,
  RD_FIELD_SIGNATURE_NULL_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_NULL_VARIANCE_FLOW_RATIO_PC1,
  RD_FIELD_SIGNATURE_NULL_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_NULL_DAY_DISCRIMINATION_ACCURACY,
  RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_NULL_UNIT_TURNOVER_R,
  RD_FIELD_SIGNATURE_NULL_RELATIVE_CROSS_ACCURACY, RD_FIELD_SIGNATURE_NULL_CLASSIFIER_ANGLE,
  /* autoencoder: kappa of the point's source distribution and the learned code per day */
  RD_FIELD_MODULARITY_KAPPA, RD_FIELD_MODULARITY_KAPPA_NORMALIZED, RD_FIELD_MODULARITY_KAPPA_EXACT, RD_FIELD_MODULARITY_LOSS_MODULAR,
  RD_FIELD_MODULARITY_MIXING_MAX, RD_FIELD_MODULARITY_MIXING_MEAN, RD_FIELD_MODULARITY_MIXING_ANGLE_MAX, RD_FIELD_MODULARITY_ACTIVE_UNITS,
  RD_FIELD_MODULARITY_INFOM, RD_FIELD_MODULARITY_CINFOM, RD_FIELD_MODULARITY_CINFOM_CONDITIONAL,
  RD_FIELD_MODULARITY_GAP, RD_FIELD_MODULARITY_RELATIVE_GAP, RD_FIELD_MODULARITY_RECONSTRUCTION_ERROR,
  /* recordings: what each file contributed, and the within-session nulls of the signature */
  RD_FIELD_RECORDING_SESSIONS, RD_FIELD_RECORDING_STIMULI, RD_FIELD_RECORDING_TRIALS, RD_FIELD_RECORDING_NEURONS,
  RD_FIELD_RECORDING_DROPPED_PARTIAL_TRIALS, RD_FIELD_RECORDING_SESSION_DAY, RD_FIELD_RECORDING_SESSION_INDEX,
  RD_FIELD_RECORDING_STIMULUS_INDEX, RD_FIELD_RECORDING_VALID_TRIALS, RD_FIELD_RECORDING_TRIAL_INDEX, RD_FIELD_RECORDING_NEURON_ID,
  RD_FIELD_SIGNATURE_VARIATIONAL_OVERLAP, RD_FIELD_SIGNATURE_ANGLE_BETWEEN_MEANS_PER_DAY,
  RD_FIELD_SIGNATURE_NULL_PARTICIPATION_RATIO_PER_UNIT, RD_FIELD_SIGNATURE_NULL_VARIANCE_IN_VARIATIONAL_SPACE,
  RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_R, RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_ALONG_R,
  RD_FIELD_SIGNATURE_EVEN_ODD_ANGLE_TO_PC1, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_LOGLOG_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_FLOW_RATIO_PC1,
  RD_FIELD_SIGNATURE_EVEN_ODD_FRACTION_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_EVEN_ODD_PARTICIPATION_RATIO_PER_UNIT,
  RD_FIELD_SIGNATURE_EVEN_ODD_VARIANCE_IN_VARIATIONAL_SPACE, RD_FIELD_SIGNATURE_EVEN_ODD_RELATIVE_CROSS_ACCURACY,
  RD_FIELD_SIGNATURE_EVEN_ODD_CLASSIFIER_ANGLE, RD_FIELD_SIGNATURE_EVEN_ODD_DAY_DISCRIMINATION_ACCURACY,
  RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_SLOPE, RD_FIELD_SIGNATURE_EVEN_ODD_UNIT_TURNOVER_R,
  /* linear model: where the drift theory holds, and its prediction of the days protocol's drift */
  RD_FIELD_THEORY_PREDICTION_HOLDS, RD_FIELD_THEORY_PREDICTION_FAILURE, RD_FIELD_THEORY_RELAXATION_STEPS,
  RD_FIELD_THEORY_NONLINEARITY, RD_FIELD_THEORY_DRIFT_ANGLE_PREDICTED, RD_FIELD_THEORY_DRIFT_DISPLACEMENT_PREDICTED,
  RD_NUM_FIELDS
} RdField;

typedef struct {
  const char *path; /* absolute dataset path */
  int         rank;
  RdDim       dims[RD_MAX_FIELD_RANK]; /* the first is always RD_DIM_POINT */
  RdValueType type;
  RdWhen      when;
  RdPresence  presence;
  const char *units;
  const char *description;
} RdFieldSpec;

typedef struct {
  const char *name;  /* dimension-scale dataset name at the root (xarray/h5netcdf dimension name) */
  const char *label; /* HDF5 dimension label (h5py .dims[i].label), as named in archive-v1 */
  const char *description;
} RdDimSpec;

extern const RdFieldSpec rd_field_specs[RD_NUM_FIELDS];
extern const RdDimSpec   rd_dim_specs[RD_NUM_DIMS];
/* The name of each index of a dimension whose indices are named (the scale's attribute "labels",
 * the xarray coordinate), NULL for dimensions of plain indices. */
typedef const char *(*RdDimValueLabel)(PetscInt index);
extern const RdDimValueLabel rd_dim_value_labels[RD_NUM_DIMS];

/* Sizes of every dimension of one run. */
typedef struct {
  PetscInt size[RD_NUM_DIMS];
} RdDims;

/* Name of a /sweep/status code: pending, done, diverged, failed ("unknown" otherwise). */
const char *RdStatusName(PetscInt status);

/* Whether a run with these settings has the field. */
PetscBool RdFieldPresent(RdField field, const RdSchemaSelection *selection);

/* Whether a field is a measurement of the run rather than of its point: the timings wall_seconds
 * and phase_seconds. They differ between runs of the same options, so the point's checksum and the
 * bit-identity checks leave them out. */
PetscBool RdFieldRunDependent(RdField field);
/* Whether a point's checksum covers the field: every field written per point but the run-dependent
 * ones, its status included (the checksum itself excepted). */
PetscBool RdFieldInChecksum(RdField field);
/* Whether a field was added to archive-v1 after archives had been written without it: a reader
 * accepts its absence (an older archive), with a note. */
PetscBool RdFieldAddedLater(RdField field);
/* The integer a float64 value is stored as in an integer field: NaN (not computed) is -1. */
int64_t RdFieldStoredInteger(double value);

/* Elements of one point's slice of a field (product of its dims after `point`). */
size_t RdFieldPointElements(RdField field, const RdDims *dims);

/* One point's results, every field held as float64 in memory (the archive converts to the
 * field's file type), padded with NaN. */
typedef struct {
  PetscInt point;
  double  *values[RD_NUM_FIELDS];
} RdPointResult;

PetscErrorCode RdPointResultCreate(const RdDims *dims, const RdSchemaSelection *selection, RdPointResult *result);
/* Sets every value back to NaN (status to 0 = pending). */
PetscErrorCode RdPointResultReset(const RdDims *dims, RdPointResult *result);
PetscErrorCode RdPointResultDestroy(RdPointResult *result);

#endif
