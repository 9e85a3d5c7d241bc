"""How a loss reduces its elementwise values ('none', 'mean', 'sum'), and torch's legacy
size_average / reduce arguments mapped onto a reduction, as torch.nn._reduction does."""

from __future__ import annotations

import warnings

from pygrad._C import Tensor

__all__ = ["apply_reduction", "check_reduction", "legacy_get_string", "resolve_reduction"]

_REDUCTIONS = ("none", "mean", "sum")


def legacy_get_string(
    size_average: bool | None, reduce: bool | None, emit_warning: bool = True
) -> str:
    """torch's rule for the deprecated flags: reduce=False wins ('none'); else size_average picks
    'mean' (default) or 'sum'. Warns as torch does, since these arguments are deprecated there too."""
    if size_average is None:
        size_average = True
    if reduce is None:
        reduce = True
    if size_average and reduce:
        ret = "mean"
    elif reduce:
        ret = "sum"
    else:
        ret = "none"
    if emit_warning:
        warnings.warn(
            f"size_average and reduce args will be deprecated, please use reduction='{ret}' instead.",
            UserWarning,
            stacklevel=3,
        )
    return ret


def check_reduction(reduction: str, op: str) -> None:
    """ValueError unless reduction is 'none', 'mean' or 'sum' (torch raises ValueError too)."""
    if reduction not in _REDUCTIONS:
        raise ValueError(f"[{op}] {reduction} is not a valid value for reduction")


def resolve_reduction(
    reduction: str, size_average: bool | None, reduce: bool | None, op: str
) -> str:
    """The reduction to apply: the legacy flags override reduction when either is given."""
    if size_average is not None or reduce is not None:
        return legacy_get_string(size_average, reduce)
    check_reduction(reduction, op)
    return reduction


def apply_reduction(loss: Tensor, reduction: str) -> Tensor:
    """loss.mean(), loss.sum() or loss itself (an empty loss has mean NaN and sum 0, as torch)."""
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss
