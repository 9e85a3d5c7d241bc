"""Adamax: Adam with the infinity norm in place of the second moment."""

from __future__ import annotations

from typing import ClassVar

from pygrad.optim.optimizer import (
    HyperParameters,
    Optimizer,
    ParamsT,
    StateSlot,
    betas_in_unit_interval,
    non_negative,
)

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: decay rates of the first moment and of the infinity norm.
        eps: added to the norm for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "adamax"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "eps": non_negative("Invalid epsilon value"),
        "betas": betas_in_unit_interval,
        "weight_decay": non_negative("Invalid weight_decay value"),
        "maximize": None,
    }
    state_slots = (StateSlot("exp_avg"), StateSlot("exp_inf"))

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
