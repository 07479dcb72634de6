"""Thread counts for a benchmark run, set before NumPy and MXNet load (both read them once, at import)."""
import os
import sys

_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "MXNET_CPU_WORKER_NTHREADS")


def threads_from_argv(default="1"):
    """The value of --threads N / --threads=N on the command line (argparse runs too late for this)."""
    for i, a in enumerate(sys.argv):
        if a == "--threads" and i + 1 < len(sys.argv):
            return sys.argv[i + 1]
        if a.startswith("--threads="):
            return a.split("=", 1)[1]
    return default


def pin_threads():
    """Set every library's thread count from --threads (default 1) unless the environment already sets it."""
    n = threads_from_argv()
    for v in _VARIABLES:
        os.environ.setdefault(v, n)
    os.environ.setdefault("MXNET_SUBGRAPH_VERBOSE", "0")
