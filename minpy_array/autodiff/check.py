"""check_grads: reverse-mode derivatives against central differences along random directions (as HIPS
autograd's test_util does), to any order."""
import numpy

from .. import _dispatch
from .._array import MinArray, asarray_like
from . import grad as _grad

A = _dispatch.apply


def _flat(out):
    """The output(s) of f as one 1-d array (so f may return an array of any shape or a tuple of them)."""
    if type(out) in (tuple, list) or (isinstance(out, tuple) and hasattr(out, "_fields")):
        parts = [A("ravel", o) for o in out if type(o) is MinArray and o.dtype.kind in "fc"]
        return A("concat", parts) if len(parts) > 1 else parts[0]
    return A("ravel", out)


def _host64(x):
    return numpy.asarray(_grad.stop_gradient(x)._host(), dtype=numpy.float64)


def _as_float(x):
    return _grad._leaf_array(x, "check_grads")


def check_vjp(f, args, eps, rtol, atol, rng):
    """<vjp(u), v> against <u, (f(x + eps v) - f(x - eps v)) / 2 eps>, the differences taken in float64."""
    out, pull = _grad.vjp(lambda *a: _flat(f(*a)), *args)
    u = rng.standard_normal(out.shape)
    vs = [rng.standard_normal(a.shape) for a in args]
    cts = pull(asarray_like(u.astype(out.dtype), out.device))
    analytic = sum(float(numpy.sum(_host64(c) * v)) for c, v in zip(cts, vs, strict=False))
    x64 = [_host64(a) for a in args]
    dev = args[0].device

    def at(sign):
        return _host64(_flat(f(*[asarray_like(x + sign * eps * v, dev) for x, v in zip(x64, vs, strict=False)])))
    numeric = float(numpy.sum(u * (at(1.0) - at(-1.0)))) / (2 * eps)
    scale = numpy.sqrt(u.size) * (1.0 + numpy.abs(_host64(out)).max(initial=0.0))
    if not abs(analytic - numeric) <= atol * scale + rtol * abs(numeric):
        raise AssertionError(f"check_grads: reverse-mode {analytic!r} but central differences {numeric!r} "
                             f"(|diff| {abs(analytic - numeric):.3g}, dtype {out.dtype})")


def check_grads(f, *args, order=2, eps=1e-6, rtol=None, atol=None, seed=0):
    """Check f's reverse-mode derivatives with respect to every positional argument, up to `order`.

    Order 1 compares f's VJP along a random output cotangent u and input direction v with central differences of
    f (taken in float64 whatever the arguments' dtype); order k checks the VJP function x, u -> vjp(u) the same
    way, at order k-1.  Default tolerances: rtol 1e-5/atol 1e-7 for float64 arguments, 2e-2/2e-3 for float32.
    Raises AssertionError on a mismatch."""
    args = [_as_float(a) for a in args]
    low = any(a.dtype.itemsize < 8 or a.dtype == numpy.complex64 for a in args)
    rtol = rtol if rtol is not None else (2e-2 if low else 1e-5)
    atol = atol if atol is not None else (2e-3 if low else 1e-7)
    rng = numpy.random.default_rng(seed)
    check_vjp(f, args, eps, rtol, atol, rng)
    if order > 1:
        n = len(args)
        out = _flat(f(*[_grad.stop_gradient(a) for a in args]))
        u = asarray_like(rng.standard_normal(out.shape).astype(out.dtype), out.device)

        def vjp_of(*a_u):
            _, pull = _grad.vjp(lambda *a: _flat(f(*a)), *a_u[:n])
            return _flat(pull(a_u[n]))
        check_grads(vjp_of, *args, u, order=order - 1, eps=eps, rtol=rtol, atol=atol, seed=seed + 1)
