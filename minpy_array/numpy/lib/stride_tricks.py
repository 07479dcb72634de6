"""`minpy_array.numpy.lib.stride_tricks`: as_strided, sliding_window_view ... returning MinArrays (views of the
input's buffer on the cpu device, as NumPy's are)."""
import numpy.lib.stride_tricks as _stride_tricks

from .. import _face

__getattr__ = _face.make_getattr(_stride_tricks, globals(), "lib.stride_tricks.")
__dir__ = _face.make_dir(_stride_tricks, globals())
