"""torch_ops' kernels where the parity sweep alone would not reach a path: ReLU's VJP in torch kernels (a CUDA
device's) and in one pass over a CPU tensor's memory (torch:cpu's) on the same calls."""
import numpy
import pytest
from conftest import device_for_tests, requires_torch
from hypothesis import given, settings
from hypothesis import strategies as st
from parity import same, select

import minpy_array as mp
from minpy_array.ops import _torch, torch_ops
from minpy_array.ops.numpy_ops import KERNELS

pytestmark = requires_torch


def _on(v, ctx):
    return _torch.load().from_numpy(numpy.array(v)).to(ctx) if isinstance(v, numpy.ndarray) else v


@pytest.mark.filterwarnings("ignore")  # NumPy's RuntimeWarnings on inf * 0
@settings(max_examples=60)
@given(dtype=st.sampled_from([numpy.dtype("float32"), numpy.dtype("float64")]), data=st.data())
def test_select_in_torch_kernels_and_in_one_pass_are_numpys(dtype, data):
    (g, x, y, wins), _ = data.draw(select(dtype))
    if data.draw(st.booleans(), label="one shape"):  # the C pass's case (the strategy broadcasts mostly)
        shape = numpy.broadcast_shapes(*(numpy.shape(v) for v in (g, x, y)))
        g, x = (numpy.broadcast_to(v, shape).copy() for v in (g, x))
        y = numpy.broadcast_to(y, shape).copy() if isinstance(y, numpy.ndarray) else y
    want = KERNELS["_select"](g, x, y, wins)
    ctx = _torch.context(mp.Device(device_for_tests(_torch)))
    for kernel in (torch_ops._select_composed, torch_ops._select):
        got = kernel(*(_on(v, ctx) for v in (g, x, y)), wins)
        diff = same(mp.asarray(_torch.to_numpy(got)), want, "_select")
        assert diff is None, (kernel.__name__, diff)


def test_sole_and_host_view_say_whose_memory_a_tensor_holds():
    # the C path's scaled arrays defer reading a source tensor only where sole() says its memory is its own
    torch = _torch.load()
    fresh = torch.ones(8)
    assert _torch.sole(fresh)
    view = _torch.host_view(fresh)
    assert isinstance(view, numpy.ndarray) and numpy.shares_memory(view, _torch.host_view(fresh))
    view[0] = 5
    assert fresh[0] == 5
    assert not _torch.sole(fresh)  # (a NumPy view was made: torch fixes the storage's size, for good)
    t = torch.ones(8)
    part = t[2:]
    assert not _torch.sole(t) and not _torch.sole(part)  # (a view, and its base)
    del part
    assert _torch.sole(t)
    flat = t.view(2, 4)
    assert not _torch.sole(t) and not _torch.sole(flat)
    assert not _torch.sole(torch.from_numpy(numpy.ones(8, "float32")))  # (a NumPy array's memory)
    assert _torch.host_view(torch.ones(2, dtype=torch.complex64).conj()) is None
    assert _torch.host_view(torch.ones(2, requires_grad=True)) is None
    assert _torch.empty_like(t).shape == t.shape and _torch.empty_like(t).dtype == t.dtype
