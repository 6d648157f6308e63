/* The report's small kernels (include/repdrift/report.h): RdMeanStandardError against hand-computed
 * values, and RdFormatShortest against Python's repr of the same doubles (known strings) and
 * against its own definition (reads back exactly; one digit fewer does not). */
#include <repdrift/report.h>
#include "testing.h"
#include <stdlib.h>
#include <string.h>

static void TestMeanStandardError(void)
{
  const double four[]  = {1.0, 2.0, 3.0, 4.0};
  const double mixed[] = {RD_NAN, 2.0, INFINITY, 4.0, -INFINITY, 9.0};
  const double one[]   = {RD_NAN, 7.5};
  RdMeanSE     m;

  RdMeanStandardError(four, 4, &m);
  /* sample variance (ddof 1) of 1..4 is 5/3; se = sqrt(5/3) / 2 */
  RD_CHECK(m.n == 4 && m.mean == 2.5, "1..4: n %d mean %.17g", (int)m.n, m.mean);
  RD_CHECK_CLOSE(m.se, sqrt(5.0 / 3.0) / 2.0, 1e-15, "1..4: standard error");
  RdMeanStandardError(mixed, 6, &m);
  /* the finite values 2, 4, 9: mean 5, deviations -3, -1, 4, variance 26/2 = 13, se sqrt(13/3) */
  RD_CHECK(m.n == 3 && m.mean == 5.0, "non-finite values left out: n %d mean %.17g", (int)m.n, m.mean);
  RD_CHECK_CLOSE(m.se, sqrt(13.0 / 3.0), 1e-15, "non-finite values left out: standard error");
  RdMeanStandardError(one, 2, &m);
  RD_CHECK(m.n == 1 && m.mean == 7.5 && isnan(m.se), "one finite value: its mean, NaN standard error");
  RdMeanStandardError(one, 1, &m);
  RD_CHECK(m.n == 0 && isnan(m.mean) && isnan(m.se), "no finite value: NaN mean and standard error");
}

/* Python 3: repr(float(x)) for each value (written by hand from the language's definition: the
 * shortest round-tripping digits, positional for exponents -4..15, else d.ddde+XX). */
static void TestFormatKnown(void)
{
  static const struct {
    double      value;
    const char *repr;
  } known[] = {
    {0.1, "0.1"},
    {100.0, "100.0"},
    {1e-05, "1e-05"},
    {0.0001, "0.0001"},
    {1e16, "1e+16"},
    {1e15, "1000000000000000.0"},
    {123456789012345680.0, "1.2345678901234568e+17"},
    {-0.0, "-0.0"},
    {0.0, "0.0"},
    {2.0 / 3.0, "0.6666666666666666"},
    {-2.5e-7, "-2.5e-07"},
    {5e-324, "5e-324"},
    {1.7976931348623157e308, "1.7976931348623157e+308"},
    {0.3, "0.3"},
    {0.1 + 0.2, "0.30000000000000004"},
    {1.5, "1.5"},
    {12345.678, "12345.678"},
    {INFINITY, "inf"},
    {-INFINITY, "-inf"},
    {RD_NAN, "nan"},
  };
  char text[64];

  for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
    RdFormatShortest(known[i].value, text, sizeof text);
    RD_CHECK(!strcmp(text, known[i].repr), "RdFormatShortest(%.17g) = \"%s\", python repr \"%s\"", known[i].value, text, known[i].repr);
  }
}

/* For random doubles over many magnitudes: the text reads back exactly, and its significant
 * digits rounded to one fewer do not (the shortest). */
static void TestFormatShortestProperty(void)
{
  int bad_roundtrip = 0, not_shortest = 0;

  for (int i = 0; i < 20000; i++) {
    const double x = (RdTestUniform() - 0.5) * pow(10.0, floor(RdTestUniform() * 40.0) - 20.0);
    char         text[64], shorter[64];
    RdFormatShortest(x, text, sizeof text);
    if (strtod(text, NULL) != x) bad_roundtrip++;
    int digits = 0; /* significant digits of the text */
    for (const char *c = text; *c && *c != 'e'; c++)
      if (*c >= '0' && *c <= '9' && (digits || *c != '0')) digits++;
    /* trailing zeros of a positional integer part ("100.0") are not significant */
    if (!strchr(text, 'e')) {
      const char *end = text + strlen(text) - 1;
      while (end > text && (*end == '0' || *end == '.')) {
        if (*end == '0') digits--;
        end--;
      }
    }
    if (digits > 1) {
      snprintf(shorter, sizeof shorter, "%.*e", digits - 2, x);
      if (strtod(shorter, NULL) == x) not_shortest++;
    }
  }
  RD_CHECK(bad_roundtrip == 0, "20000 random doubles read back exactly (%d did not)", bad_roundtrip);
  RD_CHECK(not_shortest == 0, "20000 random doubles: one significant digit fewer never reads back (%d did)", not_shortest);
}

int main(int argc, char **argv)
{
  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  RdTestSeed(20221110);
  TestMeanStandardError();
  TestFormatKnown();
  TestFormatShortestProperty();
  PetscCall(PetscFinalize());
  return RdTestSummary("test_report");
}
