"""Per-op cost of MinArray ops against raw NumPy and raw mxnet.numpy, one run, printed as tables; then what `auto`'s
calibration chooses on this machine.

    python benchmarks/dispatch.py [--only backends|per-op|calibration] [--rounds N] [--filter TEXT]
    python benchmarks/dispatch.py --calibration     (only the GEMM, calibration and lent-call sections)

Section "per-op" (per_op_table): everyday NumPy operations on scalars, (10,) and (100, 100) operands, written once
and run on NumPy and on `minpy_array.numpy` (untraced, cpu, policy auto) in alternating short rounds, single
thread, timed in process CPU time, best of the rounds, in microseconds per op; the budget column says whether the
face is within NumPy + 1 us (1.5x where NumPy itself takes over 2 us).

Section "backends" columns: raw NumPy; MinArray under the default 'auto' policy (NumPy kernels on the cpu); MinArray
under 'prefer_mxnet' (MXNet kernels on host buffers: inputs passed by DLPack, the result copied back); MinArray on the
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


# ---------------------------------------------------------------- per-op: the everyday ops, NumPy beside each
# (label, operands, statement): the statement runs with `np` bound to NumPy or to minpy_array.numpy and these names:
# s: a NumPy float64 scalar (an element), z: a 0-d array, v, w: (10,) arrays, c: a (10,) bool array, a, b: (100, 100)
# arrays, r: a (100,) array, i, j: Python ints, f: a Python float
PER_OP = [
    ("x[i]", "(10,)", "v[i]"), ("x[i, j]", "(100,100)", "a[i, j]"), ("x[i] (row)", "(100,100)", "a[i]"),
    ("x[2:5]", "(10,)", "v[2:5]"), ("x[:, 2:5]", "(100,100)", "a[:, 2:5]"), ("x[i, 2:5]", "(100,100)", "a[i, 2:5]"),
    ("x[mask]", "(10,)", "v[c]"),
    ("x[i] = f", "(10,)", "v[i] = f"), ("x[i, j] = f", "(100,100)", "a[i, j] = f"),
    ("x[i, j] = s", "(100,100)", "a[i, j] = s"), ("x[2:5] = f", "(10,)", "v[2:5] = f"),
    ("x[:, 2:5] = f", "(100,100)", "a[:, 2:5] = f"), ("x[i] = row", "(100,100)", "a[i] = r"),
    ("x[i] += f", "(10,)", "v[i] += f"), ("x[i, j] += s", "(100,100)", "a[i, j] += s"),
    ("x[2:5] += f", "(10,)", "v[2:5] += f"), ("x[:, 2:5] += f", "(100,100)", "a[:, 2:5] += f"),
    ("x += y", "(10,)", "v += w"), ("x += y", "(100,100)", "a += b"), ("x -= f", "(100,100)", "a -= f"),
    ("bool(x > 0)", "0-d", "bool(z > 0)"), ("bool(s > 0)", "scalar", "bool(s > 0)"), ("x == y", "0-d", "z == z"),
    ("x > f", "(10,)", "v > f"), ("x > y", "(100,100)", "a > b"),
    ("s + s", "scalar", "s + s"), ("x + x", "0-d", "z + z"), ("x * f", "0-d", "z * f"),
    ("x + f", "(10,)", "v + f"), ("f * x", "(10,)", "f * v"), ("x * s", "(10,)", "v * s"), ("s * x", "(10,)", "s * v"),
    ("x + 1", "(10,)", "v + 1"), ("x + y", "(10,)", "v + w"), ("-x", "(10,)", "-v"), ("x ** 2", "(10,)", "v ** 2"),
    ("x / 3", "(100,100)", "a / 3"), ("x + y", "(100,100)", "a + b"), ("x * f", "(100,100)", "a * f"),
    ("np.exp(x)", "(10,)", "np.exp(v)"), ("np.maximum(x, 0)", "(100,100)", "np.maximum(a, 0)"),
    ("np.sqrt(s)", "scalar", "np.sqrt(s)"),
    ("x.reshape(2, 5)", "(10,)", "v.reshape(2, 5)"), ("x.reshape(-1)", "(100,100)", "a.reshape(-1)"),
    ("np.reshape(x, (50, 200))", "(100,100)", "np.reshape(a, (50, 200))"), ("x.ravel()", "(100,100)", "a.ravel()"),
    ("x.T", "(100,100)", "a.T"), ("x.transpose(1, 0)", "(100,100)", "a.transpose(1, 0)"),
    ("np.transpose(x)", "(100,100)", "np.transpose(a)"), ("x.shape", "(100,100)", "a.shape"),
    ("len(x)", "(10,)", "len(v)"),
    ("x.sum()", "(10,)", "v.sum()"), ("np.sum(x)", "(10,)", "np.sum(v)"), ("x.sum()", "(100,100)", "a.sum()"),
    ("x.sum(axis=0)", "(100,100)", "a.sum(axis=0)"), ("np.sum(x, axis=1)", "(100,100)", "np.sum(a, axis=1)"),
    ("x.max()", "(10,)", "v.max()"), ("np.max(x, axis=1)", "(100,100)", "np.max(a, axis=1)"),
    ("x.mean()", "(100,100)", "a.mean()"), ("np.argmax(x)", "(10,)", "np.argmax(v)"),
    ("x.argmax(axis=1)", "(100,100)", "a.argmax(axis=1)"),
    ("np.zeros(10)", "(10,)", "np.zeros(10)"), ("np.zeros((100, 100))", "(100,100)", "np.zeros((100, 100))"),
    ("np.ones(10)", "(10,)", "np.ones(10)"), ("np.zeros_like(x)", "(100,100)", "np.zeros_like(a)"),
    ("np.array([f, f, f])", "(3,)", "np.array([f, f, f])"), ("np.arange(10)", "(10,)", "np.arange(10)"),
    ("np.empty((100, 100))", "(100,100)", "np.empty((100, 100))"),
    ("x.dot(y)", "(10,)", "v.dot(w)"), ("np.dot(x, y)", "(10,)", "np.dot(v, w)"),
    ("x.dot(row)", "(100,100)", "a.dot(r)"),
    ("np.where(m, x, y)", "(10,)", "np.where(c, v, w)"),
    ("np.where(x > f, x, 0)", "(100,100)", "np.where(a > f, a, 0)"),
    ("x.astype(np.float32)", "(10,)", "v.astype(np.float32)"),
    ("x.astype(np.float32)", "(100,100)", "a.astype(np.float32)"),
    ("np.concatenate([x, y])", "(10,)", "np.concatenate([v, w])"),
    ("np.concatenate([x, y], axis=1)", "(100,100)", "np.concatenate([a, b], axis=1)"),
    ("np.sqrt(np.sum((x - y) ** 2))", "(10,)", "np.sqrt(np.sum((v - w) ** 2))"),
]


def _per_op_names(np):
    rng = numpy.random.default_rng(0)
    v, w, a, b, r = rng.random(10), rng.random(10), rng.random((100, 100)), rng.random((100, 100)), rng.random(100)
    names = {"np": np, "v": np.asarray(v), "w": np.asarray(w), "a": np.asarray(a), "b": np.asarray(b),
             "r": np.asarray(r), "c": np.asarray(v > 0.5), "z": np.asarray(numpy.float64(1.5)), "i": 3, "j": 4,
             "f": 0.25}
    names["s"] = numpy.float64(0.75)
    return names


def _loop(stmt, names):
    """A function that runs `stmt` n times, the names bound as its locals (as in a user's function)."""
    params = ", ".join(f"{k}={k}" for k in names)
    g = dict(names)
    exec(compile(f"def _run(n, {params}):\n    for _ in range(n):\n        {stmt}\n", "<per-op>", "exec"), g)
    return g["_run"]


def _cpu_us(fn, n):
    t = time.process_time()
    fn(n)
    return (time.process_time() - t) / n * 1e6


def _repeats(fn, target=0.01):
    fn(1)  # the first call's one-time work (auto's first-use calibration of the call kind) is not the op's cost
    n = 16
    while True:
        t = time.process_time()
        fn(n)
        dt = time.process_time() - t
        if dt >= target / 4 or n >= 1 << 22:
            return max(16, int(n * target / max(dt, 1e-9)))
        n *= 4


def per_op_table(rounds=5, only=None, out=print):
    """Time each PER_OP row on NumPy and on minpy_array.numpy, alternating; return the rows."""
    import minpy_array.numpy as mnp

    rows = []
    for label, operands, stmt in PER_OP:
        if only and only not in label and only not in stmt:
            continue
        fns = {"numpy": _loop(stmt, _per_op_names(numpy)), "minpy": _loop(stmt, _per_op_names(mnp))}
        ns = {k: _repeats(f) for k, f in fns.items()}
        best = {k: float("inf") for k in fns}
        for _ in range(rounds):
            for k, f in fns.items():
                best[k] = min(best[k], _cpu_us(f, ns[k]))
        npt, ours = best["numpy"], best["minpy"]
        ok = ours <= npt + 1.0 if npt <= 2.0 else ours <= 1.5 * npt
        rows.append({"op": label, "operands": operands, "numpy": npt, "minpy": ours, "ok": ok})
        out(f"{label:<32}{operands:>11}{npt:>10.2f}{ours:>10.2f}{ours - npt:>+9.2f}{ours / npt:>8.2f}"
            f"{'  ok' if ok else '  OVER':>7}")
    return rows


def per_op_main(rounds=5, only=None):
    import os
    import platform

    load = os.getloadavg()
    print(f"per-op: {platform.processor() or platform.machine()}, {os.cpu_count()} cpus, load {load[0]:.2f} "
          f"{load[1]:.2f} {load[2]:.2f}, Python {platform.python_version()}, NumPy {numpy.__version__}; process CPU "
          f"time, best of {rounds} alternating rounds, us per op")
    head = f"{'op':<32}{'operands':>11}{'numpy':>10}{'minpy':>10}{'diff':>9}{'ratio':>8}{'budget':>7}"
    print(head)
    print("-" * len(head))
    rows = per_op_table(rounds, only)
    over = [r for r in rows if not r["ok"]]
    print(f"\n{len(rows) - len(over)} of {len(rows)} rows within budget (NumPy + 1 us, or 1.5x where NumPy takes "
          f"over 2 us)" + (": over: " + ", ".join(f"{r['op']} {r['operands']}" for r in over) if over else ""))
    print(_override_floor(rounds))
    return rows


class _ReturnsAtOnce:
    """An array type whose __array_ufunc__ does nothing: what NumPy's own dispatch to any such type costs."""

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        return self


def _override_floor(rounds):
    """`s * x` with a NumPy scalar s reaches any array type that defines __array_ufunc__ through NumPy's scalar
    code, its array operator and its ufunc override machinery; the same call on a type whose __array_ufunc__
    returns at once times that path alone."""
    s, d, a = numpy.float64(2.0), _ReturnsAtOnce(), numpy.arange(10.0)
    fns = {"floor": lambda n: [s * d for _ in range(n)], "numpy": lambda n: [s * a for _ in range(n)]}
    ns = {k: _repeats(f) for k, f in fns.items()}
    best = {k: min(_cpu_us(f, ns[k]) for _ in range(rounds)) for k, f in fns.items()}
    return (f"NumPy's own dispatch of s * x to an __array_ufunc__ that returns at once: {best['floor']:.2f} us "
            f"(NumPy's s * x on a (10,) ndarray: {best['numpy']:.2f} us)")


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
    # (the last two: benchmarks/mlp.py's products at H=256, a layer's forward one and its weight gradient's a^T @ g)
    for m, k, n, at in ((1024, 1024, 1024, False), (64, 512, 512, False), (64, 1024, 1024, False),
                        (64, 256, 256, False), (256, 64, 256, True)):
        a = rng.random((k, m), dtype="float32").T if at else rng.random((m, k), dtype="float32")
        b = rng.random((k, n), dtype="float32")
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
        rates = ", ".join(f"{name} {t:.0f} us = {2 * m * k * n / t / 1e3:.0f} GFLOP/s" for name, t in best.items())
        print(f"  ({m},{k}){' (F)' if at else ''} @ ({k},{n}): {rates}")


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


def lent_cost_section():
    """What a lent call costs over the borrowed library's own call on the same buffers: every kind placed on torch
    (calibration told so through its MEASURE hook, nothing timed), the call through minpy_array against torch's
    call on tensors over the same NumPy memory, alternating rounds of CPU time, best of each."""
    from minpy_array import _calibrate
    from minpy_array.ops import _torch

    if not _torch.available():
        print("\nlent calls: torch is not installed")
        return
    torch = _torch.load()
    os.environ["MINPY_ARRAY_CACHE_DIR"] = tempfile.mkdtemp(prefix="minpy_array_bench_")
    saved = _calibrate.MEASURE[0]
    _calibrate.MEASURE[0] = lambda op, key, args, kw, cands: {
        "numpy": [2.0] * 4, **{b.NAME: [1.0 if b.NAME == "torch" else 3.0] * 4 for b in cands}}
    _calibrate.reset()
    rng = numpy.random.default_rng(0)
    a, w = (rng.standard_normal(s).astype("float32") for s in ((64, 256), (256, 256)))
    ta, tw = torch.from_numpy(a), torch.from_numpy(w)
    ma, mw = mnp.asarray(a), mnp.asarray(w)
    calls = [("exp (64,256)", lambda: mnp.exp(ma), lambda: torch.exp(ta).numpy()),
             ("x * 0.5 (64,256)", lambda: ma * 0.5, lambda: (ta * 0.5).numpy()),
             ("(64,256) @ (256,256)", lambda: ma @ mw, lambda: torch.matmul(ta, tw).numpy())]
    try:
        print("\nlent calls (every kind placed on torch), us per call, CPU time, best of 5 alternating rounds:")
        print(f"  {'call':<28}{'minpy_array':>12}{'torch':>8}{'over':>8}")
        for label, ours, theirs in calls:
            for _ in range(3):
                ours()  # placed, then lent
            times = {"ours": [], "torch": []}
            for _ in range(5):
                times["ours"].append(cpu_best_us(ours, rounds=1))
                times["torch"].append(cpu_best_us(theirs, rounds=1))
            t_ours, t_torch = min(times["ours"]), min(times["torch"])
            print(f"  {label:<28}{t_ours:>12.1f}{t_torch:>8.1f}{t_ours - t_torch:>+8.1f}")
    finally:
        _calibrate.MEASURE[0] = saved
        _calibrate.reset()


if __name__ == "__main__":
    args = sys.argv[1:]
    section = args[args.index("--only") + 1] if "--only" in args else "all"
    if "--calibration" in args:
        section = "calibration"
    n_rounds = int(args[args.index("--rounds") + 1]) if "--rounds" in args else 5
    text = args[args.index("--filter") + 1] if "--filter" in args else None
    if section in ("all", "backends"):
        main()
        print()
    if section in ("all", "per-op"):
        per_op_main(n_rounds, text)
    if section in ("all", "calibration"):
        gemm_section()
        calibration_section()
        lent_cost_section()
