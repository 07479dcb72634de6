"""Devices: Device objects, placement, to_device, fallback results returning to the device, mixed devices, the
default-device context manager, dtypes MXNet lacks on a device, in-place operators on devices, and the real GPU when
there is one."""
import itertools
import operator

import numpy
import pytest
from conftest import HAS_MXNET, requires_mxnet, requires_torch

import minpy_array as mp
import minpy_array.numpy as mnp

SIM = mp.Device("sim:0")


def test_device_objects():
    assert mp.Device("cpu") == mp.Device("cpu", 0) == "cpu"
    assert mp.Device("gpu", 1) == mp.Device("gpu:1") != mp.Device("gpu:0")
    assert repr(mp.Device("gpu", 1)) == "Device('gpu:1')" and str(mp.Device("sim", 2)) == "sim:2"
    assert hash(mp.Device("gpu:1")) == hash(mp.Device("gpu", 1))
    assert len({mp.Device("cpu"), mp.Device("cpu"), SIM}) == 2
    with pytest.raises(ValueError):
        mp.Device("tpu")
    with pytest.raises(ValueError):
        mp.Device("cpu:1")
    with pytest.raises(ValueError):
        mp.Device("gpu:x")
    with pytest.raises(AttributeError):
        mp.Device("cpu").kind = "gpu"
    assert mp.Device("cpu") != 3


@requires_mxnet
def test_placement_and_transfer():
    a = numpy.arange(6.0).reshape(2, 3)
    x = mnp.asarray(a).to_device("sim:0")
    assert x.device == SIM and type(x._data) is not numpy.ndarray  # an MXNet buffer
    numpy.testing.assert_array_equal(x.asnumpy(), a)
    back = x.to_device("cpu")
    assert back.device == "cpu" and type(back._data) is numpy.ndarray
    numpy.testing.assert_array_equal(back.asnumpy(), a)
    y = mnp.asarray(a)
    z = y.to_device("cpu")
    assert z is y


@requires_mxnet
@pytest.mark.parametrize("policy", ["auto", "prefer_mxnet", "numpy_only"])
def test_results_return_to_the_device(policy):
    a = numpy.arange(1.0, 7.0).reshape(2, 3)
    x = mnp.asarray(a).to_device("sim:0")
    with mp.policy(policy):
        results = {
            "exp": (mnp.exp(x), numpy.exp(a)),
            "logaddexp (no MXNet kernel)": (mnp.logaddexp(x, x), numpy.logaddexp(a, a)),
            "sum": (x.sum(axis=0), a.sum(axis=0)),
            "median (fallback)": (mnp.median(x), numpy.median(a)),
            "getitem": (x[:, 1], a[:, 1]),
            "operator": (x * 2 + 1, a * 2 + 1),
            "svd (tuple)": (mnp.linalg.svd(x)[1], numpy.linalg.svd(a)[1]),
        }
    for name, (got, want) in results.items():
        assert isinstance(got, mp.MinArray) and got.device == SIM, name
        numpy.testing.assert_allclose(got.asnumpy(), want, rtol=1e-12, err_msg=name)


@requires_mxnet
def test_fallback_on_a_device_copies_and_counts():
    x = mnp.asarray(numpy.ones((4, 4))).to_device("sim:0")
    mp.reset_op_stats()
    mnp.logaddexp(x, x)
    row = mp.op_stats()["logaddexp"]
    assert row["fallback"] == 1 and row["copied_bytes"] >= 2 * 128  # out to the host and back


@requires_mxnet
def test_mixed_devices_raise_value_error_naming_the_op():
    x = mnp.ones(3)
    y = mnp.ones(3).to_device("sim:0")
    with pytest.raises(ValueError, match=r"add.*cpu.*sim:0|add.*sim:0.*cpu"):
        x + y
    with pytest.raises(ValueError, match="concat"):
        mnp.concatenate([x, y])
    with pytest.raises(ValueError, match="exp"):
        numpy.exp(x, out=y)
    numpy.testing.assert_array_equal(x.asnumpy(), [1, 1, 1])
    numpy.testing.assert_array_equal(y.asnumpy(), [1, 1, 1])


@requires_mxnet
def test_default_device_context_manager():
    with mp.device("sim:0") as d:
        assert d == SIM
        for x in (mnp.zeros(3), mnp.ones((2, 2)), mnp.arange(3), mnp.asarray([1.0, 2.0]), mnp.eye(2),
                  mnp.full(2, 7.0), mnp.linspace(0, 1, 3), mnp.random.default_rng(0).normal(size=3)):
            assert x.device == SIM, x
        assert mnp.zeros(3).dtype == numpy.float64
    assert mnp.zeros(3).device == "cpu"


def test_default_device_is_per_thread():
    import threading

    seen = {}

    def other():
        seen["dev"] = mnp.zeros(1).device

    with mp.device("sim:0"):
        t = threading.Thread(target=other)
        t.start()
        t.join()
    assert seen["dev"] == "cpu"


@requires_mxnet
@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint32", "complex64", "complex128"])
def test_dtypes_mxnet_lacks_still_work_on_a_device(dtype):
    a = numpy.arange(1, 7).astype(dtype).reshape(2, 3)
    x = mnp.asarray(a).to_device("sim:0")
    assert x.device == SIM and x.dtype == numpy.dtype(dtype)
    assert type(x._data) is numpy.ndarray  # a host buffer carrying the device's label
    y = x + x
    assert y.device == SIM and y.dtype == numpy.dtype(dtype)
    numpy.testing.assert_array_equal(y.asnumpy(), a + a)
    numpy.testing.assert_array_equal(x.sum(axis=0).asnumpy(), a.sum(axis=0))
    x[0, 0] = 5
    assert x.asnumpy()[0, 0] == 5
    numpy.testing.assert_array_equal(x.to_device("cpu").asnumpy()[1], a[1])


@requires_mxnet
def test_setitem_on_a_device():
    x = mnp.asarray(numpy.zeros((2, 3))).to_device("sim:0")
    x[0] = 1.0
    x[:, 2] = mnp.asarray([5.0, 6.0]).to_device("sim:0")
    x[x > 5.5] = -1.0
    assert x.device == SIM
    numpy.testing.assert_array_equal(x.asnumpy(), [[1, 1, 5], [0, 0, -1]])


@requires_mxnet
def test_in_place_operator_on_a_device():
    x = mnp.asarray(numpy.ones(3)).to_device("sim:0")
    before = x
    x += 2
    x *= mnp.asarray(numpy.full(3, 2.0)).to_device("sim:0")
    assert x is before and x.device == SIM
    numpy.testing.assert_array_equal(x.asnumpy(), [6, 6, 6])


@pytest.mark.skipif(not HAS_MXNET, reason="mxnet is not installed")
def test_gpu():
    from minpy_array.ops import _mxnet

    mx = _mxnet.load()
    if mx.context.num_gpus() == 0:
        pytest.skip("no GPU on this machine")
    a = numpy.arange(6.0).reshape(2, 3)  # pragma: no cover - needs a GPU
    x = mnp.asarray(a).to_device("gpu:0")
    assert x.device == "gpu:0" and x.__dlpack_device__() == (2, 0)
    with mp.policy("prefer_mxnet"):
        y = mnp.exp(x) + mnp.logaddexp(x, x)
    assert y.device == "gpu:0"
    numpy.testing.assert_allclose(y.asnumpy(), numpy.exp(a) + numpy.logaddexp(a, a))


@requires_mxnet
def test_in_place_operators_on_a_device_stay_there():
    x = mnp.asarray(numpy.arange(4.0)).to_device("sim:0")
    g = mnp.asarray(numpy.ones(4)).to_device("sim:0")
    mp.reset_op_stats()
    x -= 0.5 * g
    x *= 2
    s = mp.op_stats()
    assert s["subtract"]["mxnet"] == 1 and s["multiply"]["mxnet"] == 2 and s["subtract"]["copied_bytes"] == 0
    numpy.testing.assert_array_equal(x.asnumpy(), (numpy.arange(4.0) - 0.5) * 2)
    i = mnp.asarray(numpy.arange(3)).to_device("sim:0")
    with pytest.raises(TypeError, match="same_kind"):
        i += 1.5
    with pytest.raises(ValueError, match="broadcast"):
        x += mnp.ones((2, 4)).to_device("sim:0")
    with pytest.raises(OverflowError):
        i += 2 ** 70
    i //= 2
    f = mnp.asarray(numpy.ones(2, dtype="float32")).to_device("sim:0")
    f += mnp.asarray(numpy.ones(2)).to_device("sim:0")  # float64 result cast back (same kind)
    assert f.dtype == numpy.float32 and i.dtype == numpy.int64
    numpy.testing.assert_array_equal(i.asnumpy(), [0, 0, 1])
    numpy.testing.assert_array_equal(f.asnumpy(), [2, 2])


@requires_mxnet
def test_out_into_a_device_array_stays_on_the_device():
    x = mnp.asarray(numpy.arange(3.0)).to_device("sim:0")
    z = mnp.zeros((2, 3)).to_device("sim:0")
    mp.reset_op_stats()
    r = numpy.add(x, 1.0, out=z)  # the inputs broadcast up to out's shape, as in NumPy
    assert r is z and z.device == SIM
    assert mp.op_stats()["add"]["mxnet"] == 1 and mp.op_stats()["add"]["copied_bytes"] == 0
    numpy.testing.assert_array_equal(z.asnumpy(), numpy.add(numpy.arange(3.0), 1.0, out=numpy.zeros((2, 3))))
    r = numpy.exp(x, out=x)
    assert r is x
    numpy.testing.assert_allclose(x.asnumpy(), numpy.exp(numpy.arange(3.0)))
    i = mnp.asarray(numpy.arange(3)).to_device("sim:0")
    with pytest.raises(TypeError, match="same_kind"):
        numpy.exp(x, out=i)
    with pytest.raises(ValueError):
        numpy.add(z, z, out=x)
    numpy.testing.assert_array_equal(i.asnumpy(), [0, 1, 2])
    numpy.testing.assert_allclose(x.asnumpy(), numpy.exp(numpy.arange(3.0)))


DTYPES_IN_PLACE = ("float32", "float64", "int64", "int8", "uint8")
_IN_PLACE = {"add": operator.iadd, "subtract": operator.isub, "multiply": operator.imul, "divide": operator.itruediv}


def _dev(a):
    return mnp.asarray(a).to_device("torch:cpu")


# name -> (host operand, device operand), from the host base array hb and its device twin b (the target: rows 1-2)
_OPERANDS = {
    "itself": lambda hb, b: (hb[1:3], b[1:3]),  # the same memory through another view
    "overlapping rows": lambda hb, b: (hb[0:2], b[0:2]),
    "array": lambda hb, b: (hb[1:3][::-1] + 1, _dev(hb[1:3][::-1].asnumpy() + 1)),
    "row": lambda hb, b: (hb[:1] * 2, _dev(hb[:1].asnumpy() * 2)),
    "float64 array": lambda hb, b: (hb[1:3] / 3, _dev(hb[1:3].asnumpy() / 3)),
    "too big": lambda hb, b: (mnp.ones((3, 2, 3), hb.dtype), _dev(numpy.ones((3, 2, 3), hb.dtype))),
    "int": lambda hb, b: (3, 3), "negative int": lambda hb, b: (-2, -2), "float": lambda hb, b: (0.25, 0.25),
    "big int": lambda hb, b: (2 ** 70, 2 ** 70), "numpy float32": lambda hb, b: (numpy.float32(1.5),) * 2,
}


@requires_torch
@pytest.mark.filterwarnings("ignore")  # NumPy's own RuntimeWarnings (division by zero, overflow)
def test_in_place_operators_on_a_torch_device_write_its_buffer():
    """x op= y on a torch device runs the device's in-place kernel where the result keeps x's dtype and shape: x's
    own buffer is written (a view's base sees it, as in NumPy); every form's outcome (values, dtype, error) equals
    the cpu device's (NumPy's out= with NEP 50 scalars on NumPy 1.26 too), and where the kernel cannot take it (y
    sharing x's memory, another dtype, a shape the result would not fit, a scalar that changes the dtype) the
    engine computes and stores as before."""
    ran = 0
    for (op, f), dtype, (on, operand) in itertools.product(_IN_PLACE.items(), DTYPES_IN_PLACE, _OPERANDS.items()):
        numbers = (numpy.arange(12).reshape(4, 3) % 5 - 1).astype(dtype)
        host_base, base = mnp.asarray(numbers), _dev(numbers)
        hy, y = operand(host_base, base)
        h, x = host_base[1:3], base[1:3]  # a view: the write must reach the base
        want = got = None
        try:
            f(h, hy)
        except Exception as e:
            want = type(e)
        mp.reset_op_stats()
        try:
            assert f(x, y) is x
        except Exception as e:
            got = type(e)
        where = f"{op} {dtype} {on}"
        assert (got is None) == (want is None) and (want is None or issubclass(got, want)), (where, want, got)
        assert x.dtype == h.dtype, where
        numpy.testing.assert_array_equal(base.asnumpy(), host_base.asnumpy(), err_msg=where)
        ran += mp.op_stats().get(op, {}).get("torch", 0)
    assert ran > 100  # the device's kernels ran for most forms (in place, or computed and stored)


@requires_torch
def test_an_in_place_update_on_a_torch_device_writes_its_own_buffer():
    w = mnp.asarray(numpy.ones((64, 32), "float32")).to_device("torch:cpu")
    g = mnp.asarray(numpy.full((64, 32), 2.0, "float32")).to_device("torch:cpu")
    buf, view = w._data, w[:2]
    step = 0.5 * g
    mp.reset_op_stats()
    w -= step
    assert w._data is buf and mp.op_stats()["subtract"]["torch"] == 1
    numpy.testing.assert_array_equal(view.asnumpy(), numpy.zeros((2, 32), "float32"))


@requires_torch
@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # NumPy 1.26's own, for the empty result
@pytest.mark.parametrize("policy", ["auto", "prefer_torch"])
@pytest.mark.parametrize("key", [(Ellipsis, slice(None, 0), [3]), (slice(0, 0), [3]), (slice(None), [-4]),
                                 (Ellipsis, [0, 2])])
def test_an_out_of_range_index_array_on_a_torch_device_is_numpys_error(policy, key):
    """A device index array with an index out of range: NumPy's outcome (IndexError in NumPy 2; NumPy 1.26 warns and
    gives the empty result where the key selects no element), not torch's cpu kernel's, which skips the check where
    the result is empty (found by the parity sweep in the NumPy 2 environment)."""
    host = numpy.arange(6.0).reshape(2, 3)
    key = tuple(numpy.array(k) if type(k) is list else k for k in key)
    x = mnp.asarray(host).to_device("torch:cpu")
    dkey = tuple(mnp.asarray(k).to_device("torch:cpu") if type(k) is numpy.ndarray else k for k in key)
    try:
        want = host[key]
    except IndexError:
        want = IndexError
    with mp.policy(policy):
        if want is IndexError:
            with pytest.raises(IndexError):
                x[dkey]
            with pytest.raises(IndexError):
                x[dkey] = 1.0
        else:
            got = x[dkey]
            assert got.device == x.device and got.shape == want.shape
            numpy.testing.assert_array_equal(got.asnumpy(), want)
