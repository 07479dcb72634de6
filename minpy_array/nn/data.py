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


SHAPES = {"flat": lambda d: d.data, "images": lambda d: d.images, "channels": lambda d: d.images[:, None]}


def load_digits(seed=0, n_train=1300, n_val=250, shape="flat", center=True, dtype="float32"):
    """scikit-learn's 1,797 bundled 8x8 digits (no download), scaled to [0, 1], shuffled by `seed` and split
    train / validation / test (the rest), as a Solver data dict of NumPy arrays.

    shape: "flat" (N, 64), "images" (N, 8, 8) or "channels" (N, 1, 8, 8); center: subtract the training mean.
    """
    from sklearn.datasets import load_digits as _load

    if shape not in SHAPES:
        raise ValueError(f"load_digits: shape must be one of {', '.join(SHAPES)}, not {shape!r}")
    d = _load()
    X, y = (SHAPES[shape](d) / 16.0).astype(dtype), d.target.astype(numpy.int64)
    order = numpy.random.default_rng(seed).permutation(len(y))
    X, y = X[order], y[order]
    a, b = n_train, n_train + n_val
    if center:
        X -= X[:a].mean(axis=0)
    return {"X_train": X[:a], "y_train": y[:a], "X_val": X[a:b], "y_val": y[a:b], "X_test": X[b:], "y_test": y[b:]}
