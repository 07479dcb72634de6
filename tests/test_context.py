"""minpy_array.context (MinPy's minpy.context) over minpy_array's devices."""
import threading

import pytest
from conftest import HAS_MXNET, requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.context import Context, cpu, current_context, gpu, set_context


def test_contexts_are_devices_that_print_as_minpys():
    assert str(cpu()) == "cpu(0)" and repr(gpu(1)) == "gpu(1)"
    assert cpu() == mp.Device("cpu") and gpu(1) == mp.Device("gpu", 1) and gpu(0) != cpu()
    assert cpu(3) == cpu()  # MinPy and MXNet ignored the cpu's id
    assert (gpu(2).device_type, gpu(2).device_id) == ("gpu", 2)
    assert Context(mp.Device("sim", 1)) == mp.Device("sim:1")
    with pytest.raises(ValueError, match="unknown device kind"):
        Context("tpu")


def test_with_block_sets_the_default_device():
    with Context("sim", 0) as ctx:
        assert current_context() == ctx == mp.Device("sim:0")
        if HAS_MXNET:  # arrays on the stand-in device are MXNet buffers
            assert mp.asarray([1.0]).device == mp.Device("sim:0")
        with cpu():
            assert current_context() == cpu() and np.ones(2).context == mp.Device("cpu")
        assert current_context() == ctx
    assert current_context() == cpu()
    x = np.ones(2)
    assert x.context is x.device  # MinPy's name for the device


def test_set_context_holds_for_the_calling_thread():
    seen = []

    def body():
        set_context(Context("sim", 0))
        seen.append(current_context())

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == [mp.Device("sim:0")] and current_context() == cpu()


@requires_mxnet
def test_as_mxnet_context():
    from minpy_array import mxnet as mx

    assert cpu().as_mxnet_context() == mx.cpu(0) and gpu(1).as_mxnet_context() == mx.gpu(1)
