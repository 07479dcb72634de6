"""`import mxnet` works on NumPy 1.26 where minpy_array is installed: minpy_array_hook.pth installs a meta-path
hook at start-up (importing nothing but the standard library) that gives NumPy its `numpy.bool` alias when, and only
when, mxnet is imported; `import minpy_array` installs it too.  Both wheels (normal and editable) ship the .pth and
the hook module.  minpy_array.mxnet is the public way to the mxnet module."""
import importlib.util
import os
import pathlib
import shutil
import subprocess
import sys
import sysconfig
import zipfile

import pytest
from conftest import HAS_MXNET, requires_mxnet

REPO = pathlib.Path(__file__).resolve().parents[1]
# -S: no site-packages .pth files run (so an installed minpy_array's hook is not there already); site-packages is
# appended by hand, and the code decides which hook, if any, gets installed
PRELUDE = f"import sys, site; sys.path.append({sysconfig.get_paths()['purelib']!r}); "


def run(code, **kw):
    return subprocess.run([sys.executable, "-S", "-c", PRELUDE + code], capture_output=True, text=True, timeout=120,
                          cwd=REPO, **kw)


def test_the_pth_installs_the_hook_and_imports_nothing_at_start_up():
    out = run(f"site.addsitedir({str(REPO)!r}); "
              "print('numpy' in sys.modules, sys.meta_path[0].__module__, len(sys.modules))")
    imported, first, _ = out.stdout.split()
    assert out.returncode == 0 and imported == "False" and first == "_minpy_array_hook", out.stderr
    assert (REPO / "minpy_array_hook.pth").read_text().startswith("import _minpy_array_hook;")


@requires_mxnet
def test_import_mxnet_works_after_minpy_array():
    # (before it, through the .pth: tests/test_minpy_blog.py runs the blog's convolution that way)
    code = """import minpy_array
import numpy, importlib.util
assert importlib.util.find_spec("mxnet") is not None
assert "bool" not in numpy.__dict__   # nothing done before mxnet is imported, even after a look-up
import mxnet as mx
from _minpy_array_hook import MXNetFinder
assert numpy.bool is numpy.bool_ and MXNetFinder not in sys.meta_path   # done once, then gone
import minpy_array
from minpy_array import mxnet
assert mxnet is mx and minpy_array.mxnet is mx
import minpy_array.mxnet as again
assert again is mx
print(mx.nd.ones((2,)).sum().asscalar())
"""
    out = run(f"sys.path.insert(0, {str(REPO)!r}); " + code)
    assert out.returncode == 0 and out.stdout.strip() == "2.0", out.stderr


@pytest.mark.skipif(HAS_MXNET, reason="checks the environment without mxnet (CI's NumPy 2 run)")
def test_without_mxnet_the_hook_changes_nothing():
    out = run(f"sys.path.insert(0, {str(REPO)!r}); import minpy_array, numpy; before = dict(vars(numpy))\n"
              "try:\n    import mxnet\nexcept ModuleNotFoundError:\n    pass\n"
              "assert dict(vars(numpy)) == before\n"
              "try:\n    from minpy_array import mxnet\nexcept ImportError as e:\n    print(e)\n")
    assert out.returncode == 0 and "pip install 'minpy_array[mxnet]'" in out.stdout, out.stderr


@pytest.mark.skipif(importlib.util.find_spec("setuptools.command.bdist_wheel") is None,
                    reason="this environment's setuptools cannot build wheels by itself (pip builds in an isolated "
                           "environment with the setuptools>=68 pyproject.toml asks for)")
@pytest.mark.parametrize("kind", ["wheel", "editable"])
def test_both_wheels_ship_the_pth_and_the_hook(kind, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "setup.py", "README.md", "minpy_array_hook.pth", "_minpy_array_hook.py"):
        shutil.copy(REPO / name, src / name)
    shutil.copytree(REPO / "minpy_array", src / "minpy_array", ignore=shutil.ignore_patterns("__pycache__"))
    build = f"from setuptools import build_meta as b; print(b.build_{kind}({str(tmp_path)!r}))"
    out = subprocess.run([sys.executable, "-c", build], cwd=src, capture_output=True, text=True, timeout=120,
                         env={**os.environ, "PYTHONWARNINGS": "ignore"})
    assert out.returncode == 0, out.stderr
    with zipfile.ZipFile(tmp_path / out.stdout.strip().splitlines()[-1]) as whl:
        names = whl.namelist()
        assert whl.read("minpy_array_hook.pth") == (REPO / "minpy_array_hook.pth").read_bytes()
        if kind == "wheel":
            assert "_minpy_array_hook.py" in names and "minpy_array/mxnet.py" in names
        else:  # the editable finder maps the hook module to the source tree
            finder = next(n for n in names if n.endswith("_finder.py"))
            assert "'_minpy_array_hook': " in whl.read(finder).decode()
