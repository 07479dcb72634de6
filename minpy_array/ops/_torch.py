"""The PyTorch backend's runtime: the one place that imports torch (lazily: NumPy-only work never does).

Devices: "cuda:N" (a CUDA device) and "torch:cpu" (torch CPU tensors as a device: it runs the whole device logic
on real torch kernels where there is no GPU, as "sim:N" does for MXNet).  Slices and reshapes are torch views, so
writes through them reach the base as in NumPy.  Nothing here waits for a CUDA device except moving a buffer to
the host (a value the user asked for).  torch is safe to call from many threads at once.
"""
import ctypes
import importlib.util
import os
import sys
import threading

import numpy

from . import _numpy, table_of

NAME = "torch"
EXTRA = "torch"
DEVICE_KINDS = {"cuda": None, "torch": "cpu"}
STAND_IN = "torch:cpu"  # the device that runs this backend on host memory, for tests without a GPU
VIEWS = True
_state = {"torch": None, "error": None}
_lock = threading.Lock()

# dtypes torch holds with full operator support (its uint16/32/64 have only a few kernels)
DTYPES = frozenset(numpy.dtype(d) for d in ("bool", "int8", "int16", "int32", "int64", "uint8", "float16",
                                            "float32", "float64", "complex64", "complex128"))


def installed():
    """Is torch importable (without importing it)?"""
    return _state["torch"] is not None or importlib.util.find_spec("torch") is not None


def load():
    """Import torch once and return the module; ImportError naming the extra if it is missing."""
    torch = _state["torch"]
    if torch is not None:
        return torch
    with _lock:
        if _state["torch"] is None:
            if _state["error"] is not None:
                raise _state["error"]
            first = "torch" not in sys.modules
            try:
                import torch
            except ImportError as e:
                _state["error"] = ImportError(f"this needs PyTorch: pip install 'minpy_array[torch]': {e}")
                raise _state["error"] from e
            if first:
                torch.set_num_threads(_numpy.blas_threads() or torch.get_num_threads())  # NumPy's count
            _state["torch"] = torch
    return _state["torch"]


def available():
    """True when torch can be used; never raises."""
    if _state["torch"] is not None:
        return True
    if _state["error"] is not None or not installed():
        return False
    try:
        load()
        return True
    except ImportError:
        return False


def devices():
    """The CUDA devices that exist."""
    if not available():
        return ()
    cuda = load().cuda
    return tuple(("cuda", i) for i in range(cuda.device_count())) if cuda.is_available() else ()


def numpy_dtype(dtype):
    """The NumPy dtype of a torch dtype."""
    return load().empty((), dtype=dtype).numpy().dtype  # TypeError for bfloat16, which NumPy lacks


def holds(dtype):
    return dtype in DTYPES


def is_buffer(obj):
    torch = _state["torch"]
    return torch is not None and isinstance(obj, torch.Tensor)


def strides(buf):
    """A tensor's strides in bytes, as NumPy counts them (its views have strides of their own)."""
    return tuple(s * buf.element_size() for s in buf.stride())


def device_of(buf):
    """(kind, index) of the CUDA device holding buf, or None for host memory."""
    d = buf.device
    return ("cuda", d.index or 0) if d.type == "cuda" else None


_CONTEXTS = {}


def context(device):
    """The torch.device of a minpy_array Device (torch:cpu and the cpu: the CPU)."""
    ctx = _CONTEXTS.get(device)
    if ctx is None:
        torch = load()
        ctx = _CONTEXTS[device] = torch.device("cuda", device.index) if device.kind == "cuda" else \
            torch.device("cpu")
    return ctx


def to_numpy(buf):
    """A NumPy copy of a tensor (never an alias of device memory)."""
    if buf.device.type == "cpu":
        return buf.resolve_conj().numpy().copy()
    return buf.resolve_conj().cpu().numpy()


def from_numpy(arr, device):
    """A NumPy array as a tensor on `device` (a copy)."""
    return tensor(arr, context(device))


def tensor(arr, ctx):
    """A NumPy array as a tensor on torch.device ctx (a copy).  To a CUDA device it goes through pinned memory
    without waiting for the device (the copy is queued behind the device's work)."""
    torch = load()
    fresh = not (arr.flags.writeable and arr.flags.c_contiguous and arr.dtype.isnative
                 and min(arr.strides, default=0) >= 0)  # Note: NumPy calls a size-1 array with a negative stride
    # contiguous; torch refuses negative strides
    t = torch.from_numpy(numpy.array(arr, order="C") if fresh else arr)
    if ctx.type == "cuda":
        return t.pin_memory().to(ctx, non_blocking=True)
    return t if fresh else t.clone()


def borrow(arr):
    """A NumPy array as a CPU tensor over the same memory (no copy), for the cpu device's borrowed kernels; None
    where torch cannot alias it (read-only, negative strides, a dtype torch lacks)."""
    flags, dt = arr.flags, arr.dtype
    if not flags.writeable or dt not in DTYPES or not dt.isnative:
        return None
    if not flags.c_contiguous and min(arr.strides, default=0) < 0:
        return None
    return load().from_numpy(arr)


def blas():
    """The Fortran-interface GEMMs of the BLAS inside torch's library (MKL in its x86 wheels), for the cpu device's
    products (_blas.gemm): {"sgemm", "dgemm": addresses, "set_threads": MKL's MKL_Set_Num_Threads_Local (the C
    one: the lower-case name is Fortran's, taking a pointer) or 0, "threads": torch's thread count (NumPy's:
    load())}; None where the library exports none, the machine is not little-endian, or a probe product differs
    from NumPy's.  Found once."""
    if "blas" not in _state:
        torch = load()  # (before the lock, which load() takes)
        with _lock:
            if "blas" not in _state:
                _state["blas"] = _find_blas(torch)
    return _state["blas"]


def _find_blas(torch):
    if sys.byteorder != "little" or not torch.backends.mkl.is_available():
        return None
    lib_dir = os.path.join(os.path.dirname(torch.__file__), "lib")
    for name in ("libtorch_cpu.so", "libtorch_cpu.dylib", "torch_cpu.dll"):
        path = os.path.join(lib_dir, name)
        if os.path.exists(path):
            try:
                lib = ctypes.CDLL(path)  # (loaded already by `import torch`: this finds it)
            except OSError:
                return None
            break
    else:
        return None
    fns = {"threads": torch.get_num_threads()}
    for key, names in (("sgemm", ("sgemm_", "sgemm")), ("dgemm", ("dgemm_", "dgemm")),
                       ("set_threads", ("MKL_Set_Num_Threads_Local",))):
        found = [getattr(lib, n, None) for n in names]
        found = [f for f in found if f is not None]
        fns[key] = ctypes.cast(found[0], ctypes.c_void_p).value if found else 0
    return fns if fns["sgemm"] and fns["dgemm"] and _probe(fns) else None


def _probe(fns):
    """Do the GEMMs give NumPy's products (every layout and transpose Gemm reads) on small exact cases?"""
    from . import Decline
    from ._blas import gemm

    def refuse(*args):
        raise LookupError
    run = gemm(fns, refuse, Decline, True)
    rng = numpy.random.default_rng(0)
    for dt in ("float32", "float64"):
        a, b = rng.integers(-4, 5, (3, 5)).astype(dt), rng.integers(-4, 5, (5, 2)).astype(dt)
        for x, y, ta, tb in ((a, b, False, False), (a.T.copy(), b, True, False), (a, b.T.copy(), False, True),
                             (numpy.asfortranarray(a), b.T, False, True)):
            try:
                if not numpy.array_equal(run(x, y, ta, tb), a @ b):
                    return False
            except (LookupError, Decline):
                return False
    return True


def write(dst, src):
    if overlapping(dst):
        raise ValueError("output array is read-only")
    dst.copy_(src)


def writeable(buf):
    """Can buf be written (not a broadcast view, which NumPy makes read-only)?"""
    return not overlapping(buf)


def host_view(buf):
    """A NumPy array over a CPU tensor's memory (no copy), or None (device memory, or a tensor NumPy cannot view)."""
    if not buf.is_cpu:  # (a flag read: buf.device builds a torch.device, 5x the cost, on this per-update path)
        return None
    try:
        return buf.numpy()
    except (TypeError, RuntimeError):  # a dtype NumPy lacks, a conjugate or negative bit, requires_grad
        return None


def sole(buf):
    """Is a CPU tensor's memory reachable through this tensor only: torch's own allocation (not a NumPy array's), no
    view of it, no other tensor or NumPy array over it?  (Its Python references are the caller's to count.)"""
    uses = getattr(load()._C, "_storage_Use_Count", None)  # (torch's own test helper: None, no scaled arrays)
    if uses is None or not buf.is_cpu or buf._base is not None:
        return False
    s = buf.untyped_storage()
    return s.resizable() and uses(s._cdata) == 2  # (the tensor's reference, and s's)


def empty_like(buf):
    return load().empty_like(buf)


def overlapping(t):
    """Is t a broadcast view (read-only, as NumPy's broadcast_to results are)?  A stretched axis (a zero stride over
    2+ elements) or the mark torch_ops' broadcast_to leaves where there is none."""
    st = t.stride()
    if 0 in st and t.numel() > 1 and any(s == 0 and n > 1 for s, n in zip(st, t.shape, strict=True)):
        return True
    return "read_only_broadcast" in t.__dict__


def dlpack(buf, stream=None, max_version=None, copy=None):
    if copy:
        buf = buf.clone()
    kw = {} if max_version is None else {"max_version": max_version}
    return buf.__dlpack__(stream=stream, **kw)


def dlpack_device(buf):
    return tuple(int(v) for v in buf.__dlpack_device__())


def errors():
    # Note: torch reports bad arguments as RuntimeError, TypeError, ValueError or IndexError; NumPy reruns such a
    # call and gives NumPy's result or NumPy's error
    return (RuntimeError, TypeError, ValueError, IndexError)


def kernels():
    """The kernel table for this backend's devices (torch_ops.py), built on first use."""
    return table_of(_tables, "kernels", "torch_ops")


def host_kernels():
    """The kernels the cpu device borrows, on NumPy buffers."""
    return table_of(_tables, "host_kernels", "torch_ops")


def inplace_kernels():
    """x op= y written into x's own tensor (the device's in-place operators), built on first use."""
    return table_of(_tables, "inplace_kernels", "torch_ops")


_tables = {}
