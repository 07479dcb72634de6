"""The two faces of one array type (README, "Two faces"): the NumPy face returns what NumPy returns (NumPy scalars
included) for untraced values on the cpu, under every policy; the Array API namespace, traced values and devices
keep 0-d arrays; the ndarray attributes student code assigns (`shape`, `flat`) and reads (`strides`)."""
import collections
import json

import numpy
import pytest

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array import _config
from minpy_array._array import MinArray
from minpy_array.autodiff import grad
from tests.conftest import requires_torch

POLICIES = [p for p in _config.RULES if not p.endswith("_only") or p == "numpy_only"]
ONLY = [p for p in _config.RULES if p.endswith("_only") and p != "numpy_only"]


def _pair(x):
    return x, mnp.asarray(x)


# what student code does with elements and reductions: (name, f(np, a, y)) with a (3, 4) float64 and y int labels
USES = [
    ("element type", lambda np, a, y: type(a[1, 2])),
    ("element of a row", lambda np, a, y: type(a[1][2])),
    ("hash", lambda np, a, y: hash(a[1, 2])),
    ("round", lambda np, a, y: (round(a.sum(), 2), type(round(a.sum(), 2)), round(a[0, 1]))),
    ("json", lambda np, a, y: json.dumps({"loss": a.mean(), "best": a.max()})),
    ("isinstance float", lambda np, a, y: (isinstance(a.sum(), float), isinstance(np.sum(a), float))),
    ("isinstance int", lambda np, a, y: isinstance(int(y[0]), int) and type(y[0])),
    ("sorted", lambda np, a, y: [(type(v), v) for v in sorted(y)]),
    ("set", lambda np, a, y: sorted(set(y))),
    ("Counter", lambda np, a, y: collections.Counter(y).most_common()),
    ("dict keys", lambda np, a, y: {y[i]: i for i in range(len(y))}),
    ("iteration", lambda np, a, y: [type(v) for v in a[0]]),
    ("item", lambda np, a, y: (type(a.item(3)), type(y.item(0)))),
    ("argmax", lambda np, a, y: (type(np.argmax(a)), type(a.argmax()))),
    ("dot of vectors", lambda np, a, y: type(np.dot(a[0], a[1]))),
    ("0-d arithmetic", lambda np, a, y: type(a[0, 1] * 2.0 + a[1, 1])),
    ("comparison", lambda np, a, y: (type(a[0, 1] > 0), bool(a[0, 1] > 0))),
    ("format", lambda np, a, y: f"{a.sum():.3f} {a[1, 1]:5.1f}"),
    ("index", lambda np, a, y: [10, 20, 30][y[0]]),
    ("scalar of a spec result", lambda np, a, y: type(np.float64(a.sum()))),
]


@pytest.mark.parametrize("policy", POLICIES)
@pytest.mark.parametrize("name, use", USES, ids=[u[0] for u in USES])
def test_numpy_face_gives_numpy_scalars_under_every_policy(policy, name, use):
    a, ma = _pair(numpy.arange(12.0).reshape(3, 4) / 7)
    y, my = _pair(numpy.array([2, 0, 2, 1]))
    want = use(numpy, a, y)
    with mp.policy(policy):
        got = use(mnp, ma, my)
    assert got == want, name


@pytest.mark.parametrize("policy", ONLY)
def test_borrowed_reductions_give_numpy_scalars(policy):
    """Under B_only, a reduction B runs still gives NumPy's scalar (the kernel's 0-d result, on the NumPy face)."""
    backend = policy[:-len("_only")]
    a, ma = _pair(numpy.arange(12.0, dtype="float32").reshape(3, 4))
    with mp.policy(policy):
        mp.reset_op_stats()
        try:
            got = [ma.sum(), mnp.max(ma), mnp.mean(ma)]
        except mp.NoKernelError as e:
            pytest.skip(f"{backend} is not usable here: {e}")
        assert mp.op_stats()["sum"][backend] == 1
    want = [a.sum(), numpy.max(a), numpy.mean(a)]
    assert [(type(v), v) for v in got] == [(type(v), v) for v in want]


def test_spec_namespace_keeps_zero_d_arrays():
    x = mp.asarray([1.0, 2.0, 3.0])
    for r in (mp.sum(x), x[0], mp.max(x), x[1] + x[2], mp.linalg.vector_norm(x)):
        assert type(r) is MinArray and r.ndim == 0
    numpy_face = mnp.asarray([1.0, 2.0, 3.0])
    assert type(mp.sum(numpy_face)) is MinArray  # the namespace's functions take NumPy-face arrays as spec ones
    assert type(mp.sum(numpy_face)[()]) is MinArray
    with pytest.raises(TypeError, match="unhashable"):
        hash(x[0])


def test_zero_d_minarray_supports_round_index_format():
    x = mp.asarray(2.675)
    assert round(x) == 3 and type(round(x)) is int
    r = round(x, 2)
    assert type(r) is MinArray and r.dtype == numpy.float64 and float(r) == round(numpy.float64(2.675), 2)
    assert f"{x:.1f}" == "2.7" and format(mp.asarray(7), "03d") == "007"
    assert [10, 20, 30][mp.asarray(2)] == 30 and int(mp.asarray(numpy.int8(-3)).__index__()) == -3
    with pytest.raises(TypeError, match="integer scalar arrays"):
        [1, 2][mp.asarray(1.0)]
    with pytest.raises(TypeError, match="round"):
        round(mp.asarray([1.5, 2.5]))
    with pytest.raises(TypeError, match="format"):
        f"{mp.asarray([1.0, 2.0]):.2f}"


def test_traced_elements_stay_arrays_and_differentiable():
    seen = []

    def loss(w):
        total = 0.0
        for i in range(w.shape[0]):
            e = w[i]
            seen.append((type(e), type(w.sum())))
            total += e * e * (i + 1)
        seen.append((type(round(total, 3)), type(f"{total:.2f}")))  # a traced 0-d array rounds and formats
        return total

    w = mnp.asarray([0.5, -1.0, 2.0])
    g = grad(loss)(w)
    assert seen[:3] == [(MinArray, MinArray)] * 3 and seen[3] == (MinArray, str)
    numpy.testing.assert_allclose(g.asnumpy(), [1.0, -4.0, 12.0])
    # the same function untraced: NumPy's scalars
    assert type(loss(w)) is numpy.float64


def test_traced_setitem_loop_is_differentiable():
    def loss(w):
        out = mnp.zeros(3)
        for i in range(3):
            out[i] = w[i] ** 2 + w[(i + 1) % 3]
        return mnp.sum(out)

    w = mnp.asarray([1.0, 2.0, 3.0])
    numpy.testing.assert_allclose(grad(loss)(w).asnumpy(), 2 * w.asnumpy() + 1)


@requires_torch
def test_device_elements_stay_arrays():
    a = mnp.asarray(numpy.arange(6.0).reshape(2, 3)).to_device("torch:cpu")
    e = a[1, 2]
    assert type(e) is MinArray and e.ndim == 0 and e.device == a.device
    assert type(a.sum()) is MinArray and float(a.sum()) == 15.0
    assert round(e) == 5 and f"{e:.1f}" == "5.0"
    i = mnp.asarray(numpy.array([2, 0])).to_device("torch:cpu")[0]
    assert [7, 8, 9][i] == 9
    assert a.strides == (24, 8) and a.T.strides == (8, 24)


# ---------------------------------------------------------------- shape, flat, strides
SHAPE_CASES = [
    (lambda np: np.arange(6.0), (2, 3)),
    (lambda np: np.arange(6.0), (3, -1)),
    (lambda np: np.arange(6.0).reshape(2, 3), 6),
    (lambda np: np.arange(6.0), (4,)),                     # size mismatch: ValueError
    (lambda np: np.arange(6.0).reshape(2, 3).T, (6,)),     # no view: AttributeError
    (lambda np: np.arange(6.0).reshape(2, 3).T, (3, 2, 1)),
    (lambda np: np.arange(12.0)[::2], (2, 3)),             # a strided 1-d view reshapes in place
    (lambda np: np.arange(6.0), (2, "3")),                 # TypeError
    (lambda np: np.zeros((0, 3)), (3, 0)),
]


@pytest.mark.parametrize("make, shape", SHAPE_CASES)
def test_shape_setter_as_numpy(make, shape):
    n, m = make(numpy), make(mnp)
    try:
        n.shape = shape
    except Exception as e:
        with pytest.raises(type(e)) as info:
            m.shape = shape
        assert str(info.value) == str(e)
        return
    m.shape = shape
    assert m.shape == n.shape and m.strides == n.strides
    numpy.testing.assert_array_equal(m.asnumpy(), n)


def test_shape_setter_keeps_views_and_aliases():
    base = mnp.arange(6.0)
    v = base[:]
    v.shape = (2, 3)
    v[1, 1] = 100.0
    assert base[4] == 100.0 and base.shape == (6,)
    t = mnp.arange(6.0).reshape(2, 3).T
    with pytest.raises(AttributeError, match="Incompatible shape"):
        t.shape = (6,)
    assert t.shape == (3, 2)


def test_shape_setter_on_traced_array_is_recorded():
    def f(w):
        x = w * 1.0
        x.shape = (2, 2)
        return mnp.sum(x[0] * x[1])

    w = mnp.asarray([1.0, 2.0, 3.0, 4.0])
    numpy.testing.assert_allclose(grad(f)(w).asnumpy(), [3.0, 4.0, 1.0, 2.0])


def test_flat_reads_and_writes_as_numpy():
    n = numpy.arange(12.0).reshape(3, 4)
    m = mnp.asarray(n.copy())
    assert [type(v) for v in m.flat] == [type(v) for v in n.flat] and list(m.flat) == list(n.flat)
    assert m.flat[5] == n.flat[5] and type(m.flat[5]) is type(n.flat[5])
    numpy.testing.assert_array_equal(m.flat[2:7].asnumpy(), n.flat[2:7])
    n.flat[[1, 3]] = -1.0
    m.flat[[1, 3]] = -1.0
    n.flat = [7.0, 8.0]
    m.flat = [7.0, 8.0]
    numpy.testing.assert_array_equal(m.asnumpy(), n)
    assert len(m.flat) == 12


@pytest.mark.parametrize("index", [(Ellipsis,), (slice(None), slice(1, None, 2)), (1,)])
def test_strides_as_numpy(index):
    n = numpy.arange(24.0).reshape(2, 3, 4)
    m = mnp.asarray(n)
    assert m[index].strides == n[index].strides and m.T.strides == n.T.strides
    assert mnp.asarray(numpy.zeros((3, 5), dtype="float32")).strides == (20, 4)
