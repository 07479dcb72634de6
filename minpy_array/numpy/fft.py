"""`minpy_array.numpy.fft`: numpy.fft on MinArrays (every name resolves; results are MinArrays)."""
import numpy as _numpy

from . import _face

__getattr__ = _face.make_getattr(_numpy.fft, globals(), "fft.")
__dir__ = _face.make_dir(_numpy.fft, globals())
