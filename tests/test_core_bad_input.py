"""Bad input: non-array objects, mixed devices, unsupported dtypes, shape mismatches.  Each raises the exception
type NumPy raises (with the op's name where we raise), and no MinArray is left corrupted."""
import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as mnp


def _intact(x, want):
    assert isinstance(x, mp.MinArray)
    numpy.testing.assert_array_equal(x.asnumpy(), want)
    assert x.dtype == want.dtype and x.shape == want.shape
    numpy.testing.assert_array_equal((x + 0).asnumpy(), want + 0)


def _numpy_error(fn):
    """The exception type NumPy raises: its nearest builtin class (NumPy's private subclasses such as
    UFuncTypeError are implementation details; the spec names TypeError, ValueError, IndexError)."""
    with pytest.raises(Exception) as e:
        fn()
    return next(c for c in type(e.value).__mro__ if c.__module__ == "builtins")


class Thing:
    pass


BAD_CALLS = [
    ("add object", lambda m, a: m.add(a, Thing())),
    ("operator object", lambda m, a: a + Thing()),
    ("reflected object", lambda m, a: Thing() - a),
    ("compare object", lambda m, a: a < Thing()),
    ("matmul string", lambda m, a: a @ "x"),
    ("exp string", lambda m, a: m.exp("abc")),
    ("shape mismatch", lambda m, a: a + m.ones((4, 5))),
    ("matmul mismatch", lambda m, a: m.matmul(a, m.ones((4, 2)))),
    ("dot mismatch", lambda m, a: a.dot(m.ones(5))),
    ("concat mismatch", lambda m, a: m.concatenate([a, m.ones((2, 2))])),
    ("reshape size", lambda m, a: a.reshape(5, 5)),
    ("axis out of range", lambda m, a: a.sum(axis=3)),
    ("index out of range", lambda m, a: a[10]),
    ("too many indices", lambda m, a: a[0, 0, 0]),
    ("float index", lambda m, a: a[1.5]),
    ("bad bool mask", lambda m, a: a[m.asarray(numpy.array([True, False, True]))]),
    ("setitem shape", lambda m, a: a.__setitem__(slice(None), m.ones(7))),
    ("setitem object", lambda m, a: a.__setitem__(0, Thing())),
    ("setitem index", lambda m, a: a.__setitem__(9, 1.0)),
    ("inplace shape", lambda m, a: a.__iadd__(m.ones((3, 3)))),
    ("inplace cast", lambda m, a: m.add(a, 0.5, out=m.asarray(numpy.zeros((2, 3), dtype="int64")))),
    ("bitwise float", lambda m, a: a & a),
    ("shift float", lambda m, a: a << 1),
    ("negative int power", lambda m, a: m.asarray(numpy.array([2])) ** -1),
    ("linalg singular", lambda m, a: m.linalg.inv(m.zeros((2, 2)))),
    ("linalg non-square", lambda m, a: m.linalg.inv(a)),
    ("unknown keyword", lambda m, a: m.sum(a, bogus=1)),
    ("bad dtype name", lambda m, a: a.astype("float7")),
    ("object dtype", lambda m, a: m.exp(m.asarray(numpy.array([Thing()], dtype=object)))),
    ("bool of array", lambda m, a: bool(a)),
    ("int of array", lambda m, a: int(a)),
    ("len of 0-d", lambda m, a: len(a[0, 0])),
]


@pytest.mark.parametrize(("name", "call"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_input_raises_like_numpy(name, call, each_policy):
    base = numpy.arange(6.0).reshape(2, 3)
    want = _numpy_error(lambda: call(numpy, base.copy()))
    a = mnp.asarray(base.copy())
    with pytest.raises(want):
        call(mnp, a)
    _intact(a, base)


@requires_mxnet
@pytest.mark.parametrize(("name", "call"), BAD_CALLS, ids=[c[0] for c in BAD_CALLS])
def test_bad_input_on_a_device(name, call):
    base = numpy.arange(6.0).reshape(2, 3)
    want = _numpy_error(lambda: call(numpy, base.copy()))
    a = mnp.asarray(base.copy()).to_device("sim:0")

    def on_device(m, x):
        with mp.device("sim:0"):
            return call(m, x)

    with pytest.raises(want):
        on_device(mnp, a)
    assert a.device == mp.Device("sim:0")
    _intact(a, base)


@requires_mxnet
def test_mixed_devices():
    a = mnp.asarray(numpy.arange(3.0))
    b = mnp.asarray(numpy.arange(3.0)).to_device("sim:0")
    for fn, op in ((lambda: a + b, "add"), (lambda: mnp.stack([a, b]), "stack"), (lambda: mnp.where(a > 0, a, b),
                                                                                 "where"),
                   (lambda: a.__setitem__(0, b[0]), "setitem"), (lambda: numpy.add(a, b, out=a), "add")):
        with pytest.raises(ValueError, match=op):
            fn()
    _intact(a, numpy.arange(3.0))
    _intact(b, numpy.arange(3.0))


@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint64", "complex64", "float16"])
def test_dtypes_mxnet_lacks(dtype, each_policy):
    a = numpy.arange(1, 5).astype(dtype)
    x = mnp.asarray(a.copy())
    for got, want in ((x * 2, a * 2), (mnp.sqrt(x), numpy.sqrt(a)), (x.sum(), a.sum()), (x[::-1], a[::-1])):
        assert got.dtype == want.dtype and isinstance(got, numpy.generic) == isinstance(want, numpy.generic)
        numpy.testing.assert_allclose(numpy.asarray(got), want)
    _intact(x, a)


def test_unsupported_dtype_for_an_op():
    c = numpy.array([1 + 1j, 2 - 1j])
    x = mnp.asarray(c.copy())
    for fn in (lambda m, v: m.floor(v), lambda m, v: v // v, lambda m, v: m.remainder(v, 2), lambda m, v: v & v):
        want = _numpy_error(lambda fn=fn: fn(numpy, c))
        with pytest.raises(want):
            fn(mnp, x)
    _intact(x, c)


@requires_mxnet
def test_mxnet_only_error_does_not_corrupt():
    a = numpy.arange(4)
    x = mnp.asarray(a.copy())
    with mp.policy("mxnet_only"):
        with pytest.raises(mp.NoKernelError, match="sin"):
            mnp.sin(x)
        with pytest.raises(TypeError):  # NumPy's casting error comes first
            x += 1.5
    _intact(x, a)


def test_non_array_objects_in_the_namespace():
    with pytest.raises(TypeError):
        mnp.asarray(numpy.array([Thing()], dtype=object)) + 1
    with pytest.raises(TypeError, match="MinArray"):
        mp.MinArray()
