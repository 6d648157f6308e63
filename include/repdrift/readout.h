/* Cross-day linear readouts between two stimulus groups, for the relative cross accuracy
 * a_rel = a^{s,s'} / a^{s',s'} and the angle between the classifiers of two days (Aitken et al.
 * 2022, PLoS Comput Biol 18(11): e1010716, Eq 14). Aitken et al. train linear SVCs; the classifier
 * here is an L2-regularised logistic regression, which is well posed for any data (separable or
 * not) and deterministic. */
#ifndef REPDRIFT_READOUT_H
#define REPDRIFT_READOUT_H

#include <repdrift/common.h>

/* Fits w, b minimising sum_i log(1 + exp(-t_i (w.x_i + b))) + (l2/2)|w|^2 (bias not penalised),
 * t = -1 for class0 rows and +1 for class1 rows ([n][n_units] row-major). Newton's method;
 * when n0 + n1 < n_units it works in the span of the training samples (representer theorem),
 * so a width-1024 fit costs no 1024 x 1024 solve. Deterministic. l2 must be > 0. */
PetscErrorCode RdLogisticFit(const double *class0, PetscInt n0, const double *class1, PetscInt n1, PetscInt n_units, double l2, double *weights, double *bias);
/* Fraction of rows classified correctly (class0 -> w.x+b < 0, class1 -> > 0; ties count wrong). */
double RdClassifierAccuracy(const double *weights, double bias, const double *class0, PetscInt n0, const double *class1, PetscInt n1, PetscInt n_units);

#endif
