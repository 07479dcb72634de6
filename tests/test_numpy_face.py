"""The drop-in face `minpy_array.numpy`: every public NumPy name resolves, creation functions give NumPy's default
dtypes as MinArrays, random is seedable, linalg/fft/constants/dtypes are there, the issue's example runs."""
import types

import numpy
import pytest

import minpy_array as mp
import minpy_array.numpy as mnp


def test_every_public_numpy_name_resolves():
    missing = []
    for name in dir(numpy):
        if name.startswith("_"):
            continue
        try:
            getattr(mnp, name)
        except AttributeError:
            if hasattr(numpy, name):  # NumPy's own lazy names that raise on access are not ours to offer
                missing.append(name)
    assert not missing


@pytest.mark.parametrize("sub", ["linalg", "fft", "random"])
def test_every_submodule_name_resolves(sub):
    mod, face = getattr(numpy, sub), getattr(mnp, sub)
    for name in dir(mod):
        if not name.startswith("_"):
            getattr(face, name)
    with pytest.raises(AttributeError, match="no attribute"):
        face.no_such_function  # noqa: B018


def test_unknown_name_is_attribute_error():
    with pytest.raises(AttributeError, match="no_such_name"):
        mnp.no_such_name  # noqa: B018


def test_constants_dtypes_and_classes_are_numpys():
    assert mnp.pi == numpy.pi and mnp.e == numpy.e and mnp.inf == numpy.inf and numpy.isnan(mnp.nan)
    assert mnp.newaxis is None
    assert mnp.float32 is numpy.float32 and mnp.int64 is numpy.int64 and mnp.dtype is numpy.dtype
    assert mnp.bool_ is numpy.bool_ and mnp.finfo is numpy.finfo
    assert mnp.ndarray is mp.MinArray
    assert isinstance(mnp.zeros(2), mnp.ndarray)
    assert mnp.iinfo(mnp.int8).max == 127


CREATION = [
    ("zeros", ((2, 3),), {}), ("ones", (3,), {}), ("empty", ((2,),), {}), ("full", ((2, 2), 7), {}),
    ("full", ((2,), 1.5), {}), ("arange", (5,), {}), ("arange", (0.0, 1.0, 0.25), {}), ("eye", (3,), {}),
    ("identity", (2,), {}), ("linspace", (0, 1, 5), {}), ("logspace", (0, 2, 3), {}), ("array", ([1, 2],), {}),
    ("array", ([1.0, 2],), {}), ("array", ([[True]],), {}), ("asarray", ([1, 2, 3],), {}),
    ("asarray", (3.5,), {}), ("zeros", (2,), {"dtype": "float32"}), ("ones", (2,), {"dtype": int}),
    ("tri", (3,), {}), ("diag", ([1, 2],), {}), ("fromfunction", (lambda i, j: i + j, (2, 2)), {}),
    ("meshgrid", ([1, 2], [3, 4]), {}), ("indices", ((2, 2),), {}), ("geomspace", (1, 8, 4), {}),
]


@pytest.mark.parametrize(("name", "args", "kwargs"), CREATION, ids=[f"{c[0]}{i}" for i, c in enumerate(CREATION)])
def test_creation_functions_have_numpys_defaults(name, args, kwargs, each_policy):
    want = getattr(numpy, name)(*args, **kwargs)
    got = getattr(mnp, name)(*args, **kwargs)
    wants, gots = (want, got) if isinstance(want, (list, tuple)) else ([want], [got])
    for g, w in zip(gots, wants, strict=True):
        assert isinstance(g, mp.MinArray)
        assert g.dtype == w.dtype and g.shape == w.shape
        if name != "empty":
            numpy.testing.assert_array_equal(g.asnumpy(), w)


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "full_like"])
def test_like_functions(name, each_policy):
    a = numpy.arange(6, dtype="int32").reshape(2, 3)
    args = (7,) if name == "full_like" else ()
    got = getattr(mnp, name)(mnp.asarray(a), *args)
    want = getattr(numpy, name)(a, *args)
    assert isinstance(got, mp.MinArray) and got.dtype == want.dtype and got.shape == want.shape
    if name != "empty_like":
        numpy.testing.assert_array_equal(got.asnumpy(), want)


def test_random_is_seedable_and_numpys():
    mnp.random.seed(42)
    a = mnp.random.rand(3)
    numpy.random.seed(42)
    b = numpy.random.rand(3)
    assert isinstance(a, mp.MinArray) and a.dtype == numpy.float64
    numpy.testing.assert_array_equal(a.asnumpy(), b)
    g, h = mnp.random.default_rng(7), numpy.random.default_rng(7)
    x = g.normal(size=(2, 2))
    assert isinstance(x, mp.MinArray)
    numpy.testing.assert_array_equal(x.asnumpy(), h.normal(size=(2, 2)))
    numpy.testing.assert_array_equal(g.integers(0, 10, 5).asnumpy(), h.integers(0, 10, 5))
    p = g.permutation(mnp.arange(5))
    numpy.testing.assert_array_equal(p.asnumpy(), h.permutation(numpy.arange(5)))
    rs = mnp.random.RandomState(3)
    numpy.testing.assert_array_equal(rs.uniform(size=2).asnumpy(), numpy.random.RandomState(3).uniform(size=2))


def test_linalg_and_fft():
    a = numpy.array([[4.0, 1.0], [1.0, 3.0]])
    x = mnp.asarray(a)
    for name in ("inv", "det", "eigvalsh", "cholesky", "pinv", "norm"):
        got, want = getattr(mnp.linalg, name)(x), getattr(numpy.linalg, name)(a)
        assert type(got) is type(want) if isinstance(want, numpy.generic) else isinstance(got, mp.MinArray)
        numpy.testing.assert_allclose(numpy.asarray(got), want)
    w, v = mnp.linalg.eigh(x)
    numpy.testing.assert_allclose(w.asnumpy(), numpy.linalg.eigh(a)[0])
    f = mnp.fft.fft(mnp.arange(4.0))
    assert f.dtype == numpy.complex128
    numpy.testing.assert_allclose(f.asnumpy(), numpy.fft.fft(numpy.arange(4.0)))
    numpy.testing.assert_allclose(mnp.fft.irfft(mnp.fft.rfft(x)).asnumpy(), a)
    with pytest.raises(numpy.linalg.LinAlgError):
        mnp.linalg.inv(mnp.zeros((2, 2)))


def test_ufunc_objects_keep_their_methods():
    assert isinstance(mnp.add, object) and mnp.add.nin == 2 and mnp.exp.nout == 1
    assert mnp.add.identity == 0 and "add" in repr(mnp.add)
    x = mnp.arange(4.0)
    assert type(mnp.add.reduce(x)) is numpy.float64 and isinstance(mnp.add.reduce(x[None], axis=0), mp.MinArray)
    assert mnp.add.accumulate(x).shape == (4,)
    assert mnp.multiply.outer(x, x).shape == (4, 4)
    numpy.testing.assert_array_equal(mnp.add.reduceat(x, [0, 2]).asnumpy(), [1.0, 5.0])
    mnp.add.at(x, [0, 0], 1.0)
    assert x.asnumpy()[0] == 2.0
    assert mnp.exp.__doc__ == numpy.exp.__doc__


def test_functions_accept_lists_and_scalars():
    r = mnp.exp([0.0, 1.0])
    assert isinstance(r, mp.MinArray) and r.dtype == numpy.float64
    r = mnp.sum([[1, 2], [3, 4]], axis=0)
    numpy.testing.assert_array_equal(r.asnumpy(), [4, 6])
    assert type(mnp.add(1, 2)) is numpy.int64  # NumPy's scalar, as NumPy gives it
    assert isinstance(mnp.add([1], 2), mp.MinArray)
    assert mnp.shape([[1, 2]]) == (1, 2)
    assert isinstance(mnp.isscalar(3), bool)


def test_dir_lists_numpy_names():
    names = dir(mnp)
    assert "exp" in names and "linalg" in names and "logaddexp" in names
    assert isinstance(mnp.linalg, types.ModuleType)


def test_issue_example():
    x = mnp.zeros((2, 3))
    y = mnp.ones((2, 3))
    z = mnp.logaddexp(x, y)
    w = numpy.exp(z) + numpy.sum(z, axis=0)
    assert isinstance(w, mp.MinArray)
    with mp.policy("prefer_mxnet"):
        v = mnp.tanh(w) @ mnp.ones((3, 4))
    want = numpy.tanh(numpy.exp(numpy.logaddexp(0, 1)) + 2 * numpy.logaddexp(0, 1)) * 3
    numpy.testing.assert_allclose(v.asnumpy(), numpy.full((2, 4), want), rtol=1e-12)
    assert v.shape == (2, 4) and v.dtype == numpy.float64 and v.device == "cpu"
    assert "tanh" in str(mp.op_stats()) and "matmul" in str(mp.op_stats())


# ---------------------------------------------------------------- what SciPy's and MinPy's code reach for
def test_version_is_numpys():
    assert mnp.__version__ == numpy.__version__


def test_lib_helpers_return_minarrays():
    x = mnp.arange(6.0)
    v = mnp.lib.stride_tricks.as_strided(x, shape=(4, 3), strides=(x.itemsize, x.itemsize))
    assert isinstance(v, mp.MinArray)
    numpy.testing.assert_array_equal(v.asnumpy(), numpy.lib.stride_tricks.as_strided(
        numpy.arange(6.0), shape=(4, 3), strides=(8, 8)))
    x[1] = 10.0  # a view of x's buffer on the cpu, as NumPy's is
    assert v.asnumpy()[0, 1] == 10.0 and v.asnumpy()[1, 0] == 10.0
    from minpy_array.numpy.lib.stride_tricks import sliding_window_view

    w = sliding_window_view(mnp.arange(5), 3)
    assert isinstance(w, mp.MinArray) and w.shape == (3, 3)
    assert isinstance(mnp.lib.npyio, types.ModuleType)  # the other numpy.lib modules are faces too
    assert isinstance(mnp.emath.sqrt(mnp.asarray([-4.0])), mp.MinArray)
    assert mnp.emath.sqrt(mnp.asarray([-4.0])).tolist() == [2j]
    assert mnp.lib.NumpyVersion is numpy.lib.NumpyVersion  # classes stay NumPy's


@pytest.mark.parametrize(("name", "says"), [
    ("set_policy", "minpy_array.set_global_policy"),              # MinPy's numpy face
    ("onehot_encode", "labels[:, None] == np.arange"),
    ("softmax_output", "nn.layers.softmax_loss"),
    ("no_such_name", "(nor has numpy"),
])
def test_missing_names_name_their_equivalent(name, says):
    with pytest.raises(AttributeError, match=f"has no attribute '{name}'") as e:
        getattr(mnp, name)
    assert says in str(e.value)


def test_missing_numpy_names_point_to_the_other_numpy_or_the_namespace():
    with pytest.raises(AttributeError, match="NumPy says: `np.float` was a deprecated alias"):
        mnp.float  # noqa: B018
    if numpy.__version__ < "2":  # NumPy 2's names on 1.26: in the Array API namespace, or NumPy 1's spelling
        with pytest.raises(AttributeError, match=r"use minpy_array.concat \(the Array API namespace\)"):
            mnp.concat  # noqa: B018
        with pytest.raises(AttributeError, match="use np.trapz"):
            mnp.trapezoid  # noqa: B018
    else:  # NumPy 1's names on NumPy 2: its renames, and NumPy's own explanation where it has one
        with pytest.raises(AttributeError, match="use np.prod"):
            mnp.product  # noqa: B018
        with pytest.raises(AttributeError, match="NumPy says: `np.float_` was removed"):
            mnp.float_  # noqa: B018
