"""The fit loop and its helpers: fit, evaluate, predict, tensor batching and metrics."""

import inspect
import math
import sys
import time

import pygrad
from pygrad.train.callbacks import Callback, CallbackList, History

__all__ = ["TensorBatches", "accuracy", "evaluate", "fit", "predict"]


# ----------------------------------------------------------------------------------------------
# data


class TensorBatches:
    """Batches of (inputs, targets) cut from whole tensors, reshuffled on every pass.

    Args:
        inputs, targets: tensors (or numpy arrays) with the same first dimension; targets may be None.
        batch_size: rows per batch (the last batch may be smaller).
        shuffle: draw a new order from ``pygrad.randperm`` (the seeded generator) on each pass.
    """

    def __init__(self, inputs, targets=None, batch_size=32, shuffle=True):
        if not isinstance(batch_size, int) or batch_size < 1:
            raise ValueError(f"[fit] batch_size must be a positive int, got {batch_size!r}")
        self.inputs = pygrad.as_tensor(inputs)
        self.targets = None if targets is None else pygrad.as_tensor(targets)
        n = self.inputs.shape[0] if self.inputs.ndim else None
        if n is None or (
            self.targets is not None and (self.targets.ndim == 0 or self.targets.shape[0] != n)
        ):
            shapes = [tuple(self.inputs.shape)] + (
                [] if self.targets is None else [tuple(self.targets.shape)]
            )
            raise ValueError(
                f"[fit] inputs and targets need the same first dimension, got shapes {shapes}"
            )
        self.n = n
        self.batch_size = batch_size
        self.shuffle = shuffle

    def __len__(self):
        return (self.n + self.batch_size - 1) // self.batch_size

    def __iter__(self):
        order = pygrad.randperm(self.n) if self.shuffle else None
        for start in range(0, self.n, self.batch_size):
            size = min(self.batch_size, self.n - start)
            if order is None:
                x = self.inputs.narrow(0, start, size)
                y = None if self.targets is None else self.targets.narrow(0, start, size)
            else:
                index = order.narrow(0, start, size)
                x = self.inputs.index_select(0, index)
                y = None if self.targets is None else self.targets.index_select(0, index)
            yield (x, y) if self.targets is not None else x


def _is_array(x):
    return isinstance(x, pygrad.Tensor) or type(x).__name__ == "ndarray"


def _as_batches(data, batch_size, shuffle):
    """Whole tensors (X, Y) become TensorBatches; anything else is taken as an iterable of batches."""
    if data is None:
        return None
    if _is_array(data):
        return TensorBatches(data, None, batch_size, shuffle)
    if isinstance(data, (tuple, list)) and len(data) == 2 and all(_is_array(d) for d in data):
        return TensorBatches(data[0], data[1], batch_size, shuffle)
    return data


def _split_batch(batch, where):
    if isinstance(batch, (tuple, list)) and len(batch) == 2:
        return batch[0], batch[1]
    raise ValueError(
        f"[{where}] each batch must be a pair (inputs, targets), got {type(batch).__name__}"
        + (f" of length {len(batch)}" if isinstance(batch, (tuple, list)) else "")
    )


def _forward(model, inputs):
    if isinstance(inputs, (tuple, list)):
        return model(*inputs)
    return model(inputs)


def _rows(targets, outputs):
    t = targets if isinstance(targets, pygrad.Tensor) else outputs
    return t.shape[0] if t.ndim else 1


# ----------------------------------------------------------------------------------------------
# metrics


def accuracy(outputs, targets):
    """The fraction of correct predictions, as a float.

    Class scores ``(N, C, ...)`` against integer class targets ``(N, ...)``: argmax over dim 1.
    Scores against probability / one-hot targets of the same shape: argmax of both over dim 1.
    Binary: logits against 0/1 targets of the same shape (a logit above 0 predicts 1).
    """
    out, tgt = outputs.detach(), targets.detach()
    if tgt.dtype == pygrad.float32 or tgt.dtype == pygrad.float64:
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


_METRICS = {"accuracy": accuracy, "acc": accuracy}


def _metric_fns(metrics):
    if isinstance(metrics, dict):
        return dict(metrics)
    out = {}
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

    def __init__(self, names):
        self.names = names
        self.sums = dict.fromkeys(names, 0.0)
        self.count = 0

    def add(self, values, n):
        for k, v in values.items():
            self.sums[k] += v * n
        self.count += n

    def means(self):
        return {k: (s / self.count if self.count else math.nan) for k, s in self.sums.items()}


def _batch_values(loss, outputs, targets, metric_fns):
    values = {}
    if loss is not None:
        values["loss"] = float(loss.detach().item())
    for name, fn in metric_fns.items():
        values[name] = float(fn(outputs, targets))
    return values


# ----------------------------------------------------------------------------------------------
# evaluate / predict


def _set_mode(model, training):
    fn = getattr(model, "train", None)
    if callable(fn):
        fn(training)


def evaluate(model, loss_fn, data, metrics=("accuracy",), batch_size=32):
    """Runs the model over data in eval mode without gradients.

    Args:
        model: a callable module; put in eval mode for the pass and back to its previous mode after.
        loss_fn: ``loss_fn(outputs, targets)`` returning a mean over the batch, or None.
        data: an iterable of (inputs, targets) batches, or whole tensors (X, Y).
        metrics: names ("accuracy") or functions ``fn(outputs, targets) -> float``.
        batch_size: batch size when data is whole tensors.
    Returns:
        ``{"loss": ..., "accuracy": ...}``, averaged over samples.
    """
    fns = _metric_fns(metrics)
    batches = _as_batches(data, batch_size, shuffle=False)
    names = (["loss"] if loss_fn is not None else []) + list(fns)
    running = _Running(names)
    was_training = getattr(model, "training", None)
    _set_mode(model, False)
    try:
        with pygrad.no_grad():
            for batch in batches:
                inputs, targets = _split_batch(batch, "evaluate")
                outputs = _forward(model, inputs)
                loss = loss_fn(outputs, targets) if loss_fn is not None else None
                running.add(_batch_values(loss, outputs, targets, fns), _rows(targets, outputs))
    finally:
        if was_training is not None:
            _set_mode(model, was_training)
    if running.count == 0:
        raise ValueError("[evaluate] data yielded no batches")
    return running.means()


def predict(model, data, batch_size=32):
    """The model's outputs over data, concatenated along the first dimension (eval mode, no grad).

    Args:
        model: a callable module.
        data: a tensor of inputs, an iterable of input batches, or of (inputs, targets) batches.
        batch_size: batch size when data is a whole tensor.
    Returns:
        One tensor with the outputs of every batch.
    """
    if _is_array(data):
        data = TensorBatches(data, None, batch_size, shuffle=False)
    outputs = []
    was_training = getattr(model, "training", None)
    _set_mode(model, False)
    try:
        with pygrad.no_grad():
            for batch in data:
                inputs = batch[0] if isinstance(batch, (tuple, list)) and len(batch) == 2 else batch
                outputs.append(_forward(model, inputs))
    finally:
        if was_training is not None:
            _set_mode(model, was_training)
    if not outputs:
        raise ValueError("[predict] data yielded no batches")
    return outputs[0] if len(outputs) == 1 else pygrad.cat(outputs, 0)


# ----------------------------------------------------------------------------------------------
# fit


def _takes_metrics(scheduler):
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


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    return None


def _format(logs):
    parts = []
    for k, v in logs.items():
        if isinstance(v, float):
            parts.append(f"{k}: {v:.4g}" if k == "lr" else f"{k}: {v:.4f}")
    return " - ".join(parts)


def _progress_bar(total, epoch, epochs):
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
    model,
    loss_fn,
    optimizer,
    train_data,
    val_data=None,
    epochs=1,
    callbacks=(),
    metrics=("accuracy",),
    scheduler=None,
    verbose=True,
    batch_size=32,
    shuffle=True,
    scheduler_interval="epoch",
):
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
    Returns:
        The History: ``history.history["loss"]``, ``["val_loss"]``, ``["accuracy"]``, ``["lr"]``, ...
    """
    if not isinstance(epochs, int) or epochs < 0:
        raise ValueError(f"[fit] epochs must be a non-negative int, got {epochs!r}")
    if scheduler_interval not in ("epoch", "batch"):
        raise ValueError(
            f"[fit] scheduler_interval must be 'epoch' or 'batch', got {scheduler_interval!r}"
        )
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
    train_batches = _as_batches(train_data, batch_size, shuffle)
    val_batches = _as_batches(val_data, batch_size, False)
    plateau = scheduler is not None and _takes_metrics(scheduler)
    if plateau and scheduler_interval == "batch":
        raise ValueError("[fit] a ReduceLROnPlateau-like scheduler steps once per epoch")

    for cb in callbacks:
        cb.stop_training = False
    logs = {}
    cbs.on_train_begin(logs)
    for epoch in range(epochs):
        start = time.perf_counter()
        cbs.on_epoch_begin(epoch, logs)
        lr = _current_lr(optimizer)
        _set_mode(model, True)
        try:
            total = len(train_batches)
        except TypeError:
            total = None
        bar = _progress_bar(total, epoch, epochs) if verbose else None
        running = _Running(["loss"] + list(fns))
        try:
            for i, batch in enumerate(train_batches):
                inputs, targets = _split_batch(batch, "fit")
                cbs.on_batch_begin(i, {})
                optimizer.zero_grad()
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
        logs = running.means()
        if val_batches is not None:
            logs.update(
                {f"val_{k}": v for k, v in evaluate(model, loss_fn, val_batches, fns).items()}
            )
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
