"""The VJP table: one entry per op name, shared by the MXNet kernel, the NumPy fallback and both faces.

`defvjp(op, *makers)`: makers[i](ans, *args, **kw) returns `g -> cotangent of positional argument i` (None: no
gradient through that argument).  `defvjp_all(op, maker)`: maker(ans, *args, **kw) returns `g -> tuple of
cotangents, one per positional argument`; for a multi-output op `ans` and `g` are tuples.  Makers see NumPy's
arguments and keywords; cotangents may have a broadcast shape or another dtype: the tape sums them down to the
argument's shape and casts them to its dtype (see tape.fit).  VJPs are written with minpy_array ops, so they are
themselves recorded when an outer gradient is being traced (grad of grad).

NONDIFF names the ops whose results carry no gradient by declaration: integer or boolean results, or (CONSTANT)
floating-point results that do not depend on the values of their inputs.  The recorder refuses a floating-point
result from any other NONDIFF op, so a declaration cannot hide a gradient.

Note: complex numbers follow HIPS autograd's convention: a cotangent c of a complex value z stands for the real
linear form dz -> Re(c * dz) (no conjugation).  So a holomorphic op's VJP is g * f'(z), written exactly as for real
inputs; the non-holomorphic ones (conj, real, imag, abs, angle, var, the norms, vdot, vecdot, Hermitian
decompositions ...) are written out below.  grad of a real-valued f(z) is df/dx - i df/dy: conjugate it for a
descent step.
"""
import math
import string

import numpy

from .. import _dispatch
from .._array import MinArray, asarray_like
from . import tape

A = _dispatch.apply
VJPS = {}
_LETTERS = string.ascii_letters
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
    "count_nonzero", "digitize", "isin", "in1d", "linalg.matrix_rank", "lexsort",
    # shape and dtype queries, constant-valued creation from an array's shape
    "shape", "ndim", "size", "result_type", "can_cast", "iinfo", "finfo", "isdtype", "zeros_like", "ones_like",
    "empty_like", "tril_indices_from", "triu_indices_from", "diag_indices_from",
}
CONSTANT = {"zeros_like", "ones_like", "empty_like"}  # floating-point results that ignore the input's values


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


def _complex(x):
    return getattr(x, "dtype", None) is not None and x.dtype.kind == "c"


def _cj(x):
    """conj(x) for a complex MinArray, x itself otherwise (no op on real data)."""
    return A("conj", x) if type(x) is MinArray and x.dtype.kind == "c" else x


def _arr(x, like):
    """An untraced array_like argument (Python scalar, list, NumPy array) as a MinArray on like's device."""
    return x if type(x) is MinArray else asarray_like(numpy.asarray(x), like.device)


def _real_only(op, *xs):
    """For the VJPs that are right for real inputs only: complex ones raise, naming the op."""
    for x in xs:
        if _complex(x):
            raise TypeError(f"{op}: gradients are implemented for real inputs only, not complex")


def _unit(x):
    """d|x|/dx as a cotangent factor: sign(x) for real x, conj(x)/|x| for complex x (0 at 0)."""
    if not _complex(x):
        return A("sign", x)
    r = A("abs", x)
    return _div(A("conj", x), A("where", A("equal", r, 0.0), 1.0, r))


# ---------------------------------------------------------------- elementwise, one argument
LN2, LN10 = math.log(2.0), math.log(10.0)
defvjp("negative", _neg)
defvjp("positive", _same)
defvjp("conj", lambda ans, x, *a, **k: lambda g: A("conj", g))
defvjp("real", _same)
defvjp("imag", lambda ans, x, *a, **k: lambda g: _mul(g, -1j) if _complex(x) else A("zeros_like", x))
defvjp("abs", _un(lambda g, ans, x: _mul(g, _unit(x))))


def _angle_vjp(ans, z, deg=False):
    scale = 180.0 / math.pi if deg else 1.0
    if not _complex(z):  # 0 or pi: piecewise constant
        return lambda g: A("zeros_like", z)

    def vjp(g):  # d angle = Im(dz / z) = Re(-i conj(z) dz) / |z|^2
        r2 = A("real", _mul(z, A("conj", z)))
        return _mul(g, -1j * scale, _div(A("conj", z), A("where", A("equal", r2, 0.0), 1.0, r2)))
    return vjp


defvjp("angle", _angle_vjp)
defvjp("real_if_close", lambda ans, a, *k, **kw: lambda g: g)  # real part (ans real) or a itself: both g
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
_SIGN_IS_UNIT = complex(numpy.sign(numpy.complex128(3j))) == 1j  # NumPy 2: sign(z) = z/|z|; 1.x: sign(Re z)


def _sign_vjp(ans, x, *a, **k):
    if not (_complex(x) and _SIGN_IS_UNIT):
        return lambda g: A("zeros_like", x)

    def vjp(g):  # s = z/r: ds = dz/r - z Re(conj(z) dz)/r^3, so c = g/r - Re(g z) conj(z)/r^3 (0 at z = 0)
        r = A("abs", x)
        safe = A("where", A("equal", r, 0.0), 1.0, r)
        ct = A("subtract", _div(g, safe), _div(_mul(A("real", _mul(g, x)), A("conj", x)), _mul(safe, safe, safe)))
        return A("where", A("equal", r, 0.0), 0.0, ct)
    return vjp


defvjp("sign", _sign_vjp)
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
CONSTANT.add("_tie_mask")
defvjp("_select", lambda ans, g, x, y, wins: lambda gg: _side(gg, x, y, wins), None, None)  # piecewise constant in x, y


defvjp("add", _same, _same)
defvjp("subtract", _same, _neg)
defvjp("multiply", lambda ans, x, y, **k: lambda g: _mul(g, y), lambda ans, x, y, **k: lambda g: _mul(g, x))
defvjp("divide", lambda ans, x, y, **k: lambda g: _div(g, y),
       lambda ans, x, y, **k: lambda g: A("negative", _div(_mul(g, ans), y)))
def _pow_x(g, x, y):
    """g y x^(y-1), and 0 where x == y == 0 (0 * inf otherwise; d x^0 = 0 there); a constant exponent stays off the
    engine so that its 0-d array cannot land on another device."""
    if type(y) is not MinArray:
        ya = numpy.asarray(y)
        if not ya.any():
            return A("zeros_like", x)
        if ya.ndim == 0:  # a Python or NumPy scalar stays one
            return _mul(g, y, A("pow", x, y - 1.0))
        if ya.all():
            return _mul(g, ya, A("pow", x, ya - 1.0))
        y = asarray_like(ya, x.device)
    both = A("logical_and", A("equal", y, 0.0), A("equal", x, 0.0))
    return _mul(g, y, A("pow", A("where", both, 1.0, x), A("subtract", y, 1.0)))


def _log_base(x):
    """log(x), 0 where x == 0 (x^y is 0 or 1 there: y's cotangent g x^y log x is 0); real x must be > 0 (NumPy's
    x^y is nan for x < 0 and non-integer y), complex x takes the principal log."""
    if type(x) is not MinArray:
        x = numpy.asarray(x)
        if x.dtype.kind == "c":
            return numpy.log(numpy.where(x == 0, 1.0, x))
        return numpy.log(numpy.where(numpy.greater(x, 0), x, 1.0))
    if x.dtype.kind == "c":
        return A("log", A("where", A("equal", x, 0.0), 1.0, x))
    return A("log", A("where", A("greater", x, 0.0), x, 1.0))


defvjp("pow", lambda ans, x, y, **k: lambda g: _pow_x(g, x, y),
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


def _given(v):
    return None if v is numpy._NoValue else v


def _clip_x(ans, x, lo=None, hi=None, *a, **k):
    lo, hi = _given(k.get("a_min", k.get("min", lo))), _given(k.get("a_max", k.get("max", hi)))

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
            "atleast_2d", "atleast_3d", "broadcast_to", "squeeze", "expand_dims"):
    defvjp(_op, lambda ans, x, *a, **k: lambda g: A("reshape", g, x.shape) if g.size == x.size else g)


def _reorder(op):
    """ravel, flatten, reshape: g read back in the same index order (C or F); 'A' and 'K' follow the memory
    layout, which a traced value does not fix."""
    def maker(ans, x, *a, order="C", **k):
        if op == "reshape" and len(a) > 1:
            order = a[1]
        elif op != "reshape" and a:
            order = a[0]
        if order not in (None, "C", "F"):
            raise TypeError(f"{op}: gradients are implemented for order='C' and 'F', not {order!r} (it depends on "
                            "the memory layout)")
        if order == "F":
            return lambda g: A("reshape", g, x.shape, order="F")
        return lambda g: A("reshape", g, x.shape)
    return maker


for _op in ("ravel", "flatten", "reshape"):
    defvjp(_op, _reorder(_op))


def _nan_to_num_vjp(ans, x, *a, **k):
    """The identity where x is finite, 0 where NaN or an infinity was replaced (real and imaginary parts apart)."""
    if not _complex(x):
        return lambda g: A("where", A("isfinite", x), g, 0.0)

    def vjp(g):
        re = A("where", A("isfinite", A("real", x)), A("real", g), 0.0)
        im = A("where", A("isfinite", A("imag", x)), A("imag", g), 0.0)
        return A("add", re, _mul(im, 1j))
    return vjp


defvjp("nan_to_num", _nan_to_num_vjp)
defvjp("to_device", lambda ans, x, device: lambda g: g.to_device(x.device))


def _pack_vjp(ans, template, *leaves):
    """The array made of a container of traced values (containers.pack): each element gets its slice of g."""
    from .containers import paths

    where = paths(template)
    return lambda g: (None,) + tuple(A("getitem", g, p) for p in where)


defvjp_all("_pack", _pack_vjp)


# ---------------------------------------------------------------- ranges: linear in their end points
def _range_weights(num, endpoint):
    """t_k with linspace's sample k = start + t_k (stop - start); its step's divisor."""
    div = (num - 1) if endpoint else num
    t = numpy.arange(num, dtype=numpy.float64) / div if div > 0 else numpy.zeros(num)
    if endpoint and num > 1:
        t[-1] = 1.0
    return t, div


def _along(t, axis, like):
    """Host vector t laid along `axis` of an array like `like`, on like's device."""
    shape = [1] * like.ndim
    ax = axis % like.ndim
    shape[ax] = t.size
    return asarray_like(t.reshape(shape).astype(like.real.dtype if _complex(like) else like.dtype), like.device), ax


def _linspace_vjp(ans, start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    t, div = _range_weights(num, endpoint)

    def vjp(g):
        gs, gstep = (g[0], g[1]) if retstep else (g, None)
        tt, ax = _along(t, axis, gs)
        ct_stop = A("sum", _mul(gs, tt), ax)
        ct_start = A("sum", A("subtract", gs, _mul(gs, tt)), ax)
        if type(gstep) is MinArray and div > 0:
            ct_start, ct_stop = A("subtract", ct_start, _div(gstep, div)), A("add", ct_stop, _div(gstep, div))
        return ct_start, ct_stop
    return vjp


def _logspace_vjp(ans, start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    def vjp(g):
        lin = A("linspace", start, stop, num, endpoint, axis=axis)
        b = _arr(base, ans) if axis == 0 else A("expand_dims", _arr(base, ans), axis)
        gy = _mul(g, ans)  # d base^l = base^l (log(base) dl + l/base dbase)
        ct_start, ct_stop = _linspace_vjp(None, start, stop, num, endpoint, axis=axis)(_mul(gy, A("log", b)))
        ct_base = A("sum", _div(_mul(gy, lin), b), axis % ans.ndim)
        return ct_start, ct_stop, None, None, ct_base
    return vjp


def _geomspace_vjp(ans, start, stop, num=50, endpoint=True, dtype=None, axis=0):
    t, _ = _range_weights(num, endpoint)

    def vjp(g):  # y_k = start (stop/start)^t_k
        tt, ax = _along(t, axis, ans)
        gy = _mul(g, ans)
        ct_start = _div(A("sum", A("subtract", gy, _mul(gy, tt)), ax), start)
        ct_stop = _div(A("sum", _mul(gy, tt), ax), stop)
        return ct_start, ct_stop
    return vjp


defvjp_all("linspace", _linspace_vjp)
defvjp_all("logspace", _logspace_vjp)
defvjp_all("geomspace", _geomspace_vjp)


def _stencil(f_len, spacing, edge_order):
    """np.gradient along one axis is out[i] = sum_o c_o[i] f[i + o], o in -2..2: {o: c_o}, read off NumPy's own
    arithmetic with five probes (each row touches at most five neighbouring columns, at most one per class mod 5)."""
    probes = [numpy.gradient((numpy.arange(f_len) % 5 == r).astype(numpy.float64), spacing, edge_order=edge_order)
              for r in range(5)]
    i = numpy.arange(f_len)
    out = {}
    for o in range(-2, 3):
        j = i + o
        ok = (j >= 0) & (j < f_len)
        c = numpy.zeros(f_len)
        c[ok] = numpy.stack(probes)[j[ok] % 5, i[ok]]
        if c.any():
            out[o] = c
    return out


def _gradient_vjp(ans, f, *varargs, axis=None, edge_order=1):
    axes = _axes(axis, f.ndim)
    if len(varargs) == 0:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and numpy.ndim(_key_plain(varargs[0])) == 0:
        spacing = [_key_plain(varargs[0])] * len(axes)
    else:
        spacing = [_key_plain(v) for v in varargs]
    stencils = [_stencil(f.shape[ax], sp, edge_order) for ax, sp in zip(axes, spacing, strict=True)]

    def vjp(g):
        gs = [g] if type(g) is MinArray else list(g)
        ct = None
        for ax, st, gk in zip(axes, stencils, gs, strict=True):
            for o, c in st.items():  # the transpose: ct[j] += c_o[j - o] g[j - o]
                h = _mul(gk, _along(c, ax, gk)[0])
                n = f.shape[ax]
                lead = (slice(None),) * ax
                h = A("getitem", h, lead + (slice(0, n - o) if o > 0 else slice(-o, n),))
                h = _pad_axis_both(h, ax, (o, 0) if o > 0 else (0, -o))
                ct = h if ct is None else A("add", ct, h)
        return (ct,)
    return vjp


def _pad_axis_both(g, axis, widths):
    pad = [(0, 0)] * g.ndim
    pad[axis] = widths
    return A("pad", g, pad)


defvjp_all("gradient", _gradient_vjp)


# ---------------------------------------------------------------- reductions
def _axes(axis, ndim):
    if axis is None:
        return tuple(range(ndim))
    if type(axis) is not tuple:
        axis = tuple(axis) if isinstance(axis, list) else (axis,)
    return tuple(int(a) % ndim for a in axis) if ndim else ()


def _kept(g, x, axis, keepdims):
    """Cotangent g of a reduction over `axis` with the reduced axes kept (length 1): it broadcasts against x (as a
    0-d g, a whole reduction's, does as it is)."""
    if not keepdims and x.ndim and g.ndim:
        axes = _axes(axis, x.ndim)
        g = A("reshape", g, tuple(1 if i in axes else n for i, n in enumerate(x.shape)))
    return g


def _expand(g, x, axis, keepdims):
    """Cotangent g of a reduction over `axis` broadcast back to x's shape."""
    return A("broadcast_to", _kept(g, x, axis, keepdims), x.shape)


def _count(x, axis):
    n = 1
    for a in _axes(axis, x.ndim):
        n *= x.shape[a]
    return n


def _mask(x, where):
    """A reduction's where= as a 0/1 array of x's shape and dtype, or None when every element takes part."""
    if where is None or where is True or where is numpy._NoValue:
        return None
    return A("astype", A("broadcast_to", _arr(where, x), x.shape), x.dtype)


def _masked(ct, mask):
    return ct if mask is None else _mul(ct, mask)


def _n(x, axis, mask):
    """How many elements each reduction slice counts: a number, or an array (keepdims) under where=."""
    if mask is None:
        return float(_count(x, axis))
    return A("sum", mask, _axes(axis, x.ndim), None, None, True)


def _sum_vjp(ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, **k):
    mask = _mask(x, where)
    return lambda g: _masked(_expand(g, x, axis, keepdims), mask)


def _mean_vjp(ans, x, axis=None, dtype=None, out=None, keepdims=False, *, where=None, **k):
    mask = _mask(x, where)
    return lambda g: _div(_masked(_expand(g, x, axis, keepdims), mask), _n(x, axis, mask))


def _var_vjp(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
             correction=None, **k):
    ddof = correction if correction is not None else ddof
    mask = _mask(x, where)

    def vjp(g):  # d var = 2 Re(conj(dev) d dev) / (n - ddof); a given mean= is a constant
        n = _n(x, axis, mask)
        if mean is not None:
            centre = _arr(mean, x)
        elif mask is None:
            centre = A("mean", x, _axes(axis, x.ndim), None, None, True)
        else:
            centre = _div(A("sum", _mul(x, mask), _axes(axis, x.ndim), None, None, True), n)
        dev = A("subtract", x, centre)
        return _div(_masked(_mul(_expand(g, x, axis, keepdims), _cj(dev), 2.0), mask), A("subtract", n, ddof)
                    if type(n) is MinArray else n - ddof)
    return vjp


def _std_vjp(ans, x, axis=None, dtype=None, out=None, ddof=0, keepdims=False, **k):
    var = _var_vjp(ans, x, axis, ddof=ddof, keepdims=keepdims, **k)
    # where std is 0 every deviation is 0 too: the cotangent is 0 there (one element: std is constant)
    return lambda g: var(_div(g, _mul(A("where", A("equal", ans, 0.0), 1.0, ans), 2.0)))


def _prod_vjp(ans, x, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None, **k):
    mask = _mask(x, where)

    def vjp(g):
        # Note: exact at zeros too: where x == 0 the cotangent is the product of the others (when it is the slice's
        # only zero), elsewhere ans / x
        xm = x if mask is None else A("where", mask, x, 1.0)
        zero = A("equal", xm, 0.0)
        ax = _axes(axis, x.ndim)
        others = A("prod", A("where", zero, 1.0, xm), ax, None, None, True)
        if initial is not None and initial is not numpy._NoValue:
            others = _mul(others, initial)
        zeros = A("sum", A("astype", zero, numpy.int64), ax, None, None, True)
        single = A("equal", zeros, 1)
        _second_order_zeros("prod", x, A("max", zeros))
        full = _expand(ans, x, axis, keepdims)
        ct = A("where", zero, A("where", single, others, 0.0), _div(full, A("where", zero, 1.0, xm)))
        return _masked(_mul(_expand(g, x, axis, keepdims), ct), mask)
    return vjp


def _extremum_vjp(ans, x, axis=None, out=None, keepdims=False, initial=None, where=None, **k):
    mask = _mask(x, where)

    def vjp(g):  # shared equally between the elements that attain the extremum (none: initial= won)
        # (ans and g with the reduced axes kept broadcast against x, whose shape the mask `hit` has)
        hit = _masked(A("astype", A("equal", x, _kept(ans, x, axis, keepdims)), x.dtype), mask)
        n = A("sum", hit, _axes(axis, x.ndim), None, None, True)  # a count: maximum(n, 1) is n, or 1 where none
        return _div(_mul(_kept(g, x, axis, keepdims), hit), A("maximum", n, 1.0))
    return vjp


def _ufunc_reduce(vjp, dtype_arg=True):
    """ufunc.reduce(array, axis=0, dtype, out, keepdims, initial, where): axis=0 by default where the functions take
    axis=None; maximum.reduce's dtype slot is not in max's signature."""
    def maker(ans, x, axis=0, dtype=None, out=None, keepdims=False, initial=None, where=True, **k):
        if dtype_arg:
            return vjp(ans, x, axis, dtype, None, keepdims, initial, where)
        return vjp(ans, x, axis, None, keepdims, initial, where)
    return maker


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
    defvjp(_op, _ufunc_reduce(_extremum_vjp, dtype_arg=False))


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


def _second_order_zeros(op, x, most):
    """Where a product holds two zeros its gradient is 0 but not its derivative: not implemented beyond first
    order (x traced below this level: this VJP is being differentiated)."""
    if type(x) is MinArray and x._node is not None and int(most) >= 2:
        raise TypeError(f"{op}: gradients of order 2 and more at an input with two or more zeros in one product "
                        "are not implemented")


def _rev_cumsum(v, axis):
    return A("flip", A("cumsum", A("flip", v, axis), axis), axis)


def _cumprod_1(g, x, ans, axis):
    """d cumprod / dx_i = sum_{j>=i} g_j ans_j / x_i where x_i != 0.  At the first zero of a slice the products
    that skip it (cumprod with that zero read as 1); after it every product holds a zero: 0."""
    zero = A("equal", x, 0.0)
    safe = A("where", zero, 1.0, x)
    ct = _div(_rev_cumsum(_mul(g, ans), axis), safe)
    count = A("cumsum", A("astype", zero, numpy.int64), axis)
    first = A("logical_and", zero, A("equal", count, 1))
    if not A("any", first):  # no zeros: the common case, one op less at every order
        return ct
    _second_order_zeros("cumprod", x, A("max", count))
    skip = _rev_cumsum(_mul(g, A("cumprod", A("where", first, 1.0, x), axis)), axis)
    return A("where", zero, A("where", first, skip, 0.0), ct)


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


def _diff_ct(g, n, axis):
    """The cotangent of diff's (prepended and appended) input: diff's transpose, n times."""
    for _ in range(n):
        pad = [(0, 0)] * g.ndim
        pad[axis] = (1, 1)
        g = A("negative", A("diff", A("pad", g, pad), 1, axis))
    return g


def _diff_vjp(i):
    """diff(a, n, axis, prepend, append): positions 0 (a), 3 (prepend) and 4 (append) are the pieces of one
    concatenation along axis, which is differenced n times."""
    def maker(ans, a, n=1, axis=-1, prepend=numpy._NoValue, append=numpy._NoValue):
        ax = axis % a.ndim
        full = [len(_shape(v)) == a.ndim for v in (prepend, append)]  # else broadcast: one slot along axis
        sizes = [0 if v is numpy._NoValue else (_shape(v)[ax] if f else 1) for v, f in zip((prepend, append), full,
                                                                                          strict=True)]
        lo, hi = sizes[0], sizes[0] + a.shape[ax]
        part, whole = {0: (slice(lo, hi), True), 3: (slice(0, lo), full[0]), 4: (slice(hi, None), full[1])}[i]

        def vjp(g):
            ct = A("getitem", _diff_ct(g, n, ax), (slice(None),) * ax + (part,))
            return ct if whole else A("sum", ct, ax)
        return vjp
    return maker


defvjp("diff", _diff_vjp(0), None, None, _diff_vjp(3), _diff_vjp(4))


# ---------------------------------------------------------------- shape and order
def _transpose_vjp(ans, x, axes=None):
    def vjp(g):
        if axes is None:
            return A("transpose", g)
        return A("transpose", g, tuple(numpy.argsort([a % x.ndim for a in axes])))
    return vjp


defvjp("transpose", _transpose_vjp)
defvjp("permute_dims", lambda ans, x, axes=None: _transpose_vjp(ans, x, axes))  # NumPy 2: numpy.transpose
defvjp("swapaxes", lambda ans, x, axis1, axis2: lambda g: A("swapaxes", g, axis1, axis2))
defvjp("matrix_transpose", lambda ans, x: lambda g: A("swapaxes", g, -1, -2))
defvjp("linalg.matrix_transpose", lambda ans, x: lambda g: A("swapaxes", g, -1, -2))
defvjp("moveaxis", lambda ans, x, source, destination: lambda g: A("moveaxis", g, destination, source))
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


def _shape(a):
    return a.shape if type(a) is MinArray else numpy.shape(a)


def _unconcat(g, shapes, axis, originals):
    """The pieces of g, a concatenation along `axis` of pieces of `shapes`, each reshaped to its original shape."""
    cuts = numpy.cumsum([s[axis] for s in shapes])[:-1].tolist()
    parts = A("split", g, cuts, axis)
    return [A("reshape", p, o) for p, o in zip(parts, originals, strict=True)]


def _concat_vjp(ans, arrays, axis=0, *a, **k):
    shapes = [_shape(x) for x in arrays]
    if axis is None:
        return lambda g: _unconcat(g, [(math.prod(s),) for s in shapes], 0, shapes)
    return lambda g: _unconcat(g, shapes, axis, shapes)


def _stack_vjp(ans, arrays, axis=0, *a, **k):
    return lambda g: [A("take", g, i, axis=axis) for i in range(len(arrays))]


# how vstack, hstack, dstack and column_stack see each piece: (promoted shape, concatenation axis)
_LIFT = {
    "vstack": lambda s: ((1,) * (2 - len(s)) + s if len(s) < 2 else s, 0),
    "hstack": lambda s: ((1,) if not s else s, 0 if len(s) <= 1 else 1),
    "dstack": lambda s: ({0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}.get(len(s), s), 2),
    "column_stack": lambda s: ((1, 1) if not s else (s[0], 1) if len(s) == 1 else s, 1),
}
_LIFT["row_stack"] = _LIFT["vstack"]


def _lifted_vjp(op):
    lift = _LIFT[op]

    def maker(ans, arrays, *a, **k):
        shapes = [_shape(x) for x in arrays]
        lifted = [lift(s) for s in shapes]
        return lambda g: _unconcat(g, [ls for ls, _ in lifted], lifted[0][1], shapes)
    return maker


defvjp("concat", _concat_vjp)
defvjp("stack", _stack_vjp)
for _op in _LIFT:
    defvjp(_op, _lifted_vjp(_op))


def _append_vjp(ans, arr, values, axis=None):
    """append: a concatenation of arr and values (both flattened when axis is None)."""
    shapes = [_shape(arr), _shape(values)]
    pieces = [(math.prod(s),) for s in shapes] if axis is None else shapes
    return lambda g: tuple(_unconcat(g, pieces, 0 if axis is None else axis, shapes))


defvjp_all("append", _append_vjp)


def _block_layout(arrays):
    """[(path, index of its block in the result, original shape)] for every leaf of np.block's nested lists."""
    def depth(v):
        return 1 + depth(v[0]) if type(v) is list and v else 0
    d = depth(arrays)
    leaves = []

    def walk(v, path):
        if type(v) is list:
            for j, e in enumerate(v):
                walk(e, path + (j,))
        else:
            leaves.append((path, _shape(v)))
    walk(arrays, ())
    nd = max([d] + [len(s) for _, s in leaves])

    def place(v, level, start):
        """Shape of block v (at nesting `level`) and the offsets of its leaves, v starting at `start`."""
        if type(v) is not list:
            s = _shape(v)
            return (1,) * (nd - len(s)) + tuple(s), [start]
        axis = nd - (d - level)
        offs, size, shape = [], 0, None
        for e in v:
            st = list(start)
            st[axis] += size
            shape, o = place(e, level + 1, tuple(st))
            offs += o
            size += shape[axis]
        shape = list(shape)
        shape[axis] = size
        return tuple(shape), offs
    _, offsets = place(arrays, 0, (0,) * nd)
    out = []
    for (path, s), off in zip(leaves, offsets, strict=True):
        full = (1,) * (nd - len(s)) + tuple(s)
        out.append((path, tuple(slice(o, o + n) for o, n in zip(off, full, strict=True)), s))
    return out


def _block_vjp(ans, arrays):
    layout = _block_layout(arrays)

    def vjp(g):
        def build(v, path):
            if type(v) is list:
                return [build(e, path + (j,)) for j, e in enumerate(v)]
            key, shape = slots[path]
            return A("reshape", A("getitem", g, key), shape) if type(v) is MinArray else None
        slots = {path: (key, shape) for path, key, shape in layout}
        return (build(arrays, ()),)
    return vjp


defvjp_all("block", _block_vjp)


def _split_vjp(ans, x, indices_or_sections, axis=0):
    return lambda g: (A("concat", list(g), axis=axis),)


defvjp_all("split", _split_vjp)
defvjp_all("array_split", _split_vjp)
defvjp_all("vsplit", lambda ans, x, indices_or_sections: _split_vjp(ans, x, indices_or_sections, 0))
defvjp_all("hsplit", lambda ans, x, indices_or_sections: _split_vjp(ans, x, indices_or_sections, 1 if x.ndim > 1
                                                                    else 0))
defvjp_all("dsplit", lambda ans, x, indices_or_sections: _split_vjp(ans, x, indices_or_sections, 2))
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
defvjp("take", lambda ans, x, indices, axis=None, out=None, mode="raise": lambda g: _take_vjp(g, x, indices, axis,
                                                                                             mode))


def _take_vjp(g, x, indices, axis, mode="raise"):
    idx = _key_plain(indices)
    if mode != "raise":  # the indices 'clip' or 'wrap' really read
        idx = numpy.take(numpy.arange(x.size if axis is None else x.shape[axis]), idx, mode=mode)
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


def _tal_vjp(ans, x, idx, axis=-1):
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
_COPY_MODES = ("edge", "reflect", "symmetric", "wrap")


def _pad_vjp(ans, x, pad_width, mode="constant", **k):
    """constant: the inner block of g; the modes that copy x's own values (edge, reflect, symmetric, wrap): each
    padded value's cotangent goes back to the element it copies (found by padding the elements' indices)."""
    if mode == "constant":
        widths = numpy.broadcast_to(numpy.asarray(pad_width), (x.ndim, 2)).tolist()
        return lambda g: A("getitem", g, tuple(slice(lo, lo + n) for (lo, _), n in zip(widths, x.shape,
                                                                                         strict=True)))
    if mode not in _COPY_MODES or k.get("reflect_type", "even") != "even":
        raise TypeError(f"pad: gradients are implemented for mode='constant' and the modes that copy values "
                        f"{_COPY_MODES} (reflect_type='even'), not mode={mode!r} {k or ''}")
    src = numpy.pad(numpy.arange(x.size).reshape(x.shape), pad_width, mode)
    return lambda g: A("reshape", _scatter(g, (x.size,), (src,)), x.shape)


defvjp("pad", _pad_vjp)


def _sort_vjp(ans, x, axis=-1, **k):
    def vjp(g):
        if axis is None:
            order = numpy.argsort(_key_plain(A("ravel", x)), kind="stable")
            return A("reshape", _scatter(g, (x.size,), (order,)), x.shape)
        order = numpy.argsort(_key_plain(x), axis=axis, kind="stable")
        return _scatter(g, x.shape, _take_along_key(x, order, axis))
    return vjp


defvjp("sort", _sort_vjp)
defvjp("msort", lambda ans, a: _sort_vjp(ans, a, 0))


def _rearranged_vjp(ans, x, kth, axis=-1, **k):
    """partition: ans is a rearrangement of x along axis; pair them by rank (ties in order), scatter g back."""
    def vjp(g):
        ax = None if axis is None else axis % x.ndim
        xs = _key_plain(A("ravel", x) if ax is None else x)
        ys = _key_plain(ans)
        order_x = numpy.argsort(xs, axis=-1 if ax is None else ax, kind="stable")
        rank_y = numpy.argsort(numpy.argsort(ys, axis=-1 if ax is None else ax, kind="stable"),
                               axis=-1 if ax is None else ax, kind="stable")
        src = numpy.take_along_axis(order_x, rank_y, -1 if ax is None else ax)
        if ax is None:
            return A("reshape", _scatter(g, (x.size,), (src,)), x.shape)
        return _scatter(g, x.shape, _take_along_key(x, src, ax))
    return vjp


defvjp("partition", _rearranged_vjp)


def _unique_values_vjp(ans, x):
    inv = numpy.unique(_key_plain(x), return_inverse=True)[1].reshape(-1)
    return lambda g: A("reshape", A("take", g, inv), x.shape)


defvjp("unique_values", _unique_values_vjp)


def _unique_vjp(ans, x, *a, axis=None, **k):
    if len(a) > 3:  # unique(ar, return_index, return_inverse, return_counts, axis)
        axis = a[3]
    one = type(ans) is MinArray
    if axis is not None:  # unique slices along axis: each input slice takes its unique slice's cotangent
        inv = numpy.unique(_key_plain(x), axis=axis, return_inverse=True)[1].reshape(-1)
        return lambda g: (A("take", g if one else g[0], inv, axis=axis),)
    return lambda g: (_unique_values_vjp(None, x)(g if one else g[0]),)


defvjp_all("unique", _unique_vjp)
for _op in ("unique_all", "unique_counts", "unique_inverse"):
    defvjp_all(_op, lambda ans, x: lambda g: (_unique_values_vjp(None, x)(g[0]),))


def _select_vjp(ans, condlist, choicelist, default=0):
    """np.select: each element comes from the first choice whose condition holds, else from default."""
    conds = [_key_plain(c) if type(c) is MinArray else numpy.asarray(c) for c in condlist]
    shape = ans.shape
    which = numpy.select([numpy.broadcast_to(c, shape) for c in conds], list(range(len(conds))), len(conds))

    def vjp(g):
        cts = [A("where", asarray_like(which == i, g.device), g, 0.0) for i in range(len(conds))]
        return (None, cts, A("where", asarray_like(which == len(conds), g.device), g, 0.0))
    return vjp


defvjp_all("select", _select_vjp)
defvjp("full_like", None, lambda ans, a, fill_value, *k, **kw: lambda g: g)
defvjp("full", None, lambda ans, shape, fill_value, *k, **kw: lambda g: g)
defvjp("bincount", None, lambda ans, x, weights=None, minlength=0: lambda g: A("take", g, _key_plain(x)))


# ---------------------------------------------------------------- products
def _mT(x):
    return A("swapaxes", x, -1, -2)


def _matmul_vjp_a(ans, a, b, **k):
    b = _arr(b, a)

    def vjp(g):
        if b.ndim == 1:
            return _mul(A("expand_dims", g, -1), b)
        if a.ndim == 1:
            return A("squeeze", A("matmul", A("expand_dims", g, -2), _mT(b)), -2)
        if a.ndim == 2 and b.ndim == 2:
            return A("_matmul_t", g, b, False, True)
        return A("matmul", g, _mT(b))
    return vjp


def _matmul_vjp_b(ans, a, b, **k):
    a = _arr(a, b)

    def vjp(g):
        if a.ndim == 1:
            gg = g if b.ndim == 1 else A("expand_dims", g, -2)
            return _mul(A("expand_dims", a, -1), gg) if b.ndim > 1 else _mul(a, g)
        if b.ndim == 1:
            return A("squeeze", A("matmul", _mT(a), A("expand_dims", g, -1)), -1)
        if a.ndim == 2 and b.ndim == 2:
            return A("_matmul_t", a, g, True, False)
        return A("matmul", _mT(a), g)
    return vjp


defvjp("matmul", _matmul_vjp_a, _matmul_vjp_b)
# _matmul_t(a, b, ta, tb) = op(a) @ op(b), op a transpose where its flag says: with G = g, the cotangent of op(a) is
# G @ op(b)^T and that of op(b) is op(a)^T @ G, each transposed back where its flag is set
def _matmul_t_vjp_a(ans, a, b, ta, tb):
    return lambda g: A("_matmul_t", b, g, tb, True) if ta else A("_matmul_t", g, b, False, not tb)


def _matmul_t_vjp_b(ans, a, b, ta, tb):
    return lambda g: A("_matmul_t", g, a, True, ta) if tb else A("_matmul_t", a, g, not ta, False)


defvjp("_matmul_t", _matmul_t_vjp_a, _matmul_t_vjp_b, None, None)
VJPS["linalg.matmul"] = VJPS["matmul"]


def _dot_vjp(i):
    def maker(ans, a, b, out=None):
        a, b = (a, _arr(b, a)) if i == 0 else (_arr(a, b), b)
        if a.ndim == 0 or b.ndim == 0:
            other = b if i == 0 else a
            return lambda g: _mul(g, other)
        if a.ndim <= 2 and b.ndim <= 2:
            return (_matmul_vjp_a if i == 0 else _matmul_vjp_b)(ans, a, b)
        # Note: N-d dot contracts a's last axis with b's second-to-last (its only one when b is 1-d): as tensordot
        return lambda g: _tensordot_grad(i, g, a, b, ([a.ndim - 1], [max(b.ndim - 2, 0)]))
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
        a, b = (a, _arr(b, a)) if i == 0 else (_arr(a, b), b)
        return lambda g: _tensordot_grad(i, g, a, b, _td_axes(axes, a, b))
    return maker


defvjp("tensordot", _tensordot_maker(0), _tensordot_maker(1))
VJPS["linalg.tensordot"] = VJPS["tensordot"]


def _vecdot_maker(i):
    def maker(ans, x1, x2, *a, axis=-1, **k):
        x1, x2 = (x1, _arr(x2, x1)) if i == 0 else (_arr(x1, x2), x2)
        ax = axis if axis < 0 else axis - max(x1.ndim, x2.ndim)

        def vjp(g):  # vecdot conjugates x1: sum(conj(x1) x2); so x1's cotangent is conj(g x2)
            ge = A("expand_dims", g, ax)
            return _cj(_mul(ge, x2)) if i == 0 else _mul(ge, _cj(x1))
        return vjp
    return maker


defvjp("vecdot", _vecdot_maker(0), _vecdot_maker(1))
VJPS["linalg.vecdot"] = VJPS["vecdot"]
def _inner_maker(i):
    def maker(ans, a, b):
        a, b = (a, _arr(b, a)) if i == 0 else (_arr(a, b), b)
        if a.ndim == 0 or b.ndim == 0:
            other = b if i == 0 else a
            return lambda g: _mul(g, other)
        return lambda g: _tensordot_grad(i, g, a, b, ([a.ndim - 1], [b.ndim - 1]))
    return maker


defvjp("inner", _inner_maker(0), _inner_maker(1))
# vdot(a, b) = sum(conj(a) b) over the flattened arrays
defvjp("vdot", lambda ans, a, b: lambda g: A("reshape", _cj(_mul(g, _arr(b, a))), a.shape),
       lambda ans, a, b: lambda g: A("reshape", _mul(g, _cj(_arr(a, b))), b.shape))
defvjp("outer", lambda ans, a, b, out=None: lambda g: A("reshape", A("matmul", g, A("ravel", _arr(b, a))), _shape(a)),
       lambda ans, a, b, out=None: lambda g: A("reshape", A("matmul", A("ravel", _arr(a, b)), g), _shape(b)))
VJPS["linalg.outer"] = VJPS["outer"]


def _cross_parts(a, b, axisa, axisb, axisc, axis):
    """a and b with their vector axes last and padded to 3 components, how many each had, and the result's axis."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a3, b3 = A("moveaxis", a, axisa, -1), A("moveaxis", b, axisb, -1)
    na, nb = a3.shape[-1], b3.shape[-1]
    return _to3(a3, na), _to3(b3, nb), na, nb, axisc


def _to3(v, n):
    return v if n == 3 else A("pad", v, [(0, 0)] * (v.ndim - 1) + [(0, 1)])


def _cross_maker(i):
    def maker(ans, a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
        a, b = (a, _arr(b, a)) if i == 0 else (_arr(a, b), b)
        a3, b3, na, nb, axisc_ = _cross_parts(a, b, axisa, axisb, axisc, axis)
        x = (a, b)[i]
        ax_in = ((axisa, axisb)[i] if axis is None else axis) % x.ndim - x.ndim  # from the right: g may broadcast

        def vjp(g):
            if na == 2 and nb == 2:  # the result is the z component alone
                z = A("zeros_like", g)
                g3 = A("stack", [z, z, g], -1)
            else:
                g3 = A("moveaxis", g, axisc_, -1)
            ct = A("cross", b3, g3) if i == 0 else A("cross", g3, a3)  # (a x b) . g = a . (b x g) = b . (g x a)
            n = (na, nb)[i]
            if n == 2:
                ct = A("getitem", ct, (Ellipsis, slice(0, 2)))
            return A("moveaxis", ct, -1, ax_in)
        return vjp
    return maker


defvjp("cross", _cross_maker(0), _cross_maker(1))
defvjp("linalg.cross", lambda ans, a, b, axis=-1: _cross_maker(0)(ans, a, b, axis=axis),
       lambda ans, a, b, axis=-1: _cross_maker(1)(ans, a, b, axis=axis))


def _kron_maker(i):
    def maker(ans, a, b):
        a, b = (a, _arr(b, a)) if i == 0 else (_arr(a, b), b)
        nd = max(a.ndim, b.ndim)
        sa, sb = (1,) * (nd - a.ndim) + a.shape, (1,) * (nd - b.ndim) + b.shape
        la, lb = _LETTERS[:nd], _LETTERS[nd:2 * nd]

        def vjp(g):  # kron's result, split as (a0, b0, a1, b1, ...), is the outer product of a and b
            gs = A("reshape", g, tuple(v for pair in zip(sa, sb, strict=True) for v in pair))
            lg = "".join(p + q for p, q in zip(la, lb, strict=True))
            if i == 0:
                return A("reshape", A("einsum", f"{lg},{lb}->{la}", gs, A("reshape", b, sb)), a.shape)
            return A("reshape", A("einsum", f"{lg},{la}->{lb}", gs, A("reshape", a, sa)), b.shape)
        return vjp
    return maker


defvjp("kron", _kron_maker(0), _kron_maker(1))


def _sublist_letters(sub):
    """einsum's sublist form as subscripts: NumPy's labels, 0-25 -> A-Z and 26-51 -> a-z, Ellipsis -> '...'."""
    return "".join("..." if v is Ellipsis else chr(ord("A") + v) if v < 26 else chr(ord("a") + v - 26) for v in sub)


def einsum_spec(operands):
    """(subscripts of each operand, output subscripts, positions of the operands in the call), with every ellipsis
    spelt out in letters, from either form of an einsum call."""
    if isinstance(operands[0], str):
        spec = operands[0].replace(" ", "")
        arrays, positions = operands[1:], list(range(1, len(operands)))
        lhs, arrow, out = spec.partition("->")
        ins, explicit = lhs.split(","), bool(arrow)
    else:
        n = len(operands) // 2
        arrays, positions = [operands[2 * j] for j in range(n)], [2 * j for j in range(n)]
        ins = [_sublist_letters(operands[2 * j + 1]) for j in range(n)]
        explicit = len(operands) % 2 == 1
        out = _sublist_letters(operands[-1]) if explicit else ""
    ndims = [len(_shape(a)) for a in arrays]
    used = set("".join(ins) + out)
    free = [c for c in _LETTERS if c not in used]
    n_ell = max([nd - (len(sub) - 3) for sub, nd in zip(ins, ndims, strict=True) if "..." in sub], default=0)
    ell = "".join(free[:n_ell])
    ins = [sub.replace("...", ell[n_ell - (nd - (len(sub) - 3)):]) if "..." in sub else sub
           for sub, nd in zip(ins, ndims, strict=True)]
    if explicit:
        out = out.replace("...", ell)
    else:
        letters = "".join(ins)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c not in ell))
    return ins, out, positions


def _einsum_vjp(ans, *operands, **k):
    ins, out, positions = einsum_spec(operands)
    arrays = [operands[p] for p in positions]
    used = set("".join(ins) + out)

    def ct_of(i, g):
        """One einsum: g and the other operands, an identity for each repeated subscript of operand i (the
        generalized diagonal) and a ones vector for each subscript only operand i has (summed away)."""
        sub, shape = ins[i], _shape(arrays[i])
        like = g
        free = iter(c for c in _LETTERS if c not in used)
        terms, args, target, seen = [out], [g], [], set()
        for j, other in enumerate(arrays):
            if j != i:
                terms.append(ins[j])
                args.append(_arr(other, like))
        avail = set(out).union(*[set(ins[j]) for j in range(len(arrays)) if j != i])
        for c, n in zip(sub, shape, strict=True):
            if c in seen:
                f = next(free)
                terms.append(c + f)
                args.append(asarray_like(numpy.eye(n, dtype=like.dtype), like.device))
                target.append(f)
                continue
            seen.add(c)
            target.append(c)
            if c not in avail:
                terms.append(c)
                args.append(asarray_like(numpy.ones(n, dtype=like.dtype), like.device))
                avail.add(c)
        return A("einsum", ",".join(terms) + "->" + "".join(target), *args)

    def vjp(g):
        cts = [None] * len(operands)
        for i, p in enumerate(positions):
            cts[p] = ct_of(i, g)
        return tuple(cts)
    return vjp


defvjp_all("einsum", _einsum_vjp)


# ---------------------------------------------------------------- linear algebra
# Note: the holomorphic ones (inv, solve, det, matrix_power) are J^T g as for real input.  The others are derived
# in the "natural" convention of the literature (gradient G = dL/dRe + i dL/dIm, conjugate transposes), and taken
# into ours by c = conj(N(conj(g))): _natural.  For real input both are the same formula.
def _eye(n, like):
    """An n x n identity with like's dtype, on like's device (a constant: VJPs must not mix devices)."""
    return asarray_like(numpy.eye(n, dtype=like.dtype), like.device)


def _eye_like(a):
    return _eye(a.shape[-1], a)


def _mH(x):
    return _cj(_mT(x))


def _natural(vjp):
    """A VJP written in the natural convention, as one in ours: g -> conj(vjp(conj(g)))."""
    def ours(g):
        if type(g) is tuple or hasattr(g, "_fields"):
            return tuple(_cj(c) for c in vjp(tuple(_cj(v) for v in g)))
        return _cj(vjp(_cj(g)))
    return ours


def _one_triangle(gh, lower=True):
    """The cotangent of A for an op that reads a Hermitian matrix from one triangle of A (eigh, cholesky): the
    gradient gh with respect to that Hermitian matrix, folded onto the triangle read (natural convention; the
    diagonal's imaginary part is ignored by LAPACK, so its gradient is real)."""
    both = A("add", gh, _mH(gh))
    off = A("tril", both, -1) if lower else A("triu", both, 1)
    diag = A("real", A("diagonal", gh, 0, -2, -1)) if _complex(gh) else A("diagonal", gh, 0, -2, -1)
    return A("add", off, _mul(A("expand_dims", diag, -1), _eye(gh.shape[-1], gh)))


defvjp("linalg.inv", lambda ans, a: lambda g: A("negative", A("matmul", A("matmul", _mT(ans), g), _mT(ans))))
_NUMPY1 = numpy.lib.NumpyVersion(numpy.__version__) < "2.0.0"


def _solve_maker(i):
    def maker(ans, a, b):
        a, b = (a, _arr(b, a)) if i == 0 else (_arr(a, b), b)
        # NumPy 1.x: b is a stack of vectors when it has one axis fewer than a; NumPy 2: only when it is 1-d
        vec = b.ndim == 1 or (_NUMPY1 and b.ndim == a.ndim - 1)

        def vjp(g):
            gb = A("linalg.solve", _mT(a), g)
            if i == 1:
                return gb
            if vec:
                return A("negative", _mul(A("expand_dims", gb, -1), A("expand_dims", ans, -2)))
            return A("negative", A("matmul", gb, _mT(ans)))
        return vjp
    return maker


def _mat(v):
    """Scalars (one per matrix of a batch) as (..., 1, 1), to scale matrices."""
    return A("expand_dims", A("expand_dims", v, -1), -1)


defvjp("linalg.solve", _solve_maker(0), _solve_maker(1))
defvjp("linalg.det", lambda ans, a: lambda g: _mul(_mat(_mul(g, ans)), _mT(A("linalg.inv", a))))


def _slogdet_vjp(ans, a):
    def vjp(g):  # t = tr(A^-1 dA): d logabsdet = Re t, d sign = sign i Im t; so c = (g1 + i Im(g0 sign)) A^-T
        c = g[1]
        if _complex(a):
            c = A("add", c, _mul(A("imag", _mul(g[0], ans[0])), 1j))
        return (_mul(_mat(c), _mT(A("linalg.inv", a))),)
    return vjp


defvjp_all("linalg.slogdet", _slogdet_vjp)


def _cholesky_vjp(ans, a, *k, upper=False, **kw):
    L = _mH(ans) if upper else ans

    def natural(gl):  # Murray (2016): S = L^-H phi(L^H gL) L^-1, phi: lower triangle with half its diagonal
        if upper:
            gl = _mH(gl)
        n = L.shape[-1]
        phi = A("tril", A("matmul", _mH(L), gl))
        phi = A("subtract", phi, _mul(A("expand_dims", A("diagonal", phi, 0, -2, -1), -1), _eye(n, phi), 0.5))
        s = A("linalg.solve", _mH(L), _mH(A("linalg.solve", _mH(L), _mH(phi))))
        return _one_triangle(_mul(A("add", s, _mH(s)), 0.5), lower=not upper)
    return _natural(natural)


defvjp("linalg.cholesky", _cholesky_vjp)


def _gauge_check(op, d, dtype):
    """A complex eigen/singular vector has a free phase; a function that depends on it has no gradient."""
    im = numpy.abs(_key_plain(A("imag", d)))
    tol = 100 * d.shape[-1] * numpy.finfo(dtype).eps * (1.0 + numpy.abs(_key_plain(d)).max(initial=0.0))
    if im.size and im.max() > tol:
        raise TypeError(f"{op}: the function depends on the phases of complex eigen/singular vectors, which the "
                        "decomposition leaves free: its gradient is undefined")


def _eigh_vjp(ans, a, UPLO="L", **kw):
    w, v = ans[0], ans[1]

    def natural(g):
        gw, gv = g[0], g[1]
        eye = _eye(w.shape[-1], v)
        wr = A("expand_dims", w, -2)
        f = _div(A("subtract", 1.0, eye), A("add", A("subtract", wr, _mT(wr)), eye))  # 1/(w_j - w_i), 0 on diag
        p = A("matmul", _mH(v), gv)
        if _complex(v):
            _gauge_check("linalg.eigh", A("diagonal", p, 0, -2, -1), v.dtype)
        s = A("add", _mul(A("expand_dims", gw, -2), eye), _mul(f, p))
        return (_one_triangle(A("matmul", A("matmul", v, s), _mH(v)), UPLO == "L"),)
    return _natural(natural)


def _eigvalsh_vjp(ans, a, UPLO="L", **kw):
    w, v = A("linalg.eigh", a, UPLO)
    return _natural(lambda g: _one_triangle(A("matmul", _mul(v, A("expand_dims", g, -2)), _mH(v)), UPLO == "L"))


defvjp_all("linalg.eigh", _eigh_vjp)
defvjp("linalg.eigvalsh", _eigvalsh_vjp)


def _svd_natural(a, u, s, vh, gu, gs, gvh, hermitian):
    """The SVD's VJP in the natural convention, reduced matrices (Townsend 2016, with conjugate transposes and the
    imaginary diagonal term of the complex case)."""
    k = s.shape[-1]
    eye = _eye(k, s)
    sr = A("expand_dims", _sq(s), -2)
    f = _div(A("subtract", 1.0, eye), A("add", A("subtract", sr, _mT(sr)), eye))  # 1/(s_j^2 - s_i^2)
    v, gv = _mH(vh), _mH(gvh)
    m, n = a.shape[-2], a.shape[-1]
    s_mat = _mul(A("expand_dims", s, -2), eye)
    s_inv = _mul(A("expand_dims", _div(1.0, s), -2), eye)
    j, kk = A("matmul", _mH(u), gu), A("matmul", _mH(v), gv)
    x = A("add", A("matmul", _mul(f, A("subtract", j, _mH(j))), s_mat),
          A("matmul", s_mat, _mul(f, A("subtract", kk, _mH(kk)))))
    diag = gs
    if _complex(a):
        dj, dk = A("diagonal", j, 0, -2, -1), A("diagonal", kk, 0, -2, -1)
        _gauge_check("linalg.svd", A("add", dj, dk), a.dtype)
        diag = A("add", gs, _mul(_div(A("imag", dj), s), 1j))
    x = A("add", x, _mul(A("expand_dims", diag, -2), eye))
    out = A("matmul", A("matmul", u, x), vh)
    if m > k:
        proj = A("subtract", _eye(m, u), A("matmul", u, _mH(u)))
        out = A("add", out, A("matmul", A("matmul", A("matmul", proj, gu), s_inv), vh))
    if n > k:
        proj = A("subtract", _eye(n, v), A("matmul", v, _mH(v)))
        out = A("add", out, A("matmul", A("matmul", u, s_inv), A("matmul", _mH(gv), proj)))
    return _one_triangle(out) if hermitian else out


def _svd_vjp(ans, a, full_matrices=True, compute_uv=True, hermitian=False):
    if not compute_uv:
        return lambda g: (_svdvals_grad(a, g, hermitian),)
    if full_matrices and a.shape[-1] != a.shape[-2]:
        raise TypeError("linalg.svd: gradients need full_matrices=False for a non-square matrix (the extra "
                        "singular vectors are not unique)")
    u, s, vh = ans[0], ans[1], ans[2]
    return _natural(lambda g: (_svd_natural(a, u, s, vh, g[0], g[1], g[2], hermitian),))


def _svdvals_grad(a, g, hermitian=False):
    u, s, vh = A("linalg.svd", a, False, True, hermitian)
    out = _cj(A("matmul", _mul(u, A("expand_dims", g, -2)), vh))  # natural U diag(g) V^H, in ours
    return _natural(_one_triangle)(out) if hermitian else out


def _eigvals_ct(a, g):
    """eigvals is holomorphic in A (distinct eigenvalues): d w = diag(V^-1 dA V), so A's cotangent is
    (V diag(g) V^-1)^T; for real A its real part (tape.fit)."""
    v = A("linalg.eig", a)[1]
    return _mT(A("matmul", _mul(v, A("expand_dims", g, -2)), A("linalg.inv", v)))


def _eig_vjp(ans, a):
    def vjp(g):
        gv = g[1]
        if bool(A("any", A("not_equal", gv, 0.0))):
            raise TypeError("linalg.eig: gradients through the eigenvectors are not implemented (their scale and "
                            "phase are LAPACK's conventions); the eigenvalues have gradients (linalg.eigvals)")
        return (_eigvals_ct(a, g[0]),)
    return vjp


defvjp_all("linalg.eig", _eig_vjp)
defvjp("linalg.eigvals", lambda ans, a: lambda g: _eigvals_ct(a, g))
defvjp_all("linalg.svd", _svd_vjp)
defvjp("linalg.svdvals", lambda ans, a: lambda g: _svdvals_grad(a, g))


# ---- norms
def _safe(v):
    return A("where", A("equal", v, 0.0), 1.0, v)


def _vector_norm_ct(g, ans, x, axis, keepdims, ord):
    """Cotangent of a vector norm of x over axis (an int, a tuple, or None for all); 0 where the 2-norm is 0."""
    ge, ae = _expand(g, x, axis, keepdims), _expand(ans, x, axis, keepdims)
    if ord is None or ord == 2:
        return _div(_mul(ge, _cj(x)), _safe(ae))
    if ord == 1:
        return _mul(ge, _unit(x))
    if ord == 0:
        return A("zeros_like", x)
    if ord in (math.inf, -math.inf):  # shared between the elements that attain the extremum
        hit = A("astype", A("equal", A("abs", x), ae), ae.dtype)
        n = A("sum", hit, _axes(axis, x.ndim), None, None, True)
        return _div(_mul(ge, hit, _unit(x)), _safe(n))
    p = float(ord)
    return _mul(ge, _unit(x), _div(A("pow", A("abs", x), p - 1.0), A("pow", _safe(ae), p - 1.0)))


def _matrix_norm_ct(g, ans, x, axes, keepdims, ord):
    """Cotangent of a matrix norm of x over the two axes `axes`."""
    r, c = (a % x.ndim for a in axes)
    if ord in (None, "fro"):
        return _vector_norm_ct(g, ans, x, (r, c), keepdims, 2)
    ge = _expand(g, x, (r, c), keepdims)
    if ord in ("nuc", 2, -2):  # the singular values: natural gradient U V^H, u1 v1^H or un vn^H
        xm = A("moveaxis", x, (r, c), (-2, -1))
        u, s, vh = A("linalg.svd", xm, False)
        if ord != "nuc":
            pick = slice(0, 1) if ord == 2 else slice(s.shape[-1] - 1, s.shape[-1])
            u, vh = A("getitem", u, (Ellipsis, slice(None), pick)), A("getitem", vh, (Ellipsis, pick, slice(None)))
        return _mul(ge, A("moveaxis", _cj(A("matmul", u, vh)), (-2, -1), (r, c)))
    if ord in (1, -1, math.inf, -math.inf):  # the largest/smallest column (1) or row (inf) sum of |x|
        along = r if ord in (1, -1) else c
        sums = A("sum", A("abs", x), along, None, None, True)
        hit = A("astype", A("equal", sums, ans if keepdims else A("expand_dims", ans, (r, c))), sums.dtype)
        n = A("sum", hit, (r, c), None, None, True)  # how many columns (rows) attain it
        return _div(_mul(ge, _unit(x), hit), _safe(n))
    raise TypeError(f"linalg.norm: no gradient for the matrix norm ord={ord!r}")


def _norm_vjp(ans, x, ord=None, axis=None, keepdims=False):
    if axis is None and ord is None:
        return lambda g: _vector_norm_ct(g, ans, x, None, keepdims, 2)
    if axis is None:
        axis = tuple(range(x.ndim))
    axes = (axis,) if not isinstance(axis, (tuple, list)) else tuple(axis)
    if len(axes) == 2:
        return lambda g: _matrix_norm_ct(g, ans, x, axes, keepdims, ord)
    return lambda g: _vector_norm_ct(g, ans, x, axes, keepdims, ord)


defvjp("linalg.norm", _norm_vjp)
defvjp("linalg.vector_norm", lambda ans, x, axis=None, keepdims=False, ord=2: lambda g: _vector_norm_ct(
    g, ans, x, axis, keepdims, ord))
defvjp("linalg.matrix_norm", lambda ans, x, keepdims=False, ord="fro": lambda g: _matrix_norm_ct(
    g, ans, x, (-2, -1), keepdims, ord))


def _lower_hermitian(a):
    """The Hermitian matrix that LAPACK's eigh reads from a's lower triangle (diagonal's imaginary part dropped)."""
    low = A("tril", a, -1)
    diag = A("diagonal", a, 0, -2, -1)
    diag = A("real", diag) if _complex(a) else diag
    return A("add", A("add", low, _mH(low)), _mul(A("expand_dims", diag, -1), _eye(a.shape[-1], a)))


def _pinv_vjp(ans, a, rcond=None, hermitian=False, **kw):
    eff = _lower_hermitian(a) if hermitian else a  # hermitian=True: pinv of what eigh reads

    def natural(g):  # Golub and Pereyra (1973)
        p = ans
        m, n = eff.shape[-2], eff.shape[-1]
        left = A("subtract", _eye(m, eff), A("matmul", eff, p))    # I - A A+
        right = A("subtract", _eye(n, eff), A("matmul", p, eff))   # I - A+ A
        t1 = A("negative", A("matmul", A("matmul", _mH(p), g), _mH(p)))
        t2 = A("matmul", A("matmul", left, _mH(g)), A("matmul", p, _mH(p)))
        t3 = A("matmul", A("matmul", A("matmul", _mH(p), p), _mH(g)), right)
        out = A("add", A("add", t1, t2), t3)
        return _one_triangle(out) if hermitian else out
    return _natural(natural)


def _qr_vjp(ans, a, mode="reduced"):
    if mode != "reduced" or a.shape[-2] < a.shape[-1]:
        raise TypeError("linalg.qr: gradients are implemented for mode='reduced' with rows >= columns")
    q, r = ans[0], ans[1]

    def natural(g):
        gq, gr = g[0], g[1]
        m = A("subtract", A("matmul", r, _mH(gr)), A("matmul", _mH(gq), q))
        low = A("tril", m, -1)
        diag = A("diagonal", m, 0, -2, -1)
        if _complex(m):  # R's diagonal is real: only the real part of m's diagonal counts
            diag = A("real", diag)
        sym = A("add", A("add", low, _mH(low)), _mul(A("expand_dims", diag, -1), _eye(m.shape[-1], m)))
        b = A("add", gq, A("matmul", q, sym))
        return (_mH(A("linalg.solve", r, _mH(b))),)
    return _natural(natural)


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
    if "vecmat" in KERNELS:  # vecmat(v, a) = conj(v) @ a
        defvjp("vecmat", lambda ans, v, a, **k: lambda g: _cj(A("squeeze", A("matmul", a, A("expand_dims", g, -1)),
                                                                 -1)),
               lambda ans, v, a, **k: lambda g: _mul(A("expand_dims", _cj(v), -1), A("expand_dims", g, -2)))


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
    def maker(ans, x, axis=None, dtype=None, out=None, keepdims=False, *a, where=None, **k):
        if len(a) > 1:  # nansum(a, axis, dtype, out, keepdims, initial, where)
            where = a[1]

        def vjp(g):
            keep = A("logical_not", A("isnan", x))
            mask = _mask(x, where)
            if mask is not None:
                keep = A("logical_and", keep, A("astype", mask, bool))
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
