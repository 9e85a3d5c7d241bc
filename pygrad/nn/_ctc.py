"""ctc_loss: the Connectionist Temporal Classification loss, torch's values and gradients.

The forward is the alpha recursion in log space over the extended target (blanks between and around
the labels), batched over samples and run step by step over time with core ops. The gradient is
torch's, which is not the plain derivative with respect to log_probs: torch returns
exp(log_probs) - occupancy (the derivative with respect to the logits of a log_softmax that made
log_probs), and NaN where a sample's loss is infinite unless zero_infinity. Matching it needs the beta
recursion too, so the loss is an autograd.Function (once differentiable, as torch's).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any, Union

from pygrad import _C
from pygrad._autocast import autocast_float32
from pygrad._C import Tensor
from pygrad._factories import arange, tensor
from pygrad.autograd.function import Function, once_differentiable
from pygrad.nn._reduction import check_reduction

__all__ = ["ctc_loss"]

_Lengths = Union[Tensor, Sequence[int]]
_INF = float("inf")


def _lse3(a: Tensor, b: Tensor, c: Tensor) -> Tensor:
    """log(e^a + e^b + e^c) elementwise, -inf (not NaN) where all three are -inf."""
    m = _C.maximum(a, _C.maximum(b, c))
    m = _C.where(m == -_INF, 0.0, m)
    return m + _C.log(_C.exp(a - m) + _C.exp(b - m) + _C.exp(c - m))


def _shift(x: Tensor, k: int, fill: float) -> Tensor:
    """x moved k places along dim 1 (right for k > 0, left for k < 0), the gap filled with fill."""
    n, s = x.shape
    pad = _C._full([n, min(abs(k), s)], fill, x.dtype, False)
    if k > 0:
        return _C.cat([pad, x[:, : max(s - k, 0)]], 1)
    return _C.cat([x[:, -k:], pad], 1)


class _CTC(Function):
    """Per-sample negative log-likelihoods (N,) of log_probs (T, N, C) with torch's backward."""

    @staticmethod
    def forward(
        ctx: Any,
        log_probs: Tensor,
        ext: Tensor,
        skip: Tensor,
        in_len: Tensor,
        tgt_len: Tensor,
        zero_infinity: bool,
    ) -> Tensor:
        t_max, n, _ = log_probs.shape
        s = ext.shape[1]
        lp_ext = log_probs.gather(2, ext.unsqueeze(0).expand(t_max, n, s))  # (T, N, S)
        pos = arange(s).unsqueeze(0)  # (1, S)
        valid = pos < (2 * tgt_len + 1).unsqueeze(1)  # (N, S): inside this sample's extended target
        alphas = [_C.where((pos < 2) & valid, lp_ext[0], -_INF)]  # start: blank or first label
        for t in range(1, t_max):
            prev = alphas[-1]
            from_skip = _C.where(skip, _shift(prev, 2, -_INF), -_INF)
            step = _lse3(prev, _shift(prev, 1, -_INF), from_skip) + lp_ext[t]
            alphas.append(_C.where(valid, step, -_INF))
        alpha_all = _C.stack(alphas, 0)  # (T, N, S)
        # Each sample ends at its own last frame, on the final blank or the last label.
        last_t = _C.clamp_min(in_len - 1, 0)
        final = alpha_all.gather(0, last_t.reshape(1, n, 1).expand(1, n, s)).squeeze(0)
        end = final.gather(1, (2 * tgt_len).unsqueeze(1)).squeeze(1)
        before = final.gather(1, _C.clamp_min(2 * tgt_len - 1, 0).unsqueeze(1)).squeeze(1)
        before = _C.where(tgt_len > 0, before, -_INF)
        nll = -_lse3(end, before, _C._full([n], -_INF, log_probs.dtype, False))
        # No input frame: the empty target has probability 1, any other 0.
        no_frames = _C.where(tgt_len == 0, _C._full([n], 0.0, log_probs.dtype, False), _INF)
        nll = _C.where(in_len == 0, no_frames, nll)
        ctx.save_for_backward(log_probs, lp_ext, alpha_all, ext, skip, in_len, tgt_len, nll)
        ctx.zero_infinity = zero_infinity
        return nll

    @staticmethod
    @once_differentiable
    def backward(ctx: Any, grad: Tensor) -> tuple[Any, ...]:
        log_probs, lp_ext, alpha_all, ext, skip, in_len, tgt_len, nll = ctx.saved_tensors
        t_max, n, c = log_probs.shape
        s = ext.shape[1]
        pos = arange(s).unsqueeze(0)
        last = in_len.unsqueeze(1) - 1  # (N, 1)
        ends = (pos == 2 * tgt_len.unsqueeze(1)) | (
            (pos == 2 * tgt_len.unsqueeze(1) - 1) & (tgt_len.unsqueeze(1) > 0)
        )
        skip_from = _shift(skip, -2, False)  # s -> s + 2 allowed where position s + 2 may skip
        betas: list[Tensor] = []
        beta = _C._full([n, s], -_INF, log_probs.dtype, False)
        for t in range(t_max - 1, -1, -1):
            from_skip = _C.where(skip_from, _shift(beta, -2, -_INF), -_INF)
            step = _lse3(beta, _shift(beta, -1, -_INF), from_skip) + lp_ext[t]
            start = _C.where(ends, lp_ext[t], -_INF)
            beta = _C.where(last == t, start, _C.where(last > t, step, -_INF))
            betas.append(beta)
        beta_all = _C.stack(betas[::-1], 0)  # (T, N, S)
        # log of sum over s with ext[s] == c of alpha * beta, per class: max-shifted, then one matmul.
        ab = alpha_all + beta_all
        m = ab.amax(2, True)
        m = _C.where(m == -_INF, 0.0, m)
        onehot = (ext.unsqueeze(2) == arange(c)).to(log_probs.dtype)  # (N, S, C)
        summed = _C.matmul((ab - m).exp().permute(1, 0, 2), onehot).permute(1, 0, 2)  # (T, N, C)
        lcab = _C.log(summed) + m
        nll_b = nll.reshape(1, n, 1)
        g = _C.exp(log_probs) - _C.exp(lcab + nll_b - log_probs)
        inside = arange(t_max).reshape(t_max, 1, 1) < in_len.reshape(1, n, 1)
        g = _C.where(inside, g, 0.0)
        if ctx.zero_infinity:
            g = _C.where(nll_b == _INF, 0.0, g)
        return (g * grad.reshape(1, n, 1), None, None, None, None, None)


def _lengths(lengths: _Lengths, name: str) -> list[int]:
    if isinstance(lengths, Tensor):
        if lengths.dtype.is_floating_point or lengths.dtype == _C.bool:
            raise RuntimeError(f"[ctc_loss] {name} must be integral")
        return [int(v) for v in lengths.reshape(-1).tolist()]
    return [int(v) for v in lengths]


@autocast_float32
def ctc_loss(
    log_probs: Tensor,
    targets: Tensor,
    input_lengths: _Lengths,
    target_lengths: _Lengths,
    blank: int = 0,
    reduction: str = "mean",
    zero_infinity: bool = False,
) -> Tensor:
    """Connectionist Temporal Classification loss: -log of the summed probability of every alignment
    of each target to its input frames.

    Args:
        log_probs: (T, N, C) or unbatched (T, C) log-probabilities (e.g. from log_softmax over C).
        targets: (N, S) padded class indices, or 1-d with every target concatenated; labels other
            than blank (torch does not check this either; its gradient is then inconsistent).
        input_lengths: (N,) frames used per sample (tensor or ints), each <= T.
        target_lengths: (N,) labels per sample (tensor or ints).
        blank: the blank class.
        reduction: 'none' (one loss per sample), 'mean' (each divided by its target length, then
            averaged) or 'sum'.
        zero_infinity: zero infinite losses (a target that cannot fit its input) and their gradients.
    Returns:
        The loss. Its gradient with respect to log_probs is torch's (see the module docstring).
    """
    check_reduction(reduction, "ctc_loss")
    if log_probs.ndim not in (2, 3):
        raise RuntimeError(
            f"[ctc_loss] expected log_probs of 2 or 3 dims (T, C) or (T, N, C), got {log_probs.ndim}"
        )
    if log_probs.dtype not in (_C.float32, _C.float64):
        raise RuntimeError(f"[ctc_loss] not implemented for {log_probs.dtype} log_probs")
    if log_probs.numel() == 0:
        raise RuntimeError("[ctc_loss] log_probs tensor must not be empty")
    batched = log_probs.ndim == 3
    lp = log_probs if batched else log_probs.unsqueeze(1)
    t_max, n, c = lp.shape
    in_len, tgt_len = (
        _lengths(input_lengths, "input_lengths"),
        _lengths(target_lengths, "target_lengths"),
    )
    if not 0 <= blank < c:
        raise RuntimeError("[ctc_loss] blank must be in label range")
    if len(in_len) != n:
        raise RuntimeError("[ctc_loss] input_lengths must be of size batch_size")
    if len(tgt_len) != n:
        raise RuntimeError("[ctc_loss] target_lengths must be of size batch_size")
    for v in tgt_len:
        if v < 0:
            raise RuntimeError(
                f"[ctc_loss] Expected target_lengths to have value at least 0, but got value {v}"
            )
    for v in in_len:
        if v < 0 or v > t_max:
            raise RuntimeError(
                f"[ctc_loss] Expected input_lengths to have value in [0, {t_max}], but got value {v}"
            )
    labels = targets.to(_C.int64).tolist()
    if targets.ndim == 1:
        if len(labels) != sum(tgt_len):
            raise RuntimeError(
                f"[ctc_loss] Expected concatenated targets of size {sum(tgt_len)} (the sum of "
                f"target_lengths), but got size {len(labels)}"
            )
        starts = [0, *itertools.accumulate(tgt_len)]
        rows = [labels[a : a + k] for a, k in zip(starts, tgt_len)]
    elif targets.ndim == 2:
        if targets.shape[0] != n or (n and targets.shape[1] < max(tgt_len)):
            raise RuntimeError(
                f"[ctc_loss] Expected targets of shape ({n}, >= {max(tgt_len, default=0)}), got "
                f"{tuple(targets.shape)}"
            )
        rows = [row[:k] for row, k in zip(labels, tgt_len)]
    else:
        raise RuntimeError(f"[ctc_loss] expected targets of 1 or 2 dims, got {targets.ndim}")
    if any(not 0 <= v < c for row in rows for v in row):
        raise RuntimeError(f"[ctc_loss] target labels must be in [0, {c})")
    # The extended targets: blank, l1, blank, l2, ..., blank (padded with blanks to one length).
    s = 2 * max(tgt_len, default=0) + 1
    ext_rows, skip_rows = [], []
    for row in rows:
        ext = [blank] * s
        ext[1 : 2 * len(row) : 2] = row
        ext_rows.append(ext)
        # A label may follow the previous label directly (skipping the blank) unless they are equal.
        skip_rows.append([i % 2 == 1 and i >= 3 and ext[i] != ext[i - 2] for i in range(s)])
    ext_t = tensor(ext_rows, dtype=_C.int64).reshape(n, s)
    skip_t = tensor(skip_rows, dtype=_C.bool).reshape(n, s)
    in_t = tensor(in_len, dtype=_C.int64).reshape(n)
    tgt_t = tensor(tgt_len, dtype=_C.int64).reshape(n)
    res = _CTC.apply(lp, ext_t, skip_t, in_t, tgt_t, zero_infinity)
    if zero_infinity:
        res = _C.where(res == _INF, 0.0, res)
    if reduction == "mean":
        return (res / _C.clamp_min(tgt_t.to(res.dtype), 1)).mean()
    if reduction == "sum":
        return res.sum()
    return res if batched else res.squeeze(0)
