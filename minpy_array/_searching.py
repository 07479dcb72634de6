"""Searching functions."""
from . import _dtypes
from ._array import MinArray
from ._creation import asarray
from ._data_type import axis_arg, check_array, operands
from ._dispatch import apply


def argmax(x, /, *, axis=None, keepdims=False):
    check_array(x, "argmax", "real numeric")
    return apply("argmax", x, axis=axis, keepdims=keepdims)


def argmin(x, /, *, axis=None, keepdims=False):
    check_array(x, "argmin", "real numeric")
    return apply("argmin", x, axis=axis, keepdims=keepdims)


def count_nonzero(x, /, *, axis=None, keepdims=False):
    check_array(x, "count_nonzero")
    out = apply("count_nonzero", x, axis=axis_arg(axis), keepdims=keepdims)
    if type(out) is not MinArray:  # NumPy returns a Python int for a full reduction
        out = asarray(out, dtype=_dtypes.int64, device=x.device)
    return out if out.dtype == _dtypes.int64 else apply("astype", out, _dtypes.int64)


def nonzero(x, /):
    check_array(x, "nonzero")
    if x.ndim == 0:
        raise ValueError("nonzero: not defined for 0-d arrays")
    return tuple(apply("nonzero", x))


def searchsorted(x1, x2, /, *, side="left", sorter=None):
    check_array(x1, "searchsorted", "real numeric")
    if x1.ndim != 1:
        raise ValueError("searchsorted: x1 must be one-dimensional")
    if side not in ("left", "right"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right', not {side!r}")
    a, b = operands(x1, x2, "searchsorted", "real numeric")
    if sorter is not None:
        check_array(sorter, "searchsorted", "integer")
    return apply("searchsorted", a, b, side=side, sorter=sorter)


def where(condition, x1=None, x2=None, /):
    if x1 is None and x2 is None:
        # Note: NumPy's one-argument form (nonzero), beyond the spec: scikit-learn 1.9 calls xp.where(mask)[0]
        return nonzero(condition)
    check_array(condition, "where", "bool")
    a, b = operands(x1, x2, "where")
    return apply("where", condition, a, b)
