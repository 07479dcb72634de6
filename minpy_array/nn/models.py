"""Two small models in the Solver's shape (`params`, `loss(params, X, y=None, train=False)`)."""
import numpy

import minpy_array.numpy as np

from . import layers
from .init import constant, gaussian, xavier


def _l2(params, reg, names):
    return sum(np.sum(params[k] * params[k]) for k in names) * (0.5 * reg)


class TwoLayerNet:
    """affine - relu - [dropout] - affine - softmax."""

    def __init__(self, input_dim, hidden_dim=100, num_classes=10, weight_scale=1e-2, reg=0.0, dropout=0.0,
                 seed=0, dtype="float32"):
        rng = numpy.random.default_rng(seed)
        self.params = {"w1": gaussian((input_dim, hidden_dim), rng, std=weight_scale, dtype=dtype),
                       "b1": constant((hidden_dim,), dtype=dtype),
                       "w2": gaussian((hidden_dim, num_classes), rng, std=weight_scale, dtype=dtype),
                       "b2": constant((num_classes,), dtype=dtype)}
        self.reg, self.dropout, self.rng = reg, dropout, rng

    def loss(self, params, X, y=None, train=False):
        h = layers.affine_relu(X, params["w1"], params["b1"])
        h = layers.dropout(h, self.dropout, train, self.rng)
        scores = layers.affine(h, params["w2"], params["b2"])
        if y is None:
            return scores
        return layers.softmax_loss(scores, y) + _l2(params, self.reg, ("w1", "w2"))


class ConvNet:
    """conv(3x3, pad 1) - relu - 2x2 max pool - affine - relu - affine - softmax, on (N, C, H, W) input."""

    def __init__(self, input_dim=(1, 8, 8), num_filters=16, filter_size=3, hidden_dim=64, num_classes=10,
                 reg=0.0, seed=0, dtype="float32"):
        rng = numpy.random.default_rng(seed)
        c, h, w = input_dim
        pooled = num_filters * (h // 2) * (w // 2)
        self.params = {"w1": xavier((num_filters, c, filter_size, filter_size), rng, dtype=dtype),
                       "b1": constant((num_filters,), dtype=dtype),
                       "w2": xavier((pooled, hidden_dim), rng, dtype=dtype),
                       "b2": constant((hidden_dim,), dtype=dtype),
                       "w3": xavier((hidden_dim, num_classes), rng, dtype=dtype),
                       "b3": constant((num_classes,), dtype=dtype)}
        self.pad, self.reg = (filter_size - 1) // 2, reg

    def loss(self, params, X, y=None, train=False):
        h = layers.conv_relu_pool(X, params["w1"], params["b1"], pad=self.pad)
        h = layers.affine_relu(h, params["w2"], params["b2"])
        scores = layers.affine(h, params["w3"], params["b3"])
        if y is None:
            return scores
        return layers.softmax_loss(scores, y) + _l2(params, self.reg, ("w1", "w2", "w3"))
