"""minpy_array.Function: MXNet symbols as differentiable ops, against NumPy/SciPy references."""
import numpy
import pytest
from conftest import HAS_MXNET, readme_example, requires_mxnet
from hypothesis import given
from hypothesis import strategies as st
from scipy.signal import correlate

import minpy_array as mp
import minpy_array.numpy as np


def sym():
    from minpy_array.ops import _mxnet

    return _mxnet.load().sym


def autodiff():
    from minpy_array import autodiff

    return autodiff


def rng(seed=0):
    return numpy.random.default_rng(seed)


def host(a):
    return a.asnumpy() if isinstance(a, mp.MinArray) else numpy.asarray(a)


# ---------------------------------------------------------------- independent references
def conv_ref(x, w, b=None, stride=1, pad=0):
    """Cross-correlation via scipy.signal.correlate, per sample, filter and channel."""
    x = numpy.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    n, c = x.shape[:2]
    f = w.shape[0]
    out = numpy.stack([numpy.stack([sum(correlate(x[i, j], w[k, j], mode="valid") for j in range(c))
                                    for k in range(f)]) for i in range(n)])
    out = out[:, :, ::stride, ::stride]
    return out if b is None else out + b[None, :, None, None]


def conv_grads_ref(x, w, g):
    """dL/dx and dL/dw of the valid, stride-1 cross-correlation for cotangent g, via scipy.signal."""
    n, c = x.shape[:2]
    f = w.shape[0]
    dw = numpy.stack([numpy.stack([sum(correlate(x[i, j], g[i, k], mode="valid") for i in range(n))
                                   for j in range(c)]) for k in range(f)])
    dx = numpy.stack([numpy.stack([sum(correlate(g[i, k], w[k, j][::-1, ::-1], mode="full") for k in range(f))
                                   for j in range(c)]) for i in range(n)])
    return dx, dw


def pool_ref(x, k, kind):
    n, c, h, w = x.shape
    r = x[:, :, :h // k * k, :w // k * k].reshape(n, c, h // k, k, w // k, k)
    return r.max(axis=(3, 5)) if kind == "max" else r.mean(axis=(3, 5))


ACTIVATIONS = {
    "relu": lambda x: numpy.maximum(x, 0),
    "sigmoid": lambda x: 1 / (1 + numpy.exp(-x)),
    "tanh": numpy.tanh,
    "softrelu": lambda x: numpy.log1p(numpy.exp(x)),
}


def bn_train_ref(x, gamma, beta, eps):
    mean = x.mean(axis=(0, 2, 3))
    var = x.var(axis=(0, 2, 3))
    xh = (x - mean[None, :, None, None]) / numpy.sqrt(var[None, :, None, None] + eps)
    return gamma[None, :, None, None] * xh + beta[None, :, None, None], mean, var


def bn_infer_ref(x, gamma, beta, mean, var, eps):
    c = (slice(None), None, None)
    return gamma[c] * (x - mean[c]) / numpy.sqrt(var[c] + eps) + beta[c]


# ---------------------------------------------------------------- forward
@requires_mxnet
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("stride,pad", [(1, 0), (2, 1)])
def test_convolution_forward_matches_scipy(dtype, stride, pad):
    s = sym()
    net = s.Convolution(s.Variable("x"), name="conv", kernel=(3, 3), num_filter=4, stride=(stride, stride),
                        pad=(pad, pad))
    f = mp.Function(net, input_shapes={"x": (2, 3, 7, 6)})
    assert f.arg_names == ("x", "conv_weight", "conv_bias")
    assert f.param_shapes == {"conv_weight": (4, 3, 3, 3), "conv_bias": (4,)}
    r = rng()
    x, w, b = (r.normal(size=s_).astype(dtype) for s_ in ((2, 3, 7, 6), (4, 3, 3, 3), (4,)))
    y = f(x=np.asarray(x), conv_weight=np.asarray(w), conv_bias=np.asarray(b))
    ref = conv_ref(x.astype("float64"), w.astype("float64"), b.astype("float64"), stride, pad)
    assert y.dtype == numpy.dtype(dtype) and y.shape == ref.shape == f.output_shapes[0]
    tol = 1e-12 if dtype == "float64" else 1e-4
    numpy.testing.assert_allclose(host(y), ref, rtol=tol, atol=tol)


@requires_mxnet
@given(n=st.integers(1, 3), c=st.integers(1, 3), f=st.integers(1, 3), k=st.integers(1, 3),
       h=st.integers(3, 7), stride=st.integers(1, 2), pad=st.integers(0, 1), seed=st.integers(0, 2**16))
def test_convolution_forward_property(n, c, f, k, h, stride, pad, seed):
    s = sym()
    net = s.Convolution(s.Variable("x"), name="conv", kernel=(k, k), num_filter=f, stride=(stride, stride),
                        pad=(pad, pad), no_bias=True)
    r = rng(seed)
    x, w = r.normal(size=(n, c, h, h + 1)), r.normal(size=(f, c, k, k))
    y = mp.Function(net)(np.asarray(x), np.asarray(w))
    numpy.testing.assert_allclose(host(y), conv_ref(x, w, None, stride, pad), rtol=1e-10, atol=1e-10)


@requires_mxnet
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_fully_connected_forward(dtype):
    s = sym()
    f = mp.Function(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=5))
    r = rng(1)
    x, w, b = (r.normal(size=s_).astype(dtype) for s_ in ((4, 2, 3), (5, 6), (5,)))
    y = f(np.asarray(x), np.asarray(w), np.asarray(b))  # positionally, in list_arguments() order
    assert y.dtype == numpy.dtype(dtype)
    numpy.testing.assert_allclose(host(y), x.reshape(4, 6) @ w.T + b, rtol=1e-5 if dtype == "float32" else 1e-12)


@requires_mxnet
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_pooling_forward(kind):
    s = sym()
    f = mp.Function(s.Pooling(s.Variable("x"), kernel=(2, 2), stride=(2, 2), pool_type=kind))
    x = rng(2).normal(size=(2, 3, 6, 4))
    numpy.testing.assert_allclose(host(f(x=np.asarray(x))), pool_ref(x, 2, kind), rtol=1e-12)


@requires_mxnet
@pytest.mark.parametrize("act", sorted(ACTIVATIONS))
def test_activation_forward(act):
    s = sym()
    f = mp.Function(s.Activation(s.Variable("x"), act_type=act))
    x = rng(3).normal(size=(3, 4))
    numpy.testing.assert_allclose(host(f(np.asarray(x))), ACTIVATIONS[act](x), rtol=1e-12, atol=1e-15)


# ---------------------------------------------------------------- calling conventions and errors
@requires_mxnet
def test_multiple_outputs_give_a_tuple():
    s = sym()
    x = s.Variable("x")
    f = mp.Function(s.Group([s.Activation(x, act_type="relu"), s.Activation(x, act_type="tanh")]))
    assert len(f.output_names) == 2
    a = rng(4).normal(size=(3, 2))
    out = f(x=np.asarray(a))
    assert type(out) is tuple and len(out) == 2
    numpy.testing.assert_allclose(host(out[0]), numpy.maximum(a, 0))
    numpy.testing.assert_allclose(host(out[1]), numpy.tanh(a), rtol=1e-12)


@requires_mxnet
def test_shapes_from_first_call_and_errors():
    s = sym()
    net = s.Convolution(s.Variable("x"), name="conv", kernel=(3, 3), num_filter=2, no_bias=True)
    f = mp.Function(net, name="myconv")
    with pytest.raises(ValueError, match="myconv: shapes are unknown"):
        _ = f.param_shapes
    x, w = np.zeros((1, 1, 5, 5)), np.ones((2, 1, 3, 3))
    with pytest.raises(TypeError, match=r"myconv\(\) missing argument 'conv_weight'"):
        f(x=x)
    with pytest.raises(TypeError, match="unexpected keyword argument 'weight'"):
        f(x=x, weight=w)
    with pytest.raises(TypeError, match="multiple values for argument 'x'"):
        f(x, x=x, conv_weight=w)
    with pytest.raises(TypeError, match="takes 2 arguments"):
        f(x, w, w)
    with pytest.raises(ValueError, match=r"argument 'conv_weight' has shape \(2, 1, 5, 5\), but shape inference "
                                         r"from x gives \(2, 1, 3, 3\)"):
        f(x=x, conv_weight=np.ones((2, 1, 5, 5)))
    assert f(x, w).shape == (1, 2, 3, 3)
    assert f.output_shapes == ((1, 2, 3, 3),) and f.param_shapes == {"x": (1, 1, 5, 5), "conv_weight": (2, 1, 3, 3)}
    with pytest.raises(TypeError, match="input_shapes names unknown argument 'data'"):
        mp.Function(net, input_shapes={"data": (1, 1, 5, 5)})
    with pytest.raises(TypeError, match="expected an mxnet Symbol"):
        mp.Function(lambda x: x)


@requires_mxnet
def test_input_shapes_given_contradiction_names_argument():
    s = sym()
    net = s.FullyConnected(s.Variable("x"), name="fc", num_hidden=3)
    f = mp.Function(net, input_shapes={"x": (4, 5)})
    assert f.param_shapes == {"fc_weight": (3, 5), "fc_bias": (3,)} and f.output_shapes == ((4, 3),)
    with pytest.raises(ValueError, match=r"'fc_bias' has shape \(4,\), but shape inference from x, fc_weight "
                                         r"gives \(3,\)"):
        f(np.zeros((4, 5)), np.zeros((3, 5)), np.zeros(4))


@requires_mxnet
def test_executors_cached_per_shape_dtype_device():
    s = sym()
    f = mp.Function(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=3, no_bias=True))
    x32, w32 = np.ones((2, 4), dtype="float32"), np.ones((3, 4), dtype="float32")
    for _ in range(3):
        assert f(x32, w32).dtype == numpy.float32
    assert len(f._cache) == 1
    assert f(np.ones((2, 4)), np.ones((3, 4))).dtype == numpy.float64
    assert f(np.ones((5, 4)), np.ones((3, 4))).shape == (5, 3)
    assert len(f._cache) == 3
    with pytest.raises(TypeError, match=r"fc: .*dtypes"):
        f(x32, np.ones((3, 4)))


@requires_mxnet
def test_counts_in_op_stats_as_mxnet():
    s = sym()
    f = mp.Function(s.Activation(s.Variable("x"), act_type="relu"), name="act")
    mp.reset_op_stats()
    f(np.ones(3))
    f(np.ones(3))
    row = mp.op_stats()[f.op]
    assert f.op.startswith("Function:act") and row["mxnet"] == 2 and row["numpy"] == row["fallback"] == 0
    # on the cpu each call copies its input into the executor and its output back: 2 x (24 + 24) bytes
    assert row["copied_bytes"] == 2 * (24 + 24)


@requires_mxnet
def test_load_json_symbol():
    s = sym()
    net = s.FullyConnected(s.Activation(s.Variable("x"), act_type="tanh"), name="fc", num_hidden=2)
    f = mp.Function(s.load_json(net.tojson()))
    r = rng(5)
    x, w, b = r.normal(size=(3, 4)), r.normal(size=(2, 4)), r.normal(size=2)
    numpy.testing.assert_allclose(host(f(x=np.asarray(x), fc_weight=np.asarray(w), fc_bias=np.asarray(b))),
                                  numpy.tanh(x) @ w.T + b, rtol=1e-12)


@requires_mxnet
def test_sim_device_forward():
    s = sym()
    f = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(2, 2), num_filter=2, no_bias=True))
    r = rng(6)
    x, w = r.normal(size=(1, 2, 4, 4)), r.normal(size=(2, 2, 2, 2))
    with mp.device("sim:0"):
        xd, wd = np.asarray(x), np.asarray(w)
    y = f(xd, wd)
    assert y.device == mp.Device("sim:0")
    numpy.testing.assert_allclose(host(y), conv_ref(x, w), rtol=1e-12)
    with pytest.raises(ValueError, match="different devices"):
        f(xd, np.asarray(w))


@pytest.mark.skipif(HAS_MXNET, reason="checks the error raised when mxnet is not installed")
def test_without_mxnet_import_error_names_extra():
    with pytest.raises(ImportError, match=r"minpy_array\[mxnet\]"):
        mp.Function(None)


# ---------------------------------------------------------------- gradients
def check(f, *args):
    autodiff().check_grads(f, *args, order=1)


@requires_mxnet
def test_convolution_gradient_matches_scipy():
    s = sym()
    f = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(3, 2), num_filter=3, no_bias=True))
    r = rng(7)
    x, w = r.normal(size=(2, 2, 6, 5)), r.normal(size=(3, 2, 3, 2))
    g = r.normal(size=(2, 3, 4, 4))
    dx, dw = autodiff().grad(lambda x, w: np.sum(f(x, w) * np.asarray(g)), argnums=(0, 1))(np.asarray(x),
                                                                                         np.asarray(w))
    rdx, rdw = conv_grads_ref(x, w, g)
    numpy.testing.assert_allclose(host(dx), rdx, rtol=1e-10, atol=1e-12)
    numpy.testing.assert_allclose(host(dw), rdw, rtol=1e-10, atol=1e-12)


@requires_mxnet
def test_check_grads_convolution_with_bias_stride_pad():
    s = sym()
    f = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(3, 3), num_filter=2, stride=(2, 2),
                                  pad=(1, 1)))
    r = rng(8)
    check(f, *(np.asarray(r.normal(size=s_)) for s_ in ((2, 2, 5, 5), (2, 2, 3, 3), (2,))))


@requires_mxnet
def test_check_grads_fully_connected_and_activation():
    s = sym()
    fc = s.FullyConnected(s.Variable("x"), name="fc", num_hidden=3)
    r = rng(9)
    x, w, b = (np.asarray(r.normal(size=s_)) for s_ in ((4, 5), (3, 5), (3,)))
    check(mp.Function(fc), x, w, b)
    for act in ("sigmoid", "tanh", "softrelu"):
        check(mp.Function(s.Activation(fc, act_type=act)), x, w, b)
    # relu away from its kink
    check(mp.Function(s.Activation(s.Variable("x"), act_type="relu")), np.asarray(r.uniform(0.1, 1, (3, 4))
                                                                                 * r.choice([-1, 1], (3, 4))))


@requires_mxnet
@pytest.mark.parametrize("kind", ["max", "avg"])
def test_check_grads_pooling(kind):
    s = sym()
    f = mp.Function(s.Pooling(s.Variable("x"), kernel=(2, 2), stride=(2, 2), pool_type=kind))
    x = numpy.arange(2 * 2 * 4 * 4, dtype="float64")
    rng(10).shuffle(x)  # distinct values: the max is never tied
    check(f, np.asarray(x.reshape(2, 2, 4, 4) / 10))


@requires_mxnet
def test_gradient_dtype_float32():
    s = sym()
    f = mp.Function(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=2, no_bias=True))
    x, w = np.ones((3, 4), dtype="float32"), np.ones((2, 4), dtype="float32")
    dw = autodiff().grad(lambda w: np.sum(f(x, w)))(w)
    assert dw.dtype == numpy.float32
    numpy.testing.assert_array_equal(host(dw), numpy.full((2, 4), 3, "float32"))


# ---------------------------------------------------------------- BatchNorm: training, inference, aux states
def bn_function(**kw):
    s = sym()
    return mp.Function(s.BatchNorm(s.Variable("x"), name="bn", fix_gamma=False, eps=1e-3, momentum=0.9), **kw)


@requires_mxnet
def test_batchnorm_training_forward_and_aux_update():
    f = bn_function()
    assert f.aux_names == ("bn_moving_mean", "bn_moving_var")
    r = rng(11)
    x, gamma, beta = r.normal(2, 3, size=(4, 3, 2, 2)), r.uniform(0.5, 2, 3), r.normal(size=3)
    ref, mean, var = bn_train_ref(x, gamma, beta, 1e-3)
    y = f(np.asarray(x), np.asarray(gamma), np.asarray(beta))
    numpy.testing.assert_allclose(host(y), ref, rtol=1e-9, atol=1e-9)
    # Note: MXNet updates the moving statistics in BatchNorm's backward pass, so a forward alone leaves them
    numpy.testing.assert_array_equal(host(f.aux_states["bn_moving_mean"]), numpy.zeros(3))
    numpy.testing.assert_array_equal(host(f.aux_states["bn_moving_var"]), numpy.ones(3))
    autodiff().grad(lambda g: np.sum(f(np.asarray(x), g, np.asarray(beta))))(np.asarray(gamma))
    # momentum is a float32 parameter, hence rtol 1e-6
    numpy.testing.assert_allclose(host(f.aux_states["bn_moving_mean"]), 0.1 * mean, rtol=1e-6)
    numpy.testing.assert_allclose(host(f.aux_states["bn_moving_var"]), 0.9 + 0.1 * var, rtol=1e-6)


@requires_mxnet
def test_batchnorm_inference_uses_aux_states():
    r = rng(12)
    mean, var = r.normal(size=3), r.uniform(0.5, 2, 3)
    f = bn_function(aux_states={"bn_moving_mean": mean, "bn_moving_var": var})
    x, gamma, beta = r.normal(size=(4, 3, 2, 2)), r.uniform(0.5, 2, 3), r.normal(size=3)
    args = (np.asarray(x), np.asarray(gamma), np.asarray(beta))
    ref = bn_infer_ref(x, gamma, beta, mean, var, 1e-3)
    with mp.Function.inference():
        numpy.testing.assert_allclose(host(f(*args)), ref, rtol=1e-9)
        check(f, *args)
    f.is_train = False
    numpy.testing.assert_allclose(host(f(*args)), ref, rtol=1e-9)
    # inference never changes the statistics
    numpy.testing.assert_array_equal(host(f.aux_states["bn_moving_mean"]), mean)
    f.is_train = True
    numpy.testing.assert_allclose(host(f(*args)), bn_train_ref(x, gamma, beta, 1e-3)[0], rtol=1e-9, atol=1e-9)


@requires_mxnet
def test_check_grads_batchnorm_training():
    r = rng(13)
    check(bn_function(), *(np.asarray(v) for v in (r.normal(size=(4, 2, 3, 3)), r.uniform(0.5, 2, 2),
                                                    r.normal(size=2))))


# ---------------------------------------------------------------- executor reuse, grad_req, reruns
@requires_mxnet
def test_untraced_inputs_bound_with_grad_req_null():
    s = sym()
    f = mp.Function(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=2))
    x, w, b = np.ones((3, 4)), np.ones((2, 4)), np.zeros(2)
    autodiff().grad(lambda w: np.sum(f(x, w, b)))(w)
    (entry,) = f._cache.values()
    assert [n for n, g in entry.exe.grad_dict.items() if g is not None] == ["fc_weight"]


@requires_mxnet
def test_same_executor_twice_in_one_loss_reruns_forward():
    s = sym()
    f = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(2, 2), num_filter=2, no_bias=True))
    r = rng(14)
    x1, x2, w = r.normal(size=(1, 1, 4, 4)), r.normal(size=(1, 1, 4, 4)), r.normal(size=(2, 1, 2, 2))
    g1, g2 = r.normal(size=(1, 2, 3, 3)), r.normal(size=(1, 2, 3, 3))

    def loss(w):
        return np.sum(f(np.asarray(x1), w) * np.asarray(g1)) + np.sum(f(np.asarray(x2), w) * np.asarray(g2))

    dw = autodiff().grad(loss)(np.asarray(w))
    assert len(f._cache) == 1
    numpy.testing.assert_allclose(host(dw), conv_grads_ref(x1, w, g1)[1] + conv_grads_ref(x2, w, g2)[1],
                                  rtol=1e-10)


@requires_mxnet
def test_multiple_outputs_gradient():
    s = sym()
    x = s.Variable("x")
    f = mp.Function(s.Group([s.Activation(x, act_type="tanh"), s.Activation(x, act_type="sigmoid")]))
    a = rng(15).normal(size=(2, 3))
    d = autodiff().grad(lambda x: np.sum(f(x)[1] * 3))(np.asarray(a))  # the tanh output gets no gradient
    sig = 1 / (1 + numpy.exp(-a))
    numpy.testing.assert_allclose(host(d), 3 * sig * (1 - sig), rtol=1e-12)
    check(lambda x: f(x)[0] * f(x)[1], np.asarray(a))


@requires_mxnet
def test_softmax_output_backward_ignores_cotangent():
    s = sym()
    net = s.SoftmaxOutput(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=3, no_bias=True), name="sm")
    f = mp.Function(net)
    assert f.arg_names == ("x", "fc_weight", "sm_label")
    r = rng(16)
    x, w, label = r.normal(size=(4, 5)), r.normal(size=(3, 5)), numpy.array([0, 2, 1, 2.0])
    z = x @ w.T
    p = numpy.exp(z - z.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    numpy.testing.assert_allclose(host(f(np.asarray(x), np.asarray(w), np.asarray(label))), p, rtol=1e-12)
    ref = (p - numpy.eye(3)[label.astype(int)]).T @ x
    for scale in (1.0, 5.0):
        dw = autodiff().grad(lambda w, scale=scale: np.sum(f(np.asarray(x), w, np.asarray(label)) * scale))(
            np.asarray(w))
        numpy.testing.assert_allclose(host(dw), ref, rtol=1e-10)


@requires_mxnet
def test_second_order_raises_naming_the_op():
    s = sym()
    f = mp.Function(s.Activation(s.Variable("x"), act_type="tanh"), name="act")
    ad = autodiff()
    with pytest.raises(TypeError, match=r"Function:act#\d+:backward"):
        ad.grad(lambda x: np.sum(ad.grad(lambda x: np.sum(f(x)))(x)))(np.ones(3))


# ---------------------------------------------------------------- mixed graphs and devices
@requires_mxnet
def test_mixed_graph_numpy_ops_around_function():
    s = sym()
    f = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(2, 2), num_filter=2))
    r = rng(17)
    x, w, b, v = r.normal(size=(2, 1, 4, 4)), r.normal(size=(2, 1, 2, 2)), r.normal(size=2), r.normal(size=(18, 3))

    def model(x, w, b, v):
        h = f(np.tanh(x) * 2.0, w, b + 1.0)
        return np.sum(np.exp(np.maximum(h, 0.0).reshape(2, 18) @ v / 10.0))

    def model_ref(x, w, b, v):
        h = conv_ref(numpy.tanh(x) * 2, w, b + 1)
        return numpy.sum(numpy.exp(numpy.maximum(h, 0).reshape(2, 18) @ v / 10))

    args = [np.asarray(a) for a in (x, w, b, v)]
    numpy.testing.assert_allclose(float(model(*args)), model_ref(x, w, b, v), rtol=1e-12)
    check(model, *args)
    grads = autodiff().grad(model, argnums=(0, 1, 2, 3))(*args)
    assert [g.shape for g in grads] == [a.shape for a in args]


@requires_mxnet
def test_sim_device_gradient():
    s = sym()
    f = mp.Function(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=2))
    r = rng(18)
    x, w, b = r.normal(size=(3, 4)), r.normal(size=(2, 4)), r.normal(size=2)
    with mp.device("sim:0"):
        xd, wd, bd = np.asarray(x), np.asarray(w), np.asarray(b)
        dw, db = autodiff().grad(lambda w, b: np.sum(np.tanh(f(xd, w, b))), argnums=(0, 1))(wd, bd)
    assert dw.device == mp.Device("sim:0")
    t = 1 - numpy.tanh(x @ w.T + b) ** 2
    numpy.testing.assert_allclose(host(dw), t.T @ x, rtol=1e-12)
    numpy.testing.assert_allclose(host(db), t.sum(0), rtol=1e-12)
    bn = bn_function()
    with mp.device("sim:0"):
        xb, g, be = np.asarray(r.normal(size=(4, 2, 2, 2))), np.ones(2), np.zeros(2)
    autodiff().grad(lambda g: np.sum(np.tanh(bn(xb, g, be))))(g)
    assert bn.aux_states["bn_moving_mean"].device == mp.Device("sim:0")


# ---------------------------------------------------------------- a small convnet on scikit-learn's digits
@requires_mxnet
def test_convnet_on_digits_reaches_95_percent():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    s = sym()
    conv = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(3, 3), pad=(1, 1), num_filter=16),
                       input_shapes={"x": (64, 1, 8, 8)})
    digits = load_digits()
    images = (digits.images / 16.0).astype("float32")[:, None]
    xtr, xte, ytr, yte = train_test_split(images, digits.target, test_size=0.25, random_state=0,
                                          stratify=digits.target)
    r = rng(0)
    params = [np.asarray(r.normal(0, 0.5, conv.param_shapes["conv_weight"]).astype("float32")),
              np.zeros(conv.param_shapes["conv_bias"], dtype="float32"),
              np.asarray(r.normal(0, 0.1, (16 * 4 * 4, 10)).astype("float32")), np.zeros(10, dtype="float32")]

    def scores(w, b, v, c, x):
        h = np.maximum(conv(x, w, b), 0.0)  # conv in MXNet; relu, 2x2 max pool and the affine layer in NumPy
        n = h.shape[0]
        return h.reshape(n, 16, 4, 2, 4, 2).max(axis=(3, 5)).reshape(n, 256) @ v + c

    def loss(w, b, v, c, x, onehot):
        z = scores(w, b, v, c, x)
        z = z - np.max(z, axis=1, keepdims=True)
        return -np.mean(np.sum(onehot * (z - np.log(np.sum(np.exp(z), axis=1, keepdims=True))), axis=1))

    step = autodiff().grad(loss, argnums=(0, 1, 2, 3))
    eye = numpy.eye(10, dtype="float32")
    velocity = [np.zeros_like(p) for p in params]
    mp.reset_op_stats()
    for _ in range(12):
        order = r.permutation(len(xtr))
        for i in range(0, len(order) - 63, 64):
            batch = order[i:i + 64]
            grads = step(*params, np.asarray(xtr[batch]), np.asarray(eye[ytr[batch]]))
            for j, g in enumerate(grads):
                velocity[j] = 0.9 * velocity[j] + g
                params[j] = params[j] - 0.05 * velocity[j]
    accuracy = numpy.mean(numpy.argmax(host(scores(*params, np.asarray(xte))), axis=1) == yte)
    assert accuracy >= 0.95, accuracy
    stats = mp.op_stats()
    assert stats[conv.op]["mxnet"] - 1 == stats[conv.op + ":backward"]["mxnet"] == 12 * (len(xtr) // 64)


@requires_mxnet
@pytest.mark.parametrize("train", [True, False])
def test_new_weights_every_call_under_onednn(train):
    # 16 channels make oneDNN keep weights, outputs and gradients in blocked (nChw16c) layouts inside MXNet, and an
    # executor without any gradient buffer would run MXNet's oneDNN subgraph, which keeps the first weights it saw
    s = sym()
    f = mp.Function(s.Convolution(s.Variable("x"), name="conv", kernel=(3, 3), num_filter=16, no_bias=True),
                    is_train=train)
    r = rng(19)
    x, g = r.normal(size=(2, 16, 6, 6)).astype("float32"), r.normal(size=(2, 16, 4, 4)).astype("float32")
    for _ in range(2):  # the second call reuses the executor whose arrays oneDNN may have reordered
        w = r.normal(size=(16, 16, 3, 3)).astype("float32")
        y, pull = autodiff().vjp(f, np.asarray(x), np.asarray(w))
        dx, dw = pull(np.asarray(g))
        x64, w64, g64 = (a.astype("float64") for a in (x, w, g))
        numpy.testing.assert_allclose(host(y), conv_ref(x64, w64), rtol=1e-4, atol=1e-4)
        rdx, rdw = conv_grads_ref(x64, w64, g64)
        numpy.testing.assert_allclose(host(dx), rdx, rtol=1e-4, atol=1e-4)
        numpy.testing.assert_allclose(host(dw), rdw, rtol=1e-4, atol=1e-4)
        numpy.testing.assert_allclose(host(f(np.asarray(x), np.asarray(w))), conv_ref(x64, w64), rtol=1e-4,
                                      atol=1e-4)


@requires_mxnet
def test_readme_section_runs():
    code = readme_example("## MXNet symbols as differentiable functions")
    exec(compile(code, "README.md (MXNet symbols)", "exec"), {})


@requires_mxnet
def test_function_is_freed_with_its_vjp_entry():
    import gc
    import weakref

    s = sym()
    f = mp.Function(s.Activation(s.Variable("x"), act_type="tanh"))
    op, ref = f.op, weakref.ref(f)
    autodiff().grad(lambda x, f=f: np.sum(f(x)))(np.ones(3))
    assert op in autodiff().VJPS
    del f
    gc.collect()
    assert ref() is None and op not in autodiff().VJPS


@requires_mxnet
def test_threads_share_a_function():
    from concurrent.futures import ThreadPoolExecutor

    s = sym()
    f = mp.Function(s.FullyConnected(s.Variable("x"), name="fc", num_hidden=3, no_bias=True))
    r = rng(20)
    cases = [(r.normal(size=(2, 4)), r.normal(size=(3, 4))) for _ in range(40)]

    def work(case):
        x, w = case
        y = f(np.asarray(x), np.asarray(w))
        dw = autodiff().grad(lambda w: np.sum(f(np.asarray(x), w) ** 2))(np.asarray(w))
        return host(y), host(dw)

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(work, cases))
    for (x, w), (y, dw) in zip(cases, results, strict=True):
        numpy.testing.assert_allclose(y, x @ w.T, rtol=1e-12)
        numpy.testing.assert_allclose(dw, 2 * (x @ w.T).T @ x, rtol=1e-12)
