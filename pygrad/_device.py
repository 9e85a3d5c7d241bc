"""Devices: ``pygrad.device("cpu")``; CUDA is a seam for a later backend."""

from __future__ import annotations

__all__ = ["check_device", "device"]

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast


class device:
    """A device a tensor lives on, spelled as in PyTorch: ``device("cpu")``, ``device("cuda:0")``."""

    __slots__ = ("index", "type")

    type: str
    index: int | None

    def __init__(self, type: str | device, index: int | None = None) -> None:
        if isinstance(type, device):
            self.type, self.index = type.type, type.index
            return
        if not isinstance(type, str):
            raise TypeError(f"[device] expected a device string such as 'cpu', got {type!r}")
        name, _, number = type.partition(":")
        if name not in ("cpu", "cuda"):
            raise ValueError(f"[device] unknown device type {name!r}; expected 'cpu' or 'cuda'")
        if number:
            if not number.isdigit():
                raise ValueError(f"[device] invalid device index in {type!r}")
            index = int(number)
        self.type = name
        self.index = index

    def __eq__(self, other: object) -> bool:
        if isinstance(other, str):
            other = device(other)
        if not isinstance(other, device):
            return NotImplemented
        return self.type == other.type and self.index == other.index

    def __hash__(self) -> int:
        return hash((self.type, self.index))

    def __repr__(self) -> str:
        if self.index is None:
            return f"device(type='{self.type}')"
        return f"device(type='{self.type}', index={self.index})"

    def __str__(self) -> str:
        return self.type if self.index is None else f"{self.type}:{self.index}"


if TYPE_CHECKING:
    from typing import TypeAlias, Union

    # What a device= argument takes: "cpu", "cuda:0" or a device (for annotations only).
    DeviceLike: TypeAlias = Union[str, device]


def check_device(dev: DeviceLike | None, op: str) -> None:
    """Raises a clear error unless dev names a device this build can use (only the CPU here)."""
    if dev is None:
        return
    dev = device(dev)
    if dev.type != "cpu":
        from pygrad import _C

        raise RuntimeError(f"[{op}] cannot use device '{dev}': {_C.cuda_unavailable_reason()}")
