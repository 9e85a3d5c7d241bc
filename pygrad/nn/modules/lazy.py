"""Lazy modules: ``LazyLinear``, ``LazyConv*d``, ``LazyConvTranspose*d``, ``LazyBatchNorm*d`` and
``LazyInstanceNorm*d``, whose input size is inferred at the first forward (torch's LazyModuleMixin).

Before the first call the weights are ``UninitializedParameter`` (an empty placeholder) and the
running statistics ``UninitializedBuffer``; a forward pre-hook then reads the input's size,
materialises them in place (an optimizer built earlier keeps valid references), initialises them
as the ordinary layer would, and turns the module into that layer (``cls_to_become``).
``load_state_dict`` into an uninitialised module materialises from the checkpoint's shapes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from pygrad._C import Tensor
from pygrad._grad_mode import no_grad
from pygrad.nn.modules.conv import (
    Conv1d,
    Conv2d,
    Conv3d,
    ConvTranspose1d,
    ConvTranspose2d,
    ConvTranspose3d,
)
from pygrad.nn.modules.linear import Linear
from pygrad.nn.modules.module import Module
from pygrad.nn.modules.normalization import BatchNorm1d, BatchNorm2d, BatchNorm3d
from pygrad.nn.modules.normalization_extra import InstanceNorm1d, InstanceNorm2d, InstanceNorm3d
from pygrad.nn.parameter import UninitializedBuffer, UninitializedParameter, is_lazy

__all__ = [
    "LazyBatchNorm1d",
    "LazyBatchNorm2d",
    "LazyBatchNorm3d",
    "LazyConv1d",
    "LazyConv2d",
    "LazyConv3d",
    "LazyConvTranspose1d",
    "LazyConvTranspose2d",
    "LazyConvTranspose3d",
    "LazyInstanceNorm1d",
    "LazyInstanceNorm2d",
    "LazyInstanceNorm3d",
    "LazyLinear",
    "LazyModuleMixin",
]


class LazyModuleMixin:
    """Infers parameter shapes at the first forward, then becomes ``cls_to_become``.

    Subclasses implement ``initialize_parameters(*inputs)``, materialising every uninitialised
    parameter and buffer (``_materialize``) and initialising them.
    """

    cls_to_become: ClassVar[type[Module] | None] = None

    def _lazy_setup(self) -> None:
        # Called at the end of the subclass's __init__, once the placeholders are registered.
        module: Any = self
        object.__setattr__(
            self, "_initialize_hook", module.register_forward_pre_hook(_infer_parameters)
        )

    def initialize_parameters(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError(
            f"initialize_parameters is not implemented for {type(self).__name__}"
        )

    def has_uninitialized_params(self) -> bool:
        """Whether any parameter or buffer is still an uninitialised placeholder."""
        module: Any = self
        values = [*module._parameters.values(), *module._buffers.values()]
        return any(is_lazy(v) for v in values)

    def _materialize(self, name: str, shape: Any) -> None:
        """Gives placeholder ``name`` its shape: a parameter in place, a buffer by replacement."""
        module: Any = self
        if name in module._parameters:
            module._parameters[name].materialize(shape)
        else:
            module._buffers[name] = module._buffers[name].materialize(shape)

    def _save_to_state_dict(
        self, destination: dict[str, Tensor], prefix: str, keep_vars: bool
    ) -> None:
        # As torch: placeholders go into the state_dict themselves (detaching would lose the class).
        module: Any = self
        for store in (module._parameters, module._buffers):
            for name, value in store.items():
                if value is None or name in module._non_persistent_buffers_set:
                    continue
                destination[prefix + name] = (
                    value if is_lazy(value) or keep_vars else value.detach()
                )

    def _load_from_state_dict(
        self,
        state_dict: Mapping[str, Any],
        prefix: str,
        missing_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # Placeholders take the checkpoint's shapes first; then the ordinary copy runs.
        module: Any = self
        for name, value in [*module._parameters.items(), *module._buffers.items()]:
            key = prefix + name
            if value is not None and is_lazy(value) and key in state_dict:
                loaded = state_dict[key]
                if isinstance(loaded, Tensor) and not is_lazy(loaded):
                    with no_grad():
                        self._materialize(name, tuple(loaded.shape))
        Module._load_from_state_dict(module, state_dict, prefix, missing_keys, error_msgs)


def _infer_parameters(module: Any, args: tuple[Any, ...]) -> None:
    """The forward pre-hook: materialise from the input, then become the ordinary class."""
    module.initialize_parameters(*args)
    if module.has_uninitialized_params():
        raise RuntimeError(f"module {type(module).__name__} has not been fully initialized")
    module._initialize_hook.remove()
    del module.__dict__["_initialize_hook"]
    if module.cls_to_become is not None:
        module.__class__ = module.cls_to_become


# --------------------------------------------------------------------------- linear
class LazyLinear(LazyModuleMixin, Linear):
    """A ``Linear`` whose ``in_features`` is inferred from the first input's last dimension.

    Args:
        out_features: the size of each output's last dimension.
        bias: whether to add a learnable bias.
        device, dtype: as ``Linear``.
    """

    cls_to_become = Linear

    def __init__(
        self, out_features: int, bias: bool = True, device: Any = None, dtype: Any = None
    ) -> None:
        # A 0-input Linear, then placeholders in place of its (empty) weight and bias.
        super().__init__(0, out_features, False, device, dtype)
        self.weight = UninitializedParameter(dtype=dtype)
        if bias:
            self.bias = UninitializedParameter(dtype=dtype)
        self._lazy_setup()

    def reset_parameters(self) -> None:
        if not self.has_uninitialized_params() and self.in_features != 0:
            super().reset_parameters()

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        if self.has_uninitialized_params():
            with no_grad():
                self.in_features = int(input.shape[-1])
                self._materialize("weight", (self.out_features, self.in_features))
                if self.bias is not None:
                    self._materialize("bias", (self.out_features,))
                self.reset_parameters()
        if self.in_features == 0:  # materialised by load_state_dict: the size is the weight's
            self.in_features = int(self.weight.shape[-1])


# --------------------------------------------------------------------------- convolutions
class _LazyConvMixin(LazyModuleMixin):
    _spatial: ClassVar[int]

    def _lazy_conv_setup(self, bias: bool, dtype: Any) -> None:
        module: Any = self
        module.in_channels = 0
        module.weight = UninitializedParameter(dtype=dtype)
        if bias:
            module.bias = UninitializedParameter(dtype=dtype)
        else:
            module.register_parameter("bias", None)
        self._lazy_setup()

    def reset_parameters(self) -> None:
        module: Any = self
        if not self.has_uninitialized_params() and module.in_channels != 0:
            super().reset_parameters()  # type: ignore[misc]

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        module: Any = self
        if not self.has_uninitialized_params():
            if module.in_channels == 0:  # materialised by load_state_dict: read the weight's shape
                w = module.weight.shape
                module.in_channels = int(w[0] if module.transposed else w[1] * module.groups)
            return
        n = self._spatial
        if input.ndim not in (n + 1, n + 2):
            raise RuntimeError(
                f"Expected {n + 1}D (unbatched) or {n + 2}D (batched) input to "
                f"{type(self).__name__}, but got input of size: {list(input.shape)}"
            )
        in_channels = int(input.shape[1] if input.ndim == n + 2 else input.shape[0])
        if in_channels % module.groups != 0:
            raise ValueError("in_channels must be divisible by groups")
        module.in_channels = in_channels
        with no_grad():
            if module.transposed:
                shape = (in_channels, module.out_channels // module.groups, *module.kernel_size)
            else:
                shape = (module.out_channels, in_channels // module.groups, *module.kernel_size)
            self._materialize("weight", shape)
            if module.bias is not None:
                self._materialize("bias", (module.out_channels,))
            self.reset_parameters()


class _LazyConvNdMixin(_LazyConvMixin):
    """``LazyConv*d``: Conv*d's arguments less in_channels (one __init__ for the three ranks)."""

    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        dilation: Any = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        _conv_init(
            self,
            out_channels,
            kernel_size,
            groups,
            bias,
            dtype,
            stride=stride,
            padding=padding,
            dilation=dilation,
            padding_mode=padding_mode,
            device=device,
        )


class _LazyConvTransposeNdMixin(_LazyConvMixin):
    """``LazyConvTranspose*d``: ConvTranspose*d's arguments less in_channels."""

    def __init__(
        self,
        out_channels: int,
        kernel_size: Any,
        stride: Any = 1,
        padding: Any = 0,
        output_padding: Any = 0,
        groups: int = 1,
        bias: bool = True,
        dilation: Any = 1,
        padding_mode: str = "zeros",
        device: Any = None,
        dtype: Any = None,
    ) -> None:
        _conv_init(
            self,
            out_channels,
            kernel_size,
            groups,
            bias,
            dtype,
            stride=stride,
            padding=padding,
            output_padding=output_padding,
            dilation=dilation,
            padding_mode=padding_mode,
            device=device,
        )


def _conv_init(
    self: Any,
    out_channels: int,
    kernel_size: Any,
    groups: int,
    bias: bool,
    dtype: Any,
    **kwargs: Any,
) -> None:
    # Build the ordinary layer with in_channels = groups (valid for any groups), then make it lazy.
    self.cls_to_become.__init__(
        self, groups, out_channels, kernel_size, groups=groups, bias=bias, dtype=dtype, **kwargs
    )
    self._lazy_conv_setup(bias, dtype)


class LazyConv1d(_LazyConvNdMixin, Conv1d):
    """A ``Conv1d`` whose ``in_channels`` is inferred from the first input (arguments as Conv1d's, less in_channels)."""

    cls_to_become = Conv1d


class LazyConv2d(_LazyConvNdMixin, Conv2d):
    """A ``Conv2d`` whose ``in_channels`` is inferred from the first input (arguments as Conv2d's, less in_channels)."""

    cls_to_become = Conv2d


class LazyConv3d(_LazyConvNdMixin, Conv3d):
    """A ``Conv3d`` whose ``in_channels`` is inferred from the first input (arguments as Conv3d's, less in_channels)."""

    cls_to_become = Conv3d


class LazyConvTranspose1d(_LazyConvTransposeNdMixin, ConvTranspose1d):
    """A ``ConvTranspose1d`` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = ConvTranspose1d


class LazyConvTranspose2d(_LazyConvTransposeNdMixin, ConvTranspose2d):
    """A ``ConvTranspose2d`` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = ConvTranspose2d


class LazyConvTranspose3d(_LazyConvTransposeNdMixin, ConvTranspose3d):
    """A ``ConvTranspose3d`` whose ``in_channels`` is inferred from the first input."""

    cls_to_become = ConvTranspose3d


# --------------------------------------------------------------------------- normalisation
class _LazyNormMixin(LazyModuleMixin):
    """LazyBatchNorm / LazyInstanceNorm: num_features from the input's channel dim.

    As torch, both default to affine=True and track_running_stats=True (the lazy InstanceNorm too).
    """

    def __init__(
        self,
        eps: float = 1e-5,
        momentum: float | None = 0.1,
        affine: bool = True,
        track_running_stats: bool = True,
        device: Any = None,
        dtype: Any = None,
        *,
        bias: bool = True,
    ) -> None:
        # The ordinary layer with 0 features and nothing learnable, then the placeholders.
        base: Any = self.cls_to_become
        base.__init__(self, 0, eps, momentum, False, False, device, dtype, bias=False)
        self._lazy_norm_setup(affine, track_running_stats, bias, dtype)

    def _lazy_norm_setup(
        self, affine: bool, track_running_stats: bool, bias: bool, dtype: Any
    ) -> None:
        module: Any = self
        module.affine = affine
        module.track_running_stats = track_running_stats
        if affine:
            module.weight = UninitializedParameter(dtype=dtype)
            if bias:
                module.bias = UninitializedParameter(dtype=dtype)
        if track_running_stats:
            module._buffers["running_mean"] = UninitializedBuffer(dtype=dtype)
            module._buffers["running_var"] = UninitializedBuffer(dtype=dtype)
            from pygrad import _C

            module._buffers["num_batches_tracked"] = _C._full([], 0, _C.int64, False)
        self._lazy_setup()

    def reset_parameters(self) -> None:
        module: Any = self
        if not self.has_uninitialized_params() and module.num_features != 0:
            super().reset_parameters()  # type: ignore[misc]

    def _channel_dim(self, input: Tensor) -> int:
        return 1

    def initialize_parameters(self, input: Tensor, *args: Any) -> None:
        module: Any = self
        if not self.has_uninitialized_params():
            if module.num_features == 0:  # materialised by load_state_dict: read a stored shape
                for name in ("weight", "running_mean"):
                    value = getattr(module, name, None)
                    if value is not None:
                        module.num_features = int(value.shape[0])
                        break
            return
        module.num_features = int(input.shape[self._channel_dim(input)])
        with no_grad():
            names = ["weight", "bias", "running_mean", "running_var"]
            for name in names:
                if is_lazy(getattr(module, name, None)):
                    self._materialize(name, (module.num_features,))
            self.reset_parameters()


class LazyBatchNorm1d(_LazyNormMixin, BatchNorm1d):
    """A ``BatchNorm1d`` whose ``num_features`` is inferred from the first input (dim 1)."""

    cls_to_become = BatchNorm1d


class LazyBatchNorm2d(_LazyNormMixin, BatchNorm2d):
    """A ``BatchNorm2d`` whose ``num_features`` is inferred from the first input (dim 1)."""

    cls_to_become = BatchNorm2d


class LazyBatchNorm3d(_LazyNormMixin, BatchNorm3d):
    """A ``BatchNorm3d`` whose ``num_features`` is inferred from the first input (dim 1)."""

    cls_to_become = BatchNorm3d


class _LazyInstanceNormMixin(_LazyNormMixin):
    _no_batch_dim: ClassVar[int]

    def _channel_dim(self, input: Tensor) -> int:
        # Unbatched [C, ...] input has its channels at dim 0 (torch reads dim 1 there).
        return 0 if input.ndim == self._no_batch_dim else 1


class LazyInstanceNorm1d(_LazyInstanceNormMixin, InstanceNorm1d):
    """An ``InstanceNorm1d`` whose ``num_features`` is inferred from the first input."""

    cls_to_become = InstanceNorm1d


class LazyInstanceNorm2d(_LazyInstanceNormMixin, InstanceNorm2d):
    """An ``InstanceNorm2d`` whose ``num_features`` is inferred from the first input."""

    cls_to_become = InstanceNorm2d


class LazyInstanceNorm3d(_LazyInstanceNormMixin, InstanceNorm3d):
    """An ``InstanceNorm3d`` whose ``num_features`` is inferred from the first input."""

    cls_to_become = InstanceNorm3d
