"""grad, value_and_grad (grad_and_loss: MinPy's name), vjp, jacobian, hessian, stop_gradient, custom_vjp.

Each call of a transformed function opens a new trace level, boxes its differentiated arguments as leaves at that
level, runs the function (ops on traced arrays are recorded by the recorder installed in `_dispatch.RECORDER`), and
runs the backward pass from the output.  Levels nest, so grad(grad(f)) and hessian work.
"""
import functools

import numpy

from .. import _dispatch
from .._array import MinArray, _wrap, asarray_like, with_face
from .._devices import get_default_device
from .._native import speedups as _speedups
from . import tape
from .containers import SEQUENCES, prepare
from .vjps import ALL, CONSTANT, NONDIFF, VJPS

A = _dispatch.apply


def _inexact(result):
    t = type(result)
    if t is MinArray:
        return result.dtype.kind in "fc"
    if isinstance(result, (tuple, list)):
        return any(type(r) is MinArray and r.dtype.kind in "fc" for r in result)
    return False


def _recorder(op, args, kw, result):
    """Installed as _dispatch.RECORDER[0]: attach nodes to the result of an op that had a traced input."""
    entry = VJPS.get(op)
    if entry is None:
        if op in NONDIFF:
            if op not in CONSTANT and _inexact(result):
                raise TypeError(f"{op}: declared non-differentiable, but this call returned a floating-point "
                                "result computed from a traced input, and no gradient is implemented for it; wrap "
                                "the input in minpy_array.autodiff.stop_gradient(x) to treat it as a constant")
            return result
        raise TypeError(
            f"{op}: no gradient (VJP) is defined for this op, so it cannot run on a traced array. Register one with "
            f"minpy_array.autodiff.defvjp({op!r}, lambda ans, *args, **kw: lambda g: <cotangent of args[0]>, ...), "
            "or wrap the value in minpy_array.autodiff.stop_gradient(x) to treat it as a constant")
    if kw and op in UFUNC_CALLS:
        _ufunc_keywords(op, kw)
    t = type(result)
    if t is MinArray:
        if result.dtype.kind not in "fc":  # an integer or boolean result carries no gradient
            return result
    elif t is tuple or t is list or isinstance(result, tuple):
        if not any(type(r) is MinArray and r.dtype.kind in "fc" for r in result):
            return result
    else:
        return result
    return tape.record(op, entry, args, kw, result)


# the op names of ufunc calls (and their outer method): VJPs see every element computed, so keywords that leave
# elements out (where=) or move the core axes of a gufunc (axes=, axis= of matmul) have no gradient here
UFUNC_CALLS = {_dispatch.OP_OF.get(u, u.__name__) for u in vars(numpy).values() if isinstance(u, numpy.ufunc)}
UFUNC_CALLS |= {f"{op}.outer" for op in UFUNC_CALLS}
_UFUNC_SAFE = {"dtype", "casting", "order", "subok", "out"}


def _ufunc_keywords(op, kw):
    for k, v in kw.items():
        if k in _UFUNC_SAFE or (k == "where" and v is True) or (k == "keepdims" and v is False):
            continue
        if not (k == "axis" and op in ("vecdot", "linalg.vecdot")):  # their VJP reads axis
            raise TypeError(f"{op}: no gradient with the keyword {k}= on a traced array (the elements it leaves "
                            f"out or the axes it moves are not followed); write np.where(mask, {op}(x), other) for "
                            "where=, or move the axes first")


_dispatch.RECORDER[0] = _recorder
_dispatch.PREPARE[0] = prepare
if _speedups is not None:  # their common cases in C, for the C paths (_speedups.c: record_traced, prepared_as_is)
    _speedups.install_recorder(recorder=_recorder, prepare=prepare, vjps=VJPS, sequences=SEQUENCES,
                               ufunc_calls=UFUNC_CALLS)


# ---------------------------------------------------------------- arguments
def _leaf_array(x, where):
    """x as the array to differentiate at: floating-point and complex values as they are; integers (Python or
    NumPy scalars, arrays) as float64, as MinPy did (grad(f)(3) differentiates at 3.0)."""
    t = type(x)
    if t is MinArray:
        kind = x.dtype.kind
        if kind in "fc":
            return x
        if kind in "iu":
            return A("astype", x, numpy.float64)
        raise TypeError(f"{where}: cannot differentiate with respect to a MinArray of dtype {x.dtype}; pass "
                        "floating-point, complex or integer values")
    if t is bool or isinstance(x, numpy.bool_):
        raise TypeError(f"{where}: cannot differentiate with respect to a bool ({x!r}); pass a number")
    if t in (int, float, complex) or isinstance(x, (numpy.ndarray, numpy.number)):
        a = numpy.asarray(x)
        if a.dtype.kind in "iu":
            a = a.astype(numpy.float64)
        elif a.dtype.kind not in "fc":
            raise TypeError(f"{where}: cannot differentiate with respect to an array of dtype {a.dtype}")
        return asarray_like(a, get_default_device())
    raise TypeError(f"{where}: cannot differentiate with respect to a {t.__name__}; pass numbers, arrays, or "
                    "dicts/lists/tuples of them")


def _box_tree(x, level, leaves, where):
    """x with every array leaf boxed at `level`; the leaf nodes are appended to `leaves`."""
    if isinstance(x, dict):
        return type(x)((k, _box_tree(v, level, leaves, where)) for k, v in x.items())
    if type(x) is list or type(x) is tuple:
        return type(x)(_box_tree(v, level, leaves, where) for v in x)
    b = tape.box(_leaf_array(x, where), level)
    leaves.append(b._node)
    return b


def _grad_tree(x, leaves, it):
    """The structure of x with each leaf replaced by its gradient (in the order the leaves were boxed)."""
    if isinstance(x, dict):
        return type(x)((k, _grad_tree(v, leaves, it)) for k, v in x.items())
    if type(x) is list or type(x) is tuple:
        return type(x)(_grad_tree(v, leaves, it) for v in x)
    node = leaves[next(it)]
    g = node.g
    node.g = None
    return A("zeros_like", node.lower) if g is None else with_face(g, node.lower._face)


def _argnums(argnums, nargs, where):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise TypeError(f"{where}: argnums {argnums!r} but the function got {nargs} positional arguments")
    return nums


def _scalar_output(out, where):
    if type(out) is MinArray:
        if out.size != 1:
            raise TypeError(f"{where}: the function must return a scalar (size-1 array), got shape {out.shape}; "
                            "use vjp or jacobian for non-scalar outputs")
        return out
    if isinstance(out, (float, int, numpy.number)):
        return None
    raise TypeError(f"{where}: the function must return a scalar array, got {type(out).__name__}")


# ---------------------------------------------------------------- the transforms
def value_and_grad(fun, argnums=0):
    """fun -> f(*args) returning (fun(*args), gradient).

    argnums: an int or a tuple of ints (then the gradient is a tuple).  Each differentiated argument may be a
    MinArray, a NumPy array, a Python or NumPy number, or a nested dict/list/tuple of them; its gradient has the same
    structure, with MinArrays on the argument's device and of its dtype (Python floats give 0-d float64 MinArrays,
    Python complex numbers complex128).  Integers are differentiated as float64, as MinPy did: grad(f)(3) is the
    derivative at 3.0, a float64 array.  Complex arguments follow HIPS autograd's convention (README, Gradients).
    fun must return a scalar (0-d or size-1 array), else TypeError.
    """
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        where = f"grad of {getattr(fun, '__name__', 'function')}"
        nums = _argnums(argnums, len(args), where)
        level = tape.new_level()
        args = list(args)
        leaves, originals = [], []
        for i in nums:
            originals.append(args[i])
            args[i] = _box_tree(args[i], level, leaves, where)
        out = _scalar_output(fun(*args, **kwargs), where)
        node = tape.node_at(out, level) if out is not None else None
        value = tape.strip(out, level) if out is not None else out
        if node is not None:
            tape.backward([(node, _seed(value))])
        del out, node
        if type(value) is MinArray and value._face and value._node is None and value.ndim == 0 and \
                type(value._data) is numpy.ndarray and value._device.is_host:
            value = value._data[()]  # untraced now: the NumPy scalar the function gives outside grad
        it = iter(range(len(leaves)))
        grads = tuple(_grad_tree(o, leaves, it) for o in originals)
        return value, (grads[0] if isinstance(argnums, int) else grads)
    return wrapped


def _seed(value):
    """The output's cotangent, ones: a spec-face array, so that the backward pass computes with 0-d arrays (never
    NumPy scalars) whatever face the function's arrays have."""
    return _dispatch.run("ones_like", _dispatch.NP_KERNELS["ones_like"], (value,), {}, False)


def grad(fun, argnums=0):
    """fun -> the function giving fun's gradient with respect to argument(s) `argnums` (see value_and_grad)."""
    vg = value_and_grad(fun, argnums)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        return vg(*args, **kwargs)[1]
    return wrapped


def grad_and_loss(fun, argnum=0):
    """MinPy's API: fun -> f(*args) returning (gradient(s), loss)."""
    vg = value_and_grad(fun, argnum)

    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        value, grads = vg(*args, **kwargs)
        return grads, value
    return wrapped


def vjp(fun, *primals):
    """(fun(*primals), pullback) where pullback(cotangent of the output) gives a tuple of cotangents of primals.

    The output may be an array of any shape or a tuple/list of arrays (then the cotangent is a tuple/list).  The
    pullback may be called many times."""
    level = tape.new_level()
    leaves = []
    boxed = [_box_tree(p, level, leaves, "vjp") for p in primals]
    out = fun(*boxed)
    outs = out if type(out) in (tuple, list) else (out,)
    nodes = [tape.node_at(o, level) if type(o) is MinArray else None for o in outs]
    values = type(outs)(tape.strip(o, level) for o in outs)

    def pullback(g):
        gs = g if type(out) in (tuple, list) else (g,)
        roots = [(n, tape.fit(gi, v)) for n, gi, v in zip(nodes, gs, values, strict=False)
                 if n is not None and gi is not None]
        if roots:
            tape.backward(roots, retain=True)
        it = iter(range(len(leaves)))
        return tuple(_grad_tree(p, leaves, it) for p in primals)

    return (values if type(out) in (tuple, list) else values[0]), pullback


def jacobian(fun, argnum=0):
    """fun -> f(*args) giving d fun / d args[argnum], of shape fun's output shape + the argument's shape."""
    @functools.wraps(fun)
    def wrapped(*args, **kwargs):
        args = list(args)
        x = args[argnum]

        def f(xx):
            args[argnum] = xx
            return fun(*args, **kwargs)

        out, pull = vjp(f, x)
        xa = _leaf_array(x, "jacobian")
        rows = []
        eye = numpy.eye(max(out.size, 1), dtype=out.dtype)
        for i in range(out.size):
            e = asarray_like(eye[i].reshape(out.shape), out.device)
            rows.append(pull(e)[0])
        if not rows:
            return A("zeros", out.shape + xa.shape, dtype=xa.dtype)
        return A("reshape", A("stack", rows), out.shape + xa.shape)
    return wrapped


def hessian(fun, argnum=0):
    """The Jacobian of the gradient: shape x.shape + x.shape for a scalar fun."""
    return jacobian(jacobian(fun, argnum), argnum)


def stop_gradient(x):
    """x's value with no gradient at any trace level (arrays inside dicts/lists/tuples too)."""
    if type(x) is MinArray:
        return x if x._node is None else _wrap(x._data, x._device, x._face)
    if isinstance(x, dict):
        return type(x)((k, stop_gradient(v)) for k, v in x.items())
    if type(x) is list or type(x) is tuple:
        return type(x)(stop_gradient(v) for v in x)
    return x


class custom_vjp:
    """A function with a hand-written VJP, as in JAX:

        @custom_vjp
        def f(x, y): ...
        f.defvjp(fwd, bwd)   # fwd(*args) -> (out, residuals); bwd(residuals, g) -> tuple, one cotangent per arg

    fwd and bwd run on untraced values, so the custom rule is used for first-order gradients only."""

    def __init__(self, fun):
        functools.update_wrapper(self, fun)
        self.fun = fun
        self.fwd = self.bwd = None

    def defvjp(self, fwd, bwd):
        self.fwd, self.bwd = fwd, bwd
        return self

    def __call__(self, *args):
        if self.fwd is None or not any(_traced(a) for a in args):
            return self.fun(*args)
        out, res = self.fwd(*stop_gradient(args))
        bwd = self.bwd

        def maker(ans, *a):
            return lambda g: tuple(bwd(res, g))
        name = getattr(self.fun, "__name__", "function")
        return tape.record(f"custom_vjp:{name}", (ALL, maker), args, {}, out)


def _traced(a):
    if type(a) is MinArray:
        return a._node is not None
    if type(a) is list or type(a) is tuple:
        return any(_traced(v) for v in a)
    return False
