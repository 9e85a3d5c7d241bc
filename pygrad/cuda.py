"""CUDA queries. This build's backend table has no CUDA kernels yet; tensors moved there raise clearly."""

from __future__ import annotations

from pygrad import _C

__all__ = ["device_count", "is_available"]


def is_available() -> bool:
    """True when pygrad was built with CUDA and a GPU is present."""
    return _C.cuda_is_available()


def device_count() -> int:
    """Number of CUDA devices pygrad can use."""
    return _C.cuda_device_count()
