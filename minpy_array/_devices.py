"""Devices: "cpu" (host memory, NumPy and MXNet-CPU kernels), "gpu:N" (an MXNet GPU context), and "sim:N", a
stand-in accelerator for tests: its buffers are MXNet arrays on MXNet's CPU context, but it is a distinct device,
so placement, transfer and fallback-return logic run exactly as they would for a GPU.
"""
import contextvars

KINDS = ("cpu", "gpu", "sim")


class Device:
    __slots__ = ("kind", "index")

    def __init__(self, kind, index=None):
        if isinstance(kind, Device):
            kind, index = kind.kind, kind.index
        elif isinstance(kind, str) and ":" in kind and index is None:
            kind, _, idx = kind.partition(":")
            try:
                index = int(idx)
            except ValueError:
                raise ValueError(f"Device: bad device string {kind}:{idx!r}") from None
        if kind not in KINDS:
            raise ValueError(f"Device: unknown device kind {kind!r} (expected one of {', '.join(KINDS)})")
        if index is None:
            index = 0
        if kind == "cpu" and index != 0:
            raise ValueError("Device: the cpu device has index 0 only")
        object.__setattr__(self, "kind", kind)
        object.__setattr__(self, "index", int(index))

    def __setattr__(self, name, value):
        raise AttributeError("Device is immutable")

    def __eq__(self, other):
        if isinstance(other, str):
            try:
                other = Device(other)
            except ValueError:
                return False
        return isinstance(other, Device) and self.kind == other.kind and self.index == other.index

    def __hash__(self):
        return hash((self.kind, self.index))

    def __repr__(self):
        return f"Device({str(self)!r})"

    def __str__(self):
        return "cpu" if self.kind == "cpu" else f"{self.kind}:{self.index}"

    def __reduce__(self):
        return (Device, (self.kind, self.index))

    @property
    def is_host(self):
        return self.kind == "cpu"

    def mx_context(self):
        """The MXNet context that holds this device's buffers."""
        ctx = _CONTEXTS.get(self)
        if ctx is None:
            from .ops import _mxnet

            mx = _mxnet.load()
            ctx = _CONTEXTS[self] = mx.gpu(self.index) if self.kind == "gpu" else mx.cpu(0)
        return ctx


_CONTEXTS = {}  # Device -> its MXNet context
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
    """`with minpy_array.device("gpu:0"):` makes new arrays land there by default (per thread and task)."""

    __slots__ = ("_device", "_token")

    def __init__(self, dev):
        self._device = as_device(dev)

    def __enter__(self):
        self._token = _default.set(self._device)
        return self._device

    def __exit__(self, *exc):
        _default.reset(self._token)
