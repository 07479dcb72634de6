"""`minpy_array.numpy.linalg`: numpy.linalg on MinArrays (every name resolves; results are MinArrays)."""
import numpy as _numpy

from . import _face

__getattr__ = _face.make_getattr(_numpy.linalg, globals(), "linalg.")
__dir__ = _face.make_dir(_numpy.linalg, globals())
