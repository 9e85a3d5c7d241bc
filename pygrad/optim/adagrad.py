"""Adagrad: per-element learning rates from the running sum of squared gradients."""

from pygrad.optim.optimizer import Optimizer


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

    _kind = "adagrad"

    def __init__(
        self,
        params,
        lr=1e-2,
        lr_decay=0,
        weight_decay=0,
        initial_accumulator_value=0,
        eps=1e-10,
        *,
        maximize=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if lr_decay < 0.0:
            raise ValueError(f"Invalid lr_decay value: {lr_decay}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if initial_accumulator_value < 0.0:
            raise ValueError(
                f"Invalid initial_accumulator_value value: {initial_accumulator_value}"
            )
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        defaults = {
            "lr": lr,
            "lr_decay": lr_decay,
            "eps": eps,
            "weight_decay": weight_decay,
            "initial_accumulator_value": initial_accumulator_value,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group, params, grads):
        self._fused_step(
            group,
            params,
            grads,
            ["sum"],
            {
                "lr": group["lr"],
                "lr_decay": group["lr_decay"],
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
                "maximize": group["maximize"],
            },
            init=float(group["initial_accumulator_value"]),
        )
