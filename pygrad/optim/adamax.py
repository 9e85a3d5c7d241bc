"""Adamax: Adam with the infinity norm in place of the second moment."""

from pygrad.optim.adam import _check_adam_args
from pygrad.optim.optimizer import Optimizer


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

    _kind = "adamax"

    def __init__(
        self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *, maximize=False
    ):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group, params, grads):
        beta1, beta2 = group["betas"]
        self._fused_step(
            group,
            params,
            grads,
            ["exp_avg", "exp_inf"],
            {
                "lr": group["lr"],
                "beta1": beta1,
                "beta2": beta2,
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
                "maximize": group["maximize"],
            },
        )
