"""MinPy's `minpy.core` over minpy_array: grad, grad_and_loss, Function, and the NumPy <-> MinArray conversions.

`grad(f, argnum)` and `grad_and_loss(f, argnum)` keep MinPy's conventions: `argnum` is an int or a sequence of ints
(then a tuple of gradients; a one-element sequence gives the gradient itself, as MinPy did), and a function with a
non-scalar output (or a tuple of outputs) is differentiated as the sum of all its elements, since MinPy seeded every
output element with 1.  `minpy_array.autodiff.grad` is the strict form (scalar outputs only).  `Function` is
`minpy_array.Function` with MinPy's methods and call conventions.
"""
import functools

import numpy

from . import symbol
from ._array import MinArray
from .autodiff import stop_gradient, value_and_grad

_numpy_face = None


def _np():
    global _numpy_face
    if _numpy_face is None:
        import minpy_array.numpy as face

        _numpy_face = face
    return _numpy_face


def _total(out):
    """A scalar whose gradient is the sum of every output element's (MinPy's seed of ones)."""
    if type(out) is MinArray:
        return out if out.size == 1 else _np().sum(out)
    if type(out) in (tuple, list):
        return sum(_total(o) for o in out)
    return out


def grad_and_loss(func, argnum=0):
    """func -> a function returning (gradient(s) with respect to argument(s) `argnum`, func's output)."""
    nums = argnum if isinstance(argnum, int) else tuple(argnum)

    @functools.wraps(func)
    def wrapped(*args):
        outs = []

        @functools.wraps(func)
        def seeded(*a):
            out = func(*a)
            outs.append(out)
            return _total(out)

        _, grads = value_and_grad(seeded, nums)(*args)
        if not isinstance(nums, int) and len(nums) == 1:
            grads = grads[0]
        return grads, stop_gradient(outs[-1])

    return wrapped


def grad(func, argnum=0):
    """func -> the function giving func's gradient with respect to argument(s) `argnum` (see grad_and_loss)."""
    gl = grad_and_loss(func, argnum)

    @functools.wraps(func)
    def wrapped(*args):
        return gl(*args)[0]

    return wrapped


def numpy_to_minpy(var):
    """NumPy arrays (also inside dicts, lists and tuples) as MinArrays; anything else as it is."""
    if isinstance(var, numpy.ndarray):
        return _np().asarray(var)
    if isinstance(var, dict):
        return type(var)((k, numpy_to_minpy(v)) for k, v in var.items())
    if type(var) in (list, tuple):
        return type(var)(numpy_to_minpy(v) for v in var)
    return var


def minpy_to_numpy(var):
    """MinArrays (also inside dicts, lists and tuples) as NumPy arrays; anything else as it is."""
    if type(var) is MinArray:
        return var.asnumpy()
    if isinstance(var, dict):
        return type(var)((k, minpy_to_numpy(v)) for k, v in var.items())
    if type(var) in (list, tuple):
        return type(var)(minpy_to_numpy(v) for v in var)
    return var


def convert_args(func):
    """Decorator: NumPy array arguments arrive as MinArrays."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return func(*numpy_to_minpy(args), **numpy_to_minpy(kwargs))

    return wrapper


def return_numpy(func):
    """Decorator: MinArrays in the return value come back as NumPy arrays."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return minpy_to_numpy(func(*args, **kwargs))

    return wrapper


def _shape_dict(input_shapes):
    """{name: shape}; MinPy's README and blog wrote `{'x', (8, 3, 10, 10)}` (a set): one name and one shape."""
    if isinstance(input_shapes, (set, frozenset)):
        names = [k for k in input_shapes if isinstance(k, str)]
        shapes = [k for k in input_shapes if isinstance(k, tuple)]
        if len(input_shapes) != 2 or len(names) != 1 or len(shapes) != 1:
            raise TypeError(f"Function: input_shapes must be a dict {{name: shape}}, got the set {input_shapes!r}")
        return {names[0]: shapes[0]}
    return input_shapes


class Function(symbol.Function):
    """minpy_array.Function with MinPy's ways: `Function(symbol, input_shapes, name)`, get_params(),
    get_output_shapes(), get_one_output_shape().

    Note: as in MinPy, keyword arguments the symbol does not take are ignored (so `f(X=x, **model.params)` works)
    and arguments left out are zeros once their shapes are known (MinPy bound a fresh, zeroed executor per call);
    minpy_array.Function raises TypeError for both."""

    def __init__(self, symbol, input_shapes=None, name=None, **options):
        super().__init__(symbol, _shape_dict(input_shapes), name=name, **options)

    def __call__(self, *args, **kwargs):
        if args:
            return super().__call__(*args, **kwargs)
        kwargs = {k: v for k, v in kwargs.items() if k in self.arg_names}
        missing = [n for n in self.arg_names if n not in kwargs]
        if missing:
            try:
                shapes = self.arg_shapes
            except ValueError:  # shapes unknown yet: the call below names the missing arguments
                shapes = {}
            floats = [v.dtype for v in kwargs.values() if getattr(v, "dtype", numpy.dtype("O")).kind == "f"]
            for n in missing:
                if shapes.get(n) is not None:
                    kwargs[n] = _np().zeros(shapes[n], dtype=floats[0] if floats else numpy.float32)
        return super().__call__(**kwargs)

    def get_params(self):
        """{parameter: {'shape': shape}} for the arguments not named in input_shapes."""
        return {k: {"shape": s} for k, s in self.param_shapes.items()}

    def get_output_shapes(self):
        """{output name: shape}."""
        return dict(zip(self.output_names, self.output_shapes, strict=True))

    def get_one_output_shape(self):
        """The shape of the only output (ValueError when the symbol has several)."""
        if len(self.output_names) != 1:
            raise ValueError(f"{self.name}: the symbol has {len(self.output_names)} outputs "
                             f"({', '.join(self.output_names)}); use get_output_shapes()")
        return self.output_shapes[0]


__all__ = ["grad", "grad_and_loss", "Function", "numpy_to_minpy", "minpy_to_numpy", "convert_args",
           "return_numpy"]
