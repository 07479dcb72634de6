"""The examples of issue 14 (found by running a peer autodiff library's test suite against minpy_array): each gives
the right value, or a clear TypeError where the gradient is undefined.  Every one of them was wrong or crashed."""
import numpy
import pytest

import minpy_array.numpy as np
from minpy_array.autodiff import check_grads, grad, value_and_grad

RNG = numpy.random.default_rng(14)


def _close(got, want):
    numpy.testing.assert_allclose(numpy.asarray(got.asnumpy() if hasattr(got, "asnumpy") else got), want,
                                  rtol=1e-10, atol=1e-12)


# ---------------------------------------------------------------- containers of traced values
def test_nested_list_of_traced_scalars():
    _close(grad(lambda x: np.sum(np.array([[x, 2 * x]])))(3.0), 3.0)  # was 0.0, silently


@pytest.mark.parametrize("f, want", [
    (lambda x: np.sum(np.array([x, 2 * x])), 3.0),
    (lambda x: np.mean([x, x + 2]), 1.0),
    (lambda x: np.sum([x, x * x]), 7.0),
    (lambda x: np.linalg.norm([x, x + 2]), (3.0 + 5.0) / numpy.hypot(3.0, 5.0)),
])
def test_flat_lists_of_traced_scalars(f, want):
    _close(grad(f)(3.0), want)  # each crashed in the backward pass


def test_vstack_of_an_array_to_second_order():
    check_grads(np.vstack, np.ones(2), order=2)


# ---------------------------------------------------------------- silently wrong values
def test_nan_to_num_passes_no_gradient_where_it_replaced():
    y = np.asarray([0.0, numpy.nan, numpy.inf, -numpy.inf])
    _close(grad(lambda x: np.sum(np.nan_to_num(x + y)))(np.ones(4)), [1.0, 0.0, 0.0, 0.0])


def test_cross_with_axis_keywords():
    a, b = np.asarray(RNG.normal(size=(3, 4))), np.asarray(RNG.normal(size=(4, 3)))
    check_grads(lambda a, b: np.cross(a, b, axisa=0, axisb=1, axisc=0), a, b)
    check_grads(lambda a, b: np.cross(a, b, axisa=0, axisc=0), a, b[:, None, :])


def test_eigh_of_a_non_symmetric_matrix_reads_one_triangle():
    a = np.asarray(RNG.normal(size=(3, 3)) + numpy.diag([0.0, 3.0, 6.0]))
    check_grads(lambda a: np.linalg.eigh(a)[0], a)
    check_grads(lambda a: np.linalg.eigh(a, UPLO="U")[0], a)


def test_complex_gradients_of_var_norm_eigh_svd():
    z = np.asarray(RNG.normal(size=(3, 3)) + 1j * RNG.normal(size=(3, 3)))
    check_grads(lambda z: np.var(z), z)
    check_grads(lambda z: np.linalg.norm(z), z)
    h = z + np.conj(z.T) + 6 * np.eye(3) * np.asarray([0.0, 1.0, 2.0])
    check_grads(lambda h: np.linalg.eigh(h)[0], h)
    check_grads(lambda a: np.linalg.svd(a, compute_uv=False), z)


def test_python_complex_scalars_in_grad_and_check_grads():
    _close(grad(lambda z: np.abs(z) ** 2)(3 + 4j), 6 - 8j)  # autograd's convention: df/dx - i df/dy
    _close(grad(lambda z: np.real(z * z))(3 + 4j), 6 + 8j)  # = f'(z) for the real part of a holomorphic f
    check_grads(lambda z: np.exp(z) * np.conj(z), 0.5 - 1.5j)


def test_check_grads_perturbs_the_imaginary_part_too():
    from minpy_array.autodiff import custom_vjp

    @custom_vjp
    def re_only(z):  # a wrong VJP: it ignores that f depends on Im(z)
        return np.abs(z) ** 2
    re_only.defvjp(lambda z: (np.abs(z) ** 2, z), lambda z, g: (g * 2 * np.real(z),))
    with pytest.raises(AssertionError, match="central differences"):
        check_grads(re_only, np.asarray([1.0 + 2.0j]), order=1)


@pytest.mark.parametrize("f, x, want", [
    (lambda x: np.power(x, 0.0), 0.0, 0.0),
    (np.std, 3.5, 0.0),
])
def test_nan_where_the_answer_is_finite(f, x, want):
    _close(grad(f)(x), want)


# ---------------------------------------------------------------- crashes
@pytest.mark.parametrize("f, shapes", [
    (lambda x: np.dot(x, 2.0), [(3,)]),
    (lambda a, v: np.dot(a, v), [(2, 3, 4), (4,)]),
    (lambda a, b: np.inner(a, b), [(), (4,)]),
    (lambda x: np.maximum(x, x), [()]),
    (lambda x: np.moveaxis(x, source=0, destination=1), [(2, 3)]),
    (lambda x: np.swapaxes(x, axis1=0, axis2=1), [(2, 3)]),
])
def test_former_crashes(f, shapes):
    check_grads(f, *[np.asarray(RNG.uniform(0.5, 1.5, s)) for s in shapes])


@pytest.mark.skipif(numpy.lib.NumpyVersion(numpy.__version__) >= "2.0.0",
                    reason="NumPy 2 reads b of shape (5, 4) as matrices, which do not fit a (5, 4, 4)")
def test_solve_with_a_stack_of_vectors():
    a = np.asarray(RNG.normal(size=(5, 4, 4)) + 4 * numpy.eye(4))
    check_grads(lambda a, b: np.linalg.solve(a, b), a, np.asarray(RNG.normal(size=(5, 4))))


# ---------------------------------------------------------------- missing VJPs
@pytest.mark.parametrize("f, shape", [
    (lambda z: np.angle(z * (1 + 1j)), (3,)), (lambda x: np.real_if_close(x + 0j), (3,)),
    (lambda x: np.append(x, x), (3,)), (lambda x: np.linspace(x, 2 * x, 5), ()),
    (lambda x: np.gradient(x), (5,)), (lambda x: np.kron(x, x), (2, 2)),
    (lambda x: np.partition(x, 1), (4,)), (lambda x: np.select([x > 1.0], [x], 0.5), (3,)),
    (lambda x: np.vsplit(x, 2)[0], (4, 2)), (lambda x: np.hsplit(x, 2)[1], (2, 4)),
    (lambda x: np.dsplit(x, 2)[0], (1, 2, 4)), (lambda x: np.column_stack([x, x]), (3,)),
    (lambda x: np.r_[x, 0.5, x], (3,)), (lambda x: np.c_[x, x], (3,)),
])
def test_missing_vjps(f, shape):
    x = numpy.sort(RNG.uniform(0.5, 1.5, shape).ravel()).reshape(shape) + numpy.arange(int(numpy.prod(shape))).reshape(
        shape)
    check_grads(f, np.asarray(x))


def test_ufunc_at_as_in_cs231n_word_embeddings():
    idx = np.asarray([[0, 3, 1], [3, 3, 0]])  # a batch of word indices, with repeats

    def loss(dout):
        dw = np.zeros((5, 2))
        np.add.at(dw, idx, dout)
        return np.sum(dw ** 2)
    dout = np.asarray(RNG.normal(size=(2, 3, 2)))
    check_grads(loss, dout)
    ref = numpy.zeros((5, 2))
    numpy.add.at(ref, idx.asnumpy(), dout.asnumpy())
    _close(grad(loss)(dout), 2 * ref[idx.asnumpy()])


def test_msort():
    if not hasattr(numpy, "msort"):
        pytest.skip("numpy.msort was removed in NumPy 2")
    with pytest.warns(DeprecationWarning):
        check_grads(lambda x: np.msort(x), np.asarray(RNG.permutation(6).reshape(3, 2) * 1.0))


# ---------------------------------------------------------------- MinPy's integers, check_grads' containers
def test_minpy_headline_example_with_an_integer():
    def foo(x):
        return x if x >= 0 else 2 * x
    foo_grad = grad(foo)
    g = foo_grad(3)
    assert float(g) == 1.0 and g.dtype == numpy.float64
    value, g = value_and_grad(lambda x: np.sum(x ** 2))(np.arange(3))
    assert float(value) == 5.0 and g.dtype == numpy.float64
    _close(g, [0.0, 2.0, 4.0])


def test_check_grads_takes_containers_like_grad():
    params = {"w": np.asarray(RNG.normal(size=(3, 2))), "b": [np.asarray(0.3), 1.5]}
    check_grads(lambda p, x: np.sum(np.tanh(x[0] @ p["w"] + p["b"][0]) * p["b"][1]), params,
                (np.asarray(RNG.normal(size=(4, 3))),))


# ---------------------------------------------------------------- einsum in full
@pytest.mark.parametrize("call, shapes", [
    (lambda a, b: np.einsum("...ij,...jk->...ik", a, b), [(2, 2, 3), (2, 3, 2)]),
    (lambda a: np.einsum("ii->i", a), [(3, 3)]),
    (lambda a: np.einsum("ii", a), [(3, 3)]),
    (lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), [(2, 3), (3, 2)]),
    (lambda a, b: np.einsum(a, [Ellipsis, 0], b, [0]), [(2, 3), (3,)]),
])
def test_einsum_ellipsis_repeated_indices_and_sublists(call, shapes):
    check_grads(call, *[np.asarray(RNG.normal(size=s)) for s in shapes])


def test_eigenvalues_of_general_matrices_to_first_order():
    a = np.asarray([[0.1, -2.0, 0.3], [2.0, 0.2, 0.1], [0.2, 0.1, 1.0]])  # a complex pair and a real eigenvalue
    w = numpy.linalg.eigvals(a.asnumpy())
    check_grads(lambda a: np.linalg.eigvals(a), a, order=1)
    _close(grad(lambda a: np.real(np.sum(np.linalg.eigvals(a))))(a), numpy.eye(3))  # d trace = I
    with pytest.raises(TypeError, match="linalg.eig: gradients through the eigenvectors"):
        grad(lambda a: np.real(np.sum(np.linalg.eig(a)[1])))(a)
    with pytest.raises(TypeError, match="linalg.eig: gradients through the eigenvectors"):
        grad(lambda a: np.sum(grad(lambda a: np.real(np.sum(np.linalg.eigvals(a) ** 2)))(a)))(a)
    assert w.dtype.kind == "c"
