"""The C accelerator of the host fast paths (minpy_array/_speedups.c, loaded by _native.py): it is built and in use
here, and a sweep over the operators, indexing, in-place operators, face functions and methods, over dtypes, faces,
scalars and policies, on cpu arrays and on arrays of two accelerator devices (torch:cpu, sim:0: the device fast
path), gives the same outcome with it as without it (a second process, MINPY_ARRAY_PURE_PYTHON=1):
the same result (type, face, dtype, shape, values, bytes), the same error, the same warnings, the same op_stats.

Run as a script, this file prints the sweep's outcomes as JSON (what the test reads from the Python-only process)."""
import itertools
import json
import math
import operator
import os
import subprocess
import sys
import warnings

import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array import _native
from minpy_array._array import MinArray
from minpy_array.autodiff import grad

DTYPES = ("float64", "float32", "int64", "int8", "uint8", "bool", "complex128")
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "truediv": operator.truediv,
          "floordiv": operator.floordiv, "mod": operator.mod, "pow": operator.pow, "and": operator.and_,
          "or": operator.or_, "xor": operator.xor, "lshift": operator.lshift, "rshift": operator.rshift,
          "matmul": operator.matmul, "eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
          "gt": operator.gt, "ge": operator.ge}
IN_PLACE = {"iadd": operator.iadd, "isub": operator.isub, "imul": operator.imul, "itruediv": operator.itruediv,
            "ipow": operator.ipow, "iand": operator.iand}
UNARY = {"neg": operator.neg, "pos": operator.pos, "abs": operator.abs, "invert": operator.invert}
SCALARS = {"f": 1.5, "f_big": 1e39, "f_nan": float("nan"), "i": 3, "i_neg": -2, "i_big": 2 ** 70, "i_300": 300,
           "b": True, "c": 1 + 2j, "np_f64": numpy.float64(2.5), "np_f32": numpy.float32(2.5),
           "np_i8": numpy.int8(5), "two": 2, "minus_one": -1, "half": 0.5}
KEYS = {"int": 1, "neg": -1, "slice": slice(1, 3), "tuple_int": (0, 1), "tuple_slice": (slice(None), 1),
        "none": None, "ellipsis": Ellipsis, "np_int": numpy.int64(1), "bool": True, "list": [0, 1],
        "out_of_range": 10, "float": 1.5}


def _arrays(face):
    """name -> a fresh array of each dtype and shape (the NumPy face's, or the spec namespace's)."""
    make = mnp.asarray if face else mp.asarray
    out = {}
    for dt in DTYPES:
        base = numpy.arange(6).reshape(2, 3) % 3 + (1 if dt != "bool" else 0)
        out[f"{dt}_2d"] = lambda base=base, dt=dt: make(base.astype(dt))
        out[f"{dt}_1d"] = lambda base=base, dt=dt: make(base[0].astype(dt))
        out[f"{dt}_0d"] = lambda base=base, dt=dt: make(base[0, 1].astype(dt))
    return out


def describe(v):
    """An outcome as plain data: what it is, its face, dtype, shape, values and bytes."""
    if isinstance(v, MinArray):
        h = v.asnumpy()
        return ["MinArray", bool(v._face), str(h.dtype), list(h.shape), str(v.device), v._node is None,
                repr(h.tolist()), h.tobytes().hex() if h.dtype != object else None]
    if isinstance(v, numpy.generic):
        return [type(v).__name__, repr(v), v.tobytes().hex()]
    if isinstance(v, (tuple, list)):
        return [type(v).__name__, [describe(e) for e in v]]
    return [type(v).__name__, repr(v)]


def outcome(fn):
    mp.reset_op_stats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            got = describe(fn())
        except Exception as e:  # the error is part of the outcome
            got = ["raised", type(e).__name__, str(e)]
    stats = {op: {k: n for k, n in row.items() if n} for op, row in mp.op_stats().items()}
    return [got, sorted(f"{w.category.__name__}: {w.message}" for w in caught), stats]


def _binary_cases(arrays):
    for (xn, x), (name, f) in itertools.product(arrays.items(), BINARY.items()):
        for on, o in itertools.chain(arrays.items(), SCALARS.items()):
            if on in arrays:
                if not (xn.split("_")[0] == on.split("_")[0] or xn.endswith("0d") or on.startswith("float64")):
                    continue  # mixed dtypes: a few pairs each (the fast paths take the same dtype only)
                yield f"{xn} {name} {on}", lambda x=x, o=o, f=f: f(x(), o())
            else:
                yield f"{xn} {name} {on}", lambda x=x, o=o, f=f: f(x(), o)
                yield f"{on} {name} {xn}", lambda x=x, o=o, f=f: f(o, x())


def _other_cases(arrays):
    for (xn, x), (name, f) in itertools.product(arrays.items(), UNARY.items()):
        yield f"{name} {xn}", lambda x=x, f=f: f(x())
    for (xn, x), (name, f) in itertools.product(arrays.items(), IN_PLACE.items()):
        for on, o in itertools.chain(((xn, x),), SCALARS.items()):
            def run(x=x, o=o, f=f, on=on):
                a = x()
                r = f(a, o() if on == xn else o)
                return [r is a, a]
            yield f"{xn} {name}= {on}", run
    for (xn, x), (kn, k) in itertools.product(arrays.items(), KEYS.items()):
        yield f"{xn}[{kn}]", lambda x=x, k=k: x()[k]
        for vn in ("f", "i", "i_300", "i_big", "np_f32", "b"):
            def put(x=x, k=k, v=SCALARS[vn]):
                a = x()
                a[k] = v
                return a
            yield f"{xn}[{kn}] = {vn}", put
        yield f"{xn}[{kn}] = array", lambda x=x, k=k: _put_array(x(), k)
        yield f"{xn}[mask]", lambda x=x: (lambda a: a[a > 1])(x())
    for (xn, x), (cn, c) in itertools.product(arrays.items(), _CALLS.items()):
        yield f"{cn}({xn})", lambda x=x, c=c: c(x())
    for (xn, x), (gn, g) in itertools.product(arrays.items(), GRADS.items()):
        if xn.startswith(("float", "complex")):
            yield f"grad {gn}({xn})", lambda x=x, g=g: grad(g)(x())
    creation = {"zeros": lambda: mnp.zeros(3), "zeros_f32": lambda: mnp.zeros((2, 2), dtype="float32"),
                "ones": lambda: mnp.ones(3), "empty_shape": lambda: mnp.empty((2, 0)).shape,
                "arange": lambda: mnp.arange(5), "array": lambda: mnp.array([1.5, 2.5]),
                "full": lambda: mnp.full(2, 7), "rng": lambda: type(mnp.random.default_rng(0)).__name__,
                "bad_shape": lambda: mnp.zeros(-1), "bad_kw": lambda: mnp.sum(mnp.ones(3), bogus=1)}
    for cn, c in creation.items():
        yield cn, c


def _loop(a):
    """A per-element loop with setitem, as student code writes it."""
    out = mnp.zeros(a.shape, dtype=a.dtype)
    for i in range(a.shape[0] if a.ndim else 0):
        out[i] = a[i] * 2.0 + out[i - 1] * (i > 0)
    return out.sum() + (a * 1.0).sum()


def _put_array(a, k):
    a[k] = mnp.asarray(numpy.ones((), a.dtype))
    return a


_CALLS = {"sum": lambda a: mnp.sum(a), "sum_axis": lambda a: mnp.sum(a, axis=0),
          "sum_kw_out": lambda a: mnp.sum(a, out=None), "exp": lambda a: mnp.exp(a),
          "maximum": lambda a: mnp.maximum(a, 0), "where": lambda a: mnp.where(a > 1, a, 0),
          "concatenate": lambda a: mnp.concatenate([a, a]), "concatenate_tuple": lambda a: mnp.concatenate((a, a)),
          "dot": lambda a: mnp.dot(a, a), "reshape": lambda a: mnp.reshape(a, (-1,)),
          "transpose": lambda a: mnp.transpose(a), "argmax": lambda a: mnp.argmax(a),
          "m_sum": lambda a: a.sum(), "m_sum_axis": lambda a: a.sum(axis=-1), "m_max": lambda a: a.max(),
          "m_sum_tuple": lambda a: a.sum((0,)), "m_reshape": lambda a: a.reshape(-1),
          "m_reshape_tuple": lambda a: a.reshape((1, -1)), "m_reshape_order": lambda a: a.reshape(-1, order="F"),
          "m_transpose": lambda a: a.transpose(), "m_astype": lambda a: a.astype("float32"),
          "m_astype_copy": lambda a: a.astype("int8", copy=False), "m_dot": lambda a: a.dot(a),
          "m_ravel": lambda a: a.ravel(), "m_argmax": lambda a: a.argmax(), "len": len, "T": lambda a: a.T,
          "round": lambda a: mnp.round(a, 1), "item": lambda a: a[(0,) * a.ndim] * 2,
          "numpy_exp": lambda a: numpy.exp(a), "numpy_add": lambda a: numpy.add(a, a),
          "numpy_add_out": lambda a: numpy.add(a, a, out=a), "numpy_add_reduce": lambda a: numpy.add.reduce(a),
          "numpy_sum": lambda a: numpy.sum(a), "numpy_scalar_left": lambda a: numpy.float32(2) * a}
GRADS = {"operators": lambda a: (a * a + 2.0 * a - a / 3.0 + a ** 2).sum(),
         "indexing": lambda a: a[0] * a[-1] + a[..., 0].sum() + a[(0,) * a.ndim],
         "face": lambda a: mnp.sum(mnp.exp(a) * mnp.maximum(a, 1.5)) + mnp.dot(a.ravel(), a.ravel()),
         "numpy": lambda a: numpy.sum(numpy.tanh(a) * a), "loop": _loop,
         # traced calls with keywords (recorded in C with them), a NumPy scalar result, a sequence op with a keyword
         "keywords": lambda a: ((mnp.max(a, axis=-1, keepdims=True) * mnp.sum(a, axis=0, keepdims=True)).sum()
                                + mnp.mean(a * a, axis=None) + mnp.stack(a, axis=0).sum() + -mnp.sum(a) / 3
                                + mnp.add(a, a, dtype=a.dtype).sum()) if a.ndim else mnp.sum(a, keepdims=True),
         # the tape's paths: a list argument, a multi-output op with one VJP for all, a cast, a nested gradient
         "tape": lambda a: (mnp.stack([a, a * 2.0]).sum() + mnp.array_split(a.ravel(), 2)[0].sum()
                            + a.astype("float32").sum() + grad(lambda b: (b ** 3).sum())(a).sum())}


DEVICE_BINARY = ("add", "sub", "mul", "truediv", "floordiv", "pow", "and", "matmul", "eq", "lt", "ge")
DEVICE_CALLS = ("sum", "sum_axis", "sum_kw_out", "exp", "maximum", "where", "dot", "reshape", "transpose", "argmax",
                "m_sum", "m_sum_axis", "m_max", "m_sum_tuple", "m_reshape", "m_transpose", "m_astype", "m_dot", "T",
                "round", "numpy_exp", "numpy_add")


def _device_cases(arrays):
    """The device fast path (device_call, _dispatch._device_fast): operators against arrays and scalars, unary
    operators, face functions and methods, gradients, on arrays of one accelerator device."""
    for (xn, x), name in itertools.product(arrays.items(), DEVICE_BINARY):
        f = BINARY[name]
        for on, o in arrays.items():
            if xn.split("_")[0] == on.split("_")[0] or on.endswith("0d"):
                yield f"{xn} {name} {on}", lambda x=x, o=o, f=f: f(x(), o())
        for on in ("f", "f_big", "f_nan", "i", "np_f32"):
            o = SCALARS[on]
            yield f"{xn} {name} {on}", lambda x=x, o=o, f=f: f(x(), o)
            yield f"{on} {name} {xn}", lambda x=x, o=o, f=f: f(o, x())
    for (xn, x), (name, f) in itertools.product(arrays.items(), UNARY.items()):
        yield f"{name} {xn}", lambda x=x, f=f: f(x())
    for xn, x in arrays.items():
        for name in ("iadd", "isub", "imul", "itruediv"):
            f = IN_PLACE[name]
            for on in ("f", "i", "np_f32"):
                yield f"{xn} {name}= {on}", lambda x=x, f=f, o=SCALARS[on]: (lambda a: [f(a, o) is a, a])(x())
            yield f"{xn} {name}= itself", lambda x=x, f=f: (lambda a: [f(a, a) is a, a])(x())
            yield f"{xn} {name}= another", lambda x=x, f=f: (lambda a: [f(a, x()) is a, a])(x())
            yield f"{xn} {name}= a view of it", lambda x=x, f=f: (lambda a: [f(a, a.T.T) is a, a])(x())
            yield f"broadcast {xn} {name}= 1.0", lambda x=x, f=f: f(mnp.broadcast_to(x(), (2, *x().shape)), 1.0)
            yield f"broadcast {xn} to its shape {name}= 1.0", lambda x=x, f=f: (
                lambda a: f(mnp.broadcast_to(a, a.shape), 1.0))(x())
        for cn in DEVICE_CALLS:
            yield f"{cn}({xn})", lambda x=x, c=_CALLS[cn]: c(x())
        if xn.startswith("float"):
            for gn, g in GRADS.items():
                if gn in ("operators", "face", "tape"):
                    yield f"grad {gn}({xn})", lambda x=x, g=g: grad(g)(x())


def _on(device, arrays):
    return {k: (lambda f=f: f().to_device(device)) for k, f in arrays.items()
            if k.split("_")[0] in ("float32", "float64", "int64", "bool")}


def cases():
    yield from _binary_cases(_arrays(True))
    yield from _other_cases(_arrays(True))
    spec = _arrays(False)  # the spec's face: 0-d arrays, not NumPy scalars
    yield from (("spec " + n, f) for n, f in _binary_cases({k: v for k, v in spec.items() if "64" in k}))
    yield from (("spec " + n, f) for n, f in _other_cases({k: v for k, v in spec.items() if "float64" in k}))
    for device in ("torch:cpu", "sim:0"):
        yield from ((f"{device} {n}", f) for n, f in _device_cases(_on(device, _arrays(True))))
        yield from ((f"{device} spec {n}", f) for n, f in _device_cases(
            {k: v for k, v in _on(device, _arrays(False)).items() if k.startswith("float32")}))


def outcomes(policies=("auto", "numpy_only", "prefer_torch")):
    out = {}
    for policy in policies:
        with mp.policy(policy):
            for name, fn in cases():
                out[f"{policy}: {name}"] = outcome(fn)
    return out


def test_the_c_accelerator_is_built_and_in_use():
    # (MINPY_ARRAY_PURE_PYTHON=1 runs the Python paths: then there is nothing to check here)
    if os.environ.get("MINPY_ARRAY_PURE_PYTHON", "") not in ("", "0"):
        pytest.skip("MINPY_ARRAY_PURE_PYTHON is set: this process runs the Python paths on purpose")
    assert _native.speedups is not None, "minpy_array/_speedups.c was not built (pip install -e . builds it)"
    assert isinstance(MinArray.__dict__["sum"], _native.speedups.Method)
    assert "__getitem__" not in MinArray.__dict__ and "__add__" not in MinArray.__dict__  # Base's slots
    assert isinstance(mnp.sum, _native.speedups.Call) and isinstance(mnp.exp, _native.speedups.Call)


def test_with_and_without_the_c_accelerator_every_outcome_is_the_same():
    env = dict(os.environ, MINPY_ARRAY_PURE_PYTHON="1")
    p = subprocess.run([sys.executable, __file__], capture_output=True, text=True, env=env, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    python = json.loads(p.stdout)
    ours = json.loads(json.dumps(outcomes()))
    assert ours.keys() == python.keys()
    differ = [f"{k}:\n  C:      {ours[k]}\n  Python: {python[k]}" for k in ours if ours[k] != python[k]]
    assert not differ, f"{len(differ)} of {len(ours)} outcomes differ:\n" + "\n".join(differ[:8]) + "\n" + \
        "\n".join(d.split(":\n")[0] for d in differ[8:200])
    assert len(ours) > 10000


def _signatures():
    """(args, kw) calls of many signatures: arrays of several dtypes and shapes on torch:cpu, beside Python numbers
    that compare equal across types and signs (1, 1.0, True; 0.0, -0.0), NaN, huge values, axes and NumPy
    scalars, dtypes and ufuncs, with and without keywords."""
    arrays = [mnp.asarray(numpy.ones(shape, dt)).to_device("torch:cpu")
              for dt in ("float32", "float64", "int64", "bool") for shape in ((), (3,), (2, 3), (1, 3), (2, 1, 3))]
    others = [0.0, -0.0, 1, 1.0, True, False, -1, 2, float("nan"), 1e39, 2 ** 70, None, (0,), (1, 0), (), "C",
              numpy.float32(1), numpy.dtype("float32"), numpy.greater, numpy.less, [0, 1]]
    for a in arrays:
        yield (a,), {}
        yield (a,), {"keepdims": True}
        for o in others:
            yield (a, o), {}
            yield (o, a), {}
            yield (a, o), {"axis": 0}
            yield (a, o, o), {}
            yield (a, a, o, numpy.greater), {}
        for b in arrays[:6]:
            yield (a, b), {}
            yield (b, a, 0.0, numpy.less), {}


@pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no C engine to compare")
def test_remembered_guard_verdicts_are_the_guards_own():
    # the C engine remembers the verdicts of the guards marked _guards.by_signature, keyed by the call's signature:
    # for every such guard of the torch and MXNet tables (where MXNet imports) the remembered verdict (asked twice)
    # is the guard's own
    from minpy_array.ops import _guards, _mxnet, mxnet_ops, torch_ops

    admits = _native.speedups.admits
    tables = [torch_ops.kernels()] + ([mxnet_ops.kernels()] if _mxnet.available() else [])  # (none with NumPy 2)
    guards = {id(g): g for table in tables for _, g in table.values() if g in _guards.BY_SIGNATURE}
    assert len(guards) >= 20
    calls = list(_signatures())
    checked = 0
    for g in guards.values():
        for args, kw in calls:
            dts = [a.dtype for a in args if isinstance(a, MinArray)]
            try:
                want = bool(g(dts, args, kw))
            except Exception as e:  # an error is the guard's own each time, never remembered
                want = type(e)
            for _ in range(2):
                try:
                    got = admits(g, args, kw)
                except Exception as e:
                    got = type(e)
                assert got == want, (g.__qualname__, args, kw)
            checked += 1
    assert checked > 50000

    # values that compare equal as dict keys are told apart: a zero's sign, a number's type
    seen = []

    @_guards.by_signature
    def picky(dts, args, kw):
        seen.append(args[1])
        v = args[1]
        return type(v) is float and math.copysign(1.0, v) > 0

    try:
        x = calls[0][0][0]
        for v, want in ((0.0, True), (-0.0, False), (1, False), (1.0, True), (True, False), (0.0, True),
                        (-0.0, False), (1.0, True)):
            assert admits(picky, (x, v), {}) is want, v
        assert len(seen) == 5  # the last three remembered
    finally:
        _guards.BY_SIGNATURE.discard(picky)


@pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no C engine to compare")
def test_the_c_toposort_orders_records_as_the_python_one():
    # graphs with shared inputs, multi-output records (their outputs' records have a head), a nested gradient and
    # list arguments: the backward pass's order decides the order in which cotangents add up, so it must be the same
    from minpy_array.autodiff import tape

    graphs = [lambda a: (a * a + mnp.sin(a) * a).sum(),
              lambda a: (mnp.linalg.svd(a)[1] * 2 + mnp.linalg.svd(a)[0].sum()).sum(),
              lambda a: mnp.stack([a, a * 2, mnp.exp(a)]).sum() + (a @ a.T).sum(),
              lambda a: grad(lambda b: (b * a).sum())(a * 3).sum(),
              lambda a: mnp.maximum(a, 2.0).sum() + mnp.concatenate([a, a]).max()]
    x = mnp.asarray(numpy.arange(1.0, 7.0).reshape(2, 3))
    compared = 0
    for f in graphs:
        level = tape.new_level()
        root = tape.node_at(f(tape.box(x, level)), level)
        roots = [root.head or root]
        want = tape.toposort_py(roots)
        assert _native.speedups.toposort(roots) == want
        compared += len(want)
    assert compared > 30


def test_the_c_paths_keep_no_reference():
    # a reference kept per call (a result, an operand, an error) would grow traced memory by 50+ bytes a call
    import gc
    import tracemalloc

    from minpy_array import _dispatch

    x, y, s = mnp.arange(10.0), mnp.ones(10), numpy.float64(2)
    mask, spec = x > 3, mp.ones(3)
    calls = [lambda: x + y, lambda: 2.0 + x, lambda: x > 1.0, lambda: -x, lambda: x ** 2, lambda: x.__iadd__(0.0),
             lambda: x[2:5], lambda: x[3], lambda: x[mask], lambda: x.__setitem__(3, 1.0), lambda: mnp.sum(x),
             lambda: x.sum(), lambda: mnp.concatenate([x, y]), lambda: mnp.zeros(3), lambda: numpy.exp(x),
             lambda: s * x, lambda: _dispatch.apply("add", x, y), lambda: x.reshape(2, 5), lambda: spec + spec,
             lambda: x + mnp.ones(3), lambda: x[20], lambda: grad(lambda a: (a * a + a[0]).sum())(x)]
    # the device fast paths (device_call, device_in_place), on torch:cpu arrays
    xd, yd = x.to_device("torch:cpu"), y.to_device("torch:cpu")
    calls += [lambda: xd + yd, lambda: 2.0 * xd, lambda: -xd, lambda: xd.__isub__(0.5), lambda: xd.__iadd__(yd),
              lambda: mnp.sum(xd, axis=0), lambda: xd.sum(), lambda: mnp.maximum(xd, 0.0), lambda: numpy.exp(xd),
              lambda: _dispatch.apply("swapaxes", xd.reshape(2, 5), 0, 1), lambda: xd + mnp.ones(3),
              lambda: mnp.broadcast_to(xd, (10,)).__isub__(1.0), lambda: grad(lambda a: (a * a).sum())(xd)]
    # scaled arrays: made and fused, made and dropped, made and computed
    wb, gb = mnp.ones(5000, "float32"), mnp.ones(5000, "float32")
    calls += [lambda: wb.__isub__(0.01 * gb), lambda: 0.5 * gb, lambda: (0.5 * gb).sum()]
    for i, f in enumerate(calls):
        def many(n):
            for _ in range(n):
                try:
                    f()
                except (ValueError, IndexError):
                    pass
            _ = x._data  # (a scaled array left pending settles: its buffer is not held across the measure)
        many(100)
        gc.collect()
        tracemalloc.start()
        try:
            before = tracemalloc.get_traced_memory()[0]
            many(3000)
            gc.collect()
            grown = tracemalloc.get_traced_memory()[0] - before
        finally:
            tracemalloc.stop()
        assert grown < 16000, f"call {i}: traced memory grew by {grown} bytes over 3000 calls"


if __name__ == "__main__":
    json.dump(outcomes(), sys.stdout)


@pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no C engine to compare")
@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "complex64", "complex128"])
def test_all_finite_is_numpys_isfinite_all(dtype):
    """_speedups.all_finite (the borrowed products' check, ops/_guards._finite) answers numpy.isfinite(a).all() for
    every size around its blocks of 4096 values and a non-finite value anywhere (either part of a complex one), and
    None where it does not read the buffer (not C-contiguous, not a float)."""
    check = _native.speedups.all_finite
    rng = numpy.random.default_rng(0)
    info = numpy.finfo(dtype)
    for n in (0, 1, 7, 4095, 4096, 4097, 8192 + 5):
        base = (rng.standard_normal(n) * 3).astype(dtype)
        base[:min(n, 3)] = (info.max, info.tiny, -0.0)[:min(n, 3)]  # the extremes of the finite values
        assert check(base) is True and check(base.reshape(1, n)) is True
        for pos in sorted({0, n // 2, 4095, 4096, n - 1} & set(range(n))):
            for bad in (numpy.inf, -numpy.inf, numpy.nan, 1j * numpy.inf, complex(numpy.nan, 0)):
                if numpy.iscomplexobj(bad) and not numpy.iscomplexobj(base):
                    continue
                a = base.copy()
                a[pos] = bad
                assert check(a) is bool(numpy.isfinite(a).all()) is False, (n, pos, bad)
    a = numpy.ones((8, 8), dtype)
    a[1, 2] = numpy.nan
    for other in (a.T, a[:, ::2], numpy.arange(5), numpy.ones(3, bool), b"abc", 1.5):
        assert check(other) is None


@pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no C engine to compare")
def test_select_in_one_pass_is_the_composition(monkeypatch):
    """numpy_ops._select (the maximum/minimum VJP) through _speedups.select_into gives the NumPy composition's
    array bit for bit (dtype, NaN and inf in g, NaN and ties in x, signed zeros) for every y it takes (a number
    exact in the dtype, an array of one element or of g's shape), on both sides of the size where it lets other
    threads run; and where it declines (other dtypes, layouts, shapes, numbers NumPy would round) the composition
    answers."""
    from minpy_array.ops import numpy_ops

    into = numpy_ops._select_into

    def both(g, x, y, wins):
        fused = numpy_ops._select(g, x, y, wins)
        with monkeypatch.context() as m:
            m.setattr(numpy_ops, "_select_into", None)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # (inf * 0 in the composition)
                plain = numpy_ops._select(g, x, y, wins)
        assert fused.dtype == plain.dtype and fused.shape == plain.shape
        assert fused.tobytes() == plain.tobytes() or (
            numpy.array_equal(fused, plain, equal_nan=True)
            and (numpy.signbit(fused) == numpy.signbit(plain)).all()), (g.dtype, y, wins)
        return fused

    rng = numpy.random.default_rng(0)
    for dtype in ("float32", "float64"):
        for n in (1, 7, (1 << 16) + 3):
            g = rng.standard_normal(n).astype(dtype)
            x = rng.choice([-1.0, 0.0, -0.0, 0.5, 2.0, numpy.nan], n).astype(dtype)
            g[:min(n, 4)] = (numpy.inf, -numpy.inf, numpy.nan, -0.0)[:min(n, 4)]
            for y in (0.0, -0.0, 0.5, 2, -3, numpy.asarray(0.5, dtype), numpy.ones(1, dtype),
                      numpy.dtype(dtype).type(2), x[::-1].copy()):
                for wins in (numpy.greater, numpy.less):
                    out = numpy.empty_like(g)
                    assert into(out, g, x, y, wins is numpy.greater) is True, (dtype, n, y)
                    both(g, x, y, wins)
            assert into(numpy.empty((1, n), dtype), g.reshape(1, n), x.reshape(1, n), 0.0, True) is True
    g = numpy.ones((4, 6), "float32")
    x = numpy.arange(24, dtype="float32").reshape(4, 6) - 12
    declined = [(g, x, 0.1), (g, x, 1e300), (g, x, 2 ** 25 + 1), (g, x, True), (g, x, 1 + 0j), (g, x, numpy.nan),
                (g, x.astype("float64"), 0.0), (g.astype("float16"), x.astype("float16"), 0.0),
                (g, x, numpy.zeros(6, "float32")), (g, x, numpy.zeros((1, 1, 1), "float32")),
                (g, x[:, :1].copy(), 0.0), (g, x.T.copy().T, 0.0), (g.T.copy().T, x, 0.0),
                (g, x, numpy.float64(0.0)), (g, x, numpy.zeros(24, "float64").reshape(4, 6)),
                (g.astype("complex64"), x, 0.0)]
    for gg, xx, y in declined:
        assert into(numpy.empty_like(gg, order="C"), gg, xx, y, True) is False, (gg.dtype, xx.shape, y)
        both(gg, xx, y, numpy.greater)
    assert into(numpy.empty((4, 6), "float32")[:, :3], g[:, :3], x[:, :3], 0.0, True) is False


def _gemm_pair(monkeypatch, fallback, transposes):
    from minpy_array.ops import Decline, _blas, _torch

    fns = _torch.blas()
    if fns is None:
        assert not _torch.load().backends.mkl.is_available(), "torch has MKL, but its GEMM was not found or refused"
        pytest.skip("torch is built without MKL here (an ARM build): the cpu lends torch.matmul, no GEMM to compare")
    c = _blas.gemm(fns, fallback, Decline, transposes)
    with monkeypatch.context() as m:
        m.setattr(_blas, "_Gemm", None)
        py = _blas.gemm(fns, fallback, Decline, transposes)
    return c, py


@pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no C engine to compare")
def test_a_gemm_in_c_is_its_python_definition(monkeypatch):
    """ops/_blas.gemm in C (_speedups.Gemm) gives what its Python definition gives on torch's GEMMs: the same result,
    or the same call handed to the fallback, or the same error, for every layout, dtype, shape and flag it reads in
    place or refuses; its results are NumPy's products to float tolerance, and a non-finite one declines."""
    from minpy_array.ops import Decline

    def fallback(*args, **kw):
        return ("fallback", len(args), tuple(sorted(kw)))

    class Close:  # values to float tolerance: MKL's order of operations may follow its output's alignment
        def __init__(self, r):
            self.r = r

        def __eq__(self, other):
            return numpy.allclose(self.r, other.r, rtol=1e-6, atol=1e-6)

    def outcome(f, args, kw):
        try:
            r = f(*args, **kw)
        except Exception as e:  # (the error is the outcome compared)
            return ("error", type(e))
        if type(r) is tuple:
            return r
        return (type(r), r.dtype, r.shape, r.flags.c_contiguous, Close(r))

    rng = numpy.random.default_rng(0)

    def layouts(dt):  # (each made in its dtype: astype would copy a view into a C-ordered array)
        def n(*shape):
            return rng.standard_normal(shape).astype(dt)
        wide = n(7, 9)
        lefts = {"C": n(3, 5), "F": numpy.asfortranarray(n(3, 5)), "rows of a wider one": wide[:3, :5],
                 "columns of a wider one": wide[:5, :3].T, "stepped": wide[:3, ::2], "reversed": wide[2::-1, :5],
                 "row": n(1, 5), "column": n(3, 1), "empty": n(0, 5), "3-d": n(2, 3, 5), "1-d": n(5)}
        rights = {"C": n(5, 4), "F": numpy.asfortranarray(n(5, 4)), "T": n(4, 5).T,
                  "rows of a wider one": wide[:5, 2:6], "column": n(5, 1), "k=1": n(1, 4), "wrong k": n(6, 4),
                  "empty": n(5, 0)}
        return lefts, rights

    unaligned = numpy.frombuffer(bytearray(4 * 15 + 1), "float32", 15, offset=1).reshape(3, 5)
    lefts, rights = layouts("float32")
    ro = lefts["C"].copy()
    ro.flags.writeable = False
    cases = []
    for dt in ("float32", "float64", "float16", "complex64", "int32"):
        ls, rs = layouts(dt)
        cases += list(itertools.product(ls.values(), rs.values()))
    cases += [(lefts["C"], rights["C"].astype("float64")), (lefts["C"].astype(">f4"), rights["C"].astype(">f4")),
              (unaligned, rights["C"]), (ro, rights["C"]), (lefts["C"].tolist(), rights["C"])]
    for transposes in (False, True):
        c, py = _gemm_pair(monkeypatch, fallback, transposes)
        assert type(c) is _native.speedups.Gemm and type(py) is not _native.speedups.Gemm
        computed = 0
        for a, b in cases:
            flag_sets = list(itertools.product((False, True), repeat=2)) if transposes else [()]
            for flags in flag_sets:
                x, y = (a.T if flags and flags[0] and isinstance(a, numpy.ndarray) and a.ndim == 2 else a,
                        b.T if flags and flags[1] and b.ndim == 2 else b)
                args = (x, y, *flags)
                got = outcome(c, args, {})
                assert got == outcome(py, args, {}), (a.dtype if hasattr(a, "dtype") else a, b.dtype, flags)
                if got[0] is numpy.ndarray:
                    computed += 1
                    want = numpy.matmul(a, b)
                    r = c(*args)
                    assert r.dtype == want.dtype and r.flags.c_contiguous
                    numpy.testing.assert_allclose(r, want, rtol=1e-5 if r.dtype == numpy.float32 else 1e-12,
                                                  atol=1e-5)
        assert computed > 40
        a, b = lefts["C"], rights["C"]
        extra = (False, False) if transposes else ()
        for args, kw in (((a, b, *extra), {"out": None}), ((a, b, numpy.True_, True) if transposes else (a,), {}),
                         ((a, b, 1, 0) if transposes else (a, b, b), {})):
            assert outcome(c, args, kw) == outcome(py, args, kw) == ("fallback", len(args), tuple(sorted(kw)))
        for bad in (numpy.inf, numpy.nan):
            a2 = a.copy()
            a2[1, 2] = bad
            for f in (c, py):
                with pytest.raises(Decline):
                    f(a2, b, *extra)
        # operands with fewer values than the result: finiteness read off them where they bound it (_bounded), else
        # off the result; the bound's edge (2 k max|x| max|y| over the largest value, the result still finite), an
        # overflowing result, an inf or NaN operand, every layout the GEMM reads
        for dt, edge, over in (("float32", 1e19, 1.5e19), ("float64", 9e153, 1e154)):
            for scale, want in ((0.5, "result"), (edge, "result"), (over, Decline)):
                tall, wide = numpy.full((9, 2), scale, dt), numpy.full((2, 9), scale, dt)
                tall[3, 1] = -scale
                pairs = [(tall, wide), (numpy.asfortranarray(tall), wide), (tall, numpy.asfortranarray(wide)),
                         (numpy.tile(tall, (1, 2))[:, :2], numpy.tile(wide, (1, 2))[:, :9])]
                for x, y in pairs:
                    outcomes = {outcome(f, (x, y, *extra), {}) for f in (c, py)} if want is Decline else None
                    if want is Decline:
                        assert outcomes == {("error", Decline)}
                        continue
                    for f in (c, py):
                        # within a GEMM's rounding (k eps max|x| max|y|): row 3 cancels, 1e38 - 1e38, and where
                        # a BLAS fuses the multiply-add (MKL's zen kernels) it keeps the product's rounding error
                        numpy.testing.assert_allclose(f(x, y, *extra), numpy.matmul(x, y), rtol=0,
                                                      atol=2 * numpy.finfo(dt).eps * scale * scale)
            for bad in (numpy.inf, -numpy.inf, numpy.nan):
                tall = numpy.ones((9, 2), dt)
                tall[4, 1] = bad
                for f in (c, py):
                    with pytest.raises(Decline):
                        f(tall, numpy.ones((2, 9), dt), *extra)


def test_a_gemm_call_leaves_the_threads_library_setting_as_it_was(monkeypatch):
    """The GEMM runs with NumPy's thread count (torch's, set from NumPy's) and gives the calling thread's own MKL
    setting back afterwards, from any thread."""
    import ctypes
    import threading

    from minpy_array.ops import _torch

    c, py = _gemm_pair(monkeypatch, None, False)
    fns = _torch.blas()
    if not fns["set_threads"]:
        pytest.skip("torch's MKL exports no MKL_Set_Num_Threads_Local here: the GEMM keeps the library's setting")
    set_threads = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)(fns["set_threads"])
    a = numpy.ones((8, 8), "float32")
    seen = []

    def run():
        for f in (c, py):
            before = set_threads(5)
            f(a, a)
            seen.append(set_threads(before))
    t = threading.Thread(target=run)
    t.start()
    t.join(60)
    run()
    assert seen == [5, 5, 5, 5]
    assert fns["threads"] == _torch.load().get_num_threads()


@pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no C engine to compare")
def test_a_lent_kernel_in_c_is_its_python_definition(monkeypatch):
    """ops/_lend.lent in C (_speedups.Lent, which aliases writable NumPy arrays itself) gives what its Python
    definition gives on torch's kernels: the same result (type, dtype, values, memory shared with the input or not)
    or the same error, for writable, read-only, reversed, Fortran-ordered, byte-swapped and unaliasable arrays,
    sequences of arrays, numbers, ufuncs and keywords, tuple results, and a check that declines."""
    from minpy_array.ops import Decline, _lend, _torch, torch_ops

    torch = _torch.load()
    table = torch_ops.kernels()

    def build(op, check=None):
        args = (table[op][0], torch.from_numpy, torch_ops._in, torch.Tensor.numpy, torch.Tensor, check)
        c = _lend.lent(*args)
        with monkeypatch.context() as m:
            m.setattr(_lend, "_Lent", None)
            py = _lend.lent(*args)
        assert type(c) is _native.speedups.Lent and type(py) is not _native.speedups.Lent
        return c, py

    def outcome(f, args, kw):
        try:
            r = f(*args, **kw)
        except Exception as e:  # (the error is the outcome compared)
            return ("error", type(e))
        items = r if type(r) is tuple else (r,)
        return (type(r), tuple((type(v), getattr(v, "dtype", None), numpy.asarray(v).tolist(),
                                any(numpy.shares_memory(v, a) for a in args if isinstance(a, numpy.ndarray)))
                               for v in items))

    a = numpy.arange(12, dtype="float32").reshape(3, 4)
    ro = a.copy()
    ro.flags.writeable = False
    arrays = {"writable": a, "read-only": ro, "reversed": a[::-1], "fortran": numpy.asfortranarray(a),
              "byte-swapped": a.astype(">f4"), "uint16": a.astype("uint16"), "object": a.astype(object),
              "0-d": numpy.asarray(2.0, "float32")}
    calls = [("negative", (x,), {}) for x in arrays.values()]
    calls += [("add", (x, 1.5), {}) for x in arrays.values()] + [("add", (a, ro), {}), ("add", (a, 1), {})]
    calls += [("concat", ([a, ro, a[::-1]],), {}), ("concat", ((a, a),), {"axis": 1}), ("stack", ([a, a],), {}),
              ("_select", (a, a - 5, 0.0, numpy.greater), {}), ("sum", (a,), {"axis": 0, "keepdims": True})]
    for op, args, kw in calls:
        c, py = build(op)
        assert outcome(c, args, kw) == outcome(py, args, kw), (op, args, kw)
    for check in (lambda r: True, lambda r: False, lambda r: (r != 0).all()):
        c, py = build("matmul", check)
        for args in ((a, a.T), (ro, a.T), (a, ro.T)):
            assert outcome(c, args, {}) == outcome(py, args, {})
    c, _ = build("matmul", lambda r: False)
    with pytest.raises(Decline):
        c(a, a.T)
    c, py = build("matmul", lambda r: 1 / 0)
    assert outcome(c, (a, a.T), {}) == outcome(py, (a, a.T), {}) == ("error", ZeroDivisionError)
    pair = _lend.lent(lambda x: (x, x + 1, "tag"), torch.from_numpy, torch_ops._in, torch.Tensor.numpy, torch.Tensor)
    r = pair(a)
    assert type(r) is tuple and numpy.shares_memory(r[0], a) and r[1].tolist() == (a + 1).tolist() and r[2] == "tag"


# ---------------------------------------------------------------- scaled arrays (`w -= c * g` in one pass)
_needs_c = pytest.mark.skipif(_native.speedups is None, reason="MINPY_ARRAY_PURE_PYTHON is set: no scaled arrays")
_SNAN = {"float32": numpy.array([0x7FA00000], "u4").view("f4")[0],
         "float64": numpy.array([0x7FF4000000000000], "u8").view("f8")[0]}


def _contents(dt, n):
    """name -> (w, g) values: ordinary ones, and those that raise each flag NumPy reports for the two ufuncs."""
    rng = numpy.random.default_rng(5)
    w, g = rng.standard_normal(n).astype(dt), rng.standard_normal(n).astype(dt) * 3
    big = numpy.finfo(dt).max

    def put(a, i, v):
        a = a.copy()
        a[i] = v
        return a
    return {"plain": (w, g), "inf_less_inf": (put(w, n - 1, numpy.inf), put(g, n - 1, numpy.inf)),
            "inf_plus_inf": (put(w, 3, numpy.inf), put(g, 3, -numpy.inf)),
            "overflow": (put(w, 2100, big), put(g, 2100, -big)), "nan": (put(w, 0, numpy.nan), put(g, 1, numpy.nan)),
            "signalling_nan": (w, put(g, 7, _SNAN[dt])), "zeros": (w * 0, -g * 0)}


def _update(w, g, c, op, reflected):
    """w op= c * g, with whichever arrays w and g are, as the statement in a training step; w"""
    if op == "-":
        w -= (c * g if reflected else g * c)
    else:
        w += (c * g if reflected else g * c)
    return w


def _scaled_outcome(make, wv, gv, c, op, reflected, hold=False):
    """w op= c * g on fresh arrays (g's buffer held elsewhere too where `hold`: then no scaled array is made):
    w's bytes, the warnings (text, line), op_stats, and how many updates were fused."""
    w, g = make(wv.copy()), make(gv.copy())
    held = g._data if hold else None
    fused = _native.speedups.scaled_counts()["fused"]
    mp.reset_op_stats()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        w = _update(w, g, c, op, reflected)
    stats = {k: {b: n for b, n in row.items() if n} for k, row in mp.op_stats().items()}
    del held
    return (numpy.asarray(w).tobytes(), [(str(m.message), m.lineno) for m in caught], stats,
            _native.speedups.scaled_counts()["fused"] - fused)


@_needs_c
@pytest.mark.parametrize("dt", ["float32", "float64"])
@pytest.mark.parametrize("device", ["cpu", "torch:cpu"])
@pytest.mark.parametrize("policy", ["numpy_only", "auto"])
def test_an_update_through_a_scaled_array_is_the_two_ops_it_stands_for(dt, device, policy):
    # the same statement with g's buffer held elsewhere is the definition: the product, then the in-place op
    def make(a):
        return mnp.asarray(a).to_device(device)

    cases = 0
    for n in (4096, 6151):
        for name, (wv, gv) in _contents(dt, n).items():
            for c, op, reflected in itertools.product((0.01, -0.5, 1.0, -1.0, 1e-300), "-+", (True, False)):
                with mp.policy(policy):
                    _scaled_outcome(make, wv, gv, c, op, reflected)  # (calibration's first call, under auto)
                    got = _scaled_outcome(make, wv, gv, c, op, reflected)
                    want = _scaled_outcome(make, wv, gv, c, op, reflected, hold=True)
                fused = policy == "auto" or device == "cpu"  # (numpy_only takes no device kernel: the engine's)
                assert (got[3], want[3]) == (int(fused), 0), (name, c, op, reflected)
                assert got[:3] == want[:3], (name, c, op, reflected)
                if device == "cpu":  # NumPy's arrays, updated by the same statement
                    assert got[:2] == _scaled_outcome(lambda a: a, wv, gv, c, op, reflected)[:2]
                cases += 1
    assert cases == 2 * 7 * 5 * 2 * 2


@_needs_c
def test_a_signalling_nan_reports_its_blocks_invalid_sum_with_the_product():
    # Note (_speedups.c, fused): the one deviation, a block whose product is invalid (a signalling NaN in g) where
    # the sum is invalid too (inf - inf): NumPy warns twice, the fused update once; the values are NumPy's
    dt, n = "float32", 4096
    w, g = numpy.ones(n, dt), numpy.ones(n, dt)
    w[0], g[0], g[1] = numpy.inf, numpy.inf, _SNAN[dt]
    got = _scaled_outcome(mnp.asarray, w, g, 0.5, "-", True)
    want = _scaled_outcome(lambda a: a, w, g, 0.5, "-", True)
    assert got[3] == 1
    assert got[0] == want[0]
    assert [m for m, _ in want[1]] == ["invalid value encountered in multiply", "invalid value encountered in subtract"]
    assert got[1] == want[1][:1]


def _fresh(n=5000, dt="float32", seed=0):
    return mnp.asarray(numpy.random.default_rng(seed).standard_normal(n).astype(dt))


@_needs_c
def test_a_scaled_array_read_later_holds_its_sources_values_then():
    counts = _native.speedups.scaled_counts
    g = _fresh()
    want = numpy.asarray(g) * numpy.float32(0.25)
    made = counts()["made"]
    t = 0.25 * g
    assert counts()["made"] == made + 1
    g += 1.0  # the source changes: t settles first
    assert numpy.asarray(t).tobytes() == want.tobytes()
    before = numpy.asarray(g).copy()
    t = 0.25 * g
    assert counts()["made"] == made + 2
    g[3] = 7.0  # setitem
    assert numpy.asarray(t).tobytes() == (before * numpy.float32(0.25)).tobytes()
    before, w = numpy.asarray(g).copy(), _fresh(seed=1)
    t, fused = g * 0.5, counts()["fused"]
    w -= t  # held by a name: fused, and t is still 0.5 g
    assert counts()["fused"] == fused + 1
    assert numpy.asarray(t).tobytes() == (before * numpy.float32(0.5)).tobytes()
    assert t.shape == (5000,) and t.dtype == numpy.float32
    s = 0.5 * g
    g -= s  # w is the source: NumPy's kernels, the same values
    assert numpy.asarray(g).tobytes() == (before - before * numpy.float32(0.5)).tobytes()
    assert numpy.asarray(s).tobytes() == (before * numpy.float32(0.5)).tobytes()


@_needs_c
@pytest.mark.parametrize("device", ["cpu", "torch:cpu"])
def test_a_scaled_array_read_under_another_policy_is_computed_as_made(device):
    # (its values come from its backend's views whatever the policy at the read: numpy_only takes no device kernel)
    counts = _native.speedups.scaled_counts
    g = _fresh()
    want = numpy.asarray(g) * numpy.float32(0.5)
    g = g.to_device(device)  # (a copy: torch:cpu's tensor never viewed by NumPy)
    made = counts()["made"]
    with mp.policy("auto"):
        t = 0.5 * g
    assert counts()["made"] == made + 1
    with mp.policy("numpy_only"):
        assert numpy.asarray(t[:]).tobytes() == want.tobytes()


@_needs_c
def test_a_scaled_array_nothing_reads_is_dropped_uncomputed():
    counts = _native.speedups.scaled_counts
    g, x = _fresh(), mnp.ones(3)
    before = counts()
    0.5 * g
    x + x  # the next call settles it
    after = counts()
    assert after["made"] == before["made"] + 1 and after["dropped"] == before["dropped"] + 1
    assert after["computed"] == before["computed"]


@_needs_c
def test_where_no_scaled_array_is_made_the_product_is_computed_at_once():
    counts = _native.speedups.scaled_counts
    g, w = _fresh(), _fresh(seed=1)
    held = g._data  # another reference to the buffer (a NumPy view could write it)
    view = _fresh(seed=2)
    part = view[10:]  # a view of view's buffer
    cases = {"held": lambda: 0.5 * g, "viewed": lambda: 0.5 * view, "large_scale": lambda: 2.0 * w,
             "zero": lambda: 0.0 * w, "nan": lambda: float("nan") * w, "small": lambda: 0.5 * mnp.ones(100),
             "int": lambda: 0.5 * mnp.ones(5000, "int64"), "float16": lambda: 0.5 * mnp.ones(5000, "float16"),
             "strided": lambda: 0.5 * _fresh(10000)[::2], "numpy_int": lambda: 1 * w,
             "numpy_scalar": lambda: numpy.float32(0.5) * w}
    for name, f in cases.items():
        made = counts()["made"]
        f()
        assert counts()["made"] == made, name
    with numpy.errstate(over="ignore"):
        made = counts()["made"]
        0.5 * w
        assert counts()["made"] == made
    made = counts()["made"]
    grad(lambda a: (0.5 * a).sum())(w)
    assert counts()["made"] == made
    with mp.policy("prefer_torch"):
        0.5 * w
        assert counts()["made"] == made
    tw = _fresh().to_device("torch:cpu")
    tpart = tw[1:]  # (a view of tw's tensor)
    0.5 * tw
    assert counts()["made"] == made
    del held, part, tpart


@_needs_c
@requires_mxnet
def test_no_scaled_array_is_made_on_an_mxnet_device():
    made = _native.speedups.scaled_counts()["made"]
    with mp.policy("prefer_mxnet"):  # (MXNet's buffers have no host view)
        0.5 * _fresh().to_device("sim:0")
    assert _native.speedups.scaled_counts()["made"] == made


@_needs_c
@pytest.mark.parametrize("device", ["cpu", "torch:cpu"])
def test_scaled_arrays_from_many_threads_are_each_right(device):
    import concurrent.futures

    def job(seed):
        out = []
        w, g = _fresh(seed=seed).to_device(device), _fresh(seed=seed + 100).to_device(device)
        wn, gn = numpy.asarray(w).copy(), numpy.asarray(g).copy()
        for i in range(200):
            c = 1.0 / (i + 2)
            w -= c * g
            wn -= c * gn
            t = c * g
            out.append(numpy.array_equal(numpy.asarray(t), c * gn))
        return all(out) and numpy.asarray(w).tobytes() == wn.tobytes()

    with concurrent.futures.ThreadPoolExecutor(4) as ex:
        assert all(ex.map(job, range(8), timeout=120))
