"""minpy_array.utils.gradient_checker.quick_grad_check and minpy_array.utils.minprof (MinPy's)."""
import io

import numpy

import minpy_array.numpy as np
from minpy_array.core import convert_args
from minpy_array.primitive import customop
from minpy_array.utils import gradient_checker
from minpy_array.utils.minprof import Profiler


def test_quick_grad_check_passes_right_gradients_and_fails_wrong_ones(capsys):
    rs = numpy.random.RandomState(0)
    assert gradient_checker.quick_grad_check(convert_args(lambda x: np.sum(np.tanh(x) ** 2)), rs.randn(4, 3), rs=rs)
    assert "OK" in capsys.readouterr().out

    @customop("numpy")
    def cube(x):
        return numpy.sum(x ** 3)

    cube.def_grad(lambda ans, x: lambda g: g * 2 * x ** 2)  # wrong: the derivative is 3 x^2
    assert not gradient_checker.quick_grad_check(cube, numpy.ones(3), verbose=False, rs=rs)
    cube.def_grad(lambda ans, x: lambda g: g * 3 * x ** 2)
    assert gradient_checker.quick_grad_check(cube, numpy.ones(3), verbose=False, rs=rs)


def test_minprof_counts_calls_and_blocks():
    prof = Profiler()

    @prof
    def countdown(n):
        return n if n == 0 else countdown(n - 1)

    countdown(4)
    with prof("setup"):
        sum(range(100))
    with prof():
        pass
    stats = prof.get_stats()
    (calls, secs), = [v for k, v in stats.items() if "countdown" in k]
    assert calls == 5 and secs >= 0 and stats["setup"][0] == 1
    assert any(k.startswith(__file__ + ":") for k in stats if "countdown" not in k)  # a block labelled by its line
    out = io.StringIO()
    prof.print_stats(out)
    assert "calls" in out.getvalue() and "setup" in out.getvalue()
