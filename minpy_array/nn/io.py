"""MinPy's data iterators (MXNet's DataIter protocol): NDArrayIter over MinArrays or NumPy arrays.

    it = NDArrayIter(X, y, batch_size=100, shuffle=True, last_batch_handle="pad")
    for batch in it:              # batch.data[0], batch.label[0]: MinArrays; batch.pad: padded samples
        ...
    it.reset()                    # before the next pass

`minpy_array.nn.Batches` is the plain-Python iterator (a fresh shuffle per pass, a short last batch); NDArrayIter
keeps MinPy's conventions: the order is shuffled once, when the iterator is made, and the last batch is filled up
from the start of the data ('pad', `batch.pad` says how many) or left out ('discard').
"""
import numpy

import minpy_array.numpy as np

from .._array import MinArray

LAST_BATCH = ("pad", "discard")


class DataBatch:
    """One minibatch: `data` and `label` are lists of arrays; `pad` the number of filler samples at the end."""

    def __init__(self, data, label, pad=None, index=None):
        self.data, self.label, self.pad, self.index = data, label, pad, index


def _named(arrays, default):
    """[(name, MinArray)] from an array, a list of arrays or a dict {name: array}."""
    if arrays is None:
        return []
    if isinstance(arrays, dict):
        items = list(arrays.items())
    elif isinstance(arrays, (list, tuple)):
        items = [(default if len(arrays) == 1 else f"_{i}_{default}", a) for i, a in enumerate(arrays)]
    else:
        items = [(default, arrays)]
    return [(k, a if type(a) is MinArray else np.asarray(a)) for k, a in items]


class NDArrayIter:
    def __init__(self, data, label=None, batch_size=1, shuffle=False, last_batch_handle="pad", seed=None):
        if last_batch_handle not in LAST_BATCH:
            raise ValueError(f"NDArrayIter: last_batch_handle must be one of {LAST_BATCH}, got {last_batch_handle!r}")
        self.data = _named(data, "data")
        self.label = _named(label, "softmax_label")
        if not self.data:
            raise ValueError("NDArrayIter: no data")
        n = self.data[0][1].shape[0]
        lengths = [a.shape[0] for _, a in self.data + self.label]
        if any(m != n for m in lengths):
            raise ValueError(f"NDArrayIter: arrays differ in length ({lengths})")
        if shuffle:
            order = np.asarray(numpy.random.default_rng(seed).permutation(n))
            self.data = [(k, a[order]) for k, a in self.data]
            self.label = [(k, a[order]) for k, a in self.label]
        if last_batch_handle == "discard":
            n -= n % batch_size
        if not 0 < batch_size <= n:
            raise ValueError(f"NDArrayIter: batch_size must be in [1, {n}] (the number of samples), got {batch_size}")
        self.num_data, self.batch_size, self.last_batch_handle = n, batch_size, last_batch_handle
        self.cursor = -batch_size

    @property
    def provide_data(self):
        return [(k, (self.batch_size, *a.shape[1:])) for k, a in self.data]

    @property
    def provide_label(self):
        return [(k, (self.batch_size, *a.shape[1:])) for k, a in self.label]

    def reset(self):
        self.cursor = -self.batch_size

    hard_reset = reset

    def __iter__(self):
        return self

    def iter_next(self):
        self.cursor += self.batch_size
        return self.cursor < self.num_data

    def __next__(self):
        if not self.iter_next():
            raise StopIteration
        return DataBatch(self.getdata(), self.getlabel(), self.getpad())

    next = __next__

    def _batch(self, arrays):
        lo, hi = self.cursor, self.cursor + self.batch_size
        if hi <= self.num_data:
            return [a[lo:hi] for _, a in arrays]
        return [np.concatenate([a[lo:self.num_data], a[:hi - self.num_data]]) for _, a in arrays]

    def getdata(self):
        return self._batch(self.data)

    def getlabel(self):
        return self._batch(self.label)

    def getpad(self):
        return max(0, self.cursor + self.batch_size - self.num_data)

    def getindex(self):
        return None

    def getnumiterations(self):
        """Batches per pass."""
        return -(-self.num_data // self.batch_size)

    def getsubiter(self, num_samples, seed=None):
        """An iterator over `num_samples` samples drawn at random (without replacement)."""
        idx = np.asarray(numpy.random.default_rng(seed).permutation(self.num_data)[:num_samples])
        return NDArrayIter({k: a[idx] for k, a in self.data}, {k: a[idx] for k, a in self.label} or None,
                           min(self.batch_size, num_samples), last_batch_handle=self.last_batch_handle)


__all__ = ["NDArrayIter", "DataBatch"]
