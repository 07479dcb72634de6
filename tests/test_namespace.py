"""The namespace itself: its names, the info object, array creation and transfer, promotion, and how
array-api-compat sees MinArrays."""
import itertools

import array_api_compat
import array_api_strict as strict
import numpy
import pytest
from conftest import HAS_MXNET, requires_mxnet

import minpy_array as xp

strict.set_array_api_strict_flags(api_version="2025.12")
_STRICT_OWN = {"ArrayAPIStrictFlags", "Device", "__version__", "get_array_api_strict_flags",
               "set_array_api_strict_flags", "reset_array_api_strict_flags"}
# Note: 2025.12 added linalg.eig and linalg.eigvals; array_api_strict 2.6.1 does not have them yet
_LINALG_2025_12 = {"eig", "eigvals"}
DTYPES = ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32", "float64",
          "complex64", "complex128"]


def test_public_names_are_the_standard_plus_extensions():
    standard = set(strict.__all__) - _STRICT_OWN
    assert set(xp.__all__) == standard | set(xp.EXTENSIONS)
    assert {n for n in dir(xp) if not n.startswith("_")} == {n for n in xp.__all__ if not n.startswith("_")}
    for name in standard:
        assert hasattr(xp, name), name
    assert set(xp.linalg.__all__) == set(strict.linalg.__all__) | _LINALG_2025_12
    assert set(xp.fft.__all__) == set(strict.fft.__all__)
    for mod in (xp.linalg, xp.fft):
        for name in mod.__all__:
            assert callable(getattr(mod, name)), name


def test_api_version():
    x = xp.asarray(1)
    assert xp.__array_api_version__ == "2025.12"
    for v in ("2023.12", "2024.12", "2025.12", None):
        assert x.__array_namespace__(api_version=v) is xp
    with pytest.raises(ValueError, match="api_version"):
        x.__array_namespace__(api_version="2099.12")


def test_info():
    info = xp.__array_namespace_info__()
    caps = info.capabilities()
    assert caps["boolean indexing"] is True and caps["data-dependent shapes"] is True
    assert caps["max dimensions"] == (32 if numpy.lib.NumpyVersion(numpy.__version__) < "2.0.0" else 64)
    assert info.default_device() == "cpu" and info.default_device() in info.devices()
    assert "sim:0" not in [str(d) for d in info.devices()]
    assert info.default_dtypes(device="cpu") == {"real floating": xp.float64, "complex floating": xp.complex128,
                                                 "integral": xp.int64, "indexing": xp.int64}
    assert list(info.dtypes()) == DTYPES
    assert info.dtypes(kind="bool") == {"bool": xp.bool}
    assert list(info.dtypes(kind=("real floating", "complex floating"))) == ["float32", "float64", "complex64",
                                                                           "complex128"]
    assert list(info.dtypes(device=info.default_device(), kind="unsigned integer")) == DTYPES[5:9]
    with pytest.raises(ValueError):
        info.dtypes(kind="float")


@pytest.mark.parametrize("value, dtype", [(1, "int64"), (1.5, "float64"), (1j, "complex128"), (True, "bool"),
                                          ([[1, 2], [3, 4]], "int64"), ([1, 2.5], "float64")])
def test_asarray_default_dtypes(value, dtype):
    a = xp.asarray(value)
    assert str(a.dtype) == dtype and a.device == "cpu"
    assert a.tolist() == value


def test_asarray_copy_semantics():
    host = numpy.arange(4.0)
    shared = xp.asarray(host, copy=False)
    host[0] = 7.0
    assert float(shared[0]) == 7.0
    copied = xp.asarray(host, copy=True)
    host[1] = 9.0
    assert float(copied[1]) == 1.0
    with pytest.raises(ValueError):
        xp.asarray([1, 2], copy=False)
    with pytest.raises(ValueError):
        xp.asarray(shared, dtype=xp.float32, copy=False)
    assert xp.asarray(shared) is shared
    assert xp.asarray(shared, copy=True) is not shared
    assert xp.asarray(shared, dtype=xp.float32).dtype == xp.float32
    with pytest.raises(TypeError):
        xp.asarray([1], dtype="float16")


class _Producer:
    """A minimal third-party DLPack producer (host memory), as a library other than NumPy would export."""

    def __init__(self, arr):
        self._arr = arr

    def __dlpack__(self, stream=None, **kw):
        return self._arr.__dlpack__()

    def __dlpack_device__(self):
        return self._arr.__dlpack_device__()


def test_from_dlpack():
    host = numpy.arange(6, dtype=numpy.float32).reshape(2, 3)
    for src in (host, _Producer(host), xp.asarray(host)):
        a = xp.from_dlpack(src)
        assert a.shape == (2, 3) and a.dtype == xp.float32 and a.device == "cpu"
        numpy.testing.assert_array_equal(a.asnumpy(), host)
    copy = xp.from_dlpack(host, copy=True)
    host[0, 0] = 5
    assert float(copy[0, 0]) == 0.0
    with pytest.raises(TypeError):
        xp.from_dlpack([1, 2])
    back = numpy.from_dlpack(xp.asarray(host))
    numpy.testing.assert_array_equal(back, host)


@requires_mxnet
def test_devices_and_mxnet_dlpack():
    from minpy_array.ops import _mxnet

    mx = _mxnet.load()
    m = mx.np.array([[1.0, 2.0]], dtype="float32")
    a = xp.from_dlpack(m)
    assert a.device == "cpu" and a.dtype == xp.float32 and a.tolist() == [[1.0, 2.0]]
    s = xp.asarray([1.0, 2.0], device="sim:0")
    assert s.device == "sim:0" and xp.sum(s).device == "sim:0"
    assert xp.zeros(3, device="sim:0").device == "sim:0"
    assert xp.zeros_like(s).device == "sim:0"
    back = s.to_device("cpu")
    assert back.device == "cpu" and back.tolist() == [1.0, 2.0]
    u, c = xp.unique_counts(xp.asarray([3, 1, 3], device="sim:0"))
    assert u.device == "sim:0" and u.tolist() == [1, 3] and c.tolist() == [1, 2]
    v = xp.asarray([3.0, -1.0, 2.0], device="sim:0")
    picked, (where,) = v[xp.greater(v, 0)], xp.nonzero(xp.greater(v, 0))
    assert picked.device == where.device == "sim:0" and picked.tolist() == [3.0, 2.0] and where.tolist() == [0, 2]
    assert xp.repeat(v, xp.asarray([1, 0, 2], device="sim:0")).tolist() == [3.0, 2.0, 2.0]
    with pytest.raises(ValueError, match="devices"):
        xp.add(s, back)


@pytest.mark.parametrize("a, b", list(itertools.product(DTYPES, repeat=2)))
def test_promotion_table_matches_array_api_strict(a, b):
    try:
        want = str(strict.result_type(getattr(strict, a), getattr(strict, b))).rpartition(".")[2]
    except TypeError:
        with pytest.raises(TypeError):
            xp.result_type(getattr(xp, a), getattr(xp, b))
        with pytest.raises(TypeError):
            xp.equal(xp.ones(1, dtype=getattr(xp, a)), xp.ones(1, dtype=getattr(xp, b)))
        return
    assert str(xp.result_type(getattr(xp, a), getattr(xp, b))) == want
    assert str(xp.equal(xp.ones(1, dtype=getattr(xp, a)), xp.ones(1, dtype=getattr(xp, b))).dtype) == "bool"
    if want != "bool":
        assert str(xp.multiply(xp.ones(2, dtype=getattr(xp, a)), xp.ones(2, dtype=getattr(xp, b))).dtype) == want
    assert xp.can_cast(getattr(xp, a), getattr(xp, b)) == strict.can_cast(getattr(strict, a), getattr(strict, b))


def test_cross_kind_and_scalars():
    i8, f32 = xp.asarray([1, 2], dtype=xp.int8), xp.asarray([1.0, 2.0], dtype=xp.float32)
    with pytest.raises(TypeError, match="add"):
        xp.add(i8, f32)
    with pytest.raises(TypeError):
        xp.add(i8, 1.5)
    with pytest.raises(TypeError):
        xp.add(True, i8)
    with pytest.raises(TypeError):
        xp.add(1, 2)
    assert xp.add(i8, 1).dtype == xp.int8 and xp.subtract(3, i8).tolist() == [2, 1]
    assert xp.add(f32, 1e300).dtype == xp.float32  # NumPy 1.26 alone would widen to float64
    assert xp.multiply(f32, 1j).dtype == xp.complex64
    assert xp.where(xp.asarray([True, False]), f32, 0.5).dtype == xp.float32
    with pytest.raises(OverflowError):
        xp.add(i8, 1000)
    assert xp.result_type(f32, 1.0, 1j) == xp.complex64


@pytest.mark.parametrize("args", [(), (1.0, 2.0), (1,), (True, 1j)])
def test_result_type_of_python_scalars_alone_is_value_error(args):
    for ns in (xp, strict):  # NumPy and the spec's reference raise ValueError; SciPy catches that one
        with pytest.raises(ValueError, match="at least one array or dtype"):
            ns.result_type(*args)


def test_accumulation_and_transform_dtypes():
    assert xp.sum(xp.asarray([1, 2], dtype=xp.int8)).dtype == xp.int64
    assert xp.sum(xp.asarray([1, 2], dtype=xp.uint8)).dtype == xp.uint64
    assert xp.prod(xp.asarray([1.0], dtype=xp.float32)).dtype == xp.float32
    assert xp.cumulative_sum(xp.asarray([1, 2], dtype=xp.int16), include_initial=True).tolist() == [0, 1, 3]
    assert xp.ceil(xp.asarray([1, 2], dtype=xp.int8)).dtype == xp.int8
    c64 = xp.asarray([1, 2, 3, 4], dtype=xp.complex64)
    assert xp.fft.fft(c64).dtype == xp.complex64 and xp.fft.ifft(c64).dtype == xp.complex64
    assert xp.fft.rfft(xp.asarray([1.0, 2.0], dtype=xp.float32)).dtype == xp.complex64
    assert xp.fft.irfft(c64).dtype == xp.float32
    assert xp.fft.fftfreq(4, dtype=xp.float32).dtype == xp.float32
    assert xp.linalg.eigvals(xp.eye(2, dtype=xp.float32)).dtype == xp.complex64
    assert xp.linalg.vector_norm(c64).dtype == xp.float32
    numpy.testing.assert_allclose(xp.sign(xp.asarray([3 + 4j, 0j])).asnumpy(), [0.6 + 0.8j, 0j])


def test_array_api_compat_recognises_minarrays():
    x = xp.asarray([[1.0, 2.0], [3.0, 4.0]])
    assert array_api_compat.array_namespace(x) is xp
    assert array_api_compat.is_array_api_obj(x)
    assert array_api_compat.device(x) == "cpu"
    assert array_api_compat.size(x) == 4
    assert array_api_compat.to_device(x, "cpu") is x
    if HAS_MXNET:
        moved = array_api_compat.to_device(x, "sim:0")
        assert moved.device == "sim:0" and moved.tolist() == x.tolist()


def test_reshape_copy_false_refuses_a_needed_copy():
    t = xp.matrix_transpose(xp.reshape(xp.arange(6), (2, 3)))
    with pytest.raises(ValueError, match="copy"):
        xp.reshape(t, (6,), copy=False)
    flat = xp.reshape(xp.arange(6), (2, 3), copy=False)
    assert flat.shape == (2, 3)
    assert xp.reshape(t, (6,)).tolist() == [0, 3, 1, 4, 2, 5]


def test_diff_takes_n_positionally_as_scikit_learn_calls_it():
    x = xp.asarray([1, 4, 9, 16])
    assert xp.diff(x, 2).tolist() == xp.diff(x, n=2).tolist() == [2, 2]


def test_where_with_one_argument_is_nonzero_as_scikit_learn_calls_it():
    mask = xp.asarray([True, False, True])
    assert [a.tolist() for a in xp.where(mask)] == [[0, 2]]
    assert xp.logical_or(xp.asarray([0.0, 2.0]), xp.asarray([0.0, 0.0])).tolist() == [False, True]


@pytest.mark.parametrize(("name", "says"), [("PreferMXNetPolicy", "minpy_array.dispatch.policy.PreferMXNetPolicy"),
                                            ("dot", "minpy_array.numpy.dot (the drop-in NumPy face)"),
                                            ("no_such_name", "no attribute 'no_such_name'")])
def test_missing_names_name_their_equivalent(name, says):
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'") as e:
        getattr(xp, name)
    assert says in str(e.value)
    assert xp._hint("core") == "; import minpy_array.core first"  # a submodule not imported yet
