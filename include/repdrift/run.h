/* Running a sweep: the dimensions, plan and sweep description of the archive, one point end to end
 * (model -> probes -> the drift geometry and readout of Aitken et al. 2022 -> result), and the loop
 * in which every rank runs its points and writes them. What differs between models comes from
 * their RdModelOps (include/repdrift/model.h). */
#ifndef REPDRIFT_RUN_H
#define REPDRIFT_RUN_H

#include <repdrift/archive.h>
#include <repdrift/config.h>
#include <repdrift/schema.h>
#include <repdrift/sweep.h>

typedef enum { RD_STATUS_PENDING = 0, RD_STATUS_DONE = 1, RD_STATUS_DIVERGED = 2, RD_STATUS_FAILED = 3 } RdPointStatus;

PetscErrorCode RdRunDims(const RdConfig *cfg, RdDims *dims);
/* What the archive records of the run (path, provenance attributes, optional groups). */
PetscErrorCode RdRunArchiveSettings(const RdConfig *cfg, RdArchiveSettings *settings);
/* The points this run computes: its -sweep_slice, less (with -resume) those already finished
 * according to status (NULL without -resume). todo is PetscMalloc'ed. */
PetscErrorCode RdRunPointsToDo(const RdConfig *cfg, const PetscInt *status, PetscInt *n_todo, PetscInt **todo);
/* Every rank computes the same plan over the todo points, from the model's cost of each (a point's
 * results never depend on the plan). Rank 0 prints it. */
PetscErrorCode RdRunPlan(MPI_Comm comm, const RdConfig *cfg, PetscInt n_todo, const PetscInt *todo, RdPlan *plan);
/* Collective: refuses up front a sweep whose points would not fit in the memory of a node. */
PetscErrorCode RdRunCheckMemory(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims);
/* The sweep description (RD_WRITTEN_AT_CREATION fields), full arrays over points. */
PetscErrorCode RdRunSweepDescription(const RdConfig *cfg, const RdDims *dims, double *values[RD_NUM_FIELDS]);
/* One point, no MPI and no I/O: the model's own protocol, or the days protocol. Fills result
 * (status done or diverged). */
PetscErrorCode RdRunPoint(const RdConfig *cfg, const RdDims *dims, PetscInt point_index, RdPointResult *result);
/* The days protocol of one point with the model's ops: burn-in (day 0), then train and observe
 * day after day with the weights frozen while observed; on the probes of every valid day, the
 * in-class PCA, drift geometry and cross-day readout; then the model's own analyses. */
PetscErrorCode RdRunDaysProtocol(const RdConfig *cfg, const RdDims *dims, const RdPoint *point, RdPointResult *result);
/* Collective: every rank runs points one after another, those of the plan's queue that it takes
 * when free (-schedule dynamic) or its own points of the plan (static); finished points are written in
 * collective rounds that the ranks join at safe points without waiting for each other's points
 * (rounds.h). A SIGTERM/SIGUSR1 on any rank stops every rank after its current point, once
 * everything finished is written (*interrupted set when points were left undone). Each point's
 * /sweep/wall_seconds and /sweep/phase_seconds cover the time from the end of the rank's
 * previous point to its own end (phases.h). */
PetscErrorCode RdRunOwnedPoints(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims, const RdPlan *plan, RdArchive archive, PetscBool *interrupted);

#endif
