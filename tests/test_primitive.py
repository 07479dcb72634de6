"""minpy_array.primitive.customop (MinPy's): an op and its gradient written with NumPy."""
import numpy
import pytest

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.autodiff import check_grads
from minpy_array.core import grad
from minpy_array.primitive import customop


def nll(x, labels):
    """Mean negative log-likelihood of rows of scores x (NumPy)."""
    shifted = x - x.max(axis=1, keepdims=True)
    logp = shifted - numpy.log(numpy.exp(shifted).sum(axis=1, keepdims=True))
    return -logp[numpy.arange(len(x)), labels.astype(int)].mean()


def nll_grad(ans, x, labels):
    def vjp(g):
        p = numpy.exp(x - x.max(axis=1, keepdims=True))
        p /= p.sum(axis=1, keepdims=True)
        p[numpy.arange(len(x)), labels.astype(int)] -= 1
        return g * p / len(x)
    return vjp


def make_op():
    seen = []

    @customop("numpy")
    def op(x, labels):
        seen.append((type(x), type(labels)))
        return nll(x, labels)

    return op.def_grad(nll_grad), seen


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_forward_backward_and_op_stats(dtype):
    op, seen = make_op()
    x = numpy.random.default_rng(0).normal(size=(6, 4)).astype(dtype)
    labels = numpy.array([0, 3, 1, 2, 2, 0])
    out = op(np.asarray(x), np.asarray(labels))
    assert isinstance(out, numpy.floating) and seen[0] == (numpy.ndarray, numpy.ndarray)  # NumPy's scalar
    assert float(out) == pytest.approx(nll(x.astype(float), labels), rel=1e-6)
    g = grad(op)(np.asarray(x), labels)
    assert g.dtype == dtype
    numpy.testing.assert_allclose(g.asnumpy(), nll_grad(None, x.astype(float), labels)(1.0), rtol=1e-5, atol=1e-7)
    assert mp.op_stats()[op.op]["numpy"] >= 2 and op.op.startswith("customop:op")
    check_grads(lambda x: op(x, labels), np.asarray(x.astype(float)), order=1)


def test_def_grad_for_another_argument_and_zero_gradients():
    @customop("numpy")
    def scale(a, b):
        return a * b

    scale.def_grad(lambda ans, a, b: lambda g: g * b).def_grad(lambda ans, a, b: lambda g: g * a, argnum=1)
    a, b = numpy.array([1.0, 2.0]), numpy.array([3.0, 4.0])
    ga, gb = grad(lambda a, b: np.sum(scale(a, b)), (0, 1))(a, b)
    numpy.testing.assert_array_equal(ga.asnumpy(), b)
    numpy.testing.assert_array_equal(gb.asnumpy(), a)

    @customop("numpy")
    def floor_plus(a):
        return numpy.floor(a) + a

    floor_plus.def_grad_zero()
    numpy.testing.assert_array_equal(grad(lambda a: np.sum(floor_plus(a)))(a).asnumpy(), [0.0, 0.0])


def test_differentiating_an_argument_without_a_gradient_raises_at_once():
    op, _ = make_op()
    with pytest.raises(TypeError, match=r"no gradient is defined for argument 1.*def_grad\(fn, argnum=1\)"):
        grad(lambda lab: op(np.ones((2, 3)), lab))(numpy.array([0.0, 1.0]))


def test_only_numpy_custom_ops():
    with pytest.raises(ValueError, match="only 'numpy' custom ops"):
        customop("mxnet")
