"""{op name: NumPy kernel}: the reference semantics and the fallback for every op.

Op names are the Array API's where the spec has the op (`acos`, `pow`, `concat`, `max` ...), NumPy's otherwise
(`logaddexp2`, `cumsum`, `linalg.lstsq`).  Kernels take NumPy arguments and NumPy's keywords; the faces adapt.
Spec names that NumPy 1.26 lacks come from array_api_compat.numpy.
"""
import numpy

from .._native import speedups as _speedups

_select_into = getattr(_speedups, "select_into", None)

# NumPy's name -> op name, where the Array API names the same op differently
ALIASES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
    "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh", "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift", "invert": "bitwise_invert", "bitwise_not": "bitwise_invert",
    "power": "pow", "true_divide": "divide", "conjugate": "conj", "concatenate": "concat",
    "amax": "max", "amin": "min", "round_": "round", "around": "round",
}

SUBMODULES = ("linalg", "fft", "random")


def _own_key(x, key):
    """The index, with any index array that shares memory with x copied.

    Note: NumPy 1.26 reads such an index while it writes through it, so `d[d] = 1` can write out of bounds and
    corrupt the heap (found by tests/fuzz; NumPy 2 copies the index, with the same result as here)."""
    if type(key) is numpy.ndarray:
        return key.copy() if numpy.may_share_memory(x, key) else key
    if type(key) is tuple:
        return tuple(k.copy() if type(k) is numpy.ndarray and numpy.may_share_memory(x, k) else k for k in key)
    return key


def _setitem(x, key, value):
    out = x.copy()
    out[key] = value
    return out


def _setitem_(x, key, value):
    x[_own_key(x, key)] = value
    return x


def _astype(x, dtype, copy=True):
    return x.astype(dtype, copy=copy)


# ---------------------------------------------------------------- neural-network ops (no NumPy function has them)
# CS231n's layers, as ops that every backend can serve: x (N, C, H, W), weights (F, C, HH, WW), square windows,
# zero padding `pad` on both sides of both spatial axes, `stride` in both.
def _windows(x, size, stride, pad=0):
    """(N, C, H', W', sh, sw) view of the size-(sh, sw) windows of x at the given stride (after padding)."""
    if pad:
        x = numpy.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    win = numpy.lib.stride_tricks.sliding_window_view(x, size, axis=(2, 3))
    return win[:, :, ::stride, ::stride]


def conv2d(x, w, b=None, stride=1, pad=0):
    """Cross-correlation (as CS231n, MXNet and PyTorch define convolution) plus bias b (F,) or None."""
    win = _windows(x, w.shape[2:], stride, pad)
    out = numpy.tensordot(win, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2)
    if b is not None:
        out = out + b[None, :, None, None]
    return numpy.ascontiguousarray(out)


def conv2d_grad_input(g, w, input_shape, stride=1, pad=0):
    """The cotangent of conv2d's x for the output cotangent g."""
    n, c, h, wd = input_shape
    f, _, kh, kw = w.shape
    ho, wo = g.shape[2:]
    dxp = numpy.zeros((n, c, h + 2 * pad, wd + 2 * pad), dtype=numpy.result_type(g, w))
    for i in range(kh):
        for j in range(kw):
            dxp[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += numpy.tensordot(
                g, w[:, :, i, j], axes=([1], [0])).transpose(0, 3, 1, 2)
    return numpy.ascontiguousarray(dxp[:, :, pad:pad + h, pad:pad + wd])


def conv2d_grad_weight(x, g, weight_shape, stride=1, pad=0):
    """The cotangent of conv2d's w for the output cotangent g."""
    win = _windows(x, weight_shape[2:], stride, pad)
    return numpy.ascontiguousarray(numpy.tensordot(g, win, axes=([0, 2, 3], [0, 2, 3])))


def max_pool2d(x, size=2, stride=None):
    return numpy.ascontiguousarray(_windows(x, (size, size), stride or size).max(axis=(4, 5)))


def max_pool2d_grad(g, x, size=2, stride=None):
    """g routed to each window's argmax (its first maximum, or its first NaN); overlapping windows add up."""
    stride = stride or size
    win = _windows(x, (size, size), stride)
    pos = numpy.argmax(win.reshape(win.shape[:4] + (size * size,)), axis=-1)
    dx = numpy.zeros(x.shape, dtype=numpy.result_type(g, x))
    n, c, ho, wo = g.shape
    rows = numpy.arange(ho)[:, None] * stride + pos // size
    cols = numpy.arange(wo)[None, :] * stride + pos % size
    ni, ci = numpy.ogrid[:n, :c]
    numpy.add.at(dx, (ni[..., None, None], ci[..., None, None], rows, cols), g)
    return dx


def avg_pool2d(x, size=2, stride=None):
    return numpy.ascontiguousarray(_windows(x, (size, size), stride or size).mean(axis=(4, 5)))


def avg_pool2d_grad(g, input_shape, size=2, stride=None):
    stride = stride or size
    dx = numpy.zeros(input_shape, dtype=g.dtype)
    ho, wo = g.shape[2:]
    share = g / (size * size)
    for i in range(size):
        for j in range(size):
            dx[:, :, i:i + stride * ho:stride, j:j + stride * wo:stride] += share
    return dx


NN = {f.__name__: f for f in (conv2d, conv2d_grad_input, conv2d_grad_weight, max_pool2d, max_pool2d_grad,
                              avg_pool2d, avg_pool2d_grad)}


# ---------------------------------------------------------------- autodiff's private ops (in VJPs only)
def _select(g, x, y, wins):
    """g where x wins over y (wins: numpy.greater or numpy.less), g / 2 where they tie, else 0: the maximum and
    minimum VJP (as autograd and JAX split a tie).  In one pass in C where the buffers allow (_speedups.select_into:
    contiguous float32/float64 of one shape; the composition below takes 2-3x its time on ReLU's (64,256)).
    Note: the C pass raises no floating-point warnings (inf * 0 in the composition warns), as the backends' kernels
    of this private op do not."""
    if _select_into is not None and type(g) is numpy.ndarray:
        out = numpy.empty_like(g)
        if _select_into(out, g, x, y, wins is numpy.greater):
            return out
    out = numpy.asarray(numpy.multiply(g, wins(x, y), dtype=g.dtype))  # Note: numpy.where is 10x slower here
    tie = numpy.equal(x, y)
    if tie.any():
        tie = numpy.broadcast_to(tie, out.shape)
        out[tie] = numpy.broadcast_to(g, out.shape)[tie] * 0.5
    return out


def _tie_mask(x, y, ans):
    """1 where x alone attains ans, 1/2 where x and y both do, else 0."""
    hit = numpy.equal(x, ans)
    out = hit.astype(ans.dtype)
    both = numpy.logical_and(hit, numpy.equal(y, ans))
    if both.any():
        out[both] = 0.5
    return out


def _scatter_add(g, shape, key):
    """zeros(shape) with g added at key, repeated indices accumulating: the VJP of getitem."""
    out = numpy.zeros(shape, dtype=g.dtype)
    numpy.add.at(out, key, g)
    return out


def _matmul_t(a, b, ta, tb):
    """matmul of a and b, each first transposed over its last two axes where ta, tb say: the matmul VJP's products
    (g @ b^T, a^T @ g) as one op."""
    return numpy.matmul(a.swapaxes(-1, -2) if ta else a, b.swapaxes(-1, -2) if tb else b)


PRIVATE = {f.__name__: f for f in (_select, _tie_mask, _scatter_add, _matmul_t)}


def _reduction(name, ufunc):
    """numpy.<name> (sum, prod: with dtype=; max, min: without) of an ndarray as its ufunc's reduce, without
    fromnumeric's Python wrapper (7.7 us against 4.1 for a (64,10) row sum here); anything else (a subclass, a list,
    a scalar) goes to numpy.<name> itself, with the arguments as given."""
    reduce, whole, nv = ufunc.reduce, getattr(numpy, name), numpy._NoValue

    def typed(a, axis=None, dtype=None, out=None, keepdims=nv, initial=nv, where=nv):
        if type(a) is not numpy.ndarray:
            return whole(a, axis, dtype, out, keepdims, initial, where)
        return reduce(a, axis, dtype, out, keepdims is not nv and keepdims, initial, True if where is nv else where)

    def untyped(a, axis=None, out=None, keepdims=nv, initial=nv, where=nv):
        if type(a) is not numpy.ndarray:
            return whole(a, axis, out, keepdims, initial, where)
        return typed(a, axis, None, out, keepdims, initial, where)
    run = typed if name in ("sum", "prod") else untyped
    run.__name__ = run.__qualname__ = name
    return run


def _broadcast_to(x, shape, subok=False):
    """numpy.broadcast_to: a C-contiguous ndarray's read-only view made directly (2.5 us against 7.3 for NumPy's,
    which builds an nditer); anything else, or a shape it does not broadcast to, to numpy.broadcast_to."""
    if type(x) is numpy.ndarray and type(shape) is tuple and x.flags.c_contiguous and not x.dtype.hasobject:
        off = len(shape) - x.ndim
        strides = [0] * off
        for n, m, st in zip(shape[off:] if off >= 0 else (), x.shape, x.strides, strict=False):
            if type(n) is not int or n < 0 or (m != n and m != 1):
                break
            strides.append(st if m == n != 1 else 0)  # (NumPy gives a length-1 axis stride 0 too)
        if off >= 0 and len(strides) == len(shape):
            r = numpy.ndarray(shape, x.dtype, x, 0, strides)
            r.flags.writeable = False
            return r
    return numpy.broadcast_to(x, shape, subok)


REDUCTIONS = {"sum": numpy.add, "prod": numpy.multiply, "max": numpy.maximum, "min": numpy.minimum}


def _build():
    k = {**NN, **PRIVATE}
    for name in dir(numpy):
        obj = getattr(numpy, name)
        if name.startswith("_") or isinstance(obj, type) or not callable(obj):
            continue
        if name in ALIASES:  # NumPy's own name for the op wins over a (possibly deprecated) alias like round_
            k.setdefault(ALIASES[name], obj)
        else:
            k[name] = obj
    for sub in SUBMODULES:
        mod = getattr(numpy, sub)
        for name in dir(mod):
            obj = getattr(mod, name)
            if not name.startswith("_") and callable(obj) and not isinstance(obj, type):
                k[f"{sub}.{name}"] = obj
    try:
        import array_api_compat.numpy as compat
    except ImportError:  # pragma: no cover - a declared dependency
        compat = None
    if compat is not None:
        for name in dir(compat):
            obj = getattr(compat, name)
            if not name.startswith("_") and name not in k and callable(obj) and not isinstance(obj, type):
                k[name] = obj
        for sub in ("linalg", "fft"):
            mod = getattr(compat, sub)
            for name in getattr(mod, "__all__", dir(mod)):
                obj = getattr(mod, name, None)
                if callable(obj) and f"{sub}.{name}" not in k:
                    k[f"{sub}.{name}"] = obj
    k.update((n, _reduction(n, u)) for n, u in REDUCTIONS.items())
    k["broadcast_to"] = _broadcast_to
    k["getitem"] = lambda x, key: x[key]
    k["setitem"] = _setitem      # functional: used when the tape must see the update
    k["setitem_"] = _setitem_    # in place: the plain NumPy semantics
    k["astype"] = _astype
    k["copy"] = numpy.copy
    k["flatten"] = lambda x, order="C": x.flatten(order)
    return k


KERNELS = _build()
IN_PLACE = {"setitem_": 0}  # ops that write into an argument (its position): the result is that argument

# every NumPy callable -> its op name, for __array_function__ and __array_ufunc__
OP_OF = {}
for _name, _fn in list(KERNELS.items()):
    try:
        OP_OF.setdefault(_fn, _name)
    except TypeError:  # unhashable callables
        pass
for _np_name, _op in [*ALIASES.items(), *((n, n) for n in (*REDUCTIONS, "broadcast_to"))]:  # (kernels of our own)
    _fn = getattr(numpy, _np_name, None)
    if _fn is not None:
        OP_OF[_fn] = _op


# ---------------------------------------------------------------- NumPy's floating-point reports (errstate)
# For the C accelerator's scaled arrays (_speedups.c: `w -= c * g` in one pass), which compute what NumPy's
# multiply and subtract compute and have NumPy's own ufuncs report the flags their loops raised.
_DEFAULT_FP = {"divide": "warn", "over": "warn", "under": "ignore", "invalid": "warn"}
_geterrobj = numpy.core.umath.geterrobj if numpy.lib.NumpyVersion(numpy.__version__) < "2.0.0" else None


def errstate_default():
    """Is NumPy's errstate its default (divide, over and invalid warn, under ignored, no call)?"""
    if _geterrobj is not None:  # NumPy 1.x: one call, no dict
        e = _geterrobj()
        return e[1] == 521 and e[2] is None  # (1 << 0 | 1 << 3 | 1 << 9: warn for divide, over, invalid)
    e = numpy.geterr()
    return all(e[k] == v for k, v in _DEFAULT_FP.items()) and numpy.geterrcall() is None


# operands on which a ufunc raises one flag (2 overflow, 8 invalid: the flags of these ufuncs that the default
# errstate reports), as (a, b) with "max" for the dtype's largest value
_RAISING = {
    ("multiply", 2): ("max", 2.0), ("multiply", 8): (numpy.inf, 0.0),
    ("subtract", 2): ("max", "-max"), ("subtract", 8): (numpy.inf, numpy.inf),
    ("add", 2): ("max", "max"), ("add", 8): (numpy.inf, -numpy.inf),
}


def flag_operands(name, flags, dtype):
    """(ufunc, a, b): operands of dtype on which NumPy's ufunc `name` raises the floating-point flags `flags` (of
    overflow 2 and invalid 8), so that NumPy reports them as its own loop's."""
    big = numpy.finfo(dtype).max
    named = {"max": big, "-max": -big}
    pairs = [_RAISING[name, f] for f in (2, 8) if flags & f]
    a, b = ([named.get(v, v) for v in side] for side in zip(*pairs, strict=True)) if pairs else ([], [])
    return getattr(numpy, name), numpy.array(a, dtype), numpy.array(b, dtype)


def default_errstate(ufunc, a, b):
    """ufunc(a, b) under NumPy's default errstate."""
    with numpy.errstate(**_DEFAULT_FP):
        return ufunc(a, b)
