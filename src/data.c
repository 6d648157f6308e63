/* Stimuli, targets and presentation probabilities of one sweep point's task. The random task
 * is a pure function of (seed, replicate, sizes, frequency): stimuli and targets come from
 * their own streams, so changing the frequency changes only the probabilities. */
#include <repdrift/data.h>
#include <math.h>

/* Fills rows[count][dim] with independent Gaussian draws, each row scaled to unit length
 * (a uniformly distributed direction on the sphere). */
static PetscErrorCode DrawUnitVectors(RdStream *stream, PetscInt count, PetscInt dim, double *rows)
{
  PetscFunctionBeginUser;
  for (PetscInt k = 0; k < count; k++) {
    double *row  = rows + RD_IDX2(k, 0, dim);
    double  norm = 0.0;
    for (PetscInt i = 0; i < dim; i++) {
      row[i] = RdStreamNormal(stream);
      norm += row[i] * row[i];
    }
    norm = sqrt(norm);
    /* all-zero Gaussian draws have probability zero; refuse rather than divide by zero */
    PetscCheck(norm > 0.0, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Gaussian draw of a unit vector had zero length");
    for (PetscInt i = 0; i < dim; i++) row[i] /= norm;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Allocates every array of a task of the given sizes. */
static PetscErrorCode TaskAllocate(PetscInt num_stimuli, PetscInt input_dim, PetscInt output_dim, RdTask *task)
{
  PetscFunctionBeginUser;
  task->num_stimuli = num_stimuli;
  task->input_dim   = input_dim;
  task->output_dim  = output_dim;
  PetscCall(PetscMalloc1((size_t)num_stimuli * (size_t)input_dim, &task->stimuli));
  PetscCall(PetscMalloc1((size_t)num_stimuli * (size_t)output_dim, &task->targets));
  PetscCall(PetscMalloc1(num_stimuli, &task->probability));
  PetscCall(PetscMalloc1(num_stimuli, &task->cumulative));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Running sum of the probabilities; the last entry is set to exactly 1 so that a categorical
 * draw u < 1 can never fall past the end because of rounding in the sum. */
static void TaskSetCumulative(RdTask *task)
{
  double sum = 0.0;
  for (PetscInt k = 0; k < task->num_stimuli; k++) {
    sum += task->probability[k];
    task->cumulative[k] = sum;
  }
  task->cumulative[task->num_stimuli - 1] = 1.0;
}

PetscErrorCode RdTaskCreateRandom(PetscInt num_stimuli, PetscInt input_dim, PetscInt output_dim, PetscReal frequency, uint64_t seed, PetscInt replicate, RdTask *task)
{
  RdStream stimuli_stream, targets_stream;

  PetscFunctionBeginUser;
  PetscCheck(num_stimuli >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-num_stimuli must be at least 1 (got %" PetscInt_FMT ")", num_stimuli);
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_dim must be at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCheck(output_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-output_dim must be at least 1 (got %" PetscInt_FMT ")", output_dim);
  if (num_stimuli == 1) {
    PetscCheck(frequency == 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_frequency must be 1 when -num_stimuli is 1 (got %g)", (double)frequency);
  } else {
    /* every stimulus must keep a positive probability, as for tasks built from arrays */
    PetscCheck(frequency > 0.0 && frequency < 1.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-sweep_frequency values must lie strictly between 0 and 1 when -num_stimuli > 1 (got %g)", (double)frequency);
  }
  PetscCheck(replicate >= 0 && (uint64_t)replicate <= UINT32_MAX, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "Replicate %" PetscInt_FMT " does not fit a 32-bit stream id", replicate);

  PetscCall(TaskAllocate(num_stimuli, input_dim, output_dim, task));
  RdStreamInit(&stimuli_stream, seed, (uint32_t)replicate, RD_PURPOSE_STIMULI);
  RdStreamInit(&targets_stream, seed, (uint32_t)replicate, RD_PURPOSE_TARGETS);
  PetscCall(DrawUnitVectors(&stimuli_stream, num_stimuli, input_dim, task->stimuli));
  PetscCall(DrawUnitVectors(&targets_stream, num_stimuli, output_dim, task->targets));

  task->probability[0] = frequency;
  for (PetscInt k = 1; k < num_stimuli; k++) task->probability[k] = (1.0 - frequency) / (double)(num_stimuli - 1);
  TaskSetCumulative(task);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTaskCreateFromArrays(PetscInt num_stimuli, PetscInt input_dim, PetscInt output_dim, const double *stimuli, const double *targets, const double *probability, RdTask *task)
{
  double sum = 0.0;

  PetscFunctionBeginUser;
  PetscCheck(num_stimuli >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "A task needs at least one stimulus (got %" PetscInt_FMT "): check -num_stimuli or the input dataset", num_stimuli);
  PetscCheck(input_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_dim must be at least 1 (got %" PetscInt_FMT ")", input_dim);
  PetscCheck(output_dim >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-output_dim must be at least 1 (got %" PetscInt_FMT ")", output_dim);
  for (PetscInt k = 0; k < num_stimuli; k++) {
    PetscCheck(probability[k] > 0.0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Presentation probability of stimulus %" PetscInt_FMT " is %g: every probability must be positive", k, probability[k]);
    sum += probability[k];
  }
  PetscCheck(fabs(sum - 1.0) <= 1e-12, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Presentation probabilities sum to %.17g, not 1 (tolerance 1e-12)", sum);

  PetscCall(TaskAllocate(num_stimuli, input_dim, output_dim, task));
  PetscCall(PetscArraycpy(task->stimuli, stimuli, (size_t)num_stimuli * (size_t)input_dim));
  PetscCall(PetscArraycpy(task->targets, targets, (size_t)num_stimuli * (size_t)output_dim));
  PetscCall(PetscArraycpy(task->probability, probability, num_stimuli));
  TaskSetCumulative(task);
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTaskDestroy(RdTask *task)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree(task->stimuli));
  PetscCall(PetscFree(task->targets));
  PetscCall(PetscFree(task->probability));
  PetscCall(PetscFree(task->cumulative));
  task->num_stimuli = task->input_dim = task->output_dim = 0;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTaskCreateE3(PetscReal frequency, RdTask *task)
{
  double x[6], y[6] = {1, 0, 0, 1, 0, -1}, p[3] = {frequency, (1 - frequency) / 2, (1 - frequency) / 2};

  PetscFunctionBeginUser;
  for (int k = 0; k < 3; k++) {
    x[2 * k]     = cos(2 * PETSC_PI * k / 3);
    x[2 * k + 1] = sin(2 * PETSC_PI * k / 3);
  }
  PetscCall(RdTaskCreateFromArrays(3, 2, 2, x, y, p, task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdTaskCreateE1(PetscReal frequency, RdTask *task)
{
  const double s3 = 1 / sqrt(3.0), s2 = 1 / sqrt(2.0), rest = (1 - frequency) / 3;
  double       x[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, s3, s3, s3}, y[12] = {1, 0, 0, 0, 1, 0, 0, 0, 1, s2, -s2, 0}, p[4] = {frequency, rest, rest, rest};

  PetscFunctionBeginUser;
  PetscCall(RdTaskCreateFromArrays(4, 3, 3, x, y, p, task));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* The reference configurations as data: one table per task. */
static const RdOptionValue reference_e3[] = {
  {"-num_stimuli", "3", PETSC_TRUE},    {"-input_dim", "2", PETSC_TRUE},  {"-output_dim", "2", PETSC_TRUE},
  {"-weight_decay", "0.01", PETSC_FALSE}, {"-lr", "0.025", PETSC_FALSE},  {"-input_noise", "0", PETSC_FALSE},
  {"-sweep_dropout", "0", PETSC_FALSE},   {"-batch", "1", PETSC_FALSE},   {"-sweep_width", "2", PETSC_FALSE},
};
static const RdOptionValue reference_e1[] = {
  {"-num_stimuli", "4", PETSC_TRUE},    {"-input_dim", "3", PETSC_TRUE},  {"-output_dim", "3", PETSC_TRUE},
  {"-weight_decay", "0.01", PETSC_FALSE}, {"-lr", "0.025", PETSC_FALSE},  {"-input_noise", "0", PETSC_FALSE},
  {"-sweep_dropout", "0", PETSC_FALSE},   {"-batch", "1", PETSC_FALSE},   {"-sweep_width", "3", PETSC_FALSE},
};

PetscErrorCode RdReferenceConfiguration(const char *name, const RdOptionValue **table, PetscInt *count)
{
  PetscBool e1, e3;

  PetscFunctionBeginUser;
  PetscCall(PetscStrcmp(name, "e1", &e1));
  PetscCall(PetscStrcmp(name, "e3", &e3));
  PetscCheck(e1 || e3, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "No reference configuration named %s: -data takes e1 or e3", name);
  *table = e1 ? reference_e1 : reference_e3;
  *count = e1 ? (PetscInt)(sizeof reference_e1 / sizeof reference_e1[0]) : (PetscInt)(sizeof reference_e3 / sizeof reference_e3[0]);
  PetscFunctionReturn(PETSC_SUCCESS);
}
