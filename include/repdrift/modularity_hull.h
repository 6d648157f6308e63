/* Convex hulls and facets of point sets: the computational geometry under the exact kappa
 * methods (modularity_kappa.h). By Theorem 2.2 of Dorrell et al. 2025 the modularity condition is
 * a statement about the convex hull of the demeaned samples (it must enclose an ellipse), so the
 * hull's vertices and facets are where every kappa candidate lives.
 *
 * Points are row-major [n][d]. Tolerances are relative to the largest coordinate magnitude
 * ("scale") of the points. No I/O, no MPI, deterministic. */
#ifndef REPDRIFT_MODULARITY_HULL_H
#define REPDRIFT_MODULARITY_HULL_H

#include <repdrift/modularity_sources.h>

/* Convex hull of n points in the plane (Andrew's monotone chain, O(n log n)): indices of the strict
 * vertices, counter-clockwise, starting at the lexicographically smallest point. hull must hold n
 * entries. Collinear points (cross product <= 1e-14 scale^2) are dropped; n_hull is 1 when all
 * points coincide and 2 when they are collinear. */
PetscErrorCode RdConvexHull2D(PetscInt n, const double *points, PetscInt *n_hull, PetscInt *hull);

/* Convex hull in 3-D: incremental beneath-beyond insertion, each point tested against every current
 * face (points taken in order of decreasing distance from the first tetrahedron's centroid, so most
 * fall inside an already nearly complete hull). O(N F) time (F = hull faces; 1e5 points in a box
 * ~0.1 s, 1e4 points all on a sphere ~1 s), O(N + F) memory. Faces are triangles (coplanar hull
 * facets come out triangulated); a point within 1e-12 scale of the current hull is not inserted.
 * When the points are (nearly) coplanar, or the construction fails its own consistency checks
 * (horizon not a simple cycle, a point left outside the final hull by more than 1e-9 scale),
 * full_dimensional is PETSC_FALSE and nothing else is set. */
typedef struct {
  PetscBool full_dimensional;
  PetscInt  n_faces;
  PetscInt *faces;      /* [n_faces][3] point indices, counter-clockwise seen from outside */
  PetscInt *neighbours; /* [n_faces][3] face across edge (faces[f][k], faces[f][(k+1) % 3]) */
  double   *normals;    /* [n_faces][3] unit outward normals */
  double   *offsets;    /* [n_faces] normal . x <= offset for every point */
  PetscInt  n_vertices;
  PetscInt *vertices; /* [n_vertices] point indices of the hull vertices, ascending */
} RdHull3D;

PetscErrorCode RdHull3DCompute(PetscInt n_points, const double *points, RdHull3D *hull);
PetscErrorCode RdHull3DDestroy(RdHull3D *hull);

/* Reference facet enumeration in any dimension d >= 2: every d-subset of affinely independent
 * points spans a hyperplane; those with all points on one side (within 1e-9 scale) are supporting
 * hyperplanes; duplicates are merged. O(C(N, d) (N d + d^3) + F^2). Allocates normals [F][d] and
 * offsets [F] (PetscFree them). For full-dimensional data these are exactly the hull's facets. */
PetscErrorCode RdFacetsBruteForce(PetscInt n_points, PetscInt n_sources, const double *points, PetscInt *n_facets, double **normals, double **offsets);

#endif /* REPDRIFT_MODULARITY_HULL_H */
