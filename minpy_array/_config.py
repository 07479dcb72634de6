"""Runtime configuration: the kernel policy and the fallback notice.

Policies: `auto` (the device's backend on an accelerator; on the cpu, NumPy or the kernel `auto` chose for the op),
`numpy_only`, and for each accelerated backend B (ops/__init__.py): `prefer_B` (B's kernels wherever a guard
admits the call, borrowed on the cpu's NumPy buffers too; NumPy otherwise) and `B_only` (NoKernelError instead of
NumPy).  On a device of another backend, `prefer_B` uses that device's own kernels.

`set_policy`/`set_fallback_notice` change the process-wide default; `with policy(...)` (also a decorator) overrides it
for the current thread or asyncio task only (a ContextVar), so concurrent threads never see each other's blocks.
Environment variables give the start-up defaults: MINPY_ARRAY_POLICY, MINPY_ARRAY_FALLBACK_NOTICE.
"""
import contextlib
import contextvars
import os

from .ops import ACCELERATED, NUMPY

# policy -> (the backend it asks for: None for the device's own or auto's choice, NUMPY for none; only that one)
RULES = {"auto": (None, False), "numpy_only": (NUMPY, False)}
for _b in ACCELERATED:
    RULES[f"prefer_{_b.NAME}"] = (_b, False)
    RULES[f"{_b.NAME}_only"] = (_b, True)
POLICIES = tuple(RULES)
NOTICES = ("silent", "warn", "error")


def _check(value, allowed, what):
    if value not in allowed:
        raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(allowed)}")
    return value


_global = {
    "policy": _check(os.environ.get("MINPY_ARRAY_POLICY", "auto"), POLICIES, "policy (MINPY_ARRAY_POLICY)"),
    "notice": _check(os.environ.get("MINPY_ARRAY_FALLBACK_NOTICE", "silent"), NOTICES,
                     "fallback notice (MINPY_ARRAY_FALLBACK_NOTICE)"),
}
_policy_var = contextvars.ContextVar("minpy_array_policy", default=None)
_notice_var = contextvars.ContextVar("minpy_array_notice", default=None)


def get_policy():
    """The policy in force here: the innermost `with policy(...)`, else the process default."""
    return _policy_var.get() or _global["policy"]


def set_policy(name):
    """Set the process-wide default policy; returns the previous one."""
    old = _global["policy"]
    _global["policy"] = _check(name, POLICIES, "policy")
    return old


def get_fallback_notice():
    return _notice_var.get() or _global["notice"]


def set_fallback_notice(mode):
    """'silent' (default), 'warn' (a FallbackWarning per fallback call) or 'error' (raise FallbackError)."""
    old = _global["notice"]
    _global["notice"] = _check(mode, NOTICES, "fallback notice")
    return old


class policy(contextlib.ContextDecorator):
    """`with policy("prefer_torch"):` or `@policy("numpy_only")`: the kernel policy for a block (this thread)."""

    def __init__(self, name):
        self.name = _check(name, POLICIES, "policy")
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_policy_var.set(self.name))
        return self

    def __exit__(self, *exc):
        _policy_var.reset(self._tokens.pop())
        return False


class fallback_notice(contextlib.ContextDecorator):
    """`with fallback_notice("warn"):` for a block (this thread)."""

    def __init__(self, mode):
        self.mode = _check(mode, NOTICES, "fallback notice")
        self._tokens = []

    def __enter__(self):
        self._tokens.append(_notice_var.set(self.mode))
        return self

    def __exit__(self, *exc):
        _notice_var.reset(self._tokens.pop())
        return False


class FallbackWarning(UserWarning):
    """An op ran on NumPy because no kernel of the wanted backend accepted the call."""


class FallbackError(RuntimeError):
    """Raised under fallback notice 'error' when an op would fall back to NumPy."""
