"""Solver: minibatch training of a model with autodiff gradients, CS231n's Solver without hand-written backprop.

A model has `params` (a dict of MinArrays) and `loss(params, X, y=None, train=False)`: the scalar training loss
when `y` is given, class scores (N, C) otherwise.  The Solver differentiates the loss with
`minpy_array.autodiff.value_and_grad`, applies an update rule from `nn.optim` to each parameter, and tracks loss,
train and validation accuracy, keeping the parameters of the best validation epoch.
"""
import copy
import sys

import numpy

import minpy_array.numpy as np

from .._array import MinArray
from . import optim
from .data import Batches


def _minarray(x):
    return x if type(x) is MinArray else np.asarray(x)


def _scalar(x):
    from .layers import value

    return float(value(x)) if type(x) is MinArray else float(x)


class Solver:
    """Train `model` on data = {'X_train', 'y_train', 'X_val', 'y_val'} (MinArrays or NumPy arrays).

    Options: update_rule (name in nn.optim.RULES or a function), optim_config (dict, copied per parameter),
    lr_decay (learning rate factor after each epoch), batch_size, num_epochs, num_train_samples (train accuracy is
    measured on this many samples; None for all), num_val_samples, checkpoint_name (save after each epoch to
    '<name>_epoch_<n>.npz'), verbose (a progress bar per epoch and a summary line; False prints nothing), seed.
    """

    def __init__(self, model, data, *, update_rule="sgd", optim_config=None, lr_decay=1.0, batch_size=100,
                 num_epochs=10, num_train_samples=1000, num_val_samples=None, checkpoint_name=None, verbose=True,
                 seed=0, last_batch="keep"):
        self.model = model
        self.X_train, self.y_train = data["X_train"], data["y_train"]
        self.X_val, self.y_val = data["X_val"], data["y_val"]
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
        self._reset()

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
        if not self.verbose:
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

    def train_epoch(self):
        batches = Batches(self.X_train, self.y_train, batch_size=self.batch_size, shuffle=True,
                          last=self.last_batch, seed=self.rng)
        bar = self._bar(batches)
        for X, y in bar:
            loss = self._step(_minarray(X), y)
            self.loss_history.append(loss)
            if bar is not batches:
                bar.set_postfix(loss=f"{loss:.4f}", refresh=False)
        self.epoch += 1
        for c in self.optim_configs.values():
            if "learning_rate" in c:  # the rule has filled in its default by now
                c["learning_rate"] *= self.lr_decay
        train_acc = self.check_accuracy(self.X_train, self.y_train, self.num_train_samples)
        val_acc = self.check_accuracy(self.X_val, self.y_val, self.num_val_samples)
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

    def check_accuracy(self, X, y, num_samples=None, batch_size=200):
        """Fraction of (a random subsample of num_samples of) X classified as y."""
        y = y.asnumpy() if type(y) is MinArray else numpy.asarray(y)
        if num_samples is not None and len(X) > num_samples:
            idx = self.rng.choice(len(X), num_samples, replace=False)
            X, y = X[idx], y[idx]
        return float(numpy.mean(self.predict(X, batch_size) == y))

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
