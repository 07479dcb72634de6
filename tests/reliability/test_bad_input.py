"""The bad-input catalogue: one test per row.  Bad input gets NumPy's outcome (the same value, or the same exception
type) under every policy and on the MXNet-backed stand-in device, never a crash or a wrong answer."""
import contextlib

import numpy
import pytest
from reliability_helpers import ALL_POLICIES, HAS_MXNET, like_numpy, outcome, requires_mxnet

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array.ops import _mxnet

SIM = "sim:0"
F = numpy.array([[1.5, -2.0, 0.25], [3.0, 0.5, -1.0]])


class Opaque:
    pass


# ---------------------------------------------------------------- non-array objects
@pytest.mark.parametrize("obj", [Opaque(), {"a": 1}, {1, 2}, print], ids=["object", "dict", "set", "function"])
def test_non_array_objects(obj):
    like_numpy(lambda lib, arr: lib.exp(obj), name="exp")
    like_numpy(lambda lib, arr: lib.add(arr(F), obj))
    like_numpy(lambda lib, arr: lib.sum(obj))
    x = mnp.asarray(F)
    with pytest.raises(TypeError):
        x + obj
    with pytest.raises(TypeError, match="asarray"):
        mp.asarray(obj)  # the namespace: no object arrays


# ---------------------------------------------------------------- ragged lists
@pytest.mark.parametrize("ragged", [[[1, 2], [3]], [1, [2, 3]], [[1.0], [2.0, 3.0], []]])
def test_ragged_lists(ragged):
    like_numpy(lambda lib, arr: lib.array(ragged))
    like_numpy(lambda lib, arr: lib.add(arr(F[0, :2]), ragged))
    like_numpy(lambda lib, arr: lib.concatenate([arr(F), ragged]))
    with pytest.raises(ValueError):
        mp.asarray(ragged)
    with pytest.raises(ValueError):
        mnp.asarray(F) + ragged


# ---------------------------------------------------------------- object dtype
def test_object_dtype():
    objs = numpy.array([1, "a", None], dtype=object)
    like_numpy(lambda lib, arr: lib.exp(objs), name="exp")
    like_numpy(lambda lib, arr: lib.array([1, 2.5], dtype=object))
    like_numpy(lambda lib, arr: lib.add(lib.array([1, 2], dtype=object), 1))
    with pytest.raises(TypeError, match="asarray"):
        mp.asarray(objs)
    with pytest.raises(TypeError):
        mnp.asarray(F) + objs


# ---------------------------------------------------------------- strings
@pytest.mark.parametrize("s", ["abc", ["a", "b"], b"xy"])
def test_strings(s):
    like_numpy(lambda lib, arr: lib.exp(lib.array(s)), name="exp")
    like_numpy(lambda lib, arr: lib.add(arr(F), s))
    like_numpy(lambda lib, arr: lib.sum(lib.array(s)))
    # operators (the Array API face): a TypeError; NumPy raises its subclass UFuncTypeError.  Note: a list of
    # strings becomes an array first, and NumPy 2 then reports the shape mismatch (ValueError) before the dtypes.
    with pytest.raises(TypeError if isinstance(s, (str, bytes)) else (TypeError, ValueError)):
        mnp.asarray(F) + s
    with pytest.raises(TypeError):
        mnp.asarray(F[0, :2]) * s
    with pytest.raises(TypeError, match="asarray"):
        mp.asarray(s)  # the namespace has no string dtypes (array_api_strict: TypeError too)


# ---------------------------------------------------------------- None
def test_none():
    like_numpy(lambda lib, arr: lib.exp(None), name="exp")
    like_numpy(lambda lib, arr: lib.add(arr(F), None))
    like_numpy(lambda lib, arr: lib.array(None))
    like_numpy(lambda lib, arr: arr(F)[None])  # None in an index is a new axis, as in NumPy
    like_numpy(lambda lib, arr: lib.sum(arr(F), axis=None))
    x = mnp.asarray(F)
    with pytest.raises(TypeError):
        x + None
    with pytest.raises(TypeError):
        x * None


# ---------------------------------------------------------------- NaN and inf through every kernel
SPECIAL = numpy.array([[numpy.nan, numpy.inf, -numpy.inf], [-0.0, 0.0, 1e30]])
SPECIAL2 = numpy.array([[1.0, numpy.inf, numpy.nan], [-numpy.inf, -0.0, 2.0]])


def _kernel_calls():
    """One call per entry of the MXNet kernel table (and the same calls are NumPy's kernels)."""
    from minpy_array.ops import mxnet_ops

    calls = {}
    for op in mxnet_ops.UNARY_FLOAT:
        calls[op] = lambda lib, a, b, op=op: getattr(lib, op if hasattr(numpy, op) else "arc" + op[1:])(a)
    for op in mxnet_ops.BINARY_FLOAT + mxnet_ops.BINARY_EXACT:
        calls[op] = lambda lib, a, b, op=op: getattr(lib, {"pow": "power", "atan2": "arctan2"}.get(op, op))(a, b)
        calls[op + " scalar"] = lambda lib, a, b, op=op: getattr(
            lib, {"pow": "power", "atan2": "arctan2"}.get(op, op))(a, 2.0)
    for op in ("sum", "mean", "max", "min"):
        calls[op] = lambda lib, a, b, op=op: getattr(lib, op)(a)
        calls[op + " axis"] = lambda lib, a, b, op=op: getattr(lib, op)(a, axis=-1, keepdims=True)
    calls["matmul"] = lambda lib, a, b: lib.matmul(a, b.T)
    calls["dot"] = lambda lib, a, b: lib.dot(a.T, b)
    calls["reshape"] = lambda lib, a, b: lib.reshape(a, (3, 2))
    calls["transpose"] = lambda lib, a, b: lib.transpose(a)
    calls["where"] = lambda lib, a, b: lib.where(lib.isnan(a), a, b)
    for op in ("cumsum", "sort", "argmax", "std", "clip", "round", "exp2", "logaddexp", "nanmax", "median"):
        calls[op] = lambda lib, a, b, op=op: getattr(lib, op)(*((a, 0, 1) if op == "clip" else (a,)))
    return calls


KERNEL_CALLS = _kernel_calls() if HAS_MXNET else {}


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("device", [None, pytest.param(SIM, marks=requires_mxnet)])
def test_nan_and_inf_through_every_kernel(dtype, device):
    if not HAS_MXNET:  # the NumPy kernels only: still every op above NumPy's way
        calls = {"exp": lambda lib, a, b: lib.exp(a), "add": lambda lib, a, b: lib.add(a, b),
                 "sum": lambda lib, a, b: lib.sum(a), "max": lambda lib, a, b: lib.max(a, axis=-1)}
    else:
        calls = KERNEL_CALLS
    a, b = SPECIAL.astype(dtype), SPECIAL2.astype(dtype)
    for name, call in calls.items():
        try:
            like_numpy(lambda lib, arr, call=call: call(lib, arr(a), arr(b)), device=device)
        except AssertionError as e:
            raise AssertionError(f"{name}: {e}") from None


# ---------------------------------------------------------------- integer overflow
def test_integer_overflow():
    big = numpy.array([2 ** 62, -(2 ** 62), 7], dtype=numpy.int64)
    i8 = numpy.array([120, -120, 5], dtype=numpy.int8)
    i32 = numpy.full(1000, 2 ** 30, dtype=numpy.int32)
    like_numpy(lambda lib, arr: lib.add(arr(big), arr(big)))         # wraps, as NumPy
    like_numpy(lambda lib, arr: lib.multiply(arr(i8), arr(i8)))
    like_numpy(lambda lib, arr: lib.sum(arr(i32)))                     # int64 accumulator, not MXNet's int32
    like_numpy(lambda lib, arr: lib.prod(arr(i8)))
    like_numpy(lambda lib, arr: lib.cumsum(arr(i32)))
    like_numpy(lambda lib, arr: lib.abs(arr(numpy.array([-128], numpy.int8))))
    like_numpy(lambda lib, arr: lib.negative(arr(numpy.iinfo(numpy.int64).min * numpy.ones(2, numpy.int64))))
    like_numpy(lambda lib, arr: lib.power(arr(i8), 3))
    like_numpy(lambda lib, arr: arr(i32).astype("int8"))
    # operators: NEP 50, an out-of-range Python int is an OverflowError (NumPy 2; NumPy 1.26 wrapped it)
    for p in ALL_POLICIES[:3]:
        with mp.policy(p):
            x = mnp.asarray(i8)
            with pytest.raises(OverflowError):
                x + 300
            with pytest.raises(OverflowError):
                x += 1000
            with pytest.raises(OverflowError):
                x[0] = -129
            assert (x > 300).tolist() == [False] * 3  # comparisons are exact, as in NumPy 2


# ---------------------------------------------------------------- huge shapes
@pytest.mark.parametrize("device", [None, pytest.param(SIM, marks=requires_mxnet)])
def test_huge_shapes_are_clear_errors(device):
    with mp.device(device) if device else contextlib.nullcontext():
        for make in (lambda lib: lib.zeros((2 ** 40, 2 ** 40)), lambda lib: lib.empty(2 ** 45),
                     lambda lib: lib.ones((2 ** 31, 2 ** 31, 2 ** 31)), lambda lib: lib.arange(2 ** 62),
                     lambda lib: lib.full((2 ** 44,), 1.0, dtype="float32")):
            want = outcome(lambda make=make: make(numpy))
            got = outcome(lambda make=make: make(mnp))
            assert want[0] == got[0] == "raise"
            assert isinstance(want[1], (MemoryError, ValueError))
            assert isinstance(got[1], type(want[1])), (want[1], got[1])
    like_numpy(lambda lib, arr: arr(F).reshape(2 ** 40, -1))
    like_numpy(lambda lib, arr: lib.broadcast_to(arr(F), (2 ** 62, 2 ** 62, 3)))
    like_numpy(lambda lib, arr: lib.tile(arr(F), (2 ** 40, 2 ** 40)))


# ---------------------------------------------------------------- mismatched devices
@requires_mxnet
def test_mismatched_devices():
    a = mnp.asarray(F)
    b = mp.asarray(F, device=SIM)
    for call in (lambda: a + b, lambda: b * a, lambda: mnp.add(a, b), lambda: mnp.concatenate([a, b]),
                 lambda: mnp.where(a > 0, a, b), lambda: mnp.matmul(a, b.T), lambda: numpy.add(a, b)):
        for p in ALL_POLICIES:
            with mp.policy(p), pytest.raises(ValueError, match="different devices"):
                call()
    # moving one of them is the cure
    numpy.testing.assert_allclose((a + b.to_device("cpu")).asnumpy(), 2 * F)
    assert str((a.to_device(SIM) + b).device) == SIM


# ---------------------------------------------------------------- unsupported dtype per backend
@requires_mxnet
@pytest.mark.parametrize("dtype", ["int16", "uint16", "uint32", "uint64", "complex64", "complex128", "float16"])
def test_dtype_mxnet_lacks(dtype):
    a = (numpy.arange(6).reshape(2, 3) % 4 + 1).astype(dtype)
    for device in (None, SIM):
        like_numpy(lambda lib, arr: lib.add(arr(a), arr(a)), device=device)
        like_numpy(lambda lib, arr: lib.exp(arr(a)), device=device)
        like_numpy(lambda lib, arr: lib.sum(arr(a), axis=0), device=device)
        like_numpy(lambda lib, arr: arr(a) * 2, device=device)
        like_numpy(lambda lib, arr: arr(a).reshape(3, 2), device=device)
    with mp.policy("mxnet_only"):
        with pytest.raises(mp.NoKernelError, match="exp"):
            mnp.exp(mp.asarray(a, device=SIM))


@requires_mxnet
def test_mxnet_truncating_int_kernels_are_refused():
    """MXNet 1.9.1 gives sin(int32) in int32, int * 1.5 truncated: the guard sends these to NumPy."""
    i = numpy.array([1, 2, 3], dtype=numpy.int32)
    like_numpy(lambda lib, arr: lib.sin(arr(i)), device=SIM)
    like_numpy(lambda lib, arr: lib.multiply(arr(i), 1.5), device=SIM)
    like_numpy(lambda lib, arr: arr(i) * 1.5, device=SIM)
    like_numpy(lambda lib, arr: lib.divide(arr(i), arr(i)), device=SIM)
    like_numpy(lambda lib, arr: lib.mean(arr(i)), device=SIM)


# ---------------------------------------------------------------- wrong kwargs
@pytest.mark.parametrize("call, name", [
    (lambda lib, arr: lib.sum(arr(F), axes=0), "sum"),
    (lambda lib, arr: lib.exp(arr(F), foo=1), "exp"),
    (lambda lib, arr: lib.mean(arr(F), keepdim=True), "mean"),
    (lambda lib, arr: lib.add(arr(F), arr(F), casting="bogus"), None),
    (lambda lib, arr: lib.reshape(arr(F), (3, 2), order="Q"), None),
    (lambda lib, arr: lib.matmul(arr(F), arr(F).T, axes=5), None),  # NumPy's message does not name it either
    (lambda lib, arr: lib.transpose(arr(F), axes=(0, 0)), None),
    (lambda lib, arr: lib.max(arr(F), axis="0"), None),
    (lambda lib, arr: arr(F).sum(axis=0, bogus=1), None),
    (lambda lib, arr: lib.concatenate([arr(F), arr(F)], axis=0, dtype="bogus"), None),
], ids=["sum-axes", "exp-foo", "mean-keepdim", "casting", "order", "matmul-axes", "transpose-axes", "axis-str",
        "method-bogus", "concat-dtype"])
def test_wrong_kwargs(call, name):
    like_numpy(call, name=name)


def test_wrong_kwargs_in_the_namespace_name_the_op():
    x = mp.asarray(F)
    with pytest.raises(TypeError, match="sum"):
        mp.sum(x, axes=0)
    with pytest.raises(TypeError, match="exp"):
        mp.exp(x, foo=1)


# ---------------------------------------------------------------- out-of-bounds indices
@pytest.mark.parametrize("device", [None, pytest.param(SIM, marks=requires_mxnet)])
def test_out_of_bounds_indices(device):
    for call in (lambda lib, arr: arr(F)[5], lambda lib, arr: arr(F)[0, 3], lambda lib, arr: arr(F)[[0, 7]],
                 lambda lib, arr: arr(F)[-3], lambda lib, arr: arr(F)[0, 0, 0],
                 lambda lib, arr: lib.take(arr(F), 99), lambda lib, arr: lib.take_along_axis(
                     arr(F), arr(numpy.array([[5]])), axis=1),
                 lambda lib, arr: arr(F)[numpy.array([True, False, True])]):
        like_numpy(call, device=device)
    x = mnp.asarray(F) if device is None else mp.asarray(F, device=device)
    with pytest.raises(IndexError):
        x[5] = 1.0
    with pytest.raises(IndexError):
        x[[0, 9]] = 1.0
    numpy.testing.assert_array_equal(x.asnumpy(), F)  # nothing was written
    like_numpy(lambda lib, arr: arr(F)[10:20], device=device)  # slices clip, as in NumPy


# ---------------------------------------------------------------- negative axes
@pytest.mark.parametrize("device", [None, pytest.param(SIM, marks=requires_mxnet)])
def test_negative_axes(device):
    for axis in (-1, -2, -3, 2, (-1, -2), (0, -2)):
        for f in ("sum", "mean", "max", "argmax", "cumsum", "flip", "expand_dims", "sort", "std"):
            like_numpy(lambda lib, arr, f=f, axis=axis: getattr(lib, f)(arr(F), axis=axis), device=device)
    like_numpy(lambda lib, arr: lib.concatenate([arr(F), arr(F)], axis=-1), device=device)
    like_numpy(lambda lib, arr: lib.concatenate([arr(F), arr(F)], axis=-3), device=device)
    like_numpy(lambda lib, arr: lib.moveaxis(arr(F), -1, 0), device=device)
    like_numpy(lambda lib, arr: lib.swapaxes(arr(F), -1, -2), device=device)
    like_numpy(lambda lib, arr: lib.mean(arr(F[0, 0]), axis=-1), device=device)  # a 0-d array has no axis -1


# ---------------------------------------------------------------- readonly buffers
def test_readonly_buffers():
    h = F.copy()
    h.flags.writeable = False
    for p in ALL_POLICIES:
        with mp.policy(p):
            like_numpy(lambda lib, arr: lib.exp(lib.asarray(h)))
            like_numpy(lambda lib, arr: lib.asarray(h) + 1)
            like_numpy(lambda lib, arr: lib.matmul(lib.asarray(h), lib.asarray(h).T))
            like_numpy(lambda lib, arr: lib.sum(lib.asarray(h), axis=-1))
    # writes: NumPy's ValueError, under every policy, and the caller's buffer is untouched
    x = mnp.asarray(h)
    for p in ALL_POLICIES:
        with mp.policy(p):
            for write in (lambda: x.__setitem__(0, 1.0), lambda: x.__iadd__(1.0), lambda: x.__imul__(300),
                          lambda: mnp.exp(x, out=x), lambda: mnp.copyto(x, 0.0), lambda: mnp.add.at(x, [0], 1.0),
                          lambda: x.fill(0.0), lambda: x.sort()):
                with pytest.raises((ValueError, mp.NoKernelError) if p == "mxnet_only" else ValueError,
                                   match="read-only|mxnet_only"):
                    write()
    numpy.testing.assert_array_equal(h, F)
    view = mnp.broadcast_to(mnp.asarray(F[0]), (2, 3))  # a read-only view, as NumPy's
    with pytest.raises(ValueError, match="read-only"):
        view[0, 0] = 1.0


# ---------------------------------------------------------------- MXNet's asynchronous errors
@requires_mxnet
def test_mxnet_async_errors_surface_at_the_call_and_later_calls_work():
    mx = _mxnet.load()  # the shim first: mxnet 1.9.1 needs numpy.bool
    chol = mp.Function(mx.sym.linalg.potrf(mx.sym.var("a")), name="cholesky")
    good = numpy.array([[4.0, 2.0], [2.0, 3.0]])
    bad = numpy.array([[1.0, 2.0], [2.0, 1.0]])  # not positive definite: MXNet fails inside the kernel, later
    for device in (None, SIM):
        conv = mnp.asarray if device is None else (lambda h, d=device: mp.asarray(h, device=d))
        for _ in range(2):
            with pytest.raises(Exception) as err:
                chol(conv(bad))
            assert "potrf" in str(err.value) or "cholesky" in str(err.value), err.value
            # the engine is clean: the next calls (MXNet and NumPy kernels) give the right answers
            numpy.testing.assert_allclose(chol(conv(good)).asnumpy(), numpy.linalg.cholesky(good))
            with mp.policy("prefer_mxnet"):
                numpy.testing.assert_allclose(mnp.exp(conv(good)).asnumpy(), numpy.exp(good))
                numpy.testing.assert_allclose(mnp.sum(conv(good), axis=0).asnumpy(), good.sum(0))
            numpy.testing.assert_allclose((conv(good) @ conv(good)).asnumpy(), good @ good)
