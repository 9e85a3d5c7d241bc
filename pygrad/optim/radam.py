"""RAdam: Adam with a rectified adaptive step (momentum SGD while the variance is unreliable)."""

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

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """RAdam with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (L2 penalty, or decoupled with ``decoupled_weight_decay=True``).
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "radam"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "eps": non_negative("Invalid epsilon value"),
        "betas": betas_in_unit_interval,
        "weight_decay": non_negative("Invalid weight_decay value"),
        "decoupled_weight_decay": None,
        "maximize": None,
    }
    state_slots = (StateSlot("exp_avg"), StateSlot("exp_avg_sq"))

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
