"""`python -m minpy_array.demo` end to end in a subprocess with one epoch: exit 0, the accuracy line, the op
statistics table, the gradient check and the PNG; bad options give a usage error (exit 2), not a traceback."""
import os
import pathlib
import re
import subprocess
import sys

import pytest
from conftest import requires_mxnet, requires_torch

ROOT = pathlib.Path(__file__).resolve().parent.parent


def run(*args, cwd):
    env = dict(os.environ, MPLBACKEND="Agg")
    return subprocess.run([sys.executable, "-m", "minpy_array.demo", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def test_demo_runs_end_to_end(tmp_path):
    pytest.importorskip("tqdm", reason="the demo's progress bars need tqdm (pip install 'minpy_array[examples]')")
    pytest.importorskip("matplotlib", reason="the demo's curves need matplotlib")
    out_dir = tmp_path / "out"
    p = run("--epochs", "1", "--output-dir", str(out_dir), cwd=ROOT)
    assert p.returncode == 0, p.stderr[-3000:]
    m = re.search(r"test accuracy: two-layer net ([\d.]+)%.*convnet ([\d.]+)%", p.stdout)
    assert m, p.stdout
    assert float(m.group(2)) > 50
    assert re.search(r"^op\s+numpy(\s+\w+)*\s+fallback\s+copied$", p.stdout, re.M)
    assert re.search(r"^conv2d\s+[1-9]", p.stdout, re.M), p.stdout
    assert re.search(r"max relative error \S+ OK", p.stdout)
    png = out_dir / "demo_curves.png"
    assert f"curves: {png}" in p.stdout
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


DEVICE_RUNS = [pytest.param(["--device", "torch:cpu"], marks=requires_torch, id="torch:cpu"),
               pytest.param(["--device", "sim:0", "--policy", "prefer_mxnet"], marks=requires_mxnet, id="sim:0")]


@pytest.fixture(scope="module")
def cpu_accuracy(tmp_path_factory):
    return _accuracy(run("--epochs", "5", "--output-dir", str(tmp_path_factory.mktemp("cpu")), cwd=ROOT))


def _accuracy(p):
    assert p.returncode == 0, p.stderr[-3000:]
    m = re.search(r"test accuracy: two-layer net ([\d.]+)%.*convnet ([\d.]+)%", p.stdout)
    return float(m.group(1)), float(m.group(2))


@pytest.mark.parametrize("extra", DEVICE_RUNS)
def test_demo_trains_on_a_device_without_fallbacks(extra, tmp_path, cpu_accuracy):
    """The training steps stay on the device (every op a device kernel) and reach the cpu run's accuracy."""
    p = run("--epochs", "5", "--output-dir", str(tmp_path), *extra, cwd=ROOT)
    assert _accuracy(p) == pytest.approx(cpu_accuracy, abs=1.0)
    assert re.search(r"fallbacks to NumPy on the host: 0 of [1-9]\d* op calls", p.stdout), p.stdout


@requires_mxnet
def test_demo_mxnet_only_explains_instead_of_traceback(tmp_path):
    p = run("--epochs", "1", "--policy", "mxnet_only", "--output-dir", str(tmp_path), cwd=tmp_path)
    assert p.returncode == 1
    assert "mxnet_only" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("args", [["--epochs", "0"], ["--policy", "fastest"], ["--device", "tpu:0"], ["--nope"]])
def test_demo_bad_options_are_usage_errors(args, tmp_path):
    p = run(*args, cwd=tmp_path)
    assert p.returncode == 2
    assert "usage:" in p.stderr and "Traceback" not in p.stderr


def test_demo_help_documents_options(tmp_path):
    p = run("--help", cwd=tmp_path)
    assert p.returncode == 0
    for opt in ("--epochs", "--policy", "--device", "--seed", "--output-dir"):
        assert opt in p.stdout
