/* SGD throughput of the linear network's fast kernel (RdLinearTrain), compared with numpy and with
 * this core's roofline.
 *
 *   bench_sgd [-widths 16,64,256,1024] [-input_dim 16] [-output_dim 16] [-num_stimuli 8]
 *             [-dropout 0] [-input_noise 0] [-lr 0.01] [-weight_decay 0.01] [-seconds 2]
 *             [-numpy_steps_per_second r1,r2,...] [-roofline_width 1024]
 *
 * One process, one core. For each width: steps/s of RdLinearTrain (best of three timed runs of
 * about seconds/3 each, after a calibration run), the FLOP and byte rates it implies, and the ratio
 * to numpy's steps/s (measured by bench/numpy_sgd.py in the same bench/run.sh invocation and passed
 * in). At -roofline_width it also measures, on this core, the peak mul+add rate and the bandwidth
 * of a sweep over as many bytes as W1 + W2, both compiled for the instruction set the kernel
 * dispatches to (AVX2 or the SSE2 baseline, see src/models/linear.c), and reports the kernel's
 * fraction of min(peak, intensity * bandwidth).
 *
 * -checksum_steps N instead trains a fixed configuration for N steps at each width and prints a
 * hash of the final weights' bits; bench/run.sh compares the hashes of the dispatching build and
 * of a build with REPDRIFT_PORTABLE_KERNEL to confirm both instruction sets give the same bits.
 *
 * Work per step (batch 1, counted as in src/models/linear.c; n = input_dim, m = width,
 * d = output_dim; a multiply and an add are one flop each, no FMA is used):
 *   flops = 5mn + 7dm + m + d           (+2m with dropout: the mask in the forward and backward)
 *   bytes = 8dm read-only               (output forward pass e = y - W2 hd)
 *         + 16(mn + dm) read+write      (fused backward/update of W2; W1 update fused with the
 *                                        next step's h = W1 x)
 * Random draws (one uniform per step, + n normals with input noise, + m uniforms with dropout) are
 * not counted as flops; the default configuration (no dropout, no input noise) has almost none. */
#include <repdrift/models/linear.h>
#include <math.h>

#define MAX_WIDTHS 16
/* The performance targets this benchmark reports against. */
#define TARGET_NUMPY_WIDTH 64
#define TARGET_NUMPY_RATIO 30.0
#define TARGET_ROOFLINE_FRACTION (1.0 / 3.0)
/* Independent mul-add chains in the peak loop: the mul and add latencies (3 + 3 cycles) times
 * the two mul and two add pipes, in vectors of the ISA: 12 vectors, 14 of the 16 registers. */
#define PEAK_CHAINS_SSE2 24
#define PEAK_CHAINS_AVX2 48
/* Partial sums of the read sweep: more vectors than add latency x add pipes. */
#define READ_LANES 32

/* The same test as src/models/linear.c: is the kernel running its AVX2 copy? The peak and the
 * bandwidth loops below are compiled for that ISA too. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(REPDRIFT_PORTABLE_KERNEL)
  #define BENCH_AVX2_DISPATCH 1
  #define BENCH_INLINE static inline __attribute__((always_inline))
#else
  #define BENCH_AVX2_DISPATCH 0
  #define BENCH_INLINE static inline
#endif

#if defined(REPDRIFT_BENCH_NATIVE_PEAK)
/* bench/peak_native.c, compiled for this machine's full instruction set. */
double PeakFmaNative(long iterations, int *chains_out);
#endif

/* Work of one batch-1 step, counted as in the header comment. */
typedef struct {
  double flops, bytes_read, bytes_rw;
} StepCost;

static StepCost CostOfStep(PetscInt n, PetscInt m, PetscInt d, PetscBool dropout)
{
  StepCost c;
  c.flops      = 5.0 * m * n + 7.0 * d * m + m + d + (dropout ? 2.0 * m : 0.0);
  c.bytes_read = 8.0 * (double)d * m;
  c.bytes_rw   = 16.0 * ((double)m * n + (double)d * m);
  return c;
}

/* Runs RdLinearTrain for nsteps and returns the seconds it took; fails if the run diverged. */
static PetscErrorCode TimeTrain(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise, double *seconds)
{
  PetscLogDouble start, end;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&start));
  PetscInt done = RdLinearTrain(net, hyper, task, nsteps, sampling, noise);
  PetscCall(PetscTime(&end));
  PetscCheck(done == nsteps, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "SGD diverged after %" PetscInt_FMT " steps: lower -lr", done);
  *seconds = end - start;
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Steps per second of the fast kernel at one width: calibrate, then best of three runs. */
static PetscErrorCode MeasureSteps(PetscInt n, PetscInt m, PetscInt d, PetscInt num_stimuli, const RdLinearHyper *hyper, double seconds, double *steps_per_second)
{
  RdTask      task;
  RdLinearNet net;
  RdStream    init, sampling, noise;
  PetscInt    steps = 64;
  double      elapsed;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(num_stimuli, n, d, num_stimuli > 1 ? 0.5 : 1.0, 1, 0, &task));
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdStreamInit(&sampling, 1, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  RdLinearNetInit(&net, 1.0, &init);
  for (;;) {
    PetscCall(TimeTrain(&net, hyper, &task, steps, &sampling, &noise, &elapsed));
    if (elapsed > 0.05) break;
    steps *= 2;
  }
  steps = (PetscInt)PetscMax(1.0, steps * (seconds / 3.0) / elapsed);
  *steps_per_second = 0.0;
  for (int rep = 0; rep < 3; rep++) {
    PetscCall(TimeTrain(&net, hyper, &task, steps, &sampling, &noise, &elapsed));
    *steps_per_second = PetscMax(*steps_per_second, steps / elapsed);
  }
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Dependent multiply-then-add chains (2 flops per element and iteration); returns the flop rate. */
BENCH_INLINE double PeakLoop(long iterations, int chains)
{
  double         chain[PEAK_CHAINS_AVX2], a = 0.9999999, b = 1e-7, sink = 0.0;
  PetscLogDouble start, end;

  for (;;) {
    for (int l = 0; l < chains; l++) chain[l] = 1.0 + 1e-3 * l;
    (void)PetscTime(&start);
    for (long it = 0; it < iterations; it++)
      for (int l = 0; l < chains; l++) chain[l] = chain[l] * a + b;
    (void)PetscTime(&end);
    for (int l = 0; l < chains; l++) sink += chain[l];
    if (end - start > 0.3) break;
    iterations *= 2;
  }
  /* the chains converge to b / (1 - a): finite, and the sum keeps the loop alive */
  return isfinite(sink) ? 2.0 * chains * (double)iterations / (end - start) : 0.0;
}

/* Bandwidth of sweeps over a working set of `count` doubles (the size of W1 + W2), repeated so
 * that it stays wherever the weights stay in the cache hierarchy:
 *   read:       sum of the array in READ_LANES independent partial sums (8 bytes per element)
 *   read+write: w <- alpha w + beta u, the shape of the weight updates (16 bytes per element) */
BENCH_INLINE void BandwidthLoops(double *w, size_t count, double *read_bytes_per_second, double *rw_bytes_per_second)
{
  const double   u[16] = {0, 1e-3, 2e-3, 3e-3, 4e-3, 5e-3, 6e-3, 7e-3, 8e-3, 9e-3, 1e-2, 1.1e-2, 1.2e-2, 1.3e-2, 1.4e-2, 1.5e-2};
  double         sink = 0.0;
  long           sweeps;
  PetscLogDouble start, end;

  for (sweeps = 16;; sweeps *= 2) {
    (void)PetscTime(&start);
    for (long s = 0; s < sweeps; s++) {
      double lane[READ_LANES] = {0.0};
      for (size_t i = 0; i < count; i += READ_LANES)
        for (int l = 0; l < READ_LANES; l++) lane[l] += w[i + l];
      for (int l = 0; l < READ_LANES; l++) sink += lane[l];
    }
    (void)PetscTime(&end);
    if (end - start > 0.3) break;
  }
  *read_bytes_per_second = isfinite(sink) ? 8.0 * (double)count * (double)sweeps / (end - start) : 0.0;
  for (sweeps = 16;; sweeps *= 2) {
    (void)PetscTime(&start);
    for (long s = 0; s < sweeps; s++)
      for (size_t i = 0; i < count; i += 16)
        for (int l = 0; l < 16; l++) w[i + l] = 0.999 * w[i + l] + 1e-3 * u[l];
    (void)PetscTime(&end);
    if (end - start > 0.3) break;
  }
  *rw_bytes_per_second = isfinite(w[count / 2]) ? 16.0 * (double)count * (double)sweeps / (end - start) : 0.0;
}

static double PeakBaseline(void)
{
  return PeakLoop(1L << 20, PEAK_CHAINS_SSE2);
}
static void BandwidthBaseline(double *w, size_t count, double *read_bw, double *rw_bw)
{
  BandwidthLoops(w, count, read_bw, rw_bw);
}
#if BENCH_AVX2_DISPATCH
__attribute__((target("avx2"))) static double PeakAVX2(void)
{
  return PeakLoop(1L << 20, PEAK_CHAINS_AVX2);
}
__attribute__((target("avx2"))) static void BandwidthAVX2(double *w, size_t count, double *read_bw, double *rw_bw)
{
  BandwidthLoops(w, count, read_bw, rw_bw);
}
#endif

/* Peak and bandwidths for the ISA the kernel uses; *isa names it. */
static PetscErrorCode MeasureMachine(size_t count, double *peak, double *read_bw, double *rw_bw, const char **isa)
{
  double *w;

  PetscFunctionBeginUser;
  PetscCheck(count % 16 == 0 && count % READ_LANES == 0, PETSC_COMM_SELF, PETSC_ERR_ARG_SIZ, "bandwidth sweep needs a multiple of %d doubles", READ_LANES);
  PetscCall(PetscMalloc1(count, &w));
  for (size_t i = 0; i < count; i++) w[i] = 1.0 / (1.0 + (double)(i % 97));
  *isa = "SSE2 (baseline)";
#if BENCH_AVX2_DISPATCH
  if (__builtin_cpu_supports("avx2")) {
    *isa  = "AVX2";
    *peak = PeakAVX2();
    BandwidthAVX2(w, count, read_bw, rw_bw);
  } else
#endif
  {
    *peak = PeakBaseline();
    BandwidthBaseline(w, count, read_bw, rw_bw);
  }
  PetscCheck(*peak > 0 && *read_bw > 0 && *rw_bw > 0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "peak or bandwidth loop produced a non-finite value");
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

int main(int argc, char **argv)
{
  PetscInt      widths[MAX_WIDTHS] = {16, 64, 256, 1024}, n_widths = MAX_WIDTHS, n_numpy = MAX_WIDTHS;
  PetscInt      input_dim = 16, output_dim = 16, num_stimuli = 8, roofline_width = 1024, checksum_steps = 0;
  PetscReal     numpy_rate[MAX_WIDTHS], seconds = 2.0;
  RdLinearHyper hyper = {.lr = 0.01, .weight_decay = 0.01, .dropout = 0.0, .input_noise = 0.0, .batch = 1};
  PetscBool     have_widths, have_numpy;
  double        rate[MAX_WIDTHS];

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-widths", widths, &n_widths, &have_widths));
  if (!have_widths) n_widths = 4;
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-input_dim", &input_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-output_dim", &output_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-num_stimuli", &num_stimuli, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-roofline_width", &roofline_width, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-dropout", &hyper.dropout, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-input_noise", &hyper.input_noise, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-lr", &hyper.lr, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-weight_decay", &hyper.weight_decay, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-seconds", &seconds, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-checksum_steps", &checksum_steps, NULL));
  PetscCall(PetscOptionsGetRealArray(NULL, NULL, "-numpy_steps_per_second", numpy_rate, &n_numpy, &have_numpy));
  PetscCheck(!have_numpy || n_numpy == n_widths, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-numpy_steps_per_second needs one value per -widths entry (%" PetscInt_FMT " vs %" PetscInt_FMT ")", n_numpy, n_widths);
  PetscCheck(hyper.dropout >= 0.0 && hyper.dropout < 1.0, PETSC_COMM_WORLD, PETSC_ERR_USER_INPUT, "-dropout must lie in [0, 1)");

  if (checksum_steps > 0) {
    PetscCall(PrintChecksums(widths, n_widths, input_dim, output_dim, num_stimuli, checksum_steps));
    PetscCall(PetscFinalize());
    return 0;
  }
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "SGD fast kernel, one core: input_dim %" PetscInt_FMT ", output_dim %" PetscInt_FMT ", %" PetscInt_FMT " stimuli, dropout %g, input noise %g, batch 1\n", input_dim, output_dim, num_stimuli, hyper.dropout, hyper.input_noise));
  PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%8s %14s %10s %9s %9s %14s %9s\n", "width", "steps/s", "us/step", "GFLOP/s", "GB/s", "numpy steps/s", "C/numpy"));
  for (PetscInt w = 0; w < n_widths; w++) {
    StepCost cost = CostOfStep(input_dim, widths[w], output_dim, hyper.dropout > 0.0);
    PetscCall(MeasureSteps(input_dim, widths[w], output_dim, num_stimuli, &hyper, seconds, &rate[w]));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "%8" PetscInt_FMT " %14.4g %10.3f %9.2f %9.1f", widths[w], rate[w], 1e6 / rate[w], rate[w] * cost.flops * 1e-9, rate[w] * (cost.bytes_read + cost.bytes_rw) * 1e-9));
    if (have_numpy) PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %14.4g %9.1f\n", numpy_rate[w], rate[w] / numpy_rate[w]));
    else PetscCall(PetscPrintf(PETSC_COMM_WORLD, " %14s %9s\n", "-", "-"));
  }
  for (PetscInt w = 0; w < n_widths && have_numpy; w++)
    if (widths[w] == TARGET_NUMPY_WIDTH) PetscCall(PetscPrintf(PETSC_COMM_WORLD, "target C/numpy >= %g at width %d: %.1f (%s)\n", TARGET_NUMPY_RATIO, TARGET_NUMPY_WIDTH, rate[w] / numpy_rate[w], rate[w] / numpy_rate[w] >= TARGET_NUMPY_RATIO ? "met" : "NOT met"));

  for (PetscInt w = 0; w < n_widths; w++) {
    if (widths[w] != roofline_width) continue;
    StepCost     cost = CostOfStep(input_dim, widths[w], output_dim, hyper.dropout > 0.0);
    const size_t weights = (size_t)widths[w] * (size_t)(input_dim + output_dim);
    double       peak = 0.0, read_bw = 0.0, rw_bw = 0.0; /* set by MeasureMachine */
    const char  *isa  = NULL;
    PetscCall(MeasureMachine((weights + READ_LANES - 1) / READ_LANES * READ_LANES, &peak, &read_bw, &rw_bw, &isa));
    /* memory time of one step with each pass at the bandwidth of its kind, and the equivalent
     * single bandwidth for intensity * bandwidth */
    const double bytes      = cost.bytes_read + cost.bytes_rw;
    const double mem_time   = cost.bytes_read / read_bw + cost.bytes_rw / rw_bw;
    const double bandwidth  = bytes / mem_time;
    const double intensity  = cost.flops / bytes;
    const double roof       = PetscMin(peak, intensity * bandwidth);
    const double achieved   = rate[w] * cost.flops;
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "\nRoofline at width %" PetscInt_FMT " (W1 + W2 = %.0f KiB; per step %.0f flops, %.0f bytes, intensity %.3f flop/byte)\n", widths[w], 8.0 * weights / 1024, cost.flops, bytes, intensity));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  kernel's instruction set                      %s\n", isa));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  peak mul+add in that ISA                      %8.2f GFLOP/s\n", peak * 1e-9));
#if defined(REPDRIFT_BENCH_NATIVE_PEAK)
    {
      int          chains;
      const double native = PeakFmaNative(1L << 24, &chains);
      PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  peak fma(), -march=native (hardware; context)  %8.2f GFLOP/s (%d chains); kernel reaches %.2f of it\n", native * 1e-9, chains, rate[w] * cost.flops / native));
    }
#endif
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  bandwidth, read sweep of %.0f KiB             %8.2f GB/s\n", 8.0 * weights / 1024, read_bw * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  bandwidth, read+write sweep of %.0f KiB       %8.2f GB/s\n", 8.0 * weights / 1024, rw_bw * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  kernel's pass mix at those bandwidths         %8.2f GB/s\n", bandwidth * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  roofline min(peak, intensity * bandwidth)     %8.2f GFLOP/s (%s-bound)\n", roof * 1e-9, roof < peak ? "bandwidth" : "compute"));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  kernel achieved                               %8.2f GFLOP/s, %.2f GB/s\n", achieved * 1e-9, rate[w] * bytes * 1e-9));
    PetscCall(PetscPrintf(PETSC_COMM_WORLD, "  fraction of roofline                          %8.2f  (target >= %.2f: %s)\n", achieved / roof, TARGET_ROOFLINE_FRACTION, achieved / roof >= TARGET_ROOFLINE_FRACTION ? "met" : "NOT met"));
  }
  PetscCall(PetscFinalize());
  return 0;
}
