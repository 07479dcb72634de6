"""CS231n-style layers written with minpy_array.numpy ops, so autodiff differentiates every one of them.

Each layer is a function of MinArrays returning MinArrays (no backward functions: `grad` derives them); NumPy
arrays and array-likes go in too, as anywhere in the numpy face.  Convolution and pooling are ops of their own (conv2d,
max_pool2d, avg_pool2d), served by each backend.  Labels (`y`) and masks are constants: MinArrays, NumPy arrays or lists
of ints.  MinPy's names and call forms work as well: `batchnorm(x, gamma, beta)` returning (out, running_mean,
running_var), `dropout(x, p, mode='train')`, `softmax_cross_entropy`, `l2_loss`, `rnn_temporal`, `lstm_temporal`.
"""
import numpy

import minpy_array.numpy as np

from .. import _dispatch
from .._array import MinArray, _wrap


def value(x):
    """x's values without its autodiff trace (a constant for the tape)."""
    return x if type(x) is not MinArray or x._node is None else _wrap(x._data, x._device, x._face)


def _host(y):
    return value(y).asnumpy() if type(y) is MinArray else numpy.asarray(y)


def _arrays(*xs):
    """The layer's array arguments as MinArrays (NumPy arrays, lists and scalars are converted)."""
    return tuple(x if type(x) is MinArray else np.asarray(x) for x in xs)


def _like(a, x):
    """NumPy array `a` as a MinArray on x's device with x's dtype."""
    a = numpy.asarray(a, dtype=x.dtype)
    return np.asarray(a) if x.device.is_host else np.asarray(a).to_device(x.device)


def one_hot(y, num_classes, like):
    y = _host(y)
    if y.dtype.kind not in "biuf" or (y.dtype.kind == "f" and not numpy.all(y == numpy.round(y))):
        raise ValueError(f"labels must be integers (class indices), got {y.dtype} values")
    y = y.astype(numpy.int64)
    if y.size and (y.min() < 0 or y.max() >= num_classes):
        raise ValueError(f"labels must be in [0, {num_classes}), got values from {y.min()} to {y.max()}")
    out = numpy.zeros(y.shape + (num_classes,), dtype=like.dtype)
    numpy.put_along_axis(out, y[..., None], 1, axis=-1)
    return _like(out, like)


# ---------------------------------------------------------------- feed-forward
def affine(x, w, b):
    """x (N, d1, ..., dk) flattened to (N, D), times w (D, M), plus b (M,)."""
    x, w, b = _arrays(x, w, b)
    return np.dot(x.reshape(x.shape[0], -1), w) + b


def relu(x):
    return np.maximum(x, 0.0)


def sigmoid(x):
    (x,) = _arrays(x)
    return 1.0 / (1.0 + np.exp(-x))


def tanh(x):
    return np.tanh(x)


def affine_relu(x, w, b):
    return relu(affine(x, w, b))


def dropout(x, p, train=True, seed=None, *, mode=None):
    """Inverted dropout: in training keep each unit with probability 1 - p and scale by 1 / (1 - p); identity in
    evaluation.  `seed` (int or numpy Generator) fixes the mask.  MinPy's form: `mode='train'` or `'test'` (also
    as the third argument) for `train`.
    Note: MinPy's dropout scaled at test time instead (x * (1 - p)); both have the same expected output."""
    if mode is not None or isinstance(train, str):
        mode = train if mode is None else mode
        if mode not in ("train", "test"):
            raise ValueError(f"dropout: mode must be 'train' or 'test', got {mode!r}")
        train = mode == "train"
    (x,) = _arrays(x)
    if not train or p == 0:
        return x
    if not 0 <= p < 1:
        raise ValueError(f"dropout: p must be in [0, 1), got {p}")
    rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)
    mask = (rng.random(x.shape) >= p) / (1.0 - p)
    return x * _like(mask, x)


def batchnorm(x, gamma, beta, bn_param=None, **minpy):
    """Batch normalisation over axis 0 of x (N, D).  bn_param: dict with 'mode' ('train' or 'test'), optional
    'eps' (1e-5) and 'momentum' (0.9); 'running_mean'/'running_var' are created and updated (training) in it.

    MinPy's form, `batchnorm(x, gamma, beta[, mode][, eps=, momentum=, running_mean=, running_var=])` (no dict),
    returns (out, running_mean, running_var) as MinPy's did."""
    if not isinstance(bn_param, dict):
        unknown = set(minpy) - {"mode", "eps", "momentum", "running_mean", "running_var"}
        if unknown:
            raise TypeError(f"batchnorm() got unexpected keyword arguments {sorted(unknown)}")
        param = {k: v for k, v in minpy.items() if v is not None}
        param["mode"] = bn_param or minpy.get("mode") or "train"
        out = batchnorm(x, gamma, beta, param)
        return out, param["running_mean"], param["running_var"]
    x, gamma, beta = _arrays(x, gamma, beta)
    mode = bn_param.get("mode", "train")
    eps, momentum = bn_param.get("eps", 1e-5), bn_param.get("momentum", 0.9)
    d = x.shape[1]
    if "running_mean" not in bn_param:
        bn_param["running_mean"] = _like(numpy.zeros(d), x)
        bn_param["running_var"] = _like(numpy.zeros(d), x)
    if mode == "train":
        mean = np.mean(x, axis=0)
        xc = x - mean
        var = np.mean(xc * xc, axis=0)
        bn_param["running_mean"] = momentum * bn_param["running_mean"] + (1 - momentum) * value(mean)
        bn_param["running_var"] = momentum * bn_param["running_var"] + (1 - momentum) * value(var)
        return xc / np.sqrt(var + eps) * gamma + beta
    if mode == "test":
        xn = (x - bn_param["running_mean"]) / np.sqrt(bn_param["running_var"] + eps)
        return xn * gamma + beta
    raise ValueError(f"batchnorm: mode must be 'train' or 'test', got {mode!r}")


# ---------------------------------------------------------------- losses
def log_softmax(x):
    (x,) = _arrays(x)
    shifted = x - value(x).max(axis=1, keepdims=True)  # the shift cancels: no gradient needed through it
    return shifted - np.log(np.sum(np.exp(shifted), axis=1, keepdims=True))


def _targets(y, x):
    """Targets (N, C) like x: one-hot rows from integer labels (N,); one-hot or probability rows (N, C) as given."""
    yh = _host(y)
    return _like(yh, x) if yh.shape == x.shape and yh.ndim == 2 else one_hot(yh, x.shape[1], x)


def softmax_loss(x, y):
    """Mean cross-entropy of scores x (N, C) for integer labels y (N,), or one-hot (probability) rows y (N, C)."""
    (x,) = _arrays(x)
    return -np.sum(log_softmax(x) * _targets(y, x)) / x.shape[0]


def softmax_cross_entropy(prob, y):
    """MinPy's: mean cross-entropy of probabilities prob (N, C) (e.g. an MXNet SoftmaxOutput) for labels y (N,) or
    one-hot rows (N, C)."""
    (prob,) = _arrays(prob)
    return -np.sum(np.log(prob) * _targets(y, prob)) / prob.shape[0]


def l2_loss(x, y):
    """MinPy's: sum of squared differences over the batch, divided by N; integer labels y (N,) become one-hot."""
    (x,) = _arrays(x)
    yh = _host(y)
    target = one_hot(yh, x.shape[1], x) if yh.ndim == 1 else _like(yh, x)
    return np.sum((x - target) ** 2) / x.shape[0]


def svm_loss(x, y):
    """Mean multiclass hinge loss (margin 1) of scores x (N, C) for integer labels y (N,)."""
    (x,) = _arrays(x)
    onehot = one_hot(y, x.shape[1], x)
    correct = np.sum(x * onehot, axis=1, keepdims=True)
    margins = np.maximum(x - correct + 1.0, 0.0) * (1.0 - onehot)
    return np.sum(margins) / x.shape[0]


# ---------------------------------------------------------------- recurrent
def rnn_step(x, prev_h, wx, wh, b):
    """One vanilla RNN step: tanh(x wx + prev_h wh + b); x (N, D), prev_h (N, H)."""
    return np.tanh(np.dot(x, wx) + np.dot(prev_h, wh) + b)


def rnn(x, h0, wx, wh, b):
    """Vanilla RNN over x (N, T, D) from h0 (N, H): hidden states (N, T, H), a Python loop over time."""
    x, h0 = _arrays(x, h0)
    h, hs = h0, []
    for t in range(x.shape[1]):
        h = rnn_step(x[:, t, :], h, wx, wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)


def lstm_step(x, prev_h, prev_c, wx, wh, b):
    """One LSTM step; wx (D, 4H), wh (H, 4H), b (4H,) hold the input, forget, output and cell gates in order.
    Returns (next_h, next_c)."""
    hdim = prev_h.shape[1]
    a = np.dot(x, wx) + np.dot(prev_h, wh) + b
    i, f = sigmoid(a[:, :hdim]), sigmoid(a[:, hdim:2 * hdim])
    o, g = sigmoid(a[:, 2 * hdim:3 * hdim]), np.tanh(a[:, 3 * hdim:])
    c = f * prev_c + i * g
    return o * np.tanh(c), c


def lstm(x, h0, wx, wh, b):
    """LSTM over x (N, T, D) from h0 (N, H) with a zero initial cell: hidden states (N, T, H)."""
    x, h0 = _arrays(x, h0)
    h, c, hs = h0, h0 * 0.0, []
    for t in range(x.shape[1]):
        h, c = lstm_step(x[:, t, :], h, c, wx, wh, b)
        hs.append(h)
    return np.stack(hs, axis=1)


rnn_temporal, lstm_temporal = rnn, lstm  # MinPy's names


def temporal_affine(x, w, b):
    """x (N, T, D) times w (D, M) plus b: (N, T, M)."""
    (x,) = _arrays(x)
    n, t, d = x.shape
    return (np.dot(x.reshape(n * t, d), w) + b).reshape(n, t, w.shape[1])


def temporal_softmax_loss(x, y, mask=None):
    """Cross-entropy of scores x (N, T, V) for labels y (N, T), summed over time and averaged over N; `mask`
    (N, T) of 0/1 drops time steps."""
    (x,) = _arrays(x)
    n, t, v = x.shape
    logp = log_softmax(x.reshape(n * t, v)) * one_hot(_host(y).reshape(n * t), v, x)
    per_step = np.sum(logp, axis=1)
    if mask is not None:
        per_step = per_step * _like(_host(mask).reshape(n * t), x)
    return -np.sum(per_step) / n


# ---------------------------------------------------------------- convolution and pooling
def conv(x, w, b, stride=1, pad=0):
    """2-D convolution (cross-correlation, as CS231n, MXNet and PyTorch define it): x (N, C, H, W),
    w (F, C, HH, WW), b (F,) -> (N, F, H', W').  One op: the device's backend kernel (PyTorch, MXNet) or NumPy's."""
    return _dispatch.apply("conv2d", x, w, b, stride, pad)


def max_pool(x, size=2, stride=None):
    """Max pooling of x (N, C, H, W) over size x size windows (stride defaults to size)."""
    return _dispatch.apply("max_pool2d", x, size, stride or size)


def avg_pool(x, size=2, stride=None):
    return _dispatch.apply("avg_pool2d", x, size, stride or size)


def conv_relu_pool(x, w, b, stride=1, pad=0, pool=2):
    return max_pool(relu(conv(x, w, b, stride, pad)), pool)
