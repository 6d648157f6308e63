/* The linear network's packed online SGD kernel (batch 1) and packed probe, written once and
 * instantiated once per instruction set by src/models/linear.c, which defines before each
 * #include (and this file #undefs after):
 *   PACKED_VEC     a GNU C vector of PACKED_WIDTH doubles native to the ISA: 2 (SSE2), 4 (AVX2),
 *                  8 (AVX-512). Wider-than-native vectors compile to spills, hence one copy per width.
 *   PACKED_WIDTH
 *   PACKED_GROUP   packed blocks per iteration of the sweep: independent chains (back, the four
 *                  partial sums of h) for the out-of-order core, as many as the registers hold
 *   PACKED_TARGET  the ISA's function attribute (RD_KERNEL_TARGET_*; empty for the baseline)
 *   PACKED_NAME(f) f's name in this copy
 * and gets PACKED_NAME(TrainOnline) and PACKED_NAME(ProbeSamples).
 *
 * Layout (linear.c, PackWeights): block b = hidden units 8b .. 8b+7; its W1 part is n rows of 8
 * (input j: W1[8b + l][j], l = 0..7), then its W2 part d rows of 8 (output r: W2[r][8b + l]).
 * Every lane is one hidden unit and every operation is lane-wise, so each lane computes exactly
 * what the plain loops compute for its unit, in their order (see PackedStep). No include guard:
 * included once per instruction set on purpose. */

#define PACKED_VPB (LANES / PACKED_WIDTH)          /* vectors per block */
#define PACKED_MAXV (PACKED_GROUP * PACKED_VPB)    /* vectors per iteration */
#define PACKED_INLINE PACKED_TARGET RD_KERNEL_INLINE
/* vec = (value, value, ...) (value - 0 is value exactly, -0 and NaN included), held in a register:
 * the empty asm keeps the compiler from folding a broadcast load into every multiply that uses it
 * (one load instead of one per vector). */
#if defined(__x86_64__)
  #define PACKED_BROADCAST(vec, value) \
    do { \
      (vec) = (value) - (PACKED_VEC){0}; \
      __asm__("" : "+v"(vec)); \
    } while (0)
#else
  #define PACKED_BROADCAST(vec, value) ((vec) = (value) - (PACKED_VEC){0})
#endif

/* h = W1 x for block b (lanes in RdDot's order: four partial sums over the inputs j mod 4, the
 * tail j >= 4 floor(n / 4) into the first, then (s0 + s1) + (s2 + s3)); h has whole blocks. */
PACKED_INLINE void PACKED_NAME(HiddenBlock)(PetscInt n, PetscInt d, const double *restrict packed, PetscInt b, const double *restrict x, double *restrict h)
{
  const double *restrict p1 = PackedW1((double *)packed, n, d, b);
  const PetscInt n4 = n - n % 4;
  PACKED_VEC     s0[PACKED_VPB], s1[PACKED_VPB], s2[PACKED_VPB], s3[PACKED_VPB], a;
  PetscInt       j = 0;

  for (int v = 0; v < PACKED_VPB; v++) s0[v] = s1[v] = s2[v] = s3[v] = (PACKED_VEC){0};
  for (; j < n4; j += 4)
    for (int v = 0; v < PACKED_VPB; v++) {
      memcpy(&a, p1 + j * LANES + v * PACKED_WIDTH, sizeof(a));
      s0[v] += a * x[j];
      memcpy(&a, p1 + (j + 1) * LANES + v * PACKED_WIDTH, sizeof(a));
      s1[v] += a * x[j + 1];
      memcpy(&a, p1 + (j + 2) * LANES + v * PACKED_WIDTH, sizeof(a));
      s2[v] += a * x[j + 2];
      memcpy(&a, p1 + (j + 3) * LANES + v * PACKED_WIDTH, sizeof(a));
      s3[v] += a * x[j + 3];
    }
  for (; j < n; j++)
    for (int v = 0; v < PACKED_VPB; v++) {
      memcpy(&a, p1 + j * LANES + v * PACKED_WIDTH, sizeof(a));
      s0[v] += a * x[j];
    }
  for (int v = 0; v < PACKED_VPB; v++) {
    const PACKED_VEC sum = (s0[v] + s1[v]) + (s2[v] + s3[v]);
    memcpy(h + b * LANES + v * PACKED_WIDTH, &sum, sizeof(sum));
  }
}

/* The output sums of `blocks` full blocks from b: lane l of output_sums[r] += W2[r][8k + l] hd[8k + l]
 * for k = b, b + 1, ... in turn -- OutputDot's partial sum of the columns j = l mod 8, in increasing j. */
PACKED_INLINE void PACKED_NAME(AccumulateOutputSums)(const int blocks, PetscInt n, PetscInt d, const double *restrict packed, PetscInt b, const double *restrict hidden, double *restrict output_sums)
{
  PACKED_VEC hb[PACKED_MAXV], sum, w;
  for (int v = 0; v < blocks * PACKED_VPB; v++) memcpy(&hb[v], hidden + b * LANES + v * PACKED_WIDTH, sizeof(hb[v]));
  for (PetscInt r = 0; r < d; r++)
    for (int v = 0; v < PACKED_VPB; v++) {
      memcpy(&sum, output_sums + r * LANES + v * PACKED_WIDTH, sizeof(sum));
      for (int k = 0; k < blocks; k++) {
        memcpy(&w, PackedW2((double *)packed, n, d, b + k) + r * LANES + v * PACKED_WIDTH, sizeof(w));
        sum += w * hb[k * PACKED_VPB + v];
      }
      memcpy(output_sums + r * LANES + v * PACKED_WIDTH, &sum, sizeof(sum));
    }
}

/* The first presentation's forward pass: h, hd = keep . h (or h), and e. Returns 1/2 |e|^2. */
PACKED_INLINE double PACKED_NAME(PackedForward)(PetscInt n, PetscInt m, PetscInt d, const double *restrict packed, const double *restrict x, const double *restrict keep, const double *restrict y, double *restrict h, double *restrict hd, double *restrict output_sums, double *restrict e)
{
  const PetscInt nb = (m + LANES - 1) / LANES;
  for (PetscInt b = 0; b < nb; b++) PACKED_NAME(HiddenBlock)(n, d, packed, b, x, h);
  for (PetscInt i = 0; i < nb * LANES; i++) hd[i] = keep ? keep[i] * h[i] : h[i];
  for (PetscInt i = 0; i < d * LANES; i++) output_sums[i] = 0.0;
  for (PetscInt b = 0; b < m / LANES; b++) PACKED_NAME(AccumulateOutputSums)(1, n, d, packed, b, hd, output_sums);
  return OutputErrorOfSums(n, m, d, packed, hd, y, output_sums, e);
}

/* One SGD step for `blocks` consecutive blocks from b (see PackedStep). */
PACKED_INLINE void PACKED_NAME(StepBlocks)(const int blocks, PetscInt b, PetscInt n, PetscInt d, double decay, double lr, double *restrict packed, const double *restrict e, const double *restrict gain, const double *restrict hd, const double *restrict keep, const double *restrict x, const double *restrict x_next, const double *restrict keep_next, double *restrict hd_next)
{
  const int      nv = blocks * PACKED_VPB;
  const PetscInt n4 = n - n % 4;
  double *restrict p1[PACKED_MAXV], *restrict p2[PACKED_MAXV];
  PACKED_VEC       back[PACKED_MAXV], hb[PACKED_MAXV], coef[PACKED_MAXV], w, u;

  for (int v = 0; v < nv; v++) {
    p1[v]   = PackedW1(packed, n, d, b + v / PACKED_VPB) + (v % PACKED_VPB) * PACKED_WIDTH;
    p2[v]   = PackedW2(packed, n, d, b + v / PACKED_VPB) + (v % PACKED_VPB) * PACKED_WIDTH;
    back[v] = (PACKED_VEC){0};
    memcpy(&hb[v], hd + b * LANES + v * PACKED_WIDTH, sizeof(hb[v]));
  }
  /* back_i = sum_r W2[r][i] e_r (r increasing, from 0.0); W2[r][i] <- decay W2[r][i] + (lr e_r) hd_i */
  for (PetscInt r = 0; r < d; r++) {
    PACKED_VEC eb, gb;
    PACKED_BROADCAST(eb, e[r]);
    PACKED_BROADCAST(gb, gain[r]);
    for (int v = 0; v < nv; v++) {
      memcpy(&w, p2[v] + r * LANES, sizeof(w));
      back[v] += w * eb;
      w = decay * w + gb * hb[v];
      memcpy(p2[v] + r * LANES, &w, sizeof(w));
    }
  }
  /* coef_i = lr (keep_i back_i), or lr back_i without dropout */
  for (int v = 0; v < nv; v++) {
    if (keep) {
      PACKED_VEC kb;
      memcpy(&kb, keep + b * LANES + v * PACKED_WIDTH, sizeof(kb));
      coef[v] = lr * (kb * back[v]);
    } else coef[v] = lr * back[v];
  }
  /* W1[i][j] <- decay W1[i][j] + coef_i x_j */
  if (!x_next) {
    for (PetscInt j = 0; j < n; j++)
      for (int v = 0; v < nv; v++) {
        memcpy(&w, p1[v] + j * LANES, sizeof(w));
        u = decay * w + coef[v] * x[j];
        memcpy(p1[v] + j * LANES, &u, sizeof(u));
      }
    return;
  }
  /* ... and h_next_i = W1[i] . x_next in RdDot's order, hd_next_i = keep_next_i h_next_i */
  PACKED_VEC s0[PACKED_MAXV], s1[PACKED_MAXV], s2[PACKED_MAXV], s3[PACKED_MAXV];
  PetscInt   j = 0;
  for (int v = 0; v < nv; v++) s0[v] = s1[v] = s2[v] = s3[v] = (PACKED_VEC){0};
  for (; j < n4; j += 4) {
    PACKED_VEC xb[4], xnb[4];
    for (int q = 0; q < 4; q++) {
      PACKED_BROADCAST(xb[q], x[j + q]);
      PACKED_BROADCAST(xnb[q], x_next[j + q]);
    }
    for (int v = 0; v < nv; v++) {
      memcpy(&w, p1[v] + j * LANES, sizeof(w));
      u = decay * w + coef[v] * xb[0];
      memcpy(p1[v] + j * LANES, &u, sizeof(u));
      s0[v] += u * xnb[0];
      memcpy(&w, p1[v] + (j + 1) * LANES, sizeof(w));
      u = decay * w + coef[v] * xb[1];
      memcpy(p1[v] + (j + 1) * LANES, &u, sizeof(u));
      s1[v] += u * xnb[1];
      memcpy(&w, p1[v] + (j + 2) * LANES, sizeof(w));
      u = decay * w + coef[v] * xb[2];
      memcpy(p1[v] + (j + 2) * LANES, &u, sizeof(u));
      s2[v] += u * xnb[2];
      memcpy(&w, p1[v] + (j + 3) * LANES, sizeof(w));
      u = decay * w + coef[v] * xb[3];
      memcpy(p1[v] + (j + 3) * LANES, &u, sizeof(u));
      s3[v] += u * xnb[3];
    }
  }
  for (; j < n; j++)
    for (int v = 0; v < nv; v++) {
      memcpy(&w, p1[v] + j * LANES, sizeof(w));
      u = decay * w + coef[v] * x[j];
      memcpy(p1[v] + j * LANES, &u, sizeof(u));
      s0[v] += u * x_next[j];
    }
  for (int v = 0; v < nv; v++) {
    PACKED_VEC h = (s0[v] + s1[v]) + (s2[v] + s3[v]);
    if (keep_next) {
      PACKED_VEC kb;
      memcpy(&kb, keep_next + b * LANES + v * PACKED_WIDTH, sizeof(kb));
      h = kb * h;
    }
    memcpy(hd_next + b * LANES + v * PACKED_WIDTH, &h, sizeof(h));
  }
}

/* One SGD step on the packed weights, block by block, every operation lane-wise in the order of
 * the plain loops:
 *   W2's backward pass and update  back_i = sum_r W2[r][i] e_r (r increasing, from 0.0),
 *                                  W2[r][i] <- decay W2[r][i] + (lr e_r) hd_i
 *   W1's row coefficients          coef_i = lr (keep_i back_i)   (lr back_i without dropout)
 *   W1's update                    W1[i][j] <- decay W1[i][j] + coef_i x_j
 * and, when x_next is given, the next presentation's forward pass while the blocks are in cache:
 *   h_next_i = W1[i] . x_next in RdDot's order, hd_next_i = keep_next_i h_next_i (or h_next_i),
 *   the output sums of W2's updated columns with hd_next (AccumulateOutputSums; the columns of
 *   a partial last block and the combination in OutputErrorOfSums).
 * Returns the next presentation's 1/2 |e_next|^2 (0 without x_next). */
PACKED_INLINE double PACKED_NAME(PackedStep)(PetscInt n, PetscInt m, PetscInt d, double decay, double lr, double *restrict packed, const double *restrict e, const double *restrict gain, const double *restrict hd, const double *restrict keep, const double *restrict x, const double *restrict x_next, const double *restrict keep_next, const double *restrict y_next, double *restrict hd_next, double *restrict output_sums, double *restrict e_next)
{
  const PetscInt nb = (m + LANES - 1) / LANES, full = m / LANES;
  PetscInt       b  = 0;

  if (x_next) {
    for (PetscInt i = 0; i < d * LANES; i++) output_sums[i] = 0.0;
    for (; b + PACKED_GROUP <= full; b += PACKED_GROUP) {
      PACKED_NAME(StepBlocks)(PACKED_GROUP, b, n, d, decay, lr, packed, e, gain, hd, keep, x, x_next, keep_next, hd_next);
      PACKED_NAME(AccumulateOutputSums)(PACKED_GROUP, n, d, packed, b, hd_next, output_sums);
    }
  }
  for (; b < nb; b++) {
    PACKED_NAME(StepBlocks)(1, b, n, d, decay, lr, packed, e, gain, hd, keep, x, x_next, keep_next, hd_next);
    if (x_next && b < full) PACKED_NAME(AccumulateOutputSums)(1, n, d, packed, b, hd_next, output_sums);
  }
  return x_next ? OutputErrorOfSums(n, m, d, packed, hd_next, y_next, output_sums, e_next) : 0.0;
}

/* Online SGD (batch 1) on the packed copy of the weights; see TrainOnline's comment in linear.c. */
PACKED_TARGET static PetscInt PACKED_NAME(TrainOnline)(RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt nsteps, RdStream *sampling, RdStream *noise)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim, mp = (m + LANES - 1) / LANES * LANES;
  const double     lr = hyper->lr, decay = 1.0 - hyper->lr * hyper->weight_decay;
  const PetscBool  use_dropout = hyper->dropout > 0.0 ? PETSC_TRUE : PETSC_FALSE;
  const NoiseDraws draws       = NoiseDrawsOf(hyper->input_noise, hyper->dropout, use_dropout);
  const LinearWork w           = LinearWorkViews(net);
  double          *x_buf[2] = {w.x, w.x_next}, *keep_buf[2] = {w.keep, w.keep_next}, *hd_buf[2] = {w.hd, w.hd_next}, *e_buf[2] = {w.e, w.e_next};
  int              cur = 0;
  const double    *y, *x;
  double           loss;
  PetscInt         step;

  PackWeights(1, n, m, d, net->W1, net->W2, w.packed);
  for (int t = 0; t < 2; t++) /* the lanes past m: zero, never drawn */
    for (PetscInt i = m; i < mp; i++) keep_buf[t][i] = hd_buf[t][i] = 0.0;
  x    = DrawPresentationBlock(&draws, task, m, sampling, noise, x_buf[cur], keep_buf[cur], &y);
  loss = PACKED_NAME(PackedForward)(n, m, d, w.packed, x, use_dropout ? keep_buf[cur] : NULL, y, w.h, hd_buf[cur], w.output_sums, e_buf[cur]);
  for (step = 0; step < nsteps; step++) {
    /* A non-finite weight always reaches e (inf times anything, or 0 times inf, is not finite),
     * so the data term alone detects a non-finite presented loss. */
    if (!isfinite(loss)) break;
    for (PetscInt r = 0; r < d; r++) w.gain[r] = lr * e_buf[cur][r];
    if (step + 1 < nsteps) {
      const int     next   = 1 - cur;
      const double *x_next = DrawPresentationBlock(&draws, task, m, sampling, noise, x_buf[next], keep_buf[next], &y);
      loss = PACKED_NAME(PackedStep)(n, m, d, decay, lr, w.packed, e_buf[cur], w.gain, hd_buf[cur], use_dropout ? keep_buf[cur] : NULL, x, x_next, use_dropout ? keep_buf[next] : NULL, y, hd_buf[next], w.output_sums, e_buf[next]);
      x    = x_next;
      cur  = next;
    } else (void)PACKED_NAME(PackedStep)(n, m, d, decay, lr, w.packed, e_buf[cur], w.gain, hd_buf[cur], use_dropout ? keep_buf[cur] : NULL, x, NULL, NULL, NULL, NULL, w.output_sums, NULL);
  }
  PackWeights(0, n, m, d, net->W1, net->W2, w.packed);
  return step;
}

/* nsamples presentations of one stimulus through the packed W1 (HiddenBlock = HiddenForward
 * bit for bit: the same dot product as the training forward pass, so a probe without noise or
 * dropout reproduces the hidden vector training saw); draws by block. */
PACKED_TARGET static void PACKED_NAME(ProbeSamples)(const RdLinearNet *net, const RdLinearHyper *hyper, const RdTask *task, PetscInt stimulus, PetscInt nsamples, PetscBool use_dropout, RdStream *probe, double *responses)
{
  const PetscInt   n = net->input_dim, m = net->width, d = net->output_dim, nb = (m + LANES - 1) / LANES;
  const NoiseDraws draws = NoiseDrawsOf(hyper->input_noise, hyper->dropout, use_dropout);
  const LinearWork w     = LinearWorkViews(net);
  const double    *xk    = task->stimuli + RD_IDX2(stimulus, 0, n);

  PackWeights(1, n, m, d, net->W1, net->W2, w.packed);
  for (PetscInt t = 0; t < nsamples; t++) {
    const double *x   = DrawNoiseBlock(&draws, xk, n, m, probe, w.x, w.keep);
    double       *row = responses + RD_IDX2(t, 0, m);
    for (PetscInt b = 0; b < nb; b++) PACKED_NAME(HiddenBlock)(n, d, w.packed, b, x, w.h);
    if (use_dropout)
      for (PetscInt i = 0; i < m; i++) row[i] = w.h[i] * w.keep[i];
    else
      for (PetscInt i = 0; i < m; i++) row[i] = w.h[i];
  }
}

#undef PACKED_BROADCAST
#undef PACKED_VPB
#undef PACKED_MAXV
#undef PACKED_INLINE
#undef PACKED_VEC
#undef PACKED_WIDTH
#undef PACKED_GROUP
#undef PACKED_TARGET
#undef PACKED_NAME
