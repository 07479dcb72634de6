"""`python -m minpy_array.demo` (`make demo`): train two networks on scikit-learn's bundled handwritten digits.

1. A two-layer net written in plain `minpy_array.numpy` and differentiated with `grad` (no framework layers).
2. A small convnet (`minpy_array.nn.ConvNet`) trained by the nn Solver; its convolution and pooling are ops that
   each backend serves (PyTorch, MXNet and NumPy kernels).
Both run on the device given (`--device`: cpu, torch:cpu, cuda:N, sim:N, gpu:N) under the policy given.  Then: test
accuracy, the op statistics table (which backend's kernel ran each op, the fallbacks to NumPy, bytes copied between
host and device), a gradient check of the first layer against central differences, and a PNG of the loss and
accuracy curves.  No network access.
"""
import argparse
import os
import sys
import time

import numpy


def _device(text):
    from ._devices import as_device

    try:
        return as_device(text)
    except (TypeError, ValueError) as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _positive(text):
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}") from None
    if n < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text!r}")
    return n


def parse_args(argv=None):
    p = argparse.ArgumentParser(prog="python -m minpy_array.demo", description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter,
                                epilog="Example: python -m minpy_array.demo --epochs 3 --policy numpy_only")
    p.add_argument("--epochs", type=_positive, default=20, help="training epochs for each network (default 20)")
    from ._config import POLICIES

    p.add_argument("--policy", choices=POLICIES, default="auto", help="kernel policy (default auto)")
    p.add_argument("--device", type=_device, default="cpu",
                   help="device for arrays: cpu; cuda:N or torch:cpu (PyTorch: a GPU, or torch's CPU kernels as a "
                        "device); gpu:N or sim:N (MXNet: a GPU, or its CPU stand-in); default cpu")
    p.add_argument("--seed", type=int, default=0, help="seed for the data split and initial weights (default 0)")
    p.add_argument("--output-dir", default=".", help="where to write demo_curves.png (default: current directory)")
    return p.parse_args(argv)


# ---------------------------------------------------------------- data
def load_digits(seed, dtype="float32"):
    """sklearn's 1797 bundled 8x8 digits, scaled to [0, 1] and centred on the training mean, split 1197 / 300 / 300
    (train / validation / test)."""
    from minpy_array.nn.data import load_digits as load

    return load(seed, n_train=1197, n_val=300, shape="images", dtype=dtype)


# ---------------------------------------------------------------- 1. two-layer net in plain minpy_array.numpy
def two_layer_loss(params, X, y_onehot):
    import minpy_array.numpy as np

    h = np.maximum(np.dot(X, params["w1"]) + params["b1"], 0.0)
    scores = np.dot(h, params["w2"]) + params["b2"]
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    logp = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    return -np.sum(logp * y_onehot) / X.shape[0]


def train_two_layer(data, epochs, seed, bar, hidden=64, lr=0.5, batch_size=50):
    import minpy_array.numpy as np
    from minpy_array.autodiff import value_and_grad
    from minpy_array.nn import Batches

    rng = numpy.random.default_rng(seed)
    params = {"w1": np.asarray((rng.normal(size=(64, hidden)) * 0.1).astype("float32")),
              "b1": np.zeros(hidden, dtype="float32"),
              "w2": np.asarray((rng.normal(size=(hidden, 10)) * 0.1).astype("float32")),
              "b2": np.zeros(10, dtype="float32")}
    step = value_and_grad(two_layer_loss)
    eye = numpy.eye(10, dtype="float32")
    X_train = data["X_train"].reshape(len(data["X_train"]), -1)
    losses, val_accs = [], []
    for epoch in range(epochs):
        batches = Batches(X_train, data["y_train"], batch_size=batch_size, seed=rng)
        for X, y in bar(batches, f"two-layer epoch {epoch + 1}/{epochs}"):
            loss, grads = step(params, np.asarray(X), np.asarray(eye[y]))
            params = {k: params[k] - lr * grads[k] for k in params}
            losses.append(float(loss))
            bar.postfix(loss=losses[-1])
        val_accs.append(two_layer_accuracy(params, data["X_val"], data["y_val"]))
        bar.write(f"two-layer epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f}, val acc {val_accs[-1]:.3f}")
    return params, losses, val_accs


def two_layer_accuracy(params, X, y):
    import minpy_array.numpy as np

    X = np.asarray(X.reshape(len(X), -1))
    scores = np.dot(np.maximum(np.dot(X, params["w1"]) + params["b1"], 0.0), params["w2"]) + params["b2"]
    return float(numpy.mean(numpy.argmax(scores.asnumpy(), axis=1) == y))


# ---------------------------------------------------------------- 2. convnet through nn (conv and pooling are ops)
def train_convnet(data, epochs, seed, verbose=True):
    from minpy_array.nn import ConvNet, Solver

    model = ConvNet(input_dim=(1, 8, 8), num_filters=32, hidden_dim=64, reg=1e-3, seed=seed)
    nchw = {k: (v[:, None] if k.startswith("X") else v) for k, v in data.items()}
    solver = Solver(model, nchw, update_rule="adam", optim_config={"learning_rate": 3e-3}, lr_decay=0.9,
                    batch_size=50, num_epochs=epochs, num_train_samples=300, verbose=verbose, seed=seed)
    solver.train()
    return model, solver, solver.check_accuracy(nchw["X_test"], nchw["y_test"])


# ---------------------------------------------------------------- gradient check
def gradient_check(model, data, n_entries=8, h=1e-5, seed=0):
    """Reverse-mode gradient of the convnet loss w.r.t. its first layer (the convolution kernel) against
    central differences, in float64, on a few entries: (max relative error, entries checked)."""
    import minpy_array.numpy as np
    from minpy_array.autodiff import grad

    rng = numpy.random.default_rng(seed)
    params = {k: v.astype("float64") for k, v in model.params.items()}
    X, y = np.asarray(data["X_val"][:20, None].astype("float64")), data["y_val"][:20]
    loss = lambda p: model.loss(p, X, y)
    dw = grad(loss)(params)["w1"].asnumpy()
    w = params["w1"].asnumpy()
    worst = 0.0
    for _ in range(n_entries):
        idx = tuple(int(rng.integers(s)) for s in w.shape)
        fd = []
        for sign in (1, -1):
            wp = w.copy()
            wp[idx] += sign * h
            fd.append(float(loss({**params, "w1": np.asarray(wp)})))
        num = (fd[0] - fd[1]) / (2 * h)
        worst = max(worst, abs(num - dw[idx]) / max(abs(num) + abs(dw[idx]), 1e-12))
    return worst, n_entries


# ---------------------------------------------------------------- progress and plots
class Bar:
    """tqdm progress bars (one per epoch), or silence when verbose is off."""

    def __init__(self, verbose=True):
        self.verbose, self.current = verbose, None

    def __call__(self, iterable, desc):
        if not self.verbose:
            return iterable
        from tqdm.auto import tqdm

        self.current = tqdm(iterable, desc=desc, leave=False, file=sys.stdout, unit="batch")
        return self.current

    def postfix(self, **kw):
        if self.current is not None:
            self.current.set_postfix({k: f"{v:.4f}" for k, v in kw.items()}, refresh=False)

    def write(self, line):
        if self.verbose:
            print(line, flush=True)


def plot(path, two_layer, conv_solver):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(10, 4))
    ax1.plot(two_layer[1], label="two-layer net", alpha=0.7)
    ax1.plot(conv_solver.loss_history, label="convnet", alpha=0.7)
    ax1.set(xlabel="iteration", ylabel="training loss", title="Loss", yscale="log")
    ax1.legend()
    epochs = range(1, len(conv_solver.val_acc_history) + 1)
    ax2.plot(epochs, two_layer[2], "o-", label="two-layer net (val)")
    ax2.plot(epochs, conv_solver.val_acc_history, "o-", label="convnet (val)")
    ax2.plot(epochs, conv_solver.train_acc_history, "--", label="convnet (train)")
    ax2.set(xlabel="epoch", ylabel="accuracy", title="Accuracy")
    ax2.xaxis.get_major_locator().set_params(integer=True)
    ax2.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


# ---------------------------------------------------------------- main
def main(argv=None):
    args = parse_args(argv)
    import minpy_array as mp

    os.makedirs(args.output_dir, exist_ok=True)
    data = load_digits(args.seed)
    print(f"digits: {len(data['y_train'])} train / {len(data['y_val'])} val / {len(data['y_test'])} test images "
          f"(8x8); policy {args.policy}, device {args.device}, {args.epochs} epochs", flush=True)
    mp.reset_op_stats()
    t0 = time.perf_counter()
    try:
        with mp.policy(args.policy), mp.device(args.device):
            two = train_two_layer(data, args.epochs, args.seed, Bar())
            two_acc = two_layer_accuracy(two[0], data["X_test"], data["y_test"])
            t1 = time.perf_counter()
            model, solver, conv_acc = train_convnet(data, args.epochs, args.seed)
            t2 = time.perf_counter()
            stats = mp.op_stats()
            err, n = gradient_check(model, data, seed=args.seed)
    except mp.NoKernelError as e:  # a <backend>_only policy stops at the first op its kernels do not accept
        print(f"demo: {e}\n(policy {args.policy!r} allows no NumPy fallback; try --policy "
              f"prefer_{args.policy.removesuffix('_only')})", file=sys.stderr)
        return 1
    print(f"\ntest accuracy: two-layer net {two_acc:.2%} ({t1 - t0:.1f} s), convnet {conv_acc:.2%} "
          f"({t2 - t1:.1f} s)")
    print("\nop statistics (both trainings):")
    print(stats)
    calls = sum(v for r in stats.values() for k, v in r.items() if k != "copied_bytes")
    fallbacks = sum(r["fallback"] for r in stats.values())
    print(f"fallbacks to NumPy on the host: {fallbacks} of {calls} op calls")
    print(f"\ngradient check, convnet first layer (conv kernel, float64, {n} entries vs central differences): "
          f"max relative error {err:.2e} {'OK' if err < 1e-5 else 'FAILED'}")
    path = plot(os.path.abspath(os.path.join(args.output_dir, "demo_curves.png")), two, solver)
    print(f"curves: {path}")
    return 0 if err < 1e-5 else 1


if __name__ == "__main__":
    sys.exit(main())
