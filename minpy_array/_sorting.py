"""Sorting functions: descending and stable onto NumPy's sort kinds."""
from ._data_type import check_array
from ._dispatch import apply


def sort(x, /, *, axis=-1, descending=False, stable=True):
    check_array(x, "sort", "real numeric")
    out = apply("sort", x, axis=axis, kind="stable" if stable else None)
    return apply("flip", out, axis=axis) if descending else out


def argsort(x, /, *, axis=-1, descending=False, stable=True):
    check_array(x, "argsort", "real numeric")
    kind = "stable" if stable else None
    if not descending:
        return apply("argsort", x, axis=axis, kind=kind)
    # stable descending: sort the reversed array ascending, then map the indices back
    rev = apply("argsort", apply("flip", x, axis=axis), axis=axis, kind=kind)
    return apply("subtract", x.shape[axis] - 1, apply("flip", rev, axis=axis))
