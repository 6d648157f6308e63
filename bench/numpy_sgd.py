#!/usr/bin/python3
"""The repdrift linear-network SGD loop written the straightforward numpy way, one step at a time.

Same model, same per-step work and the same order of operations as RdLinearTrain (batch 1):
draw k ~ p, x = x_k (+ input noise), h = W1 x, inverted dropout, e = y_k - W2 hd, non-finite loss
check, back = W2^T e (masked), W2 <- decay W2 + lr e hd^T, W1 <- decay W1 + lr back x^T.
Updates are in place (no temporaries for the weight matrices), which is the fast way to write it in
numpy. Prints one line "width steps_per_second" per width: the best of three runs of ~seconds/3.
Run with OPENBLAS_NUM_THREADS=1 (bench/run.sh does) so that it is one core, like the C kernel.
--clock cpu (the default) times with the thread's CPU time, as bench_sgd does, so that other
processes sharing the core do not count; --clock wall times with the wall clock.
"""
import argparse
import time

import numpy as np


def make_task(rng, num_stimuli, input_dim, output_dim, frequency):
    stimuli = rng.standard_normal((num_stimuli, input_dim))
    stimuli /= np.linalg.norm(stimuli, axis=1, keepdims=True)
    targets = rng.standard_normal((num_stimuli, output_dim))
    targets /= np.linalg.norm(targets, axis=1, keepdims=True)
    p = np.full(num_stimuli, (1.0 - frequency) / max(num_stimuli - 1, 1))
    p[0] = frequency
    cumulative = np.cumsum(p)
    cumulative[-1] = 1.0
    return stimuli, targets, cumulative


def train(W1, W2, stimuli, targets, cumulative, steps, lr, weight_decay, dropout, input_noise, rng):
    decay = 1.0 - lr * weight_decay
    width, input_dim = W1.shape
    kept_scale = 1.0 / (1.0 - dropout) if dropout > 0 else 1.0
    for step in range(steps):
        k = int(np.searchsorted(cumulative, rng.random(), side="right"))
        x = stimuli[k]
        if input_noise > 0:
            x = x + input_noise * rng.standard_normal(input_dim)
        h = W1 @ x
        if dropout > 0:
            keep = (rng.random(width) >= dropout) * kept_scale
            hd = h * keep
        else:
            hd = h
        e = targets[k] - W2 @ hd
        if not np.isfinite(0.5 * (e @ e)):
            return step
        back = W2.T @ e
        if dropout > 0:
            back *= keep
        W2 *= decay
        W2 += np.outer(lr * e, hd)
        W1 *= decay
        W1 += np.outer(lr * back, x)
    return steps


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--widths", default="16,64,256,1024")
    parser.add_argument("--input-dim", type=int, default=16)
    parser.add_argument("--output-dim", type=int, default=16)
    parser.add_argument("--num-stimuli", type=int, default=8)
    parser.add_argument("--frequency", type=float, default=0.5)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--weight-decay", type=float, default=0.01)
    parser.add_argument("--dropout", type=float, default=0.0)
    parser.add_argument("--input-noise", type=float, default=0.0)
    parser.add_argument("--seconds", type=float, default=2.0, help="time to spend per width")
    parser.add_argument("--clock", choices=("cpu", "wall"), default="cpu", help="thread CPU time or wall clock")
    args = parser.parse_args()
    clock = time.thread_time if args.clock == "cpu" else time.perf_counter

    rng = np.random.default_rng(1)
    stimuli, targets, cumulative = make_task(rng, args.num_stimuli, args.input_dim, args.output_dim, args.frequency)
    for width in (int(w) for w in args.widths.split(",")):
        W1 = rng.standard_normal((width, args.input_dim)) / np.sqrt(args.input_dim)
        W2 = rng.standard_normal((args.output_dim, width)) / np.sqrt(width)
        hyper = (args.lr, args.weight_decay, args.dropout, args.input_noise, rng)
        # calibrate on a short run, then spend ~seconds on the timed one
        steps = 200
        while True:
            start = clock()
            train(W1, W2, stimuli, targets, cumulative, steps, *hyper)
            elapsed = clock() - start
            if elapsed > 0.2:
                break
            steps *= 2
        # best of three runs of ~seconds/3, as bench_sgd does for the C kernel
        steps = max(1, int(steps * args.seconds / 3 / elapsed))
        best = 0.0
        for _ in range(3):
            start = clock()
            done = train(W1, W2, stimuli, targets, cumulative, steps, *hyper)
            elapsed = clock() - start
            if done != steps:
                raise SystemExit(f"numpy SGD diverged at width {width} after {done} steps")
            best = max(best, steps / elapsed)
        print(f"{width} {best:.6g}", flush=True)


if __name__ == "__main__":
    main()
