/* Options as data. A module (the run in config.c, each model under src/models/) declares each of
 * its options once, as a row of a table:
 *
 *   {.name = "-days", .type = RD_OPTION_INT, .offset = offsetof(RdConfig, days),
 *    .default_value = "10", .range = "[1, 10000]", .help = "Days after burn-in"}
 *
 * and the table drives everything done with options:
 *   - defaults: RdOptionsSetDefaults writes every default_value (text as on the command line) into
 *     the module's struct at its offset; RdOptionsSetDefault replaces one (a model's default of a
 *     run option);
 *   - reading: RdOptionsRead reads each row from the PETSc options database (command line,
 *     -options_file, PETSC_OPTIONS) with the PetscOptions* call of its type, so -help prints every
 *     option with its current value, which is its default;
 *   - validation: a value given is refused, in a message naming the option, the range and the
 *     value, when it is not a finite number inside `range`; lists are refused when an entry is
 *     empty or, for sweep axes, repeated; a choice must be one of `choices`;
 *   - the text of the run (/config/options): RdOptionFormat writes "-name value" the way it reads
 *     back, reals with 17 significant digits (exact round trip).
 * A table ends with a row whose name is NULL. */
#ifndef REPDRIFT_OPTIONS_H
#define REPDRIFT_OPTIONS_H

#include <repdrift/common.h>
#include <stddef.h>

/* Capacity of a list option's array (its count is a separate PetscInt). */
#define RD_OPTION_MAX_VALUES 256
/* Size of a string option's char array. */
#define RD_OPTION_STRING_SIZE PETSC_MAX_PATH_LEN

typedef enum {
  RD_OPTION_BOOL,       /* PetscBool */
  RD_OPTION_INT,        /* PetscInt */
  RD_OPTION_REAL,       /* PetscReal, finite */
  RD_OPTION_STRING,     /* char[RD_OPTION_STRING_SIZE] */
  RD_OPTION_CHOICE,     /* PetscInt: the index of the value in `choices` */
  RD_OPTION_INT_LIST,   /* PetscInt[RD_OPTION_MAX_VALUES] and its count, comma-separated */
  RD_OPTION_REAL_LIST,  /* PetscReal[RD_OPTION_MAX_VALUES] and its count */
  RD_OPTION_CHOICE_LIST /* PetscInt[RD_OPTION_MAX_VALUES] of indices into `choices`, and its count */
} RdOptionType;

/* Flags of a row. */
#define RD_OPTION_AXIS 1u /* a sweep axis: repeated values would compute the same points twice */

struct RdConfig;

typedef struct {
  const char        *name;          /* "-days" */
  RdOptionType       type;
  size_t             offset;        /* destination: offsetof(the module's struct, field) */
  size_t             count_offset;  /* lists: offsetof(the module's struct, its PetscInt count) */
  const char        *default_value; /* as on the command line: "10", "0.1,0.25,0.5", "adam" */
  const char        *range;         /* numbers and list entries: "[1, 10000]", "(0, 4)", "[0, 1)",
                                       ">= 0", "> 0"; NULL: any (finite) value */
  const char        *why;           /* reason for the range, ends its error message (NULL: none) */
  const char *const *choices;       /* CHOICE, CHOICE_LIST: the values, NULL-terminated */
  const char        *help;          /* one line for -help */
  PetscInt           max_count;     /* lists: most entries (0: RD_OPTION_MAX_VALUES) */
  unsigned           flags;         /* RD_OPTION_AXIS */
  const char        *alias_of;      /* another row of the table whose destination (the same
                                       offsets) this one sets too: a single value (-lr) gives that
                                       list (-sweep_lr) its only value, a list is the same list
                                       under another name; both given is an error */
  /* /config/options holds the options that decide the results: written unless this says no
   * (NULL: always; RdOptionNotWritten: never, e.g. -output) */
  PetscBool (*written)(const struct RdConfig *cfg);
  const char *written_after; /* written right after this option of the run rather than with the
                                rest of its table (keeps the line order of earlier archives) */
} RdOption;

/* The row called name, or NULL. */
const RdOption *RdOptionsFind(const RdOption table[], const char *name);
/* Every row's default into base. */
PetscErrorCode RdOptionsSetDefaults(const RdOption table[], void *base);
/* A new default for the row called name (an error if the table has none), as on the command line. */
PetscErrorCode RdOptionsSetDefault(const RdOption table[], void *base, const char *name, const char *value);
/* Between PetscOptionsBegin and PetscOptionsEnd: reads every row (-help prints it) and, unless
 * check is false (-help), refuses a given value that is malformed or out of its range, in a
 * PETSC_ERR_USER_INPUT error on PETSC_COMM_SELF that names the option. */
PetscErrorCode RdOptionsRead(PetscOptionItems *PetscOptionsObject, const RdOption table[], void *base, PetscBool check);
/* Refuses (as RdOptionsRead) any value of the table's rows that is out of range, given or not
 * (for tests: every default must pass). */
PetscErrorCode RdOptionsCheckAll(const RdOption table[], const void *base);
/* "-name value" of one row, as it reads back (lists comma-separated, reals %.17g). */
PetscErrorCode RdOptionFormat(const RdOption *option, const void *base, char *line, size_t size);
/* Whether the user gave the option (command line, options file or environment). */
PetscErrorCode RdOptionGiven(const char *name, PetscBool *given);
/* A `written` predicate: never in /config/options (how a run executes, aliases). */
PetscBool RdOptionNotWritten(const struct RdConfig *cfg);

#endif
