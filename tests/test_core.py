"""minpy_array.core (MinPy's minpy.core): grad and grad_and_loss with MinPy's conventions, the NumPy <-> MinArray
conversions, and Function with MinPy's methods and call conventions."""
import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array import autodiff, core


def rand(*shape, seed=0):
    return numpy.random.default_rng(seed).normal(size=shape)


# ---------------------------------------------------------------- grad and grad_and_loss
def test_argnum_forms():
    def f(x, y):
        return np.sum(np.tanh(x) * y)

    x, y = rand(3, 4), rand(3, 4, seed=1)
    dx, dy = (1 - numpy.tanh(x) ** 2) * y, numpy.tanh(x)
    numpy.testing.assert_allclose(core.grad(f)(x, y).asnumpy(), dx)
    for nums in ((0, 1), [0, 1], range(2)):  # a sequence gives a tuple of gradients
        gx, gy = core.grad(f, nums)(x, y)
        numpy.testing.assert_allclose(gx.asnumpy(), dx)
        numpy.testing.assert_allclose(gy.asnumpy(), dy)
    g = core.grad(f, [1])(x, y)  # a one-element sequence gives the gradient itself, as MinPy did
    assert isinstance(g, mp.MinArray)
    numpy.testing.assert_allclose(g.asnumpy(), dy)


def test_non_scalar_outputs_are_differentiated_as_the_sum_of_their_elements():
    x = rand(3, 4)
    numpy.testing.assert_allclose(core.grad(lambda x: 3 * np.tanh(x))(x).asnumpy(), 3 * (1 - numpy.tanh(x) ** 2))
    numpy.testing.assert_allclose(core.grad(lambda x: np.sum(x * x, axis=0))(x).asnumpy(), 2 * x)
    numpy.testing.assert_allclose(core.grad(lambda x: (2 * x, np.sum(x ** 2)))(x).asnumpy(), 2 + 2 * x)
    with pytest.raises(TypeError, match="scalar"):  # the strict form refuses them
        autodiff.grad(lambda x: 3 * np.tanh(x))(x)


def test_grad_and_loss_returns_the_output_as_a_plain_array():
    w, x = rand(4, 2), rand(5, 4, seed=1)
    (gw, gx), loss = core.grad_and_loss(lambda w, x: np.sum((x @ w) ** 2), (0, 1))(w, x)
    assert float(loss) == pytest.approx(numpy.sum((x @ w) ** 2))
    numpy.testing.assert_allclose(gw.asnumpy(), 2 * x.T @ (x @ w))
    numpy.testing.assert_allclose(gx.asnumpy(), 2 * (x @ w) @ w.T)
    g, out = core.grad_and_loss(lambda x: x * 2)(x)
    numpy.testing.assert_allclose(out.asnumpy(), 2 * x)  # not traced: converts to NumPy
    numpy.testing.assert_allclose(g.asnumpy(), numpy.full_like(x, 2.0))


def test_a_constant_function_has_a_zero_gradient():
    assert float(core.grad(lambda x: 1.0)(0.5)) == 0.0


def test_integer_arguments_as_minpy_cast_them():
    # Needs ints cast to float in autodiff (issue 14): MinPy's README calls foo_grad(3)
    def foo(x):
        return x if x >= 0 else 2 * x

    assert float(core.grad(foo)(3)) == 1.0 and float(core.grad(foo)(-1)) == 2.0
    numpy.testing.assert_array_equal(core.grad(lambda x: np.sum(x))(numpy.array([[1, 2], [3, 4]])).asnumpy(),
                                     numpy.ones((2, 2)))


# ---------------------------------------------------------------- conversions
def test_numpy_to_minpy_and_back():
    tree = {"a": numpy.arange(3.0), "b": [numpy.ones(2), (numpy.zeros(1), 5)], "c": "text"}
    mine = core.numpy_to_minpy(tree)
    assert isinstance(mine["a"], mp.MinArray) and isinstance(mine["b"][0], mp.MinArray)
    assert isinstance(mine["b"][1], tuple) and isinstance(mine["b"][1][0], mp.MinArray)
    assert mine["b"][1][1] == 5 and mine["c"] == "text"
    back = core.minpy_to_numpy(mine)
    assert type(back["a"]) is numpy.ndarray and type(back["b"][1][0]) is numpy.ndarray
    numpy.testing.assert_array_equal(back["a"], tree["a"])
    x = np.ones(2)
    assert core.numpy_to_minpy(x) is x


def test_convert_args_and_return_numpy():
    seen = []

    @core.return_numpy
    @core.convert_args
    def f(x, y=None):
        seen.append((type(x), type(y)))
        return {"sum": x + y, "n": 2}

    out = f(numpy.ones(2), y=numpy.arange(2.0))
    assert seen == [(mp.MinArray, mp.MinArray)]
    assert type(out["sum"]) is numpy.ndarray and out["n"] == 2
    numpy.testing.assert_array_equal(out["sum"], [1.0, 2.0])


def test_minpy_to_numpy_refuses_a_traced_array():
    with pytest.raises(TypeError, match="traced"):
        core.grad(lambda x: np.sum(np.asarray(core.minpy_to_numpy(x))))(numpy.ones(2))


# ---------------------------------------------------------------- Function
def mx():
    from minpy_array import mxnet

    return mxnet


def fully_connected(hidden=3):
    s = mx().sym
    return s.FullyConnected(s.Variable("x"), name="fc", num_hidden=hidden)


@requires_mxnet
def test_function_methods():
    f = core.Function(fully_connected(), {"x": (5, 4)}, "dense")  # name as MinPy's third argument
    assert f.name == "dense" and isinstance(f, mp.Function)
    assert f.get_params() == {"fc_weight": {"shape": (3, 4)}, "fc_bias": {"shape": (3,)}}
    assert f.get_output_shapes() == {"fc_output": (5, 3)} and f.get_one_output_shape() == (5, 3)
    s = mx().sym
    two = core.Function(s.Group([s.Variable("a") * 2, s.Variable("a") + 1]), {"a": (2,)})
    with pytest.raises(ValueError, match="2 outputs"):
        two.get_one_output_shape()


@requires_mxnet
def test_input_shapes_as_minpys_readme_wrote_them():
    f = core.Function(fully_connected(), input_shapes={"x", (5, 4)})  # a set: one name and one shape
    assert f.input_shapes == {"x": (5, 4)}
    with pytest.raises(TypeError, match="must be a dict"):
        core.Function(fully_connected(), input_shapes={"x", (5, 4), (1,)})


@requires_mxnet
def test_unknown_arguments_are_ignored_and_missing_ones_are_zeros():
    x, w = rand(5, 4), rand(3, 4, seed=1)
    f = core.Function(fully_connected(), {"x": (5, 4)})
    got = f(x=x, fc_weight=w, w1=numpy.ones(7))  # fc_bias left out, w1 not the symbol's
    numpy.testing.assert_allclose(got.asnumpy(), x @ w.T, rtol=1e-12)
    strict = mp.Function(fully_connected(), {"x": (5, 4)})
    with pytest.raises(TypeError, match="missing argument 'fc_bias'"):
        strict(x=x, fc_weight=w)
    with pytest.raises(TypeError, match="unexpected keyword argument 'w1'"):
        strict(x=x, fc_weight=w, fc_bias=numpy.zeros(3), w1=numpy.ones(7))
    dw = core.grad(lambda w: np.sum(np.tanh(f(x=x, fc_weight=w))))(w)
    ref = autodiff.grad(lambda w: np.sum(np.tanh(strict(x, w, numpy.zeros(3)))))(w)
    numpy.testing.assert_allclose(dw.asnumpy(), ref.asnumpy(), rtol=1e-12)


# ---------------------------------------------------------------- what MinPy's own tests checked, our way
@pytest.mark.parametrize(("red", "ref"), [("sum", lambda x, **k: numpy.ones_like(x)),
                                          ("max", lambda x, **k: x == x.max(**k, keepdims=True)),
                                          ("min", lambda x, **k: x == x.min(**k, keepdims=True))])
@pytest.mark.parametrize("kw", [{}, {"axis": 0}, {"axis": 1}, {"axis": 1, "keepdims": True}])
def test_reduction_gradients(red, ref, kw):
    x = numpy.array([[1.0, 2.0], [4.0, 3.0], [0.0, 5.0]])  # no ties: one element gets each gradient
    g = core.grad(lambda x: getattr(np, red)(x, **kw))(x)
    numpy.testing.assert_array_equal(g.asnumpy(), ref(x, **{k: v for k, v in kw.items() if k == "axis"}))


def test_max_ties_share_the_gradient():
    # Note: MinPy gave every tied element the whole gradient; a subgradient splits it (autograd and JAX do)
    g = core.grad(lambda x: np.max(x, axis=1))(numpy.array([[0.0, 0.0], [1.0, 2.0]]))
    numpy.testing.assert_array_equal(g.asnumpy(), [[0.5, 0.5], [0.0, 1.0]])


@requires_mxnet
def test_logistic_regression_through_a_function_trains():
    s = mx().sym
    f = core.Function(s.Activation(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=4), act_type="sigmoid"),
                      {"x": (64, 10)})
    rng = numpy.random.default_rng(0)
    x, w_true = rng.normal(size=(64, 10)), rng.normal(size=(4, 10))
    targets = (x @ w_true.T > 0).astype(float)

    def loss(w):
        p = f(x=x, fc_weight=w)
        return -np.sum(np.log(p * targets + (1 - p) * (1 - targets)))

    w = np.zeros((4, 10))
    first = float(loss(w))
    for _ in range(30):
        w = w - 0.01 * core.grad(loss)(w)
    assert float(loss(w)) < 0.3 * first
    with pytest.raises(IndexError):  # the loss is 0-d, as NumPy's sum: MinPy's (1,)-shaped loss[0] has no index
        loss(w)[0]
