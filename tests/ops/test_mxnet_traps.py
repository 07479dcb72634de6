"""The known MXNet 1.9.1 traps, one by one: each gives NumPy's answer (the sweep over every table entry is
tests/ops/test_parity.py)."""
import numpy
import pytest
from conftest import requires_mxnet
from parity import same

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array._dispatch import apply
from minpy_array.ops import mxnet_ops

pytestmark = requires_mxnet

D = numpy.dtype
F32, F64 = D("float32"), D("float64")


def assert_same(got, want, op):
    assert same(got, want, op) is None, (op, got, want)


# ---------------------------------------------------------------- the known traps, one by one
def _mx(op, *args, **kw):
    with mp.policy("prefer_mxnet"):
        return apply(op, *args, **kw)


@pytest.mark.parametrize("op", ["sin", "exp", "sqrt", "log", "tanh"])
@pytest.mark.parametrize("dtype", ["int8", "int32", "int64", "uint8", "bool"])
def test_int_input_to_float_functions(op, dtype):
    x = numpy.arange(0, 7).astype(dtype)
    got = _mx(op, mnp.asarray(x))
    want = getattr(numpy, op)(x)
    assert_same(got, want, op)
    assert got.dtype.kind == "f"
    assert mp.op_stats()[op]["mxnet"] == 0


@pytest.mark.parametrize("dtype", ["int32", "int64"])
def test_int_times_float(dtype):
    x = mnp.asarray(numpy.arange(5, dtype=dtype))
    with mp.policy("prefer_mxnet"):
        r = x * 1.5
        r2 = 2.5 * x
    numpy.testing.assert_array_equal(r.asnumpy(), numpy.arange(5) * 1.5)
    numpy.testing.assert_array_equal(r2.asnumpy(), numpy.arange(5) * 2.5)
    assert r.dtype == F64 and r2.dtype == F64
    y = mnp.asarray(numpy.ones(5))
    with mp.policy("prefer_mxnet"):
        r3 = x * y
    assert r3.dtype == F64
    numpy.testing.assert_array_equal(r3.asnumpy(), numpy.arange(5) * 1.0)


def test_float32_defaults_are_numpy_defaults():
    with mp.policy("prefer_mxnet"):
        assert mnp.ones(3).dtype == F64
        assert mnp.zeros((2, 2)).dtype == F64
        assert mnp.arange(3).dtype == D(numpy.int_)
        assert mnp.array([1, 2]).dtype == D(numpy.int_)
        assert mnp.array([1.0, 2]).dtype == F64
        assert mnp.linspace(0, 1, 3).dtype == F64
        x = mnp.asarray(numpy.ones(3, dtype="float32"))
        assert (x + 1.0).dtype == F32
        assert (x * x).dtype == F32
        assert mnp.exp(x).dtype == F32
        assert x.sum().dtype == F32


def test_float32_stays_float32_under_mxnet():
    x = mnp.asarray(numpy.linspace(0, 1, 6, dtype="float32"))
    r = _mx("exp", x)
    assert r.dtype == F32 and mp.op_stats()["exp"]["mxnet"] == 1


@pytest.mark.parametrize("op", ["add", "multiply", "equal", "less", "maximum"])
def test_bool_kernels(op):
    a = numpy.array([True, False, True, False])
    b = numpy.array([True, True, False, False])
    got = _mx(op, mnp.asarray(a), mnp.asarray(b))
    assert_same(got, getattr(numpy, op)(a, b), op)
    assert mp.op_stats()[op]["mxnet"] == 0


def test_bool_where_condition_uses_mxnet():
    c = numpy.array([True, False, True])
    x, y = numpy.arange(3.0), -numpy.arange(3.0)
    got = _mx("where", mnp.asarray(c), mnp.asarray(x), mnp.asarray(y))
    assert_same(got, numpy.where(c, x, y), "where")
    assert mp.op_stats()["where"]["mxnet"] == 1


def test_comparisons_give_bool():
    x = mnp.asarray(numpy.arange(4.0))
    got = _mx("less", x, 2)
    assert got.dtype == D(bool)
    numpy.testing.assert_array_equal(got.asnumpy(), numpy.arange(4.0) < 2)


def _admitted(op, *args, **kw):
    """Does the MXNet guard admit this call (so the error below really comes from MXNet first)?"""
    dts = [a.dtype for a in args if isinstance(a, mp.MinArray)]
    dts += [a.dtype for v in args if type(v) is list for a in v]
    return mxnet_ops.kernels()[op][1](dts, args, kw)


def test_asynchronous_error_surfaces_at_its_call():
    """A concat MXNet rejects raises NumPy's ValueError at that call, not later; later calls work."""
    a, b = mnp.asarray(numpy.ones((2, 3))), mnp.asarray(numpy.ones((2, 4)))
    assert _admitted("concat", [a, b], axis=0)
    with mp.policy("prefer_mxnet"):
        with pytest.raises(ValueError):
            apply("concat", [a, b], axis=0)
        r = apply("add", a, a)
        numpy.testing.assert_array_equal(r.asnumpy(), numpy.full((2, 3), 2.0))
        r = apply("concat", [a, b], axis=1)
    assert r.shape == (2, 7) and mp.op_stats()["concat"]["mxnet"] == 1
    numpy.testing.assert_array_equal(a.asnumpy(), numpy.ones((2, 3)))


def test_asynchronous_error_on_a_device():
    x = mnp.asarray(numpy.arange(6.0)).to_device("sim:0")
    assert _admitted("reshape", x, (4, 2))
    with pytest.raises(ValueError):
        x.reshape(4, 2)
    r = x.reshape(2, 3)
    assert r.shape == (2, 3) and r.device == mp.Device("sim:0")
    numpy.testing.assert_array_equal(x.asnumpy(), numpy.arange(6.0))


def test_mxnet_error_on_sim_device_surfaces_as_numpy_error():
    x = mnp.asarray(numpy.arange(6.0)).to_device("sim:0")
    with pytest.raises(ValueError):
        x.reshape(4, 2)
    y = x + x
    assert y.device == mp.Device("sim:0")
    numpy.testing.assert_array_equal(y.asnumpy(), numpy.arange(6.0) * 2)


def test_borrowed_convolution_leaves_its_weight_as_it_was():
    """MXNet's oneDNN convolution, outside training, reorders its weight array in place into oneDNN's blocked layout;
    borrowed on the cpu, that array is the caller's NumPy buffer (found through the demo's convnet: its first
    evaluation under `auto` scored at chance, and every later call read the scrambled weight).  The borrowed
    kernel reads a copy: the weight keeps its values and the result is NumPy's."""
    rng = numpy.random.default_rng(0)
    x = rng.standard_normal((20, 1, 8, 8)).astype("float32")
    w = rng.standard_normal((32, 1, 3, 3)).astype("float32")
    b = rng.standard_normal(32).astype("float32")
    kept = w.copy()
    kernel = mxnet_ops.host_kernels()["conv2d"][0]
    for _ in range(3):
        got = kernel(x, w, b, 1, 1)
    assert numpy.array_equal(w, kept)
    with mp.policy("numpy_only"):
        want = apply("conv2d", mnp.asarray(x), mnp.asarray(kept), mnp.asarray(b), 1, 1).asnumpy()
    numpy.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)
