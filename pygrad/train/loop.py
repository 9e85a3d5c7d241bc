"""The fit loop and its helpers: fit, evaluate, predict and metrics."""

from __future__ import annotations

import inspect
import math
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any, Union

import numpy as np

from pygrad import _C
from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.data import DataLoader, TensorDataset
from pygrad.train.callbacks import Callback, CallbackList, History, _process_group

__all__ = ["accuracy", "evaluate", "fit", "predict"]

# What fit / evaluate take as data: whole tensors (X, Y) or X, or an iterable of batches.
_Data = Union[Tensor, np.ndarray, Sequence[Any], Iterable[Any]]
# A metric: a known name ("accuracy") or fn(outputs, targets) -> float.
_Metric = Union[str, Callable[[Tensor, Tensor], float]]


# ----------------------------------------------------------------------------------------------
# data


def _is_array(x: object) -> bool:
    return isinstance(x, (Tensor, np.ndarray))


def _tensor_loader(
    tensors: Sequence[Any], batch_size: int, shuffle: bool, where: str, shard: str = ""
) -> DataLoader:
    """A DataLoader over whole tensors (a new order from the seeded generator on each pass).

    Under a process group, ``shard="train"`` gives each rank its DistributedSampler shard (equal
    sizes, a shared per-epoch order) and ``shard="eval"`` a strided shard without padding (so the
    averaged metrics count every sample exactly once).
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"[{where}] batch_size must be a positive int, got {batch_size!r}")
    try:
        dataset = TensorDataset(*tensors)
    except ValueError as error:
        shapes = [tuple(np.shape(t)) for t in tensors]
        raise ValueError(
            f"[{where}] inputs and targets need the same first dimension (at least one), got "
            f"shapes {shapes} ({error})"
        ) from None
    dist = _process_group() if shard else None
    if dist is None:
        return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle)
    from pygrad.utils.data.distributed import DistributedSampler

    if shard == "eval":
        rank, size = dist.get_rank(), dist.get_world_size()
        return DataLoader(dataset, batch_size=batch_size, sampler=range(rank, len(dataset), size))
    # The epoch orders' seed comes from rank 0's generator: the same on every rank.
    from pygrad._factories import randint

    seed = [int(randint(0, 2**31 - 1, (1,)).item())]
    dist.broadcast_object_list(seed, src=0)
    sampler = DistributedSampler(dataset, shuffle=shuffle, seed=seed[0])
    return DataLoader(dataset, batch_size=batch_size, sampler=sampler)


def _as_batches(data: Any, batch_size: int, shuffle: bool, where: str, shard: str = "") -> Any:
    """Whole tensors (X, Y) become a DataLoader; anything else is taken as an iterable of batches."""
    if data is None:
        return None
    if _is_array(data):
        return _tensor_loader((data,), batch_size, shuffle, where, shard)
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(_is_array(d) for d in data):
        return _tensor_loader(data, batch_size, shuffle, where, shard)
    return data


def _split_batch(batch: object, where: str) -> tuple[Any, Any]:
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(
        f"[{where}] each batch must be a pair (inputs, targets), got {type(batch).__name__}"
        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
    )


_PRECISIONS = ("32", "32-true", "bf16-mixed", "16-mixed")


def _precision_region(precision: str, where: str) -> Any:
    """The autocast region of a Lightning-style precision name ("32": none; "bf16-mixed": CPU autocast to
    bfloat16; "16-mixed": to float16)."""
    if precision not in _PRECISIONS:
        raise ValueError(f"[{where}] precision must be one of {_PRECISIONS}, got {precision!r}")
    from pygrad.amp.autocast_mode import autocast

    if precision in ("32", "32-true"):
        return autocast("cpu", enabled=False)
    return autocast("cpu", dtype=_C.bfloat16 if precision == "bf16-mixed" else _C.float16)


def _forward(model: Callable[..., Any], inputs: Any) -> Any:
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def _rows(targets: Any, outputs: Tensor) -> int:
    t = targets if isinstance(targets, Tensor) else outputs
    return t.shape[0] if t.ndim else 1


# ----------------------------------------------------------------------------------------------
# metrics


def accuracy(outputs: Tensor, targets: Tensor) -> float:
    """The fraction of correct predictions, as a float.

    Class scores ``(N, C, ...)`` against integer class targets ``(N, ...)``: argmax over dim 1.
    Scores against probability / one-hot targets of the same shape: argmax of both over dim 1.
    Binary: logits against 0/1 targets of the same shape (a logit above 0 predicts 1).
    """
    out, tgt = outputs.detach(), targets.detach()
    if tgt.dtype.is_floating_point:
        if out.ndim >= 2 and out.shape == tgt.shape and out.shape[1] > 1:
            correct = out.argmax(1) == tgt.argmax(1)
        else:
            correct = (out.reshape(tgt.shape) > 0) == (tgt > 0.5)
    elif out.ndim == tgt.ndim + 1:
        correct = out.argmax(1) == tgt
    else:
        correct = (out.reshape(tgt.shape) > 0) == (tgt != 0)
    n = correct.numel()
    return float(correct.sum().item()) / n if n else 0.0


_METRICS: dict[str, Callable[[Tensor, Tensor], float]] = {"accuracy": accuracy, "acc": accuracy}


def _metric_fns(
    metrics: Iterable[_Metric] | Mapping[str, Callable[[Tensor, Tensor], float]] | None,
) -> dict[str, Callable[[Tensor, Tensor], float]]:
    if isinstance(metrics, Mapping):
        return dict(metrics)
    out: dict[str, Callable[[Tensor, Tensor], float]] = {}
    for m in metrics or ():
        if isinstance(m, str):
            if m not in _METRICS:
                raise ValueError(
                    f"[fit] unknown metric {m!r}; known are {sorted(_METRICS)}, or pass a "
                    "function fn(outputs, targets) -> float"
                )
            out["accuracy" if m == "acc" else m] = _METRICS[m]
        elif callable(m):
            out[getattr(m, "__name__", f"metric{len(out)}")] = m
        else:
            raise TypeError(f"[fit] a metric must be a name or a function, got {type(m).__name__}")
    return out


class _Running:
    """Sample-weighted running means of the loss and the metrics."""

    def __init__(self, names: list[str]) -> None:
        self.names = names
        self.sums = dict.fromkeys(names, 0.0)
        self.count = 0

    def add(self, values: dict[str, float], n: int) -> None:
        for k, v in values.items():
            self.sums[k] += v * n
        self.count += n

    def means(self) -> dict[str, float]:
        return {k: (s / self.count if self.count else math.nan) for k, s in self.sums.items()}

    def reduce_over_ranks(self, dist: Any) -> None:
        """Sums and counts over all ranks: the means become the sample-weighted global ones."""
        values = _C.from_numpy(
            np.array([*(self.sums[k] for k in self.names), self.count], dtype=np.float64)
        )
        dist.all_reduce(values)
        *sums, count = values.tolist()
        self.sums = dict(zip(self.names, sums))
        self.count = int(count)


def _batch_values(
    loss: Tensor | None,
    outputs: Tensor,
    targets: Any,
    metric_fns: dict[str, Callable[[Tensor, Tensor], float]],
) -> dict[str, float]:
    values: dict[str, float] = {}
    if loss is not None:
        values["loss"] = float(loss.detach().item())
    for name, fn in metric_fns.items():
        values[name] = float(fn(outputs, targets))
    return values


# ----------------------------------------------------------------------------------------------
# evaluate / predict


def _set_mode(model: object, training: bool) -> None:
    fn = getattr(model, "train", None)
    if callable(fn):
        fn(training)


def evaluate(
    model: Callable[..., Any],
    loss_fn: Callable[[Any, Any], Tensor] | None,
    data: _Data,
    metrics: Iterable[_Metric] | Mapping[str, Callable[[Tensor, Tensor], float]] = ("accuracy",),
    batch_size: int = 32,
    precision: str = "32",
) -> dict[str, float]:
    """Runs the model over data in eval mode without gradients.

    Args:
        model: a callable module; put in eval mode for the pass and back to its previous mode after.
        loss_fn: ``loss_fn(outputs, targets)`` returning a mean over the batch, or None.
        data: an iterable of (inputs, targets) batches, or whole tensors (X, Y).
        metrics: names ("accuracy") or functions ``fn(outputs, targets) -> float``.
        batch_size: batch size when data is whole tensors.
        precision: "32", or "bf16-mixed" / "16-mixed" to run the model under CPU autocast.
    Returns:
        ``{"loss": ..., "accuracy": ...}``, averaged over samples.
    """
    with _precision_region(precision, "evaluate"):
        running = _evaluate_running(model, loss_fn, data, _metric_fns(metrics), batch_size, "")
    if running.count == 0:
        raise ValueError("[evaluate] data yielded no batches")
    return running.means()


def _evaluate_running(
    model: Callable[..., Any],
    loss_fn: Callable[[Any, Any], Tensor] | None,
    data: _Data,
    fns: dict[str, Callable[[Tensor, Tensor], float]],
    batch_size: int,
    shard: str,
) -> _Running:
    """evaluate's pass: the running sums and count (not yet means)."""
    batches = _as_batches(data, batch_size, False, "evaluate", shard)
    names = (["loss"] if loss_fn is not None else []) + list(fns)
    running = _Running(names)
    was_training = getattr(model, "training", None)
    _set_mode(model, False)
    try:
        with no_grad():
            for batch in batches:
                inputs, targets = _split_batch(batch, "evaluate")
                outputs = _forward(model, inputs)
                loss = loss_fn(outputs, targets) if loss_fn is not None else None
                running.add(_batch_values(loss, outputs, targets, fns), _rows(targets, outputs))
    finally:
        if was_training is not None:
            _set_mode(model, was_training)
    return running


def predict(model: Callable[..., Any], data: _Data, batch_size: int = 32) -> Tensor:
    """The model's outputs over data, concatenated along the first dimension (eval mode, no grad).

    Args:
        model: a callable module.
        data: a tensor of inputs, an iterable of input batches, or of (inputs, targets) batches.
        batch_size: batch size when data is a whole tensor.
    Returns:
        One tensor with the outputs of every batch.
    """
    if _is_array(data):
        data = (batch[0] for batch in _tensor_loader((data,), batch_size, False, "predict"))
    outputs: list[Tensor] = []
    was_training = getattr(model, "training", None)
    _set_mode(model, False)
    try:
        with no_grad():
            for batch in data:
                inputs = batch[0] if isinstance(batch, (tuple, list)) and len(batch) == 2 else batch
                outputs.append(_forward(model, inputs))
    finally:
        if was_training is not None:
            _set_mode(model, was_training)
    if not outputs:
        raise ValueError("[predict] data yielded no batches")
    return outputs[0] if len(outputs) == 1 else _C.cat(outputs, 0)


# ----------------------------------------------------------------------------------------------
# fit


def _takes_metrics(scheduler: Any) -> bool:
    """True for ReduceLROnPlateau-like schedulers, whose step() wants the monitored value."""
    try:
        params = list(inspect.signature(scheduler.step).parameters.values())
    except (TypeError, ValueError):
        return False
    if not params:
        return False
    first = params[0]
    return first.name in ("metrics", "metric") or (
        first.default is inspect.Parameter.empty
        and first.kind
        in (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    )


def _current_lr(optimizer: Any) -> float | None:
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    return None


def _format(logs: dict[str, Any]) -> str:
    parts = []
    for k, v in logs.items():
        if isinstance(v, float):
            parts.append(f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}")
    return " - ".join(parts)


def _progress_bar(total: int | None, epoch: int, epochs: int) -> Any:
    """A tqdm bar when tqdm is installed and stderr is a terminal, else None."""
    try:
        isatty = sys.stderr.isatty()
    except (AttributeError, ValueError):
        isatty = False
    if not isatty:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        return None
    return tqdm(total=total, desc=f"Epoch {epoch + 1}/{epochs}", leave=True, dynamic_ncols=True)


def fit(
    model: Callable[..., Any],
    loss_fn: Callable[[Any, Any], Tensor],
    optimizer: Any,
    train_data: _Data,
    val_data: _Data | None = None,
    epochs: int = 1,
    callbacks: Iterable[Callback] = (),
    metrics: Iterable[_Metric] | Mapping[str, Callable[[Tensor, Tensor], float]] = ("accuracy",),
    scheduler: Any = None,
    verbose: bool = True,
    batch_size: int = 32,
    shuffle: bool = True,
    scheduler_interval: str = "epoch",
    precision: str = "32",
) -> History:
    """Trains a model: for each epoch, a pass over train_data (forward, loss, backward, optimizer
    step) in train mode, then an evaluation of val_data in eval mode without gradients.

    Args:
        model: a module (``model.train()`` / ``model.eval()``, ``model(inputs)``).
        loss_fn: ``loss_fn(outputs, targets)`` returning a scalar tensor (mean over the batch).
        optimizer: with ``zero_grad()``, ``step()`` and ``param_groups``.
        train_data: an iterable of (inputs, targets) batches (a list, a DataLoader; it is iterated
            once per epoch), or whole tensors (X, Y) cut into batches of ``batch_size``.
        val_data: the same for validation, or None.
        epochs: the number of passes over train_data.
        callbacks: Callback objects (EarlyStopping, ModelCheckpoint, GradientMonitor, ...).
        metrics: names ("accuracy") or functions ``fn(outputs, targets) -> float``.
        scheduler: a learning-rate scheduler stepped once per epoch (or per batch with
            ``scheduler_interval="batch"``); a ReduceLROnPlateau-like one, whose ``step`` takes the
            metric, gets val_loss (the training loss without val_data).
        verbose: a tqdm bar per epoch when tqdm is installed and stderr is a terminal, else one
            printed line per epoch; False prints nothing.
        batch_size, shuffle: how whole tensors (X, Y) are batched.
        scheduler_interval: "epoch" or "batch".
        precision: "32" (float32), or mixed precision as Lightning names it: "bf16-mixed" runs each
            forward and loss under ``pygrad.autocast("cpu", dtype=pygrad.bfloat16)`` (bfloat16 GEMMs on
            AMX / AVX512_BF16 where the CPU has them), "16-mixed" under float16; parameters, gradients
            and the optimizer stay float32.
    Returns:
        The History: ``history.history["loss"]``, ``["val_loss"]``, ``["accuracy"]``, ``["lr"]``, ...
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"[fit] epochs must be a non-negative int, got {epochs!r}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(
            f"[fit] scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}"
        )
    region = _precision_region(precision, "fit")
    callbacks = list(callbacks or ())
    for cb in callbacks:
        if not isinstance(cb, Callback):
            raise TypeError(
                f"[fit] callbacks must be pygrad.train.Callback objects, got {type(cb).__name__}"
            )
    history = next((cb for cb in callbacks if isinstance(cb, History)), None)
    if history is None:
        history = History()
        callbacks.insert(0, history)
    cbs = CallbackList(callbacks)
    cbs.set_model(model)
    cbs.set_optimizer(optimizer)
    fns = _metric_fns(metrics)
    # Under a process group: whole tensors are sharded, logs averaged over ranks, rank 0 reports,
    # and dropout / augmentation draw from per-rank streams.
    dist = _process_group()
    if dist is not None:
        dist._seed_rank_streams()
        verbose = verbose and dist.get_rank() == 0
    train_batches = _as_batches(train_data, batch_size, shuffle, "fit", "train")
    val_batches = _as_batches(val_data, batch_size, False, "fit", "eval")
    set_epoch = getattr(getattr(train_batches, "sampler", None), "set_epoch", None)
    plateau = scheduler is not None and _takes_metrics(scheduler)
    if plateau and scheduler_interval == "batch":
        raise ValueError("[fit] a ReduceLROnPlateau-like scheduler steps once per epoch")

    for cb in callbacks:
        cb.stop_training = False
    logs: dict[str, float] = {}
    cbs.on_train_begin(logs)
    for epoch in range(epochs):
        start = time.perf_counter()
        cbs.on_epoch_begin(epoch, logs)
        if callable(set_epoch):
            set_epoch(epoch)  # a DistributedSampler's order for this epoch
        lr = _current_lr(optimizer)
        _set_mode(model, True)
        try:
            total = len(train_batches)
        except TypeError:
            total = None
        bar = _progress_bar(total, epoch, epochs) if verbose else None
        running = _Running(["loss", *list(fns)])
        try:
            for i, batch in enumerate(train_batches):
                inputs, targets = _split_batch(batch, "fit")
                cbs.on_batch_begin(i, {})
                optimizer.zero_grad()
                with region:
                    outputs = _forward(model, inputs)
                    loss = loss_fn(outputs, targets)
                loss.backward()
                cbs.on_after_backward(model)
                optimizer.step()
                if scheduler is not None and scheduler_interval == "batch":
                    scheduler.step()
                values = _batch_values(loss, outputs, targets, fns)
                running.add(values, _rows(targets, outputs))
                cbs.on_batch_end(i, values)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(
                        {k: f"{v:.4f}" for k, v in running.means().items()}, refresh=False
                    )
        except BaseException:
            if bar is not None:
                bar.close()
            raise
        if running.count == 0:
            if bar is not None:
                bar.close()
            raise ValueError(
                f"[fit] train_data yielded no batches in epoch {epoch + 1}; pass something "
                "that can be iterated once per epoch (a list, a DataLoader), not a generator"
            )
        if dist is not None:
            running.reduce_over_ranks(dist)
        logs = running.means()
        if val_batches is not None:
            with region:
                val = _evaluate_running(model, loss_fn, val_batches, fns, batch_size, "")
            if dist is not None:
                val.reduce_over_ranks(dist)  # every rank decides (early stopping) on the same value
            if val.count == 0:
                raise ValueError("[evaluate] data yielded no batches")
            logs.update({f"val_{k}": v for k, v in val.means().items()})
        if lr is not None:
            logs["lr"] = lr
        if scheduler is not None and scheduler_interval == "epoch":
            if plateau:
                scheduler.step(logs.get("val_loss", logs["loss"]))
            else:
                scheduler.step()
        cbs.on_epoch_end(epoch, logs)
        if bar is not None:
            bar.set_postfix_str(_format(logs), refresh=True)
            bar.close()
        elif verbose:
            seconds = time.perf_counter() - start
            print(f"Epoch {epoch + 1}/{epochs} - {seconds:.1f}s - {_format(logs)}", flush=True)
        if cbs.stop_training:
            break
    cbs.on_train_end(logs)
    return history
