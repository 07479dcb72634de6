"""MinPy's model interface: ModelBase.

    class Net(ModelBase):
        def __init__(self):
            super().__init__()
            self.add_param("w", (784, 10)).add_param("b", (10,))
        def forward(self, X, mode):            # mode: 'train' or 'test'
            return layers.affine(X, self.params["w"], self.params["b"])
        def loss(self, predict, y):
            return layers.softmax_loss(predict, y)

`nn.Solver` creates the declared parameters (its init_rule, or a per-parameter `init_rule`/`init_config` given to
add_param) and trains them; `self.params` holds the MinArrays.
"""
import numpy

import minpy_array.numpy as np


class ModelBase:
    def __init__(self):
        self.params = {}
        self.param_configs = {}
        self.aux_params = {}
        self.aux_param_configs = {}

    def add_param(self, name, shape, **config):
        """Declare a trained parameter (`init_rule`, `init_config` may override the Solver's); returns self."""
        if name in self.param_configs:
            raise ValueError(f"add_param: duplicate parameter name {name!r}")
        self.param_configs[name] = {"shape": tuple(shape), **config}
        return self

    def add_params(self, param_configs):
        """Declare several: {name: {'shape': shape, ...}} (what Function.get_params() returns); returns self."""
        for name, config in param_configs.items():
            self.add_param(name, **config)
        return self

    def add_aux_param(self, name, value):
        """An auxiliary (not trained) parameter, e.g. batchnorm's running statistics; returns self."""
        if name in self.aux_param_configs:
            raise ValueError(f"add_aux_param: duplicate auxiliary parameter name {name!r}")
        self.aux_param_configs[name] = value
        return self

    def forward_batch(self, batch, mode):
        return self.forward(batch.data[0], mode)

    def loss_batch(self, batch, forward_outputs):
        return self.loss(forward_outputs, batch.label[0])

    def forward(self, X, mode):
        raise NotImplementedError(f"{type(self).__name__}.forward(X, mode)")

    def loss(self, predict, y):
        raise NotImplementedError(f"{type(self).__name__}.loss(predict, y)")

    def save(self, prefix):
        """Parameters and auxiliary parameters to '<prefix>.params'.
        Note: a NumPy .npz archive under that name; MinPy wrote HDF5 (h5py), which minpy_array does not need."""
        arrays = {f"param_{k}": v.asnumpy() for k, v in self.params.items()}
        arrays.update({f"aux_param_{k}": numpy.asarray(v) for k, v in self.aux_params.items()})
        with open(f"{prefix}.params", "wb") as f:
            numpy.savez(f, **arrays)

    def load(self, prefix):
        """What save(prefix) wrote, into self.params and self.aux_params."""
        with numpy.load(f"{prefix}.params") as f:
            for key in f.files:
                table, name = (self.aux_params, key[10:]) if key.startswith("aux_param_") else (self.params, key[6:])
                table[name] = np.asarray(f[key])


__all__ = ["ModelBase"]
