"""CUDA queries. The CUDA runtime is compiled in when nvcc was found at build time (``is_built()``); its kernels
are not there yet, so tensors moved to a GPU raise a clear error naming the reason."""

from __future__ import annotations

from pygrad import _C

__all__ = ["device_count", "is_available", "is_built"]


def is_available() -> bool:
    """True when pygrad was built with CUDA and a GPU is present."""
    return _C.cuda_is_available()


def device_count() -> int:
    """Number of CUDA devices pygrad can use."""
    return _C.cuda_device_count()


def is_built() -> bool:
    """True when this build has the CUDA backend compiled in (nvcc was found when pygrad was built)."""
    return _C.cuda_is_built()
