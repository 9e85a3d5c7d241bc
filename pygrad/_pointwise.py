"""Pointwise ops torch has beyond the registry's, as composites of registry ops (differentiable where
torch's are): absolute and negative (aliases), deg2rad, rad2deg, sinc, heaviside, and the ones with no
gradient in torch, computed by numpy: nextafter, gcd, lcm."""

from __future__ import annotations

import math

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "absolute",
    "deg2rad",
    "gcd",
    "heaviside",
    "lcm",
    "negative",
    "nextafter",
    "rad2deg",
    "sinc",
]


def _floating(input: Tensor) -> Tensor:
    """input, or its float32 copy for integers and bool (torch's integer-to-float promotion)."""
    return input if input.is_floating_point() else input.to(_C.float32)


def absolute(input: Tensor) -> Tensor:
    """Alias of abs."""
    return input.abs()


def negative(input: Tensor) -> Tensor:
    """Alias of neg."""
    return input.neg()


def deg2rad(input: Tensor) -> Tensor:
    """Degrees to radians (integers give float32)."""
    return _floating(input) * (math.pi / 180.0)


def rad2deg(input: Tensor) -> Tensor:
    """Radians to degrees (integers give float32)."""
    return _floating(input) * (180.0 / math.pi)


def sinc(input: Tensor) -> Tensor:
    """sin(pi x) / (pi x), 1 at x == 0 (gradient 0 there, as torch)."""
    x = _floating(input)
    at_zero = x == 0
    scaled = x * math.pi
    safe = _C.where(
        at_zero, 1.0, scaled
    )  # no 0/0 in the branch where() discards, nor in its gradient
    return _C.where(at_zero, 1.0, scaled.sin() / safe).to(x.dtype)


def heaviside(input: Tensor, values: Tensor) -> Tensor:
    """0 where input < 0, 1 where input > 0, values where input == 0 (same dtypes, as torch)."""
    if input.dtype != values.dtype:
        raise RuntimeError(
            f"[heaviside] input and values must have the same dtype, got {input.dtype} and {values.dtype}"
        )
    return _C.where(input == 0, values, (input > 0).to(input.dtype))


def _numpy_binary(name: str, input: Tensor, other: Tensor, integral: bool) -> Tensor:
    import numpy as np

    if not isinstance(other, Tensor):
        raise TypeError(f"[{name}] other must be a Tensor, got {type(other).__name__}")
    dtype = _C.result_type(input, other)
    if integral and (dtype.is_floating_point or dtype == _C.bool):
        raise RuntimeError(
            f"[{name}] expected integer tensors, got {input.dtype} and {other.dtype}"
        )
    if not integral and not dtype.is_floating_point:
        raise RuntimeError(
            f"[{name}] expected floating point tensors, got {input.dtype} and {other.dtype}"
        )
    a = input.detach().to(dtype).cpu().numpy()
    b = other.detach().to(dtype).cpu().numpy()
    out = _C.from_numpy(np.ascontiguousarray(getattr(np, name)(a, b)))
    return out.to(input.device) if input.is_cuda else out


def nextafter(input: Tensor, other: Tensor) -> Tensor:
    """The next representable float after input towards other (not differentiable, as torch)."""
    return _numpy_binary("nextafter", input, other, False)


def gcd(input: Tensor, other: Tensor) -> Tensor:
    """Greatest common divisor of integers (non-negative; gcd(0, 0) = 0)."""
    return _numpy_binary("gcd", input, other, True)


def lcm(input: Tensor, other: Tensor) -> Tensor:
    """Least common multiple of integers (non-negative)."""
    return _numpy_binary("lcm", input, other, True)


def _unary_method(fn: Any) -> Any:
    def method(self: Tensor) -> Tensor:
        return fn(self)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _binary_method(fn: Any) -> Any:
    def method(self: Tensor, other: Tensor) -> Tensor:
        return fn(self, other)

    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


def _heaviside_method(self: Tensor, values: Tensor) -> Tensor:
    return heaviside(self, values)


_heaviside_method.__name__ = _heaviside_method.__qualname__ = "heaviside"
_heaviside_method.__doc__ = heaviside.__doc__
for _unary in (absolute, negative, deg2rad, rad2deg, sinc):
    setattr(Tensor, _unary.__name__, _unary_method(_unary))
for _binary in (nextafter, gcd, lcm):
    setattr(Tensor, _binary.__name__, _binary_method(_binary))
setattr(Tensor, "heaviside", _heaviside_method)  # noqa: B010  (mypy: no method assignment)
