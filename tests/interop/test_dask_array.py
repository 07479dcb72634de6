"""dask.array with MinArray chunks, in-process: the graph keeps MinArray chunks and a MinArray meta on the chunks'
device, and gives the values of the same graph on NumPy chunks.  (A LocalCluster runs them in
test_dask_distributed.py.)  Device graphs run on the synchronous scheduler: see test_threaded_scheduler."""
import dask
import dask.array as da
import numpy
import pytest
from _dask_cases import (
    DEVICES,
    GRAPHS,
    assert_same,
    check_minarray_graph,
    chunked,
    data,
    mlp_forward,
    tanh_numpy_only,
)
from conftest import requires_mxnet
from dask.base import tokenize
from hypothesis import given
from hypothesis import strategies as st

import minpy_array as mp
import minpy_array.numpy as np


@pytest.mark.parametrize("device", DEVICES)
def test_from_array_and_asarray_keep_minarray_chunks_and_meta(device):
    xn = data()[0]
    x = mp.asarray(xn, device=device)
    meta = mp.asarray(numpy.empty((0, 0), "float32"), device=device)
    for X in (da.from_array(x, chunks=(15, 4), meta=meta),  # an explicit meta
              da.from_array(x, chunks=(15, 4)),             # meta inferred from x (dask slices it to shape 0)
              da.asarray(x, chunks=(15, 4)),
              da.from_array(x, chunks=(15, 4), meta=mp.empty((0, 0), device=device))):  # float64: dask casts it
        assert X.chunks == ((15,) * 4, (4, 4))
        assert X._meta.shape == (0, 0) and X._meta.dtype == numpy.float32 and X._meta.ndim == 2
        out = check_minarray_graph(X, device)
        numpy.testing.assert_array_equal(out.asnumpy(), xn)
    assert "chunktype=minpy_array.MinArray" in repr(X)
    if device != "cpu" and not mp.Device(device).backend.VIEWS:
        # slices of MXNet device arrays are copies: chunking x runs each getitem through the host
        assert mp.op_stats()["getitem"]["fallback"] >= 8
    if device != "cpu":
        # an explicit meta is kept as given, on its own device, and dask's helper arrays follow it there
        Z = da.from_array(x, chunks=(15, 4), meta=np.empty((0, 0)))
        assert Z._meta.device == "cpu"
        with pytest.raises(ValueError, match="arrays on different devices"):
            (Z + da.zeros_like(Z)).compute(scheduler="sync")


@pytest.mark.parametrize("device", DEVICES)
@pytest.mark.parametrize("name", sorted(GRAPHS))
def test_graph_matches_numpy_chunks(device, name):
    f = GRAPHS[name]
    want = f(*chunked(data())).compute(scheduler="sync")
    got = check_minarray_graph(f(*chunked(data(), device)), device)
    assert_same(got, want, device)


@given(rows=st.integers(1, 40), cols=st.integers(1, 9), row_chunk=st.integers(4, 40), col_chunk=st.integers(2, 9),
       dtype=st.sampled_from(["float32", "float64", "int64"]), axis=st.sampled_from([None, 0, 1]),
       seed=st.integers(0, 2**16))
def test_any_chunking_gives_numpy_results(rows, cols, row_chunk, col_chunk, dtype, axis, seed):
    """Chunk boundaries do not show in the results: NumPy on the whole array is the oracle."""
    xn = (numpy.random.default_rng(seed).normal(size=(rows, cols)) * 5).astype(dtype)
    X = da.from_array(mp.asarray(xn), chunks=(row_chunk, col_chunk))
    checks = [(X.sum(axis=axis), xn.sum(axis=axis)), (X.max(axis=axis), xn.max(axis=axis)),
              (X.mean(axis=axis), xn.mean(axis=axis)), (abs(X[::2] - 1) * 3, abs(xn[::2] - 1) * 3),
              (X.T @ X, xn.T @ xn)]
    got_all = dask.compute(*(Y for Y, _ in checks), scheduler="sync")
    for (Y, want), got in zip(checks, got_all, strict=True):
        assert type(Y._meta) is mp.MinArray and type(got) is mp.MinArray
        assert got.dtype == want.dtype and got.shape == want.shape
        tol = {"float32": 1e-5, "float64": 1e-13, "int64": 0}[dtype]  # chunked sums round in another order
        numpy.testing.assert_allclose(got.asnumpy(), want, rtol=tol, atol=tol * rows * numpy.abs(want).max())


def test_random_state_with_a_minarray_generator():
    """da.random's RandomState takes the generator class to use per chunk: minpy_array.numpy's gives MinArrays,
    with the values NumPy's gives for the same seed."""
    rs = da.random.RandomState(42, RandomState=np.random.RandomState)
    X = rs.normal(2.0, 3.0, size=(50, 6), chunks=(20, 3))
    got = check_minarray_graph(X, "cpu")
    want = da.random.RandomState(42).normal(2.0, 3.0, size=(50, 6), chunks=(20, 3)).compute(scheduler="sync")
    numpy.testing.assert_array_equal(got.asnumpy(), want)
    U = rs.uniform(size=(30,), chunks=10)
    assert type(U.compute(scheduler="sync")) is mp.MinArray and 0 <= float(U.min()) <= float(U.max()) < 1


@pytest.mark.parametrize("device", DEVICES)
def test_what_dask_asks_of_the_meta(device):
    """dask makes metas with empty_like/zeros of shape 0 and NEP 35 creation calls (numpy.empty(shape, like=meta),
    numpy.asarray(obj, like=meta)); all of them land on the meta's device."""
    meta = mp.asarray(numpy.empty((0, 0), "float32"), device=device)
    made = [numpy.empty_like(meta), numpy.zeros_like(meta, shape=(0,)), numpy.empty_like(meta, dtype="int64"),
            numpy.zeros((0, 0), like=meta), numpy.empty((2,), like=meta), numpy.ones((0,), "float64", like=meta),
            numpy.full((1,), 2.0, like=meta), numpy.asarray([1.0, 2.0], like=meta), numpy.array([[1]], like=meta),
            meta.sum(), meta[:0, :0], meta.reshape((0,)), meta.astype("float64", casting="safe", copy=False),
            meta.astype("float32", copy=False), meta.astype("float16", casting="same_kind", copy=True)]
    for m in made:
        assert type(m) is mp.MinArray and m.device == device
    assert [m.ndim for m in made[:4]] == [2, 1, 2, 2]
    with pytest.raises(TypeError, match="according to the rule 'safe'"):
        meta.astype("int32", casting="safe")


@pytest.mark.parametrize("device", DEVICES)
def test_tokens_follow_values_dtype_and_device(device):
    """dask names graph keys by a token of the inputs: equal MinArrays share it; another dtype, another device or
    other values do not (MinArray.__dask_tokenize__ hashes the values with dask's own NumPy hashing)."""
    xn = data()[0]
    x = mp.asarray(xn, device=device)
    assert tokenize(x) == tokenize(mp.asarray(xn.copy(), device=device))
    assert tokenize(x) != tokenize(mp.asarray(xn.astype("float64"), device=device))
    assert tokenize(x) != tokenize(mp.asarray(xn + 1, device=device))
    assert tokenize(x) != tokenize(xn)
    if device != "cpu":
        assert tokenize(x) != tokenize(mp.asarray(xn))
    X1, X2 = da.from_array(x, chunks=15), da.from_array(mp.asarray(xn, device=device), chunks=15)
    assert X1.name == X2.name


@pytest.mark.parametrize("device", DEVICES)
def test_store_into_a_minarray(device):
    """da.store writes each chunk into a region of the target (x[region] = chunk): on an MXNet device, where
    slices are copies, the target's buffer is replaced rather than written through a view; both are right."""
    X, Y, _ = chunked(data(), device)
    target = mp.asarray(numpy.zeros((60, 8), "float32"), device=device)
    da.store(X * 2 + Y, target, scheduler="sync", lock=True)
    assert target.device == device
    xn, yn, _ = data()
    assert_same(target, xn * 2 + yn, device)


@pytest.mark.parametrize("device", DEVICES)
def test_per_chunk_mlp_forward(device):
    xn = data(shape=(60, 12))[0]
    rng = numpy.random.default_rng(1)
    w1, b1, w2 = (rng.normal(size=s).astype("float32") for s in ((12, 16), (16,), (16, 3)))
    X = da.from_array(mp.asarray(xn, device=device), chunks=(15, 12))
    W = [mp.asarray(w, device=device) for w in (w1, b1, w2)]
    # meta=: dask cannot infer it by running the net on empty chunks (max over a zero-size axis), and would fall
    # back to a NumPy meta
    P = X.map_blocks(mlp_forward, *W, chunks=(X.chunks[0], (3,)), meta=X._meta)
    got = check_minarray_graph(P, device)
    assert_same(got, mlp_forward(xn, w1, b1, w2), "approx")  # chunks vs the whole array: BLAS may round apart


@pytest.mark.timeout(120)  # a deadlock between two threads in a backend fails here instead of hanging the suite
@pytest.mark.parametrize("device", DEVICES)
def test_threaded_scheduler(device):
    """dask's default scheduler for arrays runs chunks on a thread pool: every device gives the same results (MXNet
    calls hold the backend's lock), and op_stats() adds up every thread's counts."""
    X, Y, v = chunked(data(), device)
    want = (X.T @ Y).compute(scheduler="sync")
    mp.reset_op_stats()
    got = (X.T @ Y).compute(scheduler="threads", num_workers=2)
    assert type(got) is mp.MinArray
    numpy.testing.assert_array_equal(got.asnumpy(), want.asnumpy())
    assert sum(v for k, v in mp.op_stats()["matmul"].items() if k != "copied_bytes") >= 8  # 4 row chunks x 2 cols


@requires_mxnet
def test_a_policy_inside_a_task_function():
    """`with mp.policy(...)` in a task's function holds for that call: NumPy kernels there, MXNet's (auto, on an
    MXNet device) elsewhere in the same graph."""
    X = chunked(data(), "sim:0")[0]
    Y = X.map_blocks(tanh_numpy_only) + da.tanh(X)
    mp.reset_op_stats()  # after the graph's metas were made
    got = Y.compute(scheduler="sync")
    stats = mp.op_stats()["tanh"]
    assert stats["mxnet"] == 8 and stats["numpy"] + stats["fallback"] == 8  # 8 chunks each way
    assert type(got) is mp.MinArray and got.device == "sim:0"
    assert_same(got, 2 * numpy.tanh(data()[0]), "sim:0")


@requires_mxnet
def test_mxnet_only_names_the_op_it_cannot_run():
    """What minpy_array cannot honour raises at compute time, naming the op: here the 'mxnet_only' policy meets an
    op with no MXNet kernel."""
    X, Y, _ = chunked(data(), "cpu")
    with mp.policy("mxnet_only"), pytest.raises(mp.NoKernelError, match=r"^[\w.]+: policy 'mxnet_only'"):
        (X[::2] @ Y[::2].T).compute(scheduler="sync")


# dask functions that do not keep MinArrays everywhere (values are still NumPy's): what a user gets, pinned so the
# README's list stays true.  chunk/meta: the type of the result's chunks and meta.
LIMITS = {
    # dask builds these results with NumPy itself (np.indices / a NumPy structured array per chunk)
    "unique": (lambda X: da.unique((X * 2).astype("int32")), "ndarray", "ndarray"),
    "nonzero": (lambda X: da.nonzero(X > 1)[0], "ndarray", "ndarray"),
    "argwhere": (lambda X: da.argwhere(X > 1), "ndarray", "ndarray"),
    # dask calls SciPy's LU/triangular solvers, which take MinArrays through numpy.asarray and return NumPy
    "linalg.solve": (lambda X: da.linalg.solve((X.T @ X).rechunk(4), X[0].rechunk(4)), "ndarray", "MinArray"),
    "linalg.inv": (lambda X: da.linalg.inv((X.T @ X).rechunk(4)), "ndarray", "MinArray"),
    "linalg.lstsq": (lambda X: da.linalg.lstsq(X.rechunk((15, 8)), X[:, 0].rechunk(15))[0], "ndarray", "MinArray"),
    # dask makes these metas from NumPy arrays; the chunks stay MinArrays
    "fft": (lambda X: da.fft.fft(X.rechunk((15, 8)), axis=1), "MinArray", "ndarray"),
    "histogram": (lambda X: da.histogram(X, bins=5, range=(-3, 3))[0], "MinArray", "ndarray"),
    "apply_along_axis": (lambda X: da.apply_along_axis(numpy.sum, 1, X), "MinArray", "ndarray"),
    "coarsen": (lambda X: da.coarsen(numpy.sum, X, {0: 3, 1: 2}), "MinArray", "ndarray"),
}


@pytest.mark.parametrize("name", sorted(LIMITS))
def test_functions_that_return_numpy_chunks_or_meta(name):
    f, chunk_type, meta_type = LIMITS[name]
    xn = data()[0]
    X = da.from_array(mp.asarray(xn), chunks=(15, 4))
    Y = f(X)
    assert type(Y._meta).__name__ == meta_type
    block = Y.to_delayed().ravel()[0].compute(scheduler="sync")
    assert type(block).__name__ == chunk_type
    want = f(da.from_array(xn, chunks=(15, 4))).compute(scheduler="sync")
    numpy.testing.assert_allclose(numpy.asarray(Y.compute(scheduler="sync")), want, rtol=1e-5, atol=1e-6)


def test_percentile_has_no_dispatch_for_minarray_chunks():
    """da.percentile looks its chunk kernel up in a table dask keeps per array type (NumPy and CuPy only): it raises
    dask's TypeError; converting the chunks first (map_blocks(numpy.asarray)) is the way round."""
    X = da.from_array(mp.asarray(data()[0]), chunks=(15, 4))
    with pytest.raises(TypeError, match="No dispatch for <class 'minpy_array._array.MinArray'>"):
        da.percentile(X[:, 0], [10, 50]).compute(scheduler="sync")
    got = da.percentile(X[:, 0].map_blocks(numpy.asarray), [10, 50]).compute(scheduler="sync")
    numpy.testing.assert_array_equal(got, da.percentile(da.from_array(data()[0][:, 0], chunks=15), [10, 50]).compute())



def test_random_chunks_are_named_by_seed_not_generator():
    """dask names da.random's chunks by seed, size and chunks only: NumPy's and minpy_array's generator with one seed
    give the same keys, so a cluster that holds one's chunks (persisted) hands them back for the other.  Different
    seeds, or MinArray chunks made from the NumPy ones (map_blocks(mp.asarray)), keep them apart."""
    mine = da.random.RandomState(3, RandomState=np.random.RandomState).normal(size=(20,), chunks=10)
    numpys = da.random.RandomState(3).normal(size=(20,), chunks=10)
    assert mine.name == numpys.name
    assert numpys.map_blocks(mp.asarray).name != numpys.name
