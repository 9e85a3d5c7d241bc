"""PyTorch's ``torch.utils`` path: ``pygrad.utils.data`` is ``pygrad.data``."""

from __future__ import annotations

from types import ModuleType

__all__ = ["data"]


def __getattr__(name: str) -> ModuleType:
    # Loaded on first use so that `import pygrad.utils` stays cheap.
    if name == "data":
        import importlib

        return importlib.import_module("pygrad.utils.data")
    raise AttributeError(f"module 'pygrad.utils' has no attribute {name!r}")
