"""NAdam: Adam with Nesterov momentum and a momentum schedule."""

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

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: weight decay (L2 penalty, or decoupled with ``decoupled_weight_decay=True``).
        momentum_decay: the momentum schedule's decay,
            ``mu_t = beta1 (1 - 0.5 * 0.96^(t momentum_decay))``.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "nadam"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "eps": non_negative("Invalid epsilon value"),
        "betas": betas_in_unit_interval,
        "weight_decay": non_negative("Invalid weight_decay value"),
        "momentum_decay": non_negative("Invalid momentum_decay value"),
        "decoupled_weight_decay": None,
        "maximize": None,
    }
    state_slots = (
        StateSlot("mu_product", init=1.0, scalar=True),  # the product of the schedule's mu_t so far
        StateSlot("exp_avg"),
        StateSlot("exp_avg_sq"),
    )

    def __init__(
        self,
        params: ParamsT,
        lr: float = 2e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum_decay: float = 4e-3,
        decoupled_weight_decay: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum_decay": momentum_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
