"""``pygrad.cpu``: torch.cpu's device functions (the CPU is always there) and the deprecated ``pygrad.cpu.amp``."""

from __future__ import annotations

from pygrad.cpu import amp

__all__ = ["amp", "current_device", "device_count", "is_available", "synchronize"]


def is_available() -> bool:
    """Always True: the CPU backend is always built."""
    return True


def device_count() -> int:
    """One CPU device (its cores are threads of that device: pygrad.set_num_threads)."""
    return 1


def current_device() -> str:
    """``"cpu"``, as torch.cpu.current_device()."""
    return "cpu"


def synchronize(device: object = None) -> None:
    """CPU ops finish before they return: nothing to wait for."""
