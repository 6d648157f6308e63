#!/usr/bin/python3
"""The repdrift classifier written the usual PyTorch way, on one thread: the peer of bench_classifier
(training throughput) and of anchor_lenet (held-out accuracy per epoch on Fashion-MNIST).

Same networks as include/repdrift/models/classifier.h:
  mlp    Linear(n, hidden) ReLU, Linear(hidden, feature) ReLU [noise], Linear(feature, C)
  lenet  Conv2d(C, 6, 5, padding=2) ReLU MaxPool2d(2), Conv2d(6, 16, 5) ReLU MaxPool2d(2), Flatten,
         Linear(16 h w, 120) ReLU, Linear(120, 84) ReLU [noise], Linear(84, C)
the same init scheme (He-normal weights N(0, 2/fan_in), zero biases), the same optimiser (SGD with
momentum 0.9, weight decay on the weights only, lr 1e-3: the paper's), minibatches drawn uniformly
with replacement, softmax cross-entropy. Noise: none, or node dropout (inverted, on the feature
activities, as repdrift's node_dropout).

  torch_classifier.py speed  --arch lenet --dtype float32 --batch 64 --seconds 2
      prints "images_per_second R" (best of three runs of about seconds/3, after a warm-up)
  torch_classifier.py anchor --epochs 5 --seed 1 [--noise node_dropout --level 0.5]
      trains on Fashion-MNIST (Debian's dataset-fashion-mnist, pixels / 255) and prints
      "epoch E accuracy A loss L seconds S" after each epoch, on the 10000 test images
"""
import argparse
import gzip
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

FASHION_MNIST = "/usr/share/datasets/fashion-mnist"


class Classifier(nn.Module):
    def __init__(self, arch, input_shape, input_dim, hidden, feature, classes, noise, level):
        super().__init__()
        self.arch, self.noise, self.level = arch, noise, level
        if arch == "lenet":
            c, h, w = input_shape
            self.conv1 = nn.Conv2d(c, 6, 5, padding=2)
            self.conv2 = nn.Conv2d(6, 16, 5)
            flat = 16 * ((h // 2 - 4) // 2) * ((w // 2 - 4) // 2)
        else:
            flat = input_dim
        self.fc1 = nn.Linear(flat, hidden)
        self.fc2 = nn.Linear(hidden, feature)
        self.fc3 = nn.Linear(feature, classes)
        for m in self.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                nn.init.kaiming_normal_(m.weight, mode="fan_in", nonlinearity="relu")
                nn.init.zeros_(m.bias)

    def forward(self, x):
        if self.arch == "lenet":
            x = F.max_pool2d(F.relu(self.conv1(x)), 2)
            x = F.max_pool2d(F.relu(self.conv2(x)), 2)
            x = torch.flatten(x, 1)
        h = F.relu(self.fc1(x))
        f = F.relu(self.fc2(h))
        if self.noise == "node_dropout":
            f = F.dropout(f, self.level, training=True)  # on in training and evaluation, as repdrift's
        return self.fc3(f)


def make_optimizer(net, lr, momentum, l2):
    weights = [p for n, p in net.named_parameters() if n.endswith("weight")]
    biases = [p for n, p in net.named_parameters() if n.endswith("bias")]
    return torch.optim.SGD([{"params": weights, "weight_decay": l2}, {"params": biases, "weight_decay": 0.0}], lr=lr, momentum=momentum)


def train_steps(net, opt, x, y, batch, steps, generator):
    n = x.shape[0]
    for _ in range(steps):
        idx = torch.randint(0, n, (batch,), generator=generator)
        loss = F.cross_entropy(net(x[idx]), y[idx])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()


def read_idx(path):
    data = gzip.open(path).read()
    ndims = data[3]
    dims = [int.from_bytes(data[4 + 4 * d: 8 + 4 * d], "big") for d in range(ndims)]
    return np.frombuffer(data[4 + 4 * ndims:], np.uint8).reshape(dims)


def speed(args):
    dtype = {"float32": torch.float32, "float64": torch.float64}[args.dtype]
    shape = tuple(int(v) for v in args.input_shape.split(","))
    hidden = args.hidden_dim or (120 if args.arch == "lenet" else 64)
    feature = args.feature_dim or (84 if args.arch == "lenet" else 64)
    torch.manual_seed(1)
    net = Classifier(args.arch, shape, args.input_dim, hidden, feature, args.num_classes, args.noise, args.level).to(dtype)
    opt = make_optimizer(net, 1e-3, 0.9, 1e-3)
    size = (args.examples,) + (shape if args.arch == "lenet" else (args.input_dim,))
    x = torch.rand(size, dtype=dtype)
    y = torch.randint(0, args.num_classes, (args.examples,))
    g = torch.Generator().manual_seed(1)
    train_steps(net, opt, x, y, args.batch, 10, g)
    steps, elapsed = 4, 0.0
    while elapsed < 0.05:
        steps *= 4
        t = time.perf_counter()
        train_steps(net, opt, x, y, args.batch, steps, g)
        elapsed = time.perf_counter() - t
    steps = max(1, int(steps * (args.seconds / 3) / elapsed))
    best = 0.0
    for _ in range(3):
        t = time.perf_counter()
        train_steps(net, opt, x, y, args.batch, steps, g)
        best = max(best, steps / (time.perf_counter() - t))
    print(f"images_per_second {best * args.batch:.1f}")


def evaluate(net, x, y, chunk=1000):
    correct, loss = 0, 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], chunk):
            logits = net(x[i:i + chunk])
            correct += int((logits.argmax(1) == y[i:i + chunk]).sum())
            loss += float(F.cross_entropy(logits, y[i:i + chunk], reduction="sum"))
    return correct / x.shape[0], loss / x.shape[0]


def anchor(args):
    to = lambda a: torch.from_numpy(a.astype(np.float32) / 255.0).unsqueeze(1)
    xtr = to(read_idx(os.path.join(FASHION_MNIST, "train-images-idx3-ubyte.gz")))
    ytr = torch.from_numpy(read_idx(os.path.join(FASHION_MNIST, "train-labels-idx1-ubyte.gz")).astype(np.int64))
    xte = to(read_idx(os.path.join(FASHION_MNIST, "t10k-images-idx3-ubyte.gz")))
    yte = torch.from_numpy(read_idx(os.path.join(FASHION_MNIST, "t10k-labels-idx1-ubyte.gz")).astype(np.int64))
    torch.manual_seed(args.seed)
    net = Classifier("lenet", (1, 28, 28), 0, 120, 84, 10, args.noise, args.level)
    opt = make_optimizer(net, args.lr, 0.9, 1e-3)
    g = torch.Generator().manual_seed(args.seed)
    steps_per_epoch = (xtr.shape[0] + args.batch - 1) // args.batch
    acc, loss = evaluate(net, xte, yte)
    print(f"epoch 0 accuracy {acc:.4f} loss {loss:.4f} seconds 0", flush=True)
    for epoch in range(1, args.epochs + 1):
        t = time.perf_counter()
        train_steps(net, opt, xtr, ytr, args.batch, steps_per_epoch, g)
        seconds = time.perf_counter() - t
        acc, loss = evaluate(net, xte, yte)
        print(f"epoch {epoch} accuracy {acc:.4f} loss {loss:.4f} seconds {seconds:.1f}", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("speed")
    s.add_argument("--arch", choices=["mlp", "lenet"], default="mlp")
    s.add_argument("--dtype", choices=["float32", "float64"], default="float32")
    s.add_argument("--batch", type=int, default=64)
    s.add_argument("--seconds", type=float, default=2.0)
    s.add_argument("--input-dim", type=int, default=32)
    s.add_argument("--input-shape", default="1,28,28")
    s.add_argument("--hidden-dim", type=int, default=0)
    s.add_argument("--feature-dim", type=int, default=0)
    s.add_argument("--num-classes", type=int, default=10)
    s.add_argument("--examples", type=int, default=4096)
    s.add_argument("--noise", choices=["none", "node_dropout"], default="none")
    s.add_argument("--level", type=float, default=0.0)
    a = sub.add_parser("anchor")
    a.add_argument("--epochs", type=int, default=5)
    a.add_argument("--seed", type=int, default=1)
    a.add_argument("--batch", type=int, default=64)
    a.add_argument("--lr", type=float, default=1e-3)
    a.add_argument("--noise", choices=["none", "node_dropout"], default="none")
    a.add_argument("--level", type=float, default=0.0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.set_num_interop_threads(1)
    (speed if args.mode == "speed" else anchor)(args)


if __name__ == "__main__":
    main()
