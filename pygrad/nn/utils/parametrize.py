"""Parametrizations as torch.nn.utils.parametrize: ``module.weight`` computed from other tensors on access.

``register_parametrization(module, "weight", P())`` moves the parameter to
``module.parametrizations.weight.original`` (``original0``, ``original1``, ... when ``P.right_inverse``
returns several tensors) and swaps the module's class for a subclass (``ParametrizedLinear``) with a
``weight`` property that evaluates ``P(original)``; assigning to ``module.weight`` goes through
``right_inverse``. state_dict keys are torch's (``parametrizations.weight.original``).
"""

from __future__ import annotations

import contextlib
import copy
import copyreg
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.nn.modules.container import ModuleDict, ModuleList
from pygrad.nn.modules.module import Module
from pygrad.nn.parameter import Parameter

__all__ = [
    "ParametrizationList",
    "cached",
    "is_parametrized",
    "register_parametrization",
    "remove_parametrizations",
    "transfer_parametrizations_and_params",
    "type_before_parametrizations",
]

_cache_enabled = 0
_cache: dict[tuple[int, str], Tensor | None] = {}


@contextmanager
def cached() -> Iterator[None]:
    """Within this context each parametrized tensor is computed once, at its first access.

    Useful when a parametrized weight is read several times in one forward (e.g. a recurrent
    layer's weight at every time step); the cache is dropped when the outermost context exits.
    """
    global _cache, _cache_enabled
    _cache_enabled += 1
    try:
        yield
    finally:
        _cache_enabled -= 1
        if not _cache_enabled:
            _cache = {}


def _register_parameter_or_buffer(module: Module, name: str, value: Tensor) -> None:
    if isinstance(value, Parameter):
        module.register_parameter(name, value)
    else:
        module.register_buffer(name, value)


def _maybe_set(dest: Tensor, src: Tensor) -> None:
    # torch's set_: dest takes src's values (and shape) but keeps its identity, so optimizers still hold it.
    with no_grad():
        dest.data = src.detach()


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order; holds the unparametrized ``original``.

    Args:
        modules: the parametrizations (at least one).
        original: the parameter or buffer being parametrized.
        unsafe: skip the checks that the parametrization keeps the dtype and shape.
    """

    def __init__(self, modules: Sequence[Module], original: Tensor, unsafe: bool = False) -> None:
        if len(modules) == 0:
            raise ValueError("ParametrizationList requires one or more modules.")
        super().__init__(modules)
        self.unsafe = unsafe
        original_shape, original_dtype = tuple(original.shape), original.dtype
        with no_grad():
            new: Any = original
            for module in reversed(list(self)):
                # No right_inverse, or one that raises NotImplementedError: the identity.
                if hasattr(module, "right_inverse"):
                    with contextlib.suppress(NotImplementedError):
                        new = module.right_inverse(new)
        if not isinstance(new, (Tensor, Sequence)):
            raise ValueError(
                "'right_inverse' must return a Tensor or a Sequence of tensors (list, tuple...). "
                f"Got {type(new).__name__}"
            )
        self.is_tensor = isinstance(new, Tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if isinstance(new, Tensor):
            if original.dtype != new.dtype:
                raise ValueError(
                    "When `right_inverse` outputs one tensor, it may not change the dtype.\n"
                    f"original.dtype: {original.dtype}\n"
                    f"right_inverse(original).dtype: {new.dtype}"
                )
            if new is not original:
                _maybe_set(original, new)
            _register_parameter_or_buffer(self, "original", original)
        else:
            for i, value in enumerate(new):
                if not isinstance(value, Tensor):
                    raise ValueError(
                        "'right_inverse' must return a Tensor or a Sequence of tensors "
                        f"(list, tuple...). Got element {i} of the sequence with type "
                        f"{type(value).__name__}."
                    )
                # Parameters that required grad stay trainable (the user adds them to the optimizer).
                if isinstance(original, Parameter):
                    value = Parameter(value.detach(), original.requires_grad)
                else:
                    value = value.detach().requires_grad_(original.requires_grad)
                _register_parameter_or_buffer(self, f"original{i}", value)
        if not self.unsafe:
            z = self()
            if not isinstance(z, Tensor):
                raise ValueError(f"A parametrization must return a tensor. Got {type(z).__name__}.")
            if z.dtype != original_dtype:
                raise ValueError(
                    "Registering a parametrization may not change the dtype of the tensor, "
                    "unless `unsafe` flag is enabled.\n"
                    f"unparametrized dtype: {original_dtype}\nparametrized dtype: {z.dtype}"
                )
            if tuple(z.shape) != original_shape:
                raise ValueError(
                    "Registering a parametrization may not change the shape of the tensor, "
                    "unless `unsafe` flag is enabled.\n"
                    f"unparametrized shape: {original_shape}\nparametrized shape: {tuple(z.shape)}"
                )

    def right_inverse(self, value: Tensor) -> None:
        """Sets the original tensor(s) so that the parametrized tensor equals value.

        Args:
            value: the value the parametrized tensor should take.
        """
        with no_grad():
            result: Any = value
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(
                        f"parametrization {type(module).__name__} does not implement right_inverse."
                    )
                result = module.right_inverse(result)
            if self.is_tensor:
                if not isinstance(result, Tensor):
                    raise ValueError(
                        f"`right_inverse` should return a tensor. Got {type(result).__name__}"
                    )
                if result.dtype != self.original.dtype:
                    raise ValueError(
                        f"The tensor returned by `right_inverse` has dtype {result.dtype} "
                        f"while `original` has dtype {self.original.dtype}"
                    )
                _maybe_set(self.original, result)
                return
            if not isinstance(result, Sequence):
                raise ValueError(
                    "'right_inverse' must return a sequence of tensors. "
                    f"Got {type(result).__name__}."
                )
            if len(result) != self.ntensors:
                raise ValueError(
                    "'right_inverse' must return a sequence of tensors of length "
                    f"{self.ntensors}. Got a sequence of length {len(result)}."
                )
            for i, tensor in enumerate(result):
                original_i = getattr(self, f"original{i}")
                if not isinstance(tensor, Tensor):
                    raise ValueError(
                        "'right_inverse' must return a sequence of tensors. "
                        f"Got element {i} of type {type(tensor).__name__}."
                    )
                if original_i.dtype != tensor.dtype:
                    raise ValueError(
                        f"Tensor {i} returned by `right_inverse` has dtype {tensor.dtype} "
                        f"while `original{i}` has dtype {original_i.dtype}"
                    )
                _maybe_set(original_i, tensor)

    def forward(self) -> Tensor:
        """The parametrized tensor: the first parametrization applied to the original(s), then the rest."""
        layers = list(self)
        if self.is_tensor:
            x = layers[0](self.original)
        else:
            x = layers[0](*(getattr(self, f"original{i}") for i in range(self.ntensors)))
        for layer in layers[1:]:
            x = layer(x)
        return x


def _default_deepcopy(self: Module, memo: dict[int, Any]) -> Module:
    replica = memo.get(id(self))
    if replica is not None:
        return replica
    replica = self.__new__(type(self))
    memo[id(self)] = replica
    object.__setattr__(replica, "__dict__", copy.deepcopy(self.__dict__, memo))
    for slot in copyreg._slotnames(type(self)):  # type: ignore[attr-defined]
        if hasattr(self, slot):
            setattr(replica, slot, copy.deepcopy(getattr(self, slot), memo))
    return replica


def _getstate(self: Module) -> Any:
    raise RuntimeError(
        "Serialization of parametrized modules is only supported through state_dict()."
    )


def _inject_new_class(module: Module) -> None:
    """Swaps module's class for ``Parametrized<Class>``, a subclass that will hold the properties."""
    cls = type(module)
    namespace: dict[str, Any] = {"__getstate__": _getstate}
    if not hasattr(cls, "__deepcopy__"):
        namespace["__deepcopy__"] = _default_deepcopy
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), namespace)


def _inject_property(module: Module, tensor_name: str) -> None:
    if hasattr(module, tensor_name):
        raise AssertionError(f"Module already has an attribute named '{tensor_name}'")

    def get_parametrized(self: Module) -> Tensor:
        parametrization = self.parametrizations[tensor_name]
        if not _cache_enabled:
            return parametrization()
        key = (id(self), tensor_name)
        tensor = _cache.get(key)
        if tensor is None:
            tensor = parametrization()
            _cache[key] = tensor
        return tensor

    def set_original(self: Module, value: Tensor) -> None:
        self.parametrizations[tensor_name].right_inverse(value)

    setattr(type(module), tensor_name, property(get_parametrized, set_original))


def register_parametrization(
    module: Module, tensor_name: str, parametrization: Module, *, unsafe: bool = False
) -> Module:
    """Parametrizes ``module.<tensor_name>`` with ``parametrization`` (composed after any earlier one).

    Args:
        module: the module holding the parameter or buffer.
        tensor_name: the parameter or buffer's name.
        parametrization: a Module whose forward maps the original tensor(s) to the parametrized one;
            an optional ``right_inverse`` maps a value back (used at registration and on assignment).
        unsafe: allow the parametrization to change the tensor's shape or dtype (skips the checks).
    Returns:
        module (its class is now ``Parametrized<Class>``).
    """
    parametrization.train(module.training)
    if is_parametrized(module, tensor_name):
        if not unsafe:
            y = getattr(module, tensor_name)
            x = parametrization(y)
            _check_same(x, y, tensor_name, "parametrization", "A parametrization must return")
            if hasattr(parametrization, "right_inverse"):
                try:
                    z = parametrization.right_inverse(x)
                except NotImplementedError:
                    pass
                else:
                    _check_same(
                        z, y, tensor_name, "parametrization.right_inverse",
                        "parametrization.right_inverse must return",
                    )  # fmt: skip
        plist = module.parametrizations[tensor_name]
        plist.append(parametrization)
        plist.unsafe |= unsafe
    elif tensor_name in module._buffers or tensor_name in module._parameters:
        original = getattr(module, tensor_name)
        plist = ParametrizationList([parametrization], original, unsafe=unsafe)
        delattr(module, tensor_name)
        if not is_parametrized(module):
            _inject_new_class(module)
            module.parametrizations = ModuleDict()
        _inject_property(module, tensor_name)
        module.parametrizations[tensor_name] = plist
    else:
        raise ValueError(
            f"Module '{module}' does not have a parameter, a buffer, or a "
            f"parametrized element with name '{tensor_name}'"
        )
    return module


def _check_same(x: Any, y: Tensor, name: str, what: str, prefix: str) -> None:
    if not isinstance(x, Tensor):
        raise ValueError(f"{prefix} a tensor. Got {type(x).__name__}.")
    for attr, value_x, value_y in (
        ("dtype", x.dtype, y.dtype),
        ("shape", tuple(x.shape), tuple(y.shape)),
    ):
        if value_x != value_y:
            raise ValueError(
                f"Registering a parametrization may not change the {attr} of the tensor, unless "
                f"the `unsafe` flag is enabled.\nmodule.{name}.{attr}: {value_y}\n"
                f"{what}(module.{name}).{attr}: {value_x}"
            )


def is_parametrized(module: Module, tensor_name: str | None = None) -> bool:
    """Whether module has a parametrization (on tensor_name, or on any tensor when None).

    Args:
        module: the module to inspect.
        tensor_name: the parameter or buffer's name, or None for any.
    Returns:
        True when a parametrization is registered.
    """
    parametrizations = getattr(module, "parametrizations", None)
    if not isinstance(parametrizations, ModuleDict):
        return False
    if tensor_name is None:
        return len(parametrizations) > 0
    return tensor_name in parametrizations


def remove_parametrizations(
    module: Module, tensor_name: str, leave_parametrized: bool = True
) -> Module:
    """Removes the parametrizations of ``module.<tensor_name>``, leaving a plain parameter or buffer.

    Args:
        module: the parametrized module.
        tensor_name: the name of the parametrized tensor.
        leave_parametrized: keep the current parametrized value (True) or the original (False).
    Returns:
        module (back to its class once no tensor is parametrized).
    """
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"Module {module} does not have a parametrization on {tensor_name}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                value = getattr(module, tensor_name)
            # Into the original's storage, so the optimizer's reference stays valid.
            _maybe_set(original, value)
    else:
        if not leave_parametrized:
            raise ValueError(
                "Cannot leave unparametrized (`leave_parametrized=False`) a tensor "
                "that is parametrized in terms of a sequence of tensors."
            )
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value.detach()
    delattr(type(module), tensor_name)
    del module.parametrizations[tensor_name]
    _register_parameter_or_buffer(module, tensor_name, original)
    if not is_parametrized(module):
        delattr(module, "parametrizations")
        module.__class__ = type(module).__bases__[0]
    return module


def type_before_parametrizations(module: Module) -> type:
    """The module's class before any parametrization was registered.

    Args:
        module: a module, parametrized or not.
    Returns:
        Its original class.
    """
    if is_parametrized(module):
        return type(module).__bases__[0]
    return type(module)


def transfer_parametrizations_and_params(
    from_module: Module, to_module: Module, tensor_name: str | None = None
) -> Module:
    """Registers from_module's parametrizations (of tensor_name, or all) on to_module and shares
    the original tensors.

    Args:
        from_module: the parametrized module to copy from.
        to_module: the module to parametrize.
        tensor_name: the tensor whose parametrizations move, or None for every one.
    Returns:
        to_module.
    """
    if not is_parametrized(from_module):
        return to_module
    source = from_module.parametrizations
    names = list(source) if tensor_name is None else [tensor_name]
    for name in names:
        if not hasattr(to_module, name):
            setattr(to_module, name, Parameter(getattr(from_module, name).detach()))
        for parametrization in source[name]:
            register_parametrization(to_module, name, parametrization)
        target = to_module.parametrizations[name]
        if hasattr(source[name], "original"):
            target.original = source[name].original
        else:
            i = 0
            while hasattr(source[name], f"original{i}"):
                setattr(target, f"original{i}", getattr(source[name], f"original{i}"))
                i += 1
    return to_module
