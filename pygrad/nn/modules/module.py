"""``Module``: the base class of layers and models, with PyTorch's registration and state_dict rules."""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, NamedTuple, TypeVar

from pygrad import _C
from pygrad._C import Tensor
from pygrad._device import check_device, device
from pygrad._factories import as_tensor
from pygrad._grad_mode import no_grad
from pygrad.nn.modules import _head, _summary
from pygrad.nn.parameter import Buffer, Parameter

__all__ = ["Module", "RemovableHandle"]

_T = TypeVar("_T")
_M = TypeVar("_M", bound="Module")


class _IncompatibleKeys(NamedTuple):
    """What ``load_state_dict`` returns: the keys it missed and those it did not expect."""

    missing_keys: list[str]
    unexpected_keys: list[str]


def _addindent(text: str, spaces: int) -> str:
    lines = text.split("\n")
    if len(lines) == 1:
        return text
    first = lines.pop(0)
    return first + "\n" + "\n".join(" " * spaces + line for line in lines)


class RemovableHandle:
    """Returned by register_*_hook; ``handle.remove()`` unregisters the hook."""

    _next_id = itertools.count()

    def __init__(self, hooks: dict[int, Callable[..., Any]]) -> None:
        self._hooks = hooks
        self.id = next(RemovableHandle._next_id)

    def remove(self) -> None:
        """Unregisters the hook (a no-op when it is already gone)."""
        self._hooks.pop(self.id, None)

    def __enter__(self) -> RemovableHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()


def _forward_unimplemented(self: Module, *input: Any) -> Any:
    raise NotImplementedError(
        f'[Module] {type(self).__name__} is missing the required "forward" function'
    )


class Module:
    """Base class of all layers and models.

    Assigning a ``Parameter`` or a ``Module`` to an attribute registers it; ``register_buffer`` adds
    non-learnable state (e.g. BatchNorm's running statistics) that state_dict saves. Subclasses
    implement ``forward``; call the module itself (``model(x)``) so that hooks run.
    """

    training: bool
    _parameters: dict[str, Parameter | None]
    _buffers: dict[str, Tensor | None]
    _non_persistent_buffers_set: set[str]
    _modules: dict[str, Module | None]
    _forward_hooks: dict[int, Callable[..., Any]]
    _forward_pre_hooks: dict[int, Callable[..., Any]]

    # Subclasses define forward with their own signature (an attribute, so that mypy lets them).
    forward: Callable[..., Any] = _forward_unimplemented

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if args or kwargs:
            raise TypeError(f"[Module] __init__() got unexpected arguments {args} {sorted(kwargs)}")
        object.__setattr__(self, "training", True)
        object.__setattr__(self, "_parameters", OrderedDict())
        object.__setattr__(self, "_buffers", OrderedDict())
        object.__setattr__(self, "_non_persistent_buffers_set", set())
        object.__setattr__(self, "_modules", OrderedDict())
        object.__setattr__(self, "_forward_hooks", OrderedDict())
        object.__setattr__(self, "_forward_pre_hooks", OrderedDict())

    # ------------------------------------------------------------------ forward
    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if (
            not self._forward_pre_hooks and not self._forward_hooks
        ):  # the common case: no hook lists to copy
            return self.forward(*args, **kwargs)
        for hook in list(self._forward_pre_hooks.values()):
            result = hook(self, args)
            if result is not None:
                args = result if isinstance(result, tuple) else (result,)
        output = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            result = hook(self, args, output)
            if result is not None:
                output = result
        return output

    def register_forward_hook(
        self, hook: Callable[[Module, tuple[Any, ...], Any], Any]
    ) -> RemovableHandle:
        """Registers ``hook(module, inputs, output)`` to run after forward; it may return a new output."""
        handle = RemovableHandle(self._forward_hooks)
        self._forward_hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(
        self, hook: Callable[[Module, tuple[Any, ...]], Any]
    ) -> RemovableHandle:
        """Registers ``hook(module, inputs)`` to run before forward; it may return new inputs."""
        handle = RemovableHandle(self._forward_pre_hooks)
        self._forward_pre_hooks[handle.id] = hook
        return handle

    # ------------------------------------------------------------------ registration
    def _check_name(self, name: object, kind: str) -> None:
        if not isinstance(name, str):
            raise TypeError(f"[{kind}] name must be a str, got {type(name).__name__}")
        if name == "":
            raise KeyError(f'[{kind}] name can\'t be empty string ""')
        if "." in name:
            raise KeyError(f'[{kind}] name can\'t contain ".", got "{name}"')

    def register_parameter(self, name: str, param: Parameter | None) -> None:
        """Adds a parameter (a Parameter, or None for an optional one such as a missing bias)."""
        if "_parameters" not in self.__dict__:
            raise AttributeError("cannot assign parameter before Module.__init__() call")
        self._check_name(name, "register_parameter")
        if hasattr(self, name) and name not in self._parameters:
            raise KeyError(f"[register_parameter] attribute '{name}' already exists")
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(
                f"[register_parameter] cannot assign '{type(param).__name__}' object to parameter '{name}' "
                "(pygrad.nn.Parameter or None required)"
            )
        self._parameters[name] = param

    def register_buffer(self, name: str, tensor: Tensor | None, persistent: bool = True) -> None:
        """Adds a buffer: state that is not a parameter; persistent buffers are part of state_dict."""
        if "_buffers" not in self.__dict__:
            raise AttributeError("cannot assign buffer before Module.__init__() call")
        self._check_name(name, "register_buffer")
        if hasattr(self, name) and name not in self._buffers:
            raise KeyError(f"[register_buffer] attribute '{name}' already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(
                f"[register_buffer] cannot assign '{type(tensor).__name__}' object to buffer '{name}' "
                "(pygrad.Tensor or None required)"
            )
        self._buffers[name] = tensor
        if persistent:
            self._non_persistent_buffers_set.discard(name)
        else:
            self._non_persistent_buffers_set.add(name)

    def add_module(self, name: str, module: Module | None) -> None:
        """Adds a child module, reachable as an attribute and named ``name`` in state_dict keys."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"[add_module] {type(module).__name__} is not a Module subclass")
        self._check_name(name, "add_module")
        if hasattr(self, name) and name not in self._modules:
            raise KeyError(f"[add_module] attribute '{name}' already exists")
        self._modules[name] = module

    register_module = add_module

    def __setattr__(self, name: str, value: Any) -> None:
        params = self.__dict__.get("_parameters")
        if isinstance(value, Parameter):
            if params is None:
                raise AttributeError("cannot assign parameters before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._buffers, self._modules)
            self.register_parameter(name, value)
        elif isinstance(value, Buffer):  # torch's nn.Buffer: register_buffer by assignment
            if self.__dict__.get("_buffers") is None:
                raise AttributeError("cannot assign buffer before Module.__init__() call")
            self._remove_from(name, self.__dict__, self._parameters, self._modules)
            self.register_buffer(name, value, persistent=value.persistent)
        elif params is not None and name in params:
            if value is not None:
                raise TypeError(
                    f"cannot assign '{type(value).__name__}' as parameter '{name}' "
                    "(pygrad.nn.Parameter or None expected)"
                )
            self.register_parameter(name, value)
        else:
            modules = self.__dict__.get("_modules")
            if isinstance(value, Module):
                if modules is None:
                    raise AttributeError("cannot assign module before Module.__init__() call")
                self._remove_from(name, self.__dict__, self._parameters, self._buffers)
                modules[name] = value
            elif modules is not None and name in modules:
                if value is not None:
                    raise TypeError(
                        f"cannot assign '{type(value).__name__}' as child module '{name}' (Module or None expected)"
                    )
                modules[name] = value
            else:
                buffers = self.__dict__.get("_buffers")
                if buffers is not None and name in buffers:
                    if value is not None and not isinstance(value, Tensor):
                        raise TypeError(
                            f"cannot assign '{type(value).__name__}' as buffer '{name}' (pygrad.Tensor or None expected)"
                        )
                    buffers[name] = value
                else:
                    object.__setattr__(self, name, value)

    @staticmethod
    def _remove_from(name: str, *dicts: dict[str, Any]) -> None:
        for d in dicts:
            if name in d:
                del d[name]

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: parameters, buffers and submodules live in dicts.
        d = self.__dict__
        for store in ("_parameters", "_buffers", "_modules"):
            values = d.get(store)
            if values is not None and name in values:
                return values[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name: str) -> None:
        if name in self._parameters:
            del self._parameters[name]
        elif name in self._buffers:
            del self._buffers[name]
            self._non_persistent_buffers_set.discard(name)
        elif name in self._modules:
            del self._modules[name]
        else:
            object.__delattr__(self, name)

    def __dir__(self) -> list[str]:
        keys = set(dir(type(self))) | set(self.__dict__)
        keys |= set(self._parameters) | set(self._buffers) | set(self._modules)
        return sorted(k for k in keys if not k[0].isdigit())

    def get_submodule(self, target: str) -> Module:
        """The submodule at a dotted path such as ``"features.0"`` ("" is the module itself)."""
        module: Module = self
        if target == "":
            return module
        for item in target.split("."):
            child = module._modules.get(item)
            if child is None:
                raise AttributeError(
                    f"{type(module).__name__} has no submodule `{item}` (looking up '{target}')"
                )
            module = child
        return module

    def get_parameter(self, target: str) -> Parameter:
        """The parameter at a dotted path such as ``"0.weight"``."""
        module_path, _, name = target.rpartition(".")
        module = self.get_submodule(module_path)
        if name not in module._parameters:
            raise AttributeError(f"{type(module).__name__} has no parameter `{name}`")
        param = module._parameters[name]
        if param is None:
            raise AttributeError(f"`{name}` of {type(module).__name__} is None, not a Parameter")
        return param

    # ------------------------------------------------------------------ iteration
    def _named_members(
        self,
        get_members: Callable[[Module], Iterable[tuple[str, _T | None]]],
        prefix: str = "",
        recurse: bool = True,
        remove_duplicate: bool = True,
    ) -> Iterator[tuple[str, _T]]:
        memo: set[int] = set()
        modules = (
            self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate)
            if recurse
            else [(prefix, self)]
        )
        for module_prefix, module in modules:
            for name, value in get_members(module):
                if value is None:
                    continue
                if remove_duplicate:
                    if id(value) in memo:
                        continue
                    memo.add(id(value))
                yield (module_prefix + ("." if module_prefix else "") + name), value

    def named_parameters(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Parameter]]:
        """(name, parameter) pairs with PyTorch's dotted names (``"0.weight"``), each shared parameter once."""
        return self._named_members(
            lambda m: m._parameters.items(), prefix, recurse, remove_duplicate
        )

    def parameters(self, recurse: bool = True) -> Iterator[Parameter]:
        """The parameters of this module and (with recurse) of every submodule."""
        for _, param in self.named_parameters(recurse=recurse):
            yield param

    def named_buffers(
        self, prefix: str = "", recurse: bool = True, remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Tensor]]:
        """(name, buffer) pairs with dotted names (``"bn.running_mean"``)."""
        return self._named_members(lambda m: m._buffers.items(), prefix, recurse, remove_duplicate)

    def buffers(self, recurse: bool = True) -> Iterator[Tensor]:
        """The buffers of this module and (with recurse) of every submodule."""
        for _, buf in self.named_buffers(recurse=recurse):
            yield buf

    def named_children(self) -> Iterator[tuple[str, Module]]:
        """(name, module) pairs of the direct children."""
        memo: set[int] = set()
        for name, module in self._modules.items():
            if module is not None and id(module) not in memo:
                memo.add(id(module))
                yield name, module

    def children(self) -> Iterator[Module]:
        """The direct child modules."""
        for _, module in self.named_children():
            yield module

    def named_modules(
        self, memo: set[int] | None = None, prefix: str = "", remove_duplicate: bool = True
    ) -> Iterator[tuple[str, Module]]:
        """(name, module) pairs of this module ("") and all its descendants, depth first."""
        if memo is None:
            memo = set()
        if id(self) in memo and remove_duplicate:
            return
        if remove_duplicate:
            memo.add(id(self))
        yield prefix, self
        for name, module in self._modules.items():
            if module is None:
                continue
            sub_prefix = prefix + ("." if prefix else "") + name
            yield from module.named_modules(memo, sub_prefix, remove_duplicate)

    def modules(self) -> Iterator[Module]:
        """This module and all its descendants."""
        for _, module in self.named_modules():
            yield module

    # ------------------------------------------------------------------ modes and gradients
    def train(self: _M, mode: bool = True) -> _M:
        """Sets training mode on this module and its descendants (Dropout and BatchNorm care); returns self."""
        if not isinstance(mode, bool):
            raise TypeError("[train] training mode is expected to be boolean")
        self.training = mode
        for module in self.children():
            module.train(mode)
        return self

    def eval(self: _M) -> _M:
        """Sets evaluation mode (``train(False)``); returns self."""
        return self.train(False)

    def requires_grad_(self: _M, requires_grad: bool = True) -> _M:
        """Sets requires_grad on every parameter; returns self."""
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def freeze(self: _M) -> _M:
        """Stops training every parameter: they get no gradient and backward does no work for them."""
        return self.requires_grad_(False)

    def unfreeze(self: _M) -> _M:
        """Makes every parameter trainable again."""
        return self.requires_grad_(True)

    def replace_head(
        self,
        new_head: Module | None = None,
        name: str | None = None,
        num_classes: int | None = None,
    ) -> Module:
        """Replaces the model's head (by default its last layer with parameters) and returns the new one.

        Equivalent to assigning the attribute yourself (``model.fc = nn.Linear(512, 5)``,
        ``model[-1] = ...`` for a Sequential), with the head found for you (``nn.find_head``). The
        new head is trainable even when the rest of the model is frozen.

        Args:
            new_head: the Module to put in place. When None, a freshly initialised layer is made:
                with num_classes, a layer of the old head's class with num_classes outputs
                (``nn.Linear(old.in_features, num_classes)`` for a Linear head); otherwise a
                layer of the old head's class and shapes with new random weights (its
                ``reset_parameters()``).
            name: the dotted name of the submodule to replace (``"fc"``, ``"classifier.1"``,
                ``"3"``); by default ``nn.find_head(self)``.
            num_classes: the number of outputs of the new head (needs the old head's
                ``in_features``); not allowed together with new_head.
        Returns:
            The new head.
        Raises:
            ValueError: no head found, or new_head and num_classes both given.
            TypeError: new_head is not a Module, or a fresh layer can't be made.
            AttributeError: name is not a submodule of the model.
        """
        if new_head is not None and not isinstance(new_head, Module):
            raise TypeError(
                f"[replace_head] new_head must be a Module, got {type(new_head).__name__}"
            )
        return _head.replace_head(self, new_head, name, num_classes)

    def zero_grad(self, set_to_none: bool = True) -> None:
        """Clears the gradients of all parameters (sets them to None, or to zeros with set_to_none=False)."""
        for p in self.parameters():
            if p.grad is None:
                continue
            if set_to_none:
                p.grad = None
            else:
                with no_grad():
                    p.grad.zero_()

    # ------------------------------------------------------------------ applying functions
    def apply(self: _M, fn: Callable[[Module], object]) -> _M:
        """Calls fn on every submodule (children first) and then on self, e.g. for custom init; returns self."""
        for module in self.children():
            module.apply(fn)
        fn(self)
        return self

    def _apply(self: _M, fn: Callable[[Tensor], Tensor]) -> _M:
        for module in self.children():
            module._apply(fn)
        with no_grad():
            for param in self._parameters.values():
                if param is None:
                    continue
                new = fn(param)
                if new is not param:
                    param.data = new.detach()
                if param.grad is not None:
                    grad = fn(param.grad)
                    if grad is not param.grad:
                        param.grad = grad.detach()
            for key, buf in self._buffers.items():
                if buf is not None:
                    self._buffers[key] = fn(buf)
        return self

    def to(self: _M, *args: Any, **kwargs: Any) -> _M:
        """Converts floating-point parameters and buffers in place: ``to(pygrad.float64)``, ``to("cpu")``."""
        dtype = kwargs.pop("dtype", None)
        dev = kwargs.pop("device", None)
        kwargs.pop("non_blocking", None)
        if kwargs:
            raise TypeError(f"[to] unexpected arguments {sorted(kwargs)}")
        for arg in args:
            if isinstance(arg, Tensor):
                dtype = arg.dtype
            elif isinstance(arg, (str, device)):
                dev = arg
            else:
                dtype = arg
        check_device(dev, "to")
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(
                f"[to] nn.Module.to only accepts floating point dtypes, but got desired dtype={dtype}"
            )
        if dtype is None:
            return self
        return self._apply(
            lambda t: t._to_dtype(dtype) if t.dtype.is_floating_point and t.dtype != dtype else t
        )

    def float(self: _M) -> _M:
        """Casts floating-point parameters and buffers to float32."""
        return self.to(_C.float32)

    def double(self: _M) -> _M:
        """Casts floating-point parameters and buffers to float64."""
        return self.to(_C.float64)

    def half(self: _M) -> _M:
        """Casts floating-point parameters and buffers to float16."""
        return self.to(_C.float16)

    def bfloat16(self: _M) -> _M:
        """Casts floating-point parameters and buffers to bfloat16."""
        return self.to(_C.bfloat16)

    def cpu(self: _M) -> _M:
        """Returns self (pygrad tensors live on the CPU)."""
        return self

    def cuda(self: _M, device: object = None) -> _M:
        """Moves the module to a CUDA device: raises RuntimeError in this CPU-only build."""
        check_device("cuda", "cuda")
        return self

    # ------------------------------------------------------------------ state dict
    def _save_to_state_dict(
        self, destination: dict[str, Tensor], prefix: str, keep_vars: bool
    ) -> None:
        for name, param in self._parameters.items():
            if param is not None:
                destination[prefix + name] = param if keep_vars else param.detach()
        for name, buf in self._buffers.items():
            if buf is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = buf if keep_vars else buf.detach()

    def state_dict(
        self,
        destination: dict[str, Tensor] | None = None,
        prefix: str = "",
        keep_vars: bool = False,
    ) -> dict[str, Tensor]:
        """An OrderedDict of every parameter and persistent buffer by dotted name, as detached tensors.

        The tensors share memory with the module (like PyTorch): clone them to keep a snapshot.
        """
        if destination is None:
            destination = OrderedDict()
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, module in self._modules.items():
            if module is not None:
                module.state_dict(
                    destination=destination, prefix=prefix + name + ".", keep_vars=keep_vars
                )
        return destination

    def _load_from_state_dict(
        self,
        state_dict: Mapping[str, Any],
        prefix: str,
        missing_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        persistent = {
            k: v for k, v in self._buffers.items() if k not in self._non_persistent_buffers_set
        }
        local = itertools.chain(self._parameters.items(), persistent.items())
        for name, target in local:
            if target is None:
                continue
            key = prefix + name
            if key not in state_dict:
                missing_keys.append(key)
                continue
            value = state_dict[key]
            if not isinstance(value, Tensor):
                try:
                    value = as_tensor(value)
                except (TypeError, ValueError):
                    error_msgs.append(
                        f'While copying the parameter named "{key}", expected a Tensor in the state_dict, '
                        f"got {type(value).__name__}."
                    )
                    continue
            if tuple(value.shape) != tuple(target.shape):
                error_msgs.append(
                    f"size mismatch for {key}: copying a param with shape {list(value.shape)} from checkpoint, "
                    f"the shape in current model is {list(target.shape)}."
                )
                continue
            try:
                with no_grad():
                    target.copy_(value.detach())
            except Exception as error:
                error_msgs.append(f'While copying the parameter named "{key}": {error}')

    def load_state_dict(
        self, state_dict: Mapping[str, Any], strict: bool = True
    ) -> _IncompatibleKeys:
        """Copies parameters and buffers from state_dict in place (so optimizers keep their references).

        Shape mismatches always raise; with strict=True (the default) missing and unexpected keys
        raise too, all of them named in one RuntimeError. Returns ``(missing_keys, unexpected_keys)``.
        """
        if not hasattr(state_dict, "keys") or not hasattr(state_dict, "__getitem__"):
            raise TypeError(
                f"[load_state_dict] expected a dict-like state_dict, got {type(state_dict).__name__}"
            )
        missing_keys: list[str] = []
        error_msgs: list[str] = []
        expected: set[str] = set()
        for prefix, module in self.named_modules(remove_duplicate=False):
            prefix = prefix + "." if prefix else ""
            module._load_from_state_dict(state_dict, prefix, missing_keys, error_msgs)
            expected.update(prefix + k for k, v in module._parameters.items() if v is not None)
            expected.update(
                prefix + k
                for k, v in module._buffers.items()
                if v is not None and k not in module._non_persistent_buffers_set
            )
        unexpected_keys = [k for k in state_dict if k not in expected]
        missing_keys = list(dict.fromkeys(missing_keys))
        if strict:
            if unexpected_keys:
                error_msgs.insert(
                    0,
                    "Unexpected key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in unexpected_keys)
                    ),
                )
            if missing_keys:
                error_msgs.insert(
                    0,
                    "Missing key(s) in state_dict: {}. ".format(
                        ", ".join(f'"{k}"' for k in missing_keys)
                    ),
                )
        if error_msgs:
            raise RuntimeError(
                "Error(s) in loading state_dict for {}:\n\t{}".format(
                    type(self).__name__, "\n\t".join(error_msgs)
                )
            )
        return _IncompatibleKeys(missing_keys, unexpected_keys)

    # ------------------------------------------------------------------ repr and summary
    def extra_repr(self) -> str:
        """Extra text shown inside this module's repr, e.g. ``in_features=2, out_features=3, bias=True``."""
        return ""

    def _get_name(self) -> str:
        return type(self).__name__

    def __repr__(self) -> str:
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, module in self._modules.items():
            lines.append("(" + name + "): " + _addindent(repr(module), 2))
        body = self._get_name() + "("
        if lines:
            if len(lines) == 1 and not self._modules:
                body += lines[0]
            else:
                body += "\n  " + "\n  ".join(lines) + "\n"
        return body + ")"

    def summary(
        self,
        input_size: Iterable[int] | None = None,
        input: Tensor | tuple[Any, ...] | None = None,
        dtype: _C.dtype | None = None,
        print_fn: Callable[[str], object] | None = print,
    ) -> str:
        """Prints and returns a table of layers, output shapes and parameter counts.

        Args:
            input_size: the shape of a random input (batch dimension included), e.g. ``(1, 784)``.
            input: an input tensor (or a tuple of inputs) to run instead, e.g. int64 indices for Embedding.
            dtype: the dtype of the random input (defaults to the first parameter's, else float32).
            print_fn: called with the table (``None`` to only return it).
        Without input_size or input no forward runs and output shapes show as "--".
        Parameters are counted where they are registered; "Trainable" are those with requires_grad.
        The forward runs in eval mode under no_grad, so running statistics don't change.
        """
        return _summary.summary(self, input_size, input, dtype, print_fn)
