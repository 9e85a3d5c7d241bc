"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pygrad.optim.optimizer import HyperParameters, Optimizer, ParamsT, StateSlot, non_negative

__all__ = ["SGD"]


def _check_nesterov(nesterov: bool, defaults: Mapping[str, Any]) -> None:
    if nesterov and (defaults["momentum"] <= 0 or defaults["dampening"] != 0):
        raise ValueError("Nesterov momentum requires a momentum and zero dampening")


class SGD(Optimizer):
    """SGD with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        momentum: momentum factor; its buffer starts as the first gradient.
        dampening: dampening of the momentum.
        weight_decay: L2 penalty added to the gradient.
        nesterov: use Nesterov momentum (needs momentum > 0 and dampening 0).
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "sgd"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "momentum": non_negative("Invalid momentum value"),
        "dampening": None,
        "weight_decay": non_negative("Invalid weight_decay value"),
        "nesterov": _check_nesterov,
        "maximize": None,
    }
    state_slots = (StateSlot("momentum_buffer", when=lambda group: group["momentum"] != 0),)
    keeps_step = False  # PyTorch's SGD keeps only the momentum buffer, seeded by the first gradient

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        momentum: float = 0,
        dampening: float = 0,
        weight_decay: float = 0,
        nesterov: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
