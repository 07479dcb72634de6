"""Per-op cost of MinArray ops against raw NumPy and raw mxnet.numpy, one run, printed as a table of ratios.

    python benchmarks/dispatch.py

Columns: raw NumPy; MinArray under the default 'auto' policy (NumPy kernels on the cpu); MinArray under
'prefer_mxnet' (MXNet kernels on host buffers: inputs passed by DLPack, the result copied back); MinArray on the
"sim:0" stand-in device (MXNet buffers that stay in MXNet, as on a GPU); raw mxnet.numpy (synced with
wait_to_read).  Times are the best of 5 repeats, in microseconds per op.
"""
import timeit

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


if __name__ == "__main__":
    main()
