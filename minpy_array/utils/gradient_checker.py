"""MinPy's `quick_grad_check`: the gradient along one random direction against a central difference.

`minpy_array.autodiff.check_grads` is the thorough check (every argument, several directions, higher orders, raises
on a mismatch); this one returns True or False, as MinPy's did.
"""
import numpy

from ..core import grad, minpy_to_numpy


def quick_grad_check(fun, arg, verbose=True, eps=1e-2, rtol=1e-2, atol=1e-2, rs=None):
    """Does grad(fun) at `arg` (fun's first argument) match (fun(arg + eps/2 d) - fun(arg - eps/2 d)) / eps along a
    random unit direction d?  `rs`: a numpy RandomState or Generator for d."""
    rs = numpy.random.RandomState() if rs is None else rs
    x = numpy.asarray(minpy_to_numpy(arg), dtype=float)
    d = rs.standard_normal(x.shape)
    d = d / numpy.sqrt(numpy.sum(d * d))

    def at(t):
        return numpy.asarray(minpy_to_numpy(fun(x + t * d)), dtype=float)

    numeric = (at(eps / 2) - at(-eps / 2)) / eps
    analytic = numpy.sum(numpy.asarray(minpy_to_numpy(grad(fun)(x))) * d)
    passed = bool(numpy.allclose(numeric, analytic, rtol=rtol, atol=atol))
    if verbose:
        print(f"gradient projection {'OK' if passed else 'MISMATCH'}: numeric {numeric}, analytic {analytic}")
    return passed


__all__ = ["quick_grad_check"]
