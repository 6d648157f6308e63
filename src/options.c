/* Options as data (include/repdrift/options.h): defaults, reading, validation and text of an
 * option table. No file I/O: the PETSc options database is the only input. */
#include <repdrift/options.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void       *At(void *base, size_t offset) { return (char *)base + offset; }
static const void *AtConst(const void *base, size_t offset) { return (const char *)base + offset; }

static PetscBool IsList(RdOptionType type) { return type == RD_OPTION_INT_LIST || type == RD_OPTION_REAL_LIST || type == RD_OPTION_CHOICE_LIST; }
static PetscInt  MaxCount(const RdOption *option) { return option->max_count > 0 ? option->max_count : RD_OPTION_MAX_VALUES; }

const RdOption *RdOptionsFind(const RdOption table[], const char *name)
{
  for (const RdOption *option = table; option->name; option++)
    if (!strcmp(option->name, name)) return option;
  return NULL;
}

PetscBool RdOptionNotWritten(const struct RdConfig *cfg)
{
  (void)cfg;
  return PETSC_FALSE;
}

PetscErrorCode RdOptionGiven(const char *name, PetscBool *given)
{
  PetscFunctionBeginUser;
  PetscCall(PetscOptionsHasName(NULL, NULL, name, given));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* An alias must share its target's destination (its offsets are the target's). */
static PetscErrorCode CheckAlias(const RdOption table[], const RdOption *option)
{
  const RdOption *target;

  PetscFunctionBeginUser;
  if (!option->alias_of) PetscFunctionReturn(PETSC_SUCCESS);
  target = RdOptionsFind(table, option->alias_of);
  PetscCheck(target && !target->alias_of, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Option %s is an alias of %s, which its table lacks", option->name, option->alias_of);
  PetscCheck(target->offset == option->offset && target->count_offset == option->count_offset, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Option %s must have the offsets of %s, of which it is an alias", option->name, option->alias_of);
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- ranges: "[a, b]", "(a, b)", "[a, b)", "(a, b]", ">= a", "> a", "<= b", "< b" ---------- */

typedef struct {
  double    low, high;
  PetscBool low_open, high_open;
} Range;

static PetscErrorCode ParseRange(const char *name, const char *text, Range *range)
{
  char *end;

  PetscFunctionBeginUser;
  *range = (Range){-INFINITY, INFINITY, PETSC_TRUE, PETSC_TRUE};
  while (*text == ' ') text++;
  if (text[0] == '[' || text[0] == '(') {
    range->low_open = text[0] == '(';
    range->low      = strtod(text + 1, &end);
    PetscCheck(end != text + 1 && *end == ',', PETSC_COMM_SELF, PETSC_ERR_PLIB, "Option %s: malformed range \"%s\"", name, text);
    const char *high = end + 1;
    range->high      = strtod(high, &end);
    while (*end == ' ') end++;
    PetscCheck(end != high && (*end == ']' || *end == ')') && end[1] == '\0', PETSC_COMM_SELF, PETSC_ERR_PLIB, "Option %s: malformed range \"%s\"", name, text);
    range->high_open = *end == ')';
  } else if (text[0] == '>' || text[0] == '<') {
    PetscBool open  = text[1] != '=';
    const char *at  = text + (open ? 1 : 2);
    double      value = strtod(at, &end);
    PetscCheck(end != at && *end == '\0', PETSC_COMM_SELF, PETSC_ERR_PLIB, "Option %s: malformed range \"%s\"", name, text);
    if (text[0] == '>') {
      range->low      = value;
      range->low_open = open;
    } else {
      range->high      = value;
      range->high_open = open;
    }
  } else SETERRQ(PETSC_COMM_SELF, PETSC_ERR_PLIB, "Option %s: malformed range \"%s\"", name, text);
  PetscFunctionReturn(PETSC_SUCCESS);
}

static PetscBool InRange(const Range *range, double value)
{
  if (!(value == value)) return PETSC_FALSE; /* NaN */
  if (range->low_open ? !(value > range->low) : !(value >= range->low)) return PETSC_FALSE;
  if (range->high_open ? !(value < range->high) : !(value <= range->high)) return PETSC_FALSE;
  return PETSC_TRUE;
}

/* Refuses one value: "-days must be in [1, 10000] (got -1)", "-lr must be a finite number > 0
 * (got inf)", "-sweep_width values must be in [1, 65536] (got 0)", then the row's reason. */
static PetscErrorCode CheckValue(const RdOption *option, double value, PetscBool is_real)
{
  Range range = {-INFINITY, INFINITY, PETSC_TRUE, PETSC_TRUE};
  char  got[64];

  PetscFunctionBeginUser;
  if (option->range) PetscCall(ParseRange(option->name, option->range, &range));
  if ((!is_real || isfinite(value)) && InRange(&range, value)) PetscFunctionReturn(PETSC_SUCCESS);
  if (is_real) snprintf(got, sizeof got, "%g", value); /* libc's %g: PETSc's adds a '.' to integers */
  else snprintf(got, sizeof got, "%" PetscInt_FMT, (PetscInt)value);
  const PetscBool bounded = isfinite(range.low) && isfinite(range.high);
  const char     *what    = bounded ? "in " : is_real ? "a finite number " : "";
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s%s must be %s%s (got %s)%s%s", option->name, IsList(option->type) ? " values" : "", option->range ? what : "a finite number", option->range ? option->range : "", got, option->why ? ": " : "", option->why ? option->why : "");
}

/* ---------- values from text (defaults, the command line's lists) ---------- */

static PetscErrorCode ChoiceIndex(const RdOption *option, const char *text, PetscInt *index)
{
  char list[512] = "";

  PetscFunctionBeginUser;
  for (PetscInt i = 0; option->choices[i]; i++) {
    PetscBool same;
    PetscCall(PetscStrcmp(text, option->choices[i], &same));
    if (same) {
      *index = i;
      PetscFunctionReturn(PETSC_SUCCESS);
    }
    PetscCall(PetscStrlcat(list, i ? ", " : "", sizeof list));
    PetscCall(PetscStrlcat(list, option->choices[i], sizeof list));
  }
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: '%s' is not one of %s", option->name, text, list);
}

/* Splits a comma list into at most max + 1 trimmed entries (so an over-long list is seen);
 * refuses empty entries. entries[i] point into buffer. */
static PetscErrorCode SplitList(const RdOption *option, const char *text, char *buffer, size_t size, char *entries[], PetscInt max, PetscInt *n)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(buffer, text, size));
  *n = 0;
  for (char *start = buffer;;) {
    char *comma = strchr(start, ',');
    if (comma) *comma = '\0';
    while (*start == ' ') start++;
    size_t length = strlen(start);
    while (length > 0 && start[length - 1] == ' ') start[--length] = '\0';
    PetscCheck(length > 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s has an empty entry: give a comma-separated list without empty entries", option->name, text);
    if (*n <= max) entries[(*n)++] = start;
    if (!comma) break;
    start = comma + 1;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Stores text (a default) into the destination of option. */
static PetscErrorCode SetFromText(const RdOption *option, void *base, const char *text)
{
  void *value = At(base, option->offset);

  PetscFunctionBeginUser;
  switch (option->type) {
  case RD_OPTION_BOOL: PetscCall(PetscOptionsStringToBool(text, (PetscBool *)value)); break;
  case RD_OPTION_INT: PetscCall(PetscOptionsStringToInt(text, (PetscInt *)value)); break;
  case RD_OPTION_REAL: PetscCall(PetscOptionsStringToReal(text, (PetscReal *)value)); break;
  case RD_OPTION_STRING: PetscCall(PetscStrncpy((char *)value, text, RD_OPTION_STRING_SIZE)); break;
  case RD_OPTION_CHOICE: PetscCall(ChoiceIndex(option, text, (PetscInt *)value)); break;
  default: {
    char      buffer[RD_OPTION_MAX_VALUES * 32], *entries[RD_OPTION_MAX_VALUES + 1];
    PetscInt  n, *count = (PetscInt *)At(base, option->count_offset);
    PetscCall(SplitList(option, text, buffer, sizeof buffer, entries, MaxCount(option), &n));
    PetscCheck(n <= MaxCount(option), PETSC_COMM_SELF, PETSC_ERR_PLIB, "Default of %s has too many values", option->name);
    for (PetscInt i = 0; i < n; i++) {
      if (option->type == RD_OPTION_INT_LIST) PetscCall(PetscOptionsStringToInt(entries[i], (PetscInt *)value + i));
      else if (option->type == RD_OPTION_REAL_LIST) PetscCall(PetscOptionsStringToReal(entries[i], (PetscReal *)value + i));
      else PetscCall(ChoiceIndex(option, entries[i], (PetscInt *)value + i));
    }
    *count = n;
  }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdOptionsSetDefaults(const RdOption table[], void *base)
{
  PetscFunctionBeginUser;
  for (const RdOption *option = table; option->name; option++)
    if (!option->alias_of) PetscCall(SetFromText(option, base, option->default_value ? option->default_value : ""));
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdOptionsSetDefault(const RdOption table[], void *base, const char *name, const char *value)
{
  const RdOption *option = RdOptionsFind(table, name);

  PetscFunctionBeginUser;
  PetscCheck(option, PETSC_COMM_SELF, PETSC_ERR_PLIB, "No option %s to give a default", name);
  PetscCall(SetFromText(option, base, value));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- text of a value ---------- */

/* exact: reals with 17 significant digits (the text reads back to the same double); else %g. */
static PetscErrorCode FormatValue(const RdOption *option, const void *base, PetscBool exact, char *text, size_t size)
{
  const void *value = AtConst(base, option->offset);

  PetscFunctionBeginUser;
  text[0] = '\0';
  switch (option->type) {
  case RD_OPTION_BOOL: PetscCall(PetscStrncpy(text, *(const PetscBool *)value ? "true" : "false", size)); break;
  case RD_OPTION_INT: PetscCall(PetscSNPrintf(text, size, "%" PetscInt_FMT, *(const PetscInt *)value)); break;
  case RD_OPTION_REAL: PetscCall(PetscSNPrintf(text, size, "%.17g", (double)*(const PetscReal *)value)); break;
  case RD_OPTION_STRING: PetscCall(PetscStrncpy(text, (const char *)value, size)); break;
  case RD_OPTION_CHOICE: PetscCall(PetscStrncpy(text, option->choices[*(const PetscInt *)value], size)); break;
  default: {
    const PetscInt n = *(const PetscInt *)AtConst(base, option->count_offset);
    for (PetscInt i = 0; i < n; i++) {
      char item[64];
      if (option->type == RD_OPTION_INT_LIST) PetscCall(PetscSNPrintf(item, sizeof item, "%" PetscInt_FMT, ((const PetscInt *)value)[i]));
      else if (option->type == RD_OPTION_REAL_LIST) snprintf(item, sizeof item, exact ? "%.17g" : "%g", (double)((const PetscReal *)value)[i]);
      else PetscCall(PetscStrncpy(item, option->choices[((const PetscInt *)value)[i]], sizeof item));
      PetscCall(PetscStrlcat(text, i ? "," : "", size));
      PetscCall(PetscStrlcat(text, item, size));
    }
  }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdOptionFormat(const RdOption *option, const void *base, char *line, size_t size)
{
  size_t length;

  PetscFunctionBeginUser;
  PetscCall(PetscSNPrintf(line, size, "%s ", option->name));
  PetscCall(PetscStrlen(line, &length));
  PetscCall(FormatValue(option, base, PETSC_TRUE, line + length, size - length));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- validation ---------- */

/* Range of every value the destination of option holds (a list: every entry; axes: distinct). */
static PetscErrorCode CheckStored(const RdOption *option, const void *base)
{
  const void *value = AtConst(base, option->offset);

  PetscFunctionBeginUser;
  switch (option->type) {
  case RD_OPTION_INT: PetscCall(CheckValue(option, (double)*(const PetscInt *)value, PETSC_FALSE)); break;
  case RD_OPTION_REAL: PetscCall(CheckValue(option, (double)*(const PetscReal *)value, PETSC_TRUE)); break;
  case RD_OPTION_INT_LIST:
  case RD_OPTION_REAL_LIST:
  case RD_OPTION_CHOICE_LIST: {
    const PetscInt n = *(const PetscInt *)AtConst(base, option->count_offset);
    for (PetscInt i = 0; i < n; i++) {
      if (option->type == RD_OPTION_INT_LIST) PetscCall(CheckValue(option, (double)((const PetscInt *)value)[i], PETSC_FALSE));
      if (option->type == RD_OPTION_REAL_LIST) PetscCall(CheckValue(option, (double)((const PetscReal *)value)[i], PETSC_TRUE));
      if (!(option->flags & RD_OPTION_AXIS)) continue;
      for (PetscInt j = 0; j < i; j++) {
        PetscBool repeated = option->type == RD_OPTION_REAL_LIST ? ((const PetscReal *)value)[i] == ((const PetscReal *)value)[j] : ((const PetscInt *)value)[i] == ((const PetscInt *)value)[j];
        if (!repeated) continue;
        char shown[64];
        if (option->type == RD_OPTION_REAL_LIST) snprintf(shown, sizeof shown, "%g", (double)((const PetscReal *)value)[i]);
        else if (option->type == RD_OPTION_INT_LIST) PetscCall(PetscSNPrintf(shown, sizeof shown, "%" PetscInt_FMT, ((const PetscInt *)value)[i]));
        else PetscCall(PetscStrncpy(shown, option->choices[((const PetscInt *)value)[i]], sizeof shown));
        SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s: the value %s is repeated; give each value of a sweep axis once (it would compute the same points twice)", option->name, shown);
      }
    }
  } break;
  default: break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdOptionsCheckAll(const RdOption table[], const void *base)
{
  PetscFunctionBeginUser;
  for (const RdOption *option = table; option->name; option++)
    if (!option->alias_of) PetscCall(CheckStored(option, base));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* ---------- reading ---------- */

/* PETSc's own parse errors ("Input string abc has no integer value") become user errors that
 * name the option and the value given. */
static PetscErrorCode ReportParseError(PetscErrorCode failed, const char *name)
{
  char       *specific = NULL, message[512];
  const char *raw      = NULL;
  PetscBool   set;

  PetscFunctionBeginUser;
  PetscCall(PetscErrorMessage(failed, NULL, &specific));
  PetscCall(PetscStrncpy(message, specific ? specific : "malformed value", sizeof message));
  PetscCall(PetscOptionsFindPair(NULL, NULL, name, &raw, &set));
  SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s %s: %s", name, raw ? raw : "", message);
}

/* The help line of -help: the row's help, its choices, its range, and a list's whole current
 * value (PETSc shows a list's first entry only). */
static PetscErrorCode HelpText(const RdOption *option, const void *base, char *text, size_t size)
{
  PetscFunctionBeginUser;
  PetscCall(PetscStrncpy(text, option->help ? option->help : "", size));
  if (option->choices) {
    PetscCall(PetscStrlcat(text, " (one of:", size));
    for (PetscInt i = 0; option->choices[i]; i++) {
      PetscCall(PetscStrlcat(text, " ", size));
      PetscCall(PetscStrlcat(text, option->choices[i], size));
    }
    PetscCall(PetscStrlcat(text, ")", size));
  }
  if (option->range) {
    PetscCall(PetscStrlcat(text, " (valid: ", size));
    PetscCall(PetscStrlcat(text, option->range, size));
    PetscCall(PetscStrlcat(text, ")", size));
  }
  if (IsList(option->type)) {
    char value[RD_OPTION_MAX_VALUES * 26];
    PetscCall(FormatValue(option, base, PETSC_FALSE, value, sizeof value));
    PetscCall(PetscStrlcat(text, " [now ", size));
    PetscCall(PetscStrlcat(text, value, size));
    PetscCall(PetscStrlcat(text, "]", size));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Reads one row; *set when the user gave it. */
static PetscErrorCode ReadOne(PetscOptionItems *PetscOptionsObject, const RdOption *option, void *base, PetscBool *set)
{
  void *value = At(base, option->offset);
  char  help[2048];

  PetscFunctionBeginUser;
  PetscCall(HelpText(option, base, help, sizeof help));
  *set = PETSC_FALSE;
  switch (option->type) {
  case RD_OPTION_BOOL: PetscCall(PetscOptionsBool(option->name, help, NULL, *(PetscBool *)value, (PetscBool *)value, set)); break;
  case RD_OPTION_INT: PetscCall(PetscOptionsInt(option->name, help, NULL, *(PetscInt *)value, (PetscInt *)value, set)); break;
  case RD_OPTION_STRING: PetscCall(PetscOptionsString(option->name, help, NULL, (char *)value, (char *)value, RD_OPTION_STRING_SIZE, set)); break;
  case RD_OPTION_REAL: {
    PetscReal real = *(PetscReal *)value; /* an alias of a list: its first entry */
    PetscCall(PetscOptionsReal(option->name, help, NULL, real, &real, set));
    *(PetscReal *)value = real;
    if (*set && option->alias_of) *(PetscInt *)At(base, option->count_offset) = 1; /* the list's only value */
  } break;
  case RD_OPTION_CHOICE: {
    char     text[256];
    PetscInt index = *(PetscInt *)value; /* an alias of a list: its first entry */
    PetscCall(PetscStrncpy(text, option->choices[index], sizeof text));
    PetscCall(PetscOptionsString(option->name, help, NULL, text, text, sizeof text, set));
    if (*set) {
      PetscCall(ChoiceIndex(option, text, &index));
      *(PetscInt *)value = index;
      if (option->alias_of) *(PetscInt *)At(base, option->count_offset) = 1;
    }
  } break;
  default: {
    const PetscInt max = MaxCount(option);
    const char    *raw = NULL;
    PetscBool      named;
    PetscInt       n = max + 1, *count = (PetscInt *)At(base, option->count_offset);
    if (option->type == RD_OPTION_CHOICE_LIST) {
      char *names[RD_OPTION_MAX_VALUES + 1];
      PetscCall(PetscOptionsStringArray(option->name, help, NULL, names, &n, set));
      if (*set) {
        PetscInt indices[RD_OPTION_MAX_VALUES + 1];
        for (PetscInt i = 0; i < n; i++) {
          PetscErrorCode unknown = ChoiceIndex(option, names[i], &indices[i]);
          for (PetscInt j = i; j < n && unknown; j++) PetscCall(PetscFree(names[j]));
          PetscCall(unknown);
          PetscCall(PetscFree(names[i]));
        }
        if (n <= max)
          for (PetscInt i = 0; i < n; i++) ((PetscInt *)value)[i] = indices[i];
      }
    } else if (option->type == RD_OPTION_INT_LIST) {
      PetscInt buffer[RD_OPTION_MAX_VALUES + 1];
      for (PetscInt i = 0; i < *count; i++) buffer[i] = ((PetscInt *)value)[i];
      PetscCall(PetscOptionsIntArray(option->name, help, NULL, buffer, &n, set));
      if (*set && n <= max)
        for (PetscInt i = 0; i < n; i++) ((PetscInt *)value)[i] = buffer[i];
    } else {
      PetscReal buffer[RD_OPTION_MAX_VALUES + 1];
      for (PetscInt i = 0; i < *count; i++) buffer[i] = ((PetscReal *)value)[i];
      PetscCall(PetscOptionsRealArray(option->name, help, NULL, buffer, &n, set));
      if (*set && n <= max)
        for (PetscInt i = 0; i < n; i++) ((PetscReal *)value)[i] = buffer[i];
    }
    /* PETSc reports a valueless list as unset and truncates an over-long one: both are errors
     * here, so a sweep is never quietly different from what was asked */
    PetscCall(PetscOptionsHasName(NULL, NULL, option->name, &named));
    PetscCheck(!named || *set, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Option %s was given no values: give a comma-separated list (the sweep would be empty)", option->name);
    PetscCheck(n <= max, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Option %s has more than %" PetscInt_FMT " values", option->name, max);
    if (*set) {
      char      buffer[RD_OPTION_MAX_VALUES * 32], *entries[RD_OPTION_MAX_VALUES + 1];
      PetscInt  entries_given;
      PetscBool has_value;
      PetscCall(PetscOptionsFindPair(NULL, NULL, option->name, &raw, &has_value));
      if (raw) PetscCall(SplitList(option, raw, buffer, sizeof buffer, entries, max, &entries_given)); /* refuses empty entries */
      *count = n;
    }
  }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdOptionsRead(PetscOptionItems *PetscOptionsObject, const RdOption table[], void *base, PetscBool check)
{
  PetscFunctionBeginUser;
  for (const RdOption *option = table; option->name; option++) {
    PetscBool      set;
    PetscErrorCode failed;
    PetscCall(CheckAlias(table, option));
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    failed = ReadOne(PetscOptionsObject, option, base, &set);
    PetscCall(PetscPopErrorHandler());
    if (failed == PETSC_ERR_USER_INPUT) {
      char *specific = NULL, message[1024];
      PetscCall(PetscErrorMessage(failed, NULL, &specific));
      PetscCall(PetscStrncpy(message, specific ? specific : "", sizeof message));
      SETERRQ(PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s", message);
    }
    if (failed) PetscCall(ReportParseError(failed, option->name));
    if (set && check) PetscCall(CheckStored(option, base));
    if (option->alias_of) {
      PetscBool alias_given, target_given;
      PetscCall(RdOptionGiven(option->name, &alias_given));
      PetscCall(RdOptionGiven(option->alias_of, &target_given));
      PetscCheck(!(alias_given && target_given), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Give either %s or %s, not both: they set the same thing", option->name, option->alias_of);
    }
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}
