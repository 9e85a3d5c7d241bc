"""RMSprop, with optional momentum and the centered variant."""

from pygrad.optim.optimizer import Optimizer


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

    _kind = "rmsprop"

    def __init__(
        self,
        params,
        lr=1e-2,
        alpha=0.99,
        eps=1e-8,
        weight_decay=0,
        momentum=0,
        centered=False,
        *,
        maximize=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if eps < 0.0:
            raise ValueError(f"Invalid epsilon value: {eps}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if alpha < 0.0:
            raise ValueError(f"Invalid alpha value: {alpha}")
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

    def _step_group(self, group, params, grads):
        slots = [
            "square_avg",
            "momentum_buffer" if group["momentum"] > 0 else None,
            "grad_avg" if group["centered"] else None,
        ]
        self._fused_step(
            group,
            params,
            grads,
            slots,
            {
                "lr": group["lr"],
                "alpha": group["alpha"],
                "eps": group["eps"],
                "weight_decay": group["weight_decay"],
                "momentum": group["momentum"],
                "centered": group["centered"],
                "maximize": group["maximize"],
            },
        )
