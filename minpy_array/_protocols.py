"""NumPy's override protocols: __array_ufunc__ (every ufunc and method, out=, NEP-13 deferral) and
__array_function__ (ours where we have it, otherwise the generic fallback through the engine)."""
import numpy

from ._array import MinArray, _is_traced, _wrap
from ._devices import _default as _default_device
from ._dispatch import apply_function, device_buffer, run, write
from .ops.numpy_ops import OP_OF

_OWN = (MinArray, numpy.ndarray)


def _foreign(values):
    """Is there an operand with its own __array_ufunc__ that is neither ours nor NumPy's? (NEP 13)"""
    for v in values:
        t = type(v)
        if t is MinArray or t is numpy.ndarray or t in (int, float, complex, bool):
            continue
        if hasattr(t, "__array_ufunc__") and not issubclass(t, _OWN) and not isinstance(v, numpy.generic):
            return True
        if t is tuple and _foreign(v):
            return True
    return False


def array_ufunc(ufunc, method, inputs, kwargs):
    if method == "__call__" and not kwargs:
        for v in inputs:
            if type(v) is not MinArray:
                break
        else:  # only MinArrays: nothing to defer to
            return run(OP_OF.get(ufunc) or ufunc.__name__, ufunc, inputs, kwargs)
    if _foreign(inputs) or ("out" in kwargs and _foreign(kwargs["out"])):
        return NotImplemented
    return call_ufunc(ufunc, method, inputs, kwargs)


def call_ufunc(ufunc, method, inputs, kwargs, face=None):
    op = OP_OF.get(ufunc) or ufunc.__name__
    if method == "__call__":
        return run(op, ufunc, inputs, kwargs, face)
    kernel = getattr(ufunc, method)
    if method == "at":
        if _is_traced(inputs):
            from .autodiff.inplace import ufunc_at
            return ufunc_at(ufunc, op, inputs, kwargs)
        return _in_place(f"{op}.at", kernel, inputs, kwargs)
    return run(f"{op}.{method}", kernel, inputs, kwargs, face)


def _in_place(name, kernel, args, kwargs):
    """A NumPy function that writes into its first argument (ufunc.at, copyto, put, place, ...)."""
    dst = args[0]
    if type(dst) is MinArray:
        if dst._node is not None:
            raise TypeError(f"{name}: in-place update of a traced array is not differentiable; "
                            "use x[index] = value, which the tape records")
        if type(dst._data) is not numpy.ndarray:
            tmp = _wrap(dst._host(), dst._device)
            run(name, kernel, (tmp,) + tuple(args[1:]), kwargs)
            write(dst, device_buffer(tmp._data, dst._device)[0])  # in place: views of dst see it
            return None
    run(name, kernel, args, kwargs)
    return None


_IN_PLACE = {numpy.copyto, numpy.put, numpy.place, numpy.putmask, numpy.fill_diagonal, numpy.put_along_axis}


def array_function(func, args, kwargs):
    if func in _IN_PLACE:
        if _is_traced(args) or _is_traced(tuple(kwargs.values())):
            from .autodiff.inplace import copy_in
            return copy_in(func.__name__, func, args, kwargs)
        return _in_place(func.__name__, func, args, kwargs)
    return apply_function(func, args, kwargs)


def array_function_of(owner, func, args, kwargs):
    """MinArray.__array_function__.  `owner` is the MinArray NumPy asked: an operand, or the `like=` array of a
    NEP 35 creation call (numpy.asarray(obj, like=x), numpy.empty(shape, like=x)), whose result lands on x's device."""
    dev = owner._device
    default = _default_device.get()
    if dev is default or dev == default:
        return array_function(func, args, kwargs)
    token = _default_device.set(dev)  # only a call without a MinArray operand reads the default device
    try:
        return array_function(func, args, kwargs)
    finally:
        _default_device.reset(token)


def dask_token(x):
    """What dask hashes for MinArray x (dask.base.tokenize calls x.__dask_tokenize__, so dask is loaded): its device
    and dask's own token of its values, instead of dask's default of pickling the array several times over."""
    from dask.base import normalize_token

    return ("minpy_array.MinArray", str(x._device), normalize_token(x._host()))
