/* Modularity of non-negative, energy-efficient linear codes (Dorrell et al. 2025): the whole
 * public API, one header per concern.
 *
 * Dorrell, Hsu, Hollingsworth, Lee, Wu, Finn, Latham, Behrens & Whittington, "Range, not
 * independence, drives modularity in biologically inspired representations", ICLR 2025
 * (arXiv:2410.06232).
 *
 *   modularity_sources.h   source statistics (a_j, b_j, e_j, Sigma, S), L_mod, built-in source sets
 *   modularity_hull.h      convex hulls (2-D, 3-D) and facets in any dimension
 *   modularity_kappa.h     the condition: g(w), kappa and its exact / certified methods (Thm 2.1, 2.2)
 *   modularity_metrics.h   how modular a learned code is (weight mixing, linear InfoM / CInfoM)
 *   modularity_optimize.h  the reduced problem of the autoencoder, minimised directly
 *
 * Every kernel takes plain buffers, does no I/O and no MPI, and is deterministic. */
#ifndef REPDRIFT_MODULARITY_H
#define REPDRIFT_MODULARITY_H

#include <repdrift/modularity_sources.h>
#include <repdrift/modularity_hull.h>
#include <repdrift/modularity_kappa.h>
#include <repdrift/modularity_metrics.h>
#include <repdrift/modularity_optimize.h>

#endif /* REPDRIFT_MODULARITY_H */
