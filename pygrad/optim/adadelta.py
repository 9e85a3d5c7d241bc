"""Adadelta: step sizes from running averages of squared gradients and squared updates."""

from pygrad.optim.optimizer import Optimizer


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

    _kind = "adadelta"

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not 0.0 <= rho <= 1.0:
            raise ValueError(f"Invalid rho value: {rho}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "rho": rho,
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group, params, grads):
        self._fused_step(
            group,
            params,
            grads,
            ["square_avg", "acc_delta"],
            {
                "lr": group["lr"],
                "rho": group["rho"],
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
                "maximize": group["maximize"],
            },
        )
