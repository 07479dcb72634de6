"""The README's "Use with scikit-learn and SciPy" example runs as written, in a fresh interpreter."""
import os
import subprocess
import sys

from conftest import readme_example


def test_readme_interop_example_runs():
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    code = readme_example("## Use with scikit-learn and SciPy")
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("MinArray float32 cpu "), proc.stdout
    assert float(lines[0].split()[-1]) > 0.9, proc.stdout
    assert lines[-1].startswith("ndarray "), proc.stdout
