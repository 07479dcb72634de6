"""Every nn layer: forward against a NumPy reference, gradients against finite differences (check_grads)."""
import numpy
import pytest
from conftest import requires_mxnet
from hypothesis import given
from hypothesis import strategies as st

import minpy_array.numpy as np
from minpy_array.nn import layers

RNG = numpy.random.default_rng(0)


def rand(*shape, scale=1.0):
    return RNG.normal(0, scale, size=shape)


def mp(*arrays):
    return [np.asarray(a) for a in arrays]


def close(got, want, rtol=1e-10, atol=1e-12):
    numpy.testing.assert_allclose(got.asnumpy() if hasattr(got, "asnumpy") else got, want, rtol=rtol, atol=atol)


def check(f, *args):
    """f's first-order and second-order reverse gradients against central differences, in float64."""
    from minpy_array.autodiff import check_grads

    check_grads(f, *mp(*args), order=2)


# ---------------------------------------------------------------- NumPy references
def ref_softmax_loss(x, y):
    s = x - x.max(axis=1, keepdims=True)
    logp = s - numpy.log(numpy.exp(s).sum(axis=1, keepdims=True))
    return -logp[numpy.arange(len(y)), y].mean()


def ref_svm_loss(x, y):
    correct = x[numpy.arange(len(y)), y][:, None]
    m = numpy.maximum(0, x - correct + 1)
    m[numpy.arange(len(y)), y] = 0
    return m.sum() / len(y)


def ref_sigmoid(x):
    return 1 / (1 + numpy.exp(-x))


def ref_lstm_step(x, h, c, wx, wh, b):
    a = x @ wx + h @ wh + b
    H = h.shape[1]
    i, f, o = ref_sigmoid(a[:, :H]), ref_sigmoid(a[:, H:2 * H]), ref_sigmoid(a[:, 2 * H:3 * H])
    g = numpy.tanh(a[:, 3 * H:])
    c = f * c + i * g
    return o * numpy.tanh(c), c


def ref_conv(x, w, b, stride, pad):
    n, c, h, wd = x.shape
    f, _, hh, ww = w.shape
    xp = numpy.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    ho, wo = (h + 2 * pad - hh) // stride + 1, (wd + 2 * pad - ww) // stride + 1
    out = numpy.zeros((n, f, ho, wo))
    for i in range(ho):
        for j in range(wo):
            patch = xp[:, :, i * stride:i * stride + hh, j * stride:j * stride + ww]
            out[:, :, i, j] = numpy.tensordot(patch, w, axes=([1, 2, 3], [1, 2, 3])) + b
    return out


def ref_pool(x, size, reduce):
    n, c, h, w = x.shape
    return reduce(x[:, :, :h // size * size, :w // size * size].reshape(n, c, h // size, size, w // size, size),
                  axis=(3, 5))


# ---------------------------------------------------------------- forward
@given(st.integers(1, 5), st.integers(1, 4), st.integers(1, 6))
def test_affine_matches_numpy(n, d, m):
    x, w, b = rand(n, 2, d), rand(2 * d, m), rand(m)
    close(layers.affine(*mp(x, w, b)), x.reshape(n, -1) @ w + b)


@pytest.mark.parametrize(("layer", "ref"), [
    (layers.relu, lambda x: numpy.maximum(x, 0)), (layers.sigmoid, ref_sigmoid), (layers.tanh, numpy.tanh),
    (lambda x: layers.affine_relu(x, np.asarray(numpy.eye(4)), np.asarray(numpy.ones(4))),
     lambda x: numpy.maximum(x + 1, 0))])
def test_elementwise_layers_match_numpy(layer, ref):
    x = rand(3, 4)
    close(layer(np.asarray(x)), ref(x))


@given(st.integers(1, 6), st.integers(2, 5), st.data())
def test_losses_match_numpy(n, c, data):
    x = rand(n, c, scale=3)
    y = numpy.array(data.draw(st.lists(st.integers(0, c - 1), min_size=n, max_size=n)))
    close(layers.softmax_loss(np.asarray(x), y), ref_softmax_loss(x, y))
    close(layers.svm_loss(np.asarray(x), np.asarray(y)), ref_svm_loss(x, y))


def test_softmax_loss_is_stable_for_large_scores():
    x = numpy.array([[1000.0, 0.0], [0.0, -1000.0]])
    close(layers.softmax_loss(np.asarray(x), [0, 0]), 0.0)


def test_dropout_train_scales_kept_units_and_eval_is_identity():
    x = numpy.ones((200, 50))
    out = layers.dropout(np.asarray(x), 0.3, train=True, seed=1).asnumpy()
    mask = numpy.random.default_rng(1).random(x.shape) >= 0.3
    close(out, mask / 0.7)
    assert abs(out.mean() - 1.0) < 0.05
    xm = np.asarray(x)
    assert layers.dropout(xm, 0.3, train=False) is xm
    with pytest.raises(ValueError, match="dropout"):
        layers.dropout(xm, 1.0, train=True)


def test_batchnorm_train_normalises_and_tracks_running_stats():
    x, gamma, beta = rand(8, 3, scale=2) + 5, rand(3), rand(3)
    param = {"mode": "train", "momentum": 0.5}
    out = layers.batchnorm(*mp(x, gamma, beta), param)
    close(out, (x - x.mean(0)) / numpy.sqrt(x.var(0) + 1e-5) * gamma + beta, rtol=1e-9)
    close(param["running_mean"], 0.5 * x.mean(0))
    close(param["running_var"], 0.5 * x.var(0))
    x2 = rand(8, 3)
    test = layers.batchnorm(*mp(x2, gamma, beta), {**param, "mode": "test"})
    close(test, (x2 - 0.5 * x.mean(0)) / numpy.sqrt(0.5 * x.var(0) + 1e-5) * gamma + beta, rtol=1e-9)
    with pytest.raises(ValueError, match="batchnorm"):
        layers.batchnorm(*mp(x2, gamma, beta), {"mode": "eval"})


def test_rnn_step_and_temporal_match_numpy():
    n, t, d, h = 2, 3, 4, 5
    x, h0, wx, wh, b = rand(n, t, d), rand(n, h), rand(d, h), rand(h, h), rand(h)
    close(layers.rnn_step(*mp(x[:, 0], h0, wx, wh, b)), numpy.tanh(x[:, 0] @ wx + h0 @ wh + b))
    hs, hh = [], h0
    for i in range(t):
        hh = numpy.tanh(x[:, i] @ wx + hh @ wh + b)
        hs.append(hh)
    close(layers.rnn(*mp(x, h0, wx, wh, b)), numpy.stack(hs, axis=1))


def test_lstm_step_and_temporal_match_numpy():
    n, t, d, h = 2, 3, 4, 3
    x, h0, c0, wx, wh, b = rand(n, t, d), rand(n, h), rand(n, h), rand(d, 4 * h), rand(h, 4 * h), rand(4 * h)
    nh, nc = layers.lstm_step(*mp(x[:, 0], h0, c0, wx, wh, b))
    rh, rc = ref_lstm_step(x[:, 0], h0, c0, wx, wh, b)
    close(nh, rh)
    close(nc, rc)
    hs, hh, cc = [], h0, numpy.zeros_like(h0)
    for i in range(t):
        hh, cc = ref_lstm_step(x[:, i], hh, cc, wx, wh, b)
        hs.append(hh)
    close(layers.lstm(*mp(x, h0, wx, wh, b)), numpy.stack(hs, axis=1))


def test_temporal_affine_and_softmax_loss_match_numpy():
    n, t, d, v = 2, 3, 4, 5
    x, w, b = rand(n, t, d), rand(d, v), rand(v)
    y, mask = RNG.integers(0, v, size=(n, t)), numpy.array([[1, 1, 0], [1, 0, 0]])
    close(layers.temporal_affine(*mp(x, w, b)), x @ w + b)
    s = rand(n, t, v)
    logp = s - numpy.log(numpy.exp(s).sum(-1, keepdims=True))
    picked = numpy.take_along_axis(logp, y[..., None], -1)[..., 0]
    close(layers.temporal_softmax_loss(np.asarray(s), y, mask), -(picked * mask).sum() / n)
    close(layers.temporal_softmax_loss(np.asarray(s), y), -picked.sum() / n)


@requires_mxnet
@pytest.mark.parametrize(("stride", "pad"), [(1, 0), (1, 1), (2, 1)])
def test_conv_matches_numpy(stride, pad):
    x, w, b = rand(2, 3, 5, 5), rand(4, 3, 3, 3), rand(4)
    close(layers.conv(*mp(x, w, b), stride=stride, pad=pad), ref_conv(x, w, b, stride, pad), rtol=1e-9)


@requires_mxnet
def test_conv_sees_new_weights_on_every_call():
    # the executor is cached per shapes: untraced calls with new weights (evaluation during training) must not
    # reuse the first call's weights
    x, b = rand(3, 2, 5, 5), rand(4)
    for _ in range(3):
        w = rand(4, 2, 3, 3)
        close(layers.conv(*mp(x, w, b), pad=1), ref_conv(x, w, b, 1, 1), rtol=1e-9)
        close(layers.conv(*mp(x.astype("float32"), w.astype("float32"), b.astype("float32")), pad=1),
              ref_conv(x, w, b, 1, 1), rtol=1e-4, atol=1e-4)


@requires_mxnet
def test_pooling_matches_numpy():
    x = rand(2, 3, 4, 6)
    close(layers.max_pool(np.asarray(x)), ref_pool(x, 2, numpy.max))
    close(layers.avg_pool(np.asarray(x)), ref_pool(x, 2, numpy.mean))
    x, w, b = rand(2, 3, 4, 4), rand(5, 3, 3, 3), rand(5)
    close(layers.conv_relu_pool(*mp(x, w, b), pad=1), ref_pool(numpy.maximum(ref_conv(x, w, b, 1, 1), 0), 2,
                                                                numpy.max), rtol=1e-9)


# ---------------------------------------------------------------- gradients (float64, central differences)
@pytest.mark.parametrize("layer", [layers.relu, layers.sigmoid, layers.tanh])
def test_elementwise_gradients(layer):
    check(lambda x: np.sum(layer(x) ** 2), rand(3, 4) + 0.05)  # relu: keep away from the kink at 0


def test_affine_gradients():
    check(lambda x, w, b: np.sum(layers.affine(x, w, b) ** 2), rand(2, 2, 3), rand(6, 4), rand(4))
    check(lambda x, w, b: np.sum(layers.affine_relu(x, w, b) ** 2), rand(2, 3), rand(3, 4), rand(4) + 3)


def test_loss_gradients():
    y = numpy.array([0, 2, 1])
    check(lambda x: layers.softmax_loss(x, y), rand(3, 4))
    check(lambda x: layers.svm_loss(x, y), rand(3, 4, scale=3))


def test_dropout_gradient():
    check(lambda x: np.sum(layers.dropout(x, 0.5, train=True, seed=3) ** 2), rand(4, 5))


def test_batchnorm_gradients():
    weights = np.asarray(rand(5, 3))
    check(lambda x, g, b: np.sum(layers.batchnorm(x, g, b, {"mode": "train"}) * weights),
          rand(5, 3), rand(3), rand(3))


def test_rnn_gradients():
    n, t, d, h = 2, 3, 3, 2
    check(lambda x, h0, wx, wh, b: np.sum(layers.rnn(x, h0, wx, wh, b) ** 2),
          rand(n, t, d), rand(n, h), rand(d, h), rand(h, h), rand(h))


def test_lstm_gradients():
    n, t, d, h = 2, 2, 3, 2
    check(lambda x, h0, wx, wh, b: np.sum(layers.lstm(x, h0, wx, wh, b) ** 2),
          rand(n, t, d), rand(n, h), rand(d, 4 * h), rand(h, 4 * h), rand(4 * h))


def test_temporal_gradients():
    y = numpy.array([[0, 1], [2, 0]])
    check(lambda x, w, b: layers.temporal_softmax_loss(layers.temporal_affine(x, w, b), y, [[1, 1], [1, 0]]),
          rand(2, 2, 3), rand(3, 3), rand(3))


@requires_mxnet
def test_conv_and_pool_gradients():
    from minpy_array.autodiff import check_grads

    check_grads(lambda x, w, b: np.sum(layers.max_pool(layers.conv(x, w, b, pad=1)) ** 2),
                *mp(rand(1, 2, 4, 4), rand(3, 2, 3, 3), rand(3)), order=1)
    check_grads(lambda x: np.sum(layers.avg_pool(x) ** 2), *mp(rand(1, 2, 4, 4)), order=1)


# ---------------------------------------------------------------- NumPy arrays in, MinPy's forms
def test_layers_take_numpy_arrays_and_array_likes():
    x, w, b, y = rand(4, 3), rand(3, 2), rand(2), numpy.array([0, 1, 1, 0])
    for args in ((x, w, b), (x.tolist(), w.tolist(), b.tolist())):
        close(layers.affine(*args), x @ w + b)
    close(layers.sigmoid(x.tolist()), ref_sigmoid(x))
    close(layers.softmax_loss(x[:, :2], y), ref_softmax_loss(x[:, :2], y))
    close(layers.softmax_loss(x[:, :2].tolist(), y.tolist()), ref_softmax_loss(x[:, :2], y))
    close(layers.svm_loss(x, y), ref_svm_loss(x, y))
    assert layers.dropout(x, 0.5, train=True, seed=0).shape == (4, 3)
    close(layers.batchnorm(x, numpy.ones(3), numpy.zeros(3), {"mode": "train"}),
          (x - x.mean(0)) / numpy.sqrt(x.var(0) + 1e-5), rtol=1e-9)
    close(layers.rnn(rand(2, 3, 4), numpy.zeros((2, 5)), rand(4, 5), rand(5, 5), rand(5)).shape, (2, 3, 5))


def test_softmax_loss_takes_one_hot_and_probability_targets():
    x, y = rand(5, 4), numpy.array([3, 0, 1, 1, 2])
    close(layers.softmax_loss(x, numpy.eye(4)[y]), ref_softmax_loss(x, y))
    soft = numpy.full((5, 4), 0.25)
    s = x - x.max(1, keepdims=True)
    close(layers.softmax_loss(x, soft), -(soft * (s - numpy.log(numpy.exp(s).sum(1, keepdims=True)))).sum() / 5)
    close(layers.softmax_loss(x, y.astype(float)), ref_softmax_loss(x, y))  # integral floats are labels
    check(lambda x: layers.softmax_loss(x, numpy.eye(4)[y]), x)


@pytest.mark.parametrize("bad", [[0, 1, 4], [0, -1, 1], [0.5, 1, 2]])
def test_labels_out_of_range_or_fractional_raise(bad):
    with pytest.raises(ValueError, match="labels must be"):
        layers.softmax_loss(rand(3, 4), bad)


def test_minpys_batchnorm_and_dropout_forms():
    x, gamma, beta = rand(8, 3) + 2, rand(1, 3), rand(1, 3)
    out, rmean, rvar = layers.batchnorm(x, gamma, beta)  # MinPy: no dict, three results
    close(out, (x - x.mean(0)) / numpy.sqrt(x.var(0) + 1e-5) * gamma + beta, rtol=1e-9)
    close(rmean, 0.1 * x.mean(0))
    out, rmean2, _ = layers.batchnorm(x, gamma, beta, "test", running_mean=rmean, running_var=rvar)
    close(out, (x - rmean.asnumpy()) / numpy.sqrt(rvar.asnumpy() + 1e-5) * gamma + beta, rtol=1e-9)
    assert rmean2 is rmean  # test mode leaves them
    with pytest.raises(TypeError, match="unexpected keyword"):
        layers.batchnorm(x, gamma, beta, running_average=None)
    xm = np.asarray(x)
    assert layers.dropout(xm, 0.5, mode="test") is xm and layers.dropout(xm, 0.5, "test") is xm
    close(layers.dropout(xm, 0.5, mode="train", seed=3), layers.dropout(xm, 0.5, True, seed=3).asnumpy())
    with pytest.raises(ValueError, match="mode"):
        layers.dropout(xm, 0.5, mode="eval")


def test_minpys_other_losses_and_names():
    p, y = numpy.array([[0.7, 0.2, 0.1], [0.1, 0.1, 0.8]]), numpy.array([0, 2])
    close(layers.softmax_cross_entropy(p, y), -numpy.log([0.7, 0.8]).mean())
    close(layers.softmax_cross_entropy(p, numpy.eye(3)[y]), -numpy.log([0.7, 0.8]).mean())
    x, t = rand(4, 3), rand(4, 3)
    close(layers.l2_loss(x, t), ((x - t) ** 2).sum() / 4)
    close(layers.l2_loss(x, [0, 1, 2, 0]), ((x - numpy.eye(3)[[0, 1, 2, 0]]) ** 2).sum() / 4)
    check(lambda x: layers.l2_loss(x, t), x)
    check(lambda p: layers.softmax_cross_entropy(p, y), p)
    assert layers.rnn_temporal is layers.rnn and layers.lstm_temporal is layers.lstm
