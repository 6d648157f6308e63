/* Source statistics (a_j, b_j, e_j, Sigma, S of Dorrell et al. 2025, Sec. 2), centring, the
 * modular optimum L_mod and the built-in source sets. Contract and definitions:
 * include/repdrift/modularity_sources.h. */
#include <math.h>
#include <repdrift/modularity_sources.h>
#include <repdrift/splitmix.h>

/* Source statistics                                                                             */

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
  for (size_t i = 0; i < (size_t)n_samples * (size_t)n_sources; i++) (*sources)[i] = 2.0 * RdSplitMixUniform(&state) - 1.0;
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
