"""Gradient clipping (``clip_grad_norm_``, ``clip_grad_value_``) and ``parameters_to_vector`` /
``vector_to_parameters``, with PyTorch's semantics."""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Union

from pygrad import _C
from pygrad._C import Tensor
from pygrad._factories import tensor
from pygrad._grad_mode import no_grad

__all__ = [
    "clip_grad_norm_",
    "clip_grad_value_",
    "get_total_norm",
    "parameters_to_vector",
    "vector_to_parameters",
]

# One tensor or several (a model's parameters(), a list).
_Tensors = Union[Tensor, Iterable[Tensor]]


def _grads(parameters: _Tensors) -> list[Tensor]:
    if isinstance(parameters, Tensor):
        parameters = [parameters]
    return [p.grad for p in parameters if p.grad is not None]


def _vector_norm(x: Tensor, norm_type: float) -> Tensor:
    if norm_type == math.inf:
        return x.abs().amax()
    if norm_type == -math.inf:
        return x.abs().amin()
    if norm_type == 0:
        return (x != 0).sum().to(dtype=x.dtype)
    if norm_type == 1:
        return x.abs().sum()
    if norm_type == 2:
        return (x * x).sum().sqrt()
    return x.abs().pow(norm_type).sum().pow(1.0 / norm_type)


def get_total_norm(
    tensors: _Tensors, norm_type: float = 2.0, error_if_nonfinite: bool = False
) -> Tensor:
    """The norm of the norms of ``tensors``, as if they were concatenated into one vector.

    Args:
        tensors: a Tensor or an iterable of Tensors.
        norm_type: p of the p-norm; ``math.inf`` for the max norm.
        error_if_nonfinite: raise RuntimeError when the total norm is nan or inf.

    Returns:
        A 0-d Tensor (0.0 when there are no tensors).
    """
    items = [tensors] if isinstance(tensors, Tensor) else list(tensors)
    norm_type = float(norm_type)
    if not items:
        return tensor(0.0)
    with no_grad():
        dtype = items[0].dtype
        norms = [_vector_norm(t.detach(), norm_type).to(dtype=dtype) for t in items]
        total = _vector_norm(_C.stack(norms), norm_type)
    if error_if_nonfinite and not math.isfinite(total.item()):
        raise RuntimeError(
            f"The total norm of order {norm_type} for gradients from `parameters` is non-finite, so it cannot be "
            "clipped. To disable this error and scale the gradients by the non-finite norm anyway, set "
            "`error_if_nonfinite=False`"
        )
    return total


def clip_grad_norm_(
    parameters: _Tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Scales the gradients in place so that their total norm is at most ``max_norm``.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` to clip.
        max_norm: the largest allowed total norm.
        norm_type: p of the p-norm; ``math.inf`` for the max norm.
        error_if_nonfinite: raise RuntimeError when the total norm is nan or inf.
        foreach: PyTorch's choice between two implementations with the same result; pygrad
            has one, so any value gives that result.

    Returns:
        The total norm of the gradients before clipping (a 0-d Tensor).
    """
    grads = _grads(parameters)
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    if not grads:
        return total
    with no_grad():
        coef = (float(max_norm) / (total + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(dtype=g.dtype))
    return total


def clip_grad_value_(parameters: _Tensors, clip_value: float, foreach: bool | None = None) -> None:
    """Clamps every gradient element into ``[-clip_value, clip_value]`` in place.

    Args:
        parameters: a Tensor or an iterable of Tensors whose ``.grad`` to clip.
        clip_value: the largest allowed magnitude.
        foreach: PyTorch's choice between two implementations with the same result; pygrad
            has one, so any value gives that result.
    """
    clip_value = float(clip_value)
    with no_grad():
        for g in _grads(parameters):
            g.copy_(g.clamp(-clip_value, clip_value))


def parameters_to_vector(parameters: Iterable[Tensor]) -> Tensor:
    """The parameters flattened and concatenated into one 1-d tensor (differentiable, as torch).

    Args:
        parameters: an iterable of tensors (e.g. ``model.parameters()``).
    Returns:
        A new 1-d tensor of all their elements in order.
    """
    if isinstance(parameters, Tensor):
        raise TypeError(
            f"[parameters_to_vector] expected an iterable of tensors, but got: {type(parameters).__name__}"
        )
    flat = [p.reshape(-1) for p in parameters]
    if not flat:
        raise RuntimeError("[parameters_to_vector] expected a non-empty list of tensors")
    return _C.cat(flat)


def vector_to_parameters(vec: Tensor, parameters: Iterable[Tensor]) -> None:
    """Copies consecutive slices of the 1-d vec into the parameters' data (as torch, each parameter's
    .data becomes a view of vec; no gradient is recorded).

    Args:
        vec: a 1-d tensor with as many elements as the parameters together.
        parameters: an iterable of tensors (e.g. ``model.parameters()``).
    """
    if not isinstance(vec, Tensor):
        raise TypeError(f"[vector_to_parameters] expected a Tensor, but got: {type(vec).__name__}")
    params = list(parameters)
    total = sum(p.numel() for p in params)
    if vec.ndim != 1 or vec.numel() < total:  # torch ignores elements past the last parameter's
        raise RuntimeError(
            f"[vector_to_parameters] expected a 1-d vector of at least {total} elements, got shape {tuple(vec.shape)}"
        )
    pointer = 0
    for param in params:
        n = param.numel()
        param.data = vec[pointer : pointer + n].detach().reshape(list(param.shape))
        pointer += n
