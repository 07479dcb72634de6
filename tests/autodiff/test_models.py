"""Gradients of whole models against hand-written backprop: CS231n's two-layer net (affine - ReLU - affine -
softmax loss + L2) and a vanilla RNN unrolled with a Python for loop (BPTT by hand), under each policy."""
import numpy
import pytest
from conftest import POLICIES
from hypothesis import given, settings
from hypothesis import strategies as st

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.autodiff import grad, value_and_grad


# ---------------------------------------------------------------- CS231n two-layer net
def two_layer_loss(params, x, y, reg):
    w1, b1, w2, b2 = params["W1"], params["b1"], params["W2"], params["b2"]
    h = np.maximum(0, np.dot(x, w1) + b1)
    scores = np.dot(h, w2) + b2
    shifted = scores - np.max(scores, axis=1, keepdims=True)
    log_probs = shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))
    n = x.shape[0]
    loss = -np.sum(log_probs[np.arange(n), y]) / n
    return loss + 0.5 * reg * (np.sum(w1 * w1) + np.sum(w2 * w2))


def two_layer_backprop(p, x, y, reg):
    """CS231n assignment 1's hand-written backward pass."""
    h_pre = x @ p["W1"] + p["b1"]
    h = numpy.maximum(0, h_pre)
    scores = h @ p["W2"] + p["b2"]
    e = numpy.exp(scores - scores.max(axis=1, keepdims=True))
    probs = e / e.sum(axis=1, keepdims=True)
    n = x.shape[0]
    loss = -numpy.log(probs[numpy.arange(n), y]).mean() + 0.5 * reg * ((p["W1"] ** 2).sum() + (p["W2"] ** 2).sum())
    d = probs.copy()
    d[numpy.arange(n), y] -= 1
    d /= n
    g = {"W2": h.T @ d + reg * p["W2"], "b2": d.sum(axis=0)}
    dh = (d @ p["W2"].T) * (h_pre > 0)
    g["W1"] = x.T @ dh + reg * p["W1"]
    g["b1"] = dh.sum(axis=0)
    return loss, g


@pytest.mark.parametrize("policy", POLICIES)
@settings(max_examples=5)
@given(seed=st.integers(0, 2 ** 31), n=st.integers(1, 6), dtype=st.sampled_from([numpy.float32, numpy.float64]))
def test_two_layer_net_matches_hand_written_backprop(policy, seed, n, dtype):
    rng = numpy.random.default_rng(seed)
    d_in, hidden, classes = 5, 7, 3
    p = {"W1": rng.standard_normal((d_in, hidden)), "b1": rng.standard_normal(hidden) * 0.1,
         "W2": rng.standard_normal((hidden, classes)), "b2": rng.standard_normal(classes) * 0.1}
    p = {k: v.astype(dtype) for k, v in p.items()}
    x = rng.standard_normal((n, d_in)).astype(dtype)
    y = rng.integers(0, classes, n)
    with mp.policy(policy):
        loss, g = value_and_grad(two_layer_loss)({k: np.asarray(v) for k, v in p.items()}, np.asarray(x),
                                                 np.asarray(y), 0.05)
    ref_loss, ref = two_layer_backprop(p, x, y, 0.05)
    tol = 2e-4 if dtype == numpy.float32 else 1e-10
    numpy.testing.assert_allclose(float(loss), ref_loss, rtol=tol, atol=tol)
    for k in p:
        assert g[k].dtype == dtype
        numpy.testing.assert_allclose(g[k].asnumpy(), ref[k], rtol=tol, atol=tol)


# ---------------------------------------------------------------- an RNN unrolled with a Python for loop
def rnn_loss(params, xs, targets):
    wx, wh, b, wy = params
    h = np.zeros((xs.shape[1], wh.shape[0]))
    loss = 0.0
    for t in range(xs.shape[0]):
        h = np.tanh(np.dot(xs[t], wx) + np.dot(h, wh) + b)
        loss = loss + np.sum((np.dot(h, wy) - targets[t]) ** 2)
    return loss


def rnn_bptt(params, xs, targets):
    wx, wh, b, wy = params
    steps, batch = xs.shape[:2]
    hs = [numpy.zeros((batch, wh.shape[0]))]
    for t in range(steps):
        hs.append(numpy.tanh(xs[t] @ wx + hs[-1] @ wh + b))
    gwx, gwh, gb, gwy = (numpy.zeros_like(v) for v in params)
    dh_next = numpy.zeros_like(hs[0])
    for t in range(steps - 1, -1, -1):
        dy = 2 * (hs[t + 1] @ wy - targets[t])
        gwy += hs[t + 1].T @ dy
        dh = dy @ wy.T + dh_next
        da = dh * (1 - hs[t + 1] ** 2)
        gwx += xs[t].T @ da
        gwh += hs[t].T @ da
        gb += da.sum(axis=0)
        dh_next = da @ wh.T
    return gwx, gwh, gb, gwy


@pytest.mark.parametrize("policy", POLICIES)
@settings(max_examples=5)
@given(seed=st.integers(0, 2 ** 31), steps=st.integers(1, 6))
def test_rnn_for_loop_matches_bptt(policy, seed, steps):
    rng = numpy.random.default_rng(seed)
    d_in, hidden, d_out, batch = 3, 4, 2, 2
    params = (rng.standard_normal((d_in, hidden)) * 0.5, rng.standard_normal((hidden, hidden)) * 0.5,
              rng.standard_normal(hidden) * 0.1, rng.standard_normal((hidden, d_out)) * 0.5)
    xs = rng.standard_normal((steps, batch, d_in))
    targets = rng.standard_normal((steps, batch, d_out))
    with mp.policy(policy):
        g = grad(rnn_loss)(tuple(np.asarray(v) for v in params), np.asarray(xs), np.asarray(targets))
    assert isinstance(g, tuple) and len(g) == 4
    for mine, ref in zip(g, rnn_bptt(params, xs, targets), strict=True):
        numpy.testing.assert_allclose(mine.asnumpy(), ref, rtol=1e-10, atol=1e-10)


def test_training_loop_keeps_flat_memory():
    """A long SGD loop: the tape is released after every step (traced memory does not grow)."""
    import gc
    import tracemalloc

    rng = numpy.random.default_rng(0)
    p = {"W1": np.asarray(rng.standard_normal((5, 16))), "b1": np.zeros(16),
         "W2": np.asarray(rng.standard_normal((16, 3))), "b2": np.zeros(3)}
    x, y = np.asarray(rng.standard_normal((8, 5))), np.asarray(rng.integers(0, 3, 8))
    step = grad(two_layer_loss)

    def train(k):
        for _ in range(k):
            g = step(p, x, y, 0.01)
            for name in p:
                p[name] -= 0.1 * g[name]
    train(5)
    tracemalloc.start()
    train(20)
    gc.collect()  # the in-place update path (the core's out=) makes short-lived reference cycles
    after_20 = tracemalloc.get_traced_memory()[0]
    train(200)
    gc.collect()
    after_220 = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    assert after_220 - after_20 < 64 * 1024
