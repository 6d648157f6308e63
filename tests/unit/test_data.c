/* Tasks: unit stimuli and targets, the probability vector of the frequency sweep, reproducibility
 * from (seed, replicate), and the user-input errors for bad sizes and frequencies. */
#include <repdrift/data.h>
#include "testing.h"

static double Norm(const double *v, PetscInt n)
{
  double s = 0.0;
  for (PetscInt i = 0; i < n; i++) s += v[i] * v[i];
  return sqrt(s);
}

static PetscErrorCode TestRandomTask(void)
{
  RdTask task;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(5, 7, 3, 0.6, 42, 2, &task));
  RD_CHECK(task.num_stimuli == 5 && task.input_dim == 7 && task.output_dim == 3, "sizes stored");
  for (PetscInt k = 0; k < 5; k++) {
    RD_CHECK_CLOSE(Norm(task.stimuli + k * 7, 7), 1.0, 1e-14, "stimulus has unit norm");
    RD_CHECK_CLOSE(Norm(task.targets + k * 3, 3), 1.0, 1e-14, "target has unit norm");
  }
  RD_CHECK_CLOSE(task.probability[0], 0.6, 0.0, "p_0 is the frequency");
  for (PetscInt k = 1; k < 5; k++) RD_CHECK_CLOSE(task.probability[k], 0.1, 1e-16, "others share 1 - frequency");
  double sum = 0.0;
  for (PetscInt k = 0; k < 5; k++) {
    sum += task.probability[k];
    if (k < 4) RD_CHECK_CLOSE(task.cumulative[k], sum, 1e-15, "cumulative is the running sum");
  }
  RD_CHECK(task.cumulative[4] == 1.0, "cumulative ends at exactly 1 (got %.17g)", task.cumulative[4]);
  /* stimuli are not all the same direction: random draws, not a constant */
  double overlap = 0.0;
  for (PetscInt i = 0; i < 7; i++) overlap += task.stimuli[i] * task.stimuli[7 + i];
  RD_CHECK(fabs(overlap) < 0.999, "two stimuli differ (overlap %g)", overlap);
  PetscCall(RdTaskDestroy(&task));

  /* a frequency whose shares do not add to 1 exactly in floating point: cumulative still ends at 1 */
  PetscCall(RdTaskCreateRandom(7, 2, 2, 0.3, 1, 0, &task));
  RD_CHECK(task.cumulative[6] == 1.0, "cumulative ends at exactly 1 for K = 7 (got %.17g)", task.cumulative[6]);
  PetscCall(RdTaskDestroy(&task));

  PetscCall(RdTaskCreateRandom(1, 4, 4, 1.0, 1, 0, &task));
  RD_CHECK(task.probability[0] == 1.0 && task.cumulative[0] == 1.0, "K = 1 with frequency 1");
  PetscCall(RdTaskDestroy(&task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool SameArrays(const double *a, const double *b, PetscInt n)
{
  for (PetscInt i = 0; i < n; i++)
    if (a[i] != b[i]) return PETSC_FALSE;
  return PETSC_TRUE;
}

static PetscErrorCode TestReproducibility(void)
{
  RdTask a, b, other_replicate, other_seed, other_frequency;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateRandom(4, 6, 5, 0.5, 7, 3, &a));
  PetscCall(RdTaskCreateRandom(4, 6, 5, 0.5, 7, 3, &b));
  PetscCall(RdTaskCreateRandom(4, 6, 5, 0.5, 7, 4, &other_replicate));
  PetscCall(RdTaskCreateRandom(4, 6, 5, 0.5, 8, 3, &other_seed));
  PetscCall(RdTaskCreateRandom(4, 6, 5, 0.9, 7, 3, &other_frequency));
  RD_CHECK(SameArrays(a.stimuli, b.stimuli, 24) && SameArrays(a.targets, b.targets, 20) && SameArrays(a.probability, b.probability, 4), "same (seed, replicate) gives the identical task");
  RD_CHECK(!SameArrays(a.stimuli, other_replicate.stimuli, 24) && !SameArrays(a.targets, other_replicate.targets, 20), "another replicate gives other stimuli and targets");
  RD_CHECK(!SameArrays(a.stimuli, other_seed.stimuli, 24), "another seed gives other stimuli");
  RD_CHECK(SameArrays(a.stimuli, other_frequency.stimuli, 24) && SameArrays(a.targets, other_frequency.targets, 20), "the frequency does not change stimuli or targets");
  RD_CHECK(other_frequency.probability[0] == 0.9 && a.probability[0] == 0.5, "the frequency changes the probabilities");
  /* stimuli and targets come from different streams */
  RD_CHECK(a.stimuli[0] != a.targets[0], "stimulus and target streams differ");
  PetscCall(RdTaskDestroy(&a));
  PetscCall(RdTaskDestroy(&b));
  PetscCall(RdTaskDestroy(&other_replicate));
  PetscCall(RdTaskDestroy(&other_seed));
  PetscCall(RdTaskDestroy(&other_frequency));
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestFromArrays(void)
{
  const double stimuli[3 * 2] = {1, 0, 0, 1, -1, 0}, targets[3 * 1] = {1, 2, 3}, probability[3] = {0.2, 0.3, 0.5};
  const double bad_sum[3] = {0.2, 0.3, 0.4}, zero_p[3] = {0.5, 0.5, 0.0};
  RdTask       task;

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateFromArrays(3, 2, 1, stimuli, targets, probability, &task));
  RD_CHECK(SameArrays(task.stimuli, stimuli, 6) && SameArrays(task.targets, targets, 3) && SameArrays(task.probability, probability, 3), "arrays copied");
  RD_CHECK(task.stimuli != stimuli, "copied, not aliased");
  RD_CHECK_CLOSE(task.cumulative[0], 0.2, 0.0, "cumulative[0]");
  RD_CHECK_CLOSE(task.cumulative[1], 0.5, 1e-16, "cumulative[1]");
  RD_CHECK(task.cumulative[2] == 1.0, "cumulative ends at exactly 1");
  PetscCall(RdTaskDestroy(&task));

  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  PetscErrorCode ierr = RdTaskCreateFromArrays(3, 2, 1, stimuli, targets, bad_sum, &task);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "probabilities not summing to 1 rejected (code %d)", (int)ierr);
  ierr = RdTaskCreateFromArrays(3, 2, 1, stimuli, targets, zero_p, &task);
  RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "zero probability rejected (code %d)", (int)ierr);
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscErrorCode TestBadInput(void)
{
  struct {
    PetscInt    K, n, d;
    PetscReal   frequency;
    const char *what;
  } bad[] = {
    {0, 4, 4, 0.5, "no stimuli"},
    {-2, 4, 4, 0.5, "negative stimulus count"},
    {3, 0, 4, 0.5, "input_dim 0"},
    {3, 4, 0, 0.5, "output_dim 0"},
    {1, 4, 4, 0.5, "K = 1 with frequency < 1"},
    {3, 4, 4, 0.0, "frequency 0"},
    {3, 4, 4, 1.0, "frequency 1 with K > 1 (other stimuli would get probability 0)"},
    {3, 4, 4, -0.1, "negative frequency"},
    {3, 4, 4, 1.5, "frequency above 1"},
    {3, 4, 4, (PetscReal)NAN, "NaN frequency"},
  };
  RdTask task;

  PetscFunctionBeginUser;
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  for (size_t t = 0; t < sizeof(bad) / sizeof(bad[0]); t++) {
    PetscErrorCode ierr = RdTaskCreateRandom(bad[t].K, bad[t].n, bad[t].d, bad[t].frequency, 1, 0, &task);
    RD_CHECK(ierr == PETSC_ERR_USER_INPUT, "%s rejected with PETSC_ERR_USER_INPUT (code %d)", bad[t].what, (int)ierr);
  }
  PetscCall(PetscPopErrorHandler());
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(TestRandomTask());
  PetscCall(TestReproducibility());
  PetscCall(TestFromArrays());
  PetscCall(TestBadInput());
  int code = RdTestSummary("test_data");
  PetscCall(SlepcFinalize());
  return code;
}
