"""check_grads: reverse-mode derivatives against central differences along random directions (as HIPS autograd's
test_util does), to any order.  Arguments may be containers (dicts, lists, tuples) like grad's; complex arguments
are perturbed in their real and imaginary parts."""
import numpy

from .. import _dispatch
from .._array import MinArray, asarray_like
from .._devices import get_default_device
from . import grad as _grad

A = _dispatch.apply


def _outputs(out, found):
    """The floating-point and complex MinArrays of f's output (an array, or nested dicts/lists/tuples of them)."""
    if type(out) is MinArray:
        if out.dtype.kind in "fc":
            found.append(out)
    elif isinstance(out, numpy.inexact):  # an untraced NumPy-face result: NumPy's scalar
        found.append(asarray_like(out, get_default_device()))
    elif isinstance(out, dict):
        for v in out.values():
            _outputs(v, found)
    elif isinstance(out, (tuple, list)):
        for v in out:
            _outputs(v, found)
    return found


def _flat(out):
    """The output(s) of f as one 1-d array (so f may return an array of any shape, or a container of them)."""
    parts = [A("ravel", o) for o in _outputs(out, [])]
    if not parts:
        raise TypeError(f"check_grads: the function returned no floating-point array ({type(out).__name__})")
    return A("concat", parts) if len(parts) > 1 else parts[0]


def _leaves(x, found):
    if isinstance(x, dict):
        for v in x.values():
            _leaves(v, found)
    elif type(x) is list or type(x) is tuple:
        for v in x:
            _leaves(v, found)
    else:
        found.append(_grad._leaf_array(x, "check_grads"))
    return found


def _rebuild(x, it):
    if isinstance(x, dict):
        return type(x)((k, _rebuild(v, it)) for k, v in x.items())
    if type(x) is list or type(x) is tuple:
        return type(x)(_rebuild(v, it) for v in x)
    return next(it)


def _host(x):
    a = numpy.asarray(_grad.stop_gradient(x)._host())
    return a.astype(numpy.complex128 if a.dtype.kind == "c" else numpy.float64)


def _direction(rng, a):
    """A random direction in a's space: complex for complex arrays (real and imaginary parts both move)."""
    v = rng.standard_normal(a.shape)
    return v + 1j * rng.standard_normal(a.shape) if a.dtype.kind == "c" else v


def _pair(c, v):
    """The real pairing of a cotangent c with a tangent v (the convention of vjps.py: Re(sum(c * v)))."""
    return float(numpy.real(numpy.sum(c * v)))


def check_vjp(f, args, eps, rtol, atol, rng):
    """<vjp(u), v> against <u, (f(x + eps v) - f(x - eps v)) / 2 eps>, the differences taken in float64/complex128."""
    out, pull = _grad.vjp(lambda *a: _flat(f(*a)), *args)
    u = _direction(rng, out)
    vs = [_direction(rng, a) for a in args]
    cts = pull(asarray_like(u.astype(out.dtype), out.device))
    analytic = sum(_pair(_host(c), v) for c, v in zip(cts, vs, strict=True))
    x64 = [_host(a) for a in args]
    dev = args[0].device

    def at(sign):
        return _host(_flat(f(*[asarray_like(x + sign * eps * v, dev) for x, v in zip(x64, vs, strict=True)])))
    numeric = _pair(u, at(1.0) - at(-1.0)) / (2 * eps)
    scale = numpy.sqrt(u.size) * (1.0 + numpy.abs(_host(out)).max(initial=0.0))
    if not abs(analytic - numeric) <= atol * scale + rtol * abs(numeric):
        raise AssertionError(f"check_grads: reverse-mode {analytic!r} but central differences {numeric!r} "
                             f"(|diff| {abs(analytic - numeric):.3g}, dtype {out.dtype})")


def check_grads(f, *args, order=2, eps=1e-6, rtol=None, atol=None, seed=0):
    """Check f's reverse-mode derivatives with respect to every positional argument, up to `order`.

    Arguments may be arrays, numbers (integers are checked at their float64 value) or nested dicts/lists/tuples of
    them, as for grad; f may return an array or a container of arrays.  Order 1 compares f's VJP along a random
    output cotangent u and input direction v (complex for complex arrays: real and imaginary parts) with central
    differences of f (taken in float64/complex128 whatever the arguments' dtype); order k checks the VJP function
    x, u -> vjp(u) the same way, at order k-1.  Default tolerances: rtol 1e-5/atol 1e-7 for 64-bit arguments,
    2e-2/2e-3 for 32-bit ones.  Raises AssertionError on a mismatch."""
    leaves = _leaves(list(args), [])
    if not leaves:
        raise TypeError("check_grads: no argument to differentiate")
    if len(leaves) != len(args) or any(type(a) is not MinArray for a in args):
        return check_grads(lambda *ls: f(*_rebuild(list(args), iter(ls))), *leaves, order=order, eps=eps,
                           rtol=rtol, atol=atol, seed=seed)
    args = leaves
    low = any(a.dtype in (numpy.float16, numpy.float32, numpy.complex64) for a in args)
    rtol = rtol if rtol is not None else (2e-2 if low else 1e-5)
    atol = atol if atol is not None else (2e-3 if low else 1e-7)
    rng = numpy.random.default_rng(seed)
    check_vjp(f, args, eps, rtol, atol, rng)
    if order > 1:
        n = len(args)
        out = _flat(f(*[_grad.stop_gradient(a) for a in args]))
        u = asarray_like(_direction(rng, out).astype(out.dtype), out.device)

        def vjp_of(*a_u):
            _, pull = _grad.vjp(lambda *a: _flat(f(*a)), *a_u[:n])
            return _flat(pull(a_u[n]))
        check_grads(vjp_of, *args, u, order=order - 1, eps=eps, rtol=rtol, atol=atol, seed=seed + 1)
