"""grad, value_and_grad, grad_and_loss, vjp, jacobian, hessian, stop_gradient, custom_vjp, defvjp/defvjp_all:
the MinPy examples, argument structures, errors, in-place updates, memory, threads and devices.
HIPS autograd (an independent implementation) is the oracle where a closed form is not at hand."""
import gc
import threading
import weakref

import autograd
import autograd.numpy as anp
import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array import _dispatch
from minpy_array.autodiff import (
    check_grads,
    custom_vjp,
    defvjp,
    defvjp_all,
    grad,
    grad_and_loss,
    hessian,
    jacobian,
    stop_gradient,
    value_and_grad,
    vjp,
)


@pytest.fixture(autouse=True)
def _own_vjps():
    """Ops registered by a test leave the global VJP table as they found it."""
    from minpy_array.autodiff import VJPS

    before = dict(VJPS)
    yield
    VJPS.clear()
    VJPS.update(before)


def close(a, b, tol=1e-10):
    a = stop_gradient(a)
    a = a.asnumpy() if isinstance(a, mp.MinArray) else numpy.asarray(a)
    numpy.testing.assert_allclose(a, numpy.asarray(b), rtol=tol, atol=tol)


# ---------------------------------------------------------------- MinPy's examples
def test_python_control_flow():
    def foo(x):
        if x >= 0:
            return x
        else:
            return 2 * x
    assert grad(foo)(3.0) == 1.0 and grad(foo)(-1.0) == 2.0


def test_second_derivative_of_minpy_example():
    def f(x):
        return np.sum(np.tanh(x) ** 3)
    d2 = grad(grad(f))(0.7)
    close(d2, autograd.grad(autograd.grad(lambda x: anp.sum(anp.tanh(x) ** 3)))(0.7))


def test_value_and_grad_argnums_tuple():
    rng = numpy.random.default_rng(0)
    w, b, x = rng.standard_normal((3, 2)), rng.standard_normal(2), rng.standard_normal((4, 3))

    def loss(w, b, x, np=np):
        return np.mean(np.tanh(x @ w + b) ** 2)
    value, (gw, gb) = value_and_grad(loss, argnums=(0, 1))(np.asarray(w), np.asarray(b), np.asarray(x))
    ref_w, ref_b = autograd.grad(lambda w, b: loss(w, b, x, anp), (0, 1))(w, b)
    close(value, loss(w, b, x, numpy))
    close(gw, ref_w)
    close(gb, ref_b)
    grads, lossv = grad_and_loss(loss, argnum=(0, 1))(np.asarray(w), np.asarray(b), np.asarray(x))
    close(grads[1], ref_b)
    close(lossv, value)


def test_nested_containers_keep_their_structure():
    rng = numpy.random.default_rng(1)
    params = {"layers": [(rng.standard_normal((3, 3)), rng.standard_normal(3)) for _ in range(2)],
              "scale": 1.5}

    def loss(p, np=np):
        h = np.ones(3)
        for w, b in p["layers"]:
            h = np.tanh(h @ w + b)
        return np.sum(h) * p["scale"]
    g = grad(loss)(params)
    ref = autograd.grad(lambda p: loss(p, anp))(params)
    assert isinstance(g, dict) and isinstance(g["layers"], list) and isinstance(g["layers"][0], tuple)
    for (gw, gb), (rw, rb) in zip(g["layers"], ref["layers"], strict=True):
        close(gw, rw)
        close(gb, rb)
    close(g["scale"], ref["scale"])
    assert isinstance(g["scale"], mp.MinArray) and g["scale"].dtype == numpy.float64


def test_gradient_dtype_and_type_follow_the_input():
    x32 = np.asarray(numpy.array([0.5, -1.0], dtype=numpy.float32))
    g = grad(lambda x: np.sum(x * 3.0))(x32)
    assert isinstance(g, mp.MinArray) and g.dtype == numpy.float32 and g.device == x32.device
    g = grad(lambda x: np.sum(np.exp(x)))(numpy.array([0.5, 1.0]))  # a NumPy array in
    assert isinstance(g, mp.MinArray)
    close(g, numpy.exp([0.5, 1.0]))
    g = grad(lambda x: np.sum(x.astype(numpy.float64) * 2.0))(x32)  # mixed precision: cast back
    assert g.dtype == numpy.float32


def test_unused_argument_gets_zeros_and_constant_output_too():
    gx, gy = grad(lambda x, y: np.sum(x ** 2), argnums=(0, 1))(np.ones(2), np.ones(3))
    close(gx, [2.0, 2.0])
    close(gy, numpy.zeros(3))
    close(grad(lambda x: 3.0)(np.ones(2)), numpy.zeros(2))


# ---------------------------------------------------------------- errors
def test_integers_differentiate_at_their_float64_value_as_in_minpy():
    def foo(x):  # MinPy's blog: foo_grad = grad(foo); foo_grad(3) prints 1.0
        return x if x >= 0 else 2 * x
    g = grad(foo)(3)
    assert isinstance(g, mp.MinArray) and g.dtype == numpy.float64 and float(g) == 1.0
    assert float(grad(lambda x: x ** 3)(numpy.int32(-2))) == 12.0
    for ints in (np.arange(3), numpy.arange(3, dtype=numpy.uint8), [0, 1, 2]):
        g = grad(lambda x: np.sum(x * x))(ints) if not isinstance(ints, list) else grad(
            lambda xs: xs[0] * xs[1] + xs[2])(ints)
        if isinstance(ints, list):
            assert [float(v) for v in g] == [1.0, 0.0, 1.0] and all(v.dtype == numpy.float64 for v in g)
        else:
            assert g.dtype == numpy.float64
            close(g, [0.0, 2.0, 4.0])
    value, g = value_and_grad(lambda x: x * 2)(5)
    assert float(value) == 10.0 and g.dtype == numpy.float64
    check_grads(lambda x: np.sin(x) * x, np.arange(3))


def test_bools_and_strings_raise():
    with pytest.raises(TypeError, match="bool"):
        grad(lambda x: x * 2)(True)
    with pytest.raises(TypeError, match="dtype bool"):
        grad(lambda x: np.sum(x))(np.asarray([True, False]))
    with pytest.raises(TypeError, match="str"):
        grad(lambda x: x)("3")


def test_non_scalar_output_raises():
    with pytest.raises(TypeError, match=r"scalar.*\(3,\)"):
        grad(lambda x: x * 2)(np.ones(3))
    close(grad(lambda x: x * 2)(np.ones(1)), [2.0])  # size 1 is a scalar


def test_converting_a_traced_array_to_numpy_raises_but_scalars_work():
    def f(x):
        with pytest.raises(TypeError, match="cut the gradient"):
            numpy.asarray(x)
        with pytest.raises(TypeError, match="stop_gradient"):
            x.asnumpy()
        assert float(np.sum(x)) == 3.0 and int(np.sum(x)) == 3 and bool(np.sum(x))
        return np.sum(x * stop_gradient(x).asnumpy())
    close(grad(f)(np.ones(3)), numpy.ones(3))


def test_stop_gradient():
    close(grad(lambda x: np.sum(x * stop_gradient(x)))(np.asarray([1.0, 2.0])), [1.0, 2.0])
    close(grad(lambda x: np.sum(stop_gradient({"a": [x]})["a"][0] + x))(np.ones(2)), [1.0, 1.0])


# ---------------------------------------------------------------- in-place updates are recorded
def test_setitem_and_inplace_operators_in_a_loop():
    w0 = numpy.array([0.3, -1.2, 0.8, 2.0])

    def f(w):
        out = np.zeros(4)
        for i in range(4):
            out[i] = w[i] * w[(i + 1) % 4]
        out += w
        out *= 2.0
        out[1:3] = out[1:3] ** 2
        return np.sum(out ** 2)

    def ref(w):
        out = anp.stack([w[i] * w[(i + 1) % 4] for i in range(4)])
        out = (out + w) * 2.0
        out = anp.concatenate([out[:1], out[1:3] ** 2, out[3:]])
        return anp.sum(out ** 2)
    close(grad(f)(np.asarray(w0)), autograd.grad(ref)(w0))


def test_setitem_on_a_traced_array_overwrites_its_gradient():
    def f(x):
        y = x * 1.0
        y[0] = 5.0           # x[0] no longer reaches the output
        y[2] += x[1]          # x[1] reaches it twice
        return np.sum(y * 3.0)
    close(grad(f)(np.ones(3)), [0.0, 6.0, 3.0])


def test_inplace_update_of_untraced_buffer_by_traced_value_in_loop():
    def f(x):
        acc = np.zeros(())
        for _ in range(3):
            acc += x * x
        return acc
    close(grad(f)(2.0), 12.0)


# ---------------------------------------------------------------- higher order, jacobian, vjp
def test_hessian_and_jacobian_against_autograd():
    x0 = numpy.array([0.3, -0.7, 1.1])

    def f(x, np=np):
        return np.sum(np.sin(x) * np.exp(x[::-1])) + np.prod(x) ** 2
    close(hessian(f)(np.asarray(x0)), autograd.hessian(lambda x: f(x, anp))(x0), 1e-9)

    def g(x, np=np):
        return np.tanh(np.outer(x, x))
    j = jacobian(g)(np.asarray(x0))
    assert j.shape == (3, 3, 3)
    close(j, autograd.jacobian(lambda x: g(x, anp))(x0))


def test_third_order():
    close(grad(grad(grad(lambda x: x ** 4)))(1.5), 24 * 1.5)


def test_grad_of_value_and_grad_inside_outer_trace():
    def inner(w, x):
        return np.sum((x * w) ** 3)

    def outer(x):
        v, g = value_and_grad(inner)(np.asarray([1.0, 2.0]), x)
        return v + np.sum(g)
    ref = autograd.grad(lambda x: anp.sum((x * anp.array([1.0, 2.0])) ** 3) + anp.sum(
        autograd.grad(lambda w: anp.sum((x * w) ** 3))(anp.array([1.0, 2.0]))))(numpy.array([0.5, -0.3]))
    close(grad(outer)(np.asarray([0.5, -0.3])), ref)


def test_vjp_pullback_can_be_called_repeatedly():
    x = np.asarray([0.5, 1.5])
    out, pull = vjp(lambda x: np.exp(x) * 2.0, x)
    close(out, 2 * numpy.exp([0.5, 1.5]))
    for _ in range(2):
        (g,) = pull(np.asarray([1.0, 0.0]))
        close(g, [2 * numpy.exp(0.5), 0.0])


# ---------------------------------------------------------------- custom rules
def test_custom_vjp_straight_through():
    @custom_vjp
    def round_ste(x):
        return np.round(x)
    round_ste.defvjp(lambda x: (np.round(x), None), lambda res, g: (g,))
    close(grad(lambda x: np.sum(round_ste(x) * x))(np.asarray([0.4, 1.6])), [0.4 + 0.0, 1.6 + 2.0])
    close(grad(lambda x: np.sum(np.round(x) * x))(np.asarray([0.4, 1.6])), [0.0, 2.0])


def _softplus_kernel(x):
    return numpy.logaddexp(0.0, x)


def _sincos_kernel(x):
    return numpy.sin(x), numpy.cos(x)


def test_defvjp_for_a_users_op_and_the_error_before_it():
    def softplus(x):
        return _dispatch.run("test_softplus", _softplus_kernel, (x,), {})
    with pytest.raises(TypeError, match=r"test_softplus.*minpy_array\.autodiff\.defvjp"):
        grad(lambda x: np.sum(softplus(x)))(np.ones(2))
    defvjp("test_softplus", lambda ans, x: lambda g: g / (1.0 + np.exp(-x)))
    x0 = numpy.array([0.3, -2.0])
    close(grad(lambda x: np.sum(softplus(x)))(np.asarray(x0)), 1 / (1 + numpy.exp(-x0)))
    check_grads(softplus, np.asarray(x0), order=2)  # the VJP is written with minpy ops: second order works


def test_defvjp_all_for_a_multi_output_op():
    def sincos(x):
        return _dispatch.run("test_sincos", _sincos_kernel, (x,), {})
    defvjp_all("test_sincos", lambda ans, x: lambda g: (g[0] * ans[1] - g[1] * ans[0],))
    x0 = numpy.array([0.3, 1.2])
    close(grad(lambda x: np.sum(sincos(x)[0]))(np.asarray(x0)), numpy.cos(x0))  # g[1] is zeros
    close(grad(lambda x: np.sum(sincos(x)[0] * sincos(x)[1]))(np.asarray(x0)), numpy.cos(2 * x0))
    check_grads(lambda x: sincos(x), np.asarray(x0), order=2)


# ---------------------------------------------------------------- memory and threads
def test_nothing_is_held_after_grad_returns():
    refs = []

    def f(x):
        h = np.tanh(np.exp(x) * 2.0)
        refs.append(weakref.ref(h))
        refs.append(weakref.ref(h._node))
        refs.append(weakref.ref(h._node.ans))
        return np.sum(h ** 2)
    g = grad(f)(np.ones(1000))
    assert g.shape == (1000,)
    gc.collect()
    assert [r() for r in refs] == [None, None, None]


def test_intermediates_are_dropped_as_the_backward_pass_goes():
    seen = []

    def probe(x):
        return _dispatch.run("test_probe", numpy.copy, (x,), {})
    defvjp("test_probe", lambda ans, x: lambda g: seen.append(seen[0]()) or g)

    def f(x):
        h = np.exp(probe(x))
        seen.append(weakref.ref(h._node.ans))  # the value of h, as its record holds it
        return np.sum(np.exp(h))
    grad(f)(np.ones(500))
    assert seen[1] is None  # when probe's VJP (the last one) ran, h's value was already released


def test_one_tape_per_thread():
    results, errors = {}, []

    def work(k):
        try:
            for _ in range(20):
                results[k] = grad(lambda x: np.sum(x ** k))(np.asarray([1.0, 2.0]))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
    threads = [threading.Thread(target=work, args=(k,)) for k in (2, 3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    close(results[2], [2.0, 4.0])
    close(results[3], [3.0, 12.0])


# ---------------------------------------------------------------- devices and kernels
@requires_mxnet
def test_gradients_on_the_stand_in_device_with_mxnet_kernels():
    sim = mp.Device("sim", 0)
    x0 = numpy.array([[0.3, -0.7], [1.1, 0.2]], dtype=numpy.float32)
    w0 = numpy.array([[0.5, 1.0], [-1.0, 0.25]], dtype=numpy.float32)

    def f(x, w, np=np):
        return np.sum(np.tanh(np.dot(x, w)) * np.exp(x))
    x, w = np.asarray(x0).to_device(sim), np.asarray(w0).to_device(sim)
    mp.reset_op_stats()
    with mp.policy("prefer_mxnet"):
        gx, gw = grad(f, argnums=(0, 1))(x, w)
    stats = mp.op_stats()
    assert stats["dot"]["mxnet"] > 0 and stats["exp"]["mxnet"] > 0 and stats["tanh"]["mxnet"] > 0
    for g, ref in zip((gx, gw), autograd.grad(lambda x, w: f(x, w, anp), (0, 1))(x0, w0), strict=True):
        assert g.device == sim and g.dtype == numpy.float32
        numpy.testing.assert_allclose(g.to_device("cpu").asnumpy(), ref, rtol=1e-5, atol=1e-6)


@requires_mxnet
def test_to_device_inside_a_traced_function():
    sim = mp.Device("sim", 0)
    g = grad(lambda x: np.sum(np.exp(x.to_device(sim)) * 2.0))(np.asarray([0.0, 1.0]))
    assert g.device == mp.Device("cpu")
    close(g, 2 * numpy.exp([0.0, 1.0]), 1e-6)


def test_gradients_whichever_kernel_ran(each_policy):
    x0 = numpy.array([[0.3, -0.7, 0.5], [1.1, 0.2, -0.4]])
    g = grad(lambda x: np.sum(np.maximum(x @ x.T, 0.0) * np.exp(x).mean()))(np.asarray(x0))
    ref = autograd.grad(lambda x: anp.sum(anp.maximum(x @ x.T, 0.0) * anp.exp(x).mean()))(x0)
    close(g, ref, 1e-9)




def test_the_tape_keeps_only_what_vjps_read():
    """In x @ W + b the product is freed during the forward pass: matmul's VJP reads its inputs, add's only shapes."""
    alive = []

    def f(w, b):
        p = np.asarray(numpy.ones((4, 3))) @ w
        buf = weakref.ref(p._data)
        out = np.maximum(p + b, 0.0)
        del p
        gc.collect()
        alive.append(buf() is not None)
        return np.sum(out)
    g = grad(f)(np.ones((3, 2)), np.zeros(2))
    assert alive == [False]
    close(g, numpy.full((3, 2), 4.0))
