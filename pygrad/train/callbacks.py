"""Callbacks of the fit loop: EarlyStopping, ModelCheckpoint, History, LearningRateMonitor,
GradientMonitor."""

from __future__ import annotations

import collections
import math
import os
import sys
import warnings
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Union

from pygrad import io

if TYPE_CHECKING:
    from pygrad._C import Tensor
    from pygrad.nn.modules.module import Module

__all__ = [
    "Callback",
    "CallbackList",
    "EarlyStopping",
    "GradientMonitor",
    "History",
    "LearningRateMonitor",
    "ModelCheckpoint",
]


# What fit passes to the epoch hooks: the loss, metrics, val_* and lr of the epoch.
_Logs = dict[str, Any]
# A number, or a one-element tensor.
_Scalar = Union[float, "Tensor"]


def _scalar(value: _Scalar) -> float:
    """A Python float from a number or a one-element tensor."""
    item = getattr(value, "item", None)
    return float(item() if callable(item) else value)


def _copy_state(model: Module) -> dict[str, Tensor]:
    """A deep copy of the model's state dict (tensors cloned, detached from the graph)."""
    return collections.OrderedDict((k, v.detach().clone()) for k, v in model.state_dict().items())


def _process_group() -> Any:
    """``pygrad.distributed`` when a process group of more than one rank is initialised, else None.

    Looked up in sys.modules: a script that never imported pygrad.distributed has no group, and
    this must not import it (nor mpi4py).
    """
    dist = sys.modules.get("pygrad.distributed")
    if dist is None or not dist.is_initialized() or dist.get_world_size() == 1:
        return None
    return dist


def _is_rank_zero() -> bool:
    """True in a single process and on rank 0 of a process group: the rank that writes files."""
    dist = _process_group()
    return dist is None or dist.get_rank() == 0


def _resolve_mode(mode: str, monitor: str, who: str) -> str:
    if mode not in ("auto", "min", "max"):
        raise ValueError(f"[{who}] mode must be 'auto', 'min' or 'max', got {mode!r}")
    if mode != "auto":
        return mode
    # Keras's rule: accuracy-like quantities grow, everything else (losses, errors) shrinks.
    name = monitor.lower()
    return "max" if ("acc" in name or name.endswith("auc")) else "min"


class Callback:
    """Base class of the hooks that ``fit`` calls; override the ones you need.

    ``fit`` sets ``self.model`` and ``self.optimizer`` before ``on_train_begin``. Setting
    ``self.stop_training = True`` ends training after the current epoch.
    """

    model: Any = None  # the Module being trained
    optimizer: Any = None  # its optimizer (pygrad.optim or anything with param_groups)
    stop_training: bool = False

    def set_model(self, model: Any) -> None:
        """Called by ``fit`` with the model before training."""
        self.model = model

    def set_optimizer(self, optimizer: Any) -> None:
        """Called by ``fit`` with the optimizer before training."""
        self.optimizer = optimizer

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        """Called once before the first epoch."""

    def on_train_end(self, logs: _Logs | None = None) -> None:
        """Called once after the last epoch (also after an early stop)."""

    def on_epoch_begin(self, epoch: int, logs: _Logs | None = None) -> None:
        """Called before each epoch (epoch counts from 0)."""

    def on_epoch_end(self, epoch: int, logs: _Logs | None = None) -> None:
        """Called after each epoch with its logs: loss, metrics, val_* and lr."""

    def on_batch_begin(self, batch: int, logs: _Logs | None = None) -> None:
        """Called before each training batch."""

    def on_batch_end(self, batch: int, logs: _Logs | None = None) -> None:
        """Called after each training batch (after the optimizer step) with the batch's loss."""

    def on_after_backward(self, model: Any) -> None:
        """Called after each backward pass, before the optimizer step: gradients are in .grad."""


class CallbackList(Callback):
    """Calls each hook on every callback, in order; stops when one of them asks to."""

    def __init__(self, callbacks: Iterable[Callback] = ()) -> None:
        self.callbacks = list(callbacks)

    def set_model(self, model: Any) -> None:
        """Hands the model to every callback."""
        for cb in self.callbacks:
            cb.set_model(model)

    def set_optimizer(self, optimizer: Any) -> None:
        """Hands the optimizer to every callback."""
        for cb in self.callbacks:
            cb.set_optimizer(optimizer)

    @property
    def stop_training(self) -> bool:
        """True when some callback asked to stop; setting it sets every callback's flag."""
        return any(getattr(cb, "stop_training", False) for cb in self.callbacks)

    @stop_training.setter
    def stop_training(self, value: bool) -> None:
        for cb in self.callbacks:
            cb.stop_training = value

    def _call(self, hook: str, *args: Any) -> None:
        for cb in self.callbacks:
            getattr(cb, hook)(*args)

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        self._call("on_train_begin", logs)

    def on_train_end(self, logs: _Logs | None = None) -> None:
        self._call("on_train_end", logs)

    def on_epoch_begin(self, epoch: int, logs: _Logs | None = None) -> None:
        self._call("on_epoch_begin", epoch, logs)

    def on_epoch_end(self, epoch: int, logs: _Logs | None = None) -> None:
        self._call("on_epoch_end", epoch, logs)

    def on_batch_begin(self, batch: int, logs: _Logs | None = None) -> None:
        self._call("on_batch_begin", batch, logs)

    def on_batch_end(self, batch: int, logs: _Logs | None = None) -> None:
        self._call("on_batch_end", batch, logs)

    def on_after_backward(self, model: Any) -> None:
        self._call("on_after_backward", model)


class EarlyStopping(Callback):
    """Stops training when a monitored quantity has stopped improving (Keras's semantics).

    Each epoch from ``start_from_epoch`` on, the value is compared with the best so far: it improves
    when it beats the best by more than ``min_delta`` (lower for mode "min", higher for "max").
    ``wait`` counts the epochs since the last improvement; once ``wait >= patience`` (and past
    epoch 0), training stops. With a ``baseline``, an improvement resets ``wait`` only when it also
    beats the baseline. With ``restore_best_weights``, the model gets back the weights of its best
    epoch at the end of training, whether patience ran out or the epochs did.

    Two ways to use it::

        fit(model, loss_fn, opt, train, val, epochs=100, callbacks=[EarlyStopping(patience=5)])

        stopper = EarlyStopping(patience=5, restore_best_weights=True)
        for epoch in range(100):
            ...
            if stopper.step(val_loss, model):   # restores the best weights when it says stop
                break
        stopper.finish(model)                   # restores them when the epochs ran out first

    Args:
        monitor: the logs key to watch ("val_loss", "val_accuracy", "loss", ...).
        min_delta: the smallest change that counts as an improvement (its sign is ignored).
        patience: epochs without improvement after which training stops.
        mode: "min", "max" or "auto" ("max" when the name contains "acc" or ends with "auc",
            else "min"); an unknown mode raises ValueError (Keras warns and falls back to "auto").
        baseline: a value the monitored quantity must beat for ``wait`` to reset.
        restore_best_weights: restore the best epoch's weights when training ends.
        start_from_epoch: epochs to ignore at the start (a warm-up).
        verbose: print when it stops and when it restores weights.
    Attributes:
        best, best_epoch, wait, stopped_epoch (0 when it never stopped), best_weights.
    """

    best_weights: dict[str, Tensor] | None

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0,
        patience: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
        verbose: bool = False,
    ) -> None:
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.baseline = baseline
        self.restore_best_weights = restore_best_weights
        self.start_from_epoch = start_from_epoch
        self.mode = _resolve_mode(mode, monitor, "EarlyStopping")
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self._epoch = 0
        self.reset()

    def reset(self) -> None:
        """Forgets everything seen so far (``fit`` does this at the start of each run)."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = 0
        self.best_weights = None
        self.stop_training = False
        self._epoch = 0
        self._ended = False

    def _is_improvement(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value - self.min_delta < reference
        return value - self.min_delta > reference

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        self.reset()

    def on_epoch_end(self, epoch: int, logs: _Logs | None = None) -> None:
        logs = logs or {}
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"EarlyStopping conditioned on {self.monitor!r}, which is not in the logs; available "
                f"are {sorted(logs)}",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        current = _scalar(value)
        if epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            # Until something improves, the weights at hand are the best ones known.
            self.best_weights = _copy_state(self.model)
            self.best_epoch = epoch
        self.wait += 1
        if self._is_improvement(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = _copy_state(self.model)
            if self.baseline is None or self._is_improvement(current, self.baseline):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.stop_training = True

    def on_train_end(self, logs: _Logs | None = None) -> None:
        if self._ended:  # a hand-written loop may end twice: step() said stop, then finish()
            return
        self._ended = True
        verbose = self.verbose and _is_rank_zero()  # one message per job, not one per rank
        if self.stopped_epoch > 0 and verbose:
            print(f"Epoch {self.stopped_epoch + 1}: early stopping")
        if self.restore_best_weights and self.best_weights is not None:
            if verbose:
                print(
                    f"Restoring model weights from the end of the best epoch: {self.best_epoch + 1}."
                )
            self.model.load_state_dict(self.best_weights)

    def step(self, value: _Scalar, model: Module | None = None) -> bool:
        """One epoch of a hand-written loop: records ``value``; returns True when training should stop.

        When it returns True and ``restore_best_weights`` is set, the best weights are already back
        in the model. Call ``finish(model)`` after the loop to restore them when the epochs ran out
        first.
        """
        if model is not None:
            self.model = model
        if self.restore_best_weights and self.model is None:
            raise ValueError(
                "[EarlyStopping] restore_best_weights needs the model: step(value, model)"
            )
        if self._epoch == 0:
            self.reset()
        self.on_epoch_end(self._epoch, {self.monitor: value})
        self._epoch += 1
        if self.stop_training:
            self.on_train_end()
        return self.stop_training

    def finish(self, model: Module | None = None) -> None:
        """Ends a hand-written loop: restores the best weights (when asked to) if not done yet."""
        if model is not None:
            self.model = model
        self.on_train_end()
        self._epoch = 0


class ModelCheckpoint(Callback):
    """Saves the model's state dict with ``pygrad.save`` during ``fit``.

    ``path`` may hold ``str.format`` fields filled from the epoch (counted from 1) and the logs, e.g.
    ``"ckpt/epoch{epoch:03d}-{val_loss:.3f}.safetensors"``. When ``save_every`` is given, it saves
    every that many epochs; otherwise, with ``save_best_only`` (the default), only when the monitored
    quantity improves; otherwise after every epoch.

    Args:
        path: where to write.
        monitor: the logs key that decides which epoch is the best.
        mode: "min", "max" or "auto" (as in EarlyStopping).
        save_best_only: save only when the monitored quantity improves.
        save_every: save every N epochs (regardless of the monitored quantity).
        include_optimizer: save ``{"model": ..., "optimizer": ..., "epoch": ...}`` instead of only
            the model's state dict.
    Attributes:
        best: the best monitored value so far; last_path: the last file written.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        monitor: str = "val_loss",
        mode: str = "auto",
        save_best_only: bool = True,
        save_every: int | None = None,
        include_optimizer: bool = False,
        verbose: bool = False,
    ) -> None:
        if save_every is not None and (not isinstance(save_every, int) or save_every < 1):
            raise ValueError(
                f"[ModelCheckpoint] save_every must be a positive int, got {save_every!r}"
            )
        self.path = path
        self.monitor = monitor
        self.mode = _resolve_mode(mode, monitor, "ModelCheckpoint")
        self.save_best_only = save_best_only
        self.save_every = save_every
        self.include_optimizer = include_optimizer
        self.verbose = verbose
        self.best: float | None = None
        self.last_path: str | None = None

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        self.best = None

    def _better(self, value: float) -> bool:
        if self.best is None:
            return not math.isnan(value)
        return value < self.best if self.mode == "min" else value > self.best

    def on_epoch_end(self, epoch: int, logs: _Logs | None = None) -> None:
        logs = logs or {}
        if self.save_every is not None:
            if (epoch + 1) % self.save_every == 0:
                self._save(epoch, logs)
            return
        if not self.save_best_only:
            self._save(epoch, logs)
            return
        value = logs.get(self.monitor)
        if value is None:
            warnings.warn(
                f"ModelCheckpoint conditioned on {self.monitor!r}, which is not in the logs; available "
                f"are {sorted(logs)}",
                RuntimeWarning,
                stacklevel=2,
            )
            return
        current = _scalar(value)
        if self._better(current):
            self.best = current
            self._save(epoch, logs)

    def _save(self, epoch: int, logs: _Logs) -> None:
        path = os.fspath(self.path)
        if "{" in path:
            path = path.format(epoch=epoch + 1, **{k: v for k, v in logs.items() if k != "epoch"})
        dist = _process_group()
        if dist is not None:
            # Under a process group the model is the same on every rank: rank 0 writes, the others
            # wait at a barrier so that the file exists for everyone once fit goes on.
            if dist.get_rank() == 0:
                self._write(path, epoch)
            dist.barrier()
            self.last_path = path
            return
        self._write(path, epoch)
        self.last_path = path

    def _write(self, path: str, epoch: int) -> None:
        folder = os.path.dirname(path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        obj: dict[str, Any] = self.model.state_dict()
        if self.include_optimizer:
            obj = {"model": obj, "epoch": epoch + 1}
            if self.optimizer is not None:
                obj["optimizer"] = self.optimizer.state_dict()
        io.save(obj, path)
        if self.verbose:
            print(f"Epoch {epoch + 1}: saved checkpoint to {path}")


class History(Callback):
    """Records the logs of every epoch: ``history["loss"]``, ``history["val_accuracy"]``, ...

    ``fit`` returns one. ``epoch`` lists the epochs (from 0) that were recorded.
    """

    def __init__(self) -> None:
        self.history: dict[str, list[Any]] = {}
        self.epoch: list[int] = []

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        self.epoch = []

    def on_epoch_end(self, epoch: int, logs: _Logs | None = None) -> None:
        self.epoch.append(epoch)
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(v)

    def __getitem__(self, key: str) -> list[Any]:
        return self.history[key]

    def __repr__(self) -> str:
        return f"History(epochs={len(self.epoch)}, keys={list(self.history)})"

    def plot(self, path: str | os.PathLike[str]) -> str:
        """Writes a PNG with one panel per quantity (loss, accuracy, ...), training and validation curves.

        Under a process group only rank 0 writes (the others return the path at once).

        Returns:
            The path written.
        Raises:
            ImportError: matplotlib is not installed (``pip install matplotlib`` or ``pygrad[plot]``).
        """
        from pygrad.train._plotting import new_figure, save_figure

        if not _is_rank_zero():
            return os.fspath(path)
        names = [k for k in self.history if not k.startswith("val_") and k != "lr"]
        names += [k[4:] for k in self.history if k.startswith("val_") and k[4:] not in names]
        if "lr" in self.history:
            names.append("lr")
        figure, axes = new_figure(max(len(names), 1), "History.plot")
        epochs = [e + 1 for e in self.epoch] or None
        for ax, name in zip(axes, names):
            for key, label in (
                (name, "train" if name != "lr" else "lr"),
                ("val_" + name, "validation"),
            ):
                if key in self.history:
                    values = self.history[key]
                    xs = (
                        epochs
                        if epochs and len(epochs) == len(values)
                        else list(range(1, len(values) + 1))
                    )
                    ax.plot(xs, values, marker="o", markersize=3, label=label)
            if name == "lr":
                ax.set_yscale("log")
            ax.set_title(name)
            ax.set_xlabel("epoch")
            ax.grid(True, alpha=0.3)
            ax.legend()
        return save_figure(figure, path)


class LearningRateMonitor(Callback):
    """Records the learning rate of each parameter group, per epoch or per step.

    Args:
        logging_interval: "epoch" (at the start of each epoch) or "step" (before each batch).
    Attributes:
        lrs: ``{"lr-group0": [...], ...}`` (just ``{"lr": [...]}`` with one group).
    """

    def __init__(self, logging_interval: str = "epoch") -> None:
        if logging_interval not in ("epoch", "step"):
            raise ValueError(
                f"[LearningRateMonitor] logging_interval must be 'epoch' or 'step', "
                f"got {logging_interval!r}"
            )
        self.logging_interval = logging_interval
        self.lrs: dict[str, list[float]] = {}

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        self.lrs = {}

    def _record(self) -> None:
        if self.optimizer is None:
            return
        groups = self.optimizer.param_groups
        for i, group in enumerate(groups):
            key = "lr" if len(groups) == 1 else f"lr-group{i}"
            self.lrs.setdefault(key, []).append(float(group["lr"]))

    def on_epoch_begin(self, epoch: int, logs: _Logs | None = None) -> None:
        if self.logging_interval == "epoch":
            self._record()

    def on_batch_begin(self, batch: int, logs: _Logs | None = None) -> None:
        if self.logging_interval == "step":
            self._record()


class GradientMonitor(Callback):
    """Records each parameter's gradient norm after each backward pass, so vanishing gradients show.

    In a deep network of sigmoids the gradient reaching layer k is a product of factors below 1
    (sigmoid' <= 1/4 times the weights), so it shrinks layer by layer towards the input; this
    monitor makes that visible and flags the parameters whose norm falls below ``threshold``.

    In a hand-written loop call ``monitor.record(model)`` after ``loss.backward()``.

    Args:
        threshold: norms below it count as vanishing.
        every: record every that many backward passes.
        norm_type: the p of the p-norm (2 by default; ``float("inf")`` for the max).
    Attributes:
        norms: ``{parameter name: [norm at each recorded step]}`` in the model's parameter order.
    """

    def __init__(self, threshold: float = 1e-5, every: int = 1, norm_type: float = 2.0) -> None:
        self.threshold = threshold
        self.every = every
        self.norm_type = float(norm_type)
        self.norms: dict[str, list[float]] = {}
        self._calls = 0

    def on_train_begin(self, logs: _Logs | None = None) -> None:
        self.norms = {}
        self._calls = 0

    def on_after_backward(self, model: Module) -> None:
        self._calls += 1
        if (self._calls - 1) % self.every == 0:
            self.record(model)

    def record(self, model: Module) -> None:
        """Appends the current gradient norm of every parameter that has a gradient."""
        import numpy as np

        for name, p in model.named_parameters():
            if p.grad is None:
                continue
            g = np.asarray(p.grad.detach().numpy(), dtype=np.float64).reshape(-1)
            if g.size == 0:
                norm = 0.0
            elif self.norm_type == math.inf:
                norm = float(np.max(np.abs(g)))
            elif self.norm_type == 2.0:
                norm = float(np.sqrt(np.dot(g, g)))
            else:
                norm = float(np.sum(np.abs(g) ** self.norm_type) ** (1.0 / self.norm_type))
            self.norms.setdefault(name, []).append(norm)

    def latest(self) -> dict[str, float]:
        """``{parameter name: its last recorded gradient norm}``."""
        return {name: values[-1] for name, values in self.norms.items() if values}

    def mean_norms(self) -> dict[str, float]:
        """``{parameter name: the mean of its recorded gradient norms}``."""
        return {name: sum(values) / len(values) for name, values in self.norms.items() if values}

    def vanishing_layers(self, threshold: float | None = None) -> list[str]:
        """Names of the parameters whose last recorded gradient norm is below the threshold."""
        limit = self.threshold if threshold is None else threshold
        return [name for name, norm in self.latest().items() if norm < limit]

    def plot(self, path: str | os.PathLike[str]) -> str:
        """Writes a PNG: the last gradient norm of each parameter (log scale, with the threshold),
        and each parameter's norm over the recorded steps.

        Under a process group only rank 0 writes (the others return the path at once).

        Returns:
            The path written.
        Raises:
            ImportError: matplotlib is not installed (``pip install matplotlib`` or ``pygrad[plot]``).
        """
        from pygrad.train._plotting import new_figure, save_figure

        if not _is_rank_zero():
            return os.fspath(path)
        figure, (bars, lines) = new_figure(2, "GradientMonitor.plot")
        latest = self.latest()
        names = list(latest)
        tiny = 1e-30  # zeros can't go on a log axis
        colors = ["tab:red" if latest[n] < self.threshold else "tab:blue" for n in names]
        bars.bar(range(len(names)), [max(latest[n], tiny) for n in names], color=colors)
        bars.set_xticks(range(len(names)), names, rotation=60, ha="right", fontsize=7)
        bars.axhline(
            self.threshold, color="tab:red", linestyle="--", label=f"threshold {self.threshold:g}"
        )
        bars.set_yscale("log")
        bars.set_title("gradient norm per parameter (last step)")
        bars.legend()
        for name, values in self.norms.items():
            marker = "o" if len(values) < 50 else None
            lines.plot([max(v, tiny) for v in values], label=name, marker=marker, markersize=3)
        lines.set_yscale("log")
        lines.set_xlabel("recorded step")
        lines.set_title("gradient norms over training")
        if 0 < len(self.norms) <= 12:
            lines.legend(fontsize=7)
        return save_figure(figure, path)
