/* Small dense kernels shared by the numerical modules (header-only so they inline): the scratch
 * carver, two dot products that differ only in their (fixed) summation order, the norm and the
 * quadratic form. Which dot a kernel uses is part of its results: switching one for the other
 * changes the last bits, so each caller keeps the one its archived values were computed with. */
#ifndef REPDRIFT_DENSE_H
#define REPDRIFT_DENSE_H

#include <repdrift/common.h>
#include <math.h>

/* Carves one scratch allocation into consecutive regions: *regions[r] = base + (sum of the
 * lengths before r), or NULL when base is NULL (a sizing pass). Returns the total length. */
static inline size_t RdCarve(double *base, double **const regions[], const size_t lengths[], size_t count)
{
  size_t offset = 0;
  for (size_t r = 0; r < count; r++) {
    *regions[r] = base ? base + offset : NULL;
    offset += lengths[r];
  }
  return offset;
}

/* Dot product with four partial sums: independent chains the compiler can pipeline. The summation
 * order is fixed, so results are deterministic. */
static inline double RdDot(const double *a, const double *b, PetscInt n)
{
  double   s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0;
  PetscInt i  = 0;
  for (; i + 4 <= n; i += 4) {
    s0 += a[i] * b[i];
    s1 += a[i + 1] * b[i + 1];
    s2 += a[i + 2] * b[i + 2];
    s3 += a[i + 3] * b[i + 3];
  }
  for (; i < n; i++) s0 += a[i] * b[i];
  return (s0 + s1) + (s2 + s3);
}

static inline double RdNorm(const double *a, PetscInt n) { return sqrt(RdDot(a, a, n)); }

/* Dot product summed strictly left to right (one chain): for the short vectors (d <= 16 sources)
 * of the modularity kernels, whose results were defined with this order. */
static inline double RdDotSequential(const double *a, const double *b, PetscInt n)
{
  double s = 0.0;
  for (PetscInt i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

/* w^T A w for a d x d row-major A: sum_j w_j (A_j . w), each row by RdDotSequential. */
static inline double RdQuadraticForm(const double *A, const double *w, PetscInt d)
{
  double s = 0.0;
  for (PetscInt j = 0; j < d; j++) s += w[j] * RdDotSequential(A + (size_t)j * (size_t)d, w, d);
  return s;
}

#endif
