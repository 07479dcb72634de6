"""Element-wise functions, generated from two tables: {spec name: (op, dtype category)}.

Binary functions take Python scalars on either side (2024.12): the scalar takes the array's dtype."""
import builtins

import numpy

from ._array import MinArray
from ._creation import asarray
from ._data_type import cast, check_array, operands
from ._dispatch import apply, run

UNARY = {
    "abs": ("abs", "numeric"), "acos": ("acos", "floating-point"), "acosh": ("acosh", "floating-point"),
    "asin": ("asin", "floating-point"), "asinh": ("asinh", "floating-point"), "atan": ("atan", "floating-point"),
    "atanh": ("atanh", "floating-point"), "bitwise_invert": ("bitwise_invert", "integer or boolean"),
    "conj": ("conj", "numeric"), "cos": ("cos", "floating-point"), "cosh": ("cosh", "floating-point"),
    "exp": ("exp", "floating-point"), "expm1": ("expm1", "floating-point"), "imag": ("imag", "complex floating-point"),
    "isfinite": ("isfinite", "numeric"), "isinf": ("isinf", "numeric"), "isnan": ("isnan", "numeric"),
    "log": ("log", "floating-point"), "log1p": ("log1p", "floating-point"), "log2": ("log2", "floating-point"),
    "log10": ("log10", "floating-point"), "logical_not": ("logical_not", "all"),
    "negative": ("negative", "numeric"), "positive": ("positive", "numeric"), "real": ("real", "numeric"),
    "reciprocal": ("reciprocal", "floating-point"), "round": ("round", "numeric"),
    "signbit": ("signbit", "real floating-point"), "sin": ("sin", "floating-point"),
    "sinh": ("sinh", "floating-point"), "square": ("square", "numeric"), "sqrt": ("sqrt", "floating-point"),
    "tan": ("tan", "floating-point"), "tanh": ("tanh", "floating-point"),
}
# integer input: NumPy 1.26 returns float64, the spec the input unchanged
INTEGER_IDENTITY = {"ceil": "ceil", "floor": "floor", "trunc": "trunc"}

# Note: the spec says logical_* inputs "should" be bool; any dtype is accepted (NumPy's truthiness), because
# scikit-learn 1.9 calls xp.logical_or on float arrays (roc_curve)
BINARY = {
    "add": ("add", "numeric"), "atan2": ("atan2", "real floating-point"),
    "bitwise_and": ("bitwise_and", "integer or boolean"),
    "bitwise_left_shift": ("bitwise_left_shift", "integer"), "bitwise_or": ("bitwise_or", "integer or boolean"),
    "bitwise_right_shift": ("bitwise_right_shift", "integer"),
    "bitwise_xor": ("bitwise_xor", "integer or boolean"), "copysign": ("copysign", "real floating-point"),
    "divide": ("divide", "floating-point"), "equal": ("equal", "all"),
    "greater": ("greater", "real numeric"),
    "greater_equal": ("greater_equal", "real numeric"), "hypot": ("hypot", "real floating-point"),
    "less": ("less", "real numeric"), "less_equal": ("less_equal", "real numeric"),
    "logaddexp": ("logaddexp", "real floating-point"), "logical_and": ("logical_and", "all"),
    "logical_or": ("logical_or", "all"), "logical_xor": ("logical_xor", "all"),
    "maximum": ("maximum", "real numeric"), "minimum": ("minimum", "real numeric"),
    "multiply": ("multiply", "numeric"), "nextafter": ("nextafter", "real floating-point"),
    "not_equal": ("not_equal", "all"), "pow": ("pow", "numeric"), "remainder": ("remainder", "real numeric"),
    "subtract": ("subtract", "numeric"),
}


def _unary(name, op, category):
    kernel = SPEC_KERNELS.get(op)
    if kernel is not None:
        def f(x, /):
            check_array(x, name, category)
            return run(op, kernel, (x,), {})
    else:
        def f(x, /):
            check_array(x, name, category)
            return apply(op, x)

    f.__name__ = f.__qualname__ = name
    return f


def _integer_identity(name, op):
    def f(x, /):
        check_array(x, name, "real numeric")
        return apply("copy", x) if x.dtype.kind in "iu" else apply(op, x)

    f.__name__ = f.__qualname__ = name
    return f


def _binary(name, op, category):
    def f(x1, x2, /):
        a, b = operands(x1, x2, name, category)
        return apply(op, a, b)

    f.__name__ = f.__qualname__ = name
    return f


def _sign_kernel(x):
    if x.dtype.kind != "c":
        return numpy.sign(x)
    # Note: NumPy 1.26 gives the sign of the real part; the spec (and NumPy 2) x / |x|, and 0 + 0j at +-0
    with numpy.errstate(invalid="ignore", divide="ignore"):
        mag = numpy.abs(x)
        zero = mag == 0
        out = numpy.asarray(x / numpy.where(zero, 1, mag).astype(mag.dtype), dtype=x.dtype)
        out[zero] = 0
    return out


def sign(x, /):
    check_array(x, "sign", "numeric")
    return apply("sign", x) if x.dtype.kind != "c" else run("sign", _sign_kernel, (x,), {})


# Spec special cases NumPy gets wrong: the same op names (MXNet guards and VJPs still apply), spec kernels.
def _floor_divide_kernel(a, b):
    out = numpy.floor_divide(a, b)
    if out.dtype.kind == "f":
        # Note: NumPy follows Python's // at infinities (inf // 2 is nan, 1 // -inf is -1); the spec floor(x1 / x2)
        with numpy.errstate(invalid="ignore", divide="ignore"):
            inf = numpy.isinf(a) | numpy.isinf(b)
            if inf.any():
                out = numpy.asarray(out).copy()
                out[inf] = numpy.broadcast_to(numpy.floor(numpy.divide(a, b)), out.shape)[inf]
    return out


def _expm1_kernel(x):
    if x.dtype.kind != "c":
        return numpy.expm1(x)
    # Note: NumPy's complex expm1 misses the spec's special cases at infinities, NaN and -0
    a, b = x.real, x.imag
    out = numpy.empty(x.shape, x.dtype)
    with numpy.errstate(all="ignore"):
        re = numpy.expm1(a) * numpy.cos(b) - 2 * numpy.sin(b / 2) ** 2 + 0.0
        im = numpy.where(b == 0, b, numpy.exp(a) * numpy.sin(b))
        neg = a == -numpy.inf
        re = numpy.where(neg, -1.0, re)
        im = numpy.where(neg, numpy.where(numpy.isfinite(b), 0 * numpy.sin(b), 0.0), im)
        pos = (a == numpy.inf) & ~numpy.isfinite(b)
        out.real = numpy.where(pos, numpy.inf, re)
        out.imag = numpy.where(pos, numpy.nan, im)
    return out


def _acosh_kernel(x):
    out = numpy.arccosh(x)
    if x.dtype.kind == "c":
        # Note: NumPy gives NaN + NaN j for +-0 + NaN j; the spec NaN + pi/2 j
        fix = (x.real == 0) & numpy.isnan(x.imag)
        if fix.any():
            out = numpy.asarray(out).copy()
            out[fix] = complex(numpy.nan, numpy.pi / 2)
    return out


def _tanh_kernel(x):
    out = numpy.tanh(x)
    if x.dtype.kind == "c":
        # Note: NumPy's sign of the zero imaginary part at real infinities is not the spec's (sign of imag(x))
        a, b = x.real, x.imag
        fix = numpy.isinf(a) & numpy.isfinite(b)
        if fix.any():
            out = numpy.array(out, copy=True)
            out.real[fix] = numpy.copysign(1, a)[fix]
            out.imag[fix] = numpy.copysign(0, b)[fix]
    return out


SPEC_KERNELS = {"floor_divide": _floor_divide_kernel, "expm1": _expm1_kernel, "acosh": _acosh_kernel,
                "tanh": _tanh_kernel}


def floor_divide(x1, x2, /):
    a, b = operands(x1, x2, "floor_divide", "real numeric")
    return run("floor_divide", _floor_divide_kernel, (a, b), {})


def clip(x, /, min=None, max=None):
    check_array(x, "clip", "real numeric")
    if min is None and max is None:
        return apply("copy", x)
    lo, hi = (_bound(v, x, "clip") for v in (min, max))
    return cast(apply("clip", x, lo, hi), x.dtype)


def _bound(v, x, name):
    if v is None:
        return None
    if type(v) is MinArray:
        check_array(v, name, "real numeric")
        if (v.dtype.kind == "f") != (x.dtype.kind == "f"):
            raise TypeError(f"{name}: min and max must have the same kind of dtype as x")
        return cast(v, x.dtype)
    if type(v) is not builtins.int and type(v) is not builtins.float:
        raise TypeError(f"{name}: min and max must be MinArrays or Python ints or floats")
    if x.dtype.kind in "iu":
        if type(v) is not builtins.int:
            raise TypeError(f"{name}: min and max must be integers when x has an integer dtype")
        ii = numpy.iinfo(x.dtype)
        v = builtins.min(builtins.max(v, builtins.int(ii.min)), builtins.int(ii.max))
    return asarray(v, dtype=x.dtype, device=x.device)


def _build(namespace):
    for name, (op, cat) in UNARY.items():
        namespace[name] = _unary(name, op, cat)
    for name, op in INTEGER_IDENTITY.items():
        namespace[name] = _integer_identity(name, op)
    for name, (op, cat) in BINARY.items():
        namespace[name] = _binary(name, op, cat)


_build(globals())
__all__ = sorted([*UNARY, *INTEGER_IDENTITY, *BINARY, "sign", "clip", "floor_divide"])
