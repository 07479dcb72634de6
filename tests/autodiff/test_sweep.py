"""The sweep: every op of the NumPy face that has a VJP or is declared non-differentiable, called the ways NumPy
documents (positional and keyword arguments, negative and tuple axes, 0-d arrays, Python scalars, lists of traced
values, complex numbers), checked against central differences to second order (check_grads), on every target of
TARGETS.  Fixed seeds: the same inputs every run (test_vjps.py draws its inputs with hypothesis instead).

Each form must also reach its op (op_stats), so a face name that stops reaching the VJP table fails here."""
import warnings

import numpy
import pytest
from conftest import TEST_DEVICES, requires_mxnet, requires_torch

import minpy_array as mp
import minpy_array.numpy as np
from minpy_array.autodiff import NONDIFF, VJPS, check_grads

# (device, policy) pairs the sweep runs under: one line each
TARGETS = [
    pytest.param(("cpu", "numpy_only"), id="cpu-numpy_only"),
    pytest.param(("cpu", "prefer_mxnet"), id="cpu-prefer_mxnet", marks=requires_mxnet),
    pytest.param(("torch:cpu", "auto"), id="torch:cpu", marks=requires_torch),
] + [pytest.param((device, "auto"), id=device) for device in TEST_DEVICES.values()]
NUMPY2 = numpy.lib.NumpyVersion(numpy.__version__) >= "2.0.0"


# ---------------------------------------------------------------- inputs
def _distinct(rng, shape):
    n = int(numpy.prod(shape))
    return (rng.permutation(n) * 0.37 - 0.3 * n / 2 + rng.uniform(0, 0.05, n)).reshape(shape)


def _spread(rng, shape):  # well separated singular values, dense
    d = numpy.zeros(shape[-2:])
    k = min(shape[-2:])
    d[numpy.arange(k), numpy.arange(k)] = 1.0 + 1.5 * numpy.arange(k)
    return rng.uniform(-1, 1, shape) * 0.05 + d + 0.2


# domain -> (rng, shape) -> values: real, and complex (branch cuts and poles kept away)
REAL = {
    "r": lambda rng, s: rng.uniform(-2, 2, s),
    "p": lambda rng, s: rng.uniform(0.5, 2, s),
    "u": lambda rng, s: rng.uniform(-0.8, 0.8, s),
    "g1": lambda rng, s: rng.uniform(1.2, 3, s),
    "nz": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.3, 2, s),
    "q": lambda rng, s: rng.integers(-4, 4, s) * 0.5 + rng.uniform(0.15, 0.35, s),  # away from multiples of 0.5
    "d": _distinct,
    "dp": lambda rng, s: numpy.abs(_distinct(rng, s)) + 0.5 + numpy.arange(int(numpy.prod(s))).reshape(s) * 0.01,
    "wc": lambda rng, s: rng.uniform(-1, 1, s) * 0.3 + 2.0 * numpy.eye(s[-1]),
    "sp": _spread,
}
CPLX = {
    "r": lambda rng, s: rng.uniform(-1.5, 1.5, s) + 1j * rng.uniform(-1.5, 1.5, s),
    "p": lambda rng, s: rng.uniform(0.5, 2, s) + 1j * rng.uniform(-1, 1, s),
    "u": lambda rng, s: rng.uniform(-0.5, 0.5, s) + 1j * rng.uniform(-0.5, 0.5, s),
    "g1": lambda rng, s: rng.uniform(1.5, 3, s) + 1j * rng.uniform(0.2, 1, s),
    "nz": lambda rng, s: rng.choice([-1.0, 1.0], s) * rng.uniform(0.4, 2, s) + 1j * rng.uniform(-1, 1, s),
    "q": lambda rng, s: REAL["q"](rng, s) + 1j * REAL["q"](rng, s),
    "d": lambda rng, s: _distinct(rng, s) + 1j * rng.uniform(-1, 1, s),
    "wc": lambda rng, s: (rng.uniform(-1, 1, s) + 1j * rng.uniform(-1, 1, s)) * 0.3 + 2.0 * numpy.eye(s[-1]),
    "sp": lambda rng, s: _spread(rng, s) + 0.05j * rng.uniform(-1, 1, s),
}


class F:
    """One call: fn(*inputs), inputs drawn as (shape, domain) (a bare shape: domain "r"), complex where c=True;
    check_grads' order and tolerances as given."""

    def __init__(self, fn, *specs, c=False, order=2, **tol):
        self.fn, self.c, self.order, self.tol = fn, c, order, tol
        self.specs = [s if len(s) == 2 and isinstance(s[1], str) else (s, "r") for s in specs]

    def inputs(self, seed):
        rng = numpy.random.default_rng(seed)
        out = []
        for shape, dom in self.specs:
            if dom == "apart":  # the previous input plus an offset of 0.15..1 either way (max, min, clip: no ties)
                out.append(out[-1] + REAL["nz"](rng, shape) * 0.5)
            elif dom == "ratio":  # a positive divisor; the previous input 0.15..0.35 of it past one of its multiples
                y = rng.uniform(0.5, 1.5, shape)
                out[-1] = y * REAL["q"](rng, numpy.broadcast_shapes(numpy.shape(out[-1]), shape))
                out.append(y)
            else:
                out.append((CPLX if self.c else REAL)[dom](rng, shape))
        return [numpy.asarray(v, dtype=numpy.complex128 if self.c else numpy.float64) for v in out]


def _face_has(path):
    obj = numpy
    for part in path.split("."):
        obj = getattr(obj, part, None)
    return obj is not None


def ns(path):
    """The face's function where this NumPy has it (NumPy 2 has the Array API names), else the namespace's."""
    obj = np if _face_has(path) else mp
    for part in path.split("."):
        obj = getattr(obj, part)
    return obj


# the Array API names that the face has only on NumPy 2 (the namespace computes them with other ops before)
SPEC_ONLY = ("cumulative_prod", "cumulative_sum", "linalg.cross", "linalg.diagonal", "linalg.matmul",
             "linalg.matrix_norm", "linalg.matrix_transpose", "linalg.outer", "linalg.svdvals", "linalg.tensordot",
             "linalg.trace", "linalg.vecdot", "matrix_transpose", "permute_dims", "unique_values", "unique_all",
             "unique_counts", "unique_inverse")
M, V, S0, T = (2, 3), (3,), (), (2, 3, 2)
L = np.linalg


def _mask(x):
    return np.asarray(numpy.arange(x.size).reshape(x.shape) % 3 != 1)


def _herm(a):
    return (a + np.conj(np.swapaxes(a, -1, -2))) / 2


def _spd(a):
    return a @ np.conj(np.swapaxes(a, -1, -2)) + 3 * np.eye(a.shape[-1])


def _gauge_free(v):  # |v|^2: independent of the phase of each eigen/singular vector
    return np.real(v * np.conj(v))


def _set(x, key, v):
    x = x * 1.0
    x[key] = v
    return x


# ---------------------------------------------------------------- ufuncs: generated forms
UNARY = {  # face name: (real domain, complex domain or None)
    "negative": ("r", "r"), "positive": ("r", "r"), "absolute": ("nz", "nz"), "fabs": ("nz", None),
    "exp": ("r", "r"), "exp2": ("r", "r"), "expm1": ("r", "r"), "log": ("p", "p"), "log2": ("p", "p"),
    "log10": ("p", "p"), "log1p": ("p", "p"), "sqrt": ("p", "p"), "cbrt": ("nz", None), "square": ("r", "r"),
    "reciprocal": ("nz", "nz"), "sin": ("r", "r"), "cos": ("r", "r"), "tan": ("u", "u"), "arcsin": ("u", "u"),
    "arccos": ("u", "u"), "arctan": ("r", "u"), "sinh": ("r", "r"), "cosh": ("r", "r"), "tanh": ("r", "u"),
    "arcsinh": ("r", "u"), "arccosh": ("g1", "g1"), "arctanh": ("u", "u"), "deg2rad": ("r", None),
    "radians": ("r", None), "rad2deg": ("r", None), "degrees": ("r", None), "sign": ("nz", "nz"),
    "floor": ("q", None), "ceil": ("q", None), "trunc": ("q", None), "rint": ("q", "q"), "spacing": ("q", None),
    "conjugate": ("r", "r"),
}
BINARY = {  # face name: (domains, a Python scalar for each side or None, complex)
    "add": (("r", "r"), (2.5, -1.5), True), "subtract": (("r", "r"), (2.5, -1.5), True),
    "multiply": (("r", "r"), (2.5, -1.5), True), "divide": (("r", "nz"), (2.5, -1.5), True),
    "true_divide": (("r", "nz"), (2.5, -1.5), True), "power": (("p", "r"), (1.7, 2.5), True),
    "float_power": (("p", "r"), (1.7, 2.5), True), "maximum": (("r", "apart"), (5.0, -5.0), True),
    "minimum": (("r", "apart"), (5.0, -5.0), True), "fmax": (("r", "apart"), (5.0, -5.0), True),
    "fmin": (("r", "apart"), (5.0, -5.0), True), "arctan2": (("nz", "nz"), (1.5, -0.5), False),
    "hypot": (("nz", "nz"), (1.5, -0.5), False), "copysign": (("nz", "nz"), (1.5, -0.5), False),
    "logaddexp": (("r", "r"), (1.5, -0.5), False), "logaddexp2": (("r", "r"), (1.5, -0.5), False),
    "remainder": (("r", "ratio"), (None, None), False), "mod": (("r", "ratio"), (None, None), False),
    "fmod": (("r", "ratio"), (None, None), False), "floor_divide": (("r", "ratio"), (None, None), False),
    "nextafter": (("r", "apart"), (5.0, -5.0), False), "heaviside": (("nz", "r"), (None, 0.5), False),
}


def unary(name, dom, cdom):
    uf = getattr(np, name)
    forms = [F(lambda x: uf(x), (M, dom)), F(lambda x: uf(x), (S0, dom)),
             F(lambda a, b: uf([a, b]), (S0, dom), (S0, dom)),  # a list of traced 0-d values
             F(lambda x: uf(x, dtype=numpy.float64), (V, dom)), F(lambda x: uf(x, out=np.zeros(3)), (V, dom))]
    if cdom:
        forms.append(F(lambda z: uf(z), (M, cdom), c=True))
    return forms


def binary(name, doms, scalars, cplx):
    uf = getattr(np, name)
    d0, d1 = doms
    forms = [F(lambda x, y: uf(x, y), (M, d0), (M, d1)), F(lambda x, y: uf(x, y), (S0, d0), (S0, d1))]
    if d1 not in ("apart", "ratio"):
        forms.append(F(lambda x, y: uf(x, y), (M, d0), (V, d1)))  # broadcasting
        forms.append(F(lambda x, a, b: uf(x, [a, b, a]), (M, d0), (S0, d1), (S0, d1)))
    if scalars[1] is not None:
        forms.append(F(lambda x: uf(x, scalars[1]), (V, d0)))
    if scalars[0] is not None:
        forms.append(F(lambda y: uf(scalars[0], y), (V, d1 if d1 not in ("apart", "ratio") else "r")))
    if cplx:
        forms.append(F(lambda x, y: uf(x, y), (M, d0), (M, d1 if d1 != "apart" else "r"), c=True))
    return forms


def reduction(name, dom="r", where=True, cplx=True, ddof=False):
    f = getattr(np, name)
    forms = [F(lambda x: f(x), (M, dom)), F(lambda x: f(x, -1), (M, dom)), F(lambda x: f(x, axis=0), (M, dom)),
             F(lambda x: f(x, axis=(0, -1), keepdims=True), ((2, 2, 3), dom)), F(lambda x: f(x), (S0, dom)),
             F(lambda a, b: f([a, b, a]), (S0, dom), (S0, dom))]
    if where:
        forms.append(F(lambda x: f(x, axis=1, where=_mask(x)), (M, dom)))
    if ddof:
        forms.append(F(lambda x: f(x, 0, None, None, 1), (M, dom)))
        forms.append(F(lambda x: f(x, axis=-1, ddof=1, keepdims=True), (M, dom)))
    if cplx:
        forms.append(F(lambda z: f(z, axis=-1), (M, dom), c=True))
    return forms


# ---------------------------------------------------------------- the table: op name -> forms
def elementwise(s):
    for name, (dom, cdom) in UNARY.items():
        s[name] = unary(name, dom, cdom)
    for name, (doms, scalars, cplx) in BINARY.items():
        s[name] = binary(name, doms, scalars, cplx)
    s["abs"] = [F(lambda x: np.abs(x), (M, "nz")), F(lambda z: abs(z), (M, "nz"), c=True)]
    s["conj"] = [F(lambda z: np.conj(z), M, c=True), F(lambda z: z.conj(), M, c=True)]
    s["real"] = [F(lambda z: np.real(z), M, c=True), F(lambda x: np.real(x), M), F(lambda z: z.real, M, c=True)]
    s["imag"] = [F(lambda z: np.imag(z), M, c=True), F(lambda x: np.imag(x) + x, M), F(lambda z: z.imag, M, c=True)]
    s["angle"] = [F(lambda z: np.angle(z), (M, "nz"), c=True), F(lambda z: np.angle(z, deg=True), (V, "nz"), c=True),
                  F(lambda x: np.angle(x) * x, (M, "nz"))]
    s["real_if_close"] = [F(lambda x: np.real_if_close(x * (1 + 0j)), M), F(lambda z: np.real_if_close(z), M, c=True)]
    s["round"] = [F(lambda x: np.round(x) * x, (M, "q")), F(lambda x: np.round(x, 1) + x, (M, "q")),
                  F(lambda z: np.round(z, decimals=0) * z, (M, "q"), c=True)]
    s["fix"] = [F(lambda x: np.fix(x) * x, (M, "q"))]
    s["sinc"] = [F(lambda x: np.sinc(x), (M, "nz")), F(lambda z: np.sinc(z), (V, "nz"), c=True)]
    # a NumPy constant, which goes to x's device (the default replacement of inf, 1.8e308, would swamp the check)
    bad = numpy.asarray([0.0, numpy.nan, numpy.inf])
    s["nan_to_num"] = [F(lambda x: np.nan_to_num(x + bad, posinf=3.0), M),
                       F(lambda x: np.nan_to_num(x - bad, True, 0.5, 2.0, -2.0), V),
                       F(lambda z: np.nan_to_num(z + bad * 1j, neginf=1.0, posinf=2.0), V, c=True)]
    s["divmod"] = [F(lambda x, y: np.divmod(x, y), (M, "r"), (M, "ratio"))]
    s["modf"] = [F(lambda x: np.modf(x), (M, "q"))]
    s["frexp"] = [F(lambda x: np.frexp(x)[0], (M, "q"))]
    s["ldexp"] = [F(lambda x: np.ldexp(x, 2), M), F(lambda x: np.ldexp(x, np.asarray([1, -1, 0])), M)]
    s["clip"] = [F(lambda x: np.clip(x, -0.5, 0.5), (M, "q")), F(lambda x, lo: np.clip(x, lo, None), M, (M, "apart")),
                 F(lambda x, hi: np.clip(x, a_min=None, a_max=hi), M, (M, "apart")),
                 F(lambda x: x.clip(max=0.5), (M, "q"))]
    s["where"] = [F(lambda x, y: np.where(_mask(x), x, y), M, M), F(lambda x, y: np.where(_mask(x), x, y), M, V),
                  F(lambda x: np.where(x > 0, x, 0.5), (M, "nz")),
                  F(lambda z, w: np.where(_mask(z), z, w), M, M, c=True)]


def shapes(s):
    s["astype"] = [F(lambda x: x.astype(numpy.float32) * 1.0, M, order=1, eps=1e-2, rtol=1e-3),
                   F(lambda z: z.astype(numpy.complex64), M, c=True, order=1, eps=1e-2, rtol=1e-3),
                   F(lambda x: np.real(x.astype(numpy.complex128) * 1j), M)]
    for name in ("copy", "asarray", "array", "asanyarray", "ascontiguousarray", "asfortranarray", "atleast_1d",
                 "atleast_2d", "atleast_3d"):
        f = getattr(np, name)
        s[name] = [F(lambda x, f=f: f(x), M), F(lambda x, f=f: f(x), S0), F(lambda z, f=f: f(z), V, c=True)]
    s["array"] += [F(lambda x: np.array([[x, 2 * x]]), S0), F(lambda x, y: np.array([x, y]), V, V),
                   F(lambda x, y: np.array(((x, y), (y, x)), dtype=numpy.float64), S0, S0),
                   F(lambda x, y: np.array([[x[0], 1.0], [y, x[1] * y]]), V, S0),
                   F(lambda x: np.array([[x, x]], ndmin=3), V)]
    s["asarray"] += [F(lambda x, y: np.asarray([x, [y, 1.0]]), (2,), S0),
                     F(lambda z: np.asarray([z, 1j * z]), V, c=True)]
    s["ravel"] = [F(lambda x: np.ravel(x), M), F(lambda x: np.ravel(x, order="F"), M), F(lambda x: x.ravel(), M)]
    s["flatten"] = [F(lambda x: x.flatten(), M), F(lambda x: x.flatten("F"), M)]
    s["reshape"] = [F(lambda x: np.reshape(x, (3, 2)), M), F(lambda x: np.reshape(x, -1), M),
                    F(lambda x: x.reshape(3, -1), M), F(lambda x: np.reshape(x, (3, 2), order="F"), M)]
    s["broadcast_to"] = [F(lambda x: np.broadcast_to(x, (2, 3)), V), F(lambda x: np.broadcast_to(x, shape=(2, 3)), S0)]
    s["squeeze"] = [F(lambda x: np.squeeze(x), (1, 3)), F(lambda x: np.squeeze(x, axis=-1), (3, 1)),
                    F(lambda x: np.squeeze(x, (0, 2)), (1, 3, 1))]
    s["expand_dims"] = [F(lambda x: np.expand_dims(x, 0), M), F(lambda x: np.expand_dims(x, axis=-1), M),
                        F(lambda x: np.expand_dims(x, (0, -1)), V)]
    s["transpose"] = [F(lambda x: np.transpose(x), M), F(lambda x: np.transpose(x, (1, 2, 0)), T),
                      F(lambda x: np.transpose(x, axes=[-1, 0, 1]), T), F(lambda x: x.T, M),
                      F(lambda x: x.transpose(1, 0), M)]
    s["swapaxes"] = [F(lambda x: np.swapaxes(x, 0, -1), T), F(lambda x: np.swapaxes(x, axis1=0, axis2=1), M)]
    s["moveaxis"] = [F(lambda x: np.moveaxis(x, 0, -1), T),
                     F(lambda x: np.moveaxis(x, source=[0, 1], destination=[-1, 0]), T)]
    s["rollaxis"] = [F(lambda x: np.rollaxis(x, 2), T), F(lambda x: np.rollaxis(x, -1, start=1), T)]
    s["flip"] = [F(lambda x: np.flip(x), M), F(lambda x: np.flip(x, -1), M), F(lambda x: np.flip(x, axis=(0, 1)), M)]
    s["fliplr"] = [F(lambda x: np.fliplr(x), M)]
    s["flipud"] = [F(lambda x: np.flipud(x), M)]
    s["roll"] = [F(lambda x: np.roll(x, 1), M), F(lambda x: np.roll(x, -1, axis=0), M),
                 F(lambda x: np.roll(x, shift=(1, -1), axis=(0, 1)), M)]
    s["rot90"] = [F(lambda x: np.rot90(x), M), F(lambda x: np.rot90(x, k=-1, axes=(1, 0)), M)]
    s["matrix_transpose"] = [F(lambda x: ns("matrix_transpose")(x), T), F(lambda x: x.mT, M)]
    s["linalg.matrix_transpose"] = [F(lambda x: ns("linalg.matrix_transpose")(x), T)]
    s["permute_dims"] = [F(lambda x: ns("permute_dims")(x, (2, 0, 1)), T)]
    s["to_device"] = [F(lambda x: x.to_device(x.device) * 2.0, M)]


def joining(s):
    s["concat"] = [F(lambda x, y: np.concatenate([x, y]), M, (1, 3)),
                   F(lambda x, y: np.concatenate((x, y), axis=-1), M, (2, 1)),
                   F(lambda x, y: np.concatenate([x, y], axis=None), M, V),
                   F(lambda x, a: np.concatenate([x, [a, a, 1.0]]), V, S0),
                   F(lambda x: np.concatenate(x), M)]  # a traced array as the sequence: its rows
    s["stack"] = [F(lambda x, y: np.stack([x, y]), V, V), F(lambda x, y: np.stack((x, y), axis=-1), M, M),
                  F(lambda a, b: np.stack([a, b]), S0, S0), F(lambda x: np.stack(x, axis=1), M)]
    for name in ("vstack", "hstack", "dstack", "column_stack") + (() if NUMPY2 else ("row_stack",)):
        f = getattr(np, name)
        s[name] = [F(lambda x, y, f=f: f([x, y]), V, V), F(lambda x, y, f=f: f((x, y)), M, M),
                   F(lambda a, b, f=f: f([a, b]), S0, S0), F(lambda x, f=f: f(x), M)]
    s["vstack"].append(F(lambda x: np.vstack(x), V))  # the check_grads(np.vstack, ones(2))
    s["block"] = [F(lambda a, b, c: np.block([[a, b], [c]]), (2, 2), (2, 1), (1, 3)),
                  F(lambda a, b: np.block([a, b, 1.0]), V, S0), F(lambda a: np.block([[[a]], [[a]]]), M)]
    s["append"] = [F(lambda x, y: np.append(x, y), M, V), F(lambda x, y: np.append(x, y, axis=0), M, (1, 3)),
                   F(lambda x, a: np.append(x, [a, 2.0]), V, S0)]
    s["split"] = [F(lambda x: np.split(x, 3, axis=-1), M), F(lambda x: np.split(x, [1], 0)[1], M),
                  F(lambda x: np.split(x, indices_or_sections=[1, 2], axis=1), M)]
    s["array_split"] = [F(lambda x: np.array_split(x, 2, axis=1), M), F(lambda x: np.array_split(x, 2)[0], V)]
    s["vsplit"] = [F(lambda x: np.vsplit(x, 2), (4, 2)), F(lambda x: np.vsplit(x, [1])[1], (4, 2))]
    s["hsplit"] = [F(lambda x: np.hsplit(x, 2), (2, 4)), F(lambda x: np.hsplit(x, [1])[0], (4,))]
    s["dsplit"] = [F(lambda x: np.dsplit(x, 2), (1, 2, 4))]
    s["unstack"] = [F(lambda x: ns("unstack")(x), M), F(lambda x: ns("unstack")(x, axis=-1), M)]
    s["broadcast_arrays"] = [F(lambda x, y: np.broadcast_arrays(x, y), M, V),
                             F(lambda x, y: np.broadcast_arrays(x, y), S0, V)]
    s["meshgrid"] = [F(lambda x, y: np.meshgrid(x, y), (2,), V), F(lambda x, y: np.meshgrid(x, y, indexing="ij"),
                                                                   (2,), V),
                     F(lambda x, y, z: np.meshgrid(x, y, z), (2,), V, (2,))]
    s["tile"] = [F(lambda x: np.tile(x, 2), M), F(lambda x: np.tile(x, reps=(2, 1, 2)), M),
                 F(lambda x: np.tile(x, 3), S0)]
    s["repeat"] = [F(lambda x: np.repeat(x, 2), M), F(lambda x: np.repeat(x, 2, axis=-1), M),
                   F(lambda x: np.repeat(x, [1, 0, 2], axis=1), M), F(lambda x: x.repeat(2, 0), M)]
    s["pad"] = [F(lambda x: np.pad(x, 1), M), F(lambda x: np.pad(x, ((1, 0), (0, 2)), mode="constant"), M)]
    s["pad"] += [F(lambda x, mode=mode: np.pad(x, ((2, 1), (1, 3)), mode=mode), M)
                 for mode in ("edge", "reflect", "symmetric", "wrap")]
    s["r_"] = [F(lambda x, y: np.r_[x, 0.5, y], V, M[1:]), F(lambda x, y: np.r_["0,2", x, y], V, V),
               F(lambda x, y: np.r_["-1", x, y], M, M)]
    s["c_"] = [F(lambda x, y: np.c_[x, y], V, V), F(lambda x, y: np.c_[x, y, x[:, :1]], M, (2, 1))]


def reductions(s):
    for name in ("sum", "mean"):
        s[name] = reduction(name)
    s["prod"] = reduction("prod", "nz") + [F(lambda x: np.prod(x * np.asarray([1.0, 0.0, 1.0]), axis=1), M),
                                           F(lambda x: np.prod(x * np.asarray([0.0, 0.0, 1.0]), axis=1), M,
                                             order=1)]  # two zeros: first order (the second raises TypeError)
    s["var"] = reduction("var", ddof=True)
    s["std"] = reduction("std", ddof=True) + [F(lambda x: np.std(x), S0)]
    for name in ("max", "min", "amax", "amin", "nanmax", "nanmin"):
        s[name] = s.get(name, []) + reduction(name, "d", where=False)
    s["max"] += [F(lambda x: np.max(x, axis=1, initial=-10.0, where=_mask(x)), (M, "d")),
                 F(lambda x: np.max(x, initial=10.0), (M, "d"))]
    s["nansum"] = reduction("nansum", cplx=False) + [F(lambda x: np.nansum(np.where(_mask(x), x, numpy.nan)), M)]
    s["nanmean"] = reduction("nanmean", cplx=False) + [
        F(lambda x: np.nanmean(np.where(_mask(x), x, numpy.nan), 0), (3, 2))]
    s["add.reduce"] = [F(lambda x: np.add.reduce(x), M), F(lambda x: np.add.reduce(x, axis=-1, keepdims=True), M),
                       F(lambda x: np.add.reduce(x, None), M),
                       F(lambda x: np.add.reduce(x, 1, None, None, False, 0.0, _mask(x)), M)]
    s["multiply.reduce"] = [F(lambda x: np.multiply.reduce(x), (M, "nz")),
                            F(lambda x: np.multiply.reduce(x, -1), (M, "nz"))]
    for name in ("maximum", "minimum"):
        uf = getattr(np, name)
        s[f"{name}.reduce"] = [F(lambda x, uf=uf: uf.reduce(x), (M, "d")),
                               F(lambda x, uf=uf: uf.reduce(x, axis=-1, keepdims=True), (M, "d"))]
        s[f"{name}.accumulate"] = [F(lambda x, uf=uf: uf.accumulate(x), (M, "d")),
                                   F(lambda x, uf=uf: uf.accumulate(x, axis=-1), (M, "d"))]
    s["add.accumulate"] = [F(lambda x: np.add.accumulate(x), M), F(lambda x: np.add.accumulate(x, axis=-1), M)]
    s["multiply.accumulate"] = [F(lambda x: np.multiply.accumulate(x, 1), (M, "nz"))]
    for name in ("add", "subtract", "multiply", "divide"):
        uf = getattr(np, name)
        s[f"{name}.outer"] = [F(lambda a, b, uf=uf: uf.outer(a, b), (2,), (V, "nz")),
                              F(lambda a, b, uf=uf: uf.outer(a, b), M, ((2,), "nz")),
                              F(lambda a, b, uf=uf: uf.outer(a, b), (2,), (V, "nz"), c=True)]
    s["cumsum"] = [F(lambda x: np.cumsum(x), M), F(lambda x: np.cumsum(x, -1), M), F(lambda x: np.cumsum(x, axis=0), M),
                   F(lambda z: np.cumsum(z, 1), M, c=True)]
    s["cumprod"] = [F(lambda x: np.cumprod(x), (M, "nz")), F(lambda x: np.cumprod(x, axis=-1), (M, "nz")),
                    F(lambda z: np.cumprod(z, 0), (M, "nz"), c=True)]
    s["cumulative_sum"] = [F(lambda x: ns("cumulative_sum")(x, axis=0), M),
                           F(lambda x: ns("cumulative_sum")(x, axis=-1, include_initial=True), M)]
    s["cumulative_prod"] = [F(lambda x: ns("cumulative_prod")(x, axis=0), (M, "nz")),
                            F(lambda x: ns("cumulative_prod")(x, axis=-1, include_initial=True), (M, "nz"))]
    s["diff"] = [F(lambda x: np.diff(x), M), F(lambda x: np.diff(x, 2, 0), (4, 2)),
                 F(lambda x: np.diff(x, n=1, axis=-1), M)]


def indexing(s):
    s["getitem"] = [F(lambda x: x[0], M), F(lambda x: x[..., ::-2], M), F(lambda x: x[[0, 0, 1]], M),
                    F(lambda x: x[x > 0], (M, "nz")), F(lambda x: x[None, 1:, -1], M), F(lambda z: z[1, 1:], M, c=True)]
    s["setitem"] = [F(lambda x, v: _set(x, 1, v), M, V), F(lambda x, v: _set(x, (slice(None), [0, 2]), v), M, (2, 1)),
                    F(lambda x, a, b: _set(x, 0, [a, b, a]), M, S0, S0)]
    s["take"] = [F(lambda x: np.take(x, [0, 2, 2]), M), F(lambda x: np.take(x, [1, 0, 1], axis=-1), M),
                 F(lambda x: x.take(np.asarray([[0, 1]]), 0), M)]
    s["take_along_axis"] = [F(lambda x: np.take_along_axis(x, np.asarray([[2, 0, 0], [1, 1, 2]]), 1), M),
                            F(lambda x: np.take_along_axis(x, np.asarray([2, 2, 0]), axis=None), M)]
    s["diagonal"] = [F(lambda x: np.diagonal(x), (3, 3)), F(lambda x: np.diagonal(x, 1, 1, 2), (2, 3, 3)),
                     F(lambda x: np.diagonal(x, offset=-1, axis1=-1, axis2=0), (3, 2, 3))]
    s["linalg.diagonal"] = [F(lambda x: ns("linalg.diagonal")(x, offset=-1), (2, 3, 3))]
    s["diag"] = [F(lambda v: np.diag(v), V), F(lambda v: np.diag(v, 1), V), F(lambda a: np.diag(a, k=-1), M)]
    s["trace"] = [F(lambda x: np.trace(x), (3, 3)), F(lambda x: np.trace(x, 1, -2, -1), (2, 3, 3))]
    s["linalg.trace"] = [F(lambda x: ns("linalg.trace")(x, offset=1), (2, 3, 3))]
    s["tril"] = [F(lambda x: np.tril(x), (3, 3)), F(lambda x: np.tril(x, k=-1), (2, 3, 3))]
    s["triu"] = [F(lambda x: np.triu(x, 1), M)]
    s["sort"] = [F(lambda x: np.sort(x), (M, "d")), F(lambda x: np.sort(x, axis=0), (M, "d")),
                 F(lambda x: np.sort(x, axis=None), (M, "d")), F(lambda x: np.sort(x, -1, kind="stable"), (M, "d"))]
    if not NUMPY2:
        s["msort"] = [F(lambda x: np.msort(x), ((3, 2), "d"))]
    s["partition"] = [F(lambda x: np.partition(x, 1), ((2, 4), "d")),
                      F(lambda x: np.partition(x, (0, 2), axis=0), ((4, 2), "d")),
                      F(lambda x: np.partition(x, -1, axis=None), ((2, 4), "d"))]
    s["unique"] = [F(lambda x: np.unique(x), (M, "d")), F(lambda x: np.unique(x, False, False, False, 0),
                                                          (M, "d")),
                   F(lambda x: np.unique(x, axis=-1, return_counts=True)[0], (M, "d")),
                   F(lambda x: np.unique(x, return_inverse=True, return_counts=True)[0], (M, "d")),
                   F(lambda x: mp.unique_values(x), (M, "d")), F(lambda x: mp.unique_all(x).values, (M, "d")),
                   F(lambda x: mp.unique_counts(x)[0], (M, "d")), F(lambda x: mp.unique_inverse(x), (M, "d"))]
    if NUMPY2:
        for name in ("unique_values", "unique_all", "unique_counts", "unique_inverse"):
            s[name] = [F(lambda x, f=getattr(np, name): f(x), (M, "d"))]
    s["select"] = [F(lambda x, y: np.select([x > 0.5, y > 0], [x, y], 0.5), M, M),
                   F(lambda x, y: np.select([x > 0], [y], default=x), M, V)]
    s["bincount"] = [F(lambda w: np.bincount(np.asarray([0, 2, 2, 1]), weights=w), (4,)),
                     F(lambda w: np.bincount(np.asarray([0, 2, 2]), w, minlength=5), V)]
    for name in ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "hypot"):
        s[f"{name}.at"] = [F(_at(name), ((4,), "p"), ((4,), "p")), F(_at(name), ((4, 2), "p"), ((2,), "p"))]
    for name in ("negative", "exp", "sin", "sqrt"):
        s[f"{name}.at"] = [F(_at(name), ((4,), "p"))]
    s["copyto"] = [F(lambda a, b: _copying(np.copyto, a, b, where=_mask(a)), M, V)]
    s["put"] = [F(lambda a, b: _copying(np.put, a, [0, 4], b[:2]), M, V)]
    s["putmask"] = [F(lambda a, b: _copying(np.putmask, a, _mask(a), b), M, (2,))]
    s["place"] = [F(lambda a, b: _copying(np.place, a, _mask(a), b), M, (2,))]
    s["fill_diagonal"] = [F(lambda a, b: _copying(np.fill_diagonal, a, b), (3, 3), S0)]
    s["put_along_axis"] = [F(lambda a, b: _copying(np.put_along_axis, a, np.asarray([[0], [2]]), b, axis=1), M,
                             (2, 1))]


def _at(name):
    uf = getattr(np, name)

    def f(a, *b):
        a = a * 1.0
        uf.at(a, np.asarray([0, 2, 2, 1]), *b)
        return a
    return f


def _copying(fn, a, *args, **kw):
    a = a * 1.0
    fn(a, *args, **kw)
    return a


def creation(s):
    s["full"] = [F(lambda a: np.full((2, 3), a), S0), F(lambda a: np.full((2, 3), a), V)]
    s["full_like"] = [F(lambda x, a: np.full_like(x, a), M, S0), F(lambda x: np.full_like(x, 2.0) * x, M)]
    s["linspace"] = [F(lambda a, b: np.linspace(a, b, 5), S0, S0),
                     F(lambda a, b: np.linspace(a, b, num=4, endpoint=False), S0, S0),
                     F(lambda a, b: np.linspace(a, b, 3, axis=-1), V, V),
                     F(lambda a, b: np.linspace(a, b, 5, retstep=True), S0, S0),
                     F(lambda a: np.linspace(a, 2.0, 1), S0), F(lambda a, b: np.linspace(a, b, 4), S0, S0, c=True)]
    s["logspace"] = [F(lambda a, b: np.logspace(a, b, 5), (S0, "u"), (S0, "u")),
                     F(lambda a, b: np.logspace(a, b, 4, base=2.0, axis=-1), (V, "u"), (V, "u"))]
    s["geomspace"] = [F(lambda a, b: np.geomspace(a, b, 5), (S0, "p"), (S0, "p")),
                      F(lambda a, b: np.geomspace(a, b, 4, endpoint=False), (V, "p"), (V, "p"))]
    s["gradient"] = [F(lambda x: np.gradient(x), (6,)), F(lambda x: np.gradient(x, 0.5, edge_order=2), (6,)),
                     F(lambda x: np.gradient(x, axis=-1), (3, 5)), F(lambda x: np.gradient(x), (3, 5)),
                     F(lambda x: np.gradient(x, np.asarray([0.0, 0.5, 1.5, 1.7, 3.0]), edge_order=2), (5,)),
                     F(lambda x: np.gradient(x, 2.0, np.asarray([0.0, 1.0, 1.5, 3.0]), axis=(0, 1)), (3, 4))]


def products(s):
    mm = [((2, 3), (3, 4)), ((3,), (3, 2)), ((2, 3), (3,)), ((3,), (3,)), ((2, 2, 3), (3, 2))]
    s["matmul"] = [F(lambda a, b: np.matmul(a, b), sa, sb) for sa, sb in mm] + [
        F(lambda a, b: a @ b, (2, 3), (3, 2), c=True), F(lambda a: a @ [[1.0], [2.0], [3.0]], M),
        F(lambda b: [[1.0, 2.0]] @ b, (2, 3))]
    s["dot"] = [F(lambda a, b: np.dot(a, b), sa, sb) for sa, sb in mm + [((2, 3, 4), (4,)), ((2, 3, 4), (2, 4, 2))]]
    s["dot"] += [F(lambda a: np.dot(a, 2.0), M), F(lambda a, b: np.dot(a, b), S0, V),
                 F(lambda a: a.dot([1.0, 2.0, 3.0]), M), F(lambda a, b: np.dot(a, b), (2, 3), (3,), c=True)]
    s["inner"] = [F(lambda a, b: np.inner(a, b), (2, 3), (4, 3)), F(lambda a, b: np.inner(a, b), S0, (4,)),
                  F(lambda a, b: np.inner(a, b), V, V, c=True)]
    s["vdot"] = [F(lambda a, b: np.vdot(a, b), M, M), F(lambda a, b: np.vdot(a, b), V, V, c=True)]
    s["outer"] = [F(lambda a, b: np.outer(a, b), (2,), V), F(lambda a, b: np.outer(a, b), M, (2,)),
                  F(lambda a, b: np.outer(a, b), (2,), V, c=True)]
    s["tensordot"] = [F(lambda a, b: np.tensordot(a, b, 1), (2, 3), (3, 4)),
                      F(lambda a, b: np.tensordot(a, b, axes=([0, 2], [2, 0])), (2, 3, 4), (4, 3, 2)),
                      F(lambda a, b: np.tensordot(a, b, axes=(-1, 0)), M, V),
                      F(lambda a, b: np.tensordot(a, b), (2, 3), (2, 3), c=True)]
    s["kron"] = [F(lambda a, b: np.kron(a, b), (2,), V), F(lambda a, b: np.kron(a, b), M, (2, 2)),
                 F(lambda a, b: np.kron(a, b), V, (2, 2)), F(lambda a, b: np.kron(a, b), (2,), (2,), c=True)]
    s["cross"] = [F(lambda a, b: np.cross(a, b), V, V), F(lambda a, b: np.cross(a, b), M, V),
                  F(lambda a, b: np.cross(a, b, axisa=0, axisb=-1, axisc=0), (3, 2), (2, 3)),
                  F(lambda a, b: np.cross(a, b, axis=0), (3, 2), (3, 2)),
                  F(lambda a, b: np.cross(a, b, axisc=0), (2, 3), (2, 3), c=True)]
    if not NUMPY2:  # 2-element vectors: deprecated in NumPy 2
        s["cross"] += [F(lambda a, b: np.cross(a, b), (2,), (2,)), F(lambda a, b: np.cross(a, b), (2,), V)]
    s["linalg.cross"] = [F(lambda a, b: ns("linalg.cross")(a, b), V, V),
                         F(lambda a, b: ns("linalg.cross")(a, b, axis=0), (3, 2), (3, 2))]
    s["einsum"] = [F(lambda a, b: np.einsum("ij,jk->ik", a, b), (2, 3), (3, 2)),
                   F(lambda a, b: np.einsum("ij,j", a, b), (2, 3), V),
                   F(lambda a: np.einsum("ii->i", a), (3, 3)), F(lambda a: np.einsum("ii", a), (3, 3)),
                   F(lambda a, b: np.einsum("iij,j->i", a, b), (2, 2, 3), V),
                   F(lambda a, b: np.einsum("...ij,...jk->...ik", a, b), (2, 2, 3), (2, 3, 2)),
                   F(lambda a, b: np.einsum("...i,i", a, b), (2, 2, 3), V),
                   F(lambda a, b: np.einsum("ij...,j...", a, b), (2, 3, 2), (3, 2)),
                   F(lambda a, b: np.einsum(a, [0, 1], b, [1, 2], [0, 2]), (2, 3), (3, 2)),
                   F(lambda a, b: np.einsum(a, [Ellipsis, 0], b, [0]), (2, 3), V),
                   F(lambda a, b: np.einsum("i,j->ij", a, b), V, (1,)),
                   F(lambda a: np.einsum("ij->", a), M), F(lambda a, b: np.einsum("ij,kj", a, b), M, M, c=True)]
    for name, f in (("vecdot", ns("vecdot")), ("linalg.vecdot", ns("linalg.vecdot"))):
        s[name] = [F(lambda a, b, f=f: f(a, b), M, V), F(lambda a, b, f=f: f(a, b, axis=0), M, M),
                   F(lambda a, b, f=f: f(a, b), M, M, c=True)]
    s["linalg.matmul"] = [F(lambda a, b: ns("linalg.matmul")(a, b), (2, 3), (3, 2))]
    s["linalg.tensordot"] = [F(lambda a, b: ns("linalg.tensordot")(a, b, axes=1), (2, 3), (3, 2))]
    s["linalg.outer"] = [F(lambda a, b: ns("linalg.outer")(a, b), (2,), V)]
    if "matvec" in VJPS:  # NumPy >= 2.2
        s["matvec"] = [F(lambda a, v: np.matvec(a, v), (2, 3), V), F(lambda a, v: np.matvec(a, v), (2, 3), V, c=True)]
        s["vecmat"] = [F(lambda v, a: np.vecmat(v, a), (2,), (2, 3)),
                       F(lambda v, a: np.vecmat(v, a), (2,), (2, 3), c=True)]


def linalg(s):
    s["linalg.inv"] = [F(lambda a: L.inv(a), ((3, 3), "wc")), F(lambda a: L.inv(a), ((2, 3, 3), "wc"), c=True)]
    s["linalg.solve"] = [F(lambda a, b: L.solve(a, b), ((3, 3), "wc"), V),
                         F(lambda a, b: L.solve(a, b), ((3, 3), "wc"), (3, 2)),
                         F(lambda a, b: L.solve(a, b), ((2, 3, 3), "wc"), (2, 3, 1)),
                         F(lambda a, b: L.solve(a, b), ((3, 3), "wc"), (3, 2), c=True),
                         F(lambda a: L.solve(a, [1.0, 2.0, 3.0]), ((3, 3), "wc"))]
    if not NUMPY2:  # a stack of vectors: b with one axis fewer than a (NumPy 2 reads it as matrices)
        s["linalg.solve"].append(F(lambda a, b: L.solve(a, b), ((5, 4, 4), "wc"), (5, 4)))
    s["linalg.det"] = [F(lambda a: L.det(a), ((3, 3), "wc")), F(lambda a: L.det(a), ((2, 3, 3), "wc"), c=True)]
    s["linalg.slogdet"] = [F(lambda a: L.slogdet(a)[1], ((2, 3, 3), "wc")), F(lambda a: L.slogdet(a), ((3, 3), "wc")),
                           F(lambda a: L.slogdet(a), ((2, 3, 3), "wc"), c=True)]
    s["linalg.cholesky"] = [F(lambda a: L.cholesky(_spd(a)), (3, 3)),
                            F(lambda a: L.cholesky(_spd(a)), (2, 3, 3), c=True),
                            F(lambda a: L.cholesky(_spd(a) + np.triu(a, 1)), (3, 3))]  # reads the lower triangle
    s["linalg.eigh"] = [F(lambda a: L.eigh(_herm(a)), ((3, 3), "sp")), F(lambda a: L.eigh(a)[0], ((3, 3), "sp")),
                        F(lambda a: L.eigh(a, UPLO="U")[0], ((3, 3), "sp")),
                        F(lambda a: (L.eigh(_herm(a))[0], _gauge_free(L.eigh(_herm(a))[1])), ((2, 3, 3), "sp"),
                          c=True)]
    s["linalg.eigvalsh"] = [F(lambda a: L.eigvalsh(a), ((3, 3), "sp")), F(lambda a: L.eigvalsh(a, "U"), ((3, 3), "sp")),
                            F(lambda a: L.eigvalsh(_herm(a)), ((3, 3), "sp"), c=True)]
    s["linalg.svd"] = [F(lambda a: L.svd(a, full_matrices=False), (shape, "sp")) for shape in ((3, 3), (4, 3), (3, 4))]
    s["linalg.svd"] += [F(lambda a: L.svd(a), ((3, 3), "sp")), F(lambda a: L.svd(a, compute_uv=False), ((4, 3), "sp")),
                        F(lambda a: L.svd(_herm(a), hermitian=True)[1], ((3, 3), "sp")),
                        F(lambda a: L.svd(a, hermitian=True, compute_uv=False), ((3, 3), "sp")),
                        F(lambda a: L.svd(np.tril(a) - 2 * np.eye(3), hermitian=True)[1], ((3, 3), "sp")),
                        F(lambda a: [_gauge_free(v) if i != 1 else v for i, v in enumerate(
                            L.svd(a, full_matrices=False))], ((4, 3), "sp"), c=True),
                        F(lambda a: L.svd(a, compute_uv=False), ((3, 4), "sp"), c=True)]
    # eigenvalues of general matrices: first order (the second needs the eigenvectors' gradient: TypeError)
    s["linalg.eigvals"] = [F(lambda a: L.eigvals(a), ((3, 3), "sp"), order=1),
                           F(lambda a: L.eigvals(a), ((3, 3), "r"), order=1),  # complex pairs from a real matrix
                           F(lambda a: L.eigvals(a), ((3, 3), "sp"), c=True, order=1)]
    s["linalg.eig"] = [F(lambda a: L.eig(a)[0], ((2, 3, 3), "sp"), order=1)]
    s["linalg.svdvals"] = [F(lambda a: ns("linalg.svdvals")(a), ((2, 4, 3), "sp"))]
    s["linalg.pinv"] = [F(lambda a: L.pinv(a), ((4, 3), "sp")), F(lambda a: L.pinv(a), ((3, 4), "sp"), c=True),
                        F(lambda a: L.pinv(a, hermitian=True), ((3, 3), "sp")),  # reads the lower triangle
                        F(lambda a: L.pinv(_herm(a) + np.tril(a, -1), hermitian=True), ((3, 3), "sp"), c=True)]
    s["linalg.qr"] = [F(lambda a: L.qr(a), ((4, 3), "sp")), F(lambda a: L.qr(a), ((3, 3), "sp")),
                      F(lambda a: L.qr(a), ((4, 3), "sp"), c=True)]
    s["linalg.matrix_power"] = [F(lambda a: L.matrix_power(a, 3), ((3, 3), "wc")),
                                F(lambda a: L.matrix_power(a, -2), ((3, 3), "wc")),
                                F(lambda a: L.matrix_power(a, 0) * a, ((3, 3), "wc")),
                                F(lambda a: L.matrix_power(a, 2), ((3, 3), "wc"), c=True)]
    s["linalg.norm"] = [F(lambda x: L.norm(x), (M, "nz")), F(lambda x: L.norm(x, axis=-1), (M, "nz")),
                        F(lambda a, b: L.norm([a, b]), S0, S0), F(lambda z: L.norm(z), (M, "nz"), c=True),
                        F(lambda x: L.norm(x, 1, 0, True), (M, "nz")), F(lambda x: L.norm(x, numpy.inf), (V, "dp")),
                        F(lambda x: L.norm(x, -numpy.inf), (V, "dp")), F(lambda x: L.norm(x, 3, axis=1), (M, "nz")),
                        F(lambda x: L.norm(x, 0) * x, (V, "nz")), F(lambda z: L.norm(z, 1), (V, "nz"), c=True),
                        F(lambda x: L.norm(x, "fro"), (M, "nz")), F(lambda x: L.norm(x, "nuc"), ((3, 2), "sp")),
                        F(lambda x: L.norm(x, 2), ((3, 2), "sp")), F(lambda x: L.norm(x, -2), ((3, 2), "sp")),
                        F(lambda x: L.norm(x, 1), ((3, 2), "dp")),
                        F(lambda x: L.norm(x, ord=-numpy.inf), ((3, 2), "dp")),
                        F(lambda x: L.norm(x, numpy.inf, axis=(-1, 0), keepdims=True), ((3, 2), "dp")),
                        F(lambda z: L.norm(z, "nuc"), ((3, 2), "sp"), c=True),
                        F(lambda z: L.norm(z, 2), ((3, 2), "sp"), c=True)]
    s["linalg.vector_norm"] = [F(lambda x: ns("linalg.vector_norm")(x), (M, "nz")),
                               F(lambda x: ns("linalg.vector_norm")(x, axis=-1, keepdims=True, ord=1), (M, "nz")),
                               F(lambda x: ns("linalg.vector_norm")(x, axis=(0, 1), ord=3), (M, "nz")),
                               F(lambda z: ns("linalg.vector_norm")(z), (M, "nz"), c=True)]
    s["linalg.matrix_norm"] = [F(lambda x: ns("linalg.matrix_norm")(x), ((2, 3, 2), "nz")),
                               F(lambda x: ns("linalg.matrix_norm")(x, ord="nuc", keepdims=True), ((2, 3, 2), "sp")),
                               F(lambda x: ns("linalg.matrix_norm")(x, ord=1), ((3, 2), "dp"))]


def ffts(s):
    ff = np.fft
    s["fft.fft"] = [F(lambda x: ff.fft(x), (6,)), F(lambda z: ff.fft(z, 8, -1, "ortho"), M, c=True),
                    F(lambda z: ff.fft(z, n=2, axis=0), M, c=True)]
    s["fft.ifft"] = [F(lambda z: ff.ifft(z, norm="forward"), M, c=True)]
    s["fft.fftn"] = [F(lambda z: ff.fftn(z), M, c=True), F(lambda z: ff.fftn(z, (3, 4), axes=(0, 1)), M, c=True)]
    s["fft.ifftn"] = [F(lambda z: ff.ifftn(z, axes=(-1,)), M, c=True)]
    s["fft.fft2"] = [F(lambda z: ff.fft2(z), M, c=True)]
    s["fft.ifft2"] = [F(lambda z: ff.ifft2(z, (3, 2)), M, c=True)]
    s["fft.rfft"] = [F(lambda x: ff.rfft(x), (6,)), F(lambda x: ff.rfft(x, 5, axis=0), (4, 2))]
    s["fft.rfftn"] = [F(lambda x: ff.rfftn(x), (4, 5))]
    s["fft.rfft2"] = [F(lambda x: ff.rfft2(x, (5, 7)), M)]
    s["fft.irfft"] = [F(lambda z: ff.irfft(z), (4,), c=True), F(lambda z: ff.irfft(z, 7, norm="ortho"), M, c=True)]
    s["fft.irfftn"] = [F(lambda z: ff.irfftn(z), (3, 4), c=True)]
    s["fft.irfft2"] = [F(lambda z: ff.irfft2(z, (5, 9)), M, c=True)]
    s["fft.hfft"] = [F(lambda z: ff.hfft(z), (4,), c=True)]
    s["fft.ihfft"] = [F(lambda x: ff.ihfft(x), (6,))]
    s["fft.fftshift"] = [F(lambda x: ff.fftshift(x), M), F(lambda x: ff.fftshift(x, axes=-1), M)]
    s["fft.ifftshift"] = [F(lambda x: ff.ifftshift(x, 0), M)]


def nondiff(s):
    """Declared non-differentiable: called on traced values inside a differentiable expression (their results are
    constants of it); the ones with no floating-point loop cannot take a traced value at all."""
    d = (M, "d")
    for name in ("argmax", "argmin", "argsort", "count_nonzero"):
        f = getattr(np, name)
        s[name] = [F(lambda x, f=f: x * np.sum(f(x)), d), F(lambda x, f=f: x * np.sum(f(x, axis=-1)), d)]
    for name in ("flatnonzero", "argwhere"):
        s[name] = [F(lambda x, f=getattr(np, name): x * np.sum(f(x > 0)), d)]
    s["nonzero"] = [F(lambda x: x[np.nonzero(x > 0)], d)]
    s["argpartition"] = [F(lambda x: x * np.sum(np.argpartition(x, 1)), d)]
    s["lexsort"] = [F(lambda x, y: x * np.sum(np.lexsort([x, y])), V, V)]
    s["searchsorted"] = [F(lambda x: x * np.searchsorted(np.sort(x), 0.3), (V, "d")),
                         F(lambda x: x * np.sum(np.searchsorted(np.asarray([0.0, 1.0]), x)), d)]
    s["digitize"] = [F(lambda x: x * np.sum(np.digitize(x, np.asarray([-1.0, 0.0, 1.0]))), d)]
    for name in ("equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and", "logical_or",
                 "logical_xor", "isclose"):
        f = getattr(np, name)
        s[name] = [F(lambda x, y, f=f: np.where(f(x, y), x, y), d, d), F(lambda x, f=f: np.where(f(x, 0.1), x, -x), d)]
    for name in ("isnan", "isinf", "isfinite", "signbit", "logical_not", "isreal", "iscomplex", "isposinf",
                 "isneginf"):
        f = getattr(np, name)
        s[name] = [F(lambda x, f=f: np.where(f(x), x, 2 * x), d)]
    s["isreal"].append(F(lambda z: np.where(np.isreal(z), z, 2 * z), M, c=True))
    for name in ("any", "all"):
        s[name] = [F(lambda x, f=getattr(np, name): x * float(f(x > 0)), d)]
    for name in ("allclose", "array_equal", "array_equiv"):
        s[name] = [F(lambda x, f=getattr(np, name): x * float(f(x, x)), d)]
    s["isin"] = [F(lambda x: np.where(np.isin(x, x[0]), x, -x), d)]
    if not NUMPY2:
        s["in1d"] = [F(lambda x: np.where(np.reshape(np.in1d(x, x[0]), x.shape), x, -x), d)]
    s["linalg.matrix_rank"] = [F(lambda a: a * L.matrix_rank(a), ((3, 3), "wc"))]
    for name in ("zeros_like", "ones_like", "empty_like"):
        f = getattr(np, name)
        s[name] = [F(lambda x, f=f: x + f(x) * 0.0, M)]
    s["shape"] = [F(lambda x: x * np.shape(x)[0], M)]
    s["ndim"] = [F(lambda x: x * np.ndim(x), M)]
    s["size"] = [F(lambda x: x * np.size(x), M)]
    s["result_type"] = [F(lambda x: x.astype(np.result_type(x, 1.0)), M)]
    s["can_cast"] = [F(lambda x: x * float(mp.can_cast(x, mp.float64)), M)]
    s["isdtype"] = [F(lambda x: x * float(mp.isdtype(x.dtype, "real floating")), M)]
    s["finfo"] = [F(lambda x: x * np.finfo(x.dtype).eps, M)]
    s["iinfo"] = [F(lambda x: x * (np.iinfo(np.argmax(x).dtype).max > 0), M)]
    for name in ("tril_indices_from", "triu_indices_from", "diag_indices_from"):
        f = getattr(np, name)
        s[name] = [F(lambda x, f=f: x[f(x)], (3, 3))]


# ops of the table that no call of the faces reaches on this NumPy, with the reason; the sweep must reach the rest
UNSWEPT = {
    "bitwise_and": "no floating-point loop: cannot take a traced value", "bitwise_or": "no floating-point loop",
    "bitwise_xor": "no floating-point loop", "bitwise_invert": "no floating-point loop",
    "bitwise_left_shift": "no floating-point loop", "bitwise_right_shift": "no floating-point loop",
    "bitwise_count": "no floating-point loop", "gcd": "no floating-point loop", "lcm": "no floating-point loop",
    "isnat": "datetimes only", "can_cast": "takes dtypes (no op runs)", "finfo": "takes dtypes (no op runs)",
    "iinfo": "takes dtypes (no op runs)", "isdtype": "takes dtypes (no op runs)",
    "remainder": "numpy.remainder is numpy.mod: the same ufunc reaches the op 'mod' (same VJP)",
    "to_device": "a method, not a dispatched op (op_stats does not count it; its form is swept)",
}
if getattr(numpy, "row_stack", None) is numpy.vstack:
    UNSWEPT["vstack"] = "numpy.vstack is numpy.row_stack here: it reaches the op 'row_stack' (same VJP)"
UNSWEPT.update({op: f"NumPy {numpy.__version__} has no numpy.{op}: the namespace runs other ops (swept)"
                for op in SPEC_ONLY if not _face_has(op)})
if NUMPY2:
    UNSWEPT.update({"msort": "removed in NumPy 2", "row_stack": "deprecated in NumPy 2 (vstack is swept)",
                    "in1d": "deprecated in NumPy 2 (isin is swept)"})


def nn_ops(s):
    """The nn layers' convolution and pooling ops (minpy_array.nn.layers), as a CS231n net calls them."""
    from minpy_array.nn import layers

    s["conv2d"] = [F(lambda x, w, b: layers.conv(x, w, b, 1, 1), (2, 2, 5, 4), (3, 2, 3, 3), (3,)),
                   F(lambda x, w: layers.conv(x, w, None, 2, 0), (1, 2, 5, 5), (2, 2, 3, 3))]
    s["max_pool2d"] = [F(lambda x: layers.max_pool(x, 2), ((1, 2, 4, 6), "d"), order=1),  # no second derivative
                       F(lambda x: layers.max_pool(x, 3, 1), ((1, 1, 4, 5), "d"), order=1)]
    s["avg_pool2d"] = [F(lambda x: layers.avg_pool(x, 2, 1), (1, 2, 4, 5)),
                       F(lambda x: layers.avg_pool(x, 2) ** 2, (2, 1, 4, 4))]


def _table():
    s = {}
    for part in (elementwise, shapes, joining, reductions, indexing, creation, products, linalg, ffts, nondiff,
                 nn_ops):
        part(s)
    return s


SWEEP = _table()


def test_every_op_of_the_table_is_reached_by_the_sweep():
    """Each form's forward pass, traced, names the ops it reaches (op_stats): together they cover the table."""
    from minpy_array.autodiff import vjp
    from minpy_array.autodiff.check import _flat

    reached = set()
    for forms in SWEEP.values():
        for k, form in enumerate(forms):
            mp.reset_op_stats()
            args = [mp.asarray(a) for a in form.inputs(seed=k)]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                out, pull = vjp(lambda *a, form=form: _flat(form.fn(*a)), *args)
                pull(np.ones_like(out))
            reached |= set(mp.op_stats())
    table = (set(VJPS) | NONDIFF) - set(UNSWEPT)
    assert sorted(table - reached) == [], sorted(table - reached)
    assert sorted(set(UNSWEPT) & reached) == []


def _run(form, k, target):
    device, policy = target
    args = form.inputs(seed=k)
    with mp.policy(policy), mp.device(device), warnings.catch_warnings():
        warnings.simplefilter("ignore", numpy.exceptions.ComplexWarning)
        warnings.simplefilter("ignore", DeprecationWarning)  # msort, on NumPy 1.26
        warnings.simplefilter("ignore", RuntimeWarning)  # inf - inf in the nan_to_num forms
        check_grads(form.fn, *[mp.asarray(a, device=device) for a in args], order=form.order, **form.tol)


@pytest.mark.parametrize("target", TARGETS)
@pytest.mark.parametrize("name", sorted(SWEEP))
def test_sweep(name, target):
    failures = []
    for k, form in enumerate(SWEEP[name]):
        try:
            _run(form, k, target)
        except (AssertionError, TypeError, ValueError, IndexError) as e:
            failures.append(f"form {k}: {type(e).__name__}: {e}")
    assert not failures, "\n".join(failures)
