"""The host backend: NumPy arrays in host memory, the `cpu` device.  Its kernels are ops/numpy_ops.KERNELS, the
reference every other backend's parity test compares with."""
import numpy

NAME = "numpy"
EXTRA = None
DEVICE_KINDS = {"cpu": ""}
STAND_IN = "cpu"
VIEWS = True


def installed():
    return True


def available():
    return True


def load():
    return numpy


def devices():
    return ()


def numpy_dtype(dtype):
    return numpy.dtype(dtype)


def holds(dtype):
    return True


def is_buffer(obj):
    return type(obj) is numpy.ndarray


def to_numpy(buf):
    return buf.copy()


def from_numpy(arr, device):
    return arr


def write(dst, src):
    numpy.copyto(dst, src)


def writeable(buf):
    return buf.flags.writeable


def errors():
    return ()


def kernels():
    from .numpy_ops import KERNELS

    return {op: (k, _always) for op, k in KERNELS.items()}


def host_kernels():
    return kernels()


def _always(dts, args, kw):
    return True
