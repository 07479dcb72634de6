"""Statistical functions: spec keywords onto NumPy's (correction -> ddof), spec accumulation dtypes."""
import numpy

from ._creation import place
from ._data_type import accumulation_dtype, axis_arg, check_array, dtype_kw
from ._dispatch import apply


def _reduce(op, x, axis, keepdims, **kw):
    return apply(op, x, axis=axis_arg(axis), keepdims=keepdims, **kw)


def _accumulate(op, x, axis, dtype, keepdims, name):
    check_array(x, name, "numeric")
    dt = accumulation_dtype(x.dtype, dtype, name)
    return _reduce(op, x, axis, keepdims, **dtype_kw(x, dt))


def sum(x, /, *, axis=None, dtype=None, keepdims=False):
    return _accumulate("sum", x, axis, dtype, keepdims, "sum")


def prod(x, /, *, axis=None, dtype=None, keepdims=False):
    return _accumulate("prod", x, axis, dtype, keepdims, "prod")


def max(x, /, *, axis=None, keepdims=False):
    check_array(x, "max", "real numeric")
    return _reduce("max", x, axis, keepdims)


def min(x, /, *, axis=None, keepdims=False):
    check_array(x, "min", "real numeric")
    return _reduce("min", x, axis, keepdims)


def mean(x, /, *, axis=None, keepdims=False):
    check_array(x, "mean", "floating-point")
    return _reduce("mean", x, axis, keepdims)


def std(x, /, *, axis=None, correction=0.0, keepdims=False):
    check_array(x, "std", "real floating-point")
    return _reduce("std", x, axis, keepdims, ddof=correction)


def var(x, /, *, axis=None, correction=0.0, keepdims=False):
    check_array(x, "var", "real floating-point")
    return _reduce("var", x, axis, keepdims, ddof=correction)


def _cumulative(op, identity, x, axis, dtype, include_initial, name):
    check_array(x, name, "numeric")
    if axis is None:
        if x.ndim > 1:
            raise ValueError(f"{name}: axis is required for arrays of more than one dimension")
        axis = 0
        if x.ndim == 0:
            x = apply("reshape", x, (1,))
    dt = accumulation_dtype(x.dtype, dtype, name)
    out = apply(op, x, axis=axis, **dtype_kw(x, dt))
    if not include_initial:
        return out
    shape = list(out.shape)
    shape[axis] = 1
    first = place(numpy.full(shape, identity, dtype=dt), x.device)
    return apply("concat", [first, out], axis=axis)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative("cumsum", 0, x, axis, dtype, include_initial, "cumulative_sum")


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    return _cumulative("cumprod", 1, x, axis, dtype, include_initial, "cumulative_prod")
