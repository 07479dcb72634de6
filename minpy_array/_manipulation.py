"""Manipulation functions."""
import builtins
import operator

import numpy

from ._data_type import axis_arg, check_array, promote_arrays
from ._dispatch import apply


def _arrays(arrays, name):
    if not isinstance(arrays, (list, tuple)) or not arrays:
        raise TypeError(f"{name}: expected a non-empty tuple or list of MinArrays")
    for a in arrays:
        check_array(a, name)
    return promote_arrays(arrays, name)


def broadcast_arrays(*arrays):
    for a in arrays:
        check_array(a, "broadcast_arrays")
    return tuple(apply("broadcast_arrays", *arrays))


def broadcast_shapes(*shapes):
    ndim = builtins.max((len(s) for s in shapes), default=0)
    out = []
    for i in range(-ndim, 0):
        dims = {s[i] for s in shapes if len(s) >= -i and s[i] != 1}
        if None in dims:
            out.append(None)
            continue
        if len(dims) > 1:
            raise ValueError(f"broadcast_shapes: shapes {shapes} are not broadcast-compatible")
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def broadcast_to(x, /, shape):
    check_array(x, "broadcast_to")
    return apply("broadcast_to", x, tuple(shape))


def concat(arrays, /, *, axis=0):
    arrays = _arrays(arrays, "concat")
    if axis is None:
        arrays = [apply("reshape", a, (-1,)) for a in arrays]
        axis = 0
    return apply("concat", arrays, axis=axis)


def expand_dims(x, /, axis):
    check_array(x, "expand_dims")
    return apply("expand_dims", x, axis_arg(axis))


def flip(x, /, *, axis=None):
    check_array(x, "flip")
    return apply("flip", x, axis=axis_arg(axis))


def moveaxis(x, source, destination, /):
    check_array(x, "moveaxis")
    return apply("moveaxis", x, axis_arg(source), axis_arg(destination))


def permute_dims(x, /, axes):
    check_array(x, "permute_dims")
    return apply("transpose", x, tuple(axes))


def repeat(x, repeats, /, *, axis=None):
    check_array(x, "repeat")
    if type(repeats) is not builtins.int:
        check_array(repeats, "repeat", "integer")
    if axis is None:
        x = apply("reshape", x, (-1,))
        axis = 0
    return apply("repeat", x, repeats, axis=axis)


def reshape(x, /, shape, *, copy=None):
    check_array(x, "reshape")
    shape = tuple(operator.index(s) for s in shape)
    if copy is False and type(x._data) is numpy.ndarray:
        view = x._data.view()
        try:
            view.shape = shape
        except AttributeError:
            raise ValueError("reshape: copy=False but this reshape needs a copy") from None
    out = apply("reshape", x, shape)
    return apply("copy", out) if copy else out


def roll(x, /, shift, *, axis=None):
    check_array(x, "roll")
    return apply("roll", x, axis_arg(shift), axis=axis_arg(axis))


def squeeze(x, /, axis):
    check_array(x, "squeeze")
    return apply("squeeze", x, axis=axis_arg(axis))


def stack(arrays, /, *, axis=0):
    return apply("stack", _arrays(arrays, "stack"), axis=axis)


def tile(x, repetitions, /):
    check_array(x, "tile")
    return apply("tile", x, tuple(repetitions))


def unstack(x, /, *, axis=0):
    check_array(x, "unstack")
    if not -x.ndim <= axis < x.ndim:
        raise IndexError(f"unstack: axis {axis} is out of bounds for an array of dimension {x.ndim}")
    axis %= x.ndim
    head = (slice(None),) * axis
    return tuple(apply("getitem", x, head + (i,)) for i in range(x.shape[axis]))
