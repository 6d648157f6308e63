/* The repdrift archive (archive-v1): the HDF5 file a run writes and the report reads. With the
 * input module (h5input.h: users' data files) the only module that calls HDF5.
 *
 * Writing: rank 0 creates the whole file serially first (schema, dimension scales, attributes,
 * option text, the sweep description), with every dataset's storage allocated up front and filled
 * with NaN / -1 / status 0. Then every rank reopens it with MPI-IO and, once per round, writes its
 * finished point (or joins with an empty selection) in collective transfers. The parallel phase
 * therefore never changes HDF5 metadata: a run killed at any moment leaves a file that opens, with
 * /sweep/status telling which points are complete. */
#ifndef REPDRIFT_ARCHIVE_H
#define REPDRIFT_ARCHIVE_H

#include <repdrift/schema.h>

typedef struct _n_RdArchive *RdArchive;

/* What the archive needs to know of a run (filled from its options by RdRunArchiveSettings). */
typedef struct {
  char              output[PETSC_MAX_PATH_LEN]; /* the file (-output) */
  PetscBool         overwrite;                  /* replace an existing file (-overwrite) */
  char              model[64];                  /* root attribute "model" */
  char              noise_types[256];           /* root attribute "noise_type": the run's noise sources, comma-separated */
  PetscInt          seed;                       /* root attribute "global_seed" */
  RdSchemaSelection selection;                  /* the optional groups the file has */
  char              claim_note[512];            /* "" or what -break_lock took over: root attribute
                                                   "claim_broken" (appended to on -resume) */
} RdArchiveSettings;

/* What the archive records besides the data: run-level provenance filled by the caller. */
typedef struct {
  const char *options_text;       /* effective value of every option, one per line */
  const char *options_given;      /* the options database as given (command line, files) */
  const char *command_line;
  PetscInt    mpi_ranks;
} RdArchiveProvenance;

/* What an archive must hold, derived from its options (include/repdrift/integrity.h): the run's
 * settings (root attributes model, global_seed, noise_type; the optional groups), its dimensions
 * (dims_known false: only checked to agree among the datasets), the sweep description (full
 * arrays of the RD_WRITTEN_AT_CREATION fields; NULL where it cannot be derived: then checked for
 * range only) and the options text (NULL: not compared). */
typedef struct {
  RdArchiveSettings settings;
  RdDims            dims;
  PetscBool         dims_known;
  double           *description[RD_NUM_FIELDS];
  char             *options_text;
} RdArchiveExpectation;

/* What the validation and the checksum verification found in an archive. */
typedef struct {
  PetscInt  n_points;
  PetscInt *status;           /* /sweep/status of every point */
  PetscInt  n_status[4];      /* points pending, done, diverged, failed */
  PetscBool has_checksums;    /* /sweep/checksum exists (archives written before it have none) */
  PetscBool absent[RD_NUM_FIELDS]; /* fields added later (RdFieldAddedLater) this older archive lacks */
  PetscBool verified;         /* RdArchiveVerifyChecksums ran */
  PetscInt  n_failing;        /* finished points whose checksum does not match their data */
  PetscInt *failing;          /* their indices, ascending */
} RdArchiveIntegrity;

/* Collective. Refuses an existing -output unless -overwrite; plan_values[f] (full arrays including
 * the point dimension) are given for every RD_WRITTEN_AT_CREATION field. */
PetscErrorCode RdArchiveCreate(MPI_Comm comm, const RdArchiveSettings *cfg, const RdDims *dims, const double *const plan_values[RD_NUM_FIELDS], const RdArchiveProvenance *provenance, RdArchive *archive);
/* Collective (-resume): checks that -output (expect->settings.output) is a repdrift archive of this
 * schema version whose /config/options equal expect->options_text and which holds what they imply
 * (RdArchiveValidate), then gives every rank the /sweep/status of every point (status[n_points]).
 * A finished point whose checksum fails counts as pending (recomputed), and rank 0 says so. Clear
 * error, file untouched, otherwise. */
PetscErrorCode RdArchiveResumeCheck(MPI_Comm comm, const RdArchiveExpectation *expect, PetscInt *status);
/* Collective (-resume): reopens the checked archive for writing; its root status becomes "running". */
PetscErrorCode RdArchiveReopen(MPI_Comm comm, const RdArchiveSettings *cfg, const RdDims *dims, RdArchive *archive);
/* Collective: writes result (NULL on ranks without a finished point this round) and makes it
 * durable: data first, flushed, then its status, flushed. */
PetscErrorCode RdArchiveWriteRound(RdArchive archive, const RdPointResult *result);
/* Collective: closes the file and records the final root status ("complete" | "interrupted"). */
PetscErrorCode RdArchiveFinish(RdArchive *archive, const char *status);

/* Serial: combines slice archives of one sweep (identical /config/options and dimensions) into
 * output, which must not exist: every point comes from the input in which it is not pending.
 * The result is a single run's archive: same schema and values; its status is "complete" when
 * every point is finished. */
PetscErrorCode RdArchiveMerge(const char *output, PetscInt n_inputs, const char *const inputs[]);

/* Serial reading (report, checks). Fails with a clear message on a file that is not a repdrift
 * archive or has an unknown schema version. */
typedef struct _n_RdArchiveReader *RdArchiveReader;
PetscErrorCode RdArchiveOpenRead(const char *path, RdArchiveReader *reader);
PetscErrorCode RdArchiveCloseRead(RdArchiveReader *reader);
/* Whether the archive has the field (optional groups: -save_responses, -protocol replicas). */
PetscBool      RdArchiveHasField(RdArchiveReader reader, RdField field);
/* Reads a whole dataset as float64 (PetscMalloc'ed; free with PetscFree). */
PetscErrorCode RdArchiveReadField(RdArchiveReader reader, RdField field, PetscInt *n_dims, PetscInt dims[RD_MAX_FIELD_RANK], double **values);
/* A root attribute as text (numbers are formatted). */
PetscErrorCode RdArchiveReadAttribute(RdArchiveReader reader, const char *name, char *value, size_t size);
/* The run's effective options, /config/options: one "-name value" per line (PetscFree it). */
PetscErrorCode RdArchiveReadOptions(RdArchiveReader reader, char **text);

/* ---- integrity (src/archive_validate.c) ---- */
/* /config/options (PetscFree it); message (one line) says why when it is missing or not a text. */
PetscErrorCode RdArchiveReadOptionsText(RdArchiveReader reader, char **text, char *message, size_t size);
/* The one validation every reader runs: root attributes (model, global_seed, noise_type as
 * expected, a known status); every dimension scale and every dataset the schema declares for
 * these options present (those added later may be absent: integrity->absent), with its type, rank,
 * extents and attributes (units, description), and no dataset of a group the options do not select; /sweep/status codes known; the sweep description
 * in range and equal to expect->description. Fills integrity (status; has_checksums); message is
 * empty when the archive is valid, else one line naming the dataset and what is wrong. */
PetscErrorCode RdArchiveValidate(RdArchiveReader reader, const RdArchiveExpectation *expect, RdArchiveIntegrity *integrity, char *message, size_t size);
/* After RdArchiveValidate: recomputes the checksum of every finished point (status != pending)
 * from the stored bytes (checksum.h) and lists those that differ from /sweep/checksum (or have
 * none) in integrity->failing. Nothing to do without /sweep/checksum. message as above (a file
 * HDF5 cannot read). */
PetscErrorCode RdArchiveVerifyChecksums(RdArchiveReader reader, RdArchiveIntegrity *integrity, char *message, size_t size);
PetscErrorCode RdArchiveIntegrityDestroy(RdArchiveIntegrity *integrity);
/* Points for a message: "3, 7, 12" (the first ten, then "..."). */
void           RdArchivePointList(const PetscInt *points, PetscInt n, char *text, size_t size);

#endif
