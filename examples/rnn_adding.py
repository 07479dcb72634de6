"""A vanilla RNN on the adding problem (Hochreiter & Schmidhuber 1997), unrolled with a plain Python for loop.

Each sequence has T steps of (value in [0, 1), marker in {0, 1}); exactly two markers are 1 and the target is
the sum of the two marked values.  Predicting the mean (1.0) gives a mean squared error of about 0.167; the
RNN learns to do much better.  Gradients flow back through the loop by autodiff.

    python examples/rnn_adding.py [--short] [--device cpu|torch:cpu|cuda:0|sim:0|gpu:0]
"""
import argparse
import sys

import numpy

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.autodiff import value_and_grad
from minpy_array.nn import init, optim


def adding_batch(rng, n, steps):
    values = rng.random((n, steps))
    markers = numpy.zeros((n, steps))
    for row in markers:
        row[rng.choice(steps, 2, replace=False)] = 1
    X = numpy.stack([values, markers], axis=2).astype("float32")
    return X, (values * markers).sum(axis=1, keepdims=True).astype("float32")


def loss(params, X, y):
    h = np.zeros((X.shape[0], params["wh"].shape[0]), dtype="float32")
    for t in range(X.shape[1]):  # the time loop is ordinary Python
        h = np.tanh(np.dot(X[:, t, :], params["wx"]) + np.dot(h, params["wh"]) + params["b"])
    pred = np.dot(h, params["wo"]) + params["bo"]
    return np.mean((pred - y) ** 2)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short", action="store_true", help="60 iterations on length-8 sequences (smoke run)")
    p.add_argument("--steps", type=int, default=None, help="sequence length (default 20; 8 with --short)")
    p.add_argument("--device", default="cpu", help="where the arrays live and the ops run (default cpu)")
    args = p.parse_args(argv)
    with mp.device(args.device):
        return run(args)


def run(args):
    steps, iters, hidden = args.steps or (8 if args.short else 20), 60 if args.short else 1500, 32
    rng = numpy.random.default_rng(0)
    params = {"wx": init.xavier((2, hidden), rng), "wh": init.xavier((hidden, hidden), rng),
              "b": init.constant((hidden,)), "wo": init.xavier((hidden, 1), rng), "bo": init.constant((1,))}
    configs = {k: {"learning_rate": 3e-3} for k in params}
    step = value_and_grad(loss)
    for it in range(1, iters + 1):
        X, y = adding_batch(rng, 64, steps)
        value, grads = step(params, np.asarray(X), np.asarray(y))
        for k in params:
            params[k], configs[k] = optim.adam(params[k], np.clip(grads[k], -1.0, 1.0), configs[k])
        if it % max(iters // 10, 1) == 0:
            print(f"iteration {it}: mse {float(value):.4f}", flush=True)
    X, y = adding_batch(rng, 500, steps)
    mse = float(loss(params, np.asarray(X), np.asarray(y)))
    print(f"adding problem, T={steps}: test mse {mse:.4f} (predicting 1.0 gives {float(((y - 1) ** 2).mean()):.4f})")
    return mse


if __name__ == "__main__":
    main()
    sys.exit(0)
