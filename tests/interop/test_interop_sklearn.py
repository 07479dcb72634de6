"""scikit-learn's Array API dispatch on MinArrays: every supported estimator and metric matches the NumPy run and
returns MinArrays on the input's device (Python floats where sklearn returns them), float32 and float64.

One child process per session runs all checks of _sklearn_checks.py for every configuration (dispatch must be
enabled before SciPy is imported, which a shared pytest process cannot promise); each test reads its share.
"""
import pytest
from _interop_harness import config_id, failures, requirement, run_once
from conftest import HAS_MXNET, HAS_TORCH

CONFIGS = [("auto", "cpu"), ("prefer_mxnet", "cpu"), ("auto", "sim:0"), ("auto", "torch:cpu")]
RUNNABLE = [config_id(p, d) for p, d in CONFIGS if {"mxnet": HAS_MXNET, "torch": HAS_TORCH}.get(
    requirement(p, d)[1], True)]


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    return run_once("_sklearn_checks.py", tmp_path_factory, RUNNABLE)


@pytest.mark.parametrize(("policy", "device"), [
    pytest.param(p, d, id=f"{p}-{d}", marks=requirement(p, d)[0]) for p, d in CONFIGS])
def test_sklearn_estimators_and_metrics_on_minarrays(policy, device, outcomes):
    results = dict(outcomes[config_id(policy, device)])
    stats = results.pop("_op_stats")
    assert len(results) >= 40, results
    assert stats[requirement(policy, device)[1]] > 0, stats  # the backend's kernels really ran inside sklearn
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} sklearn checks failed:\n" + "\n".join(bad)
