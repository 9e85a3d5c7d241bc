"""``pygrad.backends.mps``: no Apple Metal backend in pygrad."""

from __future__ import annotations

__all__ = ["is_available", "is_built"]


def is_available() -> bool:
    """False: pygrad has no MPS backend."""
    return False


def is_built() -> bool:
    """False: pygrad has no MPS backend."""
    return False
