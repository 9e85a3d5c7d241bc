"""Adagrad: per-element learning rates from the running sum of squared gradients."""

from __future__ import annotations

from typing import ClassVar

from pygrad.optim.optimizer import HyperParameters, Optimizer, ParamsT, StateSlot, non_negative

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        lr_decay: the step size is ``lr / (1 + (step - 1) * lr_decay)``.
        weight_decay: L2 penalty added to the gradient.
        initial_accumulator_value: starting value of the squared-gradient sum.
        eps: added to the denominator for numerical stability.
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "adagrad"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "lr_decay": non_negative("Invalid lr_decay value"),
        "weight_decay": non_negative("Invalid weight_decay value"),
        "initial_accumulator_value": non_negative("Invalid initial_accumulator_value value"),
        "eps": non_negative("Invalid epsilon value"),
        "maximize": None,
    }
    state_slots = (StateSlot("sum", init=lambda group: group["initial_accumulator_value"]),)

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lr_decay: float = 0,
        weight_decay: float = 0,
        initial_accumulator_value: float = 0,
        eps: float = 1e-10,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
