"""Differential fuzzing: random short programs on NumPy and on minpy_array under every policy.

On the cpu, `auto` runs with calibration on: every call kind is measured on first use (no size too small), the
measurement given so that one of the borrowed kernels admitted wins each kind (picked by a hash of the kind, so
torch's and MXNet's both run), so the programs exercise the calibrated engine path and the borrowed kernels.

Budget: MINPY_FUZZ_PROGRAMS programs on the cpu (default 2,000 in CI; `make fuzz` runs 50,000) and
MINPY_FUZZ_DEVICE_PROGRAMS (default 300; a tenth of MINPY_FUZZ_PROGRAMS when only that is set) on the MXNet-backed
stand-in device "sim:0".  Each test checks that its whole budget ran and prints the count (visible without -s).
"""
import os

import fuzz_engine
import pytest
from conftest import by_hash, calibration, given_timings
from hypothesis import HealthCheck, given, settings
from strategies import programs

from minpy_array.ops import _mxnet, _torch

HAS_MXNET = _mxnet.installed()
HAS_TORCH = _torch.installed()
BUDGET = int(os.environ.get("MINPY_FUZZ_PROGRAMS", "2000"))
DEVICE_BUDGET = int(os.environ.get("MINPY_FUZZ_DEVICE_PROGRAMS",
                                   max(300, BUDGET // 10) if "MINPY_FUZZ_PROGRAMS" in os.environ else 300))
POLICIES = ("auto", "numpy_only") + ("prefer_mxnet", "mxnet_only") * HAS_MXNET + ("prefer_torch", "torch_only") * \
    HAS_TORCH
SIDES = fuzz_engine.sides(POLICIES, calibrated=True)
DEVICE_SIDES = fuzz_engine.sides(("auto", "prefer_mxnet", "mxnet_only"), "sim:0")
TORCH_SIDES = fuzz_engine.sides(("auto", "prefer_torch", "torch_only"), "torch:cpu")
_SETTINGS = {"deadline": None, "database": None,
             "suppress_health_check": [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]}


def _counter():
    return {"programs": 0, "steps": 0, "not_applicable": 0}


def _report(capsys, count, where, sides):
    with capsys.disabled():
        print(f"\nfuzz ({where}): {count['programs']} programs ({count['steps']} steps) run on NumPy and on "
              f"minpy_array under {', '.join(s.name for s in sides)}; {count['not_applicable']} steps had no kernel "
              "under a <backend>_only policy" + (f"; calibration chose a borrowed kernel for {count['borrowed']} call "
                                                 "kinds" if "borrowed" in count else ""))


def test_programs_match_numpy(capsys):
    count = _counter()

    @settings(max_examples=BUDGET, **_SETTINGS)
    @given(programs)
    def fuzz(program):
        count["not_applicable"] += fuzz_engine.execute(program, SIDES)
        count["programs"] += 1
        count["steps"] += len(program["steps"])

    with calibration(given_timings(by_hash), min_size=0) as cal:
        fuzz()
        count["borrowed"] = sum(1 for r in cal.calibration() if r["backend"] != "numpy")
    _report(capsys, count, "cpu", SIDES)
    assert count["borrowed"] > 0
    assert count["programs"] >= BUDGET, count  # hypothesis did not stop short


@pytest.mark.skipif(not HAS_MXNET, reason="mxnet is not installed in this environment (the NumPy 2 CI environment "
                                          "has none: MXNet 1.9.1 pins numpy<2)")
def test_programs_match_numpy_on_an_mxnet_device(capsys):
    count = _counter()

    @settings(max_examples=DEVICE_BUDGET, **_SETTINGS)
    @given(programs)
    def fuzz(program):
        program = fuzz_engine.without_writes(program)
        count["not_applicable"] += fuzz_engine.execute(program, DEVICE_SIDES)
        count["programs"] += 1
        count["steps"] += len(program["steps"])

    fuzz()
    _report(capsys, count, "sim:0", DEVICE_SIDES)
    assert count["programs"] >= DEVICE_BUDGET, count


@pytest.mark.skipif(not HAS_TORCH, reason="torch is not installed in this environment")
def test_programs_match_numpy_on_a_torch_device(capsys):
    """torch:cpu has views, as NumPy: the programs keep their writes through slices and reshapes."""
    count = _counter()

    @settings(max_examples=DEVICE_BUDGET, **_SETTINGS)
    @given(programs)
    def fuzz(program):
        count["not_applicable"] += fuzz_engine.execute(program, TORCH_SIDES)
        count["programs"] += 1
        count["steps"] += len(program["steps"])

    fuzz()
    _report(capsys, count, "torch:cpu", TORCH_SIDES)
    assert count["programs"] >= DEVICE_BUDGET, count
