"""The MXNet backend's runtime: the one place that imports mxnet.

Lazy (the import takes 3-5 s), with the `numpy.bool` shim MXNet 1.9.1 needs on NumPy 1.26 and its import-time
DeprecationWarnings contained.  Devices: "gpu:N" (an MXNet GPU context) and "sim:N" (MXNet arrays on MXNet's CPU
context: a stand-in accelerator for tests).  Buffers move between NumPy and MXNet zero-copy (DLPack) where safe.
MXNet's imperative calls are not safe from several threads at once (four threads calling `dot` deadlock the
process), so every call into the library here and in mxnet_ops holds LOCK; waiting for it releases the GIL.
"""
import ctypes
import importlib.util
import os
import sys
import threading
import warnings

import numpy

from . import _numpy, table_of

NAME = "mxnet"
EXTRA = "mxnet"
DEVICE_KINDS = {"gpu": None, "sim": None}
STAND_IN = "sim:0"  # the device that runs this backend on host memory, for tests without a GPU
VIEWS = False  # Note: MXNet's slices and reshapes are copies, so writes through them do not reach the base
LOCK = threading.RLock()
_state = {"mx": None, "error": None}

# dtypes MXNet 1.9.1 can hold (measured: no int16, no uint16+, no complex)
DTYPES = frozenset(numpy.dtype(d) for d in ("bool", "int8", "uint8", "int32", "int64",
                                            "float16", "float32", "float64"))
# dtypes DLPack carries both ways without a copy (bool fails in both directions)
_DLPACK = DTYPES - {numpy.dtype("bool")}


def installed():
    """Is the mxnet package importable (without importing it)?"""
    return _state["mx"] is not None or importlib.util.find_spec("mxnet") is not None


def load():
    """Import mxnet once and return the module; ImportError naming the extra if it is missing."""
    mx = _state["mx"]
    if mx is not None:
        return mx
    with LOCK:
        return _load()


def _load():
    if _state["mx"] is not None:
        return _state["mx"]
    if _state["error"] is not None:
        raise _state["error"]
    if "bool" not in numpy.__dict__:  # MXNet 1.9.1 uses the alias NumPy 1.24 removed
        numpy.bool = numpy.bool_
    os.environ.setdefault("MXNET_SUBGRAPH_VERBOSE", "0")
    # Note: every call waits for its MXNet result (errors must surface at the call), so the threaded engine buys no
    # overlap here; the synchronous engine runs each op in the calling thread, with lower per-op cost and no worker
    # threads touching memory after the call returns.  MXNET_ENGINE_TYPE set by the user wins.
    os.environ.setdefault("MXNET_ENGINE_TYPE", "NaiveEngine")
    # MXNet's OpenMP and BLAS libraries get NumPy's thread count when minpy_array imports it (MXNet's own default:
    # one thread in the calling thread, whatever NumPy was told)
    before = _numpy.thread_libraries() if "mxnet" not in sys.modules else None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import mxnet as mx
            from mxnet import npx
        npx.set_np()
        _start_engine_quietly(mx)
        _numpy.follow_threads(before)
    except ImportError as e:
        err = ImportError(f"this needs MXNet: pip install 'minpy_array[mxnet]' (mxnet==1.9.1): {e}")
        _state["error"] = err
        raise err from e
    _state["mx"] = mx
    return mx


def _start_engine_quietly(mx):
    """Start MXNet's engine now, with its one start-up log line ("MXNet start using engine: NaiveEngine", written
    by the C++ library straight to file descriptor 2) kept out of the user's terminal."""
    import sys

    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        mx.nd.zeros((1,)).wait_to_read()
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def available():
    """True when MXNet can be used; never raises."""
    if _state["mx"] is not None:
        return True
    if _state["error"] is not None or not installed():
        return False
    try:
        load()
        return True
    except ImportError:
        return False


def is_buffer(obj):
    mx = _state["mx"]
    return mx is not None and isinstance(obj, mx.np.ndarray)


def numpy_dtype(dtype):
    """The NumPy dtype of an MXNet array's dtype (MXNet gives NumPy's scalar types)."""
    return numpy.dtype(dtype)


def holds(dtype):
    return dtype in DTYPES


def device_of(buf):
    """(kind, index) of the MXNet GPU holding buf, or None for host memory."""
    ctx = buf.ctx
    return ("gpu", ctx.device_id) if ctx.device_type == "gpu" else None


def devices():
    """The MXNet GPUs that exist (none with a CPU-only build or no CUDA driver)."""
    if not installed():
        return ()
    try:
        n = load().context.num_gpus()
    except Exception:  # a CPU-only MXNet build, or no CUDA driver
        return ()
    return tuple(("gpu", i) for i in range(n))


_CONTEXTS = {}


def context(device):
    """The MXNet context that holds `device`'s buffers (the cpu device: MXNet's CPU context)."""
    ctx = _CONTEXTS.get(device)
    if ctx is None:
        mx = load()
        ctx = _CONTEXTS[device] = mx.gpu(device.index) if device.kind == "gpu" else mx.cpu(0)
    return ctx


def to_numpy(buf):
    """An MXNet array as a writable NumPy array (a copy: MXNet memory is never aliased by a mutable ndarray)."""
    with LOCK:
        return buf.asnumpy()


def from_numpy(arr, device):
    """A NumPy array as an MXNet array on `device` (a copy)."""
    if not arr.flags.c_contiguous:
        arr = numpy.ascontiguousarray(arr)  # Note: not for 0-d arrays, which it would make 1-d
    with LOCK:
        return load().np.array(arr, dtype=arr.dtype, ctx=context(device))


def write(dst, src):
    """src's values into dst (unused by the engine: without views, an in-place result replaces the buffer)."""
    with LOCK:
        src.copyto(dst)


def writeable(buf):
    return True


def dlpack(buf, copy=None, **kw):
    with LOCK:
        mx = load()
        buf = buf.copy() if copy else buf
        return mx.nd.to_dlpack_for_read(buf.as_nd_ndarray())


def dlpack_device(buf):
    return (2, buf.ctx.device_id) if buf.ctx.device_type == "gpu" else (1, 0)


# DLPack (code, bits) per dtype MXNet can alias
_DL_CODES = {numpy.dtype(d): (c, numpy.dtype(d).itemsize * 8) for d, c in (
    ("int8", 0), ("int32", 0), ("int64", 0), ("uint8", 1), ("float16", 2), ("float32", 2), ("float64", 2))}


def _alias(mx, arr):
    """An MXNet array over arr's memory, without a copy.

    Not through arr.__dlpack__(): NumPy 1.26's DLPack deleter frees memory and drops its reference without taking
    the GIL, and MXNet runs deleters where the GIL is not held (ctypes releases it; the engine's threads never had
    it), which corrupts the heap now and then (a rare 'free(): invalid pointer' abort).  MXNet's own ctypes deleter
    is a ctypes callback, which takes the GIL before it drops the reference that keeps arr alive.
    """
    nd = mx.ndarray.ndarray
    tensor = nd.DLTensor()
    tensor.data = arr.ctypes.data_as(ctypes.c_void_p)
    tensor.ctx = nd.DLContext(1, 0)
    tensor.ndim = arr.ndim
    code, bits = _DL_CODES[arr.dtype]
    tensor.dtype = nd.DLDataType(code, bits, 1)
    tensor.shape = arr.ctypes.shape_as(ctypes.c_int64)
    tensor.strides = None
    tensor.byte_offset = 0
    managed = nd.DLManagedTensor()
    managed.dl_tensor = tensor
    owner = ctypes.py_object(arr)
    ctypes.pythonapi.Py_IncRef(owner)  # released by the deleter, when MXNet frees the array
    managed.manager_ctx = ctypes.c_void_p.from_buffer(owner)
    managed.deleter = nd.dl_managed_tensor_deleter
    handle = nd.NDArrayHandle()
    # transient handle: MXNet copies shape, deleter and context out of `managed` before this frame ends
    mx.base.check_call(mx.base._LIB.MXNDArrayFromDLPackEx(ctypes.byref(managed), True, ctypes.byref(handle)))
    return mx.numpy.ndarray(handle=handle)


def _writeable(arr):
    """arr.flags.writeable, without NumPy 1.26's FutureWarning for the views numpy.broadcast_arrays returns."""
    if arr.flags.owndata:
        return arr.flags.writeable
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        return arr.flags.writeable


def borrow(arr):
    """A NumPy array as an MXNet CPU array: zero-copy (DLPack) when dtype and layout allow, else a copy."""
    mx = load()
    if arr.dtype in _DLPACK and arr.flags.c_contiguous and _writeable(arr):
        # Note: the MXNet array aliases `arr`; kernels never write into inputs, and every call is synced.
        return _alias(mx, arr)
    return mx.np.array(arr, dtype=arr.dtype, ctx=mx.cpu(0))


class _Lent:
    """What NumPy sees of a lent MXNet array: its memory (__array_interface__), kept alive by holding the array."""

    __slots__ = ("__array_interface__", "buf")


def lend(buf):
    """An MXNet CPU array as a writable NumPy array over the same memory (no copy): the NumPy array holds the MXNet
    array, whose memory stays valid while it lives (every call is synced, so no MXNet kernel writes it later)."""
    dtype = numpy.dtype(buf.dtype)
    with LOCK:
        buf.wait_to_read()
        if buf.size == 0:
            return numpy.empty(buf.shape, dtype)
        ptr = ctypes.c_void_p()
        mx = load()
        mx.base.check_call(mx.base._LIB.MXNDArrayGetData(buf.handle, ctypes.byref(ptr)))  # oneDNN layouts: reordered
    held = _Lent()
    held.buf = buf
    held.__array_interface__ = {"data": (ptr.value, False), "shape": tuple(buf.shape), "typestr": dtype.str,
                                "version": 3}
    return numpy.asarray(held)


def host_view(buf):
    """None: MXNet's buffers are not viewed as NumPy's in place (no scaled arrays on its devices)."""
    return None


def sole(buf):
    return False


def empty_like(buf):
    return load().nd.zeros_like(buf)


def errors():
    # Note: MXNet's Python layer also raises NotImplementedError, TypeError, ValueError and IndexError for calls
    # its kernels do not support; NumPy reruns such a call and gives NumPy's result or NumPy's error
    return (load().base.MXNetError, NotImplementedError, TypeError, ValueError, IndexError)


def kernels():
    """The kernel table for this backend's devices (mxnet_ops.py), built on first use."""
    return table_of(_tables, "kernels", "mxnet_ops")


def host_kernels():
    """The kernels the cpu device borrows, on NumPy buffers."""
    return table_of(_tables, "host_kernels", "mxnet_ops")


def inplace_kernels():
    """None: an MXNet array's in-place operator computes a new buffer and takes it (this backend has no views)."""
    return {}


_tables = {}
