"""The machinery of the drop-in face: NumPy callables wrapped so that MinArrays (and array-likes) go in and
MinArrays come out, through the engine, as NumPy-face arrays (NumPy scalars where NumPy gives scalars, on the cpu
and untraced); ufunc objects keep their methods."""
import functools
import sys
import types

import numpy

from .._array import MinArray
from .._dispatch import run, run_py
from .._native import speedups
from .._protocols import _IN_PLACE, array_function, call_ufunc
from ..ops.numpy_ops import KERNELS, OP_OF


def _face_run(op, kernel, *args, **kwargs):
    """A face function's call on the engine (the C accelerator's slow path)."""
    return _proxied(run_py(op, kernel, args, kwargs, True))


class Ufunc(speedups.Call if speedups is not None else object):
    """A NumPy ufunc whose calls and methods return MinArrays (np.add, np.exp.outer, np.add.reduce ...); with the C
    accelerator, a call on the host fast path is one C call."""

    __slots__ = ("ufunc", "op", "__name__")

    def __init__(self, ufunc):
        self.ufunc = ufunc
        self.op = OP_OF.get(ufunc, ufunc.__name__)
        self.__name__ = ufunc.__name__
        if speedups is not None:
            super().__init__(self.op, ufunc, functools.partial(_face_run, self.op, ufunc), True,
                             speedups.TRACED | speedups.DEVICE)

    if speedups is None:
        def __call__(self, *args, **kwargs):
            return run(self.op, self.ufunc, args, kwargs, True)

    def reduce(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "reduce", args, kwargs, True)

    def accumulate(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "accumulate", args, kwargs, True)

    def reduceat(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "reduceat", args, kwargs, True)

    def outer(self, *args, **kwargs):
        return call_ufunc(self.ufunc, "outer", args, kwargs, True)

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
    if func in _IN_PLACE:  # copyto, put, ...: they write into their first argument, as numpy.copyto(minarray) does

        @functools.wraps(func)
        def in_place(*args, **kwargs):
            return array_function(func, args, kwargs)
        return in_place
    op = OP_OF.get(func) if not isinstance(func, types.MethodType) else None
    kernel = KERNELS[op] if op is not None else func
    op = op or name
    if speedups is not None:
        return functools.update_wrapper(  # (not func's __dict__: a class's would shadow the Call's __reduce__)
            speedups.Call(op, kernel, functools.partial(_face_run, op, kernel), True, speedups.TRACED | speedups.DEVICE,
                          _proxied),
            func, updated=())

    @functools.wraps(func)
    def call(*args, **kwargs):
        return _proxied(run(op, kernel, args, kwargs, True))

    return call


def _proxied(res):
    return res if type(res) is MinArray or not isinstance(res, _PROXIED) else Proxy(res)


def _named(f, prefix, name):
    """Name a face function where it is found, so that pickle (and so dask.distributed) sends it by reference to
    the face (functools.wraps gave it NumPy's module and name, where pickle would find NumPy's own function)."""
    f.__module__ = "minpy_array.numpy" + ("." + prefix[:-1] if prefix else "")
    f.__qualname__ = name
    return f


def resolve(module, name, prefix=""):
    """A public NumPy name as the face offers it: ufuncs and functions wrapped, numpy.lib's modules as faces too,
    the rest as it is."""
    obj = getattr(module, name)
    if isinstance(obj, types.ModuleType):
        return face_module(obj, prefix + name + ".") if obj.__name__.startswith("numpy.lib") else obj
    if isinstance(obj, numpy.ufunc):
        return Ufunc(obj)
    if isinstance(obj, type):
        if issubclass(obj, _PROXIED):
            return _named(function(obj, prefix + name), prefix, name)
        return obj
    if callable(obj) and not isinstance(obj, types.ModuleType):
        return _named(function(obj, prefix + name), prefix, name)
    return obj


# Where a name is missing, what to use instead: MinPy's own names, and NumPy's between 1.x and 2.x
HINTS = {
    "set_policy": "minpy_array.set_global_policy('only_numpy'), or `with minpy_array.policy('numpy_only'):`",
    "policy": "minpy_array.get_global_policy()",
    "onehot_encode": "labels[:, None] == np.arange(num_classes) (nn.layers.softmax_loss takes labels as they are)",
    "softmax_output": "minpy_array.nn.layers.softmax_loss, or a minpy_array.Function over mx.sym.SoftmaxOutput",
    "asfarray": "np.asarray(a, dtype=float)",
    "msort": "np.sort(a, axis=0)",
}
RENAMES = {"product": "prod", "cumproduct": "cumprod", "alltrue": "all", "sometrue": "any", "round_": "round",
           "trapz": "trapezoid", "trapezoid": "trapz", "row_stack": "vstack", "in1d": "isin"}


def _hint(name):
    """'; use ...' naming the equivalent of a name the face lacks, or ''."""
    import minpy_array

    if name in HINTS:
        return f"; use {HINTS[name]}"
    if hasattr(numpy, RENAMES.get(name, "_")):
        return f"; use np.{RENAMES[name]}"
    if name in minpy_array.__all__:
        return f"; use minpy_array.{name} (the Array API namespace)"
    return ""


def make_getattr(module, namespace, prefix=""):
    """A module __getattr__ that resolves NumPy's names on first use and caches them in `namespace`; a missing name
    raises AttributeError naming the equivalent where one exists (and NumPy's own explanation, where it has one)."""
    where = "." + prefix[:-1] if prefix else ""

    def __getattr__(name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            value = resolve(module, name, prefix)
        except AttributeError as e:
            said = str(e).partition("\n")[2] if "has no attribute" in str(e) else str(e)  # NumPy's explanation
            raise AttributeError(f"module 'minpy_array.numpy{where}' has no attribute {name!r} (nor has "
                                 f"numpy{where} {numpy.__version__}){'' if prefix else _hint(name)}"
                                 + (f". NumPy says: {said}" if said else "")) from None
        namespace[name] = value
        return value

    return __getattr__


def make_dir(module, namespace):
    def __dir__():
        return sorted(set(namespace) | {n for n in dir(module) if not n.startswith("_")})
    return __dir__


def face_module(module, prefix):
    """A face over a NumPy submodule (numpy.lib's helpers): its functions return MinArrays too.  Registered in
    sys.modules, so `from minpy_array.numpy.lib.npyio import ...` works once it exists."""
    name = "minpy_array.numpy." + prefix[:-1]
    face = sys.modules.get(name)
    if face is None:
        face = types.ModuleType(name, module.__doc__)
        face.__getattr__ = make_getattr(module, face.__dict__, prefix)
        face.__dir__ = make_dir(module, face.__dict__)
        sys.modules[name] = face
    return face


__all__ = ["Ufunc", "Proxy", "function", "resolve", "make_getattr", "make_dir", "face_module", "HINTS", "MinArray"]
