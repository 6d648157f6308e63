/* -data e1|e3 sets every parameter of the drift theory's reference configuration
 * (RdReferenceConfiguration, data.c) that the user does not give - input noise 0 included - and
 * /config/options records the effective values; a value given explicitly wins (under any of its
 * names); a fixed one (the sizes) given with another value is a one-line error. */
#include <repdrift/config.h>
#include <repdrift/data.h>
#include <repdrift/model.h>
#include <string.h>
#include "testing.h"
#include "test_configure.h"
#include "../../src/models/linear_model.h"

/* Every entry of the reference table against the configuration read with `options`, except those
 * named in `given` (space-separated) whose values are the user's. */
static void CheckReference(const char *name, const char *options, const char *given)
{
  RdConfig              cfg;
  const RdOptionValue  *table;
  PetscInt              count;
  char                  message[2048], *text;
  const RdLinearOptions *lo;

  RD_CHECK(RdTestConfigure(options, &cfg, message, sizeof message) == 0, "\"%s\" accepted (%s)", options, message);
  lo = RdLinearOptionsOf(&cfg);
  PetscCallAbort(PETSC_COMM_SELF, RdReferenceConfiguration(name, &table, &count));
  PetscCallAbort(PETSC_COMM_SELF, RdConfigOptionsText(&cfg, &text));
  for (PetscInt e = 0; e < count; e++) {
    if (strstr(given, table[e].option)) continue;
    if (table[e].fixed) {
      const PetscInt value = atoi(table[e].value);
      const PetscInt have  = !strcmp(table[e].option, "-num_stimuli") ? lo->num_stimuli : !strcmp(table[e].option, "-input_dim") ? lo->input_dim : lo->output_dim;
      RD_CHECK(have == value, "%s: %s = %s (fixed), got %d", options, table[e].option, table[e].value, (int)have);
    } else {
      /* the option's line, its value read as a number (reals are written with 17 digits) */
      const char *option = !strcmp(table[e].option, "-lr") ? "-sweep_lr" : table[e].option, *at;
      char        key[128];
      PetscCallAbort(PETSC_COMM_SELF, PetscSNPrintf(key, sizeof key, "\n%s ", option));
      at = strstr(text, key);
      const char *value = at ? at + strlen(key) : NULL, *end = value ? strchr(value, '\n') : NULL, *comma = value ? strchr(value, ',') : NULL;
      RD_CHECK(value && strtod(value, NULL) == strtod(table[e].value, NULL) && (!comma || comma > end), "%s: /config/options has %s %s (one value)", options, option, table[e].value);
    }
  }
  RD_CHECK(lo->input_noise == 0.0 || strstr(given, "-input_noise"), "%s: input noise %g (the reference's 0 unless given)", options, lo->input_noise);
  PetscCallAbort(PETSC_COMM_SELF, PetscFree(text));
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
}

static void Refuse(const char *options, const char *expected)
{
  RdConfig       cfg;
  char           message[2048];
  PetscErrorCode failed = RdTestConfigure(options, &cfg, message, sizeof message);
  RD_CHECK(failed == PETSC_ERR_USER_INPUT && strstr(message, expected) && !strchr(message, '\n'), "\"%s\" refused in one line naming \"%s\" (error %d: %s)", options, expected, (int)failed, message);
  if (!failed) PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
}

int main(int argc, char **argv)
{
  RdConfig cfg;
  char     message[2048];

  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  PetscCall(RdModelRegisterAll());
  CheckReference("e3", "-data e3", "");
  CheckReference("e1", "-data e1 -protocol replicas", "");
  CheckReference("e1", "-data e1 -input_noise 0.1 -lr 0.01 -sweep_width 8,16", "-input_noise -lr -sweep_width");
  CheckReference("e3", "-data e3 -sweep_lr 0.025,0.0125 -sweep_noise_level 0,0.1 -num_stimuli 3", "-lr -sweep_dropout");
  /* the user's values where given */
  RD_CHECK(RdTestConfigure("-data e1 -input_noise 0.1 -lr 0.01 -sweep_width 8,16 -weight_decay 0.002", &cfg, message, sizeof message) == 0, "-data e1 with explicit values accepted (%s)", message);
  {
    const RdLinearOptions *lo = RdLinearOptionsOf(&cfg);
    RD_CHECK(lo->input_noise == 0.1 && cfg.axes.n_lr == 1 && cfg.axes.lr[0] == 0.01 && cfg.axes.n_width == 2 && cfg.axes.width[1] == 16 && cfg.weight_decay == 0.002, "explicit input noise, lr, widths and weight decay win over -data e1's");
    RD_CHECK(cfg.axes.n_noise_level == 1 && cfg.axes.noise_level[0] == 0.0 && cfg.batch == 1 && lo->num_stimuli == 4 && lo->input_dim == 3, "the rest is E1's: dropout 0, batch 1, K 4, n 3");
    PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  }
  Refuse("-data e3 -input_dim 4", "-input_dim does not apply to -data e3, whose sizes are fixed");
  Refuse("-data e1 -num_stimuli 3", "-num_stimuli does not apply to -data e1, whose sizes are fixed");
  /* the default random task keeps the run's defaults */
  RD_CHECK(RdTestConfigure("", &cfg, message, sizeof message) == 0 && RdLinearOptionsOf(&cfg)->input_noise == 0.1 && cfg.axes.n_width == 3, "-data random: input noise 0.1 and three widths (the defaults)");
  PetscCallAbort(PETSC_COMM_SELF, RdConfigDestroy(&cfg));
  int code = RdTestSummary("test_theory_options");
  PetscCall(SlepcFinalize());
  return code;
}
