"""Rprop: resilient backpropagation, a per-element step size adapted by the sign of the gradient."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pygrad._factories import full_like, zeros_like
from pygrad._grad_mode import enable_grad, no_grad
from pygrad.optim.optimizer import Optimizer, ParamsT

__all__ = ["Rprop"]


class Rprop(Optimizer):
    """Rprop with PyTorch's update rule (written with tensor ops; no fused C++ update).

    Each element keeps its own step size: multiplied by ``etas[1]`` while the gradient keeps its
    sign, by ``etas[0]`` when it flips (and that element's update is skipped), clamped to
    ``step_sizes``; the parameter moves by the step size against the gradient's sign.

    Args:
        params: parameters or parameter groups.
        lr: the initial step size of every element.
        etas: (decrease, increase) factors, 0 < etaminus < 1 < etaplus.
        step_sizes: (minimum, maximum) step size.
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        etas: tuple[float, float] = (0.5, 1.2),
        step_sizes: tuple[float, float] = (1e-6, 50),
        *,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 < etas[0] < 1.0 < etas[1]:
            raise ValueError(f"Invalid eta values: {etas[0]}, {etas[1]}")
        defaults = {
            "lr": lr,
            "etas": tuple(etas),
            "step_sizes": tuple(step_sizes),
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one Rprop step over every parameter that has a gradient.

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
                etaminus, etaplus = group["etas"]
                smallest, largest = group["step_sizes"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    state = self.state.setdefault(p, {})
                    if not state:
                        state["step"] = 0
                        state["prev"] = zeros_like(p)
                        state["step_size"] = full_like(grad, float(group["lr"]))
                    state["step"] += 1
                    if group["maximize"]:
                        grad = -grad
                    # Same sign: grow; flipped: shrink; either is zero: keep (set in the grad's
                    # dtype: a Python-scalar where() would round the etas to float32).
                    factor = (grad * state["prev"]).sign()
                    flipped = factor.lt(0)
                    factor[factor.gt(0)] = etaplus
                    factor[flipped] = etaminus
                    factor[factor.eq(0)] = 1.0
                    step_size = state["step_size"]
                    step_size.mul_(factor).clamp_(smallest, largest)
                    # A flipped sign skips this step's update and is forgotten for the next one.
                    grad = grad.clone()
                    grad[flipped] = 0.0
                    p.addcmul_(grad.sign(), step_size, value=-1)
                    state["prev"].copy_(grad)
        return loss
