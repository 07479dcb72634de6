"""Devices.  Every device carries its backend (ops/__init__.py): "cpu" is host memory (NumPy); the other kinds are
declared by the backends: "gpu:N" and "sim:N" (MXNet: a GPU context, and a stand-in accelerator whose buffers are
MXNet arrays in host memory), "cuda:N" and "torch:cpu" (PyTorch: a CUDA device, and torch CPU tensors as a
device).  The stand-ins run the whole device logic (placement, transfers, fallbacks returning to the device) on
real kernels where there is no GPU.  Devices are interned: equal devices are the same object.
"""
import contextvars

from .ops import KIND_BACKEND, NUMPY


class Device:
    __slots__ = ("kind", "index", "backend", "_label")
    _interned = {}

    def __new__(cls, kind, index=None):
        if isinstance(kind, Device):
            if cls is Device:
                return Device._interned[(kind.kind, kind.index)]
            kind, index = kind.kind, kind.index
        if not isinstance(kind, str):
            raise TypeError(f"Device: expected a device string, not {type(kind).__name__}")
        if index is None and ":" in kind:
            kind, _, index = kind.partition(":")
        backend = KIND_BACKEND.get(kind)
        if backend is None:
            raise ValueError(f"Device: unknown device kind {kind!r} (expected one of {', '.join(KIND_BACKEND)})")
        label = backend.DEVICE_KINDS[kind]
        if label is None:
            try:
                index = 0 if index is None else int(index)
            except ValueError:
                raise ValueError(f"Device: bad device string {kind}:{index!r}") from None
            if index < 0:
                raise ValueError(f"Device: bad device index {index}")
        elif index not in (None, 0, label):
            shown = kind if not label else f"{kind}:{label}"
            raise ValueError(f"Device: the {kind} device is {shown!r} only, not {kind}:{index}")
        else:
            index = 0
        key = (kind, index)
        dev = Device._interned.get(key) if cls is Device else None
        if dev is None:
            dev = object.__new__(cls)
            for k, v in (("kind", kind), ("index", index), ("backend", backend), ("_label", label)):
                object.__setattr__(dev, k, v)
            if cls is Device:  # a subclass (MinPy's Context) is a view of the device, not the device itself
                dev = Device._interned.setdefault(key, dev)
        return dev

    def __setattr__(self, name, value):
        raise AttributeError("Device is immutable")

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except ValueError:
                return False
        return self is other or (isinstance(other, Device) and self.kind == other.kind and self.index == other.index)

    def __hash__(self):
        return hash((self.kind, self.index))

    def __repr__(self):
        return f"Device({str(self)!r})"

    def __str__(self):
        if self._label is None:
            return f"{self.kind}:{self.index}"
        return f"{self.kind}:{self._label}" if self._label else self.kind

    def __reduce__(self):
        return (Device, (self.kind, self.index))

    @property
    def is_host(self):
        return self.backend is NUMPY


CPU = Device("cpu")
_default = contextvars.ContextVar("minpy_array_device", default=CPU)


def as_device(device):
    """None -> the default device; a Device or a string -> Device."""
    if device is None:
        return _default.get()
    if type(device) is Device:
        return device
    if isinstance(device, (str, Device)):
        return Device(device)
    raise TypeError(f"expected a Device or a device string, not {type(device).__name__}")


def get_default_device():
    return _default.get()


class device:
    """`with minpy_array.device("cuda:0"):` makes new arrays land there by default (per thread and task)."""

    __slots__ = ("_device", "_token")

    def __init__(self, dev):
        self._device = as_device(dev)

    def __enter__(self):
        self._token = _default.set(self._device)
        return self._device

    def __exit__(self, *exc):
        _default.reset(self._token)
