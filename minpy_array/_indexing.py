"""Indexing functions."""
from ._data_type import check_array
from ._dispatch import apply


def take(x, indices, /, *, axis=None):
    check_array(x, "take")
    check_array(indices, "take", "integer")
    if axis is None:
        if x.ndim != 1:
            raise ValueError("take: axis is required for arrays of more than one dimension")
        axis = 0
    return apply("take", x, indices, axis=axis)


def take_along_axis(x, indices, /, *, axis=-1):
    check_array(x, "take_along_axis")
    check_array(indices, "take_along_axis", "integer")
    return apply("take_along_axis", x, indices, axis)
