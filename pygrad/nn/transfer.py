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

import os
from collections import OrderedDict, namedtuple

from pygrad import _C
from pygrad.nn.modules.linear import Linear
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

__all__ = ["LoadReport", "find_head", "fine_tuning_groups", "load_pretrained", "replace_head"]


# ----------------------------------------------------------------------------------------------
# the head


def find_head(model):
    """The dotted name of the model's head: its last registered submodule with parameters of its own.

    "Last" is registration order (the order of ``named_modules()``), which is the forward order
    for ``Sequential`` and for models that assign their layers in ``__init__`` in the order they
    run; pass ``name=`` to ``replace_head`` when it is not.

    Args:
        model: a Module.
    Returns:
        A name such as ``"fc"``, ``"3"`` or ``"classifier.1"``, for ``model.get_submodule``.
    Raises:
        ValueError: no submodule of the model has parameters.
    """
    head = None
    for name, module in model.named_modules():
        if name and any(p is not None for p in module._parameters.values()):
            head = name
    if head is None:
        raise ValueError(
            f"[replace_head] {type(model).__name__} has no submodule with parameters to replace; "
            "pass name= the attribute holding the head"
        )
    return head


def _fresh(module):
    """A copy of module with the same class, configuration and shapes, newly initialised."""
    cls = type(module)
    new = cls.__new__(cls)
    state = dict(module.__dict__)
    state["_parameters"] = OrderedDict(
        (k, None if p is None else Parameter(p.detach().clone()))
        for k, p in module._parameters.items()
    )
    state["_buffers"] = OrderedDict(
        (k, None if b is None else b.detach().clone()) for k, b in module._buffers.items()
    )
    state["_non_persistent_buffers_set"] = set(module._non_persistent_buffers_set)
    state["_modules"] = OrderedDict(
        (k, None if m is None else _fresh(m)) for k, m in module._modules.items()
    )
    state["_forward_hooks"] = OrderedDict()
    state["_forward_pre_hooks"] = OrderedDict()
    object.__getattribute__(new, "__dict__").update(state)
    has_params = any(p is not None for p in new._parameters.values())
    reset = getattr(new, "reset_parameters", None)
    if callable(reset):
        reset()
    elif has_params:
        raise TypeError(
            f"[replace_head] {cls.__name__} has no reset_parameters() to initialise a fresh copy; "
            "pass the new layer: replace_head(new_head=...)"
        )
    return new


def replace_head(model, new_head=None, name=None, num_classes=None):
    """Replaces the model's head (by default its last layer with parameters) and returns the new one.

    Equivalent to assigning the attribute yourself (``model.fc = nn.Linear(512, 5)``,
    ``model[-1] = ...`` for a Sequential), with the head found for you. The new head is trainable
    even when the rest of the model is frozen.

    Args:
        model: a Module.
        new_head: the Module to put in place. When None, a freshly initialised layer is made:
            ``nn.Linear(old.in_features, num_classes)`` when num_classes is given, otherwise a
            layer of the old head's class and shapes with new random weights (its
            ``reset_parameters()``).
        name: the dotted name of the submodule to replace (``"fc"``, ``"classifier.1"``, ``"3"``);
            by default ``find_head(model)``.
        num_classes: the number of outputs of a new Linear head (needs the old head's
            ``in_features``); not allowed together with new_head.
    Returns:
        The new head.
    Raises:
        ValueError: no head found, or new_head and num_classes both given.
        TypeError: new_head is not a Module, or a fresh copy can't be made.
        AttributeError: name is not a submodule of the model.
    """
    if new_head is not None and num_classes is not None:
        raise ValueError("[replace_head] pass new_head or num_classes, not both")
    if new_head is not None and not isinstance(new_head, Module):
        raise TypeError(f"[replace_head] new_head must be a Module, got {type(new_head).__name__}")
    name = find_head(model) if name is None else name
    if not isinstance(name, str) or not name:
        raise ValueError(f"[replace_head] name must be a non-empty dotted name, got {name!r}")
    parent_name, _, leaf = name.rpartition(".")
    parent = model.get_submodule(parent_name)
    if leaf not in parent._modules or parent._modules[leaf] is None:
        raise AttributeError(
            f"[replace_head] {type(parent).__name__} has no submodule `{leaf}` (looking up '{name}')"
        )
    old = parent._modules[leaf]
    if new_head is None:
        if num_classes is not None:
            if not isinstance(num_classes, int) or num_classes < 1:
                raise ValueError(
                    f"[replace_head] num_classes must be a positive int, got {num_classes!r}"
                )
            in_features = getattr(old, "in_features", None)
            if in_features is None:
                raise TypeError(
                    f"[replace_head] the head '{name}' is a {type(old).__name__} without "
                    "in_features; pass new_head= instead of num_classes="
                )
            weight = getattr(old, "weight", None)
            new_head = Linear(
                in_features,
                num_classes,
                bias=getattr(old, "bias", None) is not None,
                dtype=weight.dtype if isinstance(weight, _C.Tensor) else None,
            )
        else:
            new_head = _fresh(old)
        new_head.train(old.training)
    setattr(parent, leaf, new_head)
    return new_head


def fine_tuning_groups(model, lr, base_lr=None, head=None):
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


class LoadReport(
    namedtuple("LoadReport", ["missing_keys", "unexpected_keys", "mismatched_keys", "loaded_keys"])
):
    """What ``load_pretrained`` did. Its first two fields are those of ``load_state_dict``'s result.

    Attributes:
        missing_keys: the model's keys that the file lacks (left as they were).
        unexpected_keys: the file's keys that the model lacks (ignored).
        mismatched_keys: ``(key, shape in the file, shape in the model)`` for keys present in both
            with different shapes (left as they were).
        loaded_keys: the keys copied into the model.
    """

    __slots__ = ()

    @property
    def skipped_keys(self):
        """Every key of the file that was not loaded (unexpected or mismatched)."""
        return list(self.unexpected_keys) + [k for k, _, _ in self.mismatched_keys]

    @property
    def complete(self):
        """True when every key matched: nothing missing, unexpected or mismatched."""
        return not (self.missing_keys or self.unexpected_keys or self.mismatched_keys)

    def __str__(self):
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


def _state_dict_of(source):
    if isinstance(source, (str, os.PathLike)):
        from pygrad.io import load

        source = load(source)
    if not hasattr(source, "keys") or not hasattr(source, "__getitem__"):
        raise TypeError(
            "[load_pretrained] expected a file path or a state dict, got " + type(source).__name__
        )
    # A checkpoint that nests the weights (ModelCheckpoint(include_optimizer=True), or the common
    # {"state_dict": ...} layout of other libraries).
    for key in ("state_dict", "model"):
        inner = source.get(key) if hasattr(source, "get") else None
        if hasattr(inner, "keys") and not any(hasattr(v, "shape") for v in source.values()):
            return inner
    return source


def load_pretrained(model, source, strict=False, verbose=False):
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
    unexpected, mismatched, loadable = [], [], OrderedDict()
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
