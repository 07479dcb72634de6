"""Set functions: NumPy's unique with every NaN distinct (equal_nan=False) and the inverse in x's shape."""
from collections import namedtuple

from ._data_type import SCALARS, check_array
from ._dispatch import apply

UniqueAllResult = namedtuple("UniqueAllResult", "values indices inverse_indices counts")
UniqueCountsResult = namedtuple("UniqueCountsResult", "values counts")
UniqueInverseResult = namedtuple("UniqueInverseResult", "values inverse_indices")


def _unique(x, name, **kw):
    check_array(x, name)
    return apply("unique", x, equal_nan=False, **kw)


def unique_all(x, /):
    values, indices, inverse, counts = _unique(x, "unique_all", return_index=True, return_inverse=True,
                                               return_counts=True)
    return UniqueAllResult(values, indices, apply("reshape", inverse, x.shape), counts)


def unique_counts(x, /):
    return UniqueCountsResult(*_unique(x, "unique_counts", return_counts=True))


def unique_inverse(x, /):
    values, inverse = _unique(x, "unique_inverse", return_inverse=True)
    return UniqueInverseResult(values, apply("reshape", inverse, x.shape))


def unique_values(x, /):
    return _unique(x, "unique_values")


def isin(x1, x2, /, *, invert=False):
    for v in (x1, x2):
        if type(v) not in SCALARS:
            check_array(v, "isin")
    if type(x1) in SCALARS and type(x2) in SCALARS:
        raise TypeError("isin: at least one argument must be a MinArray")
    return apply("isin", x1, x2, invert=invert)
