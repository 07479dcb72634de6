"""A backend's kernel lent to the cpu device's NumPy buffers (_calibrate's borrowed kernels): the arguments handed
to the library without a copy where it can alias them, its result handed back to NumPy, and the result's check
(_guards.ON_HOST) deciding whether the kernel declines so that NumPy recomputes.  In C where the engine is built
(_speedups.Lent, which aliases a writable NumPy array through `alias` directly; the Python function below stays the
definition, and tests/test_native.py holds the two to the same outcomes)."""
from .._native import speedups
from . import Decline
from ._guards import checked_on_host

_Lent = getattr(speedups, "Lent", None)


def lent(kernel, alias, convert, back, library_type, check=None):
    """kernel(*args, **kw) on NumPy buffers: each positional argument as convert(a) (the library's object over a
    NumPy array's memory, a copy where it cannot alias it; other arguments as convert leaves them), keywords as
    given; a result of library_type (or each such item of a tuple result) as back(r), a NumPy array; Decline where
    check(the result) is false.  alias(a): convert's answer for a writable NumPy array the library aliases (it
    raises where it does not)."""
    if _Lent is not None:
        return _Lent(kernel, alias, convert, back, library_type, check, Decline)

    def run(*args, **kw):
        r = kernel(*[convert(a) for a in args], **kw)
        if type(r) is tuple:
            return tuple(back(v) if isinstance(v, library_type) else v for v in r)
        return back(r) if isinstance(r, library_type) else r
    return run if check is None else checked_on_host(check)(run)
