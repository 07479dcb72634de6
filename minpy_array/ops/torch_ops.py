"""{op name: (PyTorch kernel, guard)}.  Built on first use (it imports torch, see ops/_torch.py).

A kernel takes tensors (and the op's NumPy arguments) and returns tensors; a creation kernel (a call with no array
argument) also gets `device=`.  A guard admits only what tests/ops/test_parity.py proves equal to NumPy (values
within the dtype's tolerance, dtype, shape, signed zeros, NaN and inf).  Where torch's own kernel differs from
NumPy's only in edge values (which operand maximum returns for equal ones, the sign of a zero max, sign(nan)), the
kernel composes torch kernels that give NumPy's answer; nothing is read back on the host to decide, so nothing
waits for a CUDA device.  Torch's own type promotion never runs: guards admit operands of one dtype (or a Python
scalar that keeps it, as NumPy's rules say), and the engine casts as the faces decide.
"""
import builtins
import math
import operator

import numpy

from .._native import speedups as _speedups
from . import Decline, Invalid, _torch
from ._blas import gemm
from ._guards import (
    BOOL,
    EXTREME,
    F32,
    F64,
    FLOATS,
    I8,
    I16,
    I32,
    I64,
    ON_HOST,
    U8,
    axes,
    axis_ok,
    binary,
    bind,
    broadcasts_to,
    by_signature,
    is_array,
    reduction,
    scalar_keeps,
    select,
    unary,
)
from ._lend import lent

INTS = frozenset((I8, I16, I32, I64, U8))
SIGNED = frozenset((I8, I16, I32, I64))
EXACT = FLOATS | INTS            # add, subtract, multiply, comparisons: exact in torch as in NumPy
ORDERED = EXACT | {BOOL}         # comparisons, where, shape ops, indexing
HELD = frozenset(_torch.DTYPES)

UNARY_FLOAT = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos", "tan": "tan", "tanh": "tanh",
               "sinh": "sinh", "cosh": "cosh", "sqrt": "sqrt", "log1p": "log1p", "expm1": "expm1", "log2": "log2",
               "log10": "log10", "floor": "floor", "ceil": "ceil", "trunc": "trunc", "fix": "trunc",
               "rint": "round", "acos": "acos", "asin": "asin", "atan": "atan", "asinh": "asinh",
               "acosh": "acosh", "atanh": "atanh", "reciprocal": "reciprocal", "exp2": "exp2",
               "isnan": "isnan", "isinf": "isinf", "isfinite": "isfinite", "signbit": "signbit"}
UNARY_EXACT = {"abs": "abs", "negative": "neg", "square": "square"}
BINARY_FLOAT = {"divide": "true_divide", "pow": "pow", "hypot": "hypot", "atan2": "atan2",
                "logaddexp": "logaddexp", "copysign": "copysign"}
BINARY_EXACT = {"add": operator.add, "subtract": operator.sub, "multiply": operator.mul,
                "equal": operator.eq, "not_equal": operator.ne, "less": operator.lt, "less_equal": operator.le,
                "greater": operator.gt, "greater_equal": operator.ge}
LOGICAL = {"logical_and": "logical_and", "logical_or": "logical_or", "logical_xor": "logical_xor"}
# ops whose results share memory with their input (NumPy's views): on the cpu device NumPy serves them
VIEW_OPS = ("reshape", "transpose", "swapaxes", "moveaxis", "broadcast_to", "expand_dims", "squeeze", "ravel",
            "real", "imag", "getitem", "setitem_", "asarray", "array")
CREATION = ("zeros", "ones", "empty", "full", "arange", "zeros_like", "ones_like", "empty_like", "full_like")

_T = {}  # NumPy dtype -> torch dtype
_N = {}  # torch dtype -> NumPy dtype

_select_into = getattr(_speedups, "select_into", None)


def _torch_dtype(dt):
    t = _T.get(dt)
    if t is None:
        t = _T[dt] = _torch.load().from_numpy(numpy.empty(0, dt)).dtype
    return t


# ---------------------------------------------------------------- exact compositions
def _maximum(a, b):
    """NumPy's maximum: a where a > b or a is NaN, else b (so b for equal operands, as 0.0 and -0.0)."""
    return _pick(a, b, operator.gt)


def _minimum(a, b):
    return _pick(a, b, operator.lt)


def _pick(a, b, better):
    torch = _torch.load()
    tensor = torch.Tensor
    if isinstance(a, tensor) and not isinstance(b, tensor) and a.is_floating_point():
        # the bound as the array's dtype holds it (a tiny float32 bound is -0.0); a zero is itself
        b = float(b) if b == 0 else float(_np_dtype(a).type(b))
        if b == b and not (b == 0 and math.copysign(1.0, b) < 0):
            # x against a number (ReLU's maximum(x, 0.0)): NumPy gives the bound where x equals it, which only a
            # zero's sign tells apart, and keeps NaN.  maximum: threshold's `b if x <= b else x`, one kernel;
            # minimum: a clamp (it keeps NaN) and x + 0.0, which turns -0.0 into the bound 0.0
            if better is operator.gt:
                return torch.threshold(a, b, b)
            r = a.clamp_max(_const(b, a))
            return r.add_(_const(0.0, a)) if b == 0 else r
    if not isinstance(a, tensor):
        if a != a:
            return torch.full_like(b, a)
        return torch.where(better(a, b), a, b)
    if not a.is_floating_point():
        return torch.where(better(a, b), a, b)
    return torch.where(better(a, b) | a.isnan(), a, b)


def is_tensor(v):
    return _torch.is_buffer(v)


def _sign(x):
    """sign with NumPy's sign(nan) = nan (torch gives 0)."""
    torch = _torch.load()
    return torch.where(x.isnan(), x, torch.sign(x)) if x.is_floating_point() else torch.sign(x)


def _extremum(pick):
    """max/min (amax/amin).  Note: over a slice whose extremes are +0.0 and -0.0, which zero NumPy returns depends on
    its loop and the array's layout (a strided view can give the other one), so it is not compared (README)."""
    def run(x, axis=None, out=None, keepdims=False):  # EXTREME's order; the guard admitted the call
        return (_torch.load().amax if pick == "max" else _torch.load().amin)(
            x, dim=tuple(range(x.ndim)) if axis is None else axis, keepdim=keepdims)
    return run


def _sum(x, axis=None, dtype=None, out=None, keepdims=False):  # REDUCE's order; the guard admitted the call
    return _torch.load().sum(x, dim=axis, keepdim=keepdims)


def _mean(x, axis=None, dtype=None, out=None, keepdims=False):
    return _torch.load().mean(x, dim=axis, keepdim=keepdims)


def _argreduce(name):
    def run(x, axis=None, out=None, *, keepdims=False):
        f = getattr(_torch.load(), name)
        if axis is None:
            r = f(x)
            return r.reshape((1,) * x.ndim) if keepdims else r
        return f(x, dim=axis, keepdim=keepdims)
    return run


def _select(g, x, y, wins):
    """_select(g, x, y, wins) of vjps.py: g where x wins, g/2 where x and y tie, else 0."""
    if _select_into is not None and g.device.type == "cpu":
        out = _on_host_pass(g, x, y, wins)
        if out is not None:
            return out
    return _select_composed(g, x, y, wins)


def _select_composed(g, x, y, wins):
    """_select in torch kernels (a CUDA device's; a CPU tensor's where the one pass declines)."""
    torch = _torch.load()
    if type(y) in (builtins.float, builtins.int) and y == 0 and type(x) is torch.Tensor:  # ReLU's
        s = _step(x, wins is numpy.greater)
        return s.mul_(g) if s.shape == g.shape else g * s  # g * 0: -0.0 and NaN as NumPy's g * False
    hit = (x > y) if wins is numpy.greater else (x < y)
    return torch.where(x == y, g * 0.5, g * hit)  # g * False: -0.0 and NaN where NumPy has them


def _on_host_pass(g, x, y, wins):
    """_select of CPU tensors in one pass over their memory (numpy_ops._select's C kernel, the same arithmetic; on
    ReLU's (64,256) 23 us against 27-90 for _select_composed's four kernels on this project's VM), or None where it
    declines (not contiguous float32/64 operands of one shape and dtype, or a tensor NumPy cannot view)."""
    torch = _torch.load()
    if type(x) is not torch.Tensor:
        return None
    try:
        y = y.numpy() if type(y) is torch.Tensor else y
        out = torch.empty_like(g, memory_format=torch.contiguous_format)
        return out if _select_into(out.numpy(), g.numpy(), x.numpy(), y, wins is numpy.greater) else None
    except (RuntimeError, TypeError):  # (a tensor with its conjugate or negative bit set, or a dtype NumPy lacks)
        return None


def _step(x, up):
    """1 where x > 0 (up) or x < 0 (not up), 1/2 where x is +-0, 0 elsewhere and where x is NaN, in float arithmetic
    only (torch's comparisons cost 3-6x more on the cpu): 1/2 +- sign(x) / 2, with NaN counted on the losing side."""
    half = _const(0.5, x)
    return _torch.load().add(half, x.nan_to_num(-1.0 if up else 1.0).sign_(), alpha=0.5 if up else -0.5)


def _tie_mask(x, y, ans):
    hit = x == ans
    out = hit.to(ans.dtype)
    return _torch.load().where(hit & (y == ans), out * 0.5, out)


# ---------------------------------------------------------------- shape ops
def _reshape(x, shape, order="C"):
    return x.reshape((shape,) if type(shape) is builtins.int else tuple(shape))


def _transpose(x, axes=None):
    return x.permute(tuple(reversed(range(x.ndim))) if axes is None else tuple(axes))


def _swapaxes(x, a, b):
    return x.transpose(a, b)


def _moveaxis(x, source, destination):
    return _torch.load().movedim(x, source, destination)


def _expand_dims(x, axis):
    for a in sorted(a % (x.ndim + len(_tuple(axis))) for a in _tuple(axis)):
        x = x.unsqueeze(a)
    return x


def _tuple(axis):
    return axis if type(axis) is tuple else (axis,)


def _squeeze(x, axis=None):
    if axis is None:
        return x.squeeze()
    return x.squeeze(tuple(a % x.ndim for a in _tuple(axis)))


def _broadcast_to(x, shape, subok=False):
    r = x.expand(_shape(shape))
    if not _torch.overlapping(r):
        # Note: torch has no read-only flag; a stretched axis (a zero stride over 2+ elements) is what
        # _torch.writeable reads as NumPy's read-only broadcast.  A broadcast without one (to 0 or 1 elements along
        # every new axis, or to x's own shape) is marked on the tensor object, which its slices do not inherit:
        # they are writeable where NumPy's are read-only (README, limits)
        r.read_only_broadcast = True
    return r


def _real(x):
    return _torch.load().real(x) if x.is_complex() else x  # a view, as NumPy's


def _imag(x):
    torch = _torch.load()
    if x.is_complex():
        return torch.imag(x)  # a view, as NumPy's
    return _broadcast_to(torch.zeros((), dtype=x.dtype, device=x.device), x.shape)  # NumPy's: read-only zeros


def _ravel(x, order="C"):
    return x.reshape(-1)


def _flatten(x, order="C"):
    return x.reshape(-1).clone()


def _copy(x, order="K", subok=False):
    return x.clone()


def _concat(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    torch = _torch.load()
    if axis is None:
        return torch.cat([a.reshape(-1) for a in arrays])
    return torch.cat(list(arrays), dim=axis)


def _stack(arrays, axis=0, out=None, dtype=None, casting="same_kind"):
    return _torch.load().stack(list(arrays), dim=axis)


def _where(cond, x, y):
    return _torch.load().where(cond, x, y)


def _astype(x, dtype, copy=True):
    t = _torch_dtype(numpy.dtype(dtype))
    return x.to(t, copy=bool(copy))


def _matmul(a, b):
    return _torch.load().matmul(a, b)


def _matmul_t(a, b, ta, tb):
    return _torch.load().matmul(a.mT if ta else a, b.mT if tb else b)


def _clip(x, a_min, a_max):
    """NumPy's clip, minimum(maximum(x, a_min), a_max) (torch.clamp keeps -0.0 at a bound of 0.0)."""
    if a_min is not None:
        x = _maximum(x, a_min)
    return x if a_max is None else _minimum(x, a_max)


# ---------------------------------------------------------------- indexing
def _index(key, device, shape):
    """A NumPy index as torch takes it: index arrays become tensors on the device, bounds checked on the host (a
    CUDA kernel would abort on an out-of-range index instead of raising IndexError)."""
    if type(key) is not tuple:
        key = (key,)
    return tuple(_index_item(k, device, n) for k, n in zip(key, _axis_sizes(key, shape), strict=True))


def _axis_sizes(key, shape):
    """The size of the axis each key item indexes (0 where it indexes none)."""
    consumed = builtins.sum(_width(p) for p in key)
    out, ax = [], 0
    for p in key:
        w = len(shape) - consumed if p is Ellipsis else _width(p)
        out.append(shape[ax] if w == 1 and ax < len(shape) else 0)
        ax += w
    return out


def _index_item(k, device, n):
    # Note: torch reads a uint8 index tensor as a boolean mask; NumPy's integer index arrays go as int64
    torch = _torch.load()
    if type(k) is numpy.ndarray or type(k) is list:
        a = numpy.asarray(k)
        if a.dtype.kind in "iu":
            a = a.astype(numpy.int64, copy=False)
        return _torch.tensor(a, device) if a.dtype.kind in "biu" else k
    if is_tensor(k) and k.dtype != torch.bool and k.dtype != torch.int64:
        k = k.to(torch.int64)
    if is_tensor(k) and k.dtype != torch.bool and k.numel() and bool(((k < -n) | (k >= n)).any()):
        if k.is_cuda:
            # Note: an index array on a CUDA device is bounds-checked with one wait for the device: a CUDA kernel
            # given an out-of-range index aborts the process's CUDA context instead of raising IndexError
            raise Invalid(IndexError(f"index out of bounds for axis with size {n}"))
        # torch's cpu kernel skips the check where the result is empty (x[..., :0, [5]]), where NumPy 2 raises
        # IndexError and NumPy 1.26 warns and gives the empty result: NumPy answers
        raise Decline
    return k


def _getitem(x, key):
    idx = _index(key, x.device, x.shape)
    r = x[idx]
    # Note: NumPy gives a new array for an integer index on every axis (a scalar) and for any index array, 0-d
    # ones included; torch gives views in both cases
    if (r.ndim == 0 and builtins.all(type(k) is builtins.int for k in idx)) or builtins.any(map(is_tensor, idx)):
        return r.clone() if r.untyped_storage().data_ptr() == x.untyped_storage().data_ptr() else r
    return r


def _setitem_(x, key, value):
    if _torch.overlapping(x):
        raise Invalid(ValueError("assignment destination is read-only"))
    if is_tensor(value) and value.dtype != x.dtype:
        value = value.to(x.dtype)  # NumPy casts the value to the target's dtype (the guard admits safe kinds)
    x[_index(key, x.device, x.shape)] = value
    return x


def _setitem(x, key, value):
    return _setitem_(x.clone(), key, value)


def _scatter_add(g, shape, key):
    """zeros(shape) with g added at key, repeated indices accumulating: the VJP of getitem (vjps.py)."""
    torch = _torch.load()
    out = torch.zeros(tuple(shape), dtype=g.dtype, device=g.device)
    idx = _index(key, g.device, shape)
    if builtins.all(is_tensor(k) or type(k) is builtins.int for k in idx) and builtins.any(is_tensor(k) for k in idx):
        # index arrays (and ints): repeated indices accumulate
        idx = tuple(torch.tensor(k, device=g.device) if type(k) is builtins.int else k for k in idx)
        return out.index_put_(idx, g, accumulate=True)
    out[idx] = g  # the guard admits other keys only where no element is indexed twice
    return out


def _key_parts(key):
    return key if type(key) is tuple else (key,)


def _index_arrays(key):
    return [k for k in _key_parts(key) if type(k) is numpy.ndarray or type(k) is list or is_array(k)]


def _key_ok(key, shape, unique=False):
    """A key torch indexes as NumPy does: ints, slices with a positive step, None, Ellipsis, and index arrays
    (host integer arrays within bounds, host or device booleans); `unique`: no repeated integer index."""
    parts = _key_parts(key)
    if type(key) is list:
        return False  # Note: NumPy reads a list key as one index array; torch as a tuple in some cases
    arrays = 0
    for k, n in zip(parts, _axis_sizes(parts, shape), strict=True):
        t = type(k)
        if t is builtins.int or k is None or k is Ellipsis:
            continue
        if t is slice:
            if k.step is not None and (type(k.step) is not builtins.int or k.step <= 0):
                return False
            if not builtins.all(v is None or type(v) is builtins.int for v in (k.start, k.stop)):
                return False
            continue
        if t is numpy.ndarray or t is list:
            a = numpy.asarray(k)
            if a.dtype.kind == "b":
                arrays += 1
                continue
            if a.dtype.kind not in "iu" or a.size == 0:
                return False
            if unique and len(numpy.unique(numpy.where(a < 0, a + n, a))) != a.size:  # -1 is n - 1
                return False
            arrays += 1
            continue
        if is_array(k) and (k.dtype == BOOL or (k.dtype in SIGNED | {U8} and not unique)):
            arrays += 1  # a device index array: bounds are checked by the kernel
            continue
        return False
    if builtins.sum(p is Ellipsis for p in parts) > 1:
        return False
    if arrays and not _advanced_placed_alike(parts):
        return False
    return _bounds_ok(parts, shape)


def _advanced_placed_alike(parts):
    """Does torch put the axes of a key's index arrays where NumPy does?  Note: NumPy counts an int beside an index
    array as one more index array (x[0, None, [0, 0]] has shape (2, 1, ...) there, (1, 2, ...) in torch) and places
    the result's axes first where the index arrays are apart; torch drops the int's axis first: keys with an int, or
    a None between two index arrays, stay with NumPy."""
    at = [i for i, p in enumerate(parts) if type(p) is not slice and p is not None and p is not Ellipsis]
    if any(type(parts[i]) is builtins.int for i in at):
        return False
    return not any(parts[i] is None for i in range(at[0], at[-1]))


def _width(p):
    """How many axes an index item consumes."""
    if p is None or p is Ellipsis:
        return 0
    if type(p) is numpy.ndarray or type(p) is list:
        a = numpy.asarray(p)
        return a.ndim if a.dtype.kind == "b" else 1
    if is_array(p) and p.dtype == BOOL:
        return p.ndim
    return 1


def _bounds_ok(parts, shape):
    """Host index arrays and ints are within the axes they index (NumPy's IndexError otherwise)."""
    consumed = builtins.sum(_width(p) for p in parts)
    if consumed > len(shape):
        return False
    ax = 0
    for p in parts:
        if p is Ellipsis:
            ax += len(shape) - consumed
            continue
        w = _width(p)
        if type(p) is numpy.ndarray or type(p) is list:
            a = numpy.asarray(p)
            if a.dtype.kind == "b":
                if a.shape != tuple(shape[ax:ax + w]):
                    return False
            elif a.min() < -shape[ax] or a.max() >= shape[ax]:
                return False
        elif is_array(p) and p.dtype == BOOL and p.shape != tuple(shape[ax:ax + w]):
            return False
        elif type(p) is builtins.int and not -shape[ax] <= p < shape[ax]:
            return False
        ax += w
    return True


# ---------------------------------------------------------------- creation
def _creation(name):
    def run(shape, dtype=None, order="C", device=None, like=None):
        dt = _torch_dtype(numpy.dtype(dtype or "float64"))
        return getattr(_torch.load(), name)(_shape(shape), dtype=dt, device=_torch.context(device))
    return run


def _shape(shape):
    return (shape,) if type(shape) is builtins.int else tuple(shape)


def _full(shape, fill_value, dtype=None, order="C", device=None, like=None):
    dt = _torch_dtype(numpy.dtype(dtype))
    return _torch.load().full(_shape(shape), fill_value, dtype=dt, device=_torch.context(device))


def _arange(start, stop=None, step=1, dtype=None, device=None, like=None):
    if stop is None:
        start, stop = 0, start
    n = len(range(start, stop, step))  # Note: torch refuses an empty range whose bounds disagree with the step
    dt = _torch_dtype(numpy.dtype(dtype or "int64"))
    return _torch.load().arange(start, start + n * step, step, dtype=dt, device=_torch.context(device))


def _like(name):
    def run(x, dtype=None, order="K", subok=True, shape=None):
        torch = _torch.load()
        return getattr(torch, name)(x, dtype=_torch_dtype(numpy.dtype(dtype or _np_dtype(x))))
    return run


def _full_like(x, fill_value, dtype=None, order="K", subok=True, shape=None):
    return _torch.load().full_like(x, fill_value, dtype=_torch_dtype(numpy.dtype(dtype or _np_dtype(x))))


def _np_dtype(t):
    """The NumPy dtype of tensor t."""
    dt = _N.get(t.dtype)
    if dt is None:
        dt = _N[t.dtype] = _torch.numpy_dtype(t.dtype)
    return dt


def _array(obj, dtype=None, *, copy=True, device=None):
    """array(): asarray, but a new array unless copy is False (NumPy's array copies)."""
    r = _asarray(obj, dtype, device)
    return r.clone() if copy and is_tensor(r) and (r is obj or r.data_ptr() == obj.data_ptr()) else r


def _asarray(obj, dtype=None, device=None):
    """asarray of a device array: itself (cast where dtype says); of host data: the NumPy array, which the engine
    copies to the device (counted in op_stats)."""
    if is_tensor(obj):
        return obj if dtype is None else obj.to(_torch_dtype(numpy.dtype(dtype)))
    return numpy.asarray(obj, dtype=dtype)


# ---------------------------------------------------------------- guards beyond the shared ones
def _one(dts, dtypes):
    return len(dts) == 1 and dts[0] in dtypes


def shape_guard(names, check=None):
    def guard(dts, args, kw):
        if not (_one(dts, HELD) and is_array(args[0])):
            return False
        p = bind(args, kw, names)
        return p is not None and (check is None or check(args[0], p))
    return by_signature(guard)


def _reshape_ok(x, p):
    shape = p.get("shape", p.get("newshape"))
    shape = (shape,) if type(shape) is builtins.int else shape
    return (p.get("order", "C") == "C" and type(shape) is tuple
            and builtins.all(type(d) is builtins.int for d in shape))


def _transpose_ok(x, p):
    a = p.get("axes")
    return a is None or (type(a) in (tuple, list) and len(a) == x.ndim and axes(tuple(a), x.ndim) is not None)


def _swapaxes_ok(x, p):
    n = x.ndim
    return axis_ok(p.get("axis1"), n) and axis_ok(p.get("axis2"), n)


def _moveaxis_ok(x, p):
    s, d = p.get("source"), p.get("destination")
    return (s is not None and d is not None and axes(_tuple(s), x.ndim) is not None
            and axes(_tuple(d), x.ndim) is not None and len(_tuple(s)) == len(_tuple(d)))


def _expand_ok(x, p):
    a = p.get("axis")
    return a is not None and axes(_tuple(a), x.ndim + len(_tuple(a))) is not None


def _squeeze_ok(x, p):
    if p.get("axis") is None:
        return True
    ax = axes(p["axis"], x.ndim)
    return ax is not None and builtins.all(x.shape[a] == 1 for a in ax)


def _broadcast_ok(x, p):
    shape = p.get("shape")
    if type(shape) is builtins.int:
        shape = (shape,)
    if type(shape) is not tuple or not builtins.all(type(d) is builtins.int and d >= 0 for d in shape):
        return False
    return broadcasts_to(x.shape, shape)


def _order_c(x, p):
    return p.get("order", "C") == "C"


def _copy_ok(x, p):
    return p.get("order", "K") in ("K", "C", "A") and not p.get("subok", False)


@by_signature
def matmul_guard(dts, args, kw):
    return len(args) == 2 and _product_ok(dts, args[0], args[1], kw, 1, False)


@by_signature
def matmul_t_guard(dts, args, kw):
    return (len(args) == 4 and type(args[2]) is builtins.bool and type(args[3]) is builtins.bool
            and _product_ok(dts, args[0], args[1], kw, 2, args[2]))


def _product_ok(dts, a, b, kw, ndim, ta):
    """Arrays a and b of one float dtype, each of `ndim` dimensions or more, no keywords, a contraction over two
    elements or more (a's last axis, its second-to-last where ta)."""
    # Note: a contraction over one element is a plain product, whose zero sign NumPy keeps (a length-1 dot gives
    # -0.0 for 0 * -0.0) where torch's kernels give the other zero (and the reverse for an outer product through
    # matmul): NumPy runs those
    return (not kw and len(dts) == 2 and dts[0] == dts[1] and dts[0] in FLOATS and is_array(a) and is_array(b)
            and a.ndim >= ndim and b.ndim >= ndim and a.shape[-2 if ta else -1] >= 2)


@by_signature
def dot_guard(dts, args, kw):
    # Note: NumPy's dot of N-d arrays contracts differently from matmul: only 1-d and 2-d operands here
    return matmul_guard(dts, args, {} if kw == {"out": None} else kw) and args[0].ndim <= 2 and args[1].ndim <= 2


@by_signature
def where_guard(dts, args, kw):
    if kw or len(args) != 3 or not is_array(args[0]) or dts[0] != BOOL:
        return False
    x, y = args[1], args[2]
    if is_array(x) and is_array(y):
        return len(dts) == 3 and dts[1] == dts[2] and dts[1] in ORDERED
    a, s = (x, y) if is_array(x) else (y, x)
    return len(dts) == 2 and is_array(a) and dts[1] in FLOATS and scalar_keeps(s, a, dts[1])


@by_signature
def tie_mask_guard(dts, args, kw):
    return not kw and len(args) == 3 and len(dts) == 3 and dts[0] in FLOATS and dts[0] == dts[1] == dts[2]


@by_signature
def argreduce_guard(dts, args, kw):
    if not (_one(dts, EXACT) and is_array(args[0]) and args[0].size > 0):
        return False
    p = bind(args, {k: v for k, v in kw.items() if k != "keepdims"}, ("axis", "out"))
    return (p is not None and p.get("out") is None and type(kw.get("keepdims", False)) is builtins.bool
            and (p.get("axis") is None or axis_ok(p["axis"], args[0].ndim)))


# Note: NumPy sums small signed integers and booleans into int64 as torch does; uint8 goes to uint64 there
sum_guard = reduction(FLOATS | SIGNED | {BOOL})


def _arrays_guard(name_axis_ok):
    def guard(dts, args, kw):
        if not args or type(args[0]) not in (list, tuple) or not args[0]:
            return False
        p = bind(args, kw, ("axis", "out", "dtype", "casting"))
        if p is None or p.get("out") is not None or p.get("dtype") is not None:
            return False
        arrays = args[0]
        if len(dts) != len(arrays) or not builtins.all(is_array(a) for a in arrays):
            return False
        if dts[0] not in ORDERED or not builtins.all(d == dts[0] for d in dts):
            return False
        return name_axis_ok(arrays, p.get("axis", 0))
    return guard


def _concat_axis_ok(arrays, axis):
    nd = arrays[0].ndim
    if axis is None:
        return True
    if type(axis) is not builtins.int or nd == 0 or not -nd <= axis < nd:
        return False
    ax = axis % nd
    return builtins.all(a.ndim == nd and a.shape[:ax] + a.shape[ax + 1:] == arrays[0].shape[:ax]
                        + arrays[0].shape[ax + 1:] for a in arrays)


def _stack_axis_ok(arrays, axis):
    nd = arrays[0].ndim
    return (type(axis) is builtins.int and -nd - 1 <= axis <= nd
            and builtins.all(a.shape == arrays[0].shape for a in arrays))


@by_signature
def astype_guard(dts, args, kw):
    # Note: float -> integer casts of NaN, inf and out-of-range values are undefined in C: those stay with NumPy
    if len(args) != 2 or len(dts) != 1 or not is_array(args[0]) or set(kw) - {"copy"}:
        return False
    dt = args[1]
    if isinstance(dt, type) and issubclass(dt, numpy.generic):  # x.astype(numpy.float32), as the fast path passes it
        dt = numpy.dtype(dt)
    if not isinstance(dt, numpy.dtype) or dt not in HELD or dts[0] not in HELD:
        return False
    if dts[0].kind == "c" or dt.kind == "c":
        return dts[0] == dt
    return not (dts[0].kind == "f" and dt.kind in "iu")


def getitem_guard(dts, args, kw):
    if kw or len(args) != 2 or not is_array(args[0]) or dts[0] not in HELD:
        return False
    return _key_ok(args[1], args[0].shape)


def setitem_guard(dts, args, kw):
    if kw or len(args) != 3 or not is_array(args[0]) or dts[0] not in HELD:
        return False
    x, key, v = args
    if type(x._data) is not numpy.ndarray and _torch.overlapping(x._data):
        return True  # a broadcast view: the kernel raises NumPy's read-only error, before any other check
    if is_array(v) and v.ndim > 1 and builtins.any(
            (type(k) is numpy.ndarray and k.dtype == BOOL) or (is_array(k) and k.dtype == BOOL)
            for k in (key if type(key) is tuple else (key,))):
        return False  # Note: NumPy takes only 0-d and 1-d values for a boolean mask (TypeError); torch broadcasts
    target = dts[0]
    if is_array(v):
        vd = v.dtype
        if vd.kind == "c" or target.kind == "c" or (vd.kind == "f" and target.kind in "iub"):
            return False
        if not numpy.can_cast(vd, target, "same_kind") and not (vd.kind in "iub" and target.kind == "f"):
            return False
    elif type(v) is builtins.float:
        if target.kind != "f":
            return False
    elif type(v) is builtins.int:
        if target.kind == "b" or (target.kind in "iu" and not numpy.iinfo(target).min <= v <= numpy.iinfo(
                target).max):
            return False
    elif type(v) is not builtins.bool:
        return False
    return _key_ok(key, x.shape, unique=True)


def scatter_guard(dts, args, kw):
    if kw or len(args) != 3 or not _one(dts[:1], FLOATS) or not builtins.all(d == BOOL for d in dts[1:]):
        return False
    g, shape, key = args
    if not is_array(g) or type(shape) is not tuple:
        return False
    # index_put_ accumulates repeated indices but takes index arrays alone; other keys index each place once
    arrays = _index_arrays(key)
    return _key_ok(key, shape, unique=len(arrays) != len(_key_parts(key)))


def creation_guard(dts, args, kw):
    if dts or not args:
        return False
    p = bind(args, kw, ("dtype", "order", "like"))
    return (p is not None and _shape_ok(args[0]) and p.get("order", "C") == "C" and p.get("like") is None
            and numpy.dtype(p.get("dtype") or "float64") in HELD)


def full_guard(dts, args, kw):
    if dts or not args:
        return False
    p = bind(args, kw, ("fill_value", "dtype", "order", "like"))
    if p is None or "fill_value" not in p or p.get("dtype") is None or not _shape_ok(args[0]):
        return False
    dt = numpy.dtype(p["dtype"])
    v = p["fill_value"]
    return (dt in HELD and p.get("order", "C") == "C" and p.get("like") is None
            and type(v) in (builtins.bool, builtins.int, builtins.float)
            and (dt.kind == "f" and _fits_float(v, dt) or (dt.kind in "iu" and type(v) is builtins.int
                                    and numpy.iinfo(dt).min <= v <= numpy.iinfo(dt).max)
                 or (dt.kind == "b" and type(v) is builtins.bool)))


def arange_guard(dts, args, kw):
    if dts or not args:
        return False
    p = bind(args, kw, ("stop", "step", "dtype", "like"))
    if p is None or p.get("like") is not None:
        return False
    values = [args[0], p.get("stop"), p.get("step", 1)]
    dt = numpy.dtype(p.get("dtype") or "int64")
    return (builtins.all(v is None or type(v) is builtins.int for v in values) and values[2] != 0
            and dt in SIGNED | {F32, F64})


@by_signature
def like_guard(dts, args, kw):
    if len(dts) != 1 or not is_array(args[0]) or dts[0] not in HELD:
        return False
    p = bind(args, kw, ("dtype", "order", "subok", "shape"))
    if p is None or p.get("shape") is not None or p.get("order", "K") not in ("K", "C", "A"):
        return False
    return numpy.dtype(p.get("dtype") or dts[0]) in HELD


def full_like_guard(dts, args, kw):
    if len(dts) != 1 or not is_array(args[0]) or dts[0] not in HELD:
        return False
    p = bind(args, kw, ("fill_value", "dtype", "order", "subok", "shape"))
    if p is None or "fill_value" not in p or p.get("shape") is not None or p.get("order", "K") not in ("K", "C"):
        return False
    dt = numpy.dtype(p.get("dtype") or dts[0])
    v = p["fill_value"]
    if dt.kind == "f":
        return dt in HELD and type(v) in (builtins.int, builtins.float) and _fits_float(v, dt)
    return dt in HELD and dt.kind in "iu" and type(v) is builtins.int and numpy.iinfo(dt).min <= v <= numpy.iinfo(
        dt).max


def asarray_guard(dts, args, kw):
    """asarray(device array[, its dtype or a float one]) or asarray(host data): ndarrays and lists of numbers."""
    p = bind(args, kw, ("dtype",))
    if p is None:
        return False
    dt = p.get("dtype")
    if dts:
        return len(dts) == 1 and is_array(args[0]) and dts[0] in HELD and (dt is None or numpy.dtype(dt) == dts[0])
    obj = args[0]
    return isinstance(obj, (numpy.ndarray, list, tuple, builtins.float, builtins.int)) and not is_array(obj)


def array_guard(dts, args, kw):
    return asarray_guard(dts, args, {k: v for k, v in kw.items() if k != "copy"}) and kw.get("copy", True) in (
        True, False)


def clip_guard(dts, args, kw):
    if kw or len(args) != 3 or not _one(dts, FLOATS) or not is_array(args[0]):
        return False
    lo, hi = args[1], args[2]
    return (lo is not None or hi is not None) and builtins.all(
        v is None or (type(v) is builtins.float and scalar_keeps(v, args[0], dts[0])) for v in (lo, hi))


def sign_guard(dts, args, kw):
    return unary(FLOATS | SIGNED)(dts, args, kw)


def _fits_float(v, dt):
    # Note: torch refuses a finite fill value beyond the dtype's range; NumPy gives inf
    return not math.isfinite(v) or abs(v) <= numpy.finfo(dt).max


def _shape_ok(shape):
    if type(shape) is builtins.int:
        return shape >= 0
    return type(shape) is tuple and builtins.all(type(d) is builtins.int and d >= 0 for d in shape)


# ---------------------------------------------------------------- convolution and pooling (nn layers)
def _conv2d(x, w, b=None, stride=1, pad=0):
    out = _torch.load().nn.functional.conv2d(x, w, b, stride=stride, padding=pad)
    return out


def _conv2d_grad_input(g, w, input_shape, stride=1, pad=0):
    return _torch.load().nn.grad.conv2d_input(tuple(input_shape), w, g, stride=stride, padding=pad)


def _conv2d_grad_weight(x, g, weight_shape, stride=1, pad=0):
    return _torch.load().nn.grad.conv2d_weight(x, tuple(weight_shape), g, stride=stride, padding=pad)


def _pool(kind):
    def run(x, size=2, stride=None):
        f = _torch.load().nn.functional
        return (f.max_pool2d if kind == "max" else f.avg_pool2d)(x, size, stride or size)
    return run


def _max_pool2d_grad(g, x, size=2, stride=None):
    """g added at each window's argmax (its first maximum, or its first NaN; torch's own pooling picks the last
    NaN); overlapping windows add up, as NumPy's add.at."""
    torch = _torch.load()
    stride = stride or size
    n, c, h, w = x.shape
    ho, wo = g.shape[2:]
    win = torch.nn.functional.unfold(x.reshape(n * c, 1, h, w), size, stride=stride)  # (n*c, size*size, ho*wo)
    pos = win.argmax(dim=1)
    row = torch.arange(ho, device=x.device).repeat_interleave(wo) * stride + pos // size
    col = torch.arange(wo, device=x.device).repeat(ho) * stride + pos % size
    dx = torch.zeros((n * c, h * w), dtype=g.dtype, device=g.device)
    return dx.scatter_add_(1, row * w + col, g.reshape(n * c, ho * wo)).reshape(x.shape)


def _avg_pool2d_grad(g, input_shape, size=2, stride=None):
    torch = _torch.load()
    x = torch.zeros(tuple(input_shape), dtype=g.dtype, device=g.device, requires_grad=True)
    with torch.enable_grad():
        y = torch.nn.functional.avg_pool2d(x, size, stride or size)
        (gx,) = torch.autograd.grad(y, x, g)
    return gx


def nn_guard(n_arrays):
    def guard(dts, args, kw):
        return (len(dts) in n_arrays and dts[0] in FLOATS and builtins.all(d == dts[0] for d in dts)
                and builtins.all(type(v) in (builtins.int, tuple) or v is None or is_array(v)
                                 for v in builtins.list(args) + builtins.list(kw.values())))
    return guard


# ---------------------------------------------------------------- the table
def _build():
    torch = _torch.load()
    table = {}
    float_unary, exact_unary = unary(FLOATS), unary(EXACT)
    for op, name in UNARY_FLOAT.items():
        table[op] = (getattr(torch, name), float_unary)
    for op, name in UNARY_EXACT.items():
        table[op] = (getattr(torch, name), exact_unary)
    table["sign"] = (_sign, sign_guard)
    table["positive"] = (_copy, exact_unary)  # Note: torch.positive returns its input; NumPy's is a new array
    table["logical_not"] = (torch.logical_not, unary(ORDERED))
    float_binary, exact_binary = binary(FLOATS), binary(EXACT)
    for op, name in BINARY_FLOAT.items():
        table[op] = (_plain(getattr(torch, name)), float_binary)
    for op, fn in BINARY_EXACT.items():
        table[op] = (_plain(fn), exact_binary)
    for op, name in LOGICAL.items():
        table[op] = (getattr(torch, name), binary(ORDERED, scalars=False))
    table["maximum"] = (_item(_maximum), exact_binary)
    table["minimum"] = (_item(_minimum), exact_binary)
    table["where"] = (_where, where_guard)
    table["_select"] = (_select, select)
    table["_tie_mask"] = (_tie_mask, tie_mask_guard)
    table["clip"] = (_clip, clip_guard)
    table["sum"] = (_sum, sum_guard)
    table["mean"] = (_mean, reduction(FLOATS))
    table["max"] = (_extremum("max"), reduction(EXACT, EXTREME, nonempty=True))
    table["min"] = (_extremum("min"), reduction(EXACT, EXTREME, nonempty=True))
    table["argmax"] = (_argreduce("argmax"), argreduce_guard)
    table["argmin"] = (_argreduce("argmin"), argreduce_guard)
    table["matmul"] = (_matmul, matmul_guard)
    table["dot"] = (_matmul, dot_guard)
    table["_matmul_t"] = (_matmul_t, matmul_t_guard)
    table["reshape"] = (_reshape, shape_guard(("shape", "order", "newshape", "copy"), _reshape_ok))
    table["transpose"] = (_transpose, shape_guard(("axes",), _transpose_ok))
    table["swapaxes"] = (_swapaxes, shape_guard(("axis1", "axis2"), _swapaxes_ok))
    table["moveaxis"] = (_moveaxis, shape_guard(("source", "destination"), _moveaxis_ok))
    table["expand_dims"] = (_expand_dims, shape_guard(("axis",), _expand_ok))
    table["squeeze"] = (_squeeze, shape_guard(("axis",), _squeeze_ok))
    table["broadcast_to"] = (_broadcast_to, shape_guard(("shape", "subok"), _broadcast_ok))
    table["ravel"] = (_ravel, shape_guard(("order",), _order_c))
    table["real"] = (_real, shape_guard(()))
    table["imag"] = (_imag, shape_guard(()))
    table["flatten"] = (_flatten, shape_guard(("order",), _order_c))
    table["copy"] = (_copy, shape_guard(("order", "subok"), _copy_ok))
    table["concat"] = (_concat, _arrays_guard(_concat_axis_ok))
    table["stack"] = (_stack, _arrays_guard(_stack_axis_ok))
    table["astype"] = (_astype, astype_guard)
    table["getitem"] = (_getitem, getitem_guard)
    table["setitem_"] = (_setitem_, setitem_guard)
    table["setitem"] = (_setitem, setitem_guard)
    table["_scatter_add"] = (_scatter_add, scatter_guard)
    for op in ("zeros", "ones", "empty"):
        table[op] = (_creation(op), creation_guard)
    table["full"] = (_full, full_guard)
    table["arange"] = (_arange, arange_guard)
    for op in ("zeros_like", "ones_like", "empty_like"):
        table[op] = (_like(op), like_guard)
    table["full_like"] = (_full_like, full_like_guard)
    table["asarray"] = (_asarray, asarray_guard)
    table["array"] = (_array, array_guard)
    table["conv2d"] = (_conv2d, nn_guard((2, 3)))
    table["conv2d_grad_input"] = (_conv2d_grad_input, nn_guard((2,)))
    table["conv2d_grad_weight"] = (_conv2d_grad_weight, nn_guard((2,)))
    table["max_pool2d"] = (_pool("max"), nn_guard((1,)))
    table["avg_pool2d"] = (_pool("avg"), nn_guard((1,)))
    table["max_pool2d_grad"] = (_max_pool2d_grad, nn_guard((2,)))
    table["avg_pool2d_grad"] = (_avg_pool2d_grad, nn_guard((1,)))
    return table


def _plain(fn):
    """fn with a Python scalar operand (or a 0-d NumPy array: the operators' NEP 50 scalars) as a 0-d tensor of the
    other operand's dtype (_const: what torch does with the Python value, without its per-call conversion)."""
    tensor = _torch.load().Tensor  # (is_tensor, without its two calls per operand)

    def run(a, b):
        if not isinstance(a, tensor):
            a = _const(_value(a), b)
        elif not isinstance(b, tensor):
            b = _const(_value(b), a)
        return fn(a, b)
    return run


def _item(fn):
    """fn with a 0-d NumPy array operand passed as its Python value (maximum and minimum read the value)."""
    def run(a, b):
        return fn(_value(a), _value(b))
    return run


def _value(v):
    """A 0-d NumPy array or NumPy scalar as its Python value; anything else as it is."""
    return v.item() if isinstance(v, (numpy.ndarray, numpy.generic)) else v


_CONSTS = {}  # (value, torch dtype, device) -> a 0-d tensor, never written to


def _const(s, t):
    """Python scalar s as a 0-d tensor of tensor t's dtype on t's device, cached: torch converts a Python scalar
    operand on every call (2-5 us on the cpu, a host-to-device copy on a GPU).  The value is cast to t's dtype as
    torch casts a scalar operand.  Note: -0.0 and 0.0 (equal as keys) are told apart by their repr; NaN is not
    cached (it never equals a key)."""
    key = (s if s or type(s) is not builtins.float else repr(s), t.dtype, t.device)
    c = _CONSTS.get(key)
    if c is None:
        c = _torch.load().full((), s, dtype=t.dtype, device=t.device)
        if s == s:
            if len(_CONSTS) > 4096:
                _CONSTS.clear()
            _CONSTS[key] = c
    return c


_table = []


def kernels():
    """The table, built on first use (it imports torch)."""
    if not _table:
        _table.append(_build())
    return _table[0]


def _in(a):
    """A lent kernel's argument on the cpu device as torch's: a NumPy array as a tensor over its memory (a copy where
    torch cannot alias it), each item of a list or tuple so, anything else as it is."""
    if type(a) is numpy.ndarray:
        t = _torch.borrow(a)
        return t if t is not None else _torch.load().from_numpy(numpy.array(a))
    if type(a) is list or type(a) is tuple:
        return type(a)(_in(v) for v in a)
    return a


# x op= y as torch's in-place method: the same arithmetic as the op's kernel (BINARY_EXACT, divide on floats) written
# into x's tensor, so views of x see it, as in NumPy
IN_PLACE_METHODS = {"add": "add_", "subtract": "sub_", "multiply": "mul_", "divide": "div_"}


def inplace_kernels():
    """{op: (kernel(x, y), guard)} for x op= y on a torch device, behind the op's own guard (the engine takes it only
    where the result keeps x's dtype and shape: _dispatch.run_in_place)."""
    table = kernels()
    return {op: (_in_place(method), table[op][1]) for op, method in IN_PLACE_METHODS.items()}


def _in_place(method):
    tensor = _torch.load().Tensor

    def run(a, b):
        if not isinstance(b, tensor):
            b = _const(_value(b), a)
        elif b is not a and b.untyped_storage().data_ptr() == a.untyped_storage().data_ptr():
            # Note: NumPy reads y as it was before x is written (a copy where the two overlap); the engine's
            # compute-then-store path does that
            raise Decline
        getattr(a, method)(b)
    return run


_host_table = []


def host_kernels():
    """The table for the cpu device: compute kernels only (NumPy's views, in-place writes and creation stay with
    NumPy)."""
    if not _host_table:
        torch = _torch.load()
        table = {op: (lent(k, torch.from_numpy, _in, torch.Tensor.numpy, torch.Tensor, ON_HOST.get(op)), g)
                 for op, (k, g) in kernels().items()
                 if op not in VIEW_OPS and op not in CREATION and not op.startswith("setitem")}
        fns = _torch.blas()
        if fns is not None:  # 2-d float products straight through torch's GEMM, the others as lent above
            for op in ("matmul", "dot", "_matmul_t"):
                table[op] = (gemm(fns, table[op][0], Decline, op == "_matmul_t"), table[op][1])
        _host_table.append(table)
    return _host_table[0]

