/* "paper-v1": the passive mouse V1 drift geometry of Aitken, Garrett, Olsen & Mihalas (2022), "The
 * geometry of representational drift in natural and artificial neural networks", PLoS Comput Biol
 * 18(11): e1010716, section 2.1 (Allen Brain Observatory Visual Coding, Natural Movie One cut into
 * 30 one-second blocks = the stimulus groups, its repeats = the trials, three sessions, cells
 * matched across sessions). Mean +- SD across mice where the paper gives them; "about" values and
 * bounds otherwise. Metric names: include/repdrift/reference.h. */
#include <math.h>
#include <string.h>
#include <repdrift/reference.h>

#define NA ((double)NAN)

static const RdReferenceValue paper_v1_values[] = {
  {"participation_ratio_per_unit", RD_REFERENCE_MEAN_SD, 0.05, 0.04, "1", PETSC_TRUE, "variational space dimension D/N = 0.05 +- 0.04"},
  {"variance_in_variational_space", RD_REFERENCE_MEAN_SD, 0.91, 0.04, "1", PETSC_TRUE, "91 +- 4 % of the in-class variance lies in the variational space"},
  {"day_discrimination_accuracy", RD_REFERENCE_MEAN_SD, 0.68, 0.08, "1", PETSC_TRUE, "a linear classifier tells two sessions apart with 68 +- 8 % accuracy"},
  {"null_day_discrimination_accuracy", RD_REFERENCE_MEAN_SD, 0.51, 0.07, "1", PETSC_TRUE, "the first from the second half of one session: 51 +- 7 % (the within-session split-half null)"},
  {"even_odd_day_discrimination_accuracy", RD_REFERENCE_MEAN_SD, 0.45, 0.05, "1", PETSC_TRUE, "even from odd trials of one session: 45 +- 5 %"},
  {"fraction_in_variational_space", RD_REFERENCE_APPROXIMATE, 0.5, NA, "1", PETSC_TRUE, "gamma about 0.5, flat over 1 to 9 days between sessions, well above chance"},
  {"variational_overlap", RD_REFERENCE_APPROXIMATE, 0.5, NA, "1", PETSC_TRUE, "overlap of the variational spaces of two sessions about 0.5, near its chance level"},
  {"classifier_angle", RD_REFERENCE_APPROXIMATE, 57.0, NA, "degree", PETSC_TRUE, "angle between the linear classifiers of two sessions about 57 degrees"},
  {"angle_between_means_per_day", RD_REFERENCE_UPPER_BOUND, 1.0, NA, "degree/day", PETSC_TRUE, "the angle between session means grows by less than 1 degree per day"},
};

static const RdReferenceRecording paper_v1 = {
  "paper-v1",
  "Aitken K, Garrett M, Olsen S, Mihalas S (2022) The geometry of representational drift in natural and artificial neural networks. PLoS Comput Biol 18(11): e1010716, section 2.1",
  "mouse V1, passive viewing (Allen Brain Observatory Visual Coding): Natural Movie One in 30 one-second blocks (stimulus groups), its repeats as trials, three sessions, cells matched across sessions",
  (PetscInt)(sizeof paper_v1_values / sizeof paper_v1_values[0]),
  paper_v1_values,
};

const RdReferenceRecording *const rd_reference_recordings[] = {&paper_v1, NULL};

const RdReferenceRecording *RdReferenceFind(const char *name)
{
  for (size_t i = 0; name && rd_reference_recordings[i]; i++)
    if (!strcmp(rd_reference_recordings[i]->name, name)) return rd_reference_recordings[i];
  return NULL;
}
