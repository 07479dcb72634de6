"""MinPy's `minpy.array` names: `Array` is minpy_array's MinArray; `Number` is the type of scalar values."""
from numbers import Number

from ._array import MinArray as Array

__all__ = ["Array", "Number"]
