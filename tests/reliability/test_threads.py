"""Threads: concurrent `grad` calls are independent; op_stats() counts per thread and sums on read; the policy (and
default device) context is per thread, the process default is shared."""
import threading

import numpy
import pytest
from reliability_helpers import HAS_MXNET, HAS_TORCH, requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.autodiff import grad, value_and_grad

N_ITER = 60


def _run_threads(*targets):
    errors = []

    def wrap(fn):
        def run():
            try:
                fn()
            except BaseException as e:  # reported in the main thread
                errors.append(e)
        return run
    threads = [threading.Thread(target=wrap(t)) for t in targets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not any(t.is_alive() for t in threads)
    if errors:
        raise errors[0]


def _f_sin(w, x):
    return np.sum(np.sin(x @ w) * x[:, :1])


def _f_cube(w, x):
    return np.sum((x @ w) ** 3) / 3.0


def _g_sin(w, x):
    return x.T @ (numpy.cos(x @ w) * x[:, :1])


def _g_cube(w, x):
    return x.T @ (x @ w) ** 2


@pytest.mark.parametrize("policies", [("auto", "auto"), ("numpy_only", "auto"),
                                      pytest.param(("prefer_mxnet", "numpy_only"), marks=requires_mxnet)])
def test_two_threads_get_independent_gradients(policies):
    rng = numpy.random.default_rng(1)
    barrier = threading.Barrier(2)
    results = {}

    def worker(name, f, g_ref, policy, seed):
        def run():
            r = numpy.random.default_rng(seed)
            w0, x0 = r.standard_normal((4, 3)), r.standard_normal((5, 4))
            w, x = np.asarray(w0), np.asarray(x0)
            df = grad(f)
            vg = value_and_grad(f, argnums=(0, 1))
            with mp.policy(policy):
                barrier.wait()  # both threads trace at the same time
                for _ in range(N_ITER):
                    assert mp.get_policy() == policy
                    gw = df(w, x)
                    numpy.testing.assert_allclose(gw.asnumpy(), g_ref(w0, x0), rtol=1e-10, atol=1e-12)
                    v, (gw2, _) = vg(w, x)
                    numpy.testing.assert_allclose(gw2.asnumpy(), gw.asnumpy(), rtol=1e-12)
                    assert w._node is None and x._node is None
            results[name] = gw.asnumpy()
        return run

    _run_threads(worker("sin", _f_sin, _g_sin, policies[0], 2), worker("cube", _f_cube, _g_cube, policies[1], 3))
    assert set(results) == {"sin", "cube"}
    del rng


def test_many_threads_nested_grad():
    """grad of grad in four threads at once: every thread's trace levels stay its own."""
    out = {}

    def worker(k):
        def run():
            x = np.asarray(float(k))
            d2 = grad(grad(lambda t: t ** 4))
            for _ in range(30):
                out[k] = float(d2(x))
        return run

    _run_threads(*(worker(k) for k in (1, 2, 3, 4)))
    assert out == {k: 12.0 * k * k for k in (1, 2, 3, 4)}


def test_op_stats_are_counted_per_thread_and_summed_on_read():
    mp.reset_op_stats()
    barrier = threading.Barrier(3)
    a = np.ones(4)

    def adder(n):
        def run():
            barrier.wait()
            for _ in range(n):
                np.add(a, a)
        return run

    def exper():
        barrier.wait()
        for _ in range(700):
            np.exp(a)

    _run_threads(adder(1000), adder(1500), exper)
    stats = mp.op_stats()
    assert stats["add"]["numpy"] + stats["add"]["mxnet"] == 2500  # no update lost between threads
    assert stats["exp"]["numpy"] + stats["exp"]["mxnet"] == 700
    mp.reset_op_stats()  # resets every thread's table
    assert mp.op_stats() == {}


def test_policy_context_is_per_thread_and_the_default_is_process_wide():
    inside, release = threading.Event(), threading.Event()
    seen = {}

    def other():
        with mp.policy("numpy_only"):
            seen["other, in its block"] = mp.get_policy()
            inside.set()
            release.wait(60)
            seen["other, after main changed the default"] = mp.get_policy()
        seen["other, after its block"] = mp.get_policy()

    t = threading.Thread(target=other)
    old = mp.get_policy()
    t.start()
    try:
        assert inside.wait(60)
        assert mp.get_policy() == old  # the other thread's block is invisible here
        with mp.policy("mxnet_only" if HAS_MXNET else "numpy_only") as p:
            assert mp.get_policy() == p.name
        prev = mp.set_policy("numpy_only")  # documented as process-wide
        try:
            release.set()
            t.join(60)
            assert seen["other, in its block"] == "numpy_only"
            assert seen["other, after main changed the default"] == "numpy_only"  # its block still wins
            assert seen["other, after its block"] == "numpy_only"  # the new process default
        finally:
            mp.set_policy(prev)
    finally:
        release.set()
        t.join(60)
    assert mp.get_policy() == old


@requires_mxnet
def test_default_device_context_is_per_thread():
    seen = {}
    ready = threading.Event()
    done = threading.Event()

    def other():
        with mp.device("sim:0"):
            seen["other"] = str(np.ones(2).device)
            ready.set()
            done.wait(60)

    t = threading.Thread(target=other)
    t.start()
    assert ready.wait(60)
    seen["main"] = str(np.ones(2).device)
    done.set()
    t.join(60)
    assert seen == {"other": "sim:0", "main": "cpu"}


# ---------------------------------------------------------------- every backend from many threads
_THREADED = r"""
import sys, threading, numpy
import minpy_array as mp, minpy_array.numpy as np
from minpy_array.autodiff import grad

def work(device, policy, seed, results):
    rng = numpy.random.default_rng(seed)
    a = rng.standard_normal((300, 60))
    x = np.asarray(a).to_device(device)
    with mp.policy(policy):
        for _ in range(20):
            g = x.T @ x
            s = np.sum(np.exp(x[:, :5] * 0.1), axis=0)
            d = grad(lambda w: np.sum(np.tanh(x @ w)))(np.ones(60).to_device(device))
    results[seed] = (numpy.abs(g.asnumpy() - a.T @ a).max(), numpy.abs(s.asnumpy() - numpy.exp(a[:, :5] * 0.1)
                     .sum(axis=0)).max(), numpy.abs(d.asnumpy() - a.T @ (1 - numpy.tanh(a @ numpy.ones(60)) ** 2))
                     .max())

for config in sys.argv[1:]:
    device, policy = config.split("/")
    results = {}
    threads = [threading.Thread(target=work, args=(device, policy, seed, results), daemon=True) for seed in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    if any(t.is_alive() for t in threads):
        print("HUNG", config, flush=True)
        sys.exit(1)
    worst = max(max(r) for r in results.values())
    print(config, len(results), worst, flush=True)
    assert len(results) == 4 and worst < 1e-9, (config, results)
"""


def test_every_backend_is_safe_from_many_threads():
    """Four threads at once on each device and policy (dask's threaded scheduler does exactly this): none hangs,
    every result is NumPy's.  In a child process with a time limit: a deadlock must not take the suite with it."""
    import subprocess
    import sys

    configs = ["cpu/auto", "cpu/numpy_only"]
    configs += ["cpu/prefer_mxnet", "sim:0/auto", "sim:0/prefer_mxnet"] if HAS_MXNET else []
    configs += ["cpu/prefer_torch", "torch:cpu/auto"] if HAS_TORCH else []
    p = subprocess.run([sys.executable, "-c", _THREADED, *configs], capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout + p.stderr[-3000:]
    assert [line.split()[0] for line in p.stdout.splitlines()] == configs, p.stdout
