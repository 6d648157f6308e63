/* Convex hulls (2-D monotone chain, 3-D beneath-beyond) and the brute-force facet enumeration in
 * any dimension that the exact kappa methods build on. Contract: include/repdrift/modularity_hull.h. */
#include <math.h>
#include <stdlib.h>
#include <repdrift/modularity_hull.h>
#include <repdrift/dense.h>

/* Hull tolerances, relative to the largest coordinate magnitude `scale` of the points. */
#define RD_HULL2D_COLLINEAR_RTOL 1e-14 /* cross product <= this * scale^2 counts as collinear */
#define RD_HULL3D_VISIBLE_RTOL 1e-12   /* a face sees a point beyond its plane by more than this */
#define RD_HULL3D_FLAT_RTOL 1e-9       /* thinner than this: not full-dimensional */
#define RD_HULL3D_CHECK_RTOL 1e-9      /* final hull: no point outside by more than this */
#define RD_FACET_SIDE_RTOL 1e-9        /* brute force: a point this close to a plane is on it */
#define RD_FACET_DUPLICATE_TOL 1e-7    /* brute force: planes closer than this are the same facet */

static double MaxAbsCoordinate(PetscInt n, PetscInt d, const double *points)
{
  double scale = 0.0;
  for (size_t i = 0; i < (size_t)n * (size_t)d; i++) scale = fmax(scale, fabs(points[i]));
  return scale;
}

/* d = 2: monotone chain                                                                         */

typedef struct {
  double   x, y;
  PetscInt index;
} PlanePoint;

static int ComparePlanePoints(const void *pa, const void *pb)
{
  const PlanePoint *a = (const PlanePoint *)pa, *b = (const PlanePoint *)pb;
  if (a->x != b->x) return a->x < b->x ? -1 : 1;
  if (a->y != b->y) return a->y < b->y ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index); /* total order: deterministic output */
}

static double Cross(const PlanePoint *o, const PlanePoint *a, const PlanePoint *b)
{
  return (a->x - o->x) * (b->y - o->y) - (a->y - o->y) * (b->x - o->x);
}

PetscErrorCode RdConvexHull2D(PetscInt n, const double *points, PetscInt *n_hull, PetscInt *hull)
{
  PlanePoint *sorted;
  PetscInt   *chain, k = 0;

  PetscFunctionBegin;
  PetscCheck(points && n_hull && hull, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdConvexHull2D: points, n_hull and hull must not be NULL");
  PetscCheck(n >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdConvexHull2D: need at least one point, got %" PetscInt_FMT, n);
  PetscCall(PetscMalloc1(n, &sorted));
  PetscCall(PetscMalloc1(2 * n + 1, &chain));
  for (PetscInt i = 0; i < n; i++) sorted[i] = (PlanePoint){points[RD_IDX2(i, 0, 2)], points[RD_IDX2(i, 1, 2)], i};
  qsort(sorted, (size_t)n, sizeof(PlanePoint), ComparePlanePoints);
  if (sorted[0].x == sorted[n - 1].x && sorted[0].y == sorted[n - 1].y) { /* all points coincide */
    *n_hull = 1;
    hull[0] = sorted[0].index;
  } else {
    const double scale = MaxAbsCoordinate(n, 2, points), tol = RD_HULL2D_COLLINEAR_RTOL * scale * scale;
    /* Lower chain left to right, then upper chain right to left; a point that does not turn
     * strictly left is popped, so collinear and duplicate points never become vertices. */
    for (PetscInt i = 0; i < n; i++) {
      while (k >= 2 && Cross(&sorted[chain[k - 2]], &sorted[chain[k - 1]], &sorted[i]) <= tol) k--;
      chain[k++] = i;
    }
    for (PetscInt i = n - 2, lower_size = k + 1; i >= 0; i--) {
      while (k >= lower_size && Cross(&sorted[chain[k - 2]], &sorted[chain[k - 1]], &sorted[i]) <= tol) k--;
      chain[k++] = i;
    }
    *n_hull = k - 1; /* the last point repeats the first */
    for (PetscInt h = 0; h < k - 1; h++) hull[h] = sorted[chain[h]].index;
  }
  PetscCall(PetscFree(chain));
  PetscCall(PetscFree(sorted));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* d = 3: incremental hull                                                                       */

typedef struct {
  PetscInt  v[3], nb[3];
  double    normal[3], offset;
  PetscBool alive, visible;
} HullFace;

typedef struct {
  const double *points;
  HullFace     *faces;
  PetscInt      n_faces, capacity;
  double        interior[3]; /* centroid of the first tetrahedron: strictly inside forever */
} HullBuilder;

static void Cross3(const double *a, const double *b, double *out)
{
  out[0] = a[1] * b[2] - a[2] * b[1];
  out[1] = a[2] * b[0] - a[0] * b[2];
  out[2] = a[0] * b[1] - a[1] * b[0];
}

/* Appends triangle (a, b, c) with the normal of (b - a) x (c - a). *ok is false (face not added)
 * when the triangle is degenerate or its normal does not point away from the interior point. */
static PetscErrorCode HullAddFace(HullBuilder *builder, PetscInt a, PetscInt b, PetscInt c, PetscInt *index, PetscBool *ok)
{
  const double *pa = builder->points + RD_IDX2(a, 0, 3), *pb = builder->points + RD_IDX2(b, 0, 3), *pc = builder->points + RD_IDX2(c, 0, 3);
  double        ab[3], ac[3], normal[3], norm;
  HullFace     *face;

  PetscFunctionBegin;
  for (int k = 0; k < 3; k++) {
    ab[k] = pb[k] - pa[k];
    ac[k] = pc[k] - pa[k];
  }
  Cross3(ab, ac, normal);
  norm = sqrt(RdDotSequential(normal, normal, 3));
  *ok  = PETSC_FALSE;
  if (!(norm > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  for (int k = 0; k < 3; k++) normal[k] /= norm;
  const double offset = (RdDotSequential(normal, pa, 3) + RdDotSequential(normal, pb, 3) + RdDotSequential(normal, pc, 3)) / 3.0;
  if (!(RdDotSequential(normal, builder->interior, 3) < offset)) PetscFunctionReturn(PETSC_SUCCESS);
  if (builder->n_faces == builder->capacity) {
    HullFace *grown;
    builder->capacity = 2 * builder->capacity + 16;
    PetscCall(PetscMalloc1(builder->capacity, &grown));
    if (builder->n_faces) PetscCall(PetscArraycpy(grown, builder->faces, builder->n_faces));
    PetscCall(PetscFree(builder->faces));
    builder->faces = grown;
  }
  face = &builder->faces[builder->n_faces];
  *face = (HullFace){{a, b, c}, {-1, -1, -1}, {normal[0], normal[1], normal[2]}, offset, PETSC_TRUE, PETSC_FALSE};
  *index = builder->n_faces++;
  *ok    = PETSC_TRUE;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Index k of the edge (from -> to) in face f, or -1. */
static int FaceEdge(const HullFace *f, PetscInt from, PetscInt to)
{
  for (int k = 0; k < 3; k++)
    if (f->v[k] == from && f->v[(k + 1) % 3] == to) return k;
  return -1;
}

static double PointDistance3(const double *a, const double *b)
{
  double s = 0.0;
  for (int k = 0; k < 3; k++) s += (a[k] - b[k]) * (a[k] - b[k]);
  return sqrt(s);
}

typedef struct {
  double   key;
  PetscInt index;
} KeyedIndex;

/* Descending key, then ascending index: a deterministic insertion order. */
static int CompareKeyDescending(const void *pa, const void *pb)
{
  const KeyedIndex *a = (const KeyedIndex *)pa, *b = (const KeyedIndex *)pb;
  if (a->key != b->key) return a->key > b->key ? -1 : 1;
  return (a->index > b->index) - (a->index < b->index);
}

/* The construction proper; *ok false on (near-)coplanar input or a failed consistency check. */
static PetscErrorCode HullBuild(PetscInt n, const double *points, HullBuilder *builder, PetscBool *ok)
{
  const double scale = MaxAbsCoordinate(n, 3, points);
  const double eps_visible = RD_HULL3D_VISIBLE_RTOL * scale, eps_flat = RD_HULL3D_FLAT_RTOL * scale;
  PetscInt     seed[4] = {0, 0, 0, 0}, *start_face = NULL, *end_face = NULL, *visible = NULL, *alive = NULL, n_alive = 0;
  KeyedIndex  *order = NULL;
  double       best;
  PetscBool    added;

  PetscFunctionBegin;
  *ok = PETSC_FALSE;
  if (n < 4 || !(scale > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  /* First tetrahedron: an extreme point, the farthest from it, the farthest from their line, the
   * farthest from their plane; any of them too close means the data are (nearly) flat. */
  for (PetscInt i = 1; i < n; i++) {
    const double *p = points + RD_IDX2(i, 0, 3), *q = points + RD_IDX2(seed[0], 0, 3);
    if (p[0] < q[0] || (p[0] == q[0] && (p[1] < q[1] || (p[1] == q[1] && p[2] < q[2])))) seed[0] = i;
  }
  const double *p0 = points + RD_IDX2(seed[0], 0, 3);
  best             = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    const double dist = PointDistance3(points + RD_IDX2(i, 0, 3), p0);
    if (dist > best) {
      best    = dist;
      seed[1] = i;
    }
  }
  if (!(best > eps_flat)) PetscFunctionReturn(PETSC_SUCCESS);
  double axis[3], plane_normal[3];
  for (int k = 0; k < 3; k++) axis[k] = (points[RD_IDX2(seed[1], k, 3)] - p0[k]) / best;
  best = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    double rel[3], perp[3];
    for (int k = 0; k < 3; k++) rel[k] = points[RD_IDX2(i, k, 3)] - p0[k];
    Cross3(axis, rel, perp);
    const double dist = sqrt(RdDotSequential(perp, perp, 3));
    if (dist > best) {
      best    = dist;
      seed[2] = i;
    }
  }
  if (!(best > eps_flat)) PetscFunctionReturn(PETSC_SUCCESS);
  {
    double rel[3];
    for (int k = 0; k < 3; k++) rel[k] = points[RD_IDX2(seed[2], k, 3)] - p0[k];
    Cross3(axis, rel, plane_normal);
    const double norm = sqrt(RdDotSequential(plane_normal, plane_normal, 3));
    for (int k = 0; k < 3; k++) plane_normal[k] /= norm;
  }
  best = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    double rel[3];
    for (int k = 0; k < 3; k++) rel[k] = points[RD_IDX2(i, k, 3)] - p0[k];
    const double dist = fabs(RdDotSequential(plane_normal, rel, 3));
    if (dist > best) {
      best    = dist;
      seed[3] = i;
    }
  }
  if (!(best > eps_flat)) PetscFunctionReturn(PETSC_SUCCESS);
  for (int k = 0; k < 3; k++) builder->interior[k] = 0.25 * (points[RD_IDX2(seed[0], k, 3)] + points[RD_IDX2(seed[1], k, 3)] + points[RD_IDX2(seed[2], k, 3)] + points[RD_IDX2(seed[3], k, 3)]);
  /* The four faces, each oriented outward (vertex order swapped when needed), then linked by
   * matching every edge with its reverse. */
  {
    const int omit_order[4][3] = {{1, 2, 3}, {0, 2, 3}, {0, 1, 3}, {0, 1, 2}};
    for (int f = 0; f < 4; f++) {
      PetscInt index;
      PetscCall(HullAddFace(builder, seed[omit_order[f][0]], seed[omit_order[f][1]], seed[omit_order[f][2]], &index, &added));
      if (!added) PetscCall(HullAddFace(builder, seed[omit_order[f][0]], seed[omit_order[f][2]], seed[omit_order[f][1]], &index, &added));
      if (!added) PetscFunctionReturn(PETSC_SUCCESS);
    }
    for (int f = 0; f < 4; f++)
      for (int k = 0; k < 3; k++)
        for (int g = 0; g < 4; g++)
          if (g != f && FaceEdge(&builder->faces[g], builder->faces[f].v[(k + 1) % 3], builder->faces[f].v[k]) >= 0) builder->faces[f].nb[k] = g;
    for (int f = 0; f < 4; f++)
      for (int k = 0; k < 3; k++)
        if (builder->faces[f].nb[k] < 0) PetscFunctionReturn(PETSC_SUCCESS);
  }
  /* Farthest points first: the hull grows to nearly its final shape early, so most later points
   * are inside (one face scan each) and points on flat hull faces are never inserted. */
  PetscCall(PetscMalloc1(n, &order));
  for (PetscInt i = 0; i < n; i++) order[i] = (KeyedIndex){PointDistance3(points + RD_IDX2(i, 0, 3), builder->interior), i};
  qsort(order, (size_t)n, sizeof(KeyedIndex), CompareKeyDescending);
  PetscCall(PetscMalloc1(n, &start_face));
  PetscCall(PetscMalloc1(n, &end_face));
  for (PetscInt i = 0; i < n; i++) start_face[i] = end_face[i] = -1;
  PetscInt capacity_lists = 64;
  PetscCall(PetscMalloc1(capacity_lists, &visible));
  PetscCall(PetscMalloc1(capacity_lists, &alive));
  for (PetscInt f = 0; f < 4; f++) alive[n_alive++] = f;

  PetscBool failed = PETSC_FALSE;
  for (PetscInt o = 0; o < n && !failed; o++) {
    const PetscInt p = order[o].index;
    const double  *point = points + RD_IDX2(p, 0, 3);
    PetscInt       n_visible = 0, first_new = builder->n_faces;
    if (p == seed[0] || p == seed[1] || p == seed[2] || p == seed[3]) continue;
    for (PetscInt a = 0; a < n_alive; a++) {
      HullFace *f = &builder->faces[alive[a]];
      if (RdDotSequential(f->normal, point, 3) - f->offset > eps_visible) {
        f->visible           = PETSC_TRUE;
        visible[n_visible++] = alive[a];
      }
    }
    if (!n_visible) continue;
    /* Horizon: edges of visible faces whose neighbour is not visible. The new face over horizon
     * edge (u -> w) is (u, w, p); it keeps the orientation of the visible face it replaces. */
    for (PetscInt a = 0; a < n_visible && !failed; a++)
      for (int k = 0; k < 3 && !failed; k++) {
        const PetscInt f = visible[a], h = builder->faces[f].nb[k];
        const PetscInt u = builder->faces[f].v[k], w = builder->faces[f].v[(k + 1) % 3];
        PetscInt       index;
        if (builder->faces[h].visible) continue;
        if (start_face[u] >= 0 || end_face[w] >= 0) { failed = PETSC_TRUE; break; } /* horizon is not a simple cycle */
        PetscCall(HullAddFace(builder, u, w, p, &index, &added));
        if (!added) { failed = PETSC_TRUE; break; }
        builder->faces[index].nb[0] = h;
        const int back              = FaceEdge(&builder->faces[h], w, u);
        if (back < 0) { failed = PETSC_TRUE; break; }
        builder->faces[h].nb[back] = index;
        start_face[u]              = index;
        end_face[w]                = index;
      }
    for (PetscInt f = first_new; f < builder->n_faces && !failed; f++) {
      HullFace *face = &builder->faces[f];
      face->nb[1]    = start_face[face->v[1]]; /* across (w -> p): the new face starting at w */
      face->nb[2]    = end_face[face->v[0]];   /* across (p -> u): the new face ending at u */
      if (face->nb[1] < 0 || face->nb[2] < 0) failed = PETSC_TRUE;
    }
    for (PetscInt f = first_new; f < builder->n_faces; f++) start_face[builder->faces[f].v[0]] = end_face[builder->faces[f].v[1]] = -1;
    for (PetscInt a = 0; a < n_visible; a++) {
      builder->faces[visible[a]].alive   = PETSC_FALSE;
      builder->faces[visible[a]].visible = PETSC_FALSE;
    }
    if (builder->n_faces > capacity_lists) { /* alive and visible lists hold at most n_faces */
      capacity_lists = builder->capacity;
      PetscCall(PetscFree(visible));
      PetscCall(PetscFree(alive));
      PetscCall(PetscMalloc1(capacity_lists, &visible));
      PetscCall(PetscMalloc1(capacity_lists, &alive));
    }
    n_alive = 0;
    for (PetscInt f = 0; f < builder->n_faces; f++)
      if (builder->faces[f].alive) alive[n_alive++] = f;
  }
  /* Consistency of the result: neighbours mutual, every point inside every face's plane. */
  for (PetscInt a = 0; a < n_alive && !failed; a++) {
    const HullFace *f = &builder->faces[alive[a]];
    for (int k = 0; k < 3 && !failed; k++) {
      const HullFace *h = &builder->faces[f->nb[k]];
      if (!h->alive || FaceEdge(h, f->v[(k + 1) % 3], f->v[k]) < 0 || h->nb[FaceEdge(h, f->v[(k + 1) % 3], f->v[k])] != alive[a]) failed = PETSC_TRUE;
    }
    for (PetscInt i = 0; i < n && !failed; i++)
      if (RdDotSequential(f->normal, points + RD_IDX2(i, 0, 3), 3) - f->offset > RD_HULL3D_CHECK_RTOL * scale) failed = PETSC_TRUE;
  }
  *ok = failed ? PETSC_FALSE : PETSC_TRUE;
  PetscCall(PetscFree(visible));
  PetscCall(PetscFree(alive));
  PetscCall(PetscFree(start_face));
  PetscCall(PetscFree(end_face));
  PetscCall(PetscFree(order));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdHull3DCompute(PetscInt n_points, const double *points, RdHull3D *hull)
{
  HullBuilder builder = {points, NULL, 0, 0, {0, 0, 0}};
  PetscBool   ok;
  PetscInt   *renumber = NULL;
  PetscBool  *is_vertex = NULL;

  PetscFunctionBegin;
  PetscCheck(hull, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdHull3DCompute: hull must not be NULL");
  PetscCall(PetscMemzero(hull, sizeof(*hull)));
  PetscCheck(n_points >= 0 && (points || n_points == 0), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdHull3DCompute: need n_points >= 0 and points, got %" PetscInt_FMT, n_points);
  PetscCall(HullBuild(n_points, points, &builder, &ok));
  if (ok) {
    PetscInt n_faces = 0, n_vertices = 0;
    PetscCall(PetscMalloc1(builder.n_faces, &renumber));
    for (PetscInt f = 0; f < builder.n_faces; f++) renumber[f] = builder.faces[f].alive ? n_faces++ : -1;
    hull->n_faces = n_faces;
    PetscCall(PetscMalloc4(3 * n_faces, &hull->faces, 3 * n_faces, &hull->neighbours, 3 * n_faces, &hull->normals, n_faces, &hull->offsets));
    PetscCall(PetscCalloc1(n_points, &is_vertex));
    for (PetscInt f = 0; f < builder.n_faces; f++) {
      const HullFace *face = &builder.faces[f];
      const PetscInt  g    = renumber[f];
      if (g < 0) continue;
      for (int k = 0; k < 3; k++) {
        hull->faces[3 * g + k]      = face->v[k];
        hull->neighbours[3 * g + k] = renumber[face->nb[k]];
        hull->normals[3 * g + k]    = face->normal[k];
        is_vertex[face->v[k]]       = PETSC_TRUE;
      }
      hull->offsets[g] = face->offset;
    }
    for (PetscInt i = 0; i < n_points; i++) n_vertices += is_vertex[i] ? 1 : 0;
    hull->n_vertices = n_vertices;
    PetscCall(PetscMalloc1(n_vertices, &hull->vertices));
    n_vertices = 0;
    for (PetscInt i = 0; i < n_points; i++)
      if (is_vertex[i]) hull->vertices[n_vertices++] = i;
    hull->full_dimensional = PETSC_TRUE;
  }
  PetscCall(PetscFree(is_vertex));
  PetscCall(PetscFree(renumber));
  PetscCall(PetscFree(builder.faces));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdHull3DDestroy(RdHull3D *hull)
{
  PetscFunctionBegin;
  if (!hull) PetscFunctionReturn(PETSC_SUCCESS);
  if (hull->full_dimensional) PetscCall(PetscFree4(hull->faces, hull->neighbours, hull->normals, hull->offsets));
  PetscCall(PetscFree(hull->vertices));
  PetscCall(PetscMemzero(hull, sizeof(*hull)));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Facets in any dimension (brute force)                                                         */

/* Unit normal of the hyperplane through the d points idx[0..d): modified Gram-Schmidt (twice) of
 * the edge vectors p_k - p_0, then the coordinate axis least represented in their span,
 * orthogonalised against them (its residual norm is >= 1/sqrt(d)). False if the points are
 * affinely dependent (an edge keeps < 1e-9 of its length after orthogonalisation). */
static PetscBool HyperplaneNormal(PetscInt d, const double *points, const PetscInt *idx, double *normal)
{
  double basis[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
  for (PetscInt k = 1; k < d; k++) {
    double *q = basis + RD_IDX2(k - 1, 0, d);
    for (PetscInt j = 0; j < d; j++) q[j] = points[RD_IDX2(idx[k], j, d)] - points[RD_IDX2(idx[0], j, d)];
    const double length = sqrt(RdDotSequential(q, q, d));
    if (!(length > 0)) return PETSC_FALSE;
    for (int pass = 0; pass < 2; pass++)
      for (PetscInt r = 0; r < k - 1; r++) {
        const double *b = basis + RD_IDX2(r, 0, d), c = RdDotSequential(b, q, d);
        for (PetscInt j = 0; j < d; j++) q[j] -= c * b[j];
      }
    const double residual = sqrt(RdDotSequential(q, q, d));
    if (!(residual > 1e-9 * length)) return PETSC_FALSE;
    for (PetscInt j = 0; j < d; j++) q[j] /= residual;
  }
  PetscInt axis = 0;
  double   least = PETSC_INFINITY;
  for (PetscInt j = 0; j < d; j++) {
    double weight = 0.0;
    for (PetscInt r = 0; r < d - 1; r++) weight += basis[RD_IDX2(r, j, d)] * basis[RD_IDX2(r, j, d)];
    if (weight < least) {
      least = weight;
      axis  = j;
    }
  }
  for (PetscInt j = 0; j < d; j++) normal[j] = j == axis ? 1.0 : 0.0;
  for (int pass = 0; pass < 2; pass++)
    for (PetscInt r = 0; r < d - 1; r++) {
      const double *b = basis + RD_IDX2(r, 0, d), c = RdDotSequential(b, normal, d);
      for (PetscInt j = 0; j < d; j++) normal[j] -= c * b[j];
    }
  const double norm = sqrt(RdDotSequential(normal, normal, d));
  for (PetscInt j = 0; j < d; j++) normal[j] /= norm;
  return PETSC_TRUE;
}

PetscErrorCode RdFacetsBruteForce(PetscInt n_points, PetscInt n_sources, const double *points, PetscInt *n_facets, double **normals, double **offsets)
{
  const PetscInt d = n_sources;
  PetscInt       idx[RD_MODULARITY_MAX_SOURCES], count = 0, capacity = 16;
  double        *found_normals, *found_offsets;

  PetscFunctionBegin;
  PetscCheck(points && n_facets && normals && offsets, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdFacetsBruteForce: points, n_facets, normals and offsets must not be NULL");
  PetscCheck(d >= 2 && d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdFacetsBruteForce: dimension must be in [2, %d], got %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, d);
  PetscCheck(n_points >= d, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdFacetsBruteForce: need at least d = %" PetscInt_FMT " points, got %" PetscInt_FMT, d, n_points);
  const double scale = MaxAbsCoordinate(n_points, d, points), side_tol = RD_FACET_SIDE_RTOL * scale;
  PetscCall(PetscMalloc1(capacity * d, &found_normals));
  PetscCall(PetscMalloc1(capacity, &found_offsets));
  for (PetscInt k = 0; k < d; k++) idx[k] = k;
  for (;;) {
    double normal[RD_MODULARITY_MAX_SOURCES];
    if (HyperplaneNormal(d, points, idx, normal)) {
      double offset = RdDotSequential(normal, points + RD_IDX2(idx[0], 0, d), d), above = -PETSC_INFINITY, below = PETSC_INFINITY;
      for (PetscInt i = 0; i < n_points; i++) {
        const double side = RdDotSequential(normal, points + RD_IDX2(i, 0, d), d) - offset;
        above             = fmax(above, side);
        below             = fmin(below, side);
      }
      PetscBool supporting = PETSC_TRUE;
      if (above <= side_tol) {
      } else if (below >= -side_tol) { /* all points on the other side: flip to the outward normal */
        for (PetscInt j = 0; j < d; j++) normal[j] = -normal[j];
        offset = -offset;
      } else supporting = PETSC_FALSE;
      if (supporting) {
        PetscBool duplicate = PETSC_FALSE;
        for (PetscInt f = 0; f < count && !duplicate; f++) {
          double diff = fabs(found_offsets[f] - offset) / fmax(scale, 1e-300);
          for (PetscInt j = 0; j < d; j++) diff = fmax(diff, fabs(found_normals[RD_IDX2(f, j, d)] - normal[j]));
          duplicate = diff < RD_FACET_DUPLICATE_TOL;
        }
        if (!duplicate) {
          if (count == capacity) {
            double *grown_normals, *grown_offsets;
            capacity *= 2;
            PetscCall(PetscMalloc1(capacity * d, &grown_normals));
            PetscCall(PetscMalloc1(capacity, &grown_offsets));
            PetscCall(PetscArraycpy(grown_normals, found_normals, count * d));
            PetscCall(PetscArraycpy(grown_offsets, found_offsets, count));
            PetscCall(PetscFree(found_normals));
            PetscCall(PetscFree(found_offsets));
            found_normals = grown_normals;
            found_offsets = grown_offsets;
          }
          PetscCall(PetscArraycpy(found_normals + RD_IDX2(count, 0, d), normal, d));
          found_offsets[count++] = offset;
        }
      }
    }
    /* next d-combination of {0..n-1} in lexicographic order */
    PetscInt k = d - 1;
    while (k >= 0 && idx[k] == n_points - d + k) k--;
    if (k < 0) break;
    idx[k]++;
    for (PetscInt r = k + 1; r < d; r++) idx[r] = idx[r - 1] + 1;
  }
  *n_facets = count;
  *normals  = found_normals;
  *offsets  = found_offsets;
  PetscFunctionReturn(PETSC_SUCCESS);
}
