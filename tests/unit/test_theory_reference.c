/* The reference configurations E1 and E3 as data (RdReferenceConfiguration): every entry once,
 * the fixed sizes those of the task, no input noise and no dropout, and the theory at the
 * table's parameters reproduces the E3 row of the drift theory's reference table (p0 = 1/3). */
#include <repdrift/theory.h>
#include <string.h>
#include "testing.h"

/* The value of option in the table (NULL if absent). */
static const char *Lookup(const RdOptionValue *table, PetscInt count, const char *option)
{
  for (PetscInt i = 0; i < count; i++)
    if (!strcmp(table[i].option, option)) return table[i].value;
  return NULL;
}

static PetscErrorCode CheckTable(const char *name, const RdTask *task, PetscInt rank)
{
  const RdOptionValue *table;
  PetscInt             count;
  const char *const    required[] = {"-num_stimuli", "-input_dim", "-output_dim", "-weight_decay", "-lr", "-input_noise", "-sweep_dropout", "-batch", "-sweep_width"};

  PetscFunctionBeginUser;
  PetscCall(RdReferenceConfiguration(name, &table, &count));
  for (PetscInt i = 0; i < count; i++)
    for (PetscInt j = i + 1; j < count; j++) RD_CHECK(strcmp(table[i].option, table[j].option), "%s: %s appears once", name, table[i].option);
  for (size_t r = 0; r < sizeof required / sizeof required[0]; r++) RD_CHECK(Lookup(table, count, required[r]) != NULL, "%s sets %s", name, required[r]);
  RD_CHECK(atoi(Lookup(table, count, "-num_stimuli")) == task->num_stimuli && atoi(Lookup(table, count, "-input_dim")) == task->input_dim && atoi(Lookup(table, count, "-output_dim")) == task->output_dim, "%s: sizes are the task's (%d, %d, %d)", name, (int)task->num_stimuli, (int)task->input_dim, (int)task->output_dim);
  for (PetscInt i = 0; i < count; i++) {
    const PetscBool size = !strcmp(table[i].option, "-num_stimuli") || !strcmp(table[i].option, "-input_dim") || !strcmp(table[i].option, "-output_dim");
    RD_CHECK(table[i].fixed == size, "%s %s: fixed exactly when the task fixes it", name, table[i].option);
  }
  RD_CHECK(atof(Lookup(table, count, "-input_noise")) == 0.0 && atof(Lookup(table, count, "-sweep_dropout")) == 0.0 && atoi(Lookup(table, count, "-batch")) == 1, "%s: no input noise, no dropout, batch 1", name);
  RD_CHECK(atoi(Lookup(table, count, "-sweep_width")) == rank, "%s: width %s holds the minimum (rank %d)", name, Lookup(table, count, "-sweep_width"), (int)rank);
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  RdTask               e1, e3;
  RdTheoryResult       res;
  const RdOptionValue *table;
  PetscInt             count;
  PetscErrorCode       ierr;

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(RdTaskCreateE1(0.5, &e1));
  PetscCall(RdTaskCreateE3(1.0 / 3, &e3));
  PetscCall(CheckTable("e1", &e1, 3));
  PetscCall(CheckTable("e3", &e3, 2));
  PetscCall(RdReferenceConfiguration("e3", &table, &count));
  RdTheoryInput in = {.task = &e3, .width = atoi(Lookup(table, count, "-sweep_width")), .weight_decay = atof(Lookup(table, count, "-weight_decay")), .lr = atof(Lookup(table, count, "-lr")), .seed = 1, .input_noise = atof(Lookup(table, count, "-input_noise")), .dropout = atof(Lookup(table, count, "-sweep_dropout"))};
  PetscCall(RdTheoryCompute(&in, &res));
  RD_CHECK(res.holds && fabs(res.L_star - 0.0735692276) < 1e-9 && fabs(res.excess_loss / 1.0702e-3 - 1) < 1e-3, "E3 at the table's parameters: L* %.10f (0.0735692276), excess loss %.5g (1.0702e-3)", res.L_star, res.excess_loss);
  PetscCall(RdTheoryResultDestroy(&res));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdReferenceConfiguration("e2", &table, &count);
  PetscCall(PetscPopErrorHandler());
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "an unknown configuration is a user error (code %d)", (int)ierr);
  PetscCall(RdTaskDestroy(&e1));
  PetscCall(RdTaskDestroy(&e3));
  int code = RdTestSummary("test_theory_reference");
  PetscCall(SlepcFinalize());
  return code;
}
