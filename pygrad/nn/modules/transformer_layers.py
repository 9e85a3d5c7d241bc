"""TransformerEncoderLayer and TransformerDecoderLayer: torch's layers over MultiheadAttention, LayerNorm,
Linear and Dropout, with its constructor arguments, submodule names (so state_dict keys match) and mask
conversions. The stacks and the full model are in transformer.py.

torch's fused inference path for the encoder layer gives the normal path's numbers (for bool or 0/-inf
masks), so only the normal path is written.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import zeros
from pygrad.nn import functional as F
from pygrad.nn.modules.activation import GELU, ReLU
from pygrad.nn.modules.attention import MultiheadAttention
from pygrad.nn.modules.dropout import Dropout
from pygrad.nn.modules.linear import Linear
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import LayerNorm

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = ["TransformerDecoderLayer", "TransformerEncoderLayer"]

_Activation = str | Callable[[Tensor], Tensor]


def _canonical_mask(
    mask: Tensor | None,
    mask_name: str,
    other: Tensor | None,
    other_name: str,
    target_type: _C.dtype,
    check_other: bool = True,
) -> Tensor | None:
    """A bool mask (True: left out) as a float mask of 0 and -inf; float masks pass through. Warns on
    a bool/float mix with `other`, as torch's F._canonical_mask."""
    if mask is None:
        return None
    is_float = mask.dtype.is_floating_point
    if mask.dtype != _C.bool and not is_float:
        raise AssertionError(f"only bool and floating types of {mask_name} are supported")
    if check_other and other is not None and mask.dtype != other.dtype:
        warnings.warn(
            f"Support for mismatched {mask_name} and {other_name} is deprecated. "
            "Use same type for both instead.",
            stacklevel=3,
        )
    if not is_float:
        return zeros(*mask.shape, dtype=target_type).masked_fill(mask, float("-inf"))
    return mask


def _get_activation_fn(activation: str) -> Callable[[Tensor], Tensor]:
    if activation == "relu":
        return F.relu
    if activation == "gelu":
        return F.gelu
    raise RuntimeError(f"activation should be relu/gelu, not {activation}")


class TransformerEncoderLayer(Module):
    """Self-attention and a feed-forward block, each with a residual connection and LayerNorm
    (after the residual by default, before each block with norm_first).

    Args:
        d_model: the model dimension E.
        nhead: the number of attention heads; must divide d_model.
        dim_feedforward: the hidden size of the feed-forward block.
        dropout: dropout probability (attention weights, after each block, inside the feed-forward).
        activation: "relu", "gelu" or a callable (e.g. F.gelu or a module) for the feed-forward.
        layer_norm_eps: the LayerNorms' eps.
        batch_first: input and output are [N, S, E] instead of [S, N, E].
        norm_first: LayerNorm before attention and feed-forward (pre-norm) instead of after.
        bias: biases on the Linear and LayerNorm layers and the attention projections.
        device: None or "cpu" (the only device of this build).
        dtype: the parameters' dtype (float32 by default).
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: _Activation = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        fk: dict[str, Any] = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, bias=bias, batch_first=batch_first, **fk
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        if isinstance(activation, str):
            activation = _get_activation_fn(activation)
        # torch's flag for its fused path (1 relu, 2 gelu, 0 other), kept for code that reads it.
        if activation is F.relu or isinstance(activation, ReLU):
            self.activation_relu_or_gelu = 1
        elif activation is F.gelu or isinstance(activation, GELU):
            self.activation_relu_or_gelu = 2
        else:
            self.activation_relu_or_gelu = 0
        self.activation = activation

    def forward(
        self,
        src: Tensor,
        src_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool = False,
    ) -> Tensor:
        """Runs the layer.

        Args:
            src: [S, N, E] ([N, S, E] with batch_first, [S, E] unbatched).
            src_mask: [S, S] or [N*nhead, S, S]; bool (True: left out) or float (added to the scores).
            src_key_padding_mask: [N, S] ([S] unbatched); bool (True: padding) or float.
            is_causal: a hint that src_mask is the causal mask (src_mask must then be given).
        Returns:
            a tensor shaped like src.
        """
        src_key_padding_mask = _canonical_mask(
            src_key_padding_mask, "src_key_padding_mask", src_mask, "src_mask", src.dtype
        )
        src_mask = _canonical_mask(src_mask, "src_mask", None, "", src.dtype, check_other=False)
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x

    def _sa_block(
        self,
        x: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool = False,
    ) -> Tensor:
        x = self.self_attn(
            x,
            x,
            x,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            need_weights=False,
            is_causal=is_causal,
        )[0]
        out: Tensor = self.dropout1(x)
        return out

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        out: Tensor = self.dropout2(x)
        return out


class TransformerDecoderLayer(Module):
    """Self-attention, attention over the encoder's output (memory) and a feed-forward block, each
    with a residual connection and LayerNorm (after the residual by default, before with norm_first).

    Args:
        d_model: the model dimension E.
        nhead: the number of attention heads; must divide d_model.
        dim_feedforward: the hidden size of the feed-forward block.
        dropout: dropout probability (attention weights, after each block, inside the feed-forward).
        activation: "relu", "gelu" or a callable for the feed-forward.
        layer_norm_eps: the LayerNorms' eps.
        batch_first: inputs and output are [N, T, E] instead of [T, N, E].
        norm_first: LayerNorm before each block (pre-norm) instead of after.
        bias: biases on the Linear and LayerNorm layers and the attention projections.
        device: None or "cpu" (the only device of this build).
        dtype: the parameters' dtype (float32 by default).
    """

    def __init__(
        self,
        d_model: int,
        nhead: int,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: _Activation = F.relu,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        fk: dict[str, Any] = {"device": device, "dtype": dtype}
        self.self_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias, **fk
        )
        self.multihead_attn = MultiheadAttention(
            d_model, nhead, dropout=dropout, batch_first=batch_first, bias=bias, **fk
        )
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **fk)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **fk)
        self.norm_first = norm_first
        self.norm1 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm2 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.norm3 = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
        self.dropout1 = Dropout(dropout)
        self.dropout2 = Dropout(dropout)
        self.dropout3 = Dropout(dropout)
        self.activation = (
            _get_activation_fn(activation) if isinstance(activation, str) else activation
        )

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool = False,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Runs the layer.

        Args:
            tgt: [T, N, E] ([N, T, E] with batch_first, [T, E] unbatched).
            memory: the encoder's output, [S, N, E] (same layout as tgt).
            tgt_mask: [T, T] or [N*nhead, T, T]; bool (True: left out) or float (added).
            memory_mask: [T, S] or [N*nhead, T, S]; bool or float.
            tgt_key_padding_mask: [N, T]; bool (True: padding) or float.
            memory_key_padding_mask: [N, S]; bool or float.
            tgt_is_causal: a hint that tgt_mask is the causal mask.
            memory_is_causal: a hint that memory_mask is the causal mask.
        Returns:
            a tensor shaped like tgt.
        """
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(
                self.norm2(x), memory, memory_mask, memory_key_padding_mask, memory_is_causal
            )
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(
                x
                + self._mha_block(x, memory, memory_mask, memory_key_padding_mask, memory_is_causal)
            )
            x = self.norm3(x + self._ff_block(x))
        return x

    def _attend(
        self,
        attn: MultiheadAttention,
        x: Tensor,
        mem: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool,
    ) -> Tensor:
        # MultiheadAttention.forward's mask canonicalisation in torch, with its mismatch warning.
        key_padding_mask = _canonical_mask(
            key_padding_mask, "key_padding_mask", attn_mask, "attn_mask", x.dtype
        )
        attn_mask = _canonical_mask(attn_mask, "attn_mask", None, "", x.dtype, check_other=False)
        out: Tensor = attn(
            x,
            mem,
            mem,
            attn_mask=attn_mask,
            key_padding_mask=key_padding_mask,
            is_causal=is_causal,
            need_weights=False,
        )[0]
        return out

    def _sa_block(
        self,
        x: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool = False,
    ) -> Tensor:
        out: Tensor = self.dropout1(
            self._attend(self.self_attn, x, x, attn_mask, key_padding_mask, is_causal)
        )
        return out

    def _mha_block(
        self,
        x: Tensor,
        mem: Tensor,
        attn_mask: Tensor | None,
        key_padding_mask: Tensor | None,
        is_causal: bool = False,
    ) -> Tensor:
        out: Tensor = self.dropout2(
            self._attend(self.multihead_attn, x, mem, attn_mask, key_padding_mask, is_causal)
        )
        return out

    def _ff_block(self, x: Tensor) -> Tensor:
        x = self.linear2(self.dropout(self.activation(self.linear1(x))))
        out: Tensor = self.dropout3(x)
        return out
