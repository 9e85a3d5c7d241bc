"""The lookup and bilinear functions of nn.functional: embedding (max_norm, scale_grad_by_freq),
embedding_bag and bilinear, as composites of core ops with torch's signatures, defaults and gradients.

max_norm renormalises the looked-up rows of weight in place under no_grad before the lookup, as torch
(scale max_norm / (norm + 1e-7) on the rows whose norm exceeds max_norm). scale_grad_by_freq divides the
gradient reaching each looked-up row by how often its index occurs in the batch, through a small
autograd.Function that is the identity forward. embedding_bag looks the rows up once, then reduces them
per bag with index_add (sum, mean) or scatter_reduce amax (max); padding_idx entries leave their bag.
embedding_bag's scale_grad_by_freq reproduces torch's CPU kernel, which divides the gradient of the i-th
smallest distinct index by the count of sorted(input)[i] (not always that index's own count).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.autograd.function import Function, FunctionCtx

__all__ = ["bilinear", "embedding", "embedding_bag"]


def _indices(t: Tensor) -> np.ndarray:
    return np.asarray(t.detach().numpy()).astype(np.int64).reshape(-1)


def _long(values: np.ndarray) -> Tensor:
    return _C.from_numpy(np.ascontiguousarray(values, dtype=np.int64))


class _ScaleGrad(Function):
    """Identity forward; the gradient is multiplied by scale (broadcast) on the way back."""

    @staticmethod
    def forward(ctx: FunctionCtx, x: Tensor, scale: Tensor) -> Tensor:
        ctx.scale = scale  # type: ignore[attr-defined]
        return x.clone()

    @staticmethod
    def backward(ctx: FunctionCtx, grad: Tensor) -> tuple[Tensor, None]:
        return grad * ctx.scale, None  # type: ignore[attr-defined]


def _inverse_counts(flat: np.ndarray, dtype: _C.dtype) -> Tensor:
    """[n, 1]: 1 / (how often flat[i] occurs in flat)."""
    _, inverse, counts = np.unique(flat, return_inverse=True, return_counts=True)
    return _C.from_numpy((1.0 / counts[inverse.reshape(-1)]).reshape(-1, 1)).to(dtype)


def _bag_freq_scale(flat: np.ndarray, positions: np.ndarray, dtype: _C.dtype) -> Tensor:
    """[len(positions), 1]: torch CPU embedding_bag's 1 / count for the looked-up entries.

    torch's _embedding_bag_dense_backward_cpu_sum_mean reads counts[sorted[i]] for the i-th distinct
    index (sorted over all of input, padding included), so its divisor is reproduced as is.
    """
    uniq, counts = np.unique(flat, return_counts=True)
    count_of = dict(zip(uniq.tolist(), counts.tolist(), strict=True))
    ordered = np.sort(flat)
    divisor = {int(u): count_of[int(ordered[i])] for i, u in enumerate(uniq)}
    scale = np.array([1.0 / divisor[int(v)] for v in flat[positions]], dtype=np.float64)
    return _C.from_numpy(scale.reshape(-1, 1)).to(dtype)


def _renorm_(weight: Tensor, flat: np.ndarray, max_norm: float, norm_type: float) -> None:
    """Scales the rows of weight picked by flat whose norm_type-norm exceeds max_norm back to max_norm."""
    if flat.size == 0:
        return
    with no_grad():
        idx = _long(np.unique(flat))
        rows = weight.index_select(0, idx)
        norms = rows.norm(p=norm_type, dim=1, keepdim=True)
        scale = (max_norm / (norms + 1e-7)).where(norms > max_norm, norms.new_ones(()))
        weight.index_copy_(0, idx, rows * scale)


def _padding(padding_idx: int | None, weight: Tensor, op: str) -> int | None:
    if padding_idx is None:
        return None
    n = weight.shape[0]
    if not -n <= padding_idx < n:
        raise ValueError(f"[{op}] padding_idx must be within num_embeddings")
    return padding_idx + n if padding_idx < 0 else padding_idx


def embedding(
    input: Tensor,
    weight: Tensor,
    padding_idx: int | None = None,
    max_norm: float | None = None,
    norm_type: float = 2.0,
    scale_grad_by_freq: bool = False,
    sparse: bool = False,
) -> Tensor:
    """Rows of weight picked by the int64 indices in input; the padding_idx row gets no gradient.

    Args:
        input: integer indices of any shape.
        weight: the [num_embeddings, embedding_dim] table.
        padding_idx: a row that receives no gradient (negative counts from the end).
        max_norm: rows looked up whose norm exceeds it are rescaled in place (under no_grad) first.
        norm_type: the p of the norm for max_norm.
        scale_grad_by_freq: divide each row's gradient by its index's count in input.
        sparse: only False (sparse gradients are not supported).
    Returns:
        input.shape + [embedding_dim].
    """
    if sparse:
        raise NotImplementedError("[embedding] sparse=True (sparse gradients) is not supported")
    padding_idx = _padding(padding_idx, weight, "embedding")
    if max_norm is not None:
        _renorm_(weight, _indices(input), max_norm, norm_type)
    out = _C.embedding(input, weight, padding_idx)
    if scale_grad_by_freq and out.requires_grad:
        scale = _inverse_counts(_indices(input), out.dtype).reshape([*input.shape, 1])
        out = _ScaleGrad.apply(out, scale)
    return out


def embedding_bag(
    input: Tensor,
    weight: Tensor,
    offsets: Tensor | None = None,
    max_norm: float | None = None,
    norm_type: float = 2,
    scale_grad_by_freq: bool = False,
    mode: str = "mean",
    sparse: bool = False,
    per_sample_weights: Tensor | None = None,
    include_last_offset: bool = False,
    padding_idx: int | None = None,
) -> Tensor:
    """Sums, means or maxes of bags of embedding rows, without materialising the per-index lookups per bag.

    Args:
        input: [B, L] indices (B bags of L), or 1-d indices split into bags by offsets.
        weight: the [num_embeddings, embedding_dim] table.
        offsets: with 1-d input, the start of each bag (offsets[0] must be 0).
        max_norm, norm_type: as in embedding.
        scale_grad_by_freq: scale each row's gradient down by its index's frequency in input, as
            torch's CPU kernel computes it (not with mode "max").
        mode: "sum", "mean" or "max"; empty bags give zeros.
        sparse: only False.
        per_sample_weights: weights shaped like input, multiplying each row (mode "sum" only).
        include_last_offset: offsets has one more entry, the end of the last bag.
        padding_idx: entries equal to it are left out of their bag (and of the mean's count).
    Returns:
        [number of bags, embedding_dim].
    """
    if per_sample_weights is not None and tuple(input.shape) != tuple(per_sample_weights.shape):
        raise ValueError(
            f"[embedding_bag] If per_sample_weights ({tuple(per_sample_weights.shape)}) is not None, "
            f"then it must have the same shape as the input ({tuple(input.shape)})"
        )
    if weight.ndim != 2:
        raise ValueError(
            f"[embedding_bag] weight has to be a 2D Tensor, but got Tensor of dimension {weight.ndim}"
        )
    if input.ndim == 2:
        if offsets is not None:
            raise ValueError(
                "[embedding_bag] if input is 2D, then offsets has to be None, as input is treated is a "
                f"mini-batch of fixed length sequences. However, found offsets of type {type(offsets).__name__}"
            )
        bounds = np.arange(input.shape[0] + 1, dtype=np.int64) * input.shape[1]
    elif input.ndim == 1:
        if offsets is None:
            raise ValueError("[embedding_bag] offsets has to be a 1D Tensor but got None")
        if offsets.ndim != 1:
            raise ValueError("[embedding_bag] offsets has to be a 1D Tensor")
        o = _indices(offsets)
        if o.size and o[0] != 0:
            raise RuntimeError(
                "[embedding_bag] offsets[0] has to be 0, i.e., the first sequence in the mini-batch has to "
                f"start from position 0. However, got {o[0]}"
            )
        # With include_last_offset torch (CPU) still runs the last bag to the end of input.
        bounds = np.append(o[:-1] if include_last_offset else o, input.numel())
        if include_last_offset and o.size <= 1:
            bounds = np.zeros(1, dtype=np.int64)
        if np.any(np.diff(bounds) < 0) or (bounds.size and bounds[-1] > input.numel()):
            raise RuntimeError(
                "[embedding_bag] offsets must be non-decreasing and within the input"
            )
    else:
        raise ValueError(
            f"[embedding_bag] input has to be 1D or 2D Tensor, but got Tensor of dimension {input.ndim}"
        )
    if mode not in ("sum", "mean", "max"):
        raise ValueError("[embedding_bag] mode has to be one of sum, mean or max")
    if mode == "max" and scale_grad_by_freq:
        raise ValueError(
            "[embedding_bag] max mode does not support scaling the gradient by the frequency"
        )
    if sparse:
        raise NotImplementedError("[embedding_bag] sparse=True (sparse gradients) is not supported")
    if per_sample_weights is not None and mode != "sum":
        raise NotImplementedError(
            "[embedding_bag] per_sample_weights was not None. per_sample_weights is only supported for "
            f"mode='sum' (got mode='{mode}')"
        )
    padding_idx = _padding(padding_idx, weight, "embedding_bag")
    flat = _indices(input)
    if max_norm is not None:
        _renorm_(weight, flat, max_norm, norm_type)
    num_bags = max(len(bounds) - 1, 0)
    bag = np.full(flat.size, -1, dtype=np.int64)
    for b in range(num_bags):
        bag[bounds[b] : bounds[b + 1]] = b
    keep = bag >= 0
    if padding_idx is not None:
        keep &= flat != padding_idx
    positions = np.nonzero(keep)[0]
    rows = _C.embedding(_long(flat[positions]), weight, None)
    if scale_grad_by_freq and rows.requires_grad and positions.size:
        rows = _ScaleGrad.apply(rows, _bag_freq_scale(flat, positions, rows.dtype))
    if per_sample_weights is not None:
        psw = per_sample_weights.reshape(-1)[_long(positions)]
        rows = rows * psw.unsqueeze(1).to(rows.dtype)
    dim = weight.shape[1]
    out: Any = weight.new_zeros((num_bags, dim))
    bag_t = _long(bag[positions])
    if mode == "max":
        index = bag_t.unsqueeze(1).expand(-1, dim)
        return out.scatter_reduce(0, index, rows, "amax", include_self=False)
    out = out.index_add(0, bag_t, rows)
    if mode == "mean":
        counts = np.bincount(bag[positions], minlength=num_bags).clip(min=1).reshape(-1, 1)
        out = out / _C.from_numpy(counts.astype(np.float64)).to(out.dtype)
    return out


def bilinear(input1: Tensor, input2: Tensor, weight: Tensor, bias: Tensor | None = None) -> Tensor:
    """y[..., o] = sum_ij input1[..., i] * weight[o, i, j] * input2[..., j] + bias[o].

    Args:
        input1: [..., in1] features.
        input2: [..., in2] features, with input1's leading dims.
        weight: [out, in1, in2].
        bias: optional [out].
    Returns:
        [..., out].
    """
    if input1.ndim != input2.ndim or tuple(input1.shape[:-1]) != tuple(input2.shape[:-1]):
        raise RuntimeError(
            f"[bilinear] input dimensions do not match: got {tuple(input1.shape)} and {tuple(input2.shape)}"
        )
    if weight.ndim != 3:
        raise RuntimeError(f"[bilinear] expected a 3-d weight, got {weight.ndim} dims")
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(
            f"[bilinear] input1 size does not match weight size: got {input1.shape[-1]} but expected {in1}"
        )
    if input2.shape[-1] != in2:
        raise RuntimeError(
            f"[bilinear] input2 size does not match weight size: got {input2.shape[-1]} but expected {in2}"
        )
    if bias is not None and (bias.ndim != 1 or bias.shape[0] != out_f):
        raise RuntimeError(f"[bilinear] bias size does not match weight size: expected {out_f}")
    lead = list(input1.shape[:-1])
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # [B, in1] @ [in1, out*in2] -> [B, out, in2], then contract in2 with input2.
    tmp = (x1 @ weight.permute(1, 0, 2).reshape(in1, out_f * in2)).reshape(-1, out_f, in2)
    out = (tmp @ x2.unsqueeze(2)).squeeze(2)
    if bias is not None:
        out = out + bias
    return out.reshape([*lead, out_f])
