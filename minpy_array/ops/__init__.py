"""The backends.  Each is one pair of modules: `_<name>.py`, its runtime (the one place that imports the library:
buffers to and from NumPy, device contexts, synchronisation, error types, thread safety), and `<name>_ops.py`, its
kernel table ({op name: (kernel, guard)}, built on first use).  Runtimes are found here by scanning this package,
so a new backend is a new pair of files (and its parity test), nothing else.

A runtime module defines:
  NAME            the backend's name ("numpy", "mxnet", "torch"): policies `prefer_<NAME>` and `<NAME>_only`
  EXTRA           the pip extra that installs the library (None for NumPy)
  DEVICE_KINDS    {device kind: None (indexed: "gpu:0") or a fixed label ("torch:cpu")}
  STAND_IN        a device of its own that lives in host memory ("sim:0", "torch:cpu"): tests run its kernels there
  VIEWS           whether slices and reshapes on its devices are views that writes go through
  installed(), available(), load()   without importing / importing the library
  devices()       the hardware devices that exist, as (kind, index) pairs (the stand-ins are not listed)
  holds(dtype)    whether its devices hold arrays of this NumPy dtype
  is_buffer(obj)  whether obj is one of its arrays (False without importing the library)
  to_numpy(buf)   a NumPy copy;  from_numpy(arr, device) a buffer on device;  write(dst, src) in place;
  writeable(buf)  False for a read-only buffer (a broadcast view)
  host_view(buf), sole(buf), empty_like(buf)   (backends with devices of their own, for _speedups.c's scaled
                  arrays): a NumPy array over the buffer's memory or None (device memory); whether nothing but
                  this buffer reaches its memory (its Python references aside); a new buffer like it
  dlpack(buf, **kw), dlpack_device(buf), device_of(buf) ((kind, index) of an accelerator holding it, or None),
  numpy_dtype(dtype) (the NumPy dtype of one of its dtypes)
  errors()        exception types a kernel failure raises (then NumPy reruns the call)
  kernels()       the table for its devices; host_kernels() the same kernels reading and returning NumPy buffers
                  (the cpu device borrows them: no copy where the library can alias host memory)
"""
import importlib
import pkgutil


class Decline(Exception):
    """Raised by a kernel that sees, from what is on the host, that NumPy must answer the call instead."""


class Invalid(Exception):
    """Raised by a kernel that finds the call invalid as NumPy would: the engine raises `error` (NumPy's
    exception) at the call, instead of rerunning it on NumPy."""

    def __init__(self, error):
        super().__init__(error)
        self.error = error


def table_of(tables, kind, module):
    """A backend's kernel table `kind` ("kernels" or "host_kernels"), built on first use by the function of that name
    in ops/<module>.py and kept in the backend's dict `tables`."""
    t = tables.get(kind)
    if t is None:
        t = tables[kind] = getattr(importlib.import_module(f"{__name__}.{module}"), kind)()
    return t


def _discover():
    found = {}
    for m in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if m.name.startswith("_") and not m.name.startswith("__"):
            mod = importlib.import_module(f"{__name__}.{m.name}")
            if hasattr(mod, "NAME") and hasattr(mod, "DEVICE_KINDS"):
                found[mod.NAME] = mod
    numpy_first = {"numpy": found.pop("numpy")}
    numpy_first.update(found)
    return numpy_first


BACKENDS = _discover()
NUMPY = BACKENDS["numpy"]
ACCELERATED = tuple(b for b in BACKENDS.values() if b is not NUMPY)
KIND_BACKEND = {kind: b for b in BACKENDS.values() for kind in b.DEVICE_KINDS}


def buffer_backend(obj):
    """The backend whose array `obj` is, or None (never imports a library)."""
    for b in ACCELERATED:
        if b.is_buffer(obj):
            return b
    return None
