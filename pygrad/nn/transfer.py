"""Transfer learning: find and replace a model's head, load pretrained weights leniently, and
build the parameter groups of a fine-tuning run.

The recipe::

    report = nn.load_pretrained(model, "pretrained.safetensors")   # by name; skips and reports
    model.freeze()                                   # the base: no gradient, no backward work
    head = model.replace_head(num_classes=5)         # a freshly initialised, trainable last layer
    opt = optim.Adam(head.parameters(), lr=1e-3)     # feature-extractor mode: train the head only
    ...
    model.unfreeze()                                 # optional fine-tuning of everything,
    opt = optim.Adam(nn.fine_tuning_groups(model, lr=1e-3, base_lr=1e-4))   # the base slower
"""

from __future__ import annotations

import os
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any, NamedTuple, Union, cast

from pygrad import io
from pygrad.nn.modules._head import find_head
from pygrad.nn.modules.module import Module

__all__ = ["LoadReport", "find_head", "fine_tuning_groups", "load_pretrained", "replace_head"]

# A checkpoint's path, or a state dict already in memory.
_Source = Union[str, "os.PathLike[str]", Mapping[str, Any]]


# ----------------------------------------------------------------------------------------------
# the head


def replace_head(
    model: Module,
    new_head: Module | None = None,
    name: str | None = None,
    num_classes: int | None = None,
) -> Module:
    """Replaces the model's head (by default its last layer with parameters) and returns the new one.

    The function form of ``model.replace_head(...)``; see ``Module.replace_head`` for the
    arguments. The head is found by ``find_head`` unless ``name`` is given.

    Returns:
        The new head.
    """
    if not isinstance(model, Module):
        raise TypeError(f"[replace_head] model must be a Module, got {type(model).__name__}")
    return model.replace_head(new_head, name=name, num_classes=num_classes)


def fine_tuning_groups(
    model: Module, lr: float, base_lr: float | None = None, head: str | None = None
) -> list[dict[str, Any]]:
    """Two optimizer parameter groups: the head at ``lr`` and the rest of the model at ``base_lr``.

    Fine-tuning after feature extraction usually trains the pretrained base about 10x slower than
    the head, so the features it learnt are adjusted rather than overwritten.

    Args:
        model: a Module.
        lr: the head's learning rate.
        base_lr: the rest's learning rate (default ``lr / 10``).
        head: the head's dotted name (default ``find_head(model)``).
    Returns:
        ``[{"params": [...base...], "lr": base_lr}, {"params": [...head...], "lr": lr}]``, for any
        ``pygrad.optim`` optimizer.
    """
    head = find_head(model) if head is None else head
    head_params = list(model.get_submodule(head).parameters())
    ids = {id(p) for p in head_params}
    base_params = [p for p in model.parameters() if id(p) not in ids]
    return [
        {"params": base_params, "lr": lr / 10 if base_lr is None else base_lr},
        {"params": head_params, "lr": lr},
    ]


# ----------------------------------------------------------------------------------------------
# pretrained weights


class LoadReport(NamedTuple):
    """What ``load_pretrained`` did. Its first two fields are those of ``load_state_dict``'s result.

    Attributes:
        missing_keys: the model's keys that the file lacks (left as they were).
        unexpected_keys: the file's keys that the model lacks (ignored).
        mismatched_keys: ``(key, shape in the file, shape in the model)`` for keys present in both
            with different shapes (left as they were).
        loaded_keys: the keys copied into the model.
    """

    missing_keys: list[str]
    unexpected_keys: list[str]
    mismatched_keys: list[tuple[str, tuple[int, ...], tuple[int, ...]]]
    loaded_keys: list[str]

    @property
    def skipped_keys(self) -> list[str]:
        """Every key of the file that was not loaded (unexpected or mismatched)."""
        return list(self.unexpected_keys) + [k for k, _, _ in self.mismatched_keys]

    @property
    def complete(self) -> bool:
        """True when every key matched: nothing missing, unexpected or mismatched."""
        return not (self.missing_keys or self.unexpected_keys or self.mismatched_keys)

    def __str__(self) -> str:
        lines = [f"loaded {len(self.loaded_keys)} tensors"]
        if self.mismatched_keys:
            lines.append(
                "skipped (shape mismatch): "
                + ", ".join(
                    f"{k} {list(a)} in file vs {list(b)} in model"
                    for k, a, b in self.mismatched_keys
                )
            )
        if self.unexpected_keys:
            lines.append("skipped (not in the model): " + ", ".join(self.unexpected_keys))
        if self.missing_keys:
            lines.append("missing (kept their values): " + ", ".join(self.missing_keys))
        return "; ".join(lines)


def _state_dict_of(source: object) -> Mapping[str, Any]:
    if isinstance(source, (str, os.PathLike)):
        source = io.load(source)
    if not hasattr(source, "keys") or not hasattr(source, "__getitem__"):
        raise TypeError(
            "[load_pretrained] expected a file path or a state dict, got " + type(source).__name__
        )
    state = cast("Mapping[str, Any]", source)
    # A checkpoint that nests the weights (ModelCheckpoint(include_optimizer=True), or the common
    # {"state_dict": ...} layout of other libraries).
    for key in ("state_dict", "model"):
        inner = state.get(key) if hasattr(state, "get") else None
        if hasattr(inner, "keys") and not any(hasattr(v, "shape") for v in state.values()):
            return cast("Mapping[str, Any]", inner)
    return state


def load_pretrained(
    model: Module, source: _Source, strict: bool = False, verbose: bool = False
) -> LoadReport:
    """Copies pretrained weights into a model by name, skipping what does not fit.

    The file may come from ``pygrad.save(model.state_dict(), path)`` or from PyTorch through the
    safetensors library (``safetensors.torch.save_file(torch_model.state_dict(), path)``): PyTorch's
    and pygrad's state-dict names are the same for the same architecture (``"0.weight"``,
    ``"fc.bias"``, ``"bn.running_mean"``), and float64 / float16 / bfloat16 values are converted
    to the parameter's dtype. Unlike ``model.load_state_dict(..., strict=False)``, which raises on
    a shape mismatch as PyTorch's does, a mis-shaped key (typically a head with another number of
    classes) is skipped and reported.

    Args:
        model: the Module to load into (in place, so optimizers keep their references).
        source: a safetensors file path, or a state dict (name -> tensor).
        strict: raise a RuntimeError naming every missing, unexpected or mis-shaped key instead of
            skipping them (nothing is loaded then).
        verbose: print the report.
    Returns:
        A LoadReport: ``missing_keys``, ``unexpected_keys``, ``mismatched_keys`` and ``loaded_keys``.
    """
    state = _state_dict_of(source)
    expected = model.state_dict()
    missing = [k for k in expected if k not in state]
    unexpected: list[str] = []
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = []
    loadable: dict[str, Any] = OrderedDict()
    for key in state:
        if key not in expected:
            unexpected.append(key)
            continue
        value = state[key]
        file_shape = tuple(getattr(value, "shape", ()))
        model_shape = tuple(expected[key].shape)
        if file_shape != model_shape:
            mismatched.append((key, file_shape, model_shape))
            continue
        loadable[key] = value
    report = LoadReport(missing, unexpected, mismatched, list(loadable))
    if strict and not report.complete:
        raise RuntimeError(
            f"[load_pretrained] the weights don't match {type(model).__name__} exactly "
            f"(strict=True): {report}"
        )
    model.load_state_dict(loadable, strict=False)
    if verbose:
        print(f"load_pretrained: {report}")
    return report
