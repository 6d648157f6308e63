/* Training throughput of the classifier (RdClassifierTrain), images per second on one core, to
 * compare with PyTorch on one thread (bench/torch_classifier.py; bench/classifier.sh runs both).
 *
 *   bench_classifier [-architecture mlp|lenet] [-batch 64] [-seconds 2] [-noise none]
 *                    [-noise_level 0] [-input_dim 32] [-hidden_dim 64 (lenet: 120)]
 *                    [-feature_dim 64 (lenet: 84)] [-num_classes 10] [-input_shape 1,28,28]
 *                    [-isa avx512|avx2|baseline] [-examples 4096] [-fixed_steps N]
 *
 * One step = draw `batch` examples with replacement, forward, backward, SGD with momentum 0.9 and
 * L2 1e-3 at lr 1e-3 (the paper's optimiser), exactly what a sweep point runs. Inputs are uniform
 * on [0, 1) (the value of a pixel does not change the work). Prints one line
 *   images_per_second R steps_per_second S isa I
 * with R the best of three timed runs of about seconds/3 each, after a calibration run. */
#include <repdrift/conv.h>
#include <repdrift/models/classifier.h>

static PetscErrorCode TimeSteps(RdClassifierNet *net, const RdClassifierHyper *hyper, const double *inputs, const PetscInt *labels, PetscInt n, PetscInt steps, RdStream *sampling, RdStream *noise, double *seconds)
{
  PetscLogDouble start, end;

  PetscFunctionBeginUser;
  PetscCall(PetscTime(&start));
  const PetscInt done = RdClassifierTrain(net, hyper, inputs, labels, n, NULL, NULL, NULL, steps, sampling, noise);
  PetscCall(PetscTime(&end));
  PetscCheck(done == steps, PETSC_COMM_SELF, PETSC_ERR_PLIB, "Training diverged after %" PetscInt_FMT " of %" PetscInt_FMT " steps", done, steps);
  *seconds = end - start;
  PetscFunctionReturn(PETSC_SUCCESS);
}

int main(int argc, char **argv)
{
  char                     name[64] = "mlp", noise_name[64] = "none", isa[32] = "";
  RdClassifierArchitecture architecture;
  PetscInt                 batch = 64, input_dim = 32, hidden_dim = -1, feature_dim = -1, num_classes = 10, examples = 4096, shape_values[3] = {1, 28, 28}, n_shape = 3;
  PetscReal                seconds = 2.0, level = 0.0;
  RdClassifierNet          net;
  RdClassifierHyper        hyper = {.lr = 1e-3, .momentum = 0.9, .l2 = 1e-3};
  RdStream                 data, init, sampling, noise;
  double                  *inputs, elapsed, best = 0.0;
  PetscInt                *labels, fixed_steps = 0;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-architecture", name, sizeof name, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-noise", noise_name, sizeof noise_name, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-isa", isa, sizeof isa, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-noise_level", &level, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-seconds", &seconds, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &batch, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-input_dim", &input_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-hidden_dim", &hidden_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-feature_dim", &feature_dim, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-num_classes", &num_classes, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-examples", &examples, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-fixed_steps", &fixed_steps, NULL));
  PetscBool shape_given;
  PetscCall(PetscOptionsGetIntArray(NULL, NULL, "-input_shape", shape_values, &n_shape, &shape_given));
  if (!shape_given) n_shape = 3;
  PetscCall(RdClassifierArchitectureFromName(name, "-architecture", &architecture));
  PetscCall(RdNoiseTypeFromName(noise_name, "-noise", &hyper.noise.type));
  hyper.noise.level = level;
  hyper.batch       = batch;
  RdClassifierNoiseDetailsDefault(architecture, &hyper);
  if (isa[0]) PetscCheck(RdConvKernelForceISA(isa), PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-isa %s is unknown or not supported by this CPU", isa);

  if (architecture == RD_CLASSIFIER_LENET) {
    PetscCheck(n_shape == 3, PETSC_COMM_SELF, PETSC_ERR_USER_INPUT, "-input_shape takes C,H,W");
    const RdLeNetShape shape = RdLeNetShapeDefault(shape_values[0], shape_values[1], shape_values[2]);
    PetscCall(RdClassifierNetCreateLeNet(&shape, hidden_dim > 0 ? hidden_dim : RD_LENET_HIDDEN_DIM, feature_dim > 0 ? feature_dim : 84, num_classes, batch, &net));
  } else PetscCall(RdClassifierNetCreate(input_dim, hidden_dim > 0 ? hidden_dim : 64, feature_dim > 0 ? feature_dim : 64, num_classes, batch, &net));
  PetscCall(RdClassifierHyperCheck(&net, &hyper));

  PetscCall(PetscMalloc2((size_t)examples * net.input_dim, &inputs, examples, &labels));
  RdStreamInit(&data, 1, 0, RD_PURPOSE_DATASET);
  for (size_t i = 0; i < (size_t)examples * net.input_dim; i++) inputs[i] = RdStreamUniform(&data);
  for (PetscInt e = 0; e < examples; e++) labels[e] = (PetscInt)RdStreamBelow(&data, (uint32_t)num_classes);
  RdStreamInit(&init, 1, 0, RD_PURPOSE_INIT);
  RdStreamInit(&sampling, 1, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, 1, 0, RD_PURPOSE_TRAIN_NOISE);
  RdClassifierNetInit(&net, &init);

  if (fixed_steps > 0) { /* a fixed amount of work (for profiling and CPU-time comparisons) */
    PetscCall(TimeSteps(&net, &hyper, inputs, labels, examples, fixed_steps, &sampling, &noise, &elapsed));
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "fixed_steps %" PetscInt_FMT " seconds %.3f\n", fixed_steps, elapsed));
    PetscCall(PetscFree2(inputs, labels));
    PetscCall(RdClassifierNetDestroy(&net));
    PetscCall(PetscFinalize());
    return 0;
  }
  /* calibration: steps for about seconds/3 */
  PetscInt steps = 4;
  PetscCall(TimeSteps(&net, &hyper, inputs, labels, examples, steps, &sampling, &noise, &elapsed));
  while (elapsed < 0.05) {
    steps *= 4;
    PetscCall(TimeSteps(&net, &hyper, inputs, labels, examples, steps, &sampling, &noise, &elapsed));
  }
  steps = PetscMax(1, (PetscInt)(steps * (seconds / 3.0) / elapsed));
  for (int run = 0; run < 3; run++) {
    PetscCall(TimeSteps(&net, &hyper, inputs, labels, examples, steps, &sampling, &noise, &elapsed));
    best = PetscMax(best, (double)steps / elapsed);
  }
  PetscCall(PetscPrintf(PETSC_COMM_SELF, "images_per_second %.1f steps_per_second %.2f isa %s\n", best * (double)batch, best, architecture == RD_CLASSIFIER_LENET ? RdConvKernelISA() : "mlp-kernel"));
  PetscCall(PetscFree2(inputs, labels));
  PetscCall(RdClassifierNetDestroy(&net));
  PetscCall(PetscFinalize());
  return 0;
}
