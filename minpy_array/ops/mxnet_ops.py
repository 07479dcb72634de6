"""{op name: (MXNet kernel, guard)}.  Built on first use (it imports MXNet, see ops/_mxnet.py).

A kernel takes MXNet arrays (and the op's NumPy arguments) and returns MXNet arrays; a creation kernel (a call with
no array argument) also gets `device=`.  Its guard admits only what tests/ops/test_parity.py proves equal to
NumPy: MXNet 1.9.1 truncates sin(int32), accumulates int32 sums in int32, has no int16/uint16+/complex, and lacks
many keywords.  Where MXNet's own kernel differs only in edge values (signed zeros of maximum and max, inf + inf in
its Kahan sums), the kernel is a composition of MXNet kernels that gives NumPy's answer: nothing is read back on
the host to decide.  Every kernel holds the backend's lock (MXNet is not safe from several threads at once).
"""
import builtins
import functools
import math

import numpy

from . import Decline, _mxnet
from ._guards import (
    BOOL,
    EXTREME,
    F32,
    F64,
    FLOATS,
    I32,
    I64,
    ON_HOST,
    axes,
    axis_ok,
    binary,
    bind,
    broadcasts_to,
    by_signature,
    checked_on_host,
    is_array,
    reduce_args,
    reduction,
    scalar_keeps,
    select,
    unary,
)

EXACT = frozenset((F32, F64, I32, I64))  # dtypes where add/sub/mul/compare are exact in MXNet
HELD = frozenset(d for d in _mxnet.DTYPES)

UNARY_FLOAT = ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt", "log1p", "expm1", "log2",
               "log10", "abs", "negative", "floor", "ceil", "trunc", "square", "acos", "asin", "atan",
               "asinh", "acosh", "atanh", "isnan", "isinf", "isfinite", "cbrt", "reciprocal", "fix")
# Note: left to NumPy: rint (MXNet 1.9.1 gives rint(1.5) = 1), degrees/radians (a float32 pi: wrong in float64),
# copysign and sign (MXNet 1.9.1 ignores the sign of -0.0 and gives sign(nan) = 0)
MX_NAME = {"acos": "arccos", "asin": "arcsin", "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh",
           "atanh": "arctanh", "pow": "power", "atan2": "arctan2", "concat": "concatenate"}
BINARY_FLOAT = ("divide", "pow", "hypot", "atan2")
BINARY_EXACT = ("add", "subtract", "multiply", "equal", "not_equal", "less", "less_equal", "greater",
                "greater_equal")
SHAPE_OPS = ("reshape", "transpose", "swapaxes", "broadcast_to", "expand_dims", "squeeze", "flip", "copy")
CREATION = ("zeros", "ones", "empty", "full")


def _mx():
    return _mxnet.load()


def _scalar_as_array(kernel):
    # Note: MXNet passes scalars to kernels as text and parses them back inexactly (measured: 1 in 6 float64
    # values off by an ulp, subnormals rejected); a 0-d array of the other operand's dtype carries the exact value.
    def run(a, b):
        if not _mxnet.is_buffer(b):
            b = _mx().np.array(b, dtype=a.dtype, ctx=a.ctx)
        elif not _mxnet.is_buffer(a):
            a = _mx().np.array(a, dtype=b.dtype, ctx=b.ctx)
        return kernel(a, b)
    return run


# ---------------------------------------------------------------- exact compositions
def _const(value, like):
    """A 0-d MXNet array of like's dtype and context (MXNet makes Python scalars float32)."""
    return _mx().np.array(value, dtype=like.dtype, ctx=like.ctx)


def _maximum(a, b):
    """NumPy's maximum: a where a > b or a is NaN, else b (so b for equal operands, as 0.0 and -0.0)."""
    mnp = _mx().np
    return mnp.where(a > b, a, mnp.where(mnp.isnan(a), a, b))


def _minimum(a, b):
    mnp = _mx().np
    return mnp.where(a < b, a, mnp.where(mnp.isnan(a), a, b))


def _extremum(pick):
    """max/min.  Note: over a slice whose extremes are +0.0 and -0.0, which zero NumPy returns depends on its loop
    and the array's layout, so it is not compared (README); the cpu device recomputes zero results with NumPy."""
    def run(*args, **kw):
        x, axis, keepdims = reduce_args(args, kw, EXTREME)
        return (_mx().np.max if pick == "max" else _mx().np.min)(x, axis=axis, keepdims=keepdims)
    return run


def _sum(kind):
    """sum/mean, with NumPy's non-finite results: MXNet's Kahan summation turns inf + inf into nan, so where the
    inputs hold infinities of one sign the result is that infinity (NaN where they hold both, or a NaN)."""
    def run(*args, **kw):
        x, axis, keepdims = reduce_args(args, kw)
        mnp = _mx().np
        s = (mnp.sum if kind == "sum" else mnp.mean)(x, axis=axis, keepdims=keepdims)
        hi = mnp.max(x, axis=axis, keepdims=keepdims)
        lo = mnp.min(x, axis=axis, keepdims=keepdims)
        inf, nan = _const(numpy.inf, x), _const(numpy.nan, x)
        pinf, ninf = hi == inf, lo == -inf
        return mnp.where(pinf, mnp.where(ninf, nan, inf), mnp.where(ninf, -inf, s))
    return run


# ---------------------------------------------------------------- guards beyond the shared ones
@by_signature
def matmul_guard(dts, args, kw):
    return len(args) == 2 and _product_ok(dts, args[0], args[1], kw, False)


@by_signature
def matmul_t_guard(dts, args, kw):
    return (len(args) == 4 and type(args[2]) is builtins.bool and type(args[3]) is builtins.bool
            and _product_ok(dts, args[0], args[1], kw, args[2]))


def _product_ok(dts, a, b, kw, ta):
    # Note: a contraction over one element is a plain product, whose zero sign NumPy keeps (0 * -0.0 is -0.0)
    # where MXNet's FullyConnected gives +0.0 (the sweep found (1, 1) @ (1, 1) on the cpu): NumPy runs it
    return (not kw and len(dts) == 2 and dts[0] == dts[1] and dts[0] in FLOATS and is_array(a) and is_array(b)
            and a.ndim == 2 and b.ndim == 2 and a.shape[0 if ta else 1] >= 2)


def _matmul_t(a, b, ta, tb):
    mnp = _mx().np
    return mnp.dot(mnp.swapaxes(a, 0, 1) if ta else a, mnp.swapaxes(b, 0, 1) if tb else b)


def _host_matmul_t(a, b, ta, tb):
    return _host_matmul(a.T if ta else a, b.T if tb else b)


def reshape_guard(dts, args, kw):
    return (len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT and not kw and len(args) == 2
            and isinstance(args[1], (tuple, builtins.int)))


def transpose_guard(dts, args, kw):
    return (len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT and not kw and len(args) in (1, 2)
            and (len(args) == 1 or axes(args[1], args[0].ndim) is not None))


def swapaxes_guard(dts, args, kw):
    return (len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT and not kw and len(args) == 3
            and axis_ok(args[1], args[0].ndim) and axis_ok(args[2], args[0].ndim))


def broadcast_to_guard(dts, args, kw):
    if not (len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT and not kw and len(args) == 2
            and type(args[1]) is tuple and builtins.all(type(d) is builtins.int for d in args[1])):
        return False
    return broadcasts_to(args[0].shape, args[1]) and 0 not in args[1] and _shape_ok(args[1])


def squeeze_guard(dts, args, kw):
    if not (len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT):
        return False
    p = bind(args, kw, ("axis",))
    if p is None or p.get("axis") is None:
        return p is not None
    ax = axes(p["axis"], args[0].ndim)
    return ax is not None and builtins.all(args[0].shape[a] == 1 for a in ax)


def copy_guard(dts, args, kw):
    return len(args) == 1 and not kw and len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT


def argreduce_guard(dts, args, kw):
    # Note: no keepdims/out (MXNet 1.9.1 lacks them); ties and NaN pick the first index as NumPy does (parity)
    if not (len(dts) == 1 and dts[0] in EXACT and is_array(args[0]) and args[0].size > 0):
        return False
    p = bind(args, kw, ("axis",))
    return p is not None and (p.get("axis") is None or axis_ok(p["axis"], args[0].ndim))


def concat_guard(dts, args, kw):
    if len(args) != 1 or type(args[0]) not in (list, tuple) or not args[0] or set(kw) - {"axis"}:
        return False
    arrays, axis = args[0], kw.get("axis", 0)
    return (len(dts) == len(arrays) and builtins.all(is_array(a) for a in arrays) and dts[0] in EXACT
            and builtins.all(d == dts[0] for d in dts)
            and type(axis) is builtins.int and builtins.all(a.ndim == arrays[0].ndim for a in arrays)
            and arrays[0].ndim > 0 and -arrays[0].ndim <= axis < arrays[0].ndim)


def stack_guard(dts, args, kw):
    if len(args) != 1 or type(args[0]) not in (list, tuple) or not args[0] or set(kw) - {"axis"}:
        return False
    arrays, axis = args[0], kw.get("axis", 0)
    return (len(dts) == len(arrays) and builtins.all(is_array(a) for a in arrays) and dts[0] in EXACT
            and builtins.all(d == dts[0] for d in dts) and type(axis) is builtins.int
            and builtins.all(a.shape == arrays[0].shape for a in arrays)
            and -arrays[0].ndim - 1 <= axis <= arrays[0].ndim)


def expand_dims_guard(dts, args, kw):
    return (len(args) == 2 and not kw and len(dts) == 1 and dts[0] in EXACT and is_array(args[0])
            and type(args[1]) is builtins.int and -args[0].ndim - 1 <= args[1] <= args[0].ndim)


def flip_guard(dts, args, kw):
    # Note: MXNet 1.9.1 raises on a negative axis; axis=None flips all axes
    axis = args[1] if len(args) == 2 else kw.get("axis")
    return (len(dts) == 1 and dts[0] in EXACT and is_array(args[0]) and set(kw) <= {"axis"}
            and len(args) + len(kw) <= 2 and type(axis) is builtins.int and 0 <= axis < args[0].ndim)


def astype_guard(dts, args, kw):
    # to a float dtype only: float -> int casts of NaN/inf/out-of-range values are undefined in C
    return (len(args) == 2 and len(dts) == 1 and is_array(args[0]) and dts[0] in EXACT | {BOOL}
            and kw in ({}, {"copy": True}, {"copy": False}) and isinstance(args[1], numpy.dtype)
            and args[1] in FLOATS)


def _nonempty(guard):
    # Note: MXNet 1.9.1's where() crashes the process on empty operands (broadcasting (0,) with ()): the kernels
    # built on it take non-empty arrays only
    def run(dts, args, kw):
        return guard(dts, args, kw) and builtins.all(a.size for a in args if is_array(a))
    return run


def where_guard(dts, args, kw):
    """where(cond, x, y): x and y arrays of one float dtype, or one of them a Python scalar that keeps it.
    Note: empty operands go to NumPy: MXNet 1.9.1 where() crashes the process broadcasting (0,) with ()."""
    if kw or len(args) != 3 or not dts or dts[0] != BOOL or not builtins.all(a.size for a in args if is_array(a)):
        return False
    c, x, y = args
    if not is_array(c):
        return False
    if len(dts) == 3:
        return dts[1] == dts[2] and dts[1] in FLOATS
    a, s = (x, y) if is_array(x) else (y, x)
    return len(dts) == 2 and is_array(a) and dts[1] in FLOATS and scalar_keeps(s, a, dts[1])


def _where(c, x, y):
    if not _mxnet.is_buffer(x):
        x = _const(x, y)
    elif not _mxnet.is_buffer(y):
        y = _const(y, x)
    return _mx().np.where(c, x, y)


def _creation_guard(dts, args, kw):
    """zeros/ones/empty(shape, dtype=float64) of a dtype MXNet holds, or full(shape, value, dtype)."""
    if dts:
        return False
    p = bind(args, kw, ("dtype",))
    return p is not None and _shape_ok(args[0]) and numpy.dtype(p.get("dtype") or "float64") in HELD


def full_guard(dts, args, kw):
    if dts or not args:
        return False
    p = bind(args, kw, ("fill_value", "dtype"))
    if p is None or "fill_value" not in p or p.get("dtype") is None or not _shape_ok(args[0]):
        return False
    dt = numpy.dtype(p["dtype"])
    return dt in FLOATS and type(p["fill_value"]) in (builtins.int, builtins.float)


def like_guard(dts, args, kw):
    if len(dts) != 1 or not is_array(args[0]):
        return False
    p = bind(args, kw, ("dtype",))
    return p is not None and numpy.dtype(p.get("dtype") or dts[0]) in FLOATS and dts[0] in FLOATS


def asarray_guard(dts, args, kw):
    """asarray(host data, dtype=None): a copy onto the device; asarray(device array) of the same dtype: itself."""
    p = bind(args, kw, ("dtype",))
    if p is None:
        return False
    if dts:
        dt = p.get("dtype")
        return len(dts) == 1 and is_array(args[0]) and (dt is None or numpy.dtype(dt) == dts[0])
    obj = args[0]
    return isinstance(obj, (numpy.ndarray, list, tuple, builtins.float, builtins.int)) and not is_array(obj)


def _shape_ok(shape):
    # Note: MXNet 1.9.1 wraps dimensions past 2**31 and allocates lazily: sizes NumPy cannot allocate either
    # (MemoryError, ValueError) go to NumPy, which raises
    shape = (shape,) if type(shape) is builtins.int else shape
    return (type(shape) is tuple and builtins.all(type(d) is builtins.int and 0 <= d < 2 ** 31 for d in shape)
            and math.prod(shape) < 2 ** 36)


# ---------------------------------------------------------------- kernels beyond MXNet's own
def _select(g, x, y, wins):
    mnp = _mx().np
    x, y = (v if _mxnet.is_buffer(v) else _const(v, g) for v in (x, y))
    hit = (x > y) if wins is numpy.greater else (x < y)
    return mnp.where(x == y, g * _const(0.5, g), g * hit.astype(g.dtype))  # -0.0, NaN where NumPy has them


def _astype(x, dtype, copy=True):
    return x.astype(dtype)


def _array(obj, dtype=None, device=None):
    """array(): a new array (MXNet devices have no views, so asarray's result of a device array is copied)."""
    r = _asarray(obj, dtype, device)
    return r.copy() if r is obj else r


def _asarray(obj, dtype=None, device=None):
    """asarray of a device array: itself; of host data: the NumPy array, which the engine copies to the device
    (counted in op_stats)."""
    if _mxnet.is_buffer(obj):
        return obj
    host = numpy.asarray(obj, dtype=dtype)
    if host.dtype not in HELD:
        raise Decline  # a dtype MXNet cannot hold: the array stays in host memory
    return host


def _creation(name):
    def run(shape, dtype=None, device=None):
        return getattr(_mx().np, name)(shape, dtype=numpy.dtype(dtype or "float64"), ctx=_mxnet.context(device))
    return run


def _full(shape, fill_value, dtype=None, device=None):
    # Note: MXNet passes the fill value as text (mx.np.full(1, -0.0) gives 0.0): ones times an exact 0-d array
    ones = _mx().np.ones(shape, dtype=numpy.dtype(dtype), ctx=_mxnet.context(device))
    return ones * _const(fill_value, ones)


def _like(name):
    def run(x, dtype=None):
        return getattr(_mx().np, name)(x, dtype=numpy.dtype(dtype or x.dtype))
    return run


def _squeeze(x, axis=None):
    return x.squeeze(axis=axis)


# ---------------------------------------------------------------- convolution and pooling: MXNet's own operators;
# their gradients are MXNet's backward passes, run through mx.autograd on just the input asked for
def _conv2d(x, w, b=None, stride=1, pad=0):
    npx = _mx().npx
    kw = dict(kernel=w.shape[2:], stride=(stride, stride), pad=(pad, pad), num_filter=w.shape[0])
    if b is None:
        return npx.convolution(x, w, no_bias=True, **kw)
    return npx.convolution(x, w, b, **kw)


def _backward(forward, inputs, wrt, g):
    """The cotangent of inputs[wrt] for forward(*inputs) given the output cotangent g (MXNet's backward)."""
    mx = _mx()
    inputs = list(inputs)
    x = inputs[wrt] = inputs[wrt].copy()
    x.attach_grad()
    with mx.autograd.record():
        y = forward(*inputs)
    y.backward(g)
    return x.grad


def _conv2d_grad_input(g, w, input_shape, stride=1, pad=0):
    x = _mx().np.zeros(tuple(input_shape), dtype=g.dtype, ctx=g.ctx)
    return _backward(lambda x, w: _conv2d(x, w, None, stride, pad), (x, w), 0, g)


def _conv2d_grad_weight(x, g, weight_shape, stride=1, pad=0):
    w = _mx().np.zeros(tuple(weight_shape), dtype=g.dtype, ctx=g.ctx)
    return _backward(lambda x, w: _conv2d(x, w, None, stride, pad), (x, w), 1, g)


def _pool(kind):
    def run(x, size=2, stride=None):
        s = stride or size
        mx = _mx()
        out = mx.npx.pooling(x, kernel=(size, size), stride=(s, s), pool_type=kind)
        if kind != "max":
            return out
        # Note: MXNet's max pooling skips NaN (NumPy's max gives NaN for a window holding one) and starts from the
        # lowest finite value (-3.4e38 for a window of -inf)
        def any_of(mask):
            return mx.npx.pooling(mask.astype(x.dtype), kernel=(size, size), stride=(s, s), pool_type="max") > 0
        out = mx.np.where(any_of(x > -numpy.inf), out, _const(-numpy.inf, x))
        return mx.np.where(any_of(mx.np.isnan(x)), _const(numpy.nan, x), out)
    return run


def _max_pool2d_grad(g, x, size=2, stride=None):
    """g added at each window's argmax (first maximum, or first NaN, as NumPy's argmax); windows as strided
    slices, one per position in the window."""
    mnp = _mx().np
    stride = stride or size
    ho, wo = g.shape[2:]
    spans = [(i, j) for i in range(size) for j in range(size)]
    win = mnp.stack([x[:, :, i:i + stride * (ho - 1) + 1:stride, j:j + stride * (wo - 1) + 1:stride]
                     for i, j in spans], axis=2)
    pos = mnp.argmax(win, axis=2)
    dx = mnp.zeros(x.shape, dtype=g.dtype, ctx=g.ctx)
    for k, (i, j) in enumerate(spans):
        hit = (pos == k).astype(g.dtype)
        rows, cols = slice(i, i + stride * (ho - 1) + 1, stride), slice(j, j + stride * (wo - 1) + 1, stride)
        dx[:, :, rows, cols] = dx[:, :, rows, cols] + g * hit
    return dx


def _avg_pool2d_grad(g, input_shape, size=2, stride=None):
    x = _mx().np.zeros(tuple(input_shape), dtype=g.dtype, ctx=g.ctx)
    return _backward(_pool("avg"), (x, size, stride), 0, g)


def nn_guard(n_arrays, pool=False):
    """conv2d/pooling calls on float arrays of one dtype, with int stride and padding (NumPy's reference kernels
    check the rest: MXNet is not asked outside these)."""
    def guard(dts, args, kw):
        if kw or len(dts) not in n_arrays or dts[0] not in FLOATS or not builtins.all(d == dts[0] for d in dts):
            return False
        if not builtins.all(type(v) is builtins.int or v is None or is_array(v) or type(v) is tuple for v in args):
            return False
        x = args[0] if not pool or len(args) < 2 else args[1] if is_array(args[1]) else args[0]
        return is_array(x) and x.ndim == 4
    return guard


def _build():
    mx = _mx()
    mnp = mx.np
    float_unary, float_binary, exact_binary = unary(FLOATS), binary(FLOATS), binary(EXACT)
    table = {}
    for op in UNARY_FLOAT:
        table[op] = (getattr(mnp, MX_NAME.get(op, op)), float_unary)
    for op in BINARY_FLOAT:
        table[op] = (_scalar_as_array(getattr(mnp, MX_NAME.get(op, op))), float_binary)
    table["maximum"] = (_scalar_as_array(_maximum), _nonempty(float_binary))
    table["minimum"] = (_scalar_as_array(_minimum), _nonempty(float_binary))
    for op in BINARY_EXACT:
        table[op] = (_scalar_as_array(getattr(mnp, op)), exact_binary)
    # Note: empty inputs go to NumPy: MXNet 1.9.1 gives mean([]) = 0 (NumPy: nan) and fails on some empty axes
    table["sum"] = (_sum("sum"), reduction(FLOATS, nonempty=True))
    table["mean"] = (_sum("mean"), reduction(FLOATS, nonempty=True))
    table["max"] = (_extremum("max"), reduction(FLOATS, EXTREME, nonempty=True))
    table["min"] = (_extremum("min"), reduction(FLOATS, EXTREME, nonempty=True))
    # Note: OpenBLAS (NumPy) can give 0 for 0 * inf inside a product where MXNet gives nan: only finite inputs
    # are compared; README, limits
    table["matmul"] = (mnp.dot, matmul_guard)
    table["dot"] = (mnp.dot, matmul_guard)
    table["_matmul_t"] = (_matmul_t, matmul_t_guard)
    table["reshape"] = (mnp.reshape, reshape_guard)
    table["transpose"] = (mnp.transpose, transpose_guard)
    table["swapaxes"] = (mnp.swapaxes, swapaxes_guard)
    table["broadcast_to"] = (mnp.broadcast_to, broadcast_to_guard)
    table["squeeze"] = (_squeeze, squeeze_guard)
    table["copy"] = (mnp.copy, copy_guard)
    table["where"] = (_where, where_guard)
    table["_select"] = (_select, _nonempty(select))
    table["argmax"] = (mnp.argmax, argreduce_guard)
    table["argmin"] = (mnp.argmin, argreduce_guard)
    table["concat"] = (mnp.concatenate, concat_guard)
    table["stack"] = (mnp.stack, stack_guard)
    table["expand_dims"] = (mnp.expand_dims, expand_dims_guard)
    table["flip"] = (mnp.flip, flip_guard)
    table["astype"] = (_astype, astype_guard)
    table["asarray"] = (_asarray, asarray_guard)
    table["array"] = (_array, asarray_guard)
    for op in CREATION:
        table[op] = (_creation(op), _creation_guard)
    table["full"] = (_full, full_guard)
    for op in ("zeros_like", "ones_like"):
        table[op] = (_like(op), like_guard)
    table["empty_like"] = (_like("zeros_like"), like_guard)  # Note: MXNet 1.9.1's empty_like fails; zeros will do
    table["conv2d"] = (_conv2d, nn_guard((2, 3)))
    table["conv2d_grad_input"] = (_conv2d_grad_input, nn_guard((2,)))
    table["conv2d_grad_weight"] = (_conv2d_grad_weight, nn_guard((2,)))
    table["max_pool2d"] = (_pool("max"), nn_guard((1,)))
    table["avg_pool2d"] = (_pool("avg"), nn_guard((1,)))
    table["max_pool2d_grad"] = (_max_pool2d_grad, nn_guard((2,)))
    table["avg_pool2d_grad"] = (_avg_pool2d_grad, nn_guard((1,)))
    return {op: (_locked(k), g) for op, (k, g) in table.items()}


def _locked(kernel):
    @functools.wraps(kernel)
    def run(*args, **kw):
        with _mxnet.LOCK:
            return kernel(*args, **kw)
    return run


_table = []


def kernels():
    """The table, built on first use (it imports MXNet)."""
    if not _table:
        with _mxnet.LOCK:
            if not _table:
                _table.append(_build())
    return _table[0]


def _borrowed(kernel):
    """A kernel run on NumPy buffers (the cpu device borrowing MXNet): inputs aliased, the result lent to NumPy
    (no copy either way where DLPack carries the dtype)."""
    def run(*args, **kw):
        with _mxnet.LOCK:
            r = kernel(*(_in(a) for a in args), **kw)
            return tuple(_mxnet.lend(v) for v in r) if type(r) is tuple else _mxnet.lend(r)
    return run


def _host_matmul(a, b):
    """matmul of NumPy 2-d arrays a (m, k) and b (k, n), on the cpu: MXNet's FullyConnected (oneDNN, data @ weight.T)
    where b is the transpose of a C-contiguous array (so both alias without a copy), else MXNet's dot."""
    mx = _mx()
    with _mxnet.LOCK:
        if a.size and b.size and a.flags.c_contiguous and b.T.flags.c_contiguous:
            r = mx.npx.fully_connected(_in(a), _in(b.T), num_hidden=b.shape[1], no_bias=True, flatten=False)
        else:
            r = mx.np.dot(_in(a), _in(b))
        return _mxnet.lend(r)


def _checked(op, kernel):
    check = ON_HOST.get(op)
    return kernel if check is None else checked_on_host(check)(kernel)


def _weight_copied(conv):
    """conv2d on NumPy buffers with a copy of the weight.  Note: MXNet's oneDNN convolution, outside training,
    reorders its weight array in place into oneDNN's blocked layout to reuse it; borrowed, that array would be the
    caller's NumPy buffer, so the kernel reads a copy (the weight is the small operand)."""
    def run(x, w, b=None, stride=1, pad=0):
        return conv(x, numpy.array(w), b, stride, pad)
    return run


def _in(a):
    if type(a) is numpy.ndarray:
        return _mxnet.borrow(a)
    if type(a) is list or type(a) is tuple:
        return type(a)(_in(v) for v in a)
    return a


_host_table = []


def host_kernels():
    """The table for the cpu device: compute kernels only (the host's shape ops are NumPy views)."""
    if not _host_table:
        table = {op: (_checked(op, _borrowed(k)), g) for op, (k, g) in kernels().items()
                 if op not in SHAPE_OPS and op not in CREATION and op not in
                 ("full", "zeros_like", "ones_like", "empty_like", "asarray", "array")}
        for op in ("matmul", "dot"):
            table[op] = (_checked(op, _host_matmul), table[op][1])
        table["_matmul_t"] = (_checked("_matmul_t", _host_matmul_t), table["_matmul_t"][1])
        table["conv2d"] = (_weight_copied(table["conv2d"][0]), table["conv2d"][1])
        _host_table.append(table)
    return _host_table[0]

