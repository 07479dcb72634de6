"""NumPy's override protocols on MinArrays: a table of NumPy calls (functions, every ufunc method, out=, lists of
arrays, namedtuple results, indexing and setitem) run on ndarrays and on MinArrays under each policy: equal
results, every array in the result a MinArray, and a NumPy scalar where NumPy gives one (modelled on dask's
test_array_function.py)."""
import operator

import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as mnp


def _inputs(make):
    rng = numpy.random.default_rng(0)
    return {
        "x": make(rng.uniform(0.1, 0.9, (3, 4))),
        "y": make(rng.uniform(0.1, 0.9, (3, 4))),
        "n": make(rng.normal(size=(3, 4))),
        "v": make(rng.uniform(0.1, 0.9, 4)),
        "w": make(numpy.array([3.0, 1.0, 2.0, 1.0])),
        "s": make(rng.normal(size=(3, 3)) + 3 * numpy.eye(3)),
        "p": make(numpy.array([[4.0, 1.0, 0.5], [1.0, 3.0, 0.2], [0.5, 0.2, 2.0]])),
        "i": make(numpy.arange(12).reshape(3, 4)),
        "k": make(numpy.array([3, 1, 2, 3, 1, 0])),
        "b": make(numpy.array([[True, False, True, False]] * 3)),
        "c": make(numpy.array([1 + 2j, 3 - 1j, -2j])),
        "z": make(numpy.array(2.5)),
        "e": make(numpy.zeros((0, 4))),
    }


CALLS = [
    # ufuncs (__call__), unary and binary, with scalars and broadcasting
    "numpy.exp(x)", "numpy.log(x)", "numpy.sin(n)", "numpy.sqrt(x)", "numpy.tanh(n)", "numpy.arcsin(x)",
    "numpy.abs(n)", "numpy.negative(n)", "numpy.sign(n)", "numpy.floor(n)", "numpy.rint(n)", "numpy.square(i)",
    "numpy.isnan(x)", "numpy.isfinite(n)", "numpy.signbit(n)", "numpy.logical_not(b)", "numpy.invert(i)",
    "numpy.add(x, y)", "numpy.add(x, 1)", "numpy.add(2.5, x)", "numpy.subtract(x, v)", "numpy.multiply(i, 3)",
    "numpy.divide(x, y)", "numpy.true_divide(i, 4)", "numpy.floor_divide(i, 5)", "numpy.remainder(i, 5)",
    "numpy.power(x, 2)", "numpy.maximum(x, y)", "numpy.fmin(x, v)", "numpy.logaddexp(x, y)",
    "numpy.arctan2(n, x)", "numpy.hypot(x, y)", "numpy.less(x, y)", "numpy.equal(i, 4)", "numpy.bitwise_and(i, 6)",
    "numpy.left_shift(i, 2)", "numpy.logical_and(b, True)", "numpy.copysign(x, n)", "numpy.add(i, x)",
    "numpy.multiply(b, i)", "numpy.divmod(i, 5)", "numpy.modf(n)", "numpy.frexp(x)", "numpy.ldexp(x, 2)",
    "numpy.exp(c)", "numpy.conjugate(c)", "numpy.matmul(x, v)", "numpy.matmul(s, s)", "numpy.isclose(x, y)",
    # ufunc methods
    "numpy.add.reduce(x)", "numpy.add.reduce(x, axis=1)", "numpy.multiply.reduce(i, axis=None)",
    "numpy.maximum.reduce(n, axis=0, keepdims=True)", "numpy.add.accumulate(x, axis=1)",
    "numpy.multiply.accumulate(v)", "numpy.add.outer(v, v)", "numpy.subtract.outer(w, k)",
    "numpy.add.reduceat(x, [0, 2], axis=1)", "numpy.maximum.reduceat(w, [0, 1, 3])",
    "at(numpy.add, x, [0, 0, 2], 1.0)", "at(numpy.multiply, i, ([0, 1], [1, 1]), 3)",
    "at(numpy.negative, n, [0, 1], None)", "numpy.logical_or.reduce(b, axis=1)",
    # out= into arrays
    "numpy.add(x, y, out=x.copy())", "numpy.exp(x, out=y.copy())", "numpy.multiply(x, 2.0, out=x.copy())",
    "numpy.sum(x, axis=0, out=v.copy())", "numpy.add.reduce(x, axis=1, out=x[:, 0].copy())",
    "numpy.divmod(i, 3, out=(i.copy(), i.copy()))", "numpy.clip(n, -0.5, 0.5, out=n.copy())",
    "numpy.matmul(x, v, out=x[:, 0].copy())", "numpy.add.accumulate(x, out=x.copy())",
    # reductions and statistics
    "numpy.sum(x)", "numpy.sum(i, axis=1)", "numpy.mean(x, axis=0)", "numpy.std(n)", "numpy.var(n, ddof=1)",
    "numpy.max(n, axis=1)", "numpy.amin(x)", "numpy.argmax(n)", "numpy.argmin(n, axis=0)", "numpy.prod(x)",
    "numpy.cumsum(i)", "numpy.cumprod(x, axis=1)", "numpy.any(b)", "numpy.all(b, axis=0)", "numpy.median(n)",
    "numpy.percentile(n, 30)", "numpy.quantile(x, [0.2, 0.8])", "numpy.average(x, weights=y)",
    "numpy.ptp(n, axis=0)", "numpy.count_nonzero(b)", "numpy.nansum(x)", "numpy.nanmax(n)", "numpy.cov(x)",
    "numpy.corrcoef(x, y)", "numpy.histogram(v, bins=3)", "numpy.bincount(k)", "numpy.sum(e, axis=0)",
    "numpy.trace(s)", "numpy.diff(x, axis=1)", "numpy.gradient(v)", "numpy.allclose(x, y)",
    "numpy.array_equal(x, x)", "numpy.linalg.norm(x)",
    # shape, joining and manipulation (lists of arrays too)
    "numpy.reshape(x, (4, 3))", "numpy.transpose(x)", "numpy.ravel(x)", "numpy.squeeze(z)",
    "numpy.expand_dims(v, 0)", "numpy.swapaxes(x, 0, 1)", "numpy.moveaxis(x, 0, -1)", "numpy.flip(x, axis=1)",
    "numpy.roll(v, 1)", "numpy.rot90(x)", "numpy.tile(v, 2)", "numpy.repeat(v, 2)", "numpy.pad(v, 1)",
    "numpy.concatenate([x, y])", "numpy.concatenate((x, y), axis=1)", "numpy.stack([v, w])",
    "numpy.vstack([x, y])", "numpy.hstack([v, w])", "numpy.column_stack([v, w])", "numpy.block([[s, s]])",
    "numpy.split(x, 2, axis=1)", "numpy.array_split(v, 3)", "numpy.broadcast_to(v, (2, 4))",
    "numpy.broadcast_arrays(x, v)", "numpy.atleast_2d(v)", "numpy.meshgrid(v, w)", "numpy.tril(s)",
    "numpy.triu(s, 1)", "numpy.diag(s)", "numpy.diagonal(x)", "numpy.outer(v, w)", "numpy.kron(v, w)",
    "numpy.append(v, w)", "numpy.insert(v, 1, 9.0)", "numpy.delete(v, 0)", "numpy.resize(v, 6)",
    # searching, sorting, sets
    "numpy.where(b, x, y)", "numpy.where(b)", "numpy.nonzero(i)", "numpy.argwhere(b)", "numpy.sort(n)",
    "numpy.argsort(n, axis=0)", "numpy.searchsorted(numpy.sort(w), v)", "numpy.unique(k)",
    "numpy.unique(k, return_counts=True)", "numpy.unique(k, return_index=True, return_inverse=True)",
    "numpy.isin(k, [1, 3])", "numpy.intersect1d(k, w)", "numpy.union1d(k, w)", "numpy.setdiff1d(k, w)",
    "numpy.partition(w, 1)", "numpy.take(v, [0, 2])", "numpy.take_along_axis(n, numpy.argsort(n, axis=1), 1)",
    "numpy.choose([0, 1, 0, 1], [v, w])", "numpy.compress([True, False, True], x, axis=0)",
    "numpy.extract(b, x)", "numpy.select([b], [x], default=y)", "numpy.piecewise(v, [v < 0.5], [0, 1])",
    "numpy.clip(n, -0.5, 0.5)", "numpy.round(n, 2)", "numpy.nan_to_num(x)", "numpy.interp(v, w, v)",
    # linear algebra (namedtuple results too), fft, dot products
    "numpy.dot(x, v)", "numpy.dot(s, s)", "numpy.vdot(v, w)", "numpy.inner(v, w)", "numpy.tensordot(x, y, 2)",
    "numpy.einsum('ij,ij->i', x, y)", "numpy.cross(x[:, :3], y[:, :3])", "numpy.linalg.inv(s)",
    "numpy.linalg.det(s)", "numpy.linalg.solve(s, v[:3])", "numpy.linalg.svd(s)", "numpy.linalg.qr(s)",
    "numpy.linalg.eigh(p)", "numpy.linalg.slogdet(s)", "numpy.linalg.cholesky(p)", "numpy.linalg.eigvalsh(p)",
    "numpy.linalg.pinv(x)", "numpy.linalg.matrix_rank(x)", "numpy.linalg.lstsq(s, v[:3], rcond=None)",
    "numpy.linalg.matrix_power(s, 3)", "numpy.fft.fft(v)", "numpy.fft.rfft(v)", "numpy.fft.ifft2(x)",
    # creation from arrays, dtype queries, conversion
    "numpy.zeros_like(x)", "numpy.ones_like(i)", "numpy.full_like(x, 7)", "numpy.empty_like(x).shape",
    "numpy.copy(x)", "numpy.asarray(v, like=x)", "numpy.shape(x)", "numpy.ndim(x)", "numpy.size(x)",
    "numpy.result_type(x, i)", "numpy.real(c)", "numpy.imag(c)", "numpy.angle(c)", "numpy.iscomplexobj(c)",
    "numpy.can_cast(x, numpy.int64)",
    # indexing: basic, advanced, boolean, ellipsis, newaxis
    "x[1]", "x[1, 2]", "x[1:, ::2]", "x[::-1]", "x[..., 1]", "x[None, :, 1]", "x[:, numpy.newaxis]",
    "x[[0, 2]]", "x[[0, 2], [1, 3]]", "x[numpy.array([2, 0])]", "x[b]", "x[x > 0.5]", "x[..., None, 0]",
    "x[1, ..., None]", "i[k[1:3]]", "x[(0, 1), :]", "x[-1, -1]", "x[numpy.array([True, False, True])]",
    # setitem: the same patterns
    "setitem(x, 1, 0.0)", "setitem(x, (slice(None), 2), v[:3])", "setitem(x, Ellipsis, 1.5)",
    "setitem(x, [0, 2], v)", "setitem(x, ([0, 1], [2, 3]), 9.0)", "setitem(x, b, 0.0)",
    "setitem(x, x > 0.5, y[x > 0.5])", "setitem(i, (Ellipsis, 0), 7)", "setitem(x, (None, 0), v)",
    "setitem(x, slice(None, None, -1), y)", "setitem(i, i > 5, -1)",
]


def at(ufunc, a, index, value):
    a = a.copy()
    ufunc.at(a, index, *(() if value is None else (value,)))
    return a


def setitem(a, key, value):
    a = a.copy()
    a[key] = value
    return a


def _run(call, make):
    env = dict(_inputs(make), numpy=numpy, at=at, setitem=setitem)
    return eval(call, env)


def assert_like(got, want, call):
    """got (from NumPy-face MinArrays) matches want (from ndarrays): arrays are MinArrays with NumPy's values and
    dtype, NumPy scalars are NumPy scalars of the same type."""
    if isinstance(want, (numpy.ndarray, numpy.generic)):
        if isinstance(want, numpy.generic):
            assert type(got) is type(want), (call, type(got), type(want))
            host = numpy.asarray(got)
        else:
            assert isinstance(got, mp.MinArray), (call, type(got))
            host = got.asnumpy()
        assert host.dtype == want.dtype, (call, host.dtype, want.dtype)
        assert host.shape == numpy.shape(want), (call, host.shape, numpy.shape(want))
        if want.dtype.kind in "fc":
            numpy.testing.assert_allclose(host, want, rtol=1e-6, atol=1e-12, equal_nan=True, err_msg=call)
        else:
            numpy.testing.assert_array_equal(host, want, err_msg=call)
    elif isinstance(want, (tuple, list)):
        assert type(got) is type(want), (call, type(got), type(want))
        assert len(got) == len(want), call
        for g, w in zip(got, want, strict=True):
            assert_like(g, w, call)
    else:
        assert type(got) is type(want) and got == want, (call, got, want)


def test_at_least_150_calls():
    assert len(CALLS) >= 150
    assert len(set(CALLS)) == len(CALLS)


@pytest.mark.parametrize("call", CALLS)
def test_numpy_call_on_minarrays(call, each_policy):
    want = _run(call, numpy.asarray)
    got = _run(call, mnp.asarray)
    assert_like(got, want, call)


# ---------------------------------------------------------------- out=, in place, identity
def test_out_is_the_given_minarray_and_is_written(each_policy):
    x, y = mnp.asarray([1.0, 2.0]), mnp.asarray([3.0, 4.0])
    out = mnp.zeros(2)
    r = numpy.add(x, y, out=out)
    assert r is out
    numpy.testing.assert_array_equal(out.asnumpy(), [4.0, 6.0])
    r = numpy.exp(x, out=(out,))
    assert r is out
    q, rem = mnp.zeros(2), mnp.zeros(2)
    r = numpy.divmod(y, x, out=(q, rem))
    assert r[0] is q and r[1] is rem
    numpy.testing.assert_array_equal(q.asnumpy(), [3.0, 2.0])


def test_out_into_minarray_with_ndarray_inputs():
    out = mnp.zeros(3)
    r = numpy.add(numpy.ones(3), numpy.arange(3.0), out=out)
    assert r is out
    numpy.testing.assert_array_equal(out.asnumpy(), [1.0, 2.0, 3.0])


@requires_mxnet
def test_out_into_device_array():
    x = mnp.asarray([1.0, 2.0]).to_device("sim:0")
    out = mnp.zeros(2).to_device("sim:0")
    r = numpy.multiply(x, 3.0, out=out)
    assert r is out and out.device == mp.Device("sim:0")
    numpy.testing.assert_array_equal(out.asnumpy(), [3.0, 6.0])


def test_out_cast_error_matches_numpy():
    i = mnp.asarray([1, 2])
    with pytest.raises(numpy.core._exceptions._UFuncOutputCastingError if hasattr(numpy, "core") and hasattr(
            numpy.core, "_exceptions") else TypeError):
        numpy.add(i, 0.5, out=i)
    numpy.testing.assert_array_equal(i.asnumpy(), [1, 2])


def test_in_place_numpy_functions_write_into_minarrays(each_policy):
    a = mnp.zeros(4)
    numpy.copyto(a, numpy.arange(4.0))
    numpy.testing.assert_array_equal(a.asnumpy(), numpy.arange(4.0))
    numpy.put(a, [0, 3], [9.0, 8.0])
    numpy.place(a, a.asnumpy() > 5, 0.0)
    numpy.testing.assert_array_equal(a.asnumpy(), [0.0, 1.0, 2.0, 0.0])
    m = mnp.zeros((3, 3))
    numpy.fill_diagonal(m, 1.0)
    numpy.testing.assert_array_equal(m.asnumpy(), numpy.eye(3))
    numpy.add.at(a, [1, 1], 1.0)
    assert a.asnumpy()[1] == 3.0


@requires_mxnet
def test_ufunc_at_on_device_array():
    a = mnp.zeros(3).to_device("sim:0")
    numpy.add.at(a, [0, 0, 2], 1.0)
    assert a.device == mp.Device("sim:0")
    numpy.testing.assert_array_equal(a.asnumpy(), [2.0, 0.0, 1.0])


def test_namedtuple_results_keep_their_type():
    s = mnp.asarray(numpy.eye(3) * 2)
    r = numpy.linalg.svd(s)
    assert type(r).__name__ == "SVDResult" or isinstance(r, tuple)
    u, sv, vh = r
    assert all(isinstance(t, mp.MinArray) for t in (u, sv, vh))
    r = numpy.linalg.eigh(s)
    assert isinstance(r.eigenvalues, mp.MinArray)
    q = numpy.linalg.qr(s)
    assert isinstance(q.Q, mp.MinArray) and isinstance(q.R, mp.MinArray)


@requires_mxnet
def test_results_stay_on_the_input_device():
    x = mnp.asarray(numpy.arange(6.0).reshape(2, 3)).to_device("sim:0")
    for r in (numpy.sum(x, axis=0), numpy.concatenate([x, x]), numpy.median(x), numpy.logaddexp(x, x),
              numpy.linalg.svd(x)[1], numpy.unique(x, return_counts=True)[1], x[:, 1], x[x > 2]):
        assert isinstance(r, mp.MinArray) and r.device == mp.Device("sim:0"), r


# ---------------------------------------------------------------- NEP 13 / NEP 18 deferral
class Foreign:
    """A duck array with its own protocols: MinArray must defer to it."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return ("foreign", ufunc.__name__, method)

    def __array_function__(self, func, types, args, kwargs):
        return ("foreign", func.__name__)

    def __add__(self, other):
        return "foreign add"

    __radd__ = __add__


class OptOut:
    __array_ufunc__ = None

    def __radd__(self, other):
        return "optout radd"

    def __rmul__(self, other):
        return "optout rmul"


def test_nep13_defers_to_a_foreign_overrider():
    x = mnp.ones(3)
    f = Foreign()
    assert numpy.add(x, f) == ("foreign", "add", "__call__")
    assert numpy.add.reduce(f) == ("foreign", "add", "reduce")
    assert numpy.multiply(f, x) == ("foreign", "multiply", "__call__")
    assert x + f == "foreign add"
    assert f + x == "foreign add"
    assert numpy.concatenate([x, f]) == ("foreign", "concatenate")


def test_nep13_opt_out_gets_reflected_operators():
    x = mnp.ones(3)
    assert x + OptOut() == "optout radd"
    assert x * OptOut() == "optout rmul"
    with pytest.raises(TypeError):
        numpy.add(x, OptOut())


def test_numpy_functions_with_ndarray_and_minarray_mix():
    r = numpy.concatenate([mnp.ones(2), numpy.zeros(2)])
    assert isinstance(r, mp.MinArray)
    numpy.testing.assert_array_equal(r.asnumpy(), [1, 1, 0, 0])
    r = numpy.add(numpy.ones(2), mnp.ones(2))
    assert isinstance(r, mp.MinArray)
    r = operator.add(numpy.ones(2), mnp.ones(2))
    assert isinstance(r, mp.MinArray)


def test_functions_without_arrays_unaffected():
    assert type(numpy.sum([1, 2])) is numpy.int64 or isinstance(numpy.sum([1, 2]), numpy.integer)
