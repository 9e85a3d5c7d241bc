"""Adam and AdamW (decoupled weight decay), both with the AMSGrad variant."""

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

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam with PyTorch's update rule.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: L2 penalty added to the gradient (decoupled from it with
            ``decoupled_weight_decay=True``, which is AdamW).
        amsgrad: use the running maximum of the second moment (AMSGrad).
        maximize: maximize the objective instead of minimizing it.
        decoupled_weight_decay: decay the weights directly, as AdamW does.
    """

    fused_update = "adam"
    hyper_parameters: ClassVar[HyperParameters] = {
        "lr": non_negative("Invalid learning rate"),
        "eps": non_negative("Invalid epsilon value"),
        "betas": betas_in_unit_interval,
        "weight_decay": non_negative("Invalid weight_decay value"),
        "amsgrad": None,
        "maximize": None,
        "decoupled_weight_decay": None,
    }
    state_slots = (
        StateSlot("exp_avg"),
        StateSlot("exp_avg_sq"),
        StateSlot("max_exp_avg_sq", when=lambda group: bool(group["amsgrad"])),
    )

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
        decoupled_weight_decay: bool = False,
    ) -> None:
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "amsgrad": amsgrad,
            "maximize": maximize,
            "decoupled_weight_decay": decoupled_weight_decay,
        }
        super().__init__(params, defaults)


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov and Hutter); weight_decay defaults to 1e-2.

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        betas: decay rates of the first and second moment averages.
        eps: added to the denominator for numerical stability.
        weight_decay: decoupled weight decay: each step scales the weights by
            ``1 - lr * weight_decay``.
        amsgrad: use the running maximum of the second moment (AMSGrad).
        maximize: maximize the objective instead of minimizing it.
    """

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 1e-2,
        amsgrad: bool = False,
        *,
        maximize: bool = False,
    ) -> None:
        super().__init__(
            params,
            lr=lr,
            betas=betas,
            eps=eps,
            weight_decay=weight_decay,
            amsgrad=amsgrad,
            maximize=maximize,
            decoupled_weight_decay=True,
        )
