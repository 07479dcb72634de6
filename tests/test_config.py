"""Policies and configuration: context manager and decorator, per-thread isolation, set/get, environment
defaults, the fallback notice, mxnet_only's NoKernelError, and op_stats (counts, bytes, printed table)."""
import os
import subprocess
import sys
import threading
import warnings

import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array.ops import BACKENDS


def test_policy_context_manager_and_decorator():
    assert mp.get_policy() == "auto"
    with mp.policy("numpy_only"):
        assert mp.get_policy() == "numpy_only"
        with mp.policy("prefer_mxnet"):
            assert mp.get_policy() == "prefer_mxnet"
        assert mp.get_policy() == "numpy_only"
    assert mp.get_policy() == "auto"

    @mp.policy("numpy_only")
    def f():
        return mp.get_policy()

    assert f() == "numpy_only" and f() == "numpy_only"
    assert mp.get_policy() == "auto"
    with pytest.raises(ValueError, match="unknown policy"):
        mp.policy("fastest")


def test_set_and_get_policy():
    old = mp.set_policy("numpy_only")
    try:
        assert old == "auto" and mp.get_policy() == "numpy_only"
        with mp.policy("auto"):
            assert mp.get_policy() == "auto"
        with pytest.raises(ValueError):
            mp.set_policy("nope")
        assert mp.get_policy() == "numpy_only"
    finally:
        mp.set_policy(old)


def test_policy_blocks_are_per_thread():
    seen = {}
    inside = threading.Event()
    release = threading.Event()

    def worker():
        with mp.policy("prefer_mxnet"):
            inside.set()
            release.wait(10)
            seen["worker"] = mp.get_policy()

    t = threading.Thread(target=worker)
    t.start()
    inside.wait(10)
    seen["main"] = mp.get_policy()
    release.set()
    t.join()
    assert seen == {"main": "auto", "worker": "prefer_mxnet"}


def _child(code, **env):
    full = dict(os.environ, **env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=120)


def test_environment_defaults():
    r = _child("import minpy_array as mp; print(mp.get_policy(), mp.get_fallback_notice())",
               MINPY_ARRAY_POLICY="numpy_only", MINPY_ARRAY_FALLBACK_NOTICE="warn")
    assert r.stdout.split() == ["numpy_only", "warn"], r.stderr
    r = _child("import minpy_array", MINPY_ARRAY_POLICY="bogus")
    assert r.returncode != 0 and "MINPY_ARRAY_POLICY" in r.stderr


@requires_mxnet
def test_fallback_notice_modes():
    x = mnp.ones(3)
    assert mp.get_fallback_notice() == "silent"
    with mp.policy("prefer_mxnet"), warnings.catch_warnings():
        warnings.simplefilter("error")
        mnp.logaddexp(x, x)  # silent: no warning
        with mp.fallback_notice("warn"), pytest.warns(mp.FallbackWarning, match="logaddexp"):
            mnp.logaddexp(x, x)
        with mp.fallback_notice("error"), pytest.raises(mp.FallbackError, match="logaddexp"):
            mnp.logaddexp(x, x)
        mnp.exp(x)  # an MXNet kernel: no notice at all
    with mp.fallback_notice("error"):
        mnp.logaddexp(x, x)  # auto on the cpu: NumPy is the choice, not a fallback
    old = mp.set_fallback_notice("warn")
    try:
        assert mp.get_fallback_notice() == "warn"
    finally:
        mp.set_fallback_notice(old)
    with pytest.raises(ValueError):
        mp.fallback_notice("loud")


@requires_mxnet
def test_mxnet_only_raises_naming_the_op():
    x = mnp.asarray(numpy.arange(3))
    f = x.astype("float64")
    with mp.policy("mxnet_only"):
        with pytest.raises(mp.NoKernelError, match="logaddexp"):
            mnp.logaddexp(x, x)
        with pytest.raises(mp.NoKernelError, match="sin.*int64"):
            mnp.sin(x)  # outside the guard: MXNet would truncate
        y = mnp.exp(f)  # inside: runs
    assert mp.op_stats()["exp"]["mxnet"] == 1
    numpy.testing.assert_allclose(y.asnumpy(), numpy.exp(numpy.arange(3.0)))


def test_op_stats_counts_bytes_and_table():
    mp.reset_op_stats()
    x = mnp.ones((2, 2))
    for _ in range(3):
        numpy.exp(x)
    mnp.logaddexp(x, x)
    s = mp.op_stats()
    backends = list(BACKENDS)
    assert s["exp"] == {**dict.fromkeys(backends, 0), "numpy": 3, "fallback": 0, "copied_bytes": 0}
    assert s["logaddexp"]["numpy"] == 1
    text = str(s)
    lines = text.splitlines()
    assert lines[0].split() == ["op", *backends, "fallback", "copied"] and backends[0] == "numpy"
    assert any(line.split()[:2] == ["exp", "3"] and line.split()[1:len(backends) + 2].count("0") == len(backends)
               for line in lines)
    assert lines[-1].startswith("total")
    assert repr(s) == text
    mp.reset_op_stats()
    assert mp.op_stats() == {} and "no ops" in str(mp.op_stats())


@requires_mxnet
def test_op_stats_bytes_copied_for_device_fallback():
    x = mnp.asarray(numpy.ones(1000)).to_device("sim:0")
    mp.reset_op_stats()
    mnp.logaddexp(x, x)
    row = mp.op_stats()["logaddexp"]
    assert row["fallback"] == 1 and row["copied_bytes"] == 2 * 8000  # x once (passed twice), and the result
    assert "KiB" in str(mp.op_stats())


def test_op_stats_sum_over_threads():
    mp.reset_op_stats()
    x = mnp.ones(2)

    def work():
        for _ in range(5):
            numpy.sqrt(x)

    ts = [threading.Thread(target=work) for _ in range(3)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert mp.op_stats()["sqrt"]["numpy"] == 15


@requires_mxnet
@pytest.mark.parametrize("policy", ["auto", "numpy_only", "prefer_mxnet", "mxnet_only"])
def test_each_policy_picks_its_kernel(policy):
    x = mnp.asarray(numpy.linspace(0, 1, 5))
    with mp.policy(policy):
        y = mnp.exp(x)
    numpy.testing.assert_allclose(y.asnumpy(), numpy.exp(numpy.linspace(0, 1, 5)), rtol=1e-12)
    row = mp.op_stats()["exp"]
    assert (row["mxnet"], row["numpy"]) == ((1, 0) if policy in ("prefer_mxnet", "mxnet_only") else (0, 1))
