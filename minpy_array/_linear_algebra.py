"""Linear algebra functions of the main namespace (the linalg extension re-exports them)."""
from ._data_type import check_array, promote_arrays
from ._dispatch import apply


def _pair(x1, x2, name):
    check_array(x1, name, "numeric")
    check_array(x2, name, "numeric")
    return promote_arrays((x1, x2), name)


def matmul(x1, x2, /):
    a, b = _pair(x1, x2, "matmul")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("matmul: 0-d arrays are not allowed")
    return apply("matmul", a, b)


def matrix_transpose(x, /):
    check_array(x, "matrix_transpose")
    if x.ndim < 2:
        raise ValueError("matrix_transpose: x must have at least 2 dimensions")
    return apply("swapaxes", x, -1, -2)


def tensordot(x1, x2, /, *, axes=2):
    a, b = _pair(x1, x2, "tensordot")
    return apply("tensordot", a, b, axes=axes)


def vecdot(x1, x2, /, *, axis=-1):
    a, b = _pair(x1, x2, "vecdot")
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError("vecdot: 0-d arrays are not allowed")
    if not (-a.ndim <= axis < a.ndim and -b.ndim <= axis < b.ndim):
        raise ValueError(f"vecdot: axis {axis} is out of bounds")
    if a.shape[axis] != b.shape[axis]:
        raise ValueError(f"vecdot: x1 and x2 differ in size along axis {axis}")
    return apply("vecdot", a, b, axis=axis)
