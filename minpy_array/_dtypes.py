"""Dtype categories and type promotion.

The namespace promotes by the Array API's table (`result_type(..., strict=True)`), raising TypeError where the
spec leaves promotion undefined; the drop-in face and the operators follow NumPy there.  Python scalars follow the
spec / NEP 50 rule: the array's dtype wins within a kind.  The table is explicit so that NumPy 1.26's value-based
casting never leaks into the namespace.
"""
import builtins

import numpy

bool = numpy.dtype("bool")
int8 = numpy.dtype("int8")
int16 = numpy.dtype("int16")
int32 = numpy.dtype("int32")
int64 = numpy.dtype("int64")
uint8 = numpy.dtype("uint8")
uint16 = numpy.dtype("uint16")
uint32 = numpy.dtype("uint32")
uint64 = numpy.dtype("uint64")
float32 = numpy.dtype("float32")
float64 = numpy.dtype("float64")
complex64 = numpy.dtype("complex64")
complex128 = numpy.dtype("complex128")

SIGNED = (int8, int16, int32, int64)
UNSIGNED = (uint8, uint16, uint32, uint64)
INTEGRAL = SIGNED + UNSIGNED
REAL_FLOATING = (float32, float64)
COMPLEX_FLOATING = (complex64, complex128)
NUMERIC = INTEGRAL + REAL_FLOATING + COMPLEX_FLOATING
ALL = (bool,) + NUMERIC

KINDS = {
    "bool": (bool,),
    "signed integer": SIGNED,
    "unsigned integer": UNSIGNED,
    "integral": INTEGRAL,
    "real floating": REAL_FLOATING,
    "complex floating": COMPLEX_FLOATING,
    "numeric": NUMERIC,
}

NAMES = {str(d): d for d in ALL}

# Note: NumPy 1.26 upcasts a float32 array with a Python float from 3.4e38 on (value-based casting)
F32_VALUE_CAST_LIMIT = 3.4e38


def _build_table():
    t = {}
    for group in (SIGNED, UNSIGNED, REAL_FLOATING, COMPLEX_FLOATING, (bool,)):
        for a in group:
            for b in group:
                t[a, b] = a if a.itemsize >= b.itemsize else b
    for u in UNSIGNED:
        for s in SIGNED:
            if s.itemsize > u.itemsize:
                r = s
            elif u.itemsize < 8:
                r = numpy.dtype(f"int{u.itemsize * 16}")
            else:
                continue  # uint64 with a signed integer: undefined
            t[u, s] = t[s, u] = r
    for f in REAL_FLOATING:
        for c in COMPLEX_FLOATING:
            r = complex128 if float64 == f or complex128 == c else complex64
            t[f, c] = t[c, f] = r
    return t


PROMOTION = _build_table()


def promote(a, b, strict):
    """Promote two dtypes: spec table; outside it NumPy's rule, or TypeError when `strict`."""
    if a is b or a == b:
        return a
    r = PROMOTION.get((a, b))
    if r is not None:
        return r
    if strict:
        raise TypeError(f"{a} and {b} cannot be type promoted together (the Array API leaves it undefined)")
    return numpy.promote_types(a, b)


def scalar_dtype(value, dtype, strict=False):
    """The dtype a Python scalar takes next to an array of `dtype` (spec / NEP 50: the array's dtype wins)."""
    kind = dtype.kind
    if type(value) is builtins.bool:
        if kind == "b" or not strict:
            return dtype
    elif type(value) is builtins.int:
        if kind in "iufc":
            return dtype
        if not strict:
            return int64 if kind == "b" else dtype
    elif type(value) is builtins.float:
        if kind in "fc":
            return dtype
        if not strict:
            return float64
    elif type(value) is builtins.complex:
        if kind == "c":
            return dtype
        if kind == "f":
            return complex64 if dtype.itemsize <= 4 else complex128
        if not strict:
            return complex128
    raise TypeError(f"Python {type(value).__name__} scalar cannot be combined with a {dtype} array")


def check_scalar_range(value, dtype):
    """NEP 50: a Python int that does not fit the integer dtype is an OverflowError (as in NumPy 2)."""
    if type(value) is builtins.int and dtype.kind in "iu":
        info = numpy.iinfo(dtype)
        if not info.min <= value <= info.max:
            raise OverflowError(f"Python integer {value} out of bounds for {dtype}")


def isdtype(dtype, kind):
    """The Array API's isdtype."""
    if isinstance(kind, tuple):
        return builtins.any(isdtype(dtype, k) for k in kind)
    if isinstance(kind, str):
        if kind not in KINDS:
            raise ValueError(f"isdtype: unknown kind {kind!r}")
        return dtype in KINDS[kind]
    if isinstance(kind, numpy.dtype):
        return dtype == kind
    raise TypeError(f"isdtype: kind must be a dtype, a str or a tuple of them, not {type(kind).__name__}")

