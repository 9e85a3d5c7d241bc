"""Stochastic gradient descent with momentum, dampening, Nesterov momentum and weight decay."""

from pygrad import _C
from pygrad._factories import zeros_like
from pygrad.optim.optimizer import Optimizer


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

    _kind = "sgd"

    def __init__(
        self,
        params,
        lr=1e-3,
        momentum=0,
        dampening=0,
        weight_decay=0,
        nesterov=False,
        *,
        maximize=False,
    ):
        if lr < 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if momentum < 0.0:
            raise ValueError(f"Invalid momentum value: {momentum}")
        if weight_decay < 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        defaults = {
            "lr": lr,
            "momentum": momentum,
            "dampening": dampening,
            "weight_decay": weight_decay,
            "nesterov": nesterov,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def _step_group(self, group, params, grads):
        # PyTorch's SGD keeps no step count: only a momentum buffer, created from the first gradient.
        momentum = group["momentum"]
        buffers, steps = [], []
        if momentum == 0:
            steps = [1] * len(params)
        else:
            all_state = self.state
            for p in params:
                state = all_state.get(p)
                if state is None:
                    state = all_state[p] = {}
                buffer = state.get("momentum_buffer")
                steps.append(2 if buffer is not None else 1)
                if buffer is None:
                    buffer = state["momentum_buffer"] = zeros_like(p)
                buffers.append(buffer)
        _C._optimizer_step(
            "sgd",
            params,
            grads,
            [buffers],
            steps,
            [],
            lr=group["lr"],
            weight_decay=group["weight_decay"],
            momentum=momentum,
            dampening=group["dampening"],
            nesterov=group["nesterov"],
            maximize=group["maximize"],
        )
