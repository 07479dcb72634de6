"""Shared test set-up: hypothesis profiles, the MXNet marker, and policy fixtures."""
import os

import hypothesis
import pytest

from minpy_array.ops import _mxnet, _torch

hypothesis.settings.register_profile(
    "ci", max_examples=int(os.environ.get("MINPY_MAX_EXAMPLES", "40")), deadline=None,
    suppress_health_check=[hypothesis.HealthCheck.too_slow, hypothesis.HealthCheck.data_too_large],
    derandomize=os.environ.get("CI") == "true")
hypothesis.settings.register_profile(
    "long", max_examples=2000, deadline=None, suppress_health_check=list(hypothesis.HealthCheck))
hypothesis.settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

HAS_MXNET = _mxnet.installed()
requires_mxnet = pytest.mark.skipif(
    not HAS_MXNET, reason="mxnet is not installed in this environment (the NumPy 2 CI environment has none: "
                          "MXNet 1.9.1 pins numpy<2)")

HAS_TORCH = _torch.installed()
requires_torch = pytest.mark.skipif(
    not HAS_TORCH, reason="torch is not installed in this environment (pip install 'minpy_array[torch]')")

# every policy; under 'mxnet_only' only calls an MXNet kernel accepts can run, so most tests use these two
POLICIES = ["auto", "numpy_only", "prefer_mxnet"] if HAS_MXNET else ["auto", "numpy_only"]


@pytest.fixture(params=POLICIES)
def each_policy(request):
    """Run the test body under every policy that can run here."""
    import minpy_array as mp

    with mp.policy(request.param):
        yield request.param


@pytest.fixture(autouse=True)
def _fresh_stats():
    import minpy_array as mp

    mp.reset_op_stats()
    yield
