"""dask.distributed with MinArray chunks: a LocalCluster of two worker processes (one thread each) on 127.0.0.1 runs
the graphs; chunks pickle across processes with their device and dtype, results come back as MinArrays, each worker's
op_stats() is collected with client.run, and the kernel policy is set per worker (an environment variable at start,
client.run(set_policy) later).  The cluster is started and stopped here, bounded in time."""
import logging

import dask.array as da
import numpy
import pytest
from _dask_cases import DEVICES, assert_same, backend_counts, data, mlp_forward
from distributed import Client, LocalCluster, wait

import minpy_array as mp
import minpy_array.numpy as mnp

TIMEOUT = 60  # seconds, for each step that waits on the cluster
pytestmark = pytest.mark.timeout(240)  # the whole test, cluster start and stop included


@pytest.fixture(scope="module")
def client():
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", protocol="tcp",
                      dashboard_address=None, silence_logs=logging.ERROR, timeout=TIMEOUT,
                      env={"MINPY_ARRAY_POLICY": "numpy_only"}) as cluster, \
            Client(cluster, timeout=TIMEOUT) as c:
        c.wait_for_workers(2, timeout=TIMEOUT)
        yield c


def _compute(client, *graphs):
    futures = client.compute(list(graphs))
    wait(futures, timeout=TIMEOUT)
    return client.gather(futures)


def _graphs(X, W):
    """A Gram matrix, column means and argmax, and a per-chunk MLP forward."""
    return (X.T @ X, X.mean(axis=0), X.argmax(axis=0),
            X.map_blocks(mlp_forward, *W, chunks=(X.chunks[0], (3,)), meta=X._meta))


def _worker_stats(client):
    """{op: summed counts} over both workers' op_stats(), and how many workers ran any op."""
    per_worker = client.run(mp.op_stats)
    total = {}
    for stats in per_worker.values():
        for op, row in stats.items():
            acc = total.setdefault(op, dict.fromkeys(row, 0))
            for k, v in row.items():
                acc[k] += v
    return total, sum(1 for s in per_worker.values() if s)


@pytest.mark.parametrize("device", DEVICES)
def test_local_cluster_runs_minarray_graphs(client, device):
    info = client.scheduler_info()
    addresses = [info["address"], *info["workers"]]
    assert len(info["workers"]) == 2 and all(a.startswith("tcp://127.0.0.1:") for a in addresses), addresses
    assert {w["nthreads"] for w in info["workers"].values()} == {1}

    xn, _, _ = data(shape=(80, 12))
    rng = numpy.random.default_rng(1)
    wn = [rng.normal(size=s).astype("float32") for s in ((12, 16), (16,), (16, 3))]
    # inline_array: every chunk task carries x itself (small here), so chunks can start on both workers at once
    X = da.from_array(mp.asarray(xn, device=device), chunks=(20, 12), inline_array=True)
    W = [mp.asarray(w, device=device) for w in wn]
    want = _compute(client, *_graphs(da.from_array(xn, chunks=(20, 12)), wn))  # NumPy chunks, same cluster

    try:
        # the policy the workers started with, from MINPY_ARRAY_POLICY in their environment
        assert set(client.run(mp.get_policy).values()) == {"numpy_only"}
        client.run(mp.reset_op_stats)
        got = _compute(client, *_graphs(X, W))
        for g, w in zip(got, want, strict=True):
            assert type(g) is mp.MinArray and g.device == device and g.dtype == w.dtype  # back across processes
            assert_same(g, w, device)
        stats, busy = _worker_stats(client)
        assert busy == 2, "both worker processes ran chunks"

        # the numpy face ships to the workers too: a ufunc as the task, and da.random with its generator (whose
        # chunks are made on the cpu, then moved where they belong)
        rs = da.random.RandomState(7, RandomState=mnp.random.RandomState)
        R = rs.normal(size=(40, 6), chunks=(10, 6)).map_blocks(
            mp.asarray, device=device, meta=mp.empty((0, 0), dtype=mp.float64, device=device))
        tanh, r = _compute(client, X.map_blocks(mnp.tanh), R)
        assert {type(tanh), type(r)} == {mp.MinArray} and tanh.device == r.device == device
        assert_same(tanh, numpy.tanh(xn), device)
        want_r = da.random.RandomState(7).normal(size=(40, 6), chunks=(10, 6)).compute(scheduler="sync")
        assert_same(r, want_r, device)
        assert sum(stats["matmul"][k] for k in ("numpy", "fallback")) >= 4  # a chunk product per row chunk
        assert all(backend_counts(r) == 0 for r in stats.values())  # numpy_only: no other library's kernel ran

        # the same graph after client.run(set_policy): auto uses the device's backend kernels (not on the cpu)
        client.run(mp.set_policy, "auto")
        client.run(mp.reset_op_stats)
        blocks = _compute(client, *X.T.map_blocks(numpy.tanh).to_delayed().ravel())
        assert {(type(b), b.device) for b in blocks} == {(mp.MinArray, mp.Device(device))}  # chunks stay there
        got = _compute(client, *_graphs(X, W))
        for g, w in zip(got, want, strict=True):
            assert type(g) is mp.MinArray and g.device == device
            assert_same(g, w, "approx" if device != "cpu" else device)
        stats, _ = _worker_stats(client)
        ran = sum(backend_counts(r) for r in stats.values())
        assert ran > 0 if device != "cpu" else ran == 0
    finally:
        client.run(mp.set_policy, "numpy_only")
