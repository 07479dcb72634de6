"""The optional C accelerator of the host fast paths (_speedups.c, built by `pip install`), or None: where it could
not be built, or with MINPY_ARRAY_PURE_PYTHON=1 in the environment, the package runs its Python paths, which define
what the C paths do (tests/test_native.py checks that both give the same outcomes)."""
import importlib
import os


def _load():
    if os.environ.get("MINPY_ARRAY_PURE_PYTHON", "") not in ("", "0"):
        return None
    try:
        return importlib.import_module("minpy_array._speedups")
    except ImportError:  # not built (no C compiler where the package was installed)
        return None


speedups = _load()
