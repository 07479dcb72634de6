"""MinPy's `minpy.context` over minpy_array's devices: cpu(), gpu(n), set_context, current_context, Context.

A Context is a minpy_array Device that prints as MinPy's did ('cpu(0)', 'gpu(1)') and is a `with` block making it
the default device (as `with minpy_array.device(...)`); anything that takes a Device takes it.  Note: as every
default in minpy_array, `set_context` sets the default device of the calling thread (MinPy's was process-wide).
"""
from ._devices import Device, device, get_default_device
from .ops import _mxnet


class Context(Device):
    __slots__ = ("_blocks",)

    def __new__(cls, device_type, device_id=0):
        if isinstance(device_type, Device):
            return super().__new__(cls, device_type)
        # Note: MinPy (and MXNet) ignored the id of the cpu; minpy_array has one cpu device
        return super().__new__(cls, device_type, 0 if device_type == "cpu" else device_id)

    def __init__(self, device_type, device_id=0):
        object.__setattr__(self, "_blocks", [])

    @property
    def device_type(self):
        return self.kind

    @property
    def device_id(self):
        return self.index

    def as_mxnet_context(self):
        return _mxnet.context(Device(self))

    def __str__(self):
        return f"{self.kind}({self.index})"

    __repr__ = __str__

    def __enter__(self):
        block = device(self)
        block.__enter__()
        self._blocks.append(block)
        return self

    def __exit__(self, *exc):
        self._blocks.pop().__exit__(*exc)


def cpu(device_id=0):
    return Context("cpu", device_id)


def gpu(device_id=0):
    """An MXNet GPU device (arrays there need mxnet built with CUDA)."""
    return Context("gpu", device_id)


def current_context():
    return Context(get_default_device())


def set_context(ctx):
    """Make `ctx` (a Context, Device or device string) the default device from here on (this thread)."""
    device(ctx).__enter__()  # a block that is never left


__all__ = ["Context", "cpu", "gpu", "current_context", "set_context"]
