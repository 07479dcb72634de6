"""Containers of traced values, and traced values passed by keyword: brought into the form a VJP reads.

NumPy turns a (nested) list or tuple of arrays and scalars into one array wherever it takes an array_like.  When
such a container holds traced MinArrays, the engine (through `prepare`, installed as _dispatch.PREPARE) first builds
that array with the op `_pack` (recorded, so each traced element gets its slice of the cotangent back, at every
order), and the op runs and is recorded on the packed array: `np.array([[x, 2 * x]])`, `np.sum([x, y])`,
`np.linalg.norm([x, y])` and every other array_like argument are then ordinary traced arrays.  The ops that take a
*sequence* of arrays (SEQUENCES: concatenate, stack, ...) keep their list: each element that is itself a container
is packed, and a traced array passed where the sequence goes is split into its rows first (`unstack`), so their
VJPs see a list of arrays in every case.  `block` takes nested lists of arrays: the tape follows the nesting
(paths), nothing is packed.

A traced array passed by keyword is moved to its positional place (NumPy's signature of the op), so that the
VJP sees it where it looks for it.
"""
import inspect

import numpy

from .. import _dispatch
from .._array import MinArray
from . import vjps as _vjps

# op name -> positions of arguments that are sequences of array_likes (the elements are packed, not the sequence)
SEQUENCES = {
    "concat": (0,), "stack": (0,), "vstack": (0,), "hstack": (0,), "dstack": (0,), "column_stack": (0,),
    "row_stack": (0,), "linalg.multi_dot": (0,), "select": (0, 1), "choose": (1,), "lexsort": (0,),
}
NESTED = {"block"}  # nested sequences of arrays: kept as they are (the tape follows the nesting)


class Slot:
    """Where the i-th traced element sits in a packed container."""

    __slots__ = ("i",)

    def __init__(self, i):
        self.i = i

    def __repr__(self):
        return f"Slot({self.i})"


def traced_in(x):
    """Does x (a MinArray or nested lists/tuples) hold a traced MinArray?"""
    t = type(x)
    if t is MinArray:
        return x._node is not None
    if t is list or t is tuple:
        for v in x:
            if traced_in(v):
                return True
    return False


def _template(x, leaves):
    t = type(x)
    if t is list or t is tuple:
        return t(_template(v, leaves) for v in x)
    if t is MinArray and x._node is not None:
        leaves.append(x)
        return Slot(len(leaves) - 1)
    return x


def _fill(template, leaves):
    t = type(template)
    if t is list or t is tuple:
        return [_fill(v, leaves) for v in template]
    if t is Slot:
        return leaves[template.i]
    return template


def pack(x):
    """The array NumPy makes of container x, as the recorded op `_pack` of its traced elements; x itself when it
    does not make a numeric array (a ragged list, callables ...): the op then sees it as it is."""
    leaves = []
    template = _template(x, leaves)
    try:
        return _dispatch.run("_pack", _pack_kernel, (template, *leaves), {})
    except (ValueError, TypeError):
        return x


def _pack_kernel(template, *leaves):
    out = numpy.array(_fill(template, leaves))
    if out.dtype.kind not in "biufc":
        raise TypeError("not a numeric array")
    return out


def paths(template):
    """The index path of every Slot in the template, in slot order."""
    out = {}

    def walk(v, path):
        t = type(v)
        if t is list or t is tuple:
            for j, e in enumerate(v):
                walk(e, path + (j,))
        elif t is Slot:
            out[v.i] = path
    walk(template, ())
    return [out[i] for i in range(len(out))]


def _rows(x):
    return list(_dispatch.apply("unstack", x))


def pack_args(op, args):
    """args with every list/tuple that holds traced values in the form the op's VJP reads (see the module doc)."""
    for a in args:
        t = type(a)
        if t is list or t is tuple:
            break
    else:
        seq = SEQUENCES.get(op)
        if seq is None or not any(type(args[i]) is MinArray and args[i]._node is not None
                                  for i in seq if i < len(args)):
            return args
    if op in NESTED:
        return args
    seq = SEQUENCES.get(op, ())
    out = list(args)
    for i, a in enumerate(args):
        t = type(a)
        if i in seq:
            if t is MinArray and a._node is not None:
                out[i] = _rows(a)
            elif (t is list or t is tuple) and traced_in(a):
                out[i] = t(pack(e) if type(e) in (list, tuple) and traced_in(e) else e for e in a)
        elif (t is list or t is tuple) and traced_in(a):
            out[i] = pack(a)
    return tuple(out)


_SIGNATURES = {}
# NumPy's C functions have no inspectable signature: the ones that take an array by keyword (name, default or -)
_C_SIGNATURES = {"bincount": (("x", "-"), ("weights", None), ("minlength", 0)), "dot": (("a", "-"), ("b", "-"),
                 ("out", None)), "vdot": (("a", "-"), ("b", "-")), "inner": (("a", "-"), ("b", "-"))}


def _signature(op):
    if op in _C_SIGNATURES:
        kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
        return inspect.Signature([inspect.Parameter(n, kind) if d == "-" else inspect.Parameter(n, kind, default=d)
                                  for n, d in _C_SIGNATURES[op]])
    return inspect.signature(_dispatch.NP_KERNELS[op])  # NumPy's function for the op


def positional(op, args, kw):
    """(args, kw) with the keyword arguments that NumPy's signature of `op` lets go positionally moved there (the
    ones before them filled with their defaults), so that a traced array passed by keyword reaches its VJP."""
    sig = _SIGNATURES.get(op)
    if sig is None:
        try:
            sig = _signature(op)
        except (KeyError, TypeError, ValueError):
            sig = False
        _SIGNATURES[op] = sig
    if sig is False:
        raise TypeError(f"{op}: a traced array passed by keyword, and this op's signature is unknown; pass it "
                        "positionally so that its gradient is recorded")
    try:
        bound = sig.bind(*args, **kw)
    except TypeError:  # not a valid call: the op itself gives NumPy's error
        return args, kw
    params = list(sig.parameters.values())
    last = max((i for i, p in enumerate(params) if p.name in bound.arguments and p.kind in (
        p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)), default=-1)
    pos, rest = [], {}
    for i, p in enumerate(params):
        if p.kind is p.VAR_POSITIONAL:
            pos.extend(bound.arguments.get(p.name, ()))
        elif p.kind is p.VAR_KEYWORD:
            rest.update(bound.arguments.get(p.name, {}))
        elif i <= last and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD):
            if p.name in bound.arguments:
                pos.append(bound.arguments[p.name])
            elif p.default is not p.empty:
                pos.append(p.default)  # NumPy's own default, its _NoValue sentinel included
            else:
                raise TypeError(f"{op}: a traced array passed by keyword after an argument with no default; pass "
                                "it positionally so that its gradient is recorded")
        elif p.name in bound.arguments:
            rest[p.name] = bound.arguments[p.name]
    traced = sorted(k for k, v in rest.items() if traced_in(v))
    if traced:
        raise TypeError(f"{op}: a traced array passed as keyword-only argument {', '.join(traced)}; no gradient "
                        "is implemented through it (pass a constant there, or the array positionally where the op "
                        "takes it)")
    return tuple(pos), rest


def prepare(op, args, kw):
    """Installed as _dispatch.PREPARE[0], for a call with a traced input, before it runs: containers of traced
    values packed (pack_args) and, for an op with a VJP, traced keyword arguments moved to their positions."""
    if kw and op in _vjps.VJPS and traced_in(tuple(kw.values())):
        args, kw = positional(op, args, kw)
    return pack_args(op, args), kw
