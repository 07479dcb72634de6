"""The VJP table: one entry per op name, shared by the MXNet kernel, the NumPy fallback and both faces.

`defvjp(op, *makers)`: makers[i](ans, *args, **kw) returns `g -> cotangent of positional argument i` (None: no
gradient through that argument).  `defvjp_all(op, maker)`: maker(ans, *args, **kw) returns `g -> tuple of
cotangents, one per positional argument`; for a multi-output op `ans` and `g` are tuples.  Makers see NumPy's
arguments and keywords; cotangents may have a broadcast shape or another dtype: the tape sums them down to the
argument's shape and casts them to its dtype (see tape.fit).  VJPs are written with minpy_array ops, so they are
themselves recorded when an outer gradient is being traced (grad of grad).

NONDIFF names the ops whose results carry no gradient by declaration (integer, boolean or constant-valued).
"""
import math

import numpy

from .. import _dispatch
from .._array import MinArray, asarray_like
from . import tape

A = _dispatch.apply
VJPS = {}
EACH, ALL = 0, 1


def defvjp(op, *makers):
    """Register the VJP of op name `op` (a key of ops/numpy_ops.KERNELS, or any name run through
    `_dispatch.run(op, kernel, args, kw)`).

    makers[i](ans, *args, **kw) returns `g -> cotangent of positional argument i`; a missing or None maker means
    no gradient flows through that argument.  `ans` is the op's output and `args`/`kw` its inputs as the op saw
    them.  Write the cotangent with minpy_array ops so that grad(grad(f)) works; it may have a broadcast shape or
    another dtype (the tape sums it down and casts it back)."""
    VJPS[op] = (EACH, makers)


def defvjp_all(op, maker):
    """Register the VJP of op name `op` as one maker: maker(ans, *args, **kw) returns `g -> tuple of cotangents`,
    one per positional argument (None: no gradient; a short tuple leaves the rest None).  For an op with several
    outputs `ans` and `g` are tuples (namedtuples stay namedtuples) and g holds zeros for the outputs that received
    no gradient.  MXNet symbols (minpy_array.Function) register themselves this way."""
    VJPS[op] = (ALL, maker)


NONDIFF = {
    # comparisons, predicates, logic and bit operations: boolean or integer results
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "isnan", "isinf", "isfinite",
    "isclose", "allclose", "array_equal", "array_equiv", "signbit", "isreal", "iscomplex", "isposinf", "isneginf",
    "logical_and", "logical_or", "logical_xor", "logical_not", "any", "all", "bitwise_and", "bitwise_or",
    "bitwise_xor", "bitwise_invert", "bitwise_left_shift", "bitwise_right_shift", "bitwise_count", "gcd", "lcm",
    # searching, sorting and set ops returning indices or counts
    "argmax", "argmin", "argsort", "argpartition", "nonzero", "flatnonzero", "argwhere", "searchsorted",
    "count_nonzero", "digitize", "bincount", "unique_counts", "unique_inverse", "isin", "in1d",
    "linalg.matrix_rank", "lexsort",
    # shape and dtype queries, constant-valued creation from an array's shape
    "shape", "ndim", "size", "result_type", "can_cast", "iinfo", "finfo", "isdtype", "zeros_like", "ones_like",
    "empty_like", "full_like", "tril_indices_from", "triu_indices_from", "diag_indices_from",
}


def zero(ans, *args, **kw):
    return lambda g: A("zeros_like", args[0])


def _same(ans, x, *a, **k):
    return lambda g: g


def _neg(ans, x, *a, **k):
    return lambda g: A("negative", g)


def _un(f):
    """A unary VJP from f(g, ans, x) -> cotangent."""
    return lambda ans, x, *a, **k: lambda g: f(g, ans, x)


def _mul(*xs):
    out = xs[0]
    for v in xs[1:]:
        out = A("multiply", out, v)
    return out


def _div(a, b):
    return A("divide", a, b)


def _sq(x):
    return A("multiply", x, x)


# ---------------------------------------------------------------- elementwise, one argument
LN2, LN10 = math.log(2.0), math.log(10.0)
defvjp("negative", _neg)
defvjp("positive", _same)
# Note: complex cotangents follow autograd's convention: a cotangent c of a complex z stands for dz -> Re(c dz)
# (no conjugation), so holomorphic ops take J^T g and conj, real, imag, abs are written out below.
defvjp("conj", lambda ans, x, *a, **k: lambda g: A("conj", g))
defvjp("real", _same)
defvjp("imag", lambda ans, x, *a, **k: lambda g: _mul(g, -1j) if x.dtype.kind == "c" else A("zeros_like", x))
defvjp("abs", _un(lambda g, ans, x: _div(_mul(g, A("conj", x)), A("where", A("equal", ans, 0.0), 1.0, ans))
                  if x.dtype.kind == "c" else _mul(g, A("sign", x))))
defvjp("fabs", _un(lambda g, ans, x: _mul(g, A("sign", x))))
defvjp("exp", _un(lambda g, ans, x: _mul(g, ans)))
defvjp("exp2", _un(lambda g, ans, x: _mul(g, ans, LN2)))
defvjp("expm1", _un(lambda g, ans, x: _mul(g, A("add", ans, 1.0))))
defvjp("log", _un(lambda g, ans, x: _div(g, x)))
defvjp("log2", _un(lambda g, ans, x: _div(g, _mul(x, LN2))))
defvjp("log10", _un(lambda g, ans, x: _div(g, _mul(x, LN10))))
defvjp("log1p", _un(lambda g, ans, x: _div(g, A("add", x, 1.0))))
defvjp("sqrt", _un(lambda g, ans, x: _div(g, _mul(ans, 2.0))))
defvjp("cbrt", _un(lambda g, ans, x: _div(g, _mul(_sq(ans), 3.0))))
defvjp("square", _un(lambda g, ans, x: _mul(g, x, 2.0)))
defvjp("reciprocal", _un(lambda g, ans, x: A("negative", _mul(g, _sq(ans)))))
defvjp("sin", _un(lambda g, ans, x: _mul(g, A("cos", x))))
defvjp("cos", _un(lambda g, ans, x: A("negative", _mul(g, A("sin", x)))))
defvjp("tan", _un(lambda g, ans, x: _mul(g, A("add", _sq(ans), 1.0))))
defvjp("asin", _un(lambda g, ans, x: _div(g, A("sqrt", A("subtract", 1.0, _sq(x))))))
defvjp("acos", _un(lambda g, ans, x: A("negative", _div(g, A("sqrt", A("subtract", 1.0, _sq(x)))))))
defvjp("atan", _un(lambda g, ans, x: _div(g, A("add", _sq(x), 1.0))))
defvjp("sinh", _un(lambda g, ans, x: _mul(g, A("cosh", x))))
defvjp("cosh", _un(lambda g, ans, x: _mul(g, A("sinh", x))))
defvjp("tanh", _un(lambda g, ans, x: _mul(g, A("subtract", 1.0, _sq(ans)))))
defvjp("asinh", _un(lambda g, ans, x: _div(g, A("sqrt", A("add", _sq(x), 1.0)))))
defvjp("acosh", _un(lambda g, ans, x: _div(g, A("sqrt", A("subtract", _sq(x), 1.0)))))
defvjp("atanh", _un(lambda g, ans, x: _div(g, A("subtract", 1.0, _sq(x)))))
defvjp("deg2rad", _un(lambda g, ans, x: _mul(g, math.pi / 180.0)))
defvjp("radians", _un(lambda g, ans, x: _mul(g, math.pi / 180.0)))
defvjp("rad2deg", _un(lambda g, ans, x: _mul(g, 180.0 / math.pi)))
defvjp("degrees", _un(lambda g, ans, x: _mul(g, 180.0 / math.pi)))
defvjp("sinc", _un(lambda g, ans, x: _mul(g, A("where", A("equal", x, 0.0), 0.0, _div(
    A("subtract", A("cos", _mul(x, math.pi)), ans), x)))))
for _op in ("sign", "floor", "ceil", "trunc", "round", "rint", "fix", "floor_divide", "spacing"):
    defvjp(_op, zero, zero)
defvjp("nextafter", _same, zero)
defvjp("heaviside", zero, lambda ans, x, h, **k: lambda g: A("where", A("equal", x, 0.0), g, 0.0))


# ---------------------------------------------------------------- elementwise, two arguments
def _balanced(x, y, ans):
    """1 where x alone attains ans, 1/2 where x and y tie (as autograd and JAX split a tie); one op, constant."""
    return A("_tie_mask", x, y, ans)


def _side(g, x, y, wins):
    """g times _balanced for maximum (wins=numpy.greater) and minimum (numpy.less), from the inputs alone, in one
    op (linear in g, piecewise constant in x and y)."""
    return A("_select", g, x, y, wins)


NONDIFF.add("_tie_mask")  # piecewise constant
defvjp("_select", lambda ans, g, x, y, wins: lambda gg: _side(gg, x, y, wins))


defvjp("add", _same, _same)
defvjp("subtract", _same, _neg)
defvjp("multiply", lambda ans, x, y, **k: lambda g: _mul(g, y), lambda ans, x, y, **k: lambda g: _mul(g, x))
defvjp("divide", lambda ans, x, y, **k: lambda g: _div(g, y),
       lambda ans, x, y, **k: lambda g: A("negative", _div(_mul(g, ans), y)))
def _pow_minus_one(x, y):
    """x ** (y - 1), with a constant exponent kept off the engine so its 0-d array cannot land on another device."""
    return A("pow", x, A("subtract", y, 1.0) if type(y) is MinArray else y - 1.0)


def _log_base(x):
    """log(x) where x > 0 (else 0); a constant base stays a NumPy value for the same reason."""
    if type(x) is not MinArray:
        return numpy.log(numpy.where(numpy.greater(x, 0), x, 1.0))
    return A("log", A("where", A("greater", x, 0.0), x, 1.0))


defvjp("pow", lambda ans, x, y, **k: lambda g: _mul(g, y, _pow_minus_one(x, y)),
       lambda ans, x, y, **k: lambda g: _mul(g, ans, _log_base(x)))
VJPS["float_power"] = VJPS["pow"]
defvjp("maximum", lambda ans, x, y, **k: lambda g: _side(g, x, y, numpy.greater),
       lambda ans, x, y, **k: lambda g: _side(g, y, x, numpy.greater))
defvjp("minimum", lambda ans, x, y, **k: lambda g: _side(g, x, y, numpy.less),
       lambda ans, x, y, **k: lambda g: _side(g, y, x, numpy.less))
defvjp("fmax", lambda ans, x, y, **k: lambda g: _mul(g, _balanced(x, y, ans)),
       lambda ans, x, y, **k: lambda g: _mul(g, _balanced(y, x, ans)))
VJPS["fmin"] = VJPS["fmax"]
defvjp("atan2", lambda ans, y, x, **k: lambda g: _div(_mul(g, x), A("add", _sq(x), _sq(y))),
       lambda ans, y, x, **k: lambda g: A("negative", _div(_mul(g, y), A("add", _sq(x), _sq(y)))))
defvjp("hypot", lambda ans, x, y, **k: lambda g: _div(_mul(g, x), ans),
       lambda ans, x, y, **k: lambda g: _div(_mul(g, y), ans))
defvjp("copysign", lambda ans, x, y, **k: lambda g: _mul(g, A("sign", x), A("sign", ans)), None)
defvjp("remainder", _same, lambda ans, x, y, **k: lambda g: A("negative", _mul(g, A("floor", _div(x, y)))))
VJPS["mod"] = VJPS["remainder"]
defvjp("fmod", _same, lambda ans, x, y, **k: lambda g: A("negative", _mul(g, A("trunc", _div(x, y)))))
defvjp("logaddexp", lambda ans, x, y, **k: lambda g: _mul(g, A("exp", A("subtract", x, ans))),
       lambda ans, x, y, **k: lambda g: _mul(g, A("exp", A("subtract", y, ans))))
defvjp("logaddexp2", lambda ans, x, y, **k: lambda g: _mul(g, A("exp2", A("subtract", x, ans))),
       lambda ans, x, y, **k: lambda g: _mul(g, A("exp2", A("subtract", y, ans))))
defvjp("where", None, lambda ans, c, x, y: lambda g: A("where", c, g, 0.0),
       lambda ans, c, x, y: lambda g: A("where", c, 0.0, g))


def _clip_x(ans, x, lo=None, hi=None, *a, **k):
    lo, hi = k.get("a_min", k.get("min", lo)), k.get("a_max", k.get("max", hi))

    def vjp(g):
        keep = A("ones_like", x) if lo is None else A("astype", A("greater_equal", x, lo), x.dtype)
        if hi is not None:
            keep = _mul(keep, A("astype", A("less_equal", x, hi), x.dtype))
        return _mul(g, keep)
    return vjp


defvjp("clip", _clip_x, lambda ans, x, lo, hi=None, *a, **k: lambda g: A("where", A("less", x, lo), g, 0.0),
       lambda ans, x, lo, hi, *a, **k: lambda g: A("where", A("greater", x, hi), g, 0.0))


# ---------------------------------------------------------------- dtype, device, copies
defvjp("astype", _same)  # the tape casts every cotangent back to its argument's dtype (tape.fit)
for _op in ("copy", "asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray", "atleast_1d",
            "atleast_2d", "atleast_3d", "broadcast_to", "squeeze", "expand_dims", "ravel", "flatten", "reshape",
            "nan_to_num"):
    defvjp(_op, lambda ans, x, *a, **k: lambda g: A("reshape", g, x.shape) if g.size == x.size else g)
defvjp("to_device", lambda ans, x, device: lambda g: g.to_device(x.device))


# ---------------------------------------------------------------- reductions
def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is not tuple:
        axis = tuple(axis) if isinstance(axis, list) else (axis,)
    return tuple(int(a) % ndim for a in axis) if ndim else ()


def _expand(g, x, axis, keepdims):
    """Cotangent g of a reduction over `axis` broadcast back to x's shape."""
    if not keepdims and x.ndim:
        axes = _axes(axis, x.ndim)
        shape = tuple(1 if i in axes else n for i, n in enumerate(x.shape))
        g = A("reshape", g, shape)
    return A("broadcast_to", g, x.shape)


def _count(x, axis):
    n = 1
    for a in _axes(axis, x.ndim):
        n *= x.shape[a]
    return n


def _sum_vjp(ans, x, axis=None, dtype=None, out=None, keepdims=False, **k):
    return lambda g: _expand(g, x, axis, keepdims)


def _mean_vjp(ans, x, axis=None, dtype=None, out=None, keepdims=False, **k):
    return lambda g: _div(_expand(g, x, axis, keepdims), float(_count(x, axis)))


def _var_vjp(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None, **k):
    ddof = correction if correction is not None else ddof

    def vjp(g):
        dev = A("subtract", x, A("mean", x, axis=_axes(axis, x.ndim), keepdims=True))
        return _mul(_expand(g, x, axis, keepdims), dev, 2.0 / (_count(x, axis) - ddof))
    return vjp


def _std_vjp(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, correction=None, **k):
    var = _var_vjp(ans, x, axis, ddof=ddof, keepdims=keepdims, correction=correction)
    return lambda g: var(_div(g, _mul(ans, 2.0)))


def _prod_vjp(ans, x, axis=None, dtype=None, out=None, keepdims=False, **k):
    return lambda g: _div(_mul(_expand(g, x, axis, keepdims), _expand(ans, x, axis, keepdims)), x)


def _extremum_vjp(ans, x, axis=None, out=None, keepdims=False, **k):
    def vjp(g):
        full = _expand(ans, x, axis, keepdims)
        hit = A("astype", A("equal", x, full), x.dtype)
        n = A("sum", hit, axis=_axes(axis, x.ndim), keepdims=True)
        return _div(_mul(_expand(g, x, axis, keepdims), hit), n)
    return vjp


def _ufunc_reduce(vjp):
    """ufunc.reduce takes axis=0 by default where the functions take axis=None."""
    return lambda ans, x, axis=0, dtype=None, out=None, keepdims=False, **k: vjp(ans, x, axis, keepdims=keepdims)


defvjp("sum", _sum_vjp)
defvjp("add.reduce", _ufunc_reduce(_sum_vjp))
defvjp("mean", _mean_vjp)
defvjp("var", _var_vjp)
defvjp("std", _std_vjp)
defvjp("prod", _prod_vjp)
defvjp("multiply.reduce", _ufunc_reduce(_prod_vjp))
for _op in ("max", "min", "nanmax", "nanmin"):
    defvjp(_op, _extremum_vjp)
for _op in ("maximum.reduce", "minimum.reduce"):
    defvjp(_op, lambda ans, x, axis=0, dtype=None, out=None, keepdims=False, **k: _extremum_vjp(
        ans, x, axis, keepdims=keepdims))


def _cumsum_vjp(ans, x, axis=None, dtype=None, out=None, **k):
    def vjp(g):
        if axis is None:
            return A("reshape", A("flip", A("cumsum", A("flip", g, 0)), 0), x.shape)
        return A("flip", A("cumsum", A("flip", g, axis), axis), axis)
    return vjp


def _cumulative_sum_vjp(ans, x, axis=None, dtype=None, include_initial=False):
    ax = 0 if axis is None else axis

    def vjp(g):
        if include_initial:
            g = A("getitem", g, (slice(None),) * (ax % x.ndim) + (slice(1, None),))
        return A("flip", A("cumsum", A("flip", g, ax), ax), ax)
    return vjp


def _cumprod_vjp(ans, x, axis=None, dtype=None, out=None, **k):
    def vjp(g):
        if axis is None:
            return A("reshape", _cumprod_1(A("ravel", g), A("ravel", x), A("ravel", ans), 0), x.shape)
        return _cumprod_1(g, x, ans, axis)
    return vjp


def _cumprod_1(g, x, ans, axis):
    # Note: d cumprod / dx_i = sum_{j>=i} g_j ans_j / x_i, exact only where x has no zeros (as autograd's).
    rev = A("flip", A("cumsum", A("flip", _mul(g, ans), axis), axis), axis)
    return _div(rev, x)


def _cumulative_prod_vjp(ans, x, axis=None, dtype=None, include_initial=False):
    ax = 0 if axis is None else axis

    def vjp(g):
        a = ans
        if include_initial:
            idx = (slice(None),) * (ax % x.ndim) + (slice(1, None),)
            g, a = A("getitem", g, idx), A("getitem", ans, idx)
        return _cumprod_1(g, x, a, ax)
    return vjp


defvjp("cumsum", _cumsum_vjp)
defvjp("add.accumulate", lambda ans, x, axis=0, dtype=None, out=None: _cumsum_vjp(ans, x, axis))
defvjp("cumulative_sum", _cumulative_sum_vjp)
defvjp("cumprod", _cumprod_vjp)
defvjp("cumulative_prod", _cumulative_prod_vjp)


def _diff_vjp(ans, a, n=1, axis=-1, **k):
    def vjp(g):
        for _ in range(n):
            pad = [(0, 0)] * g.ndim
            pad[axis] = (1, 1)
            gp = A("pad", g, pad)
            g = A("negative", A("diff", gp, 1, axis))
        return g
    return vjp


defvjp("diff", _diff_vjp)


# ---------------------------------------------------------------- shape and order
def _transpose_vjp(ans, x, axes=None):
    def vjp(g):
        if axes is None:
            return A("transpose", g)
        return A("transpose", g, tuple(numpy.argsort([a % x.ndim for a in axes])))
    return vjp


defvjp("transpose", _transpose_vjp)
defvjp("permute_dims", lambda ans, x, axes: _transpose_vjp(ans, x, axes))
defvjp("swapaxes", lambda ans, x, a, b: lambda g: A("swapaxes", g, a, b))
defvjp("matrix_transpose", lambda ans, x: lambda g: A("swapaxes", g, -1, -2))
defvjp("linalg.matrix_transpose", lambda ans, x: lambda g: A("swapaxes", g, -1, -2))
defvjp("moveaxis", lambda ans, x, src, dst: lambda g: A("moveaxis", g, dst, src))
defvjp("rollaxis", lambda ans, x, axis, start=0: lambda g: A("reshape", A("moveaxis", g, _rollback(x, axis, start),
                                                                          axis), x.shape))


def _rollback(x, axis, start):
    axis, start = axis % x.ndim, start % (x.ndim + 1)
    return start - 1 if start > axis else start


def _flip_vjp(ans, x, axis=None):
    return lambda g: A("flip", g, axis)


defvjp("flip", _flip_vjp)
defvjp("fliplr", lambda ans, x: lambda g: A("fliplr", g))
defvjp("flipud", lambda ans, x: lambda g: A("flipud", g))
defvjp("roll", lambda ans, x, shift, axis=None: lambda g: A("reshape", A("roll", g, _neg_shift(shift), axis), x.shape))
defvjp("rot90", lambda ans, x, k=1, axes=(0, 1): lambda g: A("rot90", g, -k, axes))


def _neg_shift(shift):
    return tuple(-s for s in shift) if isinstance(shift, (tuple, list)) else -shift


def _concat_vjp(ans, arrays, axis=0, **k):
    def vjp(g):
        if axis is None:
            g = A("reshape", g, (-1,))
            ax = 0
            sizes = [a.size for a in arrays]
        else:
            ax = axis
            sizes = [a.shape[axis] for a in arrays]
        cuts = numpy.cumsum(sizes)[:-1].tolist()
        parts = A("split", g, cuts, ax)
        return [p if axis is not None else A("reshape", p, a.shape) for p, a in zip(parts, arrays, strict=False)]
    return vjp


def _stack_vjp(ans, arrays, axis=0, **k):
    return lambda g: [A("take", g, i, axis=axis) for i in range(len(arrays))]


def _pieces(op, axis_of, size_of):
    """VJP of a stack that concatenates its inputs as they are or as 1-row/2-d views (vstack, hstack)."""
    def maker(ans, arrays, *a, **k):
        def vjp(g):
            cuts = numpy.cumsum([size_of(x) for x in arrays])[:-1].tolist()
            parts = A("split", g, cuts, axis_of(arrays[0]))
            return [A("reshape", p, x.shape) for p, x in zip(parts, arrays, strict=False)]
        return vjp
    defvjp(op, maker)


defvjp("concat", _concat_vjp)
defvjp("stack", _stack_vjp)
_pieces("vstack", lambda x: 0, lambda x: x.shape[0] if x.ndim >= 2 else 1)
_pieces("row_stack", lambda x: 0, lambda x: x.shape[0] if x.ndim >= 2 else 1)
_pieces("hstack", lambda x: 0 if x.ndim <= 1 else 1, lambda x: (x.shape[0] if x.ndim == 1 else 1) if x.ndim <= 1
        else x.shape[1])


def _split_vjp(ans, x, indices_or_sections, axis=0):
    return lambda g: (A("concat", list(g), axis=axis),)


defvjp_all("split", _split_vjp)
defvjp_all("array_split", _split_vjp)
defvjp_all("unstack", lambda ans, x, axis=0: lambda g: (A("stack", list(g), axis=axis),))
defvjp_all("broadcast_arrays", lambda ans, *xs, **k: lambda g: tuple(g))


def _tile_vjp(ans, x, reps):
    def vjp(g):
        reps_t = (reps,) if isinstance(reps, int) else tuple(reps)
        nd = max(len(reps_t), x.ndim)
        reps_t = (1,) * (nd - len(reps_t)) + reps_t
        xs = (1,) * (nd - x.ndim) + x.shape
        split = []
        for r, n in zip(reps_t, xs, strict=False):
            split += [r, n]
        g = A("reshape", g, tuple(split))
        return A("reshape", A("sum", g, axis=tuple(range(0, 2 * nd, 2))), x.shape)
    return vjp


defvjp("tile", _tile_vjp)


def _repeat_vjp(ans, x, repeats, axis=None):
    def vjp(g):
        base = A("ravel", x) if axis is None else x
        ax = 0 if axis is None else axis % x.ndim
        if isinstance(repeats, int) or numpy.ndim(repeats) == 0:
            r = int(repeats)
            shape = base.shape[:ax] + (base.shape[ax], r) + base.shape[ax + 1:]
            out = A("sum", A("reshape", g, shape), axis=ax + 1)
        else:
            idx = numpy.repeat(numpy.arange(base.shape[ax]), numpy.asarray(repeats))
            out = A("moveaxis", _segment_sum(A("moveaxis", g, ax, 0), idx, base.shape[ax]), 0, ax)
        return A("reshape", out, x.shape)
    return vjp


defvjp("repeat", _repeat_vjp)


# ---------------------------------------------------------------- indexing (private scatter ops keep it differentiable)
def _scatter(g, shape, key):
    """zeros(shape) with g added at key (repeated indices accumulate): the VJP of getitem."""
    return A("_scatter_add", g, shape, key)


def _segment_sum(g, idx, n):
    return _scatter(g, (n,) + g.shape[1:], (idx,))


def _key_plain(key):
    """Index key with MinArrays replaced by NumPy arrays (indices are never differentiated)."""
    if type(key) is MinArray:
        return tape.strip(key, 0)._host()
    if type(key) is tuple:
        return tuple(_key_plain(k) for k in key)
    if type(key) is list:
        return [_key_plain(k) for k in key]
    return key


defvjp("getitem", lambda ans, x, key: lambda g: _scatter(g, x.shape, _key_plain(key)))
defvjp("_scatter_add", lambda ans, g, shape, key: lambda gg: A("getitem", gg, key))
defvjp("setitem", lambda ans, x, key, v: lambda g: A("setitem", g, _key_plain(key), 0.0),
       None, lambda ans, x, key, v: lambda g: A("getitem", g, _key_plain(key)))
defvjp("take", lambda ans, x, indices, axis=None, **k: lambda g: _take_vjp(g, x, indices, axis))


def _take_vjp(g, x, indices, axis):
    idx = _key_plain(indices)
    if axis is None:
        return A("reshape", _scatter(g, (x.size,), (idx,)), x.shape)
    key = (slice(None),) * (axis % x.ndim) + (idx,)
    return _scatter(g, x.shape, key)


def _take_along_key(x, idx, axis):
    idx = _key_plain(idx)
    if axis is None:
        return (idx,)
    axis %= x.ndim
    grids = numpy.ogrid[tuple(slice(n) for n in idx.shape)]
    return tuple(idx if i == axis else grids[i] for i in range(x.ndim))


def _tal_vjp(ans, x, idx, axis):
    def vjp(g):
        if axis is None:
            return A("reshape", _scatter(g, (x.size,), _take_along_key(x, idx, None)), x.shape)
        return _scatter(g, x.shape, _take_along_key(x, idx, axis))
    return vjp


defvjp("take_along_axis", _tal_vjp)
defvjp("diagonal", lambda ans, x, offset=0, axis1=0, axis2=1: lambda g: _diag_vjp(g, x, offset, axis1, axis2))
defvjp("linalg.diagonal", lambda ans, x, offset=0, **k: lambda g: _diag_vjp(g, x, offset, -2, -1))


def _diag_vjp(g, x, offset, a1, a2):
    n, m = x.shape[a1], x.shape[a2]
    rows = numpy.arange(max(0, -offset), min(n, m - offset))
    xm = A("moveaxis", A("zeros_like", x), (a1, a2), (-2, -1))
    key = (Ellipsis, rows, rows + offset)
    out = A("setitem", xm, key, g)
    return A("moveaxis", out, (-2, -1), (a1, a2))


defvjp("trace", lambda ans, x, offset=0, axis1=0, axis2=1, **k: lambda g: _diag_vjp(
    A("broadcast_to", A("expand_dims", g, -1), _diag_shape(x, offset, axis1, axis2)), x, offset, axis1, axis2))
defvjp("linalg.trace", lambda ans, x, offset=0, **k: lambda g: _diag_vjp(
    A("broadcast_to", A("expand_dims", g, -1), _diag_shape(x, offset, -2, -1)), x, offset, -2, -1))


def _diag_shape(x, offset, a1, a2):
    n, m = x.shape[a1], x.shape[a2]
    k = max(0, min(n, m - offset) - max(0, -offset))
    rest = tuple(s for i, s in enumerate(x.shape) if i not in (a1 % x.ndim, a2 % x.ndim))
    return rest + (k,)


def _tri_vjp(op):
    return lambda ans, x, k=0: lambda g: A(op, g, k)


defvjp("tril", _tri_vjp("tril"))
defvjp("triu", _tri_vjp("triu"))
defvjp("pad", lambda ans, x, pad_width, mode="constant", **k: lambda g: A(
    "getitem", g, tuple(slice(lo, lo + n) for (lo, _), n in zip(numpy.broadcast_to(
        numpy.asarray(pad_width), (x.ndim, 2)).tolist(), x.shape, strict=False))))


def _sort_vjp(ans, x, axis=-1, **k):
    def vjp(g):
        if axis is None:
            order = numpy.argsort(_key_plain(A("ravel", x)), kind="stable")
            return A("reshape", _scatter(g, (x.size,), (order,)), x.shape)
        order = numpy.argsort(_key_plain(x), axis=axis, kind="stable")
        return _scatter(g, x.shape, _take_along_key(x, order, axis))
    return vjp


defvjp("sort", _sort_vjp)


def _unique_values_vjp(ans, x):
    inv = numpy.unique(_key_plain(x), return_inverse=True)[1].reshape(-1)
    return lambda g: A("reshape", A("take", g, inv), x.shape)


defvjp("unique_values", _unique_values_vjp)


def _unique_vjp(ans, x, *a, axis=None, **k):
    if axis is not None:
        raise TypeError("unique: gradients are implemented for axis=None only")
    one = type(ans) is MinArray
    return lambda g: (_unique_values_vjp(None, x)(g if one else g[0]),)


defvjp_all("unique", _unique_vjp)
defvjp_all("unique_all", lambda ans, x: lambda g: (_unique_values_vjp(None, x)(g[0]),))


# ---------------------------------------------------------------- products
def _mT(x):
    return A("swapaxes", x, -1, -2)


def _matmul_vjp_a(ans, a, b, **k):
    def vjp(g):
        if b.ndim == 1:
            return _mul(A("expand_dims", g, -1), b)
        if a.ndim == 1:
            return A("squeeze", A("matmul", A("expand_dims", g, -2), _mT(b)), -2)
        return A("matmul", g, _mT(b))
    return vjp


def _matmul_vjp_b(ans, a, b, **k):
    def vjp(g):
        if a.ndim == 1:
            gg = g if b.ndim == 1 else A("expand_dims", g, -2)
            return _mul(A("expand_dims", a, -1), gg) if b.ndim > 1 else _mul(a, g)
        if b.ndim == 1:
            return A("squeeze", A("matmul", _mT(a), A("expand_dims", g, -1)), -1)
        return A("matmul", _mT(a), g)
    return vjp


defvjp("matmul", _matmul_vjp_a, _matmul_vjp_b)
VJPS["linalg.matmul"] = VJPS["matmul"]


def _dot_vjp(i):
    def maker(ans, a, b, out=None):
        if a.ndim <= 2 and b.ndim <= 2 and a.ndim and b.ndim:
            return (_matmul_vjp_a if i == 0 else _matmul_vjp_b)(ans, a, b)
        if a.ndim == 0 or b.ndim == 0:
            other = b if i == 0 else a
            return lambda g: _mul(g, other)
        # Note: N-d dot contracts a's last axis with b's second-to-last: rewritten as tensordot.
        return lambda g: _tensordot_grad(i, g, a, b, ([a.ndim - 1], [b.ndim - 2]))
    return maker


defvjp("dot", _dot_vjp(0), _dot_vjp(1))


def _td_axes(axes, a, b):
    if isinstance(axes, int):
        return list(range(a.ndim - axes, a.ndim)), list(range(axes))
    xa, xb = axes
    xa = [xa] if isinstance(xa, int) else list(xa)
    xb = [xb] if isinstance(xb, int) else list(xb)
    return [v % a.ndim for v in xa], [v % b.ndim for v in xb]


def _tensordot_grad(i, g, a, b, axes):
    xa, xb = axes
    fa = [d for d in range(a.ndim) if d not in xa]
    fb = [d for d in range(b.ndim) if d not in xb]
    if i == 0:
        # g axes: fa then fb; contract g's fb part with b's free axes
        r = A("tensordot", g, b, (list(range(len(fa), len(fa) + len(fb))), fb))
        # r axes: fa then xb(order of b's remaining = sorted xb) -> map to a's axes
        src = fa + [xa[xb.index(d)] for d in sorted(xb)]
        return A("transpose", r, tuple(numpy.argsort(src)))
    r = A("tensordot", a, g, (fa, list(range(len(fa)))))
    src = [xb[xa.index(d)] for d in sorted(xa)] + fb
    return A("transpose", r, tuple(numpy.argsort(src)))


def _tensordot_maker(i):
    def maker(ans, a, b, axes=2, **k):
        return lambda g: _tensordot_grad(i, g, a, b, _td_axes(axes, a, b))
    return maker


defvjp("tensordot", _tensordot_maker(0), _tensordot_maker(1))
VJPS["linalg.tensordot"] = VJPS["tensordot"]


def _vecdot_maker(i):
    def maker(ans, x1, x2, axis=-1, **k):
        other = x2 if i == 0 else x1
        return lambda g: _mul(A("expand_dims", g, axis if axis < 0 else axis - max(x1.ndim, x2.ndim)), other)
    return maker


defvjp("vecdot", _vecdot_maker(0), _vecdot_maker(1))
VJPS["linalg.vecdot"] = VJPS["vecdot"]
defvjp("inner", lambda ans, a, b: lambda g: _tensordot_grad(0, g, a, b, ([a.ndim - 1], [b.ndim - 1])),
       lambda ans, a, b: lambda g: _tensordot_grad(1, g, a, b, ([a.ndim - 1], [b.ndim - 1])))
defvjp("vdot", lambda ans, a, b: lambda g: A("reshape", _mul(g, b), a.shape),
       lambda ans, a, b: lambda g: A("reshape", _mul(g, a), b.shape))
defvjp("outer", lambda ans, a, b, out=None: lambda g: A("reshape", A("matmul", g, A("ravel", b)), a.shape),
       lambda ans, a, b, out=None: lambda g: A("reshape", A("matmul", A("ravel", a), g), b.shape))
VJPS["linalg.outer"] = VJPS["outer"]
defvjp("cross", lambda ans, a, b, *x, **k: lambda g: A("cross", b, g, *x, **k),
       lambda ans, a, b, *x, **k: lambda g: A("cross", g, a, *x, **k))
defvjp("linalg.cross", lambda ans, a, b, axis=-1: lambda g: A("linalg.cross", b, g, axis=axis),
       lambda ans, a, b, axis=-1: lambda g: A("linalg.cross", g, a, axis=axis))


def _einsum_vjp(ans, *operands, **k):
    spec, ops = operands[0], operands[1:]
    if not isinstance(spec, str):
        raise TypeError("einsum: gradients need the subscripts-string form einsum('ij,jk->ik', a, b)")
    spec = spec.replace(" ", "")
    ins, out = spec.split("->") if "->" in spec else (spec, None)
    ins = ins.split(",")
    if out is None:
        letters = "".join(ins)
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c.isalpha()))

    def vjp(g):
        cts = [None]
        for i, sub in enumerate(ins):
            if "." in sub or len(set(sub)) != len(sub):
                raise TypeError("einsum: gradients with ellipses or repeated subscripts in one operand are not "
                                "supported")
            others = [ins[j] for j in range(len(ins)) if j != i]
            missing = [c for c in sub if c not in out and all(c not in o for o in others)]
            lhs = ",".join([out] + others)
            tgt = "".join(c for c in sub if c not in missing)
            r = A("einsum", f"{lhs}->{tgt}", g, *[ops[j] for j in range(len(ins)) if j != i])
            if missing:  # summed-away axes of this operand alone: broadcast back
                shape = tuple(1 if c in missing else ops[i].shape[sub.index(c)] for c in sub)
                r = A("broadcast_to", A("reshape", r, shape), ops[i].shape)
            cts.append(r)
        return tuple(cts)
    return vjp


defvjp_all("einsum", _einsum_vjp)


# ---------------------------------------------------------------- linear algebra (real inputs)
def _eye(n, like):
    """An n x n identity with like's dtype, on like's device (a constant: VJPs must not mix devices)."""
    return asarray_like(numpy.eye(n, dtype=like.dtype), like.device)


def _eye_like(a):
    return _eye(a.shape[-1], a)


defvjp("linalg.inv", lambda ans, a: lambda g: A("negative", A("matmul", A("matmul", _mT(ans), g), _mT(ans))))


def _solve_maker(i):
    def maker(ans, a, b):
        vec = b.ndim == 1

        def vjp(g):
            gb = A("linalg.solve", _mT(a), g)
            if i == 1:
                return gb
            if vec:
                return A("negative", _mul(A("expand_dims", gb, -1), A("expand_dims", ans, -2)))
            return A("negative", A("matmul", gb, _mT(ans)))
        return vjp
    return maker


defvjp("linalg.solve", _solve_maker(0), _solve_maker(1))
defvjp("linalg.det", lambda ans, a: lambda g: _mul(A("expand_dims", A("expand_dims", _mul(g, ans), -1), -1),
                                                  _mT(A("linalg.inv", a))))
defvjp_all("linalg.slogdet", lambda ans, a: lambda g: (_mul(A("expand_dims", A("expand_dims", g[1], -1), -1),
                                                            _mT(A("linalg.inv", a))),))


def _cholesky_vjp(ans, a, *k, **kw):
    def vjp(g):
        L = ans
        n = L.shape[-1]
        phi = _div(A("tril", A("matmul", _mT(L), g)), A("add", _eye(n, L), 1.0)
                   if L.device.kind == "cpu" else A("add", _eye_like(L), 1.0))
        # S = L^-T phi L^-1
        s = A("linalg.solve", _mT(L), _mT(A("linalg.solve", _mT(L), _mT(phi))))
        return _mul(A("add", s, _mT(s)), 0.5)
    return vjp


defvjp("linalg.cholesky", _cholesky_vjp)


def _eigh_vjp(ans, a, *k, **kw):
    w, v = ans[0], ans[1]

    def vjp(g):
        gw, gv = g[0], g[1]
        n = w.shape[-1]
        eye = _eye_like(a)
        wr = A("expand_dims", w, -2)
        diff = A("add", A("subtract", wr, _mT(wr)), eye)  # w_j - w_i off the diagonal, 1 on it
        f = _div(A("subtract", 1.0, eye), diff)
        inner = _mul(A("expand_dims", gw, -2), v) if n else v
        t = A("matmul", inner, _mT(v))
        t = A("add", t, A("matmul", A("matmul", v, _mul(f, A("matmul", _mT(v), gv))), _mT(v)))
        return (_mul(A("add", t, _mT(t)), 0.5),)
    return vjp


defvjp_all("linalg.eigh", _eigh_vjp)
defvjp("linalg.eigvalsh", lambda ans, a, *k, **kw: _eigvalsh_vjp(a))


def _eigvalsh_vjp(a):
    w, v = A("linalg.eigh", a)

    def vjp(g):
        t = A("matmul", _mul(A("expand_dims", g, -2), v), _mT(v))
        return _mul(A("add", t, _mT(t)), 0.5)
    return vjp


def _svd_vjp(ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        return lambda g: (_svdvals_grad(a, g),)
    if full_matrices and a.shape[-1] != a.shape[-2]:
        raise TypeError("linalg.svd: gradients need full_matrices=False for a non-square matrix")
    u, s, vh = ans[0], ans[1], ans[2]

    def vjp(g):
        gu, gs, gvh = g[0], g[1], g[2]
        # autograd's real SVD VJP (Townsend 2016), for reduced matrices
        k = s.shape[-1]
        eye = _eye(k, s)
        s2 = _sq(s)
        sr = A("expand_dims", s2, -2)
        f = _div(A("subtract", 1.0, eye), A("add", A("subtract", sr, _mT(sr)), eye))
        v = _mT(vh)
        gv = _mT(gvh)
        m, n = a.shape[-2], a.shape[-1]
        s_mat = _mul(A("expand_dims", s, -2), eye)
        s_inv = _mul(A("expand_dims", _div(1.0, s), -2), eye)
        utgu = A("matmul", _mT(u), gu)
        vtgv = A("matmul", _mT(v), gv)
        t1 = A("matmul", A("matmul", u, _mul(A("expand_dims", gs, -2), eye)), vh)
        t2 = A("matmul", A("matmul", u, A("matmul", _mul(f, A("subtract", utgu, _mT(utgu))), s_mat)), vh)
        t3 = A("matmul", A("matmul", u, A("matmul", s_mat, _mul(f, A("subtract", vtgv, _mT(vtgv))))), vh)
        out = A("add", A("add", t1, t2), t3)
        if m > k:
            eye_m = _eye(m, s)
            proj = A("subtract", eye_m, A("matmul", u, _mT(u)))
            out = A("add", out, A("matmul", A("matmul", A("matmul", proj, gu), s_inv), vh))
        if n > k:
            eye_n = _eye(n, s)
            proj = A("subtract", eye_n, A("matmul", v, _mT(v)))
            out = A("add", out, A("matmul", A("matmul", u, s_inv), A("matmul", _mT(gv), proj)))
        return (out,)
    return vjp


def _svdvals_grad(a, g):
    u, s, vh = A("linalg.svd", a, full_matrices=False)
    return A("matmul", _mul(u, A("expand_dims", g, -2)), vh)


defvjp_all("linalg.svd", _svd_vjp)
defvjp("linalg.svdvals", lambda ans, a: lambda g: _svdvals_grad(a, g))


def _norm_vjp(ans, x, ord=None, axis=None, keepdims=False):
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None and x.ndim == 2 or isinstance(axis, tuple))):
        raise TypeError(f"linalg.norm: gradients are implemented for the 2-norm and Frobenius norm, not ord={ord!r}")
    return lambda g: _div(_mul(_expand(g, x, axis, keepdims), x), _expand(ans, x, axis, keepdims))


def _vector_norm_vjp(ans, x, axis=None, keepdims=False, ord=2):
    def vjp(g):
        ge, ae = _expand(g, x, axis, keepdims), _expand(ans, x, axis, keepdims)
        if ord == 2:
            return _div(_mul(ge, x), ae)
        if ord == 1:
            return _mul(ge, A("sign", x))
        if ord in (math.inf, -math.inf):
            ax = A("abs", x)
            hit = A("astype", A("equal", ax, ae), x.dtype)
            n = A("sum", hit, axis=_axes(axis, x.ndim), keepdims=True)
            return _div(_mul(ge, hit, A("sign", x)), n)
        p = float(ord)
        return _mul(ge, A("sign", x), _div(A("pow", A("abs", x), p - 1.0), A("pow", ae, p - 1.0)))
    return vjp


def _matrix_norm_vjp(ans, x, keepdims=False, ord="fro"):
    if ord != "fro":
        raise TypeError(f"linalg.matrix_norm: gradients are implemented for ord='fro', not ord={ord!r}")
    return lambda g: _div(_mul(_expand(g, x, (-2, -1), keepdims), x), _expand(ans, x, (-2, -1), keepdims))


defvjp("linalg.norm", _norm_vjp)
defvjp("linalg.vector_norm", _vector_norm_vjp)
defvjp("linalg.matrix_norm", _matrix_norm_vjp)


def _pinv_vjp(ans, a, *k, **kw):
    def vjp(g):
        p = ans
        m, n = a.shape[-2], a.shape[-1]
        left = A("subtract", _eye(m, a), A("matmul", a, p))    # I - A A+
        right = A("subtract", _eye(n, a), A("matmul", p, a))   # I - A+ A
        t1 = A("negative", A("matmul", A("matmul", _mT(p), g), _mT(p)))
        t2 = A("matmul", A("matmul", left, _mT(g)), A("matmul", p, _mT(p)))
        t3 = A("matmul", A("matmul", A("matmul", _mT(p), p), _mT(g)), right)
        return A("add", A("add", t1, t2), t3)
    return vjp


def _qr_vjp(ans, a, mode="reduced"):
    if mode != "reduced" or a.shape[-2] < a.shape[-1]:
        raise TypeError("linalg.qr: gradients are implemented for mode='reduced' with rows >= columns")
    q, r = ans[0], ans[1]

    def vjp(g):
        gq, gr = g[0], g[1]
        m = A("subtract", A("matmul", r, _mT(gr)), A("matmul", _mT(gq), q))
        sym = A("add", A("tril", m), _mT(A("tril", m, -1)))
        b = A("add", gq, A("matmul", q, sym))
        return (_mT(A("linalg.solve", r, _mT(b))),)
    return vjp


def _matrix_power_vjp(ans, a, n):
    def vjp(g):
        base = a if n >= 0 else A("linalg.inv", a)
        k = abs(n)
        powers = [A("broadcast_to", _eye_like(a), a.shape)]
        for _ in range(k - 1):
            powers.append(A("matmul", powers[-1], base))
        gb = A("zeros_like", a)
        for i in range(k):
            gb = A("add", gb, A("matmul", A("matmul", _mT(powers[i]), g), _mT(powers[k - 1 - i])))
        if n >= 0:
            return gb
        return A("negative", A("matmul", A("matmul", _mT(base), gb), _mT(base)))
    return vjp


defvjp("linalg.pinv", _pinv_vjp)
defvjp_all("linalg.qr", _qr_vjp)
defvjp("linalg.matrix_power", _matrix_power_vjp)


# ---------------------------------------------------------------- multi-output ufuncs and grids
defvjp_all("divmod", lambda ans, x, y, **k: lambda g: (g[1], A("negative", _mul(g[1], ans[0]))))
defvjp_all("modf", lambda ans, x, **k: lambda g: (g[0],))
def _two_to(e):
    """2 ** e for an integer exponent; a constant exponent stays a NumPy value (no device of its own)."""
    return A("ldexp", 1.0, e) if type(e) is MinArray else numpy.ldexp(1.0, e)


defvjp_all("frexp", lambda ans, x, **k: lambda g: (_div(g[0], _two_to(ans[1])),))
defvjp("ldexp", lambda ans, x, e, **k: lambda g: _mul(g, _two_to(e)), None)


def _meshgrid_vjp(ans, *xs, indexing="xy", **k):
    def vjp(g):
        out = []
        for i, x in enumerate(xs):
            ax = i
            if indexing == "xy" and len(xs) >= 2 and i < 2:
                ax = 1 - i
            others = tuple(d for d in range(g[i].ndim) if d != ax)
            out.append(A("reshape", A("sum", g[i], axis=others), x.shape))
        return tuple(out)
    return vjp


defvjp_all("meshgrid", _meshgrid_vjp)
NONDIFF.add("isnat")


# ---------------------------------------------------------------- fft (the transforms are symmetric: J^T = J)
_SWAP_NORM = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}


def _truncate_pad(r, shape):
    """r cut or zero-padded, axis by axis, to `shape` (the VJP of fft's n= / s= resizing)."""
    if r.shape == shape:
        return r
    r = A("getitem", r, tuple(slice(0, min(m, n)) for m, n in zip(r.shape, shape, strict=True)))
    if r.shape != shape:
        r = A("pad", r, [(0, n - m) for m, n in zip(r.shape, shape, strict=True)])
    return r


def _axes_of(x, s, axes):
    if axes is not None:
        return tuple(axes)
    return tuple(range(-len(s), 0)) if s is not None else tuple(range(-x.ndim, 0))


def _fft1_vjp(op):
    def maker(ans, a, n=None, axis=-1, norm=None):
        return lambda g: _truncate_pad(A(op, g, None, axis, norm), a.shape)
    return maker


def _fftn_vjp(op, default_axes=None):
    def maker(ans, a, s=None, axes=default_axes, norm=None):
        ax = _axes_of(a, s, axes)
        return lambda g: _truncate_pad(A(op, g, None, ax, norm), a.shape)
    return maker


def _pad_axis(g, axis, length):
    """g zero-padded at the end of `axis` to `length`."""
    pad = [(0, 0)] * g.ndim
    pad[axis % g.ndim] = (0, length - g.shape[axis])
    return A("pad", g, pad)


def _rfft_vjp(ans, a, n=None, axis=-1, norm=None):
    full = n if n is not None else a.shape[axis]
    return lambda g: _truncate_pad(A("fft.fft", _pad_axis(g, axis, full), None, axis, norm), a.shape)


def _rfftn_vjp(default_axes=None):
    def maker(ans, a, s=None, axes=default_axes, norm=None):
        ax = _axes_of(a, s, axes)
        full = s[-1] if s is not None else a.shape[ax[-1]]
        return lambda g: _truncate_pad(A("fft.fftn", _pad_axis(g, ax[-1], full), None, ax, norm), a.shape)
    return maker


def _irfft_ct(g, in_len, n, axis, norm):
    """Cotangent of irfft's input (length in_len along axis) from the real output's cotangent g."""
    full = g.shape[axis]
    m = full // 2 + 1
    c = A("fft.ifft", g, None, axis, norm)
    idx = [slice(None)] * g.ndim
    idx[axis % g.ndim] = slice(0, m)
    main = A("getitem", c, tuple(idx))
    if full > m:  # the mirrored half: full[N - k] = conj(X[k]), k = 1 .. N - m
        idx[axis % g.ndim] = slice(m, full)
        mirror = A("conj", A("flip", A("getitem", c, tuple(idx)), axis))
        pad = [(0, 0)] * g.ndim
        pad[axis % g.ndim] = (1, m - 1 - (full - m))
        main = A("add", main, A("pad", mirror, pad))
    shape = list(main.shape)
    shape[axis % g.ndim] = in_len
    return _truncate_pad(main, tuple(shape))


def _irfft_vjp(ans, a, n=None, axis=-1, norm=None):
    return lambda g: _irfft_ct(g, a.shape[axis], n, axis, norm)


def _irfftn_vjp(default_axes=None):
    def maker(ans, a, s=None, axes=default_axes, norm=None):
        ax = _axes_of(a, s, axes)

        def vjp(g):
            c = _irfft_ct(g, a.shape[ax[-1]], None, ax[-1], norm)
            if len(ax) > 1:
                c = A("fft.ifftn", c, None, ax[:-1], norm)
            return _truncate_pad(c, a.shape)
        return vjp
    return maker


def _hfft_vjp(ans, a, n=None, axis=-1, norm=None):
    return lambda g: A("conj", _irfft_ct(g, a.shape[axis], n, axis, _SWAP_NORM[norm]))


def _ihfft_vjp(ans, a, n=None, axis=-1, norm=None):
    inner = _rfft_vjp(ans, a, n, axis, _SWAP_NORM[norm])
    return lambda g: inner(A("conj", g))


for _op in ("fft", "ifft"):
    defvjp(f"fft.{_op}", _fft1_vjp(f"fft.{_op}"))
for _op in ("fftn", "ifftn"):
    defvjp(f"fft.{_op}", _fftn_vjp(f"fft.{_op}"))
defvjp("fft.fft2", _fftn_vjp("fft.fftn", (-2, -1)))
defvjp("fft.ifft2", _fftn_vjp("fft.ifftn", (-2, -1)))
defvjp("fft.rfft", _rfft_vjp)
defvjp("fft.rfftn", _rfftn_vjp())
defvjp("fft.rfft2", _rfftn_vjp((-2, -1)))
defvjp("fft.irfft", _irfft_vjp)
defvjp("fft.irfftn", _irfftn_vjp())
defvjp("fft.irfft2", _irfftn_vjp((-2, -1)))
defvjp("fft.hfft", _hfft_vjp)
defvjp("fft.ihfft", _ihfft_vjp)
defvjp("fft.fftshift", lambda ans, x, axes=None: lambda g: A("fft.ifftshift", g, axes))
defvjp("fft.ifftshift", lambda ans, x, axes=None: lambda g: A("fft.fftshift", g, axes))


# ---------------------------------------------------------------- NumPy 2's matrix-vector ufuncs
def _register_numpy2():
    from ..ops.numpy_ops import KERNELS

    if "matvec" in KERNELS:
        defvjp("matvec", lambda ans, a, v, **k: lambda g: _mul(A("expand_dims", g, -1), A("expand_dims", v, -2)),
               lambda ans, a, v, **k: lambda g: A("squeeze", A("matmul", A("expand_dims", g, -2), a), -2))
    if "vecmat" in KERNELS:
        defvjp("vecmat", lambda ans, v, a, **k: lambda g: A("squeeze", A("matmul", a, A("expand_dims", g, -1)), -1),
               lambda ans, v, a, **k: lambda g: _mul(A("expand_dims", v, -1), A("expand_dims", g, -2)))


_register_numpy2()


# What the tape may drop at record time, so that a forward pass keeps only what its backward pass reads (in
# x @ W + b the product is freed at once; hand-written backprop keeps no more).
# Ops whose VJPs above never read their output:
tape.NO_ANS.update((
    "matmul", "linalg.matmul", "dot", "multiply", "maximum", "minimum", "where", "clip", "tensordot", "vecdot",
    "linalg.vecdot", "log", "log2", "log10", "log1p", "sin", "cos", "atan", "asin", "acos", "sinh", "cosh", "asinh",
    "acosh", "atanh", "square", "fabs", "sign", "floor", "ceil", "trunc", "rint", "round"))
# ops whose VJPs read only the shapes and dtypes of their array arguments, and not their output:
tape.SHAPE_ONLY.update((
    "add", "subtract", "negative", "positive", "conj", "real", "astype", "copy", "asarray", "array", "asanyarray",
    "ascontiguousarray", "asfortranarray", "atleast_1d", "atleast_2d", "atleast_3d", "broadcast_to", "squeeze",
    "expand_dims", "ravel", "flatten", "reshape", "transpose", "permute_dims", "swapaxes", "matrix_transpose",
    "linalg.matrix_transpose", "moveaxis", "sum", "add.reduce", "mean", "flip", "getitem", "take"))


# ---------------------------------------------------------------- more ufunc methods, diag
def _outer_sum(g, a, b, which):
    """Cotangent of a (which=0) or b (which=1) in ufunc.outer(a, b): g summed over the other operand's axes."""
    if which == 0:
        return A("sum", g, tuple(range(a.ndim, g.ndim))) if b.ndim else g
    return A("sum", g, tuple(range(a.ndim))) if a.ndim else g


def _outer_of(x, y):
    """x broadcast against y as in ufunc.outer(x, y): x's axes first."""
    return A("reshape", x, x.shape + (1,) * y.ndim)


def _inner_of(x, y):
    return A("reshape", y, (1,) * x.ndim + y.shape)


defvjp("add.outer", lambda ans, a, b, **k: lambda g: _outer_sum(g, a, b, 0),
       lambda ans, a, b, **k: lambda g: _outer_sum(g, a, b, 1))
defvjp("subtract.outer", lambda ans, a, b, **k: lambda g: _outer_sum(g, a, b, 0),
       lambda ans, a, b, **k: lambda g: A("negative", _outer_sum(g, a, b, 1)))
defvjp("multiply.outer", lambda ans, a, b, **k: lambda g: _outer_sum(_mul(g, _inner_of(a, b)), a, b, 0),
       lambda ans, a, b, **k: lambda g: _outer_sum(_mul(g, _outer_of(a, b)), a, b, 1))
defvjp("divide.outer", lambda ans, a, b, **k: lambda g: _outer_sum(_div(g, _inner_of(a, b)), a, b, 0),
       lambda ans, a, b, **k: lambda g: A("negative", _outer_sum(_div(_mul(g, ans), _inner_of(a, b)), a, b, 1)))


def _accumulate_prod_vjp(ans, x, axis=0, dtype=None, out=None, **k):
    return lambda g: _cumprod_1(g, x, ans, axis)


def _running_index_kernel(x, ans, axis):
    """For each position of a running max/min along axis, the index of the first element that attains it."""
    hit = numpy.equal(numpy.expand_dims(x, axis + 1), numpy.expand_dims(ans, axis))  # [.., i, j, ..]
    n = x.shape[axis]
    upto = numpy.tril(numpy.ones((n, n), bool)).T  # i <= j
    hit &= upto.reshape((n, n) + (1,) * (x.ndim - axis - 1))
    return numpy.argmax(hit, axis=axis)


def _running_extremum_vjp(ans, x, axis=0, dtype=None, out=None, **k):
    ax = axis % x.ndim

    def vjp(g):
        idx = _running_index_kernel(_key_plain(x), _key_plain(ans), ax)
        return _scatter(g, x.shape, _take_along_key(x, idx, ax))
    return vjp


defvjp("multiply.accumulate", _accumulate_prod_vjp)
defvjp("maximum.accumulate", _running_extremum_vjp)
defvjp("minimum.accumulate", _running_extremum_vjp)


def _diag_vjp_maker(ans, v, k=0):
    if v.ndim == 1:
        return lambda g: A("diagonal", g, k)
    return lambda g: _diag_vjp(g, v, k, 0, 1)


defvjp("diag", _diag_vjp_maker)
tape.NO_ANS.update(("add.outer", "subtract.outer", "multiply.outer", "diag"))


def _nan_vjp(mean):
    def maker(ans, x, axis=None, dtype=None, out=None, keepdims=False, **k):
        def vjp(g):
            keep = A("logical_not", A("isnan", x))
            ct = A("where", keep, _expand(g, x, axis, keepdims), 0.0)
            if mean:
                ct = _div(ct, A("sum", keep, _axes(axis, x.ndim), None, None, True))
            return ct
        return vjp
    return maker


defvjp("nansum", _nan_vjp(False))
defvjp("nanmean", _nan_vjp(True))


# ---------------------------------------------------------------- convolution and pooling (nn layers)
# conv2d and its two gradients are linear in each argument, so each one's VJP is another of the three (any order);
# max_pool2d_grad has none: a second derivative through max pooling raises at record time
def _conv_vjps(ans, x, w, b=None, stride=1, pad=0):
    return (lambda g: A("conv2d_grad_input", g, w, x.shape, stride, pad),
            lambda g: A("conv2d_grad_weight", x, g, w.shape, stride, pad),
            lambda g: A("sum", g, (0, 2, 3)))


defvjp("conv2d", *(lambda ans, *a, _i=i, **k: _conv_vjps(ans, *a, **k)[_i] for i in range(3)))
defvjp("conv2d_grad_input",
       lambda ans, g, w, shape, stride=1, pad=0: lambda ct: A("conv2d", ct, w, None, stride, pad),
       lambda ans, g, w, shape, stride=1, pad=0: lambda ct: A("conv2d_grad_weight", ct, g, w.shape, stride, pad))
defvjp("conv2d_grad_weight",
       lambda ans, x, g, shape, stride=1, pad=0: lambda ct: A("conv2d_grad_input", g, ct, x.shape, stride, pad),
       lambda ans, x, g, shape, stride=1, pad=0: lambda ct: A("conv2d", x, ct, None, stride, pad))
defvjp("max_pool2d", lambda ans, x, size=2, stride=None: lambda g: A("max_pool2d_grad", g, x, size, stride))
defvjp("avg_pool2d", lambda ans, x, size=2, stride=None: lambda g: A("avg_pool2d_grad", g, x.shape, size, stride))
defvjp("avg_pool2d_grad", lambda ans, g, shape, size=2, stride=None: lambda ct: A("avg_pool2d", ct, size, stride))
