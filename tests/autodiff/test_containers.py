"""No silent wrong gradient by construction: containers of traced values (one recorded op, `_pack`), traced values
passed by keyword, declarations that cannot hide a gradient, complex arguments in every transform, in-place
NumPy functions (ufunc.at, copyto ...) on traced values, and np.r_/np.c_."""
import numpy
import pytest

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array import _dispatch
from minpy_array.autodiff import NONDIFF, check_grads, defvjp, grad, jacobian, value_and_grad, vjp

RNG = numpy.random.default_rng(7)


def _close(got, want, rtol=1e-10):
    numpy.testing.assert_allclose(got.asnumpy() if hasattr(got, "asnumpy") else got, want, rtol=rtol, atol=1e-12)


# ---------------------------------------------------------------- containers
def test_a_container_is_one_recorded_op_at_every_order():
    def f(x, y):
        return np.sum(np.array([[x, x * y], (y, 1.0)]) ** 3)
    check_grads(f, 0.7, -1.3, order=3)
    mp.reset_op_stats()
    grad(f)(0.7, -1.3)
    assert mp.op_stats()["_pack"]["numpy"] == 1


@pytest.mark.parametrize("f", [
    lambda x, y: np.sum([[x, y * x], [y * x, x]], axis=0),
    lambda x, y: np.mean(np.stack([x, y * x]), axis=-1),
    lambda x, y: np.concatenate([[x[0], y], x]),
    lambda x, y: np.where([True, False, True], x, [y, y, 2 * y]),
    lambda x, y: np.linalg.norm([x, [y, y, y]], axis=1),
    lambda x, y: np.asarray((x, x)) @ np.asarray([y, y, y]),
    lambda x, y: np.block([[x[:2], y], [y, y, y]]),
    lambda x, y: np.einsum("ij,j->i", [x, x * y], x),
])
def test_containers_in_every_kind_of_argument(f):
    check_grads(f, np.asarray(RNG.normal(size=3)), np.asarray(0.4))


def test_setitem_and_operators_with_containers():
    def f(x, y):
        out = np.zeros((2, 3))
        out[0] = [x, y, x * y]
        return out * [[y, 1.0, x]]
    check_grads(f, 0.5, 1.5)


def test_a_ragged_container_gives_numpys_error():
    with pytest.raises(ValueError, match="inhomogeneous"):
        grad(lambda x: np.sum(np.array([x, [x, x]])))(1.0)


# ---------------------------------------------------------------- keywords
def test_traced_values_passed_by_keyword():
    x, lo = np.asarray([0.2, 1.5, 3.0]), np.asarray([1.0, 1.0, 2.5])
    check_grads(lambda x, lo: np.clip(x, a_min=lo, a_max=None), x, lo)
    check_grads(lambda x, a: np.full_like(x, fill_value=a), x, 0.3)
    check_grads(lambda w: np.bincount(np.asarray([0, 1, 1]), weights=w), x)
    check_grads(lambda a, b: np.linalg.solve(a=a, b=b), np.eye(3) * 2 + 0.1, x)


def test_a_traced_keyword_only_argument_raises_naming_it():
    with pytest.raises(TypeError, match="pad.*keyword-only argument constant_values"):
        grad(lambda x: np.sum(np.pad(np.ones(2), 1, constant_values=x)))(1.0)


def test_ufunc_keywords_the_vjp_cannot_follow_raise():
    mask = np.asarray([True, False])
    with pytest.raises(TypeError, match="exp: no gradient with the keyword where="):
        grad(lambda x: np.sum(np.exp(x, where=mask, out=np.zeros(2))))(np.ones(2))
    with pytest.raises(TypeError, match="matmul: no gradient with the keyword axes="):
        grad(lambda x: np.sum(np.matmul(x, x, axes=[(0, 1), (0, 1), (0, 1)])))(np.ones((2, 2)))
    _close(grad(lambda x: np.sum(np.exp(x, dtype=numpy.float64, out=np.zeros(2))))(np.ones(2)), numpy.e)


# ---------------------------------------------------------------- declarations cannot hide a gradient
def test_a_declared_op_returning_floats_from_a_traced_input_raises():
    NONDIFF.add("test_half")
    try:
        with pytest.raises(TypeError, match="test_half: declared non-differentiable.*floating-point"):
            grad(lambda x: np.sum(_dispatch.run("test_half", lambda a: a / 2, (x,), {})))(np.ones(2))
        assert grad(lambda x: np.sum(x * _dispatch.run("test_half", lambda a: (a > 0).sum(), (x,), {})))(
            np.ones(2)).tolist() == [2.0, 2.0]  # an integer result: a constant
    finally:
        NONDIFF.discard("test_half")


def test_a_traced_argument_the_vjp_does_not_cover_raises():
    defvjp("test_scale", lambda ans, x, s: lambda g: g * s)  # no maker for s
    try:
        f = lambda x, s: np.sum(_dispatch.run("test_scale", lambda a, b: a * b, (x, s), {}))
        _close(grad(f)(np.ones(2), 3.0), [3.0, 3.0])
        with pytest.raises(TypeError, match="test_scale: no gradient is implemented with respect to its positional "
                                            "argument 1"):
            grad(f, argnums=1)(np.ones(2), 3.0)
    finally:
        from minpy_array.autodiff import VJPS
        VJPS.pop("test_scale")


# ---------------------------------------------------------------- complex arguments in every transform
def test_complex_arguments_in_every_transform():
    z = np.asarray([0.5 + 1.0j, -1.0 + 0.25j])
    value, g = value_and_grad(lambda z: np.sum(np.abs(z) ** 2))(z)
    _close(value, numpy.sum(numpy.abs(z.asnumpy()) ** 2))
    _close(g, 2 * numpy.conj(z.asnumpy()))  # df/dx - i df/dy
    out, pull = vjp(lambda z: np.exp(z), z)
    _close(pull(np.ones(2))[0], numpy.exp(z.asnumpy()))  # holomorphic: g f'(z)
    _close(jacobian(lambda z: np.sin(z) * z)(z), numpy.diag(numpy.cos(z.asnumpy()) * z.asnumpy()
                                                            + numpy.sin(z.asnumpy())))
    check_grads(lambda z, w: np.abs(z * w + np.conj(w)), z, 1.5 - 0.5j)


def test_autograd_agrees_on_the_convention():
    import autograd
    import autograd.numpy as anp

    z0 = numpy.array([0.5 + 1.0j, -1.0 + 0.25j])
    for f, af in ((lambda z: np.sum(np.abs(z) ** 2 + np.real(np.exp(z))), lambda z: anp.sum(anp.abs(z) ** 2
                                                                                             + anp.real(anp.exp(z)))),
                  (lambda z: np.var(z * 1j), lambda z: anp.var(z * 1j))):
        _close(grad(f)(np.asarray(z0)), autograd.grad(af)(z0))


def test_pytorch_returns_the_conjugate():
    torch = pytest.importorskip("torch")
    z = torch.tensor(3 + 4j, requires_grad=True)
    (z.abs() ** 2).backward()
    assert complex(z.grad) == 6 + 8j
    _close(grad(lambda z: np.abs(z) ** 2)(3 + 4j), 6 - 8j)


def test_a_phase_dependent_function_of_complex_eigenvectors_raises():
    h = np.asarray([[2.0, 1.0j], [-1.0j, 3.0]])
    with pytest.raises(TypeError, match="eigh: the function depends on the phases"):
        grad(lambda h: np.sum(np.real(np.linalg.eigh(h)[1])))(h)
    grad(lambda h: np.sum(np.abs(np.linalg.eigh(h)[1]) ** 2))(h)  # phase-free: fine


# ---------------------------------------------------------------- in-place NumPy functions on traced values
@pytest.mark.parametrize("name", ["add", "subtract", "multiply", "divide", "maximum", "minimum", "power"])
def test_ufunc_at_matches_numpy_and_differentiates(name):
    idx = np.asarray([0, 1, 1, 3, 1])
    a0, b0 = RNG.uniform(0.5, 1.5, 5), RNG.uniform(0.5, 1.5, 5)

    def f(a, b):
        a = a * 1.0
        getattr(np, name).at(a, idx, b)
        return a
    ref = a0.copy()
    getattr(numpy, name).at(ref, idx.asnumpy(), b0)
    _close(grad(lambda a, b: np.sum(f(a, b)), argnums=(0, 1))(a0, b0)[0].shape, (5,))
    out = f(np.asarray(a0), np.asarray(b0))
    _close(out, ref)
    check_grads(f, np.asarray(a0), np.asarray(b0))


def test_ufunc_at_errors_are_numpys_and_nothing_is_written():
    a = np.zeros(3)
    with pytest.raises(IndexError):
        grad(lambda b: np.sum(np.add.at(a, [5], b) or a))(1.0)
    assert a.tolist() == [0.0, 0.0, 0.0]
    with pytest.raises(TypeError, match="add.at: cannot write a traced value into a ndarray"):
        grad(lambda b: numpy.add.at(numpy.zeros(3), [0], b))(1.0)


def test_copying_in_place_functions_on_traced_values():
    def f(a, b):
        a = a * 1.0
        np.copyto(a, b, where=np.asarray([True, False, True]))
        np.put(a, [0, 2], b[:2] * 3)
        np.putmask(a, a > 2, b)
        numpy.place(a, a < 0.7, b[1:])
        return a
    a0, b0 = RNG.uniform(0.5, 1.5, 3), RNG.uniform(0.5, 1.5, 3)
    ref = a0.copy()
    numpy.copyto(ref, b0, where=numpy.array([True, False, True]))
    numpy.put(ref, [0, 2], b0[:2] * 3)
    numpy.putmask(ref, ref > 2, b0)
    numpy.place(ref, ref < 0.7, b0[1:])
    _close(f(np.asarray(a0), np.asarray(b0)), ref)
    check_grads(f, np.asarray(a0), np.asarray(b0))


# ---------------------------------------------------------------- r_ and c_
R_FORMS = [
    lambda m, x, y: m.r_[x, x], lambda m, x, y: m.r_[x, 0, 0, x], lambda m, x, y: m.r_[-1:1:6j, [0] * 3, 5, 6],
    lambda m, x, y: m.r_["-1", y, y], lambda m, x, y: m.r_["0,2", x, x], lambda m, x, y: m.r_["0,2,0", x, x],
    lambda m, x, y: m.r_["1,2,0", x, x], lambda m, x, y: m.c_[x, x], lambda m, x, y: m.r_[1:4, x],
    lambda m, x, y: m.c_[numpy.array([1.0, 2]), [[1], [2]], x[:2]], lambda m, x, y: m.c_[y, y],
    lambda m, x, y: m.r_[[1, 2], 3], lambda m, x, y: m.r_["0,3,-1", y, y], lambda m, x, y: m.r_[x.astype("f4"), 1.5],
]


@pytest.mark.parametrize("form", R_FORMS)
def test_r_and_c_match_numpy_and_differentiate(form):
    a, b = numpy.array([1.0, 2, 3]), numpy.array([[4.0, 5], [6, 7]])
    want = form(numpy, a, b)
    got = form(np, np.asarray(a), np.asarray(b))
    assert type(got) is mp.MinArray and got.shape == want.shape and got.dtype == want.dtype
    _close(got, want, rtol=0)
    if want.dtype == numpy.float64:
        check_grads(lambda x, y: form(np, x, y), np.asarray(a), np.asarray(b))


def test_r_with_a_matrix_directive_is_numpys():
    assert type(np.r_["r", 1, 2]) is numpy.matrix
    with pytest.raises(TypeError, match="matrix results"):
        grad(lambda x: np.r_["r", x, x])(1.0)
