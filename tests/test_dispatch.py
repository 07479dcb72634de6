"""The engine: apply/run/apply_function, argument scanning (lists, keywords), result wrapping (tuples, lists,
namedtuples, NumPy scalars, Python values), the autodiff recorder hook, assign, and kernel choice per policy."""
import collections

import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array import _dispatch
from minpy_array._dispatch import apply, apply_function, assign, run
from minpy_array.ops import ACCELERATED, _mxnet
from minpy_array.ops.numpy_ops import KERNELS, OP_OF


def test_kernel_table_names_follow_the_spec():
    for spec, np_name in (("acos", "arccos"), ("pow", "power"), ("concat", "concatenate"), ("max", "amax"),
                          ("bitwise_invert", "invert"), ("abs", "absolute")):
        assert spec in KERNELS and OP_OF[getattr(numpy, np_name)] == spec
    for name in ("linalg.svd", "fft.fft", "random.normal", "getitem", "setitem", "setitem_", "astype", "logaddexp"):
        assert name in KERNELS


def test_apply_wraps_every_result_kind(each_policy):
    x = mnp.asarray(numpy.array([[3.0, 1.0], [2.0, 4.0]]))
    assert isinstance(apply("exp", x), mp.MinArray)
    s = apply("sum", x)
    assert type(s) is numpy.float64  # a NumPy-face array: NumPy's scalar
    s = apply("sum", mp.asarray(x))
    assert isinstance(s, mp.MinArray) and s.shape == () and s.dtype == numpy.float64  # the spec's face: 0-d
    parts = apply("split", x, 2)
    assert type(parts) is list and all(isinstance(p, mp.MinArray) for p in parts)
    q, r = apply("divmod", x, 2.0)
    assert isinstance(q, mp.MinArray) and isinstance(r, mp.MinArray)
    svd = apply("linalg.svd", x)
    assert type(svd).__name__ == "SVDResult" and isinstance(svd.S, mp.MinArray)
    assert apply("shape", x) == (2, 2) and type(apply("ndim", x)) is int
    assert apply("array_equal", x, x) is True


def test_lists_and_keywords_are_scanned(each_policy):
    a, b = mnp.ones(2), mnp.zeros(2)
    r = apply("concat", [a, b])
    numpy.testing.assert_array_equal(r.asnumpy(), [1, 1, 0, 0])
    r = apply("where", a > 0.5, a, b)
    assert isinstance(r, mp.MinArray)
    r = apply("average", a, weights=mnp.asarray([1.0, 3.0]))
    assert float(r) == 1.0
    r = apply("concat", (a, numpy.zeros(2)))  # a plain ndarray in the list is fine
    assert isinstance(r, mp.MinArray)


def test_run_any_callable_as_a_named_op():
    def kernel(x, k=1):
        return x * k

    r = run("my_op", kernel, (mnp.ones(2),), {"k": 3})
    numpy.testing.assert_array_equal(r.asnumpy(), [3, 3])
    assert mp.op_stats()["my_op"]["numpy"] == 1


def test_apply_function_known_and_unknown():
    x = mnp.ones(3)
    r = apply_function(numpy.exp, (x,), {})
    assert isinstance(r, mp.MinArray) and "exp" in mp.op_stats()
    r = apply_function(lambda v: v[::-1], (x,), {})
    assert isinstance(r, mp.MinArray)


def test_no_arrays_uses_the_default_device():
    r = apply("zeros", (2,))
    assert isinstance(r, mp.MinArray) and r.device == "cpu"


def test_recorder_hook_sees_traced_calls():
    calls = []

    def recorder(op, args, kw, result):
        calls.append((op, len(args), dict(kw)))
        result._node = ("node", op)
        return result

    old = _dispatch.RECORDER[0]
    _dispatch.RECORDER[0] = recorder
    try:
        x = mnp.asarray([1.0, 2.0])
        x._node = ("leaf",)
        y = apply("multiply", x, 2.0)
        assert y._node == ("node", "multiply")
        assert calls == [("multiply", 2, {})]
        z = mnp.ones(2)
        assert apply("exp", z)._node is None and len(calls) == 1  # untraced: no recording
        out = mnp.zeros(2)
        r = numpy.add(x, 1.0, out=out)
        assert r is out and calls[-1][0] == "add" and "out" not in calls[-1][2]
        numpy.testing.assert_array_equal(out._host(), [2.0, 3.0])
    finally:
        _dispatch.RECORDER[0] = old


def test_assign_keeps_dtype_and_broadcasts():
    t = mnp.asarray(numpy.zeros((2, 2), dtype="float32"))
    assign(t, mnp.asarray([1.0, 2.0]))
    assert t.dtype == numpy.float32
    numpy.testing.assert_array_equal(t.asnumpy(), [[1, 2], [1, 2]])
    i = mnp.asarray(numpy.zeros(2, dtype="int64"))
    with pytest.raises(TypeError, match="same_kind"):
        assign(i, mnp.asarray([1.5, 2.5]))


def test_setitem_writes_through_views():
    x = mnp.asarray(numpy.zeros((2, 3)))
    row = x[0]
    row[1] = 5.0
    assert x.asnumpy()[0, 1] == 5.0  # basic indexing gives views on the host, as in NumPy
    t = x.T
    t[2, 1] = 7.0
    assert x.asnumpy()[1, 2] == 7.0


@requires_mxnet
@pytest.mark.parametrize(("policy", "device", "backend"), [
    ("auto", "cpu", "numpy"), ("numpy_only", "cpu", "numpy"), ("prefer_mxnet", "cpu", "mxnet"),
    ("mxnet_only", "cpu", "mxnet"), ("auto", "sim:0", "mxnet"), ("numpy_only", "sim:0", "numpy"),
    ("prefer_mxnet", "sim:0", "mxnet")])
def test_kernel_choice(policy, device, backend):
    x = mnp.asarray(numpy.linspace(0, 1, 4)).to_device(device)
    mp.reset_op_stats()
    with mp.policy(policy):
        y = mnp.tanh(x)
    assert y.device == device
    numpy.testing.assert_allclose(y.asnumpy(), numpy.tanh(numpy.linspace(0, 1, 4)), rtol=1e-12)
    row = mp.op_stats()["tanh"]
    assert row[backend] == 1 and row["fallback"] == 0


@requires_mxnet
def test_cpu_buffers_pass_to_mxnet_without_copy():
    x = mnp.asarray(numpy.linspace(0, 1, 1000))
    mp.reset_op_stats()
    with mp.policy("prefer_mxnet"):
        y = mnp.tanh(x)
    # the input goes zero-copy via DLPack and the result is a NumPy buffer: nothing crosses host and device
    assert mp.op_stats()["tanh"]["copied_bytes"] == 0 and mp.op_stats()["tanh"]["mxnet"] == 1
    assert type(y._data) is numpy.ndarray and y.device == "cpu"


@requires_mxnet
def test_mxnet_inputs_are_never_written():
    a = numpy.linspace(0, 1, 6)
    x = mnp.asarray(a.copy())
    with mp.policy("prefer_mxnet"):
        for op in ("exp", "negative", "sqrt"):
            apply(op, x)
        apply("add", x, x)
    numpy.testing.assert_array_equal(x.asnumpy(), a)


@pytest.mark.parametrize("backend", [b for b in ACCELERATED if b.installed()], ids=lambda b: b.NAME)
def test_table_entries_are_callables_with_guards(backend):
    table = backend.kernels()
    assert len(table) >= 40
    for op, (kernel, guard) in table.items():
        assert op in KERNELS, op  # every kernel has NumPy's reference
        assert callable(kernel) and callable(guard)
    assert set(backend.host_kernels()) <= set(table)


def test_mxnet_is_not_imported_for_numpy_work():
    import subprocess
    import sys

    code = ("import sys, numpy; import minpy_array.numpy as np; x = np.ones(3); numpy.exp(x) + x; "
            "print('mxnet' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.stdout.strip() == "False", r.stderr


def test_thread_stats_are_separate_tables():
    assert isinstance(mp.op_stats(), collections.abc.Mapping)
    assert _mxnet.installed() in (True, False)
