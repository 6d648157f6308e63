/* The SGD noise of the linear network at a point theta: covariance C and mean of the gradient of
 * one presentation (stimulus k ~ p, input x = x_k + xi with xi ~ N(0, s^2 1), inverted dropout
 * scales D_j = keep_j / (1 - q) on the hidden layer), in closed form.
 *
 * With u = D W1 x (hidden after dropout), e = y - W2 u, v = D W2^T e, the gradient is
 *   grad_W1 = -v x^T + g W1,   grad_W2 = -e u^T + g W2.
 * Expectation over the input noise: the integrand gamma gamma^T is a polynomial of degree 4 in
 * xi, so a Gaussian cubature rule of degree 5 integrates it exactly (Stroud 1971, rule E_n^{r^2} 5-2:
 * the origin, the 2n points +-sqrt3 s e_i and the 2n(n-1) points sqrt3 s (+-e_i +- e_j), with
 * weights (n^2 - 7n + 18)/18, (4 - n)/18 and 1/36; n = 1 and 2 give the tensor Gauss-Hermite rule).
 * Expectation over the mask at a fixed input: with D = 1 + Delta, the Delta_j independent with
 * mean 0 and cumulants k2 = q/(1-q), k3 = q(2q-1)/(1-q)^2, k4 = q(q^3+(1-q)^3)/(1-q)^3 - 3 k2^2,
 *   u = h + H Delta,  e = e0 - F Delta,  v_i = (1 + Delta_i)(beta0_i - (K Delta)_i),
 * with h = W1 x, H = diag(h), e0 = y - W2 h, beta0 = W2^T e0, K = W2^T W2 H, F = W2 H, so every
 * second moment of gamma is a sum of products of at most four linear forms in Delta, whose
 * expectation is the sum over pairings (k2^2 terms), triple coincidences (k3) and quadruple
 * coincidences (k4) written out in MaskMoments below. */
#include "theory_impl.h"

/* ------------------------------------------------------------------------------------------ */
/* Gaussian cubature                                                                            */

PetscInt RdGaussianCubatureSize(PetscInt dim, double scale)
{
  return scale > 0.0 ? 2 * dim * dim + 1 : 1;
}

PetscErrorCode RdGaussianCubature(PetscInt dim, double scale, double *nodes, double *weights)
{
  const PetscInt count = RdGaussianCubatureSize(dim, scale);
  const double   r = sqrt(3.0) * scale, n = (double)dim;
  PetscInt       node = 0;

  PetscFunctionBeginUser;
  PetscCheck(dim >= 1 && scale >= 0.0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Gaussian cubature needs dim >= 1 and scale >= 0 (got %" PetscInt_FMT ", %g)", dim, scale);
  for (PetscInt a = 0; a < count * dim; a++) nodes[a] = 0.0;
  weights[node++] = scale > 0.0 ? (n * n - 7.0 * n + 18.0) / 18.0 : 1.0;
  if (scale == 0.0) PetscFunctionReturn(PETSC_SUCCESS);
  for (PetscInt i = 0; i < dim; i++)
    for (int sign = -1; sign <= 1; sign += 2) {
      nodes[RD_IDX2(node, i, dim)] = sign * r;
      weights[node++]              = (4.0 - n) / 18.0;
    }
  for (PetscInt i = 0; i < dim; i++)
    for (PetscInt j = i + 1; j < dim; j++)
      for (int si = -1; si <= 1; si += 2)
        for (int sj = -1; sj <= 1; sj += 2) {
          nodes[RD_IDX2(node, i, dim)] = si * r;
          nodes[RD_IDX2(node, j, dim)] = sj * r;
          weights[node++]              = 1.0 / 36.0;
        }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* Mask moments at a fixed input                                                                */

typedef struct {
  double k2, k3, k4; /* cumulants of Delta_j = D_j - 1 */
} MaskCumulants;

static MaskCumulants Cumulants(double q)
{
  MaskCumulants c = {0.0, 0.0, 0.0};
  if (q > 0.0) {
    const double k2 = q / (1.0 - q);
    c.k2            = k2;
    c.k3            = q * (2.0 * q - 1.0) / ((1.0 - q) * (1.0 - q));
    c.k4            = q * (q * q * q + (1.0 - q) * (1.0 - q) * (1.0 - q)) / ((1.0 - q) * (1.0 - q) * (1.0 - q)) - 3.0 * k2 * k2;
  }
  return c;
}

/* Scratch of one input: h, e0, beta0, K = G H, F = W2 H and their products. */
typedef struct {
  PetscInt m, n, d;
  double  *G;                   /* [m][m] W2^T W2 (fixed) */
  double  *x, *h, *e0, *beta0;  /* [n], [m], [d], [m] */
  double  *K, *F, *KK, *KF, *FF; /* [m][m], [d][m], [m][m] K K^T, [m][d] K F^T, [d][d] F F^T */
  double  *Vv;                  /* [m][m] E v_i v_j */
  double  *T;                   /* [m][d][m] E v_i e_r u_j */
  double  *Ubar;                /* [d][d] E e_r e_s (1+D_i)(1+D_j) / ... for one (i, j) */
  double  *mean_v, *mean_eu;    /* [m], [d][m] */
} NodeWork;

/* E over the mask of v v^T, v e u^T and the means, at the input in w->x (h, e0, beta0, K, F set). */
static void MaskMoments(const MaskCumulants *c, NodeWork *w)
{
  const PetscInt m = w->m, d = w->d;
  const double   k2 = c->k2, k3 = c->k3, k4 = c->k4;
  const double  *K = w->K, *F = w->F, *b0 = w->beta0, *e0 = w->e0, *h = w->h;

  for (PetscInt i = 0; i < m; i++) {
    const double Kii = K[RD_IDX2(i, i, m)];
    w->mean_v[i]     = b0[i] - k2 * Kii;
    for (PetscInt j = 0; j < m; j++) {
      const double Kjj = K[RD_IDX2(j, j, m)], Kij = K[RD_IDX2(i, j, m)], Kji = K[RD_IDX2(j, i, m)], KKij = w->KK[RD_IDX2(i, j, m)];
      const double same = i == j ? 1.0 : 0.0;
      w->Vv[RD_IDX2(i, j, m)] = b0[i] * b0[j] * (1.0 + k2 * same) - b0[i] * (k2 * (Kji + Kjj) + k3 * same * Kjj) - b0[j] * (k2 * (Kii + Kij) + k3 * same * Kii) + k2 * KKij + k3 * (Kii * Kji + Kij * Kjj) + k2 * k2 * (same * KKij + Kii * Kjj + Kij * Kji) + k4 * same * Kii * Kii;
      for (PetscInt r = 0; r < d; r++) {
        const double Fri = F[RD_IDX2(r, i, m)], Frj = F[RD_IDX2(r, j, m)], KFir = w->KF[RD_IDX2(i, r, d)];
        w->T[RD_IDX3(i, r, j, d, m)] = h[j] * (b0[i] * e0[r] * (1.0 + k2 * same) - b0[i] * (k2 * (Fri + Frj) + k3 * same * Fri) - e0[r] * (k2 * (Kii + Kij) + k3 * same * Kii) + k2 * KFir + k3 * (Kii * Fri + Kij * Frj) + k2 * k2 * (same * KFir + Kii * Frj + Kij * Fri) + k4 * same * Kii * Fri);
      }
    }
  }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt i = 0; i < m; i++) w->mean_eu[RD_IDX2(r, i, m)] = h[i] * (e0[r] - k2 * F[RD_IDX2(r, i, m)]);
}

/* E e_r u_i e_s u_j = h_i h_j Ubar_rs for one (i, j). */
static void MaskMomentsOutput(const MaskCumulants *c, PetscInt i, PetscInt j, NodeWork *w)
{
  const PetscInt m = w->m, d = w->d;
  const double   k2 = c->k2, k3 = c->k3, k4 = c->k4, same = i == j ? 1.0 : 0.0;
  const double  *F = w->F, *e0 = w->e0;

  for (PetscInt r = 0; r < d; r++)
    for (PetscInt s = 0; s < d; s++) {
      const double Fri = F[RD_IDX2(r, i, m)], Frj = F[RD_IDX2(r, j, m)], Fsi = F[RD_IDX2(s, i, m)], Fsj = F[RD_IDX2(s, j, m)], FFrs = w->FF[RD_IDX2(r, s, d)];
      w->Ubar[RD_IDX2(r, s, d)] = e0[r] * e0[s] * (1.0 + k2 * same) - e0[r] * (k2 * (Fsi + Fsj) + k3 * same * Fsi) - e0[s] * (k2 * (Fri + Frj) + k3 * same * Fri) + k2 * FFrs + k3 * (Fri * Fsi + Frj * Fsj) + k2 * k2 * (same * FFrs + Fri * Fsj + Frj * Fsi) + k4 * same * Fri * Fsi;
    }
}

/* h, e0, beta0, K, F and the products KK^T, KF^T, FF^T at the input w->x for target y. */
static void NodeSetup(const double *W1, const double *W2, const double *y, NodeWork *w)
{
  const PetscInt m = w->m, n = w->n, d = w->d;

  RdTheoryMatMul(m, n, 1, W1, w->x, w->h);
  RdTheoryMatMul(d, m, 1, W2, w->h, w->e0);
  for (PetscInt r = 0; r < d; r++) w->e0[r] = y[r] - w->e0[r];
  for (PetscInt i = 0; i < m; i++) {
    w->beta0[i] = 0.0;
    for (PetscInt r = 0; r < d; r++) w->beta0[i] += W2[RD_IDX2(r, i, m)] * w->e0[r];
    for (PetscInt l = 0; l < m; l++) w->K[RD_IDX2(i, l, m)] = w->G[RD_IDX2(i, l, m)] * w->h[l];
  }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt l = 0; l < m; l++) w->F[RD_IDX2(r, l, m)] = W2[RD_IDX2(r, l, m)] * w->h[l];
  for (PetscInt i = 0; i < m; i++) {
    for (PetscInt j = 0; j < m; j++) w->KK[RD_IDX2(i, j, m)] = RdDot(w->K + RD_IDX2(i, 0, m), w->K + RD_IDX2(j, 0, m), m);
    for (PetscInt r = 0; r < d; r++) w->KF[RD_IDX2(i, r, d)] = RdDot(w->K + RD_IDX2(i, 0, m), w->F + RD_IDX2(r, 0, m), m);
  }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt s = 0; s < d; s++) w->FF[RD_IDX2(r, s, d)] = RdDot(w->F + RD_IDX2(r, 0, m), w->F + RD_IDX2(s, 0, m), m);
}

/* covariance += weight E_D[gamma gamma^T], mean += weight E_D[gamma] (gamma: the data part of the
 * gradient, -(v x^T, e u^T)), both at the input w->x. */
static void Accumulate(const MaskCumulants *c, double weight, NodeWork *w, double *covariance, double *mean)
{
  const PetscInt m = w->m, n = w->n, d = w->d, P = m * n + d * m, off = m * n;
  const double  *x = w->x;

  MaskMoments(c, w);
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt a = 0; a < n; a++) {
      const PetscInt row = i * n + a;
      const double   wx  = weight * x[a];
      double        *out = covariance + RD_IDX2(row, 0, P);
      mean[row] -= wx * w->mean_v[i];
      for (PetscInt j = 0; j < m; j++) {
        const double vv = wx * w->Vv[RD_IDX2(i, j, m)];
        for (PetscInt b = 0; b < n; b++) out[j * n + b] += vv * x[b];
      }
      for (PetscInt r = 0; r < d; r++)
        for (PetscInt j = 0; j < m; j++) out[off + r * m + j] += wx * w->T[RD_IDX3(i, r, j, d, m)];
    }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt i = 0; i < m; i++) mean[off + r * m + i] -= weight * w->mean_eu[RD_IDX2(r, i, m)];
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) {
      const double hh = weight * w->h[i] * w->h[j];
      MaskMomentsOutput(c, i, j, w);
      for (PetscInt r = 0; r < d; r++)
        for (PetscInt s = 0; s < d; s++) covariance[RD_IDX2(off + r * m + i, off + s * m + j, P)] += hh * w->Ubar[RD_IDX2(r, s, d)];
    }
}

/* covariance <- covariance - mean mean^T, the W2-W1 block from the W1-W2 one; mean += g theta. */
static void Finish(PetscInt m, PetscInt n, PetscInt d, double weight_decay, const double *W1, const double *W2, double *covariance, double *mean)
{
  const PetscInt P = m * n + d * m, off = m * n;
  for (PetscInt a = 0; a < off; a++)
    for (PetscInt b = off; b < P; b++) covariance[RD_IDX2(b, a, P)] = covariance[RD_IDX2(a, b, P)];
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < P; b++) covariance[RD_IDX2(a, b, P)] -= mean[a] * mean[b];
  for (PetscInt a = 0; a < off; a++) mean[a] += weight_decay * W1[a];
  for (PetscInt a = 0; a < d * m; a++) mean[off + a] += weight_decay * W2[a];
}

PetscErrorCode RdTheoryNoiseCovariance(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *covariance, double *mean)
{
  const PetscInt      m = width, n = task->input_dim, d = task->output_dim, P = m * n + d * m;
  const PetscInt      count = RdGaussianCubatureSize(n, hyper->input_noise);
  const MaskCumulants cumulants = Cumulants(hyper->dropout);
  NodeWork            w = {.m = m, .n = n, .d = d};
  double             *nodes, *weights;

  PetscFunctionBeginUser;
  PetscCheck(hyper->dropout >= 0.0 && hyper->dropout < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_dropout values must lie in [0, 1) (got %g)", hyper->dropout);
  PetscCall(PetscMalloc2(count * n, &nodes, count, &weights));
  PetscCall(RdGaussianCubature(n, hyper->input_noise, nodes, weights));
  PetscCall(PetscMalloc7(m * m, &w.G, n, &w.x, m, &w.h, d, &w.e0, m, &w.beta0, m * m, &w.K, d * m, &w.F));
  PetscCall(PetscMalloc7(m * m, &w.KK, m * d, &w.KF, d * d, &w.FF, m * m, &w.Vv, m * d * m, &w.T, d * d, &w.Ubar, m, &w.mean_v));
  PetscCall(PetscMalloc1(d * m, &w.mean_eu));
  for (PetscInt i = 0; i < m; i++)
    for (PetscInt j = 0; j < m; j++) {
      w.G[RD_IDX2(i, j, m)] = 0.0;
      for (PetscInt r = 0; r < d; r++) w.G[RD_IDX2(i, j, m)] += W2[RD_IDX2(r, i, m)] * W2[RD_IDX2(r, j, m)];
    }
  for (PetscInt a = 0; a < P * P; a++) covariance[a] = 0.0;
  for (PetscInt a = 0; a < P; a++) mean[a] = 0.0;
  for (PetscInt k = 0; k < task->num_stimuli; k++) {
    const double *xk = task->stimuli + RD_IDX2(k, 0, n), *yk = task->targets + RD_IDX2(k, 0, d);
    for (PetscInt node = 0; node < count; node++) {
      for (PetscInt a = 0; a < n; a++) w.x[a] = xk[a] + nodes[RD_IDX2(node, a, n)];
      NodeSetup(W1, W2, yk, &w);
      Accumulate(&cumulants, task->probability[k] * weights[node], &w, covariance, mean);
    }
  }
  Finish(m, n, d, hyper->weight_decay, W1, W2, covariance, mean);
  PetscCall(PetscFree7(w.G, w.x, w.h, w.e0, w.beta0, w.K, w.F));
  PetscCall(PetscFree7(w.KK, w.KF, w.FF, w.Vv, w.T, w.Ubar, w.mean_v));
  PetscCall(PetscFree(w.mean_eu));
  PetscCall(PetscFree2(nodes, weights));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Slow reference: every stimulus, every cubature node and every one of the 2^m dropout masks
 * (probability prod (1-q)^keep q^(1-keep)), the gradient of that presentation from
 * RdLinearSampleGradient (linear.c), accumulated as E[g g^T] - E[g] E[g]^T. */
PetscErrorCode RdTheoryNoiseCovarianceReference(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, double *covariance, double *mean)
{
  const PetscInt m = width, n = task->input_dim, d = task->output_dim, P = m * n + d * m;
  const PetscInt count = RdGaussianCubatureSize(n, hyper->input_noise), masks = hyper->dropout > 0.0 ? (PetscInt)1 << m : 1;
  RdLinearNet    net;
  double        *nodes, *weights, *x, *keep, *grad;

  PetscFunctionBeginUser;
  PetscCheck(hyper->dropout == 0.0 || m <= 16, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "The reference noise covariance enumerates 2^m dropout masks: width %" PetscInt_FMT " > 16", m);
  PetscCall(PetscMalloc5(count * n, &nodes, count, &weights, n, &x, m, &keep, P, &grad));
  PetscCall(RdGaussianCubature(n, hyper->input_noise, nodes, weights));
  PetscCall(RdLinearNetCreate(n, m, d, &net));
  PetscCall(PetscArraycpy(net.W1, W1, m * n));
  PetscCall(PetscArraycpy(net.W2, W2, d * m));
  for (PetscInt a = 0; a < P * P; a++) covariance[a] = 0.0;
  for (PetscInt a = 0; a < P; a++) mean[a] = 0.0;
  for (PetscInt k = 0; k < task->num_stimuli; k++)
    for (PetscInt node = 0; node < count; node++)
      for (PetscInt mask = 0; mask < masks; mask++) {
        double weight = task->probability[k] * weights[node];
        for (PetscInt a = 0; a < n; a++) x[a] = task->stimuli[RD_IDX2(k, a, n)] + nodes[RD_IDX2(node, a, n)];
        for (PetscInt j = 0; j < m; j++) {
          const PetscBool kept = hyper->dropout == 0.0 || (mask >> j) & 1 ? PETSC_TRUE : PETSC_FALSE;
          keep[j]              = kept ? 1.0 / (1.0 - hyper->dropout) : 0.0;
          if (hyper->dropout > 0.0) weight *= kept ? 1.0 - hyper->dropout : hyper->dropout;
        }
        (void)RdLinearSampleGradient(&net, hyper->weight_decay, x, task->targets + RD_IDX2(k, 0, d), hyper->dropout > 0.0 ? keep : NULL, grad, grad + m * n);
        for (PetscInt a = 0; a < P; a++) {
          mean[a] += weight * grad[a];
          for (PetscInt b = 0; b < P; b++) covariance[RD_IDX2(a, b, P)] += weight * grad[a] * grad[b];
        }
      }
  for (PetscInt a = 0; a < P; a++)
    for (PetscInt b = 0; b < P; b++) covariance[RD_IDX2(a, b, P)] -= mean[a] * mean[b];
  PetscCall(RdLinearNetDestroy(&net));
  PetscCall(PetscFree5(nodes, weights, x, keep, grad));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ------------------------------------------------------------------------------------------ */
/* The covariance between the parameters of a few units                                         */

/* Scratch of one input for the units U: the network-wide h, e0 and F F^T, and for u, v in U the
 * entries of K, K K^T, K F^T, beta0 that MaskMoments reads (sums over every unit l). */
typedef struct {
  PetscInt        m, n, d, nu;
  const PetscInt *units;
  const double   *GU;                   /* [nu][m] (W2^T W2)_{units[u], l} */
  double         *x, *h, *h2, *e0;      /* [n], [m], [m] h_l^2, [d] */
  double         *Kd, *Kuv, *KK, *KF;    /* [nu] K_ii, [nu][nu] K_{units[u] units[v]}, [nu][nu], [nu][d] */
  double         *FF, *Fu, *beta0, *row; /* [d][d], [d][nu] F_{r units[u]}, [nu], [m] scratch */
  double         *Vv, *T, *Ubar;        /* [nu][nu], [nu][d][nu], [d][d] */
  double         *mean_v, *mean_eu;     /* [nu], [d][nu] */
} UnitsWork;

static void UnitsNodeSetup(const double *W1, const double *W2, const double *y, UnitsWork *w)
{
  const PetscInt m = w->m, n = w->n, d = w->d, nu = w->nu;

  RdTheoryMatMul(m, n, 1, W1, w->x, w->h);
  RdTheoryMatMul(d, m, 1, W2, w->h, w->e0);
  for (PetscInt r = 0; r < d; r++) w->e0[r] = y[r] - w->e0[r];
  for (PetscInt l = 0; l < m; l++) w->h2[l] = w->h[l] * w->h[l];
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt s = 0; s <= r; s++) {
      double sum = 0.0;
      for (PetscInt l = 0; l < m; l++) sum += W2[RD_IDX2(r, l, m)] * W2[RD_IDX2(s, l, m)] * w->h2[l];
      w->FF[RD_IDX2(r, s, d)] = w->FF[RD_IDX2(s, r, d)] = sum;
    }
  for (PetscInt u = 0; u < nu; u++) {
    const PetscInt i = w->units[u];
    const double  *G = w->GU + RD_IDX2(u, 0, m);
    w->beta0[u]      = 0.0;
    for (PetscInt r = 0; r < d; r++) {
      w->beta0[u] += W2[RD_IDX2(r, i, m)] * w->e0[r];
      w->Fu[RD_IDX2(r, u, nu)] = W2[RD_IDX2(r, i, m)] * w->h[i];
    }
    w->Kd[u] = G[i] * w->h[i];
    for (PetscInt l = 0; l < m; l++) w->row[l] = G[l] * w->h2[l];
    for (PetscInt v = 0; v < nu; v++) {
      w->Kuv[RD_IDX2(u, v, nu)] = G[w->units[v]] * w->h[w->units[v]];
      w->KK[RD_IDX2(u, v, nu)]  = RdDot(w->row, w->GU + RD_IDX2(v, 0, m), m);
    }
    for (PetscInt r = 0; r < d; r++) w->KF[RD_IDX2(u, r, d)] = RdDot(w->row, W2 + RD_IDX2(r, 0, m), m);
  }
}

/* MaskMoments and MaskMomentsOutput for u, v in U (the same formulas, K, F, KK, KF indexed by U). */
static void UnitsMaskMoments(const MaskCumulants *c, UnitsWork *w)
{
  const PetscInt nu = w->nu, d = w->d;
  const double   k2 = c->k2, k3 = c->k3, k4 = c->k4;
  const double  *b0 = w->beta0, *e0 = w->e0, *h = w->h;

  for (PetscInt u = 0; u < nu; u++) {
    const double Kii = w->Kd[u];
    w->mean_v[u]     = b0[u] - k2 * Kii;
    for (PetscInt v = 0; v < nu; v++) {
      const double Kjj = w->Kd[v], Kij = w->Kuv[RD_IDX2(u, v, nu)], Kji = w->Kuv[RD_IDX2(v, u, nu)], KKij = w->KK[RD_IDX2(u, v, nu)];
      const double same = w->units[u] == w->units[v] ? 1.0 : 0.0;
      w->Vv[RD_IDX2(u, v, nu)] = b0[u] * b0[v] * (1.0 + k2 * same) - b0[u] * (k2 * (Kji + Kjj) + k3 * same * Kjj) - b0[v] * (k2 * (Kii + Kij) + k3 * same * Kii) + k2 * KKij + k3 * (Kii * Kji + Kij * Kjj) + k2 * k2 * (same * KKij + Kii * Kjj + Kij * Kji) + k4 * same * Kii * Kii;
      for (PetscInt r = 0; r < d; r++) {
        const double Fri = w->Fu[RD_IDX2(r, u, nu)], Frj = w->Fu[RD_IDX2(r, v, nu)], KFir = w->KF[RD_IDX2(u, r, d)];
        w->T[RD_IDX3(u, r, v, d, nu)] = h[w->units[v]] * (b0[u] * e0[r] * (1.0 + k2 * same) - b0[u] * (k2 * (Fri + Frj) + k3 * same * Fri) - e0[r] * (k2 * (Kii + Kij) + k3 * same * Kii) + k2 * KFir + k3 * (Kii * Fri + Kij * Frj) + k2 * k2 * (same * KFir + Kii * Frj + Kij * Fri) + k4 * same * Kii * Fri);
      }
    }
  }
  for (PetscInt r = 0; r < d; r++)
    for (PetscInt u = 0; u < nu; u++) w->mean_eu[RD_IDX2(r, u, nu)] = h[w->units[u]] * (e0[r] - k2 * w->Fu[RD_IDX2(r, u, nu)]);
}

static void UnitsMaskMomentsOutput(const MaskCumulants *c, PetscInt u, PetscInt v, UnitsWork *w)
{
  const PetscInt nu = w->nu, d = w->d;
  const double   k2 = c->k2, k3 = c->k3, k4 = c->k4, same = w->units[u] == w->units[v] ? 1.0 : 0.0;
  const double  *e0 = w->e0;

  for (PetscInt r = 0; r < d; r++)
    for (PetscInt s = 0; s < d; s++) {
      const double Fri = w->Fu[RD_IDX2(r, u, nu)], Frj = w->Fu[RD_IDX2(r, v, nu)], Fsi = w->Fu[RD_IDX2(s, u, nu)], Fsj = w->Fu[RD_IDX2(s, v, nu)], FFrs = w->FF[RD_IDX2(r, s, d)];
      w->Ubar[RD_IDX2(r, s, d)] = e0[r] * e0[s] * (1.0 + k2 * same) - e0[r] * (k2 * (Fsi + Fsj) + k3 * same * Fsi) - e0[s] * (k2 * (Fri + Frj) + k3 * same * Fri) + k2 * FFrs + k3 * (Fri * Fsi + Frj * Fsj) + k2 * k2 * (same * FFrs + Fri * Fsj + Frj * Fsi) + k4 * same * Fri * Fsi;
    }
}

static void UnitsAccumulate(const MaskCumulants *c, double weight, UnitsWork *w, double *covariance, double *mean)
{
  const PetscInt n = w->n, d = w->d, nu = w->nu, k = n + d, Pu = nu * k;
  const double  *x = w->x;

  UnitsMaskMoments(c, w);
  for (PetscInt u = 0; u < nu; u++)
    for (PetscInt a = 0; a < n; a++) {
      const double wx  = weight * x[a];
      double      *out = covariance + RD_IDX2(u * k + a, 0, Pu);
      mean[u * k + a] -= wx * w->mean_v[u];
      for (PetscInt v = 0; v < nu; v++) {
        const double vv = wx * w->Vv[RD_IDX2(u, v, nu)];
        for (PetscInt b = 0; b < n; b++) out[v * k + b] += vv * x[b];
        for (PetscInt r = 0; r < d; r++) out[v * k + n + r] += wx * w->T[RD_IDX3(u, r, v, d, nu)];
      }
    }
  for (PetscInt u = 0; u < nu; u++)
    for (PetscInt r = 0; r < d; r++) mean[u * k + n + r] -= weight * w->mean_eu[RD_IDX2(r, u, nu)];
  for (PetscInt u = 0; u < nu; u++)
    for (PetscInt v = 0; v < nu; v++) {
      const double hh = weight * w->h[w->units[u]] * w->h[w->units[v]];
      UnitsMaskMomentsOutput(c, u, v, w);
      for (PetscInt r = 0; r < d; r++)
        for (PetscInt s = 0; s < d; s++) covariance[RD_IDX2(u * k + n + r, v * k + n + s, Pu)] += hh * w->Ubar[RD_IDX2(r, s, d)];
    }
}

PetscErrorCode RdTheoryNoiseCovarianceUnits(const RdTask *task, PetscInt width, const RdLinearHyper *hyper, const double *W1, const double *W2, PetscInt num_units, const PetscInt *units, double *covariance, double *mean)
{
  const PetscInt      m = width, n = task->input_dim, d = task->output_dim, k = n + d, nu = num_units, Pu = nu * k;
  const PetscInt      count     = RdGaussianCubatureSize(n, hyper->input_noise);
  const MaskCumulants cumulants = Cumulants(hyper->dropout);
  UnitsWork           w         = {.m = m, .n = n, .d = d, .nu = nu, .units = units};
  double             *nodes, *weights, *GU;

  PetscFunctionBeginUser;
  PetscCheck(hyper->dropout >= 0.0 && hyper->dropout < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_dropout values must lie in [0, 1) (got %g)", hyper->dropout);
  for (PetscInt u = 0; u < nu; u++) PetscCheck(units[u] >= 0 && units[u] < m, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Unit %" PetscInt_FMT " out of [0, %" PetscInt_FMT ")", units[u], m);
  PetscCall(PetscMalloc3(count * n, &nodes, count, &weights, nu * m, &GU));
  PetscCall(RdGaussianCubature(n, hyper->input_noise, nodes, weights));
  PetscCall(PetscMalloc7(n, &w.x, m, &w.h, m, &w.h2, d, &w.e0, nu, &w.Kd, nu * nu, &w.Kuv, nu * nu, &w.KK));
  PetscCall(PetscMalloc7(nu * d, &w.KF, d * d, &w.FF, d * nu, &w.Fu, nu, &w.beta0, m, &w.row, nu * nu, &w.Vv, nu * d * nu, &w.T));
  PetscCall(PetscMalloc3(d * d, &w.Ubar, nu, &w.mean_v, d * nu, &w.mean_eu));
  for (PetscInt u = 0; u < nu; u++)
    for (PetscInt l = 0; l < m; l++) {
      double sum = 0.0;
      for (PetscInt r = 0; r < d; r++) sum += W2[RD_IDX2(r, units[u], m)] * W2[RD_IDX2(r, l, m)];
      GU[RD_IDX2(u, l, m)] = sum;
    }
  w.GU = GU;
  for (PetscInt a = 0; a < Pu * Pu; a++) covariance[a] = 0.0;
  for (PetscInt a = 0; a < Pu; a++) mean[a] = 0.0;
  for (PetscInt s = 0; s < task->num_stimuli; s++) {
    const double *xs = task->stimuli + RD_IDX2(s, 0, n), *ys = task->targets + RD_IDX2(s, 0, d);
    for (PetscInt node = 0; node < count; node++) {
      for (PetscInt a = 0; a < n; a++) w.x[a] = xs[a] + nodes[RD_IDX2(node, a, n)];
      UnitsNodeSetup(W1, W2, ys, &w);
      UnitsAccumulate(&cumulants, task->probability[s] * weights[node], &w, covariance, mean);
    }
  }
  /* the W2-W1 entries from the W1-W2 ones, minus mean mean^T; then the mean of the full gradient */
  for (PetscInt u = 0; u < nu; u++)
    for (PetscInt a = 0; a < n; a++)
      for (PetscInt v = 0; v < nu; v++)
        for (PetscInt r = 0; r < d; r++) covariance[RD_IDX2(v * k + n + r, u * k + a, Pu)] = covariance[RD_IDX2(u * k + a, v * k + n + r, Pu)];
  for (PetscInt a = 0; a < Pu; a++)
    for (PetscInt b = 0; b < Pu; b++) covariance[RD_IDX2(a, b, Pu)] -= mean[a] * mean[b];
  for (PetscInt u = 0; u < nu; u++) {
    for (PetscInt a = 0; a < n; a++) mean[u * k + a] += hyper->weight_decay * W1[RD_IDX2(units[u], a, n)];
    for (PetscInt r = 0; r < d; r++) mean[u * k + n + r] += hyper->weight_decay * W2[RD_IDX2(r, units[u], m)];
  }
  PetscCall(PetscFree7(w.x, w.h, w.h2, w.e0, w.Kd, w.Kuv, w.KK));
  PetscCall(PetscFree7(w.KF, w.FF, w.Fu, w.beta0, w.row, w.Vv, w.T));
  PetscCall(PetscFree3(w.Ubar, w.mean_v, w.mean_eu));
  PetscCall(PetscFree3(nodes, weights, GU));
  PetscFunctionReturn(PETSC_SUCCESS);
}
