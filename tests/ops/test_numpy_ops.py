"""numpy_ops' own kernels where they are not NumPy's functions themselves: the same results, dtypes, types and
errors as the NumPy function they stand for."""
import itertools

import numpy
import pytest

from minpy_array.ops import numpy_ops

DTYPES = ["bool", "int8", "uint16", "int64", "float16", "float32", "float64", "complex64"]
SHAPES = [(), (0,), (5,), (3, 4), (2, 0, 3), (2, 3, 4)]


def _outcome(f, *args, **kw):
    try:
        r = f(*args, **kw)
    except Exception as e:  # the error is the outcome compared
        return "raises", type(e), str(e)
    return "returns", type(r), numpy.asarray(r).dtype, numpy.asarray(r).shape, numpy.asarray(r).tolist()


def _calls(name, shape, dtype):
    """(args, kw) of calls of numpy.<name> on an array of shape and dtype: every axis form, keepdims, initial,
    where, out, positional and keyword."""
    rng = numpy.random.default_rng(sum(shape) + len(dtype))
    a = (rng.standard_normal(shape) * 3).astype(dtype)
    axes = [None] + list(range(-len(shape), len(shape))) + [tuple(range(len(shape))), len(shape), (0, 0)]
    typed = name in ("sum", "prod")
    for axis, keepdims in itertools.product(axes, (False, True)):
        yield (a,), {"axis": axis, "keepdims": keepdims}
        yield ((a, axis, None, None, keepdims) if typed else (a, axis, None, keepdims)), {}
    yield (a,), {}
    yield (a,), {"initial": 1}
    yield (a,), {"where": a.astype(bool), "initial": 0}
    yield (a,), {"where": a.astype(bool)}
    if typed:
        yield (a,), {"dtype": "float64"}
        yield (a, 0, "int32"), {}
    if a.ndim:
        out = numpy.empty(a.shape[1:], a.dtype if not typed or a.dtype.kind in "fc" else numpy.int64)
        yield (a,), {"axis": 0, "out": out}


@pytest.mark.parametrize("name", sorted(numpy_ops.REDUCTIONS))
def test_a_reduction_kernel_is_numpys_function(name):
    mine, theirs = numpy_ops.KERNELS[name], getattr(numpy, name)
    assert mine is not theirs  # (the sweep would pass trivially otherwise)
    n = 0
    for shape, dtype in itertools.product(SHAPES, DTYPES):
        for args, kw in _calls(name, shape, dtype):
            with numpy.errstate(all="ignore"):
                assert _outcome(mine, *args, **kw) == _outcome(theirs, *args, **kw), (name, shape, dtype, args[1:], kw)
            n += 1
    assert n > 500


@pytest.mark.parametrize("name", sorted(numpy_ops.REDUCTIONS))
@pytest.mark.parametrize("value", [[[1, 2], [3, 4]], 2.5, numpy.float32(2.5), numpy.ma.masked_array([1.0, 2.0, 3.0],
                                                                                                    [0, 1, 0])])
def test_a_reduction_kernel_hands_anything_but_an_ndarray_to_numpy(name, value):
    mine, theirs = numpy_ops.KERNELS[name], getattr(numpy, name)
    assert _outcome(mine, value) == _outcome(theirs, value)
    assert _outcome(mine, value, axis=0) == _outcome(theirs, value, axis=0)
    assert _outcome(mine, value, keepdims=numpy._NoValue) == _outcome(theirs, value, keepdims=numpy._NoValue)
    assert type(mine(value)) is type(theirs(value))


def test_numpys_reduction_functions_still_name_their_ops():
    """(OP_OF is read off KERNELS, which no longer holds these functions: numpy.sum(x) through __array_function__
    and the face's sum had run NumPy's function under the name's fallback, not the kernel)"""
    for name in numpy_ops.REDUCTIONS:
        assert numpy_ops.OP_OF[getattr(numpy, name)] == name


def _layouts(shape, dtype):
    """Arrays of shape and dtype in every layout: C, Fortran, reversed, stepped, read-only, 0-d."""
    base = numpy.arange(int(numpy.prod(shape)) * 2).astype(dtype)
    c = base[: base.size // 2].reshape(shape)
    yield c
    yield numpy.asfortranarray(c)
    yield c[::-1] if c.ndim else c
    yield base.reshape((2, *shape))[1] if shape else c
    yield base[::2].reshape(shape)
    ro = c.copy()
    ro.flags.writeable = False
    yield ro


def _view_outcome(f, x, shape, **kw):
    try:
        r = f(x, shape, **kw)
    except Exception as e:  # the error is the outcome compared
        return "raises", type(e), str(e)
    return ("returns", type(r), r.dtype, r.shape, r.strides, r.flags.writeable, r.flags.c_contiguous,
            numpy.shares_memory(r, x), r.tolist())


def test_broadcast_to_is_numpys():
    mine = numpy_ops.KERNELS["broadcast_to"]
    assert mine is not numpy.broadcast_to and numpy_ops.OP_OF[numpy.broadcast_to] == "broadcast_to"
    shapes = [(), (1,), (3,), (2, 1), (1, 3), (2, 3), (0,), (2, 0, 1)]
    n = 0
    for shape, dtype in itertools.product(shapes, ["bool", "int16", "float32", "complex128", "object", "V4"]):
        for x in _layouts(shape, dtype if dtype != "V4" else "int32"):
            x = x.view("V4") if dtype == "V4" else x
            targets = [shape, (4, *shape), (2, 3, *shape), tuple(3 if d == 1 else d for d in shape), (5,), (0, *shape),
                       (*shape, 2), tuple(-1 for _ in shape), list(shape), len(shape) and (2.0, *shape[1:])]
            for target in targets:
                assert _view_outcome(mine, x, target) == _view_outcome(numpy.broadcast_to, x, target), (x, target)
                n += 1
    assert n > 1500
    m = numpy.ma.masked_array([1.0, 2.0], [0, 1])
    for subok in (False, True):
        a, b = mine(m, (3, 2), subok=subok), numpy.broadcast_to(m, (3, 2), subok=subok)
        assert type(a) is type(b) and a.tolist() == b.tolist()
