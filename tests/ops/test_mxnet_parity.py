"""Parity sweep: every entry of the MXNet kernel table, under 'mxnet_only' and 'numpy_only', gives NumPy's values
(to the dtype's tolerance), dtype and shape on hypothesis arrays of every dtype its guard admits; every other
dtype falls back to NumPy (op_stats says so).  Plus the known MXNet 1.9.1 traps as explicit tests."""
import warnings

import hypothesis.extra.numpy as hnp
import numpy
import pytest
from conftest import requires_mxnet
from hypothesis import given
from hypothesis import strategies as st

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array._dispatch import apply
from minpy_array.ops import mxnet_ops
from minpy_array.ops.numpy_ops import KERNELS

pytestmark = requires_mxnet

D = numpy.dtype
F32, F64, I32, I64 = D("float32"), D("float64"), D("int32"), D("int64")
FLOATS = (F32, F64)
EXACT = (F32, F64, I32, I64)
ALL = tuple(D(n) for n in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                           "float16", "float32", "float64", "complex64", "complex128"))
_F32_SAFE = float(numpy.float32(3.3e38))  # NumPy 1.26 upcasts float32 with a Python float from 3.4e38 on
RTOL = {F32: 2e-5, F64: 1e-12, D("float16"): 2e-3}

# op -> (kind, admitted dtypes).  kind says how the arguments are drawn.
SPEC = {}
for _op in mxnet_ops.UNARY_FLOAT:
    SPEC[_op] = ("unary", FLOATS)
for _op in mxnet_ops.BINARY_FLOAT:
    SPEC[_op] = ("binary", FLOATS)
for _op in mxnet_ops.BINARY_EXACT:
    SPEC[_op] = ("binary", EXACT)
SPEC.update({
    "sum": ("reduce", FLOATS), "mean": ("reduce", FLOATS), "max": ("extremum", FLOATS),
    "min": ("extremum", FLOATS), "matmul": ("matmul", FLOATS), "dot": ("matmul", FLOATS),
    "reshape": ("reshape", EXACT), "transpose": ("transpose", EXACT), "where": ("where", FLOATS),
    "argmax": ("argreduce", EXACT), "argmin": ("argreduce", EXACT), "concat": ("concat", EXACT),
    "expand_dims": ("expand_dims", EXACT), "flip": ("flip", EXACT), "astype": ("astype", EXACT),
})
# the host's reshape/transpose/expand_dims/flip are NumPy views (writes go through): MXNet serves them on devices
DEVICE_ONLY = ("reshape", "transpose", "expand_dims", "flip")
# kernels that check their result and hand the call to NumPy where it would differ (non-finite sums, zeros)
DECLINING = ("sum", "mean", "max", "min", "maximum", "minimum")


def _elements(dtype, special=True):
    if dtype.kind == "f":
        w = dtype.itemsize * 8
        if special:
            return st.floats(width=w, allow_nan=True, allow_infinity=True)
        return st.floats(-1e3, 1e3, width=w)
    if dtype.kind == "b":
        return st.booleans()
    return None  # hypothesis' default: the whole range of the dtype


def arrays(dtype, shape, special=True):
    return hnp.arrays(dtype, shape, elements=_elements(dtype, special))


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
NONSCALAR = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)
NONEMPTY = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@st.composite
def calls(draw, op, dtype):
    """(args, kwargs) for op, as NumPy arrays and Python values."""
    kind = SPEC[op][0] if op in SPEC else "unary"
    if kind == "unary":
        return (draw(arrays(dtype, SHAPES)),), {}
    if kind == "binary":
        form = draw(st.sampled_from(["arrays", "scalar", "rscalar", "0-d ndarray"]))
        if form == "arrays":
            s1, s2 = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)).input_shapes
            return (draw(arrays(dtype, s1)), draw(arrays(dtype, s2))), {}
        x = draw(arrays(dtype, NONSCALAR))  # (the guard leaves a 0-d array with a Python scalar to NumPy)
        if dtype.kind == "f":
            floats = st.floats(-_F32_SAFE, _F32_SAFE, width=32) if dtype == F32 else st.floats(allow_infinity=False)
            s = draw(st.one_of(st.integers(-1000, 1000), floats))
        elif dtype.kind == "b":
            s = draw(st.booleans())
        else:
            s = draw(st.integers(-100, 100))
        if form == "0-d ndarray":  # the operators pass NEP 50 scalars as 0-d arrays of the array's dtype
            s = Raw(numpy.asarray(s, dtype=dtype) if dtype.kind == "f" else numpy.asarray(s).astype(dtype))
        return ((x, s) if form != "rscalar" else (s, x)), {}
    if kind in ("reduce", "extremum"):  # (the guards leave empty reductions to NumPy)
        x = draw(arrays(dtype, NONEMPTY, special=draw(st.booleans())))
        kw = {}
        if x.ndim and draw(st.booleans()):
            kw["axis"] = draw(st.one_of(st.integers(-x.ndim, x.ndim - 1),
                                        st.lists(st.integers(0, x.ndim - 1), unique=True).map(tuple)))
        if draw(st.booleans()):
            kw["keepdims"] = draw(st.booleans())
        return (x,), kw
    if kind == "matmul":
        n, k, m = draw(st.integers(0, 5)), draw(st.integers(0, 5)), draw(st.integers(0, 5))
        return (draw(arrays(dtype, (n, k), special=False)), draw(arrays(dtype, (k, m), special=False))), {}
    if kind == "reshape":
        x = draw(arrays(dtype, SHAPES))
        shape = list(x.shape[::-1]) or [1]
        if draw(st.booleans()) and x.size:
            shape = [x.size]
        if shape and draw(st.booleans()) and 0 not in shape:
            shape[draw(st.integers(0, len(shape) - 1))] = -1
        return (x, tuple(shape) if len(shape) != 1 or draw(st.booleans()) else shape[0]), {}
    if kind == "transpose":
        x = draw(arrays(dtype, SHAPES))
        if draw(st.booleans()):
            return (x,), {}
        return (x, tuple(draw(st.permutations(range(x.ndim))))), {}
    if kind == "where":
        s1, s2, s3 = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3)).input_shapes
        return (draw(arrays(D(bool), s1)), draw(arrays(dtype, s2)), draw(arrays(dtype, s3))), {}
    if kind == "argreduce":
        x = draw(arrays(dtype, NONEMPTY))
        if draw(st.booleans()):
            return (x,), {}
        return (x,), {"axis": draw(st.integers(-x.ndim, x.ndim - 1))} if x.ndim else {}
    if kind == "concat":
        x = draw(arrays(dtype, NONSCALAR))
        axis = draw(st.integers(-x.ndim, x.ndim - 1))
        parts = [x]
        for _ in range(draw(st.integers(0, 2))):
            shape = list(x.shape)
            shape[axis] = draw(st.integers(0, 3))
            parts.append(draw(arrays(dtype, tuple(shape))))
        return (parts,), ({"axis": axis} if axis or draw(st.booleans()) else {})
    if kind == "expand_dims":
        x = draw(arrays(dtype, SHAPES))
        return (x, draw(st.integers(-x.ndim - 1, x.ndim))), {}
    if kind == "flip":
        x = draw(arrays(dtype, NONSCALAR))
        axis = draw(st.integers(0, x.ndim - 1))
        return ((x, axis), {}) if draw(st.booleans()) else ((x,), {"axis": axis})
    if kind == "astype":
        return (draw(arrays(dtype, SHAPES)), draw(st.sampled_from(FLOATS))), {}
    raise AssertionError(kind)


class Raw:
    """An ndarray argument passed as it is (not made a MinArray)."""

    def __init__(self, a):
        self.a = a

    def __repr__(self):
        return f"Raw({self.a!r})"


def _wrap(v, device):
    if type(v) is Raw:
        return v.a
    if type(v) is list:
        return [_wrap(e, device) for e in v]
    return mnp.asarray(v).to_device(device) if isinstance(v, numpy.ndarray) else v


def _numpy_result(op, args, kw):
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return KERNELS[op](*(a.a if type(a) is Raw else a for a in args), **kw)


def assert_same(got, want, op, scale=0.0):
    assert isinstance(got, mp.MinArray), (op, type(got))
    want = numpy.asarray(want)
    host = got.asnumpy()
    assert host.dtype == want.dtype, (op, host.dtype, want.dtype)
    assert host.shape == want.shape, (op, host.shape, want.shape)
    if want.dtype.kind in "fc":
        rtol = RTOL.get(want.dtype, 1e-6)
        numpy.testing.assert_allclose(host, want, rtol=rtol, atol=rtol * max(10, scale), equal_nan=True, err_msg=op)
        # the sign of a zero result is observable (1/x, copysign, signbit); sums of products are exempt: their
        # zero's sign depends on the accumulation order, which differs between BLAS builds for NumPy itself
        if want.dtype.kind == "f" and op not in ("sum", "mean", "matmul", "dot"):
            zeros = (want == 0) & (host == 0)
            numpy.testing.assert_array_equal(numpy.signbit(host[zeros]), numpy.signbit(want[zeros]), err_msg=op)
    else:
        numpy.testing.assert_array_equal(host, want, err_msg=op)


def _run(op, args, kw, policy, device="cpu"):
    margs = [_wrap(a, device) for a in args]
    mp.reset_op_stats()
    with mp.policy(policy), warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        got = apply(op, *margs, **kw)
    return got, mp.op_stats()[op]


def test_every_table_entry_has_a_parity_spec():
    assert set(mxnet_ops.kernels()) <= set(SPEC)


@pytest.mark.parametrize("op", sorted(SPEC))
@given(data=st.data())
def test_parity_inside_guard(op, data):
    dtype = data.draw(st.sampled_from(SPEC[op][1]), label="dtype")
    args, kw = data.draw(calls(op, dtype), label="call")
    want = _numpy_result(op, args, kw)
    scale = _reduction_scale(op, args)
    device = "sim:0" if op in DEVICE_ONLY else data.draw(st.sampled_from(["cpu", "sim:0"]))
    got, stats = _run(op, args, kw, "mxnet_only", device)
    if op in DECLINING:
        assert stats["mxnet"] + stats["fallback"] == 1, stats  # the kernel may decline after running
    else:
        assert stats["mxnet"] == 1 and stats["fallback"] == 0, stats
    assert_same(got, want, op, scale)
    assert got.device == mp.Device(device)
    got, stats = _run(op, args, kw, "numpy_only", device)
    assert stats["mxnet"] == 0
    assert_same(got, want, op, scale)


def _reduction_scale(op, args):
    """Absolute error allowed for sums and products of many terms: eps * sum(|terms|)."""
    if op in ("sum", "mean", "matmul", "dot"):
        a = numpy.abs(args[0].astype("float64"))
        if op in ("matmul", "dot"):
            return float((a @ numpy.abs(args[1].astype("float64"))).max(initial=0))
        return float(numpy.nan_to_num(a, posinf=0).sum())
    return 0.0


@pytest.mark.parametrize("op", sorted(SPEC))
@given(data=st.data())
def test_dtypes_outside_guard_fall_back(op, data):
    outside = [d for d in ALL if d not in SPEC[op][1]]
    if SPEC[op][0] == "where":
        outside = [d for d in outside if d.kind != "b"]
    dtype = data.draw(st.sampled_from(outside), label="dtype")
    args, kw = data.draw(calls(op, dtype), label="call")
    try:
        want = _numpy_result(op, args, kw)
    except Exception as e:  # NumPy rejects it (e.g. bool subtract): we must raise the same type
        with pytest.raises(type(e)):
            _run(op, args, kw, "prefer_mxnet", "sim:0" if op in DEVICE_ONLY else "cpu")
        return
    device = "sim:0" if op in DEVICE_ONLY else "cpu"
    got, stats = _run(op, args, kw, "prefer_mxnet", device)
    assert stats["mxnet"] == 0 and stats["fallback"] == 1, stats
    assert_same(got, want, op)
    with pytest.raises(mp.NoKernelError, match=op):
        _run(op, args, kw, "mxnet_only", device)


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
