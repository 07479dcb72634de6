"""Solver: learns a separable problem, decays the learning rate, keeps the best parameters, checkpoints with
numpy.savez, is silent with verbose=False; the two models' losses against NumPy."""
import numpy
import pytest
from conftest import requires_mxnet

import minpy_array.numpy as np
from minpy_array.nn import ConvNet, Solver, TwoLayerNet


def blobs(n=120, d=6, classes=3, seed=0):
    rng = numpy.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(classes, d))
    y = rng.integers(0, classes, n)
    X = (centers[y] + rng.normal(size=(n, d))).astype("float32")
    return {"X_train": X[:80], "y_train": y[:80], "X_val": np.asarray(X[80:]), "y_val": np.asarray(y[80:])}


def test_two_layer_net_loss_matches_numpy():
    model = TwoLayerNet(5, hidden_dim=7, num_classes=4, weight_scale=0.5, reg=0.1, dtype="float64")
    X, y = numpy.random.default_rng(1).normal(size=(3, 5)), numpy.array([0, 3, 1])
    p = {k: v.asnumpy() for k, v in model.params.items()}
    s = numpy.maximum(X @ p["w1"] + p["b1"], 0) @ p["w2"] + p["b2"]
    s = s - s.max(1, keepdims=True)
    ce = -(s - numpy.log(numpy.exp(s).sum(1, keepdims=True)))[numpy.arange(3), y].mean()
    want = ce + 0.05 * ((p["w1"] ** 2).sum() + (p["w2"] ** 2).sum())
    numpy.testing.assert_allclose(float(model.loss(model.params, np.asarray(X), y)), want, rtol=1e-10)


@pytest.mark.parametrize("rule", ["sgd", "sgd_momentum", "rmsprop", "adam"])
def test_solver_learns_and_is_silent(rule, capsys):
    lr = {"sgd": 0.2, "sgd_momentum": 0.05, "rmsprop": 0.01, "adam": 0.01}[rule]
    solver = Solver(TwoLayerNet(6, hidden_dim=16, num_classes=3, weight_scale=0.1), blobs(), update_rule=rule,
                    optim_config={"learning_rate": lr}, batch_size=16, num_epochs=4, verbose=False)
    solver.train()
    assert capsys.readouterr().out == ""
    assert solver.best_val_acc >= 0.9
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert len(solver.loss_history) == 4 * 5 and len(solver.val_acc_history) == 4


def test_lr_decay_best_params_and_checkpoint_roundtrip(tmp_path, capsys):
    model = TwoLayerNet(6, hidden_dim=8, num_classes=3, weight_scale=0.1)
    solver = Solver(model, blobs(), update_rule="sgd", optim_config={"learning_rate": 0.1}, lr_decay=0.5,
                    batch_size=32, num_epochs=3, checkpoint_name=str(tmp_path / "ck"), verbose=True)
    solver.train()
    out = capsys.readouterr().out
    assert "epoch 3/3" in out and "val acc" in out
    assert solver.optim_configs["w1"]["learning_rate"] == pytest.approx(0.1 * 0.5 ** 3)
    best = int(numpy.argmax(solver.val_acc_history))
    assert solver.best_val_acc == max(solver.val_acc_history)
    assert model.params is not solver.best_params and all(model.params[k] is solver.best_params[k]
                                                          for k in model.params)
    path = tmp_path / "ck_epoch_3.npz"
    assert path.exists() and (tmp_path / f"ck_epoch_{best + 1}.npz").exists()
    fresh = Solver(TwoLayerNet(6, hidden_dim=8, num_classes=3, seed=9), blobs(), update_rule="sgd",
                   optim_config={"learning_rate": 0.1}, verbose=False).load_checkpoint(path)
    assert fresh.epoch == 3 and fresh.loss_history == pytest.approx(solver.loss_history)
    assert fresh.optim_configs["w1"]["learning_rate"] == pytest.approx(0.0125)
    for k, v in solver.best_params.items():
        numpy.testing.assert_array_equal(fresh.best_params[k].asnumpy(), v.asnumpy())
    with numpy.load(path) as f:
        assert {"epoch", "loss_history", "param__w1", "best__b2"} <= set(f.files)


def test_solver_rejects_unknown_rule():
    with pytest.raises(ValueError, match="unknown update_rule"):
        Solver(TwoLayerNet(6), blobs(), update_rule="lbfgs")


@requires_mxnet
def test_convnet_trains_through_function():
    rng = numpy.random.default_rng(0)
    X = rng.random((60, 1, 8, 8)).astype("float32")
    y = (X[:, 0, :4].mean(axis=(1, 2)) > X[:, 0, 4:].mean(axis=(1, 2))).astype(int)  # top half brighter?
    data = {"X_train": X[:40], "y_train": y[:40], "X_val": X[40:], "y_val": y[40:]}
    solver = Solver(ConvNet(num_filters=4, hidden_dim=16, num_classes=2), data, update_rule="adam",
                    optim_config={"learning_rate": 1e-2}, batch_size=20, num_epochs=3, verbose=False)
    solver.train()
    assert solver.loss_history[-1] < solver.loss_history[0]
    assert solver.predict(X[40:]).shape == (20,)
