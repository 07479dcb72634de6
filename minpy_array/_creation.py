"""Creation functions.  New buffers are made by the device's backend where it has the kernel, else by NumPy on the
host and copied to the device."""
import builtins
import operator

import numpy

from . import _dispatch, _dtypes
from ._array import MinArray, _wrap
from ._data_type import as_dtype, check_array
from ._devices import Device, as_device
from ._dispatch import apply, create
from .ops import buffer_backend


def place(host, device):
    """A MinArray holding NumPy buffer `host` on `device` (None: the default device)."""
    dev = as_device(device)
    buf, _ = _dispatch.device_buffer(host, dev)
    if buf is host and not dev.is_host:  # a device array never aliases host data
        buf = buf.copy()
    return _wrap(buf, dev)


def _dtype_or(dtype, default, name):
    return default if dtype is None else as_dtype(dtype, name)


def _shape(shape, name):
    if isinstance(shape, (builtins.int, numpy.integer)):
        return (operator.index(shape),)
    try:
        return tuple(operator.index(s) for s in shape)
    except TypeError:
        raise TypeError(f"{name}: shape must be an int or a tuple of ints, not {shape!r}") from None


def _default_dtype(value):
    t = type(value)
    if t is builtins.bool:
        return _dtypes.bool
    if t is builtins.int:
        return _dtypes.int64
    if t is builtins.float:
        return _dtypes.float64
    if t is builtins.complex:
        return _dtypes.complex128
    raise TypeError(f"expected a Python scalar, not {t.__name__}")


def _host_array(obj, dt, copy, name):
    if copy is True:
        host = numpy.array(obj, dtype=dt, copy=True)
    else:
        host = numpy.asarray(obj, dtype=dt)
        if copy is False and not (isinstance(obj, numpy.ndarray) and numpy.may_share_memory(host, obj)):
            if not (isinstance(obj, numpy.ndarray) and obj.size == 0 and host.dtype == obj.dtype):
                raise ValueError(f"{name}: copy=False but making this array needs a copy")
    if host.dtype.kind not in "biufc":  # object, strings, bytes, void, datetimes: no Array API dtype
        raise OverflowError(f"{name}: the values do not fit any Array API dtype") if _has_int(obj) else \
            TypeError(f"{name}: cannot make an array from {type(obj).__name__} (dtype {host.dtype})")
    return host


def _has_int(obj):
    if type(obj) is builtins.int:
        return True
    return isinstance(obj, (list, tuple)) and builtins.any(_has_int(o) for o in obj)


def asarray(obj, /, *, dtype=None, device=None, copy=None):
    dt = None if dtype is None else as_dtype(dtype, "asarray")
    if type(obj) is MinArray:
        return _from_minarray(obj, dt, device, copy)
    backend = buffer_backend(obj)
    if backend is not None:
        where = backend.device_of(obj)
        if where is not None:  # a library's array on one of its devices: adopted as it is, without a copy
            return _from_minarray(_wrap(obj, Device(*where)), dt, device, copy)
        obj = backend.to_numpy(obj)
        copy = None if copy is False else copy
    elif not isinstance(obj, (numpy.ndarray, numpy.generic, list, tuple, builtins.bool, builtins.int,
                              builtins.float, builtins.complex)) and hasattr(obj, "__dlpack__") \
            and not hasattr(obj, "__array__"):
        return from_dlpack(obj, device=device, copy=copy) if dt is None else \
            asarray(from_dlpack(obj, device=device, copy=copy), dtype=dt, copy=copy)
    if dt is None and type(obj) in (builtins.int, builtins.float, builtins.complex, builtins.bool):
        dt = _default_dtype(obj)
    host = _host_array(obj, dt, copy, "asarray")
    dev = as_device(device)
    if dev.kind != "cpu" and copy is False:
        raise ValueError(f"asarray: copy=False but placing the data on {dev} needs a copy")
    return place(host, dev)


def _from_minarray(x, dt, device, copy):
    dev = x.device if device is None else as_device(device)
    if (dt is not None and dt != x.dtype) or dev != x.device:
        if copy is False:
            raise ValueError("asarray: copy=False but a dtype or device change needs a copy")
        out = x if dt is None or dt == x.dtype else apply("astype", x, dt)
        return out.to_device(dev)
    return apply("copy", x) if copy else x


def from_dlpack(x, /, *, device=None, copy=None):
    if type(x) is MinArray:
        return _from_minarray(x, None, device, copy)
    if buffer_backend(x) is not None:
        return asarray(x, device=device, copy=copy)
    if not hasattr(x, "__dlpack__"):
        raise TypeError(f"from_dlpack: {type(x).__name__} does not implement __dlpack__")
    if hasattr(x, "__dlpack_device__") and x.__dlpack_device__()[0] not in (1, 3):
        raise BufferError(f"from_dlpack: DLPack device {x.__dlpack_device__()} is not host memory; "
                          "move it to the CPU first")
    host = x if isinstance(x, numpy.ndarray) else numpy.from_dlpack(x)
    dev = as_device(device)
    if copy is False and dev.kind != "cpu":
        raise ValueError(f"from_dlpack: copy=False but placing the data on {dev} needs a copy")
    if copy:
        host = host.copy()
    return place(host, dev)


def arange(start, /, stop=None, step=1, *, dtype=None, device=None):
    values = (start, step) if stop is None else (start, stop, step)
    default = _dtypes.int64 if builtins.all(type(v) is builtins.int for v in values) else _dtypes.float64
    dt = _dtype_or(dtype, default, "arange")
    if stop is None:
        start, stop = 0, start
    return create("arange", as_device(device), start, stop, step, dtype=dt)


def empty(shape, *, dtype=None, device=None):
    return create("empty", as_device(device), _shape(shape, "empty"), dtype=_dtype_or(dtype, _dtypes.float64, "empty"))


def zeros(shape, *, dtype=None, device=None):
    return create("zeros", as_device(device), _shape(shape, "zeros"), dtype=_dtype_or(dtype, _dtypes.float64, "zeros"))


def ones(shape, *, dtype=None, device=None):
    return create("ones", as_device(device), _shape(shape, "ones"), dtype=_dtype_or(dtype, _dtypes.float64, "ones"))


def full(shape, fill_value, *, dtype=None, device=None):
    if type(fill_value) is MinArray:
        fill_value = fill_value.item()
    dt = _dtype_or(dtype, None, "full") or _default_dtype(fill_value)
    return create("full", as_device(device), _shape(shape, "full"), fill_value, dtype=dt)


def _like(op, x, dtype, device, *fill):
    check_array(x, op)
    dt = _dtype_or(dtype, x.dtype, op)
    dev = x.device if device is None else as_device(device)
    if dev is x.device:
        return apply(op, x, *fill, dtype=dt)
    return create(op[:-5], dev, x.shape, *fill, dtype=dt)


def empty_like(x, /, *, dtype=None, device=None):
    return _like("empty_like", x, dtype, device)


def zeros_like(x, /, *, dtype=None, device=None):
    return _like("zeros_like", x, dtype, device)


def ones_like(x, /, *, dtype=None, device=None):
    return _like("ones_like", x, dtype, device)


def full_like(x, /, fill_value, *, dtype=None, device=None):
    return _like("full_like", x, dtype, device, fill_value)


def eye(n_rows, n_cols=None, /, *, k=0, dtype=None, device=None):
    return create("eye", as_device(device), n_rows, n_cols, k=k, dtype=_dtype_or(dtype, _dtypes.float64, "eye"))


def linspace(start, stop, /, num, *, dtype=None, device=None, endpoint=True):
    cplx = builtins.complex in (type(start), type(stop))
    dt = _dtype_or(dtype, _dtypes.complex128 if cplx else _dtypes.float64, "linspace")
    return create("linspace", as_device(device), start, stop, num, endpoint=endpoint, dtype=dt)


def meshgrid(*arrays, indexing="xy"):
    for a in arrays:
        check_array(a, "meshgrid")
    if builtins.len({a.dtype for a in arrays}) > 1:
        raise TypeError("meshgrid: the arrays must all have the same dtype")
    if indexing not in ("xy", "ij"):
        raise ValueError(f"meshgrid: indexing must be 'xy' or 'ij', not {indexing!r}")
    return tuple(apply("meshgrid", *arrays, indexing=indexing))


def tril(x, /, *, k=0):
    check_array(x, "tril")
    if x.ndim < 2:
        raise ValueError("tril: x must have at least 2 dimensions")
    return apply("tril", x, k=k)


def triu(x, /, *, k=0):
    check_array(x, "triu")
    if x.ndim < 2:
        raise ValueError("triu: x must have at least 2 dimensions")
    return apply("triu", x, k=k)
