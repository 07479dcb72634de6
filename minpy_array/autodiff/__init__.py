"""Reverse-mode automatic differentiation of code written with minpy_array (either face), Python control flow
included.

    from minpy_array.autodiff import grad, value_and_grad
    dloss = grad(loss, argnums=(0, 1))

Public API: grad, value_and_grad, grad_and_loss (MinPy's name), vjp, jacobian, hessian, stop_gradient,
custom_vjp, defvjp, defvjp_all (register the VJP of an op name), check_grads (numerical checking).
"""
from .check import check_grads
from .grad import custom_vjp, grad, grad_and_loss, hessian, jacobian, stop_gradient, value_and_grad, vjp
from .vjps import NONDIFF, VJPS, defvjp, defvjp_all

__all__ = ["grad", "value_and_grad", "grad_and_loss", "vjp", "jacobian", "hessian", "stop_gradient", "custom_vjp",
           "defvjp", "defvjp_all", "check_grads", "VJPS", "NONDIFF"]
