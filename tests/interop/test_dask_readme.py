"""The README's "Beyond one machine" example runs as written, in a fresh interpreter (a LocalCluster of two worker
processes on 127.0.0.1), and prints what its comments say."""
import subprocess
import sys

import pytest
from conftest import readme_example


@pytest.mark.timeout(240)
def test_readme_dask_example_runs():
    code = readme_example("## Beyond one machine")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "chunktype=minpy_array.MinArray" in lines[0], proc.stdout
    assert lines[1] == "MinArray (64, 64) float32 cpu", proc.stdout
    assert lines[2] == "True", proc.stdout
    assert lines[3] == "2 8", proc.stdout  # two workers' tables; one chunk product per row chunk
