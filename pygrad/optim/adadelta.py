"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from __future__ import annotations

from typing import ClassVar

from pygrad.optim.optimizer import (
    HyperParameters,
    Optimizer,
    ParamsT,
    StateSlot,
    in_unit_interval,
    non_negative,
)

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: coefficient that scales the delta before it is applied.
        rho: decay rate of the running averages.
        eps: added inside the square roots for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "adadelta"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "rho": in_unit_interval("Invalid rho value"),
        "eps": non_negative("Invalid epsilon value"),
        "weight_decay": non_negative("Invalid weight_decay value"),
        "maximize": None,
    }
    state_slots = (StateSlot("square_avg"), StateSlot("acc_delta"))

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1.0,
        rho: float = 0.9,
        eps: float = 1e-6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
