"""PyTorch's ``torch.utils`` path: ``pygrad.utils.data`` is ``pygrad.data``; ``pygrad.utils.checkpoint``
holds activation checkpointing."""

from __future__ import annotations

from types import ModuleType

__all__ = ["checkpoint", "data"]


def __getattr__(name: str) -> ModuleType:
    # Loaded on first use so that `import pygrad.utils` stays cheap.
    if name in ("checkpoint", "data"):
        import importlib

        return importlib.import_module(f"pygrad.utils.{name}")
    raise AttributeError(f"module 'pygrad.utils' has no attribute {name!r}")
