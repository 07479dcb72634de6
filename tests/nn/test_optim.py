"""Update rules against NumPy transcriptions of CS231n's formulas, over several steps."""
import numpy
import pytest

import minpy_array.numpy as np
from minpy_array.nn import optim


def ref_steps(rule, w, dws, cfg):
    state = {}
    for t, dw in enumerate(dws, 1):
        lr = cfg["learning_rate"]
        if rule == "sgd":
            w = w - lr * dw
        elif rule == "sgd_momentum":
            state["v"] = cfg["momentum"] * state.get("v", 0) - lr * dw
            w = w + state["v"]
        elif rule == "rmsprop":
            d = cfg["decay_rate"]
            state["c"] = d * state.get("c", 0) + (1 - d) * dw * dw
            w = w - lr * dw / (numpy.sqrt(state["c"]) + 1e-8)
        else:
            b1, b2 = cfg["beta1"], cfg["beta2"]
            state["m"] = b1 * state.get("m", 0) + (1 - b1) * dw
            state["v"] = b2 * state.get("v", 0) + (1 - b2) * dw * dw
            w = w - lr * (state["m"] / (1 - b1 ** t)) / (numpy.sqrt(state["v"] / (1 - b2 ** t)) + 1e-8)
    return w


CONFIGS = {"sgd": {"learning_rate": 0.1}, "sgd_momentum": {"learning_rate": 0.1, "momentum": 0.8},
           "rmsprop": {"learning_rate": 0.01, "decay_rate": 0.9}, "adam": {"learning_rate": 0.01, "beta1": 0.8,
                                                                           "beta2": 0.99}}


@pytest.mark.parametrize("rule", list(CONFIGS))
def test_rule_matches_numpy_over_steps(rule):
    rng = numpy.random.default_rng(0)
    w0, dws = rng.normal(size=(3, 4)), [rng.normal(size=(3, 4)) for _ in range(4)]
    w, cfg = np.asarray(w0), dict(CONFIGS[rule])
    for dw in dws:
        w, cfg = optim.RULES[rule](w, np.asarray(dw), cfg)
    numpy.testing.assert_allclose(w.asnumpy(), ref_steps(rule, w0, dws, CONFIGS[rule]), rtol=1e-12)


@pytest.mark.parametrize("rule", list(CONFIGS))
def test_rule_defaults_fill_config(rule):
    w, cfg = optim.RULES[rule](np.ones(3), np.ones(3), None)
    assert "learning_rate" in cfg and w.shape == (3,)
    assert bool(np.all(w < 1.0))
