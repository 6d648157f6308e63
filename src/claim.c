/* One writer per archive: the claim record beside it (contract and reasoning: claim.h). */
#include <repdrift/claim.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RECORD_FORMAT "repdrift-claim 1"

static void ClaimPath(const char *archive, char *path, size_t size) { snprintf(path, size, "%s%s", archive, RD_CLAIM_SUFFIX); }

static void ThisHolder(RdClaimHolder *holder)
{
  const char *job = getenv("SLURM_JOB_ID"), *restart = getenv("SLURM_RESTART_COUNT");
  time_t      now = time(NULL);
  struct tm   local;

  memset(holder, 0, sizeof *holder);
  if (gethostname(holder->host, sizeof holder->host - 1) != 0) snprintf(holder->host, sizeof holder->host, "unknown");
  holder->pid = (long)getpid();
  snprintf(holder->slurm_job_id, sizeof holder->slurm_job_id, "%s", job ? job : "");
  holder->slurm_restart = restart ? atol(restart) : 0;
  localtime_r(&now, &local);
  strftime(holder->started, sizeof holder->started, "%Y-%m-%dT%H:%M:%S%z", &local);
}

void RdClaimHolderText(const RdClaimHolder *holder, char *text, size_t size)
{
  if (holder->slurm_job_id[0]) snprintf(text, size, "host %s, PID %ld, Slurm job %s, since %s", holder->host, holder->pid, holder->slurm_job_id, holder->started);
  else snprintf(text, size, "host %s, PID %ld, since %s", holder->host, holder->pid, holder->started);
}

/* The record: one "key=value" per line after the format line; unknown keys are ignored. */
static int ParseRecord(FILE *file, RdClaimHolder *holder)
{
  char line[512];

  memset(holder, 0, sizeof *holder);
  if (!fgets(line, sizeof line, file) || strncmp(line, RECORD_FORMAT, strlen(RECORD_FORMAT)) != 0) return -1;
  while (fgets(line, sizeof line, file)) {
    char *value = strchr(line, '=');
    if (!value) continue;
    *value++ = '\0';
    value[strcspn(value, "\n")] = '\0';
    if (!strcmp(line, "host")) snprintf(holder->host, sizeof holder->host, "%s", value);
    else if (!strcmp(line, "pid")) holder->pid = atol(value);
    else if (!strcmp(line, "slurm_job_id")) snprintf(holder->slurm_job_id, sizeof holder->slurm_job_id, "%s", value);
    else if (!strcmp(line, "slurm_restart_count")) holder->slurm_restart = atol(value);
    else if (!strcmp(line, "started")) snprintf(holder->started, sizeof holder->started, "%s", value);
  }
  return holder->pid > 0 && holder->host[0] ? 0 : -1;
}

int RdClaimRead(const char *archive, RdClaimHolder *holder)
{
  char  path[4096];
  FILE *file;
  int   parsed;

  ClaimPath(archive, path, sizeof path);
  if (!(file = fopen(path, "r"))) return errno == ENOENT ? 0 : -1;
  parsed = ParseRecord(file, holder);
  fclose(file);
  return parsed == 0 ? 1 : -1;
}

/* Slurm's view of a job: 1 running (or about to), 0 not running (gone, pending after a requeue,
 * finished), -1 cannot tell (no squeue here, or it failed). */
static int SlurmJobRunning(const char *job)
{
  char  command[256], state[64] = "";
  FILE *pipe;
  int   code;

  for (const char *c = job; *c; c++)
    if ((*c < '0' || *c > '9') && *c != '_') return -1; /* never hand a strange string to a shell */
  snprintf(command, sizeof command, "squeue -h -j %s -o %%T 2>/dev/null", job);
  if (!(pipe = popen(command, "r"))) return -1;
  if (!fgets(state, sizeof state, pipe)) state[0] = '\0';
  code = pclose(pipe);
  if (code != 0) return code == -1 || !WIFEXITED(code) || WEXITSTATUS(code) == 127 ? -1 : 0; /* squeue fails for a job it no longer knows */
  state[strcspn(state, "\n")] = '\0';
  if (!state[0] || !strcmp(state, "PENDING") || !strcmp(state, "COMPLETED") || !strcmp(state, "FAILED") || !strcmp(state, "CANCELLED") || !strcmp(state, "TIMEOUT") || !strcmp(state, "NODE_FAIL") || !strcmp(state, "PREEMPTED") || !strcmp(state, "BOOT_FAIL") || !strcmp(state, "OUT_OF_MEMORY")) return 0;
  return 1;
}

/* Whether the holder of the record at `path` is provably gone. Same host: its flock can be taken
 * (the kernel released it when the holder died) or, where flock is unsupported, its PID is gone.
 * Another host: its Slurm job is not running. Sets *why. */
static int HolderGone(const char *path, const RdClaimHolder *holder, const RdClaimHolder *self, const char **why)
{
  if (!strcmp(holder->host, self->host)) {
    int fd = open(path, O_RDONLY), gone = -1;
    if (fd >= 0) {
      if (flock(fd, LOCK_EX | LOCK_NB) == 0) gone = 1;
      else if (errno == EWOULDBLOCK) gone = 0;
      close(fd);
    }
    if (gone < 0) gone = kill((pid_t)holder->pid, 0) != 0 && errno == ESRCH;
    *why = "its process is gone";
    if (gone) return 1;
  }
  if (holder->slurm_job_id[0]) {
    /* this very job, requeued: Slurm ended the earlier incarnation's steps before requeueing */
    if (!strcmp(holder->slurm_job_id, self->slurm_job_id) && holder->slurm_restart < self->slurm_restart) {
      *why = "it is an earlier incarnation of this requeued Slurm job";
      return 1;
    }
    if (SlurmJobRunning(holder->slurm_job_id) == 0) {
      *why = "its Slurm job is no longer running";
      return 1;
    }
  }
  return 0;
}

/* Writes our record to a private file and links it to `path` (fails with EEXIST if a claim exists):
 * the record is complete whenever it is visible. The fd stays open with our flock on it. */
static int CreateRecord(const char *path, const RdClaimHolder *self, RdClaim *claim)
{
  char        temporary[4200];
  struct stat info;
  FILE       *file;
  int         fd, linked;

  snprintf(temporary, sizeof temporary, "%s.%ld.tmp", path, self->pid);
  fd = open(temporary, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return -1;
  if (flock(fd, LOCK_EX | LOCK_NB) != 0 && errno != ENOSYS && errno != EOPNOTSUPP && errno != ENOLCK) {
    close(fd);
    unlink(temporary);
    return -1;
  }
  file = fdopen(dup(fd), "w");
  if (!file) {
    close(fd);
    unlink(temporary);
    return -1;
  }
  fprintf(file, "%s\nhost=%s\npid=%ld\nslurm_job_id=%s\nslurm_restart_count=%ld\nstarted=%s\n", RECORD_FORMAT, self->host, self->pid, self->slurm_job_id, self->slurm_restart, self->started);
  if (fflush(file) != 0 || fsync(fileno(file)) != 0) {
    fclose(file);
    close(fd);
    unlink(temporary);
    return -1;
  }
  fclose(file);
  linked = link(temporary, path);
  int saved = errno;
  unlink(temporary);
  if (linked != 0 || fstat(fd, &info) != 0) {
    close(fd);
    errno = linked != 0 ? saved : errno;
    return -1;
  }
  snprintf(claim->path, sizeof claim->path, "%s", path);
  claim->fd     = fd;
  claim->device = info.st_dev;
  claim->inode  = info.st_ino;
  return 0;
}

/* Moves the stale record aside and checks that what moved is the record judged stale (another
 * process may have broken it and claimed the archive in between; then it is put back). */
static int SetStaleAside(const char *path, const RdClaimHolder *stale)
{
  char          aside[4200];
  RdClaimHolder moved;
  FILE         *file;
  int           same = 0;

  snprintf(aside, sizeof aside, "%s.broken.%ld", path, (long)getpid());
  if (rename(path, aside) != 0) return errno == ENOENT ? 0 : -1;
  if ((file = fopen(aside, "r"))) {
    same = ParseRecord(file, &moved) == 0 && moved.pid == stale->pid && !strcmp(moved.host, stale->host) && !strcmp(moved.started, stale->started);
    fclose(file);
  }
  if (!same) {
    if (link(aside, path) != 0 && errno != EEXIST) return -1;
    unlink(aside);
    return 1; /* someone else's fresh claim: leave it */
  }
  unlink(aside);
  return 0;
}

/* A claim still held when the process exits (a user error after it was taken, an internal error
 * returning from main) is released by exit itself: otherwise a refused -resume would leave a
 * stale claim behind. Only _exit (and a signal) skip this, and then the flock still goes. */
static RdClaim held_at_exit = {.fd = -1};

static void ReleaseAtExit(void) { RdClaimRelease(&held_at_exit); }

static void ReleaseAtExitToo(const RdClaim *claim)
{
  static int registered = 0;
  if (!registered) registered = atexit(ReleaseAtExit) == 0;
  held_at_exit = *claim;
}

RdClaimStatus RdClaimAcquire(const char *archive, const char *what, int break_stale, RdClaim *claim, int *broken, RdClaimHolder *previous, char *message, size_t size)
{
  RdClaimHolder self, holder;
  char          path[4096], text[512];
  const char   *why = "";

  claim->fd = -1;
  *broken   = 0;
  message[0] = '\0';
  ThisHolder(&self);
  ClaimPath(archive, path, sizeof path);
  for (int attempt = 0; attempt < 3; attempt++) {
    if (CreateRecord(path, &self, claim) == 0) {
      ReleaseAtExitToo(claim);
      return RD_CLAIM_TAKEN;
    }
    if (errno != EEXIST) {
      char directory[4096], *slash;
      snprintf(directory, sizeof directory, "%s", archive);
      slash = strrchr(directory, '/');
      if (slash) *(slash == directory ? slash + 1 : slash) = '\0';
      else snprintf(directory, sizeof directory, ".");
      if (errno == ENOENT) snprintf(message, size, "cannot write %s %s: directory %s does not exist", what, archive, directory);
      else if (errno == ENOTDIR) snprintf(message, size, "cannot write %s %s: %s is not a directory", what, archive, directory);
      else snprintf(message, size, "cannot write %s %s: cannot create its claim %s (%s): check that directory %s is writable", what, archive, path, strerror(errno), directory);
      return RD_CLAIM_FAILED;
    }
    int found = RdClaimRead(archive, &holder);
    if (found == 0) continue; /* released in between: try again */
    if (found < 0) {
      snprintf(message, size, "the archive %s is claimed by another writer, but its claim record %s cannot be read: if no repdrift writes it, remove %s", archive, path, path);
      return RD_CLAIM_HELD;
    }
    RdClaimHolderText(&holder, text, sizeof text);
    if (!HolderGone(path, &holder, &self, &why)) {
      snprintf(message, size, "the archive %s is in use by another repdrift run (%s): wait for it to finish or stop it; a second writer would corrupt it (claim: %s)", archive, text, path);
      return RD_CLAIM_HELD;
    }
    int own_job = holder.slurm_job_id[0] && !strcmp(holder.slurm_job_id, self.slurm_job_id);
    if (!break_stale && !own_job) {
      snprintf(message, size, "the archive %s has a stale claim (%s; %s): make sure no run writes it, then add -break_lock to take it over", archive, text, why);
      return RD_CLAIM_STALE;
    }
    int aside = SetStaleAside(path, &holder);
    if (aside < 0) {
      snprintf(message, size, "cannot break the stale claim %s (%s): check the directory's permissions", path, strerror(errno));
      return RD_CLAIM_FAILED;
    }
    if (aside == 0) {
      *broken   = 1;
      *previous = holder;
      snprintf(message, size, "took over the stale claim of %s (%s)", text, why);
    }
  }
  snprintf(message, size, "the archive %s is being claimed by other runs at the same time: try again", archive);
  return RD_CLAIM_HELD;
}

void RdClaimRelease(RdClaim *claim)
{
  struct stat info;

  if (claim->fd < 0) return;
  if (claim != &held_at_exit && held_at_exit.fd == claim->fd) held_at_exit.fd = -1;
  /* remove the record only if it is still ours (never another writer's after a -break_lock) */
  if (stat(claim->path, &info) == 0 && info.st_dev == claim->device && info.st_ino == claim->inode) unlink(claim->path);
  close(claim->fd);
  claim->fd = -1;
}

static pid_t launcher_pid = -1;

void RdLauncherWatch(void) { launcher_pid = getppid(); }

int RdLauncherGone(void) { return launcher_pid > 0 && getppid() != launcher_pid; }
