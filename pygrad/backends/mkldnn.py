"""``pygrad.backends.mkldnn``: torch's oneDNN switch. pygrad's CPU kernels are its own: ``is_available()`` is
False; ``enabled`` keeps what a script sets."""

from __future__ import annotations

__all__ = ["enabled", "is_available"]

enabled = True


def is_available() -> bool:
    """False: pygrad does not link oneDNN."""
    return False
