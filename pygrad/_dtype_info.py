"""Numeric facts about the dtypes, as torch spells them: finfo, iinfo, is_floating_point."""

from __future__ import annotations

import builtins as _builtins

from pygrad import _C
from pygrad._C import Tensor, dtype

__all__ = ["finfo", "iinfo", "is_floating_point"]

# (bits, eps, max, tiny = smallest normal, resolution = 10 ** -decimal digits)
_FLOAT_INFO: dict[str, tuple[int, float, float, float, float]] = {
    "float16": (16, 0.0009765625, 65504.0, 6.103515625e-05, 0.001),
    "bfloat16": (16, 0.0078125, 3.3895313892515355e38, 1.1754943508222875e-38, 0.01),
    "float32": (32, 1.1920928955078125e-07, 3.4028234663852886e38, 1.1754943508222875e-38, 1e-06),
    "float64": (64, 2.220446049250313e-16, 1.7976931348623157e308, 2.2250738585072014e-308, 1e-15),
}
_INT_INFO: dict[str, tuple[int, int, int]] = {
    "uint8": (8, 0, 255),
    "int8": (8, -128, 127),
    "int16": (16, -32768, 32767),
    "int32": (32, -(2**31), 2**31 - 1),
    "int64": (64, -(2**63), 2**63 - 1),
    "bool": (8, 0, 1),
}


def _name(d: dtype) -> str:
    return str(d).rsplit(".", 1)[-1]


class finfo:
    """Machine limits of a floating dtype (torch.finfo): bits, eps, max, min, tiny, smallest_normal, resolution."""

    def __init__(self, type: dtype | None = None) -> None:
        d = _C.float32 if type is None else type
        name = _name(d)
        if name not in _FLOAT_INFO:
            raise TypeError(f"[finfo] expected a floating dtype, got {d}")
        self.dtype = name
        self.bits, self.eps, self.max, self.tiny, self.resolution = _FLOAT_INFO[name]
        self.min = -self.max
        self.smallest_normal = self.tiny

    def __repr__(self) -> str:
        return (
            f"finfo(resolution={self.resolution}, min={self.min:g}, max={self.max:g}, eps={self.eps:g}, "
            f"smallest_normal={self.tiny:g}, tiny={self.tiny:g}, dtype={self.dtype})"
        )


class iinfo:
    """Limits of an integer dtype (torch.iinfo): bits, min, max."""

    def __init__(self, type: dtype) -> None:
        name = _name(type)
        if name not in _INT_INFO or name == "bool":
            raise TypeError(f"[iinfo] expected an integer dtype, got {type}")
        self.dtype = name
        self.bits, self.min, self.max = _INT_INFO[name]

    def __repr__(self) -> str:
        return f"iinfo(min={self.min}, max={self.max}, dtype={self.dtype})"


def is_floating_point(input: Tensor) -> _builtins.bool:
    """True when the tensor's dtype is a floating dtype (float16, bfloat16, float32, float64)."""
    return _builtins.bool(input.dtype.is_floating_point)
