"""One SGD step of MinPy's MLP benchmark: 784 -> N x [FC(H) + ReLU] -> FC(10), softmax cross-entropy, batch 64,
float32, for minpy_array's autodiff, hand-written NumPy backprop and HIPS autograd, in one run.

    .venv/bin/python benchmarks/autodiff.py [--quick] [--repeat R]

Prints ms/step (best of R timed steps after a warm-up; the three take turns; CPU time of the process unless --wall;
one OpenBLAS thread unless OPENBLAS_NUM_THREADS is set) and the ratios to hand-written NumPy.
"""
import argparse
import os
import time

# Note: one BLAS thread unless the environment says otherwise: on a shared machine, spinning BLAS worker threads
# make CPU time (and wall time) depend on how long Python runs between two products.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy

BATCH, IN, OUT, LR = 64, 784, 10, 1e-3
CLOCK = [time.process_time]


def init(n_hidden, width, rng):
    sizes = [IN] + [width] * n_hidden + [OUT]
    return [(rng.standard_normal((a, b)).astype(numpy.float32) * numpy.float32(numpy.sqrt(2.0 / a)),
             numpy.zeros(b, numpy.float32)) for a, b in zip(sizes[:-1], sizes[1:], strict=True)]


def data(rng):
    x = rng.standard_normal((BATCH, IN)).astype(numpy.float32)
    y = numpy.zeros((BATCH, OUT), numpy.float32)
    y[numpy.arange(BATCH), rng.integers(0, OUT, BATCH)] = 1
    return x, y


# ---------------------------------------------------------------- hand-written NumPy
def numpy_step(params, x, y):
    hs = [x]
    for w, b in params[:-1]:
        hs.append(numpy.maximum(hs[-1] @ w + b, 0))
    w, b = params[-1]
    s = hs[-1] @ w + b
    s = s - s.max(axis=1, keepdims=True)
    e = numpy.exp(s)
    p = e / e.sum(axis=1, keepdims=True)
    loss = -numpy.sum(y * (s - numpy.log(e.sum(axis=1, keepdims=True)))) / BATCH
    d = (p - y) / BATCH
    for i in range(len(params) - 1, -1, -1):
        w, b = params[i]
        h = hs[i]
        dw, db = h.T @ d, d.sum(axis=0)
        if i:
            d = (d @ w.T) * (h > 0)
        w -= LR * dw
        b -= LR * db
    return loss


# ---------------------------------------------------------------- the same loss for minpy_array and autograd
def make_loss(np, stop_gradient):
    def loss(params, x, y):
        h = x
        for w, b in params[:-1]:
            h = np.maximum(h @ w + b, 0)
        w, b = params[-1]
        s = h @ w + b
        s = s - stop_gradient(np.max(s, axis=1, keepdims=True))
        lse = np.log(np.sum(np.exp(s), axis=1, keepdims=True))
        return -np.sum(y * (s - lse)) / BATCH
    return loss


def sgd_step(value_and_grad_fn):
    """One SGD step from a value_and_grad function (minpy_array's or autograd's): updates params in place."""
    def step(params, x, y):
        loss, grads = value_and_grad_fn(params, x, y)
        for (w, b), (gw, gb) in zip(params, grads, strict=True):
            w -= LR * gw
            b -= LR * gb
        return float(loss)
    return step


def minpy_stepper():
    import minpy_array.numpy as mnp
    from minpy_array.autodiff import stop_gradient, value_and_grad

    step = sgd_step(value_and_grad(make_loss(mnp, stop_gradient)))
    return step, lambda p: [(mnp.asarray(w), mnp.asarray(b)) for w, b in p], lambda a: mnp.asarray(a)


def autograd_stepper():
    import autograd
    import autograd.numpy as anp

    step = sgd_step(autograd.value_and_grad(make_loss(anp, autograd.tracer.getval)))
    return step, lambda p: [(w.copy(), b.copy()) for w, b in p], lambda a: a


def best_ms(runs, repeat):
    """Best time (ms) of each (step, params, x, y) in runs; the runs take turns, so that a busy machine slows
    them alike."""
    for step, params, x, y in runs:
        step(params, x, y)  # warm-up
    times = [[] for _ in runs]
    for _ in range(repeat):
        for t, (step, params, x, y) in zip(times, runs, strict=True):
            start = CLOCK[0]()
            step(params, x, y)
            t.append(CLOCK[0]() - start)
    return [1e3 * min(t) for t in times]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N in {2, 10}, H = 256, 2 timed steps")
    ap.add_argument("--repeat", type=int, default=None)
    ap.add_argument("--wall", action="store_true", help="wall-clock time (default: CPU time of the process, which a "
                                                        "machine shared with other jobs disturbs less)")
    a = ap.parse_args()
    if a.wall:
        CLOCK[0] = time.perf_counter
    configs = [(n, h) for h in ((256,) if a.quick else (256, 1024)) for n in ((2, 10) if a.quick else (2, 10, 50))]
    repeat = a.repeat or (3 if a.quick else 10)
    mp_step, mp_params, mp_arr = minpy_stepper()
    ag_step, ag_params, _ = autograd_stepper()
    print(f"SGD step, MLP 784 -> N x [FC(H)+ReLU] -> FC(10), batch {BATCH}, float32; best of {repeat} "
          f"({'wall' if a.wall else 'CPU'} ms/step)")
    print(f"{'N':>3} {'H':>5} {'numpy':>9} {'minpy_array':>12} {'autograd':>9} {'minpy/numpy':>12} "
          f"{'autograd/numpy':>15}")
    for n, h in configs:
        rng = numpy.random.default_rng(0)
        params = init(n, h, rng)
        x, y = data(rng)
        t_np, t_mp, t_ag = best_ms([(numpy_step, [(w.copy(), b.copy()) for w, b in params], x, y),
                                    (mp_step, mp_params(params), mp_arr(x), mp_arr(y)),
                                    (ag_step, ag_params(params), x, y)], repeat)
        print(f"{n:>3} {h:>5} {t_np:>9.2f} {t_mp:>12.2f} {t_ag:>9.2f} {t_mp / t_np:>12.2f} {t_ag / t_np:>15.2f}")


if __name__ == "__main__":
    main()
