"""Runs many interop checks in one child process and reports their outcomes as JSON.

A check script registers functions with `@check`; each gets a Case `c` and calls `c.compare(fn, *numpy_args)`,
which runs `fn` on the NumPy arguments (the oracle) and on the same arguments as MinArrays (floating arrays cast to
the case's dtype, on the case's device), then compares the two results leaf by leaf: values within the dtype's
tolerance, and the result types the library should give (MinArrays on the input's device under dispatch, NumPy
without it, Python scalars where the library returns them).  The parent test (`run_once`) starts the script once
per session with a clean environment, for every configuration (policy, device), and fails listing every check
that did not pass.
"""
import argparse
import json
import os
import subprocess
import sys
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
CHECKS = {}


def check(fn):
    CHECKS[fn.__name__] = fn
    return fn


class Skip(Exception):
    """A check that cannot run in this environment (the reason is reported)."""


class Case:
    def __init__(self, dtype, device, expect):
        import numpy

        self.np = numpy
        self.dtype = numpy.dtype(dtype)
        self.device = device
        self.expect = expect  # "minarray": results follow the input; "numpy": the library returns NumPy
        self.compared = 0
        self.worst = 0.0  # largest |difference| / allowed difference seen

    def cast(self, a):
        np = self.np
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            return a.astype(self.dtype)
        return a

    def mine(self, a):
        """The MinArray twin of NumPy array `a` on this case's device (other values pass through)."""
        import minpy_array as mp
        import minpy_array.numpy as mnp

        if not isinstance(a, self.np.ndarray):
            return a
        with mp.device(self.device):
            return mnp.asarray(a)

    def compare(self, fn, *args, scale=1.0, expect=None, same_dtype=True, **kwargs):
        """fn(*args) on NumPy (oracle) and on MinArrays; returns the MinArray run's result."""
        args = [self.cast(a) for a in args]
        ref = fn(*args, **kwargs)
        try:
            out = fn(*[self.mine(a) for a in args], **kwargs)
            self.same(out, ref, scale=scale, expect=expect or self.expect, same_dtype=same_dtype)
        except Exception as e:
            raise type(e)(f"{_label(fn)}: {e}").with_traceback(e.__traceback__) from None
        return out

    def compare_xp(self, fn, scale=1.0):
        """fn(xp, device): a creation-style function taking `xp=`/`device=`; its NumPy result is the oracle."""
        import minpy_array as mp

        ref = fn(self.np, None)
        self.same(fn(mp, self.device), ref, scale=scale, expect=self.expect)

    def tolerances(self, scale):
        rtol, atol = (2e-3, 2e-4) if self.dtype == self.np.float32 else (1e-7, 1e-10)
        return rtol * scale, atol * scale

    def same(self, out, ref, scale=1.0, expect="minarray", where="result", same_dtype=True):
        np = self.np
        from minpy_array import MinArray

        if isinstance(ref, (tuple, list)):
            assert isinstance(out, (tuple, list)) and len(out) == len(ref), f"{where}: {type(out)} vs {type(ref)}"
            for i, (o, r) in enumerate(zip(out, ref, strict=True)):
                self.same(o, r, scale, expect, f"{where}[{i}]", same_dtype)
            return
        if isinstance(ref, dict):
            assert isinstance(out, dict) and out.keys() == ref.keys(), f"{where}: keys {out} vs {ref}"
            for k in ref:
                self.same(out[k], ref[k], scale, expect, f"{where}[{k!r}]", same_dtype)
            return
        if hasattr(ref, "_fields") or hasattr(ref, "__dataclass_fields__") or type(ref).__name__.endswith("Result"):
            names = [n for n in dir(ref) if not n.startswith("_") and not callable(getattr(ref, n))]
            for n in names:
                self.same(getattr(out, n), getattr(ref, n), scale, expect, f"{where}.{n}", same_dtype)
            return
        if isinstance(ref, np.ndarray):
            if expect == "minarray":
                assert type(out) is MinArray, f"{where}: expected a MinArray, got {type(out).__name__}"
                assert out.device == self.device, f"{where}: result on {out.device}, input on {self.device}"
                assert out.dtype == ref.dtype or not same_dtype, f"{where}: dtype {out.dtype}, NumPy gives {ref.dtype}"
            elif expect == "numpy":
                assert type(out) is np.ndarray, f"{where}: expected a NumPy array, got {type(out).__name__}"
            else:
                assert type(out) in (np.ndarray, MinArray), f"{where}: got {type(out).__name__}"
            got = np.asarray(out)
            assert got.shape == ref.shape, f"{where}: shape {got.shape}, NumPy gives {ref.shape}"
            self._close(got, ref, scale, where)
            return
        if isinstance(ref, np.generic) or (type(out) is MinArray and isinstance(ref, (int, float, complex))):
            if type(out) is MinArray:
                assert out.ndim == 0 and out.device == self.device, f"{where}: {out!r}"
            self._close(np.asarray(out), np.asarray(ref), scale, where)
            return
        if isinstance(ref, (bool, int, float, complex)):
            assert type(out) is type(ref), f"{where}: expected a Python {type(ref).__name__}, got {type(out)}"
            self._close(np.asarray(out), np.asarray(ref), scale, where)
            return
        if ref is None or isinstance(ref, str):
            assert out == ref, f"{where}: {out!r} != {ref!r}"
            return
        raise AssertionError(f"{where}: cannot compare a {type(ref).__name__}")

    def _close(self, got, ref, scale, where):
        np = self.np
        self.compared += 1
        if ref.dtype.kind in "biuUSO" and got.dtype.kind in "biuUSO":
            assert np.array_equal(got, ref), f"{where}: values differ from NumPy's"
            return
        rtol, atol = self.tolerances(scale)
        fin = np.isfinite(ref)
        big = float(np.max(np.abs(ref[fin]))) if fin.any() else 1.0
        ok = np.isclose(got, ref, rtol=rtol, atol=atol * max(1.0, big), equal_nan=True)
        both = fin & np.isfinite(got)
        if both.any():
            allowed = atol * max(1.0, big) + rtol * np.abs(ref[both])
            self.worst = max(self.worst, float(np.max(np.abs(got[both] - ref[both]) / allowed)))
        if not np.all(ok):
            bad = np.argwhere(~ok)[:3].tolist() if ref.ndim else []
            err = np.max(np.abs(got.astype(complex) - ref.astype(complex)))
            raise AssertionError(f"{where}: differs from NumPy by up to {err:.3g} (rtol {rtol:g}) at {bad}")


def _label(fn):
    name = getattr(fn, "__name__", repr(fn))
    code = getattr(fn, "__code__", None)
    return f"{name} (line {code.co_firstlineno})" if name == "<lambda>" and code else name


def main():
    """Entry point of a check script: run every registered check for each configuration and dtype; write
    {configuration: {check[dtype]: outcome, "_op_stats": ...}} as JSON to --out."""
    p = argparse.ArgumentParser()
    p.add_argument("--config", action="append", required=True,
                   help="policy@device@default_device (repeatable); checks run under `with mp.device(default)`")
    p.add_argument("--expect", default="minarray")
    p.add_argument("--dtypes", default="float32,float64")
    p.add_argument("--only", default="", help="comma-separated check names (default: all)")
    p.add_argument("--out", required=True)
    a = p.parse_args()
    import minpy_array as mp
    from minpy_array._dispatch import COLUMNS

    everything = {}
    for config in a.config:
        policy, device, default_device = config.split("@")
        results = everything[config] = {}
        mp.reset_op_stats()
        with mp.policy(policy):
            for name, fn in CHECKS.items():
                if a.only and name not in a.only.split(","):
                    continue
                for dtype in a.dtypes.split(","):
                    results[f"{name}[{dtype}]"] = _outcome(fn, Case(dtype, device, a.expect), default_device)
        stats = mp.op_stats()
        results["_op_stats"] = {k: sum(r[k] for r in stats.values()) for k in (*COLUMNS, "fallback")}
    with open(a.out, "w") as f:
        json.dump(everything, f, indent=1)


def _outcome(fn, case, default_device):
    import minpy_array as mp

    try:
        with mp.device(default_device):
            fn(case)
    except Skip as e:
        return f"skip: {e}"
    except BaseException as e:  # noqa: B036 - report every failure, keep going
        tb = traceback.extract_tb(e.__traceback__)
        frames = [f"{os.path.basename(f.filename)}:{f.lineno}" for f in tb[-4:]]
        return f"FAIL: {type(e).__name__}: {str(e)[:400]} ({' <- '.join(reversed(frames))})"
    if not case.compared:
        return "FAIL: the check compared nothing"
    return f"ok: {case.compared} comparisons, worst {case.worst:.2g} of the tolerance"


def config_id(policy, device, default_device="cpu"):
    return f"{policy}@{device}@{default_device}"


def run_once(script, tmp_path_factory, configs, *, expect="minarray", timeout=900):
    """Run check script `script` for all `configs` in ONE child process per pytest session, shared by the xdist
    workers (the first one runs it under a file lock, the others read its JSON).  Returns {config: results}.

    The child starts without SCIPY_ARRAY_API: dispatch scripts turn it on themselves through minpy_array.interop,
    before SciPy is imported.
    """
    import fcntl

    base = tmp_path_factory.getbasetemp()
    if os.environ.get("PYTEST_XDIST_WORKER"):
        base = base.parent  # shared by this session's workers
    stem = os.path.splitext(script)[0]
    out = base / f"{stem}.json"
    with open(base / f"{stem}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not out.exists():
            env = {k: v for k, v in os.environ.items() if k not in ("SCIPY_ARRAY_API", "MINPY_ARRAY_POLICY")}
            cmd = [sys.executable, "-W", "ignore", os.path.join(HERE, script), "--out", str(out),
                   "--expect", expect]
            for c in configs:
                cmd += ["--config", c]
            proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=HERE)
            if proc.returncode != 0 or not out.exists():
                raise AssertionError(f"{script} exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    return json.loads(out.read_text())


def failures(results):
    """The failed checks; skipped ones (known gaps, with their reason) are reported as a warning."""
    import warnings

    skipped = [f"{k}: {v}" for k, v in results.items() if k != "_op_stats" and v.startswith("skip")]
    if skipped:
        warnings.warn("skipped interop checks:\n" + "\n".join(skipped), UserWarning, stacklevel=2)
    return [f"{k}: {v}" for k, v in results.items() if k != "_op_stats" and v.startswith("FAIL")]


def requirement(policy, device):
    """The pytest marks of a configuration (the backend it needs must be installed), and the backend whose kernels
    must have run in it."""
    from conftest import requires_mxnet, requires_torch

    import minpy_array as mp

    wanted = policy.removeprefix("prefer_") if policy.startswith("prefer_") else mp.Device(device).backend.NAME
    marks = {"mxnet": [requires_mxnet], "torch": [requires_torch]}.get(wanted, [])
    return marks, wanted
