"""Calls for the parity sweep: for every op a backend's table may hold, a hypothesis strategy drawing (args, kwargs)
as NumPy arrays and Python values, of a given dtype, in the forms the faces and autodiff pass them; and the
comparison of a result with NumPy's."""
import warnings

import hypothesis.extra.numpy as hnp
import numpy
from hypothesis import assume
from hypothesis import strategies as st

import minpy_array as mp
from minpy_array.ops.numpy_ops import KERNELS

D = numpy.dtype
F16, F32, F64 = D("float16"), D("float32"), D("float64")
ALL = tuple(D(n) for n in ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                           "float16", "float32", "float64", "complex64", "complex128"))
COMMON = (D("bool"), D("int32"), D("int64"), F32, F64)  # drawn half of the time: what guards mostly admit
_F32_SAFE = float(numpy.float32(3.3e38))  # NumPy 1.26 upcasts float32 with a Python float from 3.4e38 on
RTOL = {F32: 2e-5, F64: 1e-12, F16: 2e-3, D("complex64"): 2e-5, D("complex128"): 1e-12}

UNARY = ("exp", "log", "sin", "cos", "tan", "tanh", "sinh", "cosh", "sqrt", "log1p", "expm1", "log2", "log10",
         "abs", "negative", "positive", "floor", "ceil", "trunc", "fix", "rint", "square", "acos", "asin", "atan",
         "asinh", "acosh", "atanh", "isnan", "isinf", "isfinite", "signbit", "cbrt", "reciprocal", "exp2", "sign",
         "logical_not")
BINARY = ("add", "subtract", "multiply", "divide", "pow", "hypot", "atan2", "logaddexp", "copysign", "maximum",
          "minimum", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
          "logical_or", "logical_xor")
# sums, and extremes over +0.0 and -0.0: which zero NumPy gives depends on its loop and the layout (matmul and dot
# are compared: their kernels contract two elements or more, whose zero sum is +0.0 in NumPy and the backends alike,
# except where the exact sum is a nonzero that rounds to zero: rounded_zeros)
ZERO_SIGN_FREE = ("sum", "mean", "conv2d", "conv2d_grad_input", "conv2d_grad_weight",
                  "_scatter_add", "avg_pool2d", "avg_pool2d_grad", "max", "min", "max_pool2d")
# element values of these results are unspecified
SHAPE_ONLY = ("empty", "empty_like")
CONTRACTIONS = ("matmul", "dot", "_matmul_t")


def _elements(dtype, special=True):
    if dtype.kind == "f":
        w = dtype.itemsize * 8
        return st.floats(width=w, allow_nan=special, allow_infinity=special) if special else \
            st.floats(-1e3, 1e3, width=w)
    if dtype.kind == "c":
        return st.complex_numbers(allow_nan=special, allow_infinity=special, max_magnitude=None if special else 1e3,
                                  width=dtype.itemsize * 8)
    if dtype.kind == "b":
        return st.booleans()
    return None  # hypothesis' default: the whole range of the dtype


def arrays(dtype, shape, special=True):
    return hnp.arrays(dtype, shape, elements=_elements(dtype, special))


SHAPES = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4)
NONSCALAR = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=4)
NONEMPTY = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


class Raw:
    """An argument passed as it is (an ndarray that must not become a MinArray)."""

    def __init__(self, a):
        self.a = a

    def __repr__(self):
        return f"Raw({self.a!r})"


def _scalar(draw, dtype):
    if dtype.kind == "f":
        floats = st.floats(-_F32_SAFE, _F32_SAFE, width=32) if dtype == F32 else st.floats(allow_infinity=False)
        return draw(st.one_of(st.integers(-1000, 1000), floats))
    if dtype.kind == "b":
        return draw(st.booleans())
    if dtype.kind == "c":
        return draw(st.complex_numbers(max_magnitude=1e3))
    return draw(st.integers(-100, 100))


def _axis(draw, ndim, tuples=True):
    if not ndim:
        return None
    one = st.integers(-ndim, ndim - 1)
    many = st.lists(st.integers(0, ndim - 1), min_size=1, unique=True).map(tuple)
    return draw(st.one_of(st.none(), one, many) if tuples else st.one_of(st.none(), one))


@st.composite
def unary(draw, dtype):
    return (draw(arrays(dtype, SHAPES)),), {}


@st.composite
def binary(draw, dtype):
    form = draw(st.sampled_from(["arrays", "scalar", "rscalar", "0-d ndarray"]))
    if form == "arrays":
        s1, s2 = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=4)).input_shapes
        return (draw(arrays(dtype, s1)), draw(arrays(dtype, s2))), {}
    x = draw(arrays(dtype, SHAPES))
    s = _scalar(draw, dtype)
    if form == "0-d ndarray":  # the operators pass NEP 50 scalars as 0-d arrays of the array's dtype
        s = Raw(numpy.asarray(s).astype(dtype))
    return ((x, s) if form != "rscalar" else (s, x)), {}


@st.composite
def reduce(draw, dtype):
    x = draw(arrays(dtype, SHAPES, special=draw(st.booleans())))
    axis = _axis(draw, x.ndim)
    form = draw(st.sampled_from(["kw", "positional"]))
    keepdims = draw(st.booleans())
    if form == "positional":  # as autodiff's unbroadcast calls sum(g, axes, None, None, True)
        return (x, axis, None, None, keepdims), {}
    kw = {}
    if axis is not None or draw(st.booleans()):
        kw["axis"] = axis
    if keepdims or draw(st.booleans()):
        kw["keepdims"] = keepdims
    return (x,), kw


@st.composite
def argreduce(draw, dtype):
    x = draw(arrays(dtype, NONEMPTY))
    kw = {}
    axis = _axis(draw, x.ndim, tuples=False)
    if axis is not None:
        kw["axis"] = axis
    if draw(st.booleans()):
        kw["keepdims"] = draw(st.booleans())
    return (x,), kw


@st.composite
def matmul(draw, dtype, batched=True):
    n, k, m = (draw(st.integers(0, 4)) for _ in range(3))
    a_shape, b_shape = draw(st.sampled_from([((n, k), (k, m)), ((k,), (k, m)), ((n, k), (k,)), ((k,), (k,)),
                                             ((2, n, k), (k, m)), ((2, n, k), (2, k, m)), ((n, k), (3, k, m))]))
    if not batched:
        a_shape, b_shape = a_shape[-2:], b_shape[-2:]
    return (draw(arrays(dtype, a_shape, special=False)), draw(arrays(dtype, b_shape, special=False))), {}


@st.composite
def matmul_t(draw, dtype):
    """_matmul_t(a, b, ta, tb): the matmul VJP's products, a and b at least 2-d, each maybe transposed."""
    n, k, m = (draw(st.integers(0, 4)) for _ in range(3))
    ta, tb = draw(st.booleans()), draw(st.booleans())
    batch = draw(st.sampled_from([((), ()), ((2,), ()), ((2,), (2,)), ((), (3,))]))
    a_shape = batch[0] + ((k, n) if ta else (n, k))
    b_shape = batch[1] + ((m, k) if tb else (k, m))
    return (draw(arrays(dtype, a_shape, special=False)), draw(arrays(dtype, b_shape, special=False)), ta, tb), {}


@st.composite
def reshape(draw, dtype):
    x = draw(arrays(dtype, SHAPES))
    shape = list(x.shape[::-1]) or [1]
    if draw(st.booleans()) and x.size:
        shape = [x.size]
    if shape and draw(st.booleans()) and 0 not in shape:
        shape[draw(st.integers(0, len(shape) - 1))] = -1
    return (x, tuple(shape) if len(shape) != 1 or draw(st.booleans()) else shape[0]), {}


@st.composite
def transpose(draw, dtype):
    x = draw(arrays(dtype, SHAPES))
    if draw(st.booleans()):
        return (x,), {}
    return (x, tuple(draw(st.permutations(range(x.ndim))))), {}


@st.composite
def swapaxes(draw, dtype):
    x = draw(arrays(dtype, NONSCALAR))
    a, b = (draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    return (x, a, b), {}


@st.composite
def moveaxis(draw, dtype):
    x = draw(arrays(dtype, NONSCALAR))
    a, b = (draw(st.integers(-x.ndim, x.ndim - 1)) for _ in range(2))
    return (x, a, b), {}


@st.composite
def expand_dims(draw, dtype):
    x = draw(arrays(dtype, SHAPES))
    return (x, draw(st.integers(-x.ndim - 1, x.ndim))), {}


@st.composite
def squeeze(draw, dtype):
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=4, min_side=1, max_side=3))
    x = draw(arrays(dtype, shape))
    ones = [i for i, n in enumerate(shape) if n == 1]
    form = draw(st.sampled_from(["none", "one", "bad"]))
    if form == "none" or not ones:
        return (x,), {}
    if form == "one":
        return (x,), {"axis": draw(st.sampled_from(ones))}
    return (x,), {"axis": draw(st.integers(0, x.ndim - 1))}  # NumPy raises for an axis of size > 1


@st.composite
def broadcast_to(draw, dtype):
    x = draw(arrays(dtype, SHAPES))
    extra = tuple(draw(st.lists(st.integers(1, 3), max_size=2)))
    shape = extra + tuple(n if n != 1 else draw(st.integers(1, 3)) for n in x.shape)
    return (x, shape), {}


@st.composite
def flip(draw, dtype):
    x = draw(arrays(dtype, NONSCALAR))
    axis = draw(st.integers(-x.ndim, x.ndim - 1))
    return ((x, axis), {}) if draw(st.booleans()) else ((x,), {"axis": axis})


@st.composite
def concat(draw, dtype, stack=False):
    x = draw(arrays(dtype, SHAPES if stack else NONSCALAR))
    axis = draw(st.integers(-x.ndim - stack, x.ndim - 1 + stack)) if x.ndim or stack else 0
    parts = [x]
    for _ in range(draw(st.integers(0, 2))):
        shape = list(x.shape)
        if not stack:
            shape[axis] = draw(st.integers(0, 3))
        parts.append(draw(arrays(dtype, tuple(shape))))
    return (parts,), ({"axis": axis} if axis or draw(st.booleans()) else {})


@st.composite
def where(draw, dtype):
    s1, s2, s3 = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3)).input_shapes
    cond, x = draw(arrays(D(bool), s1)), draw(arrays(dtype, s2))
    y = draw(arrays(dtype, s3)) if draw(st.booleans()) else _scalar(draw, dtype)
    return (cond, x, y), {}


@st.composite
def select(draw, dtype):
    """_select(g, x, y, wins): the maximum/minimum VJP piece, x and y with ties (autodiff passes floats only)."""
    dtype = dtype if dtype.kind == "f" else F64
    s1, s2, s3 = draw(hnp.mutually_broadcastable_shapes(num_shapes=3, max_dims=3, max_side=3)).input_shapes
    small = st.sampled_from([-1.0, 0.0, 1.0, 2.0])
    g = draw(arrays(dtype, s1))
    fi = numpy.finfo(dtype)
    x = draw(hnp.arrays(dtype, s2, elements=st.sampled_from([-1.0, 0.0, -0.0, 1.0, 2.0, numpy.nan, numpy.inf,
                                                              -numpy.inf, fi.smallest_subnormal,
                                                              -fi.smallest_subnormal, fi.max, fi.min])))
    y = draw(hnp.arrays(dtype, s3, elements=small)) if draw(st.booleans()) else draw(st.sampled_from(
        [-1.0, 0.0, 1.0, 2.0, 0]))  # 0 and 0.0: ReLU's
    return (g, x, y, draw(st.sampled_from([numpy.greater, numpy.less]))), {}


@st.composite
def tie_mask(draw, dtype):
    dtype = dtype if dtype.kind == "f" else F64
    shape = draw(NONEMPTY)
    small = st.sampled_from([-1.0, 0.0, 1.0])
    x, y = (draw(hnp.arrays(dtype, shape, elements=small)) for _ in range(2))
    return (x, y, numpy.maximum(x, y)), {}


@st.composite
def clip(draw, dtype):
    x = draw(arrays(dtype, SHAPES))
    lo, hi = draw(st.one_of(st.none(), st.floats(-10, 10))), draw(st.one_of(st.none(), st.floats(-10, 10)))
    if lo is None and hi is None:
        lo = 0.0
    return (x, lo, hi), {}


@st.composite
def astype(draw, dtype):
    to = draw(st.sampled_from(ALL))
    to = draw(st.sampled_from([to, to.type]))  # a dtype, or its scalar type (x.astype(numpy.float32))
    return (draw(arrays(dtype, SHAPES)), to), ({"copy": draw(st.booleans())} if draw(st.booleans()) else {})


@st.composite
def asarray(draw, dtype):
    x = draw(arrays(dtype, SHAPES))
    form = draw(st.sampled_from(["ndarray", "list", "array", "cast"]))
    if form == "list":
        return (Raw(x.tolist()),), {}
    if form == "ndarray":
        return (Raw(x),), {}
    if form == "cast":
        return (x,), {"dtype": draw(st.sampled_from(ALL))}
    return (x,), {}


def _index_item(draw, n):
    return draw(st.one_of(
        st.integers(-n, n - 1) if n else st.nothing(),
        st.builds(slice, st.one_of(st.none(), st.integers(-n - 1, n + 1)), st.one_of(st.none(), st.integers(
            -n - 1, n + 1)), st.one_of(st.none(), st.sampled_from([1, 2, -1]))),
        hnp.arrays(D("int64"), st.integers(1, 3), elements=st.integers(-n, n - 1)) if n else st.nothing(),
        st.lists(st.integers(-n, n - 1), min_size=1, max_size=3) if n else st.nothing(),
        st.just(None)))


@st.composite
def index_key(draw, shape):
    """Basic, integer-array and boolean keys of an array of `shape` (in bounds: the bad-index path is NumPy's)."""
    form = draw(st.sampled_from(["items", "bool", "ellipsis"]))
    if form == "bool":
        return draw(hnp.arrays(D(bool), shape))
    items = [_index_item(draw, n) for n in shape[:draw(st.integers(1, len(shape)))]]
    if form == "ellipsis":
        items.insert(draw(st.integers(0, len(items))), Ellipsis)
    return tuple(items) if len(items) != 1 or draw(st.booleans()) else items[0]


@st.composite
def getitem(draw, dtype):
    x = draw(arrays(dtype, NONSCALAR))
    return (x, draw(index_key(x.shape))), {}


@st.composite
def setitem(draw, dtype):
    x = draw(arrays(dtype, NONSCALAR))
    key = draw(index_key(x.shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            target = numpy.asarray(x[key]).shape
        except IndexError:
            target = ()
    vd = draw(st.sampled_from([dtype, dtype, F64, D("int64"), D(bool)]))
    value = draw(st.one_of(arrays(vd, st.sampled_from([target, target[-1:], ()])), st.builds(
        lambda v: v, st.sampled_from([0, 1, -1, 2.5, True]))))
    return (x, key, value), {}


@st.composite
def scatter_add(draw, dtype):
    shape = draw(NONSCALAR.filter(lambda s: 0 not in s))
    key = draw(index_key(shape))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            target = numpy.zeros(shape)[key].shape
        except IndexError:
            target = None
    assume(target is not None)  # autodiff scatters only where its getitem read
    return (draw(arrays(dtype, target)), shape, key), {}


@st.composite
def creation(draw, dtype, name):
    shape = draw(st.one_of(st.integers(0, 4), hnp.array_shapes(min_dims=0, max_dims=3, max_side=4)))
    kw = {"dtype": dtype} if draw(st.booleans()) or name == "full" else {}
    if name == "full":
        return (shape, _scalar(draw, dtype)), kw
    if name == "arange":
        start, stop = draw(st.integers(-5, 5)), draw(st.integers(-5, 10))
        step = draw(st.sampled_from([1, 2, -1, 3]))
        return (start, stop, step), kw
    return (shape,), kw


@st.composite
def like(draw, dtype, name):
    x = draw(arrays(dtype, SHAPES))
    kw = {"dtype": draw(st.sampled_from(ALL))} if draw(st.booleans()) else {}
    if name == "full_like":
        return (x, _scalar(draw, kw.get("dtype", dtype))), kw
    return (x,), kw


@st.composite
def conv(draw, dtype, name):
    n, c, f, k = draw(st.integers(1, 2)), draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    h, w = draw(st.integers(k, 6)), draw(st.integers(k, 6))
    stride, pad = draw(st.integers(1, 2)), draw(st.integers(0, 1))
    ho, wo = (h + 2 * pad - k) // stride + 1, (w + 2 * pad - k) // stride + 1
    x, wt = draw(arrays(dtype, (n, c, h, w), False)), draw(arrays(dtype, (f, c, k, k), False))
    g = draw(arrays(dtype, (n, f, ho, wo), False))
    if name == "conv2d":
        b = draw(arrays(dtype, (f,), False)) if draw(st.booleans()) else None
        return (x, wt, b, stride, pad), {}
    if name == "conv2d_grad_input":
        return (g, wt, (n, c, h, w), stride, pad), {}
    return (x, g, (f, c, k, k), stride, pad), {}


@st.composite
def pool(draw, dtype, name):
    size, stride = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    h, w = draw(st.integers(size, 6)), draw(st.integers(size, 6))
    ties = draw(st.booleans())  # ReLU outputs: many equal values in a window
    # (averages of huge finite values overflow in an order that depends on the loop, as sums do: not compared)
    special = draw(st.booleans()) and name.startswith("max")
    x = draw(hnp.arrays(dtype, (n, c, h, w), elements=st.sampled_from([0.0, 1.0]))) if ties else \
        draw(arrays(dtype, (n, c, h, w), special))
    ho, wo = (h - size) // stride + 1, (w - size) // stride + 1
    g = draw(arrays(dtype, (n, c, ho, wo), False))
    if name in ("max_pool2d", "avg_pool2d"):
        return (x, size, stride), {}
    if name == "max_pool2d_grad":
        return (g, x, size, stride), {}
    return (g, (n, c, h, w), size, stride), {}


def _kinds():
    k = {op: unary for op in UNARY}
    k.update({op: binary for op in BINARY})
    k.update({op: reduce for op in ("sum", "mean", "max", "min")})
    k.update(argmax=argreduce, argmin=argreduce, matmul=matmul, dot=lambda dt: matmul(dt, batched=False),
             reshape=reshape, transpose=transpose, swapaxes=swapaxes, moveaxis=moveaxis, expand_dims=expand_dims,
             squeeze=squeeze, broadcast_to=broadcast_to, ravel=unary, real=unary, imag=unary, flatten=unary,
             copy=unary, flip=flip,
             concat=concat, stack=lambda dt: concat(dt, stack=True), where=where, _select=select,
             _tie_mask=tie_mask, _matmul_t=matmul_t, clip=clip, astype=astype, asarray=asarray, array=asarray,
             getitem=getitem,
             setitem=setitem, setitem_=setitem, _scatter_add=scatter_add)
    for name in ("zeros", "ones", "empty", "full", "arange"):
        k[name] = lambda dt, name=name: creation(dt, name)
    for name in ("zeros_like", "ones_like", "empty_like", "full_like"):
        k[name] = lambda dt, name=name: like(dt, name)
    for name in ("conv2d", "conv2d_grad_input", "conv2d_grad_weight"):
        k[name] = lambda dt, name=name: conv(dt, name)
    for name in ("max_pool2d", "max_pool2d_grad", "avg_pool2d", "avg_pool2d_grad"):
        k[name] = lambda dt, name=name: pool(dt, name)
    return k


CALLS = _kinds()
NO_ARRAY = ("zeros", "ones", "empty", "full", "arange")  # creation: the device comes from the context


def reference(op, args, kw):
    """NumPy's outcome: ("value", result) or ("raise", exception type)."""
    kernel = KERNELS[op]
    with warnings.catch_warnings(), numpy.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        args = [_plain_copy(a) for a in args]
        try:
            r = kernel(*args, **kw)
        except Exception as e:
            return "raise", type(e)
    return "value", (args[0] if op == "setitem_" else r)


def _plain_copy(a):
    if type(a) is Raw:
        return a.a
    return a.copy() if isinstance(a, numpy.ndarray) else a


def rounded_zeros(op, args):
    """Where a contraction's zero result was rounded from a nonzero exact value (products that underflow): there the
    zero's sign is the BLAS kernel's (one with FMA rounds the exact tiny negative to -0.0, one without sums rounded
    products from +0.0: NumPy itself gives -0.0 with OPENBLAS_CORETYPE=SkylakeX and +0.0 with Prescott for
    full((4, 2), 0.5) @ full((2, 4), -1e-45) in float32), so it is not compared; None for other ops."""
    if op not in CONTRACTIONS or not all(isinstance(a, numpy.ndarray) and a.dtype.kind == "f" for a in args[:2]):
        return None
    a, b = _operands(op, [v.astype(numpy.longdouble) for v in args[:2]] + list(args[2:]))
    with numpy.errstate(all="ignore"):
        exact = numpy.dot(a, b) if op == "dot" else numpy.matmul(a, b)
    return exact != 0


def same(got, want, op, scale=0.0, rounded=None):
    """None when MinArray `got` equals NumPy's `want` (values to the dtype's tolerance, dtype, shape, the sign of
    zeros, NaN and inf), else what differs; `rounded`: where a zero's sign is not compared (rounded_zeros)."""
    if isinstance(got, numpy.generic):  # the NumPy face on the cpu gives NumPy's scalar where NumPy does
        if not isinstance(want, numpy.generic):
            return f"a NumPy scalar where NumPy gives {type(want)}"
        host = numpy.asarray(got)
    elif not isinstance(got, mp.MinArray):
        return f"not a MinArray: {type(got)}"
    else:
        host = got.asnumpy()
    want = numpy.asarray(want)
    if host.dtype != want.dtype or host.shape != want.shape:
        return f"dtype/shape {host.dtype}{host.shape} vs NumPy {want.dtype}{want.shape}"
    if op in SHAPE_ONLY:
        return None
    if want.dtype.kind in "fc":
        rtol = RTOL.get(want.dtype, 1e-6)
        close = numpy.isclose(host, want, rtol=rtol, atol=rtol * max(10, scale), equal_nan=True)
        if not close.all():
            return f"values {host} vs NumPy {want}"
        if want.dtype.kind == "f" and op not in ZERO_SIGN_FREE:
            zeros = (want == 0) & (host == 0)
            if rounded is not None:
                zeros &= ~rounded
            if (numpy.signbit(host[zeros]) != numpy.signbit(want[zeros])).any():
                return f"signed zeros {host} vs NumPy {want}"
    elif not numpy.array_equal(host, want):
        return f"values {host} vs NumPy {want}"
    return None


def _operands(op, args):
    """The two factors of a contraction op's call, transposed as _matmul_t's flags say."""
    a, b = args[0], args[1]
    if op == "_matmul_t":
        a, b = (numpy.swapaxes(a, -1, -2) if args[2] else a), (numpy.swapaxes(b, -1, -2) if args[3] else b)
    return a, b


def scale(op, args):
    """Absolute error allowed for sums and products of many terms: eps * sum(|terms|)."""
    if op in ("sum", "mean", *CONTRACTIONS) and isinstance(args[0], numpy.ndarray) and args[0].dtype.kind in "fc":
        a = numpy.abs(args[0].astype("complex128" if args[0].dtype.kind == "c" else "float64"))
        a = numpy.nan_to_num(a, posinf=0)
        if op in CONTRACTIONS:
            a, b = _operands(op, (a, numpy.nan_to_num(numpy.abs(args[1].astype("float64")), posinf=0), *args[2:]))
            return float(numpy.max(numpy.abs(numpy.matmul(a, b)), initial=0)) if a.ndim and b.ndim else 0.0
        return float(a.sum())
    if op.startswith(("conv2d", "avg_pool")):
        return float(sum(numpy.abs(numpy.nan_to_num(a)).sum() for a in args if isinstance(a, numpy.ndarray)))
    return 0.0
