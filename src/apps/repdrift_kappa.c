/* repdrift-kappa: will the optimal non-negative, energy-efficient code of these sources be modular
 * or mixed, and by how much? (Dorrell et al., "Range, not independence, drives modularity".) */
#include <repdrift/archive.h>
#include <repdrift/errors.h>
#include <repdrift/modularity.h>

static const char help[] =
  "repdrift-kappa FILE.h5 [options] | repdrift-kappa -sources NAME [options]\n"
  "Reads a source sample (/sources [N, d] of FILE.h5, or a built-in set) and prints the verdict of the\n"
  "range condition: modular iff kappa = max_w g(w) <= 0, g(w) = w'Sw - (min_i w.s_i)^2, with kappa,\n"
  "kappa / max e^2, the violating direction, L_mod, and the method: exact for d = 2 (hull + arcs) and\n"
  "d = 3, the facet test for d >= 4 (S PSD, few samples), a certified lower bound otherwise.\n"
  "Built-in sets (-sources): grid, corner_cut, diagonal, hole, uniform, cube, tetrahedron.\n";

static const char *const source_names[] = {"file", "grid", "corner_cut", "diagonal", "hole", "uniform", "cube", "tetrahedron"};
static const char *const method_names[] = {"one source (trivially modular)", "exact 2-D (convex hull and arcs)", "exact 3-D (hull facets, edges and vertices)", "facet test (exact verdict)", "certified lower bound (a violation found is certain; none found is not proof)"};

typedef struct {
  PetscInt  source_set, grid_size, multiplicity, uniform_samples, uniform_dim, width;
  PetscReal corner_cut, hole_radius, lambda_in, lambda_out;
  PetscBool optimize;
  PetscInt  seed;
} KappaOptions;

static PetscErrorCode ReadOptions(KappaOptions *o)
{
  PetscFunctionBeginUser;
  *o = (KappaOptions){.source_set = 0, .grid_size = 21, .multiplicity = 50, .uniform_samples = 1000, .uniform_dim = 2, .width = 0, .corner_cut = 1.0, .hole_radius = 0.5, .lambda_in = 0.1, .lambda_out = 0.1, .optimize = PETSC_FALSE, .seed = 1};
  PetscOptionsBegin(PETSC_COMM_SELF, NULL, "repdrift-kappa options", NULL);
  PetscCall(PetscOptionsEList("-sources", "Built-in source set (default: the file given)", NULL, source_names, 8, source_names[o->source_set], &o->source_set, NULL));
  PetscCall(PetscOptionsInt("-grid_size", "k of the k x k grids on [-1,1]^2", NULL, o->grid_size, &o->grid_size, NULL));
  PetscCall(PetscOptionsReal("-corner_cut", "L: corner_cut removes {u + v < -2 + L}", NULL, o->corner_cut, &o->corner_cut, NULL));
  PetscCall(PetscOptionsInt("-multiplicity", "diagonal: how often the diagonal points are repeated", NULL, o->multiplicity, &o->multiplicity, NULL));
  PetscCall(PetscOptionsReal("-hole_radius", "hole: radius of the central hole", NULL, o->hole_radius, &o->hole_radius, NULL));
  PetscCall(PetscOptionsInt("-uniform_samples", "uniform: number of samples", NULL, o->uniform_samples, &o->uniform_samples, NULL));
  PetscCall(PetscOptionsInt("-uniform_dim", "uniform: number of sources d", NULL, o->uniform_dim, &o->uniform_dim, NULL));
  PetscCall(PetscOptionsInt("-seed", "Seed of the uniform set and of the optimiser", NULL, o->seed, &o->seed, NULL));
  PetscCall(PetscOptionsReal("-lambda_in", "Encoder weight penalty (L_mod and the optimiser)", NULL, o->lambda_in, &o->lambda_in, NULL));
  PetscCall(PetscOptionsReal("-lambda_out", "Decoder weight penalty (L_mod and the optimiser)", NULL, o->lambda_out, &o->lambda_out, NULL));
  PetscCall(PetscOptionsBool("-optimize", "Also run the reduced-problem optimiser: the independent numerical check of kappa", NULL, o->optimize, &o->optimize, NULL));
  PetscCall(PetscOptionsInt("-width", "Optimiser: number of units (0: d + 1, one spare unit)", NULL, o->width, &o->width, NULL));
  PetscOptionsEnd();
  PetscCheck(o->lambda_in >= 0 && o->lambda_out > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-lambda_in must be >= 0 and -lambda_out > 0");
  PetscCheck(o->seed >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-seed must be >= 0");
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode LoadSources(const char *path, const KappaOptions *o, PetscInt *n, PetscInt *d, double **sources)
{
  PetscFunctionBeginUser;
  *d = 2;
  switch (o->source_set) {
  case 0:
    PetscCheck(path, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Give a file with /sources [N, d], or -sources NAME (see -help)");
    PetscCall(RdInputReadMatrix(path, "/sources", n, d, sources));
    break;
  case 1: PetscCall(RdSourcesGrid(o->grid_size, n, sources)); break;
  case 2: PetscCall(RdSourcesGridCornerCut(o->grid_size, o->corner_cut, n, sources)); break;
  case 3: PetscCall(RdSourcesGridDiagonal(o->grid_size, o->multiplicity, n, sources)); break;
  case 4: PetscCall(RdSourcesGridHole(o->grid_size, o->hole_radius, n, sources)); break;
  case 5:
    *n = o->uniform_samples;
    *d = o->uniform_dim;
    PetscCall(RdSourcesUniform(*n, *d, (uint64_t)o->seed, sources));
    break;
  case 6: *d = 3; PetscCall(RdSourcesCube(n, sources)); break;
  default: *d = 3; PetscCall(RdSourcesParityTetrahedron(n, sources));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Report(PetscInt n, PetscInt d, const double *sources, const KappaOptions *o)
{
  RdKappaResult result;
  double        loss_modular;

  PetscFunctionBeginUser;
  PetscCall(RdKappaCompute(n, d, sources, &result));
  PetscCall(RdModularLoss(&result.stats, o->lambda_in, o->lambda_out, &loss_modular));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "sources: %" PetscInt_FMT " samples x %" PetscInt_FMT " sources\n", n, d));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "verdict: %s%s\n", result.modular ? "modular" : "mixed", result.verdict_certified ? "" : " (not certified: no violation found by the search)"));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "kappa: %.10g%s\nkappa / max e^2: %.10g\n", result.kappa, result.kappa_exact ? "" : " (lower bound)", result.kappa_normalized));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "direction:"));
  for (PetscInt j = 0; j < d; j++) PetscCall(PetscPrintf(PETSC_COMM_SELF, " %.6f", result.direction[j]));
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "\nL_mod(lambda_in %g, lambda_out %g): %.10g\nmethod: %s\n", (double)o->lambda_in, (double)o->lambda_out, loss_modular, method_names[result.method]));
  if (o->optimize) {
    RdReducedOptions options;
    RdReducedResult  optimum;
    double          *W;
    PetscCall(RdReducedOptionsDefaults(&options));
    options.n_units    = o->width > 0 ? o->width : d + 1;
    options.lambda_in  = o->lambda_in;
    options.lambda_out = o->lambda_out;
    options.seed       = (uint64_t)o->seed;
    PetscCall(PetscMalloc1(options.n_units * d, &W));
    PetscCall(RdReducedOptimize(n, d, sources, &options, W, &optimum));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "optimiser (%" PetscInt_FMT " units): loss %.10g, gap to L_mod %.4g (%.3g%%): %s\n", options.n_units, optimum.loss, optimum.gap, 100 * optimum.relative_gap, optimum.gap < -1e-6 * loss_modular ? "a mixed code beats every modular one" : "no code beats the modular one"));
    PetscCall(PetscFree(W));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode Run(const char *path)
{
  KappaOptions options;
  PetscInt     n, d;
  double      *sources;
  PetscBool    help_requested;

  PetscFunctionBeginUser;
  PetscCall(ReadOptions(&options));
  PetscCall(PetscOptionsHasHelp(NULL, &help_requested));
  if (help_requested) PetscFunctionReturn(PETSC_SUCCESS);
  PetscCall(LoadSources(path, &options, &n, &d, &sources));
  PetscCall(Report(n, d, sources, &options));
  PetscCall(PetscFree(sources));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* A user error (options, a bad source file) prints one line, exit status 2. */
int main(int argc, char **argv)
{
  const char *path = (argc > 1 && argv[1][0] != '-') ? argv[1] : NULL;

  RdMainCall(RdInitialize(&argc, &argv, "repdrift-kappa", help, PETSC_FALSE));
  RdMainCall(Run(path));
  return RdFinalize();
}
