"""CS231n-style naive functions (explicit Python loops over elements), written once for `np`, timed on NumPy and on
`minpy_array.numpy` (untraced, cpu, policy auto), and `grad` of the loop-written losses against HIPS autograd on
the same loops.

    python benchmarks/naive.py [--quick] [--rounds N] [--only NAME]

Sizes are the assignment notebooks': the SVM and softmax losses on the dev set (500 x 3073, W 3073 x 10); the
two-loop distance matrix on 3072-dimensional rows (a 50 x 500 block of the kNN notebook's 500 x 5000 test-by-train
matrix: the same work per element, 1% of the elements); the naive conv and max-pool layers at the
ConvolutionalNetworks notebook's check sizes and at the FastLayers notebook's timing sizes (conv: x (100, 3, 31, 31),
w (25, 3, 3, 3), stride 2, pad 1, here with 4 images instead of 100; pool: x (100, 3, 32, 32), 2x2, stride 2).  The
data are random (CIFAR-10 is not downloaded): the loops do the same work on any values.

Single thread (OMP/OpenBLAS threads set to 1 before NumPy loads), process CPU time, contenders alternating in
rounds (at least --rounds, each measurement at least 0.2 s), median per contender.  Every minpy_array result is
checked against NumPy's before timing.  --quick runs small sizes once (the smoke run).
"""
import statistics
import sys
import time
from types import SimpleNamespace

if __name__ == "__main__":
    import _threads

    _threads.pin_threads()

import numpy


def naive(np):
    """The naive functions, written as a student writes them for `import numpy as np`."""

    def svm_loss_naive(W, X, y, reg):
        dW = np.zeros(W.shape)
        num_classes = W.shape[1]
        num_train = X.shape[0]
        loss = 0.0
        for i in range(num_train):
            scores = X[i].dot(W)
            correct_class_score = scores[y[i]]
            for j in range(num_classes):
                if j == y[i]:
                    continue
                margin = scores[j] - correct_class_score + 1
                if margin > 0:
                    loss += margin
                    dW[:, j] += X[i]
                    dW[:, y[i]] -= X[i]
        loss /= num_train
        dW /= num_train
        loss += reg * np.sum(W * W)
        dW += 2 * reg * W
        return loss, dW

    def softmax_loss_naive(W, X, y, reg):
        loss = 0.0
        dW = np.zeros_like(W)
        num_train, num_classes = X.shape[0], W.shape[1]
        for i in range(num_train):
            scores = X[i].dot(W)
            scores -= np.max(scores)
            probs = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log(probs[y[i]])
            for j in range(num_classes):
                dW[:, j] += (probs[j] - (j == y[i])) * X[i]
        loss = loss / num_train + reg * np.sum(W * W)
        dW = dW / num_train + 2 * reg * W
        return loss, dW

    def compute_distances_two_loops(X, X_train):
        num_test, num_train = X.shape[0], X_train.shape[0]
        dists = np.zeros((num_test, num_train))
        for i in range(num_test):
            for j in range(num_train):
                dists[i, j] = np.sqrt(np.sum((X[i] - X_train[j]) ** 2))
        return dists

    def conv_forward_naive(x, w, b, conv_param):
        stride, pad = conv_param["stride"], conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - WW) // stride
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
        out = np.zeros((N, F, H_out, W_out))
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        hs, ws = i * stride, j * stride
                        out[n, f, i, j] = np.sum(x_pad[n, :, hs:hs + HH, ws:ws + WW] * w[f]) + b[f]
        return out, (x, w, b, conv_param)

    def conv_backward_naive(dout, cache):
        x, w, b, conv_param = cache
        stride, pad = conv_param["stride"], conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        _, _, H_out, W_out = dout.shape
        x_pad = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
        dx_pad = np.zeros_like(x_pad)
        dw = np.zeros_like(w)
        db = np.zeros_like(b)
        for n in range(N):
            for f in range(F):
                for i in range(H_out):
                    for j in range(W_out):
                        hs, ws = i * stride, j * stride
                        g = dout[n, f, i, j]
                        dw[f] += x_pad[n, :, hs:hs + HH, ws:ws + WW] * g
                        dx_pad[n, :, hs:hs + HH, ws:ws + WW] += w[f] * g
                        db[f] += g
        dx = dx_pad[:, :, pad:pad + H, pad:pad + W]
        return dx, dw, db

    def max_pool_forward_naive(x, pool_param):
        ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        N, C, H, W = x.shape
        H_out, W_out = 1 + (H - ph) // stride, 1 + (W - pw) // stride
        out = np.zeros((N, C, H_out, W_out))
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        hs, ws = i * stride, j * stride
                        out[n, c, i, j] = np.max(x[n, c, hs:hs + ph, ws:ws + pw])
        return out, (x, pool_param)

    def max_pool_backward_naive(dout, cache):
        x, pool_param = cache
        ph, pw, stride = pool_param["pool_height"], pool_param["pool_width"], pool_param["stride"]
        N, C, H_out, W_out = dout.shape
        dx = np.zeros_like(x)
        for n in range(N):
            for c in range(C):
                for i in range(H_out):
                    for j in range(W_out):
                        hs, ws = i * stride, j * stride
                        window = x[n, c, hs:hs + ph, ws:ws + pw]
                        r, s = np.unravel_index(np.argmax(window), window.shape)
                        dx[n, c, hs + r, ws + s] += dout[n, c, i, j]
        return dx

    # ---- losses only, for grad: the same loops, no hand-written gradient (np.dot(X[i], W): HIPS autograd cannot
    # trace the method X[i].dot(W) of a NumPy array)
    def svm_loss_loop(W, X, y, reg):
        loss = 0.0
        for i in range(X.shape[0]):
            scores = np.dot(X[i], W)
            correct = scores[y[i]]
            for j in range(W.shape[1]):
                if j == y[i]:
                    continue
                margin = scores[j] - correct + 1
                if margin > 0:
                    loss += margin
        return loss / X.shape[0] + reg * np.sum(W * W)

    def softmax_loss_loop(W, X, y, reg):
        loss = 0.0
        for i in range(X.shape[0]):
            scores = np.dot(X[i], W)
            scores -= np.max(scores)
            probs = np.exp(scores) / np.sum(np.exp(scores))
            loss += -np.log(probs[y[i]])
        return loss / X.shape[0] + reg * np.sum(W * W)

    def softmax_loss_rows(W, X, y, reg):
        """Per-row losses written into an array (x[i] = value)."""
        losses = np.zeros(X.shape[0])
        for i in range(X.shape[0]):
            scores = np.dot(X[i], W)
            scores = scores - np.max(scores)
            losses[i] = np.log(np.sum(np.exp(scores))) - scores[y[i]]
        return np.mean(losses) + reg * np.sum(W * W)

    def softmax_loss_rows_list(W, X, y, reg):
        """softmax_loss_rows for HIPS autograd, which cannot write a traced value into an array: a list."""
        losses = []
        for i in range(X.shape[0]):
            scores = np.dot(X[i], W)
            scores = scores - np.max(scores)
            losses.append(np.log(np.sum(np.exp(scores))) - scores[y[i]])
        return np.mean(np.array(losses)) + reg * np.sum(W * W)

    def conv_loss_naive(w, b, x, conv_param):
        """sum(conv(x, w, b) ** 2), the convolution written element by element into `out` (out[n, f, i, j] = ...)."""
        return np.sum(conv_forward_naive(x, w, b, conv_param)[0] ** 2)

    def conv_loss_naive_list(w, b, x, conv_param):
        """conv_loss_naive for HIPS autograd: the elements in nested lists, then one array."""
        stride, pad = conv_param["stride"], conv_param["pad"]
        N, C, H, W = x.shape
        F, _, HH, WW = w.shape
        H_out = 1 + (H + 2 * pad - HH) // stride
        W_out = 1 + (W + 2 * pad - WW) // stride
        x_pad = numpy.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)), mode="constant")
        out = [[[[np.sum(x_pad[n, :, i * stride:i * stride + HH, j * stride:j * stride + WW] * w[f]) + b[f]
                  for j in range(W_out)] for i in range(H_out)] for f in range(F)] for n in range(N)]
        return np.sum(np.array(out) ** 2)

    return SimpleNamespace(**{k: v for k, v in locals().items() if callable(v)})


# ---------------------------------------------------------------- data at the notebooks' sizes
def data(quick=False):
    rng = numpy.random.default_rng(0)
    n_dev = 20 if quick else 500
    d = SimpleNamespace()
    d.X_dev = rng.standard_normal((n_dev, 3073)) * 60.0  # CIFAR-10 rows after mean subtraction, bias column
    d.X_dev[:, -1] = 1.0
    d.y_dev = rng.integers(0, 10, n_dev)
    d.W = rng.standard_normal((3073, 10)) * 0.0001
    d.X_test = rng.uniform(0, 255, (5 if quick else 50, 3072))
    d.X_train = rng.uniform(0, 255, (20 if quick else 500, 3072))
    d.conv_check_fwd = (rng.standard_normal((2, 3, 4, 4)), rng.standard_normal((3, 3, 4, 4)),
                        rng.standard_normal(3), {"stride": 2, "pad": 1})
    d.conv_check_bwd = (rng.standard_normal((4, 3, 5, 5)), rng.standard_normal((2, 3, 3, 3)),
                        rng.standard_normal(2), {"stride": 1, "pad": 1})
    n_img = 1 if quick else 4
    d.conv_timing = (rng.standard_normal((n_img, 3, 31, 31)), rng.standard_normal((25, 3, 3, 3)),
                     rng.standard_normal(25), {"stride": 2, "pad": 1})
    pool = {"pool_height": 2, "pool_width": 2, "stride": 2}
    d.pool_check_fwd = (rng.standard_normal((2, 3, 4, 4)), pool)
    d.pool_check_bwd = (rng.standard_normal((3, 2, 8, 8)), pool)
    d.pool_timing = (rng.standard_normal((4 if quick else 100, 3, 32, 32)), pool)
    return d


def _on(np, value):
    """NumPy data as `np`'s arrays (dicts and tuples kept)."""
    if isinstance(value, numpy.ndarray):
        return np.asarray(value)
    if isinstance(value, tuple):
        return tuple(_on(np, v) for v in value)
    return value


def untraced_cases(d):
    """(name, size, function name, arguments as NumPy data, a call taking the module's functions and arguments)."""
    cases = [
        ("svm_loss_naive", "X 500x3073, W 3073x10", "svm_loss_naive", (d.W, d.X_dev, d.y_dev, 5e-6)),
        ("softmax_loss_naive", "X 500x3073, W 3073x10", "softmax_loss_naive", (d.W, d.X_dev, d.y_dev, 5e-6)),
        ("compute_distances_two_loops", f"{len(d.X_test)}x{len(d.X_train)} of 3072", "compute_distances_two_loops",
         (d.X_test, d.X_train)),
    ]
    for label, (x, w, b, cp) in (("check (2,3,4,4)*(3,3,4,4)", d.conv_check_fwd),
                                 ("check (4,3,5,5)*(2,3,3,3)", d.conv_check_bwd),
                                 (f"timing ({len(d.conv_timing[0])},3,31,31)*(25,3,3,3)", d.conv_timing)):
        cases.append(("conv_forward_naive", label, "conv_forward_naive", (x, w, b, cp)))
        cases.append(("conv_backward_naive", label, "conv_backward_naive", (x, w, b, cp)))
    for label, (x, pp) in (("check (2,3,4,4)", d.pool_check_fwd), ("check (3,2,8,8)", d.pool_check_bwd),
                           (f"timing ({len(d.pool_timing[0])},3,32,32)", d.pool_timing)):
        cases.append(("max_pool_forward_naive", label, "max_pool_forward_naive", (x, pp)))
        cases.append(("max_pool_backward_naive", label, "max_pool_backward_naive", (x, pp)))
    return cases


def _call(fns, fname, args):
    """The call a notebook makes: backward functions get the forward's cache and an upstream gradient."""
    if fname == "conv_backward_naive":
        out, cache = fns.conv_forward_naive(*args)
        dout = out * 0 + 1.0
        return lambda: fns.conv_backward_naive(dout, cache)
    if fname == "max_pool_backward_naive":
        out, cache = fns.max_pool_forward_naive(*args)
        dout = out * 0 + 1.0
        return lambda: fns.max_pool_backward_naive(dout, cache)
    f = getattr(fns, fname)
    return lambda: f(*args)


def _check_same(got, want, name):
    if isinstance(want, tuple):
        for g, w in zip(got, want, strict=False):
            _check_same(g, w, name)
        return
    if isinstance(want, dict):
        return
    numpy.testing.assert_allclose(numpy.asarray(got), numpy.asarray(want), rtol=1e-9, atol=1e-12, err_msg=name)


def timed(contenders, rounds, min_time=0.2, quick=False):
    """{name: median process CPU seconds per call}, the contenders alternating within each round."""
    reps = {}
    for name, fn in contenders.items():
        t = time.process_time()
        fn()
        dt = time.process_time() - t
        reps[name] = 1 if quick else max(1, int(min_time / max(dt, 1e-6)))
    if quick:
        return {name: 0.0 for name in contenders}
    times = {name: [] for name in contenders}
    for _ in range(rounds):
        for name, fn in contenders.items():
            n = reps[name]
            t = time.process_time()
            for _ in range(n):
                fn()
            times[name].append((time.process_time() - t) / n)
    return {name: statistics.median(ts) for name, ts in times.items()}


def run_untraced(d, rounds, quick, only=None, out=print):
    import minpy_array.numpy as mnp

    ref, ours = naive(numpy), naive(mnp)
    rows = []
    for name, size, fname, args in untraced_cases(d):
        if only and only not in name:
            continue
        f_np = _call(ref, fname, args)
        f_mp = _call(ours, fname, _on(mnp, args))
        _check_same(f_mp(), f_np(), name)
        t = timed({"numpy": f_np, "minpy": f_mp}, rounds, quick=quick)
        ratio = t["minpy"] / t["numpy"] if t["numpy"] else float("nan")
        rows.append({"name": name, "size": size, **t, "ratio": ratio})
        out(f"{name:<26}{size:<34}{t['numpy'] * 1e3:>11.2f}{t['minpy'] * 1e3:>11.2f}{ratio:>8.2f}"
            f"{'  ok' if quick or ratio <= 2.0 else '  OVER':>6}")
    return rows


def grad_cases(d, quick):
    conv = d.conv_check_bwd
    return [
        ("svm_loss_loop", "X 500x3073, W 3073x10", "svm_loss_loop", "svm_loss_loop", 0,
         (d.W, d.X_dev, d.y_dev, 5e-6)),
        ("softmax_loss_loop", "X 500x3073, W 3073x10", "softmax_loss_loop", "softmax_loss_loop", 0,
         (d.W, d.X_dev, d.y_dev, 5e-6)),
        ("softmax_loss_rows", "X 500x3073 (autograd: a list)", "softmax_loss_rows", "softmax_loss_rows_list", 0,
         (d.W, d.X_dev, d.y_dev, 5e-6)),
        ("conv_loss_naive", "(4,3,5,5)*(2,3,3,3) (autograd: lists)", "conv_loss_naive", "conv_loss_naive_list",
         (0, 1), (conv[1], conv[2], conv[0], conv[3])),
    ]


def run_grad(d, rounds, quick, only=None, out=print):
    import autograd
    import autograd.numpy as anp

    import minpy_array.numpy as mnp
    from minpy_array.autodiff import grad

    ours, theirs = naive(mnp), naive(anp)
    rows = []
    for name, size, f_ours, f_theirs, argnums, args in grad_cases(d, quick):
        if only and only not in name:
            continue
        g_ours = grad(getattr(ours, f_ours), argnums)
        g_theirs = autograd.grad(getattr(theirs, f_theirs), argnums)
        mine = _on(mnp, args)
        call_ours, call_theirs = (lambda: g_ours(*mine)), (lambda: g_theirs(*args))
        _check_same(call_ours(), call_theirs(), name)
        t = timed({"autograd": call_theirs, "minpy": call_ours}, rounds, quick=quick)
        ratio = t["minpy"] / t["autograd"] if t["autograd"] else float("nan")
        rows.append({"name": name, "size": size, **t, "ratio": ratio})
        out(f"grad {name:<21}{size:<38}{t['autograd'] * 1e3:>11.2f}{t['minpy'] * 1e3:>11.2f}{ratio:>8.2f}"
            f"{'  ok' if quick or ratio <= 1.0 else '  OVER':>6}")
    return rows


def main(argv=None):
    import os
    import platform

    argv = sys.argv[1:] if argv is None else argv
    quick = "--quick" in argv
    rounds = int(argv[argv.index("--rounds") + 1]) if "--rounds" in argv else 5
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    d = data(quick)
    load = os.getloadavg()
    print(f"naive: {platform.machine()}, {os.cpu_count()} cpus, load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, "
          f"Python {platform.python_version()}, NumPy {numpy.__version__}; process CPU time, median of {rounds} "
          f"alternating rounds, ms per call")
    print(f"{'function':<26}{'size':<34}{'numpy':>11}{'minpy':>11}{'ratio':>8}{'<=2x':>6}")
    untraced = run_untraced(d, rounds, quick, only)
    print(f"\n{'grad of':<26}{'size':<38}{'autograd':>11}{'minpy':>11}{'ratio':>8}{'<=1x':>6}")
    traced = run_grad(d, rounds, quick, only)
    return untraced, traced


if __name__ == "__main__":
    main()
