"""``pygrad.backends.openmp``: pygrad's CPU kernels run on OpenMP threads (pygrad.set_num_threads)."""

from __future__ import annotations

__all__ = ["is_available"]


def is_available() -> bool:
    """True: the CPU kernels are parallelised with OpenMP."""
    return True
