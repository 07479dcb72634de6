"""scikit-learn's Array API dispatch on MinArrays: every supported estimator and metric matches the NumPy run and
returns MinArrays on the input's device (Python floats where sklearn returns them), float32 and float64.

One child process per (policy, device) runs all checks of _sklearn_checks.py (dispatch must be enabled before
SciPy is imported, which a shared pytest process cannot promise).
"""
import pytest
from _interop_harness import failures, run
from conftest import requires_mxnet

CONFIGS = [
    pytest.param("auto", "cpu", id="auto-cpu"),
    pytest.param("prefer_mxnet", "cpu", id="prefer_mxnet-cpu", marks=requires_mxnet),
    pytest.param("auto", "sim:0", id="auto-sim", marks=requires_mxnet),
]


@pytest.mark.parametrize(("policy", "device"), CONFIGS)
def test_sklearn_estimators_and_metrics_on_minarrays(policy, device, tmp_path):
    results = run("_sklearn_checks.py", tmp_path, policy=policy, device=device)
    assert len(results) >= 40, results
    stats = results.pop("_op_stats")
    assert stats["mxnet"] > 0 if policy == "prefer_mxnet" or device != "cpu" else stats["numpy"] > 0, stats
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} sklearn checks failed:\n" + "\n".join(bad)
