"""SciPy with SCIPY_ARRAY_API=1 on MinArrays: special, stats, fft, signal, ndimage, cluster.vq, integrate (and the
few generic linalg/optimize functions) return MinArrays on the input's device matching SciPy on NumPy, float32 and
float64; grad differentiates through SciPy's namespace-generic code.  One child process per session runs every
configuration of _scipy_checks.py.
"""
import pytest
from _interop_harness import config_id, failures, requirement, run_once
from conftest import HAS_MXNET, HAS_TORCH

# On a non-cpu device the checks run under `with minpy_array.device(...)`, as the README says to: SciPy's CPU-only
# functions convert back with `xp.asarray(result)` and some generic code makes helper arrays with no device=, so
# both land on the default device.
CONFIGS = [("auto", "cpu"), ("prefer_mxnet", "cpu"), ("auto", "sim:0"), ("auto", "torch:cpu")]
RUNNABLE = [config_id(p, d, d) for p, d in CONFIGS if {"mxnet": HAS_MXNET, "torch": HAS_TORCH}.get(
    requirement(p, d)[1], True)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_once("_scipy_checks.py", tmp_path_factory, RUNNABLE)


@pytest.mark.parametrize(("policy", "device"), [
    pytest.param(p, d, id=f"{p}-{d}", marks=requirement(p, d)[0]) for p, d in CONFIGS])
def test_scipy_array_api_functions_on_minarrays(policy, device, outcomes):
    results = dict(outcomes[config_id(policy, device, device)])
    stats = results.pop("_op_stats")
    assert len(results) >= 20, results
    assert stats[requirement(policy, device)[1]] > 0, stats  # the backend's kernels really ran inside SciPy
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} SciPy checks failed:\n" + "\n".join(bad)
