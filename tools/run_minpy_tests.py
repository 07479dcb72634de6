"""Run MinPy's README code blocks and its own test files on minpy_array, with `minpy` renamed to `minpy_array`.

    python tools/run_minpy_tests.py PATH/TO/minpy [--markdown BLOG.md ...] [--only test_io ...] [--timeout 600]

PATH/TO/minpy is a checkout of github.com/dmlc/minpy (not part of this repository).  Each python code block of its
README.md that uses minpy (and of each --markdown file, e.g. the blog post's source,
_posts/2017-01-18-minpy-the-numpy-interface-upon-mxnets-backend.md in dmlc/dmlc.github.io) runs in a fresh
interpreter; two mechanical edits
make them Python 3, and are the only other changes: Python 2 `print x` statements become `print(x)`, and a line
whose parentheses do not balance (the README's Function line lacks its closing one) gets the missing `)`.  A block
passes when it runs without an exception.  Each test file under its
tests/ is copied to a temporary directory with the module name `minpy` replaced by `minpy_array`, and run in a
fresh interpreter that starts as an installed minpy_array does (minpy_array_hook.pth processed), so a file that
imports mxnet before minpy_array runs as it would for a user.  Every top-level `test*` function is called, as nose
did; one that raises, or returns False (MinPy's tests return the result of their checks), fails.  Files that need
what this machine cannot have are listed with the reason and not run; tests whose expectations differ from
minpy_array's on purpose are run and reported as expected failures, with the reason.  Exit status 1 when a test
fails unexpectedly or an expected failure passes.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DIRS = ("unittest", "perm_test", "gpu_test", "other_test")

CANNOT_RUN = {
    "perm_test/test_cnn.py": "downloads CIFAR-10 (examples/dataset/cifar10/get_datasets.sh)",
    "perm_test/test_mlp.py": "downloads CIFAR-10 (examples/dataset/cifar10/get_datasets.sh)",
    "gpu_test/test_context.py": "needs CUDA GPUs (set_context(gpu(1)))",
    "other_test/test_caffe.py": "needs MXNet built with Caffe (mx.symbol.CaffeOp)",
}
EXPECTED_FAILURES = {
    "unittest/test_autograd.py::test_reduction":
        "max/min with ties: MinPy gives each tied element the whole gradient (a sum of 2 for two ties, not a "
        "subgradient); minpy_array splits it among them, as autograd and JAX do",
    "unittest/test_customop.py::test_customop":
        "its expected values are MinPy's float32 results (MXNet's default dtype: the loss 2.16612911224 within "
        "1e-12); minpy_array computes in NumPy's float64 (2.1661290646...), 1.1e-8 apart",
    "perm_test/test_mxnet_logistic.py::test_mxnet_logistic":
        "indexes the 0-d loss with [0] (MinPy's sum gave shape (1,)); NumPy, and minpy_array, raise IndexError",
}

DRIVER = r"""
import importlib.util, json, site, sys, traceback
site.addsitedir(sys.argv[1])  # what an installed minpy_array's site-packages does at start-up
path, out = sys.argv[2], sys.argv[3]
results = {}
try:
    spec = importlib.util.spec_from_file_location("minpy_test_module", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
except BaseException:
    results["<import>"] = ["error", traceback.format_exc()]
else:
    for name in sorted(n for n, f in vars(mod).items() if n.startswith("test") and callable(f)
                       and getattr(f, "__module__", None) == "minpy_test_module"):
        try:
            ret = getattr(mod, name)()
            results[name] = ["fail", f"{name} returned False"] if ret is False else ["pass", ""]
        except BaseException:
            results[name] = ["fail", traceback.format_exc()]
with open(out, "w") as f:
    json.dump(results, f)
"""


def renamed(source):
    return re.sub(r"\bminpy\b", "minpy_array", source)


def python3(block):
    """The two edits that make MinPy's README blocks Python 3 (see the module docstring)."""
    lines = []
    for line in block.splitlines():
        m = re.match(r"^(\s*)print (.+?)(\s*#.*)?$", line)
        if m:
            line = f"{m.group(1)}print({m.group(2)}){m.group(3) or ''}"
        code = line.split("#")[0]
        line += ")" * max(0, code.count("(") - code.count(")"))
        lines.append(line)
    return "\n".join(lines) + "\n"


def code_blocks(path):
    """The python code blocks (``` or ~~~ fences) of a markdown file that use minpy."""
    with open(path) as f:
        blocks = re.findall(r"(?:```|~~~)python\n(.*?)(?:```|~~~)", f.read(), flags=re.S)
    return [b for b in blocks if re.search(r"\bminpy\b", b)]


def run_block(i, block, tmp, timeout):
    path = os.path.join(tmp, f"readme_block_{i}.py")
    with open(path, "w") as f:
        f.write(python3(renamed(block)))
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", BLOCK_DRIVER, REPO, path], cwd=tmp, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return "fail", f"timed out after {timeout} s", time.perf_counter() - start
    return ("pass" if proc.returncode == 0 else "fail"), proc.stdout + proc.stderr, time.perf_counter() - start


BLOCK_DRIVER = r"""
import runpy, site, sys
site.addsitedir(sys.argv[1])
runpy.run_path(sys.argv[2], run_name="__main__")
"""


def run_file(rel, src, tmp, timeout):
    dst = os.path.join(tmp, rel.replace("/", "__"))
    with open(src) as f, open(dst, "w") as g:
        g.write(renamed(f.read()))
    out = dst + ".json"
    start = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, "-c", DRIVER, REPO, dst, out], cwd=tmp, capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"<file>": ["fail", f"timed out after {timeout} s"]}, time.perf_counter() - start
    if not os.path.exists(out):
        return {"<file>": ["fail", proc.stderr[-3000:]]}, time.perf_counter() - start
    with open(out) as f:
        return json.load(f), time.perf_counter() - start


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("checkout", help="a checkout of github.com/dmlc/minpy")
    p.add_argument("--markdown", nargs="*", default=[], help="more markdown files whose code blocks to run")
    p.add_argument("--only", nargs="*", default=None, help="test file names to run (e.g. test_io), no blocks")
    p.add_argument("--timeout", type=int, default=600, help="seconds per file")
    p.add_argument("-v", "--verbose", action="store_true", help="print tracebacks of failures")
    args = p.parse_args(argv)
    tests = os.path.join(args.checkout, "tests")
    if not os.path.isdir(tests):
        p.error(f"{args.checkout} has no tests/ directory: is it a checkout of dmlc/minpy?")
    counts = {"pass": 0, "fail": 0, "xfail": 0, "xpass": 0, "not run": 0}
    with tempfile.TemporaryDirectory() as tmp:
        docs = [os.path.join(args.checkout, "README.md"), *args.markdown] if args.only is None else []
        for doc in docs:
            for i, block in enumerate(code_blocks(doc)):
                status, output, secs = run_block(i, block, tmp, args.timeout)
                counts[status] += 1
                first = block.strip().splitlines()[0]
                print(f"{status.upper():8} {os.path.basename(doc)} block {i + 1} ({first[:50]}...) ({secs:.1f} s)",
                      flush=True)
                if status == "fail" or args.verbose:
                    print("    " + output.strip().replace("\n", "\n    ")[-4000:], flush=True)
        for d in DIRS:
            folder = os.path.join(tests, d)
            for name in sorted(os.listdir(folder)) if os.path.isdir(folder) else ():
                rel = f"{d}/{name}"
                if not (name.startswith("test") and name.endswith(".py")):
                    continue
                if args.only is not None and not any(o in name for o in args.only):
                    continue
                if rel in CANNOT_RUN:
                    counts["not run"] += 1
                    print(f"NOT RUN  {rel}: {CANNOT_RUN[rel]}", flush=True)
                    continue
                results, secs = run_file(rel, os.path.join(folder, name), tmp, args.timeout)
                for test, (status, detail) in results.items():
                    reason = EXPECTED_FAILURES.get(f"{rel}::{test}")
                    if reason is not None:
                        status = "xfail" if status != "pass" else "xpass"
                    counts[status if status != "error" else "fail"] += 1
                    label = {"pass": "PASS", "fail": "FAIL", "error": "FAIL", "xfail": "XFAIL", "xpass": "XPASS"}
                    print(f"{label[status]:8} {rel}::{test} ({secs:.1f} s for the file)"
                          + (f": {reason}" if reason else ""), flush=True)
                    if status in ("fail", "error", "xpass") or (args.verbose and status == "xfail"):
                        print("    " + (detail or "").strip().replace("\n", "\n    ")[-4000:], flush=True)
    print(", ".join(f"{n} {k}" for k, n in counts.items()))
    return 1 if counts["fail"] or counts["xpass"] else 0


if __name__ == "__main__":
    sys.exit(main())
