"""Without Array API dispatch, SciPy and scikit-learn treat MinArrays as array-likes: linalg.solve,
optimize.minimize, KMeans, RandomForest ... accept them and return NumPy results equal to the NumPy run."""
import pytest
from _interop_harness import failures, run
from conftest import requires_mxnet

CONFIGS = [
    pytest.param("auto", "cpu", id="auto-cpu"),
    pytest.param("prefer_mxnet", "sim:0", id="prefer_mxnet-sim", marks=requires_mxnet),
]


@pytest.mark.parametrize(("policy", "device"), CONFIGS)
def test_numpy_only_library_code_accepts_minarrays(policy, device, tmp_path):
    results = run("_plain_checks.py", tmp_path, policy=policy, device=device, expect="numpy")
    assert len(results) >= 20, results
    results.pop("_op_stats")
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} checks failed:\n" + "\n".join(bad)
