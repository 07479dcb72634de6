"""`from minpy_array import mxnet as mx` (or `import minpy_array.mxnet as mx`): the mxnet module, loaded as
minpy_array loads it (once; with NumPy 1.26's `numpy.bool` alias, MXNet's synchronous engine unless
MXNET_ENGINE_TYPE says otherwise, and NumPy-compatible shapes through `npx.set_np()`).  ImportError naming the
`minpy_array[mxnet]` extra when MXNet is not installed.  Plain `import mxnet` works too (see _minpy_array_hook)."""
import sys

from .ops import _mxnet

sys.modules[__name__] = _mxnet.load()
