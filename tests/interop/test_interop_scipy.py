"""SciPy with SCIPY_ARRAY_API=1 on MinArrays: special, stats, fft, signal, ndimage, cluster.vq, integrate (and the
few generic linalg/optimize functions) return MinArrays on the input's device matching SciPy on NumPy, float32 and
float64; grad differentiates through SciPy's namespace-generic code.  One child process per (policy, device).
"""
import pytest
from _interop_harness import failures, run
from conftest import requires_mxnet

# On a non-cpu device the checks run under `with minpy_array.device(...)`, as the README says to: SciPy's CPU-only
# functions convert back with `xp.asarray(result)` and some generic code makes helper arrays with no device=, so
# both land on the default device.
CONFIGS = [
    pytest.param("auto", "cpu", id="auto-cpu"),
    pytest.param("prefer_mxnet", "cpu", id="prefer_mxnet-cpu", marks=requires_mxnet),
    pytest.param("auto", "sim:0", id="auto-sim", marks=requires_mxnet),
]


@pytest.mark.parametrize(("policy", "device"), CONFIGS)
def test_scipy_array_api_functions_on_minarrays(policy, device, tmp_path):
    results = run("_scipy_checks.py", tmp_path, policy=policy, device=device, **{"default-device": device})
    assert len(results) >= 20, results
    stats = results.pop("_op_stats")
    assert stats["mxnet"] > 0 if policy == "prefer_mxnet" or device != "cpu" else stats["numpy"] > 0, stats
    bad = failures(results)
    assert not bad, f"{len(bad)} of {len(results)} SciPy checks failed:\n" + "\n".join(bad)
