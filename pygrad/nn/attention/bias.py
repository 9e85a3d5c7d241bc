"""``nn.attention.bias``: causal attention biases for ``F.scaled_dot_product_attention``, as torch's:
``causal_upper_left`` (the ``is_causal=True`` mask) and ``causal_lower_right`` (the triangle aligned to the
last key), both ``CausalBias`` objects passed as ``attn_mask``.

torch's CausalBias is a Tensor subclass that intercepts the call; pygrad's is a plain object that
F.scaled_dot_product_attention recognises, and ``_materialize()`` gives its bool mask.
"""

from __future__ import annotations

import warnings
from enum import IntEnum, auto
from typing import Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import ones
from pygrad.nn._attention import scaled_dot_product_attention

__all__ = ["CausalBias", "CausalVariant", "causal_lower_right", "causal_upper_left"]


class CausalVariant(IntEnum):
    """UPPER_LEFT: tril(ones(L, S)); LOWER_RIGHT: tril(ones(L, S), diagonal=S - L)."""

    UPPER_LEFT = auto()
    LOWER_RIGHT = auto()


class CausalBias:
    """A causal mask of a query length and a key/value length, kept symbolic until used.

    Args:
        variant: CausalVariant.UPPER_LEFT or CausalVariant.LOWER_RIGHT.
        seq_len_q: the query length L.
        seq_len_kv: the key/value length S (LOWER_RIGHT with L > S warns: its first rows see no key).
    """

    def __init__(self, variant: CausalVariant, seq_len_q: int, seq_len_kv: int) -> None:
        if not isinstance(variant, CausalVariant):
            raise AssertionError(f"variant must be a CausalVariant, got {type(variant).__name__}")
        self.variant = variant
        self.seq_len_q = seq_len_q
        self.seq_len_kv = seq_len_kv
        if seq_len_q > seq_len_kv and variant == CausalVariant.LOWER_RIGHT:
            warnings.warn(
                "Lower right causal bias will produce NaNs in the output when seq_len_q > seq_len_kv!",
                stacklevel=2,
            )

    @property
    def shape(self) -> tuple[int, int]:
        """(seq_len_q, seq_len_kv), the shape of the materialised mask."""
        return (self.seq_len_q, self.seq_len_kv)

    def _materialize(self, device: Any = None) -> Tensor:
        """The [L, S] bool mask (True: the key takes part)."""
        offset = 0 if self.variant == CausalVariant.UPPER_LEFT else self.seq_len_kv - self.seq_len_q
        kwargs = {} if device is None else {"device": device}
        return ones(self.seq_len_q, self.seq_len_kv, dtype=_C.bool, **kwargs).tril(offset)

    @staticmethod
    def _dispatch(
        query: Tensor,
        key: Tensor,
        value: Tensor,
        attn_mask: CausalBias,
        dropout_p: float = 0.0,
        is_causal: bool = False,
        scale: float | None = None,
        enable_gqa: bool = False,
    ) -> Tensor:
        """scaled_dot_product_attention with this bias: is_causal for the upper-left triangle (or
        equal lengths), the materialised mask otherwise."""
        if is_causal:
            raise ValueError("CausalBias should not be used with causal=True")
        if (
            attn_mask.seq_len_q == attn_mask.seq_len_kv
            or attn_mask.variant == CausalVariant.UPPER_LEFT
        ):
            return scaled_dot_product_attention(
                query, key, value, None, dropout_p, True, scale, enable_gqa
            )
        mask = attn_mask._materialize(query.device)
        return scaled_dot_product_attention(
            query, key, value, mask, dropout_p, False, scale, enable_gqa
        )

    def __repr__(self) -> str:
        return repr(self._materialize())


def causal_upper_left(*size: int) -> CausalBias:
    """The upper-left causal bias of size (L, S): what is_causal=True gives."""
    if len(size) != 2:
        raise AssertionError("causal_upper_left only supports 2D tensors")
    seq_len_q, seq_len_kv = size
    return CausalBias(CausalVariant.UPPER_LEFT, seq_len_q, seq_len_kv)


def causal_lower_right(*size: int) -> CausalBias:
    """The lower-right causal bias of size (L, S): query i sees the keys up to i + S - L."""
    if len(size) != 2:
        raise AssertionError("causal_lower_right only supports 2D tensors")
    seq_len_q, seq_len_kv = size
    return CausalBias(CausalVariant.LOWER_RIGHT, seq_len_q, seq_len_kv)
