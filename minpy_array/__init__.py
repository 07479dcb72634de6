"""minpy_array: NumPy code on MXNet kernels with a NumPy fallback, differentiable, and an Array API namespace.

This module is the Array API namespace (`x.__array_namespace__()` returns it).  Besides the standard's names it
exports only the library's own runtime API, listed in EXTENSIONS.
"""
import math as _math

try:
    import _minpy_array_hook
except ImportError:  # the package directory used on its own; ops._mxnet.load() still gives NumPy its alias itself
    pass
else:
    _minpy_array_hook.install()  # `import mxnet` works from here on, on NumPy 1.26 too

from . import fft, linalg
from ._array import MinArray
from ._calibrate import calibration, recalibrate
from ._config import (
    FallbackError,
    FallbackWarning,
    fallback_notice,
    get_fallback_notice,
    get_policy,
    policy,
    set_fallback_notice,
    set_policy,
)
from ._creation import (
    arange,
    asarray,
    empty,
    empty_like,
    eye,
    from_dlpack,
    full,
    full_like,
    linspace,
    meshgrid,
    ones,
    ones_like,
    tril,
    triu,
    zeros,
    zeros_like,
)
from ._data_type import astype, can_cast, finfo, iinfo, isdtype, result_type
from ._devices import Device, device
from ._dispatch import NoKernelError, op_stats, reset_op_stats
from ._dtypes import (
    bool,
    complex64,
    complex128,
    float32,
    float64,
    int8,
    int16,
    int32,
    int64,
    uint8,
    uint16,
    uint32,
    uint64,
)
from ._elementwise import (
    abs,
    acos,
    acosh,
    add,
    asin,
    asinh,
    atan,
    atan2,
    atanh,
    bitwise_and,
    bitwise_invert,
    bitwise_left_shift,
    bitwise_or,
    bitwise_right_shift,
    bitwise_xor,
    ceil,
    clip,
    conj,
    copysign,
    cos,
    cosh,
    divide,
    equal,
    exp,
    expm1,
    floor,
    floor_divide,
    greater,
    greater_equal,
    hypot,
    imag,
    isfinite,
    isinf,
    isnan,
    less,
    less_equal,
    log,
    log1p,
    log2,
    log10,
    logaddexp,
    logical_and,
    logical_not,
    logical_or,
    logical_xor,
    maximum,
    minimum,
    multiply,
    negative,
    nextafter,
    not_equal,
    positive,
    pow,
    real,
    reciprocal,
    remainder,
    round,
    sign,
    signbit,
    sin,
    sinh,
    sqrt,
    square,
    subtract,
    tan,
    tanh,
    trunc,
)
from ._indexing import take, take_along_axis
from ._info import __array_namespace_info__
from ._linear_algebra import matmul, matrix_transpose, tensordot, vecdot
from ._manipulation import (
    broadcast_arrays,
    broadcast_shapes,
    broadcast_to,
    concat,
    expand_dims,
    flip,
    moveaxis,
    permute_dims,
    repeat,
    reshape,
    roll,
    squeeze,
    stack,
    tile,
    unstack,
)
from ._searching import argmax, argmin, count_nonzero, nonzero, searchsorted, where
from ._set import isin, unique_all, unique_counts, unique_inverse, unique_values
from ._sorting import argsort, sort
from ._statistical import cumulative_prod, cumulative_sum, max, mean, min, prod, std, sum, var
from ._utility import all, any, diff
from .dispatch.policy import get_global_policy, record_op_stat, set_global_policy, show_op_stat, wrap_policy

__array_api_version__ = "2025.12"

e = _math.e
inf = _math.inf
nan = _math.nan
pi = _math.pi
newaxis = None

EXTENSIONS = ("MinArray", "Device", "device", "policy", "get_policy", "set_policy", "fallback_notice",
              "get_fallback_notice", "set_fallback_notice", "FallbackWarning", "FallbackError", "NoKernelError",
              "op_stats", "reset_op_stats", "calibration", "recalibrate", "Function", "numpy", "autodiff", "nn",
              "interop", "EXTENSIONS",
              # MinPy's names (minpy_array.core, .context, .nn.model, .nn.io ... are MinPy's modules)
              "set_global_policy", "get_global_policy", "wrap_policy", "record_op_stat", "show_op_stat")


def __getattr__(name):
    if name == "Function":
        from .symbol import Function

        return Function
    if name == "mxnet":  # the mxnet module as minpy_array loads it (ImportError naming the extra when missing)
        from importlib import import_module

        return import_module(".mxnet", __name__)
    raise AttributeError(f"module 'minpy_array' has no attribute {name!r}{_hint(name)}")


_SUBMODULES_TO_IMPORT = ("numpy", "autodiff", "nn", "interop", "core", "context", "dispatch", "primitive", "utils")
_MINPY_HINTS = {"PreferMXNetPolicy": "minpy_array.dispatch.policy.PreferMXNetPolicy",
                "OnlyNumPyPolicy": "minpy_array.dispatch.policy.OnlyNumPyPolicy",
                "OnlyMXNetPolicy": "minpy_array.dispatch.policy.OnlyMXNetPolicy",
                "Config": "minpy_array.get_policy() and minpy_array.set_policy()"}


def _hint(name):
    """'; use ...' naming what to use for a missing name: a submodule to import, MinPy's or NumPy's equivalent."""
    import numpy as np

    if name in _SUBMODULES_TO_IMPORT:
        return f"; import minpy_array.{name} first"
    if name in _MINPY_HINTS:
        return f"; use {_MINPY_HINTS[name]}"
    if not name.startswith("_") and hasattr(np, name):
        return f"; use minpy_array.numpy.{name} (the drop-in NumPy face)"
    return ""


_SUBMODULES = ("linalg", "fft")  # the standard's extensions; other submodules are not namespace names
__all__ = sorted({n for n, v in globals().items() if not n.startswith("_") and (
    type(v) is not type(_math) or n in _SUBMODULES)} | {"__array_api_version__", "__array_namespace_info__"}
                 | set(EXTENSIONS))


def _spec_faced(namespace, names):
    """The namespace's functions take NumPy-face arrays as spec-face ones (the same buffers), so that what they
    return is the spec's: arrays, 0-d where NumPy would give a scalar (README, "Two faces")."""
    for name in names:
        f = namespace.get(name)
        if type(f) is type(_spec_faced) and name not in EXTENSIONS:
            namespace[name] = _faces.spec_function(f)


from . import _faces

_spec_faced(globals(), __all__)
_spec_faced(vars(linalg), linalg.__all__)
_spec_faced(vars(fft), fft.__all__)


def __dir__():
    return __all__
