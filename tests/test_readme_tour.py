"""The README's "Tour": its code runs in a fresh interpreter and prints what the comments say."""
import re
import subprocess
import sys

from conftest import readme_example, requires_mxnet, requires_torch


@requires_mxnet
def test_tour_runs_as_written():
    out = subprocess.run([sys.executable, "-c", readme_example("## Tour")], capture_output=True, text=True, timeout=300,
                         check=True).stdout
    assert "(2, 4) float64 cpu" in out
    header = next(line.split() for line in out.splitlines() if line.startswith("op "))
    rows = {line.split()[0]: dict(zip(header[1:], line.split()[1:], strict=False)) for line in out.splitlines()
            if re.match(r"^\w+ +\d+ +\d+", line)}
    assert rows["logaddexp"]["numpy"] == "1" and rows["logaddexp"]["fallback"] == "0"  # auto: a choice
    assert rows["tanh"]["mxnet"] == "1" and rows["matmul"]["mxnet"] == "1"  # MXNet inside prefer_mxnet
    assert rows["ones"]["fallback"] == "1"                 # no MXNet kernel under prefer_mxnet: a fallback
    assert "2025.12 int64 True" in out
    assert "TypeError: add: int64 and float64 cannot be type promoted together" in out
    assert out.rstrip().endswith("float64")


@requires_torch
def test_devices_example_runs_as_written():
    out = subprocess.run([sys.executable, "-c", readme_example("## Devices and backends")], capture_output=True,
                         text=True, timeout=300, check=True).stdout
    assert out.startswith("torch:cpu float32\n")
    header = next(line.split() for line in out.splitlines() if line.startswith("op "))
    rows = {line.split()[0]: dict(zip(header[1:], line.split()[1:], strict=False)) for line in out.splitlines()
            if re.match(r"^\w+ +\d+ +\d+", line)}
    for op in ("matmul", "add", "maximum"):
        assert rows[op]["torch"] == "1" and rows[op]["fallback"] == "0", (op, rows[op])
