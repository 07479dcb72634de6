"""minpy_array: NumPy code on MXNet kernels with a NumPy fallback, differentiable, and an Array API namespace.

This module is the Array API namespace (`x.__array_namespace__()` returns it).  Besides the standard's names it
exports only the library's own runtime API, listed in EXTENSIONS.
"""
from ._array import MinArray
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
from ._devices import Device, device
from ._dispatch import NoKernelError, op_stats, reset_op_stats

__array_api_version__ = "2025.12"

EXTENSIONS = ("MinArray", "Device", "device", "policy", "get_policy", "set_policy", "fallback_notice",
              "get_fallback_notice", "set_fallback_notice", "FallbackWarning", "FallbackError", "NoKernelError",
              "op_stats", "reset_op_stats", "Function", "numpy", "autodiff", "nn", "interop", "EXTENSIONS")


def __getattr__(name):
    if name == "Function":
        from .symbol import Function

        return Function
    raise AttributeError(f"module 'minpy_array' has no attribute {name!r}")
