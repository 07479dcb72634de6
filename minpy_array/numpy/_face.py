"""The machinery of the drop-in face: NumPy callables wrapped so that MinArrays (and array-likes) go in and
MinArrays come out, through the engine; ufunc objects keep their methods."""
import functools
import types

import numpy

from .._array import MinArray
from .._dispatch import run
from .._protocols import call_ufunc
from ..ops.numpy_ops import KERNELS, OP_OF


class Ufunc:
    """A NumPy ufunc whose calls and methods return MinArrays (np.add, np.exp.outer, np.add.reduce ...)."""

    __slots__ = ("ufunc", "op", "__name__")

    def __init__(self, ufunc):
        self.ufunc = ufunc
        self.op = OP_OF.get(ufunc, ufunc.__name__)
        self.__name__ = ufunc.__name__

    def __call__(self, *args, **kwargs):
        return run(self.op, self.ufunc, args, kwargs)

    def reduce(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "reduce", args, kwargs)

    def accumulate(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "accumulate", args, kwargs)

    def reduceat(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "reduceat", args, kwargs)

    def outer(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "outer", args, kwargs)

    def at(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "at", args, kwargs)

    def __getattr__(self, name):  # nin, nout, identity, types, signature ...
        return getattr(self.ufunc, name)

    def __reduce__(self):  # pickled as the NumPy ufunc it wraps (dask.distributed ships task functions)
        return (Ufunc, (self.ufunc,))

    @property
    def __doc__(self):
        return self.ufunc.__doc__

    def __repr__(self):
        return f"<minpy_array ufunc '{self.__name__}'>"


class Proxy:
    """A NumPy object (a random Generator, a RandomState) whose methods return MinArrays."""

    __slots__ = ("_obj",)

    def __init__(self, obj):
        object.__setattr__(self, "_obj", obj)

    def __getattr__(self, name):
        attr = getattr(self._obj, name)
        if callable(attr) and not isinstance(attr, type):
            return function(attr, f"{type(self._obj).__name__}.{name}")
        return attr

    def __repr__(self):
        return f"minpy_array proxy of {self._obj!r}"

    def __reduce__(self):
        return (Proxy, (self._obj,))


_PROXIED = (numpy.random.Generator, numpy.random.RandomState)


def function(func, name):
    """func(*args) through the engine; op name from the table when NumPy's function is a known op."""
    op = OP_OF.get(func) if not isinstance(func, types.MethodType) else None
    kernel = KERNELS[op] if op is not None else func
    op = op or name

    @functools.wraps(func)
    def call(*args, **kwargs):
        res = run(op, kernel, args, kwargs)
        return Proxy(res) if isinstance(res, _PROXIED) else res

    return call


def _named(f, prefix, name):
    """Name a face function where it is found, so that pickle (and so dask.distributed) sends it by reference to
    the face (functools.wraps gave it NumPy's module and name, where pickle would find NumPy's own function)."""
    f.__module__ = "minpy_array.numpy" + ("." + prefix[:-1] if prefix else "")
    f.__qualname__ = name
    return f


def resolve(module, name, prefix=""):
    """A public NumPy name as the face offers it: ufuncs and functions wrapped, the rest as it is."""
    obj = getattr(module, name)
    if isinstance(obj, numpy.ufunc):
        return Ufunc(obj)
    if isinstance(obj, type):
        if issubclass(obj, _PROXIED):
            return _named(function(obj, prefix + name), prefix, name)
        return obj
    if callable(obj) and not isinstance(obj, types.ModuleType):
        return _named(function(obj, prefix + name), prefix, name)
    return obj


def make_getattr(module, namespace, prefix=""):
    """A module __getattr__ that resolves NumPy's names on first use and caches them in `namespace`."""
    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            value = resolve(module, name, prefix)
        except AttributeError:
            raise AttributeError(f"module 'minpy_array.numpy{'.' + prefix[:-1] if prefix else ''}' has no "
                                 f"attribute {name!r} (nor has numpy{'.' + prefix[:-1] if prefix else ''})") from None
        namespace[name] = value
        return value

    return __getattr__


def make_dir(module, namespace):
    def __dir__():
        return sorted(set(namespace) | {n for n in dir(module) if not n.startswith("_")})
    return __dir__


__all__ = ["Ufunc", "Proxy", "function", "resolve", "make_getattr", "make_dir", "MinArray"]
