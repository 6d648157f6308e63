#!/usr/bin/env python3
"""usage: make-digits-dataset.py OUTPUT.h5

Writes scikit-learn's bundled handwritten digits (sklearn.datasets.load_digits: 1797 8x8 images,
classes 0..9, shipped inside the package, so no network) as a repdrift classification dataset:

  /inputs [1797, 64] float64  pixel intensities 0..16 divided by 16, so in [0, 1]; row-major 8x8
  /labels [1797]     int64    the digit, 0..9

with attributes saying the source and the scaling. repdrift reads it with RdDatasetLoad (dataset.h).
Needs h5py and scikit-learn (Debian: apt-get install python3-h5py python3-sklearn).
Exit status: 0 written, 1 usage or write error, 2 a required module is missing.
"""
import os
import sys


def main(argv):
    if len(argv) != 2 or argv[1].startswith("-"):
        print(__doc__.strip().splitlines()[0], file=sys.stderr)
        return 1
    output = argv[1]
    try:
        import numpy as np
        import h5py
    except ImportError as error:
        print(f"make-digits-dataset: {error}; install numpy and h5py (apt-get install python3-h5py)", file=sys.stderr)
        return 2
    try:
        import sklearn
        from sklearn.datasets import load_digits
    except ImportError:
        print("make-digits-dataset: scikit-learn is not installed; install it with: apt-get install python3-sklearn", file=sys.stderr)
        return 2

    digits = load_digits()
    pixels = np.asarray(digits.data, dtype=np.float64)
    labels = np.asarray(digits.target, dtype=np.int64)
    if pixels.shape != (1797, 64) or labels.shape != (1797,) or pixels.min() < 0 or pixels.max() > 16:
        print(f"make-digits-dataset: unexpected digits data (inputs {pixels.shape}, range {pixels.min()}..{pixels.max()}, labels {labels.shape})", file=sys.stderr)
        return 1
    inputs = pixels / 16.0

    # written under a temporary name and renamed, so an interrupted run never leaves a partial file
    partial = output + ".partial"
    try:
        with h5py.File(partial, "w") as f:
            f.create_dataset("inputs", data=inputs)
            f.create_dataset("labels", data=labels)
            f["inputs"].attrs["description"] = "8x8 grey-level images flattened row-major (pixel = row * 8 + column)"
            f["inputs"].attrs["units"] = "intensity / 16, in [0, 1]"
            f["labels"].attrs["description"] = "the digit shown, 0..9"
            f.attrs["source"] = "scikit-learn load_digits (UCI ML hand-written digits, optical recognition test set)"
            f.attrs["sklearn_version"] = sklearn.__version__
            f.attrs["scaling"] = "inputs = pixel value (0..16) / 16"
            f.attrs["n_examples"] = inputs.shape[0]
            f.attrs["num_classes"] = 10
            f.attrs["created_by"] = "jobs/make-digits-dataset.py"
        os.replace(partial, output)
    except OSError as error:
        print(f"make-digits-dataset: cannot write {output}: {error}", file=sys.stderr)
        if os.path.exists(partial):
            os.remove(partial)
        return 1
    print(f"{output}: /inputs [{inputs.shape[0]}, {inputs.shape[1]}] in [0, 1], /labels [{labels.shape[0]}] 0..9")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
