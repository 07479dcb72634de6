"""`minpy_array.numpy.random`: numpy.random on MinArrays (every name resolves; results are MinArrays)."""
import numpy as _numpy

from . import _face

__getattr__ = _face.make_getattr(_numpy.random, globals(), "random.")
__dir__ = _face.make_dir(_numpy.random, globals())
