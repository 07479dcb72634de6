"""The tape: nodes hung on traced MinArrays, trace levels for nested gradients, the backward pass.

There is no global tape object: a traced MinArray's `_node` points at the node that made it, and nodes point at
their inputs' nodes, so the graph lives exactly as long as the arrays that reach it and every thread has its own.

Trace levels make nested `grad` work with one `_node` slot per array.  Each `grad` call opens a new level (a
number larger than every level before it).  A node at level L keeps `lower`: the same value as seen by the levels
below L (a MinArray that may itself be traced at an outer level, or an untraced one).  Recording an op whose inputs
are traced at levels {L1 < L2 ...} makes one node per level, each fed with its inputs' values below that level, so
the VJPs that run during level L2's backward pass are themselves recorded at level L1.
"""
import itertools
import math

from .. import _dispatch, _memory
from .._array import MinArray, _wrap, with_face
from .._native import speedups as _speedups

_levels = itertools.count(1)


def new_level():
    """A fresh trace level, above every level opened before it (thread-safe: itertools.count is atomic)."""
    return next(_levels)


class Node:
    """One traced value at one level.

    level:   the trace level
    lower:   the same value below this level (a MinArray traced at an outer level, or a leaf's input); None when
             the value is untraced below this level: then the array's own buffer is that value
    vjp:     the VJP table entry of the op that made it ((kind, makers) or a custom callable); None for a leaf
    ans, args, kw: the op's output (below the level) and inputs (below the level), dropped once the VJP has run
    parents: ((position, path inside a list argument (a tuple, () for the argument itself), parent Node), ...)
    head:    for one output of a multi-output op, the node holding the op (this node only carries `index`)
    g:       the cotangent accumulated during the backward pass (a list, one per output, on a multi-output head)
    """

    __slots__ = ("level", "lower", "vjp", "ans", "args", "kw", "parents", "head", "index", "g", "op", "__weakref__")

    def __init__(self, level, lower, op=None, vjp=None, ans=None, args=None, kw=None, parents=()):
        self.level = level
        self.lower = lower
        self.op = op
        self.vjp = vjp
        self.ans = ans
        self.args = args
        self.kw = kw
        self.parents = parents
        self.head = None
        self.index = 0
        self.g = None


# ---------------------------------------------------------------- levels of values
def strip(x, level):
    """x as seen below `level` (MinArrays and nested lists/tuples of them)."""
    t = type(x)
    if t is MinArray:
        n = x._node
        while n is not None and n.level >= level:
            if n.lower is None:  # untraced below this level
                return _wrap(x._data, x._device, x._face)
            x = n.lower
            n = x._node
        return x
    if t is list or t is tuple:
        return t(strip(v, level) for v in x)
    return x


def node_at(x, level):
    """The node of MinArray x at exactly `level`, or None."""
    n = x._node
    while n is not None and n.level > level:
        n = n.lower._node if n.lower is not None else None
    return n if n is not None and n.level == level else None


def box(x, level):
    """A leaf: x traced at `level` (x may be traced at outer levels already)."""
    out = _wrap(x._data, x._device, x._face)
    out._node = Node(level, x)
    return out


def _levels_of(seq, found):
    for a in seq:
        t = type(a)
        if t is MinArray:
            n = a._node
            while n is not None:
                found.add(n.level)
                n = n.lower._node if n.lower is not None else None
        elif t is list or t is tuple:
            _levels_of(a, found)


# ---------------------------------------------------------------- recording
def record(op, vjp, args, kw, result):
    """Attach nodes to `result` (computed untraced) for every level at which an input is traced."""
    if type(result) is MinArray and not (kw and _has_traced(kw.values())):
        out = _record_one_level(op, vjp, args, result, kw)
        if out is not None:
            return out
    found = set()
    _levels_of(args, found)
    if kw:
        kwfound = set()
        _levels_of(kw.values(), kwfound)
        if kwfound:
            raise TypeError(f"{op}: a traced array passed by keyword; pass it positionally so that its gradient "
                            "is recorded")
    multi = type(result) is not MinArray
    cur = result
    for level in sorted(found):
        a = tuple(strip(v, level) for v in args)
        parents = []
        for i, v in enumerate(args):
            _parents_in(v, level, i, (), parents)
        kwl = {k: strip(v, level) for k, v in kw.items()} if kw else kw
        node = Node(level, None, op, vjp, cur, a, kwl, tuple(parents))
        if not multi:
            out = _wrap(cur._data, cur._device, cur._face)
            node.lower = cur if cur._node is not None else None
            out._node = node
            cur = out
        else:
            cur = _record_multi(node, cur)
    return cur


def _parents_in(v, level, pos, path, parents):
    """(pos, path, node) for every MinArray traced at `level` in argument v (nested lists/tuples: block)."""
    t = type(v)
    if t is MinArray:
        n = node_at(v, level)
        if n is not None:
            parents.append((pos, path, n))
    elif t is list or t is tuple:
        for j, e in enumerate(v):
            _parents_in(e, level, pos, path + (j,), parents)


def _has_traced(seq):
    for e in seq:
        t = type(e)
        if t is MinArray:
            if e._node is not None:
                return True
        elif (t is list or t is tuple) and _has_traced(e):
            return True
    return False


class Meta:
    """What a shape-only VJP needs of an argument (shape, dtype, device), so that its value can be freed."""

    __slots__ = ("shape", "dtype", "_device")

    def __init__(self, a):
        self.shape, self.dtype, self._device = a.shape, a.dtype, a._device

    @property
    def device(self):
        return self._device

    @property
    def ndim(self):
        return len(self.shape)

    @property
    def size(self):
        return math.prod(self.shape)


SHAPE_ONLY = set()  # ops whose VJP reads only the shapes and dtypes of its array arguments and not its output
NO_ANS = set()      # ops whose VJP does not read its output


def _record_one_level(op, vjp, args, result, kw=None):
    """The common case, fast: one output, positional array arguments all traced at one level only (else None); kw
    (holding no traced array) kept as a copy."""
    level = 0
    parents = []
    lower = list(args)
    light = op in SHAPE_ONLY
    for i, a in enumerate(args):
        t = type(a)
        if t is MinArray:
            n = a._node
            if n is None:
                continue
            if level and n.level != level:
                return None
            low = n.lower
            if low is None:
                low = Meta(a) if light else _wrap(a._data, a._device)
            elif low._node is not None:
                return None
            elif light:
                low = Meta(low)
            level = n.level
            parents.append((i, (), n))
            lower[i] = low
        elif (t is list or t is tuple) and _has_traced(a):
            return None
    node = Node(level, None, op, vjp, None if light or op in NO_ANS else result, tuple(lower), dict(kw) if kw else None,
                tuple(parents))
    out = _wrap(result._data, result._device, result._face)
    out._node = node
    return out


def _record_multi(head, outs):
    """Outputs of a multi-output op: each array gets its own node pointing at the shared head."""
    n_out = len(outs)
    head.g = [None] * n_out
    new = []
    for i, o in enumerate(outs):
        if type(o) is MinArray and o.dtype.kind in "fc":
            b = _wrap(o._data, o._device, o._face)
            n = Node(head.level, o)
            n.head = head
            n.index = i
            b._node = n
            new.append(b)
        else:
            new.append(o)
    t = type(outs)
    return t(*new) if hasattr(outs, "_fields") else t(new)


# ---------------------------------------------------------------- the backward pass
def _toposort(roots):
    """Records reachable from roots, each before the records it consumed."""
    seen = set()
    order = []
    stack = [(r, False) for r in roots]
    while stack:
        n, done = stack.pop()
        if done:
            order.append(n)
            continue
        if n in seen:
            continue
        seen.add(n)
        stack.append((n, True))
        for _, _, p in n.parents:
            r = p.head or p
            if r not in seen:
                stack.append((r, False))
    order.reverse()
    return order


def accumulate(node, g):
    h = node.head
    if h is None:
        node.g = g if node.g is None else _dispatch.apply("add", node.g, g)
    else:
        old = h.g[node.index]
        h.g[node.index] = g if old is None else _dispatch.apply("add", old, g)


def backward(roots, retain=False):
    """Run the VJPs from roots [(node, cotangent)] down to the leaves, which keep their cotangents in `.g`.

    Without `retain`, each record drops its inputs, output and edges once its VJP has run."""
    _memory.tune()  # (once: keeps the memory a step frees mapped for the next one)
    for n, g in roots:
        accumulate(n, g)
    order = _toposort([n.head or n for n, _ in roots])
    _run_order(order, retain)
    return order


def _run_order(order, retain):
    """The backward pass proper: each record's VJP, in order."""
    for rec in order:
        if rec.vjp is None:  # a leaf: keeps its g for the caller
            continue
        g = rec.g
        rec.g = None
        if type(g) is list:
            g = _gather(rec, g, retain)
        if g is not None and rec.parents:
            _run_vjp(rec, g)
        if not retain:
            rec.ans = rec.args = rec.kw = rec.lower = None
            rec.parents = ()


def _gather(rec, g, retain):
    """A multi-output record's cotangents as one value of its output's type (zeros where none came), or None."""
    if all(v is None for v in g):
        g = None
    else:
        ans = rec.ans
        g = tuple(v if v is not None else _zeros(o) for v, o in zip(g, ans, strict=False))
        if hasattr(ans, "_fields"):
            g = type(ans)(*g)
    if retain:
        rec.g = [None] * len(rec.ans)
    return g


def _zeros(o):
    return _dispatch.apply("zeros_like", o) if type(o) is MinArray else None


def _run_vjp(rec, g):
    kind, makers = rec.vjp
    args, kw, ans = rec.args, rec.kw, rec.ans
    done = {}
    for pos, path, p in rec.parents:
        if pos in done:
            ct = done[pos]
        else:
            if kind == 0:
                if pos >= len(makers):
                    _no_vjp_for(rec, pos)
                m = makers[pos]
                ct = None if m is None else (m(ans, *args, **kw) if kw else m(ans, *args))(g)
            else:
                if "all" not in done:
                    done["all"] = (makers(ans, *args, **kw) if kw else makers(ans, *args))(g)
                cts = done["all"]
                if pos >= len(cts):
                    _no_vjp_for(rec, pos)
                ct = cts[pos]
            done[pos] = ct
        if ct is None:  # None by declaration: no gradient flows through this argument
            continue
        a = args[pos]
        for j in path:
            ct = ct[j]
            a = a[j]
        if ct is None:
            continue
        accumulate(p, fit(ct, a))


def _no_vjp_for(rec, pos):
    """A traced argument that the op's VJP does not cover: an error, never a silent zero."""
    raise TypeError(f"{rec.op}: no gradient is implemented with respect to its positional argument {pos}, which "
                    "is traced; pass a constant there (minpy_array.autodiff.stop_gradient) or register a VJP that "
                    "covers it with minpy_array.autodiff.defvjp")


def fit(ct, like):
    """Cotangent ct shaped and typed like the array `like`: broadcast axes summed away, dtype cast; a spec-face array
    (the backward pass computes with 0-d arrays, never NumPy scalars)."""
    if type(ct) is not MinArray:
        ct = _dispatch.apply("asarray", ct)
        if like._device != ct._device:
            ct = ct.to_device(like._device)
    elif ct._face:
        ct = with_face(ct, False)
    shape = like.shape
    if ct.shape != shape:
        ct = unbroadcast(ct, shape)
    if ct.dtype != like.dtype:
        if ct.dtype.kind == "c" and like.dtype.kind != "c":
            ct = _dispatch.apply("real", ct)
        ct = _dispatch.apply("astype", ct, like.dtype)
    return ct


def unbroadcast(g, shape):
    """Sum g over the axes that broadcasting added or stretched, to get back `shape`."""
    extra = g.ndim - len(shape)
    # Note: positional arguments keep these calls on the engine's fast path
    if extra > 0:
        g = _dispatch.apply("sum", g, tuple(range(extra)))
    axes = tuple(i for i, (n, m) in enumerate(zip(shape, g.shape, strict=False)) if n == 1 and m != 1)
    if axes:
        g = _dispatch.apply("sum", g, axes, None, None, True)
    if g.shape != shape:
        g = _dispatch.apply("broadcast_to", g, shape)
    return g


if _speedups is not None:  # the C versions of the hot paths above (_speedups.c's tape section follows them)
    Node = _speedups.Node
    _record_one_level = _speedups.record_one
    _run_order = _speedups.run_order
    _speedups.install_tape(meta=Meta, shape_only=SHAPE_ONLY, no_ans=NO_ANS, fit=fit, accumulate=accumulate,
                           run_vjp=_run_vjp, no_vjp=_no_vjp_for, gather=_gather, toposort=_toposort)
    toposort_py, _toposort = _toposort, _speedups.toposort  # (the Python one stays its definition)
