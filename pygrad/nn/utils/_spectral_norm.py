"""The hook-based ``nn.utils.spectral_norm`` / ``remove_spectral_norm``: ``weight_orig`` parameter,
``weight_u`` and ``weight_v`` buffers, the weight divided by its largest singular value (estimated by
power iteration in training mode) by a forward pre-hook."""

from __future__ import annotations

from typing import Any, TypeVar

from pygrad._C import Tensor
from pygrad._factories import empty
from pygrad._grad_mode import no_grad
from pygrad._linalg_ops import dot, mv
from pygrad.nn import functional as F
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

__all__ = ["SpectralNorm", "remove_spectral_norm", "spectral_norm"]

_M = TypeVar("_M", bound=Module)

_TRANSPOSED_CONVS = ("ConvTranspose1d", "ConvTranspose2d", "ConvTranspose3d")


def default_dim(module: Module) -> int:
    """torch's default dim: 1 (the output channels) for transposed convolutions, else 0."""
    import pygrad.nn as nn

    kinds = tuple(getattr(nn, n) for n in _TRANSPOSED_CONVS if hasattr(nn, n))
    return 1 if kinds and isinstance(module, kinds) else 0


def reshape_to_matrix(weight: Tensor, dim: int) -> Tensor:
    """weight as a matrix with dim's size rows (dim moved to the front, the rest flattened)."""
    if dim != 0:
        weight = weight.permute(dim, *(d for d in range(weight.ndim) if d != dim))
    return weight.reshape(weight.shape[0], -1)


def power_iteration(
    weight_mat: Tensor, u: Tensor, v: Tensor, iterations: int, eps: float, v_first: bool
) -> None:
    """Updates u and v in place (so replicas and state_dict see them) towards the top singular pair."""
    with no_grad():
        for _ in range(iterations):
            if v_first:
                v.copy_(F.normalize(mv(weight_mat.t(), u), dim=0, eps=eps))
                u.copy_(F.normalize(mv(weight_mat, v), dim=0, eps=eps))
            else:
                u.copy_(F.normalize(mv(weight_mat, v), dim=0, eps=eps))
                v.copy_(F.normalize(mv(weight_mat.t(), u), dim=0, eps=eps))


class SpectralNorm:
    """The forward pre-hook of ``spectral_norm``.

    Args:
        name: the parameter's name.
        n_power_iterations: power iterations per training-mode forward (at least 1).
        dim: the dimension of the output channels.
        eps: added to norms so that normalising never divides by zero.
    """

    def __init__(
        self, name: str = "weight", n_power_iterations: int = 1, dim: int = 0, eps: float = 1e-12
    ) -> None:
        if n_power_iterations <= 0:
            raise ValueError(
                "Expected n_power_iterations to be positive, but "
                f"got n_power_iterations={n_power_iterations}"
            )
        self.name = name
        self.dim = dim
        self.n_power_iterations = n_power_iterations
        self.eps = eps

    def reshape_weight_to_matrix(self, weight: Tensor) -> Tensor:
        """The weight as a [size of dim, rest] matrix."""
        return reshape_to_matrix(weight, self.dim)

    def compute_weight(self, module: Module, do_power_iteration: bool) -> Tensor:
        """weight_orig / sigma with sigma = u^T W v (after power iteration when asked)."""
        weight = getattr(module, self.name + "_orig")
        u = getattr(module, self.name + "_u")
        v = getattr(module, self.name + "_v")
        weight_mat = self.reshape_weight_to_matrix(weight)
        if do_power_iteration:
            power_iteration(weight_mat, u, v, self.n_power_iterations, self.eps, v_first=True)
            # Clones: a second forward's update must not change what the first one's backward reads.
            u, v = u.clone(), v.clone()
        sigma = dot(u, mv(weight_mat, v))
        return weight / sigma

    def remove(self, module: Module) -> None:
        """Puts back ``module.<name>`` as a parameter with the current normalised weight."""
        with no_grad():
            weight = self.compute_weight(module, do_power_iteration=False)
        delattr(module, self.name)
        delattr(module, self.name + "_u")
        delattr(module, self.name + "_v")
        delattr(module, self.name + "_orig")
        module.register_parameter(self.name, Parameter(weight.detach()))

    def __call__(self, module: Module, inputs: Any) -> None:
        setattr(module, self.name, self.compute_weight(module, module.training))

    @staticmethod
    def apply(
        module: Module, name: str, n_power_iterations: int, dim: int, eps: float
    ) -> SpectralNorm:
        """Replaces ``module.<name>`` by ``<name>_orig`` (+ ``_u``, ``_v`` buffers) and registers the hook."""
        for hook in module._forward_pre_hooks.values():
            if isinstance(hook, SpectralNorm) and hook.name == name:
                raise RuntimeError(
                    f"Cannot register two spectral_norm hooks on the same parameter {name}"
                )
        fn = SpectralNorm(name, n_power_iterations, dim, eps)
        weight = module._parameters.get(name)
        if weight is None:
            raise ValueError(f"`SpectralNorm` cannot be applied as parameter `{name}` is None")
        with no_grad():
            h, w = fn.reshape_weight_to_matrix(weight).shape
            u = F.normalize(empty(h, dtype=weight.dtype).normal_(0, 1), dim=0, eps=eps)
            v = F.normalize(empty(w, dtype=weight.dtype).normal_(0, 1), dim=0, eps=eps)
        delattr(module, name)
        module.register_parameter(name + "_orig", weight)
        setattr(module, name, weight.detach())
        module.register_buffer(name + "_u", u)
        module.register_buffer(name + "_v", v)
        module.register_forward_pre_hook(fn)
        return fn


def spectral_norm(
    module: _M,
    name: str = "weight",
    n_power_iterations: int = 1,
    eps: float = 1e-12,
    dim: int | None = None,
) -> _M:
    """Applies spectral normalisation with a forward pre-hook: w = w_orig / sigma(w_orig).

    Args:
        module: the module holding the parameter.
        name: the parameter's name.
        n_power_iterations: power iterations per training-mode forward.
        eps: added to norms so that normalising never divides by zero.
        dim: the output-channel dimension (1 for transposed convolutions, else 0, by default).
    Returns:
        module, with ``<name>_orig`` parameter and ``<name>_u``, ``<name>_v`` buffers.
    """
    SpectralNorm.apply(
        module, name, n_power_iterations, default_dim(module) if dim is None else dim, eps
    )
    return module


def remove_spectral_norm(module: _M, name: str = "weight") -> _M:
    """Removes the spectral normalisation hook, leaving a plain parameter with the current weight.

    Args:
        module: the module spectral_norm was applied to.
        name: the parameter's name.
    Returns:
        module.
    """
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            hook.remove(module)
            del module._forward_pre_hooks[key]
            return module
    raise ValueError(f"spectral_norm of '{name}' not found in {module}")
