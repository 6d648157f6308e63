/* The sweep: its axes, the flattening of points and the owner plan (which rank runs which
 * point, balanced on estimated costs). Pure planning, no MPI: the same inputs give the same plan
 * on every rank. The collectives that use the plan (progress rounds, broadcasts) are in
 * parallel.h, included here so that callers of either compile with this header alone. */
#ifndef REPDRIFT_SWEEP_H
#define REPDRIFT_SWEEP_H

#include <repdrift/common.h>
#include <repdrift/parallel.h>

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
 * point index then rank, so every rank computes the same plan (the static schedule). The queue
 * is the same order, largest estimated cost first, for the dynamic schedule: a rank that becomes
 * free takes the next point of the queue (parallel.h's ticket counter), so that costs the
 * estimate cannot foresee (data-dependent convergence) even out. */
typedef struct {
  PetscInt   n_points, n_ranks;
  PetscInt  *queue;       /* [n_points] largest estimated cost first, ties by index (global
                             indices after RdPlanRenamePoints) */
  PetscInt  *owner;       /* [n_points] owning rank, by the plan's own point numbering */
  PetscInt  *rank_offset; /* [n_ranks+1] CSR offsets into rank_points */
  PetscInt  *rank_points; /* points of each rank in the order it runs them (global indices after
                             RdPlanRenamePoints) */
  PetscReal *rank_load;   /* [n_ranks] summed cost */
  PetscInt   n_rounds;    /* max points owned by a rank = number of collective write rounds */
  PetscReal  imbalance;   /* max load / mean load (1 = perfect) */
} RdPlan;

PetscErrorCode RdPlanCreate(PetscInt n_points, const PetscReal *cost, PetscInt n_ranks, RdPlan *plan);
/* Renames the plan's points (0..n_points-1) to global point indices (rank_points and queue). */
PetscErrorCode RdPlanRenamePoints(RdPlan *plan, const PetscInt *global_index);
PetscErrorCode RdPlanDestroy(RdPlan *plan);
/* The point rank runs in round r, or -1 when it owns fewer than r+1 points. */
PetscInt       RdPlanPointOf(const RdPlan *plan, PetscInt rank, PetscInt round);

#endif
