"""{op name: NumPy kernel}: the reference semantics and the fallback for every op.

Op names are the Array API's where the spec has the op (`acos`, `pow`, `concat`, `max` ...), NumPy's otherwise
(`logaddexp2`, `cumsum`, `linalg.lstsq`).  Kernels take NumPy arguments and NumPy's keywords; the faces adapt.
Spec names that NumPy 1.26 lacks come from array_api_compat.numpy.
"""
import numpy

# NumPy's name -> op name, where the Array API names the same op differently
ALIASES = {
    "absolute": "abs", "arccos": "acos", "arccosh": "acosh", "arcsin": "asin", "arcsinh": "asinh",
    "arctan": "atan", "arctan2": "atan2", "arctanh": "atanh", "left_shift": "bitwise_left_shift",
    "right_shift": "bitwise_right_shift", "invert": "bitwise_invert", "bitwise_not": "bitwise_invert",
    "power": "pow", "true_divide": "divide", "conjugate": "conj", "concatenate": "concat",
    "amax": "max", "amin": "min", "round_": "round", "around": "round",
}

SUBMODULES = ("linalg", "fft", "random")


def _own_key(x, key):
    """The index, with any index array that shares memory with x copied.

    Note: NumPy 1.26 reads such an index while it writes through it, so `d[d] = 1` can write out of bounds and
    corrupt the heap (found by tests/fuzz; NumPy 2 copies the index, with the same result as here)."""
    if type(key) is numpy.ndarray:
        return key.copy() if numpy.may_share_memory(x, key) else key
    if type(key) is tuple:
        return tuple(k.copy() if type(k) is numpy.ndarray and numpy.may_share_memory(x, k) else k for k in key)
    return key


def _setitem(x, key, value):
    out = x.copy()
    out[key] = value
    return out


def _setitem_(x, key, value):
    x[_own_key(x, key)] = value
    return x


def _astype(x, dtype, copy=True):
    return x.astype(dtype, copy=copy)


def _build():
    k = {}
    for name in dir(numpy):
        obj = getattr(numpy, name)
        if name.startswith("_") or isinstance(obj, type) or not callable(obj):
            continue
        if name in ALIASES:  # NumPy's own name for the op wins over a (possibly deprecated) alias like round_
            k.setdefault(ALIASES[name], obj)
        else:
            k[name] = obj
    for sub in SUBMODULES:
        mod = getattr(numpy, sub)
        for name in dir(mod):
            obj = getattr(mod, name)
            if not name.startswith("_") and callable(obj) and not isinstance(obj, type):
                k[f"{sub}.{name}"] = obj
    try:
        import array_api_compat.numpy as compat
    except ImportError:  # pragma: no cover - a declared dependency
        compat = None
    if compat is not None:
        for name in dir(compat):
            obj = getattr(compat, name)
            if not name.startswith("_") and name not in k and callable(obj) and not isinstance(obj, type):
                k[name] = obj
        for sub in ("linalg", "fft"):
            mod = getattr(compat, sub)
            for name in getattr(mod, "__all__", dir(mod)):
                obj = getattr(mod, name, None)
                if callable(obj) and f"{sub}.{name}" not in k:
                    k[f"{sub}.{name}"] = obj
    k["getitem"] = lambda x, key: x[key]
    k["setitem"] = _setitem      # functional: used when the tape must see the update
    k["setitem_"] = _setitem_    # in place: the plain NumPy semantics
    k["astype"] = _astype
    k["copy"] = numpy.copy
    k["flatten"] = lambda x, order="C": x.flatten(order)
    return k


KERNELS = _build()

# every NumPy callable -> its op name, for __array_function__ and __array_ufunc__
OP_OF = {}
for _name, _fn in list(KERNELS.items()):
    try:
        OP_OF.setdefault(_fn, _name)
    except TypeError:  # unhashable callables
        pass
for _np_name, _op in ALIASES.items():
    _fn = getattr(numpy, _np_name, None)
    if _fn is not None:
        OP_OF[_fn] = _op
