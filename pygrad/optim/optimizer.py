"""Optimizer base: parameter groups, per-parameter state, zero_grad, step, state_dict (PyTorch's layout).

A subclass names its fused C++ update (``_kind``), its state tensors and its hyper-parameters; the base
gathers every parameter of a group that has a gradient and runs that update once over the whole group,
in place, under no_grad.
"""

from itertools import chain

from pygrad import _C
from pygrad._factories import full_like, zeros_like
from pygrad._grad_mode import enable_grad, no_grad

Tensor = _C.Tensor


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors, or of dicts (parameter groups) each with a ``"params"`` entry
            and its own hyper-parameters (missing ones are filled from ``defaults``).
        defaults: the default hyper-parameters of a group.
    """

    # The update that _C._optimizer_step runs, and the state tensors in the kernel's slot order
    # (None for an unused slot); subclasses set them.
    _kind = None

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of Tensors or dicts, "
                "but got a Tensor"
            )
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    def __repr__(self):
        lines = [type(self).__name__ + " ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)

    def add_param_group(self, param_group):
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

    def zero_grad(self, set_to_none=True):
        """Resets the gradients of all optimized parameters.

        Args:
            set_to_none: set ``.grad`` to None (the default, cheaper) instead of filling it with zeros.
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

    def step(self, closure=None):
        """Performs one optimization step over every parameter group.

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
                params, grads = [], []
                for p in group["params"]:
                    grad = p.grad  # each read builds a new Python object: read it once
                    if grad is not None and p.requires_grad:
                        params.append(p)
                        grads.append(grad)
                if params:
                    self._step_group(group, params, grads)
        return loss

    # ---- the subclass interface
    def _step_group(self, group, params, grads):
        """Runs the fused update over one group's parameters that have gradients."""
        raise NotImplementedError

    def _fused_step(self, group, params, grads, slots, hyper, init=0.0, aux=None, aux_init=1.0):
        """Allocates missing state, counts the step and runs one ``_C._optimizer_step`` call.

        Args:
            slots: the state names in the kernel's slot order (None for an unused slot).
            hyper: the keyword hyper-parameters of the kernel.
            init: the value new state tensors start at.
            aux: the name of a per-parameter float state (NAdam's mu_product), or None.
        """
        states = []
        for p in params:
            state = self.state.get(p)
            if not state:
                state = {"step": 0}
                if aux is not None:
                    state[aux] = aux_init
                self.state[p] = state
            for name in slots:
                if name is not None and name not in state:
                    state[name] = zeros_like(p) if init == 0.0 else full_like(p, init)
            state["step"] += 1
            states.append(state)
        state_lists = [[s[name] for s in states] if name is not None else [] for name in slots]
        steps = [int(s["step"]) for s in states]
        aux_values = [float(s[aux]) for s in states] if aux is not None else []
        out = _C._optimizer_step(self._kind, params, grads, state_lists, steps, aux_values, **hyper)
        if aux is not None:
            for s, v in zip(states, out):
                s[aux] = v

    # ---- checkpoints
    def state_dict(self):
        """The optimizer's state in PyTorch's layout.

        Returns:
            ``{"state": {index: {name: tensor or number}}, "param_groups": [{..., "params": [index]}]}``
            where parameters are numbered across groups in order. State tensors are not copied.
        """
        index = {}
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

    def load_state_dict(self, state_dict):
        """Loads a state produced by :meth:`state_dict` (tensors are copied, cast to each parameter's dtype).

        Args:
            state_dict: the optimizer state; its groups must match this optimizer's in number and size.
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
        state = {}
        for key, values in state_dict["state"].items():
            key = int(key)
            if key not in id_map:
                continue
            param = id_map[key]
            state[param] = {name: _load_value(name, value, param) for name, value in values.items()}
        new_groups = []
        for group, saved in zip(self.param_groups, saved_groups):
            new_group = dict(saved)
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        self.state = state
        self.param_groups = new_groups


# Per-parameter state kept as Python numbers (PyTorch keeps them as 0-d tensors).
_SCALAR_STATE = {"mu_product"}


def _load_value(name, value, param):
    if isinstance(value, Tensor):
        if name == "step":
            return int(value.item())
        if name in _SCALAR_STATE:
            return float(value.item())
        return value.detach().to(dtype=param.dtype).clone()
    return value
