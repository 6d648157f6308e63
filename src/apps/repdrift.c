/* repdrift: an MPI sweep of continual online learning, the geometry of its representational
 * drift (Aitken et al. 2022), and one collective HDF5 archive. main() is the table of contents. */
#include <repdrift/archive.h>
#include <repdrift/claim.h>
#include <repdrift/config.h>
#include <repdrift/errors.h>
#include <repdrift/integrity.h>
#include <repdrift/model.h>
#include <repdrift/report.h>
#include <repdrift/run.h>
#include <repdrift/signals.h>
#include <repdrift/sweep.h>
#include <repdrift/version.h>
#include <slepcsys.h>
#include <string.h>
#include <unistd.h>

static const char help[] =
  "repdrift: representational drift under continual online learning.\n"
  "Trains a model (-model; each has its section below) at every point of a sweep over stimulus\n"
  "frequency x noise type x noise level (dropout) x width x learning rate x seeds, probes its hidden\n"
  "layer at the end of every day (snapshot), and writes the drift geometry of every point into one\n"
  "HDF5 archive (schema archive-v1), with the model's own groups.\n\n"
  "Sweep points are flattened as ((((i_frequency * n_noise_type + i_noise_type) * n_noise_level + i_noise_level) * n_width + i_width) * n_lr + i_lr) * n_seeds + replicate.\n"
  "Every random stream derives from (-seed, replicate, purpose): results do not depend on the number of\n"
  "MPI ranks, nor on the other points of the sweep.\n\n"
  "Choices where the paper (Aitken et al. 2022) is ambiguous:\n"
  "  - probe responses are the hidden layer after dropout, dropout redrawn per presentation (-probe_dropout)\n"
  "  - drift along a PC is normalised: |w_i.d|/|d|; per-PC metrics use consecutive days (day-1 -> day)\n"
  "  - gamma uses the earlier day's variational space (k = ceil(participation ratio) PCs)\n"
  "  - split-half null: PCA of the first half of a day's probes, drift to the mean of the second half\n"
  "  - cross-day readout: L2-regularised logistic regression (-readout_l2), stimulus 0 vs 1, trained on\n"
  "    the first half of one day's probes and tested on the second half of another day's\n"
  "  - task loss: the expectation over stimulus, input noise and dropout mask, weight decay included\n"
  "  - per-PC drift metrics are NaN along PCs of zero variance; the flow of variance is a share of the\n"
  "    later day's total variance\n\n"
  "Errors the user can fix (options, input files, archives) print one line and exit with status 2.\n\n";

/* Assembles the sweep description and provenance, then creates the archive (collective). */
static PetscErrorCode CreateArchive(const RdConfig *cfg, const RdDims *dims, const char *claim_note, RdArchive *archive)
{
  double             *description[RD_NUM_FIELDS] = {NULL};
  RdArchiveProvenance provenance;
  RdArchiveSettings   settings;
  char               *options_text, *options_given, command_line[4096] = "";
  int                 argc;
  char              **argv;
  PetscMPIInt         size;

  PetscFunctionBeginUser;
  for (int f = 0; f < RD_NUM_FIELDS; f++)
    if (rd_field_specs[f].when == RD_WRITTEN_AT_CREATION) PetscCall(PetscMalloc1(RdFieldPointElements((RdField)f, dims) * (size_t)dims->size[RD_DIM_POINT], &description[f]));
  PetscCall(RdRunSweepDescription(cfg, dims, description));
  PetscCall(RdConfigOptionsText(cfg, &options_text));
  PetscCall(RdConfigGivenOptionsText(&options_given));
  PetscCall(PetscGetArgs(&argc, &argv));
  for (int i = 0; i < argc; i++) {
    PetscCall(PetscStrlcat(command_line, i ? " " : "", sizeof command_line));
    PetscCall(PetscStrlcat(command_line, argv[i], sizeof command_line));
  }
  PetscCallMPI(MPI_Comm_size(PETSC_COMM_WORLD, &size));
  provenance.options_text  = options_text;
  provenance.options_given = options_given;
  provenance.command_line  = command_line;
  provenance.mpi_ranks     = size;
  PetscCall(RdRunArchiveSettings(cfg, &settings));
  PetscCall(PetscStrncpy(settings.claim_note, claim_note, sizeof settings.claim_note));
  PetscCall(RdArchiveCreate(PETSC_COMM_WORLD, &settings, dims, (const double *const *)description, &provenance, archive));
  PetscCall(PetscFree(options_text));
  PetscCall(PetscFree(options_given));
  for (int f = 0; f < RD_NUM_FIELDS; f++) PetscCall(PetscFree(description[f]));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Rank 0 re-reads the finished archive: every point this run computed must carry a final status. */
static PetscErrorCode VerifyArchive(const RdConfig *cfg, PetscInt n_todo, const PetscInt *todo)
{
  PetscMPIInt rank;
  PetscInt    n_diverged = 0, n_failed = 0;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank != 0) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(RdReportVerify(cfg->output, n_todo, todo, &n_diverged, &n_failed));
  if (n_diverged) PetscCall(PetscPrintf(PETSC_COMM_SELF, "Warning: %" PetscInt_FMT " point(s) diverged (non-finite loss; status 2): lower -lr?\n", n_diverged));
  if (n_failed) PetscCall(PetscPrintf(PETSC_COMM_SELF, "Warning: %" PetscInt_FMT " point(s) failed (status 3): see the errors above\n", n_failed));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Report(const RdConfig *cfg)
{
  PetscMPIInt rank;

  PetscFunctionBeginUser;
  PetscCallMPI(MPI_Comm_rank(PETSC_COMM_WORLD, &rank));
  if (rank == 0) PetscCall(RdReportPrint(cfg->output, cfg->terse));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Unless resuming, every point of the slice is to do; with -resume only the unfinished ones. */
static PetscErrorCode PointsToDo(const RdConfig *cfg, const RdDims *dims, PetscInt *n_todo, PetscInt **todo)
{
  PetscInt            *status = NULL;
  RdArchiveExpectation expect;

  PetscFunctionBeginUser;
  if (cfg->resume) { /* the archive must hold what this run's options imply (integrity.h) */
    PetscCall(PetscMalloc1(dims->size[RD_DIM_POINT], &status));
    PetscCall(RdIntegrityExpectation(cfg, &expect));
    PetscCall(RdArchiveResumeCheck(PETSC_COMM_WORLD, &expect, status));
    PetscCall(RdIntegrityExpectationDestroy(&expect));
  }
  PetscCall(RdRunPointsToDo(cfg, status, n_todo, todo));
  PetscCall(PetscFree(status));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* -resume: the existing archive, reopened for writing. */
static PetscErrorCode ReopenArchive(const RdConfig *cfg, const RdDims *dims, const char *claim_note, RdArchive *archive)
{
  RdArchiveSettings settings;

  PetscFunctionBeginUser;
  PetscCall(RdRunArchiveSettings(cfg, &settings));
  PetscCall(PetscStrncpy(settings.claim_note, claim_note, sizeof settings.claim_note));
  PetscCall(RdArchiveReopen(PETSC_COMM_WORLD, &settings, dims, archive));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A user error (RdMainCall) prints one line and exits with status 2 (include/repdrift/errors.h). */
int main(int argc, char **argv)
{
  RdConfig  cfg;
  RdPlan    plan;
  RdDims    dims;
  RdArchive archive;
  RdClaim   claim;
  char      claim_note[512];
  PetscInt  n_todo, *todo;
  PetscBool interrupted;

  if (RdVersionRequested(argc, argv)) return RdPrintVersion(stdout); /* before anything else prints */
  RdMainCall(RdInitialize(&argc, &argv, "repdrift", help, PETSC_TRUE));
  RdMainCall(RdModelRegisterAll());
  RdSignalsInstall();
  RdLauncherWatch();
  /* options and the model's inputs */
  RdMainCall(RdConfigFromOptions(PETSC_COMM_WORLD, &cfg));
  if (cfg.help) {
    PetscCall(RdConfigDestroy(&cfg));
    return RdFinalize();
  }
  RdMainCall(RdConfigCheckUnusedOptions(PETSC_COMM_WORLD));
  RdMainCall(RdModelSetUp(PETSC_COMM_WORLD, &cfg));
  RdMainCall(RdCheckSlurmTasks(PETSC_COMM_WORLD));
  /* sweep plan */
  RdMainCall(RdRunDims(&cfg, &dims));
  RdMainCall(RdRunCheckMemory(PETSC_COMM_WORLD, &cfg, &dims));
  /* one writer per archive, from before anything is read for -resume or written */
  RdMainCall(RdClaimTake(PETSC_COMM_WORLD, cfg.output, "-output", cfg.break_lock, &claim, claim_note, sizeof claim_note));
  RdMainCall(PointsToDo(&cfg, &dims, &n_todo, &todo));
  RdMainCall(RdRunPlan(PETSC_COMM_WORLD, &cfg, n_todo, todo, &plan));
  /* archive schema */
  if (cfg.resume) RdMainCall(ReopenArchive(&cfg, &dims, claim_note, &archive));
  else RdMainCall(CreateArchive(&cfg, &dims, claim_note, &archive));
  /* run owned points */
  PetscCall(RdRunOwnedPoints(PETSC_COMM_WORLD, &cfg, &dims, &plan, archive, &interrupted));
  PetscCall(RdArchiveFinish(&archive, interrupted ? "interrupted" : "complete"));
  if (interrupted) {
    PetscCall(RdClaimGive(PETSC_COMM_WORLD, &claim));
    if (RdLauncherGone()) {
      /* mpirun (or srun's step) is gone: nobody waits for us, and MPI_Finalize could wait forever
         for it; the archive is closed and the claim released, so just leave */
      fprintf(stderr, "repdrift: the launcher of this run is gone (killed?): stopped after the current point; finished points are saved in %s. Continue with -resume.\n", cfg.output);
      _exit(RD_EXIT_INTERRUPTED);
    }
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Interrupted by signal %d: finished points are saved in %s (status \"interrupted\"). Continue with the same command plus -resume.\n", RdSignalReceived(), cfg.output));
    PetscCall(RdPlanDestroy(&plan));
    PetscCall(PetscFree(todo));
    PetscCall(RdConfigDestroy(&cfg));
    RdFinalize();
    return RD_EXIT_INTERRUPTED;
  }
  PetscCall(RdClaimGive(PETSC_COMM_WORLD, &claim));
  /* verify */
  PetscCall(VerifyArchive(&cfg, n_todo, todo));
  /* report */
  PetscCall(Report(&cfg));
  /* finalize */
  PetscCall(RdPlanDestroy(&plan));
  PetscCall(PetscFree(todo));
  PetscCall(RdConfigDestroy(&cfg));
  return RdFinalize();
}
