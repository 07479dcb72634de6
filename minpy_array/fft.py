"""The Array API fft extension.  MXNet has no CPU FFT, so NumPy serves it; results keep the input's precision
(NumPy 1.26 computes in double: complex64 / float32 inputs are cast back)."""
import numpy

from . import _dtypes
from ._creation import place
from ._data_type import as_dtype, cast, check_array
from ._dispatch import apply

__all__ = ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft", "ihfft", "fftfreq",
           "rfftfreq", "fftshift", "ifftshift"]

_COMPLEX = {_dtypes.float32: _dtypes.complex64, _dtypes.complex64: _dtypes.complex64,
            _dtypes.float64: _dtypes.complex128, _dtypes.complex128: _dtypes.complex128}
_REAL = {_dtypes.complex64: _dtypes.float32, _dtypes.complex128: _dtypes.float64}
_NORMS = ("backward", "ortho", "forward")

_C, _R = "complex floating-point", "real floating-point"


def _check(x, name, category, norm):
    check_array(x, f"fft.{name}", category)
    if norm not in _NORMS:
        raise ValueError(f"fft.{name}: norm must be one of {_NORMS}, not {norm!r}")


def _one_d(name, category, result):
    def f(x, /, *, n=None, axis=-1, norm="backward"):
        _check(x, name, category, norm)
        return cast(apply(f"fft.{name}", x, n=n, axis=axis, norm=norm), result[x.dtype])

    f.__name__ = f.__qualname__ = name
    return f


def _n_d(name, category, result):
    def f(x, /, *, s=None, axes=None, norm="backward"):
        _check(x, name, category, norm)
        if s is not None:
            s = tuple(s)
            if axes is None:
                axes = tuple(range(-len(s), 0))
            s = tuple(_full_length(name, x.shape[a]) if n == -1 else n for n, a in zip(s, axes, strict=True))
        axes = None if axes is None else tuple(axes)
        return cast(apply(f"fft.{name}", x, s=s, axes=axes, norm=norm), result[x.dtype])

    f.__name__ = f.__qualname__ = name
    return f


def _full_length(name, m):
    """The length that s[i] == -1 stands for: the whole axis (the inverse real transform: 2 (m - 1))."""
    return 2 * (m - 1) if name == "irfftn" else m


def _freq(kernel, name, n, d, dtype, device):
    dt = _dtypes.float64 if dtype is None else as_dtype(dtype, f"fft.{name}")
    if dt.kind != "f":
        raise TypeError(f"fft.{name}: dtype must be a real floating-point dtype, not {dt}")
    return place(kernel(n, d).astype(dt, copy=False), device)


def fftfreq(n, /, *, d=1.0, dtype=None, device=None):
    return _freq(numpy.fft.fftfreq, "fftfreq", n, d, dtype, device)


def rfftfreq(n, /, *, d=1.0, dtype=None, device=None):
    return _freq(numpy.fft.rfftfreq, "rfftfreq", n, d, dtype, device)


def fftshift(x, /, *, axes=None):
    check_array(x, "fft.fftshift", "floating-point")
    return apply("fft.fftshift", x, axes=None if axes is None else (axes if isinstance(axes, int) else tuple(axes)))


def ifftshift(x, /, *, axes=None):
    check_array(x, "fft.ifftshift", "floating-point")
    return apply("fft.ifftshift", x, axes=None if axes is None else (axes if isinstance(axes, int) else tuple(axes)))


fft = _one_d("fft", _C, _COMPLEX)
ifft = _one_d("ifft", _C, _COMPLEX)
rfft = _one_d("rfft", _R, _COMPLEX)
irfft = _one_d("irfft", _C, _REAL)
hfft = _one_d("hfft", _C, _REAL)
ihfft = _one_d("ihfft", _R, _COMPLEX)
fftn = _n_d("fftn", _C, _COMPLEX)
ifftn = _n_d("ifftn", _C, _COMPLEX)
rfftn = _n_d("rfftn", _R, _COMPLEX)
irfftn = _n_d("irfftn", _C, _REAL)
