"""Pickle, numpy.save/load and copy.deepcopy round trips of MinArrays (every dtype, 0-d, empty, strided, devices)."""
import copy
import io
import pickle

import numpy
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from reliability_helpers import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np

DTYPES = ["bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float16", "float32",
          "float64", "complex64", "complex128"]
DEVICES = ["cpu", pytest.param("sim:0", marks=requires_mxnet)]


def _arrays():
    return hnp.arrays(st.sampled_from(DTYPES), hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4))


def _same(a, b):
    assert type(b) is mp.MinArray
    assert b.dtype == a.dtype and b.shape == a.shape and b.device == a.device
    numpy.testing.assert_array_equal(b.asnumpy(), a.asnumpy())


@pytest.mark.parametrize("device", DEVICES)
@given(host=_arrays(), protocol=st.integers(2, pickle.HIGHEST_PROTOCOL))
def test_pickle_round_trip(device, host, protocol):
    a = np.asarray(host).to_device(device)
    b = pickle.loads(pickle.dumps(a, protocol=protocol))
    _same(a, b)
    assert b is not a


@pytest.mark.parametrize("device", DEVICES)
def test_pickle_of_views_and_nested_structures(device):
    base = np.asarray(numpy.arange(24.0).reshape(4, 6)).to_device(device)
    for v in (base[::2, 1::3], base.T, base[1], base[None, ..., None], base[..., ::-1]):
        _same(v, pickle.loads(pickle.dumps(v)))
    model = {"W": base, "b": np.zeros(6).to_device(device), "layers": [base[0], (base[1], 3)]}
    back = pickle.loads(pickle.dumps(model))
    _same(model["W"], back["W"])
    _same(model["layers"][1][0], back["layers"][1][0])


@given(host=_arrays())
def test_numpy_save_and_load(host):
    a = np.asarray(host)
    buf = io.BytesIO()
    numpy.save(buf, a)  # NumPy's own save, through __array__
    buf.seek(0)
    loaded = numpy.load(buf)
    assert type(loaded) is numpy.ndarray and loaded.dtype == host.dtype
    numpy.testing.assert_array_equal(loaded, host)
    buf = io.BytesIO()
    np.save(buf, a)  # the drop-in face
    buf.seek(0)
    back = np.load(buf)
    assert type(back) is mp.MinArray
    _same(a, back)


def test_numpy_savez_and_save_of_a_device_array(tmp_path):
    a, b = np.asarray(numpy.arange(6.0).reshape(2, 3)), np.asarray(numpy.array([True, False]))
    path = tmp_path / "arrays.npz"
    np.savez(path, a=a, b=b)
    with np.load(path) as z:
        numpy.testing.assert_array_equal(z["a"], a.asnumpy())
        numpy.testing.assert_array_equal(z["b"], b.asnumpy())


@requires_mxnet
def test_numpy_save_of_a_device_array(tmp_path):
    a = mp.asarray(numpy.arange(6.0, dtype=numpy.float32).reshape(2, 3), device="sim:0")
    numpy.save(tmp_path / "a.npy", a)
    numpy.testing.assert_array_equal(numpy.load(tmp_path / "a.npy"), a.asnumpy())


@pytest.mark.parametrize("device", DEVICES)
@given(host=_arrays())
def test_deepcopy_is_independent(device, host):
    a = np.asarray(host).to_device(device)
    b = copy.deepcopy(a)
    _same(a, b)
    if a.size and a.dtype.kind in "iuf":
        b[...] = 0
        numpy.testing.assert_array_equal(a.asnumpy(), host)  # the original is untouched
    c = copy.copy(a)
    _same(a, c)


def test_deepcopy_keeps_shared_references_shared():
    a = np.ones(3)
    box = {"x": a, "y": [a, a]}
    out = copy.deepcopy(box)
    assert out["x"] is out["y"][0] is out["y"][1]  # as for ndarrays (the memo)
    assert out["x"] is not a
    out["x"][0] = 5.0
    assert out["y"][1][0] == 5.0 and a[0] == 1.0


def test_pickle_and_deepcopy_keep_the_gradient_working():
    from minpy_array.autodiff import grad

    w = pickle.loads(pickle.dumps(np.asarray([1.0, 2.0])))
    w2 = copy.deepcopy(w)
    g = grad(lambda v: np.sum(v ** 2))(w2)
    numpy.testing.assert_allclose(g.asnumpy(), [2.0, 4.0])


def test_the_numpy_face_pickles():
    """Its functions, ufuncs and random generators pickle (dask.distributed ships task functions, such as
    da.random's RandomState=np.random.RandomState, to worker processes): functions by reference to the face,
    ufuncs and generators by what they wrap."""
    for f in (np.mean, np.linalg.norm, np.fft.fft, np.random.RandomState, np.random.default_rng, np.asarray):
        assert pickle.loads(pickle.dumps(f)) is f
    x = np.asarray([[1.0, -2.0], [3.0, 0.5]])
    for f in (np.exp, np.add.reduce, np.maximum.accumulate, np.linalg.norm):
        back = pickle.loads(pickle.dumps(f))
        got, want = back(x), f(x)
        assert type(got) is type(want) is (numpy.float64 if f is np.linalg.norm else mp.MinArray)
        numpy.testing.assert_array_equal(numpy.asarray(got), numpy.asarray(want))
    for g in (np.random.RandomState(3), np.random.default_rng(3)):
        back = pickle.loads(pickle.dumps(g))
        a, b = back.uniform(size=4), g.uniform(size=4)  # the same state: the same draws
        assert type(a) is mp.MinArray
        numpy.testing.assert_array_equal(a.asnumpy(), b.asnumpy())
