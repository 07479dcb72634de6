"""Every example runs in its short mode (in this process); the MLP benchmark's --quick smoke run agrees on the
first step's loss across contenders (timings are printed, never asserted)."""
import importlib.util
import pathlib
import re
import subprocess
import sys

import numpy
import pytest
from conftest import HAS_MXNET, HAS_TORCH, requires_mxnet, requires_torch

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load(relpath):
    path = ROOT / relpath
    spec = importlib.util.spec_from_file_location(path.stem, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# every example on every device kind: the host, torch's stand-in and MXNet's
DEVICES = ["cpu", pytest.param("torch:cpu", marks=requires_torch), pytest.param("sim:0", marks=requires_mxnet)]


@pytest.mark.parametrize("device", DEVICES)
def test_two_layer_net_example(capsys, device):
    acc = load("examples/two_layer_net.py").main(["--short", "--device", device])
    assert acc > 0.8 and "test acc" in capsys.readouterr().out


@pytest.mark.parametrize("device", DEVICES)
def test_convnet_example(capsys, device):
    acc = load("examples/convnet.py").main(["--short", "--device", device])
    out = capsys.readouterr().out
    assert acc > 0.8 and "conv2d" in out and "total" in out
    backend = "numpy" if device == "cpu" else {"torch:cpu": "torch", "sim:0": "mxnet"}[device]
    assert re.search(r"^conv2d\s+.*\b0\s+\S+ \S+$", out, re.M) and backend in out


@pytest.mark.parametrize("device", DEVICES)
def test_rnn_adding_example(capsys, device):
    mse = load("examples/rnn_adding.py").main(["--short", "--device", device])
    assert mse < 0.16 and "adding problem" in capsys.readouterr().out  # predicting the mean gives ~0.17


@requires_mxnet
def test_blog_snippets(capsys):
    import minpy_array as mp

    out = load("examples/blog_snippets.py").main(["--short"])
    text = capsys.readouterr().out
    assert "inside f, y =" in text
    numpy.testing.assert_allclose(out["printing"].asnumpy(), [2.0, 4.0, 6.0])
    pos, neg = out["if"]
    numpy.testing.assert_allclose(pos.asnumpy(), numpy.exp([0.5, 1.0]), rtol=1e-6)
    numpy.testing.assert_allclose(neg.asnumpy(), [1.0, 2.0])
    numpy.testing.assert_allclose(out["logaddexp"].asnumpy(), numpy.logaddexp([1.0, -2.0, 30.0], [0.5, 3.0, 30.0]))
    assert mp.op_stats()["logaddexp"]["fallback"] == 1
    y, dw = out["function"]
    assert y.shape == (1, 2, 3, 3) and dw.shape == (2, 1, 3, 3)


def test_mlp_benchmark_quick(capsys):
    results, losses = load("benchmarks/mlp.py").main(["--quick"])
    table = capsys.readouterr().out
    assert "numpy (hand-written)" in table and "HIPS autograd" in table and "(1.00x" in table
    first = [v for v in losses.values()]
    # torch eager, minpy_array on torch:cpu, hand-written NumPy with torch's products
    expected = (7 if HAS_MXNET else 4) + (3 if HAS_TORCH else 0)
    assert len(first) == expected - sum(isinstance(r, str) for r in results.values())
    numpy.testing.assert_allclose(first, first[0], rtol=1e-4)
    if HAS_MXNET:
        assert "mxnet symbolic" in table
    if HAS_TORCH:
        assert "torch eager" in table and "x torch)" in table and "numpy, products on torch" in table
    assert "calibration:" in table and "Minor page faults per step" in table


@requires_torch
def test_mlp_benchmark_split_times_the_same_step_called_directly(capsys):
    load("benchmarks/mlp.py").main(["--split", "--configs", "2x8"])
    out = capsys.readouterr().out
    assert re.search(r"N=2 H=8: torch:cpu step [\d.]+ ms; its kernels called directly [\d.]+ ms", out), out
    losses = [float(v) for v in re.search(r"first losses ([\d., ]+)\)", out).group(1).split(", ")]
    assert len(losses) == 3  # the step, its kernels called directly and torch eager compute one loss
    numpy.testing.assert_allclose(losses, losses[0], rtol=1e-5)


@pytest.mark.parametrize("script", ["two_layer_net.py", "convnet.py", "rnn_adding.py", "blog_snippets.py"])
def test_examples_have_help(script):
    mod = load(f"examples/{script}")
    with pytest.raises(SystemExit) as e:
        mod.main(["--bad-option"])
    assert e.value.code == 2


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed in this environment")
def test_gpu_check_runs_on_the_stand_in_device():
    """benchmarks/gpu_check.py (`make gpu-check`) has no GPU to run on here: its install and MLP parts run on the
    torch:cpu stand-in, so the script keeps working for the machine that has one."""
    p = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "gpu_check.py"), "--device", "torch:cpu", "--quick",
                        "--parts", "install,mlp"], capture_output=True, text=True, timeout=600, cwd=ROOT)
    assert p.returncode == 0, p.stdout + p.stderr[-2000:]
    assert re.search(r"^\| install \| PASS \|", p.stdout, re.M), p.stdout
    assert re.search(r"^\| mlp \| PASS \| N=2 H=64: ", p.stdout, re.M), p.stdout
