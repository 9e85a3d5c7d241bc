"""Embedding, EmbeddingBag."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pygrad import _C
from pygrad._C import Tensor
from pygrad._device import check_device
from pygrad._grad_mode import no_grad
from pygrad.nn import functional as F
from pygrad.nn import init
from pygrad.nn.modules.linear import _empty
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = ["Embedding", "EmbeddingBag"]


class Embedding(Module):
    """A lookup table: int64 indices -> rows of weight [num_embeddings, embedding_dim], initialised N(0, 1).

    The padding_idx row starts at zero and receives no gradient. max_norm renormalises the looked-up
    rows in place before each lookup; scale_grad_by_freq divides each row's gradient by its count in the
    batch; sparse=True is not supported (NotImplementedError).

    Args:
        num_embeddings: the number of rows.
        embedding_dim: the size of each row.
        padding_idx: a row that stays at zero and gets no gradient (negative counts from the end).
        max_norm: rows looked up with a larger norm are rescaled to it in place.
        norm_type: the p of the norm for max_norm.
        scale_grad_by_freq: divide each row's gradient by its index's count in the batch.
        sparse: only False.
        device: None or "cpu" (the only device of this build).
        dtype: the weight's dtype (float32 by default; ignored when _weight is given).
    """

    weight: Parameter

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
        _weight: Tensor | None = None,
        _freeze: bool = False,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        check_device(device, "Embedding")
        if sparse:
            raise NotImplementedError("[Embedding] sparse=True (sparse gradients) is not supported")
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("[Embedding] padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.padding_idx = padding_idx
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.sparse = sparse
        if _weight is None:
            self.weight = Parameter(
                _empty((num_embeddings, embedding_dim), dtype),
                requires_grad=not _freeze,
            )
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    "[Embedding] shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight, requires_grad=not _freeze)

    def reset_parameters(self) -> None:
        """N(0, 1) weights, the padding_idx row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(self, input: Tensor) -> Tensor:
        return F.embedding(
            input,
            self.weight,
            self.padding_idx,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.sparse,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        padding_idx: int | None = None,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        sparse: bool = False,
    ) -> Embedding:
        """An Embedding whose weight is the given 2-D tensor (frozen by default)."""
        if embeddings.ndim != 2:
            raise ValueError(
                "[Embedding.from_pretrained] embeddings parameter is expected to be 2-dimensional"
            )
        rows, cols = embeddings.shape
        return cls(
            rows,
            cols,
            padding_idx=padding_idx,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            sparse=sparse,
            _weight=embeddings,
            _freeze=freeze,
        )

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        if self.sparse is not False:
            s += ", sparse=True"
        return s


class EmbeddingBag(Module):
    """Sums, means or maxes of bags of embedding rows (weight [num_embeddings, embedding_dim], N(0, 1)).

    forward(input, offsets=None, per_sample_weights=None) as F.embedding_bag: [B, L] input is B bags of
    L; 1-d input is split into bags at offsets.

    Args:
        num_embeddings: the number of rows.
        embedding_dim: the size of each row.
        max_norm: rows looked up with a larger norm are rescaled to it in place.
        norm_type: the p of the norm for max_norm.
        scale_grad_by_freq: divide weight gradients by index frequencies in the batch (sum and mean), as torch.
        mode: "sum", "mean" or "max".
        sparse: only False.
        include_last_offset: offsets has one more entry, the end of the last bag.
        padding_idx: a row that starts at zero and whose entries are left out of their bag.
        device: None or "cpu" (the only device of this build).
        dtype: the weight's dtype (float32 by default; ignored when _weight is given).
    """

    weight: Parameter

    def __init__(
        self,
        num_embeddings: int,
        embedding_dim: int,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        _weight: Tensor | None = None,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        check_device(device, "EmbeddingBag")
        if sparse:
            raise NotImplementedError(
                "[EmbeddingBag] sparse=True (sparse gradients) is not supported"
            )
        if padding_idx is not None:
            if not -num_embeddings <= padding_idx < num_embeddings:
                raise ValueError("[EmbeddingBag] padding_idx must be within num_embeddings")
            if padding_idx < 0:
                padding_idx += num_embeddings
        self.num_embeddings = num_embeddings
        self.embedding_dim = embedding_dim
        self.max_norm = max_norm
        self.norm_type = norm_type
        self.scale_grad_by_freq = scale_grad_by_freq
        self.mode = mode
        self.sparse = sparse
        self.include_last_offset = include_last_offset
        self.padding_idx = padding_idx
        if _weight is None:
            self.weight = Parameter(_empty((num_embeddings, embedding_dim), dtype))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (num_embeddings, embedding_dim):
                raise ValueError(
                    "[EmbeddingBag] Shape of weight does not match num_embeddings and embedding_dim"
                )
            self.weight = Parameter(_weight)

    def reset_parameters(self) -> None:
        """N(0, 1) weights, the padding_idx row zero."""
        init.normal_(self.weight)
        if self.padding_idx is not None:
            with no_grad():
                self.weight[self.padding_idx].fill_(0)

    def forward(
        self,
        input: Tensor,
        offsets: Tensor | None = None,
        per_sample_weights: Tensor | None = None,
    ) -> Tensor:
        return F.embedding_bag(
            input,
            self.weight,
            offsets,
            self.max_norm,
            self.norm_type,
            self.scale_grad_by_freq,
            self.mode,
            self.sparse,
            per_sample_weights,
            self.include_last_offset,
            self.padding_idx,
        )

    @classmethod
    def from_pretrained(
        cls,
        embeddings: Tensor,
        freeze: bool = True,
        max_norm: float | None = None,
        norm_type: float = 2.0,
        scale_grad_by_freq: bool = False,
        mode: str = "mean",
        sparse: bool = False,
        include_last_offset: bool = False,
        padding_idx: int | None = None,
    ) -> EmbeddingBag:
        """An EmbeddingBag whose weight is the given 2-D tensor (frozen by default)."""
        if embeddings.ndim != 2:
            raise ValueError(
                "[EmbeddingBag.from_pretrained] Embeddings parameter is expected to be 2-dimensional"
            )
        rows, cols = embeddings.shape
        bag = cls(
            rows,
            cols,
            max_norm=max_norm,
            norm_type=norm_type,
            scale_grad_by_freq=scale_grad_by_freq,
            mode=mode,
            sparse=sparse,
            _weight=embeddings,
            include_last_offset=include_last_offset,
            padding_idx=padding_idx,
        )
        bag.weight.requires_grad_(not freeze)
        return bag

    def extra_repr(self) -> str:
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.max_norm is not None:
            s += f", max_norm={self.max_norm}"
        if self.norm_type != 2:
            s += f", norm_type={self.norm_type}"
        if self.scale_grad_by_freq is not False:
            s += f", scale_grad_by_freq={self.scale_grad_by_freq}"
        s += f", mode={self.mode!r}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
