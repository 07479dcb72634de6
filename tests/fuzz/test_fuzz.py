"""Differential fuzzing: random short programs on NumPy and on minpy_array under every policy.

Budget: MINPY_FUZZ_PROGRAMS programs (default 2,000 in CI; `make fuzz` runs 50,000).  The count of programs run is
checked at the end and printed (visible without -s; lost under xdist, so `make fuzz` runs without it).
"""
import os

import fuzz_engine
from hypothesis import HealthCheck, given, settings
from strategies import programs

from minpy_array.ops import _mxnet

BUDGET = int(os.environ.get("MINPY_FUZZ_PROGRAMS", "2000"))
POLICIES = ("auto", "numpy_only", "prefer_mxnet", "mxnet_only") if _mxnet.installed() else ("auto", "numpy_only")
SIDES = fuzz_engine.sides(POLICIES)
COUNT = {"programs": 0, "steps": 0, "not_applicable": 0}


@settings(max_examples=BUDGET, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much])
@given(programs)
def test_programs_match_numpy(program):
    COUNT["not_applicable"] += fuzz_engine.execute(program, SIDES)
    COUNT["programs"] += 1
    COUNT["steps"] += len(program["steps"])


def test_budget_was_run(capsys):
    """Runs after the fuzz test (file order): every budgeted program ran (hypothesis did not stop short)."""
    with capsys.disabled():
        print(f"\nfuzz: {COUNT['programs']} programs ({COUNT['steps']} steps) run on NumPy and on minpy_array "
              f"under {', '.join(POLICIES)}; {COUNT['not_applicable']} steps had no MXNet kernel (mxnet_only)")
    assert COUNT["programs"] >= BUDGET, COUNT
