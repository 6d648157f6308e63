/* The dense symmetric eigensolvers (see eigen.h): SLEPc EPS, EPS_HEP, on a matrix that wraps the
 * caller's storage, and the one LAPACK dsyev wrapper of repdrift. */
#include <repdrift/eigen.h>
#include <slepceps.h>

/* The n_wanted largest eigenpairs of the symmetric dim x dim matrix (overwritten by nothing: SLEPc
 * copies it). Eigenvector i goes to vectors[i * vector_stride + j * component_stride].
 *
 * Solver choice: EPSLAPACK. We need all (covariance path) or all but one (Gram path) eigenpairs of
 * a small dense matrix; a Krylov method (Krylov-Schur) needs ncv > nev basis vectors, so with
 * nev ~ dim it only adds restarts on top of the same dense O(dim^3) work, and it converges poorly
 * on the multiple zero eigenvalues of rank-deficient data. EPSLAPACK hands the whole matrix to
 * LAPACK's symmetric tridiagonal solver once: one pass, no tolerance, exact degeneracies fine. */
PetscErrorCode RdSymmetricEigenpairs(double *matrix, PetscInt dim, PetscInt n_wanted, double *eigenvalues, double *vectors, PetscInt vector_stride, PetscInt component_stride)
{
  Mat                op;
  EPS                eps;
  Vec                eigenvector;
  PetscInt           n_converged;
  const PetscScalar *values;

  PetscFunctionBeginUser;
  PetscCall(MatCreateSeqDense(PETSC_COMM_SELF, dim, dim, matrix, &op));
  PetscCall(MatAssemblyBegin(op, MAT_FINAL_ASSEMBLY));
  PetscCall(MatAssemblyEnd(op, MAT_FINAL_ASSEMBLY));
  PetscCall(EPSCreate(PETSC_COMM_SELF, &eps));
  PetscCall(EPSSetOperators(eps, op, NULL));
  PetscCall(EPSSetProblemType(eps, EPS_HEP));
  PetscCall(EPSSetType(eps, EPSLAPACK));
  PetscCall(EPSSetWhichEigenpairs(eps, EPS_LARGEST_REAL));
  PetscCall(EPSSetDimensions(eps, n_wanted, PETSC_DEFAULT, PETSC_DEFAULT));
  PetscCall(EPSSolve(eps));
  PetscCall(EPSGetConverged(eps, &n_converged));
  PetscCheck(n_converged >= n_wanted, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "SLEPc returned %" PetscInt_FMT " of %" PetscInt_FMT " eigenpairs", n_converged, n_wanted);
  PetscCall(MatCreateVecs(op, &eigenvector, NULL));
  for (PetscInt i = 0; i < n_wanted; i++) {
    PetscScalar eigenvalue;
    PetscCall(EPSGetEigenpair(eps, i, &eigenvalue, NULL, eigenvector, NULL));
    eigenvalues[i] = PetscRealPart(eigenvalue);
    PetscCall(VecGetArrayRead(eigenvector, &values));
    for (PetscInt j = 0; j < dim; j++) vectors[(size_t)i * (size_t)vector_stride + (size_t)j * (size_t)component_stride] = PetscRealPart(values[j]);
    PetscCall(VecRestoreArrayRead(eigenvector, &values));
  }
  PetscCall(VecDestroy(&eigenvector));
  PetscCall(EPSDestroy(&eps));
  PetscCall(MatDestroy(&op));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Workspaces up to this many doubles live on the stack: dsyev's optimal size is (NB + 2) dim with
 * NB = 32 in reference LAPACK, so every modularity matrix (dim <= 17) fits and its inner loops
 * allocate nothing. */
#define RD_EIGEN_STACK_WORK 2048

PetscErrorCode RdSymmetricEigenLAPACK(double *matrix, PetscInt dim, PetscBool want_vectors, double *eigenvalues)
{
  const char *job = want_vectors ? "V" : "N";
  const int   n   = (int)dim;
  int         lwork = -1, info = 0;
  double      work_size, stack_work[RD_EIGEN_STACK_WORK], *work = stack_work;

  PetscFunctionBeginUser;
  PetscCheck(dim >= 0 && dim <= 46340, PETSC_COMM_SELF, PETSC_ERR_SUP, "Symmetric eigenproblem of dimension %" PetscInt_FMT ": LAPACK's int indexing allows 0..46340", dim);
  if (dim == 0) PetscFunctionReturn(PETSC_SUCCESS);
  dsyev_(job, "U", &n, matrix, &n, eigenvalues, &work_size, &lwork, &info); /* workspace query */
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsyev workspace query failed (info %d) on a %d x %d symmetric matrix", info, n, n);
  lwork = (int)work_size;
  if (lwork > RD_EIGEN_STACK_WORK) PetscCall(PetscMalloc1(lwork, &work));
  dsyev_(job, "U", &n, matrix, &n, eigenvalues, work, &lwork, &info);
  if (work != stack_work) PetscCall(PetscFree(work));
  PetscCheck(info == 0, PETSC_COMM_SELF, PETSC_ERR_LIB, "dsyev failed (info %d) on a %d x %d symmetric matrix", info, n, n);
  PetscFunctionReturn(PETSC_SUCCESS);
}
