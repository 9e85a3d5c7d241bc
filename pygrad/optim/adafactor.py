"""Adafactor: Adam-like steps with a factored (row x column) second moment for matrices."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pygrad._dtype_info import finfo
from pygrad._factories import zeros_like
from pygrad._grad_mode import enable_grad, no_grad
from pygrad.optim.optimizer import Optimizer, ParamsT

__all__ = ["Adafactor"]


class Adafactor(Optimizer):
    """Adafactor with torch.optim.Adafactor's algorithm and defaults.

    A parameter of two or more dims keeps only a row and a column average of the squared
    gradient (``row_var``, ``col_var``: the last two dims, reduced); a vector keeps a full
    ``variance``. The step size is relative to the parameter's RMS and the update is clipped to
    RMS ``d``; ``beta2`` rises as ``1 - step ** beta2_decay``.

    Args:
        params: parameters or parameter groups.
        lr: the cap on the relative step size (which is ``min(lr, 1 / sqrt(step))``).
        beta2_decay: the decay exponent of the second moment's averaging, <= 0.
        eps: (eps1, eps2): eps1 floors the variance estimate (None: the dtype's machine
            epsilon); eps2 floors the parameter RMS that scales the step.
        d: the clipping threshold of the update's RMS, >= 1.
        weight_decay: decoupled weight decay (the parameter shrinks by ``lr * weight_decay``).
        foreach: accepted for torch compatibility; the updates are per parameter either way.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        beta2_decay: float = -0.8,
        eps: tuple[float | None, float] = (None, 1e-3),
        d: float = 1.0,
        weight_decay: float = 0.0,
        *,
        foreach: bool | None = None,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Learning rate should be >= 0 but is: {lr}")
        if not beta2_decay <= 0.0:
            raise ValueError(f"beta2_decay should be <= 0 but is: {beta2_decay}")
        if eps[0] is not None and not eps[0] >= 0.0:
            raise ValueError(f"epsilon1 should be >= 0 but is: {eps[0]}")
        if not eps[1] >= 0.0:
            raise ValueError(f"epsilon2 should be >= 0 but is: {eps[1]}")
        if not d >= 1.0:
            raise ValueError(f"Clipping threshold d should be >= 1 but is: {d}")
        if not weight_decay >= 0.0:
            raise ValueError(f"weight_decay should be >= 0 but is: {weight_decay}")
        defaults = {
            "lr": lr,
            "beta2_decay": beta2_decay,
            "eps": tuple(eps),
            "d": d,
            "weight_decay": weight_decay,
            "foreach": foreach,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Adafactor step over every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                self._group_step(group)
        return loss

    def _group_step(self, group: dict[str, Any]) -> None:
        lr, d, weight_decay = float(group["lr"]), group["d"], group["weight_decay"]
        eps1, eps2 = group["eps"]
        for p in group["params"]:
            grad = p.grad
            if grad is None:
                continue
            if p.is_complex():
                raise RuntimeError("Adafactor does not support complex parameters")
            state = self.state.setdefault(p, {})
            if not state:
                state["step"] = 0
                if grad.dim() > 1:
                    state["row_var"] = grad.new_zeros([*grad.shape[:-1], 1])
                    state["col_var"] = grad.new_zeros([*grad.shape[:-2], 1, grad.shape[-1]])
                else:
                    state["variance"] = zeros_like(grad)
            if group["maximize"]:
                grad = -grad
            if eps1 is None:
                # As torch: the first parameter's dtype sets eps1 for the rest of the group.
                eps1 = finfo(p.dtype).eps
            state["step"] += 1
            step = float(state["step"])
            one_minus_beta2 = step ** group["beta2_decay"]
            rho = min(lr, 1 / step**0.5)
            alpha = max(eps2, p.norm(2).item() / p.numel() ** 0.5) * rho
            if weight_decay != 0:
                p.mul_(1 - lr * weight_decay)
            if grad.dim() > 1:
                row_var, col_var = state["row_var"], state["col_var"]
                row_var.lerp_(
                    grad.norm(dim=-1, keepdim=True).square() / grad.shape[-1], one_minus_beta2
                )
                col_var.lerp_(
                    grad.norm(dim=-2, keepdim=True).square() / grad.shape[-2], one_minus_beta2
                )
                # The rank-1 estimate row x col, normalised by the rows' mean.
                estimate = row_var * col_var
                estimate = estimate / row_var.mean(dim=-2, keepdim=True).clamp(min=eps1)
            else:
                variance = state["variance"]
                variance.lerp_(grad * grad, one_minus_beta2)
                estimate = variance.clone()
            update = estimate.clamp(min=eps1 * eps1).rsqrt() * grad
            denom = max(1.0, update.norm(2).item() / (update.numel() ** 0.5 * d))
            p.add_(update, alpha=-alpha / denom)
