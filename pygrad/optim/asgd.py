"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging in ``state["ax"]``)."""

from __future__ import annotations

import struct
from collections.abc import Callable
from typing import Any

from pygrad._factories import zeros_like
from pygrad._grad_mode import enable_grad, no_grad
from pygrad.optim.optimizer import Optimizer, ParamsT, StateSlot

__all__ = ["ASGD"]


def _float32(value: float) -> float:
    # torch keeps eta and mu in 0-d float32 tensors (the default dtype): round alike.
    return float(struct.unpack("f", struct.pack("f", value))[0])


class ASGD(Optimizer):
    """ASGD with PyTorch's update rule and state (``step``, ``eta``, ``mu``, ``ax``).

    The step decays as ``eta = lr / (1 + lambd * lr * step) ** alpha``; from step ``t0`` on,
    ``ax`` averages the iterates (before it, ``ax`` tracks the parameter).

    Args:
        params: parameters or parameter groups.
        lr: learning rate.
        lambd: decay term.
        alpha: power of the eta update.
        t0: the step at which averaging starts.
        weight_decay: L2 penalty added to the gradient.
        maximize: maximize the objective instead of minimizing it.
    """

    # Scalar state: numbers here, 0-d tensors in torch (load_state_dict converts them).
    state_slots = (StateSlot("eta", scalar=True), StateSlot("mu", scalar=True), StateSlot("ax"))

    def __init__(
        self,
        params: ParamsT,
        lr: float = 1e-2,
        lambd: float = 1e-4,
        alpha: float = 0.75,
        t0: float = 1e6,
        weight_decay: float = 0,
        *,
        maximize: bool = False,
    ) -> None:
        if not lr >= 0.0:
            raise ValueError(f"Invalid learning rate: {lr}")
        if not weight_decay >= 0.0:
            raise ValueError(f"Invalid weight_decay value: {weight_decay}")
        defaults = {
            "lr": lr,
            "lambd": lambd,
            "alpha": alpha,
            "t0": t0,
            "weight_decay": weight_decay,
            "maximize": maximize,
        }
        super().__init__(params, defaults)

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one ASGD step over every parameter that has a gradient.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                lr, lambd, alpha = float(group["lr"]), group["lambd"], group["alpha"]
                weight_decay = group["weight_decay"]
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    state = self.state.setdefault(p, {})
                    if not state:
                        state["step"] = 0
                        state["eta"] = _float32(lr)
                        state["mu"] = 1.0
                        state["ax"] = zeros_like(p)
                    if group["maximize"]:
                        grad = -grad
                    state["step"] += 1
                    step = state["step"]
                    if weight_decay != 0:
                        grad = grad + p * weight_decay
                    eta, mu = state["eta"], state["mu"]
                    p.mul_(1 - lambd * eta)
                    p.add_(grad, alpha=-eta)
                    ax = state["ax"]
                    if mu != 1:
                        ax.add_((p - ax).mul_(mu))
                    else:
                        ax.copy_(p)
                    state["eta"] = _float32(lr / (1 + lambd * lr * step) ** alpha)
                    state["mu"] = _float32(1 / max(1, step - group["t0"]))
        return loss
