"""apply(op, *args, **kw): pick a kernel by policy, move buffers, run, wrap, record on the tape, count.

Every op of both faces ends here.  The MXNet table is consulted only when the policy or the device asks for it,
so NumPy-only work never imports MXNet.
"""
import threading
import warnings

import numpy

from . import _config
from ._config import FallbackError, FallbackWarning, _global, _policy_var
from ._devices import CPU, get_default_device
from ._devices import _default as _default_device
from .ops import _mxnet, mxnet_ops
from .ops.mxnet_ops import AUTO_CPU
from .ops.numpy_ops import KERNELS as NP_KERNELS
from .ops.numpy_ops import OP_OF

MinArray = None   # set by _array (it imports this module)
wrap = None
RECORDER = [None]  # autodiff installs its recorder here: f(op, args, kw, result) -> result
PREPARE = [lambda op, args, kw: (args, kw)]  # ... and this: containers of traced values packed into arrays
_new = object.__new__


class NoKernelError(RuntimeError):
    """Under the 'mxnet_only' policy, no MXNet kernel accepts the call."""


# ---------------------------------------------------------------- statistics (per thread, summed on read)
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


def _count(op, backend, copied=0):
    try:
        s = _tls.stats
    except AttributeError:
        s = _stats()
    row = s.get(op)
    if row is None:
        row = s[op] = [0, 0, 0, 0]  # mxnet, numpy, fallback, bytes copied
    row[backend] += 1
    row[3] += copied


MX, NP, FALLBACK = 0, 1, 2


class OpStats(dict):
    """{op: {"mxnet": n, "numpy": n, "fallback": n, "copied_bytes": b}}; prints as a table."""

    def __str__(self):
        if not self:
            return "op_stats: no ops recorded"
        w = max(max(len(k) for k in self), 2)
        lines = [f"{'op':<{w}}  {'mxnet':>7}  {'numpy':>7}  {'fallback':>8}  {'copied':>10}"]
        for op in sorted(self, key=lambda k: -sum(v for n, v in self[k].items() if n != "copied_bytes")):
            r = self[op]
            lines.append(f"{op:<{w}}  {r['mxnet']:>7}  {r['numpy']:>7}  {r['fallback']:>8}  "
                         f"{_fmt_bytes(r['copied_bytes']):>10}")
        tot = {k: sum(r[k] for r in self.values()) for k in ("mxnet", "numpy", "fallback", "copied_bytes")}
        lines.append(f"{'total':<{w}}  {tot['mxnet']:>7}  {tot['numpy']:>7}  {tot['fallback']:>8}  "
                     f"{_fmt_bytes(tot['copied_bytes']):>10}")
        return "\n".join(lines)

    __repr__ = __str__


def _fmt_bytes(n):
    for unit in ("B", "KiB", "MiB", "GiB"):
        if n < 1024 or unit == "GiB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024


def op_stats():
    """Counts of every op by backend since the last reset, summed over all threads, with bytes copied."""
    out = OpStats()
    with _stats_lock:
        tables = list(_all_stats)
    for s in tables:
        for op, row in list(s.items()):
            r = out.setdefault(op, {"mxnet": 0, "numpy": 0, "fallback": 0, "copied_bytes": 0})
            r["mxnet"] += row[0]
            r["numpy"] += row[1]
            r["fallback"] += row[2]
            r["copied_bytes"] += row[3]
    return out


def reset_op_stats():
    with _stats_lock:
        for s in _all_stats:
            s.clear()


# ---------------------------------------------------------------- buffers
def to_numpy_buffer(a):
    """(NumPy buffer of MinArray a, bytes copied)."""
    d = a._data
    if type(d) is numpy.ndarray:
        return d, 0
    out = _mxnet.to_numpy(d)
    return out, out.nbytes


def to_mx_buffer(a, ctx):
    d = a._data
    if type(d) is numpy.ndarray:
        out = _mxnet.to_mx(d, ctx)
        copied = 0 if ctx.device_type == "cpu" and a._device.kind == "cpu" else d.nbytes
        return out, copied
    if d.ctx != ctx:
        return d.as_in_context(ctx), a.nbytes
    return d, 0


def device_buffer(arr, device):
    """A NumPy result placed on `device`: unchanged on the cpu; an MXNet array elsewhere when MXNet holds the
    dtype (otherwise it stays a host buffer that carries the device's label)."""
    if device.kind == "cpu" or arr.dtype not in _mxnet.DTYPES:
        return arr, 0
    if not arr.flags.c_contiguous:
        arr = numpy.ascontiguousarray(arr)  # Note: not for 0-d arrays, which it would make 1-d
    return _mxnet.to_mx(arr, device.mx_context()), arr.nbytes


# ---------------------------------------------------------------- the engine
def _unwrap_np(x, st):
    t = type(x)
    if t is MinArray:
        d = x._data
        if type(d) is not numpy.ndarray:
            d, c = to_numpy_buffer(x)
            st[0] += c
        return d
    if t is list or t is tuple:
        return t(_unwrap_np(v, st) for v in x)
    return x


def _unwrap_mx(x, ctx, st):
    t = type(x)
    if t is MinArray:
        if type(x._data) is not numpy.ndarray:
            return x._data  # an MXNet buffer is on ctx already: one device per call (_scan checks it)
        d, c = to_mx_buffer(x, ctx)
        st[0] += c
        return d
    if t is list or t is tuple:
        return t(_unwrap_mx(v, ctx, st) for v in x)
    return x


def _scan(seq, info):
    """Collect (device, traced, dtypes) of the MinArrays in seq (one level of lists/tuples)."""
    for a in seq:
        t = type(a)
        if t is MinArray:
            dev = a._device
            if info[0] is None:
                info[0] = dev
            elif dev != info[0]:
                raise ValueError(f"arrays on different devices ({info[0]} and {dev}); move one with to_device()")
            if a._node is not None:
                info[1] = True
            info[2].append(a.dtype)
        elif t is list or t is tuple:
            _scan(a, info)


def _wrap_result(r, device, st):
    t = type(r)
    if t is numpy.ndarray:
        if device.kind != "cpu":
            r, c = device_buffer(r, device)
            st[0] += c
        return wrap(r, device)
    if isinstance(r, numpy.generic):
        return _wrap_result(numpy.asarray(r), device, st)
    if t is tuple or t is list:
        return t(_wrap_result(v, device, st) for v in r)
    if isinstance(r, tuple) and hasattr(r, "_fields"):  # namedtuple results (SVDResult, ...)
        return t(*(_wrap_result(v, device, st) for v in r))
    if _mxnet.is_mx(r):
        _mxnet.sync(r)
        if device.kind == "cpu":
            out = _mxnet.to_numpy(r)
            st[0] += out.nbytes
            return wrap(out, device)
        return wrap(r, device)
    return r


def _choose_mx(op, policy, device, dts, args, kw):
    """The MXNet kernel to run, or None for NumPy; also whether falling to NumPy is a 'fallback'."""
    if policy == "numpy_only":
        return None, False
    if device.kind == "cpu" and policy == "auto":
        pred = mxnet_ops.AUTO_CPU.get(op)
        if pred is None or not pred(dts, args, kw):
            return None, False
    if not _mxnet.available():
        if policy == "mxnet_only":
            raise NoKernelError(f"{op}: policy 'mxnet_only' but MXNet is not installed "
                                "(pip install 'minpy_array[mxnet]')")
        return None, device.kind != "cpu"
    entry = mxnet_ops.kernels().get(op)
    if entry is not None and entry[1](dts, args, kw):
        return entry[0], False
    if policy == "mxnet_only":
        why = "has no MXNet kernel" if entry is None else "is outside its MXNet kernel's guard"
        raise NoKernelError(f"{op}: policy 'mxnet_only' but this call {why} (dtypes {[str(d) for d in dts]})")
    return None, True


def _notify(op):
    mode = _config.get_fallback_notice()
    if mode == "warn":
        warnings.warn(f"{op}: no MXNet kernel accepts this call; running NumPy", FallbackWarning, stacklevel=4)
    elif mode == "error":
        raise FallbackError(f"{op}: no MXNet kernel accepts this call (fallback notice 'error')")


def apply(op, *args, **kw):
    """Run op `op` (a name in ops/numpy_ops.KERNELS) on args; MinArrays in, MinArrays out."""
    return run(op, NP_KERNELS[op], args, kw)


def apply_function(func, args, kw):
    """Any NumPy callable on MinArrays: through the op table when `func` is a known op, else as a fallback."""
    op = OP_OF.get(func)
    if op is not None:
        return run(op, NP_KERNELS[op], args, kw)
    return run(getattr(func, "__name__", repr(func)), func, args, kw)


def run(op, np_kernel, args, kw):
    if not kw:
        # Fast path: untraced host arrays (and scalars) only, under a policy that picks NumPy on the cpu.
        policy = _policy_var.get() or _global["policy"]
        if policy == "numpy_only" or (policy == "auto" and op not in AUTO_CPU):
            bufs = []
            found = traced = False
            for a in args:
                t = type(a)
                if t is MinArray:
                    if a._device is not CPU and a._device.kind != "cpu":
                        break
                    if a._node is not None:
                        traced = True
                    bufs.append(a._data)
                    found = True
                elif t is list or t is tuple:
                    break
                else:
                    bufs.append(a)
            else:
                if found or _default_device.get().kind == "cpu":
                    r = np_kernel(*bufs)
                    try:
                        _tls.stats[op][NP] += 1
                    except (AttributeError, KeyError):
                        _count(op, NP, 0)
                    if type(r) is numpy.ndarray:
                        a = _new(MinArray)
                        a._data = r
                        a._device = CPU
                        a._node = None
                    else:
                        a = _wrap_result(r, CPU, [0])
                    return RECORDER[0](op, args, kw, a) if traced else a
    return _run(op, np_kernel, args, kw)


def _run(op, np_kernel, args, kw):
    info = [None, False, []]
    out = kw.get("out") if kw else None
    try:
        _scan(args, info)
        if kw:
            _scan(kw.values(), info)
    except ValueError as e:  # mixed devices: name the op
        raise ValueError(f"{op}: {e}") from None
    device = info[0] or get_default_device()
    if info[1]:
        return _traced(op, np_kernel, args, kw, out)
    policy = _config._policy_var.get() or _config._global["policy"]
    if out is not None and device.kind != "cpu" and policy != "numpy_only":
        res = _device_out(op, np_kernel, args, kw, out)
        if res is not None:
            return res
    st = [0]
    mxk = None
    if (policy != "numpy_only" or device.kind != "cpu") and out is None:
        mxk, fell = _choose_mx(op, policy, device, info[2], args, kw)
    else:
        fell = False
    if mxk is not None:
        ctx = device.mx_context()
        try:
            r = mxk(*_unwrap_mx(args, ctx, st), **kw)
            res = _wrap_result(r, device, st)
        except (_mxnet.error_type(), mxnet_ops.Decline):
            # Note: an MXNet failure (e.g. an asynchronous one) never surfaces as MXNetError; NumPy reruns the
            # call and gives the right result or NumPy's own exception, at this call.
            _mxnet.flush()
            st[0] = 0
        else:
            _count(op, MX, st[0])
            return res
        fell = True
    if fell:
        _notify(op)
    if out is not None:
        return _run_out(op, np_kernel, args, kw, out, device, fell, st)
    if kw:
        kw = {k: _unwrap_np(v, st) for k, v in kw.items()}
    res = _wrap_result(np_kernel(*_unwrap_np(args, st), **kw), device, st)
    _count(op, FALLBACK if fell else NP, st[0])
    return res


def _device_out(op, np_kernel, args, kw, out):
    """out= into one device-buffer MinArray: computed on the device (where an MXNet guard admits the call), then
    stored with NumPy's out= rules, instead of a round trip through the host; None when that does not apply."""
    o = out[0] if type(out) is tuple and len(out) == 1 else out
    if type(o) is not MinArray or type(o._data) is numpy.ndarray or not _mxnet.available():
        return None
    entry = mxnet_ops.kernels().get(op)
    kw = {k: v for k, v in kw.items() if k != "out"}
    info = [None, False, []]
    _scan(args, info)
    if entry is None or not entry[1](info[2], args, kw):
        return None
    store(o, run(op, np_kernel, args, kw), op)
    return o


def store(target, value, op):
    """Write MinArray `value` into `target` as NumPy's out= does (same_kind cast, exact broadcast shape) by
    replacing its buffer: for device buffers, which have no views to keep in sync."""
    if value.shape != target.shape:
        if numpy.broadcast_shapes(value.shape, target.shape) != target.shape:
            raise ValueError(f"{op}: non-broadcastable output operand with shape {target.shape} doesn't match "
                             f"the broadcast shape {value.shape}")
        value = apply("broadcast_to", value, target.shape)
    if value.dtype != target.dtype:
        if not numpy.can_cast(value.dtype, target.dtype, "same_kind"):
            raise TypeError(f"Cannot cast ufunc '{op}' output from {value.dtype!r} to {target.dtype!r} with "
                            "casting rule 'same_kind'")
        value = apply("astype", value, target.dtype)
    target._data = value._data


def _run_out(op, np_kernel, args, kw, out, device, fell, st):
    """NumPy writes into the out= buffers; a device buffer is written on a host copy and then put back."""
    targets = {}

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
            o._data, c = device_buffer(buf, device)
            st[0] += c

    def back(v):
        hit = targets.get(id(v))
        if hit is not None:
            return hit[0]
        if type(v) is tuple:
            return tuple(back(x) for x in v)
        return _wrap_result(v, device, st)

    res = back(r)
    _count(op, FALLBACK if fell else NP, st[0])
    return res


def _traced(op, np_kernel, args, kw, out):
    """A call with a traced input: run it untraced, then let autodiff record it."""
    if out is not None:
        kw = dict(kw)
        kw.pop("out")
    args, kw = PREPARE[0](op, args, kw)
    plain = tuple(_untraced(a) for a in args)
    res = run(op, np_kernel, plain, {k: _untraced(v) for k, v in kw.items()} if kw else kw)
    res = RECORDER[0](op, args, kw, res)
    if out is not None:
        outs = out if type(out) is tuple else (out,)
        ress = res if type(res) is tuple else (res,)
        for o, r in zip(outs, ress, strict=True):
            if o is not None:
                assign(o, r)
        final = tuple(r if o is None else o for o, r in zip(outs, ress, strict=True))
        return final if type(res) is tuple else final[0]  # NumPy passes out=(a,) for a one-output ufunc
    return res


def _untraced(a):
    t = type(a)
    if t is MinArray:
        return a if a._node is None else wrap(a._data, a._device)
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


def run_mxnet(op, mx_kernel, args, kw):
    """Run `mx_kernel`, a callable that does its own MXNet work (symbol.Function), as op `op`: it receives the
    arrays' raw buffers (NumPy on the cpu, MXNet arrays on other devices) and is counted in the MXNet column."""
    info = [None, False, []]
    _scan(args, info)
    if kw:
        _scan(kw.values(), info)
    if info[1]:
        plain = tuple(_untraced(a) for a in args)
        res = run_mxnet(op, mx_kernel, plain, {k: _untraced(v) for k, v in kw.items()})
        return RECORDER[0](op, args, kw, res)
    st = [0]
    raw = {k: (v._data if type(v) is MinArray else v) for k, v in kw.items()}
    r = mx_kernel(*(a._data if type(a) is MinArray else a for a in args), **raw)
    # host buffers go into MXNet's own arrays and results come back as NumPy arrays: both are copies
    copied = _host_bytes(args) + _host_bytes(r if type(r) is tuple else (r,))
    res = _wrap_result(r, info[0] or get_default_device(), st)
    _count(op, MX, st[0] + copied)
    return res


def _host_bytes(values):
    return sum((v._data if type(v) is MinArray else v).nbytes for v in values
               if type(v) is numpy.ndarray or (type(v) is MinArray and type(v._data) is numpy.ndarray))
