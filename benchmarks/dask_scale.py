"""dask.distributed on MinArray chunks against the same graphs on NumPy chunks, on 1 and 2 worker processes.

A float32 matrix (default 20,000 x 4,000, 320 MB) is generated on the workers, chunk by chunk, by da.random, and
persisted there as NumPy chunks and as MinArray chunks (mp.asarray of each chunk, on the worker).  Then, timed
(best of --repeat, the contenders interleaved in each round; wall clock from the client to the gathered result,
and the worker processes' CPU time, which a loaded machine does not inflate):

  means  X.mean(axis=0)                     a reduction: every chunk read once, a tree of small sums
  gram   X.T @ X                            a 4000 x 4000 result: BLAS-bound chunk products, then their sum
  mlp    forward(chunk, W1, b1, W2)         a two-layer net's softmax scores per chunk (4000 -> 256 -> 10)

Each worker runs one thread, and every library in it one thread: the thread variables are set here before NumPy
loads (benchmarks/_threads.py) and the workers inherit them (distributed's nanny sets the same ones).  The
contenders' results are compared before anything is printed.

    python benchmarks/dask_scale.py                       # the README's table
    python benchmarks/dask_scale.py --devices cpu,sim:0   # also MinArray chunks on the MXNet stand-in device
    python benchmarks/dask_scale.py --quick               # a small smoke run
"""
from _threads import pin_threads

pin_threads()

import argparse  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import dask  # noqa: E402
import dask.array as da  # noqa: E402
import numpy  # noqa: E402
from distributed import Client, LocalCluster, wait  # noqa: E402

import minpy_array as mp  # noqa: E402

HIDDEN, CLASSES = 256, 10
WORKLOADS = ("means", "gram", "mlp")


def forward(block, w1, b1, w2):
    h = numpy.maximum(block @ w1 + b1, 0)
    s = h @ w2
    e = numpy.exp(s - s.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def make_data(client, kinds, args):
    """X on the workers (persisted) and the net's weights, per contender: "numpy", or a device for MinArray chunks
    made from the NumPy chunks there (Note: not by a second da.random graph with minpy_array's generator: dask names
    random chunks by seed, size and chunks only, so both would share keys and the cluster would hand back the first
    one's chunks)."""
    rs = da.random.RandomState(0)
    Xn = rs.standard_normal(size=(args.rows, args.cols), chunks=(args.chunk_rows, args.cols)).astype("float32")
    wrng = numpy.random.default_rng(1)
    wn = [(wrng.standard_normal(s) * 0.05).astype("float32") for s in ((args.cols, HIDDEN), (HIDDEN,),
                                                                        (HIDDEN, CLASSES))]
    data = {}
    for kind in kinds:
        if kind == "numpy":
            X, weights = Xn, wn
        else:
            meta = mp.empty((0, 0), dtype=mp.float32, device=kind)
            X = Xn.map_blocks(mp.asarray, device=kind, meta=meta)
            weights = [mp.asarray(w, device=kind) for w in wn]
        X = X.persist()
        wait(X, timeout=600)
        ws = client.scatter(weights, broadcast=True)  # on every worker once; tasks take them as arguments
        data[kind] = X, ws
    return data


def graph(name, X, ws):
    if name == "means":
        return X.mean(axis=0)
    if name == "gram":
        return X.T @ X
    return X.map_blocks(forward, *ws, chunks=(X.chunks[0], (CLASSES,)), meta=X._meta)


def run(client, X, ws, name):
    """(wall seconds, CPU seconds of the worker processes, result): CPU time counts the work however loaded the
    machine is; wall time is what a user waits, and on a shared machine it includes other programs' turns."""
    cpu0 = client.run(time.process_time)
    t = time.perf_counter()
    out = client.compute(graph(name, X, ws)).result(timeout=3600)
    wall = time.perf_counter() - t
    cpu1 = client.run(time.process_time)
    return wall, sum(cpu1[a] - cpu0[a] for a in cpu0), out


def measure(workers, kinds, args):
    with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address=None, silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
        data = make_data(client, kinds, args)
        best = {(k, w): (float("inf"), float("inf")) for k in kinds for w in WORKLOADS}
        results = {}
        for _ in range(args.repeat):
            for w in WORKLOADS:
                for k in kinds:
                    wall, cpu, out = run(client, *data[k], w)
                    best[k, w] = (min(best[k, w][0], wall), min(best[k, w][1], cpu))
                    results[k, w] = out
        for k in kinds:
            assert kinds[0] == "numpy"
            for w in WORKLOADS:
                got, want = results[k, w], results["numpy", w]
                if k != "numpy":
                    assert type(got) is mp.MinArray and got.device == k, (k, w, type(got))
                tol = 1e-4 if k in ("numpy", "cpu") else 1e-3
                numpy.testing.assert_allclose(numpy.asarray(got), want, rtol=tol, atol=tol * abs(want).max())
        stats = client.run(mp.op_stats)
    return best, stats


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    p.add_argument("--rows", type=int, default=20_000)
    p.add_argument("--cols", type=int, default=4_000)
    p.add_argument("--chunk-rows", type=int, default=2_000)
    p.add_argument("--workers", default="1,2", help="comma-separated numbers of worker processes")
    p.add_argument("--devices", default="cpu", help="devices for MinArray chunks (cpu, sim:0, ...)")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--threads", default="1", help="threads per library in each worker (set before NumPy loads)")
    p.add_argument("--quick", action="store_true", help="a small smoke run: 2,000 x 200, chunks of 500, 1 repeat")
    args = p.parse_args()
    if args.quick:
        args.rows, args.cols, args.chunk_rows, args.repeat = 2_000, 200, 500, 1
    kinds = ["numpy", *args.devices.split(",")]
    workers = [int(w) for w in args.workers.split(",")]

    print(f"{args.rows} x {args.cols} float32 ({args.rows * args.cols * 4 / 2**20:.0f} MiB), chunks of "
          f"{args.chunk_rows} rows; 1 thread per worker; best of {args.repeat}")
    print(f"Python {platform.python_version()}, NumPy {numpy.__version__}, dask {dask.__version__}, "
          f"{platform.machine()} x {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} at start")
    table = {}
    for n in workers:
        best, stats = measure(n, kinds, args)
        table[n] = best
        ran = {addr: sum(r["mxnet"] + r["numpy"] + r["fallback"] for r in s.values()) for addr, s in stats.items()}
        print(f"  {n} worker(s): ops run per worker (op_stats via client.run): {sorted(ran.values())}")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")

    print()
    print("wall: from compute() to the result in the client; CPU: the worker processes' CPU time (best of "
          f"{args.repeat} each)")
    cols = [f"{n} worker{'s' if n > 1 else ''}" for n in workers]
    head = ["workload", "chunks", *(f"wall, {c}" for c in cols), *(f"CPU, {c}" for c in cols),
            *(f"CPU / NumPy's, {c}" for c in cols)]
    if len(workers) > 1:
        head.append(f"wall, {workers[0]} / {workers[-1]} workers")
    print("| " + " | ".join(head) + " |")
    print("|" + "---|" * len(head))
    for w in WORKLOADS:
        for k in kinds:
            row = [w, "NumPy" if k == "numpy" else f"MinArray {k}"]
            row += [f"{table[n][k, w][0]:.2f} s" for n in workers]
            row += [f"{table[n][k, w][1]:.2f} s" for n in workers]
            row += [f"{table[n][k, w][1] / table[n]['numpy', w][1]:.2f}x" for n in workers]
            if len(workers) > 1:
                row.append(f"{table[workers[0]][k, w][0] / table[workers[-1]][k, w][0]:.2f}x")
            print("| " + " | ".join(row) + " |")

if __name__ == "__main__":
    main()
