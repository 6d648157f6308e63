/* The within-session nulls of a recording (Aitken et al. 2022, section 2.1): the two halves of a
 * session's trials, and its even and odd trials, as a (probe A, probe B) pair the signature module
 * consumes like a network's Delta t = 0 null. Contract: include/repdrift/recording.h. No I/O. */
#include <math.h>
#include <repdrift/recording.h>
#include <repdrift/signature.h>

const char *const rd_recording_null_names[] = {"split_half", "even_odd"};

/* Sample index (within the group's m samples) of the a-th member of set A or B. */
static PetscInt NullMember(RdRecordingNull kind, PetscBool set_b, PetscInt a, PetscInt m)
{
  const PetscInt h = m / 2;
  if (kind == RD_RECORDING_NULL_SPLIT_HALF) return set_b ? m - h + a : a;
  return 2 * a + (set_b ? 1 : 0);
}

PetscErrorCode RdRecordingNullSets(const RdResponses *responses, RdRecordingNull kind, RdResponses *sets)
{
  PetscInt h;

  PetscFunctionBeginUser;
  PetscCheck(responses && responses->values && sets, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdRecordingNullSets: responses (with values) and sets must be given");
  PetscCheck(kind == RD_RECORDING_NULL_SPLIT_HALF || kind == RD_RECORDING_NULL_EVEN_ODD, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "RdRecordingNullSets: unknown null %d", (int)kind);
  h = responses->samples / 2;
  PetscCheck(h >= 1, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "RdRecordingNullSets: %" PetscInt_FMT " trial(s) per group cannot be split in two sets", responses->samples);
  *sets         = *responses;
  sets->samples = h;
  const size_t size = (size_t)sets->days * sets->groups * h * sets->width;
  PetscCall(PetscMalloc2(size, &sets->values, size, &sets->values_null));
  for (PetscInt s = 0; s < sets->days; s++)
    for (PetscInt k = 0; k < sets->groups; k++) {
      const double *members = RdResponsesOf(responses, responses->values, s, k);
      double       *a_rows = RdResponsesOf(sets, sets->values, s, k), *b_rows = RdResponsesOf(sets, sets->values_null, s, k);
      for (PetscInt a = 0; a < h; a++) {
        PetscCall(PetscArraycpy(a_rows + (size_t)a * sets->width, members + (size_t)NullMember(kind, PETSC_FALSE, a, responses->samples) * sets->width, sets->width));
        PetscCall(PetscArraycpy(b_rows + (size_t)a * sets->width, members + (size_t)NullMember(kind, PETSC_TRUE, a, responses->samples) * sets->width, sets->width));
      }
    }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingNullSetsDestroy(RdResponses *sets)
{
  PetscFunctionBeginUser;
  PetscCall(PetscFree2(sets->values, sets->values_null));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdRecordingSignatureNull(const RdResponses *responses, RdRecordingNull kind, double readout_l2, RdSignatureSummary *summary)
{
  RdResponses      sets;
  RdSignatureInput input = {0};
  double           sum   = 0.0;
  PetscInt         count = 0;
  PetscErrorCode   ierr;

  PetscFunctionBeginUser;
  PetscCall(RdRecordingNullSets(responses, kind, &sets));
  input.snapshots  = sets.days;
  input.groups     = sets.groups;
  input.samples    = sets.samples;
  input.units      = sets.width;
  input.probe_a    = sets.values;
  input.probe_b    = sets.values_null;
  input.readout_l2 = readout_l2;
  ierr = RdSignatureComputeNull(&input, summary);
  /* the null's own "is it real?" number: set A against set B of each session and stimulus */
  for (PetscInt s = 0; s < sets.days && !ierr; s++)
    for (PetscInt k = 0; k < sets.groups && !ierr; k++) {
      double accuracy = RD_NAN;
      ierr = RdDiscriminationAccuracy(RdResponsesOf(&sets, sets.values, s, k), RdResponsesOf(&sets, sets.values_null, s, k), sets.samples, sets.width, readout_l2, &accuracy);
      if (ierr || !isfinite(accuracy)) continue;
      sum += accuracy;
      count++;
    }
  summary->day_discrimination_accuracy = count > 0 ? sum / (double)count : RD_NAN;
  PetscCall(RdRecordingNullSetsDestroy(&sets));
  PetscCall(ierr);
  PetscFunctionReturn(PETSC_SUCCESS);
}
