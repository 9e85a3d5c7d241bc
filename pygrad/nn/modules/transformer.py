"""Transformer, TransformerEncoder and TransformerDecoder: torch's stacks of deep-copied layers (see
transformer_layers.py) and its encoder-decoder model, with its arguments, state_dict keys, causal-mask
detection and initialisation.

torch's fused inference paths give the normal path's numbers, with one exception that changes results:
TransformerEncoder's nested-tensor path (eval mode, no autograd, a key padding mask) leaves zeros at the
padded positions before the final norm; it is mimicked (TransformerEncoder._nested_padding).
"""

from __future__ import annotations

import copy
import warnings
from typing import TYPE_CHECKING, Any

from pygrad import _C
from pygrad._C import Tensor
from pygrad._config import default_float
from pygrad._factories import arange, full
from pygrad.nn import functional as F
from pygrad.nn import init
from pygrad.nn.modules.container import ModuleList
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import LayerNorm
from pygrad.nn.modules.transformer_layers import (
    TransformerDecoderLayer,
    TransformerEncoderLayer,
    _Activation,
    _canonical_mask,
)

if TYPE_CHECKING:
    from pygrad._device import DeviceLike

__all__ = [
    "Transformer",
    "TransformerDecoder",
    "TransformerDecoderLayer",
    "TransformerEncoder",
    "TransformerEncoderLayer",
]


def _generate_square_subsequent_mask(
    sz: int, device: DeviceLike | None = None, dtype: _C.dtype | None = None
) -> Tensor:
    """[sz, sz] float mask: -inf above the diagonal (the future), 0 on and below it."""
    return full((sz, sz), float("-inf"), dtype=dtype or default_float[0], device=device).triu(1)


def _get_seq_len(src: Tensor, batch_first: bool) -> int:
    if src.ndim == 2:
        return int(src.shape[0])
    return int(src.shape[1 if batch_first else 0])


def _detect_is_causal_mask(mask: Tensor | None, is_causal: bool | None, size: int | None) -> bool:
    """is_causal when given; otherwise whether mask equals the square subsequent mask (as torch)."""
    make_causal = is_causal is True
    if is_causal is None and mask is not None:
        sz = size if size is not None else int(mask.shape[-2])
        causal = _generate_square_subsequent_mask(sz, dtype=mask.dtype)
        make_causal = tuple(mask.shape) == tuple(causal.shape) and bool((mask == causal).all())
    return make_causal


def _get_clones(module: Module, n: int) -> ModuleList:
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


def _why_not_nested(layer: Module) -> str:
    """torch's reasons for TransformerEncoder not to use its nested-tensor path ("" when it may)."""
    name = "encoder_layer"
    if not isinstance(layer, TransformerEncoderLayer):
        return f"{name} was not TransformerEncoderLayer"
    if layer.norm_first:
        return f"{name}.norm_first was True"
    if not layer.self_attn.batch_first:
        return (
            f"{name}.self_attn.batch_first was not True"
            "(use batch_first for better inference performance)"
        )
    if not layer.self_attn._qkv_same_embed_dim:
        return f"{name}.self_attn._qkv_same_embed_dim was not True"
    if layer.self_attn.in_proj_bias is None:
        return f"{name}.self_attn was passed bias=False"
    if not layer.activation_relu_or_gelu:
        return f"{name}.activation_relu_or_gelu was not True"
    if layer.norm1.eps != layer.norm2.eps:
        return f"{name}.norm1.eps was not equal to {name}.norm2.eps"
    if layer.self_attn.num_heads % 2 == 1:
        return f"{name}.self_attn.num_heads is odd"
    return ""


class TransformerEncoder(Module):
    """A stack of num_layers deep copies of encoder_layer, then an optional norm.

    Args:
        encoder_layer: the layer to copy (a TransformerEncoderLayer, or any module with its forward).
        num_layers: the number of copies.
        norm: a module applied to the last layer's output (e.g. LayerNorm), or None.
        enable_nested_tensor: allow torch's nested-tensor path; here it only decides, with the layer's
            options, whether eval-mode output under no_grad has zeros at the padded positions (as torch).
        mask_check: take that path only for masks whose padding is at the end of each sequence.
    """

    def __init__(
        self,
        encoder_layer: TransformerEncoderLayer,
        num_layers: int,
        norm: Module | None = None,
        enable_nested_tensor: bool = True,
        mask_check: bool = True,
    ) -> None:
        super().__init__()
        self.layers = _get_clones(encoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.use_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check
        why_not = _why_not_nested(encoder_layer)
        if enable_nested_tensor and why_not:
            warnings.warn(
                "enable_nested_tensor is True, but self.use_nested_tensor is False because "
                f"{why_not}",
                stacklevel=2,
            )
            self.use_nested_tensor = False

    def _nested_padding(
        self, src: Tensor, mask: Tensor | None, kpm: Tensor | None
    ) -> Tensor | None:
        """The [N, S] positions torch's nested-tensor path drops and leaves at zero, or None when it
        would not take that path (training, autograd recording, a src mask, misaligned padding...)."""
        first = self.layers[0]
        if not self.use_nested_tensor or first.training or src.ndim != 3:
            return None
        if kpm is None or mask is not None:
            return None
        if _C.is_grad_enabled() and (
            src.requires_grad or any(p.requires_grad for p in first.parameters())
        ):
            return None
        kept = kpm == 0  # torch takes logical_not of the float mask: any nonzero value is padding
        if self.mask_check and bool(kept[:, 1:].logical_and(kept[:, :-1].logical_not()).any()):
            return None
        # The nested tensor holds the first kept.sum() tokens of each sequence.
        return arange(kept.shape[1]).unsqueeze(0) >= kept.sum(-1, keepdim=True)

    def forward(
        self,
        src: Tensor,
        mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        is_causal: bool | None = None,
    ) -> Tensor:
        """Runs the layers in turn.

        Args:
            src: [S, N, E] ([N, S, E] with batch_first, [S, E] unbatched).
            mask: [S, S] or [N*nhead, S, S]; bool (True: left out) or float (added to the scores).
            src_key_padding_mask: [N, S] ([S] unbatched); bool (True: padding) or float.
            is_causal: a hint that mask is the causal mask; None: detected by comparing mask with
                Transformer.generate_square_subsequent_mask.
        Returns:
            a tensor shaped like src.
        """
        kpm = _canonical_mask(src_key_padding_mask, "src_key_padding_mask", mask, "mask", src.dtype)
        mask = _canonical_mask(mask, "mask", None, "", src.dtype, check_other=False)
        padded = self._nested_padding(src, mask, kpm)
        if padded is not None:
            kpm = _canonical_mask(padded, "src_key_padding_mask", None, "", src.dtype)
        seq_len = _get_seq_len(src, self.layers[0].self_attn.batch_first)
        causal = _detect_is_causal_mask(mask, is_causal, seq_len)
        output = src
        for mod in self.layers:
            output = mod(output, src_mask=mask, is_causal=causal, src_key_padding_mask=kpm)
        if padded is not None:
            output = output.masked_fill(padded.unsqueeze(-1), 0.0)
        if self.norm is not None:
            output = self.norm(output)
        return output


class TransformerDecoder(Module):
    """A stack of num_layers deep copies of decoder_layer, then an optional norm.

    Args:
        decoder_layer: the layer to copy (a TransformerDecoderLayer, or any module with its forward).
        num_layers: the number of copies.
        norm: a module applied to the last layer's output (e.g. LayerNorm), or None.
    """

    def __init__(
        self, decoder_layer: TransformerDecoderLayer, num_layers: int, norm: Module | None = None
    ) -> None:
        super().__init__()
        self.layers = _get_clones(decoder_layer, num_layers)
        self.num_layers = num_layers
        self.norm = norm

    def forward(
        self,
        tgt: Tensor,
        memory: Tensor,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Runs the layers in turn, each attending over memory.

        Args:
            tgt: [T, N, E] ([N, T, E] with batch_first, [T, E] unbatched).
            memory: [S, N, E] (same layout as tgt).
            tgt_mask, memory_mask, tgt_key_padding_mask, memory_key_padding_mask: as
                TransformerDecoderLayer.forward.
            tgt_is_causal: a hint that tgt_mask is causal; None: detected from tgt_mask.
            memory_is_causal: a hint that memory_mask is causal.
        Returns:
            a tensor shaped like tgt.
        """
        seq_len = _get_seq_len(tgt, self.layers[0].self_attn.batch_first)
        causal = _detect_is_causal_mask(tgt_mask, tgt_is_causal, seq_len)
        output = tgt
        for mod in self.layers:
            output = mod(
                output,
                memory,
                tgt_mask=tgt_mask,
                memory_mask=memory_mask,
                tgt_key_padding_mask=tgt_key_padding_mask,
                memory_key_padding_mask=memory_key_padding_mask,
                tgt_is_causal=causal,
                memory_is_causal=memory_is_causal,
            )
        if self.norm is not None:
            output = self.norm(output)
        return output


class Transformer(Module):
    """An encoder-decoder transformer ("Attention Is All You Need"): a TransformerEncoder and a
    TransformerDecoder, each ending in a LayerNorm; every parameter with more than one dim is
    re-initialised with xavier_uniform_.

    Args:
        d_model: the model dimension E.
        nhead: the number of attention heads; must divide d_model.
        num_encoder_layers: the encoder's depth.
        num_decoder_layers: the decoder's depth.
        dim_feedforward: the hidden size of the feed-forward blocks.
        dropout: dropout probability.
        activation: "relu", "gelu" or a callable for the feed-forward blocks.
        custom_encoder: a module used instead of the built encoder.
        custom_decoder: a module used instead of the built decoder.
        layer_norm_eps: the LayerNorms' eps.
        batch_first: inputs and output are [N, L, E] instead of [L, N, E].
        norm_first: pre-norm layers.
        bias: biases on the Linear and LayerNorm layers and the attention projections.
        device: None or "cpu" (the only device of this build).
        dtype: the parameters' dtype (float32 by default).
    """

    def __init__(
        self,
        d_model: int = 512,
        nhead: int = 8,
        num_encoder_layers: int = 6,
        num_decoder_layers: int = 6,
        dim_feedforward: int = 2048,
        dropout: float = 0.1,
        activation: _Activation = F.relu,
        custom_encoder: Any | None = None,
        custom_decoder: Any | None = None,
        layer_norm_eps: float = 1e-5,
        batch_first: bool = False,
        norm_first: bool = False,
        bias: bool = True,
        device: DeviceLike | None = None,
        dtype: _C.dtype | None = None,
    ) -> None:
        super().__init__()
        fk: dict[str, Any] = {"device": device, "dtype": dtype}
        layer_args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps)
        layer_opts = (batch_first, norm_first, bias)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            enc_layer = TransformerEncoderLayer(*layer_args, *layer_opts, **fk)
            enc_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
            self.encoder = TransformerEncoder(enc_layer, num_encoder_layers, enc_norm)
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            dec_layer = TransformerDecoderLayer(*layer_args, *layer_opts, **fk)
            dec_norm = LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **fk)
            self.decoder = TransformerDecoder(dec_layer, num_decoder_layers, dec_norm)
        self._reset_parameters()
        self.d_model = d_model
        self.nhead = nhead
        self.batch_first = batch_first

    def forward(
        self,
        src: Tensor,
        tgt: Tensor,
        src_mask: Tensor | None = None,
        tgt_mask: Tensor | None = None,
        memory_mask: Tensor | None = None,
        src_key_padding_mask: Tensor | None = None,
        tgt_key_padding_mask: Tensor | None = None,
        memory_key_padding_mask: Tensor | None = None,
        src_is_causal: bool | None = None,
        tgt_is_causal: bool | None = None,
        memory_is_causal: bool = False,
    ) -> Tensor:
        """Encodes src and decodes tgt over the encoding.

        Args:
            src: [S, N, E] ([N, S, E] with batch_first, [S, E] unbatched).
            tgt: [T, N, E] (same layout).
            src_mask: [S, S] or [N*nhead, S, S], for the encoder's self-attention.
            tgt_mask: [T, T] or [N*nhead, T, T], for the decoder's self-attention.
            memory_mask: [T, S] or [N*nhead, T, S], for the decoder's attention over the encoding.
            src_key_padding_mask: [N, S]; tgt_key_padding_mask: [N, T]; memory_key_padding_mask: [N, S].
            src_is_causal, tgt_is_causal, memory_is_causal: causal-mask hints (None: detected).
        Returns:
            [T, N, E] ([N, T, E] with batch_first).
        """
        is_batched = src.ndim == 3
        if (
            is_batched
            and src.shape[0 if self.batch_first else 1] != tgt.shape[0 if self.batch_first else 1]
        ):
            raise RuntimeError("the batch number of src and tgt must be equal")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise RuntimeError("the feature number of src and tgt must be equal to d_model")
        memory = self.encoder(
            src, mask=src_mask, src_key_padding_mask=src_key_padding_mask, is_causal=src_is_causal
        )
        output: Tensor = self.decoder(
            tgt,
            memory,
            tgt_mask=tgt_mask,
            memory_mask=memory_mask,
            tgt_key_padding_mask=tgt_key_padding_mask,
            memory_key_padding_mask=memory_key_padding_mask,
            tgt_is_causal=tgt_is_causal,
            memory_is_causal=memory_is_causal,
        )
        return output

    @staticmethod
    def generate_square_subsequent_mask(
        sz: int, device: DeviceLike | None = None, dtype: _C.dtype | None = None
    ) -> Tensor:
        """The causal mask for a sequence of length sz.

        Args:
            sz: the sequence length.
            device: None or "cpu".
            dtype: the mask's dtype (float32 when None).
        Returns:
            [sz, sz]: -inf above the diagonal, 0 on and below it.
        """
        return _generate_square_subsequent_mask(sz, device=device, dtype=dtype)

    def _reset_parameters(self) -> None:
        """xavier_uniform_ on every parameter with more than one dim, as torch."""
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)
