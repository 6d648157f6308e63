/* Cost of the drift theory's population gradient, the kernel of the descent to theta* that
 * dominates a days-protocol point with dropout (millions of calls at width 256).
 *
 *   bench_theory [-width 256] [-input_dim 16] [-output_dim 8] [-dropout 0.2] [-seconds 1] [-clock cpu|wall]
 *
 * Calls per second of the plain-loop reference (RdTheoryObjectiveGradient, reference) and of
 * the fast kernel in every instruction-set copy this machine runs, in one run, with a check that
 * each copy returns the reference's gradient bit for bit; at two states: random weights, and
 * theta* (RdTheoryMinimum), where the descent spends most of its calls. There, weight decay has
 * driven the weights of unused units towards zero, into subnormal numbers, whose arithmetic costs
 * the scalar loops of the reference far more than the vector copies (one slow operation per
 * element against one per vector). */
#include <repdrift/kernel_isa.h>
#include <repdrift/theory.h>
#include <math.h>
#include <string.h>
#include "bench_clock.h"

typedef struct {
  RdTheoryObjective objective; /* set up once, as the descent does */
  PetscInt          width, input_dim;
  const double     *W1, *W2;
  double           *grad;
  int               cpu_clock;
} Problem;

/* Calls per second of one kernel: repeats until `seconds` have passed (at least 20 calls). */
static PetscErrorCode CallsPerSecond(const Problem *p, PetscBool reference, double seconds, double *rate)
{
  const PetscInt off = p->width * p->input_dim;
  double         loss, start, now;
  long           calls = 0;

  PetscFunctionBeginUser;
  PetscCall(RdTheoryObjectiveGradient(p->objective, reference, p->W1, p->W2, p->grad, p->grad + off, &loss, NULL)); /* warm-up */
  start = BenchSeconds(p->cpu_clock);
  do {
    for (int i = 0; i < 10; i++) PetscCall(RdTheoryObjectiveGradient(p->objective, reference, p->W1, p->W2, p->grad, p->grad + off, &loss, NULL));
    calls += 10;
    now = BenchSeconds(p->cpu_clock);
  } while (now - start < seconds || calls < 20);
  *rate = (double)calls / (now - start);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One table: the reference and every instruction-set copy at the weights in p. */
static PetscErrorCode Report(Problem *p, double *reference, PetscInt P, double seconds, const char *state)
{
  const PetscInt off = p->width * p->input_dim;
  double         rate_reference, loss;
  PetscInt       subnormal = 0;

  PetscFunctionBeginUser;
  for (PetscInt i = 0; i < off; i++) subnormal += fpclassify(p->W1[i]) == FP_SUBNORMAL;
  PetscCall(RdTheoryObjectiveGradient(p->objective, PETSC_TRUE, p->W1, p->W2, reference, reference + off, &loss, NULL));
  PetscCall(CallsPerSecond(p, PETSC_TRUE, seconds, &rate_reference));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "at %s (%" PetscInt_FMT " of %" PetscInt_FMT " entries of W1 subnormal):\n", state, subnormal, off));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-28s %14s %10s %s\n", "kernel", "calls/s", "speed-up", "gradient"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-28s %14.0f %10s %s\n", "reference (plain loops)", rate_reference, "1.00", "-"));
  for (int isa = RD_KERNEL_ISA_BASELINE; isa <= (int)RdKernelIsaSupported(); isa++) {
    const RdKernelIsa previous = RdKernelIsaLimit((RdKernelIsa)isa);
    double            rate;
    char              name[40];
    PetscCall(CallsPerSecond(p, PETSC_FALSE, seconds, &rate));
    (void)RdKernelIsaLimit(previous);
    PetscCall(PetscSNPrintf(name, sizeof name, "fast, %s copy", RdKernelIsaName((RdKernelIsa)isa)));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  %-28s %14.0f %9.2fx %s\n", name, rate, rate / rate_reference, memcmp(p->grad, reference, (size_t)P * sizeof(double)) == 0 ? "bit-identical" : "DIFFERS"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscInt  width = 256, n = 16, d = 8;
  PetscReal seconds = 1.0, dropout = 0.2;
  char      clock_name[16] = "cpu";
  RdTask    task;
  RdStream  stream;
  Problem   p;
  double   *W1, *W2, *reference, loss, grad_norm;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-width", &width, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-input_dim", &n, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-output_dim", &d, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-dropout", &dropout, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-seconds", &seconds, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-clock", clock_name, sizeof clock_name, NULL));
  PetscCheck(width >= 1 && n >= 1 && d >= 1 && dropout >= 0 && dropout < 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-width, -input_dim, -output_dim >= 1 and -dropout in [0, 1) needed");

  const PetscInt P = width * (n + d);
  PetscCall(RdTaskCreateRandom(4, n, d, 0.25, 1, 0, &task));
  PetscCall(PetscMalloc4(width * n, &W1, d * width, &W2, P, &reference, P, &p.grad));
  RdStreamInit(&stream, 1, 0, RD_PURPOSE_INIT);
  for (PetscInt i = 0; i < width * n; i++) W1[i] = RdStreamNormal(&stream) / sqrt((double)n);
  for (PetscInt i = 0; i < d * width; i++) W2[i] = RdStreamNormal(&stream) / sqrt((double)width);
  const RdLinearHyper hyper = {.lr = 0.02, .weight_decay = 1e-3, .dropout = dropout, .input_noise = 0.1, .batch = 1};
  p = (Problem){.width = width, .input_dim = n, .W1 = W1, .W2 = W2, .grad = p.grad, .cpu_clock = strcmp(clock_name, "wall") != 0};
  PetscCall(RdTheoryObjectiveCreate(&task, width, &hyper, &p.objective));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Population gradient of the drift theory: width %" PetscInt_FMT ", n %" PetscInt_FMT ", d %" PetscInt_FMT ", dropout %g (%s clock)\n", width, n, d, (double)dropout, p.cpu_clock ? "cpu" : "wall"));
  PetscCall(Report(&p, reference, P, seconds, "random weights"));
  PetscCall(RdTheoryMinimum(&task, width, &hyper, 1, 0, W1, W2, &loss, &grad_norm));
  PetscCall(Report(&p, reference, P, seconds, "theta* (the end of the descent)"));
  PetscCall(RdTheoryObjectiveDestroy(&p.objective));
  PetscCall(PetscFree4(W1, W2, reference, p.grad));
  PetscCall(RdTaskDestroy(&task));
  PetscCall(PetscFinalize());
  return 0;
}
