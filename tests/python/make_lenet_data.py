#!/usr/bin/env python3
"""Data files for the lenet tests (tests/Lenet.cmake), written into WORKDIR:

  images.h5        /inputs [240, 2, 14, 14] float64, /labels [240]: 3 classes of two-channel images
                   (a horizontal bar, a vertical bar, a diagonal, at a random offset, channel 1 the
                   pattern's negative, plus Gaussian pixel noise), classes interleaved in file order
  images_flat.h5   the same examples as /inputs [240, 392] (row-major C x H x W): with
                   -input_shape 2,14,14 a run on it must equal the run on images.h5 bit for bit
  fmnist/          a Fashion-MNIST directory of the four gzip IDX files holding the first 1200
                   training and 400 test images of FASHION_DIR (Debian's dataset-fashion-mnist), or,
                   without it, synthetic 28 x 28 bar images in the same format
  hostile files    rank3.h5 (/inputs [N, 14, 14]), small.h5 (8 x 8 images), nan.h5 (a NaN pixel),
                   idx_magic/ (images file of element type 0x0D), idx_truncated/ (images cut short),
                   idx_counts/ (labels of another N), idx_gzip/ (a corrupt gzip stream), each a
                   Fashion-MNIST directory that must be refused

Usage: make_lenet_data.py WORKDIR [FASHION_DIR]
"""
import gzip
import os
import shutil
import struct
import sys

import h5py
import numpy as np


def bars(rng, labels, side, channels):
    """Class 0: a horizontal bar, 1: a vertical bar, 2: a diagonal, at a random offset; noise."""
    images = np.zeros((len(labels), channels, side, side))
    for e, c in enumerate(labels):
        shift = rng.integers(-2, 3)
        mid = side // 2 + shift
        pattern = np.zeros((side, side))
        if c == 0:
            pattern[mid - 1:mid + 1, 2:side - 2] = 1
        elif c == 1:
            pattern[2:side - 2, mid - 1:mid + 1] = 1
        else:
            for i in range(2, side - 2):
                j = (i + shift) % side
                pattern[i, j] = pattern[i, (j + 1) % side] = 1
        for ch in range(channels):
            images[e, ch] = pattern if ch % 2 == 0 else 1 - pattern
    return images + 0.2 * rng.normal(size=images.shape)


def write_idx(path, array):
    """An IDX file of unsigned bytes (magic 0 0 8 ndim, big-endian sizes, data), gzip-compressed."""
    array = np.ascontiguousarray(array, dtype=np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + b"".join(struct.pack(">I", d) for d in array.shape)
    with gzip.open(path, "wb") as f:
        f.write(header + array.tobytes())


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    return np.frombuffer(raw[4 + 4 * ndim:], dtype=np.uint8).reshape(dims)


NAMES = {"train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"), "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz")}


def write_fashion_dir(directory, sets):
    os.makedirs(directory, exist_ok=True)
    for part, (images, labels) in sets.items():
        write_idx(os.path.join(directory, NAMES[part][0]), images)
        write_idx(os.path.join(directory, NAMES[part][1]), labels)


def main():
    work = sys.argv[1]
    fashion = sys.argv[2] if len(sys.argv) > 2 else "/usr/share/datasets/fashion-mnist"
    os.makedirs(work, exist_ok=True)
    rng = np.random.default_rng(12)

    labels = np.tile(np.arange(3), 80)
    images = bars(rng, labels, 14, 2)
    with h5py.File(os.path.join(work, "images.h5"), "w") as f:
        f["inputs"] = images
        f["labels"] = labels
    with h5py.File(os.path.join(work, "images_flat.h5"), "w") as f:
        f["inputs"] = images.reshape(len(labels), -1)
        f["labels"] = labels
    with h5py.File(os.path.join(work, "rank3.h5"), "w") as f:
        f["inputs"] = images[:, 0]
        f["labels"] = labels
    with h5py.File(os.path.join(work, "small.h5"), "w") as f:
        f["inputs"] = bars(rng, labels, 8, 1)
        f["labels"] = labels
    nan = images.copy()
    nan[7, 1, 3, 4] = np.nan
    with h5py.File(os.path.join(work, "nan.h5"), "w") as f:
        f["inputs"] = nan
        f["labels"] = labels

    if all(os.path.exists(os.path.join(fashion, n)) for pair in NAMES.values() for n in pair):
        sets = {}
        for part, count in (("train", 1200), ("test", 400)):
            sets[part] = (read_idx(os.path.join(fashion, NAMES[part][0]))[:count], read_idx(os.path.join(fashion, NAMES[part][1]))[:count])
        print("fmnist: the first 1200 training and 400 test images of", fashion)
    else:
        sets = {}
        for part, count in (("train", 1200), ("test", 400)):
            y = np.tile(np.arange(3), count // 3).astype(np.uint8)
            sets[part] = (np.clip(bars(rng, y, 28, 1)[:, 0] * 200, 0, 255).astype(np.uint8), y)
        print("fmnist: synthetic 28 x 28 bars (no Fashion-MNIST in", fashion + ")")
    write_fashion_dir(os.path.join(work, "fmnist"), sets)

    # hostile Fashion-MNIST directories: each a copy of fmnist/ with one file spoilt
    train_images = os.path.join("fmnist", NAMES["train"][0])
    for name in ("idx_magic", "idx_truncated", "idx_counts", "idx_gzip"):
        shutil.copytree(os.path.join(work, "fmnist"), os.path.join(work, name), dirs_exist_ok=True)
    with gzip.open(os.path.join(work, train_images), "rb") as f:
        raw = f.read()
    with gzip.open(os.path.join(work, "idx_magic", NAMES["train"][0]), "wb") as f:
        f.write(raw[:2] + bytes([0x0D]) + raw[3:])
    with gzip.open(os.path.join(work, "idx_truncated", NAMES["train"][0]), "wb") as f:
        f.write(raw[:len(raw) - 1000])
    write_idx(os.path.join(work, "idx_counts", NAMES["train"][1]), sets["train"][1][:1000])
    with open(os.path.join(work, "idx_gzip", NAMES["train"][0]), "wb") as f:
        f.write(b"\x1f\x8b\x08\x00" + bytes(range(200)))


if __name__ == "__main__":
    main()
