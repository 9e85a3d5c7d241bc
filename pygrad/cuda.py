"""CUDA queries. This build's backend table has no CUDA kernels yet; tensors moved there raise clearly."""

from pygrad import _C


def is_available():
    """True when pygrad was built with CUDA and a GPU is present."""
    return _C.cuda_is_available()


def device_count():
    """Number of CUDA devices pygrad can use."""
    return _C.cuda_device_count()
