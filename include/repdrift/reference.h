/* Built-in reference "recordings": published drift signatures to compare a network archive with
 * when no data are at hand (`repdrift-report NETWORK -compare paper-v1`). Each value is keyed by the
 * /signature metric it corresponds to (the names of `repdrift-report -schema`; some exist only in
 * -model recording archives: /signature/even_odd_*, variational_overlap, angle_between_means_per_day).
 * No I/O. */
#ifndef REPDRIFT_REFERENCE_H
#define REPDRIFT_REFERENCE_H

#include <repdrift/common.h>

typedef enum {
  RD_REFERENCE_MEAN_SD,     /* value = mean across animals, spread = its standard deviation */
  RD_REFERENCE_APPROXIMATE, /* value = the paper's "about" value; spread NaN (scale it by the network's seeds) */
  RD_REFERENCE_UPPER_BOUND  /* the paper says the metric stays below value; spread NaN */
} RdReferenceKind;

typedef struct {
  const char     *metric;    /* /signature/<metric> */
  RdReferenceKind kind;
  double          value, spread;
  const char     *units;     /* as the schema's units of the metric */
  PetscBool       in_schema; /* /signature/<metric> exists in this schema version */
  const char     *statement; /* what the paper reports, in words */
} RdReferenceValue;

typedef struct {
  const char             *name;     /* as given to -compare */
  const char             *citation;
  const char             *protocol; /* what the numbers were measured on */
  PetscInt                n_values;
  const RdReferenceValue *values;
} RdReferenceRecording;

/* The reference of that name ("paper-v1"), or NULL. */
const RdReferenceRecording *RdReferenceFind(const char *name);
/* Every built-in reference, in order, NULL-terminated. */
extern const RdReferenceRecording *const rd_reference_recordings[];

#endif
