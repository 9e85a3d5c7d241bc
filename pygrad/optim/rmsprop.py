"""RMSprop, with optional momentum and the centered variant."""

from __future__ import annotations

from typing import ClassVar

from pygrad.optim.optimizer import HyperParameters, Optimizer, ParamsT, StateSlot, non_negative

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        alpha: smoothing constant of the squared-gradient average.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient.
        momentum: momentum factor.
        centered: normalise by an estimate of the gradient's variance instead of its second moment.
        maximize: maximize the objective instead of minimizing it.
    """

    fused_update = "rmsprop"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "eps": non_negative("Invalid epsilon value"),
        "momentum": non_negative("Invalid momentum value"),
        "weight_decay": non_negative("Invalid weight_decay value"),
        "alpha": non_negative("Invalid alpha value"),
        "centered": None,
        "maximize": None,
    }
    state_slots = (
        StateSlot("square_avg"),
        StateSlot("momentum_buffer", when=lambda group: group["momentum"] > 0),
        StateSlot("grad_avg", when=lambda group: bool(group["centered"])),
    )

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        alpha: float = 0.99,
        eps: float = 1e-8,
        weight_decay: float = 0,
        momentum: float = 0,
        centered: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "alpha": alpha,
            "eps": eps,
            "weight_decay": weight_decay,
            "momentum": momentum,
            "centered": centered,
            "maximize": maximize,
        }
        super().__init__(params, defaults)
