/* Feature-layer noise of the classifier network: option names, level checks and the per-example
 * draws. Contract and draw orders: include/repdrift/noise.h. */
#include <repdrift/noise.h>
#include <math.h>

const char *const rd_noise_type_names[RD_NUM_NOISE_TYPES]                       = {"none", "node_dropout", "weight_dropout", "additive", "multiplicative", "gradient"};
const char *const rd_weight_mask_scope_names[RD_NUM_WEIGHT_MASK_SCOPES]          = {"per_example", "per_batch"};
const char *const rd_gradient_noise_target_names[RD_NUM_GRADIENT_NOISE_TARGETS] = {"weights_and_bias", "weights"};

/* Index of name in names[count], or -1. */
static PetscErrorCode IndexOfName(const char *name, const char *const names[], int count, int *index)
{
  PetscBool match = PETSC_FALSE;

  PetscFunctionBeginUser;
  *index = -1;
  for (int i = 0; i < count && name && !match; i++) {
    PetscCall(PetscStrcmp(name, names[i], &match));
    if (match) *index = i;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdNoiseCheck(const RdNoise *noise, const char *option_name)
{
  PetscFunctionBeginUser;
  PetscCheck((int)noise->type >= 0 && noise->type < RD_NUM_NOISE_TYPES, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "Unknown noise type %d for %s (use none, node_dropout, weight_dropout, additive, multiplicative or gradient)", (int)noise->type, option_name);
  switch (noise->type) {
  case RD_NOISE_NONE:
    break;
  case RD_NOISE_NODE_DROPOUT:
  case RD_NOISE_WEIGHT_DROPOUT:
    /* written so that NaN fails too */
    PetscCheck(noise->level >= 0.0 && noise->level < 1.0, PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s is the dropout probability of %s noise and must be in [0, 1) (got %g)", option_name, rd_noise_type_names[noise->type], noise->level);
    break;
  default:
    PetscCheck(noise->level >= 0.0 && isfinite(noise->level), PETSC_COMM_SELF, PETSC_ERR_ARG_OUTOFRANGE, "%s is the standard deviation of %s noise and must be finite and >= 0 (got %g)", option_name, rd_noise_type_names[noise->type], noise->level);
    break;
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdNoiseTypeFromName(const char *name, const char *option_name, RdNoiseType *type)
{
  int index;

  PetscFunctionBeginUser;
  PetscCall(IndexOfName(name, rd_noise_type_names, RD_NUM_NOISE_TYPES, &index));
  PetscCheck(index >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s must be one of none, node_dropout, weight_dropout, additive, multiplicative, gradient (got \"%s\")", option_name, name ? name : "(null)");
  *type = (RdNoiseType)index;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdWeightMaskScopeFromName(const char *name, const char *option_name, RdWeightMaskScope *scope)
{
  int index;

  PetscFunctionBeginUser;
  PetscCall(IndexOfName(name, rd_weight_mask_scope_names, RD_NUM_WEIGHT_MASK_SCOPES, &index));
  PetscCheck(index >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s must be per_example or per_batch (got \"%s\")", option_name, name ? name : "(null)");
  *scope = (RdWeightMaskScope)index;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscErrorCode RdGradientNoiseTargetFromName(const char *name, const char *option_name, RdGradientNoiseTarget *target)
{
  int index;

  PetscFunctionBeginUser;
  PetscCall(IndexOfName(name, rd_gradient_noise_target_names, RD_NUM_GRADIENT_NOISE_TARGETS, &index));
  PetscCheck(index >= 0, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "%s must be weights or weights_and_bias (got \"%s\")", option_name, name ? name : "(null)");
  *target = (RdGradientNoiseTarget)index;
  PetscFunctionReturn(PETSC_SUCCESS);
}

PetscBool RdNoiseInForwardPass(RdNoiseType type)
{
  return type == RD_NOISE_NODE_DROPOUT || type == RD_NOISE_WEIGHT_DROPOUT || type == RD_NOISE_ADDITIVE || type == RD_NOISE_MULTIPLICATIVE ? PETSC_TRUE : PETSC_FALSE;
}

uint32_t RdNoiseDropThreshold(double p)
{
  const double scaled = nearbyint(p * 4294967296.0); /* p 2^32, exact but for the rounding */
  if (!(scaled > 0.0)) return 0;
  if (scaled >= 4294967295.0) return UINT32_MAX;
  return (uint32_t)scaled;
}

void RdNoiseDrawNode(const RdNoise *noise, PetscInt n, RdStream *stream, double *factor, double *offset)
{
  const double level = noise->level;
  switch (noise->type) {
  case RD_NOISE_NODE_DROPOUT: {
    const uint32_t threshold = RdNoiseDropThreshold(level);
    const double   kept      = 1.0 / (1.0 - level); /* inverted dropout keeps the expectation */
    for (PetscInt j = 0; j < n; j++) {
      factor[j] = RdStreamUInt32(stream) >= threshold ? kept : 0.0;
      offset[j] = 0.0;
    }
  } break;
  case RD_NOISE_ADDITIVE:
    for (PetscInt j = 0; j < n; j++) {
      factor[j] = 1.0;
      offset[j] = level * RdStreamNormal(stream);
    }
    break;
  case RD_NOISE_MULTIPLICATIVE:
    for (PetscInt j = 0; j < n; j++) {
      factor[j] = 1.0 + level * RdStreamNormal(stream);
      offset[j] = 0.0;
    }
    break;
  default:
    for (PetscInt j = 0; j < n; j++) {
      factor[j] = 1.0;
      offset[j] = 0.0;
    }
    break;
  }
}

void RdNoiseApplyNode(const RdNoise *noise, PetscInt n, RdStream *stream, double *preactivation, double *factor)
{
  const double level = noise->level;
  switch (noise->type) {
  case RD_NOISE_NODE_DROPOUT: {
    const uint32_t threshold = RdNoiseDropThreshold(level);
    const double   kept      = 1.0 / (1.0 - level);
    for (PetscInt j = 0; j < n; j++) {
      factor[j] = RdStreamUInt32(stream) >= threshold ? kept : 0.0;
      preactivation[j] = factor[j] * preactivation[j] + 0.0;
    }
  } break;
  case RD_NOISE_ADDITIVE:
    for (PetscInt j = 0; j < n; j++) {
      const double offset = level * RdStreamNormal(stream);
      factor[j]           = 1.0;
      preactivation[j]    = 1.0 * preactivation[j] + offset;
    }
    break;
  case RD_NOISE_MULTIPLICATIVE:
    for (PetscInt j = 0; j < n; j++) {
      factor[j]        = 1.0 + level * RdStreamNormal(stream);
      preactivation[j] = factor[j] * preactivation[j] + 0.0;
    }
    break;
  default:
    for (PetscInt j = 0; j < n; j++) factor[j] = 1.0;
    break;
  }
}

/* Next byte of the stream's words, most significant byte first; a word is drawn only when a byte
 * is needed and none is left. */
static inline uint32_t NextByte(RdStream *stream, uint32_t *word, int *bytes_left)
{
  if (*bytes_left == 0) {
    *word       = RdStreamUInt32(stream);
    *bytes_left = 4;
  }
  const uint32_t byte = *word >> 24;
  *word <<= 8;
  (*bytes_left)--;
  return byte;
}

void RdNoiseDrawWeightMask(const RdNoise *noise, size_t count, RdStream *stream, double *mask)
{
  const uint32_t threshold = RdNoiseDropThreshold(noise->level);
  const uint32_t top = threshold >> 24, low = threshold & 0xFFFFFFu;
  const double   kept = 1.0 / (1.0 - noise->level);
  uint32_t       word = 0;
  int            bytes_left = 0;

  for (size_t k = 0; k < count; k++) {
    /* fast path, same decisions: a fresh word whose four bytes all differ from the threshold's top
     * byte decides four weights at once */
    while (bytes_left == 0 && k + 4 <= count) {
      const uint32_t w = RdStreamUInt32(stream), b0 = w >> 24, b1 = (w >> 16) & 0xFFu, b2 = (w >> 8) & 0xFFu, b3 = w & 0xFFu;
      if (b0 == top || b1 == top || b2 == top || b3 == top) { /* a tie: decide these one by one */
        word       = w;
        bytes_left = 4;
        break;
      }
      mask[k]     = b0 < top ? 0.0 : kept;
      mask[k + 1] = b1 < top ? 0.0 : kept;
      mask[k + 2] = b2 < top ? 0.0 : kept;
      mask[k + 3] = b3 < top ? 0.0 : kept;
      k += 4;
    }
    if (k == count) break;
    /* U = (u0 u1 u2 u3) < threshold is decided by the top byte unless it ties (probability 1/256) */
    const uint32_t u0   = NextByte(stream, &word, &bytes_left);
    int            drop = u0 < top;
    if (u0 == top) {
      uint32_t rest = NextByte(stream, &word, &bytes_left);
      rest          = (rest << 8) | NextByte(stream, &word, &bytes_left);
      rest          = (rest << 8) | NextByte(stream, &word, &bytes_left);
      drop          = rest < low;
    }
    mask[k] = drop ? 0.0 : kept;
  }
}

size_t RdNoiseGradientCount(RdGradientNoiseTarget target, size_t weights, size_t biases) { return target == RD_GRADIENT_NOISE_WEIGHTS ? weights : weights + biases; }

void RdNoiseAddGradient(const RdNoise *noise, size_t count, RdStream *stream, double *gradient)
{
  const double s = noise->level;
  for (size_t k = 0; k < count; k++) gradient[k] += s * RdStreamNormal(stream);
}
