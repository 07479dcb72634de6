"""Programs the fuzzer found failing, kept (minimised) so that the fixes stay fixed.

Each is run exactly as the fuzzer runs it: on NumPy and on minpy_array under every policy, step by step.
"""
import fuzz_engine
import numpy
import pytest
from conftest import calibration, given_timings
from test_fuzz import HAS_MXNET, SIDES

import minpy_array.numpy as mnp

F32_0D = ("float32", (), 1, False)
PROGRAMS = {
    # operators follow NEP 50 for 0-d arrays too (NumPy 1.26 would give float64 / int64 by value)
    "0-d float32 + Python float": {"inputs": [F32_0D], "steps": [("binop", "+", 0, ("s", 2.5), False)] * 5},
    "0-d int8 * Python int": {"inputs": [("int8", (), 2, False)],
                              "steps": [("binop", "*", 0, ("s", 3), False), ("binop", "-", 0, ("s", 2), True)] * 3},
    # a float32 array and a Python int beyond 16 bits: NumPy 1.26's value-based casting gave float64
    "float32 - 2**40": {"inputs": [("float32", (2, 3), 3, False)],
                        "steps": [("binop", "-", 0, ("s", 2 ** 40), False)] * 5},
    "float16 + 1j is complex64": {"inputs": [("float16", (3,), 4, False)],
                                  "steps": [("binop", "+", 0, ("s", 1j), True)] * 5},
    "uint8 / 2**40 is float64, no OverflowError": {"inputs": [("uint8", (3,), 5, False)],
                                                    "steps": [("binop", "/", 0, ("s", 2 ** 40), False)] * 5},
    "int8 > 300 compares exactly": {"inputs": [("int8", (2, 3), 6, True)],
                                    "steps": [("binop", c, 0, ("s", v), False) for c in ("<", ">", "==", "!=", "<=")
                                              for v in (300, -129)]},
    # in-place: a negative power of an int 0-d array raised after writing garbage (legacy promotion of -1)
    "0-d int8 **= -1": {"inputs": [("int8", (), 7, False)], "steps": [("iop", "**=", 0, ("s", -1))] * 5},
    "int /= 300 is a casting error first": {"inputs": [("int8", (3,), 8, False)],
                                           "steps": [("iop", "/=", 0, ("s", 300))] * 5},
    "float16 -= 2**40 (NEP 50: the int becomes inf)": {"inputs": [("float16", (3,), 9, True)],
                                                       "steps": [("iop", "-=", 0, ("s", 2 ** 40))] * 5},
    "int8 &= 0-d uint64 (no value-based casting of 0-d operands)": {
        "inputs": [("int8", (3,), 10, False), ("uint64", (), 11, False)],
        "steps": [("iop", "&=", 0, 1), ("iop", "%=", 0, 1), ("iop", "|=", 0, 1), ("iop", "+=", 0, 1),
                  ("iop", "*=", 0, 1)]},
    # setitem: an out-of-range Python int is an OverflowError (NEP 50), after a basic index is checked
    "uint8[...] = -129": {"inputs": [("uint8", (2, 3), 12, False)],
                          "steps": [("setitem", 0, Ellipsis, ("s", -129)), ("setitem", 0, 5, ("s", 300)),
                                    ("setitem", 0, [0, -1], ("s", 300)), ("setitem", 0, [True], ("s", 300)),
                                    ("setitem", 0, (0, slice(None, 2)), ("s", -1))]},
    "0-d int32[[0, -1]] = 2**40": {"inputs": [("int32", (), 13, False)],
                                   "steps": [("setitem", 0, [0, -1], ("s", 2 ** 40))] * 5},
    # x.conj() of a real array is x itself (bool stays bool; writes go through)
    "bool.conj()": {"inputs": [("bool", (2, 3), 14, False)],
                    "steps": [("method", "conj", 0, 0), ("setitem", 1, 0, ("s", True)), ("method", "conj", 0, 0),
                              ("method", "sum", 0, 0), ("method", "sum", 1, 0)]},
    "float16.conj() is a view": {"inputs": [("float16", (2, 2, 3), 15, True)],
                                 "steps": [("method", "conj", 0, 0), ("setitem", 1, -1, ("s", -129)),
                                           ("method", "sum", 0, 0), ("method", "max", 1, 0), ("unary", "-", 0)]},
    # prefer_mxnet: MXNet's reshape/transpose are copies, NumPy's are views that later writes go through
    "reshape view then write": {"inputs": [("float32", (2, 3), 16, False)],
                                "steps": [("method", "reshape", 0, 0), ("method", "T", 0, 0),
                                          ("setitem", 1, 0, ("s", 7)), ("setitem", 2, (0, 0), ("s", 5)),
                                          ("method", "sum", 0, 0)]},
    # prefer_mxnet: MXNet accepted axis=-1 on a 0-d array, and gave mean([]) = 0
    "mean(axis=-1) of 0-d": {"inputs": [F32_0D], "steps": [("method", "mean-1k", 0, 0)] * 5},
    "mean of empty": {"inputs": [("float32", (0, 3), 17, False)],
                      "steps": [("reduce", "mean", 0, 0, None, False), ("reduce", "mean", 1, 0, 0, False),
                                ("reduce", "sum", 0, 0, -1, True), ("method", "sum", 0, 0), ("method", "std", 0, 0)]},
    # prefer_mxnet: MXNet's Kahan-compensated sum turned inf into nan
    "sum with inf": {"inputs": [("float32", (2, 2, 3), 18, True)],
                     "steps": [("method", "sum", 0, 0), ("reduce", "sum", 0, 0, 0, True), ("method", "mean-1k", 0, 0),
                               ("setitem", 0, Ellipsis, ("s", 1e30)), ("reduce", "sum", 1, 0, "none", False)]},
    # prefer_mxnet, the NumPy face: a 0-d float32 array or a big int with a Python scalar promotes by value there
    "face: 0-d float32 with Python scalars": {"inputs": [F32_0D],
                                              "steps": [("ufunc2", f, 0, 0, ("s", 2.5)) for f in
                                                        ("add", "minimum", "copysign", "arctan2", "divide")]},
    "face: float32 array with 2**40": {"inputs": [("float32", (3,), 19, False)],
                                       "steps": [("ufunc2", f, 1, 0, ("s", 2 ** 40)) for f in
                                                 ("add", "minimum", "multiply", "arctan2", "maximum")]},
    "face: sign of zero": {"inputs": [("float64", (2, 3), 20, True)],
                           "steps": [("ufunc1", "negative", 0, 0), ("ufunc2", "copysign", 1, 0, 1),
                                     ("ufunc1", "signbit", 0, 2), ("ufunc1", "sign", 0, 0),
                                     ("ufunc1", "signbit", 1, 3)]},
    # operators: NumPy's `x ** s` runs sqrt / reciprocal / square for s = 0.5 / -1 / 2 (they differ from power at
    # -0.0, -inf and complex infinities)
    "x ** 0.5 is sqrt": {"inputs": [("float64", (2, 2, 3), 23, True)],
                         "steps": [("binop", "**", 0, ("s", 0.5), False), ("binop", "**", 0, ("s", -1), False),
                                   ("binop", "**", 0, ("s", 2), False), ("iop", "**=", 0, ("s", 0.5)),
                                   ("iop", "**=", 0, ("s", -1))]},
    "complex **= -1 is reciprocal": {"inputs": [("complex128", (2, 3), 24, True)],
                                     "steps": [("iop", "**=", 0, ("s", -1)), ("binop", "**", 0, ("s", -1), False),
                                               ("iop", "**=", 0, ("s", 2)), ("binop", "**", 0, ("s", 0.5), False),
                                               ("method", "sum", 0, 0)]},
    # in place on a read-only array: NumPy's read-only error comes before the operand's range check
    "read-only |= out-of-range": {"inputs": [("uint64", (3,), 25, False)],
                                  "steps": [("func", "broadcast_to", 0, 0, 0), ("iop", "|=", 1, ("s", -129)),
                                            ("iop", "+=", 1, ("s", 1)), ("setitem", 1, 0, ("s", 1)),
                                            ("iop", "*=", 1, ("s", 2.5))]},
    # prefer_mxnet: over +0.0 and -0.0 NumPy's max/min return the last zero, MXNet's the first
    "min/max of signed zeros": {"inputs": [("float64", (2, 2, 3), 26, True)],
                                "steps": [("binop", "*", 0, ("s", 0), False), ("reduce", "min", 0, 1, -1, False),
                                          ("reduce", "max", 1, 1, 0, True), ("ufunc1", "signbit", 0, 2),
                                          ("ufunc1", "signbit", 0, 3)]},
    # prefer_mxnet: 0 * inf inside a product: OpenBLAS gives 0 where MXNet gives nan
    "dot with 0 * inf": {"inputs": [("int64", (1,), 331, True), ("float32", (1, 3), 65535, True)],
                         "steps": [("unary", "-", 1), ("ufunc1", "absolute", 0, 22),
                                   ("ufunc2", "bitwise_xor", 0, 5, 30), ("reduce", "min", 1, 39, -1, True),
                                   ("func", "dot", 0, 29, 3)]},
    "bool ** 2 is square (int8)": {"inputs": [("bool", (2, 3), 27, False), ("float64", (3,), 28, True)],
                                   "steps": [("binop", "**", 0, ("s", 2), False), ("iop", "**=", 1, ("s", 2.0)),
                                             ("binop", "**", 1, ("s", -1.0), False), ("iop", "**=", 0, ("s", 2)),
                                             ("binop", "**", 1, ("s", 0.5), False)]},
    "read-only setitem of an out-of-range int": {"inputs": [("uint64", (3,), 29, False)],
                                                 "steps": [("func", "broadcast_to", 0, 0, 0),
                                                           ("setitem", 1, slice(None, None, -1), ("s", -129)),
                                                           ("setitem", 1, 0, ("s", 2 ** 40)),
                                                           ("setitem", 0, 0, ("s", -1)), ("method", "sum", 0, 0)]},
    # a ufunc raising part-way (negative integer powers) leaves its output unspecified: the harness resyncs
    "int8 **= negative ints": {"inputs": [("int8", (3,), 65536, True), ("int8", (3,), 30, True)],
                               "steps": [("func", "add.reduce", 0, 0, 4), ("iop", "**=", 28, 20),
                                         ("func", "add.reduce", 0, 0, 4), ("iop", "**=", 28, 20),
                                         ("ufunc1", "exp", 0, 0)]},
    # in place on a 0-d target with an array operand: NumPy 2 reports the dtype error before the shape error
    "0-d int64 **= uint64 array": {"inputs": [("int64", (), 0, False), ("uint64", (4,), 22, False)],
                                   "steps": [("iop", "**=", 0, 1), ("iop", "*=", 0, ("s", 2)), ("iop", "+=", 0, 1),
                                             ("iop", "^=", 0, 1), ("iop", "//=", 0, 1)]},
    "0-d int32 += float array": {"inputs": [("int32", (), 1, False), ("float64", (1, 3), 2, False)],
                                 "steps": [("iop", "+=", 0, 1), ("iop", "*=", 0, 1), ("iop", "&=", 0, 1),
                                           ("iop", "-=", 1, 0), ("iop", "/=", 0, 1)]},
    # setitem with an out-of-range int and a float or bool array index: the index error first (NumPy 2)
    "x[float array] = 300": {"inputs": [("int8", (3,), 3, False), ("float32", (3,), 4, False),
                                        ("bool", (3,), 5, False)],
                             "steps": [("setitem", 0, ("var", 1), ("s", 300)), ("setitem", 0, ("var", 2), ("s", 300)),
                                       ("setitem", 0, ("var", 2), ("s", 3)), ("getitem", 0, ("var", 2)),
                                       ("getitem", 0, ("var", 1))]},
    # an exact predicate of MXNet-computed floats: tanh(1e-7) is 1e-7 in NumPy's float32, an ulp off in MXNet's,
    # so isin differs; the step is right on prefer_mxnet's own inputs, and that side stops there
    "isin after an MXNet tanh": {"inputs": [("bool", (), 0, False), ("float32", (3,), 3172, False)],
                                 "steps": [("ufunc1", "exp", 0, 0)] * 4 + [
                                     ("iop", "**=", 1, ("n", "uint64", 7)), ("ufunc1", "tanh", 0, 1),
                                     ("func", "isin", 0, 1, 6)]},
    # an index that aliases the array it assigns into: NumPy 1.26 wrote out of bounds (a heap corruption that
    # crashed the process later, in the garbage collector); the index is copied, as NumPy 2 does
    "c[c] = True": {"inputs": [("float32", (1, 3), 299, True)],
                    "steps": [("ufunc2", "logical_or", 1, 8, 36), ("binop", "**", 17, ("s", -1), True),
                              ("setitem", 5, ("var", 32), ("s", True))] + [("setitem", 2, ("var", 2), ("s", 1))] * 3},
    # NumPy scalars on either side of an operator
    "NumPy scalars with operators": {"inputs": [("uint8", (2, 3), 6, False), ("float16", (3,), 7, True)],
                                     "steps": [("binop", o, v, ("n", *n), r) for o, v, n, r in (
                                         ("-", 0, ("int64", 2), True), ("**", 0, ("int64", 2), True),
                                         ("*", 1, ("uint64", 7), True), ("/", 1, ("float32", 1.5), False),
                                         ("&", 0, ("int64", 2), False), ("<<", 0, ("uint64", 7), True))]},
}


@pytest.mark.parametrize("name", sorted(PROGRAMS))
def test_regression(name):
    fuzz_engine.execute(PROGRAMS[name], SIDES)


# auto with calibration on, MXNet's kernels winning: MXNet's float64 cbrt(1e30) is 1e10 less an ulp, within the
# dtype's tolerance; (-0.38) ** that is NaN where (-0.38) ** 1e10 is 0, so the in-place power part ways with NumPy
# on a right value: the side stops there, as for an exact predicate (the write is NumPy's on the side's own inputs)
CALIBRATED = {
    "**= after MXNet's cbrt": {"inputs": [("float16", (), 0, False), ("float64", (), 0, True)],
                               "steps": [("ufunc1", "exp", 0, 0), ("unary", "-", 0), ("unary", "-", 0),
                                         ("ufunc1", "exp", 0, 0), ("ufunc1", "cbrt", 0, 1), ("iop", "**=", 3, 6)]},
}


@pytest.mark.skipif(not HAS_MXNET, reason="mxnet is not installed in this environment (the NumPy 2 CI environment "
                                          "has none: MXNet 1.9.1 pins numpy<2)")
@pytest.mark.parametrize("name", sorted(CALIBRATED))
def test_regression_calibrated(name):
    with calibration(given_timings(lambda key, names: "mxnet"), min_size=0) as cal:
        fuzz_engine.execute(CALIBRATED[name], SIDES)
        assert any(r["backend"] == "mxnet" for r in cal.calibration())


def test_a_write_wrong_on_the_sides_own_inputs_is_a_mismatch():
    """The harness's way out for in-place steps (above) admits only NumPy's write on the side's own values."""
    ref, side = fuzz_engine.Side("numpy"), fuzz_engine.Side("auto", "auto")
    before = [numpy.array(-0.38, numpy.float16), numpy.array(9999999999.999998)]
    step = ("iop", "**=", 0, 1)
    right, wrong = (mnp.asarray(numpy.array(v, numpy.float16)) for v in (numpy.nan, 0.0))
    assert fuzz_engine._writes_right_on_own_inputs(ref, before, step, 0, right, side)
    assert not fuzz_engine._writes_right_on_own_inputs(ref, before, step, 0, wrong, side)
    assert not fuzz_engine._writes_right_on_own_inputs(ref, None, step, 0, right, side)
