"""Build customisation (the rest of the configuration is pyproject.toml): `minpy_array_hook.pth` goes into
site-packages next to the package, for normal and editable (`pip install -e .`) installs alike, so that
`import mxnet` works on NumPy 1.26 before `import minpy_array` too (see _minpy_array_hook.py); and the optional C
accelerator of the host fast paths, minpy_array/_speedups.c (where it cannot be built, the package runs its Python
paths: see minpy_array/_native.py)."""
import os
import shutil

from setuptools import Extension, setup
from setuptools.command.build_py import build_py

PTH = "minpy_array_hook.pth"


class build_py_with_pth(build_py):
    def run(self):
        super().run()
        targets = [self.build_lib]
        if self.editable_mode:
            # a PEP 660 editable wheel is made from the `install` command's directory, not from build_lib
            targets.append(self.get_finalized_command("install").install_lib)
        for target in targets:
            os.makedirs(target, exist_ok=True)
            shutil.copyfile(PTH, os.path.join(target, PTH))

    def get_outputs(self, include_bytecode=1):
        return [*super().get_outputs(include_bytecode), os.path.join(self.build_lib, PTH)]


SPEEDUPS = Extension("minpy_array._speedups", ["minpy_array/_speedups.c"], optional=True)  # (Python's own flags)

setup(cmdclass={"build_py": build_py_with_pth}, ext_modules=[SPEEDUPS])
