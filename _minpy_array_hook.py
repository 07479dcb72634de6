"""minpy_array's import hook: lets `import mxnet` (MXNet 1.9.1) work on NumPy 1.26, in any order of imports.

MXNet 1.9.1 uses `numpy.bool`, which NumPy 1.24 removed and NumPy 2 brought back as the alias of `numpy.bool_`.
`install()` puts a finder at the front of `sys.meta_path`; it finds nothing for every other module, and for `mxnet`
returns the usual spec with a loader that, when mxnet is actually imported (not merely looked up), gives NumPy that
alias and removes the finder before running mxnet's own code.  The `minpy_array_hook.pth` file installed with the
package calls `install()` at interpreter start-up (so `import mxnet as mx` may come first, as in MinPy's blog), and
`import minpy_array` calls it too.  Only the standard library is imported here: NumPy is imported when, and only
when, mxnet is.
"""
import sys
from importlib.machinery import PathFinder


class MXNetFinder:
    """Meta-path finder: mxnet's spec with an aliasing loader; None for everything else."""

    @staticmethod
    def find_spec(name, path=None, target=None):
        if name != "mxnet":
            return None
        spec = PathFinder.find_spec(name, path)
        if spec is not None and spec.loader is not None and not isinstance(spec.loader, AliasingLoader):
            spec.loader = AliasingLoader(spec.loader)
        return spec


class AliasingLoader:
    """mxnet's own loader, with `numpy.bool` given to NumPy first."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module):
        uninstall()
        import numpy

        if "bool" not in numpy.__dict__:
            numpy.bool = numpy.bool_
        self.loader.exec_module(module)

    def __getattr__(self, name):  # get_code, get_source, get_resource_reader ...: the real loader's
        return getattr(self.loader, name)


def install():
    """Install the finder (once; not needed when mxnet is already imported)."""
    if "mxnet" not in sys.modules and MXNetFinder not in sys.meta_path:
        sys.meta_path.insert(0, MXNetFinder)


def uninstall():
    while MXNetFinder in sys.meta_path:
        sys.meta_path.remove(MXNetFinder)
