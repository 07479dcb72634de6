"""np.r_ and np.c_ on MinArrays: NumPy's AxisConcatenator rules, built from the engine's ops (asarray, reshape,
transpose, astype, concat), so that traced pieces stay differentiable.  NumPy's own objects call numpy.array on
each piece, which a traced MinArray refuses (it would cut the gradient)."""
import numpy

from .._array import MinArray, _is_traced
from .._dispatch import apply as A


def _lift(a, ndmin):
    """numpy.array(a, ndmin=ndmin): ones prepended to the shape."""
    return a if a.ndim >= ndmin else A("reshape", a, (1,) * (ndmin - a.ndim) + a.shape)


class Concatenator:
    """Translates slices, scalars and arrays to one concatenation along an axis (see numpy.r_, numpy.c_)."""

    def __init__(self, numpy_obj, axis=0, ndmin=1, trans1d=-1):
        self._numpy = numpy_obj
        self.axis, self.ndmin, self.trans1d = axis, ndmin, trans1d

    def __getitem__(self, key):
        if isinstance(key, str) or (type(key) is tuple and key and isinstance(key[0], str) and key[0] in ("r", "c")):
            if _is_traced(key):  # numpy.matrix results: NumPy's own object, on plain values
                raise TypeError("r_/c_: matrix results ('r', 'c', a bmat string) of traced arrays are not supported")
            return self._numpy[key]
        key = key if isinstance(key, tuple) else (key,)
        axis, ndmin, trans1d = self.axis, self.ndmin, self.trans1d
        objs, kinds = [], []
        for k, item in enumerate(key):
            if isinstance(item, slice):
                start = 0 if item.start is None else item.start
                step = 1 if item.step is None else item.step
                if isinstance(step, (complex, numpy.complexfloating)):
                    new = numpy.linspace(start, item.stop, num=int(abs(step)))
                else:
                    new = numpy.arange(start, item.stop, step)
                new = A("asarray", new)
                if ndmin > 1:
                    new = _lift(new, ndmin)
                    if trans1d != -1:
                        new = A("swapaxes", new, -1, trans1d)
                objs.append(new)
                kinds.append(new.dtype)
            elif isinstance(item, str):
                if k != 0:
                    raise ValueError("special directives must be the first entry.")
                try:
                    vec = [int(v) for v in item.split(",")]
                except ValueError:
                    raise ValueError(f"unknown special directive {item!r}") from None
                if len(vec) == 1:
                    axis = vec[0]
                elif len(vec) in (2, 3):
                    axis, ndmin = vec[:2]
                    trans1d = vec[2] if len(vec) == 3 else trans1d
                else:
                    raise ValueError(f"unknown special directive {item!r}")
            elif type(item) in numpy.ScalarType:
                objs.append(item)
                kinds.append(item)
            else:
                new = item if type(item) is MinArray else A("asarray", item)
                nd = new.ndim
                new = _lift(new, ndmin)
                if trans1d != -1 and nd < ndmin:
                    k2, k1 = ndmin - nd, trans1d
                    if k1 < 0:
                        k1 += k2 + 1
                    order = list(range(ndmin))
                    new = A("transpose", new, tuple(order[:k1] + order[k2:] + order[k1:k2]))
                objs.append(new)
                kinds.append(new.dtype)
        if kinds:
            dtype = numpy.result_type(*kinds)
            objs = [_lift(A("asarray", o, dtype=dtype) if type(o) is not MinArray else
                          (o if o.dtype == dtype else A("astype", o, dtype)), ndmin) for o in objs]
        return A("concat", tuple(objs), axis=axis)

    def __len__(self):
        return 0


r_ = Concatenator(numpy.r_, 0)
c_ = Concatenator(numpy.c_, -1, ndmin=2, trans1d=0)
