/* kappa, the modularity condition of Dorrell et al. 2025 (Sec. 2, Theorems 2.1 and 2.2): the mixing
 * gain g(w), the exact methods (d = 2 hull arcs, d = 3 hull cells, the facet test), their slow
 * references (angle scan, random search) and the choice of method for a sample. Contract and
 * definitions: include/repdrift/modularity_kappa.h. */
#include <math.h>
#include <repdrift/modularity_kappa.h>
#include <repdrift/dense.h>
#include <repdrift/eigen.h>
#include <repdrift/splitmix.h>

/* Lower-bound search: how many of the best random directions are refined, and for how long. */
#define RD_ASCENT_STARTS 16
#define RD_ASCENT_STEPS 800
#define RD_ASCENT_FIRST_STEP 0.1 /* radians */
#define RD_ASCENT_DECAY 0.98     /* geometric: total travel 5 rad, last step ~1e-8 rad */
/* d >= 4 facet test only while C(N, d) N stays below this (brute-force enumeration). */
#define RD_FACET_ENUMERATION_BUDGET 2e7

/* min_i w . points_i and the first index attaining it. */
static double MinProjection(PetscInt n, PetscInt d, const double *points, const double *w, PetscInt *argmin)
{
  double   best  = PETSC_INFINITY;
  PetscInt where = 0;
  for (PetscInt i = 0; i < n; i++) {
    const double p = RdDotSequential(points + RD_IDX2(i, 0, d), w, d);
    if (p < best) {
      best  = p;
      where = i;
    }
  }
  if (argmin) *argmin = where;
  return best;
}

/* Maps an angle to [0, 2 pi). */
static double PositiveAngle(double angle)
{
  double a = fmod(angle, 2 * PETSC_PI);
  if (a < 0) a += 2 * PETSC_PI;
  return a;
}

/* Keeps the larger value and its direction w (length d). */
static void KeepBestDirection(double value, const double *w, PetscInt d, double *best, double *best_w)
{
  if (value > *best) {
    *best = value;
    for (PetscInt j = 0; j < d; j++) best_w[j] = w[j];
  }
}

double RdMixingGain(PetscInt n_samples, PetscInt n_sources, const double *centered, const double *gain_matrix, const double *w)
{
  const double m = MinProjection(n_samples, n_sources, centered, w, NULL);
  return RdQuadraticForm(gain_matrix, w, n_sources) - m * m;
}

/* d = 2: exact kappa on the hull arcs                                                           */

/* Quadratic form (A11, A12, A22) at angle theta. */
static double PlaneForm(const double A[3], double theta)
{
  const double c = cos(theta), s = sin(theta);
  return A[0] * c * c + 2.0 * A[1] * c * s + A[2] * s * s;
}

static void KeepBestAngle(double value, double theta, double *best, double *best_w)
{
  const double w[2] = {cos(theta), sin(theta)};
  KeepBestDirection(value, w, 2, best, best_w);
}

/* Candidates of the max of (cos t, sin t) A (cos t, sin t)^T on the arc [start, start + length]:
 * its start (the end is the next arc's start) and the eigen-directions of A inside it. */
static void ArcCandidates(const double A[3], double start, double length, double *best, double *best_w)
{
  const double phi = 0.5 * atan2(2.0 * A[1], A[0] - A[2]);
  KeepBestAngle(PlaneForm(A, start), start, best, best_w);
  for (int m = 0; m < 4; m++) {
    const double theta = phi + m * 0.5 * PETSC_PI;
    if (PositiveAngle(theta - start) <= length) KeepBestAngle(PlaneForm(A, theta), theta, best, best_w);
  }
}

PetscErrorCode RdKappa2DExact(PetscInt n_samples, const double *centered, const double *gain_matrix, double *kappa, double direction[2])
{
  PetscInt *hull, n_hull;
  double    best = -PETSC_INFINITY, best_w[2] = {1.0, 0.0};

  PetscFunctionBegin;
  PetscCheck(centered && gain_matrix && kappa && direction, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappa2DExact: centered, gain_matrix, kappa and direction must not be NULL");
  PetscCheck(n_samples >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappa2DExact: need at least one sample, got %" PetscInt_FMT, n_samples);
  PetscCall(PetscMalloc1(n_samples, &hull));
  PetscCall(RdConvexHull2D(n_samples, centered, &n_hull, hull));
  for (PetscInt k = 0; k < n_hull; k++) {
    const double *v = centered + RD_IDX2(hull[k], 0, 2);
    const double  A[3] = {gain_matrix[0] - v[0] * v[0], gain_matrix[1] - v[0] * v[1], gain_matrix[3] - v[1] * v[1]};
    double        start = 0.0, length = 2 * PETSC_PI; /* one vertex: it minimises in every direction */
    if (n_hull > 1) {
      /* Vertex k minimises w . c exactly for w between minus the outward normals of its two edges
       * (counter-clockwise hull: the outward normal of p -> q is (q_y - p_y, p_x - q_x)). */
      const double *prev = centered + RD_IDX2(hull[(k + n_hull - 1) % n_hull], 0, 2), *next = centered + RD_IDX2(hull[(k + 1) % n_hull], 0, 2);
      const double  normal_in[2]  = {v[1] - prev[1], prev[0] - v[0]};
      const double  normal_out[2] = {next[1] - v[1], v[0] - next[0]};
      start  = atan2(-normal_in[1], -normal_in[0]);
      length = PositiveAngle(atan2(-normal_out[1], -normal_out[0]) - start);
    }
    ArcCandidates(A, start, length, &best, best_w);
  }
  /* The axis directions, where g = 0 exactly on the cheap side of each range: kappa >= 0 holds
   * exactly in floating point, not only up to rounding. */
  for (int axis = 0; axis < 4; axis++) {
    double w[2] = {0.0, 0.0}, m = PETSC_INFINITY;
    w[axis / 2] = axis % 2 ? -1.0 : 1.0;
    for (PetscInt k = 0; k < n_hull; k++) m = fmin(m, RdDotSequential(centered + RD_IDX2(hull[k], 0, 2), w, 2));
    KeepBestDirection(RdQuadraticForm(gain_matrix, w, 2) - m * m, w, 2, &best, best_w);
  }
  *kappa       = best;
  direction[0] = best_w[0];
  direction[1] = best_w[1];
  PetscCall(PetscFree(hull));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdKappa2DScan(PetscInt n_samples, const double *centered, const double *gain_matrix, PetscInt n_angles, double *kappa, double direction[2])
{
  double best = -PETSC_INFINITY, best_w[2] = {1.0, 0.0};

  PetscFunctionBegin;
  PetscCheck(centered && gain_matrix && kappa && direction, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappa2DScan: centered, gain_matrix, kappa and direction must not be NULL");
  PetscCheck(n_samples >= 1 && n_angles >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappa2DScan: need n_samples >= 1 and n_angles >= 1, got %" PetscInt_FMT " and %" PetscInt_FMT, n_samples, n_angles);
  for (PetscInt a = 0; a < n_angles; a++) {
    const double theta = 2 * PETSC_PI * (double)a / (double)n_angles, w[2] = {cos(theta), sin(theta)};
    KeepBestDirection(RdMixingGain(n_samples, 2, centered, gain_matrix, w), w, 2, &best, best_w);
  }
  *kappa       = best;
  direction[0] = best_w[0];
  direction[1] = best_w[1];
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The facet test (Theorem 2.2)                                                                  */

PetscErrorCode RdFacetGainMax(PetscInt n_facets, PetscInt n_sources, const double *normals, const double *offsets, const double *gain_matrix, double *max_gain, double *direction)
{
  const PetscInt d    = n_sources;
  double         best = -PETSC_INFINITY;

  PetscFunctionBegin;
  PetscCheck(max_gain && direction && gain_matrix && (n_facets == 0 || (normals && offsets)), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdFacetGainMax: missing argument");
  PetscCheck(d >= 1 && d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdFacetGainMax: dimension must be in [1, %d], got %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, d);
  for (PetscInt j = 0; j < d; j++) direction[j] = RD_NAN;
  for (PetscInt f = 0; f < n_facets; f++) {
    const double *normal = normals + RD_IDX2(f, 0, d);
    /* w = -n_f: w^T S w = n^T S n, and min_i w . c_i = -max_i n . c_i = -c_f. */
    const double value = RdQuadraticForm(gain_matrix, normal, d) - offsets[f] * offsets[f];
    if (value > best) {
      best = value;
      for (PetscInt j = 0; j < d; j++) direction[j] = -normal[j];
    }
  }
  *max_gain = best;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* d = 3: exact kappa on the hull cells                                                          */

/* g(w) with the min over the hull vertices only (same value as over all points), O(V). */
static double HullGain(const RdHull3D *hull, const double *centered, const double *gain_matrix, const double *w)
{
  double m = PETSC_INFINITY;
  for (PetscInt v = 0; v < hull->n_vertices; v++) m = fmin(m, RdDotSequential(centered + RD_IDX2(hull->vertices[v], 0, 3), w, 3));
  return RdQuadraticForm(gain_matrix, w, 3) - m * m;
}

PetscErrorCode RdKappa3DExact(PetscInt n_samples, const double *centered, const double *gain_matrix, double *kappa, double direction[3], PetscBool *full_dimensional)
{
  RdHull3D hull;
  double   best = -PETSC_INFINITY, best_w[3] = {1, 0, 0};

  PetscFunctionBegin;
  PetscCheck(centered && gain_matrix && kappa && direction && full_dimensional, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappa3DExact: missing argument");
  PetscCall(RdHull3DCompute(n_samples, centered, &hull));
  *full_dimensional = hull.full_dimensional;
  if (!hull.full_dimensional) {
    PetscCall(RdHull3DDestroy(&hull));
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  /* Cell corners: the facet directions -n_f, where the face's vertices minimise w . c. */
  for (PetscInt f = 0; f < hull.n_faces; f++) {
    const double  w[3] = {-hull.normals[3 * f], -hull.normals[3 * f + 1], -hull.normals[3 * f + 2]};
    const double  m    = RdDotSequential(w, centered + RD_IDX2(hull.faces[3 * f], 0, 3), 3);
    KeepBestDirection(RdQuadraticForm(gain_matrix, w, 3) - m * m, w, 3, &best, best_w);
  }
  /* Cell edges: the great-circle arc from -n_f to -n_h across hull edge (u, w), where u (and w)
   * minimise w . c; eigen-directions of (S - u u^T) restricted to the arc's plane. */
  for (PetscInt f = 0; f < hull.n_faces; f++)
    for (int k = 0; k < 3; k++) {
      const PetscInt h = hull.neighbours[3 * f + k];
      if (h < f) continue; /* each edge once */
      const double *nf = hull.normals + 3 * f, *nh = hull.normals + 3 * h, *u = centered + RD_IDX2(hull.faces[3 * f + k], 0, 3);
      double        e1[3] = {-nf[0], -nf[1], -nf[2]}, e2[3], end[3] = {-nh[0], -nh[1], -nh[2]};
      const double  along = RdDotSequential(end, e1, 3);
      for (int j = 0; j < 3; j++) e2[j] = end[j] - along * e1[j];
      const double norm = sqrt(RdDotSequential(e2, e2, 3));
      if (!(norm > 1e-12)) continue; /* coplanar triangles: the arc is a point, already a corner */
      for (int j = 0; j < 3; j++) e2[j] /= norm;
      const double arc_end = atan2(RdDotSequential(end, e2, 3), along);
      double       A[9], Ae1[3], Ae2[3];
      for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) A[3 * r + c] = gain_matrix[3 * r + c] - u[r] * u[c];
      for (int r = 0; r < 3; r++) {
        Ae1[r] = RdDotSequential(A + 3 * r, e1, 3);
        Ae2[r] = RdDotSequential(A + 3 * r, e2, 3);
      }
      const double B[3] = {RdDotSequential(e1, Ae1, 3), RdDotSequential(e1, Ae2, 3), RdDotSequential(e2, Ae2, 3)};
      const double phi  = 0.5 * atan2(2.0 * B[1], B[0] - B[2]);
      for (int m = 0; m < 4; m++) {
        const double theta = PositiveAngle(phi + m * 0.5 * PETSC_PI);
        if (theta > arc_end) continue;
        const double w[3] = {cos(theta) * e1[0] + sin(theta) * e2[0], cos(theta) * e1[1] + sin(theta) * e2[1], cos(theta) * e1[2] + sin(theta) * e2[2]};
        KeepBestDirection(PlaneForm(B, theta), w, 3, &best, best_w);
      }
    }
  /* Cell interiors: eigenvectors of S - v v^T that lie in v's cell, i.e. w . v <= w . u for every
   * hull neighbour u (for a linear function a vertex no worse than its neighbours is the minimum
   * over the polytope). Eigenvectors on a cell boundary are also critical points of the arc there,
   * so the strict test loses nothing. Neighbours in CSR form from the directed face edges (each
   * undirected edge appears once from each end). */
  {
    PetscInt *first, *neighbour, *fill;
    PetscCall(PetscCalloc1(n_samples + 1, &first));
    PetscCall(PetscMalloc1(3 * hull.n_faces, &neighbour));
    PetscCall(PetscMalloc1(n_samples, &fill));
    for (PetscInt f = 0; f < 3 * hull.n_faces; f++) first[hull.faces[f] + 1]++;
    for (PetscInt i = 0; i < n_samples; i++) {
      first[i + 1] += first[i];
      fill[i] = first[i];
    }
    for (PetscInt f = 0; f < hull.n_faces; f++)
      for (int k = 0; k < 3; k++) neighbour[fill[hull.faces[3 * f + k]]++] = hull.faces[3 * f + (k + 1) % 3];
    for (PetscInt i = 0; i < hull.n_vertices; i++) {
      const PetscInt p = hull.vertices[i];
      const double  *v = centered + RD_IDX2(p, 0, 3);
      double         A[9], eigenvalues[3], vectors[9];
      for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) A[3 * r + c] = gain_matrix[3 * r + c] - v[r] * v[c];
      PetscCall(PetscArraycpy(vectors, A, 9));
      PetscCall(RdSymmetricEigenLAPACK(vectors, 3, PETSC_TRUE, eigenvalues)); /* row m = eigenvector m */
      for (int m = 0; m < 3; m++)
        for (int sign = -1; sign <= 1; sign += 2) {
          const double w[3] = {sign * vectors[3 * m], sign * vectors[3 * m + 1], sign * vectors[3 * m + 2]};
          const double at_v = RdDotSequential(w, v, 3);
          PetscBool    inside = PETSC_TRUE;
          for (PetscInt e = first[p]; e < first[p + 1] && inside; e++) inside = at_v <= RdDotSequential(w, centered + RD_IDX2(neighbour[e], 0, 3), 3) ? PETSC_TRUE : PETSC_FALSE;
          if (inside) KeepBestDirection(RdQuadraticForm(A, w, 3), w, 3, &best, best_w);
        }
    }
    PetscCall(PetscFree(fill));
    PetscCall(PetscFree(neighbour));
    PetscCall(PetscFree(first));
  }
  for (int j = 0; j < 6; j++) { /* axes: g = 0 exactly there, so kappa >= 0 exactly */
    double w[3] = {0, 0, 0};
    w[j / 2]    = j % 2 ? -1.0 : 1.0;
    KeepBestDirection(HullGain(&hull, centered, gain_matrix, w), w, 3, &best, best_w);
  }
  *kappa = best;
  for (int j = 0; j < 3; j++) direction[j] = best_w[j];
  PetscCall(RdHull3DDestroy(&hull));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Any d: certified lower bound                                                                  */

PetscErrorCode RdKappaLowerBound(PetscInt n_samples, PetscInt n_sources, const double *centered, const double *gain_matrix, PetscInt n_directions, uint64_t seed, double *kappa, double *direction)
{
  const PetscInt d           = n_sources;
  const PetscInt n_random    = PetscMax(n_directions, RD_KAPPA_MIN_DIRECTIONS);
  double         top_value[RD_ASCENT_STARTS], top_w[RD_ASCENT_STARTS * RD_MODULARITY_MAX_SOURCES];
  double         best = -PETSC_INFINITY, best_w[RD_MODULARITY_MAX_SOURCES];
  PetscInt       n_top = 0;
  uint64_t       state = seed;

  PetscFunctionBegin;
  PetscCheck(centered && gain_matrix && kappa && direction, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappaLowerBound: missing argument");
  PetscCheck(n_samples >= 1 && d >= 1 && d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappaLowerBound: need n_samples >= 1 and d in [1, %d], got %" PetscInt_FMT " and %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, n_samples, d);
  /* Axes first (g = 0 on the cheap side), then random directions; keep the RD_ASCENT_STARTS best
   * in descending order (insertion into a short sorted list). */
  for (PetscInt c = 0; c < 2 * d + n_random; c++) {
    double w[RD_MODULARITY_MAX_SOURCES];
    if (c < 2 * d) {
      for (PetscInt j = 0; j < d; j++) w[j] = 0.0;
      w[c / 2] = c % 2 ? -1.0 : 1.0;
    } else {
      double norm = 0.0;
      while (!(norm > 1e-12)) {
        for (PetscInt j = 0; j < d; j++) w[j] = RdSplitMixNormal(&state);
        norm = sqrt(RdDotSequential(w, w, d));
      }
      for (PetscInt j = 0; j < d; j++) w[j] /= norm;
    }
    const double value = RdMixingGain(n_samples, d, centered, gain_matrix, w);
    KeepBestDirection(value, w, d, &best, best_w);
    PetscInt slot = n_top < RD_ASCENT_STARTS ? n_top++ : RD_ASCENT_STARTS;
    if (slot == RD_ASCENT_STARTS && !(value > top_value[RD_ASCENT_STARTS - 1])) continue;
    if (slot == RD_ASCENT_STARTS) slot = RD_ASCENT_STARTS - 1;
    while (slot > 0 && top_value[slot - 1] < value) {
      top_value[slot] = top_value[slot - 1];
      PetscCall(PetscArraycpy(top_w + RD_IDX2(slot, 0, d), top_w + RD_IDX2(slot - 1, 0, d), d));
      slot--;
    }
    top_value[slot] = value;
    PetscCall(PetscArraycpy(top_w + RD_IDX2(slot, 0, d), w, d));
  }
  /* Projected sub-gradient ascent on the sphere with normalised, geometrically shrinking steps (g is
   * non-smooth where the minimiser changes, and its maximum often sits on such a kink: shrinking
   * steps settle there to within the last step). g at every iterate is evaluated exactly, so the
   * best one is a certified lower bound. */
  for (PetscInt t = 0; t < n_top; t++) {
    double w[RD_MODULARITY_MAX_SOURCES], grad[RD_MODULARITY_MAX_SOURCES];
    PetscCall(PetscArraycpy(w, top_w + RD_IDX2(t, 0, d), d));
    double length = RD_ASCENT_FIRST_STEP;
    for (PetscInt step = 0; step < RD_ASCENT_STEPS; step++, length *= RD_ASCENT_DECAY) {
      PetscInt     argmin;
      const double m = MinProjection(n_samples, d, centered, w, &argmin);
      for (PetscInt j = 0; j < d; j++) grad[j] = 2.0 * RdDotSequential(gain_matrix + RD_IDX2(j, 0, d), w, d) - 2.0 * m * centered[RD_IDX2(argmin, j, d)];
      const double radial = RdDotSequential(grad, w, d);
      for (PetscInt j = 0; j < d; j++) grad[j] -= radial * w[j];
      const double norm = sqrt(RdDotSequential(grad, grad, d));
      if (!(norm > 1e-14)) break;
      for (PetscInt j = 0; j < d; j++) w[j] += length * grad[j] / norm;
      const double wnorm = sqrt(RdDotSequential(w, w, d));
      for (PetscInt j = 0; j < d; j++) w[j] /= wnorm;
      KeepBestDirection(RdMixingGain(n_samples, d, centered, gain_matrix, w), w, d, &best, best_w);
    }
  }
  *kappa = best;
  PetscCall(PetscArraycpy(direction, best_w, d));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* kappa of a sample                                                                             */

const char *RdKappaMethodName(RdKappaMethod method)
{
  switch (method) {
  case RD_KAPPA_METHOD_ONE_SOURCE:
    return "one-source";
  case RD_KAPPA_METHOD_EXACT_2D:
    return "exact-2d";
  case RD_KAPPA_METHOD_EXACT_3D:
    return "exact-3d";
  case RD_KAPPA_METHOD_FACET_TEST:
    return "facet-test";
  case RD_KAPPA_METHOD_LOWER_BOUND:
    return "lower-bound";
  }
  return "unknown";
}

/* C(n, k) n as a double (the brute-force facet cost), saturating at +inf. */
static double FacetEnumerationCost(PetscInt n, PetscInt k)
{
  double c = 1.0;
  for (PetscInt r = 0; r < k; r++) c = c * (double)(n - r) / (double)(r + 1);
  return c * (double)n;
}

PetscErrorCode RdKappaCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, RdKappaResult *result)
{
  PetscFunctionBegin;
  PetscCall(RdKappaComputeWeighted(n_samples, n_sources, sources, NULL, result));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdKappaComputeWeighted(PetscInt n_all, PetscInt n_sources, const double *sources, const double *weights, RdKappaResult *result)
{
  const PetscInt d = n_sources;
  PetscInt       n_samples; /* the support: samples with positive weight */
  const uint64_t search_seed = 1;
  double        *centered;
  double         max_margin2 = 0.0;

  PetscFunctionBegin;
  PetscCheck(result, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdKappaCompute: result must not be NULL");
  PetscCall(PetscMemzero(result, sizeof(*result)));
  PetscCall(RdSourceStatsComputeWeighted(n_all, d, sources, weights, &result->stats));
  const RdSourceStats *stats = &result->stats;
  for (PetscInt j = 0; j < d; j++) max_margin2 = fmax(max_margin2, stats->range_margin[j] * stats->range_margin[j]);
  result->tolerance = RD_KAPPA_RELATIVE_TOLERANCE * max_margin2;
  PetscCall(PetscMalloc1((size_t)n_all * d, &centered));
  PetscCall(RdSourcesCenterSupport(n_all, d, sources, weights, stats->mean, &n_samples, centered));
  result->kappa_exact       = PETSC_TRUE;
  result->verdict_certified = PETSC_TRUE;
  if (d == 1) {
    result->method       = RD_KAPPA_METHOD_ONE_SOURCE;
    result->kappa        = 0.0;
    result->direction[0] = fabs(stats->lower[0]) <= stats->upper[0] ? 1.0 : -1.0;
  } else if (d == 2) {
    result->method = RD_KAPPA_METHOD_EXACT_2D;
    PetscCall(RdKappa2DExact(n_samples, centered, stats->gain_matrix, &result->kappa, result->direction));
  } else {
    PetscBool done = PETSC_FALSE;
    if (d == 3) {
      PetscBool full;
      PetscCall(RdKappa3DExact(n_samples, centered, stats->gain_matrix, &result->kappa, result->direction, &full));
      result->method = RD_KAPPA_METHOD_EXACT_3D;
      done           = full;
    }
    if (!done) {
      double bound, bound_w[RD_MODULARITY_MAX_SOURCES];
      PetscCall(RdKappaLowerBound(n_samples, d, centered, stats->gain_matrix, RD_KAPPA_MIN_DIRECTIONS, search_seed, &bound, bound_w));
      result->method      = RD_KAPPA_METHOD_LOWER_BOUND;
      result->kappa       = bound;
      result->kappa_exact = PETSC_FALSE;
      PetscCall(PetscArraycpy(result->direction, bound_w, d));
      if (d >= 4 && n_samples > d && FacetEnumerationCost(n_samples, d) <= RD_FACET_ENUMERATION_BUDGET) {
        /* The facet test decides exactly when S is PSD (ellipse containment) and the data are
         * full-dimensional (the enumerated planes are then the hull's facets). */
        double s_eigen[RD_MODULARITY_MAX_SOURCES], c_eigen[RD_MODULARITY_MAX_SOURCES], vectors[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
        /* eigenvalues only, but computed with the vectors (dsyev "V"): the historic, archived path */
        PetscCall(PetscArraycpy(vectors, stats->gain_matrix, d * d));
        PetscCall(RdSymmetricEigenLAPACK(vectors, d, PETSC_TRUE, s_eigen));
        PetscCall(PetscArraycpy(vectors, stats->covariance, d * d));
        PetscCall(RdSymmetricEigenLAPACK(vectors, d, PETSC_TRUE, c_eigen));
        const PetscBool psd  = s_eigen[0] >= -1e-12 * fmax(fabs(s_eigen[d - 1]), fabs(s_eigen[0])) ? PETSC_TRUE : PETSC_FALSE;
        const PetscBool full = c_eigen[0] > 1e-12 * c_eigen[d - 1] ? PETSC_TRUE : PETSC_FALSE;
        if (psd && full) {
          PetscInt n_facets;
          double  *normals, *offsets, facet_max, facet_w[RD_MODULARITY_MAX_SOURCES];
          PetscCall(RdFacetsBruteForce(n_samples, d, centered, &n_facets, &normals, &offsets));
          PetscCall(RdFacetGainMax(n_facets, d, normals, offsets, stats->gain_matrix, &facet_max, facet_w));
          PetscCall(PetscFree(normals));
          PetscCall(PetscFree(offsets));
          result->method = RD_KAPPA_METHOD_FACET_TEST;
          if (facet_max > result->kappa) {
            result->kappa = facet_max;
            PetscCall(PetscArraycpy(result->direction, facet_w, d));
          }
          /* modular: kappa is exactly 0 (attained on an axis, and the search includes the axes) */
          if (facet_max <= result->tolerance) result->kappa_exact = PETSC_TRUE;
        }
      }
    }
  }
  result->modular = result->kappa <= result->tolerance ? PETSC_TRUE : PETSC_FALSE;
  if (result->method == RD_KAPPA_METHOD_LOWER_BOUND && result->modular) result->verdict_certified = PETSC_FALSE;
  result->kappa_normalized = max_margin2 > 0 ? result->kappa / max_margin2 : RD_NAN;
  PetscCall(PetscFree(centered));
  PetscFunctionReturn(PETSC_SUCCESS);
}
