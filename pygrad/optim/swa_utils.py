"""Weight averaging, as torch.optim.swa_utils: AveragedModel (SWA and EMA averages of a model's
parameters), the SWALR schedule and update_bn (recomputes batch-norm statistics for the average).
"""

from __future__ import annotations

import copy
import math
import struct
from collections.abc import Callable, Iterable
from itertools import chain
from typing import Any, Union

from pygrad import _C
from pygrad._dtype_info import is_floating_point
from pygrad._factories import tensor
from pygrad._grad_mode import no_grad
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import _BatchNorm
from pygrad.nn.modules.normalization_extra import _InstanceNorm
from pygrad.optim.lr_scheduler import LRScheduler, _per_group
from pygrad.optim.optimizer import Optimizer

__all__ = [
    "SWALR",
    "AveragedModel",
    "get_ema_avg_fn",
    "get_ema_multi_avg_fn",
    "get_swa_avg_fn",
    "get_swa_multi_avg_fn",
    "update_bn",
]

Tensor = _C.Tensor
# The number of models averaged so far, as handed to an averaging function: a 0-d int64 tensor.
Count = Union[Tensor, int]
AvgFn = Callable[[Tensor, Tensor, Count], Tensor]
MultiAvgFn = Callable[[list[Tensor], list[Tensor], Count], None]


def _check_decay(decay: float) -> None:
    if decay < 0.0 or decay > 1.0:
        raise ValueError(
            f"Invalid decay value {decay} provided. Please provide a value in [0,1] range."
        )


def get_ema_multi_avg_fn(decay: float = 0.999) -> MultiAvgFn:
    """An in-place exponential moving average over lists of tensors: ema = lerp(ema, new, 1-decay).

    Args:
        decay: the weight kept by the average, in [0, 1].

    Returns:
        A function ``(ema_params, current_params, num_averaged)`` updating ``ema_params``.
    """
    _check_decay(decay)

    def ema_update(ema_params: list[Tensor], current_params: list[Tensor], _: Count) -> None:
        with no_grad():
            if is_floating_point(ema_params[0]):
                for ema, current in zip(ema_params, current_params):
                    ema.lerp_(current, 1 - decay)
            else:
                for ema, current in zip(ema_params, current_params):
                    ema.copy_(ema * decay + current * (1 - decay))

    return ema_update


def get_swa_multi_avg_fn() -> MultiAvgFn:
    """An in-place running mean over lists of tensors (stochastic weight averaging).

    Returns:
        A function ``(averaged_params, current_params, num_averaged)`` updating
        ``averaged_params`` to the mean of ``num_averaged + 1`` models.
    """

    def swa_update(averaged: list[Tensor], current: list[Tensor], num_averaged: Count) -> None:
        n = int(num_averaged.item()) if isinstance(num_averaged, Tensor) else int(num_averaged)
        weight = 1 / (n + 1)
        if isinstance(num_averaged, Tensor):
            # torch divides by the int64 count tensor, which gives a float32 weight: round alike.
            weight = struct.unpack("f", struct.pack("f", weight))[0]
        with no_grad():
            if is_floating_point(averaged[0]):
                for avg, new in zip(averaged, current):
                    avg.lerp_(new, weight)
            else:
                for avg, new in zip(averaged, current):
                    avg.copy_(avg + (new - avg) / (n + 1))

    return swa_update


def get_ema_avg_fn(decay: float = 0.999) -> AvgFn:
    """The exponential moving average of one tensor: ``decay * ema + (1 - decay) * new``.

    Args:
        decay: the weight kept by the average, in [0, 1].

    Returns:
        A function ``(ema_param, current_param, num_averaged)`` returning the new average.
    """
    _check_decay(decay)

    def ema_update(ema_param: Tensor, current_param: Tensor, num_averaged: Count) -> Tensor:
        with no_grad():
            return decay * ema_param + (1 - decay) * current_param

    return ema_update


def get_swa_avg_fn() -> AvgFn:
    """The running mean of one tensor: ``avg + (new - avg) / (num_averaged + 1)``.

    Returns:
        A function ``(averaged_param, current_param, num_averaged)`` returning the new mean.
    """

    def swa_update(averaged_param: Tensor, current_param: Tensor, num_averaged: Count) -> Tensor:
        with no_grad():
            return averaged_param + (current_param - averaged_param) / (num_averaged + 1)

    return swa_update


class AveragedModel(Module):
    """A copy of a model whose parameters are an average of the model's over time.

    ``update_parameters(model)`` folds the model's current parameters into the average (the first
    call copies them); by default the average is the running mean (SWA), else ``avg_fn`` (per
    tensor, returning the new value) or ``multi_avg_fn`` (in place, on lists of one dtype).
    ``n_averaged`` (an int64 buffer) counts the models averaged.

    Args:
        model: the model to average (deep-copied).
        device: where to put the copy (None: where the model is).
        avg_fn: ``(averaged, current, n_averaged) -> new averaged`` for one tensor.
        multi_avg_fn: ``(averaged list, current list, n_averaged)``, updating in place.
        use_buffers: average the buffers too (else they are copied from the model each update).
    """

    def __init__(
        self,
        model: Module,
        device: Any = None,
        avg_fn: AvgFn | None = None,
        multi_avg_fn: MultiAvgFn | None = None,
        use_buffers: bool = False,
    ) -> None:
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise AssertionError("Only one of avg_fn and multi_avg_fn should be provided")
        # A deep copy: its parameters and buffers become the average's own.
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module = self.module.to(device)
        self.register_buffer("n_averaged", tensor(0, dtype=_C.int64))
        self.avg_fn = avg_fn
        self.multi_avg_fn = multi_avg_fn
        self.use_buffers = use_buffers

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        """Runs the averaged copy of the model."""
        return self.module(*args, **kwargs)

    def update_parameters(self, model: Module) -> None:
        """Folds ``model``'s current parameters (and buffers, with use_buffers) into the average.

        Args:
            model: the model being trained (same structure as the averaged one).
        """
        with no_grad():
            self._update(model)

    def _update(self, model: Module) -> None:
        if self.use_buffers:
            mine: Iterable[Tensor] = chain(self.module.parameters(), self.module.buffers())
            theirs: Iterable[Tensor] = chain(model.parameters(), model.buffers())
        else:
            mine, theirs = self.parameters(), model.parameters()
        averaged, current = [], []
        first = int(self.n_averaged.item()) == 0
        for p_avg, p_model in zip(mine, theirs):
            p_avg = p_avg.detach()
            new = p_model.detach()
            averaged.append(p_avg)
            current.append(new)
            if first:
                p_avg.copy_(new)
        if not first:
            if self.multi_avg_fn is not None or self.avg_fn is None:
                # As torch: one call per dtype, on the lists of that dtype.
                groups: dict[Any, tuple[list[Tensor], list[Tensor]]] = {}
                for p_avg, new in zip(averaged, current):
                    mine_list, theirs_list = groups.setdefault(p_avg.dtype, ([], []))
                    mine_list.append(p_avg)
                    theirs_list.append(new)
                for mine_list, theirs_list in groups.values():
                    if self.multi_avg_fn is not None:
                        self.multi_avg_fn(mine_list, theirs_list, self.n_averaged)
                    else:
                        swa = get_swa_avg_fn()
                        for p_avg, new in zip(mine_list, theirs_list):
                            p_avg.copy_(swa(p_avg, new, self.n_averaged))
            else:
                for p_avg, new in zip(averaged, current):
                    p_avg.copy_(self.avg_fn(p_avg, new, self.n_averaged))
        if not self.use_buffers:
            for b_avg, b_model in zip(self.module.buffers(), model.buffers()):
                b_avg.detach().copy_(b_model.detach())
        self.n_averaged.add_(1)


def update_bn(loader: Iterable[Any], model: Module, device: Any = None) -> None:
    """Recomputes the batch-norm running statistics of ``model`` with one pass over ``loader``.

    Each batch-norm layer's statistics are reset and then accumulated as a plain average over the
    batches (momentum None for the pass; restored after). Instance norms are left alone, as torch.

    Args:
        loader: batches; a list or tuple batch contributes its first element.
        model: the model (e.g. an AveragedModel) to run in training mode.
        device: where to move each batch first (None: as it is).
    """
    with no_grad():
        momenta = {}
        for module in model.modules():
            if isinstance(module, _BatchNorm) and not isinstance(module, _InstanceNorm):
                module.reset_running_stats()
                momenta[module] = module.momentum
        if not momenta:
            return
        was_training = model.training
        model.train()
        for module in momenta:
            module.momentum = None
        for batch in loader:
            if isinstance(batch, (list, tuple)):
                batch = batch[0]
            if device is not None:
                batch = batch.to(device)
            model(batch)
        for module, momentum in momenta.items():
            module.momentum = momentum
        model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's rate to ``swa_lr`` over ``anneal_epochs`` epochs, then holds it.

    Args:
        optimizer: the optimizer whose rates to set.
        swa_lr: the rate annealed to (one value or one per group).
        anneal_epochs: epochs of the annealing (0: switch at once).
        anneal_strategy: "cos" or "linear".
        last_epoch: index of the last epoch seen; -1 starts fresh.
    """

    def __init__(
        self,
        optimizer: Optimizer,
        swa_lr: float | list[float],
        anneal_epochs: int = 10,
        anneal_strategy: str = "cos",
        last_epoch: int = -1,
    ) -> None:
        for rate, group in zip(_per_group("swa_lr", optimizer, swa_lr), optimizer.param_groups):
            group["swa_lr"] = rate
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(
                f"anneal_strategy must be one of 'cos' or 'linear', instead got {anneal_strategy}"
            )
        self._set_anneal_func(anneal_strategy)
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"anneal_epochs must be equal or greater than 0, got {anneal_epochs}")
        self.anneal_epochs = anneal_epochs
        super().__init__(optimizer, last_epoch)

    @staticmethod
    def _linear_anneal(t: float) -> float:
        return t

    @staticmethod
    def _cosine_anneal(t: float) -> float:
        return (1 - math.cos(math.pi * t)) / 2

    @staticmethod
    def _get_initial_lr(lr: float, swa_lr: float, alpha: float) -> float:
        # Inverts lr = alpha * swa_lr + (1 - alpha) * start: the rate the annealing started from.
        if alpha == 1:
            return swa_lr
        return (lr - alpha * swa_lr) / (1 - alpha)

    def _set_anneal_func(self, anneal_strategy: str) -> None:
        self._anneal_strategy = anneal_strategy
        self.anneal_func: Callable[[float], float] = (
            self._cosine_anneal if anneal_strategy == "cos" else self._linear_anneal
        )

    def get_lr(self) -> list[float]:
        step = self._step_count - 1
        if self.anneal_epochs == 0:
            step = max(1, step)
        groups = self.optimizer.param_groups
        prev_t = max(0, min(1, (step - 1) / max(1, self.anneal_epochs)))
        prev_alpha = self.anneal_func(prev_t)
        starts = [self._get_initial_lr(g["lr"], g["swa_lr"], prev_alpha) for g in groups]
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        alpha = self.anneal_func(t)
        return [g["swa_lr"] * alpha + lr * (1 - alpha) for g, lr in zip(groups, starts)]

    def state_dict(self) -> dict[str, Any]:
        """The scheduler's state without the annealing function.

        Returns:
            Every attribute except the optimizer and ``anneal_func``.
        """
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "anneal_func")}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restores the attributes saved by :meth:`state_dict`.

        Args:
            state_dict: the scheduler state from :meth:`state_dict`.
        """
        self.__dict__.update(state_dict)
        self._set_anneal_func(self._anneal_strategy)
