"""``pygrad.backends.cudnn``: torch's cuDNN switches. pygrad has no cuDNN: ``is_available()`` is False and
``version()`` None, while ``enabled``, ``benchmark``, ``deterministic`` and ``allow_tf32`` keep what a script
sets (torch's defaults: True, False, False, True)."""

from __future__ import annotations

__all__ = ["allow_tf32", "benchmark", "deterministic", "enabled", "is_available", "version"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available() -> bool:
    """False: pygrad does not use cuDNN."""
    return False


def version() -> int | None:
    """None: no cuDNN is loaded."""
    return None
