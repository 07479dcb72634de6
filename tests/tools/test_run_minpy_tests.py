"""tools/run_minpy_tests.py on a made-up checkout laid out as MinPy's: the rename, the two Python 3 edits of README
blocks, nose-style collection, False returns as failures, files that cannot run here, and the exit status."""
import pathlib
import subprocess
import sys
import textwrap

REPO = pathlib.Path(__file__).resolve().parents[2]

README = '''
Some text.
```python
import minpy.numpy as np
x = np.ones((2, 3)
print x.shape  # a Python 2 print
```
```python
import minpy.numpy as np
np.no_such_function()
```
```python
undefined_name  # nothing of MinPy's here: not run
```
'''
BLOG = "~~~python\nimport minpy\nfrom minpy.core import grad\nprint grad(lambda x: x * x)(3.0)\n~~~\n"

TESTS = '''
import minpy.numpy as np
from minpy.core import grad

def helper_not_a_test():
    raise AssertionError("not collected")

def test_gradient():
    assert float(grad(lambda x: x * x)(3.0)) == 6.0

def test_returns_false():
    return False

def test_raises():
    assert np.ones(1).shape == (2,)
'''


def test_runner_on_a_made_up_checkout(tmp_path):
    (tmp_path / "README.md").write_text(README)
    (tmp_path / "tests" / "unittest").mkdir(parents=True)
    (tmp_path / "tests" / "unittest" / "test_fake.py").write_text(textwrap.dedent(TESTS))
    (tmp_path / "tests" / "gpu_test").mkdir()
    (tmp_path / "tests" / "gpu_test" / "test_context.py").write_text("raise SystemExit('must not run')\n")
    (tmp_path / "blog.md").write_text(BLOG)
    out = subprocess.run([sys.executable, str(REPO / "tools" / "run_minpy_tests.py"), str(tmp_path), "--markdown",
                          str(tmp_path / "blog.md"), "-v"], capture_output=True, text=True, timeout=120)
    printed = out.stdout.splitlines()
    lines = [line for line in printed if not line.startswith("    ")]  # not what the blocks and tests printed
    assert out.returncode == 1, out.stdout + out.stderr
    assert lines[0].startswith("PASS     README.md block 1") and lines[1].startswith("FAIL     README.md block 2")
    assert any("has no attribute 'no_such_function'" in line for line in printed)
    assert lines[2].startswith("PASS     blog.md block 1") and "    (2, 3)" in printed and "    6.0" in printed
    assert not any("undefined_name" in line for line in printed)
    assert any(line.startswith("PASS     unittest/test_fake.py::test_gradient") for line in lines)
    assert any(line.startswith("FAIL     unittest/test_fake.py::test_returns_false") for line in lines)
    assert any(line.startswith("FAIL     unittest/test_fake.py::test_raises") for line in lines)
    assert not any("helper_not_a_test" in line for line in lines)
    assert any(line.startswith("NOT RUN  gpu_test/test_context.py: needs CUDA") for line in lines)
    assert lines[-1] == "3 pass, 3 fail, 0 xfail, 0 xpass, 1 not run"


def test_runner_needs_a_minpy_checkout(tmp_path):
    out = subprocess.run([sys.executable, str(REPO / "tools" / "run_minpy_tests.py"), str(tmp_path)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "no tests/ directory" in out.stderr
