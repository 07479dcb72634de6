"""The two faces of one array type (README, "Two faces").

A MinArray's `_face` is True for the NumPy face (`minpy_array.numpy`, and NumPy's own functions and methods on its
arrays) and False for the Array API namespace (`minpy_array`).  The engine gives a result the face of its call: a
function of `minpy_array.numpy` the NumPy face; a method, an operator or `numpy.foo(x)` the face of its MinArray
operands (the NumPy face when each one has it); a call with no array operand the spec's.  A NumPy-face result on
the cpu that is not traced is what NumPy returns, a NumPy scalar included; everything else is a MinArray.

The namespace's functions take their array arguments as spec-face arrays first (spec_function), so they always
return the spec's arrays, whichever face made their arguments.
"""
import functools

from ._array import MinArray, with_face


def _spec(x):
    t = type(x)
    if t is MinArray:
        return with_face(x, False) if x._face else x
    if t is list or t is tuple:
        for v in x:
            if type(v) in (MinArray, list, tuple):
                return t(_spec(v) for v in x)
    return x


def spec_function(f):
    """Namespace function f, taking NumPy-face arrays (at any depth of its list and tuple arguments) as spec ones."""

    @functools.wraps(f)
    def call(*args, **kwargs):
        return f(*[_spec(a) for a in args], **({k: _spec(v) for k, v in kwargs.items()} if kwargs else kwargs))

    call.__wrapped_spec__ = f
    return call
