"""Per-op cost of MinArray ops against raw NumPy and raw mxnet.numpy, one run, printed as a table of ratios; then
what `auto`'s calibration chooses on this machine.

    python benchmarks/dispatch.py [--calibration]   (--calibration: only the GEMM and calibration sections)

Columns: raw NumPy; MinArray under the default 'auto' policy (NumPy kernels on the cpu); MinArray under
'prefer_mxnet' (MXNet kernels on host buffers: inputs passed by DLPack, the result copied back); MinArray on the
"sim:0" stand-in device (MXNet buffers that stay in MXNet, as on a GPU); raw mxnet.numpy (synced with
wait_to_read).  Times are the best of 5 repeats, in microseconds per op.
"""
import os
import sys
import tempfile
import time
import timeit

if __name__ == "__main__":  # run as a script: one thread in every library (set before NumPy loads)
    import _threads

    _threads.pin_threads()

import numpy

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array.ops import _mxnet

SHAPES = [(10,), (100, 100), (1000, 1000)]


def best_us(fn, min_time=0.2):
    n = 1
    while True:
        t = timeit.timeit(fn, number=n)
        if t >= min_time / 5 or n >= 1 << 20:
            break
        n *= 4
    return min(timeit.repeat(fn, number=n, repeat=5)) / n * 1e6


def cases():
    rng = numpy.random.default_rng(0)
    for shape in SHAPES:
        a, b = rng.random(shape), rng.random(shape)
        yield f"add {shape}", (a, b), lambda x, y: x + y, "add"
        yield f"exp {shape}", (a,), numpy.exp, "exp"
    yield "matmul (64,512)@(512,512)", (rng.random((64, 512)), rng.random((512, 512))), lambda x, y: x @ y, "matmul"


def main():
    mx = _mxnet.load() if _mxnet.available() else None
    rows = []
    for name, arrays, fn, op in cases():
        mins = [mnp.asarray(a) for a in arrays]
        row = {"op": name, "numpy": best_us(lambda: fn(*arrays))}
        row["minarray"] = best_us(lambda: fn(*mins))
        if mx is not None:
            with mp.policy("prefer_mxnet"):
                row["minarray_mx"] = best_us(lambda: fn(*mins))
            sims = [m.to_device("sim:0") for m in mins]
            row["minarray_sim"] = best_us(lambda: fn(*sims))
            mxs = [mx.np.array(a, dtype=a.dtype) for a in arrays]
            mfn = {"add": mx.np.add, "exp": mx.np.exp, "matmul": mx.np.dot}[op]
            row["mxnet"] = best_us(lambda: mfn(*mxs).wait_to_read())
        rows.append(row)
    cols = ["numpy", "minarray", "minarray_mx", "minarray_sim", "mxnet"]
    head = f"{'op':<28}" + "".join(f"{c + ' us':>16}" for c in cols) + f"{'min/np':>9}{'min_mx/mx':>11}{'sim/mx':>9}"
    print(head)
    print("-" * len(head))
    for r in rows:
        line = f"{r['op']:<28}" + "".join(f"{r[c]:>16.2f}" if c in r else f"{'-':>16}" for c in cols)
        line += f"{r['minarray'] / r['numpy']:>9.2f}"
        line += f"{r['minarray_mx'] / r['mxnet']:>11.2f}" if "mxnet" in r else f"{'-':>11}"
        line += f"{r['minarray_sim'] / r['mxnet']:>9.2f}" if "mxnet" in r else f"{'-':>9}"
        print(line)
    small = [r for r in rows if "(10,)" in r["op"]]
    ours = ", ".join(f"{r['op']}: {r['minarray']:.2f} us" for r in small)
    raw = ", ".join(f"{r['numpy']:.2f}" for r in small)
    print(f"\nNumPy path on (10,): {ours} (target < 2 us; raw NumPy {raw} us)")


# ---------------------------------------------------------------- calibration
def gemm_section():
    """NumPy's BLAS as threadpoolctl reports it, and float32 GEMM speed of the libraries themselves (no
    minpy_array): NumPy's matmul, torch.mm, MXNet's FullyConnected (oneDNN), in GFLOP/s, best of 5 alternating
    rounds of CPU time."""
    from minpy_array.ops import _mxnet, _numpy, _torch

    threads, blas = _numpy.blas()
    print(f"\nNumPy {numpy.__version__}'s BLAS (threadpoolctl): {blas}, {threads} thread(s)")
    torch = _torch.load() if _torch.installed() else None
    mx = _mxnet.load() if _mxnet.installed() else None
    rng = numpy.random.default_rng(0)
    for m, k, n in ((1024, 1024, 1024), (64, 512, 512), (64, 1024, 1024)):
        a, b = rng.random((m, k), dtype="float32"), rng.random((k, n), dtype="float32")
        fns = {"numpy": lambda: a @ b}
        if torch is not None:
            ta, tb = torch.from_numpy(a), torch.from_numpy(b)
            fns["torch.mm"] = lambda: torch.mm(ta, tb)
        if mx is not None:
            ma, mw = mx.nd.array(a), mx.nd.array(numpy.ascontiguousarray(b.T))
            fc = mx.nd.FullyConnected
            fns["mxnet FullyConnected"] = lambda: fc(ma, mw, num_hidden=n, no_bias=True).wait_to_read()
        best = dict.fromkeys(fns, float("inf"))
        for _ in range(5):
            for name, fn in fns.items():
                best[name] = min(best[name], cpu_best_us(fn, rounds=1, batch=0.02))
        print(f"  ({m},{k}) @ ({k},{n}): " + ", ".join(f"{name} {t:.0f} us = {2 * m * k * n / t / 1e3:.0f} GFLOP/s"
                                                       for name, t in best.items()))


def calibration_calls():
    """(label, [MinArrays], fn) for call kinds of many ops and size classes (float32 unless named)."""
    rng = numpy.random.default_rng(0)

    def arr(*shape, dtype="float32"):
        return mnp.asarray(rng.standard_normal(shape).astype(dtype))

    calls = []
    for m, k, n in ((64, 256, 256), (64, 784, 1024), (64, 1024, 1024), (256, 256, 256), (1024, 1024, 1024)):
        a, b = arr(m, k), arr(k, n)
        calls.append((f"{a.shape} @ {b.shape}", [a, b], lambda x, y: x @ y))
        calls.append((f"{a.shape} @ {b.shape}.T (F)", [a, arr(n, k)], lambda x, y: x @ y.T))
        calls.append((f"{a.shape}.T (F) @ {(m, n)}", [arr(m, k), arr(m, n)], lambda x, y: x.T @ y))
    x64 = arr(256, 256, dtype="float64")
    calls.append(("(256,256) @ (256,256) float64", [x64, x64], lambda x, y: x @ y))
    for shape in ((64, 64), (64, 256), (64, 1024), (1024, 1024)):
        x = arr(*shape)
        for name, fn in (("exp", mnp.exp), ("log", lambda v: mnp.log(mnp.abs(v))), ("tanh", mnp.tanh),
                         ("sum", mnp.sum), ("sum axis=0", lambda v: mnp.sum(v, axis=0)),
                         ("sum axis=1", lambda v: mnp.sum(v, axis=1)), ("add", lambda v: v + v),
                         ("multiply by 0.5", lambda v: v * 0.5), ("maximum(x, 0)", lambda v: mnp.maximum(v, 0.0))):
            calls.append((f"{name} {shape}", [x], fn))
    return calls


def cpu_best_us(fn, rounds=5, batch=2e-3):
    """Best batch of `rounds`, in microseconds of this thread's CPU time per call."""
    fn()
    t = time.thread_time()
    fn()
    n = max(1, int(batch / max(time.thread_time() - t, 1e-7)))
    best = float("inf")
    for _ in range(rounds):
        t = time.thread_time()
        for _ in range(n):
            fn()
        best = min(best, (time.thread_time() - t) / n)
    return best * 1e6


def calibration_section():
    """Measure every call kind of calibration_calls() afresh (a cache directory of this run), print the decisions
    (minpy_array.calibration()), then check each borrowed choice: the call under `auto` against `numpy_only`, in
    alternating rounds of CPU time."""
    from minpy_array import _calibrate

    os.environ["MINPY_ARRAY_CACHE_DIR"] = tempfile.mkdtemp(prefix="minpy_array_bench_")
    os.environ.setdefault("MINPY_ARRAY_CALIBRATE", "1")
    _calibrate.reset()
    calls = calibration_calls()
    start = time.perf_counter()
    for _, arrays, fn in calls:
        fn(*arrays)
    wall = time.perf_counter() - start
    table = mp.calibration()
    print(f"\n{table}")
    spent = _calibrate._state["spent"]
    print(f"\ncost: {_calibrate._state['count']} call kinds measured in {spent * 1e3:.0f} ms "
          f"({spent / max(_calibrate._state['count'], 1) * 1e3:.1f} ms each); the first calls took {wall:.1f} s in "
          f"all, library imports included")
    print("\nborrowed choices re-checked (us per call, CPU time, best of 5 alternating rounds):")
    print(f"  {'call':<40}{'numpy_only':>12}{'auto':>10}{'kernel':>8}{'gain':>7}")
    for label, arrays, fn in calls:
        mp.reset_op_stats()
        fn(*arrays)
        ran = sorted({c for row in mp.op_stats().values() for c, n in row.items()
                      if n and c not in ("numpy", "copied_bytes", "fallback")})
        if not ran:
            continue
        times = {"numpy_only": [], "auto": []}
        for _ in range(5):
            for pol in times:
                with mp.policy(pol):
                    times[pol].append(cpu_best_us(lambda: fn(*arrays), rounds=1))
        t_np, t_auto = min(times["numpy_only"]), min(times["auto"])
        print(f"  {label:<40}{t_np:>12.1f}{t_auto:>10.1f}{ran[0]:>8}{t_np / t_auto:>6.2f}x")
    x = mnp.asarray(numpy.ones((100, 100)))
    x + x  # a kind calibration leaves to NumPy: what `auto` adds is the look-up of its decision
    times = {"numpy_only": [], "auto": []}
    for _ in range(9):
        for pol in times:
            with mp.policy(pol):
                times[pol].append(cpu_best_us(lambda: x + x, rounds=1))
    t_np, t_auto = min(times["numpy_only"]), min(times["auto"])
    print(f"\nthe look-up on an op of 4096+ elements that stays with NumPy: x + x, x (100, 100) float64: "
          f"numpy_only {t_np:.2f} us, auto {t_auto:.2f} us ({t_auto - t_np:+.2f} us)")


if __name__ == "__main__":
    if "--calibration" not in sys.argv:
        main()
    gemm_section()
    calibration_section()
