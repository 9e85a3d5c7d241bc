"""RAdam: Adam with a rectified adaptive learning rate (plain momentum SGD while the variance is unreliable)."""

from pygrad.optim.adam import _check_adam_args
from pygrad.optim.optimizer import Optimizer


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

    _kind = "radam"

    def __init__(
        self,
        params,
        lr=1e-3,
        betas=(0.9, 0.999),
        eps=1e-8,
        weight_decay=0,
        decoupled_weight_decay=False,
        *,
        maximize=False,
    ):
        _check_adam_args(lr, betas, eps, weight_decay)
        defaults = {
            "lr": lr,
            "betas": tuple(betas),
            "eps": eps,
            "weight_decay": weight_decay,
            "decoupled_weight_decay": decoupled_weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group, params, grads):
        beta1, beta2 = group["betas"]
        self._fused_step(
            group,
            params,
            grads,
            ["exp_avg", "exp_avg_sq"],
            {
                "lr": group["lr"],
                "beta1": beta1,
                "beta2": beta2,
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
                "decoupled_weight_decay": group["decoupled_weight_decay"],
                "maximize": group["maximize"],
            },
        )
