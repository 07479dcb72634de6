"""{op name: MXNet kernel + guard}.  Imported only once MXNet is (see ops/_mxnet.py).

A kernel takes MXNet arrays (and the op's NumPy keywords) and returns an MXNet array.  Its guard sees the call
before any conversion, as (dtypes of the array arguments, the positional arguments, the keywords), and admits only
what a parity test (tests/ops/test_mxnet_parity.py) proves equal to NumPy: MXNet 1.9.1 truncates sin(int32),
accumulates int32 sums in int32, has no int16/uint16+/complex, and lacks many keywords.  Outside a guard, NumPy runs.
"""
import builtins

import numpy

from .._dtypes import F32_VALUE_CAST_LIMIT
from . import _mxnet

F32, F64 = numpy.dtype("float32"), numpy.dtype("float64")
I32, I64 = numpy.dtype("int32"), numpy.dtype("int64")
FLOATS = frozenset((F32, F64))
EXACT = frozenset((F32, F64, I32, I64))  # dtypes where add/sub/mul/compare are exact in MXNet

UNARY_FLOAT = ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt", "log1p", "expm1", "log2",
               "log10", "abs", "negative", "floor", "ceil", "trunc", "square", "acos", "asin", "atan",
               "asinh", "acosh", "atanh", "isnan", "isinf", "isfinite", "cbrt", "reciprocal", "fix")
# Note: left to NumPy: rint (MXNet 1.9.1 gives rint(1.5) = 1), degrees/radians (a float32 pi: wrong in float64)
MX_NAME = {"acos": "arccos", "asin": "arcsin", "atan": "arctan", "asinh": "arcsinh", "acosh": "arccosh",
           "atanh": "arctanh", "pow": "power", "atan2": "arctan2", "concat": "concatenate"}
# Note: copysign and sign are left to NumPy: MXNet 1.9.1 ignores the sign of -0.0 and gives sign(nan) = 0
BINARY_FLOAT = ("divide", "maximum", "minimum", "pow", "hypot", "atan2")
BINARY_EXACT = ("add", "subtract", "multiply", "equal", "not_equal", "less", "less_equal", "greater",
                "greater_equal")
_SCALARS = (builtins.int, builtins.float)
_F32_MAX = F32_VALUE_CAST_LIMIT


def unary_guard(dts, args, kw):
    return len(args) == 1 and not kw and len(dts) == 1 and dts[0] in FLOATS


def _binary(allowed):
    def guard(dts, args, kw):
        if kw or len(args) != 2 or not dts:
            return False
        dt = dts[0]
        if dt not in allowed or (len(dts) == 2 and dts[1] != dt):
            return False
        if len(dts) != sum(_is_array(a) for a in args):  # arrays inside a list operand: NumPy's to convert
            return False
        if len(dts) == 1:  # an array and a Python scalar: NumPy keeps the array's dtype only for these
            a, s = args if _is_array(args[0]) else args[::-1]
            if type(s) is numpy.ndarray and s.ndim == 0 and s.dtype == dt and _is_array(a) and a.ndim:
                return True  # a 0-d ndarray of the array's dtype (the operators' NEP 50 scalars)
            s, a = (args[1], args[0]) if isinstance(args[1], _SCALARS) else args
            if type(s) not in _SCALARS or not _is_array(a) or a.ndim == 0:
                return False  # Note: NumPy 1.26 promotes a 0-d array with a Python scalar by value
            if dt.kind != "f" and type(s) is not builtins.int:
                return False  # int array with a float scalar: MXNet truncates
            if dt == F32 and abs(s) >= _F32_MAX:
                return False
            if dt == F32 and type(s) is builtins.int and not -(2 ** 15) <= s < 2 ** 16:
                return False  # Note: NumPy 1.26 gives float64 for a float32 array and an int beyond 16 bits
            if dt.kind == "i" and not -(2 ** 31) <= s < 2 ** 31:
                return False
        return True
    return guard


def _axis_ok(axis):
    return axis is None or type(axis) is builtins.int or (
        type(axis) is tuple and builtins.all(type(a) is builtins.int for a in axis))


def reduce_guard(dts, args, kw):
    # Note: empty inputs go to NumPy: MXNet 1.9.1 gives mean([]) = 0 (NumPy: nan) and fails on some empty axes
    return (len(args) == 1 and _is_array(args[0]) and args[0].size > 0 and len(dts) == 1 and dts[0] in FLOATS
            and set(kw) <= {"axis", "keepdims"} and _axis_ok(kw.get("axis"))
            and _axes_in_range(kw.get("axis"), args[0].ndim)
            and type(kw.get("keepdims", False)) is builtins.bool)


def _axes_in_range(axis, ndim):
    # Note: MXNet 1.9.1 accepts axis=-1 on a 0-d array; NumPy raises AxisError
    return axis is None or builtins.all(-ndim <= a < ndim for a in (axis if type(axis) is tuple else (axis,)))


def extremum_guard(dts, args, kw):
    return reduce_guard(dts, args, kw)


def matmul_guard(dts, args, kw):
    return (not kw and len(dts) == 2 and dts[0] == dts[1] and dts[0] in FLOATS
            and _is_array(args[0]) and _is_array(args[1]) and args[0].ndim == 2 and args[1].ndim == 2
            and args[0].shape[1] == args[1].shape[0])


def _device_array(a):
    # Note: on the host NumPy's reshape/transpose return views that later writes go through; MXNet's are copies
    return _is_array(a) and type(a._data) is not numpy.ndarray


def _is_array(a):
    # guards see the call's raw arguments: a list of arrays (or any object) is not an array
    return hasattr(a, "_device")


def reshape_guard(dts, args, kw):
    return (len(dts) == 1 and _device_array(args[0]) and dts[0] in EXACT and not kw and len(args) == 2
            and isinstance(args[1], (tuple, builtins.int)))


def transpose_guard(dts, args, kw):
    return len(dts) == 1 and _device_array(args[0]) and dts[0] in EXACT and not kw and len(args) in (1, 2)


def argreduce_guard(dts, args, kw):
    # Note: no keepdims/out (MXNet 1.9.1 lacks them); ties and NaN pick the first index as NumPy does (parity)
    return (len(args) == 1 and len(dts) == 1 and dts[0] in EXACT and _is_array(args[0]) and args[0].size > 0
            and set(kw) <= {"axis"}
            and (kw.get("axis") is None or type(kw["axis"]) is builtins.int) and _axes_in_range(kw.get("axis"),
                                                                                            args[0].ndim))


def concat_guard(dts, args, kw):
    if len(args) != 1 or type(args[0]) not in (list, tuple) or not args[0] or set(kw) - {"axis"}:
        return False
    arrays, axis = args[0], kw.get("axis", 0)
    return (len(dts) == len(arrays) and builtins.all(_is_array(a) for a in arrays) and dts[0] in EXACT
            and builtins.all(d == dts[0] for d in dts)
            and type(axis) is builtins.int and builtins.all(a.ndim == arrays[0].ndim for a in arrays)
            and arrays[0].ndim > 0 and -arrays[0].ndim <= axis < arrays[0].ndim)


def expand_dims_guard(dts, args, kw):
    return (len(args) == 2 and not kw and len(dts) == 1 and dts[0] in EXACT and _device_array(args[0])
            and type(args[1]) is builtins.int and -args[0].ndim - 1 <= args[1] <= args[0].ndim)


def flip_guard(dts, args, kw):
    # Note: MXNet 1.9.1 raises on a negative axis; axis=None flips all axes
    axis = args[1] if len(args) == 2 else kw.get("axis")
    return (len(dts) == 1 and dts[0] in EXACT and _device_array(args[0]) and set(kw) <= {"axis"}
            and len(args) + len(kw) <= 2 and type(axis) is builtins.int and 0 <= axis < args[0].ndim)


def astype_guard(dts, args, kw):
    # to a float dtype only: float -> int casts of NaN/inf/out-of-range values are undefined in C
    return (len(args) == 2 and len(dts) == 1 and _is_array(args[0]) and dts[0] in EXACT and kw in ({}, {"copy": True})
            and isinstance(args[1], numpy.dtype) and args[1] in FLOATS)


def where_guard(dts, args, kw):
    # Note: empty operands go to NumPy: MXNet 1.9.1 where() crashes the process broadcasting (0,) with ()
    return (not kw and len(args) == 3 and len(dts) == 3 and dts[0] == numpy.dtype(bool)
            and dts[1] == dts[2] and dts[1] in FLOATS and builtins.all(a.size for a in args))


class Decline(Exception):
    """Raised by a kernel that sees, after running, that NumPy would answer differently: NumPy reruns the call."""


def _nonzero_only(kernel):
    # Note: over +0.0 and -0.0 NumPy's max/min return the last zero and MXNet's the first (maximum/minimum pick
    # differently too), so a zero result is
    # recomputed by NumPy (its sign is seen by signbit, copysign, 1/x)
    def run(*args, **kw):
        r = kernel(*args, **kw)
        if bool((r == 0).any()):
            raise Decline
        return r
    return run


def _finite_only(kernel):
    # Note: MXNet sums with Kahan compensation, which turns inf + inf into nan; a finite result proves the inputs
    # finite (and no overflow), so only then is it NumPy's answer.
    def run(*args, **kw):
        r = kernel(*args, **kw)
        if not _mxnet.load().np.isfinite(r).all():
            raise Decline
        return r
    return run


def _float_scalar_as_array(kernel):
    # Note: MXNet passes scalars to kernels as text and parses them back inexactly (measured: 1 in 6 float64
    # values off by an ulp, subnormals rejected); a 0-d array of the other operand's dtype carries the exact value.
    def run(a, b):
        if type(b) is builtins.float or type(b) is numpy.ndarray:
            b = _mxnet.load().np.array(b, dtype=a.dtype, ctx=a.ctx)
        elif type(a) is builtins.float or type(a) is numpy.ndarray:
            a = _mxnet.load().np.array(a, dtype=b.dtype, ctx=b.ctx)
        return kernel(a, b)
    return run


def _build():
    mx = _mxnet.load()
    mnp = mx.np
    table = {}
    for op in UNARY_FLOAT:
        table[op] = (getattr(mnp, MX_NAME.get(op, op)), unary_guard)
    float_guard, exact_guard = _binary(FLOATS), _binary(EXACT)
    for op in BINARY_FLOAT:
        table[op] = (_float_scalar_as_array(getattr(mnp, MX_NAME.get(op, op))), float_guard)
    for op in ("maximum", "minimum"):  # maximum(0, -0.0): NumPy gives 0.0, MXNet -0.0 (the same zero-order rule)
        table[op] = (_nonzero_only(table[op][0]), float_guard)
    for op in BINARY_EXACT:
        table[op] = (_float_scalar_as_array(getattr(mnp, op)), exact_guard)
    for op in ("sum", "mean"):
        table[op] = (_finite_only(getattr(mnp, op)), reduce_guard)
    table["max"] = (_nonzero_only(mnp.max), extremum_guard)
    table["min"] = (_nonzero_only(mnp.min), extremum_guard)
    # Note: OpenBLAS (NumPy) can give 0 for 0 * inf inside a product where MXNet gives nan: non-finite
    # products are recomputed by NumPy
    table["matmul"] = (_finite_only(mnp.dot), matmul_guard)
    table["dot"] = (_finite_only(mnp.dot), matmul_guard)
    table["reshape"] = (mnp.reshape, reshape_guard)
    table["transpose"] = (mnp.transpose, transpose_guard)
    table["where"] = (mnp.where, where_guard)
    table["argmax"] = (mnp.argmax, argreduce_guard)
    table["argmin"] = (mnp.argmin, argreduce_guard)
    table["concat"] = (mnp.concatenate, concat_guard)
    table["expand_dims"] = (mnp.expand_dims, expand_dims_guard)
    table["flip"] = (mnp.flip, flip_guard)
    table["astype"] = (lambda x, dtype, copy=True: x.astype(dtype), astype_guard)
    return table


_table = []


def kernels():
    """The table, built on first use (it imports MXNet)."""
    if not _table:
        _table.append(_build())
    return _table[0]

# auto policy, cpu device: ops for which MXNet-CPU beats NumPy, as a predicate on the call.
# Measured on this 2-core machine (benchmarks/dispatch.py): NumPy's OpenBLAS matmul beat npx.fully_connected and
# mx.np.dot at every MLP shape from 64x256x256 to 64x1024x1024 (1.7-12x), and elementwise ops are 7-10x slower in
# MXNet, so no op qualifies here.  A machine where oneDNN wins adds its predicate here.
AUTO_CPU = {}
