"""Without Array API dispatch, SciPy and scikit-learn treat MinArrays as array-likes: linalg.solve,
optimize.minimize, KMeans, RandomForest ... accept them and return NumPy results equal to the NumPy run.
One child process per session (without SCIPY_ARRAY_API) runs every configuration of _plain_checks.py."""
import pytest
from _interop_harness import config_id, failures, run_once
from conftest import HAS_MXNET, requires_mxnet

CONFIGS = [("auto", "cpu"), ("prefer_mxnet", "sim:0")]
RUNNABLE = [config_id(p, d) for p, d in CONFIGS if HAS_MXNET or (p, d) == ("auto", "cpu")]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_once("_plain_checks.py", tmp_path_factory, RUNNABLE, expect="numpy")


@pytest.mark.parametrize(("policy", "device"), [
    pytest.param(p, d, id=f"{p}-{d}", marks=[] if (p, d) == ("auto", "cpu") else requires_mxnet) for p, d in CONFIGS])
def test_numpy_only_library_code_accepts_minarrays(policy, device, outcomes):
    results = dict(outcomes[config_id(policy, device)])
    results.pop("_op_stats")
    assert len(results) >= 20, results
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} checks failed:\n" + "\n".join(bad)
