"""Autodiff soak: 2,000 SGD steps of the demo-sized MLP (benchmarks/memory.py) keep resident memory flat, and the
tape holds nothing once `grad` has returned."""
import gc
import importlib.util
import pathlib
import weakref

import numpy

import minpy_array.numpy as np
from minpy_array.autodiff import grad, value_and_grad

_spec = importlib.util.spec_from_file_location(
    "minpy_memory_benchmark", pathlib.Path(__file__).parents[2] / "benchmarks" / "memory.py")
memory = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(memory)


def test_soak_2000_steps_rss_flat_and_nothing_traced():
    untraced = []

    def probe(step, params):  # after every step: no parameter carries a node of the finished tape
        untraced.append(all(p._node is None for p in params))

    r = memory.soak(steps=2000, every=100, probe=probe)
    first, last, rel = memory.growth(r["rss"])
    print(f"\nsoak: RSS after step 100 {first / 2 ** 20:.2f} MiB, after step 2000 {last / 2 ** 20:.2f} MiB "
          f"({100 * rel:+.2f}%), {r['seconds']:.1f} s")
    assert abs(rel) < 0.05, r["rss"]
    assert len(untraced) == 2000 and all(untraced)
    losses = dict(r["loss"])
    assert losses[2000] < 0.5 * losses[100]  # it did train


def test_the_tape_is_released_when_grad_returns():
    """Weak references to every intermediate array and node of the forward pass are dead as soon as `grad`
    returns (no garbage collection needed: nothing is kept by a cycle or a global)."""
    params, xs, ys = memory.make_problem()
    refs = []

    def spying_loss(params, x, y):
        w1, b1, w2, b2 = params
        h = np.maximum(x @ w1 + b1, 0.0)
        s = h @ w2 + b2
        s = s - np.max(s, axis=1, keepdims=True)
        logp = s - np.log(np.sum(np.exp(s), axis=1, keepdims=True))
        out = -np.sum(logp * y) / x.shape[0]
        for a in (h, s, logp, out):
            refs.append(weakref.ref(a))
            refs.append(weakref.ref(a._node))
        return out

    gc.disable()
    try:
        for fn in (grad(spying_loss), value_and_grad(spying_loss)):
            for _ in range(5):
                refs.clear()
                res = fn(params, xs[:64], ys[:64])
                assert refs and [r for r in refs if r() is not None] == []
                grads = res[1] if isinstance(res, tuple) else res
                assert all(g._node is None for g in grads) and all(p._node is None for p in params)
    finally:
        gc.enable()


def test_soak_gradients_match_hand_written_backprop():
    """The soak trains on the right gradients (one step against NumPy backprop)."""
    params, xs, ys = memory.make_problem()
    x, y = xs[:64].asnumpy(), ys[:64].asnumpy()
    w1, b1, w2, b2 = (p.asnumpy() for p in params)
    z = x @ w1 + b1
    h = numpy.maximum(z, 0)
    s = h @ w2 + b2
    e = numpy.exp(s - s.max(axis=1, keepdims=True))
    d = (e / e.sum(axis=1, keepdims=True) - y) / 64
    dh = (d @ w2.T) * (z > 0)
    want = (x.T @ dh, dh.sum(0), h.T @ d, d.sum(0))
    got = grad(memory.loss)(params, xs[:64], ys[:64])
    for g, w in zip(got, want, strict=True):
        numpy.testing.assert_allclose(g.asnumpy(), w, rtol=1e-9, atol=1e-12)
