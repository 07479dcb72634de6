"""apply(op, *args, **kw): pick a kernel by policy, move buffers, run, wrap, record on the tape, count.

Every op of both faces ends here.  The arrays' device says which backend's table to ask (ops/__init__.py): on an
accelerator, its backend's kernel where the guard admits the call, else NumPy on a host copy with the result put
back on the device (a fallback); on the cpu, NumPy, or another backend's kernel borrowed on the NumPy buffers when
the policy asks for it.  No library is named here, and NumPy-only work imports none.
"""
import itertools
import threading
import warnings

import numpy

from . import _calibrate, _config
from ._calibrate import AUTO_CPU, holds_large, numpy_here
from ._config import FallbackError, FallbackWarning, _global, _policy_var
from ._devices import CPU, get_default_device
from ._devices import _default as _default_device
from ._native import speedups
from .ops import BACKENDS, NUMPY, Decline, Invalid
from .ops.numpy_ops import IN_PLACE, OP_OF
from .ops.numpy_ops import KERNELS as NP_KERNELS

_ndarray = numpy.ndarray
_generic = numpy.generic
_policy = _policy_var.get
MinArray = None   # set by _array (it imports this module)
wrap = None
RECORDER = [None]  # autodiff installs its recorder here: f(op, args, kw, result) -> result
PREPARE = [lambda op, args, kw: (args, kw)]  # ... and this: containers of traced values packed into arrays


class NoKernelError(RuntimeError):
    """Under a '<backend>_only' policy, no kernel of that backend accepts the call."""


# ---------------------------------------------------------------- statistics (per thread, summed on read)
COLUMNS = tuple(BACKENDS)                 # one column per backend: which kernel ran
COL = {b: i for i, b in enumerate(BACKENDS.values())}
NP = COL[NUMPY]
FALLBACK = len(COLUMNS)                   # ran on NumPy because no kernel of the wanted backend accepted it
COPIED = FALLBACK + 1                     # bytes moved between host and device memory
_stats_lock = threading.Lock()
_all_stats = []
_tls = threading.local()


def _stats():
    s = getattr(_tls, "stats", None)
    if s is None:
        s = _tls.stats = {}
        with _stats_lock:
            _all_stats.append(s)
    return s


def _count(op, col, copied=0):
    try:
        s = _tls.stats
    except AttributeError:
        s = _stats()
    row = s.get(op)
    if row is None:
        row = s[op] = [0] * (COPIED + 1)
    row[col] += 1
    row[COPIED] += copied


class OpStats(dict):
    """{op: {"numpy": n, "mxnet": n, "torch": n, ..., "fallback": n, "copied_bytes": b}}; prints as a table."""

    def __str__(self):
        if not self:
            return "op_stats: no ops recorded"
        w = max(max(len(k) for k in self), 5)
        cols = COLUMNS + ("fallback",)
        lines = ["  ".join([f"{'op':<{w}}"] + [f"{c:>8}" for c in cols] + [f"{'copied':>10}"])]
        for op in sorted(self, key=lambda k: -sum(self[k][c] for c in cols)):
            r = self[op]
            lines.append("  ".join([f"{op:<{w}}"] + [f"{r[c]:>8}" for c in cols]
                                   + [f"{_fmt_bytes(r['copied_bytes']):>10}"]))
        tot = {c: sum(r[c] for r in self.values()) for c in cols + ("copied_bytes",)}
        lines.append("  ".join([f"{'total':<{w}}"] + [f"{tot[c]:>8}" for c in cols]
                               + [f"{_fmt_bytes(tot['copied_bytes']):>10}"]))
        return "\n".join(lines)

    __repr__ = __str__


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


# the host fast paths count NumPy's runs with one itertools.count per op (its next() is atomic, so threads share it;
# cheaper than the per-thread table, which a call on the fast path would pay for as much as NumPy's kernel)
HOST = {}        # op -> itertools.count: next(HOST[op]) once per run
_HOST_BASE = {}  # op -> the count at the last reset


def host_counter(op):
    """Op `op`'s host counter (made on first use)."""
    c = HOST.get(op)
    if c is None:
        with _stats_lock:
            c = HOST.setdefault(op, itertools.count())
    return c


def _host_count(c):
    return int(repr(c)[6:-1])  # "count(n)": n calls so far


def host_runs(op):
    """How many times op `op` ran on a host fast path so far (a mark for forget_host_runs)."""
    return _host_count(host_counter(op))


def forget_host_runs(op, mark):
    """Leave out of op_stats the host runs of `op` since `mark` (calibration's own measuring calls)."""
    with _stats_lock:
        _HOST_BASE[op] = _HOST_BASE.get(op, 0) + host_runs(op) - mark


def op_stats():
    """Counts of every op by the backend whose kernel ran, and fallbacks, since the last reset, summed over all
    threads, with the bytes copied between host and device memory."""
    out = OpStats()
    with _stats_lock:
        tables = list(_all_stats)
        host = list(HOST.items())
    names = COLUMNS + ("fallback", "copied_bytes")
    for s in tables:
        for op, row in list(s.items()):
            r = out.setdefault(op, dict.fromkeys(names, 0))
            for i, n in enumerate(names):
                r[n] += row[i]
    for op, c in host:
        n = _host_count(c) - _HOST_BASE.get(op, 0)
        if n:
            out.setdefault(op, dict.fromkeys(names, 0))[COLUMNS[NP]] += n
    return out


def reset_op_stats():
    with _stats_lock:
        for s in _all_stats:
            s.clear()
        for op, c in HOST.items():
            _HOST_BASE[op] = _host_count(c)


# ---------------------------------------------------------------- buffers
def to_numpy_buffer(a):
    """(NumPy buffer of MinArray a, bytes copied)."""
    d = a._data
    if type(d) is numpy.ndarray:
        return d, 0
    out = a._device.backend.to_numpy(d)
    return out, out.nbytes


def device_buffer(arr, device):
    """A NumPy result placed on `device`: unchanged on the cpu; the device backend's array where it holds the
    dtype (otherwise it stays a host buffer that carries the device's label)."""
    b = device.backend
    if b is NUMPY or not b.holds(arr.dtype):
        return arr, 0
    return b.from_numpy(arr, device), arr.nbytes


def write(target, buf):
    """Make MinArray `target` hold the values of buffer `buf` (same shape and dtype) in place: through its own
    buffer where the device has views (so views of it see the change), else by taking `buf`."""
    old = target._data
    b = target._device.backend
    if type(old) is numpy.ndarray and type(buf) is numpy.ndarray:
        numpy.copyto(old, buf)
    elif b.VIEWS and type(old) is not numpy.ndarray and type(buf) is not numpy.ndarray:
        b.write(old, buf)
    else:
        target._data = buf


# ---------------------------------------------------------------- the engine
def _unwrap_np(x, st):
    t = type(x)
    if t is MinArray:
        d = x._data
        if type(d) is not numpy.ndarray:
            # one host copy per device buffer and call: an array passed twice stays one array for NumPy
            seen = st[1:]
            for buf, host in zip(seen[::2], seen[1::2], strict=True):
                if buf is d:
                    return host
            host, c = to_numpy_buffer(x)
            st[0] += c
            st += (d, host)
            return host
        return d
    if t is list or t is tuple:
        return t(_unwrap_np(v, st) for v in x)
    return x


def _unwrap_dev(x, device, st):
    t = type(x)
    if t is MinArray:
        d = x._data
        if type(d) is numpy.ndarray:  # a host-held buffer on the device: the guard admitted its dtype
            d, c = device_buffer(d, device)
            st[0] += c
        return d
    if t is list or t is tuple:
        return t(_unwrap_dev(v, device, st) for v in x)
    return x


def _scan(seq, info):
    """Collect (device, traced, dtypes, a spec-face array seen) of the MinArrays in seq (and in its lists/tuples)."""
    for a in seq:
        t = type(a)
        if t is MinArray:
            dev = a._device
            if info[0] is None:
                info[0] = dev
            elif dev is not info[0]:
                raise ValueError(f"arrays on different devices ({info[0]} and {dev}); move one with to_device()")
            if a._node is not None:
                info[1] = True
            if not a._face:
                info[3] = True
            info[2].append(a.dtype)
        elif t is list or t is tuple:
            _scan(a, info)


def _wrap_result(r, device, st, face=False):
    """A kernel's result as MinArrays on `device` of the given face; a NumPy scalar stays one in a NumPy-face
    result on the cpu (README, "Two faces": where NumPy gives a scalar, the NumPy face does too)."""
    t = type(r)
    if t is _ndarray:
        if device is not CPU:
            r, c = device_buffer(r, device)
            st[0] += c
        return wrap(r, device, face)
    if isinstance(r, _generic):
        return r if face and device is CPU else _wrap_result(numpy.asarray(r), device, st, face)
    if t is tuple or t is list:
        if face and device is CPU and t is tuple:
            for v in r:
                if type(v) is _ndarray or not isinstance(v, _generic):
                    break
            else:
                return r  # NumPy's scalars, as NumPy gives them (unravel_index, divmod of scalars ...)
        return t([_wrap_result(v, device, st, face) for v in r])
    if isinstance(r, tuple) and hasattr(r, "_fields"):  # namedtuple results (SVDResult, ...)
        return t(*[_wrap_result(v, device, st, face) for v in r])
    if device.backend.is_buffer(r):
        return wrap(r, device, face)
    return r


# ops whose 0-d results NumPy gives as NumPy scalars: every ufunc, the reductions and products.  Another backend's
# kernel borrowed on the cpu returns a 0-d array; a NumPy-face call gives it as NumPy would.
SCALAR_RESULTS = frozenset([op for op, k in NP_KERNELS.items() if isinstance(k, numpy.ufunc)] + [
    "sum", "prod", "mean", "std", "var", "max", "min", "argmax", "argmin", "any", "all", "dot", "vdot", "inner",
    "clip", "trace", "ptp", "nansum", "nanmean", "nanmax", "nanmin", "median", "average", "linalg.norm"])


def _as_numpy_result(res, op, kw):
    """A borrowed kernel's 0-d result on the cpu, in a NumPy-face call: the NumPy scalar NumPy would give."""
    if type(res) is MinArray and res._data.ndim == 0 and op in SCALAR_RESULTS:
        return res._data[()]
    if type(res) is tuple:
        return tuple(_as_numpy_result(r, op, kw) for r in res)
    return res


def _choose(op, policy, device, dts, args, kw):
    """(kernel, backend that runs it) or (None, None) for NumPy; and whether NumPy running is a fallback."""
    want, only = _config.RULES[policy]
    b = device.backend
    if want is NUMPY:  # numpy_only
        return None, None, False
    if b is NUMPY:
        if want is None:  # auto: the kernel calibration chose for this kind of call (_calibrate.py), else NumPy
            entry = _calibrate.choice(op, dts, args, kw) if op in AUTO_CPU else None
            return (None, None, False) if entry is None else (entry[0], entry[2], False)
        if not want.available():
            if only:
                raise NoKernelError(f"{op}: policy {policy!r} but {want.NAME} is not installed "
                                    f"(pip install 'minpy_array[{want.EXTRA}]')")
            return None, None, False
        table = want.host_kernels()
    else:
        if only and want is not b:
            raise NoKernelError(f"{op}: policy {policy!r} but the arrays are on {device}, a {b.NAME} device")
        want = b
        table = b.kernels()
    entry = table.get(op)
    if entry is not None and entry[1](dts, args, kw):
        return entry[0], want, False
    if only:
        why = f"has no {want.NAME} kernel" if entry is None else f"is outside its {want.NAME} kernel's guard"
        raise NoKernelError(f"{op}: policy {policy!r} but this call {why} (dtypes {[str(d) for d in dts]})")
    return None, None, True


def _notify(op, device):
    mode = _config.get_fallback_notice()
    if mode == "warn":
        warnings.warn(f"{op}: no {device.backend.NAME} kernel accepts this call; running NumPy", FallbackWarning,
                      stacklevel=4)
    elif mode == "error":
        raise FallbackError(f"{op}: no {device.backend.NAME} kernel accepts this call (fallback notice 'error')")


def apply(op, *args, **kw):
    """Run op `op` (a name in ops/numpy_ops.KERNELS) on args; MinArrays in, MinArrays out."""
    return run(op, NP_KERNELS[op], args, kw)


def apply_function(func, args, kw):
    """Any NumPy callable on MinArrays: through the op table when `func` is a known op, else as a fallback."""
    op = OP_OF.get(func)
    if op is not None:
        return run(op, NP_KERNELS[op], args, kw)
    return run(getattr(func, "__name__", repr(func)), func, args, kw)


def numpy_runs(op, args, kw=None):
    """The host fast paths' one rule (this engine's and the array's operators and methods): does NumPy's own kernel
    run this call on the cpu?  Under `numpy_only`, yes; under `auto`, where no backend lends a kernel for the op or
    calibration leaves this call to NumPy (_calibrate.numpy_here); under any other policy, the engine decides."""
    p = _policy() or _global["policy"]
    if p == "auto":
        limit = AUTO_CPU.get(op)
        if limit is None:
            return True
        if kw:
            if "out" in kw:
                return True  # NumPy writes into out= buffers on the cpu under every policy (_run_out)
            for v in kw.values():
                t = type(v)
                if t is MinArray or t is list or t is tuple:
                    return numpy_here(op, args, kw)
        # numpy_here's first rule (every host array below the op's settled size: NumPy), without a call
        for a in args:
            t = type(a)
            if t is MinArray:
                d = a._data
                if type(d) is _ndarray and d.size >= limit:
                    break
            elif t is list or t is tuple:
                break
        else:
            return True
        return numpy_here(op, args, kw)
    return p == "numpy_only" or bool(kw and "out" in kw)


def numpy_policy():
    """numpy_runs for the ops in _calibrate.HOST_VIEWS (indexing, reshape, transpose: never lent to the cpu), where
    the policy alone decides."""
    return (_policy() or _global["policy"]) in _NUMPY_POLICIES


_NUMPY_POLICIES = ("auto", "numpy_only")


def run(op, np_kernel, args, kw, face=None):
    """Run `np_kernel` (NumPy's kernel of op `op`, or another backend's by policy and device) on args and kw.

    face: the face of the result (README, "Two faces"): True for a call of the NumPy face (NumPy scalars where NumPy
    gives scalars), False for the spec's (0-d arrays); None: the face of the MinArray operands (NumPy's when every
    one is a NumPy-face array; the spec's when there is none)."""
    if args and type(args[0]) is MinArray and args[0]._device is not CPU:
        return _run(op, np_kernel, args, kw, face=face)  # a device array: never the host fast path
    # numpy_runs, written out in the one pass over the arguments below (this is every face function's path)
    p = _policy() or _global["policy"]
    out = kw and "out" in kw  # NumPy writes into out= buffers on the cpu under every policy (_run_out)
    if p == "auto" and not out:
        limit = AUTO_CPU.get(op)  # (keywords hold no array on this path: _plain_kw; only args weigh)
    elif p == "auto" or p == "numpy_only" or out:
        limit = None
    else:
        return _run(op, np_kernel, args, kw, face=face)
    ask = False
    # Fast path: host arrays, scalars and plain sequences, under a policy that picks NumPy on the cpu
    bufs = []
    found = traced = spec = False
    for a in args:
        t = type(a)
        if t is MinArray:
            if a._device is not CPU:
                break
            if a._node is not None:
                traced = True
            if not a._face:
                spec = True
            d = a._data
            if limit is not None and d.size >= limit:
                ask = True
            bufs.append(d)
            found = True
        elif t is list or t is tuple:
            for e in a:
                te = type(e)
                if te is MinArray or te is list or te is tuple:
                    break
            else:
                bufs.append(a)
                continue
            if limit is not None and not ask:
                ask = holds_large(a, limit)  # (numpy_here's rule for the arrays in sequences)
            h = host_seq(a)
            if h is None:
                break
            bufs.append(h[0])
            if h[1]:
                found = True
                spec = spec or h[1] == 3
        else:
            bufs.append(a)
    else:
        if (not kw or (not traced and _plain_kw(kw))) and (found or _default_device.get() is CPU):
            if face is None:
                face = found and not spec
            res = lent_call(op, args, kw, face) if ask else HERE
            if res is HERE:
                r = np_kernel(*bufs, **kw) if kw else np_kernel(*bufs)
                try:
                    next(HOST[op])
                except KeyError:
                    next(host_counter(op))
                if traced:
                    return record_host(op, args, kw, r, face)
                return wrap(r, CPU, face) if type(r) is _ndarray else host_result(r, face)
            if res is not _MISS:
                return res
    return _run(op, np_kernel, args, kw, face=face)


def _lent(op, args, kw, face, b):
    """A host call (traced or not) that calibration lent to backend b's kernel (_calibrate.placement), run there as
    _run runs it, without _run's general path; _MISS where _run must answer (an in-place op, a library that no longer
    imports, a guard that refuses, a kernel that declines or fails: _run reruns the call and falls back or raises as
    it does)."""
    if op in IN_PLACE or not b.available():
        return _MISS
    table = b.host_kernels()
    entry = table.get(op)
    if entry is None:
        return _MISS
    errors = (Decline, Invalid, *b.errors())
    LENT.setdefault(op, {})[b] = (table, entry, COL[b], errors)
    info = [None, False, [], False]
    _scan(args, info)
    if not (_admits(entry[1], args, kw) if _admits is not None and type(args) is tuple and type(kw) is dict
            else entry[1](info[2], args, kw)):
        return _MISS
    bufs = [a._data if type(a) is MinArray else _unwrap_np(a, [0]) for a in args]
    try:
        r = entry[0](*bufs, **kw) if kw else entry[0](*bufs)
    except errors:
        return _MISS
    _count(op, COL[b], 0)
    return lent_result(op, args, kw, face, r, info[1])


def lent_result(op, args, kw, face, r, traced):
    """A lent kernel's result r as the call's: given its face, recorded where the call is traced (the C engine's
    lending path hands over here every result but an array of one or more dimensions)."""
    if type(r) is _ndarray and r.ndim:
        res = wrap(r, CPU, face)
    else:
        res = _wrap_result(r, CPU, [0], face)
        if face:
            res = _as_numpy_result(res, op, kw)
    return _record(op, args, kw, res, face) if traced else res


# op -> {backend: (its host_kernels() table, the table's (kernel, guard) entry, op_stats column, the errors after
# which the general path reruns the call)}: the cpu's lent kernels as _lent last found them (an op that is not
# in-place, a library that imports), for the C engine, which takes an entry while the table still holds it
LENT = {}


# the guard's verdict through the C engine's memory of verdicts (_guards.by_signature), where the engine is built
_admits = speedups.admits if speedups is not None else None


def lent_call(op, args, kw, face):
    """For the host fast paths (this module's run, the operators, the C paths), at a call that reaches its op's
    settled size under `auto`: HERE where NumPy's kernel runs it (the fast path runs it), else the call's result
    through _lent, or _MISS (the engine's general path answers)."""
    b = _calibrate.placement(op, args, kw)
    if b is None:
        return HERE
    return _MISS if b is _calibrate.PENDING else _lent(op, args, kw, face, b)


def run_in_place(op, target, operand):
    """target op= operand (untraced) written into target's device buffer by its backend's in-place kernel, where the
    policy takes that device's kernels, the kernel's guard admits the call and the result keeps target's dtype and
    shape (NumPy's out= rules then add nothing); False where the caller computes and stores (NumPy's errors, a
    shared buffer, another device, a library error)."""
    dev = target._device
    b = dev.backend
    if not _takes_device_kernels(b):
        return False
    plan = device_plan(b)
    entry = plan[4].get(op)
    if entry is None:
        return False
    if type(operand) is MinArray:
        if operand._device is not dev or operand._node is not None:
            return False
        dts, shape, buf = [target.dtype, operand.dtype], operand.shape, operand._data
    else:
        dts, shape, buf = [target.dtype], (), operand
    try:
        if not entry[1](dts, (target, operand), {}):
            return False
        to = target.shape
        if shape != to and shape and numpy.broadcast_shapes(to, shape) != to:
            return False
        entry[0](target._data, buf)
    except (*plan[1], ValueError):
        return False
    _count(op, plan[3], 0)
    return True


def host_result(r, face):
    """NumPy's untraced result r on the cpu, as the face gives it (README, "Two faces")."""
    if type(r) is _ndarray:
        return wrap(r, CPU, face)
    return r if face and isinstance(r, _generic) else _wrap_result(r, CPU, None, face)


def record_host(op, args, kw, r, face):
    """NumPy's result r on the cpu of a call with a traced operand, recorded on the tape (a NumPy scalar stays one
    where nothing is recorded: the value is an array for the tape)."""
    if type(r) is _ndarray:
        return RECORDER[0](op, args, kw, wrap(r, CPU, face))
    return _record(op, args, kw, r if isinstance(r, _generic) else _wrap_result(r, CPU, None, face), face)


def host_seq(seq):
    """(seq with the MinArrays in it, at any depth, replaced by their host buffers; 0 if it holds none, 1 if they
    are all NumPy-face arrays, 3 if one is a spec-face array), or None where one is traced or off the cpu."""
    out = None
    bits = 0
    for i, e in enumerate(seq):
        t = type(e)
        if t is MinArray:
            if e._node is not None or e._device is not CPU:
                return None
            bits |= 1 if e._face else 3
            e = e._data
        elif t is list or t is tuple:
            h = host_seq(e)
            if h is None:
                return None
            if not h[1]:
                continue
            bits |= h[1]
            e = h[0]
        else:
            continue
        if out is None:
            out = list(seq)
        out[i] = e
    if out is None:
        return seq, 0
    return (tuple(out) if type(seq) is tuple else out), bits


def _plain_kw(kw):
    """Do the keyword arguments hold no MinArray (at any depth)?"""
    for v in kw.values():
        t = type(v)
        if t is MinArray:
            return False
        if t is list or t is tuple:
            h = host_seq(v)
            if h is None or h[1]:
                return False
    return True


def _arrays(r, face):
    """Result r with its NumPy scalars (at the top, or in a tuple) as 0-d cpu arrays: what the tape records."""
    if isinstance(r, numpy.generic):
        return wrap(numpy.asarray(r), CPU, face)
    t = type(r)
    if t is tuple or t is list:
        return t(_arrays(v, face) for v in r)
    if isinstance(r, tuple) and hasattr(r, "_fields"):
        return t(*(_arrays(v, face) for v in r))
    return r


def _takes_device_kernels(b):
    """Does the policy run backend b's kernels on b's own device (auto, prefer_*, b's *_only)?"""
    want, only = _config.RULES[_policy() or _global["policy"]]
    return want is not NUMPY and not (only and want is not b)


_MISS = object()
HERE = object()  # lent_call's answer where NumPy's kernel runs the call
PLANS = {}  # backend -> device_plan(backend): what the device fast paths (this module's and the C one) read


def device_plan(b):
    """What the device fast paths need of backend b, made once: its kernel table, the errors after which the
    engine's general path answers instead (Decline, Invalid, the library's own), its buffer test, its op_stats
    column, its in-place kernel table, its writeable test, and for the C path's scaled arrays its host_view, sole
    and empty_like."""
    plan = PLANS.get(b)
    if plan is None:  # (never replaced once made: the C path holds it without a reference of its own)
        plan = PLANS.setdefault(b, (b.kernels(), (Decline, Invalid, *b.errors()), b.is_buffer, COL[b],
                                    b.inplace_kernels(), b.writeable, b.host_view, b.sole, b.empty_like))
    return plan


def device_result(r, dev, face):
    """A device kernel's result that is not one of its backend's buffers (a tuple, a scalar), as MinArrays."""
    return _wrap_result(r, dev, [0], face)


def _device_fast(op, args, kw, face):
    """A call of arrays (traced or not), plain sequences (shapes, axes) and plain keywords (axis=, keepdims=,
    dtype= ...) on one accelerator device, under a policy that takes that device's kernels (auto, prefer_*, its
    backend's *_only), when the device's kernel admits it: the common call of a training step on a device, with
    nothing of _run's general case.  _MISS otherwise (and when the kernel fails: _run then answers, NumPy included)."""
    dev = None
    dts = []
    traced = spec = False
    for a in args:
        t = type(a)
        if t is MinArray:
            if a._node is not None:
                traced = True
            d = a._device
            if dev is None:
                dev = d
            elif d is not dev:
                return _MISS
            dts.append(a.dtype)
            if not a._face:
                spec = True
        elif t is list or t is tuple:
            for e in a:
                t = type(e)
                if t is MinArray or t is list or t is tuple:
                    return _MISS
    if dev is None or dev is CPU or (traced and (op in IN_PLACE or PREPARE[0](op, args, kw)[0] is not args)):
        return _MISS
    if kw:
        for k, v in kw.items():
            t = type(v)
            if t is MinArray or t is list or k == "out" or k == "where" or (t is tuple and MinArray in map(type, v)):
                return _MISS
    b = dev.backend
    if not _takes_device_kernels(b):
        return _MISS
    table, errors, is_buffer, col = device_plan(b)[:4]
    entry = table.get(op)
    if entry is None or not entry[1](dts, args, kw):
        return _MISS
    bufs = []
    for a in args:
        bufs.append(a._data if type(a) is MinArray else a)
    try:
        r = entry[0](*bufs, **kw)
    except errors:
        return _MISS
    if face is None:
        face = not spec
    res = wrap(r, dev, face) if is_buffer(r) else device_result(r, dev, face)
    _count(op, col, 0)
    if traced:
        return RECORDER[0](op, args, kw, res)
    return res if op not in IN_PLACE else args[IN_PLACE[op]]


def _run(op, np_kernel, args, kw, device=None, face=None):
    if device is None:
        res = _device_fast(op, args, kw, face)
        if res is not _MISS:
            return res
    info = [None, False, [], False]
    out = kw.get("out") if kw else None
    try:
        _scan(args, info)
        if kw:
            _scan(kw.values(), info)
    except ValueError as e:  # mixed devices: name the op
        raise ValueError(f"{op}: {e}") from None
    if face is None:
        face = info[0] is not None and not info[3]
    if info[1]:
        return _traced(op, np_kernel, args, kw, out, face)
    if device is None:
        device = info[0] or get_default_device()
    elif info[0] is not None and info[0] is not device:
        raise ValueError(f"{op}: the arrays are on {info[0]}, not on {device}")
    if out is not None:
        if device is not CPU and "where" not in kw and _all_minarrays(out):
            return _device_out(op, np_kernel, args, kw, out, face)
        return _run_out(op, np_kernel, args, kw, out, device, face)
    policy = _policy_var.get() or _global["policy"]
    kernel, backend, fell = _choose(op, policy, device, info[2], args, kw)
    st = [0]
    if kernel is not None:
        try:
            if device is CPU:
                r = kernel(*_unwrap_np(args, st), **kw)
            elif info[0] is None:  # a creation op: the kernel makes its buffer on the device
                r = kernel(*args, device=device, **kw)
            else:
                r = kernel(*_unwrap_dev(args, device, st),
                           **({k: _unwrap_dev(v, device, st) for k, v in kw.items()} if kw else kw))
            res = _wrap_result(r, device, st, face)
            if face and device is CPU:
                res = _as_numpy_result(res, op, kw)
        except Invalid as e:
            raise e.error from None
        except (Decline, *backend.errors()):
            # Note: a kernel failure never surfaces as the library's own error: NumPy reruns the call and gives
            # the right result or NumPy's exception, at this call
            st[0] = 0
            fell = device is not CPU or _config.RULES[policy][0] is not None  # not under auto on the cpu
        else:
            _count(op, COL[backend], st[0])
            return res if op not in IN_PLACE else args[IN_PLACE[op]]
    if fell:
        _notify(op, device)
    if kw:
        kw = {k: _unwrap_np(v, st) for k, v in kw.items()}
    res = _wrap_result(np_kernel(*_unwrap_np(args, st), **kw), device, st, face)
    if op in IN_PLACE and device is not CPU:  # NumPy wrote into a host copy of the argument: write it back
        res, target = args[IN_PLACE[op]], res
        write(res, target._data)
    _count(op, FALLBACK if fell else NP, st[0])
    return res


def create(op, device, *args, **kw):
    """A creation op (no array argument) on `device` (None: the default device): the device backend's kernel
    makes the buffer there where its guard admits the call, else NumPy makes it on the host and it is copied."""
    return _run(op, NP_KERNELS[op], args, kw, device)


def _all_minarrays(out):
    return all(o is None or type(o) is MinArray for o in (out if type(out) is tuple else (out,)))


def _device_out(op, np_kernel, args, kw, out, face=False):
    """out= into device arrays: the result is computed as without out= (on the device where a kernel admits
    the call), then stored with NumPy's out= rules (same_kind cast, exact broadcast shape)."""
    kw = {k: v for k, v in kw.items() if k != "out"}
    outs = out if type(out) is tuple else (out,)
    if isinstance(np_kernel, numpy.ufunc):  # NumPy's dtype and casting errors come before its shape errors
        with numpy.errstate(all="ignore"):
            np_kernel(*(_probe(a) for a in args), out=tuple(None if o is None else _probe(o) for o in outs), **kw)
    res = run(op, np_kernel, args, kw, face)
    ress = res if type(res) is tuple else (res,)
    for o, r in zip(outs, ress, strict=True):
        if o is not None:
            store(o, r, op)
    final = tuple(r if o is None else o for o, r in zip(outs, ress, strict=True))
    return final if type(res) is tuple else final[0]


def _probe(a):
    """A one-element stand-in of an array argument, to let NumPy resolve a call's dtypes without its shapes."""
    return numpy.zeros((1,) if a.ndim else (), a.dtype) if type(a) is MinArray else a


def store(target, value, op):
    """Write MinArray `value` into `target` as NumPy's out= does (same_kind cast, exact broadcast shape; NumPy 2
    reports a refused cast before a shape mismatch)."""
    if value.dtype != target.dtype:
        if not numpy.can_cast(value.dtype, target.dtype, "same_kind"):
            raise _casting_error(op, value.dtype, target.dtype)
        value = apply("astype", value, target.dtype)
    if value.shape != target.shape:
        if numpy.broadcast_shapes(value.shape, target.shape) != target.shape:
            raise ValueError(f"{op}: non-broadcastable output operand with shape {target.shape} doesn't match "
                             f"the broadcast shape {value.shape}")
        value = apply("broadcast_to", value, target.shape)
    write(target, value._data)


def _casting_error(op, from_, to):
    """NumPy's own exception for an out= that same_kind casting refuses (a UFuncTypeError for a ufunc)."""
    ufunc = NP_KERNELS.get(op)
    probe = numpy.zeros((), from_)
    try:
        if isinstance(ufunc, numpy.ufunc) and ufunc.nin == 2 and ufunc.nout == 1:
            ufunc(probe, probe, out=numpy.zeros((), to))
        else:
            numpy.positive(probe, out=numpy.zeros((), to))
    except TypeError as e:
        return e
    return TypeError(f"{op}: cannot cast the result from {from_} to {to} with casting rule 'same_kind'")


def _run_out(op, np_kernel, args, kw, out, device, face=False):
    """NumPy writes into the out= buffers; a device buffer is written on a host copy and then written back."""
    targets = {}
    st = [0]

    def host(o):
        if type(o) is MinArray or type(o) is numpy.ndarray:
            buf = _unwrap_np(o, st)
            targets[id(buf)] = (o, buf)
            return buf
        if type(o) is tuple:
            return tuple(host(v) for v in o)
        return o

    kw = {k: (host(v) if k == "out" else _unwrap_np(v, st)) for k, v in kw.items()}
    r = np_kernel(*_unwrap_np(args, st), **kw)
    for o, buf in targets.values():
        if type(o) is MinArray and o._data is not buf:
            nb, c = device_buffer(buf, o._device)
            st[0] += c
            write(o, nb)

    def back(v):
        hit = targets.get(id(v))
        if hit is not None:
            return hit[0]
        if type(v) is tuple:
            return tuple(back(x) for x in v)
        return _wrap_result(v, device, st, face)

    res = back(r)
    _count(op, NP if device is CPU else FALLBACK, st[0])
    return res


def _traced(op, np_kernel, args, kw, out, face=False):
    """A call with a traced input: run it untraced, then let autodiff record it (a NumPy scalar result stays a 0-d
    array where it is recorded)."""
    if out is not None:
        kw = dict(kw)
        kw.pop("out")
    args, kw = PREPARE[0](op, args, kw)
    plain = tuple(_untraced(a) for a in args)
    res = _record(op, args, kw, run(op, np_kernel, plain, {k: _untraced(v) for k, v in kw.items()} if kw else kw,
                                    face), face)
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        ress = res if type(res) is tuple else (res,)
        for o, r in zip(outs, ress, strict=True):
            if o is not None:
                assign(o, r)
        final = tuple(r if o is None else o for o, r in zip(outs, ress, strict=True))
        return final if type(res) is tuple else final[0]  # NumPy passes out=(a,) for a one-output ufunc
    return res


def _record(op, args, kw, res, face):
    """The untraced result res (MinArrays, or a NumPy scalar) of a call with traced arguments, recorded: a NumPy
    scalar result is a 0-d array where it is recorded, and stays itself on the NumPy face where nothing is."""
    if isinstance(res, numpy.generic):
        a = wrap(numpy.asarray(res), CPU, face)
        got = RECORDER[0](op, args, kw, a)
        return res if got is a and face else got
    return RECORDER[0](op, args, kw, _arrays(res, face))


def _untraced(a):
    t = type(a)
    if t is MinArray:
        return a if a._node is None else wrap(a._data, a._device, a._face)
    if t is list or t is tuple:
        return t(_untraced(v) for v in a)
    return a


def assign(target, value):
    """Make MinArray `target` hold `value` (a MinArray), keeping target's dtype: the functional form of an
    in-place update, used when the tape must see it."""
    if value.dtype != target.dtype:
        if not numpy.can_cast(value.dtype, target.dtype, "same_kind"):
            raise TypeError(f"Cannot cast result from {value.dtype} to {target.dtype} with casting rule "
                            "'same_kind'")
        value = apply("astype", value, target.dtype)
    if value.shape != target.shape:
        value = apply("broadcast_to", value, target.shape)
    target._data = value._data
    target._node = value._node


def run_library(op, backend, kernel, args, kw):
    """Run `kernel`, a callable that does its own work in `backend`'s library (symbol.Function), as op `op`: it
    receives the arrays' raw buffers (NumPy on the cpu, the backend's arrays on its devices) and is counted in
    that backend's column."""
    info = [None, False, [], False]
    _scan(args, info)
    if kw:
        _scan(kw.values(), info)
    if info[1]:
        plain = tuple(_untraced(a) for a in args)
        res = run_library(op, backend, kernel, plain, {k: _untraced(v) for k, v in kw.items()})
        return RECORDER[0](op, args, kw, res)
    st = [0]
    raw = {k: (v._data if type(v) is MinArray else v) for k, v in kw.items()}
    r = kernel(*(a._data if type(a) is MinArray else a for a in args), **raw)
    # host buffers go into the library's own arrays and results come back as NumPy arrays: both are copies
    copied = _host_bytes(args) + _host_bytes(r if type(r) is tuple else (r,))
    res = _wrap_result(r, info[0] or get_default_device(), st, info[0] is not None and not info[3])
    _count(op, COL[backend], st[0] + copied)
    return res


def _host_bytes(values):
    return sum((v._data if type(v) is MinArray else v).nbytes for v in values
               if type(v) is numpy.ndarray or (type(v) is MinArray and type(v._data) is numpy.ndarray))


run_py = run  # the Python run: the definition of its host fast path, which the C one (_speedups.c) follows
if speedups is not None:
    speedups.set_slot("run", None, None, run_py)  # (the C run calls it for every call it does not take)
    run = speedups.run
    apply = speedups.apply  # (the same as apply above: run with NumPy's kernel of the op)
