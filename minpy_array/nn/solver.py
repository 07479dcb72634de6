"""Solver: minibatch training of a model with autodiff gradients, CS231n's Solver without hand-written backprop.

A model has `params` (a dict of MinArrays) and `loss(params, X, y=None, train=False)`: the scalar training loss
when `y` is given, class scores (N, C) otherwise.  The Solver differentiates the loss with
`minpy_array.autodiff.value_and_grad`, applies an update rule from `nn.optim` to each parameter, and tracks loss,
train and validation accuracy, keeping the parameters of the best validation epoch.

MinPy's Solver works too: `Solver(model, train_dataiter, test_dataiter, init_rule=..., init_config=...,
print_every=..., train_acc_num_samples=...)`, with a `nn.model.ModelBase` (forward/loss on `self.params`) and data
iterators (`nn.io.NDArrayIter`); `solver.init()` creates the model's declared parameters (train() does it if
needed) and `check_accuracy(dataiter, num_samples)` takes an iterator.
"""
import copy
import sys

import numpy

import minpy_array.numpy as np

from .._array import MinArray
from . import init as _init
from . import optim
from .data import Batches
from .io import DataBatch, NDArrayIter


def _minarray(x):
    if type(x) is MinArray:
        return x
    return np.asarray(x.asnumpy() if hasattr(x, "asnumpy") else x)  # NumPy arrays, MXNet NDArrays, array-likes


def _is_iterator(data):
    """A MinPy/MXNet data iterator (reset() and batches with .data and .label lists) rather than a data dict."""
    return hasattr(data, "reset") and not isinstance(data, dict)


# MinPy's init rules: rule(shape, config) with MinPy's config keys
INIT_RULES = {
    "xavier": lambda shape, config, rng: _init.xavier(shape, rng),
    "gaussian": lambda shape, config, rng: _init.gaussian(shape, rng, std=config.get("stdvar", 0.001),
                                                         mean=config.get("mu", 0.0)),
    "constant": lambda shape, config, rng: _init.constant(shape, value=config.get("value", 0.0)),
    "custom": lambda shape, config, rng: _minarray(config.get("function", numpy.zeros)(shape)),
}


class _MinPyModel:
    """A ModelBase (MinPy's forward(X, mode) and loss(predict, y) on self.params) in the Solver's protocol."""

    def __init__(self, model):
        self.model = model

    @property
    def params(self):
        return self.model.params

    @params.setter
    def params(self, value):
        self.model.params = value

    def loss(self, params, X, y=None, train=False):
        m = self.model
        saved, m.params = m.params, params
        try:
            batch = DataBatch([X], None if y is None else [y])
            out = m.forward_batch(batch, "train" if train else "test")
            return out if y is None else m.loss_batch(batch, out)
        finally:
            m.params = saved


def _scalar(x):
    from .layers import value

    return float(value(x)) if type(x) is MinArray else float(x)


class Solver:
    """Train `model` on data = {'X_train', 'y_train', 'X_val', 'y_val'} (MinArrays or NumPy arrays).

    Options: update_rule (name in nn.optim.RULES or a function), optim_config (dict, copied per parameter),
    lr_decay (learning rate factor after each epoch), batch_size, num_epochs, num_train_samples (train accuracy is
    measured on this many samples; None for all), num_val_samples, checkpoint_name (save after each epoch to
    '<name>_epoch_<n>.npz'), verbose (a progress bar per epoch and a summary line; False prints nothing), seed.
    MinPy's: `data` a training iterator with `test_dataiter`, init_rule ('xavier', 'gaussian', 'constant',
    'custom') and init_config (MinPy's keys: stdvar, mu, value, function) for a ModelBase's parameters,
    print_every (a loss line every so many iterations instead of the progress bar), train_acc_num_samples
    (= num_train_samples), task_type ('classification' only).
    """

    def __init__(self, model, data, test_dataiter=None, *, update_rule="sgd", optim_config=None, lr_decay=1.0,
                 batch_size=100, num_epochs=10, num_train_samples=1000, num_val_samples=None, checkpoint_name=None,
                 verbose=True, seed=0, last_batch="keep", init_rule="xavier", init_config=None, print_every=None,
                 train_acc_num_samples=None, task_type="classification"):
        if task_type != "classification":
            raise ValueError(f"Solver: task_type {task_type!r} is not supported (only 'classification'); for "
                             "regression, train with your own loop over grad")
        self.minpy_model = model if hasattr(model, "param_configs") and hasattr(model, "forward") else None
        self.model = _MinPyModel(model) if self.minpy_model is not None else model
        if _is_iterator(data):
            if test_dataiter is None:
                raise ValueError("Solver: with a training data iterator, give the validation one (test_dataiter)")
            self.train_iter, self.val_iter = data, test_dataiter
        else:
            if test_dataiter is not None:
                raise ValueError("Solver: test_dataiter goes with a training data iterator, not a data dict")
            self.train_iter = self.val_iter = None
            self.X_train, self.y_train = data["X_train"], data["y_train"]
            self.X_val, self.y_val = data["X_val"], data["y_val"]
        if init_rule not in INIT_RULES:
            raise ValueError(f"Solver: unknown init_rule {init_rule!r}; expected one of {', '.join(INIT_RULES)}")
        self.init_rule, self.init_config = init_rule, dict(init_config or {})
        self.print_every = print_every
        if train_acc_num_samples is not None:
            num_train_samples = train_acc_num_samples
        if isinstance(update_rule, str):
            if update_rule not in optim.RULES:
                raise ValueError(f"Solver: unknown update_rule {update_rule!r}; expected one of "
                                 f"{', '.join(optim.RULES)}")
            update_rule = optim.RULES[update_rule]
        self.update_rule = update_rule
        self.optim_config = dict(optim_config or {})
        self.lr_decay, self.batch_size, self.num_epochs = lr_decay, batch_size, num_epochs
        self.num_train_samples, self.num_val_samples = num_train_samples, num_val_samples
        self.checkpoint_name, self.verbose, self.last_batch = checkpoint_name, verbose, last_batch
        self.rng = numpy.random.default_rng(seed)
        self.iteration = 0
        if self.minpy_model is not None and set(self.minpy_model.param_configs) - set(self.model.params):
            self.init()
        self._reset()

    @property
    def train_acc_num_samples(self):
        return self.num_train_samples

    def init(self):
        """Create a ModelBase's declared parameters (each with its own init_rule/init_config, else the Solver's)
        and its auxiliary parameters."""
        m = self.minpy_model
        if m is None:
            raise TypeError("Solver.init: the model is not a ModelBase (its params are already there)")
        for name, config in m.param_configs.items():
            rule = config.get("init_rule", self.init_rule)
            if rule not in INIT_RULES:
                raise ValueError(f"Solver: unknown init_rule {rule!r} for {name!r}")
            m.params[name] = INIT_RULES[rule](config["shape"], config.get("init_config", self.init_config), self.rng)
        m.aux_params.update(m.aux_param_configs)
        self.optim_configs = {k: copy.deepcopy(self.optim_config) for k in m.params}
        return self

    def _reset(self):
        self.epoch = 0
        self.best_val_acc = 0.0
        self.best_params = {}
        self.loss_history, self.train_acc_history, self.val_acc_history = [], [], []
        self.optim_configs = {k: copy.deepcopy(self.optim_config) for k in self.model.params}

    # ------------------------------------------------------------ training
    def _step(self, X, y):
        from ..autodiff import value_and_grad

        loss, grads = value_and_grad(lambda p: self.model.loss(p, X, y, train=True))(self.model.params)
        for k, w in self.model.params.items():
            self.model.params[k], self.optim_configs[k] = self.update_rule(w, grads[k], self.optim_configs[k])
        return _scalar(loss)

    def _bar(self, batches):
        if not self.verbose or self.print_every:
            return batches
        try:
            from tqdm.auto import tqdm
        except ImportError:  # tqdm is an optional extra: fall back to one line per epoch
            return batches
        return tqdm(batches, desc=f"epoch {self.epoch + 1}/{self.num_epochs}", leave=False, file=sys.stdout,
                    unit="batch")

    def train(self):
        """Run num_epochs epochs; afterwards model.params holds the best validation epoch's parameters."""
        for _ in range(self.num_epochs):
            self.train_epoch()
        if self.best_params:
            self.model.params = dict(self.best_params)
        return self

    def _batches(self):
        if self.train_iter is None:
            return Batches(self.X_train, self.y_train, batch_size=self.batch_size, shuffle=True,
                           last=self.last_batch, seed=self.rng)
        self.train_iter.reset()
        return ((b.data[0], b.label[0]) for b in self.train_iter)

    def train_epoch(self):
        batches = self._batches()
        bar = self._bar(batches)
        for X, y in bar:
            loss = self._step(_minarray(X), y)
            self.loss_history.append(loss)
            if bar is not batches:
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
            if self.verbose and self.print_every and self.iteration % self.print_every == 0:
                print(f"(iteration {self.iteration + 1}, epoch {self.epoch + 1}) loss {loss:.6f}", flush=True)
            self.iteration += 1
        self.epoch += 1
        for c in self.optim_configs.values():
            if "learning_rate" in c:  # the rule has filled in its default by now
                c["learning_rate"] *= self.lr_decay
        if self.train_iter is None:
            train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
            val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
        else:
            train_acc = self.check_accuracy(self.train_iter, num_samples=self.num_train_samples)
            val_acc = self.check_accuracy(self.val_iter, num_samples=self.num_val_samples)
        self.train_acc_history.append(train_acc)
        self.val_acc_history.append(val_acc)
        if val_acc > self.best_val_acc or not self.best_params:
            self.best_val_acc = max(val_acc, self.best_val_acc)
            self.best_params = dict(self.model.params)
        if self.checkpoint_name:
            self.save_checkpoint(f"{self.checkpoint_name}_epoch_{self.epoch}.npz")
        if self.verbose:
            print(f"epoch {self.epoch}/{self.num_epochs}: loss {self.loss_history[-1]:.4f}, "
                  f"train acc {train_acc:.3f}, val acc {val_acc:.3f}", flush=True)
        return val_acc

    # ------------------------------------------------------------ evaluation
    def predict(self, X, batch_size=200):
        out = []
        for i in range(0, len(X), batch_size):
            scores = self.model.loss(self.model.params, _minarray(X[i:i + batch_size]))
            out.append(numpy.argmax(scores.asnumpy(), axis=1))
        return numpy.concatenate(out) if out else numpy.zeros(0, dtype=numpy.int64)

    def check_accuracy(self, X, y=None, num_samples=None, batch_size=200):
        """Fraction of (a random subsample of num_samples of) X classified as y; X may be a data iterator instead
        of X and y (MinPy's check_accuracy(dataiter, num_samples))."""
        if y is None and _is_iterator(X):
            return self._iterator_accuracy(X, num_samples)
        y = y.asnumpy() if type(y) is MinArray else numpy.asarray(y)
        if num_samples is not None and len(X) > num_samples:
            idx = self.rng.choice(len(X), num_samples, replace=False)
            X, y = X[idx], y[idx]
        return float(numpy.mean(self.predict(X, batch_size) == y))

    def _iterator_accuracy(self, it, num_samples):
        if num_samples is not None and getattr(it, "num_data", 0) > num_samples and hasattr(it, "getsubiter"):
            seeded = {"seed": self.rng} if isinstance(it, NDArrayIter) else {}
            it = it.getsubiter(num_samples, **seeded)
        it.reset()
        right = total = 0
        for b in it:
            keep = len(b.label[0]) - (b.pad or 0)  # padded samples repeat others: not counted
            scores = self.model.loss(self.model.params, _minarray(b.data[0]))
            pred = numpy.argmax(scores.asnumpy(), axis=1)[:keep]
            right += int(numpy.sum(pred == _minarray(b.label[0]).asnumpy().reshape(-1)[:keep]))
            total += keep
        it.reset()
        return right / total if total else 0.0

    # ------------------------------------------------------------ checkpoints
    def save_checkpoint(self, path):
        """Parameters, best parameters, epoch, learning rates and histories to `path` with numpy.savez."""
        arrays = {f"param__{k}": v.asnumpy() for k, v in self.model.params.items()}
        arrays.update({f"best__{k}": v.asnumpy() for k, v in self.best_params.items()})
        arrays.update({f"lr__{k}": numpy.float64(c.get("learning_rate", numpy.nan))
                       for k, c in self.optim_configs.items()})
        numpy.savez(path, epoch=self.epoch, best_val_acc=self.best_val_acc, loss_history=self.loss_history,
                    train_acc_history=self.train_acc_history, val_acc_history=self.val_acc_history, **arrays)
        return path

    def load_checkpoint(self, path):
        """Restore what save_checkpoint wrote (the update rules' moment estimates start afresh)."""
        with numpy.load(path) as f:
            self.model.params = {k[7:]: np.asarray(f[k]) for k in f.files if k.startswith("param__")}
            self.best_params = {k[6:]: np.asarray(f[k]) for k in f.files if k.startswith("best__")}
            self.optim_configs = {k: copy.deepcopy(self.optim_config) for k in self.model.params}
            for k in f.files:
                if k.startswith("lr__") and not numpy.isnan(f[k]):
                    self.optim_configs[k[4:]]["learning_rate"] = float(f[k])
            self.epoch, self.best_val_acc = int(f["epoch"]), float(f["best_val_acc"])
            self.loss_history = f["loss_history"].tolist()
            self.train_acc_history = f["train_acc_history"].tolist()
            self.val_acc_history = f["val_acc_history"].tolist()
        return self
