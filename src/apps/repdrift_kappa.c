/* repdrift-kappa: will the optimal non-negative, energy-efficient code of these sources be modular
 * or mixed, and by how much? (Dorrell et al., "Range, not independence, drives modularity".) */
#include <repdrift/h5input.h>
#include <repdrift/errors.h>
#include <repdrift/options.h>
#include <repdrift/modularity.h>

static const char help[] =
  "repdrift-kappa FILE.h5 [options] | repdrift-kappa -sources NAME [options]\n"
  "Reads a source sample (/sources [N, d] of FILE.h5, or a built-in set) and prints the verdict of the\n"
  "range condition: modular iff kappa = max_w g(w) <= 0, g(w) = w'Sw - (min_i w.s_i)^2, with kappa,\n"
  "kappa / max e^2, the violating direction, L_mod, and the method: exact for d = 2 (hull + arcs) and\n"
  "d = 3, the facet test for d >= 4 (S PSD, few samples), a certified lower bound otherwise.\n"
  "Built-in sets (-sources): grid, corner_cut, diagonal, hole, uniform, cube, tetrahedron.\n";

static const char *const source_names[] = {"file", "grid", "corner_cut", "diagonal", "hole", "uniform", "cube", "tetrahedron", NULL};
static const char *const method_names[] = {"one source (trivially modular)", "exact 2-D (convex hull and arcs)", "exact 3-D (hull facets, edges and vertices)", "facet test (exact verdict)", "certified lower bound (a violation found is certain; none found is not proof)"};

typedef struct {
  PetscInt  source_set, grid_size, multiplicity, uniform_samples, uniform_dim, width;
  PetscReal corner_cut, hole_radius, lambda_in, lambda_out;
  PetscBool optimize;
  PetscInt  seed;
} KappaOptions;

#define AT(field) .offset = offsetof(KappaOptions, field)

/* The options of repdrift-kappa (include/repdrift/options.h). */
static const RdOption kappa_options[] = {
  {.name = "-sources", .type = RD_OPTION_CHOICE, AT(source_set), .choices = source_names, .default_value = "file", .help = "Built-in source set (file: the file given)"},
  {.name = "-grid_size", .type = RD_OPTION_INT, AT(grid_size), .default_value = "21", .range = ">= 2", .help = "k of the k x k grids on [-1,1]^2"},
  {.name = "-corner_cut", .type = RD_OPTION_REAL, AT(corner_cut), .default_value = "1", .help = "L: corner_cut removes {u + v < -2 + L}"},
  {.name = "-multiplicity", .type = RD_OPTION_INT, AT(multiplicity), .default_value = "50", .range = ">= 1", .help = "diagonal: how often the diagonal points are repeated"},
  {.name = "-hole_radius", .type = RD_OPTION_REAL, AT(hole_radius), .default_value = "0.5", .range = ">= 0", .help = "hole: radius of the central hole"},
  {.name = "-uniform_samples", .type = RD_OPTION_INT, AT(uniform_samples), .default_value = "1000", .range = ">= 2", .help = "uniform: number of samples"},
  {.name = "-uniform_dim", .type = RD_OPTION_INT, AT(uniform_dim), .default_value = "2", .range = ">= 1", .help = "uniform: number of sources d"},
  {.name = "-seed", .type = RD_OPTION_INT, AT(seed), .default_value = "1", .range = ">= 0", .help = "Seed of the uniform set and of the optimiser"},
  {.name = "-lambda_in", .type = RD_OPTION_REAL, AT(lambda_in), .default_value = "0.1", .range = ">= 0", .help = "Encoder weight penalty (L_mod and the optimiser)"},
  {.name = "-lambda_out", .type = RD_OPTION_REAL, AT(lambda_out), .default_value = "0.1", .range = "> 0", .help = "Decoder weight penalty (L_mod and the optimiser)"},
  {.name = "-optimize", .type = RD_OPTION_BOOL, AT(optimize), .default_value = "false", .help = "Also run the reduced-problem optimiser: the independent numerical check of kappa"},
  {.name = "-width", .type = RD_OPTION_INT, AT(width), .default_value = "0", .range = ">= 0", .help = "Optimiser: number of units (0: d + 1, one spare unit)"},
  {NULL},
};

static PetscErrorCode ReadOptions(KappaOptions *o)
{
  PetscBool help;

  PetscFunctionBeginUser;
  PetscCall(PetscMemzero(o, sizeof *o));
  PetscCall(RdOptionsSetDefaults(kappa_options, o));
  PetscCall(PetscOptionsHasHelp(NULL, &help));
  PetscOptionsBegin(PETSC_COMM_SELF, NULL, "repdrift-kappa options", NULL);
  PetscCall(RdOptionsRead(PetscOptionsObject, kappa_options, o, !help));
  PetscOptionsEnd();
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
