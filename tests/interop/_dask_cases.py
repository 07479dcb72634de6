"""Shared by the dask tests: the devices, the graphs on MinArray chunks, and the checks of chunks and meta."""
import sys

import cloudpickle
import dask
import dask.array as da
import numpy
import pytest
from conftest import requires_mxnet, requires_torch

import minpy_array as mp

# every device the dask tests run on; a new backend's device is one more line here
DEVICES = [
    "cpu",
    pytest.param("sim:0", marks=requires_mxnet),
    pytest.param("torch:cpu", marks=requires_torch),
]


def backend_counts(row):
    """How many calls of an op_stats() row ran on a backend's own kernels other than NumPy's."""
    return sum(v for k, v in row.items() if k not in ("numpy", "fallback", "copied_bytes"))

# the worker processes of a LocalCluster import nothing from tests/: ship this module's functions by value
cloudpickle.register_pickle_by_value(sys.modules[__name__])

CHUNKS = (15, 4)


def data(seed=0, shape=(60, 8), dtype="float32"):
    """Two matrices and a vector, float32, as NumPy arrays (the oracle's inputs)."""
    rng = numpy.random.default_rng(seed)
    return (rng.normal(size=shape).astype(dtype), rng.normal(size=shape).astype(dtype),
            rng.normal(size=shape[1]).astype(dtype))


def chunked(arrays, device=None):
    """dask arrays of `arrays`: NumPy chunks with device=None, else MinArray chunks on `device`."""
    out = []
    for a in arrays:
        if device is not None:
            a = mp.asarray(a, device=device)
        out.append(da.from_array(a, chunks=CHUNKS if a.ndim == 2 else CHUNKS[1]))
    return out


def scale_shift(block, scale, shift):
    return numpy.tanh(block) * scale + shift


def _set_big_to_zero(x):
    y = x.copy()
    y[y > 1] = 0
    return y


# name -> graph on (X, Y, v): the operations the issue names; each gives MinArray chunks on X's device
GRAPHS = {
    "add_broadcast": lambda X, Y, v: X + 2 * Y - v,
    "numpy_ufunc": lambda X, Y, v: numpy.exp(X),
    "da_ufunc": lambda X, Y, v: da.tanh(X) * da.maximum(X, Y),
    "compare": lambda X, Y, v: X > Y,
    "astype": lambda X, Y, v: (X * 10).astype("int32"),
    "sum": lambda X, Y, v: X.sum(),
    "sum_axis0": lambda X, Y, v: X.sum(axis=0),
    "mean_axis0": lambda X, Y, v: X.mean(axis=0),
    "max_axis1": lambda X, Y, v: X.max(axis=1),
    "var_axis0": lambda X, Y, v: X.var(axis=0),
    "argmax_axis0": lambda X, Y, v: X.argmax(axis=0),
    "argmax_all": lambda X, Y, v: X.argmax(),
    "matmul": lambda X, Y, v: X.T @ Y,
    "matvec": lambda X, Y, v: X @ v,
    "dot": lambda X, Y, v: da.dot(X, Y.T),
    "tensordot": lambda X, Y, v: da.tensordot(X, Y, axes=((0,), (0,))),
    "map_blocks": lambda X, Y, v: X.map_blocks(scale_shift, 2.0, 1.0),
    "blockwise": lambda X, Y, v: da.blockwise(numpy.multiply, "ij", X, "ij", Y, "ij", dtype=X.dtype),
    "rechunk": lambda X, Y, v: X.rechunk((20, 8)) + 0,
    "slice": lambda X, Y, v: X[5:50:3, ::-2],
    "fancy_index": lambda X, Y, v: X[[1, 5, 30, 59]],
    "boolean_index": lambda X, Y, v: X[X[:, 0] > 0],
    "where": lambda X, Y, v: da.where(X > 0, X, Y),
    "where_scalar": lambda X, Y, v: da.where(X > 0, X, 0),
    "setitem_mask": lambda X, Y, v: X.map_blocks(_set_big_to_zero),
    "dask_setitem": lambda X, Y, v: _dask_setitem(X),
    "concatenate": lambda X, Y, v: da.concatenate([X, Y], axis=1),
    "stack": lambda X, Y, v: da.stack([X, Y]),
    "qr_R": lambda X, Y, v: da.linalg.qr(X.rechunk((15, 8)))[1],
    "qr_Q": lambda X, Y, v: da.linalg.qr(X.rechunk((15, 8)))[0],
    "svd_s": lambda X, Y, v: da.linalg.svd(X.rechunk((15, 8)))[1],
    "svd_u_abs": lambda X, Y, v: abs(da.linalg.svd(X.rechunk((15, 8)))[0]),
}


def _dask_setitem(X):
    Z = X.copy()
    Z[Z > 1] = 0       # dask's own __setitem__: a where() per chunk
    Z[3:20, 1] = 5.0
    return Z


def check_minarray_graph(Y, device, scheduler="sync"):
    """Y's meta and every one of its chunks are MinArrays on `device`; returns Y computed."""
    assert type(Y._meta) is mp.MinArray, f"meta is {type(Y._meta).__name__}"
    assert Y._meta.device == device, f"meta on {Y._meta.device}"
    blocks = dask.compute(*Y.to_delayed().ravel(), scheduler=scheduler)
    for b in blocks:
        assert type(b) is mp.MinArray and b.device == device, f"a chunk is {type(b).__name__} on " \
                                                              f"{getattr(b, 'device', None)}"
    out = Y.compute(scheduler=scheduler)
    assert type(out) is mp.MinArray and out.device == device
    return out


def assert_same(got, want, device):
    """Same dtype and shape as the NumPy-chunked graph; the same values bit for bit where NumPy's kernels ran both
    (the cpu device), within float32 rounding where another library's kernels ran the MinArray graph."""
    got = numpy.asarray(got)
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, want.dtype, got.shape, want.shape)
    if device == "cpu":
        numpy.testing.assert_array_equal(got, want)
    else:
        numpy.testing.assert_allclose(got, want, rtol=2e-5, atol=2e-5)


def mlp_forward(block, w1, b1, w2):
    """A two-layer net's scores for one chunk of rows (ReLU hidden layer, softmax output)."""
    h = numpy.maximum(block @ w1 + b1, 0)
    s = h @ w2
    e = numpy.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def tanh_numpy_only(block):
    """A task function that picks its own kernel policy, for its call only."""
    with mp.policy("numpy_only"):
        return numpy.tanh(block)
