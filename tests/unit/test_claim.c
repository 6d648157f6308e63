/* The claim record: one holder at a time, the holder named, a stale claim (a process that is gone)
 * recognised and broken only when asked, and a release that never removes another's claim. */
#include <repdrift/claim.h>
#include "testing.h"
#include <string.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

static char archive[4096];

static void WriteRecord(const char *host, long pid, const char *job, long restart)
{
  char  path[4200];
  FILE *file;
  snprintf(path, sizeof path, "%s%s", archive, RD_CLAIM_SUFFIX);
  file = fopen(path, "w");
  fprintf(file, "repdrift-claim 1\nhost=%s\npid=%ld\nslurm_job_id=%s\nslurm_restart_count=%ld\nstarted=2026-01-02T03:04:05+0000\n", host, pid, job, restart);
  fclose(file);
}

static int RecordExists(void)
{
  char path[4200];
  snprintf(path, sizeof path, "%s%s", archive, RD_CLAIM_SUFFIX);
  return access(path, F_OK) == 0;
}

/* A PID that is certainly not running: a child that has exited and been reaped. */
static long DeadPid(void)
{
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, NULL, 0);
  return (long)child;
}

static void TestOneHolder(void)
{
  RdClaim       first, second;
  RdClaimHolder holder, previous;
  char          message[1024], pid_text[32];
  int           broken;

  RD_CHECK(RdClaimAcquire(archive, "-output", 0, &first, &broken, &previous, message, sizeof message) == RD_CLAIM_TAKEN, "first claim taken: %s", message);
  RD_CHECK(!broken, "nothing broken on a fresh claim");
  RD_CHECK(RdClaimRead(archive, &holder) == 1 && holder.pid == (long)getpid(), "the record names this process (pid %ld)", holder.pid);
  /* the same process asking again is a second writer like any other: refused, holder named */
  RD_CHECK(RdClaimAcquire(archive, "-output", 0, &second, &broken, &previous, message, sizeof message) == RD_CLAIM_HELD, "second claim refused");
  snprintf(pid_text, sizeof pid_text, "PID %ld", (long)getpid());
  RD_CHECK(strstr(message, pid_text) && strstr(message, "in use"), "message names the holder: %s", message);
  /* a live holder is not stale: -break_lock does not take it */
  RD_CHECK(RdClaimAcquire(archive, "-output", 1, &second, &broken, &previous, message, sizeof message) == RD_CLAIM_HELD, "a live claim is not broken by -break_lock");
  RdClaimRelease(&first);
  RD_CHECK(!RecordExists(), "release removes the record");
  RdClaimRelease(&first); /* twice is harmless */
}

static void TestStale(void)
{
  RdClaim       claim;
  RdClaimHolder previous, self;
  char          message[1024], host[256] = "", expected[64];
  int           broken;
  long          dead = DeadPid();

  gethostname(host, sizeof host - 1);
  WriteRecord(host, dead, "", 0);
  RD_CHECK(RdClaimAcquire(archive, "-output", 0, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_STALE, "a dead holder on this host is stale: %s", message);
  snprintf(expected, sizeof expected, "PID %ld", dead);
  RD_CHECK(strstr(message, expected) && strstr(message, "-break_lock"), "stale message names the holder and -break_lock: %s", message);
  RD_CHECK(RecordExists(), "a stale claim is not touched without -break_lock");
  RD_CHECK(RdClaimAcquire(archive, "-output", 1, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_TAKEN, "-break_lock takes it over: %s", message);
  RD_CHECK(broken && previous.pid == dead, "the broken holder is reported (pid %ld)", previous.pid);
  RD_CHECK(RdClaimRead(archive, &self) == 1 && self.pid == (long)getpid(), "the new record is ours");
  RdClaimRelease(&claim);

  /* a holder on another host without Slurm cannot be judged: held, never broken */
  WriteRecord("some-other-host.example", 12345, "", 0);
  RD_CHECK(RdClaimAcquire(archive, "-output", 1, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_HELD, "another host's claim is held: %s", message);
  RD_CHECK(strstr(message, "some-other-host.example") != NULL, "names the other host");

  /* an earlier incarnation of this requeued Slurm job (another host) is taken over without asking */
  setenv("SLURM_JOB_ID", "4242", 1);
  setenv("SLURM_RESTART_COUNT", "1", 1);
  WriteRecord("some-other-host.example", 12345, "4242", 0);
  RD_CHECK(RdClaimAcquire(archive, "-output", 0, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_TAKEN && broken, "this requeued job takes over its own earlier claim: %s", message);
  RdClaimRelease(&claim);
  unsetenv("SLURM_JOB_ID");
  unsetenv("SLURM_RESTART_COUNT");
  RD_CHECK(!RecordExists(), "released");
}

/* A holder whose process died keeps no flock: stale even if its PID were reused. A live holder in
 * another process keeps it: held. */
static void TestOtherProcess(void)
{
  int           ready[2], stop[2];
  char          byte, message[1024];
  RdClaim       claim;
  RdClaimHolder previous;
  int           broken;
  pid_t         child;

  if (pipe(ready) || pipe(stop)) return;
  child = fork();
  if (child == 0) {
    RdClaim       held;
    RdClaimHolder prev;
    char          text[1024];
    int           b;
    if (RdClaimAcquire(archive, "-output", 0, &held, &b, &prev, text, sizeof text) != RD_CLAIM_TAKEN) _exit(3);
    (void)!write(ready[1], "x", 1);
    (void)!read(stop[0], &byte, 1);
    _exit(0); /* dies holding the claim: the record stays, the flock goes */
  }
  (void)!read(ready[0], &byte, 1);
  RD_CHECK(RdClaimAcquire(archive, "-output", 1, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_HELD, "a live holder in another process is held: %s", message);
  (void)!write(stop[1], "x", 1);
  waitpid(child, NULL, 0);
  RD_CHECK(RecordExists(), "the dead holder left its record");
  RD_CHECK(RdClaimAcquire(archive, "-output", 0, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_STALE, "the dead holder is stale: %s", message);
  RD_CHECK(RdClaimAcquire(archive, "-output", 1, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_TAKEN && broken && previous.pid == (long)child, "broken with -break_lock");
  RdClaimRelease(&claim);
}

/* Release never removes a record that is no longer ours. */
static void TestReleaseOnlyOwn(void)
{
  RdClaim       claim;
  RdClaimHolder previous, holder;
  char          message[1024], path[4200], host[256] = "";
  int           broken;

  RD_CHECK(RdClaimAcquire(archive, "-output", 0, &claim, &broken, &previous, message, sizeof message) == RD_CLAIM_TAKEN, "taken");
  snprintf(path, sizeof path, "%s%s", archive, RD_CLAIM_SUFFIX);
  unlink(path);
  gethostname(host, sizeof host - 1);
  WriteRecord(host, 1, "", 0); /* someone else's record in its place */
  RdClaimRelease(&claim);
  RD_CHECK(RdClaimRead(archive, &holder) == 1 && holder.pid == 1, "another's record survives our release");
  unlink(path);
}

int main(void)
{
  char directory[] = "/tmp/repdrift-claim-XXXXXX";
  if (!mkdtemp(directory)) return 1;
  snprintf(archive, sizeof archive, "%s/archive.h5", directory);
  TestOneHolder();
  TestStale();
  TestOtherProcess();
  TestReleaseOnlyOwn();
  RD_CHECK(rmdir(directory) == 0, "nothing left behind in %s", directory);
  return RdTestSummary("test_claim");
}
