"""MinPy's `minprof`: counts and wall time of decorated functions and `with` blocks.

    @minprof
    def step(...): ...
    with minprof("data loading"):      # or minprof() (labelled by its file and line)
        ...
    minprof.print_stats()
"""
import functools
import sys
import time
import traceback


class _Block:
    __slots__ = ("profiler", "label", "start")

    def __init__(self, profiler, label):
        self.profiler, self.label = profiler, label

    def __enter__(self):
        if self.label is None:
            frame = traceback.extract_stack(limit=2)[0]
            self.label = f"{frame.filename}:{frame.lineno}"
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        self.profiler.add(self.label, time.perf_counter() - self.start)


class Profiler:
    def __init__(self):
        self.stats = {}  # label -> [calls, seconds]

    def __call__(self, func=None):
        """As a decorator: time every call of func.  Called with nothing or a label: a `with` block."""
        if func is None or isinstance(func, str):
            return _Block(self, func)
        code = func.__code__
        label = f"{code.co_filename}:{code.co_firstlineno}({func.__qualname__})"
        self.stats.setdefault(label, [0, 0.0])

        @functools.wraps(func)
        def timed(*args, **kwargs):
            start = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.add(label, time.perf_counter() - start)

        return timed

    def add(self, label, seconds):
        row = self.stats.setdefault(label, [0, 0.0])
        row[0] += 1
        row[1] += seconds

    def get_stats(self):
        """{label: (calls, total seconds)}."""
        return {k: tuple(v) for k, v in self.stats.items()}

    def print_stats(self, stream=None):
        stream = sys.stdout if stream is None else stream
        print(f"{'calls':>8} {'total ms':>10} {'per call ms':>12}  where", file=stream)
        for label, (calls, secs) in sorted(self.stats.items(), key=lambda kv: -kv[1][1]):
            per = secs / calls * 1e3 if calls else 0.0
            print(f"{calls:>8} {secs * 1e3:>10.3f} {per:>12.4f}  {label}", file=stream)

    def reset(self):
        self.stats.clear()


minprof = Profiler()

__all__ = ["minprof", "Profiler"]
