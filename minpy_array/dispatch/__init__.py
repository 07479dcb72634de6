"""MinPy's `minpy.dispatch`: its `policy` module (MinPy's policy names and objects over minpy_array's policies)."""
from . import policy  # noqa: F401
