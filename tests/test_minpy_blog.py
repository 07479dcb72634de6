"""What MinPy's README and blog post show, on minpy_array (our own code): arrays print like NumPy's, also inside a
differentiated function; `if` on array values, with the gradient following the branch taken; grad of a function
with a data-dependent branch at int and float points; logaddexp falling back to NumPy next to MXNet kernels; an MXNet
convolution symbol as a Function with input_shapes, after `import mxnet as mx` first, and np.exp of its output."""
import pathlib
import subprocess
import sys
import sysconfig

import numpy
import pytest
from conftest import requires_mxnet

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.core import grad

REPO = pathlib.Path(__file__).resolve().parents[1]


def test_arrays_print_like_numpys_also_while_differentiated(capsys):
    print(np.zeros((2, 3)))
    assert capsys.readouterr().out == str(numpy.zeros((2, 3))) + "\n"

    def f(x):
        y = x * x
        print("y =", y)
        return np.sum(y)

    numpy.testing.assert_array_equal(grad(f)(np.asarray([1.0, 2.0])).asnumpy(), [2.0, 4.0])
    assert capsys.readouterr().out == "y = [1. 4.]\n"


@pytest.mark.parametrize(("x", "y", "want"), [(1.0, 2.0, 3.0), (3.0, 2.0, 4.0)])
def test_if_on_array_values(x, y, want):
    def branchy(x, y):
        if x < y:
            return x + y
        return y ** 2

    assert float(branchy(np.asarray(x), np.asarray(y))) == want
    dx, dy = grad(branchy, (0, 1))(np.asarray(x), np.asarray(y))
    assert (float(dx), float(dy)) == ((1.0, 1.0) if x < y else (0.0, 2 * y))
    with pytest.raises(ValueError, match="ambiguous"):  # an array of several values has no truth value
        branchy(np.zeros((2, 3)), np.ones((2, 3)))


def foo(x):
    if x >= 0:
        return x
    return 2 * x


def test_grad_follows_the_branch_at_float_points():
    assert float(grad(foo)(3.0)) == 1.0 and float(grad(foo)(-1.0)) == 2.0
    assert str(grad(foo)(3.0)) == "1.0"


def test_grad_at_int_points():
    # Needs ints cast to float in autodiff (issue 14): the README's foo_grad(3)
    assert float(grad(foo)(3)) == 1.0 and float(grad(foo)(-1)) == 2.0


@requires_mxnet
def test_logaddexp_falls_back_to_numpy_next_to_mxnet_kernels():
    x, y = np.zeros((2, 3)), np.ones((2, 3))
    with mp.policy("prefer_mxnet"):
        z = np.logaddexp(x, y)
        w = np.exp(z) + y
    numpy.testing.assert_allclose(z.asnumpy(), numpy.logaddexp(0.0, 1.0) * numpy.ones((2, 3)))
    numpy.testing.assert_allclose(w.asnumpy(), numpy.exp(numpy.logaddexp(0.0, 1.0)) + 1)
    stats = mp.op_stats()
    assert stats["logaddexp"]["fallback"] == 1 and stats["exp"]["mxnet"] == 1 and stats["add"]["mxnet"] == 1


@requires_mxnet
def test_convolution_function_after_import_mxnet_first():
    code = f"""
import sys, site
sys.path.append({sysconfig.get_paths()['purelib']!r})
site.addsitedir({str(REPO)!r})   # what the installed package's minpy_array_hook.pth does at start-up
import mxnet as mx
import numpy
import minpy_array.numpy as np
from minpy_array.core import Function
net = mx.sym.Convolution(mx.sym.Variable('x'), name='conv', kernel=(3, 3), num_filter=4, no_bias=True)
conv = Function(net, input_shapes={{'x', (2, 3, 6, 6)}})
assert conv.get_params() == {{'conv_weight': {{'shape': (4, 3, 3, 3)}}}}
ones = np.exp(conv(x=np.zeros((2, 3, 6, 6)), conv_weight=np.ones((4, 3, 3, 3))))
assert ones.shape == (2, 4, 4, 4) and ones.dtype == numpy.float64 and numpy.all(ones.asnumpy() == 1)
x = numpy.random.default_rng(0).normal(size=(2, 3, 6, 6))
windows = numpy.lib.stride_tricks.sliding_window_view(x, (3, 3), axis=(2, 3)).sum(axis=(1, 4, 5))
y = np.exp(conv(x=np.asarray(x), conv_weight=np.ones((4, 3, 3, 3))) / 10)
numpy.testing.assert_allclose(y.asnumpy(), numpy.exp(windows / 10)[:, None].repeat(4, axis=1), rtol=1e-12)
print("ok")
"""
    out = subprocess.run([sys.executable, "-S", "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
