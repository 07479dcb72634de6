"""The GPU check: minpy_array's torch backend on a real GPU, in one run of under 8 minutes, offline.

For a machine with an NVIDIA GPU, CUDA PyTorch and NumPy 2 (MXNet is not needed: it has no kernels for current
GPUs).  From the repository's root:

    make gpu-check                      # or: python3 benchmarks/gpu_check.py [--device cuda:0] [--quick]

1. installs minpy_array from this tree into a scratch directory with pip, without downloads (--no-index);
2. the torch parity sweep (tests/ops/test_parity.py) with the torch backend's device set to the GPU;
3. the VJP sweep (tests/autodiff/test_sweep.py) on the GPU;
4. the demo (`python -m minpy_array.demo`) on the GPU, 5 epochs: accuracy against the cpu run, fallbacks;
5. one SGD step of benchmarks/mlp.py's MLP (N=10, H=256 and 1024, batch 64, float32): minpy_array on the GPU
   against PyTorch eager on the GPU, median of timed steps (each step ends by reading its loss, in both);
and prints one summary table.  Exit status 0 when every part passed.  `--device torch:cpu` runs the same check on
the stand-in device (the test suite does, with --quick, to keep this script working where there is no GPU).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path[:0] = [ROOT, os.path.join(ROOT, "benchmarks")]  # the tree's minpy_array, installed or not (the mlp part)
from mlp import LR  # noqa: E402  (benchmarks/mlp.py: the MLP step this check times)


def _run(cmd, env=None, timeout=600):
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **(env or {})}, capture_output=True, text=True,
                       timeout=timeout)
    return p, time.perf_counter() - t


def install(scratch):
    p, dt = _run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps", "--no-build-isolation",
                  "--target", scratch, ROOT], timeout=300)
    ok = p.returncode == 0 and os.path.isdir(os.path.join(scratch, "minpy_array"))
    return ok, f"pip install --no-index into a scratch dir ({dt:.0f} s)" if ok else p.stderr[-400:]


def pytest_part(target, device, quick):
    env = {"MINPY_TEST_DEVICES": f"torch={device}", "MINPY_MAX_EXAMPLES": "10" if quick else "25",
           "PYTHONPATH": ROOT}
    select = ["-k", "torch"] if "parity" in target else ["-k", device]
    # (pyproject's addopts hold -q and no:cacheprovider; a second -q would drop the "N passed" line read below)
    p, dt = _run([sys.executable, "-m", "pytest", "-p", "no:xdist", target, *select], env=env)
    tail = p.stdout.strip().splitlines()[-1] if p.stdout.strip() else p.stderr[-300:]
    counts = re.findall(r"(\d+) (passed|failed|error)", p.stdout)
    return p.returncode == 0, f"{', '.join(f'{n} {w}' for n, w in counts) or tail} ({dt:.0f} s)"


def demo(device, epochs):
    accs = {}
    for dev in ("cpu", device):
        p, dt = _run([sys.executable, "-m", "minpy_array.demo", "--device", dev, "--epochs", str(epochs),
                      "--output-dir", tempfile.mkdtemp()], env={"MPLBACKEND": "Agg", "PYTHONPATH": ROOT})
        m = re.search(r"test accuracy: two-layer net ([\d.]+)%.*convnet ([\d.]+)%", p.stdout)
        f = re.search(r"fallbacks to NumPy on the host: (\d+) of (\d+)", p.stdout)
        if p.returncode != 0 or not m or not f:
            return False, f"{dev}: exit {p.returncode}: {(p.stderr.strip() or p.stdout.strip())[-400:]}"
        accs[dev] = (float(m.group(1)), float(m.group(2)), int(f.group(1)), int(f.group(2)), dt)
    cpu, dev = accs["cpu"], accs[device]
    ok = abs(cpu[0] - dev[0]) <= 1 and abs(cpu[1] - dev[1]) <= 1 and dev[2] == 0
    return ok, (f"two-layer {dev[0]:.2f}% / convnet {dev[1]:.2f}% (cpu {cpu[0]:.2f}% / {cpu[1]:.2f}%), "
                f"{dev[2]} fallbacks of {dev[3]} ops, {dev[4]:.0f} s")


def mlp(device, configs, steps):
    import mlp as bench
    import torch

    import minpy_array as mp

    rows = []
    for n, h in configs:
        layers = bench.init_params(n, h)
        X, y, onehot = bench.data()
        minpy = bench.minpy_setup(layers, X, y, onehot, "auto", device=device)
        eager = _torch_eager(torch, layers, X, y, mp.Device(device))
        times = {"minpy_array": [], "torch eager": []}
        for step in (minpy, eager):
            for _ in range(3):
                step()  # warm-up (CUDA context, kernels, caching allocator)
        for _ in range(steps):
            for step, name in ((minpy, "minpy_array"), (eager, "torch eager")):
                t = time.perf_counter()
                step()
                times[name].append(time.perf_counter() - t)
        a, b = statistics.median(times["minpy_array"]), statistics.median(times["torch eager"])
        rows.append(f"N={n} H={h}: {a * 1e3:.2f} ms vs torch eager {b * 1e3:.2f} ms ({a / b:.2f}x)")
    return True, "; ".join(rows)


def _torch_eager(torch, layers, X, y, device):
    """benchmarks/mlp.py's torch eager step, on the device (its loss read back each step, as minpy_array's)."""
    ctx = torch.device("cuda", device.index) if device.kind == "cuda" else torch.device("cpu")
    params = []
    for w, b in layers:
        params += [torch.tensor(w, device=ctx, requires_grad=True), torch.tensor(b, device=ctx, requires_grad=True)]
    Xt, yt = torch.tensor(X, device=ctx), torch.tensor(y, device=ctx)
    opt = torch.optim.SGD(params, lr=LR)

    def step():
        h = Xt
        for i in range(len(params) // 2 - 1):
            h = torch.relu(torch.addmm(params[2 * i + 1], h, params[2 * i]))
        loss = torch.nn.functional.cross_entropy(torch.addmm(params[-1], h, params[-2]), yt)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--device", default="cuda:0", help="the device to check (default cuda:0)")
    ap.add_argument("--quick", action="store_true", help="fewer examples, epochs and steps (a smoke run)")
    ap.add_argument("--parts", default="install,parity,vjps,demo,mlp", help="comma-separated parts to run")
    a = ap.parse_args(argv)
    import numpy
    import torch

    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print(f"gpu_check: no CUDA device here (torch {torch.__version__}); try --device torch:cpu")
        return 2
    gpu = torch.cuda.get_device_name(int(a.device.split(":")[1])) if a.device.startswith("cuda") else "none"
    print(f"gpu_check on {a.device} ({gpu}); torch {torch.__version__}, NumPy {numpy.__version__}, Python "
          f"{sys.version.split()[0]}", flush=True)
    parts = a.parts.split(",")
    steps = {
        "install": lambda: install(tempfile.mkdtemp()),
        "parity": lambda: pytest_part("tests/ops/test_parity.py", a.device, a.quick),
        "vjps": lambda: pytest_part("tests/autodiff/test_sweep.py", a.device, a.quick),
        "demo": lambda: demo(a.device, 2 if a.quick else 5),
        "mlp": lambda: mlp(a.device, [(2, 64)] if a.quick else [(10, 256), (10, 1024)], 3 if a.quick else 30),
    }
    results = []
    for name in parts:
        t = time.perf_counter()
        try:
            ok, detail = steps[name]()
        except Exception as e:
            ok, detail = False, f"{type(e).__name__}: {e}"
        results.append((name, ok, detail))
        print(f"  {name}: {'PASS' if ok else 'FAIL'} ({time.perf_counter() - t:.0f} s)", flush=True)
    print("\n| part | result | detail |\n|---|---|---|")
    for name, ok, detail in results:
        print(f"| {name} | {'PASS' if ok else 'FAIL'} | {detail} |")
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
