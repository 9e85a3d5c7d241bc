"""``pygrad.backends.mkl``: pygrad does not link MKL."""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    """False: pygrad's GEMM and vector math are its own."""
    return False
