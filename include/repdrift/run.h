/* Running a sweep: the cost model and plan, the archive dimensions and sweep description, one
 * point end to end (model -> probes -> analyses -> result), and the loop over owned points. */
#ifndef REPDRIFT_RUN_H
#define REPDRIFT_RUN_H

#include <repdrift/archive.h>
#include <repdrift/config.h>
#include <repdrift/schema.h>
#include <repdrift/sweep.h>

typedef enum { RD_STATUS_PENDING = 0, RD_STATUS_DONE = 1, RD_STATUS_DIVERGED = 2, RD_STATUS_FAILED = 3 } RdPointStatus;

PetscErrorCode RdRunDims(const RdConfig *cfg, RdDims *dims);
/* Estimated relative cost of a point (SGD work grows with width, the geometry with width too). */
PetscReal      RdRunPointCost(const RdConfig *cfg, const RdPoint *point);
/* The points this run computes: its -sweep_slice, less (with -resume) those already finished
 * according to status (NULL without -resume). todo is PetscMalloc'ed. */
PetscErrorCode RdRunPointsToDo(const RdConfig *cfg, const PetscInt *status, PetscInt *n_todo, PetscInt **todo);
/* Every rank computes the same plan over the todo points. Rank 0 prints it. */
PetscErrorCode RdRunPlan(MPI_Comm comm, const RdConfig *cfg, PetscInt n_todo, const PetscInt *todo, RdPlan *plan);
/* Collective: refuses up front a sweep whose points would not fit in the memory of a node. */
PetscErrorCode RdRunCheckMemory(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims);
/* The sweep description (RD_WRITTEN_AT_CREATION fields), full arrays over points. */
PetscErrorCode RdRunSweepDescription(const RdConfig *cfg, const RdDims *dims, double *values[RD_NUM_FIELDS]);
/* One point, no MPI and no I/O. Fills result (status done or diverged). */
PetscErrorCode RdRunPoint(const RdConfig *cfg, const RdDims *dims, PetscInt point_index, RdPointResult *result);
/* Collective: every rank runs its points round by round and writes them as they finish. Between
 * rounds, a SIGTERM/SIGUSR1 on any rank stops every rank (*interrupted set). */
PetscErrorCode RdRunOwnedPoints(MPI_Comm comm, const RdConfig *cfg, const RdDims *dims, const RdPlan *plan, RdArchive archive, PetscBool *interrupted);

#endif
