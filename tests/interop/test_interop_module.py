"""minpy_array.interop: turning SciPy / scikit-learn dispatch on, and refusing loudly when it is too late.

Each scenario needs a fresh interpreter (SciPy reads SCIPY_ARRAY_API once, at import), so each runs in a child
process; none of them imports MXNet.
"""
import json
import os
import subprocess
import sys
import textwrap


def _child(code, **env_extra):
    env = {k: v for k, v in os.environ.items() if k != "SCIPY_ARRAY_API"}
    env.update(env_extra)
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_enable_before_import_turns_on_scipy_and_sklearn():
    out = _child("""
        import json, os, sys
        from minpy_array import interop
        before = interop.scipy_array_api_enabled()
        interop.enable_array_api_dispatch()
        import numpy, scipy.special, sklearn
        import minpy_array.numpy as mnp
        from scipy._lib._array_api_override import SCIPY_ARRAY_API
        r = scipy.special.logsumexp(mnp.asarray([[1.0, 2.0], [3.0, 4.0]]), axis=1)
        print(json.dumps({"before": before, "after": interop.scipy_array_api_enabled(),
                          "env": os.environ["SCIPY_ARRAY_API"], "scipy": bool(SCIPY_ARRAY_API),
                          "sklearn": sklearn.get_config()["array_api_dispatch"], "type": type(r).__name__,
                          "value": numpy.asarray(r).tolist()}))
    """)
    expected = [float(v) for v in __import__("numpy").logaddexp([1.0, 3.0], [2.0, 4.0])]
    assert out.pop("value") == expected
    assert out == {"before": False, "after": True, "env": "1", "scipy": True, "sklearn": True, "type": "MinArray"}


def test_enable_after_scipy_import_raises_and_changes_nothing():
    out = _child("""
        import json, os
        import scipy.special
        from minpy_array import interop
        try:
            interop.enable_array_api_dispatch(sklearn=False)
            err = None
        except RuntimeError as e:
            err = str(e)
        try:
            with interop.array_api_dispatch():
                ctx_err = None
        except RuntimeError as e:
            ctx_err = str(e)
        print(json.dumps({"err": err, "ctx_err": ctx_err, "enabled": interop.scipy_array_api_enabled(),
                          "env": os.environ.get("SCIPY_ARRAY_API")}))
    """)
    assert out["err"] is not None and "SCIPY_ARRAY_API=1" in out["err"] and "first thing" in out["err"]
    assert out["ctx_err"] == out["err"]
    assert out["enabled"] is False and out["env"] is None


def test_scoped_dispatch_with_the_variable_in_the_environment():
    out = _child("""
        import json
        import sklearn
        from sklearn.preprocessing import StandardScaler
        import minpy_array.numpy as mnp
        from minpy_array import interop
        x = mnp.asarray([[1.0, 2.0], [3.0, 5.0], [4.0, 0.0]])
        seen = [interop.scipy_array_api_enabled()]
        with interop.array_api_dispatch():
            seen.append(sklearn.get_config()["array_api_dispatch"])
            inside = type(StandardScaler().fit_transform(x)).__name__
        seen.append(sklearn.get_config()["array_api_dispatch"])
        outside = type(StandardScaler().fit_transform(x)).__name__
        print(json.dumps({"seen": seen, "inside": inside, "outside": outside}))
    """, SCIPY_ARRAY_API="1")
    assert out == {"seen": [True, True, False], "inside": "MinArray", "outside": "ndarray"}
