"""``functional_call``: runs a module with some parameters and buffers swapped for given tensors,
then puts the module's own back (torch's ``nn.utils.stateless`` / ``torch.func.functional_call``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pygrad._C import Tensor

if TYPE_CHECKING:
    from pygrad.nn.modules.module import Module

__all__ = ["functional_call"]


def _owner(module: Module, name: str) -> tuple[Module, str]:
    *path, leaf = name.split(".")
    for part in path:
        module = module.get_submodule(part) if part else module
    return module, leaf


def functional_call(
    module: Module,
    parameters_and_buffers: Mapping[str, Tensor] | Sequence[Mapping[str, Tensor]],
    args: Any = None,
    kwargs: dict[str, Any] | None = None,
    *,
    tie_weights: bool = True,
    strict: bool = False,
) -> Any:
    """``module(*args, **kwargs)`` with the named parameters/buffers replaced by the given tensors.

    Gradients flow to the given tensors, not to the module's own. The module is restored
    afterwards, also when forward raises.

    Args:
        module: the module to call.
        parameters_and_buffers: dotted name -> tensor (a sequence of dicts is merged; a name in
            two of them is an error).
        args: the positional arguments (a tuple, or one non-tuple argument).
        kwargs: the keyword arguments.
        tie_weights: a tensor registered under several names (tied weights) is replaced under all
            of them when one of its names is given.
        strict: every parameter and buffer must be given, and no other name.
    Returns:
        What the module's forward returns.
    """
    if isinstance(parameters_and_buffers, Mapping):
        given = dict(parameters_and_buffers)
    else:
        given = {}
        for part in parameters_and_buffers:
            twice = set(part) & set(given)
            if twice:
                raise ValueError(f"{sorted(twice)} appeared in multiple dictionaries")
            given.update(part)
    # Every registered name, with tied names grouped by the tensor they share.
    registered: dict[str, Tensor] = {}
    for prefix, sub in module.named_modules(remove_duplicate=False):
        for store in (sub._parameters, sub._buffers):
            for name, value in store.items():
                if value is not None:
                    registered[f"{prefix}.{name}" if prefix else name] = value
    if strict:
        missing = sorted(set(registered) - set(given))
        unexpected = sorted(set(given) - set(registered))
        if missing or unexpected:
            lines = []
            if unexpected:
                lines.append("Unexpected key(s): " + ", ".join(f"'{k}'" for k in unexpected) + ".")
            if missing:
                lines.append("Missing key(s): " + ", ".join(f"'{k}'" for k in missing) + ".")
            raise RuntimeError(
                f"Error(s) in reparametrizing for {type(module).__name__}:\n\t" + "\n\t".join(lines)
            )
    if tie_weights:
        by_tensor: dict[int, list[str]] = {}
        for name, value in registered.items():
            by_tensor.setdefault(id(value), []).append(name)
        for names in by_tensor.values():
            chosen = [n for n in names if n in given]
            if chosen:
                for n in names:
                    given.setdefault(n, given[chosen[0]])
    saved: list[tuple[dict[str, Any], str, Any]] = []
    extra: list[tuple[Module, str]] = []
    try:
        for name, value in given.items():
            owner, leaf = _owner(module, name)
            stores: tuple[dict[str, Any], ...] = (owner._parameters, owner._buffers)
            for slot in stores:
                if slot.get(leaf) is not None:
                    saved.append((slot, leaf, slot[leaf]))
                    slot[leaf] = value  # bypass the Parameter check: any tensor stands in
                    break
            else:  # not registered (strict=False): a plain attribute for this call
                if leaf not in owner.__dict__:
                    object.__setattr__(owner, leaf, value)
                    extra.append((owner, leaf))
        if args is None:
            args = ()
        elif not isinstance(args, tuple):
            args = (args,)
        return module(*args, **(kwargs or {}))
    finally:
        for store, leaf, old in reversed(saved):
            store[leaf] = old
        for owner, leaf in extra:
            object.__delattr__(owner, leaf)
