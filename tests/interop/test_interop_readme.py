"""The README's "Use with scikit-learn and SciPy" example runs as written, in a fresh interpreter."""
import os
import re
import subprocess
import sys

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def _example():
    text = open(README, encoding="utf-8").read()
    section = text.split("## Use with scikit-learn and SciPy", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the interop section should hold exactly one python example"
    return blocks[0]


def test_readme_interop_example_runs():
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    proc = subprocess.run([sys.executable, "-c", _example()], env=env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0].startswith("MinArray float32 cpu "), proc.stdout
    assert float(lines[0].split()[-1]) > 0.9, proc.stdout
    assert lines[-1].startswith("ndarray "), proc.stdout
