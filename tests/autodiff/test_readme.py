"""The README's "Gradients" section: its code runs, and the limits it states hold."""
import pathlib
import re

import pytest

import minpy_array.numpy as np
from minpy_array.autodiff import grad


def test_readme_section_runs():
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Gradients", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md (Gradients)", "exec"), {})


@pytest.mark.parametrize("fun, message", [
    (lambda x: np.sum(np.real(np.linalg.eig(x)[1])), "eigenvectors are not implemented"),
    (lambda x: np.sum(np.linalg.svd(x[:, :2])[1]), "full_matrices=False"),
    (lambda x: np.sum(np.linalg.qr(x[:2, :])[1]), "rows >= columns"),
    (lambda x: np.sum(np.real(np.linalg.eigh(x * (1 + 1j) + np.conj(x.T * (1 + 1j)))[1])), "phases"),
    (lambda x: np.sum(np.exp(x, where=x > 1, out=np.zeros((3, 3)))), "where="),
    (lambda x: np.sum(np.matmul(x, x, axes=[(0, 1), (0, 1), (0, 1)])), "axes="),
    (lambda x: np.sum(np.ravel(x, order="K")), "order='C' and 'F'"),
    (lambda x: np.sum(np.pad(x, 1, mode="mean")), "mode='mean'"),
    (lambda x: np.sum(np.pad(np.ones(2), 1, constant_values=x[0, 0])), "keyword-only argument constant_values"),
    (lambda x: np.sum(np.median(x)), "median: no gradient"),
])
def test_stated_limits_raise_type_error(fun, message):
    with pytest.raises(TypeError, match=message):
        grad(fun)(np.asarray([[1.0, 2.0, 0.5], [0.3, 1.5, 2.5], [1.1, 0.2, 0.9]]))


def test_prod_beyond_first_order_at_two_zeros_raises():
    x = np.asarray([0.0, 2.0, 0.0])
    grad(lambda x: np.prod(x))(x)  # first order: exact
    with pytest.raises(TypeError, match="prod: gradients of order 2 and more at an input with two or more zeros"):
        grad(lambda x: np.sum(grad(lambda x: np.prod(x))(x)))(x)
