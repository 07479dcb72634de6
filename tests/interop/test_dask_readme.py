"""The README's "Beyond one machine" example runs as written, in a fresh interpreter (a LocalCluster of two worker
processes on 127.0.0.1), and prints what its comments say."""
import os
import re
import subprocess
import sys

import pytest

README = os.path.join(os.path.dirname(__file__), "..", "..", "README.md")


def _example():
    text = open(README, encoding="utf-8").read()
    section = text.split("## Beyond one machine", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the section should hold exactly one python example"
    return blocks[0]


@pytest.mark.timeout(240)
def test_readme_dask_example_runs():
    proc = subprocess.run([sys.executable, "-c", _example()], capture_output=True, text=True, timeout=200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert "chunktype=minpy_array.MinArray" in lines[0], proc.stdout
    assert lines[1] == "MinArray (64, 64) float32 cpu", proc.stdout
    assert lines[2] == "True", proc.stdout
    assert lines[3] == "2 8", proc.stdout  # two workers' tables; one chunk product per row chunk
