"""The differential fuzzer's engine: random short programs, run on NumPy and on minpy_array, compared step by step.

A program is plain data (so a failing one can be pasted into test_regressions.py):
    {"inputs": [(dtype name, shape, seed, special), ...], "steps": [step, ...]}
A step is a tuple whose first item is its kind; operands are variable numbers (taken modulo the number of live
variables, so every step refers to something) or Python scalars wrapped as ("s", value).

The oracle.  Functions, ufuncs and methods follow NumPy exactly, so NumPy itself is the oracle for them.
MinArray's operators (`+`, `<`, `+=` ...) follow NEP 50 / the Array API on every NumPy version: on NumPy 2 that is
NumPy's own behaviour; on NumPy 1.26 the NumPy side of an operator step runs under
`numpy._set_promotion_state("weak")` (NumPy's own NEP 50 implementation, restored right after the step), so the
check is never weakened, only pointed at the semantics the operators document.

Where NumPy returns a NumPy scalar, minpy_array returns a 0-d MinArray: values and dtypes are compared.
Under the 'mxnet_only' policy a step that no MXNet kernel accepts raises NoKernelError: that step is "not
applicable" and is re-run under 'numpy_only' so that the program continues; every other outcome must match.
"""
import contextlib
import warnings

import numpy

import minpy_array as mp
import minpy_array.numpy as mnp
from minpy_array import _dispatch

DTYPES = ("bool", "int8", "uint8", "int16", "int32", "int64", "uint64", "float16", "float32", "float64",
          "complex64", "complex128")
# shapes that broadcast against each other often, including 0-d and empty ones
SHAPES = ((), (1,), (3,), (2, 3), (2, 1), (1, 3), (0,), (0, 3), (2, 2, 3), (4,))

UFUNC1 = ("exp", "log", "sin", "cos", "tanh", "sqrt", "absolute", "negative", "floor", "ceil", "trunc", "sign",
          "square", "arccos", "arcsinh", "isnan", "isinf", "isfinite", "log1p", "expm1", "logical_not", "invert",
          "rint", "conjugate", "positive", "reciprocal", "cbrt", "log2")
UFUNC2 = ("add", "subtract", "multiply", "divide", "floor_divide", "remainder", "power", "maximum", "minimum",
          "fmax", "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
          "logical_or", "logical_xor", "bitwise_and", "bitwise_or", "bitwise_xor", "left_shift", "right_shift",
          "hypot", "arctan2", "copysign", "logaddexp", "true_divide", "fmod")
REDUCE = ("sum", "mean", "prod", "max", "min", "amax", "any", "all", "argmax", "argmin", "std", "var", "cumsum",
          "nansum", "count_nonzero", "ptp", "median")
AXES = (None, 0, -1, 1, (0, -1), 2, -3)
SCALARS = (0, 1, -1, 2, 3, 2.5, -0.5, 0.5, True, False, 300, -129, 2 ** 40, 1e300, float("nan"), float("inf"), 1j)
OPERATORS = ("+", "-", "*", "/", "//", "%", "**", "<", "<=", ">", ">=", "==", "!=", "&", "|", "^", "<<", ">>",
             "@")
IOPERATORS = ("+=", "-=", "*=", "/=", "//=", "%=", "**=", "&=", "|=", "^=")
UNARY_OPS = ("-", "+", "abs", "~")
NUMPY_SCALARS = (("float32", 1.5), ("int8", -3), ("uint64", 7), ("bool", True), ("float64", -0.0),
                 ("complex64", 1j), ("int64", 2), ("float16", 0.5))
KEYS = (0, -1, 5, (0, 0), slice(1, None), slice(None, None, -1), Ellipsis, None, (Ellipsis, 0), [0, -1],
        (slice(None), None), "mask", (0, slice(None, 2)), -4, [True], ())

# (name, builder(lib, x, y) -> result): functions with an interesting argument pattern
FUNCS = {
    "reshape-1": lambda lib, x, y: lib.reshape(x, -1),
    "reshape-1,1": lambda lib, x, y: lib.reshape(x, (-1, 1)),
    "reshape3,-1": lambda lib, x, y: lib.reshape(x, (3, -1)),
    "transpose": lambda lib, x, y: lib.transpose(x),
    "swapaxes": lambda lib, x, y: lib.swapaxes(x, 0, -1),
    "expand_dims": lambda lib, x, y: lib.expand_dims(x, 0),
    "squeeze": lambda lib, x, y: lib.squeeze(x),
    "ravel": lambda lib, x, y: lib.ravel(x),
    "flip": lambda lib, x, y: lib.flip(x, -1),
    "concatenate": lambda lib, x, y: lib.concatenate((x, y)),
    "concatenate-1": lambda lib, x, y: lib.concatenate([x, y], axis=-1),
    "stack": lambda lib, x, y: lib.stack((x, y)),
    "where": lambda lib, x, y: lib.where(lib.greater(lib.real(x), 0), x, y),
    "where1": lambda lib, x, y: lib.where(x),
    "clip": lambda lib, x, y: lib.clip(x, -1, 2),
    "sort": lambda lib, x, y: lib.sort(x),
    "argsort": lambda lib, x, y: lib.argsort(x, kind="stable"),
    "matmul": lambda lib, x, y: lib.matmul(x, y),
    "dot": lambda lib, x, y: lib.dot(x, y),
    "broadcast_to": lambda lib, x, y: lib.broadcast_to(x, (2, 3)),
    "unique": lambda lib, x, y: lib.unique(x),
    "nonzero": lambda lib, x, y: lib.nonzero(x),
    "diff": lambda lib, x, y: lib.diff(x),
    "round": lambda lib, x, y: lib.round(x, 1),
    "isclose": lambda lib, x, y: lib.isclose(x, y),
    "zeros_like": lambda lib, x, y: lib.zeros_like(x),
    "full_like": lambda lib, x, y: lib.full_like(x, 7),
    "outer": lambda lib, x, y: lib.outer(x, y),
    "tensordot": lambda lib, x, y: lib.tensordot(x, y, axes=1),
    "cumprod": lambda lib, x, y: lib.cumprod(x, axis=-1),
    "take": lambda lib, x, y: lib.take(x, [0, -1]),
    "add.reduce": lambda lib, x, y: lib.add.reduce(x),
    "maximum.accumulate": lambda lib, x, y: lib.maximum.accumulate(x),
    "multiply.outer": lambda lib, x, y: lib.multiply.outer(x, y),
    "divmod": lambda lib, x, y: lib.divmod(x, y),
    "add-out-dtype": lambda lib, x, y: lib.add(x, y, dtype="float64"),
    "atleast_2d": lambda lib, x, y: lib.atleast_2d(x),
    "moveaxis": lambda lib, x, y: lib.moveaxis(x, 0, -1),
    "tile": lambda lib, x, y: lib.tile(x, 2),
    "roll": lambda lib, x, y: lib.roll(x, 1),
    "linalg.norm": lambda lib, x, y: lib.linalg.norm(x),
    "trace": lambda lib, x, y: lib.trace(x),
    "array": lambda lib, x, y: lib.array(x),
    "asarray-f32": lambda lib, x, y: lib.asarray(x, dtype="float32"),
    "arange": lambda lib, x, y: lib.arange(5),
    "ones": lambda lib, x, y: lib.ones((2, 3)),
    "linspace": lambda lib, x, y: lib.linspace(0, 1, 4),
    "eye": lambda lib, x, y: lib.eye(3),
    # Note: the sign bit of a NaN is unspecified (MXNet's tanh(nan) is +nan where NumPy keeps -nan): not compared
    "signbit": lambda lib, x, y: lib.signbit(lib.where(lib.isnan(x), 0.0, x)),
    "linalg.inv": lambda lib, x, y: lib.linalg.inv(x),
    "linalg.det": lambda lib, x, y: lib.linalg.det(x),
    "fft.fft": lambda lib, x, y: lib.fft.fft(x),
    "einsum": lambda lib, x, y: lib.einsum("...i,...i->...", x, y),
    "argwhere": lambda lib, x, y: lib.argwhere(x),
    "searchsorted": lambda lib, x, y: lib.searchsorted(lib.sort(lib.ravel(x)), y),
    "sum-dtype": lambda lib, x, y: lib.sum(x, dtype="float32"),
    "mean-dtype": lambda lib, x, y: lib.mean(x, axis=-1, dtype="float64"),
    "isin": lambda lib, x, y: lib.isin(x, y),
    "nan_to_num": lambda lib, x, y: lib.nan_to_num(x),
    "heaviside": lambda lib, x, y: lib.heaviside(x, 0.5),
    "cumsum-0": lambda lib, x, y: lib.cumsum(x, axis=0),
    "clip-none": lambda lib, x, y: lib.clip(x, None, 1),
    "result_type": lambda lib, x, y: lib.result_type(x, y),
    "can_cast": lambda lib, x, y: lib.can_cast(x, "float32"),
    "shape": lambda lib, x, y: lib.shape(x),
    "ndim": lambda lib, x, y: lib.ndim(x),
    "array_equal": lambda lib, x, y: lib.array_equal(x, y),
    "allclose": lambda lib, x, y: lib.allclose(x, y),
    "count_nonzero-0": lambda lib, x, y: lib.count_nonzero(x, axis=0),
    "exp-out": lambda lib, x, y: lib.exp(x, out=y),       # writes into y
    "add-out": lambda lib, x, y: lib.add(x, y, out=x),    # writes into x
    "copyto": lambda lib, x, y: lib.copyto(x, y),         # writes into x
    "put": lambda lib, x, y: lib.put(x, [0, -1], y),      # writes into x
    "add.at": lambda lib, x, y: lib.add.at(x, [0, 0], 1),  # writes into x
}
WRITING_FUNCS = ("exp-out", "add-out", "copyto", "put", "add.at")
CREATION = ("array", "asarray-f32", "arange", "ones", "linspace", "eye")
METHODS = {
    "sum": lambda x, y: x.sum(),
    "sum0": lambda x, y: x.sum(axis=0),
    "mean-1k": lambda x, y: x.mean(axis=-1, keepdims=True),
    "max": lambda x, y: x.max(),
    "min0": lambda x, y: x.min(axis=0),
    "reshape": lambda x, y: x.reshape(-1),
    "reshape2": lambda x, y: x.reshape(2, -1),
    "T": lambda x, y: x.T,
    "astype-f32": lambda x, y: x.astype("float32"),
    "astype-i8": lambda x, y: x.astype("int8"),
    "astype-bool": lambda x, y: x.astype(bool),
    "astype-c": lambda x, y: x.astype("complex128"),
    "copy": lambda x, y: x.copy(),
    "flatten": lambda x, y: x.flatten(),
    "transpose": lambda x, y: x.transpose(),
    "clip": lambda x, y: x.clip(0, 1),
    "round": lambda x, y: x.round(),
    "any": lambda x, y: x.any(),
    "all-1": lambda x, y: x.all(axis=-1),
    "cumsum": lambda x, y: x.cumsum(),
    "squeeze": lambda x, y: x.squeeze(),
    "swapaxes": lambda x, y: x.swapaxes(0, -1),
    "ravel": lambda x, y: x.ravel(),
    "argmax": lambda x, y: x.argmax(),
    "std": lambda x, y: x.std(),
    "prod": lambda x, y: x.prod(axis=-1),
    "dot": lambda x, y: x.dot(y),
    "real": lambda x, y: x.real,
    "imag": lambda x, y: x.imag,
    "conj": lambda x, y: x.conj(),
    "nonzero": lambda x, y: x.nonzero(),
    "repeat": lambda x, y: x.repeat(2),
    "take": lambda x, y: x.take(0),
    "diagonal": lambda x, y: x.diagonal(),
    "trace": lambda x, y: x.trace(),
    "fill": lambda x, y: x.fill(3),           # in place, returns None
    "sort": lambda x, y: x.sort(),            # in place, returns None
    "item0": lambda x, y: x.item(0),          # a Python scalar
    "tolist": lambda x, y: x.tolist(),
    "len": lambda x, y: len(x),
    "float": lambda x, y: float(x),
    "bool": lambda x, y: bool(x),
    "view": lambda x, y: x.view(),
    "astype-u8": lambda x, y: x.astype("uint8"),
    "astype-i16": lambda x, y: x.astype("int16"),
    "item": lambda x, y: x.item(),
    "tobytes": lambda x, y: x.tobytes(),
    "searchsorted": lambda x, y: x.searchsorted(y),
    "argsort": lambda x, y: x.argsort(kind="stable"),
    "var-0": lambda x, y: x.var(axis=0, ddof=1),
    "cumprod": lambda x, y: x.cumprod(),
    "compress": lambda x, y: x.compress([True, False]),
    "__len__": lambda x, y: x.__len__(),
    "int": lambda x, y: int(x),
    "complex": lambda x, y: complex(x),
    "index": lambda x, y: [10, 20, 30][x],
}
_BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "//": "floordiv", "%": "mod", "**": "pow",
           "<": "lt", "<=": "le", ">": "gt", ">=": "ge", "==": "eq", "!=": "ne", "&": "and", "|": "or",
           "^": "xor", "<<": "lshift", ">>": "rshift", "@": "matmul"}
_UNARY = {"-": lambda x: -x, "+": lambda x: +x, "abs": abs, "~": lambda x: ~x}

_OLD_NUMPY = numpy.lib.NumpyVersion(numpy.__version__) < "2.2.0"
# Note: NumPy 2 runs `x ** s` as square for the Python int 2, as reciprocal for -1 and sqrt for a float 0.5 (float
# and complex x); NumPy 1.26 takes these paths in other cases too (2.0, -1.0, 0, 1, 0-d array exponents).  The
# NumPy 1.26 oracle for `**` is NumPy 2's rule: that ufunc where NumPy 2 takes it, numpy.power (NEP 50 mode) else.
_OLD_NUMPY_POW = numpy.lib.NumpyVersion(numpy.__version__) < "2.0.0"


def _fast_pow(x, y):
    if not isinstance(x, numpy.ndarray):
        return None
    if type(y) is int:
        if y == 2 and x.dtype.kind in "biufc":
            return "square"
        if y == -1 and x.dtype.kind in "fc":
            return "reciprocal"
    elif isinstance(y, float) and y == 0.5 and x.dtype.kind in "fc":
        return "sqrt"
    return None


_weak_state = getattr(numpy, "_set_promotion_state", None)


@contextlib.contextmanager
def nep50():
    """NumPy's own NEP 50 ('weak') promotion: the default on NumPy 2, opt-in on NumPy 1.26."""
    if _weak_state is None:
        yield
        return
    old = numpy._get_promotion_state()
    _weak_state("weak")
    try:
        yield
    finally:
        _weak_state(old)


def make_input(dtype, shape, seed, special):
    """A host array of `dtype` and `shape`; `special` adds extremes (nan, inf, -0.0, the integer limits)."""
    rng = numpy.random.default_rng(seed)
    dt = numpy.dtype(dtype)
    if dt.kind == "b":
        return numpy.asarray(rng.random(shape) < 0.5)
    if dt.kind in "iu":
        lo = 0 if dt.kind == "u" else -4
        a = rng.integers(lo, 6, size=shape).astype(dt)
        if special and a.size:
            info = numpy.iinfo(dt)
            a.flat[rng.integers(0, a.size)] = info.max
            a.flat[rng.integers(0, a.size)] = info.min
        return a
    a = numpy.round(rng.normal(0, 3, size=shape), 2)
    if dt.kind == "c":
        a = a + 1j * numpy.round(rng.normal(0, 3, size=shape), 2)
    a = numpy.asarray(a).astype(dt)
    if special and a.size:
        for v in (numpy.nan, numpy.inf, -numpy.inf, -0.0, 1e30):
            a.flat[rng.integers(0, a.size)] = v
    return a


# ---------------------------------------------------------------- running a program on one side
class Side:
    """How one side (NumPy, or minpy_array under a policy) spells things."""

    def __init__(self, name, policy=None, device=None, borrowed=False):
        self.name = name
        self.policy = policy
        self.device = device  # None: the cpu; "sim:0", "torch:cpu": a backend's stand-in device
        self.is_numpy = policy is None
        # may run another backend's kernels (then floats compare within the dtype's tolerance): on a device, under
        # prefer_/_only policies, or under `auto` with calibration on (borrowed), whichever calibration chose
        self.mxnet = device is not None or (policy not in (None, "auto", "numpy_only")) or borrowed
        self.only = policy is not None and policy.endswith("_only") and policy != "numpy_only"
        # on a device without views (MXNet) a write through a slice does not reach the base (README, limits)
        self.views = device is None or mp.Device(device).backend.VIEWS

    def context(self, policy=None):
        ctx = contextlib.ExitStack()
        ctx.enter_context(mp.policy(policy or self.policy))
        if self.device is not None:
            ctx.enter_context(mp.device(self.device))
        return ctx

    def lib(self, face):
        # minpy_array's two entry points: the drop-in face (face 0) and NumPy's own functions (face 1); creation
        # and conversion functions called from NumPy itself give ndarrays, so they always use the face
        return numpy if self.is_numpy or face == 1 else mnp

    def asarray(self, host):
        if self.is_numpy:
            return host.copy()
        return mnp.asarray(host.copy()) if self.device is None else mnp.asarray(host).to_device(self.device)

    def operator_context(self):
        return nep50() if self.is_numpy else contextlib.nullcontext()


def _operand(env, spec):
    if isinstance(spec, tuple):
        if spec[0] == "s":  # a Python scalar
            return spec[1]
        if spec[0] == "n":  # a NumPy scalar: ("n", dtype name, value)
            return numpy.dtype(spec[1]).type(spec[2])
    return env[spec % len(env)]


def _key(side, env, key, x):
    if isinstance(key, str):  # "mask": a boolean array from x itself
        return side.lib(0).not_equal(x, 0)
    if isinstance(key, tuple) and key and key[0] == "var":  # another variable as the index (an array index)
        return env[key[1] % len(env)]
    return key


def run_step(side, env, step):
    """The outcome of one step: a value (array, scalar, tuple, None) or raises."""
    kind = step[0]
    if kind == "ufunc1":
        _, name, face, a = step
        return getattr(side.lib(face), name)(_operand(env, a))
    if kind == "ufunc2":
        _, name, face, a, b = step
        return getattr(side.lib(face), name)(_operand(env, a), _operand(env, b))
    if kind == "reduce":
        _, name, face, a, axis, keepdims = step
        kw = {} if axis == "none" else {"axis": axis}
        if keepdims:
            kw["keepdims"] = True
        return getattr(side.lib(face), name)(_operand(env, a), **kw)
    if kind == "func":
        _, name, face, a, b = step
        return FUNCS[name](side.lib(0 if name in CREATION else face), _operand(env, a), _operand(env, b))
    if kind == "method":
        _, name, a, b = step
        x = _operand(env, a)
        if name == "bool" and side.is_numpy and x.size == 0 and _OLD_NUMPY:
            # Note: NumPy 1.26 gives False with a DeprecationWarning; NumPy 2.2+ (and minpy_array) raise
            raise ValueError("The truth value of an empty array is ambiguous")
        return METHODS[name](x, _operand(env, b))
    if kind == "binop":
        _, op, a, b, reflected = step
        x, y = _operand(env, a), _operand(env, b)
        if reflected and isinstance(y, numpy.generic) and side.is_numpy:
            # Note: with a NumPy scalar on the left, NumPy calls the ufunc itself (MinArray.__array_ufunc__, the
            # NumPy face), not MinArray's reflected operator: NumPy's own rules, legacy ones on NumPy 1.26
            return _EVAL[op](y, x)
        if side.is_numpy and _weak_state is not None and op in _COMPARE and _out_of_range(x, y):
            # Note: NumPy 2 compares with an out-of-range Python int exactly; NumPy 1.26's NEP 50 mode raises
            # OverflowError there, so the oracle is NumPy 2's exact answer (Python ints compared as objects)
            r = numpy.asarray(_EVAL[op](y, x.astype(object)) if reflected else _EVAL[op](x.astype(object), y),
                              dtype=bool)
            return r[()] if r.ndim == 0 else r  # NumPy's scalar for 0-d operands
        with side.operator_context():
            if op == "**" and side.is_numpy and _OLD_NUMPY_POW:
                base, e = (y, x) if reflected else (x, y)
                return getattr(numpy, _fast_pow(base, e) or "power")(base, *(() if _fast_pow(base, e) else (e,)))
            return _EVAL[op](y, x) if reflected else _EVAL[op](x, y)
    if kind == "unary":
        _, op, a = step
        with side.operator_context():
            return _UNARY[op](_operand(env, a))
    if kind == "getitem":
        _, a, key = step
        x = _operand(env, a)
        return x[_key(side, env, key, x)]
    if kind == "setitem":
        _, a, key, b = step
        x = _operand(env, a)
        k = _key(side, env, key, x)
        if side.is_numpy and isinstance(k, numpy.ndarray) and numpy.may_share_memory(x, k):
            k = k.copy()  # Note: NumPy 1.26 corrupts the heap writing through an index that aliases x (d[d] = 1);
            # NumPy 2 copies such an index, and so does minpy_array (ops/numpy_ops._own_key)
        with side.operator_context():
            x[k] = _operand(env, b)
        return None
    if kind == "iop":
        _, op, a, b = step
        x, y = _operand(env, a), _operand(env, b)
        with side.operator_context():
            if op == "**=" and side.is_numpy and _OLD_NUMPY_POW:
                getattr(numpy, _fast_pow(x, y) or "power")(x, *(() if _fast_pow(x, y) else (y,)), out=x)
                return None
            _INPLACE[op](x, y)
        return None
    raise AssertionError(kind)


_COMPARE = ("<", "<=", ">", ">=", "==", "!=")


def _out_of_range(x, y):
    if type(y) is not int or x.dtype.kind not in "iu":
        return False
    info = numpy.iinfo(x.dtype)
    return not info.min <= y <= info.max


_EVAL = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b, "/": lambda a, b: a / b,
    "//": lambda a, b: a // b, "%": lambda a, b: a % b, "**": lambda a, b: a ** b, "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b, ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b, "&": lambda a, b: a & b, "|": lambda a, b: a | b, "^": lambda a, b: a ^ b,
    "<<": lambda a, b: a << b, ">>": lambda a, b: a >> b, "@": lambda a, b: a @ b,
}


def _iadd(x, y):
    x += y


def _isub(x, y):
    x -= y


def _imul(x, y):
    x *= y


def _idiv(x, y):
    x /= y


def _ifloordiv(x, y):
    x //= y


def _imod(x, y):
    x %= y


def _ipow(x, y):
    x **= y


def _iand(x, y):
    x &= y


def _ior(x, y):
    x |= y


def _ixor(x, y):
    x ^= y


_INPLACE = {"+=": _iadd, "-=": _isub, "*=": _imul, "/=": _idiv, "//=": _ifloordiv, "%=": _imod, "**=": _ipow,
            "&=": _iand, "|=": _ior, "^=": _ixor}


# ---------------------------------------------------------------- outcomes and comparison
def _is_array(v, side):
    return isinstance(v, numpy.ndarray if side.is_numpy else mp.MinArray)


def snapshot(v, side):
    """A comparable picture of a step's value: ("array", host copy) / ("scalar", NumPy scalar as a 0-d copy) /
    ("0d", a device's 0-d array, which stands for NumPy's scalar or 0-d array) / ("tuple", [...]) / ("py", value).
    The NumPy face on the cpu gives NumPy's scalar exactly where NumPy does; a device keeps 0-d arrays."""
    if isinstance(v, numpy.generic) and (side.is_numpy or side.device is None):
        return ("scalar", numpy.asarray(v).copy())
    if _is_array(v, side):
        if not side.is_numpy and side.device is not None and v.ndim == 0:
            return ("0d", v.asnumpy())
        return ("array", numpy.array(v, copy=True) if side.is_numpy else v.asnumpy())
    if isinstance(v, (tuple, list)) and any(_is_array(e, side) or isinstance(e, numpy.generic) for e in v):
        return ("tuple", [snapshot(e, side) for e in v])
    if isinstance(v, (numpy.ndarray, numpy.generic)):  # an ndarray leaking out of minpy_array
        return ("leak", type(v).__name__)
    return ("py", v)


TOL = {"e": (2e-3, 2e-3), "f": (2e-5, 1e-6), "d": (1e-9, 1e-12), "g": (1e-9, 1e-12), "F": (2e-5, 1e-6),
       "D": (1e-9, 1e-12)}


CONTRACTIONS = {("binop", "@"), ("func", "matmul"), ("func", "dot"), ("reduce", "sum"), ("reduce", "mean"),
                ("reduce", "nansum"), ("reduce", "nanmean")}


def error_scale(ref, env, step):
    """For a sum of products (matmul, dot, sum, mean), the same step on the operands' absolute values in float64:
    the scale of its rounding error, which cancellation makes far larger than the result (a kernel that adds in
    another order is right within it).  None for any other step."""
    if (step[0], step[1]) not in CONTRACTIONS:
        return None
    try:
        with numpy.errstate(all="ignore"):
            r = run_step(ref, [_abs64(numpy.asarray(v)) for v in env], step)
    except Exception:
        return None
    return numpy.asarray(r)


def _abs64(a):
    return numpy.abs(a).astype("float64") if a.dtype.kind == "c" else numpy.abs(a.astype("float64"))


def same(a, b, floor="d", zero_sign=True, magnitude=None):
    """None when snapshots a (NumPy) and b (minpy_array) agree, else a description of the difference.  Float values
    agree within the tolerance of their dtype, or of `floor` (the least precise float dtype the program has made so
    far: a float32 value computed by an MXNet kernel and then cast to float64 keeps float32's error)."""
    if a[0] != b[0] and not (b[0] == "0d" and a[0] in ("scalar", "array")):
        return f"kind {a[0]} vs {b[0]}: {a[1]!r} vs {b[1]!r}"
    if a[0] == "tuple":
        if len(a[1]) != len(b[1]):
            return f"tuple lengths {len(a[1])} vs {len(b[1])}"
        for x, y in zip(a[1], b[1], strict=True):
            d = same(x, y, floor, zero_sign)
            if d:
                return d
        return None
    if a[0] == "py":
        x, y = a[1], b[1]
        if type(x) is not type(y):
            return f"python types {type(x).__name__} vs {type(y).__name__}"
        if x != y and not (x != x and y != y):
            # Python numbers from tolist()/item()/float(): they may come from float32 and MXNet kernels
            xs, ys = numpy.asarray(x), numpy.asarray(y)
            if xs.shape == ys.shape and xs.dtype.kind in "fc" and ys.dtype.kind in "fc" and \
                    numpy.allclose(xs, ys, rtol=2e-5, atol=1e-6, equal_nan=True):
                return None
            if isinstance(x, list) and numpy.array_equal(xs, ys, equal_nan=True):
                return None
            return f"python values {x!r} vs {y!r}"
        return None
    x, y = a[1], b[1]
    if x.dtype != y.dtype:
        return f"dtype {x.dtype} vs {y.dtype}"
    if x.shape != y.shape:
        return f"shape {x.shape} vs {y.shape}"
    if x.dtype.kind in "fc":
        rtol, atol = max(TOL[x.dtype.char], TOL[floor])
        scale = numpy.where(numpy.isfinite(x), numpy.abs(x), 0)
        if magnitude is not None and magnitude.shape == x.shape:
            scale = numpy.maximum(scale, numpy.where(numpy.isfinite(magnitude), magnitude, 0))
        finite = numpy.isfinite(x) & numpy.isfinite(y)
        bad = ~((numpy.isnan(x) & numpy.isnan(y)) | (x == y) | (finite & (numpy.abs(x - y) <= atol + rtol * scale)))
        if x.dtype.kind == "f" and zero_sign:  # the sign of zero too
            bad |= (x == 0) & (y == 0) & (numpy.signbit(x) != numpy.signbit(y))
        if bad.any():
            return f"values differ at {numpy.argwhere(bad)[:3].tolist()}: {x[bad][:3]} vs {y[bad][:3]}"
        return None
    if not numpy.array_equal(x, y):
        return f"values {x!r} vs {y!r}"
    return None


class Mismatch(AssertionError):
    pass


def _outcome(side, env, step):
    try:
        v = run_step(side, env, step)
    except Exception as e:
        return ("raise", type(e), e), None
    return ("value", snapshot(v, side)), v


def _root(a):
    while isinstance(a.base, numpy.ndarray):
        a = a.base
    return a


def _aliases(v, env):
    """Does array v share memory with a variable of env (NumPy arrays, or MinArrays of one device)?"""
    if isinstance(v, mp.MinArray):
        v = v._data
    if not hasattr(v, "shape") or isinstance(v, numpy.generic):
        return False
    bufs = [x._data if isinstance(x, mp.MinArray) else x for x in env]
    if isinstance(v, numpy.ndarray):
        # an empty view shares no bytes: it is still a view of its base (read-only as a diagonal, say)
        return any(isinstance(b, numpy.ndarray) and (numpy.shares_memory(v, b) or
                                                     (not v.size and _root(v) is _root(b))) for b in bufs)
    if not hasattr(v, "untyped_storage"):  # MXNet: no views
        return False
    ptr = v.untyped_storage().data_ptr()
    return any(hasattr(b, "untyped_storage") and b.untyped_storage().data_ptr() == ptr and b.numel() and v.numel()
               for b in bufs)


def _new_vars(env, v, side):
    if _is_array(v, side):
        env.append(v)
    elif isinstance(v, numpy.generic):
        env.append(numpy.asarray(v) if side.is_numpy else mnp.asarray(v))  # a device's 0-d MinArray stands for it
    elif isinstance(v, tuple):
        for e in v:
            _new_vars(env, e, side)


def execute(program, sides):
    """Run `program` on the NumPy side and every minpy side in lockstep; raise Mismatch at the first difference.
    Returns the number of steps a '<backend>_only' side could not run (NoKernelError)."""
    ref = Side("numpy")
    not_applicable = 0
    with numpy.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hosts = [make_input(*spec) for spec in program["inputs"]]
        envs = {s.name: [s.asarray(h) for h in hosts] for s in (ref, *sides)}
        floor = _floor(envs["numpy"], "d")
        diverged = set()
        for i, step in enumerate(program["steps"]):
            copy_ref = False
            befores = {}
            want, v_ref = _outcome(ref, envs["numpy"], step)
            for side in sides:
                if side.name in diverged:
                    continue
                env = envs[side.name]
                before = befores[side.name] = [_host(x) for x in env] if side.mxnet else None
                with side.context():
                    got, v = _outcome(side, env, step)
                if got[0] == "raise" and got[1] is mp.NoKernelError and side.only:
                    not_applicable += 1
                    with side.context("numpy_only"):
                        got, v = _outcome(side, env, step)
                try:
                    _compare(program, i, step, side, want, got, floor,
                             error_scale(ref, envs["numpy"], step) if side.mxnet else None)
                except Mismatch:
                    if not _right_on_own_inputs(ref, before, step, got, floor):
                        raise
                    # Note: an exact predicate (isin, ==, unique ...) of float values that an MXNet kernel computed
                    # within tolerance but not bit-for-bit: the step is right on this side's own inputs (checked
                    # above against NumPy), and the program's two runs legitimately part here; stop this side
                    diverged.add(side.name)
                    continue
                if side.device is not None and side.views and want[0] == "value":
                    mine, numpys = _aliases(v, env), _aliases(v_ref, envs["numpy"])
                    if mine and not numpys and step[1] in ("ravel", "reshape"):
                        # Note: a view where the layout allows one (NumPy's rule); a fallback's result can be laid
                        # out differently from NumPy's: this side keeps a copy, to compare like for like
                        v, mine = mp.asarray(v, copy=True), False
                    if mine and not numpys:
                        raise Mismatch(f"[{side.name}] step {i} {step!r}: the result shares memory with a "
                                       f"variable where NumPy's is a new array\nprogram = {program!r}")
                    if numpys and not mine:
                        # Note: NumPy answers with a view of an input where the device gives a new array (a
                        # fallback's result, or torch's flip and negative steps; README, limits): the reference
                        # takes a copy, to compare like for like
                        copy_ref = True
                _new_vars(env, v, side)
            if copy_ref:
                v_ref = numpy.array(v_ref)
            _new_vars(envs["numpy"], v_ref, ref)
            floor = _floor(envs["numpy"], floor)
            # in-place steps: every live variable must still agree
            if step[0] in ("setitem", "iop") or (step[0] == "method" and step[1] in ("fill", "sort")) or \
                    (step[0] == "func" and step[1] in WRITING_FUNCS):
                for side in sides:
                    if not side.views or side.name in diverged:
                        continue  # Note: on MXNet devices slices are copies, not views (README: known gap)
                    for j, (x, y) in enumerate(zip(envs["numpy"], envs[side.name], strict=True)):
                        d = same(snapshot(x, ref), snapshot(y, side), floor if side.mxnet else "d")
                        if d and want[0] == "raise":
                            # Note: a ufunc that raises part-way (x **= negative ints) leaves its out= partly
                            # written, with contents NumPy does not specify: take NumPy's and go on
                            _dispatch.write(y, _dispatch.device_buffer(numpy.array(x), y.device)[0])
                        elif d and _writes_right_on_own_inputs(ref, befores[side.name], step, j, y, side):
                            # Note: as for values above: a borrowed kernel's result within tolerance, written here
                            # by a step that magnifies the difference (a power at an integer exponent's edge)
                            diverged.add(side.name)
                            break
                        elif d:
                            raise Mismatch(f"[{side.name}] after step {i} {step!r}: variable {j}: {d}\n"
                                           f"program = {program!r}")
    return not_applicable


def _host(x):
    """A NumPy copy of a side's variable."""
    return x.asnumpy() if isinstance(x, mp.MinArray) else numpy.array(x, copy=True)


def _right_on_own_inputs(ref, before, step, got, floor):
    """Does NumPy, run on the values this (MXNet) side had before the step, give what the side gave?"""
    if before is None or got[0] != "value":
        return False
    again, _ = _outcome(ref, before, step)
    return again[0] == "value" and not same(again[1], got[1], floor)


def _writes_right_on_own_inputs(ref, before, step, j, y, side):
    """Does NumPy, running in-place `step` on the values this side had before it, leave variable j as this side
    has it?  (Copies of the variables: a write reaches only the variable it names.)"""
    if before is None:
        return False
    before = [numpy.array(x, copy=True) for x in before]
    again, _ = _outcome(ref, before, step)
    return again[0] == "value" and not same(snapshot(before[j], ref), snapshot(y, side), _floor(before, "d"))


def _floor(env, floor):
    """The least precise float dtype (as a TOL key) among the live variables and `floor`."""
    rank = {"e": 0, "f": 1, "F": 1, "d": 2, "D": 2, "g": 2, "G": 2}
    for v in env:
        c = v.dtype.char
        if c in rank and rank[c] < rank[floor]:
            floor = c
    return floor


def _compare(program, i, step, side, want, got, floor="d", magnitude=None):
    floor = floor if side.mxnet else "d"  # NumPy kernels on both sides: bit-for-bit the same computation
    if want[0] == "raise" or got[0] == "raise":
        # the same type, or a subclass of it: an `except` clause written for NumPy's error catches ours
        if want[0] == got[0] and issubclass(got[1], want[1]):
            return
        if step[0] == "setitem" and want[0] == got[0] and {want[1], got[1]} <= {IndexError, OverflowError}:
            # Note: an out-of-bounds index and an out-of-range value in one statement: which one NumPy reports
            # first depends on the index's kind and dtype; both are errors of the statement
            return
        w = f"{want[1].__name__}: {want[2]}" if want[0] == "raise" else "a value"
        g = f"{got[1].__name__}: {got[2]}" if got[0] == "raise" else "a value"
        raise Mismatch(f"[{side.name}] step {i} {step!r}: NumPy gave {w}; minpy_array gave {g}\n"
                       f"program = {program!r}")
    # Note: which zero a sum or an extreme of +0.0 and -0.0 gives depends on the loop (NumPy's own changes with the
    # layout); on a device the backend's kernel answers, on the cpu borrowed kernels hand zero extremes to NumPy
    free = side.device is not None and step[0] == "reduce" and step[1] in ("sum", "mean", "max", "min", "amax")
    d = same(want[1], got[1], floor, zero_sign=not free, magnitude=magnitude)
    if d:
        raise Mismatch(f"[{side.name}] step {i} {step!r}: {d}\nprogram = {program!r}")


IN_PLACE = ("setitem", "iop")


def without_writes(program):
    """The program without in-place steps.  Note: on MXNet devices slices and reshapes are copies, not views
    (README: known gap), so a write through one diverges from NumPy by design; device runs fuzz the rest."""
    steps = [s for s in program["steps"] if s[0] not in IN_PLACE and not (s[0] == "method" and s[1] in ("fill", "sort"))
             and not (s[0] == "func" and s[1] in WRITING_FUNCS)]
    return {"inputs": program["inputs"], "steps": steps}


def sides(policies, device=None, calibrated=False):
    """One side per policy (on `device`); `calibrated`: `auto` runs with calibration on, named "auto+calibrated"."""
    return [Side(p if device is None else f"{p}@{device}", p, device) if not (calibrated and p == "auto") else
            Side("auto+calibrated", p, device, borrowed=True) for p in policies]
