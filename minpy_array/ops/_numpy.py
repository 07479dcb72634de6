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


def inplace_kernels():
    return {}  # (the cpu device's in-place operators run NumPy's out= on the array's own buffer: _array._iop)


def _always(dts, args, kw):
    return True


def blas():
    """(threads, description) of NumPy's BLAS as threadpoolctl reports it (OMP_NUM_THREADS, OPENBLAS_NUM_THREADS and
    threadpool_limits set the count), or (None, why not)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None, "BLAS unknown (threadpoolctl is not installed)"
    libs = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    mine = [i for i in libs if "numpy" in i.get("filepath", "")] or libs[:1]
    if not mine:
        return None, "BLAS unknown"
    i = mine[0]
    return i["num_threads"], f"{i['internal_api']} {i.get('version')} {i.get('architecture') or ''}".strip()


def blas_threads():
    """How many threads NumPy's BLAS runs, or None.  The other backends' CPU kernels get the same count when
    minpy_array imports their library, so that one op of any library uses the cores NumPy is configured to use and
    no more (torch's own default is every core; MXNet's is one thread in the calling thread, whatever NumPy was
    told)."""
    return blas()[0]


def thread_libraries():
    """The file paths of the OpenMP and BLAS libraries loaded now (threadpoolctl), or None without threadpoolctl."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    return {i["filepath"] for i in threadpool_info()}


def follow_threads(before):
    """Give every OpenMP and BLAS library loaded since `before` (thread_libraries() then) NumPy's thread count."""
    n = blas_threads()
    if before is None or not n:
        return
    from threadpoolctl import ThreadpoolController

    ctl = ThreadpoolController()
    new = [c.filepath for c in ctl.lib_controllers if c.filepath not in before]
    if new:
        ctl.select(filepath=new).limit(limits=n)
