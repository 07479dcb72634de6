"""First-order update rules in CS231n's shape: `update(w, dw, config) -> (next_w, config)`.

`config` holds the hyperparameters and the rule's state (velocity, caches, moments); pass None for the defaults.
The arithmetic runs on minpy_array ops, so it stays on the parameters' device.
"""
import minpy_array.numpy as np


def _defaults(config, **defaults):
    config = {} if config is None else config
    for k, v in defaults.items():
        config.setdefault(k, v)
    return config


def sgd(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2)
    return w - config["learning_rate"] * dw, config


def sgd_momentum(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, momentum=0.9)
    v = config.get("velocity")
    v = -config["learning_rate"] * dw if v is None else config["momentum"] * v - config["learning_rate"] * dw
    config["velocity"] = v
    return w + v, config


def rmsprop(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-2, decay_rate=0.99, epsilon=1e-8)
    cache = config.get("cache")
    cache = (1 - config["decay_rate"]) * dw * dw if cache is None else \
        config["decay_rate"] * cache + (1 - config["decay_rate"]) * dw * dw
    config["cache"] = cache
    return w - config["learning_rate"] * dw / (np.sqrt(cache) + config["epsilon"]), config


def adam(w, dw, config=None):
    config = _defaults(config, learning_rate=1e-3, beta1=0.9, beta2=0.999, epsilon=1e-8, t=0)
    b1, b2 = config["beta1"], config["beta2"]
    t = config["t"] = config["t"] + 1
    m = config.get("m")
    v = config.get("v")
    m = (1 - b1) * dw if m is None else b1 * m + (1 - b1) * dw
    v = (1 - b2) * dw * dw if v is None else b2 * v + (1 - b2) * dw * dw
    config["m"], config["v"] = m, v
    mhat, vhat = m / (1 - b1 ** t), v / (1 - b2 ** t)
    return w - config["learning_rate"] * mhat / (np.sqrt(vhat) + config["epsilon"]), config


RULES = {"sgd": sgd, "sgd_momentum": sgd_momentum, "momentum": sgd_momentum, "rmsprop": rmsprop, "adam": adam}
