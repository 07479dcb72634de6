"""The Array API linalg extension, on NumPy's linalg kernels (MXNet where a guard admits the call)."""
from collections import namedtuple

import numpy

from . import _dtypes
from ._data_type import accumulation_dtype, axis_arg, cast, check_array, dtype_kw, promote_arrays
from ._dispatch import apply
from ._linear_algebra import matmul, matrix_transpose, tensordot, vecdot

__all__ = ["cholesky", "cross", "det", "diagonal", "eig", "eigh", "eigvals", "eigvalsh", "inv", "matmul",
           "matrix_norm", "matrix_power", "matrix_rank", "matrix_transpose", "outer", "pinv", "qr", "slogdet",
           "solve", "svd", "svdvals", "tensordot", "trace", "vecdot", "vector_norm"]

EigResult = namedtuple("EigResult", "eigenvalues eigenvectors")
EighResult = namedtuple("EighResult", "eigenvalues eigenvectors")
QRResult = namedtuple("QRResult", "Q R")
SlogdetResult = namedtuple("SlogdetResult", "sign logabsdet")
SVDResult = namedtuple("SVDResult", "U S Vh")

_COMPLEX_OF = {_dtypes.float32: _dtypes.complex64, _dtypes.float64: _dtypes.complex128,
               _dtypes.complex64: _dtypes.complex64, _dtypes.complex128: _dtypes.complex128}
_REAL_OF = {_dtypes.float32: _dtypes.float32, _dtypes.float64: _dtypes.float64,
            _dtypes.complex64: _dtypes.float32, _dtypes.complex128: _dtypes.float64}


def _matrix(x, name):
    check_array(x, name, "floating-point")
    if x.ndim < 2:
        raise ValueError(f"linalg.{name}: x must have at least 2 dimensions")
    return x


def _square(x, name):
    _matrix(x, name)
    if x.shape[-1] != x.shape[-2]:
        raise ValueError(f"linalg.{name}: x must be a (stack of) square matrices, not {x.shape}")
    return x


def cholesky(x, /, *, upper=False):
    low = apply("linalg.cholesky", _square(x, "cholesky"))
    if not upper:
        return low
    return apply("swapaxes", apply("conj", low) if x.dtype.kind == "c" else low, -1, -2)


def cross(x1, x2, /, *, axis=-1):
    check_array(x1, "linalg.cross", "numeric")
    check_array(x2, "linalg.cross", "numeric")
    a, b = promote_arrays((x1, x2), "linalg.cross")
    if not (-a.ndim <= axis < a.ndim and -b.ndim <= axis < b.ndim):
        raise ValueError(f"linalg.cross: axis {axis} is out of bounds")
    if a.shape[axis] != 3 or b.shape[axis] != 3:
        raise ValueError("linalg.cross: the vectors must have 3 components along axis")
    return apply("cross", a, b, axis=axis)


def det(x, /):
    return apply("linalg.det", _square(x, "det"))


def diagonal(x, /, *, offset=0):
    check_array(x, "linalg.diagonal")
    if x.ndim < 2:
        raise ValueError("linalg.diagonal: x must have at least 2 dimensions")
    return apply("diagonal", x, offset=offset, axis1=-2, axis2=-1)


def eig(x, /):
    w, v = apply("linalg.eig", _square(x, "eig"))
    ct = _COMPLEX_OF[x.dtype]
    return EigResult(cast(w, ct), cast(v, ct))


def eigvals(x, /):
    return cast(apply("linalg.eigvals", _square(x, "eigvals")), _COMPLEX_OF[x.dtype])


def eigh(x, /):
    return EighResult(*apply("linalg.eigh", _square(x, "eigh")))


def eigvalsh(x, /):
    return apply("linalg.eigvalsh", _square(x, "eigvalsh"))


def inv(x, /):
    return apply("linalg.inv", _square(x, "inv"))


def matrix_norm(x, /, *, keepdims=False, ord="fro"):
    _matrix(x, "matrix_norm")
    out = apply("linalg.norm", x, ord=ord, axis=(-2, -1), keepdims=keepdims)
    return cast(out, _REAL_OF[x.dtype])


def matrix_power(x, n, /):
    check_array(x, "linalg.matrix_power", "numeric")
    return apply("linalg.matrix_power", x, n)


def matrix_rank(x, /, *, rtol=None):
    _matrix(x, "matrix_rank")
    s = svdvals(x)
    if rtol is None:
        rtol = max(x.shape[-2:]) * float(numpy.finfo(_REAL_OF[x.dtype]).eps)
    elif not isinstance(rtol, (int, float)):
        check_array(rtol, "linalg.matrix_rank", "real floating-point")
        rtol = apply("expand_dims", rtol, -1)
    tol = apply("multiply", apply("max", s, axis=-1, keepdims=True), rtol)
    return apply("count_nonzero", apply("greater", s, tol), axis=-1)


def outer(x1, x2, /):
    check_array(x1, "linalg.outer", "numeric")
    check_array(x2, "linalg.outer", "numeric")
    if x1.ndim != 1 or x2.ndim != 1:
        raise ValueError("linalg.outer: x1 and x2 must be one-dimensional")
    a, b = promote_arrays((x1, x2), "linalg.outer")
    return apply("outer", a, b)


def pinv(x, /, *, rtol=None):
    _matrix(x, "pinv")
    if rtol is None:
        rtol = max(x.shape[-2:]) * float(numpy.finfo(_REAL_OF[x.dtype]).eps)
    return apply("linalg.pinv", x, rcond=rtol)


def qr(x, /, *, mode="reduced"):
    if mode not in ("reduced", "complete"):
        raise ValueError(f"linalg.qr: mode must be 'reduced' or 'complete', not {mode!r}")
    return QRResult(*apply("linalg.qr", _matrix(x, "qr"), mode=mode))


def slogdet(x, /):
    return SlogdetResult(*apply("linalg.slogdet", _square(x, "slogdet")))


def solve(x1, x2, /):
    _square(x1, "solve")
    check_array(x2, "linalg.solve", "floating-point")
    a, b = promote_arrays((x1, x2), "linalg.solve")
    if b.ndim == 1:
        # Note: the spec reads a 1-d x2 as one vector; NumPy 1.26 reads an x2 of ndim x1.ndim-1 as a stack of them
        if b.shape[0] != a.shape[-1]:
            raise ValueError("linalg.solve: x2's length must equal x1's matrix size")
        out = apply("linalg.solve", a, apply("broadcast_to", apply("reshape", b, (-1, 1)),
                                             a.shape[:-2] + (b.shape[0], 1)))
        return apply("reshape", out, out.shape[:-1])
    batch = numpy.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    a = a if a.shape[:-2] == batch else apply("broadcast_to", a, batch + a.shape[-2:])
    b = b if b.shape[:-2] == batch else apply("broadcast_to", b, batch + b.shape[-2:])
    return apply("linalg.solve", a, b)


def svd(x, /, *, full_matrices=True):
    return SVDResult(*apply("linalg.svd", _matrix(x, "svd"), full_matrices=full_matrices))


def svdvals(x, /):
    return apply("linalg.svd", _matrix(x, "svdvals"), compute_uv=False)


def trace(x, /, *, offset=0, dtype=None):
    check_array(x, "linalg.trace", "numeric")
    if x.ndim < 2:
        raise ValueError("linalg.trace: x must have at least 2 dimensions")
    dt = accumulation_dtype(x.dtype, dtype, "linalg.trace")
    return apply("trace", x, offset=offset, axis1=-2, axis2=-1, **dtype_kw(x, dt))


def vector_norm(x, /, *, axis=None, keepdims=False, ord=2):
    check_array(x, "linalg.vector_norm", "floating-point")
    out = apply("linalg.vector_norm", x, axis=axis_arg(axis), keepdims=keepdims, ord=ord)
    return cast(out, _REAL_OF[x.dtype])
