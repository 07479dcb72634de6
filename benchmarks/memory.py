"""The autodiff soak: SGD on a demo-sized MLP (64 -> 100 -> 10, softmax cross-entropy, batch 64, random data)
with minpy_array's `grad`, printing the resident memory (RSS) curve.

    .venv/bin/python benchmarks/memory.py [--steps 2000] [--every 100] [--policy auto]

The leak check compares the RSS after step 100 (allocator pools warmed up) with the RSS after the last step.
tests/reliability/test_soak.py runs `soak()` from this file and asserts the difference is under 5%.
"""
import argparse
import os
import time

import numpy

IN, HIDDEN, OUT, BATCH, LR = 64, 100, 10, 64, 0.05


def rss_bytes():
    """Resident set size of this process, from /proc (Linux) or psutil."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # pragma: no cover - not Linux
        import psutil

        return psutil.Process().memory_info().rss


def loss(params, x, y):
    import minpy_array.numpy as np

    w1, b1, w2, b2 = params
    h = np.maximum(x @ w1 + b1, 0.0)
    s = h @ w2 + b2
    s = s - np.max(s, axis=1, keepdims=True)
    logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
    return -np.sum(logp * y) / x.shape[0]


def make_problem(seed=0, n=1024):
    import minpy_array.numpy as np

    rng = numpy.random.default_rng(seed)
    params = [np.asarray(rng.standard_normal((IN, HIDDEN)) * numpy.sqrt(2.0 / IN)), np.zeros(HIDDEN),
              np.asarray(rng.standard_normal((HIDDEN, OUT)) * numpy.sqrt(2.0 / HIDDEN)), np.zeros(OUT)]
    xs = rng.standard_normal((n, IN))
    ys = numpy.eye(OUT)[rng.integers(0, OUT, n)]
    return params, np.asarray(xs), np.asarray(ys)


def soak(steps=2000, every=100, policy="auto", probe=None):
    """Run `steps` SGD steps; returns {"rss": [(step, bytes)], "loss": [(step, value)], "seconds": s}.
    `probe(step, params)`, if given, runs after each step (the test checks the tape there)."""
    import minpy_array as mp
    from minpy_array.autodiff import value_and_grad

    params, xs, ys = make_problem()
    step_fn = value_and_grad(loss)
    n = xs.shape[0]
    out = {"rss": [(0, rss_bytes())], "loss": []}
    t0 = time.perf_counter()
    with mp.policy(policy):
        for k in range(1, steps + 1):
            i = (k * BATCH) % n
            value, grads = step_fn(params, xs[i:i + BATCH], ys[i:i + BATCH])
            for p, g in zip(params, grads, strict=True):
                p -= LR * g
            if probe is not None:
                probe(k, params)
            if k % every == 0 or k == steps:
                out["rss"].append((k, rss_bytes()))
                out["loss"].append((k, float(value)))
    out["seconds"] = time.perf_counter() - t0
    return out


def growth(curve, start=100):
    """(RSS at `start`, RSS at the end, relative change)."""
    first = dict(curve)[start]
    last = curve[-1][1]
    return first, last, (last - first) / first


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--every", type=int, default=100)
    ap.add_argument("--policy", default="auto")
    a = ap.parse_args()
    r = soak(a.steps, a.every, a.policy)
    print(f"MLP {IN}->{HIDDEN}->{OUT}, batch {BATCH}, policy {a.policy}: {a.steps} SGD steps in "
          f"{r['seconds']:.1f} s ({1e3 * r['seconds'] / a.steps:.2f} ms/step)")
    print(f"{'step':>6}  {'RSS MiB':>9}  {'loss':>8}")
    losses = dict(r["loss"])
    for k, b in r["rss"]:
        print(f"{k:>6}  {b / 2 ** 20:>9.2f}  {losses.get(k, float('nan')):>8.4f}")
    if 100 in dict(r["rss"]):
        first, last, rel = growth(r["rss"])
        print(f"RSS after step 100: {first / 2 ** 20:.2f} MiB; after step {a.steps}: {last / 2 ** 20:.2f} MiB; "
              f"change {100 * rel:+.2f}%")


if __name__ == "__main__":
    main()
