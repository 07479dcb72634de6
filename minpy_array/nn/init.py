"""Parameter initialisers: `INITIALISERS[name](shape, rng, **options)` -> a NumPy-backed MinArray.

`rng` is a numpy Generator (or an int seed); `dtype` defaults to float32.
"""
import numpy

import minpy_array.numpy as np


def _rng(rng):
    return rng if isinstance(rng, numpy.random.Generator) else numpy.random.default_rng(rng)


def _fans(shape):
    """(fan_in, fan_out): (D, M) for a weight matrix; for a conv kernel (F, C, HH, WW), C*HH*WW and F*HH*WW."""
    if len(shape) == 2:
        return shape[0], shape[1]
    if len(shape) > 2:
        field = int(numpy.prod(shape[2:]))
        return shape[1] * field, shape[0] * field
    return shape[0], shape[0]


def xavier(shape, rng=None, gain=1.0, dtype="float32"):
    """Glorot uniform: U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    a = gain * numpy.sqrt(6.0 / (fan_in + fan_out))
    return np.asarray(_rng(rng).uniform(-a, a, size=shape).astype(dtype))


def gaussian(shape, rng=None, std=0.01, mean=0.0, dtype="float32"):
    return np.asarray(_rng(rng).normal(mean, std, size=shape).astype(dtype))


def constant(shape, rng=None, value=0.0, dtype="float32"):
    return np.asarray(numpy.full(shape, value, dtype=dtype))


INITIALISERS = {"xavier": xavier, "gaussian": gaussian, "constant": constant}


def init(name, shape, rng=None, **options):
    """The initialiser `name` ('xavier', 'gaussian', 'constant') applied to `shape`."""
    try:
        return INITIALISERS[name](tuple(shape), rng, **options)
    except KeyError:
        raise ValueError(f"init: unknown initialiser {name!r}; expected one of {', '.join(INITIALISERS)}") from None
