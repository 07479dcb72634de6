"""Data type functions (astype, can_cast, finfo, iinfo, isdtype, result_type) and the argument checks and
promotion the other namespace chapters share."""
import builtins
from collections import namedtuple

import numpy

from . import _dispatch, _dtypes
from ._array import MinArray, _wrap
from ._dispatch import apply

finfo_object = namedtuple("finfo_object", "bits eps max min smallest_normal dtype")
iinfo_object = namedtuple("iinfo_object", "bits max min dtype")

SCALARS = (builtins.bool, builtins.int, builtins.float, builtins.complex)

# dtype categories that the chapters name in their tables
CATEGORIES = {
    "all": frozenset(_dtypes.ALL),
    "bool": frozenset((_dtypes.bool,)),
    "integer": frozenset(_dtypes.INTEGRAL),
    "integer or boolean": frozenset(_dtypes.INTEGRAL + (_dtypes.bool,)),
    "numeric": frozenset(_dtypes.NUMERIC),
    "real numeric": frozenset(_dtypes.INTEGRAL + _dtypes.REAL_FLOATING),
    "floating-point": frozenset(_dtypes.REAL_FLOATING + _dtypes.COMPLEX_FLOATING),
    "real floating-point": frozenset(_dtypes.REAL_FLOATING),
    "complex floating-point": frozenset(_dtypes.COMPLEX_FLOATING),
}


# ---------------------------------------------------------------- shared checks
def as_dtype(dtype, name):
    """A spec dtype from a dtype-like (never None)."""
    if dtype is None or type(dtype) is MinArray:
        raise TypeError(f"{name}: expected a dtype, not {type(dtype).__name__}")
    try:
        dt = numpy.dtype(dtype)
    except TypeError:
        raise TypeError(f"{name}: {dtype!r} is not a dtype") from None
    if dt not in CATEGORIES["all"]:
        raise TypeError(f"{name}: {dt} is not an Array API dtype")
    return dt


def check_array(x, name, category="all"):
    if type(x) is not MinArray:
        raise TypeError(f"{name}: expected a MinArray, not {type(x).__name__} (use minpy_array.asarray)")
    if x.dtype not in CATEGORIES[category]:
        raise TypeError(f"{name}: only {category} dtypes are allowed, not {x.dtype}")
    return x


def cast(x, dt):
    return x if x.dtype == dt else apply("astype", x, dt)


def promote_arrays(arrays, name):
    """Cast MinArrays to their spec result type (TypeError where the spec leaves promotion undefined)."""
    dts = [a.dtype for a in arrays]
    rt = dts[0]
    try:
        for d in dts[1:]:
            rt = _dtypes.promote(rt, d, strict=True)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None
    return [cast(a, rt) for a in arrays]


def scalar_operand(value, x, name):
    """(the dtype both operands take, the Python scalar as an operand of that dtype) next to array x."""
    dtype = x.dtype
    if type(value) not in SCALARS:
        raise TypeError(f"{name}: expected a MinArray or a Python scalar, not {type(value).__name__}")
    try:
        rt = _dtypes.scalar_dtype(value, dtype, strict=True)
    except TypeError as e:
        raise TypeError(f"{name}: {e}") from None
    _dtypes.check_scalar_range(value, rt)
    if x.ndim == 0 or rt.kind in "fc" and (type(value) is not builtins.int or builtins.abs(value) >= 2 ** 15):
        # Note: a 0-d array of the result dtype, so that NumPy 1.26's value-based casting cannot widen the result
        # (it treats a 0-d array and a Python scalar alike as values; float32 + an int beyond int16 is float64)
        with numpy.errstate(over="ignore"):  # a float beyond float32's range is inf there, as the spec says
            host = numpy.asarray(value, dtype=rt)
        value = _wrap(_dispatch.device_buffer(host, x.device)[0], x.device)
    return rt, value


def operands(x1, x2, name, category="all"):
    """The two operands of a binary function, arrays cast to their common dtype and Python scalars placed."""
    a1, a2 = type(x1) is MinArray, type(x2) is MinArray
    if a1 and a2:
        check_array(x1, name, category)
        check_array(x2, name, category)
        return promote_arrays((x1, x2), name)
    if a1:
        check_array(x1, name, category)
        rt, x2 = scalar_operand(x2, x1, name)
        return cast(x1, rt), x2
    if a2:
        check_array(x2, name, category)
        rt, x1 = scalar_operand(x1, x2, name)
        return x1, cast(x2, rt)
    raise TypeError(f"{name}: at least one argument must be a MinArray, got {type(x1).__name__} and "
                    f"{type(x2).__name__}")


def axis_arg(axis):
    return tuple(axis) if isinstance(axis, list) else axis


def accumulation_dtype(dt, dtype, name):
    """sum/prod/cumulative_*/trace: the spec's default dtype (integers widen to the default integer)."""
    if dtype is not None:
        return as_dtype(dtype, name)
    if dt.kind == "b" or dt.kind == "i":
        return _dtypes.int64
    if dt.kind == "u":
        return _dtypes.uint64
    return dt


def dtype_kw(x, dt):
    """The dtype= keyword an accumulating NumPy op needs to give `dt` (NumPy widens small integers itself)."""
    return {} if dt == x.dtype and dt.kind in "fc" else {"dtype": dt}


# ---------------------------------------------------------------- the chapter
def astype(x, dtype, /, *, copy=True, device=None):
    check_array(x, "astype")
    dt = as_dtype(dtype, "astype")
    if x.dtype.kind == "c" and dt.kind != "c":
        raise TypeError(f"astype: casting {x.dtype} to {dt} is not allowed by the Array API (use real/abs)")
    out = x if (dt == x.dtype and not copy) else apply("astype", x, dt, copy=copy)
    return out if device is None else out.to_device(device)


def _from_dtype(from_, name):
    return from_.dtype if type(from_) is MinArray else as_dtype(from_, name)


def can_cast(from_, to, /):
    f, t = _from_dtype(from_, "can_cast"), as_dtype(to, "can_cast")
    r = _dtypes.PROMOTION.get((f, t))
    return f == t or (r is not None and r == t)


def _info_dtype(type_, name):
    return type_.dtype if type(type_) is MinArray else as_dtype(type_, name)


def finfo(type, /):
    dt = _info_dtype(type, "finfo")
    if dt.kind not in "fc":
        raise TypeError(f"finfo: {dt} is not a floating-point dtype")
    real = _dtypes.float32 if dt in (_dtypes.float32, _dtypes.complex64) else _dtypes.float64
    fi = numpy.finfo(real)
    return finfo_object(fi.bits, builtins.float(fi.eps), builtins.float(fi.max), builtins.float(fi.min),
                        builtins.float(fi.smallest_normal), real)


def iinfo(type, /):
    dt = _info_dtype(type, "iinfo")
    if dt.kind not in "iu":
        raise TypeError(f"iinfo: {dt} is not an integer dtype")
    ii = numpy.iinfo(dt)
    return iinfo_object(ii.bits, builtins.int(ii.max), builtins.int(ii.min), dt)


def isdtype(dtype, kind):
    dt = as_dtype(dtype, "isdtype")
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dt, k) for k in kind)
    if isinstance(kind, str):
        return _dtypes.isdtype(dt, kind)
    return dt == as_dtype(kind, "isdtype")


def result_type(*arrays_and_dtypes):
    dts, scalars = [], []
    for a in arrays_and_dtypes:
        if type(a) in SCALARS:
            scalars.append(a)
        else:
            dts.append(_from_dtype(a, "result_type"))
    if not dts:  # Python scalars alone: ValueError, as NumPy and the spec's reference raise
        raise ValueError("result_type: at least one array or dtype is required")
    rt = dts[0]
    for d in dts[1:]:
        rt = _dtypes.promote(rt, d, strict=True)
    for s in scalars:
        rt = _dtypes.scalar_dtype(s, rt, strict=True)
    return rt
