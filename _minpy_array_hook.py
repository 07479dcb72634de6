"""minpy_array's import hook: lets `import mxnet` (MXNet 1.9.1) work on NumPy 1.26, in any order of imports.

MXNet 1.9.1 uses `numpy.bool`, which NumPy 1.24 removed and NumPy 2 brought back as the alias of `numpy.bool_`.
`install()` puts a finder at the front of `sys.meta_path` that does nothing for every other import; when `mxnet` is
about to be imported (and is installed) it gives NumPy that alias, then removes itself.  The `minpy_array_hook.pth`
file installed with the package calls `install()` at interpreter start-up (so `import mxnet as mx` may come first,
as in MinPy's blog), and `import minpy_array` calls it too.  Only the standard library is imported here: NumPy is
imported when, and only when, mxnet is.
"""
import sys
from importlib.machinery import PathFinder


class MXNetFinder:
    """Meta-path finder that acts once, on `import mxnet`, and finds nothing itself."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name == "mxnet":
            uninstall()
            if PathFinder.find_spec("mxnet") is not None:
                import numpy

                if "bool" not in numpy.__dict__:
                    numpy.bool = numpy.bool_
        return None


def install():
    """Install the finder (once; not needed when mxnet is already imported)."""
    if "mxnet" not in sys.modules and MXNetFinder not in sys.meta_path:
        sys.meta_path.insert(0, MXNetFinder)


def uninstall():
    while MXNetFinder in sys.meta_path:
        sys.meta_path.remove(MXNetFinder)
