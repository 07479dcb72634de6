"""nn.io.NDArrayIter (MinPy's data iterator): batches over MinArrays or NumPy arrays, MinPy's padding, discard,
one shuffle when it is made, names and shapes, sub-iterators."""
import numpy
import pytest

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.nn.io import NDArrayIter


def data(n=10):
    X = numpy.arange(n * 2, dtype=float).reshape(n, 2)
    return X, numpy.arange(n)


@pytest.mark.parametrize("kind", [numpy.asarray, np.asarray])  # a list means several arrays, as in MinPy
def test_batches_in_order_with_padding_from_the_start(kind):
    X, y = data()
    it = NDArrayIter(kind(X), kind(y), batch_size=4)
    batches = list(it)
    assert [b.label[0].tolist() for b in batches] == [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 1]]
    assert [b.pad for b in batches] == [0, 0, 2] and it.getnumiterations() == 3
    assert all(isinstance(b.data[0], mp.MinArray) for b in batches)
    numpy.testing.assert_array_equal(batches[2].data[0].asnumpy(), X[[8, 9, 0, 1]])
    assert list(it) == []  # exhausted until reset, as MXNet's iterators
    it.reset()
    assert len(list(it)) == 3


def test_discard_and_shuffle_once():
    X, y = data()
    it = NDArrayIter(X, y, batch_size=4, shuffle=True, last_batch_handle="discard", seed=1)
    first = [b.label[0].tolist() for b in it]
    assert len(first) == 2 and it.num_data == 8
    for b in (b for b in NDArrayIter(X, y, batch_size=4, shuffle=True, seed=1)):
        numpy.testing.assert_array_equal(b.data[0].asnumpy()[:, 0] / 2, b.label[0].asnumpy())  # rows stay paired
    it.reset()
    assert [b.label[0].tolist() for b in it] == first  # the order was drawn once, when the iterator was made
    assert first != [[0, 1, 2, 3], [4, 5, 6, 7]]


def test_names_shapes_and_several_arrays():
    X, y = data()
    it = NDArrayIter({"img": X, "aux": X[:, :1]}, y, batch_size=5)
    assert it.provide_data == [("img", (5, 2)), ("aux", (5, 1))]
    assert it.provide_label == [("softmax_label", (5,))]
    b = next(it)
    assert len(b.data) == 2 and b.data[1].shape == (5, 1)
    assert NDArrayIter([X, X], batch_size=5).provide_data == [("_0_data", (5, 2)), ("_1_data", (5, 2))]
    assert NDArrayIter(X, batch_size=5).provide_label == [] and next(NDArrayIter(X, batch_size=5)).label == []


def test_subiter_and_errors():
    X, y = data()
    sub = NDArrayIter(X, y, batch_size=4).getsubiter(6, seed=0)
    labels = sum((b.label[0].tolist()[:4 - b.pad] for b in sub), [])
    assert len(labels) == 6 and len(set(labels)) == 6
    with pytest.raises(ValueError, match="differ in length"):
        NDArrayIter(X, y[:5])
    with pytest.raises(ValueError, match="batch_size"):
        NDArrayIter(X, y, batch_size=11)
    with pytest.raises(ValueError, match="last_batch_handle"):
        NDArrayIter(X, y, last_batch_handle="roll_over")
