"""torch's smaller Tensor attributes and functions that pygrad had no place for: size and type queries
(nelement, itemsize, is_signed, ...), the no-op complex helpers of real tensors (conj, real, ...),
scatter-style copies (select_scatter, slice_scatter, ...), and the torch-level function forms of
Tensor methods."""

from __future__ import annotations

from pygrad import _C

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing: `import pygrad` stays fast
if TYPE_CHECKING:
    from pygrad._C import Tensor
else:
    Tensor = _C.Tensor

__all__: list[str] = []
