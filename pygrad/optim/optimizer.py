"""Optimizer base: parameter groups, per-parameter state, zero_grad, step, state_dict (PyTorch's
layout).

An optimizer is declarative. Its class names the fused C++ update it runs (``fused_update``, a
``PG_OPTIMIZER`` of ``csrc/core/op_list.def``), its hyper-parameters with the check each
constructor value must pass (``hyper_parameters``) and its state slots (``state_slots``); its
constructor keeps PyTorch's signature and hands the ``defaults`` to this base. The base does the
rest: it validates the defaults, allocates the state a group needs, counts steps, and runs the
update once per group over every parameter that has a gradient, in place, under no_grad. The C++
update reads the hyper-parameters and slots by name and rejects a missing or unknown one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from itertools import chain
from typing import Any, ClassVar, Optional, Union

from pygrad import _C
from pygrad._factories import full_like, zeros_like
from pygrad._grad_mode import enable_grad, no_grad

__all__ = [
    "Check",
    "HyperParameters",
    "Optimizer",
    "ParamGroup",
    "ParamsT",
    "StateSlot",
    "betas_in_unit_interval",
    "in_unit_interval",
    "non_negative",
]

# (Runtime aliases spelled with Union/Optional: Python 3.9 has no ``X | Y`` on types.)
Tensor = _C.Tensor
ParamGroup = dict[str, Any]
ParamsT = Union[Iterable[Tensor], Iterable[dict[str, Any]]]
# A constructor check: (value, all the defaults) -> None; raises ValueError for an invalid value.
Check = Callable[[Any, Mapping[str, Any]], None]
# An optimizer's hyper-parameters by name, each with its check (None: any value).
HyperParameters = Mapping[str, Optional[Check]]


def non_negative(message: str) -> Check:
    """A check that a value is not negative, with PyTorch's error wording.

    Args:
        message: the error's text before the value, e.g. ``"Invalid learning rate"``.

    Returns:
        A check raising ``ValueError(f"{message}: {value}")`` for a value below 0.
    """

    def check(value: Any, defaults: Mapping[str, Any]) -> None:
        if value < 0.0:
            raise ValueError(f"{message}: {value}")

    return check


def in_unit_interval(message: str) -> Check:
    """A check that a value lies in [0, 1].

    Args:
        message: the error's text before the value, e.g. ``"Invalid rho value"``.

    Returns:
        A check raising ``ValueError(f"{message}: {value}")`` for a value outside [0, 1].
    """

    def check(value: Any, defaults: Mapping[str, Any]) -> None:
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{message}: {value}")

    return check


def betas_in_unit_interval(betas: Any, defaults: Mapping[str, Any]) -> None:
    """Checks that both decay rates of ``betas`` lie in [0, 1), as the Adam family requires.

    Args:
        betas: the ``(beta1, beta2)`` pair.
        defaults: the other hyper-parameters (unused).
    """
    for i in range(2):
        if not 0.0 <= betas[i] < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {betas[i]}")


@dataclass(frozen=True)
class StateSlot:
    """A per-parameter state entry of an optimizer: a key of ``optimizer.state[p]``, a C++ slot.

    Args:
        name: the key, which is also the name the C++ update reads the slot by.
        when: the groups that need the slot (None: every group), e.g. those with momentum.
        init: the value a new entry starts at, or a function of the group giving it.
        scalar: one Python float per parameter (NAdam's ``mu_product``) instead of a tensor like it.
    """

    name: str
    when: Callable[[ParamGroup], bool] | None = None
    init: float | Callable[[ParamGroup], float] = 0.0
    scalar: bool = False

    def initial(self, param: Tensor, group: ParamGroup) -> Tensor | float:
        """A new entry for ``param`` in ``group``.

        Args:
            param: the parameter the entry belongs to.
            group: the parameter's group.

        Returns:
            A float for a scalar slot, else a tensor of the parameter's shape and dtype.
        """
        value = float(self.init(group) if callable(self.init) else self.init)
        if self.scalar:
            return value
        return zeros_like(param) if value == 0.0 else full_like(param, value)


class Optimizer:
    """Base class of all optimizers.

    A fused optimizer declares ``fused_update``, ``hyper_parameters`` and ``state_slots`` (and
    ``keeps_step``); see the module docstring. A subclass that declares no ``fused_update``
    overrides :meth:`step` instead, as with PyTorch.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups) each with a ``"params"``
            entry and its own hyper-parameters (missing ones are filled from ``defaults``).
        defaults: the default hyper-parameters of a group; for a fused optimizer, exactly the
            declared ones, each passing its check.
    """

    # The C++ update this optimizer runs, by name; None for a subclass that overrides step().
    fused_update: ClassVar[str | None] = None
    # Every hyper-parameter the C++ update reads, with the check its constructor value must pass
    # (None: any), in the order PyTorch checks them.
    hyper_parameters: ClassVar[HyperParameters] = {}
    # The per-parameter state, in the order it appears in optimizer.state[p] (after "step").
    state_slots: ClassVar[tuple[StateSlot, ...]] = ()
    # Whether the state counts steps ("step"). Without a count (SGD) the update sees step 1 on the
    # step that creates a parameter's state and 2 afterwards.
    keeps_step: ClassVar[bool] = True

    def __init__(self, params: ParamsT, defaults: Mapping[str, Any]) -> None:
        if self.fused_update is not None:
            self._check_defaults(defaults)
        self.defaults: dict[str, Any] = dict(defaults)
        self.state: dict[Tensor, dict[str, Any]] = {}
        self.param_groups: list[ParamGroup] = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor"
            )
        param_groups: list[Any] = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def _check_defaults(self, defaults: Mapping[str, Any]) -> None:
        declared = self.hyper_parameters
        if defaults.keys() != declared.keys():
            missing = [name for name in declared if name not in defaults]
            unknown = [name for name in defaults if name not in declared]
            raise TypeError(
                f"{type(self).__name__}: the defaults do not match the declared hyper-parameters "
                f"(missing {missing}, undeclared {unknown})"
            )
        for name, check in declared.items():
            if check is not None:
                check(defaults[name], defaults)

    def __repr__(self) -> str:
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Adds a group of parameters with its own hyper-parameters (defaults fill the rest).

        Args:
            param_group: a dict with ``"params"`` (a Tensor or an iterable of Tensors) and options.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group).__name__}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, set):
            raise TypeError(
                "optimizer parameters need to be organized in ordered collections, but "
                "the ordering of tensors in sets will change between runs; use a list"
            )
        else:
            params = list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"optimizer can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError("can't optimize a non-leaf Tensor")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("optimizer contains a parameter group with duplicate parameters")
        group = dict(param_group)
        group["params"] = params
        for name, default in self.defaults.items():
            group.setdefault(name, default)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Resets the gradients of all optimized parameters.

        Args:
            set_to_none: set ``.grad`` to None (the default, cheaper) instead of zeroing it.
        """
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    grad = p.grad
                    if grad is None:
                        continue
                    if set_to_none:
                        p.grad = None
                    elif grad.grad_fn is not None:
                        p.grad = zeros_like(grad)
                    else:
                        grad.zero_()

    def step(self, closure: Callable[[], Any] | None = None) -> Any:
        """Performs one optimization step over every parameter group.

        Args:
            closure: optional callable that re-evaluates the model and returns the loss.

        Returns:
            The closure's loss, or None.
        """
        update = self.fused_update
        if update is None:
            raise NotImplementedError(
                f"{type(self).__name__} declares no fused_update: it must override step()"
            )
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        with no_grad():
            for group in self.param_groups:
                params, grads = [], []
                for p in group["params"]:
                    grad = p.grad  # each read builds a new Python object: read it once
                    if grad is not None and p.requires_grad:
                        params.append(p)
                        grads.append(grad)
                if params:
                    self._fused_step(update, group, params, grads)
        return loss

    def _fused_step(
        self, update: str, group: ParamGroup, params: list[Tensor], grads: list[Tensor]
    ) -> None:
        """Allocates the state the group needs, counts the step, runs one ``_C._optimizer_step``."""
        slots = [s for s in self.state_slots if s.when is None or s.when(group)]
        keeps_step = self.keeps_step
        states: list[dict[str, Any]] = []
        steps: list[int] = []
        if slots or keeps_step:
            all_state = self.state
            for p in params:
                state = all_state.get(p)
                if not state:
                    state = all_state[p] = {"step": 0} if keeps_step else {}
                created = False
                for slot in slots:
                    if slot.name not in state:
                        state[slot.name] = slot.initial(p, group)
                        created = True
                if keeps_step:
                    state["step"] += 1
                    steps.append(int(state["step"]))
                else:
                    steps.append(1 if created else 2)
                states.append(state)
        else:
            steps = [1] * len(params)
        hyper = {name: group[name] for name in self.hyper_parameters}
        tensors = {s.name: [st[s.name] for st in states] for s in slots if not s.scalar}
        scalars = {s.name: [float(st[s.name]) for st in states] for s in slots if s.scalar}
        updated = _C._optimizer_step(update, params, grads, steps, hyper, tensors, scalars)
        for name, values in updated.items():
            for state, value in zip(states, values):
                state[name] = value

    # ---- checkpoints
    def state_dict(self) -> dict[str, Any]:
        """The optimizer's state in PyTorch's layout.

        Returns:
            ``{"state": {index: {name: tensor or number}},
            "param_groups": [{..., "params": [index]}]}`` where parameters are numbered across
            groups in order. State tensors are not copied.
        """
        index: dict[int, int] = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            packed["params"] = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                packed["params"].append(index[id(p)])
            groups.append(packed)
        state = {index[id(p)]: dict(s) for p, s in self.state.items() if id(p) in index}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: Mapping[str, Any]) -> None:
        """Loads a state from :meth:`state_dict` (tensors are copied, cast to the parameter dtype).

        Args:
            state_dict: the optimizer state; its groups must match this optimizer's in number and
                size.
        """
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        for group, saved in zip(self.param_groups, saved_groups):
            if len(group["params"]) != len(saved["params"]):
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match "
                    "the size of optimizer's group"
                )
        id_map = dict(
            zip(
                chain.from_iterable(g["params"] for g in saved_groups),
                chain.from_iterable(g["params"] for g in self.param_groups),
            )
        )
        scalar_slots = {slot.name for slot in self.state_slots if slot.scalar}
        state = {}
        for key, values in state_dict["state"].items():
            key = int(key)
            if key not in id_map:
                continue
            param = id_map[key]
            state[param] = {
                name: _load_value(name, value, param, scalar_slots)
                for name, value in values.items()
            }
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = dict(saved)
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups


def _load_value(name: str, value: Any, param: Tensor, scalar_slots: set[str]) -> Any:
    # PyTorch keeps step and scalar state (NAdam's mu_product) as 0-d tensors; here: numbers.
    if isinstance(value, Tensor):
        if name == "step":
            return int(value.item())
        if name in scalar_slots:
            return float(value.item())
        return value.detach().to(dtype=param.dtype).clone()
    return value
