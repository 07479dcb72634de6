"""MinPy's `minpy.primitive.customop`: an op written with NumPy, its gradient written with NumPy.

    @customop('numpy')
    def f(x, y): ...                       # receives NumPy arrays, returns a NumPy array or scalar
    f.def_grad(lambda ans, x, y: lambda g: ...)          # NumPy in, NumPy out; argnum=0 by default

`f(...)` takes MinArrays (or anything NumPy takes) and returns a MinArray; it is one op of the engine (counted as
'customop:f' in op_stats()), and `grad` goes through it with the registered gradients.  Calling it on a traced
argument with no gradient defined raises TypeError at once.  Gradients are first order (the NumPy function is not
itself differentiated).
"""
import functools
import itertools

import numpy

from . import _dispatch
from ._array import MinArray, asarray_like
from .autodiff import defvjp

_ids = itertools.count()


def customop(op_type):
    if op_type != "numpy":
        raise ValueError(f"customop: only 'numpy' custom ops are supported, not {op_type!r}; write the op with "
                         "minpy_array.numpy (autodiff differentiates it) or register its VJP with "
                         "minpy_array.autodiff.defvjp")
    return CustomOp


class CustomOp:
    def __init__(self, func):
        functools.update_wrapper(self, func)
        self.func = func
        self.op = f"customop:{func.__name__}#{next(_ids)}"
        self.grads = {}

    def __call__(self, *args, **kwargs):
        for i, a in enumerate(args):
            if type(a) is MinArray and a._node is not None and i not in self.grads:
                raise TypeError(f"{self.__name__}: no gradient is defined for argument {i}, which is being "
                                f"differentiated; define one with {self.__name__}.def_grad(fn, argnum={i})")
        return _dispatch.run(self.op, self.func, args, kwargs)

    def def_grad(self, func, argnum=0):
        """func(ans, *args, **kwargs) -> (g -> gradient of argument `argnum`), all NumPy."""
        self.grads[argnum] = func
        defvjp(self.op, *(_maker(self.grads[i]) if i in self.grads else None for i in range(max(self.grads) + 1)))
        return self

    def def_grad_zero(self, argnum=0):
        """Argument `argnum` gets a zero gradient."""
        return self.def_grad(lambda ans, *args, **kw: lambda g: numpy.zeros_like(numpy.asarray(args[argnum],
                                                                                                dtype=float)),
                             argnum)


def _host(x):
    return x.asnumpy() if type(x) is MinArray else x


def _maker(func):
    def maker(ans, *args, **kwargs):
        def vjp(g):
            ct = func(_host(ans), *map(_host, args), **{k: _host(v) for k, v in kwargs.items()})(_host(g))
            return asarray_like(numpy.asarray(ct), g.device)
        return vjp
    return maker


__all__ = ["customop", "CustomOp"]
