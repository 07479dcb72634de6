"""`import minpy_array.numpy as np`: the whole NumPy surface, on MinArrays.

Every public NumPy name resolves: ufuncs and functions go through the engine (MXNet kernels where a guard admits
the call, NumPy otherwise) and return MinArrays on the input's device (the default device for creation functions,
with NumPy's default dtypes); dtypes, constants and classes are NumPy's own.  `ndarray` is MinArray, so
`isinstance(x, np.ndarray)` keeps working in drop-in code.
"""
import numpy as _numpy

from .._array import MinArray as ndarray  # noqa: F401
from ..dispatch.policy import (  # noqa: F401  MinPy's numpy face had these
    get_global_policy,
    record_op_stat,
    set_global_policy,
    show_op_stat,
    wrap_policy,
)
from . import _face, fft, lib, linalg, random  # noqa: F401
from ._index_tricks import c_, r_  # noqa: F401

__version__ = _numpy.__version__  # NumPy's: the face follows the NumPy it runs on

for _name in dir(_numpy):
    if isinstance(getattr(_numpy, _name), _numpy.ufunc):
        globals()[_name] = _face.Ufunc(getattr(_numpy, _name))

__getattr__ = _face.make_getattr(_numpy, globals())
__dir__ = _face.make_dir(_numpy, globals())
del _name
