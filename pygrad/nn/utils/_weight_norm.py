"""The hook-based ``nn.utils.weight_norm`` / ``remove_weight_norm`` (deprecated in torch in favour of
``parametrizations.weight_norm``): ``weight_g`` and ``weight_v`` parameters, the weight recomputed by a
forward pre-hook; plus the norm helpers both forms share."""

from __future__ import annotations

import warnings
from typing import Any, TypeVar

from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

__all__ = ["WeightNorm", "remove_weight_norm", "weight_norm"]

_M = TypeVar("_M", bound=Module)


def norm_except_dim(v: Tensor, dim: int) -> Tensor:
    """torch.norm_except_dim(v, 2, dim): the 2-norm over every dimension but dim, kept as size-1
    dimensions; dim=-1 means the norm of the whole tensor (a 0-d result), as in torch."""
    if dim == -1:
        return v.norm()
    dim = dim % v.ndim
    others = [d for d in range(v.ndim) if d != dim]
    if not others:
        return v.abs()
    return v.norm(dim=others, keepdim=True)


def weight_norm_fn(v: Tensor, g: Tensor, dim: int) -> Tensor:
    """torch._weight_norm: v scaled so that its norm over all dims but dim is g."""
    return v * (g / norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook of ``weight_norm``: sets ``module.<name>`` from ``<name>_g`` and ``<name>_v``.

    Args:
        name: the parameter's name.
        dim: the dimension kept by the norm (None or -1: the norm of the whole tensor).
    """

    def __init__(self, name: str, dim: int | None) -> None:
        self.name = name
        self.dim = -1 if dim is None else dim

    def compute_weight(self, module: Module) -> Tensor:
        """The weight from the module's ``<name>_g`` and ``<name>_v``."""
        g = getattr(module, self.name + "_g")
        v = getattr(module, self.name + "_v")
        return weight_norm_fn(v, g, self.dim)

    @staticmethod
    def apply(module: Module, name: str, dim: int | None) -> WeightNorm:
        """Replaces ``module.<name>`` by ``<name>_g`` and ``<name>_v`` and registers the hook."""
        warnings.warn(
            "`pygrad.nn.utils.weight_norm` is deprecated in favor of "
            "`pygrad.nn.utils.parametrizations.weight_norm`.",
            FutureWarning,
            stacklevel=3,
        )
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, WeightNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two weight_norm hooks on the same parameter {name}"
                )
        fn = WeightNorm(name, dim)
        weight = getattr(module, name)
        del module._parameters[name]
        with no_grad():
            g = norm_except_dim(weight.detach(), fn.dim)
        module.register_parameter(name + "_g", Parameter(g))
        module.register_parameter(name + "_v", Parameter(weight.detach()))
        setattr(module, name, fn.compute_weight(module))
        module.register_forward_pre_hook(fn)
        return fn

    def remove(self, module: Module) -> None:
        """Puts back ``module.<name>`` as a parameter with the current weight."""
        with no_grad():
            weight = self.compute_weight(module)
        delattr(module, self.name)
        del module._parameters[self.name + "_g"]
        del module._parameters[self.name + "_v"]
        setattr(module, self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module: _M, name: str = "weight", dim: int | None = 0) -> _M:
    """Applies weight normalisation with a forward pre-hook: w = g * v / ||v|| (deprecated in torch,
    which recommends ``nn.utils.parametrizations.weight_norm``; emits torch's FutureWarning).

    Args:
        module: the module holding the parameter.
        name: the parameter's name.
        dim: the dimension kept by the norm (None: the norm of the whole tensor).
    Returns:
        module, with parameters ``<name>_g`` and ``<name>_v`` in place of ``<name>``.
    """
    WeightNorm.apply(module, name, dim)
    return module


def remove_weight_norm(module: _M, name: str = "weight") -> _M:
    """Removes the weight normalisation hook, leaving a plain parameter with the current weight.

    Args:
        module: the module weight_norm was applied to.
        name: the parameter's name.
    Returns:
        module.
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, WeightNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"weight_norm of '{name}' not found in {module}")
