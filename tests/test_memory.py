"""minpy_array/_memory.py: glibc's thresholds set when the first gradient is taken, so that a training step's memory
stays mapped for the next step (page faults per step counted by the kernel), and left alone where the user says so."""
import json
import os
import platform
import subprocess
import sys

import pytest

pytestmark = pytest.mark.skipif(platform.libc_ver()[0] != "glibc",
                                reason="the tuning is glibc's (mallopt); this machine's C library is another")

STEPS = r"""
import json, resource
import numpy
import minpy_array.numpy as np
from minpy_array import _memory
from minpy_array.autodiff import grad

before_any_gradient = _memory.state()
ws = [np.asarray(numpy.random.default_rng(i).standard_normal((512, 512))) for i in range(8)]  # 2 MiB each
x = np.asarray(numpy.random.default_rng(9).standard_normal((64, 512)))

def loss(ws):
    h = x
    for w in ws:
        h = np.tanh(np.dot(h, w))
    return np.sum(h)

g = grad(loss)
faults = []
for _ in range(6):
    start = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    gs = g(ws)  # every gradient alive at once, freed together: 16 MiB at the top of the heap
    for w, d in zip(ws, gs):
        w -= 1e-3 * d
    del gs
    faults.append(resource.getrusage(resource.RUSAGE_SELF).ru_minflt - start)
print(json.dumps({"before": before_any_gradient, "after": _memory.state(), "faults": faults}))
"""


def _run(**env):
    full = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != "MINPY_ARRAY_MALLOC_TUNING"}
    full.update(env, OMP_NUM_THREADS="1")
    out = subprocess.run([sys.executable, "-c", STEPS], env=full, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_first_gradient_tunes_glibc_and_later_steps_fault_no_pages_in():
    r = _run()
    assert r["before"].startswith("not yet asked"), r
    assert r["after"] == "glibc: mmap threshold 32 MiB, trim threshold 64 MiB", r
    assert max(r["faults"][2:]) < 200, r  # a step's 16 MiB back from the system would be ~4,000 faults


def test_off_switch_leaves_glibc_alone_and_the_faults_show_why_it_exists():
    r = _run(MINPY_ARRAY_MALLOC_TUNING="0")
    assert r["after"] == "left alone: MINPY_ARRAY_MALLOC_TUNING=0", r
    assert min(r["faults"][2:]) > 1000, r  # glibc trims the freed top of the heap; the next step faults it back


@pytest.mark.parametrize("var", ["MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"])
def test_users_own_glibc_settings_win(var):
    r = _run(**{var: "1048576"})
    assert r["after"] == f"left alone: {var} set by the user", r
