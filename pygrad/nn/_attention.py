"""Attention in nn.functional: scaled_dot_product_attention and multi_head_attention_forward, with torch's
signatures, mask conventions and gradients.

scaled_dot_product_attention runs one fused C++ op (flash attention's tiling: an online softmax over key
blocks, dropout masks drawn per tile, the backward recomputing the tiles and masks), so memory grows
linearly with the sequence; with a mask that requires grad it falls back to the composite of matmul,
softmax, masked_fill and dropout, which materialises the [..., L, S] scores. Results and gradients are those of torch's math backend.
"""

from __future__ import annotations

import math

from pygrad import _C
from pygrad._autocast import autocast_lower_precision
from pygrad._C import Tensor
from pygrad._factories import ones, zeros
from pygrad._linalg_ops import _broadcast_shapes
from pygrad.nn._layout import pad

__all__ = ["multi_head_attention_forward", "scaled_dot_product_attention"]


def _dropout(x: Tensor, p: float) -> Tensor:
    """Inverted dropout (F.dropout in training mode) from the seeded core generator."""
    mask = _C._bernoulli_mask(list(x.shape), 1.0 - p, x.dtype)
    return x * mask._to_dtype(x.dtype) * (1.0 / (1.0 - p)) if p < 1.0 else x * mask


def _safe_softmax(scores: Tensor) -> Tensor:
    """softmax over the last dim, rows that are all -inf giving zeros (torch's _safe_softmax), with
    finite gradients: those rows are zeroed before the softmax and after it."""
    dead = (scores == float("-inf")).all(-1, keepdim=True)
    return _C.softmax(scores.masked_fill(dead, 0.0), -1).masked_fill(dead, 0.0)


@autocast_lower_precision
def scaled_dot_product_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    attn_mask: Tensor | None = None,
    dropout_p: float = 0.0,
    is_causal: bool = False,
    scale: float | None = None,
    enable_gqa: bool = False,
) -> Tensor:
    """softmax(query @ key^T * scale + mask) @ value over any leading batch dims.

    A plain composite: the [..., L, S] score matrix is materialised (a fused kernel is later work).
    Rows that every key is masked out of give zeros, as torch's math backend.

    Args:
        query: [..., L, E] (with enable_gqa, [..., Hq, L, E]).
        key: [..., S, E] (with enable_gqa, [..., Hkv, S, E], Hq divisible by Hkv).
        value: [..., S, Ev].
        attn_mask: broadcastable to [..., L, S]; bool (True: the key takes part) or float (added).
        dropout_p: the probability of dropping an attention weight (always applied when > 0, as torch).
        is_causal: mask out the keys after each query (the top-left causal mask); no attn_mask then.
        scale: the score factor, 1/sqrt(E) when None.
        enable_gqa: repeat each key/value head Hq/Hkv times along dim -3 (grouped-query attention).
    Returns:
        [..., L, Ev].
    """
    op = "scaled_dot_product_attention"
    for name, t in (("query", query), ("key", key), ("value", value)):
        if not t.dtype.is_floating_point:
            raise TypeError(f"[{op}] expected a floating-point {name}, got {t.dtype}")
        if t.ndim < 2:
            raise RuntimeError(f"[{op}] expected {name} to have at least 2 dims, got {t.ndim}")
    if not (query.dtype == key.dtype == value.dtype):
        raise RuntimeError(
            f"[{op}] expected query, key and value to have the same dtype, but got "
            f"{query.dtype}, {key.dtype} and {value.dtype}"
        )
    if query.shape[-1] != key.shape[-1]:
        raise RuntimeError(
            f"[{op}] query and key must have the same embedding size, got {query.shape[-1]} and {key.shape[-1]}"
        )
    if key.shape[-2] != value.shape[-2]:
        raise RuntimeError(
            f"[{op}] key and value must have the same sequence length, got {key.shape[-2]} and {value.shape[-2]}"
        )
    if not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"[{op}] dropout_p must be in [0, 1], got {dropout_p}")
    if is_causal and attn_mask is not None:
        raise RuntimeError(f"[{op}] Explicit attn_mask should not be set when is_causal=True")
    if enable_gqa and query.ndim >= 3 and key.ndim >= 3:
        hq, hk, hv = query.shape[-3], key.shape[-3], value.shape[-3]
        if hk == 0 or hv == 0 or hq % hk != 0 or hq % hv != 0:
            raise RuntimeError(
                f"[{op}] with enable_gqa the number of query heads ({hq}) must be divisible by the "
                f"number of key ({hk}) and value ({hv}) heads"
            )
        if hk != hq:
            key = key.repeat_interleave(hq // hk, -3)
        if hv != hq:
            value = value.repeat_interleave(hq // hv, -3)
    length, src = query.shape[-2], key.shape[-2]
    if (
        scale is None
    ):  # empty embeddings give all-zero scores: any finite factor (torch: uniform weights)
        factor = 1.0 / math.sqrt(query.shape[-1]) if query.shape[-1] > 0 else 1.0
    else:
        factor = scale
    if attn_mask is None or (not attn_mask.requires_grad and attn_mask.ndim <= query.ndim):
        return _fused_attention(query, key, value, attn_mask, factor, is_causal, dropout_p)
    scores = _C.matmul(query, key.transpose(-2, -1)) * factor
    if is_causal:
        keep = ones(length, src, dtype=_C.bool).tril(0)
        scores = scores.masked_fill(keep.logical_not(), float("-inf"))
    if attn_mask is not None:
        if attn_mask.dtype == _C.bool:
            scores = scores.masked_fill(attn_mask.logical_not(), float("-inf"))
        else:
            scores = scores + attn_mask
    weights = _safe_softmax(scores)
    if dropout_p > 0.0:
        weights = _dropout(weights, dropout_p)
    return _C.matmul(weights, value)


def _fused_attention(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    mask: Tensor | None,
    scale: float,
    causal: bool,
    dropout_p: float,
) -> Tensor:
    """The fused op on q, k, v broadcast to common leading dims (views); a bool mask becomes 0 / -inf."""
    lead = _broadcast_shapes(query.shape[:-2], key.shape[:-2], value.shape[:-2])
    if mask is not None:
        lead = _broadcast_shapes(lead, mask.shape[:-2])
    q, k, v = (
        t if list(t.shape[:-2]) == lead else t.expand(*lead, *t.shape[-2:])
        for t in (query, key, value)
    )
    if mask is not None and mask.dtype == _C.bool:
        mask = zeros(*mask.shape, dtype=query.dtype).masked_fill(mask.logical_not(), float("-inf"))
    return _C._flash_attention(q, k, v, mask, scale, causal, dropout_p)


def _canonical_mask(mask: Tensor | None, name: str, dtype: _C.dtype) -> Tensor | None:
    """A bool mask (True: masked out, MultiheadAttention's convention) as a float mask of 0 and -inf."""
    if mask is None:
        return None
    if mask.dtype == _C.bool:
        return zeros(*mask.shape, dtype=dtype).masked_fill(mask, float("-inf"))
    if not mask.dtype.is_floating_point:
        raise AssertionError(
            f"[multi_head_attention_forward] only bool and floating types of {name} are supported"
        )
    return mask


def _heads(x: Tensor, static: Tensor | None, name: str, rows: int, head_dim: int) -> Tensor:
    """Projected [S, N, E] keys/values split into [N*H, S, head_dim], or the given static ones."""
    if static is None:
        return x.reshape(x.shape[0], rows, head_dim).transpose(0, 1)
    # torch checks dims 0 and 2 only; a mismatched S surfaces in the matmuls / mask addition
    if static.shape[0] != rows:
        raise AssertionError(
            f"[multi_head_attention_forward] expecting {name}.size(0) of {rows}, but got {static.shape[0]}"
        )
    if static.shape[2] != head_dim:
        raise AssertionError(
            f"[multi_head_attention_forward] expecting {name}.size(2) of {head_dim}, but got {static.shape[2]}"
        )
    return static


def multi_head_attention_forward(
    query: Tensor,
    key: Tensor,
    value: Tensor,
    embed_dim_to_check: int,
    num_heads: int,
    in_proj_weight: Tensor | None,
    in_proj_bias: Tensor | None,
    bias_k: Tensor | None,
    bias_v: Tensor | None,
    add_zero_attn: bool,
    dropout_p: float,
    out_proj_weight: Tensor,
    out_proj_bias: Tensor | None,
    training: bool = True,
    key_padding_mask: Tensor | None = None,
    need_weights: bool = True,
    attn_mask: Tensor | None = None,
    use_separate_proj_weight: bool = False,
    q_proj_weight: Tensor | None = None,
    k_proj_weight: Tensor | None = None,
    v_proj_weight: Tensor | None = None,
    static_k: Tensor | None = None,
    static_v: Tensor | None = None,
    average_attn_weights: bool = True,
    is_causal: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """torch's multi-head attention over sequence-first input: query [L, N, E] (or unbatched [L, E]),
    key [S, N, kdim], value [S, N, vdim]; masks with True (or -inf) marking what is left out.

    attn_mask is [L, S] or [N*num_heads, L, S]; key_padding_mask is [N, S] (or [S] unbatched).
    is_causal is only a hint, as torch: attn_mask must then hold the causal mask. static_k/static_v
    ([N*num_heads, S', head_dim]) replace the projected, head-split keys/values (key_padding_mask is
    then [N, S'], and bias_k/bias_v may not be given), as torch. A query whose keys are all masked gives NaN with need_weights (plain softmax)
    and zeros without (the scaled-dot-product path's safe softmax), as torch. Returns (output
    [L, N, E], weights [N, L, S] averaged over the heads, or [N, num_heads, L, S], or None without
    need_weights); unbatched input drops the N dim.
    """
    op = "multi_head_attention_forward"
    batched = query.ndim == 3
    if query.ndim not in (2, 3) or key.ndim != query.ndim or value.ndim != query.ndim:
        raise AssertionError(
            f"[{op}] query, key and value should all be 2-d (unbatched) or 3-d (batched), got "
            f"{query.ndim}-d, {key.ndim}-d and {value.ndim}-d"
        )
    if not batched:
        query, key, value = query.unsqueeze(1), key.unsqueeze(1), value.unsqueeze(1)
        if key_padding_mask is not None:
            key_padding_mask = key_padding_mask.unsqueeze(0)
    tgt_len, bsz, embed_dim = query.shape
    src_len = key.shape[0]
    if embed_dim != embed_dim_to_check:
        raise AssertionError(
            f"[{op}] was expecting embedding dimension of {embed_dim_to_check}, but got {embed_dim}"
        )
    head_dim = embed_dim // num_heads
    if head_dim * num_heads != embed_dim:
        raise AssertionError(f"[{op}] embed_dim {embed_dim} not divisible by num_heads {num_heads}")
    if key.shape[:2] != value.shape[:2] or key.shape[1] != bsz:
        raise AssertionError(
            f"[{op}] key shape {tuple(key.shape)} does not match value shape {tuple(value.shape)}"
        )
    if key_padding_mask is not None and key_padding_mask.ndim != 2:
        raise AssertionError(
            f"[{op}] expected key_padding_mask to be None or {2 if batched else 1}-D, "
            f"got {key_padding_mask.ndim - (not batched)}-D"
        )
    if is_causal and attn_mask is None:
        raise RuntimeError(
            f"[{op}] Need attn_mask if specifying the is_causal hint. You may use the Transformer module "
            "method `generate_square_subsequent_mask` to create this mask."
        )
    kpm = _canonical_mask(key_padding_mask, "key_padding_mask", query.dtype)
    mask = _canonical_mask(attn_mask, "attn_mask", query.dtype)

    # input projections
    if use_separate_proj_weight:
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise AssertionError(
                f"[{op}] use_separate_proj_weight is True but q/k/v_proj_weight is None"
            )
        w_q, w_k, w_v = q_proj_weight, k_proj_weight, v_proj_weight
    else:
        if in_proj_weight is None:
            raise AssertionError(
                f"[{op}] use_separate_proj_weight is False but in_proj_weight is None"
            )
        w_q, w_k, w_v = in_proj_weight.chunk(3)
    b_q = b_k = b_v = None
    if in_proj_bias is not None:
        b_q, b_k, b_v = in_proj_bias.chunk(3)
    q = _C.linear(query, w_q, b_q)
    k = _C.linear(key, w_k, b_k)
    v = _C.linear(value, w_v, b_v)

    if mask is not None:
        if mask.ndim == 2:
            if tuple(mask.shape) != (tgt_len, src_len):
                raise RuntimeError(
                    f"[{op}] The shape of the 2D attn_mask is {tuple(mask.shape)}, but should be {(tgt_len, src_len)}."
                )
            mask = mask.unsqueeze(0)
        elif mask.ndim == 3:
            if tuple(mask.shape) != (bsz * num_heads, tgt_len, src_len):
                raise RuntimeError(
                    f"[{op}] The shape of the 3D attn_mask is {tuple(mask.shape)}, but should be "
                    f"{(bsz * num_heads, tgt_len, src_len)}."
                )
        else:
            raise RuntimeError(f"[{op}] attn_mask's dimension {mask.ndim} is not supported")

    if bias_k is not None and bias_v is not None:
        if static_k is not None:
            raise AssertionError(f"[{op}] bias cannot be added to static key.")
        if static_v is not None:
            raise AssertionError(f"[{op}] bias cannot be added to static value.")
        k = _C.cat([k, bias_k.expand(1, bsz, embed_dim)], 0)
        v = _C.cat([v, bias_v.expand(1, bsz, embed_dim)], 0)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    elif bias_k is not None or bias_v is not None:
        raise AssertionError(f"[{op}] bias_k and bias_v must both be given or both be None")

    q = q.reshape(tgt_len, bsz * num_heads, head_dim).transpose(0, 1)
    k = _heads(k, static_k, "static_k", bsz * num_heads, head_dim)
    v = _heads(v, static_v, "static_v", bsz * num_heads, head_dim)
    if add_zero_attn:
        k = _C.cat([k, zeros(bsz * num_heads, 1, head_dim, dtype=k.dtype)], 1)
        v = _C.cat([v, zeros(bsz * num_heads, 1, head_dim, dtype=v.dtype)], 1)
        mask = None if mask is None else pad(mask, (0, 1))
        kpm = None if kpm is None else pad(kpm, (0, 1))
    src_len = k.shape[1]
    if kpm is not None:
        for dim, want in ((0, bsz), (1, src_len)):
            if kpm.shape[dim] != want:
                raise AssertionError(
                    f"[{op}] Expected key_padded_mask.shape[{dim}] to be {want}, but got {kpm.shape[dim]}"
                )
        kpm = kpm.reshape(bsz, 1, 1, src_len).expand(bsz, num_heads, 1, src_len)
        kpm = kpm.reshape(bsz * num_heads, 1, src_len)
        mask = kpm if mask is None else mask + kpm
    if not training:
        dropout_p = 0.0

    weights: Tensor | None = None
    if not need_weights:
        # torch's scaled-dot-product path (here the fused op): fully masked rows give zeros, not NaN
        out = scaled_dot_product_attention(
            q, k, v, mask, dropout_p, scale=math.sqrt(1.0 / head_dim)
        )
    else:
        scores = _C.matmul(q * math.sqrt(1.0 / head_dim), k.transpose(-2, -1))
        if mask is not None:
            scores = scores + mask
        weights = _C.softmax(scores, -1)
        if dropout_p > 0.0:  # the weights returned are the dropped ones, as torch's
            weights = _dropout(weights, dropout_p)
        out = _C.matmul(weights, v)  # [N*H, L, hd]
    out = out.transpose(0, 1).reshape(tgt_len * bsz, embed_dim)
    out = _C.linear(out, out_proj_weight, out_proj_bias).reshape(tgt_len, bsz, embed_dim)
    if not batched:
        out = out.squeeze(1)
    if weights is None:
        return out, None
    w = weights.reshape(bsz, num_heads, tgt_len, src_len)
    if average_attn_weights:
        w = w.mean(1)
    if not batched:
        w = w.squeeze(0)
    return out, w
