"""__array_namespace_info__(): what this library supports.

devices() lists "cpu" and the accelerators that exist, as each installed backend reports them ("cuda:N" for
PyTorch, "gpu:N" for MXNet with CUDA).  The stand-ins "sim:N" and "torch:cpu" are deliberately not listed: they
run the device logic on host memory for tests, and are not hardware a library such as scikit-learn should choose;
arrays can still be put on them explicitly.
"""
import numpy

from . import _dtypes
from ._devices import CPU, Device, as_device
from .ops import ACCELERATED


def _max_dimensions():
    try:
        numpy.empty((1,) * 64)
    except ValueError:
        return 32  # NumPy 1.x
    return 64


_CAPABILITIES = {"boolean indexing": True, "data-dependent shapes": True, "max dimensions": _max_dimensions()}
_DEFAULTS = {"real floating": _dtypes.float64, "complex floating": _dtypes.complex128,
             "integral": _dtypes.int64, "indexing": _dtypes.int64}


def _accelerators():
    return tuple(Device(kind, index) for b in ACCELERATED if b.installed() for kind, index in b.devices())


class Info:
    """The namespace's inspection object."""

    __slots__ = ()

    def capabilities(self):
        return dict(_CAPABILITIES)

    def default_device(self):
        return CPU

    def default_dtypes(self, *, device=None):
        _check_device(device)
        return dict(_DEFAULTS)

    def dtypes(self, *, device=None, kind=None):
        _check_device(device)
        if kind is None:
            return dict(_dtypes.NAMES)
        return {str(d): d for d in _dtypes.ALL if _dtypes.isdtype(d, kind)}

    def devices(self):
        return (CPU, *_accelerators())


def _check_device(device):
    if device is not None:
        as_device(device)


def __array_namespace_info__():
    return Info()
