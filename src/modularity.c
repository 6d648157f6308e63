/* Modularity condition of non-negative, energy-efficient codes: source statistics, the mixing gain
 * g(w), kappa by exact methods (d = 2 hull arcs, d = 3 hull cells, facet test) and their slow
 * references (angle scan, brute-force facets, random search), metrics of learned codes, and the
 * built-in source sets. Contract: include/repdrift/modularity.h; definitions:
 * shared/science/modularity.md. */
#include <math.h>
#include <stdlib.h>
#include <repdrift/modularity.h>

/* Hull tolerances, relative to the largest coordinate magnitude `scale` of the points. */
#define RD_HULL2D_COLLINEAR_RTOL 1e-14 /* cross product <= this * scale^2 counts as collinear */
#define RD_HULL3D_VISIBLE_RTOL 1e-12   /* a face sees a point beyond its plane by more than this */
#define RD_HULL3D_FLAT_RTOL 1e-9       /* thinner than this: not full-dimensional */
#define RD_HULL3D_CHECK_RTOL 1e-9      /* final hull: no point outside by more than this */
#define RD_FACET_SIDE_RTOL 1e-9        /* brute force: a point this close to a plane is on it */
#define RD_FACET_DUPLICATE_TOL 1e-7    /* brute force: planes closer than this are the same facet */
/* Lower-bound search: how many of the best random directions are refined, and for how long. */
#define RD_ASCENT_STARTS 16
#define RD_ASCENT_STEPS 800
#define RD_ASCENT_FIRST_STEP 0.1 /* radians */
#define RD_ASCENT_DECAY 0.98     /* geometric: total travel 5 rad, last step ~1e-8 rad */
/* d >= 4 facet test only while C(N, d) N stays below this (brute-force enumeration). */
#define RD_FACET_ENUMERATION_BUDGET 2e7

/* Small dense helpers                                                                           */

static double Dot(const double *a, const double *b, PetscInt n)
{
  double s = 0.0;
  for (PetscInt i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* w^T A w for a d x d row-major A. */
static double QuadraticForm(const double *A, const double *w, PetscInt d)
{
  double s = 0.0;
  for (PetscInt j = 0; j < d; j++) s += w[j] * Dot(A + RD_IDX2(j, 0, d), w, d);
  return s;
}

/* min_i w . points_i and the first index attaining it. */
static double MinProjection(PetscInt n, PetscInt d, const double *points, const double *w, PetscInt *argmin)
{
  double   best  = PETSC_INFINITY;
  PetscInt where = 0;
  for (PetscInt i = 0; i < n; i++) {
    const double p = Dot(points + RD_IDX2(i, 0, d), w, d);
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

/* splitmix64 (Steele et al. 2014): a tiny seeded generator, so the searches here depend on
 * nothing but their seed. */
static uint64_t SplitMix64(uint64_t *state)
{
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z          = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z          = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/* Uniform on (0,1) with 53 random bits. */
static double UniformOpen(uint64_t *state)
{
  return ((double)(SplitMix64(state) >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}

/* Standard normal by Box-Muller (one value per call; the second is discarded for simplicity). */
static double Normal(uint64_t *state)
{
  const double u1 = UniformOpen(state), u2 = UniformOpen(state);
  return sqrt(-2.0 * log(u1)) * cos(2 * PETSC_PI * u2);
}

static double MaxAbsCoordinate(PetscInt n, PetscInt d, const double *points)
{
  double scale = 0.0;
  for (size_t i = 0; i < (size_t)n * (size_t)d; i++) scale = fmax(scale, fabs(points[i]));
  return scale;
}

/* Eigen-decomposition of a small symmetric d x d matrix (LAPACK dsyev): eigenvalues ascending,
 * eigenvector m in row m of vectors (LAPACK's columns, read back row-major). */
static PetscErrorCode SymmetricEigen(PetscInt d, const double *A, double *eigenvalues, double *vectors)
{
  const int n = (int)d;
  int       lwork = 8 * n + 16, info = 0;
  double    work[8 * RD_MODULARITY_MAX_SOURCES + 16];

  PetscFunctionBegin;
  PetscCall(PetscArraycpy(vectors, A, (size_t)d * (size_t)d));
  dsyev_("V", "U", &n, vectors, &n, eigenvalues, work, &lwork, &info);
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsyev failed with info %d on a %d x %d symmetric matrix", info, n, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Source statistics                                                                              */

PetscErrorCode RdSourceStatsComputeWeighted(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, RdSourceStats *stats)
{
  const PetscInt d          = n_sources;
  double         weight_sum = 0.0;

  PetscFunctionBegin;
  PetscCheck(sources && stats, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourceStatsCompute: sources and stats must not be NULL");
  PetscCheck(d >= 1 && d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Number of sources must be in [1, %d], got %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, d);
  PetscCall(PetscMemzero(stats, sizeof(*stats)));
  stats->n_sources = d;
  for (PetscInt i = 0; i < n_samples; i++) {
    const double w = weights ? weights[i] : 1.0;
    PetscCheck(isfinite(w) && w >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Sample weight %" PetscInt_FMT " must be finite and >= 0, got %g", i, w);
    if (w == 0.0) continue; /* not in the support */
    weight_sum += w;
    stats->n_samples++;
    for (PetscInt j = 0; j < d; j++) {
      const double x = sources[RD_IDX2(i, j, d)];
      PetscCheck(isfinite(x), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Source sample %" PetscInt_FMT ", source %" PetscInt_FMT " is not finite (%g): remove or repair that sample", i, j, x);
      stats->mean[j] += w * x;
    }
  }
  PetscCheck(stats->n_samples >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Modularity needs at least 2 samples of the sources (with positive weight), got %" PetscInt_FMT, stats->n_samples);
  for (PetscInt j = 0; j < d; j++) {
    stats->mean[j] /= weight_sum;
    stats->lower[j] = PETSC_INFINITY;
    stats->upper[j] = -PETSC_INFINITY;
  }
  for (PetscInt i = 0; i < n_samples; i++) {
    const double w = weights ? weights[i] : 1.0;
    double       c[RD_MODULARITY_MAX_SOURCES];
    if (w == 0.0) continue;
    for (PetscInt j = 0; j < d; j++) {
      c[j]            = sources[RD_IDX2(i, j, d)] - stats->mean[j];
      stats->lower[j] = fmin(stats->lower[j], c[j]);
      stats->upper[j] = fmax(stats->upper[j], c[j]);
    }
    for (PetscInt j = 0; j < d; j++)
      for (PetscInt k = 0; k < d; k++) stats->covariance[RD_IDX2(j, k, d)] += w * c[j] * c[k];
  }
  for (PetscInt j = 0; j < d * d; j++) stats->covariance[j] /= weight_sum;
  for (PetscInt j = 0; j < d; j++) {
    PetscCheck(stats->upper[j] > stats->lower[j], PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Source %" PetscInt_FMT " is constant (%g) in all %" PetscInt_FMT " samples: drop it, a constant cannot be coded", j, stats->mean[j], stats->n_samples);
    /* e_j = min(|a_j|, b_j): the cheaper side of the range to put the unit's threshold on. Using
     * |a_j| alone (the classic bug) overstates S_jj whenever the source is skewed (b_j < |a_j|). */
    stats->range_margin[j] = fmax(0.0, fmin(fabs(stats->lower[j]), stats->upper[j]));
  }
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < d; k++) stats->gain_matrix[RD_IDX2(j, k, d)] = j == k ? stats->range_margin[j] * stats->range_margin[j] : -stats->covariance[RD_IDX2(j, k, d)];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourceStatsCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, RdSourceStats *stats)
{
  PetscFunctionBegin;
  PetscCall(RdSourceStatsComputeWeighted(n_samples, n_sources, sources, NULL, stats));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesCenterSupport(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *weights, const double *mean, PetscInt *n_support, double *centered)
{
  PetscFunctionBegin;
  PetscCheck(sources && mean && centered && n_support, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesCenterSupport: sources, mean, n_support and centered must not be NULL");
  *n_support = 0;
  for (PetscInt i = 0; i < n_samples; i++) {
    if (weights && weights[i] == 0.0) continue;
    for (PetscInt j = 0; j < n_sources; j++) centered[RD_IDX2(*n_support, j, n_sources)] = sources[RD_IDX2(i, j, n_sources)] - mean[j];
    (*n_support)++;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesCenter(PetscInt n_samples, PetscInt n_sources, const double *sources, const double *mean, double *centered)
{
  PetscFunctionBegin;
  PetscCheck(sources && mean && centered, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesCenter: sources, mean and centered must not be NULL");
  PetscCheck(n_samples >= 0 && n_sources >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesCenter: need n_samples >= 0 and n_sources >= 1, got %" PetscInt_FMT " and %" PetscInt_FMT, n_samples, n_sources);
  for (PetscInt i = 0; i < n_samples; i++)
    for (PetscInt j = 0; j < n_sources; j++) centered[RD_IDX2(i, j, n_sources)] = sources[RD_IDX2(i, j, n_sources)] - mean[j];
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdModularLoss(const RdSourceStats *stats, double lambda_in, double lambda_out, double *loss_modular)
{
  const PetscInt d = stats ? stats->n_sources : 0;
  double         loss = 0.0;

  PetscFunctionBegin;
  PetscCheck(stats && loss_modular, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdModularLoss: stats and loss_modular must not be NULL");
  PetscCheck(lambda_in >= 0 && isfinite(lambda_in), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "lambda_in must be finite and >= 0, got %g", lambda_in);
  PetscCheck(lambda_out > 0 && isfinite(lambda_out), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "lambda_out must be finite and > 0 (it keeps the decoder bounded), got %g", lambda_out);
  for (PetscInt j = 0; j < d; j++) {
    const double e = stats->range_margin[j];
    loss += 2.0 * sqrt(lambda_out * (stats->covariance[RD_IDX2(j, j, d)] + e * e + lambda_in));
  }
  *loss_modular = loss;
  PetscFunctionReturn(PETSC_SUCCESS);
}

double RdMixingGain(PetscInt n_samples, PetscInt n_sources, const double *centered, const double *gain_matrix, const double *w)
{
  const double m = MinProjection(n_samples, n_sources, centered, w, NULL);
  return QuadraticForm(gain_matrix, w, n_sources) - m * m;
}

/* d = 2: hull and exact kappa                                                                   */

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

/* Quadratic form (A11, A12, A22) at angle theta. */
static double PlaneForm(const double A[3], double theta)
{
  const double c = cos(theta), s = sin(theta);
  return A[0] * c * c + 2.0 * A[1] * c * s + A[2] * s * s;
}

/* Keeps the larger value and its direction w (length d). */
static void KeepBestDirection(double value, const double *w, PetscInt d, double *best, double *best_w)
{
  if (value > *best) {
    *best = value;
    for (PetscInt j = 0; j < d; j++) best_w[j] = w[j];
  }
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
    for (PetscInt k = 0; k < n_hull; k++) m = fmin(m, Dot(centered + RD_IDX2(hull[k], 0, 2), w, 2));
    KeepBestDirection(QuadraticForm(gain_matrix, w, 2) - m * m, w, 2, &best, best_w);
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

/* d = 3: incremental hull                                                                      */

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
  norm = sqrt(Dot(normal, normal, 3));
  *ok  = PETSC_FALSE;
  if (!(norm > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  for (int k = 0; k < 3; k++) normal[k] /= norm;
  const double offset = (Dot(normal, pa, 3) + Dot(normal, pb, 3) + Dot(normal, pc, 3)) / 3.0;
  if (!(Dot(normal, builder->interior, 3) < offset)) PetscFunctionReturn(PETSC_SUCCESS);
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
    const double dist = sqrt(Dot(perp, perp, 3));
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
    const double norm = sqrt(Dot(plane_normal, plane_normal, 3));
    for (int k = 0; k < 3; k++) plane_normal[k] /= norm;
  }
  best = 0.0;
  for (PetscInt i = 0; i < n; i++) {
    double rel[3];
    for (int k = 0; k < 3; k++) rel[k] = points[RD_IDX2(i, k, 3)] - p0[k];
    const double dist = fabs(Dot(plane_normal, rel, 3));
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
      if (Dot(f->normal, point, 3) - f->offset > eps_visible) {
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
      if (Dot(f->normal, points + RD_IDX2(i, 0, 3), 3) - f->offset > RD_HULL3D_CHECK_RTOL * scale) failed = PETSC_TRUE;
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

/* Facets in any dimension (brute force) and the facet test                                      */

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
    const double length = sqrt(Dot(q, q, d));
    if (!(length > 0)) return PETSC_FALSE;
    for (int pass = 0; pass < 2; pass++)
      for (PetscInt r = 0; r < k - 1; r++) {
        const double *b = basis + RD_IDX2(r, 0, d), c = Dot(b, q, d);
        for (PetscInt j = 0; j < d; j++) q[j] -= c * b[j];
      }
    const double residual = sqrt(Dot(q, q, d));
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
      const double *b = basis + RD_IDX2(r, 0, d), c = Dot(b, normal, d);
      for (PetscInt j = 0; j < d; j++) normal[j] -= c * b[j];
    }
  const double norm = sqrt(Dot(normal, normal, d));
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
      double offset = Dot(normal, points + RD_IDX2(idx[0], 0, d), d), above = -PETSC_INFINITY, below = PETSC_INFINITY;
      for (PetscInt i = 0; i < n_points; i++) {
        const double side = Dot(normal, points + RD_IDX2(i, 0, d), d) - offset;
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
    const double value = QuadraticForm(gain_matrix, normal, d) - offsets[f] * offsets[f];
    if (value > best) {
      best = value;
      for (PetscInt j = 0; j < d; j++) direction[j] = -normal[j];
    }
  }
  *max_gain = best;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* d = 3 exact kappa                                                                             */

/* g(w) with the min over the hull vertices only (same value as over all points), O(V). */
static double HullGain(const RdHull3D *hull, const double *centered, const double *gain_matrix, const double *w)
{
  double m = PETSC_INFINITY;
  for (PetscInt v = 0; v < hull->n_vertices; v++) m = fmin(m, Dot(centered + RD_IDX2(hull->vertices[v], 0, 3), w, 3));
  return QuadraticForm(gain_matrix, w, 3) - m * m;
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
    const double  m    = Dot(w, centered + RD_IDX2(hull.faces[3 * f], 0, 3), 3);
    KeepBestDirection(QuadraticForm(gain_matrix, w, 3) - m * m, w, 3, &best, best_w);
  }
  /* Cell edges: the great-circle arc from -n_f to -n_h across hull edge (u, w), where u (and w)
   * minimise w . c; eigen-directions of (S - u u^T) restricted to the arc's plane. */
  for (PetscInt f = 0; f < hull.n_faces; f++)
    for (int k = 0; k < 3; k++) {
      const PetscInt h = hull.neighbours[3 * f + k];
      if (h < f) continue; /* each edge once */
      const double *nf = hull.normals + 3 * f, *nh = hull.normals + 3 * h, *u = centered + RD_IDX2(hull.faces[3 * f + k], 0, 3);
      double        e1[3] = {-nf[0], -nf[1], -nf[2]}, e2[3], end[3] = {-nh[0], -nh[1], -nh[2]};
      const double  along = Dot(end, e1, 3);
      for (int j = 0; j < 3; j++) e2[j] = end[j] - along * e1[j];
      const double norm = sqrt(Dot(e2, e2, 3));
      if (!(norm > 1e-12)) continue; /* coplanar triangles: the arc is a point, already a corner */
      for (int j = 0; j < 3; j++) e2[j] /= norm;
      const double arc_end = atan2(Dot(end, e2, 3), along);
      double       A[9], Ae1[3], Ae2[3];
      for (int r = 0; r < 3; r++)
        for (int c = 0; c < 3; c++) A[3 * r + c] = gain_matrix[3 * r + c] - u[r] * u[c];
      for (int r = 0; r < 3; r++) {
        Ae1[r] = Dot(A + 3 * r, e1, 3);
        Ae2[r] = Dot(A + 3 * r, e2, 3);
      }
      const double B[3] = {Dot(e1, Ae1, 3), Dot(e1, Ae2, 3), Dot(e2, Ae2, 3)};
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
      PetscCall(SymmetricEigen(3, A, eigenvalues, vectors));
      for (int m = 0; m < 3; m++)
        for (int sign = -1; sign <= 1; sign += 2) {
          const double w[3] = {sign * vectors[3 * m], sign * vectors[3 * m + 1], sign * vectors[3 * m + 2]};
          const double at_v = Dot(w, v, 3);
          PetscBool    inside = PETSC_TRUE;
          for (PetscInt e = first[p]; e < first[p + 1] && inside; e++) inside = at_v <= Dot(w, centered + RD_IDX2(neighbour[e], 0, 3), 3) ? PETSC_TRUE : PETSC_FALSE;
          if (inside) KeepBestDirection(QuadraticForm(A, w, 3), w, 3, &best, best_w);
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
        for (PetscInt j = 0; j < d; j++) w[j] = Normal(&state);
        norm = sqrt(Dot(w, w, d));
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
      for (PetscInt j = 0; j < d; j++) grad[j] = 2.0 * Dot(gain_matrix + RD_IDX2(j, 0, d), w, d) - 2.0 * m * centered[RD_IDX2(argmin, j, d)];
      const double radial = Dot(grad, w, d);
      for (PetscInt j = 0; j < d; j++) grad[j] -= radial * w[j];
      const double norm = sqrt(Dot(grad, grad, d));
      if (!(norm > 1e-14)) break;
      for (PetscInt j = 0; j < d; j++) w[j] += length * grad[j] / norm;
      const double wnorm = sqrt(Dot(w, w, d));
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
        PetscCall(SymmetricEigen(d, stats->gain_matrix, s_eigen, vectors));
        PetscCall(SymmetricEigen(d, stats->covariance, c_eigen, vectors));
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

/* Metrics of a learned code                                                                      */

PetscErrorCode RdWeightMixingCompute(PetscInt n_units, PetscInt n_sources, const double *W, RdWeightMixing *mixing)
{
  const PetscInt d      = n_sources;
  double         max_l1 = 0.0;

  PetscFunctionBegin;
  PetscCheck(W && mixing, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdWeightMixingCompute: W and mixing must not be NULL");
  PetscCheck(n_units >= 1 && d >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdWeightMixingCompute: need n_units >= 1 and n_sources >= 1, got %" PetscInt_FMT " and %" PetscInt_FMT, n_units, d);
  *mixing = (RdWeightMixing){0, RD_NAN, RD_NAN, RD_NAN, RD_NAN};
  for (PetscInt n = 0; n < n_units; n++) {
    double l1 = 0.0;
    for (PetscInt j = 0; j < d; j++) l1 += fabs(W[RD_IDX2(n, j, d)]);
    PetscCheck(isfinite(l1), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdWeightMixingCompute: row %" PetscInt_FMT " of W is not finite", n);
    max_l1 = fmax(max_l1, l1);
  }
  if (!(max_l1 > 0)) PetscFunctionReturn(PETSC_SUCCESS);
  double mix_sum = 0.0, mix_max = 0.0, angle_sum = 0.0, angle_max = 0.0;
  for (PetscInt n = 0; n < n_units; n++) {
    double l1 = 0.0, largest = 0.0;
    for (PetscInt j = 0; j < d; j++) {
      l1 += fabs(W[RD_IDX2(n, j, d)]);
      largest = fmax(largest, fabs(W[RD_IDX2(n, j, d)]));
    }
    if (!(l1 > max_l1 / 10)) continue;
    const double mix = 1.0 - largest / l1;
    mixing->n_active++;
    mix_sum += mix;
    mix_max = fmax(mix_max, mix);
    if (d == 2) {
      const double t = atan2(fabs(W[RD_IDX2(n, 0, 2)]), fabs(W[RD_IDX2(n, 1, 2)])), folded = RD_DEGREES(fmin(t, 0.5 * PETSC_PI - t));
      angle_sum += folded;
      angle_max = fmax(angle_max, folded);
    }
  }
  mixing->mixing_max  = mix_max;
  mixing->mixing_mean = mix_sum / mixing->n_active;
  if (d == 2) {
    mixing->angle_max  = angle_max;
    mixing->angle_mean = angle_sum / mixing->n_active;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Column means and population standard deviations of an [n][p] array. */
static void ColumnMoments(PetscInt n, PetscInt p, const double *x, double *mean, double *std)
{
  for (PetscInt j = 0; j < p; j++) {
    double s = 0.0, ss = 0.0;
    for (PetscInt i = 0; i < n; i++) s += x[RD_IDX2(i, j, p)];
    mean[j] = s / n;
    for (PetscInt i = 0; i < n; i++) ss += (x[RD_IDX2(i, j, p)] - mean[j]) * (x[RD_IDX2(i, j, p)] - mean[j]);
    std[j] = sqrt(ss / n);
  }
}

/* R^2 of the OLS of a standardised target on m standardised regressors with correlation matrix C
 * [m][m] and correlations c [m] with the target: c^T C^+ c (pseudo-inverse, so collinear regressors
 * are handled), clipped to [0, 1]. */
static PetscErrorCode RegressionR2(PetscInt m, const double *C, const double *c, double *r2)
{
  double eigenvalues[RD_MODULARITY_MAX_SOURCES + 1], vectors[(RD_MODULARITY_MAX_SOURCES + 1) * (RD_MODULARITY_MAX_SOURCES + 1)], sum = 0.0;

  PetscFunctionBegin;
  PetscCall(SymmetricEigen(m, C, eigenvalues, vectors));
  for (PetscInt e = 0; e < m; e++)
    if (eigenvalues[e] > 1e-12 * eigenvalues[m - 1]) {
      const double proj = Dot(vectors + RD_IDX2(e, 0, m), c, m);
      sum += proj * proj / eigenvalues[e];
    }
  *r2 = fmin(fmax(sum, 0.0), 1.0);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Adds one unit's scores m_i (i < d) to a modularity sum: max_i m_i / sum_i m_i, if sum > 0. */
static void AccumulateUnitScore(const double *scores, PetscInt d, double *sum, PetscInt *n_scored)
{
  double total = 0.0, top = 0.0;
  for (PetscInt i = 0; i < d; i++) {
    total += scores[i];
    top = fmax(top, scores[i]);
  }
  if (total > 0) {
    *sum += top / total;
    (*n_scored)++;
  }
}

PetscErrorCode RdInfoModularityCompute(PetscInt n_samples, PetscInt n_sources, const double *sources, PetscInt n_units, const double *latents, RdInfoModularity *result)
{
  const PetscInt d = n_sources;
  double         s_mean[RD_MODULARITY_MAX_SOURCES], s_std[RD_MODULARITY_MAX_SOURCES], r2_others[RD_MODULARITY_MAX_SOURCES];
  double         corr_sources[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES];
  double        *z_mean, *z_std, *z_range, max_range = 0.0;
  double         infom_sum = 0.0, cinfom_sum = 0.0, conditional_sum = 0.0;

  PetscFunctionBegin;
  PetscCheck(sources && latents && result, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdInfoModularityCompute: sources, latents and result must not be NULL");
  PetscCheck(d >= 2 && d <= RD_MODULARITY_MAX_SOURCES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM needs between 2 and %d sources, got %" PetscInt_FMT, RD_MODULARITY_MAX_SOURCES, d);
  PetscCheck(n_units >= 1 && n_samples >= 3, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM needs n_units >= 1 and n_samples >= 3, got %" PetscInt_FMT " and %" PetscInt_FMT, n_units, n_samples);
  *result = (RdInfoModularity){0, 0, 0, 0, RD_NAN, RD_NAN, RD_NAN};
  ColumnMoments(n_samples, d, sources, s_mean, s_std);
  for (PetscInt j = 0; j < d; j++) PetscCheck(s_std[j] > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM: source %" PetscInt_FMT " is constant; drop it", j);
  PetscCall(PetscMalloc3(n_units, &z_mean, n_units, &z_std, n_units, &z_range));
  ColumnMoments(n_samples, n_units, latents, z_mean, z_std);
  for (PetscInt u = 0; u < n_units; u++) {
    double lo = PETSC_INFINITY, hi = -PETSC_INFINITY;
    for (PetscInt i = 0; i < n_samples; i++) {
      lo = fmin(lo, latents[RD_IDX2(i, u, n_units)]);
      hi = fmax(hi, latents[RD_IDX2(i, u, n_units)]);
    }
    PetscCheck(isfinite(lo) && isfinite(hi), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "InfoM: latent unit %" PetscInt_FMT " has non-finite values", u);
    z_range[u] = hi - lo;
    max_range  = fmax(max_range, z_range[u]);
  }
  for (PetscInt j = 0; j < d; j++)
    for (PetscInt k = 0; k < d; k++) {
      double s = 0.0;
      for (PetscInt i = 0; i < n_samples; i++) s += (sources[RD_IDX2(i, j, d)] - s_mean[j]) * (sources[RD_IDX2(i, k, d)] - s_mean[k]);
      corr_sources[RD_IDX2(j, k, d)] = s / n_samples / (s_std[j] * s_std[k]);
    }
  /* R^2(s_i ~ s_-i) */
  for (PetscInt target = 0; target < d; target++) {
    const PetscInt m = d - 1;
    double         C[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES], c[RD_MODULARITY_MAX_SOURCES];
    for (PetscInt a = 0, ra = 0; a < d; a++) {
      if (a == target) continue;
      c[ra] = corr_sources[RD_IDX2(a, target, d)];
      for (PetscInt b = 0, rb = 0; b < d; b++) {
        if (b == target) continue;
        C[RD_IDX2(ra, rb++, m)] = corr_sources[RD_IDX2(a, b, d)];
      }
      ra++;
    }
    PetscCall(RegressionR2(m, C, c, &r2_others[target]));
  }
  for (PetscInt u = 0; u < n_units; u++) {
    double corr_z[RD_MODULARITY_MAX_SOURCES], infom[RD_MODULARITY_MAX_SOURCES], cinfom[RD_MODULARITY_MAX_SOURCES], conditional[RD_MODULARITY_MAX_SOURCES];
    if (!(z_range[u] > 0.1 * max_range) || !(z_std[u] > 0)) continue;
    result->n_active++;
    for (PetscInt j = 0; j < d; j++) {
      double s = 0.0;
      for (PetscInt i = 0; i < n_samples; i++) s += (sources[RD_IDX2(i, j, d)] - s_mean[j]) * (latents[RD_IDX2(i, u, n_units)] - z_mean[u]);
      corr_z[j] = s / n_samples / (s_std[j] * z_std[u]);
    }
    for (PetscInt target = 0; target < d; target++) {
      const double unexplained = 1.0 - r2_others[target];
      infom[target]            = fmin(corr_z[target] * corr_z[target], 1.0); /* univariate OLS with intercept */
      cinfom[target]           = fmin(fmax(infom[target] / fmax(unexplained, 1e-12), 0.0), 1.0);
      /* R^2(s_i ~ z_j, s_-i): regressors z_j first, then the other sources. */
      const PetscInt m = d;
      double         C[RD_MODULARITY_MAX_SOURCES * RD_MODULARITY_MAX_SOURCES], c[RD_MODULARITY_MAX_SOURCES], r2_full;
      PetscInt       others[RD_MODULARITY_MAX_SOURCES], n_others = 0;
      for (PetscInt a = 0; a < d; a++)
        if (a != target) others[n_others++] = a;
      C[0] = 1.0;
      c[0] = corr_z[target];
      for (PetscInt a = 0; a < n_others; a++) {
        C[RD_IDX2(0, a + 1, m)] = C[RD_IDX2(a + 1, 0, m)] = corr_z[others[a]];
        c[a + 1]                                         = corr_sources[RD_IDX2(others[a], target, d)];
        for (PetscInt b = 0; b < n_others; b++) C[RD_IDX2(a + 1, b + 1, m)] = corr_sources[RD_IDX2(others[a], others[b], d)];
      }
      PetscCall(RegressionR2(m, C, c, &r2_full));
      conditional[target] = unexplained > 1e-12 ? fmin(fmax((r2_full - r2_others[target]) / unexplained, 0.0), 1.0) : 0.0;
    }
    AccumulateUnitScore(infom, d, &infom_sum, &result->n_scored_infom);
    AccumulateUnitScore(cinfom, d, &cinfom_sum, &result->n_scored_cinfom);
    AccumulateUnitScore(conditional, d, &conditional_sum, &result->n_scored_conditional);
  }
  const double chance = 1.0 / d;
  if (result->n_scored_infom) result->infom = (infom_sum / result->n_scored_infom - chance) / (1.0 - chance);
  if (result->n_scored_cinfom) result->cinfom = (cinfom_sum / result->n_scored_cinfom - chance) / (1.0 - chance);
  if (result->n_scored_conditional) result->cinfom_conditional = (conditional_sum / result->n_scored_conditional - chance) / (1.0 - chance);
  PetscCall(PetscFree3(z_mean, z_std, z_range));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Built-in source sets                                                                          */

/* (2 i - (k - 1)) / (k - 1): the numerator is an exact integer, so u_{k-1-i} = -u_i exactly and
 * symmetric sets (hole, grid) have mean exactly 0 and no rounding-dependent borderline points. */
static double GridCoordinate(PetscInt i, PetscInt k)
{
  return (double)(2 * i - (k - 1)) / (double)(k - 1);
}

/* Grid points kept by keep(i, j); multiplicity of the diagonal points (i == j) is `diagonal`. */
typedef PetscBool (*GridFilter)(PetscInt i, PetscInt j, PetscInt k, double parameter);

static PetscErrorCode GridSet(PetscInt k, GridFilter keep, double parameter, PetscInt diagonal, PetscInt *n_samples, double **sources)
{
  PetscInt count = 0;

  PetscFunctionBegin;
  PetscCheck(k >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "A source grid needs k >= 2 points per side, got %" PetscInt_FMT, k);
  PetscCheck(n_samples && sources, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Source set: n_samples and sources must not be NULL");
  for (int pass = 0; pass < 2; pass++) {
    PetscInt at = 0;
    for (PetscInt i = 0; i < k; i++)
      for (PetscInt j = 0; j < k; j++) {
        if (keep && !keep(i, j, k, parameter)) continue;
        const PetscInt copies = i == j ? diagonal : 1;
        for (PetscInt c = 0; c < copies; c++, at++)
          if (pass == 1) {
            (*sources)[RD_IDX2(at, 0, 2)] = GridCoordinate(i, k);
            (*sources)[RD_IDX2(at, 1, 2)] = GridCoordinate(j, k);
          }
      }
    if (pass == 0) {
      count = at;
      PetscCheck(count >= 2, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "The source set keeps only %" PetscInt_FMT " grid points: make the cut or hole smaller", count);
      PetscCall(PetscMalloc1(2 * count, sources));
    }
  }
  *n_samples = count;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesGrid(PetscInt k, PetscInt *n_samples, double **sources)
{
  PetscFunctionBegin;
  PetscCall(GridSet(k, NULL, 0.0, 1, n_samples, sources));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* u + v < -2 + cut  <=>  i + j < cut (k - 1) / 2; the slack keeps points on the line. */
static PetscBool KeepOutsideCorner(PetscInt i, PetscInt j, PetscInt k, double cut)
{
  return (double)(i + j) < cut * (double)(k - 1) / 2.0 - 1e-9 ? PETSC_FALSE : PETSC_TRUE;
}

PetscErrorCode RdSourcesGridCornerCut(PetscInt k, double cut, PetscInt *n_samples, double **sources)
{
  PetscFunctionBegin;
  PetscCheck(cut > 0 && cut < 4, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Corner cut must be in (0, 4) (the corner {u + v < -2 + cut} of [-1,1]^2), got %g", cut);
  PetscCall(GridSet(k, KeepOutsideCorner, cut, 1, n_samples, sources));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesGridDiagonal(PetscInt k, PetscInt multiplicity, PetscInt *n_samples, double **sources)
{
  PetscFunctionBegin;
  PetscCheck(multiplicity >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Diagonal multiplicity must be >= 1, got %" PetscInt_FMT, multiplicity);
  PetscCall(GridSet(k, NULL, 0.0, multiplicity, n_samples, sources));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool KeepOutsideDisc(PetscInt i, PetscInt j, PetscInt k, double radius)
{
  const double u = GridCoordinate(i, k), v = GridCoordinate(j, k);
  return u * u + v * v < radius * radius ? PETSC_FALSE : PETSC_TRUE;
}

PetscErrorCode RdSourcesGridHole(PetscInt k, double radius, PetscInt *n_samples, double **sources)
{
  PetscFunctionBegin;
  PetscCheck(radius >= 0 && radius < 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Hole radius must be in [0, 1) so the grid keeps its edges, got %g", radius);
  PetscCall(GridSet(k, KeepOutsideDisc, radius, 1, n_samples, sources));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesUniform(PetscInt n_samples, PetscInt n_sources, uint64_t seed, double **sources)
{
  uint64_t state = seed;

  PetscFunctionBegin;
  PetscCheck(sources, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesUniform: sources must not be NULL");
  PetscCheck(n_samples >= 1 && n_sources >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesUniform: need n_samples >= 1 and n_sources >= 1, got %" PetscInt_FMT " and %" PetscInt_FMT, n_samples, n_sources);
  PetscCall(PetscMalloc1((size_t)n_samples * n_sources, sources));
  for (size_t i = 0; i < (size_t)n_samples * (size_t)n_sources; i++) (*sources)[i] = 2.0 * UniformOpen(&state) - 1.0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesCube(PetscInt *n_samples, double **sources)
{
  PetscFunctionBegin;
  PetscCheck(n_samples && sources, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesCube: n_samples and sources must not be NULL");
  PetscCall(PetscMalloc1(24, sources));
  for (PetscInt c = 0; c < 8; c++)
    for (PetscInt j = 0; j < 3; j++) (*sources)[RD_IDX2(c, j, 3)] = (c >> (2 - j)) & 1 ? 1.0 : -1.0;
  *n_samples = 8;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdSourcesParityTetrahedron(PetscInt *n_samples, double **sources)
{
  const double vertices[12] = {1, 1, 1, 1, -1, -1, -1, 1, -1, -1, -1, 1};

  PetscFunctionBegin;
  PetscCheck(n_samples && sources, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdSourcesParityTetrahedron: n_samples and sources must not be NULL");
  PetscCall(PetscMalloc1(12, sources));
  PetscCall(PetscArraycpy(*sources, vertices, 12));
  *n_samples = 4;
  PetscFunctionReturn(PETSC_SUCCESS);
}
