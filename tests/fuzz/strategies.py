"""Hypothesis strategies for fuzz programs (plain data: see fuzz_engine)."""
import fuzz_engine as fe
from hypothesis import strategies as st

var = st.integers(0, 40)
scalar = st.sampled_from(fe.SCALARS).map(lambda v: ("s", v))
np_scalar = st.sampled_from(fe.NUMPY_SCALARS).map(lambda v: ("n", *v))
operand = st.one_of(var, var, var, scalar, np_scalar)  # mostly arrays, sometimes a Python or NumPy scalar
key = st.one_of(st.sampled_from(fe.KEYS), st.tuples(st.just("var"), var))  # ("var", j): variable j as the index
face = st.integers(0, 1)  # 0: minpy_array.numpy.f(x); 1: numpy.f(x) through NumPy's protocols

inputs = st.lists(st.tuples(st.sampled_from(fe.DTYPES), st.sampled_from(fe.SHAPES), st.integers(0, 2 ** 16),
                            st.booleans()), min_size=1, max_size=3)

steps = st.one_of(
    st.tuples(st.just("ufunc1"), st.sampled_from(fe.UFUNC1), face, var),
    st.tuples(st.just("ufunc2"), st.sampled_from(fe.UFUNC2), face, var, operand),
    st.tuples(st.just("reduce"), st.sampled_from(fe.REDUCE), face, var, st.sampled_from(("none",) + fe.AXES),
              st.booleans()),
    st.tuples(st.just("func"), st.sampled_from(sorted(fe.FUNCS)), face, var, var),
    st.tuples(st.just("method"), st.sampled_from(sorted(fe.METHODS)), var, var),
    st.tuples(st.just("binop"), st.sampled_from(fe.OPERATORS), var, operand, st.booleans()),
    st.tuples(st.just("unary"), st.sampled_from(fe.UNARY_OPS), var),
    st.tuples(st.just("getitem"), var, key),
    st.tuples(st.just("setitem"), var, key, operand),
    st.tuples(st.just("iop"), st.sampled_from(fe.IOPERATORS), var, operand),
)

programs = st.fixed_dictionaries({"inputs": inputs, "steps": st.lists(steps, min_size=5, max_size=20)})
