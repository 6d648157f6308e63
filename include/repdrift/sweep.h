/* The sweep: its axes, the flattening of points, the cost model, the owner plan, and
 * every MPI collective that is not HDF5 (progress and load reductions). */
#ifndef REPDRIFT_SWEEP_H
#define REPDRIFT_SWEEP_H

#include <repdrift/common.h>

#define RD_MAX_AXIS_VALUES 256

typedef struct {
  PetscInt  n_frequency, n_noise_type, n_noise_level, n_width, n_lr, n_seeds;
  PetscReal frequency[RD_MAX_AXIS_VALUES];   /* presentation probability of stimulus 0 (class 0, the corner region) */
  PetscInt  noise_type[RD_MAX_AXIS_VALUES];  /* RdNoiseType codes (include/repdrift/noise.h) */
  PetscReal noise_level[RD_MAX_AXIS_VALUES]; /* dropout probability or noise std s */
  PetscBool noise_level_per_type;            /* no level axis given: each type at its paper level (noise_level_of_type) */
  PetscReal noise_level_of_type[RD_MAX_AXIS_VALUES]; /* [code] the level used when noise_level_per_type */
  PetscInt  width[RD_MAX_AXIS_VALUES];       /* hidden width m */
  PetscReal lr[RD_MAX_AXIS_VALUES];          /* SGD learning rate eta */
} RdSweepAxes;

/* One sweep point. Flattened order (documented in -help and README):
 * point = ((((i_frequency * n_noise_type + i_noise_type) * n_noise_level + i_noise_level) * n_width + i_width) * n_lr + i_lr) * n_seeds + replicate,
 * i.e. the replicate varies fastest and the frequency slowest (with one noise type, as for the
 * linear model, this is the order of the first archives). */
typedef struct {
  PetscInt  index;
  PetscInt  i_frequency, i_noise_type, i_noise_level, i_width, i_lr;
  PetscReal frequency, noise_level, lr;
  PetscInt  noise_type, width, replicate;
} RdPoint;

PetscInt       RdSweepNumPoints(const RdSweepAxes *axes);
PetscInt       RdSweepMaxWidth(const RdSweepAxes *axes);
PetscErrorCode RdSweepGetPoint(const RdSweepAxes *axes, PetscInt index, RdPoint *point);

/* Owner plan: longest-processing-time-first greedy on the estimated costs, ties broken by
 * point index then rank, so every rank computes the same plan. */
typedef struct {
  PetscInt   n_points, n_ranks;
  PetscInt  *owner;       /* [n_points] owning rank, by the plan's own point numbering */
  PetscInt  *rank_offset; /* [n_ranks+1] CSR offsets into rank_points */
  PetscInt  *rank_points; /* points of each rank in the order it runs them (global indices after
                             RdPlanRenamePoints) */
  PetscReal *rank_load;   /* [n_ranks] summed cost */
  PetscInt   n_rounds;    /* max points owned by a rank = number of collective write rounds */
  PetscReal  imbalance;   /* max load / mean load (1 = perfect) */
} RdPlan;

PetscErrorCode RdPlanCreate(PetscInt n_points, const PetscReal *cost, PetscInt n_ranks, RdPlan *plan);
/* Renames the plan's points (0..n_points-1) to global point indices (rank_points only). */
PetscErrorCode RdPlanRenamePoints(RdPlan *plan, const PetscInt *global_index);
PetscErrorCode RdPlanDestroy(RdPlan *plan);
/* The point rank runs in round r, or -1 when it owns fewer than r+1 points. */
PetscInt       RdPlanPointOf(const RdPlan *plan, PetscInt rank, PetscInt round);

/* Collective progress bookkeeping. */
typedef struct {
  MPI_Comm  comm;
  PetscInt  total, done;
  double    start_time;
  double    busy_seconds; /* this rank's seconds spent computing points */
  PetscInt  my_points;
} RdProgress;

PetscErrorCode RdProgressStart(MPI_Comm comm, PetscInt total, RdProgress *progress);
/* Collective: every rank reports the point it finished this round (-1 for none), its status
 * and its seconds; rank 0 prints one line per finished point. */
PetscErrorCode RdProgressRound(RdProgress *progress, PetscInt point_here, PetscInt status_here, double seconds_here, PetscBool terse);
/* Collective: per-rank load table (points, busy seconds), printed by rank 0. */
PetscErrorCode RdProgressLoadTable(RdProgress *progress, PetscBool terse);
/* Collective: rank 0's text (an error message, "" for none) to every rank. */
PetscErrorCode RdBroadcastText(MPI_Comm comm, char *text, size_t size);
/* Collective: rank 0's integers to every rank. */
PetscErrorCode RdBroadcastInts(MPI_Comm comm, PetscInt *values, PetscInt n);
/* Collective: true on every rank when it is true on any rank (e.g. a signal arrived). */
PetscErrorCode RdAnyRank(MPI_Comm comm, PetscBool local, PetscBool *any);
/* Collective: number of ranks sharing this rank's node (memory per rank). */
PetscErrorCode RdRanksOnNode(MPI_Comm comm, PetscInt *ranks_on_node);
/* Collective: under a direct srun launch, the MPI size must equal the step's task count; a wrong PMI
 * starts N singletons instead of one N-rank job (each would write the archive alone). */
PetscErrorCode RdCheckSlurmTasks(MPI_Comm comm);

#endif
