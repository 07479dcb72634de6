"""The MinPy blog's snippets, on minpy_array: printing inside a differentiated function, a data-dependent `if`,
the NumPy fallback for an op MXNet lacks (logaddexp), and an MXNet convolution symbol as a differentiable Function.

    python examples/blog_snippets.py [--short]
"""
import argparse
import sys

import numpy

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.autodiff import grad


def printing():
    """Arrays print like NumPy's, even while being differentiated."""
    def f(x):
        y = x * x
        print("inside f, y =", y)
        return np.sum(y)

    return grad(f)(np.asarray([1.0, 2.0, 3.0]))


def data_dependent_if():
    """Control flow is Python: the branch taken depends on the data, and the gradient follows it."""
    def f(x):
        if float(np.sum(x)) > 0:  # a value decides the branch (float() of an untraced sum)
            return np.sum(np.exp(x))
        return np.sum(-x * x)

    return grad(f)(np.asarray([0.5, 1.0])), grad(f)(np.asarray([-0.5, -1.0]))


def logaddexp_fallback():
    """MXNet 1.9.1 has no logaddexp: under 'prefer_mxnet' it runs on NumPy, and op_stats says so."""
    mp.reset_op_stats()
    with mp.policy("prefer_mxnet"):
        a, b = np.asarray([1.0, -2.0, 30.0]), np.asarray([0.5, 3.0, 30.0])
        out = np.logaddexp(a, b)
        total = np.sum(out * 2.0)
    print("logaddexp:", out, "sum*2:", total)
    print(mp.op_stats())
    return out


def convolution_function():
    """An MXNet Convolution symbol wrapped as one differentiable op (with MinPy's `Function`, input shapes given up
    front), np.exp of its output, and the gradient with respect to its weight."""
    import mxnet as mx  # works on NumPy 1.26 too, before or after minpy_array (minpy_array's import hook)

    from minpy_array.core import Function

    net = mx.sym.Convolution(mx.sym.Variable("x"), name="conv", kernel=(3, 3), num_filter=2, no_bias=True)
    conv = Function(net, input_shapes={"x": (1, 1, 5, 5)})
    rng = numpy.random.default_rng(0)
    x = np.asarray(rng.normal(size=(1, 1, 5, 5)).astype("float32"))
    w = np.asarray(rng.normal(size=conv.get_params()["conv_weight"]["shape"]).astype("float32"))
    y = np.exp(conv(x=x, conv_weight=w) / 10)
    dw = grad(lambda w: np.sum(conv(x=x, conv_weight=w) ** 2))(w)
    print("exp(conv(x) / 10)", y.shape, "dloss/dw", dw.shape)
    return y, dw


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--short", action="store_true", help="the same snippets (they are all short)")
    p.parse_args(argv)
    return {"printing": printing(), "if": data_dependent_if(), "logaddexp": logaddexp_fallback(),
            "function": convolution_function()}


if __name__ == "__main__":
    main()
    sys.exit(0)
