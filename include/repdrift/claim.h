/* One writer per archive. Two uncoordinated HDF5 writers on one file can corrupt its metadata, and
 * one run's root status can overwrite the other's, so every run that writes an archive (new,
 * -overwrite, -resume, repdrift-merge's output) holds an exclusive claim on it for its whole life.
 *
 * The claim is a record beside the archive, "<archive>.lock", that works where HDF5's own file
 * locking does not (MPI-IO opens are never locked; cluster file systems often lack flock):
 *   - it appears atomically and complete: written to a private temporary file, then link(2)ed to its
 *     name, which fails if a claim exists (atomic on local file systems, NFS and Lustre alike);
 *   - it names the holder: host, PID of rank 0, Slurm job id and restart count, start time;
 *   - the holder keeps an flock(2) on it for its life, which the kernel drops when the process dies
 *     for any reason (kill -9 included).
 * A claim is stale when its holder is provably gone: on the same host, its flock can be taken (or,
 * where flock is unsupported, its PID no longer exists); elsewhere, its Slurm job is no longer
 * running (asked with squeue). A stale claim is reported; breaking it takes -break_lock, except a
 * claim left by an earlier incarnation of this very Slurm job (requeued: Slurm ends a job's steps
 * before requeueing it), which is taken over with a note. Readers take no claim and are never
 * blocked by one. The record functions are plain POSIX (rank 0 calls them); RdClaimTake/Give are
 * the collective versions a program uses (src/claim_run.c). */
#ifndef REPDRIFT_CLAIM_H
#define REPDRIFT_CLAIM_H

#include <repdrift/common.h>
#include <stddef.h>
#include <sys/types.h>

#define RD_CLAIM_SUFFIX ".lock"

/* The holder named in a claim record. */
typedef struct {
  char host[256];
  long pid;
  char slurm_job_id[64];   /* "" outside Slurm */
  long slurm_restart;      /* SLURM_RESTART_COUNT of the holder (0 if none) */
  char started[64];        /* ISO 8601, local time with offset */
} RdClaimHolder;

/* A claim held by this process. */
typedef struct {
  char  path[4096]; /* the record, "<archive>.lock" */
  int   fd;         /* open and flock'ed while held; -1 when not held */
  dev_t device;
  ino_t inode;
} RdClaim;

typedef enum {
  RD_CLAIM_TAKEN = 0, /* the claim is ours (possibly after breaking a stale one: see *broken) */
  RD_CLAIM_HELD,      /* another writer holds it: message names it */
  RD_CLAIM_STALE,     /* its holder is gone, and breaking was not asked for: message says so */
  RD_CLAIM_FAILED     /* the record could not be created or read (permissions, I/O): message says why */
} RdClaimStatus;

/* Takes the claim on `archive` (`what` names it in messages: "-output"). When a stale claim is broken (break_stale, or this Slurm job's own
 * earlier incarnation), *broken is set and *previous names its holder; message then says what
 * was broken, for the archive's provenance. */
RdClaimStatus RdClaimAcquire(const char *archive, const char *what, int break_stale, RdClaim *claim, int *broken, RdClaimHolder *previous, char *message, size_t size);
/* Releases a held claim (removes the record only if it is still ours). Safe on a claim not held.
 * A claim not released by then is released when the process exits (atexit). */
void RdClaimRelease(RdClaim *claim);
/* Reads the claim record of `archive`: 1 if one exists (holder filled), 0 if none, -1 if unreadable. */
int RdClaimRead(const char *archive, RdClaimHolder *holder);
/* "host h, PID p[, Slurm job j], since t" for messages. */
void RdClaimHolderText(const RdClaimHolder *holder, char *text, size_t size);

/* The launcher of this process (mpirun, orted, slurmstepd, the shell) is gone: the parent PID
 * recorded by RdLauncherWatch changed (orphans are re-parented). A run whose launcher was killed
 * stops after its current point instead of writing on as an orphan. */
void RdLauncherWatch(void);
int  RdLauncherGone(void);

/* Collective: rank 0 takes the claim on `archive` before anything is written to it; a claim held
 * by another writer, or a stale one without break_lock, is a user error on every rank naming the
 * holder (one line, exit 2). note (size bytes, may be NULL) receives, on every rank, what a broken
 * stale claim was ("" if none), for the archive's provenance; it is also printed. */
PetscErrorCode RdClaimTake(MPI_Comm comm, const char *archive, const char *what, PetscBool break_lock, RdClaim *claim, char *note, size_t size);
/* Collective: once every rank is done with the archive, rank 0 releases the claim. */
PetscErrorCode RdClaimGive(MPI_Comm comm, RdClaim *claim);

#endif
