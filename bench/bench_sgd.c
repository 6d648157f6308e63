/* SGD throughput of the linear network's fast kernel (RdLinearTrain) against numpy and against this
 * core's peak, in the theory setting (no noise) and in the noisy setting the sweeps run.
 *
 *   bench_sgd [-widths 16,64,256,1024] [-input_dim 16] [-output_dim 16] [-num_stimuli 8]
 *             [-dropout 0.5] [-input_noise 0.1] [-lr 0.01] [-weight_decay 0.01] [-seconds 2]
 *             [-numpy_noiseless r1,r2,...] [-numpy_noisy r1,r2,...] [-target_width 1024]
 *             [-isa baseline|avx2|avx512] [-clock cpu|wall] [-report_targets 1] [-checksum_steps N]
 *
 * One process, one core. For each width and both settings (noiseless: dropout 0, input noise 0;
 * noisy: -dropout, -input_noise): steps/s of RdLinearTrain (best of ten timed runs of about
 * seconds/20 each, the two settings alternating, after a calibration run: the best run is the one
 * least disturbed by whatever else shares the core) and the FLOP rate it implies; with numpy's steps/s
 * (bench/numpy_sgd.py, same widths, measured in the same bench/run.sh invocation and passed in) the
 * ratio C/numpy. At -target_width it measures, on this core and with the same clock: the hardware
 * FMA peak (bench/peak_native.c, -march=native), the mul+add peak and the bandwidth of a sweep over
 * as many bytes as W1 + W2 in the instruction set the kernel runs (-isa caps it, as
 * REPDRIFT_KERNEL_ISA would), and reports the roofline and the targets of issue 13:
 *   noisy C/numpy >= 30 at width 64 and >= 10 at width 1024; noisy step <= 1.5 x noiseless step at
 *   the target width; noiseless kernel >= 0.5 of the FMA peak at the target width
 * (-report_targets 0 leaves the verdicts out: for the paths this machine does not normally run).
 * -clock cpu (default) times the thread's CPU time, wall the wall clock (bench/bench_clock.h).
 *
 * -checksum_steps N instead trains a fixed configuration (dropout 0.3, input noise 0.1, batch 1
 * and 3) for N steps at each width and prints a hash of the final weights' bits; bench/run.sh
 * compares the hashes of every instruction-set path and of a build with REPDRIFT_PORTABLE_KERNEL.
 *
 * Work per step (batch 1, counted as in src/models/linear.c; n = input_dim, m = width,
 * d = output_dim; a multiply and an add are one flop each, no FMA is used):
 *   flops = 5mn + 7dm + m + d           (+2m with dropout: the mask in the forward and backward)
 *   bytes = 16(mn + dm)                 (each weight read and written once per step)
 * Random draws (one uniform per step, + n normals with input noise, + m uniforms with dropout) are
 * not counted as flops. */
#include "../src/kernel_dispatch.h" /* first: no FMA contraction (the mul+add peak is the kernel's) */
#include <repdrift/models/linear.h>
#include <repdrift/kernel_isa.h>
#include "bench_clock.h"
#include <math.h>
#include <string.h>

#define MAX_WIDTHS 16
/* The performance targets this benchmark reports against (issue 13, and the first ones). */
#define TARGET_NOISY_WIDTH_SMALL 64
#define TARGET_NOISY_RATIO_SMALL 30.0
#define TARGET_NOISY_RATIO_LARGE 10.0 /* at -target_width */
#define TARGET_NOISE_COST 1.5         /* noisy / noiseless seconds per step at -target_width */
#define TARGET_PEAK_FRACTION 0.5      /* noiseless kernel / FMA peak at -target_width */
#define TARGET_NOISELESS_RATIO_SMALL 30.0
#define TARGET_ROOFLINE_FRACTION (1.0 / 3.0)
/* Partial sums of the read sweep: more vectors than add latency x add pipes. */
#define READ_LANES 32
/* Timed runs per measurement, of which the best counts (steps, peaks, bandwidth). */
#define MEASURE_RUNS 10

static int cpu_clock = 1;

#if defined(REPDRIFT_BENCH_NATIVE_PEAK)
/* bench/peak_native.c, compiled for this machine's full instruction set. */
double PeakFmaNative(int cpu_time, const char **isa);
#endif

/* Work of one batch-1 step, counted as in the header comment. */
typedef struct {
  double flops, bytes;
} StepCost;

static StepCost CostOfStep(PetscInt n, PetscInt m, PetscInt d, PetscBool dropout)
{
  StepCost c;
  c.flops = 5.0 * m * n + 7.0 * d * m + m + d + (dropout ? 2.0 * m : 0.0);
  c.bytes = 16.0 * ((double)m * n + (double)d * m);
  return c;
}

/* Runs RdLinearTrain for nsteps and returns the seconds it took; fails if the run diverged. */
static PetscErrorCode TimeTrain(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise, double *seconds)
{
  const double start = BenchSeconds(cpu_clock);
  PetscInt     done  = RdLinearTrain(net, hyper, task, nsteps, sampling, noise);

  PetscFunctionBeginUser;
  *seconds = BenchSeconds(cpu_clock) - start;
  PetscCheck(done == nsteps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "SGD diverged after %" PetscInt_FMT " steps: lower -lr", done);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* One setting's run: its own net and streams, trained on and on. */
typedef struct {
  RdTask        task;
  RdLinearNet   net;
  RdStream      sampling, noise;
  RdLinearHyper hyper;
  PetscInt      steps; /* per timed run */
  double        best;  /* steps per second */
} Setting;

static PetscErrorCode SettingCreate(PetscInt n, PetscInt m, PetscInt d, PetscInt num_stimuli, const RdLinearHyper *hyper, double run_seconds, Setting *s)
{
  RdStream init;
  double   elapsed;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(num_stimuli, n, d, num_stimuli > 1 ? 0.5 : 1.0, 1, 0, &s->task));
  PetscCall(RdLinearNetCreate(n, m, d, &s->net));
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdStreamInit(&s->sampling, 1, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&s->noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  RdLinearNetInit(&s->net, 1.0, &init);
  s->hyper = *hyper;
  s->best  = 0.0;
  for (s->steps = 64;; s->steps *= 2) { /* calibration */
    PetscCall(TimeTrain(&s->net, &s->hyper, &s->task, s->steps, &s->sampling, &s->noise, &elapsed));
    if (elapsed > 0.02) break;
  }
  s->steps = (PetscInt)PetscMax(1.0, s->steps * run_seconds / elapsed);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Steps per second of the fast kernel at one width in both settings: MEASURE_RUNS timed runs of
 * each, alternating, so that both see the same disturbances; the best run of each counts. */
static PetscErrorCode MeasureSteps(PetscInt n, PetscInt m, PetscInt d, PetscInt num_stimuli, const RdLinearHyper *clean, const RdLinearHyper *noisy, double seconds, double *rate_clean, double *rate_noisy)
{
  Setting setting[2];
  double  elapsed;

  PetscFunctionBeginUser;
  PetscCall(SettingCreate(n, m, d, num_stimuli, clean, seconds / (2 * MEASURE_RUNS), &setting[0]));
  PetscCall(SettingCreate(n, m, d, num_stimuli, noisy, seconds / (2 * MEASURE_RUNS), &setting[1]));
  for (int run = 0; run < MEASURE_RUNS; run++)
    for (int k = 0; k < 2; k++) {
      Setting *s = &setting[k];
      PetscCall(TimeTrain(&s->net, &s->hyper, &s->task, s->steps, &s->sampling, &s->noise, &elapsed));
      s->best = PetscMax(s->best, s->steps / elapsed);
    }
  *rate_clean = setting[0].best;
  *rate_noisy = setting[1].best;
  for (int k = 0; k < 2; k++) {
    PetscCall(RdLinearNetDestroy(&setting[k].net));
    PetscCall(RdTaskDestroy(&setting[k].task));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The mul+add peak of one instruction set, compiled without contraction like the kernel:
 * independent chains c <- c a + b in that ISA's native vectors (2 SSE2, 4 AVX2, 8 AVX-512
 * doubles), enough of them to cover the mul and add latencies on two pipes each. */
typedef double BenchVec2 __attribute__((vector_size(16)));
typedef double BenchVec4 __attribute__((vector_size(32)));
typedef double BenchVec8 __attribute__((vector_size(64)));
#define DEFINE_PEAK_MUL_ADD(name, target, vec, width, chains) \
  target static double name(void) \
  { \
    vec    chain[chains]; \
    long   iterations = 1L << 16; \
    double start, end, sink = 0.0, best = 0.0; \
    for (int run = 0; run < MEASURE_RUNS;) { \
      for (int l = 0; l < (chains); l++) chain[l] = (vec){0} + (1.0 + 1e-3 * l); \
      start = BenchSeconds(cpu_clock); \
      for (long it = 0; it < iterations; it++) { \
        _Pragma("GCC unroll 32") /* every chain in its own register */ \
        for (int l = 0; l < (chains); l++) chain[l] = chain[l] * 0.9999999 + 1e-7; \
      } \
      end = BenchSeconds(cpu_clock); \
      for (int l = 0; l < (chains); l++) \
        for (int k = 0; k < (width); k++) sink += chain[l][k]; \
      if (end - start < 0.05) iterations *= 2; /* calibrating */ \
      else { \
        best = PetscMax(best, 2.0 * (width) * (chains) * (double)iterations / (end - start)); \
        run++; \
      } \
    } \
    return isfinite(sink) ? best : 0.0; \
  }
DEFINE_PEAK_MUL_ADD(PeakMulAddBaseline, , BenchVec2, 2, 12)
#if RD_KERNEL_DISPATCH
DEFINE_PEAK_MUL_ADD(PeakMulAddAVX2, RD_KERNEL_TARGET_AVX2, BenchVec4, 4, 12)
DEFINE_PEAK_MUL_ADD(PeakMulAddAVX512, RD_KERNEL_TARGET_AVX512, BenchVec8, 8, 16)
#endif

/* Bandwidth of read+write sweeps w <- alpha w + beta u (the shape of the weight updates, 16 bytes
 * per element) over a working set of `count` doubles (the size of W1 + W2), repeated so that it
 * stays wherever the weights stay in the cache hierarchy. */
RD_KERNEL_INLINE double BandwidthLoop(double *w, size_t count)
{
  const double u[16] = {0, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3, 1e-2, 1.1e-2, 1.2e-2, 1.3e-2, 1.4e-2, 1.5e-2};
  long         sweeps = 16;
  double       start, end, best = 0.0;

  for (int run = 0; run < MEASURE_RUNS;) {
    start = BenchSeconds(cpu_clock);
    for (long s = 0; s < sweeps; s++)
      for (size_t i = 0; i < count; i += 16)
        for (int l = 0; l < 16; l++) w[i + l] = 0.999 * w[i + l] + 1e-3 * u[l];
    end = BenchSeconds(cpu_clock);
    if (end - start < 0.05) sweeps *= 2; /* calibrating */
    else {
      best = PetscMax(best, 16.0 * (double)count * (double)sweeps / (end - start));
      run++;
    }
  }
  return isfinite(w[count / 2]) ? best : 0.0;
}
static double BandwidthBaseline(double *w, size_t count)
{
  return BandwidthLoop(w, count);
}
#if RD_KERNEL_DISPATCH
RD_KERNEL_TARGET_AVX2 static double BandwidthAVX2(double *w, size_t count)
{
  return BandwidthLoop(w, count);
}
RD_KERNEL_TARGET_AVX512 static double BandwidthAVX512(double *w, size_t count)
{
  return BandwidthLoop(w, count);
}
#endif

/* Mul+add peak and read+write bandwidth in the ISA the kernel runs. */
static PetscErrorCode MeasureMachine(size_t count, double *peak, double *bandwidth)
{
  double *w;

  PetscFunctionBeginUser;
  count = (count + 15) / 16 * 16;
  PetscCall(PetscMalloc1(count, &w));
  for (size_t i = 0; i < count; i++) w[i] = 1.0 / (1.0 + (double)(i % 97));
  switch (RdKernelIsaActive()) {
#if RD_KERNEL_DISPATCH
  case RD_KERNEL_ISA_AVX512:
    *peak      = PeakMulAddAVX512();
    *bandwidth = BandwidthAVX512(w, count);
    break;
  case RD_KERNEL_ISA_AVX2:
    *peak      = PeakMulAddAVX2();
    *bandwidth = BandwidthAVX2(w, count);
    break;
#endif
  default:
    *peak      = PeakMulAddBaseline();
    *bandwidth = BandwidthBaseline(w, count);
  }
  PetscCheck(*peak > 0 && *bandwidth > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "peak or bandwidth loop produced a non-finite value");
  PetscCall(PetscFree(w));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Trains a fixed configuration (dropout, input noise; batch 1 and 3) and prints a hash of the
 * final weights' bits per width: equal hashes = bit-identical trajectories. */
static PetscErrorCode PrintChecksums(const PetscInt *widths, PetscInt n_widths, PetscInt n, PetscInt d, PetscInt num_stimuli, PetscInt nsteps)
{
  PetscFunctionBeginUser;
  for (PetscInt w = 0; w < n_widths; w++)
    for (PetscInt batch = 1; batch <= 3; batch += 2) {
      RdLinearHyper hyper = {.lr = 0.02, .weight_decay = 0.01, .dropout = 0.3, .input_noise = 0.1, .batch = batch};
      RdTask        task;
      RdLinearNet   net;
      RdStream      init, sampling, noise;
      uint64_t      hash = 1469598103934665603ULL; /* FNV-1a over the bytes of W1 then W2 */
      PetscCall(RdTaskCreateRandom(num_stimuli, n, d, num_stimuli > 1 ? 0.5 : 1.0, 2, 0, &task));
      PetscCall(RdLinearNetCreate(n, widths[w], d, &net));
      RdStreamInit(&init, 2, 0, RD_PURPOSE_INIT);
      RdStreamInit(&sampling, 2, 0, RD_PURPOSE_SGD_SAMPLING);
      RdStreamInit(&noise, 2, 0, RD_PURPOSE_TRAIN_NOISE);
      RdLinearNetInit(&net, 1.0, &init);
      const PetscInt done = RdLinearTrain(&net, &hyper, &task, nsteps, &sampling, &noise);
      const double  *layers[2] = {net.W1, net.W2};
      const size_t   sizes[2]  = {(size_t)widths[w] * n, (size_t)d * widths[w]};
      for (int l = 0; l < 2; l++) {
        const unsigned char *bytes = (const unsigned char *)layers[l];
        for (size_t i = 0; i < sizes[l] * sizeof(double); i++) hash = (hash ^ bytes[i]) * 1099511628211ULL;
      }
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "checksum width %" PetscInt_FMT " batch %" PetscInt_FMT " steps %" PetscInt_FMT ": %016llx\n", widths[w], batch, done, (unsigned long long)hash));
      PetscCall(RdLinearNetDestroy(&net));
      PetscCall(RdTaskDestroy(&task));
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

static const char *Verdict(int met)
{
  return met ? "met" : "NOT met";
}

/* One setting's table: steps/s, us/step, GFLOP/s and, with numpy's rates, the ratio. */
static PetscErrorCode PrintTable(const char *title, const PetscInt *widths, PetscInt n_widths, PetscInt n, PetscInt d, PetscBool dropout, const double *rate, const PetscReal *numpy_rate)
{
  PetscFunctionBeginUser;
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%s\n", title));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%8s %14s %10s %9s %14s %9s\n", "width", "steps/s", "us/step", "GFLOP/s", "numpy steps/s", "C/numpy"));
  for (PetscInt w = 0; w < n_widths; w++) {
    const StepCost cost = CostOfStep(n, widths[w], d, dropout);
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%8" PetscInt_FMT " %14.4g %10.3f %9.2f", widths[w], rate[w], 1e6 / rate[w], rate[w] * cost.flops * 1e-9));
    if (numpy_rate) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %14.4g %9.1f\n", numpy_rate[w], rate[w] / numpy_rate[w]));
    else PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %14s %9s\n", "-", "-"));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscInt      widths[MAX_WIDTHS] = {16, 64, 256, 1024}, n_widths = MAX_WIDTHS, n_numpy_clean = MAX_WIDTHS, n_numpy_noisy = MAX_WIDTHS;
  PetscInt      input_dim = 16, output_dim = 16, num_stimuli = 8, target_width = 1024, checksum_steps = 0, target_index = -1, small_index = -1;
  PetscReal     numpy_clean[MAX_WIDTHS], numpy_noisy[MAX_WIDTHS], seconds = 2.0;
  RdLinearHyper clean = {.lr = 0.01, .weight_decay = 0.01, .dropout = 0.0, .input_noise = 0.0, .batch = 1}, noisy;
  PetscBool     have_widths, have_clean, have_noisy, have_isa, have_clock, report_targets = PETSC_TRUE;
  double        rate_clean[MAX_WIDTHS], rate_noisy[MAX_WIDTHS];
  char          isa_name[32] = "", clock_name[16] = "cpu";

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  noisy = (RdLinearHyper){.lr = 0.01, .weight_decay = 0.01, .dropout = 0.5, .input_noise = 0.1, .batch = 1};
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-widths", widths, &n_widths, &have_widths));
  if (!have_widths) n_widths = 4;
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-input_dim", &input_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-output_dim", &output_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-num_stimuli", &num_stimuli, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-target_width", &target_width, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-dropout", &noisy.dropout, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-input_noise", &noisy.input_noise, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-lr", &clean.lr, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-weight_decay", &clean.weight_decay, NULL));
  noisy.lr           = clean.lr;
  noisy.weight_decay = clean.weight_decay;
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-seconds", &seconds, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-checksum_steps", &checksum_steps, NULL));
  PetscCall(PetscOptionsGetRealArray(NULL, NULL, "-numpy_noiseless", numpy_clean, &n_numpy_clean, &have_clean));
  PetscCall(PetscOptionsGetRealArray(NULL, NULL, "-numpy_noisy", numpy_noisy, &n_numpy_noisy, &have_noisy));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-isa", isa_name, sizeof(isa_name), &have_isa));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-clock", clock_name, sizeof(clock_name), &have_clock));
  PetscCall(PetscOptionsGetBool(NULL, NULL, "-report_targets", &report_targets, NULL));
  PetscCheck(!have_clean || n_numpy_clean == n_widths, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-numpy_noiseless needs one value per -widths entry (%" PetscInt_FMT " vs %" PetscInt_FMT ")", n_numpy_clean, n_widths);
  PetscCheck(!have_noisy || n_numpy_noisy == n_widths, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-numpy_noisy needs one value per -widths entry (%" PetscInt_FMT " vs %" PetscInt_FMT ")", n_numpy_noisy, n_widths);
  PetscCheck(noisy.dropout >= 0.0 && noisy.dropout < 1.0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-dropout must lie in [0, 1)");
  PetscCheck(!strcmp(clock_name, "cpu") || !strcmp(clock_name, "wall"), PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-clock must be cpu or wall (got %s)", clock_name);
  cpu_clock = !strcmp(clock_name, "cpu");
  if (have_isa) {
    const char *const names[RD_KERNEL_ISA_COUNT] = {"baseline", "avx2", "avx512"};
    int               found                      = -1;
    for (int i = 0; i < RD_KERNEL_ISA_COUNT; i++)
      if (!strcmp(isa_name, names[i])) found = i;
    PetscCheck(found >= 0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-isa must be baseline, avx2 or avx512 (got %s)", isa_name);
    (void)RdKernelIsaLimit((RdKernelIsa)found);
  }

  if (checksum_steps > 0) {
    PetscCall(PrintChecksums(widths, n_widths, input_dim, output_dim, num_stimuli, checksum_steps));
    PetscCall(PetscFinalize());
    return 0;
  }
  for (PetscInt w = 0; w < n_widths; w++) {
    if (widths[w] == target_width) target_index = w;
    if (widths[w] == TARGET_NOISY_WIDTH_SMALL) small_index = w;
  }

  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "SGD fast kernel, %s copy, one core, %s time: input_dim %" PetscInt_FMT ", output_dim %" PetscInt_FMT ", %" PetscInt_FMT " stimuli, batch 1\n", RdKernelIsaName(RdKernelIsaActive()), cpu_clock ? "thread CPU" : "wall-clock", input_dim, output_dim, num_stimuli));
  for (PetscInt w = 0; w < n_widths; w++) {
    PetscCall(MeasureSteps(input_dim, widths[w], output_dim, num_stimuli, &clean, &noisy, seconds, &rate_clean[w], &rate_noisy[w]));
  }
  PetscCall(PrintTable("noiseless (theory setting: no dropout, no input noise)", widths, n_widths, input_dim, output_dim, PETSC_FALSE, rate_clean, have_clean ? numpy_clean : NULL));
  {
    char title[128];
    PetscCall(PetscSNPrintf(title, sizeof(title), "noisy (dropout %g, input noise %g: per step %" PetscInt_FMT " normal and width uniform draws)", noisy.dropout, noisy.input_noise, input_dim));
    PetscCall(PrintTable(title, widths, n_widths, input_dim, output_dim, noisy.dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE, rate_noisy, have_noisy ? numpy_noisy : NULL));
  }

  if (target_index >= 0) {
    const PetscInt m       = widths[target_index];
    const StepCost cost    = CostOfStep(input_dim, m, output_dim, PETSC_FALSE);
    const double   weights = (double)m * (double)(input_dim + output_dim);
    double         peak = 0.0, bandwidth = 0.0, fma_peak = 0.0; /* set below */
    const char    *fma_isa = "not measured (no -march=native)";
    PetscCall(MeasureMachine((size_t)weights, &peak, &bandwidth));
#if defined(REPDRIFT_BENCH_NATIVE_PEAK)
    fma_peak = PeakFmaNative(cpu_clock, &fma_isa);
#endif
    const double intensity = cost.flops / cost.bytes, roof = PetscMin(peak, intensity * bandwidth), achieved = rate_clean[target_index] * cost.flops;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\nMachine and roofline at width %" PetscInt_FMT ", noiseless (W1 + W2 = %.0f KiB; per step %.0f flops, %.0f bytes, intensity %.3f flop/byte)\n", m, 8.0 * weights / 1024, cost.flops, cost.bytes, intensity));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  hardware FMA peak, -march=native (%s)  %8.2f GFLOP/s\n", fma_isa, fma_peak * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  mul+add peak in the kernel's ISA (%s, no FMA)      %8.2f GFLOP/s\n", RdKernelIsaName(RdKernelIsaActive()), peak * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  read+write sweep of %.0f KiB in that ISA             %8.2f GB/s\n", 8.0 * weights / 1024, bandwidth * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  roofline min(peak, intensity * bandwidth)        %8.2f GFLOP/s (%s-bound)\n", roof * 1e-9, roof < peak ? "bandwidth" : "compute"));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  kernel achieved                                  %8.2f GFLOP/s, %.2f GB/s; %.2f of the roofline\n", achieved * 1e-9, rate_clean[target_index] * cost.bytes * 1e-9, achieved / roof));

    if (!report_targets) {
      PetscCall(PetscFinalize());
      return 0;
    }
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\nTargets, measured in this run\n"));
    if (have_noisy && small_index >= 0) {
      const double ratio = rate_noisy[small_index] / numpy_noisy[small_index];
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noisy SGD / numpy at width %d                 %8.1f  (target >= %.1f: %s)\n", TARGET_NOISY_WIDTH_SMALL, ratio, TARGET_NOISY_RATIO_SMALL, Verdict(ratio >= TARGET_NOISY_RATIO_SMALL)));
    }
    if (have_noisy) {
      const double ratio = rate_noisy[target_index] / numpy_noisy[target_index];
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noisy SGD / numpy at width %-6" PetscInt_FMT "             %8.1f  (target >= %.1f: %s)\n", m, ratio, TARGET_NOISY_RATIO_LARGE, Verdict(ratio >= TARGET_NOISY_RATIO_LARGE)));
    }
    {
      const double cost_ratio = rate_clean[target_index] / rate_noisy[target_index];
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noisy step / noiseless step at width %-6" PetscInt_FMT "   %8.2f  (target <= %.1f: %s)\n", m, cost_ratio, TARGET_NOISE_COST, Verdict(cost_ratio <= TARGET_NOISE_COST)));
    }
    if (fma_peak > 0.0) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noiseless kernel / FMA peak at width %-6" PetscInt_FMT "   %8.2f  (target >= %.1f: %s)\n", m, achieved / fma_peak, TARGET_PEAK_FRACTION, Verdict(achieved / fma_peak >= TARGET_PEAK_FRACTION)));
    if (have_clean && small_index >= 0) {
      const double ratio = rate_clean[small_index] / numpy_clean[small_index];
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noiseless SGD / numpy at width %d             %8.1f  (target >= %.1f: %s)\n", TARGET_NOISY_WIDTH_SMALL, ratio, TARGET_NOISELESS_RATIO_SMALL, Verdict(ratio >= TARGET_NOISELESS_RATIO_SMALL)));
    }
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  noiseless kernel / roofline at width %-6" PetscInt_FMT "    %8.2f  (target >= %.2f: %s)\n", m, achieved / roof, TARGET_ROOFLINE_FRACTION, Verdict(achieved / roof >= TARGET_ROOFLINE_FRACTION)));
  }
  PetscCall(PetscFinalize());
  return 0;
}
