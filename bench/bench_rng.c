/* The block draws of the counter-based streams (RdStreamFill*, src/rng.c) against the scalar draws
 * they reproduce, on each instruction-set path this machine runs.
 *
 *   bench_rng [-width 1024] [-input_dim 16] [-seconds 0.5] [-clock cpu|wall]
 *
 * Per path: ns per Philox4x32-10 block (RdStreamFillUInt32 of 4096 words), one step's dropout mask
 * (-width uniforms compared with 0.5: RdStreamFillKeep vs a loop of RdStreamUniform) and one step's
 * input noise (-input_dim normals: RdStreamFillNormal vs a loop of RdStreamNormal), each the best
 * of five runs of ~seconds/5. The normals are bound by libm (log, sincos, sqrt), which the block
 * draw calls exactly as the scalar one does. */
#include <repdrift/rng.h>
#include <repdrift/kernel_isa.h>
#include "bench_clock.h"
#include <string.h>

typedef enum { DRAW_BLOCKS, DRAW_KEEP_BLOCK, DRAW_KEEP_SCALAR, DRAW_NORMAL_BLOCK, DRAW_NORMAL_SCALAR } DrawKind;

static int cpu_clock = 1;

/* Seconds per call of one kind of draw: calibrated, best of five. */
static double TimeDraw(DrawKind kind, size_t count, double seconds, uint32_t *words, double *values)
{
  const uint64_t threshold = RdUniformThreshold(0.5);
  RdStream       s;
  long           calls = 16;
  double         best  = 1e300;

  RdStreamInit(&s, 7, 3, RD_PURPOSE_TRAIN_NOISE);
  for (int rep = -1; rep < 5; rep++) {
    const double start = BenchSeconds(cpu_clock);
    for (long c = 0; c < calls; c++) switch (kind) {
      case DRAW_BLOCKS:
        RdStreamFillUInt32(&s, words, 4 * count);
        break;
      case DRAW_KEEP_BLOCK:
        RdStreamFillKeep(&s, threshold, 2.0, values, count);
        break;
      case DRAW_KEEP_SCALAR:
        for (size_t j = 0; j < count; j++) values[j] = RdStreamUniform(&s) >= 0.5 ? 2.0 : 0.0;
        break;
      case DRAW_NORMAL_BLOCK:
        RdStreamFillNormal(&s, values, count);
        break;
      case DRAW_NORMAL_SCALAR:
        for (size_t j = 0; j < count; j++) values[j] = RdStreamNormal(&s);
        break;
      }
    const double elapsed = BenchSeconds(cpu_clock) - start;
    if (rep < 0) calls = (long)PetscMax(1.0, calls * (seconds / 5) / PetscMax(elapsed, 1e-9)); /* calibration */
    else best = PetscMin(best, elapsed / calls);
  }
  return best;
}

int main(int argc, char **argv)
{
  PetscInt  width = 1024, input_dim = 16;
  PetscReal seconds = 0.5;
  char      clock_name[16] = "cpu";
  uint32_t *words;
  double   *values;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-width", &width, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-input_dim", &input_dim, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-seconds", &seconds, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-clock", clock_name, sizeof(clock_name), NULL));
  PetscCheck(!strcmp(clock_name, "cpu") || !strcmp(clock_name, "wall"), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-clock must be cpu or wall (got %s)", clock_name);
  PetscCheck(width >= 1 && input_dim >= 1, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-width and -input_dim must be at least 1");
  cpu_clock = !strcmp(clock_name, "cpu");
  PetscCall(PetscMalloc2(4 * 1024, &words, (size_t)PetscMax(width, input_dim), &values));

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "Block draws vs scalar draws, one core, %s time (every path returns the scalar draws bit for bit)\n", cpu_clock ? "thread CPU" : "wall-clock"));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-9s %12s %22s %10s %22s %10s\n", "path", "ns/block", "mask of width (us)", "vs scalar", "noise of input (us)", "vs scalar"));
  for (int isa = (int)RdKernelIsaSupported(); isa >= RD_KERNEL_ISA_BASELINE; isa--) {
    const RdKernelIsa previous = RdKernelIsaLimit((RdKernelIsa)isa);
    const double      block    = TimeDraw(DRAW_BLOCKS, 1024, seconds, words, values) / 1024;
    const double      keep     = TimeDraw(DRAW_KEEP_BLOCK, (size_t)width, seconds, words, values);
    const double      keep_s   = TimeDraw(DRAW_KEEP_SCALAR, (size_t)width, seconds, words, values);
    const double      normal   = TimeDraw(DRAW_NORMAL_BLOCK, (size_t)input_dim, seconds, words, values);
    const double      normal_s = TimeDraw(DRAW_NORMAL_SCALAR, (size_t)input_dim, seconds, words, values);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%-9s %12.2f %22.3f %9.1fx %22.3f %9.1fx\n", RdKernelIsaName((RdKernelIsa)isa), 1e9 * block, 1e6 * keep, keep_s / keep, 1e6 * normal, normal_s / normal));
    (void)RdKernelIsaLimit(previous);
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "(mask: %" PetscInt_FMT " uniforms >= 0.5; noise: %" PetscInt_FMT " normals; scalar = one RdStreamUniform / RdStreamNormal call per value)\n", width, input_dim));
  PetscCall(PetscFree2(words, values));
  PetscCall(PetscFinalize());
  return 0;
}
