"""Utility functions: all, any, diff."""
from ._data_type import axis_arg, check_array, promote_arrays
from ._dispatch import apply


def all(x, /, *, axis=None, keepdims=False):
    check_array(x, "all")
    return apply("all", x, axis=axis_arg(axis), keepdims=keepdims)


def any(x, /, *, axis=None, keepdims=False):
    check_array(x, "any")
    return apply("any", x, axis=axis_arg(axis), keepdims=keepdims)


def diff(x, /, n=1, *, axis=-1, prepend=None, append=None):
    # Note: the spec makes n keyword-only; scikit-learn 1.9 calls xp.diff(x, 2) (NumPy's order), so n may be
    # positional too, a superset of the spec's signature
    check_array(x, "diff")
    if x.ndim == 0:
        raise ValueError("diff: x must have at least one dimension")
    parts = [a for a in (prepend, x, append) if a is not None]
    for a in parts:
        check_array(a, "diff")
    parts = promote_arrays(parts, "diff")
    if len(parts) > 1:
        x = apply("concat", parts, axis=axis)
    return apply("diff", x, n=n, axis=axis)
