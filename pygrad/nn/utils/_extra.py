"""torch's smaller ``nn.utils`` names: the deprecated ``clip_grad_norm``, ``clip_grads_with_norm_``
(the scaling half of clip_grad_norm_) and ``skip_init``."""

from __future__ import annotations

import inspect
import warnings
from typing import Any, TypeVar

from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.nn.utils._clip import _grads, _Tensors, clip_grad_norm_

__all__ = ["clip_grad_norm", "clip_grads_with_norm_", "skip_init"]

_T = TypeVar("_T")


def clip_grad_norm(
    parameters: _Tensors,
    max_norm: float,
    norm_type: float = 2.0,
    error_if_nonfinite: bool = False,
    foreach: bool | None = None,
) -> Tensor:
    """Deprecated alias of ``clip_grad_norm_`` (warns, as torch)."""
    warnings.warn(
        "`torch.nn.utils.clip_grad_norm` is now deprecated in favor of `torch.nn.utils.clip_grad_norm_`.",
        FutureWarning,
        stacklevel=2,
    )
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite, foreach)


def clip_grads_with_norm_(
    parameters: _Tensors, max_norm: float, total_norm: Tensor, foreach: bool | None = None
) -> None:
    """Scales the gradients in place by ``min(1, max_norm / (total_norm + 1e-6))``.

    ``total_norm`` is usually ``get_total_norm`` of the gradients (possibly all-reduced first).
    """
    grads = _grads(parameters)
    if not grads:
        return
    with no_grad():
        coef = (float(max_norm) / (total_norm + 1e-6)).clamp(max=1.0)
        for g in grads:
            g.mul_(coef.to(dtype=g.dtype))


def skip_init(module_cls: type[_T], *args: Any, **kwargs: Any) -> _T:
    """``module_cls(*args, **kwargs)`` whose parameter values are to be treated as uninitialised.

    torch builds the module on the meta device and then allocates empty storage; pygrad has no
    meta device, so the module is built normally (the values are the ordinary initialisation,
    which the caller is expected to overwrite). As torch, module_cls must take a ``device``
    argument.
    """
    if "device" not in inspect.signature(module_cls).parameters:
        raise RuntimeError("Module must support a 'device' arg to skip initialization")
    kwargs.pop("device", None)
    return module_cls(*args, **kwargs)
