"""Function: an MXNet symbol graph (e.g. a convolution) called like any other op, differentiable.

A call is one op of the dispatch engine (`op_stats()` counts it under "mxnet"); when an input is traced, the tape
records it and its VJP runs `executor.backward` with the output cotangents.  Executors are bound once per (input
shapes, dtypes, device, which inputs need a gradient) and cached.  On the cpu device the executor's argument,
gradient and auxiliary arrays are NumPy buffers shared with MXNet through DLPack, so feeding an input is one NumPy
copy and no MXNet call; on other devices (MXNet buffers) inputs are copied by the MXNet engine.

Training and inference: `f.is_train` (default True) is passed to `executor.forward`; inside
`with Function.inference():` every Function runs in inference mode.  Auxiliary states (BatchNorm's moving mean and
variance) live in `f.aux_states` (name -> MinArray): a training call replaces them with the updated values, an
inference call uses them.

Backward: if the executor ran another call (same shapes) between a call and its backward pass, the call's forward
is recomputed first.  Note: random operators (Dropout) then draw a new mask, so that gradient belongs to another
sample of the noise; call such a symbol once per shape before differentiating, or give the calls distinct shapes.
Calls of Functions from several threads are serialised with every other MXNet call (ops/_mxnet.LOCK).  Gradients of
gradients are not supported: the backward op `<op>:backward` has no VJP, so tracing it raises a TypeError naming it.

Loss heads: MXNet's loss operators (`SoftmaxOutput`, `LinearRegressionOutput`, ...) define their own backward.
Note: their backward ignores the incoming cotangent, so `grad(lambda w: np.sum(f(x, w, label)))` gives the loss
gradient (for SoftmaxOutput: softmax(x) - one_hot(label), summed over the batch), whatever is done to the output.
"""
import contextvars
import itertools
import weakref

import numpy

from . import _dispatch
from ._array import MinArray
from ._devices import get_default_device
from .ops import _mxnet

_inference = contextvars.ContextVar("minpy_array_symbol_inference", default=False)
_ids = itertools.count()
_MISSING = object()
# auxiliary states initialised to one (MXNet's Initializer convention, by name suffix); the others start at zero
_ONES = ("moving_var", "running_var")


class _InferenceScope:
    __slots__ = ("_token",)

    def __enter__(self):
        self._token = _inference.set(True)

    def __exit__(self, *exc):
        _inference.reset(self._token)


def _known(shape):
    return shape is not None and len(shape) > 0 and all(d >= 0 for d in shape)


def _short(err):
    """The first line of an MXNet error message, without its stack trace."""
    return str(err).strip().splitlines()[0][:300] if str(err).strip() else type(err).__name__


class _Entry:
    """One bound executor and the buffers around it."""

    __slots__ = ("exe", "host", "args", "grads", "aux", "ogs", "mask", "device", "last")


class _Call:
    """What the backward pass of one call needs: its executor, raw input buffers, mode and auxiliary states."""

    __slots__ = ("fn", "entry", "train", "bufs", "aux")

    def __init__(self, fn, entry, train):
        self.fn = fn  # the tape keeps the Function alive through its calls
        self.entry = entry
        self.train = train


class Function:
    """An MXNet symbol as a function of MinArrays.

    `Function(symbol, input_shapes=None, *, name=None, is_train=True, aux_states=None)`; call it with the
    symbol's arguments (`list_arguments()`) by keyword or positionally in that order.  One output gives a
    MinArray, several give a tuple.  `input_shapes` ({argument: shape}) lets shape inference fill
    `param_shapes` and `output_shapes` before the first call; without it they come from the first call.
    """

    def __init__(self, symbol, input_shapes=None, *, name=None, is_train=True, aux_states=None):
        mx = _mxnet.load()  # ImportError naming the `mxnet` extra when MXNet is missing
        if not isinstance(symbol, mx.sym.Symbol):
            raise TypeError(f"Function: expected an mxnet Symbol, got {type(symbol).__name__}")
        self.symbol = symbol
        self.name = name or symbol.name or "symbol"
        self.arg_names = tuple(symbol.list_arguments())
        self.output_names = tuple(symbol.list_outputs())
        self.aux_names = tuple(symbol.list_auxiliary_states())
        self.op = f"Function:{self.name}#{next(_ids)}"
        self.is_train = is_train
        self._index = {n: i for i, n in enumerate(self.arg_names)}
        self._cache = {}
        self._shapes = None
        self.input_shapes = {}
        if input_shapes:
            for k in input_shapes:
                self._check_name(k, "input_shapes")
            self.input_shapes = {k: tuple(int(d) for d in s) for k, s in input_shapes.items()}
            with _mxnet.LOCK:
                self._shapes = self._infer(self.input_shapes)
        self.aux_states = {}
        if aux_states:
            for k, v in aux_states.items():
                if k not in self.aux_names:
                    raise TypeError(f"{self.name}: unknown auxiliary state {k!r} (the symbol has "
                                    f"{list(self.aux_names)})")
                self.aux_states[k] = v if type(v) is MinArray else _dispatch.wrap(numpy.asarray(v),
                                                                                   get_default_device())
        _register(self)

    @staticmethod
    def inference():
        """`with Function.inference():` runs every Function in inference mode (is_train=False)."""
        return _InferenceScope()

    def __repr__(self):
        return f"Function({self.name!r}, arguments={list(self.arg_names)}, outputs={list(self.output_names)})"

    # ------------------------------------------------------------ shapes
    @property
    def arg_shapes(self):
        """{argument: shape} from shape inference (None where it cannot decide)."""
        return dict(self._need_shapes()[0])

    @property
    def param_shapes(self):
        """{argument: shape} for the arguments not given in input_shapes: what a user initialises."""
        return {k: s for k, s in self._need_shapes()[0].items() if k not in self.input_shapes}

    @property
    def output_shapes(self):
        """Shapes of the outputs, a tuple with one shape per output."""
        return self._need_shapes()[1]

    @property
    def aux_shapes(self):
        return dict(self._need_shapes()[2])

    def _need_shapes(self):
        if self._shapes is None:
            raise ValueError(f"{self.name}: shapes are unknown; pass input_shapes to Function() or call it once")
        return self._shapes

    def _check_name(self, k, where):
        if k not in self._index:
            raise TypeError(f"{self.name}: {where} names unknown argument {k!r} (arguments: "
                            f"{', '.join(self.arg_names)})")

    def _infer_partial(self, shapes):
        mx = _mxnet.load()
        try:
            a, o, x = self.symbol.infer_shape_partial(**shapes)
        except mx.base.MXNetError:
            return None
        if a is None:
            return None
        a = dict(zip(self.arg_names, (tuple(s) if _known(s) else None for s in a), strict=True))
        for k, s in shapes.items():
            if a[k] is not None and a[k] != s:
                return None
        return (a, tuple(tuple(s) if _known(s) else None for s in o),
                dict(zip(self.aux_names, (tuple(s) if _known(s) else None for s in x), strict=True)))

    def _infer(self, shapes):
        """Shape inference from {argument: shape}; ValueError naming the first argument that contradicts it."""
        res = self._infer_partial(shapes)
        if res is not None:
            return res
        given = {}
        for name in self.arg_names:
            if name not in shapes:
                continue
            before = self._infer_partial(given)
            given[name] = shapes[name]
            if self._infer_partial(given) is None:
                expect = before[0][name] if before is not None else None
                why = (f"shape inference from {', '.join(k for k in given if k != name)} gives {expect}"
                       if expect is not None and len(given) > 1 else "it contradicts the symbol's shape inference")
                raise ValueError(f"{self.name}: argument {name!r} has shape {shapes[name]}, but {why}")
        raise ValueError(f"{self.name}: shape inference failed for {shapes}")

    # ------------------------------------------------------------ the call
    def _collect(self, args, kwargs):
        n = len(self.arg_names)
        if len(args) > n:
            raise TypeError(f"{self.name}() takes {n} arguments ({', '.join(self.arg_names)}) but {len(args)} "
                            "were given")
        vals = list(args) + [_MISSING] * (n - len(args))
        for k, v in kwargs.items():
            i = self._index.get(k)
            if i is None:
                raise TypeError(f"{self.name}() got an unexpected keyword argument {k!r} (arguments: "
                                f"{', '.join(self.arg_names)})")
            if vals[i] is not _MISSING:
                raise TypeError(f"{self.name}() got multiple values for argument {k!r}")
            vals[i] = v
        if any(v is _MISSING for v in vals):
            missing = [repr(self.arg_names[i]) for i, v in enumerate(vals) if v is _MISSING]
            raise TypeError(f"{self.name}() missing argument{'s' if len(missing) > 1 else ''} "
                            f"{', '.join(missing)}")
        device = None
        for v in vals:
            if type(v) is MinArray:
                if device is None:
                    device = v._device
                elif v._device != device:
                    raise ValueError(f"{self.name}: arrays on different devices ({device} and {v._device})")
        if device is None:
            device = get_default_device()
        if not (device.is_host or device.backend is _mxnet):
            raise ValueError(f"{self.name}: a Function runs MXNet, on the cpu or an MXNet device (gpu:N, sim:N), "
                             f"not on {device}; move the arrays with to_device()")
        for i, v in enumerate(vals):
            if type(v) is not MinArray:
                buf, _ = _dispatch.device_buffer(numpy.asarray(v), device)
                vals[i] = _dispatch.wrap(buf, device)
        return vals, device

    def __call__(self, *args, **kwargs):
        vals, device = self._collect(args, kwargs)
        key = (tuple(v.shape for v in vals), tuple(v.dtype for v in vals), device,
               tuple(v._node is not None for v in vals))
        entry = self._cache.get(key)
        if entry is None:
            with _mxnet.LOCK:
                entry = self._bind(key)
        call = _Call(self, entry, self.is_train and not _inference.get())
        return _dispatch.run_library(self.op, _mxnet, self._forward, vals, {"call": call})

    def _forward(self, *bufs, call):
        with _mxnet.LOCK:  # MXNet is not safe from several threads; the executors and aux_states are shared
            return self._forward_locked(bufs, call)

    def _forward_locked(self, bufs, call):
        e = call.entry
        call.bufs = bufs
        call.aux = self.aux_states
        self._load(e, bufs, call.aux)
        try:
            e.exe.forward(is_train=call.train)
        except _mxnet.errors():
            # an executor whose forward failed is unusable ("Cannot find attribute shape in the graph" on the next
            # call): drop it, so the next call binds a fresh one
            self._cache = {k: v for k, v in self._cache.items() if v is not e}
            raise
        e.last = call
        outs = tuple(_read(e, o) for o in e.exe.outputs)
        return outs[0] if len(outs) == 1 else outs

    def _load(self, e, bufs, aux):
        for dst, src in zip(e.args, bufs, strict=True):
            _put(dst, src)
        self._load_aux(e, aux)

    def _load_aux(self, e, aux):
        for n, dst in zip(self.aux_names, e.aux, strict=True):
            _put(dst, aux[n]._data)

    def _backward(self, *bufs, call):
        with _mxnet.LOCK:
            return self._backward_locked(bufs, call)

    def _backward_locked(self, bufs, call):
        e = call.entry
        gbufs = bufs[:len(e.ogs)]
        if e.last is not call:
            # the executor's last forward was another call (same shapes): recompute this one's forward with the
            # auxiliary states it saw
            self._load(e, call.bufs, call.aux)
            e.exe.forward(is_train=call.train)
            e.last = call
        for dst, g in zip(e.ogs, gbufs, strict=True):
            if g is None or numpy.ndim(g) == 0 and not _mxnet.is_buffer(g):
                g = numpy.full(dst.shape, 0 if g is None else g, dst.dtype)
            _put(dst, g)
        if self.aux_names and call.train:
            # Note: MXNet's BatchNorm updates its moving statistics in the backward pass (on top of the current ones)
            # and does not declare that write to the engine, hence waitall before reading them
            if self.aux_states is not call.aux:
                self._load_aux(e, self.aux_states)
            e.exe.backward(out_grads=list(e.ogs), is_train=True)
            _mxnet.load().nd.waitall()
            self.aux_states = {n: _dispatch.wrap(_read(e, a), e.device)
                               for n, a in zip(self.aux_names, e.aux, strict=True)}
        else:
            e.exe.backward(out_grads=list(e.ogs), is_train=call.train)
        return tuple(_read(e, g) for g, m in zip(e.grads, e.mask, strict=True) if m)

    def _vjp_maker(self, ans, *args, call):
        def vjp(g):
            gs = g if type(g) is tuple else (g,)
            # the inputs are arguments too, so that a gradient of this gradient (unsupported) raises at record time
            res = _dispatch.run_library(self.op + ":backward", _mxnet, self._backward, gs + args,
                                         {"call": call})
            it = iter(res)
            return tuple(next(it) if m else None for m in call.entry.mask)
        return vjp

    # ------------------------------------------------------------ binding
    def _named(self, values):
        return dict(zip(self.arg_names, values, strict=True))

    def _bind(self, key):
        shapes, dtypes, device, mask = key
        mx = _mxnet.load()
        inferred = self._infer(self._named(shapes))
        if self._shapes is None:
            self._shapes = inferred
        try:
            types = self.symbol.infer_type(**self._named(dtypes))
        except mx.base.MXNetError as err:
            raise TypeError(f"{self.name}: argument dtypes {self._named(map(str, dtypes))} do not fit the symbol: "
                            f"{_short(err)}") from None
        aux_types = types[2]
        e = _Entry()
        e.host = device.is_host
        e.device = device
        e.mask = mask
        e.last = None
        ctx = _mxnet.context(device)
        e.args = _alloc(ctx, shapes, dtypes)
        need = list(mask)
        if not any(mask):
            # Note: MXNet 1.9.1 binds a graph whose grad_req are all "null" through its oneDNN subgraph backend, whose
            # fused kernels keep the first weights they see (later calls give stale results); one gradient buffer,
            # never computed, on the smallest floating argument keeps the executor out of that backend
            floats = [i for i, d in enumerate(dtypes) if numpy.dtype(d).kind == "f"]
            if floats:
                need[min(floats, key=lambda i: numpy.prod(shapes[i]))] = True
        g = iter(_alloc(ctx, [s for s, m in zip(shapes, need, strict=True) if m],
                        [d for d, m in zip(dtypes, need, strict=True) if m]))
        e.grads = [next(g) if m else None for m in need]
        aux_shapes = [inferred[2][n] for n in self.aux_names]
        e.aux = _alloc(ctx, aux_shapes, aux_types)
        try:
            grads = {n: a for n, a in self._named(e.grads).items() if a is not None}
            reqs = self._named("write" if m else "null" for m in need)
            e.exe = self.symbol.bind(ctx, args=e.args, args_grad=grads, grad_req=reqs, aux_states=e.aux)
        except mx.base.MXNetError as err:
            raise TypeError(f"{self.name}: cannot bind the symbol for dtypes "
                            f"{self._named(map(str, dtypes))}: {_short(err)}") from None
        e.ogs = _alloc(ctx, inferred[1], types[1])
        for n, s, t in zip(self.aux_names, aux_shapes, aux_types, strict=True):
            cur = self.aux_states.get(n)
            if cur is None or cur.shape != s:
                init = (numpy.ones if n.endswith(_ONES) else numpy.zeros)(s, t)
                buf, _ = _dispatch.device_buffer(init, device)
                self.aux_states[n] = _dispatch.wrap(buf, device)
        self._cache[key] = e
        return e


def _alloc(ctx, shapes, dtypes):
    """Zeroed MXNet arrays for an executor."""
    mx = _mxnet.load()
    return [mx.nd.zeros(s, ctx=ctx, dtype=numpy.dtype(d)) for s, d in zip(shapes, dtypes, strict=True)]


def _put(dst, src):
    """Copy one buffer (NumPy or MXNet) into an executor array."""
    if type(src) is numpy.ndarray:
        try:
            dst._sync_copyfrom(src)  # one memcpy, no engine operation
            return
        except _mxnet.errors():
            # dst holds a oneDNN blocked layout (a weight reordered in place by an inference-mode kernel), which
            # SyncCopyFromCPU refuses; MXNet's engine copy handles it, fed zero-copy through DLPack
            src = _mxnet.borrow(src if src.dtype == dst.dtype else src.astype(dst.dtype))
    src = src.as_nd_ndarray()
    if src.dtype != dst.dtype:
        src = src.astype(dst.dtype)
    src.copyto(dst)


def _read(e, nd):
    """A fresh result buffer from an executor array (the executor reuses its arrays): NumPy on the cpu (asnumpy
    reorders oneDNN layouts), an MXNet array on other devices."""
    return nd.asnumpy() if e.host else nd.copy().as_np_ndarray()


def _vjp(ans, *args, call):
    return call.fn._vjp_maker(ans, *args, call=call)


def _register(f):
    """One VJP table entry per Function, dropped with it (the entry itself holds no reference to f)."""
    from .autodiff import VJPS, defvjp_all

    defvjp_all(f.op, _vjp)
    weakref.finalize(f, VJPS.pop, f.op, None)
