"""Per-call overhead of a cached minpy_array.Function against calling the same MXNet executor directly.

For each symbol (a tiny FullyConnected, where overhead dominates, and a small and a mid-size Convolution), float32,
one run in this process, median microseconds per call:
  exe floor      executor.forward + wait, inputs already in its arg arrays (MXNet's own cost)
  exe numpy      what a NumPy user writes: arg_dict[name][:] = ndarray for every input, forward, outputs[0].asnumpy()
  Function       f(x, w, ...) on MinArrays (cached executor, one dispatch op)
and the same for forward + backward: executor.forward(is_train=True) + backward(out_grads) + reading the gradients
against `minpy_array.autodiff.vjp(f, ...)` and its pullback (tape included).  Ratios are Function / exe numpy and
Function / exe floor.

    python benchmarks/symbol.py [--quick] [--threads N]
"""
import argparse
import statistics
import time

import _threads

_threads.pin_threads()

import numpy  # noqa: E402

import minpy_array as mp  # noqa: E402
import minpy_array.numpy as np  # noqa: E402
from minpy_array.autodiff import vjp  # noqa: E402
from minpy_array.ops import _mxnet  # noqa: E402


def cases(sym):
    x = sym.Variable("x")
    return [
        ("FC 8x16 -> 16", sym.FullyConnected(x, name="fc", num_hidden=16), {"x": (8, 16)}),
        ("Conv 8x3x16x16, 16 3x3", sym.Convolution(x, name="conv", kernel=(3, 3), num_filter=16),
         {"x": (8, 3, 16, 16)}),
        ("Conv 64x16x32x32, 32 3x3", sym.Convolution(x, name="conv", kernel=(3, 3), num_filter=32, pad=(1, 1)),
         {"x": (64, 16, 32, 32)}),
    ]


def timeit(fn, min_calls, min_seconds):
    fn()
    times, start = [], time.perf_counter()
    while len(times) < min_calls or time.perf_counter() - start < min_seconds:
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1e6


def measure(mx, sym, shapes, min_calls, min_seconds):
    f = mp.Function(sym, input_shapes=shapes)
    rng = numpy.random.default_rng(0)
    names = f.arg_names
    all_shapes = {**f.param_shapes, **shapes}
    host = [rng.standard_normal(all_shapes[n]).astype("float32") for n in names]
    arrays = [np.asarray(h) for h in host]
    g_host = rng.standard_normal(f.output_shapes[0]).astype("float32")
    g = np.asarray(g_host)

    exe = sym.simple_bind(mx.cpu(), grad_req="null", **shapes)
    exe_t = sym.simple_bind(mx.cpu(), grad_req="write", **shapes)
    g_nd = mx.nd.array(g_host)
    for e in (exe, exe_t):
        for n, h in zip(names, host, strict=True):
            e.arg_dict[n][:] = h

    def exe_floor():
        exe.forward(is_train=False)
        exe.outputs[0].wait_to_read()

    def exe_numpy():
        for n, h in zip(names, host, strict=True):
            exe.arg_dict[n][:] = h
        exe.forward(is_train=False)
        return exe.outputs[0].asnumpy()

    def fn():
        return f(*arrays)

    def exe_floor_fb():
        exe_t.forward(is_train=True)
        exe_t.backward([g_nd])
        for a in exe_t.grad_arrays:
            a.wait_to_read()

    def exe_numpy_fb():
        for n, h in zip(names, host, strict=True):
            exe_t.arg_dict[n][:] = h
        exe_t.forward(is_train=True)
        out = exe_t.outputs[0].asnumpy()
        exe_t.backward([mx.nd.array(g_host)])
        return out, [a.asnumpy() for a in exe_t.grad_arrays]

    def fn_fb():
        out, pull = vjp(f, *arrays)
        return out, pull(g)

    # the results agree before anything is timed
    numpy.testing.assert_allclose(fn().asnumpy(), exe_numpy(), rtol=1e-5, atol=1e-5)
    ours = fn_fb()[1]
    for a, b in zip(ours, exe_numpy_fb()[1], strict=True):
        numpy.testing.assert_allclose(a.asnumpy(), b, rtol=1e-4, atol=1e-4)
    t = {k: timeit(v, min_calls, min_seconds) for k, v in
         (("floor", exe_floor), ("numpy", exe_numpy), ("fn", fn),
          ("floor_fb", exe_floor_fb), ("numpy_fb", exe_numpy_fb), ("fn_fb", fn_fb))}
    return t


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="fewer calls (a smoke run)")
    ap.add_argument("--threads", default=_threads.threads_from_argv(), help="OMP/BLAS/MXNet worker threads (default 1)")
    args = ap.parse_args(argv)
    mx = _mxnet.load()
    min_calls, min_seconds = (20, 0.05) if args.quick else (200, 1.0)
    rows = [(name, measure(mx, s, shapes, min_calls, min_seconds)) for name, s, shapes in cases(mx.sym)]
    print(f"Function vs MXNet executor, float32, {args.threads} thread(s); median us per call (one run)")
    print("| symbol | pass | exe floor | exe numpy | Function | Function / exe numpy | Function / exe floor |")
    print("|---|---|---|---|---|---|---|")
    for name, t in rows:
        for label, k in (("forward", ""), ("forward+backward", "_fb")):
            fl, nu, fn = t["floor" + k], t["numpy" + k], t["fn" + k]
            print(f"| {name} | {label} | {fl:.0f} | {nu:.0f} | {fn:.0f} | {fn / nu:.2f} | {fn / fl:.2f} |")
    return rows


if __name__ == "__main__":
    main()
