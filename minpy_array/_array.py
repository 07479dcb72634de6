"""MinArray: one buffer (a NumPy ndarray, or a backend's array on an accelerator device) plus its Device and face.

Not an ndarray subclass (sklearn and array-api-compat would take it for NumPy).  Every operator and method ends in
`_dispatch.run`; `numpy.foo(x)` arrives through __array_ufunc__ / __array_function__ and ends there too.
Operators promote as the Array API and NEP 50 do (the array's dtype wins over a Python scalar of its kind), on
NumPy 1.26 as on NumPy 2; where the spec leaves a promotion undefined they follow NumPy.

Two faces, one type: `_face` is True for an array of the NumPy face (made by `minpy_array.numpy`, or computed from
such arrays only) and False for the Array API namespace's.  It decides one thing, in one place (the engine's result
wrapping): where NumPy's kernel returns a NumPy scalar, a NumPy-face result on the cpu that is not traced is that
scalar; otherwise (the spec's face, a traced value, an accelerator device) it is a 0-d MinArray.

The untraced cpu path of the everyday operators and methods (indexing, arithmetic, in-place operators, shape
methods) calls NumPy's ndarray directly under a policy that runs NumPy on the cpu; everything else goes through
the engine.
"""
import builtins
import math

import numpy

from . import _calibrate, _config, _devices, _dispatch, _dtypes
from ._calibrate import AUTO_CPU as _AUTO_CPU
from ._config import _global, _policy_var
from ._devices import CPU as _CPU
from ._devices import Device, as_device
from ._dispatch import _MISS, _device_fast, apply, host_counter, host_seq
from ._dispatch import HERE as _HERE
from ._dispatch import host_result as _host_result
from ._dispatch import lent_call as _lent_call
from ._dispatch import numpy_policy as _numpy_policy
from ._dispatch import numpy_runs as _numpy_runs
from ._dispatch import record_host as _record_host
from ._dispatch import run as _run
from ._native import speedups as _speedups
from .ops import _guards
from .ops import numpy_ops as _numpy_ops
from .ops.numpy_ops import KERNELS as _KERNELS
from .ops.numpy_ops import OP_OF as _OP_OF
from .ops.numpy_ops import _own_key

_DTYPES = {}  # a backend's dtype object -> NumPy dtype
_API_VERSIONS = ("2021.12", "2022.12", "2023.12", "2024.12", "2025.12")
_SCALAR_TYPES = (builtins.bool, builtins.int, builtins.float, builtins.complex)
_F32_MAX = _dtypes.F32_VALUE_CAST_LIMIT
_ndarray = numpy.ndarray
_generic = numpy.generic
_float, _int, _bool = builtins.float, builtins.int, builtins.bool
_F64, _F32, _I64 = numpy.dtype("float64"), numpy.dtype("float32"), numpy.dtype("int64")
_I64_LIM = 2 ** 63
_SLOW = object()  # "not on the fast path"
_C_GETITEM, _C_SETITEM, _C_RESHAPE, _C_TRANSPOSE, _C_ASTYPE = (
    host_counter(op) for op in ("getitem", "setitem_", "reshape", "transpose", "astype"))
# index types NumPy reads as they are (no MinArray inside)
_PLAIN_KEY = frozenset((builtins.int, builtins.slice, type(None), type(Ellipsis), numpy.int64, numpy.int32,
                        numpy.intp, builtins.bool))


class _Fields:
    __slots__ = ("_data", "_device", "_node", "_face", "__weakref__")


class MinArray(_speedups.Base if _speedups is not None else _Fields):
    # the fields: the C accelerator's Base (which also holds the operator, getitem and setitem slots: _install_c)
    __slots__ = ()
    __array_priority__ = 100
    __hash__ = None

    def __init__(self, *args, **kwargs):
        raise TypeError("MinArray has no public constructor: use minpy_array.asarray() or minpy_array.numpy.array()")

    # ------------------------------------------------------------ attributes
    @property
    def shape(self):
        return self._data.shape if type(self._data) is _ndarray else tuple(self._data.shape)

    @shape.setter
    def shape(self, value):
        """In place, as NumPy does it: a new view of the same buffer, or NumPy's error where none exists."""
        d = self._data
        if type(d) is _ndarray:
            probe = d.view()  # never the buffer itself: other arrays (the tape's records) may hold it
            probe.shape = value  # NumPy's own check, and error
            if self._node is None:
                self._data = probe
                return
        else:  # NumPy's rule on the device buffer's layout
            probe = numpy.lib.stride_tricks.as_strided(numpy.zeros(1, self.dtype), self.shape, self.strides)
            probe.shape = value
        new = apply("reshape", self, probe.shape)  # recorded on a traced array
        self._data, self._node = new._data, new._node

    @property
    def strides(self):
        """NumPy's strides in bytes; on a device, the device buffer's (C-contiguous where its backend has no views)."""
        d = self._data
        if type(d) is _ndarray:
            return d.strides
        strides = getattr(self._device.backend, "strides", None)
        if strides is not None:
            return strides(d)
        out, step = [], self.itemsize
        for n in reversed(self.shape):
            out.append(step)
            step *= builtins.max(n, 1)
        return tuple(reversed(out))

    @property
    def flat(self):
        return Flat(self)

    @flat.setter
    def flat(self, value):
        Flat(self)[...] = value

    @property
    def dtype(self):
        d = self._data
        if type(d) is numpy.ndarray:
            return d.dtype
        dt = _DTYPES.get(d.dtype)
        if dt is None:
            dt = _DTYPES[d.dtype] = self._device.backend.numpy_dtype(d.dtype)
        return dt

    @property
    def ndim(self):
        return self._data.ndim

    @property
    def size(self):
        d = self._data
        return d.size if type(d) is numpy.ndarray else math.prod(d.shape)

    @property
    def nbytes(self):
        return self.size * self.dtype.itemsize

    @property
    def itemsize(self):
        return self.dtype.itemsize

    @property
    def device(self):
        return self._device

    context = device  # MinPy's name

    @property
    def T(self):
        if self._node is None and self._device is _CPU and _numpy_policy():
            next(_C_TRANSPOSE)
            return _wrap(self._data.T, _CPU, self._face)
        return apply("transpose", self)

    @property
    def mT(self):
        if self.ndim < 2:
            raise ValueError(f"mT: the array must have at least 2 dimensions, not {self.ndim}")
        return apply("swapaxes", self, -1, -2)

    @property
    def real(self):
        return apply("real", self)

    @property
    def imag(self):
        return apply("imag", self)

    def to_device(self, device, /, *, stream=None):
        device = as_device(device)
        if device == self._device:
            return self
        host, _ = _dispatch.to_numpy_buffer(self)
        buf, _ = _dispatch.device_buffer(host, device)
        if buf is self._data:  # a host buffer stays one (the cpu, or a dtype the device cannot hold): copied
            buf = buf.copy()
        out = _wrap(buf, device, self._face)
        if self._node is not None:
            return _dispatch.RECORDER[0]("to_device", (self, device), {}, out)
        return out

    def astype(self, dtype, order="K", casting="unsafe", subok=True, copy=True, *, device=None):
        if copy is True and device is None and casting == "unsafe" and order == "K" and self._node is None and \
                self._device is _CPU and _numpy_runs("astype", (self, dtype)):
            next(_C_ASTYPE)
            return _wrap(self._data.astype(dtype), _CPU, self._face)
        out = apply("astype", self, numpy.dtype(dtype), copy=copy) if casting == "unsafe" and order == "K" else \
            apply_method("astype", self, dtype, order=order, casting=casting, copy=copy)
        return out if device is None else out.to_device(device)

    def copy(self, order="C"):
        return apply("copy", self, order=order) if order != "C" else _run("copy", _ndarray.copy, (self,), {})

    def asnumpy(self):
        """A NumPy copy of the values (refused on a traced array: it would cut the gradient)."""
        self._check_untraced("asnumpy()")
        host, copied = _dispatch.to_numpy_buffer(self)
        return host.copy() if not copied else host

    def tolist(self):
        return self._host().tolist()

    def item(self, *args):
        return self._host().item(*args)

    def _host(self):
        return self._data if type(self._data) is numpy.ndarray else self._device.backend.to_numpy(self._data)

    def _check_untraced(self, what):
        if self._node is not None:
            raise TypeError(
                f"{what} on a traced MinArray would silently cut the gradient; use minpy_array.numpy operations "
                "instead, or minpy_array.autodiff.stop_gradient(x) to take the value explicitly")

    # ------------------------------------------------------------ Python protocols
    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of unsized object")
        return self._data.shape[0]

    def __iter__(self):
        d = self._data
        if d.ndim == 0:  # raised by iter() itself, not at the first next(): numpy.iterable() relies on it
            raise TypeError("iteration over a 0-d array")
        if d.ndim == 1 and self._face and self._node is None and self._device is _CPU and \
                _numpy_policy():
            for _ in range(len(d)):
                next(_C_GETITEM)
            return iter(d)  # NumPy's scalars, as NumPy iterates
        return (self[i] for i in range(d.shape[0]))

    def _scalar(self, convert, what):
        if self.size != 1:
            if what == "bool":
                raise ValueError("The truth value of an array with more than one element is ambiguous. "
                                 "Use a.any() or a.all()")
            raise TypeError(f"only length-1 arrays can be converted to Python scalars ({what}() of shape "
                            f"{self.shape})")
        return convert(self._host().reshape(()).item())

    def __bool__(self):
        d = self._data
        if type(d) is _ndarray and d.ndim == 0:
            return _bool(d)
        return self._scalar(builtins.bool, "bool")

    def __int__(self):
        return self._scalar(builtins.int, "int")

    def __float__(self):
        d = self._data
        if type(d) is _ndarray and d.ndim == 0 and d.dtype.kind in "biuf":
            return _float(d)
        return self._scalar(builtins.float, "float")

    def __round__(self, ndigits=None):
        """round(x) of a 0-d array as of a NumPy scalar: a Python int; round(x, n): a 0-d array of x's dtype (traced
        as x is, on x's device)."""
        if self.ndim != 0:
            raise TypeError(f"round() of a MinArray of shape {self.shape}: only 0-d arrays round like scalars; use "
                            "np.round(x, decimals)")
        if ndigits is None:
            return builtins.round(self._host().item())
        return apply("round", self, ndigits)

    def __complex__(self):
        return self._scalar(builtins.complex, "complex")

    def __index__(self):
        if self.ndim != 0 or self.dtype.kind not in "iu":
            raise TypeError("only integer scalar arrays can be converted to a scalar index")
        return builtins.int(self._host().item())

    def __repr__(self):
        text = repr(self._host())
        if text.startswith("array("):
            text = "MinArray(" + text[6:].replace("\n      ", "\n         ")
        if not self._device.is_host:
            text = f"{text[:-1]}, device={self._device})"
        return text

    def __str__(self):
        return str(self._host())

    def __format__(self, spec):
        if self.ndim == 0:
            return format(self._host().item(), spec)
        if spec:
            raise TypeError(f"unsupported format string passed to MinArray.__format__: {spec!r}")
        return str(self)

    def __reduce__(self):
        return (_rebuild, (self._host().copy(), str(self._device), self._face))

    def __dask_tokenize__(self):
        return _protocols.dask_token(self)

    def __copy__(self):
        return apply("copy", self)

    def __deepcopy__(self, memo):
        return apply("copy", self)

    # ------------------------------------------------------------ NumPy and Array API protocols
    def __array__(self, dtype=None, copy=None):
        self._check_untraced("Converting to a NumPy array (numpy.asarray / __array__)")
        host = self._data
        if type(host) is not numpy.ndarray:
            if copy is False:
                raise ValueError("__array__: this array lives on device "
                                 f"{self._device}; a NumPy array needs a copy (copy=False given)")
            host = self._device.backend.to_numpy(host)
        elif copy:
            host = host.copy()
        if dtype is not None and numpy.dtype(dtype) != host.dtype:
            if copy is False:
                raise ValueError("__array__: casting needs a copy (copy=False given)")
            host = host.astype(dtype)
        return host

    def __array_namespace__(self, /, *, api_version=None):
        if api_version is not None and api_version not in _API_VERSIONS:
            raise ValueError(f"__array_namespace__: unsupported api_version {api_version!r}; "
                             f"supported: {', '.join(_API_VERSIONS)}")
        import minpy_array

        return minpy_array

    def __dlpack__(self, /, *, stream=None, max_version=None, dl_device=None, copy=None):
        if dl_device is not None and tuple(dl_device) != self.__dlpack_device__():
            raise BufferError(f"__dlpack__: cannot export to device {dl_device} (the array is on "
                              f"{self._device})")
        if type(self._data) is numpy.ndarray:
            buf = self._data.copy() if copy else self._data
            if numpy.lib.NumpyVersion(numpy.__version__) >= "2.1.0":
                return buf.__dlpack__(stream=stream, max_version=max_version, copy=copy)
            return buf.__dlpack__(stream=stream)
        return self._device.backend.dlpack(self._data, stream=stream, max_version=max_version, copy=copy)

    def __dlpack_device__(self):
        if type(self._data) is numpy.ndarray:
            return (1, 0)
        return self._device.backend.dlpack_device(self._data)

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        if method == "__call__" and not kwargs:
            for v in inputs:
                t = type(v)
                if t is not MinArray and t not in _SCALAR_TYPES and not isinstance(v, numpy.generic):
                    break
            else:  # MinArrays and scalars: nothing to defer to (numpy.exp(x), numpy.add(x, y), s * x of a scalar s)
                return _run(_OP_OF.get(ufunc) or ufunc.__name__, ufunc, inputs, kwargs)
        return _protocols.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func, types, args, kwargs):
        for t in types:
            if not (t is MinArray or issubclass(t, numpy.ndarray)):
                return NotImplemented
        return _protocols.array_function_of(self, func, args, kwargs)

    # ------------------------------------------------------------ indexing
    def __getitem__(self, key):
        if self._device is _CPU and _numpy_policy():
            k = key if type(key) is _int else _fast_key(key)
            if k is not None:
                r = self._data[k]
                next(_C_GETITEM)
                if self._node is not None:
                    return _record_host("getitem", (self, key), {}, r, self._face)
                return _wrap(r, _CPU, self._face) if type(r) is _ndarray else _host_result(r, self._face)
        return _run("getitem", _KERNELS["getitem"], (self, key), {}, self._face)

    def __setitem__(self, key, value):
        if self._node is None and self._device is _CPU:
            d = self._data
            tv = type(value)
            v = value
            if tv is MinArray:
                v = value._data if value._node is None and value._device is _CPU else _SLOW
            elif tv is list or tv is tuple:
                h = host_seq(value)
                v = _SLOW if h is None else h[0]
            elif tv is _int and d.dtype.kind in "iu" and not _fits(value, d.dtype):
                v = _SLOW
            if v is not _SLOW:
                k = key if type(key) is _int else _fast_key(key, d)
                if k is not None and _numpy_policy():
                    d[k] = v
                    next(_C_SETITEM)
                    return
        if type(value) is builtins.int and self.dtype.kind in "iu" and not _fits(value, self.dtype):
            if type(self._data) is numpy.ndarray and not self._data.flags.writeable:
                raise ValueError("assignment destination is read-only")  # NumPy checks this first
            if not _is_fancy(key) or not self.ndim:
                self._host()[_host_key(key)]  # NumPy 2 checks a basic index before the value
            _dtypes.check_scalar_range(value, self.dtype)  # NEP 50 (NumPy 2) on NumPy 1.26 too
        if self._node is not None or _is_traced(value) or _is_traced(key):
            _dispatch.assign(self, apply("setitem", self, key, value))
            return
        apply("setitem_", self, key, value)

    # ------------------------------------------------------------ methods users reach for
    def reshape(self, *shape, order="C", copy=None):
        if order == "C" and copy is None and self._node is None and self._device is _CPU and \
                _numpy_policy():  # NumPy reads the shape, as ints or as one sequence
            r = self._data.reshape(*shape)
            next(_C_RESHAPE)
            return _wrap(r, _CPU, self._face)
        if len(shape) == 1 and not isinstance(shape[0], (builtins.int, numpy.integer, MinArray)):
            shape = shape[0]
        kw = {} if order == "C" else {"order": order}
        if copy is not None:
            return apply_method("reshape", self, shape, copy=copy, **kw)
        return apply("reshape", self, shape, **kw)

    def transpose(self, *axes):
        if self._node is None and self._device is _CPU and _numpy_policy():
            r = self._data.transpose(*axes)
            next(_C_TRANSPOSE)
            return _wrap(r, _CPU, self._face)
        if len(axes) == 1 and (axes[0] is None or isinstance(axes[0], (tuple, list))):
            axes = axes[0]
        return apply("transpose", self, tuple(axes)) if axes else apply("transpose", self)

    def flatten(self, order="C"):
        return apply("flatten", self, order)

    def clip(self, min=None, max=None, out=None, **kwargs):
        if out is not None:
            kwargs["out"] = out
        return apply("clip", self, min, max, **kwargs)

    def fill(self, value):
        self[...] = value

    def sort(self, axis=-1, kind=None, order=None):
        self[...] = apply("sort", self, axis=axis, kind=kind, order=order)

    def partition(self, kth, axis=-1, kind="introselect", order=None):
        self[...] = apply("partition", self, kth, axis=axis, kind=kind, order=order)

    def compress(self, condition, axis=None, out=None):
        kw = {} if out is None else {"out": out}
        return apply("compress", condition, self, axis=axis, **kw)

    def tobytes(self, order="C"):
        return self._host().tobytes(order)

    def view(self, dtype=None):
        if dtype is None:
            if type(self._data) is numpy.ndarray:
                return _wrap(self._data.view(), self._device, self._face)
            return apply("reshape", self, self.shape) if self._device.backend.VIEWS else self
        return apply_method("view", self, dtype)

    def dot(self, b, out=None):
        return _run("dot", _ndarray.dot, (self, b), {}) if out is None else apply("dot", self, b, out=out)

    # ------------------------------------------------------------ operators
    def _binop(self, op, other, reflected=False):
        t = type(other)
        if op == "pow" and not reflected and (t is builtins.int or isinstance(other, builtins.float)):
            fast = _fast_pow(self, other)
            if fast is not None:
                return apply(fast, self)
        if _kept(self, other):
            return _run(op, _KERNELS[op], (other, self) if reflected else (self, other), {})
        other = _operand(self, other)
        if other is NotImplemented:
            return NotImplemented
        x = self
        if type(other) is MinArray:
            dx, do = x.dtype, other.dtype
            if dx != do:
                rt = _dtypes.promote(dx, do, strict=False)
                if dx != rt:
                    x = apply("astype", x, rt)
                if do != rt:
                    other = apply("astype", other, rt)
        else:
            if op in _BOUNDS and type(other) is builtins.int and x.dtype.kind in "iu" and not _fits(other, x.dtype):
                op, other = _in_range_compare(op, other, x.dtype)
            if op == "divide" and type(other) is builtins.int and x.dtype.kind in "biu":
                other = builtins.float(other)  # integer true division runs in float64 (NumPy 2: no OverflowError)
            rt = _dtypes.scalar_dtype(other, x.dtype)
            _dtypes.check_scalar_range(other, rt)
            if rt != x.dtype:
                x = apply("astype", x, rt)
            if x.ndim == 0:  # Note: NumPy 1.26 promotes 0-d arrays with Python scalars by value, not NEP 50
                other = rt.type(other)
            if rt.kind in "fc" and (rt.itemsize <= 8 or type(other) is builtins.int) and (
                    type(other) in (builtins.complex, builtins.int) or abs(other) >= _F32_MAX or rt.itemsize == 2):
                other = numpy.asarray(other, dtype=rt)  # Note: NumPy 1.26 would upcast here (value-based casting)
                other = _wrap(other, x._device, x._face) if x._device.is_host else other
        return apply(op, other, x) if reflected else apply(op, x, other)

    def _iop(self, op, other):
        if self._node is not None or _is_traced(other):
            _dispatch.assign(self, self._binop(op, other))
            return self
        if type(self._data) is not numpy.ndarray:
            return self._iop_device(op, other)
        other = _operand(self, other)
        if other is NotImplemented:
            return NotImplemented
        if not self._data.flags.writeable:
            raise ValueError("output array is read-only")  # before any check of the operand, as NumPy
        fast = _fast_pow(self, other) if op == "pow" else None
        if fast is not None:
            apply(fast, self, out=self)
            return self
        if type(other) is not MinArray and (op != "divide" or self.dtype.kind in "fc"):
            rt = _dtypes.scalar_dtype(other, self.dtype)
            _dtypes.check_scalar_range(other, rt)
            other = numpy.asarray(other, dtype=rt)  # Note: NEP 50 on NumPy 1.26 too (no value-based casting)
        elif type(other) is MinArray and other.ndim == 0 and self.ndim and other.dtype != self.dtype:
            other = apply("reshape", other, (1,))  # Note: NumPy 1.26 casts a 0-d operand by value; (1,) does not
        elif type(other) is MinArray and other.ndim and not self.ndim and other.dtype != self.dtype:
            # a 0-d target with an array operand is a shape error; NumPy 2 reports a dtype error first, which
            # NumPy 1.26 misses (it casts the 0-d target by value): resolve the dtypes alone first
            probe = self._data.copy()
            _KERNELS[op](probe, numpy.ones((), other.dtype), out=probe)
        apply(op, self, other, out=self)
        return self

    def _iop_device(self, op, other):
        """x op= y on a device buffer: computed there (the device's kernels where a guard admits them, no host
        round trip), then stored with NumPy's out= rules, in place where the device has views."""
        if not self._device.backend.writeable(self._data):
            raise ValueError("output array is read-only")  # before any check of the operand, as NumPy
        if _dispatch.run_in_place(op, self, other):  # (a call it takes keeps x's dtype: NumPy raises nothing there)
            return self
        kernel = _KERNELS[op]
        if isinstance(kernel, numpy.ufunc):  # NumPy's casting error comes next, before shapes and values
            if type(other) is MinArray:
                operand = numpy.zeros((0,) if other.size == 0 else (1,), other.dtype)
            elif type(other) in _SCALAR_TYPES:  # as _iop converts it on the host
                operand = other if op == "divide" and self.dtype.kind not in "fc" else numpy.asarray(
                    other, dtype=_dtypes.scalar_dtype(other, self.dtype))
            elif isinstance(other, numpy.generic):
                operand = numpy.zeros((0,) if self.size == 0 else (1,), other.dtype)
            else:
                operand = None
            if operand is not None:  # (empty probes where an operand is empty: NumPy computes no values then)
                empty = self.size == 0 or (type(other) is MinArray and other.size == 0)
                probe = numpy.zeros((0,) if empty else (1,), self.dtype)
                with numpy.errstate(all="ignore"):
                    kernel(probe, operand, out=probe)
        r = self._binop(op, other)
        if r is NotImplemented:
            return NotImplemented
        _dispatch.store(self, r, op)
        return self


    def __divmod__(self, other):
        return self._binop("divmod", other)

    def __rdivmod__(self, other):
        return self._binop("divmod", other, True)

    def __array_wrap__(self, *a, **k):  # pragma: no cover - never reached: __array_ufunc__ handles ufuncs
        raise TypeError("MinArray does not support __array_wrap__")


def _binary(op, reflected):
    """x op y (or y op x): NumPy's kernel on the buffers where NumPy's own operator and the engine agree (an operand
    of x's dtype, or a Python float or int that NEP 50 and NumPy 1.26 promote alike), else the engine."""
    kernel = _KERNELS[op]
    counter = host_counter(op)
    is_pow = op == "pow"

    def method(self, other):
        if is_pow and not reflected:
            fast = _fast_pow(self, other)
            if fast is not None:  # x ** 2 is square(x), as in NumPy: that op's own fast path
                return _POW_OPS[fast](self)
        if self._device is _CPU:
            d = self._data
            o = _host_operand(d, other)
            if o is not _SLOW:
                # numpy_runs written out for two host operands: the hottest path of element-wise code
                p = _policy() or _global["policy"]
                t = type(other)
                face = self._face and (t is not MinArray or other._face)
                res = _HERE  # (numpy_only)
                if p == "auto":
                    limit = _AUTO_CPU.get(op)
                    if not (limit is None or (d.size < limit and (type(o) is not _ndarray or o.size < limit))):
                        res = _lent_call(op, (other, self) if reflected else (self, other), {}, face)
                elif p != "numpy_only":
                    res = _MISS  # the engine decides
                if res is _HERE:
                    r = kernel(o, d) if reflected else kernel(d, o)
                    next(counter)
                    if self._node is None and (t is not MinArray or other._node is None):
                        return _wrap(r, _CPU, face) if type(r) is _ndarray else _host_result(r, face)
                    return _record_host(op, (other, self) if reflected else (self, other), {}, r, face)
                if res is not _MISS:  # calibration lent the call to another backend's kernel
                    return res
        elif _kept(self, other):  # a device array: _binop's first case, straight to the device's fast path
            args = (other, self) if reflected else (self, other)
            r = _device_fast(op, args, {}, None)
            # (on a miss, the engine's general path for this device: the fast path is not tried twice)
            return r if r is not _MISS else _dispatch._run(op, kernel, args, {}, self._device)
        return self._binop(op, other, reflected)

    return method


def _in_place(op):
    """x op= y: NumPy's kernel writing into x's buffer where NumPy and the engine agree (as for x op y), else the
    engine."""
    kernel = _KERNELS[op]
    counter = host_counter(op)

    def method(self, other):
        if self._node is None and self._device is _CPU and op != "pow":
            d = self._data
            o = _host_operand(d, other)
            # (NumPy's kernel writes into an out= buffer on the cpu under every policy: numpy_runs says so for out=)
            if o is not _SLOW and (type(other) is not MinArray or other._node is None):
                kernel(d, o, out=d)
                next(counter)
                return self
        return self._iop(op, other)

    return method


def _kept(x, other):
    """Does the engine take `x op other` as it is: other an array of x's dtype, or a Python float that keeps x's
    float dtype (NEP 50 and NumPy 1.26 alike)?"""
    t = type(other)
    if t is MinArray:
        return x._data.dtype == other._data.dtype
    if t is builtins.float and -_F32_MAX < other < _F32_MAX:
        dt = x.dtype
        return dt.kind == "f" and (dt.itemsize == 8 or (dt.itemsize == 4 and x._data.ndim > 0))
    return False


def _host_operand(d, other):
    """The NumPy operand that NumPy's own operator on buffer d treats exactly as the engine does: other's buffer
    (a cpu array of d's dtype), a NumPy scalar of d's dtype, a Python float or int that NEP 50 and NumPy 1.26
    promote alike; else _SLOW (the engine promotes it)."""
    t = type(other)
    if t is MinArray:
        o = other._data
        return o if other._device is _CPU and o.dtype is d.dtype else _SLOW
    dt = d.dtype
    if t is _float:
        return other if dt is _F64 or (dt is _F32 and d.ndim and -_F32_MAX < other < _F32_MAX) else _SLOW
    if t is _int:
        return other if (dt is _F64 or dt is _I64) and -_I64_LIM <= other < _I64_LIM else _SLOW
    return other if t is dt.type else _SLOW


def _unary(op):
    """-x, +x, abs(x), ~x: NumPy's kernel on the buffer on the host path, else the engine."""
    kernel = _KERNELS[op]
    counter = host_counter(op)

    def method(self):
        if self._node is None and self._device is _CPU and _numpy_runs(op, (self,)):
            r = kernel(self._data)
            next(counter)
            return _host_result(r, self._face)
        return _run(op, kernel, (self,), {})

    return method


_POW_OPS = {op: _unary(op) for op in ("square", "reciprocal", "sqrt")}  # what _fast_pow names


def _make_ops():
    """The operators: Python methods of MinArray, or, with the C accelerator, the slow paths of Base's slots."""
    table = {"add": "add", "sub": "subtract", "mul": "multiply", "truediv": "divide",
             "floordiv": "floor_divide", "mod": "remainder", "pow": "pow", "matmul": "matmul",
             "and": "bitwise_and", "or": "bitwise_or", "xor": "bitwise_xor", "lshift": "bitwise_left_shift",
             "rshift": "bitwise_right_shift"}
    for name, op in table.items():
        fs = []
        for prefix, f in (("", _binary(op, False)), ("r", _binary(op, True)), ("i", _in_place(op))):
            f.__name__ = f"__{prefix}{name}__"
            fs.append(f)
        _operator(name, None if op == "pow" else op, *fs)  # (x ** y: its fast forms are other ops, in Python)
    for name, op in {"eq": "equal", "ne": "not_equal", "lt": "less", "le": "less_equal", "gt": "greater",
                     "ge": "greater_equal"}.items():
        cmp = _binary(op, False)
        cmp.__name__ = f"__{name}__"
        _operator(name, op, cmp)
    for name, op in {"neg": "negative", "pos": "positive", "abs": "abs", "invert": "bitwise_invert"}.items():
        f = _unary(op)
        f.__name__ = f"__{name}__"
        _operator(name, op, f)
    if _speedups is not None:  # what _fast_pow names, for the C x ** e
        for op, f in _POW_OPS.items():
            _speedups.set_slot(op, op, _KERNELS[op], f)


def _operator(name, op, *methods):
    if _speedups is None:
        for f in methods:
            setattr(MinArray, f.__name__, f)
    else:
        _speedups.set_slot(name, op, _KERNELS[op] if op else None, *methods)


def _make_methods():
    # method name -> op name: the NumPy method takes the same arguments as the function, array first; on the
    # host, NumPy's method is the kernel (what `a.sum()` on an ndarray runs)
    names = ("sum", "prod", "mean", "std", "var", "max", "min", "argmax", "argmin", "cumsum", "cumprod", "any",
             "all", "round", "nonzero", "diagonal", "trace", "conj", "conjugate", "repeat", "take", "squeeze",
             "swapaxes", "searchsorted", "argsort", "ravel", "choose", "argpartition", "ptp")
    for name in names:
        op = {"conjugate": "conj"}.get(name, name)
        if name == "ptp" and not hasattr(numpy.ndarray, "ptp"):
            continue

        kernel = getattr(numpy.ndarray, name)
        method = _method(op, kernel)
        method.__name__ = name
        setattr(MinArray, name, method if _speedups is None else _speedups.Method(
            op, kernel, method, None, _speedups.STRICT | _speedups.SELFFACE | _speedups.DEVICE))


def _method(op, kernel):
    """a.name(*args, **kwargs): NumPy's method on the buffer where no argument is an array or a sequence (the host
    path), else the engine."""
    counter = host_counter(op)

    def method(self, *args, **kwargs):
        if self._node is None and self._device is _CPU:
            for a in args:
                t = type(a)
                if t is MinArray or t is list or t is tuple:
                    break
            else:
                for a in kwargs.values():
                    t = type(a)
                    if t is MinArray or t is list or t is tuple:
                        break
                else:  # (sequences and arrays as arguments: the engine reads them)
                    if _numpy_runs(op, (self, *args), kwargs):
                        next(counter)
                        return _host_result(kernel(self._data, *args, **kwargs), self._face)
        return _run(op, kernel, (self, *args), kwargs)

    return method


_make_ops()
_make_methods()


def _install_c():
    """Hand the host fast paths to the C accelerator: getitem and setitem to Base's slots (the Python methods stay
    their slow paths), the shape methods and dot to Method objects with the same rules, and the engine's parts."""
    for name, slot, op in (("__getitem__", "getitem", "getitem"), ("__setitem__", "setitem", "setitem_")):
        _speedups.set_slot(slot, op, None, MinArray.__dict__[name])
        delattr(MinArray, name)  # (the type's slot is Base's again)
    nokw, self_face = _speedups.NOKW, _speedups.SELFFACE
    for name, flags in (("reshape", nokw | self_face), ("transpose", nokw | self_face),
                        ("astype", _speedups.STRICT | nokw | self_face), ("dot", nokw)):
        setattr(MinArray, name, _speedups.Method(name, getattr(_ndarray, name), MinArray.__dict__[name], None, flags))
    # (a ufunc missing from the op table has no fast path: the Python method names its op)
    MinArray.__array_ufunc__ = _speedups.Method("__array_ufunc__", _OP_OF, MinArray.__dict__["__array_ufunc__"], None,
                                                _speedups.UFUNC)
    _speedups.install(MinArray=MinArray, CPU=_CPU, ndarray=_ndarray, generic=_generic, policy_var=_policy_var,
                      global_=_global, auto_cpu=_AUTO_CPU, host=_dispatch.HOST, host_counter=host_counter,
                      default_device=_devices._default, host_result=_host_result, lent_call=_lent_call,
                      here=_HERE, miss=_MISS,
                      record_host=_record_host, np_kernels=_KERNELS,
                      plain_key=_PLAIN_KEY, f64=_F64, f32=_F32, i64=_I64, f32_max=_F32_MAX,
                      in_place=_dispatch.IN_PLACE, prepare=_dispatch.PREPARE, recorder=_dispatch.RECORDER,
                      plans=_dispatch.PLANS, device_plan=_dispatch.device_plan, rules=_config.RULES,
                      numpy_backend=_config.NUMPY, dtypes=_DTYPES, count=_dispatch._count,
                      device_result=_dispatch.device_result, tls=_dispatch._tls,
                      dtype_slow=MinArray.dtype.fget, by_signature=_guards.BY_SIGNATURE,
                      key_types=(numpy.dtype, numpy.ufunc), seen=_calibrate.SEEN, lent=_dispatch.LENT,
                      lent_result=_dispatch.lent_result, empty_like=numpy.empty_like,
                      errstate_default=_numpy_ops.errstate_default, flag_operands=_numpy_ops.flag_operands,
                      default_errstate=_numpy_ops.default_errstate)
    for name in ("shape", "dtype", "ndim"):  # the getters in C (the Python ones stay their definition)
        p = MinArray.__dict__[name]
        setattr(MinArray, name, property(getattr(_speedups, f"{name}_of"), p.fset, None, p.__doc__))


def _conj(self):
    # Note: as NumPy's ndarray.conj(), a real array returns itself (not a copy, and bool stays bool)
    return apply("conj", self) if self.dtype.kind == "c" else self


MinArray.conj = MinArray.conjugate = _conj


def apply_method(name, x, *args, **kwargs):
    """A NumPy ndarray method with no function form (view, astype with casting=...), as a fallback op."""
    return _dispatch.run(name, _method_kernel(name), (x,) + args, kwargs)


_METHOD_KERNELS = {}


def _method_kernel(name):
    k = _METHOD_KERNELS.get(name)
    if k is None:
        def k(x, *args, **kwargs):
            return getattr(x, name)(*args, **kwargs)
        _METHOD_KERNELS[name] = k
    return k


def _fast_pow(x, e):
    """The op NumPy 2 runs for `x ** e` instead of power, or None.  Note: NumPy's own fast paths, kept because
    their results differ from power (at -0.0, -inf, complex infinities, and square(bool) is int8)."""
    t = type(e)
    if t is builtins.int:
        if e == 2 and x.dtype.kind in "biufc":
            return "square"
        if e == -1 and x.dtype.kind in "fc":
            return "reciprocal"
    elif t is not MinArray and isinstance(e, builtins.float) and e == 0.5 and x.dtype.kind in "fc":
        return "sqrt"
    return None


_INT_RANGES = {}


def _fits(value, dtype):
    r = _INT_RANGES.get(dtype)
    if r is None:
        info = numpy.iinfo(dtype)
        r = _INT_RANGES[dtype] = (builtins.int(info.min), builtins.int(info.max))
    return r[0] <= value <= r[1]


def _fast_key(key, target=None):
    """The index NumPy reads on the host fast paths: key itself when it is plain (ints, slices, None, Ellipsis, in a
    tuple or alone), else _buffer_key's."""
    tk = type(key)
    if tk is tuple:
        for e in key:
            te = type(e)
            if te is not _int and te is not slice and te not in _PLAIN_KEY:
                return _buffer_key(key, target)
        return key
    if tk is _int or tk is slice or tk in _PLAIN_KEY:
        return key
    return _buffer_key(key, target)


def _buffer_key(key, target=None):
    """An index with its MinArrays as their host buffers (and, for a write into `target`, index arrays that share
    its memory copied), or None where it holds a traced or device array."""
    t = type(key)
    if t is MinArray:
        if key._node is not None or key._device is not _CPU:
            return None
        key = key._data
    elif t is tuple or t is list:
        h = host_seq(key)
        if h is None:
            return None
        key = h[0]
    return key if target is None else _own_key(target, key)


# comparison -> (the same comparison against the dtype's min for a value below it, against its max above it)
_BOUNDS = {"less": ("less", "less_equal"), "less_equal": ("less", "less_equal"),
           "greater": ("greater_equal", "greater"), "greater_equal": ("greater_equal", "greater"),
           "equal": ("less", "greater"), "not_equal": ("greater_equal", "less_equal")}


def _in_range_compare(op, value, dtype):
    """NumPy 2 compares an integer array with an out-of-range Python int exactly; the same answer, in range."""
    info = numpy.iinfo(dtype)
    below = value < info.min
    return _BOUNDS[op][0 if below else 1], builtins.int(info.min if below else info.max)


def _is_fancy(key):
    """Does NumPy check this key after the value (a list of integers)?"""
    if type(key) is tuple:
        return builtins.any(_is_fancy(k) for k in key)
    return type(key) is list and not builtins.all(type(k) is builtins.bool for k in key)


def _host_key(key):
    if type(key) is tuple:
        return tuple(_host_key(k) for k in key)
    return key._host() if type(key) is MinArray else key


def _is_traced(v):
    t = type(v)
    if t is MinArray:
        return v._node is not None
    if t is tuple or t is list:
        return builtins.any(_is_traced(e) for e in v)
    return False


def _operand(x, other):
    """The other operand of a binary operator: MinArrays and Python scalars as they are; ndarrays, NumPy
    scalars and lists become MinArrays on x's device (of x's face); anything else defers (NotImplemented)."""
    t = type(other)
    if t is MinArray or t in _SCALAR_TYPES:
        return other
    if isinstance(other, (numpy.ndarray, numpy.generic, list, tuple)):
        if t in (list, tuple) and _is_traced(other):
            return apply("asarray", other)  # a container of traced values: recorded (autodiff packs it)
        return asarray_like(other, x._device, x._face)
    return NotImplemented


def asarray_like(obj, device, face=False):
    host = numpy.asarray(obj)
    if host.dtype == object:
        raise TypeError(f"cannot make a MinArray from {type(obj).__name__} (object dtype)")
    buf, _ = _dispatch.device_buffer(host, device)
    if buf is host and not device.is_host:  # a device array never aliases host data
        buf = buf.copy()
    return _wrap(buf, device, face)


_new = object.__new__ if _speedups is None else _speedups.Base.__new__
_policy = _policy_var.get


def _wrap(data, device, face=False):
    a = _new(MinArray)
    a._data = data
    a._device = device
    a._node = None
    a._face = face
    return a


def with_face(x, face):
    """MinArray x as an array of the given face (x itself when it is one already): the same buffer and node."""
    if x._face is face:
        return x
    a = _wrap(x._data, x._device, face)
    a._node = x._node
    return a


def _rebuild(host, device, face=False):
    device = Device(device)
    buf, _ = _dispatch.device_buffer(host, device)
    return _wrap(buf, device, face)


class Flat:
    """`a.flat`: a's elements in C order, read and written by flat position (NumPy's flatiter rules: values
    repeat cyclically when assigned)."""

    __slots__ = ("base",)

    def __init__(self, base):
        self.base = base

    def __len__(self):
        return self.base.size

    def __iter__(self):
        a = self.base
        if a._face and a._node is None and a._device is _CPU:
            return iter(a._data.flat)
        return iter(a.reshape(-1))

    def __array__(self, dtype=None, copy=None):
        return self.base.__array__(dtype).reshape(-1)

    def copy(self):
        return self.base.flatten()

    def __getitem__(self, key):
        a = self.base
        if a._node is None and a._device is _CPU:
            k = _buffer_key(key)
            if k is not None:
                return _dispatch._wrap_result(a._data.flat[k], _CPU, None, a._face)
        return a.reshape(-1)[key]

    def __setitem__(self, key, value):
        a = self.base
        if a._node is None and a._device is _CPU and not _is_traced(value):
            k = _buffer_key(key)
            if k is not None:
                a._data.flat[k] = value._host() if type(value) is MinArray else value
                return
        pos = numpy.arange(a.size)[_buffer_key(key) if not _is_traced(key) else key].reshape(-1)
        v = value if type(value) is MinArray else asarray_like(value, a._device, a._face)
        v = apply("reshape", v, (-1,))
        if v.size != pos.size:  # NumPy repeats the values over the positions
            v = apply("take", v, numpy.arange(pos.size) % max(v.size, 1))
        flat = apply("reshape", a, (-1,))
        flat[pos] = v
        a[...] = apply("reshape", flat, a.shape)


if _speedups is not None:
    _install_c()
    _wrap = _speedups.wrap  # (the same, in C)
_dispatch.MinArray = MinArray
_dispatch.wrap = _wrap
_guards.ARRAY = MinArray

from . import _protocols  # noqa: E402  (it needs MinArray)
