"""`auto` on the cpu device: each op runs on the fastest correct kernel this machine has, found by measuring.

The cpu device's arrays are NumPy arrays, and every other installed backend can run its kernels on them without a
copy (its host_kernels(): torch through from_numpy/.numpy(), MXNet through DLPack).  Which kernel is fastest
depends on the machine (NumPy's OpenBLAS misdetects some cloud CPUs and runs GEMMs 4-6x slower than torch's MKL;
on others NumPy wins), so nothing is fixed in the source: as FFTW's wisdom and cuDNN's benchmark mode do, the first
call of each kind is timed on every kernel whose guard admits it, the fastest one runs from then on, and the
decision is kept in a cache file per machine and library versions, so the next process measures nothing.

A call's kind (its signature) is the op, each array operand's dtype, size class (a factor of 4 in element count)
and layout (C, F or strided), and its other arguments (axes, keywords; a Python float counts as "float").  Calls
whose arrays all have fewer than MIN_SIZE elements stay with NumPy unmeasured: no other library's kernel plus its
conversions beats NumPy there (measured through the engine on 64x64 float32 arrays: every borrowed kernel took
1.4-19x NumPy's time, benchmarks/dispatch.py).  Above that, a kind NumPy won settles the op's smaller calls too
(AUTO_CPU[op], see settle()): they run on NumPy unmeasured, at the cost of one dict lookup, not of the kind's.

Measuring: the candidates (NumPy and each backend whose guard admits the call) run on the call's own arrays, through
the engine itself (so a borrowed kernel pays its conversions and the engine's slower path): WARM_CALLS calls each (a
kernel whose warmed calls take over 3x the best is dropped then), then MIN_ROUNDS to MAX_ROUNDS alternating rounds
(the order rotated every round; no round starts after BUDGET_S of rounds once MIN_ROUNDS are done) of batches of
about BATCH_S.  CPU time of the calling thread where NumPy's BLAS runs one thread (every kernel then runs in the
caller), wall time otherwise.  A borrowed kernel is chosen only when its paired ratio to NumPy (the median over
rounds of its batch's time over NumPy's in the same round) is under 1 - MARGIN and it beat NumPy in two thirds of
the rounds (pick()): a machine's speed drifts between rounds, and one lucky round does not decide (NumPy's best
round had kept GEMMs on NumPy that ran 1.2-1.7x slower than torch's in most of its calls).  A kind whose first
calls pass DEADLINE_S is left to NumPy ("timeout").  The first calibration in a process also imports the candidate
libraries (2-5 s each, once).

Environment: MINPY_ARRAY_CALIBRATE = 1 (default: every installed backend) | 0 (off: NumPy runs every op on the cpu)
| a comma list of backends ("torch"); MINPY_ARRAY_CACHE_DIR (default: the user cache directory, e.g.
~/.cache/minpy_array); MINPY_ARRAY_CALIBRATE_MIN_SIZE (default 4096).  `print(minpy_array.calibration())` shows
the decisions (those of the cache file, in a process that has measured nothing yet).
"""
import atexit
import hashlib
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import warnings

import numpy

from . import _config, _dispatch
from .ops import ACCELERATED, BACKENDS, NUMPY
from .ops.numpy_ops import IN_PLACE
from .ops.numpy_ops import KERNELS as NP_KERNELS

_ndarray = numpy.ndarray

FORMAT = 3  # 2: a contraction's kind holds its arrays' shapes; 3: decided by paired medians, not best rounds
DEFAULT_MIN_SIZE = MIN_SIZE = 4096
BATCH_S = 5e-4
MIN_ROUNDS, MAX_ROUNDS = 4, 15  # (with two rounds, one lucky pair of calls chose a 3 ms GEMM 1.3x slower in a step;
# seven single-call rounds' paired median left a (64,784).T @ (64,256) product on NumPy that their medians put 1.2x
# slower; a round of such calls takes 1-3 ms, so fifteen of them stay within BUDGET_S)
# a library's first calls of a new kind run slower than its steady state (the allocator growing its heap, oneDNN's
# primitive cache): a 1M-element float32 multiply in torch took 16x its steady time on its first call and 4x on its
# third, steady from the seventh; a (64,256)@(256,256) matmul 6x, then 1.3x (benchmarks/mlp.py's machine).  Each
# candidate runs WARM_CALLS times (fewer once they take WARM_S) before it is timed.
WARM_CALLS, WARM_S = 8, 0.1
BUDGET_S = 0.25
DEADLINE_S = 2.0
MARGIN = 0.1
OFF = ("0", "off", "no", "false")

# ops that `auto` may hand to a borrowed kernel on the cpu -> the element count below which NumPy runs the op's calls
# unmeasured (MIN_SIZE, or more once NumPy won a kind of the op: settle()); the engine's fast path asks numpy_here
# only for calls with an array of that size or more
AUTO_CPU = {}
BOUNDS = {}     # op -> [NumPy's largest won size class's end, the smallest won by a borrowed kernel's start]
# ops that stay NumPy's on the cpu under every choice: its views and writes (the cpu device's arrays are NumPy's,
# views and all); the host fast paths ask _dispatch.numpy_policy for them, not numpy_here
HOST_VIEWS = frozenset(("getitem", "setitem_", "reshape", "transpose"))
# ops whose work the size of their largest operand does not tell: (256,64) @ (64,10) and (256,64) @ (64,256) have
# the same largest operand and 25x the work apart (a (64,256) @ (256,64)-class GEMM NumPy won left every GEMM of
# 16K-element operands unmeasured); a kind NumPy won settles none of their smaller calls
CONTRACTIONS = frozenset(("matmul", "_matmul_t", "dot", "vdot", "inner", "outer", "tensordot", "einsum", "conv2d"))
# a contraction whose arrays take more than CACHE_BYTES (a core's L2 here) is timed on COLD_BYTES of copies of them in
# turn, so that each timed call reads its operands from memory, as a training step reads a large weight (it has
# touched every other layer's weights since the last use): a (1024,1024) float32 weight read cold took NumPy's
# OpenBLAS 1.22-1.34x its time on the same weight hot, torch's MKL 1.06x; timed hot, calibration had kept such
# products on NumPy that ran 1.3x slower in the step
CACHE_BYTES, COLD_BYTES, MAX_COPIES = 1 << 20, 64 << 20, 16
CHOSEN = {}     # signature -> backend whose kernel runs it, or None for NumPy
SEEN = {}       # _shape_key -> CHOSEN's entry: the fast path's memo
PENDING = object()
_lock = threading.RLock()
_state = {}
_said = set()


# ---------------------------------------------------------------- settings (environment) and state
def _settings():
    raw = os.environ.get("MINPY_ARRAY_CALIBRATE", "1").strip().lower()
    names = [b.NAME for b in ACCELERATED]
    if raw in OFF:
        allowed = ()
    elif raw in ("", "1", "on", "yes", "true"):
        allowed = tuple(names)
    else:
        allowed = tuple(n.strip() for n in raw.split(",") if n.strip())
        bad = [n for n in allowed if n not in names]
        if bad:
            raise ValueError(f"MINPY_ARRAY_CALIBRATE: unknown backend {bad[0]!r}; expected 0, 1 or a comma list of "
                             f"{', '.join(names)}")
    size = os.environ.get("MINPY_ARRAY_CALIBRATE_MIN_SIZE", "")
    return allowed, int(size) if size.strip() else DEFAULT_MIN_SIZE


def reset():
    """Forget this process's decisions and settings and read the environment again (the cache file stays)."""
    global MIN_SIZE
    with _lock:
        if _state:
            flush()
        allowed, MIN_SIZE = _settings()
        CHOSEN.clear()
        SEEN.clear()
        AUTO_CPU.clear()
        BOUNDS.clear()
        _said.clear()
        _state.clear()
        _state.update(allowed=allowed, ready=None, why=None, spent=0.0, count=0, imports={}, rows={}, key=None)
        if allowed:
            # until the backends are loaded, every op may be a candidate (the cache file of an earlier process
            # names the ops they have, so that the fast path stays cheap for the others)
            ops = _cached_ops(allowed)
            AUTO_CPU.update(dict.fromkeys((op for op in (ops if ops is not None else NP_KERNELS)
                                           if op not in IN_PLACE and op not in HOST_VIEWS), MIN_SIZE))


def enabled():
    return bool(_state["allowed"])


# ---------------------------------------------------------------- signatures
def _size_class(n):
    return (n.bit_length() + 1) >> 1  # [4**(c-1), 4**c) elements


def _cls(c):
    """The size class of a kind's array entry (a contraction's holds the shape)."""
    return c if type(c) is int else _size_class(math.prod(c))


def _part(v, arrays, exact=False):
    """Add an array operand's (dtype, size class, layout) to `arrays` (its size to arrays[0]), or return a word
    for any other argument.  exact: the shape instead of the size class (a contraction's kind: its work is not told
    by its operands' sizes, (64,784) @ (784,256) is 3x the work of (64,256) @ (256,256) in the same classes)."""
    t = type(v)
    if t is _dispatch.MinArray:
        d = v._data
        if type(d) is not numpy.ndarray:
            raise LookupError  # not a host array
        f = d.flags
        arrays.append((d.dtype, d.shape if exact else _size_class(d.size),
                       "C" if f.c_contiguous else "F" if f.f_contiguous else "S"))
        arrays[0] = max(arrays[0], d.size)
        return None
    if v is None or t is bool or t is int or t is str:
        return repr(v)
    if t is float:
        return "float"
    if t is list or t is tuple:
        words = [_part(e, arrays, exact) for e in v]
        return "(" + ",".join(w or "a" for w in words) + ")"
    if t is numpy.ndarray or isinstance(v, numpy.generic):
        return f"{v.dtype}{list(v.shape)}"
    if isinstance(v, numpy.dtype) or isinstance(v, type):
        return str(numpy.dtype(v)) if isinstance(v, numpy.dtype) or issubclass(v, numpy.generic) else v.__name__
    return getattr(v, "__name__", t.__name__)


def signature(op, args, kw):
    """The call's kind: (op, ((dtype, size class, layout), ...), (other arguments, ...)), or None where NumPy runs
    it unmeasured (every array under MIN_SIZE elements, or an array not in host memory).  A contraction's kind holds
    its arrays' shapes instead of their size classes."""
    arrays, words = [-1], []
    exact = op in CONTRACTIONS
    try:
        for a in args:
            words.append(_part(a, arrays, exact))
        if kw:
            for k in sorted(kw):
                words.append(f"{k}={_part(kw[k], arrays, exact) or 'a'}")
    except LookupError:
        return None
    if arrays[0] < AUTO_CPU.get(op, MIN_SIZE):
        return None
    return op, tuple(arrays[1:]), tuple(w for w in words if w is not None)


def _shape_key(op, args, kw):
    """A cheap stand-in for signature() of a call whose arrays are all in host memory: the op, each array's dtype,
    shape and strides, and the other arguments (in lists and tuples too); None where it has none (an argument of
    another kind)."""
    key = [op]
    array = _dispatch.MinArray
    for a in args:
        t = type(a)
        if t is array:  # _key_add's first two cases, written out: the common operands
            d = a._data
            key += d.dtype, d.shape, d.strides
        elif t is float:
            key.append(t)
        elif not _key_add(a, key):
            return None
    if kw:
        for k in sorted(kw):
            key.append(k)
            if not _key_add(kw[k], key):
                return None
    return tuple(key)


def _key_add(a, key):
    t = type(a)
    if t is _dispatch.MinArray:
        d = a._data
        key.append(d.dtype)
        key.append(d.shape)
        key.append(d.strides)
    elif t is float:
        key.append(t)
    elif t is int or t is bool or a is None:
        key.append(t)
        key.append(a)
    elif t is numpy.ndarray or isinstance(a, numpy.generic):
        key.append(a.dtype)
        key.append(a.shape)
    elif t is list or t is tuple:  # concatenate's arrays, an axis tuple: the length first, so keys cannot run together
        key.append(t)
        key.append(len(a))
        for e in a:
            if not _key_add(e, key):
                return False
    elif t is numpy.ufunc or t is numpy.dtype or t is str or isinstance(a, type):  # a comparison, a dtype, a name
        key.append(a)
    else:
        return False
    return True


def _chosen(op, args, kw):
    """CHOSEN's entry for this call (a backend, None for NumPy, or PENDING), through the SEEN memo."""
    fast = _shape_key(op, args, kw)
    if fast is not None:
        b = SEEN.get(fast, PENDING)
        if b is not PENDING:
            return b
    key = signature(op, args, kw)
    b = None if key is None else CHOSEN.get(key, PENDING)
    if fast is not None and b is not PENDING:
        if len(SEEN) > 10000:
            SEEN.clear()
        SEEN[fast] = b
    return b


def numpy_here(op, args, kw=None):
    """For the engine's fast paths (op in AUTO_CPU): does NumPy run this call under `auto`?  (placement() is None.)"""
    return placement(op, args, kw) is None


def placement(op, args, kw=None):
    """Where `auto` runs this host call of an op in AUTO_CPU: None for NumPy (every array, in sequences too, below
    MIN_SIZE, an accelerator's array, or a kind calibration left to NumPy, measured now on first use), the backend
    whose kernel calibration chose (the engine's _lent runs it), or PENDING for a traced call of a kind not measured
    yet (the engine's general path asks choice() for the untraced call)."""
    array, limit = _dispatch.MinArray, AUTO_CPU.get(op, MIN_SIZE)
    for a in (args if not kw else (*args, *kw.values())):
        t = type(a)
        if t is array:
            d = a._data
            if type(d) is not _ndarray:
                return None  # an accelerator's array: not the cpu's business
            if d.size >= limit:
                break
        elif (t is list or t is tuple) and holds_large(a, limit):
            break
    else:
        return None
    fast = _shape_key(op, args, kw)
    b = PENDING if fast is None else SEEN.get(fast, PENDING)
    if b is PENDING:
        b = _chosen(op, args, kw)
        if b is PENDING:  # this kind of call, as the fast path makes it, is measured now (untraced calls only)
            info = [None, False, [], False]
            _dispatch._scan(args, info)
            if kw:
                _dispatch._scan(kw.values(), info)
            if info[1]:
                return PENDING
            c = choice(op, info[2], args, kw or {})
            return None if c is None else c[2]
    return b


def holds_large(seq, limit):
    """Does seq (at any depth) hold a host array of `limit` elements or more?"""
    for e in seq:
        t = type(e)
        if t is _dispatch.MinArray:
            d = e._data
            if type(d) is numpy.ndarray and d.size >= limit:
                return True
        elif (t is list or t is tuple) and holds_large(e, limit):
            return True
    return False


def choice(op, dts, args, kw):
    """(kernel, guard, backend) that `auto` runs this cpu call on, or None for NumPy; measures the call's kind on
    first use."""
    b = _chosen(op, args, kw)
    if b is PENDING:
        key = signature(op, args, kw)
        if key is None:
            return None
        b = _decide(op, key, dts, args, kw)
    if b is None or not b.available():  # a decision read from the cache names a library that no longer imports
        return None
    entry = b.host_kernels().get(op)
    return (*entry, b) if entry is not None and entry[1](dts, args, kw) else None


# ---------------------------------------------------------------- deciding
def pick(times):
    """The backend name the measured times {name: [seconds per call in each round]} choose: the one with the lowest
    paired ratio to NumPy (the median over the rounds both ran of its time over NumPy's in the round), where that is
    under 1 - MARGIN and it beat NumPy in at least two thirds of those rounds (so one lucky round on a noisy machine
    does not decide); else "numpy"."""

    pairs = {n: list(zip(t, times["numpy"], strict=False)) for n, t in times.items() if n != "numpy"}
    ratio = {n: statistics.median(a / b for a, b in p) for n, p in pairs.items()}
    wins = [n for n, p in pairs.items() if ratio[n] < 1 - MARGIN and 3 * sum(a < b for a, b in p) >= 2 * len(p)]
    return min(wins, key=ratio.get) if wins else "numpy"


def _decide(op, key, dts, args, kw):
    with _lock:
        b = CHOSEN.get(key, PENDING)
        if b is not PENDING:
            return b
        if not _prepare():
            return None
        b = CHOSEN.get(key, PENDING)
        if b is not PENDING:
            return b
        if not _prepare(load=True):
            return None
        cands = [b for b in _state["backends"] if op in b.host_kernels() and b.host_kernels()[op][1](dts, args, kw)]
        if op not in NP_KERNELS or not cands:
            CHOSEN[key] = None
            return None
        start = time.perf_counter()
        try:
            times = MEASURE[0](op, key, args, kw, cands)
        except Exception:  # NumPy refused the call: its error comes when the engine runs it (nothing is decided)
            CHOSEN.pop(key, None)
            return None
        finally:
            _state["spent"] += time.perf_counter() - start
        _state["count"] += 1
        name = "numpy" if times is None else pick(times)
        why = None if times is not None else f"timeout: measuring {_text(key)} took over {DEADLINE_S:g} s"
        b = BACKENDS[name] if name != "numpy" else None
        CHOSEN[key] = b
        if why is None:
            settle(key, b)
        us = {k: round(statistics.median(v) * 1e6, 3) for k, v in (times or {}).items()}
        _state["rows"][key] = {"backend": name, "us": us, "example": _example(args), "why": why}
        _save_soon()
        if why is not None:
            _say(why)
        return b


def settle(key, b):
    """Learn from a measured decision (b: the winning backend, None for NumPy) the size below which the op's calls
    run on NumPy unmeasured: the end of the largest size class NumPy won, but never into a class a borrowed kernel
    won.  Note: this takes a borrowed kernel's gain to grow with size, as its fixed cost per call weighs less (what
    every measurement here showed); a kind of a smaller class that would have won is then left to NumPy, which is
    never wrong, only maybe slower."""
    op, cls = key[0], max(_cls(c) for _, c, _ in key[1])
    bounds = BOUNDS.setdefault(op, [MIN_SIZE, math.inf])
    if b is None:
        if op in CONTRACTIONS:
            return
        bounds[0] = max(bounds[0], 4 ** cls)
    else:
        bounds[1] = min(bounds[1], 4 ** (cls - 1))
    _apply_bounds(op)


def _apply_bounds(op):
    """AUTO_CPU[op] as BOUNDS[op] settle it (for an op a loaded backend lends)."""
    if op in AUTO_CPU:
        AUTO_CPU[op] = max(MIN_SIZE, min(BOUNDS[op]))


def _measure(op, key, args, kw, cands):
    """Seconds per call of NumPy and of each candidate backend on this call in each of the alternating rounds
    ({name: [seconds, ...]}); None when the first calls pass DEADLINE_S."""
    kernel = NP_KERNELS[op]
    names = ["numpy"] + [b.NAME for b in cands]
    backend = {"numpy": None, **{b.NAME: b for b in cands}}
    clock = time.thread_time if _state["threads"] == 1 else time.perf_counter
    stats = _dispatch._stats()
    saved = stats.get(op)
    saved = None if saved is None else list(saved)
    host = _dispatch.host_runs(op)
    run = _dispatch.run
    sets, turn = rotation(op, args), [0]

    def timed(name, n):
        SEEN.clear()
        CHOSEN[key] = backend[name]
        # untimed: the first call of a placement takes the Python path (placement, the lent kernel's lookup) and
        # remembers it, so that the calls timed run as every later call of the kind will (in C where it can)
        run(op, kernel, args, kw)
        t = clock()
        for _ in range(n):
            run(op, kernel, sets[turn[0] % len(sets)], kw)
            turn[0] += 1
        return (clock() - t) / n

    start = time.perf_counter()
    try:
        with numpy.errstate(all="ignore"):
            warm = {}
            for n in names:  # a library's first calls of a kind are not its speed (see WARM_CALLS) ...
                try:
                    warm[n] = [timed(n, 1)]
                    while len(warm[n]) < WARM_CALLS and sum(warm[n]) < WARM_S:  # ... unless the calls are long
                        warm[n].append(timed(n, 1))
                except Exception:
                    if n == "numpy":
                        raise  # the call is invalid: NumPy's error comes when the engine runs it
                    warm.pop(n, None)  # Note: a borrowed kernel raising what the engine does not rerun on NumPy
                if time.perf_counter() - start > DEADLINE_S:
                    return None
            names = list(warm)
            first = {n: min(w[len(w) // 2:]) for n, w in warm.items()}  # the warmed half's best
            # a kernel at over 3x the best time cannot win: it is not timed again (its warmed best is reported)
            times = {n: [first[n]] for n in names if n != "numpy" and first[n] > 3 * min(first.values())}
            names = [n for n in names if n not in times]
            reps = {n: max(1, min(1000, int(BATCH_S / max(first[n], 1e-7)))) for n in names}
            times.update((n, []) for n in names)
            rounds = time.perf_counter()
            for r in range(MAX_ROUNDS):
                for n in names[r % len(names):] + names[:r % len(names)]:
                    times[n].append(timed(n, reps[n]))
                if r + 1 >= MIN_ROUNDS and time.perf_counter() - rounds > BUDGET_S:
                    break
        return times
    finally:
        CHOSEN.pop(key, None)
        SEEN.clear()
        if saved is None:
            stats.pop(op, None)
        else:
            stats[op] = saved
        _dispatch.forget_host_runs(op, host)


def rotation(op, args):
    """The argument tuples a measurement's calls take in turn: args, and for a contraction whose C- or
    Fortran-ordered cpu arrays take more than CACHE_BYTES, copies of them (the same layout, new memory) enough to pass
    COLD_BYTES together (at most MAX_COPIES)."""
    if op not in CONTRACTIONS:
        return [args]
    def host(a):
        return type(a) is _dispatch.MinArray and type(a._data) is _ndarray

    arrays = [a._data for a in args if host(a)]
    size = sum(d.nbytes for d in arrays)
    if size <= CACHE_BYTES or not all(d.flags.c_contiguous or d.flags.f_contiguous for d in arrays):
        return [args]
    n = min(MAX_COPIES, -(-COLD_BYTES // size))
    return [args] + [tuple(_dispatch.wrap(a._data.copy(order="K"), a._device, a._face) if host(a) else a
                           for a in args) for _ in range(n - 1)]


MEASURE = [_measure]  # tests put a function here that returns given timings (the suite never depends on timing)


def _prepare(load=False):
    """Once per process: the cache usable and read, NumPy's thread count known; with `load`, also the candidate
    backends imported (only measuring needs them, and running a kernel a decision names).  False (NumPy
    everywhere, and why said once) where calibration cannot run."""
    if _state["ready"] is None:
        _fail(_setup())
    if _state["ready"] and load and "backends" not in _state:
        _fail(_load())
    return _state["ready"]


def _fail(why):
    _state["ready"] = why is None
    if why is not None:
        _state["why"] = why
        AUTO_CPU.clear()
        _say(why)


def _setup():
    allowed = [b for b in ACCELERATED if b.NAME in _state["allowed"]]
    installed = [b for b in allowed if b.installed()]
    if not installed:
        return (f"no other backend is installed ({', '.join(b.NAME for b in allowed)}: pip install "
                f"'minpy_array[{allowed[0].EXTRA if allowed else 'torch'}]')")
    _state["installed"] = installed
    path = cache_file()
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=os.path.dirname(path), prefix=".probe-"):
            pass
    except OSError as e:
        return f"the cache directory {os.path.dirname(path)} is not writable ({e}); set MINPY_ARRAY_CACHE_DIR"
    _state["threads"], _state["scope"] = _scope()
    data = _read()
    names = {b.NAME for b in installed}
    for rec in (data or {}).get("decisions", {}).get(_state["scope"], []):
        key, name = _key_of(rec), rec.get("backend")
        if key is not None and (name == "numpy" or name in names):
            CHOSEN[key] = BACKENDS[name] if name != "numpy" else None
            _state["rows"][key] = {k: rec.get(k) for k in ("backend", "us", "example", "why")}
            if rec.get("why") is None and len(rec.get("us") or ()) > 1:  # measured, not a timeout
                settle(key, CHOSEN[key])
    if data is None or _cached_ops(_state["allowed"]) is None:
        return _load()  # the cache cannot say which ops the backends have: import them to know (and rewrite it)
    return None


def _load():
    """Import the candidate backends, learn their ops, and save (a corrupt or foreign cache file is rewritten)."""
    loaded = []
    for b in _state["installed"]:
        start = time.perf_counter()
        if b.available():
            loaded.append(b)
            _state["imports"][b.NAME] = time.perf_counter() - start
    if not loaded:
        return f"{', '.join(b.NAME for b in _state['installed'])} could not be imported"
    _state["backends"] = loaded
    AUTO_CPU.clear()
    AUTO_CPU.update(dict.fromkeys((op for b in loaded for op in b.host_kernels() if op not in HOST_VIEWS), MIN_SIZE))
    for op in BOUNDS:
        _apply_bounds(op)
    _save()
    return None


def _scope():
    """(NumPy's BLAS threads, the decisions' scope in the cache file: that BLAS and thread count)."""
    threads, blas = NUMPY.blas()
    return threads, f"{blas}, {threads} thread(s)"


def _say(why):
    """Say once, as the fallback notice setting asks, why NumPy runs where calibration could not decide."""
    if why in _said:
        return
    _said.add(why)
    mode = _config.get_fallback_notice()
    msg = f"calibration: {why}; NumPy runs these ops on the cpu"
    if mode == "warn":
        warnings.warn(msg, _config.FallbackWarning, stacklevel=6)
    elif mode == "error":
        raise _config.FallbackError(msg)


# ---------------------------------------------------------------- the cache file
def cache_dir():
    d = os.environ.get("MINPY_ARRAY_CACHE_DIR")
    if d:
        return d
    if sys.platform == "win32":
        return os.path.join(os.environ.get("LOCALAPPDATA", os.path.expanduser("~")), "minpy_array", "Cache")
    if sys.platform == "darwin":
        return os.path.expanduser("~/Library/Caches/minpy_array")
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "minpy_array")


def machine_key():
    """What the decisions depend on besides NumPy's BLAS threads: the machine and every library's version (read
    from the installed packages, without importing them)."""
    if _state.get("key") is None:
        cpu, flags = platform.processor(), ""
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith("model name") and cpu in ("", platform.machine()):
                        cpu = line.split(":", 1)[1].strip()
                    elif line.startswith("flags"):
                        flags = hashlib.sha256(line.encode()).hexdigest()[:12]
                        break
        except OSError:
            pass
        _state["key"] = {"format": FORMAT, "kernels": _kernels_digest(), "python": platform.python_version(),
                         "system": platform.system(), "machine": platform.machine(), "cpu": cpu,
                         "cpu_flags": flags, "cpus": os.cpu_count(), "numpy": numpy.__version__,
                         "libraries": {b.NAME: _dist_version(b.NAME) for b in ACCELERATED}}
    return _state["key"]


def _kernels_digest():
    """A digest of minpy_array's kernel tables and guards (ops/*.py): a new version of them is measured anew."""
    h = hashlib.sha256()
    folder = os.path.join(os.path.dirname(__file__), "ops")
    for name in sorted(os.listdir(folder)):
        if name.endswith(".py"):
            with open(os.path.join(folder, name), "rb") as f:
                h.update(f.read())
    return h.hexdigest()[:16]


def _dist_version(name):
    import importlib.util

    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    site = os.path.dirname(list(spec.submodule_search_locations)[0])
    try:
        for entry in os.listdir(site):
            if entry.startswith(name + "-") and entry.endswith((".dist-info", ".egg-info")):
                return entry[len(name) + 1:].rsplit(".", 1)[0]
    except OSError:
        pass
    return "?"


def cache_file():
    digest = hashlib.sha256(json.dumps(machine_key(), sort_keys=True).encode()).hexdigest()[:16]
    return os.path.join(cache_dir(), f"calibration-{digest}.json")


def _read():
    """The cache file's content when it is ours (this format, this machine key), else None."""
    try:
        with open(cache_file()) as f:
            data = json.load(f)
    except (OSError, ValueError, UnicodeDecodeError):
        return None
    if type(data) is not dict or data.get("key") != machine_key() or type(data.get("decisions")) is not dict:
        return None
    return data


def _cached_ops(allowed):
    data = _read()
    if data is None or type(data.get("ops")) is not dict:
        return None
    if not all(type(data["ops"].get(n)) is list for n in allowed if machine_key()["libraries"].get(n)):
        return None
    return [op for n in allowed for op in data["ops"].get(n, ())]


def _save_soon():
    """Save now, or (within a second of the last save) when the next decision comes after that second or the
    process ends: a burst of new call kinds writes the file once."""
    now = time.monotonic()
    if now - _state.get("saved", -math.inf) >= 1.0:
        _save()
    else:
        _state["dirty"] = True


def flush():
    """Write decisions not saved yet (at exit, and before the cache is read elsewhere)."""
    with _lock:
        if _state.get("dirty") and _state["ready"]:
            _save()


def _save():
    """Write this process's decisions into the cache file (merged with what other processes wrote), atomically."""
    data = _read() or {}
    decisions = data.get("decisions", {})
    mine = {_text(k): dict(_record(k), **v) for k, v in _state["rows"].items()}
    theirs = {_text(_key_of(r)): r for r in decisions.get(_state["scope"], []) if _key_of(r) is not None}
    decisions[_state["scope"]] = list({**theirs, **mine}.values())
    ops = dict(data.get("ops", {}))
    ops.update({b.NAME: sorted(b.host_kernels()) for b in _state.get("backends", ())})
    out = {"format": FORMAT, "key": machine_key(), "ops": ops, "decisions": decisions}
    path = cache_file()
    _state["saved"], _state["dirty"] = time.monotonic(), False
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".calibration-", suffix=".json")
        with os.fdopen(fd, "w") as f:
            json.dump(out, f, indent=1)
        os.replace(tmp, path)
    except OSError as e:
        _say(f"the cache file {path} cannot be written ({e})")


def _record(key):
    op, arrays, words = key
    return {"op": op, "arrays": [[str(d), c if type(c) is int else list(c), lay] for d, c, lay in arrays],
            "args": list(words)}


def _key_of(rec):
    try:
        return rec["op"], tuple((numpy.dtype(d), c if type(c) is int else tuple(c), lay)
                                for d, c, lay in rec["arrays"]), tuple(rec["args"])
    except (KeyError, TypeError, ValueError):
        return None


# ---------------------------------------------------------------- reading the decisions
def _span(c):
    if type(c) is tuple:  # a contraction's array: its shape
        return "(" + ",".join(map(str, c)) + ")"
    def size(n):
        for unit, f in (("M", 1 << 20), ("K", 1 << 10)):
            if n >= f:
                return f"{n // f}{unit}"
        return str(n)
    return "0" if c == 0 else f"{size(1 << (2 * c - 2))}-{size((1 << (2 * c)) - 1)}"


def _text(key):
    op, arrays, words = key
    ops = ", ".join(f"{d} {_span(c)} {lay}" for d, c, lay in arrays)
    return f"{op}({ops}{'; ' + ' '.join(words) if words else ''})"


def _example(args):
    """The shapes of the call's arrays, as measured."""
    shapes = [a.shape for v in args for a in (v if type(v) in (list, tuple) else (v,)) if type(a) is _dispatch.MinArray]
    return " ".join(str(s).replace(" ", "") for s in shapes)


class Calibration(list):
    """The decisions `auto` follows on the cpu: one row per call kind (op, operands' dtype, size class and layout,
    other arguments) with the measured microseconds per call of every kernel, the choice and its gain over NumPy
    (NumPy's time / the chosen kernel's); prints as a table."""

    header = ""

    def __str__(self):
        lines = [self.header]
        if not self:
            return "\n".join(lines + ["  (no decisions yet)"])
        names = ["numpy"] + [b.NAME for b in ACCELERATED]
        w = max(len(r["kind"]) for r in self)
        lines.append(f"  {'call kind':<{w}}  {'shapes measured':<22}" + "".join(f"{n + ' us':>11}" for n in names)
                     + f"  {'chosen':<7}{'gain':>6}")
        for r in sorted(self, key=lambda r: r["kind"]):
            us = r["us"] or {}
            cells = "".join(f"{us[n]:>11.1f}" if n in us else f"{'-':>11}" for n in names)
            lines.append(f"  {r['kind']:<{w}}  {r['example'] or '':<22}{cells}  {r['backend']:<7}"
                         f"{r['gain']:>5.2f}x" + (f"  ({r['why']})" if r["why"] else ""))
        return "\n".join(lines)

    __repr__ = __str__


def calibration():
    """The decisions `auto` follows on the cpu device (measured in this process, or read from the cache file), with
    the measured time of each kernel and the gain of each choice; prints as a table."""
    with _lock:
        rows = dict(_state["rows"])
        if _state["ready"] is None and _state["allowed"]:
            for rec in (_read() or {}).get("decisions", {}).get(_scope()[1], []):
                key = _key_of(rec)
                if key is not None:
                    rows.setdefault(key, rec)
        out = Calibration()
        for key, row in rows.items():
            us = row.get("us") or {}
            chosen = us.get(row.get("backend"))
            gain = us["numpy"] / chosen if chosen and "numpy" in us else 1.0
            out.append({"kind": _text(key), "op": key[0], "backend": row.get("backend"), "us": us, "gain": gain,
                        "example": row.get("example"), "why": row.get("why")})
        if not _state["allowed"]:
            head = "calibration: off (MINPY_ARRAY_CALIBRATE=0): NumPy runs every op on the cpu"
        elif _state["ready"] is False:
            head = f"calibration: not running ({_state['why']}): NumPy runs every op on the cpu"
        elif _state["ready"] is None:
            head = (f"calibration: {_scope()[1]}; nothing measured or read yet in this process (calls of {MIN_SIZE}+ "
                    f"elements are, on first use); cache {cache_file()}")
        else:
            imports = "".join(f", {n} imported in {s:.1f} s" for n, s in _state["imports"].items())
            head = (f"calibration: {_state['scope']}; {_state['count']} call kind(s) measured in this process in "
                    f"{_state['spent'] * 1e3:.0f} ms{imports}; cache {cache_file()}")
        out.header = head
        return out


def recalibrate():
    """Forget every decision, in this process and in the cache file: each call kind is measured again on first
    use."""
    with _lock:
        _state["dirty"] = False
        try:
            os.remove(cache_file())
        except OSError:
            pass
        reset()


reset()
atexit.register(flush)

