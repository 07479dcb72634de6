"""Differential conformance: every function of the 2025.12 standard against array_api_strict.

Hypothesis draws arguments (arrays from `make_strategies_namespace(minpy_array)`); each call runs in minpy_array
and, on the same values, in array_api_strict.  Results must agree in dtype, shape, device and values (within the
dtype's tolerance); when array_api_strict raises, minpy_array must raise the same exception type.  Every test runs
under the default policy and under prefer_mxnet (when MXNet is installed), so guarded MXNet kernels are compared
too.  Inputs are finite and moderate: IEEE special cases are the official suite's job (conformance/).
"""
import math

import array_api_strict as strict
import numpy
import pytest
from conftest import HAS_MXNET
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.array_api import make_strategies_namespace

import minpy_array as xp
from minpy_array import _elementwise

strict.set_array_api_strict_flags(api_version="2025.12")
xps = make_strategies_namespace(xp)
EXAMPLES = settings(max_examples=min(settings().max_examples, 12))

CATEGORY = {
    "all": ["bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float32",
            "float64", "complex64", "complex128"],
    "bool": ["bool"],
    "integer": ["int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64"],
    "real floating-point": ["float32", "float64"],
    "complex floating-point": ["complex64", "complex128"],
}
CATEGORY["integer or boolean"] = CATEGORY["integer"] + ["bool"]
CATEGORY["real numeric"] = CATEGORY["integer"] + CATEGORY["real floating-point"]
CATEGORY["floating-point"] = CATEGORY["real floating-point"] + CATEGORY["complex floating-point"]
CATEGORY["numeric"] = CATEGORY["real numeric"] + CATEGORY["complex floating-point"]
SHAPES = xps.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
POLICIES = ["auto", "prefer_mxnet"] if HAS_MXNET else ["auto"]


@pytest.fixture(params=POLICIES, autouse=True)
def policy(request):
    with xp.policy(request.param):
        yield request.param


# ---------------------------------------------------------------- strategies
def elements(dtype):
    kind = numpy.dtype(dtype).kind
    if kind == "f":
        return {"min_value": -100, "max_value": 100, "allow_nan": False, "allow_infinity": False}
    if kind == "c":
        # complex64: |z| <= 80 keeps exp/expm1/sinh/cosh finite (e**89 overflows float32 and is a special case:
        # expm1(89+0j) is inf+0j by the spec, which minpy_array follows, and inf+nanj in array_api_strict)
        return st.complex_numbers(max_magnitude=80 if numpy.dtype(dtype).itemsize == 8 else 100, allow_nan=False,
                                  allow_infinity=False, width=numpy.dtype(dtype).itemsize * 8)
    return None


def arrays(dtype, shape=SHAPES):
    if isinstance(dtype, str):
        dtype = getattr(xp, dtype)
    return xps.arrays(dtype, shape, elements=elements(dtype))


def dtypes(category):
    return st.sampled_from(CATEGORY[category])


@st.composite
def array_of(draw, category, shape=SHAPES):
    return draw(arrays(draw(dtypes(category)), shape))


@st.composite
def promotable_pair(draw, category, shapes=None):
    """Two arrays of spec-promotable dtypes in `category`, of broadcast-compatible shapes."""
    d1 = draw(dtypes(category))
    partners = [d for d in CATEGORY[category] if _promotes(d1, d)]
    d2 = draw(st.sampled_from(partners))
    default = xps.mutually_broadcastable_shapes(2, min_dims=0, max_dims=3, max_side=4)
    s1, s2 = draw(default if shapes is None else shapes).input_shapes
    return draw(arrays(d1, s1)), draw(arrays(d2, s2))


def _promotes(a, b):
    try:
        xp.result_type(getattr(xp, a), getattr(xp, b))
    except TypeError:
        return False
    return True


def scalar_for(dtype):
    kind = numpy.dtype(dtype).kind
    if kind == "b":
        return st.booleans()
    if kind in "iu":
        info = numpy.iinfo(dtype)
        return st.integers(int(info.min), int(info.max))
    if kind == "f":
        return st.one_of(st.integers(-100, 100), st.floats(-100, 100))
    return st.one_of(st.integers(-100, 100), st.floats(-100, 100), st.complex_numbers(max_magnitude=100))


@st.composite
def axis_for(draw, x, allow_none=True, tuples=True):
    opts = [st.integers(-x.ndim, x.ndim - 1)] if x.ndim else []
    if allow_none or not opts:
        opts.append(st.none())
    if tuples and x.ndim:
        opts.append(st.lists(st.integers(0, x.ndim - 1), unique=True, max_size=x.ndim).map(tuple))
    return draw(st.one_of(opts))


# ---------------------------------------------------------------- comparison
def to_strict(v):
    if type(v) is xp.MinArray:
        return strict.asarray(v.asnumpy())
    if isinstance(v, (list, tuple)):
        return type(v)(to_strict(e) for e in v)
    if isinstance(v, numpy.dtype):
        return getattr(strict, str(v))
    return v


def _name(dtype):
    return str(dtype).rpartition(".")[2]


def assert_same(got, want, device, what):
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want), what
        for g, w in zip(got, want, strict=True):
            assert_same(g, w, device, what)
        return
    if type(want).__name__ == "DType":
        assert _name(got) == _name(want), what
        return
    if not hasattr(want, "shape"):
        assert got == want or (isinstance(want, float) and math.isnan(want) and math.isnan(got)), what
        return
    assert type(got) is xp.MinArray, f"{what}: got {type(got).__name__}"
    assert _name(got.dtype) == _name(want.dtype), f"{what}: dtype {got.dtype} != {_name(want.dtype)}"
    assert got.shape == tuple(want.shape), f"{what}: shape {got.shape} != {want.shape}"
    assert got.device == device, f"{what}: device {got.device} != {device}"
    g, w = got.asnumpy(), numpy.asarray(want._array)
    if g.dtype.kind in "fc":
        tol = 1e-5 if g.dtype in (numpy.float32, numpy.complex64) else 1e-12
        numpy.testing.assert_allclose(g, w, rtol=tol, atol=tol * 10, equal_nan=True, err_msg=what)
    else:
        numpy.testing.assert_array_equal(g, w, err_msg=what)


def check(name, *args, module="", compare=assert_same, **kw):
    """Call `name` in both namespaces on the same values and compare outcomes."""
    ours = getattr(getattr(xp, module) if module else xp, name)
    theirs = getattr(getattr(strict, module) if module else strict, name)
    what = f"{module + '.' if module else ''}{name}{tuple(args)} {kw}"
    try:
        want = theirs(*to_strict(args), **{k: to_strict(v) for k, v in kw.items()})
    except Exception as exc:
        with pytest.raises(Exception) as info:
            ours(*args, **kw)
        assert isinstance(info.value, type(exc)) or isinstance(exc, type(info.value)), \
            f"{what}: array_api_strict raised {type(exc).__name__}, minpy_array {type(info.value).__name__}"
        return None
    got = ours(*args, **kw)
    device = next((a.device for a in args if type(a) is xp.MinArray), xp.Device("cpu"))
    compare(got, want, device, what)
    return got


# ---------------------------------------------------------------- element-wise
UNARY = {**{n: c for n, (_, c) in _elementwise.UNARY.items()},
         **{n: "real numeric" for n in _elementwise.INTEGER_IDENTITY}, "sign": "numeric"}
# inputs the spec defines; minpy_array also accepts any dtype in logical_* (scikit-learn relies on it)
SPEC_BOOL = {"logical_and", "logical_or", "logical_xor", "logical_not"}
SHIFTS = ("bitwise_left_shift", "bitwise_right_shift")
BINARY = {**{n: c for n, (_, c) in _elementwise.BINARY.items()}, "floor_divide": "real numeric"}
UNARY.update({n: "bool" for n in SPEC_BOOL & set(UNARY)})
BINARY.update({n: "bool" for n in SPEC_BOOL & set(BINARY)})


@pytest.mark.parametrize("name", sorted(UNARY))
@EXAMPLES
@given(data=st.data())
def test_unary(name, data):
    check(name, data.draw(array_of(UNARY[name])))


@pytest.mark.parametrize("name", sorted(BINARY))
@EXAMPLES
@given(data=st.data())
def test_binary(name, data):
    x1, x2 = data.draw(promotable_pair(BINARY[name]))
    if name in SHIFTS:  # Note: negative shifts are undefined by the spec (array_api_strict raises, NumPy gives 0)
        x1, x2 = xp.clip(x1, 0), xp.clip(x2, 0)
    check(name, x1, x2)
    s = data.draw(scalar_for(x1.dtype))
    if name in SHIFTS:
        s = abs(s) if s != numpy.iinfo(x1.dtype).min else 0
    check(name, x1, s)
    check(name, s, x1)


@EXAMPLES
@given(data=st.data())
def test_clip(data):
    x = data.draw(array_of("real numeric"))
    lo = data.draw(st.none() | scalar_for(x.dtype).filter(lambda v: type(v) is not complex))
    hi = data.draw(st.none() | scalar_for(x.dtype).filter(lambda v: type(v) is not complex))
    if lo is not None and hi is not None and lo > hi:
        lo, hi = hi, lo
    check("clip", x, lo, hi)


# ---------------------------------------------------------------- statistical, utility, searching
REDUCTIONS = {"sum": "numeric", "prod": "numeric", "max": "real numeric", "min": "real numeric",
              "mean": "floating-point", "std": "real floating-point", "var": "real floating-point",
              "all": "all", "any": "all", "count_nonzero": "all"}


@pytest.mark.parametrize("name", sorted(REDUCTIONS))
@EXAMPLES
@given(data=st.data())
def test_reduction(name, data):
    x = data.draw(array_of(REDUCTIONS[name]))
    kw = {"axis": data.draw(axis_for(x)), "keepdims": data.draw(st.booleans())}
    if name in ("std", "var"):
        kw["correction"] = data.draw(st.sampled_from([0, 1, 0.5]))
    check(name, x, **kw)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@EXAMPLES
@given(data=st.data())
def test_arg_reduction(name, data):
    x = data.draw(array_of("real numeric"))
    check(name, x, axis=data.draw(axis_for(x, tuples=False)), keepdims=data.draw(st.booleans()))


@pytest.mark.parametrize("name", ["cumulative_sum", "cumulative_prod"])
@EXAMPLES
@given(data=st.data())
def test_cumulative(name, data):
    x = data.draw(array_of("numeric", xps.array_shapes(min_dims=1, max_dims=3, max_side=4)))
    axis = data.draw(axis_for(x, allow_none=x.ndim == 1, tuples=False))
    check(name, x, axis=axis, include_initial=data.draw(st.booleans()))


@EXAMPLES
@given(data=st.data())
def test_diff(data):
    x = data.draw(array_of("real numeric", xps.array_shapes(min_dims=1, max_dims=3, max_side=4)))
    check("diff", x, axis=data.draw(st.integers(-x.ndim, x.ndim - 1)), n=data.draw(st.integers(0, 2)))


@EXAMPLES
@given(data=st.data())
def test_searching(data):
    x = data.draw(array_of("all", xps.array_shapes(min_dims=1, max_dims=3, max_side=4)))
    check("nonzero", x)
    cond = data.draw(arrays("bool", st.just(x.shape)))
    y = data.draw(arrays(x.dtype, st.just(x.shape)))
    check("where", cond, x, y)
    check("where", cond, x, data.draw(scalar_for(x.dtype)))
    s = data.draw(arrays(data.draw(dtypes("real numeric")), xps.array_shapes(min_dims=1, max_dims=1)))
    v = data.draw(arrays(s.dtype, xps.array_shapes(min_dims=0, max_dims=2, max_side=3)))
    check("searchsorted", xp.sort(s), v, side=data.draw(st.sampled_from(["left", "right"])))


# ---------------------------------------------------------------- sorting, sets, indexing
@EXAMPLES
@given(data=st.data())
def test_sorting(data):
    x = data.draw(array_of("real numeric", xps.array_shapes(min_dims=1, max_dims=3, max_side=4)))
    kw = {"axis": data.draw(st.integers(-x.ndim, x.ndim - 1)), "descending": data.draw(st.booleans())}
    check("sort", x, **kw)
    check("argsort", x, stable=True, **kw)


@pytest.mark.parametrize("name", ["unique_all", "unique_counts", "unique_inverse", "unique_values"])
@EXAMPLES
@given(data=st.data())
def test_unique(name, data):
    check(name, data.draw(array_of("real numeric")))


@EXAMPLES
@given(data=st.data())
def test_isin(data):
    x1, x2 = data.draw(promotable_pair("integer"))
    got = check("isin", x1, x2)
    # Note: array_api_strict 2.6.1 ignores invert=, so the inverted result is checked against the plain one
    assert xp.isin(x1, x2, invert=True).tolist() == xp.logical_not(got).tolist()
    check("isin", x1, data.draw(scalar_for(x1.dtype)))


@EXAMPLES
@given(data=st.data())
def test_take(data):
    x = data.draw(array_of("all", xps.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4)))
    axis = data.draw(st.integers(-x.ndim, x.ndim - 1))
    idx = data.draw(xps.arrays(xp.int64, xps.array_shapes(min_dims=1, max_dims=1, max_side=5),
                               elements=st.integers(0, x.shape[axis] - 1)))
    check("take", x, idx, axis=axis)
    along = data.draw(xps.arrays(xp.int64, x.shape, elements=st.integers(0, x.shape[axis] - 1)))
    check("take_along_axis", x, along, axis=axis)


# ---------------------------------------------------------------- manipulation
@EXAMPLES
@given(data=st.data())
def test_manipulation(data):
    x = data.draw(array_of("all"))
    n = x.ndim
    check("flip", x, axis=data.draw(axis_for(x)))
    check("expand_dims", x, axis=data.draw(st.integers(-n - 1, n)))
    check("expand_dims", x, axis=data.draw(st.lists(st.integers(-n - 2, n + 1), min_size=1, max_size=2,
                                                    unique=True).map(tuple)))
    check("reshape", x, (-1,))
    check("broadcast_to", x, (2, *x.shape))
    check("tile", x, data.draw(st.lists(st.integers(0, 2), max_size=3).map(tuple)))
    check("repeat", x, data.draw(st.integers(0, 2)))
    check("roll", x, data.draw(st.integers(-3, 3)), axis=data.draw(axis_for(x, allow_none=True, tuples=False)))
    if n:
        perm = tuple(data.draw(st.permutations(range(n))))
        check("permute_dims", x, perm)
        check("moveaxis", x, 0, -1)
        check("unstack", x, axis=data.draw(st.integers(-n, n - 1)))
        check("squeeze", x, axis=data.draw(st.integers(-n, n - 1)))
    if n >= 2:
        check("matrix_transpose", x)
        check("tril", x, k=data.draw(st.integers(-2, 2)))
        check("triu", x, k=data.draw(st.integers(-2, 2)))


@EXAMPLES
@given(data=st.data())
def test_joining(data):
    shape = data.draw(xps.array_shapes(min_dims=1, max_dims=3, max_side=3))
    x1, x2 = data.draw(promotable_pair("all", st.just(type("S", (), {"input_shapes": (shape, shape)}))))
    axis = data.draw(st.integers(-len(shape), len(shape) - 1))
    check("concat", [x1, x2], axis=axis)
    check("concat", [x1, x2], axis=None)
    check("stack", [x1, x2], axis=data.draw(st.integers(-len(shape) - 1, len(shape))))
    check("broadcast_arrays", x1, x2)
    check("meshgrid", x1, x1, indexing=data.draw(st.sampled_from(["xy", "ij"])))
    check("broadcast_shapes", shape, (1,) + shape)


# ---------------------------------------------------------------- creation and data types
@EXAMPLES
@given(data=st.data())
def test_creation(data):
    dt = data.draw(dtypes("all"))
    shape = data.draw(xps.array_shapes(min_dims=0, max_dims=3, max_side=4))
    check("zeros", shape, dtype=getattr(xp, dt))
    check("ones", shape, dtype=getattr(xp, dt))
    check("full", shape, data.draw(scalar_for(dt).filter(lambda v: numpy.dtype(dt).kind == "c"
                                                            or type(v) is not complex)))
    n, m = data.draw(st.integers(0, 4)), data.draw(st.none() | st.integers(0, 4))
    check("eye", n, m, k=data.draw(st.integers(-2, 2)), dtype=getattr(xp, dt))
    x = data.draw(arrays(dt, st.just(shape)))
    check("zeros_like", x)
    check("ones_like", x, dtype=xp.float32)
    check("full_like", x, data.draw(scalar_for(dt)))
    check("empty_like", x, compare=lambda g, w, d, what: (g.shape, g.dtype) == (tuple(w.shape), None))
    start, stop = data.draw(st.integers(-10, 10)), data.draw(st.integers(-10, 10))
    check("arange", start, stop, data.draw(st.sampled_from([1, 2, -1, 3])))
    check("arange", float(start), float(stop), 0.5)
    check("linspace", start, stop, data.draw(st.integers(0, 6)), endpoint=data.draw(st.booleans()))
    check("asarray", data.draw(st.lists(scalar_for("int64"), max_size=4)))


@EXAMPLES
@given(data=st.data())
def test_data_type_functions(data):
    d1, d2 = getattr(xp, data.draw(dtypes("all"))), getattr(xp, data.draw(dtypes("all")))
    x = data.draw(arrays(d1))
    check("astype", x, d2)
    check("can_cast", d1, d2)
    check("result_type", d1, d2)
    kind = data.draw(st.sampled_from(["bool", "signed integer", "unsigned integer", "integral", "real floating",
                                      "complex floating", "numeric"]))
    check("isdtype", d1, kind)
    if d1.kind in "iu":
        check("iinfo", d1, compare=lambda g, w, d, what: tuple(g) == (w.bits, w.max, w.min, g.dtype))
    if d1.kind in "fc":
        check("finfo", d1, compare=lambda g, w, d, what: tuple(g)[:5] == (w.bits, w.eps, w.max, w.min,
                                                                          w.smallest_normal))


# ---------------------------------------------------------------- linear algebra
@st.composite
def matrices(draw, category="real floating-point", square=True, min_dims=2):
    dt = draw(dtypes(category))
    n = draw(st.integers(1, 4))
    m = n if square else draw(st.integers(1, 4))
    batch = draw(xps.array_shapes(min_dims=0, max_dims=min_dims - 1 if min_dims > 2 else 1, max_side=2))
    return draw(xps.arrays(getattr(xp, dt), (*batch, n, m), elements=small(dt)))


def small(dtype):
    return st.integers(0, 5) if str(dtype).startswith("uint") else st.integers(-5, 5)


@EXAMPLES
@given(data=st.data())
def test_linear_algebra(data):
    a = data.draw(matrices("numeric", square=False))
    b = data.draw(xps.arrays(a.dtype, (*a.shape[:-2], a.shape[-1], data.draw(st.integers(1, 3))),
                             elements=small(a.dtype)))
    check("matmul", a, b)
    check("matmul", a, b, module="linalg")
    check("tensordot", a, b, axes=data.draw(st.sampled_from([0, 1])) if a.ndim == 2 == b.ndim else 0)
    check("vecdot", a, a, axis=-1)
    check("trace", a, module="linalg", offset=data.draw(st.integers(-1, 1)))
    check("diagonal", a, module="linalg")
    v = data.draw(xps.arrays(a.dtype, (3,), elements=small(a.dtype)))
    check("cross", v, v, module="linalg")
    check("outer", v, v, module="linalg")


def _close(tol):
    def compare(got, want, device, what):
        assert_same(got, want, device, what) if tol is None else None
    return compare


def assert_close(got, want, device, what):
    """Decompositions: values up to floating-point reordering (loose tolerances, dtype and shape exact)."""
    if isinstance(want, tuple):
        for g, w in zip(got, want, strict=True):
            assert_close(g, w, device, what)
        return
    assert _name(got.dtype) == _name(want.dtype) and got.shape == tuple(want.shape), what
    assert got.device == device, what
    tol = 1e-3 if got.dtype in (xp.float32, xp.complex64) else 1e-8
    numpy.testing.assert_allclose(got.asnumpy(), numpy.asarray(want._array), rtol=tol, atol=tol, err_msg=what)


@EXAMPLES
@given(data=st.data())
def test_linalg_matrix_functions(data):
    a = data.draw(matrices())
    spd = xp.add(xp.matmul(a, xp.matrix_transpose(a)), xp.multiply(xp.eye(a.shape[-1], dtype=a.dtype), 3))
    check("cholesky", spd, module="linalg", compare=assert_close, upper=data.draw(st.booleans()))
    check("det", spd, module="linalg", compare=assert_close)
    check("inv", spd, module="linalg", compare=assert_close)
    check("eigvalsh", spd, module="linalg", compare=assert_close)
    check("slogdet", spd, module="linalg", compare=assert_close)
    check("svdvals", a, module="linalg", compare=assert_close)
    check("matrix_rank", a, module="linalg")
    check("pinv", spd, module="linalg", compare=assert_close)
    check("matrix_power", a, data.draw(st.integers(0, 3)), module="linalg", compare=assert_close)
    check("matrix_norm", a, module="linalg", compare=assert_close,
          ord=data.draw(st.sampled_from(["fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf])))
    check("vector_norm", a, module="linalg", compare=assert_close, axis=data.draw(axis_for(a, tuples=False)),
          ord=data.draw(st.sampled_from([1, 2, 3, math.inf, -math.inf, 0])))
    b = data.draw(xps.arrays(a.dtype, (a.shape[-1],), elements=st.integers(-5, 5)))
    check("solve", spd, b, module="linalg", compare=assert_close)
    check("solve", spd, spd, module="linalg", compare=assert_close)


@EXAMPLES
@given(data=st.data())
def test_linalg_decompositions(data):
    """Factors are unique only up to signs and phases: compare what is invariant, against the input."""
    a = data.draw(matrices(square=False))
    q, r = xp.linalg.qr(a)
    assert q.dtype == r.dtype == a.dtype
    numpy.testing.assert_allclose(xp.matmul(q, r).asnumpy(), a.asnumpy(), atol=1e-3)
    u, s, vh = xp.linalg.svd(a, full_matrices=False)
    assert_close(s, strict.linalg.svdvals(to_strict(a)), a.device, "svd")
    numpy.testing.assert_allclose(xp.matmul(xp.multiply(u, xp.expand_dims(s, axis=-2)), vh).asnumpy(),
                                  a.asnumpy(), atol=1e-3)
    sym = xp.add(a, xp.matrix_transpose(a)) if a.shape[-1] == a.shape[-2] else xp.matmul(a, xp.matrix_transpose(a))
    w, v = xp.linalg.eigh(sym)
    assert w.dtype == v.dtype == a.dtype
    numpy.testing.assert_allclose(xp.matmul(sym, v).asnumpy(), xp.multiply(v, xp.expand_dims(w, axis=-2)).asnumpy(),
                                  atol=1e-2)
    ev = xp.linalg.eigvals(sym)
    assert ev.dtype == (xp.complex64 if a.dtype == xp.float32 else xp.complex128)
    numpy.testing.assert_allclose(numpy.sort(ev.asnumpy().real, axis=-1), w.asnumpy(), atol=1e-2)
    ew, ev2 = xp.linalg.eig(sym)
    assert ew.dtype == ev2.dtype == ev.dtype


# ---------------------------------------------------------------- fft
@pytest.mark.parametrize("name", ["fft", "ifft", "fftn", "ifftn", "rfft", "irfft", "rfftn", "irfftn", "hfft",
                                  "ihfft"])
@EXAMPLES
@given(data=st.data())
def test_fft(name, data):
    real_in = name in ("rfft", "rfftn", "ihfft")
    x = data.draw(array_of("real floating-point" if real_in else "complex floating-point",
                           xps.array_shapes(min_dims=1, max_dims=3, min_side=1 if real_in else 2, max_side=4)))
    norm = data.draw(st.sampled_from(["backward", "ortho", "forward"]))
    if name.endswith("n"):
        check(name, x, module="fft", compare=assert_close, norm=norm)
    else:
        check(name, x, module="fft", compare=assert_close, norm=norm, axis=data.draw(st.integers(-x.ndim, -1)))


@EXAMPLES
@given(data=st.data())
def test_fft_helpers(data):
    n = data.draw(st.integers(1, 8))
    d = data.draw(st.sampled_from([1.0, 0.5, 2.0]))
    check("fftfreq", n, module="fft", d=d)
    check("rfftfreq", n, module="fft", d=d, dtype=xp.float32)
    x = data.draw(array_of("numeric", xps.array_shapes(min_dims=1, max_dims=3, max_side=4)))
    check("fftshift", x, module="fft")
    check("ifftshift", x, module="fft", axes=data.draw(st.integers(-x.ndim, x.ndim - 1)))
