"""`minpy_array.numpy.lib`: numpy.lib's helpers on MinArrays (every name resolves; arrays come back as MinArrays).
Its submodules (stride_tricks, npyio, scimath, ...) are faces too."""
import numpy as _numpy

from .. import _face
from . import stride_tricks  # noqa: F401

__getattr__ = _face.make_getattr(_numpy.lib, globals(), "lib.")
__dir__ = _face.make_dir(_numpy.lib, globals())
