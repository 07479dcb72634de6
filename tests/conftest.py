"""Shared test set-up: hypothesis profiles, the MXNet marker, policy fixtures, and calibration on demand."""
import atexit
import contextlib
import os
import pathlib
import re
import shutil
import tempfile
import zlib

import hypothesis
import pytest

# `auto`'s calibration (minpy_array/_calibrate.py) times kernels on first use: which kernel runs would then depend on
# the machine's load, so the suite runs with it off (MINPY_ARRAY_CALIBRATE=1 turns it on), and the tests that turn
# it on decide through given timings or the cache.  Its cache goes to a directory of this run, never the user's.
os.environ.setdefault("MINPY_ARRAY_CALIBRATE", "0")
if "MINPY_ARRAY_CACHE_DIR" not in os.environ:
    os.environ["MINPY_ARRAY_CACHE_DIR"] = tempfile.mkdtemp(prefix="minpy_array_cache_")
    atexit.register(shutil.rmtree, os.environ["MINPY_ARRAY_CACHE_DIR"], True)

from minpy_array.ops import _mxnet, _torch

hypothesis.settings.register_profile(
    "ci", max_examples=int(os.environ.get("MINPY_MAX_EXAMPLES", "40")), deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
    derandomize=os.environ.get("CI") == "true")
hypothesis.settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HAS_MXNET = _mxnet.installed()
requires_mxnet = pytest.mark.skipif(
    not HAS_MXNET, reason="mxnet is not installed in this environment (the NumPy 2 CI environment has none: "
                          "MXNet 1.9.1 pins numpy<2)")

HAS_TORCH = _torch.installed()

# MINPY_TEST_DEVICES="torch=cuda:0" runs a backend's device tests on a real device instead of its stand-in
# (benchmarks/gpu_check.py does, on a GPU machine)
TEST_DEVICES = dict(item.split("=", 1) for item in os.environ.get("MINPY_TEST_DEVICES", "").split(",") if item)


def device_for_tests(backend):
    """The device a backend's device tests run on: its stand-in (sim:0, torch:cpu) unless MINPY_TEST_DEVICES says."""
    return TEST_DEVICES.get(backend.NAME, backend.STAND_IN)
requires_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="torch is not installed in this environment (pip install 'minpy_array[torch]')")

# every policy; under 'mxnet_only' only calls an MXNet kernel accepts can run, so most tests use these two
POLICIES = ["auto", "numpy_only", "prefer_mxnet"] if HAS_MXNET else ["auto", "numpy_only"]


@pytest.fixture(params=POLICIES)
def each_policy(request):
    """Run the test body under every policy that can run here."""
    import minpy_array as mp

    with mp.policy(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _fresh_stats():
    import minpy_array as mp

    mp.reset_op_stats()
    yield


def given_timings(choose):
    """A measuring function for calibration (minpy_array._calibrate.MEASURE) that times nothing:
    `choose(key, names)` names the kernel that wins the call kind `key` among NumPy and the candidate backends
    (1 us against 2 us for the others), so the decision is known in advance."""
    def measure(op, key, args, kw, cands):
        names = ["numpy"] + [b.NAME for b in cands]
        win = choose(key, names)
        return {n: [1e-6 if n == win else 2e-6] for n in names}
    return measure


def by_hash(key, names):
    """A winner among the borrowed kernels that depends only on the call kind (stable across runs)."""
    return names[1 + zlib.crc32(repr(key).encode()) % (len(names) - 1)]


@contextlib.contextmanager
def calibration(measure=None, min_size=0, cache_dir=None, setting="1"):
    """`auto`'s calibration on for a block, as the environment variables would set it (MINPY_ARRAY_CALIBRATE=setting,
    ..._MIN_SIZE=min_size, ..._CACHE_DIR=cache_dir if given), decisions measured by `measure` (given_timings(...))
    or, if None, for real; everything is restored (and forgotten) afterwards."""
    from minpy_array import _calibrate

    names = {"MINPY_ARRAY_CALIBRATE": setting, "MINPY_ARRAY_CALIBRATE_MIN_SIZE": str(min_size),
             "MINPY_ARRAY_CACHE_DIR": None if cache_dir is None else str(cache_dir)}
    saved = {k: os.environ.get(k) for k in names}
    old = _calibrate.MEASURE[0]
    for k, v in names.items():
        if v is not None:
            os.environ[k] = v
    if measure is not None:
        _calibrate.MEASURE[0] = measure
    try:
        _calibrate.reset()
        yield _calibrate
    finally:
        _calibrate.flush()
        _calibrate.MEASURE[0] = old
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        _calibrate.reset()


def readme_example(heading):
    """The one python code block of the README section under `heading` (up to the next "## " heading)."""
    readme = (pathlib.Path(__file__).parents[1] / "README.md").read_text(encoding="utf-8")
    section = readme.split(heading, 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, f"README section {heading!r} should hold exactly one python example"
    return blocks[0]
