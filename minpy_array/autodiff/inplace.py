"""ufunc.at on traced arrays: the same in-place update, made of recorded ops and written back into the array.

`np.add.at(a, indices, b)` with `a` or `b` traced becomes a + (b scattered onto a's positions) for add and
subtract (one scatter op), and for every other ufunc the update applied round by round: round r updates the
positions reached for the r-th time (getitem, the ufunc, setitem), so repeated indices compose in NumPy's order.
Every ufunc with a VJP thus has a differentiable `.at`, at every order, with no VJP of its own.
"""
import numpy

from .. import _dispatch
from .._array import MinArray, asarray_like
from . import tape
from .vjps import _key_plain, _scatter

A = _dispatch.apply


def _plain(x):
    return tape.strip(x, 0)._host() if type(x) is MinArray else x


def ufunc_at(ufunc, op, args, kwargs):
    """ufunc.at(a, indices[, b]) where some argument is traced; `a` (a MinArray) takes the result."""
    if kwargs:
        raise TypeError(f"{op}.at takes no keyword arguments")
    a, indices, rest = args[0], args[1], args[2:]
    if type(a) is not MinArray:
        raise TypeError(f"{op}.at: cannot write a traced value into a {type(a).__name__}; make the target a MinArray "
                        "(minpy_array.numpy.asarray) so that the update is recorded")
    b = rest[0] if rest else None
    probe = numpy.array(_plain(a), copy=True)  # NumPy's own checks (casting, bounds, shapes) and nothing else
    ufunc.at(probe, _key_plain(indices), *(_plain(b),) if rest else ())
    target = numpy.arange(a.size).reshape(a.shape)[_key_plain(indices)]  # flat positions, in NumPy's order
    pos = target.ravel()
    flat = A("reshape", a, (-1,))
    if rest:
        b = b if type(b) is MinArray else asarray_like(numpy.asarray(b), a.device)
        vals = A("ravel", A("broadcast_to", b, target.shape))
    if op in ("add", "subtract") and rest:
        moved = _scatter(vals, (a.size,), (pos,))
        out = A(op, flat, moved)
    else:
        seen = {}
        rank = numpy.empty(pos.size, dtype=numpy.int64)
        for k, p in enumerate(pos.tolist()):  # the how-manieth visit of its position each entry is
            rank[k] = seen.get(p, 0)
            seen[p] = rank[k] + 1
        out = flat
        for r in range(int(rank.max(initial=-1)) + 1):
            ks = numpy.flatnonzero(rank == r)
            where = pos[ks]
            cur = A("getitem", out, where)
            new = A(op, cur, A("getitem", vals, ks)) if rest else A(op, cur)
            out = A("setitem", out, where, new)
    _dispatch.assign(a, A("reshape", out, a.shape))


# where the values sit in NumPy's copying in-place functions
VALUES_AT = {"copyto": 1, "put": 2, "place": 2, "putmask": 2, "fill_diagonal": 1, "put_along_axis": 2}


def copy_in(name, kernel, args, kwargs):
    """copyto, put, place, putmask, fill_diagonal, put_along_axis with a traced argument: which element (of the
    target or of the values) each position ends up holding is found by running the function itself on index
    arrays; the result is one recorded `take` of those elements, written back into the target."""
    dst, at = args[0], VALUES_AT[name]
    if type(dst) is not MinArray:
        raise TypeError(f"{name}: cannot write a traced value into a {type(dst).__name__}; make the target a "
                        "MinArray (minpy_array.numpy.asarray) so that the update is recorded")
    plain = [_plain(v) for v in args]
    plain[0] = numpy.array(plain[0], copy=True)
    kernel(*plain, **{k: _plain(v) for k, v in kwargs.items()})  # NumPy's own checks, on a copy
    values = args[at] if type(args[at]) is MinArray else asarray_like(numpy.asarray(args[at]), dst.device)
    idx = [_plain(v) for v in args]
    idx[0] = numpy.arange(dst.size).reshape(dst.shape)
    idx[at] = dst.size + numpy.arange(values.size).reshape(values.shape)
    kw = {k: _plain(v) for k, v in kwargs.items() if k != "casting"}
    kernel(*idx, **kw)
    source = A("concat", [A("ravel", dst), A("ravel", A("astype", values, dst.dtype))])
    _dispatch.assign(dst, A("reshape", A("take", source, idx[0].ravel()), dst.shape))
