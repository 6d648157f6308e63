/* The version report (include/repdrift/version.h). Library versions come from the macros of the
 * headers compiled in here; the only library call is MPI_Get_library_version. No PETSc or HDF5 call:
 * it runs before anything is initialised. */
#include <repdrift/common.h>
#include <repdrift/version.h>
#include <H5public.h> /* H5_VERS_*: version macros only (archive.c owns every HDF5 call) */
#include <mpi.h>
#include <petscversion.h>
#include <slepcversion.h>
#include <string.h>

int RdVersionRequested(int argc, char **argv)
{
  for (int i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-version") || !strcmp(argv[i], "--version")) return 1;
  return 0;
}

/* The MPI implementation named by its own header macros, if it is one that defines them. */
static void MpiImplementation(char *text, size_t size)
{
#if defined(OMPI_MAJOR_VERSION)
  snprintf(text, size, "Open MPI %d.%d.%d", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
#elif defined(I_MPI_VERSION)
  snprintf(text, size, "Intel MPI %s", I_MPI_VERSION);
#elif defined(MVAPICH2_VERSION)
  snprintf(text, size, "MVAPICH2 %s", MVAPICH2_VERSION);
#elif defined(MPICH_VERSION)
  snprintf(text, size, "MPICH %s", MPICH_VERSION);
#else
  snprintf(text, size, "implementation unknown");
#endif
}

int RdPrintVersion(FILE *stream)
{
  char mpi_build[64], mpi_runtime[MPI_MAX_LIBRARY_VERSION_STRING] = "";
  int  length = 0;

  MpiImplementation(mpi_build, sizeof mpi_build);
  if (MPI_Get_library_version(mpi_runtime, &length) != MPI_SUCCESS) snprintf(mpi_runtime, sizeof mpi_runtime, "unknown (MPI_Get_library_version failed)");
  mpi_runtime[strcspn(mpi_runtime, "\n")] = '\0'; /* the first line: name, version, package */
  fprintf(stream, "repdrift %s\n", RdProgramVersion());
  fprintf(stream, "git revision:     %s\n", RdGitRevision());
  fprintf(stream, "built with PETSc: %d.%d.%d%s\n", PETSC_VERSION_MAJOR, PETSC_VERSION_MINOR, PETSC_VERSION_SUBMINOR, PETSC_VERSION_RELEASE ? "" : " (development)");
  fprintf(stream, "built with SLEPc: %d.%d.%d%s\n", SLEPC_VERSION_MAJOR, SLEPC_VERSION_MINOR, SLEPC_VERSION_SUBMINOR, SLEPC_VERSION_RELEASE ? "" : " (development)");
#ifdef H5_HAVE_PARALLEL
  fprintf(stream, "built with HDF5:  %d.%d.%d (parallel)\n", H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
#else
  fprintf(stream, "built with HDF5:  %d.%d.%d (serial)\n", H5_VERS_MAJOR, H5_VERS_MINOR, H5_VERS_RELEASE);
#endif
  fprintf(stream, "built with MPI:   %d.%d (%s)\n", MPI_VERSION, MPI_SUBVERSION, mpi_build);
#if defined(__clang__) /* its __VERSION__ names it */
  fprintf(stream, "built with C:     %s\n", __VERSION__);
#elif defined(__GNUC__)
  fprintf(stream, "built with C:     GCC %s\n", __VERSION__);
#endif
  fprintf(stream, "running with MPI: %s\n", mpi_runtime);
  return fflush(stream) || ferror(stream) ? 1 : 0;
}
