"""The README's "Gradients" section: its code runs, and the limits it states hold."""
import pathlib
import re

import pytest

import minpy_array.numpy as np
from minpy_array._dispatch import apply as A
from minpy_array.autodiff import grad


def test_readme_section_runs():
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("## Gradients", 1)[1].split("\n## ", 1)[0]
    code = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    exec(compile(code, "README.md (Gradients)", "exec"), {})


@pytest.mark.parametrize("fun, message", [
    (lambda x: np.sum(np.einsum("...i,...i", x, x)), "ellipses"),
    (lambda x: np.sum(np.einsum("ii", x)), "repeated"),
    (lambda x: np.sum(np.linalg.norm(x, ord=1)), "ord=1"),
    (lambda x: np.sum(A("linalg.matrix_norm", x, ord=2)), "ord=2"),
    (lambda x: np.sum(np.linalg.svd(x[:, :2])[1]), "full_matrices=False"),
    (lambda x: np.sum(np.linalg.qr(x[:2, :])[1]), "rows >= columns"),
    (lambda x: np.sum(A("clip", x, a_min=x * 0.5, a_max=2.0)), "positionally"),
])
def test_stated_limits_raise_type_error(fun, message):
    with pytest.raises(TypeError, match=message):
        grad(fun)(np.asarray([[1.0, 2.0, 0.5], [0.3, 1.5, 2.5], [1.1, 0.2, 0.9]]))
