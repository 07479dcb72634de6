"""MinPy's policy API over minpy_array's policies, and MinPy's op statistics over `op_stats()`.

MinPy's names map onto minpy_array's: 'prefer_mxnet' -> 'prefer_mxnet', 'only_numpy' -> 'numpy_only',
'only_mxnet' -> 'mxnet_only'; minpy_array's own names ('auto', ...) are taken too.  MinPy's policy objects
(`PreferMXNetPolicy()`, ...) stand for their names.  `set_global_policy` sets the process default
(`minpy_array.set_policy`); `wrap_policy(p)` is `minpy_array.policy(p)`, a decorator (and `with` block) that holds for
the calling thread only.  minpy_array counts every op all the time: `record_op_stat()` starts the counts afresh and
`show_op_stat()` prints them.
"""
import sys

from .. import _config
from .._dispatch import op_stats, reset_op_stats

MINPY_NAMES = {"prefer_mxnet": "prefer_mxnet", "only_numpy": "numpy_only", "only_mxnet": "mxnet_only"}


def policy_name(plc):
    """minpy_array's name for a MinPy policy name, a Policy object, or a minpy_array policy name."""
    if isinstance(plc, Policy):
        return plc.name
    if not isinstance(plc, str):
        raise TypeError(f"expected a policy name or a Policy object, not {type(plc).__name__}")
    return MINPY_NAMES.get(plc, plc)


class Policy:
    """A policy, by minpy_array's name (`name`)."""

    NAME = None

    def __init__(self, name=None):
        self.name = self.NAME if name is None else policy_name(name)

    def __eq__(self, other):
        return isinstance(other, Policy) and other.name == self.name

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return f"{type(self).__name__}()" if self.NAME else f"Policy({self.name!r})"

    @staticmethod
    def show_op_stat():
        show_op_stat()


class PreferMXNetPolicy(Policy):
    NAME = "prefer_mxnet"


class OnlyNumPyPolicy(Policy):
    NAME = "numpy_only"


class OnlyMXNetPolicy(Policy):
    NAME = "mxnet_only"


class AutoPolicy(Policy):
    """minpy_array's default: the faster correct kernel for the device and size (no MinPy counterpart)."""

    NAME = "auto"


_CLASSES = {c.NAME: c for c in (AutoPolicy, PreferMXNetPolicy, OnlyNumPyPolicy, OnlyMXNetPolicy)}


def create(plc):
    """A Policy object from a name (MinPy's or minpy_array's) or a Policy."""
    if isinstance(plc, Policy):
        return plc
    name = policy_name(plc)
    cls = _CLASSES.get(name)
    return cls() if cls is not None else Policy(name)


def set_global_policy(plc):
    """Set the process-wide policy: 'prefer_mxnet', 'only_numpy', 'only_mxnet' (MinPy's names), minpy_array's names
    ('auto', 'numpy_only', ...), or a Policy object."""
    _config.set_policy(policy_name(plc))


def get_global_policy():
    """The policy in force here, as a Policy object (`.name` is minpy_array's name)."""
    return create(_config.get_policy())


def wrap_policy(plc):
    """`@wrap_policy('only_numpy')`: run a function under a policy (the calling thread only); also a `with` block."""
    return _config.policy(policy_name(plc))


def record_op_stat():
    """Start counting ops afresh (minpy_array always counts; this resets the counts)."""
    reset_op_stats()


def show_op_stat(file=None):
    """Print how often each op ran on MXNet and on NumPy since the last record_op_stat() / reset_op_stats()."""
    file = sys.stdout if file is None else file
    stats = op_stats()
    totals = {}
    for backend, title in (("mxnet", "MXNet"), ("numpy", "NumPy")):
        rows = sorted((op, r[backend]) for op, r in stats.items() if r[backend])
        totals[title] = sum(n for _, n in rows)
        print(f"{title} ops ({totals[title]} calls):", file=file)
        for op, n in rows:
            print(f"  {op}: {n}", file=file)
    total = sum(totals.values())
    if total:
        print(f"{totals['MXNet'] / total:.1%} of calls on MXNet, {totals['NumPy'] / total:.1%} on NumPy", file=file)


__all__ = ["MINPY_NAMES", "policy_name", "Policy", "PreferMXNetPolicy", "OnlyNumPyPolicy", "OnlyMXNetPolicy",
           "AutoPolicy", "create", "set_global_policy", "get_global_policy", "wrap_policy", "record_op_stat",
           "show_op_stat"]
