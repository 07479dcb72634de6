"""Minibatches over MinArrays or NumPy arrays."""
import numpy

LAST = ("keep", "drop")


class Batches:
    """Iterate over aligned arrays (X, y, ...) in minibatches of `batch_size` along axis 0.

    shuffle: a new permutation each pass (seeded by `seed`, an int or numpy Generator); last: 'keep' yields a
    short final batch, 'drop' leaves it out.  Batches are slices of the inputs, of the same type (MinArray or
    NumPy array); len() is the number of batches per pass.
    """

    def __init__(self, *arrays, batch_size=64, shuffle=True, last="keep", seed=None):
        if not arrays:
            raise ValueError("Batches: give at least one array")
        n = len(arrays[0])
        if any(len(a) != n for a in arrays):
            raise ValueError(f"Batches: arrays differ in length ({[len(a) for a in arrays]})")
        if last not in LAST:
            raise ValueError(f"Batches: last must be one of {LAST}, got {last!r}")
        if batch_size < 1:
            raise ValueError(f"Batches: batch_size must be positive, got {batch_size}")
        self.arrays, self.n, self.batch_size, self.shuffle, self.last = arrays, n, batch_size, shuffle, last
        self.rng = seed if isinstance(seed, numpy.random.Generator) else numpy.random.default_rng(seed)

    def __len__(self):
        full, rest = divmod(self.n, self.batch_size)
        return full + (1 if rest and self.last == "keep" else 0)

    def __iter__(self):
        order = self.rng.permutation(self.n) if self.shuffle else None
        for i in range(len(self)):
            lo, hi = i * self.batch_size, min((i + 1) * self.batch_size, self.n)
            if order is None:
                batch = tuple(a[lo:hi] for a in self.arrays)
            else:
                idx = order[lo:hi]
                batch = tuple(a[idx] for a in self.arrays)
            yield batch if len(batch) > 1 else batch[0]
