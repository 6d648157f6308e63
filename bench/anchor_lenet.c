/* Accuracy anchor of the lenet: trains the paper's network at the paper's optimiser (SGD lr 1e-3,
 * momentum 0.9, L2 1e-3, batch 64; Aitken et al. 2022) on Debian's Fashion-MNIST and prints the
 * held-out accuracy on the 10000 test images after each epoch, to set beside the same run in
 * PyTorch (bench/torch_classifier.py anchor; bench/anchor.sh runs both).
 *
 *   anchor_lenet [-epochs 5] [-seed 1] [-noise none] [-noise_level 0] [-lr 1e-3] [-batch 64]
 *
 * An epoch is ceil(60000 / batch) steps of minibatches drawn with replacement, as in a sweep point.
 * Prints "epoch E accuracy A loss L seconds S" (epoch 0: before training). */
#include <repdrift/dataset_images.h>
#include <repdrift/models/classifier.h>

int main(int argc, char **argv)
{
  char              noise_name[64] = "none";
  PetscInt          epochs = 5, seed = 1, batch = 64;
  PetscReal         level = 0.0, lr = 1e-3;
  RdDataset         train, test;
  RdImageShape      image;
  RdClassifierNet   net;
  RdClassifierHyper hyper = {.momentum = 0.9, .l2 = 1e-3};
  RdStream          init, sampling, noise, evaluation;
  double            loss;
  PetscLogDouble    start, end;

  PetscCall(PetscInitialize(&argc, &argv, NULL, NULL));
  PetscCall(PetscOptionsGetString(NULL, NULL, "-noise", noise_name, sizeof noise_name, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-noise_level", &level, NULL));
  PetscCall(PetscOptionsGetReal(NULL, NULL, "-lr", &lr, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-epochs", &epochs, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-seed", &seed, NULL));
  PetscCall(PetscOptionsGetInt(NULL, NULL, "-batch", &batch, NULL));
  PetscCall(RdNoiseTypeFromName(noise_name, "-noise", &hyper.noise.type));
  hyper.noise.level = level;
  hyper.lr          = lr;
  hyper.batch       = batch;
  RdClassifierNoiseDetailsDefault(RD_CLASSIFIER_LENET, &hyper);

  PetscCall(RdDatasetLoadFashionMnist(NULL, &train, &test, &image));
  const RdLeNetShape shape = RdLeNetShapeDefault(image.channels, image.height, image.width);
  PetscCall(RdClassifierNetCreateLeNet(&shape, RD_LENET_HIDDEN_DIM, 84, train.num_classes, batch, &net));
  PetscCall(RdClassifierHyperCheck(&net, &hyper));
  RdStreamInit(&init, (uint64_t)seed, 0, RD_PURPOSE_INIT);
  RdStreamInit(&sampling, (uint64_t)seed, 0, RD_PURPOSE_SGD_SAMPLING);
  RdStreamInit(&noise, (uint64_t)seed, 0, RD_PURPOSE_TRAIN_NOISE);
  RdClassifierNetInit(&net, &init);

  const PetscInt steps_per_epoch = (train.n_examples + batch - 1) / batch;
  for (PetscInt epoch = 0; epoch <= epochs; epoch++) {
    PetscCall(PetscTime(&start));
    if (epoch > 0) PetscCheck(RdClassifierTrain(&net, &hyper, train.inputs, train.labels, train.n_examples, NULL, NULL, NULL, steps_per_epoch, &sampling, &noise) == steps_per_epoch, PETSC_COMM_SELF, PETSC_ERR_NOT_CONVERGED, "Training diverged in epoch %" PetscInt_FMT, epoch);
    PetscCall(PetscTime(&end));
    RdStreamInit(&evaluation, (uint64_t)seed, 0, RD_PURPOSE(RD_PURPOSE_EVALUATION, epoch));
    const double accuracy = RdClassifierNetAccuracy(&net, &hyper, test.inputs, test.labels, test.n_examples, &evaluation, &loss);
    PetscCall(PetscPrintf(PETSC_COMM_SELF, "epoch %" PetscInt_FMT " accuracy %.4f loss %.4f seconds %.1f\n", epoch, accuracy, loss, end - start));
  }
  PetscCall(RdClassifierNetDestroy(&net));
  PetscCall(RdDatasetDestroy(&train));
  PetscCall(RdDatasetDestroy(&test));
  PetscCall(PetscFinalize());
  return 0;
}
