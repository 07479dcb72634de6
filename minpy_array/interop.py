"""Using MinArrays with SciPy and scikit-learn.

Both libraries accept MinArrays without any set-up: their NumPy-only code calls `numpy.asarray`, which copies a
MinArray to a NumPy array (and returns NumPy results).  To get MinArrays back, on the input's device, turn on their
Array API dispatch, which makes them call the `minpy_array` namespace instead:

    import minpy_array.interop
    minpy_array.interop.enable_array_api_dispatch()   # before anything imports scipy, sklearn or mxnet
    import sklearn, scipy.special

SciPy reads its switch, the environment variable SCIPY_ARRAY_API=1, once, when it is first imported (scikit-learn
and MXNet import it too, so call this first thing); scikit-learn checks the same variable and has its own flag
(`sklearn.set_config(array_api_dispatch=True)`).  A variable set after SciPy was imported passes scikit-learn's
check while SciPy stays in NumPy mode, so `enable_array_api_dispatch` raises RuntimeError in that case instead of
letting the two disagree.  Setting SCIPY_ARRAY_API=1 in the environment of the process is the other safe way.
"""
import contextlib
import os
import sys

__all__ = ["enable_array_api_dispatch", "array_api_dispatch", "scipy_array_api_enabled"]

_VAR = "SCIPY_ARRAY_API"
_SCIPY_SWITCH_MODULE = "scipy._lib._array_api_override"  # the module that reads the variable at import


def scipy_array_api_enabled():
    """Whether SciPy runs (or, not yet imported, will run) its Array API paths, i.e. returns MinArrays."""
    mod = sys.modules.get(_SCIPY_SWITCH_MODULE)
    if mod is not None:
        return bool(mod.SCIPY_ARRAY_API)
    return os.environ.get(_VAR) == "1"


def _enable_scipy():
    mod = sys.modules.get(_SCIPY_SWITCH_MODULE)
    if mod is not None and not mod.SCIPY_ARRAY_API:
        raise RuntimeError(
            "minpy_array.interop: SciPy was imported before SCIPY_ARRAY_API=1 was set, so it stays in NumPy mode "
            "for this process (it reads the variable once, at import; scikit-learn imports SciPy, and so does "
            "MXNet, which minpy_array loads at the first MXNet kernel or device use). Call "
            "minpy_array.interop.enable_array_api_dispatch() first thing in the program, or start Python with "
            "SCIPY_ARRAY_API=1 in the environment.")
    os.environ[_VAR] = "1"


def enable_array_api_dispatch(sklearn=True):
    """Make SciPy (and, with `sklearn=True`, scikit-learn, process-wide) dispatch to the `minpy_array` namespace.

    Call it first thing: before scipy, sklearn or MXNet (which minpy_array loads lazily, and which imports SciPy)
    is imported.  Raises RuntimeError if SciPy was already imported without SCIPY_ARRAY_API=1 (it would silently
    keep converting to NumPy); ImportError if sklearn=True and scikit-learn is not installed.  Estimators that
    scikit-learn does not support under dispatch (KMeans, RandomForest, ...) then fail on MinArrays: use
    `array_api_dispatch()` to scope dispatch to a block instead.
    """
    _enable_scipy()
    if sklearn:
        import sklearn as _sklearn

        _sklearn.set_config(array_api_dispatch=True)


@contextlib.contextmanager
def array_api_dispatch():
    """`with array_api_dispatch():` scikit-learn dispatches to `minpy_array` inside the block only.

    SciPy's switch is process-wide and cannot be scoped: this enables it too (with the same check as
    `enable_array_api_dispatch`); NumPy inputs are unaffected by it, except that SciPy then rejects np.matrix and
    masked arrays, and a NumPy array mixed with a MinArray in one call.
    """
    _enable_scipy()
    import sklearn as _sklearn

    with _sklearn.config_context(array_api_dispatch=True):
        yield
