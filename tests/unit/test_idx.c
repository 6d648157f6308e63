/* Image data: the IDX reader on good files (plain and gzip) and on hostile ones (wrong magic, wrong
 * element type, wrong number of dimensions, a zero or absurd size, truncated header or data, bytes
 * after the data, a corrupt gzip stream, a missing file), each refused with a message naming the
 * file and the problem; IDX pairs (pixels / 255, mismatched counts, too few classes); Debian's
 * Fashion-MNIST against sizes and values read independently (numpy); HDF5 image files [N,C,H,W]
 * and [N,n] written by h5py, good and bad. */
#include <repdrift/dataset_images.h>
#include <repdrift/idx.h>
#include "testing.h"
#include <string.h>
#include <unistd.h>
#include <zlib.h>

static char work[256];

/* Writes bytes to work/name, gzip-compressed if the name ends in .gz. */
static void WriteFile(const char *name, const unsigned char *bytes, size_t n)
{
  char path[PETSC_MAX_PATH_LEN];
  snprintf(path, sizeof path, "%s/%s", work, name);
  if (strlen(name) > 3 && !strcmp(name + strlen(name) - 3, ".gz")) {
    gzFile f = gzopen(path, "wb");
    if (n) gzwrite(f, bytes, (unsigned)n);
    gzclose(f);
  } else {
    FILE *f = fopen(path, "wb");
    if (n) fwrite(bytes, 1, n, f);
    fclose(f);
  }
}

/* An IDX header + data: type, dims, then `data_bytes` bytes of value (k * 7) % 256. */
static size_t MakeIdx(unsigned char *buffer, unsigned char type, int ndims, const uint32_t *dims, size_t data_bytes)
{
  size_t at = 0;
  buffer[at++] = 0;
  buffer[at++] = 0;
  buffer[at++] = type;
  buffer[at++] = (unsigned char)ndims;
  for (int d = 0; d < ndims; d++)
    for (int s = 24; s >= 0; s -= 8) buffer[at++] = (unsigned char)(dims[d] >> s);
  for (size_t k = 0; k < data_bytes; k++) buffer[at++] = (unsigned char)((k * 7) % 256);
  return at;
}

/* The call fails with `code`, and its message names the file and contains `text`. */
static void ExpectError(PetscErrorCode ierr, PetscErrorCode code, const char *file, const char *text, const char *what)
{
  RD_CHECK(ierr == code, "%s: error code %d (expected %d)", what, (int)ierr, (int)code);
  if (!ierr) return;
  const char *generic;
  char       *specific = NULL;
  (void)PetscErrorMessage(ierr, &generic, &specific);
  RD_CHECK(specific && strstr(specific, file) && strstr(specific, text), "%s: message names %s and says '%s' (\"%s\")", what, file, text, specific ? specific : "");
}

static PetscErrorCode TestIdx(void)
{
  unsigned char  buffer[4096];
  const uint32_t dims3[3] = {5, 4, 3}, dims1[1] = {5};
  char           path[PETSC_MAX_PATH_LEN];
  RdIdxArray     a;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  /* good, plain and gzip */
  const size_t n = MakeIdx(buffer, RD_IDX_TYPE_UBYTE, 3, dims3, 60);
  WriteFile("good.idx", buffer, n);
  WriteFile("good.idx.gz", buffer, n);
  for (int gz = 0; gz < 2; gz++) {
    snprintf(path, sizeof path, "%s/good.idx%s", work, gz ? ".gz" : "");
    PetscCall(RdIdxRead(path, 3, &a));
    int values = a.count == 60;
    for (size_t k = 0; k < a.count && values; k++) values = a.data[k] == (k * 7) % 256;
    RD_CHECK(a.ndims == 3 && a.dims[0] == 5 && a.dims[1] == 4 && a.dims[2] == 3 && values, "%s: dims 5 x 4 x 3 and the bytes as written", gz ? "gzip" : "plain");
    PetscCall(RdIdxFree(&a));
  }

  struct {
    const char *name, *text;
    int         kind;
  } bad[] = {
    {"magic.gz", "not an IDX file", 0},   {"type.gz", "element type 0x0d", 1}, {"ndims.gz", "1 dimensions", 2}, {"zero.gz", "is 0", 3},
    {"absurd.gz", "multiply to more", 4}, {"header.gz", "truncated", 5},       {"short.gz", "truncated: 59 of the 60", 6}, {"long.gz", "data continues", 7},
    {"empty.gz", "truncated", 8},
  };
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    size_t len = MakeIdx(buffer, RD_IDX_TYPE_UBYTE, 3, dims3, 60);
    switch (bad[b].kind) {
    case 0:
      buffer[1] = 8;
      break;
    case 1:
      buffer[2] = 0x0d;
      break;
    case 2:
      len = MakeIdx(buffer, RD_IDX_TYPE_UBYTE, 1, dims1, 5);
      break;
    case 3: {
      const uint32_t zero[3] = {5, 0, 3};
      len = MakeIdx(buffer, RD_IDX_TYPE_UBYTE, 3, zero, 0);
    } break;
    case 4: {
      const uint32_t huge[3] = {4000000000u, 4000000000u, 3};
      len = MakeIdx(buffer, RD_IDX_TYPE_UBYTE, 3, huge, 0);
    } break;
    case 5:
      len = 9; /* inside the sizes */
      break;
    case 6:
      len -= 1;
      break;
    case 7:
      buffer[len++] = 1;
      break;
    case 8:
      len = 0;
      break;
    }
    WriteFile(bad[b].name, buffer, len);
    snprintf(path, sizeof path, "%s/%s", work, bad[b].name);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = RdIdxRead(path, 3, &a);
    PetscCall(PetscPopErrorHandler());
    ExpectError(ierr, PETSC_ERR_FILE_UNEXPECTED, path, bad[b].text, bad[b].name);
    RD_CHECK(a.data == NULL, "%s: nothing stays allocated", bad[b].name);
  }
  /* a gzip file cut in the middle of its stream */
  {
    unsigned char big[20000], packed[30000];
    uLongf        packed_len = sizeof packed;
    const uint32_t d[3]      = {100, 10, 19};
    const size_t   len       = MakeIdx(big, RD_IDX_TYPE_UBYTE, 3, d, 19000);
    gzFile         f;
    snprintf(path, sizeof path, "%s/cut.gz", work);
    f = gzopen(path, "wb");
    gzwrite(f, big, (unsigned)len);
    gzclose(f);
    FILE *in = fopen(path, "rb");
    packed_len = fread(packed, 1, sizeof packed, in);
    fclose(in);
    packed[packed_len / 2] ^= 0xff; /* corrupt the middle of the deflate stream */
    WriteFile("corrupt.gz.raw", packed, packed_len);
    char raw[PETSC_MAX_PATH_LEN];
    snprintf(raw, sizeof raw, "%s/corrupt.gz.raw", work);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = RdIdxRead(raw, 3, &a);
    PetscCall(PetscPopErrorHandler());
    RD_CHECK(ierr == PETSC_ERR_FILE_UNEXPECTED, "corrupt gzip stream refused (code %d)", (int)ierr);
    snprintf(path, sizeof path, "%s/missing.gz", work);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = RdIdxRead(path, 3, &a);
    PetscCall(PetscPopErrorHandler());
    ExpectError(ierr, PETSC_ERR_FILE_OPEN, path, "Cannot open", "missing file");
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* IDX pairs: values / 255 and labels; a count mismatch, a single class, a class of 1 example. */
static PetscErrorCode TestIdxPairs(void)
{
  unsigned char  images[256], labels[64];
  const uint32_t dims3[3] = {6, 2, 3}, dims1[1] = {6}, dims5[1] = {5};
  char           ipath[PETSC_MAX_PATH_LEN], lpath[PETSC_MAX_PATH_LEN];
  RdDataset      set;
  RdImageShape   shape;
  PetscErrorCode ierr;

  PetscFunctionBeginUser;
  WriteFile("pair-images.gz", images, MakeIdx(images, RD_IDX_TYPE_UBYTE, 3, dims3, 36));
  size_t len = MakeIdx(labels, RD_IDX_TYPE_UBYTE, 1, dims1, 0);
  const unsigned char label_values[6] = {1, 0, 2, 1, 0, 2};
  memcpy(labels + len, label_values, 6);
  WriteFile("pair-labels.gz", labels, len + 6);
  snprintf(ipath, sizeof ipath, "%s/pair-images.gz", work);
  snprintf(lpath, sizeof lpath, "%s/pair-labels.gz", work);
  PetscCall(RdDatasetLoadIdx(ipath, lpath, &set, &shape));
  int ok = set.n_examples == 6 && set.input_dim == 6 && set.num_classes == 3 && shape.channels == 1 && shape.height == 2 && shape.width == 3;
  for (PetscInt k = 0; k < 36; k++) ok &= set.inputs[k] == (double)((k * 7) % 256) / 255.0;
  for (PetscInt e = 0; e < 6; e++) ok &= set.labels[e] == label_values[e];
  RD_CHECK(ok && RdDatasetClassCount(&set, 2) == 2, "IDX pair: 6 images of 1 x 2 x 3, pixels / 255, labels, 3 classes (N %d, n %d, C %d, shape %d %d %d)", (int)set.n_examples, (int)set.input_dim, (int)set.num_classes, (int)shape.channels, (int)shape.height, (int)shape.width);
  PetscCall(RdDatasetDestroy(&set));

  WriteFile("pair-labels5.gz", labels, MakeIdx(labels, RD_IDX_TYPE_UBYTE, 1, dims5, 5));
  snprintf(lpath, sizeof lpath, "%s/pair-labels5.gz", work);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdDatasetLoadIdx(ipath, lpath, &set, &shape);
  PetscCall(PetscPopErrorHandler());
  ExpectError(ierr, PETSC_ERR_USER_INPUT, lpath, "holds 5 labels", "image and label counts differ");
  PetscCall(RdDatasetDestroy(&set));

  const unsigned char lonely[6] = {0, 0, 1, 1, 2, 0}; /* class 2 has one example */
  len = MakeIdx(labels, RD_IDX_TYPE_UBYTE, 1, dims1, 0);
  memcpy(labels + len, lonely, 6);
  WriteFile("pair-lonely.gz", labels, len + 6);
  snprintf(lpath, sizeof lpath, "%s/pair-lonely.gz", work);
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdDatasetLoadIdx(ipath, lpath, &set, &shape);
  PetscCall(PetscPopErrorHandler());
  ExpectError(ierr, PETSC_ERR_USER_INPUT, lpath, "class 2 has 1 example", "a class of one example");
  PetscCall(RdDatasetDestroy(&set));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* Debian's Fashion-MNIST: sizes, balance and values against numpy's reading of the same files
 * (first labels 9 0 0 3 0 and 9 2 1 1 6; pixel sums of the first images 76247 and 33456). */
static PetscErrorCode TestFashionMnist(void)
{
  RdDataset    train, test;
  RdImageShape shape;

  PetscFunctionBeginUser;
  if (access(RD_FASHION_MNIST_DIR "/train-images-idx3-ubyte.gz", R_OK) != 0) {
    RD_CHECK(0, "Debian's dataset-fashion-mnist is installed (%s)", RD_FASHION_MNIST_DIR);
    PetscFunctionReturn(PETSC_SUCCESS);
  }
  PetscCall(RdDatasetLoadFashionMnist(NULL, &train, &test, &shape));
  RD_CHECK(train.n_examples == 60000 && test.n_examples == 10000 && train.input_dim == 784 && train.num_classes == 10 && test.num_classes == 10 && shape.channels == 1 && shape.height == 28 && shape.width == 28, "Fashion-MNIST: 60000 + 10000 images of 1 x 28 x 28, 10 classes (%d + %d, n %d, C %d %d, shape %d %d %d)", (int)train.n_examples, (int)test.n_examples, (int)train.input_dim, (int)train.num_classes, (int)test.num_classes, (int)shape.channels, (int)shape.height, (int)shape.width);
  int balanced = 1;
  for (PetscInt c = 0; c < 10; c++) balanced &= RdDatasetClassCount(&train, c) == 6000 && RdDatasetClassCount(&test, c) == 1000;
  RD_CHECK(balanced, "6000 training and 1000 test images per class");
  const PetscInt first_train[5] = {9, 0, 0, 3, 0}, first_test[5] = {9, 2, 1, 1, 6};
  int            labels = 1;
  for (int e = 0; e < 5; e++) labels &= train.labels[e] == first_train[e] && test.labels[e] == first_test[e];
  double sum_train = 0, sum_test = 0, lo = 1, hi = 0;
  for (int k = 0; k < 784; k++) {
    sum_train += 255 * train.inputs[k];
    sum_test += 255 * test.inputs[k];
  }
  for (size_t k = 0; k < (size_t)60000 * 784; k++) {
    lo = fmin(lo, train.inputs[k]);
    hi = fmax(hi, train.inputs[k]);
  }
  RD_CHECK(labels && fabs(sum_train - 76247) < 1e-9 && fabs(sum_test - 33456) < 1e-9, "first labels and first images' pixel sums as numpy reads them (%.0f, %.0f)", sum_train, sum_test);
  RD_CHECK(lo == 0 && hi == 1, "pixels span [0, 1] (%g, %g)", lo, hi);
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&test));
  PetscFunctionReturn(PETSC_SUCCESS);
}

/* HDF5 image files written by h5py. */
static int H5py(const char *name, const char *code)
{
  char command[8192];
  snprintf(command, sizeof command, "/usr/bin/python3 -c \"import h5py, numpy as np\nf = h5py.File('%s/%s', 'w')\n%s\nf.close()\"", work, name, code);
  return system(command);
}

static PetscErrorCode TestImageFiles(void)
{
  char               path[PETSC_MAX_PATH_LEN];
  RdDataset          set;
  RdImageShape       shape;
  const RdImageShape given = {2, 3, 4}, wrong = {1, 3, 4};
  PetscErrorCode     ierr;
  const char        *labels = "f['labels'] = np.array([0, 1, 2, 0, 1, 2])";
  char               code[512];

  PetscFunctionBeginUser;
  snprintf(code, sizeof code, "f['inputs'] = np.arange(144.0).reshape(6, 2, 3, 4)\n%s", labels);
  RD_CHECK(H5py("nchw.h5", code) == 0, "h5py writes a [6, 2, 3, 4] file");
  snprintf(path, sizeof path, "%s/nchw.h5", work);
  PetscCall(RdDatasetLoadImages(path, NULL, &set, &shape));
  int ok = set.n_examples == 6 && set.input_dim == 24 && set.num_classes == 3 && shape.channels == 2 && shape.height == 3 && shape.width == 4;
  for (PetscInt k = 0; k < 144; k++) ok &= set.inputs[k] == (double)k;
  RD_CHECK(ok, "[N, C, H, W]: 6 images of 2 x 3 x 4 in [C][H][W] order, 3 classes");
  PetscCall(RdDatasetDestroy(&set));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdDatasetLoadImages(path, &wrong, &set, &shape);
  PetscCall(PetscPopErrorHandler());
  ExpectError(ierr, PETSC_ERR_USER_INPUT, path, "-input_shape asks for 1,3,4", "a 4-D file and another -input_shape");
  PetscCall(RdDatasetDestroy(&set));

  snprintf(code, sizeof code, "f['inputs'] = np.arange(144.0).reshape(6, 24)\n%s", labels);
  RD_CHECK(H5py("flat.h5", code) == 0, "h5py writes a [6, 24] file");
  snprintf(path, sizeof path, "%s/flat.h5", work);
  PetscCall(RdDatasetLoadImages(path, &given, &set, &shape));
  RD_CHECK(set.n_examples == 6 && set.input_dim == 24 && shape.channels == 2 && shape.height == 3 && shape.width == 4 && set.inputs[143] == 143, "[N, n] with -input_shape 2,3,4");
  PetscCall(RdDatasetDestroy(&set));
  PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
  ierr = RdDatasetLoadImages(path, &wrong, &set, &shape);
  PetscCall(PetscPopErrorHandler());
  ExpectError(ierr, PETSC_ERR_USER_INPUT, path, "needs 12", "[N, n] and a shape of another size");
  PetscCall(RdDatasetDestroy(&set));

  const struct {
    const char *name, *code, *text;
  } bad[] = {
    {"nan.h5", "x = np.zeros((6, 1, 3, 4)); x[4, 0, 1, 2] = np.nan; f['inputs'] = x; f['labels'] = np.array([0, 1, 2, 0, 1, 2])", "example 4"},
    {"count.h5", "f['inputs'] = np.zeros((6, 1, 3, 4)); f['labels'] = np.array([0, 1, 2, 0, 1])", "6 examples but /labels has 5"},
    {"label.h5", "f['inputs'] = np.zeros((6, 1, 3, 4)); f['labels'] = np.array([0, 1, 2.5, 0, 1, 2])", "row 2"},
    {"class.h5", "f['inputs'] = np.zeros((6, 1, 3, 4)); f['labels'] = np.array([0, 1, 2, 0, 1, 1])", "class 2 has 1 example"},
    {"rank3.h5", "f['inputs'] = np.zeros((6, 3, 4)); f['labels'] = np.array([0, 1, 2, 0, 1, 2])", "3 dimensions"},
  };
  for (size_t b = 0; b < sizeof bad / sizeof bad[0]; b++) {
    RD_CHECK(H5py(bad[b].name, bad[b].code) == 0, "h5py writes %s", bad[b].name);
    snprintf(path, sizeof path, "%s/%s", work, bad[b].name);
    PetscCall(PetscPushErrorHandler(PetscReturnErrorHandler, NULL));
    ierr = RdDatasetLoadImages(path, NULL, &set, &shape);
    PetscCall(PetscPopErrorHandler());
    RD_CHECK(ierr != 0, "%s refused", bad[b].name);
    ExpectError(ierr, ierr, path, bad[b].text, bad[b].name);
    PetscCall(RdDatasetDestroy(&set));
  }
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  PetscCall(SlepcInitialize(&argc, &argv, NULL, NULL));
  snprintf(work, sizeof work, "%s", "/tmp/repdrift-test-idx-XXXXXX");
  if (!mkdtemp(work)) {
    printf("FAIL cannot create a temporary directory\n");
    return 1;
  }
  PetscCall(TestIdx());
  PetscCall(TestIdxPairs());
  PetscCall(TestFashionMnist());
  PetscCall(TestImageFiles());
  char command[512];
  snprintf(command, sizeof command, "rm -rf '%s'", work);
  if (system(command) != 0) printf("could not remove %s\n", work);
  int code = RdTestSummary("test_idx");
  PetscCall(SlepcFinalize());
  return code;
}
