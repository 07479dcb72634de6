"""SciPy with SCIPY_ARRAY_API=1 on MinArrays: special, stats, fft, signal, ndimage, cluster.vq, integrate (and the
few generic linalg/optimize functions) return MinArrays on the input's device matching SciPy on NumPy, float32 and
float64; grad differentiates through SciPy's namespace-generic code.  One child process per session runs every
configuration of _scipy_checks.py.
"""
import pytest
from _interop_harness import config_id, failures, run_once
from conftest import HAS_MXNET, requires_mxnet

# On a non-cpu device the checks run under `with minpy_array.device(...)`, as the README says to: SciPy's CPU-only
# functions convert back with `xp.asarray(result)` and some generic code makes helper arrays with no device=, so
# both land on the default device.
CONFIGS = [("auto", "cpu"), ("prefer_mxnet", "cpu"), ("auto", "sim:0")]
RUNNABLE = [config_id(p, d, d) for p, d in CONFIGS if HAS_MXNET or (p, d) == ("auto", "cpu")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_once("_scipy_checks.py", tmp_path_factory, RUNNABLE)


@pytest.mark.parametrize(("policy", "device"), [
    pytest.param(p, d, id=f"{p}-{d}", marks=[] if (p, d) == ("auto", "cpu") else requires_mxnet) for p, d in CONFIGS])
def test_scipy_array_api_functions_on_minarrays(policy, device, outcomes):
    results = dict(outcomes[config_id(policy, device, device)])
    stats = results.pop("_op_stats")
    assert len(results) >= 20, results
    assert stats["mxnet"] > 0 if policy == "prefer_mxnet" or device != "cpu" else stats["numpy"] > 0, stats
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} SciPy checks failed:\n" + "\n".join(bad)
