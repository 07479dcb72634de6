"""MinPy's `minpy.array_variants`: the two kinds of kernels (minpy_array's op_stats() counts them as 'numpy' and
'mxnet')."""


class ArrayType:
    NUMPY = 0
    MXNET = 1


variants = {"numpy": ArrayType.NUMPY, "mxnet": ArrayType.MXNET}

__all__ = ["ArrayType", "variants"]
