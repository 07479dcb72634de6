"""Initialisers (shape, dtype, distribution bounds) and the minibatch iterator."""
import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st

import minpy_array.numpy as np
from minpy_array import MinArray
from minpy_array.nn import Batches, init


def test_xavier_bounds_and_fans():
    w = init.init("xavier", (30, 20), rng=0)
    assert type(w) is MinArray and w.shape == (30, 20) and w.dtype == numpy.float32
    assert float(np.max(np.abs(w))) <= numpy.sqrt(6 / 50)
    k = init.xavier((8, 3, 3, 3), rng=1, dtype="float64")
    assert k.dtype == numpy.float64 and float(np.max(np.abs(k))) <= numpy.sqrt(6 / (27 + 72))


def test_gaussian_and_constant():
    g = init.init("gaussian", (400, 50), rng=0, std=0.1)
    assert abs(float(np.std(g)) - 0.1) < 0.005 and abs(float(np.mean(g))) < 0.005
    c = init.init("constant", (2, 3), value=0.5, dtype="float64")
    numpy.testing.assert_array_equal(c.asnumpy(), numpy.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="unknown initialiser"):
        init.init("he", (2, 2))


def test_same_seed_same_weights():
    numpy.testing.assert_array_equal(init.xavier((4, 4), 7).asnumpy(), init.xavier((4, 4), 7).asnumpy())


@given(st.integers(1, 30), st.integers(1, 8), st.sampled_from(["keep", "drop"]), st.booleans(), st.booleans())
def test_batches_cover_the_data(n, bs, last, shuffle, minarray):
    x = numpy.arange(n * 2.0).reshape(n, 2)
    y = numpy.arange(n)
    xs = np.asarray(x) if minarray else x
    it = Batches(xs, y, batch_size=bs, shuffle=shuffle, last=last, seed=0)
    got = list(it)
    assert len(got) == len(it) == (n // bs + (1 if n % bs and last == "keep" else 0))
    seen = []
    for xb, yb in got:
        assert type(xb) is type(xs)
        assert 0 < len(yb) <= bs and (last == "keep" or len(yb) == bs)
        xb = xb.asnumpy() if minarray else xb
        numpy.testing.assert_array_equal(xb, x[yb])
        seen.extend(yb.tolist())
    if last == "keep":
        assert sorted(seen) == list(range(n))
    if not shuffle:
        assert seen == sorted(seen)


def test_batches_reshuffle_each_pass_and_reject_bad_input():
    it = Batches(numpy.arange(20), batch_size=20, seed=0)
    first, second = next(iter(it)), next(iter(it))
    assert sorted(first) == sorted(second) and list(first) != list(second)
    with pytest.raises(ValueError, match="differ in length"):
        Batches(numpy.arange(3), numpy.arange(4))
    with pytest.raises(ValueError, match="last"):
        Batches(numpy.arange(3), last="pad")


@pytest.mark.parametrize("shape, dims", [("flat", (64,)), ("images", (8, 8)), ("channels", (1, 8, 8))])
def test_load_digits_splits_scales_and_centres(shape, dims):
    from minpy_array.nn.data import load_digits

    d = load_digits(1, n_train=1000, n_val=300, shape=shape)
    assert [len(d[k]) for k in ("X_train", "X_val", "X_test")] == [1000, 300, 497]
    assert d["X_train"].shape[1:] == dims and d["X_train"].dtype == numpy.float32 and d["y_test"].dtype == numpy.int64
    numpy.testing.assert_allclose(d["X_train"].mean(axis=0), 0, atol=1e-6)
    raw = load_digits(1, shape=shape, center=False)["X_train"]
    assert raw.min() >= 0 and raw.max() <= 1
    with pytest.raises(ValueError, match="shape"):
        load_digits(shape="square")
