"""Stacking and splitting with torch's signatures: hstack / vstack / dstack / column_stack (cat after
atleast_nd) and tensor_split / hsplit / vsplit / dsplit (narrow views), narrow_copy.
"""

from __future__ import annotations

import builtins

from pygrad import _C
from pygrad._shape import _wrap, atleast_1d, atleast_2d, atleast_3d

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__ = [
    "column_stack",
    "dsplit",
    "dstack",
    "hsplit",
    "hstack",
    "narrow_copy",
    "row_stack",
    "tensor_split",
    "vsplit",
    "vstack",
]


def hstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates along dim 1 (dim 0 for 1-d tensors) after atleast_1d."""
    ts = [atleast_1d(x) for x in tensors]
    return _C.cat(ts, 0 if ts and ts[0].ndim == 1 else 1)


def vstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates along dim 0 after atleast_2d (1-d tensors become rows)."""
    return _C.cat([atleast_2d(x) for x in tensors], 0)


row_stack = vstack


def dstack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates along dim 2 after atleast_3d."""
    return _C.cat([atleast_3d(x) for x in tensors], 2)


def column_stack(tensors: Sequence[Tensor]) -> Tensor:
    """Concatenates along dim 1, 0-d and 1-d tensors taken as columns."""
    return _C.cat([x.reshape(-1, 1) if x.ndim <= 1 else x for x in tensors], 1)


def tensor_split(
    input: Tensor, indices_or_sections: int | Sequence[int] | Tensor, dim: int = 0
) -> tuple[Tensor, ...]:
    """Views split along dim into n near-equal parts (an int: the first size % n parts one longer), or at
    the given indices (Python slicing rules: clipped, negative from the end).
    """
    if input.ndim == 0:
        raise ValueError("[tensor_split] expected at least a 1-dimensional tensor")
    d = _wrap(dim, input.ndim, "tensor_split")
    size = input.shape[d]
    spec: Any = indices_or_sections
    if isinstance(spec, Tensor):
        if spec.dtype != _C.int64 or spec.ndim > 1:
            raise TypeError("[tensor_split] a tensor of sections must be a 0-d or 1-d int64 tensor")
        spec = spec.item() if spec.ndim == 0 else spec.tolist()
    if isinstance(spec, int):
        if spec <= 0:
            raise ValueError(f"[tensor_split] number of sections must be larger than 0, got {spec}")
        base, extra = divmod(size, spec)
        bounds = [0]
        for i in range(spec):
            bounds.append(bounds[-1] + base + (1 if i < extra else 0))
    else:
        bounds = [
            0,
            *(builtins.min(builtins.max(i + size if i < 0 else i, 0), size) for i in spec),
            size,
        ]
    return tuple(
        input.narrow(d, a, builtins.max(b - a, 0)) for a, b in zip(bounds[:-1], bounds[1:])
    )


def _split_along(input: Tensor, spec: int | Sequence[int], dim: int, op: str) -> tuple[Tensor, ...]:
    if isinstance(spec, int) and (spec == 0 or input.shape[dim] % spec):
        raise ValueError(
            f"[{op}] attempted to split along dimension {dim}, but the size of the dimension "
            f"{input.shape[dim]} is not divisible by the split_size {spec}"
        )
    return tensor_split(input, spec, dim)


def hsplit(input: Tensor, indices_or_sections: int | Sequence[int]) -> tuple[Tensor, ...]:
    """tensor_split along dim 1 (dim 0 for 1-d input); an int must divide the dim evenly."""
    if input.ndim == 0:
        raise ValueError("[hsplit] requires a tensor with at least 1 dimension")
    return _split_along(input, indices_or_sections, 0 if input.ndim == 1 else 1, "hsplit")


def vsplit(input: Tensor, indices_or_sections: int | Sequence[int]) -> tuple[Tensor, ...]:
    """tensor_split along dim 0 of an at least 2-d input; an int must divide the dim evenly."""
    if input.ndim < 2:
        raise ValueError(f"[vsplit] requires a tensor with at least 2 dimensions, got {input.ndim}")
    return _split_along(input, indices_or_sections, 0, "vsplit")


def dsplit(input: Tensor, indices_or_sections: int | Sequence[int]) -> tuple[Tensor, ...]:
    """tensor_split along dim 2 of an at least 3-d input; an int must divide the dim evenly."""
    if input.ndim < 3:
        raise ValueError(f"[dsplit] requires a tensor with at least 3 dimensions, got {input.ndim}")
    return _split_along(input, indices_or_sections, 2, "dsplit")


def narrow_copy(input: Tensor, dim: int, start: int, length: int) -> Tensor:
    """input.narrow(dim, start, length) as a new tensor (not a view)."""
    return input.narrow(dim, start, length).clone()


_METHODS = {
    "tensor_split": tensor_split,
    "hsplit": hsplit,
    "vsplit": vsplit,
    "dsplit": dsplit,
    "narrow_copy": narrow_copy,
}


def _as_method(fn: Any) -> Any:
    """fn(input, ...) as a Tensor method (self, ...)."""

    def method(self: Tensor, *args: Any, **kwargs: Any) -> Any:
        return fn(self, *args, **kwargs)

    def unary(self: Tensor) -> Any:
        return fn(self)

    if fn.__code__.co_argcount == 1 and not fn.__code__.co_flags & 0x0C:  # no *args / **kwargs
        method = unary
    method.__name__ = method.__qualname__ = fn.__name__
    method.__doc__ = fn.__doc__
    return method


for _name, _fn in _METHODS.items():
    setattr(_C.Tensor, _name, _as_method(_fn))
