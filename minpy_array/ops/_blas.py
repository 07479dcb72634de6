"""A BLAS GEMM lent to the cpu device's NumPy buffers: a backend whose library holds a Fortran-interface GEMM (torch's
MKL: _torch.blas()) runs the cpu's 2-d float products through it directly, without making its own arrays around the
buffers (from_numpy, the view that transposes, the result's .numpy(): 20-30 us a product, more in a training step
than the product's arithmetic on small matrices).  In C where the engine is built (_speedups.Gemm; the Python
function below stays the definition, and tests/test_native.py holds the two to the same outcomes)."""
import ctypes
import math

import numpy

from .._native import speedups
from ._guards import _finite

_Gemm = getattr(speedups, "Gemm", None)
_SIZE = ctypes.c_longlong
_GEMM = ctypes.CFUNCTYPE(None, ctypes.c_char_p, ctypes.c_char_p, *[ctypes.POINTER(_SIZE)] * 3, ctypes.c_void_p,
                         ctypes.c_void_p, ctypes.POINTER(_SIZE), ctypes.c_void_p, ctypes.POINTER(_SIZE),
                         ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(_SIZE))
_THREADS = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int)
_INT_MAX = 2 ** 31 - 1


def gemm(fns, fallback, decline, transposes):
    """A kernel (a, b) or, with `transposes`, (a, b, ta, tb) computing op(a) @ op(b) (op a transpose where its flag
    says) for 2-d float32/float64 NumPy arrays of one dtype, each read in place where it is C- or Fortran-ordered or
    rows of a wider array, through fns["sgemm"] / fns["dgemm"] (addresses of Fortran-interface GEMMs; 0 where there
    is none), the library's threads of the calling thread set to fns["threads"] for the call through
    fns["set_threads"] (0: not set); its result a new C-contiguous array, and decline() raised where a value of it
    is not finite (ON_HOST's check of products).  Any other call goes to fallback(*args, **kw).

    Sizes go to the GEMM in 64-bit slots that hold values under 2**31, so a GEMM taking 32-bit integers reads them
    as one taking 64-bit ones does (on little-endian machines, the only ones _torch.blas() answers on)."""
    if _Gemm is not None:
        return _Gemm(fns["sgemm"], fns["dgemm"], fns["set_threads"], fns["threads"], numpy.empty, fallback, decline,
                     transposes)
    calls = {"f": fns["sgemm"] and _GEMM(fns["sgemm"]), "d": fns["dgemm"] and _GEMM(fns["dgemm"])}
    set_threads = fns["set_threads"] and _THREADS(fns["set_threads"])

    def run(*args, **kw):
        if not kw and len(args) == (4 if transposes else 2) and (
                not transposes or (type(args[2]) is bool and type(args[3]) is bool)):
            r = _product(calls, set_threads, fns["threads"], args[0], args[1], transposes and args[2],
                         transposes and args[3])
            if r is False:
                raise decline()
            if r is not None:
                return r
        return fallback(*args, **kw)
    return run


def _operand(a, t):
    """(array, rows, cols, leading dimension, t) of `a` as a row-major matrix whose transpose op() reads where t, or
    None where its layout is none of those Gemm reads in place."""
    isz, (r, c), (s0, s1) = a.itemsize, a.shape, a.strides
    s1 = isz if c == 1 else s1  # (a length-1 axis's stride is any)
    s0 = c * isz if r == 1 else s0
    if s0 <= 0 or s1 <= 0 or s0 % isz or s1 % isz or a.ctypes.data % isz:
        return None
    if s1 == isz and s0 // isz >= c:
        return a, r, c, s0 // isz, t
    if s0 == isz and s1 // isz >= r:  # Fortran order: the row-major transpose
        return a, c, r, s1 // isz, not t
    return None


def _product(calls, set_threads, threads, a, b, ta, tb):
    """op(a) @ op(b) through the GEMM; None where Gemm does not compute it, False where its result is not finite."""
    if not (type(a) is numpy.ndarray and type(b) is numpy.ndarray and a.ndim == 2 and b.ndim == 2
            and a.dtype == b.dtype and a.dtype.char in "fd" and a.dtype.isnative and calls[a.dtype.char]):
        return None
    x, y = _operand(a, ta), _operand(b, tb)
    if x is None or y is None:
        return None
    m, k = (x[2], x[1]) if x[4] else (x[1], x[2])
    n = y[1] if y[4] else y[2]
    if (y[2] if y[4] else y[1]) != k or min(m, n, k) <= 0 or max(m, n, k, x[3], y[3]) >= _INT_MAX:
        return None
    out = numpy.empty((m, n), a.dtype.char)
    one, zero = (ctypes.c_float(1), ctypes.c_float(0)) if a.dtype.char == "f" else (ctypes.c_double(1),
                                                                                     ctypes.c_double(0))
    # C (m x n, row-major) is C^T (n x m) in column-major terms: op(b)^T @ op(a)^T, each row-major buffer read as
    # its column-major transpose
    before = set_threads(threads) if set_threads else 0
    calls[a.dtype.char](b"T" if y[4] else b"N", b"T" if x[4] else b"N", _SIZE(n), _SIZE(m), _SIZE(k),
                        ctypes.addressof(one), y[0].ctypes.data, _SIZE(y[3]), x[0].ctypes.data, _SIZE(x[3]),
                        ctypes.addressof(zero), out.ctypes.data, _SIZE(n))
    if set_threads:
        set_threads(before)
    return out if _bounded(x, y, m, n, k) or _finite(out) else False


def _bounded(x, y, m, n, k):
    """Is the product certainly finite from its operands alone, where they hold fewer values than the result (a
    (1024,64) @ (64,1024) weight gradient: 128K values against 1M, and a result MKL's stores leave outside the
    caches: reading it took 5-8 ms of an N=10 H=1024 step)?  Every operand value finite and 2 k max|x| max|y| under
    the dtype's largest value: a sum of k products in any order then stays under k max|x| max|y| (1 + u)**k, and
    (1 + u)**k < 2 for k < 2**22 (u = 2**-24 for float32)."""
    if m * k + k * n >= m * n or k >= 1 << 22:
        return False
    bound = float(k)
    for a in (x[0], y[0]):
        with numpy.errstate(all="ignore"):
            top = float(numpy.abs(a).max())
        if not math.isfinite(top):
            return False
        bound *= top
    return 2.0 * bound < float(numpy.finfo(x[0].dtype).max)
