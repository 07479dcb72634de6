"""nn.model.ModelBase (MinPy's model interface) trained by nn.Solver over data iterators, MinPy's way."""
import numpy
import pytest
from conftest import requires_mxnet

import minpy_array.numpy as np
from minpy_array.nn import Solver, layers
from minpy_array.nn.io import NDArrayIter
from minpy_array.nn.model import ModelBase


def blobs(n=120, d=6, classes=3, seed=0):
    rng = numpy.random.default_rng(seed)
    centers = rng.normal(0, 3, size=(classes, d))
    y = rng.integers(0, classes, n)
    return (centers[y] + rng.normal(size=(n, d))).astype("float32"), y


class TwoLayer(ModelBase):
    def __init__(self, d=6, hidden=16, classes=3):
        super().__init__()
        self.add_param("w1", (d, hidden)).add_param("b1", (hidden,), init_rule="constant") \
            .add_param("w2", (hidden, classes)).add_param("b2", (classes,), init_rule="constant",
                                                         init_config={"value": 0.5})

    def forward(self, X, mode):
        return layers.affine(layers.relu(layers.affine(X, self.params["w1"], self.params["b1"])),
                             self.params["w2"], self.params["b2"])

    def loss(self, predict, y):
        return layers.softmax_loss(predict, y)


def iterators(batch_size=16):
    X, y = blobs()
    return (NDArrayIter(X[:80], y[:80], batch_size=batch_size, shuffle=True, seed=0),
            NDArrayIter(X[80:], y[80:], batch_size=batch_size))


def test_minpy_solver_trains_a_model_base_over_iterators(capsys):
    model = TwoLayer()
    train, test = iterators()
    solver = Solver(model, train, test, init_rule="gaussian", init_config={"stdvar": 0.1},
                    update_rule="sgd_momentum", optim_config={"learning_rate": 0.05}, num_epochs=4, print_every=5)
    solver.init()
    assert model.params["w1"].shape == (6, 16) and float(np.std(model.params["w1"])) == pytest.approx(0.1, rel=0.3)
    assert model.params["b2"].tolist() == [0.5, 0.5, 0.5] and not numpy.any(model.params["b1"].asnumpy())
    solver.train()
    out = capsys.readouterr().out
    assert "(iteration 1, epoch 1) loss" in out and "(iteration 6, epoch 2)" in out  # 5 batches an epoch
    assert len(solver.loss_history) == 20 and solver.best_val_acc >= 0.9
    assert solver.check_accuracy(train, num_samples=solver.train_acc_num_samples) >= 0.9
    assert model.params is solver.model.params  # the ModelBase holds the trained parameters


def test_check_accuracy_counts_each_sample_once():
    model = TwoLayer()
    train, test = iterators(batch_size=16)  # 40 test samples: the last batch carries 8 padded ones
    solver = Solver(model, train, test, verbose=False)  # train() would init; the constructor did
    X, y = blobs()
    want = numpy.mean(numpy.argmax(model.forward(np.asarray(X[80:]), "test").asnumpy(), axis=1) == y[80:])
    assert solver.check_accuracy(test) == pytest.approx(want)


def test_model_base_declarations_and_save_load(tmp_path):
    model = TwoLayer()
    with pytest.raises(ValueError, match="duplicate parameter name 'w1'"):
        model.add_param("w1", (1,))
    model.add_aux_param("running_mean", np.zeros(3))
    with pytest.raises(NotImplementedError, match="forward"):
        ModelBase().forward(None, "train")
    train, test = iterators()
    Solver(model, train, test, verbose=False)  # creates the parameters
    model.save(str(tmp_path / "net"))
    other = TwoLayer()
    other.load(str(tmp_path / "net"))
    assert set(other.params) == set(model.params) and "running_mean" in other.aux_params
    for k, v in model.params.items():
        numpy.testing.assert_array_equal(other.params[k].asnumpy(), v.asnumpy())


def test_solver_argument_errors():
    train, test = iterators()
    with pytest.raises(ValueError, match="test_dataiter"):
        Solver(TwoLayer(), train)
    with pytest.raises(ValueError, match="not a data dict"):
        Solver(TwoLayer(), {"X_train": 1, "y_train": 1, "X_val": 1, "y_val": 1}, test)
    with pytest.raises(ValueError, match="only 'classification'"):
        Solver(TwoLayer(), train, test, task_type="regression")
    with pytest.raises(ValueError, match="unknown init_rule"):
        Solver(TwoLayer(), train, test, init_rule="orthogonal")


@requires_mxnet
def test_model_base_with_a_function_as_minpy_wrote_them():
    from minpy_array import mxnet as mx
    from minpy_array.core import Function

    class Net(ModelBase):
        def __init__(self):
            super().__init__()
            net = mx.sym.FullyConnected(mx.sym.Variable("X"), name="fc", num_hidden=8)
            self.fc = Function(mx.sym.Activation(net, act_type="relu"), input_shapes={"X": (16, 6)}, name="fc")
            self.add_params(self.fc.get_params())
            self.add_param("w", (self.fc.get_one_output_shape()[1], 3)).add_param("b", (3,))

        def forward(self, X, mode):
            return layers.affine(self.fc(X=X, **self.params), self.params["w"], self.params["b"])

        def loss(self, predict, y):
            return layers.softmax_loss(predict, y)

    model = Net()
    assert set(model.param_configs) == {"fc_weight", "fc_bias", "w", "b"}
    X, y = blobs(n=96)
    train = NDArrayIter(X[:64], y[:64], batch_size=16, shuffle=True, seed=0)
    test = NDArrayIter(X[64:], y[64:], batch_size=16)
    solver = Solver(model, train, test, update_rule="adam", optim_config={"learning_rate": 0.02}, num_epochs=4,
                    verbose=False)
    solver.train()
    assert solver.loss_history[-1] < solver.loss_history[0] and solver.best_val_acc >= 0.8
