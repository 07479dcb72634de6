"""What the backends' guards share: reading a call's arguments the way NumPy binds them, and NumPy's dtype rules
for an array next to a Python scalar.  No library is imported here.

A guard sees a call before any conversion, as (dtypes of the array arguments, the positional arguments, the
keywords); arrays are MinArrays there.  It admits only calls whose result its backend computes exactly as NumPy
does (the parity tests in tests/ops prove it).
"""
import builtins
import math

import numpy

from .._dtypes import F32_VALUE_CAST_LIMIT
from .._native import speedups as _speedups
from . import Decline

D = numpy.dtype
BOOL = D("bool")
F16, F32, F64 = D("float16"), D("float32"), D("float64")
I8, I16, I32, I64, U8 = D("int8"), D("int16"), D("int32"), D("int64"), D("uint8")
C64, C128 = D("complex64"), D("complex128")
FLOATS = frozenset((F32, F64))
SCALARS = (builtins.int, builtins.float)
INT = builtins.int


ARRAY = None  # MinArray, set by _array (ops never import it)
BY_SIGNATURE = set()  # the guards by_signature marked (the C engine's install() takes the set)


def by_signature(guard):
    """Mark `guard` as reading a call only through its signature: which arguments are arrays, the arrays' dtypes,
    shapes and device, and the other arguments' types and values; never an array's contents, strides or traced
    state, nor a setting.  The C engine (_speedups.c, guard_admits) then remembers its verdict per signature."""
    BY_SIGNATURE.add(guard)
    return guard


def is_array(a):
    return type(a) is ARRAY


def bind(args, kw, names):
    """NumPy's binding of a call f(x, *args, **kw) with parameters `names` after x, as a dict (absent: not given),
    or None when the call passes more positional arguments or keywords it does not know."""
    if len(args) - 1 > len(names) or not args:
        return None
    out = dict(zip(names, args[1:], strict=False))
    for k, v in kw.items():
        if k not in names or k in out:
            return None
        out[k] = v
    return out


def axes(axis, ndim):
    """The axes an `axis` argument names, normalised and in range, or None where NumPy would raise or the form is
    unusual (then the guard declines and NumPy answers)."""
    if axis is None:
        return tuple(range(ndim))
    items = axis if type(axis) is tuple else (axis,)
    out = []
    for a in items:
        if not axis_ok(a, ndim):
            return None
        out.append(a % ndim)
    return tuple(out) if len(set(out)) == len(out) else None


def broadcasts_to(shape, target):
    """Does NumPy broadcast an array of `shape` to the tuple `target` (numpy.broadcast_shapes(shape, target) ==
    target, without its temporary arrays)?"""
    n = len(target) - len(shape)
    return n >= 0 and all(a == b or a == 1 for a, b in zip(shape, target[n:], strict=True))


def axis_ok(a, ndim):
    """Is `a` one axis as axes() takes it (a Python int in range)?  None (absent) is not one."""
    return type(a) is INT and -ndim <= a < ndim


def scalar_keeps(s, a, dt):
    """Does NumPy give `dt` (the array's dtype) for array `a` with Python scalar `s`, on NumPy 1.26 (value-based)
    and NumPy 2 (NEP 50) alike?  Booleans are left out: NumPy treats them as their own kind."""
    t = type(s)
    if t not in SCALARS or a.ndim == 0:
        return False  # Note: NumPy 1.26 promotes a 0-d array with a Python scalar by value
    if dt.kind == "f":
        if dt.itemsize == 2 or (t is INT and not -(2 ** 63) <= s < 2 ** 63):
            return False
        if dt.itemsize == 4 and abs(s) >= F32_VALUE_CAST_LIMIT:
            return False
        # Note: NumPy 1.26 gives float64 for a float32 array and an int beyond 16 bits
        return t is builtins.float or dt.itemsize == 8 or -(2 ** 15) <= s < 2 ** 16
    if dt.kind in "iu" and t is INT:
        info = numpy.iinfo(dt)
        return info.min <= s <= info.max and -(2 ** 31) <= s < 2 ** 31
    return False


def zero_d_like(s, dt):
    """Is `s` a 0-d ndarray or a NumPy scalar of dtype dt (the operators pass NEP 50 scalars so)?"""
    return (type(s) is numpy.ndarray and s.ndim == 0 or isinstance(s, numpy.generic)) and s.dtype == dt


def binary(dtypes, scalars=True):
    """Two operands of one dtype in `dtypes`: two arrays, or an array and a scalar that keeps the array's dtype."""
    def guard(dts, args, kw):
        if kw or len(args) != 2 or not dts or dts[0] not in dtypes:
            return False
        a0, a1 = type(args[0]) is ARRAY, type(args[1]) is ARRAY
        if len(dts) != a0 + a1:  # arrays inside a list operand: NumPy converts
            return False
        if len(dts) == 2:
            return dts[1] == dts[0]
        if not scalars:
            return False
        a, s = (args[0], args[1]) if a0 else (args[1], args[0])
        if zero_d_like(s, dts[0]):
            return a.ndim > 0 or type(s) is not numpy.ndarray
        return scalar_keeps(s, a, dts[0])
    return by_signature(guard)


def unary(dtypes):
    def guard(dts, args, kw):
        return len(args) == 1 and not kw and len(dts) == 1 and dts[0] in dtypes and is_array(args[0])
    return by_signature(guard)


REDUCE = ("axis", "dtype", "out", "keepdims")   # sum, mean, prod: NumPy's positional order
EXTREME = ("axis", "out", "keepdims")           # max, min


def reduction(dtypes, names=REDUCE, nonempty=False):
    """A reduction f(x, axis, ...) given with no dtype or out, keepdims a bool; `names`: its positional order."""
    def guard(dts, args, kw):
        if len(dts) != 1 or dts[0] not in dtypes or type(args[0]) is not ARRAY:
            return False
        if len(args) == 2 and not kw:  # f(x, axis): the backward pass's own reductions
            axis = args[1]
        else:
            p = bind(args, kw, names)
            if p is None or p.get("dtype") is not None or p.get("out") is not None:
                return False
            if type(p.get("keepdims", False)) is not builtins.bool:
                return False
            axis = p.get("axis")
        x = args[0]
        # Note: axis=() reduces nothing in NumPy, everything in torch and MXNet: NumPy answers it
        return not (axes(axis, x.ndim) is None or axis == () or (nonempty and x.size == 0))
    return by_signature(guard)


def reduce_args(args, kw, names=REDUCE):
    """(x, axis, keepdims) of an admitted reduction call."""
    p = bind(args, kw, names)
    return args[0], p.get("axis"), p.get("keepdims", False)


def checked_on_host(check):
    """kernel -> the kernel, raising Decline where check(its result) is false (ON_HOST's checks)."""
    def wrap(kernel):
        def run(*args, **kw):
            r = kernel(*args, **kw)
            if not check(r):
                raise Decline
            return r
        return run
    return wrap


_all_finite = getattr(_speedups, "all_finite", None)


def _finite(r):
    """Is every value of a float result finite?  In C, one pass over the values' exponent bits (_speedups.all_finite);
    else one BLAS pass, without isfinite's boolean array: the sum of the squares is finite when every value is, and
    only where it is not (a non-finite value, or values beyond ~1e19 in float32) does isfinite look."""
    ok = _all_finite(r) if _all_finite is not None else None
    if ok is not None:
        return ok
    v = numpy.ravel(r)
    return math.isfinite(numpy.dot(v, v)) or bool(numpy.isfinite(v).all())


def _no_zeros(r):
    return (r != 0).all()


# op -> the check of a borrowed kernel's result on the cpu device: where it fails (the result could differ from NumPy's
# own answer), the kernel declines and NumPy recomputes (reading host memory waits for no device; on accelerators
# these results stand, as the README's limits say)
ON_HOST = {
    # Note: OpenBLAS, which NumPy calls, can give 0 for 0 * inf inside a matrix product where others give NaN
    "matmul": _finite, "dot": _finite, "_matmul_t": _finite,
    # Note: which of +0.0 and -0.0 NumPy's max/min returns when both are extreme depends on its loop and layout
    "max": _no_zeros, "min": _no_zeros, "max_pool2d": _no_zeros,
}


@by_signature
def select(dts, args, kw):
    """_select(g, x, y, wins) of autodiff/vjps.py (the maximum/minimum VJP): g an array, x and y arrays or Python
    numbers, all of one float dtype, wins numpy.greater or numpy.less."""
    if kw or len(args) != 4 or args[3] not in (numpy.greater, numpy.less) or not is_array(args[0]):
        return False
    if not dts or dts[0] not in FLOATS or dts.count(dts[0]) != len(dts):
        return False
    x, y = type(args[1]), type(args[2])
    return ((x is ARRAY or x in SCALARS) and (y is ARRAY or y in SCALARS)
            and len(dts) == 1 + (x is ARRAY) + (y is ARRAY))
