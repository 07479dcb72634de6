"""minpy_array.Function: MXNet symbols as differentiable ops, against NumPy/SciPy references."""
import numpy
import pytest
from conftest import HAS_MXNET, requires_mxnet
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
