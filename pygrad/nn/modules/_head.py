"""A model's head: find its last layer with parameters, make a fresh copy of a layer, replace it.

``Module.replace_head`` and ``nn.find_head`` / ``nn.replace_head`` (in ``pygrad.nn.transfer``) run
on these functions; they sit below ``Module`` so that ``module.py`` needs nothing above itself.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import TYPE_CHECKING, TypeVar

from pygrad import _C
from pygrad.nn.parameter import Parameter

if TYPE_CHECKING:
    from pygrad.nn.modules.module import Module

_M = TypeVar("_M", bound="Module")


def find_head(model: Module) -> str:
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


def fresh_copy(module: _M) -> _M:
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
        (k, None if m is None else fresh_copy(m)) for k, m in module._modules.items()
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


def _resized(old: Module, name: str, num_classes: int) -> Module:
    """A freshly initialised layer of old's class with num_classes outputs (a Linear head's)."""
    if isinstance(num_classes, bool) or not isinstance(num_classes, int) or num_classes < 1:
        raise ValueError(f"[replace_head] num_classes must be a positive int, got {num_classes!r}")
    in_features = getattr(old, "in_features", None)
    if in_features is None:
        raise TypeError(
            f"[replace_head] the head '{name}' is a {type(old).__name__} without in_features; "
            "pass new_head= instead of num_classes="
        )
    weight = getattr(old, "weight", None)
    try:
        return type(old)(
            in_features,
            num_classes,
            bias=getattr(old, "bias", None) is not None,
            dtype=weight.dtype if isinstance(weight, _C.Tensor) else None,
        )
    except TypeError as error:
        raise TypeError(
            f"[replace_head] can't build a {type(old).__name__}({in_features}, {num_classes}, "
            f"bias=..., dtype=...) for the head '{name}' ({error}); pass new_head= instead of "
            "num_classes="
        ) from None


def replace_head(
    model: Module,
    new_head: Module | None = None,
    name: str | None = None,
    num_classes: int | None = None,
) -> Module:
    """Replaces the model's head and returns the new one; see ``Module.replace_head``."""
    if new_head is not None and num_classes is not None:
        raise ValueError("[replace_head] pass new_head or num_classes, not both")
    name = find_head(model) if name is None else name
    if not isinstance(name, str) or not name:
        raise ValueError(f"[replace_head] name must be a non-empty dotted name, got {name!r}")
    parent_name, _, leaf = name.rpartition(".")
    parent = model.get_submodule(parent_name)
    old = parent._modules.get(leaf)
    if old is None:
        raise AttributeError(
            f"[replace_head] {type(parent).__name__} has no submodule `{leaf}` (looking up '{name}')"
        )
    if new_head is None:
        new_head = fresh_copy(old) if num_classes is None else _resized(old, name, num_classes)
        new_head.train(old.training)
    setattr(parent, leaf, new_head)
    return new_head
