"""Shared by the reliability tests: run a call on NumPy and on minpy_array under every policy, compare outcomes."""
import warnings

import numpy
import pytest

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array.ops import _mxnet, _torch

HAS_MXNET = _mxnet.installed()
HAS_TORCH = _torch.installed()
ALL_POLICIES = ("auto", "numpy_only", "prefer_mxnet", "mxnet_only") if HAS_MXNET else ("auto", "numpy_only")
requires_mxnet = pytest.mark.skipif(
    not HAS_MXNET, reason="mxnet is not installed in this environment (the NumPy 2 CI environment has none: "
                          "MXNet 1.9.1 pins numpy<2)")


def outcome(fn):
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return "value", fn()
        except Exception as e:  # the exception is the outcome under test
            return "raise", e


def host(v):
    if isinstance(v, mp.MinArray):
        return v.asnumpy()
    if isinstance(v, (tuple, list)) and v and isinstance(v[0], mp.MinArray):
        return type(v)(host(e) for e in v)
    return v


def assert_same_value(want, got):
    if isinstance(want, (tuple, list)):
        assert len(want) == len(got)
        for w, g in zip(want, got, strict=True):
            assert_same_value(w, g)
        return
    if isinstance(want, (numpy.ndarray, numpy.generic)):
        got = numpy.asarray(got)
        want = numpy.asarray(want)
        assert got.dtype == want.dtype, (want.dtype, got.dtype)
        assert got.shape == want.shape, (want.shape, got.shape)
        if want.dtype.kind in "fc":
            numpy.testing.assert_allclose(got, want, rtol=1e-5 if want.dtype.itemsize <= 8 else 1e-12,
                                          equal_nan=True)
        elif want.dtype.kind != "O":
            numpy.testing.assert_array_equal(got, want)
        return
    assert got == want or (want != want and got != got), (want, got)


def like_numpy(call, policies=ALL_POLICIES, device=None, name=None):
    """call(lib, arr) with lib numpy / minpy_array.numpy and arr turning a NumPy array into that side's array.
    The same value (dtype, shape, values) or the same exception type (or a subclass) under every policy; under
    'mxnet_only' a NoKernelError means "no MXNet kernel for this call" and is accepted.  With `name`, an error
    message must name the op.  Returns the minpy outcomes by policy."""
    kind, want = outcome(lambda: call(numpy, numpy.array))
    conv = mnp.asarray if device is None else (lambda h: mp.asarray(h, device=device))
    seen = {}
    for p in policies:
        with mp.policy(p):
            gkind, got = outcome(lambda: call(mnp, conv))
        seen[p] = (gkind, got)
        if gkind == "raise" and isinstance(got, mp.NoKernelError) and p == "mxnet_only":
            continue
        if kind == "raise":
            assert gkind == "raise", f"[{p}] NumPy raised {want!r}; minpy_array gave {got!r}"
            assert isinstance(got, type(want)), f"[{p}] NumPy raised {want!r}; minpy_array raised {got!r}"
            if name is not None:
                assert name in str(got), f"[{p}] the message does not name {name!r}: {got}"
        else:
            assert gkind == "value", f"[{p}] NumPy gave a value; minpy_array raised {got!r}"
            if isinstance(want, numpy.generic) and device is None:  # the NumPy face on the cpu: NumPy's scalar
                assert type(got) is type(want), f"[{p}] {type(got).__name__} instead of {type(want).__name__}"
            elif isinstance(want, (numpy.ndarray, numpy.generic)):
                assert isinstance(got, mp.MinArray), f"[{p}] {type(got).__name__} instead of a MinArray"
                if device is not None:
                    assert str(got.device) == device, (got.device, device)
            assert_same_value(want, host(got))
    return seen
