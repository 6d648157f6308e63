/* Two-layer linear network trained by online SGD: the hot loop of repdrift (RdLinearTrain), its
 * slow reference, the per-sample gradient, the closed-form population loss and the probe.
 *
 * Determinism: every reduction below has an order fixed in the source (no -ffast-math, strict
 * C11 so no FMA contraction), hence results do not depend on the vector width the compiler picks
 * and a run is bit-reproducible. The fast kernel and the reference sum in different orders, so
 * they agree to rounding only. */
#include <repdrift/models/linear.h>
#include <repdrift/dense.h>
#include <math.h>

/* Instruction-set dispatch of the training kernel. The kernel's C fixes the order of every sum
 * and strict C11 keeps contraction into FMA off, so every instruction set computes bit-identical
 * results; only the speed differs. With GCC or Clang on x86-64 the kernel is compiled twice, for
 * the baseline ISA (SSE2) and for AVX2, and RdLinearTrain picks at run time: AVX2 is ~1.5x faster
 * per step on the development machine, and the project's portable build flags stop at SSE2.
 * Define REPDRIFT_PORTABLE_KERNEL to compile the baseline path only. */
#if defined(__GNUC__) && defined(__x86_64__) && !defined(REPDRIFT_PORTABLE_KERNEL)
  #define RD_KERNEL_AVX2_DISPATCH 1
  /* every helper of the kernel must be inlined into each ISA's copy of the loop */
  #define RD_KERNEL_INLINE static inline __attribute__((always_inline))
#else
  #define RD_KERNEL_AVX2_DISPATCH 0
  #define RD_KERNEL_INLINE static inline
#endif

/* Views into net->work. The fast kernel, the reference, the per-sample gradient and the
 * population loss each use their own region, so the reference may call RdLinearSampleGradient
 * while its presented input and dropout scales still live in the work array. */
typedef struct {
  double *x;       /* [n] presented (noisy) input */
  double *x_next;  /* [n] the next presentation's input, drawn before this step's W1 update */
  double *keep;    /* [m] dropout scale keep_j / (1 - q) */
  double *h;       /* [m] W1 x */
  double *hd;      /* [m] hidden after dropout */
  double *e;       /* [d] y - W2 hd */
  double *back;    /* [m] W2^T e, then the W1 row coefficients */
  double *acc_W1;  /* [m][n] batch sums of the W1 update (fast) / gradient (reference) */
  double *acc_W2;  /* [d][m] */
  double *grad_W1; /* [m][n] reference: one presentation's gradient */
  double *grad_W2; /* [d][m] */
  double *sg_h, *sg_hd, *sg_e, *sg_back; /* RdLinearSampleGradient: [m], [m], [d], [m] */
  double *pl_A, *pl_col, *pl_row;        /* RdLinearPopulationLoss: [d][n], [m], [m] */
} LinearWork;

/* Lays the regions of LinearWork out one after another from base and returns the total length
 * in doubles; with base NULL it only counts (RdLinearNetCreate sizes net->work with it). */
static size_t LinearWorkCarve(PetscInt input_dim, PetscInt width, PetscInt output_dim, double *base, LinearWork *w)
{
  const size_t n = (size_t)input_dim, m = (size_t)width, d = (size_t)output_dim;
  double     **region[] = {&w->x, &w->x_next, &w->keep, &w->h, &w->hd, &w->e, &w->back, &w->acc_W1, &w->acc_W2, &w->grad_W1, &w->grad_W2, &w->sg_h, &w->sg_hd, &w->sg_e, &w->sg_back, &w->pl_A, &w->pl_col, &w->pl_row};
  const size_t length[] = {n, n, m, m, m, d, m, m * n, d * m, m * n, d * m, m, m, d, m, d * n, m, m};
  return RdCarve(base, region, length, sizeof(length) / sizeof(length[0]));
}

static LinearWork LinearWorkViews(const RdLinearNet *net)
{
  LinearWork w;
  (void)LinearWorkCarve(net->input_dim, net->width, net->output_dim, net->work, &w);
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
  PetscCall(PetscCalloc1(LinearWorkCarve(input_dim, width, output_dim, NULL, &count_only), &net->work));
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
/* Draws shared by training, reference and probe, in the order documented in linear.h.        */

/* Input noise and dropout of one presentation of stimulus xk. Returns the presented input: xk
 * itself when there is no input noise (nothing to copy), else x_buf = xk + noise. keep_buf is
 * filled only when use_dropout. */
RD_KERNEL_INLINE const double *DrawPresentationNoise(const double *xk, PetscInt n, PetscInt m, double input_noise, double dropout, PetscBool use_dropout, RdStream *noise, double *restrict x_buf, double *restrict keep_buf)
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

/* One training presentation: stimulus k from the sampling stream, then its input noise and
 * dropout mask from the noise stream. Returns the presented input; *y is the target. */
RD_KERNEL_INLINE const double *DrawPresentation(const RdLinearHyper *hyper, const RdTask *task, PetscInt m, PetscBool use_dropout, RdStream *sampling, RdStream *noise, double *x_buf, double *keep_buf, const double **y)
{
  const PetscInt n = task->input_dim;
  const int      k = RdStreamCategorical(sampling, task->cumulative, (int)task->num_stimuli);
  *y               = task->targets + RD_IDX2(k, 0, task->output_dim);
  return DrawPresentationNoise(task->stimuli + RD_IDX2(k, 0, n), n, m, hyper->input_noise, hyper->dropout, use_dropout, noise, x_buf, keep_buf);
}

/* ------------------------------------------------------------------------------------------ */
/* Fast kernel.                                                                                 */

/* h = W1 x, each row summed in RdDot's order (four partial sums over j mod 4, then
 * (s0 + s1) + (s2 + s3)); W1UpdateForward reproduces that order exactly. */
RD_KERNEL_INLINE void HiddenForward(PetscInt n, PetscInt m, const double *restrict W1, const double *restrict x, double *restrict h)
{
  for (PetscInt i = 0; i < m; i++) h[i] = RdDot(W1 + RD_IDX2(i, 0, n), x, n);
}

/* Dot product of one output row with the hidden vector: eight partial sums over the columns
 * j mod 8 (a tail of fewer than eight columns goes to the first), combined by a fixed tree. The
 * output rows are long (width m), so eight independent chains keep the adders busy. */
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

/* One pass over W2 that both reads it for back = W2^T e (with the weights before this step) and
 * writes W2 <- decay W2 + lr e hd^T. back_j is summed over r in increasing order, as a plain loop
 * would; rows are taken four at a time so that the running sum stays in a register across them
 * and back is loaded and stored once per four rows. Rows are walked contiguously: column blocks
 * would stride by the row length, a power of two for the usual widths, and thrash the L1 sets. */
RD_KERNEL_INLINE void W2BackwardUpdate(PetscInt m, PetscInt d, double decay, double lr, const double *restrict e, const double *restrict hd, double *restrict W2, double *restrict back)
{
  PetscInt r = 0;
  for (PetscInt j = 0; j < m; j++) back[j] = 0.0;
  for (; r + 4 <= d; r += 4) {
    double *restrict w0 = W2 + RD_IDX2(r, 0, m), *restrict w1 = w0 + m, *restrict w2 = w1 + m, *restrict w3 = w2 + m;
    const double e0 = e[r], e1 = e[r + 1], e2 = e[r + 2], e3 = e[r + 3];
    const double g0 = lr * e0, g1 = lr * e1, g2 = lr * e2, g3 = lr * e3;
    for (PetscInt j = 0; j < m; j++) {
      const double o0 = w0[j], o1 = w1[j], o2 = w2[j], o3 = w3[j], hj = hd[j];
      back[j] = (((back[j] + o0 * e0) + o1 * e1) + o2 * e2) + o3 * e3;
      w0[j]   = decay * o0 + g0 * hj;
      w1[j]   = decay * o1 + g1 * hj;
      w2[j]   = decay * o2 + g2 * hj;
      w3[j]   = decay * o3 + g3 * hj;
    }
  }
  for (; r < d; r++) {
    double *restrict w0 = W2 + RD_IDX2(r, 0, m);
    const double e0 = e[r], g0 = lr * e0;
    for (PetscInt j = 0; j < m; j++) {
      const double o0 = w0[j];
      back[j] += o0 * e0;
      w0[j] = decay * o0 + g0 * hd[j];
    }
  }
}

/* W1 <- decay W1 + coef x^T, one pass, two rows at a time so they share the loads of x. */
RD_KERNEL_INLINE void W1Update(PetscInt n, PetscInt m, double decay, const double *restrict coef, const double *restrict x, double *restrict W1)
{
  PetscInt i = 0;
  for (; i + 2 <= m; i += 2) {
    double *restrict a = W1 + RD_IDX2(i, 0, n), *restrict b = a + n;
    const double ca = coef[i], cb = coef[i + 1];
    for (PetscInt j = 0; j < n; j++) {
      a[j] = decay * a[j] + ca * x[j];
      b[j] = decay * b[j] + cb * x[j];
    }
  }
  for (; i < m; i++) {
    double *restrict a = W1 + RD_IDX2(i, 0, n);
    const double ca = coef[i];
    for (PetscInt j = 0; j < n; j++) a[j] = decay * a[j] + ca * x[j];
  }
}

/* W1 <- decay W1 + coef x^T fused with the next presentation's forward pass h_next = W1 x_next:
 * each updated row is dotted with x_next while it is still in registers, so W1 is read once per
 * step instead of twice. The dot has exactly RdDot's order, so h_next is bit-identical to
 * HiddenForward(W1, x_next) after the update (test_linear checks it: a run split over two calls
 * recomputes h with HiddenForward and must match one call bit for bit). */
RD_KERNEL_INLINE void W1UpdateForward(PetscInt n, PetscInt m, double decay, const double *restrict coef, const double *restrict x, const double *restrict x_next, double *restrict W1, double *restrict h_next)
{
  for (PetscInt i = 0; i < m; i++) {
    double *restrict a = W1 + RD_IDX2(i, 0, n);
    const double ca = coef[i];
    double       s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
    PetscInt     j = 0;
    for (; j + 4 <= n; j += 4) {
      const double u0 = decay * a[j] + ca * x[j], u1 = decay * a[j + 1] + ca * x[j + 1];
      const double u2 = decay * a[j + 2] + ca * x[j + 2], u3 = decay * a[j + 3] + ca * x[j + 3];
      a[j]     = u0;
      a[j + 1] = u1;
      a[j + 2] = u2;
      a[j + 3] = u3;
      s0 += u0 * x_next[j];
      s1 += u1 * x_next[j + 1];
      s2 += u2 * x_next[j + 2];
      s3 += u3 * x_next[j + 3];
    }
    for (; j < n; j++) {
      const double u = decay * a[j] + ca * x[j];
      a[j]           = u;
      s0 += u * x_next[j];
    }
    h_next[i] = (s0 + s1) + (s2 + s3);
  }
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

/* Work per SGD step (batch 1, no dropout, no input noise), with n = input_dim, m = width,
 * d = output_dim and a multiply and an add counted as one flop each (no FMA):
 *   e = y - W2 hd                   2dm + d   reads W2             8dm bytes
 *   back = W2^T e, W2 update        5dm       reads+writes W2     16dm
 *   coef = lr back                  m
 *   W1 update fused with the next   3mn + 2mn reads+writes W1     16mn
 *   step's h = W1 x
 *   total                           5mn + 7dm + m + d flops, 8dm + 16(mn + dm) bytes of weights.
 * Dropout adds m multiplies in the forward and m in coef, and m uniform draws.
 *
 * Batch 1, pipelined: the next presentation is drawn before this step's W1 update so that the
 * update and the next forward pass share one sweep over W1 (W1UpdateForward). The streams are
 * consumed in the documented order all the same, and nothing is drawn past the last step, so a
 * run split over several calls equals one call bit for bit. Needs nsteps >= 1. */
RD_KERNEL_INLINE PetscInt TrainOnline(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim;
  const double     lr = hyper->lr, decay = 1.0 - hyper->lr * hyper->weight_decay;
  const PetscBool  use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const LinearWork w           = LinearWorkViews(net);
  const double    *keep        = use_dropout ? w.keep : NULL;
  double *restrict W1 = net->W1, *restrict W2 = net->W2;
  double          *x_buf[2]    = {w.x, w.x_next};
  int              cur         = 0;
  const double    *y, *x;

  x = DrawPresentation(hyper, task, m, use_dropout, sampling, noise, x_buf[cur], w.keep, &y);
  HiddenForward(n, m, W1, x, w.h);
  for (PetscInt step = 0; step < nsteps; step++) {
    const double *hidden;
    const double  loss = OutputError(m, d, W2, w.h, y, keep, w.hd, w.e, &hidden);
    /* A non-finite weight always reaches e (inf times anything, or 0 times inf, is not finite),
     * so the data term alone detects a non-finite presented loss. */
    if (!isfinite(loss)) return step;
    W2BackwardUpdate(m, d, decay, lr, w.e, hidden, W2, w.back);
    /* W1's gradient rows: dl/dh = -keep . W2^T e; the mask is free to be redrawn after this */
    if (keep)
      for (PetscInt i = 0; i < m; i++) w.back[i] = lr * (keep[i] * w.back[i]);
    else
      for (PetscInt i = 0; i < m; i++) w.back[i] = lr * w.back[i];
    if (step + 1 < nsteps) {
      const double *x_next;
      cur    = 1 - cur;
      x_next = DrawPresentation(hyper, task, m, use_dropout, sampling, noise, x_buf[cur], w.keep, &y);
      W1UpdateForward(n, m, decay, w.back, x, x_next, W1, w.h);
      x = x_next;
    } else W1Update(n, m, decay, w.back, x, W1);
  }
  return nsteps;
}

/* Batch > 1: per presentation accumulate e hd^T and (keep . W2^T e) x^T, then one update. */
RD_KERNEL_INLINE PetscInt TrainBatch(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim, batch = hyper->batch;
  const double     decay = 1.0 - hyper->lr * hyper->weight_decay, scale = hyper->lr / (double)batch;
  const PetscBool  use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const LinearWork w           = LinearWorkViews(net);
  const double    *keep        = use_dropout ? w.keep : NULL;
  double *restrict W1 = net->W1, *restrict W2 = net->W2;

  for (PetscInt step = 0; step < nsteps; step++) {
    for (PetscInt b = 0; b < batch; b++) {
      const double *y, *hidden;
      const double *x = DrawPresentation(hyper, task, m, use_dropout, sampling, noise, w.x, w.keep, &y);
      HiddenForward(n, m, W1, x, w.h);
      if (!isfinite(OutputError(m, d, W2, w.h, y, keep, w.hd, w.e, &hidden))) return step;
      AccumulateBatch(n, m, d, b == 0 ? PETSC_TRUE : PETSC_FALSE, w.e, hidden, W2, w.back, keep, x, w.acc_W1, w.acc_W2);
    }
    ApplyBatch((size_t)m * (size_t)n, decay, scale, w.acc_W1, W1);
    ApplyBatch((size_t)d * (size_t)m, decay, scale, w.acc_W2, W2);
  }
  return nsteps;
}

static PetscInt TrainBaseline(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return hyper->batch > 1 ? TrainBatch(net, hyper, task, nsteps, sampling, noise) : TrainOnline(net, hyper, task, nsteps, sampling, noise);
}

#if RD_KERNEL_AVX2_DISPATCH
__attribute__((target("avx2"))) static PetscInt TrainAVX2(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  return hyper->batch > 1 ? TrainBatch(net, hyper, task, nsteps, sampling, noise) : TrainOnline(net, hyper, task, nsteps, sampling, noise);
}
#endif

PetscInt RdLinearTrain(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  if (nsteps <= 0) return 0; /* and draw nothing */
#if RD_KERNEL_AVX2_DISPATCH
  if (__builtin_cpu_supports("avx2")) return TrainAVX2(net, hyper, task, nsteps, sampling, noise);
#endif
  return TrainBaseline(net, hyper, task, nsteps, sampling, noise);
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
  const PetscInt   n = net->input_dim, m = net->width;
  const PetscBool  use_dropout = dropout_on && hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const LinearWork w           = LinearWorkViews(net);
  const double    *xk          = task->stimuli + RD_IDX2(stimulus, 0, n);

  for (PetscInt t = 0; t < nsamples; t++) {
    const double *x   = DrawPresentationNoise(xk, n, m, hyper->input_noise, hyper->dropout, use_dropout, probe, w.x, w.keep);
    double       *row = responses + RD_IDX2(t, 0, m);
    /* the same dot product as the training forward pass, so a probe without noise or dropout
     * reproduces the hidden vector training saw */
    HiddenForward(n, m, net->W1, x, row);
    if (use_dropout)
      for (PetscInt i = 0; i < m; i++) row[i] *= w.keep[i];
  }
}
