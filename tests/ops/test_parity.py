"""The parity sweep: every entry of every installed backend's kernel table, on hypothesis-drawn calls of every
dtype, gives NumPy's outcome (values to the dtype's tolerance, dtype, shape, signed zeros, NaN and inf, or the same
exception type) under `prefer_<backend>`, on the backend's stand-in device and, for the kernels the cpu device
borrows, on the cpu; and the kernel ran exactly when its guard admitted the call.  A new backend is swept by
this file as it is: its ops need only a call strategy in parity.py."""
import contextlib
import itertools
import os
import tempfile

import numpy
import pytest
from conftest import calibration, device_for_tests, given_timings
from hypothesis import given, settings
from hypothesis import strategies as st
from parity import ALL, CALLS, COMMON, NO_ARRAY, Raw, reference, rounded_zeros, same, scale

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array._dispatch import apply
from minpy_array.ops import ACCELERATED
from minpy_array.ops.numpy_ops import IN_PLACE, KERNELS

BACKENDS = [b for b in ACCELERATED if b.installed()]
CASES = [pytest.param(b, op, id=f"{b.NAME}-{op}") for b in BACKENDS for op in sorted(b.kernels())]
HOST_CASES = [pytest.param(b, op, id=f"{b.NAME}-{op}") for b in BACKENDS for op in sorted(b.host_kernels())]
# kernels that may hand an admitted call to NumPy after a look at what is on the host
MAY_DECLINE = {"asarray", "array"}
INDEXING = {"getitem", "setitem", "setitem_", "_scatter_add"}


def _device_index_array(args):
    """An integer index array on the device: its bounds are checked when the kernel runs (torch raises on an
    index out of range even where NumPy's result is empty and NumPy does not look)."""
    key = args[1] if len(args) > 1 else ()
    key = key if type(key) is tuple else (key,)
    return any(type(k) is mp.MinArray and k.dtype.kind in "iu" for k in key)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.NAME)
def test_every_table_entry_has_a_call_strategy(backend):
    assert sorted(set(backend.kernels()) - set(CALLS)) == []


def _wrap(v, device):
    if type(v) is Raw:
        return v.a
    if type(v) is list:
        return [_wrap(e, device) for e in v]
    if type(v) is tuple:
        return tuple(_wrap(e, device) for e in v)
    return mnp.asarray(v).to_device(device) if isinstance(v, numpy.ndarray) else v


def _arrays_in(args):
    """The MinArrays of args, in order, those in lists and tuples included."""
    out = []
    for a in args:
        if type(a) is mp.MinArray:
            out.append(a)
        elif type(a) in (list, tuple):
            out.extend(_arrays_in(a))
    return out


def _dtypes(args):
    return [a.dtype for a in _arrays_in(args)]


def _outcome(op, args, kw, policy, device):
    mp.reset_op_stats()
    with mp.policy(policy), mp.device(device), numpy.errstate(all="ignore"):
        try:
            r = apply(op, *args, **kw)
        except Exception as e:
            return ("raise", type(e)), mp.op_stats().get(op)
    return ("value", args[0] if op == "setitem_" else r), mp.op_stats().get(op)


@pytest.mark.filterwarnings("ignore")  # NumPy's own RuntimeWarnings on NaN, inf and overflow
@pytest.mark.parametrize(("backend", "op"), CASES)
@settings(max_examples=25)
@given(data=st.data())
def test_parity(backend, op, data):
    dtype = data.draw(st.sampled_from(COMMON) | st.sampled_from(ALL), label="dtype")
    args, kw = data.draw(CALLS[op](dtype), label="call")
    want = reference(op, args, kw)
    places = [device_for_tests(backend)] + (["cpu"] if op in backend.host_kernels() else [])
    for place in places:
        margs = [_wrap(a, place) for a in args]
        table = backend.kernels() if place != "cpu" else backend.host_kernels()
        with mp.device(place) if op in NO_ARRAY else contextlib.nullcontext():
            admitted = table[op][1](_dtypes(margs), margs, kw)
        inputs = [a.asnumpy().tobytes() for a in _arrays_in(margs)]
        got, stats = _outcome(op, margs, kw, f"prefer_{backend.NAME}", place)
        ran = stats is not None and stats[backend.NAME] == 1
        assert ran <= admitted, f"{op} ran {backend.NAME}'s kernel outside its guard"
        if op not in IN_PLACE:  # (a borrowed kernel reads the caller's own buffers)
            assert [a.asnumpy().tobytes() for a in _arrays_in(margs)] == inputs, f"{op} on {place} wrote its inputs"
        if want[0] == "raise" or got[0] == "raise":
            assert got[0] == "raise" and want[0] == "raise" and issubclass(got[1], want[1]), (place, want, got)
            continue
        diff = same(got[1], want[1], op, scale(op, args), rounded_zeros(op, args))
        assert diff is None, f"{backend.NAME} {op} on {place}: {diff} (kernel ran: {ran})"
        if place != "cpu" and isinstance(got[1], mp.MinArray):
            assert got[1].device == mp.Device(place)
        if admitted and op not in MAY_DECLINE and place != "cpu" and not (
                op in INDEXING and _device_index_array(margs)):
            assert ran, f"{op}: the guard admitted the call but the kernel failed and NumPy ran it"


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.NAME)
@pytest.mark.parametrize("op", ["dot", "matmul"])
def test_short_contractions_keep_numpys_zero_signs(backend, op):
    """Products of signed zeros over contractions of one element (a plain product) and two (a sum), in every
    operand form the kernels take, on the backend's device and borrowed on the cpu: NumPy's zero signs (the
    random sweep draws such calls too rarely to prove it; the fuzzer found a length-1 dot)."""
    forms = [((1,), (1,)), ((3, 1), (1, 2)), ((1,), (1, 2)), ((3, 1), (1,)), ((2, 3, 1), (2, 1, 2))]
    forms += [tuple(s[:-1] + (2,) if i == 0 else s[:-2] + (2,) + s[-1:] if len(s) > 1 else (2,)
                    for i, s in enumerate(f)) for f in forms]
    places = [device_for_tests(backend)] + (["cpu"] if op in backend.host_kernels() else [])
    for dtype, (sa, sb), va, vb in itertools.product(("float32", "float64"), forms, (0.0, -0.0, 1.0),
                                                     (0.0, -0.0, -1.0)):
        args = (numpy.full(sa, va, dtype), numpy.full(sb, vb, dtype))
        want = reference(op, args, {})
        for place in places:
            got, _ = _outcome(op, [_wrap(a, place) for a in args], {}, f"prefer_{backend.NAME}", place)
            if want[0] == "raise" or got[0] == "raise":
                assert got[0] == want[0] == "raise" and issubclass(got[1], want[1]), (sa, sb, place, want, got)
                continue
            diff = same(got[1], want[1], op, 0.0)
            assert diff is None, f"{backend.NAME} {op} {sa} x {sb} of {va}, {vb} on {place}: {diff}"


# index arrays beside ints, None and slices: where NumPy puts the axes of the index arrays' result depends on
# whether the advanced items (ints count as such beside an array) are adjacent (the sweep found x[0, None, [0, 0]])
MIXED_KEYS = [(0, None, [0, 0]), (0, [0, 1]), ([1, 0], 0), (0, slice(None), [1, 0]), ([0, 1], None, [1, 0]),
              ([1, 0], slice(None), [0, 1]), (None, [0, 1]), (slice(None), [2, 0], None), (Ellipsis, 0, [1]),
              ([0, 1], [2, 0], 1), (None, 1, slice(None), [0, 3])]


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.NAME)
@pytest.mark.parametrize("key", MIXED_KEYS, ids=repr)
def test_index_arrays_beside_ints_and_none_place_their_axes_as_numpy(backend, key):
    x = numpy.arange(24.0).reshape(2, 3, 4)
    key = tuple(numpy.array(k) if type(k) is list else k for k in key)
    place = device_for_tests(backend)
    got, _ = _outcome("getitem", [_wrap(x, place), key], {}, f"prefer_{backend.NAME}", place)
    assert same(got[1], x[key], "getitem", 0.0) is None, (key, got)
    want = x.copy()
    want[key] = -1.0
    got, _ = _outcome("setitem_", [_wrap(x, place), key, -1.0], {}, f"prefer_{backend.NAME}", place)
    assert same(got[1], want, "setitem_", 0.0) is None, (key, got)


@pytest.mark.parametrize("backend", BACKENDS, ids=lambda b: b.NAME)
def test_only_policy_refuses_what_the_guard_does_not_admit(backend):
    x = mnp.asarray(numpy.arange(6, dtype="uint64").reshape(2, 3)).to_device(device_for_tests(backend))
    with mp.policy(f"{backend.NAME}_only"), pytest.raises(mp.NoKernelError, match="logaddexp"):
        mnp.logaddexp(x, x)
    with mp.policy(f"{backend.NAME}_only"), pytest.raises(mp.NoKernelError, match="exp"):
        mnp.exp(x)


def _host_buffers(args):
    return [a._data for a in _arrays_in(args)]


@pytest.mark.filterwarnings("ignore")  # NumPy's own RuntimeWarnings on NaN, inf and overflow
@pytest.mark.parametrize(("backend", "op"), HOST_CASES)
@settings(max_examples=4)
@given(data=st.data())
def test_auto_runs_each_borrowed_kernel_calibration_chooses(backend, op, data):
    """`auto` on the cpu with calibration on, every call kind measured (min size 0) and the backend's kernel made
    the winner (given timings): NumPy's outcome, the kernel ran only inside its guard, never counted as a fallback,
    and the result shares no memory with the inputs where NumPy's shares none (no surprises)."""
    dtype = data.draw(st.sampled_from(COMMON) | st.sampled_from(ALL), label="dtype")
    args, kw = data.draw(CALLS[op](dtype), label="call")
    want = reference(op, args, kw)
    margs = [_wrap(a, "cpu") for a in args]
    admitted = backend.host_kernels()[op][1](_dtypes(margs), margs, kw)
    cache = os.path.join(tempfile.gettempdir(), f"minpy_array_parity_{os.getpid()}_{backend.NAME}")
    with calibration(given_timings(lambda key, names: backend.NAME), min_size=0, cache_dir=cache) as cal:
        cal.recalibrate()
        got, stats = _outcome(op, margs, kw, "auto", "cpu")
    ran = stats is not None and stats[backend.NAME] == 1
    assert ran <= admitted, f"{op} ran {backend.NAME}'s kernel outside its guard"
    assert stats is None or stats["fallback"] == 0
    if want[0] == "raise" or got[0] == "raise":
        assert got[0] == "raise" and want[0] == "raise" and issubclass(got[1], want[1]), (want, got)
        return
    diff = same(got[1], want[1], op, scale(op, args), rounded_zeros(op, args))
    assert diff is None, f"auto borrowing {backend.NAME} {op}: {diff} (kernel ran: {ran})"
    if ran and isinstance(got[1], mp.MinArray):
        assert type(got[1]._data) is numpy.ndarray
        ins = _host_buffers(margs)
        with numpy.errstate(all="ignore"):
            own = KERNELS[op](*[a._data if type(a) is mp.MinArray else a for a in margs], **kw)  # on these buffers
        if not any(numpy.shares_memory(own, i) for i in ins):
            assert not any(numpy.shares_memory(got[1]._data, i) for i in ins), f"{op}'s result aliases an input"


PRODUCTS = [pytest.param(b, op, id=f"{b.NAME}-{op}") for b in BACKENDS for op in ("dot", "matmul")
            if op in b.host_kernels()]
INF, NAN = numpy.inf, numpy.nan


@pytest.mark.filterwarnings("ignore")  # NumPy's own RuntimeWarnings on NaN and inf
@pytest.mark.parametrize(("backend", "op"), PRODUCTS)
@pytest.mark.parametrize(("a", "ran"), [([[1.0, 2.0], [3.0, 4.0]], 1), ([[INF, 1.0], [0.0, 1.0]], 0),
                                        ([[NAN, 1.0], [2.0, 1.0]], 0), ([[1e20, 0.0], [0.0, 1.0]], 1)],
                         ids=["finite", "inf", "nan", "huge"])
def test_borrowed_products_with_non_finite_results_are_numpys(backend, op, a, ran):
    """A product lent to a backend on the cpu whose result holds NaN or inf (OpenBLAS, which NumPy calls, can give 0
    for 0 * inf where others give NaN) is recomputed by NumPy; an ordinary one is the backend's, huge finite values
    too (the finiteness test reads the values' bits: their squares, which overflow float32, are not taken)."""
    args = (numpy.array(a, "float32"), numpy.array([[0.0, 1.0], [1.0, 1.0]], "float32"))
    want = reference(op, args, {})
    cache = os.path.join(tempfile.gettempdir(), f"minpy_array_products_{os.getpid()}_{backend.NAME}")
    with calibration(given_timings(lambda key, names: backend.NAME), min_size=0, cache_dir=cache) as cal:
        cal.recalibrate()
        got, stats = _outcome(op, [_wrap(x, "cpu") for x in args], {}, "auto", "cpu")
    assert same(got[1], want[1], op, 0.0) is None, (got, want)
    assert stats[backend.NAME] == ran and stats["fallback"] == 0, stats


@pytest.mark.skipif(not any(b.NAME == "torch" for b in BACKENDS), reason="torch is not installed here")
@pytest.mark.parametrize("place", ["torch:cpu", "cpu"])
def test_positive_gives_a_new_array(place):
    """torch.positive returns its input itself: a write into NumPy's new array would reach the input."""
    x = mnp.asarray(numpy.arange(3.0)).to_device(place)
    with mp.policy("prefer_torch"):
        y = mnp.positive(x)
    y[0] = 100.0
    assert x.asnumpy()[0] == 0.0 and mp.op_stats()["positive"]["torch"] == 1


@pytest.mark.skipif(not any(b.NAME == "torch" for b in BACKENDS), reason="torch is not installed here")
@pytest.mark.filterwarnings("ignore")
def test_scalar_operands_keep_their_own_value_one_call_after_another():
    """The torch kernels hold Python scalars as cached 0-d tensors: 0.0 and -0.0 (equal as keys), NaN (equal to
    nothing) and the same value at two dtypes must each stay themselves, as in NumPy."""
    host = numpy.array([1.0, -1.0, 0.0, numpy.inf])
    values = [0.0, -0.0, 0.0, float("nan"), -0.0, 2.5, 2.5]
    for dtype in ("float32", "float64"):
        x = mnp.asarray(host.astype(dtype)).to_device("torch:cpu")
        for s in values:
            for f in (lambda a, b: a * b, lambda a, b: b - a, lambda a, b: mnp.maximum(a, b), lambda a, b: a / b):
                with mp.policy("torch_only"):
                    got = f(x, s)
                want = f(host.astype(dtype), s)
                assert got.dtype == want.dtype
                numpy.testing.assert_array_equal(got.asnumpy(), want)
                assert (numpy.signbit(got.asnumpy()) == numpy.signbit(want)).all(), (dtype, s)


@pytest.mark.skipif(not any(b.NAME == "torch" for b in BACKENDS), reason="torch is not installed here")
@pytest.mark.filterwarnings("ignore")
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("op", ["maximum", "minimum"])
def test_extremum_against_a_number_keeps_numpys_zeros_and_nans(op, dtype):
    """maximum(x, b) (one torch kernel) and minimum(x, b) (a clamp) with a Python number b (ReLU's maximum(x, 0.0)):
    NaN in x stays, x equal to b gives b (so -0.0 against 0.0 gives 0.0), a NaN, -0.0 or tiny bound, infinities;
    both operand orders.  Values exactly, NaN positions and zero signs as NumPy's."""
    host = numpy.array([numpy.nan, -0.0, 0.0, -1.0, 2.0, numpy.inf, -numpy.inf, 2.5, 1e-46, -1e-300], dtype=dtype)
    x = mnp.asarray(host).to_device("torch:cpu")
    f = getattr(mnp, op)
    for b in (0.0, -0.0, 2.5, -1.0, float("inf"), -float("inf"), float("nan"), 1e-46, -1e-46, 3):
        for got, want in ((f(x, b), getattr(numpy, op)(host, b)), (f(b, x), getattr(numpy, op)(b, host))):
            g = got.asnumpy()
            assert got.dtype == want.dtype, (b, got.dtype)
            numpy.testing.assert_array_equal(g, want)
            zeros = want == 0  # (a NaN's sign bit is no part of NumPy's answer)
            assert (numpy.signbit(g[zeros]) == numpy.signbit(want[zeros])).all(), (op, dtype, b, g, want)
    assert mp.op_stats()[op]["torch"] >= 12  # (an infinite bound with float32 stays with NumPy: the guard)
