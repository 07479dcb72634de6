"""minpy_array.dispatch.policy: MinPy's policy names and objects over minpy_array's policies, and MinPy's op
statistics calls, on the package and on the numpy face."""
import io

import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.dispatch import policy


@pytest.fixture(autouse=True)
def _restore_policy():
    old = mp.get_policy()
    yield
    mp.set_policy(old)


@pytest.mark.parametrize(("minpy", "ours", "cls"), [("prefer_mxnet", "prefer_mxnet", policy.PreferMXNetPolicy),
                                                     ("only_numpy", "numpy_only", policy.OnlyNumPyPolicy),
                                                     ("only_mxnet", "mxnet_only", policy.OnlyMXNetPolicy)])
def test_minpy_names_map_onto_ours(minpy, ours, cls):
    for name in (minpy, ours, cls()):
        mp.set_global_policy(name)
        assert mp.get_policy() == ours and mp.get_global_policy() == cls() and np.get_global_policy().name == ours
    assert policy.create(minpy) == cls() and repr(cls()) == f"{cls.__name__}()"


def test_auto_and_unknown_names():
    mp.set_global_policy("auto")
    assert isinstance(mp.get_global_policy(), policy.AutoPolicy)
    with pytest.raises(ValueError, match="unknown policy 'fastest'"):
        mp.set_global_policy("fastest")
    with pytest.raises(TypeError, match="policy name or a Policy"):
        mp.set_global_policy(3)


def test_wrap_policy_is_a_decorator_and_a_block():
    @mp.wrap_policy("only_numpy")
    def inside():
        return mp.get_policy()

    assert inside() == "numpy_only" and mp.get_policy() == "auto"
    with np.wrap_policy(policy.PreferMXNetPolicy()):
        assert mp.get_policy() == "prefer_mxnet"


def test_record_and_show_op_stat():
    np.exp(np.ones(3))
    np.record_op_stat()  # starts afresh
    for _ in range(3):
        np.tanh(np.ones(2))
    assert mp.op_stats()["tanh"]["numpy"] == 3 and "exp" not in mp.op_stats()
    out = io.StringIO()
    mp.show_op_stat(file=out)
    assert "NumPy ops (" in out.getvalue() and "  tanh: 3" in out.getvalue()


@requires_mxnet
def test_policies_choose_the_kernels():
    x = np.ones((4, 4))
    np.record_op_stat()

    @mp.wrap_policy("only_numpy")
    def on_numpy():
        return np.tanh(x)

    on_numpy()
    with mp.wrap_policy("prefer_mxnet"):
        np.tanh(x)
    mp.set_global_policy("only_mxnet")
    np.tanh(x)
    assert mp.op_stats()["tanh"]["numpy"] == 1 and mp.op_stats()["tanh"]["mxnet"] == 2
    with pytest.raises(mp.NoKernelError):
        np.logaddexp(x, x)  # MXNet has none: only_mxnet refuses
    out = io.StringIO()
    policy.OnlyMXNetPolicy().show_op_stat()  # MinPy's np.policy.show_op_stat(), prints to stdout
    mp.show_op_stat(file=out)
    assert "% of calls on MXNet" in out.getvalue()
