"""The process's C heap under training loops (glibc's malloc, which NumPy and torch allocate from).

A gradient step keeps its tape and then every gradient alive to its end and frees them all together: tens of MiB at
the top of the heap, which glibc returns to the system once more than its trim threshold is free there, and which
the next step then takes back one page fault at a time.  Measured with benchmarks/mlp.py's step at N=10 H=1024:
2,900-7,200 page faults and 5-20 ms of system time per step (5-15% of it) under every policy, where hand-written
NumPy and torch eager, whose gradients live one layer at a time or across steps, take 0-600.

`tune()` sets the two thresholds where glibc's own rule puts them once a program has freed a large array (the mmap
threshold follows the largest freed block up to 32 MiB, the trim threshold twice that), from the start and for
arrays of any size, so a step's memory stays mapped for the next one: at most 64 MiB free at the top of the heap is
kept from the system.  It runs once, when the first gradient is taken; nowhere but on glibc, not where the user set
glibc's own MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ / MALLOC_TOP_PAD_, and not with
MINPY_ARRAY_MALLOC_TUNING=0.  `state()` says what it did.
"""
import ctypes
import ctypes.util
import os
import platform
import threading

MMAP_THRESHOLD = 32 << 20  # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit: the most its dynamic rule reaches
TRIM_THRESHOLD = 2 * MMAP_THRESHOLD
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # <malloc.h>
_USER_VARS = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_", "MALLOC_TOP_PAD_")

_lock = threading.Lock()
_state = {"done": False, "why": "not yet asked (it runs when the first gradient is taken)"}


def tune():
    """Set glibc's thresholds once (see the module doc); later calls return at once."""
    if _state["done"]:
        return
    with _lock:
        if not _state["done"]:
            _state["why"] = _apply()
            _state["done"] = True


def state():
    """What tune() did, in words."""
    return _state["why"]


def _apply():
    if os.environ.get("MINPY_ARRAY_MALLOC_TUNING", "1") == "0":
        return "left alone: MINPY_ARRAY_MALLOC_TUNING=0"
    given = [v for v in _USER_VARS if v in os.environ]
    if given:
        return f"left alone: {', '.join(given)} set by the user"
    if platform.libc_ver()[0] != "glibc":
        return "left alone: not glibc"
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        ok = libc.mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1 and \
            libc.mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
    except (OSError, AttributeError) as e:
        return f"left alone: mallopt unavailable ({e})"
    if not ok:
        return "left alone: mallopt refused the thresholds"
    return f"glibc: mmap threshold {MMAP_THRESHOLD >> 20} MiB, trim threshold {TRIM_THRESHOLD >> 20} MiB"
