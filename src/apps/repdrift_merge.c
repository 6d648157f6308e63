/* repdrift-merge OUTPUT INPUT... : combines the slice archives of one sweep (job arrays, -sweep_slice)
 * into one archive with the same schema and values as a single run's. */
#include <repdrift/archive.h>

static const char help[] = "repdrift-merge OUTPUT INPUT...\n"
                           "Combines slice archives of one sweep (identical options; written with -sweep_slice) into\n"
                           "OUTPUT, which must not exist. Every point is taken from the input in which it is finished.\n";

int main(int argc, char **argv)
{
  const char **inputs   = (const char **)(argv + 2);
  PetscInt     n_inputs = argc - 2;

  PetscCall(PetscInitializeNoArguments()); /* file names are positional: no option parsing */
  if (argc >= 2 && (!strcmp(argv[1], "-help") || !strcmp(argv[1], "--help"))) {
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "%s", help));
  } else {
    PetscCheck(argc >= 3, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Usage: repdrift-merge OUTPUT INPUT... (at least one input)");
    PetscCall(RdArchiveMerge(argv[1], n_inputs, inputs));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "Merged %d archive(s) into %s\n", (int)n_inputs, argv[1]));
  }
  PetscCall(PetscFinalize());
  return 0;
}
