/* Two-layer linear network trained by online SGD: the hot loop of repdrift (RdLinearTrain), its
 * slow reference, the per-sample gradient, the closed-form population loss and the probe.
 *
 * Determinism: every reduction below has an order fixed in the source (no -ffast-math, strict
 * C11 so no FMA contraction), hence results do not depend on the vector width the compiler picks
 * and a run is bit-reproducible. The fast kernel and the reference sum in different orders, so
 * they agree to rounding only.
 *
 * The fast online kernel (batch 1) works on a packed copy of the weights, eight hidden units per
 * block: block b holds W1[8b..8b+7][j] for every input j, then W2[r][8b..8b+7] for every output r,
 * each as one 8-double vector (GNU C vector extension; one AVX-512 register, two AVX2 registers,
 * four SSE2 registers). In that layout one sweep per step does everything -- W2's backward pass and
 * update, W1's update, the next presentation's hidden vector h = W1 x and its output sums W2 hd --
 * so each weight is read and written once per step, every lane of a vector is an independent hidden
 * unit, and every sum keeps the order of the plain loops it replaces (documented at each). */
#include "../kernel_dispatch.h" /* first: no FMA contraction in anything below */
#include <repdrift/models/linear.h>
#include <repdrift/dense.h>
#include <math.h>
#include <string.h>

/* Hidden units per packed block: the lanes of one AVX-512 vector, and the eight partial sums of
 * the output dot product (OutputDot), which the packed kernel keeps one lane per column j mod 8. */
#define LANES 8
/* The instruction sets' native vectors of doubles (GNU C vector extension; loads and stores by
 * memcpy, which compiles to single unaligned moves). */
typedef double RdVec2 __attribute__((vector_size(2 * sizeof(double))));
typedef double RdVec4 __attribute__((vector_size(4 * sizeof(double))));
typedef double RdVec8 __attribute__((vector_size(8 * sizeof(double))));

/* Views into net->work. The fast kernel, the reference, the per-sample gradient and the
 * population loss each use their own region, so the reference may call RdLinearSampleGradient
 * while its presented input and dropout scales still live in the work array. Every region starts
 * on a 64-byte boundary; [mp] regions are padded to whole blocks (mp = 8 ceil(m / 8)). */
typedef struct {
  double *x, *x_next;        /* [n] presented (noisy) input, this step's and the next one's */
  double *keep, *keep_next;  /* [mp] dropout scale keep_j / (1 - q), this step's and the next one's */
  double *h;                 /* [mp] W1 x */
  double *hd, *hd_next;      /* [mp] hidden after dropout, this step's and the next one's */
  double *e, *e_next;        /* [d] y - W2 hd, this step's and the next one's */
  double *gain;              /* [d] lr e */
  double *back;              /* [m] batch path: W2^T e, then the W1 row coefficients */
  double *acc_W1;            /* [m][n] batch sums of the W1 update (fast) / gradient (reference) */
  double *acc_W2;            /* [d][m] */
  double *grad_W1;           /* [m][n] reference: one presentation's gradient */
  double *grad_W2;           /* [d][m] */
  double *packed;            /* [mp / 8][n + d][8] the packed weights of the online kernel */
  double *output_sums;       /* [d][8] the eight partial sums of each output row's dot product */
  double *sg_h, *sg_hd, *sg_e, *sg_back; /* RdLinearSampleGradient: [m], [m], [d], [m] */
  double *pl_A, *pl_col, *pl_row;        /* RdLinearPopulationLoss: [d][n], [m], [m] */
} LinearWork;

static size_t RoundUpToLanes(size_t count)
{
  return (count + LANES - 1) / LANES * LANES;
}

/* Lays the regions of LinearWork out one after another from base and returns the total length
 * in doubles; with base NULL it only counts (RdLinearNetCreate sizes net->work with it). */
static size_t LinearWorkCarve(PetscInt input_dim, PetscInt width, PetscInt output_dim, double *base, LinearWork *w)
{
  const size_t n = (size_t)input_dim, m = (size_t)width, d = (size_t)output_dim, mp = RoundUpToLanes(m);
  double     **region[] = {&w->x, &w->x_next, &w->keep, &w->keep_next, &w->h, &w->hd, &w->hd_next, &w->e, &w->e_next, &w->gain, &w->back, &w->acc_W1, &w->acc_W2, &w->grad_W1, &w->grad_W2, &w->packed, &w->output_sums, &w->sg_h, &w->sg_hd, &w->sg_e, &w->sg_back, &w->pl_A, &w->pl_col, &w->pl_row};
  size_t       length[] = {n, n, mp, mp, mp, mp, mp, d, d, d, m, m * n, d * m, m * n, d * m, mp * (n + d), d * LANES, m, m, d, m, d * n, m, m};
  const size_t count    = sizeof(length) / sizeof(length[0]);
  for (size_t r = 0; r < count; r++) length[r] = RoundUpToLanes(length[r]); /* 64-byte starts */
  return RdCarve(base, region, length, count);
}

static LinearWork LinearWorkViews(const RdLinearNet *net)
{
  LinearWork w;
  /* net->work has LANES doubles more than the regions need: room to start on a 64-byte boundary */
  double *base = net->work + (LANES - ((uintptr_t)net->work / sizeof(double)) % LANES) % LANES;
  (void)LinearWorkCarve(net->input_dim, net->width, net->output_dim, base, &w);
  return w;
}

PetscErrorCode RdLinearNetCreate(PetscInt input_dim, PetscInt width, PetscInt output_dim, RdLinearNet *net)
{
  PetscFunctionBeginUser;
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_dim must be at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCheck(width >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Every -sweep_width value must be at least 1 (got %" PetscInt_FMT ")", width);
  PetscCheck(output_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-output_dim must be at least 1 (got %" PetscInt_FMT ")", output_dim);
  net->input_dim  = input_dim;
  net->width      = width;
  net->output_dim = output_dim;
  PetscCall(PetscCalloc1((size_t)width * (size_t)input_dim, &net->W1));
  PetscCall(PetscCalloc1((size_t)output_dim * (size_t)width, &net->W2));
  LinearWork count_only;
  PetscCall(PetscCalloc1(LinearWorkCarve(input_dim, width, output_dim, NULL, &count_only) + LANES, &net->work));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdLinearNetDestroy(RdLinearNet *net)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(net->W1));
  PetscCall(PetscFree(net->W2));
  PetscCall(PetscFree(net->work));
  net->input_dim = net->width = net->output_dim = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

void RdLinearNetInit(RdLinearNet *net, double scale, RdStream *init)
{
  const size_t n = (size_t)net->input_dim, m = (size_t)net->width, d = (size_t)net->output_dim;
  const double sd1 = scale / sqrt((double)n), sd2 = scale / sqrt((double)m);
  for (size_t i = 0; i < m * n; i++) net->W1[i] = sd1 * RdStreamNormal(init);
  for (size_t i = 0; i < d * m; i++) net->W2[i] = sd2 * RdStreamNormal(init);
}

/* ------------------------------------------------------------------------------------------ */
/* Draws, in the order documented in linear.h.                                                  */

/* Input noise and dropout of one presentation of stimulus xk, one draw at a time (the reference).
 * Returns the presented input: xk itself when there is no input noise (nothing to copy), else
 * x_buf = xk + noise. keep_buf is filled only when use_dropout. */
static const double *DrawPresentationNoise(const double *xk, PetscInt n, PetscInt m, double input_noise, double dropout, PetscBool use_dropout, RdStream *noise, double *restrict x_buf, double *restrict keep_buf)
{
  const double *x = xk;
  if (input_noise > 0.0) {
    for (PetscInt i = 0; i < n; i++) x_buf[i] = xk[i] + input_noise * RdStreamNormal(noise);
    x = x_buf;
  }
  if (use_dropout) {
    const double kept_scale = 1.0 / (1.0 - dropout); /* inverted dropout keeps E[hd] = h */
    for (PetscInt j = 0; j < m; j++) keep_buf[j] = RdStreamUniform(noise) >= dropout ? kept_scale : 0.0;
  }
  return x;
}

/* One training presentation, one draw at a time: stimulus k from the sampling stream, then its
 * input noise and dropout mask from the noise stream. Returns the presented input; *y is the target. */
static const double *DrawPresentation(const RdLinearHyper *hyper, const RdTask *task, PetscInt m, PetscBool use_dropout, RdStream *sampling, RdStream *noise, double *x_buf, double *keep_buf, const double **y)
{
  const PetscInt n = task->input_dim;
  const int      k = RdStreamCategorical(sampling, task->cumulative, (int)task->num_stimuli);
  *y               = task->targets + RD_IDX2(k, 0, task->output_dim);
  return DrawPresentationNoise(task->stimuli + RD_IDX2(k, 0, n), n, m, hyper->input_noise, hyper->dropout, use_dropout, noise, x_buf, keep_buf);
}

/* The same draws by block (RdStreamFillNormal / RdStreamFillKeep return exactly the scalar draws):
 * the fast kernels and the probe. */
typedef struct {
  double    input_noise, kept_scale;
  uint64_t  keep_threshold; /* RdUniformThreshold(dropout) */
  PetscBool use_dropout;
} NoiseDraws;

static NoiseDraws NoiseDrawsOf(double input_noise, double dropout, PetscBool use_dropout)
{
  NoiseDraws draws = {.input_noise = input_noise, .kept_scale = 0.0, .keep_threshold = 0, .use_dropout = use_dropout};
  if (use_dropout) {
    draws.kept_scale     = 1.0 / (1.0 - dropout);
    draws.keep_threshold = RdUniformThreshold(dropout);
  }
  return draws;
}

static const double *DrawNoiseBlock(const NoiseDraws *draws, const double *xk, PetscInt n, PetscInt m, RdStream *noise, double *restrict x_buf, double *restrict keep_buf)
{
  const double *x = xk;
  if (draws->input_noise > 0.0) {
    RdStreamFillNormal(noise, x_buf, (size_t)n);
    for (PetscInt i = 0; i < n; i++) x_buf[i] = xk[i] + draws->input_noise * x_buf[i];
    x = x_buf;
  }
  if (draws->use_dropout) RdStreamFillKeep(noise, draws->keep_threshold, draws->kept_scale, keep_buf, (size_t)m);
  return x;
}

static const double *DrawPresentationBlock(const NoiseDraws *draws, const RdTask *task, PetscInt m, RdStream *sampling, RdStream *noise, double *x_buf, double *keep_buf, const double **y)
{
  const PetscInt n = task->input_dim;
  const int      k = RdStreamCategorical(sampling, task->cumulative, (int)task->num_stimuli);
  *y               = task->targets + RD_IDX2(k, 0, task->output_dim);
  return DrawNoiseBlock(draws, task->stimuli + RD_IDX2(k, 0, n), n, m, noise, x_buf, keep_buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernel, batch > 1, on the plain layout.                                                 */

/* h = W1 x, each row summed in RdDot's order (four partial sums over j mod 4, then
 * (s0 + s1) + (s2 + s3)); PackedHidden and the packed step reproduce that order exactly. */
RD_KERNEL_INLINE void HiddenForward(PetscInt n, PetscInt m, const double *restrict W1, const double *restrict x, double *restrict h)
{
  for (PetscInt i = 0; i < m; i++) h[i] = RdDot(W1 + RD_IDX2(i, 0, n), x, n);
}

/* Dot product of one output row with the hidden vector: eight partial sums over the columns
 * j mod 8 (a tail of fewer than eight columns goes to the first), combined by a fixed tree. The
 * output rows are long (width m), so eight independent chains keep the adders busy; the packed
 * step keeps the eight sums as the lanes of one vector (OutputSumsTree combines them). */
RD_KERNEL_INLINE double OutputDot(const double *restrict a, const double *restrict v, PetscInt len)
{
  double   s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0, s4 = 0.0, s5 = 0.0, s6 = 0.0, s7 = 0.0;
  PetscInt j = 0;
  for (; j + 8 <= len; j += 8) {
    s0 += a[j] * v[j];
    s1 += a[j + 1] * v[j + 1];
    s2 += a[j + 2] * v[j + 2];
    s3 += a[j + 3] * v[j + 3];
    s4 += a[j + 4] * v[j + 4];
    s5 += a[j + 5] * v[j + 5];
    s6 += a[j + 6] * v[j + 6];
    s7 += a[j + 7] * v[j + 7];
  }
  for (; j < len; j++) s0 += a[j] * v[j];
  return ((s0 + s4) + (s2 + s6)) + ((s1 + s5) + (s3 + s7));
}

/* OutputDot's combination of its eight partial sums s[0..7]. */
RD_KERNEL_INLINE double OutputSumsTree(const double *s)
{
  return ((s[0] + s[4]) + (s[2] + s[6])) + ((s[1] + s[5]) + (s[3] + s[7]));
}

/* Output side of the forward pass: hd = keep . h, e = y - W2 hd. Returns the data part of the
 * presented loss, 1/2 |e|^2, and the hidden vector actually used (h or hd). */
RD_KERNEL_INLINE double OutputError(PetscInt m, PetscInt d, const double *restrict W2, const double *restrict h, const double *restrict y, const double *restrict keep, double *restrict hd, double *restrict e, const double **hidden)
{
  double half_sq = 0.0;
  if (keep) {
    for (PetscInt i = 0; i < m; i++) hd[i] = keep[i] * h[i];
    *hidden = hd;
  } else *hidden = h;
  for (PetscInt r = 0; r < d; r++) {
    e[r] = y[r] - OutputDot(W2 + RD_IDX2(r, 0, m), *hidden, m);
    half_sq += e[r] * e[r];
  }
  return 0.5 * half_sq;
}

/* Batch accumulation (batch > 1): back = W2^T e from the current W2 and acc_W2 (=|+=) e hd^T,
 * then acc_W1 (=|+=) coef x^T with coef = keep . back. */
RD_KERNEL_INLINE void AccumulateBatch(PetscInt n, PetscInt m, PetscInt d, PetscBool first, const double *restrict e, const double *restrict hd, const double *restrict W2, double *restrict back, const double *restrict keep, const double *restrict x, double *restrict acc_W1, double *restrict acc_W2)
{
  for (PetscInt j = 0; j < m; j++) back[j] = 0.0;
  for (PetscInt r = 0; r < d; r++) {
    const double er = e[r];
    const double *restrict row = W2 + RD_IDX2(r, 0, m);
    double *restrict acc       = acc_W2 + RD_IDX2(r, 0, m);
    for (PetscInt j = 0; j < m; j++) back[j] += row[j] * er;
    if (first)
      for (PetscInt j = 0; j < m; j++) acc[j] = er * hd[j];
    else
      for (PetscInt j = 0; j < m; j++) acc[j] += er * hd[j];
  }
  for (PetscInt i = 0; i < m; i++) {
    const double ci = keep ? keep[i] * back[i] : back[i];
    double *restrict acc = acc_W1 + RD_IDX2(i, 0, n);
    if (first)
      for (PetscInt j = 0; j < n; j++) acc[j] = ci * x[j];
    else
      for (PetscInt j = 0; j < n; j++) acc[j] += ci * x[j];
  }
}

/* W <- decay W + scale acc over a whole matrix. */
RD_KERNEL_INLINE void ApplyBatch(size_t count, double decay, double scale, const double *restrict acc, double *restrict W)
{
  for (size_t i = 0; i < count; i++) W[i] = decay * W[i] + scale * acc[i];
}

/* Batch > 1: per presentation accumulate e hd^T and (keep . W2^T e) x^T, then one update. */
RD_KERNEL_INLINE PetscInt TrainBatch(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim, batch = hyper->batch;
  const double     decay = 1.0 - hyper->lr * hyper->weight_decay, scale = hyper->lr / (double)batch;
  const PetscBool  use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const NoiseDraws draws       = NoiseDrawsOf(hyper->input_noise, hyper->dropout, use_dropout);
  const LinearWork w           = LinearWorkViews(net);
  const double    *keep        = use_dropout ? w.keep : NULL;
  double *restrict W1 = net->W1, *restrict W2 = net->W2;

  for (PetscInt step = 0; step < nsteps; step++) {
    for (PetscInt b = 0; b < batch; b++) {
      const double *y, *hidden;
      const double *x = DrawPresentationBlock(&draws, task, m, sampling, noise, w.x, w.keep, &y);
      HiddenForward(n, m, W1, x, w.h);
      if (!isfinite(OutputError(m, d, W2, w.h, y, keep, w.hd, w.e, &hidden))) return step;
      AccumulateBatch(n, m, d, b == 0 ? PETSC_TRUE : PETSC_FALSE, w.e, hidden, W2, w.back, keep, x, w.acc_W1, w.acc_W2);
    }
    ApplyBatch((size_t)m * (size_t)n, decay, scale, w.acc_W1, W1);
    ApplyBatch((size_t)d * (size_t)m, decay, scale, w.acc_W2, W2);
  }
  return nsteps;
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernel, batch 1, on the packed layout.                                                  */

/* Block b of the packed weights: W1's n vectors, then W2's d vectors. */
RD_KERNEL_INLINE double *PackedW1(double *packed, PetscInt n, PetscInt d, PetscInt b)
{
  return packed + (size_t)b * (size_t)(n + d) * LANES;
}
RD_KERNEL_INLINE double *PackedW2(double *packed, PetscInt n, PetscInt d, PetscInt b)
{
  return PackedW1(packed, n, d, b) + (size_t)n * LANES;
}

/* Plain -> packed (pack = 1) or packed -> plain (pack = 0); the lanes past m are zero. */
static void PackWeights(int pack, PetscInt n, PetscInt m, PetscInt d, double *W1, double *W2, double *packed)
{
  for (PetscInt b = 0; b < (m + LANES - 1) / LANES; b++) {
    double *p1 = PackedW1(packed, n, d, b), *p2 = PackedW2(packed, n, d, b);
    for (PetscInt l = 0; l < LANES; l++) {
      const PetscInt i = b * LANES + l;
      for (PetscInt j = 0; j < n; j++) {
        if (!pack) {
          if (i < m) W1[RD_IDX2(i, j, n)] = p1[j * LANES + l];
        } else p1[j * LANES + l] = i < m ? W1[RD_IDX2(i, j, n)] : 0.0;
      }
      for (PetscInt r = 0; r < d; r++) {
        if (!pack) {
          if (i < m) W2[RD_IDX2(r, i, m)] = p2[r * LANES + l];
        } else p2[r * LANES + l] = i < m ? W2[RD_IDX2(r, i, m)] : 0.0;
      }
    }
  }
}

/* e = y - W2 hidden in OutputDot's order from the output sums: lane l of output_sums[r] holds
 * the partial sum of the full blocks' columns j = l mod 8 (AccumulateOutputSums); the columns of a
 * partial last block go one by one into the first sum, as OutputDot's tail. Returns 1/2 |e|^2. */
RD_KERNEL_INLINE double OutputErrorOfSums(PetscInt n, PetscInt m, PetscInt d, const double *restrict packed, const double *restrict hidden, const double *restrict y, double *restrict output_sums, double *restrict e)
{
  const PetscInt full = m / LANES;
  double         half_sq = 0.0;
  if (m % LANES) {
    const double *p2 = PackedW2((double *)packed, n, d, full);
    for (PetscInt r = 0; r < d; r++)
      for (PetscInt l = 0; l < m % LANES; l++) output_sums[r * LANES] += p2[r * LANES + l] * hidden[full * LANES + l];
  }
  for (PetscInt r = 0; r < d; r++) {
    e[r] = y[r] - OutputSumsTree(output_sums + r * LANES);
    half_sq += e[r] * e[r];
  }
  return 0.5 * half_sq;
}

/* Work per SGD step (batch 1, no dropout, no input noise), with n = input_dim, m = width,
 * d = output_dim and a multiply and an add counted as one flop each (no FMA):
 *   back = W2^T e, W2 update        5dm       reads+writes W2
 *   coef = lr back                  m
 *   W1 update fused with the next   3mn + 2mn reads+writes W1
 *   step's h = W1 x
 *   e = y - W2 hd                   2dm + d   W2 again, from the L1 cache (the block just updated)
 *   total                           5mn + 7dm + m + d flops; 16(mn + dm) bytes of weights move
 *                                   through the caches (each weight read and written once).
 * Dropout adds m multiplies in the forward and m in coef, and m uniform draws.
 *
 * Pipelined: the next presentation is drawn before this step's update so that the update and the
 * next forward pass share one sweep (PackedStep in linear_packed.h). The streams are consumed in
 * the documented order all the same, and nothing is drawn past the last step, so a run split over
 * several calls equals one call bit for bit. Needs nsteps >= 1. */
#define PACKED_VEC RdVec2
#define PACKED_WIDTH 2
#define PACKED_GROUP 1
#define PACKED_TARGET
#define PACKED_NAME(f) f##Baseline
#include "linear_packed.h"

#if RD_KERNEL_DISPATCH
  #define PACKED_VEC RdVec4
  #define PACKED_WIDTH 4
  #define PACKED_GROUP 1
  #define PACKED_TARGET RD_KERNEL_TARGET_AVX2
  #define PACKED_NAME(f) f##AVX2
  #include "linear_packed.h"

  #define PACKED_VEC RdVec8
  #define PACKED_WIDTH 8
  #define PACKED_GROUP 4
  #define PACKED_TARGET RD_KERNEL_TARGET_AVX512
  #define PACKED_NAME(f) f##AVX512
  #include "linear_packed.h"
#endif

static PetscInt TrainBaseline(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return hyper->batch > 1 ? TrainBatch(net, hyper, task, nsteps, sampling, noise) : TrainOnlineBaseline(net, hyper, task, nsteps, sampling, noise);
}

#if RD_KERNEL_DISPATCH
RD_KERNEL_TARGET_AVX2 static PetscInt TrainAVX2(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return hyper->batch > 1 ? TrainBatch(net, hyper, task, nsteps, sampling, noise) : TrainOnlineAVX2(net, hyper, task, nsteps, sampling, noise);
}
RD_KERNEL_TARGET_AVX512 static PetscInt TrainAVX512(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return hyper->batch > 1 ? TrainBatch(net, hyper, task, nsteps, sampling, noise) : TrainOnlineAVX512(net, hyper, task, nsteps, sampling, noise);
}
#endif

PetscInt RdLinearTrain(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  if (nsteps <= 0) return 0; /* and draw nothing */
  switch (RdKernelIsaActive()) {
#if RD_KERNEL_DISPATCH
  case RD_KERNEL_ISA_AVX512:
    return TrainAVX512(net, hyper, task, nsteps, sampling, noise);
  case RD_KERNEL_ISA_AVX2:
    return TrainAVX2(net, hyper, task, nsteps, sampling, noise);
#endif
  default:
    return TrainBaseline(net, hyper, task, nsteps, sampling, noise);
  }
}

/* ------------------------------------------------------------------------------------------ */
/* Reference and analysis.                                                                      */

double RdLinearSampleGradient(const RdLinearNet *net, double weight_decay, const double *x, const double *y, const double *keep_scale, double *grad_W1, double *grad_W2)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim;
  const LinearWork w = LinearWorkViews(net);
  double           data = 0.0, norm2 = 0.0;

  for (PetscInt i = 0; i < m; i++) {
    w.sg_h[i] = 0.0;
    for (PetscInt j = 0; j < n; j++) w.sg_h[i] += net->W1[RD_IDX2(i, j, n)] * x[j];
    w.sg_hd[i] = keep_scale ? keep_scale[i] * w.sg_h[i] : w.sg_h[i];
  }
  for (PetscInt r = 0; r < d; r++) {
    double yhat = 0.0;
    for (PetscInt j = 0; j < m; j++) yhat += net->W2[RD_IDX2(r, j, m)] * w.sg_hd[j];
    w.sg_e[r] = y[r] - yhat;
    data += w.sg_e[r] * w.sg_e[r];
  }
  /* dl/dhd = -W2^T e; dl/dh = keep . dl/dhd */
  for (PetscInt j = 0; j < m; j++) {
    w.sg_back[j] = 0.0;
    for (PetscInt r = 0; r < d; r++) w.sg_back[j] += net->W2[RD_IDX2(r, j, m)] * w.sg_e[r];
    if (keep_scale) w.sg_back[j] *= keep_scale[j];
  }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt j = 0; j < m; j++) {
      const double wt = net->W2[RD_IDX2(r, j, m)];
      grad_W2[RD_IDX2(r, j, m)] = -w.sg_e[r] * w.sg_hd[j] + weight_decay * wt;
      norm2 += wt * wt;
    }
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < n; j++) {
      const double wt = net->W1[RD_IDX2(i, j, n)];
      grad_W1[RD_IDX2(i, j, n)] = -w.sg_back[i] * x[j] + weight_decay * wt;
      norm2 += wt * wt;
    }
  return 0.5 * data + 0.5 * weight_decay * norm2;
}

PetscInt RdLinearTrainReference(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim, batch = hyper->batch;
  const size_t     size1 = (size_t)m * (size_t)n, size2 = (size_t)d * (size_t)m;
  const PetscBool  use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const LinearWork w           = LinearWorkViews(net);

  if (nsteps <= 0) return 0;
  for (PetscInt step = 0; step < nsteps; step++) {
    for (size_t i = 0; i < size1; i++) w.acc_W1[i] = 0.0;
    for (size_t i = 0; i < size2; i++) w.acc_W2[i] = 0.0;
    for (PetscInt b = 0; b < batch; b++) {
      const double *y;
      const double *x    = DrawPresentation(hyper, task, m, use_dropout, sampling, noise, w.x, w.keep, &y);
      const double  loss = RdLinearSampleGradient(net, hyper->weight_decay, x, y, use_dropout ? w.keep : NULL, w.grad_W1, w.grad_W2);
      if (!isfinite(loss)) return step;
      for (size_t i = 0; i < size1; i++) w.acc_W1[i] += w.grad_W1[i];
      for (size_t i = 0; i < size2; i++) w.acc_W2[i] += w.grad_W2[i];
    }
    for (size_t i = 0; i < size1; i++) net->W1[i] -= hyper->lr * (w.acc_W1[i] / (double)batch);
    for (size_t i = 0; i < size2; i++) net->W2[i] -= hyper->lr * (w.acc_W2[i] / (double)batch);
  }
  return nsteps;
}

/* Population loss, closed form. The presented input is x = x_k + xi, xi ~ N(0, s^2 I); the
 * dropout scale is D = diag(keep_j / (1 - q)) with keep_j ~ Bernoulli(1 - q), so E[D] = I and
 * Var(D_jj) = q / (1 - q); h = W1 x, A = W2 W1:
 *   E_D |y - W2 D h|^2 = |y - A x|^2 + q/(1-q) sum_j |W2[:,j]|^2 h_j^2     (E[D] = I, D_jj independent)
 *   E_xi |y - A x|^2   = |y - A x_k|^2 + s^2 |A|_F^2,  E_xi h_j^2 = (W1 x_k)_j^2 + s^2 |W1[j,:]|^2
 *   L = sum_k p_k [ 1/2 |y_k - A x_k|^2 + s^2/2 |A|_F^2
 *                   + q/(2(1-q)) sum_j |W2[:,j]|^2 ((W1 x_k)_j^2 + s^2 |W1[j,:]|^2) ]
 *       + g/2 (|W1|_F^2 + |W2|_F^2). */
double RdLinearPopulationLoss(const RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim;
  const LinearWork w = LinearWorkViews(net);
  const double     s2 = hyper->input_noise * hyper->input_noise, q = hyper->dropout;
  const double     dropout_factor = q > 0.0 ? q / (1.0 - q) : 0.0;
  double           A_norm2 = 0.0, weight_norm2 = 0.0, loss = 0.0;

  for (PetscInt r = 0; r < d; r++)
    for (PetscInt c = 0; c < n; c++) {
      double a = 0.0;
      for (PetscInt j = 0; j < m; j++) a += net->W2[RD_IDX2(r, j, m)] * net->W1[RD_IDX2(j, c, n)];
      w.pl_A[RD_IDX2(r, c, n)] = a;
      A_norm2 += a * a;
    }
  for (PetscInt j = 0; j < m; j++) {
    w.pl_col[j] = 0.0;
    w.pl_row[j] = 0.0;
    for (PetscInt r = 0; r < d; r++) w.pl_col[j] += net->W2[RD_IDX2(r, j, m)] * net->W2[RD_IDX2(r, j, m)];
    for (PetscInt c = 0; c < n; c++) w.pl_row[j] += net->W1[RD_IDX2(j, c, n)] * net->W1[RD_IDX2(j, c, n)];
    weight_norm2 += w.pl_col[j] + w.pl_row[j];
  }
  for (PetscInt k = 0; k < task->num_stimuli; k++) {
    const double *xk = task->stimuli + RD_IDX2(k, 0, n), *yk = task->targets + RD_IDX2(k, 0, d);
    double        fit = 0.0, dropout_term = 0.0;
    for (PetscInt r = 0; r < d; r++) {
      double Ax = 0.0;
      for (PetscInt c = 0; c < n; c++) Ax += w.pl_A[RD_IDX2(r, c, n)] * xk[c];
      fit += (yk[r] - Ax) * (yk[r] - Ax);
    }
    for (PetscInt j = 0; j < m; j++) {
      double hj = 0.0;
      for (PetscInt c = 0; c < n; c++) hj += net->W1[RD_IDX2(j, c, n)] * xk[c];
      dropout_term += w.pl_col[j] * (hj * hj + s2 * w.pl_row[j]);
    }
    loss += task->probability[k] * (0.5 * fit + 0.5 * s2 * A_norm2 + 0.5 * dropout_factor * dropout_term);
  }
  return loss + 0.5 * hyper->weight_decay * weight_norm2;
}

void RdLinearProbe(const RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt stimulus, PetscInt nsamples, PetscBool dropout_on, RdStream *probe, double *responses)
{
  const PetscBool use_dropout = dropout_on && hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  switch (RdKernelIsaActive()) {
#if RD_KERNEL_DISPATCH
  case RD_KERNEL_ISA_AVX512:
    ProbeSamplesAVX512(net, hyper, task, stimulus, nsamples, use_dropout, probe, responses);
    return;
  case RD_KERNEL_ISA_AVX2:
    ProbeSamplesAVX2(net, hyper, task, stimulus, nsamples, use_dropout, probe, responses);
    return;
#endif
  default:
    ProbeSamplesBaseline(net, hyper, task, stimulus, nsamples, use_dropout, probe, responses);
  }
}
